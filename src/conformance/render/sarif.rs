//! The SARIF 2.1.0 rendering, for code-scanning tools.
//!
//! Each aggregated finding is one result. It points at the corpus file it is about
//! (`corpus/<capture>/<file>`, with the OTLP locator as a logical location) and, as a related
//! location, at the adapter line that handles what the message names: a string literal equal
//! to a name quoted in the message, else the adapter's `fn normalize`. Findings about no file
//! point at the adapter, else at the rule's line in `docs/spec.md`. Expected failures are
//! results with an external suppression carrying the reason.

use serde_json::{json, Value as Json};

use crate::conformance::report::{Report, ReportedFinding};
use crate::conformance::spec;
use crate::finding::Level;

use super::Context;

/// The SARIF level of a finding level.
pub fn sarif_level(level: Level) -> &'static str {
    match level {
        Level::Violation => "error",
        Level::Improvement => "warning",
        Level::Information => "note",
    }
}

/// Names quoted in backticks in a message, in order.
fn quoted(message: &str) -> Vec<&str> {
    message.split('`').skip(1).step_by(2).filter(|it| !it.is_empty()).collect()
}

/// The 1-based line of the adapter source that best matches a finding.
pub fn adapter_line(source: &str, message: &str) -> usize {
    let lines: Vec<&str> = source.lines().collect();
    for name in quoted(message) {
        // The literal itself, the vendor's prefixed spelling (`claude_code.<name>`), or the name
        // without its prefix.
        let candidates =
            [format!("\"{name}\""), format!(".{name}\""), format!("\"{}\"", name.rsplit('.').next().unwrap_or(name))];
        for candidate in &candidates {
            if let Some(index) = lines.iter().position(|line| line.contains(candidate.as_str())) {
                return index + 1;
            }
        }
    }
    let fallback = lines
        .iter()
        .position(|line| line.trim_start().starts_with("fn normalize("))
        .or_else(|| lines.iter().position(|line| line.contains("impl Adapter for")));
    fallback.map_or(1, |index| index + 1)
}

fn physical(uri: &str, line: usize) -> Json {
    json!({
        "artifactLocation": { "uri": uri, "uriBaseId": "%SRCROOT%" },
        "region": { "startLine": line.max(1) }
    })
}

fn adapter_location(finding: &ReportedFinding, context: &Context) -> Option<Json> {
    let vendor = finding.vendor?;
    let source = context.adapter_sources.get(vendor)?;
    Some(physical(&format!("adapters/{vendor}/mod.rs"), adapter_line(source, &finding.message)))
}

fn spec_location(finding: &ReportedFinding, context: &Context) -> Json {
    physical("docs/spec.md", spec::line_of(&context.spec, finding.id).unwrap_or(1))
}

fn corpus_locations(finding: &ReportedFinding, context: &Context) -> Vec<Json> {
    let Some(capture) = &finding.capture else { return Vec::new() };
    finding
        .locations
        .iter()
        .filter(|it| !it.file.is_empty())
        .map(|location| {
            // JSONL requests are named `file.jsonl:LINE`.
            let (file, line) = match location.file.rsplit_once(':') {
                Some((file, line)) if line.parse::<usize>().is_ok() => (file, line.parse().unwrap_or(1)),
                _ => (location.file.as_str(), 1),
            };
            let mut value = json!({
                "physicalLocation": physical(&format!("{}/{capture}/{file}", context.corpus_dir), line),
            });
            if !location.locator.is_empty() {
                let name = if location.field.is_empty() {
                    location.locator.clone()
                } else {
                    format!("{}.{}", location.locator, location.field)
                };
                value["logicalLocations"] = json!([{ "fullyQualifiedName": name, "kind": "element" }]);
            }
            value
        })
        .collect()
}

fn result(finding: &ReportedFinding, rule_index: usize, context: &Context) -> Json {
    let adapter = adapter_location(finding, context);
    let mut locations = corpus_locations(finding, context);
    let mut related = Vec::new();
    if locations.is_empty() {
        locations.push(json!({ "physicalLocation": adapter.clone().unwrap_or_else(|| spec_location(finding, context)) }));
    } else if let Some(adapter) = adapter {
        related.push(json!({ "id": 1, "physicalLocation": adapter, "message": { "text": "the adapter" } }));
    }
    let text = if finding.count > 1 { format!("{} (×{})", finding.message, finding.count) } else { finding.message.clone() };
    let mut value = json!({
        "ruleId": finding.id,
        "ruleIndex": rule_index,
        "level": sarif_level(finding.level),
        "message": { "text": text },
        "locations": locations,
        "properties": {
            "count": finding.count,
            "subject": finding.subject,
            "vendor": finding.vendor,
            "capture": finding.capture,
            "signal": finding.signal,
        },
    });
    if !related.is_empty() {
        value["relatedLocations"] = Json::Array(related);
    }
    if let Some(reason) = &finding.expected {
        value["suppressions"] = json!([{ "kind": "external", "justification": reason }]);
    }
    value
}

/// Renders the report as SARIF 2.1.0.
pub fn sarif(report: &Report, context: &Context) -> String {
    let rules: Vec<Json> = report
        .rules
        .iter()
        .map(|rule| {
            let group = rule.id.split('-').nth(1).unwrap_or_default().to_ascii_lowercase();
            json!({
                "id": rule.id,
                "name": rule.id,
                "shortDescription": { "text": rule.summary },
                "fullDescription": { "text": format!("{} ({}).", rule.summary, rule.subject) },
                "help": { "text": format!("See {} in docs/spec.md.", rule.id) },
                "defaultConfiguration": { "level": sarif_level(rule.level) },
                "properties": { "tags": [group] },
            })
        })
        .collect();
    let results: Vec<Json> = report
        .findings
        .iter()
        .map(|finding| {
            let index = report.rules.iter().position(|it| it.id == finding.id).unwrap_or(0);
            result(finding, index, context)
        })
        .collect();
    let value = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "codetel-conformance",
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "invocations": [{
                "executionSuccessful": true,
                "properties": { "passed": report.passes(context.fail_on), "failOn": context.fail_on.as_str() },
            }],
            "results": results,
            "properties": { "statistics": report.statistics },
        }],
    });
    serde_json::to_string_pretty(&value).unwrap_or_default() + "\n"
}
