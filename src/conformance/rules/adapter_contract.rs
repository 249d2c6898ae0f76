//! `CA-ADAPT-*`: the adapter contract of `src/adapter.rs`: pure (the same capture gives the
//! same output twice) and total (no panic, and every item accounted for, even when an adapter
//! is forced onto another vendor's capture).

use crate::conformance::{CaptureRun, Observation};
use crate::normalize::Output;

fn fingerprint(output: &Output) -> String {
    serde_json::to_string(&serde_json::json!({
        "records": output.records,
        "findings": output.findings,
        "accounting": output.accounting,
    }))
    .unwrap_or_default()
}

/// CA-ADAPT-001.
pub(super) fn deterministic(run: &CaptureRun<'_>) -> Vec<Observation> {
    let (Ok(outputs), Some(repeat)) = (&run.outputs, &run.repeat) else { return Vec::new() };
    if fingerprint(&outputs.full) == fingerprint(repeat) {
        return Vec::new();
    }
    let first_difference = outputs.full.records.iter().zip(&repeat.records).find(|(a, b)| a != b);
    match first_difference {
        Some((record, _)) => vec![super::about(
            record,
            "",
            format!("normalizing twice gives different output, first at `{}`", super::describe(record)),
        )],
        None => vec![Observation::new("normalizing twice gives different output (record count, findings or accounting)")],
    }
}

/// CA-ADAPT-002.
pub(super) fn total(run: &CaptureRun<'_>) -> Vec<Observation> {
    let mut res = Vec::new();
    if let Err(message) = &run.outputs {
        res.push(Observation::new(format!("normalizing panicked: {message}")));
    }
    for (vendor, forced) in &run.forced {
        match forced {
            Err(message) => res.push(
                Observation::new(format!("adapter `{vendor}` panicked when given every item of this capture: {message}"))
                    .vendor(Some(vendor)),
            ),
            Ok(output) => {
                if !output.accounting.totals.balances() {
                    res.push(
                        Observation::new(format!("adapter `{vendor}`, given every item of this capture, leaves the books unbalanced"))
                            .vendor(Some(vendor)),
                    );
                }
                let dropped = output.findings.iter().filter(|it| it.id == "unaccounted_item").count();
                if dropped > 0 {
                    res.push(
                        Observation::new(format!(
                            "adapter `{vendor}`, given every item of this capture, drops {dropped} item(s) without a record or a reason"
                        ))
                        .vendor(Some(vendor)),
                    );
                }
            }
        }
    }
    res
}
