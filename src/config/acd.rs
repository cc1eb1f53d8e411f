//! `[acd]`: where and how the poller reads Twilio TaskRouter. The doc comment of each field is
//! the operator's documentation of its key (`config/wfm-connector.toml` says the same); the
//! `default_*` functions are the defaults. The ACD client ([`crate::acd`]) and the poller read
//! the result.

use super::ctx::Ctx;
use super::secrets::{SecretSources, resolve};
use super::values::{self, duration, format_duration, positive};
use super::wfm::{RetrySettings, default_retry_initial, default_retry_max};
use crate::secret::Secret;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::time::Duration;

/// `[acd]`: where and how to read Twilio TaskRouter.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AcdConfig {
    /// TaskRouter API root, no trailing slash; https unless loopback.
    #[serde(default = "default_base_url")]
    pub base_url: String,
    /// REQUIRED. `WS…`: the workspace polled.
    #[serde(default)]
    pub workspace_sid: String,
    /// REQUIRED. HTTP Basic user: API key SID (`SK…`) or Account SID (`AC…`).
    #[serde(default)]
    pub username: String,
    /// REQUIRED, one of: the API key secret (or Auth Token) inline, `password_file`, or the
    /// systemd credential `acd-password`.
    #[serde(default, deserialize_with = "values::secret")]
    pub password: Secret,
    /// A file holding the password (read at load, trailing newline dropped).
    #[serde(default, skip_serializing)]
    pub password_file: Option<String>,
    /// Time between two polls of the Events feed (> 0).
    #[serde(default = "default_poll_interval", with = "positive")]
    pub poll_interval: Duration,
    /// Each poll re-reads this far before the cursor to catch late events.
    #[serde(default = "default_overlap", with = "duration")]
    pub overlap: Duration,
    /// How the WFM `agentId` is taken from a worker.
    #[serde(default)]
    pub agent_id: AgentIdMode,
    /// Events/Workers page size, 1 to 1000 (TaskRouter's maximum).
    #[serde(
        default = "default_page_size",
        deserialize_with = "values::int_in::<_, _, 1, 1000>"
    )]
    pub page_size: u32,
    /// Timeout of one TaskRouter request (it is retried).
    #[serde(default = "default_request_timeout", with = "positive")]
    pub request_timeout: Duration,
    /// How often the Workers and Activities lists are re-read to reconcile.
    #[serde(default = "default_workers_refresh", with = "positive")]
    pub workers_refresh: Duration,
    /// On the very first start (empty buffer), read the ACD's events from this long ago (at most
    /// 30 days), so the first reports and segments have their history. 0: from now − overlap.
    #[serde(default, with = "duration")]
    pub initial_lookback: Duration,
    /// First retry delay of a failed TaskRouter request (exponential backoff, full jitter).
    #[serde(default = "default_retry_initial", with = "positive")]
    pub retry_initial: Duration,
    /// Cap of the backoff delay (≥ `retry_initial`).
    #[serde(default = "default_retry_max", with = "positive")]
    pub retry_max: Duration,
}

fn default_base_url() -> String {
    "https://taskrouter.twilio.com".into()
}
fn default_poll_interval() -> Duration {
    Duration::from_secs(2)
}
fn default_overlap() -> Duration {
    Duration::from_secs(10)
}
fn default_page_size() -> u32 {
    1000
}
pub(crate) fn default_request_timeout() -> Duration {
    Duration::from_secs(30)
}
fn default_workers_refresh() -> Duration {
    Duration::from_secs(5 * 60)
}

/// How the WFM `agentId` is taken from a worker: `"friendly_name"` (the default), `"sid"`, or
/// `"attribute:<key>"`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum AgentIdMode {
    Sid,
    #[default]
    FriendlyName,
    /// A key of the worker's JSON attributes; falls back to the friendly name when absent.
    Attribute(String),
}

impl AgentIdMode {
    fn parse(text: &str) -> Option<AgentIdMode> {
        match text.trim() {
            "sid" => Some(AgentIdMode::Sid),
            "friendly_name" => Some(AgentIdMode::FriendlyName),
            other => {
                let key = other.strip_prefix("attribute:")?.trim();
                (!key.is_empty()).then(|| AgentIdMode::Attribute(key.to_string()))
            }
        }
    }
}

impl<'de> Deserialize<'de> for AgentIdMode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        AgentIdMode::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "{text:?} is not an agent id mode; use \"friendly_name\", \"sid\" or \"attribute:<key>\""
            ))
        })
    }
}

impl Serialize for AgentIdMode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            AgentIdMode::Sid => s.serialize_str("sid"),
            AgentIdMode::FriendlyName => s.serialize_str("friendly_name"),
            AgentIdMode::Attribute(key) => s.collect_str(&format_args!("attribute:{key}")),
        }
    }
}

/// TaskRouter keeps events 30 days: `initial_lookback` cannot ask for more.
const MAX_LOOKBACK: Duration = Duration::from_secs(30 * 24 * 3600);

impl AcdConfig {
    /// The backoff of the poller's TaskRouter requests.
    pub fn retry(&self) -> RetrySettings {
        RetrySettings {
            initial: self.retry_initial,
            max: self.retry_max,
        }
    }

    /// The rules between keys, the required keys, and the password. `retention` is `[buffer]
    /// retention`: history beyond it is read (and derived) but pruned within the hour, so no
    /// report is built for it; a warning says so.
    pub(crate) fn check(&mut self, retention: Duration, ctx: &mut Ctx<'_>) {
        const S: &str = "acd";
        ctx.url(S, "base_url", &mut self.base_url);
        if ctx.require(S, "workspace_sid", &mut self.workspace_sid)
            && !looks_like_sid(&self.workspace_sid, "WS")
        {
            let at = ctx.at(S, "workspace_sid");
            ctx.warn(format!(
                "{at}: {:?} does not look like a workspace sid (WS followed by 32 hex digits)",
                self.workspace_sid
            ));
        }
        ctx.require(S, "username", &mut self.username);
        let password = resolve(
            ctx,
            SecretSources {
                section: S,
                key: "password",
                inline: Some(self.password.clone()).filter(|p| !p.is_empty()),
                file: self.password_file.clone(),
                credential: "acd-password",
            },
        );
        self.password = ctx.check(password).unwrap_or_default();
        let lookback = format_duration(self.initial_lookback);
        if self.initial_lookback > MAX_LOOKBACK {
            let message = format!("{lookback:?} is longer than TaskRouter keeps events (30 days)");
            ctx.fail(ctx.invalid(S, "initial_lookback", message));
        } else if self.initial_lookback > retention {
            let at = ctx.at(S, "initial_lookback");
            let retention = format_duration(retention);
            ctx.warn(format!(
                "{at}: {lookback:?} reaches further back than [buffer] retention ({retention:?}): \
                 reports are built only for the last {retention:?} of that history"
            ));
        }
        self.retry().check(S, ctx);
    }
}

/// `prefix` followed by 32 hex digits, as every Twilio sid.
fn looks_like_sid(sid: &str, prefix: &str) -> bool {
    sid.strip_prefix(prefix)
        .is_some_and(|hex| hex.len() == 32 && hex.chars().all(|c| c.is_ascii_hexdigit()))
}
