//! How a webhook request ends: its HTTP answer, its `webhook_requests_total{outcome}` label, and,
//! for a refusal, one warn line per outcome per minute at most (a flood of forged requests must
//! not flood the journal; the count of the lines held back is in the next one). A push before the
//! first poll (503, retried by Twilio) is expected at every start: it is logged at info.

use crate::metrics::Metrics;
use axum::http::StatusCode;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// At most one warn line per outcome this often.
pub const WARN_EVERY: Duration = Duration::from_secs(60);

/// The end of one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Committed (or nothing of ours in it): 200.
    Accepted,
    /// No signature, or a wrong one: 403.
    Forged,
    /// Signed without `bodySHA256`: 403.
    UnsignedBody,
    /// The body is not the one signed: 400.
    AlteredBody,
    /// Over the body cap: 413.
    TooLarge,
    /// Signed, but not a JSON batch of events: 400.
    Malformed,
    /// No poll has completed yet (no Activities catalogue to derive with): 503, Twilio retries.
    NotReady,
    /// The buffer refused the commit (disk full, read-only): 503, Twilio retries.
    BufferUnavailable,
}

impl Outcome {
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Accepted => "accepted",
            Outcome::Forged => "forged",
            Outcome::UnsignedBody => "unsigned_body",
            Outcome::AlteredBody => "altered_body",
            Outcome::TooLarge => "too_large",
            Outcome::Malformed => "malformed",
            Outcome::NotReady => "not_ready",
            Outcome::BufferUnavailable => "buffer_unavailable",
        }
    }

    pub fn status(self) -> StatusCode {
        match self {
            Outcome::Accepted => StatusCode::OK,
            Outcome::Forged | Outcome::UnsignedBody => StatusCode::FORBIDDEN,
            Outcome::AlteredBody | Outcome::Malformed => StatusCode::BAD_REQUEST,
            Outcome::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Outcome::NotReady | Outcome::BufferUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// What the warn line (and the answer's body) says.
    pub fn explain(self) -> &'static str {
        match self {
            Outcome::Accepted => "accepted",
            Outcome::Forged => {
                "refused a webhook request whose X-Twilio-Signature is missing or wrong: not \
                 from Twilio, or [webhook] auth_token is not the account's Auth Token, or the \
                 sink's destination is not exactly [webhook] public_url; nothing stored"
            }
            Outcome::UnsignedBody => {
                "refused a signed webhook request without bodySHA256: its signature does not \
                 cover the body (only Event Streams JSON batches are taken); nothing stored"
            }
            Outcome::AlteredBody => {
                "refused a webhook request whose body is not the one Twilio signed \
                 (bodySHA256 differs); nothing stored"
            }
            Outcome::TooLarge => {
                "refused a webhook request over the body cap; nothing stored (polling still \
                 brings its events)"
            }
            Outcome::Malformed => {
                "refused a signed webhook request that is not a JSON array of CloudEvents; \
                 nothing stored"
            }
            Outcome::NotReady => {
                "answered 503 to a push before the first poll completed; Twilio sends it again"
            }
            Outcome::BufferUnavailable => {
                "answered 503 to a push: the buffer refuses writes (disk full or read-only); \
                 Twilio sends it again and polling fills the gap"
            }
        }
    }

    /// Counts the request.
    pub fn count(self, metrics: &Metrics) {
        metrics
            .webhook_requests
            .get_or_create(&[("outcome", self.label())])
            .inc();
    }
}

/// The last warn line per outcome, and how many were held back since.
#[derive(Debug, Default)]
pub struct WarnThrottle {
    last: Mutex<HashMap<Outcome, (Instant, u64)>>,
}

impl WarnThrottle {
    /// Logs `outcome` at warn level unless one was logged less than [`WARN_EVERY`] ago.
    /// `detail` must hold no secret (never a header or the token).
    pub fn warn(&self, outcome: Outcome, detail: &str) {
        let now = Instant::now();
        let held_back = {
            let mut last = match self.last.lock() {
                Ok(g) => g,
                Err(poisoned) => poisoned.into_inner(),
            };
            match last.get_mut(&outcome) {
                Some((at, held)) if now.duration_since(*at) < WARN_EVERY => {
                    *held += 1;
                    return;
                }
                Some((at, held)) => {
                    let n = *held;
                    *at = now;
                    *held = 0;
                    n
                }
                None => {
                    last.insert(outcome, (now, 0));
                    0
                }
            }
        };
        let (label, status) = (outcome.label(), outcome.status().as_u16());
        if outcome == Outcome::NotReady {
            // Expected for a moment at every start: Twilio sends it again.
            tracing::info!(
                outcome = label,
                status,
                similar_not_logged = held_back,
                "{}",
                outcome.explain()
            );
        } else {
            tracing::warn!(
                outcome = label,
                status,
                detail,
                similar_not_logged = held_back,
                "{}",
                outcome.explain()
            );
        }
    }
}
