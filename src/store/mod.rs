//! The buffer: one SQLite file (WAL) holding the raw event log, the cursor, everything derived
//! from the log, the outboxes, dead letters and what was sent (SPEC §7).
//!
//! - [`ingest`]: a page of events, what it derives and the cursor move, in one transaction;
//!   `workers` (segments, the worker rows, re-derivation after a late event) and `tasks` (tasks
//!   and reservations) write what it derives.
//! - [`outbox`]: claiming, acknowledging and dead-lettering what goes to WFM.
//! - [`status`]: what `status` and `/metrics` read.
//!
//! A [`Store`] is one connection; the daemon opens one per task (poller, pusher, reports) on the
//! same file, and WAL lets readers proceed while the poller writes. All methods block: call them
//! off the async runtime (`spawn_blocking`).

pub mod ingest;
pub mod outbox;
pub mod query;
pub mod reports;
mod rewind;
mod schema;
pub mod status;
mod tasks;
mod workers;

use crate::model::Millis;
use rusqlite::{Connection, OptionalExtension, params};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Errors from the buffer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("buffer {path}: {source}")]
    Sqlite {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error(
        "buffer {path}: the file's schema version {found} is newer than this connector ({supported}); upgrade the connector"
    )]
    TooNew {
        path: String,
        found: i64,
        supported: i64,
    },
    #[error("buffer: bad stored JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("buffer: background task failed: {0}")]
    Task(String),
}

impl StoreError {
    /// A disk-level problem (full, read-only, I/O): retried, never a crash.
    pub fn is_io(&self) -> bool {
        use rusqlite::ErrorCode as C;
        match self {
            StoreError::Sqlite {
                source: rusqlite::Error::SqliteFailure(e, _),
                ..
            } => matches!(
                e.code,
                C::DiskFull
                    | C::ReadOnly
                    | C::SystemIoFailure
                    | C::CannotOpen
                    | C::DatabaseBusy
                    | C::DatabaseLocked
                    | C::PermissionDenied
            ),
            _ => false,
        }
    }
}

/// One connection to the buffer file.
pub struct Store {
    pub(crate) conn: Connection,
    path: PathBuf,
    /// What `ingest` keeps in memory between pages (dropped whenever it may be stale).
    cache: ingest::DerivedCache,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Opens (creating if needed) the buffer and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            // Best effort: the open below reports the real error if this fails.
            let _ = std::fs::create_dir_all(dir);
        }
        let conn = Connection::open(path).map_err(|e| wrap(path, e))?;
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
            cache: ingest::DerivedCache::default(),
        };
        store.configure()?;
        store.migrate()?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn err(&self, e: rusqlite::Error) -> StoreError {
        wrap(&self.path, e)
    }

    fn configure(&mut self) -> Result<(), StoreError> {
        self.conn
            .busy_timeout(Duration::from_secs(10))
            .map_err(|e| self.err(e))?;
        // Memory (SPEC §11: 20,000 agents in < 64 MiB; BENCHMARKS.md "Memory"): the daemon holds
        // five connections, each with its own page cache, so each gets SQLite's default 2 MiB
        // (32 MiB each was 160 MiB at most, and the ingest bench ran no faster with it). No mmap:
        // the pages of a mapped file count in the process's RSS (tens of MiB at a day's buffer,
        // per connection); read through the kernel's page cache instead, which caches the file
        // as well without counting against us. The WAL is checkpointed every 4000 pages (16 MiB;
        // SQLite's default of 1000 checkpointed after every window of a catch-up, copying the
        // same pages — the end of each table, the workers — once per window: the ingest bench
        // ran ~10 % faster at 4000) and truncated back to 4 MiB after a checkpoint, so on a
        // small filesystem the WAL itself never fills the disk (tests/e2e_disk.rs runs on a
        // 16 MiB tmpfs); `checkpoint_truncate` empties it after a big catch-up.
        // WAL: readers never block the writer; NORMAL sync is durable across process crashes
        // (kill -9) and only risks the last transactions on power loss, which the ACD still holds
        // (the cursor moves in the same transaction, so they are polled again).
        self.conn
            .execute_batch(
                "PRAGMA journal_mode = WAL;
                 PRAGMA synchronous = NORMAL;
                 PRAGMA foreign_keys = OFF;
                 PRAGMA temp_store = MEMORY;
                 PRAGMA cache_size = -2048;
                 PRAGMA mmap_size = 0;
                 PRAGMA wal_autocheckpoint = 4000;
                 PRAGMA journal_size_limit = 4194304;",
            )
            .map_err(|e| self.err(e))?;
        self.conn.set_prepared_statement_cache_capacity(64);
        Ok(())
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let version: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        let supported = schema::MIGRATIONS.len() as i64;
        if version > supported {
            return Err(StoreError::TooNew {
                path: self.path.display().to_string(),
                found: version,
                supported,
            });
        }
        for (i, sql) in schema::MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = self.conn.transaction().map_err(|e| wrap(&self.path, e))?;
            tx.execute_batch(sql).map_err(|e| wrap(&self.path, e))?;
            tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1))
                .map_err(|e| wrap(&self.path, e))?;
            tx.commit().map_err(|e| wrap(&self.path, e))?;
        }
        Ok(())
    }

    /// The schema version of the open file.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        self.conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    /// A value from the `meta` table.
    pub fn meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(|e| self.err(e))
    }

    pub fn set_meta(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO meta(key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// The ACD cursor: every event before it has been committed (modulo the overlap).
    pub fn cursor(&self) -> Result<Option<Millis>, StoreError> {
        Ok(self.meta(META_CURSOR)?.and_then(|v| v.parse().ok()))
    }

    /// Sets where the next poll starts (used to read history before a first start, e.g. the demo
    /// and `[acd] initial_lookback`).
    pub fn set_cursor(&self, at_ms: Millis) -> Result<(), StoreError> {
        self.set_meta(META_CURSOR, &at_ms.to_string())
    }

    /// Where observed history begins: the first poll's `StartDate` (SPEC §5). No report interval
    /// that ends before it is ever built; segments that began before it are clipped to it.
    pub fn observed_from(&self) -> Result<Option<Millis>, StoreError> {
        Ok(self.meta(META_OBSERVED_FROM)?.and_then(|v| v.parse().ok()))
    }

    /// Records where observed history begins, once: a later call never moves it. When the buffer
    /// has no cursor yet (a first start), the cursor is set in the same transaction to
    /// `first_cursor`, so the first poll and every retry of it start at the same point.
    pub fn begin_observation(
        &mut self,
        observed_from: Millis,
        first_cursor: Millis,
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction().map_err(|e| wrap(&self.path, e))?;
        for (key, value) in [
            (META_OBSERVED_FROM, observed_from),
            (META_CURSOR, first_cursor),
        ] {
            tx.execute(
                "INSERT OR IGNORE INTO meta(key, value) VALUES (?1, ?2)",
                params![key, value.to_string()],
            )
            .map_err(|e| wrap(&self.path, e))?;
        }
        tx.commit().map_err(|e| wrap(&self.path, e))
    }

    /// Checkpoints the WAL into the database and truncates it to zero bytes (after a big
    /// catch-up; a busy reader makes it a partial checkpoint, which is fine).
    pub fn checkpoint_truncate(&self) -> Result<(), StoreError> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .map_err(|e| self.err(e))
    }

    /// Checks that the file accepts writes (for `/readyz`).
    pub fn probe_writable(&self) -> Result<(), StoreError> {
        self.set_meta("probe", "1")
    }

    /// Deletes sent items, dead letters and raw events older than `before_ms`. Segments, tasks and
    /// reservations older than that go too. Returns rows deleted.
    pub fn prune(&mut self, before_ms: Millis) -> Result<usize, StoreError> {
        let tx = self.conn.transaction().map_err(|e| wrap(&self.path, e))?;
        let mut n = 0;
        for sql in [
            "DELETE FROM state_outbox WHERE sent_ms IS NOT NULL AND sent_ms < ?1",
            "DELETE FROM report_outbox WHERE sent_ms IS NOT NULL AND sent_ms < ?1",
            "DELETE FROM acd_events WHERE event_ms < ?1",
            "DELETE FROM segment_log WHERE end_ms < ?1",
            "DELETE FROM tasks WHERE ended_ms IS NOT NULL AND ended_ms < ?1",
            "DELETE FROM reservations WHERE created_ms < ?1 AND outcome_ms IS NOT NULL",
            "DELETE FROM dead_letters WHERE created_ms < ?1",
            "DELETE FROM quarantined_events WHERE ingested_ms < ?1",
        ] {
            n += tx
                .execute(sql, [before_ms])
                .map_err(|e| wrap(&self.path, e))?;
        }
        // The derived tables changed: the ingesting connection's memory of them is dropped
        // (`store::ingest`), whichever connection pruned.
        tx.execute(
            "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'derived_generation'",
            [],
        )
        .map_err(|e| wrap(&self.path, e))?;
        tx.commit().map_err(|e| wrap(&self.path, e))?;
        Ok(n)
    }
}

pub(crate) const META_CURSOR: &str = "cursor_ms";
pub(crate) const META_OBSERVED_FROM: &str = "observed_from_ms";

pub(crate) fn wrap(path: &Path, e: rusqlite::Error) -> StoreError {
    StoreError::Sqlite {
        path: path.display().to_string(),
        source: e,
    }
}
