//! `cargo xtask record`: run a real vendor CLI offline and keep its OTLP telemetry as a capture.
//!
//! Vendor-neutral orchestration. For each scenario: a fresh temporary HOME and working
//! directory, the vendor's mock model and the OTLP capture server on free loopback ports, the
//! CLI run with a clean environment and a time limit, a wait for late exports, then the
//! captured bodies are written to `corpus/<vendor>/<version>/<scenario>/` with identity values
//! replaced in place, and `capture.toml` is filled from what actually arrived.

pub mod capture_server;
pub mod claude_code;
pub mod codex;
pub mod copilot_cli;
pub mod gemini_cli;
pub mod identity;
pub mod install;
pub mod opencode;
pub mod otlp_body;
pub mod qwen_code;

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use codetel::capture::{ExpectedCounts, Manifest, Provenance, MANIFEST_FILE};

use crate::cli_versions;
use crate::http::{Handler, Server};
use crate::mock::ModelRequestLog;
use crate::scenario::{self, ModelScript, Scenario};
use capture_server::{CaptureStore, CapturedRequest};
use identity::{IdentityRewriter, MachineIdentity};
use otlp_body::Inventory;

/// Exports arriving this long after the last one (and after the CLI exited) are not waited for.
const QUIET_PERIOD: Duration = Duration::from_secs(2);
/// Upper bound on waiting for late exports after the CLI exited.
const LATE_EXPORT_LIMIT: Duration = Duration::from_secs(20);
/// The system tools a CLI needs (git, a shell): no user-specific folders.
const SYSTEM_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// How a vendor is driven.
pub struct VendorRecipe {
    /// Vendor id (folder names, `cli-versions.toml` key).
    pub id: &'static str,
    /// The vendor's content switches, reported in the manifest.
    pub content_flags: &'static [&'static str],
    /// Builds the CLI arguments and environment.
    pub invocation: fn(&RunContext, &Scenario) -> CliInvocation,
    /// Builds the mock model for a scenario's script.
    pub mock_handler: fn(ModelScript, Arc<ModelRequestLog>) -> Handler,
}

/// The recipes known to the recorder.
const RECIPES: &[VendorRecipe] = &[
    claude_code::RECIPE,
    codex::RECIPE,
    copilot_cli::RECIPE,
    gemini_cli::RECIPE,
    opencode::RECIPE,
    qwen_code::RECIPE,
];

fn recipe(vendor: &str) -> Result<&'static VendorRecipe> {
    RECIPES
        .iter()
        .find(|recipe| recipe.id == vendor)
        .with_context(|| {
            let known: Vec<&str> = RECIPES.iter().map(|recipe| recipe.id).collect();
            format!(
                "no recorder recipe for vendor {vendor:?}; known: {}",
                known.join(", ")
            )
        })
}

/// Arguments (after the program) and the complete environment of the CLI run.
pub struct CliInvocation {
    /// Arguments after the executable.
    pub args: Vec<String>,
    /// The whole environment; nothing is inherited.
    pub env: BTreeMap<String, String>,
    /// Files written before the run (settings files in the fresh HOME), path to contents;
    /// listed in the manifest's notes.
    pub files: BTreeMap<PathBuf, String>,
}

/// Where one run happens and what it talks to.
pub struct RunContext {
    /// The run's temporary folder (kept after the run for inspection).
    pub run_dir: PathBuf,
    /// The CLI's fresh HOME.
    pub home: PathBuf,
    /// The CLI's working directory.
    pub work: PathBuf,
    /// Base URL of the mock model (`http://127.0.0.1:<port>`).
    pub model_base_url: String,
    /// Base URL of the capture server.
    pub otlp_endpoint: String,
}

impl RunContext {
    /// The environment every vendor starts from: HOME, PATH, shell, temp dir, locale.
    pub fn base_env(&self) -> BTreeMap<String, String> {
        let mut env = BTreeMap::new();
        env.insert("HOME".into(), self.home.display().to_string());
        env.insert("PATH".into(), SYSTEM_PATH.into());
        env.insert("SHELL".into(), "/bin/bash".into());
        env.insert("TMPDIR".into(), self.home.join("tmp").display().to_string());
        env.insert("LANG".into(), "C.UTF-8".into());
        env
    }

    /// Shows temporary paths as `$HOME` / `$WORK` so manifests do not depend on the run.
    fn portable(&self, text: &str) -> String {
        text.replace(&self.home.display().to_string(), "$HOME")
            .replace(&self.work.display().to_string(), "$WORK")
    }
}

/// What `cargo xtask record` was asked to do.
pub struct RecordRequest {
    /// Vendor id.
    pub vendor: String,
    /// Scenario names to record.
    pub scenarios: Vec<String>,
    /// Version override.
    pub cli_version: Option<String>,
    /// Folder replacing `corpus/<vendor>/<version>`.
    pub out: Option<PathBuf>,
    /// Wrap the CLI in `strace -f -e trace=connect` and check it only reaches loopback.
    pub strace: bool,
    /// The command line as typed, for the manifest.
    pub command_line: String,
}

/// The xtask crate folder.
pub fn xtask_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs a record request; with several scenarios, records all and then reports failures.
pub fn run(request: &RecordRequest) -> Result<()> {
    let recipe = recipe(&request.vendor)?;
    let pins = cli_versions::load(&xtask_dir())?;
    let pin = pins
        .get(&request.vendor)
        .with_context(|| format!("{} has no entry for {}", cli_versions::FILE, request.vendor))?;
    let version = request
        .cli_version
        .clone()
        .unwrap_or_else(|| pin.version.clone());
    let bin = install::ensure_installed(&request.vendor, pin, &version)?;
    let out_root = match &request.out {
        Some(out) => out.clone(),
        None => xtask_dir()
            .parent()
            .context("the xtask folder has no parent")?
            .join("corpus")
            .join(&request.vendor)
            .join(&version),
    };
    let mut failures = Vec::new();
    for name in &request.scenarios {
        let scenario = scenario::load(&xtask_dir(), &request.vendor, name)?;
        let recording = Recording {
            recipe,
            cli_package: &pin.package,
            cli_version: &version,
            bin: &bin,
            scenario_name: name,
            scenario: &scenario,
            out_dir: out_root.join(name),
            strace: request.strace,
            command_line: &request.command_line,
        };
        if let Err(err) = recording.run() {
            eprintln!("FAILED {}/{name}: {err:#}", request.vendor);
            failures.push(format!("{name}: {err:#}"));
        }
    }
    if !failures.is_empty() {
        bail!(
            "{} scenario(s) failed:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
    Ok(())
}

/// One scenario being recorded.
struct Recording<'a> {
    recipe: &'static VendorRecipe,
    cli_package: &'a str,
    cli_version: &'a str,
    bin: &'a Path,
    scenario_name: &'a str,
    scenario: &'a Scenario,
    out_dir: PathBuf,
    strace: bool,
    command_line: &'a str,
}

/// What happened while the CLI ran.
struct RunOutcome {
    exit: String,
    duration: Duration,
    model_answers: Vec<String>,
    captured: Vec<CapturedRequest>,
    strace_summary: Option<String>,
}

impl Recording<'_> {
    fn run(&self) -> Result<()> {
        let vendor = self.recipe.id;
        eprintln!(
            "== recording {vendor}/{} ({})",
            self.scenario_name, self.cli_version
        );
        let run_dir = make_run_dir(vendor, self.scenario_name)?;
        let home = run_dir.join("home");
        let work = run_dir.join("work");
        let model_log_dir = run_dir.join("model-requests");
        for dir in [&home, &home.join("tmp"), &work, &model_log_dir] {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        prepare_work_dir(&work, self.scenario)?;

        let model_log = Arc::new(ModelRequestLog::new(model_log_dir.clone()));
        let model_server = Server::start(
            "mock-model",
            (self.recipe.mock_handler)(
                self.scenario.model.with_work_dir(&work),
                Arc::clone(&model_log),
            ),
        )?;
        let store = Arc::new(CaptureStore::default());
        let capture = capture_server::start(Arc::clone(&store))?;
        let context = RunContext {
            run_dir: run_dir.clone(),
            home,
            work,
            model_base_url: model_server.base_url(),
            otlp_endpoint: capture.base_url(),
        };
        let invocation = (self.recipe.invocation)(&context, self.scenario);
        for (path, contents) in &invocation.files {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("creating {}", parent.display()))?;
            }
            std::fs::write(path, contents)
                .with_context(|| format!("writing {}", path.display()))?;
        }
        let outcome = self.run_cli(&context, &invocation, &store, &model_log);
        model_server.stop();
        capture.stop();
        let outcome = outcome?;
        eprintln!(
            "   CLI {} after {:.1}s; {} model request(s); {} OTLP request(s); run folder {}",
            outcome.exit,
            outcome.duration.as_secs_f64(),
            outcome.model_answers.len(),
            outcome.captured.len(),
            run_dir.display()
        );
        self.write_capture(&context, &invocation, &outcome)
    }

    fn run_cli(
        &self,
        context: &RunContext,
        invocation: &CliInvocation,
        store: &CaptureStore,
        model_log: &ModelRequestLog,
    ) -> Result<RunOutcome> {
        let stdout_path = context.run_dir.join("cli-stdout.txt");
        let stderr_path = context.run_dir.join("cli-stderr.txt");
        let strace_path = context.run_dir.join("strace.txt");
        let mut command = if self.strace {
            let mut command = Command::new("strace");
            command
                .args(["-f", "-e", "trace=connect", "-o"])
                .arg(&strace_path)
                .arg(self.bin);
            command
        } else {
            Command::new(self.bin)
        };
        command
            .args(&invocation.args)
            .env_clear()
            .envs(&invocation.env)
            .current_dir(&context.work)
            .stdin(Stdio::null())
            .stdout(
                File::create(&stdout_path)
                    .with_context(|| format!("creating {}", stdout_path.display()))?,
            )
            .stderr(
                File::create(&stderr_path)
                    .with_context(|| format!("creating {}", stderr_path.display()))?,
            );
        let started = Instant::now();
        let mut child = command
            .spawn()
            .with_context(|| format!("starting {}", self.bin.display()))?;
        let limit = Duration::from_secs(self.scenario.timeout_secs);
        let exit = loop {
            if let Some(status) = child.try_wait().context("waiting for the CLI")? {
                break match status.code() {
                    Some(code) => format!("exited with code {code}"),
                    None => "was killed by a signal".to_string(),
                };
            }
            if started.elapsed() > limit {
                // Only our own child is killed, by its handle.
                child
                    .kill()
                    .context("stopping the CLI after its time limit")?;
                child.wait().context("reaping the CLI")?;
                break format!("timed out after {}s and was killed", limit.as_secs());
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let duration = started.elapsed();
        wait_for_late_exports(store);
        let strace_summary = if self.strace {
            Some(check_strace(&strace_path)?)
        } else {
            None
        };
        Ok(RunOutcome {
            exit,
            duration,
            model_answers: model_log.answers(),
            captured: store.snapshot(),
            strace_summary,
        })
    }

    fn write_capture(
        &self,
        context: &RunContext,
        invocation: &CliInvocation,
        outcome: &RunOutcome,
    ) -> Result<()> {
        if outcome.captured.is_empty() {
            bail!(
                "no OTLP request arrived (CLI {}); see {}",
                outcome.exit,
                context.run_dir.display()
            );
        }
        clear_capture_dir(&self.out_dir)?;

        // The bodies as received, before identity replacement, stay in the run folder (outside
        // the corpus) so the in-place rewrite can be audited with `cmp -l`.
        let received_dir = context.run_dir.join("otlp-as-received");
        std::fs::create_dir_all(&received_dir)
            .with_context(|| format!("creating {}", received_dir.display()))?;
        for captured in &outcome.captured {
            let path = received_dir.join(captured.body_file_name());
            std::fs::write(&path, &captured.request.body)
                .with_context(|| format!("writing {}", path.display()))?;
        }

        // Pass 1: decode everything once, learn the identity values.
        let mut bodies = Vec::new();
        let mut rewriter = IdentityRewriter::new(MachineIdentity::detect());
        for captured in &outcome.captured {
            let file = captured.body_file_name();
            let plain = if captured.is_gzip() {
                otlp_body::gunzip(&captured.request.body)
                    .with_context(|| format!("reading {file}"))?
            } else {
                captured.request.body.clone()
            };
            let decoded = otlp_body::decode(captured.signal(), captured.encoding(), &plain)
                .with_context(|| format!("decoding {file}"))?;
            if let Some(decoded) = &decoded {
                for (key, value) in otlp_body::string_attributes(decoded) {
                    rewriter
                        .learn(&key, &value)
                        .with_context(|| format!("scanning {file}"))?;
                }
            }
            bodies.push((captured, plain, decoded));
        }

        // Pass 2: rewrite identity in place and write the files.
        let mut inventory = Inventory::default();
        let mut encodings = BTreeSet::new();
        let mut signals = BTreeSet::new();
        let mut recompressed = Vec::new();
        let mut exported_text = Vec::new();
        for (captured, plain, decoded) in &bodies {
            let file = captured.body_file_name();
            encodings.insert(captured.encoding().name().to_string());
            if captured.is_gzip() {
                encodings.insert("gzip".to_string());
            }
            signals.insert(captured.signal().name().to_string());
            if let Some(decoded) = decoded {
                inventory.add(decoded);
            }
            let rewritten = rewriter
                .rewrite_body(captured.encoding(), plain, decoded.as_ref())
                .with_context(|| format!("replacing identity values in {file}"))?;
            let final_plain = rewritten.as_ref().unwrap_or(plain);
            let recheck = otlp_body::decode(captured.signal(), captured.encoding(), final_plain)
                .with_context(|| format!("decoding {file} after the identity rewrite"))?;
            identity::assert_clean(
                &mut rewriter,
                captured.encoding(),
                final_plain,
                recheck.as_ref(),
            )
            .with_context(|| format!("checking {file}"))?;
            exported_text.push(String::from_utf8_lossy(final_plain).into_owned());
            let bytes = match (&rewritten, captured.is_gzip()) {
                (None, _) => captured.request.body.clone(),
                (Some(new_plain), false) => new_plain.clone(),
                (Some(new_plain), true) => {
                    recompressed.push(file.clone());
                    otlp_body::gzip(new_plain).with_context(|| format!("recompressing {file}"))?
                }
            };
            let body_path = self.out_dir.join(&file);
            std::fs::write(&body_path, &bytes)
                .with_context(|| format!("writing {}", body_path.display()))?;
            let headers =
                capture_server::headers_document(&captured.request, &self.scenario.redact_headers);
            let headers_path = self.out_dir.join(captured.headers_file_name());
            let headers_text =
                serde_json::to_string_pretty(&headers).context("serializing a headers document")?;
            std::fs::write(&headers_path, headers_text + "\n")
                .with_context(|| format!("writing {}", headers_path.display()))?;
        }

        let canaries_found: Vec<&String> = self
            .scenario
            .canaries
            .iter()
            .filter(|canary| {
                exported_text
                    .iter()
                    .any(|text| text.contains(canary.as_str()))
            })
            .collect();
        let manifest = self.manifest(
            context,
            invocation,
            outcome,
            &inventory,
            ManifestParts {
                encodings: encodings.into_iter().collect(),
                signals: signals.into_iter().collect(),
                identity_placeholders: rewriter.placeholders(),
                recompressed,
                canaries_found: canaries_found.iter().map(|c| c.to_string()).collect(),
            },
        );
        let manifest_path = self.out_dir.join(MANIFEST_FILE);
        let manifest_text =
            toml::to_string_pretty(&manifest).context("serializing capture.toml")?;
        std::fs::write(&manifest_path, manifest_text)
            .with_context(|| format!("writing {}", manifest_path.display()))?;
        print_summary(&self.out_dir, outcome, &inventory, &manifest)?;
        self.check_expectations(context, &inventory, &manifest, canaries_found.len())
    }

    fn manifest(
        &self,
        context: &RunContext,
        invocation: &CliInvocation,
        outcome: &RunOutcome,
        inventory: &Inventory,
        parts: ManifestParts,
    ) -> Manifest {
        let env: BTreeMap<String, String> = invocation
            .env
            .iter()
            .map(|(key, value)| (key.clone(), context.portable(value)))
            .collect();
        let mut argv = vec![self.recipe_bin_name()];
        argv.extend(invocation.args.iter().map(|arg| context.portable(arg)));
        let content_flags = self
            .recipe
            .content_flags
            .iter()
            .map(|flag| {
                let value = invocation
                    .env
                    .get(*flag)
                    .cloned()
                    .or_else(|| self.scenario.config.get(*flag).map(|it| it.to_string()))
                    .unwrap_or_else(|| "unset".into());
                (flag.to_string(), value)
            })
            .collect();
        let mut notes = Vec::new();
        if let Some(scenario_notes) = &self.scenario.notes {
            notes.push(scenario_notes.trim().to_string());
        }
        for (path, contents) in &invocation.files {
            notes.push(format!(
                "File written before the run, {}: {}",
                context.portable(&path.display().to_string()),
                context.portable(contents.trim())
            ));
        }
        notes.push(format!(
            "Run: the CLI {} after {:.1}s. The mock model answered {} request(s): {}.",
            outcome.exit,
            outcome.duration.as_secs_f64(),
            outcome.model_answers.len(),
            outcome.model_answers.join("; ")
        ));
        notes.push(format!(
            "Seen: service.name {:?}; scopes {:?}; events {:?}; metrics {:?}; spans {:?}; span events {:?}.",
            inventory.service_names,
            inventory.scopes,
            inventory.events,
            inventory.metrics,
            inventory.span_names,
            inventory.span_events
        ));
        if !self.scenario.canaries.is_empty() {
            notes.push(format!(
                "Canaries found verbatim in exported bodies: {:?}.",
                parts.canaries_found
            ));
        }
        if !parts.recompressed.is_empty() {
            notes.push(format!(
                "gzip bodies decompressed, identity-replaced and recompressed (bytes differ from the wire): {}.",
                parts.recompressed.join(", ")
            ));
        }
        if parts.identity_placeholders.is_empty() {
            notes.push(
                "No identity value was found, so every body is byte for byte as received.".into(),
            );
        } else {
            notes.push(
                "Identity values were replaced in place by same-length placeholders; every other byte is as received."
                    .into(),
            );
        }
        if let Some(strace) = &outcome.strace_summary {
            notes.push(format!(
                "Recorded under strace -f -e trace=connect: {strace}."
            ));
        }
        Manifest {
            vendor: self.recipe.id.to_string(),
            cli: self.cli_package.to_string(),
            cli_version: self.cli_version.to_string(),
            scenario: self.scenario_name.to_string(),
            purpose: self.scenario.purpose.trim().to_string(),
            provenance: Provenance::Real,
            synthetic_reason: None,
            recorded_at: today_utc(),
            recorded_with: self.command_line.to_string(),
            argv,
            env,
            encodings: parts.encodings,
            signals: parts.signals,
            content_flags,
            canaries: self.scenario.canaries.clone(),
            identity_placeholders: parts.identity_placeholders,
            expected: Some(ExpectedCounts {
                requests: outcome.captured.len(),
                log_records: inventory.log_records,
                data_points: inventory.data_points,
                spans: inventory.spans,
            }),
            notes: Some(notes.join("\n")),
        }
    }

    fn recipe_bin_name(&self) -> String {
        self.bin
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.recipe.id.to_string())
    }

    fn check_expectations(
        &self,
        context: &RunContext,
        inventory: &Inventory,
        manifest: &Manifest,
        canaries_found: usize,
    ) -> Result<()> {
        let expect = &self.scenario.expect;
        let mut missing = Vec::new();
        for event in &expect.events {
            if !inventory.events.contains_key(event) {
                missing.push(format!("event {event}"));
            }
        }
        for metric in &expect.metrics {
            if !inventory.metrics.contains_key(metric) {
                missing.push(format!("metric {metric}"));
            }
        }
        for span in &expect.spans {
            if !inventory.span_names.contains_key(span) {
                missing.push(format!("span {span}"));
            }
        }
        let wanted_encoding = match self.scenario.otlp_protocol.as_str() {
            "http/protobuf" => "protobuf",
            _ => "json",
        };
        if !manifest.encodings.iter().any(|e| e == wanted_encoding) {
            missing.push(format!("{wanted_encoding} bodies"));
        }
        if expect.canaries_exported && canaries_found < self.scenario.canaries.len() {
            missing.push(format!(
                "exported canaries ({canaries_found} of {})",
                self.scenario.canaries.len()
            ));
        }
        if let Some(name) = &expect.service_name {
            if inventory.service_names.len() != 1 || !inventory.service_names.contains(name) {
                missing.push(format!(
                    "service.name {name} only (saw {:?})",
                    inventory.service_names
                ));
            }
        }
        if let Some(file) = &expect.work_file {
            if !context.work.join(file).exists() {
                missing.push(format!("work file {file} (the tool did not run)"));
            }
        }
        if !missing.is_empty() {
            bail!(
                "capture written to {} but it lacks: {}",
                self.out_dir.display(),
                missing.join(", ")
            );
        }
        Ok(())
    }
}

/// Manifest pieces gathered while writing the bodies.
struct ManifestParts {
    encodings: Vec<String>,
    signals: Vec<String>,
    identity_placeholders: BTreeMap<String, String>,
    recompressed: Vec<String>,
    canaries_found: Vec<String>,
}

fn make_run_dir(vendor: &str, scenario: &str) -> Result<PathBuf> {
    let stamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis())
        .unwrap_or_default();
    let dir = std::env::temp_dir().join("codetel-record").join(format!(
        "{vendor}-{scenario}-{stamp}-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

fn prepare_work_dir(work: &Path, scenario: &Scenario) -> Result<()> {
    for (relative, contents) in &scenario.work_dir.files {
        let path = work.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&path, contents).with_context(|| format!("writing {}", path.display()))?;
    }
    if scenario.work_dir.git_init {
        let status = Command::new("git")
            .args(["init", "--quiet", "--initial-branch=main"])
            .current_dir(work)
            .stdout(Stdio::null())
            .status()
            .context("running git init in the work folder")?;
        if !status.success() {
            bail!("git init failed in {}", work.display());
        }
    }
    Ok(())
}

/// Removes an earlier capture before writing a new one; refuses to clear foreign folders.
fn clear_capture_dir(dir: &Path) -> Result<()> {
    if dir.exists() {
        let is_capture = dir.join(MANIFEST_FILE).exists();
        let is_empty = std::fs::read_dir(dir)
            .with_context(|| format!("listing {}", dir.display()))?
            .next()
            .is_none();
        if !is_capture && !is_empty {
            bail!(
                "{} exists and is not a capture (no {MANIFEST_FILE}); not overwriting it",
                dir.display()
            );
        }
        std::fs::remove_dir_all(dir).with_context(|| format!("clearing {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))
}

fn wait_for_late_exports(store: &CaptureStore) {
    let exited = Instant::now();
    loop {
        std::thread::sleep(Duration::from_millis(100));
        let (_, last) = store.progress();
        let quiet_since = last.map_or(exited, |last| last.max(exited));
        if quiet_since.elapsed() >= QUIET_PERIOD || exited.elapsed() >= LATE_EXPORT_LIMIT {
            return;
        }
    }
}

/// Summarizes the `connect()` calls of an strace log and fails on any non-loopback address.
fn check_strace(path: &Path) -> Result<String> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut targets: BTreeMap<String, usize> = BTreeMap::new();
    let mut outside = Vec::new();
    for line in text.lines().filter(|line| line.contains("connect(")) {
        let target = if let Some(rest) = line.split("inet_addr(\"").nth(1) {
            let addr = rest.split('"').next().unwrap_or("");
            let port = line
                .split("sin_port=htons(")
                .nth(1)
                .and_then(|rest| rest.split(')').next())
                .unwrap_or("?");
            if !addr.starts_with("127.") {
                outside.push(line.to_string());
            }
            format!("inet {addr}:{port}")
        } else if line.contains("AF_INET6") {
            let addr = line
                .split("inet_pton(AF_INET6, \"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .unwrap_or("?");
            if addr != "::1" {
                outside.push(line.to_string());
            }
            format!("inet6 {addr}")
        } else if line.contains("AF_UNIX") {
            let path = line
                .split("sun_path=")
                .nth(1)
                .and_then(|rest| rest.split(['}', ',']).next())
                .unwrap_or("?");
            format!("unix {path}")
        } else {
            "other".to_string()
        };
        *targets.entry(target).or_default() += 1;
    }
    if !outside.is_empty() {
        bail!(
            "the CLI connected outside loopback ({} call(s)), e.g. {}",
            outside.len(),
            outside[0]
        );
    }
    let listed: Vec<String> = targets
        .iter()
        .map(|(target, count)| format!("{target} x{count}"))
        .collect();
    Ok(format!(
        "only loopback/unix connects: {}",
        listed.join(", ")
    ))
}

fn print_summary(
    out_dir: &Path,
    outcome: &RunOutcome,
    inventory: &Inventory,
    manifest: &Manifest,
) -> Result<()> {
    eprintln!("   capture {}", out_dir.display());
    for captured in &outcome.captured {
        let file = captured.body_file_name();
        let size = std::fs::metadata(out_dir.join(&file))
            .with_context(|| format!("reading the size of {file}"))?
            .len();
        eprintln!("     {file:<28} {size:>8} bytes");
    }
    eprintln!(
        "   signals {:?}, encodings {:?}; {} log records, {} data points, {} spans",
        manifest.signals,
        manifest.encodings,
        inventory.log_records,
        inventory.data_points,
        inventory.spans
    );
    eprintln!("   events {:?}", inventory.events);
    eprintln!("   metrics {:?}", inventory.metrics);
    if inventory.spans > 0 {
        eprintln!("   spans {:?}", inventory.span_names);
        eprintln!("   span events {:?}", inventory.span_events);
    }
    eprintln!(
        "   identity placeholders {:?}",
        manifest.identity_placeholders
    );
    if let Some(strace) = &outcome.strace_summary {
        eprintln!("   strace: {strace}");
    }
    Ok(())
}

/// Today's date in UTC as `YYYY-MM-DD`.
fn today_utc() -> String {
    let days = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs() / 86_400)
        .unwrap_or_default() as i64;
    let (year, month, day) = civil_from_days(days);
    format!("{year:04}-{month:02}-{day:02}")
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_are_right() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_413), (2025, 11, 21));
        assert_eq!(civil_from_days(20_778), (2026, 11, 21));
    }

    #[test]
    fn strace_lines_are_classified() {
        let dir = std::env::temp_dir().join(format!("codetel-strace-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let log = dir.join("strace.txt");
        std::fs::write(
            &log,
            "12 connect(19, {sa_family=AF_INET, sin_port=htons(4318), sin_addr=inet_addr(\"127.0.0.1\")}, 16) = -1 EINPROGRESS\n\
             12 connect(5, {sa_family=AF_UNIX, sun_path=\"/var/run/nscd/socket\"}, 110) = -1 ENOENT\n",
        )
        .expect("write");
        let summary = check_strace(&log).expect("loopback only");
        assert!(summary.contains("inet 127.0.0.1:4318 x1"), "{summary}");
        std::fs::write(
            &log,
            "12 connect(19, {sa_family=AF_INET, sin_port=htons(443), sin_addr=inet_addr(\"160.79.104.10\")}, 16) = 0\n",
        )
        .expect("write");
        let refused = check_strace(&log);
        let _ = std::fs::remove_dir_all(&dir);
        assert!(refused.is_err());
    }
}
