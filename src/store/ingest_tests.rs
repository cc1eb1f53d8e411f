//! The ingesting connection's memory of derived state: kept across other connections' writes
//! (the pushers acknowledge after almost every page), dropped when another connection ingests or
//! prunes, so that what it derives always continues what the file holds.

use crate::config::{AgentIdMode, MediaConfig};
use crate::derive::agent::DeriveContext;
use crate::model::{AcdEvent, EventData};
use crate::store::Store;

fn ctx() -> DeriveContext {
    DeriveContext::new(
        AgentIdMode::FriendlyName,
        MediaConfig::default(),
        Default::default(),
    )
}

/// An Activity change of WK1 at `ms`, alternating between two Activities.
fn change(ms: i64) -> AcdEvent {
    let (sid, name) = if (ms / 1000) % 2 == 0 {
        ("WAavail", "Available")
    } else {
        ("WAbreak", "Break")
    };
    let data = serde_json::json!({"worker_sid": "WK1", "worker_name": "alice",
        "worker_activity_sid": sid, "worker_activity_name": name});
    AcdEvent {
        sid: format!("EV{ms}"),
        event_type: "worker.activity.update".into(),
        event_ms: ms,
        resource_sid: "WK1".into(),
        resource_type: "worker".into(),
        data: EventData::from(data.as_object().cloned().unwrap()),
    }
}

#[test]
fn memory_survives_other_writes_and_is_dropped_by_another_ingest_or_prune() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.db");
    let mut a = Store::open(&path).unwrap();
    let mut b = Store::open(&path).unwrap();
    let ctx = ctx();
    a.ingest(&[change(1000)], None, &ctx, 0).unwrap();
    // A marker only memory holds: it shows whether the memory was kept.
    a.cache.workers.insert("WKX".into(), Box::default());

    b.probe_writable().unwrap();
    a.ingest(&[change(2000)], None, &ctx, 0).unwrap();
    assert!(
        a.cache.workers.contains_key("WKX"),
        "another connection's write outside the derived tables keeps the memory"
    );

    // The other connection ingests WK1's next change: A must continue from it, not from what
    // it remembered.
    b.ingest(&[change(3000)], None, &ctx, 0).unwrap();
    a.ingest(&[change(4000)], None, &ctx, 0).unwrap();
    assert!(!a.cache.workers.contains_key("WKX"));
    let segs = a.segments_overlapping(0, i64::MAX).unwrap();
    let spans: Vec<(i64, Option<i64>)> = segs.iter().map(|s| (s.start_ms, s.end_ms)).collect();
    assert_eq!(
        spans,
        [
            (1000, Some(2000)),
            (2000, Some(3000)),
            (3000, Some(4000)),
            (4000, None)
        ]
    );

    a.cache.workers.insert("WKX".into(), Box::default());
    b.prune(0).unwrap();
    a.ingest(&[change(5000)], None, &ctx, 0).unwrap();
    assert!(
        !a.cache.workers.contains_key("WKX"),
        "a prune elsewhere drops the memory"
    );
}

/// An event of task WT1 (offered to WK1) at `ms`.
fn task_event(event_type: &str, ms: i64) -> AcdEvent {
    let data = serde_json::json!({"task_sid": "WT1", "task_queue_sid": "WQ1",
        "task_queue_name": "Support", "task_channel_unique_name": "voice",
        "reservation_sid": "WR1", "worker_sid": "WK1", "worker_name": "alice"});
    AcdEvent {
        sid: format!("EV{event_type}{ms}"),
        event_type: event_type.into(),
        event_ms: ms,
        resource_sid: "WT1".into(),
        resource_type: "task".into(),
        data: EventData::from(data.as_object().cloned().unwrap()),
    }
}

fn task_row(path: &std::path::Path) -> (Option<i64>, String, i64) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.query_row(
        "SELECT ended_ms, record, first_ms FROM tasks WHERE task_sid = 'WT1'",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
    .unwrap()
}

/// Reports read only tasks that ended: an open task's row is written when first seen and when a
/// late event moves its first event, not in every page it moves in; its record is complete once
/// it ends, the same as derived from all its events at once, across a restart.
#[test]
fn an_open_task_is_written_when_first_seen_and_complete_once_it_ends() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.db");
    let ctx = ctx();
    let mut all = vec![
        task_event("task-queue.entered", 2_000),
        task_event("reservation.created", 3_000),
        task_event("reservation.accepted", 4_000),
    ];
    let mut store = Store::open(&path).unwrap();
    store.ingest(&all[..1], None, &ctx, 0).unwrap();
    let first = task_row(&path);
    assert_eq!((first.0, first.2), (None, 2_000));
    store.ingest(&all[1..], None, &ctx, 0).unwrap();
    assert_eq!(
        task_row(&path),
        first,
        "an open task moving is not rewritten"
    );
    drop(store);

    // After a restart, a late event before its first one: the row moves to it.
    let late = task_event("task.created", 1_000);
    let mut store = Store::open(&path).unwrap();
    store
        .ingest(std::slice::from_ref(&late), None, &ctx, 0)
        .unwrap();
    assert_eq!(task_row(&path).2, 1_000);
    let end = task_event("task.completed", 9_000);
    store
        .ingest(std::slice::from_ref(&end), None, &ctx, 0)
        .unwrap();
    all.extend([late, end]);
    all.sort_by(|a, b| a.order_key().cmp(&b.order_key()));

    let expected = crate::derive::task::derive_task(&all, &ctx.media, &ctx.agent_id_mode).unwrap();
    let iv = crate::model::Interval {
        start_ms: 0,
        end_ms: 900_000,
    };
    assert_eq!(store.tasks_ended_in(iv).unwrap(), [expected.task]);
    // A reservation's row leaves out its wrap-up and completion (its task's legs hold them).
    let mut reservations = expected.reservations;
    for r in &mut reservations {
        (r.wrapup_ms, r.completed_ms) = (None, None);
    }
    assert_eq!(store.reservations_in(iv).unwrap(), reservations);
}

/// Records written before they were compacted (keys spelt out, absent values as `null`) still read.
#[test]
fn records_written_with_long_keys_still_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.db");
    let store = Store::open(&path).unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    let task = r#"{"task_sid":"WT1","queue_sid":"WQ1","queue_name":"Support","channel":"voice",
        "media_type":"voice","outbound":false,"counted":true,"created_ms":1000,"entered_ms":1000,
        "queue_entered_ms":1000,"accepted_ms":2000,"accepted_worker_sid":"WK1",
        "accepted_agent_id":"alice","wrapup_ms":null,"ended_ms":3000,"end_event":"task.completed",
        "outcome":"Handled","handling":[{"reservation_sid":"WR1","worker_sid":"WK1",
        "agent_id":"alice","queue_sid":"WQ1","accepted_ms":2000,"wrapup_ms":null,
        "completed_ms":3000}],"transfers":[]}"#;
    let reservation = r#"{"reservation_sid":"WR1","task_sid":"WT1","worker_sid":"WK1",
        "agent_id":"alice","queue_sid":"WQ1","created_ms":1500,"outcome":"Accepted",
        "outcome_ms":2000,"wrapup_ms":null,"completed_ms":3000}"#;
    conn.execute(
        "INSERT INTO tasks (task_sid, ended_ms, record, first_ms) VALUES ('WT1', 3000, ?1, 1000)",
        [task],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO reservations (reservation_sid, task_sid, created_ms, outcome_ms, record)
         VALUES ('WR1', 'WT1', 1500, 2000, ?1)",
        [reservation],
    )
    .unwrap();
    let iv = crate::model::Interval {
        start_ms: 0,
        end_ms: 900_000,
    };
    let tasks = store.tasks_ended_in(iv).unwrap();
    assert_eq!(tasks.len(), 1);
    let t = &tasks[0];
    assert_eq!(
        (t.queue_sid.as_deref(), t.ended_ms, t.counted),
        (Some("WQ1"), Some(3000), true)
    );
    assert_eq!(t.handling[0].completed_ms, Some(3000));
    let r = &store.reservations_in(iv).unwrap()[0];
    assert_eq!((r.outcome_ms, r.completed_ms), (Some(2000), Some(3000)));
    // Written again, it is shorter.
    let compact = serde_json::to_string(t).unwrap();
    assert!(compact.len() < task.len() / 2, "{compact}");
}
