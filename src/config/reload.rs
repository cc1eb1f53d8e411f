//! What a reload (SIGHUP, `systemctl reload`) may change in a running connector, and what only a
//! restart applies.
//!
//! Reloaded, read by the loops where they use them: the keys of [`RELOADABLE`]. Everything else
//! — URLs, credentials, the workspace, the buffer, listen addresses, intervals and timings that
//! loops and clients were built with — needs a restart: a reload names each such key that
//! changed and keeps the running value. Keys are compared in their rendered form (the one
//! `check-config` prints), walked in schema order, so a new key needs a restart until it is
//! listed here; secrets render as `[redacted]` and are compared by [`secret_changed`].

use super::Config;
use super::schema::Schema;

/// The keys a reload applies; `[section]` alone stands for the whole section.
pub const RELOADABLE: [&str; 8] = [
    "[wfm] batch_size",
    "[reports] short_abandon_sec",
    "[reports] sl_threshold_sec",
    "[queues]",
    "[media]",
    "[states]",
    "[log] format",
    "[log] level",
];

/// Sections compared as one: a change anywhere in them is named by the section.
const WHOLE: [&str; 2] = ["media", "webhook"];

/// The outcome of comparing a freshly loaded configuration with the running one.
#[derive(Debug, Clone)]
pub struct Reload {
    /// The configuration to run with: the running one with the reloadable keys of the new one.
    pub config: Config,
    /// Reloadable keys whose value changed (applied), e.g. `[states]`, `[wfm] batch_size`.
    pub applied: Vec<String>,
    /// Keys that changed but need a restart (not applied), e.g. `[acd] base_url`.
    pub needs_restart: Vec<String>,
}

/// Compares `new` with `running`: see the module documentation.
pub fn reload(running: &Config, new: Config) -> Reload {
    let (was, now) = (rendered(running), rendered(&new));
    let value = |table: &toml::Table, section: &str, key: Option<&str>| {
        let section = table.get(section).cloned();
        match key {
            None => section,
            Some(key) => section.and_then(|s| s.get(key).cloned()),
        }
    };
    let mut changed = Vec::new();
    for section in &Schema::of_config().sections {
        let name = section.name.as_str();
        if section.named || WHOLE.contains(&name) {
            let token = name == "webhook" && secret_changed(running, &new, name, "auth_token");
            if token || value(&was, name, None) != value(&now, name, None) {
                changed.push(format!("[{name}]"));
            }
            continue;
        }
        for key in &section.keys {
            let differs = value(&was, name, Some(key)) != value(&now, name, Some(key));
            if differs || secret_changed(running, &new, name, key) {
                changed.push(format!("[{name}] {key}"));
            }
        }
    }
    let (applied, needs_restart) = changed
        .into_iter()
        .partition(|key| RELOADABLE.contains(&key.as_str()));
    let mut config = running.clone();
    config.wfm.batch_size = new.wfm.batch_size;
    config.reports.short_abandon_sec = new.reports.short_abandon_sec;
    config.reports.sl_threshold_sec = new.reports.sl_threshold_sec;
    config.queues = new.queues;
    config.media = new.media;
    config.states = new.states;
    config.log = new.log;
    Reload {
        config,
        applied,
        needs_restart,
    }
}

/// The configuration as a TOML table, as `check-config` prints it.
fn rendered(c: &Config) -> toml::Table {
    toml::Table::try_from(c).unwrap_or_default()
}

/// Whether the secret at `[section] key` differs (its rendering is always `[redacted]`).
fn secret_changed(a: &Config, b: &Config, section: &str, key: &str) -> bool {
    match (section, key) {
        ("acd", "password") => a.acd.password != b.acd.password,
        ("wfm", "access_key_secret") => a.wfm.access_key_secret != b.wfm.access_key_secret,
        ("webhook", "auth_token") => {
            let token = |c: &Config| c.webhook.as_ref().map(|w| w.auth_token.clone());
            token(a) != token(b)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::StateOverride;
    use crate::model::AgentState;
    use crate::secret::Secret;
    use std::path::Path;
    use std::time::Duration;

    fn base() -> Config {
        Config::for_tests(
            "http://127.0.0.1:1",
            "http://127.0.0.1:2",
            Path::new("/b.db"),
        )
    }

    #[test]
    fn an_unchanged_file_changes_nothing() {
        let r = reload(&base(), base());
        assert!(r.applied.is_empty() && r.needs_restart.is_empty(), "{r:?}");
    }

    #[test]
    fn reloadable_keys_are_applied_and_the_others_kept_and_named() {
        let mut new = base();
        new.states.insert(
            "Break".into(),
            StateOverride {
                state: AgentState::Unavailable,
                reason: Some("BRK".into()),
            },
        );
        new.wfm.batch_size = 7;
        new.reports.sl_threshold_sec = 30;
        new.log.level = "debug".into();
        new.acd.base_url = "http://127.0.0.1:3".into();
        new.wfm.access_key_secret = Secret::new("rotated");
        new.buffer.path = "/elsewhere.db".into();
        new.acd.poll_interval = Duration::from_secs(9);
        let r = reload(&base(), new);
        assert_eq!(
            r.applied,
            vec![
                "[wfm] batch_size",
                "[reports] sl_threshold_sec",
                "[states]",
                "[log] level"
            ]
        );
        assert_eq!(
            r.needs_restart,
            vec![
                "[acd] base_url",
                "[acd] poll_interval",
                "[wfm] access_key_secret",
                "[buffer] path"
            ]
        );
        assert_eq!(r.config.wfm.batch_size, 7);
        assert_eq!(r.config.states["Break"].reason.as_deref(), Some("BRK"));
        assert_eq!(r.config.log.level, "debug");
        assert_eq!(r.config.acd.base_url, "http://127.0.0.1:1");
        assert_eq!(r.config.wfm.access_key_secret.expose(), "wfm-secret");
        assert_eq!(r.config.buffer.path, Path::new("/b.db"));
        assert_eq!(r.config.acd.poll_interval, base().acd.poll_interval);
    }
}
