//! The pipeline: capture → items → detect → adapt → derive → privacy → records, with
//! accounting of every input item.
//!
//! Normalizing never fails: whatever the input, it returns records, findings and an
//! [`Accounting`] in which every input item (log record, data point, span) is normalized,
//! ignored or rejected, and the three add up to the inputs.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use crate::adapter::{self, Adapter, Item, ItemData, ItemId};
use crate::adapters;
use crate::capture::Capture;
use crate::detect;
use crate::finding::{Finding, Level, Location};
use crate::otlp::{KeyValue, MetricData, Temporality};
use crate::privacy;
use crate::schema::{attributes as attr, CanonicalRecord, CaptureMode, RecordKind, Value};

/// How to normalize.
#[derive(Clone, Copy)]
pub struct Options {
    /// The privacy mode.
    pub capture_mode: CaptureMode,
    /// Skip detection and hand every item to this adapter.
    pub force_vendor: Option<&'static dyn Adapter>,
}

impl Options {
    /// Detection on, the given mode.
    pub fn new(capture_mode: CaptureMode) -> Options {
        Options { capture_mode, force_vendor: None }
    }
}

/// Item counts by outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Input items (log records, data points, spans), including those the decoder left out.
    pub inputs: usize,
    /// Items that became at least one canonical record.
    pub normalized: usize,
    /// Items deliberately not mapped, with a reason.
    pub ignored: usize,
    /// Items that could not be used, with a reason.
    pub rejected: usize,
}

impl Counts {
    /// Whether every input is accounted for exactly once.
    pub fn balances(&self) -> bool {
        self.inputs == self.normalized + self.ignored + self.rejected
    }

    fn add(&mut self, other: &Counts) {
        self.inputs += other.inputs;
        self.normalized += other.normalized;
        self.ignored += other.ignored;
        self.rejected += other.rejected;
    }
}

/// What happened to every input item.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Accounting {
    /// Totals.
    #[serde(flatten)]
    pub totals: Counts,
    /// Canonical records produced (derived session records included).
    pub records: usize,
    /// Totals per vendor (`unknown` for undetected items, `undecodable` for decoder rejects).
    pub by_vendor: BTreeMap<String, Counts>,
    /// Records per kind.
    pub records_by_kind: BTreeMap<String, usize>,
    /// Ignored and rejected items per reason.
    pub reasons: BTreeMap<String, usize>,
}

impl Accounting {
    /// Adds another capture's accounting to this one.
    pub fn merge(&mut self, other: &Accounting) {
        self.totals.add(&other.totals);
        self.records += other.records;
        for (vendor, counts) in &other.by_vendor {
            self.by_vendor.entry(vendor.clone()).or_default().add(counts);
        }
        for (kind, n) in &other.records_by_kind {
            *self.records_by_kind.entry(kind.clone()).or_default() += n;
        }
        for (reason, n) in &other.reasons {
            *self.reasons.entry(reason.clone()).or_default() += n;
        }
    }
}

/// Everything normalizing a capture produced.
#[derive(Debug, Default)]
pub struct Output {
    /// Canonical records: item records in input order, then derived session records.
    pub records: Vec<CanonicalRecord>,
    /// Findings, in the order they were made.
    pub findings: Vec<Finding>,
    /// The accounting.
    pub accounting: Accounting,
}

/// The vendor label for items no adapter claimed.
pub const UNKNOWN_VENDOR: &str = "unknown";
/// The vendor label for items the decoder could not read.
pub const UNDECODABLE: &str = "undecodable";

/// Normalizes one capture.
pub fn normalize(capture: &Capture, options: &Options) -> Output {
    let mut out = Output::default();
    decoder_problems(capture, options.capture_mode, &mut out);

    let items = adapter::items(capture);
    let by_id: HashMap<ItemId, &Item<'_>> = items.iter().map(|it| (it.id, it)).collect();

    // Detect per resource group, then hand each adapter all of its items at once.
    let mut claimed: BTreeMap<&'static str, (&'static dyn Adapter, Vec<Item<'_>>)> = BTreeMap::new();
    let mut unclaimed: Vec<(ItemId, String)> = Vec::new();
    let mut detections: HashMap<(u32, u32), Option<&'static dyn Adapter>> = HashMap::new();
    for (request_index, request) in capture.requests.iter().enumerate() {
        for (resource_index, evidence) in detect::evidence(&request.decoded.request).iter().enumerate() {
            let key = (request_index as u32, resource_index as u32);
            let chosen = match options.force_vendor {
                Some(adapter) => Some(adapter),
                None => {
                    let detection = detect::detect(adapters::ALL, evidence);
                    let location = Location {
                        file: request.file.clone(),
                        locator: format!("{}[{resource_index}]", resource_field(request.signal)),
                        field: String::new(),
                    };
                    for conflict in &detection.conflicts {
                        out.findings.push(
                            Finding::new("vendor_evidence_conflict", Level::Improvement, conflict.clone())
                                .for_vendor_opt(detection.adapter.map(|it| it.name()))
                                .at(location.clone()),
                        );
                    }
                    if detection.adapter.is_none() {
                        out.findings.push(
                            Finding::new("unknown_vendor", Level::Improvement, detection.reason.clone()).at(location),
                        );
                    }
                    detection.adapter
                }
            };
            let _ = detections.insert(key, chosen);
        }
    }
    for item in &items {
        match detections.get(&(item.id.request, item.id.resource)).copied().flatten() {
            Some(adapter) => claimed.entry(adapter.name()).or_insert_with(|| (adapter, Vec::new())).1.push(*item),
            None => unclaimed.push((item.id, "no adapter claims this resource".to_owned())),
        }
    }

    let mut outcome: HashMap<ItemId, Outcome> = HashMap::new();
    let mut vendor_of: HashMap<ItemId, &'static str> = HashMap::new();
    for (vendor, (adapter, vendor_items)) in &claimed {
        let normalized = adapter.normalize(vendor_items);
        for item in vendor_items {
            let _ = vendor_of.insert(item.id, vendor);
        }
        for record in &normalized.records {
            if let Some(id) = record.item {
                let _ = outcome.insert(id, Outcome::Normalized);
            }
        }
        for (id, reason) in normalized.rejected {
            let _ = outcome.entry(id).or_insert(Outcome::Rejected(reason));
        }
        for (id, reason) in normalized.ignored {
            let _ = outcome.entry(id).or_insert(Outcome::Ignored(reason));
        }
        out.findings.extend(normalized.findings);
        out.records.extend(normalized.records);
        for item in vendor_items {
            if !outcome.contains_key(&item.id) {
                out.findings.push(
                    Finding::new(
                        "unaccounted_item",
                        Level::Violation,
                        "the adapter produced no record for this item and gave no reason",
                    )
                    .for_vendor(vendor)
                    .at(item.location("")),
                );
                let _ = outcome.insert(item.id, Outcome::Rejected("dropped by the adapter without a reason".to_owned()));
            }
        }
    }
    for (id, reason) in unclaimed {
        let _ = vendor_of.insert(id, UNKNOWN_VENDOR);
        let _ = outcome.insert(id, Outcome::Ignored(reason));
    }

    // Records point only at items they were given; anything else is an adapter bug.
    out.records.retain(|record| match record.item {
        Some(id) => by_id.contains_key(&id),
        None => true,
    });
    out.records.sort_by_key(|record| record.item);

    add_metric_deltas(&mut out.records, &by_id);
    let sessions = derive_sessions(&out.records);
    out.records.extend(sessions);

    // One report per vendor, so each finding names the vendor whose attributes it is about.
    let mut reports: BTreeMap<&'static str, privacy::PrivacyReport> = BTreeMap::new();
    for record in &mut out.records {
        reports.entry(record.vendor).or_default().merge(privacy::apply(options.capture_mode, record));
    }
    for (vendor, report) in &reports {
        privacy_findings(vendor, report, &mut out.findings);
    }

    for item in &items {
        let vendor = vendor_of.get(&item.id).copied().unwrap_or(UNKNOWN_VENDOR);
        let counts = out.accounting.by_vendor.entry(vendor.to_owned()).or_default();
        counts.inputs += 1;
        match outcome.get(&item.id) {
            Some(Outcome::Normalized) => counts.normalized += 1,
            Some(Outcome::Ignored(reason)) => {
                counts.ignored += 1;
                *out.accounting.reasons.entry(format!("ignored: {reason}")).or_default() += 1;
            }
            Some(Outcome::Rejected(reason)) => {
                counts.rejected += 1;
                *out.accounting.reasons.entry(format!("rejected: {reason}")).or_default() += 1;
            }
            None => {
                // Unreachable by construction (every item gets an outcome above); counted
                // as rejected so the books still balance if that ever changes.
                counts.rejected += 1;
                *out.accounting.reasons.entry("rejected: no outcome".to_owned()).or_default() += 1;
            }
        }
    }
    let mut totals = Counts::default();
    for counts in out.accounting.by_vendor.values() {
        totals.add(counts);
    }
    out.accounting.totals = totals;
    out.accounting.records = out.records.len();
    for record in &out.records {
        *out.accounting.records_by_kind.entry(record.kind.as_str().to_owned()).or_default() += 1;
    }
    out
}

enum Outcome {
    Normalized,
    Ignored(String),
    Rejected(String),
}

fn resource_field(signal: crate::otlp::Signal) -> &'static str {
    match signal {
        crate::otlp::Signal::Logs => "resourceLogs",
        crate::otlp::Signal::Metrics => "resourceMetrics",
        crate::otlp::Signal::Traces => "resourceSpans",
    }
}

/// Decoder problems become findings; items the decoder left out count as rejected inputs.
/// A problem quotes the offending value; outside `full` the quote is reduced to its length,
/// since a malformed field can hold content as easily as a well-formed one.
fn decoder_problems(capture: &Capture, mode: CaptureMode, out: &mut Output) {
    for request in &capture.requests {
        for problem in &request.decoded.problems {
            let location =
                Location { file: request.file.clone(), locator: problem.locator.clone(), field: problem.field.clone() };
            let mut found = privacy::SecretCounts::default();
            let message = match mode {
                CaptureMode::Full => problem.message.clone(),
                CaptureMode::Minimal | CaptureMode::MetadataOnly => redact_quotes(&problem.message),
            };
            let message = privacy::scrub_text(&message, &mut found).into_owned();
            let problem = crate::otlp::Problem { message, ..problem.clone() };
            if problem.rejected_items > 0 {
                out.findings
                    .push(Finding::new("undecodable_item", Level::Violation, problem.message.clone()).at(location));
                let counts = out.accounting.by_vendor.entry(UNDECODABLE.to_owned()).or_default();
                counts.inputs += problem.rejected_items;
                counts.rejected += problem.rejected_items;
                *out.accounting.reasons.entry(format!("rejected: undecodable: {}", problem_kind(&problem.message))).or_default() +=
                    problem.rejected_items;
            } else {
                out.findings
                    .push(Finding::new("undecodable_field", Level::Improvement, problem.message.clone()).at(location));
            }
        }
    }
}

/// Replaces every `"…"` quotation in a message by its length: `string "abc"` → `string "<3 chars>"`.
fn redact_quotes(message: &str) -> String {
    let mut res = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(start) = rest.find('"') {
        res.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        // The decoder escapes quotes inside quotations, so the next unescaped quote ends it.
        let mut end = None;
        let mut escaped = false;
        for (index, ch) in after.char_indices() {
            match ch {
                '\\' if !escaped => escaped = true,
                '"' if !escaped => {
                    end = Some(index);
                    break;
                }
                _ => escaped = false,
            }
        }
        match end {
            Some(end) => {
                res.push_str(&format!("\"<{} chars>\"", after[..end].chars().count()));
                rest = &after[end + 1..];
            }
            None => {
                res.push_str(&format!("\"<{} chars>", after.chars().count()));
                rest = "";
            }
        }
    }
    res.push_str(rest);
    res
}

fn problem_kind(message: &str) -> &str {
    message.split(':').next().unwrap_or(message)
}

/// Adds `coding_agent.metric.delta` to every metric record: the value itself for delta
/// streams, the increase over the previous point of the same stream for cumulative ones.
/// A cumulative point whose start time moved, or whose value went down, starts over.
fn add_metric_deltas(records: &mut [CanonicalRecord], by_id: &HashMap<ItemId, &Item<'_>>) {
    let mut streams: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (index, record) in records.iter_mut().enumerate() {
        let Some(item) = record.item.and_then(|id| by_id.get(&id)) else { continue };
        let ItemData::Point { metric, point } = item.data else { continue };
        let Some(value) = record.attributes.get(attr::METRIC_VALUE).cloned() else { continue };
        match metric.data.temporality() {
            Some(Temporality::Delta) => {
                let _ = record.attributes.insert(attr::METRIC_DELTA, value);
            }
            Some(Temporality::Cumulative) => {
                let key = stream_key(item, &metric.name, point.attributes(), &metric.data);
                streams.entry(key).or_default().push(index);
            }
            _ => {}
        }
    }
    for indexes in streams.values_mut() {
        indexes.sort_by_key(|index| (records[*index].time_unix_nano, *index));
        let mut previous: Option<(Value, Option<i64>)> = None;
        for index in indexes.iter() {
            let record = &mut records[*index];
            let Some(value) = record.attributes.get(attr::METRIC_VALUE).cloned() else { continue };
            let start = match record.attributes.get(attr::METRIC_START_TIME) {
                Some(Value::Int(it)) => Some(*it),
                _ => None,
            };
            let delta = match &previous {
                Some((prev, prev_start)) if *prev_start == start => subtract(&value, prev),
                _ => Some(value.clone()),
            };
            let delta = match delta {
                Some(it) if is_negative(&it) => value.clone(),
                Some(it) => it,
                None => value.clone(),
            };
            let _ = record.attributes.insert(attr::METRIC_DELTA, delta);
            previous = Some((value, start));
        }
    }
}

fn stream_key(item: &Item<'_>, name: &str, attributes: &[KeyValue], data: &MetricData) -> String {
    let mut point_attributes: Vec<String> = attributes.iter().map(|it| format!("{}={:?}", it.key, it.value)).collect();
    point_attributes.sort();
    let mut resource_attributes: Vec<String> =
        item.resource.attributes.iter().map(|it| format!("{}={:?}", it.key, it.value)).collect();
    resource_attributes.sort();
    format!(
        "{}|{}|{}|{}|{}",
        resource_attributes.join(","),
        item.scope.name,
        name,
        data.kind_name(),
        point_attributes.join(",")
    )
}

fn subtract(value: &Value, previous: &Value) -> Option<Value> {
    match (value, previous) {
        (Value::Int(a), Value::Int(b)) => Some(Value::Int(a - b)),
        (Value::Int(a), Value::Double(b)) => Some(adapter::plain_number(*a as f64 - b)),
        (Value::Double(a), Value::Int(b)) => Some(adapter::plain_number(a - *b as f64)),
        (Value::Double(a), Value::Double(b)) => Some(adapter::plain_number(a - b)),
        _ => None,
    }
}

fn is_negative(value: &Value) -> bool {
    match value {
        Value::Int(it) => *it < 0,
        Value::Double(it) => *it < 0.0,
        _ => false,
    }
}

/// One `session` record per (vendor, session id): time span, record count, models, and the
/// vendor version and user seen first.
fn derive_sessions(records: &[CanonicalRecord]) -> Vec<CanonicalRecord> {
    struct Acc {
        start: Option<u64>,
        end: Option<u64>,
        count: i64,
        models: BTreeSet<String>,
        copied: BTreeMap<&'static str, Value>,
    }
    const COPIED: [&str; 8] = [
        attr::VENDOR_VERSION,
        attr::USER_ID,
        attr::USER_EMAIL,
        attr::USER_ACCOUNT_ID,
        attr::ORGANIZATION_ID,
        attr::SERVICE_NAME,
        attr::TERMINAL_TYPE,
        attr::ENTRYPOINT,
    ];
    let mut sessions: BTreeMap<(&'static str, String), Acc> = BTreeMap::new();
    for record in records {
        let Some(session_id) = &record.session_id else { continue };
        let acc = sessions.entry((record.vendor, session_id.clone())).or_insert_with(|| Acc {
            start: None,
            end: None,
            count: 0,
            models: BTreeSet::new(),
            copied: BTreeMap::new(),
        });
        acc.count += 1;
        if let Some(time) = record.time_unix_nano {
            acc.start = Some(acc.start.map_or(time, |it| it.min(time)));
            acc.end = Some(acc.end.map_or(time, |it| it.max(time)));
        }
        if let Some(Value::Str(model)) = record.attributes.get(attr::REQUEST_MODEL) {
            let _ = acc.models.insert(model.clone());
        }
        for key in COPIED {
            if let Some(value) = record.attributes.get(key) {
                let _ = acc.copied.entry(key).or_insert_with(|| value.clone());
            }
        }
    }
    sessions
        .into_iter()
        .map(|((vendor, session_id), acc)| {
            let mut attributes = acc.copied;
            let _ = attributes.insert(attr::VENDOR, Value::Str(vendor.to_owned()));
            let _ = attributes.insert(attr::SESSION_ID, Value::Str(session_id.clone()));
            let _ = attributes.insert(attr::SESSION_RECORD_COUNT, Value::Int(acc.count));
            if let Some(start) = acc.start {
                let _ = attributes.insert(attr::SESSION_START_TIME, Value::Int(start as i64));
            }
            if let Some(end) = acc.end {
                let _ = attributes.insert(attr::SESSION_END_TIME, Value::Int(end as i64));
            }
            if !acc.models.is_empty() {
                let _ = attributes.insert(attr::SESSION_MODELS, Value::StrList(acc.models.into_iter().collect()));
            }
            CanonicalRecord {
                kind: RecordKind::Session,
                vendor,
                session_id: Some(session_id),
                time_unix_nano: acc.start,
                capture_mode: CaptureMode::Full,
                attributes,
                vendor_attributes: BTreeMap::new(),
                source: None,
                item: None,
                vendor_metadata: Default::default(),
            }
        })
        .collect()
}

/// Reports what privacy removed, by key and count (never values): vendor attributes the
/// adapters do not know are worth mapping, and secrets found are worth knowing about.
fn privacy_findings(vendor: &'static str, report: &privacy::PrivacyReport, findings: &mut Vec<Finding>) {
    for (key, n) in &report.vendor_attributes_reduced {
        findings.push(Finding::new(
            "unknown_attribute_reduced",
            Level::Information,
            format!("vendor attribute `{key}` has no canonical key; its text was reduced to type and length in {n} record(s)"),
        ).for_vendor(vendor));
    }
    for (key, n) in &report.unknown_keys_removed {
        findings.push(Finding::new(
            "undeclared_canonical_key",
            Level::Violation,
            format!("attribute `{key}` is not in the schema; treated as content and removed from {n} record(s)"),
        ).for_vendor(vendor));
    }
    for (kind, n) in &report.secrets_scrubbed {
        findings.push(Finding::new(
            "secret_scrubbed",
            Level::Information,
            format!("{n} {} value(s) replaced by a placeholder", kind.as_str()),
        ).for_vendor(vendor));
    }
}

#[cfg(test)]
mod tests {
    use super::redact_quotes;

    #[test]
    fn quotations_are_reduced_to_their_length() {
        assert_eq!(redact_quotes(r#"expected an integer, found string "CANARY-1""#), r#"expected an integer, found string "<8 chars>""#);
        assert_eq!(redact_quotes(r#"a "x\"y" b "z""#), r#"a "<4 chars>" b "<1 chars>""#);
        assert_eq!(redact_quotes(r#"open "abc"#), r#"open "<3 chars>"#);
        assert_eq!(redact_quotes("no quotes"), "no quotes");
    }
}
