//! The OTLP/HTTP receiver and the read API, on one axum router.
//!
//! Export paths (`/v1/logs`, `/v1/metrics`, `/v1/traces`), checked in this order:
//! 1. method: anything but POST is 405 with `Allow: POST`;
//! 2. credentials, when authentication is on: 401, nothing stored;
//! 3. media type: `application/json` or `application/x-protobuf` (only JSON with
//!    `--json-only`), dispatched on `Content-Type`, both on the same port; anything else 415;
//!    a `Content-Encoding` other than `gzip` or `identity` is 415 too;
//! 4. capacity: a bounded number of requests in flight; past it 503 with `Retry-After`;
//! 5. size: the body is read up to the limit, then inflated up to the limit (a gzip bomb
//!    stops there); over it 413;
//! 6. decoding: undecodable data is 400 with a `google.rpc.Status` body;
//! 7. storing: 200 with the `Export*ServiceResponse`, `partial_success` set only when items
//!    were rejected (or a warning is due), after the database commit.
//!
//! Every response to an export request is in the request's encoding. The read API
//! (`GET /api/sessions`, `GET /api/sessions/{id}`, `GET /api/status`, `GET /api/records`) answers JSON, with the
//! same authentication; a tenant's token sees only that tenant's sessions.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::Router;
use http_body_util::BodyExt;

use crate::otlp::{self, DecodeError, Encoding, Signal};
use crate::store::sessions::{self, Filter};

use super::auth::{self, Tokens, DEFAULT_TENANT};
use super::ingest::{IngestError, Incoming, Ingestor, Transport};
use super::status::{self, Code};
use super::unix_nanos_now;

/// What the HTTP receiver needs.
#[derive(Debug)]
pub struct HttpState {
    /// The shared ingest state.
    pub ingestor: Arc<Ingestor>,
    /// Tokens; `None` when authentication is off.
    pub tokens: Option<Arc<Tokens>>,
    /// Largest body, before and after decompression.
    pub max_body_bytes: usize,
    /// Answer 415 to protobuf (compatibility testing with JSON-only backends).
    pub json_only: bool,
    /// How long a client may take to send its body.
    pub body_timeout: Duration,
    /// Bounded work: one permit per request being read, decoded or stored.
    pub permits: Arc<tokio::sync::Semaphore>,
    /// Seconds a client is told to wait when the collector is full.
    pub retry_after_seconds: u64,
}

/// The router.
pub fn router(state: Arc<HttpState>) -> Router {
    Router::new()
        .route("/v1/logs", any(export_logs))
        .route("/v1/metrics", any(export_metrics))
        .route("/v1/traces", any(export_traces))
        .route("/api/sessions", get(api_sessions))
        .route("/api/sessions/{id}", get(api_session))
        .route("/api/status", get(api_status))
        .route("/api/records", get(api_records))
        .fallback(not_found)
        .with_state(state)
}

async fn not_found() -> Response {
    text(StatusCode::NOT_FOUND, "404 page not found: OTLP/HTTP paths are /v1/logs, /v1/metrics and /v1/traces")
}

fn text(status: StatusCode, message: &str) -> Response {
    let mut response = (status, message.to_owned()).into_response();
    let _ = response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    response
}

fn encoded(status: StatusCode, encoding: Encoding, body: Vec<u8>) -> Response {
    let mut response = (status, body).into_response();
    let _ = response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(status::content_type(encoding)));
    response
}

fn failure(encoding: Encoding, code: Code, message: &str) -> Response {
    let status = StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    encoded(status, encoding, status::status_body(encoding, code, message))
}

fn with_retry_after(mut response: Response, seconds: u64) -> Response {
    if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
        let _ = response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

fn unauthenticated(encoding: Encoding) -> Response {
    let mut response = failure(encoding, Code::Unauthenticated, "missing or invalid credentials");
    let _ = response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"codetel\""));
    response
}

/// The tenant of a request: `default` when authentication is off, the token's tenant when
/// it is on, `None` when the credentials are missing or wrong.
fn tenant(state: &HttpState, headers: &HeaderMap) -> Option<String> {
    match &state.tokens {
        None => Some(DEFAULT_TENANT.to_owned()),
        Some(tokens) => tokens.authenticate(|name| headers.get(name).map(HeaderValue::as_bytes)).map(str::to_owned),
    }
}

/// The encoding a `Content-Type` names, if supported.
pub fn media_encoding(content_type: Option<&str>, json_only: bool) -> Option<Encoding> {
    let media = content_type?.split(';').next()?.trim().to_ascii_lowercase();
    match media.as_str() {
        "application/json" => Some(Encoding::Json),
        "application/x-protobuf" if !json_only => Some(Encoding::Protobuf),
        _ => None,
    }
}

async fn export_logs(State(state): State<Arc<HttpState>>, method: Method, headers: HeaderMap, body: Body) -> Response {
    export(state, Signal::Logs, method, headers, body).await
}

async fn export_metrics(State(state): State<Arc<HttpState>>, method: Method, headers: HeaderMap, body: Body) -> Response {
    export(state, Signal::Metrics, method, headers, body).await
}

async fn export_traces(State(state): State<Arc<HttpState>>, method: Method, headers: HeaderMap, body: Body) -> Response {
    export(state, Signal::Traces, method, headers, body).await
}

enum ReadError {
    TooLarge,
    TimedOut,
    Broken(String),
}

async fn read_body(body: Body, limit: usize, timeout: Duration) -> Result<Vec<u8>, ReadError> {
    let read = async {
        let mut body = body;
        let mut bytes = Vec::new();
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|error| ReadError::Broken(error.to_string()))?;
            if let Some(data) = frame.data_ref() {
                if bytes.len() + data.len() > limit {
                    return Err(ReadError::TooLarge);
                }
                bytes.extend_from_slice(data);
            }
        }
        Ok(bytes)
    };
    match tokio::time::timeout(timeout, read).await {
        Ok(res) => res,
        Err(_) => Err(ReadError::TimedOut),
    }
}

async fn export(state: Arc<HttpState>, signal: Signal, method: Method, headers: HeaderMap, body: Body) -> Response {
    let received_unix_nano = unix_nanos_now();
    if method != Method::POST {
        let mut response = text(StatusCode::METHOD_NOT_ALLOWED, "405 method not allowed, supported: [POST]");
        let _ = response.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|it| it.to_str().ok());
    let encoding = media_encoding(content_type, state.json_only);
    let Some(tenant) = tenant(&state, &headers) else {
        // The request's own encoding when it names one, JSON otherwise.
        return unauthenticated(media_encoding(content_type, false).unwrap_or(Encoding::Json));
    };
    let Some(encoding) = encoding else {
        let supported = if state.json_only { "[application/json]" } else { "[application/json, application/x-protobuf]" };
        return text(StatusCode::UNSUPPORTED_MEDIA_TYPE, &format!("415 unsupported media type, supported: {supported}"));
    };
    let declared_gzip = match headers.get(header::CONTENT_ENCODING).and_then(|it| it.to_str().ok()) {
        None => false,
        Some(value) => match value.trim().to_ascii_lowercase().as_str() {
            "gzip" | "x-gzip" => true,
            "" | "identity" => false,
            _ => {
                return text(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "415 unsupported content encoding, supported: [gzip, identity]",
                )
            }
        },
    };
    if let Some(length) = headers.get(header::CONTENT_LENGTH).and_then(|it| it.to_str().ok()?.parse::<usize>().ok()) {
        if length > state.max_body_bytes {
            return too_large(encoding, state.max_body_bytes);
        }
    }
    let Ok(permit) = state.permits.clone().try_acquire_owned() else {
        return with_retry_after(
            failure(encoding, Code::Unavailable, "the collector is at its limit of requests in flight; retry later"),
            state.retry_after_seconds,
        );
    };
    let raw_body = match read_body(body, state.max_body_bytes, state.body_timeout).await {
        Ok(it) => it,
        Err(ReadError::TooLarge) => return too_large(encoding, state.max_body_bytes),
        Err(ReadError::TimedOut) => {
            return encoded(
                StatusCode::REQUEST_TIMEOUT,
                encoding,
                status::status_body(encoding, Code::Unavailable, "the request body did not arrive in time"),
            )
        }
        Err(ReadError::Broken(message)) => {
            return failure(encoding, Code::InvalidArgument, &format!("reading the body failed: {message}"))
        }
    };
    // Some exporters compress without saying so; the magic number is unambiguous for OTLP
    // (neither a JSON object nor an export request starts with 0x1f 0x8b).
    let gzip = declared_gzip || otlp::is_gzip(&raw_body);
    let limit = state.max_body_bytes;
    let ingestor = state.ingestor.clone();
    let token_header = state.tokens.as_ref().and_then(|it| it.header().map(str::to_owned));
    let stored_headers: BTreeMap<String, String> = headers
        .iter()
        .filter(|(name, _)| !auth::is_credential_header(name.as_str(), token_header.as_deref()))
        .map(|(name, value)| (name.as_str().to_owned(), String::from_utf8_lossy(value.as_bytes()).into_owned()))
        .collect();
    let outcome = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let raw_body = bytes::Bytes::from(raw_body);
        // Not compressed, the body is the received buffer itself (shared, not copied).
        let body = if gzip {
            match otlp::gunzip(&raw_body, limit) {
                Ok(it) => bytes::Bytes::from(it),
                Err(error) => return Err(IngestError::BadData(error)),
            }
        } else {
            raw_body.clone()
        };
        let incoming = Incoming {
            tenant,
            transport: Transport::Http,
            method: "POST".to_owned(),
            path: format!("/v1/{}", signal.as_str()),
            signal,
            encoding,
            raw_body,
            gzip,
            body,
            headers: stored_headers,
            received_unix_nano,
        };
        ingestor.ingest(&incoming)
    })
    .await;
    match outcome {
        Ok(Ok(ack)) => encoded(StatusCode::OK, encoding, status::success_body(encoding, signal, ack.rejected, ack.message.as_deref())),
        Ok(Err(IngestError::BadData(DecodeError::TooLarge { .. }))) => too_large(encoding, limit),
        Ok(Err(IngestError::BadData(error))) => failure(encoding, Code::InvalidArgument, &error.to_string()),
        Ok(Err(error @ IngestError::QueueFull(_))) => {
            with_retry_after(failure(encoding, Code::Unavailable, &error.to_string()), state.retry_after_seconds)
        }
        Ok(Err(error)) => {
            eprintln!("codetel collect: {error}");
            // Nothing was stored or acknowledged: retryable, so the client keeps the data.
            with_retry_after(failure(encoding, Code::Unavailable, "storage failed; retry later"), state.retry_after_seconds)
        }
        Err(join) => {
            eprintln!("codetel collect: ingest task failed: {join}");
            failure(encoding, Code::Internal, "internal error")
        }
    }
}

fn too_large(encoding: Encoding, limit: usize) -> Response {
    encoded(
        StatusCode::PAYLOAD_TOO_LARGE,
        encoding,
        status::status_body(encoding, Code::ResourceExhausted, &format!("body exceeds {limit} bytes (after decompression)")),
    )
}

fn json_response(status: StatusCode, value: &impl serde::Serialize) -> Response {
    let body = serde_json::to_vec_pretty(value).unwrap_or_default();
    encoded(status, Encoding::Json, body)
}

fn api_error(status: StatusCode, message: &str) -> Response {
    json_response(status, &serde_json::json!({ "error": message }))
}

/// Query parameters of `GET /api/sessions`.
#[derive(Debug, serde::Deserialize)]
pub struct SessionsQuery {
    /// Only this vendor.
    pub vendor: Option<String>,
}

/// The tenant filter of an API call: the token's tenant, or every tenant without auth.
fn api_tenant(state: &HttpState, headers: &HeaderMap) -> Result<Option<String>, Box<Response>> {
    match &state.tokens {
        None => Ok(None),
        Some(_) => match tenant(state, headers) {
            Some(it) => Ok(Some(it)),
            None => Err(Box::new(unauthenticated(Encoding::Json))),
        },
    }
}

async fn api_sessions(State(state): State<Arc<HttpState>>, headers: HeaderMap, Query(query): Query<SessionsQuery>) -> Response {
    let tenant = match api_tenant(&state, &headers) {
        Ok(it) => it,
        Err(response) => return *response,
    };
    let ingestor = state.ingestor.clone();
    let res = tokio::task::spawn_blocking(move || {
        let records = ingestor.with_store(|store| store.records(tenant.as_deref()))?;
        let filter = Filter { tenant, vendor: query.vendor };
        Ok::<_, crate::store::StoreError>(sessions::list(&records, ingestor.identity(), &filter))
    })
    .await;
    match res {
        Ok(Ok(rows)) => json_response(StatusCode::OK, &rows),
        Ok(Err(error)) => api_error(StatusCode::INTERNAL_SERVER_ERROR, &error.to_string()),
        Err(_) => api_error(StatusCode::INTERNAL_SERVER_ERROR, "internal error"),
    }
}

async fn api_session(State(state): State<Arc<HttpState>>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let tenant = match api_tenant(&state, &headers) {
        Ok(it) => it,
        Err(response) => return *response,
    };
    let ingestor = state.ingestor.clone();
    let lookup = id.clone();
    let res = tokio::task::spawn_blocking(move || {
        let records = ingestor.with_store(|store| store.records(tenant.as_deref()))?;
        Ok::<_, crate::store::StoreError>(sessions::detail(&records, ingestor.identity(), tenant.as_deref(), &lookup))
    })
    .await;
    match res {
        Ok(Ok(Some(detail))) => json_response(StatusCode::OK, &detail),
        Ok(Ok(None)) => api_error(StatusCode::NOT_FOUND, &format!("no session `{id}`")),
        Ok(Err(error)) => api_error(StatusCode::INTERNAL_SERVER_ERROR, &error.to_string()),
        Err(_) => api_error(StatusCode::INTERNAL_SERVER_ERROR, "internal error"),
    }
}

/// Query parameters of `GET /api/records`.
#[derive(Debug, serde::Deserialize)]
pub struct RecordsQuery {
    /// Only records of this session id (the record's own `session_id`).
    pub session: Option<String>,
}

/// The stored canonical records, in arrival order, of the caller's tenant and optionally of
/// one session: what `codetel replay --verify` reads back to diff with `normalize`.
async fn api_records(State(state): State<Arc<HttpState>>, headers: HeaderMap, Query(query): Query<RecordsQuery>) -> Response {
    let tenant = match api_tenant(&state, &headers) {
        Ok(it) => it,
        Err(response) => return *response,
    };
    let ingestor = state.ingestor.clone();
    let res = tokio::task::spawn_blocking(move || ingestor.with_store(|store| store.records(tenant.as_deref()))).await;
    match res {
        Ok(Ok(records)) => {
            let records: Vec<&serde_json::Value> = records
                .iter()
                .map(|it| &it.record)
                .filter(|record| match &query.session {
                    None => true,
                    Some(session) => record.get("session_id").and_then(|it| it.as_str()) == Some(session.as_str()),
                })
                .collect();
            json_response(StatusCode::OK, &records)
        }
        Ok(Err(error)) => api_error(StatusCode::INTERNAL_SERVER_ERROR, &error.to_string()),
        Err(_) => api_error(StatusCode::INTERNAL_SERVER_ERROR, "internal error"),
    }
}

async fn api_status(State(state): State<Arc<HttpState>>, headers: HeaderMap) -> Response {
    if let Err(response) = api_tenant(&state, &headers) {
        return *response;
    }
    let ingestor = state.ingestor.clone();
    let res = tokio::task::spawn_blocking(move || {
        ingestor.with_store(|store| {
            Ok::<_, crate::store::StoreError>(serde_json::json!({
                "requests": store.request_count()?,
                "forward_queue": store.queue_counts()?,
            }))
        })
    })
    .await;
    match res {
        Ok(Ok(value)) => json_response(StatusCode::OK, &value),
        Ok(Err(error)) => api_error(StatusCode::INTERNAL_SERVER_ERROR, &error.to_string()),
        Err(_) => api_error(StatusCode::INTERNAL_SERVER_ERROR, "internal error"),
    }
}
