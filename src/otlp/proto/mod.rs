//! OTLP protobuf decoding: a hand-written reader of the protobuf wire format that builds
//! codetel's model directly (`wire.rs` for the wire format, `read.rs` for the OTLP messages),
//! with no prost structs in between: each string is validated once and kept as a slice
//! of the body (the body is shared, see [`crate::otlp::Str`]), never copied.
//!
//! Protobuf leaves little room for tolerance, and the reader accepts and rejects exactly what
//! prost (with `opentelemetry-proto`'s messages) does: anything that is not a valid message
//! (bad wire types for known fields, truncation, non-UTF-8 strings, nesting deeper than
//! prost's recursion limit of 100, invalid varints, keys or groups) fails the whole body as
//! [`DecodeError::Protobuf`]; unknown fields of every wire type are skipped; a singular
//! embedded message given twice is merged. What is left to check is what a valid message can
//! still get wrong, reported the same way the JSON decoder reports it: ids of the wrong
//! length (dropped), a metric without its data oneof ([`MetricData::Missing`]), and
//! profile-only string-table references in `AnyValue` (`string_value_strindex`).
//!
//! The problems are found after the read, walking the model in the order the JSON decoder
//! and the reference path report them. A `string_value_strindex` leaves no trace in the model
//! (it reads as an empty value), so a body with one is decoded again by the reference path
//! ([`decode_via_prost`]) for its problems; no coding agent sends that profiles-only field.
//! The reference path is also what the differential tests and fuzz target compare against.

mod read;
mod via_prost;
mod wire;

use bytes::Bytes;

use super::problem_tracker::{ProblemTracker, SPAN_ID_BYTES, TRACE_ID_BYTES};
use super::{DecodeError, Decoded, ExportRequest, MetricData, Signal};
use read::MessageReader;
use wire::{Reader, RECURSION_LIMIT};

/// Decodes an OTLP protobuf request body of the given signal (copied once into a shared
/// buffer the model's strings are sliced from; [`decode_shared`] takes one without copying).
pub fn decode(signal: Signal, body: &[u8]) -> Result<Decoded, DecodeError> {
    decode_shared(signal, Bytes::copy_from_slice(body))
}

/// Decodes an OTLP protobuf request body held in a shared buffer: the model's strings are
/// slices of it, so it stays alive as long as any of them does.
pub fn decode_shared(signal: Signal, body: Bytes) -> Result<Decoded, DecodeError> {
    let (request, saw_strindex) = read_request(signal, &body)?;
    if saw_strindex {
        return via_prost::decode(signal, &body);
    }
    Ok(with_problems(request))
}

/// The reference decoder: prost into `opentelemetry-proto`'s messages, then converted into
/// the model. Equal to [`decode`] for every input (`tests/it/decode/protobuf_reader.rs`,
/// `fuzz/fuzz_targets/decode_protobuf_differential.rs`); not for production use.
#[doc(hidden)]
pub fn decode_via_prost(signal: Signal, body: &[u8]) -> Result<Decoded, DecodeError> {
    via_prost::decode(signal, body)
}

/// The wire reader alone, never falling back to the reference path: the same model as
/// [`decode`], and the same problems except those of `string_value_strindex`. For the
/// differential tests, which would otherwise compare the reference path with itself on such
/// bodies.
#[doc(hidden)]
pub fn decode_without_fallback(signal: Signal, body: &[u8]) -> Result<Decoded, DecodeError> {
    let (request, _) = read_request(signal, &Bytes::copy_from_slice(body))?;
    Ok(with_problems(request))
}

/// Reads the request; also tells whether a kept `AnyValue` was a `string_value_strindex`.
fn read_request(signal: Signal, body: &Bytes) -> Result<(ExportRequest, bool), DecodeError> {
    let invalid =
        |error: wire::WireError| DecodeError::Protobuf { signal, message: error.to_string() };
    let mut reader = MessageReader::default();
    let body = Reader::new(body);
    let request = match signal {
        Signal::Logs => {
            let mut list = Vec::new();
            reader.request(body, RECURSION_LIMIT, &mut list, MessageReader::resource_logs).map_err(invalid)?;
            ExportRequest::Logs(list)
        }
        Signal::Metrics => {
            let mut list = Vec::new();
            reader.request(body, RECURSION_LIMIT, &mut list, MessageReader::resource_metrics).map_err(invalid)?;
            ExportRequest::Metrics(list)
        }
        Signal::Traces => {
            let mut list = Vec::new();
            reader.request(body, RECURSION_LIMIT, &mut list, MessageReader::resource_spans).map_err(invalid)?;
            ExportRequest::Traces(list)
        }
    };
    Ok((request, reader.saw_strindex))
}

/// Finds the problems of a read request, in the order the reference path reports them, and
/// drops the ids they name.
fn with_problems(mut request: ExportRequest) -> Decoded {
    let mut tracker = ProblemTracker::default();
    match &mut request {
        ExportRequest::Logs(list) => {
            for_each_item(&mut tracker, "resourceLogs", list, |tracker, resource| {
                for_each_item(tracker, "scopeLogs", &mut resource.scope_logs, |tracker, scope| {
                    for_each_item(
                        tracker,
                        "logRecords",
                        &mut scope.log_records,
                        |tracker, record| {
                            check_id(tracker, "traceId", &mut record.trace_id, TRACE_ID_BYTES);
                            check_id(tracker, "spanId", &mut record.span_id, SPAN_ID_BYTES);
                        },
                    );
                });
            });
        }
        ExportRequest::Metrics(list) => {
            for_each_item(&mut tracker, "resourceMetrics", list, |tracker, resource| {
                for_each_item(
                    tracker,
                    "scopeMetrics",
                    &mut resource.scope_metrics,
                    |tracker, scope| {
                        for_each_item(tracker, "metrics", &mut scope.metrics, |tracker, metric| {
                            if matches!(metric.data, MetricData::Missing) {
                                tracker.report_metric_without_data();
                            }
                        });
                    },
                );
            });
        }
        ExportRequest::Traces(list) => {
            for_each_item(&mut tracker, "resourceSpans", list, |tracker, resource| {
                for_each_item(
                    tracker,
                    "scopeSpans",
                    &mut resource.scope_spans,
                    |tracker, scope| {
                        for_each_item(tracker, "spans", &mut scope.spans, |tracker, span| {
                            check_id(tracker, "traceId", &mut span.trace_id, TRACE_ID_BYTES);
                            check_id(tracker, "spanId", &mut span.span_id, SPAN_ID_BYTES);
                            check_id(
                                tracker,
                                "parentSpanId",
                                &mut span.parent_span_id,
                                SPAN_ID_BYTES,
                            );
                            tracker.enter_field("links");
                            for (index, link) in span.links.iter_mut().enumerate() {
                                tracker.enter_index(index, false);
                                check_id(tracker, "traceId", &mut link.trace_id, TRACE_ID_BYTES);
                                check_id(tracker, "spanId", &mut link.span_id, SPAN_ID_BYTES);
                                tracker.leave();
                            }
                            tracker.leave();
                        });
                    },
                );
            });
        }
    }
    Decoded { request, problems: tracker.into_problems() }
}

/// Visits the items of the repeated field `name`, keeping the tracker's path in step.
fn for_each_item<T>(
    tracker: &mut ProblemTracker,
    name: &'static str,
    list: &mut [T],
    mut visit: impl FnMut(&mut ProblemTracker, &mut T),
) {
    tracker.enter_field(name);
    for (index, item) in list.iter_mut().enumerate() {
        tracker.enter_index(index, true);
        visit(tracker, item);
        tracker.leave();
    }
    tracker.leave();
}

/// Keeps an id of the expected length (or empty, meaning absent); drops any other with a
/// problem on field `name`.
fn check_id(tracker: &mut ProblemTracker, name: &'static str, id: &mut Vec<u8>, expected: usize) {
    if id.is_empty() || id.len() == expected {
        return;
    }
    tracker.enter_field(name);
    tracker.report(format!("expected {expected} bytes, found {}; id dropped", id.len()), 0);
    tracker.leave();
    *id = Vec::new();
}
