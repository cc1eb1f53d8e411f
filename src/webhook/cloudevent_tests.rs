//! Unit tests of the CloudEvent reader: Twilio's documented envelope, the feed's view of the same
//! event, and what is skipped.

use super::*;
use serde_json::json;

const WS: &str = "WS0000000000000000000000000000001";

/// The shape of Twilio's example for `com.twilio.taskrouter.worker.activity.update`.
fn worker_update(sid: &str, ws: &str) -> Value {
    json!({
        "specversion": "1.0",
        "type": "com.twilio.taskrouter.worker.activity.update",
        "source": "AB00000000000000000000000001",
        "id": "NO00000000000000000000000001",
        "dataschema": "https://events-schemas.twilio.com/TaskRouter.WDSEvent/4",
        "datacontenttype": "application/json",
        "time": "2025-01-01T00:00:09.000Z",
        "data": {
            "sid": sid,
            "name": "WorkerActivityUpdate",
            "account_sid": "AC0000000000000000000000000000001",
            "timestamp": "2025-01-01T00:00:08.000Z",
            "level": "INFO",
            "product_name": "TaskRouter",
            "payload_type": "application/json",
            "payload": {
                "sid": sid,
                "eventtype": "worker.activity.update",
                "account_sid": "AC0000000000000000000000000000001",
                "timestamp": "2025-01-01T00:00:07.123Z",
                "workspace_sid": ws,
                "workspace_name": "Flex Task Assignment",
                "worker_sid": "WK0000000000000000000000000000001",
                "worker_name": "alice",
                "worker_activity_sid": "WA0000000000000000000000000000002",
                "worker_activity_name": "Break",
                "worker_time_in_previous_activity_ms": 61000,
                "worker_attributes": "{\"logon\":\"alice\"}"
            }
        }
    })
}

fn one(v: Value) -> Item {
    read_event(&v, WS)
}

#[test]
fn twilios_envelope_gives_the_event_polling_would_give() {
    let Item::Ours(ev) = one(worker_update("EV1", WS)) else {
        panic!("not read");
    };
    assert_eq!(ev.sid, "EV1");
    assert_eq!(ev.event_type, "worker.activity.update");
    assert_eq!(
        ev.event_ms, 1_735_689_607_123,
        "payload.timestamp, to the millisecond"
    );
    assert_eq!(ev.resource_type, "worker");
    assert_eq!(ev.resource_sid, "WK0000000000000000000000000000001");
    for key in ["sid", "eventtype", "timestamp", "account_sid"] {
        assert!(
            !ev.data.contains_key(key),
            "{key} is envelope, not event_data"
        );
    }
    // The same event as the Events feed serves it: numbers as strings, event_date_ms.
    let feed = json!({
        "sid": "EV1", "event_type": "worker.activity.update", "event_date_ms": 1_735_689_607_123i64,
        "resource_type": "worker", "resource_sid": "WK0000000000000000000000000000001",
        "event_data": {
            "workspace_sid": WS, "workspace_name": "Flex Task Assignment",
            "worker_sid": "WK0000000000000000000000000000001", "worker_name": "alice",
            "worker_activity_sid": "WA0000000000000000000000000000002",
            "worker_activity_name": "Break", "worker_time_in_previous_activity_ms": "61000",
            "worker_attributes": "{\"logon\":\"alice\"}"
        }
    });
    let polled = crate::acd::dto::parse_event(&feed).unwrap();
    assert_eq!(
        (&polled.sid, &polled.event_type, polled.event_ms),
        (&ev.sid, &ev.event_type, ev.event_ms)
    );
    assert_eq!(
        (&polled.resource_type, &polled.resource_sid),
        (&ev.resource_type, &ev.resource_sid)
    );
    let (polled_map, pushed_map) = (polled.data.to_map(), ev.data.to_map());
    let keys: Vec<&String> = polled_map.keys().collect();
    assert_eq!(keys, pushed_map.keys().collect::<Vec<_>>());
    for key in keys {
        assert_eq!(polled.data.str(key), ev.data.str(key), "{key}");
    }
}

#[test]
fn each_event_family_names_its_resource() {
    let cases = [
        (
            "reservation.accepted",
            "reservation_sid",
            "WR1",
            "reservation",
        ),
        ("task.canceled", "task_sid", "WT1", "task"),
        ("task-queue.entered", "task_queue_sid", "WQ1", "taskqueue"),
    ];
    for (kind, key, sid, resource_type) in cases {
        let mut ce = worker_update("EV2", WS);
        ce["type"] = json!(format!("com.twilio.taskrouter.{kind}"));
        ce["data"]["payload"]["eventtype"] = json!(kind);
        ce["data"]["payload"][key] = json!(sid);
        let Item::Ours(ev) = one(ce) else {
            panic!("{kind} not read");
        };
        assert_eq!(
            (ev.resource_type.as_str(), ev.resource_sid.as_str()),
            (resource_type, sid)
        );
    }
}

#[test]
fn stand_ins_for_missing_fields_and_a_payload_given_as_text() {
    let mut ce = worker_update("EV3", WS);
    let payload = ce["data"]["payload"].as_object_mut().unwrap();
    payload.remove("sid");
    payload.remove("eventtype");
    payload.remove("timestamp");
    let Item::Ours(ev) = one(ce.clone()) else {
        panic!("not read");
    };
    assert_eq!(ev.sid, "EV3", "data.sid");
    assert_eq!(
        ev.event_type, "worker.activity.update",
        "from the CloudEvent type"
    );
    assert_eq!(ev.event_ms, 1_735_689_608_000, "data.timestamp");
    let text = ce["data"]["payload"].to_string();
    ce["data"]["payload"] = json!(text);
    assert!(
        matches!(one(ce), Item::Ours(_)),
        "a payload sent as a JSON string"
    );
}

#[test]
fn what_is_not_ours_or_unreadable_is_told_apart() {
    let mut other_product = worker_update("EV4", WS);
    other_product["type"] = json!("com.twilio.messaging.message.delivered");
    assert_eq!(one(other_product), Item::NotOurs);
    assert_eq!(one(worker_update("EV5", "WSother")), Item::NotOurs);
    let mut no_ws = worker_update("EV6", WS);
    no_ws["data"]["payload"]
        .as_object_mut()
        .unwrap()
        .remove("workspace_sid");
    assert_eq!(one(no_ws), Item::NotOurs);
    let mut no_sid = worker_update("EV7", WS);
    no_sid["data"]["payload"]
        .as_object_mut()
        .unwrap()
        .remove("sid");
    no_sid["data"].as_object_mut().unwrap().remove("sid");
    assert_eq!(one(no_sid), Item::Unreadable);
    let mut no_time = worker_update("EV8", WS);
    no_time["data"]["payload"]["timestamp"] = json!("soon");
    no_time["data"]["timestamp"] = json!(null);
    no_time.as_object_mut().unwrap().remove("time");
    assert_eq!(one(no_time), Item::Unreadable);
    assert_eq!(one(json!({"specversion": "1.0"})), Item::Unreadable);
}

#[test]
fn a_body_is_an_array_of_events_or_one_event() {
    let body = json!([worker_update("EV9", WS), worker_update("EV10", "WSother"), {"x": 1}]);
    let batch = parse_batch(body.to_string().as_bytes(), WS).unwrap();
    let sids: Vec<&str> = batch.events.iter().map(|e| e.sid.as_str()).collect();
    assert_eq!(sids, ["EV9"]);
    assert_eq!((batch.not_ours, batch.unreadable), (1, 1));
    let single = parse_batch(worker_update("EV11", WS).to_string().as_bytes(), WS).unwrap();
    assert_eq!(single.events.len(), 1);
    assert!(parse_batch(b"not json", WS).is_err());
    assert!(parse_batch(b"42", WS).is_err());
    assert_eq!(parse_batch(b"[]", WS).unwrap(), Batch::default());
}
