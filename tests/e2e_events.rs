//! TaskRouter's real event types and keys end to end (issue 6 item 2): `reservation.failed` and the
//! reported task dates (`task_age`, `task_date_created`, `task_queue_entered_date`) from the
//! scripted TaskRouter simulator over loopback HTTP, through the connector (the real binary for
//! real time; in process on a manual clock for the 15-minute queue report) to the WFM simulator.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: a failed unwrap is a failed test

mod common;

use common::e2e::{Env, now_ms};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use wfm_connector::clock::{Clock, ManualClock, SharedClock, parse_rfc3339_ms, rfc3339_ms};
use wfm_connector::config::Config;
use wfm_connector::daemon::{self, Shared};
use wfm_connector::model::AgentState;
use wfm_connector::sim::acd::{
    self, ReservationEventKind as R, Script, SimAcdHandle, SimAcdOptions, TaskEventKind as T,
};
use wfm_connector::sim::wfm::{self, SimWfmHandle, SimWfmOptions};

// ---------------------------------------------------------------- real time, the real binary

#[tokio::test]
async fn after_a_failed_reservation_wfm_gets_the_agent_back_at_available() {
    let env = Env::start().await;
    env.acd.add_worker("carol", "Available").unwrap();
    let t = now_ms() - 3_000;
    let r = |kind, at| Script::reservation(kind, "carol", "WT7", "WR7", "Support", "voice", at);
    let offered = env.acd.push(r(R::Created, t)).unwrap();
    let failed = env.acd.push(r(R::Failed, t + 1_000)).unwrap();
    let conn = env.spawn();
    env.wait_wfm("carol's failed offer", |rec| {
        rec.states.iter().any(|s| s.event_id == failed)
    })
    .await;
    let rec = env.wfm.recorded();
    let state = |id: &str| {
        let s = rec.states.iter().find(|s| s.event_id == id).unwrap();
        (s.state, s.media_type.clone(), s.state_start.clone())
    };
    assert_eq!(
        state(&offered),
        (AgentState::Reserved, Some("voice".into()), rfc3339_ms(t))
    );
    // Not stuck at Reserved: back to the Activity, at the failure's time.
    assert_eq!(
        state(&failed),
        (AgentState::Available, None, rfc3339_ms(t + 1_000))
    );
    assert_eq!(rec.out_of_order_states, 0);
    assert_eq!(conn.terminate(), Some(0));
}

// ---------------------------------------------------------------- what the simulator serves

#[tokio::test]
async fn task_and_reservation_events_carry_the_task_dates_as_twilio_writes_them() {
    let clock = ManualClock::new(T0 + 10 * MIN);
    let sim = acd::start(SimAcdOptions::scripted(Arc::new(clock.clone())))
        .await
        .unwrap();
    let s = 1_000;
    // WT5 has waited since T0 + 0.250 s (before these events); it moves to Sales at 100 s.
    sim.push(
        Script::reservation(
            R::Created,
            "dan",
            "WT5",
            "WR5",
            "Support",
            "chat",
            T0 + 30 * s,
        )
        .task_waiting_since(T0 + 250),
    )
    .unwrap();
    sim.push(Script::reservation(
        R::Failed,
        "dan",
        "WT5",
        "WR5",
        "Support",
        "chat",
        T0 + 32 * s,
    ))
    .unwrap();
    sim.push(Script::task_queue(
        acd::TaskQueueEventKind::Moved,
        "WT5",
        "Sales",
        "chat",
        T0 + 100 * s,
    ))
    .unwrap();
    sim.push(Script::task(
        T::Canceled,
        "WT5",
        "Sales",
        "chat",
        json!({}),
        T0 + 130 * s,
    ))
    .unwrap();
    let url = format!(
        "{}?StartDate={}&EndDate={}&PageSize=1000",
        sim.events_url(),
        rfc3339_ms(T0),
        rfc3339_ms(T0 + 10 * MIN)
    );
    let page: Value = reqwest::Client::new()
        .get(&url)
        .basic_auth(sim.username(), Some(sim.password()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut events = page["events"].as_array().unwrap().clone();
    events.reverse(); // TaskRouter serves newest first
    let got: Vec<(String, String, String, String)> = events
        .iter()
        .map(|e| {
            let d = &e["event_data"];
            let text = |k: &str| {
                d[k].as_str()
                    .unwrap_or_else(|| panic!("{k} in {d}"))
                    .to_owned()
            };
            (
                e["event_type"].as_str().unwrap().to_owned(),
                text("task_age"),
                text("task_date_created"),
                text("task_queue_entered_date"),
            )
        })
        .collect();
    // What rfc3339_ms writes is what Twilio writes: `…T10:00:00.250Z`.
    let created = rfc3339_ms(T0 + 250);
    let moved = rfc3339_ms(T0 + 100 * s);
    let row = |kind: &str, age: &str, entered: &str| {
        (
            kind.to_string(),
            age.to_string(),
            created.clone(),
            entered.to_string(),
        )
    };
    assert_eq!(
        got,
        vec![
            row("reservation.created", "29", &created),
            row("reservation.failed", "31", &created),
            row("task-queue.moved", "99", &moved),
            row("task.canceled", "129", &moved),
        ]
    );
    assert!(created.ends_with("T10:00:00.250Z"), "{created}");
    assert_eq!(parse_rfc3339_ms(&created), Some(T0 + 250));
    sim.shutdown().await;
}

// ---------------------------------------------------------------- the queue report, in process

const MIN: i64 = 60_000;
/// An interval boundary: 2026-11-25T10:00:00Z.
const T0: i64 = 1_795_600_800_000;

struct World {
    dir: tempfile::TempDir,
    clock: ManualClock,
    acd: SimAcdHandle,
    wfm: SimWfmHandle,
}

impl World {
    /// Both simulators on a manual clock just before `T0` (the connector's first poll reads from
    /// `now − overlap`, so observed history begins at `T0 − 61 s`).
    async fn new() -> World {
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

    /// Moves the clock, waits until the connector has polled up to it, then has the scheduler run.
    async fn advance_and_report(&self, shared: &Shared, to: i64) {
        self.clock.set(to);
        let mut waited = Duration::ZERO;
        // Condition wait: the poller records the clock time of each completed poll.
        while shared.health.last_poll_ms.load(Ordering::SeqCst) < to {
            assert!(
                waited < Duration::from_secs(30),
                "the connector never polled"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
            waited += Duration::from_millis(20);
        }
        shared.reports_due.notify_one();
    }

    /// The latest queue report of the interval starting at `start`.
    async fn queue_report(&self, start: i64) -> Value {
        let start_date = rfc3339_ms(start);
        let sd = start_date.clone();
        let ok = self
            .wfm
            .wait_until(
                move |r| {
                    r.reports
                        .iter()
                        .any(|x| x.kind.as_str() == "queue" && x.start_date == sd)
                },
                Duration::from_secs(30),
            )
            .await;
        assert!(ok, "no queue report for {start_date}");
        let r = self.wfm.recorded();
        r.reports
            .iter()
            .rev()
            .find(|x| x.kind.as_str() == "queue" && x.start_date == start_date)
            .map(|x| x.body.clone())
            .unwrap()
    }
}

#[tokio::test]
async fn a_task_waiting_before_observed_history_gets_its_whole_wait_in_the_queue_report() {
    let w = World::new().await;
    let config = w.config();
    let shared = Shared::new(config, Arc::new(w.clock.clone()));
    let (trigger, shutdown) = wfm_connector::shutdown::channel();
    let run = tokio::spawn(daemon::run(shared.clone(), shutdown));
    w.advance_and_report(&shared, w.clock.now_ms()).await;

    // WT9 (voice, Support) has waited since T0 − 10 min, long before observed history
    // (T0 − 61 s): none of its earlier events will ever be read. The first one the connector
    // sees is its offer to alice at T0 + 30 s; accepted at T0 + 40 s, wrap-up T0 + 100 s,
    // completed T0 + 160 s.
    // Wait = (T0 + 40 s) − (T0 − 600 s) = 640 s: not in SL (> 20 s). Talk 60 s, ACW 60 s.
    // Counted from the first event seen, it would have been 10 s and in SL.
    let s = 1_000;
    w.acd.add_worker("alice", "Available").unwrap();
    let r = |kind, at| Script::reservation(kind, "alice", "WT9", "WR9", "Support", "voice", at);
    w.acd
        .push(r(R::Created, T0 + 30 * s).task_waiting_since(T0 - 10 * MIN))
        .unwrap();
    w.acd.push(r(R::Accepted, T0 + 40 * s)).unwrap();
    w.acd.push(r(R::Wrapup, T0 + 100 * s)).unwrap();
    w.acd.push(r(R::Completed, T0 + 160 * s)).unwrap();
    w.acd
        .push(Script::task(
            T::Completed,
            "WT9",
            "Support",
            "voice",
            json!({}),
            T0 + 160 * s,
        ))
        .unwrap();

    w.advance_and_report(&shared, T0 + 15 * MIN + 6 * s).await;
    let body = w.queue_report(T0).await;
    let rows = body["reportData"]["queueReport"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{body}");
    let row = &rows[0];
    assert_eq!(row["queueName"], "Support");
    assert_eq!(row["mediaType"], "voice");
    assert_eq!(row["handled"], 1);
    assert_eq!(row["totalWaitSec"], 640);
    assert_eq!(row["totalAnswerWaitSec"], 640);
    assert_eq!(row["maxWaitSec"], 640);
    assert_eq!(row["answeredInSl"], 0);
    assert_eq!(row["totalTalkSec"], 60);
    assert_eq!(row["totalAcwSec"], 60);

    trigger.trigger();
    run.await.unwrap().unwrap();
}
