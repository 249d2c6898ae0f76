//! Recorded captures: a folder of request bodies in arrival order plus a manifest.
//!
//! Layout of `corpus/<vendor>/<cli-version>/<scenario>/`:
//! - `capture.toml`: the [`Manifest`];
//! - `NNNN-<signal>.<json|pb>[.gz]`: each OTLP request body exactly as received (de-chunked),
//!   numbered in arrival order from 0001;
//! - `NNNN-<signal>.headers.json`: its method, path and headers, auth values removed.

pub mod manifest;

pub use manifest::{ExpectedCounts, Manifest, Provenance, MANIFEST_FILE};

use std::path::{Path, PathBuf};

use crate::otlp::{self, DecodeError, Decoded, Encoding, Signal};

/// One decoded request body of a capture.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// The file, relative to the capture root (`0003-logs.json`), with `:LINE` for JSONL lines.
    pub file: String,
    /// The signal.
    pub signal: Signal,
    /// The encoding of the body.
    pub encoding: Encoding,
    /// Whether the body was gzip-compressed.
    pub gzip: bool,
    /// The decoded request and the decoder's problems.
    pub decoded: Decoded,
}

/// A loaded capture: its requests in arrival order and, for corpus folders, the manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct Capture {
    /// The folder or file it was loaded from.
    pub path: PathBuf,
    /// The manifest, when the folder has one.
    pub manifest: Option<Manifest>,
    /// Requests in arrival order.
    pub requests: Vec<Request>,
}

/// Why a capture could not be loaded. Every variant names the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// Reading failed.
    #[error("{}: {cause}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        cause: std::io::Error,
    },
    /// The body did not decode.
    #[error("{path}: {cause}")]
    Decode {
        /// The file (with `:LINE` for JSONL).
        path: String,
        /// What was wrong.
        cause: DecodeError,
    },
    /// The manifest did not parse.
    #[error("{}: invalid manifest: {message}", path.display())]
    Manifest {
        /// The manifest file.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
    /// The file name does not say what the file is.
    #[error("{}: {message}", path.display())]
    Unrecognized {
        /// The file.
        path: PathBuf,
        /// What is missing.
        message: String,
    },
}

/// What a file name says about a request body: arrival number, signal, encoding, gzip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyName {
    /// Arrival number (`0003` in `0003-logs.json`), when the name has one.
    pub sequence: Option<u64>,
    /// The signal, when the name says it.
    pub signal: Option<Signal>,
    /// The encoding, from the extension.
    pub encoding: Encoding,
    /// Whether the name ends in `.gz`.
    pub gzip: bool,
}

/// Parses a body file name such as `0003-logs.json`, `0004-metrics.pb`, `0003_v1_logs.pb`,
/// `0001-traces.json.gz` or `anything.json`. Returns `None` for files that are not bodies
/// (headers, manifests, READMEs, JSONL).
pub fn parse_body_name(name: &str) -> Option<BodyName> {
    if name.ends_with(".headers") || name.ends_with(".headers.json") {
        return None;
    }
    let (stem, gzip) = match name.strip_suffix(".gz") {
        Some(stem) => (stem, true),
        None => (name, false),
    };
    let (stem, encoding) = if let Some(stem) = stem.strip_suffix(".json") {
        (stem, Encoding::Json)
    } else if let Some(stem) = stem.strip_suffix(".pb") {
        (stem, Encoding::Protobuf)
    } else if let Some(stem) = stem.strip_suffix(".bin") {
        (stem, Encoding::Protobuf)
    } else {
        return None;
    };
    let digits: String = stem.chars().take_while(|it| it.is_ascii_digit()).collect();
    let sequence = if digits.is_empty() { None } else { digits.parse().ok() };
    let signal = stem
        .split(|it: char| !it.is_ascii_alphanumeric())
        .rev()
        .find_map(Signal::parse);
    Some(BodyName { sequence, signal, encoding, gzip })
}

fn read(path: &Path) -> Result<Vec<u8>, LoadError> {
    std::fs::read(path).map_err(|cause| LoadError::Io { path: path.to_owned(), cause })
}

/// Whether a folder is a capture (has a manifest or at least one numbered body file).
pub fn is_capture_dir(dir: &Path) -> bool {
    if dir.join(MANIFEST_FILE).is_file() {
        return true;
    }
    let Ok(entries) = std::fs::read_dir(dir) else { return false };
    entries.flatten().any(|entry| {
        entry.path().is_file()
            && parse_body_name(&entry.file_name().to_string_lossy())
                .is_some_and(|it| it.sequence.is_some() && it.signal.is_some())
    })
}

impl Capture {
    /// Loads a capture folder: its manifest (if any) and every body file, sorted by arrival number.
    pub fn load_dir(dir: &Path) -> Result<Capture, LoadError> {
        let manifest_path = dir.join(MANIFEST_FILE);
        let manifest = if manifest_path.is_file() {
            let text = std::fs::read_to_string(&manifest_path)
                .map_err(|cause| LoadError::Io { path: manifest_path.clone(), cause })?;
            match toml::from_str::<Manifest>(&text) {
                Ok(it) => Some(it),
                Err(error) => {
                    return Err(LoadError::Manifest { path: manifest_path, message: error.to_string() })
                }
            }
        } else {
            None
        };
        let entries = std::fs::read_dir(dir).map_err(|cause| LoadError::Io { path: dir.to_owned(), cause })?;
        let mut bodies = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|cause| LoadError::Io { path: dir.to_owned(), cause })?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if !entry.path().is_file() {
                continue;
            }
            if let Some(body_name) = parse_body_name(&name) {
                bodies.push((body_name.sequence, name, body_name));
            }
        }
        bodies.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        let mut requests = Vec::new();
        for (_, name, body_name) in bodies {
            let path = dir.join(&name);
            requests.push(load_body(&path, name, body_name)?);
        }
        Ok(Capture { path: dir.to_owned(), manifest, requests })
    }

    /// Loads one file: a raw request body (`.json`, `.pb`, optionally `.gz`) or an OTLP
    /// file-exporter `.jsonl` (one export request per line). `signal` overrides what the
    /// file name says (needed for protobuf bodies whose name has no signal).
    pub fn load_file(path: &Path, signal: Option<Signal>) -> Result<Capture, LoadError> {
        let name = path.file_name().map(|it| it.to_string_lossy().into_owned()).unwrap_or_default();
        let requests = if name.ends_with(".jsonl") || name.ends_with(".jsonl.gz") {
            load_jsonl(path, &name)?
        } else {
            let Some(body_name) = parse_body_name(&name) else {
                return Err(LoadError::Unrecognized {
                    path: path.to_owned(),
                    message: "not an OTLP body: expected .json, .pb or .jsonl (optionally .gz)".to_owned(),
                });
            };
            let body_name = BodyName { signal: signal.or(body_name.signal), ..body_name };
            vec![load_body(path, name, body_name)?]
        };
        Ok(Capture { path: path.to_owned(), manifest: None, requests })
    }
}

/// Reads a file and inflates it when it is gzip (by magic number, whatever its name says).
fn read_inflated(path: &Path) -> Result<(Vec<u8>, bool), LoadError> {
    let bytes = read(path)?;
    if !otlp::is_gzip(&bytes) {
        return Ok((bytes, false));
    }
    let inflated = otlp::gunzip(&bytes, otlp::DEFAULT_BODY_LIMIT)
        .map_err(|cause| LoadError::Decode { path: path.display().to_string(), cause })?;
    Ok((inflated, true))
}

/// What a decode error adds to the file's path: a file is inflated by its magic number, not
/// its name, so when the name promised gzip and the bytes were not, the error says so (or it
/// reads as if inflated bytes were wrong).
fn not_gzip_note(path: &Path, gzip: bool) -> &'static str {
    if !gzip && path.extension().is_some_and(|it| it == "gz") {
        " (named .gz, but not gzip: read as is)"
    } else {
        ""
    }
}

/// A body file's bytes, inflated, and its signal.
pub struct RawBody {
    /// The signal, from the name or (JSON) from the body.
    pub signal: Signal,
    /// The bytes, inflated if the file was gzip.
    pub bytes: Vec<u8>,
    /// Whether the file was gzip.
    pub gzip: bool,
}

/// Reads a body file without decoding it: inflated, with its signal from the name or, for
/// JSON, from the body. A protobuf body whose name has no signal is `Unrecognized`.
pub fn read_body(path: &Path, body_name: &BodyName) -> Result<RawBody, LoadError> {
    let (bytes, gzip) = read_inflated(path)?;
    let signal = match (body_name.signal, body_name.encoding) {
        (Some(signal), _) => signal,
        (None, Encoding::Json) => otlp::json::detect_signal(&bytes).map_err(|cause| LoadError::Decode {
            path: format!("{}{}", path.display(), not_gzip_note(path, gzip)),
            cause,
        })?,
        (None, Encoding::Protobuf) => {
            return Err(LoadError::Unrecognized {
                path: path.to_owned(),
                message: "cannot tell the signal of a protobuf body: name the file like 0004-metrics.pb or pass --signal".to_owned(),
            })
        }
    };
    Ok(RawBody { signal, bytes, gzip })
}

fn load_body(path: &Path, name: String, body_name: BodyName) -> Result<Request, LoadError> {
    let RawBody { signal, bytes, gzip } = read_body(path, &body_name)?;
    // The file's buffer becomes the decoded model's: its strings are slices of it, no copy.
    let decoded = otlp::decode_shared(signal, body_name.encoding, bytes::Bytes::from(bytes)).map_err(|cause| {
        LoadError::Decode { path: format!("{}{}", path.display(), not_gzip_note(path, gzip)), cause }
    })?;
    Ok(Request { file: name, signal, encoding: body_name.encoding, gzip: gzip || body_name.gzip, decoded })
}

fn load_jsonl(path: &Path, name: &str) -> Result<Vec<Request>, LoadError> {
    let (bytes, gzip) = read_inflated(path)?;
    let mut requests = Vec::new();
    for (line, res) in otlp::json::decode_lines(&bytes) {
        let decoded = res.map_err(|cause| LoadError::Decode {
            path: format!("{}:{line}{}", path.display(), not_gzip_note(path, gzip)),
            cause,
        })?;
        requests.push(Request {
            file: format!("{name}:{line}"),
            signal: decoded.request.signal(),
            encoding: Encoding::Json,
            gzip,
            decoded,
        });
    }
    Ok(requests)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locators_read_as_formatted_paths() {
        for index in [0, 7, 10, 99, 1234, u32::MAX] {
            let id = ItemId { request: 3, resource: index, scope: 1, item: index / 3, point: 2 };
            let (r, s, i, p) = (id.resource, id.scope, id.item, id.point);
            assert_eq!(id.locator(Signal::Logs, None), format!("resourceLogs[{r}].scopeLogs[{s}].logRecords[{i}]"));
            assert_eq!(id.locator(Signal::Traces, None), format!("resourceSpans[{r}].scopeSpans[{s}].spans[{i}]"));
            assert_eq!(
                id.locator(Signal::Metrics, Some("sum")),
                format!("resourceMetrics[{r}].scopeMetrics[{s}].metrics[{i}].sum.dataPoints[{p}]")
            );
            assert_eq!(
                id.locator(Signal::Metrics, None),
                format!("resourceMetrics[{r}].scopeMetrics[{s}].metrics[{i}].data.dataPoints[{p}]")
            );
        }
    }

    #[test]
    fn body_names_say_signal_encoding_and_order() {
        let check = |name: &str, expect: Option<(Option<u64>, Option<Signal>, Encoding, bool)>| {
            let got = parse_body_name(name).map(|it| (it.sequence, it.signal, it.encoding, it.gzip));
            assert_eq!(got, expect, "{name}");
        };
        check("0003-logs.json", Some((Some(3), Some(Signal::Logs), Encoding::Json, false)));
        check("0004-metrics.pb", Some((Some(4), Some(Signal::Metrics), Encoding::Protobuf, false)));
        check("0003_v1_logs.pb", Some((Some(3), Some(Signal::Logs), Encoding::Protobuf, false)));
        check("0001-traces.json.gz", Some((Some(1), Some(Signal::Traces), Encoding::Json, true)));
        check("body.pb", Some((None, None, Encoding::Protobuf, false)));
        check("0003-logs.headers.json", None);
        check("0003_v1_logs.json.headers", None);
        check("capture.toml", None);
        check("README.md", None);
    }
}

/// The position of one accountable item (log record, data point or span) in a capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ItemId {
    /// Index of the request in the capture.
    pub request: u32,
    /// Index of the resource group in the request.
    pub resource: u32,
    /// Index of the scope group in the resource group.
    pub scope: u32,
    /// Index of the log record, metric or span in the scope group.
    pub item: u32,
    /// Index of the data point in the metric (0 for logs and spans).
    pub point: u32,
}

impl ItemId {
    /// The OTLP/JSON path of the item within its request; `metric_kind` is the metric's
    /// data variant (`sum`, `gauge`, ...) for data points.
    pub fn locator(&self, signal: Signal, metric_kind: Option<&str>) -> String {
        // Built by hand, not `format!`: every record and finding names its item, and the
        // formatting machinery (and the growth of its output) showed in profiles.
        let ItemId { resource: r, scope: s, item: i, point: p, .. } = *self;
        let mut res = String::with_capacity(96);
        let mut digits = itoa::Buffer::new();
        let mut push = |res: &mut String, text: &str, index: u32| {
            res.push_str(text);
            res.push_str(digits.format(index));
            res.push(']');
        };
        match signal {
            Signal::Logs => {
                push(&mut res, "resourceLogs[", r);
                push(&mut res, ".scopeLogs[", s);
                push(&mut res, ".logRecords[", i);
            }
            Signal::Metrics => {
                push(&mut res, "resourceMetrics[", r);
                push(&mut res, ".scopeMetrics[", s);
                push(&mut res, ".metrics[", i);
                res.push('.');
                res.push_str(metric_kind.unwrap_or("data"));
                push(&mut res, ".dataPoints[", p);
            }
            Signal::Traces => {
                push(&mut res, "resourceSpans[", r);
                push(&mut res, ".scopeSpans[", s);
                push(&mut res, ".spans[", i);
            }
        }
        res
    }
}

/// What a command-line path names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A capture folder.
    Dir(PathBuf),
    /// A single body or JSONL file.
    File(PathBuf),
}

/// Resolves a path into captures: a capture folder is itself; any other folder is searched
/// recursively for capture folders (sorted by path); a file is a single-file capture.
pub fn discover(path: &Path) -> Result<Vec<Input>, LoadError> {
    if path.is_file() {
        return Ok(vec![Input::File(path.to_owned())]);
    }
    if !path.is_dir() {
        return Err(LoadError::Io {
            path: path.to_owned(),
            cause: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file or folder"),
        });
    }
    let mut res = Vec::new();
    collect_capture_dirs(path, &mut res)?;
    if res.is_empty() {
        return Err(LoadError::Unrecognized {
            path: path.to_owned(),
            message: "no capture folders below it (a capture folder holds capture.toml or NNNN-<signal>.<json|pb> files)"
                .to_owned(),
        });
    }
    Ok(res)
}

fn collect_capture_dirs(dir: &Path, res: &mut Vec<Input>) -> Result<(), LoadError> {
    if is_capture_dir(dir) {
        res.push(Input::Dir(dir.to_owned()));
        return Ok(());
    }
    let entries = std::fs::read_dir(dir).map_err(|cause| LoadError::Io { path: dir.to_owned(), cause })?;
    let mut dirs: Vec<PathBuf> = entries.flatten().map(|it| it.path()).filter(|it| it.is_dir()).collect();
    dirs.sort();
    for sub in dirs {
        collect_capture_dirs(&sub, res)?;
    }
    Ok(())
}

impl Input {
    /// Loads it.
    pub fn load(&self, signal: Option<Signal>) -> Result<Capture, LoadError> {
        match self {
            Input::Dir(dir) => Capture::load_dir(dir),
            Input::File(file) => Capture::load_file(file, signal),
        }
    }
}
