//! Real-time agent states end to end: scripted TaskRouter → the connector binary → WFM simulator,
//! over loopback HTTP, with a real SQLite buffer. Includes the failure paths of SPEC §6–§8.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: a failed unwrap is a failed test

mod common;

use common::e2e::{Env, now_ms, received_ids, tail, wait_http_status};
use wfm_connector::clock::rfc3339_ms;
use wfm_connector::model::AgentState;
use wfm_connector::sim::acd::{Faults, MalformedKind, ReservationEventKind, Script, TaskEventKind};
use wfm_connector::sim::wfm::{Fault, FaultScope};

#[tokio::test]
async fn worker_activity_change_reaches_wfm_with_the_acd_event_timestamp() {
    let env = Env::start().await;
    env.acd.add_worker("alice", "Available").unwrap();
    let t = now_ms() - 1_000;
    let ev = env
        .acd
        .push(Script::worker_activity("alice", "Break", t))
        .unwrap();
    let conn = env.spawn();
    env.wait_wfm("alice's Break state", |r| {
        r.states.iter().any(|s| s.event_id == ev)
    })
    .await;
    let r = env.wfm.recorded();
    let s = r.states.iter().find(|s| s.event_id == ev).unwrap();
    assert_eq!(s.agent_id, "alice");
    assert_eq!(s.state, AgentState::Unavailable);
    assert_eq!(s.reason_code.as_deref(), Some("Break"));
    // The ACD event's time, not the time we polled.
    assert_eq!(s.state_start, rfc3339_ms(t));
    assert!(s.is_logged_on);
    // Every request carried the contract's headers.
    let req = r
        .requests
        .iter()
        .find(|q| q.path == "/agent-states")
        .unwrap();
    assert!(req.has_authorization);
    assert!(req.idempotency_key.is_some());
    assert_eq!(req.accept.as_deref(), Some("application/json"));
    assert!(
        req.user_agent
            .as_deref()
            .unwrap_or("")
            .starts_with("wfm-connector/")
    );
    assert_eq!(conn.terminate(), Some(0));
}

#[tokio::test]
async fn accept_wrapup_complete_map_to_on_contact_acw_and_back() {
    let env = Env::start().await;
    env.acd.add_worker("bob", "Available").unwrap();
    let t = now_ms() - 5_000;
    let r = |kind, at| Script::reservation(kind, "bob", "WT1", "WR1", "Support", "voice", at);
    env.acd
        .push(Script::task(
            TaskEventKind::Created,
            "WT1",
            "Support",
            "voice",
            serde_json::json!({}),
            t,
        ))
        .unwrap();
    let ids = [
        env.acd
            .push(r(ReservationEventKind::Created, t + 100))
            .unwrap(),
        env.acd
            .push(r(ReservationEventKind::Accepted, t + 1_000))
            .unwrap(),
        env.acd
            .push(r(ReservationEventKind::Wrapup, t + 2_000))
            .unwrap(),
        env.acd
            .push(r(ReservationEventKind::Completed, t + 3_000))
            .unwrap(),
    ];
    let conn = env.spawn();
    let last = ids[3].clone();
    env.wait_wfm("bob back to Available", |r| {
        r.states.iter().any(|s| s.event_id == last)
    })
    .await;
    let r = env.wfm.recorded();
    let got: Vec<(AgentState, Option<String>)> = ids
        .iter()
        .map(|id| {
            let s = r.states.iter().find(|s| &s.event_id == id).unwrap();
            (s.state, s.media_type.clone())
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (AgentState::Reserved, Some("voice".into())),
            (AgentState::OnContact, Some("voice".into())),
            (AgentState::AfterContactWork, Some("voice".into())),
            (AgentState::Available, None),
        ]
    );
    assert_eq!(r.out_of_order_states, 0);
    assert_eq!(conn.terminate(), Some(0));
}

#[tokio::test]
async fn wfm_outage_loses_nothing_and_sends_each_state_once() {
    let env = Env::start().await;
    for name in ["a1", "a2", "a3"] {
        env.acd.add_worker(name, "Available").unwrap();
    }
    let conn = env.spawn();
    env.wait_wfm("start-up snapshot", |r| !r.snapshots.is_empty())
        .await;
    env.wfm.set_fault(Fault::outage()).await;
    let t = now_ms();
    let mut ids = Vec::new();
    for i in 0..30i64 {
        let name = ["a1", "a2", "a3"][(i % 3) as usize];
        let act = if i % 2 == 0 { "Break" } else { "Available" };
        ids.push(
            env.acd
                .push(Script::worker_activity(name, act, t + i * 10))
                .unwrap(),
        );
    }
    // Retries pile up against the outage (the log says so), then WFM comes back.
    let log_path = env.log_path.clone();
    let mut waited = 0;
    while !std::fs::read_to_string(&log_path)
        .unwrap_or_default()
        .contains("WFM delivery failed; retrying")
    {
        assert!(waited < 300, "no retry logged during the outage");
        tokio::task::yield_now().await;
        env.wfm
            .wait_until(|_| false, std::time::Duration::from_millis(100))
            .await;
        waited += 1;
    }
    env.wfm.end_outage().await;
    let want = ids.clone();
    env.wait_wfm("all 30 states", move |r| {
        let got = received_ids(r);
        want.iter().all(|id| got.contains(id))
    })
    .await;
    let r = env.wfm.recorded();
    // In order per agent, none twice.
    let order: Vec<&String> = r
        .states
        .iter()
        .filter(|s| ids.contains(&s.event_id))
        .map(|s| &s.event_id)
        .collect();
    assert_eq!(order, ids.iter().collect::<Vec<_>>());
    assert_eq!(r.out_of_order_states, 0);
    assert_eq!(conn.terminate(), Some(0));
}

#[tokio::test]
async fn revoked_or_expired_token_reauths_and_carries_on() {
    let env = Env::start().await;
    env.acd.add_worker("carol", "Available").unwrap();
    let conn = env.spawn();
    env.wait_wfm("first delivery", |r| !r.snapshots.is_empty())
        .await;
    let issued = env.wfm.recorded().tokens_issued;
    env.wfm.revoke_tokens();
    let ev = env
        .acd
        .push(Script::worker_activity("carol", "Break", now_ms()))
        .unwrap();
    env.wait_wfm("state after revocation", |r| {
        r.states.iter().any(|s| s.event_id == ev)
    })
    .await;
    let r = env.wfm.recorded();
    assert!(r.tokens_issued > issued, "a new token was requested");
    // One 401, then the same request succeeded at once.
    assert!(
        r.requests
            .iter()
            .any(|q| q.path == "/agent-states" && q.status == 401)
    );
    assert_eq!(conn.terminate(), Some(0));
}

#[tokio::test]
async fn retry_after_on_429_is_honoured() {
    let env = Env::start().await;
    env.acd.add_worker("dave", "Available").unwrap();
    env.wfm
        .set_fault(Fault::too_many_requests(1, 2).on(FaultScope::AgentStates))
        .await;
    let conn = env.spawn();
    env.wait_wfm("delivery after the 429", |r| {
        r.requests
            .iter()
            .any(|q| q.path == "/agent-states" && q.status == 200)
    })
    .await;
    let r = env.wfm.recorded();
    let calls: Vec<_> = r
        .requests
        .iter()
        .filter(|q| q.path == "/agent-states")
        .collect();
    assert_eq!(calls[0].status, 429);
    let gap = calls[1].at.duration_since(calls[0].at);
    assert!(
        gap >= std::time::Duration::from_secs(2),
        "retried after {gap:?}"
    );
    assert_eq!(conn.terminate(), Some(0));
}

#[tokio::test]
async fn server_errors_are_retried_until_delivered() {
    let env = Env::start().await;
    env.acd.add_worker("erin", "Available").unwrap();
    env.wfm
        .set_fault(Fault::status(503, 3).on(FaultScope::AgentStates))
        .await;
    let ev = env
        .acd
        .push(Script::worker_activity("erin", "Lunch", now_ms() - 500))
        .unwrap();
    let conn = env.spawn();
    env.wait_wfm("state after three 503s", |r| {
        r.states.iter().any(|s| s.event_id == ev)
    })
    .await;
    let r = env.wfm.recorded();
    assert!(r.requests.iter().filter(|q| q.status == 503).count() >= 3);
    assert_eq!(conn.terminate(), Some(0));
}

/// Five state changes visible before the connector starts: they go out as one batch.
fn five_changes(env: &Env) -> Vec<String> {
    let t = now_ms() - 3_000;
    (0..5i64)
        .map(|i| {
            let act = if i % 2 == 0 { "Break" } else { "Available" };
            env.acd
                .push(Script::worker_activity("frank", act, t + i * 100))
                .unwrap()
        })
        .collect()
}

#[tokio::test]
async fn partial_dead_letters_only_the_named_items() {
    let env = Env::start().await;
    env.acd.add_worker("frank", "Offline").unwrap();
    let ids = five_changes(&env);
    env.wfm
        .set_fault(Fault::partial(1, vec![1, 3]).on(FaultScope::AgentStates))
        .await;
    let conn = env.spawn();
    env.wait_wfm("the snapshot after the batch", |r| !r.snapshots.is_empty())
        .await;
    let r = env.wfm.recorded();
    let got = received_ids(&r);
    let partial_batch: Vec<&String> = ids.iter().filter(|id| got.contains(id)).collect();
    assert_eq!(partial_batch, vec![&ids[0], &ids[2], &ids[4]]);
    assert_eq!(conn.terminate(), Some(0));
    let status = env.status();
    assert_eq!(status["dead_letter_count"], 2);
    let dead: Vec<&str> = status["dead_letters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["item_id"].as_str().unwrap())
        .collect();
    assert!(dead.contains(&ids[1].as_str()) && dead.contains(&ids[3].as_str()));
    // `replay --dead-letters` sends them again.
    let out = env.cli(&["replay", "--dead-letters"]);
    assert_eq!(out.status.code(), Some(0));
    let conn = env.spawn();
    let want = [ids[1].clone(), ids[3].clone()];
    env.wait_wfm("the dead letters re-sent", move |r| {
        let got = received_ids(r);
        want.iter().all(|id| got.contains(id))
    })
    .await;
    assert_eq!(conn.terminate(), Some(0));
}

#[tokio::test]
async fn rejected_batch_is_dead_lettered_and_later_batches_still_go() {
    let env = Env::start().await;
    env.acd.add_worker("frank", "Offline").unwrap();
    let ids = five_changes(&env);
    env.wfm
        .set_fault(Fault::rejected(1).on(FaultScope::AgentStates))
        .await;
    let conn = env.spawn();
    env.wait_wfm("the snapshot after the rejected batch", |r| {
        !r.snapshots.is_empty()
    })
    .await;
    let later = env
        .acd
        .push(Script::worker_activity("frank", "Lunch", now_ms()))
        .unwrap();
    env.wait_wfm("a later state", |r| {
        r.states.iter().any(|s| s.event_id == later)
    })
    .await;
    let got = received_ids(&env.wfm.recorded());
    assert!(
        ids.iter().all(|id| !got.contains(id)),
        "the rejected batch is not delivered"
    );
    assert_eq!(conn.terminate(), Some(0));
    let status = env.status();
    assert_eq!(status["dead_letter_count"], 5);
    assert!(
        status["dead_letters"][0]["error"]
            .as_str()
            .unwrap()
            .contains("400"),
        "{status}"
    );
}

#[tokio::test]
async fn malformed_acd_bodies_and_junk_events_are_skipped_and_polling_continues() {
    let env = Env::start().await;
    env.acd.add_worker("gina", "Available").unwrap();
    env.acd.set_faults(Faults {
        malformed_next: 3,
        malformed_kind: MalformedKind::Truncated,
        ..Faults::default()
    });
    let t = now_ms() - 2_000;
    env.acd
        .push_raw(serde_json::json!({"sid": "EVjunk1", "event_type": "worker.activity.update", "event_date_ms": t, "event_data": "not an object"}))
        .unwrap();
    env.acd
        .push_raw(serde_json::json!({"no_sid": true, "event_date_ms": t, "event_data": {"worker_sid": 12}}))
        .unwrap();
    let ev = env
        .acd
        .push(Script::worker_activity("gina", "Break", t))
        .unwrap();
    let conn = env.spawn();
    env.wait_wfm("gina's state after junk", |r| {
        r.states.iter().any(|s| s.event_id == ev)
    })
    .await;
    let logs = env.logs();
    assert!(
        logs.contains("ACD request failed; retrying"),
        "{}",
        tail(&logs, 30)
    );
    assert!(!logs.contains("panicked"));
    assert_eq!(conn.terminate(), Some(0));
}

#[tokio::test]
async fn secrets_and_tokens_never_reach_the_logs() {
    let env = Env::start().await;
    env.acd.add_worker("hank", "Available").unwrap();
    // Force auth failures, re-auth and retries so every code path logs.
    env.wfm
        .set_fault(Fault::status(401, 3).on(FaultScope::AgentStates))
        .await;
    let ev = env
        .acd
        .push(Script::worker_activity("hank", "Break", now_ms() - 500))
        .unwrap();
    let conn = env.spawn();
    env.wait_wfm("hank's state", |r| {
        r.states.iter().any(|s| s.event_id == ev)
    })
    .await;
    env.wfm.revoke_tokens();
    let ev2 = env
        .acd
        .push(Script::worker_activity("hank", "Lunch", now_ms()))
        .unwrap();
    env.wait_wfm("after revocation", |r| {
        r.states.iter().any(|s| s.event_id == ev2)
    })
    .await;
    assert_eq!(conn.terminate(), Some(0));
    let logs = env.logs();
    assert!(
        logs.contains("DEBUG") || logs.contains("INFO"),
        "logs were captured"
    );
    for secret in [env.acd.password(), "wfm-secret".to_string()] {
        assert!(
            !logs.contains(&secret),
            "secret {secret:?} leaked into the logs"
        );
    }
    // No bearer token either (the simulator's tokens are long random strings).
    assert!(!logs.to_lowercase().contains("bearer "), "a token leaked");
    let status = String::from_utf8_lossy(&env.cli(&["status"]).stdout).to_string();
    assert!(!status.contains("wfm-secret") && !status.contains(&env.acd.password()));
}

#[tokio::test]
async fn sigterm_stops_cleanly_and_a_restart_resumes_from_the_cursor() {
    let env = Env::start().await;
    env.acd.add_worker("ivy", "Available").unwrap();
    let a = env
        .acd
        .push(Script::worker_activity("ivy", "Break", now_ms() - 1_000))
        .unwrap();
    let conn = env.spawn();
    env.wait_wfm("first state", |r| r.states.iter().any(|s| s.event_id == a))
        .await;
    assert_eq!(conn.terminate(), Some(0));
    let cursor = env.status()["cursor_ms"].as_i64().unwrap();
    let b = env
        .acd
        .push(Script::worker_activity("ivy", "Available", now_ms()))
        .unwrap();
    let conn = env.spawn();
    env.wait_wfm("state after restart", |r| {
        r.states.iter().any(|s| s.event_id == b)
    })
    .await;
    assert_eq!(conn.terminate(), Some(0));
    assert!(env.status()["cursor_ms"].as_i64().unwrap() > cursor);
    assert_eq!(env.wfm.recorded().duplicate_states, 0);
}

#[tokio::test]
async fn acd_rate_limit_is_retried_after_retry_after_and_polling_continues() {
    let env = Env::start().await;
    env.acd.add_worker("jay", "Available").unwrap();
    env.acd.set_faults(Faults {
        rate_limit_next: 1,
        retry_after_secs: 2,
        ..Faults::default()
    });
    let ev = env
        .acd
        .push(Script::worker_activity("jay", "Break", now_ms() - 500))
        .unwrap();
    let conn = env.spawn();
    env.wait_wfm("jay's state after the 429", |r| {
        r.states.iter().any(|s| s.event_id == ev)
    })
    .await;
    let reqs = env.acd.requests();
    let first_429 = reqs.iter().position(|q| q.status == 429).unwrap();
    let next = &reqs[first_429 + 1];
    assert!(
        next.at_ms - reqs[first_429].at_ms >= 2_000,
        "next ACD request {} ms after the 429",
        next.at_ms - reqs[first_429].at_ms
    );
    assert_eq!(conn.terminate(), Some(0));
}

#[tokio::test]
async fn readyz_fails_while_wfm_refuses_us_and_recovers() {
    let env = Env::start().await;
    let admin = env.enable_admin();
    env.acd.add_worker("kim", "Available").unwrap();
    let conn = env.spawn();
    wait_http_status(&format!("{admin}/healthz"), 200).await;
    wait_http_status(&format!("{admin}/readyz"), 200).await;
    // 403: a configuration problem on the WFM side. Everything stays buffered.
    env.wfm
        .set_fault(Fault::status(403, 100_000).on(FaultScope::AgentStates))
        .await;
    let ev = env
        .acd
        .push(Script::worker_activity("kim", "Break", now_ms()))
        .unwrap();
    let body = wait_http_status(&format!("{admin}/readyz"), 503).await;
    assert!(body.contains("WFM"), "{body}");
    assert!(env.logs().contains("WFM refuses the connector"));
    env.wfm.clear_faults().await;
    env.wait_wfm("kim's state after the 403s", |r| {
        r.states.iter().any(|s| s.event_id == ev)
    })
    .await;
    wait_http_status(&format!("{admin}/readyz"), 200).await;
    let metrics = wait_http_status(&format!("{admin}/metrics"), 200).await;
    assert!(
        metrics.contains("wfm_connector_states_sent_total"),
        "{metrics}"
    );
    assert!(metrics.contains("wfm_connector_retries_total"));
    assert_eq!(conn.terminate(), Some(0));
}

#[tokio::test]
async fn token_is_refreshed_ahead_of_expiry_and_heartbeats_flow() {
    let env = Env::start().await;
    // Tokens live 301 s; the connector refreshes 5 min before expiry, so at once.
    env.wfm
        .set_token_lifetime(std::time::Duration::from_secs(301));
    env.acd.add_worker("lee", "Available").unwrap();
    let conn = env.spawn();
    env.wait_wfm("a refresh and two heartbeats", |r| {
        r.refreshes >= 1 && r.heartbeats.len() >= 2
    })
    .await;
    let r = env.wfm.recorded();
    let hb = &r.heartbeats[r.heartbeats.len() - 1];
    assert_eq!(hb["acdType"], "TWILIO");
    assert!(hb["status"] == "OK" || hb["status"] == "DEGRADED");
    assert!(hb["pendingStates"].is_number());
    assert_eq!(conn.terminate(), Some(0));
}

#[tokio::test]
async fn a_gap_longer_than_taskrouter_keeps_events_is_logged_as_data_loss_and_answered_with_a_snapshot()
 {
    let env = Env::start().await;
    env.acd.add_worker("mo", "Available").unwrap();
    // The buffer says the connector last polled 31 days ago.
    let store = wfm_connector::store::Store::open(&env.buffer_path()).unwrap();
    store.set_cursor(now_ms() - 31 * 24 * 3600 * 1000).unwrap();
    drop(store);
    let conn = env.spawn();
    env.wait_wfm("a snapshot", |r| !r.snapshots.is_empty())
        .await;
    // The snapshot is queued before the first page is asked for: wait until the poll has
    // committed (the cursor is recent again).
    let mut tries = 0;
    while env.status()["cursor_ms"].as_i64().unwrap_or(0) < now_ms() - 60_000 {
        assert!(tries < 300, "the cursor never caught up");
        tries += 1;
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(conn.terminate(), Some(0));
    let logs = env.logs();
    assert!(logs.contains("data loss"), "{}", tail(&logs, 20));
    // Polling resumed from what TaskRouter still has, not from 31 days ago.
    let first = env
        .acd
        .requests()
        .into_iter()
        .find(|q| q.path_and_query.contains("/Events"))
        .unwrap();
    let start = first
        .path_and_query
        .split(['?', '&'])
        .find_map(|kv| kv.strip_prefix("StartDate="))
        .unwrap()
        .replace("%3A", ":");
    let start_ms = wfm_connector::clock::parse_rfc3339_ms(&start).unwrap();
    assert!(
        start_ms > now_ms() - 30 * 24 * 3600 * 1000,
        "asked from {start}"
    );
}

#[tokio::test]
async fn json_logs_are_one_json_object_per_line() {
    let env = Env::start().await;
    let text = std::fs::read_to_string(&env.config_path)
        .unwrap()
        .replace("[log]\n", "[log]\nformat = \"json\"\n");
    std::fs::write(&env.config_path, text).unwrap();
    env.acd.add_worker("nia", "Available").unwrap();
    let ev = env
        .acd
        .push(Script::worker_activity("nia", "Break", now_ms() - 500))
        .unwrap();
    let conn = env.spawn();
    env.wait_wfm("nia's state", |r| r.states.iter().any(|s| s.event_id == ev))
        .await;
    assert_eq!(conn.terminate(), Some(0));
    let logs = env.logs();
    let lines: Vec<&str> = logs.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(!lines.is_empty());
    for line in lines {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(v.get("level").is_some(), "{line}");
    }
}
