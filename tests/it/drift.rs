//! Drift: a version compared with itself has no findings, and a newer version that drops,
//! renames, retypes and adds things gets each reported at the level `docs/spec.md` gives it,
//! with what the adapter reads derived from the adapter itself.

use std::collections::BTreeMap;

use codetel::capture::Capture;
use codetel::conformance::drift::{self, ChangeKind, NameKey, NameKind, Version};
use codetel::conformance::FailOn;
use codetel::finding::Level;
use codetel::otlp::{AnyValue, ExportRequest, LogRecord, MetricData, Temporality};

use crate::support::{load, root};

const SCENARIO: &str = "text_answer";

fn older() -> Capture {
    load(&root().join("corpus/claude_code/2.1.321").join(SCENARIO))
}

fn version<'a>(name: &str, capture: &'a Capture) -> Version<'a> {
    Version { version: name.to_owned(), source: "test".to_owned(), captures: BTreeMap::from([(SCENARIO.to_owned(), capture)]) }
}

fn event_name(record: &LogRecord) -> Option<&str> {
    codetel::otlp::find_attr(&record.attributes, "event.name").and_then(AnyValue::as_str)
}

fn for_each_event(capture: &mut Capture, mut f: impl FnMut(&mut LogRecord)) {
    for request in &mut capture.requests {
        if let ExportRequest::Logs(resources) = &mut request.decoded.request {
            for record in resources.iter_mut().flat_map(|it| it.scope_logs.iter_mut()).flat_map(|it| it.log_records.iter_mut()) {
                f(record);
            }
        }
    }
}

/// 2.1.321's text_answer as a made-up newer CLI would send it.
fn newer() -> Capture {
    let mut capture = older();
    for_each_event(&mut capture, |record| match event_name(record) {
        Some("api_request") => record.attributes.retain(|it| it.key != "output_tokens"),
        Some("assistant_response") => {
            for kv in &mut record.attributes {
                if kv.key == "event.name" {
                    kv.value = AnyValue::String("assistant_reply".into());
                }
            }
            record.body = Some(AnyValue::String("claude_code.assistant_reply".into()));
        }
        Some("user_prompt") => {
            for kv in &mut record.attributes {
                if kv.key == "prompt_length" {
                    kv.value = AnyValue::Int(42);
                }
            }
            record.attributes.push(codetel::otlp::KeyValue { key: "new_field".into(), value: AnyValue::Bool(true) });
        }
        _ => {}
    });
    for request in &mut capture.requests {
        if let ExportRequest::Metrics(resources) = &mut request.decoded.request {
            for metric in resources.iter_mut().flat_map(|it| it.scope_metrics.iter_mut()).flat_map(|it| it.metrics.iter_mut()) {
                if metric.name == "claude_code.token.usage" {
                    if let MetricData::Sum { temporality, .. } = &mut metric.data {
                        *temporality = Temporality::Cumulative;
                    }
                }
            }
        }
    }
    capture
}

#[test]
fn a_version_compared_with_itself_has_no_drift() {
    let capture = older();
    let report = drift::compare("claude_code", &version("2.1.321", &capture), &version("2.1.321", &capture));
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
    assert!(report.records.iter().all(|it| !it.changed && it.diff.is_empty()));
    assert!(report.passes(FailOn::Information));
}

#[test]
fn what_the_adapter_reads_is_derived_from_the_adapter() {
    let capture = older();
    let reads = drift::reads([&capture]);
    let event = |name: &str| NameKey { kind: NameKind::Event, name: name.to_owned() };
    let lands_in = |name: &str, key: &str| reads.attributes.get(&(event(name), key.to_owned())).cloned().unwrap_or_default();
    assert!(lands_in("api_request", "output_tokens").contains("gen_ai.usage.output_tokens"));
    assert!(lands_in("api_request", "input_tokens").contains("gen_ai.usage.input_tokens"));
    assert!(lands_in("user_prompt", "session.id").contains("coding_agent.session.id"));
    assert!(lands_in("user_prompt", "event.timestamp").is_empty(), "the adapter drops event.timestamp");
    assert!(reads.names.contains(&event("api_request")), "api_request becomes llm_call records");
    assert!(reads.names.contains(&NameKey { kind: NameKind::Scope, name: "com.anthropic.claude_code.events".to_owned() }));
    assert!(!reads.names.contains(&event("plugin_loaded")), "a passthrough event is kept, not read");
    assert!(lands_in("plugin_loaded", "session.id").is_empty(), "it only changes its own passthrough record");
}

#[test]
fn removals_renames_retypes_and_additions_are_reported_at_their_levels() {
    let (before, after) = (older(), newer());
    let report = drift::compare("claude_code", &version("2.1.321", &before), &version("9.9.9", &after));
    let by_rule = |id: &str| -> Vec<&str> { report.findings.iter().filter(|it| it.id == id).map(|it| it.message.as_str()).collect() };

    let removed_names = by_rule("CA-DRIFT-001");
    assert_eq!(removed_names.len(), 1, "{removed_names:?}");
    assert!(removed_names[0].contains("event `assistant_response` is gone"), "{}", removed_names[0]);
    assert!(removed_names[0].contains("renamed to `assistant_reply`? (a guess"), "renames are labelled guesses: {}", removed_names[0]);

    let removed_attributes = by_rule("CA-DRIFT-002");
    assert_eq!(removed_attributes.len(), 1, "{removed_attributes:?}");
    assert!(removed_attributes[0].contains("`output_tokens` of event `api_request`"), "{}", removed_attributes[0]);
    assert!(removed_attributes[0].contains("`gen_ai.usage.output_tokens`"), "names the canonical key: {}", removed_attributes[0]);

    let retyped = by_rule("CA-DRIFT-003");
    assert!(retyped.iter().any(|it| it.contains("`prompt_length` of event `user_prompt`") && it.contains("intValue")), "{retyped:?}");
    assert!(retyped.iter().any(|it| it.contains("metric `claude_code.token.usage` changes shape")), "{retyped:?}");

    let new_unmapped = by_rule("CA-DRIFT-004");
    assert!(new_unmapped.iter().any(|it| it.contains("event `assistant_reply` is new")), "{new_unmapped:?}");
    assert!(by_rule("CA-DRIFT-005").iter().any(|it| it.contains("attribute `new_field` of event `user_prompt` is new")));

    let renamed = report.names.iter().find(|it| it.change == ChangeKind::Removed).expect("a removed name");
    assert_eq!(renamed.renamed_to_guess.as_deref(), Some("assistant_reply"));
    let records = &report.records[0];
    assert!(records.changed);
    assert!(records.diff.contains(&"- assistant_response ← claude_code.assistant_response ×1".to_owned()), "{:#?}", records.diff);
    assert!(records.diff.contains(&"+ passthrough ← claude_code.assistant_reply ×1".to_owned()), "{:#?}", records.diff);
    assert!(
        records.diff.iter().any(|it| it.starts_with("~ llm_call ← claude_code.api_request:") && it.contains("-gen_ai.usage.output_tokens:int")),
        "{:#?}",
        records.diff
    );

    assert!(!report.passes(FailOn::Violation));
    assert_eq!(report.count(Level::Violation), 2);
    let text = report.to_text(false);
    assert!(text.contains("- event `assistant_response` [read by the adapter] (renamed to `assistant_reply`? a guess)"), "{text}");
    assert!(!text.contains('\x1b'));
    assert!(report.to_text(true).contains("\x1b[31m-"), "removals are red in color");
    assert!(report.to_text(true).contains("\x1b[33m~"), "changes are yellow");
    let markdown = report.to_markdown();
    assert!(markdown.contains("```diff\n"), "{markdown}");
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).expect("json");
    assert_eq!(json["findings"].as_array().map(Vec::len), Some(report.findings.len()));
}

#[test]
fn a_scenario_new_to_one_version_does_not_make_a_metric_look_retyped() {
    // The newer version adds a scenario with cumulative token metrics; in the scenario both
    // versions share, nothing changed, so nothing is retyped.
    let (same, cumulative) = (older(), newer());
    let from = version("2.1.321", &same);
    let mut to = version("9.9.9", &same);
    let _ = to.captures.insert("cumulative_only".to_owned(), &cumulative);
    let report = drift::compare("claude_code", &from, &to);
    assert!(report.findings.iter().all(|it| it.id != "CA-DRIFT-003"), "{:#?}", report.findings);
    assert_eq!(report.only_to, vec!["cumulative_only".to_owned()]);
}
