//! The reference protobuf path, kept to prove the wire reader equal to it: the body is
//! decoded with the prost messages of `opentelemetry-proto`, then moved (not copied) into
//! the model. This was codetel's protobuf decoder; it now serves the differential tests and
//! fuzz target, and the rare body that names a profiles-only `string_value_strindex`.
//!
//! prost rejects anything that is not a valid message (bad wire types, truncation, non-UTF-8
//! strings, nesting deeper than 100), and that fails the whole body as
//! [`DecodeError::Protobuf`]. What is left to check here is what a valid message can still
//! get wrong, reported the same way the JSON decoder reports it: ids of the wrong length
//! (dropped), a metric without its data oneof ([`MetricData::Missing`]), and profile-only
//! string-table references in `AnyValue`.

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1 as common;
use opentelemetry_proto::tonic::logs::v1 as logs;
use opentelemetry_proto::tonic::metrics::v1 as metrics;
use opentelemetry_proto::tonic::resource::v1 as resource;
use opentelemetry_proto::tonic::trace::v1 as trace;
use prost::Message as _;

use crate::otlp::problem_tracker::{ProblemTracker, SPAN_ID_BYTES, TRACE_ID_BYTES};
use crate::otlp::{
    AnyValue, DecodeError, Decoded, ExponentialHistogramDataPoint, ExportRequest,
    HistogramDataPoint, KeyValue, LogRecord, Metric, MetricData, NumberDataPoint, NumberValue,
    Resource, ResourceLogs, ResourceMetrics, ResourceSpans, Scope, ScopeLogs, ScopeMetrics,
    ScopeSpans, Signal, Span, SpanEvent, SpanLink, SummaryDataPoint, Temporality,
};

/// Decodes an OTLP protobuf request body of the given signal with prost.
pub fn decode(signal: Signal, body: &[u8]) -> Result<Decoded, DecodeError> {
    let invalid =
        |error: prost::DecodeError| DecodeError::Protobuf { signal, message: error.to_string() };
    let mut tracker = ProblemTracker::default();
    let request = match signal {
        Signal::Logs => {
            let message = ExportLogsServiceRequest::decode(body).map_err(invalid)?;
            ExportRequest::Logs(convert_list(
                &mut tracker,
                "resourceLogs",
                true,
                message.resource_logs,
                resource_logs,
            ))
        }
        Signal::Metrics => {
            let message = ExportMetricsServiceRequest::decode(body).map_err(invalid)?;
            ExportRequest::Metrics(convert_list(
                &mut tracker,
                "resourceMetrics",
                true,
                message.resource_metrics,
                resource_metrics,
            ))
        }
        Signal::Traces => {
            let message = ExportTraceServiceRequest::decode(body).map_err(invalid)?;
            ExportRequest::Traces(convert_list(
                &mut tracker,
                "resourceSpans",
                true,
                message.resource_spans,
                resource_spans,
            ))
        }
    };
    Ok(Decoded { request, problems: tracker.into_problems() })
}

/// Converts the repeated field `name`, keeping the tracker's path in step (as element
/// `[i]`, an item when `is_item`).
fn convert_list<T, U>(
    tracker: &mut ProblemTracker,
    name: &'static str,
    is_item: bool,
    list: Vec<T>,
    convert: fn(&mut ProblemTracker, T) -> U,
) -> Vec<U> {
    tracker.enter_field(name);
    let mut res = Vec::with_capacity(list.len());
    for (index, element) in list.into_iter().enumerate() {
        tracker.enter_index(index, is_item);
        res.push(convert(tracker, element));
        tracker.leave();
    }
    tracker.leave();
    res
}

/// Keeps an id of the expected length (or empty, meaning absent); drops any other with a
/// problem on field `name`.
fn id(
    tracker: &mut ProblemTracker,
    name: &'static str,
    bytes: Vec<u8>,
    expected: usize,
) -> Vec<u8> {
    if bytes.is_empty() || bytes.len() == expected {
        return bytes;
    }
    tracker.enter_field(name);
    tracker.report(format!("expected {expected} bytes, found {}; id dropped", bytes.len()), 0);
    tracker.leave();
    Vec::new()
}

// ---------------------------------------------------------------------------------------
// common.v1, resource.v1

fn attributes(tracker: &mut ProblemTracker, list: Vec<common::KeyValue>) -> Vec<KeyValue> {
    convert_list(tracker, "attributes", false, list, key_value)
}

fn key_value(tracker: &mut ProblemTracker, kv: common::KeyValue) -> KeyValue {
    let value = match kv.value {
        Some(value) => {
            tracker.enter_field("value");
            let res = any_value(tracker, value);
            tracker.leave();
            res
        }
        None => AnyValue::Empty,
    };
    KeyValue { key: kv.key.into(), value }
}

/// Recursion is bounded: prost refuses messages nested deeper than 100.
fn any_value(tracker: &mut ProblemTracker, value: common::AnyValue) -> AnyValue {
    use common::any_value::Value;
    match value.value {
        None => AnyValue::Empty,
        Some(Value::StringValue(it)) => AnyValue::String(it.into()),
        Some(Value::BoolValue(it)) => AnyValue::Bool(it),
        Some(Value::IntValue(it)) => AnyValue::Int(it),
        Some(Value::DoubleValue(it)) => AnyValue::Double(it),
        Some(Value::BytesValue(it)) => AnyValue::Bytes(it),
        Some(Value::ArrayValue(array)) => {
            tracker.enter_field("arrayValue");
            let values = convert_list(tracker, "values", false, array.values, any_value);
            tracker.leave();
            AnyValue::Array(values)
        }
        Some(Value::KvlistValue(list)) => {
            tracker.enter_field("kvlistValue");
            let values = convert_list(tracker, "values", false, list.values, key_value);
            tracker.leave();
            AnyValue::KvList(values)
        }
        Some(Value::StringValueStrindex(_)) => {
            tracker.enter_field("stringValueStrindex");
            tracker.report(
                "stringValueStrindex is only meaningful in profiles; value ignored".to_owned(),
                0,
            );
            tracker.leave();
            AnyValue::Empty
        }
    }
}

fn resource(tracker: &mut ProblemTracker, resource: Option<resource::Resource>) -> Resource {
    let Some(resource) = resource else { return Resource::default() };
    tracker.enter_field("resource");
    let res = Resource {
        attributes: attributes(tracker, resource.attributes),
        dropped_attributes_count: resource.dropped_attributes_count,
    };
    tracker.leave();
    res
}

fn scope(tracker: &mut ProblemTracker, scope: Option<common::InstrumentationScope>) -> Scope {
    let Some(scope) = scope else { return Scope::default() };
    tracker.enter_field("scope");
    let res = Scope {
        name: scope.name.into(),
        version: scope.version.into(),
        attributes: attributes(tracker, scope.attributes),
    };
    tracker.leave();
    res
}

// ---------------------------------------------------------------------------------------
// logs.v1

fn resource_logs(tracker: &mut ProblemTracker, message: logs::ResourceLogs) -> ResourceLogs {
    ResourceLogs {
        resource: resource(tracker, message.resource),
        scope_logs: convert_list(tracker, "scopeLogs", true, message.scope_logs, scope_logs),
        schema_url: message.schema_url.into(),
    }
}

fn scope_logs(tracker: &mut ProblemTracker, message: logs::ScopeLogs) -> ScopeLogs {
    ScopeLogs {
        scope: scope(tracker, message.scope),
        log_records: convert_list(tracker, "logRecords", true, message.log_records, log_record),
        schema_url: message.schema_url.into(),
    }
}

fn log_record(tracker: &mut ProblemTracker, record: logs::LogRecord) -> LogRecord {
    let body = record.body.map(|body| {
        tracker.enter_field("body");
        let res = any_value(tracker, body);
        tracker.leave();
        res
    });
    LogRecord {
        time_unix_nano: record.time_unix_nano,
        observed_time_unix_nano: record.observed_time_unix_nano,
        severity_number: record.severity_number,
        severity_text: record.severity_text.into(),
        body,
        attributes: attributes(tracker, record.attributes),
        dropped_attributes_count: record.dropped_attributes_count,
        flags: record.flags,
        trace_id: id(tracker, "traceId", record.trace_id, TRACE_ID_BYTES),
        span_id: id(tracker, "spanId", record.span_id, SPAN_ID_BYTES),
        event_name: record.event_name.into(),
    }
}

// ---------------------------------------------------------------------------------------
// metrics.v1

fn resource_metrics(
    tracker: &mut ProblemTracker,
    message: metrics::ResourceMetrics,
) -> ResourceMetrics {
    ResourceMetrics {
        resource: resource(tracker, message.resource),
        scope_metrics: convert_list(
            tracker,
            "scopeMetrics",
            true,
            message.scope_metrics,
            scope_metrics,
        ),
        schema_url: message.schema_url.into(),
    }
}

fn scope_metrics(tracker: &mut ProblemTracker, message: metrics::ScopeMetrics) -> ScopeMetrics {
    ScopeMetrics {
        scope: scope(tracker, message.scope),
        metrics: convert_list(tracker, "metrics", true, message.metrics, metric),
        schema_url: message.schema_url.into(),
    }
}

/// Converts the data points of the data field `name` (`sum.dataPoints[i]`).
fn data_points<T, U>(
    tracker: &mut ProblemTracker,
    name: &'static str,
    points: Vec<T>,
    convert: fn(&mut ProblemTracker, T) -> U,
) -> Vec<U> {
    tracker.enter_field(name);
    let res = convert_list(tracker, "dataPoints", true, points, convert);
    tracker.leave();
    res
}

fn metric(tracker: &mut ProblemTracker, message: metrics::Metric) -> Metric {
    use metrics::metric::Data;
    let data = match message.data {
        None => {
            tracker.report_metric_without_data();
            MetricData::Missing
        }
        Some(Data::Gauge(gauge)) => MetricData::Gauge {
            points: data_points(tracker, "gauge", gauge.data_points, number_point),
        },
        Some(Data::Sum(sum)) => MetricData::Sum {
            points: data_points(tracker, "sum", sum.data_points, number_point),
            temporality: Temporality::from_i32(sum.aggregation_temporality),
            is_monotonic: sum.is_monotonic,
        },
        Some(Data::Histogram(histogram)) => MetricData::Histogram {
            points: data_points(tracker, "histogram", histogram.data_points, histogram_point),
            temporality: Temporality::from_i32(histogram.aggregation_temporality),
        },
        Some(Data::ExponentialHistogram(histogram)) => MetricData::ExponentialHistogram {
            points: data_points(
                tracker,
                "exponentialHistogram",
                histogram.data_points,
                exponential_histogram_point,
            ),
            temporality: Temporality::from_i32(histogram.aggregation_temporality),
        },
        Some(Data::Summary(summary)) => MetricData::Summary {
            points: data_points(tracker, "summary", summary.data_points, summary_point),
        },
    };
    Metric { name: message.name.into(), description: message.description.into(), unit: message.unit.into(), data }
}

fn number_point(tracker: &mut ProblemTracker, point: metrics::NumberDataPoint) -> NumberDataPoint {
    use metrics::number_data_point::Value;
    NumberDataPoint {
        attributes: attributes(tracker, point.attributes),
        start_time_unix_nano: point.start_time_unix_nano,
        time_unix_nano: point.time_unix_nano,
        value: match point.value {
            None => NumberValue::Missing,
            Some(Value::AsInt(it)) => NumberValue::Int(it),
            Some(Value::AsDouble(it)) => NumberValue::Double(it),
        },
        flags: point.flags,
    }
}

fn histogram_point(
    tracker: &mut ProblemTracker,
    point: metrics::HistogramDataPoint,
) -> HistogramDataPoint {
    HistogramDataPoint {
        attributes: attributes(tracker, point.attributes),
        start_time_unix_nano: point.start_time_unix_nano,
        time_unix_nano: point.time_unix_nano,
        count: point.count,
        sum: point.sum,
        bucket_counts: point.bucket_counts,
        explicit_bounds: point.explicit_bounds,
        min: point.min,
        max: point.max,
        flags: point.flags,
    }
}

fn buckets(buckets: Option<metrics::exponential_histogram_data_point::Buckets>) -> (i32, Vec<u64>) {
    buckets.map(|it| (it.offset, it.bucket_counts)).unwrap_or_default()
}

fn exponential_histogram_point(
    tracker: &mut ProblemTracker,
    point: metrics::ExponentialHistogramDataPoint,
) -> ExponentialHistogramDataPoint {
    ExponentialHistogramDataPoint {
        attributes: attributes(tracker, point.attributes),
        start_time_unix_nano: point.start_time_unix_nano,
        time_unix_nano: point.time_unix_nano,
        count: point.count,
        sum: point.sum,
        scale: point.scale,
        zero_count: point.zero_count,
        positive: buckets(point.positive),
        negative: buckets(point.negative),
        min: point.min,
        max: point.max,
        flags: point.flags,
    }
}

fn summary_point(
    tracker: &mut ProblemTracker,
    point: metrics::SummaryDataPoint,
) -> SummaryDataPoint {
    SummaryDataPoint {
        attributes: attributes(tracker, point.attributes),
        start_time_unix_nano: point.start_time_unix_nano,
        time_unix_nano: point.time_unix_nano,
        count: point.count,
        sum: point.sum,
        quantile_values: point
            .quantile_values
            .into_iter()
            .map(|it| (it.quantile, it.value))
            .collect(),
        flags: point.flags,
    }
}

// ---------------------------------------------------------------------------------------
// trace.v1

fn resource_spans(tracker: &mut ProblemTracker, message: trace::ResourceSpans) -> ResourceSpans {
    ResourceSpans {
        resource: resource(tracker, message.resource),
        scope_spans: convert_list(tracker, "scopeSpans", true, message.scope_spans, scope_spans),
        schema_url: message.schema_url.into(),
    }
}

fn scope_spans(tracker: &mut ProblemTracker, message: trace::ScopeSpans) -> ScopeSpans {
    ScopeSpans {
        scope: scope(tracker, message.scope),
        spans: convert_list(tracker, "spans", true, message.spans, span),
        schema_url: message.schema_url.into(),
    }
}

fn span(tracker: &mut ProblemTracker, span: trace::Span) -> Span {
    let status = span.status.unwrap_or_default();
    Span {
        trace_id: id(tracker, "traceId", span.trace_id, TRACE_ID_BYTES),
        span_id: id(tracker, "spanId", span.span_id, SPAN_ID_BYTES),
        trace_state: span.trace_state.into(),
        parent_span_id: id(tracker, "parentSpanId", span.parent_span_id, SPAN_ID_BYTES),
        flags: span.flags,
        name: span.name.into(),
        kind: span.kind,
        start_time_unix_nano: span.start_time_unix_nano,
        end_time_unix_nano: span.end_time_unix_nano,
        attributes: attributes(tracker, span.attributes),
        dropped_attributes_count: span.dropped_attributes_count,
        events: convert_list(tracker, "events", false, span.events, span_event),
        links: convert_list(tracker, "links", false, span.links, span_link),
        status_code: status.code,
        status_message: status.message.into(),
    }
}

fn span_event(tracker: &mut ProblemTracker, event: trace::span::Event) -> SpanEvent {
    SpanEvent {
        time_unix_nano: event.time_unix_nano,
        name: event.name.into(),
        attributes: attributes(tracker, event.attributes),
    }
}

fn span_link(tracker: &mut ProblemTracker, link: trace::span::Link) -> SpanLink {
    SpanLink {
        trace_id: id(tracker, "traceId", link.trace_id, TRACE_ID_BYTES),
        span_id: id(tracker, "spanId", link.span_id, SPAN_ID_BYTES),
        trace_state: link.trace_state.into(),
        attributes: attributes(tracker, link.attributes),
    }
}
