//! Adapter coverage, measured from what the pipeline did rather than from what the adapter
//! says it knows: for every event, metric and span name a vendor's captures hold, which
//! records its items became.
//!
//! A name is
//! - *mapped* when some item of that name became a record of a canonical kind,
//! - *passthrough* when its items only became `passthrough` records and the adapter raised no
//!   `unknown_*_name` finding for it (the adapter knows it and has no canonical home for it),
//! - *ignored* when its items were all ignored or rejected with a reason,
//! - *unmapped* when the adapter reported it with an `unknown_*_name` finding, whatever
//!   record it then made (Claude Code keeps an unknown metric as a `metric_point` under its own
//!   name: the kind alone would call that mapped).
//!
//! Vendor attribute keys are measured the same way: a key is *unmapped* when it survives in
//! `vendor_attributes` without being declared vendor metadata, so `metadata_only` has to
//! reduce or guess about it.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use crate::adapter::{Item, ItemData};
use crate::capture::ItemId;
use crate::otlp::{find_attr, AnyValue, LogRecord, Signal};
use crate::schema::{RecordKind, Value};

use super::VendorRun;

/// How an adapter handles one name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NameStatus {
    /// Items became canonical records.
    Mapped,
    /// Items became passthrough records, and the adapter knows the name.
    Passthrough,
    /// Items were ignored or rejected with a reason.
    Ignored,
    /// The adapter reported the name as unknown.
    Unmapped,
}

impl NameStatus {
    /// Whether the rule "mapped or explicitly ignored with a reason" holds.
    pub fn is_covered(self) -> bool {
        self != NameStatus::Unmapped
    }
}

/// One name of one signal, over a vendor's captures.
#[derive(Debug, Clone, Serialize)]
pub struct NameCoverage {
    /// `logs`, `metrics` or `traces`.
    pub signal: String,
    /// The event, metric or span name, as `codetel inspect` shows it.
    pub name: String,
    /// Items seen with this name.
    pub items: usize,
    /// The verdict.
    pub status: NameStatus,
    /// Where one item of it is: capture, file and OTLP locator.
    pub example: (String, String, String),
}

/// One vendor's coverage.
#[derive(Debug, Clone, Serialize, Default)]
pub struct VendorCoverage {
    /// Every name seen, sorted by signal and name.
    pub names: Vec<NameCoverage>,
    /// Attribute keys seen on the vendor's items (resource keys as `resource.<key>`).
    pub attribute_keys_seen: usize,
    /// Keys left in `vendor_attributes` without being declared metadata.
    pub attribute_keys_unmapped: BTreeMap<String, UnmappedKey>,
}

/// A vendor attribute key with no canonical home.
#[derive(Debug, Clone, Serialize, Default)]
pub struct UnmappedKey {
    /// Where one occurrence is: capture, file, OTLP locator.
    pub example: (String, String, String),
    /// Whether `metadata_only` had to reduce a value of it to type and length (text, lists,
    /// maps); numbers and booleans are kept as they are.
    pub reduced: bool,
}

impl VendorCoverage {
    /// Names by status.
    pub fn count(&self, status: NameStatus) -> usize {
        self.names.iter().filter(|it| it.status == status).count()
    }

    /// The share of seen names whose items became canonical records (0 when nothing was seen).
    pub fn mapped_share(&self) -> f64 {
        share(self.count(NameStatus::Mapped), self.names.len())
    }

    /// The share of seen names that are mapped, known passthrough or ignored with a reason.
    pub fn covered_share(&self) -> f64 {
        share(self.names.iter().filter(|it| it.status.is_covered()).count(), self.names.len())
    }
}

fn share(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// The name of an item: a log's `event.name` attribute, else its name-like string body, else
/// its `eventName` field; a data point's metric name; a span's name.
pub fn item_name(item: &Item<'_>) -> String {
    match item.data {
        ItemData::Log(record) => log_name(record),
        ItemData::Point { metric, .. } => metric.name.to_string(),
        ItemData::Span(span) => span.name.to_string(),
    }
}

/// The name of a log record, as `codetel inspect` names it: its `event.name` attribute, else
/// its string body when that is short and has no spaces, else its `eventName` field.
pub fn log_name(record: &LogRecord) -> String {
    if let Some(AnyValue::String(name)) = find_attr(&record.attributes, "event.name") {
        return name.to_string();
    }
    if let Some(AnyValue::String(body)) = &record.body {
        if !body.is_empty() && body.len() <= 128 && !body.contains(char::is_whitespace) {
            return body.to_string();
        }
    }
    if !record.event_name.is_empty() {
        return record.event_name.to_string();
    }
    "(unnamed log record)".to_owned()
}

/// Measures one vendor's coverage over its captures.
pub fn of_vendor(vendor_run: &VendorRun<'_>) -> VendorCoverage {
    #[derive(Default)]
    struct Tally {
        items: usize,
        mapped: bool,
        passthrough: bool,
        unknown: bool,
        example: Option<(String, String, String)>,
    }
    let vendor = vendor_run.vendor;
    let mut names: BTreeMap<(Signal, String), Tally> = BTreeMap::new();
    let mut keys_seen: BTreeSet<String> = BTreeSet::new();
    let mut unmapped_keys: BTreeMap<String, UnmappedKey> = BTreeMap::new();
    for capture_run in &vendor_run.captures {
        let Ok(outputs) = &capture_run.outputs else { continue };
        let output = &outputs.metadata_only;
        let mut kinds: HashMap<ItemId, Vec<RecordKind>> = HashMap::new();
        for record in output.records.iter().filter(|it| it.vendor == vendor) {
            if let Some(id) = record.item {
                kinds.entry(id).or_default().push(record.kind);
            }
            for (key, value) in &record.vendor_attributes {
                let reduced = matches!(value, Value::Redacted(_));
                if record.vendor_metadata.contains(key) && !reduced {
                    continue;
                }
                let entry = unmapped_keys.entry(key.clone()).or_insert_with(|| {
                    let (file, locator) =
                        record.source.as_ref().map(|it| (it.file.clone(), it.locator.clone())).unwrap_or_default();
                    UnmappedKey { example: (capture_run.id.clone(), file, locator), reduced: false }
                });
                entry.reduced |= reduced;
            }
        }
        let unknown_at: BTreeSet<(String, String)> = output
            .findings
            .iter()
            .filter(|it| it.vendor == Some(vendor) && it.id.starts_with("unknown_") && it.id.ends_with("_name"))
            .filter_map(|it| it.location.as_ref().map(|at| (at.file.clone(), at.locator.clone())))
            .collect();
        for item in &capture_run.items {
            if capture_run.vendor_of(item) != Some(vendor) {
                continue;
            }
            for kv in item.attributes() {
                let _ = keys_seen.insert(kv.key.to_string());
            }
            for kv in &item.resource.attributes {
                let _ = keys_seen.insert(format!("resource.{}", kv.key));
            }
            let tally = names.entry((item.signal(), item_name(item))).or_default();
            tally.items += 1;
            let locator = item.locator();
            if tally.example.is_none() {
                tally.example = Some((capture_run.id.clone(), item.request.file.clone(), locator.clone()));
            }
            if unknown_at.contains(&(item.request.file.clone(), locator)) {
                tally.unknown = true;
            }
            for kind in kinds.get(&item.id).map(Vec::as_slice).unwrap_or_default() {
                if *kind == RecordKind::Passthrough {
                    tally.passthrough = true;
                } else {
                    tally.mapped = true;
                }
            }
        }
    }
    let names = names
        .into_iter()
        .map(|((signal, name), tally)| {
            let status = if tally.unknown {
                NameStatus::Unmapped
            } else if tally.mapped {
                NameStatus::Mapped
            } else if tally.passthrough {
                NameStatus::Passthrough
            } else {
                NameStatus::Ignored
            };
            NameCoverage {
                signal: signal.as_str().to_owned(),
                name,
                items: tally.items,
                status,
                example: tally.example.unwrap_or_default(),
            }
        })
        .collect();
    VendorCoverage { names, attribute_keys_seen: keys_seen.len(), attribute_keys_unmapped: unmapped_keys }
}
