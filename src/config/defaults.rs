//! The default of every optional key (SPEC §8), in one place. The loader, [`super::Config::for_tests`]
//! and the shipped example file all agree with these; `tests/config.rs` checks the example.

use std::time::Duration;

const fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}
const fn mins(m: u64) -> Duration {
    Duration::from_secs(m * 60)
}

pub const ACD_BASE_URL: &str = "https://taskrouter.twilio.com";
pub const POLL_INTERVAL: Duration = secs(2);
pub const OVERLAP: Duration = secs(10);
pub const AGENT_ID: &str = "friendly_name";
/// TaskRouter's maximum page size.
pub const PAGE_SIZE: u32 = 1000;
pub const REQUEST_TIMEOUT: Duration = secs(30);
pub const WORKERS_REFRESH: Duration = mins(5);
pub const INITIAL_LOOKBACK: Duration = Duration::ZERO;

pub const BATCH_SIZE: usize = 500;
pub const REPORT_CONCURRENCY: usize = 4;
pub const HEARTBEAT_INTERVAL: Duration = secs(60);
pub const SNAPSHOT_INTERVAL: Duration = mins(15);
pub const TOKEN_REFRESH_AHEAD: Duration = mins(5);
pub const RETRY_INITIAL: Duration = Duration::from_millis(500);
pub const RETRY_MAX: Duration = secs(60);
/// Used when `/etc/hostname` is absent or empty.
pub const CONNECTOR_ID_FALLBACK: &str = "wfm-connector";

pub const BUFFER_PATH: &str = "/var/lib/wfm-connector/buffer.db";
pub const RETENTION: Duration = secs(7 * 24 * 3600);

pub const REPORT_INTERVAL: Duration = mins(15);
pub const SETTLE_DELAY: Duration = mins(2);
pub const RESEND_WINDOW: Duration = mins(2 * 60 + 15);
pub const SHORT_ABANDON_SEC: u32 = 5;
pub const SL_THRESHOLD_SEC: u32 = 20;

pub const MEDIA_ATTRIBUTE: &str = "channelType";
pub const ADMIN_LISTEN: &str = "127.0.0.1:9464";
pub const LOG_LEVEL: &str = "info";

/// The systemd credential names (`LoadCredential=`) looked up in `$CREDENTIALS_DIRECTORY`.
pub const ACD_PASSWORD_CREDENTIAL: &str = "acd-password";
pub const WFM_SECRET_CREDENTIAL: &str = "wfm-access-key-secret";
pub const TWILIO_AUTH_TOKEN_CREDENTIAL: &str = "twilio-auth-token";

/// The heartbeat's `connectorId` when none is configured: the host name, so two connectors in an
/// HA pair tell themselves apart in WFM.
pub fn connector_id() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| CONNECTOR_ID_FALLBACK.to_string())
}
