//! The builder's context ([`Ctx`]): where each value came from (file or environment variable),
//! the warnings and problems found so far, and the checks every section shares (durations,
//! numbers in range, required keys, URLs that must be https unless loopback).

use super::error::{ConfigError, Location};
use super::raw::Int;
use std::collections::BTreeMap;
use std::ops::RangeInclusive;
use std::path::Path;
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
    /// Every problem found so far, in file order; the load fails when any is left.
    pub errors: Vec<ConfigError>,
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

    /// Records a problem.
    pub fn fail(&mut self, e: ConfigError) {
        self.errors.push(e);
    }

    /// The value, or `None` with the problem recorded (the caller uses a default in its place).
    pub fn check<T>(&mut self, result: Result<T, ConfigError>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.errors.push(e);
                None
            }
        }
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
        let value = match raw {
            None => default,
            Some(Int(Ok(v))) => v,
            Some(Int(Err(message))) => return Err(self.invalid(section, key, message)),
        };
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
