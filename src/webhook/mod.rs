//! The push path (SPEC §12): TaskRouter events pushed by a Twilio Event Streams webhook sink,
//! taken into the same event log as polled ones. Polling stays on as the backstop and the
//! Events feed stays the source of truth: a pushed event is an event that arrived early, with
//! the same `EV…` sid, so the log de-duplicates it and nothing downstream changes.
//!
//! What this relies on from Twilio's documentation (Event Streams: "Webhook Quickstart", "Event
//! delivery retries and event duplication", the `com.twilio.taskrouter.*` event type pages;
//! "Webhooks security"; the helper libraries' `validateRequestWithBody`):
//!
//! - Each request is a `POST` of a JSON array of CloudEvents ([`cloudevent`] has the envelope).
//! - Delivery is at least once and not in order; a failed delivery (any answer but 2xx, or none
//!   within 5 s) is retried with backoff for up to four hours, then dropped.
//! - `X-Twilio-Signature` is base64(HMAC-SHA1(auth token, the full URL called)), and the URL
//!   carries `bodySHA256=<hex SHA-256 of the body>` ([`auth`]).
//!
//! What it does with a request, in this order, before anything is parsed or stored:
//!
//! | check | refused with |
//! |---|---|
//! | path is `public_url`'s, method `POST` | 404 / 405 |
//! | body at most [`MAX_BODY_BYTES`] | 413 |
//! | signature over `public_url` + the query received (constant-time) | 403 |
//! | `bodySHA256` present / equal to the body's hash (constant-time) | 403 / 400 |
//! | a JSON array (or object) of events | 400 |
//! | a poll has completed (the Activities catalogue is known) | 503 |
//! | committed ([`ingest`]); the buffer refusing writes | 503 |
//!
//! Only then is 200 answered, so Twilio retries whatever was not committed. Each refusal counts in
//! `webhook_requests_total{outcome}` and logs one warn line per outcome per minute at most; the
//! token and the signature never reach a log line, an error or `Debug`.
//!
//! The listener is plain HTTP: TLS is the operator's terminator's (README, "Push path").

pub mod auth;
pub mod cloudevent;
pub mod ingest;
pub mod outcome;

use crate::daemon::{Shared, SharedStore};
use crate::shutdown::Shutdown;
use auth::{AuthError, SIGNATURE_HEADER, Verifier};
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cloudevent::{Batch, parse_batch};
use outcome::{Outcome, WarnThrottle};
use std::sync::Arc;
use tokio::sync::{Semaphore, mpsc, oneshot};

/// The largest body taken. A TaskRouter event is 1–3 KiB, so this holds hundreds; a bigger
/// batch is refused (413) and its events come by polling.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Requests read and checked at once (bounds memory to this many bodies).
const CONCURRENT_REQUESTS: usize = 16;

/// What every request handler shares.
struct Hook {
    shared: Shared,
    path: String,
    workspace_sid: String,
    verifier: Verifier,
    jobs: mpsc::Sender<ingest::Job>,
    permits: Semaphore,
    throttle: Arc<WarnThrottle>,
}

/// Serves the webhook on `listener` until `shutdown` trips; pushed events are committed through
/// `store` (the poller's connection). Returns once in-flight requests are answered.
pub async fn serve(
    listener: tokio::net::TcpListener,
    shared: Shared,
    store: SharedStore,
    mut shutdown: Shutdown,
) {
    let Some(cfg) = shared.config.webhook.clone() else {
        return;
    };
    let throttle = Arc::new(WarnThrottle::default());
    let (jobs, queue) = mpsc::channel(64);
    let writer = tokio::spawn(ingest::run(shared.clone(), store, queue, throttle.clone()));
    let hook = Arc::new(Hook {
        path: cfg.path.clone(),
        workspace_sid: shared.config.acd.workspace_sid.clone(),
        verifier: Verifier::new(&cfg.public_url, &cfg.auth_token),
        shared,
        jobs,
        permits: Semaphore::new(CONCURRENT_REQUESTS),
        throttle,
    });
    tracing::info!(
        listen = %cfg.listen,
        public_url = %cfg.public_url,
        "accepting TaskRouter events pushed by Twilio Event Streams"
    );
    let app = Router::new().fallback(receive).with_state(hook);
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(async move { shutdown.wait().await })
        .await;
    if let Err(e) = served {
        tracing::error!(error = %e, "the webhook listener failed");
    }
    // Every sender is gone with the router: the writer commits what it holds, then ends.
    if let Err(e) = writer.await {
        tracing::error!(error = %e, "the webhook writer ended abnormally");
    }
    tracing::info!("webhook stopped");
}

async fn receive(State(hook): State<Arc<Hook>>, req: Request) -> Response {
    if req.uri().path() != hook.path {
        return (StatusCode::NOT_FOUND, "not found\n").into_response();
    }
    if req.method() != Method::POST {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "POST")],
            "POST only\n",
        )
            .into_response();
    }
    let (outcome, received) = handle(&hook, req).await;
    outcome.count(&hook.shared.metrics);
    match outcome {
        Outcome::Accepted => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            format!("{{\"received\":{received}}}"),
        )
            .into_response(),
        Outcome::NotReady | Outcome::BufferUnavailable => (
            outcome.status(),
            [(header::RETRY_AFTER, "1")],
            format!("{}\n", outcome.label()),
        )
            .into_response(),
        refused => (refused.status(), format!("{}\n", refused.label())).into_response(),
    }
}

/// Reads, checks and commits one request; the outcome and the number of our events in it.
async fn handle(hook: &Arc<Hook>, req: Request) -> (Outcome, usize) {
    let Ok(_permit) = hook.permits.acquire().await else {
        return (Outcome::NotReady, 0);
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return refuse(hook, Outcome::TooLarge, "Content-Length over the cap");
    }
    let query = req.uri().query().map(str::to_owned);
    let signature = req
        .headers()
        .get(SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = match axum::body::to_bytes(req.into_body(), MAX_BODY_BYTES).await {
        Ok(b) => b,
        // With no Content-Length, an error is the cap; with one, a body that did not match it.
        Err(_) if declared.is_none() => {
            return refuse(hook, Outcome::TooLarge, "body over the cap");
        }
        Err(_) => return refuse(hook, Outcome::Malformed, "the body could not be read"),
    };
    // Hashing and parsing a large body are CPU work: off the runtime's threads.
    let checker = hook.clone();
    let checked = tokio::task::spawn_blocking(move || {
        checker
            .verifier
            .verify(query.as_deref(), signature.as_deref(), &body)?;
        Ok(parse_batch(&body, &checker.workspace_sid))
    })
    .await;
    let batch: Batch = match checked {
        Ok(Ok(Ok(batch))) => batch,
        Ok(Ok(Err(not_a_batch))) => {
            return refuse(hook, Outcome::Malformed, &not_a_batch.to_string());
        }
        Ok(Err(AuthError::Forged)) => return refuse(hook, Outcome::Forged, ""),
        Ok(Err(AuthError::UnsignedBody)) => return refuse(hook, Outcome::UnsignedBody, ""),
        Ok(Err(AuthError::AlteredBody)) => return refuse(hook, Outcome::AlteredBody, ""),
        Err(e) => {
            tracing::error!(error = %e, "checking a webhook request failed");
            return (Outcome::NotReady, 0);
        }
    };
    note_skipped(hook, &batch);
    let received = batch.events.len();
    if received == 0 {
        return (Outcome::Accepted, 0);
    }
    if hook.shared.live_ctx().is_none() {
        return refuse(hook, Outcome::NotReady, "");
    }
    let (done, answer) = oneshot::channel();
    let job = ingest::Job {
        events: batch.events,
        done,
    };
    if hook.jobs.send(job).await.is_err() {
        return (Outcome::NotReady, 0);
    }
    match answer.await {
        Ok(Outcome::NotReady) => refuse(hook, Outcome::NotReady, ""),
        Ok(outcome) => (outcome, received),
        Err(_) => (Outcome::NotReady, 0),
    }
}

fn refuse(hook: &Hook, outcome: Outcome, detail: &str) -> (Outcome, usize) {
    hook.throttle.warn(outcome, detail);
    (outcome, 0)
}

/// Events of a genuine request that are not taken: counted, logged at debug.
fn note_skipped(hook: &Hook, batch: &Batch) {
    if batch.unreadable > 0 {
        hook.shared
            .metrics
            .events_skipped
            .inc_by(batch.unreadable as u64);
        tracing::warn!(
            skipped = batch.unreadable,
            "skipped unreadable TaskRouter events in a push (no sid, type or time)"
        );
    }
    if batch.not_ours > 0 {
        tracing::debug!(
            events = batch.not_ours,
            "ignored pushed events of another product or workspace"
        );
    }
}
