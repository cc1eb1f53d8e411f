//! `[media]`, `[states."…"]`, `[admin]` and `[log]`: how TaskRouter's channels and Activities
//! map to what WFM is told, and the connector's own endpoint and logs. The doc comment of each
//! field is the operator's documentation of its key; the `default_*` functions are the defaults.
//! The derivation ([`crate::derive`]), the admin endpoint and the logger read them.

use super::ctx::Ctx;
use super::values::addr_or_off;
use crate::model::AgentState;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;
use std::net::SocketAddr;

/// The media types CXone WFM reports (SPEC §4).
const MEDIA_TYPES: [&str; 4] = ["voice", "chat", "sms", "web"];

/// `[media]`: which TaskRouter channels count as which media type.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MediaConfig {
    /// Channels (or media types) never counted in queue reports; replaces the default list.
    #[serde(default = "default_exclude")]
    pub exclude: Vec<String>,
    /// Task attribute that may refine the channel (looked up in `channels` first).
    #[serde(default = "default_attribute")]
    pub attribute: String,
    /// TaskRouter channel unique name → reported media type (`voice`, `chat`, `sms`, `web`),
    /// added to the defaults. The key `default` applies to any channel not listed.
    #[serde(default = "default_channels")]
    pub channels: BTreeMap<String, String>,
}

fn default_channels() -> BTreeMap<String, String> {
    let pairs = [
        ("voice", "voice"),
        ("chat", "chat"),
        ("sms", "sms"),
        ("video", "web"),
        ("default", "web"),
    ];
    pairs
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}
fn default_exclude() -> Vec<String> {
    vec!["email".into(), "fax".into()]
}
fn default_attribute() -> String {
    "channelType".into()
}

impl Default for MediaConfig {
    fn default() -> Self {
        super::schema::defaults()
    }
}

impl MediaConfig {
    /// Media type of a task: the refining attribute first, then the channel name, then `default`.
    /// `None` when the channel (or what it maps to) is excluded.
    pub fn media_for(&self, channel: Option<&str>, refine: Option<&str>) -> Option<String> {
        let excluded = |name: &str| self.exclude.iter().any(|x| x == name);
        for name in [refine, channel].into_iter().flatten() {
            if excluded(name) {
                return None;
            }
            if let Some(m) = self.channels.get(name) {
                return (!excluded(m)).then(|| m.clone());
            }
        }
        let m = self.channels.get("default")?;
        (!excluded(m)).then(|| m.clone())
    }

    /// A file's `channels` are merged over the defaults (adding `whatsapp = "chat"` keeps
    /// `voice`); a channel mapped to something that is not a media type is left out.
    pub(crate) fn check(&mut self, ctx: &mut Ctx<'_>) {
        let mut channels = default_channels();
        for (channel, target) in std::mem::take(&mut self.channels) {
            let target = target.trim().to_string();
            if !MEDIA_TYPES.contains(&target.as_str()) {
                let message = format!(
                    "{target:?} is not a reported media type; use voice, chat, sms or web \
                     (to leave a channel out of reports, list it in exclude)"
                );
                ctx.fail(ctx.invalid("media", &format!("channels.{channel}"), message));
                continue;
            }
            channels.insert(channel, target);
        }
        self.channels = channels;
        self.exclude = self.exclude.iter().map(|s| s.trim().to_string()).collect();
        self.attribute = self.attribute.trim().to_string();
    }
}

/// `[states."Activity"]`: the effective state forced for one TaskRouter Activity, by its exact
/// name.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StateOverride {
    /// REQUIRED. `LoggedOut`, `Available`, `Reserved`, `OnContact`, `AfterContactWork` or
    /// `Unavailable`.
    #[serde(deserialize_with = "agent_state", serialize_with = "agent_state_name")]
    pub state: AgentState,
    /// Reason code sent with the state (e.g. `TRN`), if the entry gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

const AGENT_STATES: [AgentState; 6] = [
    AgentState::LoggedOut,
    AgentState::Available,
    AgentState::Reserved,
    AgentState::OnContact,
    AgentState::AfterContactWork,
    AgentState::Unavailable,
];

fn agent_state<'de, D: Deserializer<'de>>(d: D) -> Result<AgentState, D::Error> {
    let name = String::deserialize(d)?;
    AgentState::parse(name.trim()).ok_or_else(|| {
        let names: Vec<&str> = AGENT_STATES.iter().map(|s| s.as_str()).collect();
        serde::de::Error::custom(format!(
            "{name:?} is not an agent state; use one of {}",
            names.join(", ")
        ))
    })
}

fn agent_state_name<S: Serializer>(state: &AgentState, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(state.as_str())
}

impl StateOverride {
    /// An empty reason is no reason.
    pub(crate) fn check(&mut self) {
        self.reason = self
            .reason
            .take()
            .map(|r| r.trim().to_string())
            .filter(|r| !r.is_empty());
    }
}

/// `[admin]`: the `/healthz`, `/readyz`, `/metrics` endpoint.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AdminConfig {
    /// Address and port to listen on; `"off"` (or `""`, `None` here) turns the endpoint off.
    #[serde(default = "default_admin_listen", with = "addr_or_off")]
    pub listen: Option<SocketAddr>,
}

fn default_admin_listen() -> Option<SocketAddr> {
    Some(SocketAddr::from(([127, 0, 0, 1], 9464)))
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// For people.
    #[default]
    Text,
    /// For log collectors.
    Json,
}

impl<'de> Deserialize<'de> for LogFormat {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match String::deserialize(d)?.trim() {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            other => Err(serde::de::Error::custom(format!(
                "{other:?} is not a log format; use \"text\" or \"json\""
            ))),
        }
    }
}

/// `[log]`: log output.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// `text` for people, `json` for log collectors.
    #[serde(default)]
    pub format: LogFormat,
    /// A level (`info`) or a `tracing` filter directive (`info,wfm_connector::acd=debug`).
    #[serde(default = "default_log_level")]
    pub level: String,
}

fn default_log_level() -> String {
    "info".into()
}

impl LogConfig {
    /// The level is a plain level or a `tracing` filter directive; a bad one is reported and
    /// left at the default.
    pub(crate) fn check(&mut self, ctx: &mut Ctx<'_>) {
        let level = self.level.trim().to_string();
        let plain = ["trace", "debug", "info", "warn", "error", "off"]
            .contains(&level.to_ascii_lowercase().as_str());
        let directive =
            level.contains('=') && tracing_subscriber::EnvFilter::try_new(&level).is_ok();
        if plain || directive {
            self.level = level;
            return;
        }
        let message = format!(
            "{level:?} is not a log level; use trace, debug, info, warn, error, off, \
             or a filter such as \"info,wfm_connector::acd=debug\""
        );
        ctx.fail(ctx.invalid("log", "level", message));
        self.level = default_log_level();
    }
}
