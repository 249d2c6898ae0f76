//! One request in, one transaction out: decode, normalize, derive metric deltas against the
//! stored stream state, store the raw request and its records together, queue them for the
//! upstream, and only then say what to acknowledge.
//!
//! Transport-blind: the HTTP and gRPC receivers both hand over an [`Incoming`] and turn the
//! [`Ack`] or [`IngestError`] into their own responses.
//!
//! Duplicates: the key is the SHA-256 of the decompressed body, per tenant and signal. A
//! retried batch is acknowledged again with the first acknowledgement and stores nothing
//! (OTLP says duplicates are expected: clients retry without knowing whether a batch landed).
//!
//! Metric deltas: the pipeline computes `coding_agent.metric.delta` within one request; here
//! it is recomputed against the last point of each stream stored in `metric_streams`, so a
//! cumulative counter re-exported after a restart of the CLI or of the collector adds only
//! its increase, and a point older than the last one seen (a stale re-send) adds nothing.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use crate::adapter::{self, Item, ItemData};
use crate::capture::{Capture, ItemId, Request};
use crate::{adapters, detect};
use crate::normalize::{self, Options, UNKNOWN_VENDOR};
use crate::otlp::{self, DecodeError, Encoding, KeyValue, Signal, Temporality};
use crate::schema::{attributes as attr, CanonicalRecord, RecordKind, Value};
use crate::store::sessions::IdentityPolicy;
use crate::store::{NewRecord, NewRequest, Store, StoreError, StreamState, WindowCandidate, WindowRequest};

use super::canonical_otlp::{self, Outgoing};
use super::record::Recorder;

/// The longest partial-success message sent back (the OTLP response-size rule wants small
/// responses; the reasons are summarized, never listed one per item).
pub const MAX_MESSAGE_CHARS: usize = 1024;

/// How a request arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// OTLP/HTTP.
    Http,
    /// OTLP/gRPC.
    Grpc,
}

impl Transport {
    /// `http` or `grpc`.
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Http => "http",
            Transport::Grpc => "grpc",
        }
    }
}

/// A request as the receivers hand it over: authenticated, size-checked, decompressed.
#[derive(Debug, Clone)]
pub struct Incoming {
    /// The tenant of the authenticated token.
    pub tenant: String,
    /// How it arrived.
    pub transport: Transport,
    /// `POST` (HTTP) or `POST` with the gRPC method as path.
    pub method: String,
    /// `/v1/logs`, or the gRPC method path.
    pub path: String,
    /// The signal.
    pub signal: Signal,
    /// The body encoding.
    pub encoding: Encoding,
    /// The body as received: gzip-compressed when `gzip`.
    pub raw_body: bytes::Bytes,
    /// Whether it arrived gzip-compressed.
    pub gzip: bool,
    /// The decompressed body: the same buffer as `raw_body` when it was not compressed. The
    /// decoded request's strings are slices of it (`otlp::decode_shared`), not copies.
    pub body: bytes::Bytes,
    /// Request headers, lowercase names, authentication already removed.
    pub headers: BTreeMap<String, String>,
    /// Arrival time, Unix nanoseconds.
    pub received_unix_nano: u64,
}

/// What to acknowledge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ack {
    /// The stored request's id (the first one's, for a duplicate).
    pub request_id: i64,
    /// Items rejected (decoder plus adapters): `rejected_<items>` of the partial success.
    pub rejected: usize,
    /// The partial-success message; `None` for a full success.
    pub message: Option<String>,
    /// Whether this body was already stored (a retry).
    pub duplicate: bool,
    /// Canonical records stored.
    pub records: usize,
}

/// Why a request was not accepted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IngestError {
    /// The body could not be decoded: a 400 / `INVALID_ARGUMENT`, not retryable.
    #[error("{0}")]
    BadData(#[from] DecodeError),
    /// The forwarding queue is full: a 503 / `UNAVAILABLE`, retryable.
    #[error("the forwarding queue holds {0} payloads waiting for the upstream; try again later")]
    QueueFull(usize),
    /// The database failed: a 500 / `INTERNAL`... except that nothing was acknowledged, so the
    /// client may retry.
    #[error("storage failed: {0}")]
    Storage(#[from] StoreError),
}

/// Forwarding, as ingest sees it: the payload encoding and the queue bound.
#[derive(Debug, Clone, Copy)]
pub struct ForwardQueueing {
    /// Encode payloads as protobuf (`http/protobuf`, `grpc`) rather than JSON.
    pub protobuf: bool,
    /// The most pending payloads before new requests are refused with 503.
    pub max_pending: usize,
}

/// The database and the group being written (see [`Ingestor::ingest`]).
struct Shared {
    store: Store,
    /// The open group: requests written since the last commit.
    group: u64,
    /// Requests in the open group.
    members: usize,
    /// Groups whose commit failed, newest last (bounded), with the error.
    failed: std::collections::VecDeque<(u64, String)>,
}

/// The most requests one group commit waits for: bounds the latency a request adds to the
/// others of its group when requests keep arriving.
pub const MAX_GROUP_REQUESTS: usize = 32;

/// How long a request whose group is open waits before checking whether anyone is left to
/// commit it (the member expected to may have failed without committing).
const GROUP_WAIT: std::time::Duration = std::time::Duration::from_millis(50);

/// The shared ingest state.
pub struct Ingestor {
    store: Mutex<Shared>,
    /// Requests waiting for the database lock: they join the open group.
    waiting: std::sync::atomic::AtomicUsize,
    /// Signalled when a group commits.
    committed: std::sync::Condvar,
    /// The sessions and senders of the requests being ingested (see [`Ingestor::ingest`]).
    keys: KeyLocks,
    options: Options,
    keep_raw_bodies: bool,
    identity: IdentityPolicy,
    forward: Option<ForwardQueueing>,
    recorder: Option<Mutex<Recorder>>,
    merge_window: std::time::Duration,
    /// Wakes the forwarder when a payload was queued.
    pub queued: tokio::sync::Notify,
}

impl std::fmt::Debug for Ingestor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ingestor")
            .field("capture_mode", &self.options.capture_mode)
            .field("keep_raw_bodies", &self.keep_raw_bodies)
            .field("forward", &self.forward)
            .finish_non_exhaustive()
    }
}

/// The most earlier requests normalized together with a new one.
pub const MAX_WINDOW_REQUESTS: usize = 256;

/// The most items of earlier requests normalized together with a new one (newest requests
/// first). This bounds the work and memory of one request whatever its sessions send: a
/// session sending more than this within the merge window has its oldest requests left out
/// of the merge (their records stay as stored). Real CLI sessions send a few hundred items
/// a minute; the largest capture in the corpus holds about 1,100 log and span items in all.
pub const MAX_WINDOW_ITEMS: usize = 2_000;

/// An earlier request's records, normalized again with a later request of its sessions.
struct Revision {
    request_id: i64,
    received_unix_nano: u64,
    records: Vec<CanonicalRecord>,
    parents: Vec<Option<String>>,
    resumed_from: Vec<Option<String>>,
    /// The records as stored rows, serialized before the store's lock is taken.
    rows: Vec<NewRecord>,
}

/// Keys (session ids and sender keys) held by the requests being ingested. A request holds
/// its keys from before it reads its merge window until it has written, so requests that
/// share a key are ingested one after the other and never normalize a window the other is
/// about to change; requests of other sessions normalize their windows at the same time,
/// outside the store's lock. This is only a way to avoid wasted work: whether the window a
/// request normalized is still its window is checked under the store's lock before writing.
#[derive(Default)]
struct KeyLocks {
    held: Mutex<std::collections::HashSet<String>>,
    released: std::sync::Condvar,
}

/// Keys taken by [`KeyLocks::acquire`]; dropping it releases them.
struct HeldKeys<'a> {
    locks: &'a KeyLocks,
    keys: Vec<String>,
}

impl KeyLocks {
    /// Waits until none of `keys` is held, then takes them all at once (never some while
    /// waiting for others, so two requests cannot wait for each other).
    fn acquire(&self, keys: Vec<String>) -> HeldKeys<'_> {
        if keys.is_empty() {
            return HeldKeys { locks: self, keys };
        }
        let mut held = match self.held.lock() {
            Ok(it) => it,
            Err(poisoned) => poisoned.into_inner(),
        };
        while keys.iter().any(|it| held.contains(it)) {
            held = match self.released.wait(held) {
                Ok(it) => it,
                Err(poisoned) => poisoned.into_inner(),
            };
        }
        for key in &keys {
            let _ = held.insert(key.clone());
        }
        HeldKeys { locks: self, keys }
    }
}

impl Drop for HeldKeys<'_> {
    fn drop(&mut self) {
        if self.keys.is_empty() {
            return;
        }
        let mut held = match self.locks.held.lock() {
            Ok(it) => it,
            Err(poisoned) => poisoned.into_inner(),
        };
        for key in &self.keys {
            let _ = held.remove(key);
        }
        self.locks.released.notify_all();
    }
}

/// A request decoded and normalized alone, before the store is involved.
struct Prepared {
    capture: Capture,
    body_sha256: String,
    items: usize,
    canonical: bool,
    alone: Produced,
    senders: Vec<String>,
    /// The keys its merge window is looked up by: its sessions, or its senders.
    sessions: Vec<String>,
    merges: bool,
    /// The start of its merge window, Unix nanoseconds.
    since: u64,
    headers_json: String,
    /// The raw body compressed for storage (`store::body::pack`), compressed here, before the
    /// store's lock; `None`: stored as received, or not kept.
    packed_body: Option<Vec<u8>>,
    /// Its sessions and senders, for [`KeyLocks`].
    keys: Vec<String>,
}

/// A merge window read and normalized before the request is written: which requests it
/// held, and what normalizing them with the new request made.
struct PlannedWindow {
    candidates: Vec<WindowCandidate>,
    /// `None` when the window was empty (the request's records are those it makes alone).
    produced: Option<(Produced, Vec<Revision>)>,
}

fn encoding_of(name: &str) -> Encoding {
    if name == "json" {
        Encoding::Json
    } else {
        Encoding::Protobuf
    }
}

/// Whether some item of `capture` may be mapped together with items of other requests, as its
/// adapter declares ([`adapter::Adapter::may_join_other_items`]); detection as the pipeline
/// does it, per resource group. Unclaimed items make no records and join nothing.
pub fn may_join_other_requests(capture: &Capture, options: &Options) -> bool {
    let mut owners: HashMap<(u32, u32), Option<&'static dyn adapter::Adapter>> = HashMap::new();
    for (request_index, request) in capture.requests.iter().enumerate() {
        for (resource_index, evidence) in detect::evidence(&request.decoded.request).iter().enumerate() {
            let owner = match options.force_vendor {
                Some(adapter) => Some(adapter),
                None => detect::detect(adapters::ALL, evidence).adapter,
            };
            let _ = owners.insert((request_index as u32, resource_index as u32), owner);
        }
    }
    adapter::items(capture).iter().any(|item| match owners.get(&(item.id.request, item.id.resource)).copied().flatten() {
        Some(owner) => owner.may_join_other_items(item),
        None => false,
    })
}

/// One key per distinct resource of the request: `sender:` and a hash of its attributes.
fn sender_keys(capture: &Capture) -> Vec<String> {
    let mut keys = Vec::new();
    for request in &capture.requests {
        let resources: Vec<&crate::otlp::Resource> = match &request.decoded.request {
            crate::otlp::ExportRequest::Logs(it) => it.iter().map(|it| &it.resource).collect(),
            crate::otlp::ExportRequest::Metrics(it) => it.iter().map(|it| &it.resource).collect(),
            crate::otlp::ExportRequest::Traces(it) => it.iter().map(|it| &it.resource).collect(),
        };
        for resource in resources {
            // A process that names itself (`service.instance.id`) is that name, whatever else
            // its exporters add (a CLI's log and trace exporters may describe their SDKs
            // differently); otherwise the whole resource is the sender.
            let instance = crate::otlp::find_attr(&resource.attributes, "service.instance.id");
            let mut attributes: Vec<String> = resource
                .attributes
                .iter()
                .filter(|it| instance.is_none() || matches!(it.key.as_str(), "service.name" | "service.instance.id"))
                .map(|it| format!("{}={:?}", it.key, it.value))
                .collect();
            attributes.sort();
            let digest = Sha256::digest(attributes.join("\n").as_bytes());
            keys.push(format!("sender:{}", crate::otlp::hex_id(&digest[..8])));
        }
    }
    keys
}

/// The distinct session ids of some records, sorted.
fn session_ids(records: &[CanonicalRecord]) -> Vec<String> {
    let mut ids: Vec<String> = records.iter().filter_map(|it| it.session_id.clone()).collect();
    ids.sort();
    ids.dedup();
    ids
}

fn rows(records: &[CanonicalRecord], parents: &[Option<String>], resumed_from: &[Option<String>]) -> Vec<NewRecord> {
    records
        .iter()
        .zip(parents.iter().zip(resumed_from))
        .map(|(record, (parent, resumed_from))| NewRecord {
            kind: record.kind.as_str().to_owned(),
            vendor: record.vendor.to_owned(),
            session_id: record.session_id.clone(),
            parent_session_id: parent.clone(),
            resumed_from_session_id: resumed_from.clone(),
            time_unix_nano: record.time_unix_nano,
            json: record.to_json(),
        })
        .collect()
}

/// What one request produced, before it is stored.
#[derive(Default)]
struct Produced {
    records: Vec<CanonicalRecord>,
    /// Per record: the parent session the identity policy found.
    parents: Vec<Option<String>>,
    /// Per record: the session it says it resumes.
    resumed_from: Vec<Option<String>>,
    metric_points: Vec<MetricPoint>,
    rejected: usize,
    message: Option<String>,
}

struct MetricPoint {
    index: usize,
    stream: String,
    temporality: Temporality,
}

impl Ingestor {
    /// Builds the ingest state.
    pub fn new(
        store: Store,
        options: Options,
        keep_raw_bodies: bool,
        identity: IdentityPolicy,
        forward: Option<ForwardQueueing>,
        record_dir: Option<PathBuf>,
        merge_window: std::time::Duration,
    ) -> Result<Ingestor, std::io::Error> {
        let recorder = match record_dir {
            Some(dir) => Some(Mutex::new(Recorder::new(dir)?)),
            None => None,
        };
        Ok(Ingestor {
            store: Mutex::new(Shared { store, group: 0, members: 0, failed: std::collections::VecDeque::new() }),
            waiting: std::sync::atomic::AtomicUsize::new(0),
            committed: std::sync::Condvar::new(),
            keys: KeyLocks::default(),
            options,
            keep_raw_bodies,
            identity,
            forward,
            recorder,
            merge_window,
            queued: tokio::sync::Notify::new(),
        })
    }

    /// Runs `f` with the database (queries, the forwarder's queue updates).
    pub fn with_store<T>(&self, f: impl FnOnce(&mut Store) -> T) -> T {
        let mut guard = self.lock();
        // Readers never see a group's uncommitted requests (nor could they open their own
        // transaction inside it): the open group is committed first, for its waiting members.
        if guard.store.in_group() {
            let _ = self.commit_group(&mut guard);
        }
        f(&mut guard.store)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Shared> {
        match self.store.lock() {
            Ok(it) => it,
            // A panic while holding the lock cannot leave a half-written request: its
            // savepoint rolls back when dropped. The connection is still usable.
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Commits the open group and wakes its members.
    fn commit_group(&self, shared: &mut Shared) -> Result<(), StoreError> {
        let res = shared.store.commit_group();
        if let Err(error) = &res {
            shared.failed.push_back((shared.group, error.to_string()));
            if shared.failed.len() > 64 {
                let _ = shared.failed.pop_front();
            }
        }
        shared.group += 1;
        shared.members = 0;
        self.committed.notify_all();
        res
    }

    /// Whether group `group` (already closed) committed.
    fn group_outcome(shared: &Shared, group: u64) -> Result<(), StoreError> {
        match shared.failed.iter().find(|(failed, _)| *failed == group) {
            Some((_, message)) => Err(StoreError::GroupCommit { path: shared.store.path().to_owned(), message: message.clone() }),
            None => Ok(()),
        }
    }

    /// The identity policy sessions are shown with.
    pub fn identity(&self) -> &IdentityPolicy {
        &self.identity
    }

    /// Decodes, normalizes and stores one request; returns what to acknowledge. Blocking
    /// (SQLite, CPU): call it from a blocking thread.
    pub fn ingest(&self, incoming: &Incoming) -> Result<Ack, IngestError> {
        let prepared = self.prepare(incoming)?;
        let held_keys = self.keys.acquire(prepared.keys.clone());
        // The window is read under the store's lock and normalized outside it, so requests of
        // other sessions are decoded, normalized and written meanwhile.
        let planned = if prepared.merges {
            Some(self.plan_window(&incoming.tenant, &prepared.sessions, prepared.since, &prepared.capture)?)
        } else {
            None
        };
        self.write(incoming, prepared, planned, held_keys)
    }

    /// Everything about a request that needs no database: decoded, normalized alone, its
    /// sessions and senders, whether it may merge.
    fn prepare(&self, incoming: &Incoming) -> Result<Prepared, IngestError> {
        let decoded = otlp::decode_shared(incoming.signal, incoming.encoding, incoming.body.clone())?;
        let body_sha256 = hex(&Sha256::digest(&incoming.body));
        let items = decoded.request.item_count() + decoded.rejected_items();
        let canonical = canonical_otlp::is_forwarded(&decoded.request);
        let capture = Capture {
            path: PathBuf::from("collector"),
            manifest: None,
            requests: vec![Request {
                file: String::new(),
                signal: incoming.signal,
                encoding: incoming.encoding,
                gzip: incoming.gzip,
                decoded,
            }],
        };
        // Alone first: what the acknowledgement reports, and which sessions the request carries.
        let alone = self.produce(&capture);
        // What ties this request to earlier ones for the merge window: the sessions its records
        // name; failing that, its sender (resource identity), since some CLIs send records that
        // name no session (Goose's tool-completion logs, opencode's service logs) but complete
        // another request's records. Senders are only a fallback: several runs of one CLI on
        // one machine share a resource, and their sessions must not be normalized together.
        let senders = sender_keys(&capture);
        let named_sessions = session_ids(&alone.records);
        let sessions = if named_sessions.is_empty() { senders.clone() } else { named_sessions };

        // A request whose every item its adapter maps alone cannot change an earlier record nor
        // be changed by one: normalizing it with its window would give what `alone` holds.
        let merges = !self.merge_window.is_zero()
            && self.keep_raw_bodies
            && incoming.signal != Signal::Metrics
            && !canonical
            && !sessions.is_empty()
            && may_join_other_requests(&capture, &self.options);
        let since = incoming.received_unix_nano.saturating_sub(self.merge_window.as_nanos() as u64);
        let headers_json = serde_json::to_string(&incoming.headers).unwrap_or_else(|_| "{}".to_owned());
        let packed_body = if self.keep_raw_bodies { crate::store::body::pack(&incoming.raw_body) } else { None };
        let mut keys: Vec<String> = sessions.iter().chain(&senders).cloned().collect();
        keys.sort();
        keys.dedup();
        Ok(Prepared { capture, body_sha256, items, canonical, alone, senders, sessions, merges, since, headers_json, packed_body, keys })
    }

    /// Writes a prepared request (with its window, normalized already when it merges) and
    /// waits for its group's commit.
    fn write(&self, incoming: &Incoming, prepared: Prepared, planned: Option<PlannedWindow>, held_keys: HeldKeys<'_>) -> Result<Ack, IngestError> {
        let Prepared { capture, body_sha256, items, canonical, alone, senders, sessions, since, headers_json, packed_body, .. } = prepared;
        // Group commit: the request is written in a savepoint of the open group transaction;
        // requests that queued for the lock meanwhile join the group, and the last of them
        // commits it (one fsync for all). Every member is acknowledged only after that commit.
        let _ = self.waiting.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let mut shared = self.lock();
        let _ = self.waiting.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
        let group = shared.group;
        let written = (|| -> Result<(Ack, bool), IngestError> {
            let store = &mut shared.store;
            store.begin_group()?;
            let tx = store.savepoint()?;
            if let Some(earlier) = tx.duplicate_of(&incoming.tenant, incoming.signal.as_str(), &body_sha256)? {
                return Ok((
                    Ack {
                        request_id: earlier.request_id,
                        rejected: earlier.rejected,
                        message: earlier.message,
                        duplicate: true,
                        records: 0,
                    },
                    false,
                ));
            }
            if let Some(forward) = self.forward {
                let pending = tx.pending_forwards()?;
                if pending >= forward.max_pending {
                    return Err(IngestError::QueueFull(pending));
                }
            }
            let request_id = tx.next_request_id()?;
            let file = body_file_name(request_id, incoming.signal, incoming.encoding, incoming.gzip);
            let rejected = alone.rejected;
            let message = alone.message.clone();
            let (produced, revisions) = match planned {
                None => (alone, Vec::new()),
                Some(planned) => {
                    // Written now, the request must be normalized with the window it would read
                    // now: the one planned, unless a request of its sessions was written (or a
                    // group rolled back) since; then it is read and normalized again here.
                    let now = tx.window_candidates(&incoming.tenant, &sessions, since, MAX_WINDOW_REQUESTS, MAX_WINDOW_ITEMS)?;
                    if now == planned.candidates {
                        planned.produced.unwrap_or((alone, Vec::new()))
                    } else if now.is_empty() {
                        (alone, Vec::new())
                    } else {
                        let window = now.iter().map(|it| tx.window_body(it)).collect::<Result<Vec<_>, _>>()?;
                        self.produce_window(window, &capture)
                    }
                }
            };
            let Produced { mut records, parents, resumed_from, metric_points, .. } = produced;
            // Forwarded records keep the source their first collector gave them.
            if !canonical {
                for record in &mut records {
                    if let Some(source) = &mut record.source {
                        source.file.clone_from(&file);
                    }
                }
            }
            apply_stream_state(&tx, &incoming.tenant, &mut records, &metric_points)?;

            let new_request = NewRequest {
                tenant: &incoming.tenant,
                received_unix_nano: incoming.received_unix_nano,
                transport: incoming.transport.as_str(),
                method: &incoming.method,
                path: &incoming.path,
                signal: incoming.signal.as_str(),
                encoding: incoming.encoding.as_str(),
                content_encoding: incoming.gzip.then_some("gzip"),
                headers_json: &headers_json,
                body: self.keep_raw_bodies.then(|| packed_body.as_deref().unwrap_or(&incoming.raw_body[..])),
                body_codec: packed_body.is_some().then_some(crate::store::body::LZ4),
                body_sha256: &body_sha256,
                items,
                rejected,
                message: message.as_deref(),
                canonical,
            };
            let id = tx.insert_request(&new_request, records.len())?;
            tx.insert_records(id, &incoming.tenant, &rows(&records, &parents, &resumed_from))?;
            // Every request is findable by its sessions and by its sender.
            let mut carried = sessions;
            carried.extend(senders);
            carried.extend(session_ids(&records));
            carried.sort();
            carried.dedup();
            tx.insert_request_sessions(id, &incoming.tenant, &carried)?;
            let mut queued = false;
            for revision in &revisions {
                let changed = tx.replace_records(revision.request_id, &incoming.tenant, &revision.rows)?;
                if !changed {
                    continue;
                }
                if let Some(forward) = self.forward {
                    let payload = self.payload(forward, &revision.records, &revision.parents, &revision.resumed_from, revision.received_unix_nano);
                    tx.revise_forward(revision.request_id, payload.as_deref(), self.forward_due_ms(revision.received_unix_nano))?;
                }
            }
            if let Some(forward) = self.forward {
                if let Some(payload) = self.payload(forward, &records, &parents, &resumed_from, incoming.received_unix_nano) {
                    tx.enqueue_forward(id, &payload, self.forward_due_ms(incoming.received_unix_nano))?;
                    queued = true;
                }
            }
            tx.commit()?;
            Ok((Ack { request_id: id, rejected, message, duplicate: false, records: records.len() }, queued))
        })();
        // Written (or refused): a request of the same sessions may read the window now; it
        // sees this one's rows, in the open group, as every request of the group does.
        drop(held_keys);
        // A duplicate's first copy may be in this very group: it too waits for the commit.
        self.finish_group(shared, group)?;
        let (ack, queued) = written?;
        if ack.duplicate {
            return Ok(ack);
        }

        if queued {
            self.queued.notify_one();
        }
        if let Some(recorder) = &self.recorder {
            let mut recorder = match recorder.lock() {
                Ok(it) => it,
                Err(poisoned) => poisoned.into_inner(),
            };
            // The request is already durable in the database; a recording failure must not
            // turn its acknowledgement into an error (the client would retry a stored batch).
            if let Err(error) = recorder.write(incoming) {
                eprintln!("codetel collect: --record: {error}");
            }
        }
        Ok(ack)
    }

    /// Adds the request just written to the open group, then commits the group when no other
    /// request waits to join it (or it is full), else waits for its commit. Returns once the
    /// group, and so the request, is durable: with the WAL synced outside the lock
    /// ([`crate::store::wal_sync`]), that is after the fsync that covers the group's commit,
    /// which runs once the lock is released so the next group writes meanwhile.
    fn finish_group(&self, shared: std::sync::MutexGuard<'_, Shared>, group: u64) -> Result<(), StoreError> {
        match self.close_group(shared, group)? {
            Some((sync, ticket)) => sync.sync_through(ticket),
            None => Ok(()),
        }
    }

    /// [`Ingestor::finish_group`] under the lock: the group committed (or failed), and, when
    /// commits are synced outside the lock, the sync to wait for and the ticket to wait for.
    fn close_group(
        &self,
        mut shared: std::sync::MutexGuard<'_, Shared>,
        group: u64,
    ) -> Result<Option<(std::sync::Arc<crate::store::wal_sync::WalSync>, u64)>, StoreError> {
        shared.members += 1;
        if self.waiting.load(std::sync::atomic::Ordering::SeqCst) == 0 || shared.members >= MAX_GROUP_REQUESTS {
            self.commit_group(&mut shared)?;
            return Ok(Self::ticket(&shared));
        }
        loop {
            shared = match self.committed.wait_timeout(shared, GROUP_WAIT) {
                Ok((it, _)) => it,
                Err(poisoned) => poisoned.into_inner().0,
            };
            if shared.group != group {
                Self::group_outcome(&shared, group)?;
                // Later groups may have committed since: their ticket covers this one too.
                return Ok(Self::ticket(&shared));
            }
            // Holding the lock, nobody is half-way through a request: with nobody left to
            // join, this member commits (whoever was expected to did not, for instance failed).
            if self.waiting.load(std::sync::atomic::Ordering::SeqCst) == 0 {
                self.commit_group(&mut shared)?;
                return Ok(Self::ticket(&shared));
            }
        }
    }

    /// The latest commit's ticket, read under the lock after the group committed, with the sync
    /// it is for (none when the commit synced itself).
    fn ticket(shared: &Shared) -> Option<(std::sync::Arc<crate::store::wal_sync::WalSync>, u64)> {
        shared.store.wal_sync().map(|sync| (std::sync::Arc::clone(sync), sync.committed()))
    }

    /// When a request's payload may be sent: once its merge window has closed (plus a second,
    /// so a revision and a send never race), immediately without a window.
    fn forward_due_ms(&self, received_unix_nano: u64) -> i64 {
        if self.merge_window.is_zero() {
            return 0;
        }
        let received_ms = (received_unix_nano / 1_000_000) as i64;
        received_ms + self.merge_window.as_millis() as i64 + 1000
    }

    /// The forwarding payload of some records (`None` when there are none).
    fn payload(
        &self,
        forward: ForwardQueueing,
        records: &[CanonicalRecord],
        parents: &[Option<String>],
        resumed_from: &[Option<String>],
        received_unix_nano: u64,
    ) -> Option<Vec<u8>> {
        if records.is_empty() {
            return None;
        }
        let outgoing: Vec<Outgoing<'_>> = records
            .iter()
            .zip(parents.iter().zip(resumed_from))
            .map(|(record, (parent, resumed_from))| Outgoing {
                record,
                parent_session_id: parent.as_deref(),
                resumed_from_session_id: resumed_from.as_deref(),
            })
            .collect();
        let request = canonical_otlp::to_otlp(&outgoing, received_unix_nano);
        Some(if forward.protobuf { otlp::encode::to_protobuf(&request) } else { otlp::encode::to_json(&request) })
    }

    /// Reads the merge window of a request under the store's lock, then normalizes it with the
    /// request outside the lock.
    fn plan_window(&self, tenant: &str, sessions: &[String], since: u64, capture: &Capture) -> Result<PlannedWindow, StoreError> {
        let (candidates, window) = {
            let shared = self.lock();
            let candidates = shared.store.window_candidates(tenant, sessions, since, MAX_WINDOW_REQUESTS, MAX_WINDOW_ITEMS)?;
            let window = candidates.iter().map(|it| shared.store.window_body(it)).collect::<Result<Vec<_>, _>>()?;
            (candidates, window)
        };
        let produced = (!window.is_empty()).then(|| self.produce_window(window, capture));
        Ok(PlannedWindow { candidates, produced })
    }

    /// Normalizes the merge window and the new request together, as one capture in arrival
    /// order: what the new request produced, and the revised records of the earlier ones.
    fn produce_window(&self, window: Vec<WindowRequest>, capture: &Capture) -> (Produced, Vec<Revision>) {
        let mut requests = Vec::with_capacity(window.len() + 1);
        let mut stored = Vec::with_capacity(window.len());
        for mut earlier in window {
            let (Some(signal), encoding) = (Signal::parse(&earlier.signal), encoding_of(&earlier.encoding)) else { continue };
            // The buffer read from SQLite (or the one a gzip body is inflated into) becomes the
            // decoded model's: no copy. Inflated first, then decoded as at its arrival, which
            // decoded the inflated body the same way (a body compressed twice included).
            let body = if earlier.gzip {
                match otlp::gunzip(&earlier.body, otlp::DEFAULT_BODY_LIMIT) {
                    Ok(it) => it,
                    Err(_) => continue,
                }
            } else {
                std::mem::take(&mut earlier.body)
            };
            // It decoded when it arrived; if it no longer does, it keeps its records.
            let Ok(decoded) = otlp::decode_shared(signal, encoding, bytes::Bytes::from(body)) else { continue };
            requests.push(Request {
                file: body_file_name(earlier.id, signal, encoding, earlier.gzip),
                signal,
                encoding,
                gzip: earlier.gzip,
                decoded,
            });
            stored.push(earlier);
        }
        // The new request's file name is set on its records once its id is known (as for a
        // request normalized alone): the name is in no other field of a record.
        requests.push(capture.requests[0].clone());
        let combined = Capture { path: capture.path.clone(), manifest: None, requests };
        let output = normalize::normalize(&combined, &self.options);
        let items = adapter::items(&combined);
        let by_id: HashMap<ItemId, &Item<'_>> = items.iter().map(|it| (it.id, it)).collect();
        let mut buckets: Vec<Produced> = (0..combined.requests.len()).map(|_| Produced::default()).collect();
        for record in output.records {
            if record.kind == RecordKind::Session {
                continue;
            }
            let Some(id) = record.item else { continue };
            let item = by_id.get(&id);
            let Some(bucket) = buckets.get_mut(id.request as usize) else { continue };
            bucket.parents.push(item.and_then(|it| self.identity.parent_session_id(it, &record)));
            bucket.resumed_from.push(item.and_then(|it| self.identity.resumed_from_session_id(it, &record)));
            bucket.records.push(record);
        }
        let newest = buckets.pop().unwrap_or_default();
        let revisions = stored
            .into_iter()
            .zip(buckets)
            .map(|(earlier, bucket)| Revision {
                request_id: earlier.id,
                received_unix_nano: earlier.received_unix_nano,
                rows: rows(&bucket.records, &bucket.parents, &bucket.resumed_from),
                records: bucket.records,
                parents: bucket.parents,
                resumed_from: bucket.resumed_from,
            })
            .collect();
        (newest, revisions)
    }

    /// Normalizes (or, for forwarded canonical records, reads back) one request.
    fn produce(&self, capture: &Capture) -> Produced {
        let Some(request) = capture.requests.first() else { return Produced::default() };
        if canonical_otlp::is_forwarded(&request.decoded.request) {
            let import = canonical_otlp::from_otlp(&request.decoded.request, self.options.capture_mode);
            let decoder_rejected = request.decoded.rejected_items();
            let rejected = import.rejected.len() + decoder_rejected;
            let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
            for reason in import.rejected {
                *reasons.entry(reason).or_default() += 1;
            }
            if decoder_rejected > 0 {
                let _ = reasons.insert("undecodable".to_owned(), decoder_rejected);
            }
            let message = summarize(rejected, 0, &reasons);
            let mut produced = Produced { rejected, message, ..Produced::default() };
            for imported in import.records {
                produced.records.push(imported.record);
                produced.parents.push(imported.parent_session_id);
                produced.resumed_from.push(imported.resumed_from_session_id);
            }
            return produced;
        }

        let output = normalize::normalize(capture, &self.options);
        let items = adapter::items(capture);
        let by_id: HashMap<ItemId, &Item<'_>> = items.iter().map(|it| (it.id, it)).collect();
        // Sessions are derived at query time from every stored record, not per request.
        let records: Vec<CanonicalRecord> =
            output.records.into_iter().filter(|it| it.kind != RecordKind::Session).collect();
        let mut parents = Vec::with_capacity(records.len());
        let mut resumed_from = Vec::with_capacity(records.len());
        let mut points = Vec::new();
        for (index, record) in records.iter().enumerate() {
            let item = record.item.and_then(|id| by_id.get(&id));
            parents.push(item.and_then(|it| self.identity.parent_session_id(it, record)));
            resumed_from.push(item.and_then(|it| self.identity.resumed_from_session_id(it, record)));
            let Some(item) = item else { continue };
            let ItemData::Point { metric, point } = item.data else { continue };
            if !record.attributes.contains_key(attr::METRIC_VALUE) {
                continue;
            }
            let Some(temporality) = metric.data.temporality() else { continue };
            points.push(MetricPoint {
                index,
                stream: stream_key(item, &metric.name, point.attributes(), metric.data.kind_name()),
                temporality,
            });
        }
        let rejected = output.accounting.totals.rejected;
        let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
        for (reason, n) in &output.accounting.reasons {
            if let Some(reason) = reason.strip_prefix("rejected: ") {
                *reasons.entry(reason.to_owned()).or_default() += n;
            }
        }
        let unclaimed = output.accounting.by_vendor.get(UNKNOWN_VENDOR).map(|it| it.ignored).unwrap_or(0);
        let message = summarize(rejected, unclaimed, &reasons);
        Produced { records, parents, resumed_from, metric_points: points, rejected, message }
    }
}

/// The partial-success message: rejected items by reason (most frequent first), and a
/// warning when no adapter claimed some items (accepted and stored raw, not normalized).
fn summarize(rejected: usize, unclaimed: usize, reasons: &BTreeMap<String, usize>) -> Option<String> {
    if rejected == 0 && unclaimed == 0 {
        return None;
    }
    let mut parts = Vec::new();
    if rejected > 0 {
        let mut sorted: Vec<(&String, &usize)> = reasons.iter().collect();
        sorted.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let listed: Vec<String> = sorted.iter().map(|(reason, n)| format!("{n} {reason}")).collect();
        parts.push(format!("{rejected} item(s) rejected: {}", listed.join("; ")));
    }
    if unclaimed > 0 {
        parts.push(format!(
            "{unclaimed} item(s) accepted and stored raw but not normalized: no codetel adapter recognizes their sender"
        ));
    }
    let mut message = parts.join(". ");
    if message.chars().count() > MAX_MESSAGE_CHARS {
        message = message.chars().take(MAX_MESSAGE_CHARS - 3).collect::<String>() + "...";
    }
    Some(message)
}

/// `NNNN-<signal>.<json|pb>[.gz]`, the corpus name of a stored request.
pub fn body_file_name(request_id: i64, signal: Signal, encoding: Encoding, gzip: bool) -> String {
    format!("{request_id:04}-{}.{}{}", signal.as_str(), encoding.extension(), if gzip { ".gz" } else { "" })
}

fn hex(bytes: &[u8]) -> String {
    otlp::hex_id(bytes)
}

/// A metric stream's identity, as OTLP defines it: resource, scope, metric name and type,
/// point attributes (all sorted, so attribute order does not split a stream). Hashed, so the
/// stored key carries no attribute values.
fn stream_key(item: &Item<'_>, name: &str, point_attributes: &[KeyValue], kind: &str) -> String {
    let sorted = |attributes: &[KeyValue]| {
        let mut parts: Vec<String> = attributes.iter().map(|it| format!("{}={:?}", it.key, it.value)).collect();
        parts.sort();
        parts.join(",")
    };
    let text = format!(
        "{}|{}|{}|{}|{}",
        sorted(&item.resource.attributes),
        item.scope.name,
        name,
        kind,
        sorted(point_attributes)
    );
    hex(&Sha256::digest(text.as_bytes()))
}

fn value_text(value: &Value) -> Option<String> {
    match value {
        Value::Int(it) => Some(it.to_string()),
        Value::Double(it) => serde_json::to_string(it).ok(),
        _ => None,
    }
}

fn parse_value(text: &str) -> Option<Value> {
    match text.parse::<i64>() {
        Ok(it) => Some(Value::Int(it)),
        Err(_) => text.parse::<f64>().ok().map(Value::Double),
    }
}

fn subtract(value: &Value, previous: &Value) -> Option<Value> {
    match (value, previous) {
        (Value::Int(a), Value::Int(b)) => Some(Value::Int(a.saturating_sub(*b))),
        (Value::Int(a), Value::Double(b)) => Some(adapter::plain_number(*a as f64 - b)),
        (Value::Double(a), Value::Int(b)) => Some(adapter::plain_number(a - *b as f64)),
        (Value::Double(a), Value::Double(b)) => Some(adapter::plain_number(a - b)),
        _ => None,
    }
}

fn is_negative(value: &Value) -> bool {
    match value {
        Value::Int(it) => *it < 0,
        Value::Double(it) => *it < 0.0,
        _ => false,
    }
}

fn zero_like(value: &Value) -> Value {
    match value {
        Value::Double(_) => Value::Double(0.0),
        _ => Value::Int(0),
    }
}

/// Recomputes `coding_agent.metric.delta` against the stored state of each stream and saves
/// the new state. Same rules as the pipeline (a moved start time or a lower value is a reset
/// and counts in full), plus the ones only a long-lived store needs: a point not newer than
/// the last one stored is a re-send and adds nothing.
fn apply_stream_state(
    tx: &crate::store::StoreTx<'_>,
    tenant: &str,
    records: &mut [CanonicalRecord],
    points: &[MetricPoint],
) -> Result<(), StoreError> {
    let mut by_stream: BTreeMap<&str, Vec<&MetricPoint>> = BTreeMap::new();
    for point in points {
        by_stream.entry(&point.stream).or_default().push(point);
    }
    for (stream, mut stream_points) in by_stream {
        stream_points.sort_by_key(|it| (records[it.index].time_unix_nano, it.index));
        let mut state = tx.stream(tenant, stream)?;
        let mut changed = false;
        for point in stream_points {
            // Gauges and unspecified temporality: the pipeline adds no delta; neither do we.
            if !matches!(point.temporality, Temporality::Delta | Temporality::Cumulative) {
                continue;
            }
            let record = &mut records[point.index];
            let Some(value) = record.attributes.get(attr::METRIC_VALUE).cloned() else { continue };
            let Some(text) = value_text(&value) else { continue };
            let time = record.time_unix_nano.unwrap_or(0);
            let start = match record.attributes.get(attr::METRIC_START_TIME) {
                Some(Value::Int(it)) => *it as u64,
                _ => 0,
            };
            let previous = state.as_ref().and_then(|it| parse_value(&it.value).map(|value| (value, it)));
            let (delta, newer) = match (point.temporality, previous) {
                (_, Some((_, last))) if time <= last.time_unix_nano && time != 0 => (zero_like(&value), false),
                (Temporality::Delta, _) => (value.clone(), true),
                (Temporality::Cumulative, Some((last_value, last))) if last.start_time_unix_nano == start => {
                    match subtract(&value, &last_value) {
                        Some(delta) if !is_negative(&delta) => (delta, true),
                        _ => (value.clone(), true),
                    }
                }
                _ => (value.clone(), true),
            };
            let _ = record.attributes.insert(attr::METRIC_DELTA, delta);
            if newer {
                state = Some(StreamState { value: text, start_time_unix_nano: start, time_unix_nano: time });
                changed = true;
            }
        }
        if let (true, Some(state)) = (changed, &state) {
            tx.save_stream(tenant, stream, state)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::CaptureMode;
    use crate::store::sessions::IdentityPolicy;

    fn corpus_captures() -> Vec<Capture> {
        let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
        crate::capture::discover(&corpus)
            .expect("corpus")
            .into_iter()
            .filter_map(|input| match input {
                crate::capture::Input::Dir(dir) => Some(Capture::load_dir(&dir).expect("capture")),
                _ => None,
            })
            .collect()
    }

    fn only(capture: &Capture, requests: std::ops::Range<usize>) -> Capture {
        Capture { path: capture.path.clone(), manifest: None, requests: capture.requests[requests].to_vec() }
    }

    /// The records of one request of a capture, serialized (the item id is not).
    fn records_of(output: &normalize::Output, request: usize) -> Vec<String> {
        output
            .records
            .iter()
            .filter(|it| it.kind != RecordKind::Session && it.item.is_some_and(|id| id.request as usize == request))
            .map(|it| serde_json::to_string(it).expect("JSON"))
            .collect()
    }

    /// The skip rule against the window it skips, on every request of every capture: a request
    /// the adapters declare standalone makes the same records alone as with every earlier
    /// request of its capture, and leaves the earlier requests' records as they were.
    #[test]
    fn a_request_declared_standalone_makes_what_its_window_would() {
        let options = Options::new(CaptureMode::MetadataOnly);
        let (mut standalone, mut joining) = (0, 0);
        let mut standalone_vendors = std::collections::BTreeSet::new();
        for capture in corpus_captures() {
            for index in 0..capture.requests.len() {
                if capture.requests[index].signal == Signal::Metrics {
                    continue;
                }
                let alone = only(&capture, index..index + 1);
                if may_join_other_requests(&alone, &options) {
                    joining += 1;
                    continue;
                }
                standalone += 1;
                let label = format!("{} request {index}", capture.path.display());
                let with_window = normalize::normalize(&only(&capture, 0..index + 1), &options);
                let without = normalize::normalize(&only(&capture, 0..index), &options);
                let by_itself = normalize::normalize(&alone, &options);
                standalone_vendors.extend(by_itself.records.iter().map(|it| it.vendor.to_string()));
                assert_eq!(records_of(&with_window, index), records_of(&by_itself, 0), "{label}: its own records");
                for earlier in 0..index {
                    assert_eq!(records_of(&with_window, earlier), records_of(&without, earlier), "{label}: request {earlier}");
                }
            }
        }
        // Both sides of the rule occur in real captures, or this test proves nothing; and every
        // adapter whose declarations make whole requests of the corpus standalone has some here
        // (no Copilot CLI request of the corpus is standalone as a whole).
        assert!(standalone > 0 && joining > 0, "standalone {standalone}, joining {joining}");
        for vendor in ["claude_code", "goose", "opencode", "qwen_code"] {
            assert!(standalone_vendors.contains(vendor), "no standalone {vendor} request in the corpus: {standalone_vendors:?}");
        }
    }

    fn claude_log(event: &str) -> Capture {
        let body = claude_body(event, "s-1", 1_790_000_000_000_000_000);
        let decoded = otlp::decode(Signal::Logs, Encoding::Json, &body).expect("decode");
        Capture {
            path: PathBuf::from("test"),
            manifest: None,
            requests: vec![Request { file: String::new(), signal: Signal::Logs, encoding: Encoding::Json, gzip: false, decoded }],
        }
    }

    fn claude_body(event: &str, session: &str, time: u64) -> Vec<u8> {
        claude_body_for_call(event, session, time, "req_1")
    }

    fn claude_body_for_call(event: &str, session: &str, time: u64, request_id: &str) -> Vec<u8> {
        serde_json::json!({"resourceLogs": [{
            "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "claude-code"}}]},
            "scopeLogs": [{"scope": {"name": "com.anthropic.claude_code.events"}, "logRecords": [{
                "timeUnixNano": time.to_string(),
                "body": {"stringValue": format!("claude_code.{event}")},
                "attributes": [
                    {"key": "event.name", "value": {"stringValue": event}},
                    {"key": "session.id", "value": {"stringValue": session}},
                    {"key": "request_id", "value": {"stringValue": request_id}}
                ]
            }]}]
        }]})
        .to_string()
        .into_bytes()
    }

    fn incoming(body: Vec<u8>) -> Incoming {
        Incoming {
            tenant: "t".to_owned(),
            transport: Transport::Http,
            method: "POST".to_owned(),
            path: "/v1/logs".to_owned(),
            signal: Signal::Logs,
            encoding: Encoding::Json,
            raw_body: body.clone().into(),
            gzip: false,
            body: body.into(),
            headers: BTreeMap::new(),
            received_unix_nano: 1_790_000_000_000_000_000,
        }
    }

    fn claude_span_body(request_id: &str) -> Vec<u8> {
        claude_span_body_in(request_id, "s-1")
    }

    fn claude_span_body_in(request_id: &str, session: &str) -> Vec<u8> {
        serde_json::json!({"resourceSpans": [{
            "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "claude-code"}}]},
            "scopeSpans": [{"scope": {"name": "com.anthropic.claude_code.tracing"}, "spans": [{
                "traceId": "0af7651916cd43dd8448eb211c80319c",
                "spanId": "b7ad6b7169203331",
                "name": "claude_code.llm_request",
                "kind": 3,
                "startTimeUnixNano": "1790000000000000000",
                "endTimeUnixNano": "1790000001000000000",
                "attributes": [
                    {"key": "session.id", "value": {"stringValue": session}},
                    {"key": "request_id", "value": {"stringValue": request_id}},
                    {"key": "ttft_ms", "value": {"intValue": "120"}}
                ]
            }]}]
        }]})
        .to_string()
        .into_bytes()
    }

    /// An ingestor on SQLite's memory database, raw bodies kept, the default 60 s window.
    fn in_memory_ingestor() -> Ingestor {
        ingestor_on(Store::open(std::path::Path::new(":memory:")).expect("store"))
    }

    /// An ingestor on `store`: `metadata_only`, raw bodies kept, the default 60 s window.
    fn ingestor_on(store: Store) -> Ingestor {
        Ingestor::new(
            store,
            Options::new(CaptureMode::MetadataOnly),
            true,
            IdentityPolicy::default(),
            None,
            None,
            std::time::Duration::from_secs(60),
        )
        .expect("ingestor")
    }

    /// The other side of the skip rule: a request that may join (an event, then the span of
    /// the same call in a later request) is still merged, so what is stored equals what
    /// normalizing both requests together makes, and differs from normalizing each alone.
    #[test]
    fn a_request_that_may_join_still_revises_earlier_records() {
        let ingestor = in_memory_ingestor();
        let event = claude_body("api_request", "s-1", 1_790_000_000_500_000_000);
        let span = claude_span_body("req_1");
        let _ = ingestor.ingest(&incoming(event.clone())).expect("event");
        let _ = ingestor.ingest(&traces(span.clone())).expect("span");
        // The stored file names are the collector's; both sides compare the rest.
        let stored = stored_records(&ingestor);
        let together = normalized_together(&[(Signal::Logs, event.clone()), (Signal::Traces, span.clone())]);
        let mut apart = normalized_together(&[(Signal::Logs, event)]);
        apart.extend(normalized_together(&[(Signal::Traces, span)]));
        assert_ne!(together, apart, "the span must complete the event, or this test proves nothing");
        assert_eq!(stored, together);
    }

    /// Group commit under contention: every request acknowledged is stored exactly once, and of
    /// several copies of one body sent at once one is stored and the others are acknowledged
    /// as its duplicates (they may have joined the group of their first copy).
    #[test]
    fn concurrent_requests_are_each_stored_once() {
        let ingestor = in_memory_ingestor();
        let (threads, per_thread) = (4, 25);
        let acks: Vec<Vec<Ack>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|thread| {
                    let ingestor = &ingestor;
                    scope.spawn(move || {
                        let mut acks = Vec::new();
                        for n in 0..per_thread {
                            // Events that join (api_request) and events that stand alone, in
                            // sessions shared across threads, so windows read other members' rows.
                            let event = if n % 2 == 0 { "api_request" } else { "user_prompt" };
                            let body = claude_body(event, &format!("s-{}", n % 3), 1_790_000_000_000_000_000 + (thread * 1000 + n) as u64);
                            acks.push(ingestor.ingest(&incoming(body)).expect("ingest"));
                        }
                        acks.push(ingestor.ingest(&incoming(claude_body("user_prompt", "shared", 1))).expect("ingest"));
                        acks
                    })
                })
                .collect();
            handles.into_iter().map(|it| it.join().expect("thread")).collect()
        });
        let acks: Vec<&Ack> = acks.iter().flatten().collect();
        let stored: Vec<&&Ack> = acks.iter().filter(|it| !it.duplicate).collect();
        assert_eq!(stored.len(), threads * per_thread + 1);
        let shared: Vec<&&Ack> = acks.iter().filter(|it| it.duplicate).collect();
        assert_eq!(shared.len(), threads - 1);
        assert!(shared.iter().all(|it| stored.iter().any(|stored| stored.request_id == it.request_id)), "a duplicate names a stored request");
        let mut ids: Vec<i64> = stored.iter().map(|it| it.request_id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), stored.len(), "request ids are unique");
        let (requests, records) = ingestor.with_store(|store| (store.request_count().expect("count"), store.records(None).expect("records").len()));
        assert_eq!(requests, stored.len());
        assert_eq!(records, stored.len(), "one record per request");
    }

    /// With the WAL synced outside the lock, no request is acknowledged before an fsync that
    /// covers its commit: a request starting after commit `before` commits later, so when
    /// `ingest` returns, the WAL must be synced past `before`. Requests of other threads
    /// write meanwhile, and one fsync serves every commit written before it.
    #[test]
    fn requests_are_acknowledged_only_after_their_commit_is_synced() {
        let dir = crate::store::scratch_dir("ingest-sync");
        let mut store = Store::open(&dir.join("s.db")).expect("store");
        store.checkpoint_in_background().expect("checkpointer");
        store.sync_commits_outside().expect("deferred sync");
        let ingestor = ingestor_on(store);
        let sync = ingestor.with_store(|store| store.wal_sync().cloned()).expect("a file database syncs outside the lock");
        let (threads, per_thread) = (4, 20);
        std::thread::scope(|scope| {
            for thread in 0..threads {
                let (ingestor, sync) = (&ingestor, &sync);
                let _ = scope.spawn(move || {
                    for n in 0..per_thread {
                        let body = claude_body("user_prompt", &format!("s-{thread}"), 1_790_000_000_000_000_000 + (thread * 1000 + n) as u64);
                        let before = sync.committed();
                        let ack = ingestor.ingest(&incoming(body)).expect("ingest");
                        assert!(!ack.duplicate);
                        assert!(sync.synced_through() > before, "acknowledged with the WAL synced through {} of {before}", sync.synced_through());
                    }
                });
            }
        });
        assert!(sync.syncs() >= 1 && sync.syncs() <= sync.committed(), "{} fsyncs for {} commits", sync.syncs(), sync.committed());
        drop(ingestor);
        let reopened = Store::open(&dir.join("s.db")).expect("reopen");
        assert_eq!(reopened.request_count().expect("count"), threads * per_thread);
        drop(reopened);
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Stored records with the collector's file names blanked, in request order.
    fn stored_records(ingestor: &Ingestor) -> Vec<serde_json::Value> {
        ingestor
            .with_store(|store| store.records(None).expect("records"))
            .iter()
            .map(|it| {
                let mut record = it.record.clone();
                record["source"]["file"] = serde_json::Value::Null;
                record
            })
            .collect()
    }

    /// What normalizing some requests together makes, non-session records, file names blanked.
    fn normalized_together(requests: &[(Signal, Vec<u8>)]) -> Vec<serde_json::Value> {
        let requests = requests
            .iter()
            .map(|(signal, body)| Request {
                file: String::new(),
                signal: *signal,
                encoding: Encoding::Json,
                gzip: false,
                decoded: otlp::decode(*signal, Encoding::Json, body).expect("decode"),
            })
            .collect();
        let capture = Capture { path: PathBuf::from("test"), manifest: None, requests };
        normalize::normalize(&capture, &Options::new(CaptureMode::MetadataOnly))
            .records
            .iter()
            .filter(|it| it.kind != RecordKind::Session)
            .map(|it| {
                let mut record = serde_json::to_value(it).expect("JSON");
                record["source"]["file"] = serde_json::Value::Null;
                record
            })
            .collect()
    }

    fn traces(body: Vec<u8>) -> Incoming {
        let mut request = incoming(body);
        request.path = "/v1/traces".to_owned();
        request.signal = Signal::Traces;
        request
    }

    /// A window normalized outside the lock is used only if it is still the request's window
    /// when it is written: here a span's window is planned with an unrelated event of its
    /// session, the event of the span's own call is written meanwhile, and what is stored is
    /// what normalizing the three in the order written makes (the span completes that event),
    /// not the plan (in which the span found nothing to complete and made its own record).
    #[test]
    fn a_window_that_changed_after_it_was_planned_is_normalized_again() {
        let ingestor = in_memory_ingestor();
        let unrelated = claude_body_for_call("api_request", "s-1", 1_790_000_000_100_000_000, "req_0");
        let completed = claude_body_for_call("api_request", "s-1", 1_790_000_000_500_000_000, "req_1");
        let span = claude_span_body("req_1");
        let _ = ingestor.ingest(&incoming(unrelated.clone())).expect("unrelated event");
        let span_request = traces(span.clone());
        let prepared = ingestor.prepare(&span_request).expect("prepare");
        assert!(prepared.merges, "a span may join: the test needs a planned window");
        let planned = ingestor.plan_window("t", &prepared.sessions, prepared.since, &prepared.capture).expect("plan");
        assert_eq!(planned.candidates.len(), 1, "planned with the unrelated event only");
        let planned_span_records = planned.produced.as_ref().map(|(newest, _)| newest.records.len());
        assert_eq!(planned_span_records, Some(1), "in the plan, the span makes its own record");
        // Written while the span's window was being normalized (the key locks are bypassed here).
        let _ = ingestor.ingest(&incoming(completed.clone())).expect("completed event");
        let ack = ingestor.write(&span_request, prepared, Some(planned), ingestor.keys.acquire(Vec::new())).expect("span");
        assert_eq!(ack.records, 0, "the span completes the event written after the plan");
        let expected = normalized_together(&[(Signal::Logs, unrelated), (Signal::Logs, completed), (Signal::Traces, span)]);
        assert_eq!(stored_records(&ingestor), expected);
    }

    /// Requests of one session arriving while another of the session is being ingested (its
    /// window normalized outside the lock) are still merged with it: several threads send
    /// events and the spans completing them, and what is stored equals normalizing all the
    /// requests together in the order they were written.
    #[test]
    fn requests_of_one_session_arriving_together_are_merged() {
        let ingestor = in_memory_ingestor();
        let threads = 4;
        let sent: Vec<Vec<(i64, Signal, Vec<u8>)>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|thread| {
                    let ingestor = &ingestor;
                    scope.spawn(move || {
                        let mut sent = Vec::new();
                        for n in 0..6 {
                            let call = format!("req_{thread}_{n}");
                            let time = 1_790_000_000_000_000_000 + (thread * 100 + n) as u64 * 1_000_000;
                            let event = claude_body_for_call("api_request", "s-shared", time, &call);
                            let ack = ingestor.ingest(&incoming(event.clone())).expect("event");
                            sent.push((ack.request_id, Signal::Logs, event));
                            let span = claude_span_body_in(&call, "s-shared");
                            let ack = ingestor.ingest(&traces(span.clone())).expect("span");
                            if !ack.duplicate {
                                sent.push((ack.request_id, Signal::Traces, span));
                            }
                        }
                        sent
                    })
                })
                .collect();
            handles.into_iter().map(|it| it.join().expect("thread")).collect()
        });
        let mut sent: Vec<(i64, Signal, Vec<u8>)> = sent.into_iter().flatten().collect();
        sent.sort_by_key(|it| it.0);
        let in_order: Vec<(Signal, Vec<u8>)> = sent.into_iter().map(|(_, signal, body)| (signal, body)).collect();
        let expected = normalized_together(&in_order);
        let apart: Vec<serde_json::Value> = in_order.iter().flat_map(|it| normalized_together(std::slice::from_ref(it))).collect();
        assert_ne!(expected, apart, "spans must complete events, or this test proves nothing");
        assert_eq!(stored_records(&ingestor), expected);
    }

    #[test]
    fn only_events_a_span_can_complete_keep_the_window() {
        let options = Options::new(CaptureMode::MetadataOnly);
        for event in ["api_request", "api_error", "tool_result", "tool_decision"] {
            assert!(may_join_other_requests(&claude_log(event), &options), "{event}");
        }
        for event in ["user_prompt", "api_refusal", "some_future_event"] {
            assert!(!may_join_other_requests(&claude_log(event), &options), "{event}");
        }
    }
}
