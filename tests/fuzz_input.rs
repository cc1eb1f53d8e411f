//! Input nobody planned for (issue 10): arbitrary bytes and arbitrary JSON fed to every parser of
//! what the peers send — TaskRouter's Events, Workers, Worker and Activities pages, the event
//! accessors, WFM's answers — and arbitrary event lists (as the page parser lets them through)
//! fed to the buffer's ingestion, derivation and the report builders. Nothing may panic; a page
//! is read or refused with an error, an answer is a delivery or not.
//!
//! Bounded for CI (`WFM_FUZZ_CASES`, default 256 cases per target, a few seconds); a longer run:
//! `WFM_FUZZ_CASES=100000 cargo test --release --locked --test fuzz_input`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: a failed unwrap is a failed test

mod common;

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use wfm_connector::acd::dto::{
    parse_activities_page, parse_event, parse_events_page, parse_worker, parse_workers_page,
};
use wfm_connector::model::{AcdEvent, EventData, Interval};
use wfm_connector::report::QueueReportSettings;
use wfm_connector::report::plan::{Schedule, build_interval, run_due};
use wfm_connector::store::Store;
use wfm_connector::wfm::answer::{excerpt, judge_success};

/// A Tuesday in 2026, on an interval boundary.
const T0: i64 = 1_795_600_800_000;
const MIN: i64 = 60_000;

fn cases() -> u32 {
    std::env::var("WFM_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: cases(),
        ..ProptestConfig::default()
    }
}

/// Numbers and strings that tend to break arithmetic and parsing.
fn awkward_scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!(i64::MIN)),
        Just(json!(i64::MAX)),
        Just(json!(u64::MAX)),
        Just(json!(-1)),
        Just(json!(0)),
        Just(json!(1e300)),
        Just(json!(-1e300)),
        Just(json!(0.5)),
        Just(json!("9223372036854775807")),
        Just(json!("-9223372036854775808")),
        Just(json!("99999999999999999999")),
        Just(json!("")),
        Just(json!("{")),
        Just(json!("{}")),
        Just(json!("[]")),
        Just(json!("null")),
        Just(json!("true")),
        Just(json!("2026-11-24T10:00:00Z")),
        Just(json!("2026-11-24T10:00:00.123+14:00")),
        Just(json!("0000-01-01T00:00:00Z")),
        Just(json!("9999-12-31T23:59:59Z")),
        Just(json!("Tue, 24 Nov 2026 10:00:00 +0000")),
        Just(json!("1795600800")),
        Just(json!("-62135596800000")),
    ]
}

/// Any JSON value, nested a few levels.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        ".{0,24}".prop_map(Value::String),
        awkward_scalar(),
    ];
    leaf.prop_recursive(3, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(".{0,8}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// The keys TaskRouter's bodies and `event_data` carry, and a few more.
const KEYS: &[&str] = &[
    "sid",
    "event_type",
    "event_date",
    "event_date_ms",
    "event_data",
    "resource_sid",
    "resource_type",
    "friendly_name",
    "activity_sid",
    "activity_name",
    "available",
    "attributes",
    "date_status_changed",
    "worker_sid",
    "worker_name",
    "worker_activity_sid",
    "worker_activity_name",
    "worker_attributes",
    "worker_time_in_previous_activity_ms",
    "reservation_sid",
    "task_sid",
    "task_queue_sid",
    "task_queue_name",
    "task_channel_unique_name",
    "task_attributes",
    "task_age",
    "task_date_created",
    "task_queue_entered_date",
    "meta",
    "next_page_url",
];

/// An object of known keys with arbitrary values.
fn keyed_object() -> impl Strategy<Value = Value> {
    prop::collection::btree_map(prop::sample::select(KEYS), any_json(), 0..10)
        .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect()))
}

/// A list page (`events`, `workers`, `activities`) of TaskRouter-ish items, or junk around it.
fn page(list: &'static str) -> impl Strategy<Value = Value> {
    let items = prop::collection::vec(prop_oneof![keyed_object(), any_json()], 0..8);
    (items, any_json(), any::<bool>()).prop_map(move |(items, meta, with_meta)| {
        let mut root = Map::new();
        root.insert(list.into(), Value::Array(items));
        if with_meta {
            root.insert("meta".into(), meta);
        }
        Value::Object(root)
    })
}

/// A body: arbitrary bytes, arbitrary JSON, or a page, serialised.
fn body(list: &'static str) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..256),
        any_json().prop_map(|v| v.to_string().into_bytes()),
        page(list).prop_map(|v| v.to_string().into_bytes()),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn taskrouter_pages_never_panic(
        events in body("events"),
        workers in body("workers"),
        worker in prop_oneof![body("workers"), keyed_object().prop_map(|v| v.to_string().into_bytes())],
        activities in body("activities"),
    ) {
        if let Ok(page) = parse_events_page(&events) {
            for e in &page.events {
                prop_assert!(!e.sid.is_empty());
                let _ = e.kind();
                let _ = e.order_key();
            }
        }
        let _ = parse_workers_page(&workers);
        let _ = parse_worker(&worker);
        let _ = parse_activities_page(&activities);
    }

    #[test]
    fn event_accessors_never_panic(data in prop::collection::btree_map(prop::sample::select(KEYS), any_json(), 0..12)) {
        let data = EventData::from(data.into_iter().map(|(k, v)| (k.to_string(), v)).collect::<serde_json::Map<_, _>>());
        for key in KEYS {
            let _ = data.str(key);
            let _ = data.i64(key);
            let _ = data.bool(key);
            let _ = data.json_object(key);
        }
    }

    #[test]
    fn wfm_answers_never_panic(
        status in prop_oneof![Just(200u16), Just(202), any::<u16>()],
        text in prop_oneof![
            ".{0,300}",
            any_json().prop_map(|v| v.to_string()),
            (prop_oneof![Just(json!("ACCEPTED")), Just(json!("PARTIAL")), Just(json!("REJECTED")), any_json()],
             prop::collection::vec(any_json(), 0..5))
                .prop_map(|(s, errors)| json!({"status": s, "errors": errors}).to_string()),
            (prop::collection::vec((any_json(), any_json()), 0..5)).prop_map(|errs| {
                let errors: Vec<Value> = errs.into_iter().map(|(i, m)| json!({"index": i, "message": m})).collect();
                json!({"status": "PARTIAL", "errors": errors}).to_string()
            }),
        ],
        items in prop_oneof![Just(0usize), Just(1), Just(500), any::<usize>()],
    ) {
        let _ = judge_success(status, &text, items);
    }

    /// The log excerpt of an answer never shows a token or key that the answer echoes, wherever
    /// it sits (before, across or after the 200-byte cut).
    #[test]
    fn answer_excerpts_never_show_a_secret(
        before in ".{0,300}",
        secret in "[A-Za-z0-9._-]{8,40}",
        after in ".{0,300}",
    ) {
        prop_assume!(!"[redacted]".contains(&secret));
        let text = format!("{before}{secret}{after}");
        let cut = excerpt(&text, &["", &secret]);
        prop_assert!(!cut.contains(&secret), "{cut}");
    }
}

// ---------------------------------------------------------------- derivation and reports

const KINDS: &[&str] = &[
    "worker.activity.update",
    "worker.activity",
    "worker.created",
    "worker.deleted",
    "worker.attributes.update",
    "worker.capacity.update",
    "reservation.created",
    "reservation.accepted",
    "reservation.rejected",
    "reservation.timeout",
    "reservation.canceled",
    "reservation.rescinded",
    "reservation.wrapup",
    "reservation.completed",
    "reservation.failed",
    "task.created",
    "task.canceled",
    "task.completed",
    "task.wrapup",
    "task.deleted",
    "task.system-deleted",
    "task.updated",
    "task-queue.entered",
    "task-queue.moved",
    "workflow.timeout",
    "something.new",
];

/// `event_data` with the real keys over a few workers, tasks and queues, values sometimes odd.
fn event_data() -> impl Strategy<Value = Value> {
    let pick = |xs: &'static [&'static str]| prop_oneof![4 => prop::sample::select(xs).prop_map(|s| json!(s)), 1 => any_json()];
    (
        pick(&["WK1", "WK2", "WK3"]),
        pick(&["agent1", "agent2", "agent3", ""]),
        pick(&["WAavailable", "WAbreak", "WAoffline"]),
        pick(&["Available", "Break", "Offline", "Training"]),
        pick(&["WT1", "WT2", "WT3"]),
        pick(&["WR1", "WR2", "WR3", "WR4"]),
        pick(&["WQ1", "WQ2"]),
        pick(&["voice", "chat", "email", "sms", ""]),
        prop_oneof![3 => (0i64..600).prop_map(|n| json!(n.to_string())), 1 => any_json()],
        prop::option::of(any_json()),
        prop::option::of(any_json()),
    )
        .prop_map(
            |(w, name, act, act_name, task, res, queue, channel, age, created, entered)| {
                let mut m = json!({
                    "worker_sid": w, "worker_name": name,
                    "worker_activity_sid": act, "worker_activity_name": act_name,
                    "worker_attributes": "{}",
                    "task_sid": task, "reservation_sid": res,
                    "task_queue_sid": queue, "task_queue_name": "Support",
                    "task_channel_unique_name": channel, "task_attributes": "{}",
                    "task_age": age,
                });
                if let Some(c) = created {
                    m["task_date_created"] = c;
                }
                if let Some(e) = entered {
                    m["task_queue_entered_date"] = e;
                }
                m
            },
        )
}

/// One event as TaskRouter would list it (then read by the real page parser): near `T0` mostly,
/// sometimes at any date the parser lets through.
fn wire_event() -> impl Strategy<Value = Value> {
    (
        0u32..40,
        prop::sample::select(KINDS),
        prop_oneof![
            8 => (-30 * MIN..45 * MIN).prop_map(|d| json!(T0 + d)),
            1 => any::<i64>().prop_map(|n| json!(n)),
            1 => awkward_scalar(),
        ],
        event_data(),
    )
        .prop_map(|(n, kind, date, data)| {
            json!({
                "sid": format!("EV{n:032}"),
                "event_type": kind,
                "event_date_ms": date,
                "resource_sid": data["worker_sid"].clone(),
                "resource_type": kind.split('.').next().unwrap_or(""),
                "event_data": data,
            })
        })
}

/// A temp dir for one case's buffer, in memory when the machine has `/dev/shm` (no fsync cost:
/// what is tested is the logic, not the disk).
fn scratch_dir() -> tempfile::TempDir {
    let shm = std::path::Path::new("/dev/shm");
    if shm.is_dir()
        && let Ok(dir) = tempfile::tempdir_in(shm)
    {
        return dir;
    }
    tempfile::tempdir().unwrap()
}

/// The events of a page the parser accepted.
fn parsed(items: &[Value]) -> Vec<AcdEvent> {
    items.iter().filter_map(parse_event).collect()
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_events_go_through_ingest_derivation_and_reports_without_panic(
        pages in prop::collection::vec(prop::collection::vec(wire_event(), 0..12), 1..4),
        now_offset in 0i64..60 * MIN,
    ) {
        let dir = scratch_dir();
        let mut store = Store::open(&dir.path().join("buffer.db")).unwrap();
        let mut ctx = common::ctx();
        let now = T0 + now_offset;
        ctx.accept_until = now + 5 * MIN;
        store.begin_observation(T0 - 30 * MIN, T0 - 30 * MIN).unwrap();
        for (i, page) in pages.iter().enumerate() {
            let events = parsed(page);
            let cursor = T0 + (i as i64 + 1) * 10 * MIN;
            // An error is a refusal, not a panic: both are fine here; only a panic fails.
            let _ = store.ingest(&events, Some(cursor), &ctx, now);
        }
        let settings = QueueReportSettings::default();
        for start in [T0 - 15 * MIN, T0, T0 + 15 * MIN, T0 + 30 * MIN] {
            let _ = build_interval(&store, &settings, Interval { start_ms: start, end_ms: start + 15 * MIN });
        }
        let schedule = Schedule {
            interval_ms: 15 * MIN,
            settle_ms: 2 * MIN,
            resend_window_ms: 135 * MIN,
            retention_ms: 7 * 24 * 60 * MIN,
        };
        let _ = run_due(&mut store, &settings, &schedule, T0 + 50 * MIN);
        let _ = store.current_states();
        let _ = store.status(10);
    }
}
