//! What the WFM simulator received: the record tests assert on.
//!
//! [`Recorded`] is the public, cloneable view. [`WfmRecorder`] wraps it with the indexes that keep
//! recording O(1) per item (seen event ids, used Idempotency-Keys, current report revisions); the
//! server keeps the recorder in a `watch` channel so that every change wakes
//! [`super::SimWfmHandle::wait_until`].

use super::faults::Endpoint;
use crate::model::{AgentState, Millis};
use std::collections::{HashMap, HashSet};
use std::time::Instant;

/// One agent state as accepted from `POST /agent-states`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedState {
    pub event_id: String,
    pub agent_id: String,
    pub state: AgentState,
    pub reason_code: Option<String>,
    pub media_type: Option<String>,
    /// As sent (RFC 3339 with milliseconds and `Z`).
    pub state_start: String,
    pub state_start_ms: Millis,
    pub is_logged_on: bool,
    pub batch_id: String,
    /// The simulator's clock when the batch carrying it was recorded (accepted); set by the
    /// recorder, 0 before. What the RTA latency benchmark measures up to.
    pub received_ms: Millis,
}

/// One snapshot batch (`isSnapshot: true`), its valid items in the order sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedSnapshot {
    pub batch_id: String,
    pub states: Vec<ReceivedState>,
}

/// The two report endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportKind {
    /// `POST /reports/agent-activity`
    AgentActivity,
    /// `POST /reports/queue`
    Queue,
}

impl ReportKind {
    /// The last path segment, as in `/reports/<kind>`.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportKind::AgentActivity => "agent-activity",
            ReportKind::Queue => "queue",
        }
    }
}

/// One report as received (also the stale ones).
#[derive(Debug, Clone, PartialEq)]
pub struct ReceivedReport {
    pub kind: ReportKind,
    /// As sent.
    pub start_date: String,
    pub start_ms: Millis,
    pub end_date: String,
    pub revision: u64,
    /// The whole request body, as received.
    pub body: serde_json::Value,
    /// A revision lower than or equal to one already received for the same (kind, startDate):
    /// answered 200, but WFM keeps the higher one.
    pub stale: bool,
}

/// One HTTP request as the simulator saw it (also the failed ones).
#[derive(Debug, Clone, PartialEq)]
pub struct WfmRequestLogEntry {
    /// When the request arrived (before any injected latency).
    pub at: Instant,
    /// When it was answered.
    pub answered_at: Instant,
    /// The options' clock when the request arrived.
    pub clock_ms: Millis,
    pub method: String,
    pub path: String,
    pub status: u16,
    pub idempotency_key: Option<String>,
    pub user_agent: Option<String>,
    pub accept: Option<String>,
    /// Was an `Authorization` header present (valid or not)? The value is never kept.
    pub has_authorization: bool,
    pub body_bytes: usize,
    /// One human line: what the request carried and how it was answered.
    pub summary: String,
}

/// Everything received so far.
#[derive(Debug, Clone, Default)]
pub struct Recorded {
    /// Accepted non-snapshot agent states, in arrival order, each event id once. Empty when the
    /// simulator runs with `keep_states: false` (then only the counters move).
    pub states: Vec<ReceivedState>,
    /// Distinct accepted event ids (counts even when states are not kept).
    pub distinct_states: usize,
    /// Accepted items whose event id had been accepted before.
    pub duplicate_states: usize,
    /// Duplicates per event id (only ids seen more than once appear).
    pub duplicates_by_event: HashMap<String, usize>,
    /// States whose `stateStart` is older than the previous accepted state of the same agent:
    /// accepted, but a sign that the connector sent out of order (SPEC §4 real time).
    pub out_of_order_states: usize,
    pub snapshots: Vec<ReceivedSnapshot>,
    pub reports: Vec<ReceivedReport>,
    pub stale_reports: usize,
    /// Accepted heartbeat bodies, as received.
    pub heartbeats: Vec<serde_json::Value>,
    pub requests: Vec<WfmRequestLogEntry>,
    /// Successful `POST /auth/token`.
    pub tokens_issued: usize,
    /// Successful `POST /auth/refresh`.
    pub refreshes: usize,
    /// The most requests that were in the server at once, per endpoint group (arrival to answer,
    /// injected latency included).
    pub max_concurrent: HashMap<Endpoint, usize>,
}

impl Recorded {
    /// The revision WFM keeps for `(kind, start_date)`: the highest one received.
    pub fn current_report(&self, kind: ReportKind, start_date: &str) -> Option<&ReceivedReport> {
        self.reports
            .iter()
            .filter(|r| r.kind == kind && r.start_date == start_date)
            .max_by_key(|r| (r.revision, !r.stale))
    }

    /// The accepted states of one agent, in arrival order.
    pub fn states_of<'a>(&'a self, agent_id: &'a str) -> impl Iterator<Item = &'a ReceivedState> {
        self.states.iter().filter(move |s| s.agent_id == agent_id)
    }

    /// The most requests to `endpoint` that were in the server at once.
    pub fn max_concurrent(&self, endpoint: Endpoint) -> usize {
        self.max_concurrent.get(&endpoint).copied().unwrap_or(0)
    }

    /// The requests made to `path`, in the order they were answered.
    pub fn requests_to<'a>(
        &'a self,
        path: &'a str,
    ) -> impl Iterator<Item = &'a WfmRequestLogEntry> {
        self.requests.iter().filter(move |r| r.path == path)
    }
}

/// [`Recorded`] plus the indexes that keep recording O(1) per item.
#[derive(Debug, Default)]
pub struct WfmRecorder {
    pub recorded: Recorded,
    keep_states: bool,
    seen_event_ids: HashSet<String>,
    last_start_by_agent: HashMap<String, Millis>,
    /// Idempotency-Keys of accepted calls, per endpoint.
    accepted_keys: HashSet<(Endpoint, String)>,
    /// Highest revision received per (kind, startDate).
    highest_revision: HashMap<(ReportKind, Millis), u64>,
}

/// How many items of a batch were new and how many were duplicates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatesOutcome {
    pub new: usize,
    pub duplicates: usize,
}

impl WfmRecorder {
    pub fn new(keep_states: bool) -> WfmRecorder {
        WfmRecorder {
            keep_states,
            ..WfmRecorder::default()
        }
    }

    pub fn key_accepted(&self, endpoint: Endpoint, key: &str) -> bool {
        // A tuple key needs an owned String to look up; the clone is one per request, not per item.
        self.accepted_keys.contains(&(endpoint, key.to_owned()))
    }

    pub fn accept_key(&mut self, endpoint: Endpoint, key: &str) {
        self.accepted_keys.insert((endpoint, key.to_owned()));
    }

    /// Records the valid items of a non-snapshot batch, de-duplicated by event id, received at
    /// `received_ms` (the simulator's clock).
    pub fn record_states(
        &mut self,
        items: Vec<ReceivedState>,
        received_ms: Millis,
    ) -> StatesOutcome {
        let mut outcome = StatesOutcome::default();
        for mut item in items {
            item.received_ms = received_ms;
            if self.seen_event_ids.contains(&item.event_id) {
                outcome.duplicates += 1;
                self.recorded.duplicate_states += 1;
                *self
                    .recorded
                    .duplicates_by_event
                    .entry(item.event_id)
                    .or_insert(0) += 1;
                continue;
            }
            outcome.new += 1;
            self.seen_event_ids.insert(item.event_id.clone());
            self.recorded.distinct_states += 1;
            match self.last_start_by_agent.get_mut(&item.agent_id) {
                Some(last) if item.state_start_ms < *last => self.recorded.out_of_order_states += 1,
                Some(last) => *last = item.state_start_ms,
                None => {
                    self.last_start_by_agent
                        .insert(item.agent_id.clone(), item.state_start_ms);
                }
            }
            if self.keep_states {
                self.recorded.states.push(item);
            }
        }
        outcome
    }

    pub fn record_snapshot(
        &mut self,
        batch_id: String,
        mut states: Vec<ReceivedState>,
        received_ms: Millis,
    ) {
        for state in &mut states {
            state.received_ms = received_ms;
        }
        self.recorded
            .snapshots
            .push(ReceivedSnapshot { batch_id, states });
    }

    /// Records a report; returns whether it is stale (not higher than a revision already held).
    pub fn record_report(&mut self, mut report: ReceivedReport) -> bool {
        let key = (report.kind, report.start_ms);
        report.stale = self
            .highest_revision
            .get(&key)
            .is_some_and(|highest| report.revision <= *highest);
        if !report.stale {
            self.highest_revision.insert(key, report.revision);
        }
        if report.stale {
            self.recorded.stale_reports += 1;
        }
        let stale = report.stale;
        self.recorded.reports.push(report);
        stale
    }

    pub fn record_heartbeat(&mut self, body: serde_json::Value) {
        self.recorded.heartbeats.push(body);
    }

    pub fn log_request(&mut self, entry: WfmRequestLogEntry) {
        self.recorded.requests.push(entry);
    }
}
