//! Putting a reloaded configuration in force (SIGHUP; `cmd::run` reads the file). The keys a
//! reload may change are applied by [`apply`] into [`Shared::current`], and each loop reads them
//! where it uses them: the poller takes `[states]` and `[media]` at the top of its next poll
//! ([`Poller::follow_reload`]), the pusher `batch_size` at its next batch, the report scheduler
//! `[queues]` and the thresholds at its next run. Keys that need a restart are named in the log
//! and left as they run (see `config::reload`).

use super::Shared;
use super::poller::Poller;
use crate::acd::AcdSource;
use crate::config::{Config, Reload};
use std::sync::Arc;

/// Applies `new` over the configuration in force; logs what changed, and every changed key that
/// needs a restart. Returns what was done.
pub fn apply(shared: &Shared, new: Config) -> Reload {
    let running = shared.current();
    let outcome = crate::config::reload(&running, new);
    for key in &outcome.needs_restart {
        tracing::warn!(
            key = %key,
            "reload: {key} changed but needs a restart to apply (systemctl restart); \
             the running value is kept"
        );
    }
    shared.set_current(outcome.config.clone());
    if outcome.applied.is_empty() {
        tracing::info!("configuration reloaded: nothing that a reload applies has changed");
    } else {
        tracing::info!(
            applied = %outcome.applied.join(", "),
            "configuration reloaded"
        );
    }
    outcome
}

impl<A: AcdSource> Poller<A> {
    /// Takes up a reloaded `[states]` / `[media]`: the events of this poll on are derived with
    /// them (the Activities catalogue and the rest of the context are kept).
    pub(crate) fn follow_reload(&mut self) {
        let live = self.shared.current();
        if self.ctx.states == live.states && self.ctx.media == live.media {
            return;
        }
        let mut ctx = (*self.ctx).clone();
        ctx.states = live.states.clone();
        ctx.media = live.media.clone();
        self.ctx = Arc::new(ctx);
        tracing::info!("poller: the reloaded [states] and [media] apply from this poll on");
    }
}
