//! The centre's agents: what each holds, and which of them can be offered a task now.
//!
//! Routing needs "an Available agent with room" among up to 20,000 agents in O(log n): two ordered
//! sets hold the candidates, kept up to date by [`Staff::refresh`] after every change.

use crate::sim::acd::world::World;
use std::collections::BTreeSet;

/// At most this many chats at once (TaskRouter multitasking on the chat channel).
pub(crate) const MAX_CHATS: usize = 3;

#[derive(Debug, Default)]
pub(crate) struct Agent {
    /// Reservations offered, accepted or wrapping (centre reservation indices).
    pub in_hand: Vec<u32>,
    /// How many of `in_hand` are chats.
    pub chats: usize,
    /// An activity change asked for while busy; applied when the last task completes.
    pub pending_activity: Option<u16>,
    /// Only the activity change scheduled with the current token is live.
    pub change_token: u32,
}

pub(crate) struct Staff {
    pub agents: Vec<Agent>,
    /// Available, nothing in hand, no pending change: can take any task.
    idle: BTreeSet<u32>,
    /// Available, only chats in hand and room for one more, no pending change.
    chat_open: BTreeSet<u32>,
    available_activity: u16,
}

impl Staff {
    pub fn new(count: usize, available_activity: u16) -> Staff {
        Staff {
            agents: (0..count).map(|_| Agent::default()).collect(),
            idle: BTreeSet::new(),
            chat_open: BTreeSet::new(),
            available_activity,
        }
    }

    pub fn get(&self, agent: u32) -> Option<&Agent> {
        self.agents.get(agent as usize)
    }

    pub fn get_mut(&mut self, agent: u32) -> Option<&mut Agent> {
        self.agents.get_mut(agent as usize)
    }

    /// Puts the agent in the right candidate set after any change of activity or work.
    pub fn refresh(&mut self, world: &World, agent: u32) {
        self.idle.remove(&agent);
        self.chat_open.remove(&agent);
        let Some(a) = self.agents.get(agent as usize) else {
            return;
        };
        let available = world
            .workers
            .get(agent as usize)
            .is_some_and(|w| w.activity == self.available_activity && !w.deleted);
        if !available || a.pending_activity.is_some() {
            return;
        }
        if a.in_hand.is_empty() {
            self.idle.insert(agent);
        } else if a.chats == a.in_hand.len() && a.chats < MAX_CHATS {
            self.chat_open.insert(agent);
        }
    }

    /// Whether the agent can take a task of this kind now.
    pub fn can_take(&self, agent: u32, is_chat: bool) -> bool {
        self.idle.contains(&agent) || (is_chat && self.chat_open.contains(&agent))
    }

    /// A candidate for a task, chosen at random (from `start`, a random agent number), other than
    /// `exclude`. Chats go to agents already chatting first, so chat agents multitask.
    pub fn pick(&self, is_chat: bool, start: u32, exclude: Option<u32>) -> Option<u32> {
        let from = |set: &BTreeSet<u32>| {
            let mut candidates = set.range(start..).chain(set.range(..start));
            candidates.find(|a| Some(**a) != exclude).copied()
        };
        let chatting = if is_chat { from(&self.chat_open) } else { None };
        chatting.or_else(|| from(&self.idle))
    }
}
