//! The Events page read without a tree for `event_data` gives what the tree gave, on every shape
//! TaskRouter (or a proxy, or a bad record) can send.

use super::{parse_events_page, parse_events_tree};
use crate::acd::EventPage;

/// What a page read gives (events equal when their data has the same members).
type Summary = Result<(Vec<crate::model::AcdEvent>, usize, Option<String>), String>;

fn summary(page: Result<EventPage, crate::acd::AcdError>) -> Summary {
    page.map(|p| (p.events, p.skipped, p.next))
        .map_err(|e| e.to_string())
}

#[test]
fn every_shape_reads_as_the_tree_read_it() {
    let item = |extra: &str| {
        format!(
            r#"{{"sid":"EV1","event_type":"worker.activity.update","event_date_ms":1700000000000,
                "resource_sid":"WK1","resource_type":"worker"{extra}}}"#
        )
    };
    let items = [
        item(r#","event_data":{"worker_sid":"WK1","worker_name":"alice","task_age":3}"#),
        item(r#","event_data":"{\"worker_sid\":\"WK1\"}""#),
        item(r#","event_data":"not json""#),
        item(r#","event_data":[1,2]"#),
        item(r#","event_data":null"#),
        item(""),
        item(r#","event_data":{"a":"\u00e9\"","a":"dup","b":{"c":[1,{"d":null}]}}"#),
        item(r#","event_data":{"x":1},"event_data":{"y":2}"#),
        item(r#","account_sid":"AC1","actor_sid":null,"description":"x","event_data":{}"#),
        r#"{"sid":"EV2","event_type":"task.created","event_date_ms":"1700000000001","event_data":{}}"#
            .into(),
        r#"{"sid":"EV3","event_type":"task.created","event_date":"2023-11-14T22:13:20Z"}"#.into(),
        r#"{"sid":"EV4","event_type":"task.created","event_date_ms":null,"event_date":"x"}"#.into(),
        r#"{"sid":5,"event_type":"task.created","event_date_ms":1}"#.into(),
        r#"{"sid":"","event_type":"task.created","event_date_ms":1}"#.into(),
        r#"{"sid":"EV6","event_type":7,"event_date_ms":1}"#.into(),
        r#"{"sid":"EV7","event_type":"x","event_date_ms":1,"resource_sid":42,"resource_type":true}"#
            .into(),
        r#"{"sid":"EV8","sid":"EV9","event_type":"x","event_date_ms":1.5}"#.into(),
        "17".into(),
        "null".into(),
        r#"[{"sid":"EV1"}]"#.into(),
    ];
    let mut bodies: Vec<String> = items
        .iter()
        .map(|i| format!(r#"{{"events":[{i}],"meta":{{"next_page_url":"https://x/next"}}}}"#))
        .collect();
    bodies.push(format!(r#"{{"events":[{}]}}"#, items.join(",")));
    bodies.extend(
        [
            r#"{"events":[],"meta":{"next_page_url":null}}"#,
            r#"{"events":[],"meta":{"next_page_url":""}}"#,
            r#"{"events":[],"meta":[]}"#,
            r#"{"events":{},"meta":{}}"#,
            r#"{"events":null}"#,
            r#"{"meta":{}}"#,
            r#"{"events":[],"events":[]}"#,
            r#"[]"#,
            r#"{"events":[}"#,
            "",
        ]
        .map(String::from),
    );
    for body in &bodies {
        assert_eq!(
            summary(parse_events_page(body.as_bytes())),
            summary(parse_events_tree(body.as_bytes())),
            "{body}"
        );
    }
    // And the fast reading kept the text of `event_data` as sent.
    let page = parse_events_page(bodies[0].as_bytes()).unwrap();
    assert_eq!(
        page.events[0].data.as_json(),
        r#"{"worker_sid":"WK1","worker_name":"alice","task_age":3}"#
    );
}
