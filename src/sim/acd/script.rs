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

use super::faults::JunkKind;
use super::kinds::{ReservationEventKind, TaskEventKind, TaskQueueEventKind, WorkerEventKind};
use super::log::EventLog;
use super::world::{AssignmentStatus, EventBody, StoredEvent, TaskSnap, World};
use crate::model::Millis;
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

    pub fn at_ms(&self) -> Millis {
        self.at_ms
    }

    fn new(at_ms: Millis, what: What) -> ScriptEvent {
        ScriptEvent {
            at_ms,
            sid: None,
            late_by_ms: 0,
            junk: None,
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

    /// A reservation event of `worker` for `task` from `queue` on `channel`.
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

fn attributes_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(verbatim) => verbatim.clone(),
        other => other.to_string(),
    }
}

/// A worker by sid or name, created (Offline) if unknown.
fn worker_or_create(world: &mut World, key: &str, at_ms: Millis) -> u32 {
    if let Some(found) = world.worker(key) {
        return found;
    }
    let offline = world.activity("Offline").unwrap_or(0);
    let looks_like_sid = key.len() == 34 && key.starts_with("WK");
    let attributes = serde_json::json!({ "logon": key }).to_string();
    let sid = looks_like_sid.then_some(key);
    world.add_worker(sid, key, &attributes, offline, at_ms)
}

fn task_or_create(
    world: &mut World,
    sid: &str,
    channel: &str,
    attributes: Option<&serde_json::Value>,
    at_ms: Millis,
) -> u32 {
    let text = attributes.map(attributes_text);
    match world.task(sid) {
        Some(found) => {
            if let Some(text) = text {
                let interned = world.intern(&text);
                if let Some(row) = world.tasks.get_mut(found as usize) {
                    row.attributes = interned;
                }
            }
            found
        }
        None => world.add_task(Some(sid), channel, text.as_deref().unwrap_or("{}"), at_ms),
    }
}

fn task_snap(world: &World, task: u32, queue: u16, at_ms: Millis) -> TaskSnap {
    let created = world
        .tasks
        .get(task as usize)
        .map_or(at_ms, |t| t.created_ms);
    TaskSnap {
        task,
        queue,
        age_s: u32::try_from((at_ms - created).max(0) / 1000).unwrap_or(u32::MAX),
        status: None,
    }
}

/// Applies a scripted event to the tables and the log; returns the event sid.
pub(crate) fn apply(
    world: &mut World,
    log: &mut EventLog,
    event: ScriptEvent,
) -> Result<String, ScriptError> {
    let at = event.at_ms;
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
            let t = task_or_create(world, &task, &channel, None, at);
            let q = world.queue_or_create(&queue);
            let r = world.reservation(Some(&reservation));
            let body = EventBody::Reservation {
                worker: world.worker_snap(w),
                task: task_snap(world, t, q, at),
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
            let t = task_or_create(world, &task, &channel, attributes.as_ref(), at);
            let q = world.queue_or_create(&queue);
            let mut snap = task_snap(world, t, q, at);
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
