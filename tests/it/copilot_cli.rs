//! GitHub Copilot CLI rules the recorded corpus cannot show: the cost multiplier never becomes
//! money, `invoke_agent` totals are never counted again (whatever request the chats arrive in),
//! span names never carry content, and odd or future telemetry becomes findings, not failures.

use codetel::capture::{Capture, Request};
use codetel::normalize::{self, Options, Output};
use codetel::otlp::{self, Encoding, Signal};
use codetel::schema::{attributes as attr, CanonicalRecord, CaptureMode, Value};
use serde_json::{json, Value as Json};

/// Normalizes OTLP/JSON bodies as one capture, one request each, in order.
fn normalize_bodies(bodies: &[(Signal, Json)], mode: CaptureMode) -> Output {
    let requests = bodies
        .iter()
        .enumerate()
        .map(|(index, (signal, body))| {
            let bytes = serde_json::to_vec(body).expect("serialize");
            let decoded = otlp::decode(*signal, Encoding::Json, &bytes).expect("test body decodes");
            Request {
                file: format!("{:04}-{signal}.json", index + 1),
                signal: *signal,
                encoding: Encoding::Json,
                gzip: false,
                decoded,
            }
        })
        .collect();
    let capture = Capture { path: "inline".into(), manifest: None, requests };
    let output = normalize::normalize(&capture, &Options::new(mode));
    assert!(output.accounting.totals.balances(), "{:?}", output.accounting);
    assert!(output.findings.iter().all(|it| it.id != "unaccounted_item"), "{:?}", output.findings);
    output
}

fn kv(key: &str, value: Json) -> Json {
    json!({ "key": key, "value": value })
}

fn s(text: &str) -> Json {
    json!({ "stringValue": text })
}

/// `intValue` as the Copilot exporter spells it in JSON: a string.
fn i(number: i64) -> Json {
    json!({ "intValue": number.to_string() })
}

const TRACE: &str = "5cc182e3f787aa66fb89652c40348963";
const ROOT: &str = "5b2fb9d08fd2b407";

fn span(span_id: &str, parent: &str, name: &str, attributes: Vec<Json>, events: Vec<Json>) -> Json {
    json!({
        "traceId": TRACE, "spanId": span_id, "parentSpanId": parent, "name": name, "kind": 1,
        "startTimeUnixNano": "1795271425663000000", "endTimeUnixNano": "1795271426614000000",
        "attributes": attributes, "events": events, "status": { "code": 0 }
    })
}

fn traces(spans: Vec<Json>) -> (Signal, Json) {
    traces_with(
        vec![kv("service.name", s("github-copilot")), kv("service.version", s("1.0.102"))],
        "github.copilot",
        spans,
    )
}

fn traces_with(resource: Vec<Json>, scope: &str, spans: Vec<Json>) -> (Signal, Json) {
    let body = json!({ "resourceSpans": [{
        "resource": { "attributes": resource },
        "scopeSpans": [{ "scope": { "name": scope, "version": "1.0.102" }, "spans": spans }]
    }]});
    (Signal::Traces, body)
}

fn invoke_agent(input_tokens: i64, output_tokens: i64) -> Json {
    span(
        ROOT,
        "",
        "invoke_agent",
        vec![
            kv("gen_ai.operation.name", s("invoke_agent")),
            kv("gen_ai.conversation.id", s("conv-1")),
            kv("gen_ai.usage.input_tokens", i(input_tokens)),
            kv("gen_ai.usage.output_tokens", i(output_tokens)),
            kv("gen_ai.usage.cache_read.input_tokens", i(500)),
            kv("github.copilot.cost", json!({ "doubleValue": 1.0 })),
            kv("github.copilot.nano_aiu", i(123_456_789)),
        ],
        vec![json!({ "timeUnixNano": "1795271425663000000", "name": "github.copilot.user.message", "attributes": [
            kv("github.copilot.user.message.source", s("user")),
            kv("github.copilot.user.message.interaction_id", s("interaction-1")),
        ]})],
    )
}

fn chat(span_id: &str, input_tokens: i64, cache_read: i64, output_tokens: i64, cost: f64) -> Json {
    span(
        span_id,
        ROOT,
        "chat gpt-4.1",
        vec![
            kv("gen_ai.operation.name", s("chat")),
            kv("gen_ai.provider.name", s("github")),
            kv("gen_ai.request.model", s("gpt-4.1")),
            kv("gen_ai.conversation.id", s("conv-1")),
            kv("gen_ai.usage.input_tokens", i(input_tokens)),
            kv("gen_ai.usage.output_tokens", i(output_tokens)),
            kv("gen_ai.usage.cache_read.input_tokens", i(cache_read)),
            kv("github.copilot.cost", json!({ "doubleValue": cost })),
            kv("github.copilot.interaction_id", s("interaction-1")),
            kv("github.copilot.turn_id", s(span_id)),
        ],
        vec![],
    )
}

fn of_kind<'a>(output: &'a Output, kind: &str) -> Vec<&'a CanonicalRecord> {
    output.records.iter().filter(|it| it.kind.as_str() == kind).collect()
}

fn int(record: &CanonicalRecord, key: &str) -> Option<i64> {
    match record.attributes.get(key) {
        Some(Value::Int(it)) => Some(*it),
        _ => None,
    }
}

fn text<'a>(record: &'a CanonicalRecord, key: &str) -> Option<&'a str> {
    match record.attributes.get(key) {
        Some(Value::Str(it)) => Some(it),
        _ => None,
    }
}

fn finding_ids(output: &Output) -> Vec<&'static str> {
    output.findings.iter().map(|it| it.id).collect()
}

#[test]
fn copilot_cost_multiplier_and_ai_units_never_become_money() {
    let output = normalize_bodies(
        &[traces(vec![chat("00000000000000c1", 650, 500, 55, 3.0), invoke_agent(650, 55)])],
        CaptureMode::MetadataOnly,
    );
    assert_eq!(of_kind(&output, "llm_call").len(), 1);
    for record in &output.records {
        assert!(!record.attributes.contains_key("coding_agent.cost.usd_micros"), "{record:?}");
    }
    let call = of_kind(&output, "llm_call")[0];
    // Kept under its own key, declared metadata, so `metadata_only` keeps the number.
    assert_eq!(call.vendor_attributes.get("github.copilot.cost"), Some(&Value::Double(3.0)));
    let turn = of_kind(&output, "turn")[0];
    assert_eq!(turn.vendor_attributes.get("github.copilot.nano_aiu"), Some(&Value::Int(123_456_789)));
}

#[test]
fn copilot_turn_totals_are_not_counted_again_when_chats_arrive_in_another_request() {
    // The root ends last, so a batch exporter may send it after (or before) its children.
    for order in [[0, 1], [1, 0]] {
        let requests = [
            traces(vec![invoke_agent(1300, 76)]),
            traces(vec![chat("00000000000000c1", 650, 500, 55, 0.0), chat("00000000000000c2", 650, 500, 21, 0.0)]),
        ];
        let bodies: Vec<_> = order.iter().map(|index| requests[*index].clone()).collect();
        let output = normalize_bodies(&bodies, CaptureMode::MetadataOnly);
        let sum = |key| output.records.iter().filter_map(|it| int(it, key)).sum::<i64>();
        assert_eq!(sum("gen_ai.usage.input_tokens"), 1300, "each chat once, the turn not at all");
        assert_eq!(sum("gen_ai.usage.output_tokens"), 76);
        assert_eq!(sum("gen_ai.usage.cache_read.input_tokens"), 1000);
        assert_eq!(of_kind(&output, "llm_call").len(), 2);
        let turn = of_kind(&output, "turn")[0];
        assert!(turn.attributes.keys().all(|it| !it.starts_with("gen_ai.usage.")), "{turn:?}");
        assert_eq!(turn.vendor_attributes.get("aggregate.gen_ai.usage.input_tokens"), Some(&Value::Int(1300)));
        assert_eq!(
            turn.vendor_attributes.get("aggregate.gen_ai.usage.cache_read.input_tokens"),
            Some(&Value::Int(500))
        );
        // Every span record belongs to the session, and the turn to its user message.
        for record in output.records.iter().filter(|it| it.kind.as_str() != "session") {
            assert_eq!(record.session_id.as_deref(), Some("conv-1"), "{record:?}");
        }
        assert_eq!(text(turn, "coding_agent.prompt.id"), Some("interaction-1"));
        assert_eq!(of_kind(&output, "user_prompt").len(), 1);
    }
}

#[test]
fn copilot_span_names_never_carry_a_command_into_metadata() {
    let canary = "CANARY-SPAN-NAME-CMD";
    let tool = span(
        "00000000000000b1",
        ROOT,
        &format!("execute_tool bash {canary} --force"),
        vec![
            kv("gen_ai.operation.name", s("execute_tool")),
            kv("gen_ai.tool.name", s("bash")),
            kv("gen_ai.tool.call.id", s("call_1")),
            kv("gen_ai.conversation.id", s("conv-1")),
        ],
        vec![],
    );
    let mismatched_tool = span(
        "00000000000000b2",
        ROOT,
        &format!("execute_tool {canary}"),
        vec![kv("gen_ai.tool.name", s("view"))],
        vec![],
    );
    let unknown = span(
        "00000000000000d1",
        ROOT,
        &format!("run {canary} now"),
        vec![kv("gen_ai.conversation.id", s("conv-1"))],
        vec![],
    );
    let output = normalize_bodies(&[traces(vec![tool, mismatched_tool, unknown])], CaptureMode::MetadataOnly);
    let names: Vec<&str> =
        output.records.iter().filter_map(|it| it.source.as_ref()).map(|it| it.name.as_str()).collect();
    assert_eq!(names, ["execute_tool bash", "execute_tool", "run"]);
    let text =
        serde_json::to_string(&json!({ "records": output.records, "findings": output.findings })).unwrap_or_default();
    assert!(!text.contains(canary), "a span name leaked into metadata_only: {text}");
    // `full` keeps the raw name, as a vendor attribute.
    let full = normalize_bodies(
        &[traces(vec![span(
            "00000000000000b1",
            ROOT,
            &format!("execute_tool bash {canary}"),
            vec![kv("gen_ai.tool.name", s("bash"))],
            vec![],
        )])],
        CaptureMode::Full,
    );
    let tool = of_kind(&full, "tool_call")[0];
    assert_eq!(tool.vendor_attributes.get("span.name"), Some(&Value::Str(format!("execute_tool bash {canary}"))));
    assert!(finding_ids(&output).contains(&"unknown_span_name"));
}

#[test]
fn copilot_shell_exit_status_is_kept_apart_from_success_in_every_mode() {
    // A bash call whose command failed: the tool ran (status unset, no error.type), so the call
    // succeeded; the command's status is its own key, and metadata in every mode.
    let tool = span(
        "00000000000000b1",
        ROOT,
        "execute_tool bash",
        vec![kv("gen_ai.tool.name", s("bash")), kv("gen_ai.tool.call.id", s("call_1")), kv("process.exit.code", i(3))],
        vec![],
    );
    for mode in [CaptureMode::Minimal, CaptureMode::MetadataOnly, CaptureMode::Full] {
        let output = normalize_bodies(&[traces(vec![tool.clone()])], mode);
        let call = of_kind(&output, "tool_call")[0];
        assert_eq!(int(call, attr::SHELL_EXIT_CODE), Some(3), "{mode:?}");
        assert_eq!(call.attributes.get(attr::SUCCESS), Some(&Value::Bool(true)), "{mode:?}");
        assert!(!call.vendor_attributes.contains_key("process.exit.code"), "{mode:?}: mapped, not kept twice");
    }
}

#[test]
fn copilot_a_tool_call_the_rules_deny_is_a_rejected_decision() {
    // `--deny-tool='shell(rm)'` (search_tools): the span fails with `error.type` `denied`; a
    // call that failed for another reason (`ToolError`) carries no decision.
    let denied = span(
        "00000000000000c1",
        ROOT,
        "execute_tool bash",
        vec![kv("gen_ai.tool.name", s("bash")), kv("gen_ai.tool.call.id", s("call_1")), kv("error.type", s("denied"))],
        vec![],
    );
    let failed = span(
        "00000000000000c2",
        ROOT,
        "execute_tool create",
        vec![kv("gen_ai.tool.name", s("create")), kv("gen_ai.tool.call.id", s("call_2")), kv("error.type", s("ToolError"))],
        vec![],
    );
    for mode in CaptureMode::ALL {
        let output = normalize_bodies(&[traces(vec![denied.clone(), failed.clone()])], mode);
        let calls = of_kind(&output, "tool_call");
        let by_id = |id: &str| {
            calls.iter().find(|it| text(it, attr::TOOL_CALL_ID) == Some(id)).copied().expect("the call")
        };
        let rm = by_id("call_1");
        assert_eq!(text(rm, attr::DECISION), Some("reject"), "{mode:?}");
        assert_eq!(rm.attributes.get(attr::SUCCESS), Some(&Value::Bool(false)), "{mode:?}");
        assert_eq!(text(by_id("call_2"), attr::DECISION), None, "{mode:?}");
    }
}

#[test]
fn copilot_uncached_input_is_made_to_include_the_cache() {
    let output =
        normalize_bodies(&[traces(vec![chat("00000000000000c1", 150, 500, 10, 0.0)])], CaptureMode::MetadataOnly);
    let call = of_kind(&output, "llm_call")[0];
    assert_eq!(int(call, "gen_ai.usage.input_tokens"), Some(650));
    assert_eq!(int(call, "gen_ai.usage.cache_read.input_tokens"), Some(500));
    assert!(finding_ids(&output).contains(&"input_tokens_exclude_cache"));
    // The observed case (input includes cache) is left alone, without a finding.
    let output =
        normalize_bodies(&[traces(vec![chat("00000000000000c1", 650, 500, 10, 0.0)])], CaptureMode::MetadataOnly);
    assert_eq!(int(of_kind(&output, "llm_call")[0], "gen_ai.usage.input_tokens"), Some(650));
    assert!(!finding_ids(&output).contains(&"input_tokens_exclude_cache"));
}

#[test]
fn copilot_failed_attempts_are_api_errors_numbered_before_the_success() {
    let failed = |span_id: &str, start: &str| {
        json!({
            "traceId": TRACE, "spanId": span_id, "parentSpanId": ROOT, "name": "chat gpt-4.1", "kind": 3,
            "startTimeUnixNano": start, "endTimeUnixNano": "1795271425700000000",
            "attributes": [
                kv("gen_ai.conversation.id", s("conv-1")),
                kv("error.type", s("ModelCallError")),
                kv("github.copilot.interaction_id", s("interaction-1")),
                kv("github.copilot.turn_id", s("0")),
            ],
            "events": [{ "timeUnixNano": start, "name": "gen_ai.client.operation.exception", "attributes": [
                kv("exception.type", s("ModelCallError")),
                kv("exception.message", s("upstream said CANARY-ERROR-TEXT")),
            ]}],
            "status": { "code": 2, "message": "Model call failed" }
        })
    };
    let mut success = chat("00000000000000aa", 650, 500, 10, 0.0);
    success["attributes"].as_array_mut().expect("attributes").push(kv("github.copilot.turn_id", s("0")));
    success["startTimeUnixNano"] = json!("1795271425900000000");
    let body = traces(vec![
        success,
        failed("00000000000000f2", "1795271425800000000"),
        failed("00000000000000f1", "1795271425700000000"),
    ]);
    let output = normalize_bodies(std::slice::from_ref(&body), CaptureMode::MetadataOnly);
    let errors = of_kind(&output, "api_error");
    assert_eq!(errors.len(), 2);
    assert_eq!(of_kind(&output, "llm_call").len(), 1);
    let attempts: Vec<Option<i64>> = output
        .records
        .iter()
        .filter(|it| it.source.as_ref().is_some_and(|s| s.name.starts_with("chat")))
        .map(|it| int(it, "coding_agent.attempt"))
        .collect();
    assert_eq!(attempts, [Some(3), Some(2), Some(1)]);
    for error in &errors {
        assert_eq!(text(error, "coding_agent.error.type"), Some("ModelCallError"));
        assert!(!error.attributes.contains_key("gen_ai.usage.input_tokens"));
        assert!(!error.attributes.contains_key("coding_agent.error.message"), "content in metadata_only");
    }
    let full = normalize_bodies(&[body], CaptureMode::Full);
    let messages: Vec<&str> =
        of_kind(&full, "api_error").iter().filter_map(|it| text(it, "coding_agent.error.message")).collect();
    assert_eq!(messages, ["upstream said CANARY-ERROR-TEXT", "upstream said CANARY-ERROR-TEXT"]);
}

#[test]
fn copilot_sandbox_and_hook_content_stays_in_content_keys() {
    let tool = span(
        "00000000000000b1",
        ROOT,
        "execute_tool bash",
        vec![
            kv("gen_ai.tool.name", s("bash")),
            kv("gen_ai.conversation.id", s("conv-1")),
            kv("gen_ai.tool.call.arguments", s(r#"{"command":"cat CANARY-ARG-PATH/secret.txt"}"#)),
        ],
        vec![
            json!({ "timeUnixNano": "1795271425700000000", "name": "github.copilot.sandbox.access_denied", "attributes": [
                kv("github.copilot.sandbox.denial_class", s("filesystem")),
                kv("github.copilot.sandbox.denied_command", s("cat CANARY-SANDBOX-CMD")),
                kv("github.copilot.sandbox.denied_resource", s("/home/u/CANARY-SANDBOX-PATH")),
                kv("github.copilot.sandbox.policy.denied_paths", json!({ "arrayValue": { "values": [s("/CANARY-POLICY-PATH")] } })),
            ]}),
            json!({ "timeUnixNano": "1795271425700000000", "name": "github.copilot.hook.error", "attributes": [
                kv("github.copilot.hook.type", s("preToolUse")),
                kv("github.copilot.hook.error_message", s("hook failed on CANARY-HOOK-TEXT")),
            ]}),
            json!({ "timeUnixNano": "1795271425700000000", "name": "github.copilot.brand_new_event", "attributes": [
                kv("anything", s("CANARY-NEW-EVENT")),
            ]}),
        ],
    );
    let output = normalize_bodies(&[traces(vec![invoke_agent(0, 0), tool])], CaptureMode::MetadataOnly);
    let text_out =
        serde_json::to_string(&json!({ "records": output.records, "findings": output.findings })).unwrap_or_default();
    for canary in [
        "CANARY-ARG-PATH",
        "CANARY-SANDBOX-CMD",
        "CANARY-SANDBOX-PATH",
        "CANARY-POLICY-PATH",
        "CANARY-HOOK-TEXT",
        "CANARY-NEW-EVENT",
    ] {
        assert!(!text_out.contains(canary), "{canary} survives metadata_only");
    }
    let call = of_kind(&output, "tool_call")[0];
    assert_eq!(text(call, "coding_agent.tool.category"), Some("shell"));
    assert_eq!(text(call, "coding_agent.prompt.id"), Some("interaction-1"), "from its turn");
    let full = normalize_bodies(
        &[traces(vec![span(
            "00000000000000b1",
            ROOT,
            "execute_tool bash",
            vec![kv("gen_ai.tool.name", s("bash")), kv("gen_ai.tool.call.arguments", s(r#"{"command":"ls x"}"#))],
            vec![
                json!({ "timeUnixNano": "1795271425700000000", "name": "github.copilot.sandbox.access_denied", "attributes": [
                    kv("github.copilot.sandbox.denied_command", s("cat y")),
                    kv("github.copilot.sandbox.denied_resource", s("/z")),
                ]}),
            ],
        )])],
        CaptureMode::Full,
    );
    assert_eq!(text(of_kind(&full, "tool_call")[0], "coding_agent.shell.command"), Some("ls x"));
    let denial = of_kind(&full, "passthrough")[0];
    assert_eq!(text(denial, "coding_agent.shell.command"), Some("cat y"));
    assert_eq!(text(denial, "coding_agent.file.path"), Some("/z"));
    let ids = finding_ids(&output);
    assert_eq!(ids.iter().filter(|it| **it == "unknown_span_event_name").count(), 1, "{ids:?}");
}

#[test]
fn copilot_odd_input_becomes_findings_and_passthrough_not_failures() {
    let chat_span = chat("00000000000000c1", 650, 500, 10, 0.0);
    let mut no_session = chat("00000000000000c2", 10, 0, 1, 0.0);
    no_session["attributes"].as_array_mut().expect("attributes").retain(|it| it["key"] != "gen_ai.conversation.id");
    let mut bad_tokens = chat("00000000000000c3", 10, 0, 1, 0.0);
    bad_tokens["attributes"].as_array_mut().expect("attributes").push(kv("gen_ai.usage.output_tokens", s("many")));
    let output = normalize_bodies(
        &[
            traces(vec![chat_span.clone(), no_session, bad_tokens]),
            // Re-exported: the same span again.
            traces(vec![chat_span]),
            (
                Signal::Logs,
                json!({ "resourceLogs": [{
                    "resource": { "attributes": [kv("service.name", s("github-copilot"))] },
                    "scopeLogs": [{ "scope": { "name": "github.copilot" }, "logRecords": [
                        { "timeUnixNano": "1795271425700000000", "body": s("CANARY-LOG-BODY") }
                    ]}]
                }]}),
            ),
        ],
        CaptureMode::MetadataOnly,
    );
    assert_eq!(output.accounting.totals.ignored, 1, "{:?}", output.accounting);
    assert_eq!(of_kind(&output, "llm_call").len(), 3);
    let fallback = output.records.iter().find(|it| text(it, "coding_agent.span_id") == Some("00000000000000c2"));
    assert!(fallback.is_some_and(|it| it.session_id.as_deref() == Some("conv-1")), "session taken from the trace");
    let ids = finding_ids(&output);
    for id in ["uncoercible_value", "unexpected_log_record"] {
        assert!(ids.contains(&id), "no {id} in {ids:?}");
    }
    let text_out = serde_json::to_string(&output.records).unwrap_or_default();
    assert!(!text_out.contains("CANARY-LOG-BODY"));
}

#[test]
fn copilot_metrics_convert_seconds_and_split_tokens_and_lines() {
    let point = |value: Json, attributes: Vec<Json>| {
        let mut point = json!({ "timeUnixNano": "1795271426000000000", "startTimeUnixNano": "1795271420000000000", "attributes": attributes });
        for (key, value) in value.as_object().expect("object") {
            point[key] = value.clone();
        }
        point
    };
    let body = json!({ "resourceMetrics": [{
        "resource": { "attributes": [kv("service.name", s("github-copilot")), kv("service.version", s("1.0.102"))] },
        "scopeMetrics": [{ "scope": { "name": "github.copilot", "version": "1.0.102" }, "metrics": [
            { "name": "gen_ai.client.inference.duration", "unit": "s", "histogram": { "aggregationTemporality": 2, "dataPoints": [
                point(json!({ "count": "2", "sum": 0.398884163 }), vec![kv("gen_ai.request.model", s("gpt-4.1"))])
            ]}},
            { "name": "gen_ai.client.inference.usage.cache_write.input_tokens", "unit": "{token}", "sum": { "aggregationTemporality": 2, "isMonotonic": true, "dataPoints": [
                point(json!({ "asInt": "42" }), vec![kv("gen_ai.token.modality", s("unknown"))])
            ]}},
            { "name": "github.copilot.code.lines_removed", "unit": "{line}", "sum": { "aggregationTemporality": 2, "isMonotonic": true, "dataPoints": [
                point(json!({ "asInt": "7" }), vec![])
            ]}},
            { "name": "github.copilot.tool.call.count", "unit": "{call}", "sum": { "aggregationTemporality": 2, "isMonotonic": true, "dataPoints": [
                point(json!({ "asInt": "1" }), vec![kv("gen_ai.tool.name", s("bash")), kv("success", json!({ "boolValue": false }))])
            ]}},
            { "name": "github.copilot.brand_new.count", "unit": "1", "sum": { "aggregationTemporality": 2, "isMonotonic": true, "dataPoints": [
                point(json!({ "asInt": "1" }), vec![])
            ]}}
        ]}]
    }]});
    let output = normalize_bodies(&[(Signal::Metrics, body)], CaptureMode::MetadataOnly);
    let points = of_kind(&output, "metric_point");
    assert_eq!(points.len(), 5);
    let metric =
        |name: &str| *points.iter().find(|it| text(it, "coding_agent.metric.source_name") == Some(name)).expect(name);
    let duration = metric("gen_ai.client.inference.duration");
    assert_eq!(text(duration, "coding_agent.metric.name"), Some("coding_agent.api.request.duration"));
    assert_eq!(text(duration, "coding_agent.metric.unit"), Some("ms"));
    assert_eq!(duration.attributes.get("coding_agent.metric.value"), Some(&Value::Double(398.884)));
    assert_eq!(int(duration, "coding_agent.metric.count"), Some(2));
    let cache = metric("gen_ai.client.inference.usage.cache_write.input_tokens");
    assert_eq!(text(cache, "coding_agent.metric.name"), Some("coding_agent.token.usage"));
    assert_eq!(text(cache, "gen_ai.token.type"), Some("cache_creation"));
    assert_eq!(int(cache, "coding_agent.metric.value"), Some(42));
    let lines = metric("github.copilot.code.lines_removed");
    assert_eq!(text(lines, "coding_agent.metric.name"), Some("coding_agent.lines_of_code.count"));
    assert_eq!(text(lines, "coding_agent.lines.type"), Some("removed"));
    let calls = metric("github.copilot.tool.call.count");
    assert_eq!(text(calls, "coding_agent.metric.name"), Some("coding_agent.tool.call.count"));
    assert_eq!(calls.attributes.get("coding_agent.success"), Some(&Value::Bool(false)));
    assert_eq!(
        text(metric("github.copilot.brand_new.count"), "coding_agent.metric.name"),
        Some("github.copilot.brand_new.count")
    );
    assert!(finding_ids(&output).contains(&"unknown_metric_name"));
}

#[test]
fn copilot_is_detected_by_service_name_when_the_scope_is_renamed() {
    // `COPILOT_OTEL_SOURCE_NAME` renames the scope; `service.name` still says Copilot.
    let body = traces_with(
        vec![kv("service.name", s("github-copilot"))],
        "my.custom.scope",
        vec![chat("00000000000000c1", 650, 500, 10, 0.0)],
    );
    let output = normalize_bodies(&[body], CaptureMode::MetadataOnly);
    assert_eq!(output.accounting.by_vendor.get("copilot_cli").map(|it| it.normalized), Some(1));
    assert_eq!(of_kind(&output, "llm_call").len(), 1);
}

#[test]
fn copilot_turn_prompt_is_the_last_user_message_without_its_datetime_block() {
    let mut agent = invoke_agent(10, 2);
    let input = json!([
        { "role": "user", "parts": [{ "type": "text", "content": "an older prompt" }] },
        { "role": "assistant", "parts": [{ "type": "text", "content": "an older answer" }] },
        { "role": "user", "parts": [{ "type": "text", "content": "<current_datetime>2026-01-01T00:00:00Z</current_datetime>\n\nCANARY-NEW-PROMPT please" }] },
    ]);
    let output_messages = json!([{ "role": "assistant", "parts": [
        { "type": "tool_call", "id": "call_1", "name": "bash", "arguments": { "command": "CANARY-NOT-AN-ANSWER" } },
        { "type": "text", "content": "CANARY-ANSWER done" },
    ]}]);
    let attributes = agent["attributes"].as_array_mut().expect("attributes");
    attributes.push(kv("gen_ai.input.messages", s(&input.to_string())));
    attributes.push(kv("gen_ai.output.messages", s(&output_messages.to_string())));
    let full = normalize_bodies(&[traces(vec![agent.clone()])], CaptureMode::Full);
    let prompt = of_kind(&full, "user_prompt")[0];
    assert_eq!(text(prompt, "coding_agent.prompt.text"), Some("CANARY-NEW-PROMPT please"));
    assert_eq!(int(prompt, "coding_agent.prompt.length"), Some(24));
    let turn = of_kind(&full, "turn")[0];
    assert_eq!(text(turn, "coding_agent.response.text"), Some("CANARY-ANSWER done"));
    assert!(!turn.attributes.contains_key("coding_agent.prompt.text"), "the prompt is on its user_prompt record");
    let metadata = normalize_bodies(&[traces(vec![agent])], CaptureMode::MetadataOnly);
    let text_out = serde_json::to_string(&metadata.records).unwrap_or_default();
    assert!(!text_out.contains("CANARY"), "{text_out}");
}
