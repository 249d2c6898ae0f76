//! Dropping the indentation of an indented OTLP/JSON body before it is parsed.
//!
//! Why: some exporters indent their bodies (Codex's Rust exporter sends pretty-printed JSON,
//! about half of its bytes spaces and newlines), and serde_json skips whitespace one byte at a
//! time between every key and value: in a profile of the JSON decode over the corpus that
//! skipping was a quarter of the instructions. One pass here, eight bytes at a time, is
//! cheaper than that.
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
///
/// Eight bytes at a time: each word is copied whole and, when it holds a line break, cut back
/// to just after the first one, whose indentation is then skipped. A line of an indented body
/// is short (13 bytes of text after 18 of indentation, on average, in the corpus's Codex
/// bodies), so the cost per line decides: finding each line break with `memchr` and copying
/// each line with `push_str` cost two calls a line, 103M instructions for the corpus's 602k
/// indented lines, against 72M this way.
pub(super) fn compact(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let sample = &bytes[..bytes.len().min(SAMPLE)];
    let indentation = sample.windows(2).filter(|it| it[0] == b'\n' && is_indentation(it[1])).count();
    // A line of an indented body is a few dozen bytes: with fewer line breaks than one in 64
    // bytes, the pass would cost more than the skipping it saves.
    if indentation == 0 || indentation * 64 < sample.len() {
        return None;
    }
    drop_indentation(bytes)
}

/// `bytes` without the spaces and tabs that follow each line break.
fn drop_indentation(bytes: &[u8]) -> Option<String> {
    // A zeroed buffer of the input's length would spare each word its capacity check, but
    // zeroing it counted more instructions (callgrind counts `rep stosb` per byte) than the
    // checks, for the same time in a wall-clock pair.
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while let Some(word) = word_at(bytes, at) {
        out.extend_from_slice(&word.to_le_bytes());
        let line_breaks = zero_bytes(word ^ u64::from_le_bytes([b'\n'; 8]));
        if line_breaks == 0 {
            at += 8;
            continue;
        }
        // The lowest marked byte is the first line break (little-endian: the first byte is the
        // lowest); it is kept, the rest of the word is not.
        let kept = line_breaks.trailing_zeros() as usize / 8 + 1;
        out.truncate(out.len() - 8 + kept);
        at = indentation_end(bytes, at + kept);
    }
    // Fewer than eight bytes are left; `at` is never inside indentation here.
    let mut after_line_break = false;
    for &byte in bytes.get(at..).unwrap_or_default() {
        if after_line_break && is_indentation(byte) {
            continue;
        }
        after_line_break = byte == b'\n';
        out.push(byte);
    }
    // Only ASCII spaces and tabs were dropped, so the bytes are still UTF-8; were they not,
    // the body would simply be parsed as it came.
    String::from_utf8(out).ok()
}

fn is_indentation(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t')
}

/// The eight bytes at `at` as one little-endian word, if there are eight.
fn word_at(bytes: &[u8], at: usize) -> Option<u64> {
    let word: [u8; 8] = bytes.get(at..at + 8)?.try_into().ok()?;
    Some(u64::from_le_bytes(word))
}

/// A word with the high bit set in the lowest of its zero bytes (and perhaps in higher bytes
/// after it, which a borrow can mark falsely; never in a lower one), zero if it has none.
fn zero_bytes(word: u64) -> u64 {
    const ONES: u64 = u64::from_le_bytes([0x01; 8]);
    const HIGH_BITS: u64 = u64::from_le_bytes([0x80; 8]);
    word.wrapping_sub(ONES) & !word & HIGH_BITS
}

/// The index after the spaces and tabs starting at `at`; spaces go eight a step.
fn indentation_end(bytes: &[u8], mut at: usize) -> usize {
    while let Some(word) = word_at(bytes, at) {
        let not_spaces = word ^ u64::from_le_bytes([b' '; 8]);
        if not_spaces != 0 {
            // The lowest byte that is not a space ends the run of spaces.
            at += not_spaces.trailing_zeros() as usize / 8;
            break;
        }
        at += 8;
    }
    // Tabs, and spaces among the last seven bytes.
    while bytes.get(at).is_some_and(|it| is_indentation(*it)) {
        at += 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The same pass one byte at a time: what the word-at-a-time pass must equal.
    fn dropped_one_byte_at_a_time(text: &str) -> String {
        let mut out = String::new();
        let mut after_line_break = false;
        for it in text.chars() {
            if after_line_break && (it == ' ' || it == '\t') {
                continue;
            }
            after_line_break = it == '\n';
            out.push(it);
        }
        out
    }

    proptest! {
        /// Line breaks, runs of spaces and tabs across word edges, multi-byte characters and
        /// bytes one off from a line break or a space (the word tricks' borrow cases).
        #[test]
        fn word_at_a_time_equals_one_byte_at_a_time(
            text in proptest::collection::vec(
                prop_oneof![
                    Just("\n".to_owned()),
                    Just("\r\n".to_owned()),
                    "[ ]{1,20}",
                    "[\t ]{1,4}",
                    "[\u{9}\u{b}\u{1f}\u{21}x\"{}:,]{1,9}",
                    "[é€😀]{1,3}",
                ],
                0..40,
            ).prop_map(|parts| parts.concat())
        ) {
            prop_assert_eq!(drop_indentation(text.as_bytes()), Some(dropped_one_byte_at_a_time(&text)));
        }
    }

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
