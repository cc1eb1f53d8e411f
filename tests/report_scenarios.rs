//! Report scenarios through the library: TaskRouter events (values as strings, as Twilio sends
//! them) → `derive_task` → `queue_report` / `agent_activity`, with every expected number worked out
//! by hand in a comment. Property tests at the end.
//!
//! Times are on 2026-11-20 UTC; `t("10:16:04.500")`. The interval under test is usually
//! `[10:15, 10:30)`; `NEXT` is `[10:30, 10:45)`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: a failed unwrap is a failed test

use proptest::prelude::*;
use wfm_connector::clock::parse_rfc3339_ms;
use wfm_connector::config::{AgentIdMode, MediaConfig};
use wfm_connector::derive::task::{TaskRecord, derive_task};
use wfm_connector::model::{
    AcdEvent, AgentState, EventData, Interval, ReservationOutcome, ReservationRecord, Segment,
    TaskOutcome,
};
use wfm_connector::report::{QueueReportData, QueueReportSettings, agent_activity, queue_report};
use wfm_connector::wfm::dto::ReportRequest;

// ---------------------------------------------------------------- helpers

fn t(hms: &str) -> i64 {
    parse_rfc3339_ms(&format!("2026-11-20T{hms}Z")).unwrap()
}

fn interval(from: &str, to: &str) -> Interval {
    Interval {
        start_ms: t(from),
        end_ms: t(to),
    }
}

fn this() -> Interval {
    interval("10:15:00", "10:30:00")
}

fn next() -> Interval {
    interval("10:30:00", "10:45:00")
}

fn queue_name(q: &str) -> &'static str {
    match q {
        "WQsupport" => "Support",
        "WQsales" => "Sales",
        "WQchat" => "Chat",
        _ => "Other",
    }
}

/// Builds the events of one task, the way TaskRouter writes them.
struct TaskEvents {
    sid: String,
    channel: String,
    attributes: String,
    events: Vec<AcdEvent>,
}

impl TaskEvents {
    fn new(sid: &str, channel: &str) -> Self {
        TaskEvents {
            sid: sid.into(),
            channel: channel.into(),
            attributes: "{}".into(),
            events: Vec::new(),
        }
    }

    fn attributes(mut self, json: &str) -> Self {
        self.attributes = json.into();
        self
    }

    fn push(mut self, kind: &str, ms: i64, resource: &str, extra: &[(&str, &str)]) -> Self {
        let mut data = serde_json::Map::new();
        let task_fields = [
            ("task_sid", self.sid.as_str()),
            ("task_channel_unique_name", self.channel.as_str()),
            ("task_attributes", self.attributes.as_str()),
            ("task_age", "0"),
        ];
        for (k, v) in task_fields.iter().chain(extra) {
            data.insert(k.to_string(), serde_json::Value::String(v.to_string()));
        }
        let n = self.events.len();
        self.events.push(AcdEvent {
            sid: format!("EV{}{n:03}", self.sid),
            event_type: kind.into(),
            event_ms: ms,
            resource_sid: resource.into(),
            resource_type: if resource.starts_with("WR") {
                "reservation"
            } else {
                "task"
            }
            .into(),
            data: EventData::from(data),
        });
        self
    }

    fn task(self, kind: &str, at: &str) -> Self {
        self.task_at(kind, t(at))
    }

    fn task_at(self, kind: &str, ms: i64) -> Self {
        let sid = self.sid.clone();
        self.push(kind, ms, &sid, &[])
    }

    fn entered(self, q: &str, at: &str) -> Self {
        self.queue_at("task-queue.entered", q, t(at))
    }

    /// `task-queue.entered` or `task-queue.moved` into `q`.
    fn queue_at(self, kind: &str, q: &str, ms: i64) -> Self {
        let sid = self.sid.clone();
        let extra = [("task_queue_sid", q), ("task_queue_name", queue_name(q))];
        self.push(kind, ms, &sid, &extra)
    }

    /// A `reservation.*` event for `worker` (sid `WK<name>`, friendly name = agent id).
    fn res(self, kind: &str, res: &str, worker: &str, q: &str, at: &str) -> Self {
        self.res_at(kind, res, worker, q, t(at))
    }

    fn res_at(self, kind: &str, res: &str, worker: &str, q: &str, ms: i64) -> Self {
        let wk = format!("WK{worker}");
        let extra = [
            ("reservation_sid", res),
            ("worker_sid", wk.as_str()),
            ("worker_name", worker),
            ("task_queue_sid", q),
            ("task_queue_name", queue_name(q)),
        ];
        self.push(&format!("reservation.{kind}"), ms, res, &extra)
    }

    /// Offer, accept, wrap up and complete one reservation, with the task's wrap-up/completion.
    fn handled(self, res: &str, worker: &str, q: &str, times: [&str; 4]) -> Self {
        let [offered, accepted, wrapup, completed] = times;
        self.res("created", res, worker, q, offered)
            .res("accepted", res, worker, q, accepted)
            .res("wrapup", res, worker, q, wrapup)
            .task("task.wrapup", wrapup)
            .res("completed", res, worker, q, completed)
            .task("task.completed", completed)
    }

    fn derive(&self) -> (TaskRecord, Vec<ReservationRecord>) {
        let d = derive_task(
            &self.events,
            &MediaConfig::default(),
            &AgentIdMode::FriendlyName,
        )
        .expect("a task");
        (d.task, d.reservations)
    }
}

fn derive_all(tasks: &[TaskEvents]) -> (Vec<TaskRecord>, Vec<ReservationRecord>) {
    let mut all_tasks = Vec::new();
    let mut all_res = Vec::new();
    for te in tasks {
        let (task, res) = te.derive();
        all_tasks.push(task);
        all_res.extend(res);
    }
    (all_tasks, all_res)
}

fn settings() -> QueueReportSettings {
    QueueReportSettings::default() // short abandon 5 s, SL 20 s
}

fn seg(
    agent: &str,
    state: AgentState,
    reason: Option<&str>,
    from: &str,
    to: Option<&str>,
) -> Segment {
    Segment {
        worker_sid: format!("WK{agent}"),
        agent_id: agent.into(),
        state,
        reason_code: reason.map(str::to_string),
        media_type: None,
        start_ms: t(from),
        end_ms: to.map(t),
    }
}

fn report(tasks: &[TaskEvents], segments: &[Segment], iv: Interval) -> QueueReportData {
    let (tasks, res) = derive_all(tasks);
    queue_report(&tasks, &res, segments, iv, &settings())
}

fn json(v: &impl serde::Serialize) -> serde_json::Value {
    serde_json::to_value(v).unwrap()
}

fn support_voice_row() -> serde_json::Value {
    serde_json::json!({
        "queueId": "WQsupport", "queueName": "Support", "mediaType": "voice",
        "offered": 0, "handled": 0, "abandoned": 0, "shortAbandoned": 0,
        "answeredInSl": 0, "abandonedInSl": 0, "slThresholdSec": 20,
        "totalWaitSec": 0, "totalAnswerWaitSec": 0, "maxWaitSec": 0,
        "totalTalkSec": 0, "totalAcwSec": 0, "totalHandleSec": 0
    })
}

/// `base` with the given fields replaced.
fn with(mut base: serde_json::Value, fields: serde_json::Value) -> serde_json::Value {
    for (k, v) in fields.as_object().unwrap() {
        base[k] = v.clone();
    }
    base
}

fn perf_row(agent: &str, fields: serde_json::Value) -> serde_json::Value {
    with(
        serde_json::json!({
            "agentId": agent, "loggedInSec": 0, "availableSec": 0, "reservedSec": 0,
            "onContactSec": 0, "acwSec": 0, "unavailableSec": 0, "unavailableByReason": {},
            "reservationsOffered": 0, "reservationsAccepted": 0, "reservationsRejected": 0,
            "reservationsTimedOut": 0
        }),
        fields,
    )
}

// ---------------------------------------------------------------- scenarios

#[test]
fn handled_contact_spanning_two_intervals_counts_once_in_ending_interval() {
    let call = TaskEvents::new("WT1", "voice")
        .task("task.created", "10:28:00.000")
        .entered("WQsupport", "10:28:00.000")
        .handled(
            "WR1",
            "ann",
            "WQsupport",
            ["10:28:04", "10:28:10", "10:33:10", "10:34:40"],
        );
    let calls = [call];

    // 10:15–10:30: the call is still going: no contact. The offer (10:28:04) and its acceptance
    // (10:28:10) happened here, so they count in this interval's system performance.
    let before = report(&calls, &[], this());
    assert!(before.queue_report.is_empty());
    assert!(before.agent_queue_report.is_empty());
    assert_eq!(
        json(&before.agent_system_performance_report),
        serde_json::json!([perf_row(
            "ann",
            serde_json::json!({
                "reservationsOffered": 1, "reservationsAccepted": 1
            })
        )])
    );

    // 10:30–10:45: it ended at 10:34:40, so it is counted here, once.
    // wait 10:28:00 → 10:28:10 = 10 s (≤ 20: in SL); talk 10:28:10 → 10:33:10 = 300 s;
    // ACW 10:33:10 → 10:34:40 = 90 s; handle 390 s.
    let after = report(&calls, &[], next());
    assert_eq!(
        json(&after.queue_report),
        serde_json::json!([with(
            support_voice_row(),
            serde_json::json!({
                "offered": 1, "handled": 1, "answeredInSl": 1,
                "totalWaitSec": 10, "totalAnswerWaitSec": 10, "maxWaitSec": 10,
                "totalTalkSec": 300, "totalAcwSec": 90, "totalHandleSec": 390
            })
        )])
    );
    assert_eq!(
        json(&after.agent_queue_report),
        serde_json::json!([{
            "agentId": "ann", "queueId": "WQsupport", "mediaType": "voice", "handled": 1,
            "totalTalkSec": 300, "totalAcwSec": 90, "totalHandleSec": 390, "transfersOut": 0
        }])
    );
    assert!(after.agent_system_performance_report.is_empty());
}

#[test]
fn task_ending_exactly_on_an_interval_boundary_counts_in_the_interval_before() {
    // Completed at 10:30:00.000: its last millisecond, 10:29:59.999, is in 10:15–10:30.
    let call = TaskEvents::new("WT2", "voice")
        .entered("WQsupport", "10:20:00")
        .handled(
            "WR2",
            "ann",
            "WQsupport",
            ["10:20:01", "10:20:02", "10:29:00", "10:30:00.000"],
        );
    let calls = [call];
    assert_eq!(report(&calls, &[], this()).queue_report[0].handled, 1);
    assert!(report(&calls, &[], next()).queue_report.is_empty());
}

#[test]
fn abandoned_under_and_over_short_abandon_threshold() {
    let calls = [
        // Waits exactly 4.5 s (≤ 5: short, ≤ 20: in SL). Reported 5 s: 10:16:04.500 rounds up.
        TaskEvents::new("WT3", "voice")
            .entered("WQsupport", "10:16:00.000")
            .task("task.canceled", "10:16:04.500"),
        // Exactly 5.000 s: "within" includes the threshold: short, in SL. 5 s.
        TaskEvents::new("WT4", "voice")
            .entered("WQsupport", "10:17:00.000")
            .task("task.canceled", "10:17:05.000"),
        // Offered to ann, who let it time out; the caller hangs up after 30 s: not short, not
        // in SL (30 > 20).
        TaskEvents::new("WT5", "voice")
            .entered("WQsupport", "10:18:00")
            .res("created", "WR5", "ann", "WQsupport", "10:18:02")
            .res("timeout", "WR5", "ann", "WQsupport", "10:18:17")
            .task("task.canceled", "10:18:30"),
    ];
    let r = report(&calls, &[], this());
    // offered = 0 handled + 3 abandoned; total wait 5 + 5 + 30 = 40; max 30.
    assert_eq!(
        json(&r.queue_report),
        serde_json::json!([with(
            support_voice_row(),
            serde_json::json!({
                "offered": 3, "abandoned": 3, "shortAbandoned": 2, "abandonedInSl": 2,
                "totalWaitSec": 40, "maxWaitSec": 30
            })
        )])
    );
    assert!(r.agent_queue_report.is_empty());
    assert_eq!(
        json(&r.agent_system_performance_report),
        serde_json::json!([perf_row(
            "ann",
            serde_json::json!({
                "reservationsOffered": 1, "reservationsTimedOut": 1
            })
        )])
    );
}

#[test]
fn answered_within_and_beyond_sl_threshold_with_per_queue_override() {
    let calls = [
        // Sales has its own threshold, 30 s (by name): answered after 25 s → in SL.
        // talk 10:16:25 → 10:18:25 = 120 s, ACW → 10:19:00 = 35 s.
        TaskEvents::new("WT6", "voice")
            .entered("WQsales", "10:16:00")
            .handled(
                "WR6",
                "ann",
                "WQsales",
                ["10:16:01", "10:16:25", "10:18:25", "10:19:00"],
            ),
        // Support keeps the default 20 s: the same 25 s wait is out of SL. talk 120, ACW 35.
        TaskEvents::new("WT7", "voice")
            .entered("WQsupport", "10:16:00")
            .handled(
                "WR7",
                "bob",
                "WQsupport",
                ["10:16:01", "10:16:25", "10:18:25", "10:19:00"],
            ),
        // Exactly 20.000 s: in SL. talk 120, ACW 30.
        TaskEvents::new("WT8", "voice")
            .entered("WQsupport", "10:17:00")
            .handled(
                "WR8",
                "ann",
                "WQsupport",
                ["10:17:01", "10:17:20.000", "10:19:20", "10:19:50"],
            ),
        // 20.400 s exact: out of SL, although the reported wait rounds to 20 s (the threshold
        // compares milliseconds). talk 10:18:20.4 → 10:20:20.4 = 120, ACW 30.
        TaskEvents::new("WT9", "voice")
            .entered("WQsupport", "10:18:00.000")
            .handled(
                "WR9",
                "ann",
                "WQsupport",
                ["10:18:01", "10:18:20.400", "10:20:20.400", "10:20:50.400"],
            ),
    ];
    let mut s = settings();
    s.per_queue.insert("Sales".into(), 30);
    let (tasks, res) = derive_all(&calls);
    let r = queue_report(&tasks, &res, &[], this(), &s);
    assert_eq!(
        json(&r.queue_report),
        serde_json::json!([
            with(
                support_voice_row(),
                serde_json::json!({
                    "queueId": "WQsales", "queueName": "Sales", "slThresholdSec": 30,
                    "offered": 1, "handled": 1, "answeredInSl": 1,
                    "totalWaitSec": 25, "totalAnswerWaitSec": 25, "maxWaitSec": 25,
                    "totalTalkSec": 120, "totalAcwSec": 35, "totalHandleSec": 155
                })
            ),
            // 25 + 20 + 20 = 65 s of wait; talk 3 × 120; ACW 35 + 30 + 30 = 95.
            with(
                support_voice_row(),
                serde_json::json!({
                    "offered": 3, "handled": 3, "answeredInSl": 1,
                    "totalWaitSec": 65, "totalAnswerWaitSec": 65, "maxWaitSec": 25,
                    "totalTalkSec": 360, "totalAcwSec": 95, "totalHandleSec": 455
                })
            ),
        ])
    );
    assert_eq!(
        json(&r.agent_queue_report),
        serde_json::json!([
            { "agentId": "ann", "queueId": "WQsales", "mediaType": "voice", "handled": 1,
              "totalTalkSec": 120, "totalAcwSec": 35, "totalHandleSec": 155, "transfersOut": 0 },
            { "agentId": "ann", "queueId": "WQsupport", "mediaType": "voice", "handled": 2,
              "totalTalkSec": 240, "totalAcwSec": 60, "totalHandleSec": 300, "transfersOut": 0 },
            { "agentId": "bob", "queueId": "WQsupport", "mediaType": "voice", "handled": 1,
              "totalTalkSec": 120, "totalAcwSec": 35, "totalHandleSec": 155, "transfersOut": 0 },
        ])
    );
}

#[test]
fn transfer_between_queues_counts_the_contact_once_under_the_answering_queue() {
    // ann answers from Support, talks 2 min, sends the caller to Sales (task-queue.entered
    // after acceptance = transfer), wraps up 30 s; bob answers from Sales and finishes.
    let call = TaskEvents::new("WT10", "voice")
        .task("task.created", "10:16:00")
        .entered("WQsupport", "10:16:00")
        .res("created", "WR10", "ann", "WQsupport", "10:16:05")
        .res("accepted", "WR10", "ann", "WQsupport", "10:16:10")
        .entered("WQsales", "10:18:10")
        .res("wrapup", "WR10", "ann", "WQsupport", "10:18:10")
        .res("completed", "WR10", "ann", "WQsupport", "10:18:40")
        .handled(
            "WR11",
            "bob",
            "WQsales",
            ["10:18:15", "10:18:20", "10:20:20", "10:21:00"],
        );
    let (task, _) = call.derive();
    assert_eq!(task.queue_sid.as_deref(), Some("WQsupport"));
    assert_eq!(task.accepted_agent_id.as_deref(), Some("ann"));
    assert_eq!(
        task.transfers.len(),
        1,
        "bob's acceptance is the same hand-off, not a second"
    );
    assert_eq!(task.transfers[0].from_agent_id, "ann");
    assert_eq!(
        task.transfers[0].from_queue_sid.as_deref(),
        Some("WQsupport")
    );
    assert_eq!(task.transfers[0].to_queue_sid.as_deref(), Some("WQsales"));

    let r = report(&[call], &[], this());
    // One contact, under Support: wait 10 s. Talk = ann 120 (10:16:10 → 10:18:10) + bob 120
    // (10:18:20 → 10:20:20); ACW = ann 30 + bob 40 (10:20:20 → 10:21:00). Sales gets no row.
    assert_eq!(
        json(&r.queue_report),
        serde_json::json!([with(
            support_voice_row(),
            serde_json::json!({
                "offered": 1, "handled": 1, "answeredInSl": 1,
                "totalWaitSec": 10, "totalAnswerWaitSec": 10, "maxWaitSec": 10,
                "totalTalkSec": 240, "totalAcwSec": 70, "totalHandleSec": 310
            })
        )])
    );
    assert_eq!(
        json(&r.agent_queue_report),
        serde_json::json!([
            { "agentId": "ann", "queueId": "WQsupport", "mediaType": "voice", "handled": 1,
              "totalTalkSec": 120, "totalAcwSec": 30, "totalHandleSec": 150, "transfersOut": 1 },
            { "agentId": "bob", "queueId": "WQsales", "mediaType": "voice", "handled": 1,
              "totalTalkSec": 120, "totalAcwSec": 40, "totalHandleSec": 160, "transfersOut": 0 },
        ])
    );
}

#[test]
fn warm_transfer_to_another_worker_records_one_transfer() {
    // No queue event: bob accepts while ann still holds the task.
    let call = TaskEvents::new("WT12", "voice")
        .entered("WQsupport", "10:16:00")
        .res("created", "WR12", "ann", "WQsupport", "10:16:05")
        .res("accepted", "WR12", "ann", "WQsupport", "10:16:10")
        .res("created", "WR13", "bob", "WQsupport", "10:17:00")
        .res("accepted", "WR13", "bob", "WQsupport", "10:17:05")
        .res("completed", "WR12", "ann", "WQsupport", "10:17:10")
        .res("completed", "WR13", "bob", "WQsupport", "10:19:00")
        .task("task.completed", "10:19:00");
    let (task, _) = call.derive();
    assert_eq!(task.transfers.len(), 1);
    assert_eq!(task.transfers[0].to_worker_sid.as_deref(), Some("WKbob"));
    let r = report(&[call], &[], this());
    // ann: talk 10:16:10 → 10:17:10 (no wrap-up: completion ends the talk) = 60 s.
    assert_eq!(r.agent_queue_report[0].total_talk_sec, 60);
    assert_eq!(r.agent_queue_report[0].transfers_out, 1);
    // bob: 10:17:05 → 10:19:00 = 115 s.
    assert_eq!(r.agent_queue_report[1].total_talk_sec, 115);
}

#[test]
fn outbound_task_and_email_task_are_excluded_from_queue_counts() {
    let calls = [
        TaskEvents::new("WT14", "voice")
            .attributes(r#"{"direction":"outbound","to":"+15550100"}"#)
            .entered("WQsupport", "10:16:00")
            .handled(
                "WR14",
                "ann",
                "WQsupport",
                ["10:16:00", "10:16:01", "10:18:00", "10:18:30"],
            ),
        TaskEvents::new("WT15", "email")
            .entered("WQsupport", "10:16:00")
            .handled(
                "WR15",
                "bob",
                "WQsupport",
                ["10:16:05", "10:16:10", "10:26:00", "10:26:10"],
            ),
    ];
    let (tasks, _) = derive_all(&calls);
    assert!(tasks[0].outbound && !tasks[0].counted);
    assert_eq!(tasks[0].media_type.as_deref(), Some("voice"));
    assert_eq!(tasks[1].media_type, None);
    assert!(!tasks[1].counted);

    let r = report(&calls, &[], this());
    assert!(r.queue_report.is_empty());
    assert!(r.agent_queue_report.is_empty());
    // The agents' offers still show in system performance: it is their whole ACD activity.
    assert_eq!(r.agent_system_performance_report.len(), 2);
    assert_eq!(
        r.agent_system_performance_report[0].reservations_accepted,
        1
    );
}

#[test]
fn channel_type_attribute_refines_the_media_type() {
    let sms = TaskEvents::new("WT16", "chat")
        .attributes(r#"{"channelType":"sms"}"#)
        .entered("WQchat", "10:16:00");
    assert_eq!(sms.derive().0.media_type.as_deref(), Some("sms"));
    let whatsapp = TaskEvents::new("WT17", "chat")
        .attributes(r#"{"channelType":"whatsapp"}"#)
        .entered("WQchat", "10:16:00");
    assert_eq!(whatsapp.derive().0.media_type.as_deref(), Some("chat"));
}

#[test]
fn multitasking_two_overlapping_chats_for_one_agent() {
    let chats = [
        // wait 5 s; talk 10:16:05 → 10:20:05 = 240 s; ACW 30 s.
        TaskEvents::new("WT20", "chat")
            .entered("WQchat", "10:16:00")
            .handled(
                "WR20",
                "ann",
                "WQchat",
                ["10:16:01", "10:16:05", "10:20:05", "10:20:35"],
            ),
        // wait 3 s; talk 10:17:03 → 10:22:03 = 300 s; ACW 30 s.
        TaskEvents::new("WT21", "chat")
            .entered("WQchat", "10:17:00")
            .handled(
                "WR21",
                "ann",
                "WQchat",
                ["10:17:01", "10:17:03", "10:22:03", "10:22:33"],
            ),
    ];
    // ann's effective state: OnContact from the first acceptance until the last chat wraps up.
    let segments = [
        seg(
            "ann",
            AgentState::Available,
            None,
            "10:10:00",
            Some("10:16:01"),
        ),
        seg(
            "ann",
            AgentState::Reserved,
            None,
            "10:16:01",
            Some("10:16:05"),
        ),
        seg(
            "ann",
            AgentState::OnContact,
            None,
            "10:16:05",
            Some("10:22:03"),
        ),
        seg(
            "ann",
            AgentState::AfterContactWork,
            None,
            "10:22:03",
            Some("10:22:33"),
        ),
        seg("ann", AgentState::Available, None, "10:22:33", None),
    ];
    let r = report(&chats, &segments, this());
    let chat_row = with(
        support_voice_row(),
        serde_json::json!({
            "queueId": "WQchat", "queueName": "Chat", "mediaType": "chat",
            "offered": 2, "handled": 2, "answeredInSl": 2,
            "totalWaitSec": 8, "totalAnswerWaitSec": 8, "maxWaitSec": 5,
            "totalTalkSec": 540, "totalAcwSec": 60, "totalHandleSec": 600
        }),
    );
    assert_eq!(json(&r.queue_report), serde_json::json!([chat_row]));
    assert_eq!(
        json(&r.agent_queue_report),
        serde_json::json!([{
            "agentId": "ann", "queueId": "WQchat", "mediaType": "chat", "handled": 2,
            "totalTalkSec": 540, "totalAcwSec": 60, "totalHandleSec": 600, "transfersOut": 0
        }])
    );
    // The agent's clock counts the overlap once: on contact 10:16:05 → 10:22:03 = 358 s, while
    // the two chats' talk is 540 s. Available 61 s (from 10:15:00) + 447 s (10:22:33 → 10:30),
    // reserved 4, ACW 30: 508 + 4 + 358 + 30 = 900 = the whole interval.
    assert_eq!(
        json(&r.agent_system_performance_report),
        serde_json::json!([perf_row(
            "ann",
            serde_json::json!({
                "loggedInSec": 900, "availableSec": 508, "reservedSec": 4, "onContactSec": 358,
                "acwSec": 30, "reservationsOffered": 2, "reservationsAccepted": 2
            })
        )])
    );
}

#[test]
fn unavailable_segment_spanning_an_interval_boundary() {
    let segments = [
        seg(
            "ann",
            AgentState::Available,
            None,
            "10:14:00",
            Some("10:25:00"),
        ),
        seg(
            "ann",
            AgentState::Unavailable,
            Some("Lunch"),
            "10:25:00",
            Some("10:40:00"),
        ),
        seg("ann", AgentState::Available, None, "10:40:00", None),
    ];
    // Activity report: each segment once, whole, in the interval in which it ended.
    assert_eq!(
        json(&agent_activity(&segments, this())),
        serde_json::json!([{
            "agentId": "ann", "state": "Available", "start": "2026-11-20T10:14:00.000Z",
            "end": "2026-11-20T10:25:00.000Z", "durationSec": 660
        }])
    );
    assert_eq!(
        json(&agent_activity(&segments, next())),
        serde_json::json!([{
            "agentId": "ann", "state": "Unavailable", "reasonCode": "Lunch",
            "start": "2026-11-20T10:25:00.000Z", "end": "2026-11-20T10:40:00.000Z",
            "durationSec": 900
        }])
    );
    // System performance: the lunch is split by clipping, 300 s + 600 s = its 900 s.
    let first = report(&[], &segments, this()).agent_system_performance_report;
    assert_eq!(
        json(&first),
        serde_json::json!([perf_row(
            "ann",
            serde_json::json!({
                "loggedInSec": 900, "availableSec": 600, "unavailableSec": 300,
                "unavailableByReason": {"Lunch": 300}
            })
        )])
    );
    let second = report(&[], &segments, next()).agent_system_performance_report;
    assert_eq!(
        json(&second),
        serde_json::json!([perf_row(
            "ann",
            serde_json::json!({
                "loggedInSec": 900, "availableSec": 300, "unavailableSec": 600,
                "unavailableByReason": {"Lunch": 600}
            })
        )])
    );
}

#[test]
fn agent_logging_in_mid_interval_counts_only_logged_in_time() {
    let segments = [
        seg(
            "bob",
            AgentState::LoggedOut,
            None,
            "09:00:00",
            Some("10:20:00.400"),
        ),
        seg("bob", AgentState::Available, None, "10:20:00.400", None),
    ];
    // 10:20:00.400 rounds to 10:20:00: 600 s logged in (exactly 599.6 s).
    let perf = report(&[], &segments, this()).agent_system_performance_report;
    assert_eq!(
        json(&perf),
        serde_json::json!([perf_row(
            "bob",
            serde_json::json!({
                "loggedInSec": 600, "availableSec": 600
            })
        )])
    );
    // The logged-out segment ended here: 09:00:00 → 10:20:00 (rounded) = 4800 s.
    let activity = agent_activity(&segments, this());
    assert_eq!(activity.len(), 1);
    assert_eq!(
        (activity[0].state.as_str(), activity[0].duration_sec),
        ("LoggedOut", 4800)
    );
}

#[test]
fn interval_with_no_activity_sends_three_empty_arrays() {
    let data = queue_report(&[], &[], &[], this(), &settings());
    assert_eq!(
        serde_json::to_string(&data).unwrap(),
        r#"{"queueReport":[],"agentQueueReport":[],"agentSystemPerformanceReport":[]}"#
    );
    assert_eq!(
        serde_json::to_string(&ReportRequest::new(this(), 0, data)).unwrap(),
        concat!(
            r#"{"acdType":"TWILIO","reportVersion":"1","startDate":"2026-11-20T10:15:00.000Z","#,
            r#""endDate":"2026-11-20T10:30:00.000Z","revision":0,"reportData":"#,
            r#"{"queueReport":[],"agentQueueReport":[],"agentSystemPerformanceReport":[]}}"#
        )
    );
    let activity = agent_activity(&[], this());
    assert_eq!(serde_json::to_string(&activity).unwrap(), "[]");
}

#[test]
fn abandoned_after_moving_queues_waits_from_entering_the_last_queue() {
    // Workflow timeout moves the task from Support to Sales at 10:16:30; the caller hangs up at
    // 10:16:40: Sales' abandon, after 10 s in Sales (not short: 10 > 5; in SL: 10 ≤ 20).
    let call = TaskEvents::new("WT22", "voice")
        .entered("WQsupport", "10:16:00")
        .queue_at("task-queue.moved", "WQsales", t("10:16:30"))
        .task("task.canceled", "10:16:40");
    let (task, _) = call.derive();
    assert_eq!(task.outcome, Some(TaskOutcome::Abandoned));
    assert_eq!(task.entered_ms, t("10:16:00"));
    assert_eq!(task.queue_entered_ms, t("10:16:30"));
    let r = report(&[call], &[], this());
    assert_eq!(
        json(&r.queue_report),
        serde_json::json!([with(
            support_voice_row(),
            serde_json::json!({
                "queueId": "WQsales", "queueName": "Sales", "offered": 1, "abandoned": 1,
                "abandonedInSl": 1, "totalWaitSec": 10, "maxWaitSec": 10
            })
        )])
    );
}

#[test]
fn task_without_task_completed_ends_when_its_last_reservation_completes() {
    let call = TaskEvents::new("WT23", "sms")
        .entered("WQchat", "10:16:00")
        .res("created", "WR23", "ann", "WQchat", "10:16:01")
        .res("accepted", "WR23", "ann", "WQchat", "10:16:02")
        .res("wrapup", "WR23", "ann", "WQchat", "10:20:00")
        .res("completed", "WR23", "ann", "WQchat", "10:21:00");
    let (task, _) = call.derive();
    assert_eq!(task.ended_ms, Some(t("10:21:00")));
    assert_eq!(
        task.end_event.as_deref(),
        Some("inferred:reservations-completed")
    );
    assert_eq!(task.outcome, Some(TaskOutcome::Handled));
    assert_eq!(task.wrapup_ms, Some(t("10:20:00")));
    // Still open while a reservation is only wrapping up.
    let open = TaskEvents::new("WT24", "sms")
        .entered("WQchat", "10:16:00")
        .res("accepted", "WR24", "ann", "WQchat", "10:16:02")
        .res("wrapup", "WR24", "ann", "WQchat", "10:20:00");
    assert_eq!(open.derive().0.outcome, None);
}

#[test]
fn reservation_outcomes_are_derived_per_reservation() {
    let call = TaskEvents::new("WT25", "voice")
        .entered("WQsupport", "10:16:00")
        .res("created", "WRa", "ann", "WQsupport", "10:16:01")
        .res("rejected", "WRa", "ann", "WQsupport", "10:16:03")
        .res("created", "WRb", "bob", "WQsupport", "10:16:04")
        .res("timeout", "WRb", "bob", "WQsupport", "10:16:19")
        .res("created", "WRc", "cid", "WQsupport", "10:16:20")
        .res("rescinded", "WRc", "cid", "WQsupport", "10:16:21")
        .res("created", "WRd", "dan", "WQsupport", "10:16:22");
    let (task, res) = call.derive();
    let outcomes: Vec<_> = res
        .iter()
        .map(|r| (r.agent_id.as_str(), r.outcome))
        .collect();
    assert_eq!(
        outcomes,
        [
            ("ann", ReservationOutcome::Rejected),
            ("bob", ReservationOutcome::TimedOut),
            ("cid", ReservationOutcome::Canceled),
            ("dan", ReservationOutcome::Pending),
        ]
    );
    assert_eq!(res[0].outcome_ms, Some(t("10:16:03")));
    assert_eq!(task.outcome, None);
    let perf = report(&[call], &[], this()).agent_system_performance_report;
    let counts: Vec<_> = perf
        .iter()
        .map(|p| {
            (
                p.reservations_offered,
                p.reservations_rejected,
                p.reservations_timed_out,
            )
        })
        .collect();
    assert_eq!(counts, [(1, 1, 0), (1, 0, 1), (1, 0, 0), (1, 0, 0)]);
}

#[test]
fn junk_and_unknown_events_are_skipped_without_panicking() {
    let mut call = TaskEvents::new("WT26", "voice")
        .entered("WQsupport", "10:16:00")
        .handled(
            "WR26",
            "ann",
            "WQsupport",
            ["10:16:01", "10:16:02", "10:17:00", "10:17:30"],
        );
    let mut junk = call.events[0].clone();
    junk.sid = "EVjunk1".into();
    junk.event_type = "task.updated".into();
    call.events.push(junk);
    let mut bad = call.events[1].clone();
    bad.sid = "EVjunk2".into();
    bad.event_type = "reservation.accepted".into();
    bad.data
        .insert("reservation_sid", serde_json::json!(["not", "a", "sid"]));
    bad.data.insert("worker_sid", serde_json::Value::Null);
    bad.resource_type = "task".into();
    call.events.push(bad);
    let mut odd = call.events[1].clone();
    odd.sid = "EVjunk3".into();
    odd.data
        .insert("task_attributes", serde_json::json!("{not json"));
    call.events.push(odd);
    let (task, res) = call.derive();
    assert_eq!(task.outcome, Some(TaskOutcome::Handled));
    assert_eq!(res.len(), 1);
    // No task sid anywhere: nothing to derive.
    let orphan = AcdEvent {
        sid: "EVx".into(),
        event_type: "task.completed".into(),
        event_ms: 0,
        resource_sid: String::new(),
        resource_type: "task".into(),
        data: EventData::default(),
    };
    assert!(derive_task(&[orphan], &MediaConfig::default(), &AgentIdMode::Sid).is_none());
}

// ---------------------------------------------------------------- properties

/// A random but plausible task life, as parameters.
#[derive(Debug, Clone)]
struct Life {
    /// Seconds after 10:00 at which the task enters its first queue.
    start_sec: i64,
    channel: usize,
    outbound: bool,
    /// Offers that were rejected / timed out / rescinded before the answer (0..3).
    refused: Vec<u8>,
    /// Waiting time in ms (coarse, so that timestamps collide and tie-breaking is exercised).
    wait_ms: i64,
    handled: bool,
    talk_ms: i64,
    acw_ms: i64,
    transfer: bool,
    moved: bool,
}

fn life() -> impl Strategy<Value = Life> {
    (
        (
            0i64..7200,
            0usize..4,
            any::<bool>(),
            prop::collection::vec(0u8..3, 0..3),
        ),
        (
            0i64..40,
            any::<bool>(),
            0i64..600,
            0i64..120,
            any::<bool>(),
            any::<bool>(),
        ),
    )
        .prop_map(
            |(
                (start_sec, channel, outbound, refused),
                (w, handled, talk, acw, transfer, moved),
            )| Life {
                start_sec,
                channel,
                outbound: outbound && channel == 0,
                refused,
                wait_ms: w * 500,
                handled,
                talk_ms: talk * 1000 + 250,
                acw_ms: acw * 1000,
                transfer,
                moved,
            },
        )
}

fn events_of(sid: &str, l: &Life) -> TaskEvents {
    let channel = ["voice", "chat", "email", "sms"][l.channel];
    let attrs = if l.outbound {
        r#"{"direction":"outbound"}"#
    } else {
        "{}"
    };
    let t0 = t("10:00:00") + l.start_sec * 1000;
    let mut te = TaskEvents::new(sid, channel)
        .attributes(attrs)
        .task_at("task.created", t0)
        .queue_at("task-queue.entered", "WQsupport", t0);
    let mut q = "WQsupport";
    if l.moved {
        te = te.queue_at("task-queue.moved", "WQsales", t0 + l.wait_ms / 2);
        q = "WQsales";
    }
    for (i, kind) in l.refused.iter().enumerate() {
        let r = format!("{sid}R{i}");
        let kind = ["rejected", "timeout", "rescinded"][usize::from(*kind)];
        te = te
            .res_at("created", &r, "cid", q, t0)
            .res_at(kind, &r, "cid", q, t0 + l.wait_ms / 3);
    }
    let answer = t0 + l.wait_ms;
    if !l.handled {
        return te.task_at("task.canceled", answer);
    }
    let r = format!("{sid}A");
    te = te
        .res_at("created", &r, "ann", q, answer)
        .res_at("accepted", &r, "ann", q, answer);
    let mut end = answer + l.talk_ms;
    if l.transfer {
        te = te
            .queue_at("task-queue.entered", "WQchat", end)
            .res_at("wrapup", &r, "ann", q, end)
            .res_at("completed", &r, "ann", q, end + l.acw_ms);
        let r2 = format!("{sid}B");
        te = te
            .res_at("created", &r2, "bob", "WQchat", end + 1000)
            .res_at("accepted", &r2, "bob", "WQchat", end + 2000);
        end += 2000 + l.talk_ms;
        return te
            .res_at("wrapup", &r2, "bob", "WQchat", end)
            .task_at("task.wrapup", end)
            .res_at("completed", &r2, "bob", "WQchat", end + l.acw_ms)
            .task_at("task.completed", end + l.acw_ms);
    }
    te.res_at("wrapup", &r, "ann", q, end)
        .task_at("task.wrapup", end)
        .res_at("completed", &r, "ann", q, end + l.acw_ms)
        .task_at("task.completed", end + l.acw_ms)
}

fn arb_segment() -> impl Strategy<Value = Segment> {
    (
        0usize..3,
        0usize..6,
        0usize..3,
        0i64..5_400_000,
        prop::option::weighted(0.8, 0i64..1_500_000),
    )
        .prop_map(|(agent, state, reason, start, len)| {
            let states = [
                AgentState::LoggedOut,
                AgentState::Available,
                AgentState::Reserved,
                AgentState::OnContact,
                AgentState::AfterContactWork,
                AgentState::Unavailable,
            ];
            let start_ms = t("10:00:00") + start;
            Segment {
                worker_sid: format!("WK{agent}"),
                agent_id: ["ann", "bob", "cid"][agent].into(),
                state: states[state],
                reason_code: [None, Some("Lunch".to_string()), Some("Break".to_string())][reason]
                    .clone(),
                media_type: None,
                start_ms,
                end_ms: len.map(|l| start_ms + l),
            }
        })
}

/// Quarter-hours from 09:45 to 13:00 — every end the generators can produce lies inside.
fn quarter_hours() -> Vec<Interval> {
    (0..13)
        .map(|i| Interval::containing(t("09:45:00") + i * 900_000, 900_000))
        .collect()
}

proptest! {
    #[test]
    fn derive_task_is_independent_of_event_order(
        (ordered, shuffled) in life().prop_flat_map(|l| {
            let events = events_of("WTp", &l).events;
            (Just(events.clone()), Just(events).prop_shuffle())
        })
    ) {
        let media = MediaConfig::default();
        let a = derive_task(&ordered, &media, &AgentIdMode::FriendlyName);
        let b = derive_task(&shuffled, &media, &AgentIdMode::FriendlyName);
        prop_assert_eq!(a, b);
    }

    #[test]
    fn system_performance_parts_add_up_to_logged_in_and_never_exceed_the_interval(
        segments in prop::collection::vec(arb_segment(), 0..12),
        iv_index in 0usize..13,
    ) {
        let iv = quarter_hours()[iv_index];
        let data = queue_report(&[], &[], &segments, iv, &settings());
        for row in &data.agent_system_performance_report {
            let parts = row.available_sec + row.reserved_sec + row.on_contact_sec + row.acw_sec
                + row.unavailable_sec;
            prop_assert_eq!(parts, row.logged_in_sec);
            prop_assert_eq!(row.unavailable_by_reason.values().sum::<u64>(), row.unavailable_sec);
            prop_assert!(row.logged_in_sec <= 900);
        }
    }

    #[test]
    fn adjacent_intervals_count_each_task_once_and_each_ended_segment_once(
        lives in prop::collection::vec(life(), 0..6),
        durations in prop::collection::vec(0i64..1_200_000, 1..10),
    ) {
        let tasks: Vec<TaskRecord> = lives
            .iter()
            .enumerate()
            .map(|(i, l)| events_of(&format!("WT{i}"), l).derive().0)
            .collect();
        // One agent's contiguous chain of segments from 09:50, the last one open.
        let mut segments = Vec::new();
        let mut at = t("09:50:00");
        for (i, d) in durations.iter().enumerate() {
            let end = (i + 1 < durations.len()).then_some(at + d);
            segments.push(Segment {
                worker_sid: "WKann".into(),
                agent_id: "ann".into(),
                state: if i % 2 == 0 { AgentState::Available } else { AgentState::OnContact },
                reason_code: None,
                media_type: None,
                start_ms: at,
                end_ms: end,
            });
            at += d;
        }
        let expected_tasks = tasks.iter().filter(|t| t.counted && t.ended_ms.is_some()).count();
        let expected_segments = segments
            .iter()
            .filter(|s| s.end_ms.is_some_and(|e| e > s.start_ms))
            .count();
        let mut counted_tasks = 0;
        let mut reported_segments = Vec::new();
        for iv in quarter_hours() {
            let data = queue_report(&tasks, &[], &[], iv, &settings());
            for row in &data.queue_report {
                prop_assert_eq!(row.offered, row.handled + row.abandoned);
                counted_tasks += row.offered;
            }
            for row in agent_activity(&segments, iv) {
                reported_segments.push((row.start, row.end));
            }
        }
        prop_assert_eq!(counted_tasks, expected_tasks as u64);
        // And task by task: in exactly one interval if it is counted and ended, else in none.
        for task in &tasks {
            let one = std::slice::from_ref(task);
            let intervals = quarter_hours()
                .into_iter()
                .filter(|iv| !queue_report(one, &[], &[], *iv, &settings()).queue_report.is_empty())
                .count();
            prop_assert_eq!(intervals, usize::from(task.counted && task.ended_ms.is_some()));
        }
        let unique: std::collections::BTreeSet<_> = reported_segments.iter().collect();
        prop_assert_eq!(unique.len(), reported_segments.len());
        prop_assert_eq!(reported_segments.len(), expected_segments);
    }
}
