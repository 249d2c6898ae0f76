//! The OTLP client rules against scripted endpoints (wiremock on 127.0.0.1): only 429, 502,
//! 503 and 504 are retried, `Retry-After` is honoured in both forms, 400 and partial
//! success are final, answers are reported per encoding, slow answers show in the
//! latencies, connection resets are retried and then reported as failed, `--rate` spreads
//! requests; and over gRPC (the reference collector with tokens) a refusal is read from the
//! status code and not retried.

use std::time::{Duration, Instant, SystemTime};

use codetel::otlp::Encoding;
use codetel::replay::{Options, Transport};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::harness::*;

/// One recorded OTLP/JSON logs request of Claude Code.
fn one_logs_request() -> Vec<codetel::replay::ReplayCapture> {
    load(&claude("bash_tool_call").join("0001-logs.json"))
}

async fn received(server: &MockServer) -> usize {
    server.received_requests().await.map(|it| it.len()).unwrap_or(0)
}

#[tokio::test]
async fn a_429_with_retry_after_seconds_is_retried_then_accepted() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/logs"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "0"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST")).and(path("/v1/logs")).respond_with(ResponseTemplate::new(200)).mount(&server).await;
    let (_, report) = run(one_logs_request(), http(&server.uri()), fast_options()).await;
    assert_eq!(received(&server).await, 2);
    assert_eq!((report.total.retried, report.total.failed, report.total.rejected), (1, 0, 0), "{}", report.table());
    assert_eq!(report.total.accepted, report.total.items);
    assert!(report.total.answers.contains_key("429 on json (retried)"), "{:?}", report.total.answers);
    assert!(report.total.answers.contains_key("200 on json"), "{:?}", report.total.answers);
    assert!(report.success(false));
}

#[tokio::test]
async fn retry_after_as_an_http_date_is_honoured() {
    let server = MockServer::start().await;
    let when = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(2));
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503).insert_header("retry-after", when.as_str()))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(200)).mount(&server).await;
    let started = Instant::now();
    let (_, report) = run(one_logs_request(), http(&server.uri()), fast_options()).await;
    let waited = started.elapsed();
    assert_eq!(received(&server).await, 2);
    assert_eq!((report.total.retried, report.total.failed), (1, 0), "{}", report.table());
    // The date has one-second resolution: the wait is between one and two seconds, far more
    // than the 10 ms backoff the policy would have used on its own.
    assert!(waited >= Duration::from_millis(900), "waited only {waited:?}");
    assert!(waited < Duration::from_secs(30));
}

#[tokio::test]
async fn a_503_forever_is_retried_a_bounded_number_of_times_then_failed() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(503)).mount(&server).await;
    let options = fast_options();
    let max_retries = options.retry.max_retries;
    let (_, report) = run(one_logs_request(), http(&server.uri()), options).await;
    assert_eq!(received(&server).await, 1 + max_retries as usize);
    assert_eq!(report.total.retried, u64::from(max_retries));
    assert_eq!(report.total.failed, 1);
    assert_eq!(report.total.failed_items, report.total.items);
    assert!(!report.success(false));
    assert!(report.success(true), "--allow-rejects turns failures into a zero exit");
}

#[tokio::test]
async fn a_400_is_not_retried_and_its_status_message_is_reported() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(400)
                .insert_header("content-type", "application/json")
                .set_body_string(r#"{"code":3,"message":"bad trace id"}"#),
        )
        .mount(&server)
        .await;
    let (_, report) = run(one_logs_request(), http(&server.uri()), fast_options()).await;
    assert_eq!(received(&server).await, 1);
    assert_eq!((report.total.retried, report.total.failed), (0, 1));
    assert!(report.total.messages.iter().any(|it| it == "400: bad trace id"), "{:?}", report.total.messages);
    assert!(report.total.answers.contains_key("400 on json"));
}

#[tokio::test]
async fn a_json_only_endpoint_answers_415_on_protobuf_and_the_report_says_so() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(header("content-type", "application/json"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(415).set_body_string("unsupported media type"))
        .mount(&server)
        .await;
    let (_, json) = run(one_logs_request(), http(&server.uri()), fast_options()).await;
    assert!(json.success(false), "{}", json.table());
    let options = Options { encoding: Some(Encoding::Protobuf), ..fast_options() };
    let (_, protobuf) = run(one_logs_request(), http(&server.uri()), options).await;
    assert_eq!((protobuf.total.failed, protobuf.total.retried), (1, 0));
    assert!(protobuf.total.answers.contains_key("415 on protobuf"), "{:?}", protobuf.total.answers);
    assert!(protobuf.table().contains("415 on protobuf"));
    assert!(protobuf.markdown().contains("415 on protobuf"));
    assert!(protobuf.junit().contains("<failure message=\"1 failed, 0 rejected\">"));
}

#[tokio::test]
async fn a_partial_success_is_counted_as_rejected_and_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "application/json")
                .set_body_string(r#"{"partialSuccess":{"rejectedLogRecords":"2","errorMessage":"2 records too old"}}"#),
        )
        .mount(&server)
        .await;
    let (_, report) = run(one_logs_request(), http(&server.uri()), fast_options()).await;
    assert_eq!(received(&server).await, 1);
    assert_eq!((report.total.rejected, report.total.failed, report.total.retried), (2, 0, 0));
    assert_eq!(report.total.accepted, report.total.items - 2);
    assert!(report.total.messages.iter().any(|it| it.contains("2 records too old")));
    assert!(!report.success(false));
    assert!(report.success(true));
    let json: serde_json::Value = serde_json::from_str(&report.json()).expect("JSON report");
    assert_eq!(json["total"]["rejected"], 2);
}

#[tokio::test]
async fn slow_answers_show_in_the_latency_percentiles() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_millis(300)))
        .mount(&server)
        .await;
    let (_, report) = run(one_logs_request(), http(&server.uri()), fast_options()).await;
    assert_eq!(report.total.failed, 0);
    assert!(report.total.p50_ms >= 250.0, "p50 {}", report.total.p50_ms);
    assert!(report.total.p99_ms >= report.total.p50_ms);
}

#[tokio::test]
async fn connection_resets_are_retried_then_reported_as_failed() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let accepts = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = accepts.clone();
    let server = tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else { break };
            let _ = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            // Linger zero: closing sends a reset instead of an orderly end (deprecated because
            // a non-zero linger blocks on drop; a zero one never does).
            #[allow(deprecated)]
            let _ = socket.set_linger(Some(Duration::ZERO));
            drop(socket);
        }
    });
    let (_, report) = run(one_logs_request(), http(&format!("http://{address}")), fast_options()).await;
    server.abort();
    assert_eq!(report.total.failed, 1);
    assert_eq!(report.total.retried, 3);
    assert!(accepts.load(std::sync::atomic::Ordering::SeqCst) >= 4);
    assert!(report.total.answers.keys().any(|it| it.starts_with("no answer")), "{:?}", report.total.answers);
}

#[tokio::test]
async fn extra_headers_are_sent_and_recorded_credentials_never_are() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(header("authorization", "Bearer replay-token"))
        .and(header("x-scope", "ci"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let headers = vec![("authorization".to_owned(), "Bearer replay-token".to_owned()), ("x-scope".to_owned(), "ci".to_owned())];
    let transport = Transport::http(&server.uri(), headers, Duration::from_secs(30)).expect("transport");
    let (_, report) = run(load(&claude("bash_tool_call")), transport, fast_options()).await;
    assert!(report.success(false), "{}", report.table());
    for request in server.received_requests().await.unwrap_or_default() {
        // Only the media type and compression come from the recording.
        assert!(request.headers.get("user-agent").is_none_or(|it| !it.to_str().unwrap_or_default().contains("OTel")));
        assert_eq!(request.headers.get_all("authorization").iter().count(), 1);
    }
}

#[tokio::test]
async fn rate_spreads_requests_over_time() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(200)).mount(&server).await;
    // Four requests at 10 per second: three gaps of 100 ms at least.
    let options = Options { repeat: 4, concurrency: 4, rate: Some(10.0), ..fast_options() };
    let started = Instant::now();
    let (_, report) = run(one_logs_request(), http(&server.uri()), options).await;
    let took = started.elapsed();
    assert_eq!((report.total.requests, report.total.failed), (4, 0));
    assert!(took >= Duration::from_millis(280), "4 requests at 10/s took {took:?}");
    assert!(took < Duration::from_secs(30));
}

#[tokio::test]
async fn grpc_refusals_are_read_from_the_status_code_and_not_retried() {
    let dir = temp_dir("grpc_refusal");
    let mut config = codetel::collector::Config::new(dir.join("codetel.db"));
    config.http = None;
    config.grpc = Some(([127, 0, 0, 1], 0).into());
    config.tokens = Some(codetel::collector::auth::Tokens::parse("acme:grpc-token", "test", None).expect("tokens"));
    let running = codetel::collector::start(config).await.expect("collector");
    let url = format!("http://{}", running.grpc_addr.expect("gRPC"));
    let options = Options { protocol: codetel::replay::Protocol::Grpc, ..fast_options() };
    let transport = Transport::grpc(&url, Vec::new(), Duration::from_secs(30)).expect("transport");
    let (_, refused) = run(one_logs_request(), transport, options.clone()).await;
    assert_eq!((refused.total.failed, refused.total.retried), (1, 0), "{}", refused.table());
    assert!(refused.total.answers.keys().any(|it| it.starts_with("gRPC Unauthenticated (401)")), "{:?}", refused.total.answers);
    let headers = vec![("authorization".to_owned(), "Bearer grpc-token".to_owned())];
    let transport = Transport::grpc(&url, headers, Duration::from_secs(30)).expect("transport");
    let (_, accepted) = run(one_logs_request(), transport, options).await;
    assert!(accepted.success(false), "{}", accepted.table());
    stop(running).await;
}
