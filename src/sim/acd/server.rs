//! The HTTP side: one handler that applies the faults, checks Basic auth, routes
//! `/v1/Workspaces/{WorkspaceSid}/{Events|Workers|Activities}` and records the request. The
//! endpoints live in `feed` (Events) and `tables` (Workers, Activities).

use super::faults::{RequestFault, malform};
use super::feed;
use super::query::Params;
use super::recorder::RequestLogEntry;
use super::render;
use super::state::Shared;
use super::tables;
use super::world::World;
use crate::model::Millis;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::prelude::{BASE64_STANDARD, Engine as _};
use std::sync::Arc;

pub(crate) fn router(shared: Arc<Shared>) -> axum::Router {
    axum::Router::new().fallback(answer).with_state(shared)
}

/// What one request gets, before it becomes a response.
struct Answer {
    status: StatusCode,
    body: Vec<u8>,
    headers: HeaderMap,
    fault: Option<&'static str>,
    events_served: usize,
}

impl Answer {
    fn json(status: StatusCode, body: Vec<u8>) -> Answer {
        Answer {
            status,
            body,
            headers: HeaderMap::new(),
            fault: None,
            events_served: 0,
        }
    }

    fn error(status: StatusCode, code: u32, message: &str) -> Answer {
        Answer::json(status, render::error_body(code, message, status.as_u16()))
    }

    fn header(mut self, name: header::HeaderName, value: &str) -> Answer {
        if let Ok(value) = HeaderValue::from_str(value) {
            self.headers.insert(name, value);
        }
        self
    }

    fn fault(mut self, name: &'static str) -> Answer {
        self.fault = Some(name);
        self
    }
}

async fn answer(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let now = shared.clock.now_ms();
    let method = request.method().clone();
    let uri = request.uri().clone();
    let authorization = request.headers().get(header::AUTHORIZATION).cloned();
    let (fault, latency) = {
        let mut faults = shared.faults();
        (faults.before_routing(now), faults.faults.latency)
    };
    let answer = match fault {
        Some(RequestFault::Outage(_)) => Answer::error(
            StatusCode::SERVICE_UNAVAILABLE,
            20503,
            "Service Unavailable",
        )
        .fault("outage"),
        other => {
            if !latency.is_zero() {
                tokio::time::sleep(latency).await;
            }
            match other {
                Some(RequestFault::RateLimited { retry_after_secs }) => {
                    Answer::error(StatusCode::TOO_MANY_REQUESTS, 20429, "Too Many Requests")
                        .header(header::RETRY_AFTER, &retry_after_secs.to_string())
                        .header(
                            header::HeaderName::from_static("x-rate-limit-remaining"),
                            "0",
                        )
                        .fault("rate_limit")
                }
                Some(RequestFault::ServerError(status)) => {
                    let status =
                        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                    Answer::error(status, 20500, "An internal server error has occurred")
                        .fault("server_error")
                }
                // TaskRouter's usage headers, as Twilio documents them for its REST responses.
                _ => route(&shared, &method, &uri, authorization.as_ref(), now)
                    .header(
                        header::HeaderName::from_static("twilio-concurrent-requests"),
                        "1",
                    )
                    .header(header::HeaderName::from_static("x-rate-limit-limit"), "100")
                    .header(
                        header::HeaderName::from_static("x-rate-limit-remaining"),
                        "99",
                    ),
            }
        }
    };
    let entry = RequestLogEntry {
        at_ms: now,
        method: method.to_string(),
        path_and_query: uri
            .path_and_query()
            .map_or_else(|| uri.path().to_owned(), |p| p.as_str().to_owned()),
        status: answer.status.as_u16(),
        fault: answer.fault,
    };
    shared.recorder().record(entry, answer.events_served);
    let mut headers = answer.headers;
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    (answer.status, headers, answer.body).into_response()
}

fn authorized(shared: &Shared, authorization: Option<&HeaderValue>) -> bool {
    let Some(encoded) = authorization
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
    else {
        return false;
    };
    let Ok(decoded) = BASE64_STANDARD.decode(encoded.trim()) else {
        return false;
    };
    let expected = format!("{}:{}", shared.username, shared.password);
    decoded == expected.as_bytes()
}

fn route(
    shared: &Shared,
    method: &Method,
    uri: &Uri,
    authorization: Option<&HeaderValue>,
    now: Millis,
) -> Answer {
    if !authorized(shared, authorization) {
        return Answer::error(StatusCode::UNAUTHORIZED, 20003, "Authenticate")
            .header(header::WWW_AUTHENTICATE, r#"Basic realm="Twilio API""#);
    }
    let not_found = || {
        let message = format!("The requested resource {} was not found", uri.path());
        Answer::error(StatusCode::NOT_FOUND, 20404, &message)
    };
    let segments: Vec<&str> = uri.path().trim_end_matches('/').split('/').collect();
    let (workspace, resource, id) = match segments.as_slice() {
        ["", "v1", "Workspaces", ws, resource] => (*ws, *resource, None),
        ["", "v1", "Workspaces", ws, resource, id] => (*ws, *resource, Some(*id)),
        _ => return not_found(),
    };
    if *method != Method::GET {
        return Answer::error(StatusCode::METHOD_NOT_ALLOWED, 20004, "Method not allowed");
    }
    let params = match Query::<Vec<(String, String)>>::try_from_uri(uri) {
        Ok(Query(params)) => Params(params),
        Err(_) => return Answer::error(StatusCode::BAD_REQUEST, 20001, "Invalid query string"),
    };
    if workspace != &*shared.read().world.workspace_sid {
        return not_found();
    }
    let answer = match (resource, id) {
        ("Events", None) => feed::events(shared, &params, uri, now),
        ("Workers", None) => tables::workers(shared, &params, uri),
        ("Workers", Some(sid)) => single(shared, |world, base| {
            let worker = world.worker(sid).filter(|w| {
                world
                    .workers
                    .get(*w as usize)
                    .is_some_and(|row| &*row.sid == sid && !row.deleted)
            })?;
            Some(render::worker_value(world, base, worker, true))
        }),
        ("Activities", None) => tables::activities(shared, &params, uri),
        ("Activities", Some(sid)) => single(shared, |world, base| {
            let activity = world.activities.iter().position(|a| &*a.sid == sid)?;
            Some(render::activity_value(world, base, activity))
        }),
        _ => return not_found(),
    };
    match answer {
        Ok((body, list_key, events_served)) => {
            let malformed = shared.faults().malformed();
            let mut answer = match malformed {
                Some(kind) => {
                    Answer::json(StatusCode::OK, malform(body, kind, list_key)).fault("malformed")
                }
                None => Answer::json(StatusCode::OK, body),
            };
            answer.events_served = events_served;
            answer
        }
        Err(Some(bad)) => Answer::error(StatusCode::BAD_REQUEST, 20001, &bad),
        Err(None) => not_found(),
    }
}

/// A successful body, its list key (for malformed bodies) and the number of events in it; or a
/// 400 message (`Some`) or a 404 (`None`).
pub(crate) type Handled = Result<(Vec<u8>, &'static str, usize), Option<String>>;

fn single(shared: &Shared, find: impl Fn(&World, &str) -> Option<serde_json::Value>) -> Handled {
    let state = shared.read();
    let value = find(&state.world, &shared.base_url).ok_or(None)?;
    Ok((serde_json::to_vec(&value).unwrap_or_default(), "sid", 0))
}
