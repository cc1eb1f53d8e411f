//! Helpers shared by the benchmarks: the connector binary as a child process (config file, logs,
//! `/proc` readings of its CPU and memory), a WFM access token for reference clients, events in
//! TaskRouter's shape, and the lines every benchmark prints (ours, reference, ratio, target).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use wfm_connector::sim::acd::SimAcdHandle;
use wfm_connector::sim::wfm::SimWfmHandle;

/// The release binary cargo built for this bench (the bench profile is the release profile).
pub const BINARY: &str = env!("CARGO_BIN_EXE_wfm-connector");

/// The binary to run: [`BINARY`], or `$WFM_CONNECTOR_BIN` (e.g. a build with symbols for a
/// profiler).
pub fn binary() -> String {
    std::env::var("WFM_CONNECTOR_BIN").unwrap_or_else(|_| BINARY.to_string())
}

/// `met` / `MISSED`.
pub fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "MISSED" }
}

/// `12,345` (thousands separated, for figures read by people).
pub fn thousands(v: f64) -> String {
    let digits = format!("{:.0}", v.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if v < 0.0 { format!("-{out}") } else { out }
}

/// Mebibytes from kibibytes.
pub fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// The kernel's clock ticks per second (`getconf CLK_TCK`; 100 on Linux when it cannot say).
pub fn clock_ticks_per_second() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// CPU time the process used so far (user + system), from `/proc/PID/stat`.
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces: the fields after it start behind the last ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // Fields 14 and 15 of stat(5) (utime, stime) are 11 and 12 after the state field (3).
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / clock_ticks_per_second())
}

/// The memory lines of `/proc/PID/status` (kB): `VmHWM`, `VmRSS`, `RssAnon`, `RssFile`, …
#[derive(Debug, Clone, Default)]
pub struct Memory {
    pub vm_hwm: u64,
    pub vm_rss: u64,
    pub rss_anon: u64,
    pub rss_file: u64,
    pub rss_shmem: u64,
    pub threads: u64,
}

pub fn memory(pid: u32) -> Option<Memory> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let mut m = Memory::default();
    for line in status.lines() {
        let mut parts = line.split_whitespace();
        let (Some(key), Some(value)) = (parts.next(), parts.next()) else {
            continue;
        };
        let v: u64 = value.parse().unwrap_or(0);
        match key {
            "VmHWM:" => m.vm_hwm = v,
            "VmRSS:" => m.vm_rss = v,
            "RssAnon:" => m.rss_anon = v,
            "RssFile:" => m.rss_file = v,
            "RssShmem:" => m.rss_shmem = v,
            "Threads:" => m.threads = v,
            _ => {}
        }
    }
    Some(m)
}

/// Resident kB per kind of mapping, from `/proc/PID/smaps`: the buffer file's mmap (all its
/// mappings together), the heap and anonymous mappings, the binary and libraries.
pub fn smaps_breakdown(pid: u32, buffer: &Path) -> Vec<(String, u64)> {
    let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/smaps")) else {
        return Vec::new();
    };
    let buffer = buffer.display().to_string();
    let mut totals: std::collections::BTreeMap<String, u64> = Default::default();
    let mut current = String::new();
    for line in text.lines() {
        let first = line.split_whitespace().next().unwrap_or("");
        if first.contains('-') && !first.ends_with(':') {
            // A mapping header: address perms offset dev inode [path]
            let path = line.split_whitespace().nth(5).unwrap_or("");
            current = if path.starts_with(&buffer) {
                format!(
                    "buffer file mmap ({})",
                    path.rsplit('/').next().unwrap_or(path)
                )
            } else if path.is_empty() || path == "[heap]" {
                "heap and anonymous".to_string()
            } else if path.starts_with('[') {
                path.to_string()
            } else {
                "binary and libraries".to_string()
            };
        } else if first == "Rss:" {
            let kb: u64 = line
                .split_whitespace()
                .nth(1)
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            *totals.entry(current.clone()).or_default() += kb;
        }
    }
    totals.into_iter().filter(|(_, kb)| *kb > 0).collect()
}

/// The unit the .deb installs (`systemd/wfm-connector.service`).
pub const UNIT: &str = include_str!("../../systemd/wfm-connector.service");

/// The environment the unit gives the daemon: each `Environment=NAME=value` line of [`UNIT`]
/// (one assignment a line, unquoted), so a bench runs the binary as systemd would.
pub fn unit_environment() -> Vec<(String, String)> {
    UNIT.lines()
        .filter_map(|l| l.trim().strip_prefix("Environment="))
        .flat_map(str::split_whitespace)
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// The connector binary running `run` with a config file, its logs in a file.
pub struct Connector {
    pub child: Child,
    pub log_path: PathBuf,
}

impl Connector {
    /// Starts `wfm-connector run --config <config>`; `wrap` (e.g. `["heaptrack", "-o", f]`)
    /// runs it under a profiler. Extra environment in `env`.
    pub fn spawn(config: &Path, log_path: &Path, wrap: &[String], env: &[(&str, String)]) -> Self {
        let log = std::fs::File::create(log_path).expect("create log");
        let mut cmd = match wrap.split_first() {
            Some((program, args)) => {
                let mut c = Command::new(program);
                c.args(args).arg(binary());
                c
            }
            None => Command::new(binary()),
        };
        cmd.arg("run")
            .arg("--config")
            .arg(config)
            .env_remove("RUST_LOG")
            .stdout(Stdio::null())
            .stderr(Stdio::from(log));
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("spawn the connector");
        Connector {
            child,
            log_path: log_path.to_path_buf(),
        }
    }

    /// The pid of the connector itself (under a wrapper: its child, found in /proc).
    pub fn connector_pid(&self, wrapped: bool) -> u32 {
        let pid = self.child.id();
        if !wrapped {
            return pid;
        }
        for _ in 0..200 {
            if let Some(c) = children(pid).into_iter().find(|c| is_connector(*c)) {
                return c;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        pid
    }

    /// SIGTERM to `pid` (the connector: see [`Connector::connector_pid`]; the clean stop the
    /// daemon handles), then waits for the child (the connector, or its wrapper) to exit.
    pub fn stop(mut self, pid: u32) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(pid.to_string())
            .status();
        for _ in 0..600 {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        self.child.wait().expect("wait for the connector")
    }

    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }
}

fn children(pid: u32) -> Vec<u32> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}

fn is_connector(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .map(|c| c.trim().starts_with("wfm-connector"))
        .unwrap_or(false)
}

/// A config file for the binary against the two simulators. `acd_extra` / `wfm_extra` /
/// `extra` are TOML lines added to `[acd]`, `[wfm]` and at the end.
pub fn write_config(
    path: &Path,
    acd: &SimAcdHandle,
    wfm: &SimWfmHandle,
    buffer: &Path,
    acd_extra: &str,
    wfm_extra: &str,
    extra: &str,
) {
    let text = format!(
        r#"
[acd]
base_url = "{acd_url}"
workspace_sid = "{ws}"
username = "{user}"
password = "{pass}"
{acd_extra}

[wfm]
service_url = "{wfm_url}"
tenant_name = "tenant"
access_key_id = "key-id"
access_key_secret = "wfm-secret"
{wfm_extra}

[buffer]
path = "{buffer}"

[admin]
listen = "off"

[log]
level = "info"
{extra}
"#,
        acd_url = acd.base_url(),
        ws = acd.workspace_sid(),
        user = acd.username(),
        pass = acd.password(),
        wfm_url = wfm.base_url(),
        buffer = buffer.display(),
    );
    std::fs::write(path, text).expect("write config");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).expect("chmod config");
}

/// An access token from `sim wfm` (for reference clients that call it directly).
pub async fn wfm_token(wfm: &SimWfmHandle) -> String {
    let body = serde_json::json!({"tenantName": "tenant",
        "accessKeyTokenRequest": {"accessKeyId": "key-id", "accessKeySecret": "wfm-secret"}});
    let answer: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/auth/token", wfm.base_url()))
        .json(&body)
        .send()
        .await
        .expect("token request")
        .json()
        .await
        .expect("token answer");
    answer["access_token"]
        .as_str()
        .expect("an access token")
        .to_owned()
}

/// One `worker.activity.update` in TaskRouter's shape: agent `agent` (of `agent{agent:05}`)
/// moves to Break or Available; `i` makes the sid.
pub fn activity_event(i: usize, agent: usize, at_ms: i64, available: bool) -> serde_json::Value {
    let (sid, name) = if available {
        ("WAavail", "Available")
    } else {
        ("WAbreak", "Break")
    };
    serde_json::json!({
        "sid": format!("EV{i:032}"),
        "event_type": "worker.activity.update",
        "event_date_ms": at_ms,
        "event_date": wfm_connector::clock::rfc3339_ms(at_ms),
        "resource_sid": format!("WK{agent:032}"),
        "resource_type": "worker",
        "event_data": {
            "worker_sid": format!("WK{agent:032}"),
            "worker_name": format!("agent{agent:05}"),
            "worker_attributes": "{}",
            "worker_activity_sid": sid,
            "worker_activity_name": name,
        }
    })
}

/// A page body (`{"events": […], "meta": …}`) of the given events.
pub fn page_of(events: Vec<serde_json::Value>) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({"events": events, "meta": {"next_page_url": null}}))
        .expect("serialise a page")
}

/// Queues agent states in the buffer the way the poller does: `Store::ingest` of pages of 1,000
/// `worker.activity.update` events (events `range` of one endless sequence over `agents` agents:
/// event `i` is agent `i % agents`, dated `from_ms + i`, Break and Available in turn, so each
/// changes its agent's state and queues one). Returns how long it took.
pub fn fill_states(
    store: &mut wfm_connector::store::Store,
    range: std::ops::Range<usize>,
    agents: usize,
    from_ms: i64,
) -> Duration {
    use wfm_connector::config::{AgentIdMode, MediaConfig};
    use wfm_connector::derive::agent::DeriveContext;
    let ctx = DeriveContext::new(
        AgentIdMode::FriendlyName,
        MediaConfig::default(),
        Default::default(),
    );
    let t = std::time::Instant::now();
    for start in range.clone().step_by(1_000) {
        let events = (start..(start + 1_000).min(range.end))
            .map(|i| {
                let agent = i % agents;
                activity_event(i, agent, from_ms + i as i64, (i / agents) % 2 == 1)
            })
            .collect();
        let page = wfm_connector::acd::dto::parse_events_page(&page_of(events)).expect("parse");
        store
            .ingest(&page.events, None, &ctx, from_ms)
            .expect("ingest");
    }
    t.elapsed()
}

/// States waiting in the buffer's outbox (a snapshot row counts one).
pub fn pending_states(store: &wfm_connector::store::Store) -> i64 {
    store.status(0).expect("status").pending_states
}
