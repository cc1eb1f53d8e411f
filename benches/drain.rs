//! Drain (SPEC §11): agent states delivered to a loopback WFM per second, against `wrk` posting
//! the same batch bodies to the same server, one connection, in the same run.
//!
//! Run: `cargo bench --locked --bench drain` (about a minute; `DRAIN_STATES`, default 100,000).
//!
//! A buffer's state outbox is filled the way the poller fills it (`Store::ingest` of generated
//! `worker.activity.update` pages, one state each, 20,000 agents). Ours: the connector's pusher
//! (`daemon::pusher::run_states`, the library) drains it into `sim wfm`; the time runs from its
//! start (token included) until `sim wfm` has accepted every state. Reference: the exact request
//! bodies and `Idempotency-Key`s the pusher sends, made from a copy of the filled buffer (claim,
//! build the body, acknowledge, as the pusher does), posted by `wrk -t1 -c1` (one request in
//! flight, like the pusher, which keeps each agent's states in order) to a fresh `sim wfm` of the
//! same options in this process (fresh: the first one would answer them as duplicates), with a
//! valid token in the Lua script's headers. Both end with every state accepted once.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: a failed unwrap is a failed test

mod common;

use common::{fill_states, thousands, verdict};
use std::io::Write;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wfm_connector::clock::{Clock, SystemClock};
use wfm_connector::config::Config;
use wfm_connector::daemon::{Shared, pusher};
use wfm_connector::sim::wfm::{self, SimWfmHandle, SimWfmOptions};
use wfm_connector::store::Store;
use wfm_connector::wfm::WfmClient;

const AGENTS: usize = 20_000;
const BATCH: usize = 500;

/// The wrk script: each request carries the next (key, body) line of the file given after `--`;
/// the line advances on each answer, not on each `request()` call (wrk calls `request()` once more
/// than it sends, at start: advancing there skipped the first body, and the bench waited for its
/// states forever). After the last one it asks for a path that is no data call until stopped.
const LUA: &str = r#"
local token = "@TOKEN@"
local items = {}
local next_item = 1

function init(args)
  for line in io.lines(args[1]) do
    local space = line:find(" ", 1, true)
    items[#items + 1] = { line:sub(1, space - 1), line:sub(space + 1) }
  end
end

function request()
  -- Past the last body (wrk keeps asking until it is stopped): not a data call.
  if next_item > #items then return wrk.format("GET", "/bench-done") end
  local item = items[next_item]
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/json",
    ["Accept"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
    ["Idempotency-Key"] = item[1],
  }, item[2])
end

function response(status, headers, body)
  next_item = next_item + 1
  if next_item > #items then wrk.thread:stop() end
end
"#;

fn main() {
    let states: usize = std::env::var("DRAIN_STATES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let buffer = dir.path().join("buffer.db");
    let mut store = Store::open(&buffer).expect("open buffer");
    let from_ms = SystemClock.now_ms() - 86_400_000;
    let filled = fill_states(&mut store, 0..states, AGENTS, from_ms);
    let pending = common::pending_states(&store);
    assert_eq!(
        pending as usize, states,
        "every event should queue one state"
    );
    store.checkpoint_truncate().expect("checkpoint");
    println!(
        "drain: {} states queued for {AGENTS} agents (filled by Store::ingest in {:.1} s), \
         batches of {BATCH}",
        thousands(states as f64),
        filled.as_secs_f64()
    );

    // The reference's bodies: what the pusher will send, built from a copy of the buffer.
    drop(store);
    let copy = dir.path().join("copy.db");
    std::fs::copy(&buffer, &copy).expect("copy the buffer");
    let bodies = dir.path().join("bodies.txt");
    let batches = write_bodies(&copy, &bodies);

    let (ours, wall) = runtime.block_on(ours(&buffer, states));
    let ours_rate = states as f64 / ours;
    println!(
        "  ours       {} states/s ({ours:.2} s from the first request's arrival to the last \
         answer; {:.2} s from the pusher's start; the pusher: claim, post, acknowledge, one batch \
         in flight)",
        thousands(ours_rate),
        wall
    );
    match runtime.block_on(reference(dir.path(), &bodies, states)) {
        Some(reference) => {
            let ref_rate = states as f64 / reference;
            println!(
                "  reference  {} states/s ({reference:.2} s, measured the same way; wrk -t1 -c1, \
                 the same {batches} bodies to a fresh sim wfm)",
                thousands(ref_rate)
            );
            let ratio = 100.0 * ours_rate / ref_rate;
            println!(
                "  ratio {ratio:.1} % (target >= 50 %: {})   target >= 50,000 states/s: {}",
                verdict(ratio >= 50.0),
                verdict(ours_rate >= 50_000.0)
            );
        }
        None => println!(
            "  reference  skipped (wrk not installed: apt-get install wrk)   target >= 50,000 \
             states/s: {}",
            verdict(ours_rate >= 50_000.0)
        ),
    }
}

/// Claims every batch of the copy as the pusher would, writing `key body` lines; returns how
/// many batches.
fn write_bodies(copy: &std::path::Path, out: &std::path::Path) -> usize {
    let mut store = Store::open(copy).expect("open the copy");
    let mut file = std::io::BufWriter::new(std::fs::File::create(out).expect("bodies file"));
    let mut n = 0;
    while let Some(batch) = store.claim_state_batch(BATCH).expect("claim") {
        let body = wfm_connector::wfm::request::agent_states(&batch)
            .expect("a request body")
            .body;
        writeln!(file, "{} {body}", batch.batch_id()).expect("write a body");
        store.ack_state_batch(&batch, &[], 0).expect("ack");
        n += 1;
    }
    file.flush().expect("flush bodies");
    n
}

async fn start_wfm() -> SimWfmHandle {
    wfm::start(SimWfmOptions {
        keep_states: false,
        ..SimWfmOptions::default()
    })
    .await
    .expect("start sim wfm")
}

/// What `sim wfm` saw of a drain: the time from the first `POST /agent-states` arriving to the
/// last one answered (the same clock for ours and the reference), and that every one was
/// answered 200 and every state accepted once.
fn server_window(wfm: &SimWfmHandle, states: usize, who: &str) -> f64 {
    let (window, not_ok, distinct, dups) = wfm.inspect(|r| {
        let posts: Vec<_> = r.requests_to("/agent-states").collect();
        let first = posts.iter().map(|q| q.at).min();
        let last = posts.iter().map(|q| q.answered_at).max();
        let window = match (first, last) {
            (Some(a), Some(b)) => b.duration_since(a).as_secs_f64(),
            _ => f64::NAN,
        };
        let not_ok = posts.iter().filter(|q| q.status != 200).count();
        (window, not_ok, r.distinct_states, r.duplicate_states)
    });
    assert_eq!(not_ok, 0, "{who}: some answers were not 200");
    assert_eq!((distinct, dups), (states, 0), "{who}: each state once");
    window
}

/// Ours: the pusher from a full outbox until every state is accepted. Returns (the server's
/// window, the wall time from the pusher's start, token and first claim included), seconds.
async fn ours(buffer: &std::path::Path, states: usize) -> (f64, f64) {
    let wfm = start_wfm().await;
    let config = Config::for_tests("http://127.0.0.1:9", &wfm.base_url(), buffer);
    let shared = Shared::new(config, Arc::new(SystemClock));
    let store = Arc::new(Mutex::new(Store::open(buffer).expect("open buffer")));
    let (trigger, shutdown) = wfm_connector::shutdown::channel();
    let t = Instant::now();
    let client = Arc::new(
        WfmClient::new(&shared.config.wfm, shared.metrics.clone()).expect("the WFM client"),
    );
    let task = tokio::spawn(pusher::run_states(shared, client, store, shutdown));
    let all = wfm
        .wait_until(|r| r.distinct_states >= states, Duration::from_secs(600))
        .await;
    let wall = t.elapsed().as_secs_f64();
    assert!(all, "the pusher did not deliver every state");
    trigger.trigger();
    let _ = task.await;
    let window = server_window(&wfm, states, "ours");
    wfm.shutdown().await;
    (window, wall)
}

/// The reference: wrk posts the bodies (killed once `sim wfm` has accepted them all: wrk's own
/// summary waits out its `-d`). Returns the server's window in seconds, `None` when wrk is missing.
async fn reference(dir: &std::path::Path, bodies: &std::path::Path, states: usize) -> Option<f64> {
    let wfm = start_wfm().await;
    let token = common::wfm_token(&wfm).await;
    let script = dir.join("drain.lua");
    std::fs::write(&script, LUA.replace("@TOKEN@", &token)).expect("write the wrk script");
    let mut child = Command::new("wrk")
        .args(["-t1", "-c1", "-d600s", "--timeout", "30s", "-s"])
        .arg(&script)
        .arg(format!("{}/agent-states", wfm.base_url()))
        .arg("--")
        .arg(bodies)
        .stdout(std::process::Stdio::null())
        .spawn()
        .ok()?;
    let all = wfm
        .wait_until(|r| r.distinct_states >= states, Duration::from_secs(600))
        .await;
    let _ = child.kill();
    let _ = child.wait();
    assert!(all, "wrk did not deliver every state");
    let window = server_window(&wfm, states, "wrk");
    wfm.shutdown().await;
    Some(window)
}
