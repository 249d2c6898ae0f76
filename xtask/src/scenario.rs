//! Scenario files: `xtask/scenarios/<vendor>/<scenario>.toml`, one recording recipe each.
//!
//! A scenario says what the CLI is asked (prompt, extra arguments, environment), how the mock
//! model answers (a script of turns), which canary strings are planted, and what the capture must
//! contain afterwards. The format is vendor-neutral: the vendor module turns it into a command
//! line and the vendor's mock turns the script into its own wire format.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::Deserialize;

/// One scenario file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// One line: what this capture exercises (copied into the manifest).
    pub purpose: String,
    /// The prompt given to the CLI in its one-shot mode.
    pub prompt: String,
    /// Extra CLI arguments after the prompt (e.g. tool permissions).
    #[serde(default)]
    pub args: Vec<String>,
    /// OTLP/HTTP protocol the CLI is told to use: `http/json` or `http/protobuf`.
    pub otlp_protocol: String,
    /// Environment overrides applied after the vendor's defaults (content flags, tracing, ...).
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Settings for the CLI's own config file (dotted keys such as `otel.log_user_prompt`), for
    /// vendors whose switches live there instead of the environment; the recipe writes them.
    #[serde(default)]
    pub config: BTreeMap<String, toml::Value>,
    /// Strings planted in the prompt, commands or paths, listed in the manifest.
    #[serde(default)]
    pub canaries: Vec<String>,
    /// Extra header names whose values the capture server removes (beyond the built-in list).
    #[serde(default)]
    pub redact_headers: Vec<String>,
    /// How the working directory is prepared before the run.
    #[serde(default)]
    pub work_dir: WorkDirSetup,
    /// Upper bound for the CLI run in seconds.
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
    /// The mock model's script.
    pub model: ModelScript,
    /// What the capture must contain; the recorder fails when something is missing.
    #[serde(default)]
    pub expect: Expectations,
    /// Observations about this recording, copied into the manifest's notes.
    #[serde(default)]
    pub notes: Option<String>,
}

fn default_timeout_secs() -> u64 {
    90
}

/// Preparation of the CLI's working directory.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkDirSetup {
    /// Run `git init` so git-aware tools and prompts see a repository.
    #[serde(default)]
    pub git_init: bool,
    /// Files to create: relative path to contents.
    #[serde(default)]
    pub files: BTreeMap<String, String>,
}

/// The mock model's behaviour.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelScript {
    /// Answers to the agent's main requests, consumed in order.
    pub turns: Vec<Turn>,
    /// Answer once the turns are used up, so an extra request never hangs or errors.
    #[serde(default = "default_final_text")]
    pub final_text: String,
    /// Answer to side calls (titles, summaries, classifiers) that are not part of the script.
    #[serde(default = "default_side_text")]
    pub side_text: String,
}

fn default_final_text() -> String {
    "Done.".to_string()
}

fn default_side_text() -> String {
    "OK".to_string()
}

/// One scripted answer to a main request.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Turn {
    /// A plain text answer that ends the turn.
    Text {
        /// The answer text.
        text: String,
    },
    /// A request to call one tool.
    ToolUse {
        /// The tool name as the CLI declares it (`Bash`).
        tool: String,
        /// The tool's input object.
        input: serde_json::Value,
        /// Optional text the model says before the call.
        #[serde(default)]
        text: Option<String>,
        /// Send the tool name and input exactly as scripted, even when the request does not
        /// declare that tool (a model calling a tool the CLI does not offer). Without it the
        /// OpenAI mocks fit the call to a declared tool, falling back to the shell tool.
        #[serde(default)]
        exact: bool,
    },
    /// An HTTP error instead of an answer.
    HttpError {
        /// HTTP status code (`500`, `429`, `529`, ...).
        status: u16,
        /// Seconds for a `retry-after` header.
        #[serde(default)]
        retry_after: Option<u32>,
        /// The provider's error type (`api_error`, `rate_limit_error`, ...).
        #[serde(default)]
        error_type: Option<String>,
        /// The error message.
        #[serde(default)]
        message: Option<String>,
        /// Extra response headers.
        #[serde(default)]
        headers: BTreeMap<String, String>,
    },
}

/// Names that must show up in the capture.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectations {
    /// Log event names (attribute `event.name`).
    #[serde(default)]
    pub events: Vec<String>,
    /// Metric names.
    #[serde(default)]
    pub metrics: Vec<String>,
    /// Span names.
    #[serde(default)]
    pub spans: Vec<String>,
    /// Every planted canary must appear in some captured body (content flags on).
    #[serde(default)]
    pub canaries_exported: bool,
    /// A file the tool call must have created in the working directory.
    #[serde(default)]
    pub work_file: Option<String>,
    /// The resource `service.name` every request must carry.
    #[serde(default)]
    pub service_name: Option<String>,
}

impl Scenario {
    /// Reads and checks one scenario file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading scenario {}", path.display()))?;
        let scenario: Scenario = toml::from_str(&text)
            .with_context(|| format!("parsing scenario {}", path.display()))?;
        scenario
            .validate()
            .with_context(|| format!("checking scenario {}", path.display()))?;
        Ok(scenario)
    }

    fn validate(&self) -> Result<()> {
        if !matches!(self.otlp_protocol.as_str(), "http/json" | "http/protobuf") {
            bail!(
                "otlp_protocol must be http/json or http/protobuf, not {:?}",
                self.otlp_protocol
            );
        }
        if self.model.turns.is_empty() {
            bail!("model.turns is empty: the mock needs at least one answer");
        }
        // A canary must really be planted somewhere the CLI sees, or it proves nothing.
        let planted = format!(
            "{}\n{}\n{}",
            self.prompt,
            self.args.join("\n"),
            serde_json::to_string(&self.model.turns_json()).unwrap_or_default()
        );
        for canary in &self.canaries {
            if !planted.contains(canary.as_str()) {
                bail!("canary {canary:?} is not planted in the prompt, args or tool inputs");
            }
        }
        Ok(())
    }
}

/// The token a tool input may use for the run's working directory, for tools that refuse
/// relative paths (Qwen Code's read_file, Copilot CLI's create); replaced by the real path
/// before the mock starts.
pub const WORK_DIR_TOKEN: &str = "$WORK";

impl ModelScript {
    /// The script with `$WORK` in tool inputs (any string, at any depth) replaced by `work`.
    pub fn with_work_dir(&self, work: &Path) -> Self {
        fn replace(value: &mut serde_json::Value, work: &str) {
            match value {
                serde_json::Value::String(text) if text.contains(WORK_DIR_TOKEN) => {
                    *text = text.replace(WORK_DIR_TOKEN, work);
                }
                serde_json::Value::Array(items) => {
                    items.iter_mut().for_each(|item| replace(item, work));
                }
                serde_json::Value::Object(fields) => {
                    fields.values_mut().for_each(|field| replace(field, work));
                }
                _ => {}
            }
        }
        let work = work.display().to_string();
        let mut script = self.clone();
        for turn in &mut script.turns {
            if let Turn::ToolUse { input, .. } = turn {
                replace(input, &work);
            }
        }
        script
    }

    /// The tool inputs and texts of the script, for canary checks.
    fn turns_json(&self) -> Vec<serde_json::Value> {
        self.turns
            .iter()
            .map(|turn| match turn {
                Turn::Text { text } => serde_json::Value::String(text.clone()),
                Turn::ToolUse { input, .. } => input.clone(),
                Turn::HttpError { message, .. } => {
                    serde_json::Value::String(message.clone().unwrap_or_default())
                }
            })
            .collect()
    }
}

/// The folder holding a vendor's scenario files.
pub fn vendor_dir(xtask_dir: &Path, vendor: &str) -> PathBuf {
    xtask_dir.join("scenarios").join(vendor)
}

/// Scenario names of a vendor, sorted.
pub fn list(xtask_dir: &Path, vendor: &str) -> Result<Vec<String>> {
    let dir = vendor_dir(xtask_dir, vendor);
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&dir)
        .with_context(|| format!("listing scenarios in {}", dir.display()))?
    {
        let path = entry
            .with_context(|| format!("listing scenarios in {}", dir.display()))?
            .path();
        if path.extension().is_some_and(|ext| ext == "toml") {
            if let Some(stem) = path.file_stem().and_then(|stem| stem.to_str()) {
                names.push(stem.to_string());
            }
        }
    }
    names.sort();
    Ok(names)
}

/// Loads a vendor's scenario by name.
pub fn load(xtask_dir: &Path, vendor: &str, name: &str) -> Result<Scenario> {
    let path = vendor_dir(xtask_dir, vendor).join(format!("{name}.toml"));
    if !path.is_file() {
        let known = list(xtask_dir, vendor).unwrap_or_default().join(", ");
        bail!(
            "no scenario {name:?} for {vendor} ({} missing); known: {known}",
            path.display()
        );
    }
    Scenario::load(&path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scenario_file_in_the_repo_parses() {
        let xtask_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        let scenarios = xtask_dir.join("scenarios");
        let mut checked = 0;
        for vendor in std::fs::read_dir(&scenarios).expect("scenarios folder exists") {
            let vendor = vendor.expect("readable entry").path();
            let vendor_name = vendor
                .file_name()
                .and_then(|name| name.to_str())
                .expect("utf-8 vendor folder")
                .to_string();
            for name in list(xtask_dir, &vendor_name).expect("lists scenarios") {
                load(xtask_dir, &vendor_name, &name)
                    .unwrap_or_else(|err| panic!("{vendor_name}/{name}: {err:#}"));
                checked += 1;
            }
        }
        assert!(
            checked >= 7,
            "expected the Claude Code scenarios, found {checked}"
        );
    }

    #[test]
    fn turns_of_every_kind_parse() {
        let scenario: Scenario = toml::from_str(
            r#"
            purpose = "p"
            prompt = "say CANARY-1"
            otlp_protocol = "http/json"
            canaries = ["CANARY-1", "CANARY-2"]
            [[model.turns]]
            kind = "http_error"
            status = 429
            retry_after = 1
            [[model.turns]]
            kind = "tool_use"
            tool = "Bash"
            input = { command = "echo CANARY-2", description = "d" }
            [[model.turns]]
            kind = "text"
            text = "done"
            "#,
        )
        .expect("parses");
        scenario.validate().expect("valid");
        assert_eq!(scenario.model.turns.len(), 3);
        assert!(matches!(
            scenario.model.turns[0],
            Turn::HttpError {
                status: 429,
                retry_after: Some(1),
                ..
            }
        ));
        assert_eq!(scenario.timeout_secs, 90);
    }

    #[test]
    fn an_unplanted_canary_is_rejected() {
        let scenario: Scenario = toml::from_str(
            r#"
            purpose = "p"
            prompt = "hello"
            otlp_protocol = "http/json"
            canaries = ["CANARY-NOWHERE"]
            [[model.turns]]
            kind = "text"
            text = "hi"
            "#,
        )
        .expect("parses");
        assert!(scenario.validate().is_err());
    }

    #[test]
    fn work_dir_token_is_replaced_in_tool_inputs_only() {
        let scenario: Scenario = toml::from_str(
            r#"
            purpose = "p"
            prompt = "read $WORK/a"
            otlp_protocol = "http/json"
            [[model.turns]]
            kind = "tool_use"
            tool = "read_file"
            input = { file_path = "$WORK/a.env", nested = [{ path = "$WORK" }], n = 1 }
            [[model.turns]]
            kind = "text"
            text = "see $WORK/a.env"
            "#,
        )
        .expect("parses");
        let script = scenario.model.with_work_dir(Path::new("/tmp/run/work"));
        let Turn::ToolUse { input, .. } = &script.turns[0] else {
            panic!("first turn is a tool call");
        };
        assert_eq!(input["file_path"], "/tmp/run/work/a.env");
        assert_eq!(input["nested"][0]["path"], "/tmp/run/work");
        assert_eq!(input["n"], 1);
        assert_eq!(
            script.turns[1],
            Turn::Text {
                text: "see $WORK/a.env".into()
            }
        );
    }

    #[test]
    fn unknown_turn_fields_are_rejected() {
        let parsed: Result<Scenario, _> = toml::from_str(
            r#"
            purpose = "p"
            prompt = "hello"
            otlp_protocol = "http/json"
            [[model.turns]]
            kind = "text"
            txt = "typo"
            "#,
        );
        assert!(parsed.is_err());
    }
}
