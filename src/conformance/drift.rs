//! Drift: what changed in a vendor's telemetry between two CLI versions, and whether the
//! adapter still gets what it reads.
//!
//! Both versions are sets of captures of the same scenarios (`corpus/<vendor>/<version>/`).
//! [`compare`] builds an inventory of each (event, metric, span, span event and scope names;
//! attribute keys per name with their wire types; metric shapes), and reports names and
//! attributes added, removed, renamed (a guess, labelled as one) and retyped, plus how the
//! canonical records of each common scenario change.
//!
//! What the adapter *reads* is derived from the adapter, on the older version:
//! - a name is read when its items became canonical (non-passthrough) records, or when the
//!   adapter reads one of its attributes;
//! - an attribute key is read when removing it from the capture changes the canonical
//!   attributes of the mapped records (made from an item, not passthrough; tried key by key,
//!   after one removal of all of a name's keys shows the name matters at all), which also
//!   names the canonical keys it lands in. Two keys that stand in for each other (`model` and
//!   `gen_ai.request.model`) each look unread, since removing one leaves the other;
//! - a scope is read when it matches the adapter's signature.
//!
//! Removing something read is a violation (`CA-DRIFT-001`, `CA-DRIFT-002`); retyping it an
//! improvement (`CA-DRIFT-003`); a new name the newer adapter run reports unknown an
//! improvement (`CA-DRIFT-004`); everything else is information (`CA-DRIFT-005`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use serde::Serialize;

use crate::adapter::{self, ItemData, Item};
use crate::adapters;
use crate::capture::Capture;
use crate::finding::Level;
use crate::normalize::{self, Options, Output};
use crate::otlp::{ExportRequest, KeyValue, MetricData};
use crate::schema::{CanonicalRecord, CaptureMode, RecordKind};

use super::coverage::log_name;
use super::report::{level_name, FailOn};

/// A drift rule: id, level and what it requires (documented in `docs/spec.md`).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct DriftRule {
    /// The id.
    pub id: &'static str,
    /// The level of its findings.
    pub level: Level,
    /// What it requires.
    pub summary: &'static str,
}

/// Every drift rule.
pub static DRIFT_RULES: &[DriftRule] = &[
    DriftRule { id: "CA-DRIFT-001", level: Level::Violation, summary: "a newer CLI version keeps every event, metric and span name the adapter reads" },
    DriftRule { id: "CA-DRIFT-002", level: Level::Violation, summary: "a newer CLI version keeps every attribute key the adapter reads into a canonical key" },
    DriftRule { id: "CA-DRIFT-003", level: Level::Improvement, summary: "names and attributes the adapter reads keep their wire type and metric shape" },
    DriftRule { id: "CA-DRIFT-004", level: Level::Improvement, summary: "names new in the newer version are mapped by the adapter" },
    DriftRule { id: "CA-DRIFT-005", level: Level::Information, summary: "every other change between the versions is reported" },
];

/// What kind of name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NameKind {
    /// A log event name.
    Event,
    /// A metric name.
    Metric,
    /// A span name.
    Span,
    /// A span event, as `span name > event name`.
    SpanEvent,
    /// An instrumentation scope name.
    Scope,
    /// The resource of a signal (its attributes only; the name is the signal).
    Resource,
}

impl NameKind {
    /// The word used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            NameKind::Event => "event",
            NameKind::Metric => "metric",
            NameKind::Span => "span",
            NameKind::SpanEvent => "span event",
            NameKind::Scope => "scope",
            NameKind::Resource => "resource",
        }
    }
}

/// A name of some kind.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct NameKey {
    /// Its kind.
    pub kind: NameKind,
    /// The name.
    pub name: String,
}

impl NameKey {
    fn label(&self) -> String {
        format!("{} `{}`", self.kind.as_str(), self.name)
    }
}

/// What a version sends under one name.
#[derive(Debug, Clone, Default, Serialize)]
pub struct NameInfo {
    /// How many items (log records, points, spans, span events; resource groups; scopes).
    pub items: usize,
    /// Metric `kind/temporality` shapes (metrics only).
    pub shapes: BTreeSet<String>,
    /// Attribute keys with the wire types they arrived as.
    pub attributes: BTreeMap<String, BTreeSet<&'static str>>,
}

/// A version's inventory.
pub type Inventory = BTreeMap<NameKey, NameInfo>;

fn add_attributes(info: &mut NameInfo, attributes: &[KeyValue]) {
    for kv in attributes {
        let _ = info.attributes.entry(kv.key.to_string()).or_default().insert(kv.value.wire_type());
    }
}

fn point_attributes(data: &MetricData) -> Vec<&[KeyValue]> {
    match data {
        MetricData::Missing => Vec::new(),
        MetricData::Gauge { points } | MetricData::Sum { points, .. } => points.iter().map(|it| &it.attributes[..]).collect(),
        MetricData::Histogram { points, .. } => points.iter().map(|it| &it.attributes[..]).collect(),
        MetricData::ExponentialHistogram { points, .. } => points.iter().map(|it| &it.attributes[..]).collect(),
        MetricData::Summary { points } => points.iter().map(|it| &it.attributes[..]).collect(),
    }
}

fn entry<'i>(inventory: &'i mut Inventory, kind: NameKind, name: &str) -> &'i mut NameInfo {
    inventory.entry(NameKey { kind, name: name.to_owned() }).or_default()
}

/// The inventory of a set of captures.
pub fn inventory<'a>(captures: impl IntoIterator<Item = &'a Capture>) -> Inventory {
    let mut inventory = Inventory::new();
    for capture in captures {
        for request in &capture.requests {
            let signal = request.signal.as_str();
            match &request.decoded.request {
                ExportRequest::Logs(resources) => {
                    for resource_logs in resources {
                        let info = entry(&mut inventory, NameKind::Resource, signal);
                        info.items += 1;
                        add_attributes(info, &resource_logs.resource.attributes);
                        for scope_logs in &resource_logs.scope_logs {
                            let info = entry(&mut inventory, NameKind::Scope, &scope_logs.scope.name);
                            info.items += 1;
                            add_attributes(info, &scope_logs.scope.attributes);
                            for record in &scope_logs.log_records {
                                let info = entry(&mut inventory, NameKind::Event, &log_name(record));
                                info.items += 1;
                                add_attributes(info, &record.attributes);
                            }
                        }
                    }
                }
                ExportRequest::Metrics(resources) => {
                    for resource_metrics in resources {
                        let info = entry(&mut inventory, NameKind::Resource, signal);
                        info.items += 1;
                        add_attributes(info, &resource_metrics.resource.attributes);
                        for scope_metrics in &resource_metrics.scope_metrics {
                            let info = entry(&mut inventory, NameKind::Scope, &scope_metrics.scope.name);
                            info.items += 1;
                            add_attributes(info, &scope_metrics.scope.attributes);
                            for metric in &scope_metrics.metrics {
                                let info = entry(&mut inventory, NameKind::Metric, &metric.name);
                                info.items += metric.data.point_count();
                                let _ = info.shapes.insert(format!(
                                    "{}/{}",
                                    metric.data.kind_name(),
                                    adapter::temporality_name(&metric.data)
                                ));
                                for attributes in point_attributes(&metric.data) {
                                    add_attributes(info, attributes);
                                }
                            }
                        }
                    }
                }
                ExportRequest::Traces(resources) => {
                    for resource_spans in resources {
                        let info = entry(&mut inventory, NameKind::Resource, signal);
                        info.items += 1;
                        add_attributes(info, &resource_spans.resource.attributes);
                        for scope_spans in &resource_spans.scope_spans {
                            let info = entry(&mut inventory, NameKind::Scope, &scope_spans.scope.name);
                            info.items += 1;
                            add_attributes(info, &scope_spans.scope.attributes);
                            for span in &scope_spans.spans {
                                let info = entry(&mut inventory, NameKind::Span, &span.name);
                                info.items += 1;
                                add_attributes(info, &span.attributes);
                                for event in &span.events {
                                    let info = entry(&mut inventory, NameKind::SpanEvent, &format!("{} > {}", span.name, event.name));
                                    info.items += 1;
                                    add_attributes(info, &event.attributes);
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    inventory
}

/// The capture with `keys` removed from every attribute list `owner` owns.
fn without(capture: &Capture, owner: &NameKey, keys: &[&str]) -> Capture {
    let mut capture = capture.clone();
    let strip = |attributes: &mut Vec<KeyValue>| attributes.retain(|it| !keys.contains(&it.key.as_str()));
    for request in &mut capture.requests {
        let signal = request.signal.as_str();
        match &mut request.decoded.request {
            ExportRequest::Logs(resources) => {
                for resource_logs in resources {
                    if owner.kind == NameKind::Resource && owner.name == signal {
                        strip(&mut resource_logs.resource.attributes);
                    }
                    for scope_logs in &mut resource_logs.scope_logs {
                        if owner.kind == NameKind::Scope && owner.name == scope_logs.scope.name {
                            strip(&mut scope_logs.scope.attributes);
                        }
                        for record in &mut scope_logs.log_records {
                            if owner.kind == NameKind::Event && owner.name == log_name(record) {
                                strip(&mut record.attributes);
                            }
                        }
                    }
                }
            }
            ExportRequest::Metrics(resources) => {
                for resource_metrics in resources {
                    if owner.kind == NameKind::Resource && owner.name == signal {
                        strip(&mut resource_metrics.resource.attributes);
                    }
                    for scope_metrics in &mut resource_metrics.scope_metrics {
                        if owner.kind == NameKind::Scope && owner.name == scope_metrics.scope.name {
                            strip(&mut scope_metrics.scope.attributes);
                        }
                        for metric in &mut scope_metrics.metrics {
                            if owner.kind != NameKind::Metric || owner.name != metric.name {
                                continue;
                            }
                            match &mut metric.data {
                                MetricData::Missing => {}
                                MetricData::Gauge { points } | MetricData::Sum { points, .. } => {
                                    points.iter_mut().for_each(|it| strip(&mut it.attributes))
                                }
                                MetricData::Histogram { points, .. } => points.iter_mut().for_each(|it| strip(&mut it.attributes)),
                                MetricData::ExponentialHistogram { points, .. } => {
                                    points.iter_mut().for_each(|it| strip(&mut it.attributes))
                                }
                                MetricData::Summary { points } => points.iter_mut().for_each(|it| strip(&mut it.attributes)),
                            }
                        }
                    }
                }
            }
            ExportRequest::Traces(resources) => {
                for resource_spans in resources {
                    if owner.kind == NameKind::Resource && owner.name == signal {
                        strip(&mut resource_spans.resource.attributes);
                    }
                    for scope_spans in &mut resource_spans.scope_spans {
                        if owner.kind == NameKind::Scope && owner.name == scope_spans.scope.name {
                            strip(&mut scope_spans.scope.attributes);
                        }
                        for span in &mut scope_spans.spans {
                            if owner.kind == NameKind::Span && owner.name == span.name {
                                strip(&mut span.attributes);
                            }
                            for event in &mut span.events {
                                if owner.kind == NameKind::SpanEvent && owner.name == format!("{} > {}", span.name, event.name) {
                                    strip(&mut event.attributes);
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    capture
}

/// Canonical keys whose values differ between two outputs, compared record by record over the
/// records made from an input item that are not passthrough: what the adapter maps. (A
/// passthrough record or a derived session record changing says nothing about the mapping.)
type ByItem<'o> = BTreeMap<crate::capture::ItemId, Vec<&'o CanonicalRecord>>;

/// The mapped (non-passthrough) records of an output by the item they come from.
fn mapped_by_item(output: &Output) -> ByItem<'_> {
    let mut by_item: ByItem<'_> = BTreeMap::new();
    for record in output.records.iter().filter(|it| it.kind != RecordKind::Passthrough) {
        if let Some(id) = record.item {
            by_item.entry(id).or_default().push(record);
        }
    }
    by_item
}

fn changed_keys(before: &Output, after: &Output) -> BTreeSet<&'static str> {
    let (before, after) = (mapped_by_item(before), mapped_by_item(after));
    let mut keys = BTreeSet::new();
    for id in before.keys().chain(after.keys()) {
        let (Some(a), Some(b)) = (before.get(id), after.get(id)) else {
            let _ = keys.insert("(records appear or vanish)");
            continue;
        };
        if a.len() != b.len() {
            let _ = keys.insert("(records appear or vanish)");
        }
        for (a, b) in a.iter().zip(b) {
            if a.kind != b.kind {
                let _ = keys.insert("(record kind)");
            }
            for key in a.attributes.keys().chain(b.attributes.keys()) {
                if a.attributes.get(key) != b.attributes.get(key) {
                    let _ = keys.insert(*key);
                }
            }
        }
    }
    keys
}

/// What the adapter reads in a version, derived from its behaviour on the captures.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Reads {
    /// Names whose items became canonical records, or whose attributes are read.
    pub names: BTreeSet<NameKey>,
    /// Attribute keys per owner that land in canonical keys, with those keys.
    pub attributes: BTreeMap<(NameKey, String), BTreeSet<&'static str>>,
}

fn item_key(item: &Item<'_>) -> NameKey {
    let (kind, name) = match item.data {
        ItemData::Log(record) => (NameKind::Event, log_name(record)),
        ItemData::Point { metric, .. } => (NameKind::Metric, metric.name.to_string()),
        ItemData::Span(span) => (NameKind::Span, span.name.to_string()),
    };
    NameKey { kind, name }
}

/// Derives what the adapters read from a version's captures.
pub fn reads<'a>(captures: impl IntoIterator<Item = &'a Capture>) -> Reads {
    let mut reads = Reads::default();
    let options = Options::new(CaptureMode::Full);
    for capture in captures {
        let baseline = normalize::normalize(capture, &options);
        let items = adapter::items(capture);
        for record in baseline.records.iter().filter(|it| it.kind != RecordKind::Passthrough) {
            if let Some(item) = record.item.and_then(|id| items.iter().find(|it| it.id == id)) {
                let _ = reads.names.insert(item_key(item));
            }
        }
        for (owner, info) in inventory([capture]) {
            if owner.kind == NameKind::Scope && scope_is_read(&owner.name) {
                let _ = reads.names.insert(owner.clone());
            }
            // Every key at once first: most names of a chatty vendor (debug spans) matter to no
            // mapped record, and one run says so instead of one per key.
            let all: Vec<&str> = info.attributes.keys().map(String::as_str).collect();
            if all.is_empty() || changed_keys(&baseline, &normalize::normalize(&without(capture, &owner, &all), &options)).is_empty() {
                continue;
            }
            for key in info.attributes.keys() {
                let changed = changed_keys(&baseline, &normalize::normalize(&without(capture, &owner, &[key.as_str()]), &options));
                if !changed.is_empty() {
                    reads.attributes.entry((owner.clone(), key.clone())).or_default().extend(changed);
                    if owner.kind != NameKind::Resource {
                        let _ = reads.names.insert(owner.clone());
                    }
                }
            }
        }
    }
    reads
}

fn scope_is_read(scope: &str) -> bool {
    adapters::ALL.iter().any(|adapter| adapter.signature().scope_prefixes.iter().any(|prefix| scope.starts_with(prefix)))
}

/// How a name or attribute changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// New in the newer version.
    Added,
    /// Gone in the newer version.
    Removed,
    /// Present in both, with other wire types or metric shapes.
    Retyped,
}

/// One change.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    /// Added, removed or retyped.
    pub change: ChangeKind,
    /// The name (for attributes, the name that owns the attribute).
    pub name: NameKey,
    /// The attribute key, for attribute changes.
    pub attribute: Option<String>,
    /// Wire types or shapes before and after, for retyped ones.
    pub before: Vec<String>,
    /// See `before`.
    pub after: Vec<String>,
    /// Whether the adapter reads it (in the older version).
    pub read: bool,
    /// Canonical keys it lands in, for read attributes.
    pub lands_in: Vec<String>,
    /// For removals: the added name or key it was probably renamed to. A guess.
    pub renamed_to_guess: Option<String>,
}

/// One finding of a drift run.
#[derive(Debug, Clone, Serialize)]
pub struct DriftFinding {
    /// The rule id.
    pub id: &'static str,
    /// Its level.
    pub level: Level,
    /// One sentence.
    pub message: String,
}

/// How the canonical records of one scenario change.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioDiff {
    /// The scenario.
    pub scenario: String,
    /// Whether any record shape changed.
    pub changed: bool,
    /// Distinct record shapes before (see [`record_shapes`]).
    pub shapes_before: usize,
    /// Distinct record shapes after.
    pub shapes_after: usize,
    /// The changes (see [`shape_diff`]); empty when nothing changed, so an unchanged scenario
    /// costs one line of report.
    pub diff: Vec<String>,
}

/// Everything a drift run found.
#[derive(Debug, Clone, Serialize)]
pub struct Drift {
    /// The vendor.
    pub vendor: String,
    /// The older version.
    pub from: String,
    /// The newer version.
    pub to: String,
    /// Where each version's captures come from.
    pub sources: (String, String),
    /// Scenarios recorded in both versions.
    pub common_scenarios: Vec<String>,
    /// Scenarios only in the older version.
    pub only_from: Vec<String>,
    /// Scenarios only in the newer version.
    pub only_to: Vec<String>,
    /// Name changes.
    pub names: Vec<Change>,
    /// Attribute changes (of names present in both versions).
    pub attributes: Vec<Change>,
    /// Canonical record changes per common scenario.
    pub records: Vec<ScenarioDiff>,
    /// The findings.
    pub findings: Vec<DriftFinding>,
    /// What the adapter reads in the older version: names and attributes counted.
    pub reads: ReadsSummary,
}

/// What the adapter reads in the older version.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReadsSummary {
    /// Names read.
    pub names: usize,
    /// Attribute keys read (per owning name).
    pub attributes: usize,
    /// Per name read: its attribute keys read, each with the canonical keys it lands in.
    pub detail: Vec<ReadName>,
}

/// One name the adapter reads.
#[derive(Debug, Clone, Serialize)]
pub struct ReadName {
    /// The name.
    pub name: NameKey,
    /// `attribute key → canonical keys`, sorted.
    pub attributes: Vec<(String, Vec<String>)>,
}

impl ReadsSummary {
    fn of(reads: &Reads) -> ReadsSummary {
        let mut owners: BTreeSet<NameKey> = reads.names.clone();
        owners.extend(reads.attributes.keys().map(|(owner, _)| owner.clone()));
        let detail = owners
            .into_iter()
            .map(|owner| {
                let attributes = reads
                    .attributes
                    .iter()
                    .filter(|((name, _), _)| *name == owner)
                    .map(|((_, key), canonical)| (key.clone(), canonical.iter().map(|it| (*it).to_owned()).collect()))
                    .collect();
                ReadName { name: owner, attributes }
            })
            .collect();
        ReadsSummary { names: reads.names.len(), attributes: reads.attributes.len(), detail }
    }
}

/// One version's captures, keyed by scenario.
pub struct Version<'a> {
    /// The CLI version.
    pub version: String,
    /// Where the captures come from, for the report (`corpus/claude_code/2.1.321/`).
    pub source: String,
    /// Scenario name → capture.
    pub captures: BTreeMap<String, &'a Capture>,
}

/// Similarity of two names, 0 to 1.
fn name_similarity(a: &str, b: &str) -> f64 {
    f64::from(similar::TextDiff::from_chars(a, b).ratio())
}

/// Similarity of two attribute sets, 0 to 1 (Jaccard).
fn key_similarity(a: &NameInfo, b: &NameInfo) -> f64 {
    let a: BTreeSet<&String> = a.attributes.keys().collect();
    let b: BTreeSet<&String> = b.attributes.keys().collect();
    let union = a.union(&b).count();
    if union == 0 {
        return 0.0;
    }
    a.intersection(&b).count() as f64 / union as f64
}

/// Pairs removed with added names of the same kind by similarity; a guess above 0.6.
fn guess_renames(removed: &[(&NameKey, &NameInfo)], added: &[(&NameKey, &NameInfo)]) -> BTreeMap<NameKey, (String, f64)> {
    let mut scored: Vec<(f64, usize, usize)> = Vec::new();
    for (i, (old, old_info)) in removed.iter().enumerate() {
        for (j, (new, new_info)) in added.iter().enumerate() {
            if old.kind != new.kind {
                continue;
            }
            let score = if old.kind == NameKind::Metric || old_info.attributes.is_empty() {
                name_similarity(&old.name, &new.name)
            } else {
                0.5 * name_similarity(&old.name, &new.name) + 0.5 * key_similarity(old_info, new_info)
            };
            if score >= 0.6 {
                scored.push((score, i, j));
            }
        }
    }
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    let (mut used_old, mut used_new) = (BTreeSet::new(), BTreeSet::new());
    let mut res = BTreeMap::new();
    for (score, i, j) in scored {
        if used_old.insert(i) && used_new.insert(j) {
            let _ = res.insert(removed[i].0.clone(), (added[j].0.name.clone(), score));
        }
    }
    res
}

/// The records of one `kind ← source name` in an output: how many, and the union of their
/// canonical keys (with value types) and vendor attribute keys.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Shape {
    /// Records with this head.
    pub records: usize,
    /// `canonical.key:type`, over all of them.
    pub keys: BTreeSet<String>,
    /// `vendor vendor.key`, over all of them.
    pub vendor_keys: BTreeSet<String>,
}

/// The shapes of an output by head (`llm_call ← claude_code.api_request`); the capture mode
/// attribute is left out (it is the same everywhere).
pub fn record_shapes(records: &[CanonicalRecord]) -> BTreeMap<String, Shape> {
    let mut shapes: BTreeMap<String, Shape> = BTreeMap::new();
    for record in records {
        let source = record.source.as_ref().map(|it| it.name.as_str()).unwrap_or("(derived)");
        let shape = shapes.entry(format!("{} ← {source}", record.kind.as_str())).or_default();
        shape.records += 1;
        for (key, value) in &record.attributes {
            if *key != crate::schema::attributes::CAPTURE_MODE {
                let _ = shape.keys.insert(format!("{key}:{}", value.type_name()));
            }
        }
        shape.vendor_keys.extend(record.vendor_attributes.keys().map(|key| format!("vendor {key}")));
    }
    shapes
}

/// How the shapes changed, one line per head: `-` a head gone, `+` a head new, `~` a head
/// whose keys or record count changed (with the keys lost and gained); unchanged heads are
/// left out. The heads are aligned with `similar`'s line diff.
pub fn shape_diff(before: &BTreeMap<String, Shape>, after: &BTreeMap<String, Shape>) -> Vec<String> {
    let old: String = before.keys().map(|it| format!("{it}\n")).collect();
    let new: String = after.keys().map(|it| format!("{it}\n")).collect();
    let mut lines = Vec::new();
    for change in similar::TextDiff::from_lines(&old, &new).iter_all_changes() {
        let head = change.value().trim_end_matches('\n');
        match change.tag() {
            similar::ChangeTag::Delete => lines.push(format!("- {head} ×{}", before[head].records)),
            similar::ChangeTag::Insert => lines.push(format!("+ {head} ×{}", after[head].records)),
            similar::ChangeTag::Equal => {
                let (a, b) = (&before[head], &after[head]);
                if a == b {
                    continue;
                }
                let mut parts = Vec::new();
                if a.records != b.records {
                    parts.push(format!("×{} → ×{}", a.records, b.records));
                }
                let (a_keys, b_keys): (BTreeSet<&String>, BTreeSet<&String>) =
                    (a.keys.iter().chain(&a.vendor_keys).collect(), b.keys.iter().chain(&b.vendor_keys).collect());
                parts.extend(a_keys.difference(&b_keys).map(|key| format!("-{key}")));
                parts.extend(b_keys.difference(&a_keys).map(|key| format!("+{key}")));
                lines.push(format!("~ {head}: {}", parts.join(", ")));
            }
        }
    }
    lines
}

/// Names the adapter reported unknown in a version (`unknown_*_name` findings), as keys.
fn reported_unknown(captures: &BTreeMap<String, &Capture>) -> BTreeSet<NameKey> {
    let mut res = BTreeSet::new();
    for capture in captures.values() {
        let output = normalize::normalize(capture, &Options::new(CaptureMode::MetadataOnly));
        let items = adapter::items(capture);
        for finding in output.findings.iter().filter(|it| it.id.starts_with("unknown_") && it.id.ends_with("_name")) {
            let Some(at) = &finding.location else { continue };
            if let Some(item) = items.iter().find(|it| it.request.file == at.file && it.locator() == at.locator) {
                let _ = res.insert(item_key(item));
            }
        }
    }
    res
}

/// Shape and wire-type changes, compared scenario by scenario: a name (or a name's attribute)
/// present in the same scenario of both versions whose metric shapes (or wire types) differ
/// there, with the sets unioned over such scenarios. Comparing whole-version unions instead
/// would call a metric retyped just because a scenario new to one version shows it another way.
#[allow(clippy::type_complexity)]
fn retypings(
    from: &Version<'_>,
    to: &Version<'_>,
) -> (
    BTreeMap<NameKey, (BTreeSet<String>, BTreeSet<String>)>,
    BTreeMap<(NameKey, String), (BTreeSet<&'static str>, BTreeSet<&'static str>)>,
) {
    let mut shapes: BTreeMap<NameKey, (BTreeSet<String>, BTreeSet<String>)> = BTreeMap::new();
    let mut types: BTreeMap<(NameKey, String), (BTreeSet<&'static str>, BTreeSet<&'static str>)> = BTreeMap::new();
    for (scenario, before) in &from.captures {
        let Some(after) = to.captures.get(scenario) else { continue };
        let (before, after) = (inventory([*before]), inventory([*after]));
        for (key, old) in &before {
            let Some(new) = after.get(key) else { continue };
            if old.shapes != new.shapes && !old.shapes.is_empty() && !new.shapes.is_empty() {
                let entry = shapes.entry(key.clone()).or_default();
                entry.0.extend(old.shapes.iter().cloned());
                entry.1.extend(new.shapes.iter().cloned());
            }
            for (attribute, old_types) in &old.attributes {
                let Some(new_types) = new.attributes.get(attribute) else { continue };
                if old_types != new_types {
                    let entry = types.entry((key.clone(), attribute.clone())).or_default();
                    entry.0.extend(old_types.iter().copied());
                    entry.1.extend(new_types.iter().copied());
                }
            }
        }
    }
    (shapes, types)
}

/// Compares two versions of one vendor.
pub fn compare(vendor: &str, from: &Version<'_>, to: &Version<'_>) -> Drift {
    let before = inventory(from.captures.values().copied());
    let after = inventory(to.captures.values().copied());
    let reads = reads(from.captures.values().copied());
    let unknown_after = reported_unknown(&to.captures);
    let mut findings = Vec::new();
    let finding = |id: &'static str, message: String| -> DriftFinding {
        let level = DRIFT_RULES.iter().find(|it| it.id == id).map(|it| it.level).unwrap_or(Level::Information);
        DriftFinding { id, level, message }
    };

    let removed: Vec<(&NameKey, &NameInfo)> = before.iter().filter(|(key, _)| !after.contains_key(key)).collect();
    let added: Vec<(&NameKey, &NameInfo)> = after.iter().filter(|(key, _)| !before.contains_key(key)).collect();
    let renames = guess_renames(&removed, &added);
    let mut names = Vec::new();
    for (key, _) in &removed {
        let read = reads.names.contains(key);
        let guess = renames.get(*key).map(|(name, _)| name.clone());
        let rename_note = match renames.get(*key) {
            Some((name, score)) => format!("; renamed to `{name}`? (a guess, {:.0}% similar)", score * 100.0),
            None => String::new(),
        };
        if read {
            findings.push(finding("CA-DRIFT-001", format!("{} is gone in {}; the adapter reads it{rename_note}", key.label(), to.version)));
        } else {
            findings.push(finding("CA-DRIFT-005", format!("{} is gone in {} (the adapter does not read it){rename_note}", key.label(), to.version)));
        }
        names.push(Change {
            change: ChangeKind::Removed,
            name: (*key).clone(),
            attribute: None,
            before: Vec::new(),
            after: Vec::new(),
            read,
            lands_in: Vec::new(),
            renamed_to_guess: guess,
        });
    }
    for (key, _) in &added {
        if unknown_after.contains(key) {
            findings.push(finding("CA-DRIFT-004", format!("{} is new in {} and the adapter reports it unknown", key.label(), to.version)));
        } else {
            findings.push(finding("CA-DRIFT-005", format!("{} is new in {}", key.label(), to.version)));
        }
        names.push(Change {
            change: ChangeKind::Added,
            name: (*key).clone(),
            attribute: None,
            before: Vec::new(),
            after: Vec::new(),
            read: false,
            lands_in: Vec::new(),
            renamed_to_guess: None,
        });
    }
    let (shape_changes, type_changes) = retypings(from, to);
    let mut attributes = Vec::new();
    for (key, old) in &before {
        let Some(new) = after.get(key) else { continue };
        if let Some((old_shapes, new_shapes)) = shape_changes.get(key) {
            let read = reads.names.contains(key);
            let id = if read { "CA-DRIFT-003" } else { "CA-DRIFT-005" };
            findings.push(finding(
                id,
                format!("{} changes shape: {:?} → {:?}{}", key.label(), old_shapes, new_shapes, if read { " (the adapter reads it)" } else { "" }),
            ));
            names.push(Change {
                change: ChangeKind::Retyped,
                name: key.clone(),
                attribute: None,
                before: old_shapes.iter().cloned().collect(),
                after: new_shapes.iter().cloned().collect(),
                read,
                lands_in: Vec::new(),
                renamed_to_guess: None,
            });
        }
        let removed_keys: Vec<&String> = old.attributes.keys().filter(|it| !new.attributes.contains_key(*it)).collect();
        let added_keys: Vec<&String> = new.attributes.keys().filter(|it| !old.attributes.contains_key(*it)).collect();
        for attribute in &removed_keys {
            let lands_in: Vec<String> = reads
                .attributes
                .get(&(key.clone(), (*attribute).clone()))
                .map(|it| it.iter().map(|key| (*key).to_owned()).collect())
                .unwrap_or_default();
            let read = !lands_in.is_empty();
            let guess = added_keys
                .iter()
                .map(|candidate| (candidate, name_similarity(attribute, candidate)))
                .filter(|(candidate, score)| *score >= 0.7 && old.attributes.get(*attribute) == new.attributes.get(**candidate))
                .max_by(|a, b| a.1.total_cmp(&b.1));
            let rename_note = guess
                .map(|(candidate, score)| format!("; renamed to `{candidate}`? (a guess, {:.0}% similar)", score * 100.0))
                .unwrap_or_default();
            if read {
                findings.push(finding(
                    "CA-DRIFT-002",
                    format!(
                        "attribute `{attribute}` of {} is gone in {}; the adapter reads it into {}{rename_note}",
                        key.label(),
                        to.version,
                        lands_in.iter().map(|it| format!("`{it}`")).collect::<Vec<_>>().join(", ")
                    ),
                ));
            } else {
                findings.push(finding(
                    "CA-DRIFT-005",
                    format!("attribute `{attribute}` of {} is gone in {}{rename_note}", key.label(), to.version),
                ));
            }
            attributes.push(Change {
                change: ChangeKind::Removed,
                name: key.clone(),
                attribute: Some((*attribute).clone()),
                before: old.attributes[*attribute].iter().map(|it| (*it).to_owned()).collect(),
                after: Vec::new(),
                read,
                lands_in,
                renamed_to_guess: guess.map(|(candidate, _)| (*candidate).clone()),
            });
        }
        for attribute in &added_keys {
            findings.push(finding("CA-DRIFT-005", format!("attribute `{attribute}` of {} is new in {}", key.label(), to.version)));
            attributes.push(Change {
                change: ChangeKind::Added,
                name: key.clone(),
                attribute: Some((*attribute).clone()),
                before: Vec::new(),
                after: new.attributes[*attribute].iter().map(|it| (*it).to_owned()).collect(),
                read: false,
                lands_in: Vec::new(),
                renamed_to_guess: None,
            });
        }
        for ((_, attribute), (old_types, new_types)) in type_changes.iter().filter(|((owner, _), _)| owner == key) {
            let lands_in: Vec<String> = reads
                .attributes
                .get(&(key.clone(), attribute.clone()))
                .map(|it| it.iter().map(|key| (*key).to_owned()).collect())
                .unwrap_or_default();
            let read = !lands_in.is_empty();
            findings.push(finding(
                if read { "CA-DRIFT-003" } else { "CA-DRIFT-005" },
                format!(
                    "attribute `{attribute}` of {} arrives as {:?} in {}, was {:?}{}",
                    key.label(),
                    new_types,
                    to.version,
                    old_types,
                    if read { " (the adapter reads it)" } else { "" }
                ),
            ));
            attributes.push(Change {
                change: ChangeKind::Retyped,
                name: key.clone(),
                attribute: Some(attribute.clone()),
                before: old_types.iter().map(|it| (*it).to_owned()).collect(),
                after: new_types.iter().map(|it| (*it).to_owned()).collect(),
                read,
                lands_in,
                renamed_to_guess: None,
            });
        }
    }

    let common: Vec<String> = from.captures.keys().filter(|it| to.captures.contains_key(*it)).cloned().collect();
    let only_from: Vec<String> = from.captures.keys().filter(|it| !to.captures.contains_key(*it)).cloned().collect();
    let only_to: Vec<String> = to.captures.keys().filter(|it| !from.captures.contains_key(*it)).cloned().collect();
    let options = Options::new(CaptureMode::MetadataOnly);
    let records: Vec<ScenarioDiff> = common
        .iter()
        .map(|scenario| {
            let before = record_shapes(&normalize::normalize(from.captures[scenario], &options).records);
            let after = record_shapes(&normalize::normalize(to.captures[scenario], &options).records);
            let changed = before != after;
            let diff = if changed { shape_diff(&before, &after) } else { Vec::new() };
            ScenarioDiff { scenario: scenario.clone(), changed, shapes_before: before.len(), shapes_after: after.len(), diff }
        })
        .collect();
    for diff in records.iter().filter(|it| it.changed) {
        findings.push(finding("CA-DRIFT-005", format!("the canonical records of scenario `{}` change", diff.scenario)));
    }
    for scenario in &only_from {
        findings.push(finding("CA-DRIFT-005", format!("scenario `{scenario}` is recorded only for {}", from.version)));
    }
    for scenario in &only_to {
        findings.push(finding("CA-DRIFT-005", format!("scenario `{scenario}` is recorded only for {}", to.version)));
    }
    findings.sort_by(|a, b| b.level.cmp(&a.level).then_with(|| a.id.cmp(b.id)));
    Drift {
        vendor: vendor.to_owned(),
        from: from.version.clone(),
        to: to.version.clone(),
        sources: (from.source.clone(), to.source.clone()),
        common_scenarios: common,
        only_from,
        only_to,
        names,
        attributes,
        records,
        findings,
        reads: ReadsSummary::of(&reads),
    }
}

impl Drift {
    /// Whether the drift passes under `fail_on`.
    pub fn passes(&self, fail_on: FailOn) -> bool {
        !self.findings.iter().any(|it| fail_on.fails(it.level))
    }

    /// Findings per level.
    pub fn count(&self, level: Level) -> usize {
        self.findings.iter().filter(|it| it.level == level).count()
    }

    /// The report as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }

    /// A readable report; `color` adds ANSI colors (red removals, green additions).
    pub fn to_text(&self, color: bool) -> String {
        let paint = |code: &str, text: &str| if color { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_owned() };
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{} drift {} → {}: {} violation(s), {} improvement(s), {} information; {} common scenario(s); the adapter reads {} name(s) and {} attribute key(s) in {}",
            self.vendor,
            self.from,
            self.to,
            self.count(Level::Violation),
            self.count(Level::Improvement),
            self.count(Level::Information),
            self.common_scenarios.len(),
            self.reads.names,
            self.reads.attributes,
            self.from
        );
        let _ = writeln!(out, "\nfindings");
        for finding in &self.findings {
            let code = match finding.level {
                Level::Violation => "31;1",
                Level::Improvement => "33",
                Level::Information => "36",
            };
            let _ = writeln!(out, "  {} {} {}", paint(code, &format!("{:<11}", level_name(finding.level))), finding.id, finding.message);
        }
        let _ = writeln!(out, "\nnames and attributes");
        for change in self.names.iter().chain(&self.attributes) {
            let _ = writeln!(out, "  {}", change_line(change, &paint));
        }
        for diff in self.records.iter().filter(|it| it.changed) {
            let _ = writeln!(out, "\ncanonical records of `{}` ({} → {})", diff.scenario, self.from, self.to);
            for line in &diff.diff {
                let painted = match line.chars().next() {
                    Some('-') => paint("31", line),
                    Some('+') => paint("32", line),
                    Some('~') => paint("33", line),
                    _ => line.clone(),
                };
                let _ = writeln!(out, "{painted}");
            }
        }
        out
    }

    /// A Markdown report (for `docs/drift/`).
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# {} telemetry drift: {} → {}\n", self.vendor, self.from, self.to);
        let _ = writeln!(
            out,
            "Generated by `cargo xtask drift {} --from {} --to {}` from `{}` and `{}`.\n",
            self.vendor, self.from, self.to, self.sources.0, self.sources.1
        );
        let _ = writeln!(
            out,
            "**{} violation(s), {} improvement(s), {} information.** {} common scenario(s). In {}, the adapter reads {} name(s) and {} attribute key(s) (derived by removing each key and watching the canonical records change).\n",
            self.count(Level::Violation),
            self.count(Level::Improvement),
            self.count(Level::Information),
            self.common_scenarios.len(),
            self.from,
            self.reads.names,
            self.reads.attributes
        );
        let _ = writeln!(out, "Renames are guesses from name and attribute similarity, and are labelled as such.\n");
        let _ = writeln!(out, "## Findings\n");
        if self.findings.is_empty() {
            let _ = writeln!(
                out,
                "None: every event, metric, span and scope name, every attribute key with its wire types, every metric shape and every canonical record shape is the same in both versions."
            );
        } else {
            let _ = writeln!(out, "| level | rule | finding |\n|---|---|---|");
            for finding in &self.findings {
                let _ = writeln!(out, "| {} | `{}` | {} |", level_name(finding.level), finding.id, finding.message.replace('|', "\\|"));
            }
        }
        if !self.names.is_empty() || !self.attributes.is_empty() {
            let _ = writeln!(out, "\n## Names and attributes\n\n| change | name | attribute | before | after | read by the adapter |\n|---|---|---|---|---|---|");
            for change in self.names.iter().chain(&self.attributes) {
                let read = match (change.read, change.lands_in.is_empty()) {
                    (true, false) => format!("yes → {}", change.lands_in.join(", ")),
                    (true, true) => "yes".to_owned(),
                    _ => "no".to_owned(),
                };
                let _ = writeln!(
                    out,
                    "| {:?} | {} | {} | {} | {} | {read} |",
                    change.change,
                    change.name.label(),
                    change.attribute.as_deref().map(|it| format!("`{it}`")).unwrap_or_default(),
                    change.before.join(", "),
                    change.after.join(", ")
                );
            }
        }
        let changed: Vec<&ScenarioDiff> = self.records.iter().filter(|it| it.changed).collect();
        let _ = writeln!(out, "\n## Canonical records\n");
        if changed.is_empty() {
            let _ = writeln!(out, "The canonical record shapes (kind, source name, canonical keys with types, vendor keys) of every common scenario are unchanged.");
        } else {
            let _ = writeln!(
                out,
                "Per scenario, one line per `kind ← vendor name` that changed: `-` gone, `+` new, `~` changed (record count, keys lost `-` and gained `+`).\n"
            );
        }
        for diff in changed {
            let _ = writeln!(out, "### `{}`\n\n```diff\n{}\n```\n", diff.scenario, diff.diff.join("\n"));
        }
        let _ = writeln!(
            out,
            "\n## What the adapter reads in {}\n\nA removal of any of these in a newer version is a violation (CA-DRIFT-001, CA-DRIFT-002).\n\n| name | attribute keys read → canonical keys |\n|---|---|",
            self.from
        );
        for read in &self.reads.detail {
            let keys: Vec<String> = read
                .attributes
                .iter()
                .map(|(key, canonical)| format!("`{key}` → {}", canonical.iter().map(|it| format!("`{it}`")).collect::<Vec<_>>().join(", ")))
                .collect();
            let keys = match (keys.is_empty(), read.name.kind) {
                (false, _) => keys.join("; "),
                (true, NameKind::Scope) => "(matched by the adapter's signature)".to_owned(),
                (true, _) => "(its items become canonical records)".to_owned(),
            };
            let _ = writeln!(out, "| {} | {} |", read.name.label(), keys.replace('|', "\\|"));
        }
        out
    }
}

fn change_line(change: &Change, paint: &dyn Fn(&str, &str) -> String) -> String {
    let what = match &change.attribute {
        Some(attribute) => format!("attribute `{attribute}` of {}", change.name.label()),
        None => change.name.label(),
    };
    let read = if change.read { " [read by the adapter]" } else { "" };
    match change.change {
        ChangeKind::Added => paint("32", &format!("+ {what}{read}")),
        ChangeKind::Removed => {
            let guess = change.renamed_to_guess.as_ref().map(|it| format!(" (renamed to `{it}`? a guess)")).unwrap_or_default();
            paint("31", &format!("- {what}{read}{guess}"))
        }
        ChangeKind::Retyped => paint("33", &format!("~ {what}: {} → {}{read}", change.before.join("|"), change.after.join("|"))),
    }
}
