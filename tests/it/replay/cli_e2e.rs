//! The real `codetel replay` binary: `--verify` against a live reference collector, reports
//! written to a file, the exit status (non-zero on rejects and failures unless
//! `--allow-rejects`, non-zero on a verify difference), and the auth helpers.

use std::process::Output;

use base64::Engine;
use wiremock::matchers::{header, method};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::harness::*;

/// Runs the binary off the test's runtime thread, so the in-process servers keep answering.
async fn codetel(args: Vec<String>, env: Vec<(String, String)>) -> Output {
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_codetel"))
            .args(&args)
            .envs(env)
            .output()
            .expect("run codetel")
    })
    .await
    .expect("join")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn replay_with_verify_into_a_live_collector_succeeds_and_writes_a_json_report() {
    let dir = temp_dir("cli_verify");
    let running = collector(&dir, false).await;
    let report_file = dir.join("report.json");
    let args = vec![
        "replay".to_owned(),
        claude("traces_beta").display().to_string(),
        claude("bash_tool_call_protobuf").display().to_string(),
        "--to".to_owned(),
        base(&running),
        "--fresh-ids".to_owned(),
        "--rebase-time".to_owned(),
        "--verify".to_owned(),
        "--report".to_owned(),
        "json".to_owned(),
        "--report-file".to_owned(),
        report_file.display().to_string(),
    ];
    let output = codetel(args, Vec::new()).await;
    stop(running).await;
    assert!(output.status.success(), "stdout:\n{}\nstderr:\n{}", text(&output.stdout), text(&output.stderr));
    assert_eq!(text(&output.stderr).matches("records as expected").count(), 2, "{}", text(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&report_file).expect("report")).expect("JSON");
    assert_eq!(report["total"]["failed"], 0);
    assert_eq!(report["total"]["accepted"], report["total"]["items"]);
    assert!(report["rows"].as_array().is_some_and(|it| it.len() == 5), "3 signals + 2 signals: {report}");
    // The terminal table is printed too.
    assert!(text(&output.stdout).contains("total"));
}

#[tokio::test]
async fn a_verify_difference_is_shown_as_a_diff_and_fails_the_run() {
    let dir = temp_dir("cli_verify_diff");
    let running = collector(&dir, false).await;
    // The collector stores metadata_only; expecting full records must show the dropped content.
    let args = vec![
        "replay".to_owned(),
        claude("content_flags_on").display().to_string(),
        "--to".to_owned(),
        base(&running),
        "--verify".to_owned(),
        "--verify-capture-mode".to_owned(),
        "full".to_owned(),
    ];
    let output = codetel(args, Vec::new()).await;
    stop(running).await;
    let stderr = text(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("--- expected") && stderr.contains("+++ stored"), "{stderr}");
    assert!(stderr.lines().any(|it| it.starts_with('-')), "{stderr}");
    assert!(stderr.contains("replays differ in the collector"), "{stderr}");
}

#[tokio::test]
async fn rejects_fail_the_run_unless_allowed_and_junit_names_them() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_string(r#"{"code":3,"message":"no"}"#))
        .mount(&server)
        .await;
    let dir = temp_dir("cli_rejects");
    let junit = dir.join("report.xml");
    let mut args = vec![
        "replay".to_owned(),
        claude("bash_tool_call").display().to_string(),
        "--to".to_owned(),
        server.uri(),
        "--report".to_owned(),
        "junit".to_owned(),
        "--report-file".to_owned(),
        junit.display().to_string(),
    ];
    let output = codetel(args.clone(), Vec::new()).await;
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("2 of 2 requests failed"), "{}", text(&output.stderr));
    let xml = std::fs::read_to_string(&junit).expect("junit");
    assert!(xml.contains("<testsuite name=\"claude_code/2.1.321/bash_tool_call\""), "{xml}");
    assert_eq!(xml.matches("<failure").count(), 2, "{xml}");
    args.push("--allow-rejects".to_owned());
    let output = codetel(args, Vec::new()).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
}

#[tokio::test]
async fn bearer_token_file_and_basic_auth_helpers_send_authorization() {
    let server = MockServer::start().await;
    let basic = base64::engine::general_purpose::STANDARD.encode("pub:s3cret");
    Mock::given(method("POST"))
        .and(header("authorization", "Bearer tok-123"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(header("authorization", format!("Basic {basic}").as_str()))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(401)).mount(&server).await;
    let dir = temp_dir("cli_auth");
    let token_file = dir.join("token");
    std::fs::write(&token_file, "tok-123\n").expect("write token");
    let capture = claude("bash_tool_call").display().to_string();
    let bearer = vec![
        "replay".to_owned(),
        capture.clone(),
        "--to".to_owned(),
        server.uri(),
        "--token-file".to_owned(),
        token_file.display().to_string(),
    ];
    let output = codetel(bearer, Vec::new()).await;
    assert!(output.status.success(), "{}{}", text(&output.stdout), text(&output.stderr));
    let basic_args = vec![
        "replay".to_owned(),
        capture.clone(),
        "--to".to_owned(),
        server.uri(),
        "--basic-user".to_owned(),
        "pub".to_owned(),
        "--basic-password-env".to_owned(),
        "REPLAY_TEST_PASSWORD".to_owned(),
    ];
    let output = codetel(basic_args, vec![("REPLAY_TEST_PASSWORD".to_owned(), "s3cret".to_owned())]).await;
    assert!(output.status.success(), "{}{}", text(&output.stdout), text(&output.stderr));
    // Without credentials the endpoint's 401 fails the run, and is not retried.
    let output = codetel(vec!["replay".to_owned(), capture, "--to".to_owned(), server.uri()], Vec::new()).await;
    assert!(!output.status.success());
    assert!(text(&output.stdout).contains("401 on json"), "{}", text(&output.stdout));
    // The secrets are never printed.
    assert!(!text(&output.stdout).contains("s3cret") && !text(&output.stderr).contains("tok-123"));
}
