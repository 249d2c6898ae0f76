//! OTLP/JSON spelled the many ways real exporters spell it, from one model request.
//!
//! Starts from the spec-exact encoding ([`codetel::otlp::encode::to_json`]) and rewrites it
//! while writing, choice by choice from a seed: int64 fields as numbers or strings, ids in
//! mixed case, enums as numbers or value names, doubles as numbers, quoted numbers or
//! integers, booleans as strings, snake_case keys, `\u` escapes in keys and strings, unknown
//! fields (with nested values) in every object, explicit defaults and `null`s, a key given
//! twice (a junk value first, the real one last; a list split in two), shuffled key order,
//! stray whitespace and a byte order mark, and in a quarter of the bodies indentation after
//! line breaks (as Codex indents its bodies; the decoder drops it before parsing). All of that
//! must decode to the same model.
//!
//! [`Dialect::Garbled`] adds what must cost a field or an item but never the request: ids of
//! the wrong length, non-hex or base64 ids, scalar fields of the wrong type, and junk or `null`
//! elements in item lists (each junk element is one rejected item, `null` is none).

use serde_json::{Map, Value as Json};

use codetel::otlp::{encode, ExportRequest};
use opentelemetry_proto::tonic::logs::v1::SeverityNumber;
use opentelemetry_proto::tonic::metrics::v1::AggregationTemporality;
use opentelemetry_proto::tonic::trace::v1::{span::SpanKind, status::StatusCode};

/// How faithful the spelling is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Every rewrite keeps the data: decodes to the same model as the spec encoding.
    Equivalent,
    /// Also loses fields and adds junk items, in ways the decoder must report and count.
    Garbled,
}

/// A written body.
pub struct Written {
    /// The JSON bytes.
    pub body: Vec<u8>,
    /// Junk elements written into item lists (log records, spans, data points): each must be
    /// counted as one rejected item.
    pub junk_items: usize,
}

/// Keys of 64-bit integer fields: numbers or decimal strings.
const INT64_KEYS: &[&str] =
    &["timeUnixNano", "observedTimeUnixNano", "startTimeUnixNano", "endTimeUnixNano", "intValue", "asInt", "count", "zeroCount", "bucketCounts"];
/// Keys of double fields (and lists of doubles).
const DOUBLE_KEYS: &[&str] = &["doubleValue", "asDouble", "sum", "min", "max", "quantile", "value", "explicitBounds"];
/// Keys of hex id fields.
const ID_KEYS: &[&str] = &["traceId", "spanId", "parentSpanId"];
/// Keys of boolean fields.
const BOOL_KEYS: &[&str] = &["boolValue", "isMonotonic"];
/// Keys of lists of accountable items.
const ITEM_LIST_KEYS: &[&str] = &["logRecords", "spans", "dataPoints"];

/// A small deterministic generator (splitmix64): the spelling is a function of the seed, so
/// a failing case shrinks and replays through proptest's seed alone.
pub struct Rng(u64);

impl Rng {
    /// From a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// True with `percent` % probability.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Shuffles in place (Fisher–Yates).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for index in (1..items.len()).rev() {
            items.swap(index, self.below(index + 1));
        }
    }
}

/// Writes `request` as OTLP/JSON in a dialect chosen by `seed`.
pub fn write(request: &ExportRequest, seed: u64, dialect: Dialect) -> Written {
    let spec: Json = serde_json::from_slice(&encode::to_json(request)).unwrap_or(Json::Null);
    // Indentation draws from a generator of its own, so the other choices a seed makes (and
    // the cases kept in regression files) are the same with it as without it.
    let mut indentation = Rng::new(seed ^ 0x9e37_79b9_7f4a_7c15);
    let indentation = indentation.chance(25).then_some(indentation);
    let mut writer = Writer { rng: Rng::new(seed), dialect, junk_items: 0, indentation };
    let mut body = String::new();
    if writer.rng.chance(5) {
        body.push('\u{feff}');
    }
    body.push_str(&writer.value("", &spec));
    Written { body: body.into_bytes(), junk_items: writer.junk_items }
}

struct Writer {
    rng: Rng,
    dialect: Dialect,
    junk_items: usize,
    /// Set for an indented body: picks the indentation after each line break.
    indentation: Option<Rng>,
}

impl Writer {
    fn garbled(&self) -> bool {
        self.dialect == Dialect::Garbled
    }

    fn space(&mut self) -> &'static str {
        match (self.rng.below(20), &mut self.indentation) {
            (0, _) => " ",
            (1, _) => "\n\t ",
            (_, Some(indentation)) => ["\n  ", "\n    ", "\n        ", "\n\t\t", "\n            ", "\n"][indentation.below(6)],
            (_, None) => "",
        }
    }

    /// A value found under field `key` (list elements inherit their list's key).
    fn value(&mut self, key: &str, value: &Json) -> String {
        match value {
            Json::Object(map) => self.object(map),
            Json::Array(items) => self.array(key, items),
            Json::String(text) => self.string_field(key, text),
            Json::Number(number) => self.number_field(key, number),
            Json::Bool(value) => self.bool_field(key, *value),
            Json::Null => "null".to_owned(),
        }
    }

    fn object(&mut self, map: &Map<String, Json>) -> String {
        // Groups keep a junk duplicate in front of the real entry through the shuffle.
        let mut groups: Vec<Vec<(String, String)>> = Vec::new();
        for (key, value) in map {
            let mut group = Vec::new();
            let spelled = self.key(key);
            let scalar = !matches!(value, Json::Object(_) | Json::Array(_));
            if scalar && self.rng.chance(4) {
                let junk = self.junk_scalar();
                group.push((spelled.clone(), junk));
            }
            match value {
                Json::Array(items) if items.len() >= 2 && self.rng.chance(10) => {
                    // A repeated field given twice is appended to, as in protobuf.
                    let split = 1 + self.rng.below(items.len() - 1);
                    let first = self.array(key, &items[..split]);
                    let second = self.array(key, &items[split..]);
                    group.push((spelled.clone(), first));
                    group.push((self.key(key), second));
                }
                _ => {
                    let text = if scalar && self.garbled() && self.rng.chance(3) {
                        self.wrong_type()
                    } else {
                        self.value(key, value)
                    };
                    group.push((spelled, text));
                }
            }
            groups.push(group);
        }
        if self.rng.chance(10) {
            let unknown = format!("zzUnknownField{}", self.rng.below(1000));
            let value = self.random_json(3);
            groups.push(vec![(quote(&unknown), value)]);
        }
        for (key, default) in [("droppedAttributesCount", "0"), ("flags", "0"), ("schemaUrl", "\"\""), ("traceId", "null"), ("body", "null")] {
            if !map.contains_key(key) && self.rng.chance(4) {
                groups.push(vec![(quote(key), default.to_owned())]);
            }
        }
        if self.rng.chance(30) {
            self.rng.shuffle(&mut groups);
        }
        let mut res = String::from("{");
        for (index, (key, text)) in groups.into_iter().flatten().enumerate() {
            if index > 0 {
                res.push(',');
            }
            res.push_str(self.space());
            res.push_str(&key);
            res.push(':');
            res.push_str(self.space());
            res.push_str(&text);
        }
        res.push('}');
        res
    }

    fn array(&mut self, key: &str, items: &[Json]) -> String {
        let mut elements: Vec<String> = items.iter().map(|it| self.value(key, it)).collect();
        if self.garbled() && ITEM_LIST_KEYS.contains(&key) {
            while self.rng.chance(15) {
                let position = self.rng.below(elements.len() + 1);
                if self.rng.chance(25) {
                    // `null` is not an item: nothing to count.
                    elements.insert(position, "null".to_owned());
                } else {
                    let junk = ["42", "\"a record\"", "true", "[1,{}]", "-1.5"][self.rng.below(5)];
                    elements.insert(position, junk.to_owned());
                    self.junk_items += 1;
                }
            }
        }
        let separator = if self.rng.chance(10) { ", " } else { "," };
        format!("[{}]", elements.join(separator))
    }

    /// A field name: as given, in snake_case, or with a letter as a `\u` escape.
    fn key(&mut self, key: &str) -> String {
        if self.rng.chance(12) {
            let snake = snake_case(key);
            if snake != key {
                return quote(&snake);
            }
        }
        if self.rng.chance(3) && !key.is_empty() {
            let index = self.rng.below(key.len());
            if key.is_char_boundary(index) && key.is_char_boundary(index + 1) {
                return format!("\"{}\\u{:04x}{}\"", escape(&key[..index]), key.as_bytes()[index], escape(&key[index + 1..]));
            }
        }
        quote(key)
    }

    fn string_field(&mut self, key: &str, text: &str) -> String {
        if INT64_KEYS.contains(&key) && text.parse::<i128>().is_ok() && self.rng.chance(50) {
            return text.to_owned();
        }
        if ID_KEYS.contains(&key) {
            if self.garbled() && self.rng.chance(10) {
                return self.garbled_id(text);
            }
            return quote(&self.mixed_case(text));
        }
        if DOUBLE_KEYS.contains(&key) && self.rng.chance(10) {
            // `NaN` and the infinities are strings already; a number in quotes is one too.
            return quote(text);
        }
        if self.rng.chance(10) {
            return escape_non_ascii(text);
        }
        quote(text)
    }

    fn number_field(&mut self, key: &str, number: &serde_json::Number) -> String {
        if let Some(value) = number.as_i64() {
            if let Some(name) = enum_name(key, value).filter(|_| self.rng.chance(30)) {
                return quote(name);
            }
        }
        if DOUBLE_KEYS.contains(&key) {
            if let Some(value) = number.as_f64() {
                if self.rng.chance(15) {
                    return format!("\"{value}\"");
                }
                let negative_zero = value == 0.0 && value.is_sign_negative();
                if value.fract() == 0.0 && value.abs() < 9.0e15 && !negative_zero && self.rng.chance(30) {
                    return format!("{}", value as i64);
                }
            }
        }
        number.to_string()
    }

    fn bool_field(&mut self, key: &str, value: bool) -> String {
        if BOOL_KEYS.contains(&key) && self.rng.chance(20) {
            return format!("\"{value}\"");
        }
        value.to_string()
    }

    fn mixed_case(&mut self, hex: &str) -> String {
        match self.rng.below(3) {
            0 => hex.to_owned(),
            1 => hex.to_ascii_uppercase(),
            _ => hex.chars().map(|ch| if self.rng.chance(50) { ch.to_ascii_uppercase() } else { ch }).collect(),
        }
    }

    fn garbled_id(&mut self, hex: &str) -> String {
        match self.rng.below(4) {
            0 => quote(&hex[..hex.len().saturating_sub(2)]),
            1 => quote(&format!("{hex}ab")),
            2 => quote(&format!("zz{}", hex.get(2..).unwrap_or_default())),
            _ => {
                use base64::Engine as _;
                let bytes: Vec<u8> =
                    (0..hex.len() / 2).filter_map(|index| u8::from_str_radix(hex.get(index * 2..index * 2 + 2)?, 16).ok()).collect();
                quote(&base64::engine::general_purpose::STANDARD.encode(bytes))
            }
        }
    }

    /// A value of any type, overwritten by the real entry that follows it.
    fn junk_scalar(&mut self) -> String {
        ["null", "0", "\"\"", "\"junk\"", "true", "1.5", "{}", "[]"][self.rng.below(8)].to_owned()
    }

    /// A value of the wrong type for a scalar field.
    fn wrong_type(&mut self) -> String {
        ["{}", "[]", "{\"a\":[1,\"x\"]}", "\"not a number\"", "-7", "true"][self.rng.below(6)].to_owned()
    }

    fn random_json(&mut self, depth: usize) -> String {
        let choice = if depth == 0 { self.rng.below(5) } else { self.rng.below(7) };
        match choice {
            0 => "null".to_owned(),
            1 => "false".to_owned(),
            2 => format!("{}", self.rng.next() as i64),
            3 => "-0.5e-3".to_owned(),
            4 => quote(&format!("unknown \u{1f600} {}", self.rng.below(100))),
            5 => {
                let n = self.rng.below(3);
                let items: Vec<String> = (0..n).map(|_| self.random_json(depth - 1)).collect();
                format!("[{}]", items.join(","))
            }
            _ => {
                let n = self.rng.below(3);
                let entries: Vec<String> = (0..n).map(|index| format!("\"k{index}\":{}", self.random_json(depth - 1))).collect();
                format!("{{{}}}", entries.join(","))
            }
        }
    }
}

/// The proto enum value name of an OTLP enum field, when `value` has one.
fn enum_name(key: &str, value: i64) -> Option<&'static str> {
    let value = i32::try_from(value).ok()?;
    match key {
        "kind" => SpanKind::try_from(value).ok().map(|it| it.as_str_name()),
        "code" => StatusCode::try_from(value).ok().map(|it| it.as_str_name()),
        "severityNumber" => SeverityNumber::try_from(value).ok().map(|it| it.as_str_name()),
        "aggregationTemporality" => AggregationTemporality::try_from(value).ok().map(|it| it.as_str_name()),
        _ => None,
    }
}

fn snake_case(key: &str) -> String {
    let mut res = String::with_capacity(key.len() + 4);
    for ch in key.chars() {
        if ch.is_ascii_uppercase() {
            res.push('_');
            res.push(ch.to_ascii_lowercase());
        } else {
            res.push(ch);
        }
    }
    res
}

fn quote(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_default()
}

/// `text` JSON-escaped without the quotes.
fn escape(text: &str) -> String {
    let quoted = quote(text);
    quoted[1..quoted.len() - 1].to_owned()
}

/// A JSON string with every non-ASCII character as `\u` escapes (surrogate pairs above the
/// basic plane).
fn escape_non_ascii(text: &str) -> String {
    let mut res = String::with_capacity(text.len() + 2);
    res.push('"');
    for ch in escape(text).chars() {
        if ch.is_ascii() {
            res.push(ch);
        } else {
            let mut units = [0u16; 2];
            for unit in ch.encode_utf16(&mut units) {
                res.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    res.push('"');
    res
}
