//! Property tests of the segment rules on plain data (compiled only under `#[cfg(test)]`, from
//! `segments.rs`): no SQLite. `Log` below applies the segment operations to a list the way the
//! store applies them to its table, and re-derives after a late event the way the store does
//! (back to the last checkpoint before the event, then every later event again).

use super::*;
use crate::config::{AgentIdMode, MediaConfig};
use crate::model::EventData;
use proptest::prelude::*;

fn ctx() -> DeriveContext {
    let mut c = DeriveContext::new(
        AgentIdMode::FriendlyName,
        MediaConfig::default(),
        Default::default(),
    );
    c.activity_available.insert("WAavail".into(), true);
    c.activity_available.insert("WAbreak".into(), false);
    c
}

/// Event `i` of a small vocabulary at time `ms` (sids unique per time and kind).
fn event(kind: u8, ms: i64) -> AcdEvent {
    let (event_type, extra) = match kind % 6 {
        0 => (
            "worker.activity.update",
            serde_json::json!({"worker_activity_sid":"WAavail","worker_activity_name":"Available"}),
        ),
        1 => (
            "worker.activity.update",
            serde_json::json!({"worker_activity_sid":"WAbreak","worker_activity_name":"Break"}),
        ),
        2 => ("reservation.created", serde_json::json!({})),
        3 => ("reservation.accepted", serde_json::json!({})),
        4 => ("reservation.wrapup", serde_json::json!({})),
        _ => ("reservation.completed", serde_json::json!({})),
    };
    let mut data = serde_json::json!({
        "worker_sid": "WK1", "worker_name": "alice", "reservation_sid": "WR1",
        "task_sid": "WT1", "task_channel_unique_name": "voice", "task_attributes": "{}"
    });
    if let (Some(d), Some(e)) = (data.as_object_mut(), extra.as_object()) {
        d.extend(e.clone());
    }
    AcdEvent {
        sid: format!("EV{ms:08}{kind}"),
        event_type: event_type.into(),
        event_ms: ms,
        resource_sid: "WK1".into(),
        resource_type: "worker".into(),
        data: EventData::from(data.as_object().cloned().unwrap_or_default()),
    }
}

/// A segment as the table holds it.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    start_ms: Millis,
    event_sid: String,
    eff: EffectiveState,
    end_ms: Option<Millis>,
    checkpoint: WorkerDerivation,
}

/// The segments table and the event log of one worker, kept as the store keeps them.
#[derive(Default)]
struct Log {
    events: Vec<AcdEvent>,
    rows: Vec<Row>,
    state: WorkerState,
    rta: Vec<AgentStateRecord>,
}

impl Log {
    fn apply(&mut self, d: Derived) {
        for op in d.ops {
            match op {
                SegmentOp::Close {
                    start_ms,
                    event_sid,
                    end_ms,
                } => {
                    for r in &mut self.rows {
                        if r.start_ms == start_ms && r.event_sid == event_sid {
                            r.end_ms = Some(end_ms);
                        }
                    }
                }
                SegmentOp::Open {
                    start_ms,
                    event_sid,
                    eff,
                    checkpoint,
                    ..
                } => self.rows.push(Row {
                    start_ms,
                    event_sid,
                    eff,
                    end_ms: None,
                    checkpoint,
                }),
            }
        }
        self.rows
            .sort_by(|a, b| (a.start_ms, &a.event_sid).cmp(&(b.start_ms, &b.event_sid)));
        self.rta.extend(d.rta);
    }

    /// One page: new events (sorted), folded in order or re-derived when the first is late.
    fn ingest(&mut self, mut page: Vec<AcdEvent>, ctx: &DeriveContext) {
        page.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
        page.retain(|e| !self.events.iter().any(|x| x.sid == e.sid));
        let Some(first) = page.first().cloned() else {
            return;
        };
        self.events.extend(page.iter().cloned());
        self.events
            .sort_by(|a, b| a.order_key().cmp(&b.order_key()));
        let mut out = Derived::default();
        if self.state.in_order(&first) {
            let refs: Vec<&AcdEvent> = page.iter().collect();
            fold_events(&mut self.state, "WK1", &refs, ctx, &mut out);
            self.apply(out);
            return;
        }
        // Rewind to the last checkpoint before the late event.
        let late = (first.event_ms, first.sid.clone());
        let keep = self
            .rows
            .iter()
            .rposition(|r| (r.start_ms, r.event_sid.clone()) < late);
        let from = match keep {
            Some(i) => {
                self.rows.truncate(i + 1);
                let r = &mut self.rows[i];
                r.end_ms = None;
                self.state.derivation = r.checkpoint.clone();
                self.state.head = Some(Head {
                    start_ms: r.start_ms,
                    event_sid: r.event_sid.clone(),
                    eff: r.eff.clone(),
                });
                self.state.last = (r.start_ms, r.event_sid.clone());
                (r.start_ms, r.event_sid.clone())
            }
            None => {
                self.rows.clear();
                self.state.derivation = WorkerDerivation::default();
                self.state.head = None;
                self.state.last = (Millis::MIN, String::new());
                (Millis::MIN, String::new())
            }
        };
        let replay: Vec<&AcdEvent> = self
            .events
            .iter()
            .filter(|e| (e.event_ms, e.sid.clone()) > from)
            .collect();
        fold_events(&mut self.state, "WK1", &replay, ctx, &mut out);
        correct_rta(&mut self.state, "WK1", ctx, &mut out);
        self.apply(out);
    }

    /// The segments without their checkpoints (what reports read).
    fn segments(&self) -> Vec<(Millis, String, EffectiveState, Option<Millis>)> {
        self.rows
            .iter()
            .map(|r| (r.start_ms, r.event_sid.clone(), r.eff.clone(), r.end_ms))
            .collect()
    }
}

fn events_strategy() -> impl Strategy<Value = Vec<AcdEvent>> {
    proptest::collection::vec((0u8..6, 0i64..40), 1..30).prop_map(|v| {
        let mut seen = std::collections::BTreeSet::new();
        v.into_iter()
            .map(|(k, t)| event(k, 1_000 + t * 1_000))
            .filter(|e| seen.insert(e.sid.clone()))
            .collect()
    })
}

proptest! {
    /// Pages of any size, in order: the same operations and records as one fold of everything.
    #[test]
    fn folding_in_pages_equals_folding_at_once(events in events_strategy(), cut in 0usize..30) {
        let ctx = ctx();
        let mut sorted = events.clone();
        sorted.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
        let refs: Vec<&AcdEvent> = sorted.iter().collect();
        let mut whole = Derived::default();
        fold_events(&mut WorkerState::default(), "WK1", &refs, &ctx, &mut whole);

        let cut = cut.min(refs.len());
        let mut state = WorkerState::default();
        let mut paged = Derived::default();
        fold_events(&mut state, "WK1", &refs[..cut], &ctx, &mut paged);
        fold_events(&mut state, "WK1", &refs[cut..], &ctx, &mut paged);
        prop_assert_eq!(whole, paged);
    }

    /// Any arrival order, any paging: the segments come out exactly as if the events had arrived
    /// in order; real time never goes back in time and ends on the present.
    #[test]
    fn segments_do_not_depend_on_arrival_order(
        events in events_strategy(),
        order in proptest::collection::vec(any::<u32>(), 30),
        page in 1usize..5,
    ) {
        let ctx = ctx();
        let mut sorted_log = Log::default();
        sorted_log.ingest(events.clone(), &ctx);

        let mut shuffled: Vec<(u32, AcdEvent)> =
            events.iter().cloned().enumerate().map(|(i, e)| (order[i % order.len()], e)).collect();
        shuffled.sort_by_key(|(k, _)| *k);
        let arrivals: Vec<AcdEvent> = shuffled.into_iter().map(|(_, e)| e).collect();
        let mut log = Log::default();
        for chunk in arrivals.chunks(page) {
            log.ingest(chunk.to_vec(), &ctx);
        }
        prop_assert_eq!(sorted_log.segments(), log.segments());

        for pair in log.rta.windows(2) {
            prop_assert!(pair[0].state_start_ms <= pair[1].state_start_ms, "real time in order: {:?}", pair);
        }
        let present = log.state.head.as_ref().map(|h| h.eff.state);
        prop_assert_eq!(log.rta.last().map(|r| r.state), present);
    }
}
