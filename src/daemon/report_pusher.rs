//! The report outbox as the drain ([`super::drain`]) sees it: buffer → WFM for reports, through
//! the same client, retry policy and dead letters as agent states — and independent of them, so a
//! flood of states never starves reports and a stuck report never blocks states.
//!
//! A backlog (a day of WFM outage at 15 minutes is 192 reports) goes out `[wfm]
//! report_concurrency` at a time (default 4), each for a different (kind, interval): WFM keeps the
//! highest revision per (report, startDate), so revisions of one interval go strictly one after
//! the other — revision 2 is claimed only once revision 1 is acknowledged
//! ([`crate::store::Store::claim_reports`]).

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

impl Outbox for Reports {
    type Item = QueuedReport;
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
    ) -> Result<Vec<QueuedReport>, StoreError> {
        store.claim_reports(room, busy)
    }

    fn lane(report: &QueuedReport) -> (String, Millis) {
        (report.kind.clone(), report.start_ms)
    }

    fn key(report: &QueuedReport) -> String {
        report.idempotency_key()
    }

    fn request(report: &mut QueuedReport) -> Result<Request, serde_json::Error> {
        let request = request::report(report)?;
        // The body holds the report now; the stored copy goes (megabytes at 20,000 agents, and
        // `report_concurrency` of them in flight). Acknowledging needs only the report's id.
        report.report_data = String::new();
        Ok(request)
    }

    fn acknowledge(
        &self,
        store: &mut Store,
        report: &QueuedReport,
        delivery: &Delivery,
        now_ms: Millis,
    ) -> Result<(), StoreError> {
        store.ack_report(report, refusal(delivery).as_deref(), now_ms)
    }

    fn delivered(&self, key: &str, _: &QueuedReport, delivery: &Delivery) {
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
