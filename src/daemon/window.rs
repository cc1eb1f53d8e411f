//! One poll of the Events feed: the gap from the cursor to now, walked forward in bounded time
//! windows (SPEC §3).
//!
//! TaskRouter serves Events **newest first**, so the pages of one window arrive in the wrong
//! order for derivation. Each window's pages are therefore collected first, then the whole window
//! is ingested oldest first, in one transaction that also moves the cursor to the window's end.
//! After a backlog of any size the log, the segments and the real-time records are exactly those of
//! a connector that never stopped: the same ids, in the same order per agent. A crash (or a full
//! disk) mid-window loses nothing: the cursor has not moved, and the window is read again.
//!
//! Windows adapt to the feed: they start at [`FIRST_WINDOW_MS`], grow while a window fits in one
//! page, and shrink — the window is read again — when one holds more than [`MAX_WINDOW_EVENTS`]
//! events, so memory stays bounded however long the gap (a 30-day backfill is tens of millions of
//! events). A `next_page_url` the client refuses to follow also shrinks the window until one page
//! holds it.
//!
//! Real time after a very long gap: a state change older than [`RTA_BACKFILL_MS`] (24 h) at
//! ingest goes to the log, the segments and the reports, not to RTA — an adherence screen has no
//! use for yesterday's "Available" — and the catch-up ends with a full snapshot, so RTA shows
//! every agent's present.

use super::poller::{PollError, Poller};
use super::{SharedStore, blocking};
use crate::acd::{AcdError, AcdSource, PageRequest};
use crate::model::{AcdEvent, Millis};
use crate::shutdown::Shutdown;
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// The first window of a catch-up.
pub const FIRST_WINDOW_MS: Millis = 15 * 60_000;
/// The longest window (a quiet workspace is walked an hour at a time).
pub const MAX_WINDOW_MS: Millis = 3_600_000;
/// The shortest window: one second (TaskRouter's date resolution).
pub const MIN_WINDOW_MS: Millis = 1_000;
/// Events one window may hold before it is read again, halved.
pub const MAX_WINDOW_EVENTS: usize = 5_000;
/// State changes older than this at ingest go to history only (reports), not to RTA.
pub const RTA_BACKFILL_MS: Millis = 24 * 3_600_000;

/// Why a window could not be read whole.
enum WindowError {
    /// More than [`MAX_WINDOW_EVENTS`] events: read it again, smaller.
    TooBig,
    Poll(PollError),
}

/// What one window gave.
struct Window {
    events: Vec<AcdEvent>,
    pages: usize,
}

impl<A: AcdSource> Poller<A> {
    /// One poll: every window of `[start, now]`, each ingested oldest first and committed with
    /// the cursor move to its end. Returns whether any state was too old for RTA (the caller then
    /// queues a snapshot).
    pub(crate) async fn walk(
        &mut self,
        start: Millis,
        now: Millis,
        shutdown: &mut Shutdown,
    ) -> Result<bool, PollError> {
        let mut from = start;
        let mut any_too_old = false;
        let mut windows = 0usize;
        loop {
            let to = (from + self.window_ms).min(now);
            let window = match self.read_window(from, to, shutdown).await {
                Ok(w) => w,
                Err(WindowError::TooBig) => {
                    self.window_ms = ((to - from) / 2).max(MIN_WINDOW_MS);
                    continue;
                }
                Err(WindowError::Poll(PollError::Acd(AcdError::BadNextPage(url))))
                    if to - from > MIN_WINDOW_MS =>
                {
                    tracing::error!(
                        url = %url,
                        "TaskRouter sent a next_page_url outside this workspace; reading a smaller window"
                    );
                    self.window_ms = ((to - from) / 2).max(MIN_WINDOW_MS);
                    continue;
                }
                Err(WindowError::Poll(e)) => return Err(e),
            };
            if window.pages <= 1 && to < now {
                self.window_ms = (self.window_ms * 2).min(MAX_WINDOW_MS);
            }
            any_too_old |= self.commit_window(window.events, to, now).await?;
            windows += 1;
            if to >= now {
                if windows > 1 {
                    // A catch-up wrote a lot: give the WAL's space back to the filesystem.
                    if let Err(e) = blocking(&self.store, |s| s.checkpoint_truncate()).await {
                        tracing::debug!(error = %e, "WAL checkpoint after a catch-up failed");
                    }
                }
                return Ok(any_too_old);
            }
            from = to;
        }
    }

    /// Reads every page of `[from, to]` (retried page by page) into memory.
    async fn read_window(
        &self,
        from: Millis,
        to: Millis,
        shutdown: &mut Shutdown,
    ) -> Result<Window, WindowError> {
        let mut req = PageRequest::First {
            from_ms: from,
            to_ms: to,
        };
        let mut window = Window {
            events: Vec::new(),
            pages: 0,
        };
        loop {
            let page = self
                .fetch(&req, shutdown)
                .await
                .map_err(WindowError::Poll)?;
            window.pages += 1;
            if page.skipped > 0 {
                tracing::warn!(
                    skipped = page.skipped,
                    "skipped unreadable events in an ACD page"
                );
                self.shared
                    .metrics
                    .events_skipped
                    .inc_by(page.skipped as u64);
            }
            window.events.extend(page.events);
            match page.next {
                // A one-second window is read whole, however big: it cannot be split.
                Some(_) if window.events.len() > MAX_WINDOW_EVENTS && to - from > MIN_WINDOW_MS => {
                    return Err(WindowError::TooBig);
                }
                Some(url) => req = PageRequest::Next(url),
                None => return Ok(window),
            }
        }
    }

    /// Ingests one window oldest first and moves the cursor to `to`, in one transaction.
    async fn commit_window(
        &mut self,
        mut events: Vec<AcdEvent>,
        to: Millis,
        now: Millis,
    ) -> Result<bool, PollError> {
        events.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
        let mut ctx = (*self.ctx).clone();
        ctx.rta_not_before = now - RTA_BACKFILL_MS;
        let clock_now = self.shared.clock.now_ms();
        ctx.accept_until = clock_now + crate::store::ingest::FUTURE_TOLERANCE_MS;
        let ctx = Arc::new(ctx);
        let out = blocking(&self.store, move |s| {
            s.ingest(&events, Some(to), &ctx, clock_now)
        })
        .await;
        let out = match out {
            Ok(o) => {
                if !self
                    .shared
                    .health
                    .buffer_writable
                    .swap(true, Ordering::Relaxed)
                {
                    tracing::info!(
                        "the buffer accepts writes again; polling resumes from the cursor"
                    );
                }
                o
            }
            Err(e) => {
                // Logged once when the buffer starts refusing writes, not at every poll.
                if e.is_io()
                    && self
                        .shared
                        .health
                        .buffer_writable
                        .swap(false, Ordering::Relaxed)
                {
                    tracing::error!(
                        error = %e,
                        "the buffer refuses writes (disk full or read-only): nothing is lost, the \
                         cursor stays where it is and polling retries until it can commit"
                    );
                }
                return Err(e.into());
            }
        };
        self.shared
            .metrics
            .events_ingested
            .inc_by(out.new_events as u64);
        self.note_quarantined(out.quarantined);
        self.note_unidentified(&out.unidentified_workers);
        if out.states_queued > 0 {
            self.shared.states_ready.notify_one();
        }
        Ok(out.states_too_old > 0)
    }
}

/// Where observed history begins for a buffer that has not recorded it yet, and records it.
pub(crate) async fn begin_observation(
    store: &SharedStore,
    observed_from: Millis,
    overlap: Millis,
) -> Result<(), PollError> {
    blocking(store, move |s| {
        s.begin_observation(observed_from, observed_from + overlap)
    })
    .await
    .map_err(PollError::from)
}
