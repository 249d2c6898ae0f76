//! The JUnit XML rendering: one `<testsuite>` per rule, one `<testcase>` per subject
//! (capture, vendor or `run`). A case fails when it has a finding that fails the gate; an
//! expected failure is `<skipped>` with its reason; findings below the gate go to
//! `<system-out>`, so the test tab shows them without failing.

use std::fmt::Write;

use crate::conformance::report::{level_name, CaseStatus, Report, ReportedFinding};

use super::{location_text, Context};

/// Escapes text for XML attributes and character data.
pub(crate) fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 forbids most control characters even when escaped.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Renders the report as JUnit XML.
pub fn junit(report: &Report, context: &Context) -> String {
    let mut suites = String::new();
    let (mut total, mut total_failures, mut total_skipped) = (0, 0, 0);
    for rule in &report.rules {
        let cases: Vec<_> = report.cases.iter().filter(|it| it.rule == rule.id).collect();
        let mut body = String::new();
        let (mut failures, mut skipped) = (0, 0);
        for case in &cases {
            let findings: Vec<&ReportedFinding> = report.case_findings(case).collect();
            let gates = |it: &&ReportedFinding| it.expected.is_none() && (it.always_gates || context.fail_on.fails(it.level));
            let details = |keep: &dyn Fn(&&ReportedFinding) -> bool| -> String {
                let mut text = String::new();
                for finding in findings.iter().filter(|it| keep(it)) {
                    let _ = writeln!(text, "{} {}: {} (×{})", level_name(finding.level), finding.id, finding.message, finding.count);
                    for location in &finding.locations {
                        let _ = writeln!(text, "  at {}", location_text(location));
                    }
                }
                text
            };
            let mut children = Vec::new();
            match case.status {
                CaseStatus::ExpectedFailure => {
                    skipped += 1;
                    let reason = case.expected_reason.clone().unwrap_or_default();
                    children.push(format!("<skipped message=\"expected failure: {}\"/>", xml_escape(&reason)));
                }
                CaseStatus::UnexpectedPass => {
                    failures += 1;
                    children.push(
                        "<failure type=\"unexpected_pass\" message=\"listed in expected-failures.toml but passes; delete the entry\"/>"
                            .to_owned(),
                    );
                }
                CaseStatus::Fail if report.case_fails(case, context.fail_on) => {
                    failures += 1;
                    let first = findings.iter().find(|it| gates(it)).map(|it| it.message.clone()).unwrap_or_default();
                    children.push(format!(
                        "<failure type=\"{}\" message=\"{}\">{}</failure>",
                        level_name(rule.level),
                        xml_escape(&first),
                        xml_escape(&details(&gates))
                    ));
                }
                CaseStatus::Fail | CaseStatus::Pass => {}
            }
            let below = details(&|it| !gates(it));
            if !below.is_empty() {
                children.push(format!("<system-out>{}</system-out>", xml_escape(&below)));
            }
            let open = format!("    <testcase classname=\"{}\" name=\"{}\"", xml_escape(rule.id), xml_escape(&case.subject));
            if children.is_empty() {
                let _ = writeln!(body, "{open}/>");
            } else {
                let _ = writeln!(body, "{open}>\n      {}\n    </testcase>", children.join("\n      "));
            }
        }
        total += cases.len();
        total_failures += failures;
        total_skipped += skipped;
        let _ = writeln!(
            suites,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">\n    <properties><property name=\"level\" value=\"{}\"/><property name=\"summary\" value=\"{}\"/></properties>\n{body}  </testsuite>",
            xml_escape(rule.id),
            cases.len(),
            level_name(rule.level),
            xml_escape(rule.summary)
        );
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"codetel conformance\" tests=\"{total}\" failures=\"{total_failures}\" errors=\"0\" skipped=\"{total_skipped}\">\n{suites}</testsuites>\n"
    )
}
