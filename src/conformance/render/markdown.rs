//! The Markdown rendering, sized for a CI step summary: verdict, counts, failing cases,
//! coverage, and the findings (capped) in a collapsed block.

use std::fmt::Write;

use crate::conformance::report::{level_name, CaseStatus, Report};

use super::{location_text, percent, Context};

/// Findings listed in the collapsed table, at most.
const MAX_ROWS: usize = 100;

/// Escapes table cell text.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// Renders the report as Markdown.
pub fn markdown(report: &Report, context: &Context) -> String {
    let mut out = String::new();
    let stats = &report.statistics;
    let verdict = if report.passes(context.fail_on) { "✅ pass" } else { "❌ fail" };
    let _ = writeln!(out, "## codetel conformance: {verdict}\n");
    let _ = writeln!(
        out,
        "fail-on `{}` · {} capture(s) · vendors: {} · {} rules, {} cases\n",
        context.fail_on.as_str(),
        stats.captures,
        if stats.vendors.is_empty() { "none".to_owned() } else { stats.vendors.join(", ") },
        stats.cases.rules,
        stats.cases.cases
    );
    let count = |level: &str| stats.findings_by_level.get(level).copied().unwrap_or(0);
    let _ = writeln!(out, "| violations | improvements | information | expected | cases passed | failed | expected failures | unexpected passes |");
    let _ = writeln!(out, "|---:|---:|---:|---:|---:|---:|---:|---:|");
    let _ = writeln!(
        out,
        "| {} | {} | {} | {} | {} | {} | {} | {} |\n",
        count("violation"),
        count("improvement"),
        count("information"),
        stats.expected_findings,
        stats.cases.passed,
        stats.cases.failed,
        stats.cases.expected_failures,
        stats.cases.unexpected_passes
    );
    let outcome = &stats.records_by_outcome;
    let _ = writeln!(
        out,
        "Input items: **{}** = {} normalized + {} ignored + {} rejected → {} canonical records.\n",
        outcome.inputs, outcome.normalized, outcome.ignored, outcome.rejected, stats.canonical_records
    );
    let failing: Vec<_> = report
        .cases
        .iter()
        .filter(|it| report.case_fails(it, context.fail_on) || it.status == CaseStatus::UnexpectedPass)
        .collect();
    if !failing.is_empty() {
        let _ = writeln!(out, "### Failing cases\n\n| rule | level | subject | findings | first message |\n|---|---|---|---:|---|");
        for case in failing {
            let first = report.case_findings(case).next().map(|it| it.message.clone()).unwrap_or_else(|| "unexpected pass".to_owned());
            let _ = writeln!(
                out,
                "| `{}` | {} | `{}` | {} | {} |",
                case.rule,
                level_name(case.level),
                cell(&case.subject),
                case.findings,
                cell(&first)
            );
        }
        let _ = writeln!(out);
    }
    if !stats.coverage.is_empty() {
        let _ = writeln!(out, "### Coverage\n\n| vendor | names | mapped | passthrough | ignored | unmapped | mapped share | covered share | attribute keys | unmapped keys |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (vendor, coverage) in &stats.coverage {
            let _ = writeln!(
                out,
                "| `{vendor}` | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
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
        let _ = writeln!(out);
    }
    if !report.findings.is_empty() {
        let _ = writeln!(out, "<details><summary>Findings ({} distinct)</summary>\n", report.findings.len());
        let _ = writeln!(out, "| level | rule | capture / subject | signal | message | count | first location |\n|---|---|---|---|---|---:|---|");
        for finding in report.findings.iter().take(MAX_ROWS) {
            let level = match &finding.expected {
                Some(_) => format!("{} (expected)", level_name(finding.level)),
                None => level_name(finding.level).to_owned(),
            };
            let _ = writeln!(
                out,
                "| {level} | `{}` | `{}` | {} | {} | {} | {} |",
                finding.id,
                cell(finding.capture.as_deref().unwrap_or(&finding.subject)),
                finding.signal.as_deref().unwrap_or(""),
                cell(&finding.message),
                finding.count,
                cell(&finding.locations.first().map(location_text).unwrap_or_default())
            );
        }
        if report.findings.len() > MAX_ROWS {
            let _ = writeln!(out, "\n{} more not shown; see the JSON report.", report.findings.len() - MAX_ROWS);
        }
        let _ = writeln!(out, "\n</details>");
    }
    out
}
