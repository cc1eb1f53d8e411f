//! `sim wfm` through real HTTP on loopback: tokens, validation, recording, faults, waiting.
//! No test sleeps to synchronise: waits go through `wait_until`, time through a `ManualClock`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: a failed unwrap is a failed test

use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::AsyncReadExt;
use wfm_connector::clock::ManualClock;
use wfm_connector::secret::Secret;
use wfm_connector::sim::wfm::{
    Fault, FaultScope, ReportKind, SimWfmHandle, SimWfmOptions, WireError, start,
};

const WAIT: Duration = Duration::from_secs(10);
const T0: i64 = 1_795_000_000_000;

struct Reply {
    status: u16,
    body: Value,
    headers: HeaderMap,
}

impl Reply {
    fn errors(&self) -> Vec<WireError> {
        serde_json::from_value(self.body["errors"].clone()).unwrap()
    }
    fn error_indexes(&self) -> Vec<Option<usize>> {
        self.errors().iter().map(|e| e.index).collect()
    }
}

/// A bare client that speaks the wire contract, nothing more.
struct Client {
    http: reqwest::Client,
    base: String,
    next_key: std::sync::atomic::AtomicU64,
}

impl Client {
    fn new(sim: &SimWfmHandle) -> Client {
        Client {
            http: reqwest::Client::new(),
            base: sim.base_url(),
            next_key: Default::default(),
        }
    }

    async fn try_post(
        &self,
        path: &str,
        token: Option<&str>,
        key: Option<&str>,
        body: &Value,
    ) -> reqwest::Result<Reply> {
        let mut request = self
            .http
            .post(format!("{}{path}", self.base))
            .header("accept", "application/json")
            .header("user-agent", "wfm-connector/test")
            .json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(key) = key {
            request = request.header("idempotency-key", key);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.json().await.unwrap_or(Value::Null);
        Ok(Reply {
            status,
            body,
            headers,
        })
    }

    async fn post(
        &self,
        path: &str,
        token: Option<&str>,
        key: Option<&str>,
        body: &Value,
    ) -> Reply {
        self.try_post(path, token, key, body).await.unwrap()
    }

    /// A data call with a fresh Idempotency-Key.
    async fn send(&self, path: &str, token: &str, body: &Value) -> Reply {
        let n = self
            .next_key
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.post(path, Some(token), Some(&format!("key-{n}")), body)
            .await
    }

    async fn token_reply(&self, tenant: &str, id: &str, secret: &str) -> Reply {
        let body = json!({"tenantName": tenant, "accessKeyTokenRequest": {"accessKeyId": id, "accessKeySecret": secret}});
        self.post("/auth/token", None, None, &body).await
    }

    async fn token(&self) -> String {
        let reply = self.token_reply("tenant", "key-id", "wfm-secret").await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.body["access_token"].as_str().unwrap().to_owned()
    }
}

fn state(event_id: &str, agent_id: &str, state: &str, start: &str) -> Value {
    json!({
        "eventId": event_id, "agentId": agent_id, "state": state,
        "reasonCode": if state == "Unavailable" { json!("Break") } else { Value::Null },
        "mediaType": if state == "OnContact" { json!("voice") } else { Value::Null },
        "stateStart": start, "isLoggedOn": state != "LoggedOut",
    })
}

fn batch(batch_id: &str, items: Vec<Value>) -> Value {
    json!({"acdType": "TWILIO", "batchId": batch_id, "isSnapshot": false, "agentStates": items})
}

fn snapshot(batch_id: &str, items: Vec<Value>) -> Value {
    json!({"acdType": "TWILIO", "batchId": batch_id, "isSnapshot": true, "agentStates": items})
}

fn queue_report(start: &str, end: &str, revision: u64, data: Value) -> Value {
    json!({"acdType": "TWILIO", "reportVersion": "1", "startDate": start, "endDate": end, "revision": revision, "reportData": data})
}

fn empty_queue_data() -> Value {
    json!({"queueReport": [], "agentQueueReport": [], "agentSystemPerformanceReport": []})
}

fn heartbeat() -> Value {
    json!({
        "acdType": "TWILIO", "connectorId": "c1", "version": "0.1.0", "status": "OK",
        "oldestPendingSec": 0, "pendingStates": 0, "pendingReports": 0,
        "lastAcdPoll": "2026-11-20T10:15:02.000Z",
    })
}

fn one_state(event_id: &str) -> Value {
    batch(
        &format!("b-{event_id}"),
        vec![state(
            event_id,
            "alice",
            "Available",
            "2026-11-20T10:15:00.000Z",
        )],
    )
}

async fn sim_with_clock(clock: &ManualClock, lifetime: Duration) -> SimWfmHandle {
    start(SimWfmOptions {
        clock: Arc::new(clock.clone()),
        token_lifetime: lifetime,
        ..SimWfmOptions::default()
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn token_is_issued_for_the_right_access_key_only() {
    let sim = start(SimWfmOptions::default()).await.unwrap();
    let client = Client::new(&sim);
    let ok = client.token_reply("tenant", "key-id", "wfm-secret").await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.body["token_type"], "Bearer");
    assert_eq!(ok.body["expires_in"], 3600);
    for field in ["access_token", "refresh_token", "id_token"] {
        assert!(
            ok.body[field].as_str().is_some_and(|t| !t.is_empty()),
            "{field}"
        );
    }
    assert_eq!(
        client.token_reply("tenant", "key-id", "wrong").await.status,
        401
    );
    assert_eq!(
        client
            .token_reply("other", "key-id", "wfm-secret")
            .await
            .status,
        401
    );
    assert_eq!(
        client
            .token_reply("tenant", "other", "wfm-secret")
            .await
            .status,
        401
    );
    let malformed = client
        .post("/auth/token", None, None, &json!({"tenantName": "tenant"}))
        .await;
    assert_eq!(malformed.status, 400);
    assert_eq!(sim.recorded().tokens_issued, 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn token_expires_by_the_clock_and_refresh_gives_a_new_one() {
    let clock = ManualClock::new(T0);
    let sim = sim_with_clock(&clock, Duration::from_secs(60)).await;
    let client = Client::new(&sim);
    let issued = client.token_reply("tenant", "key-id", "wfm-secret").await;
    let token = issued.body["access_token"].as_str().unwrap();
    let refresh = issued.body["refresh_token"].as_str().unwrap();
    assert_eq!(
        client.send("/heartbeat", token, &heartbeat()).await.status,
        200
    );

    clock.advance(60_000);
    assert_eq!(
        client.send("/heartbeat", token, &heartbeat()).await.status,
        401
    );

    let refreshed = client
        .post("/auth/refresh", None, None, &json!({"token": refresh}))
        .await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.body);
    assert_eq!(refreshed.body["tokenExpirationTimeSec"], 60);
    assert!(
        refreshed.body["refreshTokenExpirationTimeSec"]
            .as_u64()
            .is_some()
    );
    let new_token = refreshed.body["token"].as_str().unwrap();
    assert!(
        refreshed.body["refreshToken"]
            .as_str()
            .is_some_and(|r| r != refresh)
    );
    assert_eq!(
        client
            .send("/heartbeat", new_token, &heartbeat())
            .await
            .status,
        200
    );

    // A refresh token is good for one use; an unknown one is refused the same way.
    let replay = client
        .post("/auth/refresh", None, None, &json!({"token": refresh}))
        .await;
    assert_eq!(replay.status, 401);
    let unknown = client
        .post("/auth/refresh", None, None, &json!({"token": "nope"}))
        .await;
    assert_eq!(unknown.status, 401);
    let recorded = sim.recorded();
    assert_eq!((recorded.tokens_issued, recorded.refreshes), (1, 1));
    sim.shutdown().await;
}

#[tokio::test]
async fn data_call_without_a_valid_bearer_is_401() {
    let sim = start(SimWfmOptions::default()).await.unwrap();
    let client = Client::new(&sim);
    let none = client
        .post("/agent-states", None, Some("k1"), &one_state("e1"))
        .await;
    assert_eq!(none.status, 401);
    assert!(none.headers.contains_key("www-authenticate"));
    let made_up = client
        .post(
            "/agent-states",
            Some("made-up"),
            Some("k1"),
            &one_state("e1"),
        )
        .await;
    assert_eq!(made_up.status, 401);
    let recorded = sim.recorded();
    assert_eq!(recorded.distinct_states, 0);
    assert_eq!(
        recorded
            .requests
            .iter()
            .map(|r| r.has_authorization)
            .collect::<Vec<_>>(),
        vec![false, true]
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn states_are_accepted_and_recorded_in_arrival_order() {
    let sim = start(SimWfmOptions::default()).await.unwrap();
    let client = Client::new(&sim);
    let token = client.token().await;
    let first = batch(
        "b1",
        vec![
            state("e1", "alice", "Available", "2026-11-20T10:15:00.000Z"),
            state("e2", "bob", "OnContact", "2026-11-20T10:15:01.000Z"),
        ],
    );
    let second = batch(
        "b2",
        vec![state(
            "e3",
            "alice",
            "Unavailable",
            "2026-11-20T10:16:00.000Z",
        )],
    );
    let reply = client
        .post("/agent-states", Some(&token), Some("batch-1"), &first)
        .await;
    assert_eq!(
        (reply.status, &reply.body),
        (200, &json!({"status": "ACCEPTED", "errors": []}))
    );
    assert_eq!(
        client
            .post("/agent-states", Some(&token), Some("batch-2"), &second)
            .await
            .status,
        200
    );

    let recorded = sim.recorded();
    let seen: Vec<(&str, &str, &str)> = recorded
        .states
        .iter()
        .map(|s| (s.event_id.as_str(), s.state.as_str(), s.batch_id.as_str()))
        .collect();
    assert_eq!(
        seen,
        vec![
            ("e1", "Available", "b1"),
            ("e2", "OnContact", "b1"),
            ("e3", "Unavailable", "b2")
        ]
    );
    assert_eq!(recorded.states[1].media_type.as_deref(), Some("voice"));
    assert_eq!(recorded.states[2].reason_code.as_deref(), Some("Break"));
    assert_eq!(recorded.states_of("alice").count(), 2);
    assert_eq!(recorded.out_of_order_states, 0);
    let log: Vec<_> = recorded.requests_to("/agent-states").collect();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].idempotency_key.as_deref(), Some("batch-1"));
    assert_eq!(log[0].user_agent.as_deref(), Some("wfm-connector/test"));
    assert_eq!(log[0].accept.as_deref(), Some("application/json"));
    assert!(log[0].has_authorization && log[0].body_bytes > 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn duplicate_event_id_is_recorded_once_and_counted() {
    let sim = start(SimWfmOptions::default()).await.unwrap();
    let client = Client::new(&sim);
    let token = client.token().await;
    let e2 = state("e2", "bob", "Available", "2026-11-20T10:15:01.000Z");
    let first = batch(
        "b1",
        vec![
            state("e1", "alice", "Available", "2026-11-20T10:15:00.000Z"),
            e2.clone(),
        ],
    );
    let again = batch(
        "b2",
        vec![
            e2.clone(),
            state("e3", "carol", "Available", "2026-11-20T10:15:02.000Z"),
            e2,
        ],
    );
    assert_eq!(
        client.send("/agent-states", &token, &first).await.status,
        200
    );
    let reply = client.send("/agent-states", &token, &again).await;
    assert_eq!(reply.body["status"], "ACCEPTED");

    let recorded = sim.recorded();
    let ids: Vec<&str> = recorded
        .states
        .iter()
        .map(|s| s.event_id.as_str())
        .collect();
    assert_eq!(ids, vec!["e1", "e2", "e3"]);
    assert_eq!(
        (recorded.distinct_states, recorded.duplicate_states),
        (3, 2)
    );
    assert_eq!(recorded.duplicates_by_event.get("e2"), Some(&2));
    sim.shutdown().await;
}

#[tokio::test]
async fn duplicate_idempotency_key_is_409_and_records_nothing_more() {
    let sim = start(SimWfmOptions::default()).await.unwrap();
    let client = Client::new(&sim);
    let token = client.token().await;
    let body = one_state("e1");
    assert_eq!(
        client
            .post("/agent-states", Some(&token), Some("same"), &body)
            .await
            .status,
        200
    );
    assert_eq!(
        client
            .post("/agent-states", Some(&token), Some("same"), &body)
            .await
            .status,
        409
    );
    let report = queue_report(
        "2026-11-20T10:00:00.000Z",
        "2026-11-20T10:15:00.000Z",
        1,
        empty_queue_data(),
    );
    // Keys are per endpoint: the same key on the report endpoint is a different call.
    assert_eq!(
        client
            .post("/reports/queue", Some(&token), Some("same"), &report)
            .await
            .status,
        200
    );
    assert_eq!(
        client
            .post("/reports/queue", Some(&token), Some("same"), &report)
            .await
            .status,
        409
    );
    let recorded = sim.recorded();
    assert_eq!(
        (recorded.distinct_states, recorded.duplicate_states),
        (1, 0)
    );
    assert_eq!(recorded.reports.len(), 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn missing_idempotency_key_is_rejected() {
    let sim = start(SimWfmOptions::default()).await.unwrap();
    let client = Client::new(&sim);
    let token = client.token().await;
    let reply = client
        .post("/agent-states", Some(&token), None, &one_state("e1"))
        .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.errors()[0].field.as_deref(), Some("Idempotency-Key"));
    sim.shutdown().await;
}

#[tokio::test]
async fn partial_names_only_the_bad_items_and_keeps_the_others() {
    let sim = start(SimWfmOptions::default()).await.unwrap();
    let client = Client::new(&sim);
    let token = client.token().await;
    let body = batch(
        "b1",
        vec![
            state("e1", "alice", "Available", "2026-11-20T10:15:00.000Z"),
            state("e2", "bob", "Sleeping", "2026-11-20T10:15:00.000Z"),
            state("e3", "carol", "Available", "2026-11-20T10:15:00Z"),
            state("e4", "dave", "Reserved", "2026-11-20T10:15:00.000Z"),
        ],
    );
    let reply = client.send("/agent-states", &token, &body).await;
    assert_eq!(
        (reply.status, reply.body["status"].as_str()),
        (200, Some("PARTIAL"))
    );
    assert_eq!(reply.error_indexes(), vec![Some(1), Some(2)]);
    let fields: Vec<String> = reply.errors().into_iter().filter_map(|e| e.field).collect();
    assert_eq!(
        fields,
        vec!["agentStates[1].state", "agentStates[2].stateStart"]
    );
    let recorded = sim.recorded();
    let ids: Vec<&str> = recorded
        .states
        .iter()
        .map(|s| s.event_id.as_str())
        .collect();
    assert_eq!(ids, vec!["e1", "e4"]);
    sim.shutdown().await;
}

#[tokio::test]
async fn envelope_errors_are_rejected_400() {
    let sim = start(SimWfmOptions {
        max_batch: 2,
        ..SimWfmOptions::default()
    })
    .await
    .unwrap();
    let client = Client::new(&sim);
    let token = client.token().await;
    let mut wrong_acd = one_state("e1");
    wrong_acd["acdType"] = json!("GENESYS");
    let too_big = batch(
        "b",
        (0..3)
            .map(|i| {
                state(
                    &format!("e{i}"),
                    "a",
                    "Available",
                    "2026-11-20T10:15:00.000Z",
                )
            })
            .collect(),
    );
    for body in [wrong_acd, too_big, json!("not an object")] {
        let reply = client.send("/agent-states", &token, &body).await;
        assert_eq!(
            (reply.status, reply.body["status"].as_str()),
            (400, Some("REJECTED")),
            "{body}"
        );
    }
    let garbage = client
        .http
        .post(format!("{}/agent-states", client.base))
        .bearer_auth(&token)
        .header("idempotency-key", "g")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(garbage.status().as_u16(), 400);
    assert_eq!(sim.recorded().distinct_states, 0);
    sim.shutdown().await;
}

#[tokio::test]
async fn snapshots_are_recorded_apart_and_may_exceed_the_batch_size() {
    let sim = start(SimWfmOptions {
        max_batch: 2,
        ..SimWfmOptions::default()
    })
    .await
    .unwrap();
    let client = Client::new(&sim);
    let token = client.token().await;
    let agents = (0..5)
        .map(|i| {
            state(
                &format!("s{i}"),
                &format!("agent{i}"),
                "Available",
                "2026-11-20T10:00:00.000Z",
            )
        })
        .collect();
    let reply = client
        .send("/agent-states", &token, &snapshot("snap-1", agents))
        .await;
    assert_eq!(reply.body["status"], "ACCEPTED");
    let recorded = sim.recorded();
    assert_eq!(recorded.snapshots.len(), 1);
    assert_eq!(recorded.snapshots[0].batch_id, "snap-1");
    assert_eq!(recorded.snapshots[0].states.len(), 5);
    assert!(recorded.states.is_empty());
    sim.shutdown().await;
}

#[tokio::test]
async fn queue_report_missing_a_section_is_rejected() {
    let sim = start(SimWfmOptions::default()).await.unwrap();
    let client = Client::new(&sim);
    let token = client.token().await;
    let missing = queue_report(
        "2026-11-20T10:00:00.000Z",
        "2026-11-20T10:15:00.000Z",
        1,
        json!({"queueReport": [], "agentQueueReport": []}),
    );
    let reply = client.send("/reports/queue", &token, &missing).await;
    assert_eq!(
        (reply.status, reply.body["status"].as_str()),
        (400, Some("REJECTED"))
    );
    assert_eq!(
        reply.errors()[0].field.as_deref(),
        Some("reportData.agentSystemPerformanceReport")
    );
    assert!(sim.recorded().reports.is_empty());
    sim.shutdown().await;
}

#[tokio::test]
async fn highest_report_revision_is_kept() {
    let sim = start(SimWfmOptions::default()).await.unwrap();
    let client = Client::new(&sim);
    let token = client.token().await;
    let (start, end) = ("2026-11-20T10:00:00.000Z", "2026-11-20T10:15:00.000Z");
    let segment = json!([{"agentId": "alice", "state": "Available", "reasonCode": null, "mediaType": null,
        "start": "2026-11-20T09:50:00.000Z", "end": "2026-11-20T10:05:00.000Z", "durationSec": 900}]);
    for revision in [1, 2] {
        let body = queue_report(
            start,
            end,
            revision,
            if revision == 2 {
                segment.clone()
            } else {
                json!([])
            },
        );
        assert_eq!(
            client
                .send("/reports/agent-activity", &token, &body)
                .await
                .body["status"],
            "ACCEPTED"
        );
    }
    let late = queue_report(start, end, 1, json!([]));
    assert_eq!(
        client
            .send("/reports/agent-activity", &token, &late)
            .await
            .status,
        200
    );

    let recorded = sim.recorded();
    assert_eq!(recorded.reports.len(), 3);
    assert_eq!(recorded.stale_reports, 1);
    assert!(recorded.reports[2].stale);
    let current = recorded
        .current_report(ReportKind::AgentActivity, start)
        .unwrap();
    assert_eq!(current.revision, 2);
    assert_eq!(current.body["reportData"], segment);
    assert!(recorded.current_report(ReportKind::Queue, start).is_none());
    sim.shutdown().await;
}

#[tokio::test]
async fn heartbeat_is_recorded_and_checked() {
    let sim = start(SimWfmOptions::default()).await.unwrap();
    let client = Client::new(&sim);
    let token = client.token().await;
    assert_eq!(
        client.send("/heartbeat", &token, &heartbeat()).await.body["status"],
        "ACCEPTED"
    );
    let mut degraded_badly = heartbeat();
    degraded_badly["status"] = json!("BROKEN");
    assert_eq!(
        client
            .send("/heartbeat", &token, &degraded_badly)
            .await
            .status,
        400
    );
    assert_eq!(sim.recorded().heartbeats, vec![heartbeat()]);
    sim.shutdown().await;
}

#[tokio::test]
async fn status_faults_answer_the_next_calls_then_stop() {
    let sim = start(SimWfmOptions::default()).await.unwrap();
    let client = Client::new(&sim);
    let token = client.token().await;
    for status in [401, 403, 404, 408, 500, 502, 503] {
        sim.set_fault(Fault::status(status, 2)).await;
        let body = one_state(&format!("e{status}"));
        assert_eq!(
            client.send("/agent-states", &token, &body).await.status,
            status
        );
        assert_eq!(
            client.send("/heartbeat", &token, &heartbeat()).await.status,
            status
        );
        assert_eq!(
            client.send("/agent-states", &token, &body).await.status,
            200
        );
    }
    // Data scope by default: auth is spared.
    sim.set_fault(Fault::status(500, 1)).await;
    assert_eq!(
        client
            .token_reply("tenant", "key-id", "wfm-secret")
            .await
            .status,
        200
    );
    sim.clear_faults().await;
    assert_eq!(sim.recorded().distinct_states, 7);
    sim.shutdown().await;
}

#[tokio::test]
async fn too_many_requests_carries_retry_after() {
    let sim = start(SimWfmOptions::default()).await.unwrap();
    let client = Client::new(&sim);
    let token = client.token().await;
    sim.set_fault(Fault::too_many_requests(1, 7)).await;
    let reply = client.send("/agent-states", &token, &one_state("e1")).await;
    assert_eq!(reply.status, 429);
    assert_eq!(reply.headers["retry-after"], "7");
    assert_eq!(
        client
            .send("/agent-states", &token, &one_state("e1"))
            .await
            .status,
        200
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn a_fault_applies_only_to_its_endpoints() {
    let sim = start(SimWfmOptions::default()).await.unwrap();
    let client = Client::new(&sim);
    let token = client.token().await;
    sim.set_fault(Fault::status(502, 5).on(FaultScope::Reports))
        .await;
    sim.set_fault(Fault::status(503, 1).on(FaultScope::Auth))
        .await;
    let report = queue_report(
        "2026-11-20T10:00:00.000Z",
        "2026-11-20T10:15:00.000Z",
        1,
        empty_queue_data(),
    );
    assert_eq!(
        client.send("/reports/queue", &token, &report).await.status,
        502
    );
    assert_eq!(
        client
            .send("/agent-states", &token, &one_state("e1"))
            .await
            .status,
        200
    );
    assert_eq!(
        client.send("/heartbeat", &token, &heartbeat()).await.status,
        200
    );
    assert_eq!(
        client
            .token_reply("tenant", "key-id", "wfm-secret")
            .await
            .status,
        503
    );
    assert_eq!(
        client
            .token_reply("tenant", "key-id", "wfm-secret")
            .await
            .status,
        200
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn injected_partial_rejects_the_given_items_only() {
    let sim = start(SimWfmOptions::default()).await.unwrap();
    let client = Client::new(&sim);
    let token = client.token().await;
    sim.set_fault(Fault::partial(1, vec![0, 2]).on(FaultScope::AgentStates))
        .await;
    let body = batch(
        "b1",
        (0..4)
            .map(|i| {
                state(
                    &format!("e{i}"),
                    &format!("a{i}"),
                    "Available",
                    "2026-11-20T10:15:00.000Z",
                )
            })
            .collect(),
    );
    let reply = client.send("/agent-states", &token, &body).await;
    assert_eq!(reply.body["status"], "PARTIAL");
    assert_eq!(reply.error_indexes(), vec![Some(0), Some(2)]);
    assert_eq!(reply.errors()[0].code, "INJECTED");
    let ids: Vec<String> = sim
        .recorded()
        .states
        .into_iter()
        .map(|s| s.event_id)
        .collect();
    assert_eq!(ids, vec!["e1", "e3"]);
    sim.shutdown().await;
}

#[tokio::test]
async fn injected_rejection_records_nothing_and_the_key_stays_usable() {
    let sim = start(SimWfmOptions::default()).await.unwrap();
    let client = Client::new(&sim);
    let token = client.token().await;
    sim.set_fault(Fault::rejected(1)).await;
    let body = one_state("e1");
    let reply = client
        .post("/agent-states", Some(&token), Some("k"), &body)
        .await;
    assert_eq!(
        (reply.status, reply.body["status"].as_str()),
        (400, Some("REJECTED"))
    );
    assert_eq!(sim.recorded().distinct_states, 0);
    assert_eq!(
        client
            .post("/agent-states", Some(&token), Some("k"), &body)
            .await
            .status,
        200
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn lost_answer_is_recorded_and_the_retry_gets_409() {
    let sim = start(SimWfmOptions::default()).await.unwrap();
    let client = Client::new(&sim);
    let token = client.token().await;
    sim.set_fault(Fault::record_then_status(500, 1)).await;
    let body = one_state("e1");
    assert_eq!(
        client
            .post("/agent-states", Some(&token), Some("k"), &body)
            .await
            .status,
        500
    );
    assert_eq!(sim.recorded().distinct_states, 1);
    assert_eq!(
        client
            .post("/agent-states", Some(&token), Some("k"), &body)
            .await
            .status,
        409
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn outage_answers_503_everywhere_until_cleared() {
    let sim = start(SimWfmOptions::default()).await.unwrap();
    let client = Client::new(&sim);
    let token = client.token().await;
    sim.set_fault(Fault::outage()).await;
    assert_eq!(
        client
            .send("/agent-states", &token, &one_state("e1"))
            .await
            .status,
        503
    );
    assert_eq!(
        client
            .token_reply("tenant", "key-id", "wfm-secret")
            .await
            .status,
        503
    );
    sim.clear_faults().await;
    assert_eq!(
        client
            .send("/agent-states", &token, &one_state("e1"))
            .await
            .status,
        200
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn connection_refused_outage_closes_the_port_then_reopens_it() {
    let sim = start(SimWfmOptions::default()).await.unwrap();
    let client = Client::new(&sim);
    // This connection stays in the client's pool: the outage must reset it too.
    let token = client.token().await;
    let mut open_before = tokio::net::TcpStream::connect(sim.addr()).await.unwrap();
    sim.set_fault(Fault::connection_refused()).await;
    let mut buf = [0u8; 16];
    let read = tokio::time::timeout(WAIT, open_before.read(&mut buf)).await;
    assert!(
        matches!(read, Ok(Ok(0)) | Ok(Err(_))),
        "an open connection is reset: {read:?}"
    );
    let refused = tokio::net::TcpStream::connect(sim.addr())
        .await
        .unwrap_err();
    assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);
    let during = client
        .try_post("/agent-states", Some(&token), Some("k"), &one_state("e1"))
        .await;
    assert!(
        during.is_err(),
        "a call during the outage must fail at the connection"
    );
    assert_eq!(sim.recorded().distinct_states, 0);

    sim.clear_faults().await;
    let after = client
        .post("/agent-states", Some(&token), Some("k"), &one_state("e1"))
        .await;
    assert_eq!(after.status, 200);
    // The port closes and opens more than once.
    sim.set_fault(Fault::connection_refused()).await;
    assert!(tokio::net::TcpStream::connect(sim.addr()).await.is_err());
    sim.end_outage().await;
    assert_eq!(
        client.send("/heartbeat", &token, &heartbeat()).await.status,
        200
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn latency_delays_every_answer_in_scope() {
    let sim = start(SimWfmOptions::default()).await.unwrap();
    let client = Client::new(&sim);
    let token = client.token().await;
    let delay = Duration::from_millis(200);
    sim.set_fault(Fault::latency(delay).on(FaultScope::Heartbeat))
        .await;
    let started = Instant::now();
    assert_eq!(
        client.send("/heartbeat", &token, &heartbeat()).await.status,
        200
    );
    assert!(started.elapsed() >= delay);
    sim.shutdown().await;
}

#[tokio::test]
async fn revoked_tokens_are_401_until_a_new_token() {
    let sim = start(SimWfmOptions::default()).await.unwrap();
    let client = Client::new(&sim);
    let issued = client.token_reply("tenant", "key-id", "wfm-secret").await;
    let token = issued.body["access_token"].as_str().unwrap();
    let refresh = issued.body["refresh_token"].as_str().unwrap();
    sim.revoke_tokens();
    assert_eq!(
        client.send("/heartbeat", token, &heartbeat()).await.status,
        401
    );
    assert_eq!(
        client
            .post("/auth/refresh", None, None, &json!({"token": refresh}))
            .await
            .status,
        401
    );
    let fresh = client.token().await;
    assert_eq!(
        client.send("/heartbeat", &fresh, &heartbeat()).await.status,
        200
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn token_lifetime_change_applies_to_new_tokens() {
    let clock = ManualClock::new(T0);
    let sim = sim_with_clock(&clock, Duration::from_secs(3600)).await;
    let client = Client::new(&sim);
    let long = client.token().await;
    sim.set_token_lifetime(Duration::from_secs(10));
    let short_reply = client.token_reply("tenant", "key-id", "wfm-secret").await;
    assert_eq!(short_reply.body["expires_in"], 10);
    let short = short_reply.body["access_token"].as_str().unwrap();
    clock.advance(10_000);
    assert_eq!(
        client.send("/heartbeat", short, &heartbeat()).await.status,
        401
    );
    assert_eq!(
        client.send("/heartbeat", &long, &heartbeat()).await.status,
        200
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn wait_until_wakes_when_the_states_arrive() {
    let sim = start(SimWfmOptions::default()).await.unwrap();
    let client = Client::new(&sim);
    let token = client.token().await;
    let waiting = sim.wait_until(|r| r.distinct_states >= 2, WAIT);
    let sending = async {
        client.send("/agent-states", &token, &one_state("e1")).await;
        client.send("/agent-states", &token, &one_state("e2")).await;
    };
    let (reached, ()) = tokio::join!(waiting, sending);
    assert!(reached);
    // A condition that never holds gives up at the timeout.
    assert!(
        !sim.wait_until(|r| r.distinct_states > 2, Duration::from_millis(50))
            .await
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn wait_until_sees_a_report_revision_arrive() {
    let sim = start(SimWfmOptions::default()).await.unwrap();
    let client = Client::new(&sim);
    let token = client.token().await;
    let start_date = "2026-11-20T10:00:00.000Z";
    let second_revision = |r: &wfm_connector::sim::wfm::Recorded| {
        r.current_report(ReportKind::Queue, start_date)
            .is_some_and(|c| c.revision == 2)
    };
    let sending = async {
        for revision in [1, 2] {
            let body = queue_report(
                start_date,
                "2026-11-20T10:15:00.000Z",
                revision,
                empty_queue_data(),
            );
            client.send("/reports/queue", &token, &body).await;
        }
    };
    let (reached, ()) = tokio::join!(sim.wait_until(second_revision, WAIT), sending);
    assert!(reached);
    sim.shutdown().await;
}

#[tokio::test]
async fn secrets_and_tokens_never_reach_the_request_log() {
    let sim = start(SimWfmOptions {
        access_key_secret: Secret::new("s3cr3t-value"),
        ..SimWfmOptions::default()
    })
    .await
    .unwrap();
    let client = Client::new(&sim);
    let issued = client.token_reply("tenant", "key-id", "s3cr3t-value").await;
    let token = issued.body["access_token"].as_str().unwrap().to_owned();
    client.token_reply("tenant", "key-id", "wrong-s3cr3t").await;
    client.send("/heartbeat", &token, &heartbeat()).await;
    let logged = format!("{:?}", sim.recorded().requests);
    for secret in ["s3cr3t", token.as_str()] {
        assert!(
            !logged.contains(secret),
            "{secret} leaked into the request log"
        );
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn out_of_order_state_is_accepted_but_counted() {
    let sim = start(SimWfmOptions::default()).await.unwrap();
    let client = Client::new(&sim);
    let token = client.token().await;
    let newer = batch(
        "b1",
        vec![state(
            "e2",
            "alice",
            "OnContact",
            "2026-11-20T10:16:00.000Z",
        )],
    );
    let older = batch(
        "b2",
        vec![state(
            "e1",
            "alice",
            "Available",
            "2026-11-20T10:15:00.000Z",
        )],
    );
    client.send("/agent-states", &token, &newer).await;
    assert_eq!(
        client.send("/agent-states", &token, &older).await.body["status"],
        "ACCEPTED"
    );
    let recorded = sim.recorded();
    assert_eq!(
        (recorded.distinct_states, recorded.out_of_order_states),
        (2, 1)
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn without_keeping_states_counts_and_dedup_still_work() {
    let sim = start(SimWfmOptions {
        keep_states: false,
        ..SimWfmOptions::default()
    })
    .await
    .unwrap();
    let client = Client::new(&sim);
    let token = client.token().await;
    for _ in 0..2 {
        client.send("/agent-states", &token, &one_state("e1")).await;
    }
    let (kept, distinct, duplicates) =
        sim.inspect(|r| (r.states.len(), r.distinct_states, r.duplicate_states));
    assert_eq!((kept, distinct, duplicates), (0, 1, 1));
    sim.shutdown().await;
}
