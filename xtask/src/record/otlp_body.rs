//! Reading captured OTLP bodies just enough to count them and find identity values.
//!
//! Deliberately independent of codetel's own decoders (written in parallel and meant to be
//! checked against this corpus): protobuf goes through the `opentelemetry-proto` prost
//! messages, JSON through plain `serde_json` navigation of the OTLP/JSON field names.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

use anyhow::{Context, Result};
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::metrics::v1::metric::Data;
use prost::Message;
use serde_json::Value;

use super::capture_server::{Encoding, Signal};

/// A decoded export request.
pub enum Decoded {
    /// Protobuf logs.
    Logs(ExportLogsServiceRequest),
    /// Protobuf metrics.
    Metrics(ExportMetricsServiceRequest),
    /// Protobuf traces.
    Traces(ExportTraceServiceRequest),
    /// Any OTLP/JSON body.
    Json(Signal, Value),
}

/// Gunzips a body.
pub fn gunzip(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut plain)
        .context("gunzipping a captured body")?;
    Ok(plain)
}

/// Gzips a body.
pub fn gzip(bytes: &[u8]) -> Result<Vec<u8>> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).context("gzipping a body")?;
    encoder.finish().context("finishing a gzip body")
}

/// Decodes an uncompressed body; `None` for a signal the recorder does not know.
pub fn decode(signal: Signal, encoding: Encoding, plain: &[u8]) -> Result<Option<Decoded>> {
    let decoded = match (encoding, signal) {
        (_, Signal::Other) => return Ok(None),
        (Encoding::Json, _) => Decoded::Json(
            signal,
            serde_json::from_slice(plain).context("parsing an OTLP/JSON body")?,
        ),
        (Encoding::Protobuf, Signal::Logs) => Decoded::Logs(
            ExportLogsServiceRequest::decode(plain).context("decoding ExportLogsServiceRequest")?,
        ),
        (Encoding::Protobuf, Signal::Metrics) => Decoded::Metrics(
            ExportMetricsServiceRequest::decode(plain)
                .context("decoding ExportMetricsServiceRequest")?,
        ),
        (Encoding::Protobuf, Signal::Traces) => Decoded::Traces(
            ExportTraceServiceRequest::decode(plain)
                .context("decoding ExportTraceServiceRequest")?,
        ),
    };
    Ok(Some(decoded))
}

/// What a set of bodies holds.
#[derive(Debug, Default, Clone)]
pub struct Inventory {
    /// Log records.
    pub log_records: usize,
    /// Metric data points.
    pub data_points: usize,
    /// Spans.
    pub spans: usize,
    /// Log records per event name (attribute `event.name`, else the string body).
    pub events: BTreeMap<String, usize>,
    /// Data points per metric name.
    pub metrics: BTreeMap<String, usize>,
    /// Spans per name.
    pub span_names: BTreeMap<String, usize>,
    /// Span events per name.
    pub span_events: BTreeMap<String, usize>,
    /// `service.name` values seen on resources.
    pub service_names: BTreeSet<String>,
    /// Instrumentation scope names seen.
    pub scopes: BTreeSet<String>,
}

impl Inventory {
    /// Adds one decoded body.
    pub fn add(&mut self, decoded: &Decoded) {
        match decoded {
            Decoded::Logs(request) => self.add_proto_logs(request),
            Decoded::Metrics(request) => self.add_proto_metrics(request),
            Decoded::Traces(request) => self.add_proto_traces(request),
            Decoded::Json(signal, value) => self.add_json(*signal, value),
        }
    }

    fn add_service_name(&mut self, attributes: &[KeyValue]) {
        for kv in attributes {
            if kv.key == "service.name" {
                if let Some(text) = any_value_str(kv.value.as_ref()) {
                    self.service_names.insert(text.to_string());
                }
            }
        }
    }

    fn add_proto_logs(&mut self, request: &ExportLogsServiceRequest) {
        for resource_logs in &request.resource_logs {
            if let Some(resource) = &resource_logs.resource {
                self.add_service_name(&resource.attributes);
            }
            for scope_logs in &resource_logs.scope_logs {
                if let Some(scope) = &scope_logs.scope {
                    self.scopes.insert(scope.name.clone());
                }
                for record in &scope_logs.log_records {
                    self.log_records += 1;
                    let name = record
                        .attributes
                        .iter()
                        .find(|kv| kv.key == "event.name")
                        .and_then(|kv| any_value_str(kv.value.as_ref()))
                        .or_else(|| any_value_str(record.body.as_ref()))
                        .or(Some(record.event_name.as_str()).filter(|name| !name.is_empty()))
                        .unwrap_or("(unnamed)");
                    *self.events.entry(name.to_string()).or_default() += 1;
                }
            }
        }
    }

    fn add_proto_metrics(&mut self, request: &ExportMetricsServiceRequest) {
        for resource_metrics in &request.resource_metrics {
            if let Some(resource) = &resource_metrics.resource {
                self.add_service_name(&resource.attributes);
            }
            for scope_metrics in &resource_metrics.scope_metrics {
                if let Some(scope) = &scope_metrics.scope {
                    self.scopes.insert(scope.name.clone());
                }
                for metric in &scope_metrics.metrics {
                    let points = match &metric.data {
                        Some(Data::Sum(sum)) => sum.data_points.len(),
                        Some(Data::Gauge(gauge)) => gauge.data_points.len(),
                        Some(Data::Histogram(histogram)) => histogram.data_points.len(),
                        Some(Data::ExponentialHistogram(histogram)) => histogram.data_points.len(),
                        Some(Data::Summary(summary)) => summary.data_points.len(),
                        None => 0,
                    };
                    self.data_points += points;
                    *self.metrics.entry(metric.name.clone()).or_default() += points;
                }
            }
        }
    }

    fn add_proto_traces(&mut self, request: &ExportTraceServiceRequest) {
        for resource_spans in &request.resource_spans {
            if let Some(resource) = &resource_spans.resource {
                self.add_service_name(&resource.attributes);
            }
            for scope_spans in &resource_spans.scope_spans {
                if let Some(scope) = &scope_spans.scope {
                    self.scopes.insert(scope.name.clone());
                }
                for span in &scope_spans.spans {
                    self.spans += 1;
                    *self.span_names.entry(span.name.clone()).or_default() += 1;
                    for event in &span.events {
                        *self.span_events.entry(event.name.clone()).or_default() += 1;
                    }
                }
            }
        }
    }

    fn add_json(&mut self, signal: Signal, value: &Value) {
        let (resources_key, scopes_key) = match signal {
            Signal::Logs => ("resourceLogs", "scopeLogs"),
            Signal::Metrics => ("resourceMetrics", "scopeMetrics"),
            Signal::Traces => ("resourceSpans", "scopeSpans"),
            Signal::Other => return,
        };
        for resource in json_array(value, resources_key) {
            for kv in json_array(&resource["resource"], "attributes") {
                if kv["key"] == "service.name" {
                    if let Some(name) = kv["value"]["stringValue"].as_str() {
                        self.service_names.insert(name.to_string());
                    }
                }
            }
            for scope in json_array(resource, scopes_key) {
                if let Some(name) = scope["scope"]["name"].as_str() {
                    self.scopes.insert(name.to_string());
                }
                match signal {
                    Signal::Logs => {
                        for record in json_array(scope, "logRecords") {
                            self.log_records += 1;
                            let name = json_array(record, "attributes")
                                .iter()
                                .find(|kv| kv["key"] == "event.name")
                                .and_then(|kv| kv["value"]["stringValue"].as_str())
                                .or_else(|| record["body"]["stringValue"].as_str())
                                .or_else(|| record["eventName"].as_str())
                                .unwrap_or("(unnamed)");
                            *self.events.entry(name.to_string()).or_default() += 1;
                        }
                    }
                    Signal::Metrics => {
                        for metric in json_array(scope, "metrics") {
                            let points: usize = [
                                "sum",
                                "gauge",
                                "histogram",
                                "exponentialHistogram",
                                "summary",
                            ]
                            .iter()
                            .map(|kind| json_array(&metric[*kind], "dataPoints").len())
                            .sum();
                            self.data_points += points;
                            let name = metric["name"].as_str().unwrap_or("(unnamed)");
                            *self.metrics.entry(name.to_string()).or_default() += points;
                        }
                    }
                    Signal::Traces => {
                        for span in json_array(scope, "spans") {
                            self.spans += 1;
                            let name = span["name"].as_str().unwrap_or("(unnamed)");
                            *self.span_names.entry(name.to_string()).or_default() += 1;
                            for event in json_array(span, "events") {
                                let name = event["name"].as_str().unwrap_or("(unnamed)");
                                *self.span_events.entry(name.to_string()).or_default() += 1;
                            }
                        }
                    }
                    Signal::Other => {}
                }
            }
        }
    }
}

fn json_array<'a>(value: &'a Value, key: &str) -> &'a [Value] {
    value
        .get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn any_value_str(value: Option<&AnyValue>) -> Option<&str> {
    match value.and_then(|value| value.value.as_ref()) {
        Some(any_value::Value::StringValue(text)) => Some(text),
        _ => None,
    }
}

/// Every attribute with a string value anywhere in the body, as `(key, value)`.
pub fn string_attributes(decoded: &Decoded) -> Vec<(String, String)> {
    let mut found = Vec::new();
    match decoded {
        Decoded::Json(_, value) => collect_json_attributes(value, &mut found),
        _ => {
            let mut visit = |kv: &KeyValue| {
                if let Some(text) = any_value_str(kv.value.as_ref()) {
                    found.push((kv.key.clone(), text.to_string()));
                }
            };
            for_each_key_value(decoded, &mut visit);
        }
    }
    found
}

fn collect_json_attributes(value: &Value, found: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            if let (Some(Value::String(key)), Some(text)) = (
                map.get("key"),
                map.get("value")
                    .and_then(|v| v.get("stringValue"))
                    .and_then(Value::as_str),
            ) {
                found.push((key.clone(), text.to_string()));
            }
            for child in map.values() {
                collect_json_attributes(child, found);
            }
        }
        Value::Array(items) => {
            for item in items {
                collect_json_attributes(item, found);
            }
        }
        _ => {}
    }
}

/// Every string a protobuf body carries that could hold an identity value: attribute values
/// (nested ones too), log bodies and names, span names, span event names, status messages.
pub fn proto_strings(decoded: &Decoded) -> Vec<String> {
    let mut strings = Vec::new();
    let mut from_key_value =
        |kv: &KeyValue| collect_any_value_strings(kv.value.as_ref(), &mut strings);
    for_each_key_value(decoded, &mut from_key_value);
    match decoded {
        Decoded::Logs(request) => {
            for record in request
                .resource_logs
                .iter()
                .flat_map(|r| &r.scope_logs)
                .flat_map(|s| &s.log_records)
            {
                collect_any_value_strings(record.body.as_ref(), &mut strings);
                strings.push(record.event_name.clone());
            }
        }
        Decoded::Traces(request) => {
            for span in request
                .resource_spans
                .iter()
                .flat_map(|r| &r.scope_spans)
                .flat_map(|s| &s.spans)
            {
                strings.push(span.name.clone());
                strings.push(span.trace_state.clone());
                if let Some(status) = &span.status {
                    strings.push(status.message.clone());
                }
                strings.extend(span.events.iter().map(|event| event.name.clone()));
            }
        }
        Decoded::Metrics(request) => {
            for metric in request
                .resource_metrics
                .iter()
                .flat_map(|r| &r.scope_metrics)
                .flat_map(|s| &s.metrics)
            {
                strings.push(metric.description.clone());
            }
        }
        Decoded::Json(..) => {}
    }
    strings.retain(|text| !text.is_empty());
    strings
}

fn collect_any_value_strings(value: Option<&AnyValue>, out: &mut Vec<String>) {
    match value.and_then(|value| value.value.as_ref()) {
        Some(any_value::Value::StringValue(text)) => out.push(text.clone()),
        Some(any_value::Value::ArrayValue(array)) => {
            for item in &array.values {
                collect_any_value_strings(Some(item), out);
            }
        }
        Some(any_value::Value::KvlistValue(list)) => {
            for kv in &list.values {
                out.push(kv.key.clone());
                collect_any_value_strings(kv.value.as_ref(), out);
            }
        }
        _ => {}
    }
}

/// Calls `visit` on every top-level attribute of resources, scopes, records, data points,
/// exemplars, spans, span events and links.
fn for_each_key_value(decoded: &Decoded, visit: &mut dyn FnMut(&KeyValue)) {
    let mut all = |attributes: &[KeyValue]| attributes.iter().for_each(&mut *visit);
    match decoded {
        Decoded::Logs(request) => {
            for resource_logs in &request.resource_logs {
                if let Some(resource) = &resource_logs.resource {
                    all(&resource.attributes);
                }
                for scope_logs in &resource_logs.scope_logs {
                    if let Some(scope) = &scope_logs.scope {
                        all(&scope.attributes);
                    }
                    for record in &scope_logs.log_records {
                        all(&record.attributes);
                    }
                }
            }
        }
        Decoded::Metrics(request) => {
            for resource_metrics in &request.resource_metrics {
                if let Some(resource) = &resource_metrics.resource {
                    all(&resource.attributes);
                }
                for scope_metrics in &resource_metrics.scope_metrics {
                    if let Some(scope) = &scope_metrics.scope {
                        all(&scope.attributes);
                    }
                    for metric in &scope_metrics.metrics {
                        match &metric.data {
                            Some(Data::Sum(sum)) => sum.data_points.iter().for_each(|p| {
                                all(&p.attributes);
                                p.exemplars.iter().for_each(|e| all(&e.filtered_attributes));
                            }),
                            Some(Data::Gauge(gauge)) => gauge.data_points.iter().for_each(|p| {
                                all(&p.attributes);
                                p.exemplars.iter().for_each(|e| all(&e.filtered_attributes));
                            }),
                            Some(Data::Histogram(h)) => h.data_points.iter().for_each(|p| {
                                all(&p.attributes);
                                p.exemplars.iter().for_each(|e| all(&e.filtered_attributes));
                            }),
                            Some(Data::ExponentialHistogram(h)) => {
                                h.data_points.iter().for_each(|p| {
                                    all(&p.attributes);
                                    p.exemplars.iter().for_each(|e| all(&e.filtered_attributes));
                                })
                            }
                            Some(Data::Summary(s)) => {
                                s.data_points.iter().for_each(|p| all(&p.attributes))
                            }
                            None => {}
                        }
                    }
                }
            }
        }
        Decoded::Traces(request) => {
            for resource_spans in &request.resource_spans {
                if let Some(resource) = &resource_spans.resource {
                    all(&resource.attributes);
                }
                for scope_spans in &resource_spans.scope_spans {
                    if let Some(scope) = &scope_spans.scope {
                        all(&scope.attributes);
                    }
                    for span in &scope_spans.spans {
                        all(&span.attributes);
                        span.events.iter().for_each(|e| all(&e.attributes));
                        span.links.iter().for_each(|l| all(&l.attributes));
                    }
                }
            }
        }
        Decoded::Json(..) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_logs_are_counted_by_event_name() {
        let body = br#"{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"claude-code"}}]},
            "scopeLogs":[{"scope":{"name":"s"},"logRecords":[
              {"body":{"stringValue":"claude_code.api_request"},"attributes":[{"key":"event.name","value":{"stringValue":"api_request"}},{"key":"user.id","value":{"stringValue":"abc"}}]},
              {"body":{"stringValue":"claude_code.user_prompt"}}]}]}]}"#;
        let decoded = decode(Signal::Logs, Encoding::Json, body)
            .expect("decodes")
            .expect("known signal");
        let mut inventory = Inventory::default();
        inventory.add(&decoded);
        assert_eq!(inventory.log_records, 2);
        assert_eq!(inventory.events["api_request"], 1);
        assert_eq!(inventory.events["claude_code.user_prompt"], 1);
        assert!(inventory.service_names.contains("claude-code"));
        assert!(string_attributes(&decoded).contains(&("user.id".into(), "abc".into())));
    }
}
