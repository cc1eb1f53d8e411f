//! The CXone access token: requested with the access key, refreshed ahead of expiry, replaced on
//! a 401. Neither the secret nor any token is ever logged or shown by `Debug`.

use super::WfmError;
use super::dto::{AccessKey, RefreshRequest, RefreshResponse, TokenRequest, TokenResponse};
use crate::secret::Secret;
use std::time::Duration;
use tokio::time::Instant;

/// A token in hand.
#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub access: Secret,
    pub refresh: Option<Secret>,
    pub expires_at: Instant,
}

/// Credentials and the token cache.
#[derive(Debug)]
pub(crate) struct TokenSource {
    pub tenant_name: String,
    pub access_key_id: String,
    pub access_key_secret: Secret,
    pub refresh_ahead: Duration,
    pub current: tokio::sync::Mutex<Option<Token>>,
}

impl TokenSource {
    /// A valid access token: the cached one, a refreshed one, or a new one.
    pub async fn bearer(&self, http: &super::client::Http) -> Result<Secret, WfmError> {
        let mut slot = self.current.lock().await;
        let now = Instant::now();
        if let Some(t) = slot.as_ref() {
            if now + self.refresh_ahead < t.expires_at {
                return Ok(t.access.clone());
            }
            if let Some(refresh) = t.refresh.clone() {
                match self.refresh(http, &refresh).await {
                    Ok(new) => {
                        let access = new.access.clone();
                        *slot = Some(new);
                        http.metrics.token_refreshes.inc();
                        return Ok(access);
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "token refresh failed; requesting a new token")
                    }
                }
            }
        }
        let new = self.request(http).await?;
        let access = new.access.clone();
        *slot = Some(new);
        http.metrics.token_refreshes.inc();
        Ok(access)
    }

    /// Forgets the token (after a 401), unless it was already replaced by another caller.
    pub async fn invalidate(&self, used: &Secret) {
        let mut slot = self.current.lock().await;
        if slot.as_ref().is_some_and(|t| &t.access == used) {
            *slot = None;
        }
    }

    async fn request(&self, http: &super::client::Http) -> Result<Token, WfmError> {
        let body = TokenRequest {
            tenant_name: &self.tenant_name,
            access_key_token_request: AccessKey {
                access_key_id: &self.access_key_id,
                access_key_secret: self.access_key_secret.expose(),
            },
        };
        let resp: TokenResponse = http.auth_call("/auth/token", &body).await?;
        Ok(Token {
            access: Secret::new(resp.access_token),
            refresh: resp.refresh_token.map(Secret::new),
            expires_at: Instant::now() + Duration::from_secs(resp.expires_in.unwrap_or(3600)),
        })
    }

    async fn refresh(
        &self,
        http: &super::client::Http,
        refresh: &Secret,
    ) -> Result<Token, WfmError> {
        let body = RefreshRequest {
            token: refresh.expose(),
        };
        let resp: RefreshResponse = http.auth_call("/auth/refresh", &body).await?;
        Ok(Token {
            access: Secret::new(resp.token),
            refresh: resp
                .refresh_token
                .map(Secret::new)
                .or(Some(refresh.clone())),
            expires_at: Instant::now()
                + Duration::from_secs(resp.token_expiration_time_sec.unwrap_or(3600)),
        })
    }
}
