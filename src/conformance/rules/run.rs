//! `CA-RUN-*`: a run that saw nothing cannot pass (weaver live-check's "empty report" pain).

use crate::conformance::{Observation, RunFacts};

/// CA-RUN-001.
pub(super) fn saw_something(facts: &RunFacts<'_>) -> Vec<Observation> {
    let scope = match &facts.vendor_filter {
        Some(vendor) => format!(" for vendor `{vendor}`"),
        None => String::new(),
    };
    if facts.captures == 0 {
        return vec![Observation::new(format!("the run saw no capture{scope}: nothing was checked"))];
    }
    if facts.inputs == 0 {
        return vec![Observation::new(format!(
            "the run saw {} capture(s){scope} but no input item: nothing was checked",
            facts.captures
        ))];
    }
    Vec::new()
}
