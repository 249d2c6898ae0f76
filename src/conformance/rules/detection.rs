//! `CA-DET-*`: exactly one adapter claims each resource group, the one the capture belongs
//! to, and weaker evidence pointing elsewhere is reported rather than silently overruled.
//!
//! The rules recompute each adapter's evidence strength for every group
//! ([`crate::conformance::GroupDetection`]) and compare with the pipeline's findings.

use crate::adapters;
use crate::conformance::{CaptureRun, GroupDetection, Observation};
use crate::detect::Strength;
use crate::finding::Location;
use crate::schema::CaptureMode;

fn location(group: &GroupDetection) -> Location {
    Location { file: group.file.clone(), locator: group.locator.clone(), field: String::new() }
}

fn observation(group: &GroupDetection, message: String) -> Observation {
    Observation::new(message).vendor(group.winner).signal(Some(group.signal)).at(location(group))
}

/// Groups that hold items: an empty group says nothing about anyone.
fn groups<'a>(run: &'a CaptureRun<'_>) -> impl Iterator<Item = &'a GroupDetection> + 'a {
    run.groups.iter().filter(|it| it.items > 0)
}

/// CA-DET-001.
pub(super) fn claimed_by_its_vendor(run: &CaptureRun<'_>) -> Vec<Observation> {
    let mut res = Vec::new();
    for group in groups(run) {
        match (group.winner, run.vendor.as_deref()) {
            (None, _) => res.push(observation(
                group,
                format!(
                    "no adapter claims this resource group (service.name {:?}, scopes {:?})",
                    group.evidence.service_name.as_deref().unwrap_or(""),
                    group.evidence.scopes
                ),
            )),
            (Some(winner), Some(vendor)) if winner != vendor => res.push(observation(
                group,
                format!("`{winner}` claims this resource group, but the capture belongs to `{vendor}`"),
            )),
            _ => {}
        }
    }
    res
}

fn strongest(group: &GroupDetection) -> Option<Strength> {
    group.matches.iter().map(|it| it.1).max()
}

/// CA-DET-002.
pub(super) fn no_ties(run: &CaptureRun<'_>) -> Vec<Observation> {
    let mut res = Vec::new();
    for group in groups(run) {
        let Some(best) = strongest(group) else { continue };
        let tied: Vec<&str> = group.matches.iter().filter(|it| it.1 == best).map(|it| it.0).collect();
        if tied.len() > 1 {
            res.push(observation(
                group,
                format!("{} evidence ties between {tied:?}; registry order decides", best.as_str()),
            ));
        }
    }
    res
}

/// Conflicting evidence in a group, one sentence each: other adapters with any evidence, and
/// a `service.name` the winner does not use when its scope decided.
fn conflicts(group: &GroupDetection) -> Vec<String> {
    let Some(winner) = group.winner else { return Vec::new() };
    let mut res: Vec<String> = group
        .matches
        .iter()
        .filter(|it| it.0 != winner)
        .map(|(other, _, why)| format!("{why} points at `{other}`, not `{winner}`"))
        .collect();
    let decided_by_scope = group.matches.iter().any(|it| it.0 == winner && it.1 == Strength::Scope);
    let claimed_by_service_name = group.matches.iter().any(|it| it.1 == Strength::ServiceName);
    if let (true, false, Some(service_name), Some(adapter)) =
        (decided_by_scope, claimed_by_service_name, &group.evidence.service_name, adapters::by_name(winner))
    {
        if !adapter.signature().service_names.contains(&service_name.as_str()) {
            res.push(format!("service.name `{service_name}` is not one `{winner}` uses (a shell-wide OTEL_SERVICE_NAME?)"));
        }
    }
    res
}

/// CA-DET-003.
pub(super) fn conflicts_reported(run: &CaptureRun<'_>) -> Vec<Observation> {
    let mut res = Vec::new();
    let Ok(outputs) = &run.outputs else { return res };
    let findings = &outputs.get(CaptureMode::MetadataOnly).findings;
    for group in groups(run) {
        let expected = conflicts(group).len();
        let reported = findings
            .iter()
            .filter(|it| it.id == "vendor_evidence_conflict")
            .filter(|it| it.location.as_ref().is_some_and(|at| at.file == group.file && at.locator == group.locator))
            .count();
        if reported < expected {
            res.push(observation(
                group,
                format!("{expected} piece(s) of conflicting vendor evidence, but the pipeline reported {reported}"),
            ));
        }
    }
    res
}

/// CA-DET-004.
pub(super) fn no_conflicts(run: &CaptureRun<'_>) -> Vec<Observation> {
    let mut res = Vec::new();
    for group in groups(run) {
        for conflict in conflicts(group) {
            res.push(observation(group, conflict));
        }
    }
    res
}
