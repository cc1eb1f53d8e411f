//! The outboxes: what waits to be delivered to WFM, in order, and what became of it.
//!
//! Agent states are claimed in sequence order, at most `batch_size` at a time; a snapshot row is
//! always a batch of its own (WFM must see the whole roster at once to log out absent agents).
//! Delivered rows are marked `sent_ms` and pruned after the retention; rejected items move to
//! `dead_letters` with the error WFM gave.
//!
//! Reports are claimed a few at a time ([`Store::claim_reports`]) for different intervals; the
//! revisions of one (kind, interval) go strictly one after the other.

use super::reports::QueuedReport;
use super::{Store, StoreError};
use crate::ids::stable_id;
use crate::model::{AgentStateRecord, Millis};
use crate::wfm::dto::AgentStateItem;
use rusqlite::{Transaction, params};
use std::collections::HashSet;

/// What a claimed batch of the real-time outbox holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateBatchKind {
    States,
    Snapshot,
}

/// A batch claimed from the real-time outbox.
#[derive(Debug, Clone)]
pub struct StateBatch {
    pub kind: StateBatchKind,
    /// `seq` of each row, in order.
    pub seqs: Vec<i64>,
    /// Each row's item id (the `eventId`, or the snapshot id).
    pub ids: Vec<String>,
    /// The JSON of each item (states), or one JSON array (snapshot).
    pub bodies: Vec<String>,
}

impl StateBatch {
    /// Deterministic batch id: two connectors that batch the same items send the same id.
    pub fn batch_id(&self) -> String {
        let first = self.ids.first().map(String::as_str).unwrap_or("");
        let last = self.ids.last().map(String::as_str).unwrap_or("");
        let n = self.ids.len().to_string();
        stable_id("B", &[first, last, &n])
    }

    /// How many agent states the request carries: one per row, or every agent of a snapshot
    /// (the indexes a PARTIAL answer may name).
    pub fn item_count(&self) -> usize {
        match self.kind {
            StateBatchKind::States => self.ids.len(),
            StateBatchKind::Snapshot => self
                .bodies
                .first()
                .and_then(|b| serde_json::from_str::<Vec<serde::de::IgnoredAny>>(b).ok())
                .map_or(0, |items| items.len()),
        }
    }

    /// The `agentStates` array, built from the stored item JSON without re-serialising.
    pub fn items_json(&self) -> String {
        match self.kind {
            StateBatchKind::Snapshot => self.bodies.first().cloned().unwrap_or_else(|| "[]".into()),
            StateBatchKind::States => {
                let len = self.bodies.iter().map(|b| b.len() + 1).sum::<usize>() + 2;
                let mut s = String::with_capacity(len);
                s.push('[');
                for (i, b) in self.bodies.iter().enumerate() {
                    if i > 0 {
                        s.push(',');
                    }
                    s.push_str(b);
                }
                s.push(']');
                s
            }
        }
    }
}

/// Queues agent-state records for real time, in the order given, inside the caller's
/// transaction (the ingest of a page). A record whose `event_id` is already queued is skipped.
/// Returns how many were queued.
pub(crate) fn queue_states(
    tx: &Transaction<'_>,
    records: &[AgentStateRecord],
    now_ms: Millis,
) -> Result<usize, StoreError> {
    let sq = |e| StoreError::Sqlite {
        path: String::new(),
        source: e,
    };
    let mut ins = tx
        .prepare_cached(
            "INSERT OR IGNORE INTO state_outbox (event_id, kind, body, created_ms)
             VALUES (?1, 'state', ?2, ?3)",
        )
        .map_err(sq)?;
    let mut n = 0;
    for r in records {
        let body = serde_json::to_string(&AgentStateItem::from(r))?;
        n += ins.execute(params![r.event_id, body, now_ms]).map_err(sq)?;
    }
    Ok(n)
}

impl Store {
    /// The oldest pending agent states, at most `max` (a snapshot comes alone).
    pub fn claim_state_batch(&self, max: usize) -> Result<Option<StateBatch>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT seq, event_id, kind, body FROM state_outbox
                 WHERE sent_ms IS NULL ORDER BY seq LIMIT ?1",
            )
            .map_err(|e| self.err(e))?;
        let mut rows = stmt.query([max.max(1) as i64]).map_err(|e| self.err(e))?;
        let mut batch: Option<StateBatch> = None;
        while let Some(r) = rows.next().map_err(|e| self.err(e))? {
            let seq: i64 = r.get(0).map_err(|e| self.err(e))?;
            let id: String = r.get(1).map_err(|e| self.err(e))?;
            let kind: String = r.get(2).map_err(|e| self.err(e))?;
            let body: String = r.get(3).map_err(|e| self.err(e))?;
            let kind = if kind == "snapshot" {
                StateBatchKind::Snapshot
            } else {
                StateBatchKind::States
            };
            match &mut batch {
                None => {
                    let alone = kind == StateBatchKind::Snapshot;
                    batch = Some(StateBatch {
                        kind,
                        seqs: vec![seq],
                        ids: vec![id],
                        bodies: vec![body],
                    });
                    if alone {
                        break;
                    }
                }
                Some(b) => {
                    if kind != StateBatchKind::States {
                        break;
                    }
                    b.seqs.push(seq);
                    b.ids.push(id);
                    b.bodies.push(body);
                }
            }
        }
        Ok(batch)
    }

    /// Marks rows delivered, and dead-letters `rejected` items (index into `batch`, error).
    pub fn ack_state_batch(
        &mut self,
        batch: &StateBatch,
        rejected: &[(usize, String)],
        now_ms: Millis,
    ) -> Result<(), StoreError> {
        let tx = self
            .conn
            .transaction()
            .map_err(|e| super::wrap(&self.path, e))?;
        {
            let mut mark = tx
                .prepare_cached("UPDATE state_outbox SET sent_ms = ?2 WHERE seq = ?1")
                .map_err(|e| super::wrap(&self.path, e))?;
            for seq in &batch.seqs {
                mark.execute(params![seq, now_ms])
                    .map_err(|e| super::wrap(&self.path, e))?;
            }
            let mut dead = tx
                .prepare_cached(
                    "INSERT INTO dead_letters (kind, item_id, body, error, created_ms)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .map_err(|e| super::wrap(&self.path, e))?;
            let kind = match batch.kind {
                StateBatchKind::States => "state",
                StateBatchKind::Snapshot => "snapshot",
            };
            // A snapshot is one row: item errors dead-letter that row once, with every error.
            let grouped: Vec<(usize, String)> = match batch.kind {
                StateBatchKind::States => rejected.to_vec(),
                StateBatchKind::Snapshot if rejected.is_empty() => Vec::new(),
                StateBatchKind::Snapshot => vec![(
                    0,
                    rejected
                        .iter()
                        .map(|(i, e)| format!("item {i}: {e}"))
                        .collect::<Vec<_>>()
                        .join("; "),
                )],
            };
            for (index, error) in &grouped {
                if let (Some(id), Some(body)) = (batch.ids.get(*index), batch.bodies.get(*index)) {
                    dead.execute(params![kind, id, body, error, now_ms])
                        .map_err(|e| super::wrap(&self.path, e))?;
                }
            }
        }
        tx.commit().map_err(|e| super::wrap(&self.path, e))
    }

    /// Up to `max` reports to send now, oldest first, for as many different (kind, interval start)
    /// pairs: of each pair only its lowest pending revision — a revision goes only once the one
    /// before it is acknowledged (delivered or dead-lettered) — and no pair in `busy` (in flight).
    pub fn claim_reports(
        &self,
        max: usize,
        busy: &HashSet<(String, Millis)>,
    ) -> Result<Vec<QueuedReport>, StoreError> {
        if max == 0 {
            return Ok(Vec::new());
        }
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, kind, start_ms, end_ms, revision, body FROM report_outbox o
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
                    body: r.get(5)?,
                })
            })
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for row in rows {
            let report = row.map_err(|e| self.err(e))?;
            if !busy.contains(&(report.kind.clone(), report.start_ms)) {
                out.push(report);
            }
            if out.len() == max {
                break;
            }
        }
        Ok(out)
    }

    /// Queues a snapshot (an array of agent-state items) behind the pending states.
    pub fn enqueue_snapshot(
        &self,
        snapshot_id: &str,
        items_json: &str,
        now_ms: Millis,
    ) -> Result<bool, StoreError> {
        self.conn
            .execute(
                "INSERT OR IGNORE INTO state_outbox (event_id, kind, body, created_ms)
                 VALUES (?1, 'snapshot', ?2, ?3)",
                params![snapshot_id, items_json, now_ms],
            )
            .map(|n| n > 0)
            .map_err(|e| self.err(e))
    }

    /// Re-queues every dead letter (they get new outbox rows; the dead letters are removed).
    /// Returns how many were re-queued.
    pub fn requeue_dead_letters(&mut self, now_ms: Millis) -> Result<usize, StoreError> {
        let tx = self
            .conn
            .transaction()
            .map_err(|e| super::wrap(&self.path, e))?;
        let w = |e| super::wrap(&self.path, e);
        let mut n = 0;
        n += tx
            .execute(
                "INSERT OR REPLACE INTO state_outbox (event_id, kind, body, created_ms)
                 SELECT item_id, kind, body, ?1 FROM dead_letters WHERE kind IN ('state', 'snapshot')",
                [now_ms],
            )
            .map_err(w)?;
        n += tx
            .execute(
                "UPDATE report_outbox SET sent_ms = NULL
                 WHERE id IN (SELECT CAST(item_id AS INTEGER) FROM dead_letters WHERE kind = 'report')",
                [],
            )
            .map_err(w)?;
        tx.execute("DELETE FROM dead_letters", []).map_err(w)?;
        tx.commit().map_err(w)?;
        Ok(n)
    }
}
