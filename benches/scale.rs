//! Scale (SPEC §11): 20,000 agents, 500 queues, ~2 million events a day. The release binary
//! (`wfm-connector run`) polls `sim acd` (the synthetic centre) and delivers to `sim wfm`, both
//! in this process on loopback. Measured from `/proc` of the connector's process: steady CPU
//! (utime + stime over the steady window, after the history catch-up), peak RSS (`VmHWM`, with
//! a breakdown of what is resident), and, after it stopped, the time to build one 15-minute
//! interval's two reports from its buffer, beside the time to read the same rows alone.
//!
//! Run: `cargo bench --locked --bench scale` (about 5 minutes). Settings, by environment:
//! `SCALE_AGENTS` (20000), `SCALE_QUEUES` (500), `SCALE_TASKS_PER_HOUR` (see [`TASKS_PER_HOUR`]),
//! `SCALE_HISTORY_MIN` (35: history generated before serving and caught up at start, so at least
//! one whole 15-minute interval is in the buffer), `SCALE_STEADY_S` (180), `SCALE_WRAP` (a
//! command to run the binary under, e.g. `heaptrack -o /tmp/scale`).
//!
//! The connector runs with the environment `systemd/wfm-connector.service` gives it
//! (`Environment=` lines: glibc's allocator settings), as the installed service would.
//!
//! References in the same run: the simulators' CPU in this process over the same window (the
//! other side of the same traffic), and the interval's rows read from the buffer without building
//! anything.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: a failed unwrap is a failed test

mod common;

use common::{Connector, cpu_seconds, memory, mib, smaps_breakdown, thousands, verdict};
use std::time::{Duration, Instant};
use wfm_connector::model::Interval;
use wfm_connector::report::QueueReportSettings;
use wfm_connector::sim::acd::{self, SimAcdOptions, SimMode};
use wfm_connector::sim::wfm::{self, SimWfmOptions};
use wfm_connector::store::Store;

/// Tasks per hour that make ~2 million events a day at 20,000 agents (measured: activity
/// changes give ~0.6 million a day, each task ~9 events).
const TASKS_PER_HOUR: f64 = 6_500.0;
const INTERVAL_MS: i64 = 15 * 60_000;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let agents: u32 = env_or("SCALE_AGENTS", 20_000);
    let queues: usize = env_or("SCALE_QUEUES", 500);
    let tasks_per_hour: f64 = env_or("SCALE_TASKS_PER_HOUR", TASKS_PER_HOUR);
    let history_min: u64 = env_or("SCALE_HISTORY_MIN", 35);
    let steady_s: u64 = env_or("SCALE_STEADY_S", 180);
    let wrap: Vec<String> = std::env::var("SCALE_WRAP")
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let _guard = runtime.enter();

    println!(
        "scale: {agents} agents, {queues} queues, {tasks_per_hour} tasks/hour, {history_min} min \
         of history caught up at start, then {steady_s} s steady; release binary `run`"
    );
    let started = Instant::now();
    let acd = runtime
        .block_on(acd::start(SimAcdOptions {
            mode: SimMode::Centre,
            agents,
            queues: (0..queues).map(|q| format!("Queue {q:03}")).collect(),
            tasks_per_hour,
            history: Duration::from_secs(history_min * 60),
            request_log_capacity: 1_000,
            ..SimAcdOptions::default()
        }))
        .expect("start sim acd");
    let history_events = acd.event_count();
    println!(
        "  sim acd: {} events of history generated in {:.1} s ({} a day at that rate)",
        thousands(history_events as f64),
        started.elapsed().as_secs_f64(),
        thousands(history_events as f64 * 1440.0 / history_min.max(1) as f64)
    );
    let wfm = runtime
        .block_on(wfm::start(SimWfmOptions {
            keep_states: false,
            ..SimWfmOptions::default()
        }))
        .expect("start sim wfm");

    let dir = tempfile::tempdir().expect("tempdir");
    let buffer = dir.path().join("buffer.db");
    let config = dir.path().join("config.toml");
    common::write_config(
        &config,
        &acd,
        &wfm,
        &buffer,
        &format!("initial_lookback = \"{}m\"", history_min + 1),
        "",
        "",
    );
    // The environment the systemd unit gives the daemon (its allocator settings), as installed.
    let unit_env = common::unit_environment();
    println!(
        "  environment from systemd/wfm-connector.service: {}",
        unit_env
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let env: Vec<(&str, String)> = unit_env
        .iter()
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    let connector = Connector::spawn(&config, &dir.path().join("connector.log"), &wrap, &env);
    let pid = connector.connector_pid(!wrap.is_empty());

    // Catch-up: the start-up snapshot goes after the first poll has walked the whole history.
    let t_spawn = Instant::now();
    let caught_up =
        runtime.block_on(wfm.wait_until(|r| !r.snapshots.is_empty(), Duration::from_secs(900)));
    assert!(
        caught_up,
        "no snapshot: the connector did not catch up\n{}",
        connector.logs()
    );
    let catch_up = t_spawn.elapsed();
    let after_catch_up = memory(pid).unwrap_or_default();
    println!(
        "  catch-up: {:.1} s to the start-up snapshot; RSS then {:.1} MiB, peak so far {:.1} MiB",
        catch_up.as_secs_f64(),
        mib(after_catch_up.vm_rss),
        mib(after_catch_up.vm_hwm)
    );
    // Let the scheduler build the history's reports, then measure the steady state.
    std::thread::sleep(Duration::from_secs(10));

    let me = std::process::id();
    let (cpu0, sims0) = (
        cpu_seconds(pid).unwrap_or(0.0),
        cpu_seconds(me).unwrap_or(0.0),
    );
    let events0 = acd.event_count();
    let states0 = wfm.recorded().distinct_states;
    let t0 = Instant::now();
    let mut peak_rss = 0;
    while t0.elapsed() < Duration::from_secs(steady_s) {
        std::thread::sleep(Duration::from_secs(1));
        peak_rss = peak_rss.max(memory(pid).map(|m| m.vm_rss).unwrap_or(0));
    }
    let wall = t0.elapsed().as_secs_f64();
    let cpu = cpu_seconds(pid).unwrap_or(0.0) - cpu0;
    let sims = cpu_seconds(me).unwrap_or(0.0) - sims0;
    let events = acd.event_count() - events0;
    let states = wfm.recorded().distinct_states - states0;
    let mem = memory(pid).unwrap_or_default();
    let breakdown = smaps_breakdown(pid, &buffer);
    let status = connector.stop(pid);
    assert!(
        status.success(),
        "the connector did not stop cleanly: {status}"
    );

    let per_day = events as f64 / wall * 86_400.0;
    let cpu_pct = 100.0 * cpu / wall;
    println!(
        "  steady window: {:.0} s, {} events ({} a day), {} states delivered",
        wall,
        thousands(events as f64),
        thousands(per_day),
        thousands(states as f64)
    );
    println!(
        "  steady CPU   ours {cpu_pct:.2} % of a core ({:.0} µs per event)   reference: the two \
         simulators serving it {:.2} % (ratio {:.2})   target < 5 %: {}",
        1e6 * cpu / events.max(1) as f64,
        100.0 * sims / wall,
        cpu / sims.max(1e-9),
        verdict(cpu_pct < 5.0)
    );
    let hwm = mib(mem.vm_hwm);
    println!(
        "  peak RSS     ours {hwm:.1} MiB (VmHWM; steady max VmRSS {:.1} MiB, now RssAnon {:.1} \
         RssFile {:.1} MiB, {} threads)   target < 64 MiB: {}",
        mib(peak_rss),
        mib(mem.rss_anon),
        mib(mem.rss_file),
        mem.threads,
        verdict(hwm < 64.0)
    );
    for (what, kb) in &breakdown {
        println!(
            "      resident at the end: {what:<32} {:>7.1} MiB",
            mib(*kb)
        );
    }

    // One 15-minute interval from the buffer: the last whole one the connector observed.
    let store = Store::open(&buffer).expect("open the buffer");
    let cursor = store.cursor().expect("cursor").unwrap_or(0);
    let observed = store.observed_from().expect("observed").unwrap_or(cursor);
    let end = cursor.div_euclid(INTERVAL_MS) * INTERVAL_MS;
    let iv = Interval {
        start_ms: end - INTERVAL_MS,
        end_ms: end,
    };
    assert!(
        iv.start_ms >= observed,
        "no whole 15-minute interval observed; raise SCALE_HISTORY_MIN"
    );
    let settings = QueueReportSettings::default();
    let (mut build, mut read) = (Vec::new(), Vec::new());
    let mut bytes = 0;
    let mut rows = (0, 0, 0);
    for _ in 0..3 {
        let t = Instant::now();
        let bodies = wfm_connector::report::plan::build_interval(&store, &settings, iv)
            .expect("build the interval");
        build.push(t.elapsed().as_secs_f64());
        bytes = bodies.iter().map(|(_, b)| b.len()).sum::<usize>();
        let t = Instant::now();
        let segments = store
            .segments_overlapping(iv.start_ms - 1, iv.end_ms)
            .expect("segments");
        let tasks = store.tasks_ended_in(iv).expect("tasks");
        let reservations = store.reservations_in(iv).expect("reservations");
        read.push(t.elapsed().as_secs_f64());
        rows = (segments.len(), tasks.len(), reservations.len());
    }
    build.sort_by(f64::total_cmp);
    read.sort_by(f64::total_cmp);
    let (b, r) = (build[1], read[1]);
    println!(
        "  report       ours {b:.3} s to build the two reports of {} ({} segments, {} tasks, {} \
         reservations; {} KiB of JSON)   reference: the same rows read alone {r:.3} s (ratio \
         {:.1})   target < 1 s: {}",
        wfm_connector::clock::rfc3339_ms(iv.start_ms),
        thousands(rows.0 as f64),
        thousands(rows.1 as f64),
        thousands(rows.2 as f64),
        bytes / 1024,
        b / r.max(1e-9),
        verdict(b < 1.0)
    );
    runtime.block_on(async {
        acd.shutdown().await;
        wfm.shutdown().await;
    });
}
