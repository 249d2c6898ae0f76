//! `CA-PRIV-*`: what each capture mode may keep, checked on the output of every mode, from
//! the schema's privacy classes and the capture's own canaries, not from the privacy layer's
//! report: a privacy bug must not be able to vouch for itself.

use crate::conformance::{CaptureRun, Observation};
use crate::finding::Finding;
use crate::privacy::secrets::{self, SecretCounts};
use crate::schema::attributes::{self as attr, spec, Class};
use crate::schema::{CanonicalRecord, CaptureMode, Value};

use super::{about, describe};

fn outputs_in<'a>(
    run: &'a CaptureRun<'_>,
    modes: &'a [CaptureMode],
) -> impl Iterator<Item = (CaptureMode, &'a crate::normalize::Output)> + 'a {
    run.outputs.iter().flat_map(move |outputs| modes.iter().map(move |mode| (*mode, outputs.get(*mode))))
}

/// CA-PRIV-001.
pub(super) fn no_content_keys(run: &CaptureRun<'_>) -> Vec<Observation> {
    let mut res = Vec::new();
    for (mode, output) in outputs_in(run, &[CaptureMode::MetadataOnly, CaptureMode::Minimal]) {
        for record in &output.records {
            for key in record.attributes.keys() {
                let class = spec(key).map(|it| it.class);
                if matches!(class, Some(Class::Content) | None) {
                    let what = if class.is_none() { "an undeclared key (treated as content)" } else { "a content key" };
                    res.push(about(record, key, format!("`{}` keeps `{key}`, {what}, in {}", describe(record), mode.as_str())));
                }
            }
        }
    }
    res
}

/// CA-PRIV-002.
pub(super) fn minimal_is_minimal(run: &CaptureRun<'_>) -> Vec<Observation> {
    let mut res = Vec::new();
    for (_, output) in outputs_in(run, &[CaptureMode::Minimal]) {
        for record in &output.records {
            for key in record.attributes.keys() {
                if spec(key).map(|it| it.class) == Some(Class::Identity) {
                    res.push(about(record, key, format!("`{}` keeps identity key `{key}` in minimal", describe(record))));
                }
            }
            for key in record.vendor_attributes.keys() {
                res.push(about(record, key, format!("`{}` keeps a vendor attribute in minimal", describe(record))));
            }
        }
    }
    res
}

/// Whether `metadata_only` may show this vendor value as it is.
fn shows_no_text(value: &Value) -> bool {
    match value {
        Value::Int(_) | Value::Double(_) | Value::Bool(_) | Value::Redacted(_) => true,
        Value::Json(json) => value.bytes_len().is_none() && (json.is_null() || json.is_boolean() || json.is_number()),
        Value::Str(_) | Value::StrList(_) => false,
    }
}

/// CA-PRIV-003.
pub(super) fn vendor_text_reduced(run: &CaptureRun<'_>) -> Vec<Observation> {
    let mut res = Vec::new();
    for (_, output) in outputs_in(run, &[CaptureMode::MetadataOnly]) {
        for record in &output.records {
            for (key, value) in &record.vendor_attributes {
                if !crate::privacy::looks_like_a_name(key) {
                    // The key itself is the text: the observation does not quote it.
                    res.push(about(
                        record,
                        "(a key that reads as text)",
                        format!("`{}` keeps a vendor attribute key that reads as text in metadata_only", describe(record)),
                    ));
                }
                let declared_scalar = record.vendor_metadata.contains(key) && matches!(value, Value::Str(_));
                if !shows_no_text(value) && !declared_scalar {
                    res.push(about(
                        record,
                        key,
                        format!("`{}` keeps the text of an undeclared vendor attribute in metadata_only", describe(record)),
                    ));
                }
            }
        }
    }
    res
}

fn record_text(record: &CanonicalRecord) -> String {
    serde_json::to_string(record).unwrap_or_default()
}

fn findings_text(findings: &[Finding]) -> String {
    serde_json::to_string(findings).unwrap_or_default()
}

/// CA-PRIV-004.
pub(super) fn no_canary(run: &CaptureRun<'_>) -> Vec<Observation> {
    let Some(manifest) = &run.capture.manifest else { return Vec::new() };
    let canaries: Vec<&str> = manifest.canaries.iter().map(String::as_str).filter(|it| !it.is_empty()).collect();
    let mut res = Vec::new();
    for (mode, output) in outputs_in(run, &CaptureMode::ALL) {
        // In `full` the records may hold content on purpose; findings never may.
        if mode != CaptureMode::Full {
            for record in &output.records {
                let text = record_text(record);
                for (index, canary) in canaries.iter().enumerate() {
                    if text.contains(canary) {
                        res.push(about(
                            record,
                            "",
                            format!("planted canary #{} survives {} in `{}`", index + 1, mode.as_str(), describe(record)),
                        ));
                    }
                }
            }
        }
        let text = findings_text(&output.findings);
        for (index, canary) in canaries.iter().enumerate() {
            if text.contains(canary) {
                res.push(Observation::new(format!("planted canary #{} is quoted by a finding in {}", index + 1, mode.as_str())));
            }
        }
    }
    res
}

fn secrets_in_value(value: &Value, found: &mut SecretCounts) {
    match value {
        Value::Str(text) => {
            let _ = secrets::scrub_text(text, found);
        }
        Value::StrList(items) => {
            for item in items {
                let _ = secrets::scrub_text(item, found);
            }
        }
        Value::Json(json) => {
            let mut copy = json.clone();
            secrets::scrub_json(&mut copy, found);
        }
        Value::Int(_) | Value::Double(_) | Value::Bool(_) | Value::Redacted(_) => {}
    }
}

/// Secrets the scrubber would still find in a record.
fn secrets_in(record: &CanonicalRecord) -> SecretCounts {
    let mut found = SecretCounts::new();
    for text in record.session_id.iter() {
        let _ = secrets::scrub_text(text, &mut found);
    }
    if let Some(source) = &record.source {
        for text in [&source.file, &source.locator, &source.name] {
            let _ = secrets::scrub_text(text, &mut found);
        }
    }
    for value in record.attributes.values() {
        secrets_in_value(value, &mut found);
    }
    for (key, value) in &record.vendor_attributes {
        let _ = secrets::scrub_text(key, &mut found);
        secrets_in_value(value, &mut found);
        if let Value::Str(text) = value {
            let mut copy = text.clone();
            let _ = secrets::redact_string_if_secret_key(key, &mut copy, &mut found);
        }
    }
    found
}

/// Values of the run's environment that name a secret (`ANTHROPIC_API_KEY`), long enough
/// not to match by chance.
fn env_secrets(run: &CaptureRun<'_>) -> Vec<(String, String)> {
    let Some(manifest) = &run.capture.manifest else { return Vec::new() };
    manifest
        .env
        .iter()
        .filter(|(key, value)| secrets::is_secret_key(key) && value.len() >= 8 && !value.starts_with('$'))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect()
}

/// CA-PRIV-005.
pub(super) fn no_secrets(run: &CaptureRun<'_>) -> Vec<Observation> {
    let env = env_secrets(run);
    let mut res = Vec::new();
    for (mode, output) in outputs_in(run, &CaptureMode::ALL) {
        for record in &output.records {
            for (kind, _) in secrets_in(record) {
                res.push(about(record, "", format!("a {} survives {} in `{}`", kind.as_str(), mode.as_str(), describe(record))));
            }
            let text = record_text(record);
            for (key, value) in &env {
                if text.contains(value.as_str()) {
                    res.push(about(record, "", format!("the value of ${key} survives {} in `{}`", mode.as_str(), describe(record))));
                }
            }
        }
        let text = findings_text(&output.findings);
        let mut found = SecretCounts::new();
        let _ = secrets::scrub_text(&text, &mut found);
        for (kind, _) in found {
            res.push(Observation::new(format!("a finding quotes a {} in {}", kind.as_str(), mode.as_str())));
        }
    }
    res
}

/// CA-PRIV-006.
pub(super) fn mode_stamped(run: &CaptureRun<'_>) -> Vec<Observation> {
    let mut res = Vec::new();
    for (mode, output) in outputs_in(run, &CaptureMode::ALL) {
        for record in &output.records {
            let stamped = matches!(record.attributes.get(attr::CAPTURE_MODE), Some(Value::Str(it)) if it == mode.as_str());
            if record.capture_mode != mode || !stamped {
                res.push(about(
                    record,
                    attr::CAPTURE_MODE,
                    format!("`{}` produced in {} is not stamped {} (field and attribute)", describe(record), mode.as_str(), mode.as_str()),
                ));
            }
        }
    }
    res
}
