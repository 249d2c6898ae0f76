//! `--verify`: reads back what a codetel reference collector stored (`GET /api/records`) and
//! diffs it with what `normalize` makes of the same capture as it was sent (after
//! `--rebase-time` and `--fresh-ids`), printing a readable line diff of the records.
//!
//! Compared as the collector's contract says (`ARCHITECTURE.md`): derived `session` records
//! are left out (the collector computes sessions at query time), and `source.file` is ignored
//! (the collector names stored requests by its own arrival numbering).
//! Records are fetched per session id of the expected records, so other data in the
//! collector does not disturb the comparison; records without a session id are then compared
//! only when every expected record lacks one (the collector must hold nothing else).

use crate::normalize::{self, Options as NormalizeOptions};
use crate::schema::{CaptureMode, RecordKind};

use super::Prepared;
use super::ReplayCapture;

/// Why the stored records could not be read.
#[derive(Debug, thiserror::Error)]
#[error("reading {url}: {message}")]
pub struct VerifyError {
    /// The URL asked.
    pub url: String,
    /// What went wrong.
    pub message: String,
}

/// The records the collector must hold for one replay, keyed by session in first-seen order.
pub fn expected_records(capture: &ReplayCapture, prepared: &Prepared, mode: CaptureMode) -> Vec<serde_json::Value> {
    let capture = capture.to_capture(&prepared.models);
    normalize::normalize(&capture, &NormalizeOptions::new(mode))
        .records
        .iter()
        .filter(|it| it.kind != RecordKind::Session)
        .filter_map(|it| serde_json::to_value(it).ok())
        .collect()
}

/// The session ids of records, in first-seen order.
pub fn session_ids(records: &[serde_json::Value]) -> Vec<String> {
    let mut res: Vec<String> = Vec::new();
    for record in records {
        if let Some(id) = record.get("session_id").and_then(|it| it.as_str()) {
            if !res.iter().any(|it| it == id) {
                res.push(id.to_owned());
            }
        }
    }
    res
}

/// Records grouped by session in the given order (records without a session dropped), as
/// the collector is asked for them.
pub fn by_sessions(records: &[serde_json::Value], sessions: &[String]) -> Vec<serde_json::Value> {
    sessions
        .iter()
        .flat_map(|session| {
            records.iter().filter(move |it| it.get("session_id").and_then(|it| it.as_str()) == Some(session.as_str()))
        })
        .cloned()
        .collect()
}

/// Reads the stored records of the given sessions (all records when `sessions` is empty)
/// from a collector's read API at `base` (`http://127.0.0.1:4318`).
pub async fn stored_records(
    client: &reqwest::Client,
    base: &str,
    headers: &[(String, String)],
    sessions: &[String],
) -> Result<Vec<serde_json::Value>, VerifyError> {
    let base = base.trim_end_matches('/');
    let urls: Vec<String> = if sessions.is_empty() {
        vec![format!("{base}/api/records")]
    } else {
        sessions.iter().map(|it| format!("{base}/api/records?session={}", query_escape(it))).collect()
    };
    let mut res = Vec::new();
    for url in urls {
        let error = |message: String| VerifyError { url: url.clone(), message };
        let mut request = client.get(&url);
        for (name, value) in headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let response = request.send().await.map_err(|it| error(it.to_string()))?;
        let status = response.status();
        let body = response.bytes().await.map_err(|it| error(it.to_string()))?;
        if !status.is_success() {
            return Err(error(format!("{status}: {}", String::from_utf8_lossy(&body).trim())));
        }
        let records: Vec<serde_json::Value> =
            serde_json::from_slice(&body).map_err(|it| error(format!("not a JSON array of records: {it}")))?;
        res.extend(records);
    }
    Ok(res)
}

fn query_escape(text: &str) -> String {
    let mut res = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            res.push(char::from(byte));
        } else {
            res.push_str(&format!("%{byte:02X}"));
        }
    }
    res
}

fn comparable(record: &serde_json::Value) -> serde_json::Value {
    let mut record = record.clone();
    if let Some(source) = record.get_mut("source").and_then(|it| it.as_object_mut()) {
        let _ = source.remove("file");
    }
    record
}

/// A line diff of two record lists (pretty JSON, `source.file` ignored), `None` when equal.
/// `color` adds ANSI colors (red: expected but missing, green: stored but not expected).
pub fn diff(stored: &[serde_json::Value], expected: &[serde_json::Value], color: bool) -> Option<String> {
    let render = |records: &[serde_json::Value]| -> String {
        let values: Vec<serde_json::Value> = records.iter().map(comparable).collect();
        let mut text = serde_json::to_string_pretty(&values).unwrap_or_default();
        text.push('\n');
        text
    };
    let (expected_text, stored_text) = (render(expected), render(stored));
    if expected_text == stored_text {
        return None;
    }
    let diff = similar::TextDiff::from_lines(&expected_text, &stored_text);
    let mut out = format!("--- expected ({} records, normalize)\n+++ stored ({} records, collector)\n", expected.len(), stored.len());
    for group in diff.grouped_ops(3) {
        for op in group {
            for change in diff.iter_changes(&op) {
                let (sign, start) = match change.tag() {
                    similar::ChangeTag::Delete => ('-', "\u{1b}[31m"),
                    similar::ChangeTag::Insert => ('+', "\u{1b}[32m"),
                    similar::ChangeTag::Equal => (' ', ""),
                };
                let line = change.to_string_lossy();
                let line = line.trim_end_matches('\n');
                if color && !start.is_empty() {
                    out.push_str(&format!("{start}{sign}{line}\u{1b}[0m\n"));
                } else {
                    out.push_str(&format!("{sign}{line}\n"));
                }
            }
        }
        out.push_str("@@\n");
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_lists_have_no_diff_and_source_file_is_ignored() {
        let a = serde_json::json!({"session_id": "s", "kind": "prompt", "source": {"file": "0001-logs.json", "name": "x"}});
        let b = serde_json::json!({"session_id": "s", "kind": "prompt", "source": {"file": "0007-logs.pb", "name": "x"}});
        assert_eq!(diff(std::slice::from_ref(&a), std::slice::from_ref(&b), false), None);
        let c = serde_json::json!({"session_id": "s", "kind": "tool_call", "source": {"file": "0001-logs.json", "name": "x"}});
        let text = diff(&[c], &[a], false).unwrap_or_default();
        assert!(text.contains("-    \"kind\": \"prompt\""), "{text}");
        assert!(text.contains("+    \"kind\": \"tool_call\""), "{text}");
        assert_eq!(query_escape("a b/c"), "a%20b%2Fc");
    }
}
