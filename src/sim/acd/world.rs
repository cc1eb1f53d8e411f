//! The simulated workspace: Activities, Workers (with their *current* state, which is what
//! `GET …/Workers` returns), TaskQueues, Tasks and Reservations, plus the compact form in which
//! events are stored.
//!
//! Events do not carry strings: they point into these tables by index, so a log of millions of
//! events stays small, and are rendered to Twilio's JSON only when served (see `render`).

use super::faults::JunkKind;
use super::sid::{self, SidKind};
use crate::model::Millis;
use std::collections::HashMap;
use std::sync::Arc;

/// "No activity" in a [`WorkerSnap`] (e.g. a worker's first event has no previous activity).
pub(crate) const NO_ACTIVITY: u16 = u16::MAX;

pub(crate) struct ActivityRow {
    pub sid: Arc<str>,
    pub name: Arc<str>,
    pub available: bool,
}

/// A worker as `GET …/Workers` shows it now.
pub(crate) struct WorkerRow {
    pub sid: Arc<str>,
    pub name: Arc<str>,
    /// JSON text, e.g. `{"logon":"agent0001"}`.
    pub attributes: Arc<str>,
    pub activity: u16,
    pub previous_activity: u16,
    pub time_in_previous_ms: Millis,
    pub status_changed_ms: Millis,
    /// The time of the newest activity event applied (`Millis::MIN` before the first), so that
    /// an older event pushed late does not rewind the present.
    pub last_event_ms: Millis,
    pub created_ms: Millis,
    pub deleted: bool,
}

pub(crate) struct QueueRow {
    pub sid: Arc<str>,
    pub name: Arc<str>,
}

pub(crate) struct TaskRow {
    pub sid: Arc<str>,
    pub channel: Arc<str>,
    /// JSON text, e.g. `{"direction":"inbound"}`.
    pub attributes: Arc<str>,
    pub created_ms: Millis,
    /// When the task entered the queue it is in; `None`: when it was created.
    pub queue_entered_ms: Option<Millis>,
}

/// A worker as one event saw it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WorkerSnap {
    pub worker: u32,
    pub activity: u16,
    pub previous: u16,
    pub time_in_previous_ms: Millis,
}

/// A task as one event saw it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TaskSnap {
    pub task: u32,
    pub queue: u16,
    pub age_s: u32,
    /// Milliseconds since the task entered `queue` (`task_queue_entered_date` = event − this).
    pub in_queue_ms: u32,
    pub status: Option<AssignmentStatus>,
}

/// TaskRouter's `task_assignment_status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AssignmentStatus {
    Pending,
    Wrapping,
    Completed,
    Canceled,
}

impl AssignmentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AssignmentStatus::Pending => "pending",
            AssignmentStatus::Wrapping => "wrapping",
            AssignmentStatus::Completed => "completed",
            AssignmentStatus::Canceled => "canceled",
        }
    }
}

/// What an event is about; the `event_data` keys follow from it.
#[derive(Debug, Clone)]
pub(crate) enum EventBody {
    Worker(WorkerSnap),
    Reservation {
        worker: WorkerSnap,
        task: TaskSnap,
        reservation: u32,
    },
    /// `task.*` and `task-queue.*` events.
    Task(TaskSnap),
    /// A whole event object pushed verbatim by a test.
    Raw(Arc<serde_json::Value>),
}

/// An event sid: generated from the seed and a counter (no storage), or given by a script.
#[derive(Debug, Clone)]
pub(crate) enum EventSid {
    Generated(u64),
    Given(Arc<str>),
}

/// One event of the log.
#[derive(Debug, Clone)]
pub(crate) struct StoredEvent {
    /// Insertion order; with `event_ms` it totally orders the log (see `log`).
    pub seq: u64,
    pub event_ms: Millis,
    /// When the event shows up in `GET …/Events` (`event_ms` unless it is a late event).
    pub visible_ms: Millis,
    pub sid: EventSid,
    /// Empty for [`EventBody::Raw`], whose type is inside the value.
    pub event_type: &'static str,
    pub body: EventBody,
    pub junk: Option<JunkKind>,
}

/// The workspace's tables. Lookups by sid or name exist for scripts and the single-worker endpoint.
pub(crate) struct World {
    pub seed: u64,
    pub account_sid: Arc<str>,
    pub workspace_sid: Arc<str>,
    pub workspace_name: Arc<str>,
    pub created_ms: Millis,
    pub activities: Vec<ActivityRow>,
    pub workers: Vec<WorkerRow>,
    pub queues: Vec<QueueRow>,
    pub tasks: Vec<TaskRow>,
    pub reservations: Vec<Arc<str>>,
    worker_keys: HashMap<Arc<str>, u32>,
    queue_keys: HashMap<Arc<str>, u16>,
    /// Only tasks and reservations created by scripts are indexed (the centre keeps its own).
    task_keys: HashMap<Arc<str>, u32>,
    reservation_keys: HashMap<Arc<str>, u32>,
    interned: HashMap<Box<str>, Arc<str>>,
    next_event_n: u64,
}

impl World {
    pub fn new(seed: u64, account_sid: &str, workspace_sid: &str, created_ms: Millis) -> World {
        World {
            seed,
            account_sid: account_sid.into(),
            workspace_sid: workspace_sid.into(),
            workspace_name: "Simulated Contact Centre".into(),
            created_ms,
            activities: Vec::new(),
            workers: Vec::new(),
            queues: Vec::new(),
            tasks: Vec::new(),
            reservations: Vec::new(),
            worker_keys: HashMap::new(),
            queue_keys: HashMap::new(),
            task_keys: HashMap::new(),
            reservation_keys: HashMap::new(),
            interned: HashMap::new(),
            next_event_n: 0,
        }
    }

    fn new_sid(&self, kind: SidKind, n: usize) -> Arc<str> {
        sid::sid(kind, self.seed, n as u64).into()
    }

    /// One shared copy of a string that many rows repeat (channels, attribute sets).
    pub fn intern(&mut self, text: &str) -> Arc<str> {
        if let Some(found) = self.interned.get(text) {
            return found.clone();
        }
        let shared: Arc<str> = text.into();
        self.interned.insert(text.into(), shared.clone());
        shared
    }

    /// The next generated event sid.
    pub fn next_event_sid(&mut self) -> EventSid {
        self.next_event_n += 1;
        EventSid::Generated(self.next_event_n)
    }

    pub fn render_event_sid(&self, sid: &EventSid) -> Arc<str> {
        match sid {
            EventSid::Generated(n) => sid::sid(sid::EVENT, self.seed, *n).into(),
            EventSid::Given(given) => given.clone(),
        }
    }

    pub fn add_activity(&mut self, name: &str, available: bool) -> u16 {
        let sid = self.new_sid(sid::ACTIVITY, self.activities.len());
        self.activities.push(ActivityRow {
            sid,
            name: name.into(),
            available,
        });
        // Activities are few (a workspace has a handful); u16 is plenty.
        (self.activities.len() - 1) as u16
    }

    /// An activity by sid or friendly name.
    pub fn activity(&self, key: &str) -> Option<u16> {
        self.activities
            .iter()
            .position(|a| &*a.sid == key || &*a.name == key)
            .map(|i| i as u16)
    }

    pub fn activity_sid(&self, activity: u16) -> Option<String> {
        self.activities
            .get(usize::from(activity))
            .map(|a| a.sid.to_string())
    }

    pub fn activity_name(&self, activity: u16) -> Option<&str> {
        self.activities.get(usize::from(activity)).map(|a| &*a.name)
    }

    /// Adds a worker; `sid` is generated unless given.
    pub fn add_worker(
        &mut self,
        sid: Option<&str>,
        name: &str,
        attributes: &str,
        activity: u16,
        at_ms: Millis,
    ) -> u32 {
        let index = self.workers.len() as u32;
        let sid: Arc<str> = match sid {
            Some(given) => given.into(),
            None => self.new_sid(sid::WORKER, self.workers.len()),
        };
        let name: Arc<str> = name.into();
        self.worker_keys.insert(sid.clone(), index);
        self.worker_keys.entry(name.clone()).or_insert(index);
        self.workers.push(WorkerRow {
            sid,
            name,
            attributes: attributes.into(),
            activity,
            previous_activity: NO_ACTIVITY,
            time_in_previous_ms: 0,
            status_changed_ms: at_ms,
            last_event_ms: Millis::MIN,
            created_ms: at_ms,
            deleted: false,
        });
        index
    }

    /// A worker by sid or friendly name.
    pub fn worker(&self, key: &str) -> Option<u32> {
        self.worker_keys.get(key).copied()
    }

    pub fn worker_sid(&self, worker: u32) -> Option<String> {
        self.workers.get(worker as usize).map(|w| w.sid.to_string())
    }

    /// Moves a worker to `activity` at `at_ms` and returns what the event says. The row changes
    /// only if the event is not older than the row's state (a late push never rewinds the present).
    pub fn set_worker_activity(&mut self, worker: u32, activity: u16, at_ms: Millis) -> WorkerSnap {
        let Some(row) = self.workers.get_mut(worker as usize) else {
            return WorkerSnap {
                worker,
                activity,
                previous: NO_ACTIVITY,
                time_in_previous_ms: 0,
            };
        };
        let snap = WorkerSnap {
            worker,
            activity,
            previous: row.activity,
            time_in_previous_ms: (at_ms - row.status_changed_ms).max(0),
        };
        if at_ms >= row.last_event_ms {
            row.last_event_ms = at_ms;
            row.previous_activity = row.activity;
            row.time_in_previous_ms = snap.time_in_previous_ms;
            row.activity = activity;
            row.status_changed_ms = at_ms;
        }
        snap
    }

    pub fn forget_previous_activity(&mut self, worker: u32) {
        if let Some(row) = self.workers.get_mut(worker as usize) {
            row.previous_activity = NO_ACTIVITY;
            row.time_in_previous_ms = 0;
        }
    }

    /// The worker as it is now, for events that do not change its activity (reservations).
    pub fn worker_snap(&self, worker: u32) -> WorkerSnap {
        match self.workers.get(worker as usize) {
            Some(row) => WorkerSnap {
                worker,
                activity: row.activity,
                previous: row.previous_activity,
                time_in_previous_ms: row.time_in_previous_ms,
            },
            None => WorkerSnap {
                worker,
                activity: NO_ACTIVITY,
                previous: NO_ACTIVITY,
                time_in_previous_ms: 0,
            },
        }
    }

    pub fn set_worker_deleted(&mut self, worker: u32) {
        if let Some(row) = self.workers.get_mut(worker as usize) {
            row.deleted = true;
        }
    }

    pub fn add_queue(&mut self, name: &str) -> u16 {
        let sid = self.new_sid(sid::QUEUE, self.queues.len());
        let index = self.queues.len() as u16;
        let name: Arc<str> = name.into();
        self.queue_keys.insert(sid.clone(), index);
        self.queue_keys.insert(name.clone(), index);
        self.queues.push(QueueRow { sid, name });
        index
    }

    /// A queue by sid or name, created (named after `key`) if unknown.
    pub fn queue_or_create(&mut self, key: &str) -> u16 {
        match self.queue_keys.get(key) {
            Some(found) => *found,
            None => self.add_queue(key),
        }
    }

    /// Adds a task; scripts give its sid and want it indexed, the centre does neither.
    pub fn add_task(
        &mut self,
        sid: Option<&str>,
        channel: &str,
        attributes: &str,
        created_ms: Millis,
    ) -> u32 {
        let index = self.tasks.len() as u32;
        let channel = self.intern(channel);
        let attributes = self.intern(attributes);
        let sid: Arc<str> = match sid {
            Some(given) => {
                let given: Arc<str> = given.into();
                self.task_keys.insert(given.clone(), index);
                given
            }
            None => self.new_sid(sid::TASK, self.tasks.len()),
        };
        self.tasks.push(TaskRow {
            sid,
            channel,
            attributes,
            created_ms,
            queue_entered_ms: None,
        });
        index
    }

    pub fn task(&self, sid: &str) -> Option<u32> {
        self.task_keys.get(sid).copied()
    }

    /// A reservation sid, generated unless given (given ones are indexed for reuse).
    pub fn reservation(&mut self, sid: Option<&str>) -> u32 {
        if let Some(found) = sid.and_then(|s| self.reservation_keys.get(s)) {
            return *found;
        }
        let index = self.reservations.len() as u32;
        let sid: Arc<str> = match sid {
            Some(given) => {
                let given: Arc<str> = given.into();
                self.reservation_keys.insert(given.clone(), index);
                given
            }
            None => self.new_sid(sid::RESERVATION, self.reservations.len()),
        };
        self.reservations.push(sid);
        index
    }
}
