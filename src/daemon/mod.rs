//! The daemon: wires the poller (ACD → buffer), the pushers (buffer → WFM), the report scheduler,
//! the heartbeat and the admin endpoint, and stops them in order on shutdown.
//!
//! Each loop is its own file: [`poller`] (ACD → buffer); [`drain`], the one delivery loop, over
//! the agent-state outbox ([`pusher`]) and the report outbox ([`report_pusher`]); [`scheduler`]
//! (runs the report plan, [`crate::report::plan`]); [`heartbeat`]; [`housekeeping`] (pruning).
//! They share a [`Shared`] (config, metrics, health, clock) and each opens its own connection to
//! the buffer file (heartbeat and housekeeping share one). The push path ([`crate::webhook`], when `[webhook] listen` is set) writes the event log through
//! the poller's connection, so the two writers of the log never contend inside SQLite.

pub mod backlog;
pub mod bad_answers;
pub mod drain;
pub mod heartbeat;
pub mod housekeeping;
pub mod poller;
pub mod pusher;
pub mod reload;
pub mod report_pusher;
pub mod scheduler;
pub mod window;

use crate::clock::SharedClock;
use crate::config::Config;
use crate::derive::agent::DeriveContext;
use crate::metrics::Metrics;
use crate::shutdown::Shutdown;
use crate::store::{Store, StoreError};
use crate::wfm::WfmClient;
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use tokio::sync::Notify;

/// What `/readyz`, the heartbeat and `status` report about the running connector.
#[derive(Debug, Default)]
pub struct Health {
    /// Clock time of the last completed ACD poll (0: never).
    pub last_poll_ms: AtomicI64,
    /// Clock time of the last request WFM accepted (0: never).
    pub last_push_ms: AtomicI64,
    /// False while WFM refuses us (401 after re-auth, 403, 404) or is unreachable.
    pub wfm_accepting: AtomicBool,
    /// False while the buffer refuses writes (full disk, read-only file).
    pub buffer_writable: AtomicBool,
    /// Runs of WFM answers that are not a delivery, per stream (`/readyz` fails after a few).
    pub bad_answers: bad_answers::BadAnswerRuns,
}

impl Health {
    pub fn new() -> Self {
        let h = Health::default();
        h.wfm_accepting.store(true, Ordering::Relaxed);
        h.buffer_writable.store(true, Ordering::Relaxed);
        h
    }
}

/// Everything the loops share.
#[derive(Clone)]
pub struct Shared {
    /// The configuration the daemon started with. Loops read the keys a reload may change
    /// (`[states]`, `[media]`, `[queues]`, thresholds, `batch_size`, `[log]`) from
    /// [`Shared::current`] instead, where they use them.
    pub config: Arc<Config>,
    /// The configuration in force: as started, with the reloadable keys of the last reload.
    live: Arc<tokio::sync::watch::Sender<Arc<Config>>>,
    pub metrics: Metrics,
    pub health: Arc<Health>,
    pub clock: SharedClock,
    /// Poked by the poller when it queued states, so the pusher wakes at once.
    pub states_ready: Arc<Notify>,
    /// Poked when reports were queued.
    pub reports_ready: Arc<Notify>,
    /// Poked to make the scheduler run now (besides its cron and backstop timer).
    pub reports_due: Arc<Notify>,
    /// The poller's derivation context (its Activities catalogue), published after each poll so
    /// the push path derives exactly as polling does; `None` until the first poll completed.
    pub live_ctx: Arc<RwLock<Option<Arc<DeriveContext>>>>,
    /// Workers already logged as having no `agent_id` (once each, whichever path met them).
    pub unidentified: Arc<Mutex<BTreeSet<String>>>,
}

impl Shared {
    /// Everything shared, from a config and a clock (fresh metrics and health).
    pub fn new(config: Config, clock: SharedClock) -> Self {
        let config = Arc::new(config);
        Shared {
            live: Arc::new(tokio::sync::watch::Sender::new(config.clone())),
            config,
            metrics: Metrics::new(),
            health: Arc::new(Health::new()),
            clock,
            states_ready: Default::default(),
            reports_ready: Default::default(),
            reports_due: Default::default(),
            live_ctx: Default::default(),
            unidentified: Default::default(),
        }
    }

    /// The context the push path derives with, once a poll has published one.
    pub fn live_ctx(&self) -> Option<Arc<DeriveContext>> {
        match self.live_ctx.read() {
            Ok(g) => g.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Publishes the context the poller derives with (after each poll).
    pub fn publish_ctx(&self, ctx: Arc<DeriveContext>) {
        match self.live_ctx.write() {
            Ok(mut g) => *g = Some(ctx),
            Err(poisoned) => *poisoned.into_inner() = Some(ctx),
        }
    }

    /// The configuration in force now (see [`reload`]).
    pub fn current(&self) -> Arc<Config> {
        self.live.borrow().clone()
    }

    /// Puts a reloaded configuration in force; loops pick it up at their next use.
    pub fn set_current(&self, config: Config) {
        self.live.send_replace(Arc::new(config));
    }
}

/// One buffer connection shared by the tasks of one loop.
pub type SharedStore = Arc<Mutex<Store>>;

/// Opens a connection to the configured buffer.
pub fn open_store(config: &Config) -> Result<SharedStore, StoreError> {
    Store::open(&config.buffer.path).map(|s| Arc::new(Mutex::new(s)))
}

/// Runs `f` on the store off the async runtime.
pub async fn blocking<T, F>(store: &SharedStore, f: F) -> Result<T, StoreError>
where
    T: Send + 'static,
    F: FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
{
    let store = store.clone();
    let joined = tokio::task::spawn_blocking(move || {
        // A poisoned lock means a panic mid-operation elsewhere; SQLite rolled that transaction
        // back, so the connection is still consistent and we keep using it.
        let mut guard = match store.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&mut guard)
    })
    .await;
    match joined {
        Ok(r) => r,
        Err(e) => Err(StoreError::Task(e.to_string())),
    }
}

/// Why the daemon could not start.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot build the WFM client: {0}")]
    Client(crate::wfm::WfmError),
    #[error("[webhook] listen: cannot listen on {addr}: {source}")]
    Listen {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
}

/// Runs the connector until `shutdown` trips. Returns once every loop has stopped and committed.
pub async fn run(shared: Shared, shutdown: Shutdown) -> Result<(), DaemonError> {
    // Open (and migrate) the buffer once before anything starts: a bad path fails here, early.
    let poll_store = open_store(&shared.config)?;
    let push_store = open_store(&shared.config)?;
    let beat_store = open_store(&shared.config)?;
    let report_store = open_store(&shared.config)?;
    let report_push_store = open_store(&shared.config)?;
    // One WFM client (one token) for every loop.
    let client = Arc::new(
        WfmClient::new(&shared.config.wfm, shared.metrics.clone()).map_err(DaemonError::Client)?,
    );
    let webhook = match &shared.config.webhook {
        Some(w) => Some(
            tokio::net::TcpListener::bind(w.listen)
                .await
                .map_err(|source| DaemonError::Listen {
                    addr: w.listen,
                    source,
                })?,
        ),
        None => None,
    };
    crate::systemd::notify_ready();

    let webhook = webhook.map(|listener| {
        let store = poll_store.clone();
        tokio::spawn(crate::webhook::serve(
            listener,
            shared.clone(),
            store,
            shutdown.clone(),
        ))
    });
    let poller = tokio::spawn(poller::run(shared.clone(), poll_store, shutdown.clone()));
    let pusher = tokio::spawn(pusher::run_states(
        shared.clone(),
        client.clone(),
        push_store,
        shutdown.clone(),
    ));
    let beat = tokio::spawn(heartbeat::run(
        shared.clone(),
        client.clone(),
        beat_store.clone(),
        shutdown.clone(),
    ));
    let housekeeping = tokio::spawn(housekeeping::run(
        shared.clone(),
        beat_store,
        shutdown.clone(),
    ));
    let scheduler = tokio::spawn(scheduler::run_scheduler(
        shared.clone(),
        report_store,
        shutdown.clone(),
    ));
    let report_pusher = tokio::spawn(report_pusher::run_pusher(
        shared.clone(),
        client,
        report_push_store,
        shutdown.clone(),
    ));
    let tasks = [
        ("poller", Some(poller)),
        ("pusher", Some(pusher)),
        ("heartbeat", Some(beat)),
        ("housekeeping", Some(housekeeping)),
        ("report scheduler", Some(scheduler)),
        ("report pusher", Some(report_pusher)),
        ("webhook", webhook),
    ];
    for (name, task) in tasks.into_iter().filter_map(|(n, t)| Some((n, t?))) {
        if let Err(e) = task.await {
            tracing::error!(task = name, error = %e, "a connector task ended abnormally");
        }
    }
    Ok(())
}
