//! The agent-state outbox as the drain ([`super::drain`]) sees it: buffer → WFM for agent states
//! and roster snapshots. One batch in flight, strictly in order, so WFM sees each agent's states
//! in order; what WFM refuses of a batch is dead-lettered with its error and the next batch goes.

use super::drain::{self, Outbox};
use super::{Shared, SharedStore};
use crate::model::Millis;
use crate::shutdown::Shutdown;
use crate::store::outbox::{StateBatch, StateBatchKind};
use crate::store::{Store, StoreError};
use crate::wfm::request::{self, Request};
use crate::wfm::{Delivery, WfmClient};
use std::collections::HashSet;
use std::sync::Arc;
use tokio::sync::Notify;

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
        request::agent_states(batch)
    }

    fn acknowledge(
        &self,
        store: &mut Store,
        batch: &StateBatch,
        delivery: &Delivery,
        now_ms: Millis,
    ) -> Result<(), StoreError> {
        let rejected = rejected_items(delivery, batch.item_count());
        store.ack_state_batch(batch, &rejected, now_ms)?;
        store.set_meta("last_push_ms", &now_ms.to_string())
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
