//! Tolerant OTLP/JSON decoding of `Export{Logs,Metrics,Trace}ServiceRequest` bodies, as real
//! exporters send them rather than as the spec says they should.
//!
//! Accepted beyond the strict OTLP/JSON mapping: 64-bit integers as numbers or decimal
//! strings (and integral floats), doubles as numbers, quoted numbers or `"NaN"`/`"Infinity"`/
//! `"-Infinity"`, hex ids in any case with `""` meaning absent, base64 ids of the right length
//! (reported), enum value names (`"SPAN_KIND_SERVER"`), `"true"`/`"false"` for booleans,
//! snake_case keys, `null` wherever a value may be absent, `{}` as an empty `AnyValue`, unknown
//! keys at every level, duplicate attribute keys (kept in order), and a UTF-8 byte order mark.
//! A key given twice: lists are appended (as for a repeated protobuf field), any other field
//! keeps the last value.
//!
//! A field with a value of the wrong JSON type is left at its default and reported as a
//! [`Problem`](super::Problem); an item that is not an object is left out and reported as
//! rejected. Only syntax errors, invalid UTF-8, a top level that is not an object, nesting
//! of read values deeper than serde_json's limit of 128, and a body of another signal fail
//! the whole body.
//!
//! The decoder streams over `serde_json::Deserializer` without building a DOM; see
//! the private `reader` module for how tolerance is done without one.

mod compact;
mod messages;
mod reader;

use bytes::Bytes;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use self::messages::{RESOURCE_LOGS, RESOURCE_METRICS, RESOURCE_SPANS};
use self::reader::{append_field, message_keys, skip_value, KeySeed, Scalar};
use super::problem_tracker::ProblemTracker;
use super::text::TextSource;
use super::{
    DecodeError, Decoded, ExportRequest, ResourceLogs, ResourceMetrics, ResourceSpans, Signal,
};

/// Decodes an OTLP/JSON request body of the given signal.
///
/// A body without any of the three request keys (`{}`) is an empty request. A body carrying
/// another signal's key is [`DecodeError::UnknownSignal`].
///
/// The body is copied once into a shared buffer the model's strings are sliced from;
/// [`decode_shared`] takes one without copying.
pub fn decode(signal: Signal, body: &[u8]) -> Result<Decoded, DecodeError> {
    decode_shared(signal, Bytes::copy_from_slice(body))
}

/// [`decode`] of a body held in a shared buffer: the model's strings are slices of it, so it
/// stays alive as long as any of them does.
pub fn decode_shared(signal: Signal, body: Bytes) -> Result<Decoded, DecodeError> {
    let (envelope, problems) = read_envelope(body, Mode::Decode(signal))?;
    if let Some(other) = envelope.signals_seen.iter().find(|it| **it != signal) {
        let message = if envelope.signals_seen.contains(&signal) {
            format!("the body has both `{}` and `{}`", request_key(signal), request_key(*other))
        } else {
            format!(
                "expected `{}` for a {signal} request, found `{}`",
                request_key(signal),
                request_key(*other)
            )
        };
        return Err(DecodeError::UnknownSignal { message });
    }
    Ok(Decoded { request: envelope.into_request(signal), problems })
}

/// Tells the signal of an OTLP/JSON body from its top-level key, without building the
/// request (the body is still checked for syntax).
pub fn detect_signal(body: &[u8]) -> Result<Signal, DecodeError> {
    let (envelope, _) = read_envelope(Bytes::copy_from_slice(body), Mode::Detect)?;
    envelope.only_signal()
}

/// Decodes an OTLP/JSON body whose signal is not known in advance (an OTLP file-exporter
/// line), taking the signal from its top-level key.
pub fn decode_any(body: &[u8]) -> Result<Decoded, DecodeError> {
    decode_any_shared(Bytes::copy_from_slice(body))
}

fn decode_any_shared(body: Bytes) -> Result<Decoded, DecodeError> {
    let (envelope, problems) = read_envelope(body, Mode::Any)?;
    let signal = envelope.only_signal()?;
    Ok(Decoded { request: envelope.into_request(signal), problems })
}

/// Decodes OTLP file-exporter JSONL: one request per line, each of any signal. Returns the
/// 1-based line number with each result; blank lines are skipped. Positions in
/// [`DecodeError::Json`] are lines of the whole input.
pub fn decode_lines(bytes: &[u8]) -> Vec<(usize, Result<Decoded, DecodeError>)> {
    // One copy for the whole file; each line's strings are slices of it.
    let shared = Bytes::copy_from_slice(bytes);
    shared
        .split(|byte| *byte == b'\n')
        .enumerate()
        .filter(|(_, line)| !line.iter().all(u8::is_ascii_whitespace))
        .map(|(index, line)| {
            let number = index + 1;
            let result = decode_any_shared(shared.slice_ref(line)).map_err(|error| match error {
                DecodeError::Json { line, column, message } => {
                    DecodeError::Json { line: number + line.saturating_sub(1), column, message }
                }
                other => other,
            });
            (number, result)
        })
        .collect()
}

message_keys! {
    enum RequestKey {
        ResourceLogs = "resourceLogs" | "resource_logs",
        ResourceMetrics = "resourceMetrics" | "resource_metrics",
        ResourceSpans = "resourceSpans" | "resource_spans",
    }
}

impl RequestKey {
    fn signal(self) -> Option<Signal> {
        match self {
            RequestKey::ResourceLogs => Some(Signal::Logs),
            RequestKey::ResourceMetrics => Some(Signal::Metrics),
            RequestKey::ResourceSpans => Some(Signal::Traces),
            RequestKey::Unknown => None,
        }
    }
}

/// The top-level key of a signal's request.
fn request_key(signal: Signal) -> &'static str {
    match signal {
        Signal::Logs => "resourceLogs",
        Signal::Metrics => "resourceMetrics",
        Signal::Traces => "resourceSpans",
    }
}

/// Which top-level list to read.
#[derive(Debug, Clone, Copy)]
enum Mode {
    /// The list of this signal.
    Decode(Signal),
    /// The list of whichever signal key comes first.
    Any,
    /// None: only note the keys.
    Detect,
}

/// The top-level object: the lists read, and every signal whose key appeared.
#[derive(Default)]
struct Envelope {
    signals_seen: Vec<Signal>,
    logs: Vec<ResourceLogs>,
    metrics: Vec<ResourceMetrics>,
    traces: Vec<ResourceSpans>,
}

impl Envelope {
    fn only_signal(&self) -> Result<Signal, DecodeError> {
        match self.signals_seen.as_slice() {
            [signal] => Ok(*signal),
            [] => Err(DecodeError::UnknownSignal {
                message: "the body has none of `resourceLogs`, `resourceMetrics`, `resourceSpans`"
                    .to_owned(),
            }),
            several => Err(DecodeError::UnknownSignal {
                message: format!(
                    "the body has more than one signal: {}",
                    several
                        .iter()
                        .map(|it| format!("`{}`", request_key(*it)))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }),
        }
    }

    fn into_request(self, signal: Signal) -> ExportRequest {
        match signal {
            Signal::Logs => ExportRequest::Logs(self.logs),
            Signal::Metrics => ExportRequest::Metrics(self.metrics),
            Signal::Traces => ExportRequest::Traces(self.traces),
        }
    }
}

/// Parses the whole body (a leading UTF-8 byte order mark is ignored) and checks nothing but
/// whitespace follows the top-level object.
fn read_envelope(mut body: Bytes, mode: Mode) -> Result<(Envelope, Vec<super::Problem>), DecodeError> {
    const BYTE_ORDER_MARK: &[u8] = b"\xEF\xBB\xBF";
    if body.starts_with(BYTE_ORDER_MARK) {
        body = body.slice(BYTE_ORDER_MARK.len()..);
    }
    // Checked once up front: serde_json checks only the strings it reads, so invalid UTF-8
    // in a skipped field would otherwise pass. Parsing a `&str` then skips per-string checks,
    // and the strings read are slices of this checked text.
    let source = match TextSource::new(body.clone()) {
        Ok(source) => source,
        Err(error) => return Err(utf8_error(&body, error.valid_up_to())),
    };
    drop(body);
    if let Some(compacted) = compact::compact(source.text()) {
        // The compacted text fails wherever the original does, but at other positions: a
        // failure is reported from the original.
        if let Ok(read) = parse(TextSource::from(compacted), mode) {
            return Ok(read);
        }
    }
    parse(source, mode)
}

fn parse(source: TextSource, mode: Mode) -> Result<(Envelope, Vec<super::Problem>), DecodeError> {
    let mut tracker = ProblemTracker::default();
    tracker.strings = source.clone();
    let mut deserializer = serde_json::Deserializer::from_str(source.text());
    let envelope = EnvelopeSeed { tracker: &mut tracker, mode }
        .deserialize(&mut deserializer)
        .map_err(json_error)?;
    deserializer.end().map_err(json_error)?;
    Ok((envelope, tracker.into_problems()))
}

/// Invalid UTF-8 at byte `offset` as [`DecodeError::Json`] with its line and column.
fn utf8_error(body: &[u8], offset: usize) -> DecodeError {
    let valid = String::from_utf8_lossy(&body[..offset.min(body.len())]);
    let line = valid.matches('\n').count() + 1;
    let column = valid.rsplit('\n').next().map_or(0, |it| it.chars().count()) + 1;
    DecodeError::Json { line, column, message: "invalid UTF-8".to_owned() }
}

/// serde_json's error as [`DecodeError::Json`], the position moved out of the message.
fn json_error(error: serde_json::Error) -> DecodeError {
    let (line, column) = (error.line(), error.column());
    let text = error.to_string();
    let suffix = format!(" at line {line} column {column}");
    let message = text.strip_suffix(&suffix).unwrap_or(&text).to_owned();
    DecodeError::Json { line, column, message }
}

struct EnvelopeSeed<'t> {
    tracker: &'t mut ProblemTracker,
    mode: Mode,
}

impl<'de> DeserializeSeed<'de> for EnvelopeSeed<'_> {
    type Value = Envelope;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<Envelope, D::Error> {
        de.deserialize_any(EnvelopeVisitor { tracker: self.tracker, mode: self.mode })
    }
}

struct EnvelopeVisitor<'t> {
    tracker: &'t mut ProblemTracker,
    mode: Mode,
}

impl EnvelopeVisitor<'_> {
    fn not_an_object<E: serde::de::Error>(found: Scalar<'_>) -> E {
        E::custom(format!(
            "expected an OTLP/JSON export request object at the top level, found {}",
            found.describe()
        ))
    }
}

impl<'de> Visitor<'de> for EnvelopeVisitor<'_> {
    type Value = Envelope;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an OTLP/JSON export request object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Envelope, A::Error> {
        let mut envelope = Envelope::default();
        while let Some(key) = map.next_key_seed(KeySeed(RequestKey::from_name))? {
            let Some(signal) = key.signal() else {
                skip_value(&mut map)?;
                continue;
            };
            if !envelope.signals_seen.contains(&signal) {
                envelope.signals_seen.push(signal);
            }
            let wanted = match self.mode {
                Mode::Decode(wanted) => Some(wanted),
                Mode::Any => envelope.signals_seen.first().copied(),
                Mode::Detect => None,
            };
            if wanted != Some(signal) {
                skip_value(&mut map)?;
                continue;
            }
            // A key seen twice adds to the list, as a repeated protobuf field would.
            let name = key.name();
            match signal {
                Signal::Logs => {
                    append_field(&mut map, self.tracker, name, &RESOURCE_LOGS, &mut envelope.logs)?
                }
                Signal::Metrics => append_field(
                    &mut map,
                    self.tracker,
                    name,
                    &RESOURCE_METRICS,
                    &mut envelope.metrics,
                )?,
                Signal::Traces => append_field(
                    &mut map,
                    self.tracker,
                    name,
                    &RESOURCE_SPANS,
                    &mut envelope.traces,
                )?,
            }
        }
        Ok(envelope)
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Envelope, E> {
        Err(Self::not_an_object(Scalar::Null))
    }

    fn visit_bool<E: serde::de::Error>(self, value: bool) -> Result<Envelope, E> {
        Err(Self::not_an_object(Scalar::Bool(value)))
    }

    fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<Envelope, E> {
        Err(Self::not_an_object(Scalar::Signed(value)))
    }

    fn visit_u64<E: serde::de::Error>(self, value: u64) -> Result<Envelope, E> {
        Err(Self::not_an_object(Scalar::Unsigned(value)))
    }

    fn visit_f64<E: serde::de::Error>(self, value: f64) -> Result<Envelope, E> {
        Err(Self::not_an_object(Scalar::Float(value)))
    }

    fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<Envelope, E> {
        Err(Self::not_an_object(Scalar::Str(value)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Envelope, A::Error> {
        // Consumed first so the error points after the array, not into it.
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Err(Self::not_an_object(Scalar::Array))
    }
}

