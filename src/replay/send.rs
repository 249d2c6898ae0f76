//! Sending one request and reading the answer as the OTLP specification defines it, over
//! OTLP/HTTP (reqwest) or OTLP/gRPC (the `opentelemetry-proto` tonic clients), with the
//! specification's retry rules:
//!
//! - 2xx is success, with or without `partial_success` (decoded from the response in the
//!   response's encoding); a partial success is final: it is never retried;
//! - only 429, 502, 503 and 504 are retried (gRPC: the codes the specification lists as
//!   retryable), honouring `Retry-After` (delay-seconds or HTTP-date), otherwise exponential
//!   backoff with jitter; transport failures (refused, reset, timed out) are retried too;
//! - every other answer (400, 401, 413, 415, 500, ...) is final.

use std::time::{Duration, Instant, SystemTime};

use opentelemetry_proto::tonic::collector::logs::v1::{logs_service_client::LogsServiceClient, ExportLogsServiceRequest};
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceResponse;
use opentelemetry_proto::tonic::collector::metrics::v1::{
    metrics_service_client::MetricsServiceClient, ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    trace_service_client::TraceServiceClient, ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use prost::Message;

use crate::collector::forward::{parse_retry_after, retryable_status};
use crate::collector::status::RpcStatus;
use crate::otlp::{Encoding, Signal};

/// One request ready for the wire.
#[derive(Debug, Clone)]
pub struct Wire {
    /// The signal.
    pub signal: Signal,
    /// `/v1/logs`, ... (HTTP only).
    pub http_path: String,
    /// The encoding of `body` (before compression).
    pub encoding: Encoding,
    /// The `content-type` to send (HTTP only).
    pub content_type: String,
    /// Whether `body` is gzip-compressed (HTTP: `content-encoding: gzip`; gRPC: compressed
    /// messages).
    pub gzip: bool,
    /// The bytes to send over HTTP; over gRPC the uncompressed protobuf message.
    pub body: Vec<u8>,
    /// Accountable items (log records, data points, spans) it holds.
    pub items: usize,
}

/// What the endpoint answered to one attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// 2xx (gRPC OK), possibly with a partial success.
    Accepted {
        /// HTTP status (200 for gRPC OK).
        status: u16,
        /// `rejected_log_records` / `rejected_data_points` / `rejected_spans`.
        rejected: u64,
        /// `error_message` of the partial success, when set.
        message: Option<String>,
    },
    /// Any other status (gRPC: any other code).
    Refused {
        /// HTTP status, or the gRPC code mapped to HTTP as the Collector does.
        status: u16,
        /// gRPC code name when the answer came over gRPC.
        grpc_code: Option<String>,
        /// Whether the specification allows a retry.
        retryable: bool,
        /// The server's `Retry-After`, when sent.
        retry_after: Option<Duration>,
        /// The `google.rpc.Status` message (or the start of a text body).
        message: String,
    },
    /// No answer: connection refused or reset, timeout, protocol error.
    Transport {
        /// What happened.
        message: String,
    },
}

impl Answer {
    /// Whether a retry is allowed.
    pub fn retryable(&self) -> bool {
        match self {
            Answer::Accepted { .. } => false,
            Answer::Refused { retryable, .. } => *retryable,
            Answer::Transport { .. } => true,
        }
    }

    /// A short label for the report, such as `200`, `200 partial success`, `415`,
    /// `gRPC Unavailable`, `connection error`.
    pub fn label(&self) -> String {
        match self {
            Answer::Accepted { status, rejected, message } => {
                if *rejected > 0 || message.is_some() {
                    format!("{status} partial success")
                } else {
                    status.to_string()
                }
            }
            Answer::Refused { status, grpc_code: Some(code), .. } => format!("gRPC {code} ({status})"),
            Answer::Refused { status, .. } => status.to_string(),
            Answer::Transport { .. } => "no answer".to_owned(),
        }
    }
}

/// How many times and how long to retry.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// First backoff delay when the server sends no `Retry-After`.
    pub backoff_base: Duration,
    /// The longest backoff delay.
    pub backoff_max: Duration,
    /// The longest `Retry-After` honoured (a longer one is cut to this).
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_retries: 5,
            backoff_base: Duration::from_millis(200),
            backoff_max: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (1-based): the server's `Retry-After` (capped), or
    /// exponential backoff with "equal jitter" (half fixed, half random), capped.
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(after) = retry_after {
            return after.min(self.max_retry_after);
        }
        let exponential = self.backoff_base.saturating_mul(1u32 << retry.clamp(1, 16).saturating_sub(1));
        let capped = exponential.min(self.backoff_max);
        capped / 2 + capped.mul_f64(fastrand::f64() / 2.0)
    }
}

/// Where and how requests go.
#[derive(Debug, Clone)]
pub enum Transport {
    /// OTLP/HTTP to `base` + the signal path.
    Http {
        /// The client (time limit set).
        client: reqwest::Client,
        /// `http://host:port` without a trailing slash.
        base: String,
        /// Extra headers (`--header`, auth helpers).
        headers: Vec<(String, String)>,
    },
    /// OTLP/gRPC on one channel.
    Grpc {
        /// The channel.
        channel: tonic::transport::Channel,
        /// Extra metadata (`--header`, auth helpers), names lowercase.
        headers: Vec<(String, String)>,
    },
}

/// Why a transport could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TransportError(pub String);

impl Transport {
    /// An OTLP/HTTP transport. `url` is the endpoint base (`http://127.0.0.1:4318`); a URL
    /// ending in `/v1/<signal>` is cut back to its base.
    pub fn http(url: &str, headers: Vec<(String, String)>, timeout: Duration) -> Result<Transport, TransportError> {
        // reqwest is built without a bundled crypto provider; ring is installed once.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|error| TransportError(format!("building the HTTP client: {error}")))?;
        let mut base = url.trim_end_matches('/').to_owned();
        for signal in ["/v1/logs", "/v1/metrics", "/v1/traces"] {
            if let Some(stripped) = base.strip_suffix(signal) {
                base = stripped.to_owned();
            }
        }
        reqwest::Url::parse(&base).map_err(|error| TransportError(format!("--to {url}: {error}")))?;
        for (name, value) in &headers {
            reqwest::header::HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| TransportError(format!("invalid header name `{name}`")))?;
            reqwest::header::HeaderValue::from_str(value)
                .map_err(|_| TransportError(format!("invalid value for header `{name}`")))?;
        }
        Ok(Transport::Http { client, base, headers })
    }

    /// An OTLP/gRPC transport (connects lazily, so an endpoint that is down shows as failed
    /// requests, like any other outage).
    pub fn grpc(url: &str, headers: Vec<(String, String)>, timeout: Duration) -> Result<Transport, TransportError> {
        let endpoint = tonic::transport::Endpoint::from_shared(url.to_owned())
            .map_err(|error| TransportError(format!("--to {url}: {error}")))?
            .timeout(timeout)
            .connect_timeout(timeout);
        let headers: Vec<(String, String)> =
            headers.into_iter().map(|(name, value)| (name.to_ascii_lowercase(), value)).collect();
        for (name, value) in &headers {
            tonic::metadata::MetadataKey::<tonic::metadata::Ascii>::from_bytes(name.as_bytes())
                .map_err(|_| TransportError(format!("invalid metadata name `{name}`")))?;
            tonic::metadata::MetadataValue::<tonic::metadata::Ascii>::try_from(value.as_str())
                .map_err(|_| TransportError(format!("invalid value for metadata `{name}`")))?;
        }
        Ok(Transport::Grpc { channel: endpoint.connect_lazy(), headers })
    }

    /// Sends one attempt; returns the answer and how long it took.
    pub async fn attempt(&self, wire: &Wire) -> (Answer, Duration) {
        let started = Instant::now();
        let answer = match self {
            Transport::Http { client, base, headers } => http_attempt(client, base, headers, wire).await,
            Transport::Grpc { channel, headers } => grpc_attempt(channel.clone(), headers, wire).await,
        };
        (answer, started.elapsed())
    }
}

async fn http_attempt(client: &reqwest::Client, base: &str, headers: &[(String, String)], wire: &Wire) -> Answer {
    let mut request = client
        .post(format!("{base}{}", wire.http_path))
        .header("content-type", &wire.content_type)
        .body(wire.body.clone());
    if wire.gzip {
        request = request.header("content-encoding", "gzip");
    }
    for (name, value) in headers {
        request = request.header(name.as_str(), value.as_str());
    }
    let response = match request.send().await {
        Ok(it) => it,
        Err(error) => return Answer::Transport { message: error_chain(&error) },
    };
    let status = response.status().as_u16();
    let header = |name: &str| response.headers().get(name).and_then(|it| it.to_str().ok()).map(str::to_owned);
    let content_type = header("content-type").unwrap_or_default();
    let retry_after = header("retry-after").and_then(|it| parse_retry_after(&it, SystemTime::now()));
    let body = match response.bytes().await {
        Ok(it) => it.to_vec(),
        Err(error) => return Answer::Transport { message: format!("reading the response: {}", error_chain(&error)) },
    };
    let response_encoding = if content_type.starts_with("application/x-protobuf") {
        Some(Encoding::Protobuf)
    } else if content_type.starts_with("application/json") {
        Some(Encoding::Json)
    } else {
        None
    };
    if (200..300).contains(&status) {
        let (rejected, message) = partial_success(wire.signal, response_encoding.unwrap_or(wire.encoding), &body);
        return Answer::Accepted { status, rejected, message };
    }
    Answer::Refused {
        status,
        grpc_code: None,
        retryable: retryable_status(status),
        retry_after,
        message: status_message(response_encoding, &body),
    }
}

/// Every cause of an error, joined (reqwest hides "connection reset" two levels down).
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        parts.push(cause.to_string());
        source = cause.source();
    }
    parts.join(": ")
}

/// The `partial_success` of an `Export*ServiceResponse`: rejected count and message. An empty
/// or unreadable body is a full success (the status already said so).
pub fn partial_success(signal: Signal, encoding: Encoding, body: &[u8]) -> (u64, Option<String>) {
    let non_empty = |message: String| (!message.is_empty()).then_some(message);
    match encoding {
        Encoding::Json => {
            let Ok(json) = serde_json::from_slice::<serde_json::Value>(body) else { return (0, None) };
            let partial = json.get("partialSuccess").or_else(|| json.get("partial_success"));
            let Some(partial) = partial else { return (0, None) };
            let keys: &[&str] = match signal {
                Signal::Logs => &["rejectedLogRecords", "rejected_log_records"],
                Signal::Metrics => &["rejectedDataPoints", "rejected_data_points"],
                Signal::Traces => &["rejectedSpans", "rejected_spans"],
            };
            // proto3 JSON writes 64-bit integers as strings; numbers are accepted too.
            let rejected = keys
                .iter()
                .find_map(|key| partial.get(*key))
                .and_then(|it| it.as_u64().or_else(|| it.as_str().and_then(|text| text.parse().ok())))
                .unwrap_or(0);
            let message = partial
                .get("errorMessage")
                .or_else(|| partial.get("error_message"))
                .and_then(|it| it.as_str())
                .map(str::to_owned)
                .and_then(non_empty);
            (rejected, message)
        }
        Encoding::Protobuf => {
            let pair = match signal {
                Signal::Logs => ExportLogsServiceResponse::decode(body)
                    .ok()
                    .and_then(|it| it.partial_success)
                    .map(|it| (it.rejected_log_records, it.error_message)),
                Signal::Metrics => ExportMetricsServiceResponse::decode(body)
                    .ok()
                    .and_then(|it| it.partial_success)
                    .map(|it| (it.rejected_data_points, it.error_message)),
                Signal::Traces => ExportTraceServiceResponse::decode(body)
                    .ok()
                    .and_then(|it| it.partial_success)
                    .map(|it| (it.rejected_spans, it.error_message)),
            };
            match pair {
                Some((rejected, message)) => (rejected.max(0) as u64, non_empty(message)),
                None => (0, None),
            }
        }
    }
}

/// The message of a failure body: a `google.rpc.Status` in JSON or protobuf, else the start
/// of a text body.
pub fn status_message(encoding: Option<Encoding>, body: &[u8]) -> String {
    let from_json = || {
        serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|it| it.get("message").and_then(|it| it.as_str()).map(str::to_owned))
    };
    let from_proto = || RpcStatus::decode(body).ok().map(|it| it.message).filter(|it| !it.is_empty());
    // Servers label bodies loosely (a JSON status as text/plain): the declared encoding
    // first, then JSON, then text.
    let message = match encoding {
        Some(Encoding::Json) => from_json(),
        Some(Encoding::Protobuf) => from_proto(),
        None => None,
    }
    .or_else(from_json);
    message.unwrap_or_else(|| {
        let text = String::from_utf8_lossy(body);
        let text = text.trim();
        text.chars().take(200).collect()
    })
}

/// gRPC codes the OTLP specification allows to retry.
fn retryable_code(code: tonic::Code) -> bool {
    use tonic::Code::*;
    matches!(code, Cancelled | DeadlineExceeded | ResourceExhausted | Aborted | OutOfRange | Unavailable | DataLoss)
}

/// The HTTP status the OpenTelemetry Collector maps a gRPC code to.
fn http_status_of(code: tonic::Code) -> u16 {
    use tonic::Code::*;
    match code {
        Ok => 200,
        InvalidArgument => 400,
        Unauthenticated => 401,
        PermissionDenied => 403,
        Unimplemented => 404,
        ResourceExhausted => 429,
        Cancelled | DeadlineExceeded | Aborted | OutOfRange | Unavailable | DataLoss => 503,
        _ => 500,
    }
}

fn grpc_request<T>(message: T, headers: &[(String, String)]) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    for (name, value) in headers {
        // Validated when the transport was built.
        if let (Ok(name), Ok(value)) = (
            tonic::metadata::MetadataKey::<tonic::metadata::Ascii>::from_bytes(name.as_bytes()),
            tonic::metadata::MetadataValue::<tonic::metadata::Ascii>::try_from(value.as_str()),
        ) {
            let _ = request.metadata_mut().insert(name, value);
        }
    }
    request
}

async fn grpc_attempt(channel: tonic::transport::Channel, headers: &[(String, String)], wire: &Wire) -> Answer {
    use tonic::codec::CompressionEncoding::Gzip;
    let invalid = |error: prost::DecodeError| Answer::Transport { message: format!("not a protobuf message: {error}") };
    let result: Result<(u64, String), tonic::Status> = match wire.signal {
        Signal::Logs => {
            let message = match ExportLogsServiceRequest::decode(&wire.body[..]) {
                Ok(it) => it,
                Err(error) => return invalid(error),
            };
            let mut client = LogsServiceClient::new(channel);
            if wire.gzip {
                client = client.send_compressed(Gzip);
            }
            client.export(grpc_request(message, headers)).await.map(|it| {
                let partial = it.into_inner().partial_success.unwrap_or_default();
                (partial.rejected_log_records.max(0) as u64, partial.error_message)
            })
        }
        Signal::Metrics => {
            let message = match ExportMetricsServiceRequest::decode(&wire.body[..]) {
                Ok(it) => it,
                Err(error) => return invalid(error),
            };
            let mut client = MetricsServiceClient::new(channel);
            if wire.gzip {
                client = client.send_compressed(Gzip);
            }
            client.export(grpc_request(message, headers)).await.map(|it| {
                let partial = it.into_inner().partial_success.unwrap_or_default();
                (partial.rejected_data_points.max(0) as u64, partial.error_message)
            })
        }
        Signal::Traces => {
            let message = match ExportTraceServiceRequest::decode(&wire.body[..]) {
                Ok(it) => it,
                Err(error) => return invalid(error),
            };
            let mut client = TraceServiceClient::new(channel);
            if wire.gzip {
                client = client.send_compressed(Gzip);
            }
            client.export(grpc_request(message, headers)).await.map(|it| {
                let partial = it.into_inner().partial_success.unwrap_or_default();
                (partial.rejected_spans.max(0) as u64, partial.error_message)
            })
        }
    };
    match result {
        Ok((rejected, message)) => {
            Answer::Accepted { status: 200, rejected, message: (!message.is_empty()).then_some(message) }
        }
        // tonic reports a channel that could not connect as Unavailable with a transport
        // source; it is an outage, not an answer.
        Err(status) if status.code() == tonic::Code::Unavailable && std::error::Error::source(&status).is_some() => {
            Answer::Transport { message: error_chain(&status) }
        }
        Err(status) => Answer::Refused {
            status: http_status_of(status.code()),
            grpc_code: Some(format!("{:?}", status.code())),
            retryable: retryable_code(status.code()),
            retry_after: None,
            message: status.message().to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_with_jitter_and_retry_after_wins() {
        let policy = RetryPolicy {
            max_retries: 5,
            backoff_base: Duration::from_millis(100),
            backoff_max: Duration::from_secs(1),
            max_retry_after: Duration::from_secs(5),
        };
        for retry in 1..=6 {
            let exponential = Duration::from_millis(100 * (1 << (retry - 1))).min(Duration::from_secs(1));
            let delay = policy.delay(retry, None);
            assert!(delay >= exponential / 2 && delay <= exponential, "retry {retry}: {delay:?}");
        }
        assert_eq!(policy.delay(1, Some(Duration::from_secs(2))), Duration::from_secs(2));
        assert_eq!(policy.delay(1, Some(Duration::from_secs(99))), Duration::from_secs(5));
    }

    #[test]
    fn partial_success_is_read_in_both_encodings() {
        use crate::collector::status::success_body;
        for encoding in [Encoding::Json, Encoding::Protobuf] {
            let body = success_body(encoding, Signal::Traces, 3, Some("bad spans"));
            assert_eq!(partial_success(Signal::Traces, encoding, &body), (3, Some("bad spans".to_owned())));
            let body = success_body(encoding, Signal::Logs, 0, None);
            assert_eq!(partial_success(Signal::Logs, encoding, &body), (0, None));
        }
    }
}
