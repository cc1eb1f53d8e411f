//! The validator's context ([`Ctx`]): where each value came from (file or environment variable),
//! the warnings and problems found so far, and the checks several sections share (required keys,
//! URLs that must be https unless loopback). The schema walk ([`super::schema`]) and every
//! section's `check` write into it; [`super::load`] turns what is left into the result.

use super::error::{ConfigError, Location};
use std::collections::BTreeMap;
use std::path::Path;

/// What the checks need besides the values: where they came from, and the problems so far.
pub(crate) struct Ctx<'a> {
    /// The file name used in messages.
    pub origin: &'a str,
    /// Dotted key → environment variable that set it.
    pub set_by: &'a BTreeMap<String, String>,
    pub credentials_dir: Option<&'a Path>,
    /// Whether the secrets are read (`run`, `check-config`) or left out (`status`, `replay`).
    pub secrets: Secrets,
    pub warnings: Vec<String>,
    /// Every problem found so far; the load fails when any is left.
    pub errors: Vec<ConfigError>,
}

/// Whether a load resolves the secrets.
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

    /// Records a problem.
    pub fn fail(&mut self, e: ConfigError) {
        self.errors.push(e);
    }

    /// The value, or `None` with the problem recorded (the caller keeps a default in its place).
    pub fn check<T>(&mut self, result: Result<T, ConfigError>) -> Option<T> {
        result.map_err(|e| self.errors.push(e)).ok()
    }

    pub fn invalid(&self, section: &str, key: &str, message: String) -> ConfigError {
        ConfigError::Invalid {
            at: self.at(section, key),
            message,
        }
    }

    /// Trims a required value in place; empty (or absent) is a problem naming the key.
    pub fn require(&mut self, section: &str, key: &str, value: &mut String) -> bool {
        *value = value.trim().to_string();
        if value.is_empty() {
            let at = self.at(section, key);
            self.fail(ConfigError::Missing {
                at,
                hint: String::new(),
            });
        }
        !value.is_empty()
    }

    /// Checks an `http(s)` URL in place, which must be `https` unless its host is loopback, and
    /// drops its trailing `/`.
    pub fn url(&mut self, section: &str, key: &str, value: &mut String) {
        let text = value.trim().to_string();
        match check_url(&text) {
            Ok(()) => *value = text.trim_end_matches('/').to_string(),
            Err(message) => self.fail(self.invalid(section, key, message)),
        }
    }
}

fn check_url(text: &str) -> Result<(), String> {
    let url = reqwest::Url::parse(text).map_err(|e| format!("{text:?} is not a URL: {e}"))?;
    let loopback = url.host_str().is_some_and(is_loopback);
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(format!(
                "{text:?} must be https unless the host is loopback"
            ));
        }
        other => {
            return Err(format!(
                "{text:?}: scheme {other:?} is not supported; use https"
            ));
        }
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("{text:?} has no host"));
    }
    Ok(())
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
