//! Differential fuzzing of the hand-written protobuf reader against the reference path it
//! replaced: for any bytes, as each of the three request types, `proto::decode` and
//! `proto::decode_via_prost` (prost into `opentelemetry-proto`'s messages, then converted)
//! both fail, or both succeed with the same model and the same problems. The reader without
//! its `string_value_strindex` fallback must read the same model too.
//! Models are compared by their Debug form, so NaN values compare as written.

#![no_main]

use codetel::otlp::{proto, DecodeError, Signal};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for signal in Signal::ALL {
        let direct = proto::decode(signal, data);
        let reference = proto::decode_via_prost(signal, data);
        match (&direct, &reference) {
            (Ok(direct), Ok(reference)) => {
                assert_eq!(format!("{direct:?}"), format!("{reference:?}"), "{signal}: results differ");
                let alone = proto::decode_without_fallback(signal, data).expect("the reader alone accepts it");
                assert_eq!(format!("{:?}", alone.request), format!("{:?}", reference.request), "{signal}: models differ");
            }
            (Err(DecodeError::Protobuf { .. }), Err(DecodeError::Protobuf { .. })) => {
                assert!(proto::decode_without_fallback(signal, data).is_err(), "{signal}: the reader alone accepts it");
            }
            _ => panic!("{signal}: the reader gives {direct:?}\nprost gives {reference:?}"),
        }
    }
});
