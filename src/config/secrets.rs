//! Where the secrets (`[acd] password`, `[wfm] access_key_secret`, `[webhook] auth_token`) come
//! from.
//!
//! Precedence, first found wins: inline (file or environment) > `*_file` path > systemd credential
//! `$CREDENTIALS_DIRECTORY/<name>` (`LoadCredential=` in the unit). A secret read from a file loses
//! its trailing newline and nothing else: `007` stays `007`. Errors name the key and the path,
//! never the content. Commands that only read the buffer (`status`, `replay`) load without them
//! ([`Secrets::Skip`]): the secrets may live in systemd credentials that a shell does not have.

use super::ctx::{Ctx, Secrets};
use super::error::ConfigError;
use crate::secret::Secret;
use std::path::{Path, PathBuf};

/// One secret key and its two alternatives, as the loader found them.
pub(crate) struct SecretSources<'a> {
    pub section: &'a str,
    /// `password` or `access_key_secret`.
    pub key: &'a str,
    pub inline: Option<Secret>,
    pub file: Option<String>,
    /// The systemd credential name, e.g. `acd-password`.
    pub credential: &'a str,
}

/// Resolves a secret by precedence; none given is an error naming the key and the ways to give it.
/// A load with [`Secrets::Skip`] reads nothing and gets an empty placeholder, which
/// [`super::load::load_local`] drops with the `[acd]` and `[wfm]` sections.
pub(crate) fn resolve(ctx: &mut Ctx<'_>, src: SecretSources<'_>) -> Result<Secret, ConfigError> {
    if ctx.secrets == Secrets::Skip {
        return Ok(Secret::new(""));
    }
    let file_key = format!("{}_file", src.key);
    if let Some(secret) = src.inline {
        if src.file.is_some() {
            let at = ctx.at(src.section, &file_key);
            ctx.warn(format!(
                "{at}: ignored, because {} is also set and takes precedence",
                src.key
            ));
        }
        if secret.is_empty() {
            return Err(ctx.invalid(src.section, src.key, "is empty".into()));
        }
        return Ok(secret);
    }
    if let Some(path) = src.file {
        if path.trim().is_empty() {
            return Err(ctx.invalid(src.section, &file_key, "is empty".into()));
        }
        return read_secret(ctx, src.section, &file_key, Path::new(&path));
    }
    if let Some(dir) = ctx.credentials_dir {
        let path = dir.join(src.credential);
        if path.exists() {
            return read_secret(ctx, src.section, src.key, &path);
        }
    }
    Err(ConfigError::Missing {
        at: ctx.at(src.section, src.key),
        hint: format!(
            "; set {key} = \"…\", {key}_file = \"/path\", or the systemd credential \"{cred}\" \
             (LoadCredential={cred}:/path)",
            key = src.key,
            cred = src.credential
        ),
    })
}

fn read_secret(
    ctx: &Ctx<'_>,
    section: &str,
    key: &str,
    path: &Path,
) -> Result<Secret, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::SecretFile {
        at: ctx.at(section, key),
        path: PathBuf::from(path),
        source,
    })?;
    let value = text.trim_end_matches(['\n', '\r']);
    if value.is_empty() {
        return Err(ctx.invalid(section, key, format!("{} is empty", path.display())));
    }
    Ok(Secret::new(value))
}
