//! The push path when Twilio's delivery misbehaves (issue 11), the real binary: duplicated and
//! reordered pushes derive exactly what in-order polling derives; pushes lost while the connector
//! was down are brought by polling; a buffer that refuses writes answers 503, and the push Twilio
//! retries gets in once there is room.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: a failed unwrap is a failed test

mod common;

use common::e2e::{Env, now_ms};
use common::webhook::{self as hook, push_to, until};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use wfm_connector::model::{Millis, Segment};
use wfm_connector::sim::acd::{PushFaults, Script, ScriptEvent};
use wfm_connector::sim::wfm::Recorded;
use wfm_connector::store::Store;

const AGENTS: [&str; 3] = ["ann", "ben", "cat"];
const ACTIVITIES: [&str; 4] = ["Break", "Available", "Lunch", "Training"];

/// Two events in a row per agent, so that a swapped pair is a late event for its agent.
fn script(base: Millis) -> Vec<ScriptEvent> {
    (0..24)
        .map(|i| {
            let agent = AGENTS[(i / 2) % AGENTS.len()];
            let activity = ACTIVITIES[(i * 7 / 3) % ACTIVITIES.len()];
            Script::worker_activity(agent, activity, base + i as Millis * 40)
        })
        .collect()
}

fn add_agents(env: &Env) {
    for a in AGENTS {
        env.acd.add_worker(a, "Available").unwrap();
    }
}

fn segments(buffer: &Path) -> Vec<Segment> {
    Store::open(buffer)
        .unwrap()
        .segments_overlapping(Millis::MIN, Millis::MAX)
        .unwrap()
}

/// The last state WFM was told per agent: (state, reason).
fn present(r: &Recorded) -> BTreeMap<String, String> {
    r.states
        .iter()
        .map(|s| {
            (
                s.agent_id.clone(),
                format!("{:?} {:?}", s.state, s.reason_code),
            )
        })
        .collect()
}

#[tokio::test]
async fn duplicated_and_reordered_pushes_derive_what_in_order_polling_derives() {
    let base = now_ms() - 5_000;
    // Pushed: every push sent twice, every other one held back behind the next, one event each.
    let (pushed, url) = hook::start("30s").await;
    add_agents(&pushed);
    let conn = pushed.spawn();
    pushed
        .wait_wfm("the start-up snapshot", |r| !r.snapshots.is_empty())
        .await;
    let mut opts = push_to(&url);
    opts.max_batch = 1;
    opts.faults = PushFaults {
        duplicate_rate: 1.0,
        reorder_rate: 0.5,
        drop_rate: 0.0,
    };
    pushed.acd.set_push(Some(opts));
    let pushing_from = now_ms();
    let sids = pushed.acd.push_all(script(base)).unwrap();
    // Each push delivered, and delivered again: every request has been answered.
    until("every push delivered twice", || {
        let d = pushed.acd.push_deliveries();
        d.len() >= 2 * sids.len() && d.iter().all(|d| d.status == Some(200))
    })
    .await;
    // The newest event of each agent always reaches RTA, whatever came before it.
    let newest: Vec<String> = (0..AGENTS.len())
        .map(|a| sids[sids.len() - 2 * AGENTS.len() + 2 * a + 1].clone())
        .collect();
    pushed
        .wait_wfm("each agent's newest event", move |r| {
            newest
                .iter()
                .all(|id| r.states.iter().any(|s| &s.event_id == id))
        })
        .await;
    let deliveries = pushed.acd.push_deliveries();
    let order: Vec<&String> = deliveries.iter().flat_map(|d| &d.sids).collect();
    let first_at = |sid: &String| order.iter().position(|s| *s == sid);
    assert!(
        sids.chunks(2)
            .any(|pair| first_at(&pair[1]) < first_at(&pair[0])),
        "some agent's later event arrived before its earlier one (a late event)"
    );
    assert!(deliveries.iter().any(|d| d.duplicate), "some twice");
    assert_eq!(
        hook::events_polls_since(&pushed.acd, pushing_from),
        0,
        "no poll"
    );
    assert_eq!(conn.terminate(), Some(0));

    // Polled: the same agents and events (same sids, same times), read in order by one poll.
    let polled = Env::start().await;
    hook::add_acd_line(&polled, "initial_lookback = \"10m\"");
    add_agents(&polled);
    let same = polled.acd.push_all(script(base)).unwrap();
    assert_eq!(same, sids, "the simulator gives both runs the same sids");
    let conn = polled.spawn();
    let last = sids.clone();
    polled
        .wait_wfm("every event polled", move |r| {
            r.states.iter().any(|s| Some(&s.event_id) == last.last())
        })
        .await;
    polled
        .wait_wfm("the start-up snapshot", |r| !r.snapshots.is_empty())
        .await;
    assert_eq!(conn.terminate(), Some(0));

    let (a, b) = (pushed.wfm.recorded(), polled.wfm.recorded());
    assert_eq!(
        segments(&pushed.buffer_path()),
        segments(&polled.buffer_path())
    );
    assert_eq!(present(&a), present(&b), "each agent's present at WFM");
    assert_eq!(a.duplicate_states, 0, "pushed twice, sent once");
    assert_eq!(
        a.out_of_order_states, 0,
        "late pushes never take RTA back in time"
    );
}

#[tokio::test]
async fn while_the_connector_is_down_polling_brings_what_twilio_could_not_push() {
    let (env, url) = hook::start("30s").await;
    env.acd.add_worker("dan", "Available").unwrap();
    let conn = env.spawn();
    env.wait_wfm("the start-up snapshot", |r| !r.snapshots.is_empty())
        .await;
    let mut opts = push_to(&url);
    opts.retry_for = std::time::Duration::ZERO;
    env.acd.set_push(Some(opts));
    assert_eq!(conn.terminate(), Some(0));

    let sids = env
        .acd
        .push_all(
            ["Break", "Available", "Lunch"]
                .iter()
                .enumerate()
                .map(|(i, a)| Script::worker_activity("dan", a, now_ms() + i as Millis)),
        )
        .unwrap();
    until("Twilio gave the pushes up", || {
        env.acd.push_counters().events_given_up >= 3
    })
    .await;
    assert!(env.acd.push_deliveries().iter().all(|d| d.status.is_none()));

    let conn = env.spawn();
    let want = sids.clone();
    env.wait_wfm("every state, by polling", move |r| {
        want.iter()
            .all(|id| r.states.iter().any(|s| &s.event_id == id))
    })
    .await;
    let got = common::e2e::received_ids(&env.wfm.recorded());
    assert_eq!(got[got.len() - 3..], sids[..], "in order, once");
    assert_eq!(conn.terminate(), Some(0));
}

/// A mounted tmpfs, unmounted on drop (as `e2e_disk.rs`).
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: &Path, size: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(at).ok()?;
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .status()
            .ok()?
            .success();
        ok.then(|| Tmpfs(at.to_path_buf()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Fills the filesystem of `dir` to the last byte; returns the filler's path.
fn fill(dir: &Path) -> PathBuf {
    let path = dir.join("filler");
    let mut f = std::fs::File::create(&path).unwrap();
    let chunk = vec![0u8; 4096];
    while f.write_all(&chunk).and_then(|_| f.flush()).is_ok() {}
    let one = [0u8; 1];
    while f.write_all(&one).and_then(|_| f.flush()).is_ok() {}
    path
}

#[tokio::test]
async fn a_buffer_that_refuses_writes_answers_503_and_the_retried_push_gets_in() {
    let (env, url) = hook::start("30s").await;
    let Some(fs) = Tmpfs::mount(&env.dir.path().join("small"), "16m") else {
        eprintln!("SKIPPED: cannot mount a tmpfs here (needs root); the 503 test did not run");
        return;
    };
    let buffer = fs.0.join("buffer.db");
    let text = std::fs::read_to_string(&env.config_path).unwrap();
    let text = text.replace(
        &format!("path = \"{}\"", env.buffer_path().display()),
        &format!("path = \"{}\"", buffer.display()),
    );
    std::fs::write(&env.config_path, text).unwrap();
    env.acd.add_worker("eve", "Available").unwrap();
    let conn = env.spawn();
    env.wait_wfm("the start-up snapshot", |r| !r.snapshots.is_empty())
        .await;
    env.acd.set_push(Some(push_to(&url)));

    let filler = fill(&fs.0);
    // Free pages may take a few commits yet: push until one is refused.
    let mut sids = Vec::new();
    let refused = loop {
        assert!(sids.len() < 200, "the full buffer never refused a push");
        let activity = if sids.len() % 2 == 0 {
            "Break"
        } else {
            "Available"
        };
        let sid = env
            .acd
            .push(Script::worker_activity("eve", activity, now_ms()))
            .unwrap();
        sids.push(sid.clone());
        until("an answer to the push", || {
            env.acd
                .push_deliveries()
                .iter()
                .any(|d| d.sids.contains(&sid))
        })
        .await;
        let answered = env.acd.push_deliveries();
        let first = answered.iter().find(|d| d.sids.contains(&sid)).unwrap();
        if first.status == Some(503) {
            break sid;
        }
    };
    assert!(
        env.wfm
            .recorded()
            .states
            .iter()
            .all(|s| s.event_id != refused),
        "a refused push is not at WFM"
    );
    std::fs::remove_file(&filler).unwrap();
    let want = sids.clone();
    env.wait_wfm("every pushed state once there is room", move |r| {
        want.iter()
            .all(|id| r.states.iter().any(|s| &s.event_id == id))
    })
    .await;
    // The simulator records an answer once it has read it, which can be just after WFM got the
    // state: wait for the record of the retry rather than read it at once.
    until("Twilio's retry got in", || {
        env.acd
            .push_deliveries()
            .iter()
            .any(|d| d.sids.contains(&refused) && d.status == Some(200) && d.attempt > 1)
    })
    .await;
    assert!(
        env.logs()
            .contains("answered 503 to a push: the buffer refuses writes")
    );
    assert_eq!(env.wfm.recorded().duplicate_states, 0);
    assert_eq!(conn.terminate(), Some(0));
}
