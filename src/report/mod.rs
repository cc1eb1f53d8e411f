//! Report building: derived records (segments, tasks, reservations) + one interval → the report
//! bodies of SPEC §5, wrapped in the §6 envelope. Pure functions, no I/O: the scheduler loads the
//! rows, calls these, serialises, compares [`content_hash`] with what was sent, and queues the
//! envelope for the WFM client when it changed.
//!
//! - [`agent_activity`] (`/reports/agent-activity`) — [`activity`]
//! - [`queue_report`] (`/reports/queue`): `queueReport`, `agentQueueReport` — [`queue`];
//!   `agentSystemPerformanceReport` — [`performance`]
//! - wire rows — [`dto`]
//!
//! # Counting rules (what an analyst may ask at 3 a.m.)
//!
//! **Intervals** are half-open `[start, end)` ([`Interval::contains`]). An INSTANT (a reservation
//! offered, accepted…) at exactly `10:15:00.000` belongs to the interval starting at 10:15. A SPAN
//! (a segment, a task) that ENDS exactly at `10:15:00.000` belongs to the interval before: its last
//! millisecond `10:14:59.999` lies there — "ended in the interval" is `contains(end − 1 ms)`. So a
//! contact and the ACW segment that its completion closes land in the same interval.
//!
//! **Seconds are whole numbers.** Every instant is rounded to the nearest second (half a second
//! rounds up), and a duration is the difference of its two rounded ends. Because durations that
//! share an end share the same rounded value, parts always add up exactly: talk + ACW = handle,
//! the states of an agent add up to `loggedInSec`, clipped pieces add up to the interval length.
//! A single duration is within one second of the exact one. Thresholds (service level, short
//! abandon) compare the EXACT milliseconds, not the rounded seconds.
//!
//! **Agent activity report**: every segment with `start < end` that ended in the interval (the
//! boundary rule above); reported whole (its `start` may lie in an earlier interval). Open segments wait
//! for the interval in which they end. Zero-length segments are never reported. Sorted by
//! `(agentId, start, end, state, reasonCode, mediaType)`.
//!
//! **Queue report — which tasks**: those with `counted` (inbound, reported media type), a queue,
//! an outcome, and that ended in the interval (the boundary rule above). Each task is therefore counted once, in the
//! interval in which it ended, under the queue it was first answered from (or the last queue it
//! waited in, when abandoned). `offered = handled + abandoned`.
//!
//! - `totalWaitSec`: from entering that queue to acceptance (handled) or to the end (abandoned).
//!   `totalAnswerWaitSec`: handled only. `maxWaitSec`: the largest single wait.
//! - `answeredInSl`: handled with exact wait ≤ threshold; `abandonedInSl`: abandoned with exact
//!   wait ≤ threshold; `shortAbandoned`: abandoned with exact wait ≤ `short_abandon_sec` (a subset
//!   of `abandoned`). Threshold: `[queues]` by WQ sid, then by queue name, then the default.
//! - Talk and ACW come from the agents' legs (accepted reservations) of the task: talk = accepted
//!   → the leg's wrap-up (else its completion, else the task's end); ACW = wrap-up → completion
//!   (else the task's end). The queue row sums all legs of its tasks, so after a transfer the
//!   whole handling time stays with the queue that counted the contact; `handle = talk + ACW`.
//! - Rows are per `(queueId, mediaType)`; `queueName` is the name on the most recently ended task
//!   of that queue (a queue renamed mid-interval stays one row); a queue without a known name is
//!   reported with its sid as name. Sorted by `(queueId, mediaType)`.
//!
//! **agentQueueReport**: per leg of the counted tasks ended in the interval, under
//! `(leg agent, the queue the leg was accepted from, the task's media)`: `handled` = number of
//! legs, with their talk/ACW. `transfersOut` counts the task's transfer hand-offs under the
//! giving agent and the queue it had accepted from. Sorted by `(agentId, queueId, mediaType)`.
//!
//! **agentSystemPerformanceReport**: per agent, segments clipped to the interval (an open segment
//! runs to the interval end; overlapping segments of one agent are made disjoint, the earlier
//! start wins). `loggedInSec` = the interval's time not `LoggedOut` = exactly the sum
//! `availableSec + reservedSec + onContactSec + acwSec + unavailableSec`, never more than the
//! interval.
//! `unavailableByReason` sums to `unavailableSec` (a missing reason is the key `""`).
//! `reservationsOffered` counts reservations CREATED in the interval; `…Accepted/Rejected/TimedOut`
//! count OUTCOMES reached in the interval (canceled/rescinded offers and failed ones —
//! `reservation.failed`, TaskRouter could not assign — count as offered only: neither is the
//! agent's answer nor its silence).
//! Reservations of every media are counted: this section is the agent's whole ACD activity, like
//! the state time beside it. An agent gets a row when it was logged in during the interval or has
//! a reservation counted in it. Sorted by `agentId`.
//!
//! Every array is present, empty when there is nothing to count.

pub mod activity;
pub mod dto;
pub mod performance;
pub mod queue;

pub use activity::{agent_activity, agent_activity_json};
pub use dto::{
    AgentActivityRow, AgentQueueRow, AgentSystemPerformanceRow, QueueReportData, QueueRow,
};
pub use queue::{QueueReportSettings, queue_report};

use crate::clock::rfc3339_ms;
use crate::model::{Interval, Millis};
use serde::{Deserialize, Serialize};

/// The two interval reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReportKind {
    AgentActivity,
    Queue,
}

impl ReportKind {
    /// The WFM endpoint, relative to `wfm.service_url`.
    pub fn path(self) -> &'static str {
        match self {
            ReportKind::AgentActivity => "/reports/agent-activity",
            ReportKind::Queue => "/reports/queue",
        }
    }

    /// Stable name used in ids, the store and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportKind::AgentActivity => "agent-activity",
            ReportKind::Queue => "queue",
        }
    }
}

/// The §6 report envelope around a report body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportEnvelope<T> {
    /// Always `TWILIO`.
    pub acd_type: String,
    /// Always `1`.
    pub report_version: String,
    /// Interval start, RFC 3339 UTC with milliseconds.
    pub start_date: String,
    /// Interval end (exclusive).
    pub end_date: String,
    /// 0 for the first send; +1 each time a rebuilt interval changed. WFM keeps the highest.
    pub revision: u32,
    pub report_data: T,
}

impl<T> ReportEnvelope<T> {
    pub fn new(interval: Interval, revision: u32, report_data: T) -> Self {
        ReportEnvelope {
            acd_type: "TWILIO".to_string(),
            report_version: "1".to_string(),
            start_date: rfc3339_ms(interval.start_ms),
            end_date: rfc3339_ms(interval.end_ms),
            revision,
            report_data,
        }
    }
}

/// A fingerprint of a serialised `reportData`, so the scheduler can tell whether a rebuilt
/// interval changed. The bodies are deterministic (sorted arrays, `BTreeMap` keys), so equal
/// content gives equal JSON text.
pub fn content_hash(report_data_json: &str) -> String {
    crate::ids::stable_id("H", &[report_data_json])
}

/// Whether a span ending at `end_ms` ended in `interval`: its last millisecond lies in it.
pub(crate) fn ends_in(interval: Interval, end_ms: Millis) -> bool {
    interval.contains(end_ms.saturating_sub(1))
}

/// An instant rounded to the nearest whole second (half up), in seconds since the epoch.
pub(crate) fn whole_sec(ms: Millis) -> i64 {
    ms.saturating_add(500).div_euclid(1000)
}

/// The reported seconds of `[from, to)`: difference of the rounded ends, never negative.
pub(crate) fn secs_between(from: Millis, to: Millis) -> u64 {
    u64::try_from(whole_sec(to) - whole_sec(from)).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_is_to_the_nearest_second_half_up_and_parts_telescope() {
        assert_eq!(whole_sec(1_499), 1);
        assert_eq!(whole_sec(1_500), 2);
        assert_eq!(whole_sec(-500), 0);
        assert_eq!(whole_sec(-501), -1);
        // 0.4 s + 0.4 s + 0.4 s = 1.2 s: the pieces report 0 + 1 + 0 = 1, the whole also 1.
        let (a, b, c, d) = (0, 400, 800, 1_200);
        assert_eq!(
            secs_between(a, b) + secs_between(b, c) + secs_between(c, d),
            1
        );
        assert_eq!(secs_between(a, d), 1);
        assert_eq!(secs_between(5_000, 1_000), 0);
    }

    #[test]
    fn envelope_serialises_with_the_wire_names() {
        let iv = Interval {
            start_ms: 1_795_169_700_000,
            end_ms: 1_795_170_600_000,
        };
        let env = ReportEnvelope::new(iv, 2, Vec::<AgentActivityRow>::new());
        let json = serde_json::to_string(&env).unwrap();
        assert_eq!(
            json,
            r#"{"acdType":"TWILIO","reportVersion":"1","startDate":"2026-11-20T10:15:00.000Z","endDate":"2026-11-20T10:30:00.000Z","revision":2,"reportData":[]}"#
        );
    }

    #[test]
    fn report_kinds_name_their_endpoints() {
        assert_eq!(ReportKind::AgentActivity.path(), "/reports/agent-activity");
        assert_eq!(ReportKind::Queue.path(), "/reports/queue");
        assert_eq!(ReportKind::AgentActivity.as_str(), "agent-activity");
        assert_eq!(ReportKind::Queue.as_str(), "queue");
    }

    #[test]
    fn content_hash_changes_with_content_only() {
        assert_eq!(content_hash("[]"), content_hash("[]"));
        assert_ne!(content_hash("[]"), content_hash("[{}]"));
    }
}
