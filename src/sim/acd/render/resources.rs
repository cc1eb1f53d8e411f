//! Twilio's JSON for the resources `GET …/Workers` and `GET …/Activities` (and their single
//! fetches) return.

use super::{twilio_date, workspace_url};
use crate::sim::acd::world::World;

/// A worker resource. Lists carry `attributes: null` (SPEC §3); the single resource carries them.
pub(crate) fn worker_value(
    world: &World,
    base: &str,
    worker: u32,
    with_attributes: bool,
) -> serde_json::Value {
    let Some(w) = world.workers.get(worker as usize) else {
        return serde_json::Value::Null;
    };
    let activity = world.activities.get(usize::from(w.activity));
    let ws_url = workspace_url(base, world);
    let url = format!("{ws_url}/Workers/{}", w.sid);
    serde_json::json!({
        "account_sid": &*world.account_sid,
        "activity_name": activity.map(|a| &*a.name),
        "activity_sid": activity.map(|a| &*a.sid),
        "attributes": with_attributes.then_some(&*w.attributes),
        "available": activity.is_some_and(|a| a.available),
        "date_created": twilio_date(w.created_ms),
        "date_status_changed": twilio_date(w.status_changed_ms),
        "date_updated": twilio_date(w.status_changed_ms),
        "friendly_name": &*w.name,
        "sid": &*w.sid,
        "workspace_sid": &*world.workspace_sid,
        "url": url,
        "links": {
            "channels": format!("{url}/Channels"),
            "activity": activity.map(|a| format!("{ws_url}/Activities/{}", a.sid)),
            "workspace": ws_url,
            "statistics": format!("{ws_url}/Workers/Statistics"),
            "real_time_statistics": format!("{ws_url}/Workers/RealTimeStatistics"),
            "cumulative_statistics": format!("{ws_url}/Workers/CumulativeStatistics"),
            "worker_statistics": format!("{url}/Statistics"),
            "worker_channels": format!("{url}/Channels"),
            "reservations": format!("{url}/Reservations"),
        }
    })
}

/// An activity resource.
pub(crate) fn activity_value(world: &World, base: &str, activity: usize) -> serde_json::Value {
    let Some(a) = world.activities.get(activity) else {
        return serde_json::Value::Null;
    };
    let ws_url = workspace_url(base, world);
    serde_json::json!({
        "account_sid": &*world.account_sid,
        "available": a.available,
        "date_created": twilio_date(world.created_ms),
        "date_updated": twilio_date(world.created_ms),
        "friendly_name": &*a.name,
        "sid": &*a.sid,
        "url": format!("{ws_url}/Activities/{}", a.sid),
        "workspace_sid": &*world.workspace_sid,
        "links": { "workspace": ws_url }
    })
}
