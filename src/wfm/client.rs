//! One authenticated request to CXone WFM and what its answer means (the table of SPEC §6).
//!
//! | answer | result |
//! |---|---|
//! | 200/202 `ACCEPTED`, 409 | `Ok(Delivery::Accepted)` |
//! | 200/202 `PARTIAL` naming items of the request | `Ok(Delivery::Partial(items))` |
//! | 200/202 empty, `{}`, not JSON, unknown status, PARTIAL outside the request; 1xx, 3xx, other 2xx | `Err(BadAnswer)` (retried with backoff; counted in `wfm_bad_answers`) |
//! | 400/422 (or a 200 `REJECTED`), other 4xx | `Ok(Delivery::Rejected(error))` |
//! | 401 | new token once and retry at once; still 401 → `Err(Unauthorized)` (retried with backoff) |
//! | 403, 404 | `Err(Configuration)` (retried with backoff, logged at error) |
//! | 408, 429, 5xx, timeout, connection error | `Err(Unavailable / Transport)` with `Retry-After` |

use super::answer::{describe_errors, excerpt, judge_success};
use super::dto::WfmResponse;
use super::token::TokenSource;
use super::{Delivery, WfmError};
use crate::config::WfmConfig;
use crate::metrics::Metrics;
use crate::secret::Secret;
use crate::transport::describe;
use axum::body::Bytes;
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
    /// `items` is how many items the request carries (agent states of a batch or snapshot, rows
    /// of a report, 1 for a heartbeat): a PARTIAL naming any other index is not a delivery.
    pub async fn post(
        &self,
        path: &str,
        key: &str,
        body: &str,
        items: usize,
    ) -> Result<Delivery, WfmError> {
        let body = Bytes::copy_from_slice(body.as_bytes());
        self.post_bytes(path, key, &body, items).await
    }

    /// [`WfmClient::post`] with the body already in a shared buffer: every attempt sends the same
    /// bytes without copying them (a snapshot or a report is megabytes at 20,000 agents).
    pub async fn post_bytes(
        &self,
        path: &str,
        key: &str,
        body: &Bytes,
        items: usize,
    ) -> Result<Delivery, WfmError> {
        let started = std::time::Instant::now();
        let mut token = self.tokens.bearer(&self.http).await?;
        let mut resp = self.send(path, key, body, &token).await?;
        if resp.status() == StatusCode::UNAUTHORIZED {
            // Expired or revoked: one new token, one immediate retry.
            self.tokens.invalidate(&token).await;
            token = self.tokens.bearer(&self.http).await?;
            resp = self.send(path, key, body, &token).await?;
            if resp.status() == StatusCode::UNAUTHORIZED {
                self.tokens.invalidate(&token).await;
                return Err(WfmError::Unauthorized(401));
            }
        }
        let secrets = [token.expose(), self.tokens.access_key_secret.expose()];
        let out = interpret(path, resp, items, &secrets).await;
        self.http
            .metrics
            .push_latency_seconds
            .observe(started.elapsed().as_secs_f64());
        if matches!(out, Err(WfmError::BadAnswer { .. })) {
            self.http.metrics.wfm_bad_answers.inc();
        }
        out
    }

    async fn send(
        &self,
        path: &str,
        key: &str,
        body: &Bytes,
        token: &Secret,
    ) -> Result<reqwest::Response, WfmError> {
        self.http
            .client
            .post(format!("{}{path}", self.http.base))
            .header(reqwest::header::ACCEPT, "application/json")
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("Idempotency-Key", key)
            .bearer_auth(token.expose())
            .body(body.clone())
            .send()
            .await
            .map_err(|e| WfmError::Transport(describe(&e)))
    }
}

/// Maps an answer to a [`Delivery`] or an error that keeps the item buffered. `secrets` never
/// reach the excerpt of a bad answer.
async fn interpret(
    path: &str,
    resp: reqwest::Response,
    items: usize,
    secrets: &[&str],
) -> Result<Delivery, WfmError> {
    let status = resp.status();
    let code = status.as_u16();
    match code {
        409 => Ok(Delivery::Accepted),
        403 | 404 => Err(WfmError::Configuration {
            status: code,
            path: path.to_string(),
        }),
        408 | 429 => Err(unavailable_or_config(status, path, &resp)),
        s if s >= 500 => Err(unavailable_or_config(status, path, &resp)),
        400..=499 => {
            let text = resp.text().await.unwrap_or_default();
            let body: WfmResponse = serde_json::from_str(&text).unwrap_or_default();
            Ok(Delivery::Rejected(describe_errors(code, &body)))
        }
        _ => {
            let text = resp
                .text()
                .await
                .map_err(|e| WfmError::Transport(describe(&e)))?;
            let judged = match code {
                200 | 202 => judge_success(code, &text, items).map_err(|bad| bad.0),
                _ => Err("a status outside the contract".to_string()),
            };
            judged.map_err(|reason| WfmError::BadAnswer {
                path: path.to_string(),
                status: code,
                reason,
                body: excerpt(&text, secrets),
            })
        }
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
