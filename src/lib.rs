//! codetel: proves telemetry adapters for AI coding agents are right.
//!
//! The flow is capture → decode ([`otlp`]) → detect ([`detect`]) → adapt ([`adapters`]) →
//! privacy ([`privacy`]) → canonical records ([`schema`]); see `ARCHITECTURE.md`.

pub mod capture;
pub mod finding;
pub mod otlp;
pub mod privacy;
pub mod schema;
