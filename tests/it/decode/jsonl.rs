//! OTLP file-exporter JSONL: one request of any signal per line, and telling a body's
//! signal from its top-level key.

use codetel::otlp::{json, DecodeError, Signal};

#[test]
fn detect_signal_reads_the_top_level_key() {
    assert_eq!(json::detect_signal(br#"{"resourceLogs":[]}"#), Ok(Signal::Logs));
    assert_eq!(json::detect_signal(br#"{"x":1,"resourceMetrics":null}"#), Ok(Signal::Metrics));
    assert!(
        json::detect_signal(br#"{"resource_spans":[{"bad":[}]}"#).is_err(),
        "syntax still checked"
    );
    assert_eq!(json::detect_signal(br#"{"resource_spans":[]}"#), Ok(Signal::Traces));
    // Only the key matters; a malformed list is not read at all.
    assert_eq!(json::detect_signal(br#"{"resourceSpans":5}"#), Ok(Signal::Traces));
    for body in [&br#"{}"#[..], br#"{"resourceLogs":[],"resourceSpans":[]}"#] {
        match json::detect_signal(body) {
            Err(DecodeError::UnknownSignal { message }) => assert!(message.contains("`resource")),
            other => panic!("expected UnknownSignal, got {other:?}"),
        }
    }
    assert!(matches!(json::detect_signal(b"[1]"), Err(DecodeError::Json { .. })));
}

#[test]
fn decode_any_takes_the_signal_from_the_body() {
    let decoded = json::decode_any(br#"{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"m","gauge":{"dataPoints":[{"asInt":"1"}]}}]}]}]}"#)
        .expect("decodes");
    assert_eq!((decoded.request.signal(), decoded.request.item_count()), (Signal::Metrics, 1));
    assert!(matches!(json::decode_any(b"{}"), Err(DecodeError::UnknownSignal { .. })));
}

#[test]
fn decode_lines_decodes_each_line_and_reports_file_lines() {
    let file = concat!(
        r#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[{},{}]}]}]}"#,
        "\n\n",
        r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"a"}]}]}]}"#,
        "\r\n   \t\n",
        r#"{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"m"}]}]}]}"#,
        "\n",
        r#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[}"#,
        "\n",
        r#"{"neither":1}"#,
        "\n",
    );
    let results = json::decode_lines(file.as_bytes());
    let numbers: Vec<usize> = results.iter().map(|(line, _)| *line).collect();
    assert_eq!(numbers, [1, 3, 5, 6, 7], "blank lines skipped, 1-based numbers kept");
    let ok: Vec<(Signal, usize, usize)> = results
        .iter()
        .filter_map(|(_, result)| result.as_ref().ok())
        .map(|it| (it.request.signal(), it.request.item_count(), it.rejected_items()))
        .collect();
    // The metric without data is kept as one rejected item.
    assert_eq!(ok, [(Signal::Logs, 2, 0), (Signal::Traces, 1, 0), (Signal::Metrics, 0, 1)]);
    match &results[3].1 {
        Err(DecodeError::Json { line, column, .. }) => {
            assert_eq!((*line, *column), (6, 47), "the closing brace where a value belongs")
        }
        other => panic!("expected a JSON error on line 6, got {other:?}"),
    }
    assert!(matches!(results[4].1, Err(DecodeError::UnknownSignal { .. })));
    assert!(json::decode_lines(b"").is_empty());
    assert!(json::decode_lines(b"\n \n\r\n").is_empty());
}
