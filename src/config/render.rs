//! The effective configuration written back as TOML (`check-config` prints it), secrets shown as
//! `[redacted]`. The output uses the file's own keys and duration syntax, so it loads again.

use super::{AgentIdMode, Config, LogFormat};
use crate::secret::Secret;
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// A duration in the compact humantime syntax the file uses: `500ms`, `2s`, `2h15m`, `7d`.
pub fn format_duration(d: Duration) -> String {
    const UNITS: [(&str, u64); 4] = [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)];
    let mut secs = d.as_secs();
    let mut out = String::new();
    for (unit, size) in UNITS {
        if secs >= size {
            out.push_str(&format!("{}{unit}", secs / size));
            secs %= size;
        }
    }
    let nanos = d.subsec_nanos();
    if !nanos.is_multiple_of(1_000_000) {
        out.push_str(&format!("{nanos}ns"));
    } else if nanos > 0 {
        out.push_str(&format!("{}ms", nanos / 1_000_000));
    }
    if out.is_empty() {
        out.push_str("0s");
    }
    out
}

#[derive(Serialize)]
struct View<'a> {
    acd: AcdView<'a>,
    wfm: WfmView<'a>,
    buffer: BufferView,
    reports: ReportsView,
    media: MediaView<'a>,
    admin: AdminView,
    webhook: WebhookView<'a>,
    log: LogView<'a>,
    queues: BTreeMap<&'a str, QueueView>,
    states: BTreeMap<&'a str, StateView<'a>>,
}

#[derive(Serialize)]
struct AcdView<'a> {
    base_url: &'a str,
    workspace_sid: &'a str,
    username: &'a str,
    password: &'a Secret,
    poll_interval: String,
    overlap: String,
    agent_id: String,
    page_size: u32,
    request_timeout: String,
    workers_refresh: String,
    initial_lookback: String,
}

#[derive(Serialize)]
struct WfmView<'a> {
    service_url: &'a str,
    tenant_name: &'a str,
    access_key_id: &'a str,
    access_key_secret: &'a Secret,
    batch_size: usize,
    report_concurrency: usize,
    heartbeat_interval: String,
    snapshot_interval: String,
    request_timeout: String,
    token_refresh_ahead: String,
    retry_initial: String,
    retry_max: String,
    connector_id: &'a str,
}

#[derive(Serialize)]
struct BufferView {
    path: String,
    retention: String,
}

#[derive(Serialize)]
struct ReportsView {
    interval: String,
    settle_delay: String,
    resend_window: String,
    short_abandon_sec: u32,
    sl_threshold_sec: u32,
}

#[derive(Serialize)]
struct MediaView<'a> {
    exclude: &'a [String],
    attribute: &'a str,
    channels: &'a BTreeMap<String, String>,
}

#[derive(Serialize)]
struct AdminView {
    listen: String,
}

/// `listen = "off"` alone when the push path is off.
#[derive(Serialize)]
struct WebhookView<'a> {
    listen: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    public_url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    auth_token: Option<&'a Secret>,
}

#[derive(Serialize)]
struct LogView<'a> {
    format: &'static str,
    level: &'a str,
}

#[derive(Serialize)]
struct QueueView {
    #[serde(skip_serializing_if = "Option::is_none")]
    sl_threshold_sec: Option<u32>,
}

#[derive(Serialize)]
struct StateView<'a> {
    state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
}

pub(crate) fn redacted_toml(c: &Config) -> String {
    let f = format_duration;
    let view = View {
        acd: AcdView {
            base_url: &c.acd.base_url,
            workspace_sid: &c.acd.workspace_sid,
            username: &c.acd.username,
            password: &c.acd.password,
            poll_interval: f(c.acd.poll_interval),
            overlap: f(c.acd.overlap),
            agent_id: match &c.acd.agent_id {
                AgentIdMode::Sid => "sid".into(),
                AgentIdMode::FriendlyName => "friendly_name".into(),
                AgentIdMode::Attribute(key) => format!("attribute:{key}"),
            },
            page_size: c.acd.page_size,
            request_timeout: f(c.acd.request_timeout),
            workers_refresh: f(c.acd.workers_refresh),
            initial_lookback: f(c.acd.initial_lookback),
        },
        wfm: WfmView {
            service_url: &c.wfm.service_url,
            tenant_name: &c.wfm.tenant_name,
            access_key_id: &c.wfm.access_key_id,
            access_key_secret: &c.wfm.access_key_secret,
            batch_size: c.wfm.batch_size,
            report_concurrency: c.wfm.report_concurrency,
            heartbeat_interval: f(c.wfm.heartbeat_interval),
            snapshot_interval: f(c.wfm.snapshot_interval),
            request_timeout: f(c.wfm.request_timeout),
            token_refresh_ahead: f(c.wfm.token_refresh_ahead),
            retry_initial: f(c.wfm.retry_initial),
            retry_max: f(c.wfm.retry_max),
            connector_id: &c.wfm.connector_id,
        },
        buffer: BufferView {
            path: c.buffer.path.display().to_string(),
            retention: f(c.buffer.retention),
        },
        reports: ReportsView {
            interval: f(c.reports.interval),
            settle_delay: f(c.reports.settle_delay),
            resend_window: f(c.reports.resend_window),
            short_abandon_sec: c.reports.short_abandon_sec,
            sl_threshold_sec: c.reports.sl_threshold_sec,
        },
        media: MediaView {
            exclude: &c.media.exclude,
            attribute: &c.media.attribute,
            channels: &c.media.channels,
        },
        admin: AdminView {
            listen: c
                .admin
                .listen
                .map_or_else(|| "off".into(), |a| a.to_string()),
        },
        webhook: WebhookView {
            listen: c
                .webhook
                .as_ref()
                .map_or_else(|| "off".into(), |w| w.listen.to_string()),
            public_url: c.webhook.as_ref().map(|w| w.public_url.as_str()),
            auth_token: c.webhook.as_ref().map(|w| &w.auth_token),
        },
        log: LogView {
            format: match c.log.format {
                LogFormat::Text => "text",
                LogFormat::Json => "json",
            },
            level: &c.log.level,
        },
        queues: c
            .queues
            .iter()
            .map(|(k, q)| {
                (
                    k.as_str(),
                    QueueView {
                        sl_threshold_sec: q.sl_threshold_sec,
                    },
                )
            })
            .collect(),
        states: c
            .states
            .iter()
            .map(|(k, s)| {
                (
                    k.as_str(),
                    StateView {
                        state: s.state.as_str(),
                        reason: s.reason.as_deref(),
                    },
                )
            })
            .collect(),
    };
    // Serialising plain strings, numbers and maps cannot fail; say so rather than panic.
    toml::to_string(&view).unwrap_or_else(|e| format!("# cannot render the configuration: {e}\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_render_in_the_file_syntax() {
        let cases = [
            (Duration::from_millis(500), "500ms"),
            (Duration::from_secs(2), "2s"),
            (Duration::from_secs(15 * 60), "15m"),
            (Duration::from_secs(2 * 3600 + 15 * 60), "2h15m"),
            (Duration::from_secs(7 * 86_400), "7d"),
            (Duration::from_millis(1500), "1s500ms"),
            (Duration::ZERO, "0s"),
        ];
        for (d, text) in cases {
            assert_eq!(format_duration(d), text);
            assert_eq!(humantime::parse_duration(text).unwrap(), d);
        }
    }
}
