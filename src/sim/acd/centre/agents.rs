//! Agents between contacts: activity changes (breaks, lunch, training, log-in and log-out),
//! changes asked for while busy, and taking waiting work.

use super::staff::MAX_CHATS;
use super::{Action, Centre, Channel, HOUR, MINUTE, Out, TaskState};
use crate::model::Millis;
use crate::sim::acd::world::EventBody;

impl Centre {
    /// Nothing in hand and no activity change waiting.
    pub(super) fn free_without_plans(&self, agent: u32) -> bool {
        self.staff
            .get(agent)
            .is_some_and(|a| a.in_hand.is_empty() && a.pending_activity.is_none())
    }

    /// After an agent let go of a task: a change asked for while busy happens now (whichever way
    /// the last task ended); otherwise the agent takes waiting work.
    pub(super) fn settle(&mut self, at: Millis, agent: u32, out: &mut Out) {
        let free = self.staff.get(agent).is_some_and(|a| a.in_hand.is_empty());
        let pending = if free {
            self.staff
                .get_mut(agent)
                .and_then(|a| a.pending_activity.take())
        } else {
            None
        };
        match pending {
            Some(next) => self.set_activity(at, agent, next, out),
            None => self.serve_waiting(at, agent, out),
        }
    }

    pub(super) fn away_activity(&mut self) -> u16 {
        let total: u32 = self.activities.away.iter().map(|(_, w)| w).sum();
        let mut roll = self.rng.u32(0..total.max(1));
        for (activity, weight) in self.activities.away {
            if roll < weight {
                return activity;
            }
            roll -= weight;
        }
        self.activities.offline
    }

    pub(super) fn activity_change(&mut self, at: Millis, agent: u32, token: u32, out: &mut Out) {
        let Some(a) = self.staff.get(agent) else {
            return;
        };
        if a.change_token != token {
            return; // superseded by a later change
        }
        let busy = !a.in_hand.is_empty();
        let current = out.world.workers.get(agent as usize).map(|w| w.activity);
        let next = if current == Some(self.activities.available) {
            self.away_activity()
        } else {
            self.activities.available
        };
        if busy {
            // Agents finish their contacts first; the change happens at the last completion.
            if let Some(a) = self.staff.get_mut(agent) {
                a.pending_activity = Some(next);
            }
            self.staff.refresh(out.world, agent);
            return;
        }
        self.set_activity(at, agent, next, out);
    }

    /// Moves an agent to an activity, writes the event, and plans the next change.
    pub(super) fn set_activity(&mut self, at: Millis, agent: u32, activity: u16, out: &mut Out) {
        let snap = out.world.set_worker_activity(agent, activity, at);
        // Some workspaces still emit the legacy alias.
        let kind = if self.rng.u32(0..10) == 0 {
            "worker.activity"
        } else {
            "worker.activity.update"
        };
        out.emit(at, kind, EventBody::Worker(snap));
        let stay = match out.world.activity_name(activity) {
            Some("Available") => self.working_stretch(),
            Some("Break") => self.rng.i64(5 * MINUTE..15 * MINUTE),
            Some("Lunch") => self.rng.i64(30 * MINUTE..60 * MINUTE),
            Some("Training") => self.rng.i64(20 * MINUTE..60 * MINUTE),
            _ => self.rng.i64(10 * MINUTE..2 * HOUR),
        };
        let token = match self.staff.get_mut(agent) {
            Some(a) => {
                a.change_token = a.change_token.wrapping_add(1);
                a.pending_activity = None;
                a.change_token
            }
            None => return,
        };
        self.schedule(at + stay, Action::ActivityChange { agent, token });
        self.staff.refresh(out.world, agent);
        self.serve_waiting(at, agent, out);
    }

    /// Gives waiting tasks (oldest first) to an agent who has room.
    pub(super) fn serve_waiting(&mut self, at: Millis, agent: u32, out: &mut Out) {
        // Bounded scan: a long queue of tasks this agent cannot take must not cost O(n) each time.
        const SCAN: usize = 64;
        while !self.waiting.is_empty() && self.staff.can_take(agent, true) {
            let mut found = None;
            let mut index = 0;
            while index < self.waiting.len().min(SCAN) {
                let task = self.waiting[index];
                let Some(t) = self.tasks.get(task as usize) else {
                    self.waiting.remove(index);
                    continue;
                };
                if t.state != TaskState::Waiting {
                    self.waiting.remove(index); // abandoned or offered meanwhile
                    continue;
                }
                let fits = self.staff.can_take(agent, t.channel == Channel::Chat);
                if fits && t.last_rejected_by != Some(agent) {
                    found = Some(index);
                    break;
                }
                index += 1;
            }
            let Some(index) = found else {
                return;
            };
            if let Some(task) = self.waiting.remove(index) {
                self.reserve(at, task, agent, out);
            }
            let room = self
                .staff
                .get(agent)
                .is_some_and(|a| a.in_hand.len() < MAX_CHATS);
            if !room {
                return;
            }
        }
    }
}
