//! Configuration: the TOML schema of SPEC §8, defaults, environment overrides, secrets, validation.
//!
//! Each section is one serde struct, declared once: its field doc comments are the operator's
//! documentation of the keys, its `default_*` functions the defaults, its `#[serde(…)]`
//! attributes how a value is read and written back. Everything else is derived from them:
//!
//! - `acd`, `wfm` (with [`RetrySettings`], the backoff keys both have), `reports` (`[buffer]`,
//!   `[reports]`, `[queues."…"]`), `local` (`[media]`, `[states."…"]`, `[admin]`, `[log]`),
//!   `webhook`: the sections, each with the `check` of its rules (required keys, URLs, rules
//!   between keys); `values` holds the readers they share (durations, ranges, secrets).
//! - `schema`: the sections and keys as serde lists them; refuses unknown keys with a suggestion
//!   and reads the file one value at a time, so every problem is reported at once.
//! - `env`: `WFM_CONNECTOR__SECTION__KEY` overrides, written over the file before it is read.
//! - `ctx` collects problems and warnings; `secrets` resolves inline / `*_file` / systemd
//!   credential secrets; `error` words the problems; `load` runs it all ([`load`],
//!   [`load_from_str`], and [`load_local`] without the secrets for `status` and `replay`).
//! - [`Config::redacted_toml`]: the effective configuration back as TOML, secrets redacted
//!   (`check-config`), by serialising the same structs.
//! - `reload`: what a SIGHUP may change in a running daemon, and what needs a restart.
//!
//! Errors ([`ConfigError`]) name file, section and key, and never contain a secret.
//! `config/wfm-connector.toml` is the operator's documentation of every key, tested to show each
//! with its default.

mod acd;
mod ctx;
mod env;
mod error;
mod load;
mod local;
mod reload;
mod reports;
mod schema;
mod secrets;
mod values;
mod webhook;
mod wfm;

pub use acd::{AcdConfig, AgentIdMode};
pub use env::ENV_PREFIX;
pub use error::{ConfigError, Location};
pub use load::{Loaded, load, load_from_str, load_local, load_local_from_str};
pub use local::{AdminConfig, LogConfig, LogFormat, MediaConfig, StateOverride};
pub use reload::{Reload, reload};
pub use reports::{BufferConfig, QueueConfig, ReportsConfig};
pub use values::format_duration;
pub use webhook::WebhookConfig;
pub use wfm::{RetrySettings, WfmConfig};

use crate::secret::Secret;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// The whole, validated configuration: one field per section of the file. Secrets are resolved
/// (inline, `*_file`, or systemd credential) before a load returns it.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default = "schema::defaults")]
    pub acd: AcdConfig,
    #[serde(default = "schema::defaults")]
    pub wfm: WfmConfig,
    #[serde(default = "schema::defaults")]
    pub buffer: BufferConfig,
    #[serde(default = "schema::defaults")]
    pub reports: ReportsConfig,
    /// Per-queue settings, keyed by queue friendly name or `WQ…` sid.
    #[serde(default)]
    pub queues: BTreeMap<String, QueueConfig>,
    #[serde(default = "schema::defaults")]
    pub media: MediaConfig,
    /// Per-Activity-name overrides of the effective state.
    #[serde(default)]
    pub states: BTreeMap<String, StateOverride>,
    #[serde(default = "schema::defaults")]
    pub admin: AdminConfig,
    /// `[webhook]`: the push path; `None` when off (SPEC §12).
    #[serde(default, with = "webhook::section")]
    pub webhook: Option<WebhookConfig>,
    #[serde(default = "schema::defaults")]
    pub log: LogConfig,
}

/// The configuration without `[acd]`, `[wfm]` and `[webhook]`, so without secrets: what the
/// commands that only work on the buffer (`status`, `replay`) get from [`load_local`]. Every key
/// is still validated.
#[derive(Debug, Clone)]
pub struct LocalConfig {
    pub buffer: BufferConfig,
    pub reports: ReportsConfig,
    pub queues: BTreeMap<String, QueueConfig>,
    pub media: MediaConfig,
    pub states: BTreeMap<String, StateOverride>,
    pub admin: AdminConfig,
    pub log: LogConfig,
}

impl From<Config> for LocalConfig {
    fn from(c: Config) -> Self {
        LocalConfig {
            buffer: c.buffer,
            reports: c.reports,
            queues: c.queues,
            media: c.media,
            states: c.states,
            admin: c.admin,
            log: c.log,
        }
    }
}

impl Config {
    /// The effective configuration as TOML, secrets shown as `[redacted]` (`check-config`). It
    /// loads again.
    pub fn redacted_toml(&self) -> String {
        // Serialising strings, numbers and maps cannot fail; say so rather than panic.
        toml::to_string(self)
            .unwrap_or_else(|e| format!("# cannot render the configuration: {e}\n"))
    }

    /// The rules the section structs cannot say by their types, section by section.
    fn check(&mut self, ctx: &mut ctx::Ctx<'_>) {
        let retention = self.buffer.retention;
        self.acd.check(retention, ctx);
        self.wfm.check(ctx);
        self.buffer.check(ctx);
        self.reports.check(retention, ctx);
        self.media.check(ctx);
        self.states.values_mut().for_each(StateOverride::check);
        self.webhook = self.webhook.take().and_then(|w| w.check(ctx));
        self.log.check(ctx);
    }

    /// Every default, with both peers on loopback servers (a simulator's or a test's) and the
    /// buffer at `buffer_path`; the credentials are left empty for the caller. Two choices differ
    /// from the file defaults so connectors run side by side: the admin endpoint is off (no
    /// fixed port) and `connector_id` is `wfm-connector` rather than the host name.
    pub fn for_loopback(acd_base_url: &str, wfm_url: &str, buffer_path: &Path) -> Config {
        let mut c: Config = schema::defaults();
        c.acd.base_url = acd_base_url.trim_end_matches('/').to_string();
        c.wfm.service_url = wfm_url.trim_end_matches('/').to_string();
        c.wfm.connector_id = wfm::CONNECTOR_ID_FALLBACK.into();
        c.buffer.path = buffer_path.to_path_buf();
        c.admin.listen = None;
        c
    }

    /// For tests only: [`Config::for_loopback`] with test credentials: workspace `WS000…0`,
    /// username `SKtest`, password `acd-secret`, tenant `tenant`, key id `key-id`, secret
    /// `wfm-secret`.
    #[doc(hidden)]
    pub fn for_tests(acd_base_url: &str, wfm_url: &str, buffer_path: &Path) -> Config {
        let mut c = Config::for_loopback(acd_base_url, wfm_url, buffer_path);
        c.acd.workspace_sid = "WS00000000000000000000000000000000".into();
        c.acd.username = "SKtest".into();
        c.acd.password = Secret::new("acd-secret");
        c.wfm.tenant_name = "tenant".into();
        c.wfm.access_key_id = "key-id".into();
        c.wfm.access_key_secret = Secret::new("wfm-secret");
        c
    }
}
