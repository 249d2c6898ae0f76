//! `cargo xtask`: project automation. `record` drives a real vendor CLI offline and stores its
//! OTLP telemetry as a corpus capture; `conformance`, `drift`, `new-adapter` and `tidy` check
//! and grow the adapters (see CONTRIBUTING.md).

mod cli_versions;
mod conformance;
mod drift;
mod http;
mod load;
mod mock;
mod new_adapter;
mod record;
mod scenario;
mod tidy;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::{Parser, Subcommand};

/// Project automation for codetel.
#[derive(Parser)]
#[command(name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Record captures from the real CLI of a vendor (installs the pinned CLI when missing).
    Record {
        /// Vendor id (`claude_code`).
        vendor: String,
        /// Scenario name (a file in `xtask/scenarios/<vendor>/`).
        #[arg(long, conflicts_with = "all")]
        scenario: Option<String>,
        /// Record every scenario of the vendor.
        #[arg(long)]
        all: bool,
        /// CLI version to run instead of the pin in `xtask/cli-versions.toml`.
        #[arg(long)]
        cli_version: Option<String>,
        /// Folder for the captures instead of `corpus/<vendor>/<version>/`.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Run the CLI under `strace -f -e trace=connect` and fail on any non-loopback connect.
        #[arg(long)]
        strace: bool,
    },
    /// Regenerate files derived from the code (`docs/schema.md`); `--check` fails if stale.
    Codegen {
        /// Fail instead of writing when a generated file is out of date.
        #[arg(long)]
        check: bool,
    },
    /// Load-test `codetel collect` on loopback: records/s, latency percentiles, memory.
    Load {
        /// A collector already listening on loopback; by default one is started.
        #[arg(long)]
        url: Option<String>,
        /// The `codetel` binary to start.
        #[arg(long, default_value = "target/release/codetel")]
        binary: PathBuf,
        /// Seconds to send for.
        #[arg(long, default_value_t = 20)]
        seconds: u64,
        /// Concurrent keep-alive connections.
        #[arg(long, default_value_t = 4)]
        connections: usize,
        /// Log records per request.
        #[arg(long, default_value_t = 100)]
        batch: usize,
        /// Session ids the records are spread over.
        #[arg(long, default_value_t = 1000)]
        sessions: usize,
        /// `json` or `protobuf`.
        #[arg(long, default_value = "protobuf")]
        encoding: String,
        /// `--merge-window-seconds` of the started collector.
        #[arg(long, default_value_t = 60)]
        merge_window: u64,
    },
    /// Run every rule of docs/spec.md over every capture and adapter (exit 1 when the gate fails).
    Conformance {
        /// Only this vendor's captures and adapter.
        #[arg(long)]
        vendor: Option<String>,
        /// Lowest level that fails: violation, improvement, information or none.
        #[arg(long, default_value = "violation")]
        fail_on: String,
        /// Output format: text, json, junit, sarif or markdown.
        #[arg(long, default_value = "text")]
        format: String,
        /// Write the report to this file instead of stdout.
        #[arg(long)]
        output: Option<PathBuf>,
        /// The corpus folder (default: corpus/).
        #[arg(long)]
        corpus: Option<PathBuf>,
    },
    /// Compare a vendor's telemetry between two CLI versions (recording missing ones).
    Drift {
        /// Vendor id.
        vendor: String,
        /// The older CLI version.
        #[arg(long)]
        from: String,
        /// The newer CLI version.
        #[arg(long)]
        to: String,
        /// Output format: text, json or markdown.
        #[arg(long, default_value = "text")]
        format: String,
        /// Write the report to this file instead of stdout.
        #[arg(long)]
        output: Option<PathBuf>,
        /// Lowest level that fails: violation, improvement, information or none.
        #[arg(long, default_value = "violation")]
        fail_on: String,
        /// Captures of the older version, instead of corpus/<vendor>/<from>/.
        #[arg(long)]
        from_dir: Option<PathBuf>,
        /// Captures of the newer version, instead of corpus/<vendor>/<to>/.
        #[arg(long)]
        to_dir: Option<PathBuf>,
    },
    /// Scaffold a new vendor adapter: adapter stub, registry line, corpus README, scenarios.
    NewAdapter {
        /// Vendor id, snake_case (`my_agent`).
        name: String,
        /// The vendor's npm package, for the docs and the corpus README.
        #[arg(long)]
        package: Option<String>,
    },
    /// Check the repository layout: adapters registered and recorded, module docs, lints.
    Tidy,
}

fn main() -> Result<ExitCode> {
    let cli = Cli::parse();
    match cli.command {
        Command::Record {
            vendor,
            scenario,
            all,
            cli_version,
            out,
            strace,
        } => {
            let scenarios = match (scenario, all) {
                (Some(name), false) => vec![name],
                (None, true) => scenario::list(&record::xtask_dir(), &vendor)?,
                _ => bail!("say which scenario to record: --scenario NAME or --all"),
            };
            record::run(&record::RecordRequest {
                vendor,
                scenarios,
                cli_version,
                out,
                strace,
                command_line: command_line(),
            })
            .map(|()| ExitCode::SUCCESS)
        }
        Command::Load { url, binary, seconds, connections, batch, sessions, encoding, merge_window } => {
            let encoding = match encoding.as_str() {
                "json" => codetel::otlp::Encoding::Json,
                "protobuf" => codetel::otlp::Encoding::Protobuf,
                other => bail!("--encoding {other}: expected json or protobuf"),
            };
            let root = record::xtask_dir().parent().map(PathBuf::from).unwrap_or_default();
            let binary = if binary.is_relative() { root.join(binary) } else { binary };
            load::run(&load::LoadConfig { url, binary, seconds, connections, batch, sessions, encoding, merge_window })
                .map(|()| ExitCode::SUCCESS)
        }
        Command::Codegen { check } => codegen(check).map(|()| ExitCode::SUCCESS),
        Command::Conformance {
            vendor,
            fail_on,
            format,
            output,
            corpus,
        } => conformance::run(&conformance::Args {
            vendor,
            fail_on,
            format,
            output,
            corpus,
        }),
        Command::Drift {
            vendor,
            from,
            to,
            format,
            output,
            fail_on,
            from_dir,
            to_dir,
        } => drift::run(&drift::Args {
            vendor,
            from,
            to,
            format,
            output,
            fail_on,
            from_dir,
            to_dir,
        }),
        Command::NewAdapter { name, package } => {
            new_adapter::run(&conformance::repo_root(), &name, package.as_deref())
                .map(|()| ExitCode::SUCCESS)
        }
        Command::Tidy => tidy::run(&conformance::repo_root()),
    }
}

/// Writes (or with `check`, compares) every generated file.
fn codegen(check: bool) -> Result<()> {
    let root = record::xtask_dir().parent().map(PathBuf::from).unwrap_or_default();
    let generated = [(root.join("docs/schema.md"), codetel::schema::document::document())];
    for (path, expected) in generated {
        let actual = std::fs::read_to_string(&path).unwrap_or_default();
        if actual == expected {
            continue;
        }
        if check {
            bail!("{} is stale: run `cargo xtask codegen`", path.display());
        }
        std::fs::write(&path, expected)?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

/// The command as a person would type it again, e.g. `cargo xtask record claude_code --all`.
fn command_line() -> String {
    let mut words = vec!["cargo".to_string(), "xtask".to_string()];
    for arg in std::env::args().skip(1) {
        let plain = !arg.is_empty()
            && arg
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./=:@".contains(c));
        words.push(if plain {
            arg
        } else {
            format!("'{}'", arg.replace('\'', r"'\''"))
        });
    }
    words.join(" ")
}
