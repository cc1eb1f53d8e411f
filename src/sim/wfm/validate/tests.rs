//! Unit tests of the body checks, with plain JSON and no server (compiled only under
//! `#[cfg(test)]`, from `validate.rs`).

use super::super::record::ReportKind;
use super::*;
use serde_json::json;

fn state_item(event_id: &str, agent_id: &str, state: &str) -> Value {
    json!({
        "eventId": event_id, "agentId": agent_id, "state": state, "reasonCode": null,
        "mediaType": null, "stateStart": "2026-11-20T10:15:00.000Z",
        "isLoggedOn": state != "LoggedOut",
    })
}

fn states_body(is_snapshot: bool, items: Vec<Value>) -> Value {
    json!({ "acdType": "TWILIO", "batchId": "b1", "isSnapshot": is_snapshot, "agentStates": items })
}

fn queue_body(report_data: Value) -> Value {
    json!({
        "acdType": "TWILIO", "reportVersion": "1", "startDate": "2026-11-20T10:15:00.000Z",
        "endDate": "2026-11-20T10:30:00.000Z", "revision": 1, "reportData": report_data,
    })
}

fn fields_of(errors: &[WireError]) -> Vec<&str> {
    errors.iter().filter_map(|e| e.field.as_deref()).collect()
}

#[test]
fn wire_timestamps_need_milliseconds_and_z() {
    assert!(parse_wire_timestamp("2026-11-20T10:15:00.000Z").is_some());
    assert_eq!(
        parse_wire_timestamp("2026-11-20T10:15:00.007Z"),
        Some(parse_wire_timestamp("2026-11-20T10:15:00.000Z").unwrap_or_default() + 7)
    );
    for refused in [
        "2026-11-20T10:15:00Z",
        "2026-11-20T10:15:00.000+00:00",
        "2026-11-20T10:15:00.000z",
        "2026-11-20 10:15:00.000Z",
        "2026-11-20T10:15:00.0000Z",
        "2026-13-20T10:15:00.000Z",
        "1763633700000",
    ] {
        assert_eq!(parse_wire_timestamp(refused), None, "{refused}");
    }
}

#[test]
fn valid_batch_has_every_item_and_no_error() {
    let body = states_body(
        false,
        vec![
            state_item("e1", "a1", "Available"),
            state_item("e2", "a1", "OnContact"),
        ],
    );
    let batch = agent_states(&body, 500).unwrap();
    assert!(batch.errors.is_empty());
    assert_eq!(batch.valid.len(), 2);
    assert_eq!(batch.valid[1].1.state, AgentState::OnContact);
    assert_eq!(batch.valid[1].1.batch_id, "b1");
}

#[test]
fn bad_item_is_named_by_index_and_field_and_the_others_stay_valid() {
    let mut bad_time = state_item("e3", "a3", "Available");
    bad_time["stateStart"] = json!("2026-11-20T10:15:00Z");
    let body = states_body(
        false,
        vec![
            state_item("e1", "a1", "Available"),
            state_item("e2", "a2", "Busy"),
            bad_time,
        ],
    );
    let batch = agent_states(&body, 500).unwrap();
    assert_eq!(
        batch.valid.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
        vec![0]
    );
    assert_eq!(
        fields_of(&batch.errors),
        vec!["agentStates[1].state", "agentStates[2].stateStart"]
    );
    assert_eq!(batch.errors[0].index, Some(1));
    assert_eq!(batch.errors[0].code, code::INVALID_VALUE);
    assert_eq!(batch.errors[1].code, code::INVALID_TIMESTAMP);
}

#[test]
fn missing_nullable_keys_and_inconsistent_logon_are_item_errors() {
    let mut no_reason = state_item("e1", "a1", "Available");
    no_reason.as_object_mut().map(|o| o.remove("reasonCode"));
    let mut logged_out_but_on = state_item("e2", "a2", "LoggedOut");
    logged_out_but_on["isLoggedOn"] = json!(true);
    let mut email = state_item("e3", "a3", "OnContact");
    email["mediaType"] = json!("email");
    let batch = agent_states(
        &states_body(false, vec![no_reason, logged_out_but_on, email]),
        500,
    )
    .unwrap();
    assert!(batch.valid.is_empty());
    let codes: Vec<&str> = batch.errors.iter().map(|e| e.code.as_str()).collect();
    assert_eq!(
        codes,
        vec![code::MISSING_FIELD, code::INCONSISTENT, code::INVALID_VALUE]
    );
}

#[test]
fn envelope_errors_reject_the_whole_batch() {
    let mut wrong_acd = states_body(false, vec![state_item("e1", "a1", "Available")]);
    wrong_acd["acdType"] = json!("GENESYS");
    assert_eq!(
        fields_of(&agent_states(&wrong_acd, 500).unwrap_err()),
        vec!["acdType"]
    );

    let mut no_batch_id = states_body(false, vec![state_item("e1", "a1", "Available")]);
    no_batch_id.as_object_mut().map(|o| o.remove("batchId"));
    let errors = agent_states(&no_batch_id, 500).unwrap_err();
    assert_eq!(
        (errors[0].code.as_str(), errors[0].index),
        (code::MISSING_FIELD, None)
    );

    let empty = states_body(false, vec![]);
    assert_eq!(
        agent_states(&empty, 500).unwrap_err()[0].code,
        code::EMPTY_BATCH
    );
    assert!(agent_states(&json!([1, 2]), 500).is_err());
}

#[test]
fn batch_size_is_capped_except_for_snapshots() {
    let items: Vec<Value> = (0..3)
        .map(|i| state_item(&format!("e{i}"), &format!("a{i}"), "Available"))
        .collect();
    let too_big = agent_states(&states_body(false, items.clone()), 2).unwrap_err();
    assert_eq!(too_big[0].code, code::BATCH_TOO_LARGE);
    let snapshot = agent_states(&states_body(true, items), 2).unwrap();
    assert_eq!(snapshot.valid.len(), 3);
}

#[test]
fn an_agent_twice_in_a_snapshot_is_an_item_error() {
    let items = vec![
        state_item("e1", "a1", "Available"),
        state_item("e2", "a1", "Unavailable"),
    ];
    let snapshot = agent_states(&states_body(true, items), 500).unwrap();
    assert_eq!(snapshot.valid.len(), 1);
    assert_eq!(snapshot.errors[0].code, code::DUPLICATE_AGENT);
    assert_eq!(snapshot.errors[0].index, Some(1));
}

#[test]
fn queue_report_needs_all_three_sections_even_empty() {
    let complete = queue_body(
        json!({"queueReport": [], "agentQueueReport": [], "agentSystemPerformanceReport": []}),
    );
    let check = report(ReportKind::Queue, &complete).unwrap();
    assert_eq!((check.rows, check.revision), (0, 1));

    let missing = queue_body(json!({"queueReport": [], "agentSystemPerformanceReport": []}));
    let errors = report(ReportKind::Queue, &missing).unwrap_err();
    assert_eq!(fields_of(&errors), vec!["reportData.agentQueueReport"]);
    assert_eq!(errors[0].code, code::MISSING_FIELD);
}

#[test]
fn report_interval_must_be_an_aligned_allowed_length() {
    let sections =
        json!({"queueReport": [], "agentQueueReport": [], "agentSystemPerformanceReport": []});
    let mut twenty_minutes = queue_body(sections.clone());
    twenty_minutes["endDate"] = json!("2026-11-20T10:35:00.000Z");
    assert_eq!(
        report(ReportKind::Queue, &twenty_minutes).unwrap_err()[0].code,
        code::INVALID_INTERVAL
    );
    let mut misaligned = queue_body(sections);
    misaligned["startDate"] = json!("2026-11-20T10:16:00.000Z");
    misaligned["endDate"] = json!("2026-11-20T10:31:00.000Z");
    assert_eq!(
        report(ReportKind::Queue, &misaligned).unwrap_err()[0].code,
        code::INVALID_INTERVAL
    );
}

#[test]
fn report_rows_are_checked_for_keys_and_types() {
    let row = json!({
        "queueId": "WQ1", "queueName": "Support", "mediaType": "voice", "offered": 3, "handled": 2,
        "abandoned": 1, "shortAbandoned": 0, "answeredInSl": 2, "abandonedInSl": 1, "slThresholdSec": 20,
        "totalWaitSec": 30.5, "totalAnswerWaitSec": 20, "maxWaitSec": 15, "totalTalkSec": 300,
        "totalAcwSec": 60, "totalHandleSec": 360,
    });
    let mut bad = row.clone();
    bad["offered"] = json!("3");
    let body = queue_body(
        json!({"queueReport": [row, bad], "agentQueueReport": [], "agentSystemPerformanceReport": []}),
    );
    let check = report(ReportKind::Queue, &body).unwrap();
    assert_eq!(check.rows, 2);
    assert_eq!(
        fields_of(&check.row_errors),
        vec!["reportData.queueReport[1].offered"]
    );
    assert_eq!(check.row_errors[0].index, Some(1));
}

#[test]
fn activity_row_must_end_inside_the_interval() {
    let segment = |end: &str| json!({"agentId": "a1", "state": "Available", "start": "2026-11-20T10:01:00.000Z", "end": end, "durationSec": 60});
    let mut body = queue_body(json!([
        segment("2026-11-20T10:20:00.000Z"),
        segment("2026-11-20T10:40:00.000Z")
    ]));
    body["startDate"] = json!("2026-11-20T10:15:00.000Z");
    let check = report(ReportKind::AgentActivity, &body).unwrap();
    assert_eq!(fields_of(&check.row_errors), vec!["reportData[1].end"]);
    assert_eq!(check.row_errors[0].code, code::OUT_OF_INTERVAL);
    assert!(report(ReportKind::AgentActivity, &queue_body(json!({}))).is_err());
}

#[test]
fn heartbeat_and_auth_bodies() {
    let heartbeat_body = json!({
        "acdType": "TWILIO", "connectorId": "c1", "version": "0.1.0", "status": "OK",
        "oldestPendingSec": 0, "pendingStates": 0, "pendingReports": 0, "lastAcdPoll": null,
    });
    assert!(heartbeat(&heartbeat_body).is_ok());
    let mut unhappy = heartbeat_body;
    unhappy["status"] = json!("FINE");
    assert_eq!(fields_of(&heartbeat(&unhappy).unwrap_err()), vec!["status"]);

    let no_secret = json!({"tenantName": "t", "accessKeyTokenRequest": {"accessKeyId": "k"}});
    let errors = token_request(&no_secret).unwrap_err();
    assert_eq!(
        fields_of(&errors),
        vec!["accessKeyTokenRequest.accessKeySecret"]
    );
    assert_eq!(refresh_request(&json!({"token": "r"})).ok(), Some("r"));
}
