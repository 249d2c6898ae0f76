//! `CA-COV-*`: an adapter maps every name its vendor sends, lands vendor attributes in
//! canonical keys, and has captures to prove it. Measured by [`crate::conformance::coverage`]
//! from what the pipeline did with the vendor's items.

use crate::conformance::coverage::{self, NameStatus};
use crate::conformance::{Observation, RunFacts, VendorRun};
use crate::finding::Location;
use crate::otlp::Signal;

fn at(example: &(String, String, String), field: &str) -> (String, Location) {
    let (capture, file, locator) = example;
    (capture.clone(), Location { file: file.clone(), locator: locator.clone(), field: field.to_owned() })
}

/// CA-COV-001.
pub(super) fn names_covered(vendor_run: &VendorRun<'_>) -> Vec<Observation> {
    let coverage = coverage::of_vendor(vendor_run);
    coverage
        .names
        .iter()
        .filter(|it| it.status == NameStatus::Unmapped)
        .map(|name| {
            let (capture, location) = at(&name.example, "");
            Observation::new(format!(
                "{} name `{}` ({} item(s)) is not mapped: the adapter reports it unknown; map it, or declare it passthrough or ignored with a reason",
                name.signal, name.name, name.items
            ))
            .vendor(Some(vendor_run.vendor))
            .signal(Signal::parse(&name.signal))
            .capture(capture)
            .at(location)
        })
        .collect()
}

/// CA-COV-002.
pub(super) fn attributes_covered(vendor_run: &VendorRun<'_>) -> Vec<Observation> {
    let coverage = coverage::of_vendor(vendor_run);
    coverage
        .attribute_keys_unmapped
        .iter()
        .map(|(key, unmapped)| {
            let (capture, location) = at(&unmapped.example, key);
            let consequence = if unmapped.reduced {
                "metadata_only reduces its text to type and length"
            } else {
                "its numbers or booleans pass through unexplained"
            };
            Observation::new(format!(
                "vendor attribute `{key}` lands in no canonical key and is not declared metadata; {consequence}"
            ))
            .vendor(Some(vendor_run.vendor))
            .capture(capture)
            .at(location)
        })
        .collect()
}

/// CA-COV-003.
pub(super) fn adapters_have_captures(facts: &RunFacts<'_>) -> Vec<Observation> {
    let mut res = Vec::new();
    for (vendor, claimed, named) in &facts.adapters {
        if *claimed > 0 {
            continue;
        }
        let message = if *named == 0 {
            format!(
                "adapter `{vendor}` has no captures yet: record some into corpus/{vendor}/ with `cargo xtask record {vendor} --all` (CONTRIBUTING.md)"
            )
        } else {
            format!(
                "adapter `{vendor}` claims none of the {named} capture(s) in corpus/{vendor}/: its signature matches nothing they send"
            )
        };
        res.push(Observation::new(message).vendor(Some(vendor)));
    }
    res
}
