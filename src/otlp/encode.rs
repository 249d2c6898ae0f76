//! Encoders: the in-memory model back to OTLP protobuf and to spec-conformant OTLP/JSON.
//!
//! Used to re-encode captures (replaying a JSON capture as protobuf and the reverse) and to
//! prove the decoders agree: decode, encode in the other encoding, decode again, compare.
//! The JSON follows the OTLP/JSON rules to the letter: lowerCamelCase names, 64-bit integers
//! as decimal strings, ids as lowercase hex, enums as integers, default values omitted.

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1 as pc;
use opentelemetry_proto::tonic::logs::v1 as pl;
use opentelemetry_proto::tonic::metrics::v1 as pm;
use opentelemetry_proto::tonic::resource::v1 as pr;
use opentelemetry_proto::tonic::trace::v1 as pt;
use prost::Message;
use serde_json::{json, Map, Value as Json};

use super::model::*;

/// Encodes a request as an OTLP protobuf `Export*ServiceRequest`.
pub fn to_protobuf(request: &ExportRequest) -> Vec<u8> {
    match request {
        ExportRequest::Logs(resources) => ExportLogsServiceRequest {
            resource_logs: resources.iter().map(resource_logs_proto).collect(),
        }
        .encode_to_vec(),
        ExportRequest::Metrics(resources) => ExportMetricsServiceRequest {
            resource_metrics: resources.iter().map(resource_metrics_proto).collect(),
        }
        .encode_to_vec(),
        ExportRequest::Traces(resources) => ExportTraceServiceRequest {
            resource_spans: resources.iter().map(resource_spans_proto).collect(),
        }
        .encode_to_vec(),
    }
}

fn any_proto(value: &AnyValue) -> pc::AnyValue {
    use pc::any_value::Value as V;
    let value = match value {
        AnyValue::Empty => None,
        AnyValue::String(it) => Some(V::StringValue(it.to_string())),
        AnyValue::Bool(it) => Some(V::BoolValue(*it)),
        AnyValue::Int(it) => Some(V::IntValue(*it)),
        AnyValue::Double(it) => Some(V::DoubleValue(*it)),
        AnyValue::Bytes(it) => Some(V::BytesValue(it.clone())),
        AnyValue::Array(values) => Some(V::ArrayValue(pc::ArrayValue { values: values.iter().map(any_proto).collect() })),
        AnyValue::KvList(values) => Some(V::KvlistValue(pc::KeyValueList { values: kvs_proto(values) })),
    };
    pc::AnyValue { value }
}

fn kvs_proto(attributes: &[KeyValue]) -> Vec<pc::KeyValue> {
    attributes
        .iter()
        .map(|it| pc::KeyValue { key: it.key.to_string(), value: Some(any_proto(&it.value)), ..Default::default() })
        .collect()
}

fn resource_proto(resource: &Resource) -> Option<pr::Resource> {
    Some(pr::Resource {
        attributes: kvs_proto(&resource.attributes),
        dropped_attributes_count: resource.dropped_attributes_count,
        ..Default::default()
    })
}

fn scope_proto(scope: &Scope) -> Option<pc::InstrumentationScope> {
    Some(pc::InstrumentationScope {
        name: scope.name.to_string(),
        version: scope.version.to_string(),
        attributes: kvs_proto(&scope.attributes),
        dropped_attributes_count: 0,
    })
}

fn resource_logs_proto(resource_logs: &ResourceLogs) -> pl::ResourceLogs {
    pl::ResourceLogs {
        resource: resource_proto(&resource_logs.resource),
        schema_url: resource_logs.schema_url.to_string(),
        scope_logs: resource_logs
            .scope_logs
            .iter()
            .map(|scope_logs| pl::ScopeLogs {
                scope: scope_proto(&scope_logs.scope),
                schema_url: scope_logs.schema_url.to_string(),
                log_records: scope_logs
                    .log_records
                    .iter()
                    .map(|record| pl::LogRecord {
                        time_unix_nano: record.time_unix_nano,
                        observed_time_unix_nano: record.observed_time_unix_nano,
                        severity_number: record.severity_number,
                        severity_text: record.severity_text.to_string(),
                        body: record.body.as_ref().map(any_proto),
                        attributes: kvs_proto(&record.attributes),
                        dropped_attributes_count: record.dropped_attributes_count,
                        flags: record.flags,
                        trace_id: record.trace_id.clone(),
                        span_id: record.span_id.clone(),
                        event_name: record.event_name.to_string(),
                    })
                    .collect(),
            })
            .collect(),
    }
}

fn number_point_proto(point: &NumberDataPoint) -> pm::NumberDataPoint {
    pm::NumberDataPoint {
        attributes: kvs_proto(&point.attributes),
        start_time_unix_nano: point.start_time_unix_nano,
        time_unix_nano: point.time_unix_nano,
        exemplars: Vec::new(),
        flags: point.flags,
        value: match point.value {
            NumberValue::Missing => None,
            NumberValue::Int(it) => Some(pm::number_data_point::Value::AsInt(it)),
            NumberValue::Double(it) => Some(pm::number_data_point::Value::AsDouble(it)),
        },
    }
}

fn metric_proto(metric: &Metric) -> pm::Metric {
    use pm::metric::Data;
    let data = match &metric.data {
        MetricData::Missing => None,
        MetricData::Gauge { points } => {
            Some(Data::Gauge(pm::Gauge { data_points: points.iter().map(number_point_proto).collect() }))
        }
        MetricData::Sum { points, temporality, is_monotonic } => Some(Data::Sum(pm::Sum {
            data_points: points.iter().map(number_point_proto).collect(),
            aggregation_temporality: temporality.as_i32(),
            is_monotonic: *is_monotonic,
        })),
        MetricData::Histogram { points, temporality } => Some(Data::Histogram(pm::Histogram {
            aggregation_temporality: temporality.as_i32(),
            data_points: points
                .iter()
                .map(|point| pm::HistogramDataPoint {
                    attributes: kvs_proto(&point.attributes),
                    start_time_unix_nano: point.start_time_unix_nano,
                    time_unix_nano: point.time_unix_nano,
                    count: point.count,
                    sum: point.sum,
                    bucket_counts: point.bucket_counts.clone(),
                    explicit_bounds: point.explicit_bounds.clone(),
                    exemplars: Vec::new(),
                    flags: point.flags,
                    min: point.min,
                    max: point.max,
                })
                .collect(),
        })),
        MetricData::ExponentialHistogram { points, temporality } => {
            Some(Data::ExponentialHistogram(pm::ExponentialHistogram {
                aggregation_temporality: temporality.as_i32(),
                data_points: points
                    .iter()
                    .map(|point| pm::ExponentialHistogramDataPoint {
                        attributes: kvs_proto(&point.attributes),
                        start_time_unix_nano: point.start_time_unix_nano,
                        time_unix_nano: point.time_unix_nano,
                        count: point.count,
                        sum: point.sum,
                        scale: point.scale,
                        zero_count: point.zero_count,
                        positive: Some(pm::exponential_histogram_data_point::Buckets {
                            offset: point.positive.0,
                            bucket_counts: point.positive.1.clone(),
                        }),
                        negative: Some(pm::exponential_histogram_data_point::Buckets {
                            offset: point.negative.0,
                            bucket_counts: point.negative.1.clone(),
                        }),
                        flags: point.flags,
                        exemplars: Vec::new(),
                        min: point.min,
                        max: point.max,
                        zero_threshold: 0.0,
                    })
                    .collect(),
            }))
        }
        MetricData::Summary { points } => Some(Data::Summary(pm::Summary {
            data_points: points
                .iter()
                .map(|point| pm::SummaryDataPoint {
                    attributes: kvs_proto(&point.attributes),
                    start_time_unix_nano: point.start_time_unix_nano,
                    time_unix_nano: point.time_unix_nano,
                    count: point.count,
                    sum: point.sum,
                    quantile_values: point
                        .quantile_values
                        .iter()
                        .map(|(quantile, value)| pm::summary_data_point::ValueAtQuantile {
                            quantile: *quantile,
                            value: *value,
                        })
                        .collect(),
                    flags: point.flags,
                })
                .collect(),
        })),
    };
    pm::Metric {
        name: metric.name.to_string(),
        description: metric.description.to_string(),
        unit: metric.unit.to_string(),
        metadata: Vec::new(),
        data,
    }
}

fn resource_metrics_proto(resource_metrics: &ResourceMetrics) -> pm::ResourceMetrics {
    pm::ResourceMetrics {
        resource: resource_proto(&resource_metrics.resource),
        schema_url: resource_metrics.schema_url.to_string(),
        scope_metrics: resource_metrics
            .scope_metrics
            .iter()
            .map(|scope_metrics| pm::ScopeMetrics {
                scope: scope_proto(&scope_metrics.scope),
                schema_url: scope_metrics.schema_url.to_string(),
                metrics: scope_metrics.metrics.iter().map(metric_proto).collect(),
            })
            .collect(),
    }
}

fn resource_spans_proto(resource_spans: &ResourceSpans) -> pt::ResourceSpans {
    pt::ResourceSpans {
        resource: resource_proto(&resource_spans.resource),
        schema_url: resource_spans.schema_url.to_string(),
        scope_spans: resource_spans
            .scope_spans
            .iter()
            .map(|scope_spans| pt::ScopeSpans {
                scope: scope_proto(&scope_spans.scope),
                schema_url: scope_spans.schema_url.to_string(),
                spans: scope_spans
                    .spans
                    .iter()
                    .map(|span| pt::Span {
                        trace_id: span.trace_id.clone(),
                        span_id: span.span_id.clone(),
                        trace_state: span.trace_state.to_string(),
                        parent_span_id: span.parent_span_id.clone(),
                        flags: span.flags,
                        name: span.name.to_string(),
                        kind: span.kind,
                        start_time_unix_nano: span.start_time_unix_nano,
                        end_time_unix_nano: span.end_time_unix_nano,
                        attributes: kvs_proto(&span.attributes),
                        dropped_attributes_count: span.dropped_attributes_count,
                        events: span
                            .events
                            .iter()
                            .map(|event| pt::span::Event {
                                time_unix_nano: event.time_unix_nano,
                                name: event.name.to_string(),
                                attributes: kvs_proto(&event.attributes),
                                dropped_attributes_count: 0,
                            })
                            .collect(),
                        dropped_events_count: 0,
                        links: span
                            .links
                            .iter()
                            .map(|link| pt::span::Link {
                                trace_id: link.trace_id.clone(),
                                span_id: link.span_id.clone(),
                                trace_state: link.trace_state.to_string(),
                                attributes: kvs_proto(&link.attributes),
                                dropped_attributes_count: 0,
                                flags: 0,
                            })
                            .collect(),
                        dropped_links_count: 0,
                        status: (span.status_code != 0 || !span.status_message.is_empty()).then(|| pt::Status {
                            message: span.status_message.to_string(),
                            code: span.status_code,
                        }),
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// Encodes a request as spec-conformant OTLP/JSON.
pub fn to_json(request: &ExportRequest) -> Vec<u8> {
    let value = match request {
        ExportRequest::Logs(resources) => {
            json!({ "resourceLogs": resources.iter().map(resource_logs_json).collect::<Vec<_>>() })
        }
        ExportRequest::Metrics(resources) => {
            json!({ "resourceMetrics": resources.iter().map(resource_metrics_json).collect::<Vec<_>>() })
        }
        ExportRequest::Traces(resources) => {
            json!({ "resourceSpans": resources.iter().map(resource_spans_json).collect::<Vec<_>>() })
        }
    };
    serde_json::to_vec(&value).unwrap_or_default()
}

fn double_json(value: f64) -> Json {
    if value.is_nan() {
        Json::String("NaN".to_owned())
    } else if value == f64::INFINITY {
        Json::String("Infinity".to_owned())
    } else if value == f64::NEG_INFINITY {
        Json::String("-Infinity".to_owned())
    } else {
        serde_json::Number::from_f64(value).map(Json::Number).unwrap_or(Json::Null)
    }
}

fn any_json(value: &AnyValue) -> Json {
    use base64::Engine;
    match value {
        AnyValue::Empty => json!({}),
        AnyValue::String(it) => json!({ "stringValue": it }),
        AnyValue::Bool(it) => json!({ "boolValue": it }),
        AnyValue::Int(it) => json!({ "intValue": it.to_string() }),
        AnyValue::Double(it) => json!({ "doubleValue": double_json(*it) }),
        AnyValue::Bytes(it) => json!({ "bytesValue": base64::engine::general_purpose::STANDARD.encode(it) }),
        AnyValue::Array(values) => json!({ "arrayValue": { "values": values.iter().map(any_json).collect::<Vec<_>>() } }),
        AnyValue::KvList(values) => json!({ "kvlistValue": { "values": kvs_json(values) } }),
    }
}

fn kvs_json(attributes: &[KeyValue]) -> Vec<Json> {
    attributes.iter().map(|it| json!({ "key": it.key, "value": any_json(&it.value) })).collect()
}

/// Inserts a field only when it differs from the proto3 default (the spec allows omission).
struct Object(Map<String, Json>);

impl Object {
    fn new() -> Object {
        Object(Map::new())
    }
    fn str(mut self, key: &str, value: &str) -> Object {
        if !value.is_empty() {
            let _ = self.0.insert(key.to_owned(), Json::String(value.to_owned()));
        }
        self
    }
    fn u64(mut self, key: &str, value: u64) -> Object {
        if value != 0 {
            let _ = self.0.insert(key.to_owned(), Json::String(value.to_string()));
        }
        self
    }
    fn int(mut self, key: &str, value: i64) -> Object {
        if value != 0 {
            let _ = self.0.insert(key.to_owned(), Json::from(value));
        }
        self
    }
    fn id(self, key: &str, value: &[u8]) -> Object {
        let hex = hex_id(value);
        self.str(key, &hex)
    }
    fn attrs(mut self, key: &str, attributes: &[KeyValue]) -> Object {
        if !attributes.is_empty() {
            let _ = self.0.insert(key.to_owned(), Json::Array(kvs_json(attributes)));
        }
        self
    }
    fn value(mut self, key: &str, value: Json) -> Object {
        let _ = self.0.insert(key.to_owned(), value);
        self
    }
    fn opt_double(mut self, key: &str, value: Option<f64>) -> Object {
        if let Some(value) = value {
            let _ = self.0.insert(key.to_owned(), double_json(value));
        }
        self
    }
    fn done(self) -> Json {
        Json::Object(self.0)
    }
}

fn resource_json(resource: &Resource) -> Json {
    Object::new()
        .attrs("attributes", &resource.attributes)
        .int("droppedAttributesCount", i64::from(resource.dropped_attributes_count))
        .done()
}

fn scope_json(scope: &Scope) -> Json {
    Object::new().str("name", &scope.name).str("version", &scope.version).attrs("attributes", &scope.attributes).done()
}

fn resource_logs_json(resource_logs: &ResourceLogs) -> Json {
    let scope_logs: Vec<Json> = resource_logs
        .scope_logs
        .iter()
        .map(|scope_logs| {
            let records: Vec<Json> = scope_logs
                .log_records
                .iter()
                .map(|record| {
                    let mut object = Object::new()
                        .u64("timeUnixNano", record.time_unix_nano)
                        .u64("observedTimeUnixNano", record.observed_time_unix_nano)
                        .int("severityNumber", i64::from(record.severity_number))
                        .str("severityText", &record.severity_text);
                    if let Some(body) = &record.body {
                        object = object.value("body", any_json(body));
                    }
                    object
                        .attrs("attributes", &record.attributes)
                        .int("droppedAttributesCount", i64::from(record.dropped_attributes_count))
                        .int("flags", i64::from(record.flags))
                        .id("traceId", &record.trace_id)
                        .id("spanId", &record.span_id)
                        .str("eventName", &record.event_name)
                        .done()
                })
                .collect();
            Object::new()
                .value("scope", scope_json(&scope_logs.scope))
                .value("logRecords", Json::Array(records))
                .str("schemaUrl", &scope_logs.schema_url)
                .done()
        })
        .collect();
    Object::new()
        .value("resource", resource_json(&resource_logs.resource))
        .value("scopeLogs", Json::Array(scope_logs))
        .str("schemaUrl", &resource_logs.schema_url)
        .done()
}

fn number_point_json(point: &NumberDataPoint) -> Json {
    let object = Object::new()
        .attrs("attributes", &point.attributes)
        .u64("startTimeUnixNano", point.start_time_unix_nano)
        .u64("timeUnixNano", point.time_unix_nano)
        .int("flags", i64::from(point.flags));
    match point.value {
        NumberValue::Missing => object.done(),
        NumberValue::Int(it) => object.value("asInt", Json::String(it.to_string())).done(),
        NumberValue::Double(it) => object.value("asDouble", double_json(it)).done(),
    }
}

fn counts_json(counts: &[u64]) -> Json {
    Json::Array(counts.iter().map(|it| Json::String(it.to_string())).collect())
}

fn metric_json(metric: &Metric) -> Json {
    let object = Object::new().str("name", &metric.name).str("description", &metric.description).str("unit", &metric.unit);
    match &metric.data {
        MetricData::Missing => object.done(),
        MetricData::Gauge { points } => object
            .value("gauge", json!({ "dataPoints": points.iter().map(number_point_json).collect::<Vec<_>>() }))
            .done(),
        MetricData::Sum { points, temporality, is_monotonic } => object
            .value(
                "sum",
                Object::new()
                    .value("dataPoints", Json::Array(points.iter().map(number_point_json).collect()))
                    .int("aggregationTemporality", i64::from(temporality.as_i32()))
                    .value("isMonotonic", Json::Bool(*is_monotonic))
                    .done(),
            )
            .done(),
        MetricData::Histogram { points, temporality } => {
            let points: Vec<Json> = points
                .iter()
                .map(|point| {
                    Object::new()
                        .attrs("attributes", &point.attributes)
                        .u64("startTimeUnixNano", point.start_time_unix_nano)
                        .u64("timeUnixNano", point.time_unix_nano)
                        .value("count", Json::String(point.count.to_string()))
                        .opt_double("sum", point.sum)
                        .value("bucketCounts", counts_json(&point.bucket_counts))
                        .value("explicitBounds", Json::Array(point.explicit_bounds.iter().map(|it| double_json(*it)).collect()))
                        .int("flags", i64::from(point.flags))
                        .opt_double("min", point.min)
                        .opt_double("max", point.max)
                        .done()
                })
                .collect();
            object
                .value(
                    "histogram",
                    Object::new()
                        .value("dataPoints", Json::Array(points))
                        .int("aggregationTemporality", i64::from(temporality.as_i32()))
                        .done(),
                )
                .done()
        }
        MetricData::ExponentialHistogram { points, temporality } => {
            let points: Vec<Json> = points
                .iter()
                .map(|point| {
                    Object::new()
                        .attrs("attributes", &point.attributes)
                        .u64("startTimeUnixNano", point.start_time_unix_nano)
                        .u64("timeUnixNano", point.time_unix_nano)
                        .value("count", Json::String(point.count.to_string()))
                        .opt_double("sum", point.sum)
                        .int("scale", i64::from(point.scale))
                        .u64("zeroCount", point.zero_count)
                        .value("positive", json!({ "offset": point.positive.0, "bucketCounts": counts_json(&point.positive.1) }))
                        .value("negative", json!({ "offset": point.negative.0, "bucketCounts": counts_json(&point.negative.1) }))
                        .int("flags", i64::from(point.flags))
                        .opt_double("min", point.min)
                        .opt_double("max", point.max)
                        .done()
                })
                .collect();
            object
                .value(
                    "exponentialHistogram",
                    Object::new()
                        .value("dataPoints", Json::Array(points))
                        .int("aggregationTemporality", i64::from(temporality.as_i32()))
                        .done(),
                )
                .done()
        }
        MetricData::Summary { points } => {
            let points: Vec<Json> = points
                .iter()
                .map(|point| {
                    Object::new()
                        .attrs("attributes", &point.attributes)
                        .u64("startTimeUnixNano", point.start_time_unix_nano)
                        .u64("timeUnixNano", point.time_unix_nano)
                        .value("count", Json::String(point.count.to_string()))
                        .value("sum", double_json(point.sum))
                        .value(
                            "quantileValues",
                            Json::Array(
                                point
                                    .quantile_values
                                    .iter()
                                    .map(|(q, v)| json!({ "quantile": double_json(*q), "value": double_json(*v) }))
                                    .collect(),
                            ),
                        )
                        .int("flags", i64::from(point.flags))
                        .done()
                })
                .collect();
            object.value("summary", json!({ "dataPoints": points })).done()
        }
    }
}

fn resource_metrics_json(resource_metrics: &ResourceMetrics) -> Json {
    let scope_metrics: Vec<Json> = resource_metrics
        .scope_metrics
        .iter()
        .map(|scope_metrics| {
            Object::new()
                .value("scope", scope_json(&scope_metrics.scope))
                .value("metrics", Json::Array(scope_metrics.metrics.iter().map(metric_json).collect()))
                .str("schemaUrl", &scope_metrics.schema_url)
                .done()
        })
        .collect();
    Object::new()
        .value("resource", resource_json(&resource_metrics.resource))
        .value("scopeMetrics", Json::Array(scope_metrics))
        .str("schemaUrl", &resource_metrics.schema_url)
        .done()
}

fn resource_spans_json(resource_spans: &ResourceSpans) -> Json {
    let scope_spans: Vec<Json> = resource_spans
        .scope_spans
        .iter()
        .map(|scope_spans| {
            let spans: Vec<Json> = scope_spans
                .spans
                .iter()
                .map(|span| {
                    let events: Vec<Json> = span
                        .events
                        .iter()
                        .map(|event| {
                            Object::new()
                                .u64("timeUnixNano", event.time_unix_nano)
                                .str("name", &event.name)
                                .attrs("attributes", &event.attributes)
                                .done()
                        })
                        .collect();
                    let links: Vec<Json> = span
                        .links
                        .iter()
                        .map(|link| {
                            Object::new()
                                .id("traceId", &link.trace_id)
                                .id("spanId", &link.span_id)
                                .str("traceState", &link.trace_state)
                                .attrs("attributes", &link.attributes)
                                .done()
                        })
                        .collect();
                    let mut object = Object::new()
                        .id("traceId", &span.trace_id)
                        .id("spanId", &span.span_id)
                        .str("traceState", &span.trace_state)
                        .id("parentSpanId", &span.parent_span_id)
                        .int("flags", i64::from(span.flags))
                        .str("name", &span.name)
                        .int("kind", i64::from(span.kind))
                        .u64("startTimeUnixNano", span.start_time_unix_nano)
                        .u64("endTimeUnixNano", span.end_time_unix_nano)
                        .attrs("attributes", &span.attributes)
                        .int("droppedAttributesCount", i64::from(span.dropped_attributes_count));
                    if !events.is_empty() {
                        object = object.value("events", Json::Array(events));
                    }
                    if !links.is_empty() {
                        object = object.value("links", Json::Array(links));
                    }
                    if span.status_code != 0 || !span.status_message.is_empty() {
                        object = object.value(
                            "status",
                            Object::new()
                                .str("message", &span.status_message)
                                .int("code", i64::from(span.status_code))
                                .done(),
                        );
                    }
                    object.done()
                })
                .collect();
            Object::new()
                .value("scope", scope_json(&scope_spans.scope))
                .value("spans", Json::Array(spans))
                .str("schemaUrl", &scope_spans.schema_url)
                .done()
        })
        .collect();
    Object::new()
        .value("resource", resource_json(&resource_spans.resource))
        .value("scopeSpans", Json::Array(scope_spans))
        .str("schemaUrl", &resource_spans.schema_url)
        .done()
}
