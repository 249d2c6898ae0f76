//! OTLP/gRPC with a tonic client: the same records as over HTTP, gzip, authentication from
//! metadata, partial success, and the size limit.

use opentelemetry_proto::tonic::collector::logs::v1::logs_service_client::LogsServiceClient;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_client::MetricsServiceClient;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;
use tonic::codec::CompressionEncoding;

use codetel::collector::auth::Tokens;
use codetel::schema::CaptureMode;

use super::harness::*;

async fn channel(running: &codetel::collector::Running) -> tonic::transport::Channel {
    let address = running.grpc_addr.expect("gRPC is on");
    tonic::transport::Endpoint::from_shared(format!("http://{address}"))
        .expect("endpoint")
        .connect()
        .await
        .expect("connect")
}

fn grpc_config(dir: &std::path::Path) -> codetel::collector::Config {
    let mut config = config(dir);
    config.grpc = Some(([127, 0, 0, 1], 0).into());
    config
}

#[tokio::test]
async fn grpc_exports_store_the_same_records_as_http() {
    let dir = temp_dir("grpc_same");
    let running = serve(grpc_config(&dir)).await;
    let channel = channel(&running).await;
    let capture = capture_dir("traces_beta_protobuf_gzip");
    for request in recorded(&capture) {
        let body = codetel::otlp::gunzip(&request.body, 1 << 26).expect("gunzip");
        match request.path.as_str() {
            "/v1/logs" => {
                let message = ExportLogsServiceRequest::decode(&body[..]).expect("decode");
                let response = LogsServiceClient::new(channel.clone()).export(message).await.expect("export");
                assert_eq!(response.into_inner().partial_success, None);
            }
            "/v1/metrics" => {
                let message = ExportMetricsServiceRequest::decode(&body[..]).expect("decode");
                let mut client = MetricsServiceClient::new(channel.clone()).send_compressed(CompressionEncoding::Gzip);
                let response = client.export(message).await.expect("export");
                assert_eq!(response.into_inner().partial_success, None);
            }
            _ => {
                let message = ExportTraceServiceRequest::decode(&body[..]).expect("decode");
                let response = TraceServiceClient::new(channel.clone()).export(message).await.expect("export");
                assert_eq!(response.into_inner().partial_success, None);
            }
        }
    }
    stop(running).await;
    let db = dir.join("codetel.db");
    let strip = |records: Vec<serde_json::Value>| -> Vec<serde_json::Value> {
        records
            .into_iter()
            .map(|mut it| {
                // The file name differs only by `.gz`: gRPC messages are stored uncompressed.
                let file = it["source"]["file"].as_str().unwrap_or_default().trim_end_matches(".gz").to_owned();
                it["source"]["file"] = serde_json::Value::String(file);
                it
            })
            .collect()
    };
    assert_eq!(strip(stored_records(&db)), strip(normalized_records(&capture, CaptureMode::MetadataOnly)));
    let store = codetel::store::Store::open_existing(&db).expect("db");
    let requests = store.requests(None).expect("requests");
    assert!(requests.iter().all(|it| it.transport == "grpc" && it.encoding == "protobuf"));
    assert_eq!(requests[0].path, "/opentelemetry.proto.collector.trace.v1.TraceService/Export");
}

#[tokio::test]
async fn grpc_checks_credentials_in_metadata() {
    let dir = temp_dir("grpc_auth");
    let mut config = grpc_config(&dir);
    config.tokens = Some(Tokens::parse("acme:grpc-token-1", "test", None).expect("tokens"));
    let running = serve(config).await;
    let channel = channel(&running).await;
    let body = std::fs::read(capture_dir("bash_tool_call_protobuf").join("0001-logs.pb")).expect("body");
    let message = ExportLogsServiceRequest::decode(&body[..]).expect("decode");

    let refused = LogsServiceClient::new(channel.clone()).export(message.clone()).await;
    assert_eq!(refused.map(|_| ()).map_err(|it| it.code()), Err(tonic::Code::Unauthenticated));
    let mut wrong = tonic::Request::new(message.clone());
    let _ = wrong.metadata_mut().insert("authorization", "Bearer grpc-token-2".parse().expect("value"));
    let refused = LogsServiceClient::new(channel.clone()).export(wrong).await;
    assert_eq!(refused.map(|_| ()).map_err(|it| it.code()), Err(tonic::Code::Unauthenticated));
    assert_eq!(stored_requests(&dir.join("codetel.db")), 0);

    let mut good = tonic::Request::new(message);
    let _ = good.metadata_mut().insert("authorization", "Bearer grpc-token-1".parse().expect("value"));
    let _ = LogsServiceClient::new(channel).export(good).await.expect("accepted");
    stop(running).await;
    let store = codetel::store::Store::open_existing(&dir.join("codetel.db")).expect("db");
    let requests = store.requests(None).expect("requests");
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].tenant, "acme");
    assert!(!requests[0].headers_json.contains("grpc-token"), "{}", requests[0].headers_json);
}

#[tokio::test]
async fn grpc_reports_partial_success_and_refuses_oversized_messages() {
    let dir = temp_dir("grpc_partial");
    let mut config = grpc_config(&dir);
    config.max_body_bytes = 64 << 10;
    let running = serve(config).await;
    let channel = channel(&running).await;

    // Logs of a sender no adapter knows: accepted, with a warning in partial_success.
    let unknown = br#"{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"some-other-tool"}}]},"scopeLogs":[{"scope":{"name":"x"},"logRecords":[{"timeUnixNano":"1","body":{"stringValue":"hi"}}]}]}]}"#;
    let decoded = codetel::otlp::json::decode(codetel::otlp::Signal::Logs, unknown).expect("decode");
    let message = ExportLogsServiceRequest::decode(&codetel::otlp::encode::to_protobuf(&decoded.request)[..]).expect("decode");
    let response = LogsServiceClient::new(channel.clone()).export(message).await.expect("export").into_inner();
    let partial = response.partial_success.expect("a warning");
    assert_eq!(partial.rejected_log_records, 0);
    assert!(partial.error_message.contains("not normalized"), "{}", partial.error_message);

    // Over the limit after decompression.
    let big = ExportLogsServiceRequest {
        resource_logs: vec![opentelemetry_proto::tonic::logs::v1::ResourceLogs {
            schema_url: "x".repeat(100 << 10),
            ..Default::default()
        }],
    };
    let mut client = LogsServiceClient::new(channel).send_compressed(CompressionEncoding::Gzip);
    let refused = client.export(big).await;
    assert_eq!(refused.map(|_| ()).map_err(|it| it.code()), Err(tonic::Code::ResourceExhausted));
    stop(running).await;
}
