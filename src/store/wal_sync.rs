//! Making group commits durable outside the store's lock.
//!
//! With `synchronous = FULL`, SQLite fsyncs the WAL inside `COMMIT`, and the collector runs
//! `COMMIT` under the store's lock: while the disk flushed one group, no other request could
//! write its rows, whatever the cores had free. Here the collector's writer connection runs
//! `synchronous = NORMAL` (a commit writes its WAL frames and returns) and each group's
//! members fsync the WAL file themselves once the lock is released, before they are
//! acknowledged: the next group writes while this one's frames reach the disk.
//!
//! Why that is as durable as `FULL` for what the collector acknowledges:
//! - `fdatasync` of the WAL file flushes every frame written to it before the call, so once
//!   [`WalSync::sync_through`] returns for a commit's ticket, that commit's frames (and the
//!   WAL header before them) are on disk; recovery replays a WAL up to its last valid commit
//!   frame, so the commit survives a crash or a power loss.
//! - A checkpoint copies frames into the database file and syncs the WAL before and the
//!   database file after (SQLite does that under `NORMAL` too); SQLite starts the WAL over,
//!   overwriting frames, only after every frame was copied and synced. So a frame overwritten
//!   before its own fsync ran was already durable in the database file.
//! - Tickets are counted when `COMMIT` has returned, so the ticket read just before an fsync
//!   names only commits whose frames are already written.
//!
//! What is not covered, by design:
//! - Writes of the writer connection outside request groups (the forwarder's delivery marks)
//!   are no longer fsynced at their commit; losing one in a power loss makes the forwarder
//!   send a record again, which it already may (delivery is at least once).
//! - Readers (the API, the forwarder) may see a group's rows between its `COMMIT` and its
//!   fsync. A power loss in that gap loses the rows and their requests, which were never
//!   acknowledged and are sent again by their clients; a record the forwarder sent in that gap
//!   reaches the upstream twice.

use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use super::StoreError;

/// The WAL's fsync, shared by the requests of every group.
#[derive(Debug)]
pub struct WalSync {
    /// The database file, for errors.
    database: String,
    /// The database's `-wal` file.
    path: PathBuf,
    /// Group commits whose `COMMIT` returned: the latest ticket.
    committed: AtomicU64,
    /// Held by whoever fsyncs; the ticket synced through, and the open WAL file.
    synced: Mutex<Synced>,
    /// fsyncs run, for the tests and figures.
    syncs: AtomicU64,
}

#[derive(Debug, Default)]
struct Synced {
    through: u64,
    file: Option<File>,
}

impl WalSync {
    /// For the database file `database` (its WAL is `<database>-wal`).
    pub fn new(database: &std::path::Path) -> WalSync {
        let mut path = database.as_os_str().to_owned();
        path.push("-wal");
        WalSync {
            database: database.display().to_string(),
            path: PathBuf::from(path),
            committed: AtomicU64::new(0), synced: Mutex::new(Synced::default()),
            syncs: AtomicU64::new(0),
        }
    }

    /// Notes a group commit whose `COMMIT` returned; its ticket.
    pub fn note_commit(&self) -> u64 {
        self.committed.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// The latest ticket: a request whose group committed before this read is covered by it.
    pub fn committed(&self) -> u64 {
        self.committed.load(Ordering::SeqCst)
    }

    /// The ticket the WAL is known synced through.
    pub fn synced_through(&self) -> u64 {
        lock(&self.synced).through
    }

    /// How many fsyncs ran.
    pub fn syncs(&self) -> u64 {
        self.syncs.load(Ordering::Relaxed)
    }

    /// Returns once every commit up to `ticket` is on disk: at once if an fsync already
    /// covered it, else after one (which also covers every commit written before it began,
    /// so requests waiting meanwhile find their ticket synced and return without one). A
    /// failed fsync fails the requests waiting for it: none of them is acknowledged.
    pub fn sync_through(&self, ticket: u64) -> Result<(), StoreError> {
        let mut synced = lock(&self.synced);
        if synced.through >= ticket {
            return Ok(());
        }
        let target = self.committed();
        self.wal_file(&mut synced).and_then(|file| file.sync_data()).map_err(|error| StoreError::GroupCommit {
            path: self.database.clone(),
            message: format!("syncing the WAL to disk: {error}"),
        })?;
        let _ = self.syncs.fetch_add(1, Ordering::Relaxed);
        synced.through = synced.through.max(target);
        Ok(())
    }

    /// The WAL file, opened again if it is not the file at the WAL's path any more (SQLite
    /// deletes the WAL when its last connection closes; the collector's stay open, but a
    /// stale handle would sync a file nobody reads).
    fn wal_file<'a>(&self, synced: &'a mut Synced) -> std::io::Result<&'a File> {
        let current = std::fs::metadata(&self.path)?;
        let stale = match &synced.file {
            Some(file) => {
                let open = file.metadata()?;
                (open.dev(), open.ino()) != (current.dev(), current.ino())
            }
            None => true,
        };
        if stale {
            // Read-only is enough: fsync flushes the file's data whatever the descriptor's mode.
            synced.file = Some(File::open(&self.path)?);
        }
        synced.file.as_ref().ok_or_else(|| std::io::Error::other("WAL file not open"))
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match mutex.lock() {
        Ok(it) => it,
        Err(poisoned) => poisoned.into_inner(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One fsync covers every ticket committed before it began; a ticket already covered costs
    /// none; a newer ticket costs another.
    #[test]
    fn one_fsync_covers_every_commit_written_before_it() {
        let dir = crate::store::scratch_dir("walsync");
        let database = dir.join("w.db");
        std::fs::write(dir.join("w.db-wal"), b"frames").expect("wal");
        let sync = WalSync::new(&database);
        let first = sync.note_commit();
        let second = sync.note_commit();
        sync.sync_through(first).expect("sync");
        assert_eq!((sync.syncs(), sync.synced_through()), (1, second), "the fsync covered both commits");
        sync.sync_through(second).expect("sync");
        assert_eq!(sync.syncs(), 1, "already covered");
        let third = sync.note_commit();
        sync.sync_through(third).expect("sync");
        assert_eq!((sync.syncs(), sync.synced_through()), (2, third));
        // A WAL replaced under the same name is opened again, not synced through a stale handle.
        std::fs::remove_file(dir.join("w.db-wal")).expect("remove");
        std::fs::write(dir.join("w.db-wal"), b"new").expect("wal");
        let fourth = sync.note_commit();
        sync.sync_through(fourth).expect("sync");
        let reopened = lock(&sync.synced).file.as_ref().map(|it| it.metadata().expect("meta").ino());
        assert_eq!(reopened, Some(std::fs::metadata(dir.join("w.db-wal")).expect("meta").ino()));
        // No WAL at all is an error, not a silent acknowledgement.
        std::fs::remove_file(dir.join("w.db-wal")).expect("remove");
        let fifth = sync.note_commit();
        assert!(sync.sync_through(fifth).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
