//! Prometheus metrics (`/metrics`): what an operator graphs and alerts on.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::sync::Arc;

/// Every metric the connector exports. Cheap to clone (each metric is an `Arc` inside).
#[derive(Debug, Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    pub events_ingested: Counter,
    pub events_skipped: Counter,
    pub states_sent: Counter,
    pub reports_sent: Counter,
    pub retries: Counter,
    pub dead_letters: Counter,
    pub token_refreshes: Counter,
    pub wfm_bad_answers: Counter,
    pub outbox_depth: Gauge,
    pub oldest_pending_age_seconds: Gauge,
    pub last_poll_timestamp_seconds: Gauge,
    pub last_push_timestamp_seconds: Gauge,
    pub push_latency_seconds: Histogram,
    pub events_quarantined: Counter,
    pub agents_without_id: Counter,
    pub acd_concurrent_requests: Gauge,
    pub acd_rate_limit_remaining: Gauge,
    /// 1 while the buffer accepts writes, 0 while it refuses them (full disk, read-only file).
    /// Like the two below, set from [`crate::daemon::Health`] when `/metrics` is read.
    pub buffer_writable: Gauge,
    /// 1 while WFM accepts deliveries, 0 while it refuses us (401 after re-auth, 403, 404).
    pub wfm_accepting: Gauge,
    /// 1 when `/readyz` would answer 200.
    pub ready: Gauge,
    pub events_pushed: Counter,
    pub events_pushed_first: Counter,
    pub webhook_requests: Family<WebhookOutcome, Counter>,
    pub last_webhook_push_timestamp_seconds: Gauge,
}

/// The label of `webhook_requests_total`: `outcome` is `accepted`, `forged`, `unsigned_body`,
/// `altered_body`, `too_large`, `malformed`, `not_ready` or `buffer_unavailable`.
pub type WebhookOutcome = [(&'static str, &'static str); 1];

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut r = Registry::with_prefix("wfm_connector");
        let m = Metrics {
            registry: Arc::new(Registry::default()),
            events_ingested: Counter::default(),
            events_skipped: Counter::default(),
            states_sent: Counter::default(),
            reports_sent: Counter::default(),
            retries: Counter::default(),
            dead_letters: Counter::default(),
            token_refreshes: Counter::default(),
            wfm_bad_answers: Counter::default(),
            outbox_depth: Gauge::default(),
            oldest_pending_age_seconds: Gauge::default(),
            last_poll_timestamp_seconds: Gauge::default(),
            last_push_timestamp_seconds: Gauge::default(),
            push_latency_seconds: Histogram::new(exponential_buckets(0.005, 2.0, 14)),
            events_quarantined: Counter::default(),
            agents_without_id: Counter::default(),
            acd_concurrent_requests: Gauge::default(),
            acd_rate_limit_remaining: Gauge::default(),
            buffer_writable: Gauge::default(),
            wfm_accepting: Gauge::default(),
            ready: Gauge::default(),
            events_pushed: Counter::default(),
            events_pushed_first: Counter::default(),
            webhook_requests: Family::default(),
            last_webhook_push_timestamp_seconds: Gauge::default(),
        };
        r.register(
            "events_ingested",
            "ACD events committed to the buffer by the poller, first seen in the Events feed \
             (events_pushed_first counts those the push path brought first)",
            m.events_ingested.clone(),
        );
        r.register(
            "events_skipped",
            "ACD events that could not be read and were skipped",
            m.events_skipped.clone(),
        );
        r.register(
            "states_sent",
            "Agent states accepted by WFM",
            m.states_sent.clone(),
        );
        r.register(
            "reports_sent",
            "Reports accepted by WFM",
            m.reports_sent.clone(),
        );
        r.register(
            "retries",
            "Retried requests (ACD and WFM)",
            m.retries.clone(),
        );
        r.register(
            "dead_letters",
            "Items dead-lettered after WFM refused them",
            m.dead_letters.clone(),
        );
        r.register(
            "token_refreshes",
            "WFM access tokens requested or refreshed",
            m.token_refreshes.clone(),
        );
        r.register(
            "wfm_bad_answers",
            "WFM answers that were not a delivery (a 200 with an empty body, {}, not JSON, an unknown status, a PARTIAL outside the request); each is retried",
            m.wfm_bad_answers.clone(),
        );
        r.register(
            "outbox_depth",
            "Items waiting to be delivered to WFM",
            m.outbox_depth.clone(),
        );
        r.register(
            "oldest_pending_age_seconds",
            "Age of the oldest undelivered item",
            m.oldest_pending_age_seconds.clone(),
        );
        r.register(
            "last_poll_timestamp_seconds",
            "Unix time of the last successful ACD poll",
            m.last_poll_timestamp_seconds.clone(),
        );
        r.register(
            "last_push_timestamp_seconds",
            "Unix time of the last successful WFM delivery",
            m.last_push_timestamp_seconds.clone(),
        );
        r.register(
            "push_latency_seconds",
            "Duration of WFM delivery requests",
            m.push_latency_seconds.clone(),
        );
        r.register(
            "events_quarantined",
            "ACD events dated too far in the future to derive (kept, not derived)",
            m.events_quarantined.clone(),
        );
        r.register(
            "agents_without_id",
            "Workers skipped because the configured agent_id attribute is missing",
            m.agents_without_id.clone(),
        );
        r.register(
            "acd_concurrent_requests",
            "Twilio-Concurrent-Requests of the last TaskRouter response",
            m.acd_concurrent_requests.clone(),
        );
        r.register(
            "acd_rate_limit_remaining",
            "X-Rate-Limit-Remaining of the last TaskRouter response",
            m.acd_rate_limit_remaining.clone(),
        );
        r.register(
            "buffer_writable",
            "1 while the buffer accepts writes, 0 while it refuses them (full disk, read-only file)",
            m.buffer_writable.clone(),
        );
        r.register(
            "wfm_accepting",
            "1 while WFM accepts deliveries, 0 while it refuses them (401 after re-auth, 403, 404) or is unreachable",
            m.wfm_accepting.clone(),
        );
        r.register(
            "ready",
            "1 when /readyz answers 200 (ACD polled recently, WFM accepting, buffer writable)",
            m.ready.clone(),
        );
        r.register(
            "events_pushed",
            "TaskRouter events received from the Event Streams webhook in accepted requests \
             (duplicates included)",
            m.events_pushed.clone(),
        );
        r.register(
            "events_pushed_first",
            "ACD events committed to the buffer by the push path, before any poll saw them",
            m.events_pushed_first.clone(),
        );
        r.register(
            "webhook_requests",
            "Requests to the Event Streams webhook, by outcome (forged, altered_body, too_large, \
             ... are refused and store nothing)",
            m.webhook_requests.clone(),
        );
        r.register(
            "last_webhook_push_timestamp_seconds",
            "Unix time of the last push accepted from Twilio Event Streams",
            m.last_webhook_push_timestamp_seconds.clone(),
        );
        Metrics {
            registry: Arc::new(r),
            ..m
        }
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}
