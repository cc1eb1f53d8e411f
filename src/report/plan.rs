//! Which intervals are due and with which revision (SPEC §5): the planning half of reporting, used
//! by the daemon's scheduler ([`crate::daemon::scheduler`]) and by `replay` alike.
//!
//! Intervals are aligned to UTC. An interval is built only when it is settled *and* the ACD has
//! been polled past its end: while TaskRouter is unreachable, reports wait rather than go out
//! short. Every run — and start-up — builds **every** interval not yet built up to the last
//! settled one (so a missed tick, or a connector that was down for hours, costs latency, never
//! data) and re-builds the intervals of the trailing `resend_window`: an interval whose content
//! changed since it was last queued (late events) is queued again with `revision + 1`; unchanged
//! ones are not. The first revision of an interval is 1. What is queued goes to the report outbox
//! ([`crate::store::reports`]), where the drain picks it up.

use super::{QueueReportSettings, ReportKind};
use crate::config::Config;
use crate::model::{Interval, Millis};
use crate::store::{Store, StoreError};

const META_BUILT_THROUGH: &str = "reports_built_through_ms";

/// Interval and timing settings of the scheduler.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    pub interval_ms: Millis,
    pub settle_ms: Millis,
    pub resend_window_ms: Millis,
    pub retention_ms: Millis,
}

impl Schedule {
    /// From `[reports]` and `[buffer] retention`.
    pub fn from_config(config: &Config) -> Self {
        let r = &config.reports;
        Schedule {
            interval_ms: r.interval.as_millis() as Millis,
            settle_ms: r.settle_delay.as_millis() as Millis,
            resend_window_ms: r.resend_window.as_millis() as Millis,
            retention_ms: config.buffer.retention.as_millis() as Millis,
        }
    }

    /// End of the last interval that is closed and settled at `now`.
    pub fn last_settled_end(&self, now: Millis) -> Millis {
        (now - self.settle_ms).div_euclid(self.interval_ms) * self.interval_ms
    }

    /// The 6-field UTC cron expression that fires `settle_delay` after each interval closes.
    pub fn cron(&self) -> String {
        let offset_s = (self.settle_ms.rem_euclid(self.interval_ms) / 1000) + 1;
        let minutes = self.interval_ms / 60_000;
        let (sec, min) = (offset_s % 60, offset_s / 60);
        if minutes >= 60 {
            format!("{sec} {min} * * * *")
        } else {
            format!("{sec} {min}/{minutes} * * * *")
        }
    }
}

/// What one scheduler run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunOutcome {
    pub intervals_built: usize,
    pub reports_queued: usize,
}

/// Builds every interval due at `now` and queues new revisions. Pure of time except `now`.
pub fn run_due(
    store: &mut Store,
    settings: &QueueReportSettings,
    schedule: &Schedule,
    now: Millis,
) -> Result<RunOutcome, StoreError> {
    // Settled, and polled: an interval is built only once the ACD has been polled past its end,
    // so an ACD outage delays reports instead of sending them with contacts missing.
    let Some(cursor) = store.cursor()? else {
        return Ok(RunOutcome::default());
    };
    let polled_end = cursor.div_euclid(schedule.interval_ms) * schedule.interval_ms;
    let end = schedule.last_settled_end(now).min(polled_end);
    // Observed history only: nothing that ends before the first poll's StartDate, and not the
    // interval it falls in (partly observed: a wrong count is worse than a late one).
    let Some(observed) = store.observed_from()? else {
        return Ok(RunOutcome::default());
    };
    let first_whole = first_whole_interval(observed, schedule.interval_ms);
    let built_through: Option<Millis> =
        store.meta(META_BUILT_THROUGH)?.and_then(|v| v.parse().ok());
    let floor = end - schedule.retention_ms;
    let start = match built_through {
        Some(t) => t.min(end - schedule.resend_window_ms),
        None => first_whole,
    }
    .max(floor);
    let start = Interval::containing(start, schedule.interval_ms)
        .start_ms
        .max(first_whole);
    let mut out = RunOutcome::default();
    let mut t = start;
    while t + schedule.interval_ms <= end {
        let iv = Interval {
            start_ms: t,
            end_ms: t + schedule.interval_ms,
        };
        out.reports_queued += queue_interval(store, settings, iv, now, false)?;
        out.intervals_built += 1;
        t += schedule.interval_ms;
    }
    if built_through.is_none_or(|b| end > b) {
        store.set_meta(META_BUILT_THROUGH, &end.to_string())?;
    }
    Ok(out)
}

/// The start of the first interval wholly inside observed history (which begins at `observed`).
pub fn first_whole_interval(observed: Millis, interval_ms: Millis) -> Millis {
    let start = Interval::containing(observed, interval_ms).start_ms;
    if start == observed {
        start
    } else {
        start + interval_ms
    }
}

/// Builds both reports of one interval and queues those whose content changed (all of them when
/// `force`, as `replay` asks), each with the next revision (the first is 1).
fn queue_interval(
    store: &mut Store,
    settings: &QueueReportSettings,
    iv: Interval,
    now: Millis,
    force: bool,
) -> Result<usize, StoreError> {
    let bodies = build_interval(store, settings, iv)?;
    let mut queued = 0;
    for (kind, data_json) in bodies {
        let hash = super::content_hash(&data_json);
        let revision = match store.last_report_revision(kind.as_str(), iv.start_ms)? {
            Some((_, h)) if h == hash && !force => continue,
            Some((rev, _)) => rev + 1,
            None => 1,
        };
        store.enqueue_report(kind.as_str(), iv, revision, &hash, &data_json, now)?;
        queued += 1;
    }
    Ok(queued)
}

/// `replay --reports`: rebuilds every interval of `[from, to)` (widened to interval boundaries)
/// and queues both reports with a new revision, changed or not. `progress(done, total)` is called
/// after each interval.
pub fn replay_range(
    store: &mut Store,
    settings: &QueueReportSettings,
    interval_ms: Millis,
    from: Millis,
    to: Millis,
    now: Millis,
    mut progress: impl FnMut(usize, usize),
) -> Result<usize, StoreError> {
    let mut first = Interval::containing(from, interval_ms).start_ms;
    if let Some(observed) = store.observed_from()? {
        // Never before observed history (see `run_due`); `replay` says so before it calls this.
        first = first.max(first_whole_interval(observed, interval_ms));
    }
    let last = Interval::containing(to - 1, interval_ms).end_ms.max(first);
    let total = ((last - first) / interval_ms).max(0) as usize;
    let mut queued = 0;
    for (i, start_ms) in (first..last).step_by(interval_ms as usize).enumerate() {
        let iv = Interval {
            start_ms,
            end_ms: start_ms + interval_ms,
        };
        queued += queue_interval(store, settings, iv, now, true)?;
        progress(i + 1, total);
    }
    Ok(queued)
}

/// The `reportData` JSON of both reports of an interval.
pub fn build_interval(
    store: &Store,
    settings: &QueueReportSettings,
    iv: Interval,
) -> Result<Vec<(ReportKind, String)>, StoreError> {
    // From one millisecond before the start: a segment that ended exactly at the start is
    // reported in this interval.
    let mut segments = store.segments_overlapping(iv.start_ms - 1, iv.end_ms)?;
    // A segment that began before observed history (an agent Offline since last week, known from
    // the Workers list) is clipped at the observation start: that is all we saw of it.
    if let Some(observed) = store.observed_from()? {
        segments.retain(|s| s.end_ms.is_none_or(|e| e > observed));
        for s in &mut segments {
            s.start_ms = s.start_ms.max(observed);
        }
    }
    // An agent whose configured identity is unknown (empty id) is never reported under another.
    segments.retain(|s| !s.agent_id.is_empty());
    // One report at a time, each serialised as it is built (the activity rows are never all
    // held): at 20,000 agents the rows and their JSON are megabytes each.
    let activity = super::agent_activity_json(&segments, iv)?;
    let tasks = store.tasks_ended_in(iv)?;
    let mut reservations = store.reservations_in(iv)?;
    reservations.retain(|r| !r.agent_id.is_empty());
    let mut queue = super::queue_report(&tasks, &reservations, &segments, iv, settings);
    drop((tasks, reservations, segments));
    queue.agent_queue_report.retain(|r| !r.agent_id.is_empty());
    let queue = serde_json::to_string(&queue)?;
    Ok(vec![
        (ReportKind::AgentActivity, activity),
        (ReportKind::Queue, queue),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule(interval_min: i64) -> Schedule {
        Schedule {
            interval_ms: interval_min * 60_000,
            settle_ms: 120_000,
            resend_window_ms: 8_100_000,
            retention_ms: 7 * 86_400_000,
        }
    }

    #[test]
    fn cron_fires_settle_delay_after_each_interval_in_utc() {
        assert_eq!(schedule(15).cron(), "1 2/15 * * * *");
        assert_eq!(schedule(60).cron(), "1 2 * * * *");
        // 1-minute intervals with a 2-minute settle: every minute.
        assert_eq!(schedule(1).cron(), "1 0/1 * * * *");
    }

    #[test]
    fn last_settled_end_waits_for_the_settle_delay() {
        let s = schedule(15);
        let t = 1_795_000_500_000; // an interval boundary (a multiple of 15 minutes)
        assert_eq!(s.last_settled_end(t + 119_999), t - 900_000);
        assert_eq!(s.last_settled_end(t + 120_000), t);
    }
}
