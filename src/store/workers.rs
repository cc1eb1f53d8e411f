//! One worker's derived state in the buffer: the `workers` row (its state between pages, its
//! present, which snapshots read, and its open segment) and its closed segments in `segment_log`
//! (appended as [`crate::derive::segments`] closes them); and the re-derivation after a late
//! event. Readers see both through the `segments` view.

use super::StoreError;
use super::ingest::sq;
use crate::derive::agent::{DeriveContext, EffectiveState};
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
            let (mut state, replay) = super::rewind::rewind(tx, worker_sid, first, old)?;
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
    let open = apply(tx, worker_sid, &out.ops)?;
    queued.extend(out.rta);
    save(tx, worker_sid, ctx, &state, open)?;
    Ok((Some(state), rederived))
}

/// The segment a page opened last (still open after it): written to the worker's row.
struct Opened<'a> {
    agent_id: &'a str,
    checkpoint: String,
}

/// Applies segment operations: a closed segment is appended to `segment_log` — from the page's
/// own `Open` when the page opened it, else from the worker's row, which holds the segment open
/// before the page. Returns the segment left open, if the page opened one.
fn apply<'a>(
    tx: &Transaction<'_>,
    worker_sid: &str,
    ops: &'a [SegmentOp],
) -> Result<Option<Opened<'a>>, StoreError> {
    let mut open: Option<&'a SegmentOp> = None;
    for op in ops {
        let SegmentOp::Close {
            start_ms,
            event_sid,
            end_ms,
        } = op
        else {
            open = Some(op);
            continue;
        };
        match open.take() {
            Some(SegmentOp::Open {
                start_ms: s,
                event_sid: e,
                agent_id,
                eff,
                checkpoint,
            }) if s == start_ms && e == event_sid => {
                tx.prepare_cached(
                    "INSERT INTO segment_log
                     (worker_sid, start_ms, event_sid, agent_id, state, reason, media, end_ms, checkpoint)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
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
                    end_ms,
                    serde_json::to_string(checkpoint)?
                ])
                .map_err(sq)?;
            }
            _ => {
                tx.prepare_cached(
                    "INSERT INTO segment_log
                     (worker_sid, start_ms, event_sid, agent_id, state, reason, media, end_ms, checkpoint)
                     SELECT worker_sid, state_start_ms, state_event_id, seg_agent_id, state, reason, media,
                            ?4, seg_checkpoint
                     FROM workers
                     WHERE worker_sid = ?1 AND state_start_ms = ?2 AND state_event_id = ?3
                       AND seg_checkpoint IS NOT NULL",
                )
                .map_err(sq)?
                .execute(params![worker_sid, start_ms, event_sid, end_ms])
                .map_err(sq)?;
            }
        }
    }
    match open {
        Some(SegmentOp::Open {
            agent_id,
            checkpoint,
            ..
        }) => Ok(Some(Opened {
            agent_id,
            checkpoint: serde_json::to_string(checkpoint)?,
        })),
        _ => Ok(None),
    }
}

pub(super) fn effective(
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

/// Writes a worker's state after a page (once per page, whatever the number of its events), and
/// the segment it left open when the page opened one (else the row keeps the one it had).
fn save(
    tx: &Transaction<'_>,
    worker_sid: &str,
    ctx: &DeriveContext,
    state: &WorkerState,
    opened: Option<Opened<'_>>,
) -> Result<(), StoreError> {
    let Some(head) = &state.head else {
        return Ok(());
    };
    let rta = state.rta.as_ref();
    tx.prepare_cached(
        "INSERT INTO workers
         (worker_sid, agent_id, derivation, last_ms, last_sid, state, reason, media, state_start_ms,
          state_event_id, rta_ms, rta_event_id, rta_state, rta_reason, rta_media, seg_agent_id,
          seg_checkpoint)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)
         ON CONFLICT (worker_sid) DO UPDATE SET agent_id = excluded.agent_id,
             derivation = excluded.derivation, last_ms = excluded.last_ms,
             last_sid = excluded.last_sid, state = excluded.state, reason = excluded.reason,
             media = excluded.media, state_start_ms = excluded.state_start_ms,
             state_event_id = excluded.state_event_id, rta_ms = excluded.rta_ms,
             rta_event_id = excluded.rta_event_id, rta_state = excluded.rta_state,
             rta_reason = excluded.rta_reason, rta_media = excluded.rta_media,
             seg_agent_id = coalesce(excluded.seg_agent_id, seg_agent_id),
             seg_checkpoint = coalesce(excluded.seg_checkpoint, seg_checkpoint)",
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
        opened.as_ref().map(|o| o.agent_id),
        opened.as_ref().map(|o| o.checkpoint.as_str()),
    ])
    .map_err(sq)?;
    Ok(())
}
