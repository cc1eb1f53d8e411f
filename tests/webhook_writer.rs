//! The push path's writer through the library, on a real SQLite file (issue 11): nothing is
//! committed before a poll has published the derivation context; then requests are committed
//! through `Store::ingest`, deduplicated by sid across requests, without moving the cursor,
//! counted as pushed first, and the state pusher is woken.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: a failed unwrap is a failed test

mod common;

use common::activity;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use wfm_connector::clock::ManualClock;
use wfm_connector::config::Config;
use wfm_connector::daemon::{self, Shared, blocking};
use wfm_connector::model::AcdEvent;
use wfm_connector::webhook::ingest::{self, Job, META_LAST_PUSH};
use wfm_connector::webhook::outcome::{Outcome, WarnThrottle};

const T0: i64 = 1_795_000_000_000;

async fn send(jobs: &mpsc::Sender<Job>, events: Vec<AcdEvent>) -> oneshot::Receiver<Outcome> {
    let (done, answer) = oneshot::channel();
    jobs.send(Job { events, done }).await.unwrap();
    answer
}

#[tokio::test]
async fn pushed_events_are_committed_once_by_sid_without_moving_the_cursor() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config::for_tests(
        "http://127.0.0.1:1",
        "http://127.0.0.1:2",
        &dir.path().join("b.db"),
    );
    let shared = Shared::new(config, Arc::new(ManualClock::new(T0)));
    let store = daemon::open_store(&shared.config).unwrap();
    blocking(&store, |s| s.set_cursor(T0 - 60_000))
        .await
        .unwrap();
    let (jobs, queue) = mpsc::channel(8);
    let writer = tokio::spawn(ingest::run(
        shared.clone(),
        store.clone(),
        queue,
        Arc::new(WarnThrottle::default()),
    ));

    let early = send(&jobs, vec![activity("EV0", 1, T0 - 2_000, "Break")]).await;
    assert_eq!(
        early.await.unwrap(),
        Outcome::NotReady,
        "no poll has completed yet"
    );

    shared.publish_ctx(Arc::new(common::ctx()));
    let woken = shared.states_ready.clone();
    let wake = tokio::spawn(async move { woken.notified().await });
    let a = send(
        &jobs,
        vec![
            activity("EV2", 1, T0 - 1_000, "Available"),
            activity("EV1", 1, T0 - 1_500, "Break"),
        ],
    )
    .await;
    let b = send(
        &jobs,
        vec![
            activity("EV2", 1, T0 - 1_000, "Available"),
            activity("EV3", 2, T0 - 500, "Break"),
        ],
    )
    .await;
    assert_eq!(a.await.unwrap(), Outcome::Accepted);
    assert_eq!(b.await.unwrap(), Outcome::Accepted);
    tokio::time::timeout(Duration::from_secs(10), wake)
        .await
        .expect("the state pusher was woken")
        .unwrap();

    let (status, cursor, last) = blocking(&store, |s| {
        Ok((s.status(0)?, s.cursor()?, s.meta(META_LAST_PUSH)?))
    })
    .await
    .unwrap();
    assert_eq!(status.events, 3, "EV2 once");
    assert_eq!(
        status.pending_states, 3,
        "a state per change, agent 1 in order"
    );
    assert_eq!(cursor, Some(T0 - 60_000), "the cursor did not move");
    assert_eq!(last, Some(T0.to_string()));
    assert_eq!(shared.metrics.events_pushed_first.get(), 3);
    assert!(shared.live_ctx().is_some());
    drop(jobs);
    writer.await.unwrap();
}
