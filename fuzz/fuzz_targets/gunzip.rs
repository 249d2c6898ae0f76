//! Fuzzes gzip handling: inflating any bytes under a limit never panics and never returns
//! more than the limit (a bomb is an error, not an allocation); compressing then inflating
//! gives the bytes back; a gzip body of any content goes through `otlp::decode` without a
//! panic.

#![no_main]

use std::io::Write as _;

use codetel::otlp::{self, DecodeError, Encoding, Signal};
use libfuzzer_sys::fuzz_target;

/// Small, so that bombs made of a few fuzzer bytes reach it.
const LIMIT: usize = 1 << 16;

fuzz_target!(|data: &[u8]| {
    match otlp::gunzip(data, LIMIT) {
        Ok(inflated) => assert!(inflated.len() <= LIMIT),
        Err(DecodeError::TooLarge { limit }) => assert_eq!(limit, LIMIT),
        Err(_) => {}
    }
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let _ = encoder.write_all(data);
    let compressed = encoder.finish().expect("in-memory gzip");
    match otlp::gunzip(&compressed, LIMIT) {
        Ok(inflated) => assert_eq!(inflated, data),
        Err(DecodeError::TooLarge { .. }) => assert!(data.len() > LIMIT),
        Err(error) => panic!("our own gzip does not inflate: {error}"),
    }
    for encoding in [Encoding::Json, Encoding::Protobuf] {
        let _ = otlp::decode(Signal::Logs, encoding, &compressed);
    }
});
