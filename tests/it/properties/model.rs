//! Generators of OTLP requests in the decoded model, shaped like one vendor's telemetry.
//!
//! Items start from the vendor's real samples ([`VendorSeed`]) and are then mutated: attribute
//! values replaced by random `AnyValue`s (recursive arrays and key-value lists, every int64,
//! NaN and infinities, huge and unusual strings), numbers sent as strings, attributes dropped
//! or repeated with another type, random attributes added under the vendor's keys and under
//! unknown ones, bodies, times and ids replaced. Some items are built from the vendor's names
//! alone, some resources are foreign, and a metric may lack its required data field.
//! Wire-level spellings (int64 as number or string, hex case, unknown fields, duplicate JSON
//! keys) are the business of [`super::wire`]; this module only decides the data.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

use codetel::otlp::{
    AnyValue, ExportRequest, KeyValue, LogRecord, Metric, MetricData, NumberDataPoint, NumberValue, Resource,
    ResourceLogs, ResourceMetrics, ResourceSpans, Scope, ScopeLogs, ScopeMetrics, ScopeSpans, Signal, Span,
    SpanEvent, SpanLink, Str, Temporality,
};

use super::seeds::VendorSeed;

/// Characters next to the edges of UTF-8 and JSON escaping: the last one- to four-byte
/// characters, the surrogate gap's neighbours, noncharacters, controls and JSON specials.
const EDGE_CHARS: &[char] = &[
    '\u{0}', '\u{1f}', '"', '\\', '/', '\n', '\u{7f}', '\u{80}', '\u{7ff}', '\u{800}', '\u{d7ff}', '\u{e000}',
    '\u{fffd}', '\u{fffe}', '\u{ffff}', '\u{10000}', '\u{10ffff}', '\u{2028}', '\u{2029}', '\u{feff}', 'é', '😀',
];

/// Strings that look like something else: numbers, booleans, nulls, non-finite spellings.
const LOOKALIKES: &[&str] =
    &["", "0", "-1", "1e3", "123456789012345678901234567890", "NaN", "Infinity", "-Infinity", "true", "null", "{}", "[]"];

/// Any string, weighted towards the ones decoders get wrong.
pub fn text() -> BoxedStrategy<String> {
    prop_oneof![
        6 => "[a-zA-Z0-9_.:/ -]{0,24}",
        3 => any::<String>(),
        3 => vec(select(EDGE_CHARS), 0..12).prop_map(|chars| chars.into_iter().collect()),
        2 => select(LOOKALIKES).prop_map(str::to_owned),
        // Huge: past every buffer a decoder might size from a typical string.
        1 => (select(&['x', 'é', '😀'][..]), 4_000usize..40_000).prop_map(|(ch, n)| std::iter::repeat_n(ch, n).collect()),
    ]
    .boxed()
}

/// Every int64 worth trying: extremes, small numbers, and values past 2^53 (where a JSON
/// number stops being exact in JavaScript).
pub fn int64() -> BoxedStrategy<i64> {
    prop_oneof![
        3 => -1000i64..1000,
        2 => any::<i64>(),
        1 => Just(i64::MIN),
        1 => Just(i64::MAX),
        1 => (-4i64..4).prop_map(|it| (1i64 << 53) + it),
    ]
    .boxed()
}

/// Every double worth trying: NaN, infinities, negative zero, subnormals, extremes.
pub fn double() -> BoxedStrategy<f64> {
    prop_oneof![
        3 => -1.0e6f64..1.0e6,
        2 => any::<f64>(),
        1 => select(&[f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0, 0.0, f64::MAX, f64::MIN, f64::MIN_POSITIVE, 5e-324][..]),
    ]
    .boxed()
}

/// A timestamp: absent (0), tiny, realistic, or the largest u64.
pub fn time() -> BoxedStrategy<u64> {
    prop_oneof![
        1 => Just(0u64),
        1 => 1u64..1000,
        6 => 1_700_000_000_000_000_000u64..1_800_000_000_000_000_000,
        1 => Just(u64::MAX),
        1 => any::<u64>(),
    ]
    .boxed()
}

/// A recursive `AnyValue`: scalars of every type, arrays and key-value lists nested a few
/// levels, key-value lists with repeated keys.
pub fn any_value() -> BoxedStrategy<AnyValue> {
    let leaf = prop_oneof![
        1 => Just(AnyValue::Empty),
        4 => text().prop_map(|it| AnyValue::String(it.into())),
        1 => any::<bool>().prop_map(AnyValue::Bool),
        2 => int64().prop_map(AnyValue::Int),
        2 => double().prop_map(AnyValue::Double),
        1 => vec(any::<u8>(), 0..24).prop_map(AnyValue::Bytes),
    ];
    leaf.prop_recursive(4, 24, 5, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..5).prop_map(AnyValue::Array),
            vec((select(&["a", "b", "a.b", ""][..]).prop_map(str::to_owned), inner), 0..5)
                .prop_map(|pairs| AnyValue::KvList(pairs.into_iter().map(|(key, value)| KeyValue { key: key.into(), value }).collect())),
        ]
    })
    .boxed()
}

/// What happens to one real attribute.
#[derive(Debug, Clone)]
enum Mutation {
    Keep,
    Replace(AnyValue),
    /// A number or boolean sent as a string (`"42"`), as several vendors do.
    Stringify,
    Drop,
    /// The attribute again, later in the list, with a value of another type.
    Repeat(AnyValue),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        14 => Just(Mutation::Keep),
        2 => any_value().prop_map(Mutation::Replace),
        1 => Just(Mutation::Stringify),
        1 => Just(Mutation::Drop),
        1 => any_value().prop_map(Mutation::Repeat),
    ]
}

fn stringify(value: &AnyValue) -> AnyValue {
    match value {
        AnyValue::Int(it) => AnyValue::String(it.to_string().into()),
        AnyValue::Double(it) => AnyValue::String(it.to_string().into()),
        AnyValue::Bool(it) => AnyValue::String(it.to_string().into()),
        other => other.clone(),
    }
}

/// A key the vendor uses, or one nobody does.
fn attribute_key(seed: &'static VendorSeed) -> BoxedStrategy<String> {
    if seed.attribute_keys.is_empty() {
        return text();
    }
    prop_oneof![3 => select(seed.attribute_keys.clone()), 1 => text()].boxed()
}

/// Mutates a real attribute list and adds a few random attributes.
pub fn attributes(seed: &'static VendorSeed, sample: Vec<KeyValue>) -> BoxedStrategy<Vec<KeyValue>> {
    let n = sample.len();
    (vec(mutation(), n..=n), vec((attribute_key(seed), any_value()), 0..3))
        .prop_map(move |(mutations, extra)| {
            let mut res = Vec::with_capacity(sample.len() + extra.len());
            let mut repeated = Vec::new();
            for (attribute, mutation) in sample.iter().zip(mutations) {
                match mutation {
                    Mutation::Keep => res.push(attribute.clone()),
                    Mutation::Replace(value) => res.push(KeyValue { key: attribute.key.clone(), value }),
                    Mutation::Stringify => {
                        res.push(KeyValue { key: attribute.key.clone(), value: stringify(&attribute.value) })
                    }
                    Mutation::Drop => {}
                    Mutation::Repeat(value) => {
                        res.push(attribute.clone());
                        repeated.push(KeyValue { key: attribute.key.clone(), value });
                    }
                }
            }
            res.extend(repeated);
            res.extend(extra.into_iter().map(|(key, value)| KeyValue { key: key.into(), value }));
            res
        })
        .boxed()
}

fn id(bytes: usize) -> BoxedStrategy<Vec<u8>> {
    prop_oneof![1 => Just(Vec::new()), 3 => vec(any::<u8>(), bytes..=bytes)].boxed()
}

fn keep_or<T: Clone + std::fmt::Debug + 'static>(kept: T, other: BoxedStrategy<T>) -> BoxedStrategy<T> {
    prop_oneof![3 => Just(kept), 1 => other].boxed()
}

/// A name the vendor uses, or a random one.
fn item_name(seed: &'static VendorSeed) -> BoxedStrategy<Str> {
    if seed.names.is_empty() {
        return model_text();
    }
    prop_oneof![4 => select(seed.names.clone()), 1 => text()].prop_map(Str::from).boxed()
}

/// [`text`] as the model's string type.
fn model_text() -> BoxedStrategy<Str> {
    text().prop_map(Str::from).boxed()
}

/// A log record: a mutated real one, or one carrying only a vendor event name.
pub fn log_record(seed: &'static VendorSeed) -> BoxedStrategy<LogRecord> {
    let synthetic = (item_name(seed), time()).prop_flat_map(move |(name, time)| {
        let sample = vec![KeyValue { key: "event.name".into(), value: AnyValue::String(name) }];
        attributes(seed, sample).prop_map(move |attributes| LogRecord { time_unix_nano: time, attributes, ..LogRecord::default() })
    });
    if seed.log_records.is_empty() {
        return synthetic.boxed();
    }
    let mutated = select(seed.log_records.clone()).prop_flat_map(move |sample| {
        let body = match sample.body.clone() {
            Some(body) => prop_oneof![
                4 => Just(Some(body)),
                1 => Just(None),
                1 => any_value().prop_map(Some),
            ]
            .boxed(),
            None => prop_oneof![4 => Just(None), 1 => any_value().prop_map(Some)].boxed(),
        };
        (
            attributes(seed, sample.attributes.clone()),
            body,
            keep_or(sample.time_unix_nano, time()),
            keep_or(sample.observed_time_unix_nano, time()),
            keep_or(sample.severity_number, any::<i32>().boxed()),
            keep_or(sample.severity_text.clone(), model_text()),
            keep_or(sample.trace_id.clone(), id(16)),
            keep_or(sample.span_id.clone(), id(8)),
            keep_or(sample.event_name.clone(), model_text()),
        )
            .prop_map(move |(attributes, body, time, observed, severity_number, severity_text, trace_id, span_id, event_name)| {
                LogRecord {
                    time_unix_nano: time,
                    observed_time_unix_nano: observed,
                    severity_number,
                    severity_text,
                    body,
                    attributes,
                    trace_id,
                    span_id,
                    event_name,
                    ..sample.clone()
                }
            })
    });
    prop_oneof![5 => mutated, 1 => synthetic].boxed()
}

fn number_value() -> BoxedStrategy<NumberValue> {
    prop_oneof![
        4 => (0i64..1_000_000).prop_map(NumberValue::Int),
        1 => int64().prop_map(NumberValue::Int),
        3 => (0.0f64..1000.0).prop_map(NumberValue::Double),
        1 => double().prop_map(NumberValue::Double),
        1 => Just(NumberValue::Missing),
    ]
    .boxed()
}

fn temporality() -> BoxedStrategy<Temporality> {
    prop_oneof![
        3 => Just(Temporality::Delta),
        3 => Just(Temporality::Cumulative),
        1 => Just(Temporality::Unspecified),
        1 => (3i32..100).prop_map(Temporality::Other),
    ]
    .boxed()
}

fn number_point(seed: &'static VendorSeed, sample: NumberDataPoint) -> BoxedStrategy<NumberDataPoint> {
    (attributes(seed, sample.attributes.clone()), keep_or(sample.value, number_value()), time(), time())
        .prop_map(move |(attributes, value, start, time)| NumberDataPoint {
            attributes,
            value,
            start_time_unix_nano: start.min(time),
            time_unix_nano: time,
            ..sample.clone()
        })
        .boxed()
}

/// A metric: a real one with mutated points (number points regenerated from the real ones,
/// other kinds' attributes mutated), sometimes without its required data field.
pub fn metric(seed: &'static VendorSeed) -> BoxedStrategy<Metric> {
    let synthetic = (item_name(seed), vec(number_value(), 1..4), temporality(), time()).prop_map(|(name, values, temporality, time)| {
        let points = values
            .into_iter()
            .map(|value| NumberDataPoint { attributes: Vec::new(), start_time_unix_nano: 0, time_unix_nano: time, value, flags: 0 })
            .collect();
        Metric { name, description: Default::default(), unit: Default::default(), data: MetricData::Sum { points, temporality, is_monotonic: true } }
    });
    let missing = item_name(seed).prop_map(|name| Metric { name, description: Default::default(), unit: Default::default(), data: MetricData::Missing });
    if seed.metrics.is_empty() {
        return prop_oneof![8 => synthetic, 1 => missing].boxed();
    }
    let mutated = select(seed.metrics.clone()).prop_flat_map(move |sample| {
        let data = match sample.data.clone() {
            MetricData::Sum { points, temporality: sent, is_monotonic } if !points.is_empty() => {
                let point = select(points).prop_flat_map(move |point| number_point(seed, point));
                (vec(point, 0..4), keep_or(sent, temporality()))
                    .prop_map(move |(points, temporality)| MetricData::Sum { points, temporality, is_monotonic })
                    .boxed()
            }
            MetricData::Gauge { points } if !points.is_empty() => {
                let point = select(points).prop_flat_map(move |point| number_point(seed, point));
                vec(point, 0..4).prop_map(|points| MetricData::Gauge { points }).boxed()
            }
            MetricData::Histogram { points, temporality } => {
                let strategies: Vec<_> = points
                    .into_iter()
                    .map(|point| {
                        attributes(seed, point.attributes.clone())
                            .prop_map(move |attributes| codetel::otlp::HistogramDataPoint { attributes, ..point.clone() })
                    })
                    .collect();
                strategies.prop_map(move |points| MetricData::Histogram { points, temporality }).boxed()
            }
            other => Just(other).boxed(),
        };
        (data, keep_or(sample.unit.clone(), model_text())).prop_map(move |(data, unit)| Metric { data, unit, ..sample.clone() })
    });
    prop_oneof![12 => mutated, 2 => synthetic, 1 => missing].boxed()
}

fn span_event(seed: &'static VendorSeed, sample: Option<SpanEvent>) -> BoxedStrategy<SpanEvent> {
    let sample = sample.unwrap_or_default();
    (attributes(seed, sample.attributes.clone()), keep_or(sample.name.clone(), item_name(seed)), time())
        .prop_map(|(attributes, name, time_unix_nano)| SpanEvent { time_unix_nano, name, attributes })
        .boxed()
}

fn span_link() -> BoxedStrategy<SpanLink> {
    (id(16), id(8), text(), vec(("[a-z.]{1,12}", any_value()), 0..3))
        .prop_map(|(trace_id, span_id, trace_state, attributes)| SpanLink {
            trace_id,
            span_id,
            trace_state: trace_state.into(),
            attributes: attributes.into_iter().map(|(key, value)| KeyValue { key: key.into(), value }).collect(),
        })
        .boxed()
}

/// A span: a mutated real one (its events too), or one carrying only a vendor span name.
pub fn span(seed: &'static VendorSeed) -> BoxedStrategy<Span> {
    let synthetic = (item_name(seed), time(), time(), id(16), id(8)).prop_flat_map(move |(name, start, end, trace_id, span_id)| {
        attributes(seed, Vec::new()).prop_map(move |attributes| Span {
            name: name.clone(),
            start_time_unix_nano: start,
            end_time_unix_nano: end,
            trace_id: trace_id.clone(),
            span_id: span_id.clone(),
            attributes,
            ..Span::default()
        })
    });
    if seed.spans.is_empty() {
        return synthetic.boxed();
    }
    let mutated = select(seed.spans.clone()).prop_flat_map(move |sample| {
        let events: Vec<_> = sample.events.iter().map(|event| span_event(seed, Some(event.clone()))).collect();
        (
            attributes(seed, sample.attributes.clone()),
            keep_or(sample.name.clone(), item_name(seed)),
            (keep_or(sample.start_time_unix_nano, time()), keep_or(sample.end_time_unix_nano, time())),
            (keep_or(sample.trace_id.clone(), id(16)), keep_or(sample.span_id.clone(), id(8)), keep_or(sample.parent_span_id.clone(), id(8))),
            (keep_or(sample.kind, (-1i32..8).boxed()), keep_or(sample.status_code, (-1i32..4).boxed()), keep_or(sample.status_message.clone(), model_text())),
            (events, vec(span_event(seed, None), 0..2), vec(span_link(), 0..2)),
        )
            .prop_map(
                move |(attributes, name, (start, end), (trace_id, span_id, parent_span_id), (kind, status_code, status_message), (mut events, extra_events, links))| {
                    events.extend(extra_events);
                    Span {
                        attributes,
                        name,
                        start_time_unix_nano: start,
                        end_time_unix_nano: end,
                        trace_id,
                        span_id,
                        parent_span_id,
                        kind,
                        status_code,
                        status_message,
                        events,
                        links,
                        ..sample.clone()
                    }
                },
            )
    });
    prop_oneof![5 => mutated, 1 => synthetic].boxed()
}

/// A resource of the vendor (identity attributes kept so detection still works), with
/// attributes added; sometimes a foreign resource no adapter claims.
pub fn resource(seed: &'static VendorSeed, signal: Signal) -> BoxedStrategy<Resource> {
    let own = select(seed.resources(signal).to_vec()).prop_flat_map(move |sample| {
        vec((attribute_key(seed), any_value()), 0..3).prop_map(move |extra| {
            let mut res = sample.clone();
            // Added before the real ones so `service.name` and friends keep their (last) value.
            let mut attributes: Vec<KeyValue> = extra.into_iter().map(|(key, value)| KeyValue { key: key.into(), value }).collect();
            attributes.append(&mut res.attributes);
            res.attributes = attributes;
            res
        })
    });
    let foreign = vec(("[a-z.]{1,16}", any_value()), 0..4).prop_map(|attributes| Resource {
        attributes: attributes.into_iter().map(|(key, value)| KeyValue { key: key.into(), value }).collect(),
        dropped_attributes_count: 0,
    });
    prop_oneof![12 => own, 1 => foreign].boxed()
}

/// A scope of the vendor, sometimes with random version and attributes.
pub fn scope(seed: &'static VendorSeed, signal: Signal) -> BoxedStrategy<Scope> {
    select(seed.scopes(signal).to_vec())
        .prop_flat_map(|sample| {
            (keep_or(sample.version.clone(), model_text()), vec(("[a-z.]{1,12}", any_value()), 0..2)).prop_map(move |(version, extra)| Scope {
                version,
                attributes: sample.attributes.iter().cloned().chain(extra.into_iter().map(|(key, value)| KeyValue { key: key.into(), value })).collect(),
                ..sample.clone()
            })
        })
        .boxed()
}

/// One export request of the signal, 1–2 resource groups of 1–2 scope groups of 0–5 items.
pub fn request(seed: &'static VendorSeed, signal: Signal) -> BoxedStrategy<ExportRequest> {
    let scope = move || scope(seed, signal);
    let resource = move || resource(seed, signal);
    match signal {
        Signal::Logs => vec(
            (resource(), vec((scope(), vec(log_record(seed), 0..5)), 1..3)).prop_map(|(resource, scopes)| ResourceLogs {
                resource,
                scope_logs: scopes.into_iter().map(|(scope, log_records)| ScopeLogs { scope, log_records, schema_url: Default::default() }).collect(),
                schema_url: Default::default(),
            }),
            1..3,
        )
        .prop_map(ExportRequest::Logs)
        .boxed(),
        Signal::Metrics => vec(
            (resource(), vec((scope(), vec(metric(seed), 0..4)), 1..3)).prop_map(|(resource, scopes)| ResourceMetrics {
                resource,
                scope_metrics: scopes.into_iter().map(|(scope, metrics)| ScopeMetrics { scope, metrics, schema_url: Default::default() }).collect(),
                schema_url: Default::default(),
            }),
            1..3,
        )
        .prop_map(ExportRequest::Metrics)
        .boxed(),
        Signal::Traces => vec(
            (resource(), vec((scope(), vec(span(seed), 0..5)), 1..3)).prop_map(|(resource, scopes)| ResourceSpans {
                resource,
                scope_spans: scopes.into_iter().map(|(scope, spans)| ScopeSpans { scope, spans, schema_url: Default::default() }).collect(),
                schema_url: Default::default(),
            }),
            1..3,
        )
        .prop_map(ExportRequest::Traces)
        .boxed(),
    }
}

/// A request of any signal.
pub fn any_request(seed: &'static VendorSeed) -> BoxedStrategy<ExportRequest> {
    prop_oneof![request(seed, Signal::Logs), request(seed, Signal::Metrics), request(seed, Signal::Traces)].boxed()
}

/// The requests of one capture, in arrival order.
pub fn requests(seed: &'static VendorSeed) -> BoxedStrategy<Vec<ExportRequest>> {
    vec(any_request(seed), 1..4).boxed()
}

/// Metrics without their required data field: each counts as one rejected item.
pub fn metrics_without_data(request: &ExportRequest) -> usize {
    match request {
        ExportRequest::Metrics(resources) => resources
            .iter()
            .flat_map(|it| &it.scope_metrics)
            .flat_map(|it| &it.metrics)
            .filter(|it| matches!(it.data, MetricData::Missing))
            .count(),
        _ => 0,
    }
}
