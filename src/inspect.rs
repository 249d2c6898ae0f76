//! `codetel inspect`: what a capture holds, before any adapter interprets it.
//!
//! The inventory lists signals and encodings, the detected vendor of every resource group and
//! why, event, metric and span names with counts, and every attribute key with the wire types
//! it arrived as (so `"51"` sent as `stringValue` next to an `intValue` shows at once).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::adapters;
use crate::capture::Capture;
use crate::detect;
use crate::otlp::{find_attr, AnyValue, ExportRequest, KeyValue};

/// The inventory of one capture.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Inventory {
    /// The capture path.
    pub path: String,
    /// Vendor, CLI version and scenario from the manifest, when there is one.
    pub manifest: Option<String>,
    /// Requests per `signal/encoding[+gzip]`.
    pub requests: BTreeMap<String, usize>,
    /// Items per signal (log records, data points, spans).
    pub items: BTreeMap<String, usize>,
    /// Detected vendor per resource group, with the reason and any conflicting evidence.
    pub detection: BTreeMap<String, Vec<String>>,
    /// Log event names (`event.name` attribute, else a name-like string body) with counts.
    pub events: BTreeMap<String, usize>,
    /// Metric names with `kind/temporality` and data point counts.
    pub metrics: BTreeMap<String, usize>,
    /// Span names with counts (span event names as `span name > event name`).
    pub spans: BTreeMap<String, usize>,
    /// Attribute keys by where they sit (`resource`, `log`, `point`, `span`, `span event`,
    /// `scope`), with their wire types and counts.
    pub attributes: BTreeMap<String, BTreeMap<String, BTreeMap<String, usize>>>,
    /// Decoder problems, one line each.
    pub problems: Vec<String>,
}

/// Builds the inventory of a capture.
pub fn inventory(capture: &Capture) -> Inventory {
    let mut inv = Inventory { path: capture.path.display().to_string(), ..Inventory::default() };
    if let Some(manifest) = &capture.manifest {
        inv.manifest = Some(format!(
            "{} {} {} ({:?}): {}",
            manifest.vendor, manifest.cli_version, manifest.scenario, manifest.provenance, manifest.purpose
        ));
    }
    for request in &capture.requests {
        let key = format!(
            "{}/{}{}",
            request.signal,
            request.encoding.as_str(),
            if request.gzip { "+gzip" } else { "" }
        );
        *inv.requests.entry(key).or_default() += 1;
        *inv.items.entry(request.signal.to_string()).or_default() += request.decoded.request.item_count();
        for evidence in detect::evidence(&request.decoded.request) {
            let detection = detect::detect(adapters::ALL, &evidence);
            let vendor = detection.adapter.map(|it| it.name()).unwrap_or("unknown");
            let mut lines = vec![format!("{vendor}: {}", detection.reason)];
            lines.extend(detection.conflicts.iter().map(|it| format!("conflict: {it}")));
            let entry = inv.detection.entry(vendor.to_owned()).or_default();
            for line in lines {
                if !entry.contains(&line) {
                    entry.push(line);
                }
            }
        }
        for problem in &request.decoded.problems {
            inv.problems.push(format!(
                "{} {} {}: {}",
                request.file, problem.locator, problem.field, problem.message
            ));
        }
        walk(&request.decoded.request, &mut inv);
    }
    inv
}

fn count_keys(inv: &mut Inventory, place: &str, attributes: &[KeyValue]) {
    let entry = inv.attributes.entry(place.to_owned()).or_default();
    for kv in attributes {
        *entry.entry(kv.key.to_string()).or_default().entry(kv.value.wire_type().to_owned()).or_default() += 1;
    }
}

fn walk(request: &ExportRequest, inv: &mut Inventory) {
    match request {
        ExportRequest::Logs(resources) => {
            for resource_logs in resources {
                count_keys(inv, "resource", &resource_logs.resource.attributes);
                for scope_logs in &resource_logs.scope_logs {
                    count_keys(inv, "scope", &scope_logs.scope.attributes);
                    for record in &scope_logs.log_records {
                        count_keys(inv, "log", &record.attributes);
                        let name = match (find_attr(&record.attributes, "event.name"), &record.body) {
                            (Some(AnyValue::String(name)), _) => name.to_string(),
                            (_, Some(AnyValue::String(body))) if body.len() <= 128 && !body.contains(' ') => {
                                format!("(body) {body}")
                            }
                            (_, Some(body)) => format!("(no name; body is {})", body.wire_type()),
                            (_, None) => "(no name, no body)".to_owned(),
                        };
                        *inv.events.entry(name).or_default() += 1;
                    }
                }
            }
        }
        ExportRequest::Metrics(resources) => {
            for resource_metrics in resources {
                count_keys(inv, "resource", &resource_metrics.resource.attributes);
                for scope_metrics in &resource_metrics.scope_metrics {
                    count_keys(inv, "scope", &scope_metrics.scope.attributes);
                    for metric in &scope_metrics.metrics {
                        let key = format!(
                            "{} [{}/{}]",
                            metric.name,
                            metric.data.kind_name(),
                            crate::adapter::temporality_name(&metric.data)
                        );
                        *inv.metrics.entry(key).or_default() += metric.data.point_count();
                        let attributes: Vec<&[KeyValue]> = match &metric.data {
                            crate::otlp::MetricData::Missing => Vec::new(),
                            crate::otlp::MetricData::Gauge { points } | crate::otlp::MetricData::Sum { points, .. } => {
                                points.iter().map(|it| &it.attributes[..]).collect()
                            }
                            crate::otlp::MetricData::Histogram { points, .. } => {
                                points.iter().map(|it| &it.attributes[..]).collect()
                            }
                            crate::otlp::MetricData::ExponentialHistogram { points, .. } => {
                                points.iter().map(|it| &it.attributes[..]).collect()
                            }
                            crate::otlp::MetricData::Summary { points } => {
                                points.iter().map(|it| &it.attributes[..]).collect()
                            }
                        };
                        for attributes in attributes {
                            count_keys(inv, "point", attributes);
                        }
                    }
                }
            }
        }
        ExportRequest::Traces(resources) => {
            for resource_spans in resources {
                count_keys(inv, "resource", &resource_spans.resource.attributes);
                for scope_spans in &resource_spans.scope_spans {
                    count_keys(inv, "scope", &scope_spans.scope.attributes);
                    for span in &scope_spans.spans {
                        *inv.spans.entry(span.name.to_string()).or_default() += 1;
                        count_keys(inv, "span", &span.attributes);
                        for event in &span.events {
                            *inv.spans.entry(format!("{} > {}", span.name, event.name)).or_default() += 1;
                            count_keys(inv, "span event", &event.attributes);
                        }
                    }
                }
            }
        }
    }
}

impl Inventory {
    /// A readable multi-line rendering.
    pub fn render(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        let _ = writeln!(out, "capture {}", self.path);
        if let Some(manifest) = &self.manifest {
            let _ = writeln!(out, "  manifest: {manifest}");
        }
        let section = |out: &mut String, title: &str, map: &BTreeMap<String, usize>| {
            if map.is_empty() {
                return;
            }
            let _ = writeln!(out, "  {title}:");
            for (key, n) in map {
                let _ = writeln!(out, "    {n:>6}  {key}");
            }
        };
        section(&mut out, "requests (signal/encoding)", &self.requests);
        section(&mut out, "items (log records, data points, spans)", &self.items);
        let _ = writeln!(out, "  detection:");
        for lines in self.detection.values() {
            for line in lines {
                let _ = writeln!(out, "    {line}");
            }
        }
        section(&mut out, "events", &self.events);
        section(&mut out, "metrics (points)", &self.metrics);
        section(&mut out, "spans", &self.spans);
        for (place, keys) in &self.attributes {
            if keys.is_empty() {
                continue;
            }
            let _ = writeln!(out, "  {place} attributes:");
            for (key, types) in keys {
                let types: Vec<String> = types.iter().map(|(ty, n)| format!("{ty}×{n}")).collect();
                let mixed = if types.len() > 1 { "  (mixed types)" } else { "" };
                let _ = writeln!(out, "    {key}: {}{mixed}", types.join(", "));
            }
        }
        if !self.problems.is_empty() {
            let _ = writeln!(out, "  decoder problems:");
            for problem in &self.problems {
                let _ = writeln!(out, "    {problem}");
            }
        }
        out
    }

    /// Distinct vendors detected.
    pub fn vendors(&self) -> BTreeSet<String> {
        self.detection.keys().cloned().collect()
    }
}
