//! WAL checkpoints off the acknowledgement path.
//!
//! SQLite's default (`wal_autocheckpoint = 1000`) copies the WAL back into the database file
//! inside the commit that crosses 1,000 frames: under load that commit, and every request of
//! its group waiting for it, paid for the copy and its two fsyncs (9% of the collector's
//! samples, all of it under the store's lock). Here the writer's commit only notes how long
//! the WAL has grown (SQLite's WAL hook, which replaces the automatic checkpoint); a thread
//! with its own connection runs `PRAGMA wal_checkpoint(PASSIVE)` each time another
//! [`CHECKPOINT_FRAMES`] frames have been committed, while the writer goes on writing.
//!
//! A passive checkpoint copies frames but never resets the WAL: SQLite starts the WAL over
//! only when a write transaction begins while every frame is already copied, and with a
//! writer committing group after group the background thread is always a group or so
//! behind. So once the WAL holds [`RESTART_FRAMES`] frames, the writer's next commit runs a
//! passive checkpoint itself (at that moment only the frames since the background's last
//! run are left to copy) and its next transaction starts the WAL over. That bounds the WAL
//! to about `RESTART_FRAMES` frames plus one group, as the automatic checkpoint bounded it;
//! when the writer finds the background thread copying at that moment, it tries again at its
//! next commit, and from [`LIMIT_FRAMES`] on it waits for that run to end (SQLite itself
//! never waits for a concurrent checkpoint: the two take turns on a mutex).
//!
//! Durability is unchanged: a commit is durable once its WAL frames are fsynced (by the
//! commit under `synchronous = FULL`, or by its requests outside the lock, see
//! [`super::wal_sync`]), whenever they are later copied into the database file.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

use rusqlite::hooks::Wal;
use rusqlite::wal::CheckpointMode;
use rusqlite::Connection;

/// Committed frames between two background checkpoints (SQLite's automatic checkpoint ran
/// every 1,000): enough that a page rewritten by many groups (an index's last page) is
/// copied once per batch, not once per group.
pub const CHECKPOINT_FRAMES: i64 = 1_000;

/// WAL length (frames) from which the writer finishes the checkpoint itself so the WAL starts
/// over; about 16 MiB with 4 KiB pages.
pub const RESTART_FRAMES: i64 = 4_000;

/// WAL length (frames) from which the writer's checkpoint waits for a running background one
/// instead of trying again at its next commit.
pub const LIMIT_FRAMES: i64 = 2 * RESTART_FRAMES;

/// What the writer's WAL hook and the background thread share.
#[derive(Default)]
struct State {
    /// The WAL length at which the background thread was last woken (0 after a restart).
    woken_at: AtomicI64,
    /// Set to wake the background thread; cleared by it.
    wake: Mutex<bool>,
    woken: Condvar,
    stop: AtomicBool,
    /// Held by whoever runs a checkpoint.
    running: Mutex<()>,
    /// Checkpoints run by the background thread and by the writer, for the tests.
    background_runs: AtomicI64,
    writer_runs: AtomicI64,
}

/// The background checkpointer of one database; stopped and joined when dropped.
pub struct Checkpointer {
    state: Arc<State>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Checkpointer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checkpointer")
            .field("background_runs", &self.state.background_runs.load(Ordering::Relaxed))
            .field("writer_runs", &self.state.writer_runs.load(Ordering::Relaxed))
            .finish()
    }
}

impl Checkpointer {
    /// Opens a second connection to `path` for the background thread and installs the WAL
    /// hook on `writer` (which turns SQLite's automatic checkpoint off for it).
    pub fn start(path: &Path, writer: &mut Connection) -> rusqlite::Result<Checkpointer> {
        let conn = Connection::open(path)?;
        // The checkpoint syncs the WAL before copying and the database file after, as the
        // writer's own checkpoints did.
        conn.execute_batch("PRAGMA synchronous = FULL;")?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        let state = Arc::new(State::default());
        let thread_state = Arc::clone(&state);
        let thread = std::thread::Builder::new()
            .name("codetel-checkpoint".to_owned())
            .spawn(move || run(&thread_state, &conn))
            .map_err(|error| {
                rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ERROR),
                    Some(format!("starting the checkpoint thread: {error}")),
                )
            })?;
        // Installed once the thread runs: until then the automatic checkpoint stays on.
        let checkpointer = Checkpointer { state, thread: Some(thread) };
        let hook_state = Arc::clone(&checkpointer.state);
        writer.wal_hook(Some(move |wal: &mut Wal, frames: std::ffi::c_int| {
            on_commit(&hook_state, wal, i64::from(frames));
            Ok(())
        }))?;
        Ok(checkpointer)
    }

    /// Waits until no checkpoint of this checkpointer runs, and keeps it so while the guard
    /// lives (for a checkpoint of the writer's own, as at shutdown).
    pub fn turn(&self) -> std::sync::MutexGuard<'_, ()> {
        lock(&self.state.running)
    }

    /// How many checkpoints ran in the background and in the writer's commit.
    pub fn runs(&self) -> (i64, i64) {
        (self.state.background_runs.load(Ordering::Relaxed), self.state.writer_runs.load(Ordering::Relaxed))
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.state.stop.store(true, Ordering::SeqCst);
        {
            let mut wake = lock(&self.state.wake);
            *wake = true;
        }
        self.state.woken.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match mutex.lock() {
        Ok(it) => it,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// The writer's WAL hook: runs after each commit with the WAL's length in frames.
fn on_commit(state: &State, wal: &mut Wal, frames: i64) {
    let woken_at = state.woken_at.load(Ordering::Relaxed);
    if frames < woken_at {
        // The WAL started over.
        state.woken_at.store(0, Ordering::Relaxed);
    }
    if frames >= RESTART_FRAMES {
        // While the background thread copies, the writer's checkpoint would fail (SQLite
        // returns busy at once for a concurrent checkpoint, busy timeout or not): below the
        // limit the next commit tries again, from the limit on the writer waits for that run
        // to end, so the WAL stays bounded however slow the background is.
        let running = if frames >= LIMIT_FRAMES { Some(lock(&state.running)) } else { state.running.try_lock().ok() };
        if running.is_some() && wal.checkpoint_v2(CheckpointMode::PASSIVE).is_ok() {
            let _ = state.writer_runs.fetch_add(1, Ordering::Relaxed);
        }
        return;
    }
    if frames >= state.woken_at.load(Ordering::Relaxed) + CHECKPOINT_FRAMES {
        state.woken_at.store(frames, Ordering::Relaxed);
        let mut wake = lock(&state.wake);
        *wake = true;
        state.woken.notify_one();
    }
}

fn run(state: &State, conn: &Connection) {
    loop {
        {
            let mut wake = lock(&state.wake);
            while !*wake {
                wake = match state.woken.wait(wake) {
                    Ok(it) => it,
                    Err(poisoned) => poisoned.into_inner(),
                };
            }
            *wake = false;
        }
        if state.stop.load(Ordering::SeqCst) {
            return;
        }
        // A failure (the disk, a lock held too long) leaves the frames for the next run or
        // the writer's; the WAL still holds every committed transaction.
        let _running = lock(&state.running);
        if conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())).is_ok() {
            let _ = state.background_runs.fetch_add(1, Ordering::Relaxed);
        }
    }
}
