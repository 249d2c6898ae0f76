//! Normalizing is a function of the data: deterministic, and blind to the order of items
//! within a batch.
//!
//! Order-blindness, precisely: shuffle the log records of every scope list, the spans of
//! every scope list, the metrics of every scope list and the data points of every metric.
//! The records, as a multiset, are the same once `source.locator` (which names the position)
//! is left out; the accounting is equal; the findings, as a multiset, are the same once their
//! locators are left out. Arrival order of requests is *not* shuffled: it carries meaning
//! (a cumulative point's predecessor, a session's first version).
//! Identities stay distinct, as real exporters keep them: no two spans share a (trace id,
//! span id), and no two items of one signal and name share a join id (request id, tool use
//! id, call id). Two different items under one identity are malformed input (a retry repeats
//! the same item), and adapters resolve such a clash by arrival order; the generator would
//! otherwise make them by copying one sample twice.

use proptest::prelude::*;

use codetel::normalize::Output;
use std::collections::HashSet;

use codetel::otlp::{find_attr, AnyValue, ExportRequest, KeyValue, MetricData};
use codetel::schema::CaptureMode;

use super::wire::Rng;
use super::{capture_of, for_each_vendor, model, normalize};

/// Records and findings as sorted JSON lines without locators.
fn without_positions(output: &Output) -> (Vec<String>, Vec<String>) {
    let mut records: Vec<String> = output
        .records
        .iter()
        .map(|record| {
            let mut json = serde_json::to_value(record).unwrap_or_default();
            if let Some(source) = json.get_mut("source").and_then(|it| it.as_object_mut()) {
                let _ = source.remove("locator");
            }
            json.to_string()
        })
        .collect();
    records.sort();
    let mut findings: Vec<String> = output
        .findings
        .iter()
        .map(|finding| {
            let mut finding = finding.clone();
            if let Some(location) = &mut finding.location {
                location.locator.clear();
            }
            serde_json::to_string(&finding).unwrap_or_default()
        })
        .collect();
    findings.sort();
    (records, findings)
}

/// What only one side of two sorted multisets has, shortened for a readable failure.
fn difference(a: &[String], b: &[String]) -> String {
    let only = |x: &[String], y: &[String]| -> Vec<String> {
        let mut rest = y.to_vec();
        x.iter()
            .filter(|it| match rest.iter().position(|other| other == *it) {
                Some(index) => {
                    rest.swap_remove(index);
                    false
                }
                None => true,
            })
            .map(|it| shorten_strings(it))
            .collect()
    };
    format!("only before: {:?}\nonly after: {:?}", only(a, b), only(b, a))
}

/// A record's JSON with every long string cut to its start, so a failure shows every key
/// (and so where two records differ) without pages of prompt text.
fn shorten_strings(record: &str) -> String {
    fn walk(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::String(text) if text.chars().count() > 60 => {
                *text = text.chars().take(60).collect::<String>() + "...";
            }
            serde_json::Value::Array(values) => values.iter_mut().for_each(walk),
            serde_json::Value::Object(map) => map.values_mut().for_each(walk),
            _ => {}
        }
    }
    match serde_json::from_str::<serde_json::Value>(record) {
        Ok(mut value) => {
            walk(&mut value);
            value.to_string()
        }
        Err(_) => record.chars().take(1500).collect(),
    }
}

fn shuffle_items(request: &mut ExportRequest, rng: &mut Rng) {
    match request {
        ExportRequest::Logs(resources) => {
            for scope_logs in resources.iter_mut().flat_map(|it| &mut it.scope_logs) {
                rng.shuffle(&mut scope_logs.log_records);
            }
        }
        ExportRequest::Metrics(resources) => {
            for scope_metrics in resources.iter_mut().flat_map(|it| &mut it.scope_metrics) {
                rng.shuffle(&mut scope_metrics.metrics);
                for metric in &mut scope_metrics.metrics {
                    match &mut metric.data {
                        MetricData::Missing => {}
                        MetricData::Gauge { points } | MetricData::Sum { points, .. } => rng.shuffle(points),
                        MetricData::Histogram { points, .. } => rng.shuffle(points),
                        MetricData::ExponentialHistogram { points, .. } => rng.shuffle(points),
                        MetricData::Summary { points } => rng.shuffle(points),
                    }
                }
            }
        }
        ExportRequest::Traces(resources) => {
            for scope_spans in resources.iter_mut().flat_map(|it| &mut it.scope_spans) {
                rng.shuffle(&mut scope_spans.spans);
            }
        }
    }
}

/// Attribute keys whose values join items into one call (an event and its span twin, a
/// decision and its tool result): one value names one call.
const JOIN_KEY_ENDINGS: [&str; 8] =
    ["request_id", "requestId", "request.id", "tool_use_id", "call.id", "call_id", "response.id", "response_id"];

/// Makes identities distinct the way real exporters keep them: no two spans share a
/// (trace id, span id), and no two items of the same signal and name share a join id (two
/// `api_request` events of one request id are two copies of one sample, not two calls).
/// Twins across signals or names keep their shared ids.
fn distinct_identities(requests: &mut [ExportRequest]) {
    let mut spans_seen = HashSet::new();
    let mut joins_seen: HashSet<(&'static str, String, String, String)> = HashSet::new();
    let mut fresh = 0u64;
    let mut distinct = |signal: &'static str, name: &str, attributes: &mut [KeyValue], fresh: &mut u64| {
        for attribute in attributes.iter_mut() {
            if !JOIN_KEY_ENDINGS.iter().any(|it| attribute.key.ends_with(it)) {
                continue;
            }
            let AnyValue::String(value) = &mut attribute.value else { continue };
            while !joins_seen.insert((signal, name.to_owned(), attribute.key.to_string(), value.to_string())) {
                *fresh += 1;
                *value = format!("{value}-copy{fresh}").into();
            }
        }
    };
    for request in requests {
        match request {
            ExportRequest::Logs(resources) => {
                for record in resources.iter_mut().flat_map(|it| &mut it.scope_logs).flat_map(|it| &mut it.log_records) {
                    let name = match find_attr(&record.attributes, "event.name").or(record.body.as_ref()) {
                        Some(AnyValue::String(it)) => it.to_string(),
                        _ => String::new(),
                    };
                    distinct("logs", &name, &mut record.attributes, &mut fresh);
                }
            }
            ExportRequest::Traces(resources) => {
                for span in resources.iter_mut().flat_map(|it| &mut it.scope_spans).flat_map(|it| &mut it.spans) {
                    while !span.span_id.is_empty() && !spans_seen.insert((span.trace_id.clone(), span.span_id.clone())) {
                        fresh += 1;
                        span.span_id = (u64::MAX - fresh).to_be_bytes().to_vec();
                    }
                    let name = span.name.clone();
                    distinct("traces", &name, &mut span.attributes, &mut fresh);
                }
            }
            ExportRequest::Metrics(_) => {}
        }
    }
}

#[test]
fn normalizing_twice_gives_the_same_output() {
    for_each_vendor(
        "deterministic",
        model::requests,
        |_, requests| {
            let capture = capture_of(&requests);
            let (a, b) = (normalize(&capture, CaptureMode::Full), normalize(&capture, CaptureMode::Full));
            prop_assert_eq!(format!("{:?}", a.records), format!("{:?}", b.records));
            prop_assert_eq!(format!("{:?}", a.findings), format!("{:?}", b.findings));
            prop_assert_eq!(a.accounting, b.accounting);
            Ok(())
        },
    );
}

#[test]
fn shuffling_items_within_a_scope_list_changes_only_locators() {
    for_each_vendor(
        "item_order",
        |seed| (model::requests(seed), any::<u64>()),
        |_, (mut requests, seed)| {
            distinct_identities(&mut requests);
            let mut rng = Rng::new(seed);
            let mut shuffled = requests.clone();
            for request in &mut shuffled {
                shuffle_items(request, &mut rng);
            }
            for mode in [CaptureMode::Full, CaptureMode::MetadataOnly] {
                let a = normalize(&capture_of(&requests), mode);
                let b = normalize(&capture_of(&shuffled), mode);
                prop_assert_eq!(&a.accounting, &b.accounting, "{:?}", mode);
                let ((records_a, findings_a), (records_b, findings_b)) = (without_positions(&a), without_positions(&b));
                for (what, a, b) in [("records", &records_a, &records_b), ("findings", &findings_a, &findings_b)] {
                    if a != b {
                        return Err(TestCaseError::fail(format!("{mode:?}: {what} differ after shuffling: {}", difference(a, b))));
                    }
                }
            }
            Ok(())
        },
    );
}
