//! Metric totals survive retries, re-exports and the choice of temporality.
//!
//! A total is the sum of `coding_agent.metric.delta` per stream, a stream being the vendor,
//! the session and every canonical and vendor attribute of the record except the per-point
//! ones (value, delta, start time, temporality). The pipeline's rule (see `normalize.rs`): a
//! data point equal to an earlier point of its stream (same start time, time and value) is a
//! retry or a re-export and adds nothing, whatever the temporality.

use std::collections::BTreeMap;

use proptest::collection::vec;
use proptest::prelude::*;

use codetel::otlp::{ExportRequest, Metric, MetricData, NumberDataPoint, NumberValue, ResourceMetrics, ScopeMetrics, Temporality};
use codetel::schema::{attributes as attr, CanonicalRecord, CaptureMode, Value};

use super::seeds::VendorSeed;
use super::{capture_of, for_each_vendor, model, normalize};

/// Per-point keys: they differ between the points of one stream.
const PER_POINT: [&str; 5] = [attr::METRIC_VALUE, attr::METRIC_DELTA, attr::METRIC_START_TIME, attr::METRIC_TEMPORALITY, attr::CAPTURE_MODE];

/// Sum of deltas per stream, as text so NaN totals compare equal to themselves.
fn totals(records: &[CanonicalRecord]) -> BTreeMap<String, String> {
    let mut sums: BTreeMap<String, f64> = BTreeMap::new();
    for record in records {
        let delta = match record.attributes.get(attr::METRIC_DELTA) {
            Some(Value::Int(it)) => *it as f64,
            Some(Value::Double(it)) => *it,
            _ => continue,
        };
        let attributes: BTreeMap<_, _> = record.attributes.iter().filter(|(key, _)| !PER_POINT.contains(key)).collect();
        let stream = format!("{}|{:?}|{:?}|{:?}", record.vendor, record.session_id, attributes, record.vendor_attributes);
        *sums.entry(stream).or_default() += delta;
    }
    // Rounded so that float sums in another order still compare equal.
    sums.into_iter().map(|(stream, sum)| (stream, format!("{sum:.6e}"))).collect()
}

fn totals_of(requests: &[ExportRequest]) -> BTreeMap<String, String> {
    totals(&normalize(&capture_of(requests), CaptureMode::MetadataOnly).records)
}

#[test]
fn a_duplicated_batch_does_not_change_metric_totals() {
    for_each_vendor(
        "duplicated_batch",
        |seed| (model::requests(seed), vec(0u8..3, 4)),
        |_, (requests, retries)| {
            // 0: delivered once; 1: retried at once; 2: retried after everything else.
            let mut delivered = Vec::new();
            let mut late = Vec::new();
            for (request, retry) in requests.iter().zip(retries.iter().chain(std::iter::repeat(&0))) {
                delivered.push(request.clone());
                match retry {
                    1 => delivered.push(request.clone()),
                    2 => late.push(request.clone()),
                    _ => {}
                }
            }
            delivered.extend(late);
            prop_assert_eq!(totals_of(&requests), totals_of(&delivered));
            Ok(())
        },
    );
}

/// One stream's increments, encoded once as delta points and once as cumulative points.
#[derive(Debug, Clone)]
struct Streams {
    /// The real metric the streams are copies of.
    metric: Metric,
    /// Point templates (attributes) of each stream.
    templates: Vec<NumberDataPoint>,
    /// Per export, per stream: the increment since the previous export.
    increments: Vec<Vec<f64>>,
    /// Exports at which the cumulative counter restarts (a process restart: new start time).
    restarts: Vec<bool>,
    /// Whether the last cumulative export is sent again later, unchanged (a stale re-export).
    re_export: bool,
}

const BASE_TIME: u64 = 1_760_000_000_000_000_000;
const STEP: u64 = 10_000_000_000;

fn streams(seed: &'static VendorSeed) -> BoxedStrategy<Streams> {
    let metrics: Vec<Metric> = seed.sum_metrics().into_iter().cloned().collect();
    if metrics.is_empty() {
        // No sum metric in the corpus: a synthetic one under the vendor's name prefix.
        let name = seed.adapter.signature().name_prefixes.first().map(|it| format!("{it}generated.count")).unwrap_or_default();
        let point = NumberDataPoint { attributes: Vec::new(), start_time_unix_nano: 0, time_unix_nano: 0, value: NumberValue::Int(0), flags: 0 };
        let metric = Metric {
            name: name.into(),
            description: Default::default(),
            unit: "1".into(),
            data: MetricData::Sum { points: vec![point], temporality: Temporality::Delta, is_monotonic: true },
        };
        return streams_of(metric);
    }
    proptest::sample::select(metrics).prop_flat_map(streams_of).boxed()
}

fn streams_of(metric: Metric) -> BoxedStrategy<Streams> {
    let MetricData::Sum { points, .. } = &metric.data else { unreachable!("sum metrics only") };
    let mut templates: Vec<NumberDataPoint> = Vec::new();
    for point in points {
        if !templates.iter().any(|it| it.attributes == point.attributes) {
            templates.push(point.clone());
        }
    }
    let integral = matches!(points[0].value, NumberValue::Int(_));
    // Integers, or multiples of 1/8: every partial sum is exact, so both encodings must agree
    // to the last bit before any unit conversion.
    let increment = if integral { (0u32..10_000).prop_map(f64::from).boxed() } else { (0u32..8_000).prop_map(|it| f64::from(it) / 8.0).boxed() };
    let n_streams = templates.len();
    (1usize..7)
        .prop_flat_map(move |n_exports| {
            (vec(vec(increment.clone(), n_streams..=n_streams), n_exports..=n_exports), vec(proptest::bool::weighted(0.2), n_exports..=n_exports), any::<bool>())
        })
        .prop_map(move |(increments, restarts, re_export)| Streams { metric: metric.clone(), templates: templates.clone(), increments, restarts, re_export })
        .boxed()
}

fn number(value: f64, integral: bool) -> NumberValue {
    if integral {
        NumberValue::Int(value as i64)
    } else {
        NumberValue::Double(value)
    }
}

/// The exports of `streams` in one temporality, one request per export.
fn exports(seed: &VendorSeed, streams: &Streams, temporality: Temporality) -> Vec<ExportRequest> {
    let integral = matches!(streams.templates[0].value, NumberValue::Int(_));
    let resource = seed.resources(codetel::otlp::Signal::Metrics)[0].clone();
    let scope = seed.scopes(codetel::otlp::Signal::Metrics)[0].clone();
    let mut running = vec![0.0; streams.templates.len()];
    let mut start = BASE_TIME;
    let mut res = Vec::new();
    let mut last = None;
    for (export, increments) in streams.increments.iter().enumerate() {
        let time = BASE_TIME + STEP * (export as u64 + 1);
        let previous_time = time - STEP;
        if streams.restarts[export] {
            start = previous_time;
            running.iter_mut().for_each(|it| *it = 0.0);
        }
        let points = streams
            .templates
            .iter()
            .zip(increments)
            .zip(&mut running)
            .map(|((template, increment), running)| {
                *running += increment;
                let (start_time_unix_nano, value) = match temporality {
                    Temporality::Delta => (previous_time, *increment),
                    _ => (start, *running),
                };
                NumberDataPoint { start_time_unix_nano, time_unix_nano: time, value: number(value, integral), ..template.clone() }
            })
            .collect::<Vec<_>>();
        let data = MetricData::Sum { points, temporality, is_monotonic: true };
        let request = ExportRequest::Metrics(vec![ResourceMetrics {
            resource: resource.clone(),
            scope_metrics: vec![ScopeMetrics { scope: scope.clone(), metrics: vec![Metric { data, ..streams.metric.clone() }], schema_url: Default::default() }],
            schema_url: Default::default(),
        }]);
        last = Some(request.clone());
        res.push(request);
    }
    if let (Temporality::Cumulative, true, Some(mut last)) = (temporality, streams.re_export, last) {
        // The same cumulative values exported once more, later, with nothing added.
        if let ExportRequest::Metrics(resources) = &mut last {
            for metric in resources.iter_mut().flat_map(|it| &mut it.scope_metrics).flat_map(|it| &mut it.metrics) {
                if let MetricData::Sum { points, .. } = &mut metric.data {
                    points.iter_mut().for_each(|it| it.time_unix_nano += STEP);
                }
            }
        }
        res.push(last);
    }
    res
}

#[test]
fn delta_and_cumulative_encodings_of_the_same_streams_have_the_same_totals() {
    for_each_vendor("delta_vs_cumulative", streams, |seed, streams| {
        let from_delta = totals_of(&exports(seed, &streams, Temporality::Delta));
        let from_cumulative = totals_of(&exports(seed, &streams, Temporality::Cumulative));
        prop_assert_eq!(from_delta, from_cumulative);
        Ok(())
    });
}
