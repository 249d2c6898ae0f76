//! `CA-SCHEMA-*`: every record is a well-formed instance of the canonical schema
//! (`src/schema`, `docs/schema.md`): declared keys, declared types, required attributes per
//! kind, canonical units, id formats, and the arithmetic the schema promises.
//!
//! Checked on the `full` output, the superset of every mode's keys (privacy only removes).

use std::collections::{BTreeMap, BTreeSet};

use crate::conformance::{CaptureRun, Observation};
use crate::schema::attributes::{self as attr, spec};
use crate::schema::{CanonicalRecord, RecordKind, Value};

use super::{about, describe};

fn full_records<'a>(run: &'a CaptureRun<'_>) -> &'a [CanonicalRecord] {
    match &run.outputs {
        Ok(outputs) => &outputs.full.records,
        Err(_) => &[],
    }
}

/// CA-SCHEMA-001.
pub(super) fn declared_keys(run: &CaptureRun<'_>) -> Vec<Observation> {
    let mut res = Vec::new();
    for record in full_records(run) {
        for key in record.attributes.keys() {
            if spec(key).is_none() {
                res.push(about(record, key, format!("`{}` sets `{key}`, which the canonical schema does not declare", describe(record))));
            }
        }
    }
    res
}

/// Whether `value` is an instance of the schema type `ty`. Doubles that are whole numbers are
/// written as integers (`plain_number`), so `double` accepts both.
pub(crate) fn has_type(value: &Value, ty: &str) -> bool {
    match ty {
        "string" => matches!(value, Value::Str(_)),
        "int" => matches!(value, Value::Int(_)),
        "double" => matches!(value, Value::Int(_) | Value::Double(_)),
        "bool" => matches!(value, Value::Bool(_)),
        "string[]" => matches!(value, Value::StrList(_)),
        _ => false,
    }
}

/// CA-SCHEMA-002.
pub(super) fn declared_types(run: &CaptureRun<'_>) -> Vec<Observation> {
    let mut res = Vec::new();
    for record in full_records(run) {
        for (key, value) in &record.attributes {
            let Some(spec) = spec(key) else { continue };
            if !has_type(value, spec.ty) {
                res.push(about(
                    record,
                    key,
                    format!("`{}` has `{key}` as {}, the schema says {}", describe(record), value.type_name(), spec.ty),
                ));
            }
        }
    }
    res
}

/// Keys every record carries.
const ALWAYS_REQUIRED: &[&str] = &[attr::VENDOR, attr::CAPTURE_MODE];

/// Keys a record of a kind cannot do without.
const REQUIRED: &[(RecordKind, &[&str])] = &[
    (RecordKind::Session, &[attr::SESSION_ID, attr::SESSION_RECORD_COUNT]),
    (RecordKind::ToolCall, &[attr::TOOL_NAME]),
    (RecordKind::ToolDecision, &[attr::TOOL_NAME, attr::DECISION]),
    (RecordKind::MetricPoint, &[attr::METRIC_NAME, attr::METRIC_SOURCE_NAME, attr::METRIC_UNIT, attr::METRIC_TEMPORALITY]),
    (RecordKind::Commit, &[attr::METRIC_NAME, attr::METRIC_SOURCE_NAME, attr::METRIC_TEMPORALITY, attr::COUNT]),
    (RecordKind::PullRequest, &[attr::METRIC_NAME, attr::METRIC_SOURCE_NAME, attr::METRIC_TEMPORALITY, attr::COUNT]),
];

/// Keys a record of a kind should carry when the vendor sends them.
const RECOMMENDED: &[(RecordKind, &[&str])] = &[
    (RecordKind::LlmCall, &[attr::REQUEST_MODEL, attr::PROVIDER_NAME, attr::INPUT_TOKENS, attr::OUTPUT_TOKENS]),
    (RecordKind::ApiError, &[attr::ERROR_TYPE]),
    (RecordKind::ToolCall, &[attr::TOOL_CALL_ID, attr::TOOL_CATEGORY]),
    (RecordKind::ToolDecision, &[attr::TOOL_CALL_ID]),
    (RecordKind::MetricPoint, &[attr::METRIC_VALUE]),
];

fn missing(record: &CanonicalRecord, keys: &[&'static str]) -> Vec<&'static str> {
    keys.iter().copied().filter(|key| !record.attributes.contains_key(key)).collect()
}

/// CA-SCHEMA-003.
pub(super) fn required_attributes(run: &CaptureRun<'_>) -> Vec<Observation> {
    let mut res = Vec::new();
    for record in full_records(run) {
        let by_kind = REQUIRED.iter().find(|it| it.0 == record.kind).map(|it| it.1).unwrap_or_default();
        for key in missing(record, ALWAYS_REQUIRED).into_iter().chain(missing(record, by_kind)) {
            res.push(about(record, key, format!("`{}` has no `{key}`, which its kind requires", describe(record))));
        }
        match (&record.item, &record.source) {
            (Some(_), None) => res.push(about(record, "", format!("`{}` names an input item but has no source", describe(record)))),
            (None, Some(_)) => res.push(about(record, "", format!("`{}` has a source but names no input item", describe(record)))),
            (None, None) if record.kind != RecordKind::Session => res.push(about(
                record,
                "",
                format!("a derived `{}` record: only session records may be derived", record.kind.as_str()),
            )),
            (Some(_), Some(source)) if source.name.trim().is_empty() => {
                res.push(about(record, "", format!("`{}` has a source without the vendor's name", describe(record))))
            }
            _ => {}
        }
    }
    res
}

/// CA-SCHEMA-004. One message per (kind, key) in a capture, naming the vendor names whose
/// records lack the key, so a vendor that never sends it gives one aggregated finding, not
/// one per metric.
pub(super) fn recommended_attributes(run: &CaptureRun<'_>) -> Vec<Observation> {
    let mut lacking: BTreeMap<(RecordKind, &'static str), Vec<&CanonicalRecord>> = BTreeMap::new();
    for record in full_records(run) {
        let mut keys: Vec<&'static str> =
            RECOMMENDED.iter().find(|it| it.0 == record.kind).map(|it| it.1.to_vec()).unwrap_or_default();
        if record.kind != RecordKind::Passthrough {
            keys.push(attr::SESSION_ID);
            keys.push(attr::VENDOR_VERSION);
        }
        for key in keys {
            if !record.attributes.contains_key(key) {
                lacking.entry((record.kind, key)).or_default().push(record);
            }
        }
    }
    let mut res = Vec::new();
    for ((kind, key), records) in lacking {
        let names: BTreeSet<&str> =
            records.iter().map(|it| it.source.as_ref().map(|source| source.name.as_str()).unwrap_or("(derived)")).collect();
        let mut listed: Vec<&str> = names.iter().copied().take(5).collect();
        if names.len() > listed.len() {
            listed.push("…");
        }
        let message = format!(
            "`{}` records have no `{key}` ({} vendor name(s): {})",
            kind.as_str(),
            names.len(),
            listed.join(", ")
        );
        res.extend(records.into_iter().map(|record| about(record, key, message.clone())));
    }
    res
}

/// Units a canonical metric value may have, besides UCUM annotations of a count (`{turn}`).
pub const CANONICAL_UNITS: &[&str] = &["1", "micro-USD", "s", "ms", "ns", "By"];

/// Whether a unit is canonical: one of [`CANONICAL_UNITS`], or a count annotated the UCUM way
/// (`{token}`, `{char}`, `{turn}`): braces around lowercase words.
pub fn is_canonical_unit(unit: &str) -> bool {
    CANONICAL_UNITS.contains(&unit)
        || unit.strip_prefix('{').and_then(|it| it.strip_suffix('}')).is_some_and(|inner| {
            !inner.is_empty() && inner.chars().all(|it| it.is_ascii_lowercase() || it == '_')
        })
}

/// Canonical metrics whose unit is fixed, because other rules add them up.
const FIXED_UNITS: &[(&str, &str)] = &[("coding_agent.cost.usage", "micro-USD"), ("coding_agent.token.usage", "{token}")];

fn text<'a>(record: &'a CanonicalRecord, key: &str) -> Option<&'a str> {
    match record.attributes.get(key) {
        Some(Value::Str(it)) => Some(it),
        _ => None,
    }
}

/// CA-SCHEMA-005.
pub(super) fn canonical_units(run: &CaptureRun<'_>) -> Vec<Observation> {
    let mut res = Vec::new();
    for record in full_records(run) {
        let Some(unit) = text(record, attr::METRIC_UNIT) else { continue };
        let name = text(record, attr::METRIC_NAME).unwrap_or_default();
        let unmapped = Some(name) == text(record, attr::METRIC_SOURCE_NAME);
        if let Some((_, fixed)) = FIXED_UNITS.iter().find(|it| it.0 == name) {
            if unit != *fixed {
                res.push(about(record, attr::METRIC_UNIT, format!("metric `{name}` is in `{unit}`; it must be in `{fixed}`")));
            }
        } else if unit.is_empty() && unmapped {
            // An unmapped metric keeps the vendor's name and no unit; CA-COV-001 reports it.
        } else if !is_canonical_unit(unit) {
            res.push(about(
                record,
                attr::METRIC_UNIT,
                format!("metric `{name}` has unit `{unit}`, not one of {} nor a count annotation like `{{turn}}`", CANONICAL_UNITS.join(", ")),
            ));
        }
    }
    res
}

fn is_id(text: &str, hex_len: usize) -> bool {
    text.len() == hex_len
        && text.bytes().all(|it| it.is_ascii_digit() || (b'a'..=b'f').contains(&it))
        && text.bytes().any(|it| it != b'0')
}

/// CA-SCHEMA-006.
pub(super) fn id_formats(run: &CaptureRun<'_>) -> Vec<Observation> {
    let mut res = Vec::new();
    for record in full_records(run) {
        for (key, hex_len) in [(attr::TRACE_ID, 32), (attr::SPAN_ID, 16), (attr::PARENT_SPAN_ID, 16)] {
            if let Some(value) = record.attributes.get(key) {
                let ok = matches!(value, Value::Str(text) if is_id(text, hex_len));
                if !ok {
                    res.push(about(
                        record,
                        key,
                        format!("`{}` has a `{key}` that is not {hex_len} lowercase hex digits (or is all zero)", describe(record)),
                    ));
                }
            }
        }
    }
    res
}

/// CA-SCHEMA-007.
pub(super) fn top_level_agrees(run: &CaptureRun<'_>) -> Vec<Observation> {
    let mut res = Vec::new();
    for record in full_records(run) {
        if record.session_id.as_deref() != text(record, attr::SESSION_ID) {
            res.push(about(
                record,
                attr::SESSION_ID,
                format!("`{}`: the record's session_id and its `{}` attribute differ", describe(record), attr::SESSION_ID),
            ));
        }
        if text(record, attr::VENDOR) != Some(record.vendor) {
            res.push(about(
                record,
                attr::VENDOR,
                format!("`{}`: the `{}` attribute is not the record's vendor `{}`", describe(record), attr::VENDOR, record.vendor),
            ));
        }
        if crate::adapters::by_name(record.vendor).is_none() {
            res.push(about(record, "", format!("vendor `{}` of `{}` is no registered adapter", record.vendor, describe(record))));
        }
    }
    res
}

/// Integer keys that count something, besides every integer key with a unit.
const COUNTS: &[&str] = &[attr::COUNT, attr::SESSION_RECORD_COUNT, attr::METRIC_COUNT, attr::ATTEMPT];

/// CA-SCHEMA-008.
pub(super) fn non_negative(run: &CaptureRun<'_>) -> Vec<Observation> {
    let mut res = Vec::new();
    for record in full_records(run) {
        for (key, value) in &record.attributes {
            let Some(spec) = spec(key) else { continue };
            let counted = spec.ty == "int" && (!spec.unit.is_empty() || COUNTS.contains(key));
            if counted && matches!(value, Value::Int(it) if *it < 0) {
                res.push(about(record, key, format!("`{}` has a negative `{key}`", describe(record))));
            }
        }
    }
    res
}

fn int(record: &CanonicalRecord, key: &str) -> Option<i64> {
    match record.attributes.get(key) {
        Some(Value::Int(it)) => Some(*it),
        _ => None,
    }
}

/// CA-SCHEMA-009.
pub(super) fn token_subsets(run: &CaptureRun<'_>) -> Vec<Observation> {
    let mut res = Vec::new();
    for record in full_records(run) {
        if let Some(input) = int(record, attr::INPUT_TOKENS) {
            let cached = int(record, attr::CACHE_READ_INPUT_TOKENS).unwrap_or(0)
                + int(record, attr::CACHE_CREATION_INPUT_TOKENS).unwrap_or(0);
            if cached > input {
                res.push(about(
                    record,
                    attr::INPUT_TOKENS,
                    format!("`{}`: cache read + cache creation tokens exceed `{}` (input must include them)", describe(record), attr::INPUT_TOKENS),
                ));
            }
        }
        if let (Some(output), Some(reasoning)) = (int(record, attr::OUTPUT_TOKENS), int(record, attr::REASONING_OUTPUT_TOKENS)) {
            if reasoning > output {
                res.push(about(
                    record,
                    attr::REASONING_OUTPUT_TOKENS,
                    format!("`{}`: reasoning tokens exceed `{}`", describe(record), attr::OUTPUT_TOKENS),
                ));
            }
        }
    }
    res
}

/// CA-SCHEMA-010.
pub(super) fn item_records_have_time(run: &CaptureRun<'_>) -> Vec<Observation> {
    full_records(run)
        .iter()
        .filter(|record| record.item.is_some() && record.time_unix_nano.is_none())
        .map(|record| about(record, "", format!("`{}` has no time", describe(record))))
        .collect()
}
