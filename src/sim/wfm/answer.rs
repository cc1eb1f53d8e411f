//! What one call looked like ([`CallMeta`]) and what the simulator answers ([`WfmAnswer`]): status,
//! JSON body, extra headers and the one-line summary that goes to the request log.

use super::faults::InjectedStatus;
use super::record::WfmRequestLogEntry;
use super::validate::{WireError, code};
use crate::model::Millis;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::time::Instant;

/// The parts of a request the log keeps. The `Authorization` value is not kept.
#[derive(Debug)]
pub struct CallMeta {
    pub at: Instant,
    pub clock_ms: Millis,
    pub method: String,
    pub path: String,
    pub idempotency_key: Option<String>,
    pub user_agent: Option<String>,
    pub accept: Option<String>,
    pub has_authorization: bool,
    pub body_bytes: usize,
}

impl CallMeta {
    pub fn new(
        method: &str,
        path: &str,
        headers: &HeaderMap,
        body_bytes: usize,
        clock_ms: Millis,
    ) -> CallMeta {
        let text = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        CallMeta {
            at: Instant::now(),
            clock_ms,
            method: method.to_owned(),
            path: path.to_owned(),
            idempotency_key: text("idempotency-key"),
            user_agent: text("user-agent"),
            accept: text("accept"),
            has_authorization: headers.contains_key(header::AUTHORIZATION),
            body_bytes,
        }
    }

    pub fn log_entry(&self, answer: &WfmAnswer) -> WfmRequestLogEntry {
        WfmRequestLogEntry {
            at: self.at,
            answered_at: Instant::now(),
            clock_ms: self.clock_ms,
            method: self.method.clone(),
            path: self.path.clone(),
            status: answer.status.as_u16(),
            idempotency_key: self.idempotency_key.clone(),
            user_agent: self.user_agent.clone(),
            accept: self.accept.clone(),
            has_authorization: self.has_authorization,
            body_bytes: self.body_bytes,
            summary: format!(
                "{} {} -> {} {}",
                self.method,
                self.path,
                answer.status.as_u16(),
                answer.summary
            ),
        }
    }
}

/// The token of an `Authorization: Bearer <token>` header.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// One answer, before it becomes an HTTP response.
#[derive(Debug, Clone)]
pub struct WfmAnswer {
    pub status: StatusCode,
    pub body: Value,
    /// Sent instead of `body` when set: bytes that need not be JSON, and their content type.
    pub raw: Option<(String, &'static str)>,
    pub headers: Vec<(HeaderName, String)>,
    /// What the call carried and how it ended, for the request log (never a secret or token).
    pub summary: String,
}

impl WfmAnswer {
    pub fn new(status: StatusCode, body: Value, summary: String) -> WfmAnswer {
        WfmAnswer {
            status,
            body,
            raw: None,
            headers: Vec::new(),
            summary,
        }
    }

    /// An answer whose body is `raw` as is (empty, or not JSON), sent as `content_type`.
    pub fn raw(
        status: StatusCode,
        raw: &str,
        content_type: &'static str,
        summary: String,
    ) -> WfmAnswer {
        let mut answer = WfmAnswer::new(status, Value::Null, summary);
        answer.raw = Some((raw.to_owned(), content_type));
        answer
    }

    /// `200 {"status":"ACCEPTED"|"PARTIAL","errors":[…]}`: PARTIAL when any item was rejected.
    pub fn delivered(errors: Vec<WireError>, summary: String) -> WfmAnswer {
        let status = if errors.is_empty() {
            "ACCEPTED"
        } else {
            "PARTIAL"
        };
        WfmAnswer::new(
            StatusCode::OK,
            json!({ "status": status, "errors": errors }),
            format!("{status} {summary}"),
        )
    }

    /// `400 {"status":"REJECTED","errors":[…]}`.
    pub fn rejected(errors: Vec<WireError>, summary: &str) -> WfmAnswer {
        let first = errors
            .first()
            .map(|e| format!(" ({}: {})", e.code, e.message))
            .unwrap_or_default();
        WfmAnswer::new(
            StatusCode::BAD_REQUEST,
            json!({ "status": "REJECTED", "errors": errors }),
            format!("REJECTED {summary}{first}"),
        )
    }

    /// `409`: this Idempotency-Key was accepted before.
    pub fn duplicate_key(summary: &str) -> WfmAnswer {
        let error = WireError::new(
            None,
            code::DUPLICATE_IDEMPOTENCY_KEY,
            "a call with this Idempotency-Key was already accepted".to_owned(),
            Some("Idempotency-Key".to_owned()),
        );
        WfmAnswer::new(
            StatusCode::CONFLICT,
            json!({ "status": "REJECTED", "errors": [error] }),
            format!("duplicate Idempotency-Key {summary}"),
        )
    }

    /// `401` for a data call without a valid bearer token.
    pub fn unauthorized(why: &str) -> WfmAnswer {
        let mut answer = WfmAnswer::new(
            StatusCode::UNAUTHORIZED,
            json!({ "error": "invalid_token", "error_description": why }),
            why.to_owned(),
        );
        answer.headers.push((
            header::WWW_AUTHENTICATE,
            "Bearer error=\"invalid_token\"".to_owned(),
        ));
        answer
    }

    /// An answer decided by a fault.
    pub fn injected(injected: InjectedStatus, what: &str) -> WfmAnswer {
        let status =
            StatusCode::from_u16(injected.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut answer = WfmAnswer::new(
            status,
            json!({ "error": format!("simulated {status}") }),
            format!("(injected) {what}"),
        );
        if let Some(secs) = injected.retry_after_sec {
            answer.headers.push((header::RETRY_AFTER, secs.to_string()));
        }
        answer
    }
}

impl IntoResponse for WfmAnswer {
    fn into_response(self) -> Response {
        let mut response = match self.raw {
            Some((raw, content_type)) => {
                (self.status, [(header::CONTENT_TYPE, content_type)], raw).into_response()
            }
            None => (self.status, axum::Json(self.body)).into_response(),
        };
        for (name, value) in self.headers {
            if let Ok(value) = HeaderValue::from_str(&value) {
                response.headers_mut().insert(name, value);
            }
        }
        response
    }
}
