//! Shared helpers: a collector on 127.0.0.1:0 with its database in a fresh folder, an HTTP
//! client, corpus requests as they were recorded, and the records a database holds.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use codetel::capture::Capture;
use codetel::collector::{self, Config, Running};
use codetel::normalize::{self, Options};
use codetel::schema::CaptureMode;
use codetel::store::Store;

use crate::support::root;

/// A fresh, empty folder under the target directory.
pub fn temp_dir(name: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("collector").join(format!("{name}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

/// A collector configuration on 127.0.0.1:0 with its database in `dir`.
pub fn config(dir: &Path) -> Config {
    let mut config = Config::new(dir.join("codetel.db"));
    config.http = Some(([127, 0, 0, 1], 0).into());
    config
}

/// Starts a collector.
pub async fn serve(config: Config) -> Running {
    match collector::start(config).await {
        Ok(it) => it,
        Err(error) => panic!("collector did not start: {error}"),
    }
}

/// `http://127.0.0.1:PORT` of a running collector.
pub fn base(running: &Running) -> String {
    format!("http://{}", running.http_addr.expect("HTTP is on"))
}

/// Stops a collector, failing the test on a shutdown error.
pub async fn stop(running: Running) {
    if let Err(error) = running.shutdown().await {
        panic!("shutdown failed: {error}");
    }
}

/// An HTTP client with a time limit (so a hung server fails the test instead of hanging it).
pub fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().timeout(Duration::from_secs(60)).build().expect("HTTP client")
}

/// What a request got back.
#[derive(Debug)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Response headers.
    pub headers: reqwest::header::HeaderMap,
    /// Body.
    pub body: Vec<u8>,
}

impl Reply {
    /// A response header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|it| it.to_str().ok())
    }

    /// The body as JSON, failing the test if it is not.
    pub fn json(&self) -> serde_json::Value {
        match serde_json::from_slice(&self.body) {
            Ok(it) => it,
            Err(error) => panic!("body is not JSON ({error}): {}", String::from_utf8_lossy(&self.body)),
        }
    }
}

/// Sends `method` to `url` with a content type, body and extra headers.
pub async fn send(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
    headers: &[(&str, &str)],
) -> Reply {
    let mut request = client.request(method, url).body(body);
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = match request.send().await {
        Ok(it) => it,
        Err(error) => panic!("request to {url} failed: {error}"),
    };
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.bytes().await.map(|it| it.to_vec()).unwrap_or_default();
    Reply { status, headers, body }
}

/// POSTs a body.
pub async fn post(client: &reqwest::Client, url: &str, content_type: &str, body: Vec<u8>, headers: &[(&str, &str)]) -> Reply {
    send(client, reqwest::Method::POST, url, Some(content_type), body, headers).await
}

/// A corpus capture folder of Claude Code 2.1.321.
pub fn capture_dir(scenario: &str) -> PathBuf {
    root().join("corpus/claude_code/2.1.321").join(scenario)
}

/// One request of a capture, as it was recorded.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// `/v1/logs`, ...
    pub path: String,
    /// The recorded `content-type`.
    pub content_type: String,
    /// The recorded `content-encoding`, if any.
    pub content_encoding: Option<String>,
    /// The body exactly as recorded.
    pub body: Vec<u8>,
}

/// Every request of a capture folder in arrival order, with its recorded headers. Reads the
/// recorder's `NNNN-<signal>.headers.json` (`{method, path, headers}`) and the imported
/// captures' `<body>.headers` (flat lowercase headers with `_path`). A request recorded over
/// gRPC is replayed to the signal's OTLP/HTTP path as protobuf: the body is the same message.
pub fn recorded(dir: &Path) -> Vec<Recorded> {
    let mut bodies: Vec<(String, codetel::capture::BodyName)> = std::fs::read_dir(dir)
        .expect("read capture")
        .flatten()
        .map(|it| it.file_name().to_string_lossy().into_owned())
        .filter_map(|name| {
            let body_name = codetel::capture::parse_body_name(&name)?;
            body_name.sequence.map(|_| (name, body_name))
        })
        .collect();
    bodies.sort_by(|a, b| (a.1.sequence, &a.0).cmp(&(b.1.sequence, &b.0)));
    bodies
        .into_iter()
        .map(|(name, body_name)| {
            let signal = body_name.signal.expect("body names in the corpus say their signal");
            let stem = name.trim_end_matches(".gz").trim_end_matches(".json").trim_end_matches(".pb");
            let candidates = [dir.join(format!("{name}.headers")), dir.join(format!("{stem}.headers.json"))];
            let headers_file = candidates
                .iter()
                .find(|it| it.is_file())
                .unwrap_or_else(|| panic!("no headers file for {name} in {}", dir.display()));
            let headers: serde_json::Value =
                serde_json::from_slice(&std::fs::read(headers_file).expect("read headers")).expect("headers JSON");
            let table = if headers["headers"].is_object() { &headers["headers"] } else { &headers };
            let header = |key: &str| table[key].as_str().map(str::to_owned);
            let http_path = headers["path"].as_str().or(headers["_path"].as_str()).unwrap_or_default();
            let over_grpc = headers["_transport"].as_str() == Some("grpc") || !http_path.starts_with("/v1/");
            let default_type = match body_name.encoding {
                codetel::otlp::Encoding::Json => "application/json",
                codetel::otlp::Encoding::Protobuf => "application/x-protobuf",
            };
            Recorded {
                path: if over_grpc { format!("/v1/{signal}") } else { http_path.to_owned() },
                content_type: if over_grpc { default_type.to_owned() } else { header("content-type").unwrap_or_else(|| default_type.to_owned()) },
                content_encoding: header("content-encoding"),
                body: std::fs::read(dir.join(&name)).expect("read body"),
            }
        })
        .collect()
}

/// Replays a capture into a collector, each body as recorded with its content type and
/// encoding; fails the test unless every request gets 200.
pub async fn replay(client: &reqwest::Client, base: &str, dir: &Path, headers: &[(&str, &str)]) -> Vec<Reply> {
    let mut replies = Vec::new();
    for request in recorded(dir) {
        let mut all: Vec<(&str, &str)> = headers.to_vec();
        if let Some(encoding) = &request.content_encoding {
            all.push(("content-encoding", encoding));
        }
        let reply = post(client, &format!("{base}{}", request.path), &request.content_type, request.body.clone(), &all).await;
        assert_eq!(reply.status, 200, "{} {}: {}", dir.display(), request.path, String::from_utf8_lossy(&reply.body));
        replies.push(reply);
    }
    replies
}

/// Every record stored in a database, in arrival order.
pub fn stored_records(db: &Path) -> Vec<serde_json::Value> {
    let store = Store::open_existing(db).expect("open database");
    store.records(None).expect("read records").into_iter().map(|it| it.record).collect()
}

/// How many requests a database holds.
pub fn stored_requests(db: &Path) -> usize {
    Store::open_existing(db).expect("open database").request_count().expect("count")
}

/// `normalize` of a capture folder: the records the collector must store (derived session
/// records excluded: the collector computes sessions at query time).
pub fn normalized_records(dir: &Path, mode: CaptureMode) -> Vec<serde_json::Value> {
    let capture = Capture::load_dir(dir).expect("load capture");
    normalize::normalize(&capture, &Options::new(mode))
        .records
        .iter()
        .filter(|it| it.kind != codetel::schema::RecordKind::Session)
        .map(|it| serde_json::to_value(it).expect("record JSON"))
        .collect()
}

/// Fails with the first differing record of two lists, shown whole. `source.file` is compared
/// by arrival position only: the collector names the requests it stores by its own arrival
/// numbering (`0001-logs.pb`), whatever the capture called them (`0000_v1_logs.pb`).
pub fn assert_same_records(actual: &[serde_json::Value], expected: &[serde_json::Value], label: &str) {
    let without_file = |record: &serde_json::Value| {
        let mut record = record.clone();
        if let Some(source) = record.get_mut("source").and_then(|it| it.as_object_mut()) {
            let _ = source.remove("file");
        }
        record
    };
    for (index, (a, e)) in actual.iter().zip(expected).enumerate() {
        let (a, e) = (&without_file(a), &without_file(e));
        if a != e {
            panic!(
                "{label}: record {index} differs\nactual:   {}\nexpected: {}",
                serde_json::to_string(a).unwrap_or_default(),
                serde_json::to_string(e).unwrap_or_default()
            );
        }
    }
    assert_eq!(actual.len(), expected.len(), "{label}: record count");
}

/// Gzip-compresses bytes.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).expect("gzip");
    encoder.finish().expect("gzip")
}

/// Replaces every occurrence of a string in a body (for variants of corpus requests).
pub fn replaced(body: &[u8], from: &str, to: &str) -> Vec<u8> {
    String::from_utf8_lossy(body).replace(from, to).into_bytes()
}

/// The session id of the `bash_tool_call` capture.
pub const BASH_SESSION: &str = "3b3911aa-64d9-4c81-a8e4-8f765e6e053a";
