//! `cargo xtask`: project automation. `record` drives a real vendor CLI offline and stores its
//! OTLP telemetry as a corpus capture.

mod cli_versions;
mod http;
mod load;
mod mock;
mod record;
mod scenario;

use std::path::PathBuf;

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
}

fn main() -> Result<()> {
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
        }
        Command::Codegen { check } => codegen(check),
        Command::Load { url, binary, seconds, connections, batch, sessions, encoding, merge_window } => {
            let encoding = match encoding.as_str() {
                "json" => codetel::otlp::Encoding::Json,
                "protobuf" => codetel::otlp::Encoding::Protobuf,
                other => bail!("--encoding {other}: expected json or protobuf"),
            };
            let root = record::xtask_dir().parent().map(PathBuf::from).unwrap_or_default();
            let binary = if binary.is_relative() { root.join(binary) } else { binary };
            load::run(&load::LoadConfig { url, binary, seconds, connections, batch, sessions, encoding, merge_window })
        }
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
