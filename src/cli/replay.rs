//! `codetel replay PATH... --to URL`: sends captures to a live OTLP endpoint (the engine is
//! `codetel::replay`), prints the report, optionally verifies what a codetel reference
//! collector stored, and exits non-zero when anything was rejected or failed.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use base64::Engine;
use clap::ValueEnum;

use codetel::otlp::Encoding;
use codetel::replay::{self, verify, Options, Protocol, Report, RetryPolicy, Speed, Transport};
use codetel::schema::CaptureMode;

/// Arguments of `codetel replay`.
#[derive(clap::Args, Debug)]
pub struct ReplayArgs {
    /// Capture folders, vendor folders, the whole corpus, or single bodies / JSONL files.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// The OTLP endpoint: `http://host:4318` for HTTP (signal paths are added), `http://host:4317`
    /// for gRPC.
    #[arg(long)]
    pub to: String,
    /// Transport.
    #[arg(long, value_enum, default_value = "http")]
    pub protocol: ProtocolArg,
    /// Body encoding: as recorded, or re-encoded from the decoded model.
    #[arg(long, value_enum, default_value = "recorded")]
    pub encoding: EncodingArg,
    /// Gzip-compress every body (default: as recorded).
    #[arg(long, conflicts_with = "no_gzip")]
    pub gzip: bool,
    /// Send every body uncompressed (default: as recorded).
    #[arg(long)]
    pub no_gzip: bool,
    /// Shift every timestamp so each capture ends when its replay starts (intervals kept).
    #[arg(long)]
    pub rebase_time: bool,
    /// New session, conversation, prompt, request, tool call, trace and span ids per replay,
    /// consistent across the signals of a capture.
    #[arg(long)]
    pub fresh_ids: bool,
    /// Pacing: `max` (no waiting), `realtime` (recorded gaps) or a factor such as `10`.
    #[arg(long, default_value = "max")]
    pub speed: Speed,
    /// Capture replays at once (requests of one capture always go in order).
    #[arg(long, default_value_t = 1)]
    pub concurrency: usize,
    /// Replays of each capture (use --fresh-ids so they do not collide).
    #[arg(long, default_value_t = 1)]
    pub repeat: u32,
    /// At most this many requests per second, over all replays.
    #[arg(long)]
    pub rate: Option<f64>,
    /// An extra header (`K=V`), repeatable; recorded headers other than content-type and
    /// content-encoding are never replayed.
    #[arg(long = "header", value_name = "K=V")]
    pub headers: Vec<String>,
    /// Send `Authorization: Bearer <token>` with the token read from this file.
    #[arg(long, conflicts_with_all = ["token_env", "basic_user"])]
    pub token_file: Option<PathBuf>,
    /// Send `Authorization: Bearer <token>` with the token from this environment variable.
    #[arg(long, conflicts_with = "basic_user")]
    pub token_env: Option<String>,
    /// Send `Authorization: Basic` with this user; the password comes from
    /// --basic-password-file or --basic-password-env.
    #[arg(long)]
    pub basic_user: Option<String>,
    /// The Basic password's file.
    #[arg(long, requires = "basic_user", conflicts_with = "basic_password_env")]
    pub basic_password_file: Option<PathBuf>,
    /// The Basic password's environment variable.
    #[arg(long, requires = "basic_user")]
    pub basic_password_env: Option<String>,
    /// Retries of a request answered 429, 502, 503, 504 (or not answered).
    #[arg(long, default_value_t = 5)]
    pub max_retries: u32,
    /// Time limit of one attempt, in seconds.
    #[arg(long, default_value_t = 30)]
    pub timeout: u64,
    /// Report format.
    #[arg(long, value_enum, default_value = "table")]
    pub report: ReportFormat,
    /// Write the report here instead of stdout.
    #[arg(long)]
    pub report_file: Option<PathBuf>,
    /// Exit 0 even when items were rejected or requests failed.
    #[arg(long)]
    pub allow_rejects: bool,
    /// Read back what a codetel reference collector stored and diff it with `normalize` of
    /// the same captures.
    #[arg(long)]
    pub verify: bool,
    /// The collector's read API (default: --to; needed with --protocol grpc).
    #[arg(long)]
    pub verify_url: Option<String>,
    /// The collector's --capture-mode, for the expected records.
    #[arg(long, value_enum, default_value = "metadata-only")]
    pub verify_capture_mode: ModeArg,
}

/// `--protocol`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ProtocolArg {
    /// OTLP/HTTP.
    Http,
    /// OTLP/gRPC.
    Grpc,
}

/// `--encoding`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum EncodingArg {
    /// The bytes as recorded.
    Recorded,
    /// OTLP/JSON.
    Json,
    /// OTLP protobuf.
    Protobuf,
}

/// `--report`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ReportFormat {
    /// A terminal table.
    Table,
    /// JSON.
    Json,
    /// JUnit XML.
    Junit,
    /// Markdown.
    Markdown,
}

/// `--verify-capture-mode`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ModeArg {
    /// `minimal`.
    Minimal,
    /// `metadata_only`.
    MetadataOnly,
    /// `full`.
    Full,
}

fn read_secret_file(path: &PathBuf) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(text.trim().to_owned())
}

fn read_secret_env(name: &str) -> anyhow::Result<String> {
    std::env::var(name).map(|it| it.trim().to_owned()).with_context(|| format!("environment variable {name} is not set"))
}

/// `--header` and the auth helpers as header pairs.
fn headers(args: &ReplayArgs) -> anyhow::Result<Vec<(String, String)>> {
    let mut res = Vec::new();
    for header in &args.headers {
        let Some((name, value)) = header.split_once('=') else {
            anyhow::bail!("--header must be K=V, not `{header}`");
        };
        res.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    let token = match (&args.token_file, &args.token_env) {
        (Some(file), _) => Some(read_secret_file(file)?),
        (None, Some(name)) => Some(read_secret_env(name)?),
        (None, None) => None,
    };
    if let Some(token) = token {
        res.push(("authorization".to_owned(), format!("Bearer {token}")));
    }
    if let Some(user) = &args.basic_user {
        let password = match (&args.basic_password_file, &args.basic_password_env) {
            (Some(file), _) => read_secret_file(file)?,
            (None, Some(name)) => read_secret_env(name)?,
            (None, None) => anyhow::bail!("--basic-user needs --basic-password-file or --basic-password-env"),
        };
        let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        res.push(("authorization".to_owned(), format!("Basic {encoded}")));
    }
    Ok(res)
}

/// Runs `codetel replay`.
pub fn run(args: ReplayArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the runtime")?;
    runtime.block_on(run_async(args))
}

async fn run_async(args: ReplayArgs) -> anyhow::Result<()> {
    let mut captures = Vec::new();
    for path in &args.paths {
        captures.extend(replay::source::load(path)?);
    }
    let headers = headers(&args)?;
    let timeout = Duration::from_secs(args.timeout.max(1));
    let protocol = match args.protocol {
        ProtocolArg::Http => Protocol::Http,
        ProtocolArg::Grpc => Protocol::Grpc,
    };
    if matches!((protocol, args.encoding), (Protocol::Grpc, EncodingArg::Json)) {
        anyhow::bail!("--protocol grpc sends protobuf messages: --encoding json does not apply");
    }
    let transport = match protocol {
        Protocol::Http => Transport::http(&args.to, headers.clone(), timeout)?,
        Protocol::Grpc => Transport::grpc(&args.to, headers.clone(), timeout)?,
    };
    let options = Options {
        encoding: match args.encoding {
            EncodingArg::Recorded => None,
            EncodingArg::Json => Some(Encoding::Json),
            EncodingArg::Protobuf => Some(Encoding::Protobuf),
        },
        gzip: if args.gzip {
            Some(true)
        } else if args.no_gzip {
            Some(false)
        } else {
            None
        },
        protocol,
        rebase_time: args.rebase_time,
        fresh_ids: args.fresh_ids,
        speed: args.speed,
        concurrency: args.concurrency.max(1),
        repeat: args.repeat.max(1),
        rate: args.rate,
        retry: RetryPolicy { max_retries: args.max_retries, ..RetryPolicy::default() },
        progress: std::io::stdout().is_terminal(),
    };
    let captures = Arc::new(captures);
    let run = replay::run(captures.clone(), transport, options).await;
    let mut report = Report::new(&args.to, &captures, &run.outcomes, run.elapsed);

    if args.verify {
        let base = match (&args.verify_url, protocol) {
            (Some(url), _) => url.clone(),
            (None, Protocol::Http) => args.to.clone(),
            (None, Protocol::Grpc) => anyhow::bail!("--verify with --protocol grpc needs --verify-url (the collector's HTTP port)"),
        };
        let mode = match args.verify_capture_mode {
            ModeArg::Minimal => CaptureMode::Minimal,
            ModeArg::MetadataOnly => CaptureMode::MetadataOnly,
            ModeArg::Full => CaptureMode::Full,
        };
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder().timeout(timeout).build().context("building the HTTP client")?;
        let color = std::io::stderr().is_terminal();
        for prepared in &run.prepared {
            let capture = &captures[prepared.capture];
            let expected = verify::expected_records(capture, prepared, mode);
            let sessions = verify::session_ids(&expected);
            let stored = verify::stored_records(&client, &base, &headers, &sessions).await?;
            let expected = if sessions.is_empty() { expected } else { verify::by_sessions(&expected, &sessions) };
            let label = format!("{} (replay {})", capture.label, prepared.repetition + 1);
            if let Some(difference) = verify::diff(&stored, &expected, color) {
                eprintln!("verify {label}: the collector stored something else\n{difference}");
                let plain = verify::diff(&stored, &expected, false).unwrap_or_default();
                report.verify_differences.push(format!("{label}\n{plain}"));
            } else {
                eprintln!("verify {label}: {} records as expected", expected.len());
            }
        }
    }

    let rendered = match args.report {
        ReportFormat::Table => report.table(),
        ReportFormat::Json => report.json(),
        ReportFormat::Junit => report.junit(),
        ReportFormat::Markdown => report.markdown(),
    };
    match &args.report_file {
        Some(file) => {
            std::fs::write(file, &rendered).with_context(|| format!("writing {}", file.display()))?;
            // The table goes to the terminal anyway: the file is for machines.
            if !matches!(args.report, ReportFormat::Table) {
                print!("{}", report.table());
            }
        }
        None => print!("{rendered}"),
    }
    if !report.success(args.allow_rejects) {
        let total = &report.total;
        anyhow::bail!(
            "{} of {} requests failed, {} items rejected{}",
            total.failed,
            total.requests,
            total.rejected,
            if report.verify_differences.is_empty() {
                String::new()
            } else {
                format!(", {} replays differ in the collector", report.verify_differences.len())
            }
        );
    }
    Ok(())
}
