//! SPEC §4: "A property test shuffles arrival order within the overlap window and checks that the
//! reports are identical." Events of a busy quarter-hour go through the real buffer (ingest,
//! derivation, late-event re-derivation) in a random order and random page splits; the reports
//! built from it must equal those built from in-order arrival, byte for byte.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: a failed unwrap is a failed test

mod common;

use common::{activity, ctx, event, reservation};
use proptest::prelude::*;
use wfm_connector::model::{AcdEvent, Interval};
use wfm_connector::report::QueueReportSettings;
use wfm_connector::report::plan::build_interval;
use wfm_connector::store::Store;

const T0: i64 = 1_795_600_800_000;
const MIN: i64 = 60_000;

fn task_event(sid: &str, kind: &str, ms: i64, task: &str, channel: &str) -> AcdEvent {
    event(
        sid,
        kind,
        ms,
        serde_json::json!({
            "task_sid": task,
            "task_queue_sid": "WQ1",
            "task_queue_name": "Support",
            "task_channel_unique_name": channel,
            "task_attributes": "{}",
            "task_age": "1"
        }),
    )
}

/// Three agents, handled and abandoned contacts, breaks, across two intervals.
fn scenario() -> Vec<AcdEvent> {
    let mut v = Vec::new();
    for w in 1..=3u32 {
        let b = T0 + i64::from(w) * 7_000;
        v.push(activity(&format!("EV{w}a"), w, b, "Available"));
        let task = format!("WT{w}");
        let ch = ["voice", "chat", "sms"][(w - 1) as usize];
        v.push(task_event(
            &format!("EV{w}t1"),
            "task.created",
            b + 10_000,
            &task,
            ch,
        ));
        v.push(task_event(
            &format!("EV{w}t2"),
            "task-queue.entered",
            b + 10_000,
            &task,
            ch,
        ));
        v.push(reservation(
            &format!("EV{w}r1"),
            "created",
            w,
            b + 14_000,
            &task,
            ch,
        ));
        v.push(reservation(
            &format!("EV{w}r2"),
            "accepted",
            w,
            b + 19_000,
            &task,
            ch,
        ));
        v.push(reservation(
            &format!("EV{w}r3"),
            "wrapup",
            w,
            b + 5 * MIN,
            &task,
            ch,
        ));
        v.push(task_event(
            &format!("EV{w}t3"),
            "task.wrapup",
            b + 5 * MIN,
            &task,
            ch,
        ));
        v.push(reservation(
            &format!("EV{w}r4"),
            "completed",
            w,
            b + 16 * MIN,
            &task,
            ch,
        ));
        v.push(task_event(
            &format!("EV{w}t4"),
            "task.completed",
            b + 16 * MIN,
            &task,
            ch,
        ));
        v.push(activity(&format!("EV{w}b"), w, b + 17 * MIN, "Break"));
        v.push(activity(&format!("EV{w}c"), w, b + 19 * MIN, "Available"));
        let lost = format!("WX{w}");
        v.push(task_event(
            &format!("EV{w}x1"),
            "task.created",
            b + 6 * MIN,
            &lost,
            ch,
        ));
        v.push(task_event(
            &format!("EV{w}x2"),
            "task-queue.entered",
            b + 6 * MIN,
            &lost,
            ch,
        ));
        v.push(task_event(
            &format!("EV{w}x3"),
            "task.canceled",
            b + 6 * MIN + i64::from(w) * 4_000,
            &lost,
            ch,
        ));
    }
    v
}

fn reports(events: &[AcdEvent], split: usize) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("b.db")).unwrap();
    for page in events.chunks(split) {
        store.ingest(page, None, &ctx(), 0).unwrap();
    }
    let settings = QueueReportSettings::default();
    let mut out = Vec::new();
    for k in 0..2 {
        let iv = Interval {
            start_ms: T0 + k * 15 * MIN,
            end_ms: T0 + (k + 1) * 15 * MIN,
        };
        for (_, json) in build_interval(&store, &settings, iv).unwrap() {
            out.push(json);
        }
    }
    out
}

#[test]
fn the_scenario_has_something_to_report() {
    let mut ordered = scenario();
    ordered.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
    let r = reports(&ordered, 1000);
    // Interval 2 holds the three handled contacts (ended at ~16 min) and the activity segments.
    assert!(r[3].contains("\"handled\":1"), "{}", r[3]);
    assert!(r[0].contains("Available"), "{}", r[0]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]
    #[test]
    fn reports_are_identical_whatever_the_arrival_order(
        shuffled in Just(scenario()).prop_shuffle(),
        split in 1usize..12,
    ) {
        let mut ordered = shuffled.clone();
        ordered.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
        prop_assert_eq!(reports(&shuffled, split), reports(&ordered, 1000));
    }
}
