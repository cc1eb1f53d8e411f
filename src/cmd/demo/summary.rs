//! The demo's SUMMARY line ([`Totals`]: what WFM accepted and what the buffer holds) and when it
//! is printed ([`SummaryPacer`]): once a minute, and at once when something a newcomer must see
//! changes (a dead letter, the buffer unreadable) — not every few seconds, where it crowded the
//! feed.

use super::feed::plural;
use crate::sim::wfm::SimWfmHandle;
use crate::store::status::BufferStatus;
use std::path::Path;
use std::time::{Duration, Instant};

/// The longest a SUMMARY line waits after the previous one.
pub(super) const SUMMARY_EVERY: Duration = Duration::from_secs(60);
/// How often the demo looks whether a SUMMARY is due.
pub(super) const SUMMARY_CHECK: Duration = Duration::from_secs(10);

/// What WFM accepted and what the buffer holds, in one line.
pub(super) struct Totals {
    states: usize,
    snapshots: usize,
    reports: usize,
    /// The error instead when the buffer could not be read.
    buffer: Result<BufferStatus, String>,
}

impl Totals {
    pub(super) async fn read(wfm: &SimWfmHandle, db: &Path) -> Totals {
        let (states, snapshots, reports) =
            wfm.inspect(|r| (r.distinct_states, r.snapshots.len(), r.reports.len()));
        let db = db.to_path_buf();
        // SQLite off the async runtime, as everywhere else.
        let buffer = tokio::task::spawn_blocking(move || {
            crate::store::Store::open(&db)
                .and_then(|s| s.status(0))
                .map_err(|e| e.to_string())
        })
        .await
        .unwrap_or_else(|e| Err(e.to_string()));
        Totals {
            states,
            snapshots,
            reports,
            buffer,
        }
    }

    /// What makes a SUMMARY due at once when it changes: dead letters, an unreadable buffer.
    pub(super) fn alarm(&self) -> (i64, bool) {
        match &self.buffer {
            Ok(s) => (s.dead_letter_count, false),
            Err(_) => (0, true),
        }
    }
}

fn count(n: i64, one: &str, many: &str) -> String {
    plural(usize::try_from(n).unwrap_or(0), one, many)
}

impl std::fmt::Display for Totals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.buffer {
            Ok(s) => write!(
                f,
                "{} ingested · ",
                count(s.events, "ACD event", "ACD events")
            )?,
            Err(e) => write!(f, "buffer unreadable ({e}) · ")?,
        }
        write!(
            f,
            "{} delivered, {}, {}",
            plural(self.states, "agent state", "agent states"),
            plural(self.snapshots, "snapshot", "snapshots"),
            plural(self.reports, "report", "reports")
        )?;
        if let Ok(s) = &self.buffer {
            write!(
                f,
                " · pending {}, {} · {}",
                count(s.pending_states, "state", "states"),
                count(s.pending_reports, "report", "reports"),
                count(s.dead_letter_count, "dead letter", "dead letters")
            )?;
        }
        Ok(())
    }
}

/// Decides when a SUMMARY line is printed: the first one [`SUMMARY_EVERY`] after the start, then
/// once per [`SUMMARY_EVERY`], or at the next check when [`Totals::alarm`] changed.
#[derive(Debug)]
pub(super) struct SummaryPacer {
    last_printed: Instant,
    last_alarm: (i64, bool),
}

impl SummaryPacer {
    pub(super) fn new(start: Instant) -> SummaryPacer {
        SummaryPacer {
            last_printed: start,
            last_alarm: (0, false),
        }
    }

    /// Whether to print a SUMMARY at `now` for totals whose alarm is `alarm`; if so, it counts
    /// as printed.
    pub(super) fn due(&mut self, now: Instant, alarm: (i64, bool)) -> bool {
        let due = alarm != self.last_alarm || now >= self.last_printed + SUMMARY_EVERY;
        if due {
            self.last_printed = now;
            self.last_alarm = alarm;
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn totals(snapshots: usize, dead: i64) -> Totals {
        Totals {
            states: 1,
            snapshots,
            reports: 1,
            buffer: Ok(BufferStatus {
                events: 1,
                pending_states: 1,
                dead_letter_count: dead,
                ..BufferStatus::default()
            }),
        }
    }

    #[test]
    fn counts_of_one_are_singular() {
        assert_eq!(
            totals(1, 1).to_string(),
            "1 ACD event ingested · 1 agent state delivered, 1 snapshot, 1 report \
             · pending 1 state, 0 reports · 1 dead letter"
        );
        assert!(totals(2, 0).to_string().contains("2 snapshots"));
    }

    /// Issue 10: 26 summaries against 34 states in four minutes; now one a minute, or at once
    /// when a dead letter appears.
    #[test]
    fn a_summary_is_printed_once_a_minute_or_when_trouble_changes() {
        let start = Instant::now();
        let mut pacer = SummaryPacer::new(start);
        let at = |s: u64| start + Duration::from_secs(s);
        let quiet = (0, false);
        let printed: Vec<u64> = (1..=24)
            .map(|i| i * SUMMARY_CHECK.as_secs())
            .filter(|&s| pacer.due(at(s), quiet))
            .collect();
        assert_eq!(printed, vec![60, 120, 180, 240], "four minutes, four lines");
        // A dead letter at 250 s: at once, not at 300 s; then a minute from there.
        assert!(pacer.due(at(250), (1, false)));
        assert!(!pacer.due(at(260), (1, false)));
        assert!(!pacer.due(at(300), (1, false)));
        assert!(pacer.due(at(310), (1, false)));
        // The buffer unreadable: at once.
        assert!(pacer.due(at(311), (1, true)));
    }
}
