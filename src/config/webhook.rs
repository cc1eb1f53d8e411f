//! `[webhook]`: the push path (SPEC §12). Off unless `listen` is set; then `public_url` and the
//! Twilio auth token (inline, `auth_token_file` or the systemd credential `twilio-auth-token`)
//! are required. The doc comment of each field is the operator's documentation of its key.
//!
//! `public_url` is the sink URL configured at Twilio: its path is the path served, and the
//! signature of every request covers it. The listener itself speaks plain HTTP behind the
//! operator's TLS terminator, so a `public_url` that is not https is allowed but warned about.
//! [`crate::webhook`] serves it.

use super::ctx::Ctx;
use super::secrets::{SecretSources, resolve};
use super::values::{self, addr_or_off};
use crate::secret::Secret;
use serde::de::Error;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::net::SocketAddr;

/// `[webhook]`: where Twilio Event Streams pushes TaskRouter events (a webhook sink).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// Where this daemon accepts the pushes: a plain-HTTP listener, behind the operator's TLS
    /// terminator. `"off"` (the default) or `""` turns the push path off.
    #[serde(default = "unspecified", with = "listen")]
    pub listen: SocketAddr,
    /// REQUIRED with `listen`. The sink URL exactly as configured at Twilio; every signature
    /// covers it.
    #[serde(default)]
    pub public_url: String,
    /// The path of `public_url`: the only path served.
    #[serde(skip)]
    pub path: String,
    /// REQUIRED with `listen`, one of: the Twilio account's Auth Token (it signs every request,
    /// `X-Twilio-Signature`) inline, `auth_token_file`, or the systemd credential
    /// `twilio-auth-token`.
    #[serde(default, deserialize_with = "values::secret")]
    pub auth_token: Secret,
    /// A file holding the Auth Token.
    #[serde(default, skip_serializing)]
    pub auth_token_file: Option<String>,
}

/// Stands in for `listen` while the push path is off (the section is then `None`).
fn unspecified() -> SocketAddr {
    SocketAddr::from(([0, 0, 0, 0], 0))
}

mod listen {
    use super::*;
    pub fn serialize<S: Serializer>(addr: &SocketAddr, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(addr)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SocketAddr, D::Error> {
        let text = String::deserialize(d)?;
        let addr = addr_or_off::parse(&text, "0.0.0.0:9465").map_err(D::Error::custom)?;
        Ok(addr.unwrap_or_else(unspecified))
    }
}

/// `#[serde(with = "webhook::section")]`: the section, `None` when `listen` is absent, `"off"` or
/// `""` (every key is still read, so a typo in an unused section is still refused).
pub(crate) mod section {
    use super::*;

    pub fn serialize<S: Serializer>(w: &Option<WebhookConfig>, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Off {
            listen: &'static str,
        }
        match w {
            Some(w) => w.serialize(s),
            None => Off { listen: "off" }.serialize(s),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<WebhookConfig>, D::Error> {
        let table = toml::Table::deserialize(d)?;
        let on = match table.get("listen") {
            Some(toml::Value::String(text)) => {
                addr_or_off::parse(text, "").is_ok_and(|a| a.is_some())
            }
            Some(_) => true,
            None => false,
        };
        let webhook = WebhookConfig::deserialize(toml::Value::Table(table))
            .map_err(|e| D::Error::custom(e.message()))?;
        Ok(on.then_some(webhook))
    }
}

impl WebhookConfig {
    /// The required keys, the path served, and the token. A problem leaves the push path off.
    pub(crate) fn check(mut self, ctx: &mut Ctx<'_>) -> Option<WebhookConfig> {
        const S: &str = "webhook";
        if !ctx.require(S, "public_url", &mut self.public_url) {
            return None;
        }
        let text = self.public_url.clone();
        let path = public_path(&text).map_err(|message| ctx.invalid(S, "public_url", message));
        self.path = ctx.check(path)?;
        if !text.to_ascii_lowercase().starts_with("https://") {
            let at = ctx.at(S, "public_url");
            ctx.warn(format!(
                "{at}: {text:?} is not https: Twilio would send the events, and the signature that \
                 protects them, in clear; put a TLS terminator in front of [webhook] listen"
            ));
        }
        let token = resolve(
            ctx,
            SecretSources {
                section: S,
                key: "auth_token",
                inline: Some(self.auth_token.clone()).filter(|t| !t.is_empty()),
                file: self.auth_token_file.clone(),
                credential: "twilio-auth-token",
            },
        );
        self.auth_token = ctx.check(token)?;
        Some(self)
    }
}

/// The path served for `public_url`, or why the URL cannot be a sink URL.
fn public_path(text: &str) -> Result<String, String> {
    let url = reqwest::Url::parse(text).map_err(|e| format!("{text:?} is not a URL: {e}"))?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err(format!(
            "{text:?}: scheme {:?} is not supported; use https",
            url.scheme()
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("{text:?} has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!(
            "{:?} holds credentials: leave them out, every request is authenticated by its \
             Twilio signature",
            redact_userinfo(&url)
        ));
    }
    if url.fragment().is_some() {
        return Err(format!("{text:?} has a #fragment, which HTTP never sends"));
    }
    if url.query_pairs().any(|(k, _)| k == "bodySHA256") {
        return Err(format!(
            "{text:?} already has a bodySHA256 parameter, which Twilio adds itself"
        ));
    }
    Ok(url.path().to_string())
}

fn redact_userinfo(url: &reqwest::Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.to_string()
}

#[cfg(test)]
mod tests {
    use super::public_path;

    #[test]
    fn the_path_served_is_the_path_of_the_public_url() {
        assert_eq!(
            public_path("https://c.example.com/twilio/events").unwrap(),
            "/twilio/events"
        );
        assert_eq!(public_path("https://c.example.com").unwrap(), "/");
        assert_eq!(
            public_path("https://c.example.com/hook?sink=1").unwrap(),
            "/hook"
        );
    }

    #[test]
    fn urls_twilio_cannot_sign_as_given_are_refused() {
        for bad in [
            "c.example.com/x",
            "ftp://c.example.com/x",
            "https://c.example.com/x#f",
            "https://c.example.com/x?bodySHA256=00",
        ] {
            assert!(public_path(bad).is_err(), "{bad}");
        }
        let e = public_path("https://user:hunter2@c.example.com/x").unwrap_err();
        assert!(!e.contains("hunter2"), "{e}");
    }
}
