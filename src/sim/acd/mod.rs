//! `sim acd`: a TaskRouter-compatible HTTP server for tests, benchmarks and the demo.
//!
//! It serves `GET /v1/Workspaces/{WorkspaceSid}/Events`, `…/Workers` (and `…/Workers/{sid}`),
//! `…/Activities` with Twilio's shapes, Basic auth and `next_page_url` paging, from one of two
//! sources:
//!
//! - **centre** ([`SimMode::Centre`]): a synthetic contact centre, deterministic for a seed and
//!   driven by the clock (`centre/`);
//! - **scripted** ([`SimMode::Scripted`]): tests push exact events with [`Script`] builders.
//!
//! Faults ([`Faults`]) can be switched at runtime through the [`SimAcdHandle`].
//!
//! How the data flows: `centre` or `script` (with `kinds`) write into `world` (the tables and the
//! compact stored event) and `log` (sorted, paged window query); `state` holds both behind one
//! lock with the `faults` and the `recorder`. Requests arrive through `sim::listener` (a port that
//! can refuse) at `server` (faults, auth, routing), which answers from `feed` (Events) or
//! `tables` (Workers, Activities) using `query` (parameters, page URLs) and `render` (Twilio's
//! JSON). `push` sends the same events to a webhook as Twilio Event Streams does. `sid` makes
//! deterministic sids; `handle` and `cli` are the outside.

mod centre;
mod cli;
mod faults;
mod feed;
mod handle;
mod kinds;
mod log;
mod push;
mod query;
mod recorder;
mod render;
mod script;
mod server;
mod sid;
mod state;
mod tables;
mod world;

pub use crate::sim::faults::OutageKind;
pub use cli::{SimAcdArgs, SimAcdPushArgs, run_cli};
pub use faults::{Faults, JunkKind, MalformedKind, Outage};
pub use handle::SimAcdHandle;
pub use kinds::{ReservationEventKind, TaskEventKind, TaskQueueEventKind, WorkerEventKind};
pub use push::{PushCounters, PushDelivery, PushFaults, PushOptions};
pub use recorder::{AcdRequestLogEntry, SimAcdCounters};
pub use script::{Script, ScriptError, ScriptEvent};

use crate::clock::SharedClock;
use crate::model::Millis;
use crate::sim::listener::SwitchableListener;
use centre::{Centre, CentreConfig};
use faults::{EventDice, FaultState};
use recorder::AcdRecorder;
use state::{SimAcdShared, SimState};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use tokio::sync::oneshot;
use world::World;

/// Where the events come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimMode {
    /// Only what tests push.
    Scripted,
    /// The synthetic contact centre (tests may still push).
    Centre,
}

/// How to start the simulator. `Default` is `sim acd` without flags (a 50-agent centre on the
/// system clock) on `127.0.0.1:0`; [`SimAcdOptions::scripted`] is the usual start for tests.
#[derive(Clone)]
pub struct SimAcdOptions {
    /// Address to bind; port 0 picks a free one (see [`SimAcdHandle::base_url`]).
    pub listen: SocketAddr,
    pub mode: SimMode,
    pub account_sid: String,
    pub workspace_sid: String,
    /// Basic auth user (an API key sid or account sid at Twilio).
    pub username: String,
    pub password: String,
    /// Centre: number of agents (`agent0001`…), up to 20,000 and more.
    pub agents: u32,
    /// Centre: queue names; the first is the busiest.
    pub queues: Vec<String>,
    /// Seeds the centre and every generated sid.
    pub seed: u64,
    /// Centre: mean task arrival rate.
    pub tasks_per_hour: f64,
    /// Centre: starts this long before the clock's "now", so there is history at once.
    pub history: Duration,
    /// How often (wall clock) the background ticker advances the centre to the clock.
    pub tick: Duration,
    /// Events older than this are forgotten (TaskRouter keeps 30 days).
    pub retention: Duration,
    /// Faults in force from the start.
    pub faults: Faults,
    pub clock: SharedClock,
    /// How many request log entries are kept (oldest dropped first).
    pub request_log_capacity: usize,
    /// Push every new event to a webhook, as Twilio Event Streams (off: `None`).
    pub push: Option<PushOptions>,
}

impl Default for SimAcdOptions {
    /// The defaults of `sim acd`'s flags, on a free port (tests run many simulators at once).
    fn default() -> Self {
        SimAcdOptions {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            ..SimAcdArgs::default().into_options()
        }
    }
}

impl SimAcdOptions {
    /// Scripted mode on the given clock.
    pub fn scripted(clock: SharedClock) -> Self {
        SimAcdOptions {
            mode: SimMode::Scripted,
            clock,
            ..SimAcdOptions::default()
        }
    }
}

impl std::fmt::Debug for SimAcdOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimAcdOptions")
            .field("listen", &self.listen)
            .field("mode", &self.mode)
            .field("workspace_sid", &self.workspace_sid)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("agents", &self.agents)
            .field("seed", &self.seed)
            .field("tasks_per_hour", &self.tasks_per_hour)
            .field("faults", &self.faults)
            .finish_non_exhaustive()
    }
}

/// A duration in clock milliseconds (saturating: a century of history is still a number).
pub(crate) fn millis(d: Duration) -> Millis {
    Millis::try_from(d.as_millis()).unwrap_or(Millis::MAX)
}

/// Starts the simulator: binds, builds the workspace (and the centre, which generates its history
/// up to the clock's now), serves, and ticks.
pub async fn start(opts: SimAcdOptions) -> std::io::Result<SimAcdHandle> {
    let (listener, refuse) = SwitchableListener::bind(opts.listen)?;
    let addr = listener.addr();
    let now = opts.clock.now_ms();
    let start_ms = now - millis(opts.history);
    let mut world = World::new(opts.seed, &opts.account_sid, &opts.workspace_sid, start_ms);
    for (name, available) in [
        ("Available", true),
        ("Offline", false),
        ("Break", false),
        ("Lunch", false),
        ("Training", false),
    ] {
        world.add_activity(name, available);
    }
    for queue in &opts.queues {
        world.queue_or_create(queue);
    }
    let centre = (opts.mode == SimMode::Centre).then(|| {
        let config = CentreConfig {
            agents: opts.agents,
            queues: opts.queues.clone(),
            tasks_per_hour: opts.tasks_per_hour,
            seed: opts.seed,
            start_ms,
        };
        Centre::new(&config, &mut world)
    });
    let dice = EventDice::new(&opts.faults, opts.seed);
    let mut sim_state = SimState::new(world, centre, dice, millis(opts.retention));
    sim_state.advance_to(now);
    // The history before the start is not pushed: a subscription starts when it is made.
    sim_state.log.set_tap(opts.push.is_some());
    let shared = Arc::new(SimAcdShared {
        state: RwLock::new(sim_state),
        faults: Mutex::new(FaultState::new(opts.faults.clone(), opts.seed)),
        recorder: Mutex::new(AcdRecorder::new(opts.request_log_capacity)),
        clock: opts.clock.clone(),
        refuse,
        base_url: format!("http://{addr}"),
        username: opts.username.clone(),
        password: opts.password.clone(),
        push: Mutex::new(push::PushState::new(opts.push.clone())),
        push_wake: tokio::sync::Notify::new(),
    });
    shared.sync_outage();
    let (stop, stopped) = oneshot::channel::<()>();
    let app = server::router(shared.clone());
    let serve = axum::serve(listener, app).with_graceful_shutdown(async {
        let _ = stopped.await;
    });
    let server = tokio::spawn(async move {
        if let Err(e) = serve.await {
            tracing::error!(error = %e, "sim acd: server stopped");
        }
    });
    let ticker = tokio::spawn(tick(shared.clone(), opts.tick));
    let pusher = tokio::spawn(push::run(shared.clone(), opts.seed));
    Ok(SimAcdHandle::new(
        shared,
        addr,
        stop,
        server,
        [ticker, pusher],
    ))
}

/// Keeps the centre at the clock and ends timed outages, whether or not anyone asks.
async fn tick(shared: Arc<SimAcdShared>, every: Duration) {
    let mut interval = tokio::time::interval(every.max(Duration::from_millis(1)));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        shared.catch_up();
        shared.sync_outage();
    }
}
