//! TaskRouter v1 list responses, read leniently: shapes from Twilio's OpenAPI spec, numbers that
//! arrive as strings, unknown fields and event types tolerated, junk items skipped (not fatal).

use super::{AcdError, ActivityInfo, EventPage, WorkerInfo};
use crate::model::{AcdEvent, EventData};
use serde_json::Value;
use serde_json::value::RawValue;
use std::borrow::Cow;

/// Parses one Events page body.
///
/// Each event's `event_data` is kept as its JSON text ([`EventData`]), not parsed into a tree:
/// the page is read in one pass, each item into its few envelope fields. A page that reading
/// refuses (an item of an unexpected shape, a duplicate key, not a page) is read again as a JSON
/// tree, with the same leniency and the same result.
pub fn parse_events_page(body: &[u8]) -> Result<EventPage, AcdError> {
    let Ok(wire) = serde_json::from_slice::<WirePage<'_>>(body) else {
        return parse_events_tree(body);
    };
    let mut page = EventPage {
        next: wire.meta.as_ref().and_then(next_in_meta),
        ..EventPage::default()
    };
    page.events.reserve(wire.events.len());
    for item in &wire.events {
        let data = item.event_data.map(data_from_text).unwrap_or_default();
        match event_from(item.envelope(), data) {
            Some(ev) => page.events.push(ev),
            None => page.skipped += 1,
        }
    }
    Ok(page)
}

/// An Events page as [`parse_events_page`] reads it first: every item an envelope (a page with
/// any other item is read as a tree).
#[derive(serde::Deserialize)]
struct WirePage<'a> {
    #[serde(borrow)]
    events: Vec<WireEvent<'a>>,
    #[serde(default)]
    meta: Option<Value>,
}

/// The envelope of one event; `event_data` left as text. Strings are borrowed from the page: a
/// page with an item whose envelope holds anything else (not an object, a number for a sid, an
/// escaped string) is read as a tree instead.
#[derive(serde::Deserialize)]
struct WireEvent<'a> {
    sid: Option<&'a str>,
    event_type: Option<&'a str>,
    event_date_ms: Option<Value>,
    event_date: Option<&'a str>,
    resource_sid: Option<&'a str>,
    resource_type: Option<&'a str>,
    #[serde(borrow)]
    event_data: Option<&'a RawValue>,
}

impl<'a> WireEvent<'a> {
    fn envelope(&'a self) -> Envelope<'a> {
        Envelope {
            sid: self.sid,
            event_type: self.event_type,
            event_date_ms: self.event_date_ms.as_ref(),
            event_date: self.event_date.map(Cow::Borrowed),
            resource_sid: self.resource_sid.map(Cow::Borrowed),
            resource_type: self.resource_type.map(Cow::Borrowed),
        }
    }
}

/// What an event is besides its data, however it was read.
struct Envelope<'a> {
    sid: Option<&'a str>,
    event_type: Option<&'a str>,
    event_date_ms: Option<&'a Value>,
    event_date: Option<Cow<'a, str>>,
    resource_sid: Option<Cow<'a, str>>,
    resource_type: Option<Cow<'a, str>>,
}

impl<'a> Envelope<'a> {
    fn of(item: &'a Value) -> Envelope<'a> {
        let text = |key| item.get(key).and_then(value_cow);
        Envelope {
            sid: item.get("sid").and_then(Value::as_str),
            event_type: item.get("event_type").and_then(Value::as_str),
            event_date_ms: item.get("event_date_ms"),
            event_date: text("event_date"),
            resource_sid: text("resource_sid"),
            resource_type: text("resource_type"),
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
        match event_from(Envelope::of(&item), data) {
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
        Envelope::of(item),
        data_from_tree(item.get("event_data").cloned()),
    )
}

/// An event from its envelope and its data.
fn event_from(env: Envelope<'_>, data: EventData) -> Option<AcdEvent> {
    let sid = env.sid.filter(|s| !s.is_empty())?.to_string();
    let event_type = env.event_type?.to_string();
    let event_ms = match env.event_date_ms {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    }
    .or_else(|| env.event_date.as_deref().and_then(parse_twilio_date))?;
    Some(AcdEvent {
        sid,
        event_type,
        event_ms,
        resource_sid: env.resource_sid.map(Cow::into_owned).unwrap_or_default(),
        resource_type: env.resource_type.map(Cow::into_owned).unwrap_or_default(),
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
    value_cow(v.get(key)?).map(Cow::into_owned)
}

/// A value as text: a string borrowed, `null` none, anything else as JSON.
fn value_cow(v: &Value) -> Option<Cow<'_, str>> {
    match v {
        Value::String(s) => Some(Cow::Borrowed(s)),
        Value::Null => None,
        other => Some(Cow::Owned(other.to_string())),
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
