//! TaskRouter v1 list responses, read leniently: shapes from Twilio's OpenAPI spec, numbers that
//! arrive as strings, unknown fields and event types tolerated, junk items skipped (not fatal).

use super::{AcdError, ActivityInfo, EventPage, WorkerInfo};
use crate::model::{AcdEvent, EventData};
use serde_json::Value;

/// Parses one Events page body.
pub fn parse_events_page(body: &[u8]) -> Result<EventPage, AcdError> {
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
        let data = item.get_mut("event_data").map(Value::take);
        match event_from(&item, data) {
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
    event_from(item, item.get("event_data").cloned())
}

/// [`parse_event`] with the `event_data` already taken out of `item`.
fn event_from(item: &Value, event_data: Option<Value>) -> Option<AcdEvent> {
    let sid = item.get("sid")?.as_str()?.to_string();
    if sid.is_empty() {
        return None;
    }
    let event_type = item.get("event_type")?.as_str()?.to_string();
    let event_ms = match item.get("event_date_ms") {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    }
    .or_else(|| {
        text(item, "event_date")
            .as_deref()
            .and_then(parse_twilio_date)
    })?;
    let data = match event_data {
        Some(Value::Object(m)) => EventData(m),
        // Some producers send event_data as a JSON string.
        Some(Value::String(s)) => serde_json::from_str(&s).map(EventData).unwrap_or_default(),
        _ => EventData::default(),
    };
    Some(AcdEvent {
        sid,
        event_type,
        event_ms,
        resource_sid: text(item, "resource_sid").unwrap_or_default(),
        resource_type: text(item, "resource_type").unwrap_or_default(),
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
    root.get("meta")?
        .get("next_page_url")?
        .as_str()
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn text(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
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
