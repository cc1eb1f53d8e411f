//! The re-derivation of one worker after a late event: back to the checkpoint of the segment
//! the event falls in, then every later event of the worker again (`store::workers::derive`).

use super::StoreError;
use super::ingest::{row_to_event, sq};
use super::workers::effective;
use crate::derive::agent::WorkerDerivation;
use crate::derive::segments::{Head, WorkerState};
use crate::model::{AcdEvent, Millis};
use rusqlite::{OptionalExtension, Transaction, params};

/// A segment as `segment_log` or the worker's row holds it, with its checkpoint.
type Stored = (Head, String, String);

/// Undoes a worker's derivation back to the last checkpoint before `late`, and returns the
/// stored events to fold again (the late ones included: they are already in the log).
///
/// The checkpoint is that of the segment the late event falls in: the worker's open segment, or
/// the closed one that ends at or after it (found by `segment_log`'s end index: segments of a
/// worker are contiguous, so it is the last of the worker's segments ending at or after the late
/// event that starts before it). That segment is open again (moved to the worker's row); those
/// after it are deleted. The events are read by time from the checkpoint on (the log has no index
/// by worker: see `store::ingest`), so the cost is the log since the checkpoint — the start of
/// the segment the late event falls in, usually minutes.
pub(super) fn rewind(
    tx: &Transaction<'_>,
    worker_sid: &str,
    late: &AcdEvent,
    old: WorkerState,
) -> Result<(WorkerState, Vec<AcdEvent>), StoreError> {
    let key = (late.event_ms, late.sid.as_str());
    let open_before = old
        .head
        .as_ref()
        .filter(|h| (h.start_ms, h.event_sid.as_str()) < key);
    let ck: Option<Stored> = match open_before {
        Some(h) => {
            let checkpoint: Option<String> = tx
                .prepare_cached("SELECT seg_checkpoint FROM workers WHERE worker_sid = ?1")
                .map_err(sq)?
                .query_row([worker_sid], |r| r.get(0))
                .optional()
                .map_err(sq)?
                .flatten();
            checkpoint.map(|c| (h.clone(), String::new(), c))
        }
        None => closed_before(tx, worker_sid, late)?,
    };
    let from_ms = ck.as_ref().map_or(late.event_ms, |c| c.0.start_ms);
    let from_sid = ck.as_ref().map_or("", |c| c.0.event_sid.as_str());
    // The reopened segment (`>=`) and every later one leave the log.
    tx.prepare_cached(
        "DELETE FROM segment_log WHERE end_ms >= ?2 AND worker_sid = ?1
         AND (start_ms > ?2 OR (start_ms = ?2 AND event_sid >= ?3))",
    )
    .map_err(sq)?
    .execute(params![worker_sid, from_ms, from_sid])
    .map_err(sq)?;
    let (derivation, head) = match ck {
        Some((head, agent_id, checkpoint)) => {
            if open_before.is_none() {
                tx.prepare_cached(
                    "UPDATE workers SET state_start_ms = ?2, state_event_id = ?3, state = ?4,
                         reason = ?5, media = ?6, seg_agent_id = ?7, seg_checkpoint = ?8
                     WHERE worker_sid = ?1",
                )
                .map_err(sq)?
                .execute(params![
                    worker_sid,
                    head.start_ms,
                    head.event_sid,
                    head.eff.state.as_str(),
                    head.eff.reason_code,
                    head.eff.media_type,
                    agent_id,
                    checkpoint
                ])
                .map_err(sq)?;
            }
            let derivation: WorkerDerivation = serde_json::from_str(&checkpoint)?;
            (derivation, Some(head))
        }
        None => {
            tx.prepare_cached(
                "UPDATE workers SET seg_agent_id = NULL, seg_checkpoint = NULL WHERE worker_sid = ?1",
            )
            .map_err(sq)?
            .execute([worker_sid])
            .map_err(sq)?;
            (WorkerDerivation::default(), None)
        }
    };
    let (from_ms, from_sid) = head
        .as_ref()
        .map(|h| (h.start_ms, h.event_sid.clone()))
        .unwrap_or((Millis::MIN, String::new()));
    let mut stmt = tx
        .prepare_cached(
            "SELECT sid, event_type, event_ms, resource_sid, resource_type, data FROM acd_events
             WHERE event_ms >= ?2 AND worker_sid = ?1 AND (event_ms > ?2 OR sid > ?3)
             ORDER BY event_ms, sid",
        )
        .map_err(sq)?;
    let replay = stmt
        .query_map(params![worker_sid, from_ms, from_sid], row_to_event)
        .map_err(sq)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(sq)?;
    Ok((
        WorkerState {
            derivation,
            last: (from_ms, from_sid),
            head,
            rta: old.rta,
        },
        replay,
    ))
}

/// The worker's closed segment that the late event falls in: the last one starting before it,
/// among those ending at or after it.
fn closed_before(
    tx: &Transaction<'_>,
    worker_sid: &str,
    late: &AcdEvent,
) -> Result<Option<Stored>, StoreError> {
    tx.prepare_cached(
        "SELECT start_ms, event_sid, state, reason, media, agent_id, checkpoint FROM segment_log
         WHERE end_ms >= ?2 AND worker_sid = ?1
           AND (start_ms < ?2 OR (start_ms = ?2 AND event_sid < ?3))
         ORDER BY start_ms DESC, event_sid DESC LIMIT 1",
    )
    .map_err(sq)?
    .query_row(params![worker_sid, late.event_ms, late.sid], |r| {
        let state: String = r.get(2)?;
        Ok((
            Head {
                start_ms: r.get(0)?,
                event_sid: r.get(1)?,
                eff: effective(&state, r.get(3)?, r.get(4)?),
            },
            r.get(5)?,
            r.get(6)?,
        ))
    })
    .optional()
    .map_err(sq)
}
