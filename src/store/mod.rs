//! The collector's SQLite database: raw requests, the canonical records each produced,
//! per-stream metric state, and the forwarding queue.
//!
//! One file, WAL mode, `synchronous=FULL` (the collector's writer: NORMAL, with the WAL fsynced
//! outside its lock before a request is acknowledged, see [`wal_sync`]). A request and everything it produced are written
//! in one transaction ([`StoreTx`]); the collector acknowledges a request only after that
//! transaction commits, so a process killed after a 200 has lost nothing. The collector's
//! connection leaves WAL checkpoints to a background thread ([`checkpoint`]).
//!
//! Tables (see [`SCHEMA`]):
//! - `requests`: one row per accepted request body: tenant, arrival time, transport, signal,
//!   encoding, content encoding, headers (authentication removed), the body as received, the
//!   SHA-256 of the decompressed body (the duplicate key, unique per tenant and signal), and
//!   the outcome that was acknowledged (rejected count and message);
//! - `records`: the canonical records of each request as their JSON contract, in pipeline
//!   order, with indexed kind, vendor, session and time; derived `session` records are not
//!   stored but computed at query time ([`sessions`]);
//! - `request_sessions`: which sessions each request carried, to find the requests a new
//!   one must be normalized together with (the merge window, see `collector::ingest`);
//! - `metric_streams`: the last point seen of every metric stream, so a cumulative total
//!   re-exported after a restart of either side is not counted twice;
//! - `forward_queue`: OTLP payloads waiting for the upstream, with attempts and next-try time.

pub mod body;
pub mod checkpoint;
pub mod sessions;
pub mod wal_sync;

use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension};

/// The schema, applied idempotently at open.
pub const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS requests (
    id INTEGER PRIMARY KEY,
    tenant TEXT NOT NULL,
    received_unix_nano INTEGER NOT NULL,
    transport TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    signal TEXT NOT NULL,
    encoding TEXT NOT NULL,
    content_encoding TEXT,
    headers TEXT NOT NULL,
    body BLOB,
    body_codec TEXT,
    body_sha256 TEXT NOT NULL,
    items INTEGER NOT NULL,
    rejected INTEGER NOT NULL,
    message TEXT,
    records INTEGER NOT NULL,
    canonical INTEGER NOT NULL DEFAULT 0,
    UNIQUE (tenant, signal, body_sha256)
);
CREATE TABLE IF NOT EXISTS request_sessions (
    request_id INTEGER NOT NULL REFERENCES requests (id),
    tenant TEXT NOT NULL,
    session_id TEXT NOT NULL,
    PRIMARY KEY (request_id, session_id)
);
-- The merge window's lookup, answered from the index alone (request_id is in it). It replaces
-- request_sessions_by_session (tenant, session_id), which made SQLite read each table row.
DROP INDEX IF EXISTS request_sessions_by_session;
CREATE INDEX IF NOT EXISTS request_sessions_by_key ON request_sessions (tenant, session_id, request_id);
CREATE TABLE IF NOT EXISTS records (
    id INTEGER PRIMARY KEY,
    request_id INTEGER NOT NULL REFERENCES requests (id),
    seq INTEGER NOT NULL,
    tenant TEXT NOT NULL,
    kind TEXT NOT NULL,
    vendor TEXT NOT NULL,
    session_id TEXT,
    parent_session_id TEXT,
    resumed_from_session_id TEXT,
    time_unix_nano INTEGER,
    record TEXT NOT NULL
);
-- No query looks records up by session (sessions are computed from all records), and every
-- inserted record paid for this index: dropped.
DROP INDEX IF EXISTS records_by_session;
CREATE INDEX IF NOT EXISTS records_by_request ON records (request_id, seq);
CREATE TABLE IF NOT EXISTS metric_streams (
    tenant TEXT NOT NULL,
    stream TEXT NOT NULL,
    value TEXT NOT NULL,
    start_time_unix_nano INTEGER NOT NULL,
    time_unix_nano INTEGER NOT NULL,
    PRIMARY KEY (tenant, stream)
);
CREATE TABLE IF NOT EXISTS forward_queue (
    id INTEGER PRIMARY KEY,
    request_id INTEGER NOT NULL,
    payload BLOB NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_unix_ms INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT 'pending',
    last_error TEXT
);
CREATE INDEX IF NOT EXISTS forward_queue_due ON forward_queue (state, next_attempt_unix_ms, id);
CREATE INDEX IF NOT EXISTS forward_queue_order ON forward_queue (state, request_id, id);
"#;

/// The schema version written into `meta`. A database of version 1 is upgraded at open (see
/// [`Store::open`]); one of any other version is refused.
pub const SCHEMA_VERSION: &str = "2";

/// Why the database failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// SQLite failed.
    #[error("database {path}: {cause}")]
    Sqlite {
        /// The database file.
        path: String,
        /// SQLite's error.
        cause: rusqlite::Error,
    },
    /// The file holds a database of another schema version.
    #[error("database {path}: schema version {found}, this codetel writes {SCHEMA_VERSION}")]
    Version {
        /// The database file.
        path: String,
        /// The version found.
        found: String,
    },
    /// A stored record is not valid JSON (the file was edited by hand or is corrupt).
    #[error("database {path}: record {id} is not valid JSON: {message}")]
    Corrupt {
        /// The database file.
        path: String,
        /// The record row id.
        id: i64,
        /// The parser's message.
        message: String,
    },
    /// A stored request body cannot be read back (see [`body::unpack`]).
    #[error("database {path}: the stored body of request {id} is damaged: {message}")]
    CorruptBody {
        /// The database file.
        path: String,
        /// The request row id.
        id: i64,
        /// What is wrong with it.
        message: String,
    },
    /// The commit of a group of requests failed (reported to every request of the group).
    #[error("database {path}: committing a group of requests failed: {message}")]
    GroupCommit {
        /// The database file.
        path: String,
        /// The commit's error.
        message: String,
    },
}

/// An open database.
pub struct Store {
    /// The background WAL checkpointer, once [`Store::checkpoint_in_background`] started it.
    /// First, so it is stopped before the writer's connection closes (fields drop in order).
    checkpointer: Option<checkpoint::Checkpointer>,
    /// Set by [`Store::sync_commits_outside`]: group commits are fsynced by their requests.
    wal_sync: Option<std::sync::Arc<wal_sync::WalSync>>,
    conn: Connection,
    path: String,
    /// The file, for the checkpointer's own connection.
    file: std::path::PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

/// What is stored about one request, besides its records.
#[derive(Debug, Clone)]
pub struct NewRequest<'a> {
    /// Tenant, from the authenticated token.
    pub tenant: &'a str,
    /// Arrival time, Unix nanoseconds.
    pub received_unix_nano: u64,
    /// `http` or `grpc`.
    pub transport: &'a str,
    /// `POST` for HTTP; the gRPC method is in `path`.
    pub method: &'a str,
    /// The HTTP path (`/v1/logs`) or the gRPC method path.
    pub path: &'a str,
    /// `logs`, `metrics` or `traces`.
    pub signal: &'a str,
    /// `json` or `protobuf`.
    pub encoding: &'a str,
    /// `gzip` when the body arrived compressed.
    pub content_encoding: Option<&'a str>,
    /// Headers as a JSON object, authentication removed.
    pub headers_json: &'a str,
    /// The body as stored: as received (compressed if it arrived compressed), or compressed
    /// for storage when `body_codec` says so ([`body::pack`]); `None` when raw bodies are not
    /// kept.
    pub body: Option<&'a [u8]>,
    /// [`body::LZ4`] when `body` is the received body compressed for storage.
    pub body_codec: Option<&'a str>,
    /// Hex SHA-256 of the decompressed body: the duplicate key.
    pub body_sha256: &'a str,
    /// Accountable items in the request.
    pub items: usize,
    /// Items rejected (decoder and adapters).
    pub rejected: usize,
    /// The partial-success message acknowledged, if any.
    pub message: Option<&'a str>,
    /// Canonical records forwarded by another codetel (read back, not normalized).
    pub canonical: bool,
}

/// A stored request of the merge window: what is needed to decode it again.
#[derive(Debug, Clone)]
pub struct WindowRequest {
    /// Row id.
    pub id: i64,
    /// Signal name.
    pub signal: String,
    /// Encoding name.
    pub encoding: String,
    /// Whether the body is gzip-compressed.
    pub gzip: bool,
    /// The body as received.
    pub body: Vec<u8>,
    /// Arrival time, Unix nanoseconds.
    pub received_unix_nano: u64,
    /// Accountable items in the request.
    pub items: usize,
}

/// A stored request that was already acknowledged: what a duplicate delivery gets back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acknowledged {
    /// Row id.
    pub request_id: i64,
    /// Rejected items acknowledged.
    pub rejected: usize,
    /// Message acknowledged.
    pub message: Option<String>,
}

/// One canonical record to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRecord {
    /// `llm_call`, ...
    pub kind: String,
    /// Vendor id.
    pub vendor: String,
    /// Session id.
    pub session_id: Option<String>,
    /// Parent session id (subagents), from the collector's identity policy.
    pub parent_session_id: Option<String>,
    /// The session this one resumes, from the collector's identity policy.
    pub resumed_from_session_id: Option<String>,
    /// Time, Unix nanoseconds.
    pub time_unix_nano: Option<u64>,
    /// The canonical record's JSON.
    pub json: String,
}

/// The stored state of one metric stream: its last point.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamState {
    /// The last value (JSON number text, exact for integers).
    pub value: String,
    /// The last point's start time (0 for gauges and absent).
    pub start_time_unix_nano: u64,
    /// The last point's time.
    pub time_unix_nano: u64,
}

/// A stored request, for export.
#[derive(Debug, Clone)]
pub struct StoredRequest {
    /// Row id.
    pub id: i64,
    /// Tenant.
    pub tenant: String,
    /// Arrival time.
    pub received_unix_nano: u64,
    /// `http` or `grpc`.
    pub transport: String,
    /// Method.
    pub method: String,
    /// Path.
    pub path: String,
    /// Signal name.
    pub signal: String,
    /// Encoding name.
    pub encoding: String,
    /// `gzip` or none.
    pub content_encoding: Option<String>,
    /// Headers JSON object.
    pub headers_json: String,
    /// Body as received, when kept.
    pub body: Option<Vec<u8>>,
}

/// One stored record, as read back.
#[derive(Debug, Clone)]
pub struct StoredRecord {
    /// Row id.
    pub id: i64,
    /// The request it came from.
    pub request_id: i64,
    /// Tenant.
    pub tenant: String,
    /// Parent session id, when the identity policy found one.
    pub parent_session_id: Option<String>,
    /// The session this one resumes, when the identity policy found one.
    pub resumed_from_session_id: Option<String>,
    /// The canonical record JSON.
    pub record: serde_json::Value,
}

/// A forward-queue entry due for sending.
#[derive(Debug, Clone)]
pub struct QueuedPayload {
    /// Queue row id.
    pub id: i64,
    /// The request it came from.
    pub request_id: i64,
    /// The encoded OTLP payload.
    pub payload: Vec<u8>,
    /// Attempts so far.
    pub attempts: u32,
}

/// Forward-queue counts by state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct QueueCounts {
    /// Waiting to be sent (including retries).
    pub pending: usize,
    /// Of those, how many already failed at least once and wait for a retry.
    pub retrying: usize,
    /// Delivered.
    pub delivered: usize,
    /// Refused by the upstream with a status that must not be retried.
    pub failed: usize,
}

impl Store {
    /// Opens (creating if needed) a database file: WAL mode, full sync, the schema.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let name = path.display().to_string();
        let err = |cause| StoreError::Sqlite { path: name.clone(), cause };
        let conn = Connection::open(path).map_err(err)?;
        let store = Store { checkpointer: None, wal_sync: None, conn, path: name.clone(), file: path.to_owned() };
        store.configure()?;
        store.conn.execute_batch(SCHEMA).map_err(err)?;
        let version: Option<String> = store
            .conn
            .query_row("SELECT value FROM meta WHERE key = 'schema_version'", [], |row| row.get(0))
            .optional()
            .map_err(err)?;
        match version {
            None => {
                let _ = store
                    .conn
                    .execute("INSERT INTO meta (key, value) VALUES ('schema_version', ?1)", [SCHEMA_VERSION])
                    .map_err(err)?;
            }
            // Version 2 added `requests.body_codec` (bodies compressed at rest); a version 1
            // database's bodies are all stored as received, which a NULL codec says.
            Some(found) if found == "1" => {
                store
                    .conn
                    .execute_batch(
                        "BEGIN IMMEDIATE;
                         ALTER TABLE requests ADD COLUMN body_codec TEXT;
                         UPDATE meta SET value = '2' WHERE key = 'schema_version';
                         COMMIT;",
                    )
                    .map_err(err)?;
            }
            Some(found) if found != SCHEMA_VERSION => return Err(StoreError::Version { path: name, found }),
            Some(_) => {}
        }
        Ok(store)
    }

    /// Opens an existing database for reading (queries and export), failing if it does not exist.
    pub fn open_existing(path: &Path) -> Result<Store, StoreError> {
        if !path.is_file() {
            return Err(StoreError::Sqlite {
                path: path.display().to_string(),
                cause: rusqlite::Error::InvalidPath(path.to_owned()),
            });
        }
        Store::open(path)
    }

    fn configure(&self) -> Result<(), StoreError> {
        // WAL lets queries run while the collector writes; FULL makes a commit durable
        // before the request is acknowledged; the busy timeout lets a second process
        // (`codetel sessions`) wait for a write instead of failing.
        self.conn
            .busy_timeout(std::time::Duration::from_secs(10))
            .map_err(|cause| self.error(cause))?;
        // The query planner stability guarantee: plans never depend on bound values. Without
        // it SQLite marks a statement with a bound value it might plan around (the window
        // lookup's `LIMIT ?`, an equality on a parameter the index does not use) to be
        // prepared again once its bindings change, and rusqlite clears the bindings of every
        // statement it puts back in its cache: the cached window lookup was parsed and
        // planned again at every run (3.6% of the collector's samples). The schema has no
        // statistics (no ANALYZE) for a value-specific plan to use anyway.
        let _ = self
            .conn
            .set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
            .map_err(|cause| self.error(cause))?;
        let mode: String =
            self.conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0)).map_err(|cause| self.error(cause))?;
        if !mode.eq_ignore_ascii_case("wal") && !mode.eq_ignore_ascii_case("memory") {
            return Err(self.error(rusqlite::Error::InvalidQuery));
        }
        // 8 MiB of page cache (SQLite's default is 2 MiB): a group commit's dirty pages stay in
        // memory until the commit. More bought nothing measurable once checkpoints moved off the
        // commit: under `cargo xtask load` (BENCHMARKS.md, load run 10) 32 MiB and 16 MiB gave the
        // same records/s as 8 MiB and only added their size to the collector's memory (merge
        // windows reach back further than any of these caches hold; the kernel's cache serves them).
        // `temp_store = MEMORY`: each request is written in a savepoint, whose undo copies of
        // pages (the statement journal) otherwise spill to a temporary file past 64 KiB, a
        // file write per request seen in the profile; they are freed when the savepoint ends.
        self.conn
            .execute_batch(
                "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA cache_size = -8192; PRAGMA temp_store = MEMORY;",
            )
            .map_err(|cause| self.error(cause))
    }

    fn error(&self, cause: rusqlite::Error) -> StoreError {
        StoreError::Sqlite { path: self.path.clone(), cause }
    }

    /// Moves WAL checkpoints from this connection's commits to a background thread (see
    /// [`checkpoint`]); for the collector, whose commits requests wait for. Does nothing for
    /// a database without a WAL file (SQLite's memory database) or when already started.
    pub fn checkpoint_in_background(&mut self) -> Result<(), StoreError> {
        if self.checkpointer.is_some() || !self.has_wal_file()? {
            return Ok(());
        }
        let checkpointer = checkpoint::Checkpointer::start(&self.file, &mut self.conn).map_err(|cause| self.error(cause))?;
        self.checkpointer = Some(checkpointer);
        Ok(())
    }

    /// Leaves the fsync of group commits to their requests, outside the store's lock (see
    /// [`wal_sync`]): `synchronous = NORMAL` for this connection, and every successful
    /// [`Store::commit_group`] takes a ticket the requests of the group pass to
    /// [`wal_sync::WalSync::sync_through`] before they are acknowledged. For the collector;
    /// does nothing for a database without a WAL file (SQLite's memory database).
    pub fn sync_commits_outside(&mut self) -> Result<(), StoreError> {
        if self.wal_sync.is_some() || !self.has_wal_file()? {
            return Ok(());
        }
        self.conn.execute_batch("PRAGMA synchronous = NORMAL;").map_err(|cause| self.error(cause))?;
        self.wal_sync = Some(std::sync::Arc::new(wal_sync::WalSync::new(&self.file)));
        Ok(())
    }

    /// Whether the database is in WAL mode with a WAL file (SQLite's memory database reports
    /// `memory`): what the background checkpointer and the deferred fsync work on.
    fn has_wal_file(&self) -> Result<bool, StoreError> {
        let mode: String =
            self.conn.query_row("PRAGMA journal_mode", [], |row| row.get(0)).map_err(|cause| self.error(cause))?;
        Ok(mode.eq_ignore_ascii_case("wal"))
    }

    /// The fsync group commits wait for, when [`Store::sync_commits_outside`] set it up.
    pub fn wal_sync(&self) -> Option<&std::sync::Arc<wal_sync::WalSync>> {
        self.wal_sync.as_ref()
    }

    /// Checkpoints run so far by the background checkpointer and by this connection's
    /// commits, when it was started.
    pub fn checkpoint_runs(&self) -> Option<(i64, i64)> {
        self.checkpointer.as_ref().map(checkpoint::Checkpointer::runs)
    }

    /// The database file name, for messages.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Starts the one transaction a request is written in.
    pub fn transaction(&mut self) -> Result<StoreTx<'_>, StoreError> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|cause| StoreError::Sqlite { path: path.clone(), cause })?;
        Ok(StoreTx { tx: Scope::Transaction(tx), path })
    }

    /// Opens the transaction a group of requests is written in, unless one is open: requests
    /// of a group are each written in a savepoint ([`Store::savepoint`]) and become durable
    /// together at [`Store::commit_group`] (one fsync for all of them).
    pub fn begin_group(&self) -> Result<(), StoreError> {
        if self.conn.is_autocommit() {
            self.conn.execute_batch("BEGIN IMMEDIATE").map_err(|cause| self.error(cause))?;
        }
        Ok(())
    }

    /// Whether a group transaction is open.
    pub fn in_group(&self) -> bool {
        !self.conn.is_autocommit()
    }

    /// Commits the open group (nothing when none is open). On failure the group is rolled
    /// back: none of its requests is stored.
    pub fn commit_group(&self) -> Result<(), StoreError> {
        if self.conn.is_autocommit() {
            return Ok(());
        }
        match self.conn.execute_batch("COMMIT") {
            Ok(()) => {
                if let Some(sync) = &self.wal_sync {
                    let _ = sync.note_commit();
                }
                Ok(())
            }
            Err(cause) => {
                if !self.conn.is_autocommit() {
                    let _ = self.conn.execute_batch("ROLLBACK");
                }
                Err(self.error(cause))
            }
        }
    }

    /// Starts one request's part of the open group ([`Store::begin_group`]): committing it
    /// keeps its writes for the group's commit, dropping it undoes them alone.
    pub fn savepoint(&mut self) -> Result<StoreTx<'_>, StoreError> {
        let path = self.path.clone();
        let savepoint = self.conn.savepoint().map_err(|cause| StoreError::Sqlite { path: path.clone(), cause })?;
        Ok(StoreTx { tx: Scope::Savepoint(savepoint), path })
    }

    /// Which requests make the merge window of a new request of `tenant`: earlier log and trace
    /// requests (not forwarded canonical ones) received at or after `since_unix_nano` that
    /// carried any of `sessions`, without their bodies ([`Store::window_body`]), oldest first,
    /// at most `limit`. Reads the open group too: the same window a request written now would get.
    pub fn window_candidates(
        &self,
        tenant: &str,
        sessions: &[String],
        since_unix_nano: u64,
        limit: usize,
        max_items: usize,
    ) -> Result<Vec<WindowCandidate>, StoreError> {
        window_candidates(&self.conn, tenant, sessions, since_unix_nano, limit, max_items).map_err(|cause| self.error(cause))
    }

    /// The body of a window candidate, to decode it again.
    pub fn window_body(&self, candidate: &WindowCandidate) -> Result<WindowRequest, StoreError> {
        window_body(&self.conn, &self.path, candidate)
    }

    /// Every stored record, in arrival order, optionally for one tenant.
    pub fn records(&self, tenant: Option<&str>) -> Result<Vec<StoredRecord>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, request_id, tenant, parent_session_id, resumed_from_session_id, record FROM records
                 WHERE (?1 IS NULL OR tenant = ?1) ORDER BY request_id, seq",
            )
            .map_err(|cause| self.error(cause))?;
        let rows = stmt
            .query_map(params![tenant], |row| {
                Ok((row.get::<_, i64>(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?, row.get::<_, String>(5)?))
            })
            .map_err(|cause| self.error(cause))?;
        let mut res = Vec::new();
        for row in rows {
            let (id, request_id, tenant, parent_session_id, resumed_from_session_id, text) =
                row.map_err(|cause| self.error(cause))?;
            let record = serde_json::from_str(&text).map_err(|error| StoreError::Corrupt {
                path: self.path.clone(),
                id,
                message: error.to_string(),
            })?;
            res.push(StoredRecord { id, request_id, tenant, parent_session_id, resumed_from_session_id, record });
        }
        Ok(res)
    }

    /// Stored requests in arrival order, optionally only the given ids.
    pub fn requests(&self, only: Option<&[i64]>) -> Result<Vec<StoredRequest>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, tenant, received_unix_nano, transport, method, path, signal, encoding,
                        content_encoding, headers, body, body_codec
                 FROM requests ORDER BY id",
            )
            .map_err(|cause| self.error(cause))?;
        let rows = stmt
            .query_map([], |row| {
                Ok((StoredRequest {
                    id: row.get(0)?,
                    tenant: row.get(1)?,
                    received_unix_nano: row.get::<_, i64>(2)? as u64,
                    transport: row.get(3)?,
                    method: row.get(4)?,
                    path: row.get(5)?,
                    signal: row.get(6)?,
                    encoding: row.get(7)?,
                    content_encoding: row.get(8)?,
                    headers_json: row.get(9)?,
                    body: row.get(10)?,
                },
                row.get::<_, Option<String>>(11)?))
            })
            .map_err(|cause| self.error(cause))?;
        let mut res = Vec::new();
        for row in rows {
            let (mut request, codec) = row.map_err(|cause| self.error(cause))?;
            if only.is_none_or(|ids| ids.contains(&request.id)) {
                if let Some(stored) = request.body.take() {
                    request.body = Some(unpack_body(&self.path, request.id, codec.as_deref(), stored)?);
                }
                res.push(request);
            }
        }
        Ok(res)
    }

    /// How many requests are stored.
    pub fn request_count(&self) -> Result<usize, StoreError> {
        self.conn
            .query_row("SELECT COUNT(*) FROM requests", [], |row| row.get::<_, i64>(0))
            .map(|it| it as usize)
            .map_err(|cause| self.error(cause))
    }

    /// The oldest pending forward-queue entry, when it is due at `now_ms`. Order is kept: while
    /// the oldest entry waits for its retry, nothing newer is sent (each entry has its own
    /// retry time, so taking whichever newer entry happened to be due would deliver requests
    /// out of order, and an upstream derives metric deltas in arrival order).
    pub fn next_due(&self, now_ms: i64) -> Result<Option<QueuedPayload>, StoreError> {
        let oldest = self
            .conn
            .prepare_cached(
                "SELECT id, request_id, payload, attempts, next_attempt_unix_ms FROM forward_queue
                 WHERE state = 'pending' ORDER BY request_id, id LIMIT 1",
            )
            .and_then(|mut stmt| {
                stmt.query_row([], |row| {
                    let payload = QueuedPayload {
                        id: row.get(0)?,
                        request_id: row.get(1)?,
                        payload: row.get(2)?,
                        attempts: row.get::<_, i64>(3)? as u32,
                    };
                    Ok((payload, row.get::<_, i64>(4)?))
                })
                .optional()
            })
            .map_err(|cause| self.error(cause))?;
        Ok(oldest.filter(|(_, due_ms)| *due_ms <= now_ms).map(|(payload, _)| payload))
    }

    /// When the oldest pending entry is due (Unix ms), if any is pending (see [`Store::next_due`]).
    pub fn next_due_time(&self) -> Result<Option<i64>, StoreError> {
        self.conn
            .prepare_cached(
                "SELECT next_attempt_unix_ms FROM forward_queue WHERE state = 'pending' ORDER BY request_id, id LIMIT 1",
            )
            .and_then(|mut stmt| stmt.query_row([], |row| row.get::<_, i64>(0)).optional())
            .map_err(|cause| self.error(cause))
    }

    /// Marks an entry delivered: its payload is dropped, the row kept as a tally.
    pub fn forward_delivered(&self, id: i64, note: Option<&str>) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE forward_queue SET state = 'delivered', payload = x'', attempts = attempts + 1,
                 last_error = ?2 WHERE id = ?1",
                params![id, note],
            )
            .map(|_| ())
            .map_err(|cause| self.error(cause))
    }

    /// Schedules a retry at `next_ms` after a retryable failure.
    pub fn forward_retry(&self, id: i64, next_ms: i64, error: &str) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE forward_queue SET attempts = attempts + 1, next_attempt_unix_ms = ?2, last_error = ?3
                 WHERE id = ?1",
                params![id, next_ms, error],
            )
            .map(|_| ())
            .map_err(|cause| self.error(cause))
    }

    /// Marks an entry failed for good (a status that must not be retried); the payload is
    /// kept for inspection.
    pub fn forward_failed(&self, id: i64, error: &str) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE forward_queue SET state = 'failed', attempts = attempts + 1, last_error = ?2 WHERE id = ?1",
                params![id, error],
            )
            .map(|_| ())
            .map_err(|cause| self.error(cause))
    }

    /// Forward-queue counts by state.
    pub fn queue_counts(&self) -> Result<QueueCounts, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT state, COUNT(*), SUM(attempts > 0) FROM forward_queue GROUP BY state")
            .map_err(|cause| self.error(cause))?;
        let rows = stmt
            .query_map([], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)? as usize, row.get::<_, i64>(2)? as usize))
            })
            .map_err(|cause| self.error(cause))?;
        let mut counts = QueueCounts::default();
        for row in rows {
            let (state, n, retried) = row.map_err(|cause| self.error(cause))?;
            match state.as_str() {
                "pending" => {
                    counts.pending = n;
                    counts.retrying = retried;
                }
                "delivered" => counts.delivered = n,
                _ => counts.failed += n,
            }
        }
        Ok(counts)
    }

    /// Folds the WAL back into the main file (on shutdown), so the database is one file again.
    pub fn checkpoint(&self) -> Result<(), StoreError> {
        // SQLite answers busy at once to a checkpoint while another runs (no busy timeout
        // applies), so a background copy in progress is waited for first.
        let _turn = self.checkpointer.as_ref().map(checkpoint::Checkpointer::turn);
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .map_err(|cause| self.error(cause))
    }
}

/// A request of a merge window, before its body is read: enough to tell whether two reads
/// of the window found the same requests, and to find a decoded copy of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowCandidate {
    /// Row id.
    pub id: i64,
    /// Accountable items in the request.
    pub items: usize,
    /// Hex SHA-256 of the decompressed body: with the id, names exactly one body (an id can
    /// be reused after a failed group commit, a body hash with it cannot).
    pub body_sha256: String,
}

/// The window lookup of one key (see [`window_candidates`]).
const WINDOW_CANDIDATES: &str = "SELECT r.id, r.items, r.body_sha256 FROM request_sessions AS s JOIN requests AS r ON r.id = s.request_id
         WHERE s.tenant = ?1 AND s.session_id = ?2
           AND r.signal != 'metrics' AND r.canonical = 0 AND r.body IS NOT NULL AND r.received_unix_nano >= ?3
         ORDER BY s.request_id DESC LIMIT ?4";

fn window_candidates(
    conn: &Connection,
    tenant: &str,
    sessions: &[String],
    since_unix_nano: u64,
    limit: usize,
    max_items: usize,
) -> Result<Vec<WindowCandidate>, rusqlite::Error> {
    // One walk per key, newest first, down the (tenant, session_id, request_id) index, joined
    // to requests by id: no sort, and the walk stops at the limit or once the key's own
    // requests exceed the item budget (an older one could not be in the window then either).
    // Ids only, bodies after: selecting the bodies makes SQLite copy every body of the window
    // before the LIMIT applies (seen in a profile as most of a request's time when one session
    // sends a lot). The earlier single query (`id IN (SELECT ... json_each(...))`) scanned every
    // request of the tenant through the unique (tenant, signal, body_sha256) index and was
    // prepared again at each run: 10% of the collector's time, growing with the database.
    let mut stmt = conn.prepare_cached(WINDOW_CANDIDATES)?;
    let mut found: Vec<WindowCandidate> = Vec::new();
    for session in sessions {
        let mut rows = stmt.query(params![tenant, session, since_unix_nano as i64, limit as i64])?;
        let mut key_items = 0usize;
        while let Some(row) = rows.next()? {
            let candidate = WindowCandidate {
                id: row.get(0)?,
                items: usize::try_from(row.get::<_, i64>(1)?).unwrap_or(0),
                body_sha256: row.get(2)?,
            };
            key_items = key_items.saturating_add(candidate.items);
            found.push(candidate);
            if key_items > max_items {
                break;
            }
        }
    }
    found.sort_by_key(|it| std::cmp::Reverse(it.id));
    found.dedup_by_key(|it| it.id);
    found.truncate(limit);
    // Newest first, until the item budget is spent: bodies past the budget are never read.
    let mut total_items = 0usize;
    let mut res = Vec::new();
    for candidate in found {
        total_items = total_items.saturating_add(candidate.items);
        if total_items > max_items {
            break;
        }
        res.push(candidate);
    }
    res.reverse();
    Ok(res)
}

fn window_body(conn: &Connection, path: &str, candidate: &WindowCandidate) -> Result<WindowRequest, StoreError> {
    let sqlite = |cause| StoreError::Sqlite { path: path.to_owned(), cause };
    let mut stmt = conn
        .prepare_cached("SELECT signal, encoding, content_encoding, body, received_unix_nano, body_codec FROM requests WHERE id = ?1")
        .map_err(sqlite)?;
    let (mut request, codec) = stmt
        .query_row([candidate.id], |row| {
            Ok((
                WindowRequest {
                    id: candidate.id,
                    signal: row.get(0)?,
                    encoding: row.get(1)?,
                    gzip: row.get::<_, Option<String>>(2)?.as_deref() == Some("gzip"),
                    body: row.get(3)?,
                    received_unix_nano: row.get::<_, i64>(4)? as u64,
                    items: candidate.items,
                },
                row.get::<_, Option<String>>(5)?,
            ))
        })
        .map_err(sqlite)?;
    request.body = unpack_body(path, candidate.id, codec.as_deref(), std::mem::take(&mut request.body))?;
    Ok(request)
}

/// A request's body as received, from its row ([`body::unpack`]).
fn unpack_body(path: &str, id: i64, codec: Option<&str>, stored: Vec<u8>) -> Result<Vec<u8>, StoreError> {
    body::unpack(codec, stored).map_err(|message| StoreError::CorruptBody { path: path.to_owned(), id, message })
}

/// The transaction one request is written in; dropped without [`StoreTx::commit`], nothing
/// of it is stored.
pub struct StoreTx<'a> {
    tx: Scope<'a>,
    path: String,
}

/// A whole transaction, or a savepoint inside a group's transaction.
enum Scope<'a> {
    Transaction(rusqlite::Transaction<'a>),
    Savepoint(rusqlite::Savepoint<'a>),
}

impl std::ops::Deref for Scope<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        match self {
            Scope::Transaction(it) => it,
            Scope::Savepoint(it) => it,
        }
    }
}

impl StoreTx<'_> {
    fn error(&self, cause: rusqlite::Error) -> StoreError {
        StoreError::Sqlite { path: self.path.clone(), cause }
    }

    /// The earlier acknowledgement of the same body (same tenant, signal and content hash).
    pub fn duplicate_of(&self, tenant: &str, signal: &str, body_sha256: &str) -> Result<Option<Acknowledged>, StoreError> {
        self.tx
            .prepare_cached("SELECT id, rejected, message FROM requests WHERE tenant = ?1 AND signal = ?2 AND body_sha256 = ?3")
            .and_then(|mut stmt| {
                stmt.query_row(
                params![tenant, signal, body_sha256],
                |row| {
                    Ok(Acknowledged {
                        request_id: row.get(0)?,
                        rejected: row.get::<_, i64>(1)? as usize,
                        message: row.get(2)?,
                    })
                },
                )
                .optional()
            })
            .map_err(|cause| self.error(cause))
    }

    /// The id the next request will get (for file names that must match it).
    pub fn next_request_id(&self) -> Result<i64, StoreError> {
        self.tx
            .prepare_cached("SELECT COALESCE(MAX(id), 0) + 1 FROM requests")
            .and_then(|mut stmt| stmt.query_row([], |row| row.get(0)))
            .map_err(|cause| self.error(cause))
    }

    /// Inserts the request row; returns its id.
    pub fn insert_request(&self, request: &NewRequest<'_>, records: usize) -> Result<i64, StoreError> {
        let _ = self
            .tx
            .prepare_cached(
                "INSERT INTO requests (tenant, received_unix_nano, transport, method, path, signal, encoding,
                    content_encoding, headers, body, body_sha256, items, rejected, message, records, canonical, body_codec)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
            )
            .and_then(|mut stmt| {
                stmt.execute(params![
                    request.tenant,
                    request.received_unix_nano as i64,
                    request.transport,
                    request.method,
                    request.path,
                    request.signal,
                    request.encoding,
                    request.content_encoding,
                    request.headers_json,
                    request.body,
                    request.body_sha256,
                    request.items as i64,
                    request.rejected as i64,
                    request.message,
                    records as i64,
                    request.canonical,
                    request.body_codec,
                ])
            })
            .map_err(|cause| self.error(cause))?;
        Ok(self.tx.last_insert_rowid())
    }

    /// [`Store::window_candidates`], inside this transaction.
    pub fn window_candidates(
        &self,
        tenant: &str,
        sessions: &[String],
        since_unix_nano: u64,
        limit: usize,
        max_items: usize,
    ) -> Result<Vec<WindowCandidate>, StoreError> {
        window_candidates(&self.tx, tenant, sessions, since_unix_nano, limit, max_items).map_err(|cause| self.error(cause))
    }

    /// [`Store::window_body`], inside this transaction.
    pub fn window_body(&self, candidate: &WindowCandidate) -> Result<WindowRequest, StoreError> {
        window_body(&self.tx, &self.path, candidate)
    }

    /// Notes which sessions a request carried.
    pub fn insert_request_sessions(&self, request_id: i64, tenant: &str, sessions: &[String]) -> Result<(), StoreError> {
        let mut stmt = self
            .tx
            .prepare_cached("INSERT OR IGNORE INTO request_sessions (request_id, tenant, session_id) VALUES (?1, ?2, ?3)")
            .map_err(|cause| self.error(cause))?;
        for session in sessions {
            let _ = stmt.execute(params![request_id, tenant, session]).map_err(|cause| self.error(cause))?;
        }
        Ok(())
    }

    /// Replaces the records of an earlier request (normalized again with later requests of
    /// its sessions) when they differ from the stored ones; returns whether they did. Most
    /// revisions change nothing (a new request rarely completes an earlier one), and reading
    /// is much cheaper than writing rows with their indexes; a revision that changes some
    /// records (a span completing one event of a batch) rewrites those rows only, in place,
    /// and removes or adds rows at the end when the count changed.
    pub fn replace_records(&self, request_id: i64, tenant: &str, records: &[NewRecord]) -> Result<bool, StoreError> {
        let stored = self.stored_records(request_id)?;
        if stored == records {
            return Ok(false);
        }
        let err = |cause| self.error(cause);
        let mut update = self
            .tx
            .prepare_cached(
                "UPDATE records SET kind = ?3, vendor = ?4, session_id = ?5, parent_session_id = ?6,
                    resumed_from_session_id = ?7, time_unix_nano = ?8, record = ?9
                 WHERE request_id = ?1 AND seq = ?2",
            )
            .map_err(err)?;
        for (seq, (old, new)) in stored.iter().zip(records).enumerate() {
            if old == new {
                continue;
            }
            let _ = update
                .execute(params![
                    request_id,
                    seq as i64,
                    new.kind,
                    new.vendor,
                    new.session_id,
                    new.parent_session_id,
                    new.resumed_from_session_id,
                    new.time_unix_nano.map(|it| it as i64),
                    new.json,
                ])
                .map_err(err)?;
        }
        if stored.len() > records.len() {
            let _ = self
                .tx
                .prepare_cached("DELETE FROM records WHERE request_id = ?1 AND seq >= ?2")
                .and_then(|mut stmt| stmt.execute(params![request_id, records.len() as i64]))
                .map_err(err)?;
        }
        if records.len() > stored.len() {
            self.insert_records_from(request_id, tenant, stored.len(), &records[stored.len()..])?;
        }
        if records.len() != stored.len() {
            let _ = self
                .tx
                .prepare_cached("UPDATE requests SET records = ?2 WHERE id = ?1")
                .and_then(|mut stmt| stmt.execute(params![request_id, records.len() as i64]))
                .map_err(err)?;
        }
        Ok(true)
    }

    /// The stored records of a request, in order, as they were inserted.
    fn stored_records(&self, request_id: i64) -> Result<Vec<NewRecord>, StoreError> {
        let mut stmt = self
            .tx
            .prepare_cached(
                "SELECT kind, vendor, session_id, parent_session_id, resumed_from_session_id, time_unix_nano, record
                 FROM records WHERE request_id = ?1 ORDER BY seq",
            )
            .map_err(|cause| self.error(cause))?;
        let rows = stmt
            .query_map([request_id], |row| {
                Ok(NewRecord {
                    kind: row.get(0)?,
                    vendor: row.get(1)?,
                    session_id: row.get(2)?,
                    parent_session_id: row.get(3)?,
                    resumed_from_session_id: row.get(4)?,
                    time_unix_nano: row.get::<_, Option<i64>>(5)?.map(|it| it as u64),
                    json: row.get(6)?,
                })
            })
            .map_err(|cause| self.error(cause))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|cause| self.error(cause))
    }

    /// Inserts the records of a request.
    pub fn insert_records(&self, request_id: i64, tenant: &str, records: &[NewRecord]) -> Result<(), StoreError> {
        self.insert_records_from(request_id, tenant, 0, records)
    }

    /// Inserts records of a request from position `first_seq` on.
    fn insert_records_from(&self, request_id: i64, tenant: &str, first_seq: usize, records: &[NewRecord]) -> Result<(), StoreError> {
        let mut stmt = self
            .tx
            .prepare_cached(
                "INSERT INTO records (request_id, seq, tenant, kind, vendor, session_id, parent_session_id,
                    resumed_from_session_id, time_unix_nano, record)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )
            .map_err(|cause| self.error(cause))?;
        for (seq, record) in (first_seq..).zip(records) {
            let _ = stmt
                .execute(params![
                    request_id,
                    seq as i64,
                    tenant,
                    record.kind,
                    record.vendor,
                    record.session_id,
                    record.parent_session_id,
                    record.resumed_from_session_id,
                    record.time_unix_nano.map(|it| it as i64),
                    record.json,
                ])
                .map_err(|cause| self.error(cause))?;
        }
        Ok(())
    }

    /// The stored state of a metric stream.
    pub fn stream(&self, tenant: &str, stream: &str) -> Result<Option<StreamState>, StoreError> {
        self.tx
            .query_row(
                "SELECT value, start_time_unix_nano, time_unix_nano FROM metric_streams WHERE tenant = ?1 AND stream = ?2",
                params![tenant, stream],
                |row| {
                    Ok(StreamState {
                        value: row.get(0)?,
                        start_time_unix_nano: row.get::<_, i64>(1)? as u64,
                        time_unix_nano: row.get::<_, i64>(2)? as u64,
                    })
                },
            )
            .optional()
            .map_err(|cause| self.error(cause))
    }

    /// Saves the state of a metric stream.
    pub fn save_stream(&self, tenant: &str, stream: &str, state: &StreamState) -> Result<(), StoreError> {
        self.tx
            .execute(
                "INSERT INTO metric_streams (tenant, stream, value, start_time_unix_nano, time_unix_nano)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (tenant, stream) DO UPDATE SET value = ?3, start_time_unix_nano = ?4, time_unix_nano = ?5",
                params![tenant, stream, state.value, state.start_time_unix_nano as i64, state.time_unix_nano as i64],
            )
            .map(|_| ())
            .map_err(|cause| self.error(cause))
    }

    /// Pending forward-queue entries.
    pub fn pending_forwards(&self) -> Result<usize, StoreError> {
        self.tx
            .query_row("SELECT COUNT(*) FROM forward_queue WHERE state = 'pending'", [], |row| row.get::<_, i64>(0))
            .map(|it| it as usize)
            .map_err(|cause| self.error(cause))
    }

    /// Queues an OTLP payload for the upstream, to be sent from `not_before_ms` (Unix ms) on:
    /// the end of the request's merge window, after which its records no longer change.
    pub fn enqueue_forward(&self, request_id: i64, payload: &[u8], not_before_ms: i64) -> Result<(), StoreError> {
        self.tx
            .execute(
                "INSERT INTO forward_queue (request_id, payload, next_attempt_unix_ms) VALUES (?1, ?2, ?3)",
                params![request_id, payload, not_before_ms],
            )
            .map(|_| ())
            .map_err(|cause| self.error(cause))
    }

    /// Replaces the not-yet-sent payload of a request whose records were revised (`None`:
    /// it has no records any more, nothing to send).
    pub fn revise_forward(&self, request_id: i64, payload: Option<&[u8]>, not_before_ms: i64) -> Result<(), StoreError> {
        let _ = self
            .tx
            .execute("DELETE FROM forward_queue WHERE request_id = ?1 AND state = 'pending' AND attempts = 0", [request_id])
            .map_err(|cause| self.error(cause))?;
        match payload {
            Some(payload) => self.enqueue_forward(request_id, payload, not_before_ms),
            None => Ok(()),
        }
    }

    /// Commits: a transaction is then durable and may be acknowledged; a savepoint's writes
    /// join its group, durable once the group commits.
    pub fn commit(self) -> Result<(), StoreError> {
        let path = self.path;
        match self.tx {
            Scope::Transaction(it) => it.commit(),
            Scope::Savepoint(it) => it.commit(),
        }
        .map_err(|cause| StoreError::Sqlite { path, cause })
    }
}

/// An empty folder for one test's database files, named after the test and this process.
#[cfg(test)]
pub(crate) fn scratch_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("codetel-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    dir
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request<'a>(sha: &'a str, items: usize, received_unix_nano: u64) -> NewRequest<'a> {
        NewRequest {
            tenant: "t",
            received_unix_nano,
            transport: "http",
            method: "POST",
            path: "/v1/logs",
            signal: "logs",
            encoding: "json",
            content_encoding: None,
            headers_json: "{}",
            body: Some(b"{}"),
            body_codec: None,
            body_sha256: sha,
            items,
            rejected: 0,
            message: None,
            canonical: false,
        }
    }

    fn record(json: &str) -> NewRecord {
        NewRecord {
            kind: "llm_call".to_owned(),
            vendor: "claude_code".to_owned(),
            session_id: Some("s".to_owned()),
            parent_session_id: None,
            resumed_from_session_id: None,
            time_unix_nano: Some(1),
            json: json.to_owned(),
        }
    }

    /// A store in SQLite's memory database: the same schema and statements, no files.
    fn in_memory() -> Store {
        Store::open(Path::new(":memory:")).expect("open an in-memory store")
    }

    /// A body compressed at rest comes back byte for byte through both readers (export's
    /// `requests` and the merge window's `window_body`), a body stored as received next to it
    /// too, and the compressed one takes less room in the row.
    #[test]
    fn bodies_packed_at_rest_read_back_as_received() {
        let mut store = in_memory();
        let received: Vec<u8> = (0..400).flat_map(|n| format!("{{\"key\":\"session.id\",\"value\":\"s-{n}\"}}").into_bytes()).collect();
        let packed = body::pack(&received).expect("an OTLP-like body compresses");
        let tx = store.transaction().expect("transaction");
        let mut new = request("packed", 1, 10);
        new.body = Some(&packed);
        new.body_codec = Some(body::LZ4);
        let packed_id = tx.insert_request(&new, 0).expect("insert");
        tx.insert_request_sessions(packed_id, "t", &["s".to_owned()]).expect("sessions");
        let mut plain = request("plain", 1, 11);
        plain.body = Some(b"{\"resourceLogs\":[]}");
        let plain_id = tx.insert_request(&plain, 0).expect("insert");
        tx.insert_request_sessions(plain_id, "t", &["s".to_owned()]).expect("sessions");
        let stored_len: i64 =
            tx.tx.query_row("SELECT length(body) FROM requests WHERE id = ?1", [packed_id], |row| row.get(0)).expect("length");
        assert!((stored_len as usize) * 4 < received.len(), "{stored_len} bytes stored for {}", received.len());
        let window = tx.window_candidates("t", &["s".to_owned()], 0, 256, 2_000).expect("window");
        let bodies: Vec<Vec<u8>> = window.iter().map(|it| tx.window_body(it).expect("body").body).collect();
        assert_eq!(bodies, vec![received.clone(), b"{\"resourceLogs\":[]}".to_vec()]);
        tx.commit().expect("commit");
        let exported: Vec<Option<Vec<u8>>> = store.requests(None).expect("requests").into_iter().map(|it| it.body).collect();
        assert_eq!(exported, vec![Some(received), Some(b"{\"resourceLogs\":[]}".to_vec())]);
    }

    /// A damaged compressed body is an error naming the database and the request, from both
    /// readers; nothing panics and nothing is allocated for the length it claims.
    #[test]
    fn a_damaged_packed_body_is_an_error_naming_its_request() {
        let mut store = in_memory();
        let tx = store.transaction().expect("transaction");
        let mut new = request("damaged", 1, 10);
        let mut damaged = body::pack(&b"0123456789abcdef".repeat(100)).expect("packed");
        damaged[..4].copy_from_slice(&u32::MAX.to_le_bytes());
        new.body = Some(&damaged);
        new.body_codec = Some(body::LZ4);
        let id = tx.insert_request(&new, 0).expect("insert");
        tx.insert_request_sessions(id, "t", &["s".to_owned()]).expect("sessions");
        let window = tx.window_candidates("t", &["s".to_owned()], 0, 256, 2_000).expect("window");
        let error = tx.window_body(&window[0]).expect_err("damaged").to_string();
        assert!(error.contains(&format!("the stored body of request {id} is damaged")) && error.contains(":memory:"), "{error}");
        tx.commit().expect("commit");
        let error = store.requests(None).expect_err("damaged").to_string();
        assert!(error.contains(&format!("request {id}")) && error.contains("claims 4294967295 bytes"), "{error}");
    }

    /// Syncing outside the lock turns `COMMIT`'s own fsync off (`synchronous` NORMAL) for a
    /// file database and counts every group commit; a memory database has no WAL to sync and
    /// keeps its settings; a store that does not defer keeps FULL.
    #[test]
    fn deferred_syncing_counts_group_commits_and_turns_the_commit_fsync_off() {
        let synchronous = |store: &Store| -> i64 { store.conn.query_row("PRAGMA synchronous", [], |row| row.get(0)).expect("pragma") };
        let dir = scratch_dir("deferred");
        let mut store = Store::open(&dir.join("d.db")).expect("open");
        assert_eq!(synchronous(&store), 2, "FULL unless deferred");
        store.sync_commits_outside().expect("defer");
        assert_eq!(synchronous(&store), 1);
        let sync = store.wal_sync().cloned().expect("a WAL to sync");
        for n in 0..3 {
            store.begin_group().expect("group");
            let sha = format!("sha{n}");
            let tx = store.savepoint().expect("savepoint");
            let _ = tx.insert_request(&request(&sha, 1, n), 0).expect("insert");
            tx.commit().expect("release");
            store.commit_group().expect("commit");
        }
        assert_eq!(sync.committed(), 3);
        sync.sync_through(3).expect("sync");
        assert_eq!(sync.synced_through(), 3);
        let mut memory = in_memory();
        memory.sync_commits_outside().expect("nothing to defer");
        assert!(memory.wal_sync().is_none());
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A schema 1 database (bodies always stored as received, no `body_codec`) is upgraded at
    /// open: its bodies read back unchanged, new ones can be packed, and the version is 2.
    #[test]
    fn a_schema_1_database_is_upgraded_at_open() {
        let dir = scratch_dir("schema1");
        let path = dir.join("old.db");
        {
            let store = Store::open(&path).expect("open");
            let tx = store.conn.unchecked_transaction().expect("transaction");
            tx.execute(
                "INSERT INTO requests (tenant, received_unix_nano, transport, method, path, signal, encoding, headers, body,
                    body_sha256, items, rejected, records) VALUES ('t', 1, 'http', 'POST', '/v1/logs', 'logs', 'json', '{}', X'7B7D', 'old', 0, 0, 0)",
                [],
            )
            .expect("insert");
            tx.execute_batch("ALTER TABLE requests DROP COLUMN body_codec; UPDATE meta SET value = '1' WHERE key = 'schema_version';")
                .expect("make it schema 1");
            tx.commit().expect("commit");
        }
        let store = Store::open(&path).expect("an old database opens");
        let version: String =
            store.conn.query_row("SELECT value FROM meta WHERE key = 'schema_version'", [], |row| row.get(0)).expect("version");
        assert_eq!(version, SCHEMA_VERSION);
        assert_eq!(store.requests(None).expect("requests")[0].body.as_deref(), Some(&b"{}"[..]));
        drop(store);
        assert_eq!(Store::open(&path).expect("opens again").requests(None).expect("requests").len(), 1);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Several keys: a request carrying two of them is in the window once, requests of
    /// other keys, metrics, canonical ones and those older than the window are not, and the
    /// item budget and the request limit apply to the union, newest first.
    #[test]
    fn the_merge_window_of_several_keys_is_their_union_newest_first() {
        let mut store = in_memory();
        let tx = store.transaction().expect("transaction");
        let insert = |sha: &str, items: usize, received: u64, keys: &[&str], signal: &'static str, canonical: bool| {
            let mut new = request(sha, items, received);
            new.signal = signal;
            new.canonical = canonical;
            let id = tx.insert_request(&new, 0).expect("insert");
            let keys: Vec<String> = keys.iter().map(|it| (*it).to_owned()).collect();
            tx.insert_request_sessions(id, "t", &keys).expect("sessions");
            id
        };
        let old = insert("old", 10, 100, &["a"], "logs", false);
        let a = insert("a", 10, 1000, &["a"], "logs", false);
        let both = insert("both", 10, 1001, &["a", "b"], "traces", false);
        let _other = insert("other", 10, 1002, &["c"], "logs", false);
        let _metrics = insert("metrics", 10, 1003, &["a"], "metrics", false);
        let _canonical = insert("canonical", 10, 1004, &["b"], "logs", true);
        let b = insert("b", 10, 1005, &["b"], "logs", false);
        let keys = ["a".to_owned(), "b".to_owned()];
        let ids = |window: Vec<WindowCandidate>| window.iter().map(|it| it.id).collect::<Vec<_>>();
        assert_eq!(ids(window_candidates(&tx.tx, "t", &keys, 500, 256, 1_000).expect("window")), vec![a, both, b]);
        assert_eq!(ids(window_candidates(&tx.tx, "t", &keys, 0, 256, 1_000).expect("window")), vec![old, a, both, b]);
        assert_eq!(ids(window_candidates(&tx.tx, "t", &keys, 0, 256, 25).expect("window")), vec![both, b], "budget");
        assert_eq!(ids(window_candidates(&tx.tx, "t", &keys, 0, 3, 1_000).expect("window")), vec![a, both, b], "limit");
    }

    #[test]
    fn the_merge_window_stops_at_its_item_budget_newest_first() {
        let mut store = in_memory();
        let tx = store.transaction().expect("transaction");
        let mut ids = Vec::new();
        for (n, items) in [(0, 30), (1, 50), (2, 40), (3, 40)] {
            let sha = format!("sha{n}");
            let id = tx.insert_request(&request(&sha, items, 1000 + n), 0).expect("insert");
            tx.insert_request_sessions(id, "t", &["s".to_owned()]).expect("sessions");
            ids.push(id);
        }
        let sessions = ["s".to_owned()];
        let window = |max_items| -> Vec<WindowRequest> {
            let candidates = tx.window_candidates("t", &sessions, 0, 256, max_items).expect("window");
            candidates.iter().map(|it| tx.window_body(it).expect("body")).collect()
        };
        let all = window(1_000);
        assert_eq!(all.iter().map(|it| it.id).collect::<Vec<_>>(), ids, "oldest first, all within budget");
        // 40 + 40 fit in 100, the next (50) does not: the window is the two newest.
        let bounded = window(100);
        assert_eq!(bounded.iter().map(|it| it.id).collect::<Vec<_>>(), ids[2..].to_vec());
        assert_eq!(bounded.iter().map(|it| it.items).sum::<usize>(), 80);
        let none = window(39);
        assert!(none.is_empty(), "a newest request over budget leaves the window empty: {none:?}");
    }

    #[test]
    fn the_forward_queue_sends_its_oldest_entry_first_even_when_a_newer_one_is_due_sooner() {
        let mut store = in_memory();
        let tx = store.transaction().expect("transaction");
        let first = tx.insert_request(&request("a", 1, 1), 0).expect("insert");
        let second = tx.insert_request(&request("b", 1, 2), 0).expect("insert");
        tx.enqueue_forward(first, b"first", 0).expect("enqueue");
        tx.enqueue_forward(second, b"second", 0).expect("enqueue");
        tx.commit().expect("commit");
        let head = store.next_due(10).expect("query").expect("the oldest is due");
        assert_eq!((head.request_id, head.payload.as_slice()), (first, &b"first"[..]));
        // The oldest fails and waits until 500; the newer one, due since 0, waits behind it.
        store.forward_retry(head.id, 500, "connection refused").expect("retry");
        assert!(store.next_due(100).expect("query").is_none());
        assert_eq!(store.next_due_time().expect("query"), Some(500));
        let head = store.next_due(500).expect("query").expect("due again");
        assert_eq!((head.request_id, head.attempts), (first, 1));
        store.forward_delivered(head.id, None).expect("delivered");
        let next = store.next_due(500).expect("query").expect("the newer one follows");
        assert_eq!(next.request_id, second);
        store.forward_delivered(next.id, None).expect("delivered");
        assert!(store.next_due(i64::MAX).expect("query").is_none());
        assert_eq!(store.next_due_time().expect("query"), None);
    }

    #[test]
    fn replacing_records_with_equal_ones_writes_nothing() {
        let mut store = in_memory();
        let tx = store.transaction().expect("transaction");
        let id = tx.insert_request(&request("sha", 2, 1), 2).expect("insert");
        let first = vec![record("{\"a\":1}"), record("{\"b\":2}")];
        tx.insert_records(id, "t", &first).expect("records");
        assert!(!tx.replace_records(id, "t", &first).expect("replace"), "equal records: unchanged");
        assert_eq!(tx.stored_records(id).expect("read"), first);
        let revised = vec![record("{\"a\":1}"), record("{\"b\":3}")];
        assert!(tx.replace_records(id, "t", &revised).expect("replace"), "a changed record: replaced");
        assert_eq!(tx.stored_records(id).expect("read"), revised);
        let fewer = vec![record("{\"a\":1}")];
        assert!(tx.replace_records(id, "t", &fewer).expect("replace"));
        assert_eq!(tx.stored_records(id).expect("read"), fewer);
    }

    /// Checkpoints off the commit: the writer's commits wake the background thread, which
    /// copies frames meanwhile; past `RESTART_FRAMES` the writer finishes the copy itself so
    /// the WAL starts over (waiting for the background from `LIMIT_FRAMES` on). The WAL file
    /// stays bounded and every committed row is there.
    #[test]
    fn background_checkpoints_keep_the_wal_bounded() {
        let dir = scratch_dir("checkpoint");
        let path = dir.join("c.db");
        let mut store = Store::open(&path).expect("open");
        store.checkpoint_in_background().expect("checkpointer");
        // Durability is not under test here, and 1,500 fsyncs would make the test slow. About
        // 11 frames per commit: 16,500 in all, twice the bound, so an unbounded WAL fails.
        store.conn.execute_batch("PRAGMA synchronous = OFF").expect("pragma");
        let body = vec![7u8; 40_000];
        let wal = dir.join("c.db-wal");
        let mut largest_wal = 0;
        for n in 0..1500 {
            let tx = store.transaction().expect("transaction");
            let sha = format!("sha{n}");
            let mut new = request(&sha, 1, n);
            new.body = Some(&body);
            let _ = tx.insert_request(&new, 0).expect("insert");
            tx.commit().expect("commit");
            largest_wal = largest_wal.max(std::fs::metadata(&wal).map(|it| it.len()).unwrap_or(0));
        }
        let frame = 4096 + 24;
        assert!(
            largest_wal <= (checkpoint::LIMIT_FRAMES as u64 + 100) * frame,
            "the WAL grew to {largest_wal} bytes"
        );
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while store.checkpoint_runs().expect("started").0 == 0 && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let (background, writer) = store.checkpoint_runs().expect("started");
        assert!(background > 0 && writer > 0, "background {background}, writer {writer}");
        drop(store);
        let reopened = Store::open(&path).expect("reopen");
        assert_eq!(reopened.request_count().expect("count"), 1500);
        drop(reopened);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// The cached window lookup is prepared once, however its bindings change (without the
    /// query planner stability guarantee SQLite prepared it again at every run).
    #[test]
    fn the_window_lookup_is_not_prepared_again_at_each_run() {
        let mut store = in_memory();
        {
            let tx = store.transaction().expect("transaction");
            let id = tx.insert_request(&request("a", 1, 10), 0).expect("insert");
            tx.insert_request_sessions(id, "t", &["s".to_owned()]).expect("sessions");
            tx.commit().expect("commit");
        }
        for (n, session) in ["s", "other", "s", "third"].iter().enumerate() {
            let found = store.window_candidates("t", &[(*session).to_owned()], n as u64, 256 - n, 2_000).expect("window");
            assert_eq!(found.len(), usize::from(*session == "s"));
        }
        let stmt = store.conn.prepare_cached(WINDOW_CANDIDATES).expect("cached");
        assert_eq!(stmt.get_status(rusqlite::StatementStatus::RePrepare), 0);
    }

    /// The row ids and the `records` count of a request, in `seq` order.
    fn row_ids(tx: &StoreTx<'_>, request_id: i64) -> (Vec<i64>, i64) {
        let mut stmt = tx.tx.prepare("SELECT id FROM records WHERE request_id = ?1 ORDER BY seq").expect("prepare");
        let ids = stmt.query_map([request_id], |row| row.get(0)).expect("query").collect::<Result<Vec<i64>, _>>().expect("ids");
        let count = tx.tx.query_row("SELECT records FROM requests WHERE id = ?1", [request_id], |row| row.get(0)).expect("count");
        (ids, count)
    }

    /// A revision rewrites the rows that changed, in place; the others keep their row; rows
    /// are added or removed at the end when the count changes, and the request's count follows.
    #[test]
    fn a_revision_rewrites_only_the_records_that_changed() {
        let mut store = in_memory();
        let tx = store.transaction().expect("transaction");
        let id = tx.insert_request(&request("sha", 3, 1), 3).expect("insert");
        let other = tx.insert_request(&request("other", 1, 2), 1).expect("insert");
        let first = vec![record("{\"a\":1}"), record("{\"b\":2}"), record("{\"c\":3}")];
        tx.insert_records(id, "t", &first).expect("records");
        tx.insert_records(other, "t", &[record("{\"z\":0}")]).expect("records");
        let (ids, _) = row_ids(&tx, id);
        let mut revised = first.clone();
        revised[1] = record("{\"b\":20}");
        revised[1].session_id = Some("s2".to_owned());
        assert!(tx.replace_records(id, "t", &revised).expect("replace"));
        assert_eq!(tx.stored_records(id).expect("read"), revised);
        assert_eq!(row_ids(&tx, id), (ids.clone(), 3), "rewritten in place");
        let mut more = revised.clone();
        more.push(record("{\"d\":4}"));
        assert!(tx.replace_records(id, "t", &more).expect("replace"));
        assert_eq!(tx.stored_records(id).expect("read"), more);
        let (more_ids, count) = row_ids(&tx, id);
        assert_eq!((&more_ids[..3], count), (&ids[..], 4), "one row added at the end");
        let fewer = vec![record("{\"a\":1}")];
        assert!(tx.replace_records(id, "t", &fewer).expect("replace"));
        assert_eq!(tx.stored_records(id).expect("read"), fewer);
        assert_eq!(row_ids(&tx, id), (vec![ids[0]], 1));
        assert_eq!(tx.stored_records(other).expect("read"), vec![record("{\"z\":0}")], "another request's rows untouched");
        let none: Vec<NewRecord> = Vec::new();
        assert!(tx.replace_records(id, "t", &none).expect("replace"));
        assert_eq!(row_ids(&tx, id), (Vec::new(), 0));
    }
}
