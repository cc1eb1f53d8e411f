//! The request log tests read, and the counters.

use crate::model::Millis;
use std::collections::VecDeque;

/// One answered request, as tests read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcdRequestLogEntry {
    /// The simulator's clock when the request arrived.
    pub at_ms: Millis,
    pub method: String,
    pub path_and_query: String,
    pub status: u16,
    /// The injected fault, if any: `outage`, `rate_limit`, `server_error`, `malformed`.
    pub fault: Option<&'static str>,
}

/// Totals since start.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SimAcdCounters {
    pub requests: u64,
    pub ok: u64,
    pub unauthorized: u64,
    pub not_found: u64,
    pub bad_request: u64,
    pub rate_limited: u64,
    pub server_errors: u64,
    pub outage_rejected: u64,
    pub malformed: u64,
    /// Events returned in successful Events pages.
    pub events_served: u64,
}

/// The request log (bounded: the oldest entries go first) and the counters.
pub(crate) struct AcdRecorder {
    pub log: VecDeque<AcdRequestLogEntry>,
    pub capacity: usize,
    pub counters: SimAcdCounters,
}

impl AcdRecorder {
    pub fn new(capacity: usize) -> AcdRecorder {
        AcdRecorder {
            log: VecDeque::new(),
            capacity,
            counters: SimAcdCounters::default(),
        }
    }

    pub fn record(&mut self, entry: AcdRequestLogEntry, events_served: usize) {
        let c = &mut self.counters;
        c.requests += 1;
        match (entry.fault, entry.status) {
            (Some("outage"), _) => c.outage_rejected += 1,
            (Some("rate_limit"), _) => c.rate_limited += 1,
            (Some("server_error"), _) => c.server_errors += 1,
            (Some("malformed"), _) => c.malformed += 1,
            (_, 200) => c.ok += 1,
            (_, 401) => c.unauthorized += 1,
            (_, 404) => c.not_found += 1,
            (_, 400) => c.bad_request += 1,
            _ => {}
        }
        c.events_served += events_served as u64;
        if self.capacity == 0 {
            return;
        }
        if self.log.len() >= self.capacity {
            self.log.pop_front();
        }
        self.log.push_back(entry);
    }
}
