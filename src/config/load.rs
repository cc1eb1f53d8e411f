//! Loading: read the file, check its keys, merge the environment over it with the `config` crate,
//! then build and validate ([`super::build`]). [`load`] is the daemon's entry point; it reads the
//! process environment and `$CREDENTIALS_DIRECTORY`, then calls [`load_from_str`], which takes all
//! of that as parameters so tests never touch the process environment.
//!
//! [`load_local`] / [`load_local_from_str`] are the same load without the secrets, for the
//! commands that only work on the buffer (`status`, `replay`): they validate every other key and
//! return a [`LocalConfig`], which has no `[acd]` or `[wfm]` section to talk to a peer with.

use super::build::{Ctx, Secrets, build};
use super::env::{ENV_PREFIX, EnvOverrides, collect};
use super::error::{ConfigError, Location, syntax_error};
use super::raw::{NAMED_SECTIONS, RawConfig, check_file_keys};
use super::{Config, LocalConfig};
use std::path::{Path, PathBuf};

/// A valid configuration and what an operator should still look at (`check-config` prints the
/// warnings; the daemon logs them at start-up).
#[derive(Debug, Clone)]
pub struct Loaded<C = Config> {
    pub config: C,
    pub warnings: Vec<String>,
}

/// Loads `path` with the process's `WFM_CONNECTOR__…` variables and systemd credentials, and warns
/// when the file holds an inline secret yet is readable by group or others.
pub fn load(path: &Path) -> Result<Loaded, ConfigError> {
    load_path(path, Secrets::Resolve)
}

/// Loads `path` like [`load`] but never looks for the secrets (a missing one is fine): what
/// `status` and `replay` need, run from a shell that has no `$CREDENTIALS_DIRECTORY`.
pub fn load_local(path: &Path) -> Result<Loaded<LocalConfig>, ConfigError> {
    load_path(path, Secrets::Skip).map(local)
}

/// [`load_from_str`] without the secrets (see [`load_local`]).
pub fn load_local_from_str(
    text: &str,
    origin: &str,
    env: &[(String, String)],
) -> Result<Loaded<LocalConfig>, ConfigError> {
    load_inner(text, origin, env, None, Secrets::Skip).map(|(loaded, _)| local(loaded))
}

fn local(loaded: Loaded) -> Loaded<LocalConfig> {
    Loaded {
        config: LocalConfig::from(loaded.config),
        warnings: loaded.warnings,
    }
}

fn load_path(path: &Path, secrets: Secrets) -> Result<Loaded, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let mut env = Vec::new();
    // `vars_os`, not `vars`: an unrelated non-UTF-8 variable must not stop the daemon.
    for (name, value) in std::env::vars_os() {
        let Some(name) = name.to_str().filter(|n| n.starts_with(ENV_PREFIX)) else {
            continue;
        };
        let value = value.into_string().map_err(|_| ConfigError::Invalid {
            at: Location::new("environment", "", name),
            message: "is not valid UTF-8".into(),
        })?;
        env.push((name.to_string(), value));
    }
    let credentials = std::env::var_os("CREDENTIALS_DIRECTORY").map(PathBuf::from);
    let origin = path.display().to_string();
    let (mut loaded, inline) = load_inner(&text, &origin, &env, credentials.as_deref(), secrets)?;
    if let Some(key) = inline {
        warn_if_readable_by_others(path, key, &mut loaded.warnings);
    }
    Ok(loaded)
}

/// Loads configuration text. `origin` names it in messages (usually the file name); `env` holds
/// the candidate override variables (others are ignored); `credentials_dir` stands for
/// `$CREDENTIALS_DIRECTORY`.
pub fn load_from_str(
    text: &str,
    origin: &str,
    env: &[(String, String)],
    credentials_dir: Option<&Path>,
) -> Result<Loaded, ConfigError> {
    load_inner(text, origin, env, credentials_dir, Secrets::Resolve).map(|(loaded, _)| loaded)
}

/// The load, plus the first inline secret key the file itself holds (for the file-mode check).
fn load_inner(
    text: &str,
    origin: &str,
    env: &[(String, String)],
    credentials_dir: Option<&Path>,
    secrets: Secrets,
) -> Result<(Loaded, Option<&'static str>), ConfigError> {
    let mut table: toml::Table =
        toml::from_str(text).map_err(|e| syntax_error(origin, text, &e))?;
    // Every problem is collected, not just the first: unknown keys are reported and left out,
    // so the rest of the file is still checked.
    let mut errors = check_file_keys(&mut table, origin);
    let cleaned;
    let text = if errors.is_empty() {
        text
    } else {
        cleaned = toml::to_string(&table).map_err(|_| {
            ConfigError::from_list(std::mem::take(&mut errors)).unwrap_or_else(|| {
                ConfigError::Invalid {
                    at: Location::new(origin, "", ""),
                    message: "cannot be read as a configuration".into(),
                }
            })
        })?;
        cleaned.as_str()
    };
    let (overrides, env_errors) = collect(env);
    errors.extend(env_errors);
    let raw = merge(text, origin, &overrides, &mut errors);
    let mut ctx = Ctx {
        origin,
        set_by: &overrides.set_by,
        credentials_dir,
        secrets,
        warnings: Vec::new(),
        errors,
    };
    let config = build(raw, &mut ctx);
    if let Some(e) = ConfigError::from_list(std::mem::take(&mut ctx.errors)) {
        return Err(e);
    }
    let inline = [
        ("acd", "password", "[acd] password"),
        ("wfm", "access_key_secret", "[wfm] access_key_secret"),
        ("webhook", "auth_token", "[webhook] auth_token"),
    ]
    .into_iter()
    .find(|(section, key, _)| table.get(*section).and_then(|s| s.get(*key)).is_some())
    .map(|(_, _, label)| label);
    let warnings = ctx.warnings;
    Ok((Loaded { config, warnings }, inline))
}

/// File, then environment, through the `config` crate, into the raw schema. Each section is read
/// on its own: a value of the wrong type is reported (into `errors`) and its section left at its
/// defaults, so the other sections are still checked.
fn merge(
    text: &str,
    origin: &str,
    overrides: &EnvOverrides,
    errors: &mut Vec<ConfigError>,
) -> RawConfig {
    let file = config::File::from_str(text, config::FileFormat::Toml);
    let mut builder = config::Config::builder()
        .add_source(file)
        .add_source(overrides.source());
    if let Some(exclude) = &overrides.exclude {
        match builder.set_override("media.exclude", exclude.clone()) {
            Ok(b) => builder = b,
            Err(e) => {
                errors.push(from_config_error(e, origin, overrides, None));
                return RawConfig::default();
            }
        }
    }
    let merged = match builder.build() {
        Ok(m) => m,
        Err(e) => {
            errors.push(from_config_error(e, origin, overrides, None));
            return RawConfig::default();
        }
    };
    let mut section = |name: &str| -> Option<config::Value> {
        match merged.get::<config::Value>(name) {
            Ok(v) => Some(v),
            Err(config::ConfigError::NotFound(_)) => None,
            Err(e) => {
                errors.push(from_config_error(e, origin, overrides, None));
                None
            }
        }
    };
    let parts: Vec<(&str, Option<config::Value>)> = [
        "acd", "wfm", "buffer", "reports", "queues", "media", "states", "admin", "webhook", "log",
    ]
    .into_iter()
    .map(|name| (name, section(name)))
    .collect();
    let mut raw = RawConfig::default();
    for (name, value) in parts {
        let Some(value) = value else { continue };
        let read = match name {
            "acd" => typed(value).map(|v| raw.acd = v),
            "wfm" => typed(value).map(|v| raw.wfm = v),
            "buffer" => typed(value).map(|v| raw.buffer = v),
            "reports" => typed(value).map(|v| raw.reports = v),
            "queues" => typed(value).map(|v| raw.queues = v),
            "media" => typed(value).map(|v| raw.media = v),
            "states" => typed(value).map(|v| raw.states = v),
            "admin" => typed(value).map(|v| raw.admin = v),
            "webhook" => typed(value).map(|v| raw.webhook = v),
            _ => typed(value).map(|v| raw.log = v),
        };
        if let Err(e) = read {
            errors.push(from_config_error(e, origin, overrides, Some(name)));
        }
    }
    raw
}

/// One section of the merged configuration into its raw schema.
fn typed<T: serde::de::DeserializeOwned>(value: config::Value) -> Result<T, config::ConfigError> {
    value.try_deserialize()
}

/// Rewrites a `config` crate error in our words. Its own messages can quote a whole TOML line (and
/// so a secret); only type errors, which quote the one value at a key, are passed on — and secret
/// keys take any scalar, so they never produce one.
/// `section`: the error was read inside that section, so its key is relative to it.
fn from_config_error(
    e: config::ConfigError,
    origin: &str,
    overrides: &EnvOverrides,
    section: Option<&str>,
) -> ConfigError {
    let (key, message) = match e {
        config::ConfigError::Type {
            unexpected,
            expected,
            key,
            ..
        } => (key, format!("expected {expected}, found {unexpected}")),
        config::ConfigError::At { error, key, .. } => {
            let inner = from_config_error(*error, origin, overrides, None);
            let message = match inner {
                ConfigError::Invalid { message, .. } => message,
                _ => "has a value of the wrong type".into(),
            };
            (key, message)
        }
        // serde's own messages (`expected a whole number, found 2.5`, `invalid type: string …,
        // expected a sequence`) quote at most the value of the non-secret key at fault.
        config::ConfigError::Message(message) => (None, message),
        config::ConfigError::NotFound(key) => (Some(key), "is missing".into()),
        _ => (None, "cannot be read as a configuration".into()),
    };
    let key = match (section, key) {
        (Some(s), Some(k)) if !k.is_empty() => format!("{s}.{k}"),
        (Some(s), _) => s.to_string(),
        (None, k) => k.unwrap_or_default(),
    };
    let (section, name) = split_key(&key);
    let at = match overrides.set_by.get(&key) {
        Some(var) => Location::new(&format!("${var}"), &section, &name),
        None => Location::new(origin, &section, &name),
    };
    ConfigError::Invalid { at, message }
}

/// `acd.page_size` → (`acd`, `page_size`); `queues.Support.EU.sl_threshold_sec` →
/// (`queues."Support.EU"`, `sl_threshold_sec`).
fn split_key(key: &str) -> (String, String) {
    let parts: Vec<&str> = key.split('.').collect();
    match parts.as_slice() {
        [] | [""] => (String::new(), String::new()),
        [only] => (String::new(), (*only).to_string()),
        [section, middle @ .., last] if NAMED_SECTIONS.contains(section) && !middle.is_empty() => (
            format!("{section}.{:?}", middle.join(".")),
            (*last).to_string(),
        ),
        [section, rest @ ..] => ((*section).to_string(), rest.join(".")),
    }
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path, key: &str, warnings: &mut Vec<String>) {
    use std::os::unix::fs::PermissionsExt;
    let Ok(meta) = std::fs::metadata(path) else {
        return;
    };
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        warnings.push(format!(
            "{}: holds a secret ({key}) but is readable by group or others (mode {mode:04o}); \
             chmod 600 it, or move the secret to a *_file or a systemd credential",
            path.display()
        ));
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_path: &Path, _key: &str, _warnings: &mut Vec<String>) {}

#[cfg(test)]
mod tests {
    use super::*;

    const NO_SECRETS: &str = r#"
[acd]
workspace_sid = "WS0123456789abcdef0123456789abcdef"
username = "SKtest"
password_file = "/nonexistent/acd-password"

[wfm]
service_url = "https://wfm.example.com"
tenant_name = "acme"
access_key_id = "key-1"

[buffer]
path = "/var/lib/wfm-connector/buffer.db"
"#;

    #[test]
    fn a_local_load_needs_no_secrets_but_the_full_load_does() {
        let local = load_local_from_str(NO_SECRETS, "config.toml", &[]).unwrap();
        assert_eq!(
            local.config.buffer.path,
            Path::new("/var/lib/wfm-connector/buffer.db")
        );
        let err = load_from_str(NO_SECRETS, "config.toml", &[], None).unwrap_err();
        assert!(err.to_string().contains("[acd] password_file"), "{err}");
    }

    #[test]
    fn a_local_load_still_checks_every_other_key() {
        let bad = NO_SECRETS.replace("https://wfm", "http://wfm");
        let err = load_local_from_str(&bad, "config.toml", &[]).unwrap_err();
        assert!(err.to_string().contains("[wfm] service_url"), "{err}");
    }

    #[test]
    fn split_key_keeps_dotted_entry_names_together() {
        assert_eq!(
            split_key("acd.page_size"),
            ("acd".into(), "page_size".into())
        );
        assert_eq!(
            split_key("queues.Support.EU.sl_threshold_sec"),
            ("queues.\"Support.EU\"".into(), "sl_threshold_sec".into())
        );
        assert_eq!(
            split_key("media.channels.x"),
            ("media".into(), "channels.x".into())
        );
    }
}
