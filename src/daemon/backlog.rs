//! What waits in the buffer, as the heartbeat reports it to WFM and `/metrics` shows it
//! (`outbox_depth`, `oldest_pending_age_seconds`).

use crate::metrics::Metrics;
use crate::model::Millis;
use crate::store::status::BufferStatus;

/// The outboxes' backlog at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backlog {
    pub pending_states: i64,
    pub pending_reports: i64,
    /// Age of the oldest pending state or report, in seconds (0 when nothing is pending).
    pub oldest_pending_sec: i64,
}

impl Backlog {
    /// The backlog in `status`, aged at `now`.
    pub fn of(status: &BufferStatus, now: Millis) -> Self {
        let oldest_pending_sec = status
            .oldest_pending_state_ms
            .into_iter()
            .chain(status.oldest_pending_report_ms)
            .min()
            .map(|t| ((now - t).max(0)) / 1000)
            .unwrap_or(0);
        Backlog {
            pending_states: status.pending_states,
            pending_reports: status.pending_reports,
            oldest_pending_sec,
        }
    }

    /// Sets the gauges.
    pub fn publish(&self, metrics: &Metrics) {
        metrics
            .outbox_depth
            .set(self.pending_states + self.pending_reports);
        metrics
            .oldest_pending_age_seconds
            .set(self.oldest_pending_sec);
    }
}
