//! The real-time outbox: the agent states (and roster snapshots) that wait to be delivered to WFM,
//! in order, and what became of them. It keeps rows — each state's record as columns, each
//! snapshot's agents in `snapshot_items` — never WFM JSON: the request bodies are built from the
//! claimed rows in [`crate::wfm::request`], and the drain ([`crate::daemon::drain`]) sends them.
//!
//! Agent states are claimed in sequence order, at most `batch_size` at a time; a snapshot row is
//! always a batch of its own (WFM must see the whole roster at once to log out absent agents).
//! A snapshot queued while another still waits withdraws the older one, unsent (after a day's
//! outage, 95 stale rosters of 20,000 agents each: see `WITHDRAW_SUPERSEDED_SNAPSHOTS`).
//! Delivered rows are marked `sent_ms` (a batch of states in one range update) and pruned after
//! the retention; rejected items are recorded in `dead_letters` with the error WFM gave,
//! pointing at their row.
//!
//! The report outbox is in [`super::reports`].

use super::{Store, StoreError};
use crate::ids::stable_id;
use crate::model::{AgentState, AgentStateRecord, Millis};
use rusqlite::{Row, Transaction, params};

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
    /// The agent states the request carries: one per row, or every agent of the snapshot (each
    /// with its snapshot item id as `event_id`). Emptied once the request's body is built (a
    /// snapshot's 20,000 records are megabytes): [`StateBatch::items`] keeps their number.
    pub records: Vec<AgentStateRecord>,
    /// How many agent states the request carries (`records.len()` as claimed).
    pub items: usize,
}

impl StateBatch {
    /// Deterministic batch id: two connectors that batch the same items send the same id.
    pub fn batch_id(&self) -> String {
        let first = self.ids.first().map(String::as_str).unwrap_or("");
        let last = self.ids.last().map(String::as_str).unwrap_or("");
        let n = self.ids.len().to_string();
        stable_id("B", &[first, last, &n])
    }

    /// How many agent states the request carries (the indexes a PARTIAL answer may name).
    pub fn item_count(&self) -> usize {
        self.items
    }
}

/// Withdraws every snapshot still waiting to be sent except `?1`, the one just queued behind
/// them (its agents go with it, by the schema's trigger).
///
/// Why a superseded snapshot is not sent (SPEC §6: a snapshot is "every agent's *current*
/// state", and agents missing from it are logged out): everything it says is said again, later
/// and in order, by the states queued between it and the new snapshot (each still sent once, in
/// order) and by the new snapshot itself. Sending it would only show RTA a roster of hours ago
/// for the moment it takes to replay the rest, and after a day's outage the 95 stale rosters of
/// 20,000 agents are 1.9 million items: more than the day's 1.2 million states (BENCHMARKS.md,
/// Backlog). Adherence history does not come from snapshots but from the agent activity reports.
///
/// A withdrawn snapshot is deleted, never marked sent (only WFM's acceptance marks a row sent).
/// If the drain has it in flight at that moment, it is delivered as claimed and its
/// acknowledgement finds no row (nothing to mark; a PARTIAL's dead letters keep their error and
/// `replay --dead-letters` finds no row to send again): WFM then sees both snapshots in order.
/// `+sent_ms` keeps SQLite on the small snapshot index instead of walking every pending state.
const WITHDRAW_SUPERSEDED_SNAPSHOTS: &str = "DELETE FROM state_outbox
     WHERE kind = 'snapshot' AND +sent_ms IS NULL AND event_id <> ?1";

/// The record columns, in the order [`record`] reads them (after `seq, event_id, kind`).
const RECORD_COLUMNS: &str = "worker_sid, agent_id, state, reason_code, media_type, state_start_ms";

/// An agent-state record from its columns, starting at column `at` (`event_id` given apart).
fn record(r: &Row<'_>, event_id: String, at: usize) -> rusqlite::Result<AgentStateRecord> {
    let state: String = r.get(at + 2)?;
    Ok(AgentStateRecord {
        event_id,
        worker_sid: r.get(at)?,
        agent_id: r.get(at + 1)?,
        state: AgentState::parse(&state).unwrap_or(AgentState::LoggedOut),
        reason_code: r.get(at + 3)?,
        media_type: r.get(at + 4)?,
        state_start_ms: r.get(at + 5)?,
    })
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
        .prepare_cached(&format!(
            "INSERT OR IGNORE INTO state_outbox (event_id, kind, {RECORD_COLUMNS}, created_ms)
             VALUES (?1, 'state', ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
        ))
        .map_err(sq)?;
    let mut n = 0;
    for r in records {
        n += ins
            .execute(params![
                r.event_id,
                r.worker_sid,
                r.agent_id,
                r.state.as_str(),
                r.reason_code,
                r.media_type,
                r.state_start_ms,
                now_ms
            ])
            .map_err(sq)?;
    }
    Ok(n)
}

/// Marks a delivered batch's rows sent, inside the acknowledgement's transaction.
///
/// A batch of states is the first pending rows in `seq` order, and rows queued later get higher
/// `seq`s (AUTOINCREMENT; a re-queued dead letter takes `MAX(seq) + 1`), so the pending rows
/// between its first and last `seq` are exactly its rows: one range `UPDATE` over the pending
/// index instead of one statement per row. Should the count ever differ (a row of the batch
/// withdrawn or pruned meanwhile), that update is undone and each row is marked by its `seq`.
fn mark_sent(tx: &Transaction<'_>, batch: &StateBatch, now_ms: Millis) -> rusqlite::Result<()> {
    if let (Some(first), Some(last)) = (batch.seqs.first(), batch.seqs.last()) {
        let contiguous = batch.kind == StateBatchKind::States && first <= last;
        if contiguous {
            tx.execute_batch("SAVEPOINT mark_range")?;
            let n = tx
                .prepare_cached(
                    "UPDATE state_outbox SET sent_ms = ?3
                     WHERE seq BETWEEN ?1 AND ?2 AND sent_ms IS NULL",
                )?
                .execute(params![first, last, now_ms])?;
            if n == batch.seqs.len() {
                return tx.execute_batch("RELEASE mark_range");
            }
            tx.execute_batch("ROLLBACK TO mark_range; RELEASE mark_range")?;
        }
    }
    let mut mark = tx.prepare_cached("UPDATE state_outbox SET sent_ms = ?2 WHERE seq = ?1")?;
    for seq in &batch.seqs {
        mark.execute(params![seq, now_ms])?;
    }
    Ok(())
}

impl Store {
    /// The oldest pending agent states, at most `max` (a snapshot comes alone).
    pub fn claim_state_batch(&self, max: usize) -> Result<Option<StateBatch>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT seq, event_id, kind, {RECORD_COLUMNS} FROM state_outbox
                 WHERE sent_ms IS NULL ORDER BY seq LIMIT ?1"
            ))
            .map_err(|e| self.err(e))?;
        let mut rows = stmt.query([max.max(1) as i64]).map_err(|e| self.err(e))?;
        let mut batch: Option<StateBatch> = None;
        while let Some(r) = rows.next().map_err(|e| self.err(e))? {
            let seq: i64 = r.get(0).map_err(|e| self.err(e))?;
            let id: String = r.get(1).map_err(|e| self.err(e))?;
            let kind: String = r.get(2).map_err(|e| self.err(e))?;
            if kind == "snapshot" {
                if batch.is_some() {
                    break;
                }
                let records = self.snapshot_items(&id)?;
                return Ok(Some(StateBatch {
                    kind: StateBatchKind::Snapshot,
                    seqs: vec![seq],
                    ids: vec![id],
                    items: records.len(),
                    records,
                }));
            }
            let rec = record(r, id.clone(), 3).map_err(|e| self.err(e))?;
            let b = batch.get_or_insert_with(|| StateBatch {
                kind: StateBatchKind::States,
                seqs: Vec::new(),
                ids: Vec::new(),
                records: Vec::new(),
                items: 0,
            });
            b.seqs.push(seq);
            b.ids.push(id);
            b.records.push(rec);
            b.items += 1;
        }
        Ok(batch)
    }

    /// The agents of a queued snapshot, in order.
    fn snapshot_items(&self, snapshot_id: &str) -> Result<Vec<AgentStateRecord>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT event_id, {RECORD_COLUMNS} FROM snapshot_items
                 WHERE snapshot_id = ?1 ORDER BY position"
            ))
            .map_err(|e| self.err(e))?;
        stmt.query_map([snapshot_id], |r| record(r, r.get(0)?, 1))
            .map_err(|e| self.err(e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.err(e))
    }

    /// Marks rows delivered, and dead-letters `rejected` items (index into `batch`, error).
    pub fn ack_state_batch(
        &mut self,
        batch: &StateBatch,
        rejected: &[(usize, String)],
        now_ms: Millis,
    ) -> Result<(), StoreError> {
        self.record_state_delivery(batch, rejected, now_ms, false)
    }

    /// [`Store::ack_state_batch`], and `meta.last_push_ms` set to `now_ms` in the same
    /// transaction when `note_push` (the drain's acknowledgement: one commit per batch, not two).
    pub fn record_state_delivery(
        &mut self,
        batch: &StateBatch,
        rejected: &[(usize, String)],
        now_ms: Millis,
        note_push: bool,
    ) -> Result<(), StoreError> {
        let path = self.path.clone();
        let w = |e| super::wrap(&path, e);
        let tx = self.conn.transaction().map_err(w)?;
        {
            mark_sent(&tx, batch, now_ms).map_err(w)?;
            let mut dead = tx
                .prepare_cached(
                    "INSERT INTO dead_letters (kind, item_id, error, created_ms, outbox_seq)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .map_err(w)?;
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
                if let (Some(id), Some(seq)) = (batch.ids.get(*index), batch.seqs.get(*index)) {
                    dead.execute(params![kind, id, error, now_ms, seq])
                        .map_err(w)?;
                }
            }
            if note_push {
                tx.prepare_cached(
                    "INSERT INTO meta(key, value) VALUES ('last_push_ms', ?1)
                     ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                )
                .map_err(w)?
                .execute([now_ms.to_string()])
                .map_err(w)?;
            }
        }
        tx.commit().map_err(w)
    }

    /// Queues a snapshot of every agent's current state behind the pending states: every agent
    /// with a WFM id, ordered by worker sid, each item's `eventId` derived from the state's event
    /// and the worker. The roster is copied row by row as it is read (at 20,000 agents it is
    /// never held). `false` when a snapshot with this id was queued already.
    ///
    /// The snapshots still waiting to be sent are withdrawn in the same transaction (see
    /// `WITHDRAW_SUPERSEDED_SNAPSHOTS`): this one supersedes them.
    pub fn queue_snapshot(&self, snapshot_id: &str, now_ms: Millis) -> Result<bool, StoreError> {
        let tx = self.conn.unchecked_transaction().map_err(|e| self.err(e))?;
        let queued = tx
            .execute(
                "INSERT OR IGNORE INTO state_outbox (event_id, kind, created_ms)
                 VALUES (?1, 'snapshot', ?2)",
                params![snapshot_id, now_ms],
            )
            .map_err(|e| self.err(e))?;
        if queued == 0 {
            return Ok(false);
        }
        let withdrawn = tx
            .execute(WITHDRAW_SUPERSEDED_SNAPSHOTS, [snapshot_id])
            .map_err(|e| self.err(e))?;
        if withdrawn > 0 {
            tracing::info!(
                snapshot = snapshot_id,
                withdrawn,
                "snapshots not yet sent are superseded by the new one; withdrawn unsent"
            );
        }
        let mut ins = tx
            .prepare_cached(&format!(
                "INSERT INTO snapshot_items (snapshot_id, position, event_id, {RECORD_COLUMNS})
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
            ))
            .map_err(|e| self.err(e))?;
        let mut position = 0i64;
        self.each_current_state(|r| {
            if r.agent_id.is_empty() {
                return Ok(());
            }
            let item_id = stable_id("S", &[&r.event_id, &r.worker_sid]);
            ins.execute(params![
                snapshot_id,
                position,
                item_id,
                r.worker_sid,
                r.agent_id,
                r.state.as_str(),
                r.reason_code,
                r.media_type,
                r.state_start_ms
            ])
            .map_err(|e| self.err(e))?;
            position += 1;
            Ok(())
        })?;
        drop(ins);
        tx.commit().map_err(|e| self.err(e))?;
        Ok(true)
    }

    /// Re-queues every dead letter: its outbox row goes pending again, states and snapshots at
    /// the end of the outbox (as if queued now); the dead letters are removed. Returns how many
    /// were re-queued.
    pub fn requeue_dead_letters(&mut self, now_ms: Millis) -> Result<usize, StoreError> {
        let path = self.path.clone();
        let w = |e| super::wrap(&path, e);
        let tx = self.conn.transaction().map_err(w)?;
        let mut n = 0;
        {
            let ids: Vec<i64> = tx
                .prepare(
                    "SELECT outbox_seq FROM dead_letters
                     WHERE kind IN ('state', 'snapshot') AND outbox_seq IS NOT NULL
                     GROUP BY outbox_seq ORDER BY MIN(id)",
                )
                .map_err(w)?
                .query_map([], |r| r.get(0))
                .map_err(w)?
                .collect::<Result<_, _>>()
                .map_err(w)?;
            // A new, last `seq`: AUTOINCREMENT never hands it out again.
            let mut requeue = tx
                .prepare(
                    "UPDATE state_outbox
                     SET seq = (SELECT MAX(seq) FROM state_outbox) + 1, sent_ms = NULL,
                         created_ms = ?1
                     WHERE seq = ?2",
                )
                .map_err(w)?;
            for id in &ids {
                n += requeue.execute(params![now_ms, id]).map_err(w)?;
            }
        }
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
