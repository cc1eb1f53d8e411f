//! The push path end to end (issue 11), the real binary with `[webhook]` on: `sim acd` pushes as
//! Twilio Event Streams does, and the state is at WFM with no poll in between (`poll_interval`
//! 30 s: the push is the only way); the same event polled later is not sent again; forged,
//! unsigned, altered and oversized requests are refused and store nothing; the Auth Token never
//! reaches the logs, `check-config` or `status`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: a failed unwrap is a failed test

mod common;

use common::e2e::{Env, now_ms, tail};
use common::webhook::{
    self as hook, TOKEN, events_polls_since, metric, metrics, post, post_signed, push_to,
};
use wfm_connector::sim::acd::Script;

/// Everything up: the connector has polled once (the start-up snapshot arrived), so it takes
/// pushes.
async fn up(env: &Env) -> common::e2e::Connector {
    let conn = env.spawn();
    env.wait_wfm("the start-up snapshot", |r| !r.snapshots.is_empty())
        .await;
    conn
}

#[tokio::test]
async fn a_signed_push_reaches_wfm_before_any_poll_and_polling_it_later_sends_nothing_twice() {
    let (env, url) = hook::start("30s").await;
    let admin = env.enable_admin();
    env.acd.add_worker("alice", "Available").unwrap();
    let conn = up(&env).await;
    env.acd.set_push(Some(push_to(&url)));

    let pushed_at = now_ms();
    let sid = env
        .acd
        .push(Script::worker_activity("alice", "Break", pushed_at))
        .unwrap();
    env.wait_wfm("alice's Break, pushed", |r| {
        r.states.iter().any(|s| s.event_id == sid)
    })
    .await;
    assert_eq!(
        events_polls_since(&env.acd, pushed_at),
        0,
        "no poll happened between the event and its state at WFM"
    );
    let r = env.wfm.recorded();
    let state = r.states.iter().find(|s| s.event_id == sid).unwrap();
    assert_eq!(
        (state.agent_id.as_str(), state.reason_code.as_deref()),
        ("alice", Some("Break"))
    );
    assert_eq!(state.state_start_ms, pushed_at, "the event's own time");
    let text = metrics(&admin).await;
    assert_eq!(
        metric(&text, "wfm_connector_events_pushed_first_total"),
        Some(1.0)
    );
    assert_eq!(
        metric(&text, "wfm_connector_events_ingested_total"),
        Some(0.0),
        "polled first: none"
    );
    assert_eq!(
        metric(
            &text,
            "wfm_connector_webhook_requests_total{outcome=\"accepted\"}"
        ),
        Some(1.0)
    );
    let last = env.status()["last_push_accepted_ms"].as_i64();
    assert!(
        last.is_some_and(|t| t >= pushed_at - 1_000),
        "status shows the last accepted push: {last:?}"
    );
    let human = String::from_utf8_lossy(&env.cli(&["status"]).stdout).to_string();
    assert!(human.contains("last Twilio push"), "{human}");

    // A restart polls at once, over the overlap that holds the pushed event: nothing new.
    env.acd.set_push(None);
    assert_eq!(conn.terminate(), Some(0));
    let conn = env.spawn();
    env.wait_wfm("the second start-up snapshot", |r| r.snapshots.len() >= 2)
        .await;
    let polls = env.acd.requests();
    assert!(
        polls
            .iter()
            .any(|p| p.at_ms > pushed_at && p.path_and_query.contains("/Events?")),
        "the event was polled again"
    );
    let text = metrics(&admin).await;
    assert_eq!(
        metric(&text, "wfm_connector_events_ingested_total"),
        Some(0.0),
        "the poll found nothing new"
    );
    let r = env.wfm.recorded();
    assert_eq!(r.duplicate_states, 0, "nothing sent twice");
    assert_eq!(r.states.iter().filter(|s| s.event_id == sid).count(), 1);
    assert_eq!(conn.terminate(), Some(0));
}

#[tokio::test]
async fn forged_unsigned_altered_and_oversized_pushes_are_refused_and_store_nothing() {
    let (env, url) = hook::start("30s").await;
    let admin = env.enable_admin();
    env.acd.add_worker("bob", "Available").unwrap();
    let conn = up(&env).await;
    // In the feed (a poll would bring it; none comes within the test), not pushed by the sim.
    let sid = env
        .acd
        .push(Script::worker_activity("bob", "Break", now_ms()))
        .unwrap();
    let body = env.acd.webhook_body(&[&sid]);
    assert!(!body.is_empty());
    let events = || env.status()["events"].as_i64();
    let before = events();

    for _ in 0..3 {
        let status = post_signed(&url, "not-the-auth-token", body.clone()).await;
        assert_eq!(status, 403, "another token");
    }
    let (called, signature) = wfm_connector::webhook::auth::sign(TOKEN, &url, &body);
    assert_eq!(post(&called, None, body.clone()).await, 403, "no signature");
    let altered = String::from_utf8(body.clone())
        .unwrap()
        .replace("Break", "Lunch")
        .into_bytes();
    assert_eq!(
        post(&called, Some(&signature), altered).await,
        400,
        "a body other than the one signed"
    );
    let unsigned = wfm_connector::webhook::auth::signature(TOKEN, &url);
    assert_eq!(
        post(&url, Some(&unsigned), body.clone()).await,
        403,
        "a signature without bodySHA256 does not cover the body"
    );
    let mut big = body.clone();
    big.resize(wfm_connector::webhook::MAX_BODY_BYTES + 1, b' ');
    assert_eq!(post_signed(&url, TOKEN, big).await, 413, "over the cap");
    let client = reqwest::Client::new();
    let other_path = url.replace("/twilio/events", "/other");
    assert_eq!(client.post(other_path).send().await.unwrap().status(), 404);
    assert_eq!(client.get(&url).send().await.unwrap().status(), 405);

    assert_eq!(events(), before, "nothing stored");
    assert!(env.wfm.recorded().states.iter().all(|s| s.event_id != sid));
    let text = metrics(&admin).await;
    let refused = |outcome: &str| {
        metric(
            &text,
            &format!("wfm_connector_webhook_requests_total{{outcome=\"{outcome}\"}}"),
        )
    };
    assert_eq!(refused("forged"), Some(4.0));
    assert_eq!(refused("altered_body"), Some(1.0));
    assert_eq!(refused("unsigned_body"), Some(1.0));
    assert_eq!(refused("too_large"), Some(1.0));
    let logs = env.logs();
    assert_eq!(
        logs.matches("X-Twilio-Signature is missing or wrong")
            .count(),
        1,
        "four forged requests, one warn line (rate-limited):\n{}",
        tail(&logs, 30)
    );
    assert!(
        logs.contains("bodySHA256 differs"),
        "the altered body is warned about too"
    );

    // The same body, genuinely signed, is taken: the refusals were about the signature.
    assert_eq!(post(&called, Some(&signature), body).await, 200);
    env.wait_wfm("bob's Break", |r| {
        r.states.iter().any(|s| s.event_id == sid)
    })
    .await;
    assert_eq!(conn.terminate(), Some(0));

    // The token, and a signature made with it, never reach the logs, check-config or status.
    let logs = env.logs();
    let check = env.cli(&["check-config"]);
    let check_text = format!(
        "{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    assert!(check.status.success(), "{check_text}");
    assert!(
        check_text.contains("auth_token = \"[redacted]\""),
        "{check_text}"
    );
    assert!(
        check_text.contains("is not https"),
        "check-config warns about an http public_url: {check_text}"
    );
    let status = String::from_utf8_lossy(&env.cli(&["status"]).stdout).to_string();
    for (place, text) in [
        ("logs", &logs),
        ("check-config", &check_text),
        ("status", &status),
    ] {
        assert!(!text.contains(TOKEN), "the auth token leaked into {place}");
        assert!(
            !text.contains(&signature),
            "a signature leaked into {place}"
        );
    }
}

#[tokio::test]
async fn a_webhook_port_already_taken_is_a_configuration_error() {
    let (env, url) = hook::start("30s").await;
    let port = reqwest::Url::parse(&url).unwrap().port().unwrap();
    let _taken = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_wfm-connector"))
        .args(["run", "--config"])
        .arg(&env.config_path)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // A connector that starts instead of refusing must fail the test, not hang it.
    let deadline = std::time::Instant::now() + common::e2e::WAIT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("the connector started although the webhook port is taken");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let mut stderr = String::new();
    use std::io::Read;
    if let Some(mut e) = child.stderr.take() {
        e.read_to_string(&mut stderr).unwrap();
    }
    assert_eq!(status.code(), Some(78), "{stderr}");
    assert!(
        stderr.contains("[webhook] listen: cannot listen on 127.0.0.1:"),
        "{stderr}"
    );
}
