//! The OTLP/HTTP rules H1–H17 (`anchors.md` §3.1), each against the real server with a real
//! client. H12 (which codes are retried) is the forwarder's: see `forward.rs`.

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceResponse;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse;
use prost::Message;

use codetel::collector::status::{Code, RpcStatus};
use codetel::collector::DEFAULT_MAX_BODY_BYTES;

use super::harness::*;

const JSON: &str = "application/json";
const PROTOBUF: &str = "application/x-protobuf";

fn logs_json() -> Vec<u8> {
    std::fs::read(capture_dir("bash_tool_call").join("0001-logs.json")).expect("corpus body")
}

fn logs_protobuf() -> Vec<u8> {
    std::fs::read(capture_dir("bash_tool_call_protobuf").join("0001-logs.pb")).expect("corpus body")
}

#[tokio::test]
async fn h1_each_signal_has_its_post_path_and_other_paths_are_404() {
    let dir = temp_dir("h1");
    let running = serve(config(&dir)).await;
    let client = client();
    for signal in ["logs", "metrics", "traces"] {
        let reply = post(&client, &format!("{}/v1/{signal}", base(&running)), JSON, b"{}".to_vec(), &[]).await;
        assert_eq!(reply.status, 200, "/v1/{signal}");
    }
    let reply = post(&client, &format!("{}/v1/log", base(&running)), JSON, b"{}".to_vec(), &[]).await;
    assert_eq!(reply.status, 404);
    stop(running).await;
}

#[tokio::test]
async fn h2_h3_json_and_protobuf_are_accepted_on_the_same_port() {
    let dir = temp_dir("h2_h3");
    let running = serve(config(&dir)).await;
    let client = client();
    let url = format!("{}/v1/logs", base(&running));
    assert_eq!(post(&client, &url, JSON, logs_json(), &[]).await.status, 200);
    assert_eq!(post(&client, &url, PROTOBUF, logs_protobuf(), &[]).await.status, 200);
    // A media type with parameters and odd case still names the encoding.
    let reply = post(&client, &url, "Application/JSON; charset=utf-8", b"{}".to_vec(), &[]).await;
    assert_eq!(reply.status, 200);
    stop(running).await;
    assert_eq!(stored_requests(&dir.join("codetel.db")), 3);
    let records = stored_records(&dir.join("codetel.db"));
    let from = |file: &str| records.iter().filter(|it| it["source"]["file"] == file).count();
    assert!(from("0001-logs.json") > 0 && from("0002-logs.pb") > 0, "both encodings normalized");
}

#[tokio::test]
async fn h4_every_response_has_the_encoding_of_its_request() {
    let dir = temp_dir("h4");
    let running = serve(config(&dir)).await;
    let client = client();
    let url = format!("{}/v1/logs", base(&running));

    let reply = post(&client, &url, JSON, logs_json(), &[]).await;
    assert_eq!((reply.status, reply.header("content-type")), (200, Some(JSON)));
    assert_eq!(reply.json(), serde_json::json!({}));

    let reply = post(&client, &url, PROTOBUF, logs_protobuf(), &[]).await;
    assert_eq!((reply.status, reply.header("content-type")), (200, Some(PROTOBUF)));
    let response = ExportLogsServiceResponse::decode(&reply.body[..]).expect("protobuf response");
    assert_eq!(response.partial_success, None);

    // Failures too: a bad protobuf body gets a protobuf google.rpc.Status.
    let reply = post(&client, &url, PROTOBUF, vec![0xff, 0xff, 0xff], &[]).await;
    assert_eq!((reply.status, reply.header("content-type")), (400, Some(PROTOBUF)));
    let status = RpcStatus::decode(&reply.body[..]).expect("protobuf Status");
    assert_eq!(status.code, 3);
    let reply = post(&client, &url, JSON, b"{".to_vec(), &[]).await;
    assert_eq!((reply.status, reply.header("content-type")), (400, Some(JSON)));
    assert_eq!(reply.json()["code"], 3);
    stop(running).await;
}

#[tokio::test]
async fn h5_other_media_types_are_415_and_other_methods_405() {
    let dir = temp_dir("h5");
    let running = serve(config(&dir)).await;
    let client = client();
    let url = format!("{}/v1/logs", base(&running));
    for content_type in ["text/plain", "application/xml", "application/protobuf", "application/jsonl"] {
        let reply = post(&client, &url, content_type, logs_json(), &[]).await;
        assert_eq!(reply.status, 415, "{content_type}");
        let text = String::from_utf8_lossy(&reply.body).into_owned();
        assert!(text.contains("application/json") && text.contains("application/x-protobuf"), "{text}");
    }
    let reply = send(&client, reqwest::Method::POST, &url, None, logs_json(), &[]).await;
    assert_eq!(reply.status, 415, "no content type");
    for method in [reqwest::Method::GET, reqwest::Method::PUT, reqwest::Method::DELETE, reqwest::Method::PATCH] {
        let reply = send(&client, method.clone(), &url, Some(JSON), Vec::new(), &[]).await;
        assert_eq!(reply.status, 405, "{method}");
        assert_eq!(reply.header("allow"), Some("POST"));
    }
    stop(running).await;
    assert_eq!(stored_requests(&dir.join("codetel.db")), 0, "nothing stored");
}

#[tokio::test]
async fn h5_json_only_answers_415_to_protobuf() {
    let dir = temp_dir("h5_json_only");
    let mut config = config(&dir);
    config.json_only = true;
    let running = serve(config).await;
    let client = client();
    let url = format!("{}/v1/logs", base(&running));
    let reply = post(&client, &url, PROTOBUF, logs_protobuf(), &[]).await;
    assert_eq!(reply.status, 415);
    let text = String::from_utf8_lossy(&reply.body).into_owned();
    assert!(text.contains("[application/json]"), "{text}");
    assert_eq!(post(&client, &url, JSON, logs_json(), &[]).await.status, 200);
    stop(running).await;
}

#[tokio::test]
async fn h6_gzip_bodies_are_inflated_and_other_encodings_refused() {
    let dir = temp_dir("h6");
    let running = serve(config(&dir)).await;
    let client = client();
    let url = format!("{}/v1/logs", base(&running));
    let reply = post(&client, &url, JSON, gzip(&logs_json()), &[("content-encoding", "gzip")]).await;
    assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
    let reply = post(&client, &url, PROTOBUF, gzip(&logs_protobuf()), &[("content-encoding", "gzip")]).await;
    assert_eq!(reply.status, 200);
    let reply = post(&client, &url, JSON, logs_json(), &[("content-encoding", "br")]).await;
    assert_eq!(reply.status, 415, "unsupported content encoding");
    let mut corrupt = gzip(b"{}");
    let last = corrupt.len() - 6;
    corrupt[last] ^= 0xff;
    let reply = post(&client, &url, JSON, corrupt, &[("content-encoding", "gzip")]).await;
    assert_eq!(reply.status, 400, "corrupt gzip is bad data");
    stop(running).await;

    let db = dir.join("codetel.db");
    assert_eq!(stored_requests(&db), 2);
    let records = stored_records(&db);
    let json_records: Vec<_> = records.iter().filter(|it| it["source"]["file"] == "0001-logs.json.gz").collect();
    let expected = normalized_records(&capture_dir("bash_tool_call"), codetel::schema::CaptureMode::MetadataOnly);
    let expected: Vec<_> = expected.iter().filter(|it| it["source"]["file"] == "0001-logs.json").collect();
    assert_eq!(json_records.len(), expected.len(), "a gzip body normalizes like the plain one");
}

#[tokio::test]
async fn h7_a_body_over_the_limit_is_413_and_a_gzip_bomb_stops_at_the_limit() {
    assert_eq!(DEFAULT_MAX_BODY_BYTES, 64 * 1024 * 1024, "the OTLP recommended default");
    let dir = temp_dir("h7");
    let mut config = config(&dir);
    config.max_body_bytes = 1 << 20;
    let running = serve(config).await;
    let client = client();
    let url = format!("{}/v1/logs", base(&running));

    let mut big = b"{\"resourceLogs\":[],\"pad\":\"".to_vec();
    big.resize((1 << 20) + 10, b'x');
    big.extend_from_slice(b"\"}");
    let reply = post(&client, &url, JSON, big, &[]).await;
    assert_eq!(reply.status, 413);
    assert_eq!(reply.header("content-type"), Some(JSON));

    // 16 MiB of JSON whitespace compresses to a few KiB: only the inflated size counts.
    let mut bomb = b"{".to_vec();
    bomb.resize(16 << 20, b' ');
    bomb.push(b'}');
    let compressed = gzip(&bomb);
    assert!(compressed.len() < 100_000);
    let reply = post(&client, &url, JSON, compressed, &[("content-encoding", "gzip")]).await;
    assert_eq!(reply.status, 413, "{}", String::from_utf8_lossy(&reply.body));
    let status: serde_json::Value = reply.json();
    assert!(status["message"].as_str().unwrap_or_default().contains("after decompression"), "{status}");

    // Just under the limit is fine.
    let mut fits = b"{".to_vec();
    fits.resize(1 << 19, b' ');
    fits.push(b'}');
    assert_eq!(post(&client, &url, JSON, gzip(&fits), &[("content-encoding", "gzip")]).await.status, 200);
    stop(running).await;
    assert_eq!(stored_requests(&dir.join("codetel.db")), 1);
}

#[tokio::test]
async fn h8_h16_full_success_has_no_partial_success_and_empty_envelopes_are_accepted() {
    let dir = temp_dir("h8");
    let running = serve(config(&dir)).await;
    let client = client();
    let url = format!("{}/v1/logs", base(&running));
    let bodies: [&[u8]; 4] = [
        b"{}",
        br#"{"resourceLogs":[]}"#,
        br#"{"resourceLogs":[{"resource":{"attributes":[]}}]}"#,
        br#"{"resourceLogs":[{"resource":{},"scopeLogs":[{"scope":{"name":"x"},"logRecords":[]}]}]}"#,
    ];
    for body in bodies {
        let reply = post(&client, &url, JSON, body.to_vec(), &[]).await;
        assert_eq!((reply.status, reply.json()), (200, serde_json::json!({})), "{}", String::from_utf8_lossy(body));
    }
    let reply = post(&client, &url, PROTOBUF, Vec::new(), &[]).await;
    assert_eq!(reply.status, 200, "an empty protobuf request is an empty export");
    assert_eq!(ExportLogsServiceResponse::decode(&reply.body[..]).expect("response").partial_success, None);
    stop(running).await;
    assert!(stored_records(&dir.join("codetel.db")).is_empty());
}

fn spans_with_unreadable_items(good: usize, bad: usize) -> Vec<u8> {
    let mut spans = Vec::new();
    for index in 0..good {
        spans.push(serde_json::json!({
            "traceId": "5b8efff798038103d269b633813fc60c",
            "spanId": format!("{:016x}", index + 1),
            "name": "claude_code.interaction",
            "startTimeUnixNano": "1795270362077000000",
            "endTimeUnixNano": "1795270363077000000",
            "attributes": [{"key": "session.id", "value": {"stringValue": "s-partial"}}]
        }));
    }
    for index in 0..bad {
        // A span that is not an object cannot be read at all: the decoder leaves it out.
        spans.push(serde_json::json!(format!("not a span {index}")));
    }
    serde_json::to_vec(&serde_json::json!({"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "claude-code"}}]},
        "scopeSpans": [{"scope": {"name": "com.anthropic.claude_code.tracing"}, "spans": spans}]
    }]}))
    .expect("JSON")
}

#[tokio::test]
async fn h9_rejected_items_get_200_with_partial_success_counts_and_a_message() {
    let dir = temp_dir("h9");
    let running = serve(config(&dir)).await;
    let client = client();
    let url = format!("{}/v1/traces", base(&running));
    let reply = post(&client, &url, JSON, spans_with_unreadable_items(2, 3), &[]).await;
    assert_eq!(reply.status, 200);
    let body = reply.json();
    assert_eq!(body["partialSuccess"]["rejectedSpans"], "3", "{body}");
    let message = body["partialSuccess"]["errorMessage"].as_str().unwrap_or_default();
    assert!(message.contains("3 item(s) rejected"), "{message}");

    // In protobuf, the same counts.
    let decoded = codetel::otlp::json::decode(codetel::otlp::Signal::Traces, &spans_with_unreadable_items(2, 0)).expect("decode");
    let protobuf = codetel::otlp::encode::to_protobuf(&decoded.request);
    let reply = post(&client, &url, PROTOBUF, protobuf, &[]).await;
    let response = ExportTraceServiceResponse::decode(&reply.body[..]).expect("response");
    assert_eq!(response.partial_success, None, "nothing rejected: no partial success");

    // Items of a sender no adapter knows are accepted with a warning, not rejected.
    let unknown = br#"{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"some-other-tool"}}]},"scopeLogs":[{"scope":{"name":"x"},"logRecords":[{"timeUnixNano":"1","body":{"stringValue":"hi"}}]}]}]}"#;
    let reply = post(&client, &format!("{}/v1/logs", base(&running)), JSON, unknown.to_vec(), &[]).await;
    let body = reply.json();
    assert_eq!(body["partialSuccess"].get("rejectedLogRecords"), None, "{body}");
    assert!(body["partialSuccess"]["errorMessage"].as_str().unwrap_or_default().contains("not normalized"), "{body}");
    stop(running).await;
}

#[tokio::test]
async fn h10_h11_undecodable_data_is_400_with_a_google_rpc_status() {
    let dir = temp_dir("h10");
    let running = serve(config(&dir)).await;
    let client = client();
    let logs = format!("{}/v1/logs", base(&running));
    let cases: [(&str, &str, Vec<u8>); 4] = [
        (logs.as_str(), JSON, b"not json".to_vec()),
        (logs.as_str(), JSON, b"[1,2]".to_vec()),
        (logs.as_str(), PROTOBUF, vec![0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]),
        // A logs body posted to /v1/metrics is the wrong data, not an empty metrics export.
        ("", JSON, logs_json()),
    ];
    for (url, content_type, body) in cases {
        let url = if url.is_empty() { format!("{}/v1/metrics", base(&running)) } else { url.to_owned() };
        let reply = post(&client, &url, content_type, body, &[]).await;
        assert_eq!(reply.status, 400, "{url} {content_type}");
        let (code, message) = if content_type == JSON {
            let status = reply.json();
            (status["code"].as_i64().unwrap_or_default() as i32, status["message"].as_str().unwrap_or_default().to_owned())
        } else {
            let status = RpcStatus::decode(&reply.body[..]).expect("Status");
            (status.code, status.message)
        };
        assert_eq!(code, Code::InvalidArgument.as_i32());
        assert!(!message.is_empty());
    }
    stop(running).await;
    assert_eq!(stored_requests(&dir.join("codetel.db")), 0);
}

#[tokio::test]
async fn h13_overload_is_503_with_retry_after_and_recovers() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = temp_dir("h13");
    let mut config = config(&dir);
    config.max_in_flight = 1;
    let running = serve(config).await;
    let address = running.http_addr.expect("http");
    let client = client();
    let url = format!("{}/v1/logs", base(&running));

    // A client that sends half its body holds the only slot.
    let body = logs_json();
    let mut slow = tokio::net::TcpStream::connect(address).await.expect("connect");
    let head = format!(
        "POST /v1/logs HTTP/1.1\r\nhost: {address}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    slow.write_all(head.as_bytes()).await.expect("write");
    slow.write_all(&body[..body.len() / 2]).await.expect("write");

    let mut refused = None;
    for _ in 0..200 {
        let reply = post(&client, &url, JSON, b"{}".to_vec(), &[]).await;
        if reply.status == 503 {
            refused = Some(reply);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let refused = refused.expect("a second request is refused while the slot is taken");
    assert_eq!(refused.header("retry-after"), Some("1"));
    assert_eq!(refused.json()["code"], Code::Unavailable.as_i32());

    slow.write_all(&body[body.len() / 2..]).await.expect("write");
    let mut answer = String::new();
    let _ = slow.read_to_string(&mut answer).await.expect("read");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert_eq!(post(&client, &url, JSON, b"{}".to_vec(), &[]).await.status, 200, "the slot is free again");
    stop(running).await;
}

#[tokio::test]
async fn h14_the_partial_success_message_stays_small_however_many_items_fail() {
    let dir = temp_dir("h14");
    let running = serve(config(&dir)).await;
    let client = client();
    let reply = post(&client, &format!("{}/v1/traces", base(&running)), JSON, spans_with_unreadable_items(1, 20_000), &[]).await;
    assert_eq!(reply.status, 200);
    assert!(reply.body.len() < 4 << 20, "response under 4 MiB");
    let body = reply.json();
    assert_eq!(body["partialSuccess"]["rejectedSpans"], "20000");
    let message = body["partialSuccess"]["errorMessage"].as_str().unwrap_or_default();
    assert!(message.chars().count() <= codetel::collector::ingest::MAX_MESSAGE_CHARS, "{} chars", message.len());
    stop(running).await;
}

#[test]
fn h15_failure_codes_map_to_http_like_the_opentelemetry_collector() {
    let table = [
        (Code::InvalidArgument, 400, tonic::Code::InvalidArgument),
        (Code::Unauthenticated, 401, tonic::Code::Unauthenticated),
        (Code::ResourceExhausted, 429, tonic::Code::ResourceExhausted),
        (Code::Unimplemented, 404, tonic::Code::Unimplemented),
        (Code::Unavailable, 503, tonic::Code::Unavailable),
        (Code::Internal, 500, tonic::Code::Internal),
    ];
    for (code, http, grpc) in table {
        assert_eq!(code.http_status(), http, "{code:?}");
        assert_eq!(code.tonic(), grpc, "{code:?}");
        assert_eq!(code.as_i32(), grpc as i32, "{code:?}");
    }
}

#[tokio::test]
async fn h17_a_retried_batch_is_acknowledged_again_and_stored_once() {
    let dir = temp_dir("h17");
    let running = serve(config(&dir)).await;
    let client = client();
    let capture = capture_dir("bash_tool_call");
    let first = replay(&client, &base(&running), &capture, &[]).await;
    let again = replay(&client, &base(&running), &capture, &[]).await;
    for (a, b) in first.iter().zip(&again) {
        assert_eq!(a.body, b.body, "the same acknowledgement");
    }
    // The same data gzip-compressed this time: still the same batch.
    let logs = std::fs::read(capture.join("0001-logs.json")).expect("body");
    let reply = post(&client, &format!("{}/v1/logs", base(&running)), JSON, gzip(&logs), &[("content-encoding", "gzip")]).await;
    assert_eq!(reply.status, 200);
    let sessions: serde_json::Value =
        send(&client, reqwest::Method::GET, &format!("{}/api/sessions", base(&running)), None, Vec::new(), &[]).await.json();
    stop(running).await;

    let db = dir.join("codetel.db");
    assert_eq!(stored_requests(&db), 2, "each body stored once");
    let expected = normalized_records(&capture, codetel::schema::CaptureMode::MetadataOnly);
    assert_eq!(stored_records(&db).len(), expected.len());
    assert_eq!(sessions[0]["cost_usd_micros"], 2320, "cost counted once: {sessions}");
    assert_eq!(sessions[0]["llm_calls"], 2);
}
