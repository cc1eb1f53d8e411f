//! From the raw file schema to a validated [`Config`]: defaults filled in, durations parsed, secrets
//! resolved, every rule of SPEC §8 checked. The first problem is returned as an error naming file,
//! section and key; softer problems become warnings for `check-config` and the start-up log.

use super::defaults as d;
use super::error::{ConfigError, Location};
use super::raw::{Int, RawAcd, RawBuffer, RawConfig, RawReports, RawWfm};
use super::render::format_duration;
use super::secrets::{SecretSources, resolve};
use super::{AcdConfig, AgentIdMode, BufferConfig, Config, ReportsConfig, WfmConfig, sections};
use std::collections::BTreeMap;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What the builder needs besides the values: where they came from, and the warnings so far.
pub(crate) struct Ctx<'a> {
    /// The file name used in messages.
    pub origin: &'a str,
    /// Dotted key → environment variable that set it.
    pub set_by: &'a BTreeMap<String, String>,
    pub credentials_dir: Option<&'a Path>,
    /// Whether the secrets are read (`run`, `check-config`) or left out (`status`, `replay`).
    pub secrets: Secrets,
    pub warnings: Vec<String>,
}

/// Whether a load resolves the two secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Secrets {
    /// Read them (inline, `*_file`, systemd credential); a missing one is an error.
    Resolve,
    /// Do not look for them at all: the command never talks to a peer.
    Skip,
}

impl Ctx<'_> {
    /// Where `[section] key` came from: its environment variable if one set it, else the file.
    pub fn at(&self, section: &str, key: &str) -> Location {
        match self.set_by.get(&format!("{section}.{key}")) {
            Some(var) => Location::new(&format!("${var}"), section, key),
            None => Location::new(self.origin, section, key),
        }
    }

    pub fn warn(&mut self, message: String) {
        self.warnings.push(message);
    }

    pub fn invalid(&self, section: &str, key: &str, message: String) -> ConfigError {
        ConfigError::Invalid {
            at: self.at(section, key),
            message,
        }
    }

    pub fn required(
        &self,
        section: &str,
        key: &str,
        raw: Option<String>,
    ) -> Result<String, ConfigError> {
        match raw {
            Some(v) if !v.trim().is_empty() => Ok(v.trim().to_string()),
            _ => Err(ConfigError::Missing {
                at: self.at(section, key),
                hint: String::new(),
            }),
        }
    }

    /// A humantime duration (`500ms`, `2s`, `15m`, `2h15m`, `7d`), or the default when absent.
    pub fn duration(
        &self,
        section: &str,
        key: &str,
        raw: Option<String>,
        default: Duration,
    ) -> Result<Duration, ConfigError> {
        let Some(text) = raw else { return Ok(default) };
        humantime::parse_duration(text.trim()).map_err(|_| {
            let message = format!(
                "{text:?} is not a duration; write a number with a unit: \
                 \"500ms\", \"2s\", \"15m\", \"2h15m\", \"7d\""
            );
            self.invalid(section, key, message)
        })
    }

    /// Like [`Ctx::duration`], but zero is refused.
    pub fn positive(
        &self,
        section: &str,
        key: &str,
        raw: Option<String>,
        default: Duration,
    ) -> Result<Duration, ConfigError> {
        let value = self.duration(section, key, raw, default)?;
        if value.is_zero() {
            return Err(self.invalid(section, key, "must be longer than 0s".into()));
        }
        Ok(value)
    }

    /// An integer within `range`, or the default when absent.
    pub fn int(
        &self,
        section: &str,
        key: &str,
        raw: Option<Int>,
        default: i64,
        range: RangeInclusive<i64>,
    ) -> Result<i64, ConfigError> {
        let value = raw.map_or(default, |i| i.0);
        if !range.contains(&value) {
            let (lo, hi) = (range.start(), range.end());
            return Err(self.invalid(section, key, format!("{value} is out of range {lo}..={hi}")));
        }
        Ok(value)
    }

    /// An `http(s)` URL, which must be `https` unless its host is loopback.
    pub fn url(&self, section: &str, key: &str, text: String) -> Result<String, ConfigError> {
        let url = reqwest::Url::parse(text.trim())
            .map_err(|e| self.invalid(section, key, format!("{text:?} is not a URL: {e}")))?;
        let loopback = url.host_str().is_some_and(is_loopback);
        match url.scheme() {
            "https" => {}
            "http" if loopback => {}
            "http" => {
                let message = format!("{text:?} must be https unless the host is loopback");
                return Err(self.invalid(section, key, message));
            }
            other => {
                let message = format!("{text:?}: scheme {other:?} is not supported; use https");
                return Err(self.invalid(section, key, message));
            }
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(self.invalid(section, key, format!("{text:?} has no host")));
        }
        Ok(text.trim().trim_end_matches('/').to_string())
    }
}

/// Loopback per SPEC §8: `127.0.0.0/8`, `::1`, `localhost`. `host` is as `Url::host_str` gives
/// it: IPv6 in brackets.
fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => bare.trim_end_matches('.').eq_ignore_ascii_case("localhost"),
    }
}

/// Builds and validates the whole configuration.
pub(crate) fn build(raw: RawConfig, ctx: &mut Ctx<'_>) -> Result<Config, ConfigError> {
    let acd = build_acd(raw.acd, ctx)?;
    let wfm = build_wfm(raw.wfm, ctx)?;
    let buffer = build_buffer(raw.buffer, ctx)?;
    let reports = build_reports(raw.reports, &buffer, ctx)?;
    Ok(Config {
        acd,
        wfm,
        buffer,
        reports,
        queues: sections::queues(raw.queues, ctx)?,
        media: sections::media(raw.media, ctx)?,
        states: sections::states(raw.states, ctx)?,
        admin: sections::admin(raw.admin, ctx)?,
        webhook: super::webhook::webhook(raw.webhook, ctx)?,
        log: sections::log(raw.log, ctx)?,
    })
}

fn build_acd(raw: RawAcd, ctx: &mut Ctx<'_>) -> Result<AcdConfig, ConfigError> {
    const S: &str = "acd";
    let base_url = raw.base_url.unwrap_or_else(|| d::ACD_BASE_URL.into());
    let workspace_sid = ctx.required(S, "workspace_sid", raw.workspace_sid)?;
    if !looks_like_sid(&workspace_sid, "WS") {
        let at = ctx.at(S, "workspace_sid");
        ctx.warn(format!(
            "{at}: {workspace_sid:?} does not look like a workspace sid (WS followed by 32 hex digits)"
        ));
    }
    let agent_id = raw.agent_id.unwrap_or_else(|| d::AGENT_ID.into());
    let agent_id = parse_agent_id(&agent_id).ok_or_else(|| {
        let message = format!(
            "{agent_id:?} is not an agent id mode; use \"friendly_name\", \"sid\" or \"attribute:<key>\""
        );
        ctx.invalid(S, "agent_id", message)
    })?;
    let page_size = ctx.int(S, "page_size", raw.page_size, d::PAGE_SIZE.into(), 1..=1000)?;
    Ok(AcdConfig {
        base_url: ctx.url(S, "base_url", base_url)?,
        workspace_sid,
        username: ctx.required(S, "username", raw.username)?,
        password: resolve(
            ctx,
            SecretSources {
                section: S,
                key: "password",
                inline: raw.password,
                file: raw.password_file,
                credential: d::ACD_PASSWORD_CREDENTIAL,
            },
        )?,
        poll_interval: ctx.positive(S, "poll_interval", raw.poll_interval, d::POLL_INTERVAL)?,
        overlap: ctx.duration(S, "overlap", raw.overlap, d::OVERLAP)?,
        agent_id,
        page_size: u32::try_from(page_size).unwrap_or(d::PAGE_SIZE),
        request_timeout: ctx.positive(
            S,
            "request_timeout",
            raw.request_timeout,
            d::REQUEST_TIMEOUT,
        )?,
        workers_refresh: ctx.positive(
            S,
            "workers_refresh",
            raw.workers_refresh,
            d::WORKERS_REFRESH,
        )?,
        initial_lookback: ctx.duration(
            S,
            "initial_lookback",
            raw.initial_lookback,
            d::INITIAL_LOOKBACK,
        )?,
    })
}

fn build_wfm(raw: RawWfm, ctx: &mut Ctx<'_>) -> Result<WfmConfig, ConfigError> {
    const S: &str = "wfm";
    let service_url = ctx.required(S, "service_url", raw.service_url)?;
    let batch_size = ctx.int(
        S,
        "batch_size",
        raw.batch_size,
        d::BATCH_SIZE as i64,
        1..=10_000,
    )?;
    let report_concurrency = ctx.int(
        S,
        "report_concurrency",
        raw.report_concurrency,
        d::REPORT_CONCURRENCY as i64,
        1..=16,
    )?;
    let retry_initial = ctx.positive(S, "retry_initial", raw.retry_initial, d::RETRY_INITIAL)?;
    let retry_max = ctx.positive(S, "retry_max", raw.retry_max, d::RETRY_MAX)?;
    if retry_max < retry_initial {
        let message = format!(
            "{} must not be shorter than retry_initial ({})",
            format_duration(retry_max),
            format_duration(retry_initial)
        );
        return Err(ctx.invalid(S, "retry_max", message));
    }
    let connector_id = match raw.connector_id {
        Some(id) if id.trim().is_empty() => {
            return Err(ctx.invalid(S, "connector_id", "is empty".into()));
        }
        Some(id) => id.trim().to_string(),
        None => d::connector_id(),
    };
    Ok(WfmConfig {
        service_url: ctx.url(S, "service_url", service_url)?,
        tenant_name: ctx.required(S, "tenant_name", raw.tenant_name)?,
        access_key_id: ctx.required(S, "access_key_id", raw.access_key_id)?,
        access_key_secret: resolve(
            ctx,
            SecretSources {
                section: S,
                key: "access_key_secret",
                inline: raw.access_key_secret,
                file: raw.access_key_secret_file,
                credential: d::WFM_SECRET_CREDENTIAL,
            },
        )?,
        batch_size: usize::try_from(batch_size).unwrap_or(d::BATCH_SIZE),
        report_concurrency: usize::try_from(report_concurrency).unwrap_or(d::REPORT_CONCURRENCY),
        heartbeat_interval: ctx.positive(
            S,
            "heartbeat_interval",
            raw.heartbeat_interval,
            d::HEARTBEAT_INTERVAL,
        )?,
        snapshot_interval: ctx.positive(
            S,
            "snapshot_interval",
            raw.snapshot_interval,
            d::SNAPSHOT_INTERVAL,
        )?,
        request_timeout: ctx.positive(
            S,
            "request_timeout",
            raw.request_timeout,
            d::REQUEST_TIMEOUT,
        )?,
        token_refresh_ahead: ctx.duration(
            S,
            "token_refresh_ahead",
            raw.token_refresh_ahead,
            d::TOKEN_REFRESH_AHEAD,
        )?,
        retry_initial,
        retry_max,
        connector_id,
    })
}

fn build_buffer(raw: RawBuffer, ctx: &mut Ctx<'_>) -> Result<BufferConfig, ConfigError> {
    let path = raw.path.unwrap_or_else(|| d::BUFFER_PATH.into());
    if path.trim().is_empty() {
        return Err(ctx.invalid("buffer", "path", "is empty".into()));
    }
    Ok(BufferConfig {
        path: PathBuf::from(path),
        retention: ctx.positive("buffer", "retention", raw.retention, d::RETENTION)?,
    })
}

/// Report intervals CXone WFM accepts, in minutes.
const REPORT_INTERVALS_MIN: [u64; 5] = [1, 5, 15, 30, 60];

fn build_reports(
    raw: RawReports,
    buffer: &BufferConfig,
    ctx: &mut Ctx<'_>,
) -> Result<ReportsConfig, ConfigError> {
    const S: &str = "reports";
    let interval = ctx.duration(S, "interval", raw.interval, d::REPORT_INTERVAL)?;
    let shown = format_duration(interval);
    let minutes = interval.as_secs() / 60;
    if interval.as_secs() % 60 != 0
        || interval.subsec_nanos() != 0
        || !REPORT_INTERVALS_MIN.contains(&minutes)
    {
        let message = format!("{shown:?} is not a report interval; use 1m, 5m, 15m, 30m or 60m");
        return Err(ctx.invalid(S, "interval", message));
    }
    if minutes != 15 && minutes != 30 {
        let at = ctx.at(S, "interval");
        ctx.warn(format!(
            "{at}: {shown:?} works, but CXone WFM normally uses 15m or 30m intervals; \
             check that the WFM tenant is set up for {shown}"
        ));
    }
    let resend_window = ctx.duration(S, "resend_window", raw.resend_window, d::RESEND_WINDOW)?;
    if resend_window >= buffer.retention {
        let message = format!(
            "{:?} must be shorter than [buffer] retention ({:?}): intervals are rebuilt from the buffer",
            format_duration(resend_window),
            format_duration(buffer.retention)
        );
        return Err(ctx.invalid(S, "resend_window", message));
    }
    let short = ctx.int(
        S,
        "short_abandon_sec",
        raw.short_abandon_sec,
        d::SHORT_ABANDON_SEC.into(),
        0..=3600,
    )?;
    let sl = ctx.int(
        S,
        "sl_threshold_sec",
        raw.sl_threshold_sec,
        d::SL_THRESHOLD_SEC.into(),
        1..=86_400,
    )?;
    Ok(ReportsConfig {
        interval,
        settle_delay: ctx.duration(S, "settle_delay", raw.settle_delay, d::SETTLE_DELAY)?,
        resend_window,
        short_abandon_sec: u32::try_from(short).unwrap_or(d::SHORT_ABANDON_SEC),
        sl_threshold_sec: u32::try_from(sl).unwrap_or(d::SL_THRESHOLD_SEC),
    })
}

/// `"sid"`, `"friendly_name"` or `"attribute:<key>"`.
pub(crate) fn parse_agent_id(text: &str) -> Option<AgentIdMode> {
    match text.trim() {
        "sid" => Some(AgentIdMode::Sid),
        "friendly_name" => Some(AgentIdMode::FriendlyName),
        other => {
            let key = other.strip_prefix("attribute:")?.trim();
            (!key.is_empty()).then(|| AgentIdMode::Attribute(key.to_string()))
        }
    }
}

/// `prefix` followed by 32 hex digits, as every Twilio sid.
fn looks_like_sid(sid: &str, prefix: &str) -> bool {
    sid.strip_prefix(prefix)
        .is_some_and(|hex| hex.len() == 32 && hex.chars().all(|c| c.is_ascii_hexdigit()))
}
