//! Folding a task on, page by page and in any arrival order, the way the store does (fold on
//! when the page comes after everything folded, else start again from every event so far), gives
//! exactly what deriving from all the events at once gives.

use super::TaskProgress;
use crate::config::{AgentIdMode, MediaConfig};
use crate::derive::task::derive_task;
use crate::model::{AcdEvent, EventData};
use proptest::prelude::*;

/// Event of a small vocabulary covering queue entries, two reservations of two workers, a
/// transfer, attributes and the end, at time `ms`.
fn event(kind: u8, ms: i64) -> AcdEvent {
    let (event_type, extra) = match kind % 10 {
        0 => ("task.created", serde_json::json!({})),
        1 => (
            "task-queue.entered",
            serde_json::json!({"task_queue_sid": "WQ1", "task_queue_name": "Sales"}),
        ),
        2 => (
            "task-queue.moved",
            serde_json::json!({"task_queue_sid": "WQ2", "task_queue_name": "Support"}),
        ),
        3 => (
            "reservation.created",
            serde_json::json!({"reservation_sid": "WR1", "worker_sid": "WK1", "worker_name": "alice"}),
        ),
        4 => (
            "reservation.accepted",
            serde_json::json!({"reservation_sid": "WR1", "worker_sid": "WK1", "worker_name": "alice"}),
        ),
        5 => (
            "reservation.accepted",
            serde_json::json!({"reservation_sid": "WR2", "worker_sid": "WK2", "worker_name": "bob"}),
        ),
        6 => (
            "reservation.wrapup",
            serde_json::json!({"reservation_sid": "WR1", "worker_sid": "WK1"}),
        ),
        7 => (
            "reservation.completed",
            serde_json::json!({"reservation_sid": "WR2", "worker_sid": "WK2"}),
        ),
        8 => (
            "task.updated",
            serde_json::json!({"task_attributes": "{\"direction\":\"inbound\",\"channel\":\"chat\"}"}),
        ),
        _ => ("task.completed", serde_json::json!({})),
    };
    let mut data = serde_json::json!({
        "task_sid": "WT1", "task_channel_unique_name": "voice", "task_age": "5"
    });
    if let (Some(d), Some(e)) = (data.as_object_mut(), extra.as_object()) {
        d.extend(e.clone());
    }
    AcdEvent {
        sid: format!("EV{ms:08}{kind}"),
        event_type: event_type.into(),
        event_ms: ms,
        resource_sid: "WT1".into(),
        resource_type: "task".into(),
        data: EventData::from(data.as_object().cloned().unwrap_or_default()),
    }
}

proptest! {
    #[test]
    fn folding_on_in_any_arrival_order_equals_deriving_at_once(
        spec in prop::collection::vec((0u8..10, 0i64..40), 1..24),
        arrival in prop::collection::vec(any::<u32>(), 24),
        pages in prop::collection::vec(1usize..5, 24),
        in_order in any::<bool>(),
    ) {
        let mode = AgentIdMode::FriendlyName;
        let media = MediaConfig::default();
        let mut events: Vec<AcdEvent> = spec.iter().map(|&(k, t)| event(k, 1_000 + t * 1_000)).collect();
        // One event per (time, sid), as the log keeps them.
        events.sort_by(|a, b| (a.event_ms, &a.sid).cmp(&(b.event_ms, &b.sid)));
        events.dedup_by(|a, b| (a.event_ms, &a.sid) == (b.event_ms, &b.sid));
        let expected = derive_task(&events, &media, &mode);
        if !in_order {
            let mut keyed: Vec<(u32, AcdEvent)> =
                events.into_iter().zip(arrival.iter().copied()).map(|(e, k)| (k, e)).collect();
            keyed.sort_by_key(|(k, _)| *k);
            events = keyed.into_iter().map(|(_, e)| e).collect();
        }
        let mut seen: Vec<&AcdEvent> = Vec::new();
        let mut progress: Option<TaskProgress> = None;
        let mut rest = events.as_slice();
        for size in pages.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (page, tail) = rest.split_at((*size).min(rest.len()));
            rest = tail;
            seen.extend(page.iter());
            let refs: Vec<&AcdEvent> = page.iter().collect();
            let folded_on = progress.as_mut().is_some_and(|p| p.extend(&refs, &mode));
            if !folded_on {
                progress = TaskProgress::start(&seen, &mode);
            }
        }
        let got = progress.map(|p| p.derivation(&media, &mode));
        prop_assert_eq!(got, expected);
    }
}
