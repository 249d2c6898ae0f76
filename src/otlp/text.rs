//! [`Str`], the decoded model's string: a slice of the request body when the bytes on the
//! wire are the string itself, an owned copy only when they are not.
//!
//! Why: a decoded request owned a `String` for every attribute key and string value, and
//! allocating and freeing them was the largest single cost of decoding (and of dropping the
//! decoded request). A protobuf string is contiguous in the body, and so is a JSON string
//! without escapes; [`StrSource`] keeps the body once in a refcounted buffer and hands out
//! slices of it, so such a string costs a refcount increment instead of an allocation and a
//! copy. Strings that must be built (JSON escapes, strings written by code) are owned.
//!
//! A `Str` keeps the whole body alive while it lives. Decoded requests are short-lived (the
//! collector drops a request's model once it is stored); code that keeps a string longer
//! converts it into a `String` (`to_string()`), as it already does with canonical records.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;

use bytes::Bytes;
use bytestring::ByteString;

/// An immutable UTF-8 string: a shared slice of a decoded body, a static string, or owned.
/// Compares, orders, hashes, prints and serializes exactly as the `str` it holds.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Str(ByteString);

impl Str {
    /// The empty string (no allocation).
    pub const fn new() -> Str {
        Str(ByteString::new())
    }

    /// A string that lives for the whole program (no allocation, no refcount).
    pub const fn from_static(text: &'static str) -> Str {
        Str(ByteString::from_static(text))
    }

    /// The string.
    #[inline]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for Str {
    type Target = str;

    #[inline]
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Str {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl AsRef<[u8]> for Str {
    fn as_ref(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl Borrow<str> for Str {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl From<String> for Str {
    /// Takes the string's buffer (no copy).
    fn from(text: String) -> Str {
        Str(ByteString::from(text))
    }
}

impl From<&String> for Str {
    fn from(text: &String) -> Str {
        Str(ByteString::from(text.as_str()))
    }
}

impl From<&str> for Str {
    fn from(text: &str) -> Str {
        Str(ByteString::from(text))
    }
}

impl From<Str> for String {
    fn from(text: Str) -> String {
        String::from(text.0)
    }
}

impl PartialEq<str> for Str {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Str {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Str {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialEq<Str> for str {
    fn eq(&self, other: &Str) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<Str> for &str {
    fn eq(&self, other: &Str) -> bool {
        *self == other.as_str()
    }
}

impl PartialEq<Str> for String {
    fn eq(&self, other: &Str) -> bool {
        self.as_str() == other.as_str()
    }
}

impl fmt::Debug for Str {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Str {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

impl serde::Serialize for Str {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl Str {
    /// The bytes `bytes` of a shared buffer as a string, or `None` when they are not UTF-8
    /// (validated here, once).
    #[inline]
    pub(crate) fn from_utf8_shared(bytes: Bytes) -> Option<Str> {
        ByteString::try_from(bytes).ok().map(Str)
    }
}

/// A JSON body being decoded, validated as UTF-8 once and kept in a refcounted buffer, from
/// which the decoder slices its strings.
#[derive(Debug, Clone, Default)]
pub(crate) struct TextSource {
    text: ByteString,
}

impl From<String> for TextSource {
    /// Text built by the decoder (a compacted body): already UTF-8, taken without a copy.
    fn from(text: String) -> TextSource {
        TextSource { text: ByteString::from(text) }
    }
}

impl TextSource {
    /// The whole body as a source, or the UTF-8 error (the body is taken, not copied).
    pub(crate) fn new(body: Bytes) -> Result<TextSource, std::str::Utf8Error> {
        ByteString::try_from(body).map(|text| TextSource { text })
    }

    /// The body.
    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    /// `text` as a [`Str`]: a slice of the body when `text` lies inside it (no copy, no
    /// second validation), a copy otherwise (a string serde_json had to unescape into its
    /// scratch buffer).
    #[inline]
    pub(crate) fn str(&self, text: &str) -> Str {
        if text.is_empty() {
            return Str::new();
        }
        let start = self.text.as_ptr() as usize;
        let at = text.as_ptr() as usize;
        if at >= start && at + text.len() <= start + self.text.len() {
            Str(self.text.slice_ref(text))
        } else {
            Str::from(text)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points_into(text: &str, body: &str) -> bool {
        let start = body.as_ptr() as usize;
        let at = text.as_ptr() as usize;
        at >= start && at + text.len() <= start + body.len()
    }

    #[test]
    fn a_string_inside_the_body_is_a_slice_of_it_and_one_outside_is_copied() {
        let source = TextSource::new(Bytes::from_static(br#"{"key":"service.name"}"#)).expect("UTF-8");
        let inside = &source.text()[8..20];
        let sliced = source.str(inside);
        assert_eq!(sliced, "service.name");
        assert!(points_into(&sliced, source.text()), "not a slice of the body");
        let unescaped = String::from("a\"b");
        let copied = source.str(&unescaped);
        assert_eq!(copied, "a\"b");
        assert!(!points_into(&copied, source.text()));
        assert!(!points_into(&copied, &unescaped), "must not borrow the scratch string");
    }

    #[test]
    fn invalid_utf8_is_refused_where_it_starts() {
        let error = TextSource::new(Bytes::from_static(b"{\"a\":\"\xff\"}")).expect_err("not UTF-8");
        assert_eq!(error.valid_up_to(), 6);
        assert_eq!(Str::from_utf8_shared(Bytes::from_static(b"ok\xc3")), None);
        assert_eq!(Str::from_utf8_shared(Bytes::from_static("é".as_bytes())).as_deref(), Some("é"));
    }

    #[test]
    fn compares_orders_and_prints_as_its_str() {
        let a = Str::from("a\"b");
        let b = Str::from(String::from("b"));
        assert!(a < b);
        assert_eq!(a, "a\"b");
        assert_eq!(a, *"a\"b");
        assert_eq!(a, String::from("a\"b"));
        assert_eq!(format!("{a} {a:?}"), "a\"b \"a\\\"b\"");
        assert_eq!(serde_json::to_string(&a).expect("serializes"), r#""a\"b""#);
        assert_eq!(Str::new(), "");
        assert_eq!(Str::from_static("x").as_str(), "x");
    }
}
