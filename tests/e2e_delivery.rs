//! Only a real acceptance is a delivery (SPEC §6, issue 7 item 2): a WFM answer of `200` whose
//! body is empty, `{}`, not JSON, an unknown status, or a `PARTIAL` naming an item the request
//! did not carry is a failed attempt. End to end with the connector binary and both simulators:
//! nothing is lost (every state reaches WFM once, in order, when the answers turn good), the
//! connector warns with what came back, `/readyz` fails during a run of such answers and
//! recovers, and `/metrics` counts them — for agent states, reports and heartbeats.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: a failed unwrap is a failed test

mod common;

use common::e2e::{Env, now_ms, received_ids, wait_http_status};
use wfm_connector::clock::rfc3339_ms;
use wfm_connector::sim::acd::Script;
use wfm_connector::sim::wfm::{BadAnswer, Fault, FaultScope};

/// "Until cleared": the tests clear the fault once they have seen `/readyz` fail.
const MANY: usize = 100_000;

/// The value of `wfm_connector_wfm_bad_answers_total` in a Prometheus text exposition.
fn bad_answers_metric(metrics: &str) -> u64 {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix("wfm_connector_wfm_bad_answers_total "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no wfm_bad_answers_total in:\n{metrics}"))
}

/// States pushed while WFM answers `kind` to every batch are all delivered once it answers
/// properly again; `marker` is what the connector's warning must quote from the answer.
async fn states_survive(kind: BadAnswer, marker: &str) {
    let env = Env::start().await;
    let admin = env.enable_admin();
    for name in ["ann", "ben"] {
        env.acd.add_worker(name, "Available").unwrap();
    }
    let conn = env.spawn();
    env.wait_wfm("the start-up snapshot", |r| !r.snapshots.is_empty())
        .await;
    wait_http_status(&format!("{admin}/readyz"), 200).await;

    env.wfm
        .set_fault(Fault::bad_answer(kind, MANY).on(FaultScope::AgentStates))
        .await;
    let t = now_ms() - 2_000;
    let ids: Vec<String> = (0..6i64)
        .map(|i| {
            let name = ["ann", "ben"][(i % 2) as usize];
            let activity = if i % 4 < 2 { "Break" } else { "Available" };
            env.acd
                .push(Script::worker_activity(name, activity, t + i * 100))
                .unwrap()
        })
        .collect();
    let body = wait_http_status(&format!("{admin}/readyz"), 503).await;
    assert!(body.contains("not a delivery"), "{body}");
    let r = env.wfm.recorded();
    let bad = r
        .requests_to("/agent-states")
        .filter(|q| q.summary.contains(kind.as_str()))
        .count();
    assert!(bad >= 3, "only {bad} bad answers before /readyz failed");
    assert!(received_ids(&r).iter().all(|id| !ids.contains(id)));

    env.wfm.clear_faults().await;
    let want = ids.clone();
    env.wait_wfm("every state after the bad answers", move |r| {
        let got = received_ids(r);
        want.iter().all(|id| got.contains(id))
    })
    .await;
    let r = env.wfm.recorded();
    let order: Vec<&String> = r
        .states
        .iter()
        .filter(|s| ids.contains(&s.event_id))
        .map(|s| &s.event_id)
        .collect();
    assert_eq!(
        order,
        ids.iter().collect::<Vec<_>>(),
        "each state once, in order"
    );
    assert_eq!(r.duplicate_states, 0);
    assert_eq!(r.out_of_order_states, 0);
    wait_http_status(&format!("{admin}/readyz"), 200).await;
    let metrics = wait_http_status(&format!("{admin}/metrics"), 200).await;
    assert!(bad_answers_metric(&metrics) >= 3, "{metrics}");

    let logs = env.logs();
    let warning = logs
        .lines()
        .find(|l| l.contains("WARN") && l.contains("not a delivery") && l.contains("/agent-states"))
        .unwrap_or_else(|| panic!("no warning about the answer:\n{logs}"));
    assert!(warning.contains(marker), "{warning}");
    assert!(!logs.contains("wfm-secret"), "{logs}");
    assert_eq!(conn.terminate(), Some(0));
    // Nothing was dead-lettered: a bad answer is not a refusal.
    assert_eq!(env.status()["dead_letter_count"], 0);
}

#[tokio::test]
async fn empty_200_is_not_a_delivery() {
    states_survive(BadAnswer::EmptyBody, "empty body").await;
}

#[tokio::test]
async fn empty_object_is_not_a_delivery() {
    states_survive(BadAnswer::EmptyObject, "{}").await;
}

#[tokio::test]
async fn html_page_is_not_a_delivery() {
    states_survive(BadAnswer::NotJson, "Service temporarily unavailable").await;
}

#[tokio::test]
async fn unknown_status_is_not_a_delivery() {
    states_survive(BadAnswer::UnknownStatus, "QUEUED").await;
}

#[tokio::test]
async fn partial_naming_an_item_outside_the_batch_is_not_a_delivery() {
    states_survive(BadAnswer::PartialOutOfRange, "outside").await;
}

#[tokio::test]
async fn a_report_answered_badly_is_sent_again_and_accepted() {
    let env = Env::start().await;
    // History from an hour back, so the replayed interval lies inside what was observed.
    env.write_config("initial_lookback = \"1h\"", "", "");
    let admin = env.enable_admin();
    env.acd.add_worker("cat", "Available").unwrap();
    env.wfm
        .set_fault(Fault::bad_answer(BadAnswer::EmptyObject, MANY).on(FaultScope::Reports))
        .await;
    let conn = env.spawn();
    env.wait_wfm("the start-up snapshot", |r| !r.snapshots.is_empty())
        .await;
    // A report of a closed interval, queued while the daemon runs (its pusher picks it up).
    let interval = 15 * 60_000;
    let start = (now_ms() / interval - 2) * interval;
    let (from, to) = (rfc3339_ms(start), rfc3339_ms(start + interval));
    let out = env.cli(&["replay", "--reports", "--from", &from, "--to", &to]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let body = wait_http_status(&format!("{admin}/readyz"), 503).await;
    assert!(body.contains("not a delivery"), "{body}");
    assert!(
        env.wfm
            .recorded()
            .reports
            .iter()
            .all(|r| r.start_date != from),
        "nothing is recorded while the answers are bad"
    );

    env.wfm.clear_faults().await;
    let sd = from.clone();
    env.wait_wfm("both reports of the replayed interval", move |r| {
        ["agent-activity", "queue"].iter().all(|k| {
            r.reports
                .iter()
                .any(|x| x.kind.as_str() == *k && x.start_date == sd)
        })
    })
    .await;
    wait_http_status(&format!("{admin}/readyz"), 200).await;
    let logs = env.logs();
    assert!(
        logs.lines().any(|l| l.contains("WARN")
            && l.contains("not a delivery")
            && l.contains("/reports/")
            && l.contains("{}")),
        "{logs}"
    );
    assert_eq!(conn.terminate(), Some(0));
    assert_eq!(env.status()["dead_letter_count"], 0);
}

#[tokio::test]
async fn bad_answers_to_heartbeats_are_logged_counted_and_fail_readiness() {
    let env = Env::start().await;
    let admin = env.enable_admin();
    env.acd.add_worker("dan", "Available").unwrap();
    let conn = env.spawn();
    wait_http_status(&format!("{admin}/readyz"), 200).await;
    env.wfm
        .set_fault(Fault::bad_answer(BadAnswer::UnknownStatus, MANY).on(FaultScope::Heartbeat))
        .await;
    let body = wait_http_status(&format!("{admin}/readyz"), 503).await;
    assert!(body.contains("not a delivery"), "{body}");
    let metrics = wait_http_status(&format!("{admin}/metrics"), 200).await;
    assert!(bad_answers_metric(&metrics) >= 3, "{metrics}");
    // A bad answer records nothing: the next heartbeat recorded is one answered properly.
    let before = env.wfm.recorded().heartbeats.len();
    env.wfm.clear_faults().await;
    env.wait_wfm("a heartbeat accepted after the bad answers", move |r| {
        r.heartbeats.len() > before
    })
    .await;
    wait_http_status(&format!("{admin}/readyz"), 200).await;
    let logs = env.logs();
    assert!(
        logs.lines().any(|l| l.contains("WARN")
            && l.contains("not a delivery")
            && l.contains("/heartbeat")
            && l.contains("QUEUED")),
        "{logs}"
    );
    assert_eq!(conn.terminate(), Some(0));
}

#[test]
fn sim_wfm_help_lists_every_bad_answer() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_wfm-connector"))
        .args(["sim", "wfm", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("--bad-answer-count"), "{help}");
    for kind in BadAnswer::ALL {
        assert!(help.contains(kind.as_str()), "{help}");
    }
}
