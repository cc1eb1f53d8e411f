//! Twilio's request signature for JSON bodies, both ways: [`Verifier`] checks the requests the
//! webhook receives, [`sign`] makes them (the `sim acd` pusher, the tests).
//!
//! The rule (Twilio's webhook security page and its helper libraries' `validateRequestWithBody`):
//! Twilio appends `bodySHA256=<lowercase hex SHA-256 of the body>` to the query of the sink URL,
//! calls that URL, and sends `X-Twilio-Signature: base64(HMAC-SHA1(auth token, the full URL))`.
//! A request is genuine when the signature matches the URL and the body hashes to `bodySHA256`.
//! The helpers accept the URL with and without its port (Twilio's signing has been inconsistent
//! about `:443`); so does [`Verifier`]. Both comparisons are constant-time.
//!
//! The URL checked is `public_url` (scheme, host, port, path: what Twilio was configured with)
//! followed by the query as received, never the `Host` header or the path a proxy forwarded: a
//! request is only ever checked against what the operator configured.

use crate::secret::Secret;
use aws_lc_rs::{constant_time, digest, hmac};
use base64::prelude::{BASE64_STANDARD, Engine as _};

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "x-twilio-signature";
/// The query parameter carrying the body's hash.
pub const BODY_HASH_PARAM: &str = "bodySHA256";

/// Lowercase hex SHA-256 of `body`, as `bodySHA256` carries it.
pub fn body_sha256_hex(body: &[u8]) -> String {
    let d = digest::digest(&digest::SHA256, body);
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// `base64(HMAC-SHA1(auth_token, url))`: the `X-Twilio-Signature` of a request to `url`.
pub fn signature(auth_token: &str, url: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, auth_token.as_bytes());
    BASE64_STANDARD.encode(hmac::sign(&key, url.as_bytes()).as_ref())
}

/// What Twilio does to send `body` to the sink `url`: the URL it calls (with `bodySHA256`) and
/// the signature header of that call.
pub fn sign(auth_token: &str, url: &str, body: &[u8]) -> (String, String) {
    let sep = if url.contains('?') { '&' } else { '?' };
    let called = format!("{url}{sep}{BODY_HASH_PARAM}={}", body_sha256_hex(body));
    let sig = signature(auth_token, &called);
    (called, sig)
}

/// Why a request is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthError {
    /// No `X-Twilio-Signature`, or one that does not match: not from Twilio, or another token,
    /// or another URL.
    Forged,
    /// Signed, but without `bodySHA256`: the signature does not cover the body.
    UnsignedBody,
    /// Signed, but the body is not the one `bodySHA256` names.
    AlteredBody,
}

/// Checks requests against `public_url` and the auth token. Holds the HMAC key, never the token.
pub struct Verifier {
    key: hmac::Key,
    /// `public_url` without its query, with and without the port.
    bases: Vec<String>,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("bases", &self.bases)
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// A verifier for the sink `public_url` (validated by the config loader).
    pub fn new(public_url: &str, auth_token: &Secret) -> Verifier {
        let key = hmac::Key::new(
            hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
            auth_token.expose().as_bytes(),
        );
        Verifier {
            key,
            bases: bases(public_url),
        }
    }

    /// Checks one request: its raw query (`None`: none), its signature header and its body.
    pub fn verify(
        &self,
        query: Option<&str>,
        signature: Option<&str>,
        body: &[u8],
    ) -> Result<(), AuthError> {
        let tag = signature
            .and_then(|s| BASE64_STANDARD.decode(s.trim()).ok())
            .ok_or(AuthError::Forged)?;
        let signed = self.bases.iter().any(|base| {
            let url = match query {
                Some(q) => format!("{base}?{q}"),
                None => base.clone(),
            };
            hmac::verify(&self.key, url.as_bytes(), &tag).is_ok()
        });
        if !signed {
            return Err(AuthError::Forged);
        }
        let claimed = query
            .and_then(body_hash_param)
            .ok_or(AuthError::UnsignedBody)?;
        let actual = body_sha256_hex(body);
        constant_time::verify_slices_are_equal(
            claimed.to_ascii_lowercase().as_bytes(),
            actual.as_bytes(),
        )
        .map_err(|_| AuthError::AlteredBody)
    }
}

/// The first `bodySHA256` of a raw query (a hex string needs no percent-decoding).
fn body_hash_param(query: &str) -> Option<&str> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == BODY_HASH_PARAM).then_some(v)
    })
}

/// `scheme://host[:port]/path` of `public_url`, without and with the port (the default one when
/// the URL names none), as Twilio's helpers try both.
fn bases(public_url: &str) -> Vec<String> {
    let Ok(url) = reqwest::Url::parse(public_url) else {
        return vec![public_url.split('?').next().unwrap_or_default().to_string()];
    };
    let scheme = url.scheme();
    let host = url.host_str().unwrap_or_default();
    let path = url.path();
    let mut out = vec![format!("{scheme}://{host}{path}")];
    if let Some(port) = url.port_or_known_default() {
        out.push(format!("{scheme}://{host}:{port}{path}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Twilio's own test vector (twilio-python `tests/unit/test_request_validator.py`).
    const TOKEN: &str = "12345";
    const BODY: &str = "{\"property\": \"value\", \"boolean\": true}";
    const BODY_HASH: &str = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620";
    const SIGNATURE: &str = "a9nBmqA0ju/hNViExpshrM61xv4=";

    fn verifier(url: &str) -> Verifier {
        Verifier::new(url, &Secret::new(TOKEN))
    }

    #[test]
    fn twilios_published_example_verifies() {
        assert_eq!(body_sha256_hex(BODY.as_bytes()), BODY_HASH);
        let query = format!("foo=1&bar=2&bodySHA256={BODY_HASH}");
        let v = verifier("https://mycompany.com/myapp.php?foo=1&bar=2");
        assert_eq!(
            v.verify(Some(&query), Some(SIGNATURE), BODY.as_bytes()),
            Ok(())
        );
        // The same request to the URL written with its port.
        let v = verifier("https://mycompany.com:443/myapp.php");
        assert_eq!(
            v.verify(Some(&query), Some(SIGNATURE), BODY.as_bytes()),
            Ok(())
        );
    }

    #[test]
    fn sign_makes_what_verify_accepts() {
        let url = "http://127.0.0.1:9465/twilio/events";
        let body = br#"[{"specversion":"1.0"}]"#;
        let (called, sig) = sign("tok", url, body);
        let query = called.split_once('?').map(|(_, q)| q);
        let v = Verifier::new(url, &Secret::new("tok"));
        assert_eq!(v.verify(query, Some(&sig), body), Ok(()));
        let (called, _) = sign("tok", "https://h/x?a=1", body);
        assert!(
            called.starts_with("https://h/x?a=1&bodySHA256="),
            "{called}"
        );
    }

    #[test]
    fn forged_unsigned_and_altered_requests_are_told_apart() {
        let query = format!("foo=1&bar=2&bodySHA256={BODY_HASH}");
        let v = verifier("https://mycompany.com/myapp.php");
        let body = BODY.as_bytes();
        let forged = Err(AuthError::Forged);
        assert_eq!(v.verify(Some(&query), None, body), forged);
        assert_eq!(v.verify(Some(&query), Some("not base64!"), body), forged);
        let other_token = Verifier::new("https://mycompany.com/myapp.php", &Secret::new("x"));
        assert_eq!(
            other_token.verify(Some(&query), Some(SIGNATURE), body),
            forged
        );
        let other_url = verifier("https://mycompany.com/other.php");
        assert_eq!(
            other_url.verify(Some(&query), Some(SIGNATURE), body),
            forged
        );
        // A query changed after signing is a forgery too.
        let changed = query.replace("foo=1", "foo=2");
        assert_eq!(v.verify(Some(&changed), Some(SIGNATURE), body), forged);
        assert_eq!(
            v.verify(Some(&query), Some(SIGNATURE), b"{\"property\": \"other\"}"),
            Err(AuthError::AlteredBody)
        );
        let sig = signature(TOKEN, "https://mycompany.com/myapp.php?foo=1");
        assert_eq!(
            v.verify(Some("foo=1"), Some(&sig), body),
            Err(AuthError::UnsignedBody)
        );
    }
}
