//! `agentSystemPerformanceReport`: per agent, the interval's time by effective state (segments
//! clipped to the interval) and the reservations offered / answered in it. The rules — parts that
//! add up exactly to `loggedInSec`, which interval a reservation counts in — are in the
//! [`crate::report`] module docs.

use super::dto::AgentSystemPerformanceRow;
use super::secs_between;
use crate::model::{AgentState, Interval, Millis, ReservationOutcome, ReservationRecord, Segment};
use std::collections::BTreeMap;

/// One row per agent that was logged in during `interval` or has a reservation counted in it,
/// sorted by `agentId`.
pub fn agent_system_performance(
    segments: &[Segment],
    reservations: &[ReservationRecord],
    interval: Interval,
) -> Vec<AgentSystemPerformanceRow> {
    let mut rows: BTreeMap<&str, AgentSystemPerformanceRow> = BTreeMap::new();

    let mut by_agent: BTreeMap<&str, Vec<&Segment>> = BTreeMap::new();
    for s in segments {
        by_agent.entry(s.agent_id.as_str()).or_default().push(s);
    }
    for (agent, mut segs) in by_agent {
        // A total order, so that overlapping (inconsistent) segments resolve the same way always.
        segs.sort_by(|a, b| {
            (
                a.start_ms,
                a.end_ms,
                a.state,
                &a.reason_code,
                &a.media_type,
                &a.worker_sid,
            )
                .cmp(&(
                    b.start_ms,
                    b.end_ms,
                    b.state,
                    &b.reason_code,
                    &b.media_type,
                    &b.worker_sid,
                ))
        });
        let mut logged_in = false;
        let mut row = AgentSystemPerformanceRow::default();
        for (s, from, to) in disjoint_pieces(&segs, interval) {
            if s.state == AgentState::LoggedOut {
                continue;
            }
            logged_in = true;
            let sec = secs_between(from, to);
            row.logged_in_sec += sec;
            match s.state {
                AgentState::Available => row.available_sec += sec,
                AgentState::Reserved => row.reserved_sec += sec,
                AgentState::OnContact => row.on_contact_sec += sec,
                AgentState::AfterContactWork => row.acw_sec += sec,
                AgentState::Unavailable => {
                    row.unavailable_sec += sec;
                    let reason = s.reason_code.clone().unwrap_or_default();
                    *row.unavailable_by_reason.entry(reason).or_default() += sec;
                }
                AgentState::LoggedOut => {}
            }
        }
        if logged_in {
            rows.insert(agent, row);
        }
    }

    for r in reservations {
        let in_iv = |t: Option<Millis>| t.is_some_and(|t| interval.contains(t));
        let offered = in_iv(Some(r.created_ms));
        let answered = in_iv(r.outcome_ms);
        if !offered && !answered {
            continue;
        }
        let row = rows.entry(r.agent_id.as_str()).or_default();
        row.reservations_offered += u64::from(offered);
        if answered {
            match r.outcome {
                ReservationOutcome::Accepted => row.reservations_accepted += 1,
                ReservationOutcome::Rejected => row.reservations_rejected += 1,
                ReservationOutcome::TimedOut => row.reservations_timed_out += 1,
                // Withdrawn or failed by TaskRouter: offered, but neither the agent's answer nor
                // its silence.
                ReservationOutcome::Canceled
                | ReservationOutcome::Failed
                | ReservationOutcome::Pending => {}
            }
        }
    }

    rows.into_iter()
        .map(|(agent, row)| AgentSystemPerformanceRow {
            agent_id: agent.to_string(),
            ..row
        })
        .collect()
}

/// The parts of one agent's sorted segments inside `interval`, made disjoint: each piece starts
/// no earlier than where the previous one stopped. An open segment runs to the interval end.
fn disjoint_pieces<'a>(
    segs: &[&'a Segment],
    interval: Interval,
) -> Vec<(&'a Segment, Millis, Millis)> {
    let mut covered_to = interval.start_ms;
    let mut pieces = Vec::new();
    for s in segs {
        let from = s.start_ms.max(covered_to);
        let to = s.end_ms.unwrap_or(interval.end_ms).min(interval.end_ms);
        if to > from {
            pieces.push((*s, from, to));
            covered_to = to;
        }
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(state: AgentState, reason: Option<&str>, start: i64, end: Option<i64>) -> Segment {
        Segment {
            worker_sid: "WK1".into(),
            agent_id: "ann".into(),
            state,
            reason_code: reason.map(str::to_string),
            media_type: None,
            start_ms: start,
            end_ms: end,
        }
    }

    const IV: Interval = Interval {
        start_ms: 900_000,
        end_ms: 1_800_000,
    };

    #[test]
    fn overlapping_segments_never_count_twice() {
        // Two segments both claiming 1 000 s – 1 200 s: the earlier start wins the overlap.
        let segs = [
            seg(AgentState::Available, None, 1_000_000, Some(1_200_000)),
            seg(
                AgentState::Unavailable,
                Some("Break"),
                1_100_000,
                Some(1_300_000),
            ),
        ];
        let rows = agent_system_performance(&segs, &[], IV);
        assert_eq!(rows[0].available_sec, 200);
        assert_eq!(rows[0].unavailable_sec, 100);
        assert_eq!(rows[0].logged_in_sec, 300);
    }

    #[test]
    fn logged_out_agents_without_reservations_get_no_row() {
        let segs = [seg(AgentState::LoggedOut, None, 0, None)];
        assert!(agent_system_performance(&segs, &[], IV).is_empty());
    }

    #[test]
    fn open_segment_runs_to_interval_end_and_missing_reason_is_empty_key() {
        let segs = [seg(AgentState::Unavailable, None, 1_500_000, None)];
        let rows = agent_system_performance(&segs, &[], IV);
        assert_eq!(rows[0].logged_in_sec, 300);
        assert_eq!(rows[0].unavailable_by_reason.get(""), Some(&300));
    }
}
