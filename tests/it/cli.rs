//! The `codetel` binary as a user runs it: output shape, accounting on stderr, and one clear
//! error line with a non-zero exit for bad input.

use std::path::Path;
use std::process::{Command, Output};

use crate::support::root;

fn codetel(args: &[&str]) -> Output {
    match Command::new(env!("CARGO_BIN_EXE_codetel")).args(args).current_dir(root()).output() {
        Ok(it) => it,
        Err(error) => panic!("cannot run codetel: {error}"),
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn normalize_prints_one_record_per_line_with_the_contract_fields() {
    let out = codetel(&["normalize", "corpus/claude_code/2.1.321/bash_tool_call", "--quiet"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let mut kinds = std::collections::BTreeSet::new();
    for line in stdout.lines() {
        let record: serde_json::Value = serde_json::from_str(line).expect("each line is JSON");
        for field in ["kind", "vendor", "session_id", "time_unix_nano", "attributes", "capture_mode"] {
            assert!(record.get(field).is_some(), "missing {field} in {line}");
        }
        assert_eq!(record["capture_mode"], "metadata_only", "default mode");
        let _ = kinds.insert(record["kind"].as_str().unwrap_or_default().to_owned());
    }
    for kind in ["user_prompt", "llm_call", "tool_call", "tool_decision", "metric_point", "session"] {
        assert!(kinds.contains(kind), "no {kind} record in {kinds:?}");
    }
}

#[test]
fn summary_reports_balanced_accounting_on_stderr() {
    let out = codetel(&["normalize", "corpus/claude_code", "--summary", "--quiet"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let summary: serde_json::Value = serde_json::from_str(&text(&out.stderr)).expect("stderr is the JSON summary");
    let field = |name: &str| summary[name].as_u64().unwrap_or(u64::MAX);
    assert!(field("inputs") > 0);
    assert_eq!(field("inputs"), field("normalized") + field("ignored") + field("rejected"));
    assert_eq!(field("records") as usize, text(&out.stdout).lines().count());
    assert!(summary["by_vendor"]["claude_code"].is_object());
}

#[test]
fn a_raw_body_names_its_signal_by_file_name_or_flag() {
    let dir = tempdir("raw_body");
    let source = root().join("corpus/claude_code/2.1.321/bash_tool_call_protobuf/0002-metrics.pb");
    let unnamed = dir.join("body.pb");
    std::fs::copy(&source, &unnamed).expect("copy");
    let out = codetel(&["normalize", unnamed.to_str().unwrap_or_default()]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("body.pb") && stderr.contains("--signal"), "{stderr}");
    assert!(out.stdout.is_empty(), "nothing printed as if it had succeeded");
    let out = codetel(&["normalize", unnamed.to_str().unwrap_or_default(), "--signal", "metrics", "--quiet"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("\"metric_point\""));
}

#[test]
fn bad_input_fails_with_one_line_naming_file_and_position() {
    let dir = tempdir("bad_input");
    let good = root().join("corpus/claude_code/2.1.321/text_answer/0001-logs.json");
    let truncated = dir.join("0001-logs.json");
    let bytes = std::fs::read(&good).expect("read");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).expect("write");
    let out = codetel(&["normalize", good.to_str().unwrap_or_default(), truncated.to_str().unwrap_or_default()]);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "a later bad input must not leave earlier output looking like success");
    let stderr = text(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("0001-logs.json") && stderr.contains("line 1, column"), "{stderr}");

    let garbage = dir.join("0002-traces.pb");
    std::fs::write(&garbage, b"\x0f\xff\xff\xff").expect("write");
    let out = codetel(&["normalize", garbage.to_str().unwrap_or_default()]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("0002-traces.pb") && text(&out.stderr).contains("protobuf"));

    let out = codetel(&["normalize", "no/such/path"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("no/such/path"));
}

#[test]
fn inspect_names_the_vendor_and_why() {
    let out = codetel(&["inspect", "corpus/claude_code/2.1.321/service_name_leak"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("claude_code: instrumentation scope `com.anthropic.claude_code"), "{stdout}");
    assert!(stdout.contains("service.name `opencode`"), "{stdout}");
    assert!(stdout.contains("prompt_length: stringValue"), "wire types are shown: {stdout}");
}

fn tempdir(name: &str) -> std::path::PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

#[test]
fn a_file_exporter_jsonl_normalizes_like_its_capture() {
    let dir = tempdir("jsonl");
    let capture = root().join("corpus/claude_code/2.1.321/traces_beta");
    let mut lines = Vec::new();
    let mut names: Vec<_> = std::fs::read_dir(&capture)
        .expect("read capture")
        .flatten()
        .map(|it| it.file_name().to_string_lossy().into_owned())
        .filter(|it| it.ends_with(".json") && !it.ends_with(".headers.json"))
        .collect();
    names.sort();
    for name in &names {
        let body: serde_json::Value =
            serde_json::from_slice(&std::fs::read(capture.join(name)).expect("read body")).expect("JSON body");
        lines.push(serde_json::to_string(&body).expect("serialize"));
        lines.push(String::new());
    }
    let jsonl = dir.join("export.jsonl");
    std::fs::write(&jsonl, lines.join("\n")).expect("write");
    let from_jsonl = codetel(&["normalize", jsonl.to_str().unwrap_or_default(), "--quiet", "--summary"]);
    let from_capture = codetel(&["normalize", capture.to_str().unwrap_or_default(), "--quiet", "--summary"]);
    assert!(from_jsonl.status.success(), "{}", text(&from_jsonl.stderr));
    let summary = |out: &Output| -> serde_json::Value { serde_json::from_str(&text(&out.stderr)).expect("summary") };
    assert_eq!(summary(&from_jsonl)["inputs"], summary(&from_capture)["inputs"]);
    assert_eq!(summary(&from_jsonl)["records_by_kind"], summary(&from_capture)["records_by_kind"]);
}

/// Findings name each input once: a file given alone by its path, a `.jsonl` line by its path
/// and line, a capture folder's request by folder and file. A `.gz` name on a body that is
/// not gzip is said in the error, since the bytes are read as they are.
#[test]
fn findings_and_errors_name_the_input_once() {
    let dir = tempdir("finding_paths");
    let body: serde_json::Value = serde_json::from_str(
        r#"{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"claude-code"}}]},
        "scopeLogs":[{"scope":{"name":"com.anthropic.claude_code.events"},"logRecords":[{"traceId":"ABC",
        "attributes":[{"key":"event.name","value":{"stringValue":"user_prompt"}}]}]}]}]}"#,
    )
    .expect("body");
    let single = dir.join("0001-logs.json");
    std::fs::write(&single, body.to_string()).expect("write");
    let out = codetel(&["normalize", single.to_str().unwrap_or_default()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    let expected = format!("{} resourceLogs[0].scopeLogs[0].logRecords[0] traceId", single.display());
    assert!(stderr.contains(&expected), "expected `{expected}` in {stderr}");
    assert!(!stderr.contains("0001-logs.json/0001-logs.json"), "{stderr}");

    let jsonl = dir.join("export.jsonl");
    std::fs::write(&jsonl, format!("{body}\n{body}\n")).expect("write");
    let out = codetel(&["normalize", jsonl.to_str().unwrap_or_default()]);
    let stderr = text(&out.stderr);
    for line in [1, 2] {
        let expected = format!("{}:{line} resourceLogs[0]", jsonl.display());
        assert!(stderr.contains(&expected), "expected `{expected}` in {stderr}");
    }

    let capture = dir.join("capture");
    std::fs::create_dir_all(&capture).expect("mkdir");
    std::fs::write(capture.join("0001-logs.json"), body.to_string()).expect("write");
    let out = codetel(&["normalize", capture.to_str().unwrap_or_default()]);
    let expected = format!("{}/0001-logs.json resourceLogs[0]", capture.display());
    assert!(text(&out.stderr).contains(&expected), "expected `{expected}` in {}", text(&out.stderr));

    let not_gzip = dir.join("0002-logs.json.gz");
    std::fs::write(&not_gzip, b"plain text").expect("write");
    let out = codetel(&["normalize", not_gzip.to_str().unwrap_or_default()]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("0002-logs.json.gz (named .gz, but not gzip: read as is)") && stderr.contains("line 1"), "{stderr}");
    let not_gzip_jsonl = dir.join("export.jsonl.gz");
    std::fs::write(&not_gzip_jsonl, format!("{body}\nplain text\n")).expect("write");
    let out = codetel(&["normalize", not_gzip_jsonl.to_str().unwrap_or_default()]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("export.jsonl.gz:2 (named .gz, but not gzip: read as is)"), "{stderr}");
}
