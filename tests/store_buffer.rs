//! The buffer file itself: versioned migrations, retention pruning, and errors that say what and
//! where instead of crashing.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test: a failed unwrap is a failed test

mod common;

use common::{activity, ctx};
use wfm_connector::store::{Store, StoreError};

#[test]
fn migrations_bring_a_new_file_to_the_current_version_and_reopening_keeps_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("buffer.db");
    let mut s = Store::open(&path).unwrap();
    let v = s.schema_version().unwrap();
    assert!(v >= 1);
    s.ingest(
        &[activity("EV1", 1, 1_000, "Available")],
        Some(2_000),
        &ctx(),
        0,
    )
    .unwrap();
    drop(s);
    let s = Store::open(&path).unwrap();
    assert_eq!(s.schema_version().unwrap(), v);
    assert_eq!(s.cursor().unwrap(), Some(2_000));
    assert_eq!(s.status(0).unwrap().events, 1);
}

#[test]
fn a_buffer_from_a_newer_connector_is_refused_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("buffer.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("PRAGMA user_version = 999").unwrap();
    }
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::TooNew { found: 999, .. }));
    assert!(err.to_string().contains("upgrade the connector"), "{err}");
}

#[test]
fn prune_drops_what_is_past_retention_and_keeps_what_is_pending() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(&dir.path().join("buffer.db")).unwrap();
    s.ingest(
        &[
            activity("EV1", 1, 1_000, "Available"),
            activity("EV2", 1, 2_000, "Break"),
            activity("EV3", 1, 50_000, "Available"),
        ],
        None,
        &ctx(),
        0,
    )
    .unwrap();
    // Deliver the first two states only.
    let batch = s.claim_state_batch(2).unwrap().unwrap();
    s.ack_state_batch(&batch, &[], 3_000).unwrap();
    let n = s.prune(10_000).unwrap();
    assert!(n > 0);
    let st = s.status(0).unwrap();
    assert_eq!(st.events, 1, "raw events before the horizon are gone");
    assert_eq!(st.pending_states, 1, "undelivered states are never pruned");
    // The open segment and the agent's current state survive.
    assert_eq!(s.current_states().unwrap().len(), 1);
}

#[test]
fn a_buffer_path_that_cannot_be_created_is_an_io_error_naming_the_file() {
    let err = Store::open(std::path::Path::new("/proc/no-such-dir/buffer.db")).unwrap_err();
    assert!(err.is_io(), "{err:?}");
    assert!(
        err.to_string().contains("/proc/no-such-dir/buffer.db"),
        "{err}"
    );
}
