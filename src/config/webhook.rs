//! `[webhook]`: the push path (SPEC §12), from its raw form to [`WebhookConfig`]. Off unless
//! `listen` is set; then `public_url` and the Twilio auth token (inline, `auth_token_file` or the
//! systemd credential `twilio-auth-token`) are required.
//!
//! `public_url` is the sink URL configured at Twilio: its path is the path served, and the
//! signature of every request covers it. The listener itself speaks plain HTTP behind the
//! operator's TLS terminator, so a `public_url` that is not https is allowed but warned about.

use super::WebhookConfig;
use super::build::Ctx;
use super::defaults as d;
use super::error::ConfigError;
use super::raw::RawWebhook;
use super::secrets::{SecretSources, resolve};

const S: &str = "webhook";

/// `None` when the section is absent or `listen` is `"off"` / `""`.
pub(crate) fn webhook(
    raw: RawWebhook,
    ctx: &mut Ctx<'_>,
) -> Result<Option<WebhookConfig>, ConfigError> {
    let listen = match raw.listen.as_deref().map(str::trim) {
        None | Some("") => return Ok(None),
        Some(off) if off.eq_ignore_ascii_case("off") => return Ok(None),
        Some(text) => text.parse().map_err(|_| {
            let message = format!(
                "{text:?} is not an address; write IP:port, e.g. \"0.0.0.0:9465\", or \"off\""
            );
            ctx.invalid(S, "listen", message)
        })?,
    };
    let text = ctx.required(S, "public_url", raw.public_url)?;
    let path = public_path(&text).map_err(|message| ctx.invalid(S, "public_url", message))?;
    if !text.to_ascii_lowercase().starts_with("https://") {
        let at = ctx.at(S, "public_url");
        ctx.warn(format!(
            "{at}: {text:?} is not https: Twilio would send the events, and the signature that \
             protects them, in clear; put a TLS terminator in front of [webhook] listen"
        ));
    }
    let auth_token = resolve(
        ctx,
        SecretSources {
            section: S,
            key: "auth_token",
            inline: raw.auth_token,
            file: raw.auth_token_file,
            credential: d::TWILIO_AUTH_TOKEN_CREDENTIAL,
        },
    )?;
    Ok(Some(WebhookConfig {
        listen,
        public_url: text,
        path,
        auth_token,
    }))
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
