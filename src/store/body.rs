//! Request bodies at rest.
//!
//! The collector keeps every body as it was received (export, replay and the merge window
//! read it back). Stored as is, bodies were most of what a busy collector wrote: about three
//! quarters of the database under `cargo xtask load`, each byte written twice (the WAL, then
//! the database file). OTLP bodies repeat their keys, resources and, with content logging on,
//! whole system prompts, so they compress several times over. A body is therefore stored
//! LZ4-compressed (`requests.body_codec = 'lz4'`) when that saves at least an eighth of it;
//! otherwise (a body that arrived gzip-compressed, a tiny one) it is stored as received
//! (`body_codec` NULL, as every row of a schema 1 database is).
//!
//! LZ4, not zstd or gzip: the merge window decompresses the same bodies again for every
//! request of a session, and LZ4 decompresses several times faster, at a somewhat lower
//! ratio. Compression happens before the request takes the store's lock.

/// `requests.body_codec` of a body stored LZ4-compressed: an LZ4 block preceded by the body's
/// length (4 bytes, little-endian), as `lz4_flex::block::compress_prepend_size` writes it.
pub const LZ4: &str = "lz4";

/// Bodies shorter than this are stored as received: too little to save.
const MIN_PACKED_LEN: usize = 512;

/// The body compressed for storage, or `None` when it is to be stored as received (too short,
/// or compressing saves less than an eighth of it).
pub fn pack(body: &[u8]) -> Option<Vec<u8>> {
    if body.len() < MIN_PACKED_LEN {
        return None;
    }
    let packed = lz4_flex::block::compress_prepend_size(body);
    (packed.len() <= body.len() - body.len() / 8).then_some(packed)
}

/// The body as received, from what the row stores and its `body_codec`.
pub fn unpack(codec: Option<&str>, stored: Vec<u8>) -> Result<Vec<u8>, String> {
    match codec {
        None => Ok(stored),
        Some(LZ4) => {
            let Some(prefix) = stored.first_chunk::<4>() else {
                return Err(format!("LZ4 body of {} bytes has no length prefix", stored.len()));
            };
            // An LZ4 block expands at most 255-fold: a damaged length must not make us
            // allocate gigabytes before the decoder finds the damage.
            let claimed = u32::from_le_bytes(*prefix) as usize;
            if claimed > (stored.len() - 4).saturating_mul(255) {
                return Err(format!("LZ4 body of {} bytes claims {claimed} bytes decompressed", stored.len()));
            }
            lz4_flex::block::decompress_size_prepended(&stored).map_err(|error| format!("LZ4 body does not decompress: {error}"))
        }
        Some(other) => Err(format!("unknown body codec {other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn otlp_like(records: usize) -> Vec<u8> {
        let mut body = Vec::new();
        for index in 0..records {
            body.extend_from_slice(b"\x0a\x10session.id\x12\x0cload-session-");
            body.extend_from_slice(format!("{index:08}").as_bytes());
            body.extend_from_slice(b"\x0a\x0aevent.name\x12\x0bapi_request");
        }
        body
    }

    #[test]
    fn a_repetitive_body_is_packed_and_comes_back_byte_for_byte() {
        let body = otlp_like(200);
        let packed = pack(&body).expect("packed");
        assert!(packed.len() * 4 < body.len(), "{} of {} bytes", packed.len(), body.len());
        assert_eq!(unpack(Some(LZ4), packed).expect("unpacked"), body);
    }

    #[test]
    fn short_and_incompressible_bodies_are_stored_as_received() {
        assert_eq!(pack(&otlp_like(20)[..MIN_PACKED_LEN - 1]), None);
        // A body that arrived gzip-compressed (a real Claude Code export): LZ4 saves nothing.
        let gzip = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/corpus/claude_code/2.1.321/traces_beta_protobuf_gzip/0002-logs.pb.gz")).to_vec();
        assert!(gzip.len() >= MIN_PACKED_LEN);
        assert_eq!(pack(&gzip), None);
        assert_eq!(unpack(None, gzip.clone()).expect("as received"), gzip);
    }

    #[test]
    fn damaged_rows_are_errors_not_allocations_or_panics() {
        let mut packed = pack(&otlp_like(200)).expect("packed");
        assert!(unpack(Some(LZ4), packed[..3].to_vec()).expect_err("damaged").contains("no length prefix"));
        let mut huge = packed.clone();
        huge[..4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(unpack(Some(LZ4), huge).expect_err("damaged").contains("claims 4294967295 bytes"));
        let length = packed.len();
        packed.truncate(length / 2);
        assert!(unpack(Some(LZ4), packed).expect_err("damaged").contains("does not decompress"));
        assert!(unpack(Some("zstd"), vec![1, 2, 3]).expect_err("damaged").contains("unknown body codec \"zstd\""));
    }
}
