//! Canonical records as OTLP logs: how codetel's output travels on the wire, and what
//! `CA-OTLP-001` encodes with [`crate::otlp::encode`] and decodes again.
//!
//! One resource group per vendor (`service.name` = `codetel`, `coding_agent.vendor`), scope
//! `codetel`, and one log record per canonical record:
//! - `eventName` = `coding_agent.<kind>` (`coding_agent.llm_call`),
//! - `timeUnixNano` = the record's time (0 when it has none),
//! - `traceId` / `spanId` from `coding_agent.trace_id` / `coding_agent.span_id` when valid,
//! - attributes: every canonical attribute under its own key, then `coding_agent.vendor_attributes`
//!   (a kvlist) and `coding_agent.source` (a kvlist of file, signal, locator and name) when set.
//!
//! Canonical values map onto `AnyValue` one to one: strings, integers, doubles, booleans,
//! string lists as arrays, vendor JSON as nested arrays and kvlists, a redacted value as the
//! kvlist `{redacted, length}`.

use std::collections::BTreeMap;

use crate::otlp::{AnyValue, ExportRequest, KeyValue, LogRecord, Resource, ResourceLogs, Scope, ScopeLogs};
use crate::schema::attributes as attr;
use crate::schema::{CanonicalRecord, Value};

/// The scope and service name of codetel's own output.
pub const SCOPE: &str = "codetel";

fn kv(key: &str, value: AnyValue) -> KeyValue {
    KeyValue { key: key.into(), value }
}

/// A canonical value as an OTLP `AnyValue`.
pub fn value_to_any(value: &Value) -> AnyValue {
    match value {
        Value::Str(it) => AnyValue::String(it.as_str().into()),
        Value::Int(it) => AnyValue::Int(*it),
        Value::Double(it) => AnyValue::Double(*it),
        Value::Bool(it) => AnyValue::Bool(*it),
        Value::StrList(items) => AnyValue::Array(items.iter().map(|it| AnyValue::String(it.as_str().into())).collect()),
        Value::Json(json) => crate::adapter::json_to_any(json),
        Value::Redacted(redacted) => AnyValue::KvList(vec![
            kv("redacted", AnyValue::String(redacted.redacted.into())),
            kv("length", AnyValue::Int(redacted.length as i64)),
        ]),
    }
}

fn hex_bytes(record: &CanonicalRecord, key: &str, len: usize) -> Vec<u8> {
    let Some(Value::Str(text)) = record.attributes.get(key) else { return Vec::new() };
    if text.len() != len * 2 || !text.bytes().all(|it| it.is_ascii_hexdigit()) {
        return Vec::new();
    }
    (0..len).filter_map(|index| u8::from_str_radix(&text[index * 2..index * 2 + 2], 16).ok()).collect()
}

/// One log record for one canonical record.
pub fn to_log_record(record: &CanonicalRecord) -> LogRecord {
    let mut attributes: Vec<KeyValue> =
        record.attributes.iter().map(|(key, value)| kv(key, value_to_any(value))).collect();
    if !record.vendor_attributes.is_empty() {
        let values = record.vendor_attributes.iter().map(|(key, value)| kv(key, value_to_any(value))).collect();
        attributes.push(kv("coding_agent.vendor_attributes", AnyValue::KvList(values)));
    }
    if let Some(source) = &record.source {
        attributes.push(kv(
            "coding_agent.source",
            AnyValue::KvList(vec![
                kv("file", AnyValue::String(source.file.as_str().into())),
                kv("signal", AnyValue::String(source.signal.as_str().into())),
                kv("locator", AnyValue::String(source.locator.as_str().into())),
                kv("name", AnyValue::String(source.name.as_str().into())),
            ]),
        ));
    }
    LogRecord {
        time_unix_nano: record.time_unix_nano.unwrap_or(0),
        event_name: format!("coding_agent.{}", record.kind.as_str()).into(),
        trace_id: hex_bytes(record, attr::TRACE_ID, 16),
        span_id: hex_bytes(record, attr::SPAN_ID, 8),
        attributes,
        ..LogRecord::default()
    }
}

/// Canonical records as one OTLP logs export request, a resource group per vendor.
pub fn to_request(records: &[CanonicalRecord]) -> ExportRequest {
    let mut by_vendor: BTreeMap<&'static str, Vec<LogRecord>> = BTreeMap::new();
    for record in records {
        by_vendor.entry(record.vendor).or_default().push(to_log_record(record));
    }
    ExportRequest::Logs(
        by_vendor
            .into_iter()
            .map(|(vendor, log_records)| ResourceLogs {
                resource: Resource {
                    attributes: vec![
                        kv("service.name", AnyValue::String(SCOPE.into())),
                        kv(attr::VENDOR, AnyValue::String(vendor.into())),
                    ],
                    dropped_attributes_count: 0,
                },
                scope_logs: vec![ScopeLogs {
                    scope: Scope { name: SCOPE.into(), version: env!("CARGO_PKG_VERSION").into(), attributes: Vec::new() },
                    log_records,
                    schema_url: Default::default(),
                }],
                schema_url: Default::default(),
            })
            .collect(),
    )
}

/// The records in the order [`to_request`] writes them: grouped by vendor, stable within.
pub fn grouped_order(records: &[CanonicalRecord]) -> Vec<&CanonicalRecord> {
    let mut ordered: Vec<&CanonicalRecord> = records.iter().collect();
    ordered.sort_by_key(|it| it.vendor);
    ordered
}

/// The index, in [`grouped_order`], of the first log record that differs between two logs
/// requests.
pub fn first_difference(expected: &ExportRequest, actual: &ExportRequest) -> Option<usize> {
    let (ExportRequest::Logs(expected), ExportRequest::Logs(actual)) = (expected, actual) else { return None };
    let flatten = |groups: &[ResourceLogs]| -> Vec<LogRecord> {
        groups.iter().flat_map(|it| it.scope_logs.iter().flat_map(|scope| scope.log_records.iter().cloned())).collect()
    };
    let (expected, actual) = (flatten(expected), flatten(actual));
    expected.iter().zip(&actual).position(|(a, b)| a != b)
}
