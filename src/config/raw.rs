//! The file schema as written by operators: every key optional, values still text. The loader
//! checks keys against it (unknown keys are refused), the `config` crate merges file and
//! environment into it, and [`super::build`] turns it into a validated [`super::Config`].

use super::error::{ConfigError, Location};
use crate::secret::Secret;
use serde::Deserialize;
use std::collections::BTreeMap;

/// Every section with fixed keys, and those keys. `[queues."…"]` and `[states."…"]` are tables of
/// named entries, checked against [`QUEUE_KEYS`] and [`STATE_KEYS`].
pub(crate) const SECTIONS: &[(&str, &[&str])] = &[
    (
        "acd",
        &[
            "base_url",
            "workspace_sid",
            "username",
            "password",
            "password_file",
            "poll_interval",
            "overlap",
            "agent_id",
            "page_size",
            "request_timeout",
            "workers_refresh",
            "initial_lookback",
        ],
    ),
    (
        "wfm",
        &[
            "service_url",
            "tenant_name",
            "access_key_id",
            "access_key_secret",
            "access_key_secret_file",
            "batch_size",
            "report_concurrency",
            "heartbeat_interval",
            "snapshot_interval",
            "request_timeout",
            "token_refresh_ahead",
            "retry_initial",
            "retry_max",
            "connector_id",
        ],
    ),
    ("buffer", &["path", "retention"]),
    (
        "reports",
        &[
            "interval",
            "settle_delay",
            "resend_window",
            "short_abandon_sec",
            "sl_threshold_sec",
        ],
    ),
    ("media", &["channels", "exclude", "attribute"]),
    ("admin", &["listen"]),
    (
        "webhook",
        &["listen", "public_url", "auth_token", "auth_token_file"],
    ),
    ("log", &["format", "level"]),
];
pub(crate) const QUEUE_KEYS: &[&str] = &["sl_threshold_sec"];
pub(crate) const STATE_KEYS: &[&str] = &["state", "reason"];
/// Sections holding named entries (`[queues."Support"]`), whose names keep their case.
pub(crate) const NAMED_SECTIONS: &[&str] = &["queues", "states"];

/// The keys of a fixed section, if `section` is one.
pub(crate) fn section_keys(section: &str) -> Option<&'static [&'static str]> {
    SECTIONS
        .iter()
        .find(|(s, _)| *s == section)
        .map(|(_, k)| *k)
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConfig {
    #[serde(default)]
    pub acd: RawAcd,
    #[serde(default)]
    pub wfm: RawWfm,
    #[serde(default)]
    pub buffer: RawBuffer,
    #[serde(default)]
    pub reports: RawReports,
    #[serde(default)]
    pub queues: BTreeMap<String, RawQueue>,
    #[serde(default)]
    pub media: RawMedia,
    #[serde(default)]
    pub states: BTreeMap<String, RawState>,
    #[serde(default)]
    pub admin: RawAdmin,
    #[serde(default)]
    pub webhook: RawWebhook,
    #[serde(default)]
    pub log: RawLog,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAcd {
    pub base_url: Option<String>,
    pub workspace_sid: Option<String>,
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub password_file: Option<String>,
    pub poll_interval: Option<String>,
    pub overlap: Option<String>,
    pub agent_id: Option<String>,
    pub page_size: Option<Int>,
    pub request_timeout: Option<String>,
    pub workers_refresh: Option<String>,
    pub initial_lookback: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawWfm {
    pub service_url: Option<String>,
    pub tenant_name: Option<String>,
    pub access_key_id: Option<String>,
    pub access_key_secret: Option<Secret>,
    pub access_key_secret_file: Option<String>,
    pub batch_size: Option<Int>,
    pub report_concurrency: Option<Int>,
    pub heartbeat_interval: Option<String>,
    pub snapshot_interval: Option<String>,
    pub request_timeout: Option<String>,
    pub token_refresh_ahead: Option<String>,
    pub retry_initial: Option<String>,
    pub retry_max: Option<String>,
    pub connector_id: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawBuffer {
    pub path: Option<String>,
    pub retention: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawReports {
    pub interval: Option<String>,
    pub settle_delay: Option<String>,
    pub resend_window: Option<String>,
    pub short_abandon_sec: Option<Int>,
    pub sl_threshold_sec: Option<Int>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawQueue {
    pub sl_threshold_sec: Option<Int>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawMedia {
    pub channels: Option<BTreeMap<String, String>>,
    pub exclude: Option<Vec<String>>,
    pub attribute: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawState {
    pub state: Option<String>,
    pub reason: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAdmin {
    pub listen: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawWebhook {
    pub listen: Option<String>,
    pub public_url: Option<String>,
    pub auth_token: Option<Secret>,
    pub auth_token_file: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLog {
    pub format: Option<String>,
    pub level: Option<String>,
}

/// A whole number, from a TOML integer or from the text of an environment variable. Floats and
/// booleans are refused: the `config` crate would silently round `2.5` or turn `true` into `1`.
/// A value that is not a whole number is kept as the message saying so, and reported by
/// [`super::build`] with its key, so one bad number does not hide the file's other problems.
#[derive(Clone)]
pub(crate) struct Int(pub Result<i64, String>);

impl<'de> Deserialize<'de> for Int {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Int;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a whole number")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Int, E> {
                Ok(Int(Ok(v)))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Int, E> {
                Ok(Int(
                    i64::try_from(v).map_err(|_| format!("{v} is too large"))
                ))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Int, E> {
                Ok(Int(Err(format!("expected a whole number, found {v}"))))
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Int, E> {
                Ok(Int(Err(format!("expected a whole number, found {v}"))))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Int, E> {
                let parsed = v.trim().parse();
                Ok(Int(parsed.map_err(|_| {
                    format!("expected a whole number, found {v:?}")
                })))
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// Refuses any section or key of the file that the connector does not know, naming each one, and
/// removes them from `table`, so the rest of the file can still be checked.
pub(crate) fn check_file_keys(table: &mut toml::Table, origin: &str) -> Vec<ConfigError> {
    let mut errors = Vec::new();
    table.retain(|name, value| {
        let named = NAMED_SECTIONS.contains(&name);
        let fixed = section_keys(name);
        if !named && fixed.is_none() {
            let sections: Vec<&str> = SECTIONS
                .iter()
                .map(|(s, _)| *s)
                .chain(NAMED_SECTIONS.iter().copied())
                .collect();
            errors.push(unknown(Location::new(origin, "", name), &sections));
            return false;
        }
        let Some(entries) = value.as_table_mut() else {
            errors.push(ConfigError::Invalid {
                at: Location::new(origin, "", name),
                message: format!("must be a section: write it as [{name}]"),
            });
            return false;
        };
        if let Some(keys) = fixed {
            entries.retain(|key, _| {
                let known = keys.contains(&key);
                if !known {
                    errors.push(unknown(Location::new(origin, name, key), keys));
                }
                known
            });
            return true;
        }
        let keys = if name == "queues" {
            QUEUE_KEYS
        } else {
            STATE_KEYS
        };
        entries.retain(|entry, body| {
            let section = format!("{name}.{entry:?}");
            let Some(body) = body.as_table_mut() else {
                errors.push(ConfigError::Invalid {
                    at: Location::new(origin, name, entry),
                    message: format!("must be a section: write it as [{section}]"),
                });
                return false;
            };
            body.retain(|key, _| {
                let known = keys.contains(&key);
                if !known {
                    errors.push(unknown(Location::new(origin, &section, key), keys));
                }
                known
            });
            true
        });
        true
    });
    errors
}

/// An unknown-key error with the closest known key as a suggestion, else the list of known keys.
pub(crate) fn unknown(at: Location, known: &[&str]) -> ConfigError {
    let hint = match closest(&at.key, known) {
        Some(k) => format!("; did you mean `{k}`?"),
        None => format!("; known here: {}", known.join(", ")),
    };
    ConfigError::UnknownKey { at, hint }
}

/// The known key within edit distance 2 of `word`, if any (typo suggestions).
fn closest<'k>(word: &str, known: &[&'k str]) -> Option<&'k str> {
    known
        .iter()
        .map(|k| (edit_distance(word, k), *k))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let up = row[j + 1];
            row[j + 1] = (diag + usize::from(ca != *cb)).min(up + 1).min(row[j] + 1);
            diag = up;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str) -> Result<(), ConfigError> {
        let mut table = toml::from_str(text).unwrap();
        ConfigError::from_list(check_file_keys(&mut table, "c.toml")).map_or(Ok(()), Err)
    }

    #[test]
    fn every_unknown_key_is_named_and_removed() {
        let mut table: toml::Table =
            toml::from_str("[acd]\npol = 1\nusername = \"x\"\n[acdd]\n[log]\nlvl = 2\n").unwrap();
        let errors = check_file_keys(&mut table, "c.toml");
        let names: Vec<String> = errors
            .iter()
            .filter_map(|e| e.location().map(|at| at.key.clone()))
            .collect();
        assert_eq!(names, vec!["pol", "acdd", "lvl"]);
        assert_eq!(
            toml::to_string(&table).unwrap(),
            "[acd]\nusername = \"x\"\n\n[log]\n"
        );
    }

    #[test]
    fn typo_is_refused_with_a_suggestion() {
        let e = check("[acd]\npol_interval = \"2s\"\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "c.toml: [acd] pol_interval: unknown key; did you mean `poll_interval`?"
        );
    }

    #[test]
    fn unknown_section_and_named_entry_keys_are_refused() {
        let e = check("[acdd]\n").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("c.toml: acdd: unknown key; did you mean `acd`?")
        );
        let e = check("[queues.\"Support\"]\nsl = 3\n").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("c.toml: [queues.\"Support\"] sl: unknown key")
        );
        assert!(
            check("[states.\"Training\"]\nstate = \"Unavailable\"\nreason = \"TRN\"\n").is_ok()
        );
    }

    /// The shipped example documents every key: set, or shown commented out (`# key = …`).
    #[test]
    fn example_file_shows_every_key() {
        let text = include_str!("../../config/wfm-connector.toml");
        let table: toml::Table = toml::from_str(text).unwrap();
        for (section, keys) in SECTIONS {
            for key in *keys {
                let set = table.get(*section).and_then(|s| s.get(*key)).is_some();
                let shown = text.contains(&format!("# {key} = "));
                assert!(
                    set || shown,
                    "[{section}] {key} is missing from the example"
                );
            }
        }
    }

    #[test]
    fn edit_distance_counts_single_edits() {
        assert_eq!(edit_distance("pol_interval", "poll_interval"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }
}
