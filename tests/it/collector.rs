//! The reference collector (`codetel collect`): every OTLP/HTTP rule (H1–H17) against the real
//! server on 127.0.0.1:0 with a real HTTP client, gRPC with a tonic client, authentication,
//! storage and crash safety with the real binary, sessions, export, forwarding between two
//! collectors, and a replay of the whole corpus compared with `normalize`.

mod auth;
mod corpus_replay;
mod forward;
mod grpc;
pub mod harness;
mod http_rules;
mod process;
mod sessions;
mod storage;
