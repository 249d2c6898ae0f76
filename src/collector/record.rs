//! Writing requests into a capture folder in the corpus layout, live (`codetel collect
//! --record DIR`) or from the database (`codetel export`).
//!
//! Each request becomes `NNNN-<signal>.<json|pb>[.gz]` (the body exactly as received,
//! compressed if it arrived compressed) and `NNNN-<signal>.headers.json` (method, path,
//! headers without authentication), numbered on from the highest number already in the
//! folder. No `capture.toml` is written: a manifest states how a capture was made (CLI,
//! version, scenario, environment), which only the person recording knows; the folder
//! loads without one (`Capture::load_dir`) and gets one when it joins the corpus.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::capture::parse_body_name;
use crate::otlp::{Encoding, Signal};

use super::ingest::{body_file_name, Incoming};

/// Why a request could not be written.
#[derive(Debug, thiserror::Error)]
#[error("{}: {cause}", path.display())]
pub struct RecordError {
    /// The file or folder.
    pub path: PathBuf,
    /// The I/O error.
    pub cause: std::io::Error,
}

/// The `NNNN-<signal>.headers.json` file.
#[derive(Debug, Serialize)]
struct HeadersFile<'a> {
    method: &'a str,
    path: &'a str,
    headers: &'a BTreeMap<String, String>,
}

/// One request to write.
#[derive(Debug, Clone, Copy)]
pub struct BodyToWrite<'a> {
    /// The signal.
    pub signal: Signal,
    /// The encoding.
    pub encoding: Encoding,
    /// Whether `body` is gzip-compressed.
    pub gzip: bool,
    /// The body as received.
    pub body: &'a [u8],
    /// Method.
    pub method: &'a str,
    /// Path.
    pub path: &'a str,
    /// Headers, authentication removed.
    pub headers: &'a BTreeMap<String, String>,
}

/// Writes requests into one capture folder, numbering them in arrival order.
#[derive(Debug)]
pub struct Recorder {
    dir: PathBuf,
    next: i64,
}

impl Recorder {
    /// Opens (creating) the folder; numbering continues after the highest body number in it.
    pub fn new(dir: PathBuf) -> Result<Recorder, std::io::Error> {
        std::fs::create_dir_all(&dir)?;
        let mut highest = 0;
        for entry in std::fs::read_dir(&dir)? {
            let name = entry?.file_name().to_string_lossy().into_owned();
            if let Some(sequence) = parse_body_name(&name).and_then(|it| it.sequence) {
                highest = highest.max(sequence as i64);
            }
        }
        Ok(Recorder { dir, next: highest + 1 })
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes one live request.
    pub fn write(&mut self, incoming: &Incoming) -> Result<PathBuf, RecordError> {
        self.write_body(BodyToWrite {
            signal: incoming.signal,
            encoding: incoming.encoding,
            gzip: incoming.gzip,
            body: &incoming.raw_body,
            method: &incoming.method,
            path: &incoming.path,
            headers: &incoming.headers,
        })
    }

    /// Writes one request body and its headers file; returns the body file.
    pub fn write_body(&mut self, body: BodyToWrite<'_>) -> Result<PathBuf, RecordError> {
        let name = body_file_name(self.next, body.signal, body.encoding, body.gzip);
        let headers_name = format!("{:04}-{}.headers.json", self.next, body.signal.as_str());
        let body_path = self.dir.join(&name);
        write_new(&body_path, body.body)?;
        let headers = HeadersFile { method: body.method, path: body.path, headers: body.headers };
        let mut text = serde_json::to_vec_pretty(&headers).unwrap_or_default();
        text.push(b'\n');
        write_new(&self.dir.join(headers_name), &text)?;
        self.next += 1;
        Ok(body_path)
    }
}

/// Writes a file that must not exist yet (a recording never overwrites a capture), synced so
/// a crash right after leaves it whole.
fn write_new(path: &Path, bytes: &[u8]) -> Result<(), RecordError> {
    let error = |cause| RecordError { path: path.to_owned(), cause };
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(path).map_err(error)?;
    file.write_all(bytes).map_err(error)?;
    file.sync_all().map_err(error)
}
