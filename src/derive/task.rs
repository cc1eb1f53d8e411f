//! Task and reservation derivation: all stored events of ONE task (`task.*`, `task-queue.*`,
//! `reservation.*`, `workflow.*`: every event whose `task_sid` names it) → one [`TaskRecord`] and its [`ReservationRecord`]s. Pure, no I/O; the store
//! calls it again whenever an event of the task arrives (also late), and persists the result as
//! JSON. The queue report ([`crate::report`]) reads only these records.
//!
//! Rules (SPEC §4 "Tasks"), the ones analysts ask about:
//!
//! - **Order.** Events are sorted by `(event_ms, sid)` (then by content, so even junk duplicates
//!   sort the same way) and exact duplicates dropped: the result never depends on arrival order.
//!   Events naming another `task_sid` are ignored; unknown event types are ignored; an event whose
//!   keys cannot be read contributes nothing (never a panic).
//! - **Queue entries** are `task-queue.entered` and `task-queue.moved` (the queue named in
//!   `task_queue_sid` is the one the task is now in). `task-queue.timeout` only says it left.
//! - **Acceptance.** A reservation is accepted by `reservation.accepted`; a `reservation.wrapup`
//!   or `.completed` without a prior acceptance counts as accepted at that moment (zero talk
//!   rather than invented talk). The task's acceptance is its FIRST accepted reservation.
//! - **Queue of the task** = the `task_queue_sid` of the first accepted reservation; without one,
//!   the queue the task was in when accepted; if never accepted, the last queue it entered; then
//!   the last `task_queue_sid` seen on any event. A transferred task therefore stays under the
//!   queue that first answered it — it is one contact, counted once.
//! - **Reported dates.** Task and reservation events carry `task_queue_entered_date` (when the
//!   task entered the queue the event names), `task_date_created` and `task_age` (seconds since
//!   creation); `task/dates.rs` says which formats are read. They stand in for the entry events
//!   of a task that was already waiting before observed history began (first start, resume
//!   after a gap).
//! - **Waiting time** runs from the last entry into *that* queue at or before the acceptance (or
//!   the end, when abandoned): `queue_entered_ms`. Time spent in earlier queues of the workflow is
//!   not that queue's wait. Without a recorded entry into it, from the entry into that queue that
//!   the last event naming it (at or before the acceptance / end) reports; without either, from
//!   `entered_ms`. The wait of a task that began waiting before observed history is therefore
//!   its whole wait, not the part we saw (it is the contact's wait, counted in the interval the
//!   task ended).
//! - **entered_ms** = the earliest queue entry, recorded or reported; else `created_ms`; else the
//!   task's first event. **created_ms** = `task.created`; else the first reported
//!   `task_date_created`; else the first event's time − `task_age`.
//! - **End** = the first of `task.completed | canceled | deleted | system-deleted`. If none came
//!   but the task was accepted, every accepted reservation is completed, none is still pending
//!   (a `reservation.failed` one is over, like a rejected one) and the task did not re-enter a
//!   queue afterwards, the task ended at the last reservation
//!   completion (Twilio completes a task with its last reservation; a lost `task.completed` must
//!   not keep the contact out of every report). `end_event` says which rule applied.
//! - **Outcome** = `Handled` if any reservation was accepted, else `Abandoned`; `None` while the
//!   task has not ended.
//! - **Transfers.** The agent holding the task is the worker of the latest accepted reservation.
//!   A transfer leg is recorded (a) when, strictly after the holder's acceptance, the task enters
//!   a queue (any queue, the same one included: the agent gave the contact away) — the holder is
//!   then cleared, so the next acceptance records nothing more; or (b) when a different worker
//!   accepts while a holder exists (direct or warm transfer). Each hand-off counts once.
//! - **Media.** `media.media_for(task_channel_unique_name, task_attributes[media.attribute])`;
//!   `None` = excluded channel. `outbound` = `task_attributes.direction == "outbound"` (any case).
//!   `counted = !outbound && media_type.is_some()`. Channel and attributes: the last readable.
//! - **Reservations without `worker_sid`** cannot be attributed to an agent and are skipped.
//!
//! TaskRouter's other task-lifecycle events (Event reference), and why they change nothing here
//! beyond the keys every event is read for (channel, attributes, queue name, reported dates):
//!
//! - `task.updated`: new attributes or priority — read like any event's (the last readable
//!   `task_attributes` wins).
//! - `workflow.entered`, `workflow.target-matched`, `workflow.skipped`: routing steps; the queue
//!   a task waits in shows as `task-queue.entered` / `moved`.
//! - `workflow.timeout`: the task ran out of the workflow's targets; it is NOT an end (it then
//!   waits in the default queue, or ends with `task.canceled` when its TTL expires), so an
//!   acceptance after it is still an answer.
//! - `task.transfer-initiated|attempt-failed|failed|canceled|completed`: Flex's bookkeeping of a
//!   transfer. The hand-off itself shows in the work (another worker accepts, or the task
//!   re-enters a queue) and is counted once, when it happens (**Transfers**); counting initiated
//!   transfers would count the ones that failed or were canceled.

mod dates;
mod order;
mod progress;
mod record;
mod reservation;

use crate::config::{AgentIdMode, MediaConfig};
use crate::model::{AcdEvent, Millis, ReservationOutcome, ReservationRecord, TaskOutcome};
use dates::ReportedDates;
pub use progress::TaskProgress;
pub use record::{HandlingLeg, TaskDerivation, TaskRecord, TaskTransfer};
use reservation::{ReservationFold, reservation_sid_of};
use std::collections::BTreeMap;

/// The agent holding the task right now.
#[derive(Debug, Clone)]
struct Holder {
    worker_sid: String,
    agent_id: String,
    queue_sid: Option<String>,
    accepted_ms: Millis,
}

/// Everything read from one task's events, in order, before the record is put together.
#[derive(Debug, Clone, Default)]
struct TaskFold {
    channel: Option<String>,
    attributes: Option<serde_json::Map<String, serde_json::Value>>,
    /// Queue sid → the last name seen for it.
    queue_names: BTreeMap<String, String>,
    last_queue_seen: Option<String>,
    /// `(time, queue)` of every queue entry, in order.
    entries: Vec<(Millis, String)>,
    created_ms: Option<Millis>,
    /// `task_date_created`, `task_queue_entered_date`, `task_age` as the events report them.
    reported: ReportedDates,
    wrapup_ms: Option<Millis>,
    end: Option<(Millis, String)>,
    reservations: BTreeMap<String, ReservationFold>,
    /// Reservation sids in the order they were accepted.
    accepted: Vec<String>,
    holder: Option<Holder>,
    transfers: Vec<TaskTransfer>,
}

fn non_empty(e: &AcdEvent, key: &str) -> Option<String> {
    e.data.str(key).filter(|s| !s.is_empty())
}

/// Derives one task and its reservations from all its stored events, in any order. `None` when
/// no event names a task.
pub fn derive_task(
    events: &[AcdEvent],
    media: &MediaConfig,
    agent_id_mode: &AgentIdMode,
) -> Option<TaskDerivation> {
    let refs: Vec<&AcdEvent> = events.iter().collect();
    derive_task_refs(&refs, media, agent_id_mode)
}

/// [`derive_task`] over borrowed events (the store's cache holds them shared).
pub fn derive_task_refs(
    events: &[&AcdEvent],
    media: &MediaConfig,
    agent_id_mode: &AgentIdMode,
) -> Option<TaskDerivation> {
    TaskProgress::start(events, agent_id_mode).map(|p| p.derivation(media, agent_id_mode))
}

impl TaskFold {
    fn apply(&mut self, e: &AcdEvent, mode: &AgentIdMode) {
        let ms = e.event_ms;
        e.data
            .read_into("task_channel_unique_name", true, &mut self.channel);
        if let Some(a) = e.data.json_object("task_attributes") {
            self.attributes = Some(a);
        }
        let queue = non_empty(e, "task_queue_sid");
        self.reported.read(e, queue.as_deref());
        if let Some(q) = &queue {
            if let Some(n) = e.data.text("task_queue_name").filter(|n| !n.is_empty())
                && self.queue_names.get(q).map(String::as_str) != Some(n.as_ref())
            {
                self.queue_names.insert(q.clone(), n.into_owned());
            }
            if self.last_queue_seen.as_ref() != Some(q) {
                self.last_queue_seen = Some(q.clone());
            }
        }
        match e.kind() {
            "task.created" => {
                self.created_ms.get_or_insert(ms);
            }
            "task.wrapup" => {
                self.wrapup_ms.get_or_insert(ms);
            }
            kind
            @ ("task.completed" | "task.canceled" | "task.deleted" | "task.system-deleted")
                if self.end.is_none() =>
            {
                self.end = Some((ms, kind.to_string()));
            }
            "task-queue.entered" | "task-queue.moved" => {
                if let Some(q) = queue {
                    self.enter_queue(ms, q);
                }
            }
            kind if kind.starts_with("reservation.") => self.reservation_event(e, queue, mode),
            _ => {}
        }
    }

    fn enter_queue(&mut self, ms: Millis, queue: String) {
        // Strictly later than the acceptance: an entry in the same millisecond is the routing
        // that led to the acceptance, whatever order the sids put them in.
        if let Some(h) = self.holder.take_if(|h| ms > h.accepted_ms) {
            self.transfers.push(TaskTransfer {
                at_ms: ms,
                from_worker_sid: h.worker_sid,
                from_agent_id: h.agent_id,
                from_queue_sid: h.queue_sid,
                to_queue_sid: Some(queue.clone()),
                to_worker_sid: None,
            });
        }
        self.entries.push((ms, queue));
    }

    fn reservation_event(&mut self, e: &AcdEvent, queue: Option<String>, mode: &AgentIdMode) {
        let Some(rsid) = reservation_sid_of(e) else {
            return;
        };
        let ms = e.event_ms;
        let fold = self
            .reservations
            .entry(rsid.clone())
            .or_insert_with(|| ReservationFold::new(ms));
        if !fold.apply(e, queue) {
            return;
        }
        // Without a worker the acceptance cannot be attributed: the reservation is skipped.
        let Some(worker_sid) = fold.worker_sid.clone() else {
            return;
        };
        fold.outcome = Some((ReservationOutcome::Accepted, ms));
        let agent = fold.agent_id(mode, &worker_sid);
        let leg_queue = fold
            .queue_sid
            .clone()
            .or_else(|| current_queue(&self.entries, ms));
        self.accepted.push(rsid);
        if let Some(h) = self.holder.take_if(|h| h.worker_sid != worker_sid) {
            self.transfers.push(TaskTransfer {
                at_ms: ms,
                from_worker_sid: h.worker_sid,
                from_agent_id: h.agent_id,
                from_queue_sid: h.queue_sid,
                to_queue_sid: None,
                to_worker_sid: Some(worker_sid.clone()),
            });
        }
        self.holder = Some(Holder {
            worker_sid,
            agent_id: agent,
            queue_sid: leg_queue,
            accepted_ms: ms,
        });
    }

    fn finish(
        &self,
        task_sid: String,
        first_ms: Millis,
        media: &MediaConfig,
        mode: &AgentIdMode,
    ) -> TaskDerivation {
        let mut reservations: Vec<ReservationRecord> = self
            .reservations
            .iter()
            .filter_map(|(sid, f)| f.record(sid, &task_sid, mode))
            .collect();
        reservations.sort_by(|a, b| {
            (a.created_ms, &a.reservation_sid).cmp(&(b.created_ms, &b.reservation_sid))
        });

        let entries = &self.entries;
        let handling: Vec<HandlingLeg> = self
            .accepted
            .iter()
            .filter_map(|sid| {
                let r = reservations.iter().find(|r| &r.reservation_sid == sid)?;
                let accepted_ms = r.outcome_ms?;
                Some(HandlingLeg {
                    reservation_sid: sid.clone(),
                    worker_sid: r.worker_sid.clone(),
                    agent_id: r.agent_id.clone(),
                    queue_sid: r
                        .queue_sid
                        .clone()
                        .or_else(|| current_queue(entries, accepted_ms)),
                    accepted_ms,
                    wrapup_ms: r.wrapup_ms,
                    completed_ms: r.completed_ms,
                })
            })
            .collect();
        let end = self
            .end
            .clone()
            .or_else(|| inferred_end(&handling, &reservations, entries));
        let first_leg = handling.first();

        let queue_sid = first_leg
            .and_then(|l| l.queue_sid.clone())
            .or_else(|| entries.last().map(|(_, q)| q.clone()))
            .or_else(|| self.last_queue_seen.clone());
        let created_ms = self.created_ms.or(self.reported.created_ms());
        let seen_first = entries.first().map(|(t, _)| *t);
        let entered_ms = [seen_first, self.reported.first_entry_ms()]
            .into_iter()
            .flatten()
            .min()
            .or(created_ms)
            .unwrap_or(first_ms);
        let wait_until = first_leg
            .map(|l| l.accepted_ms)
            .or(end.as_ref().map(|(t, _)| *t));
        let seen_entry = entries
            .iter()
            .filter(|(t, q)| Some(q) == queue_sid.as_ref() && wait_until.is_none_or(|u| *t <= u))
            .map(|(t, _)| *t)
            .next_back();
        let reported_entry = || {
            let q = queue_sid.as_deref()?;
            self.reported.entry_into(q, wait_until)
        };
        let queue_entered_ms = seen_entry.or_else(reported_entry).unwrap_or(entered_ms);

        let attribute = |key: &str| {
            self.attributes
                .as_ref()
                .and_then(|a| a.get(key))
                .and_then(|v| v.as_str())
        };
        let media_type = media.media_for(self.channel.as_deref(), attribute(&media.attribute));
        let outbound = attribute("direction").is_some_and(|d| d.eq_ignore_ascii_case("outbound"));
        let ended_ms = end.as_ref().map(|(t, _)| *t);
        let outcome = ended_ms.map(|_| match first_leg {
            Some(_) => TaskOutcome::Handled,
            None => TaskOutcome::Abandoned,
        });

        let task = TaskRecord {
            queue_name: queue_sid
                .as_ref()
                .and_then(|q| self.queue_names.get(q).cloned()),
            queue_sid,
            counted: !outbound && media_type.is_some(),
            channel: self.channel.clone(),
            media_type,
            outbound,
            created_ms,
            entered_ms,
            queue_entered_ms,
            accepted_ms: first_leg.map(|l| l.accepted_ms),
            accepted_worker_sid: first_leg.map(|l| l.worker_sid.clone()),
            accepted_agent_id: first_leg.map(|l| l.agent_id.clone()),
            wrapup_ms: self
                .wrapup_ms
                .or_else(|| handling.iter().filter_map(|l| l.wrapup_ms).max()),
            ended_ms,
            end_event: end.map(|(_, k)| k),
            outcome,
            transfers: self.transfers.clone(),
            handling,
            task_sid,
        };
        TaskDerivation { task, reservations }
    }
}

/// The end of a task whose `task.completed` never came: its last reservation completion, once
/// every accepted reservation is completed, none is pending, and no queue entry came after.
fn inferred_end(
    handling: &[HandlingLeg],
    reservations: &[ReservationRecord],
    entries: &[(Millis, String)],
) -> Option<(Millis, String)> {
    let mut done = None;
    for leg in handling {
        done = done.max(Some(leg.completed_ms?));
    }
    let done = done?;
    let none_pending = reservations
        .iter()
        .all(|r| r.outcome != ReservationOutcome::Pending);
    let requeued = entries.iter().any(|(t, _)| *t > done);
    (none_pending && !requeued).then(|| (done, "inferred:reservations-completed".to_string()))
}

/// The queue the task was in at `ms`: its last entry at or before then.
fn current_queue(entries: &[(Millis, String)], ms: Millis) -> Option<String> {
    entries
        .iter()
        .filter(|(t, _)| *t <= ms)
        .map(|(_, q)| q.clone())
        .next_back()
}
