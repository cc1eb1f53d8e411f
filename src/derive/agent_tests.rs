//! Unit tests of the effective-state derivation (compiled only under `#[cfg(test)]`, from
//! `agent.rs`).

use super::*;
use crate::model::EventData;

fn ctx() -> DeriveContext {
    let mut states = BTreeMap::new();
    states.insert(
        "Training".to_string(),
        StateOverride {
            state: AgentState::Unavailable,
            reason: Some("TRN".into()),
        },
    );
    states.insert(
        "Away".to_string(),
        StateOverride {
            state: AgentState::LoggedOut,
            reason: None,
        },
    );
    let mut c = DeriveContext::new(AgentIdMode::FriendlyName, MediaConfig::default(), states);
    c.activity_available.insert("WAavail".into(), true);
    c.activity_available.insert("WAbreak".into(), false);
    c
}

fn ev(kind: &str, ms: i64, data: serde_json::Value) -> AcdEvent {
    AcdEvent {
        sid: format!("EV{ms}"),
        event_type: kind.into(),
        event_ms: ms,
        resource_sid: "WK1".into(),
        resource_type: "worker".into(),
        data: EventData::from(data.as_object().cloned().unwrap_or_default()),
    }
}

fn activity(ms: i64, sid: &str, name: &str) -> AcdEvent {
    ev(
        "worker.activity.update",
        ms,
        serde_json::json!({"worker_sid":"WK1","worker_name":"alice","worker_activity_sid":sid,"worker_activity_name":name}),
    )
}

fn reservation(kind: &str, ms: i64, rsid: &str, channel: &str) -> AcdEvent {
    ev(
        kind,
        ms,
        serde_json::json!({"worker_sid":"WK1","reservation_sid":rsid,"task_sid":"WT1","task_channel_unique_name":channel,"task_attributes":"{}","task_age":"3"}),
    )
}

fn state_of(w: &WorkerDerivation) -> (AgentState, Option<String>, Option<String>) {
    let e = w.effective(&ctx());
    (e.state, e.reason_code, e.media_type)
}

#[test]
fn unknown_worker_is_logged_out_and_offline_maps_to_logged_out() {
    let mut w = WorkerDerivation::default();
    assert_eq!(state_of(&w).0, AgentState::LoggedOut);
    w.apply(&activity(1, "WAoff", "Offline"), &ctx());
    assert_eq!(state_of(&w).0, AgentState::LoggedOut);
}

#[test]
fn available_and_unavailable_activities_with_reason_codes() {
    let mut w = WorkerDerivation::default();
    w.apply(&activity(1, "WAavail", "Available"), &ctx());
    assert_eq!(state_of(&w), (AgentState::Available, None, None));
    w.apply(&activity(2, "WAbreak", "Break"), &ctx());
    assert_eq!(
        state_of(&w),
        (AgentState::Unavailable, Some("Break".into()), None)
    );
    w.apply(&activity(3, "WAtrn", "Training"), &ctx());
    assert_eq!(
        state_of(&w),
        (AgentState::Unavailable, Some("TRN".into()), None)
    );
    w.apply(&activity(4, "WAaway", "Away"), &ctx());
    assert_eq!(state_of(&w).0, AgentState::LoggedOut);
}

#[test]
fn reservation_lifecycle_overlays_the_activity() {
    let c = ctx();
    let mut w = WorkerDerivation::default();
    w.apply(&activity(1, "WAavail", "Available"), &c);
    w.apply(&reservation("reservation.created", 2, "WR1", "voice"), &c);
    assert_eq!(
        state_of(&w),
        (AgentState::Reserved, None, Some("voice".into()))
    );
    w.apply(&reservation("reservation.accepted", 3, "WR1", "voice"), &c);
    assert_eq!(
        state_of(&w),
        (AgentState::OnContact, None, Some("voice".into()))
    );
    w.apply(&reservation("reservation.wrapup", 4, "WR1", "voice"), &c);
    assert_eq!(
        state_of(&w),
        (AgentState::AfterContactWork, None, Some("voice".into()))
    );
    w.apply(&reservation("reservation.completed", 5, "WR1", "voice"), &c);
    assert_eq!(state_of(&w), (AgentState::Available, None, None));
}

#[test]
fn rejected_offer_returns_to_the_activity_and_logged_out_beats_work() {
    let c = ctx();
    let mut w = WorkerDerivation::default();
    w.apply(&activity(1, "WAavail", "Available"), &c);
    w.apply(&reservation("reservation.created", 2, "WR1", "chat"), &c);
    w.apply(&reservation("reservation.rejected", 3, "WR1", "chat"), &c);
    assert_eq!(state_of(&w).0, AgentState::Available);
    w.apply(&reservation("reservation.created", 4, "WR2", "chat"), &c);
    w.apply(&reservation("reservation.accepted", 5, "WR2", "chat"), &c);
    w.apply(&activity(6, "WAoff", "Offline"), &c);
    assert_eq!(state_of(&w).0, AgentState::LoggedOut);
}

#[test]
fn multitasking_shows_the_earliest_accepted_task_media() {
    let c = ctx();
    let mut w = WorkerDerivation::default();
    w.apply(&activity(1, "WAavail", "Available"), &c);
    w.apply(&reservation("reservation.created", 2, "WR1", "chat"), &c);
    w.apply(&reservation("reservation.accepted", 3, "WR1", "chat"), &c);
    w.apply(&reservation("reservation.created", 4, "WR2", "sms"), &c);
    w.apply(&reservation("reservation.accepted", 5, "WR2", "sms"), &c);
    assert_eq!(
        state_of(&w),
        (AgentState::OnContact, None, Some("chat".into()))
    );
    w.apply(&reservation("reservation.completed", 6, "WR1", "chat"), &c);
    assert_eq!(
        state_of(&w),
        (AgentState::OnContact, None, Some("sms".into()))
    );
    // Excluded channels still show the work in RTA, with no media type.
    w.apply(&reservation("reservation.created", 7, "WR3", "email"), &c);
    w.apply(&reservation("reservation.completed", 8, "WR2", "sms"), &c);
    assert_eq!(state_of(&w), (AgentState::Reserved, None, None));
}

#[test]
fn deleted_worker_is_logged_out_and_serde_round_trips() {
    let c = ctx();
    let mut w = WorkerDerivation::default();
    w.apply(&activity(1, "WAavail", "Available"), &c);
    w.apply(&reservation("reservation.created", 2, "WR1", "voice"), &c);
    let json = serde_json::to_string(&w).unwrap();
    let back: WorkerDerivation = serde_json::from_str(&json).unwrap();
    assert_eq!(back, w);
    w.apply(
        &ev("worker.deleted", 3, serde_json::json!({"worker_sid":"WK1"})),
        &c,
    );
    assert_eq!(state_of(&w).0, AgentState::LoggedOut);
}

#[test]
fn legacy_worker_activity_alias_and_junk_data_are_tolerated() {
    let c = ctx();
    let mut w = WorkerDerivation::default();
    let mut e = activity(1, "WAavail", "Available");
    e.event_type = "worker.activity".into();
    w.apply(&e, &c);
    assert_eq!(state_of(&w).0, AgentState::Available);
    w.apply(
        &ev(
            "reservation.accepted",
            2,
            serde_json::json!({"worker_sid": 5}),
        ),
        &c,
    );
    w.apply(&ev("worker.unknown.thing", 3, serde_json::json!([])), &c);
    assert_eq!(state_of(&w).0, AgentState::Available);
}
