//! The HTTP side of the WFM simulator: the routes of the wire contract (SPEC §6) and the order in
//! which each call is checked:
//!
//! 1. faults decided on arrival: latency, a `503` outage, a counted status answer;
//! 2. data calls: a valid bearer token (else `401`), an `Idempotency-Key` header (else `400`);
//! 3. JSON and envelope validation (else `400 REJECTED`);
//! 4. an Idempotency-Key already accepted on this endpoint: `409`;
//! 5. faults decided after validation: PARTIAL, REJECTED, record-then-status;
//! 6. record the valid items; answer `ACCEPTED`, or `PARTIAL` naming the rejected items.
//!
//! Every call, whatever its answer, goes to the request log in the same `watch` update as what it
//! recorded, so a waiter never sees one without the other.

use super::answer::{CallMeta, WfmAnswer, bearer_token};
use super::auth::TokenStore;
use super::faults::{Endpoint, FaultBook};
use super::record::{ReportKind, WfmRecorder};
use super::validate::{self, WireError, code};
use crate::clock::SharedClock;
use crate::secret::Secret;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use tokio::sync::watch;

/// A snapshot of 20,000 agents is a few MiB; stay well above it.
const BODY_LIMIT_BYTES: usize = 256 * 1024 * 1024;

/// The fixed part of the configuration.
#[derive(Debug)]
pub struct Settings {
    pub tenant_name: String,
    pub access_key_id: String,
    pub access_key_secret: Secret,
    pub max_batch: usize,
    pub verbose: bool,
}

/// Everything the handlers share.
pub struct SimWfmShared {
    pub settings: Settings,
    pub clock: SharedClock,
    pub tokens: Mutex<TokenStore>,
    pub faults: Mutex<FaultBook>,
    /// Requests in the server now, per endpoint group.
    pub in_flight: Mutex<HashMap<Endpoint, usize>>,
    /// The record; every change notifies the waiters of `wait_until`.
    pub record: watch::Sender<WfmRecorder>,
}

/// Locks a mutex, ignoring poisoning: every critical section here leaves its data consistent, so
/// a panic in another holder does not make the data unusable.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[derive(Debug, Clone, Copy)]
enum Route {
    Token,
    Refresh,
    Data(DataRoute),
}

#[derive(Debug, Clone, Copy)]
enum DataRoute {
    AgentStates,
    Report(ReportKind),
    Heartbeat,
}

impl Route {
    fn path(self) -> &'static str {
        match self {
            Route::Token => "/auth/token",
            Route::Refresh => "/auth/refresh",
            Route::Data(DataRoute::AgentStates) => "/agent-states",
            Route::Data(DataRoute::Report(ReportKind::AgentActivity)) => "/reports/agent-activity",
            Route::Data(DataRoute::Report(ReportKind::Queue)) => "/reports/queue",
            Route::Data(DataRoute::Heartbeat) => "/heartbeat",
        }
    }

    fn endpoint(self) -> Endpoint {
        match self {
            Route::Token | Route::Refresh => Endpoint::Auth,
            Route::Data(DataRoute::AgentStates) => Endpoint::AgentStates,
            Route::Data(DataRoute::Report(_)) => Endpoint::Reports,
            Route::Data(DataRoute::Heartbeat) => Endpoint::Heartbeat,
        }
    }
}

/// The routes of the wire contract; anything else is a logged `404`.
pub fn router(shared: Arc<SimWfmShared>) -> Router {
    let call = |route: Route| {
        move |State(shared): State<Arc<SimWfmShared>>, headers: HeaderMap, body: Bytes| async move {
            shared.call(route, &headers, &body).await
        }
    };
    let mut router = Router::new();
    for route in [
        Route::Token,
        Route::Refresh,
        Route::Data(DataRoute::AgentStates),
        Route::Data(DataRoute::Report(ReportKind::AgentActivity)),
        Route::Data(DataRoute::Report(ReportKind::Queue)),
        Route::Data(DataRoute::Heartbeat),
    ] {
        router = router.route(route.path(), post(call(route)));
    }
    router
        .fallback(unknown_route)
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        .with_state(shared)
}

async fn unknown_route(
    State(shared): State<Arc<SimWfmShared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let meta = CallMeta::new(
        method.as_str(),
        uri.path(),
        &headers,
        body.len(),
        shared.clock.now_ms(),
    );
    let answer = WfmAnswer::new(
        StatusCode::NOT_FOUND,
        json!({ "error": "no such endpoint" }),
        "no such endpoint".to_owned(),
    );
    shared.commit(&meta, |_| answer).into_response()
}

pub(super) fn injected_error(index: Option<usize>) -> WireError {
    WireError::new(
        index,
        code::INJECTED,
        "rejected by a simulated fault".to_owned(),
        None,
    )
}

/// Distinct item indexes named in `errors`.
pub(super) fn rejected_items(errors: &[WireError]) -> usize {
    let mut indexes: Vec<usize> = errors.iter().filter_map(|e| e.index).collect();
    indexes.sort_unstable();
    indexes.dedup();
    indexes.len()
}

/// One request in the server, from arrival to answer (or to the client hanging up, when the
/// handler is dropped): counts towards [`super::Recorded::max_concurrent`].
struct InFlight<'a> {
    shared: &'a SimWfmShared,
    endpoint: Endpoint,
}

impl<'a> InFlight<'a> {
    fn enter(shared: &'a SimWfmShared, endpoint: Endpoint) -> InFlight<'a> {
        let now = {
            let mut in_flight = lock(&shared.in_flight);
            let n = in_flight.entry(endpoint).or_insert(0);
            *n += 1;
            *n
        };
        // Only a new maximum changes the record (and wakes the waiters).
        shared.record.send_if_modified(|recorder| {
            let max = recorder
                .recorded
                .max_concurrent
                .entry(endpoint)
                .or_insert(0);
            let higher = now > *max;
            *max = (*max).max(now);
            higher
        });
        InFlight { shared, endpoint }
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if let Some(n) = lock(&self.shared.in_flight).get_mut(&self.endpoint) {
            *n = n.saturating_sub(1);
        }
    }
}

impl SimWfmShared {
    async fn call(&self, route: Route, headers: &HeaderMap, body: &[u8]) -> Response {
        let meta = CallMeta::new(
            "POST",
            route.path(),
            headers,
            body.len(),
            self.clock.now_ms(),
        );
        let _in_flight = InFlight::enter(self, route.endpoint());
        let before = lock(&self.faults).before_call(route.endpoint());
        if !before.latency.is_zero() {
            tokio::time::sleep(before.latency).await;
        }
        let answer = match (before.answer, route) {
            (Some(injected), _) => self.commit(&meta, |_| WfmAnswer::injected(injected, "fault")),
            (None, Route::Token) => self.token(&meta, body),
            (None, Route::Refresh) => self.refresh(&meta, body),
            (None, Route::Data(data)) => self.data_call(data, &meta, headers, body),
        };
        answer.into_response()
    }

    /// Runs `decide` on the record and logs the call, in one update (one wake-up for waiters).
    pub(super) fn commit(
        &self,
        meta: &CallMeta,
        decide: impl FnOnce(&mut WfmRecorder) -> WfmAnswer,
    ) -> WfmAnswer {
        let mut answered = None;
        self.record.send_modify(|recorder| {
            let answer = decide(recorder);
            recorder.log_request(meta.log_entry(&answer));
            answered = Some(answer);
        });
        // send_modify runs its closure exactly once, so `answered` is always set here.
        let answer = answered.unwrap_or_else(|| {
            WfmAnswer::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({}),
                "no answer".to_owned(),
            )
        });
        let status = answer.status.as_u16();
        if self.settings.verbose {
            tracing::info!(path = %meta.path, status, "sim wfm: {}", answer.summary);
        } else {
            tracing::debug!(path = %meta.path, status, "sim wfm: {}", answer.summary);
        }
        answer
    }

    fn token(&self, meta: &CallMeta, body: &[u8]) -> WfmAnswer {
        let request_value = match validate::parse_json(body) {
            Ok(value) => value,
            Err(errors) => {
                return self.commit(meta, |_| WfmAnswer::rejected(errors, "token request"));
            }
        };
        let request = match validate::token_request(&request_value) {
            Ok(request) => request,
            Err(errors) => {
                return self.commit(meta, |_| WfmAnswer::rejected(errors, "token request"));
            }
        };
        let settings = &self.settings;
        let wrong = if request.tenant_name != settings.tenant_name {
            Some("unknown tenant")
        } else if request.access_key_id != settings.access_key_id {
            Some("unknown access key id")
        } else if request.access_key_secret != settings.access_key_secret.expose() {
            Some("wrong access key secret")
        } else {
            None
        };
        if let Some(why) = wrong {
            let answer = WfmAnswer::new(
                StatusCode::UNAUTHORIZED,
                json!({ "error": "invalid_client", "error_description": why }),
                why.to_owned(),
            );
            return self.commit(meta, |_| answer);
        }
        let tokens = lock(&self.tokens).issue(self.clock.now_ms());
        self.commit(meta, |recorder| {
            recorder.recorded.tokens_issued += 1;
            WfmAnswer::new(
                StatusCode::OK,
                json!({
                    "access_token": tokens.access_token,
                    "token_type": "Bearer",
                    "expires_in": tokens.expires_in_sec,
                    "refresh_token": tokens.refresh_token,
                    "id_token": tokens.id_token,
                }),
                format!("token issued, expires in {} s", tokens.expires_in_sec),
            )
        })
    }

    fn refresh(&self, meta: &CallMeta, body: &[u8]) -> WfmAnswer {
        let request_value = match validate::parse_json(body) {
            Ok(value) => value,
            Err(errors) => return self.commit(meta, |_| WfmAnswer::rejected(errors, "refresh")),
        };
        let refresh_token = match validate::refresh_request(&request_value) {
            Ok(token) => token,
            Err(errors) => return self.commit(meta, |_| WfmAnswer::rejected(errors, "refresh")),
        };
        let refreshed = lock(&self.tokens).refresh(refresh_token, self.clock.now_ms());
        let Some(tokens) = refreshed else {
            let why = "unknown, used, expired or revoked refresh token";
            let answer = WfmAnswer::new(
                StatusCode::UNAUTHORIZED,
                json!({ "error": "invalid_grant", "error_description": why }),
                why.to_owned(),
            );
            return self.commit(meta, |_| answer);
        };
        self.commit(meta, |recorder| {
            recorder.recorded.refreshes += 1;
            WfmAnswer::new(
                StatusCode::OK,
                json!({
                    "token": tokens.access_token,
                    "tokenExpirationTimeSec": tokens.expires_in_sec,
                    "refreshToken": tokens.refresh_token,
                    "refreshTokenExpirationTimeSec": tokens.refresh_expires_in_sec,
                }),
                format!("token refreshed, expires in {} s", tokens.expires_in_sec),
            )
        })
    }

    fn data_call(
        &self,
        route: DataRoute,
        meta: &CallMeta,
        headers: &HeaderMap,
        body: &[u8],
    ) -> WfmAnswer {
        let token = bearer_token(headers);
        let authorised = token.is_some_and(|t| lock(&self.tokens).is_valid(t, self.clock.now_ms()));
        if !authorised {
            let why = if token.is_none() {
                "no bearer token"
            } else {
                "bearer token unknown, expired or revoked"
            };
            return self.commit(meta, |_| WfmAnswer::unauthorized(why));
        }
        let Some(key) = meta.idempotency_key.as_deref() else {
            let error = WireError::new(
                None,
                code::MISSING_HEADER,
                "every data call carries an Idempotency-Key header".to_owned(),
                Some("Idempotency-Key".to_owned()),
            );
            return self.commit(meta, |_| WfmAnswer::rejected(vec![error], ""));
        };
        let value = match validate::parse_json(body) {
            Ok(value) => value,
            Err(errors) => return self.commit(meta, |_| WfmAnswer::rejected(errors, "")),
        };
        match route {
            DataRoute::AgentStates => self.agent_states(meta, key, &value),
            DataRoute::Report(kind) => self.report(meta, key, kind, value),
            DataRoute::Heartbeat => self.heartbeat(meta, value),
        }
    }
}
