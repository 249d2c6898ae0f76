//! Conformance: the rules of `docs/spec.md`, run over every capture and every adapter.
//!
//! Each rule is a row of [`RULES`]: a stable id (`CA-PRIV-001`), the level of the findings it
//! makes (MUST → violation, SHOULD → improvement, MAY → information) and a pure check.
//! A check sees one subject and returns what is wrong with it:
//! - a capture ([`CaptureRun`]: the capture, its normalized output in every capture mode, the
//!   detection of every resource group, and the extra runs some rules need),
//! - a vendor ([`VendorRun`]: every capture one adapter claimed, for coverage),
//! - or the whole run ([`RunFacts`]: how much was seen, which adapters have captures).
//!
//! [`run`] prepares the subjects, applies every rule, matches the findings against the
//! expected failures (`corpus/expected-failures.toml`), aggregates repeated findings so a
//! report stays bounded, and returns a [`Report`] with statistics. It does no I/O: callers
//! (`cargo xtask conformance`, the tests) load the captures and render the report.
//!
//! Nothing here trusts the pipeline: rules re-derive what they check from the capture
//! (item counts, detection, privacy classes) instead of reading the pipeline's own verdicts,
//! so a regression in the pipeline shows up as a finding.

pub mod coverage;
pub mod drift;
pub mod expected;
pub mod otlp_output;
pub mod render;
pub mod report;
pub mod rules;
pub mod spec;
mod subject;

pub use expected::{ExpectedFailure, ExpectedFailures};
pub use report::{Case, CaseStatus, FailOn, Report, ReportedFinding, Statistics};
pub use rules::RULES;
pub use subject::{CaptureRun, GroupDetection, ModeOutputs, RunFacts, VendorRun};

use crate::adapter::Adapter;
use crate::capture::Capture;
use crate::finding::{Level, Location};
use crate::otlp::Signal;

/// One conformance rule: a row of the table.
pub struct Rule {
    /// Stable id, defined in `docs/spec.md` (`CA-PRIV-001`).
    pub id: &'static str,
    /// The level of its findings: MUST → violation, SHOULD → improvement, MAY → information.
    pub level: Level,
    /// One line: what the rule requires.
    pub summary: &'static str,
    /// Whether a finding fails the run whatever `--fail-on` says (the "no silent pass" guards).
    pub always_gates: bool,
    /// The check.
    pub check: Check,
}

/// What a rule looks at, and its check function.
#[derive(Clone, Copy)]
pub enum Check {
    /// One capture at a time.
    Capture(fn(&CaptureRun<'_>) -> Vec<Observation>),
    /// One vendor at a time, over every capture its adapter claimed.
    Vendor(fn(&VendorRun<'_>) -> Vec<Observation>),
    /// The whole run once.
    Run(fn(&RunFacts<'_>) -> Vec<Observation>),
    /// The outcomes of the other rules, against the expected-failures list; evaluated last.
    Outcomes,
}

impl Rule {
    /// `capture`, `vendor` or `run`: what one test case of this rule is about.
    pub fn subject_kind(&self) -> &'static str {
        match self.check {
            Check::Capture(_) => "capture",
            Check::Vendor(_) => "vendor",
            Check::Run(_) | Check::Outcomes => "run",
        }
    }
}

/// What a check found wrong, before the engine stamps the rule id, level and subject on it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Observation {
    /// One sentence; never quotes content. Findings with equal messages are aggregated, so
    /// per-item details belong in the location, not here.
    pub message: String,
    /// The vendor concerned.
    pub vendor: Option<&'static str>,
    /// The signal concerned.
    pub signal: Option<Signal>,
    /// Where in the capture (file relative to the capture folder, OTLP locator, field).
    pub location: Option<Location>,
    /// The capture concerned, for vendor and run rules (capture rules get theirs stamped).
    pub capture: Option<String>,
}

impl Observation {
    /// An observation with a message only.
    pub fn new(message: impl Into<String>) -> Observation {
        Observation { message: message.into(), ..Observation::default() }
    }

    /// Sets the vendor.
    pub fn vendor(mut self, vendor: Option<&'static str>) -> Observation {
        self.vendor = vendor;
        self
    }

    /// Sets the signal.
    pub fn signal(mut self, signal: Option<Signal>) -> Observation {
        self.signal = signal;
        self
    }

    /// Sets the location.
    pub fn at(mut self, location: Location) -> Observation {
        self.location = Some(location);
        self
    }

    /// Sets the capture.
    pub fn capture(mut self, capture: impl Into<String>) -> Observation {
        self.capture = Some(capture.into());
        self
    }
}

/// What to run over.
pub struct Config<'a> {
    /// The adapters whose contract is checked (forced onto every capture, coverage, "has
    /// captures"). Detection always uses the whole registry, as the pipeline does.
    pub adapters: &'a [&'static dyn Adapter],
    /// Known-bad (capture or vendor, rule) pairs.
    pub expected_failures: ExpectedFailures,
    /// Only this vendor's captures and adapter (`--vendor`).
    pub vendor: Option<String>,
}

impl Default for Config<'_> {
    fn default() -> Self {
        Config { adapters: crate::adapters::ALL, expected_failures: ExpectedFailures::default(), vendor: None }
    }
}

/// A capture to check, named by its path relative to the corpus (`claude_code/2.1.321/text_answer`).
pub struct Input {
    /// The name used in findings and in `expected-failures.toml`.
    pub id: String,
    /// The loaded capture.
    pub capture: Capture,
}

impl Input {
    /// The vendor the capture belongs to: its manifest's, else the first path component.
    pub fn vendor(&self) -> Option<String> {
        match &self.capture.manifest {
            Some(manifest) => Some(manifest.vendor.clone()),
            None => self.id.split('/').next().filter(|it| !it.is_empty()).map(str::to_owned),
        }
    }
}

impl Input {
    /// Loads every capture folder under `corpus` (see [`crate::capture::discover`]), named by
    /// its path relative to `corpus` with `/` separators, sorted.
    pub fn load_corpus(corpus: &std::path::Path) -> Result<Vec<Input>, crate::capture::LoadError> {
        let mut inputs = Vec::new();
        let found = match crate::capture::discover(corpus) {
            // An existing folder without captures is an empty corpus: CA-RUN-001 says so.
            Err(crate::capture::LoadError::Unrecognized { .. }) if corpus.is_dir() => Vec::new(),
            other => other?,
        };
        for found in found {
            let capture = found.load(None)?;
            let relative = capture.path.strip_prefix(corpus).unwrap_or(&capture.path);
            let id = relative.iter().map(|it| it.to_string_lossy()).collect::<Vec<_>>().join("/");
            inputs.push(Input { id, capture });
        }
        inputs.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(inputs)
    }
}

/// Runs every rule over every capture, vendor and the run, and builds the report.
pub fn run(inputs: &[Input], config: &Config<'_>) -> Report {
    let selected: Vec<&Input> = inputs
        .iter()
        .filter(|input| config.vendor.as_deref().is_none_or(|vendor| input.vendor().as_deref() == Some(vendor)))
        .collect();
    let adapters: Vec<&'static dyn Adapter> = config
        .adapters
        .iter()
        .copied()
        .filter(|adapter| config.vendor.as_deref().is_none_or(|vendor| adapter.name() == vendor))
        .collect();
    let capture_runs: Vec<CaptureRun<'_>> = selected
        .iter()
        .map(|input| CaptureRun::prepare(&input.id, &input.capture, input.vendor(), &adapters))
        .collect();
    let vendor_runs: Vec<VendorRun<'_>> =
        adapters.iter().map(|adapter| VendorRun::new(*adapter, &capture_runs)).collect();
    let facts = RunFacts::new(&capture_runs, &adapters, config.vendor.clone());

    let mut builder = report::Builder::new(&config.expected_failures);
    for rule in RULES {
        match rule.check {
            Check::Capture(check) => {
                for capture_run in &capture_runs {
                    let observations = check(capture_run);
                    builder.case(rule, &capture_run.id, Some(capture_run.id.as_str()), observations);
                }
            }
            Check::Vendor(check) => {
                for vendor_run in &vendor_runs {
                    builder.case(rule, vendor_run.vendor, None, check(vendor_run));
                }
            }
            Check::Run(check) => builder.case(rule, report::RUN_SUBJECT, None, check(&facts)),
            // Needs every other case first: see `report::Builder::finish`.
            Check::Outcomes => {}
        }
    }
    let subjects: Vec<String> = capture_runs
        .iter()
        .map(|it| it.id.clone())
        .chain(vendor_runs.iter().map(|it| it.vendor.to_owned()))
        .chain([report::RUN_SUBJECT.to_owned()])
        .collect();
    builder.finish(&subjects, &capture_runs, &vendor_runs, &facts)
}

/// Runs one capture rule on one prepared capture (for tests that mutate a [`CaptureRun`]);
/// `None` when no capture rule has this id.
pub fn check_capture(rule_id: &str, capture_run: &CaptureRun<'_>) -> Option<Vec<Observation>> {
    match rule(rule_id)?.check {
        Check::Capture(check) => Some(check(capture_run)),
        _ => None,
    }
}

/// The rule with this id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|it| it.id == id)
}
