//! `[wfm]`: where and how the connector delivers to NICE CXone WFM, and [`RetrySettings`], the
//! backoff keys `[acd]` and `[wfm]` each have. The doc comment of each field is the operator's
//! documentation of its key; the `default_*` functions are the defaults. The WFM client
//! ([`crate::wfm`]) and the daemon's loops read the result.

use super::acd::default_request_timeout;
use super::ctx::Ctx;
use super::secrets::{SecretSources, resolve};
use super::values::{self, duration, format_duration, positive};
use crate::secret::Secret;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// `[wfm]`: where and how to deliver to CXone WFM.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WfmConfig {
    /// REQUIRED. Root of the WFM connector API (SPEC §6), no trailing slash; https unless
    /// loopback.
    #[serde(default)]
    pub service_url: String,
    /// REQUIRED. CXone tenant, sent with the token request.
    #[serde(default)]
    pub tenant_name: String,
    /// REQUIRED. The id of a CXone access key.
    #[serde(default)]
    pub access_key_id: String,
    /// REQUIRED, one of: inline, `access_key_secret_file`, or the systemd credential
    /// `wfm-access-key-secret`.
    #[serde(default, deserialize_with = "values::secret")]
    pub access_key_secret: Secret,
    /// A file holding the access key secret.
    #[serde(default, skip_serializing)]
    pub access_key_secret_file: Option<String>,
    /// Most agent states per request, 1 to 10000.
    #[serde(
        default = "default_batch_size",
        deserialize_with = "values::int_in::<_, _, 1, 10_000>"
    )]
    pub batch_size: usize,
    /// Most reports in flight at once, each for a different interval, 1 to 16.
    #[serde(
        default = "default_report_concurrency",
        deserialize_with = "values::int_in::<_, _, 1, 16>"
    )]
    pub report_concurrency: usize,
    /// How often a heartbeat tells WFM the connector is alive.
    #[serde(default = "default_heartbeat_interval", with = "positive")]
    pub heartbeat_interval: Duration,
    /// Time between two full snapshots of every agent's state.
    #[serde(default = "default_snapshot_interval", with = "positive")]
    pub snapshot_interval: Duration,
    /// Timeout of one WFM request (it is retried; nothing is dropped).
    #[serde(default = "default_request_timeout", with = "positive")]
    pub request_timeout: Duration,
    /// Refresh the token this long before it expires.
    #[serde(default = "default_token_refresh_ahead", with = "duration")]
    pub token_refresh_ahead: Duration,
    /// First retry delay of a failed delivery (exponential backoff, full jitter, `Retry-After`
    /// honoured; deliveries are retried forever).
    #[serde(default = "default_retry_initial", with = "positive")]
    pub retry_initial: Duration,
    /// Cap of the backoff delay (≥ `retry_initial`). Agent states wait at most 15 s between
    /// tries whatever this says, so that they reach WFM within seconds of its return (a
    /// `Retry-After` is still honoured).
    #[serde(default = "default_retry_max", with = "positive")]
    pub retry_max: Duration,
    /// Sent in heartbeats; defaults to the host name, so two connectors of an HA pair tell
    /// themselves apart in WFM.
    #[serde(default = "default_connector_id")]
    pub connector_id: String,
}

fn default_batch_size() -> usize {
    500
}
fn default_report_concurrency() -> usize {
    4
}
fn default_heartbeat_interval() -> Duration {
    Duration::from_secs(60)
}
fn default_snapshot_interval() -> Duration {
    Duration::from_secs(15 * 60)
}
fn default_token_refresh_ahead() -> Duration {
    Duration::from_secs(5 * 60)
}
pub(crate) fn default_retry_initial() -> Duration {
    Duration::from_millis(500)
}
pub(crate) fn default_retry_max() -> Duration {
    Duration::from_secs(60)
}

/// The `connector_id` when `/etc/hostname` is absent or empty.
pub(crate) const CONNECTOR_ID_FALLBACK: &str = "wfm-connector";

/// The host name, so two connectors in an HA pair tell themselves apart in WFM.
fn default_connector_id() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| CONNECTOR_ID_FALLBACK.to_string())
}

/// The backoff between tries to reach one peer: `retry_initial` and `retry_max` of its section.
/// [`crate::retry::RetryPolicy::from_settings`] turns it into the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetrySettings {
    /// First retry delay.
    pub initial: Duration,
    /// Cap of the delay (≥ `initial`).
    pub max: Duration,
}

impl RetrySettings {
    /// `retry_max` may not be shorter than `retry_initial`.
    pub(crate) fn check(&self, section: &str, ctx: &mut Ctx<'_>) {
        if self.max < self.initial {
            let message = format!(
                "{} must not be shorter than retry_initial ({})",
                format_duration(self.max),
                format_duration(self.initial)
            );
            ctx.fail(ctx.invalid(section, "retry_max", message));
        }
    }
}

impl WfmConfig {
    /// The backoff of every delivery to WFM.
    pub fn retry(&self) -> RetrySettings {
        RetrySettings {
            initial: self.retry_initial,
            max: self.retry_max,
        }
    }

    /// The required keys, the URL rule and the secret.
    pub(crate) fn check(&mut self, ctx: &mut Ctx<'_>) {
        const S: &str = "wfm";
        if ctx.require(S, "service_url", &mut self.service_url) {
            ctx.url(S, "service_url", &mut self.service_url);
        }
        ctx.require(S, "tenant_name", &mut self.tenant_name);
        ctx.require(S, "access_key_id", &mut self.access_key_id);
        let secret = resolve(
            ctx,
            SecretSources {
                section: S,
                key: "access_key_secret",
                inline: Some(self.access_key_secret.clone()).filter(|s| !s.is_empty()),
                file: self.access_key_secret_file.clone(),
                credential: "wfm-access-key-secret",
            },
        );
        self.access_key_secret = ctx.check(secret).unwrap_or_default();
        self.retry().check(S, ctx);
        self.connector_id = self.connector_id.trim().to_string();
        if self.connector_id.is_empty() {
            ctx.fail(ctx.invalid(S, "connector_id", "is empty".into()));
        }
    }
}
