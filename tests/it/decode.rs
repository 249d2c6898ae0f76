//! Decoder tests: JSON/protobuf equivalence, every tolerated quirk and malformation,
//! robustness against hostile input, JSONL, and real captures.

mod captures;
mod equivalence;
mod jsonl;
mod malformed;
mod protobuf_reader;
mod rich_request;
mod robustness;
mod spec_json;
