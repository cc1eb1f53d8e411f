//! The WFM side: CXone WFM connector API v1 (SPEC §6).
//!
//! This is the only place that knows the wire: the outboxes keep rows, the report builders
//! produce `reportData`, and everything WFM reads is put together here.
//!
//! - [`dto`]: every request and response body, as serde types.
//! - [`request`]: the rows of an outbox → one request (path, `Idempotency-Key`, body, items).
//! - [`client::WfmClient`]: one authenticated request and what its answer means ([`Delivery`]).
//! - [`answer`]: only a real acceptance is a delivery (the body of a `200`/`202` judged).
//! - `token`: the access token's life (request, refresh ahead of expiry, replace on 401).
//!
//! The loop that drains the outboxes is [`crate::daemon::drain`]; the retry policy is
//! [`crate::retry`].

pub mod answer;
pub mod client;
pub mod dto;
pub mod request;
mod token;

pub use client::WfmClient;

use crate::retry::RetryHint;
use std::time::Duration;

/// What WFM made of a delivered request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// 200/202 ACCEPTED, or 409 (already delivered).
    Accepted,
    /// Delivered except the listed items: (index, error).
    Partial(Vec<(usize, String)>),
    /// 400/422 REJECTED: the whole request is dead-lettered with this error.
    Rejected(String),
}

/// Errors that keep an item in the outbox (all retried, with backoff).
#[derive(Debug, thiserror::Error)]
pub enum WfmError {
    #[error("WFM request failed: {0}")]
    Transport(String),
    #[error("WFM answered HTTP {status}{}", retry_after.map(|d| format!(" (Retry-After {}s)", d.as_secs())).unwrap_or_default())]
    Unavailable {
        status: u16,
        retry_after: Option<Duration>,
    },
    #[error(
        "WFM refused the credentials (HTTP {0}): check [wfm] tenant_name, access_key_id and the access key secret"
    )]
    Unauthorized(u16),
    #[error(
        "WFM answered HTTP {status} for {path}: check [wfm] service_url and the access key's permissions"
    )]
    Configuration { status: u16, path: String },
    #[error("WFM sent an answer that is not the expected JSON: {0}")]
    Malformed(String),
    /// A `200`/`202` (or another status outside the contract) that is not a delivery: an empty
    /// body, `{}`, not JSON, an unknown status, a PARTIAL naming items the request did not carry.
    /// Retried like an outage; `body` is an excerpt with any token redacted.
    #[error(
        "WFM answered HTTP {status} to {path} with {reason}, which is not a delivery; the answer began: {body}"
    )]
    BadAnswer {
        path: String,
        status: u16,
        reason: String,
        body: String,
    },
    #[error("shutting down")]
    ShuttingDown,
}

impl RetryHint for WfmError {
    fn is_retryable(&self) -> bool {
        !matches!(self, WfmError::ShuttingDown)
    }
    fn retry_after(&self) -> Option<Duration> {
        match self {
            WfmError::Unavailable { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}
