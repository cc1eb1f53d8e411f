//! The agent activity report (`/reports/agent-activity`): every segment that ENDED in the
//! interval, reported whole. CXone reports an activity in the interval in which it completes.

use super::dto::AgentActivityRow;
use super::{ends_in, secs_between};
use crate::clock::rfc3339_ms;
use crate::model::{Interval, Segment};

/// The rows of one interval: segments with `start < end` whose end falls in `(start, end]` of the
/// interval (a segment ending exactly on a boundary belongs to the interval before it).
pub fn agent_activity(segments: &[Segment], interval: Interval) -> Vec<AgentActivityRow> {
    ended_in_order(segments, interval)
        .into_iter()
        .map(|(s, end)| row(s, end))
        .collect()
}

/// The JSON text of [`agent_activity`]'s rows (exactly `serde_json::to_string` of them), written
/// one row at a time: at 20,000 agents the rows are not all held before they are serialised.
pub fn agent_activity_json(
    segments: &[Segment],
    interval: Interval,
) -> Result<String, serde_json::Error> {
    let ended = ended_in_order(segments, interval);
    let mut json = String::with_capacity(2 + ended.len() * 180);
    json.push('[');
    for (i, (s, end)) in ended.into_iter().enumerate() {
        if i > 0 {
            json.push(',');
        }
        json.push_str(&serde_json::to_string(&row(s, end))?);
    }
    json.push(']');
    Ok(json)
}

/// The segments reported in the interval, with their end, in the report's order.
fn ended_in_order(segments: &[Segment], interval: Interval) -> Vec<(&Segment, i64)> {
    let mut ended: Vec<(&Segment, i64)> = segments
        .iter()
        .filter_map(|s| {
            let end = s.end_ms?;
            (s.start_ms < end && ends_in(interval, end)).then_some((s, end))
        })
        .collect();
    ended.sort_by(|(a, ae), (b, be)| {
        (
            &a.agent_id,
            a.start_ms,
            ae,
            a.state,
            &a.reason_code,
            &a.media_type,
        )
            .cmp(&(
                &b.agent_id,
                b.start_ms,
                be,
                b.state,
                &b.reason_code,
                &b.media_type,
            ))
    });
    ended
}

fn row(s: &Segment, end: i64) -> AgentActivityRow {
    AgentActivityRow {
        agent_id: s.agent_id.clone(),
        state: s.state.as_str().to_string(),
        reason_code: s.reason_code.clone(),
        media_type: s.media_type.clone(),
        start: rfc3339_ms(s.start_ms),
        end: rfc3339_ms(end),
        duration_sec: secs_between(s.start_ms, end),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AgentState;

    fn seg(agent: &str, start: i64, end: Option<i64>) -> Segment {
        Segment {
            worker_sid: format!("WK{agent}"),
            agent_id: agent.to_string(),
            state: AgentState::Available,
            reason_code: None,
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
    fn segment_ending_exactly_at_interval_start_belongs_to_the_previous_interval() {
        // Its last millisecond is 899 999, in [0, 900 000).
        assert!(agent_activity(&[seg("a", 0, Some(900_000))], IV).is_empty());
        let prev = Interval {
            start_ms: 0,
            end_ms: 900_000,
        };
        assert_eq!(agent_activity(&[seg("a", 0, Some(900_000))], prev).len(), 1);
        // One millisecond later it is this interval's.
        assert_eq!(agent_activity(&[seg("a", 0, Some(900_001))], IV).len(), 1);
    }

    #[test]
    fn open_and_zero_length_segments_are_not_reported() {
        let rows = agent_activity(
            &[
                seg("a", 1_000_000, None),
                seg("b", 1_000_000, Some(1_000_000)),
            ],
            IV,
        );
        assert!(rows.is_empty());
    }

    #[test]
    fn rows_are_sorted_by_agent_then_start_and_omit_absent_options() {
        let rows = agent_activity(
            &[
                seg("b", 950_000, Some(960_000)),
                seg("a", 940_000, Some(950_400)),
                seg("a", 100, Some(940_000)),
            ],
            IV,
        );
        let order: Vec<_> = rows
            .iter()
            .map(|r| (r.agent_id.as_str(), r.start.as_str()))
            .collect();
        assert_eq!(
            order,
            [
                ("a", "1970-01-01T00:00:00.100Z"),
                ("a", "1970-01-01T00:15:40.000Z"),
                ("b", "1970-01-01T00:15:50.000Z")
            ]
        );
        // 940.000 → 950.400 rounds to 940 → 950: 10 s.
        assert_eq!(rows[1].duration_sec, 10);
        let json = serde_json::to_string(&rows[2]).unwrap();
        assert_eq!(
            json,
            r#"{"agentId":"b","state":"Available","start":"1970-01-01T00:15:50.000Z","end":"1970-01-01T00:16:00.000Z","durationSec":10}"#
        );
    }

    #[test]
    fn the_streamed_json_is_the_rows_serialised() {
        let mut with_options = seg("c", 901_000, Some(1_200_499));
        with_options.reason_code = Some("Break".into());
        with_options.media_type = Some("voice".into());
        let segments = [
            seg("b", 950_000, Some(960_000)),
            seg("a", 940_000, Some(950_400)),
            seg("a", 100, Some(940_000)),
            seg("a", 1_000_000, None),
            with_options,
        ];
        assert_eq!(
            agent_activity_json(&segments, IV).unwrap(),
            serde_json::to_string(&agent_activity(&segments, IV)).unwrap()
        );
        assert_eq!(agent_activity_json(&[], IV).unwrap(), "[]");
    }
}
