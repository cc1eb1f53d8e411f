//! The 15-minute reports end to end: scripted TaskRouter → the connector (in process, on a manual
//! clock so intervals pass at once) → WFM simulator. Every expected number is worked out in the
//! comments.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: a failed unwrap is a failed test

mod common;

use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use wfm_connector::clock::{ManualClock, SharedClock, rfc3339_ms};
use wfm_connector::config::Config;
use wfm_connector::daemon::{self, Shared};
use wfm_connector::sim::acd::{
    self, ReservationEventKind as R, Script, SimAcdHandle, SimAcdOptions, TaskEventKind as T,
    TaskQueueEventKind as Q,
};
use wfm_connector::sim::wfm::{self, SimWfmHandle, SimWfmOptions};

const MIN: i64 = 60_000;
/// An interval boundary: 2026-11-20T10:00:00Z.
const T0: i64 = 1_795_600_800_000;

struct World {
    dir: tempfile::TempDir,
    clock: ManualClock,
    acd: SimAcdHandle,
    wfm: SimWfmHandle,
}

struct Running {
    shared: Shared,
    trigger: wfm_connector::shutdown::ShutdownTrigger,
    task: tokio::task::JoinHandle<()>,
}

impl World {
    async fn new() -> World {
        assert_eq!(T0 % (15 * MIN), 0);
        // The connector starts just before T0 (a first start reads from now − overlap).
        let clock = ManualClock::new(T0 - 1_000);
        let shared_clock: SharedClock = Arc::new(clock.clone());
        let acd = acd::start(SimAcdOptions::scripted(shared_clock.clone()))
            .await
            .unwrap();
        let wfm = wfm::start(SimWfmOptions {
            clock: shared_clock,
            ..SimWfmOptions::default()
        })
        .await
        .unwrap();
        World {
            dir: tempfile::tempdir().unwrap(),
            clock,
            acd,
            wfm,
        }
    }

    fn config(&self) -> Config {
        let mut c = Config::for_tests(
            &self.acd.base_url(),
            &self.wfm.base_url(),
            &self.dir.path().join("buffer.db"),
        );
        c.acd.workspace_sid = self.acd.workspace_sid();
        c.acd.username = self.acd.username();
        c.acd.password = wfm_connector::secret::Secret::new(self.acd.password());
        c.acd.poll_interval = Duration::from_millis(100);
        c.acd.overlap = Duration::from_secs(60);
        c.reports.settle_delay = Duration::from_secs(5);
        c.wfm.retry_initial = Duration::from_millis(20);
        c.wfm.retry_max = Duration::from_millis(200);
        c
    }

    /// Starts the connector and waits for its first poll.
    async fn start_polled(&self) -> Running {
        let running = self.start();
        self.advance_and_report(&running, self.clock_now()).await;
        running
    }

    fn clock_now(&self) -> i64 {
        use wfm_connector::clock::Clock;
        self.clock.now_ms()
    }

    fn start(&self) -> Running {
        self.start_with(self.config())
    }

    fn start_with(&self, config: Config) -> Running {
        let shared = Shared::new(config, Arc::new(self.clock.clone()));
        let (trigger, shutdown) = wfm_connector::shutdown::channel();
        let run = daemon::run(shared.clone(), shutdown);
        let task = tokio::spawn(async move {
            run.await.unwrap();
        });
        Running {
            shared,
            trigger,
            task,
        }
    }

    /// Moves the clock, waits until the connector has polled up to it, then has the scheduler run.
    async fn advance_and_report(&self, running: &Running, to: i64) {
        self.clock.set(to);
        let health = running.shared.health.clone();
        let mut waited = Duration::ZERO;
        // Condition wait: the poller records the clock time of each completed poll.
        while health.last_poll_ms.load(Ordering::SeqCst) < to {
            assert!(
                waited < Duration::from_secs(30),
                "the connector never polled"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
            waited += Duration::from_millis(20);
        }
        running.shared.reports_due.notify_one();
    }

    async fn report(&self, kind: &str, start: i64, revision: u32) -> Value {
        let start_date = rfc3339_ms(start);
        let k = kind.to_string();
        let sd = start_date.clone();
        let ok = self
            .wfm
            .wait_until(
                move |r| {
                    r.reports.iter().any(|x| {
                        x.kind.as_str() == k && x.start_date == sd && x.revision as u32 >= revision
                    })
                },
                Duration::from_secs(30),
            )
            .await;
        assert!(ok, "no {kind} report for {start_date} revision {revision}");
        let r = self.wfm.recorded();
        r.reports
            .iter()
            .rev()
            .find(|x| x.kind.as_str() == kind && x.start_date == start_date)
            .map(|x| x.body.clone())
            .unwrap()
    }
}

impl Running {
    async fn stop(self) {
        self.trigger.trigger();
        self.task.await.unwrap();
    }
}

/// One interval [T0, T0+15m): alice handles a voice call, a chat is abandoned after 3 s.
fn script_interval(acd: &SimAcdHandle) {
    acd.add_worker("alice", "Offline").unwrap();
    acd.add_worker("bob", "Offline").unwrap();
    let s = 1_000;
    let push = |e| {
        acd.push(e).unwrap();
    };
    push(Script::worker_activity("alice", "Available", T0));
    push(Script::worker_activity("bob", "Available", T0));
    // WT1, voice, Support: entered at 60 s, offered 65 s, accepted 70 s (wait 10 s, in SL),
    // wrap-up 190 s (talk 120 s), completed 250 s (ACW 60 s, handle 180 s).
    push(Script::task(
        T::Created,
        "WT1",
        "Support",
        "voice",
        json!({}),
        T0 + 60 * s,
    ));
    push(Script::task_queue(
        Q::Entered,
        "WT1",
        "Support",
        "voice",
        T0 + 60 * s,
    ));
    push(Script::reservation(
        R::Created,
        "alice",
        "WT1",
        "WR1",
        "Support",
        "voice",
        T0 + 65 * s,
    ));
    push(Script::reservation(
        R::Accepted,
        "alice",
        "WT1",
        "WR1",
        "Support",
        "voice",
        T0 + 70 * s,
    ));
    push(Script::reservation(
        R::Wrapup,
        "alice",
        "WT1",
        "WR1",
        "Support",
        "voice",
        T0 + 190 * s,
    ));
    push(Script::task(
        T::Wrapup,
        "WT1",
        "Support",
        "voice",
        json!({}),
        T0 + 190 * s,
    ));
    push(Script::reservation(
        R::Completed,
        "alice",
        "WT1",
        "WR1",
        "Support",
        "voice",
        T0 + 250 * s,
    ));
    push(Script::task(
        T::Completed,
        "WT1",
        "Support",
        "voice",
        json!({}),
        T0 + 250 * s,
    ));
    // WT2, chat, Support: entered at 300 s, canceled at 303 s: abandoned after 3 s (short, in SL).
    push(Script::task(
        T::Created,
        "WT2",
        "Support",
        "chat",
        json!({}),
        T0 + 300 * s,
    ));
    push(Script::task_queue(
        Q::Entered,
        "WT2",
        "Support",
        "chat",
        T0 + 300 * s,
    ));
    push(Script::task(
        T::Canceled,
        "WT2",
        "Support",
        "chat",
        json!({}),
        T0 + 303 * s,
    ));
}

fn rows_by<'a>(body: &'a Value, section: &str, key: &str, value: &str) -> Vec<&'a Value> {
    body["reportData"][section]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r[key] == value)
        .collect()
}

#[tokio::test]
async fn scenario_reports_reach_wfm_with_the_expected_numbers() {
    let w = World::new().await;
    let running = w.start_polled().await;
    script_interval(&w.acd);
    // The interval closes at T0+15m; it is built after the 5 s settle delay.
    w.advance_and_report(&running, T0 + 15 * MIN + 6_000).await;

    let activity = w.report("agent-activity", T0, 1).await;
    assert_eq!(activity["startDate"], rfc3339_ms(T0));
    assert_eq!(activity["endDate"], rfc3339_ms(T0 + 15 * MIN));
    assert_eq!(activity["revision"], 1);
    // alice: Available 0–65 s, Reserved 65–70 s, OnContact 70–190 s, ACW 190–250 s; her
    // Available from 250 s and bob's Available are still open: not reported yet.
    let alice: Vec<(String, u64)> = activity["reportData"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["agentId"] == "alice")
        .map(|r| {
            (
                r["state"].as_str().unwrap().to_string(),
                r["durationSec"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        alice,
        vec![
            ("Available".to_string(), 65),
            ("Reserved".to_string(), 5),
            ("OnContact".to_string(), 120),
            ("AfterContactWork".to_string(), 60),
        ]
    );

    let queue = w.report("queue", T0, 1).await;
    let voice = rows_by(&queue, "queueReport", "mediaType", "voice");
    assert_eq!(voice.len(), 1);
    let v = voice[0];
    assert_eq!(v["queueName"], "Support");
    assert_eq!(
        (
            v["offered"].as_u64(),
            v["handled"].as_u64(),
            v["abandoned"].as_u64()
        ),
        (Some(1), Some(1), Some(0))
    );
    assert_eq!(v["answeredInSl"], 1);
    assert_eq!(v["totalWaitSec"], 10);
    assert_eq!(v["totalAnswerWaitSec"], 10);
    assert_eq!(v["totalTalkSec"], 120);
    assert_eq!(v["totalAcwSec"], 60);
    assert_eq!(v["totalHandleSec"], 180);
    let chat = rows_by(&queue, "queueReport", "mediaType", "chat");
    let c = chat[0];
    assert_eq!(
        (
            c["offered"].as_u64(),
            c["handled"].as_u64(),
            c["abandoned"].as_u64()
        ),
        (Some(1), Some(0), Some(1))
    );
    assert_eq!(c["shortAbandoned"], 1);
    assert_eq!(c["abandonedInSl"], 1);
    assert_eq!(c["totalWaitSec"], 3);
    let aq = rows_by(&queue, "agentQueueReport", "agentId", "alice");
    assert_eq!(aq.len(), 1);
    assert_eq!(aq[0]["handled"], 1);
    assert_eq!(aq[0]["totalHandleSec"], 180);
    // System performance: alice logged in all 900 s: Available 65 + 650 (250 s → 900 s) = 715,
    // Reserved 5, OnContact 120, ACW 60; bob Available 900.
    let perf = rows_by(&queue, "agentSystemPerformanceReport", "agentId", "alice");
    let p = perf[0];
    assert_eq!(p["loggedInSec"], 900);
    assert_eq!(p["availableSec"], 715);
    assert_eq!(p["reservedSec"], 5);
    assert_eq!(p["onContactSec"], 120);
    assert_eq!(p["acwSec"], 60);
    assert_eq!(p["reservationsOffered"], 1);
    assert_eq!(p["reservationsAccepted"], 1);
    let bob = rows_by(&queue, "agentSystemPerformanceReport", "agentId", "bob");
    assert_eq!(bob[0]["availableSec"], 900);
    running.stop().await;
}

#[tokio::test]
async fn interval_with_no_activity_sends_three_empty_arrays() {
    let w = World::new().await;
    let running = w.start_polled().await;
    w.acd.add_worker("zed", "Offline").unwrap();
    w.acd
        .push(Script::worker_activity("zed", "Offline", T0 - 1_000))
        .unwrap();
    w.advance_and_report(&running, T0 + 15 * MIN + 6_000).await;
    let queue = w.report("queue", T0, 1).await;
    assert_eq!(
        queue["reportData"],
        json!({"queueReport": [], "agentQueueReport": [], "agentSystemPerformanceReport": []})
    );
    let activity = w.report("agent-activity", T0, 1).await;
    assert_eq!(activity["reportData"], json!([]));
    running.stop().await;
}

#[tokio::test]
async fn late_event_reopens_interval_with_next_revision_and_unchanged_ones_are_not_resent() {
    let w = World::new().await;
    let running = w.start_polled().await;
    script_interval(&w.acd);
    w.advance_and_report(&running, T0 + 15 * MIN + 6_000).await;
    let first = w.report("queue", T0, 1).await;
    assert_eq!(rows_by(&first, "queueReport", "mediaType", "sms").len(), 0);

    // An SMS abandoned at 14:50 into the interval shows up late (after revision 1 was sent).
    let late = T0 + 15 * MIN - 10_000;
    w.acd
        .push(Script::task(
            T::Created,
            "WT9",
            "Support",
            "sms",
            json!({}),
            late - 8_000,
        ))
        .unwrap();
    w.acd
        .push(Script::task_queue(
            Q::Entered,
            "WT9",
            "Support",
            "sms",
            late - 8_000,
        ))
        .unwrap();
    w.acd
        .push(Script::task(
            T::Canceled,
            "WT9",
            "Support",
            "sms",
            json!({}),
            late,
        ))
        .unwrap();
    w.advance_and_report(&running, T0 + 15 * MIN + 20_000).await;

    let second = w.report("queue", T0, 2).await;
    assert_eq!(second["revision"], 2);
    let sms = rows_by(&second, "queueReport", "mediaType", "sms");
    // Waited 8 s: abandoned, not short (> 5 s), within the 20 s SL threshold.
    assert_eq!(
        (
            sms[0]["abandoned"].as_u64(),
            sms[0]["shortAbandoned"].as_u64()
        ),
        (Some(1), Some(0))
    );
    assert_eq!(sms[0]["totalWaitSec"], 8);
    // The activity report of that interval did not change: no revision 2 for it.
    let r = w.wfm.recorded();
    let activity_revisions: Vec<u32> = r
        .reports
        .iter()
        .filter(|x| x.kind.as_str() == "agent-activity" && x.start_date == rfc3339_ms(T0))
        .map(|x| x.revision as u32)
        .collect();
    assert_eq!(activity_revisions, vec![1]);
    running.stop().await;
}

#[tokio::test]
async fn connector_down_across_several_intervals_sends_every_missed_interval_on_restart() {
    let w = World::new().await;
    let running = w.start_polled().await;
    script_interval(&w.acd);
    w.advance_and_report(&running, T0 + 15 * MIN + 6_000).await;
    w.report("queue", T0, 1).await;
    running.stop().await;

    // Down for an hour; bob goes on break meanwhile (the ACD keeps the event).
    w.acd
        .push(Script::worker_activity("bob", "Break", T0 + 40 * MIN))
        .unwrap();
    let back = T0 + 75 * MIN + 6_000;
    let running = w.start();
    w.advance_and_report(&running, back).await;
    // Intervals 10:15, 10:30, 10:45, 11:00 were missed: every one arrives.
    for k in 1..=4 {
        w.report("queue", T0 + k * 15 * MIN, 1).await;
        w.report("agent-activity", T0 + k * 15 * MIN, 1).await;
    }
    // bob's Available segment (0 → 40 min) ended in the 10:30 interval.
    let a = w.report("agent-activity", T0 + 30 * MIN, 1).await;
    let bob: Vec<&Value> = a["reportData"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["agentId"] == "bob")
        .collect();
    assert_eq!(bob.len(), 1);
    assert_eq!(bob[0]["durationSec"], 40 * 60);
    running.stop().await;
}

#[tokio::test]
async fn reports_are_delivered_while_state_delivery_keeps_failing() {
    let w = World::new().await;
    let running = w.start_polled().await;
    script_interval(&w.acd);
    // Agent states hit a WFM outage; reports have their own loop and must not wait behind them.
    w.wfm
        .set_fault(
            wfm_connector::sim::wfm::Fault::outage()
                .on(wfm_connector::sim::wfm::FaultScope::AgentStates),
        )
        .await;
    w.advance_and_report(&running, T0 + 15 * MIN + 6_000).await;
    w.report("queue", T0, 1).await;
    w.report("agent-activity", T0, 1).await;
    assert!(
        w.wfm
            .recorded()
            .requests
            .iter()
            .any(|q| q.path == "/agent-states" && q.status == 503)
    );
    w.wfm.end_outage().await;
    running.stop().await;
}

#[tokio::test]
async fn replay_requeues_a_range_with_new_revisions() {
    let w = World::new().await;
    let running = w.start_polled().await;
    script_interval(&w.acd);
    w.advance_and_report(&running, T0 + 15 * MIN + 6_000).await;
    w.report("queue", T0, 1).await;
    // What `replay --from 10:00 --to 10:15 --reports` does, on the buffer the daemon is using.
    let cfg = w.config();
    let mut store = wfm_connector::store::Store::open(&cfg.buffer.path).unwrap();
    let settings =
        wfm_connector::report::QueueReportSettings::from_config(&cfg.reports, &cfg.queues);
    let mut seen = Vec::new();
    let n = wfm_connector::report::plan::replay_range(
        &mut store,
        &settings,
        15 * MIN,
        T0,
        T0 + 15 * MIN,
        T0 + 16 * MIN,
        |done, total| seen.push((done, total)),
    )
    .unwrap();
    assert_eq!(n, 2, "both reports of the one interval");
    assert_eq!(seen, vec![(1, 1)]);
    running.shared.reports_ready.notify_one();
    let q = w.report("queue", T0, 2).await;
    assert_eq!(q["revision"], 2);
    w.report("agent-activity", T0, 2).await;
    running.stop().await;
}

#[tokio::test]
async fn first_start_reads_history_from_initial_lookback() {
    let w = World::new().await;
    script_interval(&w.acd);
    // The connector is installed at 10:15:06 with a 20-minute look-back: 10:00–10:15 is covered.
    w.clock.set(T0 + 15 * MIN + 6_000);
    let mut cfg = w.config();
    cfg.acd.initial_lookback = Duration::from_secs(20 * 60);
    let running = w.start_with(cfg);
    w.advance_and_report(&running, T0 + 15 * MIN + 6_000).await;
    let q = w.report("queue", T0, 1).await;
    assert_eq!(
        rows_by(&q, "queueReport", "mediaType", "voice")[0]["handled"],
        1
    );
    running.stop().await;
}

/// Issue 6: a first start against a workspace whose agents last changed status a week ago.
/// Reconciliation puts alice's Offline at T0 − 7 d; observed history begins at the first poll's
/// StartDate (start 10:07 − 60 s overlap = 10:06). Nothing before 10:15 — the first whole
/// interval — is built or sent; her Offline segment is clipped at 10:06.
#[tokio::test]
async fn first_start_sends_nothing_before_observed_history_and_clips_older_segments() {
    let w = World::new().await;
    w.clock.set(T0 - 7 * 24 * 60 * MIN);
    w.acd.add_worker("alice", "Offline").unwrap();
    let start = T0 + 7 * MIN;
    w.clock.set(start);
    let running = w.start();
    w.advance_and_report(&running, start).await;
    w.acd
        .push(Script::worker_activity("alice", "Available", T0 + 20 * MIN))
        .unwrap();
    // 10:15:06: the 10:00 interval is settled but only partly observed: not sent.
    w.advance_and_report(&running, T0 + 15 * MIN + 6_000).await;
    w.advance_and_report(&running, T0 + 30 * MIN + 6_000).await;
    let activity = w.report("agent-activity", T0 + 15 * MIN, 1).await;
    w.report("queue", T0 + 15 * MIN, 1).await;
    let alice: Vec<(&str, &str, &str)> = activity["reportData"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["agentId"] == "alice")
        .map(|r| {
            (
                r["state"].as_str().unwrap(),
                r["start"].as_str().unwrap(),
                r["end"].as_str().unwrap(),
            )
        })
        .collect();
    let (observed, twenty) = (rfc3339_ms(T0 + 6 * MIN), rfc3339_ms(T0 + 20 * MIN));
    assert_eq!(
        alice,
        vec![("LoggedOut", observed.as_str(), twenty.as_str())],
        "clipped at the observation start, not a week long"
    );
    let r = w.wfm.recorded();
    let starts: std::collections::BTreeSet<&str> =
        r.reports.iter().map(|x| x.start_date.as_str()).collect();
    let first = rfc3339_ms(T0 + 15 * MIN);
    assert_eq!(
        starts.into_iter().collect::<Vec<_>>(),
        vec![first.as_str()],
        "only the first whole interval after the start"
    );
    running.stop().await;

    // A restart an hour later: the catch-up never reaches back before observed history either.
    w.clock.set(T0 + 90 * MIN);
    let running = w.start();
    w.advance_and_report(&running, T0 + 90 * MIN + 6_000).await;
    w.report("agent-activity", T0 + 75 * MIN, 1).await;
    let r = w.wfm.recorded();
    let earliest = r.reports.iter().map(|x| x.start_date.clone()).min();
    assert_eq!(earliest, Some(first));
    running.stop().await;
}

/// Issue 6: the first report of a first start goes out when its interval is settled and polled,
/// not at the scheduler's next tick: the poller wakes the scheduler when it crosses a boundary.
#[tokio::test]
async fn the_first_report_is_built_as_soon_as_its_interval_is_polled() {
    let w = World::new().await;
    let running = w.start_polled().await;
    script_interval(&w.acd);
    // Move the clock past the settle delay, and only wait for the poll: no explicit scheduler
    // poke (`advance_and_report` pokes it; from here on this test must not).
    w.clock.set(T0 + 15 * MIN + 6_000);
    let health = running.shared.health.clone();
    while health.last_poll_ms.load(Ordering::SeqCst) < T0 + 15 * MIN + 6_000 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    w.report("queue", T0, 1).await;
    running.stop().await;
}
