//! Fuzzes the OTLP protobuf decoder as each of the three request types: any bytes must
//! decode or fail with an error, never panic (prost's recursion limit, truncated varints,
//! bad UTF-8, wrong wire types).
//! Oracle: whatever decodes re-encodes to protobuf and to spec JSON and decodes back to the
//! same model.

#![no_main]

use codetel::otlp::{self, encode, proto, Encoding, Signal};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for signal in Signal::ALL {
        let Ok(decoded) = proto::decode(signal, data) else { continue };
        let model = format!("{:?}", decoded.request);
        for (encoding, body) in
            [(Encoding::Protobuf, encode::to_protobuf(&decoded.request)), (Encoding::Json, encode::to_json(&decoded.request))]
        {
            let again = match otlp::decode(signal, encoding, &body) {
                Ok(it) => it,
                Err(error) => panic!("re-encoded as {} does not decode: {error}", encoding.as_str()),
            };
            assert_eq!(model, format!("{:?}", again.request), "differs after re-encoding as {}", encoding.as_str());
        }
    }
});
