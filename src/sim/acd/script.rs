//! Scripted mode: tests build exact events (explicit times, sids, workers, tasks) and push them.
//!
//! ```ignore
//! sim.push(Script::worker_activity("alice", "Break", t0))?;
//! sim.push(Script::reservation(ReservationEventKind::Accepted, "alice", "WT1", "WR1",
//!                              "Support", "voice", t0 + 5_000).late_by(3_000))?;
//! ```
//!
//! Workers, queues, tasks and reservations named in a script are created on first use (workers by
//! friendly name or sid, queues by name or sid); activities must exist (the five defaults do).
//! Worker events move the worker in `GET …/Workers` at once, whatever the event's visibility.
//!
//! Task and reservation events carry the task's dates as TaskRouter reports them: `task_age`,
//! `task_date_created` (the task's creation: its earliest event pushed, or
//! [`ScriptEvent::task_waiting_since`]) and `task_queue_entered_date` (its last
//! `task-queue.entered` / `moved` pushed, else its creation). A task already waiting before the
//! events a test pushes is written with `task_waiting_since`.

mod rows;

use super::faults::JunkKind;
use super::kinds::{ReservationEventKind, TaskEventKind, TaskQueueEventKind, WorkerEventKind};
use super::log::EventLog;
use super::world::{AssignmentStatus, EventBody, StoredEvent, World};
use crate::model::Millis;
use rows::{task_or_create, task_snap, worker_or_create};
use std::sync::Arc;

#[derive(Debug, Clone)]
enum What {
    Worker {
        kind: WorkerEventKind,
        worker: String,
        activity: Option<String>,
    },
    Reservation {
        kind: ReservationEventKind,
        worker: String,
        task: String,
        reservation: String,
        queue: String,
        channel: String,
    },
    Task {
        event_type: &'static str,
        status: AssignmentStatus,
        task: String,
        queue: String,
        channel: String,
        attributes: Option<serde_json::Value>,
    },
}

/// One scripted event; build it with [`Script`], refine it with the methods, push it through the
/// handle.
#[derive(Debug, Clone)]
pub struct ScriptEvent {
    at_ms: Millis,
    sid: Option<String>,
    late_by_ms: Millis,
    junk: Option<JunkKind>,
    waiting_since_ms: Option<Millis>,
    what: What,
}

impl ScriptEvent {
    /// Uses this event sid instead of a generated one.
    pub fn sid(mut self, sid: impl Into<String>) -> Self {
        self.sid = Some(sid.into());
        self
    }

    /// Makes the event visible only `ms` after its `event_date`.
    pub fn late_by(mut self, ms: Millis) -> Self {
        self.late_by_ms = ms.max(0);
        self
    }

    /// Serves the event with junk `event_data`.
    pub fn junk(mut self, kind: JunkKind) -> Self {
        self.junk = Some(kind);
        self
    }

    /// Sets the task's attributes (task events; the first event of a task sets them too).
    pub fn task_attributes(mut self, attributes: serde_json::Value) -> Self {
        if let What::Task { attributes: a, .. } = &mut self.what {
            *a = Some(attributes);
        }
        self
    }

    /// The task (of a task or reservation event) was created and entered its queue at `ms`,
    /// before this event: its `task_age`, `task_date_created` and `task_queue_entered_date` say
    /// so, as TaskRouter's do for a task that was already waiting when history begins.
    pub fn task_waiting_since(mut self, ms: Millis) -> Self {
        self.waiting_since_ms = Some(ms);
        self
    }

    pub fn at_ms(&self) -> Millis {
        self.at_ms
    }

    fn new(at_ms: Millis, what: What) -> ScriptEvent {
        ScriptEvent {
            at_ms,
            sid: None,
            late_by_ms: 0,
            junk: None,
            waiting_since_ms: None,
            what,
        }
    }
}

/// Builders of scripted events. `worker` is a sid or a friendly name; `activity` a sid or name;
/// `queue` a sid or name; `task` and `reservation` are sids (any text is accepted).
pub struct Script;

impl Script {
    /// `worker.activity.update`: the worker moves to `activity`.
    pub fn worker_activity(worker: &str, activity: &str, at_ms: Millis) -> ScriptEvent {
        Script::worker(
            WorkerEventKind::ActivityUpdate,
            worker,
            Some(activity),
            at_ms,
        )
    }

    /// Any worker event; `activity` is needed for `Created` and the activity updates.
    pub fn worker(
        kind: WorkerEventKind,
        worker: &str,
        activity: Option<&str>,
        at_ms: Millis,
    ) -> ScriptEvent {
        ScriptEvent::new(
            at_ms,
            What::Worker {
                kind,
                worker: worker.into(),
                activity: activity.map(Into::into),
            },
        )
    }

    /// A reservation event of `worker` for `task` from `queue` on `channel` (also
    /// `ReservationEventKind::Failed`: TaskRouter could not assign it).
    pub fn reservation(
        kind: ReservationEventKind,
        worker: &str,
        task: &str,
        reservation: &str,
        queue: &str,
        channel: &str,
        at_ms: Millis,
    ) -> ScriptEvent {
        ScriptEvent::new(
            at_ms,
            What::Reservation {
                kind,
                worker: worker.into(),
                task: task.into(),
                reservation: reservation.into(),
                queue: queue.into(),
                channel: channel.into(),
            },
        )
    }

    /// A task event; `attributes` become the task's `task_attributes` (JSON text on the wire; a
    /// JSON string value is sent verbatim, so junk is possible).
    pub fn task(
        kind: TaskEventKind,
        task: &str,
        queue: &str,
        channel: &str,
        attributes: serde_json::Value,
        at_ms: Millis,
    ) -> ScriptEvent {
        ScriptEvent::new(
            at_ms,
            What::Task {
                event_type: kind.event_type(),
                status: kind.status(),
                task: task.into(),
                queue: queue.into(),
                channel: channel.into(),
                attributes: Some(attributes),
            },
        )
    }

    /// A task-queue event (`entered`, `moved`, `timeout`) of `task` in `queue`.
    pub fn task_queue(
        kind: TaskQueueEventKind,
        task: &str,
        queue: &str,
        channel: &str,
        at_ms: Millis,
    ) -> ScriptEvent {
        ScriptEvent::new(
            at_ms,
            What::Task {
                event_type: kind.event_type(),
                status: AssignmentStatus::Pending,
                task: task.into(),
                queue: queue.into(),
                channel: channel.into(),
                attributes: None,
            },
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ScriptError {
    #[error("unknown activity {0:?}: use one of the workspace's activities or add it first")]
    UnknownActivity(String),
    #[error("worker event {0} needs an activity")]
    MissingActivity(&'static str),
    #[error("raw event has neither a numeric event_date_ms nor an RFC 3339 event_date")]
    RawEventWithoutDate,
}

/// Applies a scripted event to the tables and the log; returns the event sid.
pub(crate) fn apply(
    world: &mut World,
    log: &mut EventLog,
    event: ScriptEvent,
) -> Result<String, ScriptError> {
    let at = event.at_ms;
    let since = event.waiting_since_ms;
    let (event_type, body) = match event.what {
        What::Worker {
            kind,
            worker,
            activity,
        } => {
            let activity = match activity {
                Some(key) => Some(
                    world
                        .activity(&key)
                        .ok_or(ScriptError::UnknownActivity(key))?,
                ),
                None => None,
            };
            let is_new = world.worker(&worker).is_none();
            let w = worker_or_create(world, &worker, at);
            let snap = match (kind, activity) {
                (WorkerEventKind::Deleted, _) => {
                    world.set_worker_deleted(w);
                    world.worker_snap(w)
                }
                (_, Some(activity)) => {
                    let mut snap = world.set_worker_activity(w, activity, at);
                    if kind == WorkerEventKind::Created && is_new {
                        // A worker's first event has no previous activity.
                        world.forget_previous_activity(w);
                        snap.previous = super::world::NO_ACTIVITY;
                    }
                    snap
                }
                (_, None) => return Err(ScriptError::MissingActivity(kind.event_type())),
            };
            (kind.event_type(), EventBody::Worker(snap))
        }
        What::Reservation {
            kind,
            worker,
            task,
            reservation,
            queue,
            channel,
        } => {
            let w = worker_or_create(world, &worker, at);
            let t = task_or_create(world, &task, &channel, None, at, since);
            let q = world.queue_or_create(&queue);
            let r = world.reservation(Some(&reservation));
            let body = EventBody::Reservation {
                worker: world.worker_snap(w),
                task: task_snap(world, t, q, at, false),
                reservation: r,
            };
            (kind.event_type(), body)
        }
        What::Task {
            event_type,
            status,
            task,
            queue,
            channel,
            attributes,
        } => {
            let t = task_or_create(world, &task, &channel, attributes.as_ref(), at, since);
            let q = world.queue_or_create(&queue);
            let enters = matches!(event_type, "task-queue.entered" | "task-queue.moved");
            let mut snap = task_snap(world, t, q, at, enters);
            snap.status = Some(status);
            (event_type, EventBody::Task(snap))
        }
    };
    let sid = match event.sid {
        Some(given) => super::world::EventSid::Given(Arc::from(given)),
        None => world.next_event_sid(),
    };
    let rendered = world.render_event_sid(&sid).to_string();
    log.insert(StoredEvent {
        seq: 0,
        event_ms: at,
        visible_ms: at.saturating_add(event.late_by_ms),
        sid,
        event_type,
        body,
        junk: event.junk,
    });
    Ok(rendered)
}

/// Stores an arbitrary event object verbatim. Its time comes from `event_date_ms` (a number or a
/// string of digits) or `event_date`; `at_ms` overrides both.
pub(crate) fn apply_raw(
    log: &mut EventLog,
    value: serde_json::Value,
    at_ms: Option<Millis>,
    late_by_ms: Millis,
) -> Result<(), ScriptError> {
    let from_value = || {
        let ms = &value["event_date_ms"];
        ms.as_i64()
            .or_else(|| ms.as_str().and_then(|s| s.parse().ok()))
            .or_else(|| {
                value["event_date"]
                    .as_str()
                    .and_then(crate::clock::parse_rfc3339_ms)
            })
    };
    let at = at_ms
        .or_else(from_value)
        .ok_or(ScriptError::RawEventWithoutDate)?;
    log.insert(StoredEvent {
        seq: 0,
        event_ms: at,
        visible_ms: at.saturating_add(late_by_ms.max(0)),
        sid: super::world::EventSid::Generated(0),
        event_type: "",
        body: EventBody::Raw(Arc::new(value)),
        junk: None,
    });
    Ok(())
}
