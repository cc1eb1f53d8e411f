//! A webhook body → [`AcdEvent`]s: pure functions, no I/O.
//!
//! What Twilio sends (Event Streams webhook sink, schema `TaskRouter.WDSEvent`, per the event type
//! pages of Twilio's docs, e.g. `com.twilio.taskrouter.worker.activity.update`): a JSON array of
//! CloudEvents 1.0 in structured mode,
//!
//! ```text
//! [{"specversion": "1.0", "type": "com.twilio.taskrouter.worker.activity.update",
//!   "source": "…", "id": "…", "dataschema": "https://events-schemas.twilio.com/TaskRouter.WDSEvent/4",
//!   "datacontenttype": "application/json", "time": "…",
//!   "data": {"sid": "EV…", "name": "…", "account_sid": "AC…", "timestamp": "…", "product_name": "TaskRouter",
//!            "payload_type": "application/json",
//!            "payload": {"sid": "EV…", "eventtype": "worker.activity.update", "account_sid": "AC…",
//!                        "timestamp": "2025-01-01T00:00:00.000Z", "workspace_sid": "WS…",
//!                        "worker_sid": "WK…", "worker_activity_name": "…", …}}}]
//! ```
//!
//! `data.payload` is the event: `sid` is the `EV…` sid the Events feed gives the same event,
//! `eventtype` its `event_type`, `timestamp` (ISO 8601, milliseconds) its `event_date_ms`, and the
//! other keys are those of `event_data`, snake_case as in the feed (numbers may be JSON numbers
//! where the feed writes strings: [`crate::model::EventData`] reads both). So a pushed event
//! becomes the [`AcdEvent`] polling would have made of it: the event data is the payload less
//! `sid`, `eventtype`, `timestamp` and `account_sid`; the resource is the worker, reservation,
//! task or task queue the event type names (as the feed's `resource_type` / `resource_sid`).
//!
//! Lenient as the feed reader is: an object instead of an array is one event; a payload sent as
//! a JSON string is read; `data.sid` / the CloudEvent `type` / `time` stand in for a missing
//! `payload.sid` / `eventtype` / `timestamp`. Not ours, and skipped without error: other products'
//! events (a subscription may hold more than TaskRouter), events of another workspace (an account
//! may have several; the feed polled is one), and events without a `workspace_sid` to prove they
//! are of ours.

use crate::acd::dto::parse_twilio_date;
use crate::model::{AcdEvent, EventData, Millis};
use serde_json::{Map, Value};

/// The CloudEvent `type` prefix of TaskRouter events.
pub const TASKROUTER_TYPE_PREFIX: &str = "com.twilio.taskrouter.";

/// Payload keys that are the event's envelope in the Events feed, not its `event_data`.
const ENVELOPE_KEYS: [&str; 4] = ["sid", "eventtype", "timestamp", "account_sid"];

/// What one body held.
#[derive(Debug, Default, PartialEq)]
pub struct Batch {
    /// TaskRouter events of our workspace.
    pub events: Vec<AcdEvent>,
    /// Events that are not ours: another product, another workspace, no workspace.
    pub not_ours: usize,
    /// TaskRouter events that could not be read (no sid, no type, no time).
    pub unreadable: usize,
}

/// The body is not a JSON array (or object) of events.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the body is not a JSON array of CloudEvents: {0}")]
pub struct NotABatch(pub String);

/// Reads one webhook body; events are returned in the order received.
pub fn parse_batch(body: &[u8], workspace_sid: &str) -> Result<Batch, NotABatch> {
    let root: Value = serde_json::from_slice(body).map_err(|e| NotABatch(e.to_string()))?;
    let items = match root {
        Value::Array(items) => items,
        one @ Value::Object(_) => vec![one],
        _ => return Err(NotABatch("neither an array nor an object".into())),
    };
    let mut batch = Batch::default();
    for item in &items {
        match read_event(item, workspace_sid) {
            Item::Ours(ev) => batch.events.push(ev),
            Item::NotOurs => batch.not_ours += 1,
            Item::Unreadable => batch.unreadable += 1,
        }
    }
    Ok(batch)
}

/// One CloudEvent, judged.
#[derive(Debug, PartialEq)]
pub enum Item {
    Ours(AcdEvent),
    NotOurs,
    Unreadable,
}

/// One CloudEvent → an [`AcdEvent`] of `workspace_sid`, if it is one.
pub fn read_event(ce: &Value, workspace_sid: &str) -> Item {
    let Some(ce_type) = ce.get("type").and_then(Value::as_str) else {
        return Item::Unreadable;
    };
    let Some(kind) = ce_type.strip_prefix(TASKROUTER_TYPE_PREFIX) else {
        return Item::NotOurs;
    };
    let data = ce.get("data");
    let Some(payload) = data.and_then(|d| d.get("payload")).and_then(object) else {
        return Item::Unreadable;
    };
    match payload.get("workspace_sid").and_then(Value::as_str) {
        Some(ws) if ws == workspace_sid => {}
        _ => return Item::NotOurs,
    }
    let sid = text(payload.get("sid"))
        .or_else(|| text(data.and_then(|d| d.get("sid"))))
        .filter(|s| !s.is_empty());
    let event_type = text(payload.get("eventtype")).unwrap_or_else(|| kind.to_string());
    let (Some(sid), false) = (sid, event_type.is_empty()) else {
        return Item::Unreadable;
    };
    let Some(event_ms) = event_ms(&payload, data, ce) else {
        return Item::Unreadable;
    };
    let mut fields = payload;
    for key in ENVELOPE_KEYS {
        fields.remove(key);
    }
    let (resource_type, resource_sid) = resource(&event_type, &fields);
    Item::Ours(AcdEvent {
        sid,
        event_type,
        event_ms,
        resource_sid,
        resource_type,
        data: EventData::from(fields),
    })
}

/// `payload.timestamp`, else `data.timestamp`, else the CloudEvent `time`.
fn event_ms(payload: &Map<String, Value>, data: Option<&Value>, ce: &Value) -> Option<Millis> {
    [
        payload.get("timestamp"),
        data.and_then(|d| d.get("timestamp")),
        ce.get("time"),
    ]
    .into_iter()
    .filter_map(|v| v.and_then(Value::as_str))
    .find_map(parse_twilio_date)
}

/// The feed's `resource_type` / `resource_sid` for an event type, from the payload.
fn resource(event_type: &str, fields: &Map<String, Value>) -> (String, String) {
    if let (Some(t), Some(s)) = (
        text(fields.get("resource_type")),
        text(fields.get("resource_sid")),
    ) {
        return (t, s);
    }
    let (resource_type, key) = match event_type.split('.').next().unwrap_or_default() {
        "worker" => ("worker", "worker_sid"),
        "reservation" => ("reservation", "reservation_sid"),
        "task" => ("task", "task_sid"),
        "task-queue" => ("taskqueue", "task_queue_sid"),
        "activity" => ("activity", "activity_sid"),
        "workflow" => ("workflow", "workflow_sid"),
        _ => return (String::new(), String::new()),
    };
    let sid = text(fields.get(key)).unwrap_or_default();
    (resource_type.to_string(), sid)
}

/// An object, or a JSON string holding one (`payload_type: application/json`).
fn object(v: &Value) -> Option<Map<String, Value>> {
    match v {
        Value::Object(m) => Some(m.clone()),
        Value::String(s) => serde_json::from_str(s).ok(),
        _ => None,
    }
}

fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

#[cfg(test)]
#[path = "cloudevent_tests.rs"]
mod tests;
