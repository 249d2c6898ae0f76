//! `capture.toml`: how a capture was made. Written by `cargo xtask record`, read by every
//! consumer of the corpus. A capture is only as trustworthy as its manifest says.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The manifest file name inside a capture folder.
pub const MANIFEST_FILE: &str = "capture.toml";

/// Whether a capture came from the real CLI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provenance {
    /// Recorded from the real, unmodified CLI.
    Real,
    /// Written or altered by hand; `synthetic_reason` says why.
    Synthetic,
}

/// The contents of `capture.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Vendor id (`claude_code`).
    pub vendor: String,
    /// The CLI package (`@anthropic-ai/claude-code`).
    pub cli: String,
    /// The CLI version that was run.
    pub cli_version: String,
    /// Scenario name (the folder name).
    pub scenario: String,
    /// One line: what this capture exercises.
    pub purpose: String,
    /// `real` or `synthetic`.
    pub provenance: Provenance,
    /// Why it is synthetic (required when it is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub synthetic_reason: Option<String>,
    /// Date of recording (`YYYY-MM-DD`).
    pub recorded_at: String,
    /// The command that made it (`cargo xtask record claude_code --scenario text_answer`),
    /// or a description of how it was obtained for imported captures.
    pub recorded_with: String,
    /// The exact argv of the CLI run (paths below the temporary HOME written as `$HOME`).
    #[serde(default)]
    pub argv: Vec<String>,
    /// The environment variables set for the run (dummy secrets included as set).
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// OTLP encodings present (`json`, `protobuf`), and `gzip` when bodies are compressed.
    pub encodings: Vec<String>,
    /// Signals present (`logs`, `metrics`, `traces`).
    pub signals: Vec<String>,
    /// The vendor's content switches and their values in this run.
    #[serde(default)]
    pub content_flags: BTreeMap<String, String>,
    /// Canary strings planted in the prompt, commands or paths; none may survive `metadata_only`.
    #[serde(default)]
    pub canaries: Vec<String>,
    /// Identity values replaced at record time: attribute key to placeholder.
    #[serde(default)]
    pub identity_placeholders: BTreeMap<String, String>,
    /// How many items the capture holds, so a run that sees fewer fails loudly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<ExpectedCounts>,
    /// Free-form notes (quirks seen, upstream provenance for imported captures).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

/// Item counts a capture is known to hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ExpectedCounts {
    /// Request bodies.
    pub requests: usize,
    /// Log records.
    pub log_records: usize,
    /// Metric data points.
    pub data_points: usize,
    /// Spans.
    pub spans: usize,
}
