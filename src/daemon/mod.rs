//! The daemon: wires the poller (ACD → buffer), the pushers (buffer → WFM), the report scheduler,
//! the heartbeat and the admin endpoint, and stops them in order on shutdown.
//!
//! Each loop is its own file: [`poller`], [`pusher`], [`report_pusher`], [`heartbeat`]. They share a [`Shared`]
//! (config, metrics, health, clock) and each opens its own connection to the buffer file.

pub mod bad_answers;
pub mod heartbeat;
pub mod poller;
pub mod pusher;
pub mod reload;
pub mod report_pusher;
pub mod reports;
pub mod window;

use crate::clock::SharedClock;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::shutdown::Shutdown;
use crate::store::{Store, StoreError};
use crate::wfm::WfmClient;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
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
    crate::systemd::notify_ready();

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
        beat_store,
        shutdown.clone(),
    ));
    let scheduler = tokio::spawn(reports::run_scheduler(
        shared.clone(),
        report_store,
        shutdown.clone(),
    ));
    let report_pusher = tokio::spawn(reports::run_pusher(
        shared.clone(),
        client,
        report_push_store,
        shutdown.clone(),
    ));
    for (name, task) in [
        ("poller", poller),
        ("pusher", pusher),
        ("heartbeat", beat),
        ("report scheduler", scheduler),
        ("report pusher", report_pusher),
    ] {
        if let Err(e) = task.await {
            tracing::error!(task = name, error = %e, "a connector task ended abnormally");
        }
    }
    Ok(())
}
