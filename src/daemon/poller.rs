//! The poller: ACD → buffer. One poll at a time, never overlapping.
//!
//! Every `poll_interval` it asks TaskRouter for the events of `[cursor − overlap, now]`, in
//! windows that are each ingested oldest first and committed with the cursor move
//! ([`super::window`]). Events seen before are ignored by sid, so the overlap costs nothing but
//! catches late events.
//! Every `workers_refresh` (and at start-up) it re-reads Activities and Workers to reconcile: a
//! worker whose state the list knows to be newer than our log gets a synthetic event (`SN…` sid,
//! derived from the worker, Activity and time, so two connectors make the same one). At start-up
//! and every `snapshot_interval` it queues a full snapshot of every agent's current state.

use super::{Shared, SharedStore, blocking};
use crate::acd::twilio::TwilioClient;
use crate::acd::{AcdError, AcdSource, PageRequest, WorkerInfo};
use crate::config::AgentIdMode;
use crate::derive::agent::DeriveContext;
use crate::ids::stable_id;
use crate::model::{AcdEvent, EventData, Millis};
use crate::retry::RetryPolicy;
use crate::shutdown::Shutdown;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// TaskRouter keeps events 30 days.
const ACD_RETENTION_MS: Millis = 30 * 24 * 3600 * 1000;

/// Builds the derivation context from the config (the Activities catalogue is filled later).
pub fn derive_context(shared: &Shared) -> DeriveContext {
    let c = shared.current();
    DeriveContext::new(c.acd.agent_id.clone(), c.media.clone(), c.states.clone())
}

/// Runs the poller with the TaskRouter client until shutdown.
pub async fn run(shared: Shared, store: SharedStore, shutdown: Shutdown) {
    let acd = match TwilioClient::new(&shared.config.acd) {
        Ok(c) => c.with_metrics(shared.metrics.clone()),
        Err(e) => {
            tracing::error!(error = %e, "cannot build the TaskRouter client");
            return;
        }
    };
    Poller::new(shared, store, acd).run(shutdown).await;
}

/// The poll loop over any [`AcdSource`].
pub struct Poller<A: AcdSource> {
    pub(crate) shared: Shared,
    pub(crate) store: SharedStore,
    acd: A,
    pub(crate) ctx: Arc<DeriveContext>,
    policy: RetryPolicy,
    /// The length of the next catch-up window ([`super::window`]).
    pub(crate) window_ms: Millis,
    /// Whether the buffer is known to record where observed history begins.
    observing: bool,
    /// The interval (number) the last poll reached, to wake the scheduler when it changes.
    polled_interval: Millis,
    /// Set when a poll crossed an interval boundary: the scheduler is woken after the round.
    wake_reports: bool,
}

impl<A: AcdSource> Poller<A> {
    pub fn new(shared: Shared, store: SharedStore, acd: A) -> Self {
        let ctx = Arc::new(derive_context(&shared));
        let policy = RetryPolicy::from_settings(&shared.config.acd.retry());
        Poller {
            shared,
            store,
            acd,
            ctx,
            policy,
            window_ms: super::window::FIRST_WINDOW_MS,
            observing: false,
            polled_interval: Millis::MIN,
            wake_reports: false,
        }
    }

    pub async fn run(mut self, mut shutdown: Shutdown) {
        let cfg = self.shared.config.clone();
        let mut next_reconcile = tokio::time::Instant::now();
        let mut next_snapshot = tokio::time::Instant::now();
        let mut first = true;
        let mut ticker = tokio::time::interval(cfg.acd.poll_interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticker.tick() => {}
                _ = shutdown.wait() => break,
            }
            let reconcile_due = tokio::time::Instant::now() >= next_reconcile;
            if reconcile_due && let Err(e) = self.refresh_activities(&mut shutdown).await {
                tracing::warn!(error = %e, "reading the Activities list failed; will retry");
            }
            if shutdown.is_triggered() {
                break;
            }
            match self.poll_once(&mut shutdown).await {
                Ok(()) => {}
                Err(PollError::Shutdown) => break,
                // Logged once by the window commit when the buffer started refusing writes.
                Err(PollError::Store(e)) if e.is_io() => continue,
                Err(e) => {
                    tracing::warn!(error = %e, "ACD poll failed; will retry at the next tick");
                    continue;
                }
            }
            // After the poll: the log then holds every event of the window, and the Workers list
            // only fills what the feed cannot give.
            if reconcile_due {
                if let Err(e) = self.reconcile(&mut shutdown).await {
                    tracing::warn!(error = %e, "reconciliation with the Workers list failed; will retry");
                }
                next_reconcile = tokio::time::Instant::now() + cfg.acd.workers_refresh;
            }
            // Only now: a report built between the poll and the reconciliation would miss the
            // workers the Workers list brings in, and go out again as revision 2.
            if std::mem::take(&mut self.wake_reports) {
                self.shared.reports_due.notify_one();
            }
            if first || tokio::time::Instant::now() >= next_snapshot {
                first = false;
                if let Err(e) = self.queue_snapshot().await {
                    tracing::warn!(error = %e, "could not queue the agent-state snapshot");
                }
                next_snapshot = tokio::time::Instant::now() + cfg.wfm.snapshot_interval;
            }
        }
        tracing::info!("poller stopped");
    }

    /// One poll: `[cursor − overlap, now]`, walked in windows ([`super::window`]). A first start
    /// records where observed history begins before it asks for anything.
    pub async fn poll_once(&mut self, shutdown: &mut Shutdown) -> Result<(), PollError> {
        self.follow_reload();
        let now = self.shared.clock.now_ms();
        let overlap = self.shared.config.acd.overlap.as_millis() as Millis;
        let cursor = blocking(&self.store, |s| s.cursor()).await?;
        let lookback = self.shared.config.acd.initial_lookback.as_millis() as Millis;
        let mut from = cursor.unwrap_or(now - lookback) - overlap;
        let oldest = now - ACD_RETENTION_MS + 60_000;
        let mut snapshot = false;
        if from < oldest {
            tracing::error!(
                cursor_ms = cursor,
                "data loss: the connector was away longer than TaskRouter keeps events (30 days); \
                 events before {} are gone; sending a full snapshot",
                crate::clock::rfc3339_ms(oldest)
            );
            from = oldest;
            snapshot = true;
        }
        if !self.observing {
            super::window::begin_observation(&self.store, from, overlap).await?;
            self.observing = true;
        }
        snapshot |= self.walk(from, now, shutdown).await?;
        if snapshot {
            self.queue_snapshot().await?;
        }
        self.shared
            .health
            .last_poll_ms
            .store(now, Ordering::Relaxed);
        // The push path derives with this context from now on (SPEC §12).
        self.shared.publish_ctx(self.ctx.clone());
        self.shared
            .metrics
            .last_poll_timestamp_seconds
            .set(now / 1000);
        // The scheduler builds an interval only once the ACD was polled past its end: tell it
        // (after the reconciliation that may follow, see `run`) as soon as a poll crosses an
        // interval boundary, instead of waiting for its next tick.
        let interval = self.shared.config.reports.interval.as_millis().max(1) as Millis;
        let polled_end = now.div_euclid(interval);
        if polled_end != self.polled_interval {
            self.polled_interval = polled_end;
            self.wake_reports = true;
        }
        if let Err(e) = blocking(&self.store, move |s| {
            s.set_meta("last_poll_ms", &now.to_string())
        })
        .await
        {
            tracing::warn!(error = %e, "could not record the time of the last poll");
        }
        Ok(())
    }

    /// One page, retried with backoff (429 / 5xx / malformed) until it comes or shutdown trips.
    pub(crate) async fn fetch(
        &self,
        req: &PageRequest,
        shutdown: &mut Shutdown,
    ) -> Result<crate::acd::EventPage, PollError> {
        self.with_retry(|| self.acd.events_page(req), shutdown)
            .await
    }

    /// Runs one ACD call under the retry policy: backoff with full jitter, `Retry-After`
    /// honoured (so a 429 pauses every ACD request, not just this one), until shutdown.
    async fn with_retry<T, F, Fut>(&self, call: F, shutdown: &mut Shutdown) -> Result<T, PollError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, AcdError>>,
    {
        let metrics = self.shared.metrics.clone();
        let attempt = self.policy.run_until(
            call,
            |e: &AcdError, d: Duration| {
                metrics.retries.inc();
                tracing::warn!(error = %e, retry_in_ms = d.as_millis() as u64, "ACD request failed; retrying");
            },
            shutdown.clone(),
        );
        tokio::select! {
            r = attempt => r.map_err(PollError::Acd),
            _ = shutdown.wait() => Err(PollError::Shutdown),
        }
    }

    /// Re-reads the Activities list (which Activity is `available`).
    pub async fn refresh_activities(&mut self, shutdown: &mut Shutdown) -> Result<(), PollError> {
        let acts = self.with_retry(|| self.acd.activities(), shutdown).await?;
        let mut ctx = (*self.ctx).clone();
        ctx.activity_available = acts.iter().map(|a| (a.sid.clone(), a.available)).collect();
        self.ctx = Arc::new(ctx);
        Ok(())
    }

    /// Re-reads the Workers list; synthesises events for workers the list knows better than our
    /// log. Only status changes older than the polled window count: newer ones come through the
    /// Events feed, with their real ids.
    pub async fn reconcile(&mut self, shutdown: &mut Shutdown) -> Result<(), PollError> {
        let workers = self.with_retry(|| self.acd.workers(), shutdown).await?;
        let overlap = self.shared.config.acd.overlap.as_millis() as Millis;
        let cursor = blocking(&self.store, |s| s.cursor()).await?;
        let settled_before = cursor.unwrap_or(Millis::MIN) - overlap;
        let known = blocking(&self.store, |s| s.worker_positions()).await?;
        let now = self.shared.clock.now_ms();
        let mut needed: Vec<WorkerInfo> = workers
            .into_iter()
            .filter(|w| w.date_status_changed_ms.is_none_or(|t| t < settled_before))
            .filter(|w| reconciliation_event(w, known.get(&w.sid), now).is_some())
            .collect();
        if matches!(self.ctx.agent_id_mode, AgentIdMode::Attribute(_)) && !needed.is_empty() {
            // The list shows `attributes` as null: read each worker the mode needs.
            let sids = needed.iter().map(|w| w.sid.clone()).collect();
            let fetched: HashMap<String, WorkerInfo> = self
                .acd
                .fetch_workers(sids)
                .await
                .into_iter()
                .map(|w| (w.sid.clone(), w))
                .collect();
            for w in &mut needed {
                w.attributes = fetched.get(&w.sid).and_then(|f| f.attributes.clone());
            }
        }
        let synthetic: Vec<AcdEvent> = needed
            .iter()
            .filter_map(|w| reconciliation_event(w, known.get(&w.sid), now))
            .collect();
        if synthetic.is_empty() {
            return Ok(());
        }
        tracing::info!(
            workers = synthetic.len(),
            "reconciled workers from the Workers list"
        );
        let mut ctx = (*self.ctx).clone();
        ctx.accept_until = now + crate::store::ingest::FUTURE_TOLERANCE_MS;
        let out = blocking(&self.store, move |s| s.ingest(&synthetic, None, &ctx, now)).await?;
        self.note_quarantined(out.quarantined);
        self.note_unidentified(&out.unidentified_workers);
        if out.states_queued > 0 {
            self.shared.states_ready.notify_one();
        }
        Ok(())
    }

    /// Logs and counts events dated too far in the future to derive.
    pub(crate) fn note_quarantined(&self, n: usize) {
        note_quarantined(&self.shared, n);
    }

    pub(crate) fn note_unidentified(&mut self, workers: &BTreeSet<String>) {
        note_unidentified(&self.shared, &self.ctx.agent_id_mode, workers);
    }

    /// Queues a snapshot of every agent's current state.
    pub async fn queue_snapshot(&self) -> Result<(), PollError> {
        let now = self.shared.clock.now_ms();
        let queued = blocking(&self.store, move |s| {
            s.queue_snapshot(&format!("SNAP{now}"), now)
        })
        .await?;
        if queued {
            self.shared.states_ready.notify_one();
        }
        Ok(())
    }
}

/// Logs and counts events dated too far in the future to derive (polled or pushed).
pub(crate) fn note_quarantined(shared: &Shared, n: usize) {
    if n == 0 {
        return;
    }
    shared.metrics.events_quarantined.inc_by(n as u64);
    tracing::warn!(
        events = n,
        tolerance_s = crate::store::ingest::FUTURE_TOLERANCE_MS / 1000,
        "events dated in the future beyond the tolerance: kept in the buffer's \
         quarantined_events table, not derived (check the clocks)"
    );
}

/// Logs once per worker, and counts, the workers kept out of WFM because the configured
/// `agent_id` is unknown for them (never a fallback id), whether polled or pushed.
pub(crate) fn note_unidentified(shared: &Shared, mode: &AgentIdMode, workers: &BTreeSet<String>) {
    if workers.is_empty() {
        return;
    }
    let mut seen = match shared.unidentified.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    };
    for w in workers {
        if seen.insert(w.clone()) {
            shared.metrics.agents_without_id.inc();
            tracing::warn!(
                worker = %w,
                agent_id = ?mode,
                "worker has no value for the configured agent_id; it is not sent to WFM \
                 (set the attribute in TaskRouter, or change [acd] agent_id)"
            );
        }
    }
}

/// A synthetic `worker.activity.update` when the Workers list shows an Activity change newer than
/// the last event we folded for that worker (or a worker we never saw).
fn reconciliation_event(
    w: &WorkerInfo,
    known: Option<&(Millis, Option<String>)>,
    now: Millis,
) -> Option<AcdEvent> {
    let activity_sid = w.activity_sid.clone()?;
    let changed = w.date_status_changed_ms.unwrap_or(now);
    if let Some((last_ms, last_activity)) = known
        && (changed <= *last_ms || last_activity.as_deref() == Some(activity_sid.as_str()))
    {
        return None;
    }
    let mut data = serde_json::Map::new();
    data.insert("worker_sid".into(), w.sid.clone().into());
    data.insert("worker_name".into(), w.friendly_name.clone().into());
    data.insert("worker_activity_sid".into(), activity_sid.clone().into());
    if let Some(n) = &w.activity_name {
        data.insert("worker_activity_name".into(), n.clone().into());
    }
    if let Some(a) = &w.attributes {
        data.insert("worker_attributes".into(), a.clone().into());
    }
    Some(AcdEvent {
        sid: stable_id("SN", &[&w.sid, &activity_sid, &changed.to_string()]),
        event_type: "worker.activity.update".into(),
        event_ms: changed,
        resource_sid: w.sid.clone(),
        resource_type: "worker".into(),
        data: EventData::from(data),
    })
}

/// Why a poll stopped.
#[derive(Debug, thiserror::Error)]
pub enum PollError {
    #[error(transparent)]
    Acd(#[from] AcdError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("shutting down")]
    Shutdown,
}
