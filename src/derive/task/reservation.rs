//! One reservation (an offer of the task to one worker): its `reservation.*` events folded into a
//! [`ReservationRecord`]. The task-level consequences of an acceptance (who holds the task,
//! transfers) are decided by the parent module.
//!
//! - The first outcome wins: `accepted`, `rejected`, `timeout`, `canceled`/`rescinded` (both
//!   `Canceled`: TaskRouter withdrew the offer, not the agent), `failed` (`Failed`: TaskRouter
//!   could not assign it; the reservation is over, like a rejection, and the task is routed
//!   again). Later outcome events are ignored.
//! - `wrapup` or `completed` while still pending means the acceptance was not seen: it counts as
//!   accepted at that moment.
//! - `created_ms` is `reservation.created`, else the reservation's first event.
//! - Worker name and attributes: the last ones seen; the queue: the first one named.

use crate::config::AgentIdMode;
use crate::derive::agent_id;
use crate::model::{AcdEvent, Millis, ReservationOutcome, ReservationRecord};

/// What has been read of one reservation so far.
#[derive(Debug, Clone, Default)]
pub(super) struct ReservationFold {
    pub(super) worker_sid: Option<String>,
    worker_name: Option<String>,
    worker_attributes: Option<String>,
    pub(super) queue_sid: Option<String>,
    created_ms: Option<Millis>,
    first_ms: Millis,
    pub(super) outcome: Option<(ReservationOutcome, Millis)>,
    wrapup_ms: Option<Millis>,
    completed_ms: Option<Millis>,
}

/// The reservation an event is about: `reservation_sid`, else the resource sid of a
/// reservation event.
pub(super) fn reservation_sid_of(e: &AcdEvent) -> Option<String> {
    e.data
        .str("reservation_sid")
        .filter(|s| !s.is_empty())
        .or_else(|| {
            (e.resource_type.eq_ignore_ascii_case("reservation") && !e.resource_sid.is_empty())
                .then(|| e.resource_sid.clone())
        })
}

impl ReservationFold {
    pub(super) fn new(first_ms: Millis) -> Self {
        ReservationFold {
            first_ms,
            ..ReservationFold::default()
        }
    }

    /// Reads one `reservation.*` event. Returns `true` when this event is the acceptance (the
    /// caller then records it, if the worker is known).
    pub(super) fn apply(&mut self, e: &AcdEvent, queue: Option<String>) -> bool {
        let ms = e.event_ms;
        e.data.read_into("worker_sid", true, &mut self.worker_sid);
        e.data.read_into("worker_name", true, &mut self.worker_name);
        e.data
            .read_into("worker_attributes", true, &mut self.worker_attributes);
        if self.queue_sid.is_none() {
            self.queue_sid = queue;
        }
        let pending = self.outcome.is_none();
        let mut settle = |o| {
            if pending {
                self.outcome = Some((o, ms));
            }
            false
        };
        match e.kind() {
            "reservation.created" => {
                self.created_ms.get_or_insert(ms);
                false
            }
            "reservation.accepted" => pending,
            "reservation.rejected" => settle(ReservationOutcome::Rejected),
            "reservation.timeout" => settle(ReservationOutcome::TimedOut),
            "reservation.canceled" | "reservation.rescinded" => {
                settle(ReservationOutcome::Canceled)
            }
            "reservation.failed" => settle(ReservationOutcome::Failed),
            "reservation.wrapup" => {
                self.wrapup_ms.get_or_insert(ms);
                pending
            }
            "reservation.completed" => {
                self.completed_ms.get_or_insert(ms);
                pending
            }
            _ => false,
        }
    }

    pub(super) fn agent_id(&self, mode: &AgentIdMode, worker_sid: &str) -> String {
        agent_id(
            mode,
            worker_sid,
            self.worker_name.as_deref(),
            self.worker_attributes.as_deref(),
        )
    }

    /// The record; `None` without a worker (nothing to attribute it to).
    pub(super) fn record(
        &self,
        sid: &str,
        task_sid: &str,
        mode: &AgentIdMode,
    ) -> Option<ReservationRecord> {
        let worker_sid = self.worker_sid.clone()?;
        let (outcome, outcome_ms) = match self.outcome {
            Some((o, t)) => (o, Some(t)),
            None => (ReservationOutcome::Pending, None),
        };
        Some(ReservationRecord {
            reservation_sid: sid.to_string(),
            task_sid: task_sid.to_string(),
            agent_id: self.agent_id(mode, &worker_sid),
            worker_sid,
            queue_sid: self.queue_sid.clone(),
            created_ms: self.created_ms.unwrap_or(self.first_ms),
            outcome,
            outcome_ms,
            wrapup_ms: self.wrapup_ms,
            completed_ms: self.completed_ms,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::EventData;

    fn ev(kind: &str, ms: Millis) -> AcdEvent {
        let mut data = serde_json::Map::new();
        data.insert("reservation_sid".into(), "WR1".into());
        data.insert("worker_sid".into(), "WK1".into());
        data.insert("worker_name".into(), "ann".into());
        AcdEvent {
            sid: format!("EV{ms}"),
            event_type: kind.into(),
            event_ms: ms,
            resource_sid: "WR1".into(),
            resource_type: "reservation".into(),
            data: EventData::from(data),
        }
    }

    fn fold(kinds: &[(&str, Millis)]) -> ReservationRecord {
        let mut f = ReservationFold::new(kinds[0].1);
        for (kind, ms) in kinds {
            if f.apply(&ev(kind, *ms), Some("WQ1".into())) {
                f.outcome = Some((ReservationOutcome::Accepted, *ms));
            }
        }
        f.record("WR1", "WT1", &AgentIdMode::FriendlyName).unwrap()
    }

    #[test]
    fn the_first_outcome_wins() {
        let r = fold(&[
            ("reservation.created", 1),
            ("reservation.rejected", 2),
            ("reservation.timeout", 3),
        ]);
        assert_eq!(
            (r.outcome, r.outcome_ms),
            (ReservationOutcome::Rejected, Some(2))
        );
        assert_eq!(
            (r.agent_id.as_str(), r.queue_sid.as_deref()),
            ("ann", Some("WQ1"))
        );
    }

    #[test]
    fn rescinded_is_canceled() {
        let r = fold(&[("reservation.created", 1), ("reservation.rescinded", 2)]);
        assert_eq!(r.outcome, ReservationOutcome::Canceled);
    }

    #[test]
    fn failed_ends_the_reservation_and_a_later_accept_does_not_revive_it() {
        let r = fold(&[
            ("reservation.created", 1),
            ("reservation.failed", 2),
            ("reservation.accepted", 3),
        ]);
        assert_eq!(
            (r.outcome, r.outcome_ms),
            (ReservationOutcome::Failed, Some(2))
        );
    }

    #[test]
    fn wrapup_without_a_seen_acceptance_counts_as_accepted_then() {
        let r = fold(&[
            ("reservation.created", 1),
            ("reservation.wrapup", 5),
            ("reservation.completed", 9),
        ]);
        assert_eq!(
            (r.outcome, r.outcome_ms),
            (ReservationOutcome::Accepted, Some(5))
        );
        assert_eq!((r.wrapup_ms, r.completed_ms), (Some(5), Some(9)));
    }

    #[test]
    fn created_falls_back_to_the_first_event() {
        let r = fold(&[("reservation.accepted", 4)]);
        assert_eq!(r.created_ms, 4);
    }
}
