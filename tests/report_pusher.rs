//! A report backlog against a slow WFM (issue 6): the report pusher (the library, in process)
//! sends several reports at once for different intervals — at most `[wfm] report_concurrency` —
//! while the revisions of one interval go strictly one after the other: revision N+1 leaves only
//! once WFM has answered revision N. Real WFM simulator on loopback, real SQLite file.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: a failed unwrap is a failed test

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use wfm_connector::clock::{SystemClock, rfc3339_ms};
use wfm_connector::config::Config;
use wfm_connector::daemon::{self, Shared, report_pusher};
use wfm_connector::metrics::Metrics;
use wfm_connector::model::Interval;
use wfm_connector::sim::wfm::{self, Endpoint, Fault, FaultScope, SimWfmOptions};
use wfm_connector::store::Store;
use wfm_connector::wfm::WfmClient;

const MIN: i64 = 60_000;
/// An interval boundary: 2026-11-20T10:00:00Z.
const T0: i64 = 1_795_600_800_000;
const QUEUE_DATA: &str =
    r#"{"queueReport":[],"agentQueueReport":[],"agentSystemPerformanceReport":[]}"#;

fn interval(i: i64) -> Interval {
    Interval {
        start_ms: T0 + i * 15 * MIN,
        end_ms: T0 + (i + 1) * 15 * MIN,
    }
}

/// Queues one revision of a report of interval `i`.
fn enqueue(store: &Store, kind: &str, i: i64, revision: i64) {
    let data = if kind == "queue" { QUEUE_DATA } else { "[]" };
    store
        .enqueue_report(
            kind,
            interval(i),
            revision,
            &format!("h{revision}"),
            data,
            0,
        )
        .unwrap();
}

/// Runs the report pusher with `concurrency` against a WFM that takes `latency` per report,
/// over a backlog of 8 intervals, of which interval 0 has three revisions queued first; returns what
/// WFM recorded once it holds everything.
async fn drain_backlog(concurrency: usize, latency: Duration) -> wfm::Recorded {
    let sim = wfm::start(SimWfmOptions::default()).await.unwrap();
    sim.set_fault(Fault::latency(latency).on(FaultScope::Reports))
        .await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::for_tests(
        "http://127.0.0.1:9",
        &sim.base_url(),
        &dir.path().join("b.db"),
    );
    config.wfm.report_concurrency = concurrency;
    config.wfm.retry_initial = Duration::from_millis(20);
    config.wfm.retry_max = Duration::from_millis(200);
    {
        let store = Store::open(&config.buffer.path).unwrap();
        // Late events re-opened interval 0 twice: its three revisions head the outbox, where a
        // pusher that ignored the order would send them side by side.
        for revision in 1..=3 {
            enqueue(&store, "agent-activity", 0, revision);
        }
        enqueue(&store, "queue", 0, 1);
        for i in 1..8 {
            enqueue(&store, "agent-activity", i, 1);
        }
    }
    let client = Arc::new(WfmClient::new(&config.wfm, Metrics::new()).unwrap());
    let store = daemon::open_store(&config).unwrap();
    let shared = Shared::new(config, Arc::new(SystemClock));
    let (trigger, shutdown) = wfm_connector::shutdown::channel();
    let task = tokio::spawn(report_pusher::run_pusher(
        shared,
        client,
        store.clone(),
        shutdown,
    ));
    let all = sim
        .wait_until(|r| r.reports.len() >= 11, Duration::from_secs(60))
        .await;
    assert!(
        all,
        "WFM got {} of 11 reports",
        sim.recorded().reports.len()
    );
    trigger.trigger();
    task.await.unwrap();
    let pending = daemon::blocking(&store, |s| s.status(0)).await.unwrap();
    assert_eq!(pending.pending_reports, 0);
    assert_eq!(pending.dead_letter_count, 0);
    sim.recorded()
}

/// Each revision of interval 0's agent-activity report arrives after WFM answered the one before.
fn assert_revisions_in_order(r: &wfm::Recorded) {
    let key = |rev: i64| format!("agent-activity-{}-r{rev}", rfc3339_ms(T0));
    let call = |rev: i64| {
        r.requests_to("/reports/agent-activity")
            .find(|q| q.idempotency_key.as_deref() == Some(key(rev).as_str()) && q.status == 200)
            .unwrap_or_else(|| panic!("no accepted request for revision {rev}"))
    };
    for rev in 1..3 {
        let (this, next) = (call(rev), call(rev + 1));
        assert!(
            next.at >= this.answered_at,
            "revision {} was sent before revision {rev} was answered",
            rev + 1
        );
    }
    assert_eq!(r.stale_reports, 0, "WFM saw a revision after a higher one");
    let current = r
        .current_report(wfm::ReportKind::AgentActivity, &rfc3339_ms(T0))
        .unwrap();
    assert_eq!(current.revision, 3);
}

#[tokio::test]
async fn a_backlog_goes_out_several_at_a_time_with_revisions_of_an_interval_in_order() {
    let r = drain_backlog(4, Duration::from_millis(300)).await;
    let most = r.max_concurrent(Endpoint::Reports);
    assert!(most > 1, "one report at a time against a slow WFM");
    assert!(
        most <= 4,
        "{most} reports in flight, more than report_concurrency"
    );
    assert_revisions_in_order(&r);
}

#[tokio::test]
async fn report_concurrency_bounds_the_reports_in_flight() {
    let r = drain_backlog(2, Duration::from_millis(100)).await;
    assert!(r.max_concurrent(Endpoint::Reports) <= 2);
    assert_revisions_in_order(&r);
}

#[test]
fn claim_gives_each_interval_its_lowest_pending_revision_and_skips_those_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("b.db")).unwrap();
    enqueue(&store, "agent-activity", 0, 1);
    enqueue(&store, "agent-activity", 0, 2);
    enqueue(&store, "queue", 0, 1);
    enqueue(&store, "agent-activity", 1, 1);
    let names = |v: Vec<wfm_connector::store::reports::QueuedReport>| -> Vec<String> {
        v.iter().map(|r| r.idempotency_key()).collect()
    };
    let aa =
        |i: i64, rev: i64| format!("agent-activity-{}-r{rev}", rfc3339_ms(interval(i).start_ms));
    let q0 = format!("queue-{}-r1", rfc3339_ms(T0));
    let none = HashSet::new();
    assert_eq!(
        names(store.claim_reports(4, &none).unwrap()),
        vec![aa(0, 1), q0.clone(), aa(1, 1)]
    );
    assert_eq!(
        names(store.claim_reports(2, &none).unwrap()),
        vec![aa(0, 1), q0.clone()]
    );
    let busy: HashSet<(String, i64)> = [("agent-activity".to_string(), T0)].into();
    assert_eq!(
        names(store.claim_reports(2, &busy).unwrap()),
        vec![q0.clone(), aa(1, 1)]
    );
    // Revision 1 acknowledged (delivered or dead-lettered): revision 2 is next.
    let first = store.claim_reports(1, &none).unwrap().remove(0);
    store.ack_report(&first, None, 1).unwrap();
    assert_eq!(
        names(store.claim_reports(4, &none).unwrap()),
        vec![aa(0, 2), q0, aa(1, 1)]
    );
}
