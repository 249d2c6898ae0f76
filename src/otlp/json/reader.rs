//! Building blocks of the tolerant OTLP/JSON reader: readers for scalars, objects and lists
//! that run directly on a streaming serde deserializer.
//!
//! Why not derive `Deserialize` or go through `serde_json::Value`: derived impls fail the
//! whole request on the first wrong type, and a DOM costs an allocation per node. Here each
//! [`Reader`] accepts *any* JSON value through `deserialize_any`; when the value has the wrong
//! shape it consumes it, records a [`Problem`](crate::otlp::Problem) at the current path and
//! returns a default, so one bad field never costs the rest of the request. Keys are matched
//! as borrowed `&str` (no allocation), strings become slices of the body (copied only when
//! serde_json had to unescape them), and unknown fields are skipped with [`IgnoredAny`].
//!
//! Syntax errors and serde_json's nesting limit (128) still abort the whole body: after a
//! syntax error there is no reliable way to resynchronise.

use std::marker::PhantomData;

use base64::Engine as _;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::otlp::problem_tracker::{quote, ProblemTracker};
use crate::otlp::Str;

/// Reads one JSON value of any shape, tolerating the wrong shape.
pub(super) trait Reader {
    /// What it produces.
    type Out;
    /// Reads the value `de` is positioned at.
    fn read<'de, D: Deserializer<'de>>(
        &self,
        tracker: &mut ProblemTracker,
        de: D,
    ) -> Result<Self::Out, D::Error>;
}

/// Adapts a [`Reader`] to serde's `DeserializeSeed`, carrying the tracker down.
pub(super) struct Seed<'t, 'r, R> {
    pub(super) tracker: &'t mut ProblemTracker,
    pub(super) reader: &'r R,
}

impl<'de, R: Reader> DeserializeSeed<'de> for Seed<'_, '_, R> {
    type Value = R::Out;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<R::Out, D::Error> {
        self.reader.read(self.tracker, de)
    }
}

/// Reads the value of the map entry whose key was just read, as field `name`.
pub(super) fn read_field<'de, A: MapAccess<'de>, R: Reader>(
    map: &mut A,
    tracker: &mut ProblemTracker,
    name: &'static str,
    reader: &R,
) -> Result<R::Out, A::Error> {
    // Noted, not pushed: containers push it when they open (see `ObjectVisitor`/`ListVisitor`).
    tracker.note_field(name);
    let out = map.next_value_seed(Seed { tracker: &mut *tracker, reader })?;
    tracker.clear_noted();
    Ok(out)
}

/// Reads a repeated field and appends its values (a key seen twice adds to the list, as in
/// protobuf). The elements of a second occurrence are numbered on from the first's, so a
/// problem's locator names the element's index in the decoded list.
pub(super) fn append_field<'de, A: MapAccess<'de>, R: Reader<Out = Vec<T>>, T>(
    map: &mut A,
    tracker: &mut ProblemTracker,
    name: &'static str,
    reader: &R,
    into: &mut Vec<T>,
) -> Result<(), A::Error> {
    tracker.set_list_base(into.len());
    let more = read_field(map, tracker, name, reader)?;
    tracker.set_list_base(0);
    if into.is_empty() {
        *into = more;
    } else {
        into.extend(more);
    }
    Ok(())
}

/// Skips the value of the map entry whose key was just read (an unknown or unused field).
pub(super) fn skip_value<'de, A: MapAccess<'de>>(map: &mut A) -> Result<(), A::Error> {
    map.next_value::<IgnoredAny>().map(|_| ())
}

/// Declares the keys of one OTLP message: an enum with a variant per field plus `Unknown`,
/// `from_name` accepting the lowerCamelCase name and the proto snake_case name (and any listed
/// alias), and `name` giving the canonical lowerCamelCase name for locators.
macro_rules! message_keys {
    ($vis:vis enum $name:ident { $($variant:ident = $canonical:literal $(| $alias:literal)*,)* }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        $vis enum $name {
            $($variant,)*
            Unknown,
        }

        impl $name {
            /// The key for a field name as it appeared on the wire.
            $vis fn from_name(name: &str) -> Self {
                match name {
                    $($canonical $(| $alias)* => $name::$variant,)*
                    _ => $name::Unknown,
                }
            }

            /// The canonical lowerCamelCase name, used in problem locators.
            // Not every key set reads its fields through `read_field`.
            #[allow(dead_code)]
            $vis fn name(self) -> &'static str {
                match self {
                    $($name::$variant => $canonical,)*
                    $name::Unknown => "?",
                }
            }
        }
    };
}
pub(super) use message_keys;

/// Reads a map key through `from_name` without allocating (serde_json hands out borrowed keys
/// when they contain no escapes, and a scratch buffer otherwise).
pub(super) struct KeySeed<K>(pub(super) fn(&str) -> K);

impl<'de, K> DeserializeSeed<'de> for KeySeed<K> {
    type Value = K;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<K, D::Error> {
        de.deserialize_identifier(KeyVisitor(self.0))
    }
}

struct KeyVisitor<K>(fn(&str) -> K);

impl<'de, K> Visitor<'de> for KeyVisitor<K> {
    type Value = K;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<K, E> {
        Ok((self.0)(value))
    }
}

// ---------------------------------------------------------------------------------------
// Scalars

/// A JSON value seen where a scalar was expected; containers are consumed and only their
/// kind is kept (enough to report the mistake).
#[derive(Debug, Clone, Copy)]
pub(super) enum Scalar<'a> {
    Null,
    Bool(bool),
    Unsigned(u64),
    Signed(i64),
    Float(f64),
    Str(&'a str),
    Object,
    Array,
}

impl Scalar<'_> {
    /// For messages: `string "abc"`, `number -5`, `true`, `an object`.
    pub(super) fn describe(&self) -> String {
        match self {
            Scalar::Null => "null".to_owned(),
            Scalar::Bool(value) => value.to_string(),
            Scalar::Unsigned(value) => format!("number {value}"),
            Scalar::Signed(value) => format!("number {value}"),
            Scalar::Float(value) => format!("number {value}"),
            Scalar::Str(value) => format!("string {}", quote(value)),
            Scalar::Object => "an object".to_owned(),
            Scalar::Array => "an array".to_owned(),
        }
    }
}

/// Records that a field had an unusable value and was left at its default.
pub(super) fn report_wrong_value(tracker: &mut ProblemTracker, expected: &str, found: &Scalar<'_>) {
    tracker.report(format!("expected {expected}, found {}; field ignored", found.describe()), 0);
}

/// Reads one value as a [`Scalar`] and hands it to `convert` (which may borrow the string
/// without copying it).
pub(super) fn read_scalar<'de, D, T, F>(
    tracker: &mut ProblemTracker,
    de: D,
    convert: F,
) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    F: for<'a> FnOnce(&mut ProblemTracker, Scalar<'a>) -> T,
{
    de.deserialize_any(ScalarVisitor { tracker, convert })
}

struct ScalarVisitor<'t, F> {
    tracker: &'t mut ProblemTracker,
    convert: F,
}

impl<'de, T, F> Visitor<'de> for ScalarVisitor<'_, F>
where
    F: for<'a> FnOnce(&mut ProblemTracker, Scalar<'a>) -> T,
{
    type Value = T;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<T, E> {
        Ok((self.convert)(self.tracker, Scalar::Bool(value)))
    }

    fn visit_i64<E>(self, value: i64) -> Result<T, E> {
        Ok((self.convert)(self.tracker, Scalar::Signed(value)))
    }

    fn visit_u64<E>(self, value: u64) -> Result<T, E> {
        Ok((self.convert)(self.tracker, Scalar::Unsigned(value)))
    }

    fn visit_f64<E>(self, value: f64) -> Result<T, E> {
        Ok((self.convert)(self.tracker, Scalar::Float(value)))
    }

    fn visit_str<E>(self, value: &str) -> Result<T, E> {
        Ok((self.convert)(self.tracker, Scalar::Str(value)))
    }

    fn visit_unit<E>(self) -> Result<T, E> {
        Ok((self.convert)(self.tracker, Scalar::Null))
    }

    fn visit_none<E>(self) -> Result<T, E> {
        Ok((self.convert)(self.tracker, Scalar::Null))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok((self.convert)(self.tracker, Scalar::Object))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<T, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok((self.convert)(self.tracker, Scalar::Array))
    }
}

/// Declares a scalar [`Reader`] producing `Option<$out>` (None for `null`, for an absent
/// value and, with a problem recorded, for an unusable one) from a conversion function.
macro_rules! scalar_reader {
    ($(#[$doc:meta])* $name:ident => $out:ty, $convert:expr) => {
        $(#[$doc])*
        pub(super) struct $name;

        impl Reader for $name {
            type Out = Option<$out>;

            fn read<'de, D: Deserializer<'de>>(
                &self,
                tracker: &mut ProblemTracker,
                de: D,
            ) -> Result<Option<$out>, D::Error> {
                read_scalar(tracker, de, $convert)
            }
        }
    };
}

const EXPECTED_U64: &str = "an unsigned 64-bit integer (number or decimal string)";
const EXPECTED_I64: &str = "a 64-bit integer (number or decimal string)";
const EXPECTED_U32: &str = "an unsigned 32-bit integer";
const EXPECTED_I32: &str = "a 32-bit integer";
const EXPECTED_F64: &str = "a number (or \"NaN\", \"Infinity\", \"-Infinity\")";

/// 2^63 and 2^64 as f64, the exclusive upper bounds of integral floats that fit.
const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;
const TWO_POW_64: f64 = 18_446_744_073_709_551_616.0;

fn u64_from(tracker: &mut ProblemTracker, value: Scalar<'_>) -> Option<u64> {
    let res = match value {
        Scalar::Null => return None,
        Scalar::Unsigned(it) => Some(it),
        // Accepts `1e18` and `5.0`: a number is a number, whatever its spelling.
        Scalar::Float(it) if it.fract() == 0.0 && (0.0..TWO_POW_64).contains(&it) => {
            Some(it as u64)
        }
        Scalar::Str(text) => text.parse::<u64>().ok(),
        _ => None,
    };
    if res.is_none() {
        report_wrong_value(tracker, EXPECTED_U64, &value);
    }
    res
}

fn i64_from(tracker: &mut ProblemTracker, value: Scalar<'_>) -> Option<i64> {
    let res = match value {
        Scalar::Null => return None,
        Scalar::Signed(it) => Some(it),
        Scalar::Unsigned(it) => i64::try_from(it).ok(),
        Scalar::Float(it) if it.fract() == 0.0 && (-TWO_POW_63..TWO_POW_63).contains(&it) => {
            Some(it as i64)
        }
        Scalar::Str(text) => text.parse::<i64>().ok(),
        _ => None,
    };
    if res.is_none() {
        report_wrong_value(tracker, EXPECTED_I64, &value);
    }
    res
}

/// Any integer spelling (number, integral float, decimal string) as i64, without reporting.
fn integer_of(value: Scalar<'_>) -> Option<i64> {
    match value {
        Scalar::Signed(it) => Some(it),
        Scalar::Unsigned(it) => i64::try_from(it).ok(),
        Scalar::Float(it) if it.fract() == 0.0 && (-TWO_POW_63..TWO_POW_63).contains(&it) => {
            Some(it as i64)
        }
        Scalar::Str(text) => text.parse::<i64>().ok(),
        _ => None,
    }
}

fn u32_from(tracker: &mut ProblemTracker, value: Scalar<'_>) -> Option<u32> {
    if let Scalar::Null = value {
        return None;
    }
    let res = integer_of(value).and_then(|it| u32::try_from(it).ok());
    if res.is_none() {
        report_wrong_value(tracker, EXPECTED_U32, &value);
    }
    res
}

fn i32_from(tracker: &mut ProblemTracker, value: Scalar<'_>) -> Option<i32> {
    if let Scalar::Null = value {
        return None;
    }
    let res = integer_of(value).and_then(|it| i32::try_from(it).ok());
    if res.is_none() {
        report_wrong_value(tracker, EXPECTED_I32, &value);
    }
    res
}

fn f64_from(tracker: &mut ProblemTracker, value: Scalar<'_>) -> Option<f64> {
    let res = match value {
        Scalar::Null => return None,
        Scalar::Float(it) => Some(it),
        Scalar::Unsigned(it) => Some(it as f64),
        Scalar::Signed(it) => Some(it as f64),
        Scalar::Str("NaN") => Some(f64::NAN),
        Scalar::Str("Infinity") => Some(f64::INFINITY),
        Scalar::Str("-Infinity") => Some(f64::NEG_INFINITY),
        // proto3 JSON also allows a number in quotes.
        Scalar::Str(text) => text.parse::<f64>().ok(),
        _ => None,
    };
    if res.is_none() {
        report_wrong_value(tracker, EXPECTED_F64, &value);
    }
    res
}

fn bool_from(tracker: &mut ProblemTracker, value: Scalar<'_>) -> Option<bool> {
    let res = match value {
        Scalar::Null => return None,
        Scalar::Bool(it) => Some(it),
        Scalar::Str("true") => Some(true),
        Scalar::Str("false") => Some(false),
        _ => None,
    };
    if res.is_none() {
        report_wrong_value(tracker, "true or false", &value);
    }
    res
}

fn string_from(tracker: &mut ProblemTracker, value: Scalar<'_>) -> Option<Str> {
    match value {
        Scalar::Null => None,
        Scalar::Str(text) => Some(tracker.strings.str(text)),
        other => {
            report_wrong_value(tracker, "a string", &other);
            None
        }
    }
}

/// Standard or URL-safe base64, padded or not, as proto3 JSON parsers accept for `bytes`.
pub(super) fn decode_base64(text: &str) -> Option<Vec<u8>> {
    use base64::alphabet;
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    const CONFIG: GeneralPurposeConfig =
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    const STANDARD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, CONFIG);
    const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, CONFIG);
    STANDARD.decode(text).or_else(|_| URL_SAFE.decode(text)).ok()
}

fn bytes_from(tracker: &mut ProblemTracker, value: Scalar<'_>) -> Option<Vec<u8>> {
    let res = match value {
        Scalar::Null => return None,
        Scalar::Str(text) => decode_base64(text),
        _ => None,
    };
    if res.is_none() {
        report_wrong_value(tracker, "a base64 string", &value);
    }
    res
}

scalar_reader!(
    /// `fixed64`/`uint64` fields: number or decimal string.
    U64 => u64, u64_from
);
scalar_reader!(
    /// `int64`/`sfixed64` fields: number or decimal string.
    I64 => i64, i64_from
);
scalar_reader!(
    /// `uint32`/`fixed32` fields.
    U32 => u32, u32_from
);
scalar_reader!(
    /// `int32`/`sint32` fields.
    I32 => i32, i32_from
);
scalar_reader!(
    /// `double` fields: number, or `"NaN"`, `"Infinity"`, `"-Infinity"`, or a quoted number.
    F64 => f64, f64_from
);
scalar_reader!(
    /// `bool` fields.
    Bool => bool, bool_from
);
scalar_reader!(
    /// `string` fields.
    Text => Str, string_from
);
scalar_reader!(
    /// Plain `bytes` fields (base64).
    Base64 => Vec<u8>, bytes_from
);

/// A trace or span id: hex of exactly `bytes` bytes in any case; `""` means absent.
/// Base64 of the right length is accepted with an informational problem, because some
/// exporters apply the generic proto3 `bytes` rule by mistake.
pub(super) struct Id {
    pub(super) bytes: usize,
}

impl Reader for Id {
    type Out = Vec<u8>;

    fn read<'de, D: Deserializer<'de>>(
        &self,
        tracker: &mut ProblemTracker,
        de: D,
    ) -> Result<Vec<u8>, D::Error> {
        let bytes = self.bytes;
        read_scalar(tracker, de, |tracker, value| id_from(tracker, value, bytes))
    }
}

fn hex_digit(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    // A plain loop into an exact allocation: collecting into `Option<Vec>` cannot know the
    // length and reallocates, and there is an id on nearly every span and log record.
    let mut res = Vec::with_capacity(text.len() / 2);
    for pair in text.as_bytes().chunks_exact(2) {
        res.push(hex_digit(pair[0])? << 4 | hex_digit(pair[1])?);
    }
    Some(res)
}

fn id_from(tracker: &mut ProblemTracker, value: Scalar<'_>, bytes: usize) -> Vec<u8> {
    let text = match value {
        Scalar::Null | Scalar::Str("") => return Vec::new(),
        Scalar::Str(text) => text,
        other => {
            tracker.report(
                format!("expected a hex id string, found {}; id dropped", other.describe()),
                0,
            );
            return Vec::new();
        }
    };
    if text.len() == bytes * 2 {
        if let Some(id) = decode_hex(text) {
            return id;
        }
        tracker.report(
            format!("expected {} hex digits, found non-hex {}; id dropped", bytes * 2, quote(text)),
            0,
        );
        return Vec::new();
    }
    if let Some(id) = decode_base64(text).filter(|it| it.len() == bytes) {
        tracker.report(
            format!("id {} is base64, not hex as OTLP/JSON requires; accepted", quote(text)),
            0,
        );
        return id;
    }
    tracker.report(
        format!(
            "expected {} hex digits, found {} characters {}; id dropped",
            bytes * 2,
            text.chars().count(),
            quote(text)
        ),
        0,
    );
    Vec::new()
}

/// An enum field: an integer, leniently also the proto enum value name
/// (`"SPAN_KIND_SERVER"`), which OTLP/JSON forbids but proto3 JSON allows.
pub(super) struct Enum {
    /// The enum's name for messages (`SpanKind`).
    pub(super) what: &'static str,
    /// Value names to numbers.
    pub(super) by_name: fn(&str) -> Option<i32>,
}

impl Reader for Enum {
    type Out = Option<i32>;

    fn read<'de, D: Deserializer<'de>>(
        &self,
        tracker: &mut ProblemTracker,
        de: D,
    ) -> Result<Option<i32>, D::Error> {
        read_scalar(tracker, de, |tracker, value| {
            let res = match value {
                Scalar::Null => return None,
                Scalar::Str(text) => (self.by_name)(text).or_else(|| text.parse::<i32>().ok()),
                other => integer_of(other).and_then(|it| i32::try_from(it).ok()),
            };
            if res.is_none() {
                let expected = format!("a {} (integer or value name)", self.what);
                report_wrong_value(tracker, &expected, &value);
            }
            res
        })
    }
}

// ---------------------------------------------------------------------------------------
// Objects

/// How an OTLP message is read from a JSON object: a builder fed key by key.
pub(super) trait Message: Sized {
    /// The field keys ([`message_keys!`]).
    type Key: Copy;
    /// What the builder produces.
    type Out;
    /// What it is, for messages ("a log record").
    const WHAT: &'static str;
    /// The key for a wire field name.
    fn key(name: &str) -> Self::Key;
    /// An empty builder.
    fn new() -> Self;
    /// Reads the value of field `key` from `map`.
    fn read_value<'de, A: MapAccess<'de>>(
        &mut self,
        tracker: &mut ProblemTracker,
        key: Self::Key,
        map: &mut A,
    ) -> Result<(), A::Error>;
    /// The finished value (may report problems, for example a metric without data).
    fn finish(self, tracker: &mut ProblemTracker) -> Self::Out;
}

/// Reads a JSON object as message `M`. `null` means absent (None); any other non-object is
/// reported and gives None. `rejects` is how many accountable items a non-object stands for
/// (1 for an item, 0 for a plain sub-message).
pub(super) struct Object<M> {
    rejects: usize,
    /// Whether a `null` is reported (as leaving nothing out): a list element, where the
    /// sender put something in the place of an item or envelope; a field that is `null` is
    /// only absent.
    null_reported: bool,
    message: PhantomData<fn() -> M>,
}

impl<M> Object<M> {
    /// A sub-message: when unreadable, only the field is lost.
    pub(super) const FIELD: Object<M> = Object { rejects: 0, null_reported: false, message: PhantomData };
    /// A list element that is an accountable item or envelope: when unreadable, (at least)
    /// one item is lost; `null` in its place is reported, rejecting nothing (it holds no data).
    pub(super) const ITEM: Object<M> = Object { rejects: 1, null_reported: true, message: PhantomData };
    /// A field holding items (a metric's data): when unreadable, (at least) one item is
    /// lost; `null` is absent, as for any field.
    pub(super) const ITEMS_FIELD: Object<M> = Object { rejects: 1, null_reported: false, message: PhantomData };
}

impl<M: Message> Reader for Object<M> {
    type Out = Option<M::Out>;

    fn read<'de, D: Deserializer<'de>>(
        &self,
        tracker: &mut ProblemTracker,
        de: D,
    ) -> Result<Option<M::Out>, D::Error> {
        de.deserialize_any(ObjectVisitor::<M> {
            tracker,
            rejects: self.rejects,
            null_reported: self.null_reported,
            message: PhantomData,
        })
    }
}

struct ObjectVisitor<'t, M> {
    tracker: &'t mut ProblemTracker,
    rejects: usize,
    null_reported: bool,
    message: PhantomData<fn() -> M>,
}

impl<M: Message> ObjectVisitor<'_, M> {
    fn not_an_object(self, found: Scalar<'_>) -> Option<M::Out> {
        let outcome = if self.rejects > 0 { "left out" } else { "ignored" };
        self.tracker.report(
            format!("expected {} object, found {}; {outcome}", M::WHAT, found.describe()),
            self.rejects,
        );
        None
    }

    fn null(self) -> Option<M::Out> {
        if self.null_reported {
            self.tracker.report(format!("expected {} object, found null; nothing to read, left out", M::WHAT), 0);
        }
        None
    }
}

impl<'de, M: Message> Visitor<'de> for ObjectVisitor<'_, M> {
    type Value = Option<M::Out>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "{} object", M::WHAT)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let entered = self.tracker.enter_noted();
        let mut message = M::new();
        while let Some(key) = map.next_key_seed(KeySeed(M::key))? {
            message.read_value(self.tracker, key, &mut map)?;
        }
        let res = message.finish(self.tracker);
        if entered {
            self.tracker.leave();
        }
        Ok(Some(res))
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(self.null())
    }

    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(self.null())
    }

    fn visit_bool<E>(self, value: bool) -> Result<Self::Value, E> {
        Ok(self.not_an_object(Scalar::Bool(value)))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Self::Value, E> {
        Ok(self.not_an_object(Scalar::Signed(value)))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Self::Value, E> {
        Ok(self.not_an_object(Scalar::Unsigned(value)))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Self::Value, E> {
        Ok(self.not_an_object(Scalar::Float(value)))
    }

    fn visit_str<E>(self, value: &str) -> Result<Self::Value, E> {
        Ok(self.not_an_object(Scalar::Str(value)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(self.not_an_object(Scalar::Array))
    }
}

// ---------------------------------------------------------------------------------------
// Lists

/// Reads a JSON array whose elements `element` reads; elements it returns None for (null or
/// unreadable, already reported) are left out. `null` is an empty list. A non-array is
/// reported; when the list holds accountable items (`items`), as one rejected item, since
/// the real number cannot be known.
pub(super) struct List<R> {
    pub(super) element: R,
    pub(super) items: bool,
    /// What the list holds, for messages ("log records").
    pub(super) what: &'static str,
}

impl<R, T> Reader for List<R>
where
    R: Reader<Out = Option<T>>,
{
    type Out = Vec<T>;

    fn read<'de, D: Deserializer<'de>>(
        &self,
        tracker: &mut ProblemTracker,
        de: D,
    ) -> Result<Vec<T>, D::Error> {
        de.deserialize_any(ListVisitor { tracker, list: self })
    }
}

struct ListVisitor<'t, 'l, R> {
    tracker: &'t mut ProblemTracker,
    list: &'l List<R>,
}

impl<R, T> ListVisitor<'_, '_, R>
where
    R: Reader<Out = Option<T>>,
{
    fn not_a_list(self, found: Scalar<'_>) -> Vec<T> {
        let (outcome, rejects) = if self.list.items { ("left out", 1) } else { ("ignored", 0) };
        self.tracker.report(
            format!("expected a list of {}, found {}; {outcome}", self.list.what, found.describe()),
            rejects,
        );
        Vec::new()
    }
}

impl<'de, R, T> Visitor<'de> for ListVisitor<'_, '_, R>
where
    R: Reader<Out = Option<T>>,
{
    type Value = Vec<T>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "a list of {}", self.list.what)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
        // Taken first, before any element can start a list of its own.
        let base = self.tracker.take_list_base();
        let entered = self.tracker.enter_noted();
        let mut res = Vec::new();
        for index in 0.. {
            self.tracker.enter_index(base + index, self.list.items);
            let element = seq.next_element_seed(Seed {
                tracker: &mut *self.tracker,
                reader: &self.list.element,
            })?;
            self.tracker.leave();
            match element {
                None => break,
                Some(Some(value)) => {
                    // JSON does not say how long a list is. Room for 16 at the first element
                    // spares lists of attributes and records two or three reallocations (they
                    // showed as 4% of the decode's instructions).
                    if res.capacity() == 0 {
                        res.reserve_exact(16);
                    }
                    res.push(value);
                }
                Some(None) => {}
            }
        }
        if entered {
            self.tracker.leave();
        }
        Ok(res)
    }

    fn visit_unit<E>(self) -> Result<Vec<T>, E> {
        Ok(Vec::new())
    }

    fn visit_none<E>(self) -> Result<Vec<T>, E> {
        Ok(Vec::new())
    }

    fn visit_bool<E>(self, value: bool) -> Result<Vec<T>, E> {
        Ok(self.not_a_list(Scalar::Bool(value)))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Vec<T>, E> {
        Ok(self.not_a_list(Scalar::Signed(value)))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Vec<T>, E> {
        Ok(self.not_a_list(Scalar::Unsigned(value)))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Vec<T>, E> {
        Ok(self.not_a_list(Scalar::Float(value)))
    }

    fn visit_str<E>(self, value: &str) -> Result<Vec<T>, E> {
        Ok(self.not_a_list(Scalar::Str(value)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<T>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(self.not_a_list(Scalar::Object))
    }
}

/// Keeps a list slot even when its element is null or unreadable, using `fallback`: for
/// lists whose positions carry meaning (`bucketCounts`, `arrayValue.values`).
pub(super) struct KeepSlot<R, T> {
    pub(super) element: R,
    pub(super) fallback: fn() -> T,
}

impl<R, T> Reader for KeepSlot<R, T>
where
    R: Reader<Out = Option<T>>,
{
    type Out = Option<T>;

    fn read<'de, D: Deserializer<'de>>(
        &self,
        tracker: &mut ProblemTracker,
        de: D,
    ) -> Result<Option<T>, D::Error> {
        Ok(Some(self.element.read(tracker, de)?.unwrap_or_else(self.fallback)))
    }
}
