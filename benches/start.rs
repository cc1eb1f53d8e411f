//! Binary and start (SPEC §11): the release binary's size, and the time from `exec` to the
//! `READY=1` datagram it sends to `$NOTIFY_SOCKET` (a unix datagram socket this bench listens on),
//! against the same binary printing `--version` and exiting (exec, loading and runtime start-up
//! alone). Also the resident memory at `READY=1` (the idle footprint) and which TLS crypto the
//! binary links (rustls with `aws-lc-rs`, reqwest's `rustls` feature, or `ring`).
//!
//! Run: `cargo bench --locked --bench start` (a few seconds).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: a failed unwrap is a failed test

mod common;

use common::{BINARY, memory, mib, verdict};
use std::os::unix::net::UnixDatagram;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use wfm_connector::clock::SystemClock;
use wfm_connector::sim::acd::{self, SimAcdOptions};
use wfm_connector::sim::wfm::{self, SimWfmOptions};

const RUNS: usize = 10;

fn main() {
    let size = std::fs::metadata(BINARY).expect("the binary").len();
    let size_mib = size as f64 / (1024.0 * 1024.0);
    println!(
        "binary: {size_mib:.2} MiB ({size} bytes, release profile, stripped)   target < 15 MiB: {}",
        verdict(size_mib < 15.0)
    );
    let lock = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.lock"))
        .unwrap_or_default();
    let has = |name: &str| lock.contains(&format!("name = \"{name}\""));
    println!(
        "  TLS: rustls with {} (reqwest feature `rustls`; `ring` in Cargo.lock: {}, only as an \
         optional dependency unless a crate enables it)",
        if has("aws-lc-sys") {
            "aws-lc-rs / aws-lc-sys"
        } else {
            "ring"
        },
        has("ring")
    );

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let clock: wfm_connector::clock::SharedClock = Arc::new(SystemClock);
    let acd = runtime
        .block_on(acd::start(SimAcdOptions::scripted(clock)))
        .expect("start sim acd");
    let wfm = runtime
        .block_on(wfm::start(SimWfmOptions::default()))
        .expect("start sim wfm");
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config.toml");

    let mut fresh = Vec::new();
    let mut existing = Vec::new();
    let mut rss_at_ready = 0;
    for i in 0..RUNS {
        // A fresh buffer (created and migrated at start), then the same one again.
        let buffer = dir.path().join(format!("buffer-{i}.db"));
        common::write_config(&config, &acd, &wfm, &buffer, "", "", "");
        for (samples, label) in [(&mut fresh, "fresh"), (&mut existing, "existing")] {
            let (took, rss) = time_to_ready(&config, &dir.path().join(format!("{label}-{i}.sock")));
            samples.push(took);
            rss_at_ready = rss_at_ready.max(rss);
        }
    }
    let version: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let t = Instant::now();
            let status = Command::new(BINARY)
                .arg("--version")
                .stdout(Stdio::null())
                .status()
                .expect("run --version");
            assert!(status.success());
            t.elapsed()
        })
        .collect();
    let p50 = |v: &[Duration]| {
        let mut v = v.to_vec();
        v.sort_unstable();
        v[v.len() / 2].as_secs_f64() * 1000.0
    };
    let max = |v: &[Duration]| v.iter().max().map_or(0.0, |d| d.as_secs_f64() * 1000.0);
    let reference = p50(&version);
    for (label, v) in [("new buffer", &fresh), ("existing buffer", &existing)] {
        println!(
            "start to READY=1 ({label}): ours p50 {:.1} ms, max {:.1} ms ({RUNS} runs)   \
             reference: `--version` exec to exit p50 {reference:.1} ms (ratio {:.1})   target < \
             200 ms: {}",
            p50(v),
            max(v),
            p50(v) / reference.max(1e-9),
            verdict(max(v) < 200.0)
        );
    }
    println!(
        "  resident at READY=1: {:.1} MiB (the idle footprint)",
        mib(rss_at_ready)
    );
    runtime.block_on(async {
        acd.shutdown().await;
        wfm.shutdown().await;
    });
}

/// Spawns `run` with `NOTIFY_SOCKET` on a socket we listen on; returns the time to `READY=1` and
/// the resident memory then (kB); stops the connector.
fn time_to_ready(config: &std::path::Path, socket: &std::path::Path) -> (Duration, u64) {
    let _ = std::fs::remove_file(socket);
    let listener = UnixDatagram::bind(socket).expect("bind the notify socket");
    listener
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("socket timeout");
    let log = config.with_extension("log");
    let t = Instant::now();
    let connector = common::Connector::spawn(
        config,
        &log,
        &[],
        &[("NOTIFY_SOCKET", socket.display().to_string())],
    );
    let mut buf = [0u8; 4096];
    let took = loop {
        let n = listener
            .recv(&mut buf)
            .expect("a notify datagram within 10 s");
        if String::from_utf8_lossy(&buf[..n])
            .lines()
            .any(|l| l == "READY=1")
        {
            break t.elapsed();
        }
    };
    let pid = connector.child.id();
    let rss = memory(pid).map_or(0, |m| m.vm_rss);
    let status = connector.stop(pid);
    assert!(status.success(), "the connector did not stop cleanly");
    (took, rss)
}
