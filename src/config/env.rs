//! Environment overrides: `WFM_CONNECTOR__SECTION__KEY=value` replaces `[section] key` of the file,
//! e.g. `WFM_CONNECTOR__ACD__POLL_INTERVAL=5s`, `WFM_CONNECTOR__WFM__BATCH_SIZE=100`.
//!
//! Variables are checked here (unknown keys refused, naming the variable) and then handed to the
//! `config` crate's `Environment` source. Its pitfalls, handled on purpose:
//! - `.separator("__")` would also set the prefix separator; we set `.prefix_separator("__")` too.
//! - keys are lower-cased: fine for the fixed keys, wrong for `[queues."Support"]` and
//!   `[states."Training"]`, whose names keep their case — those sections are file-only.
//! - `try_parsing` would turn a secret `007` into `7`: it stays off, every value arrives as text and
//!   typed fields are converted later. Secrets (`PASSWORD`, `ACCESS_KEY_SECRET`) are therefore
//!   taken verbatim.
//! - lists need `try_parsing`: `WFM_CONNECTOR__MEDIA__EXCLUDE=email,fax` is split here instead.

use super::error::{ConfigError, Location};
use super::raw::{NAMED_SECTIONS, SECTIONS, section_keys, unknown};
use std::collections::{BTreeMap, HashMap};

/// The prefix of every override variable, separator included.
pub const ENV_PREFIX: &str = "WFM_CONNECTOR__";

/// The overrides found in the environment, ready for the `config` builder.
#[derive(Default)]
pub(crate) struct EnvOverrides {
    /// Variables (original names) for `config::Environment::source`.
    pub vars: HashMap<String, String>,
    /// `media.exclude`, split on commas.
    pub exclude: Option<Vec<String>>,
    /// Dotted key (`acd.poll_interval`) → the variable that set it, so errors name the variable.
    pub set_by: BTreeMap<String, String>,
}

/// Names only: the values may be secrets.
impl std::fmt::Debug for EnvOverrides {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnvOverrides")
            .field("variables", &self.set_by.values().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl EnvOverrides {
    /// A `config` source of the checked variables, with the separators spelled out.
    pub fn source(&self) -> config::Environment {
        config::Environment::with_prefix("WFM_CONNECTOR")
            .prefix_separator("__")
            .separator("__")
            .source(Some(self.vars.clone()))
    }
}

/// Checks the `WFM_CONNECTOR__…` variables of `env` (others are ignored) and collects them, with
/// the problem of each variable that cannot be used (left out of the overrides).
pub(crate) fn collect(env: &[(String, String)]) -> (EnvOverrides, Vec<ConfigError>) {
    let mut found = EnvOverrides::default();
    let mut errors = Vec::new();
    for (name, value) in env {
        if let Err(e) = collect_one(name, value, &mut found) {
            errors.push(e);
        }
    }
    (found, errors)
}

/// One variable into `found`, or why it cannot be used.
fn collect_one(name: &str, value: &str, found: &mut EnvOverrides) -> Result<(), ConfigError> {
    let Some(rest) = name.strip_prefix(ENV_PREFIX) else {
        return Ok(());
    };
    let origin = format!("${name}");
    let path = rest.to_lowercase();
    let parts: Vec<&str> = path.split("__").collect();
    match parts.as_slice() {
        [section, key] if section_keys(section).is_some() => {
            let keys = section_keys(section).unwrap_or_default();
            if !keys.contains(key) {
                return Err(unknown(Location::new(&origin, section, key), keys));
            }
            if (*section, *key) == ("media", "channels") {
                return Err(ConfigError::Invalid {
                    at: Location::new(&origin, section, key),
                    message: "is a table: set one channel with \
                              WFM_CONNECTOR__MEDIA__CHANNELS__<NAME>=<media type>"
                        .into(),
                });
            }
            if (*section, *key) == ("media", "exclude") {
                let names = value.split(',').map(str::trim).filter(|s| !s.is_empty());
                found.exclude = Some(names.map(String::from).collect());
                found.set_by.insert(parts.join("."), name.to_string());
                return Ok(());
            }
        }
        ["media", "channels", channel] if !channel.is_empty() => {}
        [section, ..] if NAMED_SECTIONS.contains(section) => {
            return Err(ConfigError::Invalid {
                at: Location::new(&origin, "", section),
                message: format!(
                    "[{section}] can only be set in the configuration file: environment \
                     variable names lose the case of queue and Activity names"
                ),
            });
        }
        [section, _, ..] if section_keys(section).is_none() => {
            let sections: Vec<&str> = SECTIONS.iter().map(|(s, _)| *s).collect();
            return Err(unknown(Location::new(&origin, "", section), &sections));
        }
        _ => {
            return Err(ConfigError::Invalid {
                at: Location::new("environment", "", name),
                message: "is not of the form WFM_CONNECTOR__SECTION__KEY \
                          (two underscores between the parts)"
                    .into(),
            });
        }
    }
    found.vars.insert(name.to_string(), value.to_string());
    found.set_by.insert(parts.join("."), name.to_string());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect_ok(env: &[(String, String)]) -> EnvOverrides {
        let (found, errors) = collect(env);
        assert!(errors.is_empty(), "{errors:?}");
        found
    }

    fn collect_err(env: &[(String, String)]) -> ConfigError {
        let (_, errors) = collect(env);
        ConfigError::from_list(errors).expect("an error")
    }

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn nested_key_maps_to_section_and_key() {
        let found = collect_ok(&env(&[("WFM_CONNECTOR__ACD__POLL_INTERVAL", "5s")]));
        assert_eq!(
            found.set_by.get("acd.poll_interval").map(String::as_str),
            Some("WFM_CONNECTOR__ACD__POLL_INTERVAL")
        );
    }

    #[test]
    fn other_variables_are_ignored() {
        let found = collect_ok(&env(&[("PATH", "/bin"), ("WFM_CONNECTOR_ACD__X", "1")]));
        assert!(found.vars.is_empty());
    }

    #[test]
    fn unknown_and_malformed_variables_are_refused() {
        let e = collect_err(&env(&[("WFM_CONNECTOR__ACD__POLL_INTERVALL", "5s")]));
        assert_eq!(
            e.to_string(),
            "$WFM_CONNECTOR__ACD__POLL_INTERVALL: [acd] poll_intervall: unknown key; \
             did you mean `poll_interval`?"
        );
        let e = collect_err(&env(&[("WFM_CONNECTOR__ACD_POLL_INTERVAL", "5s")]));
        assert!(e.to_string().contains("two underscores"), "{e}");
        let e = collect_err(&env(&[("WFM_CONNECTOR__STATES__OFFLINE__STATE", "x")]));
        assert!(
            e.to_string()
                .contains("only be set in the configuration file"),
            "{e}"
        );
    }

    #[test]
    fn exclude_list_is_split_on_commas() {
        let found = collect_ok(&env(&[("WFM_CONNECTOR__MEDIA__EXCLUDE", "email, fax,")]));
        assert_eq!(found.exclude, Some(vec!["email".into(), "fax".into()]));
    }
}
