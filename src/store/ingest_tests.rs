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
        data: EventData(data.as_object().cloned().unwrap()),
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
