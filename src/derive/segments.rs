//! The segment and real-time rules (SPEC §4, §7): one worker's state + its events, in order →
//! the segment operations and the real-time records they imply. Pure: no I/O. The store
//! (`store::ingest`) keeps a [`WorkerState`] per worker in memory, hands each page's events here,
//! and applies the [`SegmentOp`]s and queues the [`AgentStateRecord`]s in the page's
//! transaction.
//!
//! - A **segment** opens at every change of effective state and closes when the next one opens;
//!   its checkpoint is the worker's derivation right after the event that opened it (the point a
//!   late event re-derives from).
//! - **Real time** takes a state only if it is newer than the last one queued for that agent: a
//!   late, older event never overwrites the present. After a re-derivation, if the present differs
//!   from what real time was told, [`correct_rta`] queues one correction, stamped with the time of
//!   the last record real time saw (so WFM sees each agent's states in order), with an id derived
//!   from both events.

use super::agent::{DeriveContext, EffectiveState, WorkerDerivation};
use crate::ids::stable_id;
use crate::model::{AcdEvent, AgentStateRecord, Millis};

/// The open segment: where it starts and what it says.
#[derive(Debug, Clone, PartialEq)]
pub struct Head {
    pub start_ms: Millis,
    pub event_sid: String,
    pub eff: EffectiveState,
}

/// The last record queued for real time.
#[derive(Debug, Clone, PartialEq)]
pub struct RtaMark {
    pub ms: Millis,
    pub event_id: String,
    pub eff: EffectiveState,
}

/// Everything derivation knows about one worker between pages.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkerState {
    pub derivation: WorkerDerivation,
    /// `(event_ms, sid)` of the newest event folded.
    pub last: (Millis, String),
    pub head: Option<Head>,
    pub rta: Option<RtaMark>,
}

impl Default for WorkerState {
    fn default() -> Self {
        WorkerState {
            derivation: WorkerDerivation::default(),
            last: (Millis::MIN, String::new()),
            head: None,
            rta: None,
        }
    }
}

impl WorkerState {
    /// Whether `ev` comes after every event folded so far (else it is late: re-derive).
    pub fn in_order(&self, ev: &AcdEvent) -> bool {
        (ev.event_ms, ev.sid.as_str()) > (self.last.0, self.last.1.as_str())
    }
}

/// What the store does to the `segments` table.
#[derive(Debug, Clone, PartialEq)]
pub enum SegmentOp {
    /// The segment `(start_ms, event_sid)` ends at `end_ms`.
    Close {
        start_ms: Millis,
        event_sid: String,
        end_ms: Millis,
    },
    /// A segment opens (open: no end yet), with the derivation right after its first event.
    Open {
        start_ms: Millis,
        event_sid: String,
        agent_id: String,
        eff: EffectiveState,
        checkpoint: WorkerDerivation,
    },
}

/// The output of folding one worker's events.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Derived {
    pub ops: Vec<SegmentOp>,
    pub rta: Vec<AgentStateRecord>,
}

/// Folds `events` (sorted by [`AcdEvent::order_key`]) into `state`, appending what they imply.
pub fn fold_events(
    state: &mut WorkerState,
    worker_sid: &str,
    events: &[&AcdEvent],
    ctx: &DeriveContext,
    out: &mut Derived,
) {
    for ev in events {
        fold(state, worker_sid, ev, ctx, out);
    }
}

fn fold(
    state: &mut WorkerState,
    worker_sid: &str,
    ev: &AcdEvent,
    ctx: &DeriveContext,
    out: &mut Derived,
) {
    state.derivation.apply(ev, ctx);
    if state.in_order(ev) {
        state.last = (ev.event_ms, ev.sid.clone());
    }
    let eff = state.derivation.effective(ctx);
    if state.head.as_ref().is_some_and(|h| h.eff == eff) {
        return;
    }
    let agent_id = state.derivation.agent_id(worker_sid, ctx);
    if let Some(h) = &state.head {
        out.ops.push(SegmentOp::Close {
            start_ms: h.start_ms,
            event_sid: h.event_sid.clone(),
            end_ms: ev.event_ms,
        });
    }
    out.ops.push(SegmentOp::Open {
        start_ms: ev.event_ms,
        event_sid: ev.sid.clone(),
        agent_id: agent_id.clone(),
        eff: eff.clone(),
        checkpoint: state.derivation.clone(),
    });
    state.head = Some(Head {
        start_ms: ev.event_ms,
        event_sid: ev.sid.clone(),
        eff: eff.clone(),
    });
    let newer = state
        .rta
        .as_ref()
        .is_none_or(|m| (ev.event_ms, ev.sid.as_str()) > (m.ms, m.event_id.as_str()));
    if newer {
        out.rta.push(AgentStateRecord {
            event_id: ev.sid.clone(),
            worker_sid: worker_sid.to_string(),
            agent_id,
            state: eff.state,
            reason_code: eff.reason_code.clone(),
            media_type: eff.media_type.clone(),
            state_start_ms: ev.event_ms,
        });
        state.rta = Some(RtaMark {
            ms: ev.event_ms,
            event_id: ev.sid.clone(),
            eff,
        });
    }
}

/// After a re-derivation: if the present now differs from what real time was last told, one
/// correction, stamped at the last real-time time so each agent's states stay in order at WFM.
pub fn correct_rta(
    state: &mut WorkerState,
    worker_sid: &str,
    ctx: &DeriveContext,
    out: &mut Derived,
) {
    let (Some(head), Some(mark)) = (&state.head, &state.rta) else {
        return;
    };
    if head.eff == mark.eff {
        return;
    }
    let event_id = stable_id("CR", &[&head.event_sid, &mark.event_id]);
    let ms = mark.ms.max(head.start_ms);
    out.rta.push(AgentStateRecord {
        event_id: event_id.clone(),
        worker_sid: worker_sid.to_string(),
        agent_id: state.derivation.agent_id(worker_sid, ctx),
        state: head.eff.state,
        reason_code: head.eff.reason_code.clone(),
        media_type: head.eff.media_type.clone(),
        state_start_ms: ms,
    });
    state.rta = Some(RtaMark {
        ms,
        event_id,
        eff: head.eff.clone(),
    });
}

#[cfg(test)]
#[path = "segments_tests.rs"]
mod tests;
