//! Dropping the indentation of an indented OTLP/JSON body before it is parsed.
//!
//! Why: some exporters indent their bodies (Codex's Rust exporter sends pretty-printed JSON,
//! about half of its bytes spaces and newlines), and serde_json skips whitespace one byte at a
//! time between every key and value: in a profile of the JSON decode over the corpus that
//! skipping was a quarter of the instructions. One pass here, which finds line breaks with
//! `memchr` and skips the indentation after each eight bytes at a time, is cheaper than that.
//!
//! Invariant: the compacted text parses to exactly what the original parses to, and fails
//! exactly where the original fails, because only spaces and tabs that follow a line break
//! are dropped and the line break stays. In valid JSON a raw line break is never inside a
//! string, so the dropped bytes were between tokens, and the line break still separates the
//! tokens they separated (`1\n  2` stays two numbers). In invalid JSON the dropped bytes
//! cannot have been the error. Only the positions of a syntax error differ, so the caller
//! parses the original again to report one.

/// How many of a body's first bytes are looked at to tell whether it is indented.
const SAMPLE: usize = 1024;

/// `text` without the indentation after its line breaks, or `None` when the text is not
/// indented enough for compacting to pay (judged on its first kilobyte).
pub(super) fn compact(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let sample = &bytes[..bytes.len().min(SAMPLE)];
    let indentation = sample.windows(2).filter(|it| it[0] == b'\n' && is_indentation(it[1])).count();
    // A line of an indented body is a few dozen bytes: with fewer line breaks than one in 64
    // bytes, the pass would cost more than the skipping it saves.
    if indentation == 0 || indentation * 64 < sample.len() {
        return None;
    }
    let mut out = String::with_capacity(bytes.len());
    let mut kept_from = 0;
    let mut at = 0;
    while let Some(found) = memchr::memchr(b'\n', &bytes[at..]) {
        let line_break = at + found;
        at = indentation_end(bytes, line_break + 1);
        if at > line_break + 1 {
            // The line break is kept; the spaces and tabs after it (ASCII, so both ends are
            // char boundaries) are not.
            out.push_str(&text[kept_from..=line_break]);
            kept_from = at;
        }
    }
    out.push_str(&text[kept_from..]);
    Some(out)
}

fn is_indentation(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t')
}

/// The index after the spaces and tabs starting at `at`; spaces go eight a step.
fn indentation_end(bytes: &[u8], mut at: usize) -> usize {
    const EIGHT_SPACES: u64 = u64::from_ne_bytes([b' '; 8]);
    while let Some(chunk) = bytes.get(at..at + 8) {
        if u64::from_ne_bytes(chunk.try_into().unwrap_or_default()) != EIGHT_SPACES {
            break;
        }
        at += 8;
    }
    while bytes.get(at).is_some_and(|it| is_indentation(*it)) {
        at += 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compacted(text: &str) -> String {
        compact(text).unwrap_or_else(|| panic!("not compacted: {text:?}"))
    }

    /// The value, or the kind of error (positions differ by design).
    fn parsed(text: &str) -> Result<serde_json::Value, serde_json::error::Category> {
        serde_json::from_str(text).map_err(|error| error.classify())
    }

    #[test]
    fn drops_the_indentation_after_line_breaks_and_nothing_else() {
        let text = "{\n  \"a b\": [\n    1 ,\n\t\t2\n  ],\r\n    \"c\": \"  x  \"\n}\n";
        assert_eq!(compacted(text), "{\n\"a b\": [\n1 ,\n2\n],\r\n\"c\": \"  x  \"\n}\n");
    }

    #[test]
    fn invalid_text_stays_invalid() {
        // The line break still separates bare tokens, and a raw line break inside a string
        // is still there to be refused.
        for text in ["{\n    \"a\": 1\n    2}", "{\n    \"a\": tr\n    ue}", "{\n    \"a\": \"x\n      y\"}"] {
            let out = compacted(text);
            assert!(parsed(&out).is_err(), "{text:?} -> {out:?}");
            assert!(parsed(text).is_err(), "{text:?}");
        }
    }

    #[test]
    fn parses_to_the_same_value_as_the_original() {
        let texts = [
            "{\n    \"resourceLogs\": [\n        {\"x\": \"a\\\\\", \"y\": \"\\u00e9 \\\"q\\\" \"}\n    ]\n}",
            "{\n        \"k\": [ ] ,\n \"l\" : { }\n }   \n\n        ",
            "\n        {\"é\" :\n  \"ü  ü\"}",
            "{\r\n\t\"a\":\r\n\t\t-1.5e3,\n        \"b\": \"\\n        \"}",
        ];
        for text in texts {
            let out = compacted(text);
            assert_eq!(parsed(text), parsed(&out), "{text:?} -> {out:?}");
            assert!(parsed(&out).is_ok(), "{out:?}");
        }
    }

    #[test]
    fn leaves_bodies_without_indented_lines_alone() {
        assert_eq!(compact(r#"{"resourceLogs":[{"resource":{"attributes":[]}}], "x": 1}"#), None);
        assert_eq!(compact("{\"a\": 1,\n\"b\": 2}"), None);
        assert_eq!(compact(""), None);
    }
}
