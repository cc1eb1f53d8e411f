//! Effective agent state (SPEC §4): the worker's Activity with the work in hand laid over it.
//!
//! [`WorkerDerivation`] is everything we know about one worker after folding its events in order
//! (`worker.*` and `reservation.*` events that name it). It is serialisable: the store keeps a copy
//! as the checkpoint of each segment, so a late event can re-derive from the last checkpoint before
//! it instead of from the beginning of the log.
//!
//! The table of SPEC §4, first row that applies wins:
//!
//! | condition | state | reason | media |
//! |---|---|---|---|
//! | deleted, or Activity mapped to logged-out (`Offline`, or `[states]` says `LoggedOut`) | LoggedOut | – | – |
//! | a reservation accepted | OnContact | – | earliest accepted task's |
//! | a reservation wrapping, none accepted | AfterContactWork | – | earliest wrapping task's |
//! | a reservation pending, none accepted or wrapping | Reserved | – | earliest pending task's |
//! | `[states]` override for the Activity | its state | its reason (default: Activity name when Unavailable) | – |
//! | Activity `available` | Available | – | – |
//! | any other Activity | Unavailable | Activity name | – |
//!
//! Media type of work in hand: the `[media]` mapping of the task channel; channels excluded from
//! queue reports (email, fax) show the work with no media type.
//!
//! The events folded, of TaskRouter's list (Event reference):
//!
//! - `worker.created`, `worker.deleted`, `worker.activity.update` (and its legacy alias
//!   `worker.activity`): the worker and its Activity.
//! - `worker.attributes.update`: the worker's attributes (`worker_attributes`) — which the
//!   `attribute:<key>` agent id reads. Every event that carries `worker_name`,
//!   `worker_attributes` or `worker_activity_*` refreshes them too.
//! - `reservation.created` (pending), `accepted`, `wrapup`; the reservation ENDS with
//!   `completed`, `rejected`, `timeout`, `canceled`, `rescinded` or `failed` (TaskRouter could not
//!   assign it): the worker no longer holds it, so an offer that failed does not leave the agent
//!   `Reserved`.
//! - Not folded: `worker.capacity.update` and `worker.channel.availability.update` change what
//!   TaskRouter may route to a channel, not the Activity, and SPEC §4 derives the state from the
//!   Activity and the work in hand; `activity.*` (the catalogue comes from the Activities list,
//!   re-read every `workers_refresh`); `task.*`, `task-queue.*`, `workflow.*` name no worker (their
//!   effect on a worker arrives as its reservation events).

use crate::config::{AgentIdMode, MediaConfig, StateOverride};
use crate::model::{AcdEvent, AgentState, Millis};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

/// What derivation needs besides the events: configuration and the Activities catalogue.
#[derive(Debug, Clone)]
pub struct DeriveContext {
    pub agent_id_mode: AgentIdMode,
    pub media: MediaConfig,
    pub states: BTreeMap<String, StateOverride>,
    /// Activity names that mean logged out when `[states]` says nothing about them.
    pub logged_out_activities: Vec<String>,
    /// Activity sid → available, from the Activities list.
    pub activity_available: HashMap<String, bool>,
    /// State changes that began before this go to history only, not to real time (a catch-up
    /// after a very long gap; see `daemon::window`). `Millis::MIN`: every change goes to RTA.
    pub rta_not_before: Millis,
    /// Events dated after this are quarantined, not derived (a bad clock, a bad record: one
    /// event dated 2100 would otherwise freeze its agent's real time). `Millis::MAX`: no limit;
    /// the poller sets it to its clock plus `store::ingest::FUTURE_TOLERANCE_MS`.
    pub accept_until: Millis,
}

impl DeriveContext {
    pub fn new(
        agent_id_mode: AgentIdMode,
        media: MediaConfig,
        states: BTreeMap<String, StateOverride>,
    ) -> Self {
        DeriveContext {
            agent_id_mode,
            media,
            states,
            logged_out_activities: vec!["Offline".to_string()],
            activity_available: HashMap::new(),
            rta_not_before: Millis::MIN,
            accept_until: Millis::MAX,
        }
    }
}

/// A reservation the worker holds right now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldReservation {
    #[serde(rename = "r")]
    pub reservation_sid: String,
    #[serde(rename = "m", default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    #[serde(rename = "s")]
    pub status: HeldStatus,
    /// When it reached its current status (orders "earliest accepted").
    #[serde(rename = "t")]
    pub since_ms: Millis,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum HeldStatus {
    Pending,
    Accepted,
    Wrapping,
}

/// Everything known about one worker after folding its events in order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerDerivation {
    #[serde(rename = "n", default, skip_serializing_if = "Option::is_none")]
    pub friendly_name: Option<String>,
    #[serde(rename = "at", default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<String>,
    #[serde(rename = "as", default, skip_serializing_if = "Option::is_none")]
    pub activity_sid: Option<String>,
    #[serde(rename = "an", default, skip_serializing_if = "Option::is_none")]
    pub activity_name: Option<String>,
    #[serde(rename = "d", default, skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
    #[serde(rename = "rs", default, skip_serializing_if = "Vec::is_empty")]
    pub reservations: Vec<HeldReservation>,
}

/// The effective state as WFM sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EffectiveState {
    pub state: AgentState,
    pub reason_code: Option<String>,
    pub media_type: Option<String>,
}

/// The worker an event is about, if any (worker and reservation events).
pub fn worker_of(ev: &AcdEvent) -> Option<Cow<'_, str>> {
    let kind = ev.kind();
    if kind.starts_with("worker.") {
        ev.data
            .text("worker_sid")
            .or_else(|| (ev.resource_type == "worker").then_some(Cow::Borrowed(&ev.resource_sid)))
            .filter(|s| !s.is_empty())
    } else if kind.starts_with("reservation.") {
        ev.data.text("worker_sid").filter(|s| !s.is_empty())
    } else {
        None
    }
}

impl WorkerDerivation {
    /// Folds one event about this worker into the state. Unknown event types change nothing.
    pub fn apply(&mut self, ev: &AcdEvent, ctx: &DeriveContext) {
        ev.data
            .read_into("worker_name", false, &mut self.friendly_name);
        ev.data
            .read_into("worker_attributes", false, &mut self.attributes);
        // Reservation events carry the worker's Activity too: a worker first seen through one
        // still gets its Activity.
        ev.data
            .read_into("worker_activity_sid", false, &mut self.activity_sid);
        ev.data
            .read_into("worker_activity_name", false, &mut self.activity_name);
        let kind = ev.kind();
        if kind.starts_with("worker.") {
            match kind {
                "worker.deleted" => self.deleted = true,
                "worker.created" => self.deleted = false,
                _ => {}
            }
            return;
        }
        let Some(rsid) = ev.data.str("reservation_sid") else {
            return;
        };
        let status = match kind {
            "reservation.created" => Some(HeldStatus::Pending),
            "reservation.accepted" => Some(HeldStatus::Accepted),
            "reservation.wrapup" => Some(HeldStatus::Wrapping),
            "reservation.completed"
            | "reservation.rejected"
            | "reservation.timeout"
            | "reservation.canceled"
            | "reservation.rescinded"
            | "reservation.failed" => None,
            _ => return,
        };
        let pos = self
            .reservations
            .iter()
            .position(|r| r.reservation_sid == rsid);
        match (status, pos) {
            (None, Some(i)) => {
                self.reservations.remove(i);
            }
            (None, None) => {}
            (Some(status), Some(i)) => {
                let r = &mut self.reservations[i];
                if r.status != status {
                    r.status = status;
                    r.since_ms = ev.event_ms;
                }
            }
            (Some(status), None) => self.reservations.push(HeldReservation {
                reservation_sid: rsid,
                media_type: rta_media(ev, &ctx.media),
                status,
                since_ms: ev.event_ms,
            }),
        }
    }

    /// The effective state now (the table in the module docs).
    pub fn effective(&self, ctx: &DeriveContext) -> EffectiveState {
        let name = self.activity_name.as_deref();
        let over = name.and_then(|n| ctx.states.get(n));
        let logged_out = self.deleted
            || match over {
                Some(o) => o.state == AgentState::LoggedOut,
                None => name.is_some_and(|n| ctx.logged_out_activities.iter().any(|x| x == n)),
            };
        if logged_out {
            return EffectiveState {
                state: AgentState::LoggedOut,
                reason_code: None,
                media_type: None,
            };
        }
        for (status, state) in [
            (HeldStatus::Accepted, AgentState::OnContact),
            (HeldStatus::Wrapping, AgentState::AfterContactWork),
            (HeldStatus::Pending, AgentState::Reserved),
        ] {
            let earliest = self
                .reservations
                .iter()
                .filter(|r| r.status == status)
                .min_by(|a, b| {
                    (a.since_ms, &a.reservation_sid).cmp(&(b.since_ms, &b.reservation_sid))
                });
            if let Some(r) = earliest {
                return EffectiveState {
                    state,
                    reason_code: None,
                    media_type: r.media_type.clone(),
                };
            }
        }
        if name.is_none() {
            // Nothing known about the Activity and no work in hand: not logged in as far as we know.
            return EffectiveState {
                state: AgentState::LoggedOut,
                reason_code: None,
                media_type: None,
            };
        }
        if let Some(o) = over {
            let reason_code = match o.state {
                AgentState::Unavailable => o.reason.clone().or_else(|| name.map(str::to_string)),
                _ => o.reason.clone(),
            };
            return EffectiveState {
                state: o.state,
                reason_code,
                media_type: None,
            };
        }
        let available = match self.activity_sid.as_deref() {
            Some(sid) => ctx.activity_available.get(sid).copied(),
            None => None,
        }
        // Before the Activities list is known: TaskRouter's default available Activities.
        .unwrap_or(matches!(name, Some("Available" | "Idle")));
        if available {
            EffectiveState {
                state: AgentState::Available,
                reason_code: None,
                media_type: None,
            }
        } else {
            EffectiveState {
                state: AgentState::Unavailable,
                reason_code: name.map(str::to_string),
                media_type: None,
            }
        }
    }

    /// The WFM agent id of this worker.
    pub fn agent_id(&self, worker_sid: &str, ctx: &DeriveContext) -> String {
        super::agent_id(
            &ctx.agent_id_mode,
            worker_sid,
            self.friendly_name.as_deref(),
            self.attributes.as_deref(),
        )
    }
}

/// Media type shown in RTA for the task of a reservation event: the `[media]` mapping. Channels
/// excluded from queue reports (email, fax) have none: the state (OnContact…) still shows the work,
/// and WFM's media types are only voice, chat, sms and web.
fn rta_media(ev: &AcdEvent, media: &MediaConfig) -> Option<String> {
    let channel = ev.data.str("task_channel_unique_name");
    let refine = ev.data.json_object("task_attributes").and_then(|a| {
        a.get(&media.attribute)
            .and_then(|v| v.as_str().map(str::to_string))
    });
    media.media_for(channel.as_deref(), refine.as_deref())
}

#[cfg(test)]
#[path = "agent_tests.rs"]
mod tests;
