//! Hostile input: deep nesting, invalid UTF-8 in protobuf, wrong-length ids in protobuf,
//! and sweeps of truncated, mutated and random bodies through every entry point. The
//! decoders must return (a value or an error) and never panic or overflow the stack; a
//! fuzzer will push harder later.

use codetel::otlp::{
    self, json, proto, AnyValue, DecodeError, Encoding, ExportRequest, MetricData, Signal,
};
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::metrics::v1::{Metric, ResourceMetrics, ScopeMetrics};
use opentelemetry_proto::tonic::trace::v1::{span, ResourceSpans, ScopeSpans, Span};
use prost::Message as _;

use super::rich_request::{self, kv};
use super::spec_json::{Encoder, Spelling};

/// Runs `test` on a thread with a 2 MiB stack (the usual default for spawned threads and
/// tokio workers), so stack use is checked against a known budget.
fn on_small_stack(test: impl FnOnce() + Send + 'static) {
    let handle = std::thread::Builder::new().stack_size(2 << 20).spawn(test).expect("spawn");
    if let Err(panic) = handle.join() {
        std::panic::resume_unwind(panic);
    }
}

fn logs_with_attribute(value_json: &str) -> String {
    format!(
        r#"{{"resourceLogs":[{{"scopeLogs":[{{"logRecords":[{{"attributes":[{{"key":"deep","value":{value_json}}}]}}]}}]}}]}}"#
    )
}

/// `levels` AnyValues, each an array holding the next.
fn nested_array_json(levels: usize) -> String {
    let mut text = String::with_capacity(levels * 40);
    for _ in 0..levels {
        text.push_str(r#"{"arrayValue":{"values":["#);
    }
    text.push_str(r#"{"stringValue":"bottom"}"#);
    for _ in 0..levels {
        text.push_str("]}}");
    }
    text
}

#[test]
fn json_nesting_within_the_limit_decodes() {
    on_small_stack(|| {
        // 38 AnyValue levels take 124 JSON levels with the envelope: just under serde_json's 128.
        let body = logs_with_attribute(&nested_array_json(38));
        let decoded =
            json::decode(Signal::Logs, body.as_bytes()).expect("within the nesting limit");
        let ExportRequest::Logs(resources) = &decoded.request else { panic!("logs") };
        let mut value = &resources[0].scope_logs[0].log_records[0].attributes[0].value;
        let mut depth = 0;
        while let AnyValue::Array(values) = value {
            value = &values[0];
            depth += 1;
        }
        assert_eq!((depth, value), (38, &AnyValue::String("bottom".into())));
    });
}

#[test]
fn json_nesting_ten_thousand_deep_is_a_clean_error() {
    on_small_stack(|| {
        let kvlists = {
            let mut text = String::new();
            for _ in 0..10_000 {
                text.push_str(r#"{"kvlistValue":{"values":[{"key":"k","value":"#);
            }
            text.push_str("{}");
            for _ in 0..10_000 {
                text.push_str("}]}}");
            }
            logs_with_attribute(&text)
        };
        // Read values stop at serde_json's nesting limit (128) with a positioned error.
        for (name, body) in [
            ("AnyValue arrays", logs_with_attribute(&nested_array_json(10_000))),
            ("kvlists", kvlists),
        ] {
            match json::decode(Signal::Logs, body.as_bytes()) {
                Err(DecodeError::Json { message, line: 1, column }) => {
                    assert!(message.contains("recursion limit"), "{name}: {message}");
                    assert!(
                        column > 100,
                        "{name}: the error points into the nesting, not at {column}"
                    );
                }
                other => panic!("{name}: expected a JSON error, got {other:?}"),
            }
            assert!(json::decode_any(body.as_bytes()).is_err());
            // Decoded as another signal the deep list is skipped, which serde_json does without
            // recursion; the body is then simply of the wrong signal.
            assert!(matches!(
                json::decode(Signal::Traces, body.as_bytes()),
                Err(DecodeError::UnknownSignal { .. })
            ));
            assert_eq!(json::detect_signal(body.as_bytes()), Ok(Signal::Logs), "{name}");
        }
        // Skipped values may nest without limit: an unknown field is skipped, the body is empty.
        let unknown = format!(r#"{{"x":{}1{}}}"#, "[".repeat(10_000), "]".repeat(10_000));
        for signal in Signal::ALL {
            let decoded = json::decode(signal, unknown.as_bytes()).expect("skipped");
            assert_eq!(decoded.request.item_count(), 0);
        }
        // So may a value of the wrong type, which is skipped the same way and reported.
        let wrong_type = logs_with_attribute(&format!(
            r#"{{"intValue":{}1{}}}"#,
            "[".repeat(10_000),
            "]".repeat(10_000)
        ));
        let decoded = json::decode(Signal::Logs, wrong_type.as_bytes()).expect("skipped");
        assert_eq!(decoded.problems[0].field, "attributes[0].value.intValue");
        // At the top level the document itself is too deep.
        let top = "[".repeat(10_000);
        for signal in Signal::ALL {
            assert!(matches!(json::decode(signal, top.as_bytes()), Err(DecodeError::Json { .. })));
        }
    });
}

/// Protobuf bytes of a logs request whose one attribute nests `levels` AnyValue arrays,
/// written by hand: prost's own encoder recurses, and the point is input prost never made.
fn nested_protobuf(levels: usize) -> Vec<u8> {
    fn length_delimited(tag: u32, content: &[u8]) -> Vec<u8> {
        let mut res = Vec::with_capacity(content.len() + 6);
        prost::encoding::encode_key(tag, prost::encoding::WireType::LengthDelimited, &mut res);
        prost::encoding::encode_varint(content.len() as u64, &mut res);
        res.extend_from_slice(content);
        res
    }
    let mut any_value = Vec::new(); // an empty AnyValue
    for _ in 0..levels {
        let array = length_delimited(1, &any_value); // ArrayValue.values
        any_value = length_delimited(5, &array); // AnyValue.array_value
    }
    let key_value = [length_delimited(1, b"deep"), length_delimited(2, &any_value)].concat();
    let record = length_delimited(6, &key_value); // LogRecord.attributes
    let scope_logs = length_delimited(2, &record); // ScopeLogs.log_records
    let resource_logs = length_delimited(2, &scope_logs); // ResourceLogs.scope_logs
    length_delimited(1, &resource_logs) // ExportLogsServiceRequest.resource_logs
}

#[test]
fn protobuf_nesting_beyond_prost_limit_is_a_clean_error() {
    on_small_stack(|| {
        let shallow =
            proto::decode(Signal::Logs, &nested_protobuf(20)).expect("shallow nesting decodes");
        assert_eq!(shallow.request.item_count(), 1);
        match proto::decode(Signal::Logs, &nested_protobuf(2_000)) {
            Err(DecodeError::Protobuf { signal: Signal::Logs, message }) => {
                assert!(message.contains("recursion limit"), "{message}")
            }
            other => panic!("expected a protobuf error, got {other:?}"),
        }
    });
}

#[test]
fn protobuf_non_utf8_string_is_an_error() {
    let request = ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            scope_logs: vec![ScopeLogs {
                log_records: vec![LogRecord {
                    severity_text: "MARK".to_owned(),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    let mut bytes = request.encode_to_vec();
    let at = bytes.windows(4).position(|it| it == b"MARK").expect("the string is in the encoding");
    bytes[at..at + 4].copy_from_slice(&[0xff, 0xfe, 0xc3, 0x28]);
    match proto::decode(Signal::Logs, &bytes) {
        Err(DecodeError::Protobuf { message, .. }) => {
            assert!(message.contains("UTF-8"), "{message}")
        }
        other => panic!("expected a protobuf error, got {other:?}"),
    }
}

#[test]
fn protobuf_ids_of_the_wrong_length_are_dropped_with_located_problems() {
    let span = Span {
        trace_id: vec![1, 2, 3],
        span_id: vec![0; 9],
        parent_span_id: vec![7; 8],
        name: "kept".to_owned(),
        links: vec![span::Link {
            trace_id: vec![1; 16],
            span_id: vec![1; 4],
            ..Default::default()
        }],
        ..Default::default()
    };
    let request = ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            scope_spans: vec![ScopeSpans {
                spans: vec![Span::default(), span],
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    let decoded = proto::decode(Signal::Traces, &request.encode_to_vec()).expect("decodes");
    let ExportRequest::Traces(resources) = &decoded.request else { panic!("traces") };
    let span = &resources[0].scope_spans[0].spans[1];
    assert_eq!(span.name, "kept");
    assert!(
        span.trace_id.is_empty() && span.span_id.is_empty() && span.links[0].span_id.is_empty()
    );
    assert_eq!(span.parent_span_id, [7; 8]);
    assert_eq!(span.links[0].trace_id, [1; 16]);
    let located: Vec<(&str, &str, usize)> = decoded
        .problems
        .iter()
        .map(|it| (it.locator.as_str(), it.field.as_str(), it.rejected_items))
        .collect();
    let span1 = "resourceSpans[0].scopeSpans[0].spans[1]";
    assert_eq!(
        located,
        [(span1, "traceId", 0), (span1, "spanId", 0), (span1, "links[0].spanId", 0)]
    );
    assert!(decoded.problems[0].message.contains("found 3"), "{}", decoded.problems[0].message);

    let logs = ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            scope_logs: vec![ScopeLogs {
                log_records: vec![LogRecord {
                    trace_id: vec![0; 15],
                    span_id: vec![0; 8],
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    let decoded = proto::decode(Signal::Logs, &logs.encode_to_vec()).expect("decodes");
    assert_eq!(decoded.problems.len(), 1);
    assert_eq!(decoded.problems[0].field, "traceId");
    assert_eq!(decoded.request.item_count(), 1);
}

#[test]
fn protobuf_profile_string_index_and_missing_metric_data_are_reported() {
    let logs = ExportLogsServiceRequest {
        resource_logs: vec![ResourceLogs {
            scope_logs: vec![ScopeLogs {
                log_records: vec![LogRecord {
                    attributes: vec![kv("s", Value::StringValueStrindex(4))],
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    let decoded = proto::decode(Signal::Logs, &logs.encode_to_vec()).expect("decodes");
    assert_eq!(decoded.problems[0].field, "attributes[0].value.stringValueStrindex");
    let ExportRequest::Logs(resources) = &decoded.request else { panic!("logs") };
    assert_eq!(resources[0].scope_logs[0].log_records[0].attributes[0].value, AnyValue::Empty);

    let metrics = ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            scope_metrics: vec![ScopeMetrics {
                metrics: vec![Metric { name: "no.data".to_owned(), ..Default::default() }],
                ..Default::default()
            }],
            ..Default::default()
        }],
    };
    let decoded = proto::decode(Signal::Metrics, &metrics.encode_to_vec()).expect("decodes");
    let ExportRequest::Metrics(resources) = &decoded.request else { panic!("metrics") };
    assert_eq!(resources[0].scope_metrics[0].metrics[0].data, MetricData::Missing);
    assert_eq!(decoded.rejected_items(), 1);
    assert_eq!(decoded.problems[0].locator, "resourceMetrics[0].scopeMetrics[0].metrics[0]");
}

#[test]
fn gzip_bodies_decode_through_the_encoding_dispatch() {
    use std::io::Write;
    let request = rich_request::traces_request();
    let protobuf = request.encode_to_vec();
    let encoder = Encoder::new(Spelling::SPEC);
    let json_text = encoder.to_text(&encoder.traces(&request));
    for (encoding, body) in
        [(Encoding::Protobuf, protobuf.clone()), (Encoding::Json, json_text.into_bytes())]
    {
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gzip.write_all(&body).expect("in memory");
        let compressed = gzip.finish().expect("in memory");
        let plain = otlp::decode(Signal::Traces, encoding, &body).expect("plain decodes");
        let inflated = otlp::decode(Signal::Traces, encoding, &compressed).expect("gzip decodes");
        assert_eq!(plain, inflated, "{}", encoding.as_str());
        // A corrupt gzip stream is an error, not a panic.
        let mut corrupt = compressed.clone();
        corrupt.truncate(compressed.len() / 2);
        assert!(otlp::decode(Signal::Traces, encoding, &corrupt).is_err());
    }
}

// ---------------------------------------------------------------------------------------
// Sweeps: every entry point must return on damaged input.

/// A small deterministic generator (xorshift), so failures reproduce.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound.max(1) as u64) as usize
    }
}

/// Feeds `bytes` to every decoder entry point; only returning matters.
fn decode_everything(bytes: &[u8]) {
    for signal in Signal::ALL {
        let _ = json::decode(signal, bytes);
        let _ = proto::decode(signal, bytes);
    }
    let _ = json::decode_any(bytes);
    let _ = json::detect_signal(bytes);
    let _ = json::decode_lines(bytes);
}

fn sample_bodies() -> Vec<Vec<u8>> {
    let encoder =
        Encoder::new(Spelling { ints_as_numbers: true, unknown_fields: true, ..Spelling::SPEC });
    let logs = rich_request::logs_request();
    let metrics = rich_request::metrics_request_with_missing_data();
    let traces = rich_request::traces_request();
    vec![
        encoder.to_text(&encoder.logs(&logs)).into_bytes(),
        encoder.to_text(&encoder.metrics(&metrics)).into_bytes(),
        encoder.to_text(&encoder.traces(&traces)).into_bytes(),
        logs.encode_to_vec(),
        metrics.encode_to_vec(),
        traces.encode_to_vec(),
    ]
}

#[test]
fn truncated_bodies_never_panic() {
    for body in sample_bodies() {
        // About 100 cut points per body, always including the first bytes.
        let stride = (body.len() / 100).max(1);
        for cut in (0..body.len()).step_by(stride).chain(0..16.min(body.len())) {
            decode_everything(&body[..cut]);
        }
    }
}

#[test]
fn mutated_bodies_never_panic() {
    const INTERESTING: &[u8] = b"{}[]\",:-0123456789.eEnNtfux\\ \n\x00\x7f\xc3\xff";
    let mut random = Random(0x9e37_79b9_7f4a_7c15);
    for body in sample_bodies() {
        for _ in 0..150 {
            let mut mutated = body.clone();
            for _ in 0..1 + random.below(4) {
                let at = random.below(mutated.len());
                mutated[at] = if random.below(2) == 0 {
                    INTERESTING[random.below(INTERESTING.len())]
                } else {
                    random.next() as u8
                };
            }
            decode_everything(&mutated);
        }
    }
}

#[test]
fn random_bytes_never_panic() {
    let mut random = Random(42);
    for _ in 0..400 {
        let length = random.below(300);
        let bytes: Vec<u8> = (0..length).map(|_| random.next() as u8).collect();
        decode_everything(&bytes);
        // Random JSON-ish text reaches deeper than random bytes.
        const ALPHABET: &[u8] = b"{}[]\":,0a-";
        let text: Vec<u8> = (0..length).map(|_| ALPHABET[random.below(ALPHABET.len())]).collect();
        decode_everything(&text);
    }
}
