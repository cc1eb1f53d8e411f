//! The file's schema, read from the section structs themselves: which sections and keys exist
//! (serde lists them when it refuses an unknown one), and the walk that reads a file into
//! [`Config`] one value at a time, so one bad value is reported at its key and does not hide the
//! file's other problems. [`super::load`] runs it; each section's `check` then validates.

use super::Config;
use super::ctx::Ctx;
use super::error::{ConfigError, Location};
use serde::de::DeserializeOwned;
use toml::{Table, Value};

/// A key no section has: serde's refusal of it lists the keys that do exist.
const PROBE: &str = "\u{1}";

/// Every section and its keys, in declaration order.
pub(crate) struct Schema {
    pub sections: Vec<Section>,
}

pub(crate) struct Section {
    pub name: String,
    pub keys: Vec<String>,
    /// A table of named entries (`[queues."Support"]`), whose names keep their case; `keys` are
    /// those of each entry.
    pub named: bool,
}

impl Schema {
    pub fn of_config() -> Schema {
        let names = known_keys(Table::from_iter([(PROBE.into(), Value::Integer(0))]));
        let sections = names
            .into_iter()
            .map(|name| {
                let entry = |v: Value| Value::Table(Table::from_iter([(PROBE.to_string(), v)]));
                let probe = |v: Value| Table::from_iter([(name.clone(), entry(v))]);
                let fixed = known_keys(probe(Value::Integer(0)));
                let named = fixed.is_empty();
                let keys = if named {
                    known_keys(probe(entry(Value::Integer(0))))
                } else {
                    fixed
                };
                Section { name, keys, named }
            })
            .collect();
        Schema { sections }
    }

    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }

    fn names(&self) -> Vec<&str> {
        self.sections.iter().map(|s| s.name.as_str()).collect()
    }

    /// Where a problem sorts: its section's place in the schema (problems are listed section by
    /// section, in the order of the documentation).
    pub fn rank(&self, e: &ConfigError) -> usize {
        let section = e.location().map_or("", |at| at.section.as_str());
        let head = section.split('.').next().unwrap_or_default();
        self.sections
            .iter()
            .position(|s| s.name == head)
            .unwrap_or(0)
    }

    /// Refuses any section or key of the file that the connector does not know, naming each one
    /// (with the closest known key), and removes them so the rest of the file is still checked.
    pub fn check_file_keys(&self, table: &mut Table, origin: &str) -> Vec<ConfigError> {
        let mut errors = Vec::new();
        table.retain(|name, value| {
            let Some(section) = self.section(name) else {
                errors.push(unknown(Location::new(origin, "", name), &self.names()));
                return false;
            };
            let Some(entries) = value.as_table_mut() else {
                errors.push(not_a_table(origin, "", name, name));
                return false;
            };
            let keys: Vec<&str> = section.keys.iter().map(String::as_str).collect();
            if !section.named {
                retain_known(entries, &keys, origin, name, &mut errors);
                return true;
            }
            entries.retain(|entry, body| {
                let label = format!("{name}.{entry:?}");
                let Some(body) = body.as_table_mut() else {
                    errors.push(not_a_table(origin, name, entry, &label));
                    return false;
                };
                retain_known(body, &keys, origin, &label, &mut errors);
                true
            });
            true
        });
        errors
    }

    /// Reads `table` (its keys already checked) into a [`Config`]: each value alone first, so a
    /// value serde refuses is reported at its key and left at its default (an entry of a named
    /// section is left out), then every other entry of the named sections whole, so an entry
    /// missing a required key is reported and left out.
    pub fn read(&self, mut table: Table, ctx: &mut Ctx<'_>) -> Config {
        for section in &self.sections {
            let name = section.name.as_str();
            let Some(Value::Table(body)) = table.get_mut(name) else {
                continue;
            };
            if !section.named {
                for key in &section.keys {
                    let Some(value) = body.get(key) else { continue };
                    if let Err(message) = trial(&[name, key], value.clone()) {
                        ctx.fail(ctx.invalid(name, key, message));
                        body.remove(key);
                    }
                }
                continue;
            }
            body.retain(|entry, value| {
                let label = format!("{name}.{entry:?}");
                let Some(fields) = value.as_table_mut() else {
                    return false;
                };
                let mut refused = false;
                for key in &section.keys {
                    let Some(v) = fields.get(key) else { continue };
                    match trial(&[name, entry, key], v.clone()) {
                        Err(message) if !message.starts_with("missing field") => {
                            ctx.fail(ctx.invalid(&label, key, message));
                            refused = true;
                        }
                        _ => {}
                    }
                }
                if refused {
                    return false;
                }
                let Err(message) = trial(&[name, entry], value.clone()) else {
                    return true;
                };
                let e = match message.strip_prefix("missing field `") {
                    Some(key) => ConfigError::Missing {
                        at: ctx.at(&label, key.trim_end_matches('`')),
                        hint: String::new(),
                    },
                    None => ctx.invalid(name, entry, message),
                };
                ctx.fail(e);
                false
            });
        }
        Value::Table(table)
            .try_into()
            .unwrap_or_else(|e: toml::de::Error| {
                let at = Location::new(ctx.origin, "", "");
                let message = format!("cannot be read as a configuration: {}", e.message());
                ctx.fail(ConfigError::Invalid { at, message });
                defaults()
            })
    }
}

/// Every key at its default: serde fills each field from its `default` function.
pub(crate) fn defaults<T: DeserializeOwned>() -> T {
    // Invariant: every key of the fixed sections has a default, so an empty table always reads
    // (`tests::every_section_reads_from_an_empty_table` checks it).
    Value::Table(Table::new())
        .try_into()
        .unwrap_or_else(|e| unreachable!("a configuration key has no default: {e}"))
}

/// `value` alone at `path` read as a whole [`Config`]: serde's message when it is refused.
fn trial(path: &[&str], value: Value) -> Result<(), String> {
    let nested = path.iter().rev().fold(value, |inner, key| {
        Value::Table(Table::from_iter([(key.to_string(), inner)]))
    });
    nested
        .try_into::<Config>()
        .map(drop)
        .map_err(|e| e.message().to_string())
}

/// The keys serde expects where `probe` puts [`PROBE`]: from its message "unknown field `\u{1}`,
/// expected one of `a`, `b`" (or "expected `a` or `b`", "expected `a`"). Empty when the probe is
/// refused for another reason (it is not where a section's keys are).
fn known_keys(probe: Table) -> Vec<String> {
    let Err(e) = Value::Table(probe).try_into::<Config>() else {
        return Vec::new();
    };
    let message = e.message();
    if !message.starts_with(&format!("unknown field `{PROBE}`")) {
        return Vec::new();
    }
    message
        .split('`')
        .skip(3)
        .step_by(2)
        .map(String::from)
        .collect()
}

/// Removes the keys of `body` that are not `keys`, each with its error.
fn retain_known(
    body: &mut Table,
    keys: &[&str],
    origin: &str,
    section: &str,
    errors: &mut Vec<ConfigError>,
) {
    body.retain(|key, _| {
        let known = keys.contains(&key);
        if !known {
            errors.push(unknown(Location::new(origin, section, key), keys));
        }
        known
    });
}

fn not_a_table(origin: &str, section: &str, key: &str, header: &str) -> ConfigError {
    ConfigError::Invalid {
        at: Location::new(origin, section, key),
        message: format!("must be a section: write it as [{header}]"),
    }
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
        let errors = Schema::of_config().check_file_keys(&mut table, "c.toml");
        ConfigError::from_list(errors).map_or(Ok(()), Err)
    }

    #[test]
    fn the_schema_lists_every_section_and_key_in_declaration_order() {
        let schema = Schema::of_config();
        let names: Vec<&str> = schema.sections.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "acd", "wfm", "buffer", "reports", "queues", "media", "states", "admin", "webhook",
                "log"
            ]
        );
        let states = schema.section("states").unwrap();
        assert!(states.named);
        assert_eq!(states.keys, ["state", "reason"]);
        let webhook = schema.section("webhook").unwrap();
        assert_eq!(
            webhook.keys,
            ["listen", "public_url", "auth_token", "auth_token_file"]
        );
        assert!(
            schema
                .section("acd")
                .unwrap()
                .keys
                .contains(&"retry_max".to_string())
        );
    }

    #[test]
    fn every_section_reads_from_an_empty_table() {
        let c: Config = defaults();
        assert_eq!(c.acd.page_size, 1000);
        assert!(c.webhook.is_none());
    }

    #[test]
    fn every_unknown_key_is_named_and_removed() {
        let mut table: Table =
            toml::from_str("[acd]\npol = 1\nusername = \"x\"\n[acdd]\n[log]\nlvl = 2\n").unwrap();
        let errors = Schema::of_config().check_file_keys(&mut table, "c.toml");
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

    /// The shipped example documents every key: set, or shown commented out (`# key = …`, for
    /// the keys without a fixed default: secrets, the host name, the push path). A key it sets
    /// has its default, read the way the connector reads it (`"60s"` is `1m`), except the
    /// required keys (their default is empty), whose values are placeholders.
    #[test]
    fn example_file_shows_every_key_with_its_default() {
        let text = include_str!("../../config/wfm-connector.toml");
        let example: Table = toml::from_str(text).unwrap();
        let defaults = Table::try_from(defaults::<Config>()).unwrap();
        let rendered = |path: &[&str], value: Value| {
            let nested = path.iter().rev().fold(value, |inner, key| {
                Value::Table(Table::from_iter([(key.to_string(), inner)]))
            });
            let config: Config = nested.try_into().unwrap();
            Table::try_from(config).unwrap()
        };
        for section in Schema::of_config().sections {
            let name = section.name.as_str();
            let body = example.get(name).and_then(Value::as_table);
            for key in &section.keys {
                let shown = text.contains(&format!("# {key} = "));
                let set = if section.named {
                    body.is_some_and(|b| b.values().any(|e| e.get(key).is_some()))
                } else {
                    body.and_then(|b| b.get(key)).is_some()
                };
                assert!(set || shown, "[{name}] {key} is missing from the example");
                let Some(value) = body.filter(|_| !section.named).and_then(|b| b.get(key)) else {
                    continue;
                };
                let default = defaults[name].get(key);
                if default.and_then(Value::as_str) == Some("") {
                    continue;
                }
                let read = rendered(&[name, key], value.clone());
                assert_eq!(
                    read[name].get(key),
                    default,
                    "[{name}] {key}: the example does not show the default"
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
