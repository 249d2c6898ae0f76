//! The privacy layer: enforces a [`CaptureMode`] on canonical records after the adapter built them.
//!
//! What each mode keeps (canonical keys by their [`Class`], vendor attributes by value type):
//!
//! | | Metadata | Identity | Content | vendor string/array/map/bytes | vendor number/bool |
//! |---|---|---|---|---|---|
//! | `full` | kept | kept | kept | kept | kept |
//! | `metadata_only` (default) | kept | kept | removed | reduced to wire type + length | kept |
//! | `minimal` | kept | removed | removed | removed | removed |
//!
//! Vendor attributes are those the schema does not know, so the layer cannot tell whether they
//! hold content: they are denied by default. A key in `attributes` that the schema does not know
//! is treated as Content for the same reason (fail closed).
//!
//! In every mode the secret scrubber ([`secrets`]) then runs over every string that is left:
//! canonical and vendor values, strings inside [`Value::StrList`] and [`Value::Json`], JSON map
//! keys, vendor attribute keys, the session id and the source reference.
//!
//! The [`PrivacyReport`] says what was done (keys removed, vendor attributes reduced or removed,
//! secrets by kind, all with counts) and never holds a value.

pub mod secrets;

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::Serialize;

pub use secrets::{scrub_json, scrub_string, scrub_text, ScrubMemo, SecretCounts, SecretKind};

use crate::schema::attributes::{self, Class};
use crate::schema::{CanonicalRecord, CaptureMode, Redacted, Value};

/// What the privacy layer did to one record or, merged, to many. Holds keys and counts, never values.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PrivacyReport {
    /// How many records the report covers.
    pub records: usize,
    /// Canonical keys of class Content removed, with how many records lost each.
    pub content_keys_removed: BTreeMap<&'static str, usize>,
    /// Canonical keys of class Identity removed (`minimal`), with how many records lost each.
    pub identity_keys_removed: BTreeMap<&'static str, usize>,
    /// Keys in `attributes` that the schema does not define, removed as if Content; each one is
    /// an adapter bug worth a finding.
    pub unknown_keys_removed: BTreeMap<&'static str, usize>,
    /// Vendor attributes reduced to wire type and length (`metadata_only`), by (scrubbed) key.
    pub vendor_attributes_reduced: BTreeMap<String, usize>,
    /// Vendor attributes removed entirely (`minimal`), by (scrubbed) key.
    pub vendor_attributes_removed: BTreeMap<String, usize>,
    /// Secrets replaced by `[REDACTED:<kind>]` in what was kept, by kind.
    pub secrets_scrubbed: SecretCounts,
    /// Vendor attribute keys that read as text rather than names, withheld (`metadata_only`;
    /// see [`looks_like_a_name`]).
    pub vendor_keys_withheld: usize,
}

impl PrivacyReport {
    /// Adds `other`'s counts to this report.
    pub fn merge(&mut self, other: PrivacyReport) {
        self.records += other.records;
        add_counts(&mut self.content_keys_removed, other.content_keys_removed);
        add_counts(&mut self.identity_keys_removed, other.identity_keys_removed);
        add_counts(&mut self.unknown_keys_removed, other.unknown_keys_removed);
        add_counts(&mut self.vendor_attributes_reduced, other.vendor_attributes_reduced);
        add_counts(&mut self.vendor_attributes_removed, other.vendor_attributes_removed);
        add_counts(&mut self.secrets_scrubbed, other.secrets_scrubbed);
        self.vendor_keys_withheld += other.vendor_keys_withheld;
    }

    /// How many vendor attribute values were reduced to type and length, over all keys.
    pub fn vendor_attributes_reduced_total(&self) -> usize {
        self.vendor_attributes_reduced.values().sum()
    }

    /// How many vendor attribute values were removed, over all keys.
    pub fn vendor_attributes_removed_total(&self) -> usize {
        self.vendor_attributes_removed.values().sum()
    }

    /// How many secrets were scrubbed, over all kinds.
    pub fn secrets_scrubbed_total(&self) -> usize {
        self.secrets_scrubbed.values().sum()
    }
}

fn add_counts<K: Ord>(into: &mut BTreeMap<K, usize>, from: BTreeMap<K, usize>) {
    for (key, count) in from {
        *into.entry(key).or_default() += count;
    }
}

/// Whether `mode` keeps canonical keys of `class`.
pub fn keeps_class(mode: CaptureMode, class: Class) -> bool {
    match class {
        Class::Metadata => true,
        Class::Identity => mode != CaptureMode::Minimal,
        Class::Content => mode == CaptureMode::Full,
    }
}

/// Applies `mode` to one record: stamps the mode, removes or reduces what the mode does not
/// keep, and scrubs secrets from the rest. Idempotent: applying it twice equals applying it once.
pub fn apply(mode: CaptureMode, record: &mut CanonicalRecord) -> PrivacyReport {
    let mut report = PrivacyReport::default();
    apply_into(mode, record, &mut report);
    report
}

/// [`apply`], adding what was done to `report`. Counting into one running report allocates a
/// vendor key once per report instead of once per record (a per-record report merged later
/// holds its own copy of every key it counts).
pub fn apply_into(mode: CaptureMode, record: &mut CanonicalRecord, report: &mut PrivacyReport) {
    apply_into_with(mode, record, report, &mut ScrubMemo::default());
}

/// [`apply_into`], scrubbing through `memo`: callers that apply a mode to many records share
/// one, so the keys, names and ids that recur on them are scanned for secrets once (the
/// output and the counts are the same as without it).
pub fn apply_into_with(mode: CaptureMode, record: &mut CanonicalRecord, report: &mut PrivacyReport, memo: &mut ScrubMemo) {
    report.records += 1;
    record.capture_mode = mode;
    filter_canonical(mode, record, report);
    // Stamped after filtering: it is Metadata, and an adapter's stale value must not survive.
    record.attributes.insert(attributes::CAPTURE_MODE, Value::Str(mode.as_str().to_owned()));
    filter_vendor(mode, record, report, memo);
    scrub_record(record, &mut report.secrets_scrubbed, memo);
}

/// Applies `mode` to every record (see [`apply`]) and returns the merged report.
pub fn apply_all(mode: CaptureMode, records: &mut [CanonicalRecord]) -> PrivacyReport {
    let mut report = PrivacyReport::default();
    let mut memo = ScrubMemo::default();
    for record in records {
        apply_into_with(mode, record, &mut report, &mut memo);
    }
    report
}

/// Each canonical key's class, for constant-time lookups (the schema table is a list).
static CLASS_BY_KEY: LazyLock<foldhash::HashMap<&'static str, Class>> =
    LazyLock::new(|| attributes::ALL.iter().map(|it| (it.key, it.class)).collect());

fn filter_canonical(mode: CaptureMode, record: &mut CanonicalRecord, report: &mut PrivacyReport) {
    let class_of = |key: &str| CLASS_BY_KEY.get(key).copied();
    // Most records hold nothing the mode removes: a read-only pass first, since `retain` on a
    // B-tree costs several times a plain walk (it showed in profiles of `normalize`).
    if record.attributes.keys().all(|key| keeps_class(mode, class_of(key).unwrap_or(Class::Content))) {
        return;
    }
    record.attributes.retain(|key, _| {
        let class = class_of(key);
        let keep = keeps_class(mode, class.unwrap_or(Class::Content));
        if !keep {
            let removed = match class {
                Some(Class::Identity) => &mut report.identity_keys_removed,
                Some(Class::Content) => &mut report.content_keys_removed,
                // Metadata is always kept; an unknown key is treated as Content but named apart.
                Some(Class::Metadata) | None => &mut report.unknown_keys_removed,
            };
            *removed.entry(*key).or_default() += 1;
        }
        keep
    });
}

/// Whether a vendor attribute key reads as a name (`gen_ai.request.model`,
/// `resource.host.name`, `http.response.header.x-request-id`) rather than as text: letters,
/// digits and `_ . - / @ : [ ] # $ +`, at most 128 characters. Every key the real CLIs of
/// the corpus send does; a key with spaces, quotes or other punctuation is text put in the
/// place of a name, which may be content.
pub fn looks_like_a_name(key: &str) -> bool {
    const PUNCTUATION: &[u8] = b"_.-/@:[]#$+";
    // Which ASCII bytes a name may hold, as a table: this runs for each vendor key of each
    // record, and every vendor key seen is ASCII; other text goes through `chars`.
    const NAME_BYTE: [bool; 128] = {
        let mut table = [false; 128];
        let mut byte = 0;
        while byte < 128 {
            let it = byte as u8;
            table[byte] = it.is_ascii_alphanumeric();
            byte += 1;
        }
        let mut index = 0;
        while index < PUNCTUATION.len() {
            table[PUNCTUATION[index] as usize] = true;
            index += 1;
        }
        table
    };
    key.len() <= 128
        && (key.bytes().all(|it| it < 128 && NAME_BYTE[usize::from(it)])
            || key.chars().all(|it| {
                it.is_alphanumeric() || (it.is_ascii() && PUNCTUATION.contains(&(it as u8)))
            }))
}

fn filter_vendor(mode: CaptureMode, record: &mut CanonicalRecord, report: &mut PrivacyReport, memo: &mut ScrubMemo) {
    // The key survives in every mode but `minimal` (and in the report), so it is scrubbed
    // first. In `metadata_only` a key that is text, not a name, is withheld whole: it is
    // renamed `withheld_key.<n>` (n counting such keys of the record in key order), since
    // scrubbing removes secrets, not prompts or paths. `renamed` is what becomes of one key,
    // `None` for a key kept as it is; each key goes through it once.
    let mut renamed = |key: &str, withheld: &mut usize, report: &mut PrivacyReport| -> Option<String> {
        if memo.is_plain_key(key) {
            return None;
        }
        if mode == CaptureMode::MetadataOnly && !looks_like_a_name(key) {
            *withheld += 1;
            return Some(format!("withheld_key.{withheld}"));
        }
        match memo.scrub_text(key, true, &mut report.secrets_scrubbed) {
            std::borrow::Cow::Owned(scrubbed) => Some(scrubbed),
            std::borrow::Cow::Borrowed(_) => {
                if looks_like_a_name(key) && !secrets::is_secret_key(key) {
                    memo.remember_plain_key(key);
                }
                None
            }
        }
    };
    // Keys almost never change: they are looked at one by one, and the map is rebuilt (from
    // the first changed key on, with every key's fate) only when one does.
    let mut withheld = 0usize;
    let first_renamed = record.vendor_attributes.keys().enumerate().find_map(|(index, key)| {
        renamed(key, &mut withheld, report).map(|it| (index, it))
    });
    if let Some((first_index, first_key)) = first_renamed {
        let mut first_key = Some(first_key);
        let vendor_attributes = std::mem::take(&mut record.vendor_attributes);
        for (index, (key, value)) in vendor_attributes.into_iter().enumerate() {
            let scrubbed = match index.cmp(&first_index) {
                std::cmp::Ordering::Less => None,
                std::cmp::Ordering::Equal => first_key.take(),
                std::cmp::Ordering::Greater => renamed(&key, &mut withheld, report),
            };
            let declared_metadata = record.vendor_metadata.contains(&key) && is_scalar(&value);
            let key = scrubbed.unwrap_or(key);
            // A scrubbed key that collides with another keeps the first value, like JSON maps do.
            if let Some(value) = filter_vendor_value(mode, &key, value, declared_metadata, report) {
                record.vendor_attributes.entry(key).or_insert(value);
            }
        }
        report.vendor_keys_withheld += withheld;
        return;
    }
    if mode == CaptureMode::Minimal {
        for key in std::mem::take(&mut record.vendor_attributes).into_keys() {
            count_key(&mut report.vendor_attributes_removed, key);
        }
        return;
    }
    if mode == CaptureMode::Full {
        return;
    }
    for (key, value) in &mut record.vendor_attributes {
        if record.vendor_metadata.contains(key) && is_scalar(value) {
            continue;
        }
        let reduced = reduce(std::mem::replace(value, Value::Bool(false)));
        *value = reduced.value;
        if reduced.changed {
            count_key_ref(&mut report.vendor_attributes_reduced, key);
        }
    }
}

/// What `mode` keeps of one vendor value (the slow path, for records with a scrubbed key).
fn filter_vendor_value(
    mode: CaptureMode,
    key: &str,
    value: Value,
    declared_metadata: bool,
    report: &mut PrivacyReport,
) -> Option<Value> {
    match mode {
        CaptureMode::Full => Some(value),
        CaptureMode::MetadataOnly if declared_metadata => Some(value),
        CaptureMode::MetadataOnly => {
            let reduced = reduce(value);
            if reduced.changed {
                count_key_ref(&mut report.vendor_attributes_reduced, key);
            }
            Some(reduced.value)
        }
        CaptureMode::Minimal => {
            count_key_ref(&mut report.vendor_attributes_removed, key);
            None
        }
    }
}

fn count_key(counts: &mut BTreeMap<String, usize>, key: String) {
    *counts.entry(key).or_default() += 1;
}

/// Counts `key`, allocating only the first time it is seen.
fn count_key_ref(counts: &mut BTreeMap<String, usize>, key: &str) {
    match counts.get_mut(key) {
        Some(count) => *count += 1,
        None => {
            let _ = counts.insert(key.to_owned(), 1);
        }
    }
}

/// Whether a value is one scalar (a declared-metadata key may keep only such values: a list
/// or map under a metadata key is still reduced, whatever the adapter said).
fn is_scalar(value: &Value) -> bool {
    value.bytes_len().is_none()
        && matches!(value, Value::Str(_) | Value::Int(_) | Value::Double(_) | Value::Bool(_))
}

/// A vendor value after `metadata_only`, and whether reduction changed it.
struct Reduced {
    value: Value,
    changed: bool,
}

/// What `metadata_only` keeps of a vendor value: numbers, booleans and nulls as they are (they
/// carry no text); strings, arrays, maps and bytes as their wire type and length. The match is
/// exhaustive on purpose: a new [`Value`] variant must decide here what it reveals.
fn reduce(value: Value) -> Reduced {
    let redacted = |wire_type: &'static str, length: usize| Reduced {
        value: Value::Redacted(Redacted { redacted: wire_type, length }),
        changed: true,
    };
    if let Some(length) = value.bytes_len() {
        return redacted("bytesValue", length);
    }
    match value {
        Value::Str(text) => redacted("stringValue", text.chars().count()),
        Value::StrList(items) => redacted("arrayValue", items.len()),
        Value::Json(serde_json::Value::String(text)) => redacted("stringValue", text.chars().count()),
        Value::Json(serde_json::Value::Array(items)) => redacted("arrayValue", items.len()),
        Value::Json(serde_json::Value::Object(map)) => redacted("kvlistValue", map.len()),
        kept @ (Value::Json(serde_json::Value::Null | serde_json::Value::Bool(_) | serde_json::Value::Number(_))
        | Value::Int(_)
        | Value::Double(_)
        | Value::Bool(_)
        | Value::Redacted(_)) => Reduced { value: kept, changed: false },
    }
}

fn scrub_record(record: &mut CanonicalRecord, found: &mut SecretCounts, memo: &mut ScrubMemo) {
    if let Some(session_id) = &mut record.session_id {
        memo.scrub_string(session_id, true, found);
    }
    if let Some(source) = &mut record.source {
        memo.scrub_string(&mut source.file, true, found);
        // A locator names one item: it never recurs, so it is not remembered.
        memo.scrub_string(&mut source.locator, false, found);
        memo.scrub_string(&mut source.name, true, found);
    }
    for value in record.attributes.values_mut() {
        scrub_value(value, found, memo);
    }
    for (key, value) in &mut record.vendor_attributes {
        scrub_value(value, found, memo);
        // Structured vendor data has no `password=` text for the patterns to see: the key says
        // it. (A plain key, see `ScrubMemo::is_plain_key`, names no secret.)
        if let Value::Str(text) = value {
            if !memo.is_plain_key(key) {
                secrets::redact_string_if_secret_key(key, text, found);
            }
        }
    }
}

fn scrub_value(value: &mut Value, found: &mut SecretCounts, memo: &mut ScrubMemo) {
    match value {
        Value::Str(text) => memo.scrub_string(text, true, found),
        Value::StrList(items) => items.iter_mut().for_each(|it| memo.scrub_string(it, true, found)),
        Value::Json(json) => scrub_json(json, found),
        Value::Int(_) | Value::Double(_) | Value::Bool(_) | Value::Redacted(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_policy_matches_the_mode_table() {
        use CaptureMode::*;
        let table = [
            (Full, [true, true, true]),
            (MetadataOnly, [true, true, false]),
            (Minimal, [true, false, false]),
        ];
        for (mode, expected) in table {
            let actual = [Class::Metadata, Class::Identity, Class::Content].map(|class| keeps_class(mode, class));
            assert_eq!(actual, expected, "{mode:?}");
        }
    }

    #[test]
    fn reduction_reports_wire_type_and_length() {
        let cases = [
            (Value::Str("héllo".into()), Some(("stringValue", 5))),
            (Value::StrList(vec!["a".into(), "b".into()]), Some(("arrayValue", 2))),
            (Value::Json(serde_json::json!([1, 2, 3])), Some(("arrayValue", 3))),
            (Value::Json(serde_json::json!({"a": 1})), Some(("kvlistValue", 1))),
            (Value::Json(serde_json::json!("text")), Some(("stringValue", 4))),
            (Value::from_bytes(&[0, 1, 2, 3]), Some(("bytesValue", 4))),
            (Value::Json(serde_json::json!(7)), None),
            (Value::Json(serde_json::Value::Null), None),
            (Value::Int(7), None),
            (Value::Double(0.5), None),
            (Value::Bool(true), None),
        ];
        for (value, expected) in cases {
            let reduced = reduce(value.clone());
            match expected {
                Some((wire_type, length)) => {
                    assert!(reduced.changed);
                    assert_eq!(reduced.value, Value::Redacted(Redacted { redacted: wire_type, length }), "{value:?}");
                }
                None => {
                    assert!(!reduced.changed);
                    assert_eq!(reduced.value, value);
                }
            }
        }
    }
}
