//! The rows a scripted event touches: its worker, created (Offline) on first use, and its task,
//! created on first use and carrying the dates TaskRouter reports about it.

use crate::model::Millis;
use crate::sim::acd::world::{TaskSnap, World};

fn attributes_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(verbatim) => verbatim.clone(),
        other => other.to_string(),
    }
}

/// A worker by sid or name, created (Offline) if unknown.
pub(super) fn worker_or_create(world: &mut World, key: &str, at_ms: Millis) -> u32 {
    if let Some(found) = world.worker(key) {
        return found;
    }
    let offline = world.activity("Offline").unwrap_or(0);
    let looks_like_sid = key.len() == 34 && key.starts_with("WK");
    let attributes = serde_json::json!({ "logon": key }).to_string();
    let sid = looks_like_sid.then_some(key);
    world.add_worker(sid, key, &attributes, offline, at_ms)
}

/// A task by sid, created if unknown. A task exists from its earliest event on (or from
/// `waiting_since`, when given).
pub(super) fn task_or_create(
    world: &mut World,
    sid: &str,
    channel: &str,
    attributes: Option<&serde_json::Value>,
    at_ms: Millis,
    waiting_since: Option<Millis>,
) -> u32 {
    let text = attributes.map(attributes_text);
    let task = match world.task(sid) {
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
    };
    if let Some(row) = world.tasks.get_mut(task as usize) {
        row.created_ms = row.created_ms.min(at_ms);
        if let Some(since) = waiting_since {
            row.created_ms = row.created_ms.min(since);
            row.queue_entered_ms = Some(since);
        }
    }
    task
}

/// The task as an event at `at_ms` reports it; a queue event (`enters`) moves the task into
/// `queue` first, unless a later entry was pushed already.
pub(super) fn task_snap(
    world: &mut World,
    task: u32,
    queue: u16,
    at_ms: Millis,
    enters: bool,
) -> TaskSnap {
    let Some(row) = world.tasks.get_mut(task as usize) else {
        return TaskSnap {
            task,
            queue,
            age_s: 0,
            in_queue_ms: 0,
            status: None,
        };
    };
    if enters && row.queue_entered_ms.is_none_or(|t| t <= at_ms) {
        row.queue_entered_ms = Some(at_ms);
    }
    let entered = row.queue_entered_ms.unwrap_or(row.created_ms);
    TaskSnap {
        task,
        queue,
        age_s: u32::try_from((at_ms - row.created_ms).max(0) / 1000).unwrap_or(u32::MAX),
        in_queue_ms: u32::try_from((at_ms - entered).max(0)).unwrap_or(u32::MAX),
        status: None,
    }
}
