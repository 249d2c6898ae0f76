//! OTLP protobuf decoding (placeholder until the decoder lands).

use super::{DecodeError, Decoded, Signal};

/// Decodes an OTLP protobuf request body of the given signal.
pub fn decode(signal: Signal, body: &[u8]) -> Result<Decoded, DecodeError> {
    let _ = body;
    Err(DecodeError::Protobuf { signal, message: "protobuf decoder not implemented yet".to_owned() })
}
