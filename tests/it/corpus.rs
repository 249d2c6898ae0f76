//! Corpus tests: every capture normalizes to reviewed snapshots, every input item is
//! accounted for, and no planted canary survives the default capture mode.
//!
//! Snapshots are named explicitly from vendor, version, scenario and mode
//! (`snapshots/<vendor>/<version>/<scenario>.<mode>.snap`), so adding a capture never renames
//! another one; a snapshot with no capture behind it fails `snapshots_have_captures`.

use std::collections::BTreeSet;

use codetel::normalize::{self, Options};
use codetel::schema::CaptureMode;

use crate::support::{capture_id, corpus_dirs, load, root};

/// The modes every capture is snapshotted in.
const SNAPSHOT_MODES: [CaptureMode; 2] = [CaptureMode::MetadataOnly, CaptureMode::Full];

#[test]
fn corpus_is_not_empty() {
    assert!(!corpus_dirs().is_empty(), "no captures under corpus/: record some with `cargo xtask record`");
}

#[test]
fn every_adapter_has_captures() {
    let recorded: BTreeSet<String> = corpus_dirs().iter().map(|dir| capture_id(dir).0).collect();
    let missing: Vec<String> = codetel::adapters::ALL
        .iter()
        .map(|it| it.name())
        .filter(|name| !recorded.contains(*name))
        .map(|name| format!("adapter `{name}` has no captures yet: record them with `cargo xtask record {name} --all` (CONTRIBUTING.md)"))
        .collect();
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn every_capture_matches_its_snapshots() {
    for dir in corpus_dirs() {
        let (vendor, version, scenario) = capture_id(&dir);
        let capture = load(&dir);
        let description = capture.manifest.as_ref().map(|it| it.purpose.clone()).unwrap_or_default();
        for mode in SNAPSHOT_MODES {
            let output = normalize::normalize(&capture, &Options::new(mode));
            let snapshot = serde_json::json!({
                "accounting": output.accounting,
                "findings": output.findings,
                "records": output.records,
            });
            let mut settings = insta::Settings::clone_current();
            settings.set_snapshot_path(root().join("snapshots").join(&vendor).join(&version));
            settings.set_prepend_module_to_snapshot(false);
            settings.set_input_file(&dir);
            settings.set_description(description.clone());
            settings.set_omit_expression(true);
            settings.bind(|| {
                insta::assert_json_snapshot!(format!("{scenario}.{}", mode.as_str()), snapshot);
            });
        }
    }
}

#[test]
fn snapshots_have_captures() {
    let mut expected = BTreeSet::new();
    for dir in corpus_dirs() {
        let (vendor, version, scenario) = capture_id(&dir);
        for mode in SNAPSHOT_MODES {
            let _ = expected.insert(format!("{vendor}/{version}/{scenario}.{}.snap", mode.as_str()));
        }
    }
    let snapshots = root().join("snapshots");
    let mut orphans = Vec::new();
    let mut stack = vec![snapshots.clone()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|it| it == "snap") {
                let relative = path.strip_prefix(&snapshots).unwrap_or(&path).to_string_lossy().replace('\\', "/");
                if !expected.contains(&relative) {
                    orphans.push(relative);
                }
            }
        }
    }
    assert!(orphans.is_empty(), "snapshots without a capture (delete them or restore the capture): {orphans:?}");
}

#[test]
fn every_item_is_accounted_for() {
    for dir in corpus_dirs() {
        let capture = load(&dir);
        let item_count: usize = capture.requests.iter().map(|it| it.decoded.request.item_count()).sum();
        let decoder_rejected: usize = capture.requests.iter().map(|it| it.decoded.rejected_items()).sum();
        for mode in CaptureMode::ALL {
            let output = normalize::normalize(&capture, &Options::new(mode));
            let totals = output.accounting.totals;
            assert!(totals.balances(), "{}: {totals:?} does not balance", dir.display());
            assert_eq!(totals.inputs, item_count + decoder_rejected, "{}: inputs", dir.display());
            assert!(totals.normalized > 0, "{}: nothing normalized", dir.display());
        }
        if let Some(expected) = capture.manifest.as_ref().and_then(|it| it.expected) {
            let count = |signal| -> usize {
                capture
                    .requests
                    .iter()
                    .filter(|it| it.signal == signal)
                    .map(|it| it.decoded.request.item_count() + it.decoded.rejected_items())
                    .sum()
            };
            use codetel::otlp::Signal;
            assert_eq!(capture.requests.len(), expected.requests, "{}: requests", dir.display());
            assert_eq!(count(Signal::Logs), expected.log_records, "{}: log records", dir.display());
            assert_eq!(count(Signal::Metrics), expected.data_points, "{}: data points", dir.display());
            assert_eq!(count(Signal::Traces), expected.spans, "{}: spans", dir.display());
        }
    }
}

#[test]
fn no_canary_survives_metadata_only() {
    for dir in corpus_dirs() {
        let capture = load(&dir);
        let Some(manifest) = &capture.manifest else { continue };
        if manifest.canaries.is_empty() {
            continue;
        }
        for mode in [CaptureMode::Minimal, CaptureMode::MetadataOnly] {
            let output = normalize::normalize(&capture, &Options::new(mode));
            let text = serde_json::to_string(&serde_json::json!({
                "records": output.records,
                "findings": output.findings,
            }))
            .unwrap_or_default();
            for canary in &manifest.canaries {
                assert!(
                    !text.contains(canary.as_str()),
                    "{}: canary `{canary}` survives {}",
                    dir.display(),
                    mode.as_str()
                );
            }
        }
    }
}

#[test]
fn normalizing_is_deterministic() {
    for dir in corpus_dirs() {
        let capture = load(&dir);
        let options = Options::new(CaptureMode::Full);
        let first = serde_json::to_string(&normalize::normalize(&capture, &options).records).unwrap_or_default();
        let second = serde_json::to_string(&normalize::normalize(&capture, &options).records).unwrap_or_default();
        assert_eq!(first, second, "{}", dir.display());
    }
}
