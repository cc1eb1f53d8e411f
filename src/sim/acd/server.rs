//! The HTTP side: one handler that applies the faults, checks Basic auth, routes
//! `/v1/Workspaces/{WorkspaceSid}/{Events|Workers|Activities}` and records the request. The
//! endpoints live in `feed` (Events) and `tables` (Workers, Activities).

use super::faults::{RequestFault, malform};
use super::feed;
use super::query::Params;
use super::recorder::AcdRequestLogEntry;
use super::render;
use super::state::SimAcdShared;
use super::tables;
use super::world::World;
use crate::model::Millis;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::prelude::{BASE64_STANDARD, Engine as _};
use std::sync::Arc;

pub(crate) fn router(shared: Arc<SimAcdShared>) -> axum::Router {
    axum::Router::new().fallback(answer).with_state(shared)
}

/// What one request gets, before it becomes a response.
struct AcdAnswer {
    status: StatusCode,
    body: Vec<u8>,
    headers: HeaderMap,
    fault: Option<&'static str>,
    events_served: usize,
}

impl AcdAnswer {
    fn json(status: StatusCode, body: Vec<u8>) -> AcdAnswer {
        AcdAnswer {
            status,
            body,
            headers: HeaderMap::new(),
            fault: None,
            events_served: 0,
        }
    }

    fn error(status: StatusCode, code: u32, message: &str) -> AcdAnswer {
        AcdAnswer::json(status, render::error_body(code, message, status.as_u16()))
    }

    fn header(mut self, name: header::HeaderName, value: &str) -> AcdAnswer {
        if let Ok(value) = HeaderValue::from_str(value) {
            self.headers.insert(name, value);
        }
        self
    }

    fn fault(mut self, name: &'static str) -> AcdAnswer {
        self.fault = Some(name);
        self
    }
}

async fn answer(State(shared): State<Arc<SimAcdShared>>, request: Request) -> Response {
    let now = shared.clock.now_ms();
    let method = request.method().clone();
    let uri = request.uri().clone();
    let authorization = request.headers().get(header::AUTHORIZATION).cloned();
    let (fault, latency) = {
        let mut faults = shared.faults();
        (faults.before_routing(now), faults.faults.latency)
    };
    let answer = match fault {
        Some(RequestFault::Outage(_)) => AcdAnswer::error(
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
                    AcdAnswer::error(StatusCode::TOO_MANY_REQUESTS, 20429, "Too Many Requests")
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
                    AcdAnswer::error(status, 20500, "An internal server error has occurred")
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
    let entry = AcdRequestLogEntry {
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

fn authorized(shared: &SimAcdShared, authorization: Option<&HeaderValue>) -> bool {
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
    shared: &SimAcdShared,
    method: &Method,
    uri: &Uri,
    authorization: Option<&HeaderValue>,
    now: Millis,
) -> AcdAnswer {
    if !authorized(shared, authorization) {
        return AcdAnswer::error(StatusCode::UNAUTHORIZED, 20003, "Authenticate")
            .header(header::WWW_AUTHENTICATE, r#"Basic realm="Twilio API""#);
    }
    let not_found = || {
        let message = format!("The requested resource {} was not found", uri.path());
        AcdAnswer::error(StatusCode::NOT_FOUND, 20404, &message)
    };
    let segments: Vec<&str> = uri.path().trim_end_matches('/').split('/').collect();
    let (workspace, resource, id) = match segments.as_slice() {
        ["", "v1", "Workspaces", ws, resource] => (*ws, *resource, None),
        ["", "v1", "Workspaces", ws, resource, id] => (*ws, *resource, Some(*id)),
        _ => return not_found(),
    };
    if *method != Method::GET {
        return AcdAnswer::error(StatusCode::METHOD_NOT_ALLOWED, 20004, "Method not allowed");
    }
    let params = match Query::<Vec<(String, String)>>::try_from_uri(uri) {
        Ok(Query(params)) => Params(params),
        Err(_) => return AcdAnswer::error(StatusCode::BAD_REQUEST, 20001, "Invalid query string"),
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
        Ok(body) => {
            let malformed = shared.faults().malformed();
            let mut answer = match malformed {
                Some(kind) => {
                    AcdAnswer::json(StatusCode::OK, malform(body.json, kind, body.list_key))
                        .fault("malformed")
                }
                None => AcdAnswer::json(StatusCode::OK, body.json),
            };
            answer.events_served = body.events_served;
            answer
        }
        Err(ResourceError::BadRequest(message)) => {
            AcdAnswer::error(StatusCode::BAD_REQUEST, 20001, &message)
        }
        Err(ResourceError::NotFound) => not_found(),
    }
}

/// What a resource endpoint (`feed`, `tables`, a single resource) answers: a body, or why not.
pub(crate) type Resource = Result<ResourceBody, ResourceError>;

/// A `200` body of a resource endpoint, before the faults may break it.
pub(crate) struct ResourceBody {
    pub json: Vec<u8>,
    /// The key of the list in the body (`events`, `workers`…; `sid` for a single resource), which
    /// a `WrongTypes` malformed body replaces.
    pub list_key: &'static str,
    /// Events in the body, for [`SimAcdCounters::events_served`](super::SimAcdCounters).
    pub events_served: usize,
}

/// Why a resource endpoint does not answer `200`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ResourceError {
    /// `400` with this message: a query parameter Twilio would refuse.
    BadRequest(String),
    /// `404`: no such resource.
    NotFound,
}

fn single(
    shared: &SimAcdShared,
    find: impl Fn(&World, &str) -> Option<serde_json::Value>,
) -> Resource {
    let state = shared.read();
    let value = find(&state.world, &shared.base_url).ok_or(ResourceError::NotFound)?;
    Ok(ResourceBody {
        json: serde_json::to_vec(&value).unwrap_or_default(),
        list_key: "sid",
        events_served: 0,
    })
}
