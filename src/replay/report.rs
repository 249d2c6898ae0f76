//! The end report of a replay: per capture and per signal, requests and items sent, accepted,
//! rejected (partial success), retried and failed, latency percentiles, and what the endpoint
//! answered (`200 on json`, `415 on protobuf`), with the messages it gave. Rendered as a
//! terminal table, JSON, JUnit XML or Markdown.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::Duration;

use serde::Serialize;

use super::{Answer, Outcome, ReplayCapture};

/// Figures of one capture and signal (or of everything).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Row {
    /// Capture label (`claude_code/2.1.321/bash_tool_call`), or `total`.
    pub capture: String,
    /// `logs`, `metrics`, `traces`, or `all`.
    pub signal: String,
    /// Requests sent (each counted once, whatever its retries).
    pub requests: u64,
    /// Items (log records, data points, spans) sent.
    pub items: u64,
    /// Items the endpoint accepted (in 2xx answers, minus those it said it rejected).
    pub accepted: u64,
    /// Items rejected in a partial success.
    pub rejected: u64,
    /// Retries made.
    pub retried: u64,
    /// Requests that ended without a 2xx (a final refusal, retries exhausted, no answer).
    pub failed: u64,
    /// Items of the failed requests.
    pub failed_items: u64,
    /// Latency of attempts, 50th percentile, milliseconds.
    pub p50_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Every answer seen (`200 on json`, `429 on protobuf (retried)`) with its count.
    pub answers: BTreeMap<String, u64>,
    /// Distinct messages of partial successes and refusals (the first few).
    pub messages: Vec<String>,
    #[serde(skip)]
    latencies: Vec<Duration>,
}

/// The report of a run.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Report {
    /// The endpoint.
    pub endpoint: String,
    /// One row per capture and signal, in capture order.
    pub rows: Vec<Row>,
    /// Everything together.
    pub total: Row,
    /// Wall time of the run in seconds.
    pub elapsed_seconds: f64,
    /// `--verify` differences, one entry per capture replay that differed.
    pub verify_differences: Vec<String>,
}

const MAX_MESSAGES: usize = 5;

impl Row {
    fn add(&mut self, outcome: &Outcome) {
        self.requests += 1;
        self.items += outcome.items as u64;
        self.retried += u64::from(outcome.retries);
        self.latencies.extend(&outcome.latencies);
        for (index, answer) in outcome.answers.iter().enumerate() {
            let retried = index + 1 < outcome.answers.len();
            let label = format!("{} on {}{}", answer.label(), outcome.sent_as, if retried { " (retried)" } else { "" });
            *self.answers.entry(label).or_default() += 1;
            let message = match answer {
                Answer::Accepted { message: Some(message), rejected, .. } => Some(format!("{rejected} rejected: {message}")),
                Answer::Refused { status, message, .. } if !message.is_empty() => Some(format!("{status}: {message}")),
                Answer::Transport { message } => Some(message.clone()),
                _ => None,
            };
            if let Some(message) = message {
                if !self.messages.contains(&message) && self.messages.len() < MAX_MESSAGES {
                    self.messages.push(message);
                }
            }
        }
        match outcome.last() {
            Some(Answer::Accepted { rejected, .. }) => {
                let rejected = (*rejected).min(outcome.items as u64);
                self.rejected += rejected;
                self.accepted += outcome.items as u64 - rejected;
            }
            _ => {
                self.failed += 1;
                self.failed_items += outcome.items as u64;
            }
        }
    }

    fn merge(&mut self, other: &Row) {
        self.requests += other.requests;
        self.items += other.items;
        self.accepted += other.accepted;
        self.rejected += other.rejected;
        self.retried += other.retried;
        self.failed += other.failed;
        self.failed_items += other.failed_items;
        self.latencies.extend(&other.latencies);
        for (answer, count) in &other.answers {
            *self.answers.entry(answer.clone()).or_default() += count;
        }
        for message in &other.messages {
            if !self.messages.contains(message) && self.messages.len() < MAX_MESSAGES {
                self.messages.push(message.clone());
            }
        }
    }

    fn finish(&mut self) {
        let mut sorted: Vec<f64> = self.latencies.iter().map(|it| it.as_secs_f64() * 1000.0).collect();
        sorted.sort_by(f64::total_cmp);
        self.p50_ms = percentile(&sorted, 0.50);
        self.p90_ms = percentile(&sorted, 0.90);
        self.p99_ms = percentile(&sorted, 0.99);
    }
}

/// Nearest-rank percentile of sorted values (0 when there are none).
pub fn percentile(sorted: &[f64], fraction: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (fraction * sorted.len() as f64).ceil().max(1.0) as usize;
    let value = sorted[rank.min(sorted.len()) - 1];
    (value * 100.0).round() / 100.0
}

impl Report {
    /// Builds the report from a run's outcomes.
    pub fn new(endpoint: &str, captures: &[ReplayCapture], outcomes: &[Outcome], elapsed: Duration) -> Report {
        let mut rows: BTreeMap<(usize, &'static str), Row> = BTreeMap::new();
        for outcome in outcomes {
            let row = rows.entry((outcome.capture, outcome.signal.as_str())).or_insert_with(|| Row {
                capture: captures.get(outcome.capture).map(|it| it.label.clone()).unwrap_or_default(),
                signal: outcome.signal.as_str().to_owned(),
                ..Row::default()
            });
            row.add(outcome);
        }
        let mut total = Row { capture: "total".to_owned(), signal: "all".to_owned(), ..Row::default() };
        let mut rows: Vec<Row> = rows.into_values().collect();
        for row in &mut rows {
            total.merge(row);
            row.finish();
        }
        total.finish();
        Report {
            endpoint: endpoint.to_owned(),
            rows,
            total,
            elapsed_seconds: elapsed.as_secs_f64(),
            verify_differences: Vec::new(),
        }
    }

    /// Whether the run is a success: nothing rejected, nothing failed (unless
    /// `allow_rejects`), and no `--verify` difference.
    pub fn success(&self, allow_rejects: bool) -> bool {
        let clean = self.total.rejected == 0 && self.total.failed == 0;
        (clean || allow_rejects) && self.verify_differences.is_empty()
    }

    /// A table for the terminal.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let width = self.rows.iter().map(|it| it.capture.len()).max().unwrap_or(5).max(5);
        let _ = writeln!(
            out,
            "{:<width$} {:<7} {:>5} {:>7} {:>8} {:>8} {:>7} {:>6} {:>8} {:>8} {:>8}  answers",
            "capture", "signal", "reqs", "items", "accepted", "rejected", "retried", "failed", "p50 ms", "p90 ms", "p99 ms"
        );
        for row in self.rows.iter().chain(std::iter::once(&self.total)) {
            let answers: Vec<String> = row.answers.iter().map(|(answer, count)| format!("{count}× {answer}")).collect();
            let _ = writeln!(
                out,
                "{:<width$} {:<7} {:>5} {:>7} {:>8} {:>8} {:>7} {:>6} {:>8.1} {:>8.1} {:>8.1}  {}",
                row.capture,
                row.signal,
                row.requests,
                row.items,
                row.accepted,
                row.rejected,
                row.retried,
                row.failed,
                row.p50_ms,
                row.p90_ms,
                row.p99_ms,
                answers.join(", ")
            );
        }
        for message in &self.total.messages {
            let _ = writeln!(out, "  endpoint said: {message}");
        }
        let _ = writeln!(out, "{} requests to {} in {:.2} s", self.total.requests, self.endpoint, self.elapsed_seconds);
        out
    }

    /// The report as pretty JSON.
    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// A Markdown table.
    pub fn markdown(&self) -> String {
        let mut out = format!("# Replay to {}\n\n", self.endpoint);
        out.push_str("| capture | signal | requests | items | accepted | rejected | retried | failed | p50 ms | p90 ms | p99 ms | answers |\n");
        out.push_str("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
        for row in self.rows.iter().chain(std::iter::once(&self.total)) {
            let answers: Vec<String> = row.answers.iter().map(|(answer, count)| format!("{count}× {answer}")).collect();
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {:.1} | {:.1} | {:.1} | {} |",
                row.capture,
                row.signal,
                row.requests,
                row.items,
                row.accepted,
                row.rejected,
                row.retried,
                row.failed,
                row.p50_ms,
                row.p90_ms,
                row.p99_ms,
                answers.join("; ").replace('|', "\\|")
            );
        }
        if !self.total.messages.is_empty() {
            out.push_str("\nEndpoint messages:\n\n");
            for message in &self.total.messages {
                let _ = writeln!(out, "- {}", message.replace('\n', " "));
            }
        }
        for difference in &self.verify_differences {
            let _ = writeln!(out, "\n```diff\n{difference}\n```");
        }
        out
    }

    /// JUnit XML: a test suite per capture, a test case per signal, failing when anything of
    /// it was rejected or failed.
    pub fn junit(&self) -> String {
        let mut suites: BTreeMap<&str, Vec<&Row>> = BTreeMap::new();
        for row in &self.rows {
            suites.entry(row.capture.as_str()).or_default().push(row);
        }
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let failures = self.rows.iter().filter(|it| it.failed > 0 || it.rejected > 0).count();
        let _ = writeln!(
            out,
            "<testsuites name=\"codetel replay\" tests=\"{}\" failures=\"{failures}\" time=\"{:.3}\">",
            self.rows.len(),
            self.elapsed_seconds
        );
        for (capture, rows) in suites {
            let failed = rows.iter().filter(|it| it.failed > 0 || it.rejected > 0).count();
            let _ = writeln!(out, "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failed}\">", xml(capture), rows.len());
            for row in rows {
                let _ = write!(
                    out,
                    "    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\"",
                    xml(capture),
                    row.signal,
                    row.p50_ms / 1000.0
                );
                if row.failed > 0 || row.rejected > 0 {
                    let answers: Vec<String> = row.answers.iter().map(|(answer, count)| format!("{count}x {answer}")).collect();
                    let _ = writeln!(
                        out,
                        ">\n      <failure message=\"{} failed, {} rejected\">{}\n{}</failure>\n    </testcase>",
                        row.failed,
                        row.rejected,
                        xml(&answers.join("; ")),
                        xml(&row.messages.join("\n"))
                    );
                } else {
                    out.push_str("/>\n");
                }
            }
            out.push_str("  </testsuite>\n");
        }
        out.push_str("</testsuites>\n");
        out
    }
}

fn xml(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&values, 0.5), 50.0);
        assert_eq!(percentile(&values, 0.9), 90.0);
        assert_eq!(percentile(&values, 0.99), 99.0);
        assert_eq!(percentile(&[7.0], 0.99), 7.0);
        assert_eq!(percentile(&[], 0.5), 0.0);
    }
}
