//! SIGHUP (`systemctl reload`) on the real binary: a reloaded `[states]` mapping applies to the next
//! event; a file with errors is refused, every error logged, nothing changed and the daemon runs
//! on; a changed key that needs a restart is named as such, and the running value kept; a new log
//! format applies at once.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: a failed unwrap is a failed test

mod common;

use common::e2e::{Connector, Env, now_ms};
use wfm_connector::model::AgentState;
use wfm_connector::sim::acd::Script;

const BREAK_AS_BRK: &str = "[states.\"Break\"]\nstate = \"Unavailable\"\nreason = \"BRK\"\n";

/// Pushes a `Break` for `agent` now and waits until WFM has it; returns its reason code.
async fn break_reason(env: &Env, agent: &str) -> Option<String> {
    let id = env
        .acd
        .push(Script::worker_activity(agent, "Break", now_ms()))
        .unwrap();
    env.wait_wfm("the Break state", |r| {
        r.states.iter().any(|s| s.event_id == id)
    })
    .await;
    let rec = env.wfm.recorded();
    let s = rec.states.iter().find(|s| s.event_id == id).unwrap();
    assert_eq!(s.state, AgentState::Unavailable);
    s.reason_code.clone()
}

/// Back to Available, delivered, so the next Break is a change.
async fn back_available(env: &Env, agent: &str) {
    let id = env
        .acd
        .push(Script::worker_activity(agent, "Available", now_ms()))
        .unwrap();
    env.wait_wfm("Available again", |r| {
        r.states.iter().any(|s| s.event_id == id)
    })
    .await;
}

fn still_running(conn: &mut Connector) {
    assert!(
        conn.child.try_wait().unwrap().is_none(),
        "the connector exited:\n{}",
        conn.logs()
    );
}

#[tokio::test]
async fn a_reloaded_state_mapping_applies_to_the_next_event() {
    let env = Env::start().await;
    env.acd.add_worker("alice", "Available").unwrap();
    let mut conn = env.spawn();
    // Without [states]: the Activity's name is the reason code.
    assert_eq!(break_reason(&env, "alice").await.as_deref(), Some("Break"));
    back_available(&env, "alice").await;

    env.write_config("", "", BREAK_AS_BRK);
    conn.hangup();
    conn.wait_log("configuration reloaded");
    conn.wait_log("poller: the reloaded [states] and [media] apply from this poll on");
    assert!(conn.logs().contains("applied=[states]"), "{}", conn.logs());
    assert_eq!(break_reason(&env, "alice").await.as_deref(), Some("BRK"));
    still_running(&mut conn);
    assert_eq!(conn.terminate(), Some(0));
}

#[tokio::test]
async fn a_file_with_errors_is_refused_and_changes_nothing() {
    let env = Env::start().await;
    env.acd.add_worker("bob", "Available").unwrap();
    let mut conn = env.spawn();
    assert_eq!(break_reason(&env, "bob").await.as_deref(), Some("Break"));
    back_available(&env, "bob").await;

    // A valid new mapping, in a file with two errors: none of it applies.
    env.write_config("page_size = 0", "batch_size = 0", BREAK_AS_BRK);
    conn.hangup();
    conn.wait_log("reload refused; the running configuration is kept");
    let logs = conn.logs();
    assert!(
        logs.contains("[acd] page_size: 0 is out of range"),
        "{logs}"
    );
    assert!(
        logs.contains("[wfm] batch_size: 0 is out of range"),
        "{logs}"
    );
    assert!(!logs.contains("configuration reloaded"), "{logs}");
    still_running(&mut conn);
    // Still polling and delivering, with the mapping it had.
    assert_eq!(break_reason(&env, "bob").await.as_deref(), Some("Break"));
    assert_eq!(conn.terminate(), Some(0));
}

#[tokio::test]
async fn a_key_that_needs_a_restart_is_named_and_kept_and_the_log_format_applies() {
    let env = Env::start().await;
    env.acd.add_worker("carol", "Available").unwrap();
    let mut conn = env.spawn();
    assert_eq!(break_reason(&env, "carol").await.as_deref(), Some("Break"));
    back_available(&env, "carol").await;

    // TaskRouter moves (a URL that answers nothing) and the log turns to JSON.
    let text = std::fs::read_to_string(&env.config_path).unwrap();
    let moved = text.replace(&env.acd.base_url(), "http://127.0.0.1:9") + "format = \"json\"\n";
    std::fs::write(&env.config_path, moved).unwrap();
    conn.hangup();
    conn.wait_log("log level and format reloaded");
    let logs = conn.logs();
    assert!(
        logs.contains("reload: [acd] base_url changed but needs a restart to apply"),
        "{logs}"
    );
    let line = logs
        .lines()
        .find(|l| l.contains("log level and format reloaded"))
        .unwrap();
    let json: serde_json::Value =
        serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
    assert_eq!(json["level"], "INFO", "{line}");
    // The running TaskRouter URL is kept: states still flow.
    assert_eq!(break_reason(&env, "carol").await.as_deref(), Some("Break"));
    still_running(&mut conn);
    assert_eq!(conn.terminate(), Some(0));
}
