//! Ingest throughput: ACD events parsed, derived and committed per second (SPEC §11), against a
//! reference run in the same invocation: the same rows inserted raw in one transaction.
//!
//! Run: `cargo bench --bench ingest` (prints events/s for both and the ratio).

use std::time::Instant;
use wfm_connector::acd::dto::parse_events_page;
use wfm_connector::config::{AgentIdMode, MediaConfig};
use wfm_connector::derive::agent::DeriveContext;
use wfm_connector::store::Store;

const AGENTS: usize = 2_000;
const EVENTS: usize = 200_000;
const PAGE: usize = 1_000;
/// Pages per window transaction: a full window of `MAX_WINDOW_EVENTS`.
const WINDOW_PAGES: usize = wfm_connector::daemon::window::MAX_WINDOW_EVENTS / PAGE;

/// A Twilio-shaped Events page body: agents cycling Available → offered → on call → ACW → done.
fn page_body(start: usize) -> Vec<u8> {
    let mut events = Vec::with_capacity(PAGE);
    for i in start..start + PAGE {
        let agent = i % AGENTS;
        let step = (i / AGENTS) % 5;
        let task = i / AGENTS / 5;
        let (kind, extra) = match step {
            0 => (
                "worker.activity.update",
                serde_json::json!({"worker_activity_sid":"WAavail","worker_activity_name":"Available"}),
            ),
            1 => ("reservation.created", serde_json::json!({})),
            2 => ("reservation.accepted", serde_json::json!({})),
            3 => ("reservation.wrapup", serde_json::json!({})),
            _ => ("reservation.completed", serde_json::json!({})),
        };
        let mut data = serde_json::json!({
            "worker_sid": format!("WK{agent:032}"),
            "worker_name": format!("agent{agent:05}"),
            "worker_attributes": "{}",
            "reservation_sid": format!("WR{agent:016}{task:016}"),
            "task_sid": format!("WT{agent:016}{task:016}"),
            "task_queue_sid": "WQ00000000000000000000000000000001",
            "task_queue_name": "Support",
            "task_channel_unique_name": "voice",
            "task_attributes": "{}",
            "task_age": "3"
        });
        if let (Some(d), Some(e)) = (data.as_object_mut(), extra.as_object()) {
            d.extend(e.clone());
        }
        events.push(serde_json::json!({
            "sid": format!("EV{i:032}"),
            "event_type": kind,
            "event_date_ms": 1_795_000_000_000i64 + i as i64 * 10,
            "event_date": "2026-11-20T10:00:00Z",
            "resource_sid": format!("WK{agent:032}"),
            "resource_type": "worker",
            "event_data": data
        }));
    }
    serde_json::to_vec(&serde_json::json!({"events": events, "meta": {"next_page_url": null}}))
        .unwrap_or_default()
}

fn main() {
    let bodies: Vec<Vec<u8>> = (0..EVENTS / PAGE).map(|p| page_body(p * PAGE)).collect();
    let ctx = DeriveContext::new(
        AgentIdMode::FriendlyName,
        MediaConfig::default(),
        Default::default(),
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = Store::open(&dir.path().join("bench.db")).expect("open");
    let t = Instant::now();
    // As the poller does: a window's pages are parsed, then ingested oldest first in one
    // transaction (windows hold up to `daemon::window::MAX_WINDOW_EVENTS` events).
    for window in bodies.chunks(WINDOW_PAGES) {
        let mut events = Vec::with_capacity(WINDOW_PAGES * PAGE);
        for body in window {
            events.extend(parse_events_page(body).expect("parse").events);
        }
        events.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
        store.ingest(&events, None, &ctx, 0).expect("ingest");
    }
    let ours = EVENTS as f64 / t.elapsed().as_secs_f64();
    // What the buffer costs on disk per event (everything derived included), WAL checkpointed.
    store.checkpoint_truncate().expect("checkpoint");
    let on_disk: u64 = ["bench.db", "bench.db-wal"]
        .iter()
        .filter_map(|f| std::fs::metadata(dir.path().join(f)).ok())
        .map(|m| m.len())
        .sum();
    let per_event = on_disk as f64 / EVENTS as f64;
    if std::env::var_os("WFM_BENCH_KEEP").is_some() {
        // Keep the buffer to look at (e.g. `SELECT name, SUM(pgsize) FROM dbstat GROUP BY name`).
        println!("kept: {}", dir.path().join("bench.db").display());
        std::mem::forget(dir);
        return;
    }

    // Reference: the same raw rows, one transaction, no derivation (what `sqlite3` would do).
    let conn = rusqlite::Connection::open(dir.path().join("ref.db")).expect("open ref");
    conn.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
         CREATE TABLE e (sid TEXT PRIMARY KEY, event_type TEXT, event_ms INTEGER, data TEXT);",
    )
    .expect("schema");
    let rows: Vec<(String, String, i64, String)> = bodies
        .iter()
        .flat_map(|b| parse_events_page(b).expect("parse").events)
        .map(|e| {
            (
                e.sid,
                e.event_type,
                e.event_ms,
                serde_json::to_string(&e.data).unwrap_or_default(),
            )
        })
        .collect();
    let t = Instant::now();
    conn.execute_batch("BEGIN").expect("begin");
    {
        let mut st = conn
            .prepare("INSERT INTO e VALUES (?1, ?2, ?3, ?4)")
            .expect("prepare");
        for r in &rows {
            st.execute(rusqlite::params![r.0, r.1, r.2, r.3])
                .expect("insert");
        }
    }
    conn.execute_batch("COMMIT").expect("commit");
    let reference = EVENTS as f64 / t.elapsed().as_secs_f64();
    println!(
        "ingest: {ours:.0} events/s (parse + derive + commit, windows of {WINDOW_PAGES} pages of {PAGE}, {AGENTS} agents)"
    );
    println!("reference: {reference:.0} rows/s (raw insert, one transaction)");
    println!("ratio: {:.1} %", 100.0 * ours / reference);
    println!(
        "disk: {per_event:.0} bytes per event in the buffer ({:.2} GB for a day of 2 million events)",
        per_event * 2e6 / 1e9
    );
}
