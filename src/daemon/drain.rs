//! The one delivery loop of the connector (vector's `sink.rs`): claim → deliver → acknowledge, over
//! any [`Outbox`]. The agent-state outbox ([`super::pusher`]) and the report outbox
//! ([`super::report_pusher`]) are drained by the same [`run`]; they differ only in what they
//! claim, how many requests may be in flight, how long a failed request waits at most (the
//! state pusher caps `[wfm] retry_max` at 15 s: [`super::pusher`]), and how an answer is
//! recorded.
//!
//! A claimed item becomes one request ([`crate::wfm::request`]), retried with the one retry
//! policy (backoff, full jitter, `Retry-After`) until WFM really answers ([`deliver`]); what WFM
//! refuses is dead-lettered by the outbox's acknowledgement and the next item goes. Only a real
//! answer ends the retries: a `200` that is not a delivery (empty, `{}`, not JSON, an unknown
//! status, a PARTIAL outside the request) is a failed attempt like a `503`. On shutdown the
//! requests in flight finish their current try and record what WFM said; an unanswered one stays
//! in its outbox.

use super::bad_answers::Stream;
use super::{Shared, SharedStore, blocking};
use crate::model::Millis;
use crate::retry::RetryPolicy;
use crate::shutdown::Shutdown;
use crate::store::{Store, StoreError};
use crate::wfm::request::Request;
use crate::wfm::{Delivery, WfmClient, WfmError};
use axum::body::Bytes;
use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::sync::Notify;
use tokio::task::{Id, JoinError, JoinSet};

/// How long an idle drain waits before looking at its outbox again without being poked.
const IDLE_RECHECK: Duration = Duration::from_secs(1);

/// The retry policy for delivery, from `[wfm]`: unlimited tries.
pub fn delivery_policy(shared: &Shared) -> RetryPolicy {
    RetryPolicy::from_settings(&shared.config.wfm.retry())
}

/// What the drain needs of an outbox.
pub trait Outbox: Send + Sync + 'static {
    /// What one claim hands out and one request carries (a batch of states, a report).
    type Item: Send + 'static;
    /// Items of one lane go strictly one after the other (a lane is busy while one of its items
    /// is in flight); items of different lanes may be in flight together.
    type Lane: Clone + Eq + Hash + Send + Sync + 'static;
    /// The outbox's name in the logs.
    const NAME: &'static str;

    /// How many requests may be in flight at once.
    fn concurrency(&self) -> usize;
    /// How a failed request of this outbox is retried: by default `[wfm]`'s policy
    /// ([`delivery_policy`]).
    fn retry_policy(&self, shared: &Shared) -> RetryPolicy {
        delivery_policy(shared)
    }
    /// Poked when something was queued.
    fn ready(&self) -> &Notify;
    /// Up to `room` items to send now, none of a lane in `busy`.
    fn claim(
        &self,
        store: &mut Store,
        room: usize,
        busy: &HashSet<Self::Lane>,
    ) -> Result<Vec<Self::Item>, StoreError>;
    fn lane(item: &Self::Item) -> Self::Lane;
    /// The item's `Idempotency-Key` (also its name in the logs).
    fn key(item: &Self::Item) -> String;
    /// The item as a request to WFM. It may take from the item what only the request needs (a
    /// report's data, which the body now holds): the item is kept only to be acknowledged.
    fn request(item: &mut Self::Item) -> Result<Request, serde_json::Error>;
    /// Records WFM's answer: delivered, with what it refused dead-lettered.
    fn acknowledge(
        &self,
        store: &mut Store,
        item: &Self::Item,
        delivery: &Delivery,
        now_ms: Millis,
    ) -> Result<(), StoreError>;
    /// Counts and logs an acknowledged answer.
    fn delivered(&self, key: &str, item: &Self::Item, delivery: &Delivery);
}

/// Drains `outbox` until shutdown, at most [`Outbox::concurrency`] requests in flight.
pub async fn run<O: Outbox>(
    outbox: O,
    shared: Shared,
    client: Arc<WfmClient>,
    store: SharedStore,
    mut shutdown: Shutdown,
) {
    let outbox = Arc::new(outbox);
    let limit = outbox.concurrency().max(1);
    let mut in_flight: JoinSet<()> = JoinSet::new();
    // Which lane each task is sending.
    let mut busy: HashMap<Id, O::Lane> = HashMap::new();
    while !shutdown.is_triggered() {
        let mut claim_failed = false;
        if in_flight.len() < limit {
            let room = limit - in_flight.len();
            let lanes: HashSet<O::Lane> = busy.values().cloned().collect();
            let o = outbox.clone();
            match blocking(&store, move |s| o.claim(s, room, &lanes)).await {
                Ok(items) => {
                    for item in items {
                        let lane = O::lane(&item);
                        let task = send_one(
                            outbox.clone(),
                            shared.clone(),
                            client.clone(),
                            store.clone(),
                            shutdown.clone(),
                            item,
                        );
                        busy.insert(in_flight.spawn(task).id(), lane);
                    }
                }
                Err(e) => {
                    tracing::error!(outbox = O::NAME, error = %e, "cannot read the outbox; retrying");
                    claim_failed = true;
                }
            }
        }
        let room = in_flight.len() < limit && !claim_failed;
        tokio::select! {
            Some(done) = in_flight.join_next_with_id() => forget(&mut busy, done),
            _ = outbox.ready().notified(), if room => {}
            _ = tokio::time::sleep(IDLE_RECHECK) => {}
            _ = shutdown.wait() => {}
        }
    }
    while let Some(done) = in_flight.join_next_with_id().await {
        forget(&mut busy, done);
    }
    tracing::info!(outbox = O::NAME, "pusher stopped");
}

/// A task ended: its lane may be claimed again (its next item, or the same one when the
/// acknowledgement could not be written).
fn forget<L>(busy: &mut HashMap<Id, L>, done: Result<(Id, ()), JoinError>) {
    let id = match done {
        Ok((id, ())) => id,
        Err(e) => {
            tracing::error!(error = %e, "a delivery task ended abnormally; its item will be re-sent");
            e.id()
        }
    };
    busy.remove(&id);
}

/// Delivers one item and records what WFM made of it.
async fn send_one<O: Outbox>(
    outbox: Arc<O>,
    shared: Shared,
    client: Arc<WfmClient>,
    store: SharedStore,
    mut shutdown: Shutdown,
    item: O::Item,
) {
    let mut item = item;
    let key = O::key(&item);
    let delivery = match O::request(&mut item) {
        // The request (its body: a snapshot's is the whole roster) goes once answered, before
        // the acknowledgement.
        Ok(request) => match deliver(
            &shared,
            &client,
            outbox.retry_policy(&shared),
            request,
            &shutdown,
        )
        .await
        {
            Some(d) => d,
            None => return,
        },
        // Our own rows that do not make a request: retrying cannot help, WFM never sees them.
        Err(e) => Delivery::Rejected(format!("the connector cannot build the request: {e}")),
    };
    let now = shared.clock.now_ms();
    let o = outbox.clone();
    // Moved, not copied, into the store's thread and back.
    let acked = blocking(&store, move |s| {
        o.acknowledge(s, &item, &delivery, now)
            .map(|()| (item, delivery))
    })
    .await;
    match acked {
        Ok((item, delivery)) => outbox.delivered(&key, &item, &delivery),
        Err(e) => {
            // Not acknowledged: sent again (same key, WFM de-duplicates).
            tracing::error!(outbox = O::NAME, item = %key, error = %e, "cannot record the delivery; it will be re-sent");
            shutdown.sleep(IDLE_RECHECK).await;
        }
    }
}

/// Delivers one request, retrying with `policy` until WFM really answers (SPEC §6). `None` only
/// when shutdown tripped before an answer (the item then stays in its outbox). The request in
/// flight is never abandoned: shutdown is looked at between tries.
pub async fn deliver(
    shared: &Shared,
    client: &WfmClient,
    policy: RetryPolicy,
    request: Request,
    shutdown: &Shutdown,
) -> Option<Delivery> {
    let Request {
        path,
        key,
        body,
        items,
    } = request;
    // The body moves into a shared buffer once (no copy): every attempt sends the same bytes.
    let body = Bytes::from(body);
    let (key, items) = (&key, &items);
    let stream = Stream::of(path);
    let result = policy
        .run_until(
            || async {
                if shutdown.is_triggered() {
                    return Err(WfmError::ShuttingDown);
                }
                let outcome = client.post_bytes(path, key, &body, *items).await;
                shared.health.bad_answers.note(stream, &outcome);
                outcome
            },
            |e: &WfmError, d: Duration| {
                shared.metrics.retries.inc();
                // A bad answer says nothing about whether WFM accepts us: its run judges.
                if !matches!(e, WfmError::BadAnswer { .. }) {
                    shared.health.wfm_accepting.store(
                        !matches!(e, WfmError::Unauthorized(_) | WfmError::Configuration { .. } | WfmError::Transport(_) | WfmError::Unavailable { .. }),
                        Ordering::Relaxed,
                    );
                }
                match e {
                    WfmError::BadAnswer { path, status, reason, body } => tracing::warn!(
                        %path, status, %reason, %body, retry_in_ms = d.as_millis() as u64,
                        in_a_row = shared.health.bad_answers.run(stream),
                        "WFM's answer is not a delivery; retrying"
                    ),
                    WfmError::Configuration { .. } | WfmError::Unauthorized(_) => {
                        tracing::error!(error = %e, retry_in_ms = d.as_millis() as u64, "WFM refuses the connector; keeping everything buffered")
                    }
                    _ => tracing::warn!(error = %e, retry_in_ms = d.as_millis() as u64, "WFM delivery failed; retrying"),
                }
            },
            shutdown.clone(),
        )
        .await;
    match result {
        Ok(d) => {
            let now = shared.clock.now_ms();
            shared.health.wfm_accepting.store(true, Ordering::Relaxed);
            shared.health.last_push_ms.store(now, Ordering::Relaxed);
            shared.metrics.last_push_timestamp_seconds.set(now / 1000);
            Some(d)
        }
        Err(_) => None,
    }
}
