//! `CA-ACCT-*`: every input item is accounted for exactly once, and a capture holds what its
//! manifest says it holds. The item counts come from the decoded capture, not from the
//! pipeline's own books.

use std::collections::BTreeSet;

use crate::capture::ItemId;
use crate::conformance::{CaptureRun, Observation};
use crate::normalize::Counts;
use crate::otlp::Signal;
use crate::schema::CaptureMode;

fn describe_counts(counts: &Counts) -> String {
    format!(
        "inputs {} != normalized {} + ignored {} + rejected {}",
        counts.inputs, counts.normalized, counts.ignored, counts.rejected
    )
}

/// Items the capture holds, the decoder's rejects included.
fn item_count(run: &CaptureRun<'_>) -> usize {
    run.capture.requests.iter().map(|it| it.decoded.request.item_count() + it.decoded.rejected_items()).sum()
}

/// CA-ACCT-001.
pub(super) fn books_balance(run: &CaptureRun<'_>) -> Vec<Observation> {
    let mut res = Vec::new();
    let Ok(outputs) = &run.outputs else { return res };
    for (mode, output) in outputs.all() {
        let accounting = &output.accounting;
        if !accounting.totals.balances() {
            res.push(Observation::new(format!("{}: in total, {}", mode.as_str(), describe_counts(&accounting.totals))));
        }
        let mut sum = Counts::default();
        for (vendor, counts) in &accounting.by_vendor {
            if !counts.balances() {
                res.push(Observation::new(format!("{}: for {vendor}, {}", mode.as_str(), describe_counts(counts))));
            }
            sum.inputs += counts.inputs;
            sum.normalized += counts.normalized;
            sum.ignored += counts.ignored;
            sum.rejected += counts.rejected;
        }
        if sum != accounting.totals {
            res.push(Observation::new(format!("{}: the per-vendor counts do not add up to the totals", mode.as_str())));
        }
    }
    res
}

/// CA-ACCT-002.
pub(super) fn inputs_match_capture(run: &CaptureRun<'_>) -> Vec<Observation> {
    let mut res = Vec::new();
    let Ok(outputs) = &run.outputs else { return res };
    let held = item_count(run);
    for (mode, output) in outputs.all() {
        let inputs = output.accounting.totals.inputs;
        if inputs != held {
            res.push(Observation::new(format!(
                "{}: the accounting counts {inputs} input item(s), the capture holds {held}",
                mode.as_str()
            )));
        }
    }
    res
}

/// CA-ACCT-003.
pub(super) fn normalized_means_recorded(run: &CaptureRun<'_>) -> Vec<Observation> {
    let mut res = Vec::new();
    let Ok(outputs) = &run.outputs else { return res };
    let known: BTreeSet<ItemId> = run.items.iter().map(|it| it.id).collect();
    for (mode, output) in outputs.all() {
        let sources: BTreeSet<ItemId> = output.records.iter().filter_map(|it| it.item).collect();
        for record in output.records.iter().filter(|it| it.item.is_some_and(|id| !known.contains(&id))) {
            res.push(super::about(record, "", format!("{}: `{}` names an item the capture does not hold", mode.as_str(), super::describe(record))));
        }
        let normalized = output.accounting.totals.normalized;
        if sources.len() != normalized {
            res.push(Observation::new(format!(
                "{}: {normalized} item(s) counted normalized, but records name {} distinct source item(s)",
                mode.as_str(),
                sources.len()
            )));
        }
    }
    res
}

/// CA-ACCT-004.
pub(super) fn no_unaccounted_items(run: &CaptureRun<'_>) -> Vec<Observation> {
    let mut res = Vec::new();
    let Ok(outputs) = &run.outputs else { return res };
    let output = outputs.get(CaptureMode::MetadataOnly);
    for finding in output.findings.iter().filter(|it| it.id == "unaccounted_item") {
        let mut observation = Observation::new("an item was dropped without a record or a reason").vendor(finding.vendor);
        observation.location = finding.location.clone();
        res.push(observation);
    }
    for (reason, n) in &output.accounting.reasons {
        let text = reason.split_once(": ").map(|it| it.1).unwrap_or(reason);
        if text.trim().is_empty() {
            res.push(Observation::new(format!("{n} item(s) {} with an empty reason", reason.trim_end_matches(": ").trim_end_matches(':'))));
        }
    }
    res
}

/// CA-ACCT-005.
pub(super) fn manifest_counts(run: &CaptureRun<'_>) -> Vec<Observation> {
    let mut res = Vec::new();
    if item_count(run) == 0 {
        res.push(Observation::new("the capture holds no input item: a run over it would pass without seeing telemetry"));
    }
    let Some(expected) = run.capture.manifest.as_ref().and_then(|it| it.expected) else { return res };
    let count = |signal: Signal| -> usize {
        run.capture
            .requests
            .iter()
            .filter(|it| it.signal == signal)
            .map(|it| it.decoded.request.item_count() + it.decoded.rejected_items())
            .sum()
    };
    let seen = [
        ("request bodies", run.capture.requests.len(), expected.requests),
        ("log records", count(Signal::Logs), expected.log_records),
        ("data points", count(Signal::Metrics), expected.data_points),
        ("spans", count(Signal::Traces), expected.spans),
    ];
    for (what, seen, declared) in seen {
        if seen != declared {
            res.push(Observation::new(format!("saw {seen} {what}; the manifest declares {declared}")));
        }
    }
    res
}

/// CA-ACCT-006.
pub(super) fn nothing_rejected(run: &CaptureRun<'_>) -> Vec<Observation> {
    let Ok(outputs) = &run.outputs else { return Vec::new() };
    outputs
        .get(CaptureMode::MetadataOnly)
        .accounting
        .reasons
        .iter()
        .filter_map(|(reason, n)| reason.strip_prefix("rejected: ").map(|it| (it, n)))
        .map(|(reason, n)| Observation::new(format!("{n} item(s) rejected: {reason}")))
        .collect()
}
