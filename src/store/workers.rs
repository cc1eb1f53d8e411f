//! One worker's derived state in the buffer: the `workers` row (its state between pages and its
//! present, which snapshots read) and its `segments` (the rows `store::ingest` applies from
//! [`crate::derive::segments`]); and the re-derivation after a late event.

use super::StoreError;
use super::ingest::{row_to_event, sq};
use crate::derive::agent::{DeriveContext, EffectiveState, WorkerDerivation};
use crate::derive::segments::{
    Derived, Head, RtaMark, SegmentOp, WorkerState, correct_rta, fold_events,
};
use crate::model::{AcdEvent, AgentState, AgentStateRecord, Millis};
use rusqlite::{OptionalExtension, Transaction, params};

/// Folds a worker's new events (sorted) into `known` (its state before the page, if any) and
/// writes what they derive. Returns the state after the page (none: nothing known and nothing
/// to derive) and whether it had to re-derive.
pub(super) fn derive(
    tx: &Transaction<'_>,
    worker_sid: &str,
    known: Option<WorkerState>,
    new: &[&AcdEvent],
    ctx: &DeriveContext,
    queued: &mut Vec<AgentStateRecord>,
) -> Result<(Option<WorkerState>, bool), StoreError> {
    let Some(first) = new.first() else {
        return Ok((known, false));
    };
    let mut out = Derived::default();
    let (state, rederived) = match known {
        Some(old) if !old.in_order(first) => {
            let (mut state, replay) = rewind(tx, worker_sid, first, old)?;
            let refs: Vec<&AcdEvent> = replay.iter().collect();
            fold_events(&mut state, worker_sid, &refs, ctx, &mut out);
            correct_rta(&mut state, worker_sid, ctx, &mut out);
            (state, true)
        }
        known => {
            let mut state = known.unwrap_or_default();
            fold_events(&mut state, worker_sid, new, ctx, &mut out);
            (state, false)
        }
    };
    apply(tx, worker_sid, &out.ops)?;
    queued.extend(out.rta);
    save(tx, worker_sid, ctx, &state)?;
    Ok((Some(state), rederived))
}

/// Applies segment operations to the `segments` table.
fn apply(tx: &Transaction<'_>, worker_sid: &str, ops: &[SegmentOp]) -> Result<(), StoreError> {
    for op in ops {
        match op {
            SegmentOp::Close {
                start_ms,
                event_sid,
                end_ms,
            } => {
                tx.prepare_cached(
                    "UPDATE segments SET end_ms = ?4
                     WHERE worker_sid = ?1 AND start_ms = ?2 AND event_sid = ?3",
                )
                .map_err(sq)?
                .execute(params![worker_sid, start_ms, event_sid, end_ms])
                .map_err(sq)?;
            }
            SegmentOp::Open {
                start_ms,
                event_sid,
                agent_id,
                eff,
                checkpoint,
            } => {
                tx.prepare_cached(
                    "INSERT OR REPLACE INTO segments
                     (worker_sid, start_ms, event_sid, agent_id, state, reason, media, end_ms, checkpoint)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL, ?8)",
                )
                .map_err(sq)?
                .execute(params![
                    worker_sid,
                    start_ms,
                    event_sid,
                    agent_id,
                    eff.state.as_str(),
                    eff.reason_code,
                    eff.media_type,
                    serde_json::to_string(checkpoint)?
                ])
                .map_err(sq)?;
            }
        }
    }
    Ok(())
}

/// Undoes a worker's derivation back to the last checkpoint before `late`, and returns the
/// stored events to fold again (the late ones included: they are already in the log).
///
/// The events are read by time from the checkpoint on (the log has no index by worker: see
/// `store::ingest`), so the cost is the log since the checkpoint — the start of the segment the
/// late event falls in, usually minutes.
fn rewind(
    tx: &Transaction<'_>,
    worker_sid: &str,
    late: &AcdEvent,
    old: WorkerState,
) -> Result<(WorkerState, Vec<AcdEvent>), StoreError> {
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
                eff: effective(&state, reason, media),
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
             WHERE event_ms >= ?2 AND worker_sid = ?1 AND (event_ms > ?2 OR sid > ?3)
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
        WorkerState {
            derivation,
            last,
            head,
            rta: old.rta,
        },
        replay,
    ))
}

fn effective(
    state: &str,
    reason_code: Option<String>,
    media_type: Option<String>,
) -> EffectiveState {
    EffectiveState {
        state: AgentState::parse(state).unwrap_or(AgentState::LoggedOut),
        reason_code,
        media_type,
    }
}

/// A worker's state as the `workers` row holds it (first use after a start).
pub(super) fn load(
    tx: &Transaction<'_>,
    worker_sid: &str,
) -> Result<Option<WorkerState>, StoreError> {
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
            eff: effective(&st, rreason, rmedia),
        }),
        _ => None,
    };
    Ok(Some(WorkerState {
        derivation: serde_json::from_str(&der)?,
        last: (last_ms, last_sid),
        head: Some(Head {
            start_ms: start,
            event_sid: sev,
            eff: effective(&state, reason, media),
        }),
        rta,
    }))
}

/// Writes a worker's state after a page (once per page, whatever the number of its events).
fn save(
    tx: &Transaction<'_>,
    worker_sid: &str,
    ctx: &DeriveContext,
    state: &WorkerState,
) -> Result<(), StoreError> {
    let Some(head) = &state.head else {
        return Ok(());
    };
    let rta = state.rta.as_ref();
    tx.prepare_cached(
        "INSERT OR REPLACE INTO workers
         (worker_sid, agent_id, derivation, last_ms, last_sid, state, reason, media, state_start_ms,
          state_event_id, rta_ms, rta_event_id, rta_state, rta_reason, rta_media)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    )
    .map_err(sq)?
    .execute(params![
        worker_sid,
        state.derivation.agent_id(worker_sid, ctx),
        serde_json::to_string(&state.derivation)?,
        state.last.0,
        state.last.1,
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
