//! Black-box tests of `demo`, `sim acd` and `sim wfm` through the built binary: exit codes and
//! what a newcomer sees. The demo runs for a few seconds only; the simulators cannot tell a test
//! which port they picked, so they are tested on what they refuse.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: a failed unwrap is a failed test

use std::net::TcpListener;
use std::process::{Command, Output};

fn wfm_connector(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wfm-connector"))
        .args(args)
        // The demo's own default; a developer's RUST_LOG must not flood the output under test.
        .env("RUST_LOG", "warn")
        .output()
        .expect("the wfm-connector binary runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A feed line such as `10:15:02 RTA       agent0007  OnContact (voice)` for `tag` `RTA`.
fn is_feed_line(line: &str, tag: &str) -> bool {
    match (line.get(..9), line.get(9..)) {
        (Some(time), Some(rest)) => {
            time.as_bytes()[2] == b':' && time.as_bytes()[5] == b':' && rest.starts_with(tag)
        }
        _ => false,
    }
}

#[test]
fn demo_runs_for_its_duration_shows_states_and_cleans_up() {
    let out = wfm_connector(&["demo", "--duration", "8s"]);
    let text = stdout(&out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout:\n{text}\nstderr:\n{}",
        stderr(&out)
    );
    assert!(text.starts_with("wfm-connector demo:"), "{text}");
    assert!(
        text.contains("  ACD  (sim acd)  http://127.0.0.1:"),
        "{text}"
    );
    assert!(
        text.contains("  WFM  (sim wfm)  http://127.0.0.1:"),
        "{text}"
    );
    assert!(
        text.contains("  admin           http://127.0.0.1:"),
        "{text}"
    );
    assert!(
        text.lines().any(|l| is_feed_line(l, "RTA ")),
        "no RTA line:\n{text}"
    );
    assert!(
        text.lines()
            .any(|l| is_feed_line(l, "SNAPSHOT  20 agents: ")),
        "{text}"
    );
    // Every feed line is stamped when it arrived, so the feed reads in order (issue 10: RTA lines
    // stamped with the state's start came out of order); RTA lines say when the state began.
    let stamps: Vec<&str> = text
        .lines()
        .filter(|l| {
            ["RTA ", "SNAPSHOT ", "REPORT ", "HEARTBEAT "]
                .iter()
                .any(|t| is_feed_line(l, t))
        })
        .map(|l| &l[..8])
        .collect();
    assert!(
        stamps.windows(2).all(|w| w[0] <= w[1]),
        "out of order:\n{text}"
    );
    let live = text
        .lines()
        .filter(|l| is_feed_line(l, "RTA ") && !l.contains("caught up"));
    assert!(live.into_iter().all(|l| l.contains(" began ")), "{text}");
    // Counts of one are singular.
    for many in [
        "snapshots",
        "reports",
        "agents",
        "contacts",
        "states",
        "dead letters",
        "ACD events",
    ] {
        assert!(
            !text.contains(&format!(" 1 {many}")),
            "\"1 {many}\" in:\n{text}"
        );
    }
    let summary = text
        .lines()
        .find(|l| l.starts_with("Demo over after"))
        .unwrap_or_else(|| panic!("no final summary:\n{text}"));
    assert!(summary.contains("(the duration is over)"), "{summary}");
    assert!(summary.contains("agent states delivered"), "{summary}");
    assert!(summary.contains(" 0 dead letters"), "{summary}");

    let buffer = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("buffer"))
        .and_then(|rest| rest.trim().split(' ').next())
        .unwrap_or_else(|| panic!("no buffer line in the banner:\n{text}"));
    let dir = std::path::Path::new(buffer).parent().unwrap();
    assert!(!dir.exists(), "{} was left behind", dir.display());
}

#[test]
fn quiet_demo_prints_only_summaries() {
    let out = wfm_connector(&["demo", "--quiet", "--duration", "3s", "--agents", "5"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    for tag in ["RTA ", "SNAPSHOT ", "REPORT ", "HEARTBEAT "] {
        assert!(
            !text.lines().any(|l| is_feed_line(l, tag)),
            "{tag}in:\n{text}"
        );
    }
    assert!(text.contains("Demo over after"), "{text}");
}

/// Issue 10: SUMMARY lines crowded the feed (one every 10 s); now once a minute, or when a dead
/// letter appears, so a 21-second run prints none before its final totals.
#[test]
fn summary_lines_do_not_crowd_the_feed() {
    let out = wfm_connector(&["demo", "--quiet", "--duration", "21s", "--agents", "5"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    let summaries = text.lines().filter(|l| is_feed_line(l, "SUMMARY ")).count();
    assert_eq!(summaries, 0, "{text}");
    assert!(text.contains("Demo over after"), "{text}");
}

#[test]
fn demo_with_a_nonsense_duration_is_a_usage_error() {
    let out = wfm_connector(&["demo", "--duration", "soon"]);
    assert_eq!(out.status.code(), Some(64));
    assert!(stderr(&out).contains("--duration"), "{}", stderr(&out));
}

#[test]
fn sim_acd_with_a_bad_flag_is_a_usage_error() {
    for args in [
        &["sim", "acd", "--error-rate", "2"][..],
        &["sim", "acd", "--retry-after", "500ms"],
        &["sim", "acd", "--no-such-flag"],
    ] {
        let out = wfm_connector(args);
        assert_eq!(out.status.code(), Some(64), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn sim_acd_on_a_busy_port_is_a_configuration_error() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = wfm_connector(&["sim", "acd", "--listen", &addr]);
    assert_eq!(out.status.code(), Some(78), "{}", stderr(&out));
    assert!(stderr(&out).contains(&addr), "{}", stderr(&out));
}

#[test]
fn sim_wfm_help_lists_its_flags() {
    let out = wfm_connector(&["sim", "wfm", "--help"]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    for flag in ["--listen", "--token-lifetime", "--max-batch", "--verbose"] {
        assert!(text.contains(flag), "{flag} missing from:\n{text}");
    }
}

#[test]
fn sim_wfm_outage_as_long_as_its_period_is_a_usage_error() {
    let out = wfm_connector(&[
        "sim",
        "wfm",
        "--outage-every",
        "10s",
        "--outage-duration",
        "10s",
    ]);
    assert_eq!(out.status.code(), Some(64), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("--outage-duration"),
        "{}",
        stderr(&out)
    );
}
