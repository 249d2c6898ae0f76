//! The OTLP messages as [`Message`] builders: which JSON keys each accepts (lowerCamelCase,
//! and leniently the proto snake_case names), how each field is read, and which lists hold
//! accountable items (resource and scope envelopes, log records, metrics, data points,
//! spans), so that an unreadable one is counted as rejected.
//!
//! Fields the model does not keep (exemplars, metric metadata, entity refs, dropped
//! event/link counts, ...) are skipped like unknown fields.
//! A key that appears twice: a repeated field is appended to (as in protobuf), any other
//! field keeps the last value.

use serde::de::MapAccess;

use super::reader::{
    append_field, message_keys, read_field, skip_value, Base64, Bool, Enum, Id, KeepSlot, List, Message, Object,
    Text, F64, I32, I64, U32, U64,
};
use crate::otlp::problem_tracker::{ProblemTracker, SPAN_ID_BYTES, TRACE_ID_BYTES};
use crate::otlp::{
    AnyValue, ExponentialHistogramDataPoint, HistogramDataPoint, KeyValue, LogRecord, Metric,
    MetricData, NumberDataPoint, NumberValue, Resource, ResourceLogs, ResourceMetrics,
    ResourceSpans, Scope, ScopeLogs, ScopeMetrics, ScopeSpans, Span, SpanEvent, SpanLink,
    Str, SummaryDataPoint, Temporality,
};
use opentelemetry_proto::tonic::logs::v1::SeverityNumber;
use opentelemetry_proto::tonic::metrics::v1::AggregationTemporality;
use opentelemetry_proto::tonic::trace::v1::{span::SpanKind, status::StatusCode};


const TRACE_ID: Id = Id { bytes: TRACE_ID_BYTES };
const SPAN_ID: Id = Id { bytes: SPAN_ID_BYTES };

const SEVERITY: Enum = Enum {
    what: "SeverityNumber",
    by_name: |name| SeverityNumber::from_str_name(name).map(|it| it as i32),
};
const TEMPORALITY: Enum = Enum {
    what: "AggregationTemporality",
    by_name: |name| AggregationTemporality::from_str_name(name).map(|it| it as i32),
};
const SPAN_KIND: Enum =
    Enum { what: "SpanKind", by_name: |name| SpanKind::from_str_name(name).map(|it| it as i32) };
const STATUS_CODE: Enum = Enum {
    what: "StatusCode",
    by_name: |name| StatusCode::from_str_name(name).map(|it| it as i32),
};

// ---------------------------------------------------------------------------------------
// common.v1, resource.v1

/// An attribute list: an unreadable entry is skipped (only that attribute is lost).
const ATTRIBUTES: List<Object<KeyValueMessage>> =
    List { element: Object::FIELD, items: false, what: "attributes" };

/// An `AnyValue` where the slot is optional (`LogRecord.body`): `null` is absent.
pub(super) const ANY_VALUE: Object<AnyValueMessage> = Object::FIELD;

/// An `AnyValue` in a list or a `KeyValue`: the slot stays, as `Empty` when null or unreadable.
const ANY_VALUE_SLOT: KeepSlot<Object<AnyValueMessage>, AnyValue> =
    KeepSlot { element: Object::FIELD, fallback: || AnyValue::Empty };

message_keys! {
    pub(super) enum AnyValueKey {
        StringValue = "stringValue" | "string_value",
        BoolValue = "boolValue" | "bool_value",
        IntValue = "intValue" | "int_value",
        DoubleValue = "doubleValue" | "double_value",
        ArrayValue = "arrayValue" | "array_value",
        KvlistValue = "kvlistValue" | "kvlist_value",
        BytesValue = "bytesValue" | "bytes_value",
        StringValueStrindex = "stringValueStrindex" | "string_value_strindex",
    }
}

/// `common.v1.AnyValue`: `{}` is [`AnyValue::Empty`]; a variant whose value is `null` counts
/// as not set.
pub(super) struct AnyValueMessage {
    value: AnyValue,
    variants_seen: usize,
}

impl AnyValueMessage {
    fn set(&mut self, tracker: &mut ProblemTracker, value: Option<AnyValue>) {
        let Some(value) = value else { return };
        self.variants_seen += 1;
        if self.variants_seen == 2 {
            tracker.report(
                format!(
                    "AnyValue has more than one value field ({} and {}); keeping the last",
                    self.value.wire_type(),
                    value.wire_type()
                ),
                0,
            );
        }
        self.value = value;
    }
}

impl Message for AnyValueMessage {
    type Key = AnyValueKey;
    type Out = AnyValue;
    const WHAT: &'static str = "an AnyValue";

    fn key(name: &str) -> AnyValueKey {
        AnyValueKey::from_name(name)
    }

    fn new() -> Self {
        AnyValueMessage { value: AnyValue::Empty, variants_seen: 0 }
    }

    fn read_value<'de, A: MapAccess<'de>>(
        &mut self,
        tracker: &mut ProblemTracker,
        key: AnyValueKey,
        map: &mut A,
    ) -> Result<(), A::Error> {
        use AnyValueKey as K;
        let name = key.name();
        let value = match key {
            K::StringValue => read_field(map, tracker, name, &Text)?.map(AnyValue::String),
            K::BoolValue => read_field(map, tracker, name, &Bool)?.map(AnyValue::Bool),
            K::IntValue => read_field(map, tracker, name, &I64)?.map(AnyValue::Int),
            K::DoubleValue => read_field(map, tracker, name, &F64)?.map(AnyValue::Double),
            K::BytesValue => read_field(map, tracker, name, &Base64)?.map(AnyValue::Bytes),
            K::ArrayValue => read_field(map, tracker, name, &Object::<ArrayValueMessage>::FIELD)?
                .map(AnyValue::Array),
            K::KvlistValue => {
                read_field(map, tracker, name, &Object::<KeyValueListMessage>::FIELD)?
                    .map(AnyValue::KvList)
            }
            K::StringValueStrindex => {
                // A profiles-only string-table index: meaningless without the table.
                if read_field(map, tracker, name, &I32)?.is_some() {
                    tracker.enter_field(name);
                    tracker.report(
                        "stringValueStrindex is only meaningful in profiles; value ignored"
                            .to_owned(),
                        0,
                    );
                    tracker.leave();
                }
                None
            }
            K::Unknown => {
                skip_value(map)?;
                None
            }
        };
        self.set(tracker, value);
        Ok(())
    }

    fn finish(self, _tracker: &mut ProblemTracker) -> AnyValue {
        self.value
    }
}

message_keys! {
    pub(super) enum ValuesKey {
        Values = "values",
    }
}

/// `common.v1.ArrayValue`.
pub(super) struct ArrayValueMessage(Vec<AnyValue>);

impl Message for ArrayValueMessage {
    type Key = ValuesKey;
    type Out = Vec<AnyValue>;
    const WHAT: &'static str = "an ArrayValue";

    fn key(name: &str) -> ValuesKey {
        ValuesKey::from_name(name)
    }

    fn new() -> Self {
        ArrayValueMessage(Vec::new())
    }

    fn read_value<'de, A: MapAccess<'de>>(
        &mut self,
        tracker: &mut ProblemTracker,
        key: ValuesKey,
        map: &mut A,
    ) -> Result<(), A::Error> {
        const VALUES: List<KeepSlot<Object<AnyValueMessage>, AnyValue>> =
            List { element: ANY_VALUE_SLOT, items: false, what: "AnyValues" };
        match key {
            ValuesKey::Values => {
                append_field(map, tracker, key.name(), &VALUES, &mut self.0)?
            }
            ValuesKey::Unknown => skip_value(map)?,
        }
        Ok(())
    }

    fn finish(self, _tracker: &mut ProblemTracker) -> Vec<AnyValue> {
        self.0
    }
}

/// `common.v1.KeyValueList`.
pub(super) struct KeyValueListMessage(Vec<KeyValue>);

impl Message for KeyValueListMessage {
    type Key = ValuesKey;
    type Out = Vec<KeyValue>;
    const WHAT: &'static str = "a KeyValueList";

    fn key(name: &str) -> ValuesKey {
        ValuesKey::from_name(name)
    }

    fn new() -> Self {
        KeyValueListMessage(Vec::new())
    }

    fn read_value<'de, A: MapAccess<'de>>(
        &mut self,
        tracker: &mut ProblemTracker,
        key: ValuesKey,
        map: &mut A,
    ) -> Result<(), A::Error> {
        match key {
            ValuesKey::Values => {
                append_field(map, tracker, key.name(), &ATTRIBUTES, &mut self.0)?
            }
            ValuesKey::Unknown => skip_value(map)?,
        }
        Ok(())
    }

    fn finish(self, _tracker: &mut ProblemTracker) -> Vec<KeyValue> {
        self.0
    }
}

message_keys! {
    pub(super) enum KeyValueKey {
        Key = "key",
        Value = "value",
    }
}

/// `common.v1.KeyValue`: a missing value is [`AnyValue::Empty`].
pub(super) struct KeyValueMessage(KeyValue);

impl Message for KeyValueMessage {
    type Key = KeyValueKey;
    type Out = KeyValue;
    const WHAT: &'static str = "a KeyValue";

    fn key(name: &str) -> KeyValueKey {
        KeyValueKey::from_name(name)
    }

    fn new() -> Self {
        KeyValueMessage(KeyValue { key: Str::new(), value: AnyValue::Empty })
    }

    fn read_value<'de, A: MapAccess<'de>>(
        &mut self,
        tracker: &mut ProblemTracker,
        key: KeyValueKey,
        map: &mut A,
    ) -> Result<(), A::Error> {
        let name = key.name();
        match key {
            KeyValueKey::Key => {
                self.0.key = read_field(map, tracker, name, &Text)?.unwrap_or_default()
            }
            KeyValueKey::Value => {
                self.0.value =
                    read_field(map, tracker, name, &ANY_VALUE)?.unwrap_or(AnyValue::Empty)
            }
            KeyValueKey::Unknown => skip_value(map)?,
        }
        Ok(())
    }

    fn finish(self, _tracker: &mut ProblemTracker) -> KeyValue {
        self.0
    }
}

message_keys! {
    pub(super) enum ResourceKey {
        Attributes = "attributes",
        DroppedAttributesCount = "droppedAttributesCount" | "dropped_attributes_count",
    }
}

/// `resource.v1.Resource`.
pub(super) struct ResourceMessage(Resource);

impl Message for ResourceMessage {
    type Key = ResourceKey;
    type Out = Resource;
    const WHAT: &'static str = "a Resource";

    fn key(name: &str) -> ResourceKey {
        ResourceKey::from_name(name)
    }

    fn new() -> Self {
        ResourceMessage(Resource::default())
    }

    fn read_value<'de, A: MapAccess<'de>>(
        &mut self,
        tracker: &mut ProblemTracker,
        key: ResourceKey,
        map: &mut A,
    ) -> Result<(), A::Error> {
        let name = key.name();
        match key {
            ResourceKey::Attributes => {
                append_field(map, tracker, name, &ATTRIBUTES, &mut self.0.attributes)?
            }
            ResourceKey::DroppedAttributesCount => {
                self.0.dropped_attributes_count = read_field(map, tracker, name, &U32)?.unwrap_or(0)
            }
            ResourceKey::Unknown => skip_value(map)?,
        }
        Ok(())
    }

    fn finish(self, _tracker: &mut ProblemTracker) -> Resource {
        self.0
    }
}

message_keys! {
    pub(super) enum ScopeKey {
        Name = "name",
        Version = "version",
        Attributes = "attributes",
    }
}

/// `common.v1.InstrumentationScope`.
pub(super) struct ScopeMessage(Scope);

impl Message for ScopeMessage {
    type Key = ScopeKey;
    type Out = Scope;
    const WHAT: &'static str = "an InstrumentationScope";

    fn key(name: &str) -> ScopeKey {
        ScopeKey::from_name(name)
    }

    fn new() -> Self {
        ScopeMessage(Scope::default())
    }

    fn read_value<'de, A: MapAccess<'de>>(
        &mut self,
        tracker: &mut ProblemTracker,
        key: ScopeKey,
        map: &mut A,
    ) -> Result<(), A::Error> {
        let name = key.name();
        match key {
            ScopeKey::Name => {
                self.0.name = read_field(map, tracker, name, &Text)?.unwrap_or_default()
            }
            ScopeKey::Version => {
                self.0.version = read_field(map, tracker, name, &Text)?.unwrap_or_default()
            }
            ScopeKey::Attributes => {
                append_field(map, tracker, name, &ATTRIBUTES, &mut self.0.attributes)?
            }
            ScopeKey::Unknown => skip_value(map)?,
        }
        Ok(())
    }

    fn finish(self, _tracker: &mut ProblemTracker) -> Scope {
        self.0
    }
}

/// Reads `resource` into `into`, leaving it at its default when null or unreadable.
fn read_resource<'de, A: MapAccess<'de>>(
    map: &mut A,
    tracker: &mut ProblemTracker,
    into: &mut Resource,
) -> Result<(), A::Error> {
    *into = read_field(map, tracker, "resource", &Object::<ResourceMessage>::FIELD)?
        .unwrap_or_default();
    Ok(())
}

/// Reads `scope` into `into`, leaving it at its default when null or unreadable.
fn read_scope<'de, A: MapAccess<'de>>(
    map: &mut A,
    tracker: &mut ProblemTracker,
    into: &mut Scope,
) -> Result<(), A::Error> {
    *into = read_field(map, tracker, "scope", &Object::<ScopeMessage>::FIELD)?.unwrap_or_default();
    Ok(())
}

fn read_text<'de, A: MapAccess<'de>>(
    map: &mut A,
    tracker: &mut ProblemTracker,
    name: &'static str,
) -> Result<Str, A::Error> {
    Ok(read_field(map, tracker, name, &Text)?.unwrap_or_default())
}

fn read_u64<'de, A: MapAccess<'de>>(
    map: &mut A,
    tracker: &mut ProblemTracker,
    name: &'static str,
) -> Result<u64, A::Error> {
    Ok(read_field(map, tracker, name, &U64)?.unwrap_or(0))
}

fn read_u32<'de, A: MapAccess<'de>>(
    map: &mut A,
    tracker: &mut ProblemTracker,
    name: &'static str,
) -> Result<u32, A::Error> {
    Ok(read_field(map, tracker, name, &U32)?.unwrap_or(0))
}

fn read_attributes<'de, A: MapAccess<'de>>(
    map: &mut A,
    tracker: &mut ProblemTracker,
    into: &mut Vec<KeyValue>,
) -> Result<(), A::Error> {
    append_field(map, tracker, "attributes", &ATTRIBUTES, into)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// logs.v1

/// `ExportLogsServiceRequest.resourceLogs`.
pub(super) const RESOURCE_LOGS: List<Object<ResourceLogsMessage>> =
    List { element: Object::ITEM, items: true, what: "resource logs" };

message_keys! {
    pub(super) enum ResourceLogsKey {
        Resource = "resource",
        ScopeLogs = "scopeLogs" | "scope_logs",
        SchemaUrl = "schemaUrl" | "schema_url",
    }
}

/// `logs.v1.ResourceLogs`.
pub(super) struct ResourceLogsMessage(ResourceLogs);

impl Message for ResourceLogsMessage {
    type Key = ResourceLogsKey;
    type Out = ResourceLogs;
    const WHAT: &'static str = "a ResourceLogs";

    fn key(name: &str) -> ResourceLogsKey {
        ResourceLogsKey::from_name(name)
    }

    fn new() -> Self {
        ResourceLogsMessage(ResourceLogs::default())
    }

    fn read_value<'de, A: MapAccess<'de>>(
        &mut self,
        tracker: &mut ProblemTracker,
        key: ResourceLogsKey,
        map: &mut A,
    ) -> Result<(), A::Error> {
        const SCOPE_LOGS: List<Object<ScopeLogsMessage>> =
            List { element: Object::ITEM, items: true, what: "scope logs" };
        let name = key.name();
        match key {
            ResourceLogsKey::Resource => read_resource(map, tracker, &mut self.0.resource)?,
            ResourceLogsKey::ScopeLogs => {
                append_field(map, tracker, name, &SCOPE_LOGS, &mut self.0.scope_logs)?
            }
            ResourceLogsKey::SchemaUrl => self.0.schema_url = read_text(map, tracker, name)?,
            ResourceLogsKey::Unknown => skip_value(map)?,
        }
        Ok(())
    }

    fn finish(self, _tracker: &mut ProblemTracker) -> ResourceLogs {
        self.0
    }
}

message_keys! {
    pub(super) enum ScopeLogsKey {
        Scope = "scope",
        LogRecords = "logRecords" | "log_records",
        SchemaUrl = "schemaUrl" | "schema_url",
    }
}

/// `logs.v1.ScopeLogs`.
pub(super) struct ScopeLogsMessage(ScopeLogs);

impl Message for ScopeLogsMessage {
    type Key = ScopeLogsKey;
    type Out = ScopeLogs;
    const WHAT: &'static str = "a ScopeLogs";

    fn key(name: &str) -> ScopeLogsKey {
        ScopeLogsKey::from_name(name)
    }

    fn new() -> Self {
        ScopeLogsMessage(ScopeLogs::default())
    }

    fn read_value<'de, A: MapAccess<'de>>(
        &mut self,
        tracker: &mut ProblemTracker,
        key: ScopeLogsKey,
        map: &mut A,
    ) -> Result<(), A::Error> {
        const LOG_RECORDS: List<Object<LogRecordMessage>> =
            List { element: Object::ITEM, items: true, what: "log records" };
        let name = key.name();
        match key {
            ScopeLogsKey::Scope => read_scope(map, tracker, &mut self.0.scope)?,
            ScopeLogsKey::LogRecords => {
                append_field(map, tracker, name, &LOG_RECORDS, &mut self.0.log_records)?
            }
            ScopeLogsKey::SchemaUrl => self.0.schema_url = read_text(map, tracker, name)?,
            ScopeLogsKey::Unknown => skip_value(map)?,
        }
        Ok(())
    }

    fn finish(self, _tracker: &mut ProblemTracker) -> ScopeLogs {
        self.0
    }
}

message_keys! {
    pub(super) enum LogRecordKey {
        TimeUnixNano = "timeUnixNano" | "time_unix_nano",
        ObservedTimeUnixNano = "observedTimeUnixNano" | "observed_time_unix_nano",
        SeverityNumber = "severityNumber" | "severity_number",
        SeverityText = "severityText" | "severity_text",
        Body = "body",
        Attributes = "attributes",
        DroppedAttributesCount = "droppedAttributesCount" | "dropped_attributes_count",
        Flags = "flags",
        TraceId = "traceId" | "trace_id",
        SpanId = "spanId" | "span_id",
        EventName = "eventName" | "event_name",
    }
}

/// `logs.v1.LogRecord`: `body: null` is no body.
pub(super) struct LogRecordMessage(LogRecord);

impl Message for LogRecordMessage {
    type Key = LogRecordKey;
    type Out = LogRecord;
    const WHAT: &'static str = "a LogRecord";

    fn key(name: &str) -> LogRecordKey {
        LogRecordKey::from_name(name)
    }

    fn new() -> Self {
        LogRecordMessage(LogRecord::default())
    }

    fn read_value<'de, A: MapAccess<'de>>(
        &mut self,
        tracker: &mut ProblemTracker,
        key: LogRecordKey,
        map: &mut A,
    ) -> Result<(), A::Error> {
        use LogRecordKey as K;
        let record = &mut self.0;
        let name = key.name();
        match key {
            K::TimeUnixNano => record.time_unix_nano = read_u64(map, tracker, name)?,
            K::ObservedTimeUnixNano => {
                record.observed_time_unix_nano = read_u64(map, tracker, name)?
            }
            K::SeverityNumber => {
                record.severity_number = read_field(map, tracker, name, &SEVERITY)?.unwrap_or(0)
            }
            K::SeverityText => record.severity_text = read_text(map, tracker, name)?,
            K::Body => record.body = read_field(map, tracker, name, &ANY_VALUE)?,
            K::Attributes => read_attributes(map, tracker, &mut record.attributes)?,
            K::DroppedAttributesCount => {
                record.dropped_attributes_count = read_u32(map, tracker, name)?
            }
            K::Flags => record.flags = read_u32(map, tracker, name)?,
            K::TraceId => record.trace_id = read_field(map, tracker, name, &TRACE_ID)?,
            K::SpanId => record.span_id = read_field(map, tracker, name, &SPAN_ID)?,
            K::EventName => record.event_name = read_text(map, tracker, name)?,
            K::Unknown => skip_value(map)?,
        }
        Ok(())
    }

    fn finish(self, _tracker: &mut ProblemTracker) -> LogRecord {
        self.0
    }
}

// ---------------------------------------------------------------------------------------
// metrics.v1

/// `ExportMetricsServiceRequest.resourceMetrics`.
pub(super) const RESOURCE_METRICS: List<Object<ResourceMetricsMessage>> =
    List { element: Object::ITEM, items: true, what: "resource metrics" };

message_keys! {
    pub(super) enum ResourceMetricsKey {
        Resource = "resource",
        ScopeMetrics = "scopeMetrics" | "scope_metrics",
        SchemaUrl = "schemaUrl" | "schema_url",
    }
}

/// `metrics.v1.ResourceMetrics`.
pub(super) struct ResourceMetricsMessage(ResourceMetrics);

impl Message for ResourceMetricsMessage {
    type Key = ResourceMetricsKey;
    type Out = ResourceMetrics;
    const WHAT: &'static str = "a ResourceMetrics";

    fn key(name: &str) -> ResourceMetricsKey {
        ResourceMetricsKey::from_name(name)
    }

    fn new() -> Self {
        ResourceMetricsMessage(ResourceMetrics::default())
    }

    fn read_value<'de, A: MapAccess<'de>>(
        &mut self,
        tracker: &mut ProblemTracker,
        key: ResourceMetricsKey,
        map: &mut A,
    ) -> Result<(), A::Error> {
        const SCOPE_METRICS: List<Object<ScopeMetricsMessage>> =
            List { element: Object::ITEM, items: true, what: "scope metrics" };
        let name = key.name();
        match key {
            ResourceMetricsKey::Resource => read_resource(map, tracker, &mut self.0.resource)?,
            ResourceMetricsKey::ScopeMetrics => {
                append_field(map, tracker, name, &SCOPE_METRICS, &mut self.0.scope_metrics)?
            }
            ResourceMetricsKey::SchemaUrl => self.0.schema_url = read_text(map, tracker, name)?,
            ResourceMetricsKey::Unknown => skip_value(map)?,
        }
        Ok(())
    }

    fn finish(self, _tracker: &mut ProblemTracker) -> ResourceMetrics {
        self.0
    }
}

message_keys! {
    pub(super) enum ScopeMetricsKey {
        Scope = "scope",
        Metrics = "metrics",
        SchemaUrl = "schemaUrl" | "schema_url",
    }
}

/// `metrics.v1.ScopeMetrics`.
pub(super) struct ScopeMetricsMessage(ScopeMetrics);

impl Message for ScopeMetricsMessage {
    type Key = ScopeMetricsKey;
    type Out = ScopeMetrics;
    const WHAT: &'static str = "a ScopeMetrics";

    fn key(name: &str) -> ScopeMetricsKey {
        ScopeMetricsKey::from_name(name)
    }

    fn new() -> Self {
        ScopeMetricsMessage(ScopeMetrics::default())
    }

    fn read_value<'de, A: MapAccess<'de>>(
        &mut self,
        tracker: &mut ProblemTracker,
        key: ScopeMetricsKey,
        map: &mut A,
    ) -> Result<(), A::Error> {
        const METRICS: List<Object<MetricMessage>> =
            List { element: Object::ITEM, items: true, what: "metrics" };
        let name = key.name();
        match key {
            ScopeMetricsKey::Scope => read_scope(map, tracker, &mut self.0.scope)?,
            ScopeMetricsKey::Metrics => {
                append_field(map, tracker, name, &METRICS, &mut self.0.metrics)?
            }
            ScopeMetricsKey::SchemaUrl => self.0.schema_url = read_text(map, tracker, name)?,
            ScopeMetricsKey::Unknown => skip_value(map)?,
        }
        Ok(())
    }

    fn finish(self, _tracker: &mut ProblemTracker) -> ScopeMetrics {
        self.0
    }
}

message_keys! {
    pub(super) enum MetricKey {
        Name = "name",
        Description = "description",
        Unit = "unit",
        Gauge = "gauge",
        Sum = "sum",
        Histogram = "histogram",
        ExponentialHistogram = "exponentialHistogram" | "exponential_histogram",
        Summary = "summary",
    }
}

/// `metrics.v1.Metric`. The data oneof arrives as one of five keys; when none is usable the
/// metric is kept with [`MetricData::Missing`] and reported as losing (at least) one point.
pub(super) struct MetricMessage {
    name: Str,
    description: Str,
    unit: Str,
    data: Option<MetricData>,
    /// A data key was present but unreadable and already reported as rejecting its points,
    /// so `finish` must not report the same loss again.
    data_loss_reported: bool,
}

impl MetricMessage {
    fn read_data<'de, A: MapAccess<'de>, M: Message<Out = MetricData>>(
        &mut self,
        tracker: &mut ProblemTracker,
        name: &'static str,
        map: &mut A,
    ) -> Result<(), A::Error> {
        let problems_before = tracker.count();
        // Unreadable data loses all its points: report it as (at least) one rejected item.
        match read_field(map, tracker, name, &Object::<M>::ITEMS_FIELD)? {
            Some(data) => {
                if let Some(earlier) = self.data.replace(data) {
                    tracker.report(
                        format!(
                            "metric has more than one data field; the earlier {} is dropped",
                            earlier.kind_name()
                        ),
                        earlier.point_count(),
                    );
                }
            }
            None => self.data_loss_reported |= tracker.count() > problems_before,
        }
        Ok(())
    }
}

impl Message for MetricMessage {
    type Key = MetricKey;
    type Out = Metric;
    const WHAT: &'static str = "a Metric";

    fn key(name: &str) -> MetricKey {
        MetricKey::from_name(name)
    }

    fn new() -> Self {
        MetricMessage {
            name: Str::new(),
            description: Str::new(),
            unit: Str::new(),
            data: None,
            data_loss_reported: false,
        }
    }

    fn read_value<'de, A: MapAccess<'de>>(
        &mut self,
        tracker: &mut ProblemTracker,
        key: MetricKey,
        map: &mut A,
    ) -> Result<(), A::Error> {
        let name = key.name();
        match key {
            MetricKey::Name => self.name = read_text(map, tracker, name)?,
            MetricKey::Description => self.description = read_text(map, tracker, name)?,
            MetricKey::Unit => self.unit = read_text(map, tracker, name)?,
            MetricKey::Gauge => self.read_data::<A, GaugeMessage>(tracker, name, map)?,
            MetricKey::Sum => self.read_data::<A, SumMessage>(tracker, name, map)?,
            MetricKey::Histogram => self.read_data::<A, HistogramMessage>(tracker, name, map)?,
            MetricKey::ExponentialHistogram => {
                self.read_data::<A, ExponentialHistogramMessage>(tracker, name, map)?
            }
            MetricKey::Summary => self.read_data::<A, SummaryMessage>(tracker, name, map)?,
            MetricKey::Unknown => skip_value(map)?,
        }
        Ok(())
    }

    fn finish(self, tracker: &mut ProblemTracker) -> Metric {
        let data = match self.data {
            Some(data) => data,
            None => {
                if !self.data_loss_reported {
                    tracker.report_metric_without_data();
                }
                MetricData::Missing
            }
        };
        Metric { name: self.name, description: self.description, unit: self.unit, data }
    }
}

message_keys! {
    pub(super) enum MetricDataKey {
        DataPoints = "dataPoints" | "data_points",
        AggregationTemporality = "aggregationTemporality" | "aggregation_temporality",
        IsMonotonic = "isMonotonic" | "is_monotonic",
    }
}

/// The fields shared by the five metric data messages; each message uses the ones it has and
/// ignores the others (a `gauge` with `isMonotonic` is not worth a problem).
struct MetricDataFields<P> {
    points: Vec<P>,
    temporality: i32,
    is_monotonic: bool,
}

impl<P> MetricDataFields<P> {
    fn new() -> Self {
        MetricDataFields { points: Vec::new(), temporality: 0, is_monotonic: false }
    }

    fn read_value<'de, A: MapAccess<'de>, M: Message<Out = P>>(
        &mut self,
        tracker: &mut ProblemTracker,
        key: MetricDataKey,
        map: &mut A,
        uses_temporality: bool,
        uses_monotonic: bool,
    ) -> Result<(), A::Error> {
        let points = List::<Object<M>> { element: Object::ITEM, items: true, what: "data points" };
        let name = key.name();
        match key {
            MetricDataKey::DataPoints => {
                append_field(map, tracker, name, &points, &mut self.points)?
            }
            MetricDataKey::AggregationTemporality if uses_temporality => {
                self.temporality = read_field(map, tracker, name, &TEMPORALITY)?.unwrap_or(0)
            }
            MetricDataKey::IsMonotonic if uses_monotonic => {
                self.is_monotonic = read_field(map, tracker, name, &Bool)?.unwrap_or(false)
            }
            _ => skip_value(map)?,
        }
        Ok(())
    }
}

/// Declares a metric data message builder over [`MetricDataFields`].
macro_rules! metric_data_message {
    ($(#[$doc:meta])* $name:ident, $what:literal, $point:ty, $point_message:ty,
     temporality: $temporality:literal, monotonic: $monotonic:literal,
     |$fields:ident| $build:expr) => {
        $(#[$doc])*
        pub(super) struct $name(MetricDataFields<$point>);

        impl Message for $name {
            type Key = MetricDataKey;
            type Out = MetricData;
            const WHAT: &'static str = $what;

            fn key(name: &str) -> MetricDataKey {
                MetricDataKey::from_name(name)
            }

            fn new() -> Self {
                $name(MetricDataFields::new())
            }

            fn read_value<'de, A: MapAccess<'de>>(
                &mut self,
                tracker: &mut ProblemTracker,
                key: MetricDataKey,
                map: &mut A,
            ) -> Result<(), A::Error> {
                self.0.read_value::<A, $point_message>(tracker, key, map, $temporality, $monotonic)
            }

            fn finish(self, _tracker: &mut ProblemTracker) -> MetricData {
                let $fields = self.0;
                $build
            }
        }
    };
}

metric_data_message!(
    /// `metrics.v1.Gauge`.
    GaugeMessage, "a Gauge", NumberDataPoint, NumberDataPointMessage,
    temporality: false, monotonic: false,
    |fields| MetricData::Gauge { points: fields.points }
);
metric_data_message!(
    /// `metrics.v1.Sum`.
    SumMessage, "a Sum", NumberDataPoint, NumberDataPointMessage,
    temporality: true, monotonic: true,
    |fields| MetricData::Sum {
        points: fields.points,
        temporality: Temporality::from_i32(fields.temporality),
        is_monotonic: fields.is_monotonic,
    }
);
metric_data_message!(
    /// `metrics.v1.Histogram`.
    HistogramMessage, "a Histogram", HistogramDataPoint, HistogramDataPointMessage,
    temporality: true, monotonic: false,
    |fields| MetricData::Histogram {
        points: fields.points,
        temporality: Temporality::from_i32(fields.temporality),
    }
);
metric_data_message!(
    /// `metrics.v1.ExponentialHistogram`.
    ExponentialHistogramMessage, "an ExponentialHistogram", ExponentialHistogramDataPoint,
    ExponentialHistogramDataPointMessage,
    temporality: true, monotonic: false,
    |fields| MetricData::ExponentialHistogram {
        points: fields.points,
        temporality: Temporality::from_i32(fields.temporality),
    }
);
metric_data_message!(
    /// `metrics.v1.Summary`.
    SummaryMessage, "a Summary", SummaryDataPoint, SummaryDataPointMessage,
    temporality: false, monotonic: false,
    |fields| MetricData::Summary { points: fields.points }
);

message_keys! {
    pub(super) enum DataPointKey {
        Attributes = "attributes",
        StartTimeUnixNano = "startTimeUnixNano" | "start_time_unix_nano",
        TimeUnixNano = "timeUnixNano" | "time_unix_nano",
        AsDouble = "asDouble" | "as_double",
        AsInt = "asInt" | "as_int",
        Count = "count",
        Sum = "sum",
        BucketCounts = "bucketCounts" | "bucket_counts",
        ExplicitBounds = "explicitBounds" | "explicit_bounds",
        Min = "min",
        Max = "max",
        Scale = "scale",
        ZeroCount = "zeroCount" | "zero_count",
        Positive = "positive",
        Negative = "negative",
        QuantileValues = "quantileValues" | "quantile_values",
        Flags = "flags",
    }
}

/// A list of bucket counts: an unreadable count stays as 0 so bucket positions hold.
const BUCKET_COUNTS: List<KeepSlot<U64, u64>> = List {
    element: KeepSlot { element: U64, fallback: u64::default },
    items: false,
    what: "bucket counts",
};

/// `metrics.v1.NumberDataPoint`.
pub(super) struct NumberDataPointMessage(NumberDataPoint);

impl Message for NumberDataPointMessage {
    type Key = DataPointKey;
    type Out = NumberDataPoint;
    const WHAT: &'static str = "a NumberDataPoint";

    fn key(name: &str) -> DataPointKey {
        DataPointKey::from_name(name)
    }

    fn new() -> Self {
        NumberDataPointMessage(NumberDataPoint {
            attributes: Vec::new(),
            start_time_unix_nano: 0,
            time_unix_nano: 0,
            value: NumberValue::Missing,
            flags: 0,
        })
    }

    fn read_value<'de, A: MapAccess<'de>>(
        &mut self,
        tracker: &mut ProblemTracker,
        key: DataPointKey,
        map: &mut A,
    ) -> Result<(), A::Error> {
        use DataPointKey as K;
        let point = &mut self.0;
        let name = key.name();
        match key {
            K::Attributes => read_attributes(map, tracker, &mut point.attributes)?,
            K::StartTimeUnixNano => point.start_time_unix_nano = read_u64(map, tracker, name)?,
            K::TimeUnixNano => point.time_unix_nano = read_u64(map, tracker, name)?,
            K::AsDouble => {
                if let Some(value) = read_field(map, tracker, name, &F64)? {
                    point.value = NumberValue::Double(value);
                }
            }
            K::AsInt => {
                if let Some(value) = read_field(map, tracker, name, &I64)? {
                    point.value = NumberValue::Int(value);
                }
            }
            K::Flags => point.flags = read_u32(map, tracker, name)?,
            _ => skip_value(map)?,
        }
        Ok(())
    }

    fn finish(self, _tracker: &mut ProblemTracker) -> NumberDataPoint {
        self.0
    }
}

/// `metrics.v1.HistogramDataPoint`.
pub(super) struct HistogramDataPointMessage(HistogramDataPoint);

impl Message for HistogramDataPointMessage {
    type Key = DataPointKey;
    type Out = HistogramDataPoint;
    const WHAT: &'static str = "a HistogramDataPoint";

    fn key(name: &str) -> DataPointKey {
        DataPointKey::from_name(name)
    }

    fn new() -> Self {
        HistogramDataPointMessage(HistogramDataPoint::default())
    }

    fn read_value<'de, A: MapAccess<'de>>(
        &mut self,
        tracker: &mut ProblemTracker,
        key: DataPointKey,
        map: &mut A,
    ) -> Result<(), A::Error> {
        use DataPointKey as K;
        const BOUNDS: List<KeepSlot<F64, f64>> = List {
            element: KeepSlot { element: F64, fallback: f64::default },
            items: false,
            what: "bounds",
        };
        let point = &mut self.0;
        let name = key.name();
        match key {
            K::Attributes => read_attributes(map, tracker, &mut point.attributes)?,
            K::StartTimeUnixNano => point.start_time_unix_nano = read_u64(map, tracker, name)?,
            K::TimeUnixNano => point.time_unix_nano = read_u64(map, tracker, name)?,
            K::Count => point.count = read_u64(map, tracker, name)?,
            K::Sum => point.sum = read_field(map, tracker, name, &F64)?,
            K::BucketCounts => {
                append_field(map, tracker, name, &BUCKET_COUNTS, &mut point.bucket_counts)?
            }
            K::ExplicitBounds => {
                append_field(map, tracker, name, &BOUNDS, &mut point.explicit_bounds)?
            }
            K::Min => point.min = read_field(map, tracker, name, &F64)?,
            K::Max => point.max = read_field(map, tracker, name, &F64)?,
            K::Flags => point.flags = read_u32(map, tracker, name)?,
            _ => skip_value(map)?,
        }
        Ok(())
    }

    fn finish(self, _tracker: &mut ProblemTracker) -> HistogramDataPoint {
        self.0
    }
}

message_keys! {
    pub(super) enum BucketsKey {
        Offset = "offset",
        BucketCounts = "bucketCounts" | "bucket_counts",
    }
}

/// `ExponentialHistogramDataPoint.Buckets` as (offset, counts).
pub(super) struct BucketsMessage((i32, Vec<u64>));

impl Message for BucketsMessage {
    type Key = BucketsKey;
    type Out = (i32, Vec<u64>);
    const WHAT: &'static str = "a Buckets";

    fn key(name: &str) -> BucketsKey {
        BucketsKey::from_name(name)
    }

    fn new() -> Self {
        BucketsMessage((0, Vec::new()))
    }

    fn read_value<'de, A: MapAccess<'de>>(
        &mut self,
        tracker: &mut ProblemTracker,
        key: BucketsKey,
        map: &mut A,
    ) -> Result<(), A::Error> {
        let name = key.name();
        match key {
            BucketsKey::Offset => self.0 .0 = read_field(map, tracker, name, &I32)?.unwrap_or(0),
            BucketsKey::BucketCounts => {
                append_field(map, tracker, name, &BUCKET_COUNTS, &mut self.0 .1)?
            }
            BucketsKey::Unknown => skip_value(map)?,
        }
        Ok(())
    }

    fn finish(self, _tracker: &mut ProblemTracker) -> (i32, Vec<u64>) {
        self.0
    }
}

/// `metrics.v1.ExponentialHistogramDataPoint`.
pub(super) struct ExponentialHistogramDataPointMessage(ExponentialHistogramDataPoint);

impl Message for ExponentialHistogramDataPointMessage {
    type Key = DataPointKey;
    type Out = ExponentialHistogramDataPoint;
    const WHAT: &'static str = "an ExponentialHistogramDataPoint";

    fn key(name: &str) -> DataPointKey {
        DataPointKey::from_name(name)
    }

    fn new() -> Self {
        ExponentialHistogramDataPointMessage(ExponentialHistogramDataPoint::default())
    }

    fn read_value<'de, A: MapAccess<'de>>(
        &mut self,
        tracker: &mut ProblemTracker,
        key: DataPointKey,
        map: &mut A,
    ) -> Result<(), A::Error> {
        use DataPointKey as K;
        const BUCKETS: Object<BucketsMessage> = Object::FIELD;
        let point = &mut self.0;
        let name = key.name();
        match key {
            K::Attributes => read_attributes(map, tracker, &mut point.attributes)?,
            K::StartTimeUnixNano => point.start_time_unix_nano = read_u64(map, tracker, name)?,
            K::TimeUnixNano => point.time_unix_nano = read_u64(map, tracker, name)?,
            K::Count => point.count = read_u64(map, tracker, name)?,
            K::Sum => point.sum = read_field(map, tracker, name, &F64)?,
            K::Scale => point.scale = read_field(map, tracker, name, &I32)?.unwrap_or(0),
            K::ZeroCount => point.zero_count = read_u64(map, tracker, name)?,
            K::Positive => {
                point.positive = read_field(map, tracker, name, &BUCKETS)?.unwrap_or_default()
            }
            K::Negative => {
                point.negative = read_field(map, tracker, name, &BUCKETS)?.unwrap_or_default()
            }
            K::Min => point.min = read_field(map, tracker, name, &F64)?,
            K::Max => point.max = read_field(map, tracker, name, &F64)?,
            K::Flags => point.flags = read_u32(map, tracker, name)?,
            _ => skip_value(map)?,
        }
        Ok(())
    }

    fn finish(self, _tracker: &mut ProblemTracker) -> ExponentialHistogramDataPoint {
        self.0
    }
}

message_keys! {
    pub(super) enum QuantileKey {
        Quantile = "quantile",
        Value = "value",
    }
}

/// `SummaryDataPoint.ValueAtQuantile` as (quantile, value).
pub(super) struct QuantileMessage((f64, f64));

impl Message for QuantileMessage {
    type Key = QuantileKey;
    type Out = (f64, f64);
    const WHAT: &'static str = "a ValueAtQuantile";

    fn key(name: &str) -> QuantileKey {
        QuantileKey::from_name(name)
    }

    fn new() -> Self {
        QuantileMessage((0.0, 0.0))
    }

    fn read_value<'de, A: MapAccess<'de>>(
        &mut self,
        tracker: &mut ProblemTracker,
        key: QuantileKey,
        map: &mut A,
    ) -> Result<(), A::Error> {
        let name = key.name();
        match key {
            QuantileKey::Quantile => {
                self.0 .0 = read_field(map, tracker, name, &F64)?.unwrap_or(0.0)
            }
            QuantileKey::Value => self.0 .1 = read_field(map, tracker, name, &F64)?.unwrap_or(0.0),
            QuantileKey::Unknown => skip_value(map)?,
        }
        Ok(())
    }

    fn finish(self, _tracker: &mut ProblemTracker) -> (f64, f64) {
        self.0
    }
}

/// `metrics.v1.SummaryDataPoint`.
pub(super) struct SummaryDataPointMessage(SummaryDataPoint);

impl Message for SummaryDataPointMessage {
    type Key = DataPointKey;
    type Out = SummaryDataPoint;
    const WHAT: &'static str = "a SummaryDataPoint";

    fn key(name: &str) -> DataPointKey {
        DataPointKey::from_name(name)
    }

    fn new() -> Self {
        SummaryDataPointMessage(SummaryDataPoint::default())
    }

    fn read_value<'de, A: MapAccess<'de>>(
        &mut self,
        tracker: &mut ProblemTracker,
        key: DataPointKey,
        map: &mut A,
    ) -> Result<(), A::Error> {
        use DataPointKey as K;
        const QUANTILES: List<Object<QuantileMessage>> =
            List { element: Object::FIELD, items: false, what: "quantile values" };
        let point = &mut self.0;
        let name = key.name();
        match key {
            K::Attributes => read_attributes(map, tracker, &mut point.attributes)?,
            K::StartTimeUnixNano => point.start_time_unix_nano = read_u64(map, tracker, name)?,
            K::TimeUnixNano => point.time_unix_nano = read_u64(map, tracker, name)?,
            K::Count => point.count = read_u64(map, tracker, name)?,
            K::Sum => point.sum = read_field(map, tracker, name, &F64)?.unwrap_or(0.0),
            K::QuantileValues => {
                append_field(map, tracker, name, &QUANTILES, &mut point.quantile_values)?
            }
            K::Flags => point.flags = read_u32(map, tracker, name)?,
            _ => skip_value(map)?,
        }
        Ok(())
    }

    fn finish(self, _tracker: &mut ProblemTracker) -> SummaryDataPoint {
        self.0
    }
}

// ---------------------------------------------------------------------------------------
// trace.v1

/// `ExportTraceServiceRequest.resourceSpans`.
pub(super) const RESOURCE_SPANS: List<Object<ResourceSpansMessage>> =
    List { element: Object::ITEM, items: true, what: "resource spans" };

message_keys! {
    pub(super) enum ResourceSpansKey {
        Resource = "resource",
        ScopeSpans = "scopeSpans" | "scope_spans",
        SchemaUrl = "schemaUrl" | "schema_url",
    }
}

/// `trace.v1.ResourceSpans`.
pub(super) struct ResourceSpansMessage(ResourceSpans);

impl Message for ResourceSpansMessage {
    type Key = ResourceSpansKey;
    type Out = ResourceSpans;
    const WHAT: &'static str = "a ResourceSpans";

    fn key(name: &str) -> ResourceSpansKey {
        ResourceSpansKey::from_name(name)
    }

    fn new() -> Self {
        ResourceSpansMessage(ResourceSpans::default())
    }

    fn read_value<'de, A: MapAccess<'de>>(
        &mut self,
        tracker: &mut ProblemTracker,
        key: ResourceSpansKey,
        map: &mut A,
    ) -> Result<(), A::Error> {
        const SCOPE_SPANS: List<Object<ScopeSpansMessage>> =
            List { element: Object::ITEM, items: true, what: "scope spans" };
        let name = key.name();
        match key {
            ResourceSpansKey::Resource => read_resource(map, tracker, &mut self.0.resource)?,
            ResourceSpansKey::ScopeSpans => {
                append_field(map, tracker, name, &SCOPE_SPANS, &mut self.0.scope_spans)?
            }
            ResourceSpansKey::SchemaUrl => self.0.schema_url = read_text(map, tracker, name)?,
            ResourceSpansKey::Unknown => skip_value(map)?,
        }
        Ok(())
    }

    fn finish(self, _tracker: &mut ProblemTracker) -> ResourceSpans {
        self.0
    }
}

message_keys! {
    pub(super) enum ScopeSpansKey {
        Scope = "scope",
        Spans = "spans",
        SchemaUrl = "schemaUrl" | "schema_url",
    }
}

/// `trace.v1.ScopeSpans`.
pub(super) struct ScopeSpansMessage(ScopeSpans);

impl Message for ScopeSpansMessage {
    type Key = ScopeSpansKey;
    type Out = ScopeSpans;
    const WHAT: &'static str = "a ScopeSpans";

    fn key(name: &str) -> ScopeSpansKey {
        ScopeSpansKey::from_name(name)
    }

    fn new() -> Self {
        ScopeSpansMessage(ScopeSpans::default())
    }

    fn read_value<'de, A: MapAccess<'de>>(
        &mut self,
        tracker: &mut ProblemTracker,
        key: ScopeSpansKey,
        map: &mut A,
    ) -> Result<(), A::Error> {
        const SPANS: List<Object<SpanMessage>> =
            List { element: Object::ITEM, items: true, what: "spans" };
        let name = key.name();
        match key {
            ScopeSpansKey::Scope => read_scope(map, tracker, &mut self.0.scope)?,
            ScopeSpansKey::Spans => {
                append_field(map, tracker, name, &SPANS, &mut self.0.spans)?
            }
            ScopeSpansKey::SchemaUrl => self.0.schema_url = read_text(map, tracker, name)?,
            ScopeSpansKey::Unknown => skip_value(map)?,
        }
        Ok(())
    }

    fn finish(self, _tracker: &mut ProblemTracker) -> ScopeSpans {
        self.0
    }
}

message_keys! {
    pub(super) enum SpanKey {
        TraceId = "traceId" | "trace_id",
        SpanId = "spanId" | "span_id",
        TraceState = "traceState" | "trace_state",
        ParentSpanId = "parentSpanId" | "parent_span_id",
        Flags = "flags",
        Name = "name",
        Kind = "kind",
        StartTimeUnixNano = "startTimeUnixNano" | "start_time_unix_nano",
        EndTimeUnixNano = "endTimeUnixNano" | "end_time_unix_nano",
        Attributes = "attributes",
        DroppedAttributesCount = "droppedAttributesCount" | "dropped_attributes_count",
        Events = "events",
        Links = "links",
        Status = "status",
    }
}

/// `trace.v1.Span`.
pub(super) struct SpanMessage(Span);

impl Message for SpanMessage {
    type Key = SpanKey;
    type Out = Span;
    const WHAT: &'static str = "a Span";

    fn key(name: &str) -> SpanKey {
        SpanKey::from_name(name)
    }

    fn new() -> Self {
        SpanMessage(Span::default())
    }

    fn read_value<'de, A: MapAccess<'de>>(
        &mut self,
        tracker: &mut ProblemTracker,
        key: SpanKey,
        map: &mut A,
    ) -> Result<(), A::Error> {
        use SpanKey as K;
        const EVENTS: List<Object<SpanEventMessage>> =
            List { element: Object::FIELD, items: false, what: "span events" };
        const LINKS: List<Object<SpanLinkMessage>> =
            List { element: Object::FIELD, items: false, what: "span links" };
        let span = &mut self.0;
        let name = key.name();
        match key {
            K::TraceId => span.trace_id = read_field(map, tracker, name, &TRACE_ID)?,
            K::SpanId => span.span_id = read_field(map, tracker, name, &SPAN_ID)?,
            K::TraceState => span.trace_state = read_text(map, tracker, name)?,
            K::ParentSpanId => span.parent_span_id = read_field(map, tracker, name, &SPAN_ID)?,
            K::Flags => span.flags = read_u32(map, tracker, name)?,
            K::Name => span.name = read_text(map, tracker, name)?,
            K::Kind => span.kind = read_field(map, tracker, name, &SPAN_KIND)?.unwrap_or(0),
            K::StartTimeUnixNano => span.start_time_unix_nano = read_u64(map, tracker, name)?,
            K::EndTimeUnixNano => span.end_time_unix_nano = read_u64(map, tracker, name)?,
            K::Attributes => read_attributes(map, tracker, &mut span.attributes)?,
            K::DroppedAttributesCount => {
                span.dropped_attributes_count = read_u32(map, tracker, name)?
            }
            K::Events => append_field(map, tracker, name, &EVENTS, &mut span.events)?,
            K::Links => append_field(map, tracker, name, &LINKS, &mut span.links)?,
            K::Status => {
                let (code, message) =
                    read_field(map, tracker, name, &Object::<StatusMessage>::FIELD)?
                        .unwrap_or_default();
                span.status_code = code;
                span.status_message = message;
            }
            K::Unknown => skip_value(map)?,
        }
        Ok(())
    }

    fn finish(self, _tracker: &mut ProblemTracker) -> Span {
        self.0
    }
}

message_keys! {
    pub(super) enum SpanEventKey {
        TimeUnixNano = "timeUnixNano" | "time_unix_nano",
        Name = "name",
        Attributes = "attributes",
    }
}

/// `trace.v1.Span.Event`.
pub(super) struct SpanEventMessage(SpanEvent);

impl Message for SpanEventMessage {
    type Key = SpanEventKey;
    type Out = SpanEvent;
    const WHAT: &'static str = "a span Event";

    fn key(name: &str) -> SpanEventKey {
        SpanEventKey::from_name(name)
    }

    fn new() -> Self {
        SpanEventMessage(SpanEvent::default())
    }

    fn read_value<'de, A: MapAccess<'de>>(
        &mut self,
        tracker: &mut ProblemTracker,
        key: SpanEventKey,
        map: &mut A,
    ) -> Result<(), A::Error> {
        let name = key.name();
        match key {
            SpanEventKey::TimeUnixNano => self.0.time_unix_nano = read_u64(map, tracker, name)?,
            SpanEventKey::Name => self.0.name = read_text(map, tracker, name)?,
            SpanEventKey::Attributes => read_attributes(map, tracker, &mut self.0.attributes)?,
            SpanEventKey::Unknown => skip_value(map)?,
        }
        Ok(())
    }

    fn finish(self, _tracker: &mut ProblemTracker) -> SpanEvent {
        self.0
    }
}

message_keys! {
    pub(super) enum SpanLinkKey {
        TraceId = "traceId" | "trace_id",
        SpanId = "spanId" | "span_id",
        TraceState = "traceState" | "trace_state",
        Attributes = "attributes",
    }
}

/// `trace.v1.Span.Link`.
pub(super) struct SpanLinkMessage(SpanLink);

impl Message for SpanLinkMessage {
    type Key = SpanLinkKey;
    type Out = SpanLink;
    const WHAT: &'static str = "a span Link";

    fn key(name: &str) -> SpanLinkKey {
        SpanLinkKey::from_name(name)
    }

    fn new() -> Self {
        SpanLinkMessage(SpanLink::default())
    }

    fn read_value<'de, A: MapAccess<'de>>(
        &mut self,
        tracker: &mut ProblemTracker,
        key: SpanLinkKey,
        map: &mut A,
    ) -> Result<(), A::Error> {
        let name = key.name();
        match key {
            SpanLinkKey::TraceId => self.0.trace_id = read_field(map, tracker, name, &TRACE_ID)?,
            SpanLinkKey::SpanId => self.0.span_id = read_field(map, tracker, name, &SPAN_ID)?,
            SpanLinkKey::TraceState => self.0.trace_state = read_text(map, tracker, name)?,
            SpanLinkKey::Attributes => read_attributes(map, tracker, &mut self.0.attributes)?,
            SpanLinkKey::Unknown => skip_value(map)?,
        }
        Ok(())
    }

    fn finish(self, _tracker: &mut ProblemTracker) -> SpanLink {
        self.0
    }
}

message_keys! {
    pub(super) enum StatusKey {
        Message = "message",
        Code = "code",
    }
}

/// `trace.v1.Status` as (code, message).
pub(super) struct StatusMessage((i32, Str));

impl Message for StatusMessage {
    type Key = StatusKey;
    type Out = (i32, Str);
    const WHAT: &'static str = "a Status";

    fn key(name: &str) -> StatusKey {
        StatusKey::from_name(name)
    }

    fn new() -> Self {
        StatusMessage((0, Str::new()))
    }

    fn read_value<'de, A: MapAccess<'de>>(
        &mut self,
        tracker: &mut ProblemTracker,
        key: StatusKey,
        map: &mut A,
    ) -> Result<(), A::Error> {
        let name = key.name();
        match key {
            StatusKey::Code => {
                self.0 .0 = read_field(map, tracker, name, &STATUS_CODE)?.unwrap_or(0)
            }
            StatusKey::Message => self.0 .1 = read_text(map, tracker, name)?,
            StatusKey::Unknown => skip_value(map)?,
        }
        Ok(())
    }

    fn finish(self, _tracker: &mut ProblemTracker) -> (i32, Str) {
        self.0
    }
}
