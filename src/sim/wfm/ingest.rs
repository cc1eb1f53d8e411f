//! The three data calls once authorised and parsed: agent states, reports and heartbeats are
//! validated, meet the faults decided after validation, and are recorded.

use super::answer::{CallMeta, WfmAnswer};
use super::faults::{AfterValidation, Endpoint, InjectedStatus};
use super::record::{ReceivedReport, ReceivedState, ReportKind};
use super::server::{SimWfmShared, injected_error, lock, rejected_items};
use super::validate::{self, WireError};
use serde_json::Value;
use std::ops::ControlFlow;

/// What the after-validation faults leave of a call that is recorded.
struct Delivery {
    /// Items the faults reject (a PARTIAL), on top of the invalid ones.
    injected: Vec<WireError>,
    /// The status that replaces the answer after recording (the answer is "lost").
    lost: Option<u16>,
}

impl SimWfmShared {
    /// The after-validation faults for a valid data call of `items` items: `Continue` to record
    /// it, or `Break` with the answer given instead (`400 REJECTED`, or a `200` that is not a
    /// delivery), already committed, with nothing recorded.
    fn after_validation(
        &self,
        meta: &CallMeta,
        endpoint: Endpoint,
        items: usize,
        about: &str,
    ) -> ControlFlow<WfmAnswer, Delivery> {
        let decision = lock(&self.faults).after_validation(endpoint);
        let deliver = |injected, lost| ControlFlow::Continue(Delivery { injected, lost });
        let answer = match decision {
            None => return deliver(Vec::new(), None),
            Some(AfterValidation::Partial(indexes)) => {
                let injected = indexes.into_iter().map(|i| injected_error(Some(i)));
                return deliver(injected.collect(), None);
            }
            Some(AfterValidation::RecordThenStatus(status)) => {
                return deliver(Vec::new(), Some(status));
            }
            Some(AfterValidation::Rejected) => {
                WfmAnswer::rejected(vec![injected_error(None)], &format!("(injected) {about}"))
            }
            Some(AfterValidation::BadAnswer(kind)) => kind.answer(items, about),
        };
        ControlFlow::Break(self.commit(meta, |_| answer))
    }

    fn final_answer(lost: Option<u16>, errors: Vec<WireError>, summary: String) -> WfmAnswer {
        match lost {
            Some(status) => WfmAnswer::injected(
                InjectedStatus {
                    status,
                    retry_after_sec: None,
                },
                &format!("after recording: {summary}"),
            ),
            None => WfmAnswer::delivered(errors, summary),
        }
    }

    pub(super) fn agent_states(&self, meta: &CallMeta, key: &str, value: &Value) -> WfmAnswer {
        let endpoint = Endpoint::AgentStates;
        let batch = match validate::agent_states(value, self.settings.max_batch) {
            Ok(batch) => batch,
            Err(errors) => {
                return self.commit(meta, |_| WfmAnswer::rejected(errors, "agent-states"));
            }
        };
        let about = format!(
            "batch={} snapshot={} items={}",
            batch.batch_id, batch.is_snapshot, batch.item_count
        );
        if self.record.borrow().key_accepted(endpoint, key) {
            return self.commit(meta, |_| WfmAnswer::duplicate_key(&about));
        }
        let mut errors = batch.errors;
        let mut valid = batch.valid;
        let delivery = match self.after_validation(meta, endpoint, batch.item_count, &about) {
            ControlFlow::Continue(delivery) => delivery,
            ControlFlow::Break(answer) => return answer,
        };
        // An injected index rejects that item if it is still valid.
        for error in delivery.injected {
            if let Some(at) = valid.iter().position(|(i, _)| Some(*i) == error.index) {
                valid.remove(at);
                errors.push(error);
            }
        }
        errors.sort_by_key(|e| e.index);
        let lost = delivery.lost;
        let states: Vec<ReceivedState> = valid.into_iter().map(|(_, state)| state).collect();
        if self.settings.verbose {
            for s in &states {
                tracing::info!(
                    event_id = %s.event_id, agent_id = %s.agent_id, state = s.state.as_str(),
                    reason_code = ?s.reason_code, media_type = ?s.media_type, state_start = %s.state_start,
                    "sim wfm: agent state"
                );
            }
        }
        let (batch_id, is_snapshot) = (batch.batch_id, batch.is_snapshot);
        let clock = self.clock.clone();
        self.commit(meta, move |recorder| {
            // Checked again under the lock: the same batch may have raced in on two connections.
            if recorder.key_accepted(endpoint, key) {
                return WfmAnswer::duplicate_key(&about);
            }
            recorder.accept_key(endpoint, key);
            let rejected = rejected_items(&errors);
            let received_ms = clock.now_ms();
            let summary = if is_snapshot {
                let accepted = states.len();
                recorder.record_snapshot(batch_id, states, received_ms);
                format!("{about} accepted={accepted} rejected={rejected}")
            } else {
                let outcome = recorder.record_states(states, received_ms);
                format!(
                    "{about} new={} duplicates={} rejected={rejected}",
                    outcome.new, outcome.duplicates
                )
            };
            Self::final_answer(lost, errors, summary)
        })
    }

    pub(super) fn report(
        &self,
        meta: &CallMeta,
        key: &str,
        kind: ReportKind,
        value: Value,
    ) -> WfmAnswer {
        let endpoint = Endpoint::Reports;
        let check = match validate::report(kind, &value) {
            Ok(check) => check,
            Err(errors) => {
                return self.commit(meta, |_| WfmAnswer::rejected(errors, kind.as_str()));
            }
        };
        let about = format!(
            "{} start={} end={} revision={} rows={}",
            kind.as_str(),
            check.start_date,
            check.end_date,
            check.revision,
            check.rows
        );
        if self.record.borrow().key_accepted(endpoint, key) {
            return self.commit(meta, |_| WfmAnswer::duplicate_key(&about));
        }
        let mut errors = check.row_errors;
        let delivery = match self.after_validation(meta, endpoint, check.rows, &about) {
            ControlFlow::Continue(delivery) => delivery,
            ControlFlow::Break(answer) => return answer,
        };
        errors.extend(delivery.injected);
        errors.sort_by_key(|e| e.index);
        let lost = delivery.lost;
        let report = ReceivedReport {
            kind,
            start_date: check.start_date,
            start_ms: check.start_ms,
            end_date: check.end_date,
            revision: check.revision,
            body: value,
            stale: false,
        };
        self.commit(meta, move |recorder| {
            if recorder.key_accepted(endpoint, key) {
                return WfmAnswer::duplicate_key(&about);
            }
            recorder.accept_key(endpoint, key);
            let stale = recorder.record_report(report);
            let summary = if stale {
                format!("{about} stale")
            } else {
                about
            };
            Self::final_answer(lost, errors, summary)
        })
    }

    /// Heartbeats are not de-duplicated by Idempotency-Key: a repeated one is harmless.
    pub(super) fn heartbeat(&self, meta: &CallMeta, value: Value) -> WfmAnswer {
        if let Err(errors) = validate::heartbeat(&value) {
            return self.commit(meta, |_| WfmAnswer::rejected(errors, "heartbeat"));
        }
        let text = |key: &str| value.get(key).map(Value::to_string).unwrap_or_default();
        let about = format!(
            "heartbeat connector={} status={} pendingStates={} pendingReports={} oldestPendingSec={}",
            text("connectorId"),
            text("status"),
            text("pendingStates"),
            text("pendingReports"),
            text("oldestPendingSec")
        );
        let Delivery {
            injected: errors,
            lost,
        } = match self.after_validation(meta, Endpoint::Heartbeat, 1, &about) {
            ControlFlow::Continue(delivery) => delivery,
            ControlFlow::Break(answer) => return answer,
        };
        self.commit(meta, move |recorder| {
            recorder.record_heartbeat(value);
            Self::final_answer(lost, errors, about)
        })
    }
}
