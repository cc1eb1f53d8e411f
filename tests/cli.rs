//! The command line as an operator meets it: exit codes (sysexits), messages that name the key,
//! secrets never printed.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: a failed unwrap is a failed test

use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_wfm-connector"))
}

const ACD_SECRET: &str = "acd-s3cret-value-XYZ";
const WFM_SECRET: &str = "wfm-s3cret-value-QRS";

fn write_config(dir: &std::path::Path, wfm_url: &str) -> std::path::PathBuf {
    let path = dir.join("config.toml");
    let text = format!(
        r#"
[acd]
base_url = "http://127.0.0.1:9"
workspace_sid = "WS0123456789abcdef0123456789abcdef"
username = "SKtest"
password = "{ACD_SECRET}"

[wfm]
service_url = "{wfm_url}"
tenant_name = "tenant"
access_key_id = "key-id"
access_key_secret = "{WFM_SECRET}"

[buffer]
path = "{}"
"#,
        dir.join("buffer.db").display()
    );
    std::fs::write(&path, text).unwrap();
    // Owner-only, like an operator's file holding secrets.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path
}

#[test]
fn bad_config_exits_78_and_names_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(dir.path(), "http://wfm.example.com");
    let out = bin()
        .args(["check-config", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(78));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("[wfm] service_url"), "{err}");
    assert!(err.contains("https"), "{err}");
    assert!(!err.contains(ACD_SECRET) && !err.contains(WFM_SECRET));
}

#[test]
fn missing_config_file_exits_78_and_names_the_file() {
    let out = bin()
        .args(["run", "--config", "/nonexistent/wfm.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(78));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/wfm.toml"));
}

#[test]
fn check_config_prints_the_effective_config_without_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(dir.path(), "http://127.0.0.1:9");
    let out = bin()
        .arg("check-config")
        .arg("--config")
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("poll_interval"), "{text}");
    assert!(text.contains("[redacted]"), "{text}");
    assert!(
        !text.contains(ACD_SECRET) && !text.contains(WFM_SECRET),
        "{text}"
    );
}

#[test]
fn usage_errors_exit_64() {
    let out = bin().arg("no-such-command").output().unwrap();
    assert_eq!(out.status.code(), Some(64));
    let out = bin().args(["status", "--bogus"]).output().unwrap();
    assert_eq!(out.status.code(), Some(64));
}

#[test]
fn config_flag_is_accepted_before_or_after_the_subcommand() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(dir.path(), "http://127.0.0.1:9");
    let before = bin()
        .arg("--config")
        .arg(&cfg)
        .arg("check-config")
        .output()
        .unwrap();
    assert_eq!(before.status.code(), Some(0));
    let after = bin()
        .arg("check-config")
        .arg("--config")
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(after.status.code(), Some(0));
}

#[test]
fn status_of_a_buffer_that_does_not_exist_yet_is_an_io_error() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(dir.path(), "http://127.0.0.1:9");
    let out = bin()
        .arg("status")
        .arg("--config")
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(74));
    assert!(String::from_utf8_lossy(&out.stderr).contains("[buffer] path"));
}

#[test]
fn replay_needs_a_range_for_reports_and_something_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(dir.path(), "http://127.0.0.1:9");
    let nothing = bin()
        .arg("replay")
        .arg("--config")
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(nothing.status.code(), Some(64));
    let no_range = bin()
        .args(["replay", "--reports", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(no_range.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&no_range.stderr).contains("--from"));
    let backwards = bin()
        .args([
            "replay",
            "--reports",
            "--from",
            "2026-11-20T10:00:00Z",
            "--to",
            "2026-11-20T09:00:00Z",
            "--config",
        ])
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(backwards.status.code(), Some(64));
}

#[test]
fn run_with_an_unusable_buffer_path_exits_74_and_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(dir.path(), "http://127.0.0.1:9");
    let text = std::fs::read_to_string(&cfg).unwrap().replace(
        &dir.path().join("buffer.db").display().to_string(),
        "/proc/no-such-dir/buffer.db",
    );
    std::fs::write(&cfg, text).unwrap();
    let out = bin().arg("run").arg("--config").arg(&cfg).output().unwrap();
    assert_eq!(out.status.code(), Some(74));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/proc/no-such-dir/buffer.db"));
}

/// The recommended install: both secrets are systemd credentials, which only the service sees.
/// An operator's shell has no `$CREDENTIALS_DIRECTORY`.
fn write_config_with_secrets_in_credentials(dir: &std::path::Path) -> std::path::PathBuf {
    let cfg = write_config(dir, "http://127.0.0.1:9");
    let text: String = std::fs::read_to_string(&cfg)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("password =") && !l.starts_with("access_key_secret ="))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&cfg, text).unwrap();
    cfg
}

#[test]
fn status_and_replay_work_without_the_secrets_run_still_needs_them() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config_with_secrets_in_credentials(dir.path());
    // A buffer the daemon would have left: the schema and nothing pending.
    wfm_connector::store::Store::open(&dir.path().join("buffer.db")).unwrap();

    let status = bin()
        .env_remove("CREDENTIALS_DIRECTORY")
        .args(["status", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    let (out, err) = (
        String::from_utf8_lossy(&status.stdout),
        String::from_utf8_lossy(&status.stderr),
    );
    assert_eq!(status.status.code(), Some(0), "{err}");
    assert!(out.contains("schema version"), "{out}");
    assert!(out.contains("dead letters     0"), "{out}");
    assert!(!err.contains("missing"), "{err}");

    let json = bin()
        .env_remove("CREDENTIALS_DIRECTORY")
        .args(["status", "--json", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(json.status.code(), Some(0));
    let parsed: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(parsed["dead_letter_count"], 0, "{parsed}");

    let replay = bin()
        .env_remove("CREDENTIALS_DIRECTORY")
        .args(["replay", "--dead-letters", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(
        replay.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&replay.stderr)
    );
    assert!(String::from_utf8_lossy(&replay.stdout).contains("re-queued 0 dead letters"));

    // Commands that talk to a peer still refuse to start without the secrets.
    for args in [&["run"][..], &["check-config", "--connect"][..]] {
        let out = bin()
            .env_remove("CREDENTIALS_DIRECTORY")
            .args(args)
            .arg("--config")
            .arg(&cfg)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(78), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("[acd] password: missing"), "{args:?}: {err}");
    }
}

#[test]
fn status_still_names_a_bad_key_when_it_skips_the_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config_with_secrets_in_credentials(dir.path());
    let text = std::fs::read_to_string(&cfg)
        .unwrap()
        .replace("[buffer]", "[buffer]\nretention = \"soon\"");
    std::fs::write(&cfg, text).unwrap();
    let out = bin()
        .env_remove("CREDENTIALS_DIRECTORY")
        .args(["status", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(78));
    assert!(String::from_utf8_lossy(&out.stderr).contains("[buffer] retention"));
}

/// Issue 10: one run of `check-config` names every problem of the file, not just the first.
#[test]
fn check_config_reports_every_error_of_the_file_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(dir.path(), "http://wfm.example.com");
    let text = std::fs::read_to_string(&cfg).unwrap()
        // 2: the password gone (and no *_file, no credential)
        .replace(&format!("password = \"{ACD_SECRET}\"\n"), "")
        // 3: a typo
        .replace("username = \"SKtest\"", "username = \"SKtest\"\npol_interval = \"2s\"")
        // 4, 5: a number of the wrong type, a duration without a unit
        + "[reports]\nsl_threshold_sec = 2.5\nsettle_delay = \"10\"\n"
        // 6: not an agent state
        + "[states.\"Break\"]\nstate = \"Busy\"\n";
    std::fs::write(&cfg, text).unwrap();
    let out = bin()
        .args(["check-config", "--config"])
        .arg(&cfg)
        .env("WFM_CONNECTOR__WFM__BATCH_SIZE", "0") // 7: out of range, from the environment
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(78));
    let err = String::from_utf8_lossy(&out.stderr);
    for key in [
        "[wfm] service_url: \"http://wfm.example.com\" must be https",
        "[acd] password: missing",
        "[acd] pol_interval: unknown key; did you mean `poll_interval`?",
        "[reports] sl_threshold_sec: expected a whole number, found 2.5",
        "[reports] settle_delay: \"10\" is not a duration",
        "[states.\"Break\"] state: \"Busy\" is not an agent state",
        "$WFM_CONNECTOR__WFM__BATCH_SIZE: [wfm] batch_size: 0 is out of range",
    ] {
        assert!(err.contains(key), "{key} missing from:\n{err}");
    }
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(lines.len(), 7, "{err}");
    assert!(err.contains("7 problems in the configuration"), "{err}");
    assert!(!err.contains(WFM_SECRET), "{err}");
}
