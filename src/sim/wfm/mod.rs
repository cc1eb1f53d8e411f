//! `sim wfm`: a CXone WFM server that speaks the connector's wire contract (SPEC §6), written from
//! the SPEC independently of the client so that it catches the client's mistakes.
//!
//! It issues and expires tokens, validates every payload strictly (timestamps, states, required
//! fields, batch size, the three queue sections), records every accepted item de-duplicated by id,
//! and answers with faults on demand. Tests and benchmarks start it with [`start`] and assert on
//! [`Recorded`]; the CLI runs it with [`run_cli`].
//!
//! Files: `server.rs` / `ingest.rs` (the routes and the order of checks), [`validate`] (pure body
//! checks), `record.rs` (what was received), `faults.rs` (what goes wrong on demand),
//! `bad_answer.rs` (a `200` that is not a delivery), `auth.rs` (tokens), `answer.rs` (one answer
//! and its log line), `cli.rs` (`sim wfm` in the foreground).
//! The port that closes for a connection-refused outage is `sim::listener`, shared with `sim acd`.

mod answer;
mod auth;
mod bad_answer;
mod cli;
mod faults;
mod ingest;
mod record;
mod server;
pub mod validate;

pub use crate::sim::faults::OutageKind;
pub use bad_answer::BadAnswer;
pub use cli::{SimWfmArgs, SimWfmFaultArgs, run_cli};
pub use faults::{Endpoint, Fault, FaultAction, FaultScope};
pub use record::{
    ReceivedReport, ReceivedSnapshot, ReceivedState, Recorded, ReportKind, WfmRequestLogEntry,
};
pub use validate::WireError;

use crate::clock::SharedClock;
use crate::secret::Secret;
use crate::sim::listener::{PortSwitch, SwitchableListener};
use auth::TokenStore;
use faults::FaultBook;
use record::WfmRecorder;
use server::{Settings, SimWfmShared, lock};
use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;

/// How long `shutdown` lets requests in flight finish before it stops the server hard.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// How to run the simulator.
#[derive(Clone)]
pub struct SimWfmOptions {
    /// The only tenant name `POST /auth/token` accepts.
    pub tenant_name: String,
    /// The only access key id accepted.
    pub access_key_id: String,
    /// The only access key secret accepted. Never logged.
    pub access_key_secret: Secret,
    /// Lifetime of access tokens issued (`--token-lifetime`).
    pub token_lifetime: Duration,
    /// Lifetime of refresh tokens issued.
    pub refresh_token_lifetime: Duration,
    /// Most agent states a non-snapshot batch may carry (`--max-batch`).
    pub max_batch: usize,
    /// Judges token expiry; a `ManualClock` lets tests expire tokens without waiting.
    pub clock: SharedClock,
    /// Where to listen (default `127.0.0.1:0`, a free port).
    pub listen: SocketAddr,
    /// Log every request at info and every agent state at info (else requests at debug only).
    pub verbose: bool,
    /// Keep every accepted state in [`Recorded::states`]. Benchmarks that push millions
    /// of states may turn it off: de-duplication and counters still work.
    pub keep_states: bool,
}

impl Default for SimWfmOptions {
    /// The defaults of `sim wfm`'s flags, on a free port (tests run many simulators at once).
    fn default() -> Self {
        SimWfmOptions {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            ..SimWfmArgs::default().options()
        }
    }
}

impl std::fmt::Debug for SimWfmOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimWfmOptions")
            .field("tenant_name", &self.tenant_name)
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &self.access_key_secret)
            .field("token_lifetime", &self.token_lifetime)
            .field("refresh_token_lifetime", &self.refresh_token_lifetime)
            .field("max_batch", &self.max_batch)
            .field("listen", &self.listen)
            .field("verbose", &self.verbose)
            .field("keep_states", &self.keep_states)
            .finish_non_exhaustive()
    }
}

/// Starts the simulator on `opts.listen` and returns once it accepts connections.
pub async fn start(opts: SimWfmOptions) -> std::io::Result<SimWfmHandle> {
    let (listener, port) = SwitchableListener::bind(opts.listen)?;
    let addr = listener.addr();
    let shared = Arc::new(SimWfmShared {
        settings: Settings {
            tenant_name: opts.tenant_name,
            access_key_id: opts.access_key_id,
            access_key_secret: opts.access_key_secret,
            max_batch: opts.max_batch,
            verbose: opts.verbose,
        },
        clock: opts.clock,
        tokens: Mutex::new(TokenStore::new(
            opts.token_lifetime,
            opts.refresh_token_lifetime,
        )),
        faults: Mutex::new(FaultBook::default()),
        in_flight: Mutex::new(HashMap::new()),
        record: watch::Sender::new(WfmRecorder::new(opts.keep_states)),
    });
    let (stop, stop_rx) = oneshot::channel::<()>();
    let app = server::router(Arc::clone(&shared));
    let task = tokio::spawn(async move {
        // Dropping the handle drops `stop` too, which also ends the server.
        let stopped = async move {
            let _ = stop_rx.await;
        };
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(stopped)
            .await
        {
            tracing::error!(error = %e, "sim wfm: server failed");
        }
    });
    tracing::debug!(%addr, "sim wfm: listening");
    Ok(SimWfmHandle {
        addr,
        shared,
        port,
        stop,
        task,
    })
}

/// A running simulator. Dropping it stops the server too; [`SimWfmHandle::shutdown`] also waits.
pub struct SimWfmHandle {
    addr: SocketAddr,
    shared: Arc<SimWfmShared>,
    /// Closes the port for a connection-refused outage.
    port: PortSwitch,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl SimWfmHandle {
    /// `http://127.0.0.1:<port>`: the `wfm.service_url` to give the connector.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A copy of everything recorded so far.
    pub fn recorded(&self) -> Recorded {
        self.shared.record.borrow().recorded.clone()
    }

    /// Reads the record in place, without copying it (e.g. a count in a benchmark loop).
    pub fn inspect<T>(&self, f: impl FnOnce(&Recorded) -> T) -> T {
        f(&self.shared.record.borrow().recorded)
    }

    /// Adds a fault. For [`OutageKind::ConnectionRefused`] it returns once the port is closed and
    /// open connections are reset.
    pub async fn set_fault(&self, fault: Fault) {
        if fault.action == FaultAction::Outage(OutageKind::ConnectionRefused) {
            self.port.switch(true).await;
        } else {
            lock(&self.shared.faults).add(fault);
        }
    }

    /// Ends outages of both modes, keeping the other faults; returns once the port listens again.
    pub async fn end_outage(&self) {
        lock(&self.shared.faults).remove_outages();
        self.port.switch(false).await;
    }

    /// Removes every fault; returns once the port listens again.
    pub async fn clear_faults(&self) {
        lock(&self.shared.faults).clear();
        self.port.switch(false).await;
    }

    /// Forgets every access and refresh token: the next data call is `401` until the client gets
    /// a new token with its access key.
    pub fn revoke_tokens(&self) {
        lock(&self.shared.tokens).revoke_all();
    }

    /// Lifetime of tokens issued from now on.
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        lock(&self.shared.tokens).set_lifetime(lifetime);
    }

    /// Waits until `condition` holds on the record, re-checking it on every recorded change (never
    /// by polling). Returns `false` if `timeout` passed first; the timeout is only a safety net.
    pub async fn wait_until<F: Fn(&Recorded) -> bool>(
        &self,
        condition: F,
        timeout: Duration,
    ) -> bool {
        let mut changes = self.shared.record.subscribe();
        // `wait_for` checks the current record first, then again after each change.
        let waited = changes.wait_for(|recorder| condition(&recorder.recorded));
        // The match drops the read guard at once, so writers are never held up.
        matches!(tokio::time::timeout(timeout, waited).await, Ok(Ok(_)))
    }

    /// Stops accepting, lets requests in flight finish (up to 5 s), and waits for the server.
    pub async fn shutdown(self) {
        let SimWfmHandle { stop, mut task, .. } = self;
        let _ = stop.send(());
        if tokio::time::timeout(SHUTDOWN_GRACE, &mut task)
            .await
            .is_err()
        {
            task.abort();
        }
    }

    /// A receiver that changes with every recorded change (for the CLI's live output).
    fn changes(&self) -> watch::Receiver<WfmRecorder> {
        self.shared.record.subscribe()
    }
}
