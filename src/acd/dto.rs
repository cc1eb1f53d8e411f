//! TaskRouter v1 list responses, read leniently: shapes from Twilio's OpenAPI spec, numbers that
//! arrive as strings, unknown fields and event types tolerated, junk items skipped (not fatal).

use super::{AcdError, ActivityInfo, EventPage, WorkerInfo};
use crate::model::{AcdEvent, EventData};
use serde_json::Value;
use serde_json::value::RawValue;

/// Parses one Events page body.
///
/// Each event's `event_data` is kept as its JSON text ([`EventData`]), not parsed into a tree:
/// the page is read as a list of raw items, each item into its few envelope fields. Whatever that
/// reading refuses (a page or an item of an unexpected shape, a duplicate key) is read again as a
/// JSON tree, with the same leniency and the same result.
pub fn parse_events_page(body: &[u8]) -> Result<EventPage, AcdError> {
    let Ok(wire) = serde_json::from_slice::<WirePage<'_>>(body) else {
        return parse_events_tree(body);
    };
    let mut page = EventPage {
        next: wire.meta.as_ref().and_then(next_in_meta),
        ..EventPage::default()
    };
    page.events.reserve(wire.events.len());
    for item in wire.events {
        let event = match serde_json::from_str::<WireEvent<'_>>(item.get()) {
            Ok(w) => {
                let data = w.event_data.map(data_from_text).unwrap_or_default();
                event_from(|key| w.field(key), data)
            }
            Err(_) => serde_json::from_str::<Value>(item.get())
                .ok()
                .and_then(|v| parse_event(&v)),
        };
        match event {
            Some(ev) => page.events.push(ev),
            None => page.skipped += 1,
        }
    }
    Ok(page)
}

/// An Events page as [`parse_events_page`] reads it first.
#[derive(serde::Deserialize)]
struct WirePage<'a> {
    #[serde(borrow)]
    events: Vec<&'a RawValue>,
    #[serde(default)]
    meta: Option<Value>,
}

/// The envelope of one event; `event_data` left as text.
#[derive(serde::Deserialize)]
struct WireEvent<'a> {
    sid: Option<Value>,
    event_type: Option<Value>,
    event_date_ms: Option<Value>,
    event_date: Option<Value>,
    resource_sid: Option<Value>,
    resource_type: Option<Value>,
    #[serde(borrow)]
    event_data: Option<&'a RawValue>,
}

impl WireEvent<'_> {
    fn field(&self, key: &str) -> Option<&Value> {
        match key {
            "sid" => self.sid.as_ref(),
            "event_type" => self.event_type.as_ref(),
            "event_date_ms" => self.event_date_ms.as_ref(),
            "event_date" => self.event_date.as_ref(),
            "resource_sid" => self.resource_sid.as_ref(),
            "resource_type" => self.resource_type.as_ref(),
            _ => None,
        }
    }
}

/// `event_data` as text: an object, or an object given as a JSON string (some producers send
/// that); anything else is an empty object (the event still counts).
fn data_from_text(raw: &RawValue) -> EventData {
    let text = raw.get();
    match text.as_bytes().first() {
        Some(b'{') => EventData::from_json(text),
        Some(b'"') => serde_json::from_str::<String>(text)
            .ok()
            .and_then(|s| EventData::from_json(&s)),
        _ => None,
    }
    .unwrap_or_default()
}

/// `event_data` as a parsed tree, as [`data_from_text`].
fn data_from_tree(value: Option<Value>) -> EventData {
    match value {
        Some(Value::Object(m)) => EventData::from(m),
        Some(Value::String(s)) => EventData::from_json(&s).unwrap_or_default(),
        _ => EventData::default(),
    }
}

/// [`parse_events_page`] through a JSON tree.
fn parse_events_tree(body: &[u8]) -> Result<EventPage, AcdError> {
    let mut root = parse_root(body)?;
    list(&root, "events")?;
    let mut page = EventPage {
        next: next_page_url(&root),
        ..EventPage::default()
    };
    // The items are taken out of the tree, so each event's data moves instead of being copied.
    let items = match root.get_mut("events") {
        Some(Value::Array(items)) => std::mem::take(items),
        _ => Vec::new(),
    };
    page.events.reserve(items.len());
    for mut item in items {
        let data = data_from_tree(item.get_mut("event_data").map(Value::take));
        match event_from(|key| item.get(key), data) {
            Some(ev) => page.events.push(ev),
            None => page.skipped += 1,
        }
    }
    Ok(page)
}

/// Parses one Workers page body: the workers and the next page.
pub fn parse_workers_page(body: &[u8]) -> Result<(Vec<WorkerInfo>, Option<String>), AcdError> {
    let root = parse_root(body)?;
    let workers = list(&root, "workers")?
        .iter()
        .filter_map(worker_info)
        .collect();
    Ok((workers, next_page_url(&root)))
}

/// Parses the body of `GET …/Workers/{sid}` (the only place TaskRouter shows `attributes`).
pub fn parse_worker(body: &[u8]) -> Result<WorkerInfo, AcdError> {
    let root = parse_root(body)?;
    worker_info(&root).ok_or_else(|| AcdError::Malformed("a worker without a sid".into()))
}

fn worker_info(w: &Value) -> Option<WorkerInfo> {
    Some(WorkerInfo {
        sid: w.get("sid")?.as_str()?.to_string(),
        friendly_name: text(w, "friendly_name").unwrap_or_default(),
        activity_sid: text(w, "activity_sid"),
        activity_name: text(w, "activity_name"),
        available: boolish(w.get("available")).unwrap_or(false),
        attributes: text(w, "attributes"),
        date_status_changed_ms: text(w, "date_status_changed")
            .as_deref()
            .and_then(parse_twilio_date),
    })
}

/// Parses one Activities page body.
pub fn parse_activities_page(body: &[u8]) -> Result<(Vec<ActivityInfo>, Option<String>), AcdError> {
    let root = parse_root(body)?;
    let acts = list(&root, "activities")?
        .iter()
        .filter_map(|a| {
            Some(ActivityInfo {
                sid: a.get("sid")?.as_str()?.to_string(),
                friendly_name: text(a, "friendly_name").unwrap_or_default(),
                available: boolish(a.get("available")).unwrap_or(false),
            })
        })
        .collect();
    Ok((acts, next_page_url(&root)))
}

/// One event object → [`AcdEvent`]; `None` when it lacks what every event must have (sid, type,
/// a date). A non-object `event_data` is replaced by an empty one: the event still counts.
pub fn parse_event(item: &Value) -> Option<AcdEvent> {
    event_from(
        |key| item.get(key),
        data_from_tree(item.get("event_data").cloned()),
    )
}

/// An event from its envelope fields (`get`) and its data.
fn event_from<'v>(get: impl Fn(&str) -> Option<&'v Value>, data: EventData) -> Option<AcdEvent> {
    let sid = get("sid")?.as_str()?.to_string();
    if sid.is_empty() {
        return None;
    }
    let event_type = get("event_type")?.as_str()?.to_string();
    let event_ms = match get("event_date_ms") {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    }
    .or_else(|| {
        get("event_date")
            .and_then(value_text)
            .as_deref()
            .and_then(parse_twilio_date)
    })?;
    Some(AcdEvent {
        sid,
        event_type,
        event_ms,
        resource_sid: get("resource_sid").and_then(value_text).unwrap_or_default(),
        resource_type: get("resource_type")
            .and_then(value_text)
            .unwrap_or_default(),
        data,
    })
}

/// Twilio dates: ISO 8601 (`2015-02-07T00:32:41Z`), or RFC 2822 in older resources.
pub fn parse_twilio_date(s: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(s)
        .or_else(|_| chrono::DateTime::parse_from_rfc2822(s))
        .ok()
        .map(|t| t.timestamp_millis())
}

fn parse_root(body: &[u8]) -> Result<Value, AcdError> {
    let root: Value =
        serde_json::from_slice(body).map_err(|e| AcdError::Malformed(e.to_string()))?;
    if root.is_object() {
        Ok(root)
    } else {
        Err(AcdError::Malformed("the body is not a JSON object".into()))
    }
}

fn list<'a>(root: &'a Value, key: &str) -> Result<&'a Vec<Value>, AcdError> {
    root.get(key)
        .and_then(Value::as_array)
        .ok_or_else(|| AcdError::Malformed(format!("no `{key}` array in the page")))
}

fn next_page_url(root: &Value) -> Option<String> {
    next_in_meta(root.get("meta")?)
}

fn next_in_meta(meta: &Value) -> Option<String> {
    meta.get("next_page_url")?
        .as_str()
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn text(v: &Value, key: &str) -> Option<String> {
    value_text(v.get(key)?)
}

fn value_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

fn boolish(v: Option<&Value>) -> Option<bool> {
    match v? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
#[path = "dto_tests.rs"]
mod tests;
