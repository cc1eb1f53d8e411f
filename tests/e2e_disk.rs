//! A buffer on a filesystem that fills (issue 7): the connector logs the refusal once (not at
//! every poll), fails `/readyz`, keeps running, and once space is back every state arrives, in
//! order; the WAL stays bounded. Runs on a real small `tmpfs` (needs root and `mount`, as CI has);
//! where `mount` is refused it says so and checks nothing else.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: a failed unwrap is a failed test

mod common;

use common::e2e::{Env, now_ms};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use wfm_connector::sim::acd::Script;

/// A mounted tmpfs, unmounted on drop.
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

async fn readyz(admin: &str) -> u16 {
    match reqwest::get(format!("{admin}/readyz")).await {
        Ok(r) => r.status().as_u16(),
        Err(_) => 0,
    }
}

#[tokio::test]
async fn a_full_disk_is_logged_once_fails_readyz_and_loses_nothing() {
    let env = Env::start().await;
    let Some(fs) = Tmpfs::mount(&env.dir.path().join("small"), "16m") else {
        eprintln!(
            "SKIPPED: cannot mount a tmpfs here (needs root); the full-disk test did not run"
        );
        return;
    };
    let buffer = fs.0.join("buffer.db");
    let text = std::fs::read_to_string(&env.config_path).unwrap();
    let text = text.replace(
        &format!("path = \"{}\"", env.buffer_path().display()),
        &format!("path = \"{}\"", buffer.display()),
    );
    std::fs::write(&env.config_path, text).unwrap();
    let admin = env.enable_admin();
    env.acd.add_worker("alice", "Available").unwrap();
    let mut conn = env.spawn();
    env.wait_wfm("start-up snapshot", |r| !r.snapshots.is_empty())
        .await;

    let filler = fill(&fs.0);
    let mut want = Vec::new();
    for i in 0..40 {
        let activity = if i % 2 == 0 { "Break" } else { "Available" };
        want.push(
            env.acd
                .push(Script::worker_activity("alice", activity, now_ms() + i))
                .unwrap(),
        );
    }
    // Refused: /readyz fails while the buffer cannot commit.
    let deadline = std::time::Instant::now() + common::e2e::WAIT;
    while readyz(&admin).await != 503 {
        assert!(std::time::Instant::now() < deadline, "readyz never failed");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let writable = common::e2e::metric_value(&admin, "wfm_connector_buffer_writable").await;
    assert_eq!(writable, Some(0.0), "the gauge an alert fires on");
    // Many polls later, still running, and the refusal was logged once.
    let polls = env.acd.requests().len();
    while env.acd.requests().len() < polls + 15 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let refusals = env.logs().matches("the buffer refuses writes").count();
    assert_eq!(refusals, 1, "{}", common::e2e::tail(&env.logs(), 20));
    assert!(conn.child.try_wait().unwrap().is_none(), "still running");

    std::fs::remove_file(&filler).unwrap();
    let w = want.clone();
    env.wait_wfm("every state after the disk has room again", move |r| {
        let got: Vec<&String> = r
            .states
            .iter()
            .map(|s| &s.event_id)
            .filter(|id| w.contains(id))
            .collect();
        got.len() >= w.len()
    })
    .await;
    let r = env.wfm.recorded();
    let mut seen = std::collections::HashSet::new();
    let got: Vec<String> = r
        .states
        .iter()
        .filter(|s| want.contains(&s.event_id) && seen.insert(s.event_id.clone()))
        .map(|s| s.event_id.clone())
        .collect();
    assert_eq!(got, want, "every state, once, in order");
    assert_eq!(r.out_of_order_states, 0);
    while readyz(&admin).await != 200 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(env.logs().contains("the buffer accepts writes again"));
    let writable = common::e2e::metric_value(&admin, "wfm_connector_buffer_writable").await;
    assert_eq!(writable, Some(1.0));
    // The WAL stays bounded (journal_size_limit 4 MiB).
    let wal = std::fs::metadata(fs.0.join("buffer.db-wal")).map_or(0, |m| m.len());
    assert!(wal <= 4 * 1024 * 1024 + 65_536, "WAL is {wal} bytes");
    assert_eq!(conn.terminate(), Some(0));
}
