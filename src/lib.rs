//! codetel: proves telemetry adapters for AI coding agents are right.
//!
//! The flow is capture ([`capture`]) → decode ([`otlp`]) → detect ([`detect`]) → adapt
//! ([`adapters`], against the contract in [`adapter`]) → privacy → canonical records
//! ([`schema`]), all driven by [`normalize`]; see `ARCHITECTURE.md`.

pub mod adapter;
#[path = "../adapters/mod.rs"]
pub mod adapters;
pub mod capture;
pub mod collector;
pub mod conformance;
pub mod content_order;
pub mod detect;
pub mod finding;
pub mod inspect;
pub mod normalize;
pub mod otlp;
pub mod privacy;
pub mod replay;
pub mod schema;
pub mod store;
