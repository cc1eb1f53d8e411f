//! The outboxes: what waits to be delivered to WFM, in order, and what became of it.
//!
//! Agent states are claimed in sequence order, at most `batch_size` at a time; a snapshot row is
//! always a batch of its own (WFM must see the whole roster at once to log out absent agents).
//! Delivered rows are marked `sent_ms` and pruned after the retention; rejected items move to
//! `dead_letters` with the error WFM gave.

use super::{Store, StoreError};
use crate::ids::stable_id;
use crate::model::Millis;
use rusqlite::params;

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
