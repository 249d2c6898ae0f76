//! The same data as protobuf and as OTLP/JSON (in every spelling real exporters use)
//! decodes to equal models, and to equal problems.

use codetel::otlp::{json, proto, AnyValue, Decoded, ExportRequest, MetricData, Signal};
use prost::Message as _;

use super::rich_request::{self, SPAN_ID, TRACE_ID};
use super::spec_json::{Encoder, Spelling};

/// Asserts equal; on failure shows the first differing line of the pretty Debug forms
/// instead of two screens of model.
pub fn assert_same<T: PartialEq + std::fmt::Debug>(actual: &T, expected: &T, context: &str) {
    if actual == expected {
        return;
    }
    let (actual, expected) = (format!("{actual:#?}"), format!("{expected:#?}"));
    let mismatch = actual.lines().zip(expected.lines()).enumerate().find(|(_, (a, e))| a != e);
    match mismatch {
        Some((line, (a, e))) => {
            panic!("{context}: differ at Debug line {line}:\n  actual:   {a}\n  expected: {e}")
        }
        None => panic!("{context}: differ in length"),
    }
}

/// Decodes `message` as protobuf and, in every spelling, as JSON; asserts all equal.
fn assert_equivalent(
    signal: Signal,
    protobuf: &[u8],
    to_json: impl Fn(&Encoder) -> serde_json::Value,
) -> Decoded {
    let from_protobuf = proto::decode(signal, protobuf).expect("protobuf decodes");
    for (name, spelling) in Spelling::all() {
        let encoder = Encoder::new(spelling);
        let text = encoder.to_text(&to_json(&encoder));
        let from_json =
            json::decode(signal, text.as_bytes()).unwrap_or_else(|error| panic!("{name}: {error}"));
        assert_same(&from_json, &from_protobuf, &format!("{signal}, spelling {name}"));
        let from_any =
            json::decode_any(text.as_bytes()).unwrap_or_else(|error| panic!("{name}: {error}"));
        assert_eq!(from_any, from_json, "decode_any, spelling: {name}");
    }
    from_protobuf
}

#[test]
fn logs_decode_equal_from_protobuf_and_every_json_spelling() {
    let request = rich_request::logs_request();
    let decoded =
        assert_equivalent(Signal::Logs, &request.encode_to_vec(), |encoder| encoder.logs(&request));
    assert!(decoded.problems.is_empty(), "{:?}", decoded.problems);
    assert_eq!(decoded.request.item_count(), 9);
    let ExportRequest::Logs(resources) = &decoded.request else { panic!("logs") };
    let records = &resources[0].scope_logs[0].log_records;
    // Every body kind, and absent body vs empty body kept apart.
    let kinds: Vec<Option<&str>> =
        records.iter().map(|it| it.body.as_ref().map(AnyValue::wire_type)).collect();
    assert_eq!(
        kinds,
        [
            Some("stringValue"),
            Some("intValue"),
            Some("bytesValue"),
            Some("arrayValue"),
            Some("kvlistValue"),
            Some("empty"),
            None,
            None
        ]
    );
    assert_eq!(records[0].trace_id, TRACE_ID);
    assert_eq!(records[0].span_id, SPAN_ID);
    // Duplicate keys survive in order, with both types.
    let codex = &records[7];
    let thread_ids: Vec<&AnyValue> =
        codex.attributes.iter().filter(|it| it.key == "thread.id").map(|it| &it.value).collect();
    assert_eq!(thread_ids, [&AnyValue::Int(7), &AnyValue::String("0199a-uuid".into())]);
    assert!(codex.trace_id.is_empty() && codex.time_unix_nano == 0);
}

#[test]
fn metrics_decode_equal_from_protobuf_and_every_json_spelling() {
    let request = rich_request::metrics_request();
    let decoded = assert_equivalent(Signal::Metrics, &request.encode_to_vec(), |encoder| {
        encoder.metrics(&request)
    });
    assert!(decoded.problems.is_empty(), "{:?}", decoded.problems);
    let ExportRequest::Metrics(resources) = &decoded.request else { panic!("metrics") };
    let kinds: Vec<&str> =
        resources[0].scope_metrics[0].metrics.iter().map(|it| it.data.kind_name()).collect();
    assert_eq!(
        kinds,
        ["gauge", "sum", "sum", "histogram", "histogram", "exponentialHistogram", "summary", "sum"]
    );
    // 4 + 2 + 1 + 2 + 1 + 2 + 1 + 0
    assert_eq!(decoded.request.item_count(), 13);
}

#[test]
fn metric_without_data_gives_the_same_problem_from_both_encodings() {
    let request = rich_request::metrics_request_with_missing_data();
    let decoded = assert_equivalent(Signal::Metrics, &request.encode_to_vec(), |encoder| {
        encoder.metrics(&request)
    });
    let ExportRequest::Metrics(resources) = &decoded.request else { panic!("metrics") };
    assert_eq!(resources[0].scope_metrics[0].metrics[1].data, MetricData::Missing);
    assert_eq!(decoded.problems.len(), 1);
    let problem = &decoded.problems[0];
    assert_eq!(problem.locator, "resourceMetrics[0].scopeMetrics[0].metrics[1]");
    assert_eq!(problem.field, "");
    assert_eq!(problem.rejected_items, 1);
}

#[test]
fn traces_decode_equal_from_protobuf_and_every_json_spelling() {
    let request = rich_request::traces_request();
    let decoded = assert_equivalent(Signal::Traces, &request.encode_to_vec(), |encoder| {
        encoder.traces(&request)
    });
    assert!(decoded.problems.is_empty(), "{:?}", decoded.problems);
    assert_eq!(decoded.request.item_count(), 9);
    let ExportRequest::Traces(resources) = &decoded.request else { panic!("traces") };
    let span = &resources[0].scope_spans[0].spans[0];
    assert_eq!((span.kind, span.status_code, span.flags), (3, 2, 257));
    assert_eq!(span.parent_span_id, rich_request::PARENT_ID);
    assert_eq!(span.links[0].span_id, rich_request::PARENT_ID);
    assert_eq!(span.events[0].name, "github.copilot.user.message");
    let kinds: Vec<i32> = resources[0].scope_spans[0].spans[2..].iter().map(|it| it.kind).collect();
    assert_eq!(kinds, [0, 1, 2, 3, 4, 5]);
}

/// Base64 ids (a generic proto3 JSON encoder's mistake) decode to the same ids, each with an
/// informational problem that rejects nothing.
#[test]
fn base64_ids_decode_to_the_same_ids_with_informational_problems() {
    let request = rich_request::traces_request();
    let from_protobuf =
        proto::decode(Signal::Traces, &request.encode_to_vec()).expect("protobuf decodes");
    let encoder = Encoder::new(Spelling { base64_ids: true, ..Spelling::SPEC });
    let text = encoder.to_text(&encoder.traces(&request));
    let from_json = json::decode(Signal::Traces, text.as_bytes()).expect("decodes");
    assert_same(&from_json.request, &from_protobuf.request, "base64 ids");
    // The full span: trace, span, parent, link trace and link span; two root spans: trace + span.
    assert_eq!(from_json.problems.len(), 7, "{:#?}", from_json.problems);
    assert!(from_json
        .problems
        .iter()
        .all(|it| it.rejected_items == 0 && it.message.contains("base64")));
    let fields: Vec<&str> = from_json.problems.iter().take(5).map(|it| it.field.as_str()).collect();
    assert_eq!(
        fields,
        ["traceId", "spanId", "parentSpanId", "links[0].traceId", "links[0].spanId"]
    );
}
