//! Tokens of the WFM simulator: issued for the right access key, refreshed with a refresh token,
//! expired by the options' clock (so tests move time instead of sleeping), revoked on demand.
//!
//! Tokens are random opaque strings; they are never logged.

use crate::model::Millis;
use std::collections::HashMap;
use std::time::Duration;

/// A fresh set of tokens, as the auth endpoints hand them out.
#[derive(Debug, Clone)]
pub struct IssuedTokens {
    pub access_token: String,
    pub refresh_token: String,
    pub id_token: String,
    /// Lifetime of the access token, in whole seconds.
    pub expires_in_sec: u64,
    /// Lifetime of the refresh token, in whole seconds.
    pub refresh_expires_in_sec: u64,
}

/// Every live token with its expiry (clock milliseconds).
#[derive(Debug)]
pub struct TokenStore {
    access: HashMap<String, Millis>,
    refresh: HashMap<String, Millis>,
    lifetime: Duration,
    refresh_lifetime: Duration,
}

impl TokenStore {
    pub fn new(lifetime: Duration, refresh_lifetime: Duration) -> TokenStore {
        TokenStore {
            access: HashMap::new(),
            refresh: HashMap::new(),
            lifetime,
            refresh_lifetime,
        }
    }

    /// Applies to tokens issued from now on; live tokens keep their expiry.
    pub fn set_lifetime(&mut self, lifetime: Duration) {
        self.lifetime = lifetime;
    }

    /// Issues a new access token and refresh token, valid from `now`.
    pub fn issue(&mut self, now: Millis) -> IssuedTokens {
        // Forget expired tokens here, so the maps stay as small as the set of live tokens.
        self.access.retain(|_, expires| *expires > now);
        self.refresh.retain(|_, expires| *expires > now);
        let tokens = IssuedTokens {
            access_token: random_token("at"),
            refresh_token: random_token("rt"),
            id_token: random_token("id"),
            expires_in_sec: self.lifetime.as_secs(),
            refresh_expires_in_sec: self.refresh_lifetime.as_secs(),
        };
        self.access
            .insert(tokens.access_token.clone(), now + millis(self.lifetime));
        self.refresh.insert(
            tokens.refresh_token.clone(),
            now + millis(self.refresh_lifetime),
        );
        tokens
    }

    /// Exchanges a live refresh token for new tokens. A refresh token is good for one use: the
    /// used one is forgotten (rotation), so a replayed refresh token gets `None` (→ 401).
    pub fn refresh(&mut self, refresh_token: &str, now: Millis) -> Option<IssuedTokens> {
        let expires = self.refresh.remove(refresh_token)?;
        (expires > now).then(|| self.issue(now))
    }

    /// Is `access_token` a token we issued that has not expired or been revoked?
    pub fn is_valid(&self, access_token: &str, now: Millis) -> bool {
        self.access
            .get(access_token)
            .is_some_and(|expires| *expires > now)
    }

    /// Forgets every access and refresh token: the next data call is 401 until the client
    /// authenticates again with its access key.
    pub fn revoke_all(&mut self) {
        self.access.clear();
        self.refresh.clear();
    }
}

fn millis(d: Duration) -> Millis {
    Millis::try_from(d.as_millis()).unwrap_or(Millis::MAX / 2)
}

fn random_token(kind: &str) -> String {
    let random: String = std::iter::repeat_with(fastrand::alphanumeric)
        .take(40)
        .collect();
    format!("simwfm-{kind}-{random}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_token_expires_at_its_lifetime() {
        let mut store = TokenStore::new(Duration::from_secs(10), Duration::from_secs(100));
        let t = store.issue(1_000);
        assert!(store.is_valid(&t.access_token, 10_999));
        assert!(!store.is_valid(&t.access_token, 11_000));
        assert!(!store.is_valid("made-up", 1_000));
    }

    #[test]
    fn refresh_token_is_single_use() {
        let mut store = TokenStore::new(Duration::from_secs(10), Duration::from_secs(100));
        let t = store.issue(0);
        assert!(store.refresh(&t.refresh_token, 5_000).is_some());
        assert!(store.refresh(&t.refresh_token, 5_000).is_none());
    }
}
