//! What `status`, the heartbeat and `/metrics` read from the buffer.

use super::{Store, StoreError};
use crate::model::Millis;
use rusqlite::OptionalExtension;
use serde::Serialize;

/// A dead letter as `status` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct DeadLetter {
    pub kind: String,
    pub item_id: String,
    pub error: String,
    pub created_ms: Millis,
}

/// The buffer's summary.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BufferStatus {
    pub schema_version: i64,
    pub cursor_ms: Option<Millis>,
    pub events: i64,
    pub workers: i64,
    pub pending_states: i64,
    pub oldest_pending_state_ms: Option<Millis>,
    pub pending_reports: i64,
    pub oldest_pending_report_ms: Option<Millis>,
    pub dead_letter_count: i64,
    pub dead_letters: Vec<DeadLetter>,
    pub last_poll_ms: Option<Millis>,
    pub last_push_ms: Option<Millis>,
    /// Last request of Twilio Event Streams whose events were committed (the push path; to the
    /// second).
    pub last_push_accepted_ms: Option<Millis>,
    /// Last report sent per kind: (kind, interval start, revision).
    pub last_reports: Vec<(String, Millis, i64)>,
}

impl Store {
    /// The summary; `max_dead_letters` bounds how many dead letters are listed.
    pub fn status(&self, max_dead_letters: usize) -> Result<BufferStatus, StoreError> {
        let one = |sql: &str| -> Result<Option<i64>, StoreError> {
            self.conn
                .query_row(sql, [], |r| r.get::<_, Option<i64>>(0))
                .optional()
                .map(Option::flatten)
                .map_err(|e| self.err(e))
        };
        let mut s = BufferStatus {
            schema_version: self.schema_version()?,
            cursor_ms: self.cursor()?,
            events: one("SELECT COUNT(*) FROM acd_events")?.unwrap_or(0),
            workers: one("SELECT COUNT(*) FROM workers")?.unwrap_or(0),
            pending_states: one("SELECT COUNT(*) FROM state_outbox WHERE sent_ms IS NULL")?
                .unwrap_or(0),
            oldest_pending_state_ms: one(
                "SELECT created_ms FROM state_outbox WHERE sent_ms IS NULL ORDER BY seq LIMIT 1",
            )?,
            pending_reports: one("SELECT COUNT(*) FROM report_outbox WHERE sent_ms IS NULL")?
                .unwrap_or(0),
            oldest_pending_report_ms: one(
                "SELECT MIN(created_ms) FROM report_outbox WHERE sent_ms IS NULL",
            )?,
            dead_letter_count: one("SELECT COUNT(*) FROM dead_letters")?.unwrap_or(0),
            last_poll_ms: self.meta("last_poll_ms")?.and_then(|v| v.parse().ok()),
            last_push_ms: self.meta("last_push_ms")?.and_then(|v| v.parse().ok()),
            last_push_accepted_ms: self
                .meta("last_push_accepted_ms")?
                .and_then(|v| v.parse().ok()),
            ..BufferStatus::default()
        };
        let mut stmt = self
            .conn
            .prepare(
                "SELECT kind, item_id, error, created_ms FROM dead_letters ORDER BY id DESC LIMIT ?1",
            )
            .map_err(|e| self.err(e))?;
        s.dead_letters = stmt
            .query_map([max_dead_letters as i64], |r| {
                Ok(DeadLetter {
                    kind: r.get(0)?,
                    item_id: r.get(1)?,
                    error: r.get(2)?,
                    created_ms: r.get(3)?,
                })
            })
            .map_err(|e| self.err(e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.err(e))?;
        let mut stmt = self
            .conn
            .prepare(
                "SELECT kind, MAX(start_ms), MAX(revision) FROM report_outbox
                 WHERE sent_ms IS NOT NULL GROUP BY kind ORDER BY kind",
            )
            .map_err(|e| self.err(e))?;
        s.last_reports = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(|e| self.err(e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.err(e))?;
        Ok(s)
    }
}
