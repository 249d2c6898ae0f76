//! Canonical records as OTLP logs, and back: the forwarding format.
//!
//! Each canonical record becomes one OTLP log record:
//! - `eventName` and the attribute `event.name` = the record kind (`llm_call`, `tool_call`, ...);
//! - time = the record time (0 when it has none), observed time = when the collector stored it;
//! - trace and span id = `coding_agent.trace_id` / `coding_agent.span_id` when present;
//! - severity ERROR (17) for `api_error`, INFO (9) otherwise;
//! - attributes = the canonical attributes under their own keys, plus the record's envelope
//!   under `codetel.*`: `codetel.record.session_id`, `codetel.record.capture_mode`,
//!   `codetel.parent_session.id` and `codetel.resumed_from_session.id` (when the collector
//!   found them), `codetel.source.file`,
//!   `.signal`, `.locator`, `.name`, and every surviving vendor attribute as
//!   `codetel.vendor_attribute.<key>`.
//!
//! Records are grouped by vendor into resources with `service.name` = `codetel`,
//! `service.version` = this crate's version, `coding_agent.vendor` = the vendor, and one scope
//! named [`SCOPE_NAME`]. The collector's tenant is not sent: the receiving side takes its
//! tenant from the token it authenticates with, never from telemetry.
//!
//! Values: string, int, double and bool map to themselves; a string list to an array of
//! strings; a redacted value to a kvlist `{redacted: <wire type>, length: <n>}`; bytes to
//! `bytesValue`; other JSON natively (objects to kvlists, arrays to arrays, null to empty).
//! Reading back ([`from_otlp`]) inverts this, with one ambiguity stated: a JSON array of
//! strings comes back as a string list.
//!
//! A codetel collector receiving logs whose every scope is [`SCOPE_NAME`] reads them back
//! with [`from_otlp`] instead of the vendor adapters, so collectors chain without loss.

use std::collections::BTreeMap;

use crate::adapters;
use crate::otlp::{AnyValue, ExportRequest, KeyValue, LogRecord, Resource, ResourceLogs, Scope, ScopeLogs, Signal};
use crate::schema::{attributes, CanonicalRecord, CaptureMode, RecordKind, Redacted, SourceRef, Value};

/// The instrumentation scope of forwarded canonical records.
pub const SCOPE_NAME: &str = "codetel.canonical";

const EVENT_NAME: &str = "event.name";
const RECORD_SESSION_ID: &str = "codetel.record.session_id";
const RECORD_CAPTURE_MODE: &str = "codetel.record.capture_mode";
const PARENT_SESSION_ID: &str = "codetel.parent_session.id";
const RESUMED_FROM_SESSION_ID: &str = "codetel.resumed_from_session.id";
const SOURCE_FILE: &str = "codetel.source.file";
const SOURCE_SIGNAL: &str = "codetel.source.signal";
const SOURCE_LOCATOR: &str = "codetel.source.locator";
const SOURCE_NAME: &str = "codetel.source.name";
const VENDOR_ATTRIBUTE_PREFIX: &str = "codetel.vendor_attribute.";

/// One record to forward, with what the collector knows beside it.
#[derive(Debug, Clone, Copy)]
pub struct Outgoing<'a> {
    /// The record.
    pub record: &'a CanonicalRecord,
    /// The parent session, when the collector's identity policy found one.
    pub parent_session_id: Option<&'a str>,
    /// The session this one resumes, when the collector's identity policy found one.
    pub resumed_from_session_id: Option<&'a str>,
}

/// Builds the OTLP logs request carrying `records`; `observed_unix_nano` is when they were stored.
pub fn to_otlp(records: &[Outgoing<'_>], observed_unix_nano: u64) -> ExportRequest {
    let mut by_vendor: BTreeMap<&str, Vec<LogRecord>> = BTreeMap::new();
    for outgoing in records {
        by_vendor.entry(outgoing.record.vendor).or_default().push(log_record(outgoing, observed_unix_nano));
    }
    ExportRequest::Logs(
        by_vendor
            .into_iter()
            .map(|(vendor, log_records)| ResourceLogs {
                resource: Resource {
                    attributes: vec![
                        kv("service.name", AnyValue::String("codetel".into())),
                        kv("service.version", AnyValue::String(env!("CARGO_PKG_VERSION").into())),
                        kv(attributes::VENDOR, AnyValue::String(vendor.into())),
                    ],
                    dropped_attributes_count: 0,
                },
                scope_logs: vec![ScopeLogs {
                    scope: Scope {
                        name: SCOPE_NAME.into(),
                        version: env!("CARGO_PKG_VERSION").into(),
                        attributes: Vec::new(),
                    },
                    log_records,
                    schema_url: Default::default(),
                }],
                schema_url: Default::default(),
            })
            .collect(),
    )
}

fn kv(key: &str, value: AnyValue) -> KeyValue {
    KeyValue { key: key.into(), value }
}

fn log_record(outgoing: &Outgoing<'_>, observed_unix_nano: u64) -> LogRecord {
    let record = outgoing.record;
    let mut attrs = Vec::with_capacity(record.attributes.len() + 8);
    attrs.push(kv(EVENT_NAME, AnyValue::String(record.kind.as_str().into())));
    for (key, value) in &record.attributes {
        attrs.push(kv(key, value_to_any(value)));
    }
    if let Some(session_id) = &record.session_id {
        attrs.push(kv(RECORD_SESSION_ID, AnyValue::String(session_id.as_str().into())));
    }
    attrs.push(kv(RECORD_CAPTURE_MODE, AnyValue::String(record.capture_mode.as_str().into())));
    if let Some(parent) = outgoing.parent_session_id {
        attrs.push(kv(PARENT_SESSION_ID, AnyValue::String(parent.into())));
    }
    if let Some(original) = outgoing.resumed_from_session_id {
        attrs.push(kv(RESUMED_FROM_SESSION_ID, AnyValue::String(original.into())));
    }
    if let Some(source) = &record.source {
        attrs.push(kv(SOURCE_FILE, AnyValue::String(source.file.as_str().into())));
        attrs.push(kv(SOURCE_SIGNAL, AnyValue::String(source.signal.as_str().into())));
        attrs.push(kv(SOURCE_LOCATOR, AnyValue::String(source.locator.as_str().into())));
        attrs.push(kv(SOURCE_NAME, AnyValue::String(source.name.as_str().into())));
    }
    for (key, value) in &record.vendor_attributes {
        attrs.push(kv(&format!("{VENDOR_ATTRIBUTE_PREFIX}{key}"), value_to_any(value)));
    }
    let hex = |key: &str| match record.attributes.get(key) {
        Some(Value::Str(it)) => parse_hex(it).unwrap_or_default(),
        _ => Vec::new(),
    };
    let error = record.kind == RecordKind::ApiError;
    LogRecord {
        time_unix_nano: record.time_unix_nano.unwrap_or(0),
        observed_time_unix_nano: observed_unix_nano,
        severity_number: if error { 17 } else { 9 },
        severity_text: if error { "ERROR" } else { "INFO" }.into(),
        body: None,
        attributes: attrs,
        dropped_attributes_count: 0,
        flags: 0,
        trace_id: hex(attributes::TRACE_ID),
        span_id: hex(attributes::SPAN_ID),
        event_name: record.kind.as_str().into(),
    }
}

fn parse_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|index| u8::from_str_radix(text.get(index..index + 2)?, 16).ok())
        .collect()
}

/// A canonical value on the wire.
pub fn value_to_any(value: &Value) -> AnyValue {
    match value {
        Value::Str(it) => AnyValue::String(it.as_str().into()),
        Value::Int(it) => AnyValue::Int(*it),
        Value::Double(it) => AnyValue::Double(*it),
        Value::Bool(it) => AnyValue::Bool(*it),
        Value::StrList(it) => AnyValue::Array(it.iter().map(|it| AnyValue::String(it.as_str().into())).collect()),
        Value::Redacted(it) => AnyValue::KvList(vec![
            kv("redacted", AnyValue::String(it.redacted.into())),
            kv("length", AnyValue::Int(it.length as i64)),
        ]),
        Value::Json(json) => match value.bytes_len() {
            Some(_) => bytes_of(json).map(AnyValue::Bytes).unwrap_or_else(|| crate::adapter::json_to_any(json)),
            None => crate::adapter::json_to_any(json),
        },
    }
}

fn bytes_of(json: &serde_json::Value) -> Option<Vec<u8>> {
    use base64::Engine as _;
    let encoded = json.get(Value::BYTES_KEY)?.as_str()?;
    base64::engine::general_purpose::STANDARD.decode(encoded).ok()
}

/// The wire types a redacted value can name, as the static strings the schema uses.
const WIRE_TYPES: [&str; 8] =
    ["stringValue", "arrayValue", "kvlistValue", "bytesValue", "intValue", "doubleValue", "boolValue", "empty"];

/// Reads a wire value back into a canonical value (the inverse of [`value_to_any`]).
pub fn any_to_value(value: &AnyValue) -> Value {
    match value {
        AnyValue::String(it) => Value::Str(it.to_string()),
        AnyValue::Int(it) => Value::Int(*it),
        AnyValue::Double(it) => Value::Double(*it),
        AnyValue::Bool(it) => Value::Bool(*it),
        AnyValue::Bytes(it) => Value::from_bytes(it),
        AnyValue::Array(values) if values.iter().all(|it| matches!(it, AnyValue::String(_))) && !values.is_empty() => {
            Value::StrList(values.iter().filter_map(|it| it.as_str().map(str::to_owned)).collect())
        }
        AnyValue::KvList(values) => match redacted(values) {
            Some(it) => Value::Redacted(it),
            None => Value::Json(crate::adapter::any_to_json(value)),
        },
        other => Value::Json(crate::adapter::any_to_json(other)),
    }
}

fn redacted(values: &[KeyValue]) -> Option<Redacted> {
    let [first, second] = values else { return None };
    if first.key != "redacted" || second.key != "length" {
        return None;
    }
    let wire = first.value.as_str()?;
    let redacted = WIRE_TYPES.iter().find(|it| **it == wire)?;
    let AnyValue::Int(length) = second.value else { return None };
    Some(Redacted { redacted, length: usize::try_from(length).ok()? })
}

/// Whether a request is canonical records forwarded by a codetel collector: logs whose every
/// scope is [`SCOPE_NAME`] (and at least one).
pub fn is_forwarded(request: &ExportRequest) -> bool {
    let ExportRequest::Logs(resources) = request else { return false };
    let mut scopes = resources.iter().flat_map(|it| &it.scope_logs).peekable();
    scopes.peek().is_some() && scopes.all(|it| it.scope.name == SCOPE_NAME)
}

/// One record read back, with the parent session it was forwarded with.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The record.
    pub record: CanonicalRecord,
    /// The parent session the upstream found.
    pub parent_session_id: Option<String>,
    /// The session the upstream found this one resumes.
    pub resumed_from_session_id: Option<String>,
}

/// What reading forwarded records back produced.
#[derive(Debug, Default)]
pub struct Import {
    /// Records read back, in order.
    pub records: Vec<Imported>,
    /// Log records that could not be read back, with why.
    pub rejected: Vec<String>,
}

/// Reads canonical records back from forwarded OTLP logs. `mode` is the receiving
/// collector's capture mode: a record keeps the stricter of the upstream's mode and this one.
pub fn from_otlp(request: &ExportRequest, mode: CaptureMode) -> Import {
    let mut import = Import::default();
    let ExportRequest::Logs(resources) = request else { return import };
    for resource_logs in resources {
        let vendor_name =
            crate::otlp::find_attr(&resource_logs.resource.attributes, attributes::VENDOR).and_then(AnyValue::as_str);
        for scope_logs in &resource_logs.scope_logs {
            for log in &scope_logs.log_records {
                match read_record(vendor_name, log, mode) {
                    Ok(it) => import.records.push(it),
                    Err(reason) => import.rejected.push(reason),
                }
            }
        }
    }
    import
}

fn read_record(vendor_name: Option<&str>, log: &LogRecord, mode: CaptureMode) -> Result<Imported, String> {
    let Some(vendor_name) = vendor_name else {
        return Err("forwarded record without a coding_agent.vendor resource attribute".to_owned());
    };
    let Some(vendor) = adapters::by_name(vendor_name).map(|it| it.name()) else {
        return Err(format!("forwarded record of vendor `{vendor_name}`, which this codetel does not know"));
    };
    let kind_name = if log.event_name.is_empty() {
        crate::otlp::find_attr(&log.attributes, EVENT_NAME).and_then(AnyValue::as_str).unwrap_or_default()
    } else {
        &log.event_name
    };
    let Some(kind) = RecordKind::ALL.into_iter().find(|it| it.as_str() == kind_name) else {
        return Err(format!("forwarded record of unknown kind `{kind_name}`"));
    };
    let mut record = CanonicalRecord {
        kind,
        vendor,
        session_id: None,
        time_unix_nano: (log.time_unix_nano != 0).then_some(log.time_unix_nano),
        capture_mode: CaptureMode::Full,
        attributes: BTreeMap::new(),
        vendor_attributes: BTreeMap::new(),
        source: None,
        item: None,
        vendor_metadata: Default::default(),
    };
    let mut upstream_mode = CaptureMode::MetadataOnly;
    let mut parent_session_id = None;
    let mut resumed_from_session_id = None;
    let mut source = (None, None, None, None);
    for attribute in &log.attributes {
        let text = || attribute.value.as_str().map(str::to_owned);
        match attribute.key.as_str() {
            EVENT_NAME => {}
            RECORD_SESSION_ID => record.session_id = text(),
            RECORD_CAPTURE_MODE => {
                upstream_mode = text().as_deref().and_then(CaptureMode::parse).unwrap_or(CaptureMode::Minimal)
            }
            PARENT_SESSION_ID => parent_session_id = text(),
            RESUMED_FROM_SESSION_ID => resumed_from_session_id = text(),
            SOURCE_FILE => source.0 = text(),
            SOURCE_SIGNAL => source.1 = text().as_deref().and_then(Signal::parse),
            SOURCE_LOCATOR => source.2 = text(),
            SOURCE_NAME => source.3 = text(),
            key => {
                if let Some(vendor_key) = key.strip_prefix(VENDOR_ATTRIBUTE_PREFIX) {
                    let value = any_to_value(&attribute.value);
                    // The upstream's privacy layer already decided this value may be kept; it
                    // is metadata here too, and this collector's mode still applies below.
                    if matches!(value, Value::Str(_) | Value::Int(_) | Value::Double(_) | Value::Bool(_)) {
                        let _ = record.vendor_metadata.insert(vendor_key.to_owned());
                    }
                    let _ = record.vendor_attributes.insert(vendor_key.to_owned(), value);
                } else if let Some(spec) = attributes::spec(key) {
                    let _ = record.attributes.insert(spec.key, any_to_value(&attribute.value));
                } else {
                    // A canonical key this codetel does not know (a newer upstream): kept as a
                    // vendor attribute, where privacy reduces it like any unknown string.
                    let _ = record.vendor_attributes.insert(key.to_owned(), any_to_value(&attribute.value));
                }
            }
        }
    }
    if let (Some(file), Some(signal), Some(locator), Some(name)) = source {
        record.source = Some(SourceRef { file, signal, locator, name });
    }
    let _ = crate::privacy::apply(upstream_mode.min(mode), &mut record);
    Ok(Imported { record, parent_session_id, resumed_from_session_id })
}
