//! The heartbeat: `POST /heartbeat` every `heartbeat_interval` with what is pending (the buffer's
//! [`Backlog`], also published as gauges) and whether the connector is healthy. A failed heartbeat
//! is logged and skipped (the next one carries fresh numbers; no retry piles up). An answer that
//! is not a delivery (SPEC §6) is warned about and counted like any other; a few in a row fail
//! `/readyz`.

use super::backlog::Backlog;
use super::bad_answers::Stream;
use super::{Shared, SharedStore, blocking};
use crate::clock::rfc3339_ms;
use crate::shutdown::Shutdown;
use crate::wfm::dto::{ACD_TYPE, Heartbeat};
use crate::wfm::{Delivery, WfmClient, WfmError, request};
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// Sends heartbeats until shutdown.
pub async fn run(
    shared: Shared,
    client: Arc<WfmClient>,
    store: SharedStore,
    mut shutdown: Shutdown,
) {
    // The first beat after one interval: at start-up nothing has been polled yet, and a beat
    // would only say DEGRADED.
    let every = shared.config.wfm.heartbeat_interval;
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = shutdown.wait() => break,
        }
        let status = match blocking(&store, |s| s.status(0)).await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the buffer for the heartbeat");
                continue;
            }
        };
        let now = shared.clock.now_ms();
        let backlog = Backlog::of(&status, now);
        backlog.publish(&shared.metrics);
        let last_poll = shared.health.last_poll_ms.load(Ordering::Relaxed);
        let healthy = shared.health.wfm_accepting.load(Ordering::Relaxed)
            && !shared.health.bad_answers.failing()
            && shared.health.buffer_writable.load(Ordering::Relaxed)
            && poll_fresh(&shared, now);
        let status = if healthy { "OK" } else { "DEGRADED" };
        let beat = Heartbeat {
            acd_type: ACD_TYPE,
            connector_id: &shared.config.wfm.connector_id,
            last_acd_poll: (last_poll > 0).then(|| rfc3339_ms(last_poll)),
            oldest_pending_sec: backlog.oldest_pending_sec,
            pending_reports: backlog.pending_reports,
            pending_states: backlog.pending_states,
            status,
            version: env!("CARGO_PKG_VERSION"),
        };
        crate::systemd::notify_status(&format!(
            "pending states {}, reports {}, oldest {}s, {status}",
            backlog.pending_states, backlog.pending_reports, backlog.oldest_pending_sec,
        ));
        let req = request::heartbeat(&beat, now);
        let outcome = client.post(req.path, &req.key, &req.body, req.items).await;
        shared.health.bad_answers.note(Stream::Heartbeat, &outcome);
        match outcome {
            Err(WfmError::BadAnswer {
                path,
                status,
                reason,
                body,
            }) => tracing::warn!(
                %path, status, %reason, %body, in_a_row = shared.health.bad_answers.run(Stream::Heartbeat),
                "WFM's answer to the heartbeat is not a delivery"
            ),
            Err(e) => tracing::debug!(error = %e, "heartbeat not delivered"),
            Ok(Delivery::Accepted) => {}
            Ok(other) => tracing::warn!(answer = ?other, "WFM refused the heartbeat"),
        }
    }
}

/// The ACD was polled within 3 × poll interval.
pub fn poll_fresh(shared: &Shared, now: i64) -> bool {
    let last = shared.health.last_poll_ms.load(Ordering::Relaxed);
    let limit = 3 * shared.config.acd.poll_interval.as_millis() as i64;
    last > 0 && now - last <= limit.max(1000)
}
