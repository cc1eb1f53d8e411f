//! The task lifecycle: arrival, offers, the agent's answer, wrap-up, completion, abandonment,
//! and moves between queues.

use super::{
    Action, Centre, Channel, MINUTE, Out, Outcome, ReservationState, ReservationWork, SECOND,
    TaskState, TaskWork,
};
use crate::model::Millis;
use crate::sim::acd::world::AssignmentStatus;

impl Centre {
    pub(super) fn arrival(&mut self, at: Millis, out: &mut Out) {
        self.arrival_scheduled = false;
        self.schedule_arrival(at);
        let queue = self.pick_queue();
        let channel = match self.rng.u32(0..100) {
            0..55 => Channel::Voice,
            55..80 => Channel::Chat,
            80..88 => Channel::Sms,
            88..92 => Channel::Video,
            _ => Channel::Email,
        };
        let outbound = channel == Channel::Voice && self.rng.u32(0..10) == 0;
        let channel_type = match channel {
            Channel::Chat if self.rng.u32(0..5) == 0 => "whatsapp",
            other => other.name(),
        };
        let direction = if outbound { "outbound" } else { "inbound" };
        let attributes = format!(r#"{{"direction":"{direction}","channelType":"{channel_type}"}}"#);
        let world_task = out.world.add_task(None, channel.name(), &attributes, at);
        let task = self.tasks.len() as u32;
        self.tasks.push(TaskWork {
            world_task,
            queue,
            channel,
            created_ms: at,
            queue_entered_ms: at,
            state: TaskState::Waiting,
            last_rejected_by: None,
        });
        self.emit_task(at, task, "task.created", AssignmentStatus::Pending, out);
        self.emit_task(
            at,
            task,
            "task-queue.entered",
            AssignmentStatus::Pending,
            out,
        );
        let patience = if outbound {
            45 * SECOND
        } else {
            self.exp_ms(150.0 * SECOND as f64, 2 * SECOND, 30 * MINUTE)
        };
        self.schedule(at + patience, Action::Abandon { task });
        if !outbound && self.rng.u32(0..10) == 0 {
            self.schedule(at + MINUTE, Action::Escalate { task });
        }
        self.offer(at, task, None, out);
    }

    pub(super) fn pick_queue(&mut self) -> u16 {
        // Queue i gets weight 1/(i+1): the first queue is the busiest.
        let weights: Vec<f64> = (0..self.queues.len())
            .map(|i| 1.0 / (i as f64 + 1.0))
            .collect();
        let mut roll = self.rng.f64() * weights.iter().sum::<f64>();
        for (queue, weight) in self.queues.iter().zip(&weights) {
            if roll < *weight {
                return *queue;
            }
            roll -= weight;
        }
        self.queues.last().copied().unwrap_or(0)
    }

    /// Offers the task to an agent with room, or leaves it waiting.
    pub(super) fn offer(&mut self, at: Millis, task: u32, exclude: Option<u32>, out: &mut Out) {
        let Some(is_chat) = self
            .tasks
            .get(task as usize)
            .map(|t| t.channel == Channel::Chat)
        else {
            return;
        };
        let start = self.rng.u32(0..self.staff.agents.len().max(1) as u32);
        match self.staff.pick(is_chat, start, exclude) {
            Some(agent) => self.reserve(at, task, agent, out),
            None => self.waiting.push_back(task),
        }
    }

    pub(super) fn reserve(&mut self, at: Millis, task: u32, agent: u32, out: &mut Out) {
        let reservation = self.reservations.len() as u32;
        let world_reservation = out.world.reservation(None);
        self.reservations.push(ReservationWork {
            world_reservation,
            agent,
            task,
            state: ReservationState::Pending,
        });
        let is_chat = self
            .tasks
            .get(task as usize)
            .is_some_and(|t| t.channel == Channel::Chat);
        if let Some(t) = self.tasks.get_mut(task as usize) {
            t.state = TaskState::Offered(reservation);
        }
        if let Some(a) = self.staff.get_mut(agent) {
            a.in_hand.push(reservation);
            a.chats += usize::from(is_chat);
        }
        self.staff.refresh(out.world, agent);
        self.emit_reservation(at, reservation, "reservation.created", out);
        let (outcome, ring) = match self.rng.u32(0..100) {
            0..86 => (Outcome::Accept, self.rng.i64(SECOND..8 * SECOND)),
            86..93 => (Outcome::Reject, self.rng.i64(2 * SECOND..6 * SECOND)),
            93..99 => (Outcome::Timeout, 15 * SECOND),
            // The worker's client could not take the offer.
            _ => (Outcome::Fail, 2 * SECOND),
        };
        self.schedule(
            at + ring,
            Action::Decide {
                reservation,
                outcome,
            },
        );
    }

    /// Takes a reservation out of its agent's hands.
    pub(super) fn release(&mut self, reservation: u32, out: &mut Out) -> Option<u32> {
        let r = self.reservations.get_mut(reservation as usize)?;
        r.state = ReservationState::Done;
        let (agent, task) = (r.agent, r.task);
        let is_chat = self
            .tasks
            .get(task as usize)
            .is_some_and(|t| t.channel == Channel::Chat);
        if let Some(a) = self.staff.get_mut(agent) {
            a.in_hand.retain(|held| *held != reservation);
            a.chats -= usize::from(is_chat && a.chats > 0);
        }
        self.staff.refresh(out.world, agent);
        Some(agent)
    }

    pub(super) fn decide(&mut self, at: Millis, reservation: u32, outcome: Outcome, out: &mut Out) {
        let Some(r) = self.reservations.get(reservation as usize) else {
            return;
        };
        if r.state != ReservationState::Pending {
            return; // canceled while ringing
        }
        let (agent, task) = (r.agent, r.task);
        if outcome == Outcome::Accept {
            if let Some(r) = self.reservations.get_mut(reservation as usize) {
                r.state = ReservationState::Accepted;
            }
            let mean = self
                .tasks
                .get(task as usize)
                .map_or(4 * MINUTE, |t| t.channel.mean_talk_ms());
            if let Some(t) = self.tasks.get_mut(task as usize) {
                t.state = TaskState::Assigned(reservation);
            }
            self.emit_reservation(at, reservation, "reservation.accepted", out);
            let talk = self.exp_ms(mean as f64, 15 * SECOND, 50 * MINUTE);
            self.schedule(at + talk, Action::Wrapup { reservation });
            return;
        }
        let kind = match outcome {
            Outcome::Timeout => "reservation.timeout",
            Outcome::Fail => "reservation.failed",
            _ => "reservation.rejected",
        };
        self.emit_reservation(at, reservation, kind, out);
        self.release(reservation, out);
        if let Some(t) = self.tasks.get_mut(task as usize) {
            t.state = TaskState::Waiting;
            t.last_rejected_by = Some(agent);
        }
        if outcome == Outcome::Timeout && self.free_without_plans(agent) && self.rng.bool() {
            // TaskRouter moves a worker who let an offer time out to the timeout activity.
            self.set_activity(at, agent, self.activities.offline, out);
        }
        self.offer(at, task, Some(agent), out);
        self.settle(at, agent, out);
    }

    pub(super) fn wrapup(&mut self, at: Millis, reservation: u32, out: &mut Out) {
        let Some(r) = self.reservations.get_mut(reservation as usize) else {
            return;
        };
        r.state = ReservationState::Wrapping;
        let task = r.task;
        let chat = self
            .tasks
            .get(task as usize)
            .is_some_and(|t| t.channel == Channel::Chat);
        self.emit_reservation(at, reservation, "reservation.wrapup", out);
        self.emit_task(at, task, "task.wrapup", AssignmentStatus::Wrapping, out);
        let mean = if chat { 15 * SECOND } else { 30 * SECOND };
        let acw = self.exp_ms(mean as f64, 2 * SECOND, 5 * MINUTE);
        self.schedule(at + acw, Action::Complete { reservation });
    }

    pub(super) fn complete(&mut self, at: Millis, reservation: u32, out: &mut Out) {
        let Some(task) = self.reservations.get(reservation as usize).map(|r| r.task) else {
            return;
        };
        self.emit_reservation(at, reservation, "reservation.completed", out);
        self.emit_task(at, task, "task.completed", AssignmentStatus::Completed, out);
        if let Some(t) = self.tasks.get_mut(task as usize) {
            t.state = TaskState::Done;
        }
        let Some(agent) = self.release(reservation, out) else {
            return;
        };
        if self.free_without_plans(agent) && self.rng.u32(0..100) < 8 {
            let next = self.away_activity();
            self.set_activity(at, agent, next, out);
        }
        self.settle(at, agent, out);
    }

    pub(super) fn abandon(&mut self, at: Millis, task: u32, out: &mut Out) {
        let Some(state) = self.tasks.get(task as usize).map(|t| t.state) else {
            return;
        };
        let freed = match state {
            TaskState::Waiting => None,
            TaskState::Offered(reservation) => {
                self.emit_reservation(at, reservation, "reservation.canceled", out);
                self.release(reservation, out)
            }
            TaskState::Assigned(_) | TaskState::Done => return,
        };
        self.emit_task(at, task, "task.canceled", AssignmentStatus::Canceled, out);
        if let Some(t) = self.tasks.get_mut(task as usize) {
            t.state = TaskState::Done;
        }
        if let Some(agent) = freed {
            self.settle(at, agent, out);
        }
    }

    pub(super) fn escalate(&mut self, at: Millis, task: u32, out: &mut Out) {
        let Some(t) = self.tasks.get(task as usize) else {
            return;
        };
        if t.state != TaskState::Waiting || self.queues.len() < 2 {
            return;
        }
        let position = self.queues.iter().position(|q| *q == t.queue).unwrap_or(0);
        let next = self.queues[(position + 1) % self.queues.len()];
        self.emit_task(
            at,
            task,
            "task-queue.timeout",
            AssignmentStatus::Pending,
            out,
        );
        if let Some(t) = self.tasks.get_mut(task as usize) {
            t.queue = next;
            t.queue_entered_ms = at;
        }
        self.emit_task(at, task, "task-queue.moved", AssignmentStatus::Pending, out);
    }
}
