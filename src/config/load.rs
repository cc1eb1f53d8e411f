//! Loading: read the file, check its keys against the schema, write the environment over it,
//! read it into the section structs and validate them (`check` of each section). [`load`] is
//! the daemon's entry point; it reads the process environment and `$CREDENTIALS_DIRECTORY`, then
//! calls [`load_from_str`], which takes all of that as parameters so tests never touch the
//! process environment.
//!
//! [`load_local`] / [`load_local_from_str`] are the same load without the secrets, for the
//! commands that only work on the buffer (`status`, `replay`): they validate every other key and
//! return a [`LocalConfig`], which has no `[acd]` or `[wfm]` section to talk to a peer with.

use super::ctx::{Ctx, Secrets};
use super::env::{ENV_PREFIX, collect};
use super::error::{ConfigError, Location, syntax_error};
use super::schema::Schema;
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
        warn_if_readable_by_others(path, &key, &mut loaded.warnings);
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
) -> Result<(Loaded, Option<String>), ConfigError> {
    let mut table: toml::Table =
        toml::from_str(text).map_err(|e| syntax_error(origin, text, &e))?;
    let schema = Schema::of_config();
    // Every problem is collected, not just the first: unknown keys and variables are reported
    // first and left out, then each value is read and checked on its own.
    let mut early = schema.check_file_keys(&mut table, origin);
    let inline = inline_secret(&schema, &table);
    let (overrides, env_errors) = collect(env, &schema);
    early.extend(env_errors);
    overrides.apply(&mut table);
    let mut ctx = Ctx {
        origin,
        set_by: &overrides.set_by,
        credentials_dir,
        secrets,
        warnings: Vec::new(),
        errors: Vec::new(),
    };
    let mut config = schema.read(table, &mut ctx);
    config.check(&mut ctx);
    // Then section by section, in the order of the documentation.
    ctx.errors.sort_by_key(|e| schema.rank(e));
    early.append(&mut ctx.errors);
    if let Some(e) = ConfigError::from_list(early) {
        return Err(e);
    }
    let warnings = ctx.warnings;
    Ok((Loaded { config, warnings }, inline))
}

/// The first secret the file holds inline, as `[section] key`: a secret is a key that has a
/// `*_file` companion.
fn inline_secret(schema: &Schema, table: &toml::Table) -> Option<String> {
    schema.sections.iter().find_map(|section| {
        let body = table.get(&section.name)?.as_table()?;
        let key = section.keys.iter().find(|key| {
            section.keys.contains(&format!("{key}_file")) && body.contains_key(key.as_str())
        })?;
        Some(format!("[{}] {key}", section.name))
    })
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
}
