//! Ingestion: a page of ACD events, everything derived from it, and the cursor move, committed in
//! one SQLite transaction. A crash therefore never half-applies a page, and the cursor never
//! passes an event that is not committed.
//!
//! The cost of a page is close to one insert per event (issue 8, BENCHMARKS.md "Ingest"):
//!
//! - The log (`acd_events`) is appended in time order and has one index, `(event_ms, sid)`, which
//!   both de-duplicates (an event is its sid at its time; TaskRouter never changes either) and
//!   serves every read by time. No index is keyed by worker: keyed by 2,000 workers, every page
//!   would dirty 2,000 index pages.
//! - Each worker's derived state ([`WorkerState`]) is kept in memory between pages (loaded from
//!   `workers` on first use, written back once per page, not per event); the segment and
//!   real-time rules are the pure [`crate::derive::segments`], and `store::workers` applies what
//!   they return. A closed segment is appended to `segment_log` in the order segments close
//!   (time order: its one index, by end, is appended to as well); the open one lives in the
//!   worker's row. Readers see both as the `segments` view.
//! - A late event (older than the last one folded for its worker) re-derives only that worker,
//!   from the checkpoint of the segment the event falls in (`store::rewind`).
//! - Each task not yet over is kept folded in memory ([`crate::derive::task::TaskProgress`]): a
//!   page folds only its new events; a late event, or a task not in memory, derives it again
//!   from its stored events. It is written only when the result changed (`store::tasks`).
//!
//! The in-memory state is the store's own: it is dropped when a transaction fails, and when
//! another connection ingested into the file (`meta.derived_generation`: only ingest writes the
//! derived tables), so it never disagrees with the file.

use super::tasks::TaskMemory;
use super::{META_CURSOR, Store, StoreError, tasks, workers, wrap};
use crate::derive::agent::{DeriveContext, worker_of};
use crate::derive::segments::WorkerState;
use crate::model::{AcdEvent, AgentStateRecord, EventData, Millis};
use rusqlite::{Transaction, params};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// What one [`Store::ingest`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IngestOutcome {
    /// Events not seen before, now in the log.
    pub new_events: usize,
    /// Events already in the log (the overlap window brings them again).
    pub duplicates: usize,
    /// Agent-state records queued for real time.
    pub states_queued: usize,
    /// Workers re-derived because of a late event.
    pub rederived_workers: usize,
    /// Tasks (re-)derived.
    pub tasks_derived: usize,
    /// State changes kept out of real time because they began before `ctx.rta_not_before`.
    pub states_too_old: usize,
    /// Events dated after `ctx.accept_until`: kept in the `quarantined_events` table, never
    /// derived.
    pub quarantined: usize,
    /// Workers whose state changes were kept out of real time because their configured
    /// `agent_id` (e.g. an attribute) is unknown.
    pub unidentified_workers: BTreeSet<String>,
}

/// How far past the connector's clock an event may be dated and still be derived
/// (`DeriveContext::accept_until`). An event beyond it (a bad clock, a bad record) would otherwise
/// freeze its agent's real time: RTA only takes states newer than the present, and nothing is
/// newer than the year 2100.
pub const FUTURE_TOLERANCE_MS: Millis = 5 * 60_000;

/// Derived state kept in memory between pages by the connection that ingests. A page changes it
/// in place; when the page's transaction fails it is dropped whole, so it never holds what the
/// file does not.
#[derive(Debug, Default)]
pub(crate) struct DerivedCache {
    /// Boxed: a `WorkerState` is ~340 bytes, and a table of 20,000 of them inline was 12 MiB
    /// (and twice that while it grew), most of the connector's heap at that scale.
    workers: HashMap<String, Box<WorkerState>>,
    tasks: TaskMemory,
    /// `meta.derived_generation` after our last page: another connection's ingest (the webhook
    /// writer's, a `replay`'s) moves it. Not `PRAGMA data_version`: that moves with every write
    /// of any connection, and the pushers write after almost every page.
    generation: Option<i64>,
}

/// At most this many task hashes are kept; beyond, the map starts again (a task is then written
/// once more, which changes nothing).
const MAX_TASK_HASHES: usize = 200_000;

/// At most this many tasks not yet over are kept folded in memory (a few hundred bytes each;
/// more than a contact centre has open at once: tasks whose end never came stay until then);
/// beyond, they are forgotten and derived again from the log when their task next moves.
const MAX_OPEN_TASKS: usize = 50_000;

impl Store {
    /// Commits a page of events with everything derived from it; moves the cursor to `cursor`
    /// (when given) in the same transaction.
    pub fn ingest(
        &mut self,
        events: &[AcdEvent],
        cursor: Option<Millis>,
        ctx: &DeriveContext,
        now_ms: Millis,
    ) -> Result<IngestOutcome, StoreError> {
        let path = self.path.clone();
        if self.cache.tasks.hashes.len() > MAX_TASK_HASHES {
            self.cache.tasks.hashes.clear();
        }
        if self.cache.tasks.progress.len() > MAX_OPEN_TASKS {
            self.cache.tasks.progress.clear();
        }
        let tx = self.conn.transaction().map_err(|e| wrap(&path, e))?;
        let result = next_generation(&tx).and_then(|generation| {
            // Another connection ingested since our last page: what we hold may be stale.
            if self.cache.generation != Some(generation - 1) {
                self.cache = DerivedCache::default();
            }
            let out = ingest_tx(&tx, events, cursor, ctx, now_ms, &mut self.cache)?;
            Ok((generation, out))
        });
        match result.and_then(|r| tx.commit().map_err(sq).map(|()| r)) {
            Ok((generation, out)) => {
                self.cache.generation = Some(generation);
                Ok(out)
            }
            Err(e) => {
                self.cache = DerivedCache::default();
                Err(match e {
                    StoreError::Sqlite { source, .. } => wrap(&path, source),
                    other => other,
                })
            }
        }
    }
}

/// Counts the pages ingested into the file, by any connection (`meta.derived_generation`), in
/// the page's transaction; returns the count with this page. Its first statement, a write, so the
/// transaction holds the write lock from the start.
fn next_generation(tx: &Transaction<'_>) -> Result<i64, StoreError> {
    tx.prepare_cached(
        "INSERT INTO meta (key, value) VALUES ('derived_generation', '1')
         ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1
         RETURNING CAST(value AS INTEGER)",
    )
    .map_err(sq)?
    .query_row([], |r| r.get(0))
    .map_err(sq)
}

pub(super) fn sq(e: rusqlite::Error) -> StoreError {
    StoreError::Sqlite {
        path: String::new(),
        source: e,
    }
}

fn ingest_tx(
    tx: &Transaction<'_>,
    events: &[AcdEvent],
    cursor: Option<Millis>,
    ctx: &DeriveContext,
    now_ms: Millis,
    cache: &mut DerivedCache,
) -> Result<IngestOutcome, StoreError> {
    let mut out = IngestOutcome::default();
    // Keyed by text borrowed from the events (an event's sids are in its data as received).
    let mut by_worker: BTreeMap<Cow<'_, str>, Vec<&AcdEvent>> = BTreeMap::new();
    let mut tasks: BTreeMap<Cow<'_, str>, Vec<&AcdEvent>> = BTreeMap::new();
    {
        let mut insert = tx
            .prepare_cached(
                "INSERT OR IGNORE INTO acd_events
                 (sid, event_type, event_ms, worker_sid, task_sid, resource_sid, resource_type, data, ingested_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )
            .map_err(sq)?;
        let mut quarantine = tx
            .prepare_cached(
                "INSERT OR IGNORE INTO quarantined_events (sid, event_type, event_ms, data, ingested_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .map_err(sq)?;
        for ev in events {
            // The `event_data` text as received: stored, never re-serialised.
            let data = ev.data.as_json();
            if ev.event_ms > ctx.accept_until {
                out.quarantined += quarantine
                    .execute(params![ev.sid, ev.event_type, ev.event_ms, data, now_ms])
                    .map_err(sq)?;
                continue;
            }
            let worker = worker_of(ev);
            let task = ev.data.text("task_sid").filter(|s| !s.is_empty());
            let inserted = insert
                .execute(params![
                    ev.sid,
                    ev.event_type,
                    ev.event_ms,
                    worker,
                    task,
                    ev.resource_sid,
                    ev.resource_type,
                    data,
                    now_ms
                ])
                .map_err(sq)?;
            if inserted == 0 {
                out.duplicates += 1;
                continue;
            }
            out.new_events += 1;
            if let Some(w) = worker {
                by_worker.entry(w).or_default().push(ev);
            }
            if let Some(t) = task {
                tasks.entry(t).or_default().push(ev);
            }
        }
    }

    let mut queued: Vec<AgentStateRecord> = Vec::new();
    for (worker_sid, mut evs) in by_worker {
        evs.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
        // Its state is taken out of memory and put back under the same key (no copy of it).
        let (key, known) = match cache.workers.remove_entry(worker_sid.as_ref()) {
            Some((key, state)) => (key, Some(state)),
            None => (
                worker_sid.to_string(),
                workers::load(tx, &worker_sid)?.map(Box::new),
            ),
        };
        let (state, rederived) =
            workers::derive(tx, &key, known.map(|s| *s), &evs, ctx, &mut queued)?;
        if rederived {
            out.rederived_workers += 1;
        }
        if let Some(state) = state {
            cache.workers.insert(key, Box::new(state));
        }
    }

    // A catch-up after a very long gap: history only for what began too long ago.
    let before = queued.len();
    queued.retain(|r| r.state_start_ms >= ctx.rta_not_before);
    out.states_too_old = before - queued.len();
    // Never under a fallback id: a worker whose configured identity is unknown is skipped.
    queued.retain(|r| {
        if r.agent_id.is_empty() {
            out.unidentified_workers.insert(r.worker_sid.clone());
        }
        !r.agent_id.is_empty()
    });
    // Real time in ACD order across the page.
    queued.sort_by(|a, b| (a.state_start_ms, &a.event_id).cmp(&(b.state_start_ms, &b.event_id)));
    out.states_queued += super::outbox::queue_states(tx, &queued, now_ms)?;

    for (task_sid, new) in &tasks {
        if tasks::derive_one(tx, task_sid, new, ctx, &mut cache.tasks)? {
            out.tasks_derived += 1;
        }
    }

    if let Some(c) = cursor {
        tx.execute(
            "INSERT INTO meta(key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![META_CURSOR, c.to_string()],
        )
        .map_err(sq)?;
    }
    Ok(out)
}

/// Reads a stored event back. Stored `data` was written by us; if it is unreadable the event
/// folds with empty data rather than failing the page.
pub(crate) fn row_to_event(r: &rusqlite::Row<'_>) -> rusqlite::Result<AcdEvent> {
    let data: String = r.get(5)?;
    Ok(AcdEvent {
        sid: r.get(0)?,
        event_type: r.get(1)?,
        event_ms: r.get(2)?,
        resource_sid: r.get(3)?,
        resource_type: r.get(4)?,
        data: EventData::from_json(&data).unwrap_or_default(),
    })
}

#[cfg(test)]
#[path = "ingest_tests.rs"]
mod tests;
