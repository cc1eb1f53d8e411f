//! The demo's live output: [`Feed`] turns what `sim wfm` accepted since the last look into
//! lines for a newcomer (RTA, SNAPSHOT, REPORT, HEARTBEAT). Every line is stamped with the time
//! it was seen, so the feed reads in order; an RTA line also says when the state began. The
//! summary line is in `summary.rs`.

use crate::clock::parse_rfc3339_ms;
use crate::model::Millis;
use crate::report::dto::{QueueReportData, QueueRow};
use crate::sim::wfm::{ReceivedReport, ReceivedSnapshot, ReceivedState, Recorded, ReportKind};
use std::collections::BTreeMap;

/// How far the printed feed has read each list of the WFM record.
#[derive(Debug, Default)]
pub(super) struct Feed {
    /// States that started before this are the connector catching up: counted, not listed.
    live_from_ms: Millis,
    states: usize,
    snapshots: usize,
    reports: usize,
    heartbeats: usize,
}

impl Feed {
    pub(super) fn new(live_from_ms: Millis) -> Feed {
        Feed {
            live_from_ms,
            ..Feed::default()
        }
    }

    /// The lines for everything recorded since the last call (none when `quiet`).
    pub(super) fn collect(&mut self, recorded: &Recorded, quiet: bool) -> Vec<String> {
        let mut lines = Vec::new();
        let now = clock_now();
        let new_states = recorded.states.get(self.states..).unwrap_or_default();
        let new_snapshots = recorded.snapshots.get(self.snapshots..).unwrap_or_default();
        let new_reports = recorded.reports.get(self.reports..).unwrap_or_default();
        let new_beats = recorded
            .heartbeats
            .get(self.heartbeats..)
            .unwrap_or_default();
        if !quiet {
            lines.extend(
                new_snapshots
                    .iter()
                    .map(|s| format!("{now} {}", snapshot_line(s))),
            );
            let (earlier, live): (Vec<_>, Vec<_>) = new_states
                .iter()
                .partition(|s| s.state_start_ms < self.live_from_ms);
            if let (Some(first), Some(last)) = (
                earlier.iter().map(|s| s.state_start_ms).min(),
                earlier.iter().map(|s| s.state_start_ms).max(),
            ) {
                lines.push(format!(
                    "{now} RTA       caught up: {} of {}–{}, before the connector started",
                    plural(earlier.len(), "state", "states"),
                    hms(first),
                    hms(last)
                ));
            }
            lines.extend(live.into_iter().map(|s| format!("{now} {}", state_line(s))));
            lines.extend(
                new_reports
                    .iter()
                    .map(|r| format!("{now} {}", report_line(r))),
            );
            for beat in new_beats {
                let pending = beat["pendingStates"].as_u64().unwrap_or(0);
                lines.push(format!(
                    "{now} HEARTBEAT {}, {} pending",
                    beat["status"].as_str().unwrap_or("?"),
                    plural(
                        usize::try_from(pending).unwrap_or(usize::MAX),
                        "state",
                        "states"
                    )
                ));
            }
        }
        self.states += new_states.len();
        self.snapshots += new_snapshots.len();
        self.reports += new_reports.len();
        self.heartbeats += new_beats.len();
        lines
    }
}

/// `SNAPSHOT  20 agents: 7 Available, 5 OnContact…`
fn snapshot_line(snapshot: &ReceivedSnapshot) -> String {
    let mut by_state = BTreeMap::<&str, usize>::new();
    for s in &snapshot.states {
        *by_state.entry(s.state.as_str()).or_default() += 1;
    }
    let counts: Vec<String> = by_state.iter().map(|(s, n)| format!("{n} {s}")).collect();
    format!(
        "SNAPSHOT  {}: {}",
        plural(snapshot.states.len(), "agent", "agents"),
        counts.join(", ")
    )
}

/// `RTA       agent0007  OnContact (voice)         began 10:15:02`, or `Unavailable [Break]`:
/// the line's own stamp is when WFM got it; `began` is the state's start at the ACD.
fn state_line(s: &ReceivedState) -> String {
    let detail = match (&s.media_type, &s.reason_code) {
        (Some(media), _) => format!(" ({media})"),
        (None, Some(reason)) => format!(" [{reason}]"),
        (None, None) => String::new(),
    };
    let state = format!("{}{detail}", s.state.as_str());
    format!(
        "RTA       {:<10} {state:<28} began {}",
        s.agent_id,
        hms(s.state_start_ms)
    )
}

/// `REPORT    queue          10:15–10:16 rev 1: 6 contacts offered, 5 handled, 1 abandoned…`
fn report_line(r: &ReceivedReport) -> String {
    let end = parse_rfc3339_ms(&r.end_date).unwrap_or(r.start_ms);
    let data = &r.body["reportData"];
    let content = match r.kind {
        ReportKind::AgentActivity => {
            let n = data.as_array().map_or(0, Vec::len);
            plural(n, "completed agent activity", "completed agent activities")
        }
        ReportKind::Queue => match serde_json::from_value::<QueueReportData>(data.clone()) {
            Ok(q) => {
                let sum = |f: fn(&QueueRow) -> u64| -> u64 { q.queue_report.iter().map(f).sum() };
                let logged_in = q
                    .agent_system_performance_report
                    .iter()
                    .filter(|a| a.logged_in_sec > 0)
                    .count();
                let offered = usize::try_from(sum(|q| q.offered)).unwrap_or(usize::MAX);
                format!(
                    "{} offered, {} handled, {} abandoned; {} logged in",
                    plural(offered, "contact", "contacts"),
                    sum(|q| q.handled),
                    sum(|q| q.abandoned),
                    plural(logged_in, "agent", "agents")
                )
            }
            Err(e) => format!("unreadable body ({e})"),
        },
    };
    let stale = if r.stale {
        " (stale: WFM keeps the newer revision)"
    } else {
        ""
    };
    format!(
        "REPORT    {:<14} {}–{} rev {}: {content}{stale}",
        r.kind.as_str(),
        hm(r.start_ms),
        hm(end),
        r.revision
    )
}

/// `1 state`, `2 states`, `0 states`.
pub(super) fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

pub(super) fn clock_now() -> String {
    hms(chrono::Utc::now().timestamp_millis())
}

fn hms(ms: Millis) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map_or_else(|| "??:??:??".into(), |t| t.format("%H:%M:%S").to_string())
}

fn hm(ms: Millis) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map_or_else(|| "??:??".into(), |t| t.format("%H:%M").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AgentState;

    const T0: Millis = 1_795_000_000_000; // 2026-11-18T…, a whole minute

    fn state(agent: &str, state: AgentState, start_ms: Millis) -> ReceivedState {
        ReceivedState {
            event_id: format!("{agent}-{start_ms}"),
            agent_id: agent.into(),
            state,
            reason_code: (state == AgentState::Unavailable).then(|| "Break".into()),
            media_type: (state == AgentState::OnContact).then(|| "voice".into()),
            state_start: crate::clock::rfc3339_ms(start_ms),
            state_start_ms: start_ms,
            is_logged_on: state != AgentState::LoggedOut,
            batch_id: "b1".into(),
            received_ms: 0,
        }
    }

    fn queue_report(rows: serde_json::Value) -> ReceivedReport {
        ReceivedReport {
            kind: ReportKind::Queue,
            start_date: crate::clock::rfc3339_ms(T0),
            start_ms: T0,
            end_date: crate::clock::rfc3339_ms(T0 + 60_000),
            revision: 2,
            body: serde_json::json!({"reportData": {
                "queueReport": rows,
                "agentQueueReport": [],
                "agentSystemPerformanceReport": [],
            }}),
            stale: false,
        }
    }

    fn queue_row(name: &str, offered: u64, handled: u64, abandoned: u64) -> serde_json::Value {
        serde_json::json!({
            "queueId": format!("WQ{name}"), "queueName": name, "mediaType": "voice",
            "offered": offered, "handled": handled, "abandoned": abandoned,
            "shortAbandoned": 0, "answeredInSl": 0, "abandonedInSl": 0, "slThresholdSec": 20,
            "totalWaitSec": 0, "totalAnswerWaitSec": 0, "maxWaitSec": 0, "totalTalkSec": 0,
            "totalAcwSec": 0, "totalHandleSec": 0,
        })
    }

    #[test]
    fn states_from_before_the_start_fold_into_one_catch_up_line() {
        let mut recorded = Recorded {
            states: vec![
                state("agent0001", AgentState::Available, T0 - 120_000),
                state("agent0002", AgentState::Unavailable, T0 - 60_000),
                state("agent0001", AgentState::OnContact, T0 + 2_000),
            ],
            ..Recorded::default()
        };
        let mut feed = Feed::new(T0);
        let lines = feed.collect(&recorded, false);
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(lines[0].contains("caught up: 2 states of"), "{}", lines[0]);
        assert!(
            lines[1].contains("RTA       agent0001  OnContact (voice)"),
            "{}",
            lines[1]
        );
        recorded
            .states
            .push(state("agent0002", AgentState::Unavailable, T0 + 5_000));
        let lines = feed.collect(&recorded, false);
        assert_eq!(lines.len(), 1);
        assert!(
            lines[0].contains("agent0002  Unavailable [Break]"),
            "{}",
            lines[0]
        );
    }

    /// Issue 10: lines stamped with when the state began came out of order (`03:59:47` then
    /// `03:59:41`); each line is now stamped when seen, and says when the state began.
    #[test]
    fn rta_lines_are_stamped_when_seen_and_say_when_the_state_began() {
        let recorded = Recorded {
            states: vec![
                state("agent0001", AgentState::OnContact, T0 + 47_000),
                state("agent0002", AgentState::Available, T0 + 41_000),
            ],
            ..Recorded::default()
        };
        let lines = Feed::new(T0).collect(&recorded, false);
        let stamps: Vec<&str> = lines.iter().map(|l| &l[..8]).collect();
        assert_eq!(stamps[0], stamps[1], "{lines:?}");
        assert!(
            lines[0].contains("RTA       agent0001  OnContact (voice) ")
                && lines[0].ends_with(" began 11:07:27"),
            "{}",
            lines[0]
        );
        assert!(lines[1].ends_with("began 11:07:21"), "{}", lines[1]);
    }

    #[test]
    fn counts_of_one_are_singular() {
        assert_eq!(plural(1, "snapshot", "snapshots"), "1 snapshot");
        assert_eq!(plural(0, "snapshot", "snapshots"), "0 snapshots");
        let one = ReceivedSnapshot {
            batch_id: "b1".into(),
            states: vec![state("agent0001", AgentState::Available, T0)],
        };
        assert_eq!(snapshot_line(&one), "SNAPSHOT  1 agent: 1 Available");
        let report = queue_report(serde_json::json!([queue_row("Support", 1, 1, 0)]));
        let line = report_line(&report);
        assert!(
            line.contains("rev 2: 1 contact offered, 1 handled"),
            "{line}"
        );
        assert!(line.ends_with("0 agents logged in"), "{line}");
    }

    #[test]
    fn queue_report_line_adds_up_every_queue() {
        let report = queue_report(serde_json::json!([
            queue_row("Support", 4, 3, 1),
            queue_row("Sales", 2, 2, 0),
        ]));
        let line = report_line(&report);
        assert!(line.starts_with("REPORT    queue"), "{line}");
        assert!(
            line.contains("rev 2: 6 contacts offered, 5 handled, 1 abandoned"),
            "{line}"
        );
    }

    #[test]
    fn quiet_prints_nothing_but_keeps_its_place() {
        let recorded = Recorded {
            states: vec![state("agent0001", AgentState::Available, T0 + 1)],
            reports: vec![queue_report(serde_json::json!([]))],
            ..Recorded::default()
        };
        let mut feed = Feed::new(T0);
        assert!(feed.collect(&recorded, true).is_empty());
        assert!(feed.collect(&recorded, false).is_empty());
    }
}
