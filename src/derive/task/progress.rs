//! One task folded so far: what the store keeps in memory for a task that is not over, so that a
//! page folds only the task's new events instead of all its events again.
//!
//! New events that all come after every event folded (by `(event_ms, sid)`) are folded on: in
//! the one total order (`order.rs`) they come last, so folding them on is folding everything at
//! once ([`super::derive_task`]). Anything else — a late event, or one sharing the time and sid
//! of the last (junk) — is refused, and the caller derives the task again from all its events.
//! A property test checks folding on equals deriving at once.

use super::order::{ordered_events, sorted_events, task_sid_of};
use super::{TaskDerivation, TaskFold};
use crate::config::{AgentIdMode, MediaConfig};
use crate::model::{AcdEvent, Millis};

/// A task's events folded so far, in the one total order.
#[derive(Debug, Clone)]
pub struct TaskProgress {
    task_sid: String,
    /// The time of its first event.
    first_ms: Millis,
    /// `(event_ms, sid)` of the last event folded.
    last: (Millis, String),
    fold: TaskFold,
}

impl TaskProgress {
    /// Folds all of a task's events (any order). `None` when no event names a task.
    pub fn start(events: &[&AcdEvent], mode: &AgentIdMode) -> Option<TaskProgress> {
        let (task_sid, events) = ordered_events(events)?;
        let (first, last) = (events.first()?, events.last()?);
        let mut progress = TaskProgress {
            task_sid,
            first_ms: first.event_ms,
            last: (last.event_ms, last.sid.clone()),
            fold: TaskFold::default(),
        };
        for e in &events {
            progress.fold.apply(e, mode);
        }
        Some(progress)
    }

    /// Folds `events` on if every one comes after the last folded; else changes nothing and
    /// returns false (derive again with [`TaskProgress::start`] over all the task's events).
    pub fn extend(&mut self, events: &[&AcdEvent], mode: &AgentIdMode) -> bool {
        let last = (self.last.0, self.last.1.as_str());
        if events.iter().any(|e| (e.event_ms, e.sid.as_str()) <= last) {
            return false;
        }
        let mut sorted = sorted_events(events);
        sorted.retain(|e| task_sid_of(e).is_none_or(|s| s == self.task_sid));
        for e in &sorted {
            self.fold.apply(e, mode);
        }
        if let Some(e) = sorted.last() {
            self.last = (e.event_ms, e.sid.clone());
        }
        true
    }

    /// The task's record and reservations as its events so far give them.
    pub fn derivation(&self, media: &MediaConfig, mode: &AgentIdMode) -> TaskDerivation {
        self.fold
            .finish(self.task_sid.clone(), self.first_ms, media, mode)
    }

    /// The time of the task's first event.
    pub fn first_ms(&self) -> Millis {
        self.first_ms
    }
}

#[cfg(test)]
#[path = "progress_tests.rs"]
mod tests;
