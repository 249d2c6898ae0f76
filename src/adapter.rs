//! The adapter contract: how one vendor's OTLP items become canonical records.
//!
//! Why the trait looks like this:
//! - An adapter sees *items* (log records, metric data points, spans) with their resource and
//!   scope, already decoded and already detected as its vendor's. It never sees bytes,
//!   encodings or files, so the same code serves recorded captures and the live collector.
//! - It sees all of its vendor's items of a capture at once, because some mappings need more
//!   than one item (parent spans that aggregate their children's tokens, cumulative streams).
//! - It is total: odd data becomes a [`Finding`] and, where nothing canonical fits, a
//!   passthrough record. It never returns an error and never panics.
//! - Every item it is given must come back accounted for: as the source of at least one
//!   record, or listed as ignored or rejected with a reason. The pipeline checks this.
//! - Privacy is not the adapter's job: it puts content into content keys and unknown
//!   attributes into `vendor_attributes`, and [`crate::privacy`] decides what survives.
//!
//! The helpers below ([`RecordBuilder`], [`AttrRule`], the coercions) make most of an
//! adapter a table.

use crate::capture::{Capture, Request};
use crate::finding::{Finding, Level, Location};
use crate::otlp::{
    hex_id, AnyValue, ExponentialHistogramDataPoint, ExportRequest, HistogramDataPoint, KeyValue, LogRecord,
    Metric, MetricData, NumberDataPoint, NumberValue, Resource, Scope, Signal, Span, SummaryDataPoint,
    Temporality,
};
use crate::schema::{attributes as attr, CanonicalRecord, CaptureMode, RecordKind, SourceRef, Value};

pub use crate::capture::ItemId;

/// What identifies a vendor's telemetry, strongest evidence first.
#[derive(Debug, Clone, Copy)]
pub struct Signature {
    /// Instrumentation scope names, matched as prefixes (`com.anthropic.claude_code`).
    pub scope_prefixes: &'static [&'static str],
    /// Resource `service.name` values, matched exactly.
    pub service_names: &'static [&'static str],
    /// Prefixes of event names (log `event.name` attribute or string body), metric names and
    /// span names that only this vendor emits.
    pub name_prefixes: &'static [&'static str],
}

/// A vendor adapter. See the module doc for the contract.
pub trait Adapter: Sync {
    /// Stable snake_case vendor id; equals the folder name in `adapters/`, `corpus/` and `snapshots/`.
    fn name(&self) -> &'static str;

    /// What identifies this vendor's telemetry.
    fn signature(&self) -> &'static Signature;

    /// Maps the vendor's items of one capture onto canonical records.
    fn normalize(&self, items: &[Item<'_>]) -> Normalized;

    /// Whether `item` may take part in a mapping that spans items: its records depending on
    /// another item (a span completing an event, a log paired with a span, an event naming
    /// another's provider), or another item's records depending on it (including being
    /// dropped as its duplicate). `false` is a promise, read off the adapter's code, that
    /// [`Adapter::normalize`] maps this item the same whatever items come with it, and maps
    /// every other item the same with or without it. The collector then normalizes a request
    /// made only of such items alone instead of with the earlier requests of its session.
    ///
    /// The default is the conservative `true`; an adapter overrides it only for items whose
    /// mapping its code shows to be per item.
    fn may_join_other_items(&self, item: &Item<'_>) -> bool {
        let _ = item;
        true
    }
}

/// Why an item was ignored or rejected: most reasons are fixed text (`"internal tracing
/// span"`), given for thousands of items, so they are borrowed rather than copied for each.
pub type Reason = std::borrow::Cow<'static, str>;

/// What an adapter produced.
#[derive(Debug, Default)]
pub struct Normalized {
    /// Canonical records, each naming its source item.
    pub records: Vec<CanonicalRecord>,
    /// Items deliberately not mapped, with the reason (for example debug logs).
    pub ignored: Vec<(ItemId, Reason)>,
    /// Items that could not be used, with the reason.
    pub rejected: Vec<(ItemId, Reason)>,
    /// Everything worth saying about the input.
    pub findings: Vec<Finding>,
}

/// One data point of a metric, whatever its type.
#[derive(Debug, Clone, Copy)]
pub enum Point<'a> {
    /// A gauge or sum point.
    Number(&'a NumberDataPoint),
    /// A histogram point.
    Histogram(&'a HistogramDataPoint),
    /// An exponential histogram point.
    ExponentialHistogram(&'a ExponentialHistogramDataPoint),
    /// A summary point.
    Summary(&'a SummaryDataPoint),
}

impl<'a> Point<'a> {
    /// The point's attributes.
    pub fn attributes(self) -> &'a [KeyValue] {
        match self {
            Point::Number(it) => &it.attributes,
            Point::Histogram(it) => &it.attributes,
            Point::ExponentialHistogram(it) => &it.attributes,
            Point::Summary(it) => &it.attributes,
        }
    }

    /// `timeUnixNano`.
    pub fn time_unix_nano(self) -> u64 {
        match self {
            Point::Number(it) => it.time_unix_nano,
            Point::Histogram(it) => it.time_unix_nano,
            Point::ExponentialHistogram(it) => it.time_unix_nano,
            Point::Summary(it) => it.time_unix_nano,
        }
    }

    /// `startTimeUnixNano`.
    pub fn start_time_unix_nano(self) -> u64 {
        match self {
            Point::Number(it) => it.start_time_unix_nano,
            Point::Histogram(it) => it.start_time_unix_nano,
            Point::ExponentialHistogram(it) => it.start_time_unix_nano,
            Point::Summary(it) => it.start_time_unix_nano,
        }
    }
}

/// The payload of an item.
#[derive(Debug, Clone, Copy)]
pub enum ItemData<'a> {
    /// A log record.
    Log(&'a LogRecord),
    /// A metric data point.
    Point {
        /// The metric it belongs to.
        metric: &'a Metric,
        /// The point.
        point: Point<'a>,
    },
    /// A span.
    Span(&'a Span),
}

/// One accountable input item with its context.
#[derive(Debug, Clone, Copy)]
pub struct Item<'a> {
    /// Its position in the capture.
    pub id: ItemId,
    /// The request it arrived in.
    pub request: &'a Request,
    /// Its resource.
    pub resource: &'a Resource,
    /// Its instrumentation scope.
    pub scope: &'a Scope,
    /// The payload.
    pub data: ItemData<'a>,
}

impl<'a> Item<'a> {
    /// The signal.
    pub fn signal(&self) -> Signal {
        self.request.signal
    }

    /// The item's own attributes (record, point or span attributes).
    pub fn attributes(&self) -> &'a [KeyValue] {
        match self.data {
            ItemData::Log(it) => &it.attributes,
            ItemData::Point { point, .. } => point.attributes(),
            ItemData::Span(it) => &it.attributes,
        }
    }

    /// The last value of an item attribute.
    pub fn attr(&self, key: &str) -> Option<&'a AnyValue> {
        crate::otlp::find_attr(self.attributes(), key)
    }

    /// The last value of a resource attribute.
    pub fn resource_attr(&self, key: &str) -> Option<&'a AnyValue> {
        crate::otlp::find_attr(&self.resource.attributes, key)
    }

    /// The OTLP path of the item, for findings and source references.
    pub fn locator(&self) -> String {
        self.id.locator(self.request.signal, match self.data {
            ItemData::Point { metric, .. } => Some(metric.data.kind_name()),
            _ => None,
        })
    }

    /// When the item happened: a log's time (or observed time when the time is 0), a point's
    /// time, a span's start. `None` when the input has none.
    pub fn time_unix_nano(&self) -> Option<u64> {
        let time = match self.data {
            ItemData::Log(it) => {
                if it.time_unix_nano != 0 {
                    it.time_unix_nano
                } else {
                    it.observed_time_unix_nano
                }
            }
            ItemData::Point { point, .. } => point.time_unix_nano(),
            ItemData::Span(it) => it.start_time_unix_nano,
        };
        (time != 0).then_some(time)
    }

    /// A location for findings about this item.
    pub fn location(&self, field: &str) -> Location {
        Location { file: self.request.file.clone(), locator: self.locator(), field: field.to_owned() }
    }
}

/// The items in an order that depends on their content only: time, then (spans) end time,
/// trace and span id, then everything else the item says; arrival order breaks no tie
/// between items that differ. Adapters that pair or number items ("the k-th span of a
/// session is the twin of the k-th event") iterate in this order, so how an exporter batched
/// or ordered its records cannot change which records come out.
pub fn in_content_order<'b, 'a>(items: &'b [Item<'a>]) -> Vec<&'b Item<'a>> {
    fn cheap_key<'a>(item: &Item<'a>) -> (u64, u64, &'a [u8], &'a [u8]) {
        match item.data {
            ItemData::Span(span) => {
                (span.start_time_unix_nano, span.end_time_unix_nano, &span.trace_id[..], &span.span_id[..])
            }
            _ => (item.time_unix_nano().unwrap_or(0), 0, &[][..], &[][..]),
        }
    }
    let mut ordered: Vec<&Item<'a>> = items.iter().collect();
    ordered.sort_by(|a, b| cheap_key(a).cmp(&cheap_key(b)).then_with(|| a.id.cmp(&b.id)));
    // Runs of equal times and ids (log records of one millisecond, say): ordered by their whole
    // payload, field by field, then by position only between equal items.
    let mut start = 0;
    while start < ordered.len() {
        let key = cheap_key(ordered[start]);
        let end = start + ordered[start..].iter().take_while(|it| cheap_key(it) == key).count();
        if end - start > 1 {
            ordered[start..end]
                .sort_by(|a, b| crate::content_order::cmp_item_data(&a.data, &b.data).then_with(|| a.id.cmp(&b.id)));
        }
        start = end;
    }
    ordered
}

/// Every accountable item of a capture, in arrival order.
pub fn items(capture: &Capture) -> Vec<Item<'_>> {
    let mut res = Vec::new();
    for (request_index, request) in capture.requests.iter().enumerate() {
        push_items(request_index as u32, request, &mut res);
    }
    res
}

fn push_items<'a>(request_index: u32, request: &'a Request, res: &mut Vec<Item<'a>>) {
    let id = |resource: usize, scope: usize, item: usize, point: usize| ItemId {
        request: request_index,
        resource: resource as u32,
        scope: scope as u32,
        item: item as u32,
        point: point as u32,
    };
    match &request.decoded.request {
        ExportRequest::Logs(resources) => {
            for (ri, resource_logs) in resources.iter().enumerate() {
                for (si, scope_logs) in resource_logs.scope_logs.iter().enumerate() {
                    for (li, record) in scope_logs.log_records.iter().enumerate() {
                        res.push(Item {
                            id: id(ri, si, li, 0),
                            request,
                            resource: &resource_logs.resource,
                            scope: &scope_logs.scope,
                            data: ItemData::Log(record),
                        });
                    }
                }
            }
        }
        ExportRequest::Metrics(resources) => {
            for (ri, resource_metrics) in resources.iter().enumerate() {
                for (si, scope_metrics) in resource_metrics.scope_metrics.iter().enumerate() {
                    for (mi, metric) in scope_metrics.metrics.iter().enumerate() {
                        let points: Vec<Point<'a>> = match &metric.data {
                            MetricData::Missing => Vec::new(),
                            MetricData::Gauge { points } | MetricData::Sum { points, .. } => {
                                points.iter().map(Point::Number).collect()
                            }
                            MetricData::Histogram { points, .. } => points.iter().map(Point::Histogram).collect(),
                            MetricData::ExponentialHistogram { points, .. } => {
                                points.iter().map(Point::ExponentialHistogram).collect()
                            }
                            MetricData::Summary { points } => points.iter().map(Point::Summary).collect(),
                        };
                        for (pi, point) in points.into_iter().enumerate() {
                            res.push(Item {
                                id: id(ri, si, mi, pi),
                                request,
                                resource: &resource_metrics.resource,
                                scope: &scope_metrics.scope,
                                data: ItemData::Point { metric, point },
                            });
                        }
                    }
                }
            }
        }
        ExportRequest::Traces(resources) => {
            for (ri, resource_spans) in resources.iter().enumerate() {
                for (si, scope_spans) in resource_spans.scope_spans.iter().enumerate() {
                    for (xi, span) in scope_spans.spans.iter().enumerate() {
                        res.push(Item {
                            id: id(ri, si, xi, 0),
                            request,
                            resource: &resource_spans.resource,
                            scope: &scope_spans.scope,
                            data: ItemData::Span(span),
                        });
                    }
                }
            }
        }
    }
}

/// Builds one canonical record from one item.
#[derive(Debug)]
pub struct RecordBuilder {
    record: CanonicalRecord,
}

impl RecordBuilder {
    /// Starts a record of `kind` for `item`, named `name` (the vendor's event, metric or span
    /// name). Sets the source, the time, the vendor, and trace and span ids when present.
    pub fn new(vendor: &'static str, kind: RecordKind, item: &Item<'_>, name: &str) -> RecordBuilder {
        let mut record = CanonicalRecord {
            kind,
            vendor,
            session_id: None,
            time_unix_nano: item.time_unix_nano(),
            capture_mode: CaptureMode::Full,
            attributes: Default::default(),
            vendor_attributes: Default::default(),
            source: Some(SourceRef {
                file: item.request.file.clone(),
                signal: item.signal(),
                locator: item.locator(),
                name: name.to_owned(),
            }),
            item: Some(item.id),
            vendor_metadata: Default::default(),
        };
        let (trace_id, span_id, parent_span_id): (&[u8], &[u8], &[u8]) = match item.data {
            ItemData::Log(it) => (&it.trace_id, &it.span_id, &[]),
            ItemData::Span(it) => (&it.trace_id, &it.span_id, &it.parent_span_id),
            ItemData::Point { .. } => (&[], &[], &[]),
        };
        for (key, id) in [(attr::TRACE_ID, trace_id), (attr::SPAN_ID, span_id), (attr::PARENT_SPAN_ID, parent_span_id)] {
            if !id.is_empty() {
                let _ = record.attributes.insert(key, Value::Str(hex_id(id)));
            }
        }
        let _ = record.attributes.insert(attr::VENDOR, Value::Str(vendor.to_owned()));
        RecordBuilder { record }
    }

    /// Sets a canonical attribute.
    pub fn set(&mut self, key: &'static str, value: Value) -> &mut Self {
        let _ = self.record.attributes.insert(key, value);
        self
    }

    /// Sets a canonical attribute when the value is present.
    pub fn set_opt(&mut self, key: &'static str, value: Option<Value>) -> &mut Self {
        if let Some(value) = value {
            let _ = self.record.attributes.insert(key, value);
        }
        self
    }

    /// Whether a canonical attribute is already set.
    pub fn has(&self, key: &str) -> bool {
        self.record.attributes.contains_key(key)
    }

    /// Removes a canonical attribute.
    pub fn remove(&mut self, key: &str) {
        let _ = self.record.attributes.remove(key);
    }

    /// Reads back a canonical attribute.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.record.attributes.get(key)
    }

    /// Sets the session id (also as the `coding_agent.session.id` attribute).
    pub fn session(&mut self, session_id: Option<String>) -> &mut Self {
        if let Some(session_id) = session_id.filter(|it| !it.is_empty()) {
            let _ = self.record.attributes.insert(attr::SESSION_ID, Value::Str(session_id.clone()));
            self.record.session_id = Some(session_id);
        }
        self
    }

    /// Overrides the record time.
    pub fn time(&mut self, time_unix_nano: Option<u64>) -> &mut Self {
        self.record.time_unix_nano = time_unix_nano.filter(|it| *it != 0);
        self
    }

    /// Keeps a vendor attribute that has no canonical key, under `key`.
    pub fn vendor_attr(&mut self, key: &str, value: &AnyValue) -> &mut Self {
        self.vendor_attr_owned(key.to_owned(), value)
    }

    /// [`RecordBuilder::vendor_attr`] for a key the adapter built (no second copy of it).
    pub fn vendor_attr_owned(&mut self, key: String, value: &AnyValue) -> &mut Self {
        let _ = self.record.vendor_attributes.insert(key, any_to_value(value));
        self
    }

    /// Keeps a vendor attribute the adapter knows to be metadata (an id, a name, an
    /// enumeration): unlike [`RecordBuilder::vendor_attr`], `metadata_only` keeps its value.
    pub fn vendor_metadata(&mut self, key: &str, value: &AnyValue) -> &mut Self {
        self.vendor_metadata_owned(key.to_owned(), value)
    }

    /// [`RecordBuilder::vendor_metadata`] for a key the adapter built.
    pub fn vendor_metadata_owned(&mut self, key: String, value: &AnyValue) -> &mut Self {
        let _ = self.record.vendor_metadata.insert(key.clone());
        let _ = self.record.vendor_attributes.insert(key, any_to_value(value));
        self
    }

    /// Finishes the record.
    pub fn finish(self) -> CanonicalRecord {
        self.record
    }
}

/// The vendor key a resource attribute is kept under: `resource.<key>`. (Not `format!`: it is
/// made for every resource attribute of every record, and formatting showed in profiles.)
pub fn resource_key(key: &str) -> String {
    ["resource.", key].concat()
}

/// Converts a wire value to a canonical value without interpretation (for vendor attributes).
pub fn any_to_value(value: &AnyValue) -> Value {
    match value {
        // `as_str().to_owned()`: one exact copy; `to_string()` on a `Str` goes through `Display`.
        AnyValue::String(it) => Value::Str(it.as_str().to_owned()),
        AnyValue::Int(it) => Value::Int(*it),
        AnyValue::Double(it) => Value::Double(*it),
        AnyValue::Bool(it) => Value::Bool(*it),
        AnyValue::Bytes(it) => Value::from_bytes(it),
        other => Value::Json(any_to_json(other)),
    }
}

/// Converts a wire value to plain JSON (bytes as base64 text, `{}` as null).
pub fn any_to_json(value: &AnyValue) -> serde_json::Value {
    use base64::Engine;
    match value {
        AnyValue::Empty => serde_json::Value::Null,
        AnyValue::String(it) => serde_json::Value::String(it.as_str().to_owned()),
        AnyValue::Bool(it) => serde_json::Value::Bool(*it),
        AnyValue::Int(it) => serde_json::Value::from(*it),
        AnyValue::Double(it) => serde_json::Number::from_f64(*it)
            .map(serde_json::Value::Number)
            .unwrap_or_else(|| serde_json::Value::String(it.to_string())),
        AnyValue::Bytes(it) => serde_json::Value::String(base64::engine::general_purpose::STANDARD.encode(it)),
        AnyValue::Array(values) => serde_json::Value::Array(values.iter().map(any_to_json).collect()),
        AnyValue::KvList(values) => {
            serde_json::Value::Object(values.iter().map(|it| (it.key.as_str().to_owned(), any_to_json(&it.value))).collect())
        }
    }
}

/// Converts plain JSON back to a wire value (integers stay integers, `null` is empty): the
/// way back of [`any_to_json`], for canonical values that carry JSON.
pub fn json_to_any(json: &serde_json::Value) -> AnyValue {
    match json {
        serde_json::Value::Null => AnyValue::Empty,
        serde_json::Value::Bool(it) => AnyValue::Bool(*it),
        serde_json::Value::Number(number) => match number.as_i64() {
            Some(it) => AnyValue::Int(it),
            None => AnyValue::Double(number.as_f64().unwrap_or(f64::NAN)),
        },
        serde_json::Value::String(it) => AnyValue::String(it.as_str().into()),
        serde_json::Value::Array(items) => AnyValue::Array(items.iter().map(json_to_any).collect()),
        serde_json::Value::Object(map) => AnyValue::KvList(
            map.iter().map(|(key, value)| KeyValue { key: key.as_str().into(), value: json_to_any(value) }).collect(),
        ),
    }
}

/// Reads an integer sent as an int, an integral double or a decimal string (`"51"`).
pub fn as_i64(value: &AnyValue) -> Option<i64> {
    match value {
        AnyValue::Int(it) => Some(*it),
        AnyValue::Double(it) if it.fract() == 0.0 && it.is_finite() && it.abs() < 9.0e15 => Some(*it as i64),
        AnyValue::String(it) => {
            let text = it.trim();
            text.parse::<i64>().ok().or_else(|| {
                let parsed = text.parse::<f64>().ok()?;
                (parsed.fract() == 0.0 && parsed.is_finite() && parsed.abs() < 9.0e15).then_some(parsed as i64)
            })
        }
        _ => None,
    }
}

/// Reads a number sent as an int, a double or a decimal string.
pub fn as_f64(value: &AnyValue) -> Option<f64> {
    match value {
        AnyValue::Int(it) => Some(*it as f64),
        AnyValue::Double(it) => Some(*it),
        AnyValue::String(it) => it.trim().parse::<f64>().ok(),
        _ => None,
    }
}

/// Reads a boolean sent as a bool, `"true"`/`"false"` (any case) or 0/1.
pub fn as_bool(value: &AnyValue) -> Option<bool> {
    match value {
        AnyValue::Bool(it) => Some(*it),
        AnyValue::String(it) => match it.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            _ => None,
        },
        AnyValue::Int(0) => Some(false),
        AnyValue::Int(1) => Some(true),
        _ => None,
    }
}

/// Reads a string; numbers and booleans are spelled out (vendors type ids both ways).
pub fn as_string(value: &AnyValue) -> Option<String> {
    match value {
        AnyValue::String(it) => Some(it.as_str().to_owned()),
        AnyValue::Int(it) => Some(it.to_string()),
        AnyValue::Double(it) => Some(it.to_string()),
        AnyValue::Bool(it) => Some(it.to_string()),
        _ => None,
    }
}

/// Converts a USD amount to exact integer micro-USD, rounding half away from zero at the
/// sixth decimal. Works on the decimal text (the shortest repr of a double), so `0.0123`
/// becomes 12300 exactly, never 12299.
pub fn usd_to_micros(value: &AnyValue) -> Option<i64> {
    let text = match value {
        AnyValue::Double(it) if it.is_finite() => it.to_string(),
        AnyValue::Int(it) => it.to_string(),
        AnyValue::String(it) => {
            let parsed: f64 = it.trim().parse().ok()?;
            if !parsed.is_finite() {
                return None;
            }
            parsed.to_string()
        }
        _ => return None,
    };
    decimal_to_micros(&text)
}

fn decimal_to_micros(text: &str) -> Option<i64> {
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let whole: i64 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
    let mut digits = fraction.bytes();
    let mut micros: i64 = 0;
    for _ in 0..6 {
        let digit = digits.next().map(|it| i64::from(it.wrapping_sub(b'0'))).unwrap_or(0);
        if !(0..=9).contains(&digit) {
            return None;
        }
        micros = micros * 10 + digit;
    }
    let round_up = digits.next().is_some_and(|it| it >= b'5');
    let total = whole.checked_mul(1_000_000)?.checked_add(micros + i64::from(round_up))?;
    Some(if negative { -total } else { total })
}

/// Normalizes a model name: trims it and removes a bracketed suffix (`claude-opus-4-8[1m]`).
pub fn normalize_model(raw: &str) -> String {
    let trimmed = raw.trim();
    match trimmed.find('[') {
        Some(index) if trimmed.ends_with(']') && index > 0 => trimmed[..index].trim_end().to_owned(),
        _ => trimmed.to_owned(),
    }
}

/// How a vendor attribute converts to its canonical key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conv {
    /// Kept as a string (numbers spelled out).
    Str,
    /// An integer (strings parsed).
    Int,
    /// A boolean (strings parsed).
    Bool,
    /// A double (strings parsed).
    Double,
    /// A model name: normalized into the key, the raw form into `coding_agent.model.raw` when it differs.
    Model,
    /// A USD amount: converted to exact micro-USD.
    UsdToMicros,
    /// A list of strings (an array, or one string).
    StrList,
    /// A string holding a JSON array of strings (`"[\"end_turn\"]"`).
    JsonStrList,
    /// Not mapped: kept as a vendor attribute under its own key, declared metadata so
    /// `metadata_only` keeps its value (see [`keep`]).
    VendorMetadata,
}

/// One row of an adapter's attribute table.
#[derive(Debug, Clone, Copy)]
pub struct AttrRule {
    /// The vendor's key.
    pub vendor_key: &'static str,
    /// The canonical key it maps to.
    pub canonical: &'static str,
    /// The conversion.
    pub conv: Conv,
}

/// Shorthand for an [`AttrRule`].
pub const fn rule(vendor_key: &'static str, canonical: &'static str, conv: Conv) -> AttrRule {
    AttrRule { vendor_key, canonical, conv }
}

/// A row keeping a vendor attribute the adapter knows to be metadata under its own key.
/// Only for values that can never carry content: ids, fixed enumerations, product names.
pub const fn keep(vendor_key: &'static str) -> AttrRule {
    AttrRule { vendor_key, canonical: "", conv: Conv::VendorMetadata }
}

/// Converts a value by `conv`; `None` when it does not convert.
pub fn convert(value: &AnyValue, conv: Conv) -> Option<Value> {
    match conv {
        Conv::Str | Conv::Model => as_string(value).map(Value::Str),
        Conv::Int => as_i64(value).map(Value::Int),
        Conv::Bool => as_bool(value).map(Value::Bool),
        Conv::Double => as_f64(value).map(Value::Double),
        Conv::UsdToMicros => usd_to_micros(value).map(Value::Int),
        Conv::StrList => match value {
            AnyValue::Array(values) => values.iter().map(as_string).collect::<Option<Vec<_>>>().map(Value::StrList),
            other => as_string(other).map(|it| Value::StrList(vec![it])),
        },
        Conv::JsonStrList => {
            let text = value.as_str()?;
            serde_json::from_str::<Vec<String>>(text).ok().map(Value::StrList)
        }
        Conv::VendorMetadata => Some(crate::adapter::any_to_value(value)),
    }
}

/// Applies an attribute table to `attributes`: mapped keys go to canonical attributes (an
/// already-set canonical key is not overwritten), keys in `consumed` are dropped (the adapter
/// read them itself), and everything else is kept as a vendor attribute. A value that does
/// not convert is kept as a vendor attribute and reported.
pub fn apply_rules(
    builder: &mut RecordBuilder,
    item: &Item<'_>,
    attributes: &[KeyValue],
    rules: &[AttrRule],
    consumed: &[&str],
    findings: &mut Vec<Finding>,
    vendor: &'static str,
) {
    for kv in attributes {
        if consumed.contains(&kv.key.as_str()) {
            continue;
        }
        let Some(rule) = rules.iter().find(|it| it.vendor_key == kv.key) else {
            let _ = builder.vendor_attr(&kv.key, &kv.value);
            continue;
        };
        if matches!(kv.value, AnyValue::Empty) {
            // `{}` is how several exporters spell null: absent stays absent.
            continue;
        }
        if rule.conv == Conv::VendorMetadata {
            let _ = builder.vendor_metadata(&kv.key, &kv.value);
            continue;
        }
        match convert(&kv.value, rule.conv) {
            Some(value) => {
                if rule.conv == Conv::Model {
                    if let Value::Str(raw) = &value {
                        let normalized = normalize_model(raw);
                        if &normalized != raw && !builder.has(attr::MODEL_RAW) {
                            let _ = builder.set(attr::MODEL_RAW, Value::Str(raw.clone()));
                        }
                        if !builder.has(rule.canonical) {
                            let _ = builder.set(rule.canonical, Value::Str(normalized));
                        }
                        continue;
                    }
                }
                if !builder.has(rule.canonical) {
                    let _ = builder.set(rule.canonical, value);
                }
            }
            None => {
                findings.push(
                    Finding::new(
                        "uncoercible_value",
                        Level::Improvement,
                        format!(
                            "attribute `{}` is a {} that does not convert to {:?}; kept as a vendor attribute",
                            kv.key,
                            kv.value.wire_type(),
                            rule.conv
                        ),
                    )
                    .for_vendor(vendor)
                    .at(item.location(&kv.key)),
                );
                let _ = builder.vendor_attr(&kv.key, &kv.value);
            }
        }
    }
}

/// The canonical name of a temporality.
pub fn temporality_name(data: &MetricData) -> &'static str {
    match data.temporality() {
        None => "gauge",
        Some(Temporality::Delta) => "delta",
        Some(Temporality::Cumulative) => "cumulative",
        Some(Temporality::Unspecified) => "unspecified",
        Some(Temporality::Other(_)) => "unknown",
    }
}

/// Starts a `metric_point` (or other kind) record for a data point: sets the metric name,
/// source name, unit, temporality, start time and value. `value_conv` turns the raw value
/// into the canonical unit (for example USD to micro-USD); the pipeline later adds
/// `coding_agent.metric.delta`.
pub fn metric_record(
    vendor: &'static str,
    kind: RecordKind,
    item: &Item<'_>,
    canonical_name: &str,
    unit: &str,
    value_conv: fn(f64) -> Value,
) -> RecordBuilder {
    let ItemData::Point { metric, point } = item.data else {
        return RecordBuilder::new(vendor, kind, item, canonical_name);
    };
    let mut builder = RecordBuilder::new(vendor, kind, item, &metric.name);
    let _ = builder
        .set(attr::METRIC_NAME, Value::Str(canonical_name.to_owned()))
        .set(attr::METRIC_SOURCE_NAME, Value::Str(metric.name.as_str().to_owned()))
        .set(attr::METRIC_UNIT, Value::Str(unit.to_owned()))
        .set(attr::METRIC_TEMPORALITY, Value::Str(temporality_name(&metric.data).to_owned()));
    let start = point.start_time_unix_nano();
    if start != 0 {
        let _ = builder.set(attr::METRIC_START_TIME, Value::Int(start as i64));
    }
    let raw = match point {
        Point::Number(it) => match it.value {
            NumberValue::Missing => None,
            value => value.as_f64(),
        },
        Point::Histogram(it) => it.sum,
        Point::ExponentialHistogram(it) => it.sum,
        Point::Summary(it) => Some(it.sum),
    };
    if let Some(raw) = raw {
        let _ = builder.set(attr::METRIC_VALUE, value_conv(raw));
    }
    builder
}

/// The identity conversion for metric values: integral values become integers.
pub fn plain_number(value: f64) -> Value {
    if value.fract() == 0.0 && value.is_finite() && value.abs() < 9.0e15 {
        Value::Int(value as i64)
    } else {
        Value::Double(value)
    }
}

/// USD metric values to exact micro-USD.
pub fn usd_number_to_micros(value: f64) -> Value {
    usd_to_micros(&AnyValue::Double(value)).map(Value::Int).unwrap_or(Value::Double(value * 1e6))
}

/// Keys that name a shell command in tool arguments, most complete first (Claude Code's
/// `bash_command` is only the program name, so `full_command` comes before it).
const COMMAND_ARGUMENT_KEYS: &[&str] = &["full_command", "command", "cmd", "bash_command"];

/// Keys that name a file path in tool arguments.
const PATH_ARGUMENT_KEYS: &[&str] =
    &["file_path", "filePath", "absolute_path", "notebook_path", "path", "dir_path", "directory"];

/// Sets `coding_agent.shell.command` and `coding_agent.file.path` (content keys) from the tool
/// arguments held in the canonical `sources` keys, when they are a JSON object (or one wrapped
/// as `{"args": {...}}`); a command given as an argv array is joined with spaces. Keys already
/// set are kept. Every vendor names these arguments its own way; one list serves them all.
pub fn command_and_path_from_arguments(builder: &mut RecordBuilder, sources: &[&'static str]) {
    for source in sources {
        let Some(Value::Str(text)) = builder.get(source) else { continue };
        let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(text) else { continue };
        let arguments = match map.get("args") {
            Some(serde_json::Value::Object(args)) => args.clone(),
            _ => map,
        };
        let command = COMMAND_ARGUMENT_KEYS.iter().find_map(|key| match arguments.get(*key) {
            Some(serde_json::Value::String(command)) if !command.is_empty() => Some(command.clone()),
            Some(serde_json::Value::Array(argv)) => {
                let words: Vec<&str> = argv.iter().filter_map(|it| it.as_str()).collect();
                (!words.is_empty()).then(|| words.join(" "))
            }
            _ => None,
        });
        let path = PATH_ARGUMENT_KEYS
            .iter()
            .find_map(|key| arguments.get(*key).and_then(|it| it.as_str()).filter(|it| !it.is_empty()).map(str::to_owned));
        if let Some(command) = command {
            if !builder.has(attr::SHELL_COMMAND) {
                let _ = builder.set(attr::SHELL_COMMAND, Value::Str(command));
            }
        }
        if let Some(path) = path {
            if !builder.has(attr::FILE_PATH) {
                let _ = builder.set(attr::FILE_PATH, Value::Str(path));
            }
        }
    }
}

/// A passthrough record for an item no canonical kind fits: keeps every attribute as a vendor
/// attribute, and reports it once per name through `findings`.
pub fn passthrough(vendor: &'static str, item: &Item<'_>, name: &str) -> RecordBuilder {
    let mut builder = RecordBuilder::new(vendor, RecordKind::Passthrough, item, name);
    for kv in item.attributes() {
        let _ = builder.vendor_attr(&kv.key, &kv.value);
    }
    builder
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usd_converts_exactly() {
        let cases: &[(AnyValue, Option<i64>)] = &[
            (AnyValue::Double(0.0123), Some(12_300)),
            (AnyValue::Double(0.1 + 0.2), Some(300_000)),
            (AnyValue::Double(1.5), Some(1_500_000)),
            (AnyValue::Double(0.0000005), Some(1)),
            (AnyValue::Double(0.0000004), Some(0)),
            (AnyValue::Double(1e-7), Some(0)),
            (AnyValue::Double(123456.789), Some(123_456_789_000)),
            (AnyValue::String("0.002469".into()), Some(2_469)),
            (AnyValue::Int(2), Some(2_000_000)),
            (AnyValue::Double(-0.25), Some(-250_000)),
            (AnyValue::Double(f64::NAN), None),
            (AnyValue::String("abc".into()), None),
        ];
        for (input, expect) in cases {
            assert_eq!(usd_to_micros(input), *expect, "{input:?}");
        }
    }

    #[test]
    fn numbers_and_booleans_coerce_from_strings() {
        assert_eq!(as_i64(&AnyValue::String("51".into())), Some(51));
        assert_eq!(as_i64(&AnyValue::String(" 7 ".into())), Some(7));
        assert_eq!(as_i64(&AnyValue::Double(30.0)), Some(30));
        assert_eq!(as_i64(&AnyValue::Double(30.5)), None);
        assert_eq!(as_i64(&AnyValue::String("x".into())), None);
        assert_eq!(as_bool(&AnyValue::String("TRUE".into())), Some(true));
        assert_eq!(as_bool(&AnyValue::String("false".into())), Some(false));
        assert_eq!(as_bool(&AnyValue::String("maybe".into())), None);
    }

    #[test]
    fn models_lose_bracketed_suffixes_only() {
        assert_eq!(normalize_model("claude-opus-4-8[1m]"), "claude-opus-4-8");
        assert_eq!(normalize_model(" claude-haiku-4-5-20251001 "), "claude-haiku-4-5-20251001");
        assert_eq!(normalize_model("[weird]"), "[weird]");
        assert_eq!(normalize_model("gpt-5.1-codex"), "gpt-5.1-codex");
    }
}
