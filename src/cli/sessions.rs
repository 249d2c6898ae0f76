//! `codetel sessions` and `codetel session ID`: sessions from the collector's database, as a
//! table or JSON (the same JSON the collector's `GET /api/sessions` answers).

use std::io::Write;

use anyhow::Context;
use clap::ValueEnum;

use codetel::store::sessions::{self, Filter, IdentityPolicy, SessionRow};
use codetel::store::Store;

use super::DbArg;

/// Output format.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Format {
    /// A readable table.
    Table,
    /// JSON.
    Json,
}

/// Identity policy options, shared with `codetel collect`.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct IdentityArgs {
    /// Attribute naming the user, most trusted first (repeat; replaces the default
    /// coding_agent.user.id, enduser.id, coding_agent.user.account_id).
    #[arg(long = "user-attribute", value_name = "KEY")]
    pub user_attributes: Vec<String>,
    /// Fall back to coding_agent.user.email when no user attribute is present.
    #[arg(long)]
    pub user_email: bool,
    /// Input attribute naming a subagent's parent session (repeat; replaces the default list;
    /// read when requests arrive, so it matters to `collect`).
    #[arg(long = "parent-session-attribute", value_name = "KEY")]
    pub parent_session_attributes: Vec<String>,
    /// Input attribute naming the session a resumed session continues (repeat; replaces the
    /// default list; read when requests arrive, so it matters to `collect`).
    #[arg(long = "resumed-from-attribute", value_name = "KEY")]
    pub resumed_from_attributes: Vec<String>,
}

impl IdentityArgs {
    /// The policy these options describe.
    pub fn policy(&self) -> IdentityPolicy {
        let mut policy = IdentityPolicy::default();
        if !self.user_attributes.is_empty() {
            policy.user_keys.clone_from(&self.user_attributes);
        }
        policy.use_email = self.user_email;
        if !self.parent_session_attributes.is_empty() {
            policy.parent_keys.clone_from(&self.parent_session_attributes);
        }
        if !self.resumed_from_attributes.is_empty() {
            policy.resume_keys.clone_from(&self.resumed_from_attributes);
        }
        policy
    }
}

/// `codetel sessions`.
#[derive(clap::Args, Debug)]
pub struct SessionsArgs {
    #[command(flatten)]
    db: DbArg,
    /// Only this vendor (`claude_code`, `codex`, ...).
    #[arg(long)]
    vendor: Option<String>,
    /// Only this tenant.
    #[arg(long)]
    tenant: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
    #[command(flatten)]
    identity: IdentityArgs,
}

/// `codetel session ID`.
#[derive(clap::Args, Debug)]
pub struct SessionArgs {
    /// A session id: the chat's own, a resumed continuation's or a subagent's.
    id: String,
    #[command(flatten)]
    db: DbArg,
    /// Only this tenant.
    #[arg(long)]
    tenant: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
    #[command(flatten)]
    identity: IdentityArgs,
}

/// Exact micro-USD as dollars (`0.002320`), no float on the way.
pub fn usd(micros: i64) -> String {
    let sign = if micros < 0 { "-" } else { "" };
    let micros = micros.unsigned_abs();
    format!("{sign}{}.{:06}", micros / 1_000_000, micros % 1_000_000)
}

fn opt(value: Option<i64>) -> String {
    value.map(|it| it.to_string()).unwrap_or_else(|| "-".to_owned())
}

fn short(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_owned()
    } else {
        text.chars().take(width.saturating_sub(1)).collect::<String>() + "…"
    }
}

fn write_rows(out: &mut impl Write, rows: &[SessionRow]) -> anyhow::Result<()> {
    writeln!(
        out,
        "{:<38} {:<12} {:<14} {:<24} {:<24} {:<20} {:>7} {:>5} {:>5} {:>6} {:>9} {:>8} {:>10} {:>10} {:>12} {:>8}",
        "session", "vendor", "user", "start", "end", "models", "prompts", "llm", "tools", "errors", "input", "output",
        "cache_read", "cache_write", "cost_usd", "children"
    )?;
    for row in rows {
        write_row(out, row, "")?;
        for child in &row.children {
            write_row(out, child, "└ ")?;
        }
    }
    Ok(())
}

fn write_row(out: &mut impl Write, row: &SessionRow, indent: &str) -> anyhow::Result<()> {
    let f = &row.figures;
    writeln!(
        out,
        "{:<38} {:<12} {:<14} {:<24} {:<24} {:<20} {:>7} {:>5} {:>5} {:>6} {:>9} {:>8} {:>10} {:>10} {:>12} {:>8}",
        format!("{indent}{}", row.session_id),
        row.vendor,
        short(row.user.as_deref().unwrap_or("-"), 14),
        row.start.as_deref().unwrap_or("-"),
        row.end.as_deref().unwrap_or("-"),
        short(&f.models.join(","), 20),
        f.prompts,
        f.llm_calls,
        f.tool_calls,
        f.errors,
        opt(f.tokens.input),
        opt(f.tokens.output),
        opt(f.tokens.cache_read),
        opt(f.tokens.cache_creation),
        f.cost_usd_micros.map(usd).unwrap_or_else(|| "-".to_owned()),
        row.children.len(),
    )?;
    Ok(())
}

/// Runs `codetel sessions`.
pub fn run_sessions(args: SessionsArgs) -> anyhow::Result<()> {
    let store = Store::open_existing(&args.db.db).context("opening the database")?;
    let records = store.records(args.tenant.as_deref())?;
    let filter = Filter { tenant: args.tenant.clone(), vendor: args.vendor.clone() };
    let rows = sessions::list(&records, &args.identity.policy(), &filter);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match args.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &rows)?;
            writeln!(out)?;
        }
        Format::Table => write_rows(&mut out, &rows)?,
    }
    out.flush()?;
    Ok(())
}

/// Runs `codetel session ID`.
pub fn run_session(args: SessionArgs) -> anyhow::Result<()> {
    let store = Store::open_existing(&args.db.db).context("opening the database")?;
    let records = store.records(args.tenant.as_deref())?;
    let Some(detail) = sessions::detail(&records, &args.identity.policy(), args.tenant.as_deref(), &args.id) else {
        anyhow::bail!("no session `{}` in {}", args.id, args.db.db.display());
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match args.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &detail)?;
            writeln!(out)?;
        }
        Format::Table => {
            write_rows(&mut out, std::slice::from_ref(&detail.session))?;
            writeln!(out)?;
            writeln!(out, "{:<24} {:<10} {:<20} {:<36} summary", "time", "session", "kind", "name")?;
            for entry in &detail.timeline {
                writeln!(
                    out,
                    "{:<24} {:<10} {:<20} {:<36} {}",
                    entry.time.as_deref().unwrap_or("-"),
                    short(&entry.session_id, 10),
                    entry.kind,
                    short(entry.name.as_deref().unwrap_or("-"), 36),
                    entry.summary
                )?;
            }
        }
    }
    out.flush()?;
    Ok(())
}
