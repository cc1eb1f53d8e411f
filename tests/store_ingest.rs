//! The buffer's ingestion through real SQLite files: dedup by sid, the cursor moving with the page,
//! derivation of states and segments, and late events.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: a failed unwrap is a failed test

mod common;

use common::{activity, ctx, reservation};
use proptest::prelude::*;
use wfm_connector::model::{AcdEvent, AgentState};
use wfm_connector::store::Store;
use wfm_connector::wfm::dto::AgentStateItem;

fn open() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("buffer.db")).unwrap();
    (dir, store)
}

fn pending_states(store: &Store) -> Vec<serde_json::Value> {
    let batch = store.claim_state_batch(10_000).unwrap();
    match batch {
        // Each queued state as WFM receives it.
        Some(b) => b
            .records
            .iter()
            .map(|r| serde_json::to_value(AgentStateItem::from(r)).unwrap())
            .collect(),
        None => Vec::new(),
    }
}

fn day() -> i64 {
    1_795_000_000_000
}

#[test]
fn a_page_commits_events_states_and_cursor_together_and_duplicates_are_ignored() {
    let (_d, mut store) = open();
    let t = day();
    let page = vec![
        activity("EV1", 1, t, "Available"),
        activity("EV2", 1, t + 5_000, "Break"),
    ];
    let out = store.ingest(&page, Some(t + 10_000), &ctx(), t).unwrap();
    assert_eq!(out.new_events, 2);
    assert_eq!(out.states_queued, 2);
    assert_eq!(store.cursor().unwrap(), Some(t + 10_000));
    // The overlap brings the same events again: nothing new.
    let again = store.ingest(&page, Some(t + 12_000), &ctx(), t).unwrap();
    assert_eq!(again.new_events, 0);
    assert_eq!(again.duplicates, 2);
    assert_eq!(again.states_queued, 0);
    let states = pending_states(&store);
    assert_eq!(states.len(), 2);
    assert_eq!(states[0]["eventId"], "EV1");
    assert_eq!(states[0]["state"], "Available");
    assert_eq!(states[0]["stateStart"], wfm_connector::clock::rfc3339_ms(t));
    assert_eq!(states[1]["state"], "Unavailable");
    assert_eq!(states[1]["reasonCode"], "Break");
    assert_eq!(states[1]["agentId"], "agent1");
}

#[test]
fn an_event_that_does_not_change_the_effective_state_sends_nothing() {
    let (_d, mut store) = open();
    let t = day();
    let page = vec![
        activity("EV1", 1, t, "Available"),
        reservation("EV2", "accepted", 1, t + 1_000, "WT1", "voice"),
        // Activity changes during a call: still OnContact.
        activity("EV3", 1, t + 2_000, "Break"),
    ];
    store.ingest(&page, None, &ctx(), t).unwrap();
    let states: Vec<String> = pending_states(&store)
        .iter()
        .map(|s| s["state"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(states, vec!["Available", "OnContact"]);
}

#[test]
fn late_older_event_never_overwrites_the_present_in_rta_but_history_is_rederived() {
    let (_d, mut store) = open();
    let t = day();
    store
        .ingest(
            &[
                activity("EV1", 1, t, "Available"),
                activity("EV3", 1, t + 20_000, "Break"),
            ],
            None,
            &ctx(),
            t,
        )
        .unwrap();
    // A Training change at t+10s arrives late.
    let out = store
        .ingest(
            &[activity("EV2", 1, t + 10_000, "Training")],
            None,
            &ctx(),
            t,
        )
        .unwrap();
    assert_eq!(out.rederived_workers, 1);
    assert_eq!(out.states_queued, 0, "RTA keeps the present (Break)");
    let segs = store.segments_overlapping(t - 1, t + 60_000).unwrap();
    let got: Vec<(i64, Option<i64>, AgentState, Option<String>)> = segs
        .iter()
        .map(|s| {
            (
                s.start_ms - t,
                s.end_ms.map(|e| e - t),
                s.state,
                s.reason_code.clone(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (0, Some(10_000), AgentState::Available, None),
            (
                10_000,
                Some(20_000),
                AgentState::Unavailable,
                Some("TRN".into())
            ),
            (20_000, None, AgentState::Unavailable, Some("Break".into())),
        ]
    );
}

#[test]
fn late_event_that_changes_the_present_queues_one_correction() {
    let (_d, mut store) = open();
    let t = day();
    store
        .ingest(
            &[
                activity("EV1", 1, t, "Available"),
                activity("EV3", 1, t + 20_000, "Break"),
            ],
            None,
            &ctx(),
            t,
        )
        .unwrap();
    let _ = pending_states(&store);
    // The agent had accepted a call at t+10s: during a call the Activity change is invisible,
    // so the present is OnContact, not Break.
    let out = store
        .ingest(
            &[reservation(
                "EV2",
                "accepted",
                1,
                t + 10_000,
                "WT9",
                "voice",
            )],
            None,
            &ctx(),
            t,
        )
        .unwrap();
    assert_eq!(out.states_queued, 1);
    let states = pending_states(&store);
    let last = states.last().unwrap();
    assert_eq!(last["state"], "OnContact");
    assert!(last["eventId"].as_str().unwrap().starts_with("CR"));
    // Stamped at the last time RTA saw, so the agent's states stay in order.
    assert_eq!(
        last["stateStart"],
        wfm_connector::clock::rfc3339_ms(t + 20_000)
    );
}

fn scenario(t: i64) -> Vec<AcdEvent> {
    let mut v = Vec::new();
    for w in 1..=3u32 {
        let base = t + i64::from(w) * 100;
        let task = format!("WT{w}");
        v.push(activity(&format!("EV{w}a"), w, base, "Available"));
        v.push(reservation(
            &format!("EV{w}b"),
            "created",
            w,
            base + 1_000,
            &task,
            "voice",
        ));
        v.push(reservation(
            &format!("EV{w}c"),
            "accepted",
            w,
            base + 3_000,
            &task,
            "voice",
        ));
        v.push(reservation(
            &format!("EV{w}d"),
            "wrapup",
            w,
            base + 60_000,
            &task,
            "voice",
        ));
        v.push(reservation(
            &format!("EV{w}e"),
            "completed",
            w,
            base + 70_000,
            &task,
            "voice",
        ));
        v.push(activity(&format!("EV{w}f"), w, base + 71_000, "Break"));
        v.push(activity(&format!("EV{w}g"), w, base + 80_000, "Available"));
    }
    v
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    /// Events delivered in any order, in any page split, give the same segments as in order.
    #[test]
    fn segments_are_independent_of_arrival_order(
        perm in Just(scenario(day())).prop_shuffle(),
        split in 1usize..20,
    ) {
        let (_d1, mut ordered) = open();
        let mut sorted = perm.clone();
        sorted.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
        ordered.ingest(&sorted, None, &ctx(), 0).unwrap();
        let (_d2, mut shuffled) = open();
        for chunk in perm.chunks(split) {
            shuffled.ingest(chunk, None, &ctx(), 0).unwrap();
        }
        let a = ordered.segments_overlapping(0, i64::MAX).unwrap();
        let b = shuffled.segments_overlapping(0, i64::MAX).unwrap();
        prop_assert_eq!(a, b);
        let ca = ordered.current_states().unwrap();
        let cb = shuffled.current_states().unwrap();
        prop_assert_eq!(ca, cb);
    }
}

/// The tasks and reservations a buffer holds for `iv`, as reports read them.
fn task_rows(store: &Store, iv: wfm_connector::model::Interval) -> (String, String) {
    let tasks = store.tasks_ended_in(iv).unwrap();
    let mut res = store.reservations_in(iv).unwrap();
    res.sort_by(|a, b| a.reservation_sid.cmp(&b.reservation_sid));
    (
        serde_json::to_string(&tasks).unwrap(),
        serde_json::to_string(&res).unwrap(),
    )
}

#[test]
fn a_task_re_derived_after_a_restart_and_a_late_event_is_the_task_derived_in_order() {
    // The task's events in order: queued, offered, accepted, wrapping, completed.
    let t = day();
    let entered = common::event(
        "EV10",
        "task-queue.entered",
        t + 1_000,
        serde_json::json!({"task_sid": "WT1", "task_queue_sid": "WQ1", "task_queue_name": "Support",
                           "task_channel_unique_name": "voice", "task_attributes": "{}"}),
    );
    let all = vec![
        entered.clone(),
        reservation("EV11", "created", 1, t + 2_000, "WT1", "voice"),
        reservation("EV12", "accepted", 1, t + 3_000, "WT1", "voice"),
        reservation("EV13", "wrapup", 1, t + 60_000, "WT1", "voice"),
        reservation("EV14", "completed", 1, t + 90_000, "WT1", "voice"),
    ];
    let iv = wfm_connector::model::Interval {
        start_ms: t - 3_600_000,
        end_ms: t + 3_600_000,
    };
    let (_d1, mut in_order) = open();
    in_order.ingest(&all, None, &ctx(), t).unwrap();
    let expected = task_rows(&in_order, iv);
    assert!(expected.0.contains("WT1"), "the task ended: {}", expected.0);

    // Elsewhere: two events, a restart (nothing in memory), the rest but the queue entry, and the
    // queue entry last, older than every event the buffer holds for the task.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("buffer.db");
    {
        let mut store = Store::open(&path).unwrap();
        store.ingest(&all[1..3], None, &ctx(), t).unwrap();
    }
    let mut store = Store::open(&path).unwrap();
    store.ingest(&all[3..], None, &ctx(), t).unwrap();
    {
        // And a restart between the last two pages too.
        drop(store);
        store = Store::open(&path).unwrap();
    }
    let out = store.ingest(&[entered], None, &ctx(), t).unwrap();
    assert_eq!(out.tasks_derived, 1);
    assert_eq!(task_rows(&store, iv), expected);
}
