//! `systemd/`: both units (the one the .deb enables as `wfm-connector`, and the per-workspace
//! template) give the daemon the same environment, and it holds glibc's allocator settings that
//! keep 20,000 agents under SPEC §11's 64 MiB (BENCHMARKS.md "Scale"; `benches/scale.rs` runs
//! the binary with these lines).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: a failed unwrap is a failed test

const SERVICE: &str = include_str!("../systemd/wfm-connector.service");
const TEMPLATE: &str = include_str!("../systemd/wfm-connector@.service");

/// The `Environment=` assignments of a unit's `[Service]` section, in order.
fn environment(unit: &str) -> Vec<String> {
    let mut section = "";
    let mut out = Vec::new();
    for line in unit.lines().map(str::trim) {
        if line.starts_with('[') {
            section = line;
        } else if let Some(value) = line.strip_prefix("Environment=") {
            assert_eq!(
                section, "[Service]",
                "Environment= outside [Service]: {line}"
            );
            out.extend(value.split_whitespace().map(str::to_owned));
        }
    }
    out
}

#[test]
fn both_units_cap_glibc_arenas_and_map_big_blocks_apart() {
    let env = environment(SERVICE);
    for wanted in [
        "MALLOC_ARENA_MAX=1",
        "MALLOC_MMAP_THRESHOLD_=131072",
        "MALLOC_TRIM_THRESHOLD_=131072",
    ] {
        assert!(
            env.iter().any(|e| e == wanted),
            "wfm-connector.service lacks Environment={wanted}: {env:?}"
        );
    }
    assert_eq!(
        environment(TEMPLATE),
        env,
        "wfm-connector@.service must give the daemon the same environment"
    );
}

#[test]
fn every_assignment_is_plain_name_equals_value() {
    // One unquoted NAME=value each: what systemd reads as written, and what the benches parse.
    for unit in [SERVICE, TEMPLATE] {
        for kv in environment(unit) {
            let (name, value) = kv.split_once('=').expect("NAME=value");
            assert!(
                !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'),
                "{kv}"
            );
            assert!(!value.is_empty() && !value.contains(['"', '\'']), "{kv}");
        }
    }
}
