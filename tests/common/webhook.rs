//! Push-path harness (issue 11): the e2e environment with `[webhook]` on a free loopback port,
//! and requests signed as Twilio signs them (or not).
#![allow(dead_code)]

use super::e2e::Env;
use std::time::Duration;
use wfm_connector::model::Millis;
use wfm_connector::sim::acd::{PushOptions, SimAcdHandle};
use wfm_connector::webhook::auth::{SIGNATURE_HEADER, sign};

/// The Auth Token of the tests: distinctive, so a grep of the logs finds any leak.
pub const TOKEN: &str = "twilio-token-5f9c2e71d8a4b3";

/// A free loopback port (bound, then released for the connector to take).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// The e2e environment with the webhook on and `poll_interval` set to `poll`; returns it and the
/// webhook's URL (its `public_url`: plain http on loopback, as behind a TLS terminator).
pub async fn start(poll: &str) -> (Env, String) {
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}/twilio/events");
    let env = Env::start_with(&format!(
        "\n[webhook]\nlisten = \"127.0.0.1:{port}\"\npublic_url = \"{url}\"\nauth_token = \"{TOKEN}\"\n"
    ))
    .await;
    set_poll(&env, poll);
    (env, url)
}

/// Replaces the harness's `poll_interval = "200ms"` (and may add `[acd]` lines after it).
pub fn set_poll(env: &Env, poll: &str) {
    let text = std::fs::read_to_string(&env.config_path).expect("read config");
    let text = text.replace(
        "poll_interval = \"200ms\"",
        &format!("poll_interval = \"{poll}\""),
    );
    std::fs::write(&env.config_path, text).expect("write config");
}

/// Adds a line to `[acd]` (after `poll_interval`).
pub fn add_acd_line(env: &Env, line: &str) {
    let text = std::fs::read_to_string(&env.config_path).expect("read config");
    let (head, tail) = text.split_once("overlap = ").expect("[acd] overlap");
    std::fs::write(&env.config_path, format!("{head}{line}\noverlap = {tail}")).expect("write");
}

/// Pushing to the connector's webhook with the right token.
pub fn push_to(url: &str) -> PushOptions {
    PushOptions::new(url, TOKEN)
}

/// POSTs `body` as Twilio would, signed with `token`; returns the status.
pub async fn post_signed(url: &str, token: &str, body: Vec<u8>) -> u16 {
    let (called, signature) = sign(token, url, &body);
    post(&called, Some(&signature), body).await
}

/// POSTs `body` to exactly `url` with the given signature header (if any); returns the status.
pub async fn post(url: &str, signature: Option<&str>, body: Vec<u8>) -> u16 {
    let mut req = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body(body);
    if let Some(s) = signature {
        req = req.header(SIGNATURE_HEADER, s);
    }
    req.send().await.expect("webhook answers").status().as_u16()
}

/// Events polls (first pages) that reached `acd` at or after `since_ms`.
pub fn events_polls_since(acd: &SimAcdHandle, since_ms: Millis) -> usize {
    acd.requests()
        .iter()
        .filter(|r| r.at_ms >= since_ms && r.path_and_query.contains("/Events?"))
        .filter(|r| !r.path_and_query.contains("PageToken"))
        .count()
}

/// One metric's value in a Prometheus text exposition (the first line naming it exactly).
pub fn metric(text: &str, name: &str) -> Option<f64> {
    text.lines().filter(|l| !l.starts_with('#')).find_map(|l| {
        let (key, value) = l.rsplit_once(' ')?;
        (key == name).then(|| value.parse().ok())?
    })
}

/// `/metrics` of the admin endpoint at `admin`.
pub async fn metrics(admin: &str) -> String {
    reqwest::get(format!("{admin}/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("metrics text")
}

/// Waits until `f` holds, looking every 20 ms (for the simulator's own records).
pub async fn until(what: &str, f: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + super::e2e::WAIT;
    while !f() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
