//! Rendering to TaskRouter's JSON: events (numbers in `event_data` as strings, attributes as JSON
//! strings), workers, activities, list `meta` and Twilio's error object.

mod resources;

use super::world::{EventBody, StoredEvent, TaskSnap, WorkerSnap, World};
use crate::model::Millis;
pub(crate) use resources::{activity_value, worker_value};
use serde::{Serialize, Serializer};

/// A date as Twilio writes it in resources and `event_date`: seconds precision, `Z`.
pub(crate) fn twilio_date(ms: Millis) -> String {
    use chrono::{Datelike as _, Timelike as _};
    // Written field by field: strftime-style formatting costs more than the rest of an event.
    match chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms) {
        Some(t) => format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        ),
        None => String::new(),
    }
}

/// A date as TaskRouter writes `task_date_created` and `task_queue_entered_date` in event data:
/// ISO 8601 with milliseconds (`2026-11-20T10:15:00.123Z`).
pub(crate) fn twilio_date_ms(ms: Millis) -> String {
    let mut text = twilio_date(ms);
    if text.pop().is_some() {
        text.push_str(&format!(".{:03}Z", ms.rem_euclid(1000)));
    }
    text
}

/// Where the simulator's resources live: `{base}/v1/Workspaces/{sid}`.
pub(crate) fn workspace_url(base: &str, world: &World) -> String {
    format!("{base}/v1/Workspaces/{}", world.workspace_sid)
}

/// An integer that TaskRouter sends as a string (`"26123"`).
struct NumStr(i64);

impl Serialize for NumStr {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

/// Text made of parts, serialised without building a `String` first (URLs, descriptions).
struct Joined<'a, const N: usize>([&'a str; N]);

impl<const N: usize> std::fmt::Display for Joined<'_, N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.iter().try_for_each(|part| f.write_str(part))
    }
}

impl<const N: usize> Serialize for Joined<'_, N> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[derive(Serialize)]
struct EventJson<'a> {
    account_sid: &'a str,
    actor_sid: &'a str,
    actor_type: &'static str,
    actor_url: &'a str,
    description: Joined<'a, 6>,
    event_data: EventDataJson<'a>,
    event_date: String,
    event_date_ms: i64,
    event_type: &'a str,
    resource_sid: &'a str,
    resource_type: &'static str,
    resource_url: Joined<'a, 5>,
    sid: &'a str,
    source: &'static str,
    source_ip_address: &'static str,
    url: Joined<'a, 3>,
    workspace_sid: &'a str,
}

#[derive(Serialize, Default)]
struct EventDataJson<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    reservation_sid: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    task_age: Option<NumStr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    task_assignment_status: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    task_attributes: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    task_channel_unique_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    task_date_created: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    task_queue_entered_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    task_queue_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    task_queue_sid: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    task_sid: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    worker_activity_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    worker_activity_sid: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    worker_attributes: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    worker_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    worker_previous_activity_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    worker_previous_activity_sid: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    worker_sid: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    worker_time_in_previous_activity: Option<NumStr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    worker_time_in_previous_activity_ms: Option<NumStr>,
    workspace_name: &'a str,
    workspace_sid: &'a str,
}

impl<'a> EventDataJson<'a> {
    fn worker(&mut self, world: &'a World, snap: &WorkerSnap) {
        if let Some(w) = world.workers.get(snap.worker as usize) {
            self.worker_sid = Some(&w.sid);
            self.worker_name = Some(&w.name);
            self.worker_attributes = Some(&w.attributes);
        }
        if let Some(a) = world.activities.get(usize::from(snap.activity)) {
            self.worker_activity_sid = Some(&a.sid);
            self.worker_activity_name = Some(&a.name);
        }
        if let Some(a) = world.activities.get(usize::from(snap.previous)) {
            self.worker_previous_activity_sid = Some(&a.sid);
            self.worker_previous_activity_name = Some(&a.name);
            self.worker_time_in_previous_activity = Some(NumStr(snap.time_in_previous_ms / 1000));
            self.worker_time_in_previous_activity_ms = Some(NumStr(snap.time_in_previous_ms));
        }
    }

    /// The task's keys; the dates as an event at `at_ms` reports them.
    fn task(&mut self, world: &'a World, snap: &TaskSnap, at_ms: Millis) {
        if let Some(t) = world.tasks.get(snap.task as usize) {
            self.task_sid = Some(&t.sid);
            self.task_attributes = Some(&t.attributes);
            self.task_channel_unique_name = Some(&t.channel);
            self.task_date_created = Some(twilio_date_ms(t.created_ms.min(at_ms)));
        }
        self.task_queue_entered_date = Some(twilio_date_ms(
            at_ms.saturating_sub(Millis::from(snap.in_queue_ms)),
        ));
        if let Some(q) = world.queues.get(usize::from(snap.queue)) {
            self.task_queue_sid = Some(&q.sid);
            self.task_queue_name = Some(&q.name);
        }
        self.task_age = Some(NumStr(i64::from(snap.age_s)));
        self.task_assignment_status = snap.status.map(|s| s.as_str());
    }
}

/// Renders events of one world for one base URL.
pub(crate) struct EventWriter<'a> {
    world: &'a World,
    ws_url: String,
}

impl<'a> EventWriter<'a> {
    pub fn new(world: &'a World, base: &str) -> EventWriter<'a> {
        EventWriter {
            world,
            ws_url: workspace_url(base, world),
        }
    }

    /// Appends one event as Twilio's JSON object to `out`.
    pub fn write(&self, out: &mut Vec<u8>, event: &StoredEvent) {
        let result = match &event.body {
            EventBody::Raw(value) => serde_json::to_writer(&mut *out, &**value),
            _ => {
                let sid = self.world.render_event_sid(&event.sid);
                let json = typed_event(self.world, &self.ws_url, &sid, event);
                match event.junk {
                    None => serde_json::to_writer(&mut *out, &json),
                    Some(junk) => serde_json::to_value(&json).and_then(|mut value| {
                        junk.apply(&mut value);
                        serde_json::to_writer(&mut *out, &value)
                    }),
                }
            }
        };
        // Serialising these plain structs into a Vec cannot fail; keep the output valid anyway.
        if result.is_err() {
            out.extend_from_slice(b"null");
        }
    }

    /// One event as a JSON value (for the handle's `events()`).
    pub fn value(&self, event: &StoredEvent) -> serde_json::Value {
        let mut out = Vec::with_capacity(1536);
        self.write(&mut out, event);
        serde_json::from_slice(&out).unwrap_or(serde_json::Value::Null)
    }
}

fn typed_event<'a>(
    world: &'a World,
    ws_url: &'a str,
    sid: &'a str,
    event: &'a StoredEvent,
) -> EventJson<'a> {
    let mut data = EventDataJson {
        workspace_name: &world.workspace_name,
        workspace_sid: &world.workspace_sid,
        ..EventDataJson::default()
    };
    let event_type = event.event_type;
    let verb = event_type.split_once('.').map_or(event_type, |(_, v)| v);
    let (resource_type, resource_sid, resource_url, description);
    match &event.body {
        EventBody::Worker(w) => {
            data.worker(world, w);
            let name = data.worker_name.unwrap_or_default();
            resource_type = "worker";
            resource_sid = data.worker_sid.unwrap_or_default();
            resource_url = Joined([ws_url, "/Workers/", resource_sid, "", ""]);
            description = match verb {
                "created" | "deleted" => Joined(["Worker ", name, " ", verb, "", ""]),
                _ => Joined([
                    "Worker ",
                    name,
                    " updated to ",
                    data.worker_activity_name.unwrap_or_default(),
                    " Activity",
                    "",
                ]),
            };
        }
        EventBody::Reservation {
            worker,
            task,
            reservation,
        } => {
            data.worker(world, worker);
            data.task(world, task, event.event_ms);
            data.task_assignment_status = None;
            let reservation_sid = world
                .reservations
                .get(*reservation as usize)
                .map_or("", |s| &**s);
            data.reservation_sid = Some(reservation_sid);
            resource_type = "reservation";
            resource_sid = reservation_sid;
            let task_sid = data.task_sid.unwrap_or_default();
            resource_url = Joined([
                ws_url,
                "/Tasks/",
                task_sid,
                "/Reservations/",
                reservation_sid,
            ]);
            description = Joined([
                "Reservation ",
                reservation_sid,
                " ",
                verb,
                " for Worker ",
                data.worker_name.unwrap_or_default(),
            ]);
        }
        EventBody::Task(task) => {
            data.task(world, task, event.event_ms);
            let task_sid = data.task_sid.unwrap_or_default();
            if event_type.starts_with("task-queue.") {
                resource_type = "taskqueue";
                resource_sid = data.task_queue_sid.unwrap_or_default();
                resource_url = Joined([ws_url, "/TaskQueues/", resource_sid, "", ""]);
                description = Joined([
                    "Task ",
                    task_sid,
                    " ",
                    verb,
                    " TaskQueue ",
                    data.task_queue_name.unwrap_or_default(),
                ]);
            } else {
                resource_type = "task";
                resource_sid = task_sid;
                resource_url = Joined([ws_url, "/Tasks/", task_sid, "", ""]);
                description = Joined(["Task ", task_sid, " ", verb, "", ""]);
            }
        }
        EventBody::Raw(_) => {
            resource_type = "";
            resource_sid = "";
            resource_url = Joined([""; 5]);
            description = Joined([""; 6]);
        }
    }
    EventJson {
        account_sid: &world.account_sid,
        actor_sid: &world.workspace_sid,
        actor_type: "workspace",
        actor_url: ws_url,
        description,
        event_data: data,
        event_date: twilio_date(event.event_ms),
        event_date_ms: event.event_ms,
        event_type,
        resource_sid,
        resource_type,
        resource_url,
        sid,
        source: "twilio",
        source_ip_address: "127.0.0.1",
        url: Joined([ws_url, "/Events/", sid]),
        workspace_sid: &world.workspace_sid,
    }
}

/// A list's `meta` object.
#[derive(Serialize)]
pub(crate) struct Meta<'a> {
    pub first_page_url: String,
    pub key: &'a str,
    pub next_page_url: Option<String>,
    pub page: u64,
    pub page_size: usize,
    pub previous_page_url: Option<String>,
    pub url: String,
}

/// `{"<key>": [items…], "meta": {…}}` from already rendered items.
pub(crate) fn list_body(key: &str, items: &[u8], meta: &Meta) -> Vec<u8> {
    let mut out = Vec::with_capacity(items.len() + 512);
    out.extend_from_slice(b"{\"");
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(b"\":[");
    out.extend_from_slice(items);
    out.extend_from_slice(b"],\"meta\":");
    if serde_json::to_writer(&mut out, meta).is_err() {
        out.extend_from_slice(b"null");
    }
    out.push(b'}');
    out
}

/// Twilio's error object, e.g. `{"code":20404,"message":"…","more_info":"…","status":404}`.
pub(crate) fn error_body(code: u32, message: &str, status: u16) -> Vec<u8> {
    let body = serde_json::json!({
        "code": code,
        "message": message,
        "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
        "status": status,
    });
    serde_json::to_vec(&body).unwrap_or_default()
}
