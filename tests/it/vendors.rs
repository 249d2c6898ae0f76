//! Behaviour of the opencode and Goose adapters that the corpus alone does not pin down:
//! detection of impersonating names, count-once rules between twins, content staying in
//! content keys, and total handling of odd input. Small OTLP/JSON requests are built inline.

use codetel::capture::{Capture, Request};
use codetel::normalize::{self, Options, Output};
use codetel::otlp::{self, Encoding, Signal};
use codetel::schema::{attributes as attr, CanonicalRecord, CaptureMode, RecordKind, Value};
use serde_json::{json, Value as Json};

use crate::support::{load, root};

fn s(text: &str) -> Json {
    json!({ "stringValue": text })
}

fn i(number: i64) -> Json {
    json!({ "intValue": number })
}

fn attrs(pairs: &[(&str, Json)]) -> Json {
    Json::Array(
        pairs
            .iter()
            .map(|(key, value)| json!({ "key": key, "value": value }))
            .collect(),
    )
}

fn resource(pairs: &[(&str, Json)]) -> Json {
    json!({ "attributes": attrs(pairs) })
}

fn logs(resource: Json, scope: &str, records: Vec<Json>) -> (Signal, Json) {
    (
        Signal::Logs,
        json!({ "resourceLogs": [{ "resource": resource, "scopeLogs": [{ "scope": { "name": scope }, "logRecords": records }] }] }),
    )
}

fn spans(resource: Json, scope: &str, spans: Vec<Json>) -> (Signal, Json) {
    (
        Signal::Traces,
        json!({ "resourceSpans": [{ "resource": resource, "scopeSpans": [{ "scope": { "name": scope }, "spans": spans }] }] }),
    )
}

fn sums(resource: Json, scope: &str, metrics: Vec<(&str, Json)>) -> (Signal, Json) {
    let metrics: Vec<Json> = metrics
        .into_iter()
        .map(|(name, points)| {
            json!({ "name": name, "sum": { "aggregationTemporality": 1, "isMonotonic": true, "dataPoints": points } })
        })
        .collect();
    (
        Signal::Metrics,
        json!({ "resourceMetrics": [{ "resource": resource, "scopeMetrics": [{ "scope": { "name": scope }, "metrics": metrics }] }] }),
    )
}

fn span(
    name: &str,
    span_id: &str,
    parent: &str,
    start_ms: u64,
    end_ms: u64,
    attributes: Json,
) -> Json {
    json!({
        "traceId": "0af7651916cd43dd8448eb211c80319c",
        "spanId": span_id,
        "parentSpanId": parent,
        "name": name,
        "kind": 1,
        "startTimeUnixNano": (start_ms * 1_000_000).to_string(),
        "endTimeUnixNano": (end_ms * 1_000_000).to_string(),
        "attributes": attributes,
        "status": { "code": 1 }
    })
}

fn log(time_ms: u64, body: &str, attributes: Json) -> Json {
    json!({ "timeUnixNano": (time_ms * 1_000_000).to_string(), "severityNumber": 9, "severityText": "INFO", "body": s(body), "attributes": attributes })
}

fn capture(requests: Vec<(Signal, Json)>) -> Capture {
    let requests = requests
        .into_iter()
        .enumerate()
        .map(|(index, (signal, body))| {
            let bytes = serde_json::to_vec(&body).expect("json");
            let decoded = otlp::decode(signal, Encoding::Json, &bytes).expect("decodes");
            Request {
                file: format!("{:04}-{}.json", index + 1, signal.as_str()),
                signal,
                encoding: Encoding::Json,
                gzip: false,
                decoded,
            }
        })
        .collect();
    Capture {
        path: root().join("inline"),
        manifest: None,
        requests,
    }
}

fn run(capture: &Capture, mode: CaptureMode) -> Output {
    let output = normalize::normalize(capture, &Options::new(mode));
    assert!(
        output.accounting.totals.balances(),
        "{:?}",
        output.accounting
    );
    assert!(
        output.findings.iter().all(|it| it.id != "unaccounted_item"),
        "{:?}",
        output.findings
    );
    output
}

fn of_kind(output: &Output, kind: RecordKind) -> Vec<&CanonicalRecord> {
    output.records.iter().filter(|it| it.kind == kind).collect()
}

fn int(record: &CanonicalRecord, key: &str) -> Option<i64> {
    match record.attributes.get(key) {
        Some(Value::Int(it)) => Some(*it),
        _ => None,
    }
}

fn text_of(output: &Output) -> String {
    serde_json::to_string(&json!({ "records": output.records, "findings": output.findings }))
        .unwrap_or_default()
}

fn plugin_resource() -> Json {
    resource(&[("service.name", s("opencode")), ("app.version", s("0.8.0"))])
}

#[test]
fn plugin_with_claude_code_prefix_is_opencode_with_a_conflict_finding() {
    let capture = load(&root().join("corpus/opencode/1.18.33/plugin_metric_prefix_claude_code"));
    let output = run(&capture, CaptureMode::MetadataOnly);
    assert_eq!(
        output.accounting.by_vendor.keys().collect::<Vec<_>>(),
        ["opencode"],
        "{:?}",
        output.accounting.by_vendor
    );
    assert!(output.records.iter().all(|it| it.vendor == "opencode"));
    let conflicts: Vec<_> = output
        .findings
        .iter()
        .filter(|it| it.id == "vendor_evidence_conflict")
        .collect();
    assert!(!conflicts.is_empty(), "no vendor_evidence_conflict finding");
    assert!(conflicts
        .iter()
        .all(|it| it.message.contains("claude_code") && it.message.contains("com.opencode")));
    // Both the renamed metrics and the renamed spans raise the conflict.
    assert!(conflicts.iter().any(|it| it
        .location
        .as_ref()
        .is_some_and(|at| at.locator.starts_with("resourceMetrics"))));
    assert!(conflicts.iter().any(|it| it
        .location
        .as_ref()
        .is_some_and(|at| at.locator.starts_with("resourceSpans"))));
    // Names are mapped by their base, whatever the prefix.
    for record in of_kind(&output, RecordKind::MetricPoint) {
        let Some(Value::Str(name)) = record.attributes.get(attr::METRIC_NAME) else {
            panic!("metric without a name")
        };
        assert!(name.starts_with("coding_agent."), "{name}");
    }
    assert_eq!(of_kind(&output, RecordKind::LlmCall).len(), 2);
    assert_eq!(of_kind(&output, RecordKind::ToolCall).len(), 1);
}

#[test]
fn plugin_event_and_span_of_one_call_count_once_and_a_lone_event_counts() {
    let session = ("session.id", s("ses_1"));
    let api_request = |time_ms| {
        log(
            time_ms,
            "api_request",
            attrs(&[
                ("event.name", s("api_request")),
                session.clone(),
                ("model", s("m")),
                ("input_tokens", i(20)),
                ("cache_read_tokens", i(100)),
                ("cache_creation_tokens", i(5)),
                ("output_tokens", i(12)),
                ("cost_usd", json!({ "doubleValue": 0.00027 })),
            ]),
        )
    };
    let llm = span(
        "opencode.llm",
        "1111111111111111",
        "",
        1_000,
        2_000,
        attrs(&[
            ("openinference.span.kind", s("LLM")),
            session.clone(),
            ("llm.token_count.prompt", i(20)),
            ("llm.token_count.prompt_details.cache_read", i(100)),
            ("llm.token_count.prompt_details.cache_write", i(5)),
            ("llm.token_count.completion", i(12)),
            ("llm.cost.total", json!({ "doubleValue": 0.00027 })),
        ]),
    );
    let capture = capture(vec![
        logs(
            plugin_resource(),
            "com.opencode",
            vec![api_request(1_000), api_request(5_000)],
        ),
        spans(plugin_resource(), "com.opencode", vec![llm]),
    ]);
    let output = run(&capture, CaptureMode::MetadataOnly);
    let calls = of_kind(&output, RecordKind::LlmCall);
    assert_eq!(
        calls.len(),
        2,
        "one from the span, one from the event without a span"
    );
    assert_eq!(output.accounting.totals.ignored, 1);
    for call in calls {
        assert_eq!(
            int(call, attr::INPUT_TOKENS),
            Some(125),
            "uncached input + cache read + cache write"
        );
        assert_eq!(int(call, attr::CACHE_READ_INPUT_TOKENS), Some(100));
        assert_eq!(int(call, attr::COST_USD_MICROS), Some(270));
    }
}

#[test]
fn plugin_event_stamped_with_its_span_id_is_the_spans_twin() {
    let mut event = log(
        9_999,
        "tool_result",
        attrs(&[
            ("event.name", s("tool_result")),
            ("session.id", s("ses_1")),
            ("tool_name", s("bash")),
        ]),
    );
    event["spanId"] = json!("2222222222222222");
    event["traceId"] = json!("0af7651916cd43dd8448eb211c80319c");
    let tool = span(
        "acme_tool.bash",
        "2222222222222222",
        "",
        1_000,
        1_200,
        attrs(&[
            ("openinference.span.kind", s("TOOL")),
            ("session.id", s("ses_1")),
            ("tool.name", s("bash")),
            ("tool.id", s("call_1")),
        ]),
    );
    let capture = capture(vec![
        logs(plugin_resource(), "com.opencode", vec![event]),
        spans(plugin_resource(), "com.opencode", vec![tool]),
    ]);
    let output = run(&capture, CaptureMode::MetadataOnly);
    let tools = of_kind(&output, RecordKind::ToolCall);
    assert_eq!(tools.len(), 1);
    assert_eq!(
        tools[0].attributes.get(attr::TOOL_CALL_ID),
        Some(&Value::Str("call_1".to_owned()))
    );
    assert_eq!(output.accounting.totals.ignored, 1);
}

#[test]
fn plugin_metrics_with_any_prefix_map_by_base_name() {
    let point = |kind: &str, value: f64| json!({ "asDouble": value, "timeUnixNano": "1000000", "attributes": attrs(&[("session.id", s("ses_1")), ("type", s(kind))]) });
    let capture = capture(vec![sums(
        plugin_resource(),
        "com.opencode",
        vec![
            (
                "acme_token.usage",
                json!([point("cacheRead", 100.0), point("input", 20.0)]),
            ),
            (
                "acme_cost.usage",
                json!([{ "asDouble": 0.0123, "timeUnixNano": "1000000" }]),
            ),
            (
                "acme_brand_new.metric",
                json!([{ "asDouble": 1.0, "timeUnixNano": "1000000" }]),
            ),
        ],
    )]);
    let output = run(&capture, CaptureMode::MetadataOnly);
    let points = of_kind(&output, RecordKind::MetricPoint);
    let name = |record: &CanonicalRecord| record.attributes.get(attr::METRIC_NAME).cloned();
    assert_eq!(
        name(points[0]),
        Some(Value::Str("coding_agent.token.usage".to_owned()))
    );
    assert_eq!(
        points[0].attributes.get(attr::TOKEN_TYPE),
        Some(&Value::Str("cache_read".to_owned()))
    );
    assert_eq!(
        name(points[2]),
        Some(Value::Str("coding_agent.cost.usage".to_owned()))
    );
    assert_eq!(
        int(points[2], attr::METRIC_VALUE),
        Some(12_300),
        "USD to exact micro-USD"
    );
    assert_eq!(
        name(points[3]),
        Some(Value::Str("acme_brand_new.metric".to_owned()))
    );
    assert!(output
        .findings
        .iter()
        .any(|it| it.id == "metric_prefix" && it.message.contains("`acme_`")));
    assert!(output
        .findings
        .iter()
        .any(|it| it.id == "unknown_metric_name"));
}

#[test]
fn plugin_permission_title_is_content_and_the_tool_is_its_type() {
    let decision = log(
        1_000,
        "tool_decision",
        attrs(&[
            ("event.name", s("tool_decision")),
            ("session.id", s("ses_1")),
            ("tool_name", s("rm -rf /tmp/secret_dir_canary")),
            ("tool_type", s("bash")),
            ("decision", s("accept")),
            ("source", s("always")),
        ]),
    );
    let capture = capture(vec![logs(
        plugin_resource(),
        "com.opencode",
        vec![decision],
    )]);
    let output = run(&capture, CaptureMode::MetadataOnly);
    let decisions = of_kind(&output, RecordKind::ToolDecision);
    assert_eq!(decisions.len(), 1);
    assert_eq!(
        decisions[0].attributes.get(attr::TOOL_NAME),
        Some(&Value::Str("bash".to_owned()))
    );
    assert_eq!(
        decisions[0].attributes.get(attr::DECISION_SOURCE),
        Some(&Value::Str("user_permanent".to_owned()))
    );
    assert!(!text_of(&output).contains("secret_dir_canary"));
    let full = run(&capture, CaptureMode::Full);
    assert!(
        text_of(&full).contains("secret_dir_canary"),
        "the title is kept as content in full mode"
    );
}

fn goose_resource(service_name: &str) -> Json {
    resource(&[
        ("service.name", s(service_name)),
        ("service.namespace", s("goose")),
        ("service.version", s("1.46.0")),
    ])
}

#[test]
fn goose_turn_spans_never_carry_the_tokens_of_their_calls() {
    let usage = |input: i64, output: i64| {
        vec![
            ("session.id", s("20260101_1")),
            ("gen_ai.usage.input_tokens", i(input)),
            ("gen_ai.usage.output_tokens", i(output)),
            ("gen_ai.request.model", s("gpt-4o")),
        ]
    };
    let capture = capture(vec![spans(
        goose_resource("goose"),
        "goose",
        vec![
            span(
                "reply_stream",
                "aaaaaaaaaaaaaaaa",
                "",
                0,
                100,
                attrs(&usage(240, 24)),
            ),
            span(
                "stream_response_from_provider",
                "bbbbbbbbbbbbbbbb",
                "aaaaaaaaaaaaaaaa",
                10,
                20,
                attrs(&usage(120, 12)),
            ),
            span(
                "stream_response_from_provider",
                "cccccccccccccccc",
                "aaaaaaaaaaaaaaaa",
                30,
                40,
                attrs(&usage(120, 12)),
            ),
            span(
                "reply",
                "dddddddddddddddd",
                "",
                0,
                5,
                attrs(&[
                    ("session.id", s("20260101_1")),
                    ("user_message", s("prompt_canary_goose")),
                ]),
            ),
        ],
    )]);
    let output = run(&capture, CaptureMode::MetadataOnly);
    let calls = of_kind(&output, RecordKind::LlmCall);
    assert_eq!(calls.len(), 2);
    let total: i64 = output
        .records
        .iter()
        .filter_map(|it| int(it, attr::INPUT_TOKENS))
        .sum();
    assert_eq!(
        total, 240,
        "the reply_stream aggregate is not counted again"
    );
    let turns = of_kind(&output, RecordKind::Turn);
    assert_eq!(turns.len(), 1);
    assert!(turns[0]
        .attributes
        .keys()
        .all(|key| !key.starts_with("gen_ai.usage.")));
    assert_eq!(of_kind(&output, RecordKind::UserPrompt).len(), 1);
    assert!(!text_of(&output).contains("prompt_canary_goose"));
}

#[test]
fn goose_tool_completion_without_a_span_is_the_tool_call() {
    let records = vec![
        log(
            1_000,
            "Tool call started",
            attrs(&[
                ("tool_name", s("developer__shell")),
                ("monotonic_counter.goose.tool_calls", s("1")),
            ]),
        ),
        log(
            2_000,
            "Tool call completed",
            attrs(&[("tool_name", s("developer__shell")), ("result", s("error"))]),
        ),
    ];
    let capture = capture(vec![logs(
        goose_resource("goose"),
        "goose_cli::session",
        records,
    )]);
    let output = run(&capture, CaptureMode::MetadataOnly);
    let tools = of_kind(&output, RecordKind::ToolCall);
    assert_eq!(tools.len(), 1);
    assert_eq!(
        tools[0].attributes.get(attr::SUCCESS),
        Some(&Value::Bool(false))
    );
    assert_eq!(
        tools[0].attributes.get(attr::TOOL_CATEGORY),
        Some(&Value::Str("shell".to_owned()))
    );
}

#[test]
fn goose_metrics_are_goose_even_under_a_shell_wide_service_name() {
    let point = json!([{ "asInt": "1", "timeUnixNano": "1000000", "attributes": attrs(&[("tool_name", s("shell")), ("message", s("Tool call started"))]) }]);
    let capture = capture(vec![sums(
        goose_resource("opencode"),
        "tracing/tracing-opentelemetry",
        vec![("goose.tool_calls", point)],
    )]);
    let output = run(&capture, CaptureMode::MetadataOnly);
    assert_eq!(
        output.accounting.by_vendor.keys().collect::<Vec<_>>(),
        ["goose"]
    );
    assert!(output
        .findings
        .iter()
        .any(|it| it.id == "vendor_evidence_conflict" && it.message.contains("service.namespace")));
    let points = of_kind(&output, RecordKind::MetricPoint);
    assert_eq!(
        points[0].attributes.get(attr::METRIC_NAME),
        Some(&Value::Str("coding_agent.tool.call.count".to_owned()))
    );
}

fn native_resource() -> Json {
    resource(&[
        ("service.name", s("opencode")),
        ("service.version", s("1.18.33")),
    ])
}

#[test]
fn native_twins_count_once_and_paths_stay_out_of_metadata() {
    let tool_execute = span(
        "Tool.execute",
        "1000000000000001",
        "",
        1_000,
        1_100,
        attrs(&[
            ("tool.name", s("bash")),
            ("tool.call_id", s("call_9")),
            ("session.id", s("ses_n")),
        ]),
    );
    let ai_tool_call = span(
        "ai.toolCall",
        "1000000000000002",
        "1000000000000001",
        1_001,
        1_099,
        attrs(&[
            ("ai.toolCall.name", s("bash")),
            ("ai.toolCall.id", s("call_9")),
            (
                "ai.toolCall.args",
                s("{\"command\":\"cat /home/someone/native_canary.txt\"}"),
            ),
            ("ai.toolCall.result", s("native_result_canary")),
        ]),
    );
    let stream_text = span(
        "ai.streamText",
        "1000000000000003",
        "",
        500,
        900,
        attrs(&[("ai.usage.inputTokens", i(240))]),
    );
    let do_stream = span(
        "ai.streamText.doStream",
        "1000000000000004",
        "1000000000000003",
        510,
        890,
        attrs(&[
            ("ai.model.id", s("mock-model")),
            ("ai.model.provider", s("mock.chat")),
            ("ai.usage.inputTokens", i(120)),
            ("ai.usage.outputTokens", i(12)),
            ("ai.usage.cachedInputTokens", i(100)),
            ("ai.telemetry.metadata.sessionId", s("ses_n")),
            ("ai.response.text", s("native_answer_canary")),
        ]),
    );
    let mut failing = span(
        "FileSystem.readFile",
        "1000000000000005",
        "",
        10,
        11,
        attrs(&[]),
    );
    failing["status"] = json!({ "code": 2, "message": "NotFound: FileSystem.readFile (/home/someone/.local/share/opencode/auth.json)" });
    let service_log = json!({
        "timeUnixNano": "1000000", "severityNumber": 9, "severityText": "Info",
        "body": { "arrayValue": { "values": [s("created"), s("{\"directory\":\"/home/someone/project\"}")] } },
        "attributes": attrs(&[("fiberId", i(7))])
    });
    let capture = capture(vec![
        spans(
            native_resource(),
            "opencode@1.18.33",
            vec![tool_execute, ai_tool_call, stream_text, do_stream, failing],
        ),
        logs(native_resource(), "opencode", vec![service_log]),
    ]);
    let output = run(&capture, CaptureMode::MetadataOnly);
    assert_eq!(of_kind(&output, RecordKind::ToolCall).len(), 1);
    let calls = of_kind(&output, RecordKind::LlmCall);
    assert_eq!(calls.len(), 1);
    assert_eq!(
        int(calls[0], attr::INPUT_TOKENS),
        Some(120),
        "AI SDK input already includes cached input"
    );
    assert_eq!(calls[0].session_id.as_deref(), Some("ses_n"));
    assert_eq!(
        output.accounting.totals.ignored, 4,
        "ai.toolCall twin, outer ai.streamText, Effect span, service log"
    );
    let metadata = text_of(&output);
    for canary in [
        "/home/someone",
        "native_canary",
        "native_result_canary",
        "native_answer_canary",
    ] {
        assert!(
            !metadata.contains(canary),
            "{canary} survives metadata_only"
        );
    }
    let full = run(&capture, CaptureMode::Full);
    let tool = of_kind(&full, RecordKind::ToolCall)[0];
    assert_eq!(
        tool.attributes.get(attr::TOOL_RESULT),
        Some(&Value::Str("native_result_canary".to_owned()))
    );
    assert_eq!(
        tool.attributes.get(attr::SHELL_COMMAND),
        Some(&Value::Str(
            "cat /home/someone/native_canary.txt".to_owned()
        ))
    );
}

#[test]
fn odd_values_never_panic_and_every_item_is_accounted_for() {
    let odd = || {
        attrs(&[
            (
                "event.name",
                json!({ "arrayValue": { "values": [s("x")] } }),
            ),
            ("session.id", json!({ "kvlistValue": { "values": [] } })),
            ("input_tokens", s("not a number")),
            ("cost_usd", s("NaN")),
            ("tool.parameters", i(3)),
            ("input", s("{\"tool\": 5}")),
            ("openinference.span.kind", i(1)),
            ("model", json!({})),
        ])
    };
    let weird_log = json!({ "severityNumber": 9, "attributes": odd() });
    let body_only = json!({ "severityNumber": 9, "body": s("api_request"), "attributes": odd() });
    let requests = vec![
        logs(
            plugin_resource(),
            "com.opencode",
            vec![weird_log.clone(), body_only.clone()],
        ),
        spans(
            plugin_resource(),
            "com.opencode",
            vec![
                span("", "", "", 5, 1, odd()),
                span("opencode.llm", "ab", "", 0, 0, odd()),
            ],
        ),
        logs(
            goose_resource("goose"),
            "goose_cli::cli",
            vec![weird_log.clone(), body_only],
        ),
        spans(
            goose_resource("goose"),
            "goose",
            vec![
                span("dispatch_tool_call", "", "", 5, 1, odd()),
                span("complete", "01", "01", 0, 0, odd()),
            ],
        ),
        spans(
            native_resource(),
            "opencode@1.18.33",
            vec![
                span("Tool.execute", "", "", 3, 2, odd()),
                span("ai.toolCall", "", "", 0, 0, odd()),
            ],
        ),
        logs(native_resource(), "", vec![weird_log]),
    ];
    let capture = capture(requests);
    for mode in CaptureMode::ALL {
        let output = run(&capture, mode);
        assert_eq!(output.accounting.totals.inputs, 11);
    }
}

fn service_log(span_id: &str, message: &str, context: &str, severity: i64) -> Json {
    json!({
        "timeUnixNano": "2000000", "severityNumber": severity, "severityText": if severity >= 17 { "Error" } else { "Info" },
        "traceId": "0af7651916cd43dd8448eb211c80319c", "spanId": span_id,
        "body": { "arrayValue": { "values": [s(message), s(context)] } },
        "attributes": attrs(&[("fiberId", i(1))])
    })
}

#[test]
fn native_llm_run_borrows_its_stream_log_and_fails_by_its_stream_error_log() {
    let stream = |agent: &str| {
        format!("{{\"providerID\":\"mock\",\"modelID\":\"mock-model\",\"session.id\":\"ses_n\",\"small\":\"false\",\"agent\":\"{agent}\",\"mode\":undefined}}")
    };
    let failure = "{\"providerID\":\"mock\",\"error\":{\"error\":AI_APICallError: quota for /home/someone/llm_error_canary}}";
    let capture = capture(vec![
        spans(
            native_resource(),
            "opencode",
            vec![
                // A failed request: only its `stream error` log says so.
                span("LLM.run", "2000000000000001", "", 1_000, 1_005, attrs(&[])),
                // A request with AI SDK spans below it: those are the record.
                span("LLM.run", "2000000000000002", "", 2_000, 2_010, attrs(&[])),
                span(
                    "ai.streamText",
                    "2000000000000003",
                    "2000000000000002",
                    2_001,
                    2_400,
                    attrs(&[]),
                ),
                span(
                    "ai.streamText.doStream",
                    "2000000000000004",
                    "2000000000000003",
                    2_002,
                    2_390,
                    attrs(&[
                        ("ai.usage.inputTokens", i(650)),
                        ("ai.usage.inputTokenDetails.noCacheTokens", i(150)),
                        ("ai.usage.inputTokenDetails.cacheReadTokens", i(500)),
                        ("ai.usage.outputTokens", i(9)),
                        ("ai.response.msToFirstChunk", json!({ "doubleValue": 29.6 })),
                    ]),
                ),
            ],
        ),
        logs(
            native_resource(),
            "opencode",
            vec![
                service_log("2000000000000001", "stream", &stream("build"), 9),
                service_log("2000000000000001", "stream error", failure, 17),
                service_log("2000000000000002", "stream", &stream("plan"), 9),
                // A failure whose span is not in the capture.
                service_log("20000000000000ff", "stream error", failure, 17),
            ],
        ),
    ]);
    let output = run(&capture, CaptureMode::MetadataOnly);
    let errors = of_kind(&output, RecordKind::ApiError);
    assert_eq!(
        errors.len(),
        2,
        "the failed LLM.run and the orphan stream error log"
    );
    assert!(errors
        .iter()
        .all(|it| it.attributes.get(attr::ERROR_TYPE)
            == Some(&Value::Str("AI_APICallError".to_owned()))));
    let failed_run = errors
        .iter()
        .find(|it| it.source.as_ref().is_some_and(|at| at.name == "LLM.run"))
        .expect("LLM.run api_error");
    assert_eq!(
        failed_run.attributes.get(attr::REQUEST_MODEL),
        Some(&Value::Str("mock-model".to_owned()))
    );
    assert_eq!(failed_run.session_id.as_deref(), Some("ses_n"));
    assert_eq!(
        failed_run.attributes.get(attr::QUERY_SOURCE),
        Some(&Value::Str("build".to_owned()))
    );
    assert!(
        !failed_run.attributes.contains_key(attr::DURATION_MS),
        "LLM.run's duration is stream set-up time"
    );
    let calls = of_kind(&output, RecordKind::LlmCall);
    assert_eq!(
        calls.len(),
        1,
        "the doStream, not its LLM.run or ai.streamText"
    );
    assert_eq!(
        calls[0].source.as_ref().map(|it| it.name.as_str()),
        Some("ai.streamText.doStream")
    );
    assert_eq!(int(calls[0], attr::INPUT_TOKENS), Some(650));
    assert_eq!(int(calls[0], attr::CACHE_READ_INPUT_TOKENS), Some(500));
    assert_eq!(int(calls[0], attr::TTFT_MS), Some(30));
    assert_eq!(
        calls[0].attributes.get(attr::QUERY_SOURCE),
        Some(&Value::Str("plan".to_owned()))
    );
    assert!(!text_of(&output).contains("llm_error_canary"));
    assert!(text_of(&run(&capture, CaptureMode::Full)).contains("llm_error_canary"));
}

#[test]
fn goose_spans_of_unknown_names_map_by_their_genai_operation() {
    let capture = capture(vec![spans(
        goose_resource("goose"),
        "goose",
        vec![
            span(
                "stream_response_from_provider",
                "e000000000000001",
                "",
                0,
                50,
                attrs(&[
                    ("session.id", s("20260101_1")),
                    ("gen_ai.usage.input_tokens", i(120)),
                ]),
            ),
            // The same call seen by a newer, GenAI-named span inside it: counted once.
            span(
                "chat gpt-4o",
                "e000000000000002",
                "e000000000000001",
                1,
                49,
                attrs(&[
                    ("gen_ai.operation.name", s("chat")),
                    ("gen_ai.usage.input_tokens", i(120)),
                ]),
            ),
            span(
                "execute_tool developer__shell",
                "e000000000000003",
                "",
                60,
                70,
                attrs(&[
                    ("gen_ai.operation.name", s("execute_tool")),
                    ("gen_ai.tool.name", s("developer__shell")),
                    ("gen_ai.tool.call.id", s("tc_1")),
                ]),
            ),
            span("mystery", "e000000000000004", "", 80, 90, attrs(&[])),
        ],
    )]);
    let output = run(&capture, CaptureMode::MetadataOnly);
    assert_eq!(of_kind(&output, RecordKind::LlmCall).len(), 1);
    assert_eq!(output.accounting.totals.ignored, 1);
    let tools = of_kind(&output, RecordKind::ToolCall);
    assert_eq!(tools.len(), 1);
    assert_eq!(
        tools[0].attributes.get(attr::TOOL_CALL_ID),
        Some(&Value::Str("tc_1".to_owned()))
    );
    assert_eq!(of_kind(&output, RecordKind::Passthrough).len(), 1);
    assert!(output
        .findings
        .iter()
        .any(|it| it.id == "unknown_span_name" && it.message.contains("mystery")));
}
