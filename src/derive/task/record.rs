//! What task derivation produces: the [`TaskRecord`] the queue report reads (persisted as JSON by
//! the store), its handling legs and transfers. The rules that fill them are in [`super`].

use crate::model::{Millis, ReservationRecord, TaskOutcome};
use serde::{Deserialize, Serialize};

/// One contact as the queue report sees it. Persisted as JSON by the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskRecord {
    #[serde(rename = "t", alias = "task_sid")]
    pub task_sid: String,
    /// The queue the task is counted under (see the module rules).
    #[serde(
        rename = "q",
        alias = "queue_sid",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub queue_sid: Option<String>,
    /// The last name seen for `queue_sid`.
    #[serde(
        rename = "qn",
        alias = "queue_name",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub queue_name: Option<String>,
    /// `task_channel_unique_name`.
    #[serde(
        rename = "c",
        alias = "channel",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub channel: Option<String>,
    /// Reported media type; `None` = excluded channel (email, fax…).
    #[serde(
        rename = "m",
        alias = "media_type",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub media_type: Option<String>,
    /// `task_attributes.direction == "outbound"`.
    #[serde(
        rename = "o",
        alias = "outbound",
        default,
        skip_serializing_if = "std::ops::Not::not"
    )]
    pub outbound: bool,
    /// Whether the queue report counts this task: inbound and of a reported media type.
    #[serde(
        rename = "n",
        alias = "counted",
        default,
        skip_serializing_if = "std::ops::Not::not"
    )]
    pub counted: bool,
    /// `task.created`, else the creation the events report (`task_date_created`, `task_age`).
    #[serde(
        rename = "cr",
        alias = "created_ms",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub created_ms: Option<Millis>,
    /// First queue entry, seen or reported (else `created_ms`, else the first event).
    #[serde(rename = "e", alias = "entered_ms")]
    pub entered_ms: Millis,
    /// Last entry into `queue_sid` before acceptance / end: where the waiting time starts.
    #[serde(rename = "qe", alias = "queue_entered_ms")]
    pub queue_entered_ms: Millis,
    /// First acceptance of any reservation.
    #[serde(
        rename = "a",
        alias = "accepted_ms",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub accepted_ms: Option<Millis>,
    #[serde(
        rename = "aw",
        alias = "accepted_worker_sid",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub accepted_worker_sid: Option<String>,
    #[serde(
        rename = "aa",
        alias = "accepted_agent_id",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub accepted_agent_id: Option<String>,
    /// `task.wrapup`, else the last wrap-up of an accepted reservation.
    #[serde(
        rename = "w",
        alias = "wrapup_ms",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub wrapup_ms: Option<Millis>,
    /// When the task ended; `None` while open.
    #[serde(
        rename = "x",
        alias = "ended_ms",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub ended_ms: Option<Millis>,
    /// The event type that ended it, or `inferred:reservations-completed`.
    #[serde(
        rename = "xe",
        alias = "end_event",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub end_event: Option<String>,
    #[serde(
        rename = "oc",
        alias = "outcome",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub outcome: Option<TaskOutcome>,
    /// One entry per accepted reservation, in acceptance order: who did the work, from which queue.
    #[serde(
        rename = "h",
        alias = "handling",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub handling: Vec<HandlingLeg>,
    /// Hand-offs from one agent to a queue or to another agent.
    #[serde(
        rename = "tr",
        alias = "transfers",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub transfers: Vec<TaskTransfer>,
}

/// The work of one agent on a task: one accepted reservation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandlingLeg {
    #[serde(rename = "r", alias = "reservation_sid")]
    pub reservation_sid: String,
    #[serde(rename = "wk", alias = "worker_sid")]
    pub worker_sid: String,
    #[serde(rename = "ag", alias = "agent_id")]
    pub agent_id: String,
    /// The reservation's queue, else the queue the task was in when accepted.
    #[serde(
        rename = "q",
        alias = "queue_sid",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub queue_sid: Option<String>,
    #[serde(rename = "a", alias = "accepted_ms")]
    pub accepted_ms: Millis,
    #[serde(
        rename = "w",
        alias = "wrapup_ms",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub wrapup_ms: Option<Millis>,
    #[serde(
        rename = "cm",
        alias = "completed_ms",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub completed_ms: Option<Millis>,
}

/// A hand-off away from the agent holding the task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskTransfer {
    #[serde(rename = "at", alias = "at_ms")]
    pub at_ms: Millis,
    #[serde(rename = "fw", alias = "from_worker_sid")]
    pub from_worker_sid: String,
    #[serde(rename = "fa", alias = "from_agent_id")]
    pub from_agent_id: String,
    /// The queue the giving agent had accepted the task from.
    #[serde(
        rename = "fq",
        alias = "from_queue_sid",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub from_queue_sid: Option<String>,
    /// Set for a transfer to a queue.
    #[serde(
        rename = "tq",
        alias = "to_queue_sid",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub to_queue_sid: Option<String>,
    /// Set for a transfer directly to another worker.
    #[serde(
        rename = "tw",
        alias = "to_worker_sid",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub to_worker_sid: Option<String>,
}

/// What [`derive_task`] returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskDerivation {
    pub task: TaskRecord,
    /// One per reservation sid, sorted by `(created_ms, reservation_sid)`.
    pub reservations: Vec<ReservationRecord>,
}
