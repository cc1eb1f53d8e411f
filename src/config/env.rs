//! Environment overrides: `WFM_CONNECTOR__SECTION__KEY=value` replaces `[section] key` of the file,
//! e.g. `WFM_CONNECTOR__ACD__POLL_INTERVAL=5s`, `WFM_CONNECTOR__WFM__BATCH_SIZE=100`.
//!
//! Variables are checked against the schema here (unknown keys refused, naming the variable),
//! then written into the file's table ([`EnvOverrides::apply`]) before it is read, so a value
//! from the environment goes through the same checks as one from the file. On purpose:
//! - names are lower-cased: fine for the fixed keys, wrong for `[queues."Support"]` and
//!   `[states."Training"]`, whose names keep their case — those sections are file-only.
//! - every value stays text (a secret `007` must not become `7`); numbers and durations are
//!   parsed from text by the section structs.
//! - lists: `WFM_CONNECTOR__MEDIA__EXCLUDE=email,fax` is split on commas; one channel of the
//!   `[media] channels` table is `WFM_CONNECTOR__MEDIA__CHANNELS__<NAME>`.

use super::error::{ConfigError, Location};
use super::schema::{Schema, unknown};
use std::collections::BTreeMap;

/// The prefix of every override variable, separator included.
pub const ENV_PREFIX: &str = "WFM_CONNECTOR__";

/// The overrides found in the environment, ready to be written into the file's table.
#[derive(Default)]
pub(crate) struct EnvOverrides {
    /// Key path (`["acd", "poll_interval"]`) and value, in the order found.
    pub values: Vec<(Vec<String>, toml::Value)>,
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
    /// Writes every override over the file's `table`, creating sections as needed.
    pub fn apply(&self, table: &mut toml::Table) {
        for (path, value) in &self.values {
            if let Some((key, sections)) = path.split_last()
                && let Some(at) = table_at(table, sections)
            {
                at.insert(key.clone(), value.clone());
            }
        }
    }
}

/// The table at `path` inside `table`, created when absent; `None` when a value is in the way
/// (the file's own value is then reported as it is).
fn table_at<'t>(table: &'t mut toml::Table, path: &[String]) -> Option<&'t mut toml::Table> {
    let Some((first, rest)) = path.split_first() else {
        return Some(table);
    };
    let slot = table
        .entry(first.clone())
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    table_at(slot.as_table_mut()?, rest)
}

/// Checks the `WFM_CONNECTOR__…` variables of `env` (others are ignored) and collects them, with
/// the problem of each variable that cannot be used (left out of the overrides).
pub(crate) fn collect(
    env: &[(String, String)],
    schema: &Schema,
) -> (EnvOverrides, Vec<ConfigError>) {
    let mut found = EnvOverrides::default();
    let mut errors = Vec::new();
    for (name, value) in env {
        if let Err(e) = collect_one(name, value, schema, &mut found) {
            errors.push(e);
        }
    }
    (found, errors)
}

/// One variable into `found`, or why it cannot be used.
fn collect_one(
    name: &str,
    value: &str,
    schema: &Schema,
    found: &mut EnvOverrides,
) -> Result<(), ConfigError> {
    let Some(rest) = name.strip_prefix(ENV_PREFIX) else {
        return Ok(());
    };
    let origin = format!("${name}");
    let path = rest.to_lowercase();
    let parts: Vec<&str> = path.split("__").collect();
    let section = parts.first().and_then(|s| schema.section(s));
    let mut value = toml::Value::String(value.to_string());
    match (parts.as_slice(), section) {
        ([_, key], Some(section)) if !section.named => {
            let keys: Vec<&str> = section.keys.iter().map(String::as_str).collect();
            if !keys.contains(key) {
                return Err(unknown(Location::new(&origin, &section.name, key), &keys));
            }
            if (section.name.as_str(), *key) == ("media", "channels") {
                return Err(ConfigError::Invalid {
                    at: Location::new(&origin, &section.name, key),
                    message: "is a table: set one channel with \
                              WFM_CONNECTOR__MEDIA__CHANNELS__<NAME>=<media type>"
                        .into(),
                });
            }
            if (section.name.as_str(), *key) == ("media", "exclude") {
                let names = value.as_str().unwrap_or_default().split(',');
                let names = names.map(str::trim).filter(|s| !s.is_empty());
                value = toml::Value::Array(names.map(toml::Value::from).collect());
            }
        }
        (["media", "channels", channel], _) if !channel.is_empty() => {}
        ([section, ..], Some(s)) if s.named => {
            return Err(ConfigError::Invalid {
                at: Location::new(&origin, "", section),
                message: format!(
                    "[{section}] can only be set in the configuration file: environment \
                     variable names lose the case of queue and Activity names"
                ),
            });
        }
        ([section, _, ..], None) => {
            let sections: Vec<&str> = schema.sections.iter().map(|s| s.name.as_str()).collect();
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
    let path: Vec<String> = parts.iter().map(|p| p.to_string()).collect();
    found.set_by.insert(path.join("."), name.to_string());
    found.values.push((path, value));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect_ok(env: &[(String, String)]) -> EnvOverrides {
        let (found, errors) = collect(env, &Schema::of_config());
        assert!(errors.is_empty(), "{errors:?}");
        found
    }

    fn collect_err(env: &[(String, String)]) -> ConfigError {
        let (_, errors) = collect(env, &Schema::of_config());
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
        assert!(found.values.is_empty());
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
        let exclude = toml::Value::try_from(["email", "fax"]).unwrap();
        assert_eq!(
            found.values,
            vec![(vec!["media".into(), "exclude".into()], exclude)]
        );
    }
}
