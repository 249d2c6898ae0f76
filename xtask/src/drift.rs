//! `cargo xtask drift VENDOR --from V1 --to V2`: what changed in a vendor's telemetry between
//! two CLI versions, and whether the adapter still gets what it reads.
//!
//! Each version comes from `corpus/<vendor>/<version>/` when recorded there; otherwise it is
//! recorded on the spot with every scenario of the vendor (the CLI is installed into the
//! cache as `cargo xtask record` does) into a temporary folder, which is kept and named.
//! The comparison itself is `codetel::conformance::drift` (pure, tested).

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use codetel::capture::Capture;
use codetel::conformance::drift::{self, Version};
use codetel::conformance::{FailOn, Input};

use crate::{conformance::repo_root, record, scenario};

/// What `cargo xtask drift` was asked.
pub struct Args {
    /// Vendor id.
    pub vendor: String,
    /// Older version.
    pub from: String,
    /// Newer version.
    pub to: String,
    /// `text`, `json` or `markdown`.
    pub format: String,
    /// Write here instead of stdout.
    pub output: Option<PathBuf>,
    /// The gate.
    pub fail_on: String,
    /// Captures of the older version, instead of `corpus/<vendor>/<from>/`.
    pub from_dir: Option<PathBuf>,
    /// Captures of the newer version, instead of `corpus/<vendor>/<to>/`.
    pub to_dir: Option<PathBuf>,
}

/// Loads a version's captures from `dir` when given, else from the corpus, else records them
/// into a temporary folder. Returns the folder and the (scenario, capture) pairs.
fn load_version(vendor: &str, version: &str, dir: Option<&Path>) -> Result<(PathBuf, Vec<(String, Capture)>)> {
    let in_corpus = repo_root().join("corpus").join(vendor).join(version);
    let folder = if let Some(dir) = dir {
        dir.to_owned()
    } else if in_corpus.is_dir() {
        in_corpus
    } else {
        let out = std::env::temp_dir().join(format!("codetel-drift-{vendor}-{version}-{}", std::process::id()));
        eprintln!(
            "corpus/{vendor}/{version}/ does not exist: recording every scenario with {vendor} {version} into {}",
            out.display()
        );
        let recorded = record::run(&record::RecordRequest {
            vendor: vendor.to_owned(),
            scenarios: scenario::list(&record::xtask_dir(), vendor)?,
            cli_version: Some(version.to_owned()),
            out: Some(out.clone()),
            strace: false,
            command_line: format!("cargo xtask drift (recording {vendor} {version} on the fly)"),
        });
        // A scenario whose expectations fail (a span the scenario expects is missing) is still
        // written, and a missing span is exactly what drift is for: compare what arrived.
        if let Err(error) = recorded {
            if Input::load_corpus(&out).map(|it| it.is_empty()).unwrap_or(true) {
                return Err(error.context(format!("recording {vendor} {version}")));
            }
            eprintln!("recording {vendor} {version} reported: {error:#}\ncomparing what was captured");
        }
        out
    };
    let captures = load_folder(&folder)?;
    Ok((folder, captures))
}

/// A folder as the report names it: relative to the repository when inside it.
fn shown(folder: &Path) -> String {
    let root = repo_root();
    match folder.strip_prefix(&root) {
        Ok(relative) => format!("{}/", relative.display()),
        Err(_) => format!("{} (recorded outside the corpus)", folder.display()),
    }
}

fn load_folder(folder: &Path) -> Result<Vec<(String, Capture)>> {
    let inputs = Input::load_corpus(folder).with_context(|| format!("loading {}", folder.display()))?;
    if inputs.is_empty() {
        bail!("{} holds no captures", folder.display());
    }
    Ok(inputs.into_iter().map(|input| (input.id, input.capture)).collect())
}

fn version<'a>(name: &str, source: &str, captures: &'a [(String, Capture)]) -> Version<'a> {
    Version {
        version: name.to_owned(),
        source: source.to_owned(),
        captures: captures.iter().map(|(scenario, capture)| (scenario.clone(), capture)).collect::<BTreeMap<_, _>>(),
    }
}

/// Runs the command.
pub fn run(args: &Args) -> Result<ExitCode> {
    let Some(fail_on) = FailOn::parse(&args.fail_on) else {
        bail!("--fail-on must be violation, improvement, information or none, not {:?}", args.fail_on)
    };
    if !["text", "json", "markdown", "md"].contains(&args.format.as_str()) {
        bail!("--format must be text, json or markdown, not {:?}", args.format);
    }
    if codetel::adapters::by_name(&args.vendor).is_none() {
        bail!("no adapter named {:?}", args.vendor);
    }
    let (before_dir, before) = load_version(&args.vendor, &args.from, args.from_dir.as_deref())?;
    let (after_dir, after) = load_version(&args.vendor, &args.to, args.to_dir.as_deref())?;
    let report = drift::compare(
        &args.vendor,
        &version(&args.from, &shown(&before_dir), &before),
        &version(&args.to, &shown(&after_dir), &after),
    );
    let color = args.format == "text"
        && args.output.is_none()
        && std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none();
    let rendered = match args.format.as_str() {
        "json" => report.to_json(),
        "markdown" | "md" => report.to_markdown(),
        _ => report.to_text(color),
    };
    match &args.output {
        Some(path) => {
            std::fs::write(path, &rendered).with_context(|| format!("writing {}", path.display()))?;
            eprintln!("wrote {}", path.display());
        }
        None => std::io::stdout().write_all(rendered.as_bytes())?,
    }
    Ok(if report.passes(fail_on) { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
