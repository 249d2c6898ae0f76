//! Forwarding: canonical records reach a second codetel collector unchanged over
//! http/protobuf, http/json and gRPC; an upstream outage (and a restart during it) loses
//! nothing; only 429, 502, 503 and 504 are retried, honouring Retry-After (rule H12, H13
//! from the client side); a full queue pushes back with 503.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use axum::response::IntoResponse;

use codetel::collector::auth::Tokens;
use codetel::collector::forward::{ForwardConfig, Protocol};
use codetel::collector::Config;
use codetel::store::{QueueCounts, Store};

use super::harness::*;

fn forward_config(url: String, protocol: Protocol) -> ForwardConfig {
    ForwardConfig {
        url,
        protocol,
        headers: vec![("authorization".to_owned(), "Bearer forward-token".to_owned())],
        backoff_base: Duration::from_millis(20),
        backoff_max: Duration::from_millis(200),
        timeout: Duration::from_secs(10),
    }
}

fn upstream_config(dir: &Path) -> Config {
    let mut config = config(dir);
    config.grpc = Some(([127, 0, 0, 1], 0).into());
    config.tokens = Some(Tokens::parse("upstream:forward-token", "test", None).expect("tokens"));
    config
}

fn queue(db: &Path) -> QueueCounts {
    Store::open_existing(db).expect("db").queue_counts().expect("counts")
}

/// Waits (bounded) until the queue satisfies `done`.
async fn wait_for_queue(db: &Path, done: impl Fn(&QueueCounts) -> bool) -> QueueCounts {
    let started = Instant::now();
    loop {
        let counts = queue(db);
        if done(&counts) {
            return counts;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "queue never got there: {counts:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn without_tenant(mut rows: serde_json::Value) -> serde_json::Value {
    for row in rows.as_array_mut().into_iter().flatten() {
        row["tenant"] = serde_json::Value::Null;
    }
    rows
}

#[tokio::test]
async fn a_second_collector_stores_exactly_what_the_first_forwarded_over_every_protocol() {
    let client = client();
    for protocol in [Protocol::HttpProtobuf, Protocol::HttpJson, Protocol::Grpc] {
        let upstream_dir = temp_dir("forward_upstream");
        let upstream = serve(upstream_config(&upstream_dir)).await;
        let url = match protocol {
            Protocol::Grpc => format!("http://{}", upstream.grpc_addr.expect("grpc")),
            _ => base(&upstream),
        };
        let dir = temp_dir("forward_first");
        let mut config = config(&dir);
        config.merge_window = Duration::from_millis(300);
        config.forward = Some(forward_config(url, protocol));
        let first = serve(config).await;
        let mut batches = 0;
        for scenario in ["traces_beta", "bash_tool_call", "api_error"] {
            batches += replay(&client, &base(&first), &capture_dir(scenario), &[]).await.len();
        }
        let counts = wait_for_queue(&dir.join("codetel.db"), |it| it.pending == 0).await;
        assert_eq!((counts.delivered, counts.failed), (batches, 0), "{protocol:?}");

        let first_sessions = send(&client, reqwest::Method::GET, &format!("{}/api/sessions", base(&first)), None, Vec::new(), &[]).await.json();
        let upstream_sessions = send(
            &client,
            reqwest::Method::GET,
            &format!("{}/api/sessions", base(&upstream)),
            None,
            Vec::new(),
            &[("authorization", "Bearer forward-token")],
        )
        .await
        .json();
        stop(first).await;
        stop(upstream).await;
        let sent = stored_records(&dir.join("codetel.db"));
        let received = stored_records(&upstream_dir.join("codetel.db"));
        assert!(!sent.is_empty());
        assert_same_records(&received, &sent, &format!("{protocol:?}: the upstream holds the same canonical records"));
        assert_eq!(upstream_sessions[0]["tenant"], "upstream", "the upstream's tenant is its own token's");
        assert_eq!(without_tenant(upstream_sessions), without_tenant(first_sessions), "{protocol:?}");
    }
}

#[tokio::test]
async fn an_upstream_outage_and_a_restart_during_it_lose_nothing() {
    let client = client();
    // A port with nothing listening: connection refused, a retryable failure.
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let dir = temp_dir("outage");
    let db = dir.join("codetel.db");
    let make_config = || {
        let mut config = config(&dir);
        config.merge_window = Duration::ZERO;
        config.forward = Some(forward_config(format!("http://127.0.0.1:{port}"), Protocol::HttpProtobuf));
        config
    };
    let first = serve(make_config()).await;
    let batches = replay(&client, &base(&first), &capture_dir("bash_tool_call"), &[]).await.len();
    let counts = wait_for_queue(&db, |it| it.retrying >= 1).await;
    assert_eq!(counts.pending, batches, "everything waits in the queue");
    stop(first).await;

    // The upstream comes back on that port; the first collector restarts and drains its queue.
    let upstream_dir = temp_dir("outage_upstream");
    let mut upstream_config = upstream_config(&upstream_dir);
    upstream_config.http = Some(([127, 0, 0, 1], port).into());
    let upstream = serve(upstream_config).await;
    let first = serve(make_config()).await;
    let counts = wait_for_queue(&db, |it| it.pending == 0).await;
    assert_eq!(counts.delivered, batches);
    stop(first).await;
    stop(upstream).await;
    assert_same_records(&stored_records(&upstream_dir.join("codetel.db")), &stored_records(&db), "after the outage");
}

/// A scripted answer: status, `Retry-After`, body.
type Answer = (u16, Option<&'static str>, &'static str);

/// An upstream that answers from a script and counts calls.
#[derive(Clone, Default)]
struct Script {
    answers: Arc<Mutex<VecDeque<Answer>>>,
    calls: Arc<Mutex<Vec<String>>>,
}

async fn scripted(script: Script) -> String {
    let handler = move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
        let script = script.clone();
        async move {
            let auth = headers.get("authorization").and_then(|it| it.to_str().ok()).unwrap_or_default().to_owned();
            script.calls.lock().expect("lock").push(format!("{auth} {} bytes", body.len()));
            let (status, retry_after, body) = script.answers.lock().expect("lock").pop_front().unwrap_or((200, None, ""));
            let mut response = (StatusCode::from_u16(status).expect("status"), body.to_owned()).into_response();
            if let Some(value) = retry_after {
                let _ = response.headers_mut().insert("retry-after", value.parse().expect("header"));
            }
            let _ = response.headers_mut().insert("content-type", "application/json".parse().expect("header"));
            response
        }
    };
    let router = axum::Router::new().route("/v1/logs", axum::routing::post(handler));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("addr");
    let _server = tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{address}")
}

#[tokio::test]
async fn only_429_502_503_504_are_retried_and_retry_after_is_honoured() {
    let client = client();
    let script = Script::default();
    let upstream = scripted(script.clone()).await;
    let dir = temp_dir("retry_rules");
    let db = dir.join("codetel.db");
    let mut config = config(&dir);
    config.merge_window = Duration::ZERO;
    let mut forward = forward_config(upstream, Protocol::HttpJson);
    forward.headers = vec![("authorization".to_owned(), "Bearer up".to_owned())];
    config.forward = Some(forward);
    let first = serve(config).await;
    let logs = std::fs::read(capture_dir("text_answer").join("0001-logs.json")).expect("body");
    let url = format!("{}/v1/logs", base(&first));
    let calls = |script: &Script| script.calls.lock().expect("lock").len();

    // Retryable answers, with Retry-After in seconds and as a past HTTP-date, then success.
    script.answers.lock().expect("lock").extend([
        (503, Some("0"), ""),
        (429, Some("Sun, 06 Nov 1994 08:49:37 GMT"), ""),
        (502, None, ""),
        (504, None, ""),
        (200, None, "{}"),
    ]);
    assert_eq!(post(&client, &url, "application/json", logs.clone(), &[]).await.status, 200);
    let counts = wait_for_queue(&db, |it| it.delivered == 1).await;
    assert_eq!((counts.pending, counts.failed), (0, 0));
    assert_eq!(calls(&script), 5, "four retries, then delivered");
    assert!(script.calls.lock().expect("lock").iter().all(|it| it.starts_with("Bearer up")), "headers go upstream");

    // Permanent failures are tried once and kept as failed.
    for (index, status) in [400u16, 401, 404, 413, 500, 501].into_iter().enumerate() {
        script.answers.lock().expect("lock").push_back((status, Some("0"), "{\"code\":3}"));
        let before = calls(&script);
        let body = replaced(&logs, "\"1795270", &format!("\"17952{}", 71 + index));
        assert_eq!(post(&client, &url, "application/json", body, &[]).await.status, 200);
        let counts = wait_for_queue(&db, |it| it.failed == index + 1).await;
        assert_eq!(counts.pending, 0);
        assert_eq!(calls(&script), before + 1, "{status} is not retried");
    }

    // A partial success is delivered, not retried.
    script.answers.lock().expect("lock").push_back((
        200,
        None,
        r#"{"partialSuccess":{"rejectedLogRecords":"1","errorMessage":"one bad record"}}"#,
    ));
    let before = calls(&script);
    let body = replaced(&logs, "\"1795270", "\"1795290");
    assert_eq!(post(&client, &url, "application/json", body, &[]).await.status, 200);
    let _ = wait_for_queue(&db, |it| it.delivered == 2).await;
    assert_eq!(calls(&script), before + 1);
    stop(first).await;
}

#[tokio::test]
async fn a_full_forwarding_queue_pushes_back_with_503_and_stores_nothing_more() {
    let client = client();
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let dir = temp_dir("queue_full");
    let mut config = config(&dir);
    let mut forward = forward_config(format!("http://127.0.0.1:{port}"), Protocol::HttpProtobuf);
    forward.backoff_base = Duration::from_secs(30);
    config.forward = Some(forward);
    config.forward_queue_max = 1;
    let first = serve(config).await;
    let capture = recorded(&capture_dir("bash_tool_call"));
    let url = |path: &str| format!("{}{}", base(&first), path);
    let reply = post(&client, &url(&capture[0].path), &capture[0].content_type, capture[0].body.clone(), &[]).await;
    assert_eq!(reply.status, 200);
    let reply = post(&client, &url(&capture[1].path), &capture[1].content_type, capture[1].body.clone(), &[]).await;
    assert_eq!(reply.status, 503);
    assert_eq!(reply.header("retry-after"), Some("1"));
    stop(first).await;
    assert_eq!(stored_requests(&dir.join("codetel.db")), 1);
}
