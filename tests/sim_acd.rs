//! Black-box tests of `sim acd` through real HTTP on loopback: paging, windows, auth, Twilio's
//! shapes, the synthetic centre's determinism and lifecycles, and every fault. Time is driven with
//! a `ManualClock`; nothing waits on a sleep.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: a failed unwrap is a failed test

use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};
use wfm_connector::clock::{ManualClock, parse_rfc3339_ms, rfc3339_ms};
use wfm_connector::model::Millis;
use wfm_connector::sim::acd::{
    Faults, JunkKind, MalformedKind, Outage, OutageKind, ReservationEventKind, Script,
    SimAcdHandle, SimAcdOptions, SimMode, TaskEventKind, TaskQueueEventKind, WorkerEventKind,
    start,
};

const MINUTE: Millis = 60_000;
const HOUR: Millis = 60 * MINUTE;

fn t0() -> Millis {
    parse_rfc3339_ms("2026-11-20T10:00:00Z").unwrap()
}

async fn scripted(clock: &ManualClock) -> SimAcdHandle {
    start(SimAcdOptions::scripted(Arc::new(clock.clone())))
        .await
        .unwrap()
}

async fn centre(clock: &ManualClock, seed: u64, agents: u32, tasks_per_hour: f64) -> SimAcdHandle {
    start(SimAcdOptions {
        mode: SimMode::Centre,
        clock: Arc::new(clock.clone()),
        seed,
        agents,
        tasks_per_hour,
        ..SimAcdOptions::default()
    })
    .await
    .unwrap()
}

async fn get(sim: &SimAcdHandle, url: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(url)
        .basic_auth(sim.username(), Some(sim.password()))
        .send()
        .await
        .unwrap()
}

async fn get_json(sim: &SimAcdHandle, url: &str) -> Value {
    let response = get(sim, url).await;
    assert_eq!(response.status(), 200, "GET {url}");
    response.json().await.unwrap()
}

fn resource_url(sim: &SimAcdHandle, resource: &str, query: &str) -> String {
    format!(
        "{}/v1/Workspaces/{}/{resource}?{query}",
        sim.base_url(),
        sim.workspace_sid()
    )
}

fn window_query(start: Millis, end: Millis, page_size: usize) -> String {
    format!(
        "StartDate={}&EndDate={}&PageSize={page_size}",
        rfc3339_ms(start),
        rfc3339_ms(end)
    )
}

/// Follows `next_page_url` to the end; returns every item and the number of pages.
async fn read_all(sim: &SimAcdHandle, first_url: &str, key: &str) -> (Vec<Value>, usize) {
    let mut items = Vec::new();
    let mut url = first_url.to_owned();
    let mut pages = 0;
    loop {
        let page = get_json(sim, &url).await;
        pages += 1;
        assert_eq!(page["meta"]["key"], key);
        items.extend(page[key].as_array().unwrap().iter().cloned());
        match page["meta"]["next_page_url"].as_str() {
            Some(next) => url = next.to_owned(),
            None => return (items, pages),
        }
    }
}

async fn events_in(sim: &SimAcdHandle, start: Millis, end: Millis) -> Vec<Value> {
    let url = resource_url(sim, "Events", &window_query(start, end, 1000));
    read_all(sim, &url, "events").await.0
}

fn sids(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["sid"].as_str().unwrap().to_owned())
        .collect()
}

fn keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    keys
}

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Paging, windows, auth, shapes

#[tokio::test]
async fn paging_follows_next_page_url_and_returns_each_event_once() {
    let clock = ManualClock::new(t0() + HOUR);
    let sim = scripted(&clock).await;
    let mut pushed = HashSet::new();
    for i in 0..2_345 {
        let worker = format!("agent{:04}", i % 7);
        let activity = ["Available", "Break", "Lunch"][i % 3];
        // Several events share a millisecond: paging must not split them wrongly.
        let at = t0() + (i as Millis / 3) * 100;
        pushed.insert(
            sim.push(Script::worker_activity(&worker, activity, at))
                .unwrap(),
        );
    }
    let first = resource_url(&sim, "Events", &window_query(t0(), t0() + HOUR, 100));
    let first_page = get_json(&sim, &first).await;
    assert!(first_page["meta"]["previous_page_url"].is_null());
    let second = get_json(&sim, first_page["meta"]["next_page_url"].as_str().unwrap()).await;
    assert!(second["meta"]["previous_page_url"].is_string());
    assert_eq!(second["meta"]["page"], 1);
    let back = get_json(&sim, second["meta"]["previous_page_url"].as_str().unwrap()).await;
    assert_eq!(
        sids(back["events"].as_array().unwrap()),
        sids(first_page["events"].as_array().unwrap())
    );

    let (events, pages) = read_all(&sim, &first, "events").await;
    assert_eq!(pages, 24);
    assert_eq!(events.len(), 2_345);
    let got: HashSet<String> = sids(&events).into_iter().collect();
    assert_eq!(got, pushed, "each event exactly once");
    let times: Vec<i64> = events
        .iter()
        .map(|e| e["event_date_ms"].as_i64().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");
    assert!(
        first_page["meta"]["next_page_url"]
            .as_str()
            .unwrap()
            .starts_with(&sim.base_url())
    );
}

#[tokio::test]
async fn events_window_includes_start_and_end_as_twilio_documents() {
    // Twilio: StartDate "on or after", EndDate "on or before".
    let clock = ManualClock::new(t0() + HOUR);
    let sim = scripted(&clock).await;
    let end = t0() + 10 * MINUTE;
    for at in [t0() - 1, t0(), t0() + 500, end - 1, end] {
        sim.push(Script::worker_activity("alice", "Break", at))
            .unwrap();
    }
    let times = |events: Vec<Value>| -> Vec<i64> {
        events
            .iter()
            .map(|e| e["event_date_ms"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(
        times(events_in(&sim, t0(), end).await),
        vec![end, end - 1, t0() + 500, t0()]
    );

    // Whole seconds and fractional seconds are both accepted.
    let query = format!(
        "StartDate=2026-11-20T10:00:00.500Z&EndDate={}",
        "2026-11-20T10:10:00Z"
    );
    let page = get_json(&sim, &resource_url(&sim, "Events", &query)).await;
    assert_eq!(
        times(page["events"].as_array().unwrap().clone()),
        vec![end, end - 1, t0() + 500]
    );

    let bad = get(&sim, &resource_url(&sim, "Events", "StartDate=yesterday")).await;
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn events_default_to_the_last_15_minutes() {
    let clock = ManualClock::new(t0() + HOUR);
    let sim = scripted(&clock).await;
    sim.push(Script::worker_activity(
        "alice",
        "Break",
        t0() + HOUR - 16 * MINUTE,
    ))
    .unwrap();
    sim.push(Script::worker_activity(
        "alice",
        "Lunch",
        t0() + HOUR - MINUTE,
    ))
    .unwrap();
    let page = get_json(&sim, &resource_url(&sim, "Events", "")).await;
    let events = page["events"].as_array().unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["event_data"]["worker_activity_name"], "Lunch");
}

#[tokio::test]
async fn missing_or_wrong_credentials_get_401_with_twilio_error() {
    let clock = ManualClock::new(t0());
    let sim = scripted(&clock).await;
    let url = resource_url(&sim, "Events", "");
    let client = reqwest::Client::new();

    let anonymous = client.get(&url).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    assert!(anonymous.headers().contains_key("www-authenticate"));
    let body: Value = anonymous.json().await.unwrap();
    assert_eq!(body["code"], 20003);
    assert_eq!(body["status"], 401);
    assert!(body["message"].is_string() && body["more_info"].is_string());

    let wrong = client
        .get(&url)
        .basic_auth(sim.username(), Some("not-the-password"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    assert_eq!(get(&sim, &url).await.status(), 200);
    assert_eq!(sim.counters().unauthorized, 2);
}

#[tokio::test]
async fn unknown_workspace_gets_404_with_twilio_error() {
    let clock = ManualClock::new(t0());
    let sim = scripted(&clock).await;
    let url = format!(
        "{}/v1/Workspaces/WS00000000000000000000000000000000/Events",
        sim.base_url()
    );
    let response = get(&sim, &url).await;
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert_eq!(keys(&body), ["code", "message", "more_info", "status"]);
    assert_eq!(body["code"], 20404);
    assert_eq!(body["status"], 404);
}

#[tokio::test]
async fn responses_have_the_shapes_of_the_openapi_examples() {
    let clock = ManualClock::new(t0());
    let sim = scripted(&clock).await;
    sim.add_worker("alice", "Available").unwrap();
    sim.push(Script::worker_activity("alice", "Offline", t0() + 26_123))
        .unwrap();
    clock.set(t0() + HOUR);

    let events = get_json(
        &sim,
        &resource_url(&sim, "Events", &window_query(t0(), t0() + HOUR, 50)),
    )
    .await;
    let expected = fixture("twilio_events_readFull.json");
    assert_eq!(keys(&events), keys(&expected));
    assert_eq!(keys(&events["meta"]), keys(&expected["meta"]));
    let event = &events["events"][0];
    let example = &expected["events"][0];
    assert_eq!(keys(event), keys(example));
    // TaskRouter's example lacks the previous-activity keys that real updates carry.
    let data_keys = keys(&event["event_data"]);
    for key in keys(&example["event_data"]) {
        assert!(data_keys.contains(&key), "{key} missing in {data_keys:?}");
    }
    assert_eq!(
        event["event_data"]["worker_previous_activity_name"],
        "Available"
    );
    // Types as in the OpenAPI schema.
    assert!(event["event_date_ms"].is_i64());
    for key in [
        "account_sid",
        "actor_url",
        "description",
        "event_date",
        "event_type",
        "resource_url",
        "sid",
        "url",
    ] {
        assert!(event[key].is_string(), "{key}");
    }
    let sid = event["sid"].as_str().unwrap();
    assert!(
        sid.len() == 34 && sid.starts_with("EV") && sid[2..].chars().all(|c| c.is_ascii_hexdigit())
    );
    assert_eq!(event["event_type"], "worker.activity.update");
    assert_eq!(event["resource_type"], "worker");
    assert_eq!(
        event["event_data"]["worker_time_in_previous_activity_ms"],
        "26123"
    );
    assert_eq!(
        event["event_data"]["worker_time_in_previous_activity"],
        "26"
    );
    assert_eq!(
        parse_rfc3339_ms(event["event_date"].as_str().unwrap()),
        Some(t0() + 26_000)
    );

    let workers = get_json(&sim, &resource_url(&sim, "Workers", "")).await;
    let expected = fixture("twilio_workers_readFull.json");
    assert_eq!(keys(&workers), keys(&expected));
    assert_eq!(
        keys(&workers["meta"]),
        keys(&fixture("twilio_workers_readEmpty.json")["meta"])
    );
    assert_eq!(keys(&workers["workers"][0]), keys(&expected["workers"][0]));
    assert_eq!(
        keys(&workers["workers"][0]["links"]),
        keys(&expected["workers"][0]["links"])
    );

    let activities = get_json(&sim, &resource_url(&sim, "Activities", "")).await;
    let expected = fixture("twilio_activities_readFull.json");
    assert_eq!(keys(&activities), keys(&expected));
    assert_eq!(keys(&activities["meta"]), keys(&expected["meta"]));
    assert_eq!(
        keys(&activities["activities"][0]),
        keys(&expected["activities"][0])
    );
    let names: Vec<(&str, bool)> = activities["activities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["friendly_name"].as_str().unwrap(),
                a["available"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            ("Available", true),
            ("Offline", false),
            ("Break", false),
            ("Lunch", false),
            ("Training", false)
        ]
    );
}

/// `ListEventResponse` of the OpenAPI spec, strictly: unknown or mistyped fields fail.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct ListEventResponse {
    events: Vec<OpenApiEvent>,
    meta: OpenApiMeta,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct OpenApiEvent {
    account_sid: Option<String>,
    actor_sid: Option<String>,
    actor_type: Option<String>,
    actor_url: Option<String>,
    description: Option<String>,
    event_data: Option<serde_json::Map<String, Value>>,
    event_date: Option<String>,
    event_date_ms: Option<i64>,
    event_type: Option<String>,
    resource_sid: Option<String>,
    resource_type: Option<String>,
    resource_url: Option<String>,
    sid: Option<String>,
    source: Option<String>,
    source_ip_address: Option<String>,
    url: Option<String>,
    workspace_sid: Option<String>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct OpenApiMeta {
    first_page_url: String,
    key: String,
    next_page_url: Option<String>,
    page: u64,
    page_size: u64,
    previous_page_url: Option<String>,
    url: String,
}

#[tokio::test]
async fn events_pages_deserialise_strictly_as_the_openapi_schema() {
    let clock = ManualClock::new(t0() + HOUR);
    let sim = start(SimAcdOptions {
        clock: Arc::new(clock.clone()),
        agents: 40,
        tasks_per_hour: 1_000.0,
        history: Duration::from_secs(3600),
        ..SimAcdOptions::default()
    })
    .await
    .unwrap();
    let mut url = Some(resource_url(
        &sim,
        "Events",
        &window_query(t0(), t0() + HOUR + 1, 200),
    ));
    let mut seen = 0;
    while let Some(next) = url.take() {
        let page: ListEventResponse = get(&sim, &next).await.json().await.unwrap();
        seen += page.events.len();
        assert!(
            page.events
                .iter()
                .all(|e| e.sid.as_deref().is_some_and(|s| s.starts_with("EV")))
        );
        url = page.meta.next_page_url;
    }
    assert_eq!(seen, sim.event_count());
    // The fixture itself passes the same check.
    serde_json::from_value::<ListEventResponse>(fixture("twilio_events_readFull.json")).unwrap();
}

#[tokio::test]
async fn scripted_reservation_and_task_events_carry_taskrouter_keys() {
    let clock = ManualClock::new(t0() + HOUR);
    let sim = scripted(&clock).await;
    sim.add_worker("alice", "Available").unwrap();
    let attrs = json!({"direction": "outbound", "channelType": "voice"});
    sim.push(Script::task(
        TaskEventKind::Created,
        "WT1",
        "Support",
        "voice",
        attrs,
        t0(),
    ))
    .unwrap();
    sim.push(Script::task_queue(
        TaskQueueEventKind::Entered,
        "WT1",
        "Support",
        "voice",
        t0(),
    ))
    .unwrap();
    sim.push(Script::reservation(
        ReservationEventKind::Accepted,
        "alice",
        "WT1",
        "WR1",
        "Support",
        "voice",
        t0() + 12_400,
    ))
    .unwrap();
    let events = events_in(&sim, t0(), t0() + HOUR).await;
    let reservation = &events[0];
    assert_eq!(reservation["event_type"], "reservation.accepted");
    let data = &reservation["event_data"];
    for key in [
        "worker_sid",
        "worker_name",
        "worker_activity_sid",
        "worker_activity_name",
        "worker_attributes",
        "reservation_sid",
        "task_sid",
        "task_queue_sid",
        "task_queue_name",
        "task_channel_unique_name",
        "task_attributes",
        "task_age",
    ] {
        assert!(data[key].is_string(), "{key} in {data}");
    }
    assert_eq!(data["task_age"], "12");
    assert_eq!(data["reservation_sid"], "WR1");
    let task_attributes: Value =
        serde_json::from_str(data["task_attributes"].as_str().unwrap()).unwrap();
    assert_eq!(task_attributes["direction"], "outbound");
    let entered = &events[1];
    assert_eq!(entered["event_type"], "task-queue.entered");
    assert_eq!(entered["resource_type"], "taskqueue");
    assert_eq!(entered["event_data"]["task_assignment_status"], "pending");
    assert_eq!(
        entered["event_data"]["task_queue_sid"],
        sim.queue_sid("Support")
    );
}

// ---------------------------------------------------------------------------------------------
// Workers and Activities

#[tokio::test]
async fn workers_list_follows_pushed_worker_events() {
    let clock = ManualClock::new(t0() + HOUR);
    let sim = scripted(&clock).await;
    let alice = sim.add_worker("alice", "Available").unwrap();
    let bob = sim.add_worker("bob", "Offline").unwrap();
    sim.push(Script::worker_activity("alice", "Break", t0() + 1_000))
        .unwrap();
    sim.push(Script::worker_activity(&bob, "Available", t0() + 2_000))
        .unwrap();
    sim.push(Script::worker(
        WorkerEventKind::LegacyActivity,
        "alice",
        Some("Lunch"),
        t0() + 3_000,
    ))
    .unwrap();
    // A late, older event is in the log but does not rewind the present.
    sim.push(Script::worker_activity("alice", "Training", t0() + 500))
        .unwrap();
    sim.push(Script::worker(
        WorkerEventKind::Created,
        "carol",
        Some("Available"),
        t0() + 4_000,
    ))
    .unwrap();
    sim.push(Script::worker(
        WorkerEventKind::Deleted,
        "carol",
        None,
        t0() + 5_000,
    ))
    .unwrap();

    let (workers, _) = read_all(
        &sim,
        &resource_url(&sim, "Workers", "PageSize=1"),
        "workers",
    )
    .await;
    let by_name: HashMap<&str, &Value> = workers
        .iter()
        .map(|w| (w["friendly_name"].as_str().unwrap(), w))
        .collect();
    assert_eq!(by_name.len(), 2, "deleted workers are not listed");
    assert_eq!(by_name["alice"]["activity_name"], "Lunch");
    assert_eq!(by_name["alice"]["available"], false);
    assert_eq!(by_name["alice"]["sid"], alice.as_str());
    assert_eq!(
        parse_rfc3339_ms(by_name["alice"]["date_status_changed"].as_str().unwrap()),
        Some(t0() + 3_000)
    );
    assert_eq!(
        by_name["alice"]["attributes"],
        Value::Null,
        "null in lists (SPEC §3)"
    );
    assert_eq!(by_name["bob"]["activity_name"], "Available");
    assert_eq!(by_name["bob"]["available"], true);
    assert_eq!(
        by_name["bob"]["activity_sid"],
        sim.activity_sid("Available").unwrap().as_str()
    );

    let single = get_json(
        &sim,
        &format!(
            "{}/v1/Workspaces/{}/Workers/{alice}",
            sim.base_url(),
            sim.workspace_sid()
        ),
    )
    .await;
    assert_eq!(single["attributes"], r#"{"logon":"alice"}"#);

    let lunch = events_in(&sim, t0() + 3_000, t0() + 3_001).await;
    assert_eq!(lunch[0]["event_type"], "worker.activity");
    assert_eq!(
        lunch[0]["event_data"]["worker_previous_activity_name"],
        "Break"
    );
    assert_eq!(
        lunch[0]["event_data"]["worker_time_in_previous_activity_ms"],
        "2000"
    );

    let created = events_in(&sim, t0() + 4_000, t0() + 4_001).await;
    assert_eq!(created[0]["event_type"], "worker.created");
    assert!(
        created[0]["event_data"]
            .get("worker_previous_activity_sid")
            .is_none()
    );

    let available = get_json(&sim, &resource_url(&sim, "Workers", "Available=true")).await;
    assert_eq!(available["workers"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn workers_page_through_next_page_url() {
    let clock = ManualClock::new(t0());
    let sim = centre(&clock, 3, 120, 0.0).await;
    let (workers, pages) = read_all(
        &sim,
        &resource_url(&sim, "Workers", "PageSize=50"),
        "workers",
    )
    .await;
    assert_eq!(pages, 3);
    let names: HashSet<&str> = workers
        .iter()
        .map(|w| w["friendly_name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 120);
    assert!(names.contains("agent0001") && names.contains("agent0120"));
}

// ---------------------------------------------------------------------------------------------
// The synthetic centre

/// What must not depend on the port: sid, type, time and data.
fn essence(events: &[Value]) -> Vec<(String, String, i64, String)> {
    events
        .iter()
        .map(|e| {
            (
                e["sid"].as_str().unwrap().to_owned(),
                e["event_type"].as_str().unwrap().to_owned(),
                e["event_date_ms"].as_i64().unwrap(),
                e["event_data"].to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn centre_is_deterministic_for_a_seed_however_time_is_stepped() {
    let clock = ManualClock::new(t0());
    let one_step = centre(&clock, 7, 100, 1_500.0).await;
    let small_steps = centre(&clock, 7, 100, 1_500.0).await;
    let other_seed = centre(&clock, 8, 100, 1_500.0).await;
    let end = t0() + HOUR;
    one_step.advance_to(end);
    other_seed.advance_to(end);
    let mut at = t0();
    while at < end {
        at += 37_000;
        small_steps.advance_to(at.min(end));
    }
    let a = essence(&one_step.events());
    assert!(a.len() > 5_000, "{} events", a.len());
    assert_eq!(a, essence(&small_steps.events()));
    assert_ne!(a, essence(&other_seed.events()));
    let unique: HashSet<&String> = a.iter().map(|e| &e.0).collect();
    assert_eq!(unique.len(), a.len(), "event sids are unique");
}

fn data<'a>(event: &'a Value, key: &str) -> &'a str {
    event["event_data"][key].as_str().unwrap_or_default()
}

#[tokio::test]
async fn centre_task_lifecycles_are_consistent() {
    let clock = ManualClock::new(t0());
    let sim = centre(&clock, 11, 150, 1_300.0).await;
    sim.advance_to(t0() + 2 * HOUR);
    sim.set_tasks_per_hour(0.0);
    // Long enough for every task in progress to finish (talk ≤ 50 min, patience ≤ 30 min).
    clock.set(t0() + 5 * HOUR);
    let events = events_in(&sim, t0(), t0() + 5 * HOUR + 1).await;
    assert_eq!(events.len(), sim.event_count(), "every event is served");
    let mut ordered = events.clone();
    ordered.reverse(); // oldest first

    let mut tasks: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut reservations: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut types: BTreeMap<String, usize> = BTreeMap::new();
    let mut last_activity: HashMap<String, String> = HashMap::new();
    let mut outbound = 0;
    for e in &ordered {
        let kind = e["event_type"].as_str().unwrap().to_owned();
        *types.entry(kind.clone()).or_default() += 1;
        if kind.starts_with("reservation.") {
            reservations
                .entry(data(e, "reservation_sid").into())
                .or_default()
                .push(kind.clone());
            if kind == "reservation.created" {
                assert_eq!(
                    data(e, "worker_activity_name"),
                    "Available",
                    "offers go to Available agents"
                );
            }
        } else if kind.starts_with("task") {
            tasks
                .entry(data(e, "task_sid").into())
                .or_default()
                .push(kind.clone());
            if kind == "task.created" && data(e, "task_attributes").contains("outbound") {
                outbound += 1;
            }
        } else if kind.starts_with("worker.activity") {
            last_activity.insert(
                data(e, "worker_sid").into(),
                data(e, "worker_activity_name").into(),
            );
        }
    }
    for (sid, lifecycle) in &reservations {
        let ends: Vec<&[&str]> = vec![
            &[
                "reservation.created",
                "reservation.accepted",
                "reservation.wrapup",
                "reservation.completed",
            ],
            &["reservation.created", "reservation.rejected"],
            &["reservation.created", "reservation.timeout"],
            &["reservation.created", "reservation.failed"],
            &["reservation.created", "reservation.canceled"],
        ];
        assert!(
            ends.iter().any(|end| lifecycle == end),
            "reservation {sid}: {lifecycle:?}"
        );
    }
    for (sid, lifecycle) in &tasks {
        assert_eq!(lifecycle[0], "task.created", "task {sid}");
        assert_eq!(lifecycle[1], "task-queue.entered", "task {sid}");
        let last = lifecycle.last().unwrap();
        assert!(
            last == "task.completed" || last == "task.canceled",
            "task {sid}: {lifecycle:?}"
        );
        let terminal = lifecycle
            .iter()
            .filter(|k| *k == "task.completed" || *k == "task.canceled")
            .count();
        assert_eq!(terminal, 1, "task {sid}: {lifecycle:?}");
        if last == "task.completed" {
            assert!(lifecycle.contains(&"task.wrapup".to_owned()), "task {sid}");
        }
    }
    for kind in [
        "reservation.accepted",
        "reservation.rejected",
        "reservation.timeout",
        "reservation.failed",
        "reservation.canceled",
        "task.canceled",
        "task-queue.moved",
        "worker.activity.update",
        "worker.activity",
    ] {
        assert!(
            types.get(kind).copied().unwrap_or(0) > 0,
            "no {kind} in {types:?}"
        );
    }
    assert!(outbound > 0);

    // Chat agents multitask: some agent holds two accepted chats at once.
    let mut open_chats: HashMap<String, i32> = HashMap::new();
    let mut most = 0;
    for e in &ordered {
        if data(e, "task_channel_unique_name") != "chat" {
            continue;
        }
        let worker = data(e, "worker_sid").to_owned();
        match e["event_type"].as_str().unwrap() {
            "reservation.accepted" => *open_chats.entry(worker.clone()).or_default() += 1,
            "reservation.completed" => *open_chats.entry(worker.clone()).or_default() -= 1,
            _ => {}
        }
        most = most.max(open_chats.get(&worker).copied().unwrap_or(0));
    }
    assert!(most >= 2, "no multitasking chat agent");

    // The Workers list is the last worker event of each worker.
    let (workers, _) = read_all(
        &sim,
        &resource_url(&sim, "Workers", "PageSize=1000"),
        "workers",
    )
    .await;
    assert_eq!(workers.len(), 150);
    for w in &workers {
        if let Some(last) = last_activity.get(w["sid"].as_str().unwrap()) {
            assert_eq!(w["activity_name"].as_str().unwrap(), last, "{w}");
        }
        assert_eq!(w["available"], w["activity_name"] == "Available");
    }
}

#[tokio::test]
async fn centre_event_data_numbers_are_strings_and_attributes_are_json_strings() {
    let clock = ManualClock::new(t0() + HOUR);
    let sim = start(SimAcdOptions {
        clock: Arc::new(clock.clone()),
        agents: 100,
        tasks_per_hour: 2_000.0,
        history: Duration::from_secs(3600),
        ..SimAcdOptions::default()
    })
    .await
    .unwrap();
    let events = events_in(&sim, t0(), t0() + HOUR + 1).await;
    assert!(events.len() > 1_000);
    for e in &events {
        let data = e["event_data"].as_object().unwrap();
        for (key, value) in data {
            assert!(value.is_string(), "{key} = {value} in {}", e["event_type"]);
        }
        for key in ["worker_attributes", "task_attributes"] {
            if let Some(text) = data.get(key) {
                let parsed: Value = serde_json::from_str(text.as_str().unwrap()).unwrap();
                assert!(parsed.is_object());
            }
        }
        for key in ["task_age", "worker_time_in_previous_activity_ms"] {
            if let Some(text) = data.get(key) {
                text.as_str().unwrap().parse::<i64>().unwrap();
            }
        }
        let kind = e["event_type"].as_str().unwrap();
        if kind.starts_with("reservation.") {
            for key in [
                "worker_sid",
                "worker_name",
                "reservation_sid",
                "task_sid",
                "task_queue_sid",
                "task_queue_name",
                "task_channel_unique_name",
                "task_attributes",
                "task_age",
            ] {
                assert!(data.contains_key(key), "{key} missing in {kind}");
            }
        }
        if kind.starts_with("task") {
            assert!(data.contains_key("task_assignment_status"), "{kind}");
        }
        let sid = e["resource_sid"].as_str().unwrap();
        let prefix = match e["resource_type"].as_str().unwrap() {
            "worker" => "WK",
            "reservation" => "WR",
            "task" => "WT",
            "taskqueue" => "WQ",
            other => panic!("resource_type {other}"),
        };
        assert!(sid.starts_with(prefix) && sid.len() == 34, "{sid}");
    }
    let names: HashSet<&str> = events
        .iter()
        .filter_map(|e| e["event_data"]["worker_name"].as_str())
        .collect();
    assert!(names.iter().all(|n| n.starts_with("agent")));
}

// ---------------------------------------------------------------------------------------------
// Faults

async fn one_worker_event(clock: &ManualClock) -> SimAcdHandle {
    let sim = scripted(clock).await;
    sim.push(Script::worker_activity(
        "alice",
        "Break",
        clock_now(clock) - 1_000,
    ))
    .unwrap();
    sim
}

fn clock_now(clock: &ManualClock) -> Millis {
    use wfm_connector::clock::Clock;
    clock.now_ms()
}

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after_then_recovers() {
    let clock = ManualClock::new(t0());
    let sim = one_worker_event(&clock).await;
    sim.set_faults(Faults {
        rate_limit_next: 2,
        retry_after_secs: 7,
        ..Faults::default()
    });
    let url = resource_url(&sim, "Events", "PageSize=10");
    for _ in 0..2 {
        let response = get(&sim, &url).await;
        assert_eq!(response.status(), 429);
        assert_eq!(response.headers()["retry-after"], "7");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["status"], 429);
    }
    assert_eq!(get(&sim, &url).await.status(), 200);
    let statuses: Vec<u16> = sim.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [429, 429, 200]);
    let log = sim.requests();
    assert_eq!(
        log[0].path_and_query,
        "/v1/Workspaces/".to_owned() + &sim.workspace_sid() + "/Events?PageSize=10"
    );
    assert_eq!(log[0].fault, Some("rate_limit"));
    assert_eq!(log[0].at_ms, t0());
    assert_eq!(sim.counters().rate_limited, 2);
    assert_eq!(sim.faults().rate_limit_next, 0);

    sim.set_faults(Faults {
        rate_limit_rate: 1.0,
        ..Faults::default()
    });
    assert_eq!(get(&sim, &url).await.status(), 429);
}

#[tokio::test]
async fn error_faults_answer_5xx() {
    let clock = ManualClock::new(t0());
    let sim = one_worker_event(&clock).await;
    let url = resource_url(&sim, "Events", "");
    sim.set_faults(Faults {
        error_rate: 1.0,
        ..Faults::default()
    });
    for _ in 0..6 {
        let status = get(&sim, &url).await.status().as_u16();
        assert!(status == 500 || status == 503, "{status}");
    }
    sim.set_faults(Faults {
        error_next: 1,
        ..Faults::default()
    });
    assert_eq!(get(&sim, &url).await.status(), 503);
    assert_eq!(get(&sim, &url).await.status(), 200);
    assert_eq!(sim.counters().server_errors, 7);
}

#[tokio::test]
async fn malformed_bodies_are_truncated_or_mistyped() {
    let clock = ManualClock::new(t0());
    let sim = one_worker_event(&clock).await;
    let url = resource_url(&sim, "Events", "");
    sim.set_faults(Faults {
        malformed_next: 1,
        ..Faults::default()
    });
    let response = get(&sim, &url).await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert!(
        serde_json::from_str::<Value>(&text).is_err(),
        "not valid JSON: {text}"
    );
    get_json(&sim, &url).await; // the next one is fine

    sim.set_faults(Faults {
        malformed_rate: 1.0,
        malformed_kind: MalformedKind::WrongTypes,
        ..Faults::default()
    });
    let body = get_json(&sim, &url).await;
    assert!(body["events"].is_string());
    assert!(body["meta"]["next_page_url"].is_number());
    assert_eq!(sim.counters().malformed, 2);
}

#[tokio::test]
async fn late_event_is_invisible_before_its_time_and_visible_after() {
    let clock = ManualClock::new(t0() + 1_000);
    let sim = scripted(&clock).await;
    sim.push(Script::worker_activity("alice", "Break", t0()).late_by(5_000))
        .unwrap();
    sim.push(Script::worker_activity("bob", "Break", t0() + 500))
        .unwrap();
    let names = |events: Vec<Value>| -> Vec<String> {
        events
            .iter()
            .map(|e| data(e, "worker_name").to_owned())
            .collect()
    };
    assert_eq!(names(events_in(&sim, t0(), t0() + HOUR).await), ["bob"]);
    assert_eq!(sim.event_count(), 2);
    assert_eq!(sim.visible_event_count(), 1);
    // The Workers list already shows the change: only the Events feed lags.
    let workers = get_json(&sim, &resource_url(&sim, "Workers", "FriendlyName=alice")).await;
    assert_eq!(workers["workers"][0]["activity_name"], "Break");

    clock.set(t0() + 4_999);
    assert_eq!(names(events_in(&sim, t0(), t0() + HOUR).await), ["bob"]);
    clock.set(t0() + 5_000);
    assert_eq!(
        names(events_in(&sim, t0(), t0() + HOUR).await),
        ["bob", "alice"]
    );
}

#[tokio::test]
async fn centre_late_events_show_up_after_their_delay() {
    let clock = ManualClock::new(t0());
    let sim = start(SimAcdOptions {
        clock: Arc::new(clock.clone()),
        agents: 100,
        tasks_per_hour: 3_000.0,
        faults: Faults {
            late_event_rate: 0.3,
            late_by: Duration::from_secs(20),
            ..Faults::default()
        },
        ..SimAcdOptions::default()
    })
    .await
    .unwrap();
    clock.set(t0() + 30 * MINUTE);
    let now = t0() + 30 * MINUTE;
    let generated: Vec<Value> = sim
        .events()
        .into_iter()
        .filter(|e| e["event_date_ms"].as_i64().unwrap() > now - 20_000)
        .collect();
    let visible = events_in(&sim, now - 20_000, now + 1).await;
    assert!(!generated.is_empty());
    assert!(
        visible.len() < generated.len(),
        "{} of {}",
        visible.len(),
        generated.len()
    );
    clock.set(now + 20_000);
    assert_eq!(
        events_in(&sim, now - 20_000, now + 1).await.len(),
        generated.len()
    );
}

#[tokio::test]
async fn junk_event_data_is_served_as_asked() {
    let clock = ManualClock::new(t0() + HOUR);
    let sim = scripted(&clock).await;
    sim.push(Script::worker_activity("a", "Break", t0() + 1).junk(JunkKind::DataAsString))
        .unwrap();
    sim.push(Script::worker_activity("b", "Break", t0() + 2).junk(JunkKind::NullData))
        .unwrap();
    sim.push(Script::worker_activity("c", "Break", t0() + 3).junk(JunkKind::MissingKeys))
        .unwrap();
    sim.push(Script::worker_activity("d", "Break", t0() + 4).junk(JunkKind::WrongTypes))
        .unwrap();
    let raw = json!({"sid": "EVjunk", "event_type": "mystery.type", "event_date_ms": t0() + 5, "event_data": "oops"});
    sim.push_raw(raw.clone()).unwrap();
    assert!(sim.push_raw(json!({"event_type": "no.date"})).is_err());
    let mut events = events_in(&sim, t0(), t0() + HOUR).await;
    events.reverse();
    assert!(events[0]["event_data"].is_string());
    assert!(events[1]["event_data"].is_null());
    assert!(events[2]["event_data"].get("worker_sid").is_none());
    assert!(events[3]["event_data"]["worker_attributes"].is_object());
    assert_eq!(events[4], raw);

    let centre_clock = ManualClock::new(t0());
    let junky = start(SimAcdOptions {
        clock: Arc::new(centre_clock.clone()),
        agents: 50,
        faults: Faults {
            junk_event_rate: 1.0,
            ..Faults::default()
        },
        ..SimAcdOptions::default()
    })
    .await
    .unwrap();
    junky.advance_to(t0() + HOUR);
    let events = junky.events();
    assert!(!events.is_empty());
    let intact = events
        .iter()
        .filter(|e| {
            let d = &e["event_data"];
            d.is_object()
                && d.get("worker_sid").is_some()
                && d["worker_activity_name"].is_string()
                && d.get("task_age")
                    .is_none_or(|a| a.as_str().is_some_and(|s| s.parse::<i64>().is_ok()))
                && d.get("worker_attributes").is_none_or(Value::is_string)
        })
        .count();
    assert_eq!(intact, 0);
}

#[tokio::test]
async fn outage_answers_503_until_cleared_or_until_its_end() {
    let clock = ManualClock::new(t0());
    let sim = one_worker_event(&clock).await;
    let url = resource_url(&sim, "Events", "");
    sim.set_outage(Some(Outage {
        kind: OutageKind::ServiceUnavailable,
        until_ms: None,
    }))
    .await;
    assert_eq!(get(&sim, &url).await.status(), 503);
    assert_eq!(get(&sim, &url).await.status(), 503);
    sim.set_outage(None).await;
    assert_eq!(get(&sim, &url).await.status(), 200);

    sim.set_outage(Some(Outage {
        kind: OutageKind::ServiceUnavailable,
        until_ms: Some(t0() + 10_000),
    }))
    .await;
    assert_eq!(get(&sim, &url).await.status(), 503);
    clock.set(t0() + 10_000);
    assert_eq!(get(&sim, &url).await.status(), 200);
    assert_eq!(sim.counters().outage_rejected, 3);
}

#[tokio::test]
async fn connection_refused_outage_refuses_then_recovers() {
    let clock = ManualClock::new(t0());
    let sim = one_worker_event(&clock).await;
    let url = resource_url(&sim, "Events", "");
    let pooled = reqwest::Client::new();
    let send = |client: &reqwest::Client| {
        client
            .get(&url)
            .basic_auth(sim.username(), Some(sim.password()))
            .send()
    };
    assert_eq!(send(&pooled).await.unwrap().status(), 200);

    sim.set_outage(Some(Outage {
        kind: OutageKind::ConnectionRefused,
        until_ms: None,
    }))
    .await;
    let fresh = send(&reqwest::Client::new()).await;
    assert!(
        fresh.is_err_and(|e| e.is_connect()),
        "new connections are refused"
    );
    assert!(send(&pooled).await.is_err(), "open connections are reset");

    sim.set_outage(None).await;
    assert_eq!(send(&reqwest::Client::new()).await.unwrap().status(), 200);
    assert_eq!(send(&pooled).await.unwrap().status(), 200);

    // A timed outage ends with the clock.
    sim.set_outage(Some(Outage {
        kind: OutageKind::ConnectionRefused,
        until_ms: Some(t0() + 1_000),
    }))
    .await;
    assert!(send(&reqwest::Client::new()).await.is_err());
    clock.set(t0() + 1_000);
    sim.settled().await;
    assert_eq!(send(&reqwest::Client::new()).await.unwrap().status(), 200);
}

#[tokio::test]
async fn latency_delays_every_answer() {
    let clock = ManualClock::new(t0());
    let sim = one_worker_event(&clock).await;
    sim.set_faults(Faults {
        latency: Duration::from_millis(300),
        ..Faults::default()
    });
    let began = Instant::now();
    assert_eq!(
        get(&sim, &resource_url(&sim, "Events", "")).await.status(),
        200
    );
    assert!(began.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn shutdown_stops_serving() {
    let clock = ManualClock::new(t0());
    let sim = scripted(&clock).await;
    let url = resource_url(&sim, "Activities", "");
    assert_eq!(get(&sim, &url).await.status(), 200);
    sim.shutdown().await;
    assert!(reqwest::Client::new().get(&url).send().await.is_err());
}
