//! Per-vendor seeds for the generators: what each vendor's telemetry looks like, taken from
//! its adapter's [`Signature`](codetel::adapter::Signature) and from its corpus captures.
//!
//! Derived, never listed by hand: a new adapter in `adapters::ALL` with captures under
//! `corpus/<vendor>/` is covered by every property without touching this file. A vendor with
//! no captures still gets seeds from its signature (scope, `service.name`, name prefixes), so
//! detection picks it and its adapter sees its own names.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use codetel::adapter::Adapter;
use codetel::adapters;
use codetel::otlp::{
    find_attr, AnyValue, ExportRequest, KeyValue, LogRecord, Metric, MetricData, Resource, Scope, Signal, Span,
};

use crate::support::{capture_id, corpus_dirs, load};

/// Most samples kept per kind and vendor: enough for every distinct name in the corpus,
/// few enough that generation stays cheap.
const MAX_SAMPLES: usize = 64;
/// Most data points kept per sampled metric.
const MAX_POINTS: usize = 4;

/// Where one vendor's telemetry comes from and what it says.
pub struct VendorSeed {
    /// The adapter under test.
    pub adapter: &'static dyn Adapter,
    /// Real resources (and a synthetic one from the signature), per signal.
    pub resources: BTreeMap<Signal, Vec<Resource>>,
    /// Real scopes (and synthetic ones from the signature), per signal.
    pub scopes: BTreeMap<Signal, Vec<Scope>>,
    /// One log record per distinct event name.
    pub log_records: Vec<LogRecord>,
    /// One metric per distinct name and data kind, with a few of its points.
    pub metrics: Vec<Metric>,
    /// One span per distinct name.
    pub spans: Vec<Span>,
    /// Every attribute key the vendor was seen sending (record, point, span and resource).
    pub attribute_keys: Vec<String>,
    /// Event, metric and span names seen, plus the signature's name prefixes.
    pub names: Vec<String>,
}

impl VendorSeed {
    /// The vendor id.
    pub fn name(&self) -> &'static str {
        self.adapter.name()
    }

    /// Resources for a signal (never empty).
    pub fn resources(&self, signal: Signal) -> &[Resource] {
        &self.resources[&signal]
    }

    /// Scopes for a signal (never empty).
    pub fn scopes(&self, signal: Signal) -> &[Scope] {
        &self.scopes[&signal]
    }

    /// Sum metrics with at least one number point: the streams the totals properties use.
    pub fn sum_metrics(&self) -> Vec<&Metric> {
        self.metrics.iter().filter(|it| matches!(&it.data, MetricData::Sum { points, .. } if !points.is_empty())).collect()
    }
}

/// One seed per adapter in `adapters::ALL`, in registry order; built once per test binary.
pub fn all() -> &'static [VendorSeed] {
    static SEEDS: OnceLock<Vec<VendorSeed>> = OnceLock::new();
    SEEDS.get_or_init(build)
}

fn build() -> Vec<VendorSeed> {
    let mut by_vendor: BTreeMap<String, Vec<ExportRequest>> = BTreeMap::new();
    for dir in corpus_dirs() {
        let (vendor, _, _) = capture_id(&dir);
        let capture = load(&dir);
        by_vendor.entry(vendor).or_default().extend(capture.requests.into_iter().map(|it| it.decoded.request));
    }
    adapters::ALL
        .iter()
        .map(|adapter| seed_of(*adapter, by_vendor.get(adapter.name()).map(Vec::as_slice).unwrap_or_default()))
        .collect()
}

fn seed_of(adapter: &'static dyn Adapter, requests: &[ExportRequest]) -> VendorSeed {
    let mut resources: BTreeMap<Signal, Vec<Resource>> = BTreeMap::new();
    let mut scopes: BTreeMap<Signal, Vec<Scope>> = BTreeMap::new();
    let mut log_records: BTreeMap<String, LogRecord> = BTreeMap::new();
    let mut metrics: BTreeMap<(String, &'static str), Metric> = BTreeMap::new();
    let mut spans: BTreeMap<String, Span> = BTreeMap::new();
    let mut keys: BTreeSet<String> = BTreeSet::new();
    let mut add_resource = |signal: Signal, resource: &Resource, keys: &mut BTreeSet<String>| {
        keys.extend(resource.attributes.iter().map(|it| it.key.to_string()));
        let list = resources.entry(signal).or_default();
        if list.len() < MAX_SAMPLES && !list.contains(resource) {
            list.push(resource.clone());
        }
    };
    let mut add_scope = |signal: Signal, scope: &Scope| {
        let list = scopes.entry(signal).or_default();
        if list.len() < MAX_SAMPLES && !list.iter().any(|it| it.name == scope.name && it.version == scope.version) {
            list.push(scope.clone());
        }
    };
    for request in requests {
        match request {
            ExportRequest::Logs(list) => {
                for resource_logs in list {
                    add_resource(Signal::Logs, &resource_logs.resource, &mut keys);
                    for scope_logs in &resource_logs.scope_logs {
                        add_scope(Signal::Logs, &scope_logs.scope);
                        for record in &scope_logs.log_records {
                            keys.extend(record.attributes.iter().map(|it| it.key.to_string()));
                            if log_records.len() < MAX_SAMPLES {
                                let _ = log_records.entry(event_name(record)).or_insert_with(|| record.clone());
                            }
                        }
                    }
                }
            }
            ExportRequest::Metrics(list) => {
                for resource_metrics in list {
                    add_resource(Signal::Metrics, &resource_metrics.resource, &mut keys);
                    for scope_metrics in &resource_metrics.scope_metrics {
                        add_scope(Signal::Metrics, &scope_metrics.scope);
                        for metric in &scope_metrics.metrics {
                            if metrics.len() < MAX_SAMPLES {
                                let key = (metric.name.to_string(), metric.data.kind_name());
                                let _ = metrics.entry(key).or_insert_with(|| truncate_points(metric));
                            }
                            add_point_keys(&metric.data, &mut keys);
                        }
                    }
                }
            }
            ExportRequest::Traces(list) => {
                for resource_spans in list {
                    add_resource(Signal::Traces, &resource_spans.resource, &mut keys);
                    for scope_spans in &resource_spans.scope_spans {
                        add_scope(Signal::Traces, &scope_spans.scope);
                        for span in &scope_spans.spans {
                            keys.extend(span.attributes.iter().map(|it| it.key.to_string()));
                            if spans.len() < MAX_SAMPLES {
                                let _ = spans.entry(span.name.to_string()).or_insert_with(|| span.clone());
                            }
                        }
                    }
                }
            }
        }
    }

    // The signature alone must be enough for detection: a synthetic resource and scope per
    // signal, used alongside the real ones (and alone for a vendor without captures).
    let signature = adapter.signature();
    let synthetic_resource = Resource {
        attributes: signature
            .service_names
            .first()
            .map(|name| vec![KeyValue { key: "service.name".into(), value: AnyValue::String((*name).into()) }])
            .unwrap_or_default(),
        dropped_attributes_count: 0,
    };
    let synthetic_scope = Scope {
        name: signature.scope_prefixes.first().map(|it| (*it).into()).unwrap_or_default(),
        ..Scope::default()
    };
    for signal in Signal::ALL {
        resources.entry(signal).or_default().push(synthetic_resource.clone());
        scopes.entry(signal).or_default().push(synthetic_scope.clone());
    }

    let mut names: BTreeSet<String> = signature.name_prefixes.iter().map(|it| format!("{it}generated")).collect();
    names.extend(log_records.keys().filter(|it| !it.is_empty()).cloned());
    names.extend(metrics.keys().map(|(name, _)| name.clone()));
    names.extend(spans.keys().cloned());
    VendorSeed {
        adapter,
        resources,
        scopes,
        log_records: log_records.into_values().collect(),
        metrics: metrics.into_values().collect(),
        spans: spans.into_values().collect(),
        attribute_keys: keys.into_iter().collect(),
        names: names.into_iter().collect(),
    }
}

/// What tells a vendor's events apart: the `event.name` attribute, else a string body, else
/// the `eventName` field (each vendor uses one of the three).
fn event_name(record: &LogRecord) -> String {
    if let Some(AnyValue::String(name)) = find_attr(&record.attributes, "event.name") {
        return name.to_string();
    }
    if let Some(AnyValue::String(body)) = &record.body {
        if body.len() <= 128 {
            return body.to_string();
        }
    }
    record.event_name.to_string()
}

fn truncate_points(metric: &Metric) -> Metric {
    let mut res = metric.clone();
    match &mut res.data {
        MetricData::Missing => {}
        MetricData::Gauge { points } | MetricData::Sum { points, .. } => points.truncate(MAX_POINTS),
        MetricData::Histogram { points, .. } => points.truncate(MAX_POINTS),
        MetricData::ExponentialHistogram { points, .. } => points.truncate(MAX_POINTS),
        MetricData::Summary { points } => points.truncate(MAX_POINTS),
    }
    res
}

fn add_point_keys(data: &MetricData, keys: &mut BTreeSet<String>) {
    let mut add = |attributes: &[KeyValue]| keys.extend(attributes.iter().map(|it| it.key.to_string()));
    match data {
        MetricData::Missing => {}
        MetricData::Gauge { points } | MetricData::Sum { points, .. } => points.iter().for_each(|it| add(&it.attributes)),
        MetricData::Histogram { points, .. } => points.iter().for_each(|it| add(&it.attributes)),
        MetricData::ExponentialHistogram { points, .. } => points.iter().for_each(|it| add(&it.attributes)),
        MetricData::Summary { points } => points.iter().for_each(|it| add(&it.attributes)),
    }
}
