//! Vendor detection: which adapter owns a resource group.
//!
//! Detection runs per resource group (one `ResourceLogs`, `ResourceMetrics` or `ResourceSpans`),
//! because one file-exporter dump or one collector can mix vendors.
//! Evidence is weighed strongest first:
//! 1. the instrumentation scope name (set in code; survives `OTEL_SERVICE_NAME` overrides),
//! 2. resource `service.namespace` when it names a vendor (Goose sets `service.namespace=goose`
//!    in code, so it survives a shell-wide `OTEL_SERVICE_NAME`, unlike `service.name`),
//! 3. resource `service.name` (a shell-wide `OTEL_SERVICE_NAME` rewrites it for every CLI),
//! 4. name fingerprints: event, metric and span name prefixes only one vendor uses (weakest:
//!    the opencode plugin can be configured to emit `claude_code.` metric names).
//!
//! When weaker evidence points at another vendor than the winner, that conflict is reported.

use std::collections::BTreeSet;

use crate::adapter::Adapter;
use crate::otlp::{find_attr, AnyValue, ExportRequest, KeyValue, Scope};

/// How strong the evidence for a vendor is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Strength {
    /// Event, metric or span name prefixes.
    Fingerprint,
    /// Resource `service.name`.
    ServiceName,
    /// Resource `service.namespace` equal to one of the vendor's service names.
    ServiceNamespace,
    /// Instrumentation scope name.
    Scope,
}

impl Strength {
    /// A short name for reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Strength::Fingerprint => "name fingerprint",
            Strength::ServiceName => "service.name",
            Strength::ServiceNamespace => "service.namespace",
            Strength::Scope => "instrumentation scope",
        }
    }
}

/// What one resource group shows about its sender.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Evidence {
    /// Scope names of the group.
    pub scopes: BTreeSet<String>,
    /// Resource `service.name`, when set.
    pub service_name: Option<String>,
    /// Resource `service.namespace`, when set.
    pub service_namespace: Option<String>,
    /// Event names (log `event.name` attribute or string body), metric names and span names.
    pub names: BTreeSet<String>,
}

/// The outcome of detection for one resource group.
#[derive(Clone)]
pub struct Detection {
    /// The winning adapter, if any matched.
    pub adapter: Option<&'static dyn Adapter>,
    /// Why it won (`instrumentation scope com.anthropic.claude_code.events`).
    pub reason: String,
    /// Weaker evidence that pointed elsewhere, one sentence each.
    pub conflicts: Vec<String>,
}

impl std::fmt::Debug for Detection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Detection")
            .field("adapter", &self.adapter.map(|it| it.name()))
            .field("reason", &self.reason)
            .field("conflicts", &self.conflicts)
            .finish()
    }
}

/// Collects the evidence of every resource group of a request, in order.
pub fn evidence(request: &ExportRequest) -> Vec<Evidence> {
    let mut res = Vec::new();
    match request {
        ExportRequest::Logs(resources) => {
            for resource_logs in resources {
                let mut evidence = Evidence::new(&resource_logs.resource.attributes);
                for scope_logs in &resource_logs.scope_logs {
                    evidence.add_scope(&scope_logs.scope);
                    for record in &scope_logs.log_records {
                        if let Some(AnyValue::String(name)) = find_attr(&record.attributes, "event.name") {
                            evidence.add_name(name);
                        }
                        if let Some(AnyValue::String(body)) = &record.body {
                            // Only short, name-like bodies: a prose body says nothing.
                            if body.len() <= 128 && !body.contains(' ') {
                                evidence.add_name(body);
                            }
                        }
                    }
                }
                res.push(evidence);
            }
        }
        ExportRequest::Metrics(resources) => {
            for resource_metrics in resources {
                let mut evidence = Evidence::new(&resource_metrics.resource.attributes);
                for scope_metrics in &resource_metrics.scope_metrics {
                    evidence.add_scope(&scope_metrics.scope);
                    for metric in &scope_metrics.metrics {
                        evidence.add_name(&metric.name);
                    }
                }
                res.push(evidence);
            }
        }
        ExportRequest::Traces(resources) => {
            for resource_spans in resources {
                let mut evidence = Evidence::new(&resource_spans.resource.attributes);
                for scope_spans in &resource_spans.scope_spans {
                    evidence.add_scope(&scope_spans.scope);
                    for span in &scope_spans.spans {
                        evidence.add_name(&span.name);
                    }
                }
                res.push(evidence);
            }
        }
    }
    res
}

impl Evidence {
    fn new(resource_attributes: &[KeyValue]) -> Evidence {
        let text = |key| find_attr(resource_attributes, key).and_then(|it| it.as_str()).map(str::to_owned);
        Evidence { service_name: text("service.name"), service_namespace: text("service.namespace"), ..Evidence::default() }
    }

    fn add_scope(&mut self, scope: &Scope) {
        if !scope.name.is_empty() && !self.scopes.contains(scope.name.as_str()) {
            let _ = self.scopes.insert(scope.name.to_string());
        }
    }

    fn add_name(&mut self, name: &str) {
        // Bounded: detection needs a sample of names, not all of them.
        if self.names.len() < 512 && !self.names.contains(name) {
            let _ = self.names.insert(name.to_owned());
        }
    }
}

/// The strongest evidence for `adapter` in `evidence`, with a description.
pub fn strength(adapter: &dyn Adapter, evidence: &Evidence) -> Option<(Strength, String)> {
    let signature = adapter.signature();
    if let Some(scope) = evidence
        .scopes
        .iter()
        .find(|scope| signature.scope_prefixes.iter().any(|prefix| scope.starts_with(prefix)))
    {
        return Some((Strength::Scope, format!("instrumentation scope `{scope}`")));
    }
    if let Some(namespace) = &evidence.service_namespace {
        if signature.service_names.contains(&namespace.as_str()) {
            return Some((Strength::ServiceNamespace, format!("service.namespace `{namespace}`")));
        }
    }
    if let Some(service_name) = &evidence.service_name {
        if signature.service_names.contains(&service_name.as_str()) {
            return Some((Strength::ServiceName, format!("service.name `{service_name}`")));
        }
    }
    if let Some(name) = evidence
        .names
        .iter()
        .find(|name| signature.name_prefixes.iter().any(|prefix| name.starts_with(prefix)))
    {
        return Some((Strength::Fingerprint, format!("name fingerprint `{name}`")));
    }
    None
}

/// Picks the adapter for one resource group among `adapters` (in registry order; the first
/// wins a tie, and the tie is reported as a conflict).
pub fn detect(adapters: &[&'static dyn Adapter], evidence: &Evidence) -> Detection {
    let mut matches: Vec<(&'static dyn Adapter, Strength, String)> = Vec::new();
    for adapter in adapters {
        if let Some((strength, why)) = strength(*adapter, evidence) {
            matches.push((*adapter, strength, why));
        }
    }
    let Some(best) = matches.iter().map(|it| it.1).max() else {
        return Detection {
            adapter: None,
            reason: format!(
                "no adapter recognises service.name {:?} or scopes {:?}",
                evidence.service_name.as_deref().unwrap_or(""),
                evidence.scopes
            ),
            conflicts: Vec::new(),
        };
    };
    let winner_index = matches.iter().position(|it| it.1 == best).unwrap_or(0);
    let (winner, _, why) = matches[winner_index].clone();
    let mut conflicts = Vec::new();
    for (index, (adapter, strength, other_why)) in matches.iter().enumerate() {
        if index == winner_index {
            continue;
        }
        conflicts.push(format!(
            "{} points at `{}`, but {} says `{}`{}",
            other_why,
            adapter.name(),
            why,
            winner.name(),
            if *strength == best { " (a tie, broken by registry order)" } else { "" }
        ));
    }
    // service.name naming nobody, or naming another product, while a scope decided.
    if best >= Strength::ServiceNamespace {
        if let Some(service_name) = &evidence.service_name {
            let own = winner.signature().service_names.contains(&service_name.as_str());
            let claimed_elsewhere = matches.iter().any(|it| it.1 == Strength::ServiceName);
            if !own && !claimed_elsewhere {
                conflicts.push(format!(
                    "service.name `{service_name}` is not one `{}` uses; {why} decided (a shell-wide OTEL_SERVICE_NAME?)",
                    winner.name()
                ));
            }
        }
    }
    Detection { adapter: Some(winner), reason: why, conflicts }
}
