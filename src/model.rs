//! The connector's shared vocabulary: ACD events as stored in the log, and the records derived from
//! them (agent states, segments, tasks, reservations). Every other module speaks in these types.
//!
//! Times are UTC milliseconds since the Unix epoch (`i64`), as TaskRouter's `event_date_ms`.

use serde::{Deserialize, Serialize};

mod event_data;
pub use event_data::EventData;

/// Milliseconds since the Unix epoch, UTC.
pub type Millis = i64;

/// One TaskRouter event, normalised: what the derivation needs, independent of the wire format.
///
/// `data` keeps the `event_data` object exactly as received (values may be strings or numbers);
/// use the accessors of [`EventData`] to read it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AcdEvent {
    /// Twilio event sid (`EV…`), or a synthetic `SN…` id for reconciliation events.
    pub sid: String,
    /// e.g. `worker.activity.update`, `reservation.accepted`, `task-queue.entered`.
    pub event_type: String,
    /// `event_date_ms` (falls back to parsing `event_date`).
    pub event_ms: Millis,
    pub resource_sid: String,
    pub resource_type: String,
    pub data: EventData,
}

impl AcdEvent {
    /// Total order used everywhere events are folded: by time, then by sid (deterministic).
    pub fn order_key(&self) -> (Millis, &str) {
        (self.event_ms, self.sid.as_str())
    }

    /// `worker.activity` is the legacy alias of `worker.activity.update`.
    pub fn kind(&self) -> &str {
        match self.event_type.as_str() {
            "worker.activity" => "worker.activity.update",
            other => other,
        }
    }
}

/// The effective agent state sent to WFM (SPEC §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum AgentState {
    LoggedOut,
    Available,
    Reserved,
    OnContact,
    AfterContactWork,
    Unavailable,
}

impl AgentState {
    pub fn as_str(self) -> &'static str {
        match self {
            AgentState::LoggedOut => "LoggedOut",
            AgentState::Available => "Available",
            AgentState::Reserved => "Reserved",
            AgentState::OnContact => "OnContact",
            AgentState::AfterContactWork => "AfterContactWork",
            AgentState::Unavailable => "Unavailable",
        }
    }

    pub fn parse(s: &str) -> Option<AgentState> {
        Some(match s {
            "LoggedOut" => AgentState::LoggedOut,
            "Available" => AgentState::Available,
            "Reserved" => AgentState::Reserved,
            "OnContact" => AgentState::OnContact,
            "AfterContactWork" => AgentState::AfterContactWork,
            "Unavailable" => AgentState::Unavailable,
            _ => return None,
        })
    }
}

/// One change of an agent's effective state: a row of the real-time outbox and the start of a
/// segment. `event_id` derives from the ACD event that caused it, so two connectors agree on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentStateRecord {
    pub event_id: String,
    pub worker_sid: String,
    pub agent_id: String,
    pub state: AgentState,
    pub reason_code: Option<String>,
    pub media_type: Option<String>,
    pub state_start_ms: Millis,
}

/// A closed or open span of one effective state (SPEC §4 "Segments"). `end_ms` is `None` while the
/// segment is the agent's current state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    pub worker_sid: String,
    pub agent_id: String,
    pub state: AgentState,
    pub reason_code: Option<String>,
    pub media_type: Option<String>,
    pub start_ms: Millis,
    pub end_ms: Option<Millis>,
}

/// How a task ended, for the queue report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TaskOutcome {
    /// A reservation was accepted.
    Handled,
    /// Canceled, deleted or timed out before any acceptance.
    Abandoned,
}

/// What happened to one reservation (an offer of a task to a worker).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReservationOutcome {
    Pending,
    Accepted,
    Rejected,
    TimedOut,
    /// canceled or rescinded by TaskRouter (not the agent's doing).
    Canceled,
    /// `reservation.failed`: TaskRouter could not assign the task to the worker (not the agent's
    /// doing either); the task goes back to routing.
    Failed,
}

/// One reservation as derived from `reservation.*` events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReservationRecord {
    #[serde(rename = "r", alias = "reservation_sid")]
    pub reservation_sid: String,
    #[serde(rename = "t", alias = "task_sid")]
    pub task_sid: String,
    #[serde(rename = "wk", alias = "worker_sid")]
    pub worker_sid: String,
    #[serde(rename = "ag", alias = "agent_id")]
    pub agent_id: String,
    #[serde(
        rename = "q",
        alias = "queue_sid",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub queue_sid: Option<String>,
    #[serde(rename = "cr", alias = "created_ms")]
    pub created_ms: Millis,
    #[serde(rename = "oc", alias = "outcome")]
    pub outcome: ReservationOutcome,
    /// When the outcome was reached (accepted/rejected/timeout/canceled/failed); `None` while
    /// pending.
    #[serde(
        rename = "om",
        alias = "outcome_ms",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub outcome_ms: Option<Millis>,
    /// The reservation's wrap-up and completion: they shape its task's handling legs
    /// ([`crate::derive::task::HandlingLeg`], where the queue report reads them), and are not
    /// kept in the buffer's reservation rows (the performance report reads the offer and its
    /// outcome), so that a reservation's row is not rewritten for each of its later events.
    #[serde(alias = "w", default, skip_serializing)]
    pub wrapup_ms: Option<Millis>,
    #[serde(alias = "cm", default, skip_serializing)]
    pub completed_ms: Option<Millis>,
}

/// A report interval `[start_ms, end_ms)`, aligned to UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Interval {
    pub start_ms: Millis,
    pub end_ms: Millis,
}

impl Interval {
    /// The interval of length `len_ms` that contains `t` (aligned to the epoch, hence to UTC).
    pub fn containing(t: Millis, len_ms: Millis) -> Interval {
        let start_ms = t.div_euclid(len_ms) * len_ms;
        Interval {
            start_ms,
            end_ms: start_ms + len_ms,
        }
    }

    pub fn contains(&self, t: Millis) -> bool {
        self.start_ms <= t && t < self.end_ms
    }

    /// Milliseconds of `[from, to)` that fall inside this interval.
    pub fn overlap_ms(&self, from: Millis, to: Millis) -> Millis {
        (to.min(self.end_ms) - from.max(self.start_ms)).max(0)
    }
}
