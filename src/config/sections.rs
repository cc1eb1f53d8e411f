//! The smaller sections: `[queues."…"]`, `[media]`, `[states."…"]`, `[admin]`, `[log]`, each from
//! its raw form to the validated one (see [`super::build`] for the main ones).

use super::build::Ctx;
use super::defaults as d;
use super::error::ConfigError;
use super::raw::{RawAdmin, RawLog, RawMedia, RawQueue, RawState};
use super::{AdminConfig, LogConfig, LogFormat, MediaConfig, QueueConfig, StateOverride};
use crate::model::AgentState;
use std::collections::BTreeMap;

/// The media types CXone WFM reports (SPEC §4).
pub(crate) const MEDIA_TYPES: [&str; 4] = ["voice", "chat", "sms", "web"];

const AGENT_STATES: [AgentState; 6] = [
    AgentState::LoggedOut,
    AgentState::Available,
    AgentState::Reserved,
    AgentState::OnContact,
    AgentState::AfterContactWork,
    AgentState::Unavailable,
];

pub(crate) fn queues(
    raw: BTreeMap<String, RawQueue>,
    ctx: &mut Ctx<'_>,
) -> Result<BTreeMap<String, QueueConfig>, ConfigError> {
    let mut queues = BTreeMap::new();
    for (name, queue) in raw {
        let section = format!("queues.{name:?}");
        let sl_threshold_sec = match queue.sl_threshold_sec {
            None => None,
            raw => {
                let v = ctx.int(&section, "sl_threshold_sec", raw, 0, 1..=86_400)?;
                u32::try_from(v).ok()
            }
        };
        queues.insert(name, QueueConfig { sl_threshold_sec });
    }
    Ok(queues)
}

/// `channels` are merged over the defaults (a file that adds `whatsapp = "chat"` keeps `voice`);
/// `exclude` replaces the default list.
pub(crate) fn media(raw: RawMedia, ctx: &mut Ctx<'_>) -> Result<MediaConfig, ConfigError> {
    let mut media = MediaConfig::default();
    for (channel, target) in raw.channels.unwrap_or_default() {
        let target = target.trim().to_string();
        if !MEDIA_TYPES.contains(&target.as_str()) {
            let message = format!(
                "{target:?} is not a reported media type; use voice, chat, sms or web \
                 (to leave a channel out of reports, list it in exclude)"
            );
            return Err(ctx.invalid("media", &format!("channels.{channel}"), message));
        }
        media.channels.insert(channel, target);
    }
    if let Some(exclude) = raw.exclude {
        media.exclude = exclude.into_iter().map(|s| s.trim().to_string()).collect();
    }
    if let Some(attribute) = raw.attribute {
        media.attribute = attribute.trim().to_string();
    }
    Ok(media)
}

pub(crate) fn states(
    raw: BTreeMap<String, RawState>,
    ctx: &mut Ctx<'_>,
) -> Result<BTreeMap<String, StateOverride>, ConfigError> {
    let mut states = BTreeMap::new();
    for (activity, entry) in raw {
        let section = format!("states.{activity:?}");
        let name = ctx.required(&section, "state", entry.state)?;
        let state = AgentState::parse(&name).ok_or_else(|| {
            let names: Vec<&str> = AGENT_STATES.iter().map(|s| s.as_str()).collect();
            let message = format!(
                "{name:?} is not an agent state; use one of {}",
                names.join(", ")
            );
            ctx.invalid(&section, "state", message)
        })?;
        let reason = entry
            .reason
            .map(|r| r.trim().to_string())
            .filter(|r| !r.is_empty());
        states.insert(activity, StateOverride { state, reason });
    }
    Ok(states)
}

/// `"off"` or `""` turns the endpoint off.
pub(crate) fn admin(raw: RawAdmin, ctx: &mut Ctx<'_>) -> Result<AdminConfig, ConfigError> {
    let text = raw.listen.unwrap_or_else(|| d::ADMIN_LISTEN.into());
    let text = text.trim();
    if text.is_empty() || text.eq_ignore_ascii_case("off") {
        return Ok(AdminConfig { listen: None });
    }
    let addr = text.parse().map_err(|_| {
        let message = format!(
            "{text:?} is not an address; write IP:port, e.g. \"127.0.0.1:9464\", or \"off\""
        );
        ctx.invalid("admin", "listen", message)
    })?;
    Ok(AdminConfig { listen: Some(addr) })
}

/// The level is a plain level or a `tracing` filter directive (`info,wfm_connector::acd=debug`).
pub(crate) fn log(raw: RawLog, ctx: &mut Ctx<'_>) -> Result<LogConfig, ConfigError> {
    let format = match raw.format.as_deref().map(str::trim) {
        None | Some("text") => LogFormat::Text,
        Some("json") => LogFormat::Json,
        Some(other) => {
            let message = format!("{other:?} is not a log format; use \"text\" or \"json\"");
            return Err(ctx.invalid("log", "format", message));
        }
    };
    let level = raw
        .level
        .unwrap_or_else(|| d::LOG_LEVEL.into())
        .trim()
        .to_string();
    let plain = ["trace", "debug", "info", "warn", "error", "off"]
        .contains(&level.to_ascii_lowercase().as_str());
    let directive = level.contains('=') && tracing_subscriber::EnvFilter::try_new(&level).is_ok();
    if !plain && !directive {
        let message = format!(
            "{level:?} is not a log level; use trace, debug, info, warn, error, off, \
             or a filter such as \"info,wfm_connector::acd=debug\""
        );
        return Err(ctx.invalid("log", "level", message));
    }
    Ok(LogConfig { format, level })
}
