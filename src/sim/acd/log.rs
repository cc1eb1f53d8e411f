//! The event log: every event the simulator generated, sorted by `(event_ms, seq)`, and the paged
//! window query behind `GET …/Events`.
//!
//! Queries binary-search the window and walk only the page they return, so a log of millions of
//! events costs one page of work per request. Late events sit at their `event_date` position and
//! are skipped until their `visible_ms`.

use super::world::StoredEvent;
use crate::model::Millis;
use base64::prelude::{BASE64_URL_SAFE_NO_PAD, Engine as _};

/// A position in the log's total order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct LogKey {
    pub event_ms: Millis,
    pub seq: u64,
}

impl LogKey {
    pub fn of(event: &StoredEvent) -> LogKey {
        LogKey {
            event_ms: event.event_ms,
            seq: event.seq,
        }
    }
}

/// Where a page starts. Pages run newest first, as Twilio's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cursor {
    /// The newest events of the window.
    First,
    /// Events strictly older than the key (the next page).
    Older(LogKey),
    /// Events strictly newer than the key (the previous page).
    Newer(LogKey),
}

impl Cursor {
    /// The opaque `PageToken` of this cursor.
    pub fn to_token(self) -> Option<String> {
        let text = match self {
            Cursor::First => return None,
            Cursor::Older(k) => format!("o:{}:{}", k.event_ms, k.seq),
            Cursor::Newer(k) => format!("n:{}:{}", k.event_ms, k.seq),
        };
        Some(format!("PT{}", BASE64_URL_SAFE_NO_PAD.encode(text)))
    }

    pub fn from_token(token: &str) -> Option<Cursor> {
        let raw = BASE64_URL_SAFE_NO_PAD
            .decode(token.strip_prefix("PT")?)
            .ok()?;
        let text = String::from_utf8(raw).ok()?;
        let mut parts = text.split(':');
        let direction = parts.next()?;
        let key = LogKey {
            event_ms: parts.next()?.parse().ok()?,
            seq: parts.next()?.parse().ok()?,
        };
        match direction {
            "o" => Some(Cursor::Older(key)),
            "n" => Some(Cursor::Newer(key)),
            _ => None,
        }
    }
}

/// The time window of a query: `start_ms <= event_ms < end_ms`, visible at `now_ms`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Window {
    pub start_ms: Millis,
    pub end_ms: Millis,
    pub now_ms: Millis,
}

/// One page of events, newest first.
pub(crate) struct Page<'a> {
    pub events: Vec<&'a StoredEvent>,
    pub older_exist: bool,
    pub newer_exist: bool,
}

#[derive(Default)]
pub(crate) struct EventLog {
    events: Vec<StoredEvent>,
    next_seq: u64,
    /// While the pusher runs: the keys of the events inserted since it last looked.
    tap: Option<Vec<LogKey>>,
}

impl EventLog {
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// All events, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &StoredEvent> {
        self.events.iter()
    }

    /// Adds an event (its `seq` is assigned here) and keeps the log sorted. The centre generates
    /// in time order, so this is an append; scripts may insert anywhere.
    pub fn insert(&mut self, mut event: StoredEvent) {
        event.seq = self.next_seq;
        self.next_seq += 1;
        let at = event.event_ms;
        if let Some(tap) = &mut self.tap {
            tap.push(LogKey {
                event_ms: at,
                seq: event.seq,
            });
        }
        match self.events.last() {
            Some(last) if last.event_ms > at => {
                let position = self.events.partition_point(|e| e.event_ms <= at);
                self.events.insert(position, event);
            }
            _ => self.events.push(event),
        }
    }

    /// Starts (or stops) recording the keys of inserted events, for the pusher.
    pub fn set_tap(&mut self, on: bool) {
        match (on, self.tap.is_some()) {
            (true, false) => self.tap = Some(Vec::new()),
            (false, _) => self.tap = None,
            (true, true) => {}
        }
    }

    /// The keys of the events inserted since the last call (empty while the tap is off).
    pub fn take_tapped(&mut self) -> Vec<LogKey> {
        self.tap.as_mut().map(std::mem::take).unwrap_or_default()
    }

    /// The event at `key`, unless it was pruned.
    pub fn get(&self, key: LogKey) -> Option<&StoredEvent> {
        let at = self.events.partition_point(|e| LogKey::of(e) < key);
        self.events.get(at).filter(|e| LogKey::of(e) == key)
    }

    /// Forgets events older than `cutoff_ms` (TaskRouter keeps 30 days).
    pub fn prune_before(&mut self, cutoff_ms: Millis) {
        let first_kept = self.events.partition_point(|e| e.event_ms < cutoff_ms);
        if first_kept > 0 {
            self.events.drain(..first_kept);
        }
    }

    /// One page of the visible events of `window` that `keep` accepts.
    pub fn page<'a>(
        &'a self,
        window: Window,
        cursor: Cursor,
        page_size: usize,
        keep: &dyn Fn(&StoredEvent) -> bool,
    ) -> Page<'a> {
        // Nothing dated after "now" can be visible: visible_ms >= event_ms.
        let end = window.end_ms.min(window.now_ms.saturating_add(1));
        let mut lo = self
            .events
            .partition_point(|e| e.event_ms < window.start_ms);
        let mut hi = self.events.partition_point(|e| e.event_ms < end).max(lo);
        let wanted = |e: &&StoredEvent| e.visible_ms <= window.now_ms && keep(e);
        match cursor {
            Cursor::First | Cursor::Older(_) => {
                if let Cursor::Older(key) = cursor {
                    hi = hi.min(self.events.partition_point(|e| LogKey::of(e) < key));
                }
                let slice = self.events.get(lo..hi).unwrap_or_default();
                let mut events: Vec<&StoredEvent> = slice
                    .iter()
                    .rev()
                    .filter(wanted)
                    .take(page_size + 1)
                    .collect();
                let older_exist = events.len() > page_size;
                events.truncate(page_size);
                Page {
                    events,
                    older_exist,
                    newer_exist: cursor != Cursor::First,
                }
            }
            Cursor::Newer(key) => {
                lo = lo.max(self.events.partition_point(|e| LogKey::of(e) <= key));
                let slice = self.events.get(lo..hi).unwrap_or_default();
                let mut events: Vec<&StoredEvent> =
                    slice.iter().filter(wanted).take(page_size + 1).collect();
                let newer_exist = events.len() > page_size;
                events.truncate(page_size);
                events.reverse();
                Page {
                    events,
                    older_exist: true,
                    newer_exist,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::acd::world::{EventBody, EventSid};
    use std::sync::Arc;

    fn event(ms: Millis, visible_ms: Millis) -> StoredEvent {
        StoredEvent {
            seq: 0,
            event_ms: ms,
            visible_ms,
            sid: EventSid::Generated(0),
            event_type: "x",
            body: EventBody::Raw(Arc::new(serde_json::Value::Null)),
            junk: None,
        }
    }

    fn all_pages(log: &EventLog, window: Window, size: usize) -> Vec<Millis> {
        let mut out = Vec::new();
        let mut cursor = Cursor::First;
        loop {
            let page = log.page(window, cursor, size, &|_| true);
            out.extend(page.events.iter().map(|e| e.event_ms));
            match page.events.last() {
                Some(last) if page.older_exist => cursor = Cursor::Older(LogKey::of(last)),
                _ => return out,
            }
        }
    }

    #[test]
    fn pages_cover_the_window_newest_first_exactly_once() {
        let mut log = EventLog::default();
        // Out-of-order inserts, many on the same millisecond.
        for i in (0..1000).rev() {
            log.insert(event(i / 3, i / 3));
        }
        let window = Window {
            start_ms: 10,
            end_ms: 300,
            now_ms: 1_000,
        };
        let got = all_pages(&log, window, 7);
        assert_eq!(got.len(), (300 - 10) * 3);
        assert!(got.windows(2).all(|w| w[0] >= w[1]));
        assert_eq!(got.first(), Some(&299));
        assert_eq!(got.last(), Some(&10));
    }

    #[test]
    fn late_and_future_events_are_hidden_until_visible() {
        let mut log = EventLog::default();
        log.insert(event(100, 100));
        log.insert(event(200, 5_000));
        log.insert(event(9_000, 9_000));
        let window = |now_ms| Window {
            start_ms: 0,
            end_ms: 100_000,
            now_ms,
        };
        assert_eq!(all_pages(&log, window(1_000), 10), vec![100]);
        assert_eq!(all_pages(&log, window(5_000), 10), vec![200, 100]);
        assert_eq!(all_pages(&log, window(9_000), 10), vec![9_000, 200, 100]);
    }

    #[test]
    fn previous_page_returns_the_events_just_newer() {
        let mut log = EventLog::default();
        for i in 0..10 {
            log.insert(event(i, i));
        }
        let window = Window {
            start_ms: 0,
            end_ms: 100,
            now_ms: 100,
        };
        let first = log.page(window, Cursor::First, 3, &|_| true);
        let second = log.page(
            window,
            Cursor::Older(LogKey::of(first.events[2])),
            3,
            &|_| true,
        );
        let back = log.page(
            window,
            Cursor::Newer(LogKey::of(second.events[0])),
            3,
            &|_| true,
        );
        let ms = |p: &Page| p.events.iter().map(|e| e.event_ms).collect::<Vec<_>>();
        assert_eq!(ms(&second), vec![6, 5, 4]);
        assert_eq!(ms(&back), ms(&first));
        assert!(!back.newer_exist);
    }

    #[test]
    fn page_tokens_round_trip() {
        let cursor = Cursor::Older(LogKey {
            event_ms: 1_790_000_000_123,
            seq: 42,
        });
        let token = cursor.to_token().unwrap_or_default();
        assert_eq!(Cursor::from_token(&token), Some(cursor));
        assert_eq!(Cursor::from_token("PTgarbage!"), None);
    }
}
