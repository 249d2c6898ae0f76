//! Renderings of a conformance [`Report`]: text for people, JSON for tools, JUnit XML for CI
//! test tabs, SARIF 2.1.0 for code scanning, Markdown for a CI step summary.
//!
//! Rendering is pure: what it needs from the repository (the spec text for rule lines, the
//! adapter sources for SARIF locations) comes in through [`Context`].

mod junit;
mod markdown;
mod sarif;
mod text;

use std::collections::BTreeMap;

pub use junit::junit;
pub use markdown::markdown;
pub use sarif::{adapter_line as sarif_adapter_line, sarif};
pub use text::text;

use super::report::{FailOn, Report};

/// The output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Readable text.
    Text,
    /// The report as JSON.
    Json,
    /// JUnit XML: a test suite per rule, a test case per subject.
    Junit,
    /// SARIF 2.1.0.
    Sarif,
    /// Markdown for a CI step summary.
    Markdown,
}

impl Format {
    /// Parses `text`, `json`, `junit`, `sarif` or `markdown`.
    pub fn parse(text: &str) -> Option<Format> {
        match text {
            "text" => Some(Format::Text),
            "json" => Some(Format::Json),
            "junit" => Some(Format::Junit),
            "sarif" => Some(Format::Sarif),
            "markdown" | "md" => Some(Format::Markdown),
            _ => None,
        }
    }
}

/// What a rendering needs besides the report.
#[derive(Debug, Clone)]
pub struct Context {
    /// The gate, so renderings agree with the exit status.
    pub fail_on: FailOn,
    /// The corpus folder relative to the repository root (`corpus`), for file URIs.
    pub corpus_dir: String,
    /// The text of `docs/spec.md`, for rule lines (SARIF); empty when unknown.
    pub spec: String,
    /// Source text of `adapters/<vendor>/mod.rs` by vendor, for SARIF locations.
    pub adapter_sources: BTreeMap<String, String>,
    /// ANSI colors (text only).
    pub color: bool,
}

impl Context {
    /// A context with no repository files: rule and adapter lines are left out.
    pub fn new(fail_on: FailOn) -> Context {
        Context {
            fail_on,
            corpus_dir: "corpus".to_owned(),
            spec: String::new(),
            adapter_sources: BTreeMap::new(),
            color: false,
        }
    }
}

/// Renders `report` in `format`.
pub fn render(report: &Report, format: Format, context: &Context) -> String {
    match format {
        Format::Text => text(report, context),
        Format::Json => json(report, context),
        Format::Junit => junit(report, context),
        Format::Sarif => sarif(report, context),
        Format::Markdown => markdown(report, context),
    }
}

/// The report as pretty JSON, with the gate's verdict.
pub fn json(report: &Report, context: &Context) -> String {
    let value = serde_json::json!({
        "passed": report.passes(context.fail_on),
        "fail_on": context.fail_on,
        "report": report,
    });
    serde_json::to_string_pretty(&value).unwrap_or_default() + "\n"
}

/// `file locator field`, for one-line locations.
pub(crate) fn location_text(location: &crate::finding::Location) -> String {
    [location.file.as_str(), location.locator.as_str(), location.field.as_str()]
        .iter()
        .filter(|it| !it.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A share as a percentage with no decimals.
pub(crate) fn percent(share: f64) -> String {
    format!("{:.0}%", share * 100.0)
}
