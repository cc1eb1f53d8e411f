//! The agent-state outbox as the drain ([`super::drain`]) sees it: buffer → WFM for agent states
//! and roster snapshots. One batch in flight, strictly in order, so WFM sees each agent's states
//! in order; what WFM refuses of a batch is dead-lettered with its error and the next batch goes.
//!
//! **Learning that WFM is back.** The pusher's backoff is capped at [`STATES_RETRY_MAX`] (15 s),
//! or `[wfm] retry_max` when that is lower; reports keep `retry_max` (default 60 s). Exponential
//! backoff with full jitter draws each wait from `[0, cap)`, so after an outage of any length the
//! first try after WFM's return comes within the cap: with 60 s, a day's backlog could wait up to
//! a minute before draining starts, which alone spends SPEC §11's budget (< 60 s from WFM's
//! return to fully drained). Otherwise the SPEC §6 policy holds unchanged: never give up, never
//! drop, exponential from `retry_initial`, full jitter, a `Retry-After` honoured whatever its
//! length. The cost is a few more tries during an outage (one batch request every 7.5 s on
//! average instead of every 30 s): nothing for WFM. Considered and not done: waking the backoff
//! when another stream (heartbeat, reports) gets an answer — those back off as well (the
//! heartbeat beats every 60 s), so it would not bound the wait, and a stream that keeps
//! succeeding while agent states keep failing would turn the states' backoff into a busy loop.

use super::drain::{self, Outbox};
use super::{Shared, SharedStore};
use crate::model::Millis;
use crate::retry::RetryPolicy;
use crate::shutdown::Shutdown;
use crate::store::outbox::{StateBatch, StateBatchKind};
use crate::store::{Store, StoreError};
use crate::wfm::request::{self, Request};
use crate::wfm::{Delivery, WfmClient};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// The longest the state pusher waits between two tries (unless WFM's `Retry-After` says
/// longer): a quarter of SPEC §11's minute from WFM's return to a drained backlog.
pub const STATES_RETRY_MAX: Duration = Duration::from_secs(15);

/// The state pusher's retry policy: `[wfm]`'s, its cap lowered to [`STATES_RETRY_MAX`] (see the
/// module docs).
pub fn states_retry_policy(shared: &Shared) -> RetryPolicy {
    let wfm = drain::delivery_policy(shared);
    let max = wfm.max.min(STATES_RETRY_MAX);
    RetryPolicy {
        initial: wfm.initial.min(max),
        max,
        ..wfm
    }
}

/// Drains the agent-state outbox until shutdown.
pub async fn run_states(
    shared: Shared,
    client: Arc<WfmClient>,
    store: SharedStore,
    shutdown: Shutdown,
) {
    let outbox = AgentStates {
        shared: shared.clone(),
    };
    drain::run(outbox, shared, client, store, shutdown).await;
}

/// The real-time outbox: batches of agent states, and snapshots.
pub struct AgentStates {
    shared: Shared,
}

impl Outbox for AgentStates {
    type Item = StateBatch;
    type Lane = ();
    const NAME: &'static str = "agent states";

    /// One: a second batch in flight could overtake the first.
    fn concurrency(&self) -> usize {
        1
    }

    fn retry_policy(&self, shared: &Shared) -> RetryPolicy {
        states_retry_policy(shared)
    }

    fn ready(&self) -> &Notify {
        &self.shared.states_ready
    }

    fn claim(
        &self,
        store: &mut Store,
        _room: usize,
        _busy: &HashSet<()>,
    ) -> Result<Vec<StateBatch>, StoreError> {
        // Read at each batch: a reload may change it.
        let batch_size = self.shared.current().wfm.batch_size;
        Ok(store.claim_state_batch(batch_size)?.into_iter().collect())
    }

    fn lane(_: &StateBatch) {}

    fn key(batch: &StateBatch) -> String {
        batch.batch_id()
    }

    fn request(batch: &mut StateBatch) -> Result<Request, serde_json::Error> {
        let request = request::agent_states(batch)?;
        // The body holds the states now; their records go (a snapshot's 20,000 are megabytes,
        // alive beside its body until it is answered). Acknowledging needs the seqs, ids and
        // `items` only.
        batch.records = Vec::new();
        Ok(request)
    }

    fn acknowledge(
        &self,
        store: &mut Store,
        batch: &StateBatch,
        delivery: &Delivery,
        now_ms: Millis,
    ) -> Result<(), StoreError> {
        let rejected = rejected_items(delivery, batch.item_count());
        // `last_push_ms` in the same commit.
        store.record_state_delivery(batch, &rejected, now_ms, true)
    }

    fn delivered(&self, key: &str, batch: &StateBatch, delivery: &Delivery) {
        let rejected = rejected_items(delivery, batch.item_count());
        let rows = batch.ids.len();
        if let Some((_, first_error)) = rejected.first() {
            self.shared
                .metrics
                .dead_letters
                .inc_by(rejected.len() as u64);
            tracing::error!(
                batch_id = %key,
                items = rejected.len(),
                first_error = %first_error,
                "WFM refused agent states; dead-lettered"
            );
        }
        if batch.kind == StateBatchKind::States {
            let n_ok = rows.saturating_sub(rejected.len());
            self.shared.metrics.states_sent.inc_by(n_ok as u64);
        }
        tracing::debug!(batch_id = %key, items = rows, "agent states delivered");
    }
}

/// Which items of a batch of `n` are dead-lettered, with their error.
pub fn rejected_items(delivery: &Delivery, n: usize) -> Vec<(usize, String)> {
    match delivery {
        Delivery::Accepted => Vec::new(),
        Delivery::Partial(items) => items.iter().filter(|(i, _)| *i < n).cloned().collect(),
        Delivery::Rejected(e) => (0..n).map(|i| (i, e.clone())).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AgentState, AgentStateRecord};

    /// A snapshot's records go once its body is built (20,000 of them are megabytes, alive beside
    /// the body until WFM answers); what the acknowledgement needs stays.
    #[test]
    fn a_batch_keeps_only_what_its_acknowledgement_needs_once_its_body_is_built() {
        let record = |i: usize| AgentStateRecord {
            event_id: format!("S{i}"),
            worker_sid: format!("WK{i}"),
            agent_id: format!("A{i}"),
            state: AgentState::Available,
            reason_code: None,
            media_type: None,
            state_start_ms: 1_000,
        };
        let mut batch = StateBatch {
            kind: StateBatchKind::Snapshot,
            seqs: vec![7],
            ids: vec!["SNAP1".into()],
            records: vec![record(0), record(1), record(2)],
            items: 3,
        };
        let key = AgentStates::key(&batch);
        let request = AgentStates::request(&mut batch).unwrap();
        assert_eq!(request.items, 3);
        assert!(
            request.body.contains(r#""agentId":"A2""#),
            "{}",
            request.body
        );
        assert!(batch.records.is_empty());
        assert_eq!(batch.records.capacity(), 0);
        assert_eq!(batch.item_count(), 3);
        assert_eq!(AgentStates::key(&batch), key);
        let partial = Delivery::Partial(vec![(2, "bad".into()), (3, "outside".into())]);
        assert_eq!(
            rejected_items(&partial, batch.item_count()),
            [(2, "bad".to_string())]
        );
    }
}
