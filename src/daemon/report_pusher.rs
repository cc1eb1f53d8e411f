//! The report pusher: buffer → WFM for the report outbox, through the same client, retry policy
//! and dead letters as agent states — and independent of them, so a flood of states never
//! starves reports and a stuck report never blocks states.
//!
//! A backlog (a day of WFM outage at 15 minutes is 192 reports) goes out `[wfm]
//! report_concurrency` at a time (default 4), each for a different (kind, interval): WFM keeps the
//! highest revision per (report, startDate), so revisions of one interval go strictly one after
//! the other — revision 2 is claimed only once revision 1 is acknowledged
//! ([`crate::store::Store::claim_reports`]). Each report in flight is retried on its own until
//! WFM really answers ([`super::pusher::deliver`]).

use super::pusher::{Request, deliver};
use super::{Shared, SharedStore, blocking};
use crate::model::Millis;
use crate::report::ReportKind;
use crate::shutdown::Shutdown;
use crate::store::reports::QueuedReport;
use crate::wfm::{Delivery, WfmClient};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
use tokio::task::{Id, JoinError, JoinSet};

/// How long an idle pusher waits before looking at the outbox again without being poked.
const IDLE_RECHECK: Duration = Duration::from_secs(1);

/// Drains the report outbox until shutdown; on shutdown, the reports in flight finish their
/// current try and record what WFM said.
pub async fn run_pusher(
    shared: Shared,
    client: Arc<WfmClient>,
    store: SharedStore,
    mut shutdown: Shutdown,
) {
    let limit = shared.config.wfm.report_concurrency.max(1);
    let mut in_flight: JoinSet<()> = JoinSet::new();
    // Which (kind, interval start) each task is sending.
    let mut busy: HashMap<Id, (String, Millis)> = HashMap::new();
    while !shutdown.is_triggered() {
        let mut outbox_failed = false;
        if in_flight.len() < limit {
            let room = limit - in_flight.len();
            let keys: HashSet<(String, Millis)> = busy.values().cloned().collect();
            match blocking(&store, move |s| s.claim_reports(room, &keys)).await {
                Ok(reports) => {
                    for report in reports {
                        let key = (report.kind.clone(), report.start_ms);
                        let task = send_one(
                            shared.clone(),
                            client.clone(),
                            store.clone(),
                            shutdown.clone(),
                            report,
                        );
                        busy.insert(in_flight.spawn(task).id(), key);
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot read the report outbox; retrying");
                    outbox_failed = true;
                }
            }
        }
        let room = in_flight.len() < limit && !outbox_failed;
        tokio::select! {
            Some(done) = in_flight.join_next_with_id() => forget(&mut busy, done),
            _ = shared.reports_ready.notified(), if room => {}
            _ = tokio::time::sleep(IDLE_RECHECK) => {}
            _ = shutdown.wait() => {}
        }
    }
    while let Some(done) = in_flight.join_next_with_id().await {
        forget(&mut busy, done);
    }
    tracing::info!("report pusher stopped");
}

/// A task ended: its (kind, interval) may be claimed again (its next revision, or the same one
/// when the acknowledgement could not be written).
fn forget(busy: &mut HashMap<Id, (String, Millis)>, done: Result<(Id, ()), JoinError>) {
    let id = match done {
        Ok((id, ())) => id,
        Err(e) => {
            tracing::error!(error = %e, "a report delivery task ended abnormally; it will be re-sent");
            e.id()
        }
    };
    busy.remove(&id);
}

/// Delivers one report and records what WFM made of it.
async fn send_one(
    shared: Shared,
    client: Arc<WfmClient>,
    store: SharedStore,
    shutdown: Shutdown,
    report: QueuedReport,
) {
    let path = match report.kind.as_str() {
        "queue" => ReportKind::Queue.path(),
        _ => ReportKind::AgentActivity.path(),
    };
    let key = report.idempotency_key();
    let request = Request {
        path,
        key: &key,
        body: &report.body,
        items: report_rows(&report.body),
    };
    let Some(delivery) = deliver(&shared, &client, request, &shutdown).await else {
        return;
    };
    let error = match &delivery {
        Delivery::Accepted => None,
        Delivery::Partial(items) => Some(
            items
                .iter()
                .map(|(i, e)| format!("item {i}: {e}"))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        Delivery::Rejected(e) => Some(e.clone()),
    };
    let now = shared.clock.now_ms();
    let r = report.clone();
    let err = error.clone();
    if let Err(e) = blocking(&store, move |s| s.ack_report(&r, err.as_deref(), now)).await {
        tracing::error!(error = %e, "cannot record the report delivery; it will be re-sent");
        let mut shutdown = shutdown;
        shutdown.sleep(IDLE_RECHECK).await;
        return;
    }
    match error {
        None => {
            shared.metrics.reports_sent.inc();
            tracing::info!(report = %key, "report delivered");
        }
        Some(e) => {
            shared.metrics.dead_letters.inc();
            tracing::error!(report = %key, error = %e, "WFM refused a report; dead-lettered");
        }
    }
}

/// The indexes a PARTIAL answer to a report may name: WFM names report rows (as its row
/// validation does), each section counted from 0, so an index must lie below the longest
/// section (`reportData` for agent activity; the three arrays of a queue report).
///
/// Counted while the body is read, without building it as a JSON tree: a report of 20,000
/// agents is megabytes of JSON, and its tree tens of megabytes (four of them in flight at once).
pub fn report_rows(body: &str) -> usize {
    serde_json::from_str::<Envelope>(body).map_or(0, |e| e.report_data.0)
}

/// The envelope's `reportData`, reduced to its longest array's length; every other key skipped.
#[derive(serde::Deserialize)]
struct Envelope {
    #[serde(rename = "reportData", default)]
    report_data: Rows,
}

/// An array's length; for an object, the length of its longest array; anything else 0.
#[derive(Default)]
struct Rows(usize);

impl<'de> serde::Deserialize<'de> for Rows {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(RowsVisitor { nested: false })
    }
}

/// Counts array items (skipping each unread); at the top of `reportData` an object's values are
/// counted too and the largest kept, below it they are skipped.
struct RowsVisitor {
    nested: bool,
}

/// A section inside `reportData`'s object: counted as an array, anything else 0.
struct Section(usize);

impl<'de> serde::Deserialize<'de> for Section {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(RowsVisitor { nested: true })
            .map(|r| Section(r.0))
    }
}

impl<'de> serde::de::Visitor<'de> for RowsVisitor {
    type Value = Rows;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("report data")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Rows, A::Error> {
        let mut n = 0;
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {
            n += 1;
        }
        Ok(Rows(n))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Rows, A::Error> {
        let mut longest = 0;
        while map.next_key::<serde::de::IgnoredAny>()?.is_some() {
            if self.nested {
                map.next_value::<serde::de::IgnoredAny>()?;
            } else {
                longest = longest.max(map.next_value::<Section>()?.0);
            }
        }
        Ok(Rows(longest))
    }

    fn visit_bool<E>(self, _: bool) -> Result<Rows, E> {
        Ok(Rows(0))
    }
    fn visit_i64<E>(self, _: i64) -> Result<Rows, E> {
        Ok(Rows(0))
    }
    fn visit_u64<E>(self, _: u64) -> Result<Rows, E> {
        Ok(Rows(0))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Rows, E> {
        Ok(Rows(0))
    }
    fn visit_str<E>(self, _: &str) -> Result<Rows, E> {
        Ok(Rows(0))
    }
    fn visit_unit<E>(self) -> Result<Rows, E> {
        Ok(Rows(0))
    }
}

#[cfg(test)]
mod tests {
    use super::report_rows;

    #[test]
    fn report_rows_count_the_longest_section() {
        assert_eq!(report_rows(r#"{"reportData":[{},{}]}"#), 2);
        assert_eq!(
            report_rows(
                r#"{"reportData":{"queueReport":[{}],"agentQueueReport":[{},{},{}],"agentSystemPerformanceReport":[]}}"#
            ),
            3
        );
        assert_eq!(report_rows(r#"{"reportData":[]}"#), 0);
        assert_eq!(report_rows("not json"), 0);
        // Other keys, nesting inside rows, and non-array sections do not count.
        assert_eq!(
            report_rows(
                r#"{"acdType":"TWILIO","revision":2,"reportData":[{"a":[1,2,3]},{"b":{"c":[]}}],"x":[1,2,3,4]}"#
            ),
            2
        );
        assert_eq!(
            report_rows(r#"{"reportData":{"queueReport":[[1,2],[3]],"note":"x","n":7,"z":null}}"#),
            2
        );
        assert_eq!(report_rows(r#"{"reportData":null}"#), 0);
        assert_eq!(report_rows(r#"{"revision":1}"#), 0);
    }
}
