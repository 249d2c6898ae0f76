//! The OTLP messages, read field by field from the wire straight into codetel's model
//! (field numbers from `opentelemetry-proto` 0.33's generated code), with prost's semantics:
//! unknown fields skipped, the last value of a singular scalar wins, a singular embedded
//! message given twice is merged (its repeated fields appended, its scalars overwritten),
//! a oneof given twice keeps the last variant and merges a message variant given again,
//! repeated scalars are read packed or not. Fields prost decodes but the model does not keep
//! (`Resource.entity_refs`, `Metric.metadata`, exemplars, the dropped counts of spans'
//! events and links...) are still read, so a body prost rejects is rejected here too.
//!
//! Each reader takes `depth`, the recursion budget of its message's fields (prost's
//! `DecodeContext`): 100 for a request's own fields, one less per embedded message.

use super::wire::{Reader, WireResult};
use crate::otlp::{
    AnyValue, ExponentialHistogramDataPoint, HistogramDataPoint, KeyValue, LogRecord, Metric,
    MetricData, NumberDataPoint, NumberValue, Resource, ResourceLogs, ResourceMetrics,
    ResourceSpans, Scope, ScopeLogs, ScopeMetrics, ScopeSpans, Span, SpanEvent, SpanLink,
    Str, SummaryDataPoint, Temporality,
};

/// A message reader: fills `out` (merging into what is there) from `reader`'s fields.
pub(super) type ReadFn<T> = for<'a> fn(&mut MessageReader, Reader<'a>, u32, &mut T) -> WireResult<()>;

/// A fresh value to read a message into: the message's defaults, as prost starts from.
pub(super) trait Blank {
    fn blank() -> Self;
}

macro_rules! blank_by_default {
    ($($type:ty),*) => {
        $(impl Blank for $type {
            fn blank() -> Self {
                Self::default()
            }
        })*
    };
}

blank_by_default!(
    (),
    (f64, f64),
    ResourceLogs,
    ScopeLogs,
    LogRecord,
    ResourceMetrics,
    ScopeMetrics,
    HistogramDataPoint,
    ExponentialHistogramDataPoint,
    SummaryDataPoint,
    ResourceSpans,
    ScopeSpans,
    Span,
    SpanEvent,
    SpanLink
);

impl Blank for KeyValue {
    fn blank() -> Self {
        KeyValue { key: Str::new(), value: AnyValue::Empty }
    }
}

impl Blank for Metric {
    fn blank() -> Self {
        Metric {
            name: Str::new(),
            description: Str::new(),
            unit: Str::new(),
            data: MetricData::Missing,
        }
    }
}

impl Blank for NumberDataPoint {
    fn blank() -> Self {
        NumberDataPoint {
            attributes: Vec::new(),
            start_time_unix_nano: 0,
            time_unix_nano: 0,
            value: NumberValue::Missing,
            flags: 0,
        }
    }
}

/// State of one body's read.
#[derive(Default)]
pub(super) struct MessageReader {
    /// A kept `AnyValue` was given as `string_value_strindex` (a profiles-only reference):
    /// the value reads as empty, and the caller must report it, which needs its path.
    pub(super) saw_strindex: bool,
}

/// `uint32`/`int32`/enum fields are the low 32 bits of the varint, as in prost.
fn low_u32(value: u64) -> u32 {
    value as u32
}

fn low_i32(value: u64) -> i32 {
    value as i32
}

/// ZigZag-decoded `sint32`.
fn sint32(value: u64) -> i32 {
    let value = value as u32;
    ((value >> 1) as i32) ^ (-((value & 1) as i32))
}

/// Before the first item of a repeated field, room for all of them: the field's items are
/// counted ahead in the message, so the list is allocated once instead of grown by doubling
/// (BENCHMARKS.md, throughput run 10: the count costs about half of what it saves).
#[inline]
fn reserve_for_repeated<T>(list: &mut Vec<T>, reader: &Reader<'_>, tag: u32, wire_type: u8) {
    if list.capacity() == 0 {
        list.reserve_exact(1 + reader.count_ahead(tag, wire_type));
    }
}

impl MessageReader {
    /// Reads one embedded message of a repeated field and appends it.
    #[inline]
    fn push<T: Blank>(
        &mut self,
        reader: &mut Reader<'_>,
        tag: u32,
        wire_type: u8,
        depth: u32,
        list: &mut Vec<T>,
        read: ReadFn<T>,
    ) -> WireResult<()> {
        reserve_for_repeated(list, reader, tag, wire_type);
        let message = reader.message_field(wire_type, depth)?;
        let mut item = T::blank();
        read(self, message, depth - 1, &mut item)?;
        list.push(item);
        Ok(())
    }

    /// Merges one embedded message of a singular field into `out`.
    #[inline]
    fn merge<T>(
        &mut self,
        reader: &mut Reader<'_>,
        wire_type: u8,
        depth: u32,
        out: &mut T,
        read: ReadFn<T>,
    ) -> WireResult<()> {
        let message = reader.message_field(wire_type, depth)?;
        read(self, message, depth - 1, out)
    }

    /// Reads a message the model does not keep, for its validity only. An `AnyValue` in it
    /// is not reported, as nothing of it is converted.
    fn discard<T: Blank>(
        &mut self,
        reader: &mut Reader<'_>,
        wire_type: u8,
        depth: u32,
        read: ReadFn<T>,
    ) -> WireResult<()> {
        let saw_strindex = self.saw_strindex;
        let mut ignored = T::blank();
        self.merge(reader, wire_type, depth, &mut ignored, read)?;
        self.saw_strindex = saw_strindex;
        Ok(())
    }

    // -------------------------------------------------------------------------------------
    // collector.*.v1: the requests

    /// An `Export*ServiceRequest`: all three have their resource list as field 1, of
    /// `ResourceLogs`, `ResourceMetrics` or `ResourceSpans` read by `resource`.
    pub(super) fn request<T: Blank>(
        &mut self,
        mut reader: Reader<'_>,
        depth: u32,
        out: &mut Vec<T>,
        resource: ReadFn<T>,
    ) -> WireResult<()> {
        while !reader.is_done() {
            let (tag, wire_type) = reader.key()?;
            match tag {
                1 => self.push(&mut reader, tag, wire_type, depth, out, resource)?,
                _ => reader.skip(wire_type, tag, depth)?,
            }
        }
        Ok(())
    }

    // -------------------------------------------------------------------------------------
    // common.v1, resource.v1

    fn key_value(
        &mut self,
        mut reader: Reader<'_>,
        depth: u32,
        out: &mut KeyValue,
    ) -> WireResult<()> {
        while !reader.is_done() {
            let (tag, wire_type) = reader.key()?;
            match tag {
                1 => out.key = reader.string_field(wire_type)?,
                2 => self.merge(&mut reader, wire_type, depth, &mut out.value, Self::any_value)?,
                // key_strindex (profiles only): prost reads it, the model has no place for it.
                3 => drop(reader.varint_field(wire_type)?),
                _ => reader.skip(wire_type, tag, depth)?,
            }
        }
        Ok(())
    }

    /// Merges an `AnyValue` into `out`: the oneof's last field wins; an array or kvlist
    /// given again while it is the current variant is appended to, as prost merges it.
    fn any_value(
        &mut self,
        mut reader: Reader<'_>,
        depth: u32,
        out: &mut AnyValue,
    ) -> WireResult<()> {
        while !reader.is_done() {
            let (tag, wire_type) = reader.key()?;
            match tag {
                1 => *out = AnyValue::String(reader.string_field(wire_type)?),
                2 => *out = AnyValue::Bool(reader.varint_field(wire_type)? != 0),
                3 => *out = AnyValue::Int(reader.varint_field(wire_type)? as i64),
                4 => *out = AnyValue::Double(reader.double_field(wire_type)?),
                5 => {
                    let message = reader.message_field(wire_type, depth)?;
                    if let AnyValue::Array(values) = out {
                        self.array_value(message, depth - 1, values)?;
                    } else {
                        let mut values = Vec::new();
                        self.array_value(message, depth - 1, &mut values)?;
                        *out = AnyValue::Array(values);
                    }
                }
                6 => {
                    let message = reader.message_field(wire_type, depth)?;
                    if let AnyValue::KvList(values) = out {
                        self.key_value_list(message, depth - 1, values)?;
                    } else {
                        let mut values = Vec::new();
                        self.key_value_list(message, depth - 1, &mut values)?;
                        *out = AnyValue::KvList(values);
                    }
                }
                7 => *out = AnyValue::Bytes(reader.bytes_field(wire_type)?.to_vec()),
                8 => {
                    reader.varint_field(wire_type)?;
                    *out = AnyValue::Empty;
                    self.saw_strindex = true;
                }
                _ => reader.skip(wire_type, tag, depth)?,
            }
        }
        Ok(())
    }

    fn array_value(
        &mut self,
        mut reader: Reader<'_>,
        depth: u32,
        out: &mut Vec<AnyValue>,
    ) -> WireResult<()> {
        while !reader.is_done() {
            let (tag, wire_type) = reader.key()?;
            match tag {
                1 => {
                    let message = reader.message_field(wire_type, depth)?;
                    let mut item = AnyValue::Empty;
                    self.any_value(message, depth - 1, &mut item)?;
                    out.push(item);
                }
                _ => reader.skip(wire_type, tag, depth)?,
            }
        }
        Ok(())
    }

    fn key_value_list(
        &mut self,
        mut reader: Reader<'_>,
        depth: u32,
        out: &mut Vec<KeyValue>,
    ) -> WireResult<()> {
        while !reader.is_done() {
            let (tag, wire_type) = reader.key()?;
            match tag {
                1 => self.push(&mut reader, tag, wire_type, depth, out, Self::key_value)?,
                _ => reader.skip(wire_type, tag, depth)?,
            }
        }
        Ok(())
    }


    fn resource(
        &mut self,
        mut reader: Reader<'_>,
        depth: u32,
        out: &mut Resource,
    ) -> WireResult<()> {
        while !reader.is_done() {
            let (tag, wire_type) = reader.key()?;
            match tag {
                1 => self.push(&mut reader, tag, wire_type, depth, &mut out.attributes, Self::key_value)?,
                2 => out.dropped_attributes_count = low_u32(reader.varint_field(wire_type)?),
                3 => self.discard(&mut reader, wire_type, depth, Self::entity_ref)?,
                _ => reader.skip(wire_type, tag, depth)?,
            }
        }
        Ok(())
    }

    /// `EntityRef`: only checked (its strings must be UTF-8).
    fn entity_ref(&mut self, mut reader: Reader<'_>, depth: u32, _out: &mut ()) -> WireResult<()> {
        while !reader.is_done() {
            let (tag, wire_type) = reader.key()?;
            match tag {
                1..=4 => drop(reader.str_field(wire_type)?),
                _ => reader.skip(wire_type, tag, depth)?,
            }
        }
        Ok(())
    }

    fn scope(&mut self, mut reader: Reader<'_>, depth: u32, out: &mut Scope) -> WireResult<()> {
        while !reader.is_done() {
            let (tag, wire_type) = reader.key()?;
            match tag {
                1 => out.name = reader.string_field(wire_type)?,
                2 => out.version = reader.string_field(wire_type)?,
                3 => self.push(&mut reader, tag, wire_type, depth, &mut out.attributes, Self::key_value)?,
                4 => drop(reader.varint_field(wire_type)?),
                _ => reader.skip(wire_type, tag, depth)?,
            }
        }
        Ok(())
    }

    // -------------------------------------------------------------------------------------
    // logs.v1

    pub(super) fn resource_logs(
        &mut self,
        mut reader: Reader<'_>,
        depth: u32,
        out: &mut ResourceLogs,
    ) -> WireResult<()> {
        while !reader.is_done() {
            let (tag, wire_type) = reader.key()?;
            match tag {
                1 => {
                    self.merge(&mut reader, wire_type, depth, &mut out.resource, Self::resource)?
                }
                2 => {
                    self.push(&mut reader, tag, wire_type, depth, &mut out.scope_logs, Self::scope_logs)?
                }
                3 => out.schema_url = reader.string_field(wire_type)?,
                _ => reader.skip(wire_type, tag, depth)?,
            }
        }
        Ok(())
    }

    fn scope_logs(
        &mut self,
        mut reader: Reader<'_>,
        depth: u32,
        out: &mut ScopeLogs,
    ) -> WireResult<()> {
        while !reader.is_done() {
            let (tag, wire_type) = reader.key()?;
            match tag {
                1 => self.merge(&mut reader, wire_type, depth, &mut out.scope, Self::scope)?,
                2 => self.push(&mut reader, tag, wire_type,
                    depth,
                    &mut out.log_records,
                    Self::log_record,
                )?,
                3 => out.schema_url = reader.string_field(wire_type)?,
                _ => reader.skip(wire_type, tag, depth)?,
            }
        }
        Ok(())
    }

    fn log_record(
        &mut self,
        mut reader: Reader<'_>,
        depth: u32,
        out: &mut LogRecord,
    ) -> WireResult<()> {
        while !reader.is_done() {
            let (tag, wire_type) = reader.key()?;
            match tag {
                1 => out.time_unix_nano = reader.fixed64_field(wire_type)?,
                11 => out.observed_time_unix_nano = reader.fixed64_field(wire_type)?,
                2 => out.severity_number = low_i32(reader.varint_field(wire_type)?),
                3 => out.severity_text = reader.string_field(wire_type)?,
                5 => {
                    let message = reader.message_field(wire_type, depth)?;
                    let body = out.body.get_or_insert(AnyValue::Empty);
                    self.any_value(message, depth - 1, body)?;
                }
                6 => self.push(&mut reader, tag, wire_type, depth, &mut out.attributes, Self::key_value)?,
                7 => out.dropped_attributes_count = low_u32(reader.varint_field(wire_type)?),
                8 => out.flags = reader.fixed32_field(wire_type)?,
                9 => out.trace_id = reader.bytes_field(wire_type)?.to_vec(),
                10 => out.span_id = reader.bytes_field(wire_type)?.to_vec(),
                12 => out.event_name = reader.string_field(wire_type)?,
                _ => reader.skip(wire_type, tag, depth)?,
            }
        }
        Ok(())
    }

    // -------------------------------------------------------------------------------------
    // metrics.v1

    pub(super) fn resource_metrics(
        &mut self,
        mut reader: Reader<'_>,
        depth: u32,
        out: &mut ResourceMetrics,
    ) -> WireResult<()> {
        while !reader.is_done() {
            let (tag, wire_type) = reader.key()?;
            match tag {
                1 => {
                    self.merge(&mut reader, wire_type, depth, &mut out.resource, Self::resource)?
                }
                2 => self.push(&mut reader, tag, wire_type,
                    depth,
                    &mut out.scope_metrics,
                    Self::scope_metrics,
                )?,
                3 => out.schema_url = reader.string_field(wire_type)?,
                _ => reader.skip(wire_type, tag, depth)?,
            }
        }
        Ok(())
    }

    fn scope_metrics(
        &mut self,
        mut reader: Reader<'_>,
        depth: u32,
        out: &mut ScopeMetrics,
    ) -> WireResult<()> {
        while !reader.is_done() {
            let (tag, wire_type) = reader.key()?;
            match tag {
                1 => self.merge(&mut reader, wire_type, depth, &mut out.scope, Self::scope)?,
                2 => self.push(&mut reader, tag, wire_type, depth, &mut out.metrics, Self::metric)?,
                3 => out.schema_url = reader.string_field(wire_type)?,
                _ => reader.skip(wire_type, tag, depth)?,
            }
        }
        Ok(())
    }

    fn metric(&mut self, mut reader: Reader<'_>, depth: u32, out: &mut Metric) -> WireResult<()> {
        while !reader.is_done() {
            let (tag, wire_type) = reader.key()?;
            match tag {
                1 => out.name = reader.string_field(wire_type)?,
                2 => out.description = reader.string_field(wire_type)?,
                3 => out.unit = reader.string_field(wire_type)?,
                12 => self.discard(&mut reader, wire_type, depth, Self::key_value)?,
                5 | 7 | 9 | 10 | 11 => {
                    let message = reader.message_field(wire_type, depth)?;
                    self.metric_data(tag, message, depth - 1, &mut out.data)?;
                }
                _ => reader.skip(wire_type, tag, depth)?,
            }
        }
        Ok(())
    }

    /// The data oneof of a metric (field `tag`): a new variant replaces the data, the same
    /// variant again is merged (its data points appended, its scalars overwritten if given).
    fn metric_data(
        &mut self,
        tag: u32,
        mut reader: Reader<'_>,
        depth: u32,
        out: &mut MetricData,
    ) -> WireResult<()> {
        let same_variant = matches!(
            (tag, &*out),
            (5, MetricData::Gauge { .. })
                | (7, MetricData::Sum { .. })
                | (9, MetricData::Histogram { .. })
                | (10, MetricData::ExponentialHistogram { .. })
                | (11, MetricData::Summary { .. })
        );
        if !same_variant {
            let temporality = Temporality::from_i32(0);
            *out = match tag {
                5 => MetricData::Gauge { points: Vec::new() },
                7 => MetricData::Sum { points: Vec::new(), temporality, is_monotonic: false },
                9 => MetricData::Histogram { points: Vec::new(), temporality },
                10 => MetricData::ExponentialHistogram { points: Vec::new(), temporality },
                _ => MetricData::Summary { points: Vec::new() },
            };
        }
        while !reader.is_done() {
            let (field, wire_type) = reader.key()?;
            match (&mut *out, field) {
                (MetricData::Gauge { points } | MetricData::Sum { points, .. }, 1) => {
                    self.push(&mut reader, tag, wire_type, depth, points, Self::number_point)?
                }
                (MetricData::Histogram { points, .. }, 1) => {
                    self.push(&mut reader, tag, wire_type, depth, points, Self::histogram_point)?
                }
                (MetricData::ExponentialHistogram { points, .. }, 1) => self.push(&mut reader, tag, wire_type,
                    depth,
                    points,
                    Self::exponential_histogram_point,
                )?,
                (MetricData::Summary { points }, 1) => {
                    self.push(&mut reader, tag, wire_type, depth, points, Self::summary_point)?
                }
                (
                    MetricData::Sum { temporality, .. }
                    | MetricData::Histogram { temporality, .. }
                    | MetricData::ExponentialHistogram { temporality, .. },
                    2,
                ) => *temporality = Temporality::from_i32(low_i32(reader.varint_field(wire_type)?)),
                (MetricData::Sum { is_monotonic, .. }, 3) => {
                    *is_monotonic = reader.varint_field(wire_type)? != 0
                }
                _ => reader.skip(wire_type, field, depth)?,
            }
        }
        Ok(())
    }

    fn number_point(
        &mut self,
        mut reader: Reader<'_>,
        depth: u32,
        out: &mut NumberDataPoint,
    ) -> WireResult<()> {
        while !reader.is_done() {
            let (tag, wire_type) = reader.key()?;
            match tag {
                7 => self.push(&mut reader, tag, wire_type, depth, &mut out.attributes, Self::key_value)?,
                2 => out.start_time_unix_nano = reader.fixed64_field(wire_type)?,
                3 => out.time_unix_nano = reader.fixed64_field(wire_type)?,
                5 => self.discard(&mut reader, wire_type, depth, Self::exemplar)?,
                8 => out.flags = low_u32(reader.varint_field(wire_type)?),
                4 => out.value = NumberValue::Double(reader.double_field(wire_type)?),
                6 => out.value = NumberValue::Int(reader.fixed64_field(wire_type)? as i64),
                _ => reader.skip(wire_type, tag, depth)?,
            }
        }
        Ok(())
    }

    fn histogram_point(
        &mut self,
        mut reader: Reader<'_>,
        depth: u32,
        out: &mut HistogramDataPoint,
    ) -> WireResult<()> {
        while !reader.is_done() {
            let (tag, wire_type) = reader.key()?;
            match tag {
                9 => self.push(&mut reader, tag, wire_type, depth, &mut out.attributes, Self::key_value)?,
                2 => out.start_time_unix_nano = reader.fixed64_field(wire_type)?,
                3 => out.time_unix_nano = reader.fixed64_field(wire_type)?,
                4 => out.count = reader.fixed64_field(wire_type)?,
                5 => out.sum = Some(reader.double_field(wire_type)?),
                6 => reader.repeated_fixed64(wire_type, &mut out.bucket_counts, |it| it)?,
                7 => reader.repeated_fixed64(wire_type, &mut out.explicit_bounds, f64::from_bits)?,
                8 => self.discard(&mut reader, wire_type, depth, Self::exemplar)?,
                10 => out.flags = low_u32(reader.varint_field(wire_type)?),
                11 => out.min = Some(reader.double_field(wire_type)?),
                12 => out.max = Some(reader.double_field(wire_type)?),
                _ => reader.skip(wire_type, tag, depth)?,
            }
        }
        Ok(())
    }

    fn exponential_histogram_point(
        &mut self,
        mut reader: Reader<'_>,
        depth: u32,
        out: &mut ExponentialHistogramDataPoint,
    ) -> WireResult<()> {
        while !reader.is_done() {
            let (tag, wire_type) = reader.key()?;
            match tag {
                1 => self.push(&mut reader, tag, wire_type, depth, &mut out.attributes, Self::key_value)?,
                2 => out.start_time_unix_nano = reader.fixed64_field(wire_type)?,
                3 => out.time_unix_nano = reader.fixed64_field(wire_type)?,
                4 => out.count = reader.fixed64_field(wire_type)?,
                5 => out.sum = Some(reader.double_field(wire_type)?),
                6 => out.scale = sint32(reader.varint_field(wire_type)?),
                7 => out.zero_count = reader.fixed64_field(wire_type)?,
                8 => self.merge(&mut reader, wire_type, depth, &mut out.positive, Self::buckets)?,
                9 => self.merge(&mut reader, wire_type, depth, &mut out.negative, Self::buckets)?,
                10 => out.flags = low_u32(reader.varint_field(wire_type)?),
                11 => self.discard(&mut reader, wire_type, depth, Self::exemplar)?,
                12 => out.min = Some(reader.double_field(wire_type)?),
                13 => out.max = Some(reader.double_field(wire_type)?),
                // zero_threshold: read, not kept.
                14 => drop(reader.double_field(wire_type)?),
                _ => reader.skip(wire_type, tag, depth)?,
            }
        }
        Ok(())
    }

    /// `Buckets` as `(offset, bucket_counts)`.
    fn buckets(
        &mut self,
        mut reader: Reader<'_>,
        depth: u32,
        out: &mut (i32, Vec<u64>),
    ) -> WireResult<()> {
        while !reader.is_done() {
            let (tag, wire_type) = reader.key()?;
            match tag {
                1 => out.0 = sint32(reader.varint_field(wire_type)?),
                2 => reader.repeated_varint(wire_type, |it| out.1.push(it))?,
                _ => reader.skip(wire_type, tag, depth)?,
            }
        }
        Ok(())
    }

    fn summary_point(
        &mut self,
        mut reader: Reader<'_>,
        depth: u32,
        out: &mut SummaryDataPoint,
    ) -> WireResult<()> {
        while !reader.is_done() {
            let (tag, wire_type) = reader.key()?;
            match tag {
                7 => self.push(&mut reader, tag, wire_type, depth, &mut out.attributes, Self::key_value)?,
                2 => out.start_time_unix_nano = reader.fixed64_field(wire_type)?,
                3 => out.time_unix_nano = reader.fixed64_field(wire_type)?,
                4 => out.count = reader.fixed64_field(wire_type)?,
                5 => out.sum = reader.double_field(wire_type)?,
                6 => self.push(&mut reader, tag, wire_type,
                    depth,
                    &mut out.quantile_values,
                    Self::value_at_quantile,
                )?,
                8 => out.flags = low_u32(reader.varint_field(wire_type)?),
                _ => reader.skip(wire_type, tag, depth)?,
            }
        }
        Ok(())
    }

    /// `ValueAtQuantile` as `(quantile, value)`.
    fn value_at_quantile(
        &mut self,
        mut reader: Reader<'_>,
        depth: u32,
        out: &mut (f64, f64),
    ) -> WireResult<()> {
        while !reader.is_done() {
            let (tag, wire_type) = reader.key()?;
            match tag {
                1 => out.0 = reader.double_field(wire_type)?,
                2 => out.1 = reader.double_field(wire_type)?,
                _ => reader.skip(wire_type, tag, depth)?,
            }
        }
        Ok(())
    }

    /// `Exemplar`: only checked.
    fn exemplar(&mut self, mut reader: Reader<'_>, depth: u32, _out: &mut ()) -> WireResult<()> {
        while !reader.is_done() {
            let (tag, wire_type) = reader.key()?;
            match tag {
                7 => self.discard(&mut reader, wire_type, depth, Self::key_value)?,
                2 | 3 | 6 => drop(reader.fixed64_field(wire_type)?),
                4 | 5 => drop(reader.bytes_field(wire_type)?),
                _ => reader.skip(wire_type, tag, depth)?,
            }
        }
        Ok(())
    }

    // -------------------------------------------------------------------------------------
    // trace.v1

    pub(super) fn resource_spans(
        &mut self,
        mut reader: Reader<'_>,
        depth: u32,
        out: &mut ResourceSpans,
    ) -> WireResult<()> {
        while !reader.is_done() {
            let (tag, wire_type) = reader.key()?;
            match tag {
                1 => {
                    self.merge(&mut reader, wire_type, depth, &mut out.resource, Self::resource)?
                }
                2 => self.push(&mut reader, tag, wire_type,
                    depth,
                    &mut out.scope_spans,
                    Self::scope_spans,
                )?,
                3 => out.schema_url = reader.string_field(wire_type)?,
                _ => reader.skip(wire_type, tag, depth)?,
            }
        }
        Ok(())
    }

    fn scope_spans(
        &mut self,
        mut reader: Reader<'_>,
        depth: u32,
        out: &mut ScopeSpans,
    ) -> WireResult<()> {
        while !reader.is_done() {
            let (tag, wire_type) = reader.key()?;
            match tag {
                1 => self.merge(&mut reader, wire_type, depth, &mut out.scope, Self::scope)?,
                2 => self.push(&mut reader, tag, wire_type, depth, &mut out.spans, Self::span)?,
                3 => out.schema_url = reader.string_field(wire_type)?,
                _ => reader.skip(wire_type, tag, depth)?,
            }
        }
        Ok(())
    }

    fn span(&mut self, mut reader: Reader<'_>, depth: u32, out: &mut Span) -> WireResult<()> {
        while !reader.is_done() {
            let (tag, wire_type) = reader.key()?;
            match tag {
                1 => out.trace_id = reader.bytes_field(wire_type)?.to_vec(),
                2 => out.span_id = reader.bytes_field(wire_type)?.to_vec(),
                3 => out.trace_state = reader.string_field(wire_type)?,
                4 => out.parent_span_id = reader.bytes_field(wire_type)?.to_vec(),
                16 => out.flags = reader.fixed32_field(wire_type)?,
                5 => out.name = reader.string_field(wire_type)?,
                6 => out.kind = low_i32(reader.varint_field(wire_type)?),
                7 => out.start_time_unix_nano = reader.fixed64_field(wire_type)?,
                8 => out.end_time_unix_nano = reader.fixed64_field(wire_type)?,
                9 => self.push(&mut reader, tag, wire_type, depth, &mut out.attributes, Self::key_value)?,
                10 => out.dropped_attributes_count = low_u32(reader.varint_field(wire_type)?),
                11 => {
                    self.push(&mut reader, tag, wire_type, depth, &mut out.events, Self::span_event)?
                }
                // dropped_events_count, dropped_links_count: read, not kept.
                12 | 14 => drop(reader.varint_field(wire_type)?),
                13 => self.push(&mut reader, tag, wire_type, depth, &mut out.links, Self::span_link)?,
                15 => self.merge(&mut reader, wire_type, depth, out, Self::status)?,
                _ => reader.skip(wire_type, tag, depth)?,
            }
        }
        Ok(())
    }

    /// `Status`, merged into the span's `status_code` and `status_message`.
    fn status(&mut self, mut reader: Reader<'_>, depth: u32, out: &mut Span) -> WireResult<()> {
        while !reader.is_done() {
            let (tag, wire_type) = reader.key()?;
            match tag {
                2 => out.status_message = reader.string_field(wire_type)?,
                3 => out.status_code = low_i32(reader.varint_field(wire_type)?),
                _ => reader.skip(wire_type, tag, depth)?,
            }
        }
        Ok(())
    }

    fn span_event(
        &mut self,
        mut reader: Reader<'_>,
        depth: u32,
        out: &mut SpanEvent,
    ) -> WireResult<()> {
        while !reader.is_done() {
            let (tag, wire_type) = reader.key()?;
            match tag {
                1 => out.time_unix_nano = reader.fixed64_field(wire_type)?,
                2 => out.name = reader.string_field(wire_type)?,
                3 => self.push(&mut reader, tag, wire_type, depth, &mut out.attributes, Self::key_value)?,
                4 => drop(reader.varint_field(wire_type)?),
                _ => reader.skip(wire_type, tag, depth)?,
            }
        }
        Ok(())
    }

    fn span_link(
        &mut self,
        mut reader: Reader<'_>,
        depth: u32,
        out: &mut SpanLink,
    ) -> WireResult<()> {
        while !reader.is_done() {
            let (tag, wire_type) = reader.key()?;
            match tag {
                1 => out.trace_id = reader.bytes_field(wire_type)?.to_vec(),
                2 => out.span_id = reader.bytes_field(wire_type)?.to_vec(),
                3 => out.trace_state = reader.string_field(wire_type)?,
                4 => self.push(&mut reader, tag, wire_type, depth, &mut out.attributes, Self::key_value)?,
                5 => drop(reader.varint_field(wire_type)?),
                6 => drop(reader.fixed32_field(wire_type)?),
                _ => reader.skip(wire_type, tag, depth)?,
            }
        }
        Ok(())
    }
}
