//! `GET …/Events`: the window, the filters, one page of the log rendered, and the page URLs.

use super::log::{Cursor, LogKey, Window};
use super::query::{DEFAULT_MINUTES, PageLinks, Params, meta, parse_date};
use super::render;
use super::server::{Resource, ResourceBody, ResourceError};
use super::state::SimAcdShared;
use super::world::{EventBody, StoredEvent, World};
use crate::model::Millis;
use axum::http::Uri;

/// The Events filters TaskRouter offers (by sid, type or channel).
struct EventFilter {
    event_type: Option<String>,
    worker: Option<String>,
    task: Option<String>,
    reservation: Option<String>,
    queue: Option<String>,
    channel: Option<String>,
    keys: Vec<(&'static str, String)>,
}

impl EventFilter {
    fn from(params: &Params) -> EventFilter {
        let mut keys = Vec::new();
        let mut take = |name: &'static str| {
            let value = params.get(name).map(str::to_owned);
            if let Some(v) = &value {
                keys.push((name, v.clone()));
            }
            value
        };
        EventFilter {
            event_type: take("EventType"),
            worker: take("WorkerSid"),
            task: take("TaskSid"),
            reservation: take("ReservationSid"),
            queue: take("TaskQueueSid"),
            channel: take("TaskChannel"),
            keys,
        }
    }

    fn matches(&self, world: &World, event: &StoredEvent) -> bool {
        let raw = match &event.body {
            EventBody::Raw(value) => Some(&**value),
            _ => None,
        };
        let field = |key: &str| -> Option<String> {
            match raw {
                Some(value) if key == "event_type" => value[key].as_str().map(str::to_owned),
                Some(value) => value["event_data"][key].as_str().map(str::to_owned),
                None => typed_field(world, event, key),
            }
        };
        let check = |wanted: &Option<String>, key: &str| {
            wanted
                .as_ref()
                .is_none_or(|w| field(key).as_deref() == Some(w.as_str()))
        };
        check(&self.event_type, "event_type")
            && check(&self.worker, "worker_sid")
            && check(&self.task, "task_sid")
            && check(&self.reservation, "reservation_sid")
            && check(&self.queue, "task_queue_sid")
            && check(&self.channel, "task_channel_unique_name")
    }
}

fn typed_field(world: &World, event: &StoredEvent, key: &str) -> Option<String> {
    let (worker, task, reservation) = match &event.body {
        EventBody::Worker(w) => (Some(w), None, None),
        EventBody::Reservation {
            worker,
            task,
            reservation,
        } => (Some(worker), Some(task), Some(*reservation)),
        EventBody::Task(t) => (None, Some(t), None),
        EventBody::Raw(_) => (None, None, None),
    };
    let text = match key {
        "event_type" => Some(event.event_type.into()),
        "worker_sid" => worker
            .and_then(|w| world.workers.get(w.worker as usize))
            .map(|w| w.sid.clone()),
        "task_sid" => task
            .and_then(|t| world.tasks.get(t.task as usize))
            .map(|t| t.sid.clone()),
        "task_queue_sid" => task
            .and_then(|t| world.queues.get(usize::from(t.queue)))
            .map(|q| q.sid.clone()),
        "task_channel_unique_name" => task
            .and_then(|t| world.tasks.get(t.task as usize))
            .map(|t| t.channel.clone()),
        "reservation_sid" => reservation
            .and_then(|r| world.reservations.get(r as usize))
            .cloned(),
        _ => None,
    };
    text.map(|t| t.to_string())
}

pub(crate) fn events(shared: &SimAcdShared, params: &Params, uri: &Uri, now: Millis) -> Resource {
    let page_size = params.page_size()?;
    let date = |key: &str| -> Result<Option<Millis>, ResourceError> {
        match params.get(key) {
            None => Ok(None),
            Some(text) => parse_date(text).map(Some).ok_or_else(|| {
                ResourceError::BadRequest(format!("{key} is not a valid ISO 8601 date: {text:?}"))
            }),
        }
    };
    let minutes = match params.get("Minutes") {
        None => DEFAULT_MINUTES,
        Some(text) => text
            .parse::<i64>()
            .map_err(|_| ResourceError::BadRequest(format!("Invalid Minutes {text:?}")))?,
    };
    let start_ms = date("StartDate")?.unwrap_or(now - minutes * 60_000);
    // Twilio's EndDate is inclusive (events on or before it); the window's end is exclusive.
    // Without EndDate the window includes "now", frozen in the page URLs.
    let end_ms = date("EndDate")?.unwrap_or(now).saturating_add(1);
    let cursor = match params.get("PageToken") {
        None => Cursor::First,
        Some(token) => Cursor::from_token(token)
            .ok_or_else(|| ResourceError::BadRequest(format!("Invalid PageToken {token:?}")))?,
    };
    let filter = EventFilter::from(params);
    let window = Window {
        start_ms,
        end_ms,
        now_ms: now,
    };
    shared.catch_up();
    let state = shared.read();
    let world = &state.world;
    let keep = |e: &StoredEvent| filter.matches(world, e);
    let no_filter = |_: &StoredEvent| true;
    let keep: &dyn Fn(&StoredEvent) -> bool = if filter.keys.is_empty() {
        &no_filter
    } else {
        &keep
    };
    let page = state.log.page(window, cursor, page_size, keep);
    let writer = render::EventWriter::new(world, &shared.base_url);
    let mut items = Vec::with_capacity(page.events.len() * 1_500);
    for (i, event) in page.events.iter().enumerate() {
        if i > 0 {
            items.push(b',');
        }
        writer.write(&mut items, event);
    }
    let next = match page.events.last() {
        Some(last) if page.older_exist => Cursor::Older(LogKey::of(last)).to_token(),
        _ => None,
    };
    let previous = match page.events.first() {
        Some(first) if page.newer_exist => Cursor::Newer(LogKey::of(first)).to_token(),
        _ => None,
    };
    let served = page.events.len();
    drop(state);
    let mut fixed = vec![
        ("StartDate", crate::clock::rfc3339_ms(start_ms)),
        ("EndDate", crate::clock::rfc3339_ms(end_ms - 1)),
    ];
    fixed.extend(filter.keys.iter().cloned());
    let links = PageLinks {
        page: params.page_number(),
        page_size,
        next_token: next,
        previous_token: previous,
    };
    let meta = meta(shared, uri, "events", &fixed, links);
    Ok(ResourceBody {
        json: render::list_body("events", &items, &meta),
        list_key: "events",
        events_served: served,
    })
}
