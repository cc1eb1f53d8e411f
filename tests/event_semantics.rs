//! The TaskRouter event types and keys of issue 6 item 2, through the library: events shaped as
//! TaskRouter writes them (values as strings) → `derive_task` / `WorkerDerivation` →
//! `queue_report`. Every expected number is worked out in a comment.
//!
//! Times are on 2026-11-20 UTC; the interval under test is `[10:15, 10:30)`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: a failed unwrap is a failed test

mod common;

use serde_json::json;
use wfm_connector::clock::parse_rfc3339_ms;
use wfm_connector::config::{AgentIdMode, MediaConfig};
use wfm_connector::derive::agent::WorkerDerivation;
use wfm_connector::derive::task::{TaskRecord, derive_task};
use wfm_connector::model::{
    AcdEvent, AgentState, EventData, Interval, ReservationOutcome, ReservationRecord, TaskOutcome,
};
use wfm_connector::report::{QueueReportSettings, queue_report};

fn t(hms: &str) -> i64 {
    parse_rfc3339_ms(&format!("2026-11-20T{hms}Z")).unwrap()
}

fn this() -> Interval {
    Interval {
        start_ms: t("10:15:00"),
        end_ms: t("10:30:00"),
    }
}

/// One event of task `WT1` (voice); `extra` are further `event_data` keys (strings).
fn ev(n: usize, kind: &str, at: &str, extra: &[(&str, &str)]) -> AcdEvent {
    let mut data = serde_json::Map::new();
    for (k, v) in [
        ("task_sid", "WT1"),
        ("task_channel_unique_name", "voice"),
        ("task_attributes", "{}"),
    ]
    .iter()
    .chain(extra)
    {
        data.insert(k.to_string(), json!(v));
    }
    AcdEvent {
        sid: format!("EV{n:03}"),
        event_type: kind.into(),
        event_ms: t(at),
        resource_sid: "WT1".into(),
        resource_type: "task".into(),
        data: EventData::from(data),
    }
}

/// A reservation event of `ann` for WT1 from the Support queue.
fn res(n: usize, kind: &str, rsid: &str, at: &str, extra: &[(&str, &str)]) -> AcdEvent {
    let mut keys = vec![
        ("reservation_sid", rsid),
        ("worker_sid", "WKann"),
        ("worker_name", "ann"),
        ("task_queue_sid", "WQsupport"),
        ("task_queue_name", "Support"),
    ];
    keys.extend_from_slice(extra);
    let mut e = ev(n, &format!("reservation.{kind}"), at, &keys);
    e.resource_type = "reservation".into();
    e.resource_sid = rsid.into();
    e
}

fn derive(events: &[AcdEvent]) -> (TaskRecord, Vec<ReservationRecord>) {
    let d = derive_task(events, &MediaConfig::default(), &AgentIdMode::FriendlyName).unwrap();
    (d.task, d.reservations)
}

fn support_row(events: &[AcdEvent]) -> serde_json::Value {
    let (task, res) = derive(events);
    let data = queue_report(&[task], &res, &[], this(), &QueueReportSettings::default());
    assert_eq!(data.queue_report.len(), 1, "{data:?}");
    serde_json::to_value(&data.queue_report[0]).unwrap()
}

/// Accepted at 10:16:14, wrap-up 10:17:00, completed 10:17:30 (task.completed too).
fn answered_at_10_16_14(mut events: Vec<AcdEvent>) -> Vec<AcdEvent> {
    let n = events.len();
    events.extend([
        res(n, "accepted", "WR1", "10:16:14", &[]),
        res(n + 1, "wrapup", "WR1", "10:17:00", &[]),
        res(n + 2, "completed", "WR1", "10:17:30", &[]),
        ev(n + 3, "task.completed", "10:17:30", &[]),
    ]);
    events
}

// ---------------------------------------------------------------- tasks waiting before history

#[test]
fn a_task_first_seen_by_a_reservation_waits_since_its_reported_queue_entry() {
    // The task entered Support at 10:11:20.250, before observed history; the first event we hold
    // is its reservation at 10:16:10. Wait = 10:16:14 − 10:11:20.250 = 293.75 s; whole seconds:
    // 10:16:14 − 10:11:20 (rounded) = 294 s. Over 20 s: not in SL. (Counted from the first event
    // seen it would be 4 s, in SL.)
    let events = answered_at_10_16_14(vec![res(
        0,
        "created",
        "WR1",
        "10:16:10",
        &[
            ("task_age", "290"),
            ("task_date_created", "2026-11-20T10:11:20.000Z"),
            ("task_queue_entered_date", "2026-11-20T10:11:20.250Z"),
        ],
    )]);
    let (task, _) = derive(&events);
    assert_eq!(task.queue_entered_ms, t("10:11:20.250"));
    assert_eq!(task.entered_ms, t("10:11:20.250"));
    assert_eq!(task.created_ms, Some(t("10:11:20")));
    let row = support_row(&events);
    assert_eq!(row["handled"], 1);
    assert_eq!(row["totalWaitSec"], 294);
    assert_eq!(row["maxWaitSec"], 294);
    assert_eq!(row["answeredInSl"], 0);
    // Talk 10:16:14 → 10:17:00 = 46 s, ACW 30 s.
    assert_eq!(
        (row["totalTalkSec"].clone(), row["totalAcwSec"].clone()),
        (json!(46), json!(30))
    );
}

#[test]
fn without_an_entry_date_task_age_gives_the_wait() {
    // Only `task_age` (whole seconds since creation, as a string): 10:16:10 − 95 s = 10:14:35.
    // Wait = 10:16:14 − 10:14:35 = 99 s.
    let events = answered_at_10_16_14(vec![res(
        0,
        "created",
        "WR1",
        "10:16:10",
        &[("task_age", "95")],
    )]);
    let (task, _) = derive(&events);
    assert_eq!(task.created_ms, Some(t("10:14:35")));
    assert_eq!(task.queue_entered_ms, t("10:14:35"));
    assert_eq!(support_row(&events)["totalWaitSec"], 99);
}

#[test]
fn epoch_second_dates_are_read_too() {
    // `task_queue_entered_date` as epoch seconds: 10:15:30 = 1795169730. Wait 44 s.
    let entered = (t("10:15:30") / 1000).to_string();
    let events = answered_at_10_16_14(vec![res(
        0,
        "created",
        "WR1",
        "10:16:10",
        &[("task_queue_entered_date", entered.as_str())],
    )]);
    assert_eq!(support_row(&events)["totalWaitSec"], 44);
}

#[test]
fn the_reported_entry_is_into_the_answering_queue_not_the_first_queue() {
    // Created 10:10:00 in Sales, moved to Support at 10:14:00 — both before history. The offer
    // from Support reports Support's entry (10:14:00): wait 10:16:14 − 10:14:00 = 134 s, not
    // the 374 s since creation (the time in Sales is not Support's wait).
    let events = answered_at_10_16_14(vec![res(
        0,
        "created",
        "WR1",
        "10:16:10",
        &[
            ("task_age", "370"),
            ("task_date_created", "2026-11-20T10:10:00.000Z"),
            ("task_queue_entered_date", "2026-11-20T10:14:00.000Z"),
        ],
    )]);
    let (task, _) = derive(&events);
    assert_eq!(task.created_ms, Some(t("10:10:00")));
    assert_eq!(support_row(&events)["totalWaitSec"], 134);
}

#[test]
fn a_recorded_entry_still_wins_and_a_reported_one_cannot_lie_after_its_event() {
    // The entry event is held (10:15:50); a junk reported date in the future changes nothing.
    // Wait 10:16:14 − 10:15:50 = 24 s.
    let events = answered_at_10_16_14(vec![
        ev(
            0,
            "task-queue.entered",
            "10:15:50",
            &[
                ("task_queue_sid", "WQsupport"),
                ("task_queue_name", "Support"),
            ],
        ),
        res(
            1,
            "created",
            "WR1",
            "10:16:10",
            &[("task_queue_entered_date", "2100-01-01T00:00:00.000Z")],
        ),
    ]);
    assert_eq!(support_row(&events)["totalWaitSec"], 24);
}

#[test]
fn an_abandoned_task_from_before_history_waits_until_it_is_canceled() {
    // In Support since 10:14:50 (reported by a timed-out offer), canceled at 10:16:00:
    // abandoned, wait 70 s, not short (> 5 s), not in SL (> 20 s).
    let events = vec![
        res(
            0,
            "created",
            "WR1",
            "10:15:40",
            &[("task_queue_entered_date", "2026-11-20T10:14:50.000Z")],
        ),
        res(1, "timeout", "WR1", "10:15:55", &[]),
        ev(
            2,
            "task.canceled",
            "10:16:00",
            &[("task_queue_sid", "WQsupport")],
        ),
    ];
    let row = support_row(&events);
    assert_eq!(
        (
            row["abandoned"].clone(),
            row["totalWaitSec"].clone(),
            row["shortAbandoned"].clone(),
            row["abandonedInSl"].clone()
        ),
        (json!(1), json!(70), json!(0), json!(0))
    );
}

// ---------------------------------------------------------------- reservation.failed

#[test]
fn a_failed_reservation_ends_and_the_task_end_is_inferred_from_the_next_one() {
    // WR1 offered 10:16:00, failed 10:16:02; WR2 offered 10:16:05 (ann again), accepted 10:16:14,
    // wrap-up 10:17:00, completed 10:17:30; task.completed is lost. WR1 is over, so the task ended
    // at 10:17:30 (inferred). Entered Support 10:15:58 (reported): wait 16 s, in SL.
    let entered = [("task_queue_entered_date", "2026-11-20T10:15:58.000Z")];
    let events = vec![
        res(0, "created", "WR1", "10:16:00", &entered),
        res(1, "failed", "WR1", "10:16:02", &entered),
        res(2, "created", "WR2", "10:16:05", &entered),
        res(3, "accepted", "WR2", "10:16:14", &[]),
        res(4, "wrapup", "WR2", "10:17:00", &[]),
        res(5, "completed", "WR2", "10:17:30", &[]),
    ];
    let (task, reservations) = derive(&events);
    assert_eq!(task.ended_ms, Some(t("10:17:30")));
    assert_eq!(
        task.end_event.as_deref(),
        Some("inferred:reservations-completed")
    );
    assert_eq!(task.outcome, Some(TaskOutcome::Handled));
    let wr1 = &reservations[0];
    assert_eq!(
        (wr1.outcome, wr1.outcome_ms),
        (ReservationOutcome::Failed, Some(t("10:16:02")))
    );
    let row = support_row(&events);
    assert_eq!(
        (row["totalWaitSec"].clone(), row["answeredInSl"].clone()),
        (json!(16), json!(1))
    );

    // System performance: two offers, one accepted; the failed one is neither rejected nor
    // timed out (TaskRouter could not assign it: not the agent's answer).
    let data = queue_report(
        &[task],
        &reservations,
        &[],
        this(),
        &QueueReportSettings::default(),
    );
    let perf = serde_json::to_value(&data.agent_system_performance_report).unwrap();
    assert_eq!(perf[0]["agentId"], "ann");
    assert_eq!(perf[0]["reservationsOffered"], 2);
    assert_eq!(perf[0]["reservationsAccepted"], 1);
    assert_eq!(perf[0]["reservationsRejected"], 0);
    assert_eq!(perf[0]["reservationsTimedOut"], 0);
}

#[test]
fn a_failed_reservation_takes_the_agent_out_of_reserved() {
    let ctx = common::ctx();
    let mut w = WorkerDerivation::default();
    w.apply(&common::activity("EV1", 1, 1_000, "Available"), &ctx);
    w.apply(
        &common::reservation("EV2", "created", 1, 2_000, "WT1", "voice"),
        &ctx,
    );
    assert_eq!(w.effective(&ctx).state, AgentState::Reserved);
    w.apply(
        &common::reservation("EV3", "failed", 1, 3_000, "WT1", "voice"),
        &ctx,
    );
    assert_eq!(w.effective(&ctx).state, AgentState::Available);
    assert!(w.reservations.is_empty());
}

// ---------------------------------------------------------------- other event types

#[test]
fn worker_attributes_update_replaces_the_attributes() {
    let ctx = common::ctx();
    let mut w = WorkerDerivation::default();
    w.apply(&common::activity("EV1", 1, 1_000, "Available"), &ctx);
    let update = common::event(
        "EV2",
        "worker.attributes.update",
        2_000,
        json!({"worker_sid": "WK1", "worker_name": "agent1",
               "worker_attributes": "{\"logon\":\"a.one\"}"}),
    );
    w.apply(&update, &ctx);
    assert_eq!(w.attributes.as_deref(), Some("{\"logon\":\"a.one\"}"));
    // Attributes change no state.
    assert_eq!(w.effective(&ctx).state, AgentState::Available);
}

#[test]
fn capacity_and_channel_availability_updates_change_no_state() {
    let ctx = common::ctx();
    let mut w = WorkerDerivation::default();
    w.apply(&common::activity("EV1", 1, 1_000, "Available"), &ctx);
    for (n, kind) in [
        "worker.capacity.update",
        "worker.channel.availability.update",
    ]
    .into_iter()
    .enumerate()
    {
        let e = common::event(
            &format!("EV{}", n + 2),
            kind,
            2_000 + n as i64,
            json!({"worker_sid": "WK1", "worker_channel_available": "false"}),
        );
        w.apply(&e, &ctx);
    }
    assert_eq!(w.effective(&ctx).state, AgentState::Available);
}

#[test]
fn workflow_timeout_is_not_an_end_and_task_updated_attributes_are_read() {
    // Entered 10:15:00; workflow.timeout at 10:16:00 (the task goes on waiting); task.updated at
    // 10:16:05 turns it outbound; accepted 10:16:14. The task is Handled, ended 10:17:30, and
    // outbound, so not counted.
    let mut events = vec![
        ev(
            0,
            "task-queue.entered",
            "10:15:00",
            &[
                ("task_queue_sid", "WQsupport"),
                ("task_queue_name", "Support"),
            ],
        ),
        ev(1, "workflow.timeout", "10:16:00", &[]),
        ev(
            2,
            "task.updated",
            "10:16:05",
            &[("task_attributes", "{\"direction\":\"outbound\"}")],
        ),
    ];
    events = answered_at_10_16_14(events);
    // TaskRouter writes the task's current attributes on every later event.
    for e in &mut events[2..] {
        e.data
            .insert("task_attributes", json!("{\"direction\":\"outbound\"}"));
    }
    let (task, _) = derive(&events);
    assert_eq!(task.outcome, Some(TaskOutcome::Handled));
    assert_eq!(task.ended_ms, Some(t("10:17:30")));
    assert_eq!(task.end_event.as_deref(), Some("task.completed"));
    assert!(task.outbound && !task.counted);
}
