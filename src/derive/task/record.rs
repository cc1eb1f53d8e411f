//! What task derivation produces: the [`TaskRecord`] the queue report reads (persisted as JSON by
//! the store), its handling legs and transfers. The rules that fill them are in [`super`].

use crate::model::{Millis, ReservationRecord, TaskOutcome};
use serde::{Deserialize, Serialize};

/// One contact as the queue report sees it. Persisted as JSON by the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskRecord {
    pub task_sid: String,
    /// The queue the task is counted under (see the module rules).
    pub queue_sid: Option<String>,
    /// The last name seen for `queue_sid`.
    pub queue_name: Option<String>,
    /// `task_channel_unique_name`.
    pub channel: Option<String>,
    /// Reported media type; `None` = excluded channel (email, fax…).
    pub media_type: Option<String>,
    /// `task_attributes.direction == "outbound"`.
    pub outbound: bool,
    /// Whether the queue report counts this task: inbound and of a reported media type.
    pub counted: bool,
    /// `task.created`, else the creation the events report (`task_date_created`, `task_age`).
    pub created_ms: Option<Millis>,
    /// First queue entry, seen or reported (else `created_ms`, else the first event).
    pub entered_ms: Millis,
    /// Last entry into `queue_sid` before acceptance / end: where the waiting time starts.
    pub queue_entered_ms: Millis,
    /// First acceptance of any reservation.
    pub accepted_ms: Option<Millis>,
    pub accepted_worker_sid: Option<String>,
    pub accepted_agent_id: Option<String>,
    /// `task.wrapup`, else the last wrap-up of an accepted reservation.
    pub wrapup_ms: Option<Millis>,
    /// When the task ended; `None` while open.
    pub ended_ms: Option<Millis>,
    /// The event type that ended it, or `inferred:reservations-completed`.
    pub end_event: Option<String>,
    pub outcome: Option<TaskOutcome>,
    /// One entry per accepted reservation, in acceptance order: who did the work, from which queue.
    #[serde(default)]
    pub handling: Vec<HandlingLeg>,
    /// Hand-offs from one agent to a queue or to another agent.
    #[serde(default)]
    pub transfers: Vec<TaskTransfer>,
}

/// The work of one agent on a task: one accepted reservation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandlingLeg {
    pub reservation_sid: String,
    pub worker_sid: String,
    pub agent_id: String,
    /// The reservation's queue, else the queue the task was in when accepted.
    pub queue_sid: Option<String>,
    pub accepted_ms: Millis,
    pub wrapup_ms: Option<Millis>,
    pub completed_ms: Option<Millis>,
}

/// A hand-off away from the agent holding the task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskTransfer {
    pub at_ms: Millis,
    pub from_worker_sid: String,
    pub from_agent_id: String,
    /// The queue the giving agent had accepted the task from.
    pub from_queue_sid: Option<String>,
    /// Set for a transfer to a queue.
    pub to_queue_sid: Option<String>,
    /// Set for a transfer directly to another worker.
    pub to_worker_sid: Option<String>,
}

/// What [`derive_task`] returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskDerivation {
    pub task: TaskRecord,
    /// One per reservation sid, sorted by `(created_ms, reservation_sid)`.
    pub reservations: Vec<ReservationRecord>,
}
