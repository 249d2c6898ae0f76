//! `codetel export`: stored raw requests back into a capture folder in the corpus layout, so
//! a live CLI recorded through the collector can join the corpus.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use anyhow::Context;

use codetel::collector::record::{BodyToWrite, Recorder};
use codetel::otlp::{Encoding, Signal};
use codetel::store::sessions::{self, IdentityPolicy, SessionRow};
use codetel::store::Store;

use super::DbArg;

/// `codetel export`.
#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    #[command(flatten)]
    db: DbArg,
    /// The capture folder to write (created; must be empty if it exists).
    #[arg(long)]
    out: PathBuf,
    /// Only the requests that carried records of this chat (the session, its resumed
    /// continuations and its subagents).
    #[arg(long)]
    session: Option<String>,
    /// Only this tenant's requests.
    #[arg(long)]
    tenant: Option<String>,
}

fn session_ids(row: &SessionRow, out: &mut BTreeSet<String>) {
    let _ = out.insert(row.session_id.clone());
    out.extend(row.linked_sessions.iter().cloned());
    for child in &row.children {
        session_ids(child, out);
    }
}

/// Runs `codetel export`.
pub fn run(args: ExportArgs) -> anyhow::Result<()> {
    let store = Store::open_existing(&args.db.db).context("opening the database")?;
    if args.out.exists() && std::fs::read_dir(&args.out).map(|mut it| it.next().is_some()).unwrap_or(true) {
        anyhow::bail!("{}: exists and is not empty; export into a new folder", args.out.display());
    }
    let only: Option<Vec<i64>> = match &args.session {
        None => None,
        Some(id) => {
            let records = store.records(args.tenant.as_deref())?;
            let policy = IdentityPolicy::default();
            let Some(detail) = sessions::detail(&records, &policy, args.tenant.as_deref(), id) else {
                anyhow::bail!("no session `{id}` in {}", args.db.db.display());
            };
            let mut ids = BTreeSet::new();
            session_ids(&detail.session, &mut ids);
            let requests: BTreeSet<i64> = records
                .iter()
                .filter(|it| it.record.get("session_id").and_then(|it| it.as_str()).is_some_and(|it| ids.contains(it)))
                .map(|it| it.request_id)
                .collect();
            Some(requests.into_iter().collect())
        }
    };
    let requests = store.requests(only.as_deref())?;
    let mut recorder = Recorder::new(args.out.clone()).with_context(|| format!("creating {}", args.out.display()))?;
    let mut written = 0usize;
    let mut missing = 0usize;
    for request in &requests {
        if args.tenant.as_ref().is_some_and(|it| *it != request.tenant) {
            continue;
        }
        let Some(body) = &request.body else {
            missing += 1;
            continue;
        };
        let signal = Signal::parse(&request.signal)
            .with_context(|| format!("request {}: unknown signal `{}`", request.id, request.signal))?;
        let encoding = match request.encoding.as_str() {
            "json" => Encoding::Json,
            "protobuf" => Encoding::Protobuf,
            other => anyhow::bail!("request {}: unknown encoding `{other}`", request.id),
        };
        let headers: BTreeMap<String, String> = serde_json::from_str(&request.headers_json).unwrap_or_default();
        let _ = recorder.write_body(BodyToWrite {
            signal,
            encoding,
            gzip: request.content_encoding.as_deref() == Some("gzip"),
            body,
            method: &request.method,
            path: &request.path,
            headers: &headers,
        })?;
        written += 1;
    }
    eprintln!("codetel export: wrote {written} request(s) to {}", args.out.display());
    if missing > 0 {
        eprintln!("codetel export: {missing} request(s) skipped: stored without their body (--no-raw-bodies)");
    }
    if written == 0 {
        anyhow::bail!("nothing to export");
    }
    Ok(())
}
