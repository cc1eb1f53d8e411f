//! The dates TaskRouter REPORTS about a task on each of its events, as opposed to the events we
//! saw happen: `task_date_created`, `task_queue_entered_date` (when the task entered the queue
//! named by the event's `task_queue_sid`) and `task_age` (whole seconds since creation). They
//! matter for a task that was already waiting when observed history begins (first start, or a
//! resume after a gap): its `task.created` / `task-queue.entered` lie before the first poll, and
//! only these keys say how long it has been waiting.
//!
//! - Formats: ISO 8601 / RFC 3339 (`2026-11-20T10:15:00.123Z`, what Twilio writes, with
//!   milliseconds since 2020), also without the zone (read as UTC), or epoch seconds (or
//!   milliseconds, for values of 10¹¹ and more) as a number or a string of digits. Anything else,
//!   and any value at or before the epoch, is ignored.
//! - A reported date later than the event that reports it is taken as the event's time (a date
//!   cannot lie after its own report).
//! - Creation: the first readable `task_date_created` in event order, else the first readable
//!   `task_age` (event time − age).

use super::non_empty;
use crate::model::{AcdEvent, Millis};

/// What the task's events reported, in event order.
#[derive(Debug, Clone, Default)]
pub(super) struct ReportedDates {
    created_ms: Option<Millis>,
    created_from_age_ms: Option<Millis>,
    /// `(event time, queue, entered that queue at)` for each event that names both.
    entries: Vec<(Millis, String, Millis)>,
}

impl ReportedDates {
    /// Reads one event (any task, task-queue, reservation or workflow event of the task).
    pub(super) fn read(&mut self, e: &AcdEvent, queue: Option<&str>) {
        let at = e.event_ms;
        if self.created_ms.is_none() {
            self.created_ms = date_ms(e, "task_date_created").map(|d| d.min(at));
        }
        if self.created_from_age_ms.is_none() {
            self.created_from_age_ms = e
                .data
                .i64("task_age")
                .filter(|age| *age >= 0)
                .map(|age| at.saturating_sub(age.saturating_mul(1000)));
        }
        if let (Some(q), Some(d)) = (queue, date_ms(e, "task_queue_entered_date")) {
            self.entries.push((at, q.to_string(), d.min(at)));
        }
    }

    /// When the task was created, as reported.
    pub(super) fn created_ms(&self) -> Option<Millis> {
        self.created_ms.or(self.created_from_age_ms)
    }

    /// The earliest reported queue entry (any queue).
    pub(super) fn first_entry_ms(&self) -> Option<Millis> {
        self.entries.iter().map(|(_, _, d)| *d).min()
    }

    /// When the task entered `queue`, as reported by the last event naming that queue at or
    /// before `until` (any time when `None`).
    pub(super) fn entry_into(&self, queue: &str, until: Option<Millis>) -> Option<Millis> {
        self.entries
            .iter()
            .filter(|(at, q, _)| q == queue && until.is_none_or(|u| *at <= u))
            .map(|(_, _, d)| *d)
            .next_back()
    }
}

/// A reported date at `key`, in epoch milliseconds.
fn date_ms(e: &AcdEvent, key: &str) -> Option<Millis> {
    let text = non_empty(e, key)?;
    parse_date_ms(text.trim()).filter(|ms| *ms > 0)
}

/// ISO 8601 (with or without zone, read as UTC without) or epoch seconds / milliseconds.
pub(crate) fn parse_date_ms(text: &str) -> Option<Millis> {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        let n: i64 = text.parse().ok()?;
        return Some(if n >= 100_000_000_000 {
            n
        } else {
            n.saturating_mul(1000)
        });
    }
    if let Some(ms) = crate::clock::parse_rfc3339_ms(text) {
        return Some(ms);
    }
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
        .iter()
        .find_map(|f| chrono::NaiveDateTime::parse_from_str(text, f).ok())
        .map(|t| t.and_utc().timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::EventData;

    #[test]
    fn twilio_date_formats() {
        let iso = parse_date_ms("2026-11-20T10:15:00.123Z").unwrap();
        assert_eq!(iso % 1000, 123);
        assert_eq!(parse_date_ms("2026-11-20T10:15:00.123"), Some(iso));
        assert_eq!(parse_date_ms("2026-11-20T10:15:00Z"), Some(iso - 123));
        assert_eq!(parse_date_ms("1795169700"), Some(1_795_169_700_000));
        assert_eq!(parse_date_ms("1795169700123"), Some(1_795_169_700_123));
        assert_eq!(parse_date_ms("soon"), None);
        assert_eq!(parse_date_ms(""), None);
    }

    fn ev(ms: Millis, data: serde_json::Value) -> AcdEvent {
        AcdEvent {
            sid: format!("EV{ms}"),
            event_type: "reservation.created".into(),
            event_ms: ms,
            resource_sid: "WR1".into(),
            resource_type: "reservation".into(),
            data: EventData::from(data.as_object().cloned().unwrap_or_default()),
        }
    }

    #[test]
    fn reported_dates_never_lie_after_their_event_and_junk_is_ignored() {
        let mut d = ReportedDates::default();
        d.read(
            &ev(
                10_000_000,
                serde_json::json!({"task_age": "-5", "task_date_created": "0",
                    "task_queue_entered_date": "2100-01-01T00:00:00Z"}),
            ),
            Some("WQ1"),
        );
        assert_eq!(d.created_ms(), None);
        assert_eq!(d.entry_into("WQ1", None), Some(10_000_000));
        d.read(&ev(12_000_000, serde_json::json!({"task_age": 30})), None);
        assert_eq!(d.created_ms(), Some(11_970_000));
        assert_eq!(d.entry_into("WQ2", None), None);
        assert_eq!(d.entry_into("WQ1", Some(9_999_999)), None);
    }
}
