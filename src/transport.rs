//! HTTP transport errors described for logs and operators: what failed and where (scheme, host,
//! path), never the query string or headers — no credential or token can ride along.

/// "timed out: https://taskrouter.twilio.com/v1/Workspaces/WS…/Events", and the like.
pub fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_body() || e.is_decode() {
        "body could not be read"
    } else {
        "request failed"
    };
    match e.url() {
        Some(u) => format!("{kind}: {}://{}{}", u.scheme(), u.authority(), u.path()),
        None => kind.to_string(),
    }
}
