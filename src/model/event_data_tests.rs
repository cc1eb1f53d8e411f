//! `EventData` reads what the tree it replaced read, from the text as received.

use super::EventData;
use serde_json::json;

fn data(text: &str) -> EventData {
    EventData::from_json(text).unwrap()
}

#[test]
fn values_read_as_strings_numbers_and_booleans() {
    let d = data(
        r#" {"worker_sid":"WK1", "task_age": 3, "n2":"26123", "f":1.50, "big":123456789012345678901234,
            "ok":true, "s_ok":" false ", "none":null, "obj":{"a": 1}, "arr":[1, "x"],
            "attrs":"{\"direction\":\"outbound\"}", "esc":"a\"b\u00e9", "dup":"first", "dup":"last"} "#,
    );
    assert_eq!(d.text("worker_sid").as_deref(), Some("WK1"));
    assert!(matches!(
        d.text("worker_sid"),
        Some(std::borrow::Cow::Borrowed(_))
    ));
    assert_eq!(d.str("task_age").as_deref(), Some("3"));
    assert_eq!(
        d.str("f").as_deref(),
        Some("1.5"),
        "as serde_json renders it"
    );
    let big: serde_json::Value = serde_json::from_str("123456789012345678901234").unwrap();
    assert_eq!(
        d.str("big"),
        Some(big.to_string()),
        "as the tree rendered it"
    );
    assert_eq!(d.str("ok").as_deref(), Some("true"));
    assert_eq!(d.str("none"), None);
    assert_eq!(d.str("missing"), None);
    assert!(d.contains_key("none") && !d.contains_key("missing"));
    assert_eq!(d.str("obj").as_deref(), Some(r#"{"a":1}"#));
    assert_eq!(d.str("arr").as_deref(), Some(r#"[1,"x"]"#));
    assert_eq!(d.str("esc").as_deref(), Some("a\"bé"));
    assert_eq!(d.str("dup").as_deref(), Some("last"), "JSON keeps the last");
    assert_eq!(
        (d.i64("task_age"), d.i64("n2"), d.i64("f")),
        (Some(3), Some(26123), Some(1))
    );
    assert_eq!((d.i64("ok"), d.i64("worker_sid")), (None, None));
    assert_eq!(
        (d.bool("ok"), d.bool("s_ok"), d.bool("task_age")),
        (Some(true), Some(false), None)
    );
    assert_eq!(
        d.json_object("attrs").unwrap()["direction"],
        json!("outbound")
    );
    assert_eq!(d.json_object("obj").unwrap()["a"], json!(1));
    assert_eq!(d.json_object("worker_sid"), None);
    let mut slot = Some("WK1".to_string());
    d.read_into("esc", true, &mut slot);
    assert_eq!(slot.as_deref(), Some("a\"bé"));
}

#[test]
fn the_text_is_kept_as_received_and_equality_is_by_members() {
    let text = r#"{"b": "2", "a":1}"#;
    let d = data(text);
    assert_eq!(d.as_json(), text);
    assert_eq!(serde_json::to_string(&d).unwrap(), text);
    let from_map = EventData::from(json!({"a": 1, "b": "2"}).as_object().cloned().unwrap());
    assert_eq!(d, from_map);
    assert_ne!(d, data(r#"{"a":1}"#));
    assert_eq!(EventData::default().as_json(), "{}");
    assert_eq!(EventData::default(), data("{}"));
    let back: EventData = serde_json::from_str(text).unwrap();
    assert_eq!(back, d);
    // Given as a JSON string, as some producers send it.
    let s: EventData = serde_json::from_str(r#""{\"a\":1,\"b\":\"2\"}""#).unwrap();
    assert_eq!(s, d);
    let mut e = d.clone();
    e.insert("c", json!(null));
    assert!(e.contains_key("c") && e.str("a").as_deref() == Some("1"));
}

#[test]
fn what_is_not_an_object_is_refused() {
    for text in [
        "",
        "[]",
        "\"x\"",
        "1",
        "{",
        "{\"a\":1} x",
        "{\"a\":}",
        "null",
    ] {
        assert!(EventData::from_json(text).is_none(), "{text}");
    }
    let junk: EventData = serde_json::from_str("[1, 2]").unwrap();
    assert_eq!(junk, EventData::default());
}
