//! Configuration: the TOML schema of SPEC §8, defaults, environment overrides, secrets, validation.
//!
//! The structs below are what the rest of the crate reads. They are produced by [`load`] (the
//! daemon: file + process environment + systemd credentials) or [`load_from_str`] (everything
//! injected, for tests); [`load_local`] gives the [`LocalConfig`] of the commands that only read
//! the buffer, without the secrets. They go through these steps, one file each:
//!
//! - `raw`: the file schema, every key optional; unknown keys are refused, naming them.
//! - `env`: `WFM_CONNECTOR__SECTION__KEY` overrides, merged by the `config` crate.
//! - `build` and `sections`: defaults ([`defaults`]), durations, URLs, ranges: the validated
//!   [`Config`] (`ctx` holds the shared checks and collects every problem, so a load reports
//!   them all at once); `secrets` resolves inline / `*_file` / systemd-credential secrets.
//! - `render`: the effective configuration back as TOML, secrets redacted (`check-config`).
//! - `reload`: what a SIGHUP may change in a running daemon, and what needs a restart.
//!
//! Errors ([`ConfigError`]) name file, section and key, and never contain a secret.
//! `config/wfm-connector.toml` is the operator's documentation of every key.

mod build;
mod ctx;
pub mod defaults;
mod env;
mod error;
mod load;
mod raw;
mod reload;
mod render;
mod secrets;
mod sections;
mod webhook;

pub use env::ENV_PREFIX;
pub use error::{ConfigError, Location};
pub use load::{Loaded, load, load_from_str, load_local, load_local_from_str};
pub use reload::{Reload, reload};
pub use render::format_duration;

use crate::model::AgentState;
use crate::secret::Secret;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The whole, validated configuration. Secrets are resolved (inline, `*_file`, or systemd
/// credential) before this struct exists.
#[derive(Debug, Clone)]
pub struct Config {
    pub acd: AcdConfig,
    pub wfm: WfmConfig,
    pub buffer: BufferConfig,
    pub reports: ReportsConfig,
    /// Per-queue settings, keyed by queue friendly name or `WQ…` sid.
    pub queues: BTreeMap<String, QueueConfig>,
    pub media: MediaConfig,
    /// Per-Activity-name overrides of the effective state.
    pub states: BTreeMap<String, StateOverride>,
    pub admin: AdminConfig,
    /// `[webhook]`: the push path; `None` when off (SPEC §12).
    pub webhook: Option<WebhookConfig>,
    pub log: LogConfig,
}

/// The configuration without `[acd]`, `[wfm]` and `[webhook]`, so without secrets: what the
/// commands that only work on the buffer (`status`, `replay`) get from [`load_local`]. Every key
/// is still validated.
#[derive(Debug, Clone)]
pub struct LocalConfig {
    pub buffer: BufferConfig,
    pub reports: ReportsConfig,
    pub queues: BTreeMap<String, QueueConfig>,
    pub media: MediaConfig,
    pub states: BTreeMap<String, StateOverride>,
    pub admin: AdminConfig,
    pub log: LogConfig,
}

impl From<Config> for LocalConfig {
    fn from(c: Config) -> Self {
        LocalConfig {
            buffer: c.buffer,
            reports: c.reports,
            queues: c.queues,
            media: c.media,
            states: c.states,
            admin: c.admin,
            log: c.log,
        }
    }
}

/// `[acd]`: where and how to read Twilio TaskRouter.
#[derive(Debug, Clone)]
pub struct AcdConfig {
    /// TaskRouter API root, no trailing slash; https unless loopback.
    pub base_url: String,
    /// `WS…`: the workspace polled.
    pub workspace_sid: String,
    /// HTTP Basic user: API key SID (`SK…`) or Account SID (`AC…`).
    pub username: String,
    /// API key secret or Auth Token.
    pub password: Secret,
    /// Time between two polls of the Events feed (> 0).
    pub poll_interval: Duration,
    /// Each poll re-reads this far before the cursor to catch late events.
    pub overlap: Duration,
    /// How the WFM `agentId` is taken from a worker.
    pub agent_id: AgentIdMode,
    /// Events/Workers page size (max 1000).
    pub page_size: u32,
    /// Timeout of one TaskRouter request.
    pub request_timeout: Duration,
    /// How often the Workers and Activities lists are re-read to reconcile.
    pub workers_refresh: Duration,
    /// On the very first start (empty buffer), read the ACD's events from this long ago (at most
    /// 30 days), so the first reports and segments have their history. 0: from now − overlap.
    pub initial_lookback: Duration,
}

/// How the WFM `agentId` is taken from a worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentIdMode {
    Sid,
    FriendlyName,
    /// A key of the worker's JSON attributes; falls back to the friendly name when absent.
    Attribute(String),
}

/// `[wfm]`: where and how to deliver to CXone WFM.
#[derive(Debug, Clone)]
pub struct WfmConfig {
    /// Root of the WFM connector API (SPEC §6), no trailing slash; https unless loopback.
    pub service_url: String,
    /// CXone tenant, sent with the token request.
    pub tenant_name: String,
    pub access_key_id: String,
    pub access_key_secret: Secret,
    /// Most agent states per request (1..=10000).
    pub batch_size: usize,
    /// Most reports in flight at once, each for a different interval (1..=16).
    pub report_concurrency: usize,
    pub heartbeat_interval: Duration,
    /// Time between two full snapshots of every agent's state.
    pub snapshot_interval: Duration,
    /// Timeout of one WFM request.
    pub request_timeout: Duration,
    /// Refresh the token this long before it expires.
    pub token_refresh_ahead: Duration,
    /// First retry delay of the exponential backoff.
    pub retry_initial: Duration,
    /// Cap of the backoff delay (≥ `retry_initial`).
    pub retry_max: Duration,
    /// Sent in heartbeats; defaults to the host name.
    pub connector_id: String,
}

/// `[buffer]`: the SQLite file.
#[derive(Debug, Clone)]
pub struct BufferConfig {
    pub path: PathBuf,
    /// Sent items and raw events older than this are pruned; always longer than the resend window.
    pub retention: Duration,
}

/// `[reports]`: report intervals and counting thresholds.
#[derive(Debug, Clone)]
pub struct ReportsConfig {
    /// 1, 5, 15, 30 or 60 minutes.
    pub interval: Duration,
    /// Wait after an interval closes before building it.
    pub settle_delay: Duration,
    /// How long after closing an interval is rebuilt (and re-sent when changed).
    pub resend_window: Duration,
    /// Abandoned within this many seconds: a short abandon.
    pub short_abandon_sec: u32,
    /// Service-level threshold of queues without their own (see [`Config::sl_threshold_for`]).
    pub sl_threshold_sec: u32,
}

/// `[queues."…"]`: one queue's settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueConfig {
    pub sl_threshold_sec: Option<u32>,
}

/// `[media]`: which TaskRouter channels count as which media type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaConfig {
    /// TaskRouter channel unique name → reported media type (`voice`, `chat`, `sms`, `web`).
    /// The key `default` applies to any channel not listed.
    pub channels: BTreeMap<String, String>,
    /// Channel names (or media types) never counted in queue reports.
    pub exclude: Vec<String>,
    /// Task attribute that may refine the channel (looked up in `channels` first).
    pub attribute: String,
}

/// `[states."Activity"]`: the effective state forced for one TaskRouter Activity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateOverride {
    pub state: AgentState,
    /// Reason code sent with the state (e.g. `TRN`), if the entry gives one.
    pub reason: Option<String>,
}

/// `[webhook]`: where Twilio Event Streams pushes TaskRouter events (a webhook sink).
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// The plain-HTTP listener, behind the operator's TLS terminator.
    pub listen: std::net::SocketAddr,
    /// The sink URL as configured at Twilio; every signature covers it.
    pub public_url: String,
    /// The path of `public_url`: the only path served.
    pub path: String,
    /// The Twilio account's Auth Token, which signs every request (`X-Twilio-Signature`).
    pub auth_token: Secret,
}

/// `[admin]`: the `/healthz`, `/readyz`, `/metrics` endpoint.
#[derive(Debug, Clone)]
pub struct AdminConfig {
    /// `None` disables the admin endpoint.
    pub listen: Option<std::net::SocketAddr>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// `[log]`: log output.
#[derive(Debug, Clone)]
pub struct LogConfig {
    pub format: LogFormat,
    /// A level (`info`) or a `tracing` filter directive (`info,wfm_connector::acd=debug`).
    pub level: String,
}

impl Config {
    /// The effective configuration as TOML, secrets shown as `[redacted]` (`check-config`).
    pub fn redacted_toml(&self) -> String {
        render::redacted_toml(self)
    }

    /// The service-level threshold of a queue: its `[queues."…"]` entry by `WQ…` sid first, then by
    /// friendly name, else `[reports] sl_threshold_sec`.
    pub fn sl_threshold_for(&self, queue_sid: &str, queue_name: Option<&str>) -> u32 {
        let by_sid = self.queues.get(queue_sid).and_then(|q| q.sl_threshold_sec);
        let by_name = || {
            queue_name
                .and_then(|name| self.queues.get(name))
                .and_then(|q| q.sl_threshold_sec)
        };
        by_sid
            .or_else(by_name)
            .unwrap_or(self.reports.sl_threshold_sec)
    }

    /// Every default, pointed at test servers: workspace `WS000…0`, username `SKtest`, password
    /// `acd-secret`, tenant `tenant`, key id `key-id`, secret `wfm-secret`. Two choices differ
    /// from the file defaults so tests run side by side: the admin endpoint is off (no fixed port)
    /// and `connector_id` is `wfm-connector` rather than the host name (deterministic).
    pub fn for_tests(acd_base_url: &str, wfm_url: &str, buffer_path: &Path) -> Config {
        use defaults as d;
        Config {
            acd: AcdConfig {
                base_url: acd_base_url.trim_end_matches('/').to_string(),
                workspace_sid: "WS00000000000000000000000000000000".into(),
                username: "SKtest".into(),
                password: Secret::new("acd-secret"),
                poll_interval: d::POLL_INTERVAL,
                overlap: d::OVERLAP,
                agent_id: AgentIdMode::FriendlyName,
                page_size: d::PAGE_SIZE,
                request_timeout: d::REQUEST_TIMEOUT,
                workers_refresh: d::WORKERS_REFRESH,
                initial_lookback: d::INITIAL_LOOKBACK,
            },
            wfm: WfmConfig {
                service_url: wfm_url.trim_end_matches('/').to_string(),
                tenant_name: "tenant".into(),
                access_key_id: "key-id".into(),
                access_key_secret: Secret::new("wfm-secret"),
                batch_size: d::BATCH_SIZE,
                report_concurrency: d::REPORT_CONCURRENCY,
                heartbeat_interval: d::HEARTBEAT_INTERVAL,
                snapshot_interval: d::SNAPSHOT_INTERVAL,
                request_timeout: d::REQUEST_TIMEOUT,
                token_refresh_ahead: d::TOKEN_REFRESH_AHEAD,
                retry_initial: d::RETRY_INITIAL,
                retry_max: d::RETRY_MAX,
                connector_id: d::CONNECTOR_ID_FALLBACK.into(),
            },
            buffer: BufferConfig {
                path: buffer_path.to_path_buf(),
                retention: d::RETENTION,
            },
            reports: ReportsConfig::default(),
            queues: BTreeMap::new(),
            media: MediaConfig::default(),
            states: BTreeMap::new(),
            admin: AdminConfig { listen: None },
            webhook: None,
            log: LogConfig {
                format: LogFormat::Text,
                level: d::LOG_LEVEL.into(),
            },
        }
    }
}

impl MediaConfig {
    /// Media type of a task: the refining attribute first, then the channel name, then `default`.
    /// `None` when the channel (or what it maps to) is excluded.
    pub fn media_for(&self, channel: Option<&str>, refine: Option<&str>) -> Option<String> {
        for name in [refine, channel].into_iter().flatten() {
            if self.exclude.iter().any(|x| x == name) {
                return None;
            }
            if let Some(m) = self.channels.get(name) {
                return if self.exclude.iter().any(|x| x == m) {
                    None
                } else {
                    Some(m.clone())
                };
            }
        }
        let m = self.channels.get("default")?;
        if self.exclude.iter().any(|x| x == m) {
            None
        } else {
            Some(m.clone())
        }
    }
}

impl Default for MediaConfig {
    fn default() -> Self {
        let channels = [
            ("voice", "voice"),
            ("chat", "chat"),
            ("sms", "sms"),
            ("video", "web"),
            ("default", "web"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        MediaConfig {
            channels,
            exclude: vec!["email".into(), "fax".into()],
            attribute: defaults::MEDIA_ATTRIBUTE.into(),
        }
    }
}

impl Default for ReportsConfig {
    fn default() -> Self {
        ReportsConfig {
            interval: defaults::REPORT_INTERVAL,
            settle_delay: defaults::SETTLE_DELAY,
            resend_window: defaults::RESEND_WINDOW,
            short_abandon_sec: defaults::SHORT_ABANDON_SEC,
            sl_threshold_sec: defaults::SL_THRESHOLD_SEC,
        }
    }
}
