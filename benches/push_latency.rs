//! Push path latency (issue 11): an agent state change visible at `sim acd` → pushed as Twilio
//! Event Streams does → committed by the connector's webhook → accepted by `sim wfm`; p50 / p99 /
//! max, steady and in a burst, and whether the burst slows the daemon's other loops (the Events
//! poll and the heartbeat keep their cadence).
//!
//! Run: `cargo bench --locked --bench push_latency` (real clock, under a minute).
//!
//! Both simulators and the connector (the library daemon, as `demo` runs it, `[webhook]` on a
//! loopback port, `poll_interval` 2 s, heartbeat every 1 s) share this process. `sim acd` pushes
//! with Twilio's shape and signature, up to 100 events per request, 4 requests in flight, looking
//! for new events every 10 ms. Each event is a `worker.activity.update` stamped with the moment it
//! is added, so it is visible at once; the latency is `sim wfm`'s receive time minus that stamp.
//!
//! - steady: 200 events on 20 agents at random gaps of 20–120 ms;
//! - burst: 5,000 events on 200 other agents added at once (50 requests of 100), dated over the
//!   last 5 s; their latency counts from the moment they were added.
//!
//! Reference, measured in the same run: one signed POST of a one-event body to a bare HTTP server
//! on loopback (reads the body, answers 200) plus one WFM post, sequential, raw HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: a failed unwrap is a failed test

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use wfm_connector::clock::{Clock, SystemClock};
use wfm_connector::config::{Config, WebhookConfig};
use wfm_connector::daemon::{self, Shared};
use wfm_connector::model::Millis;
use wfm_connector::secret::Secret;
use wfm_connector::sim::acd::{self, PushOptions, Script, SimAcdHandle, SimAcdOptions};
use wfm_connector::sim::wfm::{self, Recorded, SimWfmHandle, SimWfmOptions};

const STEADY: usize = 200;
const STEADY_WORKERS: usize = 20;
const BURST: usize = 5_000;
const BURST_WORKERS: usize = 200;
const REFERENCE_TRIPS: usize = 100;
const TOKEN: &str = "bench-auth-token";
const WAIT: Duration = Duration::from_secs(120);

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(run());
}

fn now_ms() -> Millis {
    SystemClock.now_ms()
}

/// Nearest-rank percentile of sorted values.
fn pct(sorted: &[Millis], q: f64) -> Millis {
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn line(name: &str, mut v: Vec<Millis>) {
    if v.is_empty() {
        return;
    }
    v.sort_unstable();
    println!(
        "  {name:<46} p50 {:>5} ms   p99 {:>5} ms   max {:>5} ms",
        pct(&v, 0.5),
        pct(&v, 0.99),
        pct(&v, 1.0)
    );
}

async fn run() {
    let acd = acd::start(SimAcdOptions::scripted(Arc::new(SystemClock)))
        .await
        .expect("start sim acd");
    let wfm_opts = SimWfmOptions::default();
    let wfm = wfm::start(wfm_opts.clone()).await.expect("start sim wfm");
    let names: Vec<String> = (0..STEADY_WORKERS + BURST_WORKERS)
        .map(|i| format!("agent{i:03}"))
        .collect();
    for name in &names {
        acd.add_worker(name, "Available").expect("add worker");
    }
    let listen = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port");
    let url = format!("http://{listen}/twilio/events");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = Config::for_tests(&acd.base_url(), &wfm.base_url(), &dir.path().join("b.db"));
    config.acd.workspace_sid = acd.workspace_sid();
    config.acd.username = acd.username();
    config.acd.password = Secret::new(acd.password());
    config.wfm.tenant_name = wfm_opts.tenant_name.clone();
    config.wfm.access_key_id = wfm_opts.access_key_id.clone();
    config.wfm.access_key_secret = wfm_opts.access_key_secret.clone();
    config.wfm.heartbeat_interval = Duration::from_secs(1);
    config.webhook = Some(WebhookConfig {
        listen,
        public_url: url.clone(),
        path: "/twilio/events".into(),
        auth_token: Secret::new(TOKEN),
        auth_token_file: None,
    });
    let poll_ms = config.acd.poll_interval.as_millis();
    let (trigger, shutdown) = wfm_connector::shutdown::channel();
    let connector = tokio::spawn(daemon::run(
        Shared::new(config, Arc::new(SystemClock)),
        shutdown,
    ));
    assert!(
        wfm.wait_until(|r| !r.snapshots.is_empty(), WAIT).await,
        "the connector never sent its start-up snapshot"
    );
    let mut push = PushOptions::new(&url, TOKEN);
    push.concurrency = 4;
    acd.set_push(Some(push));
    println!(
        "Push latency: event visible at sim acd -> pushed (Event Streams webhook) -> accepted by \
         sim wfm; poll_interval {poll_ms} ms, heartbeat 1 s; real clock"
    );

    // Steady.
    let started = now_ms();
    let mut steady = Vec::with_capacity(STEADY);
    for i in 0..STEADY {
        tokio::time::sleep(Duration::from_millis(20 + fastrand::u64(0..100))).await;
        let activity = if (i / STEADY_WORKERS).is_multiple_of(2) {
            "Break"
        } else {
            "Available"
        };
        let at = now_ms();
        let sid = acd
            .push(Script::worker_activity(
                &names[i % STEADY_WORKERS],
                activity,
                at,
            ))
            .expect("push");
        steady.push((sid, at));
    }
    wait_all(&wfm, &steady).await;
    let steady_end = now_ms();
    println!(
        "\nsteady: {STEADY} events over {:.1} s",
        (steady_end - started) as f64 / 1000.0
    );
    report(&acd, &wfm, &steady);

    // Burst: on agents of their own, each event a distinct millisecond of the last 5 s (so each
    // agent's events are in order and all visible at once); latency from the moment added.
    let burst_start = now_ms();
    let mut burst = Vec::with_capacity(BURST);
    for i in 0..BURST {
        let activity = if (i / BURST_WORKERS).is_multiple_of(2) {
            "Lunch"
        } else {
            "Available"
        };
        let worker = &names[STEADY_WORKERS + i % BURST_WORKERS];
        let at = burst_start - BURST as Millis + i as Millis;
        let sid = acd
            .push(Script::worker_activity(worker, activity, at))
            .expect("push");
        burst.push((sid, now_ms()));
    }
    wait_all(&wfm, &burst).await;
    let burst_end = now_ms();
    // Let the loops run a little past the burst before reading their cadence.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let requests = acd
        .push_deliveries()
        .iter()
        .filter(|d| d.at_ms >= burst_start)
        .count();
    println!(
        "\nburst: {BURST} events added at once, all accepted by sim wfm {} ms later ({requests} \
         webhook requests)",
        burst_end - burst_start
    );
    report(&acd, &wfm, &burst);
    cadence(
        &acd,
        &wfm,
        (started, steady_end),
        (burst_start, burst_end + 2_500),
    );

    let reference = reference_trips(&wfm).await;
    println!(
        "\nreference: one signed webhook POST to a bare loopback server + one WFM post, raw HTTP: \
         p50 {:.2} ms, p99 {:.2} ms ({REFERENCE_TRIPS} round trips)",
        reference[REFERENCE_TRIPS / 2].as_secs_f64() * 1000.0,
        reference[REFERENCE_TRIPS * 99 / 100].as_secs_f64() * 1000.0
    );
    trigger.trigger();
    let _ = tokio::time::timeout(Duration::from_secs(10), connector).await;
    acd.shutdown().await;
    wfm.shutdown().await;
}

async fn wait_all(wfm: &SimWfmHandle, events: &[(String, Millis)]) {
    let all = |r: &Recorded| {
        let got: std::collections::HashSet<&str> =
            r.states.iter().map(|s| s.event_id.as_str()).collect();
        events.iter().all(|(sid, _)| got.contains(sid.as_str()))
    };
    assert!(
        wfm.wait_until(all, WAIT).await,
        "not every pushed event reached sim wfm"
    );
}

/// Latency per event, and where it goes: visible → the push answered 2xx (pushed, checked,
/// committed), → recorded by sim wfm.
fn report(acd: &SimAcdHandle, wfm: &SimWfmHandle, events: &[(String, Millis)]) {
    let recorded = wfm.recorded();
    let received: HashMap<&str, Millis> = recorded
        .states
        .iter()
        .map(|s| (s.event_id.as_str(), s.received_ms))
        .collect();
    let mut committed: HashMap<String, Millis> = HashMap::new();
    for d in acd.push_deliveries() {
        if d.status == Some(200) {
            for sid in d.sids {
                committed.entry(sid).or_insert(d.at_ms);
            }
        }
    }
    let (mut total, mut to_commit, mut to_wfm) = (Vec::new(), Vec::new(), Vec::new());
    for (sid, at) in events {
        let Some(got) = received.get(sid.as_str()) else {
            continue;
        };
        total.push(got - at);
        if let Some(c) = committed.get(sid) {
            to_commit.push(c - at);
            to_wfm.push(got - c);
        }
    }
    line("ours: visible -> accepted by sim wfm", total);
    line("visible -> push answered 200 (committed)", to_commit);
    line("push answered -> recorded by sim wfm", to_wfm);
}

/// The largest gap between two Events polls and between two heartbeats, steady and in the burst.
fn cadence(
    acd: &SimAcdHandle,
    wfm: &SimWfmHandle,
    steady: (Millis, Millis),
    burst: (Millis, Millis),
) {
    let polls: Vec<Millis> = acd
        .requests()
        .iter()
        .filter(|r| {
            r.path_and_query.contains("/Events?") && !r.path_and_query.contains("PageToken")
        })
        .map(|r| r.at_ms)
        .collect();
    let recorded = wfm.recorded();
    let beats: Vec<Millis> = recorded
        .requests_to("/heartbeat")
        .map(|r| r.clock_ms)
        .collect();
    let gap = |times: &[Millis], (from, to): (Millis, Millis)| {
        let within: Vec<Millis> = times
            .iter()
            .copied()
            .filter(|t| *t >= from && *t <= to)
            .collect();
        within.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0)
    };
    println!("  other loops, largest gap between two requests (steady / burst):");
    println!(
        "    Events polls (every 2 s)   {} / {} ms",
        gap(&polls, steady),
        gap(&polls, burst)
    );
    println!(
        "    heartbeats (every 1 s)     {} / {} ms",
        gap(&beats, steady),
        gap(&beats, burst)
    );
}

/// Raw round trips: a signed one-event webhook POST to a bare loopback server, then a WFM post.
async fn reference_trips(wfm: &SimWfmHandle) -> Vec<Duration> {
    let bare = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let bare_url = format!("http://{}/twilio/events", bare.local_addr().expect("addr"));
    let app = axum::Router::new().route(
        "/twilio/events",
        axum::routing::post(|body: axum::body::Bytes| async move { format!("{}", body.len()) }),
    );
    tokio::spawn(async move { axum::serve(bare, app).await });
    let http = reqwest::Client::new();
    let token_body = serde_json::json!({"tenantName": "tenant",
        "accessKeyTokenRequest": {"accessKeyId": "key-id", "accessKeySecret": "wfm-secret"}});
    let token: serde_json::Value = http
        .post(format!("{}/auth/token", wfm.base_url()))
        .json(&token_body)
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("token json");
    let token = token["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let event = serde_json::json!([{"specversion": "1.0",
        "type": "com.twilio.taskrouter.worker.activity.update",
        "data": {"payload": {"sid": "EVref", "eventtype": "worker.activity.update",
            "timestamp": "2026-01-01T00:00:00.000Z", "workspace_sid": "WSref",
            "worker_sid": "WKref", "worker_activity_name": "Break"}}}]);
    let body = serde_json::to_vec(&event).expect("body");
    let mut trips = Vec::with_capacity(REFERENCE_TRIPS);
    for i in 0..REFERENCE_TRIPS {
        let state_start = wfm_connector::clock::rfc3339_ms(now_ms());
        let post = serde_json::json!({"acdType": "TWILIO", "batchId": format!("ref-{i}"),
            "isSnapshot": false, "agentStates": [{"eventId": format!("ref-{i}"),
            "agentId": "reference", "state": "Available", "reasonCode": null,
            "mediaType": null, "stateStart": state_start, "isLoggedOn": true}]});
        let t = Instant::now();
        let (called, signature) = wfm_connector::webhook::auth::sign(TOKEN, &bare_url, &body);
        let pushed = http
            .post(&called)
            .header(wfm_connector::webhook::auth::SIGNATURE_HEADER, signature)
            .body(body.clone())
            .send()
            .await
            .expect("push");
        let _ = pushed.bytes().await;
        let posted = http
            .post(format!("{}/agent-states", wfm.base_url()))
            .bearer_auth(&token)
            .header("idempotency-key", format!("ref-{i}"))
            .header("accept", "application/json")
            .json(&post)
            .send()
            .await
            .expect("post");
        let _ = posted.bytes().await;
        trips.push(t.elapsed());
    }
    trips.sort_unstable();
    trips
}
