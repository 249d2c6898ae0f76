//! The collector's subcommands of the `codetel` binary: `collect`, `sessions`, `session`
//! and `export`; and `replay`, which sends captures to a live endpoint. Each module holds
//! its clap arguments and its `run`; `main.rs` only dispatches.

pub mod collect;
pub mod export;
pub mod replay;
pub mod sessions;

use std::path::PathBuf;

/// The database file when `--db` is not given (also `$CODETEL_DB`).
pub const DEFAULT_DB: &str = "codetel.db";

/// The `--db` option shared by the collector's commands.
#[derive(clap::Args, Debug, Clone)]
pub struct DbArg {
    /// The collector's SQLite database.
    #[arg(long, env = "CODETEL_DB", default_value = DEFAULT_DB)]
    pub db: PathBuf,
}
