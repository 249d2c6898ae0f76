//! Qwen Code rules the recorded corpus cannot show: twin attributes that disagree, `{}` and
//! numbers sent as strings, the log-to-span bridge, unprefixed and unknown names, and tool
//! calls with other decisions, MCP tools and file paths.

use codetel::capture::{Capture, Request};
use codetel::normalize::{self, Options, Output};
use codetel::otlp::{self, Encoding, Signal};
use codetel::schema::{CanonicalRecord, CaptureMode, Value};
use serde_json::json;

/// Normalizes one OTLP/JSON body as a one-request capture and checks the books balance.
fn check(signal: Signal, body: &serde_json::Value, mode: CaptureMode) -> Output {
    let bytes = serde_json::to_vec(body).expect("serialize");
    let decoded = otlp::decode(signal, Encoding::Json, &bytes).expect("test body decodes");
    let capture = Capture {
        path: "inline".into(),
        manifest: None,
        requests: vec![Request {
            file: format!("0001-{signal}.json"),
            signal,
            encoding: Encoding::Json,
            gzip: false,
            decoded,
        }],
    };
    let output = normalize::normalize(&capture, &Options::new(mode));
    assert!(output.accounting.totals.balances(), "{:?}", output.accounting);
    assert!(output.findings.iter().all(|it| it.id != "unaccounted_item"), "{:?}", output.findings);
    output
}

fn kv(key: &str, value: serde_json::Value) -> serde_json::Value {
    json!({ "key": key, "value": value })
}

fn text(value: &str) -> serde_json::Value {
    json!({ "stringValue": value })
}

fn int(value: i64) -> serde_json::Value {
    json!({ "intValue": value })
}

/// Qwen's resource: service name, real CLI version, session id.
fn resource() -> serde_json::Value {
    json!({ "attributes": [
        kv("service.name", text("qwen-code")),
        kv("service.version", text("0.15.10")),
        kv("session.id", text("s1")),
    ]})
}

/// A logs body with Qwen's resource and scope.
fn qwen_logs(records: Vec<serde_json::Value>) -> serde_json::Value {
    json!({ "resourceLogs": [{
        "resource": resource(),
        "scopeLogs": [{ "scope": { "name": "qwen-code" }, "logRecords": records }]
    }]})
}

/// A log record of event `name` with `attributes` (`session.id` and `event.name` added).
fn event(name: &str, body: &str, mut attributes: Vec<serde_json::Value>) -> serde_json::Value {
    attributes.insert(0, kv("event.name", text(name)));
    attributes.insert(0, kv("session.id", text("s1")));
    json!({ "timeUnixNano": "1795271270967000000", "body": text(body), "attributes": attributes })
}

fn by_kind<'a>(output: &'a Output, kind: &str) -> Vec<&'a CanonicalRecord> {
    output.records.iter().filter(|it| it.kind.as_str() == kind).collect()
}

fn canonical<'a>(record: &'a CanonicalRecord, key: &str) -> Option<&'a Value> {
    record.attributes.get(key)
}

fn finding_count(output: &Output, id: &str) -> usize {
    output.findings.iter().filter(|it| it.id == id).count()
}

#[test]
fn api_error_twins_own_field_wins_copy_fills_in_and_conflicts_are_reported() {
    let body = qwen_logs(vec![event(
        "qwen-code.api_error",
        "API error for qwen3-coder-plus. Error: CANARY-BODY-TEXT. Duration: 70ms.",
        vec![
            kv("response_id", text("req_abc")),
            kv("error_message", text("CANARY-OWN-MESSAGE")),
            kv("error.message", text("CANARY-TWIN-MESSAGE")),
            kv("error_type", text("RateLimitError")),
            kv("error.type", text("RateLimitError")),
            kv("status_code", int(429)),
            kv("http.status_code", text("503")),
            // Only the copies of duration and model: they are the values.
            kv("duration", int(70)),
            kv("model_name", text("qwen3-coder-plus")),
            kv("subagent_name", json!({})),
        ],
    )]);
    let full = check(Signal::Logs, &body, CaptureMode::Full);
    let error = by_kind(&full, "api_error")[0];
    assert_eq!(canonical(error, "coding_agent.error.message"), Some(&Value::Str("CANARY-OWN-MESSAGE".to_owned())));
    assert_eq!(canonical(error, "coding_agent.error.type"), Some(&Value::Str("RateLimitError".to_owned())));
    assert_eq!(canonical(error, "coding_agent.http.status_code"), Some(&Value::Int(429)), "own field wins");
    assert_eq!(canonical(error, "coding_agent.duration_ms"), Some(&Value::Int(70)), "copy fills in");
    assert_eq!(canonical(error, "gen_ai.request.model"), Some(&Value::Str("qwen3-coder-plus".to_owned())));
    assert_eq!(canonical(error, "coding_agent.request.id"), Some(&Value::Str("req_abc".to_owned())));
    assert!(!error.attributes.contains_key("coding_agent.query_source"), "`{{}}` is absent");
    // The agreeing twin is consumed; the disagreeing ones stay as vendor attributes.
    assert!(!error.vendor_attributes.contains_key("error.type"));
    assert!(error.vendor_attributes.contains_key("error.message"));
    assert!(error.vendor_attributes.contains_key("http.status_code"));
    assert_eq!(finding_count(&full, "twin_attribute_conflict"), 2);

    let metadata = check(Signal::Logs, &body, CaptureMode::MetadataOnly);
    let dump = serde_json::to_string(&json!({ "records": metadata.records, "findings": metadata.findings }))
        .expect("serialize");
    for canary in ["CANARY-OWN-MESSAGE", "CANARY-TWIN-MESSAGE", "CANARY-BODY-TEXT"] {
        assert!(!dump.contains(canary), "{canary} survives metadata_only");
    }
}

#[test]
fn empty_values_are_absent_and_numbers_sent_as_strings_are_read() {
    let body = qwen_logs(vec![
        event(
            "qwen-code.api_response",
            "API response from qwen3-coder-plus. Status: 200. Duration: 5ms.",
            vec![
                kv("response_id", text("chatcmpl-1")),
                kv("model", text("qwen3-coder-plus")),
                kv("status_code", text("200")),
                kv("duration_ms", text("5")),
                kv("input_token_count", text("650")),
                kv("output_token_count", json!({ "doubleValue": 10.0 })),
                kv("cached_content_token_count", text("500")),
                kv("thoughts_token_count", json!({})),
                kv("total_token_count", text("660")),
                kv("response_text", json!({})),
                kv("subagent_name", json!({})),
                kv("auth_type", text("openai")),
            ],
        ),
        // `hooks` is unset in every recorded `config` and has no row in the tables.
        event(
            "qwen-code.config",
            "CLI configuration loaded.",
            vec![kv("hooks", json!({})), kv("approval_mode", text("yolo"))],
        ),
    ]);
    let output = check(Signal::Logs, &body, CaptureMode::Full);
    let call = by_kind(&output, "llm_call")[0];
    assert_eq!(canonical(call, "gen_ai.usage.input_tokens"), Some(&Value::Int(650)), "cache already included");
    assert_eq!(canonical(call, "gen_ai.usage.cache_read.input_tokens"), Some(&Value::Int(500)));
    assert_eq!(canonical(call, "gen_ai.usage.output_tokens"), Some(&Value::Int(10)));
    assert_eq!(canonical(call, "coding_agent.duration_ms"), Some(&Value::Int(5)));
    assert_eq!(canonical(call, "coding_agent.http.status_code"), Some(&Value::Int(200)));
    assert_eq!(canonical(call, "gen_ai.response.id"), Some(&Value::Str("chatcmpl-1".to_owned())));
    for absent in ["coding_agent.usage.reasoning_tokens", "coding_agent.response.text", "coding_agent.query_source"] {
        assert!(!call.attributes.contains_key(absent), "{absent} was `{{}}` and must be absent");
    }
    for absent in ["thoughts_token_count", "response_text", "subagent_name"] {
        assert!(!call.vendor_attributes.contains_key(absent), "{absent} was `{{}}` and must not be a vendor attribute");
    }
    let config = by_kind(&output, "passthrough")[0];
    assert!(!config.vendor_attributes.contains_key("hooks"), "`{{}}` is absent, not a null vendor attribute");
    assert_eq!(config.vendor_attributes.get("approval_mode"), Some(&Value::Str("yolo".to_owned())));
    assert_eq!(finding_count(&output, "uncoercible_value"), 0);
}

#[test]
fn bridged_spans_map_like_their_events_and_never_use_the_span_name() {
    // What Qwen's LogToSpanProcessor sends when only a traces endpoint is set: the log body
    // as span name, the log attributes, `log.bridge`.
    let span = |name: &str, attributes: Vec<serde_json::Value>| {
        json!({
            "traceId": "0123456789abcdef0123456789abcdef", "spanId": "0123456789abcdef",
            "name": name, "kind": 1,
            "startTimeUnixNano": "1795271270967000000", "endTimeUnixNano": "1795271271967000000",
            "attributes": attributes,
            "status": { "code": 2, "message": "CANARY-STATUS-MESSAGE" }
        })
    };
    let body = json!({ "resourceSpans": [{
        "resource": resource(),
        "scopeSpans": [{ "scope": { "name": "qwen-code", "version": "" }, "spans": [
            span("API error for qwen3-coder-plus. Error: CANARY-SPAN-NAME. Duration: 1000ms.", vec![
                kv("session.id", text("s1")),
                kv("event.name", text("qwen-code.api_error")),
                kv("error_message", text("CANARY-ERROR")),
                kv("status_code", int(500)),
                kv("duration_ms", int(1000)),
                kv("log.bridge", json!({ "boolValue": true })),
            ]),
            span("Tool call: run_shell_command. Success: true.", vec![
                kv("session.id", text("s1")),
                kv("event.name", text("qwen-code.tool_call")),
                kv("function_name", text("run_shell_command")),
                kv("success", json!({ "boolValue": true })),
                kv("metadata", text("{\"model_added_lines\":3,\"model_removed_lines\":1}")),
                kv("log.bridge", json!({ "boolValue": true })),
            ]),
            span("some prose name with CANARY-UNKNOWN-SPAN in it", vec![kv("session.id", text("s1"))]),
        ]}]
    }]});
    let output = check(Signal::Traces, &body, CaptureMode::MetadataOnly);
    let error = by_kind(&output, "api_error")[0];
    assert_eq!(error.source.as_ref().map(|it| it.name.as_str()), Some("qwen-code.api_error"));
    assert_eq!(canonical(error, "coding_agent.http.status_code"), Some(&Value::Int(500)));
    assert_eq!(canonical(error, "coding_agent.duration_ms"), Some(&Value::Int(1000)));
    assert_eq!(canonical(error, "coding_agent.span.status"), Some(&Value::Str("error".to_owned())));
    let tool = by_kind(&output, "tool_call")[0];
    assert_eq!(
        tool.vendor_attributes.get("metadata.model_added_lines"),
        Some(&Value::Int(3)),
        "diff stats from JSON text"
    );
    assert_eq!(finding_count(&output, "unknown_span_name"), 1);
    let dump =
        serde_json::to_string(&json!({ "records": output.records, "findings": output.findings })).expect("serialize");
    for canary in ["CANARY-SPAN-NAME", "CANARY-ERROR", "CANARY-STATUS-MESSAGE", "CANARY-UNKNOWN-SPAN"] {
        assert!(!dump.contains(canary), "{canary} survives metadata_only");
    }
}

#[test]
fn names_unprefixed_unknown_or_missing_are_handled_by_the_tables() {
    let logs = qwen_logs(vec![
        // Sent unprefixed by the CLI itself: known, no finding.
        event("loop_detected", "Loop detected. Type: read_file_loop.", vec![kv("loop_type", text("read_file_loop"))]),
        // Not in the tables: passthrough with a finding, its text default-deny.
        event("qwen-code.brand_new_event", "New.", vec![kv("secret_sauce", text("CANARY-NEW-EVENT"))]),
        // No event name at all: rejected with a reason.
        json!({ "timeUnixNano": "1795271270967000000", "body": text("User prompt. Length: 3."), "attributes": [kv("session.id", text("s1"))] }),
    ]);
    let output = check(Signal::Logs, &logs, CaptureMode::MetadataOnly);
    assert_eq!(output.accounting.totals.rejected, 1);
    assert_eq!(finding_count(&output, "unknown_event_name"), 1);
    assert_eq!(finding_count(&output, "missing_event_name"), 1);
    let loop_record = output.records.iter().find(|it| it.source.as_ref().is_some_and(|s| s.name == "loop_detected"));
    assert_eq!(
        loop_record.and_then(|it| it.vendor_attributes.get("loop_type")),
        Some(&Value::Str("read_file_loop".to_owned()))
    );
    let dump = serde_json::to_string(&output.records).expect("serialize");
    assert!(!dump.contains("CANARY-NEW-EVENT"), "unknown attributes are default-deny");

    let metrics = json!({ "resourceMetrics": [{
        "resource": resource(),
        "scopeMetrics": [{ "scope": { "name": "qwen-code", "version": "" }, "metrics": [
            { "name": "qwen-code.api.request.count", "sum": { "aggregationTemporality": 2, "isMonotonic": true, "dataPoints": [
                { "asInt": 1, "timeUnixNano": "1795271270967000000", "attributes": [
                    kv("session.id", text("s1")), kv("model", text("qwen3-coder-plus")),
                    kv("status_code", text("error")), kv("error_type", text("unknown")),
                ]}
            ]}},
            { "name": "qwen-code.token.usage", "sum": { "aggregationTemporality": 2, "isMonotonic": true, "dataPoints": [
                { "asInt": 16, "timeUnixNano": "1795271270967000000", "attributes": [kv("type", text("thought"))] }
            ]}},
            { "name": "qwen-code.memory.dream.count", "sum": { "aggregationTemporality": 2, "isMonotonic": true, "dataPoints": [
                { "asInt": 1, "timeUnixNano": "1795271270967000000", "attributes": [] }
            ]}},
            { "name": "qwen-code.brand_new.metric", "unit": "widgets", "gauge": { "dataPoints": [
                { "asDouble": 1.5, "timeUnixNano": "1795271270967000000", "attributes": [] }
            ]}}
        ]}]
    }]});
    let output = check(Signal::Metrics, &metrics, CaptureMode::MetadataOnly);
    let points = by_kind(&output, "metric_point");
    assert_eq!(points.len(), 4);
    assert!(!points[0].attributes.contains_key("coding_agent.http.status_code"), "`error` is no HTTP status");
    assert_eq!(points[0].vendor_attributes.get("status_code"), Some(&Value::Str("error".to_owned())));
    assert_eq!(canonical(points[1], "gen_ai.token.type"), Some(&Value::Str("reasoning".to_owned())));
    assert_eq!(canonical(points[2], "coding_agent.metric.unit"), Some(&Value::Str("1".to_owned())));
    assert_eq!(canonical(points[3], "coding_agent.metric.unit"), Some(&Value::Str("widgets".to_owned())));
    assert_eq!(finding_count(&output, "unknown_metric_name"), 1, "only the brand-new metric");
}

#[test]
fn tool_calls_map_decisions_mcp_tools_and_paths_as_content() {
    let call = |name: &str, args: &str, decision: &str, tool_type: &str| {
        event(
            "qwen-code.tool_call",
            "Tool call.",
            vec![
                kv("function_name", text(name)),
                kv("function_args", text(args)),
                kv("decision", text(decision)),
                kv("success", json!({ "boolValue": false })),
                kv("status", text("cancelled")),
                kv("tool_type", text(tool_type)),
                kv("mcp_server_name", if tool_type == "mcp" { text("github") } else { json!({}) }),
                kv("metadata", json!({ "kvlistValue": { "values": [kv("user_added_lines", int(2))] } })),
            ],
        )
    };
    let body = qwen_logs(vec![
        call(
            "write_file",
            "{\"file_path\":\"/tmp/CANARY-PATH/a.txt\",\"content\":\"CANARY-CONTENT\"}",
            "reject",
            "native",
        ),
        call("create_issue", "{\"title\":\"CANARY-MCP-ARG\"}", "modify", "mcp"),
    ]);
    let full = check(Signal::Logs, &body, CaptureMode::Full);
    let tools = by_kind(&full, "tool_call");
    assert_eq!(canonical(tools[0], "coding_agent.decision"), Some(&Value::Str("reject".to_owned())));
    assert_eq!(canonical(tools[0], "coding_agent.tool.category"), Some(&Value::Str("edit".to_owned())));
    assert_eq!(canonical(tools[0], "coding_agent.file.path"), Some(&Value::Str("/tmp/CANARY-PATH/a.txt".to_owned())));
    assert_eq!(tools[0].vendor_attributes.get("metadata.user_added_lines"), Some(&Value::Int(2)));
    assert_eq!(canonical(tools[1], "coding_agent.decision"), Some(&Value::Str("accept".to_owned())));
    assert_eq!(tools[1].vendor_attributes.get("decision"), Some(&Value::Str("modify".to_owned())));
    assert_eq!(canonical(tools[1], "coding_agent.tool.category"), Some(&Value::Str("mcp".to_owned())));
    assert_eq!(canonical(tools[1], "coding_agent.tool.source"), Some(&Value::Str("mcp".to_owned())));

    let metadata = check(Signal::Logs, &body, CaptureMode::MetadataOnly);
    let tools = by_kind(&metadata, "tool_call");
    assert_eq!(
        tools[1].vendor_attributes.get("mcp_server_name"),
        Some(&Value::Str("github".to_owned())),
        "a name, kept"
    );
    let dump = serde_json::to_string(&metadata.records).expect("serialize");
    for canary in ["CANARY-PATH", "CANARY-CONTENT", "CANARY-MCP-ARG"] {
        assert!(!dump.contains(canary), "{canary} survives metadata_only");
    }
}
