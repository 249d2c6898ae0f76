//! The JSON and protobuf encodings of the same data are the same data.
//!
//! For every generated request: the protobuf encoding and a JSON spelling drawn from
//! [`wire`](super::wire) (gzip or not) both decode to exactly the generated model (compared
//! through `Debug`, so NaN equals NaN and -0.0 differs from 0.0), lose the same items, and
//! the two captures normalize to the same records and accounting. Findings may differ only in
//! `undecodable_field`, which reports spelling the protobuf body cannot have (a junk value
//! given first under a repeated key).

use proptest::collection::vec;
use proptest::prelude::*;

use codetel::finding::Finding;
use codetel::otlp::{self, encode, Encoding};
use codetel::schema::CaptureMode;

use super::wire::{self, Dialect};
use super::{decode_capture, for_each_vendor, gzip, model, normalize};

fn without_spelling_findings(findings: &[Finding]) -> String {
    let kept: Vec<&Finding> = findings.iter().filter(|it| it.id != "undecodable_field").collect();
    serde_json::to_string_pretty(&kept).unwrap_or_default()
}

#[test]
fn json_and_protobuf_encodings_decode_and_normalize_identically() {
    for_each_vendor(
        "encodings",
        |seed| (model::requests(seed), vec(any::<u64>(), 4), vec(any::<(bool, bool)>(), 4)),
        |_, (requests, spellings, gzips)| {
            let mut json_bodies = Vec::new();
            let mut protobuf_bodies = Vec::new();
            for ((request, spelling), (gzip_json, gzip_protobuf)) in requests.iter().zip(spellings).zip(gzips) {
                let signal = request.signal();
                let json = wire::write(request, spelling, Dialect::Equivalent).body;
                let protobuf = encode::to_protobuf(request);
                let expected = format!("{request:?}");
                for (encoding, body) in [(Encoding::Json, &json), (Encoding::Protobuf, &protobuf)] {
                    match otlp::decode(signal, encoding, body) {
                        Ok(decoded) => {
                            prop_assert!(format!("{:?}", decoded.request) == expected, "{} decodes to another model; body: {}", encoding.as_str(), String::from_utf8_lossy(body));
                            prop_assert_eq!(decoded.rejected_items(), model::metrics_without_data(request));
                        }
                        Err(error) => {
                            return Err(TestCaseError::fail(format!(
                                "{} body does not decode: {error}; body: {}",
                                encoding.as_str(),
                                String::from_utf8_lossy(body)
                            )))
                        }
                    }
                }
                json_bodies.push((signal, Encoding::Json, if gzip_json { gzip(&json) } else { json }));
                protobuf_bodies.push((signal, Encoding::Protobuf, if gzip_protobuf { gzip(&protobuf) } else { protobuf }));
            }
            let (Ok(from_json), Ok(from_protobuf)) = (decode_capture(&json_bodies), decode_capture(&protobuf_bodies)) else {
                return Err(TestCaseError::fail("a gzip body does not decode"));
            };
            for mode in [CaptureMode::MetadataOnly, CaptureMode::Full] {
                let (a, b) = (normalize(&from_json, mode), normalize(&from_protobuf, mode));
                prop_assert_eq!(serde_json::to_string_pretty(&a.records).ok(), serde_json::to_string_pretty(&b.records).ok(), "{:?}", mode);
                prop_assert_eq!(&a.accounting, &b.accounting, "{:?}", mode);
                prop_assert_eq!(without_spelling_findings(&a.findings), without_spelling_findings(&b.findings), "{:?}", mode);
            }
            Ok(())
        },
    );
}
