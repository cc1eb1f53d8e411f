//! A backlog larger than one Events page (issue 7): TaskRouter serves Events newest first; after
//! a first start with `initial_lookback`, or a restart after downtime, WFM must receive exactly the
//! ordered state changes a connector that never stopped would have sent — the same ids, in the
//! same order per agent. Also: events dated in the future are quarantined instead of freezing an
//! agent's real time, and a `next_page_url` the connector will not follow does not stop polling.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: a failed unwrap is a failed test

mod common;

use common::e2e::{Env, now_ms};
use std::collections::BTreeMap;
use wfm_connector::sim::acd::Script;
use wfm_connector::sim::wfm::Recorded;

const AGENTS: usize = 10;

/// Pushes `per_agent` alternating Break/Available changes for each agent, dated from `from_ms`
/// one millisecond apart across agents, and waits until TaskRouter shows them all (the last ones
/// may be dated a little ahead); returns each agent's event sids in time order.
async fn push_history(env: &Env, from_ms: i64, per_agent: usize) -> BTreeMap<String, Vec<String>> {
    let before = env.acd.visible_event_count();
    let mut sids: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for j in 0..per_agent {
        for a in 0..AGENTS {
            let name = format!("agent{a:02}");
            let activity = if j % 2 == 0 { "Break" } else { "Available" };
            let at = from_ms + (j * AGENTS + a) as i64;
            let sid = env
                .acd
                .push(Script::worker_activity(&name, activity, at))
                .unwrap();
            sids.entry(name).or_default().push(sid);
        }
    }
    let total = before + per_agent * AGENTS;
    while env.acd.visible_event_count() < total {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    sids
}

/// Each agent's distinct state ids, in the order WFM received them.
fn received_by_agent(r: &Recorded) -> BTreeMap<String, Vec<String>> {
    let mut seen = std::collections::HashSet::new();
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for s in &r.states {
        if seen.insert(s.event_id.clone()) {
            out.entry(s.agent_id.clone())
                .or_default()
                .push(s.event_id.clone());
        }
    }
    out
}

async fn assert_every_state_in_order(env: &Env, want: &BTreeMap<String, Vec<String>>) {
    let total: usize = want.values().map(Vec::len).sum();
    env.wait_wfm("every state of the backlog", move |r| {
        r.distinct_states >= total
    })
    .await;
    let r = env.wfm.recorded();
    let got = received_by_agent(&r);
    for (agent, sids) in want {
        assert_eq!(
            got.get(agent).map(Vec::len),
            Some(sids.len()),
            "{agent}: every state, no extra"
        );
        assert_eq!(got.get(agent), Some(sids), "{agent}: same ids, same order");
    }
    assert_eq!(r.out_of_order_states, 0);
}

#[tokio::test]
async fn a_first_start_with_a_multi_page_backlog_sends_every_state_in_order() {
    let env = Env::start().await;
    for a in 0..AGENTS {
        env.acd
            .add_worker(&format!("agent{a:02}"), "Available")
            .unwrap();
    }
    // 2,500 changes in the last minute of history, pages of 100: 25 pages, newest first.
    let want = push_history(&env, now_ms() - 60_000, 250).await;
    env.write_config("page_size = 100\ninitial_lookback = \"5m\"", "", "");
    let conn = env.spawn();
    assert_every_state_in_order(&env, &want).await;
    let pages = env
        .acd
        .requests()
        .iter()
        .filter(|q| q.path_and_query.contains("/Events"))
        .count();
    assert!(pages >= 25, "the backlog spanned {pages} pages");
    assert_eq!(conn.terminate(), Some(0));
}

#[tokio::test]
async fn a_restart_after_downtime_sends_every_state_missed_in_order() {
    let env = Env::start().await;
    for a in 0..AGENTS {
        env.acd
            .add_worker(&format!("agent{a:02}"), "Available")
            .unwrap();
    }
    env.write_config("page_size = 100", "", "");
    let conn = env.spawn();
    env.wait_wfm("start-up snapshot", |r| !r.snapshots.is_empty())
        .await;
    assert_eq!(conn.terminate(), Some(0));
    // While it is down: 300 changes per agent, 30 pages, all visible before it restarts.
    let want = push_history(&env, now_ms(), 300).await;
    let conn = env.spawn();
    assert_every_state_in_order(&env, &want).await;
    assert_eq!(conn.terminate(), Some(0));
}

#[tokio::test]
async fn an_event_dated_far_in_the_future_is_quarantined_and_does_not_freeze_the_agent() {
    let env = Env::start().await;
    env.acd.add_worker("alice", "Available").unwrap();
    // A bad record arrives first: TaskRouter files it now, but its `event_date_ms` says 2100.
    let alice = env.acd.worker_sid("alice").unwrap();
    let bad = "EVbad0000000000000000000000000000".to_string();
    let now = now_ms();
    env.acd
        .push_raw_at(
            serde_json::json!({
                "sid": bad,
                "event_type": "worker.activity.update",
                "event_date": wfm_connector::clock::rfc3339_ms(now),
                "event_date_ms": 4_102_444_800_000_i64,
                "resource_sid": alice,
                "resource_type": "worker",
                "event_data": {
                    "worker_sid": alice,
                    "worker_name": "alice",
                    "worker_activity_sid": env.acd.activity_sid("Offline").unwrap(),
                    "worker_activity_name": "Offline",
                },
            }),
            Some(now),
            0,
        )
        .unwrap();
    let admin = env.enable_admin();
    let conn = env.spawn();
    env.wait_wfm("start-up snapshot", |r| !r.snapshots.is_empty())
        .await;
    let good = env
        .acd
        .push(Script::worker_activity("alice", "Break", now_ms()))
        .unwrap();
    let g = good.clone();
    env.wait_wfm("alice's real change", move |r| {
        r.states.iter().any(|s| s.event_id == g)
    })
    .await;
    let r = env.wfm.recorded();
    assert!(r.states.iter().all(|s| s.event_id != bad));
    let metrics = common::e2e::metrics_text(&admin).await;
    assert!(
        metrics.contains("wfm_connector_events_quarantined_total 1"),
        "{metrics}"
    );
    assert!(env.logs().contains("quarantined_events"));
    // Kept in the raw record.
    let db = rusqlite::Connection::open(env.buffer_path()).unwrap();
    let kept: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM quarantined_events WHERE sid = ?1",
            [&bad],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(kept, 1);
    assert_eq!(conn.terminate(), Some(0));
}

#[tokio::test]
async fn after_a_gap_of_more_than_a_day_old_states_go_to_history_and_rta_gets_a_snapshot() {
    let env = Env::start().await;
    env.acd.add_worker("alice", "Available").unwrap();
    let hour = 3_600_000;
    // The connector last polled 30 hours ago; alice changed 26 h ago and 1 h ago.
    let store = wfm_connector::store::Store::open(&env.buffer_path()).unwrap();
    store.set_cursor(now_ms() - 30 * hour).unwrap();
    drop(store);
    let old = env
        .acd
        .push(Script::worker_activity(
            "alice",
            "Break",
            now_ms() - 26 * hour,
        ))
        .unwrap();
    let recent = env
        .acd
        .push(Script::worker_activity(
            "alice",
            "Training",
            now_ms() - hour,
        ))
        .unwrap();
    let conn = env.spawn();
    let r2 = recent.clone();
    env.wait_wfm("the recent state and a snapshot after it", move |r| {
        r.states.iter().any(|s| s.event_id == r2) && !r.snapshots.is_empty()
    })
    .await;
    let r = env.wfm.recorded();
    assert!(
        r.states.iter().all(|s| s.event_id != old),
        "a state that began 26 h ago is history, not real time"
    );
    // History has it: the buffer derived both changes.
    let db = rusqlite::Connection::open(env.buffer_path()).unwrap();
    let segments: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM segments WHERE event_sid IN (?1, ?2)",
            [&old, &recent],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(segments, 2);
    assert_eq!(conn.terminate(), Some(0));
}
