//! The rows of the report bodies, exactly as they go on the wire (SPEC §5, §6): camelCase names,
//! timestamps as RFC 3339 UTC with milliseconds, durations in whole seconds (see the rounding rule
//! in [`crate::report`]). Optional fields are left out when absent, never sent as `null`.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One completed agent activity (segment) of the agent activity report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentActivityRow {
    pub agent_id: String,
    /// `LoggedOut`, `Available`, `Reserved`, `OnContact`, `AfterContactWork`, `Unavailable`.
    pub state: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    pub start: String,
    pub end: String,
    pub duration_sec: u64,
}

/// The body of the queue report: always the three arrays, empty when nothing happened.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueReportData {
    pub queue_report: Vec<QueueRow>,
    pub agent_queue_report: Vec<AgentQueueRow>,
    pub agent_system_performance_report: Vec<AgentSystemPerformanceRow>,
}

/// Skill/queue history for one `(queueId, mediaType)` in one interval.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueRow {
    /// TaskQueue sid (`WQ…`).
    pub queue_id: String,
    pub queue_name: String,
    pub media_type: String,
    /// `handled + abandoned`.
    pub offered: u64,
    pub handled: u64,
    pub abandoned: u64,
    /// Abandoned within `short_abandon_sec` (included in `abandoned`).
    pub short_abandoned: u64,
    pub answered_in_sl: u64,
    pub abandoned_in_sl: u64,
    pub sl_threshold_sec: u32,
    pub total_wait_sec: u64,
    pub total_answer_wait_sec: u64,
    pub max_wait_sec: u64,
    pub total_talk_sec: u64,
    pub total_acw_sec: u64,
    /// `totalTalkSec + totalAcwSec`.
    pub total_handle_sec: u64,
}

/// One agent's contacts from one queue in one interval.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentQueueRow {
    pub agent_id: String,
    pub queue_id: String,
    pub media_type: String,
    pub handled: u64,
    pub total_talk_sec: u64,
    pub total_acw_sec: u64,
    pub total_handle_sec: u64,
    pub transfers_out: u64,
}

/// One agent's time and offers in one interval, clipped to the interval.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentSystemPerformanceRow {
    pub agent_id: String,
    /// Sum of the five parts below.
    pub logged_in_sec: u64,
    pub available_sec: u64,
    pub reserved_sec: u64,
    pub on_contact_sec: u64,
    pub acw_sec: u64,
    pub unavailable_sec: u64,
    /// Sums to `unavailableSec`; keyed by reason code (`""` when the segment had none).
    pub unavailable_by_reason: BTreeMap<String, u64>,
    pub reservations_offered: u64,
    pub reservations_accepted: u64,
    pub reservations_rejected: u64,
    pub reservations_timed_out: u64,
}
