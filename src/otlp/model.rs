//! The one in-memory form of an OTLP export request, whatever encoding it arrived in.
//!
//! JSON and protobuf bodies decode into these types, so everything downstream (detection,
//! adapters, inspection) is encoding-blind.
//! The types mirror the OTLP protobuf messages, minus what no consumer reads (exemplars,
//! metric metadata, entity refs).
//! Ids are kept as raw bytes; an empty id means absent, as OTLP says.
//! Attribute lists keep duplicates and order, because vendors send both (Codex sends
//! `thread.id` twice with two types) and detection of such quirks needs the raw list.
//! Strings are [`Str`]: slices of the decoded body where the wire holds them as they are
//! (see [`super::text`]), so decoding allocates once per body rather than once per string.

pub use super::text::Str;

/// The three OTLP signals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Signal {
    /// `ExportLogsServiceRequest`, posted to `/v1/logs`.
    Logs,
    /// `ExportMetricsServiceRequest`, posted to `/v1/metrics`.
    Metrics,
    /// `ExportTraceServiceRequest`, posted to `/v1/traces`.
    Traces,
}

impl Signal {
    /// Every signal, in a fixed order.
    pub const ALL: [Signal; 3] = [Signal::Logs, Signal::Metrics, Signal::Traces];

    /// The lowercase name used in file names, URL paths and reports (`logs`, `metrics`, `traces`).
    pub fn as_str(self) -> &'static str {
        match self {
            Signal::Logs => "logs",
            Signal::Metrics => "metrics",
            Signal::Traces => "traces",
        }
    }

    /// Parses `logs`, `metrics` or `traces` (also the singular forms and `spans`).
    pub fn parse(text: &str) -> Option<Signal> {
        match text {
            "logs" | "log" => Some(Signal::Logs),
            "metrics" | "metric" => Some(Signal::Metrics),
            "traces" | "trace" | "spans" => Some(Signal::Traces),
            _ => None,
        }
    }
}

impl std::fmt::Display for Signal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A decoded export request of one signal.
#[derive(Debug, Clone, PartialEq)]
pub enum ExportRequest {
    /// `ExportLogsServiceRequest.resource_logs`.
    Logs(Vec<ResourceLogs>),
    /// `ExportMetricsServiceRequest.resource_metrics`.
    Metrics(Vec<ResourceMetrics>),
    /// `ExportTraceServiceRequest.resource_spans`.
    Traces(Vec<ResourceSpans>),
}

impl ExportRequest {
    /// The signal of this request.
    pub fn signal(&self) -> Signal {
        match self {
            ExportRequest::Logs(_) => Signal::Logs,
            ExportRequest::Metrics(_) => Signal::Metrics,
            ExportRequest::Traces(_) => Signal::Traces,
        }
    }

    /// An empty request of the given signal.
    pub fn empty(signal: Signal) -> ExportRequest {
        match signal {
            Signal::Logs => ExportRequest::Logs(Vec::new()),
            Signal::Metrics => ExportRequest::Metrics(Vec::new()),
            Signal::Traces => ExportRequest::Traces(Vec::new()),
        }
    }

    /// How many accountable items the request holds: log records, data points or spans.
    pub fn item_count(&self) -> usize {
        match self {
            ExportRequest::Logs(resources) => resources
                .iter()
                .flat_map(|it| &it.scope_logs)
                .map(|it| it.log_records.len())
                .sum(),
            ExportRequest::Metrics(resources) => resources
                .iter()
                .flat_map(|it| &it.scope_metrics)
                .flat_map(|it| &it.metrics)
                .map(|it| it.data.point_count())
                .sum(),
            ExportRequest::Traces(resources) => resources
                .iter()
                .flat_map(|it| &it.scope_spans)
                .map(|it| it.spans.len())
                .sum(),
        }
    }
}

/// A `common.v1.AnyValue`. `Empty` is the legal empty value `{}` (vendors send it for null).
#[derive(Debug, Clone, PartialEq)]
pub enum AnyValue {
    /// `{}`: no variant set.
    Empty,
    /// `stringValue`.
    String(Str),
    /// `boolValue`.
    Bool(bool),
    /// `intValue` (a JSON number or a decimal string on the wire).
    Int(i64),
    /// `doubleValue` (a JSON number or `"NaN"`, `"Infinity"`, `"-Infinity"`).
    Double(f64),
    /// `bytesValue` (base64 in JSON).
    Bytes(Vec<u8>),
    /// `arrayValue.values`.
    Array(Vec<AnyValue>),
    /// `kvlistValue.values`.
    KvList(Vec<KeyValue>),
}

impl AnyValue {
    /// The OTLP/JSON name of the variant, as `codetel inspect` reports wire types.
    pub fn wire_type(&self) -> &'static str {
        match self {
            AnyValue::Empty => "empty",
            AnyValue::String(_) => "stringValue",
            AnyValue::Bool(_) => "boolValue",
            AnyValue::Int(_) => "intValue",
            AnyValue::Double(_) => "doubleValue",
            AnyValue::Bytes(_) => "bytesValue",
            AnyValue::Array(_) => "arrayValue",
            AnyValue::KvList(_) => "kvlistValue",
        }
    }

    /// The string, if this is a `stringValue`.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            AnyValue::String(it) => Some(it),
            _ => None,
        }
    }
}

/// A `common.v1.KeyValue`.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyValue {
    /// The attribute key.
    pub key: Str,
    /// The value; `AnyValue::Empty` when the wire had none.
    pub value: AnyValue,
}

/// Finds the last value for `key` (OTLP says duplicate keys are invalid; last wins here).
pub fn find_attr<'a>(attributes: &'a [KeyValue], key: &str) -> Option<&'a AnyValue> {
    attributes.iter().rev().find(|it| it.key == key).map(|it| &it.value)
}

/// A `resource.v1.Resource`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Resource {
    /// Resource attributes (`service.name`, `service.version`, ...).
    pub attributes: Vec<KeyValue>,
    /// `droppedAttributesCount`.
    pub dropped_attributes_count: u32,
}

/// A `common.v1.InstrumentationScope`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Scope {
    /// Scope name, for example `com.anthropic.claude_code.events`.
    pub name: Str,
    /// Scope version; empty when absent.
    pub version: Str,
    /// Scope attributes.
    pub attributes: Vec<KeyValue>,
}

/// `logs.v1.ResourceLogs`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ResourceLogs {
    /// The resource.
    pub resource: Resource,
    /// `scopeLogs`.
    pub scope_logs: Vec<ScopeLogs>,
    /// `schemaUrl`.
    pub schema_url: Str,
}

/// `logs.v1.ScopeLogs`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ScopeLogs {
    /// The instrumentation scope.
    pub scope: Scope,
    /// `logRecords`.
    pub log_records: Vec<LogRecord>,
    /// `schemaUrl`.
    pub schema_url: Str,
}

/// `logs.v1.LogRecord`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LogRecord {
    /// `timeUnixNano`; 0 when absent (Codex always sends "0").
    pub time_unix_nano: u64,
    /// `observedTimeUnixNano`; 0 when absent.
    pub observed_time_unix_nano: u64,
    /// `severityNumber` (0 = unspecified).
    pub severity_number: i32,
    /// `severityText`.
    pub severity_text: Str,
    /// `body`; `None` when absent or JSON `null`.
    pub body: Option<AnyValue>,
    /// Record attributes.
    pub attributes: Vec<KeyValue>,
    /// `droppedAttributesCount`.
    pub dropped_attributes_count: u32,
    /// `flags`.
    pub flags: u32,
    /// `traceId` as bytes; empty when absent.
    pub trace_id: Vec<u8>,
    /// `spanId` as bytes; empty when absent.
    pub span_id: Vec<u8>,
    /// `eventName` (proto field 12); empty when absent. Codex puts a source location here.
    pub event_name: Str,
}

/// `metrics.v1.ResourceMetrics`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ResourceMetrics {
    /// The resource.
    pub resource: Resource,
    /// `scopeMetrics`.
    pub scope_metrics: Vec<ScopeMetrics>,
    /// `schemaUrl`.
    pub schema_url: Str,
}

/// `metrics.v1.ScopeMetrics`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ScopeMetrics {
    /// The instrumentation scope.
    pub scope: Scope,
    /// `metrics`.
    pub metrics: Vec<Metric>,
    /// `schemaUrl`.
    pub schema_url: Str,
}

/// `metrics.v1.Metric`.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    /// Metric name.
    pub name: Str,
    /// Description.
    pub description: Str,
    /// Unit (UCUM), for example `USD`, `tokens`, `s`, `ms`.
    pub unit: Str,
    /// The data oneof.
    pub data: MetricData,
}

/// `metrics.v1.AggregationTemporality`, kept as sent (unknown values stay visible).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Temporality {
    /// 0.
    Unspecified,
    /// 1.
    Delta,
    /// 2.
    Cumulative,
    /// Any other number.
    Other(i32),
}

impl Temporality {
    /// From the wire integer.
    pub fn from_i32(value: i32) -> Temporality {
        match value {
            0 => Temporality::Unspecified,
            1 => Temporality::Delta,
            2 => Temporality::Cumulative,
            other => Temporality::Other(other),
        }
    }

    /// The wire integer.
    pub fn as_i32(self) -> i32 {
        match self {
            Temporality::Unspecified => 0,
            Temporality::Delta => 1,
            Temporality::Cumulative => 2,
            Temporality::Other(other) => other,
        }
    }
}

/// The `Metric.data` oneof.
#[derive(Debug, Clone, PartialEq)]
pub enum MetricData {
    /// The oneof was not set: the metric carries no data points at all.
    Missing,
    /// `gauge`.
    Gauge {
        /// Data points.
        points: Vec<NumberDataPoint>,
    },
    /// `sum`.
    Sum {
        /// Data points.
        points: Vec<NumberDataPoint>,
        /// `aggregationTemporality`.
        temporality: Temporality,
        /// `isMonotonic`.
        is_monotonic: bool,
    },
    /// `histogram`.
    Histogram {
        /// Data points.
        points: Vec<HistogramDataPoint>,
        /// `aggregationTemporality`.
        temporality: Temporality,
    },
    /// `exponentialHistogram`.
    ExponentialHistogram {
        /// Data points.
        points: Vec<ExponentialHistogramDataPoint>,
        /// `aggregationTemporality`.
        temporality: Temporality,
    },
    /// `summary`.
    Summary {
        /// Data points.
        points: Vec<SummaryDataPoint>,
    },
}

impl MetricData {
    /// The OTLP/JSON name of the oneof variant (`sum`, `gauge`, ...), `missing` when unset.
    pub fn kind_name(&self) -> &'static str {
        match self {
            MetricData::Missing => "missing",
            MetricData::Gauge { .. } => "gauge",
            MetricData::Sum { .. } => "sum",
            MetricData::Histogram { .. } => "histogram",
            MetricData::ExponentialHistogram { .. } => "exponentialHistogram",
            MetricData::Summary { .. } => "summary",
        }
    }

    /// Number of data points.
    pub fn point_count(&self) -> usize {
        match self {
            MetricData::Missing => 0,
            MetricData::Gauge { points } | MetricData::Sum { points, .. } => points.len(),
            MetricData::Histogram { points, .. } => points.len(),
            MetricData::ExponentialHistogram { points, .. } => points.len(),
            MetricData::Summary { points } => points.len(),
        }
    }

    /// The temporality, for the variants that have one.
    pub fn temporality(&self) -> Option<Temporality> {
        match self {
            MetricData::Sum { temporality, .. }
            | MetricData::Histogram { temporality, .. }
            | MetricData::ExponentialHistogram { temporality, .. } => Some(*temporality),
            _ => None,
        }
    }
}

/// The `NumberDataPoint.value` oneof.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NumberValue {
    /// Neither `asInt` nor `asDouble` was set.
    Missing,
    /// `asInt`.
    Int(i64),
    /// `asDouble`.
    Double(f64),
}

impl NumberValue {
    /// The value as f64, if present.
    pub fn as_f64(self) -> Option<f64> {
        match self {
            NumberValue::Missing => None,
            NumberValue::Int(it) => Some(it as f64),
            NumberValue::Double(it) => Some(it),
        }
    }
}

/// `metrics.v1.NumberDataPoint`.
#[derive(Debug, Clone, PartialEq)]
pub struct NumberDataPoint {
    /// Point attributes.
    pub attributes: Vec<KeyValue>,
    /// `startTimeUnixNano`.
    pub start_time_unix_nano: u64,
    /// `timeUnixNano`.
    pub time_unix_nano: u64,
    /// The value.
    pub value: NumberValue,
    /// `flags`.
    pub flags: u32,
}

/// `metrics.v1.HistogramDataPoint`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HistogramDataPoint {
    /// Point attributes.
    pub attributes: Vec<KeyValue>,
    /// `startTimeUnixNano`.
    pub start_time_unix_nano: u64,
    /// `timeUnixNano`.
    pub time_unix_nano: u64,
    /// `count`.
    pub count: u64,
    /// `sum`, when present.
    pub sum: Option<f64>,
    /// `bucketCounts`.
    pub bucket_counts: Vec<u64>,
    /// `explicitBounds`.
    pub explicit_bounds: Vec<f64>,
    /// `min`, when present.
    pub min: Option<f64>,
    /// `max`, when present.
    pub max: Option<f64>,
    /// `flags`.
    pub flags: u32,
}

/// `metrics.v1.ExponentialHistogramDataPoint` (bucket detail kept, since no consumer needs more).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExponentialHistogramDataPoint {
    /// Point attributes.
    pub attributes: Vec<KeyValue>,
    /// `startTimeUnixNano`.
    pub start_time_unix_nano: u64,
    /// `timeUnixNano`.
    pub time_unix_nano: u64,
    /// `count`.
    pub count: u64,
    /// `sum`, when present.
    pub sum: Option<f64>,
    /// `scale`.
    pub scale: i32,
    /// `zeroCount`.
    pub zero_count: u64,
    /// `positive.offset` and `positive.bucketCounts`.
    pub positive: (i32, Vec<u64>),
    /// `negative.offset` and `negative.bucketCounts`.
    pub negative: (i32, Vec<u64>),
    /// `min`, when present.
    pub min: Option<f64>,
    /// `max`, when present.
    pub max: Option<f64>,
    /// `flags`.
    pub flags: u32,
}

/// `metrics.v1.SummaryDataPoint`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SummaryDataPoint {
    /// Point attributes.
    pub attributes: Vec<KeyValue>,
    /// `startTimeUnixNano`.
    pub start_time_unix_nano: u64,
    /// `timeUnixNano`.
    pub time_unix_nano: u64,
    /// `count`.
    pub count: u64,
    /// `sum`.
    pub sum: f64,
    /// `quantileValues` as (quantile, value).
    pub quantile_values: Vec<(f64, f64)>,
    /// `flags`.
    pub flags: u32,
}

/// `trace.v1.ResourceSpans`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ResourceSpans {
    /// The resource.
    pub resource: Resource,
    /// `scopeSpans`.
    pub scope_spans: Vec<ScopeSpans>,
    /// `schemaUrl`.
    pub schema_url: Str,
}

/// `trace.v1.ScopeSpans`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ScopeSpans {
    /// The instrumentation scope.
    pub scope: Scope,
    /// `spans`.
    pub spans: Vec<Span>,
    /// `schemaUrl`.
    pub schema_url: Str,
}

/// `trace.v1.Span`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Span {
    /// `traceId` bytes.
    pub trace_id: Vec<u8>,
    /// `spanId` bytes.
    pub span_id: Vec<u8>,
    /// `traceState`.
    pub trace_state: Str,
    /// `parentSpanId` bytes; empty for a root span (`""` and absent both mean root).
    pub parent_span_id: Vec<u8>,
    /// `flags`.
    pub flags: u32,
    /// Span name.
    pub name: Str,
    /// `kind` as sent (0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer).
    pub kind: i32,
    /// `startTimeUnixNano`.
    pub start_time_unix_nano: u64,
    /// `endTimeUnixNano`.
    pub end_time_unix_nano: u64,
    /// Span attributes.
    pub attributes: Vec<KeyValue>,
    /// `droppedAttributesCount`.
    pub dropped_attributes_count: u32,
    /// Span events.
    pub events: Vec<SpanEvent>,
    /// Links.
    pub links: Vec<SpanLink>,
    /// `status.code` (0 unset, 1 ok, 2 error).
    pub status_code: i32,
    /// `status.message`.
    pub status_message: Str,
}

/// `trace.v1.Span.Event`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SpanEvent {
    /// `timeUnixNano`.
    pub time_unix_nano: u64,
    /// Event name.
    pub name: Str,
    /// Event attributes.
    pub attributes: Vec<KeyValue>,
}

/// `trace.v1.Span.Link`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SpanLink {
    /// `traceId` bytes.
    pub trace_id: Vec<u8>,
    /// `spanId` bytes.
    pub span_id: Vec<u8>,
    /// `traceState`.
    pub trace_state: Str,
    /// Link attributes.
    pub attributes: Vec<KeyValue>,
}

/// Lowercase hex of an id; empty string for an empty id.
pub fn hex_id(bytes: &[u8]) -> String {
    // By table, not `write!`: adapters write several ids per span and formatting showed in
    // profiles.
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut res = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        res.push(char::from(DIGITS[usize::from(byte >> 4)]));
        res.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    res
}
