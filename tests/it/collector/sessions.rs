//! Sessions: one row per chat across signals and requests, exact figures, subagents rolled up
//! into their parent, resumed sessions linked, cumulative counters never counted twice (not
//! even across a restart), the identity policy, and the CLI and the HTTP API agreeing.

use std::process::Command;

use serde_json::{json, Value};

use codetel::store::sessions::{self, Filter, IdentityPolicy};
use codetel::store::Store;

use super::harness::*;

const JSON: &str = "application/json";

/// A log body with one more attribute on every log record.
fn with_record_attribute(body: &[u8], key: &str, value: &str) -> Vec<u8> {
    let mut request: Value = serde_json::from_slice(body).expect("JSON body");
    for resource in request["resourceLogs"].as_array_mut().into_iter().flatten() {
        for scope in resource["scopeLogs"].as_array_mut().into_iter().flatten() {
            for record in scope["logRecords"].as_array_mut().into_iter().flatten() {
                if let Some(attributes) = record["attributes"].as_array_mut() {
                    attributes.push(json!({"key": key, "value": {"stringValue": value}}));
                }
            }
        }
    }
    serde_json::to_vec(&request).expect("JSON")
}

fn text_answer_logs() -> (Vec<u8>, String) {
    let body = std::fs::read(capture_dir("text_answer").join("0001-logs.json")).expect("body");
    let request: Value = serde_json::from_slice(&body).expect("JSON");
    let session = request["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0]["attributes"]
        .as_array()
        .and_then(|it| it.iter().find(|it| it["key"] == "session.id"))
        .and_then(|it| it["value"]["stringValue"].as_str())
        .expect("session.id")
        .to_owned();
    (body, session)
}

async fn api(client: &reqwest::Client, base: &str, path: &str) -> Value {
    let reply = send(client, reqwest::Method::GET, &format!("{base}{path}"), None, Vec::new(), &[]).await;
    assert_eq!(reply.status, 200, "{path}: {}", String::from_utf8_lossy(&reply.body));
    reply.json()
}

fn cli(args: &[&str], db: &std::path::Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_codetel")).args(args).arg("--db").arg(db).output().expect("run codetel");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn logs_and_metrics_of_one_session_are_one_row_with_exact_figures() {
    let dir = temp_dir("one_row");
    let running = serve(config(&dir)).await;
    let client = client();
    let _ = replay(&client, &base(&running), &capture_dir("bash_tool_call"), &[]).await;
    let listed = api(&client, &base(&running), "/api/sessions").await;
    let detail = api(&client, &base(&running), &format!("/api/sessions/{BASH_SESSION}")).await;
    let missing = send(&client, reqwest::Method::GET, &format!("{}/api/sessions/nope", base(&running)), None, Vec::new(), &[]).await;
    assert_eq!(missing.status, 404);
    stop(running).await;

    let rows = listed.as_array().expect("rows");
    assert_eq!(rows.len(), 1, "{listed}");
    let row = &rows[0];
    assert_eq!(row["session_id"], BASH_SESSION);
    assert_eq!(row["vendor"], "claude_code");
    assert_eq!(row["user"], "0".repeat(64));
    assert_eq!(row["user_source"], "coding_agent.user.id");
    assert_eq!(row["models"], json!(["claude-opus-5-5"]));
    assert_eq!((row["prompts"].as_u64(), row["llm_calls"].as_u64(), row["tool_calls"].as_u64()), (Some(1), Some(2), Some(1)));
    assert_eq!(row["errors"], 0);
    assert_eq!(row["tokens"], json!({"input": 1300, "output": 43, "cache_read": 1000, "cache_creation": 60, "reasoning": null}));
    assert_eq!(row["cost_usd_micros"], 2320, "exact micro-USD");
    assert_eq!(row["usage_source"], "llm_calls", "api_request events, not the cost metric as well");
    assert!(row["start"].as_str().unwrap_or_default().starts_with("2026-11-21T"));
    let db = dir.join("codetel.db");
    assert_eq!(row["records"].as_u64(), Some(stored_records(&db).len() as u64), "logs and metrics in one row");

    // The CLI says the same as the API.
    let cli_json: Value = serde_json::from_str(&cli(&["sessions", "--format", "json"], &db)).expect("JSON");
    assert_eq!(cli_json, listed);
    let cli_detail: Value = serde_json::from_str(&cli(&["session", BASH_SESSION, "--format", "json"], &db)).expect("JSON");
    assert_eq!(cli_detail, detail);
    let timeline = detail["timeline"].as_array().expect("timeline");
    assert_eq!(timeline.len() as u64, row["records"].as_u64().unwrap_or_default());
    let times: Vec<u64> = timeline.iter().filter_map(|it| it["time_unix_nano"].as_u64()).collect();
    assert!(times.windows(2).all(|it| it[0] <= it[1]), "in time order");
    let table = cli(&["sessions"], &db);
    assert!(table.contains(BASH_SESSION) && table.contains("0.002320") && table.contains("claude-opus-5-5"), "{table}");
    let table = cli(&["session", BASH_SESSION], &db);
    assert!(table.contains("llm_call") && table.contains("tool_call"), "{table}");
    let vendor_filtered: Value = serde_json::from_str(&cli(&["sessions", "--vendor", "codex", "--format", "json"], &db)).expect("JSON");
    assert_eq!(vendor_filtered, json!([]));
}

#[tokio::test]
async fn three_subagents_roll_up_into_one_row_with_three_children() {
    let dir = temp_dir("subagents");
    let running = serve(config(&dir)).await;
    let client = client();
    let url = format!("{}/v1/logs", base(&running));
    let (body, parent) = text_answer_logs();
    assert_eq!(post(&client, &url, JSON, body.clone(), &[]).await.status, 200);
    let children = ["child-session-1", "child-session-2", "child-session-3"];
    for child in children {
        let variant = with_record_attribute(&replaced(&body, &parent, child), "parent_session_id", &parent);
        assert_eq!(post(&client, &url, JSON, variant, &[]).await.status, 200);
    }
    let listed = api(&client, &base(&running), "/api/sessions").await;
    let by_child = api(&client, &base(&running), "/api/sessions/child-session-2").await;
    stop(running).await;

    let rows = listed.as_array().expect("rows");
    assert_eq!(rows.len(), 1, "one chat: {listed}");
    let row = &rows[0];
    assert_eq!(row["session_id"], parent.as_str());
    let ids: Vec<&str> = row["children"].as_array().expect("children").iter().filter_map(|it| it["session_id"].as_str()).collect();
    assert_eq!(ids, children);
    for child in row["children"].as_array().into_iter().flatten() {
        assert_eq!(child["parent_session_id"], parent.as_str());
        assert_eq!(child["prompts"], 1);
    }
    assert_eq!(row["prompts"], 4, "the row totals the chat");
    let one = row["children"][0]["cost_usd_micros"].as_i64().expect("cost");
    assert_eq!(row["cost_usd_micros"].as_i64(), Some(4 * one));
    assert_eq!(by_child["session"]["session_id"], parent.as_str(), "a child's id finds its chat");
    let sessions_in_timeline: std::collections::BTreeSet<&str> =
        by_child["timeline"].as_array().into_iter().flatten().filter_map(|it| it["session_id"].as_str()).collect();
    assert_eq!(sessions_in_timeline.len(), 4);
}

#[tokio::test]
async fn a_parent_known_only_from_its_children_is_still_one_chat() {
    let dir = temp_dir("orphans");
    let running = serve(config(&dir)).await;
    let client = client();
    let url = format!("{}/v1/logs", base(&running));
    let (body, original) = text_answer_logs();
    for child in ["orphan-1", "orphan-2"] {
        let variant = with_record_attribute(&replaced(&body, &original, child), "parent.session.id", "never-seen-parent");
        assert_eq!(post(&client, &url, JSON, variant, &[]).await.status, 200);
    }
    let listed = api(&client, &base(&running), "/api/sessions").await;
    stop(running).await;
    let rows = listed.as_array().expect("rows");
    assert_eq!(rows.len(), 1, "{listed}");
    assert_eq!(rows[0]["session_id"], "never-seen-parent");
    assert_eq!(rows[0]["seen"], false);
    assert_eq!(rows[0]["children"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn a_session_whose_spans_hang_under_another_sessions_span_is_its_child() {
    let dir = temp_dir("span_parent");
    let running = serve(config(&dir)).await;
    let client = client();
    let span = |session: &str, span_id: &str, parent: Option<&str>| {
        let mut span = json!({
            "traceId": "081f028dc071d74ff338b9f36af437dc",
            "spanId": span_id,
            "name": "claude_code.interaction",
            "kind": 1,
            "startTimeUnixNano": "1795270385046000000",
            "endTimeUnixNano": "1795270386046000000",
            "attributes": [{"key": "session.id", "value": {"stringValue": session}}]
        });
        if let Some(parent) = parent {
            span["parentSpanId"] = json!(parent);
        }
        span
    };
    let body = json!({"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "claude-code"}}]},
        "scopeSpans": [{"scope": {"name": "com.anthropic.claude_code.tracing"}, "spans": [
            span("main-session", "1111111111111111", None),
            span("sub-session", "2222222222222222", Some("1111111111111111")),
        ]}]
    }]});
    let reply = post(&client, &format!("{}/v1/traces", base(&running)), JSON, serde_json::to_vec(&body).expect("JSON"), &[]).await;
    assert_eq!(reply.status, 200);
    let listed = api(&client, &base(&running), "/api/sessions").await;
    stop(running).await;
    let rows = listed.as_array().expect("rows");
    assert_eq!(rows.len(), 1, "{listed}");
    assert_eq!(rows[0]["session_id"], "main-session");
    assert_eq!(rows[0]["children"][0]["session_id"], "sub-session");
}

#[tokio::test]
async fn a_resumed_session_is_linked_not_split() {
    let dir = temp_dir("resume");
    let running = serve(config(&dir)).await;
    let client = client();
    let url = format!("{}/v1/logs", base(&running));
    let (body, original) = text_answer_logs();
    assert_eq!(post(&client, &url, JSON, body.clone(), &[]).await.status, 200);
    // Resumed later under a new id, naming the session it resumes.
    let later = replaced(&replaced(&body, &original, "resumed-session"), "\"1795270", "\"1795271");
    let later = replaced(&later, "b7763a70-72a9-49b0-96c7-538063577467", "another-prompt-id");
    let later = with_record_attribute(&later, "session.resumed_from", &original);
    assert_eq!(post(&client, &url, JSON, later, &[]).await.status, 200);
    // And a third id whose records carry a prompt id of the first (one turn split over two ids).
    let split = replaced(&replaced(&body, &original, "split-session"), "\"1795270", "\"1795272");
    assert_eq!(post(&client, &url, JSON, split, &[]).await.status, 200);
    let listed = api(&client, &base(&running), "/api/sessions").await;
    stop(running).await;
    let rows = listed.as_array().expect("rows");
    assert_eq!(rows.len(), 1, "{listed}");
    assert_eq!(rows[0]["session_id"], original.as_str());
    assert_eq!(rows[0]["linked_sessions"], json!(["resumed-session", "split-session"]));
    assert_eq!(rows[0]["prompts"], 3);
    assert_eq!(rows[0]["children"], json!([]));
}

/// A Claude Code cost counter exported with cumulative temporality.
fn cumulative_cost(usd: f64, time: u64, spacing: &str) -> Vec<u8> {
    let body = json!({"resourceMetrics": [{
        "resource": {"attributes": [
            {"key": "service.name", "value": {"stringValue": "claude-code"}},
            {"key": "service.version", "value": {"stringValue": "2.1.321"}}
        ]},
        "scopeMetrics": [{"scope": {"name": "com.anthropic.claude_code", "version": "2.1.321"}, "metrics": [{
            "name": "claude_code.cost.usage",
            "unit": "USD",
            "sum": {"aggregationTemporality": 2, "isMonotonic": true, "dataPoints": [{
                "attributes": [
                    {"key": "session.id", "value": {"stringValue": "metrics-only-session"}},
                    {"key": "model", "value": {"stringValue": "claude-opus-5-5"}}
                ],
                "startTimeUnixNano": "1795270000000000000",
                "timeUnixNano": time.to_string(),
                "asDouble": usd
            }]}
        }]}]
    }]});
    let mut bytes = serde_json::to_vec(&body).expect("JSON");
    // A different spelling of the same data, so the body hash differs.
    bytes.extend_from_slice(spacing.as_bytes());
    bytes
}

#[tokio::test]
async fn cumulative_counters_count_their_increase_once_even_across_a_restart() {
    let dir = temp_dir("cumulative");
    let client = client();
    let cost = |db: &std::path::Path| {
        let store = Store::open_existing(db).expect("db");
        let rows = sessions::list(&store.records(None).expect("records"), &IdentityPolicy::default(), &Filter::default());
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].figures.usage_source.as_deref(), Some("metrics"), "no llm_call records: metrics are the source");
        rows[0].figures.cost_usd_micros
    };
    let db = dir.join("codetel.db");

    let running = serve(config(&dir)).await;
    let url = format!("{}/v1/metrics", base(&running));
    assert_eq!(post(&client, &url, JSON, cumulative_cost(0.5, 1795270010000000000, ""), &[]).await.status, 200);
    stop(running).await;
    assert_eq!(cost(&db), Some(500_000));

    // A restarted collector remembers the stream: the next total adds only its increase.
    let running = serve(config(&dir)).await;
    let url = format!("{}/v1/metrics", base(&running));
    assert_eq!(post(&client, &url, JSON, cumulative_cost(0.75, 1795270020000000000, ""), &[]).await.status, 200);
    assert_eq!(cost(&db), Some(750_000));
    // A stale process re-sending the same total every minute adds nothing.
    assert_eq!(post(&client, &url, JSON, cumulative_cost(0.75, 1795270080000000000, ""), &[]).await.status, 200);
    // A late copy of an older point adds nothing either.
    assert_eq!(post(&client, &url, JSON, cumulative_cost(0.5, 1795270010000000000, " "), &[]).await.status, 200);
    stop(running).await;
    assert_eq!(cost(&db), Some(750_000));
    let deltas: Vec<i64> = stored_records(&db)
        .iter()
        .filter_map(|it| it["attributes"]["coding_agent.metric.delta"].as_i64())
        .collect();
    assert_eq!(deltas, [500_000, 250_000, 0, 0]);
}

#[tokio::test]
async fn the_identity_policy_picks_the_user_and_email_never_overrides_a_stamped_id() {
    let dir = temp_dir("identity");
    let running = serve(config(&dir)).await;
    let client = client();
    let url = format!("{}/v1/logs", base(&running));
    let (body, original) = text_answer_logs();
    let with_email = with_record_attribute(&body, "user.email", "dev@example.com");
    assert_eq!(post(&client, &url, JSON, with_email, &[]).await.status, 200);
    // A session whose records carry no user id: only the e-mail names someone.
    let no_id = replaced(&replaced(&body, &original, "no-id-session"), "\"user.id\"", "\"user.other\"");
    let no_id = replaced(&no_id, "b7763a70-72a9-49b0-96c7-538063577467", "its-own-prompt-id");
    let no_id = with_record_attribute(&no_id, "user.email", "solo@example.com");
    assert_eq!(post(&client, &url, JSON, no_id, &[]).await.status, 200);
    stop(running).await;

    let store = Store::open_existing(&dir.join("codetel.db")).expect("db");
    let records = store.records(None).expect("records");
    let user = |policy: &IdentityPolicy, id: &str| {
        let rows = sessions::list(&records, policy, &Filter::default());
        let row = rows.into_iter().find(|it| it.session_id == id).expect("row");
        (row.user, row.user_source)
    };
    let default = IdentityPolicy::default();
    assert_eq!(user(&default, &original), (Some("0".repeat(64)), Some("coding_agent.user.id".to_owned())));
    assert_eq!(user(&default, "no-id-session"), (None, None), "e-mail only when configured");
    let email = IdentityPolicy { use_email: true, ..IdentityPolicy::default() };
    assert_eq!(user(&email, &original).1.as_deref(), Some("coding_agent.user.id"), "the stamped id wins over the e-mail");
    assert_eq!(user(&email, "no-id-session"), (Some("solo@example.com".to_owned()), Some("coding_agent.user.email".to_owned())));
    let account_first =
        IdentityPolicy { user_keys: vec!["coding_agent.user.account_id".to_owned()], ..IdentityPolicy::default() };
    assert_eq!(user(&account_first, &original), (None, None), "only the configured attributes name a user");
}

#[tokio::test]
async fn minimal_mode_stores_no_identity_so_sessions_name_no_user() {
    let dir = temp_dir("minimal");
    let mut config = config(&dir);
    config.capture_mode = codetel::schema::CaptureMode::Minimal;
    let running = serve(config).await;
    let client = client();
    let _ = replay(&client, &base(&running), &capture_dir("bash_tool_call"), &[]).await;
    let listed = api(&client, &base(&running), "/api/sessions").await;
    stop(running).await;
    assert_eq!(listed[0]["user"], Value::Null, "{listed}");
    assert_eq!(listed[0]["cost_usd_micros"], 2320);
    let records = stored_records(&dir.join("codetel.db"));
    assert!(records.iter().all(|it| it["capture_mode"] == "minimal"));
    assert!(records.iter().all(|it| it["attributes"].get("coding_agent.user.id").is_none()));
}
