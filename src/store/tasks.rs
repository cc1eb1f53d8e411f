//! Tasks and reservations in the buffer: derived whenever one of the task's events arrives —
//! folded on in memory ([`TaskProgress`]) while its events come in order, else again from all
//! its stored events (late ones included) — and written only when the record changed. Reports
//! read them (`store::reports`).
//!
//! Why only on change: a task's events touch it several times a page during a catch-up, most of
//! them changing nothing a report reads (an Activity event that carries the task's sid, a second
//! event of one reservation), and a row keyed by a random task sid costs a page write.

use super::StoreError;
use super::ingest::{row_to_event, sq};
use crate::derive::agent::DeriveContext;
use crate::derive::task::TaskProgress;
use crate::model::{AcdEvent, Millis};
use rusqlite::{OptionalExtension, Transaction, params};
use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

fn hash_of<T: Hash + ?Sized>(value: &T) -> u64 {
    let mut h = DefaultHasher::new();
    value.hash(&mut h);
    h.finish()
}

/// What is kept in memory about tasks between pages.
#[derive(Debug, Default)]
pub(super) struct TaskMemory {
    /// Per row last written, a hash of it: tasks and reservations, by sid.
    pub hashes: RowHashes,
    /// Per task seen since the start and not yet over, its events folded so far.
    pub progress: HashMap<String, TaskProgress>,
}

/// Hashes of the task and reservation rows last written, by sid.
#[derive(Debug, Default)]
pub(super) struct RowHashes {
    tasks: HashMap<String, u64>,
    reservations: HashMap<String, u64>,
}

impl RowHashes {
    pub fn len(&self) -> usize {
        self.tasks.len() + self.reservations.len()
    }

    pub fn clear(&mut self) {
        self.tasks.clear();
        self.reservations.clear();
    }
}

/// Records `h` as `sid`'s row hash in `map`; whether it differs from the one recorded (then the
/// row is to be written). The sid is copied only the first time.
fn changed(map: &mut HashMap<String, u64>, sid: &str, h: u64) -> bool {
    match map.get_mut(sid) {
        Some(old) if *old == h => false,
        Some(old) => {
            *old = h;
            true
        }
        None => {
            map.insert(sid.to_string(), h);
            true
        }
    }
}

/// Derives one task (`new`: this page's events of it, already in the log) and writes what
/// changed. Returns whether a record was derived.
///
/// A task in memory whose new events come after all it has folded folds only those; otherwise
/// (a late event, or after a start) it is derived again from all its stored events.
pub(super) fn derive_one(
    tx: &Transaction<'_>,
    task_sid: &str,
    new: &[&AcdEvent],
    ctx: &DeriveContext,
    memory: &mut TaskMemory,
) -> Result<bool, StoreError> {
    let mode = &ctx.agent_id_mode;
    let known = memory
        .progress
        .remove(task_sid)
        .and_then(|mut p| p.extend(new, mode).then_some(p));
    let progress = match known {
        Some(p) => p,
        None => {
            let stored = stored_events(tx, task_sid, new)?;
            let refs: Vec<&AcdEvent> = match &stored {
                Some(events) => events.iter().collect(),
                None => new.to_vec(),
            };
            match TaskProgress::start(&refs, mode) {
                Some(p) => p,
                None => return Ok(false),
            }
        }
    };
    let d = progress.derivation(&ctx.media, mode);
    // Ended with every reservation over: later events are rare (late ones), read from the log.
    let over = d.task.ended_ms.is_some() && d.reservations.iter().all(|r| r.outcome_ms.is_some());
    let first_ms = progress.first_ms();
    if !over {
        memory.progress.insert(task_sid.to_string(), progress);
    }
    // Reports read only tasks that ended (`tasks_ended_in`); while a task is open its row is
    // there for `first_ms`, where the log is read from when the task is not in memory. So an
    // open task is written when first seen and when `first_ms` moves (a late event), and in
    // full once it ends: not again in each window it moves in (BENCHMARKS.md "Ingest").
    let ended = d.task.ended_ms.is_some();
    let record = ended.then(|| serde_json::to_string(&d.task)).transpose()?;
    let fingerprint = match &record {
        Some(json) => hash_of(json.as_str()),
        None => hash_of(&("open", first_ms)),
    };
    if changed(&mut memory.hashes.tasks, &d.task.task_sid, fingerprint) {
        let record = match record {
            Some(json) => json,
            None => serde_json::to_string(&d.task)?,
        };
        tx.prepare_cached(
            "INSERT INTO tasks (task_sid, ended_ms, record, first_ms) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (task_sid) DO UPDATE SET ended_ms = excluded.ended_ms,
                 record = excluded.record, first_ms = excluded.first_ms",
        )
        .map_err(sq)?
        .execute(params![d.task.task_sid, d.task.ended_ms, record, first_ms])
        .map_err(sq)?;
    }
    let mut ins = tx
        .prepare_cached(
            "INSERT INTO reservations (reservation_sid, task_sid, created_ms, outcome_ms, record)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (reservation_sid) DO UPDATE SET task_sid = excluded.task_sid,
                 created_ms = excluded.created_ms, outcome_ms = excluded.outcome_ms,
                 record = excluded.record",
        )
        .map_err(sq)?;
    for r in &d.reservations {
        let record = serde_json::to_string(r)?;
        if changed(
            &mut memory.hashes.reservations,
            &r.reservation_sid,
            hash_of(record.as_str()),
        ) {
            ins.execute(params![
                r.reservation_sid,
                r.task_sid,
                r.created_ms,
                r.outcome_ms,
                record
            ])
            .map_err(sq)?;
        }
    }
    if over {
        // Its hashes go with it (a late event rewrites it once more, which changes nothing):
        // memory holds the tasks in progress, not a day of them.
        memory.hashes.tasks.remove(&d.task.task_sid);
        for r in &d.reservations {
            memory.hashes.reservations.remove(&r.reservation_sid);
        }
    }
    Ok(true)
}

/// A task's events when they are not in memory (after a start, or once it was over): `None`
/// when the task has no row yet (every task derived has one: its events are this page's), else
/// the log read by time from the task's first event (the log has no index by task: see
/// `store::ingest`).
fn stored_events(
    tx: &Transaction<'_>,
    task_sid: &str,
    new: &[&AcdEvent],
) -> Result<Option<Vec<AcdEvent>>, StoreError> {
    let first_ms: Option<Millis> = tx
        .prepare_cached("SELECT first_ms FROM tasks WHERE task_sid = ?1")
        .map_err(sq)?
        .query_row([task_sid], |r| r.get(0))
        .optional()
        .map_err(sq)?;
    let Some(first_ms) = first_ms else {
        return Ok(None);
    };
    // This page's events are in the log already; a late one may be older than `first_ms`.
    let from = new.iter().map(|e| e.event_ms).fold(first_ms, Millis::min);
    let mut stmt = tx
        .prepare_cached(
            "SELECT sid, event_type, event_ms, resource_sid, resource_type, data FROM acd_events
             WHERE event_ms >= ?2 AND task_sid = ?1",
        )
        .map_err(sq)?;
    stmt.query_map(params![task_sid, from], row_to_event)
        .map_err(sq)?
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
        .map_err(sq)
}
