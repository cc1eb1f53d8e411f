//! The buffer's housekeeping: once an hour it prunes what is older than `[buffer] retention`
//! (sent outbox rows, raw events, closed segments, ended tasks, dead letters). Pending items are
//! never pruned.

use super::{Shared, SharedStore, blocking};
use crate::shutdown::Shutdown;
use std::time::Duration;

/// How often the buffer is pruned.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// Prunes the buffer until shutdown: first one heartbeat interval after start (start-up is busy
/// enough), then every hour.
pub async fn run(shared: Shared, store: SharedStore, mut shutdown: Shutdown) {
    let first = tokio::time::Instant::now() + shared.config.wfm.heartbeat_interval;
    let mut ticker = tokio::time::interval_at(first, PRUNE_EVERY);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = shutdown.wait() => break,
        }
        let before = shared.clock.now_ms() - shared.config.buffer.retention.as_millis() as i64;
        match blocking(&store, move |s| s.prune(before)).await {
            Ok(n) if n > 0 => tracing::info!(rows = n, "pruned the buffer past its retention"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "pruning the buffer failed; will retry"),
        }
    }
}
