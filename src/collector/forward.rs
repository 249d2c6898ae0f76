//! Forwarding canonical records upstream as OTLP logs (mapping in [`super::canonical_otlp`]),
//! from a queue kept in the database so an upstream outage or a restart loses nothing.
//!
//! Ingest queues one payload per stored request in the same transaction as the request
//! itself. This task sends them oldest first, one at a time, and a newer payload waits while
//! the oldest waits for its retry, so an upstream receives a collector's requests in order:
//! - 2xx: delivered (a `partial_success` from the upstream is noted, not retried: OTLP says
//!   a client must not retry a partial success);
//! - 429, 502, 503, 504, or no answer at all (connection refused, timeout): retried after
//!   the upstream's `Retry-After` (seconds or HTTP-date) or, without one, after an
//!   exponential backoff with jitter;
//! - any other status: failed for good, kept in the queue with the error for inspection.
//!
//! gRPC follows the same rule with the OTLP/gRPC retryable codes (`UNAVAILABLE`,
//! `RESOURCE_EXHAUSTED`, `CANCELLED`, `DEADLINE_EXCEEDED`, `ABORTED`, `OUT_OF_RANGE`,
//! `DATA_LOSS`). The queue is bounded (`max_pending`); when full, ingest answers 503 with
//! `Retry-After`, so back-pressure reaches the CLIs instead of data being dropped.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use prost::Message;

use crate::otlp::{self, Encoding, Signal};
use crate::store::QueuedPayload;

use super::ingest::Ingestor;

/// How to talk to the upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// OTLP/HTTP with JSON bodies.
    HttpJson,
    /// OTLP/HTTP with protobuf bodies.
    HttpProtobuf,
    /// OTLP/gRPC.
    Grpc,
}

impl Protocol {
    /// Parses `http/json`, `http/protobuf` or `grpc` (the `OTEL_EXPORTER_OTLP_PROTOCOL` names).
    pub fn parse(text: &str) -> Option<Protocol> {
        match text {
            "http/json" => Some(Protocol::HttpJson),
            "http/protobuf" => Some(Protocol::HttpProtobuf),
            "grpc" => Some(Protocol::Grpc),
            _ => None,
        }
    }

    /// Whether payloads are queued as protobuf.
    pub fn protobuf(self) -> bool {
        self != Protocol::HttpJson
    }
}

/// Forwarding settings.
#[derive(Debug, Clone)]
pub struct ForwardConfig {
    /// The upstream: an OTLP/HTTP base URL (`/v1/logs` is appended unless present) or a gRPC
    /// endpoint.
    pub url: String,
    /// The protocol.
    pub protocol: Protocol,
    /// Extra headers (gRPC metadata) sent with every payload, such as the upstream's token.
    pub headers: Vec<(String, String)>,
    /// First retry delay without `Retry-After`; doubles per attempt.
    pub backoff_base: Duration,
    /// Longest retry delay of the backoff (an upstream's `Retry-After` is honoured up to an hour).
    pub backoff_max: Duration,
    /// Time limit of one send.
    pub timeout: Duration,
}

/// What one send came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// Accepted; the note says what the upstream rejected, if anything.
    Delivered(Option<String>),
    /// Retry, after the upstream's delay when it gave one.
    Retry {
        /// Why.
        error: String,
        /// The upstream's `Retry-After`.
        after: Option<Duration>,
    },
    /// Refused for good.
    Failed(String),
}

/// Whether an HTTP status may be retried (OTLP: only 429, 502, 503, 504).
pub fn retryable_status(status: u16) -> bool {
    matches!(status, 429 | 502 | 503 | 504)
}

/// Parses `Retry-After`: delay-seconds or an HTTP-date (a date in the past means now).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The longest `Retry-After` honoured: a longer one is taken as an hour, so a misconfigured
/// upstream cannot park the queue for days.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|it| it.as_millis() as i64).unwrap_or(0)
}

/// The delay before retry number `attempts` (1-based): the upstream's, or exponential with
/// up to 25% jitter, capped.
fn delay(config: &ForwardConfig, attempts: u32, after: Option<Duration>) -> Duration {
    if let Some(after) = after {
        return after.min(MAX_RETRY_AFTER);
    }
    let exponential = config.backoff_base.saturating_mul(1u32 << attempts.min(16).saturating_sub(1));
    let capped = exponential.min(config.backoff_max);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|it| it.subsec_nanos()).unwrap_or(0);
    let jitter = capped.mul_f64(f64::from(nanos % 1000) / 4000.0);
    (capped + jitter).min(config.backoff_max)
}

enum Client {
    Http { client: reqwest::Client, url: String },
    Grpc { channel: tonic::transport::Channel },
}

/// The HTTP URL payloads are posted to.
pub fn logs_url(base: &str) -> String {
    let trimmed = base.trim_end_matches('/');
    if trimmed.ends_with("/v1/logs") {
        trimmed.to_owned()
    } else {
        format!("{trimmed}/v1/logs")
    }
}

fn client(config: &ForwardConfig) -> Result<Client, String> {
    match config.protocol {
        Protocol::Grpc => {
            let endpoint = tonic::transport::Endpoint::from_shared(config.url.clone())
                .map_err(|error| format!("--forward {}: {error}", config.url))?
                .timeout(config.timeout)
                .connect_timeout(config.timeout);
            Ok(Client::Grpc { channel: endpoint.connect_lazy() })
        }
        Protocol::HttpJson | Protocol::HttpProtobuf => {
            // reqwest is built without a bundled crypto provider; ring is installed once here.
            let _ = rustls::crypto::ring::default_provider().install_default();
            let client = reqwest::Client::builder()
                .timeout(config.timeout)
                .build()
                .map_err(|error| format!("building the HTTP client: {error}"))?;
            Ok(Client::Http { client, url: logs_url(&config.url) })
        }
    }
}

/// Checks a forwarding configuration at startup (URL syntax, TLS setup).
pub fn validate(config: &ForwardConfig) -> Result<(), String> {
    client(config).map(|_| ())?;
    if config.protocol != Protocol::Grpc {
        reqwest::Url::parse(&logs_url(&config.url)).map_err(|error| format!("--forward {}: {error}", config.url))?;
    }
    for (name, value) in &config.headers {
        reqwest::header::HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("--forward-header: `{name}` is not a valid header name"))?;
        reqwest::header::HeaderValue::from_str(value)
            .map_err(|_| format!("--forward-header {name}: the value is not a valid header value"))?;
    }
    Ok(())
}

/// Converts a queued payload to the encoding the protocol needs (the queue may hold
/// payloads written under another `--forward-protocol`).
fn payload_for(payload: &[u8], protobuf: bool) -> Result<Vec<u8>, String> {
    let is_json = payload.first() == Some(&b'{');
    if is_json != protobuf {
        return Ok(payload.to_vec());
    }
    let from = if is_json { Encoding::Json } else { Encoding::Protobuf };
    let decoded = otlp::decode(Signal::Logs, from, payload).map_err(|error| format!("queued payload: {error}"))?;
    Ok(if protobuf { otlp::encode::to_protobuf(&decoded.request) } else { otlp::encode::to_json(&decoded.request) })
}

async fn send(client: &Client, config: &ForwardConfig, payload: &[u8]) -> SendOutcome {
    match client {
        Client::Http { client, url } => {
            let protobuf = config.protocol == Protocol::HttpProtobuf;
            let body = match payload_for(payload, protobuf) {
                Ok(it) => it,
                Err(error) => return SendOutcome::Failed(error),
            };
            let content_type = if protobuf { "application/x-protobuf" } else { "application/json" };
            let mut request = client.post(url).header("content-type", content_type).body(body);
            for (name, value) in &config.headers {
                request = request.header(name.as_str(), value.as_str());
            }
            match request.send().await {
                Err(error) => SendOutcome::Retry { error: format!("no answer from {url}: {error}"), after: None },
                Ok(response) => {
                    let status = response.status().as_u16();
                    let after = response
                        .headers()
                        .get("retry-after")
                        .and_then(|it| it.to_str().ok())
                        .and_then(|it| parse_retry_after(it, SystemTime::now()));
                    let body = response.bytes().await.unwrap_or_default();
                    if (200..300).contains(&status) {
                        SendOutcome::Delivered(partial_success_note(&body, protobuf))
                    } else if retryable_status(status) {
                        SendOutcome::Retry { error: format!("{url} answered {status}"), after }
                    } else {
                        let text = String::from_utf8_lossy(&body).chars().take(300).collect::<String>();
                        SendOutcome::Failed(format!("{url} answered {status}: {text}"))
                    }
                }
            }
        }
        Client::Grpc { channel } => {
            use opentelemetry_proto::tonic::collector::logs::v1::logs_service_client::LogsServiceClient;
            use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
            let bytes = match payload_for(payload, true) {
                Ok(it) => it,
                Err(error) => return SendOutcome::Failed(error),
            };
            let message = match ExportLogsServiceRequest::decode(&bytes[..]) {
                Ok(it) => it,
                Err(error) => return SendOutcome::Failed(format!("queued payload: {error}")),
            };
            let mut request = tonic::Request::new(message);
            for (name, value) in &config.headers {
                let key = tonic::metadata::MetadataKey::from_bytes(name.to_ascii_lowercase().as_bytes());
                if let (Ok(key), Ok(value)) = (key, value.parse()) {
                    let _ = request.metadata_mut().insert(key, value);
                }
            }
            let mut grpc = LogsServiceClient::new(channel.clone());
            match grpc.export(request).await {
                Ok(response) => SendOutcome::Delivered(response.into_inner().partial_success.and_then(|it| {
                    (it.rejected_log_records > 0 || !it.error_message.is_empty())
                        .then(|| format!("upstream rejected {}: {}", it.rejected_log_records, it.error_message))
                })),
                Err(status) => {
                    use tonic::Code;
                    let retry = matches!(
                        status.code(),
                        Code::Unavailable
                            | Code::ResourceExhausted
                            | Code::Cancelled
                            | Code::DeadlineExceeded
                            | Code::Aborted
                            | Code::OutOfRange
                            | Code::DataLoss
                    );
                    let error = format!("{} answered {:?}: {}", config.url, status.code(), status.message());
                    if retry {
                        SendOutcome::Retry { error, after: None }
                    } else {
                        SendOutcome::Failed(error)
                    }
                }
            }
        }
    }
}

fn partial_success_note(body: &[u8], protobuf: bool) -> Option<String> {
    let (rejected, message) = if protobuf {
        use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceResponse;
        let partial = ExportLogsServiceResponse::decode(body).ok()?.partial_success?;
        (partial.rejected_log_records, partial.error_message)
    } else {
        let json: serde_json::Value = serde_json::from_slice(body).ok()?;
        let partial = json.get("partialSuccess")?;
        let rejected = match partial.get("rejectedLogRecords") {
            Some(serde_json::Value::String(it)) => it.parse().unwrap_or(0),
            Some(it) => it.as_i64().unwrap_or(0),
            None => 0,
        };
        (rejected, partial.get("errorMessage").and_then(|it| it.as_str()).unwrap_or_default().to_owned())
    };
    (rejected > 0 || !message.is_empty()).then(|| format!("upstream rejected {rejected}: {message}"))
}

/// Runs the forwarder until `shutdown` turns true. Payloads not delivered by then stay
/// queued in the database for the next run.
pub async fn run(ingestor: Arc<Ingestor>, config: ForwardConfig, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    let client = match client(&config) {
        Ok(it) => it,
        Err(error) => {
            eprintln!("codetel collect: forwarding disabled: {error}");
            return;
        }
    };
    loop {
        if *shutdown.borrow() {
            return;
        }
        let store_ingestor = ingestor.clone();
        let due = tokio::task::spawn_blocking(move || {
            store_ingestor.with_store(|store| {
                let due = store.next_due(now_ms())?;
                // When to look again matters only when nothing is due now.
                let next_time = if due.is_none() { store.next_due_time()? } else { None };
                Ok::<_, crate::store::StoreError>((due, next_time))
            })
        })
        .await;
        let (due, next_time) = match due {
            Ok(Ok(it)) => it,
            Ok(Err(error)) => {
                eprintln!("codetel collect: forwarding: {error}");
                (None, Some(now_ms() + 1000))
            }
            Err(_) => (None, Some(now_ms() + 1000)),
        };
        let Some(item) = due else {
            // Nothing due: sleep until the next retry, a new payload, or shutdown.
            let wait = match next_time {
                Some(at) => Duration::from_millis((at - now_ms()).clamp(1, 60_000) as u64),
                None => Duration::from_secs(60),
            };
            tokio::select! {
                _ = ingestor.queued.notified() => {}
                _ = tokio::time::sleep(wait) => {}
                _ = shutdown.changed() => {}
            }
            continue;
        };
        let outcome = tokio::select! {
            outcome = send(&client, &config, &item.payload) => outcome,
            _ = shutdown.changed() => return,
        };
        record(&ingestor, &config, &item, outcome).await;
    }
}

async fn record(ingestor: &Arc<Ingestor>, config: &ForwardConfig, item: &QueuedPayload, outcome: SendOutcome) {
    let ingestor = ingestor.clone();
    let id = item.id;
    let attempts = item.attempts + 1;
    let next_ms = match &outcome {
        SendOutcome::Retry { after, .. } => now_ms() + delay(config, attempts, *after).as_millis() as i64,
        _ => 0,
    };
    let res = tokio::task::spawn_blocking(move || {
        ingestor.with_store(|store| match &outcome {
            SendOutcome::Delivered(note) => store.forward_delivered(id, note.as_deref()),
            SendOutcome::Retry { error, .. } => store.forward_retry(id, next_ms, error),
            SendOutcome::Failed(error) => {
                eprintln!("codetel collect: forwarding request {id} failed for good: {error}");
                store.forward_failed(id, error)
            }
        })
    })
    .await;
    if let Ok(Err(error)) = res {
        eprintln!("codetel collect: forwarding: {error}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_429_502_503_504_are_retryable() {
        for status in 100..600u16 {
            assert_eq!(retryable_status(status), matches!(status, 429 | 502 | 503 | 504), "{status}");
        }
    }

    #[test]
    fn retry_after_takes_seconds_and_http_dates() {
        let now = UNIX_EPOCH + Duration::from_secs(784_111_770);
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:00 GMT", now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let config = ForwardConfig {
            url: String::new(),
            protocol: Protocol::HttpJson,
            headers: Vec::new(),
            backoff_base: Duration::from_millis(100),
            backoff_max: Duration::from_secs(2),
            timeout: Duration::from_secs(1),
        };
        let first = delay(&config, 1, None);
        assert!(first >= Duration::from_millis(100) && first <= Duration::from_millis(125), "{first:?}");
        let fourth = delay(&config, 4, None);
        assert!(fourth >= Duration::from_millis(800) && fourth <= Duration::from_millis(1000), "{fourth:?}");
        assert_eq!(delay(&config, 30, None), Duration::from_secs(2));
        // The upstream's delay is honoured even past the backoff cap.
        assert_eq!(delay(&config, 1, Some(Duration::from_secs(60))), Duration::from_secs(60));
        assert_eq!(delay(&config, 1, Some(Duration::from_secs(86_400))), MAX_RETRY_AFTER);
    }

    #[test]
    fn logs_url_appends_the_signal_path_once() {
        assert_eq!(logs_url("http://127.0.0.1:4318"), "http://127.0.0.1:4318/v1/logs");
        assert_eq!(logs_url("http://127.0.0.1:4318/"), "http://127.0.0.1:4318/v1/logs");
        assert_eq!(logs_url("https://otel.example/v1/logs"), "https://otel.example/v1/logs");
    }
}
