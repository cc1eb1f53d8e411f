//! One authenticated request to CXone WFM and what its answer means (the table of SPEC §6).
//!
//! | answer | result |
//! |---|---|
//! | 200/202 `ACCEPTED`, 409 | `Ok(Delivery::Accepted)` |
//! | 200/202 `PARTIAL` | `Ok(Delivery::Partial(items))` |
//! | 400/422 (or a 200 `REJECTED`), other 4xx | `Ok(Delivery::Rejected(error))` |
//! | 401 | new token once and retry at once; still 401 → `Err(Unauthorized)` (retried with backoff) |
//! | 403, 404 | `Err(Configuration)` (retried with backoff, logged at error) |
//! | 408, 429, 5xx, timeout, connection error | `Err(Unavailable / Transport)` with `Retry-After` |

use super::dto::WfmResponse;
use super::token::TokenSource;
use super::{Delivery, WfmError};
use crate::config::WfmConfig;
use crate::metrics::Metrics;
use crate::secret::Secret;
use crate::transport::describe;
use reqwest::StatusCode;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The HTTP half of the client (shared with the token source).
#[derive(Debug)]
pub(crate) struct Http {
    client: reqwest::Client,
    base: String,
    pub metrics: Metrics,
}

impl Http {
    /// `POST` to an auth endpoint (no bearer) and parse the JSON answer.
    pub async fn auth_call<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, WfmError> {
        let resp = self
            .client
            .post(format!("{}{path}", self.base))
            .header(reqwest::header::ACCEPT, "application/json")
            .json(body)
            .send()
            .await
            .map_err(|e| WfmError::Transport(describe(&e)))?;
        let status = resp.status();
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            return Err(WfmError::Unauthorized(status.as_u16()));
        }
        if !status.is_success() {
            return Err(unavailable_or_config(status, path, &resp));
        }
        resp.json::<T>()
            .await
            .map_err(|e| WfmError::Malformed(format!("{path}: {}", describe(&e))))
    }
}

/// A client for one WFM tenant.
#[derive(Debug)]
pub struct WfmClient {
    http: Http,
    tokens: TokenSource,
}

impl WfmClient {
    pub fn new(cfg: &WfmConfig, metrics: Metrics) -> Result<Self, WfmError> {
        let client = reqwest::Client::builder()
            .timeout(cfg.request_timeout)
            .connect_timeout(cfg.request_timeout.min(std::time::Duration::from_secs(10)))
            .user_agent(concat!("wfm-connector/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| WfmError::Transport(e.to_string()))?;
        Ok(WfmClient {
            http: Http {
                client,
                base: cfg.service_url.trim_end_matches('/').to_string(),
                metrics,
            },
            tokens: TokenSource {
                tenant_name: cfg.tenant_name.clone(),
                access_key_id: cfg.access_key_id.clone(),
                access_key_secret: cfg.access_key_secret.clone(),
                refresh_ahead: cfg.token_refresh_ahead,
                current: tokio::sync::Mutex::new(None),
            },
        })
    }

    /// Gets a token now (for `check-config --connect` and start-up diagnostics).
    pub async fn authenticate(&self) -> Result<(), WfmError> {
        self.tokens.bearer(&self.http).await.map(|_| ())
    }

    /// One delivery attempt: `POST path` with `body` (already JSON) and `Idempotency-Key: key`.
    pub async fn post(&self, path: &str, key: &str, body: &str) -> Result<Delivery, WfmError> {
        let started = std::time::Instant::now();
        let token = self.tokens.bearer(&self.http).await?;
        let mut resp = self.send(path, key, body, &token).await?;
        if resp.status() == StatusCode::UNAUTHORIZED {
            // Expired or revoked: one new token, one immediate retry.
            self.tokens.invalidate(&token).await;
            let token = self.tokens.bearer(&self.http).await?;
            resp = self.send(path, key, body, &token).await?;
            if resp.status() == StatusCode::UNAUTHORIZED {
                self.tokens.invalidate(&token).await;
                return Err(WfmError::Unauthorized(401));
            }
        }
        let out = interpret(path, resp).await;
        self.http
            .metrics
            .push_latency_seconds
            .observe(started.elapsed().as_secs_f64());
        out
    }

    async fn send(
        &self,
        path: &str,
        key: &str,
        body: &str,
        token: &Secret,
    ) -> Result<reqwest::Response, WfmError> {
        self.http
            .client
            .post(format!("{}{path}", self.http.base))
            .header(reqwest::header::ACCEPT, "application/json")
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("Idempotency-Key", key)
            .bearer_auth(token.expose())
            .body(body.to_string())
            .send()
            .await
            .map_err(|e| WfmError::Transport(describe(&e)))
    }
}

/// Maps an answer to a [`Delivery`] or an error that keeps the item buffered.
async fn interpret(path: &str, resp: reqwest::Response) -> Result<Delivery, WfmError> {
    let status = resp.status();
    match status.as_u16() {
        200 | 202 => {
            let text = resp
                .text()
                .await
                .map_err(|e| WfmError::Transport(describe(&e)))?;
            // An empty 2xx body means accepted.
            if text.trim().is_empty() {
                return Ok(Delivery::Accepted);
            }
            let body: WfmResponse = serde_json::from_str(&text)
                .map_err(|e| WfmError::Malformed(format!("{path}: {e}")))?;
            match body.status.as_deref().unwrap_or("ACCEPTED") {
                "PARTIAL" => Ok(Delivery::Partial(
                    body.errors
                        .iter()
                        .filter_map(|e| e.index.map(|i| (i, e.describe())))
                        .collect(),
                )),
                "REJECTED" => Ok(Delivery::Rejected(describe_errors(status, &body))),
                _ => Ok(Delivery::Accepted),
            }
        }
        409 => Ok(Delivery::Accepted),
        403 | 404 => Err(WfmError::Configuration {
            status: status.as_u16(),
            path: path.to_string(),
        }),
        408 | 429 => Err(unavailable_or_config(status, path, &resp)),
        s if s >= 500 => Err(unavailable_or_config(status, path, &resp)),
        _ => {
            let text = resp.text().await.unwrap_or_default();
            let body: WfmResponse = serde_json::from_str(&text).unwrap_or_default();
            Ok(Delivery::Rejected(describe_errors(status, &body)))
        }
    }
}

fn describe_errors(status: StatusCode, body: &WfmResponse) -> String {
    let items: Vec<String> = body.errors.iter().map(|e| e.describe()).collect();
    if items.is_empty() {
        format!("HTTP {}", status.as_u16())
    } else {
        format!("HTTP {}: {}", status.as_u16(), items.join("; "))
    }
}

fn unavailable_or_config(status: StatusCode, path: &str, resp: &reqwest::Response) -> WfmError {
    match status.as_u16() {
        403 | 404 => WfmError::Configuration {
            status: status.as_u16(),
            path: path.to_string(),
        },
        s => WfmError::Unavailable {
            status: s,
            retry_after: resp
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| crate::retry::parse_retry_after(v, chrono::Utc::now())),
        },
    }
}
