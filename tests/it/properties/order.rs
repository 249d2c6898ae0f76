//! Normalizing is a function of the data: deterministic, and blind to the order of items
//! within a batch.
//!
//! Order-blindness, precisely: shuffle the log records of every scope list, the spans of
//! every scope list, the metrics of every scope list and the data points of every metric.
//! The records, as a multiset, are the same once `source.locator` (which names the position)
//! is left out; the accounting is equal; the findings, as a multiset, are the same once their
//! locators are left out. Arrival order of requests is *not* shuffled: it carries meaning
//! (a cumulative point's predecessor, a session's first version).
//! Spans keep distinct (trace id, span id) pairs, as OTLP requires: two different spans
//! under one id are malformed, and adapters keep the first to arrive (a retry repeats the
//! same span, so which copy is kept does not matter there).

use proptest::prelude::*;

use codetel::normalize::Output;
use codetel::otlp::{ExportRequest, MetricData};
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

/// Gives every span whose (trace id, span id) was already used a fresh span id.
fn distinct_span_ids(requests: &mut [ExportRequest]) {
    let mut seen = std::collections::HashSet::new();
    let mut fresh = 0u64;
    for request in requests {
        let ExportRequest::Traces(resources) = request else { continue };
        for span in resources.iter_mut().flat_map(|it| &mut it.scope_spans).flat_map(|it| &mut it.spans) {
            while !span.span_id.is_empty() && !seen.insert((span.trace_id.clone(), span.span_id.clone())) {
                fresh += 1;
                span.span_id = (u64::MAX - fresh).to_be_bytes().to_vec();
            }
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
            distinct_span_ids(&mut requests);
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
                prop_assert_eq!(records_a, records_b, "{:?}: records", mode);
                prop_assert_eq!(findings_a, findings_b, "{:?}: findings", mode);
            }
            Ok(())
        },
    );
}
