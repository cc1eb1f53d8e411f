//! RTA latency without timing thresholds (SPEC §11 is measured by `benches/rta_latency.rs`):
//! an event of the current second is in the window of the first poll after it became visible —
//! the poll's `EndDate` covers it — instead of waiting for the next whole second to be asked
//! for. Also: `sim wfm` stamps each accepted state with its clock, which the benchmark reads.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: a failed unwrap is a failed test

mod common;

use common::e2e::{Env, now_ms};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use wfm_connector::clock::{ManualClock, parse_rfc3339_ms};
use wfm_connector::model::Millis;
use wfm_connector::sim::acd::{AcdRequestLogEntry, Script};
use wfm_connector::sim::wfm::{self, SimWfmOptions};

/// The `EndDate` an Events request asked for, in milliseconds.
fn end_date(request: &AcdRequestLogEntry) -> Option<Millis> {
    let url = reqwest::Url::parse(&format!("http://sim{}", request.path_and_query)).ok()?;
    let (_, value) = url.query_pairs().find(|(k, _)| k == "EndDate")?;
    parse_rfc3339_ms(&value)
}

/// The first page of the first Events poll that arrived at sim acd strictly after `after_ms`.
fn first_poll_after(
    requests: &[AcdRequestLogEntry],
    after_ms: Millis,
) -> Option<&AcdRequestLogEntry> {
    requests.iter().find(|r| {
        r.at_ms > after_ms
            && r.path_and_query.contains("/Events?")
            && !r.path_and_query.contains("PageToken")
    })
}

/// Waits until the system clock is between 100 and 500 ms past a whole second: an event stamped
/// then is not on a whole second, and the next poll (every 200 ms) still asks within that second.
/// A wait on the clock, not a stand-in for synchronisation.
async fn well_inside_a_second() -> Millis {
    loop {
        let t = now_ms();
        if (100..500).contains(&t.rem_euclid(1000)) {
            return t;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn an_event_of_the_current_second_is_read_by_the_first_poll_after_it() {
    // poll_interval = "200ms" (the harness's config).
    let env = Env::start().await;
    env.acd.add_worker("alice", "Available").unwrap();
    let conn = env.spawn();
    env.wait_wfm("the start-up snapshot", |r| !r.snapshots.is_empty())
        .await;
    // Three rounds: a rounded-down EndDate misses each (the next poll asks within the event's
    // second); the window ending now covers each.
    for activity in ["Break", "Available", "Break"] {
        let t = well_inside_a_second().await;
        let sid = env
            .acd
            .push(Script::worker_activity("alice", activity, t))
            .unwrap();
        let pushed = now_ms();
        env.wait_wfm(&format!("alice's {activity} state"), |r| {
            r.states.iter().any(|s| s.event_id == sid)
        })
        .await;
        let requests = env.acd.requests();
        let poll = first_poll_after(&requests, pushed).expect("a poll after the push");
        let end = end_date(poll).expect("the poll's EndDate");
        assert!(
            end >= t,
            "the first poll after the event asked up to {} only, before the event at {} \
             (request {})",
            wfm_connector::clock::rfc3339_ms(end),
            wfm_connector::clock::rfc3339_ms(t),
            poll.path_and_query
        );
        let r = env.wfm.recorded();
        let state = r.states.iter().find(|s| s.event_id == sid).unwrap();
        assert_eq!(state.state_start_ms, t, "the event's own time is sent");
    }
    assert_eq!(conn.terminate(), Some(0));
}

#[tokio::test]
async fn sim_wfm_stamps_each_accepted_state_with_its_clock_when_recorded() {
    const T0: Millis = 1_795_000_000_000;
    let clock = ManualClock::new(T0);
    let sim = wfm::start(SimWfmOptions {
        clock: Arc::new(clock.clone()),
        ..SimWfmOptions::default()
    })
    .await
    .unwrap();
    let http = reqwest::Client::new();
    let token: serde_json::Value = http
        .post(format!("{}/auth/token", sim.base_url()))
        .json(&json!({"tenantName": "tenant",
            "accessKeyTokenRequest": {"accessKeyId": "key-id", "accessKeySecret": "wfm-secret"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["access_token"].as_str().unwrap().to_owned();
    let post = |id: &'static str| {
        let body = json!({"acdType": "TWILIO", "batchId": id, "isSnapshot": false,
            "agentStates": [{"eventId": id, "agentId": "alice", "state": "Available",
                "reasonCode": null, "mediaType": null,
                "stateStart": wfm_connector::clock::rfc3339_ms(T0), "isLoggedOn": true}]});
        http.post(format!("{}/agent-states", sim.base_url()))
            .bearer_auth(&token)
            .header("idempotency-key", id)
            .header("accept", "application/json")
            .json(&body)
            .send()
    };
    assert_eq!(post("e1").await.unwrap().status(), 200);
    clock.advance(1_234);
    assert_eq!(post("e2").await.unwrap().status(), 200);
    let r = sim.recorded();
    let received: Vec<(&str, Millis)> = r
        .states
        .iter()
        .map(|s| (s.event_id.as_str(), s.received_ms))
        .collect();
    assert_eq!(received, vec![("e1", T0), ("e2", T0 + 1_234)]);
    sim.shutdown().await;
}
