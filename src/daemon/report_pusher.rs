//! The report outbox as the drain ([`super::drain`]) sees it: buffer → WFM for reports, through
//! the same client, retry policy and dead letters as agent states — and independent of them, so a
//! flood of states never starves reports and a stuck report never blocks states.
//!
//! A backlog (a day of WFM outage at 15 minutes is 192 reports) goes out `[wfm]
//! report_concurrency` at a time (default 4), each for a different (kind, interval): WFM keeps the
//! highest revision per (report, startDate), so revisions of one interval go strictly one after
//! the other — revision 2 is claimed only once revision 1 is acknowledged
//! ([`crate::store::Store::claim_reports`]).
//!
//! A report's body is built as it is claimed, from its `reportData` as the buffer holds it
//! ([`crate::store::Store::claim_reports_with`]): only the body is held while it is in flight.

use super::drain::{self, Outbox};
use super::{Shared, SharedStore};
use crate::model::Millis;
use crate::shutdown::Shutdown;
use crate::store::reports::QueuedReport;
use crate::store::{Store, StoreError};
use crate::wfm::request::{self, Request};
use crate::wfm::{Delivery, WfmClient};
use std::collections::HashSet;
use std::sync::Arc;
use tokio::sync::Notify;

/// Drains the report outbox until shutdown; on shutdown, the reports in flight finish their
/// current try and record what WFM said.
pub async fn run_pusher(
    shared: Shared,
    client: Arc<WfmClient>,
    store: SharedStore,
    shutdown: Shutdown,
) {
    let outbox = Reports {
        shared: shared.clone(),
    };
    drain::run(outbox, shared, client, store, shutdown).await;
}

/// The report outbox: one report revision per request.
pub struct Reports {
    shared: Shared,
}

/// A claimed report: the report (its `report_data` left empty) and its body, built as it was
/// read from the buffer; the body moves into the request.
pub struct ClaimedReport {
    report: QueuedReport,
    body: Option<Result<String, serde_json::Error>>,
}

impl Outbox for Reports {
    type Item = ClaimedReport;
    /// (kind, interval start): the revisions of one interval go one after the other.
    type Lane = (String, Millis);
    const NAME: &'static str = "reports";

    fn concurrency(&self) -> usize {
        self.shared.config.wfm.report_concurrency
    }

    fn ready(&self) -> &Notify {
        &self.shared.reports_ready
    }

    fn claim(
        &self,
        store: &mut Store,
        room: usize,
        busy: &HashSet<(String, Millis)>,
    ) -> Result<Vec<ClaimedReport>, StoreError> {
        // Each body is built from the data as SQLite holds it: the data is never copied apart
        // from its body (megabytes at 20,000 agents, `report_concurrency` of them in flight).
        Ok(store
            .claim_reports_with(room, busy, request::report_body)?
            .into_iter()
            .map(|(report, body)| ClaimedReport {
                report,
                body: Some(body),
            })
            .collect())
    }

    fn lane(claimed: &ClaimedReport) -> (String, Millis) {
        (claimed.report.kind.clone(), claimed.report.start_ms)
    }

    fn key(claimed: &ClaimedReport) -> String {
        claimed.report.idempotency_key()
    }

    fn request(claimed: &mut ClaimedReport) -> Result<Request, serde_json::Error> {
        // The body moves into the request; acknowledging needs only the report's id.
        match claimed.body.take() {
            Some(body) => request::report_request(&claimed.report, body?),
            None => request::report(&claimed.report),
        }
    }

    fn acknowledge(
        &self,
        store: &mut Store,
        claimed: &ClaimedReport,
        delivery: &Delivery,
        now_ms: Millis,
    ) -> Result<(), StoreError> {
        store.ack_report(&claimed.report, refusal(delivery).as_deref(), now_ms)
    }

    fn delivered(&self, key: &str, _: &ClaimedReport, delivery: &Delivery) {
        match refusal(delivery) {
            None => {
                self.shared.metrics.reports_sent.inc();
                tracing::info!(report = %key, "report delivered");
            }
            Some(e) => {
                self.shared.metrics.dead_letters.inc();
                tracing::error!(report = %key, error = %e, "WFM refused a report; dead-lettered");
            }
        }
    }
}

/// What WFM refused of a report, in words for its dead letter; `None` when it took it whole.
fn refusal(delivery: &Delivery) -> Option<String> {
    match delivery {
        Delivery::Accepted => None,
        Delivery::Partial(items) => Some(
            items
                .iter()
                .map(|(i, e)| format!("item {i}: {e}"))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        Delivery::Rejected(e) => Some(e.clone()),
    }
}
