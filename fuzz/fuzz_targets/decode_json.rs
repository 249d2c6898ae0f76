//! Fuzzes the tolerant OTLP/JSON decoder: any bytes must decode or fail with an error, never
//! panic; JSONL must split and decode line by line the same way.
//! Oracle: whatever decodes is a model both encoders can write and both decoders read back
//! unchanged (spec JSON and protobuf), losing only what the first decode already reported.

#![no_main]

use codetel::otlp::{self, encode, json, Encoding};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = json::detect_signal(data);
    let _ = json::decode_lines(data);
    let Ok(decoded) = json::decode_any(data) else { return };
    let signal = decoded.request.signal();
    let model = format!("{:?}", decoded.request);
    for (encoding, body) in
        [(Encoding::Json, encode::to_json(&decoded.request)), (Encoding::Protobuf, encode::to_protobuf(&decoded.request))]
    {
        let again = match otlp::decode(signal, encoding, &body) {
            Ok(it) => it,
            Err(error) => panic!("re-encoded as {} does not decode: {error}", encoding.as_str()),
        };
        assert_eq!(model, format!("{:?}", again.request), "differs after re-encoding as {}", encoding.as_str());
        // Only metrics without data can be reported again (they stay without data).
        assert!(again.problems.iter().all(|it| it.rejected_items == 1 && it.message.starts_with("metric has no data")));
    }
});
