//! What a replay sends: every request of a capture, in arrival order, with the body exactly as
//! recorded, the recorded path, media type and arrival time, and the decoded model (for
//! re-encoding, rewriting and `--verify`).
//!
//! Two header-file formats exist beside the bodies: the recorder's `NNNN-<signal>.headers.json`
//! (`{method, path, headers{}}`) and imported captures' `<body>.headers` (flat headers, any
//! case, with `_path`, `_ts` and possibly `_transport: "grpc"`). Only `content-type` and
//! `content-encoding` are ever taken from them: recorded credentials are never replayed.

use std::path::{Path, PathBuf};

use crate::capture::{Capture, Input, LoadError};
use crate::otlp::{self, Encoding, ExportRequest, Signal};

/// One request of a capture as it was recorded.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// The body file name (`0003-logs.json`), with `:LINE` for JSONL lines.
    pub file: String,
    /// The signal.
    pub signal: Signal,
    /// The encoding of the recorded body.
    pub encoding: Encoding,
    /// Whether the recorded body is gzip-compressed.
    pub gzip: bool,
    /// The OTLP/HTTP path (`/v1/logs`); a request recorded over gRPC gets its signal's path.
    pub http_path: String,
    /// The recorded `content-type` (or the encoding's media type when none was recorded).
    pub content_type: String,
    /// Whether it was recorded over gRPC (its body is then the protobuf message).
    pub over_grpc: bool,
    /// Arrival time from the header file's `_ts`, in Unix nanoseconds.
    pub arrival_unix_nanos: Option<u64>,
    /// The body bytes exactly as recorded.
    pub body: Vec<u8>,
    /// The decoded request.
    pub model: ExportRequest,
}

impl RecordedRequest {
    /// The latest timestamp the body holds (a fallback arrival time when no `_ts` was recorded).
    pub fn latest_body_time(&self) -> Option<u64> {
        let mut latest = 0;
        super::rewrite::for_each_time(&mut self.model.clone(), &mut |time| latest = latest.max(*time));
        (latest > 0).then_some(latest)
    }
}

/// A capture ready to replay.
#[derive(Debug, Clone)]
pub struct ReplayCapture {
    /// A short name: the path relative to the `corpus/` folder when it is below one.
    pub label: String,
    /// The folder or file.
    pub path: PathBuf,
    /// Its requests in arrival order.
    pub requests: Vec<RecordedRequest>,
}

impl ReplayCapture {
    /// The capture as the pipeline sees it, with (possibly rewritten) models.
    pub fn to_capture(&self, models: &[ExportRequest]) -> Capture {
        let requests = self
            .requests
            .iter()
            .zip(models)
            .map(|(request, model)| crate::capture::Request {
                file: request.file.clone(),
                signal: request.signal,
                encoding: request.encoding,
                gzip: request.gzip,
                decoded: otlp::Decoded { request: model.clone(), problems: Vec::new() },
            })
            .collect();
        Capture { path: self.path.clone(), manifest: None, requests }
    }
}

/// Loads every capture a command-line path names (a capture folder, a vendor or corpus
/// folder searched recursively, or a single body or JSONL file).
pub fn load(path: &Path) -> Result<Vec<ReplayCapture>, LoadError> {
    let mut res = Vec::new();
    for input in crate::capture::discover(path)? {
        res.push(load_input(&input)?);
    }
    Ok(res)
}

fn label_of(path: &Path) -> String {
    let text = path.display().to_string();
    match text.find("corpus/") {
        Some(index) => text[index + "corpus/".len()..].trim_end_matches('/').to_owned(),
        None => text,
    }
}

fn load_input(input: &Input) -> Result<ReplayCapture, LoadError> {
    let capture = input.load(None)?;
    let dir = match input {
        Input::Dir(dir) => Some(dir.as_path()),
        Input::File(_) => None,
    };
    let mut requests = Vec::new();
    for request in &capture.requests {
        let (body, headers) = match dir {
            Some(dir) => {
                let path = dir.join(&request.file);
                let body = std::fs::read(&path).map_err(|cause| LoadError::Io { path: path.clone(), cause })?;
                (body, read_headers(dir, &request.file)?)
            }
            // A single file or a JSONL line: its body is the model in its recorded encoding
            // (a JSONL line is one OTLP/JSON request).
            None => {
                let body = match request.encoding {
                    Encoding::Json => otlp::encode::to_json(&request.decoded.request),
                    Encoding::Protobuf => otlp::encode::to_protobuf(&request.decoded.request),
                };
                (body, None)
            }
        };
        let signal = request.signal;
        let header = |key: &str| headers.as_ref().and_then(|it| it.get(key));
        let path = header("path").unwrap_or_default();
        let over_grpc = header("transport").is_some_and(|it| it == "grpc") || (!path.is_empty() && !path.starts_with("/v1/"));
        let default_type = crate::collector::status::content_type(request.encoding).to_owned();
        let content_type = if over_grpc { default_type } else { header("content-type").unwrap_or(default_type) };
        let arrival_unix_nanos = header("ts").and_then(|it| it.parse::<f64>().ok()).map(|it| (it * 1e9) as u64);
        requests.push(RecordedRequest {
            file: request.file.clone(),
            signal,
            encoding: request.encoding,
            gzip: otlp::is_gzip(&body),
            http_path: if path.starts_with("/v1/") && !over_grpc { path } else { format!("/v1/{}", signal.as_str()) },
            content_type,
            over_grpc,
            arrival_unix_nanos,
            body,
            model: request.decoded.request.clone(),
        });
    }
    Ok(ReplayCapture { label: label_of(&capture.path), path: capture.path.clone(), requests })
}

/// The few recorded facts a replay uses, from either header-file format; keys lowercase:
/// `path`, `transport`, `ts`, `content-type`, `content-encoding`.
struct RecordedHeaders(Vec<(String, String)>);

impl RecordedHeaders {
    fn get(&self, key: &str) -> Option<String> {
        self.0.iter().find(|(name, _)| name == key).map(|(_, value)| value.clone())
    }
}

fn read_headers(dir: &Path, body_file: &str) -> Result<Option<RecordedHeaders>, LoadError> {
    let stem = body_file.trim_end_matches(".gz").trim_end_matches(".json").trim_end_matches(".pb").trim_end_matches(".bin");
    let candidates = [dir.join(format!("{body_file}.headers")), dir.join(format!("{stem}.headers.json"))];
    let Some(file) = candidates.iter().find(|it| it.is_file()) else { return Ok(None) };
    let bytes = std::fs::read(file).map_err(|cause| LoadError::Io { path: file.clone(), cause })?;
    let json: serde_json::Value = serde_json::from_slice(&bytes).map_err(|error| LoadError::Unrecognized {
        path: file.clone(),
        message: format!("header file is not JSON: {error}"),
    })?;
    let mut res = Vec::new();
    let text = |value: &serde_json::Value| match value {
        serde_json::Value::String(it) => Some(it.clone()),
        serde_json::Value::Number(it) => Some(it.to_string()),
        _ => None,
    };
    if let Some(object) = json.as_object() {
        for (key, value) in object {
            let key = key.to_ascii_lowercase();
            let key = key.trim_start_matches('_');
            if key == "headers" {
                for (name, value) in value.as_object().into_iter().flatten() {
                    if let Some(value) = text(value) {
                        res.push((name.to_ascii_lowercase(), value));
                    }
                }
            } else if let Some(value) = text(value) {
                res.push((key.to_owned(), value));
            }
        }
    }
    Ok(Some(RecordedHeaders(res)))
}
