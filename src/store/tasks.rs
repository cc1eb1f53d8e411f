//! Tasks and reservations in the buffer: re-derived whole from the task's stored events
//! ([`crate::derive::task::derive_task`]) whenever one of its events arrives, late ones included,
//! and written only when the record changed. Reports read them (`store::reports`).
//!
//! Why only on change: a task's events touch it several times a page during a catch-up, most of
//! them changing nothing a report reads (an Activity event that carries the task's sid, a second
//! event of one reservation), and a row keyed by a random task sid costs a page write.

use super::StoreError;
use super::ingest::{row_to_event, sq};
use crate::derive::agent::DeriveContext;
use crate::derive::task::derive_task_refs;
use crate::model::{AcdEvent, Millis};
use rusqlite::{OptionalExtension, Transaction, params};
use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

fn hash_of(json: &str) -> u64 {
    let mut h = DefaultHasher::new();
    json.hash(&mut h);
    h.finish()
}

/// What is known in memory about the tasks of the page being ingested.
pub(super) struct TaskMemory<'a> {
    /// Per task, a hash of each row last written (`T` + task sid, `R` + reservation sid).
    pub hashes: &'a HashMap<String, u64>,
    /// Per task, all its stored events (tasks seen since the start, not yet ended).
    pub events: &'a HashMap<String, Vec<Arc<AcdEvent>>>,
}

/// What a page changes in [`TaskMemory`] (applied once the page is committed).
#[derive(Default)]
pub(super) struct TaskChanges {
    pub hashes: HashMap<String, u64>,
    /// A task's events after the page; `None`: forget them (ended, or nothing to keep).
    pub events: HashMap<String, Option<Vec<Arc<AcdEvent>>>>,
}

/// Re-derives one task from all its stored events (`new`: this page's, already in the log) and
/// writes what changed. Returns whether a record was derived.
pub(super) fn derive_one(
    tx: &Transaction<'_>,
    task_sid: &str,
    new: &[&AcdEvent],
    ctx: &DeriveContext,
    known: &TaskMemory<'_>,
    changes: &mut TaskChanges,
) -> Result<bool, StoreError> {
    let events: Vec<Arc<AcdEvent>> = match known.events.get(task_sid) {
        Some(cached) => cached
            .iter()
            .cloned()
            .chain(new.iter().map(|e| Arc::new((*e).clone())))
            .collect(),
        None => stored_events(tx, task_sid, new)?,
    };
    let refs: Vec<&AcdEvent> = events.iter().map(|e| e.as_ref()).collect();
    let Some(d) = derive_task_refs(&refs, &ctx.media, &ctx.agent_id_mode) else {
        return Ok(false);
    };
    // Ended with every reservation over: later events are rare (late ones), read from the log.
    let over = d.task.ended_ms.is_some() && d.reservations.iter().all(|r| r.outcome_ms.is_some());
    changes
        .events
        .insert(task_sid.to_string(), (!over).then_some(events.clone()));
    let mut changed = |key: String, json: &str| {
        let h = hash_of(json);
        let same = changes.hashes.get(&key).or_else(|| known.hashes.get(&key)) == Some(&h);
        if !same {
            changes.hashes.insert(key, h);
        }
        !same
    };
    let first_ms = refs.iter().map(|e| e.event_ms).min().unwrap_or_default();
    let record = serde_json::to_string(&d.task)?;
    if changed(format!("T{}", d.task.task_sid), &record) {
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
        if changed(format!("R{}", r.reservation_sid), &record) {
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
    Ok(true)
}

/// A task's events when they are not in memory (after a start, or once it was over): none
/// before this page if the task has no row yet (every task derived has one), else the log read
/// by time from the task's first event (the log has no index by task: see `store::ingest`).
fn stored_events(
    tx: &Transaction<'_>,
    task_sid: &str,
    new: &[&AcdEvent],
) -> Result<Vec<Arc<AcdEvent>>, StoreError> {
    let first_ms: Option<Millis> = tx
        .prepare_cached("SELECT first_ms FROM tasks WHERE task_sid = ?1")
        .map_err(sq)?
        .query_row([task_sid], |r| r.get(0))
        .optional()
        .map_err(sq)?;
    let Some(first_ms) = first_ms else {
        return Ok(new.iter().map(|e| Arc::new((*e).clone())).collect());
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
        .map(|r| r.map(Arc::new))
        .collect::<Result<Vec<_>, _>>()
        .map_err(sq)
}
