//! The admin endpoint: `/healthz` (alive), `/readyz` (ACD polled within 3 × poll interval, WFM
//! accepting and answering with real deliveries, buffer writable), `/metrics` (Prometheus text;
//! the health flags behind `/readyz` are exported as gauges, set at each scrape).

use crate::daemon::Shared;
use crate::daemon::heartbeat::poll_fresh;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::get;
use std::sync::atomic::Ordering;

/// The admin routes.
pub fn router(shared: Shared) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(shared)
}

/// Why the connector is not ready (empty: ready).
pub fn not_ready_reasons(shared: &Shared) -> Vec<&'static str> {
    let mut reasons = Vec::new();
    if !poll_fresh(shared, shared.clock.now_ms()) {
        reasons.push("ACD not polled within 3 x poll_interval");
    }
    if !shared.health.wfm_accepting.load(Ordering::Relaxed) {
        reasons.push("WFM not accepting deliveries");
    }
    if shared.health.bad_answers.failing() {
        reasons.push("WFM answers are not a delivery (several in a row)");
    }
    if !shared.health.buffer_writable.load(Ordering::Relaxed) {
        reasons.push("buffer not writable");
    }
    reasons
}

async fn readyz(State(shared): State<Shared>) -> impl IntoResponse {
    let reasons = not_ready_reasons(&shared);
    if reasons.is_empty() {
        (StatusCode::OK, "ready\n".to_string())
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {}\n", reasons.join("; ")),
        )
    }
}

async fn metrics(State(shared): State<Shared>) -> impl IntoResponse {
    // The health flags as gauges, read at the scrape (alerts need them as series).
    let h = &shared.health;
    let m = &shared.metrics;
    m.buffer_writable
        .set(i64::from(h.buffer_writable.load(Ordering::Relaxed)));
    m.wfm_accepting
        .set(i64::from(h.wfm_accepting.load(Ordering::Relaxed)));
    m.ready
        .set(i64::from(not_ready_reasons(&shared).is_empty()));
    (
        [(
            CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        shared.metrics.render(),
    )
}

/// Serves the admin routes on `listen` until `shutdown` trips.
pub async fn serve(
    listener: tokio::net::TcpListener,
    shared: Shared,
    mut shutdown: crate::shutdown::Shutdown,
) -> std::io::Result<()> {
    axum::serve(listener, router(shared))
        .with_graceful_shutdown(async move { shutdown.wait().await })
        .await
}
