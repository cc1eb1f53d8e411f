//! The synthetic contact centre: agents moving between Activities, tasks arriving on queues and
//! channels and walking TaskRouter's lifecycle, every step written as the matching event.
//!
//! It is a discrete-event simulation: an agenda of timed actions, one seeded random generator,
//! actions run in `(time, order of scheduling)`. The events therefore depend only on the seed, the
//! start time and the settings, not on how `advance_to` is stepped.
//!
//! A task: `task.created` + `task-queue.entered` → `reservation.created` (an Available agent) →
//! `reservation.accepted` | `rejected` | `timeout` | `failed` (then offered again or left waiting) →
//! `reservation.wrapup` + `task.wrapup` → `reservation.completed` + `task.completed`. A task not
//! accepted within the caller's patience ends `task.canceled` (with `reservation.canceled` if an
//! offer was ringing); some waiting tasks time out of their queue and move to another.

use crate::model::Millis;
use crate::sim::acd::faults::EventDice;
use crate::sim::acd::log::EventLog;
use crate::sim::acd::world::{AssignmentStatus, EventBody, StoredEvent, TaskSnap, World};
use staff::Staff;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

const SECOND: Millis = 1_000;
const MINUTE: Millis = 60 * SECOND;
const HOUR: Millis = 60 * MINUTE;

/// What the centre is built from.
#[derive(Debug, Clone)]
pub(crate) struct CentreConfig {
    pub agents: u32,
    pub queues: Vec<String>,
    pub tasks_per_hour: f64,
    pub seed: u64,
    pub start_ms: Millis,
}

/// Where the centre writes: the tables, the log, and the per-event fault dice.
pub(crate) struct Out<'a> {
    pub world: &'a mut World,
    pub log: &'a mut EventLog,
    pub dice: &'a mut EventDice,
}

impl Out<'_> {
    fn emit(&mut self, at: Millis, event_type: &'static str, body: EventBody) {
        let (junk, late_by) = self.dice.roll();
        let sid = self.world.next_event_sid();
        self.log.insert(StoredEvent {
            seq: 0,
            event_ms: at,
            visible_ms: at.saturating_add(late_by),
            sid,
            event_type,
            body,
            junk,
        });
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Channel {
    Voice,
    Chat,
    Sms,
    Video,
    Email,
}

impl Channel {
    fn name(self) -> &'static str {
        match self {
            Channel::Voice => "voice",
            Channel::Chat => "chat",
            Channel::Sms => "sms",
            Channel::Video => "video",
            Channel::Email => "email",
        }
    }

    /// Mean talk time: how long an accepted task is worked before wrap-up.
    fn mean_talk_ms(self) -> Millis {
        match self {
            Channel::Voice => 4 * MINUTE,
            Channel::Chat => 8 * MINUTE,
            Channel::Sms => 5 * MINUTE,
            Channel::Video => 6 * MINUTE,
            Channel::Email => 10 * MINUTE,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    Accept,
    Reject,
    Timeout,
    /// TaskRouter could not assign it (`reservation.failed`).
    Fail,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Action {
    Arrival,
    Decide { reservation: u32, outcome: Outcome },
    Wrapup { reservation: u32 },
    Complete { reservation: u32 },
    Abandon { task: u32 },
    Escalate { task: u32 },
    ActivityChange { agent: u32, token: u32 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TaskState {
    Waiting,
    Offered(u32),
    Assigned(u32),
    Done,
}

struct TaskWork {
    world_task: u32,
    queue: u16,
    channel: Channel,
    created_ms: Millis,
    /// When the task entered `queue`.
    queue_entered_ms: Millis,
    state: TaskState,
    last_rejected_by: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReservationState {
    Pending,
    Accepted,
    Wrapping,
    Done,
}

struct ReservationWork {
    world_reservation: u32,
    agent: u32,
    task: u32,
    state: ReservationState,
}

/// The activities the centre moves agents between.
struct Activities {
    available: u16,
    offline: u16,
    away: [(u16, u32); 4],
}

pub(crate) struct Centre {
    rng: fastrand::Rng,
    now_ms: Millis,
    agenda: BinaryHeap<Reverse<(Millis, u64, Action)>>,
    scheduled: u64,
    arrival_scheduled: bool,
    tasks_per_hour: f64,
    queues: Vec<u16>,
    activities: Activities,
    staff: Staff,
    tasks: Vec<TaskWork>,
    reservations: Vec<ReservationWork>,
    waiting: VecDeque<u32>,
}

impl Centre {
    /// Creates the agents (as workers of `world`) in their starting activities.
    pub fn new(config: &CentreConfig, world: &mut World) -> Centre {
        let activity = |name: &str| world.activity(name).unwrap_or(0);
        let activities = Activities {
            available: activity("Available"),
            offline: activity("Offline"),
            away: [
                (activity("Break"), 40),
                (activity("Offline"), 30),
                (activity("Lunch"), 15),
                (activity("Training"), 15),
            ],
        };
        let queues = config
            .queues
            .iter()
            .map(|q| world.queue_or_create(q))
            .collect();
        let mut centre = Centre {
            rng: fastrand::Rng::with_seed(config.seed),
            now_ms: config.start_ms,
            agenda: BinaryHeap::new(),
            scheduled: 0,
            arrival_scheduled: false,
            tasks_per_hour: config.tasks_per_hour.max(0.0),
            queues,
            staff: Staff::new(config.agents as usize, activities.available),
            activities,
            tasks: Vec::new(),
            reservations: Vec::new(),
            waiting: VecDeque::new(),
        };
        let start = config.start_ms;
        for n in 0..config.agents {
            let roll = centre.rng.u32(0..100);
            let (activity, first_change) = match roll {
                0..60 => (centre.activities.available, centre.working_stretch()),
                60..85 => (centre.activities.offline, centre.rng.i64(0..HOUR)),
                85..95 => (centre.activities.away[0].0, centre.rng.i64(0..15 * MINUTE)),
                _ => (centre.activities.away[3].0, centre.rng.i64(0..HOUR)),
            };
            let name = format!("agent{:04}", n + 1);
            let attributes = serde_json::json!({ "logon": name }).to_string();
            let agent = world.add_worker(None, &name, &attributes, activity, start);
            centre.schedule(
                start + first_change,
                Action::ActivityChange { agent, token: 0 },
            );
            centre.staff.refresh(world, agent);
        }
        centre.schedule_arrival(start);
        centre
    }

    pub fn now_ms(&self) -> Millis {
        self.now_ms
    }

    /// Changes the arrival rate from now on (0 stops arrivals; work in hand still finishes).
    pub fn set_tasks_per_hour(&mut self, rate: f64) {
        self.tasks_per_hour = rate.max(0.0);
        self.schedule_arrival(self.now_ms);
    }

    /// Runs every action due up to `now_ms`.
    pub fn advance_to(&mut self, now_ms: Millis, out: &mut Out) {
        while let Some(Reverse((at, _, action))) = self.agenda.peek().copied() {
            if at > now_ms {
                break;
            }
            self.agenda.pop();
            self.now_ms = at;
            self.run(at, action, out);
        }
        self.now_ms = self.now_ms.max(now_ms);
    }

    fn schedule(&mut self, at: Millis, action: Action) {
        self.scheduled += 1;
        self.agenda.push(Reverse((at, self.scheduled, action)));
    }

    fn schedule_arrival(&mut self, from: Millis) {
        if self.arrival_scheduled || self.tasks_per_hour <= 0.0 {
            return;
        }
        let mean = HOUR as f64 / self.tasks_per_hour;
        let gap = self.exp_ms(mean, 1, 24 * HOUR);
        self.arrival_scheduled = true;
        self.schedule(from + gap, Action::Arrival);
    }

    /// An exponentially distributed duration, clamped.
    fn exp_ms(&mut self, mean_ms: f64, min: Millis, max: Millis) -> Millis {
        let drawn = -mean_ms * (1.0 - self.rng.f64()).ln();
        (drawn as Millis).clamp(min, max)
    }

    fn working_stretch(&mut self) -> Millis {
        self.exp_ms(40.0 * MINUTE as f64, 2 * MINUTE, 4 * HOUR)
    }

    fn run(&mut self, at: Millis, action: Action, out: &mut Out) {
        match action {
            Action::Arrival => self.arrival(at, out),
            Action::Decide {
                reservation,
                outcome,
            } => self.decide(at, reservation, outcome, out),
            Action::Wrapup { reservation } => self.wrapup(at, reservation, out),
            Action::Complete { reservation } => self.complete(at, reservation, out),
            Action::Abandon { task } => self.abandon(at, task, out),
            Action::Escalate { task } => self.escalate(at, task, out),
            Action::ActivityChange { agent, token } => self.activity_change(at, agent, token, out),
        }
    }

    fn task_snap(&self, task: u32, at: Millis, status: Option<AssignmentStatus>) -> TaskSnap {
        let (world_task, queue, created, entered) =
            self.tasks.get(task as usize).map_or((0, 0, at, at), |t| {
                (t.world_task, t.queue, t.created_ms, t.queue_entered_ms)
            });
        TaskSnap {
            task: world_task,
            queue,
            age_s: u32::try_from((at - created) / SECOND).unwrap_or(u32::MAX),
            in_queue_ms: u32::try_from((at - entered).max(0)).unwrap_or(u32::MAX),
            status,
        }
    }

    fn emit_task(
        &self,
        at: Millis,
        task: u32,
        kind: &'static str,
        status: AssignmentStatus,
        out: &mut Out,
    ) {
        out.emit(
            at,
            kind,
            EventBody::Task(self.task_snap(task, at, Some(status))),
        );
    }

    fn emit_reservation(&self, at: Millis, reservation: u32, kind: &'static str, out: &mut Out) {
        let Some(r) = self.reservations.get(reservation as usize) else {
            return;
        };
        let body = EventBody::Reservation {
            worker: out.world.worker_snap(r.agent),
            task: self.task_snap(r.task, at, None),
            reservation: r.world_reservation,
        };
        out.emit(at, kind, body);
    }
}

mod agents;
mod staff;
mod tasks;
