//! A canonical record as one line of JSON, byte for byte what `serde_json` writes for it, without
//! serde's per-byte escaping of text that needs none.
//!
//! Most of a record's JSON is keys codetel defines (`coding_agent.metric.start_time_unix_nano`,
//! `redacted`, `length`...) and short values; serde_json looks up every byte of every string
//! in its escape table and writes the text in fragments. Here a string is checked in one
//! branch-free pass (which the compiler vectorizes) and copied whole when nothing in it needs
//! escaping; anything else (escapes, numbers, floats, JSON values) is written by serde_json
//! itself, so the two cannot disagree on a rule. `tests/it/schema.rs` compares both writers on
//! every record of the corpus in every capture mode.

use super::{CanonicalRecord, Redacted, SourceRef, Value};

impl CanonicalRecord {
    /// Appends the record's JSON (the same bytes as `serde_json::to_writer(out, self)`).
    pub fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"kind\":");
        push_str(out, self.kind.as_str());
        out.extend_from_slice(b",\"vendor\":");
        push_str(out, self.vendor);
        out.extend_from_slice(b",\"session_id\":");
        match &self.session_id {
            Some(id) => push_str(out, id),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"time_unix_nano\":");
        match self.time_unix_nano {
            Some(time) => push_serde(out, &time),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"capture_mode\":");
        push_str(out, self.capture_mode.as_str());
        out.extend_from_slice(b",\"attributes\":");
        push_map(out, self.attributes.iter().map(|(key, value)| (*key, value)));
        out.extend_from_slice(b",\"vendor_attributes\":");
        push_map(out, self.vendor_attributes.iter().map(|(key, value)| (key.as_str(), value)));
        out.extend_from_slice(b",\"source\":");
        match &self.source {
            Some(source) => push_source(out, source),
            None => out.extend_from_slice(b"null"),
        }
        out.push(b'}');
    }

    /// The record's JSON as a string (see [`CanonicalRecord::write_json`]).
    pub fn to_json(&self) -> String {
        let mut out = Vec::with_capacity(1024);
        self.write_json(&mut out);
        // Only whole UTF-8 strings and ASCII punctuation were written.
        String::from_utf8(out).unwrap_or_default()
    }
}

fn push_map<'a>(out: &mut Vec<u8>, entries: impl Iterator<Item = (&'a str, &'a Value)>) {
    out.push(b'{');
    for (index, (key, value)) in entries.enumerate() {
        if index > 0 {
            out.push(b',');
        }
        push_str(out, key);
        out.push(b':');
        push_value(out, value);
    }
    out.push(b'}');
}

fn push_value(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Str(text) => push_str(out, text),
        Value::Int(number) => push_serde(out, number),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::StrList(items) => {
            out.push(b'[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                push_str(out, item);
            }
            out.push(b']');
        }
        Value::Redacted(Redacted { redacted, length }) => {
            out.extend_from_slice(b"{\"redacted\":");
            push_str(out, redacted);
            out.extend_from_slice(b",\"length\":");
            push_serde(out, length);
            out.push(b'}');
        }
        // Float formatting and nested JSON are serde_json's own.
        Value::Double(_) | Value::Json(_) => push_serde(out, value),
    }
}

fn push_source(out: &mut Vec<u8>, source: &SourceRef) {
    out.extend_from_slice(b"{\"file\":");
    push_str(out, &source.file);
    out.extend_from_slice(b",\"signal\":");
    push_str(out, source.signal.as_str());
    out.extend_from_slice(b",\"locator\":");
    push_str(out, &source.locator);
    out.extend_from_slice(b",\"name\":");
    push_str(out, &source.name);
    out.push(b'}');
}

/// A JSON string: copied whole between quotes when no byte needs an escape (control
/// characters, `"` and `\`; serde_json escapes nothing else), else written by serde_json.
fn push_str(out: &mut Vec<u8>, text: &str) {
    // No early exit: a fold over every byte is branch-free and vectorizes.
    let needs_escape = text.bytes().fold(false, |found, byte| found | (byte < 0x20) | (byte == b'"') | (byte == b'\\'));
    if needs_escape {
        push_serde(out, text);
    } else {
        out.reserve(text.len() + 2);
        out.push(b'"');
        out.extend_from_slice(text.as_bytes());
        out.push(b'"');
    }
}

fn push_serde<T: serde::Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    // Writing into a Vec cannot fail, and these types have no fallible Serialize.
    let _ = serde_json::to_writer(&mut *out, value);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otlp::Signal;
    use crate::schema::{CaptureMode, RecordKind};

    fn assert_same(record: &CanonicalRecord) {
        let by_serde = serde_json::to_string(record).expect("serializes");
        assert_eq!(record.to_json(), by_serde);
    }

    #[test]
    fn escapes_nulls_floats_and_nested_json_are_written_as_serde_json_writes_them() {
        let mut record = CanonicalRecord {
            kind: RecordKind::ToolCall,
            vendor: "codex",
            session_id: None,
            time_unix_nano: None,
            capture_mode: CaptureMode::Full,
            attributes: Default::default(),
            vendor_attributes: Default::default(),
            source: None,
            item: None,
            vendor_metadata: Default::default(),
        };
        assert_same(&record);
        record.session_id = Some("quote \" backslash \\ tab \t nul \u{0} del \u{7f} é ✓ \u{2028}".to_owned());
        record.time_unix_nano = Some(u64::MAX);
        let _ = record.attributes.insert("a", Value::Double(f64::NAN));
        let _ = record.attributes.insert("b", Value::Double(-0.0));
        let _ = record.attributes.insert("c", Value::Double(1e300));
        let _ = record.attributes.insert("d", Value::Double(f64::INFINITY));
        let _ = record.attributes.insert("e", Value::Int(i64::MIN));
        let _ = record.attributes.insert("f", Value::StrList(vec![]));
        let _ = record.attributes.insert("g", Value::StrList(vec!["x\ny".into(), String::new()]));
        let _ = record.attributes.insert("h", Value::Bool(false));
        let _ = record.vendor_attributes.insert("k\"ey\n".into(), Value::Json(serde_json::json!({"z": [1, 2.5, null, "\u{1}"]})));
        let _ = record.vendor_attributes.insert(String::new(), Value::Redacted(Redacted { redacted: "stringValue", length: 0 }));
        record.source = Some(SourceRef {
            file: "0001-logs.json".into(),
            signal: Signal::Logs,
            locator: "resourceLogs[0]".into(),
            name: "\u{1f}".into(),
        });
        assert_same(&record);
    }
}
