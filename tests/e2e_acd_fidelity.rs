//! TaskRouter as it really is (issue 6): the Workers list shows `attributes` as null, so an
//! `agent_id = "attribute:…"` connector reads each worker it needs; an agent is never sent under a
//! fallback id; a `next_page_url` that names another host is refused, logged and polling goes on.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: a failed unwrap is a failed test

mod common;

use common::e2e::{Env, now_ms};
use wfm_connector::sim::acd::{Faults, Script};

#[tokio::test]
async fn attribute_ids_come_from_the_worker_fetch_and_never_fall_back() {
    let env = Env::start().await;
    env.acd
        .add_worker_with(
            None,
            "Jane Doe",
            serde_json::json!({ "logon": "jdoe" }),
            "Available",
        )
        .unwrap();
    env.acd
        .add_worker_with(
            None,
            "No Logon",
            serde_json::json!({ "team": "b" }),
            "Available",
        )
        .unwrap();
    // The workers exist, with no event (as if created before anyone polled): reconciliation
    // brings them in once their status change is older than the overlap (10 s).
    env.write_config(
        "agent_id = \"attribute:logon\"\nworkers_refresh = \"1s\"",
        "",
        "",
    );
    let admin = env.enable_admin();
    let conn = env.spawn();
    env.wait_wfm("jdoe reconciled from the Workers list", |r| {
        r.states.iter().any(|s| s.agent_id == "jdoe")
    })
    .await;
    // A real event later: the same id.
    let sid = env
        .acd
        .push(Script::worker_activity("Jane Doe", "Break", now_ms()))
        .unwrap();
    let s = sid.clone();
    env.wait_wfm("jdoe's break", move |r| {
        r.states.iter().any(|x| x.event_id == s)
    })
    .await;
    let r = env.wfm.recorded();
    assert!(
        r.states.iter().all(|x| x.agent_id == "jdoe"),
        "never under the friendly name, and the worker without a logon never: {:?}",
        r.states
    );
    assert!(
        r.snapshots
            .iter()
            .flat_map(|s| s.states.iter())
            .all(|x| x.agent_id == "jdoe")
    );
    let fetched = env
        .acd
        .requests()
        .iter()
        .filter(|q| q.path_and_query.contains("/Workers/WK"))
        .count();
    assert_eq!(fetched, 2, "each worker read once for its attributes");
    let metrics = common::e2e::metrics_text(&admin).await;
    assert!(
        metrics.contains("wfm_connector_agents_without_id_total 1"),
        "{metrics}"
    );
    assert_eq!(
        env.logs()
            .matches("no value for the configured agent_id")
            .count(),
        1,
        "logged once"
    );
    assert_eq!(conn.terminate(), Some(0));
}

#[tokio::test]
async fn a_next_page_url_on_another_host_is_refused_and_polling_goes_on() {
    let env = Env::start().await;
    env.acd.add_worker("alice", "Available").unwrap();
    // 12 changes over the last minute, pages of 3: the first window needs a next page.
    let start = now_ms() - 60_000;
    let want: Vec<String> = (0..12)
        .map(|i| {
            let activity = if i % 2 == 0 { "Break" } else { "Available" };
            env.acd
                .push(Script::worker_activity(
                    "alice",
                    activity,
                    start + i * 4_000,
                ))
                .unwrap()
        })
        .collect();
    env.acd.set_faults(Faults {
        next_page_url_override: Some("https://elsewhere.example.com".into()),
        ..Faults::default()
    });
    env.write_config("page_size = 3\ninitial_lookback = \"2m\"", "", "");
    let conn = env.spawn();
    let w = want.clone();
    env.wait_wfm("every state, in windows that fit one page", move |r| {
        w.iter()
            .all(|id| r.states.iter().any(|s| &s.event_id == id))
    })
    .await;
    let r = env.wfm.recorded();
    let got: Vec<String> = r
        .states
        .iter()
        .filter(|s| want.contains(&s.event_id))
        .map(|s| s.event_id.clone())
        .collect();
    assert_eq!(got, want, "in order");
    let logs = env.logs();
    assert!(
        logs.contains("https://elsewhere.example.com"),
        "the error names the URL: {}",
        common::e2e::tail(&logs, 20)
    );
    assert!(
        env.acd
            .requests()
            .iter()
            .all(|q| !q.path_and_query.starts_with("https://elsewhere"))
    );
    assert_eq!(conn.terminate(), Some(0));
}
