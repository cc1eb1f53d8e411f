//! What the command lines of both simulators share: the value parsers of their flags, the help
//! heading of the fault flags, the defaults of a flag struct (so a default is declared once, in its
//! `#[arg]`), and the error of a foreground run, which `cmd::sim` turns into an exit code.

use crate::secret::Secret;
use std::net::SocketAddr;
use std::time::Duration;

/// The help heading of the fault flags.
pub(crate) const FAULTS: &str = "Faults";

/// Why `sim acd` or `sim wfm` stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum SimRunError {
    /// Flags that make no sense together, or a value out of range (the operator's to fix).
    #[error("{0}")]
    Usage(String),
    /// The address is taken or not ours.
    #[error("{sim}: cannot listen on {addr}: {error}")]
    Listen {
        sim: &'static str,
        addr: SocketAddr,
        error: std::io::Error,
    },
    /// The process cannot wait for Ctrl-C or SIGTERM.
    #[error("{sim}: cannot listen for {signal}: {error}")]
    Signal {
        sim: &'static str,
        signal: &'static str,
        error: std::io::Error,
    },
}

/// `impl Default` for flag structs: the command line without flags (see [`defaults`]).
macro_rules! default_is_no_flags {
    ($($flags:ty),+) => {$(
        impl Default for $flags {
            fn default() -> Self {
                $crate::sim::cli::defaults()
            }
        }
    )+};
}
pub(crate) use default_is_no_flags;

/// A flag struct as the command line gives it when no flag is given: every field at the default
/// its `#[arg]` declares, or its `Default` for `#[arg(skip)]` fields. This is what the simulators'
/// `Default` impls are made of, so tests and the command line share one set of defaults.
pub(crate) fn defaults<T: clap::Args + clap::FromArgMatches>() -> T {
    let command = T::augment_args(clap::Command::new("defaults"));
    // The declared defaults are constants that their own parsers accept (every simulator start in
    // the tests goes through here, and `defaults_parse` below checks each struct), so parsing an
    // empty command line cannot fail.
    #[allow(clippy::expect_used)]
    command
        .try_get_matches_from(["defaults"])
        .and_then(|matches| T::from_arg_matches(&matches))
        .expect("the declared defaults of the simulator flags parse")
}

/// A humantime duration: `500ms`, `2s`, `15m`, `2h15m`.
pub(crate) fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s)
        .map_err(|e| format!("{e}; give a duration such as 500ms, 2s, 15m or 2h15m"))
}

/// A humantime duration that is a whole number of seconds (HTTP `Retry-After`).
pub(crate) fn parse_whole_seconds(s: &str) -> Result<u64, String> {
    let d = parse_duration(s)?;
    if d.subsec_nanos() != 0 {
        return Err("Retry-After is whole seconds; give e.g. 1s or 30s".into());
    }
    Ok(d.as_secs())
}

/// A fraction between 0 and 1.
pub(crate) fn parse_fraction(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err("give a fraction between 0 and 1, e.g. 0.05".into()),
    }
}

/// A finite, non-negative rate.
pub(crate) fn parse_rate(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err("give a number of tasks per hour, 0 or more, e.g. 1200".into()),
    }
}

/// A password or token given on the command line (fine for a test server), kept out of `Debug`.
pub(crate) fn parse_secret(s: &str) -> Result<Secret, String> {
    Ok(Secret::new(s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::acd::SimAcdArgs;
    use crate::sim::wfm::SimWfmArgs;

    #[test]
    fn defaults_parse() {
        let acd: SimAcdArgs = defaults();
        assert_eq!(acd.agents, 50);
        let wfm: SimWfmArgs = defaults();
        assert_eq!(wfm.max_batch, 500);
    }

    #[test]
    fn parsers_refuse_nonsense() {
        assert!(parse_whole_seconds("1500ms").is_err());
        assert_eq!(parse_whole_seconds("3s"), Ok(3));
        assert!(parse_fraction("1.5").is_err());
        assert!(parse_rate("-3").is_err());
        assert!(parse_duration("soon").is_err());
    }
}
