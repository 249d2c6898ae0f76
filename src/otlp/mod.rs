//! Tolerant OTLP decoding: JSON and protobuf request bodies (optionally gzip) and OTLP
//! file-exporter JSONL, all into the one in-memory form of [`model`].
//!
//! Decoding is tolerant at the level of fields and strict at the level of syntax:
//! a body that is not JSON (or not protobuf) is a [`DecodeError`] naming the position;
//! a record with an unusable field keeps the rest of its data and reports a [`Problem`];
//! an item that cannot be read at all is left out and reported as a problem that rejects it,
//! so accounting can still count it.

pub mod encode;
pub mod json;
mod problem_tracker;
pub mod model;
pub mod proto;
mod text;

pub use model::*;

/// How a request body is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Encoding {
    /// `application/json` (OTLP/JSON).
    Json,
    /// `application/x-protobuf`.
    Protobuf,
}

impl Encoding {
    /// `json` or `protobuf`.
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Json => "json",
            Encoding::Protobuf => "protobuf",
        }
    }

    /// The file extension used in capture folders (`json`, `pb`).
    pub fn extension(self) -> &'static str {
        match self {
            Encoding::Json => "json",
            Encoding::Protobuf => "pb",
        }
    }
}

/// A field the decoder could not read, or an item it had to leave out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// OTLP path of the item (`resourceLogs[0].scopeLogs[0].logRecords[3]`).
    pub locator: String,
    /// The field within it (`traceId`, `attributes[2].value.intValue`), empty for the whole item.
    pub field: String,
    /// What was wrong, quoting the offending value (truncated) but never content around it.
    pub message: String,
    /// How many accountable items (log records, data points, spans) were left out because of it:
    /// 0 when only the field was lost.
    pub rejected_items: usize,
}

/// A decoded request plus what the decoder could not read.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// The request.
    pub request: ExportRequest,
    /// Unreadable fields and left-out items.
    pub problems: Vec<Problem>,
}

impl Decoded {
    /// Accountable items the decoder left out.
    pub fn rejected_items(&self) -> usize {
        self.problems.iter().map(|it| it.rejected_items).sum()
    }
}

/// The body could not be decoded at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// Not valid JSON, or not an object at the top.
    #[error("invalid OTLP/JSON at line {line}, column {column}: {message}")]
    Json {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// Not a valid protobuf message of the signal's request type.
    #[error("invalid OTLP protobuf {signal} request: {message}")]
    Protobuf {
        /// The signal it was decoded as.
        signal: Signal,
        /// The decoder's message.
        message: String,
    },
    /// The gzip stream is corrupt.
    #[error("invalid gzip body: {message}")]
    Gzip {
        /// The inflater's message.
        message: String,
    },
    /// The decompressed body is larger than allowed.
    #[error("body exceeds {limit} bytes after decompression")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// A JSON body whose top-level keys name no signal, or two.
    #[error("cannot tell the signal of the JSON body: {message}")]
    UnknownSignal {
        /// Which keys were found.
        message: String,
    },
}

/// Default limit for a decompressed body (64 MiB).
pub const DEFAULT_BODY_LIMIT: usize = 64 << 20;

/// Whether `bytes` starts with the gzip magic number.
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}

/// Inflates a gzip body, stopping as soon as the output passes `limit` (a gzip bomb costs
/// at most `limit` bytes of memory).
pub fn gunzip(bytes: &[u8], limit: usize) -> Result<Vec<u8>, DecodeError> {
    use std::io::Read;
    let mut decoder = flate2::read::MultiGzDecoder::new(bytes).take(limit as u64 + 1);
    let mut res = Vec::new();
    if let Err(error) = decoder.read_to_end(&mut res) {
        return Err(DecodeError::Gzip { message: error.to_string() });
    }
    if res.len() > limit {
        return Err(DecodeError::TooLarge { limit });
    }
    Ok(res)
}

/// Decodes one request body of a known signal and encoding. The body may be gzip-compressed
/// (detected by its magic number).
///
/// The model's strings are slices of one shared copy of the (inflated) body; a caller that
/// already holds the body in a [`bytes::Bytes`] avoids the copy with [`decode_shared`].
pub fn decode(signal: Signal, encoding: Encoding, body: &[u8]) -> Result<Decoded, DecodeError> {
    let shared = if is_gzip(body) {
        // The inflated buffer becomes the shared one: no second copy.
        bytes::Bytes::from(gunzip(body, DEFAULT_BODY_LIMIT)?)
    } else {
        bytes::Bytes::copy_from_slice(body)
    };
    decode_inflated(signal, encoding, shared)
}

/// [`decode`] of a body held in a shared buffer (as HTTP servers hand it over): when it is not
/// compressed, the model's strings are slices of it, with no copy at all.
pub fn decode_shared(signal: Signal, encoding: Encoding, body: bytes::Bytes) -> Result<Decoded, DecodeError> {
    let shared = if is_gzip(&body) { bytes::Bytes::from(gunzip(&body, DEFAULT_BODY_LIMIT)?) } else { body };
    decode_inflated(signal, encoding, shared)
}

fn decode_inflated(signal: Signal, encoding: Encoding, body: bytes::Bytes) -> Result<Decoded, DecodeError> {
    match encoding {
        Encoding::Json => json::decode_shared(signal, body),
        Encoding::Protobuf => proto::decode_shared(signal, body),
    }
}
