//! End-to-end harness: both simulators on loopback, and the connector as the real binary
//! (`wfm-connector run`) with a config file and a buffer in a temp dir, its logs in a file.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;
use wfm_connector::clock::{Clock, SystemClock};
use wfm_connector::sim::acd::{self, SimAcdHandle, SimAcdOptions};
use wfm_connector::sim::wfm::{self, Recorded, SimWfmHandle, SimWfmOptions};

/// How long a test waits for something that should happen within a few polls. A safety net
/// only: waits end as soon as the condition holds.
pub const WAIT: Duration = Duration::from_secs(30);

pub struct Env {
    pub dir: tempfile::TempDir,
    pub acd: SimAcdHandle,
    pub wfm: SimWfmHandle,
    pub config_path: PathBuf,
    pub log_path: PathBuf,
}

pub fn now_ms() -> i64 {
    SystemClock.now_ms()
}

impl Env {
    /// Scripted TaskRouter and a WFM simulator on the system clock, and a config pointing at them.
    pub async fn start() -> Env {
        Self::start_with("").await
    }

    /// As [`Env::start`], with extra TOML appended to the config (sections must not repeat the
    /// generated ones: use `extra_acd`/`extra_wfm` keys via [`Env::write_config`] instead).
    pub async fn start_with(extra: &str) -> Env {
        let clock: wfm_connector::clock::SharedClock = Arc::new(SystemClock);
        let acd = acd::start(SimAcdOptions::scripted(clock.clone()))
            .await
            .expect("start sim acd");
        let wfm = wfm::start(SimWfmOptions {
            clock,
            ..SimWfmOptions::default()
        })
        .await
        .expect("start sim wfm");
        let dir = tempfile::tempdir().expect("tempdir");
        let config_path = dir.path().join("config.toml");
        let log_path = dir.path().join("connector.log");
        let env = Env {
            dir,
            acd,
            wfm,
            config_path,
            log_path,
        };
        env.write_config("", "", extra);
        env
    }

    pub fn buffer_path(&self) -> PathBuf {
        self.dir.path().join("buffer.db")
    }

    /// Writes the config; `acd_extra`/`wfm_extra` are lines added to those sections.
    pub fn write_config(&self, acd_extra: &str, wfm_extra: &str, extra: &str) {
        let text = format!(
            r#"
[acd]
base_url = "{acd_url}"
workspace_sid = "{ws}"
username = "{user}"
password = "{pass}"
poll_interval = "200ms"
overlap = "10s"
{acd_extra}

[wfm]
service_url = "{wfm_url}"
tenant_name = "tenant"
access_key_id = "key-id"
access_key_secret = "wfm-secret"
retry_initial = "50ms"
retry_max = "1s"
heartbeat_interval = "1s"
{wfm_extra}

[buffer]
path = "{buffer}"

[admin]
listen = "off"

[log]
level = "wfm_connector=debug,warn"
{extra}
"#,
            acd_url = self.acd.base_url(),
            ws = self.acd.workspace_sid(),
            user = self.acd.username(),
            pass = self.acd.password(),
            wfm_url = self.wfm.base_url(),
            buffer = self.buffer_path().display(),
        );
        std::fs::write(&self.config_path, text).expect("write config");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&self.config_path, std::fs::Permissions::from_mode(0o600))
            .expect("chmod config");
    }

    /// Turns the admin endpoint on, on a free loopback port; returns its base URL.
    pub fn enable_admin(&self) -> String {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let text = std::fs::read_to_string(&self.config_path).expect("read config");
        let text = text.replace(
            "listen = \"off\"",
            &format!("listen = \"127.0.0.1:{port}\""),
        );
        std::fs::write(&self.config_path, text).expect("write config");
        format!("http://127.0.0.1:{port}")
    }

    /// Starts `wfm-connector run`; its stderr (logs) is appended to `log_path`.
    pub fn spawn(&self) -> Connector {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_path)
            .expect("open log");
        let log_offset = std::fs::metadata(&self.log_path)
            .map(|m| m.len() as usize)
            .unwrap_or(0);
        let child = Command::new(env!("CARGO_BIN_EXE_wfm-connector"))
            .arg("run")
            .arg("--config")
            .arg(&self.config_path)
            .env_remove("RUST_LOG")
            .stdout(Stdio::null())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("spawn connector");
        Connector {
            child,
            log_path: self.log_path.clone(),
            log_offset,
        }
    }

    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    /// Waits until the WFM simulator's record satisfies `f`; panics with the logs if it never does.
    pub async fn wait_wfm(&self, what: &str, f: impl Fn(&Recorded) -> bool) {
        if !self.wfm.wait_until(f, WAIT).await {
            panic!(
                "timed out waiting for: {what}\n--- connector log (tail) ---\n{}",
                tail(&self.logs(), 60)
            );
        }
    }

    /// Runs `wfm-connector <args> --config <ours>` to completion.
    pub fn cli(&self, args: &[&str]) -> std::process::Output {
        Command::new(env!("CARGO_BIN_EXE_wfm-connector"))
            .args(args)
            .arg("--config")
            .arg(&self.config_path)
            .output()
            .expect("run cli")
    }

    /// `status --json` as JSON.
    pub fn status(&self) -> serde_json::Value {
        let out = self.cli(&["status", "--json"]);
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|_| panic!("status --json: {}", String::from_utf8_lossy(&out.stderr)))
    }
}

/// Polls `url` until its status is `want` (a condition wait: each try is a real request).
pub async fn wait_http_status(url: &str, want: u16) -> String {
    let client = reqwest::Client::new();
    for _ in 0..300 {
        if let Ok(resp) = client.get(url).send().await {
            let status = resp.status().as_u16();
            let body = resp.text().await.unwrap_or_default();
            if status == want {
                return body;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{url} never answered {want}");
}

/// The `/metrics` text of a running connector's admin endpoint.
pub async fn metrics_text(admin: &str) -> String {
    reqwest::get(format!("{admin}/metrics"))
        .await
        .expect("GET /metrics")
        .text()
        .await
        .expect("/metrics body")
}

/// The value of an unlabelled sample `name` in `/metrics` (e.g. `wfm_connector_ready`).
pub async fn metric_value(admin: &str, name: &str) -> Option<f64> {
    metrics_text(admin).await.lines().find_map(|l| {
        let (n, v) = l.split_once(' ')?;
        (n == name).then(|| v.trim().parse().ok()).flatten()
    })
}

/// The last `n` lines of a text.
pub fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// A running connector process.
pub struct Connector {
    pub child: Child,
    log_path: PathBuf,
    /// Where this process's lines begin in the shared log file.
    log_offset: usize,
}

impl Connector {
    /// Waits until this process has installed its signal handlers (it logs "wfm-connector
    /// starting" right after), so a SIGTERM is a clean stop and not the default kill.
    pub fn wait_started(&self) {
        self.wait_log("wfm-connector starting");
    }

    /// This process's log lines so far.
    pub fn logs(&self) -> String {
        let text = std::fs::read(&self.log_path).unwrap_or_default();
        String::from_utf8_lossy(&text[self.log_offset.min(text.len())..]).into_owned()
    }

    /// Waits until this process has logged a line containing `needle` (a condition wait on the
    /// log file); panics with the log if it never does.
    pub fn wait_log(&self, needle: &str) {
        let deadline = std::time::Instant::now() + WAIT;
        loop {
            let mine = self.logs();
            if mine.contains(needle) {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the connector never logged {needle:?}:\n{mine}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// SIGHUP (once the process is up): reload the configuration.
    pub fn hangup(&self) {
        self.wait_started();
        let pid = self.child.id().to_string();
        let status = Command::new("kill").args(["-HUP", &pid]).status();
        assert!(status.is_ok_and(|s| s.success()), "kill -HUP {pid}");
    }

    /// SIGTERM (once the process is up), then waits for the exit; returns the exit code.
    pub fn terminate(mut self) -> Option<i32> {
        self.wait_started();
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        self.child.wait().ok().and_then(|s| s.code())
    }

    /// SIGKILL (no chance to clean up), and reaps it.
    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Connector {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Distinct state event ids received, in arrival order.
pub fn received_ids(r: &Recorded) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    r.states
        .iter()
        .filter(|s| seen.insert(s.event_id.clone()))
        .map(|s| s.event_id.clone())
        .collect()
}

pub fn path_exists(p: &Path) -> bool {
    p.exists()
}
