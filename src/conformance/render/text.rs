//! The text rendering: findings most severe first, then the statistics.

use std::fmt::Write;

use crate::conformance::report::{level_name, Report};
use crate::finding::Level;

use super::{location_text, percent, Context};

fn paint(context: &Context, code: &str, text: &str) -> String {
    if context.color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_owned()
    }
}

fn level_code(level: Level) -> &'static str {
    match level {
        Level::Violation => "31;1",
        Level::Improvement => "33",
        Level::Information => "36",
    }
}

/// Renders the report as text.
pub fn text(report: &Report, context: &Context) -> String {
    let mut out = String::new();
    let passed = report.passes(context.fail_on);
    let verdict = if passed { paint(context, "32;1", "PASS") } else { paint(context, "31;1", "FAIL") };
    let stats = &report.statistics;
    let count = |level: &str| stats.findings_by_level.get(level).copied().unwrap_or(0);
    let _ = writeln!(
        out,
        "codetel conformance: {verdict} (fail-on {}): {} violation(s), {} improvement(s), {} information; {} expected",
        context.fail_on.as_str(),
        count("violation"),
        count("improvement"),
        count("information"),
        stats.expected_findings
    );
    if !report.findings.is_empty() {
        let _ = writeln!(out);
    }
    for finding in &report.findings {
        let level = paint(context, level_code(finding.level), &format!("{:<11}", level_name(finding.level)));
        let mut parts = vec![finding.id.to_owned()];
        parts.extend(finding.vendor.map(str::to_owned));
        parts.push(finding.capture.clone().unwrap_or_else(|| finding.subject.clone()));
        parts.extend(finding.signal.clone());
        let times = if finding.count > 1 { format!(" (×{})", finding.count) } else { String::new() };
        let _ = writeln!(out, "{level} {}: {}{times}", parts.join(" "), finding.message);
        if let Some(reason) = &finding.expected {
            let _ = writeln!(out, "{:12}expected failure: {reason}", "");
        }
        for location in &finding.locations {
            let _ = writeln!(out, "{:12}at {}", "", location_text(location));
        }
        if finding.count > finding.locations.len() && !finding.locations.is_empty() {
            let _ = writeln!(out, "{:12}and {} more", "", finding.count - finding.locations.len());
        }
    }
    let omitted: usize = report.cases.iter().map(|it| it.omitted).sum();
    if omitted > 0 {
        let _ = writeln!(out, "{omitted} more distinct finding(s) not listed (see the statistics)");
    }
    let _ = writeln!(out, "\nstatistics");
    let _ = writeln!(out, "  captures: {}; vendors: {}", stats.captures, stats.vendors.join(", "));
    let outcome = &stats.records_by_outcome;
    let _ = writeln!(
        out,
        "  input items: {} = {} normalized + {} ignored + {} rejected; canonical records: {}",
        outcome.inputs, outcome.normalized, outcome.ignored, outcome.rejected, stats.canonical_records
    );
    let kinds: Vec<String> = stats.records_by_kind.iter().map(|(kind, n)| format!("{kind} {n}")).collect();
    let _ = writeln!(out, "  records by kind: {}", kinds.join(", "));
    let by_id: Vec<String> = stats.findings_by_id.iter().map(|(id, n)| format!("{id} {n}")).collect();
    let _ = writeln!(out, "  findings by id: {}", if by_id.is_empty() { "none".to_owned() } else { by_id.join(", ") });
    let cases = &stats.cases;
    let _ = writeln!(
        out,
        "  rules: {}; cases: {} = {} passed + {} failed + {} expected failures + {} unexpected passes",
        cases.rules, cases.cases, cases.passed, cases.failed, cases.expected_failures, cases.unexpected_passes
    );
    for (vendor, coverage) in &stats.coverage {
        let _ = writeln!(
            out,
            "  coverage {vendor}: {} names seen: {} mapped, {} passthrough, {} ignored, {} unmapped (mapped {}, covered {}); attribute keys: {} seen, {} unmapped",
            coverage.names_seen,
            coverage.mapped,
            coverage.passthrough,
            coverage.ignored,
            coverage.unmapped,
            percent(coverage.mapped_share),
            percent(coverage.covered_share),
            coverage.attribute_keys_seen,
            coverage.attribute_keys_unmapped
        );
    }
    out
}
