//! Conformance: the corpus passes the gate (`cargo xtask conformance` as a test), the spec and
//! the rule table agree, every rule can fail (a planted defect per rule), the expected-failures
//! list is honest, reports stay bounded, and each rendering has the shape its consumers need.

use std::collections::BTreeSet;

use codetel::adapters;
use codetel::capture::{Capture, Request};
use codetel::conformance::drift::DRIFT_RULES;
use codetel::conformance::render::{self, Context, Format};
use codetel::conformance::rules::consistency;
use codetel::conformance::{
    self, spec, CaptureRun, CaseStatus, Check, Config, ExpectedFailures, FailOn, Input, Report, RULES,
};
use codetel::detect::Strength;
use codetel::finding::{Finding, Level};
use codetel::normalize::Output;
use codetel::otlp::{self, Encoding, Signal};
use codetel::schema::attributes as attr;
use codetel::schema::{CanonicalRecord, CaptureMode, RecordKind, Value};

use crate::support::{load, root};

fn corpus() -> Vec<Input> {
    Input::load_corpus(&root().join("corpus")).expect("the corpus loads")
}

fn expected_failures() -> ExpectedFailures {
    let path = root().join("corpus").join(conformance::expected::FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => ExpectedFailures::parse(&path.display().to_string(), &text).expect("expected-failures.toml parses"),
        Err(_) => ExpectedFailures::default(),
    }
}

/// A rendering context with the repository's spec and adapter sources, as the xtask builds it.
fn repo_context(fail_on: FailOn) -> Context {
    let mut context = Context::new(fail_on);
    context.spec = std::fs::read_to_string(root().join("docs/spec.md")).expect("docs/spec.md");
    for adapter in adapters::ALL {
        let path = root().join("adapters").join(adapter.name()).join("mod.rs");
        let _ = context.adapter_sources.insert(adapter.name().to_owned(), std::fs::read_to_string(path).expect("adapter source"));
    }
    context
}

#[test]
fn the_corpus_passes_the_conformance_gate() {
    let config = Config { expected_failures: expected_failures(), ..Config::default() };
    let report = conformance::run(&corpus(), &config);
    // An adapter without captures is reported by `corpus::every_adapter_has_captures`, with the
    // command to record them, so a freshly scaffolded adapter fails one test, not two.
    let failing: Vec<_> = report.failing(FailOn::Violation).filter(|it| it.id != "CA-COV-003").collect();
    assert!(
        failing.is_empty(),
        "cargo xtask conformance fails:\n{}",
        render::text(&report, &Context::new(FailOn::Violation))
    );
    assert!(report.statistics.records_by_outcome.inputs > 0);
}

#[test]
fn spec_and_rule_table_agree_both_ways() {
    let text = std::fs::read_to_string(root().join("docs/spec.md")).expect("docs/spec.md");
    let definitions = spec::definitions(&text);
    let mut defined = BTreeSet::new();
    for definition in &definitions {
        assert!(defined.insert(definition.id.clone()), "{} is defined twice in docs/spec.md", definition.id);
    }
    let implemented: Vec<(&str, Level)> = RULES
        .iter()
        .map(|it| (it.id, it.level))
        .chain(DRIFT_RULES.iter().map(|it| (it.id, it.level)))
        .collect();
    let implemented_ids: BTreeSet<String> = implemented.iter().map(|it| it.0.to_owned()).collect();
    assert_eq!(implemented_ids.len(), implemented.len(), "a rule id is implemented twice");
    let unimplemented: Vec<&String> = defined.difference(&implemented_ids).collect();
    let undocumented: Vec<&String> = implemented_ids.difference(&defined).collect();
    assert!(unimplemented.is_empty(), "docs/spec.md defines rules with no implementation: {unimplemented:?}");
    assert!(undocumented.is_empty(), "rules with no entry in docs/spec.md: {undocumented:?}");
    for definition in &definitions {
        let level = implemented.iter().find(|it| it.0 == definition.id).map(|it| it.1);
        assert_eq!(
            level,
            spec::keyword_level(&definition.keyword),
            "{} is ({}) in docs/spec.md; its level in the rule table must match",
            definition.id,
            definition.keyword
        );
    }
    let dangling: Vec<String> = spec::references(&text).difference(&defined).cloned().collect();
    assert!(dangling.is_empty(), "docs/spec.md mentions undefined rule ids: {dangling:?}");
    let readme = std::fs::read_to_string(root().join("CONTRIBUTING.md")).unwrap_or_default();
    let dangling: Vec<String> = spec::references(&readme).difference(&defined).cloned().collect();
    assert!(dangling.is_empty(), "CONTRIBUTING.md mentions undefined rule ids: {dangling:?}");
}

#[test]
fn the_cross_signal_rules_compare_real_sessions() {
    // The reconciliation rules pass trivially on a session with one side only; make sure the
    // corpus gives them sessions with both, so their passing means something.
    let mut compared: std::collections::BTreeMap<&str, (usize, usize)> = Default::default();
    for input in &corpus() {
        let run = CaptureRun::prepare(&input.id, &input.capture, input.vendor(), adapters::ALL);
        for (vendor, (cost, tokens)) in consistency::compared(&run) {
            let entry = compared.entry(vendor).or_default();
            entry.0 += cost;
            entry.1 += tokens;
        }
    }
    let (cost, tokens) = compared.get("claude_code").copied().unwrap_or_default();
    assert!(cost >= 10, "Claude Code: only {cost} session(s) had both event cost and a cost metric: {compared:?}");
    assert!(tokens >= 40, "Claude Code: only {tokens} (session, token type) pair(s) compared: {compared:?}");
}

// ---------------------------------------------------------------------------------------------
// Every capture rule can fail: one planted defect each.

struct Mutant {
    rule: &'static str,
    capture: &'static str,
    before: fn(&mut Capture),
    after: fn(&mut CaptureRun<'_>),
}

const BASH: &str = "claude_code/2.1.321/bash_tool_call";

fn keep(_: &mut Capture) {}
fn untouched(_: &mut CaptureRun<'_>) {}

fn output<'r>(run: &'r mut CaptureRun<'_>, mode: CaptureMode) -> &'r mut Output {
    run.outputs.as_mut().expect("normalized").get_mut(mode)
}

fn first<'r>(run: &'r mut CaptureRun<'_>, mode: CaptureMode, kind: RecordKind) -> &'r mut CanonicalRecord {
    output(run, mode).records.iter_mut().find(|it| it.kind == kind).expect("a record of that kind")
}

fn cost_point<'r>(run: &'r mut CaptureRun<'_>) -> &'r mut CanonicalRecord {
    output(run, CaptureMode::Full)
        .records
        .iter_mut()
        .find(|it| it.attributes.get(attr::METRIC_NAME) == Some(&Value::Str("coding_agent.cost.usage".to_owned())))
        .expect("a cost metric point")
}

fn add_weaker_claim(run: &mut CaptureRun<'_>) {
    let group = run.groups.iter_mut().find(|it| it.items > 0).expect("a group");
    group.matches.push(("other_vendor", Strength::Fingerprint, "name fingerprint `x.`".to_owned()));
}

const GITHUB_TOKEN: &str = "ghp_0123456789abcdefghijABCDEFGHIJ012345";
const PLANTED_CANARY: &str = "CANARY-CONFORMANCE-0001";

fn mutants() -> Vec<Mutant> {
    vec![
        Mutant { rule: "CA-SCHEMA-001", capture: BASH, before: keep, after: |run| {
            let _ = first(run, CaptureMode::Full, RecordKind::LlmCall).attributes.insert("coding_agent.made_up", Value::Int(1));
        }},
        Mutant { rule: "CA-SCHEMA-002", capture: BASH, before: keep, after: |run| {
            let _ = first(run, CaptureMode::Full, RecordKind::LlmCall).attributes.insert(attr::INPUT_TOKENS, Value::Str("12".to_owned()));
        }},
        Mutant { rule: "CA-SCHEMA-003", capture: BASH, before: keep, after: |run| {
            let _ = first(run, CaptureMode::Full, RecordKind::ToolCall).attributes.remove(attr::TOOL_NAME);
        }},
        Mutant { rule: "CA-SCHEMA-004", capture: BASH, before: keep, after: |run| {
            let _ = first(run, CaptureMode::Full, RecordKind::LlmCall).attributes.remove(attr::PROVIDER_NAME);
        }},
        Mutant { rule: "CA-SCHEMA-005", capture: BASH, before: keep, after: |run| {
            let _ = cost_point(run).attributes.insert(attr::METRIC_UNIT, Value::Str("USD".to_owned()));
        }},
        Mutant { rule: "CA-SCHEMA-006", capture: BASH, before: keep, after: |run| {
            let _ = first(run, CaptureMode::Full, RecordKind::ToolCall).attributes.insert(attr::TRACE_ID, Value::Str("ABC".to_owned()));
        }},
        Mutant { rule: "CA-SCHEMA-007", capture: BASH, before: keep, after: |run| {
            first(run, CaptureMode::Full, RecordKind::ToolCall).session_id = Some("another-session".to_owned());
        }},
        Mutant { rule: "CA-SCHEMA-008", capture: BASH, before: keep, after: |run| {
            let _ = first(run, CaptureMode::Full, RecordKind::LlmCall).attributes.insert(attr::OUTPUT_TOKENS, Value::Int(-1));
        }},
        Mutant { rule: "CA-SCHEMA-009", capture: BASH, before: keep, after: |run| {
            let _ = first(run, CaptureMode::Full, RecordKind::LlmCall).attributes.insert(attr::CACHE_READ_INPUT_TOKENS, Value::Int(i64::MAX / 2));
        }},
        Mutant { rule: "CA-SCHEMA-010", capture: BASH, before: keep, after: |run| {
            first(run, CaptureMode::Full, RecordKind::ToolCall).time_unix_nano = None;
        }},
        Mutant { rule: "CA-PRIV-001", capture: BASH, before: keep, after: |run| {
            let _ = first(run, CaptureMode::MetadataOnly, RecordKind::UserPrompt).attributes.insert(attr::PROMPT_TEXT, Value::Str("hello".to_owned()));
        }},
        Mutant { rule: "CA-PRIV-002", capture: BASH, before: keep, after: |run| {
            let _ = first(run, CaptureMode::Minimal, RecordKind::UserPrompt).attributes.insert(attr::USER_ID, Value::Str("u".to_owned()));
        }},
        Mutant { rule: "CA-PRIV-003", capture: BASH, before: keep, after: |run| {
            let _ = first(run, CaptureMode::MetadataOnly, RecordKind::ToolCall).vendor_attributes.insert("free_text".to_owned(), Value::Str("some text".to_owned()));
        }},
        Mutant { rule: "CA-PRIV-003", capture: BASH, before: keep, after: |run| {
            let _ = first(run, CaptureMode::MetadataOnly, RecordKind::ToolCall).vendor_attributes.insert("rm -rf build".to_owned(), Value::Int(1));
        }},
        Mutant { rule: "CA-PRIV-004", capture: BASH, before: |capture| {
            capture.manifest.as_mut().expect("manifest").canaries.push(PLANTED_CANARY.to_owned());
        }, after: |run| {
            let record = first(run, CaptureMode::MetadataOnly, RecordKind::ToolCall);
            record.session_id = Some(format!("{PLANTED_CANARY}-session"));
        }},
        Mutant { rule: "CA-PRIV-005", capture: BASH, before: keep, after: |run| {
            let _ = first(run, CaptureMode::Full, RecordKind::ToolCall).vendor_attributes.insert("note".to_owned(), Value::Str(format!("token {GITHUB_TOKEN}")));
        }},
        Mutant { rule: "CA-PRIV-006", capture: BASH, before: keep, after: |run| {
            first(run, CaptureMode::MetadataOnly, RecordKind::ToolCall).capture_mode = CaptureMode::Full;
        }},
        Mutant { rule: "CA-ACCT-001", capture: BASH, before: keep, after: |run| {
            output(run, CaptureMode::Minimal).accounting.totals.ignored += 1;
        }},
        Mutant { rule: "CA-ACCT-002", capture: BASH, before: keep, after: |run| {
            let totals = &mut output(run, CaptureMode::Full).accounting.totals;
            totals.inputs += 1;
            totals.ignored += 1;
        }},
        Mutant { rule: "CA-ACCT-003", capture: BASH, before: keep, after: |run| {
            let records = &mut output(run, CaptureMode::Full).records;
            let index = records.iter().position(|it| it.kind == RecordKind::ToolCall).expect("tool call");
            let _ = records.remove(index);
        }},
        Mutant { rule: "CA-ACCT-004", capture: BASH, before: keep, after: |run| {
            output(run, CaptureMode::MetadataOnly).findings.push(Finding::new("unaccounted_item", Level::Violation, "dropped"));
        }},
        Mutant { rule: "CA-ACCT-005", capture: BASH, before: |capture| {
            capture.manifest.as_mut().expect("manifest").expected.as_mut().expect("expected counts").log_records += 1;
        }, after: untouched },
        Mutant { rule: "CA-ACCT-006", capture: BASH, before: keep, after: |run| {
            let _ = output(run, CaptureMode::MetadataOnly).accounting.reasons.insert("rejected: unreadable".to_owned(), 2);
        }},
        Mutant { rule: "CA-XSIG-001", capture: BASH, before: keep, after: |run| {
            let record = first(run, CaptureMode::Full, RecordKind::LlmCall);
            let Some(Value::Int(cost)) = record.attributes.get(attr::COST_USD_MICROS).cloned() else { panic!("an llm_call with cost") };
            let _ = record.attributes.insert(attr::COST_USD_MICROS, Value::Int(cost + 1_000));
        }},
        Mutant { rule: "CA-XSIG-002", capture: BASH, before: keep, after: |run| {
            let record = first(run, CaptureMode::Full, RecordKind::LlmCall);
            let Some(Value::Int(tokens)) = record.attributes.get(attr::OUTPUT_TOKENS).cloned() else { panic!("an llm_call with tokens") };
            let _ = record.attributes.insert(attr::OUTPUT_TOKENS, Value::Int(tokens + 5));
        }},
        Mutant { rule: "CA-DET-001", capture: BASH, before: |capture| {
            capture.manifest.as_mut().expect("manifest").vendor = "codex".to_owned();
        }, after: untouched },
        Mutant { rule: "CA-DET-002", capture: BASH, before: keep, after: |run| {
            let group = run.groups.iter_mut().find(|it| it.items > 0).expect("a group");
            group.matches.push(("other_vendor", Strength::Scope, "instrumentation scope `x`".to_owned()));
        }},
        Mutant { rule: "CA-DET-003", capture: BASH, before: keep, after: add_weaker_claim },
        Mutant { rule: "CA-DET-004", capture: BASH, before: keep, after: add_weaker_claim },
        Mutant { rule: "CA-ADAPT-001", capture: BASH, before: keep, after: |run| {
            let repeat = run.repeat.as_mut().expect("a repeat run");
            repeat.records[0].time_unix_nano = Some(1);
        }},
        Mutant { rule: "CA-ADAPT-002", capture: BASH, before: keep, after: |run| {
            run.forced[0].1 = Err("index out of bounds".to_owned());
        }},
        Mutant { rule: "CA-OTLP-001", capture: BASH, before: keep, after: |run| {
            let _ = cost_point(run).attributes.insert(attr::METRIC_VALUE, Value::Double(f64::NAN));
        }},
        Mutant { rule: "CA-OTLP-002", capture: BASH, before: keep, after: |run| {
            let other = run.reencoded.as_mut().expect("re-encoded");
            other.records[0].kind = RecordKind::Passthrough;
            other.records[0].source = None;
        }},
    ]
}

fn observe(mutant: &Mutant, mutate: bool) -> Vec<conformance::Observation> {
    let mut capture = load(&root().join("corpus").join(mutant.capture));
    if mutate {
        (mutant.before)(&mut capture);
    }
    let vendor = capture.manifest.as_ref().map(|it| it.vendor.clone());
    let mut run = CaptureRun::prepare(mutant.capture, &capture, vendor, adapters::ALL);
    if mutate {
        (mutant.after)(&mut run);
    }
    conformance::check_capture(mutant.rule, &run).expect("a capture rule")
}

#[test]
fn every_capture_rule_fails_on_a_planted_defect() {
    let mutants = mutants();
    let capture_rules: BTreeSet<&str> =
        RULES.iter().filter(|it| matches!(it.check, Check::Capture(_))).map(|it| it.id).collect();
    let covered: BTreeSet<&str> = mutants.iter().map(|it| it.rule).collect();
    assert_eq!(capture_rules, covered, "every capture rule needs a planted defect here");
    for mutant in &mutants {
        let clean = observe(mutant, false);
        assert!(clean.is_empty(), "{} fails on the untouched capture {}: {clean:?}", mutant.rule, mutant.capture);
        let found = observe(mutant, true);
        assert!(!found.is_empty(), "{} misses its planted defect", mutant.rule);
    }
}

#[test]
fn the_canary_and_secret_rules_see_the_recorded_canaries() {
    // content_flags_on plants canaries (one of them an Anthropic key); in `full` they are kept on
    // purpose, except the secrets, which the scrubber must have removed.
    let id = "claude_code/2.1.321/content_flags_on";
    let capture = load(&root().join("corpus").join(id));
    let canaries = &capture.manifest.as_ref().expect("manifest").canaries;
    assert!(canaries.len() >= 3, "the scenario plants canaries");
    let run = CaptureRun::prepare(id, &capture, Some("claude_code".to_owned()), adapters::ALL);
    let full = serde_json::to_string(&run.outputs.as_ref().expect("normalized").full.records).expect("json");
    assert!(full.contains("CANARY-PROMPT-7f3a"), "full keeps the prompt canary, so CA-PRIV-004 has something to look for");
    for rule in ["CA-PRIV-004", "CA-PRIV-005"] {
        assert_eq!(conformance::check_capture(rule, &run).expect("rule"), Vec::new(), "{rule}");
    }
}

// ---------------------------------------------------------------------------------------------
// Vendor, run and outcome rules.

fn kv(key: &str, value: serde_json::Value) -> serde_json::Value {
    serde_json::json!({ "key": key, "value": value })
}

fn claude_event(name: &str, extra: Vec<serde_json::Value>) -> serde_json::Value {
    let mut attributes = vec![
        kv("event.name", serde_json::json!({"stringValue": name})),
        kv("session.id", serde_json::json!({"stringValue": "s1"})),
    ];
    attributes.extend(extra);
    serde_json::json!({
        "timeUnixNano": "1700000000000000000",
        "body": {"stringValue": format!("claude_code.{name}")},
        "attributes": attributes,
    })
}

/// A one-request Claude Code logs capture.
fn logs_capture(records: Vec<serde_json::Value>) -> Capture {
    let body = serde_json::json!({ "resourceLogs": [{
        "resource": { "attributes": [kv("service.name", serde_json::json!({"stringValue": "claude-code"}))] },
        "scopeLogs": [{ "scope": { "name": "com.anthropic.claude_code.events" }, "logRecords": records }]
    }]});
    let bytes = serde_json::to_vec(&body).expect("json");
    let decoded = otlp::decode(Signal::Logs, Encoding::Json, &bytes).expect("decodes");
    Capture {
        path: "synthetic".into(),
        manifest: None,
        requests: vec![Request { file: "0001-logs.json".to_owned(), signal: Signal::Logs, encoding: Encoding::Json, gzip: false, decoded }],
    }
}

fn ids(report: &Report) -> BTreeSet<&'static str> {
    report.findings.iter().map(|it| it.id).collect()
}

#[test]
fn unknown_names_and_undeclared_attributes_are_coverage_findings() {
    let capture = logs_capture(vec![
        claude_event("user_prompt", vec![kv("mystery_key", serde_json::json!({"stringValue": "x"}))]),
        claude_event("brand_new_event", vec![]),
    ]);
    let report = conformance::run(&[Input { id: "claude_code/0.0.0/synthetic".to_owned(), capture }], &Config::default());
    let unmapped: Vec<_> = report.findings.iter().filter(|it| it.id == "CA-COV-001").collect();
    assert_eq!(unmapped.len(), 1, "{:#?}", report.findings);
    assert!(unmapped[0].message.contains("`brand_new_event`"), "{}", unmapped[0].message);
    assert_eq!(unmapped[0].capture.as_deref(), Some("claude_code/0.0.0/synthetic"));
    assert!(report.findings.iter().any(|it| it.id == "CA-COV-002" && it.message.contains("`mystery_key`")));
    let coverage = &report.statistics.coverage["claude_code"];
    assert_eq!((coverage.names_seen, coverage.mapped, coverage.unmapped), (2, 1, 1));
    assert!(!report.passes(FailOn::Violation));
}

#[test]
fn an_empty_run_fails_even_in_report_only_mode() {
    let report = conformance::run(&[], &Config::default());
    let found = ids(&report);
    assert!(found.contains("CA-RUN-001"), "{found:?}");
    assert!(found.contains("CA-COV-003"), "{found:?}");
    assert!(!report.passes(FailOn::None), "`--fail-on none` must not pass a run that saw nothing");
    let no_captures = report.findings.iter().find(|it| it.id == "CA-COV-003").expect("CA-COV-003");
    assert!(no_captures.message.contains("cargo xtask record claude_code --all"), "{}", no_captures.message);

    let filtered = conformance::run(&corpus(), &Config { vendor: Some("nobody".to_owned()), ..Config::default() });
    assert!(ids(&filtered).contains("CA-RUN-001"), "a --vendor that matches nothing saw nothing");
}

#[test]
fn an_empty_capture_and_missing_items_fail_whatever_the_gate() {
    let mut capture = load(&root().join("corpus").join(BASH));
    capture.requests.pop();
    let report = conformance::run(&[Input { id: BASH.to_owned(), capture }], &Config::default());
    let short: Vec<_> = report.findings.iter().filter(|it| it.id == "CA-ACCT-005").collect();
    assert!(!short.is_empty(), "a capture missing a request must fail");
    assert!(short.iter().any(|it| it.message.contains("the manifest declares")), "{short:?}");
    assert!(!report.passes(FailOn::None));
}

#[test]
fn expected_failures_excuse_known_failures_and_fail_when_stale() {
    let leak = "claude_code/2.1.321/service_name_leak";
    let inputs: Vec<Input> = corpus().into_iter().filter(|it| it.id == leak || it.id == BASH).collect();
    let list = |text: &str| ExpectedFailures::parse("inline", text).expect("parses");

    let honest = list(&format!("[\"{leak}\"]\nCA-DET-004 = \"OTEL_SERVICE_NAME is set on purpose\"\n"));
    let report = conformance::run(&inputs, &Config { expected_failures: honest, ..Config::default() });
    let case = report.cases.iter().find(|it| it.rule == "CA-DET-004" && it.subject == leak).expect("case");
    assert_eq!(case.status, CaseStatus::ExpectedFailure);
    assert!(
        report.failing(FailOn::Improvement).all(|it| it.id != "CA-DET-004"),
        "{}",
        render::text(&report, &Context::new(FailOn::Improvement))
    );
    assert!(report.statistics.expected_findings > 0);

    let stale = list(&format!(
        "[\"{BASH}\"]\nCA-DET-004 = \"not true\"\n\n[\"claude_code/9.9.9/gone\"]\nCA-PRIV-001 = \"capture deleted\"\n\n[run]\nCA-NOPE-001 = \"typo\"\n"
    ));
    let report = conformance::run(&inputs, &Config { expected_failures: stale, ..Config::default() });
    let messages: Vec<&str> = report.findings.iter().filter(|it| it.id == "CA-RUN-002").map(|it| it.message.as_str()).collect();
    assert_eq!(messages.len(), 3, "{messages:?}");
    assert!(messages.iter().any(|it| it.contains("passes: delete the entry")), "{messages:?}");
    assert!(messages.iter().any(|it| it.contains("no such capture")), "{messages:?}");
    assert!(messages.iter().any(|it| it.contains("names no rule")), "{messages:?}");
    assert!(!report.passes(FailOn::Violation));

    assert!(ExpectedFailures::parse("inline", "[x]\nCA-PRIV-001 = \"\"\n").is_err(), "a reason is required");
}

// ---------------------------------------------------------------------------------------------
// Report size and renderings.

#[test]
fn reports_stay_bounded_on_a_large_corpus() {
    let n = 4_000;
    let mut records: Vec<serde_json::Value> = (0..n)
        .map(|_| claude_event("api_request", vec![kv("model", serde_json::json!({"stringValue": "m"})), kv("output_tokens", serde_json::json!({"intValue": "-1"}))]))
        .collect();
    records.extend((0..60).map(|i| claude_event(&format!("new_event_{i}"), vec![])));
    let capture = logs_capture(records);
    let report = conformance::run(&[Input { id: "claude_code/0.0.0/big".to_owned(), capture }], &Config::default());
    let negative = report.findings.iter().find(|it| it.id == "CA-SCHEMA-008").expect("negative tokens found");
    assert_eq!(negative.count, n, "every occurrence is counted");
    assert_eq!(negative.locations.len(), conformance::report::MAX_LOCATIONS, "only the first locations are kept");
    assert_eq!(report.statistics.findings_by_id["CA-SCHEMA-008"], n);
    let unmapped = report.cases.iter().find(|it| it.rule == "CA-COV-001").expect("case");
    assert_eq!(unmapped.findings, 60);
    assert_eq!(report.findings.iter().filter(|it| it.id == "CA-COV-001").count(), conformance::report::MAX_GROUPS_PER_CASE);
    assert_eq!(unmapped.omitted, 60 - conformance::report::MAX_GROUPS_PER_CASE);
    for format in [Format::Json, Format::Sarif, Format::Junit, Format::Markdown, Format::Text] {
        let size = render::render(&report, format, &Context::new(FailOn::Violation)).len();
        assert!(size < 150_000, "{format:?} report is {size} bytes for {n} records");
    }
}

/// A report with failures, an expected failure and passes, over two real captures.
fn mixed_report() -> Report {
    let leak = "claude_code/2.1.321/service_name_leak";
    let mut inputs: Vec<Input> = corpus().into_iter().filter(|it| it.id == leak || it.id == BASH).collect();
    let synthetic = logs_capture(vec![claude_event("brand_new_event", vec![kv("note", serde_json::json!({"stringValue": "a <b> & \"c\""}))])]);
    inputs.push(Input { id: "claude_code/0.0.0/synthetic".to_owned(), capture: synthetic });
    let expected = ExpectedFailures::parse("inline", &format!("[\"{leak}\"]\nCA-DET-004 = \"set on purpose\"\n")).expect("parses");
    conformance::run(&inputs, &Config { expected_failures: expected, ..Config::default() })
}

#[test]
fn sarif_has_the_required_shape_and_points_at_real_files() {
    let report = mixed_report();
    let text = render::sarif(&report, &repo_context(FailOn::Violation));
    let sarif: serde_json::Value = serde_json::from_str(&text).expect("SARIF is JSON");
    assert_eq!(sarif["version"], "2.1.0");
    assert!(sarif["$schema"].as_str().is_some_and(|it| it.contains("sarif-2.1.0")));
    let runs = sarif["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 1);
    let driver = &runs[0]["tool"]["driver"];
    assert!(driver["name"].as_str().is_some_and(|it| !it.is_empty()), "tool.driver.name is required");
    let rules = driver["rules"].as_array().expect("rules");
    assert_eq!(rules.len(), RULES.len());
    let rule_ids: Vec<&str> = rules.iter().map(|it| it["id"].as_str().expect("rule id")).collect();
    let results = runs[0]["results"].as_array().expect("results");
    assert!(!results.is_empty());
    let (mut suppressed, mut with_adapter_line) = (0, 0);
    for result in results {
        let rule_id = result["ruleId"].as_str().expect("ruleId");
        let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rule_ids[index], rule_id, "ruleIndex points at the rule");
        assert!(["error", "warning", "note", "none"].contains(&result["level"].as_str().expect("level")));
        assert!(result["message"]["text"].as_str().is_some_and(|it| !it.is_empty()), "message.text is required");
        let locations = result["locations"].as_array().expect("locations");
        assert!(!locations.is_empty(), "every result has a location");
        for location in locations.iter().chain(result["relatedLocations"].as_array().into_iter().flatten()) {
            let physical = &location["physicalLocation"];
            let uri = physical["artifactLocation"]["uri"].as_str().expect("uri");
            assert!(!uri.starts_with('/'), "URIs are relative to the repository: {uri}");
            assert!(physical["region"]["startLine"].as_u64().is_some_and(|it| it >= 1), "{uri}: startLine");
            if !uri.contains("/0.0.0/") {
                assert!(root().join(uri).is_file(), "{uri} does not exist");
            }
            if uri.starts_with("adapters/") {
                with_adapter_line += 1;
            }
        }
        if let Some(suppressions) = result["suppressions"].as_array() {
            assert_eq!(suppressions[0]["kind"], "external");
            assert!(suppressions[0]["justification"].as_str().is_some_and(|it| !it.is_empty()));
            suppressed += 1;
        }
    }
    assert!(suppressed > 0, "expected failures are suppressed results");
    assert!(with_adapter_line > 0, "results point at the adapter source");
}

#[test]
fn sarif_adapter_lines_land_on_the_name_in_the_message() {
    let source = "//! doc\nconst A: &str = \"claude_code.tool_result\";\nimpl Adapter for X {\n    fn normalize(&self) {}\n}\n";
    assert_eq!(render::sarif_adapter_line(source, "span `claude_code.tool_result` is odd"), 2);
    assert_eq!(render::sarif_adapter_line(source, "event `tool_result` is odd"), 2);
    assert_eq!(render::sarif_adapter_line(source, "event `brand_new` is unknown"), 4, "falls back to fn normalize");
}

#[test]
fn junit_has_one_case_per_rule_per_subject_and_escapes() {
    let report = mixed_report();
    let xml = render::junit(&report, &Context::new(FailOn::Violation));
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites "));
    assert_eq!(xml.matches("<testsuite ").count(), RULES.len(), "a suite per rule");
    assert_eq!(xml.matches("<testcase ").count(), report.cases.len(), "a case per rule and subject");
    let capture_rules = RULES.iter().filter(|it| matches!(it.check, Check::Capture(_))).count();
    assert_eq!(report.cases.iter().filter(|it| it.subject == BASH).count(), capture_rules, "every capture rule runs on every capture");
    assert!(xml.contains("<skipped message=\"expected failure: set on purpose\"/>"));
    assert!(xml.contains("<failure type=\"violation\""), "the unmapped event fails CA-COV-001");
    assert!(!xml.contains("<b>"), "text is escaped");
    let failures: usize = report.cases.iter().filter(|it| report.case_fails(it, FailOn::Violation)).count();
    assert!(xml.contains(&format!("failures=\"{failures}\"")), "the totals count failing cases");
}

#[test]
fn markdown_json_and_text_agree_on_the_verdict() {
    let report = mixed_report();
    let context = Context::new(FailOn::Violation);
    assert!(!report.passes(FailOn::Violation));
    let markdown = render::markdown(&report, &context);
    assert!(markdown.starts_with("## codetel conformance: ❌ fail"), "{markdown}");
    assert!(markdown.contains("| `CA-COV-001` | violation |"), "{markdown}");
    assert!(markdown.contains("### Coverage"));
    let json: serde_json::Value = serde_json::from_str(&render::json(&report, &context)).expect("json");
    assert_eq!(json["passed"], false);
    assert_eq!(json["fail_on"], "violation");
    assert!(json["report"]["statistics"]["coverage"]["claude_code"]["names_seen"].as_u64().is_some());
    let text = render::text(&report, &context);
    assert!(text.starts_with("codetel conformance: FAIL (fail-on violation)"), "{text}");
    assert!(text.contains("expected failure: set on purpose"));
    assert!(!text.contains('\x1b'), "no color unless asked");
    let none = Context::new(FailOn::None);
    assert!(render::text(&report, &none).starts_with("codetel conformance: PASS (fail-on none)"));
}
