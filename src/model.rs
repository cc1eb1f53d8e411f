//! The connector's shared vocabulary: ACD events as stored in the log, and the records derived from
//! them (agent states, segments, tasks, reservations). Every other module speaks in these types.
//!
//! Times are UTC milliseconds since the Unix epoch (`i64`), as TaskRouter's `event_date_ms`.

use serde::{Deserialize, Serialize};

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

/// The `event_data` object of an event. Values often arrive as strings (`"26123"`): the accessors
/// accept both strings and numbers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EventData(pub serde_json::Map<String, serde_json::Value>);

impl EventData {
    /// A string value; numbers and booleans are rendered as text. `null` and missing keys are `None`.
    pub fn str(&self, key: &str) -> Option<String> {
        self.text(key).map(std::borrow::Cow::into_owned)
    }

    /// [`EventData::str`] without a copy when the value is a string (the usual case).
    pub fn text(&self, key: &str) -> Option<std::borrow::Cow<'_, str>> {
        use std::borrow::Cow;
        match self.0.get(key)? {
            serde_json::Value::String(s) => Some(Cow::Borrowed(s)),
            serde_json::Value::Number(n) => Some(Cow::Owned(n.to_string())),
            serde_json::Value::Bool(b) => Some(Cow::Owned(b.to_string())),
            serde_json::Value::Null => None,
            other => Some(Cow::Owned(other.to_string())),
        }
    }

    /// Sets `slot` to the text of `key` when the event has one (a non-empty one, with
    /// `non_empty`), copying it only when it differs from what `slot` holds: most events repeat
    /// what the last one said.
    pub fn read_into(&self, key: &str, non_empty: bool, slot: &mut Option<String>) {
        if let Some(v) = self.text(key).filter(|v| !(non_empty && v.is_empty()))
            && slot.as_deref() != Some(v.as_ref())
        {
            *slot = Some(v.into_owned());
        }
    }

    /// An integer given as a number or as a string of digits.
    pub fn i64(&self, key: &str) -> Option<i64> {
        match self.0.get(key)? {
            serde_json::Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
            serde_json::Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// A boolean given as `true`/`false` or as the strings `"true"`/`"false"`.
    pub fn bool(&self, key: &str) -> Option<bool> {
        match self.0.get(key)? {
            serde_json::Value::Bool(b) => Some(*b),
            serde_json::Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// A JSON object stored as a string (`worker_attributes`, `task_attributes`) or inline.
    pub fn json_object(&self, key: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
        match self.0.get(key)? {
            serde_json::Value::String(s) => serde_json::from_str(s).ok(),
            serde_json::Value::Object(m) => Some(m.clone()),
            _ => None,
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
    pub reservation_sid: String,
    pub task_sid: String,
    pub worker_sid: String,
    pub agent_id: String,
    pub queue_sid: Option<String>,
    pub created_ms: Millis,
    pub outcome: ReservationOutcome,
    /// When the outcome was reached (accepted/rejected/timeout/canceled/failed); `None` while
    /// pending.
    pub outcome_ms: Option<Millis>,
    pub wrapup_ms: Option<Millis>,
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
