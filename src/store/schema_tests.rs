//! A buffer written before v3 (outboxes holding WFM JSON) is migrated to rows, and what it sends
//! afterwards is byte for byte what it would have sent before.

use super::MIGRATIONS;
use crate::store::Store;
use crate::wfm::request;
use std::collections::HashSet;

const ITEM_1: &str = r#"{"eventId":"EV1","agentId":"A1","state":"Available","reasonCode":null,"mediaType":"voice","stateStart":"2026-11-20T10:15:00.123Z","isLoggedOn":true}"#;
const ITEM_2: &str = r#"{"eventId":"EV2","agentId":"A2","state":"LoggedOut","reasonCode":"Lunch","mediaType":null,"stateStart":"1970-01-01T00:00:01.000Z","isLoggedOn":false}"#;
const DATA: &str =
    r#"{"queueReport":[],"agentQueueReport":[{"agentId":"A1"}],"agentSystemPerformanceReport":[]}"#;

/// A v2 buffer holding two states, a snapshot of both, a report and a dead letter, as v2 wrote
/// them.
fn v2_buffer(path: &std::path::Path) -> String {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(MIGRATIONS[0]).unwrap();
    conn.execute_batch(MIGRATIONS[1]).unwrap();
    conn.execute_batch("PRAGMA user_version = 2").unwrap();
    let envelope = format!(
        r#"{{"acdType":"TWILIO","reportVersion":"1","startDate":"2026-11-20T10:00:00.000Z","endDate":"2026-11-20T10:15:00.000Z","revision":2,"reportData":{DATA}}}"#
    );
    for (id, kind, body) in [
        ("EV1", "state", ITEM_1.to_string()),
        ("EV2", "state", ITEM_2.to_string()),
        ("SNAP1", "snapshot", format!("[{ITEM_1},{ITEM_2}]")),
    ] {
        conn.execute(
            "INSERT INTO state_outbox (event_id, kind, body, created_ms) VALUES (?1, ?2, ?3, 0)",
            rusqlite::params![id, kind, body],
        )
        .unwrap();
    }
    conn.execute(
        "INSERT INTO report_outbox (kind, start_ms, end_ms, revision, content_hash, body, created_ms)
         VALUES ('queue', 1795168800000, 1795169700000, 2, 'h', ?1, 0)",
        [&envelope],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO dead_letters (kind, item_id, body, error, created_ms)
         VALUES ('state', 'EV0', '{}', 'HTTP 400', 0)",
        [],
    )
    .unwrap();
    envelope
}

#[test]
fn a_v2_buffer_is_migrated_to_rows_and_sends_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.db");
    let envelope = v2_buffer(&path);
    let mut store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len() as i64);

    // The two states as one batch, then the snapshot of both: each item as v2 stored it.
    for snapshot in [false, true] {
        let batch = store.claim_state_batch(10).unwrap().unwrap();
        let sent = request::agent_states(&batch).unwrap();
        assert_eq!(
            sent.body,
            format!(
                r#"{{"acdType":"TWILIO","batchId":"{}","isSnapshot":{snapshot},"agentStates":[{ITEM_1},{ITEM_2}]}}"#,
                batch.batch_id()
            )
        );
        assert_eq!(sent.items, 2);
        store.ack_state_batch(&batch, &[], 1).unwrap();
    }

    let report = store.claim_reports(1, &HashSet::new()).unwrap().remove(0);
    assert_eq!(report.report_data, DATA);
    let sent = request::report(&report).unwrap();
    assert_eq!(sent.body, envelope);
    assert_eq!(sent.path, "/reports/queue");
    assert_eq!(sent.items, 1);
    assert_eq!(store.status(10).unwrap().dead_letter_count, 1);
}

#[test]
fn requeued_dead_letters_go_to_the_end_of_the_outbox_and_pruning_takes_a_snapshot_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.db");
    v2_buffer(&path);
    let mut store = Store::open(&path).unwrap();
    let states = store.claim_state_batch(1).unwrap().unwrap();
    assert_eq!(states.ids, ["EV1"]);
    store
        .ack_state_batch(&states, &[(0, "HTTP 400".into())], 1)
        .unwrap();
    // EV1 and the v2 dead letter of a pruned row: only EV1 has a row to send again.
    assert_eq!(store.requeue_dead_letters(2).unwrap(), 1);
    let order: Vec<String> = std::iter::from_fn(|| {
        let b = store.claim_state_batch(1).unwrap()?;
        store.ack_state_batch(&b, &[], 3).unwrap();
        Some(b.ids[0].clone())
    })
    .collect();
    assert_eq!(order, ["EV2", "SNAP1", "EV1"]);
    store.prune(10).unwrap();
    let items: i64 = store
        .conn
        .query_row("SELECT COUNT(*) FROM snapshot_items", [], |r| r.get(0))
        .unwrap();
    assert_eq!(items, 0);
}

/// A v4 buffer's segments (keyed by worker, the open one among them) become v5's: the closed ones
/// in `segment_log`, the open one in its worker's row; readers see the same segments, and the
/// next event closes the open one with the checkpoint it had.
#[test]
fn a_v4_buffer_keeps_its_segments_and_closes_the_open_one_with_its_checkpoint() {
    use crate::config::{AgentIdMode, MediaConfig};
    use crate::derive::agent::DeriveContext;
    use crate::model::{AcdEvent, AgentState, EventData};

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        for sql in &MIGRATIONS[..4] {
            conn.execute_batch(sql).unwrap();
        }
        conn.execute_batch(
            r#"PRAGMA user_version = 4;
            INSERT INTO workers (worker_sid, agent_id, derivation, last_ms, last_sid, state,
                reason, media, state_start_ms, state_event_id)
            VALUES ('WK1', 'alice', '{"n":"alice","as":"WAavail","an":"Available"}', 2000, 'EV2',
                'Available', NULL, NULL, 2000, 'EV2');
            INSERT INTO segments VALUES ('WK1', 1000, 'EV1', 'alice', 'LoggedOut', NULL, NULL, 2000, '{"n":"alice"}');
            INSERT INTO segments VALUES ('WK1', 2000, 'EV2', 'alice', 'Available', NULL, NULL, NULL, '{"n":"alice","as":"WAavail","an":"Available"}');"#,
        )
        .unwrap();
    }
    let mut store = Store::open(&path).unwrap();
    let segs = store.segments_overlapping(0, i64::MAX).unwrap();
    let seen: Vec<(i64, Option<i64>, AgentState)> = segs
        .iter()
        .map(|s| (s.start_ms, s.end_ms, s.state))
        .collect();
    assert_eq!(
        seen,
        [
            (1000, Some(2000), AgentState::LoggedOut),
            (2000, None, AgentState::Available)
        ]
    );

    let data = serde_json::json!({"worker_sid": "WK1", "worker_name": "alice",
        "worker_activity_sid": "WAbreak", "worker_activity_name": "Break"});
    let ev = AcdEvent {
        sid: "EV3".into(),
        event_type: "worker.activity.update".into(),
        event_ms: 3000,
        resource_sid: "WK1".into(),
        resource_type: "worker".into(),
        data: EventData::from(data.as_object().cloned().unwrap()),
    };
    let ctx = DeriveContext::new(
        AgentIdMode::FriendlyName,
        MediaConfig::default(),
        Default::default(),
    );
    store.ingest(&[ev], None, &ctx, 3000).unwrap();
    let closed: (i64, String) = store
        .conn
        .query_row(
            "SELECT end_ms, checkpoint FROM segment_log WHERE event_sid = 'EV2'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        closed,
        (
            3000,
            r#"{"n":"alice","as":"WAavail","an":"Available"}"#.to_string()
        )
    );
    let starts: Vec<i64> = store
        .segments_overlapping(0, i64::MAX)
        .unwrap()
        .iter()
        .map(|s| s.start_ms)
        .collect();
    assert_eq!(starts, [1000, 2000, 3000]);
}

/// A v5 buffer's reports (their `reportData` in their rows) become v6's (the data in
/// `report_data`, keyed by the report): claimed and sent byte for byte as before, marked sent
/// without their data, and pruned with it.
#[test]
fn a_v5_buffer_keeps_its_reports_data_and_prunes_it_with_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        for sql in &MIGRATIONS[..5] {
            conn.execute_batch(sql).unwrap();
        }
        conn.execute_batch("PRAGMA user_version = 5").unwrap();
        for (kind, start, revision, sent) in [
            ("queue", 1_795_168_800_000i64, 1, Some(5i64)),
            ("queue", 1_795_168_800_000, 2, None),
            ("agent-activity", 1_795_168_800_000, 1, None),
        ] {
            conn.execute(
                "INSERT INTO report_outbox
                 (kind, start_ms, end_ms, revision, content_hash, report_data, created_ms, sent_ms)
                 VALUES (?1, ?2, ?2 + 900000, ?3, 'h', ?4, 0, ?5)",
                rusqlite::params![kind, start, revision, format!("{{\"r\":{revision}}}"), sent],
            )
            .unwrap();
        }
    }
    let mut store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len() as i64);
    let claimed = store.claim_reports(4, &HashSet::new()).unwrap();
    let seen: Vec<(&str, i64, &str)> = claimed
        .iter()
        .map(|r| (r.kind.as_str(), r.revision, r.report_data.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            ("queue", 2, r#"{"r":2}"#),
            ("agent-activity", 1, r#"{"r":1}"#)
        ]
    );
    // The pusher's claim builds the same bodies from the data as SQLite holds it.
    let built = store
        .claim_reports_with(4, &HashSet::new(), request::report_body)
        .unwrap();
    for ((report, body), whole) in built.into_iter().zip(&claimed) {
        assert_eq!(report.report_data, "");
        let sent = request::report_request(&report, body.unwrap()).unwrap();
        assert_eq!(sent.body, request::report(whole).unwrap().body);
        let tail = format!(
            r#""revision":{},"reportData":{}}}"#,
            whole.revision, whole.report_data
        );
        assert!(sent.body.ends_with(&tail), "{}", sent.body);
    }
    for report in &claimed {
        store.ack_report(report, None, 6).unwrap();
    }
    let data_rows = |store: &Store| -> i64 {
        store
            .conn
            .query_row("SELECT COUNT(*) FROM report_data", [], |r| r.get(0))
            .unwrap()
    };
    // Delivered reports keep their data until they are pruned, and then it goes with them.
    assert_eq!(data_rows(&store), 3);
    store.prune(10).unwrap();
    assert_eq!(data_rows(&store), 0);
    assert!(store.claim_reports(4, &HashSet::new()).unwrap().is_empty());
}
