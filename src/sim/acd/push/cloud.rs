//! One event as Twilio Event Streams writes it for a webhook sink: a CloudEvent 1.0 whose
//! `data.payload` is the event (schema `TaskRouter.WDSEvent`), made from the event as the Events
//! feed serves it. The payload carries the feed's `sid`, its `event_type` as `eventtype`, its
//! date as `timestamp` (ISO 8601, milliseconds), and the `event_data` keys; where the feed writes
//! numbers as strings (`"26123"`), Event Streams writes JSON numbers, and so does this.

use crate::sim::acd::render::twilio_date_ms;
use serde_json::{Map, Value, json};

/// The schema a TaskRouter subscription of version 4 names.
pub(crate) const DATASCHEMA: &str = "https://events-schemas.twilio.com/TaskRouter.WDSEvent/4";

/// `event_data` keys that Event Streams sends as numbers.
const NUMERIC_KEYS: [&str; 5] = [
    "task_age",
    "task_priority",
    "worker_time_in_previous_activity",
    "worker_time_in_previous_activity_ms",
    "task_queue_target_expression_priority",
];

/// The CloudEvent of a feed event object; `None` for one Twilio could not have published (no
/// sid, no type, no date: the simulator's junk).
pub(crate) fn cloud_event(feed: &Value, id: &str) -> Option<Value> {
    let sid = feed.get("sid")?.as_str()?;
    let event_type = feed.get("event_type")?.as_str()?;
    let event_ms = match feed.get("event_date_ms")? {
        Value::Number(n) => n.as_i64()?,
        Value::String(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    let account_sid = feed.get("account_sid").cloned().unwrap_or(Value::Null);
    let mut payload = match feed.get("event_data") {
        Some(Value::Object(m)) => m.clone(),
        Some(Value::String(s)) => serde_json::from_str(s).unwrap_or_default(),
        _ => Map::new(),
    };
    for key in NUMERIC_KEYS {
        let number = payload
            .get(key)
            .and_then(Value::as_str)
            .and_then(|s| s.parse::<i64>().ok());
        if let Some(n) = number {
            payload.insert(key.into(), n.into());
        }
    }
    if !payload.contains_key("workspace_sid")
        && let Some(ws) = feed.get("workspace_sid")
    {
        payload.insert("workspace_sid".into(), ws.clone());
    }
    let timestamp = twilio_date_ms(event_ms);
    payload.insert("sid".into(), sid.into());
    payload.insert("eventtype".into(), event_type.into());
    payload.insert("account_sid".into(), account_sid.clone());
    payload.insert("timestamp".into(), timestamp.clone().into());
    let group = event_type.split('.').next().unwrap_or_default();
    Some(json!({
        "specversion": "1.0",
        "type": format!("com.twilio.taskrouter.{event_type}"),
        "source": format!("/v1/Workspaces/{}", feed.get("workspace_sid").and_then(Value::as_str).unwrap_or_default()),
        "id": id,
        "dataschema": DATASCHEMA,
        "datacontenttype": "application/json",
        "time": timestamp,
        "data": {
            "sid": sid,
            "name": name(event_type),
            "account_sid": account_sid,
            "timestamp": timestamp,
            "level": "INFO",
            "group": group,
            "product_name": "TaskRouter",
            "publisher": "TaskRouter",
            "publisher_metadata": "{}",
            "payload_type": "application/json",
            "payload": payload,
        }
    }))
}

/// `worker.activity.update` → `WorkerActivityUpdate`.
fn name(event_type: &str) -> String {
    event_type
        .split(['.', '-'])
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or_else(String::new, |c| {
                c.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::webhook::cloudevent::{Item, read_event};

    #[test]
    fn the_connectors_reader_gets_back_the_feed_event() {
        let feed = json!({
            "account_sid": "AC1", "sid": "EV1", "event_type": "reservation.accepted",
            "event_date": "2026-11-20T10:15:00Z", "event_date_ms": 1_795_169_700_123i64,
            "resource_type": "reservation", "resource_sid": "WR1", "workspace_sid": "WS1",
            "event_data": {"workspace_sid": "WS1", "worker_sid": "WK1", "reservation_sid": "WR1",
                           "task_sid": "WT1", "task_age": "4"}
        });
        let ce = cloud_event(&feed, "NO1").unwrap();
        assert_eq!(ce["type"], "com.twilio.taskrouter.reservation.accepted");
        assert_eq!(ce["data"]["name"], "ReservationAccepted");
        assert_eq!(
            ce["data"]["payload"]["task_age"], 4,
            "a number, as Event Streams sends"
        );
        let Item::Ours(pushed) = read_event(&ce, "WS1") else {
            panic!("not read back");
        };
        let polled = crate::acd::dto::parse_event(&feed).unwrap();
        assert_eq!(
            (&pushed.sid, &pushed.event_type, pushed.event_ms),
            (&polled.sid, &polled.event_type, polled.event_ms)
        );
        assert_eq!(
            (&pushed.resource_type, &pushed.resource_sid),
            (&polled.resource_type, &polled.resource_sid)
        );
        for key in polled.data.to_map().keys() {
            assert_eq!(pushed.data.str(key), polled.data.str(key), "{key}");
        }
    }

    #[test]
    fn junk_without_a_date_is_not_published() {
        assert!(cloud_event(&json!({"sid": "EV1", "event_type": "x"}), "NO1").is_none());
        assert!(cloud_event(&json!("junk"), "NO1").is_none());
    }
}
