//! The one integration-test binary; a module per topic.

mod adapters;
mod cli;
mod collector;
mod conformance;
mod copilot_cli;
mod corpus;
mod decode;
mod drift;
mod encodings;
mod privacy;
mod properties;
mod qwen_code;
mod replay;
mod schema;
mod semantics;
mod support;
mod vendors;
