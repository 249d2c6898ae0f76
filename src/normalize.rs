//! The pipeline: capture → items → detect → adapt → derive → privacy → records, with
//! accounting of every input item.
//!
//! Normalizing never fails: whatever the input, it returns records, findings and an
//! [`Accounting`] in which every input item (log record, data point, span) is normalized,
//! ignored or rejected, and the three add up to the inputs.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use foldhash::{HashMap, HashMapExt};

use serde::Serialize;

use crate::adapter::{self, Adapter, Item, ItemData, ItemId};
use crate::adapters;
use crate::capture::Capture;
use crate::detect;
use crate::finding::{Finding, Level, Location};
use crate::content_order::{cmp_key_value, cmp_slices};
use crate::otlp::{KeyValue, Temporality};
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
    let mut unclaimed: Vec<(ItemId, adapter::Reason)> = Vec::new();
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
            None => unclaimed.push((item.id, "no adapter claims this resource".into())),
        }
    }

    let mut outcome: HashMap<ItemId, Outcome> = HashMap::with_capacity(items.len());
    let mut vendor_of: HashMap<ItemId, &'static str> = HashMap::with_capacity(items.len());
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
            if let std::collections::hash_map::Entry::Vacant(slot) = outcome.entry(item.id) {
                out.findings.push(
                    Finding::new(
                        "unaccounted_item",
                        Level::Violation,
                        "the adapter produced no record for this item and gave no reason",
                    )
                    .for_vendor(vendor)
                    .at(item.location("")),
                );
                let _ = slot.insert(Outcome::Rejected("dropped by the adapter without a reason".into()));
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

    let repeats = add_metric_deltas(&mut out.records, &by_id);
    for (vendor, n) in repeats {
        out.findings.push(
            Finding::new(
                "repeated_data_point",
                Level::Information,
                format!("{n} metric data point(s) repeat an earlier point of their stream (same start time, time and value: a retried or re-exported batch); each counts once"),
            )
            .for_vendor(vendor),
        );
    }
    let sessions = derive_sessions(&out.records);
    out.records.extend(sessions);

    // One report per vendor, so each finding names the vendor whose attributes it is about.
    let mut reports: BTreeMap<&'static str, privacy::PrivacyReport> = BTreeMap::new();
    let mut memo = privacy::ScrubMemo::default();
    for record in &mut out.records {
        privacy::apply_into_with(options.capture_mode, record, reports.entry(record.vendor).or_default(), &mut memo);
    }
    for (vendor, report) in &reports {
        privacy_findings(vendor, report, &mut out.findings);
    }
    // Findings and accounting reasons quote names (an unknown event name, a conflicting
    // `service.name`), which are metadata but can hold a secret like any string: scrubbed in
    // every mode, as records are.
    scrub_findings(&mut out.findings);

    // Reasons repeat (one per ignored item, thousands per capture, a few distinct ones):
    // counted first, scrubbed once each.
    let mut reasons: HashMap<(bool, &str), usize> = HashMap::new();
    for item in &items {
        let vendor = vendor_of.get(&item.id).copied().unwrap_or(UNKNOWN_VENDOR);
        let counts = match out.accounting.by_vendor.get_mut(vendor) {
            Some(it) => it,
            None => out.accounting.by_vendor.entry(vendor.to_owned()).or_default(),
        };
        counts.inputs += 1;
        match outcome.get(&item.id) {
            Some(Outcome::Normalized) => counts.normalized += 1,
            Some(Outcome::Ignored(reason)) => {
                counts.ignored += 1;
                *reasons.entry((false, &**reason)).or_default() += 1;
            }
            Some(Outcome::Rejected(reason)) => {
                counts.rejected += 1;
                *reasons.entry((true, &**reason)).or_default() += 1;
            }
            None => {
                // Unreachable by construction (every item gets an outcome above); counted
                // as rejected so the books still balance if that ever changes.
                counts.rejected += 1;
                *out.accounting.reasons.entry("rejected: no outcome".to_owned()).or_default() += 1;
            }
        }
    }
    for ((rejected, reason), n) in reasons {
        let reason = privacy::scrub_text(reason, &mut privacy::SecretCounts::default());
        let outcome = if rejected { "rejected" } else { "ignored" };
        *out.accounting.reasons.entry(format!("{outcome}: {reason}")).or_default() += n;
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
    Ignored(adapter::Reason),
    Rejected(adapter::Reason),
}

fn resource_field(signal: crate::otlp::Signal) -> &'static str {
    match signal {
        crate::otlp::Signal::Logs => "resourceLogs",
        crate::otlp::Signal::Metrics => "resourceMetrics",
        crate::otlp::Signal::Traces => "resourceSpans",
    }
}

fn scrub_findings(findings: &mut [Finding]) {
    let mut found = privacy::SecretCounts::default();
    let mut scrub = |text: &mut String| {
        if let std::borrow::Cow::Owned(clean) = privacy::scrub_text(text, &mut found) {
            *text = clean;
        }
    };
    for finding in findings {
        scrub(&mut finding.message);
        if let Some(location) = &mut finding.location {
            scrub(&mut location.file);
            scrub(&mut location.locator);
            scrub(&mut location.field);
        }
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
///
/// A point equal to an earlier point of its stream (same start time, time and value) is a
/// retried batch or a re-export, never new usage: it gets delta 0 and is left out of the
/// cumulative arithmetic, whatever the temporality. (Two genuine delta points of one stream
/// cannot share both interval ends: delta intervals do not overlap.) Points are ordered by
/// time, then start time, then value, so the result does not depend on the order in which
/// points arrived within a batch. Returns how many points were such repeats, per vendor.
fn add_metric_deltas(
    records: &mut [CanonicalRecord],
    by_id: &HashMap<ItemId, &Item<'_>>,
) -> BTreeMap<&'static str, usize> {
    let mut streams: BTreeMap<StreamKey<'_>, Vec<usize>> = BTreeMap::new();
    // The resource part of a key, once per resource group: its attributes sorted, interned so
    // that equal resources of different requests (one CLI process, many exports) share it.
    let mut resource_of_group: HashMap<(u32, u32), usize> = HashMap::new();
    let mut resources: BTreeMap<SortedAttributes<'_>, usize> = BTreeMap::new();
    for (index, record) in records.iter().enumerate() {
        let Some(item) = record.item.and_then(|id| by_id.get(&id)) else { continue };
        let ItemData::Point { metric, point } = item.data else { continue };
        if !record.attributes.contains_key(attr::METRIC_VALUE) {
            continue;
        }
        let cumulative = match metric.data.temporality() {
            Some(Temporality::Delta) => false,
            Some(Temporality::Cumulative) => true,
            _ => continue,
        };
        let next = resources.len();
        let resource = *resource_of_group
            .entry((item.id.request, item.id.resource))
            .or_insert_with(|| *resources.entry(SortedAttributes::new(&item.resource.attributes)).or_insert(next));
        let key = StreamKey {
            cumulative,
            resource,
            scope: &item.scope.name,
            name: &metric.name,
            kind: metric.data.kind_name(),
            attributes: SortedAttributes::new(point.attributes()),
        };
        streams.entry(key).or_default().push(index);
    }
    let mut repeats: BTreeMap<&'static str, usize> = BTreeMap::new();
    for (StreamKey { cumulative, .. }, indexes) in streams.iter_mut() {
        indexes.sort_by(|a, b| {
            let ((time_a, start_a, value_a), (time_b, start_b, value_b)) =
                (stream_point(&records[*a]), stream_point(&records[*b]));
            (time_a, start_a).cmp(&(time_b, start_b)).then_with(|| value_order(value_a.as_ref(), value_b.as_ref())).then(a.cmp(b))
        });
        let mut previous: Option<(Value, Option<i64>)> = None;
        let mut last_point = None;
        for index in indexes.iter().copied() {
            let point = stream_point(&records[index]);
            let record = &mut records[index];
            let Some(value) = point.2.clone() else { continue };
            let repeat = last_point.as_ref().is_some_and(|last: &(Option<u64>, Option<i64>, Option<Value>)| {
                last.0 == point.0 && last.1 == point.1 && value_order(last.2.as_ref(), point.2.as_ref()).is_eq()
            });
            if repeat {
                *repeats.entry(record.vendor).or_default() += 1;
                let zero = match value {
                    Value::Double(_) => Value::Double(0.0),
                    _ => Value::Int(0),
                };
                let _ = record.attributes.insert(attr::METRIC_DELTA, zero);
                continue;
            }
            let start = point.1;
            last_point = Some(point);
            if !*cumulative {
                let _ = record.attributes.insert(attr::METRIC_DELTA, value);
                continue;
            }
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
    repeats
}

/// A metric record's time, start time and value: what makes two points of a stream the same.
fn stream_point(record: &CanonicalRecord) -> (Option<u64>, Option<i64>, Option<Value>) {
    let start = match record.attributes.get(attr::METRIC_START_TIME) {
        Some(Value::Int(it)) => Some(*it),
        _ => None,
    };
    (record.time_unix_nano, start, record.attributes.get(attr::METRIC_VALUE).cloned())
}

/// A total order on metric values (numbers by value, NaN last; then by type), so that
/// sorting and repeat detection do not depend on arrival order.
fn value_order(a: Option<&Value>, b: Option<&Value>) -> std::cmp::Ordering {
    let number = |value: Option<&Value>| match value {
        Some(Value::Int(it)) => Some(*it as f64),
        Some(Value::Double(it)) => Some(*it),
        _ => None,
    };
    let rank = |value: Option<&Value>| match value {
        Some(Value::Int(_)) => 0,
        Some(Value::Double(_)) => 1,
        _ => 2,
    };
    match (number(a), number(b)) {
        (Some(x), Some(y)) => x.total_cmp(&y).then(rank(a).cmp(&rank(b))),
        _ => rank(a).cmp(&rank(b)),
    }
}

/// The stream a data point belongs to: its resource, scope, metric name and kind, and point
/// attributes (attribute lists compared as sets of key and value, whatever order they came in).
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct StreamKey<'a> {
    cumulative: bool,
    /// The resource's index among the distinct resources seen.
    resource: usize,
    scope: &'a str,
    name: &'a str,
    kind: &'static str,
    attributes: SortedAttributes<'a>,
}

/// Attributes sorted by key, then value, compared field by field (no text is written out).
struct SortedAttributes<'a>(Vec<&'a KeyValue>);

impl<'a> SortedAttributes<'a> {
    fn new(attributes: &'a [KeyValue]) -> SortedAttributes<'a> {
        let mut sorted: Vec<&KeyValue> = attributes.iter().collect();
        sorted.sort_by(|a, b| cmp_key_value(a, b));
        SortedAttributes(sorted)
    }
}

impl Ord for SortedAttributes<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_slices(&self.0, &other.0, |a, b| cmp_key_value(a, b))
    }
}

impl PartialOrd for SortedAttributes<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for SortedAttributes<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for SortedAttributes<'_> {}

fn subtract(value: &Value, previous: &Value) -> Option<Value> {
    match (value, previous) {
        // Checked: two extreme values must not overflow (normalizing never panics).
        (Value::Int(a), Value::Int(b)) => a.checked_sub(*b).map(Value::Int),
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
/// vendor version, user and the like of its earliest record that has them (ties broken by
/// value), so the session does not depend on the order records arrived in within a batch.
fn derive_sessions(records: &[CanonicalRecord]) -> Vec<CanonicalRecord> {
    struct Acc {
        start: Option<u64>,
        end: Option<u64>,
        count: i64,
        models: BTreeSet<String>,
        /// Per copied key: (time or `u64::MAX` when unknown, value as JSON, value).
        copied: BTreeMap<&'static str, (u64, String, Value)>,
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
                let time = record.time_unix_nano.unwrap_or(u64::MAX);
                // The value is written out only to break a tie of times (most records are later).
                let text = || serde_json::to_string(value).unwrap_or_default();
                let candidate = match acc.copied.get(key) {
                    Some((earliest, _, _)) if time > *earliest => None,
                    Some((earliest, earliest_text, _)) if time == *earliest => {
                        Some(text()).filter(|it| it < earliest_text)
                    }
                    _ => Some(text()),
                };
                if let Some(text) = candidate {
                    let _ = acc.copied.insert(key, (time, text, value.clone()));
                }
            }
        }
    }
    sessions
        .into_iter()
        .map(|((vendor, session_id), acc)| {
            let mut attributes: BTreeMap<&'static str, Value> =
                acc.copied.into_iter().map(|(key, (_, _, value))| (key, value)).collect();
            let _ = attributes.insert(attr::VENDOR, Value::Str(vendor.to_owned()));
            let _ = attributes.insert(attr::SESSION_ID, Value::Str(session_id.clone()));
            let _ = attributes.insert(attr::SESSION_RECORD_COUNT, Value::Int(acc.count));
            if let Some(start) = acc.start {
                // Saturating: a time past i64::MAX (garbage on the wire) must not turn negative.
                let _ = attributes.insert(attr::SESSION_START_TIME, Value::Int(i64::try_from(start).unwrap_or(i64::MAX)));
            }
            if let Some(end) = acc.end {
                let _ = attributes.insert(attr::SESSION_END_TIME, Value::Int(i64::try_from(end).unwrap_or(i64::MAX)));
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
    if report.vendor_keys_withheld > 0 {
        findings.push(Finding::new(
            "vendor_key_withheld",
            Level::Information,
            format!(
                "{} vendor attribute key(s) read as text, not names (spaces, quotes or other punctuation, or over 128 characters): renamed `withheld_key.<n>`",
                report.vendor_keys_withheld
            ),
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
