//! `sim acd` as Twilio Event Streams (issue 11): the events it pushes to a webhook are Twilio's
//! (a JSON array of CloudEvents, signed as Twilio signs), each new visible event once, history
//! never; refused deliveries are retried, then given up; the faults drop, duplicate and reorder.
//! The receiver here is a plain HTTP server on loopback that records what arrives and checks
//! every signature with the connector's own verifier.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: a failed unwrap is a failed test

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wfm_connector::clock::{Clock, SystemClock};
use wfm_connector::secret::Secret;
use wfm_connector::sim::acd::{self, PushFaults, PushOptions, Script, SimAcdHandle, SimAcdOptions};
use wfm_connector::webhook::auth::{SIGNATURE_HEADER, Verifier};
use wfm_connector::webhook::cloudevent::parse_batch;

const TOKEN: &str = "twilio-auth-token-for-tests";
const WAIT: Duration = Duration::from_secs(20);

/// One request as received: whether its signature verified, and the event sids it carried.
#[derive(Debug, Clone)]
struct Got {
    signed: bool,
    sids: Vec<String>,
}

#[derive(Default)]
struct Receiver {
    got: Mutex<Vec<Got>>,
    /// Statuses to answer, in order; 200 once empty.
    answers: Mutex<VecDeque<u16>>,
}

async fn receive(
    State((rx, verifier, ws)): State<(Arc<Receiver>, Arc<Verifier>, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let signature = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
    let signed = verifier.verify(query.as_deref(), signature, &body).is_ok();
    let sids = parse_batch(&body, &ws)
        .map(|b| b.events.into_iter().map(|e| e.sid).collect())
        .unwrap_or_default();
    rx.got.lock().unwrap().push(Got { signed, sids });
    let status = rx.answers.lock().unwrap().pop_front().unwrap_or(200);
    StatusCode::from_u16(status).unwrap()
}

/// A receiver on loopback; returns it and its URL.
async fn receiver(workspace_sid: String) -> (Arc<Receiver>, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/twilio/events", listener.local_addr().unwrap());
    let rx = Arc::new(Receiver::default());
    let verifier = Arc::new(Verifier::new(&url, &Secret::new(TOKEN)));
    let app = axum::Router::new()
        .route("/twilio/events", axum::routing::post(receive))
        .with_state((rx.clone(), verifier, workspace_sid));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (rx, url)
}

impl Receiver {
    fn got(&self) -> Vec<Got> {
        self.got.lock().unwrap().clone()
    }

    /// Every sid received, in arrival order (repeats included).
    fn sids(&self) -> Vec<String> {
        self.got().into_iter().flat_map(|g| g.sids).collect()
    }
}

/// Waits until `f` holds, looking every 10 ms (the simulator records a delivery once answered,
/// after the receiver saw it).
async fn until(what: &str, f: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !f() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn sim_with_worker() -> SimAcdHandle {
    let sim = acd::start(SimAcdOptions::scripted(Arc::new(SystemClock)))
        .await
        .unwrap();
    sim.add_worker("alice", "Available").unwrap();
    sim
}

fn now() -> i64 {
    SystemClock.now_ms()
}

#[tokio::test]
async fn new_events_are_pushed_once_signed_as_twilio_signs_and_history_never() {
    let sim = sim_with_worker().await;
    let before = sim
        .push(Script::worker_activity("alice", "Lunch", now() - 1_000))
        .unwrap();
    let (rx, url) = receiver(sim.workspace_sid()).await;
    sim.set_push(Some(PushOptions::new(&url, TOKEN)));
    let a = sim
        .push(Script::worker_activity("alice", "Break", now()))
        .unwrap();
    let b = sim
        .push(Script::worker_activity("alice", "Available", now()))
        .unwrap();
    until("both events delivered", || {
        sim.push_counters().events_delivered >= 2
    })
    .await;
    assert!(rx.got().iter().all(|g| g.signed), "every request verifies");
    assert_eq!(rx.sids(), vec![a.clone(), b.clone()], "in order, once each");
    assert!(
        !rx.sids().contains(&before),
        "an event from before the subscription"
    );
    let deliveries = sim.push_deliveries();
    assert!(
        deliveries
            .iter()
            .all(|d| d.status == Some(200) && d.attempt == 1)
    );
    assert_eq!(sim.push_counters().events_delivered, 2);
    // Off: nothing more is pushed.
    sim.set_push(None);
    let c = sim
        .push(Script::worker_activity("alice", "Break", now()))
        .unwrap();
    assert!(sim.push_counters().events_delivered == 2 && !rx.sids().contains(&c));
}

#[tokio::test]
async fn refused_deliveries_are_retried_until_accepted_or_given_up() {
    let sim = sim_with_worker().await;
    let (rx, url) = receiver(sim.workspace_sid()).await;
    rx.answers.lock().unwrap().extend([503, 500]);
    sim.set_push(Some(PushOptions::new(&url, TOKEN)));
    let a = sim
        .push(Script::worker_activity("alice", "Break", now()))
        .unwrap();
    until("the third attempt", || sim.push_deliveries().len() >= 3).await;
    let attempts: Vec<(Option<u16>, u32)> = sim
        .push_deliveries()
        .iter()
        .map(|d| (d.status, d.attempt))
        .collect();
    assert_eq!(
        attempts,
        vec![(Some(503), 1), (Some(500), 2), (Some(200), 3)]
    );
    assert_eq!(rx.sids(), vec![a.clone(), a.clone(), a]);

    // retry_for 0: one attempt, then given up (as Twilio after four hours).
    let mut once = PushOptions::new(&url, TOKEN);
    once.retry_for = Duration::ZERO;
    sim.set_push(Some(once));
    rx.answers.lock().unwrap().push_back(503);
    sim.push(Script::worker_activity("alice", "Lunch", now()))
        .unwrap();
    until("given up", || sim.push_counters().events_given_up >= 1).await;
    assert_eq!(rx.got().len(), 4, "not sent again");
}

#[tokio::test]
async fn faults_drop_duplicate_and_reorder_pushes() {
    let sim = sim_with_worker().await;
    let (rx, url) = receiver(sim.workspace_sid()).await;
    let mut opts = PushOptions::new(&url, TOKEN);
    opts.faults = PushFaults {
        duplicate_rate: 1.0,
        ..PushFaults::default()
    };
    sim.set_push(Some(opts));
    let a = sim
        .push(Script::worker_activity("alice", "Break", now()))
        .unwrap();
    until("a twice", || sim.push_deliveries().len() >= 2).await;
    assert_eq!(rx.sids(), vec![a.clone(), a]);
    assert!(sim.push_deliveries()[1].duplicate);

    sim.set_push_faults(PushFaults {
        reorder_rate: 1.0,
        ..PushFaults::default()
    });
    let b = sim
        .push(Script::worker_activity("alice", "Available", now()))
        .unwrap();
    let c = sim
        .push(Script::worker_activity("alice", "Lunch", now() + 1))
        .unwrap();
    until("b and c", || {
        let all = rx.sids();
        all.contains(&b) && all.contains(&c)
    })
    .await;
    let sids = rx.sids();
    let at = |s: &String| sids.iter().position(|x| x == s).unwrap();
    assert!(at(&c) < at(&b), "the later event arrives first: {sids:?}");

    sim.set_push_faults(PushFaults {
        drop_rate: 1.0,
        ..PushFaults::default()
    });
    let got = rx.got().len();
    sim.push(Script::worker_activity("alice", "Break", now() + 2))
        .unwrap();
    until("dropped", || sim.push_counters().events_dropped >= 1).await;
    assert_eq!(rx.got().len(), got, "a dropped event is never sent");
}
