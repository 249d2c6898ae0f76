//! Both encodings decode to equal data: every corpus request, re-encoded as protobuf and as
//! spec OTLP/JSON, decodes back to the same model and normalizes to the same records.

use codetel::capture::{Capture, Request};
use codetel::normalize::{self, Options};
use codetel::otlp::{self, encode, Encoding};
use codetel::schema::CaptureMode;

use crate::support::{corpus_dirs, load};

fn transcode(capture: &Capture, encoding: Encoding) -> Capture {
    let mut res = capture.clone();
    for request in &mut res.requests {
        let bytes = match encoding {
            Encoding::Json => encode::to_json(&request.decoded.request),
            Encoding::Protobuf => encode::to_protobuf(&request.decoded.request),
        };
        let decoded = match otlp::decode(request.signal, encoding, &bytes) {
            Ok(it) => it,
            Err(error) => panic!("{}: re-encoded as {} does not decode: {error}", request.file, encoding.as_str()),
        };
        *request = Request { decoded, encoding, ..request.clone() };
    }
    res
}

#[test]
fn every_request_round_trips_through_both_encodings() {
    for dir in corpus_dirs() {
        let capture = load(&dir);
        for encoding in [Encoding::Json, Encoding::Protobuf] {
            let transcoded = transcode(&capture, encoding);
            for (original, again) in capture.requests.iter().zip(&transcoded.requests) {
                assert_eq!(
                    original.decoded.request, again.decoded.request,
                    "{}/{}: differs after re-encoding as {}",
                    dir.display(),
                    original.file,
                    encoding.as_str()
                );
                assert!(again.decoded.problems.is_empty(), "{}: re-encoded body has problems", original.file);
            }
        }
    }
}

#[test]
fn both_encodings_normalize_to_the_same_records() {
    for dir in corpus_dirs() {
        let capture = load(&dir);
        let options = Options::new(CaptureMode::Full);
        let as_json = normalize::normalize(&transcode(&capture, Encoding::Json), &options);
        let as_protobuf = normalize::normalize(&transcode(&capture, Encoding::Protobuf), &options);
        let text = |output: &normalize::Output| serde_json::to_string(&output.records).unwrap_or_default();
        assert_eq!(text(&as_json), text(&as_protobuf), "{}", dir.display());
        assert_eq!(as_json.accounting, as_protobuf.accounting, "{}", dir.display());
    }
}
