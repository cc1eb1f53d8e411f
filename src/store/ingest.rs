//! Ingestion: a page of ACD events, everything derived from it, and the cursor move, committed in
//! one SQLite transaction. A crash therefore never half-applies a page, and the cursor never
//! passes an event that is not committed.
//!
//! Per worker, events normally arrive in order and are folded incrementally. When an event is
//! older than the last one folded for its worker (a late event), the worker is **re-derived**: its
//! segments from the last checkpoint before the late event are deleted and every stored event after
//! that checkpoint is folded again, so segments come out exactly as if the events had arrived in
//! order. Real time is different: a state record goes to the RTA outbox only if it is newer than
//! the last one queued for that agent — a late, older event never overwrites the present. If the
//! re-derived present differs from what RTA was told, one correction record is queued, stamped with
//! the time of the last record RTA saw (so WFM still sees the agent's states in order) and with a
//! deterministic id derived from both events.
//!
//! Tasks are re-derived whole from their stored events whenever one of their events arrives.

use super::{META_CURSOR, Store, StoreError, wrap};
use crate::derive::agent::{DeriveContext, EffectiveState, WorkerDerivation, worker_of};
use crate::derive::task::derive_task;
use crate::ids::stable_id;
use crate::model::{AcdEvent, AgentState, AgentStateRecord, EventData, Millis};
use rusqlite::{OptionalExtension, Transaction, params};
use std::collections::{BTreeMap, BTreeSet};

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

/// The present of one segment: where it starts and what it says.
#[derive(Debug, Clone, PartialEq)]
struct Head {
    start_ms: Millis,
    event_sid: String,
    eff: EffectiveState,
}

/// The last record queued for real time.
#[derive(Debug, Clone, PartialEq)]
struct RtaMark {
    ms: Millis,
    event_id: String,
    eff: EffectiveState,
}

struct WorkerRow {
    derivation: WorkerDerivation,
    last: (Millis, String),
    head: Option<Head>,
    rta: Option<RtaMark>,
}

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
        let tx = self.conn.transaction().map_err(|e| wrap(&path, e))?;
        let out = ingest_tx(&tx, events, cursor, ctx, now_ms).map_err(|e| match e {
            StoreError::Sqlite { source, .. } => wrap(&path, source),
            other => other,
        })?;
        tx.commit().map_err(|e| wrap(&path, e))?;
        Ok(out)
    }
}

fn sq(e: rusqlite::Error) -> StoreError {
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
) -> Result<IngestOutcome, StoreError> {
    let mut out = IngestOutcome::default();
    let mut by_worker: BTreeMap<String, Vec<&AcdEvent>> = BTreeMap::new();
    let mut tasks: BTreeSet<String> = BTreeSet::new();
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
            if ev.event_ms > ctx.accept_until {
                let data = serde_json::to_string(&ev.data)?;
                out.quarantined += quarantine
                    .execute(params![ev.sid, ev.event_type, ev.event_ms, data, now_ms])
                    .map_err(sq)?;
                continue;
            }
            let worker = worker_of(ev);
            let task = ev.data.str("task_sid").filter(|s| !s.is_empty());
            let data = serde_json::to_string(&ev.data)?;
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
                tasks.insert(t);
            }
        }
    }

    let mut queued: Vec<AgentStateRecord> = Vec::new();
    for (worker_sid, mut evs) in by_worker {
        evs.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
        if derive_worker(tx, &worker_sid, &evs, ctx, &mut queued)? {
            out.rederived_workers += 1;
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

    for task_sid in &tasks {
        if derive_one_task(tx, task_sid, ctx)? {
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

/// Folds a worker's new events (sorted). Returns whether it had to re-derive.
fn derive_worker(
    tx: &Transaction<'_>,
    worker_sid: &str,
    new: &[&AcdEvent],
    ctx: &DeriveContext,
    queued: &mut Vec<AgentStateRecord>,
) -> Result<bool, StoreError> {
    let Some(first) = new.first() else {
        return Ok(false);
    };
    let row = load_worker(tx, worker_sid)?;
    let in_order = row
        .as_ref()
        .is_none_or(|r| (first.event_ms, first.sid.as_str()) > (r.last.0, r.last.1.as_str()));
    let (mut row, replay, rederived): (WorkerRow, Vec<AcdEvent>, bool) = if in_order {
        let row = row.unwrap_or(WorkerRow {
            derivation: WorkerDerivation::default(),
            last: (Millis::MIN, String::new()),
            head: None,
            rta: None,
        });
        (row, Vec::new(), false)
    } else {
        let Some(old) = row else {
            return Ok(false);
        };
        let (row, replay) = rewind(tx, worker_sid, first, old)?;
        (row, replay, true)
    };

    let to_fold: Vec<&AcdEvent> = if rederived {
        replay.iter().collect()
    } else {
        new.to_vec()
    };
    for ev in to_fold {
        fold(tx, worker_sid, ev, ctx, &mut row, queued)?;
    }

    if rederived {
        correct_rta(worker_sid, ctx, &mut row, queued);
    }
    save_worker(tx, worker_sid, ctx, &row)?;
    Ok(rederived)
}

/// Applies one event; on a change of effective state closes the open segment, opens a new one and
/// queues a real-time record if it is newer than the last one queued.
fn fold(
    tx: &Transaction<'_>,
    worker_sid: &str,
    ev: &AcdEvent,
    ctx: &DeriveContext,
    row: &mut WorkerRow,
    queued: &mut Vec<AgentStateRecord>,
) -> Result<(), StoreError> {
    row.derivation.apply(ev, ctx);
    if (ev.event_ms, ev.sid.as_str()) > (row.last.0, row.last.1.as_str()) {
        row.last = (ev.event_ms, ev.sid.clone());
    }
    let eff = row.derivation.effective(ctx);
    if row.head.as_ref().is_some_and(|h| h.eff == eff) {
        return Ok(());
    }
    let agent_id = row.derivation.agent_id(worker_sid, ctx);
    if let Some(h) = &row.head {
        tx.prepare_cached(
            "UPDATE segments SET end_ms = ?4 WHERE worker_sid = ?1 AND start_ms = ?2 AND event_sid = ?3",
        )
        .map_err(sq)?
        .execute(params![worker_sid, h.start_ms, h.event_sid, ev.event_ms])
        .map_err(sq)?;
    }
    let checkpoint = serde_json::to_string(&row.derivation)?;
    tx.prepare_cached(
        "INSERT OR REPLACE INTO segments
         (worker_sid, start_ms, event_sid, agent_id, state, reason, media, end_ms, checkpoint)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL, ?8)",
    )
    .map_err(sq)?
    .execute(params![
        worker_sid,
        ev.event_ms,
        ev.sid,
        agent_id,
        eff.state.as_str(),
        eff.reason_code,
        eff.media_type,
        checkpoint
    ])
    .map_err(sq)?;
    row.head = Some(Head {
        start_ms: ev.event_ms,
        event_sid: ev.sid.clone(),
        eff: eff.clone(),
    });
    let newer = row
        .rta
        .as_ref()
        .is_none_or(|m| (ev.event_ms, ev.sid.as_str()) > (m.ms, m.event_id.as_str()));
    if newer {
        queued.push(AgentStateRecord {
            event_id: ev.sid.clone(),
            worker_sid: worker_sid.to_string(),
            agent_id,
            state: eff.state,
            reason_code: eff.reason_code.clone(),
            media_type: eff.media_type.clone(),
            state_start_ms: ev.event_ms,
        });
        row.rta = Some(RtaMark {
            ms: ev.event_ms,
            event_id: ev.sid.clone(),
            eff,
        });
    }
    Ok(())
}

/// After a re-derivation: if the present now differs from what RTA was last told, queue one
/// correction, stamped at the last RTA time so each agent's states stay in order at WFM.
fn correct_rta(
    worker_sid: &str,
    ctx: &DeriveContext,
    row: &mut WorkerRow,
    queued: &mut Vec<AgentStateRecord>,
) {
    let (Some(head), Some(mark)) = (&row.head, &row.rta) else {
        return;
    };
    if head.eff == mark.eff {
        return;
    }
    let event_id = stable_id("CR", &[&head.event_sid, &mark.event_id]);
    let ms = mark.ms.max(head.start_ms);
    queued.push(AgentStateRecord {
        event_id: event_id.clone(),
        worker_sid: worker_sid.to_string(),
        agent_id: row.derivation.agent_id(worker_sid, ctx),
        state: head.eff.state,
        reason_code: head.eff.reason_code.clone(),
        media_type: head.eff.media_type.clone(),
        state_start_ms: ms,
    });
    row.rta = Some(RtaMark {
        ms,
        event_id,
        eff: head.eff.clone(),
    });
}

/// Undoes a worker's derivation back to the last checkpoint before `late`, and returns the
/// stored events to fold again (the late ones included: they are already in the log).
fn rewind(
    tx: &Transaction<'_>,
    worker_sid: &str,
    late: &AcdEvent,
    old: WorkerRow,
) -> Result<(WorkerRow, Vec<AcdEvent>), StoreError> {
    let ck = tx
        .prepare_cached(
            "SELECT start_ms, event_sid, state, reason, media, checkpoint FROM segments
             WHERE worker_sid = ?1 AND (start_ms < ?2 OR (start_ms = ?2 AND event_sid < ?3))
             ORDER BY start_ms DESC, event_sid DESC LIMIT 1",
        )
        .map_err(sq)?
        .query_row(params![worker_sid, late.event_ms, late.sid], |r| {
            Ok((
                r.get::<_, Millis>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, String>(5)?,
            ))
        })
        .optional()
        .map_err(sq)?;
    let (from, derivation, head) = match ck {
        Some((start_ms, event_sid, state, reason, media, checkpoint)) => {
            let derivation: WorkerDerivation = serde_json::from_str(&checkpoint)?;
            let head = Head {
                start_ms,
                event_sid: event_sid.clone(),
                eff: EffectiveState {
                    state: AgentState::parse(&state).unwrap_or(AgentState::LoggedOut),
                    reason_code: reason,
                    media_type: media,
                },
            };
            ((start_ms, event_sid), derivation, Some(head))
        }
        None => (
            (Millis::MIN, String::new()),
            WorkerDerivation::default(),
            None,
        ),
    };
    tx.prepare_cached(
        "DELETE FROM segments WHERE worker_sid = ?1 AND (start_ms > ?2 OR (start_ms = ?2 AND event_sid > ?3))",
    )
    .map_err(sq)?
    .execute(params![worker_sid, from.0, from.1])
    .map_err(sq)?;
    if let Some(h) = &head {
        tx.prepare_cached(
            "UPDATE segments SET end_ms = NULL WHERE worker_sid = ?1 AND start_ms = ?2 AND event_sid = ?3",
        )
        .map_err(sq)?
        .execute(params![worker_sid, h.start_ms, h.event_sid])
        .map_err(sq)?;
    }
    let mut stmt = tx
        .prepare_cached(
            "SELECT sid, event_type, event_ms, resource_sid, resource_type, data FROM acd_events
             WHERE worker_sid = ?1 AND (event_ms > ?2 OR (event_ms = ?2 AND sid > ?3))
             ORDER BY event_ms, sid",
        )
        .map_err(sq)?;
    let replay = stmt
        .query_map(params![worker_sid, from.0, from.1], row_to_event)
        .map_err(sq)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(sq)?;
    let last = head
        .as_ref()
        .map(|h| (h.start_ms, h.event_sid.clone()))
        .unwrap_or((Millis::MIN, String::new()));
    Ok((
        WorkerRow {
            derivation,
            last,
            head,
            rta: old.rta,
        },
        replay,
    ))
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
        data: serde_json::from_str::<EventData>(&data).unwrap_or_default(),
    })
}

fn load_worker(tx: &Transaction<'_>, worker_sid: &str) -> Result<Option<WorkerRow>, StoreError> {
    type Raw = (
        String,
        Millis,
        String,
        String,
        Option<String>,
        Option<String>,
        Millis,
        String,
        Option<Millis>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let raw: Option<Raw> = tx
        .prepare_cached(
            "SELECT derivation, last_ms, last_sid, state, reason, media, state_start_ms, state_event_id,
                    rta_ms, rta_event_id, rta_state, rta_reason, rta_media
             FROM workers WHERE worker_sid = ?1",
        )
        .map_err(sq)?
        .query_row([worker_sid], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
                r.get(8)?,
                r.get(9)?,
                r.get(10)?,
                r.get(11)?,
                r.get(12)?,
            ))
        })
        .optional()
        .map_err(sq)?;
    let Some((
        der,
        last_ms,
        last_sid,
        state,
        reason,
        media,
        start,
        sev,
        rms,
        rid,
        rstate,
        rreason,
        rmedia,
    )) = raw
    else {
        return Ok(None);
    };
    let rta = match (rms, rid, rstate) {
        (Some(ms), Some(event_id), Some(st)) => Some(RtaMark {
            ms,
            event_id,
            eff: EffectiveState {
                state: AgentState::parse(&st).unwrap_or(AgentState::LoggedOut),
                reason_code: rreason,
                media_type: rmedia,
            },
        }),
        _ => None,
    };
    Ok(Some(WorkerRow {
        derivation: serde_json::from_str(&der)?,
        last: (last_ms, last_sid),
        head: Some(Head {
            start_ms: start,
            event_sid: sev,
            eff: EffectiveState {
                state: AgentState::parse(&state).unwrap_or(AgentState::LoggedOut),
                reason_code: reason,
                media_type: media,
            },
        }),
        rta,
    }))
}

fn save_worker(
    tx: &Transaction<'_>,
    worker_sid: &str,
    ctx: &DeriveContext,
    row: &WorkerRow,
) -> Result<(), StoreError> {
    let Some(head) = &row.head else {
        return Ok(());
    };
    let rta = row.rta.as_ref();
    tx.prepare_cached(
        "INSERT OR REPLACE INTO workers
         (worker_sid, agent_id, derivation, last_ms, last_sid, state, reason, media, state_start_ms,
          state_event_id, rta_ms, rta_event_id, rta_state, rta_reason, rta_media)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    )
    .map_err(sq)?
    .execute(params![
        worker_sid,
        row.derivation.agent_id(worker_sid, ctx),
        serde_json::to_string(&row.derivation)?,
        row.last.0,
        row.last.1,
        head.eff.state.as_str(),
        head.eff.reason_code,
        head.eff.media_type,
        head.start_ms,
        head.event_sid,
        rta.map(|m| m.ms),
        rta.map(|m| m.event_id.as_str()),
        rta.map(|m| m.eff.state.as_str()),
        rta.and_then(|m| m.eff.reason_code.as_deref()),
        rta.and_then(|m| m.eff.media_type.as_deref()),
    ])
    .map_err(sq)?;
    Ok(())
}

/// Re-derives one task from all its stored events. Returns whether a record was written.
fn derive_one_task(
    tx: &Transaction<'_>,
    task_sid: &str,
    ctx: &DeriveContext,
) -> Result<bool, StoreError> {
    let mut stmt = tx
        .prepare_cached(
            "SELECT sid, event_type, event_ms, resource_sid, resource_type, data FROM acd_events
             WHERE task_sid = ?1",
        )
        .map_err(sq)?;
    let events = stmt
        .query_map([task_sid], row_to_event)
        .map_err(sq)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(sq)?;
    let Some(d) = derive_task(&events, &ctx.media, &ctx.agent_id_mode) else {
        return Ok(false);
    };
    tx.prepare_cached(
        "INSERT OR REPLACE INTO tasks (task_sid, ended_ms, record) VALUES (?1, ?2, ?3)",
    )
    .map_err(sq)?
    .execute(params![
        d.task.task_sid,
        d.task.ended_ms,
        serde_json::to_string(&d.task)?
    ])
    .map_err(sq)?;
    let mut ins = tx
        .prepare_cached(
            "INSERT OR REPLACE INTO reservations (reservation_sid, task_sid, created_ms, outcome_ms, record)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .map_err(sq)?;
    for r in &d.reservations {
        ins.execute(params![
            r.reservation_sid,
            r.task_sid,
            r.created_ms,
            r.outcome_ms,
            serde_json::to_string(r)?
        ])
        .map_err(sq)?;
    }
    Ok(true)
}
