//! Faults the WFM simulator injects on demand, so tests (and the demo) can watch the connector ride
//! through outages, throttling, expired tokens and partial rejections.
//!
//! A [`Fault`] is an action ([`FaultAction`]) and the endpoints it applies to ([`FaultScope`]).
//! Faults are set through [`super::SimWfmHandle::set_fault`] and live in a [`FaultBook`] until they
//! are used up (counted faults) or cleared.

use super::bad_answer::BadAnswer;
use crate::sim::faults::OutageKind;
use std::time::Duration;

/// The endpoint groups of the wire contract (SPEC §6), as faults and the request log see them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `POST /auth/token` and `POST /auth/refresh`.
    Auth,
    /// `POST /agent-states`.
    AgentStates,
    /// `POST /reports/agent-activity` and `POST /reports/queue`.
    Reports,
    /// `POST /heartbeat`.
    Heartbeat,
}

/// Which endpoints a fault applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultScope {
    /// Every endpoint, auth included.
    All,
    /// Every data call (agent states, reports, heartbeat), not auth.
    Data,
    Auth,
    AgentStates,
    Reports,
    Heartbeat,
}

impl FaultScope {
    pub fn covers(self, endpoint: Endpoint) -> bool {
        match self {
            FaultScope::All => true,
            FaultScope::Data => endpoint != Endpoint::Auth,
            FaultScope::Auth => endpoint == Endpoint::Auth,
            FaultScope::AgentStates => endpoint == Endpoint::AgentStates,
            FaultScope::Reports => endpoint == Endpoint::Reports,
            FaultScope::Heartbeat => endpoint == Endpoint::Heartbeat,
        }
    }
}

/// What a fault does.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultAction {
    /// Down until [`super::SimWfmHandle::clear_faults`].
    Outage(OutageKind),
    /// The next `count` calls in scope are answered `status` before any other check (auth
    /// included), with `Retry-After: <retry_after_sec>` when given.
    Status {
        status: u16,
        count: usize,
        retry_after_sec: Option<u64>,
    },
    /// Every call in scope is answered `status` with this probability (0.0–1.0); for soak runs and
    /// the demo. Never used up.
    RandomStatus {
        status: u16,
        probability: f64,
        retry_after_sec: Option<u64>,
    },
    /// The next `count` authorised, well-formed data calls are answered `200 PARTIAL` with the items
    /// at `indexes` rejected (code `INJECTED`); the other items are recorded as usual. For a report
    /// or a heartbeat the body is recorded and the indexes are only named in the answer.
    Partial { count: usize, indexes: Vec<usize> },
    /// The next `count` authorised, well-formed data calls are answered `400 REJECTED`; nothing is
    /// recorded and the Idempotency-Key stays unused.
    Rejected { count: usize },
    /// The next `count` authorised, well-formed data calls are recorded as accepted, then answered
    /// `status`: the answer "got lost", so the connector must retry and WFM de-duplicates.
    RecordThenStatus { status: u16, count: usize },
    /// The next `count` authorised, well-formed data calls get an answer that is not a delivery
    /// (`200` with an empty body, `{}`…, see [`BadAnswer`]); nothing is recorded.
    BadAnswer { kind: BadAnswer, count: usize },
    /// Every call in scope waits this long before it is handled.
    Latency(Duration),
}

/// One fault: an action and the endpoints it applies to.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    pub scope: FaultScope,
    pub action: FaultAction,
}

impl Fault {
    /// A fault on every data call (agent states, reports, heartbeat), not auth.
    fn data(action: FaultAction) -> Fault {
        Fault {
            scope: FaultScope::Data,
            action,
        }
    }

    /// A fault on every endpoint, auth included.
    fn everywhere(action: FaultAction) -> Fault {
        Fault {
            scope: FaultScope::All,
            action,
        }
    }

    /// Every request answered `503` until cleared.
    pub fn outage() -> Fault {
        Fault::everywhere(FaultAction::Outage(OutageKind::ServiceUnavailable))
    }

    /// The port is closed (connection refused) until cleared.
    pub fn connection_refused() -> Fault {
        Fault::everywhere(FaultAction::Outage(OutageKind::ConnectionRefused))
    }

    /// The next `count` data calls are answered `status` (401, 403, 404, 408, 429, 500, 502, 503…).
    pub fn status(status: u16, count: usize) -> Fault {
        Fault::data(FaultAction::Status {
            status,
            count,
            retry_after_sec: None,
        })
    }

    /// The next `count` data calls are answered `429` with `Retry-After: retry_after_sec`.
    pub fn too_many_requests(count: usize, retry_after_sec: u64) -> Fault {
        Fault::status(429, count).with_retry_after(retry_after_sec)
    }

    /// Each data call is answered `status` with `probability`.
    pub fn random_status(status: u16, probability: f64) -> Fault {
        Fault::data(FaultAction::RandomStatus {
            status,
            probability,
            retry_after_sec: None,
        })
    }

    /// The next `count` data calls are answered `PARTIAL`, rejecting the items at `indexes`.
    pub fn partial(count: usize, indexes: Vec<usize>) -> Fault {
        Fault::data(FaultAction::Partial { count, indexes })
    }

    /// The next `count` data calls are answered `400 REJECTED`.
    pub fn rejected(count: usize) -> Fault {
        Fault::data(FaultAction::Rejected { count })
    }

    /// The next `count` data calls are recorded, then answered `status` (a lost answer).
    pub fn record_then_status(status: u16, count: usize) -> Fault {
        Fault::data(FaultAction::RecordThenStatus { status, count })
    }

    /// The next `count` data calls get a `200` that is not a delivery, of this kind.
    pub fn bad_answer(kind: BadAnswer, count: usize) -> Fault {
        Fault::data(FaultAction::BadAnswer { kind, count })
    }

    /// Every request waits `delay` before it is handled.
    pub fn latency(delay: Duration) -> Fault {
        Fault::everywhere(FaultAction::Latency(delay))
    }

    /// The same fault, for other endpoints.
    pub fn on(mut self, scope: FaultScope) -> Fault {
        self.scope = scope;
        self
    }

    /// Adds `Retry-After` to a status fault (no effect on other actions).
    pub fn with_retry_after(mut self, secs: u64) -> Fault {
        if let FaultAction::Status {
            retry_after_sec, ..
        }
        | FaultAction::RandomStatus {
            retry_after_sec, ..
        } = &mut self.action
        {
            *retry_after_sec = Some(secs);
        }
        self
    }
}

/// An answer decided by a fault before the request is looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InjectedStatus {
    pub status: u16,
    pub retry_after_sec: Option<u64>,
}

/// What the faults say about a request as it arrives.
#[derive(Debug, Default)]
pub struct BeforeCall {
    /// Wait this long first.
    pub latency: Duration,
    /// Answer this instead of handling the request.
    pub answer: Option<InjectedStatus>,
}

/// What the faults say about an authorised, well-formed data call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterValidation {
    Partial(Vec<usize>),
    Rejected,
    RecordThenStatus(u16),
    BadAnswer(BadAnswer),
}

/// The active faults, in the order they were set. Counted faults are used first-set-first-used.
#[derive(Debug, Default)]
pub struct FaultBook {
    faults: Vec<Fault>,
}

impl FaultBook {
    pub fn add(&mut self, fault: Fault) {
        self.faults.push(fault);
    }

    pub fn clear(&mut self) {
        self.faults.clear();
    }

    pub fn remove_outages(&mut self) {
        self.faults
            .retain(|f| !matches!(f.action, FaultAction::Outage(_)));
    }

    /// Latency, outage and status faults for a request arriving at `endpoint`; uses up one count
    /// of the first status fault that applies.
    pub fn before_call(&mut self, endpoint: Endpoint) -> BeforeCall {
        let applicable = || self.faults.iter().filter(|f| f.scope.covers(endpoint));
        let latency = applicable()
            .filter_map(|f| match f.action {
                FaultAction::Latency(delay) => Some(delay),
                _ => None,
            })
            .sum();
        // An outage wins and uses up nothing: counted faults wait for the service to come back.
        let down =
            applicable().any(|f| f.action == FaultAction::Outage(OutageKind::ServiceUnavailable));
        let answer = if down {
            Some(InjectedStatus {
                status: 503,
                retry_after_sec: None,
            })
        } else {
            self.take_status(endpoint)
        };
        BeforeCall { latency, answer }
    }

    fn take_status(&mut self, endpoint: Endpoint) -> Option<InjectedStatus> {
        let mut answer = None;
        for fault in self.faults.iter_mut().filter(|f| f.scope.covers(endpoint)) {
            answer = match &mut fault.action {
                FaultAction::Status {
                    status,
                    count,
                    retry_after_sec,
                } if *count > 0 => {
                    *count -= 1;
                    Some(InjectedStatus {
                        status: *status,
                        retry_after_sec: *retry_after_sec,
                    })
                }
                FaultAction::RandomStatus {
                    status,
                    probability,
                    retry_after_sec,
                } if fastrand::f64() < *probability => Some(InjectedStatus {
                    status: *status,
                    retry_after_sec: *retry_after_sec,
                }),
                _ => None,
            };
            if answer.is_some() {
                break;
            }
        }
        self.drop_used_up();
        answer
    }

    /// The first PARTIAL / REJECTED / record-then-status / bad-answer fault for a data call that passed auth
    /// and validation; uses up one count of it. Auth calls never meet these faults.
    pub fn after_validation(&mut self, endpoint: Endpoint) -> Option<AfterValidation> {
        if endpoint == Endpoint::Auth {
            return None;
        }
        let mut decision = None;
        for fault in self.faults.iter_mut().filter(|f| f.scope.covers(endpoint)) {
            decision = match &mut fault.action {
                FaultAction::Partial { count, indexes } if *count > 0 => {
                    *count -= 1;
                    Some(AfterValidation::Partial(indexes.clone()))
                }
                FaultAction::Rejected { count } if *count > 0 => {
                    *count -= 1;
                    Some(AfterValidation::Rejected)
                }
                FaultAction::RecordThenStatus { status, count } if *count > 0 => {
                    *count -= 1;
                    Some(AfterValidation::RecordThenStatus(*status))
                }
                FaultAction::BadAnswer { kind, count } if *count > 0 => {
                    *count -= 1;
                    Some(AfterValidation::BadAnswer(*kind))
                }
                _ => None,
            };
            if decision.is_some() {
                break;
            }
        }
        self.drop_used_up();
        decision
    }

    fn drop_used_up(&mut self) {
        self.faults.retain(|f| match &f.action {
            FaultAction::Status { count, .. }
            | FaultAction::Partial { count, .. }
            | FaultAction::Rejected { count }
            | FaultAction::RecordThenStatus { count, .. }
            | FaultAction::BadAnswer { count, .. } => *count > 0,
            _ => true,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counted_status_fault_is_used_up_and_only_on_its_endpoints() {
        let mut book = FaultBook::default();
        book.add(Fault::status(500, 2).on(FaultScope::Reports));
        assert_eq!(book.before_call(Endpoint::AgentStates).answer, None);
        assert_eq!(
            book.before_call(Endpoint::Reports).answer.map(|a| a.status),
            Some(500)
        );
        assert_eq!(
            book.before_call(Endpoint::Reports).answer.map(|a| a.status),
            Some(500)
        );
        assert_eq!(book.before_call(Endpoint::Reports).answer, None);
    }

    #[test]
    fn data_scope_spares_auth_and_partial_never_hits_auth() {
        let mut book = FaultBook::default();
        book.add(Fault::status(503, 1));
        book.add(Fault::partial(1, vec![0]).on(FaultScope::All));
        assert_eq!(book.before_call(Endpoint::Auth).answer, None);
        assert_eq!(book.after_validation(Endpoint::Auth), None);
        assert_eq!(
            book.after_validation(Endpoint::Heartbeat),
            Some(AfterValidation::Partial(vec![0]))
        );
        assert_eq!(book.after_validation(Endpoint::Heartbeat), None);
    }

    #[test]
    fn latencies_add_up_and_outage_wins() {
        let mut book = FaultBook::default();
        book.add(Fault::latency(Duration::from_millis(5)));
        book.add(Fault::latency(Duration::from_millis(7)).on(FaultScope::Heartbeat));
        book.add(Fault::outage().on(FaultScope::Heartbeat));
        let hb = book.before_call(Endpoint::Heartbeat);
        assert_eq!(hb.latency, Duration::from_millis(12));
        assert_eq!(hb.answer.map(|a| a.status), Some(503));
        assert_eq!(book.before_call(Endpoint::AgentStates).answer, None);
    }
}
