//! The handle tests and the CLI hold: URLs and credentials, scripting, faults, the request log,
//! and shutdown.

use super::faults::{Faults, Outage};
use super::push::{PushCounters, PushDelivery, PushFaults, PushOptions};
use super::recorder::{AcdRequestLogEntry, SimAcdCounters};
use super::render;
use super::script::{self, ScriptError, ScriptEvent};
use super::state::{SimAcdShared, SimState};
use crate::model::Millis;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A running simulator. Dropping it stops the ticker; [`SimAcdHandle::shutdown`] also stops the
/// server gracefully.
pub struct SimAcdHandle {
    shared: Arc<SimAcdShared>,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
    /// The ticker and the pusher.
    tasks: [JoinHandle<()>; 2],
}

impl SimAcdHandle {
    pub(super) fn new(
        shared: Arc<SimAcdShared>,
        addr: SocketAddr,
        stop: oneshot::Sender<()>,
        server: JoinHandle<()>,
        tasks: [JoinHandle<()>; 2],
    ) -> SimAcdHandle {
        SimAcdHandle {
            shared,
            addr,
            stop: Some(stop),
            server: Some(server),
            tasks,
        }
    }

    /// `http://127.0.0.1:port` (TaskRouter's `https://taskrouter.twilio.com`).
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `{base_url}/v1/Workspaces/{WorkspaceSid}/Events`.
    pub fn events_url(&self) -> String {
        format!(
            "{}/v1/Workspaces/{}/Events",
            self.base_url(),
            self.workspace_sid()
        )
    }

    pub fn workspace_sid(&self) -> String {
        self.shared.read().world.workspace_sid.to_string()
    }

    pub fn username(&self) -> String {
        self.shared.username.clone()
    }

    pub fn password(&self) -> String {
        self.shared.password.clone()
    }

    /// Pushes one scripted event; returns its sid.
    pub fn push(&self, event: ScriptEvent) -> Result<String, ScriptError> {
        let mut state = self.shared.write();
        let SimState { world, log, .. } = &mut *state;
        script::apply(world, log, event)
    }

    /// Pushes events in order; returns their sids.
    pub fn push_all(
        &self,
        events: impl IntoIterator<Item = ScriptEvent>,
    ) -> Result<Vec<String>, ScriptError> {
        events.into_iter().map(|e| self.push(e)).collect()
    }

    /// Stores an arbitrary event object verbatim (junk welcome). Its time is its `event_date_ms`
    /// or `event_date`.
    pub fn push_raw(&self, event: serde_json::Value) -> Result<(), ScriptError> {
        self.push_raw_at(event, None, 0)
    }

    /// [`SimAcdHandle::push_raw`] with an explicit time and a delay before it is visible.
    pub fn push_raw_at(
        &self,
        event: serde_json::Value,
        at_ms: Option<Millis>,
        late_by_ms: Millis,
    ) -> Result<(), ScriptError> {
        script::apply_raw(&mut self.shared.write().log, event, at_ms, late_by_ms)
    }

    /// Adds a worker (attributes `{"logon": name}`) in `activity`, without an event (as if it
    /// existed before anyone polled). Returns its sid.
    pub fn add_worker(&self, name: &str, activity: &str) -> Result<String, ScriptError> {
        self.add_worker_with(None, name, serde_json::json!({ "logon": name }), activity)
    }

    /// [`SimAcdHandle::add_worker`] with a chosen sid and attributes.
    pub fn add_worker_with(
        &self,
        sid: Option<&str>,
        name: &str,
        attributes: serde_json::Value,
        activity: &str,
    ) -> Result<String, ScriptError> {
        let now = self.shared.clock.now_ms();
        let mut state = self.shared.write();
        let world = &mut state.world;
        let activity = world
            .activity(activity)
            .ok_or_else(|| ScriptError::UnknownActivity(activity.into()))?;
        let worker = world.add_worker(sid, name, &attributes.to_string(), activity, now);
        Ok(world.worker_sid(worker).unwrap_or_default())
    }

    /// Adds an Activity; returns its sid.
    pub fn add_activity(&self, name: &str, available: bool) -> String {
        let mut state = self.shared.write();
        let activity = state.world.add_activity(name, available);
        state.world.activity_sid(activity).unwrap_or_default()
    }

    /// A worker's sid by friendly name (or sid).
    pub fn worker_sid(&self, name: &str) -> Option<String> {
        let state = self.shared.read();
        state.world.worker_sid(state.world.worker(name)?)
    }

    /// An Activity's sid by name.
    pub fn activity_sid(&self, name: &str) -> Option<String> {
        let state = self.shared.read();
        state.world.activity_sid(state.world.activity(name)?)
    }

    /// A queue's sid by name (created if unknown).
    pub fn queue_sid(&self, name: &str) -> String {
        let mut state = self.shared.write();
        let queue = state.world.queue_or_create(name);
        state
            .world
            .queues
            .get(usize::from(queue))
            .map_or_else(String::new, |q| q.sid.to_string())
    }

    /// Generates the centre's events up to `now_ms` (the ticker and every request do this with
    /// the clock's time; call it to drive the centre without a request).
    pub fn advance_to(&self, now_ms: Millis) {
        self.shared.write().advance_to(now_ms);
    }

    /// Changes the centre's arrival rate (0 stops arrivals; tasks in progress still finish).
    pub fn set_tasks_per_hour(&self, rate: f64) {
        if let Some(centre) = self.shared.write().centre.as_mut() {
            centre.set_tasks_per_hour(rate);
        }
    }

    /// Replaces the faults (countdowns restart from the given values).
    pub fn set_faults(&self, faults: Faults) {
        self.shared.write().dice.configure(&faults);
        self.shared.faults().faults = faults;
        self.shared.sync_outage();
    }

    /// The faults in force, with what is left of the countdowns.
    pub fn faults(&self) -> Faults {
        self.shared.faults().faults.clone()
    }

    /// Starts (`Some`) or ends (`None`) an outage, leaving the other faults as they are. Returns
    /// once the listener has closed (or re-opened) its socket for a `ConnectionRefused` outage.
    pub async fn set_outage(&self, outage: Option<Outage>) {
        self.shared.faults().faults.outage = outage;
        self.shared.sync_outage();
        self.settled().await;
    }

    /// Waits until the listener follows the current outage setting (a `ConnectionRefused` outage
    /// set through [`SimAcdHandle::set_faults`] or ended by the clock is applied asynchronously).
    pub async fn settled(&self) {
        self.shared.sync_outage();
        self.shared.refuse.settled().await;
    }

    /// Every recorded request, oldest first.
    pub fn requests(&self) -> Vec<AcdRequestLogEntry> {
        self.shared.recorder().log.iter().cloned().collect()
    }

    pub fn clear_requests(&self) {
        self.shared.recorder().log.clear();
    }

    pub fn counters(&self) -> SimAcdCounters {
        self.shared.recorder().counters
    }

    /// Events generated (up to the clock's now) or pushed, visible or not.
    pub fn event_count(&self) -> usize {
        self.shared.catch_up();
        self.shared.read().log.len()
    }

    /// Events a poll would see now (dated up to now and visible).
    pub fn visible_event_count(&self) -> usize {
        self.shared.catch_up();
        let now = self.shared.clock.now_ms();
        let state = self.shared.read();
        state
            .log
            .iter()
            .filter(|e| e.event_ms <= now && e.visible_ms <= now)
            .count()
    }

    /// Every event generated (up to the clock's now) or pushed, visible or not, oldest first, as
    /// served.
    pub fn events(&self) -> Vec<serde_json::Value> {
        self.shared.catch_up();
        let state = self.shared.read();
        let writer = render::EventWriter::new(&state.world, &self.shared.base_url);
        state.log.iter().map(|e| writer.value(e)).collect()
    }

    /// Every worker as `GET …/Workers/{sid}` shows it (with attributes), deleted ones excluded.
    pub fn workers(&self) -> Vec<serde_json::Value> {
        self.shared.catch_up();
        let state = self.shared.read();
        (0..state.world.workers.len())
            .filter(|i| !state.world.workers[*i].deleted)
            .map(|i| render::worker_value(&state.world, &self.shared.base_url, i as u32, true))
            .collect()
    }

    /// Starts pushing every new event to a webhook as Twilio Event Streams (`Some`), or stops
    /// (`None`). Events from before the start are not pushed; a stop forgets what was pending.
    pub fn set_push(&self, push: Option<PushOptions>) {
        let on = push.is_some();
        {
            let mut state = self.shared.push();
            state.options = push;
            if !on {
                state.clear_pending();
            }
        }
        self.shared.write().log.set_tap(on);
        self.shared.push_wake.notify_one();
    }

    /// Replaces the push faults (pushing stays as it is).
    pub fn set_push_faults(&self, faults: PushFaults) {
        if let Some(opts) = self.shared.push().options.as_mut() {
            opts.faults = faults;
        }
    }

    /// Every push delivery attempt, oldest first.
    pub fn push_deliveries(&self) -> Vec<PushDelivery> {
        self.shared.push().log.iter().cloned().collect()
    }

    pub fn push_counters(&self) -> PushCounters {
        self.shared.push().counters
    }

    /// The body Event Streams would POST for these events (by `EV…` sid, in this order): a JSON
    /// array of CloudEvents, to sign or tamper with in tests. Unknown sids are left out.
    pub fn webhook_body(&self, sids: &[&str]) -> Vec<u8> {
        self.shared.catch_up();
        let state = self.shared.read();
        let writer = render::EventWriter::new(&state.world, &self.shared.base_url);
        let mut events = Vec::new();
        for (n, sid) in sids.iter().enumerate() {
            let found = state
                .log
                .iter()
                .map(|e| writer.value(e))
                .find(|v| v.get("sid").and_then(|s| s.as_str()) == Some(*sid));
            let id = format!("NO{n:032x}");
            if let Some(ce) = found.and_then(|v| super::push::cloud_event(&v, &id)) {
                events.push(ce);
            }
        }
        serde_json::to_vec(&events).unwrap_or_default()
    }

    /// Stops the ticker and the server (open connections get up to 5 s to finish).
    pub async fn shutdown(mut self) {
        self.tasks.iter().for_each(JoinHandle::abort);
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut server) = self.server.take() {
            // Graceful shutdown waits for open connections; do not wait for ever.
            if tokio::time::timeout(Duration::from_secs(5), &mut server)
                .await
                .is_err()
            {
                server.abort();
            }
        }
    }
}

impl Drop for SimAcdHandle {
    fn drop(&mut self) {
        self.tasks.iter().for_each(JoinHandle::abort);
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}
