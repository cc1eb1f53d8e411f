//! From the raw file schema to a validated [`Config`]: defaults filled in, durations parsed, secrets
//! resolved, every rule of SPEC §8 checked. Every problem is collected in `Ctx::errors` (each
//! naming file, section and key) and the build goes on with the default in its place, so one run
//! of `check-config` reports them all; a rule between two keys is checked only when both are
//! valid. Softer problems become warnings for `check-config` and the start-up log.

pub(crate) use super::ctx::{Ctx, Secrets};
use super::defaults as d;
use super::raw::{RawAcd, RawBuffer, RawConfig, RawReports, RawWfm};
use super::render::format_duration;
use super::secrets::{SecretSources, resolve};
use super::{AcdConfig, AgentIdMode, BufferConfig, Config, ReportsConfig, WfmConfig, sections};
use std::path::PathBuf;

/// Builds and validates the whole configuration; the problems are left in `ctx.errors`.
pub(crate) fn build(raw: RawConfig, ctx: &mut Ctx<'_>) -> Config {
    let acd = build_acd(raw.acd, ctx);
    let wfm = build_wfm(raw.wfm, ctx);
    let buffer = build_buffer(raw.buffer, ctx);
    let reports = build_reports(raw.reports, &buffer, ctx);
    check_lookback(&acd, &buffer, ctx);
    Config {
        acd,
        wfm,
        buffer,
        reports,
        queues: sections::queues(raw.queues, ctx),
        media: sections::media(raw.media, ctx),
        states: sections::states(raw.states, ctx),
        admin: sections::admin(raw.admin, ctx),
        webhook: {
            let webhook = super::webhook::webhook(raw.webhook, ctx);
            ctx.check(webhook).flatten()
        },
        log: sections::log(raw.log, ctx),
    }
}

/// TaskRouter keeps events 30 days: `initial_lookback` cannot ask for more. Beyond `[buffer]
/// retention` the history is read (and derived) but pruned within the hour, so no report is
/// built for it: a warning says so.
fn check_lookback(acd: &AcdConfig, buffer: &BufferConfig, ctx: &mut Ctx<'_>) {
    const MAX: std::time::Duration = std::time::Duration::from_secs(30 * 24 * 3600);
    if acd.initial_lookback > MAX {
        let message = format!(
            "{:?} is longer than TaskRouter keeps events (30 days)",
            format_duration(acd.initial_lookback)
        );
        ctx.fail(ctx.invalid("acd", "initial_lookback", message));
    } else if acd.initial_lookback > buffer.retention {
        let at = ctx.at("acd", "initial_lookback");
        ctx.warn(format!(
            "{at}: {:?} reaches further back than [buffer] retention ({:?}): reports are built only \
             for the last {:?} of that history",
            format_duration(acd.initial_lookback),
            format_duration(buffer.retention),
            format_duration(buffer.retention)
        ));
    }
}

fn build_acd(raw: RawAcd, ctx: &mut Ctx<'_>) -> AcdConfig {
    const S: &str = "acd";
    let base_url = raw.base_url.unwrap_or_else(|| d::ACD_BASE_URL.into());
    let base_url = ctx
        .check(ctx.url(S, "base_url", base_url))
        .unwrap_or_default();
    let workspace_sid = ctx.check(ctx.required(S, "workspace_sid", raw.workspace_sid));
    let workspace_sid = workspace_sid.unwrap_or_default();
    if !workspace_sid.is_empty() && !looks_like_sid(&workspace_sid, "WS") {
        let at = ctx.at(S, "workspace_sid");
        ctx.warn(format!(
            "{at}: {workspace_sid:?} does not look like a workspace sid (WS followed by 32 hex digits)"
        ));
    }
    let username = ctx.check(ctx.required(S, "username", raw.username));
    let password = resolve(
        ctx,
        SecretSources {
            section: S,
            key: "password",
            inline: raw.password,
            file: raw.password_file,
            credential: d::ACD_PASSWORD_CREDENTIAL,
        },
    );
    let password = ctx.check(password).unwrap_or_default();
    let poll_interval =
        ctx.check(ctx.positive(S, "poll_interval", raw.poll_interval, d::POLL_INTERVAL));
    let overlap = ctx.check(ctx.duration(S, "overlap", raw.overlap, d::OVERLAP));
    let agent_id = raw.agent_id.unwrap_or_else(|| d::AGENT_ID.into());
    let agent_id = parse_agent_id(&agent_id).or_else(|| {
        let message = format!(
            "{agent_id:?} is not an agent id mode; use \"friendly_name\", \"sid\" or \"attribute:<key>\""
        );
        ctx.fail(ctx.invalid(S, "agent_id", message));
        None
    });
    let page_size =
        ctx.check(ctx.int(S, "page_size", raw.page_size, d::PAGE_SIZE.into(), 1..=1000));
    let request_timeout = ctx.check(ctx.positive(
        S,
        "request_timeout",
        raw.request_timeout,
        d::REQUEST_TIMEOUT,
    ));
    let workers_refresh = ctx.check(ctx.positive(
        S,
        "workers_refresh",
        raw.workers_refresh,
        d::WORKERS_REFRESH,
    ));
    let initial_lookback = ctx.check(ctx.duration(
        S,
        "initial_lookback",
        raw.initial_lookback,
        d::INITIAL_LOOKBACK,
    ));
    AcdConfig {
        base_url,
        workspace_sid,
        username: username.unwrap_or_default(),
        password,
        poll_interval: poll_interval.unwrap_or(d::POLL_INTERVAL),
        overlap: overlap.unwrap_or(d::OVERLAP),
        agent_id: agent_id.unwrap_or(AgentIdMode::FriendlyName),
        page_size: page_size
            .and_then(|v| u32::try_from(v).ok())
            .unwrap_or(d::PAGE_SIZE),
        request_timeout: request_timeout.unwrap_or(d::REQUEST_TIMEOUT),
        workers_refresh: workers_refresh.unwrap_or(d::WORKERS_REFRESH),
        initial_lookback: initial_lookback.unwrap_or(d::INITIAL_LOOKBACK),
    }
}

fn build_wfm(raw: RawWfm, ctx: &mut Ctx<'_>) -> WfmConfig {
    const S: &str = "wfm";
    let service_url = ctx.check(ctx.required(S, "service_url", raw.service_url));
    let service_url = service_url.and_then(|url| ctx.check(ctx.url(S, "service_url", url)));
    let tenant_name = ctx.check(ctx.required(S, "tenant_name", raw.tenant_name));
    let access_key_id = ctx.check(ctx.required(S, "access_key_id", raw.access_key_id));
    let access_key_secret = resolve(
        ctx,
        SecretSources {
            section: S,
            key: "access_key_secret",
            inline: raw.access_key_secret,
            file: raw.access_key_secret_file,
            credential: d::WFM_SECRET_CREDENTIAL,
        },
    );
    let access_key_secret = ctx.check(access_key_secret).unwrap_or_default();
    let batch = ctx.int(
        S,
        "batch_size",
        raw.batch_size,
        d::BATCH_SIZE as i64,
        1..=10_000,
    );
    let batch_size = ctx.check(batch);
    let limit = d::REPORT_CONCURRENCY as i64;
    let concurrency = ctx.int(
        S,
        "report_concurrency",
        raw.report_concurrency,
        limit,
        1..=16,
    );
    let report_concurrency = ctx.check(concurrency);
    let heartbeat = ctx.positive(
        S,
        "heartbeat_interval",
        raw.heartbeat_interval,
        d::HEARTBEAT_INTERVAL,
    );
    let heartbeat_interval = ctx.check(heartbeat);
    let snapshot = ctx.positive(
        S,
        "snapshot_interval",
        raw.snapshot_interval,
        d::SNAPSHOT_INTERVAL,
    );
    let snapshot_interval = ctx.check(snapshot);
    let timeout = ctx.positive(
        S,
        "request_timeout",
        raw.request_timeout,
        d::REQUEST_TIMEOUT,
    );
    let request_timeout = ctx.check(timeout);
    let ahead = ctx.duration(
        S,
        "token_refresh_ahead",
        raw.token_refresh_ahead,
        d::TOKEN_REFRESH_AHEAD,
    );
    let token_refresh_ahead = ctx.check(ahead);
    let retry_initial =
        ctx.check(ctx.positive(S, "retry_initial", raw.retry_initial, d::RETRY_INITIAL));
    let retry_max = ctx.check(ctx.positive(S, "retry_max", raw.retry_max, d::RETRY_MAX));
    if let (Some(initial), Some(max)) = (retry_initial, retry_max)
        && max < initial
    {
        let message = format!(
            "{} must not be shorter than retry_initial ({})",
            format_duration(max),
            format_duration(initial)
        );
        ctx.fail(ctx.invalid(S, "retry_max", message));
    }
    let connector_id = match raw.connector_id {
        Some(id) if id.trim().is_empty() => {
            ctx.fail(ctx.invalid(S, "connector_id", "is empty".into()));
            d::connector_id()
        }
        Some(id) => id.trim().to_string(),
        None => d::connector_id(),
    };
    WfmConfig {
        service_url: service_url.unwrap_or_default(),
        tenant_name: tenant_name.unwrap_or_default(),
        access_key_id: access_key_id.unwrap_or_default(),
        access_key_secret,
        batch_size: batch_size
            .and_then(|v| usize::try_from(v).ok())
            .unwrap_or(d::BATCH_SIZE),
        report_concurrency: report_concurrency
            .and_then(|v| usize::try_from(v).ok())
            .unwrap_or(d::REPORT_CONCURRENCY),
        heartbeat_interval: heartbeat_interval.unwrap_or(d::HEARTBEAT_INTERVAL),
        snapshot_interval: snapshot_interval.unwrap_or(d::SNAPSHOT_INTERVAL),
        request_timeout: request_timeout.unwrap_or(d::REQUEST_TIMEOUT),
        token_refresh_ahead: token_refresh_ahead.unwrap_or(d::TOKEN_REFRESH_AHEAD),
        retry_initial: retry_initial.unwrap_or(d::RETRY_INITIAL),
        retry_max: retry_max.unwrap_or(d::RETRY_MAX),
        connector_id,
    }
}

fn build_buffer(raw: RawBuffer, ctx: &mut Ctx<'_>) -> BufferConfig {
    let path = raw.path.unwrap_or_else(|| d::BUFFER_PATH.into());
    if path.trim().is_empty() {
        ctx.fail(ctx.invalid("buffer", "path", "is empty".into()));
    }
    let retention = ctx.positive("buffer", "retention", raw.retention, d::RETENTION);
    BufferConfig {
        path: PathBuf::from(path),
        retention: ctx.check(retention).unwrap_or(d::RETENTION),
    }
}

/// Report intervals CXone WFM accepts, in minutes.
const REPORT_INTERVALS_MIN: [u64; 5] = [1, 5, 15, 30, 60];

fn build_reports(raw: RawReports, buffer: &BufferConfig, ctx: &mut Ctx<'_>) -> ReportsConfig {
    const S: &str = "reports";
    let interval = ctx.check(ctx.duration(S, "interval", raw.interval, d::REPORT_INTERVAL));
    let interval = interval.and_then(|interval| {
        let shown = format_duration(interval);
        let minutes = interval.as_secs() / 60;
        if interval.as_secs() % 60 != 0
            || interval.subsec_nanos() != 0
            || !REPORT_INTERVALS_MIN.contains(&minutes)
        {
            let message =
                format!("{shown:?} is not a report interval; use 1m, 5m, 15m, 30m or 60m");
            ctx.fail(ctx.invalid(S, "interval", message));
            return None;
        }
        if minutes != 15 && minutes != 30 {
            let at = ctx.at(S, "interval");
            ctx.warn(format!(
                "{at}: {shown:?} works, but CXone WFM normally uses 15m or 30m intervals; \
                 check that the WFM tenant is set up for {shown}"
            ));
        }
        Some(interval)
    });
    let settle_delay =
        ctx.check(ctx.duration(S, "settle_delay", raw.settle_delay, d::SETTLE_DELAY));
    let resend = ctx.duration(S, "resend_window", raw.resend_window, d::RESEND_WINDOW);
    let resend_window = ctx.check(resend).and_then(|resend_window| {
        if resend_window >= buffer.retention {
            let message = format!(
                "{:?} must be shorter than [buffer] retention ({:?}): intervals are rebuilt from the buffer",
                format_duration(resend_window),
                format_duration(buffer.retention)
            );
            ctx.fail(ctx.invalid(S, "resend_window", message));
            return None;
        }
        Some(resend_window)
    });
    let short = ctx.int(
        S,
        "short_abandon_sec",
        raw.short_abandon_sec,
        d::SHORT_ABANDON_SEC.into(),
        0..=3600,
    );
    let short = ctx.check(short);
    let sl = ctx.int(
        S,
        "sl_threshold_sec",
        raw.sl_threshold_sec,
        d::SL_THRESHOLD_SEC.into(),
        1..=86_400,
    );
    let sl = ctx.check(sl);
    ReportsConfig {
        interval: interval.unwrap_or(d::REPORT_INTERVAL),
        settle_delay: settle_delay.unwrap_or(d::SETTLE_DELAY),
        resend_window: resend_window.unwrap_or(d::RESEND_WINDOW),
        short_abandon_sec: short
            .and_then(|v| u32::try_from(v).ok())
            .unwrap_or(d::SHORT_ABANDON_SEC),
        sl_threshold_sec: sl
            .and_then(|v| u32::try_from(v).ok())
            .unwrap_or(d::SL_THRESHOLD_SEC),
    }
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
