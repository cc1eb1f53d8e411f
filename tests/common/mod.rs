//! Helpers shared by the black-box tests: event builders with Twilio-shaped `event_data`
//! (numbers as strings), and a derivation context.
#![allow(dead_code)]

use std::collections::BTreeMap;
use wfm_connector::config::{AgentIdMode, MediaConfig, StateOverride};
use wfm_connector::derive::agent::DeriveContext;
use wfm_connector::model::{AcdEvent, AgentState, EventData};

pub fn ctx() -> DeriveContext {
    let mut states = BTreeMap::new();
    states.insert(
        "Training".to_string(),
        StateOverride {
            state: AgentState::Unavailable,
            reason: Some("TRN".into()),
        },
    );
    let mut c = DeriveContext::new(AgentIdMode::FriendlyName, MediaConfig::default(), states);
    c.activity_available.insert("WAavailable".into(), true);
    c.activity_available.insert("WAbreak".into(), false);
    c.activity_available.insert("WAoffline".into(), false);
    c
}

pub fn event(sid: &str, kind: &str, ms: i64, data: serde_json::Value) -> AcdEvent {
    let resource_type = kind.split('.').next().unwrap_or("").to_string();
    AcdEvent {
        sid: sid.to_string(),
        event_type: kind.to_string(),
        event_ms: ms,
        resource_sid: data
            .get("worker_sid")
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string(),
        resource_type,
        data: EventData::from(data.as_object().cloned().unwrap_or_default()),
    }
}

/// `worker.activity.update` for worker `WK<n>` named `agent<n>`.
pub fn activity(sid: &str, worker: u32, ms: i64, activity: &str) -> AcdEvent {
    let act_sid = format!("WA{}", activity.to_lowercase());
    event(
        sid,
        "worker.activity.update",
        ms,
        serde_json::json!({
            "worker_sid": format!("WK{worker}"),
            "worker_name": format!("agent{worker}"),
            "worker_activity_sid": act_sid,
            "worker_activity_name": activity,
            "worker_time_in_previous_activity_ms": "1000",
            "worker_attributes": "{}"
        }),
    )
}

/// `reservation.<kind>` for worker `WK<n>` on task `task` in queue `WQ1` (Support).
pub fn reservation(
    sid: &str,
    kind: &str,
    worker: u32,
    ms: i64,
    task: &str,
    channel: &str,
) -> AcdEvent {
    event(
        sid,
        &format!("reservation.{kind}"),
        ms,
        serde_json::json!({
            "worker_sid": format!("WK{worker}"),
            "worker_name": format!("agent{worker}"),
            "reservation_sid": format!("WR{task}{worker}"),
            "task_sid": task,
            "task_queue_sid": "WQ1",
            "task_queue_name": "Support",
            "task_channel_unique_name": channel,
            "task_attributes": "{}",
            "task_age": "4"
        }),
    )
}
pub mod e2e;
pub mod webhook;
