//! What a reload (SIGHUP, `systemctl reload`) may change in a running connector, and what only a
//! restart applies.
//!
//! Reloaded, read by the loops where they use them: `[log] level` and `format`, `[states]`,
//! `[queues]`, `[media]`, `[reports] short_abandon_sec` and `sl_threshold_sec`, `[wfm]
//! batch_size`. Everything else — URLs, credentials, the workspace, the buffer, listen addresses,
//! intervals and timings that loops and clients were built with — needs a restart: a reload names
//! each such key that changed and keeps the running value. Every field is listed below by an
//! exhaustive destructuring, so a new key cannot be added without deciding which kind it is.

use super::{AcdConfig, AdminConfig, BufferConfig, Config, LogConfig, ReportsConfig, WfmConfig};

/// The outcome of comparing a freshly loaded configuration with the running one.
#[derive(Debug, Clone)]
pub struct Reload {
    /// The configuration to run with: the running one with the reloadable keys of the new one.
    pub config: Config,
    /// Reloadable keys whose value changed (applied), e.g. `[states]`, `[wfm] batch_size`.
    pub applied: Vec<&'static str>,
    /// Keys that changed but need a restart (not applied), e.g. `[acd] base_url`.
    pub needs_restart: Vec<&'static str>,
}

/// Compares `new` with `running`: see the module documentation.
pub fn reload(running: &Config, new: Config) -> Reload {
    let mut applied = Vec::new();
    let mut restart = Vec::new();
    let differs = |list: &mut Vec<&'static str>, key: &'static str, changed: bool| {
        if changed {
            list.push(key);
        }
    };
    let Config {
        acd,
        wfm,
        buffer,
        reports,
        queues,
        media,
        states,
        admin,
        webhook,
        log,
    } = &new;
    let r = running;

    let AcdConfig {
        base_url,
        workspace_sid,
        username,
        password,
        // The file of a secret matters only through the secret read from it.
        password_file: _,
        poll_interval,
        overlap,
        agent_id,
        page_size,
        request_timeout,
        workers_refresh,
        initial_lookback,
        retry_initial,
        retry_max,
    } = acd;
    let a = &r.acd;
    differs(&mut restart, "[acd] base_url", *base_url != a.base_url);
    differs(
        &mut restart,
        "[acd] workspace_sid",
        *workspace_sid != a.workspace_sid,
    );
    differs(&mut restart, "[acd] username", *username != a.username);
    differs(&mut restart, "[acd] password", *password != a.password);
    differs(
        &mut restart,
        "[acd] poll_interval",
        *poll_interval != a.poll_interval,
    );
    differs(&mut restart, "[acd] overlap", *overlap != a.overlap);
    differs(&mut restart, "[acd] agent_id", *agent_id != a.agent_id);
    differs(&mut restart, "[acd] page_size", *page_size != a.page_size);
    differs(
        &mut restart,
        "[acd] request_timeout",
        *request_timeout != a.request_timeout,
    );
    differs(
        &mut restart,
        "[acd] workers_refresh",
        *workers_refresh != a.workers_refresh,
    );
    differs(
        &mut restart,
        "[acd] initial_lookback",
        *initial_lookback != a.initial_lookback,
    );
    let initial = *retry_initial != a.retry_initial;
    differs(&mut restart, "[acd] retry_initial", initial);
    differs(&mut restart, "[acd] retry_max", *retry_max != a.retry_max);

    let WfmConfig {
        service_url,
        tenant_name,
        access_key_id,
        access_key_secret,
        access_key_secret_file: _,
        batch_size,
        report_concurrency,
        heartbeat_interval,
        snapshot_interval,
        request_timeout,
        token_refresh_ahead,
        retry_initial,
        retry_max,
        connector_id,
    } = wfm;
    let w = &r.wfm;
    differs(
        &mut restart,
        "[wfm] service_url",
        *service_url != w.service_url,
    );
    differs(
        &mut restart,
        "[wfm] tenant_name",
        *tenant_name != w.tenant_name,
    );
    differs(
        &mut restart,
        "[wfm] access_key_id",
        *access_key_id != w.access_key_id,
    );
    let secret_changed = *access_key_secret != w.access_key_secret;
    differs(&mut restart, "[wfm] access_key_secret", secret_changed);
    differs(
        &mut applied,
        "[wfm] batch_size",
        *batch_size != w.batch_size,
    );
    let concurrency = *report_concurrency != w.report_concurrency;
    differs(&mut restart, "[wfm] report_concurrency", concurrency);
    let heartbeat = *heartbeat_interval != w.heartbeat_interval;
    differs(&mut restart, "[wfm] heartbeat_interval", heartbeat);
    let snapshot = *snapshot_interval != w.snapshot_interval;
    differs(&mut restart, "[wfm] snapshot_interval", snapshot);
    differs(
        &mut restart,
        "[wfm] request_timeout",
        *request_timeout != w.request_timeout,
    );
    let ahead = *token_refresh_ahead != w.token_refresh_ahead;
    differs(&mut restart, "[wfm] token_refresh_ahead", ahead);
    differs(
        &mut restart,
        "[wfm] retry_initial",
        *retry_initial != w.retry_initial,
    );
    differs(&mut restart, "[wfm] retry_max", *retry_max != w.retry_max);
    differs(
        &mut restart,
        "[wfm] connector_id",
        *connector_id != w.connector_id,
    );

    let BufferConfig { path, retention } = buffer;
    differs(&mut restart, "[buffer] path", *path != r.buffer.path);
    differs(
        &mut restart,
        "[buffer] retention",
        *retention != r.buffer.retention,
    );

    let ReportsConfig {
        interval,
        settle_delay,
        resend_window,
        short_abandon_sec,
        sl_threshold_sec,
    } = reports;
    let p = &r.reports;
    differs(&mut restart, "[reports] interval", *interval != p.interval);
    differs(
        &mut restart,
        "[reports] settle_delay",
        *settle_delay != p.settle_delay,
    );
    differs(
        &mut restart,
        "[reports] resend_window",
        *resend_window != p.resend_window,
    );
    let short = *short_abandon_sec != p.short_abandon_sec;
    differs(&mut applied, "[reports] short_abandon_sec", short);
    let sl = *sl_threshold_sec != p.sl_threshold_sec;
    differs(&mut applied, "[reports] sl_threshold_sec", sl);

    differs(&mut applied, "[queues]", *queues != r.queues);
    differs(&mut applied, "[media]", *media != r.media);
    differs(&mut applied, "[states]", *states != r.states);

    let AdminConfig { listen } = admin;
    differs(&mut restart, "[admin] listen", *listen != r.admin.listen);
    // The push path's listener, URL and token are bound at start-up.
    let same_webhook = match (webhook, &r.webhook) {
        (None, None) => true,
        (Some(n), Some(o)) => {
            n.listen == o.listen && n.public_url == o.public_url && n.auth_token == o.auth_token
        }
        _ => false,
    };
    differs(&mut restart, "[webhook]", !same_webhook);

    let LogConfig { format, level } = log;
    differs(&mut applied, "[log] format", *format != r.log.format);
    differs(&mut applied, "[log] level", *level != r.log.level);

    let mut config = running.clone();
    config.wfm.batch_size = *batch_size;
    config.reports.short_abandon_sec = *short_abandon_sec;
    config.reports.sl_threshold_sec = *sl_threshold_sec;
    config.queues = queues.clone();
    config.media = media.clone();
    config.states = states.clone();
    config.log = log.clone();
    Reload {
        config,
        applied,
        needs_restart: restart,
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
