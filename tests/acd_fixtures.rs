//! TaskRouter response bodies as Twilio documents them (the examples of
//! `reference/twilio_taskrouter_v1.json`, copied to `tests/fixtures/`), read by the connector's
//! parser; and what it does with bodies that are not what they should be.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: a failed unwrap is a failed test

use wfm_connector::acd::AcdError;
use wfm_connector::acd::dto::{parse_activities_page, parse_events_page, parse_workers_page};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[test]
fn openapi_events_example_parses_with_numbers_given_as_strings() {
    let page = parse_events_page(&fixture("twilio_events_readFull.json")).unwrap();
    assert_eq!(page.skipped, 0);
    assert_eq!(page.next, None);
    let ev = &page.events[0];
    assert_eq!(ev.sid, "EVaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    // The legacy alias is understood.
    assert_eq!(ev.event_type, "worker.activity");
    assert_eq!(ev.kind(), "worker.activity.update");
    assert_eq!(ev.event_ms, 987_654_321_111);
    assert_eq!(ev.resource_type, "worker");
    assert_eq!(
        ev.data.str("worker_activity_name").as_deref(),
        Some("Offline")
    );
    assert_eq!(
        ev.data.i64("worker_time_in_previous_activity_ms"),
        Some(26_123)
    );
    let empty = parse_events_page(&fixture("twilio_events_readEmpty.json")).unwrap();
    assert!(empty.events.is_empty());
}

#[test]
fn openapi_workers_and_activities_examples_parse() {
    let (workers, next) = parse_workers_page(&fixture("twilio_workers_readFull.json")).unwrap();
    assert_eq!(next, None);
    assert!(!workers.is_empty());
    let w = &workers[0];
    assert!(w.sid.starts_with("WK"));
    assert!(w.activity_sid.as_deref().unwrap_or("").starts_with("WA"));
    assert!(w.date_status_changed_ms.is_some());
    let (acts, _) = parse_activities_page(&fixture("twilio_activities_readFull.json")).unwrap();
    assert_eq!(acts[0].friendly_name, "New Activity");
    assert!(acts[0].available);
    assert!(
        parse_workers_page(&fixture("twilio_workers_readEmpty.json"))
            .unwrap()
            .0
            .is_empty()
    );
    assert!(
        parse_activities_page(&fixture("twilio_activities_readEmpty.json"))
            .unwrap()
            .0
            .is_empty()
    );
}

#[test]
fn a_truncated_body_is_an_error_to_retry_not_a_panic() {
    let body = fixture("twilio_events_readFull.json");
    let cut = &body[..body.len() / 2];
    assert!(matches!(
        parse_events_page(cut),
        Err(AcdError::Malformed(_))
    ));
    assert!(matches!(
        parse_events_page(b"[1,2]"),
        Err(AcdError::Malformed(_))
    ));
    assert!(matches!(
        parse_events_page(b"{\"events\": 5}"),
        Err(AcdError::Malformed(_))
    ));
}

#[test]
fn junk_events_are_skipped_and_the_rest_of_the_page_is_kept() {
    let body = serde_json::json!({
        "events": [
            {"sid": "EV1", "event_type": "worker.activity.update", "event_date_ms": "1700000000000",
             "event_data": {"worker_sid": "WK1", "worker_activity_name": "Break"}},
            {"event_type": "worker.activity.update", "event_date_ms": 1},
            {"sid": "EV3", "event_type": "worker.activity.update"},
            {"sid": "EV4", "event_type": "task.created", "event_date": "2026-11-20T10:00:00Z",
             "event_data": "{\"task_sid\":\"WT1\"}"},
            {"sid": "EV5", "event_type": "made.up.type", "event_date_ms": 5, "event_data": [1, 2]},
            "not an object"
        ],
        "meta": {"next_page_url": "https://taskrouter.twilio.com/v1/Workspaces/WS1/Events?PageToken=x"}
    });
    let page = parse_events_page(body.to_string().as_bytes()).unwrap();
    let sids: Vec<&str> = page.events.iter().map(|e| e.sid.as_str()).collect();
    assert_eq!(sids, vec!["EV1", "EV4", "EV5"]);
    assert_eq!(page.skipped, 3);
    assert_eq!(page.events[0].event_ms, 1_700_000_000_000);
    // event_data sent as a JSON string is read too.
    assert_eq!(page.events[1].data.str("task_sid").as_deref(), Some("WT1"));
    assert!(page.next.is_some());
}
