//! The smaller sections: `[queues."…"]`, `[media]`, `[states."…"]`, `[admin]`, `[log]`, each from
//! its raw form to the validated one (see [`super::build`] for the main ones). Problems go to
//! `ctx.errors`, the entry at fault left out or at its default.

use super::build::Ctx;
use super::defaults as d;
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
) -> BTreeMap<String, QueueConfig> {
    let mut queues = BTreeMap::new();
    for (name, queue) in raw {
        let section = format!("queues.{name:?}");
        let sl_threshold_sec = match queue.sl_threshold_sec {
            None => None,
            raw => {
                let v = ctx.check(ctx.int(&section, "sl_threshold_sec", raw, 0, 1..=86_400));
                v.and_then(|v| u32::try_from(v).ok())
            }
        };
        queues.insert(name, QueueConfig { sl_threshold_sec });
    }
    queues
}

/// `channels` are merged over the defaults (a file that adds `whatsapp = "chat"` keeps `voice`);
/// `exclude` replaces the default list.
pub(crate) fn media(raw: RawMedia, ctx: &mut Ctx<'_>) -> MediaConfig {
    let mut media = MediaConfig::default();
    for (channel, target) in raw.channels.unwrap_or_default() {
        let target = target.trim().to_string();
        if !MEDIA_TYPES.contains(&target.as_str()) {
            let message = format!(
                "{target:?} is not a reported media type; use voice, chat, sms or web \
                 (to leave a channel out of reports, list it in exclude)"
            );
            let key = format!("channels.{channel}");
            ctx.fail(ctx.invalid("media", &key, message));
            continue;
        }
        media.channels.insert(channel, target);
    }
    if let Some(exclude) = raw.exclude {
        media.exclude = exclude.into_iter().map(|s| s.trim().to_string()).collect();
    }
    if let Some(attribute) = raw.attribute {
        media.attribute = attribute.trim().to_string();
    }
    media
}

pub(crate) fn states(
    raw: BTreeMap<String, RawState>,
    ctx: &mut Ctx<'_>,
) -> BTreeMap<String, StateOverride> {
    let mut states = BTreeMap::new();
    for (activity, entry) in raw {
        let section = format!("states.{activity:?}");
        let Some(name) = ctx.check(ctx.required(&section, "state", entry.state)) else {
            continue;
        };
        let Some(state) = AgentState::parse(&name) else {
            let names: Vec<&str> = AGENT_STATES.iter().map(|s| s.as_str()).collect();
            let message = format!(
                "{name:?} is not an agent state; use one of {}",
                names.join(", ")
            );
            ctx.fail(ctx.invalid(&section, "state", message));
            continue;
        };
        let reason = entry
            .reason
            .map(|r| r.trim().to_string())
            .filter(|r| !r.is_empty());
        states.insert(activity, StateOverride { state, reason });
    }
    states
}

/// `"off"` or `""` turns the endpoint off.
pub(crate) fn admin(raw: RawAdmin, ctx: &mut Ctx<'_>) -> AdminConfig {
    let text = raw.listen.unwrap_or_else(|| d::ADMIN_LISTEN.into());
    let text = text.trim();
    if text.is_empty() || text.eq_ignore_ascii_case("off") {
        return AdminConfig { listen: None };
    }
    let addr = text.parse().map_err(|_| {
        let message = format!(
            "{text:?} is not an address; write IP:port, e.g. \"127.0.0.1:9464\", or \"off\""
        );
        ctx.invalid("admin", "listen", message)
    });
    AdminConfig {
        listen: ctx.check(addr),
    }
}

/// The level is a plain level or a `tracing` filter directive (`info,wfm_connector::acd=debug`).
pub(crate) fn log(raw: RawLog, ctx: &mut Ctx<'_>) -> LogConfig {
    let format = match raw.format.as_deref().map(str::trim) {
        None | Some("text") => LogFormat::Text,
        Some("json") => LogFormat::Json,
        Some(other) => {
            let message = format!("{other:?} is not a log format; use \"text\" or \"json\"");
            ctx.fail(ctx.invalid("log", "format", message));
            LogFormat::Text
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
        ctx.fail(ctx.invalid("log", "level", message));
        return LogConfig {
            format,
            level: d::LOG_LEVEL.into(),
        };
    }
    LogConfig { format, level }
}
