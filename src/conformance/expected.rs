//! Expected failures: known-bad (subject, rule) pairs, each with the reason it is accepted.
//!
//! The list lives in `corpus/expected-failures.toml`, one table per subject (a capture such as
//! `claude_code/2.1.321/service_name_leak`, a vendor such as `claude_code`, or `run`) with one
//! `RULE-ID = "reason"` line per rule:
//!
//! ```toml
//! ["claude_code/2.1.321/service_name_leak"]
//! CA-DET-004 = "the scenario sets OTEL_SERVICE_NAME=opencode on purpose"
//! ```
//!
//! A listed pair whose rule finds something is reported as an expected failure and does not
//! gate. A listed pair whose rule finds nothing is an *unexpected pass* and fails the run
//! (`CA-RUN-002`), so the list cannot outlive the defect it excuses.

use std::collections::BTreeMap;

use serde::Serialize;

/// The file name, in the corpus folder.
pub const FILE: &str = "expected-failures.toml";

/// One accepted failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExpectedFailure {
    /// A capture id, a vendor id, or `run`.
    pub subject: String,
    /// The rule id.
    pub rule: String,
    /// Why the failure is accepted (an issue link, a scenario's purpose).
    pub reason: String,
}

/// Every accepted failure.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ExpectedFailures {
    /// In file order of subjects, then rules.
    pub entries: Vec<ExpectedFailure>,
}

/// The list does not parse.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {message}")]
pub struct ParseError {
    /// The file, as given.
    pub file: String,
    /// What is wrong.
    pub message: String,
}

impl ExpectedFailures {
    /// Parses the TOML text of the list; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<ExpectedFailures, ParseError> {
        let tables: BTreeMap<String, BTreeMap<String, toml::Value>> = toml::from_str(text)
            .map_err(|error| ParseError { file: file.to_owned(), message: error.to_string() })?;
        let mut entries = Vec::new();
        for (subject, rules) in tables {
            for (rule, reason) in rules {
                let Some(reason) = reason.as_str().map(str::trim).filter(|it| !it.is_empty()) else {
                    return Err(ParseError {
                        file: file.to_owned(),
                        message: format!("[\"{subject}\"] {rule}: the value must be a non-empty reason string"),
                    });
                };
                entries.push(ExpectedFailure { subject: subject.clone(), rule, reason: reason.to_owned() });
            }
        }
        Ok(ExpectedFailures { entries })
    }

    /// The reason a (subject, rule) failure is accepted, if it is.
    pub fn reason(&self, subject: &str, rule: &str) -> Option<&str> {
        self.entries.iter().find(|it| it.subject == subject && it.rule == rule).map(|it| it.reason.as_str())
    }
}
