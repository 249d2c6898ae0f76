//! The OTLP/HTTP capture server: keeps every export request exactly as it arrived.
//!
//! Vendor-neutral. Bodies are kept de-chunked but otherwise untouched (gzip stays gzip), in
//! arrival order. It answers what a collector would: `200` with `{}` for JSON and an empty
//! `Export*ServiceResponse` (an empty body is a valid protobuf message) for protobuf, echoing
//! the request's content type.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::Result;

use crate::http::{Handler, Request, Response, Server};

/// Header names whose values are always removed from `.headers.json` files.
pub const ALWAYS_REDACTED_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "x-api-key",
    "api-key",
    "cookie",
    "set-cookie",
    "x-goog-api-key",
    "x-honeycomb-team",
    "dd-api-key",
];

/// What replaces a removed header value.
pub const REMOVED: &str = "[removed]";

/// The OTLP signal a request carried, from its URL path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Signal {
    /// `/v1/logs`.
    Logs,
    /// `/v1/metrics`.
    Metrics,
    /// `/v1/traces`.
    Traces,
    /// Anything else (kept, so nothing is silently dropped).
    Other,
}

impl Signal {
    /// From the request path; the signal is the last path segment.
    pub fn from_path(path: &str) -> Self {
        match path.trim_end_matches('/').rsplit('/').next() {
            Some("logs") => Self::Logs,
            Some("metrics") => Self::Metrics,
            Some("traces") => Self::Traces,
            _ => Self::Other,
        }
    }

    /// The name used in file names and the manifest.
    pub fn name(self) -> &'static str {
        match self {
            Self::Logs => "logs",
            Self::Metrics => "metrics",
            Self::Traces => "traces",
            Self::Other => "other",
        }
    }
}

/// How an OTLP body is encoded, from its `Content-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// `application/json`.
    Json,
    /// `application/x-protobuf` (or anything that is not JSON).
    Protobuf,
}

impl Encoding {
    /// From a `Content-Type` value; OTLP/HTTP only knows JSON and protobuf.
    pub fn from_content_type(content_type: Option<&str>) -> Self {
        match content_type {
            Some(value) if value.to_ascii_lowercase().contains("json") => Self::Json,
            _ => Self::Protobuf,
        }
    }

    /// File extension (`json` / `pb`).
    pub fn extension(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Protobuf => "pb",
        }
    }

    /// The manifest's name for it (`json` / `protobuf`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Protobuf => "protobuf",
        }
    }
}

/// One export request as received.
#[derive(Debug, Clone)]
pub struct CapturedRequest {
    /// 1-based arrival number.
    pub seq: usize,
    /// The request itself.
    pub request: Request,
    /// When it arrived.
    pub received_at: Instant,
}

impl CapturedRequest {
    /// Its signal.
    pub fn signal(&self) -> Signal {
        Signal::from_path(self.request.path())
    }

    /// Its encoding.
    pub fn encoding(&self) -> Encoding {
        Encoding::from_content_type(self.request.header("content-type"))
    }

    /// Whether the body is gzip-compressed.
    pub fn is_gzip(&self) -> bool {
        self.request
            .header("content-encoding")
            .is_some_and(|value| value.eq_ignore_ascii_case("gzip"))
    }

    /// `NNNN-<signal>`, the common stem of its two files.
    pub fn file_stem(&self) -> String {
        format!("{:04}-{}", self.seq, self.signal().name())
    }

    /// `NNNN-<signal>.<json|pb>[.gz]`.
    pub fn body_file_name(&self) -> String {
        let gz = if self.is_gzip() { ".gz" } else { "" };
        format!("{}.{}{gz}", self.file_stem(), self.encoding().extension())
    }

    /// `NNNN-<signal>.headers.json`.
    pub fn headers_file_name(&self) -> String {
        format!("{}.headers.json", self.file_stem())
    }
}

/// Everything captured so far, shared with the server threads.
#[derive(Default)]
pub struct CaptureStore {
    requests: Mutex<Vec<CapturedRequest>>,
}

impl CaptureStore {
    fn push(&self, request: &Request) {
        let mut requests = self
            .requests
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let seq = requests.len() + 1;
        requests.push(CapturedRequest {
            seq,
            request: request.clone(),
            received_at: Instant::now(),
        });
    }

    /// How many requests arrived and when the last one did.
    pub fn progress(&self) -> (usize, Option<Instant>) {
        let requests = self
            .requests
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        (requests.len(), requests.last().map(|last| last.received_at))
    }

    /// A copy of everything captured, in arrival order.
    pub fn snapshot(&self) -> Vec<CapturedRequest> {
        self.requests
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }
}

/// Starts a capture server on a free loopback port.
pub fn start(store: Arc<CaptureStore>) -> Result<Server> {
    let handler: Handler = Arc::new(move |request: &Request| {
        store.push(request);
        let content_type = request
            .header("content-type")
            .unwrap_or("application/json")
            .to_string();
        match Encoding::from_content_type(Some(&content_type)) {
            Encoding::Json => Response::new(200, &content_type, "{}"),
            Encoding::Protobuf => Response::new(200, &content_type, Vec::new()),
        }
    });
    Server::start("otlp-capture", handler)
}

/// The `.headers.json` document: method, path and lowercase headers with auth values removed.
pub fn headers_document(request: &Request, extra_redacted: &[String]) -> serde_json::Value {
    let mut headers = serde_json::Map::new();
    for (name, value) in &request.headers {
        let name = name.to_ascii_lowercase();
        let redact = ALWAYS_REDACTED_HEADERS.contains(&name.as_str())
            || extra_redacted
                .iter()
                .any(|extra| extra.eq_ignore_ascii_case(&name))
            || looks_like_token(value);
        let value = if redact { REMOVED } else { value.as_str() };
        // Repeated headers are joined the way HTTP allows folding them.
        match headers.get_mut(&name) {
            Some(serde_json::Value::String(existing)) if existing != REMOVED => {
                existing.push_str(", ");
                existing.push_str(value);
            }
            Some(_) => {}
            None => {
                headers.insert(name, serde_json::Value::String(value.to_string()));
            }
        }
    }
    serde_json::json!({
        "method": request.method,
        "path": request.target,
        "headers": headers,
    })
}

/// Whether a header value looks like a credential.
///
/// Known prefixes (`Bearer`, `Basic`, `sk-`, `AKIA`, GitHub and Slack tokens, JWTs) count, and so
/// does any run of 32+ base64/url-safe characters mixing upper case, lower case and digits.
/// Lower-case hex ids (`traceparent`) do not: they are correlation ids, not secrets.
pub fn looks_like_token(value: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "bearer ",
        "basic ",
        "sk-",
        "akia",
        "ghp_",
        "gho_",
        "ghs_",
        "github_pat_",
        "xoxb-",
        "xoxp-",
        "xoxa-",
        "eyj",
    ];
    let lower = value.trim().to_ascii_lowercase();
    if PREFIXES.iter().any(|prefix| lower.starts_with(prefix)) {
        return true;
    }
    value
        .split(|c: char| !(c.is_ascii_alphanumeric() || "+/=_-".contains(c)))
        .any(|run| {
            run.len() >= 32
                && run.chars().any(|c| c.is_ascii_uppercase())
                && run.chars().any(|c| c.is_ascii_lowercase())
                && run.chars().any(|c| c.is_ascii_digit())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(headers: &[(&str, &str)]) -> Request {
        Request {
            method: "POST".into(),
            target: "/v1/logs".into(),
            headers: headers
                .iter()
                .map(|(name, value)| (name.to_string(), value.to_string()))
                .collect(),
            body: Vec::new(),
        }
    }

    #[test]
    fn auth_headers_and_token_like_values_are_removed() {
        let doc = headers_document(
            &request(&[
                ("Authorization", "Bearer abc"),
                ("X-Api-Key", "sk-ant-dummy"),
                ("X-Tenant-Secret", "plain"),
                ("X-Custom", "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"),
                ("Content-Type", "application/json"),
                ("User-Agent", "OTel-OTLP-Exporter-JavaScript/0.208.0"),
                (
                    "traceparent",
                    "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
                ),
            ]),
            &["x-tenant-secret".to_string()],
        );
        let headers = &doc["headers"];
        assert_eq!(headers["authorization"], REMOVED);
        assert_eq!(headers["x-api-key"], REMOVED);
        assert_eq!(headers["x-tenant-secret"], REMOVED);
        assert_eq!(headers["x-custom"], REMOVED);
        assert_eq!(headers["content-type"], "application/json");
        assert_eq!(
            headers["user-agent"],
            "OTel-OTLP-Exporter-JavaScript/0.208.0"
        );
        assert_eq!(
            headers["traceparent"],
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
        );
        assert_eq!(doc["path"], "/v1/logs");
    }

    #[test]
    fn file_names_follow_the_capture_layout() {
        let mut req = request(&[
            ("Content-Type", "application/x-protobuf"),
            ("Content-Encoding", "gzip"),
        ]);
        req.target = "/v1/metrics".into();
        let captured = CapturedRequest {
            seq: 7,
            request: req,
            received_at: Instant::now(),
        };
        assert_eq!(captured.body_file_name(), "0007-metrics.pb.gz");
        assert_eq!(captured.headers_file_name(), "0007-metrics.headers.json");
        assert_eq!(Signal::from_path("/otlp/v1/traces/"), Signal::Traces);
    }
}
