//! The rule table: every rule of `docs/spec.md` with its level and check, in spec order.
//!
//! A test parses the ids out of the spec and compares them with this table both ways, and
//! checks that each rule's level matches its RFC 2119 keyword (MUST → violation, SHOULD →
//! improvement, MAY → information).

mod accounting;
mod adapter_contract;
pub mod consistency;
mod coverage;
mod detection;
mod otlp;
mod privacy;
mod run;
mod schema;

use crate::finding::{Level, Location};
use crate::schema::CanonicalRecord;

use super::{Check, Observation, Rule};

const fn rule(id: &'static str, level: Level, summary: &'static str, check: Check) -> Rule {
    Rule { id, level, summary, always_gates: false, check }
}

const fn guard(id: &'static str, summary: &'static str, check: Check) -> Rule {
    Rule { id, level: Level::Violation, summary, always_gates: true, check }
}

use Level::{Improvement, Violation};

/// Every conformance rule.
pub static RULES: &[Rule] = &[
    rule("CA-SCHEMA-001", Violation, "every attribute key of a record is declared in the canonical schema", Check::Capture(schema::declared_keys)),
    rule("CA-SCHEMA-002", Violation, "every canonical attribute value has the type the schema declares", Check::Capture(schema::declared_types)),
    rule("CA-SCHEMA-003", Violation, "every record carries the attributes and source its kind requires", Check::Capture(schema::required_attributes)),
    rule("CA-SCHEMA-004", Improvement, "records carry the attributes their kind should have (session, version, tokens, error type)", Check::Capture(schema::recommended_attributes)),
    rule("CA-SCHEMA-005", Violation, "metric points use canonical units; cost is micro-USD and tokens are {token}", Check::Capture(schema::canonical_units)),
    rule("CA-SCHEMA-006", Violation, "trace and span ids are lowercase hex of OTLP length, not all zero", Check::Capture(schema::id_formats)),
    rule("CA-SCHEMA-007", Violation, "a record's session id and vendor agree with its attributes", Check::Capture(schema::top_level_agrees)),
    rule("CA-SCHEMA-008", Violation, "counts, sizes, durations, tokens and costs are never negative", Check::Capture(schema::non_negative)),
    rule("CA-SCHEMA-009", Violation, "cache tokens are a subset of input tokens, reasoning tokens of output tokens", Check::Capture(schema::token_subsets)),
    rule("CA-SCHEMA-010", Improvement, "records made from an input item carry a time", Check::Capture(schema::item_records_have_time)),
    rule("CA-PRIV-001", Violation, "metadata_only and minimal output carry no content-class key", Check::Capture(privacy::no_content_keys)),
    rule("CA-PRIV-002", Violation, "minimal output carries no identity-class key and no vendor attribute", Check::Capture(privacy::minimal_is_minimal)),
    rule("CA-PRIV-003", Violation, "metadata_only keeps vendor attribute text only for keys the adapter declared metadata, and no key that reads as text", Check::Capture(privacy::vendor_text_reduced)),
    rule("CA-PRIV-004", Violation, "no planted canary survives metadata_only or minimal, nor any finding, in any signal", Check::Capture(privacy::no_canary)),
    rule("CA-PRIV-005", Violation, "no secret survives in any capture mode, full included", Check::Capture(privacy::no_secrets)),
    rule("CA-PRIV-006", Violation, "every record is stamped with the capture mode it was produced under", Check::Capture(privacy::mode_stamped)),
    rule("CA-ACCT-001", Violation, "inputs = normalized + ignored + rejected, per vendor and in total, in every mode", Check::Capture(accounting::books_balance)),
    rule("CA-ACCT-002", Violation, "the accounting's inputs equal the items the capture holds", Check::Capture(accounting::inputs_match_capture)),
    rule("CA-ACCT-003", Violation, "normalized items are exactly the items records name as their source", Check::Capture(accounting::normalized_means_recorded)),
    rule("CA-ACCT-004", Violation, "no item is dropped without a reason", Check::Capture(accounting::no_unaccounted_items)),
    guard("CA-ACCT-005", "a capture holds items, and exactly the counts its manifest declares", Check::Capture(accounting::manifest_counts)),
    rule("CA-ACCT-006", Improvement, "no item is rejected", Check::Capture(accounting::nothing_rejected)),
    rule("CA-XSIG-001", Violation, "per session, event cost reconciles with the cost metric stream", Check::Capture(consistency::cost_reconciles)),
    rule("CA-XSIG-002", Violation, "per session and token type, event tokens reconcile with the token metric stream", Check::Capture(consistency::tokens_reconcile)),
    rule("CA-DET-001", Violation, "every resource group is claimed by exactly one adapter, the capture's vendor", Check::Capture(detection::claimed_by_its_vendor)),
    rule("CA-DET-002", Violation, "no two adapters tie on the strongest evidence", Check::Capture(detection::no_ties)),
    rule("CA-DET-003", Violation, "weaker evidence pointing elsewhere is reported as a vendor_evidence_conflict finding", Check::Capture(detection::conflicts_reported)),
    rule("CA-DET-004", Improvement, "resource groups carry no conflicting vendor evidence", Check::Capture(detection::no_conflicts)),
    rule("CA-COV-001", Violation, "every event, metric and span name a vendor sends is mapped or explicitly ignored", Check::Vendor(coverage::names_covered)),
    rule("CA-COV-002", Improvement, "every vendor attribute key lands in a canonical key or is declared metadata", Check::Vendor(coverage::attributes_covered)),
    rule("CA-COV-003", Violation, "every registered adapter has captures in the corpus", Check::Run(coverage::adapters_have_captures)),
    rule("CA-ADAPT-001", Violation, "normalizing is deterministic", Check::Capture(adapter_contract::deterministic)),
    rule("CA-ADAPT-002", Violation, "adapters are total: no panic, and every item accounted for even when forced onto any capture", Check::Capture(adapter_contract::total)),
    rule("CA-OTLP-001", Violation, "canonical records re-encoded as OTLP logs decode cleanly to the same data", Check::Capture(otlp::output_round_trips)),
    rule("CA-OTLP-002", Violation, "a capture normalizes identically from either OTLP encoding", Check::Capture(otlp::encoding_blind)),
    guard("CA-RUN-001", "a run sees at least one capture and one input item", Check::Run(run::saw_something)),
    rule("CA-RUN-002", Violation, "every expected failure still fails", Check::Outcomes),
];

/// Where a finding about `record` (and one of its keys) points.
pub(super) fn record_location(record: &CanonicalRecord, field: &str) -> Option<Location> {
    record.source.as_ref().map(|source| Location {
        file: source.file.clone(),
        locator: source.locator.clone(),
        field: field.to_owned(),
    })
}

/// An observation about one record, with its vendor, signal and location.
pub(super) fn about(record: &CanonicalRecord, field: &str, message: String) -> Observation {
    let mut observation = Observation::new(message)
        .vendor(Some(record.vendor))
        .signal(record.source.as_ref().map(|it| it.signal));
    observation.location = record_location(record, field);
    observation
}

/// `kind ← source name` of a record, for messages (`llm_call ← claude_code.api_request`).
pub(super) fn describe(record: &CanonicalRecord) -> String {
    match &record.source {
        Some(source) => format!("{} ← {}", record.kind.as_str(), source.name),
        None => format!("derived {}", record.kind.as_str()),
    }
}
