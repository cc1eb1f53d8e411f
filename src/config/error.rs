//! What can be wrong with a configuration, worded for the operator at the terminal.
//!
//! Every message names where the problem is — file (or environment variable), section, key — and
//! what is wrong, ripgrep-style:
//! `config.toml: [wfm] service_url: "http://wfm.example.com" must be https unless the host is loopback`.
//! No variant ever carries a secret value: secrets are only ever reported by key name.
//!
//! A load reports every problem of a file at once ([`ConfigError::Several`], one per line), so an
//! operator fixes them all in one go instead of one per run.

use std::fmt;
use std::path::PathBuf;

/// Where a setting lives: the file (or `$ENV_VAR`) it came from, its section and its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file name given to the loader, or `$WFM_CONNECTOR__…` when the environment set it.
    pub origin: String,
    /// TOML section as written in a header: `acd`, `queues."Support"`; empty for the top level.
    pub section: String,
    /// The key inside the section.
    pub key: String,
}

impl Location {
    pub fn new(origin: &str, section: &str, key: &str) -> Self {
        Location {
            origin: origin.to_string(),
            section: section.to_string(),
            key: key.to_string(),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key.is_empty() {
            f.write_str(&self.origin)
        } else if self.section.is_empty() {
            write!(f, "{}: {}", self.origin, self.key)
        } else {
            write!(f, "{}: [{}] {}", self.origin, self.section, self.key)
        }
    }
}

/// A configuration that cannot be used. `Display` is the message for the operator.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The configuration file itself could not be read.
    #[error("{}: cannot read the configuration file: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },

    /// The file is not valid TOML. Only the parser's short message is kept: its full report quotes
    /// the offending line, which may hold a secret.
    #[error("{origin}:{line}:{column}: invalid TOML: {message}")]
    Syntax {
        origin: String,
        line: usize,
        column: usize,
        message: String,
    },

    /// A key (or section, or environment variable) the connector does not know: most often a typo.
    #[error("{at}: unknown key{hint}")]
    UnknownKey { at: Location, hint: String },

    /// A required key is absent.
    #[error("{at}: missing{hint}")]
    Missing { at: Location, hint: String },

    /// A value is present but unusable; `message` says why and, for non-secrets, quotes it.
    #[error("{at}: {message}")]
    Invalid { at: Location, message: String },

    /// A `*_file` secret or a systemd credential could not be read. The path is shown, never the
    /// content.
    #[error("{at}: cannot read {}: {source}", path.display())]
    SecretFile {
        at: Location,
        path: PathBuf,
        source: std::io::Error,
    },

    /// More than one of the above, in file order; `Display` writes one per line.
    #[error("{}", join_lines(.0))]
    Several(Vec<ConfigError>),
}

fn join_lines(errors: &[ConfigError]) -> String {
    let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
    lines.join("\n")
}

impl ConfigError {
    /// The location the error points at, when it points at a key.
    pub fn location(&self) -> Option<&Location> {
        match self {
            ConfigError::UnknownKey { at, .. }
            | ConfigError::Missing { at, .. }
            | ConfigError::Invalid { at, .. }
            | ConfigError::SecretFile { at, .. } => Some(at),
            ConfigError::Read { .. } | ConfigError::Syntax { .. } | ConfigError::Several(_) => None,
        }
    }

    /// Every single problem this error stands for (itself, or each of [`ConfigError::Several`]).
    pub fn problems(&self) -> Vec<&ConfigError> {
        match self {
            ConfigError::Several(all) => all.iter().flat_map(ConfigError::problems).collect(),
            one => vec![one],
        }
    }

    /// One error for a list: `None` when empty, the error itself when alone, else
    /// [`ConfigError::Several`] (nested lists flattened).
    pub fn from_list(errors: Vec<ConfigError>) -> Option<ConfigError> {
        let mut flat = Vec::with_capacity(errors.len());
        for e in errors {
            match e {
                ConfigError::Several(inner) => flat.extend(inner),
                one => flat.push(one),
            }
        }
        match flat.len() {
            0 => None,
            1 => flat.pop(),
            _ => Some(ConfigError::Several(flat)),
        }
    }
}

/// A TOML parse error as `origin:line:column`, computed from the parser's byte span.
pub(crate) fn syntax_error(origin: &str, text: &str, err: &toml::de::Error) -> ConfigError {
    let offset = err.span().map_or(0, |s| s.start).min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    ConfigError::Syntax {
        origin: origin.to_string(),
        line,
        column,
        message: err.message().trim().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_reads_like_a_toml_header() {
        let at = Location::new("config.toml", "queues.\"Support\"", "sl_threshold_sec");
        assert_eq!(
            at.to_string(),
            "config.toml: [queues.\"Support\"] sl_threshold_sec"
        );
        assert_eq!(
            Location::new("c.toml", "", "acdd").to_string(),
            "c.toml: acdd"
        );
    }

    #[test]
    fn syntax_error_points_at_line_and_column() {
        let text = "[acd]\nusername = \"SK\"\npassword = \"unterminated\n";
        let err = toml::from_str::<toml::Table>(text).unwrap_err();
        let e = syntax_error("config.toml", text, &err);
        let msg = e.to_string();
        assert!(msg.starts_with("config.toml:3:"), "{msg}");
        assert!(!msg.contains("unterminated"), "{msg}");
    }
}
