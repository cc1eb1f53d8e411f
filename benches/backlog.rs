//! Backlog (SPEC §11): a day of agent states at scale (20,000 agents, ~2 million events a day)
//! buffered while WFM is down, then the time from WFM's return until every state is accepted,
//! each once, in order per agent.
//!
//! Run: `cargo bench --locked --bench backlog` (a few minutes: most of it is filling the buffer
//! through `Store::ingest`). `BACKLOG_STATES` (default [`STATES_PER_DAY`]), `BACKLOG_SNAPSHOTS`
//! (default 96: one per `snapshot_interval` of 15 minutes, as the poller queues them whether or
//! not WFM answers), `BACKLOG_OUTAGE_MIN_S` (default 90: the outage lasts at least this long, so
//! the pusher's backoff has reached its cap, 15 s, as after a real day's outage).
//!
//! Time-compressed: the day is generated, not lived. `sim wfm` starts in an outage (503); the
//! connector's pusher (the library's `run_states`, default `[wfm]` settings: batches of 500,
//! retries 500 ms doubling to the state pusher's cap, `pusher::STATES_RETRY_MAX` = 15 s, with
//! full jitter) runs from the start, against it; the buffer
//! is filled the way the poller fills it (`Store::ingest` of `worker.activity.update` pages, one
//! state each), with a roster snapshot queued after each fifteen minutes' worth. Then the outage
//! ends and the clock starts. Each snapshot queued withdraws the one still waiting before it
//! (`Store::queue_snapshot`: a superseded roster is not sent), so the outbox holds the day's
//! states and one snapshot, the last: WFM must receive every state once, in order per agent,
//! and that snapshot. Split: the wait for the pusher's next try (its backoff, up to its cap)
//! and the drain proper; the reference is `sim wfm`'s own time answering the same
//! requests (arrival to answer, from its request log): what any client would have to wait for.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: a failed unwrap is a failed test

mod common;

use common::{fill_states, thousands, verdict};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wfm_connector::clock::{Clock, SystemClock};
use wfm_connector::config::Config;
use wfm_connector::daemon::{Shared, pusher};
use wfm_connector::sim::wfm::{self, Fault, SimWfmOptions};
use wfm_connector::store::Store;
use wfm_connector::wfm::WfmClient;

const AGENTS: usize = 20_000;
/// Agent states a day at the scale bench's rate (~2 million events a day from `sim acd`, of
/// which ~0.6 change an agent's state: measured by `benches/scale.rs`, states delivered /
/// events).
const STATES_PER_DAY: usize = 1_200_000;
const QUARTER_MS: i64 = 15 * 60_000;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let states: usize = env_or("BACKLOG_STATES", STATES_PER_DAY);
    let snapshots: usize = env_or("BACKLOG_SNAPSHOTS", 96);
    let outage_min = Duration::from_secs(env_or("BACKLOG_OUTAGE_MIN_S", 90));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let _guard = runtime.enter();
    let wfm = runtime
        .block_on(wfm::start(SimWfmOptions {
            keep_states: false,
            ..SimWfmOptions::default()
        }))
        .expect("start sim wfm");
    runtime.block_on(wfm.set_fault(Fault::outage()));
    let outage_began = Instant::now();

    let dir = tempfile::tempdir().expect("tempdir");
    let buffer = dir.path().join("buffer.db");
    let mut store = Store::open(&buffer).expect("open buffer");
    let config = Config::for_tests("http://127.0.0.1:9", &wfm.base_url(), &buffer);
    let shared = Shared::new(config, Arc::new(SystemClock));
    let client = Arc::new(
        WfmClient::new(&shared.config.wfm, shared.metrics.clone()).expect("the WFM client"),
    );
    let push_store = Arc::new(Mutex::new(Store::open(&buffer).expect("open buffer")));
    let (trigger, shutdown) = wfm_connector::shutdown::channel();
    let task = runtime.spawn(pusher::run_states(
        shared.clone(),
        client,
        push_store,
        shutdown,
    ));

    // A day, in fifteen-minute slices: that slice's states, then the roster snapshot.
    let day_start = SystemClock.now_ms() - 86_400_000;
    let slices = snapshots.max(1);
    let t = Instant::now();
    for k in 0..slices {
        let range = states * k / slices..states * (k + 1) / slices;
        fill_states(&mut store, range, AGENTS, day_start);
        if k < snapshots {
            let at = day_start + (k as i64 + 1) * QUARTER_MS;
            store
                .queue_snapshot(&format!("SNAP{at}"), at)
                .expect("queue the snapshot");
        }
    }
    let filled = t.elapsed();
    let pending = common::pending_states(&store) as usize;
    let last_snapshot = (snapshots > 0).then(|| {
        let id = format!("SNAP{}", day_start + snapshots as i64 * QUARTER_MS);
        // The batch id the pusher gives a snapshot (`StateBatch::batch_id` of one row).
        wfm_connector::ids::stable_id("B", &[&id, &id, "1"])
    });
    let expected_snapshots = usize::from(last_snapshot.is_some());
    assert_eq!(
        pending,
        states + expected_snapshots,
        "one row per state, and the last snapshot (the others withdrawn)"
    );
    let retries_during = shared.metrics.retries.get();
    println!(
        "backlog: {} states and {snapshots} snapshots of {AGENTS} agents buffered during a WFM \
         outage (filled in {:.0} s; the pusher retried {retries_during} times meanwhile)",
        thousands(states as f64),
        filled.as_secs_f64()
    );
    if let Some(rest) = outage_min.checked_sub(outage_began.elapsed()) {
        std::thread::sleep(rest);
    }

    runtime.block_on(wfm.end_outage());
    let returned = Instant::now();
    let done = runtime.block_on(wfm.wait_until(
        |r| r.distinct_states >= states && r.snapshots.len() >= expected_snapshots,
        Duration::from_secs(1_800),
    ));
    let total = returned.elapsed().as_secs_f64();
    assert!(done, "the backlog did not drain within 30 minutes");
    trigger.trigger();
    let _ = runtime.block_on(task);

    let (distinct, duplicates, out_of_order, got_snapshots, first, last, server) =
        wfm.inspect(|r| {
            let accepted: Vec<_> = r
                .requests_to("/agent-states")
                .filter(|q| q.status == 200 && q.at >= returned)
                .collect();
            let first = accepted.first().map(|q| q.at.duration_since(returned));
            let last = accepted
                .last()
                .map(|q| q.answered_at.duration_since(returned));
            let server: Duration = accepted
                .iter()
                .map(|q| q.answered_at.duration_since(q.at))
                .sum();
            (
                r.distinct_states,
                r.duplicate_states,
                r.out_of_order_states,
                r.snapshots
                    .iter()
                    .map(|s| s.batch_id.clone())
                    .collect::<Vec<_>>(),
                first.unwrap_or_default().as_secs_f64(),
                last.unwrap_or_default().as_secs_f64(),
                server.as_secs_f64(),
            )
        });
    let drain = last - first;
    println!(
        "  ours       {total:.1} s from WFM's return to the last state accepted: {first:.1} s \
         waiting for the pusher's next try (backoff, at most {} s), then {drain:.1} s \
         draining ({} states/s)   target < 60 s: {}",
        pusher::STATES_RETRY_MAX.as_secs(),
        thousands(states as f64 / drain.max(1e-9)),
        verdict(total < 60.0)
    );
    println!(
        "  reference  sim wfm's own time answering the same requests: {server:.1} s (the drain \
         proper / that: {:.2})",
        drain / server.max(1e-9)
    );
    println!(
        "  delivered: {} distinct states, {duplicates} twice, {out_of_order} out of order per \
         agent, {} snapshot(s) (the last queued: {}; {} superseded ones withdrawn unsent); \
         nothing lost: {}, nothing twice: {}",
        thousands(distinct as f64),
        got_snapshots.len(),
        verdict(got_snapshots.last() == last_snapshot.as_ref()),
        snapshots.saturating_sub(expected_snapshots),
        verdict(
            distinct == states
                && out_of_order == 0
                && got_snapshots == last_snapshot.iter().cloned().collect::<Vec<_>>()
        ),
        verdict(duplicates == 0)
    );
    runtime.block_on(wfm.shutdown());
}
