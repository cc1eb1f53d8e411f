//! `contrib/`: the Grafana dashboard and the Prometheus alert rules only name metrics that a
//! running connector exports, and cover what an operator watches (issue 10). The connector is the
//! real binary against both simulators; its `/metrics` is read over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: a failed unwrap is a failed test

mod common;

use common::e2e::{Env, metrics_text, wait_http_status};
use std::collections::BTreeSet;

const DASHBOARD: &str = include_str!("../contrib/grafana/wfm-connector.json");
const ALERTS: &str = include_str!("../contrib/prometheus/alerts.yml");

/// Every `wfm_connector_…` name in a text.
fn names_in(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("wfm_connector_") {
        let tail = &rest[at..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        // The bare prefix is prose ("prefix wfm_connector_"), not a metric.
        if end > "wfm_connector_".len() {
            out.insert(tail[..end].to_string());
        }
        rest = &tail[end..];
    }
    out
}

/// The sample names of a Prometheus text exposition (`name{labels} value` / `name value`).
fn exported(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.split(['{', ' ']).next())
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn every_metric_of_the_dashboard_and_the_alerts_is_exported() {
    let env = Env::start().await;
    let admin = env.enable_admin();
    let conn = env.spawn();
    wait_http_status(&format!("{admin}/readyz"), 200).await;
    let exported = exported(&metrics_text(&admin).await);

    let dashboard = names_in(DASHBOARD);
    let alerts = names_in(ALERTS);
    for name in dashboard.iter().chain(&alerts) {
        assert!(
            exported.contains(name),
            "{name} is not exported by /metrics; exported: {exported:#?}"
        );
    }
    // What the issue asks each to show.
    for want in [
        "wfm_connector_events_ingested_total",
        "wfm_connector_states_sent_total",
        "wfm_connector_reports_sent_total",
        "wfm_connector_outbox_depth",
        "wfm_connector_oldest_pending_age_seconds",
        "wfm_connector_push_latency_seconds_bucket",
        "wfm_connector_retries_total",
        "wfm_connector_dead_letters_total",
        "wfm_connector_last_poll_timestamp_seconds",
        "wfm_connector_last_push_timestamp_seconds",
        "wfm_connector_token_refreshes_total",
        "wfm_connector_wfm_bad_answers_total",
    ] {
        assert!(dashboard.contains(want), "the dashboard has no {want}");
    }
    for want in [
        "wfm_connector_last_poll_timestamp_seconds",
        "wfm_connector_wfm_accepting",
        "wfm_connector_oldest_pending_age_seconds",
        "wfm_connector_dead_letters_total",
        "wfm_connector_buffer_writable",
    ] {
        assert!(alerts.contains(want), "the alert rules have no {want}");
    }
    // A ready connector says so in the gauges the alerts read.
    let text = metrics_text(&admin).await;
    for line in [
        "wfm_connector_ready 1",
        "wfm_connector_buffer_writable 1",
        "wfm_connector_wfm_accepting 1",
    ] {
        assert!(text.lines().any(|l| l == line), "{line} not in:\n{text}");
    }
    assert_eq!(conn.terminate(), Some(0));
}

#[test]
fn the_dashboard_is_grafana_json_whose_every_panel_has_a_query() {
    let d: serde_json::Value = serde_json::from_str(DASHBOARD).expect("valid JSON");
    assert_eq!(d["uid"], "wfm-connector");
    let panels = d["panels"].as_array().expect("panels");
    let mut ids = BTreeSet::new();
    for p in panels {
        assert!(ids.insert(p["id"].as_u64().expect("an id")), "duplicate id");
        if p["type"] == "row" {
            continue;
        }
        let targets = p["targets"].as_array().expect("targets");
        assert!(!targets.is_empty(), "{} has no query", p["title"]);
        for t in targets {
            let expr = t["expr"].as_str().unwrap_or("");
            assert!(expr.contains("wfm_connector_"), "{}: {expr}", p["title"]);
            assert_eq!(
                expr.matches('(').count(),
                expr.matches(')').count(),
                "{expr}"
            );
        }
    }
}

#[test]
fn every_alert_has_a_name_an_expression_a_severity_and_a_description() {
    let rules = ALERTS.matches("- alert: ").count();
    assert!(rules >= 5, "{rules} rules");
    assert_eq!(ALERTS.matches("        expr: ").count(), rules);
    assert_eq!(ALERTS.matches("          severity: ").count(), rules);
    assert_eq!(ALERTS.matches("          description: ").count(), rules);
}
