//! The OTLP/gRPC receiver: the `opentelemetry-proto` tonic services for logs, metrics and
//! traces, over the same ingest as HTTP.
//!
//! tonic decodes the message before the handler sees it, so the stored raw body of a gRPC
//! request is the message re-encoded as protobuf (prost drops unknown fields; everything
//! OTLP defines is kept). gzip-compressed messages are accepted; the size limit applies to
//! the decompressed message. Credentials come from the request metadata (`authorization`
//! or the configured header). Status codes: `UNAUTHENTICATED` for missing or wrong
//! credentials, `INVALID_ARGUMENT` for undecodable data, `UNAVAILABLE` (retryable) when the
//! collector is full or its storage failed, `OK` with `partial_success` for rejected items.

use std::collections::BTreeMap;
use std::sync::Arc;

use opentelemetry_proto::tonic::collector::logs::v1::logs_service_server::{LogsService, LogsServiceServer};
use opentelemetry_proto::tonic::collector::logs::v1::{ExportLogsServiceRequest, ExportLogsServiceResponse};
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::{MetricsService, MetricsServiceServer};
use opentelemetry_proto::tonic::collector::metrics::v1::{ExportMetricsServiceRequest, ExportMetricsServiceResponse};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{TraceService, TraceServiceServer};
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse};
use prost::Message;
use tonic::codec::CompressionEncoding;
use tonic::metadata::MetadataMap;
use tonic::{Request, Response, Status};

use crate::otlp::{Encoding, Signal};

use super::auth::{self, Tokens, DEFAULT_TENANT};
use super::ingest::{Ack, IngestError, Incoming, Ingestor, Transport};
use super::status::Code;
use super::unix_nanos_now;

/// What the gRPC receiver needs.
#[derive(Debug, Clone)]
pub struct GrpcState {
    /// The shared ingest state.
    pub ingestor: Arc<Ingestor>,
    /// Tokens; `None` when authentication is off.
    pub tokens: Option<Arc<Tokens>>,
    /// Largest decompressed message.
    pub max_body_bytes: usize,
    /// Bounded work, shared with HTTP.
    pub permits: Arc<tokio::sync::Semaphore>,
}

/// The three services, ready for `tonic::transport::Server::add_service`.
pub fn services(
    state: GrpcState,
) -> (LogsServiceServer<Receiver>, MetricsServiceServer<Receiver>, TraceServiceServer<Receiver>) {
    let limit = state.max_body_bytes;
    let receiver = Receiver { state: Arc::new(state) };
    (
        LogsServiceServer::new(receiver.clone())
            .accept_compressed(CompressionEncoding::Gzip)
            .max_decoding_message_size(limit),
        MetricsServiceServer::new(receiver.clone())
            .accept_compressed(CompressionEncoding::Gzip)
            .max_decoding_message_size(limit),
        TraceServiceServer::new(receiver).accept_compressed(CompressionEncoding::Gzip).max_decoding_message_size(limit),
    )
}

/// The receiver behind the three services.
#[derive(Debug, Clone)]
pub struct Receiver {
    state: Arc<GrpcState>,
}

fn status(code: Code, message: impl Into<String>) -> Status {
    Status::new(code.tonic(), message)
}

impl Receiver {
    fn tenant(&self, metadata: &MetadataMap) -> Result<String, Status> {
        match &self.state.tokens {
            None => Ok(DEFAULT_TENANT.to_owned()),
            Some(tokens) => tokens
                .authenticate(|name| metadata.get(name).map(|it| it.as_bytes()))
                .map(str::to_owned)
                .ok_or_else(|| status(Code::Unauthenticated, "missing or invalid credentials")),
        }
    }

    async fn export(&self, signal: Signal, method: &str, metadata: &MetadataMap, body: Vec<u8>) -> Result<Ack, Status> {
        let received_unix_nano = unix_nanos_now();
        let tenant = self.tenant(metadata)?;
        let Ok(permit) = self.state.permits.clone().try_acquire_owned() else {
            return Err(status(Code::Unavailable, "the collector is at its limit of requests in flight; retry later"));
        };
        let token_header = self.state.tokens.as_ref().and_then(|it| it.header().map(str::to_owned));
        let mut headers = BTreeMap::new();
        for entry in metadata.iter() {
            if let tonic::metadata::KeyAndValueRef::Ascii(name, value) = entry {
                if !auth::is_credential_header(name.as_str(), token_header.as_deref()) {
                    let _ = headers.insert(name.as_str().to_owned(), value.to_str().unwrap_or_default().to_owned());
                }
            }
        }
        let ingestor = self.state.ingestor.clone();
        let path = method.to_owned();
        let outcome = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let body = bytes::Bytes::from(body);
            let incoming = Incoming {
                tenant,
                transport: Transport::Grpc,
                method: "POST".to_owned(),
                path,
                signal,
                encoding: Encoding::Protobuf,
                raw_body: body.clone(),
                gzip: false,
                body,
                headers,
                received_unix_nano,
            };
            ingestor.ingest(&incoming)
        })
        .await;
        match outcome {
            Ok(Ok(ack)) => Ok(ack),
            Ok(Err(IngestError::BadData(error))) => Err(status(Code::InvalidArgument, error.to_string())),
            Ok(Err(error @ IngestError::QueueFull(_))) => Err(status(Code::Unavailable, error.to_string())),
            Ok(Err(error)) => {
                eprintln!("codetel collect: {error}");
                Err(status(Code::Unavailable, "storage failed; retry later"))
            }
            Err(join) => {
                eprintln!("codetel collect: ingest task failed: {join}");
                Err(status(Code::Internal, "internal error"))
            }
        }
    }
}

fn partial(ack: &Ack) -> Option<(i64, String)> {
    (ack.rejected > 0 || ack.message.is_some()).then(|| (ack.rejected as i64, ack.message.clone().unwrap_or_default()))
}

#[tonic::async_trait]
impl LogsService for Receiver {
    async fn export(
        &self,
        request: Request<ExportLogsServiceRequest>,
    ) -> Result<Response<ExportLogsServiceResponse>, Status> {
        let (metadata, _, message) = request.into_parts();
        let ack = Receiver::export(
            self,
            Signal::Logs,
            "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
            &metadata,
            message.encode_to_vec(),
        )
        .await?;
        use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsPartialSuccess;
        Ok(Response::new(ExportLogsServiceResponse {
            partial_success: partial(&ack).map(|(rejected_log_records, error_message)| ExportLogsPartialSuccess {
                rejected_log_records,
                error_message,
            }),
        }))
    }
}

#[tonic::async_trait]
impl MetricsService for Receiver {
    async fn export(
        &self,
        request: Request<ExportMetricsServiceRequest>,
    ) -> Result<Response<ExportMetricsServiceResponse>, Status> {
        let (metadata, _, message) = request.into_parts();
        let ack = Receiver::export(
            self,
            Signal::Metrics,
            "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
            &metadata,
            message.encode_to_vec(),
        )
        .await?;
        use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsPartialSuccess;
        Ok(Response::new(ExportMetricsServiceResponse {
            partial_success: partial(&ack).map(|(rejected_data_points, error_message)| ExportMetricsPartialSuccess {
                rejected_data_points,
                error_message,
            }),
        }))
    }
}

#[tonic::async_trait]
impl TraceService for Receiver {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        let (metadata, _, message) = request.into_parts();
        let ack = Receiver::export(
            self,
            Signal::Traces,
            "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
            &metadata,
            message.encode_to_vec(),
        )
        .await?;
        use opentelemetry_proto::tonic::collector::trace::v1::ExportTracePartialSuccess;
        Ok(Response::new(ExportTraceServiceResponse {
            partial_success: partial(&ack)
                .map(|(rejected_spans, error_message)| ExportTracePartialSuccess { rejected_spans, error_message }),
        }))
    }
}
