//! A canary planted in any string attribute, body or resource attribute never reaches
//! `metadata_only` output, except where the schema says the value is metadata.
//!
//! Precisely: the canary (alone, or inside a longer text) replaces strings chosen at random
//! among every string in resource, scope, item, span-event and link attribute values
//! (nested arrays and key-value lists included) and in log bodies (as text: a one-token body
//! is an event name for some vendors); resource `service.name`
//! and `service.namespace` excepted, which are detection evidence kept as metadata, and the
//! `event.name` attribute, which names the item (as span and metric names do, which are not
//! planted either). After normalizing in
//! `metadata_only`, it may appear in a record only as (part of) the value of a canonical key
//! of class metadata or identity, of the session id, or of a vendor attribute the adapter
//! declared metadata: ids, names and enumerations, which that mode keeps by design. It may
//! not appear anywhere else in a record (content keys, reduced vendor attributes, source
//! references), in any finding, or in the accounting's reasons.

use proptest::collection::vec;
use proptest::prelude::*;

use codetel::otlp::{AnyValue, ExportRequest, KeyValue, MetricData, Str};
use codetel::schema::attributes::{self, Class};
use codetel::schema::{CanonicalRecord, CaptureMode, Value};

use super::{capture_of, for_each_vendor, model, normalize};

const CANARY: &str = "zqCANARYqz7";

/// Item attributes except `event.name`: the item's name, which the schema keeps as the
/// record's `source.name` and which `unknown_event_name` findings name on purpose.
fn attributes_strings<'a>(attributes: &'a mut [KeyValue], out: &mut Vec<&'a mut Str>) {
    for attribute in attributes {
        if attribute.key != "event.name" {
            value_strings(&mut attribute.value, out);
        }
    }
}

/// Resource attributes except `service.name` and `service.namespace`: detection evidence,
/// which the schema keeps as metadata (`coding_agent.service.name`, "exactly as sent") and
/// which `vendor_evidence_conflict` findings name on purpose (a shell-wide
/// `OTEL_SERVICE_NAME` is the thing to see).
fn resource_strings<'a>(attributes: &'a mut [KeyValue], out: &mut Vec<&'a mut Str>) {
    for attribute in attributes {
        if attribute.key != "service.name" && attribute.key != "service.namespace" {
            value_strings(&mut attribute.value, out);
        }
    }
}

fn value_strings<'a>(value: &'a mut AnyValue, out: &mut Vec<&'a mut Str>) {
    match value {
        AnyValue::String(text) => out.push(text),
        AnyValue::Array(values) => values.iter_mut().for_each(|it| value_strings(it, out)),
        AnyValue::KvList(pairs) => attributes_strings(pairs, out),
        AnyValue::Empty | AnyValue::Bool(_) | AnyValue::Int(_) | AnyValue::Double(_) | AnyValue::Bytes(_) => {}
    }
}

/// Every string slot a canary may be planted in, and which of them are in log bodies.
fn string_slots(request: &mut ExportRequest) -> (Vec<&mut Str>, Vec<usize>) {
    let mut res = Vec::new();
    let mut bodies = Vec::new();
    match request {
        ExportRequest::Logs(resources) => {
            for resource_logs in resources {
                resource_strings(&mut resource_logs.resource.attributes, &mut res);
                for scope_logs in &mut resource_logs.scope_logs {
                    attributes_strings(&mut scope_logs.scope.attributes, &mut res);
                    for record in &mut scope_logs.log_records {
                        attributes_strings(&mut record.attributes, &mut res);
                        if let Some(body) = &mut record.body {
                            let first_body_slot = res.len();
                            value_strings(body, &mut res);
                            bodies.extend(first_body_slot..res.len());
                        }
                    }
                }
            }
        }
        ExportRequest::Metrics(resources) => {
            for resource_metrics in resources {
                resource_strings(&mut resource_metrics.resource.attributes, &mut res);
                for scope_metrics in &mut resource_metrics.scope_metrics {
                    attributes_strings(&mut scope_metrics.scope.attributes, &mut res);
                    for metric in &mut scope_metrics.metrics {
                        match &mut metric.data {
                            MetricData::Missing => {}
                            MetricData::Gauge { points } | MetricData::Sum { points, .. } => {
                                points.iter_mut().for_each(|it| attributes_strings(&mut it.attributes, &mut res))
                            }
                            MetricData::Histogram { points, .. } => points.iter_mut().for_each(|it| attributes_strings(&mut it.attributes, &mut res)),
                            MetricData::ExponentialHistogram { points, .. } => {
                                points.iter_mut().for_each(|it| attributes_strings(&mut it.attributes, &mut res))
                            }
                            MetricData::Summary { points } => points.iter_mut().for_each(|it| attributes_strings(&mut it.attributes, &mut res)),
                        }
                    }
                }
            }
        }
        ExportRequest::Traces(resources) => {
            for resource_spans in resources {
                resource_strings(&mut resource_spans.resource.attributes, &mut res);
                for scope_spans in &mut resource_spans.scope_spans {
                    attributes_strings(&mut scope_spans.scope.attributes, &mut res);
                    for span in &mut scope_spans.spans {
                        attributes_strings(&mut span.attributes, &mut res);
                        for event in &mut span.events {
                            attributes_strings(&mut event.attributes, &mut res);
                        }
                        for link in &mut span.links {
                            attributes_strings(&mut link.attributes, &mut res);
                        }
                    }
                }
            }
        }
    }
    (res, bodies)
}

fn value_text(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// Where in a record the canary sits, if anywhere it may not.
fn leak_in(record: &CanonicalRecord) -> Option<String> {
    let mut record = record.clone();
    // Remove what may hold it, then look at what is left.
    record.attributes.retain(|key, value| {
        let metadata = attributes::ALL.iter().any(|it| it.key == *key && matches!(it.class, Class::Metadata | Class::Identity));
        !(metadata && value_text(value).contains(CANARY))
    });
    let declared = record.vendor_metadata.clone();
    record.vendor_attributes.retain(|key, value| !(declared.contains(key) && matches!(value, Value::Str(_))));
    if record.session_id.as_deref().is_some_and(|it| it.contains(CANARY)) {
        record.session_id = None;
    }
    let text = serde_json::to_string(&record).unwrap_or_default();
    text.contains(CANARY).then_some(text)
}

#[test]
fn a_canary_reaches_metadata_only_output_only_as_metadata() {
    for_each_vendor(
        "canary",
        |seed| (model::requests(seed), vec((any::<proptest::sample::Index>(), any::<bool>()), 1..6)),
        |_, (mut requests, plantings)| {
            let mut planted = 0;
            let n_requests = requests.len();
            for (index, (slot, alone)) in plantings.iter().enumerate() {
                let request = &mut requests[index % n_requests];
                let (mut slots, bodies) = string_slots(request);
                if slots.is_empty() {
                    continue;
                }
                let index = slot.index(slots.len());
                // A body holding one token is the event's name for some vendors (a name, kept
                // like `event.name`); a body always gets text, as a prompt or command would be.
                let alone = *alone && !bodies.contains(&index);
                *slots[index] = if alone { CANARY.into() } else { format!("please run `cat {CANARY}.txt` now").into() };
                planted += 1;
            }
            let output = normalize(&capture_of(&requests), CaptureMode::MetadataOnly);
            let findings = serde_json::to_string(&output.findings).unwrap_or_default();
            prop_assert!(!findings.contains(CANARY), "canary in findings ({planted} planted): {findings}");
            let reasons = format!("{:?}", output.accounting.reasons);
            prop_assert!(!reasons.contains(CANARY), "canary in accounting reasons: {reasons}");
            for record in &output.records {
                if let Some(text) = leak_in(record) {
                    return Err(TestCaseError::fail(format!("canary in a record outside metadata: {text}")));
                }
            }
            Ok(())
        },
    );
}
