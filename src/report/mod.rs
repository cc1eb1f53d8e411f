//! Report building: derived records (segments, tasks, reservations) + one interval → the report
//! bodies (`reportData`) of SPEC §5. The builders are pure functions, no I/O. [`plan`] decides
//! which intervals are due and with which revision (the first send is revision 1): it loads the
//! rows from the buffer, calls the builders, serialises, compares [`content_hash`] with what was
//! queued, and queues the `reportData` when it changed. The §6 envelope around it is built by
//! [`crate::wfm::request`] when the report is sent.
//!
//! - [`agent_activity`] (`/reports/agent-activity`) — [`activity`]
//! - [`queue_report`] (`/reports/queue`): `queueReport`, `agentQueueReport` — [`queue`];
//!   `agentSystemPerformanceReport` — [`performance`]
//! - report rows — [`dto`]
//! - due intervals, revisions, `replay` — [`plan`]
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
pub mod plan;
pub mod queue;

pub use activity::{agent_activity, agent_activity_json};
pub use dto::{
    AgentActivityRow, AgentQueueRow, AgentSystemPerformanceRow, QueueReportData, QueueRow,
};
pub use queue::{QueueReportSettings, queue_report};

use crate::model::{Interval, Millis};

/// The two interval reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReportKind {
    AgentActivity,
    Queue,
}

impl ReportKind {
    /// Stable name used in ids, the store and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportKind::AgentActivity => "agent-activity",
            ReportKind::Queue => "queue",
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
    fn report_kinds_have_stable_names() {
        assert_eq!(ReportKind::AgentActivity.as_str(), "agent-activity");
        assert_eq!(ReportKind::Queue.as_str(), "queue");
    }

    #[test]
    fn content_hash_changes_with_content_only() {
        assert_eq!(content_hash("[]"), content_hash("[]"));
        assert_ne!(content_hash("[]"), content_hash("[{}]"));
    }
}
