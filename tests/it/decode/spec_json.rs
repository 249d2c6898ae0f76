//! A test-only OTLP/JSON encoder for the `opentelemetry-proto` prost types, written from the
//! spec (hex ids, 64-bit integers as decimal strings, enums as integers, defaults omitted)
//! with switches for the spellings real exporters use instead: integers as JSON numbers,
//! upper-case hex, snake_case keys, unknown fields at every level, enum names, explicit
//! defaults (opentelemetry-rust's style), integral doubles as JSON integers, base64 ids.
//!
//! It is deliberately independent of the decoder under test (it builds a
//! `serde_json::Value`, which is fine in a test) so that equal models from both paths mean
//! something.

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{
    any_value::Value as Any, AnyValue, InstrumentationScope, KeyValue,
};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, SeverityNumber};
use opentelemetry_proto::tonic::metrics::v1::{
    exponential_histogram_data_point::Buckets, metric::Data, number_data_point,
    AggregationTemporality, ExponentialHistogramDataPoint, HistogramDataPoint, Metric,
    NumberDataPoint, SummaryDataPoint,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{span, status::StatusCode, Span};
use serde_json::{json, Map, Value};

/// How to spell the JSON.
#[derive(Debug, Clone, Copy, Default)]
pub struct Spelling {
    /// 64-bit integers as JSON numbers instead of decimal strings.
    pub ints_as_numbers: bool,
    /// Ids in upper-case hex.
    pub upper_hex: bool,
    /// Proto snake_case field names instead of lowerCamelCase.
    pub snake_case: bool,
    /// An unknown field (with nested content) in every object.
    pub unknown_fields: bool,
    /// Enums as value names (`"SPAN_KIND_SERVER"`).
    pub enum_names: bool,
    /// Every field written, defaults included (`"parentSpanId": ""`, `"links": []`).
    pub explicit_defaults: bool,
    /// Integral doubles as JSON integers (`3` instead of `3.0`).
    pub integral_doubles_as_ints: bool,
    /// Ids in base64 (what a generic proto3 JSON encoder wrongly does).
    pub base64_ids: bool,
    /// Pretty-printed.
    pub pretty: bool,
}

impl Spelling {
    /// The spec's own spelling.
    pub const SPEC: Spelling = Spelling {
        ints_as_numbers: false,
        upper_hex: false,
        snake_case: false,
        unknown_fields: false,
        enum_names: false,
        explicit_defaults: false,
        integral_doubles_as_ints: false,
        base64_ids: false,
        pretty: false,
    };

    /// Every variation worth decoding, each named.
    pub fn all() -> Vec<(&'static str, Spelling)> {
        let spec = Spelling::SPEC;
        vec![
            ("spec", spec),
            ("ints as numbers", Spelling { ints_as_numbers: true, ..spec }),
            ("upper-case hex", Spelling { upper_hex: true, ..spec }),
            ("snake_case keys", Spelling { snake_case: true, ..spec }),
            ("unknown fields", Spelling { unknown_fields: true, ..spec }),
            ("enum names", Spelling { enum_names: true, ..spec }),
            (
                "explicit defaults, pretty",
                Spelling { explicit_defaults: true, pretty: true, ..spec },
            ),
            ("integral doubles as ints", Spelling { integral_doubles_as_ints: true, ..spec }),
            (
                "everything at once",
                Spelling {
                    ints_as_numbers: true,
                    upper_hex: true,
                    snake_case: true,
                    unknown_fields: true,
                    enum_names: true,
                    explicit_defaults: true,
                    integral_doubles_as_ints: true,
                    base64_ids: false,
                    pretty: true,
                },
            ),
        ]
    }
}

pub struct Encoder {
    pub spelling: Spelling,
}

impl Encoder {
    pub fn new(spelling: Spelling) -> Encoder {
        Encoder { spelling }
    }

    pub fn to_text(&self, value: &Value) -> String {
        let res = if self.spelling.pretty {
            serde_json::to_string_pretty(value)
        } else {
            serde_json::to_string(value)
        };
        res.expect("a serde_json::Value always serializes")
    }

    fn key(&self, camel: &str) -> String {
        if !self.spelling.snake_case {
            return camel.to_owned();
        }
        let mut res = String::with_capacity(camel.len() + 4);
        for ch in camel.chars() {
            if ch.is_ascii_uppercase() {
                res.push('_');
                res.push(ch.to_ascii_lowercase());
            } else {
                res.push(ch);
            }
        }
        res
    }

    /// An object from (camelCase key, value) pairs; `None` values are omitted.
    fn object(&self, fields: Vec<(&str, Option<Value>)>) -> Value {
        let mut map = Map::new();
        if self.spelling.unknown_fields {
            map.insert(
                "zFutureField".to_owned(),
                json!({"nested": [1, "two", {"three": null}], "n": 1e300}),
            );
        }
        for (key, value) in fields {
            if let Some(value) = value {
                map.insert(self.key(key), value);
            }
        }
        if self.spelling.unknown_fields {
            map.insert("x_trailing_unknown".to_owned(), json!([[]]));
        }
        Value::Object(map)
    }

    /// `Some(value)` unless it is the default and defaults are omitted.
    fn field(&self, is_default: bool, value: Value) -> Option<Value> {
        (!is_default || self.spelling.explicit_defaults).then_some(value)
    }

    fn u64(&self, value: u64) -> Option<Value> {
        self.field(
            value == 0,
            if self.spelling.ints_as_numbers { json!(value) } else { json!(value.to_string()) },
        )
    }

    fn i64_value(&self, value: i64) -> Value {
        if self.spelling.ints_as_numbers {
            json!(value)
        } else {
            json!(value.to_string())
        }
    }

    fn u32(&self, value: u32) -> Option<Value> {
        self.field(value == 0, json!(value))
    }

    fn i32(&self, value: i32) -> Option<Value> {
        self.field(value == 0, json!(value))
    }

    fn string(&self, value: &str) -> Option<Value> {
        self.field(value.is_empty(), json!(value))
    }

    fn bool(&self, value: bool) -> Option<Value> {
        self.field(!value, json!(value))
    }

    fn f64_value(&self, value: f64) -> Value {
        if value.is_nan() {
            json!("NaN")
        } else if value == f64::INFINITY {
            json!("Infinity")
        } else if value == f64::NEG_INFINITY {
            json!("-Infinity")
        } else if self.spelling.integral_doubles_as_ints
            && value.fract() == 0.0
            && value.abs() < 1e15
        {
            json!(value as i64)
        } else {
            json!(value)
        }
    }

    fn f64(&self, value: f64) -> Option<Value> {
        self.field(value == 0.0, self.f64_value(value))
    }

    fn id(&self, bytes: &[u8]) -> Option<Value> {
        use base64::Engine as _;
        let text = if self.spelling.base64_ids {
            base64::engine::general_purpose::STANDARD.encode(bytes)
        } else {
            let hex = codetel::otlp::hex_id(bytes);
            if self.spelling.upper_hex {
                hex.to_uppercase()
            } else {
                hex
            }
        };
        self.field(bytes.is_empty(), json!(text))
    }

    fn enumeration(&self, value: i32, name: Option<&str>) -> Option<Value> {
        match name {
            Some(name) if self.spelling.enum_names => self.field(value == 0, json!(name)),
            _ => self.i32(value),
        }
    }

    fn list<T>(&self, items: &[T], encode: impl Fn(&T) -> Value) -> Option<Value> {
        self.field(items.is_empty(), Value::Array(items.iter().map(encode).collect()))
    }

    // -----------------------------------------------------------------------------------

    pub fn any_value(&self, value: &AnyValue) -> Value {
        let (key, content) = match &value.value {
            None => return self.object(vec![]),
            Some(Any::StringValue(it)) => ("stringValue", json!(it)),
            Some(Any::BoolValue(it)) => ("boolValue", json!(it)),
            Some(Any::IntValue(it)) => ("intValue", self.i64_value(*it)),
            Some(Any::DoubleValue(it)) => ("doubleValue", self.f64_value(*it)),
            Some(Any::BytesValue(it)) => {
                use base64::Engine as _;
                ("bytesValue", json!(base64::engine::general_purpose::STANDARD.encode(it)))
            }
            Some(Any::ArrayValue(it)) => (
                "arrayValue",
                self.object(vec![("values", self.list(&it.values, |value| self.any_value(value)))]),
            ),
            Some(Any::KvlistValue(it)) => (
                "kvlistValue",
                self.object(vec![("values", self.list(&it.values, |kv| self.key_value(kv)))]),
            ),
            Some(Any::StringValueStrindex(it)) => ("stringValueStrindex", json!(it)),
        };
        // A set oneof variant is always written, even when it holds the default.
        self.object(vec![(key, Some(content))])
    }

    fn key_value(&self, kv: &KeyValue) -> Value {
        self.object(vec![
            ("key", Some(json!(kv.key))),
            ("value", kv.value.as_ref().map(|it| self.any_value(it))),
        ])
    }

    fn attributes(&self, attributes: &[KeyValue]) -> Option<Value> {
        self.list(attributes, |kv| self.key_value(kv))
    }

    fn resource(&self, resource: &Option<Resource>) -> Option<Value> {
        let resource = resource.as_ref()?;
        Some(self.object(vec![
            ("attributes", self.attributes(&resource.attributes)),
            ("droppedAttributesCount", self.u32(resource.dropped_attributes_count)),
            ("entityRefs", self.field(true, json!([]))),
        ]))
    }

    fn scope(&self, scope: &Option<InstrumentationScope>) -> Option<Value> {
        let scope = scope.as_ref()?;
        Some(self.object(vec![
            ("name", self.string(&scope.name)),
            ("version", self.string(&scope.version)),
            ("attributes", self.attributes(&scope.attributes)),
            ("droppedAttributesCount", self.u32(scope.dropped_attributes_count)),
        ]))
    }

    // -----------------------------------------------------------------------------------

    pub fn logs(&self, request: &ExportLogsServiceRequest) -> Value {
        self.object(vec![(
            "resourceLogs",
            self.list(&request.resource_logs, |resource| {
                self.object(vec![
                    ("resource", self.resource(&resource.resource)),
                    (
                        "scopeLogs",
                        self.list(&resource.scope_logs, |scope| {
                            self.object(vec![
                                ("scope", self.scope(&scope.scope)),
                                (
                                    "logRecords",
                                    self.list(&scope.log_records, |record| self.log_record(record)),
                                ),
                                ("schemaUrl", self.string(&scope.schema_url)),
                            ])
                        }),
                    ),
                    ("schemaUrl", self.string(&resource.schema_url)),
                ])
            }),
        )])
    }

    fn log_record(&self, record: &LogRecord) -> Value {
        let severity =
            SeverityNumber::try_from(record.severity_number).ok().map(|it| it.as_str_name());
        self.object(vec![
            ("timeUnixNano", self.u64(record.time_unix_nano)),
            ("observedTimeUnixNano", self.u64(record.observed_time_unix_nano)),
            ("severityNumber", self.enumeration(record.severity_number, severity)),
            ("severityText", self.string(&record.severity_text)),
            // Codex writes `"body": null` for no body.
            (
                "body",
                match &record.body {
                    Some(body) => Some(self.any_value(body)),
                    None => self.field(true, Value::Null),
                },
            ),
            ("attributes", self.attributes(&record.attributes)),
            ("droppedAttributesCount", self.u32(record.dropped_attributes_count)),
            ("flags", self.u32(record.flags)),
            ("traceId", self.id(&record.trace_id)),
            ("spanId", self.id(&record.span_id)),
            ("eventName", self.string(&record.event_name)),
        ])
    }

    // -----------------------------------------------------------------------------------

    pub fn metrics(&self, request: &ExportMetricsServiceRequest) -> Value {
        self.object(vec![(
            "resourceMetrics",
            self.list(&request.resource_metrics, |resource| {
                self.object(vec![
                    ("resource", self.resource(&resource.resource)),
                    (
                        "scopeMetrics",
                        self.list(&resource.scope_metrics, |scope| {
                            self.object(vec![
                                ("scope", self.scope(&scope.scope)),
                                (
                                    "metrics",
                                    self.list(&scope.metrics, |metric| self.metric(metric)),
                                ),
                                ("schemaUrl", self.string(&scope.schema_url)),
                            ])
                        }),
                    ),
                    ("schemaUrl", self.string(&resource.schema_url)),
                ])
            }),
        )])
    }

    fn temporality(&self, value: i32) -> Option<Value> {
        let name = AggregationTemporality::try_from(value).ok().map(|it| it.as_str_name());
        self.enumeration(value, name)
    }

    fn metric(&self, metric: &Metric) -> Value {
        let data: (&str, Option<Value>) = match &metric.data {
            None => ("gauge", None),
            Some(Data::Gauge(gauge)) => (
                "gauge",
                Some(self.object(vec![(
                    "dataPoints",
                    self.list(&gauge.data_points, |it| self.number_point(it)),
                )])),
            ),
            Some(Data::Sum(sum)) => (
                "sum",
                Some(self.object(vec![
                    ("dataPoints", self.list(&sum.data_points, |it| self.number_point(it))),
                    ("aggregationTemporality", self.temporality(sum.aggregation_temporality)),
                    ("isMonotonic", self.bool(sum.is_monotonic)),
                ])),
            ),
            Some(Data::Histogram(histogram)) => (
                "histogram",
                Some(self.object(vec![
                    (
                        "dataPoints",
                        self.list(&histogram.data_points, |it| self.histogram_point(it)),
                    ),
                    ("aggregationTemporality", self.temporality(histogram.aggregation_temporality)),
                ])),
            ),
            Some(Data::ExponentialHistogram(histogram)) => (
                "exponentialHistogram",
                Some(self.object(vec![
                    (
                        "dataPoints",
                        self.list(&histogram.data_points, |it| self.exponential_point(it)),
                    ),
                    ("aggregationTemporality", self.temporality(histogram.aggregation_temporality)),
                ])),
            ),
            Some(Data::Summary(summary)) => (
                "summary",
                Some(self.object(vec![(
                    "dataPoints",
                    self.list(&summary.data_points, |it| self.summary_point(it)),
                )])),
            ),
        };
        self.object(vec![
            ("name", self.string(&metric.name)),
            ("description", self.string(&metric.description)),
            ("unit", self.string(&metric.unit)),
            ("metadata", self.attributes(&metric.metadata)),
            data,
        ])
    }

    fn number_point(&self, point: &NumberDataPoint) -> Value {
        let value = match point.value {
            None => ("asInt", None),
            Some(number_data_point::Value::AsInt(it)) => ("asInt", Some(self.i64_value(it))),
            Some(number_data_point::Value::AsDouble(it)) => ("asDouble", Some(self.f64_value(it))),
        };
        self.object(vec![
            ("attributes", self.attributes(&point.attributes)),
            ("startTimeUnixNano", self.u64(point.start_time_unix_nano)),
            ("timeUnixNano", self.u64(point.time_unix_nano)),
            (
                "exemplars",
                self.list(&point.exemplars, |exemplar| {
                    self.object(vec![
                        ("filteredAttributes", self.attributes(&exemplar.filtered_attributes)),
                        ("timeUnixNano", self.u64(exemplar.time_unix_nano)),
                        ("spanId", self.id(&exemplar.span_id)),
                        ("traceId", self.id(&exemplar.trace_id)),
                        ("asDouble", Some(json!(0.5))),
                    ])
                }),
            ),
            ("flags", self.u32(point.flags)),
            value,
        ])
    }

    fn histogram_point(&self, point: &HistogramDataPoint) -> Value {
        self.object(vec![
            ("attributes", self.attributes(&point.attributes)),
            ("startTimeUnixNano", self.u64(point.start_time_unix_nano)),
            ("timeUnixNano", self.u64(point.time_unix_nano)),
            ("count", self.u64(point.count)),
            ("sum", point.sum.map(|it| self.f64_value(it))),
            (
                "bucketCounts",
                self.list(&point.bucket_counts, |it| self.u64(*it).unwrap_or_else(|| self.zero())),
            ),
            ("explicitBounds", self.list(&point.explicit_bounds, |it| self.f64_value(*it))),
            ("flags", self.u32(point.flags)),
            ("min", point.min.map(|it| self.f64_value(it))),
            ("max", point.max.map(|it| self.f64_value(it))),
        ])
    }

    /// A 64-bit zero in a list, where it cannot be omitted.
    fn zero(&self) -> Value {
        if self.spelling.ints_as_numbers {
            json!(0)
        } else {
            json!("0")
        }
    }

    fn buckets(&self, buckets: &Option<Buckets>) -> Option<Value> {
        let buckets = buckets.as_ref()?;
        Some(self.object(vec![
            ("offset", self.i32(buckets.offset)),
            (
                "bucketCounts",
                self.list(&buckets.bucket_counts, |it| {
                    self.u64(*it).unwrap_or_else(|| self.zero())
                }),
            ),
        ]))
    }

    fn exponential_point(&self, point: &ExponentialHistogramDataPoint) -> Value {
        self.object(vec![
            ("attributes", self.attributes(&point.attributes)),
            ("startTimeUnixNano", self.u64(point.start_time_unix_nano)),
            ("timeUnixNano", self.u64(point.time_unix_nano)),
            ("count", self.u64(point.count)),
            ("sum", point.sum.map(|it| self.f64_value(it))),
            ("scale", self.i32(point.scale)),
            ("zeroCount", self.u64(point.zero_count)),
            ("positive", self.buckets(&point.positive)),
            ("negative", self.buckets(&point.negative)),
            ("flags", self.u32(point.flags)),
            ("min", point.min.map(|it| self.f64_value(it))),
            ("max", point.max.map(|it| self.f64_value(it))),
            ("zeroThreshold", self.f64(point.zero_threshold)),
        ])
    }

    fn summary_point(&self, point: &SummaryDataPoint) -> Value {
        self.object(vec![
            ("attributes", self.attributes(&point.attributes)),
            ("startTimeUnixNano", self.u64(point.start_time_unix_nano)),
            ("timeUnixNano", self.u64(point.time_unix_nano)),
            ("count", self.u64(point.count)),
            ("sum", self.f64(point.sum)),
            (
                "quantileValues",
                self.list(&point.quantile_values, |it| {
                    self.object(vec![
                        ("quantile", self.f64(it.quantile)),
                        ("value", self.f64(it.value)),
                    ])
                }),
            ),
            ("flags", self.u32(point.flags)),
        ])
    }

    // -----------------------------------------------------------------------------------

    pub fn traces(&self, request: &ExportTraceServiceRequest) -> Value {
        self.object(vec![(
            "resourceSpans",
            self.list(&request.resource_spans, |resource| {
                self.object(vec![
                    ("resource", self.resource(&resource.resource)),
                    (
                        "scopeSpans",
                        self.list(&resource.scope_spans, |scope| {
                            self.object(vec![
                                ("scope", self.scope(&scope.scope)),
                                ("spans", self.list(&scope.spans, |span| self.span(span))),
                                ("schemaUrl", self.string(&scope.schema_url)),
                            ])
                        }),
                    ),
                    ("schemaUrl", self.string(&resource.schema_url)),
                ])
            }),
        )])
    }

    fn span(&self, span: &Span) -> Value {
        let kind = span::SpanKind::try_from(span.kind).ok().map(|it| it.as_str_name());
        let status = span.status.as_ref().map(|status| {
            let code = StatusCode::try_from(status.code).ok().map(|it| it.as_str_name());
            self.object(vec![
                ("message", self.string(&status.message)),
                ("code", self.enumeration(status.code, code)),
            ])
        });
        self.object(vec![
            ("traceId", self.id(&span.trace_id)),
            ("spanId", self.id(&span.span_id)),
            ("traceState", self.string(&span.trace_state)),
            ("parentSpanId", self.id(&span.parent_span_id)),
            ("flags", self.u32(span.flags)),
            ("name", self.string(&span.name)),
            ("kind", self.enumeration(span.kind, kind)),
            ("startTimeUnixNano", self.u64(span.start_time_unix_nano)),
            ("endTimeUnixNano", self.u64(span.end_time_unix_nano)),
            ("attributes", self.attributes(&span.attributes)),
            ("droppedAttributesCount", self.u32(span.dropped_attributes_count)),
            (
                "events",
                self.list(&span.events, |event| {
                    self.object(vec![
                        ("timeUnixNano", self.u64(event.time_unix_nano)),
                        ("name", self.string(&event.name)),
                        ("attributes", self.attributes(&event.attributes)),
                        ("droppedAttributesCount", self.u32(event.dropped_attributes_count)),
                    ])
                }),
            ),
            ("droppedEventsCount", self.u32(span.dropped_events_count)),
            (
                "links",
                self.list(&span.links, |link| {
                    self.object(vec![
                        ("traceId", self.id(&link.trace_id)),
                        ("spanId", self.id(&link.span_id)),
                        ("traceState", self.string(&link.trace_state)),
                        ("attributes", self.attributes(&link.attributes)),
                        ("droppedAttributesCount", self.u32(link.dropped_attributes_count)),
                        ("flags", self.u32(link.flags)),
                    ])
                }),
            ),
            ("droppedLinksCount", self.u32(span.dropped_links_count)),
            ("status", status),
        ])
    }
}
