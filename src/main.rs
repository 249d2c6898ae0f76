//! The `codetel` command line: `normalize` and `inspect` captures; `collect`, `sessions`,
//! `session` and `export` (the collector, in `cli/`); `replay` (captures to a live endpoint,
//! in `cli/replay.rs`).
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};

mod cli;

use codetel::adapters;
use codetel::capture::{self, Input};
use codetel::finding::Finding;
use codetel::normalize::{self, Accounting, Options};
use codetel::otlp::Signal;
use codetel::schema::{CanonicalRecord, CaptureMode, Value};

#[derive(Parser)]
#[command(name = "codetel", version, about = "Normalize and check OTLP telemetry of AI coding agent CLIs")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
// Parsed once per run; boxing the collector's many options would buy nothing.
#[allow(clippy::large_enum_variant)]
enum Command {
    /// Normalize captures into canonical records.
    Normalize(NormalizeArgs),
    /// Show what a capture holds: signals, encodings, vendor and why, names, attribute types.
    Inspect(InspectArgs),
    /// Run the reference collector: receive OTLP over HTTP and gRPC, normalize, store, forward.
    Collect(cli::collect::CollectArgs),
    /// List the sessions in the collector's database.
    Sessions(cli::sessions::SessionsArgs),
    /// Show one session (chat) and its timeline.
    Session(cli::sessions::SessionArgs),
    /// Write stored requests back into a capture folder (corpus layout).
    Export(cli::export::ExportArgs),
    /// Send captures to a live OTLP endpoint and check its answers (and, with --verify, what
    /// a codetel collector stored).
    Replay(cli::replay::ReplayArgs),
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// One canonical record per line.
    Jsonl,
    /// A readable table.
    Table,
}

#[derive(Clone, Copy, ValueEnum)]
enum Mode {
    Minimal,
    MetadataOnly,
    Full,
}

impl From<Mode> for CaptureMode {
    fn from(mode: Mode) -> CaptureMode {
        match mode {
            Mode::Minimal => CaptureMode::Minimal,
            Mode::MetadataOnly => CaptureMode::MetadataOnly,
            Mode::Full => CaptureMode::Full,
        }
    }
}

#[derive(clap::Args)]
struct NormalizeArgs {
    /// Capture folders, vendor or corpus folders (searched recursively), raw bodies
    /// (.json, .pb, optionally .gz) or OTLP file-exporter .jsonl files.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Privacy mode.
    #[arg(long, value_enum, default_value = "metadata-only")]
    capture_mode: Mode,
    /// Output format.
    #[arg(long, value_enum, default_value = "jsonl")]
    format: Format,
    /// Print the accounting (inputs, normalized, ignored, rejected) as JSON on stderr.
    #[arg(long)]
    summary: bool,
    /// The signal of raw protobuf bodies whose file name does not say it.
    #[arg(long)]
    signal: Option<String>,
    /// Skip detection and use this adapter for everything.
    #[arg(long)]
    vendor: Option<String>,
    /// Do not print findings on stderr.
    #[arg(long)]
    quiet: bool,
}

#[derive(clap::Args)]
struct InspectArgs {
    /// Capture folders, vendor or corpus folders, raw bodies or .jsonl files.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// The signal of raw protobuf bodies whose file name does not say it.
    #[arg(long)]
    signal: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let res = match cli.command {
        Command::Normalize(args) => run_normalize(args),
        Command::Inspect(args) => run_inspect(args),
        Command::Collect(args) => cli::collect::run(args),
        Command::Sessions(args) => cli::sessions::run_sessions(args),
        Command::Session(args) => cli::sessions::run_session(args),
        Command::Export(args) => cli::export::run(args),
        Command::Replay(args) => cli::replay::run(args),
    };
    match res {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn parse_signal(signal: Option<&str>) -> anyhow::Result<Option<Signal>> {
    match signal {
        None => Ok(None),
        Some(text) => match Signal::parse(text) {
            Some(it) => Ok(Some(it)),
            None => anyhow::bail!("--signal must be logs, metrics or traces, not `{text}`"),
        },
    }
}

fn inputs(paths: &[PathBuf]) -> anyhow::Result<Vec<Input>> {
    let mut res = Vec::new();
    for path in paths {
        res.extend(capture::discover(path)?);
    }
    Ok(res)
}

fn run_normalize(args: NormalizeArgs) -> anyhow::Result<()> {
    let signal = parse_signal(args.signal.as_deref())?;
    let force_vendor = match &args.vendor {
        None => None,
        Some(name) => match adapters::by_name(name) {
            Some(it) => Some(it),
            None => {
                let known: Vec<&str> = adapters::ALL.iter().map(|it| it.name()).collect();
                anyhow::bail!("unknown vendor `{name}`; known: {}", known.join(", "))
            }
        },
    };
    let options = Options { capture_mode: args.capture_mode.into(), force_vendor };
    // Load everything first: a bad input fails the run before anything is printed as if
    // it had succeeded.
    let mut captures = Vec::new();
    for input in inputs(&args.paths)? {
        captures.push(input.load(signal)?);
    }
    let mut accounting = Accounting::default();
    let mut records: Vec<CanonicalRecord> = Vec::new();
    let mut findings: Vec<(String, Finding)> = Vec::new();
    for capture in &captures {
        let output = normalize::normalize(capture, &options);
        accounting.merge(&output.accounting);
        let label = capture.path.display().to_string();
        findings.extend(output.findings.into_iter().map(|it| (label.clone(), it)));
        records.extend(output.records);
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match args.format {
        Format::Jsonl => {
            let mut line = Vec::with_capacity(4096);
            for record in &records {
                line.clear();
                record.write_json(&mut line);
                line.push(b'\n');
                out.write_all(&line).context("writing a record")?;
            }
        }
        Format::Table => write_table(&mut out, &records)?,
    }
    out.flush()?;
    if !args.quiet {
        for (capture, finding) in &findings {
            let location = finding
                .location
                .as_ref()
                .map(|it| format!(" {} {} {}", finding_path(capture, &it.file), it.locator, it.field))
                .unwrap_or_else(|| format!(" {capture}"));
            eprintln!(
                "{:?} {} [{}]{}: {}",
                finding.level,
                finding.id,
                finding.vendor.unwrap_or("-"),
                location.trim_end(),
                finding.message
            );
        }
    }
    if args.summary {
        eprintln!("{}", serde_json::to_string_pretty(&accounting)?);
    }
    if !accounting.totals.balances() {
        anyhow::bail!("accounting does not balance: {:?}", accounting.totals);
    }
    Ok(())
}

/// Where a finding is, as one path: a capture folder joined with its request file. A file
/// given on the command line is a capture of its own, named by its path, so it is not named
/// twice (`dir/a.json`, not `dir/a.json/a.json`); a `.jsonl` line keeps its `:line`.
fn finding_path(capture: &str, file: &str) -> String {
    if file.is_empty() {
        return capture.to_owned();
    }
    let name = match file.rsplit_once(':') {
        Some((name, line)) if !line.is_empty() && line.bytes().all(|it| it.is_ascii_digit()) => name,
        _ => file,
    };
    if std::path::Path::new(capture).file_name().is_some_and(|it| it.to_string_lossy() == name) {
        return format!("{capture}{}", &file[name.len()..]);
    }
    format!("{capture}/{file}")
}

fn write_table(out: &mut impl Write, records: &[CanonicalRecord]) -> anyhow::Result<()> {
    writeln!(out, "{:<18} {:<12} {:<10} {:<20} {:<36} summary", "kind", "vendor", "session", "time", "name")?;
    for record in records {
        let session = record.session_id.as_deref().map(|it| it.chars().take(8).collect::<String>()).unwrap_or_default();
        let time = record.time_unix_nano.map(|it| it.to_string()).unwrap_or_default();
        let name = record.source.as_ref().map(|it| it.name.clone()).unwrap_or_default();
        let mut summary = Vec::new();
        for key in [
            "gen_ai.request.model",
            "gen_ai.tool.name",
            "gen_ai.usage.input_tokens",
            "gen_ai.usage.output_tokens",
            "coding_agent.cost.usd_micros",
            "coding_agent.metric.name",
            "coding_agent.metric.value",
            "coding_agent.decision",
            "coding_agent.success",
            "coding_agent.http.status_code",
        ] {
            if let Some(value) = record.attributes.get(key) {
                let short = key.rsplit('.').next().unwrap_or(key);
                summary.push(format!("{short}={}", render_value(value)));
            }
        }
        writeln!(
            out,
            "{:<18} {:<12} {:<10} {:<20} {:<36} {}",
            record.kind.as_str(),
            record.vendor,
            session,
            time,
            name,
            summary.join(" ")
        )?;
    }
    Ok(())
}

fn render_value(value: &Value) -> String {
    match value {
        Value::Str(it) => it.clone(),
        other => serde_json::to_string(other).unwrap_or_default(),
    }
}

fn run_inspect(args: InspectArgs) -> anyhow::Result<()> {
    let signal = parse_signal(args.signal.as_deref())?;
    let mut inventories = Vec::new();
    for input in inputs(&args.paths)? {
        let capture = input.load(signal)?;
        inventories.push(codetel::inspect::inventory(&capture));
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&inventories)?);
    } else {
        for inventory in &inventories {
            print!("{}", inventory.render());
        }
    }
    Ok(())
}
