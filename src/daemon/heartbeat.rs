//! The heartbeat: `POST /heartbeat` every `heartbeat_interval` with what is pending, and the
//! metrics gauges that come from the buffer. It also does the buffer's housekeeping: once an hour
//! it prunes what is older than `[buffer] retention` (sent items, raw events, closed segments,
//! ended tasks, dead letters). A failed heartbeat is logged and skipped (the next
//! one carries fresh numbers; no retry piles up). An answer that is not a delivery (SPEC §6) is
//! warned about and counted like any other; a few in a row fail `/readyz`.

use super::bad_answers::Stream;
use super::{Shared, SharedStore, blocking};
use crate::clock::rfc3339_ms;
use crate::shutdown::Shutdown;
use crate::wfm::dto::ACD_TYPE;
use crate::wfm::{Delivery, WfmClient, WfmError};
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// How often the buffer is pruned.
const PRUNE_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

/// Sends heartbeats until shutdown.
pub async fn run(
    shared: Shared,
    client: Arc<WfmClient>,
    store: SharedStore,
    mut shutdown: Shutdown,
) {
    let mut next_prune = tokio::time::Instant::now();
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
        if tokio::time::Instant::now() >= next_prune {
            next_prune = tokio::time::Instant::now() + PRUNE_EVERY;
            let before = shared.clock.now_ms() - shared.config.buffer.retention.as_millis() as i64;
            match blocking(&store, move |s| s.prune(before)).await {
                Ok(n) if n > 0 => tracing::info!(rows = n, "pruned the buffer past its retention"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "pruning the buffer failed; will retry"),
            }
        }
        let status = match blocking(&store, |s| s.status(0)).await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the buffer for the heartbeat");
                continue;
            }
        };
        let now = shared.clock.now_ms();
        let oldest = status
            .oldest_pending_state_ms
            .into_iter()
            .chain(status.oldest_pending_report_ms)
            .min()
            .map(|t| ((now - t).max(0)) / 1000)
            .unwrap_or(0);
        shared
            .metrics
            .outbox_depth
            .set(status.pending_states + status.pending_reports);
        shared.metrics.oldest_pending_age_seconds.set(oldest);
        let last_poll = shared.health.last_poll_ms.load(Ordering::Relaxed);
        let healthy = shared.health.wfm_accepting.load(Ordering::Relaxed)
            && !shared.health.bad_answers.failing()
            && shared.health.buffer_writable.load(Ordering::Relaxed)
            && poll_fresh(&shared, now);
        let body = serde_json::json!({
            "acdType": ACD_TYPE,
            "connectorId": shared.config.wfm.connector_id,
            "version": env!("CARGO_PKG_VERSION"),
            "status": if healthy { "OK" } else { "DEGRADED" },
            "oldestPendingSec": oldest,
            "pendingStates": status.pending_states,
            "pendingReports": status.pending_reports,
            "lastAcdPoll": (last_poll > 0).then(|| rfc3339_ms(last_poll)),
        })
        .to_string();
        crate::systemd::notify_status(&format!(
            "pending states {}, reports {}, oldest {oldest}s, {}",
            status.pending_states,
            status.pending_reports,
            if healthy { "OK" } else { "DEGRADED" }
        ));
        let key = crate::ids::stable_id("HB", &[&shared.config.wfm.connector_id, &now.to_string()]);
        let outcome = client.post("/heartbeat", &key, &body, 1).await;
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
