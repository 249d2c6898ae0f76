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
}

/// Loads a version's captures, recording them into a temporary folder when the corpus has
/// none. Returns (scenario, capture) pairs.
fn load_version(vendor: &str, version: &str) -> Result<Vec<(String, Capture)>> {
    let in_corpus = repo_root().join("corpus").join(vendor).join(version);
    let folder = if in_corpus.is_dir() {
        in_corpus
    } else {
        let out = std::env::temp_dir().join(format!("codetel-drift-{vendor}-{version}-{}", std::process::id()));
        eprintln!(
            "corpus/{vendor}/{version}/ does not exist: recording every scenario with {vendor} {version} into {}",
            out.display()
        );
        record::run(&record::RecordRequest {
            vendor: vendor.to_owned(),
            scenarios: scenario::list(&record::xtask_dir(), vendor)?,
            cli_version: Some(version.to_owned()),
            out: Some(out.clone()),
            strace: false,
            command_line: format!("cargo xtask drift (recording {vendor} {version} on the fly)"),
        })?;
        out
    };
    load_folder(&folder)
}

fn load_folder(folder: &Path) -> Result<Vec<(String, Capture)>> {
    let inputs = Input::load_corpus(folder).with_context(|| format!("loading {}", folder.display()))?;
    if inputs.is_empty() {
        bail!("{} holds no captures", folder.display());
    }
    Ok(inputs.into_iter().map(|input| (input.id, input.capture)).collect())
}

fn version<'a>(name: &str, captures: &'a [(String, Capture)]) -> Version<'a> {
    Version {
        version: name.to_owned(),
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
    let before = load_version(&args.vendor, &args.from)?;
    let after = load_version(&args.vendor, &args.to)?;
    let report = drift::compare(&args.vendor, &version(&args.from, &before), &version(&args.to, &after));
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
