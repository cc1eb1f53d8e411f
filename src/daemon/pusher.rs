//! The pusher: buffer → WFM for agent states. Batches go strictly in order, one in flight, so WFM
//! sees each agent's states in order. A batch is retried (backoff, full jitter, `Retry-After`)
//! until WFM answers; what WFM refuses is dead-lettered with its error and the next batch goes.
//! Only a real answer ends the retries: a `200` that is not a delivery (empty, `{}`, not JSON, an
//! unknown status, a PARTIAL outside the batch) is a failed attempt like a `503` ([`deliver`]).

use super::bad_answers::Stream;
use super::{Shared, SharedStore, blocking};
use crate::retry::RetryPolicy;
use crate::shutdown::Shutdown;
use crate::store::outbox::{StateBatch, StateBatchKind};
use crate::wfm::dto::ACD_TYPE;
use crate::wfm::{Delivery, WfmClient, WfmError};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// How long an idle pusher waits before looking at the outbox again without being poked.
const IDLE_RECHECK: Duration = Duration::from_secs(1);

/// The retry policy for delivery, from `[wfm]`: unlimited tries.
pub fn delivery_policy(shared: &Shared) -> RetryPolicy {
    RetryPolicy::from_settings(&shared.config.wfm.retry())
}

/// Drains the agent-state outbox until shutdown.
pub async fn run_states(
    shared: Shared,
    client: Arc<WfmClient>,
    store: SharedStore,
    mut shutdown: Shutdown,
) {
    while !shutdown.is_triggered() {
        // Read at each batch: a reload may change it.
        let batch_size = shared.current().wfm.batch_size;
        let claimed = blocking(&store, move |s| s.claim_state_batch(batch_size)).await;
        let batch = match claimed {
            Ok(Some(b)) => b,
            Ok(None) => {
                tokio::select! {
                    _ = shared.states_ready.notified() => {}
                    _ = tokio::time::sleep(IDLE_RECHECK) => {}
                    _ = shutdown.wait() => {}
                }
                continue;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot read the outbox; retrying");
                shutdown.sleep(IDLE_RECHECK).await;
                continue;
            }
        };
        let body = state_request_body(&batch);
        let key = batch.batch_id();
        let items = batch.item_count();
        let request = Request {
            path: "/agent-states",
            key: &key,
            body: &body,
            items,
        };
        let Some(delivery) = deliver(&shared, &client, request, &shutdown).await else {
            break;
        };
        // The request is answered: its body goes now, before the acknowledgement (a snapshot's
        // is the whole roster).
        drop(body);
        let rejected = rejected_items(&delivery, items);
        let (kind, rows) = (batch.kind.clone(), batch.ids.len());
        let n_ok = rows.saturating_sub(rejected.len());
        let now = shared.clock.now_ms();
        let acked = {
            let rejected = rejected.clone();
            // Moved, not copied: after the acknowledgement only its kind and size are needed.
            blocking(&store, move |s| {
                s.ack_state_batch(&batch, &rejected, now)?;
                s.set_meta("last_push_ms", &now.to_string())
            })
            .await
        };
        if let Err(e) = acked {
            // Not acknowledged: the batch is sent again (same ids, WFM de-duplicates).
            tracing::error!(error = %e, "cannot record the delivery; the batch will be re-sent");
            shutdown.sleep(IDLE_RECHECK).await;
            continue;
        }
        if !rejected.is_empty() {
            shared.metrics.dead_letters.inc_by(rejected.len() as u64);
            tracing::error!(
                batch_id = %key,
                items = rejected.len(),
                first_error = %rejected[0].1,
                "WFM refused agent states; dead-lettered"
            );
        }
        if kind == StateBatchKind::States {
            shared.metrics.states_sent.inc_by(n_ok as u64);
        }
        tracing::debug!(batch_id = %key, items = rows, "agent states delivered");
    }
    tracing::info!("state pusher stopped");
}

/// The `POST /agent-states` body for a batch, written once at its final size: the stored items
/// are copied in as they are (no intermediate `agentStates` string, no re-serialisation).
pub fn state_request_body(batch: &StateBatch) -> String {
    let snapshot = batch.kind == StateBatchKind::Snapshot;
    let head = format!(
        r#"{{"acdType":"{ACD_TYPE}","batchId":"{}","isSnapshot":{snapshot},"agentStates":"#,
        batch.batch_id()
    );
    let items: usize = batch.bodies.iter().map(|b| b.len() + 1).sum();
    let mut body = String::with_capacity(head.len() + items + 3);
    body.push_str(&head);
    match batch.kind {
        StateBatchKind::Snapshot => {
            body.push_str(batch.bodies.first().map_or("[]", String::as_str))
        }
        StateBatchKind::States => {
            body.push('[');
            for (i, item) in batch.bodies.iter().enumerate() {
                if i > 0 {
                    body.push(',');
                }
                body.push_str(item);
            }
            body.push(']');
        }
    }
    body.push('}');
    body
}

/// Which items of a batch of `n` are dead-lettered, with their error.
pub fn rejected_items(delivery: &Delivery, n: usize) -> Vec<(usize, String)> {
    match delivery {
        Delivery::Accepted => Vec::new(),
        Delivery::Partial(items) => items.iter().filter(|(i, _)| *i < n).cloned().collect(),
        Delivery::Rejected(e) => (0..n).map(|i| (i, e.clone())).collect(),
    }
}

/// One request to deliver.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub path: &'a str,
    /// The `Idempotency-Key`.
    pub key: &'a str,
    pub body: &'a str,
    /// How many items it carries (the indexes a PARTIAL may name).
    pub items: usize,
}

/// Delivers one request, retrying until WFM really answers (SPEC §6). `None` only when shutdown
/// tripped before an answer (the request then stays in the outbox). The request in flight is
/// never abandoned: shutdown is looked at between tries.
pub async fn deliver(
    shared: &Shared,
    client: &WfmClient,
    request: Request<'_>,
    shutdown: &Shutdown,
) -> Option<Delivery> {
    let policy = delivery_policy(shared);
    let Request {
        path,
        key,
        body,
        items,
    } = request;
    let stream = Stream::of(path);
    let result = policy
        .run_until(
            || async {
                if shutdown.is_triggered() {
                    return Err(WfmError::ShuttingDown);
                }
                let outcome = client.post(path, key, body, items).await;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(kind: StateBatchKind, bodies: &[&str]) -> StateBatch {
        StateBatch {
            kind,
            seqs: (1..=bodies.len() as i64).collect(),
            ids: (0..bodies.len()).map(|i| format!("E{i}")).collect(),
            bodies: bodies.iter().map(|b| b.to_string()).collect(),
        }
    }

    #[test]
    fn request_bodies_carry_the_stored_items_verbatim() {
        let states = batch(StateBatchKind::States, &[r#"{"a":1}"#, r#"{"b":2}"#]);
        assert_eq!(
            state_request_body(&states),
            format!(
                r#"{{"acdType":"TWILIO","batchId":"{}","isSnapshot":false,"agentStates":[{{"a":1}},{{"b":2}}]}}"#,
                states.batch_id()
            )
        );
        let snapshot = batch(StateBatchKind::Snapshot, &[r#"[{"a":1},{"b":2}]"#]);
        let body = state_request_body(&snapshot);
        assert_eq!(
            body,
            format!(
                r#"{{"acdType":"TWILIO","batchId":"{}","isSnapshot":true,"agentStates":[{{"a":1}},{{"b":2}}]}}"#,
                snapshot.batch_id()
            )
        );
        let parsed: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(parsed["agentStates"].as_array().map(Vec::len), Some(2));
    }
}
