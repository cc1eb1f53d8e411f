//! What the HTTP handlers, the ticker and the handle share: the simulated workspace and its event
//! log behind one lock, the faults, the request log, the clock.

use super::centre::{Centre, Out};
use super::faults::{EventDice, FaultState};
use super::log::EventLog;
use super::push::PushState;
use super::recorder::AcdRecorder;
use super::world::World;
use crate::clock::SharedClock;
use crate::model::Millis;
use crate::sim::faults::OutageKind;
use crate::sim::listener::PortSwitch;
use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// The workspace, its log, and the centre that writes to them (none in scripted mode).
pub(crate) struct SimState {
    pub world: World,
    pub log: EventLog,
    pub centre: Option<Centre>,
    pub dice: EventDice,
    /// Events older than this are forgotten (TaskRouter keeps 30 days).
    pub retention_ms: Millis,
    last_prune_ms: Millis,
}

impl SimState {
    pub fn new(
        world: World,
        centre: Option<Centre>,
        dice: EventDice,
        retention_ms: Millis,
    ) -> Self {
        SimState {
            world,
            log: EventLog::default(),
            centre,
            dice,
            retention_ms,
            last_prune_ms: Millis::MIN,
        }
    }

    /// Whether the centre has events to generate before `now_ms`.
    pub fn behind(&self, now_ms: Millis) -> bool {
        self.centre.as_ref().is_some_and(|c| c.now_ms() < now_ms)
    }

    /// Generates the centre's events up to `now_ms` and forgets expired ones (at most once a
    /// simulated minute: pruning moves the whole log).
    pub fn advance_to(&mut self, now_ms: Millis) {
        let SimState {
            world,
            log,
            centre,
            dice,
            ..
        } = self;
        if let Some(centre) = centre {
            centre.advance_to(now_ms, &mut Out { world, log, dice });
        }
        if now_ms.saturating_sub(self.last_prune_ms) >= 60_000 {
            self.last_prune_ms = now_ms;
            self.log
                .prune_before(now_ms.saturating_sub(self.retention_ms));
        }
    }
}

pub(crate) struct SimAcdShared {
    pub state: RwLock<SimState>,
    pub faults: Mutex<FaultState>,
    pub recorder: Mutex<AcdRecorder>,
    pub clock: SharedClock,
    /// Closes the port during a `ConnectionRefused` outage.
    pub refuse: PortSwitch,
    /// `http://127.0.0.1:port`: the prefix of every URL the simulator writes.
    pub base_url: String,
    pub username: String,
    pub password: String,
    /// Event Streams: where to push, and what was pushed. Taken before `state`, never after.
    pub push: Mutex<PushState>,
    /// Wakes the pusher when pushing is switched on.
    pub push_wake: tokio::sync::Notify,
}

// A panic while holding a lock must not take the simulator down with poisoned locks: the state is
// plain data that stays usable, so every lock recovers the guard.
impl SimAcdShared {
    pub fn read(&self) -> RwLockReadGuard<'_, SimState> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    pub fn write(&self) -> RwLockWriteGuard<'_, SimState> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }

    pub fn faults(&self) -> MutexGuard<'_, FaultState> {
        self.faults.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn recorder(&self) -> MutexGuard<'_, AcdRecorder> {
        self.recorder.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn push(&self) -> MutexGuard<'_, PushState> {
        self.push.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Brings the centre up to the clock (cheap when it already is).
    pub fn catch_up(&self) {
        let now = self.clock.now_ms();
        if self.read().behind(now) {
            self.write().advance_to(now);
        }
    }

    /// Makes the listener follow the outage setting (and ends timed outages on time).
    pub fn sync_outage(&self) {
        let now = self.clock.now_ms();
        let refusing = self.faults().outage(now) == Some(OutageKind::ConnectionRefused);
        self.refuse.set_refusing(refusing);
    }
}
