//! `cargo xtask conformance`: every rule of `docs/spec.md` over every capture in the corpus
//! and every adapter, rendered as text, JSON, JUnit, SARIF or Markdown, with an exit status
//! that follows `--fail-on`.
//!
//! The engine is `codetel::conformance` (pure, also run by `cargo test`); this command only
//! loads the corpus, the expected-failures list, the spec and the adapter sources, and
//! writes the rendering.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use codetel::conformance::render::{self, Format};
use codetel::conformance::{self, expected, Config, ExpectedFailures, FailOn, Input};

/// What `cargo xtask conformance` was asked.
pub struct Args {
    /// Only this vendor's captures and adapter.
    pub vendor: Option<String>,
    /// `violation`, `improvement`, `information` or `none`.
    pub fail_on: String,
    /// `text`, `json`, `junit`, `sarif` or `markdown`.
    pub format: String,
    /// Write here instead of stdout.
    pub output: Option<PathBuf>,
    /// The corpus folder (default `corpus/`).
    pub corpus: Option<PathBuf>,
}

/// The repository root.
pub fn repo_root() -> PathBuf {
    crate::record::xtask_dir().parent().map(PathBuf::from).unwrap_or_default()
}

/// Loads the expected-failures list of a corpus folder (empty when there is none).
pub fn load_expected(corpus: &Path) -> Result<ExpectedFailures> {
    let path = corpus.join(expected::FILE);
    if !path.is_file() {
        return Ok(ExpectedFailures::default());
    }
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    Ok(ExpectedFailures::parse(&path.display().to_string(), &text)?)
}

/// Reads what renderings need from the repository: the spec and the adapter sources.
pub fn render_context(root: &Path, corpus: &Path, fail_on: FailOn) -> render::Context {
    let mut context = render::Context::new(fail_on);
    context.corpus_dir = corpus.strip_prefix(root).unwrap_or(corpus).display().to_string();
    context.spec = std::fs::read_to_string(root.join("docs/spec.md")).unwrap_or_default();
    context.adapter_sources = codetel::adapters::ALL
        .iter()
        .filter_map(|adapter| {
            let path = root.join("adapters").join(adapter.name()).join("mod.rs");
            std::fs::read_to_string(path).ok().map(|text| (adapter.name().to_owned(), text))
        })
        .collect::<BTreeMap<_, _>>();
    context
}

/// Runs the command.
pub fn run(args: &Args) -> Result<ExitCode> {
    let Some(fail_on) = FailOn::parse(&args.fail_on) else {
        bail!("--fail-on must be violation, improvement, information or none, not {:?}", args.fail_on)
    };
    let Some(format) = Format::parse(&args.format) else {
        bail!("--format must be text, json, junit, sarif or markdown, not {:?}", args.format)
    };
    let root = repo_root();
    let corpus = args.corpus.clone().unwrap_or_else(|| root.join("corpus"));
    if let Some(vendor) = &args.vendor {
        if codetel::adapters::by_name(vendor).is_none() {
            let known: Vec<&str> = codetel::adapters::ALL.iter().map(|it| it.name()).collect();
            bail!("no adapter named {vendor:?}; known: {}", known.join(", "));
        }
    }
    let inputs = Input::load_corpus(&corpus).with_context(|| format!("loading the corpus {}", corpus.display()))?;
    let config = Config {
        adapters: codetel::adapters::ALL,
        expected_failures: load_expected(&corpus)?,
        vendor: args.vendor.clone(),
    };
    let report = conformance::run(&inputs, &config);
    let mut context = render_context(&root, &corpus, fail_on);
    context.color = format == Format::Text
        && args.output.is_none()
        && std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none();
    let rendered = render::render(&report, format, &context);
    match &args.output {
        Some(path) => {
            std::fs::write(path, &rendered).with_context(|| format!("writing {}", path.display()))?;
            let verdict = if report.passes(fail_on) { "pass" } else { "FAIL" };
            eprintln!(
                "conformance {verdict} (fail-on {}): {} finding(s) failing; report in {}",
                fail_on.as_str(),
                report.failing(fail_on).count(),
                path.display()
            );
        }
        None => {
            std::io::stdout().write_all(rendered.as_bytes())?;
        }
    }
    Ok(if report.passes(fail_on) { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
