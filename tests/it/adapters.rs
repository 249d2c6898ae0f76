//! Checks every adapter passes, whatever it is fed, and the Claude Code rules that the
//! recorded corpus cannot show (identity conflicts, model suffixes, odd wire types).

use codetel::adapters;
use codetel::capture::{Capture, Request};
use codetel::normalize::{self, Options, Output};
use codetel::otlp::{self, Encoding, Signal};
use codetel::schema::{CaptureMode, Value};

use crate::support::{corpus_dirs, load};

/// Normalizes one OTLP/JSON body as a one-request capture.
fn check(signal: Signal, body: serde_json::Value, mode: CaptureMode) -> Output {
    let bytes = serde_json::to_vec(&body).expect("serialize");
    let decoded = otlp::decode(signal, Encoding::Json, &bytes).expect("test body decodes");
    let capture = Capture {
        path: "inline".into(),
        manifest: None,
        requests: vec![Request { file: format!("0001-{signal}.json"), signal, encoding: Encoding::Json, gzip: false, decoded }],
    };
    let output = normalize::normalize(&capture, &Options::new(mode));
    assert!(output.accounting.totals.balances(), "{:?}", output.accounting);
    output
}

fn kv(key: &str, value: serde_json::Value) -> serde_json::Value {
    serde_json::json!({ "key": key, "value": value })
}

fn claude_logs(resource: Vec<serde_json::Value>, records: Vec<serde_json::Value>) -> serde_json::Value {
    serde_json::json!({ "resourceLogs": [{
        "resource": { "attributes": resource },
        "scopeLogs": [{ "scope": { "name": "com.anthropic.claude_code.events", "version": "9.9.9" }, "logRecords": records }]
    }]})
}

#[test]
fn adapter_names_are_snake_case_sorted_and_unique() {
    let names: Vec<&str> = adapters::ALL.iter().map(|it| it.name()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(names, sorted, "adapters::ALL must be sorted by name, without duplicates");
    for name in names {
        assert!(name.chars().all(|it| it.is_ascii_lowercase() || it == '_'), "{name} is not snake_case");
        assert!(adapters::by_name(name).is_some());
        let folder = crate::support::root().join("adapters").join(name);
        assert!(folder.join("mod.rs").is_file(), "adapter {name} has no adapters/{name}/mod.rs");
    }
}

#[test]
fn every_adapter_accounts_for_every_capture_it_is_forced_onto() {
    // Adapters are total: fed another vendor's telemetry they still return records or
    // reasons for every item, and never panic.
    for dir in corpus_dirs() {
        let capture = load(&dir);
        for adapter in adapters::ALL {
            let options = Options { capture_mode: CaptureMode::MetadataOnly, force_vendor: Some(*adapter) };
            let output = normalize::normalize(&capture, &options);
            assert!(output.accounting.totals.balances(), "{} on {}", adapter.name(), dir.display());
            assert!(
                output.findings.iter().all(|it| it.id != "unaccounted_item"),
                "{} left items unaccounted in {}",
                adapter.name(),
                dir.display()
            );
        }
    }
}

#[test]
fn claude_code_record_identity_wins_over_the_resource_and_conflicts_are_reported() {
    let body = claude_logs(
        vec![kv("service.name", serde_json::json!({"stringValue": "claude-code"})), kv("user.id", serde_json::json!({"stringValue": "resource-user"}))],
        vec![
            serde_json::json!({ "timeUnixNano": "1700000000000000000", "body": {"stringValue": "claude_code.user_prompt"}, "attributes": [
                kv("event.name", serde_json::json!({"stringValue": "user_prompt"})),
                kv("session.id", serde_json::json!({"stringValue": "s1"})),
                kv("user.id", serde_json::json!({"stringValue": "record-user"})),
                kv("prompt_length", serde_json::json!({"stringValue": "12"})),
                kv("prompt", serde_json::json!({"stringValue": "<REDACTED>"})),
            ]}),
            serde_json::json!({ "timeUnixNano": "1700000000000000001", "body": {"stringValue": "claude_code.user_prompt"}, "attributes": [
                kv("event.name", serde_json::json!({"stringValue": "user_prompt"})),
                kv("session.id", serde_json::json!({"stringValue": "s1"})),
            ]}),
        ],
    );
    let output = check(Signal::Logs, body, CaptureMode::Full);
    let prompts: Vec<_> = output.records.iter().filter(|it| it.kind.as_str() == "user_prompt").collect();
    assert_eq!(prompts[0].attributes.get("coding_agent.user.id"), Some(&Value::Str("record-user".to_owned())));
    assert_eq!(prompts[1].attributes.get("coding_agent.user.id"), Some(&Value::Str("resource-user".to_owned())));
    assert_eq!(prompts[0].attributes.get("coding_agent.prompt.length"), Some(&Value::Int(12)), "string coerced");
    assert!(!prompts[0].attributes.contains_key("coding_agent.prompt.text"), "<REDACTED> is absence, not content");
    assert_eq!(output.findings.iter().filter(|it| it.id == "user_id_conflict").count(), 1);
}

#[test]
fn claude_code_models_are_normalized_and_kept_raw_and_cost_is_exact() {
    let body = serde_json::json!({ "resourceMetrics": [{
        "resource": { "attributes": [kv("service.name", serde_json::json!({"stringValue": "claude-code"}))] },
        "scopeMetrics": [{ "scope": { "name": "com.anthropic.claude_code" }, "metrics": [{
            "name": "claude_code.cost.usage", "unit": "USD",
            "sum": { "aggregationTemporality": 1, "isMonotonic": true, "dataPoints": [
                { "asDouble": 0.1234565, "timeUnixNano": "1700000000000000000", "attributes": [
                    kv("model", serde_json::json!({"stringValue": "claude-opus-4-8[1m]"})),
                    kv("session.id", serde_json::json!({"stringValue": "s1"})),
                ]}
            ]}
        }]}]
    }]});
    let output = check(Signal::Metrics, body, CaptureMode::MetadataOnly);
    let point = output.records.iter().find(|it| it.kind.as_str() == "metric_point").expect("a metric point");
    assert_eq!(point.attributes.get("gen_ai.request.model"), Some(&Value::Str("claude-opus-4-8".to_owned())));
    assert_eq!(point.attributes.get("coding_agent.model.raw"), Some(&Value::Str("claude-opus-4-8[1m]".to_owned())));
    assert_eq!(point.attributes.get("coding_agent.metric.value"), Some(&Value::Int(123_457)), "micro-USD, rounded half up");
    assert_eq!(point.attributes.get("coding_agent.metric.unit"), Some(&Value::Str("micro-USD".to_owned())));
}

#[test]
fn claude_code_odd_records_become_findings_not_failures() {
    let body = claude_logs(
        vec![kv("service.name", serde_json::json!({"stringValue": "claude-code"}))],
        vec![
            // No event name at all: rejected with a reason.
            serde_json::json!({ "timeUnixNano": "1700000000000000000", "attributes": [kv("session.id", serde_json::json!({"stringValue": "s1"}))] }),
            // A future event: passthrough with a finding, content reduced.
            serde_json::json!({ "timeUnixNano": "1700000000000000000", "body": {"stringValue": "claude_code.brand_new_event"}, "attributes": [
                kv("event.name", serde_json::json!({"stringValue": "brand_new_event"})),
                kv("secret_sauce", serde_json::json!({"stringValue": "CANARY-NEW-EVENT"})),
                kv("nothing", serde_json::json!({})),
            ]}),
            // Token counts as strings, a number where a string was expected.
            serde_json::json!({ "timeUnixNano": "1700000000000000000", "body": {"stringValue": "claude_code.api_request"}, "attributes": [
                kv("event.name", serde_json::json!({"stringValue": "api_request"})),
                kv("input_tokens", serde_json::json!({"stringValue": "10"})),
                kv("cache_read_tokens", serde_json::json!({"intValue": "5"})),
                kv("output_tokens", serde_json::json!({"stringValue": "not a number"})),
                kv("cost_usd", serde_json::json!({"stringValue": "0.0123"})),
            ]}),
        ],
    );
    let output = check(Signal::Logs, body, CaptureMode::MetadataOnly);
    assert_eq!(output.accounting.totals.rejected, 1);
    assert_eq!(output.accounting.totals.normalized, 2);
    let ids: Vec<&str> = output.findings.iter().map(|it| it.id).collect();
    for id in ["missing_event_name", "unknown_event_name", "uncoercible_value"] {
        assert!(ids.contains(&id), "no {id} finding in {ids:?}");
    }
    let text = serde_json::to_string(&output.records).expect("serialize");
    assert!(!text.contains("CANARY-NEW-EVENT"), "unknown attributes are default-deny");
    let call = output.records.iter().find(|it| it.kind.as_str() == "llm_call").expect("llm_call");
    assert_eq!(call.attributes.get("gen_ai.usage.input_tokens"), Some(&Value::Int(15)), "input includes cache reads");
    assert_eq!(call.attributes.get("coding_agent.cost.usd_micros"), Some(&Value::Int(12_300)));
    assert!(!call.attributes.contains_key("gen_ai.usage.output_tokens"), "absent stays absent");
}

#[test]
fn a_canary_in_a_malformed_field_stays_out_of_records_and_findings() {
    let body = claude_logs(
        vec![kv("service.name", serde_json::json!({"stringValue": "claude-code"}))],
        vec![serde_json::json!({
            "timeUnixNano": "CANARY-MALFORMED-TIME",
            "body": {"stringValue": "claude_code.user_prompt"},
            "attributes": [
                kv("event.name", serde_json::json!({"stringValue": "user_prompt"})),
                kv("prompt_length", serde_json::json!({"intValue": "CANARY-MALFORMED-INT"})),
            ],
            "traceId": "CANARY-MALFORMED-TRACE-ID",
        })],
    );
    for mode in [CaptureMode::Minimal, CaptureMode::MetadataOnly] {
        let output = check(Signal::Logs, body.clone(), mode);
        assert!(output.findings.iter().any(|it| it.id == "undecodable_field"), "the bad fields are reported");
        let text = serde_json::to_string(&(&output.records, &output.findings)).expect("serialize");
        assert!(!text.contains("CANARY-MALFORMED"), "{text}");
    }
}

#[test]
fn tool_arguments_yield_command_and_path_whatever_the_vendor_calls_them() {
    use codetel::adapter::{command_and_path_from_arguments, RecordBuilder};
    use codetel::schema::{attributes as attr, RecordKind};
    let body = claude_logs(
        vec![kv("service.name", serde_json::json!({"stringValue": "claude-code"}))],
        vec![serde_json::json!({ "timeUnixNano": "1", "body": {"stringValue": "claude_code.tool_result"}, "attributes": [] })],
    );
    let bytes = serde_json::to_vec(&body).expect("serialize");
    let decoded = otlp::decode(Signal::Logs, Encoding::Json, &bytes).expect("decode");
    let request = Request { file: "0001-logs.json".to_owned(), signal: Signal::Logs, encoding: Encoding::Json, gzip: false, decoded };
    let capture = Capture { path: "inline".into(), manifest: None, requests: vec![request] };
    let items = codetel::adapter::items(&capture);
    let cases = [
        (r#"{"command": "ls -la", "file_path": "/a/b"}"#, Some("ls -la"), Some("/a/b")),
        (r#"{"full_command": "git status", "bash_command": "git"}"#, Some("git status"), None),
        (r#"{"cmd": ["echo", "hi"], "filePath": "x.txt"}"#, Some("echo hi"), Some("x.txt")),
        (r#"{"args": {"command": "pwd", "dir_path": "/w"}}"#, Some("pwd"), Some("/w")),
        (r#"not json"#, None, None),
        (r#"{"command": ""}"#, None, None),
    ];
    for (arguments, command, path) in cases {
        let mut builder = RecordBuilder::new("test_vendor", RecordKind::ToolCall, &items[0], "tool");
        let _ = builder.set(attr::TOOL_ARGUMENTS, Value::Str(arguments.to_owned()));
        command_and_path_from_arguments(&mut builder, &[attr::TOOL_ARGUMENTS]);
        let text = |key| match builder.get(key) {
            Some(Value::Str(it)) => Some(it.as_str()),
            _ => None,
        };
        assert_eq!(text(attr::SHELL_COMMAND), command, "{arguments}");
        assert_eq!(text(attr::FILE_PATH), path, "{arguments}");
    }
}

#[test]
fn a_secret_in_a_name_is_scrubbed_from_findings_and_reasons_in_every_mode() {
    // Names are metadata and findings quote them (`unknown_event_name`), so a secret that an
    // exporter put into an event name or `service.name` must be scrubbed there as in records.
    let secret = "sk-ant-api03-Zm9vYmFyYmF6cXV4cXV1eHh5enp5MTIzNDU2Nzg5MA";
    let body = claude_logs(
        vec![kv("service.name", serde_json::json!({ "stringValue": format!("claude-code {secret}") }))],
        vec![serde_json::json!({
            "timeUnixNano": "1795270362077000000",
            "attributes": [
                kv("event.name", serde_json::json!({ "stringValue": format!("leak_{secret}") })),
                kv("session.id", serde_json::json!({ "stringValue": "s-1" })),
            ],
        })],
    );
    for mode in [CaptureMode::Minimal, CaptureMode::MetadataOnly, CaptureMode::Full] {
        let output = check(Signal::Logs, body.clone(), mode);
        assert!(
            output.findings.iter().any(|it| it.id == "unknown_event_name"),
            "the unknown name is reported: {:?}",
            output.findings
        );
        let findings = serde_json::to_string(&output.findings).expect("JSON");
        assert!(!findings.contains(secret), "{mode:?}: secret in findings: {findings}");
        let reasons = format!("{:?}", output.accounting.reasons);
        assert!(!reasons.contains(secret), "{mode:?}: secret in reasons: {reasons}");
        let records = serde_json::to_string(&output.records).expect("JSON");
        assert!(!records.contains(secret), "{mode:?}: secret in records: {records}");
    }
}
