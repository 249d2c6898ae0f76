//! The conformance report: one case per rule and subject, aggregated findings, statistics,
//! and the gate (`--fail-on`).
//!
//! Reports stay bounded on a large corpus: findings with the same rule, subject, signal and
//! message are one entry with a count and the first [`MAX_LOCATIONS`] locations, and a case
//! keeps at most [`MAX_GROUPS_PER_CASE`] distinct entries (the rest are counted, not listed).
//! Statistics count every raw finding, so nothing is lost from the numbers.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::finding::{Level, Location};
use crate::normalize::Counts;

use super::coverage::{self, NameStatus, VendorCoverage};
use super::{CaptureRun, Check, ExpectedFailures, Observation, Rule, RunFacts, VendorRun, RULES};

/// The subject of run-wide rules.
pub const RUN_SUBJECT: &str = "run";
/// Locations kept per aggregated finding.
pub const MAX_LOCATIONS: usize = 5;
/// Distinct aggregated findings kept per case.
pub const MAX_GROUPS_PER_CASE: usize = 25;

/// The lowest level that fails the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailOn {
    /// Violations fail (the default).
    Violation,
    /// Violations and improvements fail.
    Improvement,
    /// Any finding fails.
    Information,
    /// Only the "no silent pass" guards fail (report-only mode).
    None,
}

impl FailOn {
    /// Parses `violation`, `improvement`, `information` or `none`.
    pub fn parse(text: &str) -> Option<FailOn> {
        match text {
            "violation" => Some(FailOn::Violation),
            "improvement" => Some(FailOn::Improvement),
            "information" => Some(FailOn::Information),
            "none" => Some(FailOn::None),
            _ => None,
        }
    }

    /// The name.
    pub fn as_str(self) -> &'static str {
        match self {
            FailOn::Violation => "violation",
            FailOn::Improvement => "improvement",
            FailOn::Information => "information",
            FailOn::None => "none",
        }
    }

    /// Whether a finding of `level` fails the run.
    pub fn fails(self, level: Level) -> bool {
        match self {
            FailOn::Violation => level >= Level::Violation,
            FailOn::Improvement => level >= Level::Improvement,
            FailOn::Information => true,
            FailOn::None => false,
        }
    }
}

/// The snake_case name of a level.
pub fn level_name(level: Level) -> &'static str {
    match level {
        Level::Information => "information",
        Level::Improvement => "improvement",
        Level::Violation => "violation",
    }
}

/// What a case came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    /// The rule found nothing.
    Pass,
    /// The rule found something.
    Fail,
    /// The rule found something, and the pair is in the expected-failures list.
    ExpectedFailure,
    /// The rule found nothing, but the pair is in the expected-failures list.
    UnexpectedPass,
}

/// One rule applied to one subject (a JUnit test case).
#[derive(Debug, Clone, Serialize)]
pub struct Case {
    /// The rule id.
    pub rule: &'static str,
    /// The rule's level.
    pub level: Level,
    /// A capture id, a vendor id or `run`.
    pub subject: String,
    /// The outcome.
    pub status: CaseStatus,
    /// Raw findings (before aggregation).
    pub findings: usize,
    /// Distinct findings not listed because the case hit [`MAX_GROUPS_PER_CASE`].
    pub omitted: usize,
    /// The reason from the expected-failures list, when listed.
    pub expected_reason: Option<String>,
}

/// Findings with the same rule, subject, signal and message, aggregated.
#[derive(Debug, Clone, Serialize)]
pub struct ReportedFinding {
    /// The rule id.
    pub id: &'static str,
    /// The level.
    pub level: Level,
    /// The vendor concerned.
    pub vendor: Option<&'static str>,
    /// The case subject (capture id, vendor id or `run`).
    pub subject: String,
    /// The capture concerned, when there is one.
    pub capture: Option<String>,
    /// `logs`, `metrics` or `traces`, when the finding is about one signal.
    pub signal: Option<String>,
    /// The message.
    pub message: String,
    /// How many times it was found.
    pub count: usize,
    /// The first [`MAX_LOCATIONS`] locations.
    pub locations: Vec<Location>,
    /// Set when the pair is an expected failure: the reason.
    pub expected: Option<String>,
    /// Whether it fails the run whatever `--fail-on` says.
    pub always_gates: bool,
}

/// A rule as the report describes it.
#[derive(Debug, Clone, Serialize)]
pub struct RuleInfo {
    /// The id.
    pub id: &'static str,
    /// The level of its findings.
    pub level: Level,
    /// What it requires.
    pub summary: &'static str,
    /// `capture`, `vendor`, `run` or `outcomes`.
    pub subject: &'static str,
}

/// One vendor's coverage in the statistics.
#[derive(Debug, Clone, Serialize)]
pub struct CoverageStats {
    /// Names seen (events, metrics, spans).
    pub names_seen: usize,
    /// Names whose items became canonical records.
    pub mapped: usize,
    /// Names kept as passthrough on purpose.
    pub passthrough: usize,
    /// Names ignored or rejected with a reason.
    pub ignored: usize,
    /// Names the adapter reported as unknown.
    pub unmapped: usize,
    /// `mapped / names_seen`.
    pub mapped_share: f64,
    /// `(names_seen - unmapped) / names_seen`.
    pub covered_share: f64,
    /// Attribute keys seen on the vendor's items.
    pub attribute_keys_seen: usize,
    /// Keys with no canonical home and not declared metadata.
    pub attribute_keys_unmapped: usize,
    /// The full per-name table.
    pub detail: VendorCoverage,
}

/// Case counts.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CaseCounts {
    /// Rules in the table.
    pub rules: usize,
    /// Cases run.
    pub cases: usize,
    /// Cases that passed.
    pub passed: usize,
    /// Cases that failed.
    pub failed: usize,
    /// Cases that failed as expected.
    pub expected_failures: usize,
    /// Listed cases that passed.
    pub unexpected_passes: usize,
}

/// The numbers of a run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Statistics {
    /// Captures checked.
    pub captures: usize,
    /// Vendors whose adapters were checked.
    pub vendors: Vec<String>,
    /// Input items by outcome over every capture (`metadata_only`).
    pub records_by_outcome: Counts,
    /// Canonical records produced (`metadata_only`), derived ones included.
    pub canonical_records: usize,
    /// Canonical records by kind.
    pub records_by_kind: BTreeMap<String, usize>,
    /// Raw findings by level, expected failures excluded.
    pub findings_by_level: BTreeMap<String, usize>,
    /// Raw findings by rule id, expected failures excluded.
    pub findings_by_id: BTreeMap<String, usize>,
    /// Raw findings of expected failures.
    pub expected_findings: usize,
    /// Cases by outcome.
    pub cases: CaseCounts,
    /// Coverage per vendor.
    pub coverage: BTreeMap<String, CoverageStats>,
}

/// Everything a conformance run found.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The rules that ran.
    pub rules: Vec<RuleInfo>,
    /// One case per rule and subject.
    pub cases: Vec<Case>,
    /// Aggregated findings: unexpected ones first, most severe first; expected failures last.
    pub findings: Vec<ReportedFinding>,
    /// The numbers.
    pub statistics: Statistics,
}

impl Report {
    /// The findings that fail the run under `fail_on`: not expected, and either at or above
    /// the threshold or a "no silent pass" guard.
    pub fn failing(&self, fail_on: FailOn) -> impl Iterator<Item = &ReportedFinding> {
        self.findings.iter().filter(move |it| it.expected.is_none() && (it.always_gates || fail_on.fails(it.level)))
    }

    /// Whether the run passes under `fail_on`.
    pub fn passes(&self, fail_on: FailOn) -> bool {
        self.failing(fail_on).next().is_none()
    }

    /// Whether one case fails under `fail_on` (for JUnit).
    pub fn case_fails(&self, case: &Case, fail_on: FailOn) -> bool {
        self.case_findings(case).any(|it| it.expected.is_none() && (it.always_gates || fail_on.fails(it.level)))
    }

    /// The findings of one case.
    pub fn case_findings<'a>(&'a self, case: &'a Case) -> impl Iterator<Item = &'a ReportedFinding> + 'a {
        self.findings.iter().filter(move |it| it.id == case.rule && it.subject == case.subject)
    }
}

type GroupKey = (&'static str, String, Option<String>, Option<&'static str>, Option<String>, String);

/// Collects cases and findings while the rules run.
pub(crate) struct Builder<'e> {
    expected: &'e ExpectedFailures,
    cases: Vec<Case>,
    findings: Vec<ReportedFinding>,
    index: HashMap<GroupKey, usize>,
    by_level: BTreeMap<String, usize>,
    by_id: BTreeMap<String, usize>,
    expected_findings: usize,
}

impl<'e> Builder<'e> {
    pub(crate) fn new(expected: &'e ExpectedFailures) -> Builder<'e> {
        Builder {
            expected,
            cases: Vec::new(),
            findings: Vec::new(),
            index: HashMap::new(),
            by_level: BTreeMap::new(),
            by_id: BTreeMap::new(),
            expected_findings: 0,
        }
    }

    /// Records one case: `rule` applied to `subject` found `observations`.
    pub(crate) fn case(&mut self, rule: &Rule, subject: &str, capture: Option<&str>, observations: Vec<Observation>) {
        let expected_reason = self.expected.reason(subject, rule.id).map(str::to_owned);
        let status = match (observations.is_empty(), expected_reason.is_some()) {
            (true, false) => CaseStatus::Pass,
            (true, true) => CaseStatus::UnexpectedPass,
            (false, false) => CaseStatus::Fail,
            (false, true) => CaseStatus::ExpectedFailure,
        };
        let mut groups_in_case = 0;
        let mut omitted = 0;
        let n_findings = observations.len();
        for observation in observations {
            if expected_reason.is_some() {
                self.expected_findings += 1;
            } else {
                *self.by_level.entry(level_name(rule.level).to_owned()).or_default() += 1;
                *self.by_id.entry(rule.id.to_owned()).or_default() += 1;
            }
            let capture = observation.capture.clone().or_else(|| capture.map(str::to_owned));
            let signal = observation.signal.map(|it| it.as_str().to_owned());
            let key: GroupKey =
                (rule.id, subject.to_owned(), capture.clone(), observation.vendor, signal.clone(), observation.message.clone());
            match self.index.get(&key) {
                Some(&at) => {
                    let group = &mut self.findings[at];
                    group.count += 1;
                    if let Some(location) = observation.location {
                        if group.locations.len() < MAX_LOCATIONS {
                            group.locations.push(location);
                        }
                    }
                }
                None if groups_in_case >= MAX_GROUPS_PER_CASE => omitted += 1,
                None => {
                    groups_in_case += 1;
                    let _ = self.index.insert(key, self.findings.len());
                    self.findings.push(ReportedFinding {
                        id: rule.id,
                        level: rule.level,
                        vendor: observation.vendor,
                        subject: subject.to_owned(),
                        capture,
                        signal,
                        message: observation.message,
                        count: 1,
                        locations: observation.location.into_iter().collect(),
                        expected: expected_reason.clone(),
                        always_gates: rule.always_gates,
                    });
                }
            }
        }
        self.cases.push(Case {
            rule: rule.id,
            level: rule.level,
            subject: subject.to_owned(),
            status,
            findings: n_findings,
            omitted,
            expected_reason,
        });
    }

    /// Evaluates the expected-failures list against the cases (`Check::Outcomes` rules) and
    /// builds the report.
    pub(crate) fn finish(
        mut self,
        subjects: &[String],
        capture_runs: &[CaptureRun<'_>],
        vendor_runs: &[VendorRun<'_>],
        facts: &RunFacts<'_>,
    ) -> Report {
        for rule in RULES.iter().filter(|it| matches!(it.check, Check::Outcomes)) {
            let observations = self.outcome_observations(subjects, facts.vendor_filter.as_deref());
            self.case(rule, RUN_SUBJECT, None, observations);
        }
        // Failures first, most severe first; expected failures after them.
        self.findings.sort_by(|a, b| {
            (a.expected.is_some(), b.level, a.id).cmp(&(b.expected.is_some(), a.level, b.id))
        });
        let statistics = self.statistics(capture_runs, vendor_runs);
        let rules = RULES
            .iter()
            .map(|rule| RuleInfo {
                id: rule.id,
                level: rule.level,
                summary: rule.summary,
                subject: match rule.check {
                    Check::Outcomes => "outcomes",
                    _ => rule.subject_kind(),
                },
            })
            .collect();
        Report { rules, cases: self.cases, findings: self.findings, statistics }
    }

    /// Stale or unexpectedly passing entries of the expected-failures list.
    fn outcome_observations(&self, subjects: &[String], vendor_filter: Option<&str>) -> Vec<Observation> {
        let mut observations = Vec::new();
        for entry in &self.expected.entries {
            let entry_vendor = entry.subject.split('/').next().unwrap_or_default();
            if let Some(vendor) = vendor_filter {
                if entry.subject != RUN_SUBJECT && entry_vendor != vendor {
                    continue;
                }
            }
            let Some(rule) = super::rule(&entry.rule) else {
                observations.push(Observation::new(format!(
                    "expected-failures entry [\"{}\"] names no rule `{}`; fix or delete it",
                    entry.subject, entry.rule
                )));
                continue;
            };
            if !subjects.contains(&entry.subject) {
                observations.push(Observation::new(format!(
                    "expected-failures entry [\"{}\"] {}: no such {} in this run; delete the entry",
                    entry.subject,
                    rule.id,
                    rule.subject_kind()
                )));
                continue;
            }
            let case = self.cases.iter().find(|it| it.rule == rule.id && it.subject == entry.subject);
            match case.map(|it| it.status) {
                Some(CaseStatus::UnexpectedPass) => observations.push(Observation::new(format!(
                    "[\"{}\"] {} is listed as an expected failure but passes: delete the entry (it said: {})",
                    entry.subject, rule.id, entry.reason
                ))),
                Some(_) => {}
                None => observations.push(Observation::new(format!(
                    "expected-failures entry [\"{}\"] {}: the rule is about a {}, not this subject",
                    entry.subject,
                    rule.id,
                    rule.subject_kind()
                ))),
            }
        }
        observations
    }

    fn statistics(&self, capture_runs: &[CaptureRun<'_>], vendor_runs: &[VendorRun<'_>]) -> Statistics {
        let mut statistics = Statistics {
            captures: capture_runs.len(),
            vendors: vendor_runs.iter().map(|it| it.vendor.to_owned()).collect(),
            findings_by_level: self.by_level.clone(),
            findings_by_id: self.by_id.clone(),
            expected_findings: self.expected_findings,
            ..Statistics::default()
        };
        let mut accounting = crate::normalize::Accounting::default();
        for capture_run in capture_runs {
            if let Ok(outputs) = &capture_run.outputs {
                accounting.merge(&outputs.metadata_only.accounting);
            }
        }
        statistics.records_by_outcome = accounting.totals;
        statistics.canonical_records = accounting.records;
        statistics.records_by_kind = accounting.records_by_kind;
        statistics.cases = CaseCounts {
            rules: RULES.len(),
            cases: self.cases.len(),
            passed: self.cases.iter().filter(|it| it.status == CaseStatus::Pass).count(),
            failed: self.cases.iter().filter(|it| it.status == CaseStatus::Fail).count(),
            expected_failures: self.cases.iter().filter(|it| it.status == CaseStatus::ExpectedFailure).count(),
            unexpected_passes: self.cases.iter().filter(|it| it.status == CaseStatus::UnexpectedPass).count(),
        };
        for vendor_run in vendor_runs {
            let detail = coverage::of_vendor(vendor_run);
            let stats = CoverageStats {
                names_seen: detail.names.len(),
                mapped: detail.count(NameStatus::Mapped),
                passthrough: detail.count(NameStatus::Passthrough),
                ignored: detail.count(NameStatus::Ignored),
                unmapped: detail.count(NameStatus::Unmapped),
                mapped_share: detail.mapped_share(),
                covered_share: detail.covered_share(),
                attribute_keys_seen: detail.attribute_keys_seen,
                attribute_keys_unmapped: detail.attribute_keys_unmapped.len(),
                detail,
            };
            let _ = statistics.coverage.insert(vendor_run.vendor.to_owned(), stats);
        }
        statistics
    }
}
