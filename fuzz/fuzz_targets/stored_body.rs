//! Fuzzes the collector's request bodies at rest (`store::body`): what a damaged or edited
//! database row can hand to the LZ4 decoder, and the round trip of any body.
//! Oracle: `unpack` of any bytes as an LZ4 row returns or fails, never panics, and never
//! returns more than 255 times the row's length (the bound it checks before allocating);
//! a body `pack` compresses comes back byte for byte; `pack` never keeps a packing that saves
//! less than an eighth.

#![no_main]

use codetel::store::body::{pack, unpack, LZ4};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(unpacked) = unpack(Some(LZ4), data.to_vec()) {
        assert!(unpacked.len() <= data.len().saturating_mul(255), "{} bytes from a row of {}", unpacked.len(), data.len());
    }
    if let Some(packed) = pack(data) {
        assert!(packed.len() <= data.len() - data.len() / 8);
        assert_eq!(unpack(Some(LZ4), packed).as_deref(), Ok(data));
    }
});
