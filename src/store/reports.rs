//! The report side of the buffer: what a report builder reads for an interval (tasks that ended
//! in it, reservations touched in it, segments overlapping it), and the report outbox with its
//! revisions. The outbox keeps each revision's kind and interval, and its `reportData` in a table
//! of its own (`report_data`, keyed by the report's id: marking a report sent rewrites only its
//! small row); the request around it is built in [`crate::wfm::request`] when the drain claims
//! it.
//!
//! Reports are claimed a few at a time ([`Store::claim_reports`]) for different intervals; the
//! revisions of one (kind, interval) go strictly one after the other.

use super::{Store, StoreError};
use crate::derive::task::TaskRecord;
use crate::model::{Interval, Millis, ReservationRecord};
use rusqlite::{OptionalExtension, params};
use std::collections::HashSet;

/// A report waiting for (or done with) delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedReport {
    pub id: i64,
    pub kind: String,
    pub start_ms: Millis,
    pub end_ms: Millis,
    pub revision: i64,
    /// The serialised `reportData` (what [`crate::report::content_hash`] fingerprints).
    pub report_data: String,
}

impl QueuedReport {
    /// The deterministic id of SPEC §2: type + intervalStart + revision.
    pub fn idempotency_key(&self) -> String {
        format!(
            "{}-{}-r{}",
            self.kind,
            crate::clock::rfc3339_ms(self.start_ms),
            self.revision
        )
    }
}

impl Store {
    /// Tasks counted in the interval: those that ended in `(start, end]` — a task that ends
    /// exactly on a boundary belongs to the interval that closes there (see `report`).
    pub fn tasks_ended_in(&self, iv: Interval) -> Result<Vec<TaskRecord>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT record FROM tasks WHERE ended_ms > ?1 AND ended_ms <= ?2 ORDER BY task_sid",
            )
            .map_err(|e| self.err(e))?;
        let rows: Vec<String> = stmt
            .query_map([iv.start_ms, iv.end_ms], |r| r.get(0))
            .map_err(|e| self.err(e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.err(e))?;
        rows.iter()
            .map(|r| serde_json::from_str(r).map_err(StoreError::from))
            .collect()
    }

    /// Reservations created or resolved in the interval.
    pub fn reservations_in(&self, iv: Interval) -> Result<Vec<ReservationRecord>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT record FROM reservations WHERE created_ms >= ?1 AND created_ms < ?2
                 UNION
                 SELECT record FROM reservations WHERE outcome_ms >= ?1 AND outcome_ms < ?2",
            )
            .map_err(|e| self.err(e))?;
        let rows: Vec<String> = stmt
            .query_map([iv.start_ms, iv.end_ms], |r| r.get(0))
            .map_err(|e| self.err(e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.err(e))?;
        let mut out: Vec<ReservationRecord> = rows
            .iter()
            .map(|r| serde_json::from_str(r).map_err(StoreError::from))
            .collect::<Result<_, _>>()?;
        out.sort_by(|a, b| a.reservation_sid.cmp(&b.reservation_sid));
        Ok(out)
    }

    /// The last revision queued for (kind, interval start) and its content hash.
    pub fn last_report_revision(
        &self,
        kind: &str,
        start_ms: Millis,
    ) -> Result<Option<(i64, String)>, StoreError> {
        self.conn
            .prepare_cached(
                "SELECT revision, content_hash FROM report_outbox WHERE kind = ?1 AND start_ms = ?2
                 ORDER BY revision DESC LIMIT 1",
            )
            .map_err(|e| self.err(e))?
            .query_row(params![kind, start_ms], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Queues a report revision with its serialised `reportData` (in `report_data`, beside its
    /// row: see the schema's v6). Both rows or neither.
    pub fn enqueue_report(
        &self,
        kind: &str,
        iv: Interval,
        revision: i64,
        content_hash: &str,
        report_data: &str,
        now_ms: Millis,
    ) -> Result<(), StoreError> {
        // A savepoint, not a transaction: the caller may be inside one.
        self.conn
            .execute_batch("SAVEPOINT enqueue_report")
            .map_err(|e| self.err(e))?;
        let queued = self.insert_report(kind, iv, revision, content_hash, report_data, now_ms);
        let end = match queued {
            Ok(()) => "RELEASE enqueue_report",
            Err(_) => "ROLLBACK TO enqueue_report; RELEASE enqueue_report",
        };
        self.conn.execute_batch(end).map_err(|e| self.err(e))?;
        queued.map_err(|e| self.err(e))
    }

    fn insert_report(
        &self,
        kind: &str,
        iv: Interval,
        revision: i64,
        content_hash: &str,
        report_data: &str,
        now_ms: Millis,
    ) -> rusqlite::Result<()> {
        let queued = self
            .conn
            .prepare_cached(
                "INSERT OR IGNORE INTO report_outbox
                 (kind, start_ms, end_ms, revision, content_hash, created_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                kind,
                iv.start_ms,
                iv.end_ms,
                revision,
                content_hash,
                now_ms
            ])?;
        if queued == 1 {
            self.conn
                .prepare_cached("INSERT INTO report_data (report_id, data) VALUES (?1, ?2)")?
                .execute(params![self.conn.last_insert_rowid(), report_data])?;
        }
        Ok(())
    }

    /// Up to `max` reports to send now, oldest first, for as many different (kind, interval start)
    /// pairs: of each pair only its lowest pending revision — a revision goes only once the one
    /// before it is acknowledged (delivered or dead-lettered) — and no pair in `busy` (in flight).
    pub fn claim_reports(
        &self,
        max: usize,
        busy: &HashSet<(String, Millis)>,
    ) -> Result<Vec<QueuedReport>, StoreError> {
        Ok(self
            .claim_reports_with(max, busy, |_, data| data.to_owned())?
            .into_iter()
            .map(|(report, data)| QueuedReport {
                report_data: data,
                ..report
            })
            .collect())
    }

    /// [`Store::claim_reports`], each report's `reportData` handed to `build` as SQLite holds it
    /// (borrowed, not copied: a report of 20,000 agents is megabytes) with the report
    /// (`report_data` left empty); what `build` makes of it comes back beside the report. Only
    /// the reports handed out are read whole.
    pub fn claim_reports_with<T>(
        &self,
        max: usize,
        busy: &HashSet<(String, Millis)>,
        mut build: impl FnMut(&QueuedReport, &str) -> T,
    ) -> Result<Vec<(QueuedReport, T)>, StoreError> {
        if max == 0 {
            return Ok(Vec::new());
        }
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, kind, start_ms, end_ms, revision FROM report_outbox o
                 WHERE sent_ms IS NULL
                   AND NOT EXISTS (SELECT 1 FROM report_outbox e
                                   WHERE e.kind = o.kind AND e.start_ms = o.start_ms
                                     AND e.revision < o.revision AND e.sent_ms IS NULL)
                 ORDER BY id LIMIT ?1",
            )
            .map_err(|e| self.err(e))?;
        // Each busy pair hides at most one row (its head), so this many always holds `max`.
        let limit = i64::try_from(max.saturating_add(busy.len())).unwrap_or(i64::MAX);
        let rows = stmt
            .query_map([limit], |r| {
                Ok(QueuedReport {
                    id: r.get(0)?,
                    kind: r.get(1)?,
                    start_ms: r.get(2)?,
                    end_ms: r.get(3)?,
                    revision: r.get(4)?,
                    report_data: String::new(),
                })
            })
            .map_err(|e| self.err(e))?;
        let mut heads = Vec::new();
        for row in rows {
            let report = row.map_err(|e| self.err(e))?;
            if !busy.contains(&(report.kind.clone(), report.start_ms)) {
                heads.push(report);
            }
            if heads.len() == max {
                break;
            }
        }
        let mut data = self
            .conn
            .prepare_cached("SELECT data FROM report_data WHERE report_id = ?1")
            .map_err(|e| self.err(e))?;
        let mut out = Vec::with_capacity(heads.len());
        for report in heads {
            // A report without data (never written so) builds from nothing: its request fails to
            // build and is dead-lettered, rather than stopping the outbox.
            let built = data
                .query_row([report.id], |r| Ok(build(&report, r.get_ref(0)?.as_str()?)))
                .optional()
                .map_err(|e| self.err(e))?;
            let built = match built {
                Some(b) => b,
                None => build(&report, ""),
            };
            out.push((report, built));
        }
        Ok(out)
    }

    /// Marks a report delivered; with `error`, also dead-letters it.
    pub fn ack_report(
        &mut self,
        report: &QueuedReport,
        error: Option<&str>,
        now_ms: Millis,
    ) -> Result<(), StoreError> {
        let path = self.path.clone();
        let w = |e| super::wrap(&path, e);
        let tx = self.conn.transaction().map_err(w)?;
        tx.execute(
            "UPDATE report_outbox SET sent_ms = ?2 WHERE id = ?1",
            params![report.id, now_ms],
        )
        .map_err(w)?;
        if let Some(error) = error {
            tx.execute(
                "INSERT INTO dead_letters (kind, item_id, error, created_ms)
                 VALUES ('report', ?1, ?2, ?3)",
                params![report.id.to_string(), error, now_ms],
            )
            .map_err(w)?;
        }
        tx.commit().map_err(w)
    }
}
