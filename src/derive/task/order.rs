//! The one total order in which a task's events are folded, whatever order they arrived in:
//! `(event_ms, sid, event_type, resource_sid, resource_type)`, then the content (only junk gets
//! that far); exact duplicates dropped; events naming another task left out.

use crate::model::AcdEvent;

/// The task an event is about: `task_sid`, else the resource sid of a task event.
pub(super) fn task_sid_of(e: &AcdEvent) -> Option<String> {
    e.data
        .str("task_sid")
        .filter(|s| !s.is_empty())
        .or_else(|| {
            (e.resource_type.eq_ignore_ascii_case("task") && !e.resource_sid.is_empty())
                .then(|| e.resource_sid.clone())
        })
}

/// Sorts into the one total order, drops exact duplicates and events of other tasks.
pub(super) fn ordered_events<'a>(events: &[&'a AcdEvent]) -> Option<(String, Vec<&'a AcdEvent>)> {
    let mut sorted = sorted_events(events);
    let task_sid = sorted.iter().find_map(|e| task_sid_of(e))?;
    sorted.retain(|e| task_sid_of(e).is_none_or(|s| s == task_sid));
    Some((task_sid, sorted))
}

/// Sorts into the one total order and drops exact duplicates.
pub(super) fn sorted_events<'a>(events: &[&'a AcdEvent]) -> Vec<&'a AcdEvent> {
    let mut sorted: Vec<&AcdEvent> = events.to_vec();
    sorted.sort_by(|a, b| {
        (
            a.event_ms,
            &a.sid,
            &a.event_type,
            &a.resource_sid,
            &a.resource_type,
        )
            .cmp(&(
                b.event_ms,
                &b.sid,
                &b.event_type,
                &b.resource_sid,
                &b.resource_type,
            ))
            .then_with(|| {
                // Only reached for junk: two events sharing time, sid and type.
                let ja = serde_json::to_string(&a.data).unwrap_or_default();
                let jb = serde_json::to_string(&b.data).unwrap_or_default();
                ja.cmp(&jb)
            })
    });
    sorted.dedup_by(|a, b| a == b);
    sorted
}
