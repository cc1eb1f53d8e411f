//! `replay --reports` and observed history (issue 6): a range before the buffer's first poll is
//! refused with the reason; a range that starts before it is replayed from the first whole
//! interval.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: a failed unwrap is a failed test

use std::process::Command;
use wfm_connector::clock::rfc3339_ms;
use wfm_connector::store::Store;

const MIN: i64 = 60_000;
/// 2026-11-20T10:00:00Z, an interval boundary.
const T0: i64 = 1_795_600_800_000;

fn setup() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let buffer = dir.path().join("buffer.db");
    let path = dir.path().join("config.toml");
    std::fs::write(
        &path,
        format!(
            r#"
[acd]
base_url = "http://127.0.0.1:9"
workspace_sid = "WS0123456789abcdef0123456789abcdef"
username = "SKtest"
password = "p"

[wfm]
service_url = "http://127.0.0.1:9"
tenant_name = "tenant"
access_key_id = "key-id"
access_key_secret = "s"

[buffer]
path = "{}"
"#,
            buffer.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    // The first poll was at 10:07 with a 60 s overlap: observed history begins at 10:06.
    let mut store = Store::open(&buffer).unwrap();
    store.begin_observation(T0 + 6 * MIN, T0 + 7 * MIN).unwrap();
    (dir, path)
}

fn replay(config: &std::path::Path, from: i64, to: i64) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_wfm-connector"))
        .args([
            "replay",
            "--reports",
            "--from",
            &rfc3339_ms(from),
            "--to",
            &rfc3339_ms(to),
        ])
        .arg("--config")
        .arg(config)
        .output()
        .unwrap()
}

#[test]
fn replay_before_observed_history_is_refused_with_the_reason() {
    let (_dir, config) = setup();
    let out = replay(&config, T0 - 60 * MIN, T0 + 15 * MIN);
    assert_eq!(out.status.code(), Some(64));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("before observed history"), "{err}");
    assert!(err.contains(&rfc3339_ms(T0 + 6 * MIN)), "{err}");
    assert!(
        err.contains(&rfc3339_ms(T0 + 15 * MIN)),
        "names the first whole interval: {err}"
    );
}

#[test]
fn replay_that_starts_before_observed_history_starts_at_the_first_whole_interval() {
    let (dir, config) = setup();
    let out = replay(&config, T0, T0 + 45 * MIN);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("replaying from"), "{err}");
    let db = rusqlite::Connection::open(dir.path().join("buffer.db")).unwrap();
    let starts: Vec<i64> = db
        .prepare("SELECT DISTINCT start_ms FROM report_outbox ORDER BY start_ms")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(starts, vec![T0 + 15 * MIN, T0 + 30 * MIN]);
}
