//! Scripted mock model servers the real CLIs talk to during a recording.
//!
//! Each provider API gets its own module that turns a scenario's [`ModelScript`] into that API's
//! wire format. What they share lives here: the script cursor (main requests consume turns in
//! order) and the request log, which is written to the run's temporary folder and never to the
//! corpus because model requests carry the CLI's system prompt.

pub mod anthropic;
pub mod gemini;
pub mod openai_chat;
pub mod openai_responses;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::http::Request;
use crate::scenario::{ModelScript, Turn};

/// Hands out the script's turns to main requests, one each, then the final text forever.
pub struct ScriptCursor {
    script: ModelScript,
    next_turn: Mutex<usize>,
}

/// What the next main request gets.
pub enum NextAnswer {
    /// A scripted turn (its 1-based position in the script).
    Scripted(usize, Turn),
    /// The script is used up: answer the final text.
    Final(String),
}

impl ScriptCursor {
    /// A cursor at the first turn.
    pub fn new(script: ModelScript) -> Self {
        Self {
            script,
            next_turn: Mutex::new(0),
        }
    }

    /// Takes the next turn.
    pub fn next(&self) -> NextAnswer {
        // A poisoned lock only means another handler thread panicked; the index is still valid.
        let mut next = self
            .next_turn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match self.script.turns.get(*next) {
            Some(turn) => {
                *next += 1;
                NextAnswer::Scripted(*next, turn.clone())
            }
            None => NextAnswer::Final(self.script.final_text.clone()),
        }
    }

    /// The answer for calls outside the script.
    pub fn side_text(&self) -> &str {
        &self.script.side_text
    }
}

/// Writes every model request to `<dir>/NNNN-<method>-<path>.json`, outside the corpus.
pub struct ModelRequestLog {
    dir: PathBuf,
    counter: AtomicUsize,
    answers: Mutex<Vec<String>>,
    /// Whether the log made `dir` itself and removes it when dropped (tests' scratch logs).
    owns_dir: bool,
}

impl ModelRequestLog {
    /// A log writing into `dir` (created by the caller).
    pub fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            counter: AtomicUsize::new(0),
            answers: Mutex::new(Vec::new()),
            owns_dir: false,
        }
    }

    /// A log in a folder of its own under the temp dir, removed with the log: tests make
    /// many mocks, and a recording run's log must outlive its mock, so only tests use this.
    #[cfg(test)]
    pub fn scratch(name: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("codetel-{name}-test-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let mut log = Self::new(dir);
        log.owns_dir = true;
        log
    }

    /// Records one request and how it was answered. Logging failures are reported, not fatal:
    /// the mock must keep answering.
    pub fn record(&self, request: &Request, answered_with: &str) {
        let seq = self.counter.fetch_add(1, Ordering::SeqCst) + 1;
        self.answers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(format!(
                "{} {} -> {answered_with}",
                request.method, request.target
            ));
        let slug: String = request
            .path()
            .trim_matches('/')
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let body =
            serde_json::from_slice::<serde_json::Value>(&request.body).unwrap_or_else(|_| {
                serde_json::Value::String(String::from_utf8_lossy(&request.body).into_owned())
            });
        let headers: serde_json::Map<String, serde_json::Value> = request
            .headers
            .iter()
            .map(|(name, value)| {
                (
                    name.to_ascii_lowercase(),
                    serde_json::Value::String(value.clone()),
                )
            })
            .collect();
        let entry = serde_json::json!({
            "method": request.method,
            "target": request.target,
            "answered_with": answered_with,
            "headers": headers,
            "body": body,
        });
        let path = self
            .dir
            .join(format!("{seq:04}-{}-{slug}.json", request.method));
        let text = serde_json::to_string_pretty(&entry).unwrap_or_default();
        if let Err(err) = std::fs::write(&path, text) {
            eprintln!("[mock] could not log {}: {err}", path.display());
        }
    }

    /// `METHOD target -> answer` for every request so far, in order.
    pub fn answers(&self) -> Vec<String> {
        self.answers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }
}

impl Drop for ModelRequestLog {
    fn drop(&mut self) {
        if self.owns_dir {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}
