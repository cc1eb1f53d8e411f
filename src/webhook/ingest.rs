//! The push path's one writer: accepted requests hand their events here; it commits them through
//! the same [`crate::store::Store::ingest`] as polled pages, and answers each request once its
//! events are committed.
//!
//! Requests that arrive while a commit runs are merged into the next one (a burst of Twilio
//! batches costs a few transactions, not one each), de-duplicated by sid and sorted oldest first,
//! as a polled window is. The cursor is never moved: a pushed event says nothing about what the
//! feed has been read up to. The context is the poller's ([`crate::daemon::Shared::live_ctx`]),
//! with the poller's real-time limits: history only for state changes older than
//! [`RTA_BACKFILL_MS`], quarantine for events dated past the clock + [`FUTURE_TOLERANCE_MS`].

use super::outcome::{Outcome, WarnThrottle};
use crate::daemon::window::RTA_BACKFILL_MS;
use crate::daemon::{Shared, SharedStore, blocking, poller};
use crate::model::{AcdEvent, Millis};
use crate::store::ingest::FUTURE_TOLERANCE_MS;
use std::collections::HashSet;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// Events merged into one commit at most (a window of the poller holds up to 5,000).
const MAX_MERGED_EVENTS: usize = 5_000;
/// `last_push_accepted_ms` is written at most this often (to the second is enough for `status`).
const META_EVERY_MS: Millis = 1_000;
/// The `meta` key `status` reads.
pub const META_LAST_PUSH: &str = "last_push_accepted_ms";

/// One accepted request's events, and where to say how its commit went.
pub struct Job {
    pub events: Vec<AcdEvent>,
    pub done: oneshot::Sender<Outcome>,
}

/// Commits jobs until every sender is gone (the server stopped). A refused commit is warned
/// about through `throttle` (with the buffer's error, which names the file, never a secret).
pub async fn run(
    shared: Shared,
    store: SharedStore,
    mut jobs: mpsc::Receiver<Job>,
    throttle: Arc<WarnThrottle>,
) {
    let mut meta_written: Option<Millis> = None;
    while let Some(first) = jobs.recv().await {
        let mut batch = vec![first];
        let mut count = batch[0].events.len();
        while count < MAX_MERGED_EVENTS {
            match jobs.try_recv() {
                Ok(job) => {
                    count += job.events.len();
                    batch.push(job);
                }
                Err(_) => break,
            }
        }
        let outcome = match commit(&shared, &store, &mut batch, &mut meta_written).await {
            Ok(outcome) => outcome,
            Err(e) => {
                throttle.warn(Outcome::BufferUnavailable, &e.to_string());
                Outcome::BufferUnavailable
            }
        };
        for job in batch {
            // A request that gave up (client gone) no longer listens: nothing to do.
            let _ = job.done.send(outcome);
        }
    }
}

/// One transaction for the events of `batch`.
async fn commit(
    shared: &Shared,
    store: &SharedStore,
    batch: &mut [Job],
    meta_written: &mut Option<Millis>,
) -> Result<Outcome, crate::store::StoreError> {
    let Some(live) = shared.live_ctx() else {
        return Ok(Outcome::NotReady);
    };
    let mut seen = HashSet::new();
    let mut events: Vec<AcdEvent> = batch
        .iter_mut()
        .flat_map(|job| std::mem::take(&mut job.events))
        .filter(|e| seen.insert(e.sid.clone()))
        .collect();
    events.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
    let received = events.len();
    let now = shared.clock.now_ms();
    let mut ctx = (*live).clone();
    ctx.rta_not_before = now - RTA_BACKFILL_MS;
    ctx.accept_until = now + FUTURE_TOLERANCE_MS;
    let ctx = Arc::new(ctx);
    let write_meta = meta_written.is_none_or(|at| now - at >= META_EVERY_MS);
    let result = blocking(store, move |s| {
        let out = s.ingest(&events, None, &ctx, now)?;
        if write_meta && let Err(e) = s.set_meta(META_LAST_PUSH, &now.to_string()) {
            tracing::debug!(error = %e, "could not record the time of the last push");
        }
        Ok(out)
    })
    .await;
    let out = result?;
    if write_meta {
        *meta_written = Some(now);
    }
    let m = &shared.metrics;
    m.events_pushed.inc_by(received as u64);
    m.events_pushed_first.inc_by(out.new_events as u64);
    m.last_webhook_push_timestamp_seconds.set(now / 1000);
    poller::note_quarantined(shared, out.quarantined);
    poller::note_unidentified(shared, &live.agent_id_mode, &out.unidentified_workers);
    if out.states_queued > 0 {
        shared.states_ready.notify_one();
    }
    tracing::debug!(
        received,
        new = out.new_events,
        states = out.states_queued,
        "pushed events committed"
    );
    Ok(Outcome::Accepted)
}
