//! `[buffer]`, `[reports]` and `[queues."…"]`: the SQLite file and what the reports count. The
//! doc comment of each field is the operator's documentation of its key; the `default_*`
//! functions are the defaults. The store, the report scheduler and [`crate::report`] read them.

use super::ctx::Ctx;
use super::values::{self, duration, format_duration, positive};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Duration;

/// `[buffer]`: the SQLite file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BufferConfig {
    /// The SQLite file that holds events and everything not yet delivered; local disk.
    #[serde(default = "default_path")]
    pub path: PathBuf,
    /// Sent items and raw events older than this are pruned; longer than the resend window.
    #[serde(default = "default_retention", with = "positive")]
    pub retention: Duration,
}

fn default_path() -> PathBuf {
    "/var/lib/wfm-connector/buffer.db".into()
}
fn default_retention() -> Duration {
    Duration::from_secs(7 * 24 * 3600)
}

impl BufferConfig {
    pub(crate) fn check(&mut self, ctx: &mut Ctx<'_>) {
        if self.path.as_os_str().to_string_lossy().trim().is_empty() {
            ctx.fail(ctx.invalid("buffer", "path", "is empty".into()));
        }
    }
}

/// `[reports]`: report intervals and counting thresholds.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ReportsConfig {
    /// 1, 5, 15, 30 or 60 minutes; CXone WFM normally uses 15 or 30.
    #[serde(default = "default_interval", with = "duration")]
    pub interval: Duration,
    /// Wait after an interval closes before building it (late events).
    #[serde(default = "default_settle_delay", with = "duration")]
    pub settle_delay: Duration,
    /// How long after closing an interval is rebuilt (and re-sent, next revision, when changed);
    /// shorter than `[buffer] retention`.
    #[serde(default = "default_resend_window", with = "duration")]
    pub resend_window: Duration,
    /// Abandoned within this many seconds: a short abandon.
    #[serde(
        default = "default_short_abandon_sec",
        deserialize_with = "values::int_in::<_, _, 0, 3600>"
    )]
    pub short_abandon_sec: u32,
    /// Service-level threshold of the queues without their own `[queues."…"]` entry.
    #[serde(
        default = "default_sl_threshold_sec",
        deserialize_with = "values::int_in::<_, _, 1, 86_400>"
    )]
    pub sl_threshold_sec: u32,
}

fn default_interval() -> Duration {
    Duration::from_secs(15 * 60)
}
fn default_settle_delay() -> Duration {
    Duration::from_secs(2 * 60)
}
fn default_resend_window() -> Duration {
    Duration::from_secs((2 * 60 + 15) * 60)
}
fn default_short_abandon_sec() -> u32 {
    5
}
fn default_sl_threshold_sec() -> u32 {
    20
}

impl Default for ReportsConfig {
    fn default() -> Self {
        super::schema::defaults()
    }
}

/// Report intervals CXone WFM accepts, in minutes.
const REPORT_INTERVALS_MIN: [u64; 5] = [1, 5, 15, 30, 60];

impl ReportsConfig {
    /// The interval CXone accepts, and a resend window inside `retention` (`[buffer]`): intervals
    /// are rebuilt from the buffer.
    pub(crate) fn check(&mut self, retention: Duration, ctx: &mut Ctx<'_>) {
        const S: &str = "reports";
        let shown = format_duration(self.interval);
        let minutes = self.interval.as_secs() / 60;
        if !self.interval.as_secs().is_multiple_of(60)
            || self.interval.subsec_nanos() != 0
            || !REPORT_INTERVALS_MIN.contains(&minutes)
        {
            let message =
                format!("{shown:?} is not a report interval; use 1m, 5m, 15m, 30m or 60m");
            ctx.fail(ctx.invalid(S, "interval", message));
        } else if minutes != 15 && minutes != 30 {
            let at = ctx.at(S, "interval");
            ctx.warn(format!(
                "{at}: {shown:?} works, but CXone WFM normally uses 15m or 30m intervals; \
                 check that the WFM tenant is set up for {shown}"
            ));
        }
        if self.resend_window >= retention {
            let message = format!(
                "{:?} must be shorter than [buffer] retention ({:?}): intervals are rebuilt from the buffer",
                format_duration(self.resend_window),
                format_duration(retention)
            );
            ctx.fail(ctx.invalid(S, "resend_window", message));
        }
    }
}

/// `[queues."…"]`: one queue's settings, keyed by TaskQueue friendly name or `WQ…` sid (a sid
/// entry wins over a name entry for the same queue).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct QueueConfig {
    /// This queue's service-level threshold, instead of `[reports] sl_threshold_sec`.
    #[serde(
        default,
        deserialize_with = "values::some_int_in::<_, _, 1, 86_400>",
        skip_serializing_if = "Option::is_none"
    )]
    pub sl_threshold_sec: Option<u32>,
}
