//! The real-time outbox after a long WFM outage (issue 8, SPEC §11 backlog): a snapshot queued
//! withdraws the unsent snapshots it supersedes (the states between them all stay, in order),
//! a delivered batch marks exactly its own rows sent, and the state pusher's backoff never
//! leaves more than `STATES_RETRY_MAX` between two tries, whatever the outage's length
//! (paused tokio time).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: a failed unwrap is a failed test

mod common;

use common::{activity, ctx};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use wfm_connector::clock::SystemClock;
use wfm_connector::config::Config;
use wfm_connector::daemon::{Shared, drain, pusher};
use wfm_connector::store::Store;
use wfm_connector::store::outbox::{StateBatch, StateBatchKind};
use wfm_connector::wfm::WfmError;

fn open() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("buffer.db")).unwrap();
    (dir, store)
}

/// Claims and acknowledges everything pending, one batch at a time: the ids in sending order,
/// a snapshot as `SNAP…` (its id), a batch of states as its event ids.
fn drain_all(store: &mut Store) -> Vec<(StateBatchKind, Vec<String>)> {
    let mut sent = Vec::new();
    while let Some(batch) = store.claim_state_batch(500).unwrap() {
        store.ack_state_batch(&batch, &[], 1).unwrap();
        sent.push((batch.kind.clone(), batch.ids.clone()));
    }
    sent
}

#[test]
fn a_snapshot_queued_behind_an_unsent_one_withdraws_it_and_every_state_still_goes_in_order() {
    let (_d, mut store) = open();
    store
        .ingest(&[activity("EV1", 1, 1_000, "Available")], None, &ctx(), 0)
        .unwrap();
    assert!(store.queue_snapshot("SNAP1", 1_500).unwrap());
    store
        .ingest(&[activity("EV2", 1, 2_000, "Break")], None, &ctx(), 0)
        .unwrap();
    assert!(store.queue_snapshot("SNAP2", 2_500).unwrap());
    store
        .ingest(&[activity("EV3", 2, 3_000, "Available")], None, &ctx(), 0)
        .unwrap();
    assert!(store.queue_snapshot("SNAP3", 3_500).unwrap());
    // Three states and the last snapshot wait; the first two snapshots are gone, not sent.
    assert_eq!(store.status(0).unwrap().pending_states, 4);
    let sent = drain_all(&mut store);
    assert_eq!(
        sent,
        vec![
            (
                StateBatchKind::States,
                vec!["EV1".into(), "EV2".into(), "EV3".into()]
            ),
            (StateBatchKind::Snapshot, vec!["SNAP3".into()]),
        ]
    );
    // The last snapshot carries every agent's present.
    assert_eq!(store.status(0).unwrap().pending_states, 0);
}

#[test]
fn a_snapshot_already_sent_is_never_withdrawn_and_a_repeated_id_queues_nothing() {
    let (_d, mut store) = open();
    store
        .ingest(&[activity("EV1", 1, 1_000, "Available")], None, &ctx(), 0)
        .unwrap();
    assert!(store.queue_snapshot("SNAP1", 1_500).unwrap());
    let sent = drain_all(&mut store);
    assert_eq!(sent.len(), 2, "the state, then SNAP1: {sent:?}");
    // SNAP1 was delivered: a later snapshot leaves its row (marked sent) alone.
    assert!(store.queue_snapshot("SNAP2", 2_500).unwrap());
    assert!(!store.queue_snapshot("SNAP2", 2_600).unwrap());
    let sent = drain_all(&mut store);
    assert_eq!(sent, vec![(StateBatchKind::Snapshot, vec!["SNAP2".into()])]);
    // Pruning takes both delivered snapshots: SNAP1 was kept until then.
    assert!(store.prune(i64::MAX).unwrap() >= 2);
}

#[test]
fn a_delivered_batch_marks_its_own_rows_sent_and_no_other() {
    let (_d, mut store) = open();
    store
        .ingest(
            &[
                activity("EV1", 1, 1_000, "Available"),
                activity("EV2", 2, 2_000, "Break"),
                activity("EV3", 3, 3_000, "Available"),
            ],
            None,
            &ctx(),
            0,
        )
        .unwrap();
    let all = store.claim_state_batch(10).unwrap().unwrap();
    assert_eq!(all.ids, ["EV1", "EV2", "EV3"]);
    // A batch of the first and the last row only (the middle one still pending between them):
    // the range update would mark three rows, so each row is marked by its seq instead.
    let pick = |i: usize| (all.seqs[i], all.ids[i].clone(), all.records[i].clone());
    let (a, c) = (pick(0), pick(2));
    let sparse = StateBatch {
        kind: StateBatchKind::States,
        seqs: vec![a.0, c.0],
        ids: vec![a.1, c.1],
        records: vec![a.2, c.2],
        items: 2,
    };
    store
        .ack_state_batch(&sparse, &[(1, "HTTP 400".into())], 5)
        .unwrap();
    let status = store.status(10).unwrap();
    assert_eq!(status.pending_states, 1);
    assert_eq!(status.dead_letter_count, 1);
    assert_eq!(status.dead_letters[0].item_id, "EV3");
    let left = store.claim_state_batch(10).unwrap().unwrap();
    assert_eq!(left.ids, ["EV2"]);
    // The drain's acknowledgement: the batch and `last_push_ms` in one commit.
    store.record_state_delivery(&left, &[], 7, true).unwrap();
    let status = store.status(0).unwrap();
    assert_eq!(status.pending_states, 0);
    assert_eq!(status.last_push_ms, Some(7));
}

fn shared_with(retry_max: Duration) -> Shared {
    let dir = std::env::temp_dir().join("unused-buffer.db");
    let mut config = Config::for_tests("http://127.0.0.1:9", "http://127.0.0.1:9", &dir);
    config.wfm.retry_max = retry_max;
    Shared::new(config, Arc::new(SystemClock))
}

/// An outage of `tries` failed tries, then WFM answers: the virtual instants of every try, with
/// WFM's `Retry-After` on the try numbered `retry_after_on` (if any).
async fn tries_through_an_outage(
    policy: wfm_connector::retry::RetryPolicy,
    tries: usize,
    retry_after_on: Option<(usize, Duration)>,
) -> Vec<tokio::time::Instant> {
    let calls = AtomicUsize::new(0);
    let at = std::sync::Mutex::new(Vec::new());
    let (_trigger, shutdown) = wfm_connector::shutdown::channel();
    let result: Result<(), WfmError> = policy
        .run_until(
            || async {
                at.lock().unwrap().push(tokio::time::Instant::now());
                let n = calls.fetch_add(1, Ordering::SeqCst);
                if n < tries {
                    Err(WfmError::Unavailable {
                        status: 503,
                        retry_after: retry_after_on.and_then(|(k, d)| (k == n).then_some(d)),
                    })
                } else {
                    Ok(())
                }
            },
            |_, _| {},
            shutdown,
        )
        .await;
    assert!(result.is_ok(), "never gives up");
    at.into_inner().unwrap()
}

#[tokio::test(start_paused = true)]
async fn after_an_outage_of_any_length_the_state_pusher_tries_again_within_its_cap() {
    // `[wfm] retry_max` at its default (60 s): reports keep it, agent states are capped lower.
    let shared = shared_with(Duration::from_secs(60));
    assert_eq!(drain::delivery_policy(&shared).max, Duration::from_secs(60));
    let policy = pusher::states_retry_policy(&shared);
    assert_eq!(policy.max, pusher::STATES_RETRY_MAX);
    assert_eq!(policy.initial, shared.config.wfm.retry_initial);
    assert_eq!(policy.max_tries, None, "never gives up");
    // A day's outage is thousands of tries at the cap; 300 (over an hour at the cap) shows it.
    let at = tries_through_an_outage(policy, 300, None).await;
    assert_eq!(at.len(), 301);
    let gaps: Vec<Duration> = at.windows(2).map(|w| w[1] - w[0]).collect();
    // Full jitter: every wait below the backoff of its try, the backoff below the cap. So
    // WFM, back at any moment, gets the next try within STATES_RETRY_MAX.
    // (Paused time still rounds a sleep up to the millisecond: hence `<=`.)
    for (k, (gap, backoff)) in gaps.iter().zip(policy.delays()).enumerate() {
        assert!(*gap <= backoff, "try {k}: {gap:?} > {backoff:?}");
        assert!(*gap <= pusher::STATES_RETRY_MAX, "try {k}: {gap:?}");
    }
    // Still a backoff: the late waits, drawn from [0, 15 s), add up to far more than the first.
    let late: Duration = gaps[200..].iter().sum();
    let early: Duration = gaps[..5].iter().sum();
    assert!(late > early * 10, "late {late:?}, early {early:?}");
}

#[tokio::test(start_paused = true)]
async fn the_state_pusher_still_honours_retry_after_and_a_lower_retry_max() {
    let shared = shared_with(Duration::from_secs(60));
    let policy = pusher::states_retry_policy(&shared);
    // WFM says "come back in 2 minutes" on the fourth try: the pusher waits that long, above its cap.
    let at = tries_through_an_outage(policy, 6, Some((3, Duration::from_secs(120)))).await;
    let waited = at[4] - at[3];
    assert!(
        waited >= Duration::from_secs(120) && waited < Duration::from_secs(121),
        "{waited:?}"
    );
    // An operator's retry_max below the cap wins.
    let low = pusher::states_retry_policy(&shared_with(Duration::from_secs(2)));
    assert_eq!(low.max, Duration::from_secs(2));
    let at = tries_through_an_outage(low, 50, None).await;
    assert!(at.windows(2).all(|w| w[1] - w[0] <= Duration::from_secs(2)));
}
