//! Fault injection: what the handle can switch on at runtime, the per-request decisions, the
//! per-event decisions of the centre (junk data, late events), and the request log tests read.

use crate::model::Millis;
use crate::sim::cli::{
    FAULTS, default_is_no_flags, parse_duration, parse_fraction, parse_whole_seconds,
};
use crate::sim::faults::OutageKind;
use std::time::Duration;

/// The faults to inject, which are also the fault flags of `sim acd` (their doc comments are its
/// `--help`). `Faults::default()` injects none. Rates are fractions in `[0, 1]`; `*_next` fields
/// apply to the next K requests and count down (they take precedence over rates); they, the outage
/// window and the page URL override are set by tests, not flags.
#[derive(clap::Args, Debug, Clone, PartialEq)]
pub struct Faults {
    /// Fraction (0–1) of requests answered 500 or 503 (randomly one or the other).
    #[arg(help_heading = FAULTS, long, default_value_t = 0.0, value_parser = parse_fraction)]
    pub error_rate: f64,
    /// The next K requests are answered 503.
    #[arg(skip)]
    pub error_next: u32,
    /// Fraction (0–1) of requests answered 429 Too Many Requests, with `Retry-After`.
    #[arg(help_heading = FAULTS, long = "429-rate", default_value_t = 0.0, value_parser = parse_fraction)]
    pub rate_limit_rate: f64,
    /// The next K requests are answered 429 with `Retry-After`.
    #[arg(skip)]
    pub rate_limit_next: u32,
    /// `Retry-After` sent with 429 answers, in whole seconds (e.g. `2s`).
    #[arg(help_heading = FAULTS, long = "retry-after", value_name = "RETRY_AFTER", default_value = "1s", value_parser = parse_whole_seconds)]
    pub retry_after_secs: u64,
    /// Delay added to every answer (e.g. `200ms`), after the outage check.
    #[arg(help_heading = FAULTS, long, default_value = "0s", value_parser = parse_duration)]
    pub latency: Duration,
    /// Fraction (0–1) of successful answers whose body is malformed.
    #[arg(help_heading = FAULTS, long, default_value_t = 0.0, value_parser = parse_fraction)]
    pub malformed_rate: f64,
    /// The next K successful answers have a malformed body.
    #[arg(skip)]
    pub malformed_next: u32,
    /// How malformed bodies are broken.
    #[arg(help_heading = FAULTS, long, value_enum, default_value = "truncated")]
    pub malformed_kind: MalformedKind,
    /// Fraction (0–1) of generated events whose `event_data` is junk.
    #[arg(help_heading = FAULTS, long = "junk-rate", value_name = "JUNK_RATE", default_value_t = 0.0, value_parser = parse_fraction)]
    pub junk_event_rate: f64,
    /// Fraction (0–1) of generated events that show up late at the Events endpoint...
    #[arg(help_heading = FAULTS, long = "late-rate", value_name = "LATE_RATE", default_value_t = 0.0, value_parser = parse_fraction)]
    pub late_event_rate: f64,
    /// ...by this much after their `event_date` (e.g. `5s`).
    #[arg(help_heading = FAULTS, long, default_value = "5s", value_parser = parse_duration)]
    pub late_by: Duration,
    /// An outage window: every request fails until it is cleared or ends (`sim acd --outage`).
    #[arg(skip)]
    pub outage: Option<Outage>,
    /// Every `next_page_url` is replaced by this (e.g. another host with no path), to test a
    /// client that must refuse to follow it.
    #[arg(skip)]
    pub next_page_url_override: Option<String>,
}

default_is_no_flags!(Faults);

/// An outage window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outage {
    pub kind: OutageKind,
    /// The outage ends by itself when the simulator's clock reaches this time; `None`: until
    /// cleared through the handle.
    pub until_ms: Option<Millis>,
}

/// How a malformed body is broken (`--malformed-kind`).
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum MalformedKind {
    /// The JSON is cut in the middle: not valid JSON.
    Truncated,
    /// Valid JSON with wrong types: the list is a string, `meta.next_page_url` a number.
    WrongTypes,
}

/// How an event's `event_data` is junk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JunkKind {
    /// `event_data` is a string holding the JSON object.
    DataAsString,
    /// `worker_sid`, `task_sid`, `reservation_sid`, activity and queue keys are missing.
    MissingKeys,
    /// Attributes as objects instead of strings, numbers as non-numeric strings or arrays.
    WrongTypes,
    /// `event_data` is `null`.
    NullData,
}

impl JunkKind {
    pub const ALL: [JunkKind; 4] = [
        JunkKind::DataAsString,
        JunkKind::MissingKeys,
        JunkKind::WrongTypes,
        JunkKind::NullData,
    ];

    /// Breaks a rendered event object in place.
    pub(crate) fn apply(self, event: &mut serde_json::Value) {
        let Some(object) = event.as_object_mut() else {
            return;
        };
        let data = object
            .entry("event_data")
            .or_insert(serde_json::Value::Null);
        match self {
            JunkKind::DataAsString => *data = serde_json::Value::String(data.to_string()),
            JunkKind::NullData => *data = serde_json::Value::Null,
            JunkKind::MissingKeys => {
                if let Some(map) = data.as_object_mut() {
                    for key in [
                        "worker_sid",
                        "worker_activity_name",
                        "worker_activity_sid",
                        "task_sid",
                        "task_queue_sid",
                        "task_channel_unique_name",
                        "reservation_sid",
                    ] {
                        map.remove(key);
                    }
                }
            }
            JunkKind::WrongTypes => {
                if let Some(map) = data.as_object_mut() {
                    for key in ["worker_attributes", "task_attributes"] {
                        if let Some(v) = map.get_mut(key) {
                            let parsed = v
                                .as_str()
                                .and_then(|s| serde_json::from_str(s).ok())
                                .unwrap_or(serde_json::Value::Null);
                            *v = parsed;
                        }
                    }
                    if let Some(v) = map.get_mut("task_age") {
                        *v = serde_json::Value::String("n/a".into());
                    }
                    if let Some(v) = map.get_mut("worker_time_in_previous_activity_ms") {
                        *v = serde_json::json!(["26123"]);
                    }
                    if let Some(v) = map.get_mut("worker_activity_name") {
                        *v = serde_json::json!(7);
                    }
                }
            }
        }
    }
}

/// Breaks a successful response body. `list_key` is `events`, `workers`...
pub(crate) fn malform(body: Vec<u8>, kind: MalformedKind, list_key: &str) -> Vec<u8> {
    match kind {
        MalformedKind::Truncated => {
            // Cutting a JSON object before its end always leaves it unclosed.
            let keep = body.len() / 2;
            body.into_iter().take(keep).collect()
        }
        MalformedKind::WrongTypes => {
            let mut value: serde_json::Value =
                serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
            if let Some(object) = value.as_object_mut() {
                object.insert(list_key.into(), serde_json::json!("not-a-list"));
                if let Some(meta) = object.get_mut("meta").and_then(|m| m.as_object_mut()) {
                    meta.insert("next_page_url".into(), serde_json::json!(12345));
                    meta.insert("page_size".into(), serde_json::json!("fifty"));
                }
            }
            serde_json::to_vec(&value).unwrap_or_default()
        }
    }
}

/// What happens to one request before it is routed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RequestFault {
    Outage(OutageKind),
    RateLimited { retry_after_secs: u64 },
    ServerError(u16),
}

/// The runtime state of the faults: the current settings with their countdowns, and the dice.
pub(crate) struct FaultState {
    pub faults: Faults,
    rng: fastrand::Rng,
}

impl FaultState {
    pub fn new(faults: Faults, seed: u64) -> FaultState {
        FaultState {
            faults,
            rng: fastrand::Rng::with_seed(seed ^ 0x6661_756c_7473),
        }
    }

    /// The outage in force at `now_ms`, if any (an ended window is cleared).
    pub fn outage(&mut self, now_ms: Millis) -> Option<OutageKind> {
        let outage = self.faults.outage?;
        match outage.until_ms {
            Some(until) if now_ms >= until => {
                self.faults.outage = None;
                None
            }
            _ => Some(outage.kind),
        }
    }

    /// Decides whether this request fails before it is routed.
    pub fn before_routing(&mut self, now_ms: Millis) -> Option<RequestFault> {
        if let Some(kind) = self.outage(now_ms) {
            return Some(RequestFault::Outage(kind));
        }
        let f = &mut self.faults;
        if f.rate_limit_next > 0 || (f.rate_limit_rate > 0.0 && self.rng.f64() < f.rate_limit_rate)
        {
            f.rate_limit_next = f.rate_limit_next.saturating_sub(1);
            return Some(RequestFault::RateLimited {
                retry_after_secs: f.retry_after_secs,
            });
        }
        if f.error_next > 0 {
            f.error_next -= 1;
            return Some(RequestFault::ServerError(503));
        }
        if f.error_rate > 0.0 && self.rng.f64() < f.error_rate {
            let status = if self.rng.bool() { 500 } else { 503 };
            return Some(RequestFault::ServerError(status));
        }
        None
    }

    /// Decides whether a successful body is sent malformed.
    pub fn malformed(&mut self) -> Option<MalformedKind> {
        let f = &mut self.faults;
        if f.malformed_next > 0 {
            f.malformed_next -= 1;
            return Some(f.malformed_kind);
        }
        (f.malformed_rate > 0.0 && self.rng.f64() < f.malformed_rate).then_some(f.malformed_kind)
    }
}

/// Per-event faults of the centre, with their own dice so that switching them on does not change
/// the centre's contact centre (same seed, same tasks and states).
pub(crate) struct EventDice {
    pub junk_rate: f64,
    pub late_rate: f64,
    pub late_by_ms: Millis,
    rng: fastrand::Rng,
}

impl EventDice {
    pub fn new(faults: &Faults, seed: u64) -> EventDice {
        let mut dice = EventDice {
            junk_rate: 0.0,
            late_rate: 0.0,
            late_by_ms: 0,
            rng: fastrand::Rng::with_seed(seed ^ 0x6a75_6e6b),
        };
        dice.configure(faults);
        dice
    }

    pub fn configure(&mut self, faults: &Faults) {
        self.junk_rate = faults.junk_event_rate;
        self.late_rate = faults.late_event_rate;
        self.late_by_ms = super::millis(faults.late_by);
    }

    /// `(junk, delay before visible)` for the next generated event.
    pub fn roll(&mut self) -> (Option<JunkKind>, Millis) {
        let junk = (self.junk_rate > 0.0 && self.rng.f64() < self.junk_rate)
            .then(|| JunkKind::ALL[self.rng.usize(..JunkKind::ALL.len())]);
        let late = if self.late_rate > 0.0 && self.rng.f64() < self.late_rate {
            self.late_by_ms
        } else {
            0
        };
        (junk, late)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countdowns_run_out_and_take_precedence() {
        let mut state = FaultState::new(
            Faults {
                rate_limit_next: 2,
                retry_after_secs: 7,
                ..Faults::default()
            },
            1,
        );
        let limited = Some(RequestFault::RateLimited {
            retry_after_secs: 7,
        });
        assert_eq!(state.before_routing(0), limited);
        assert_eq!(state.before_routing(0), limited);
        assert_eq!(state.before_routing(0), None);
    }

    #[test]
    fn outage_window_ends_at_its_time() {
        let mut state = FaultState::new(
            Faults {
                outage: Some(Outage {
                    kind: OutageKind::ServiceUnavailable,
                    until_ms: Some(100),
                }),
                ..Faults::default()
            },
            1,
        );
        assert_eq!(state.outage(99), Some(OutageKind::ServiceUnavailable));
        assert_eq!(state.outage(100), None);
        assert_eq!(state.faults.outage, None);
    }

    #[test]
    fn malformed_bodies_are_broken() {
        let body = br#"{"events":[{"a":1}],"meta":{"next_page_url":null}}"#.to_vec();
        let cut = malform(body.clone(), MalformedKind::Truncated, "events");
        assert!(serde_json::from_slice::<serde_json::Value>(&cut).is_err());
        let typed = malform(body, MalformedKind::WrongTypes, "events");
        let value: serde_json::Value = serde_json::from_slice(&typed).unwrap();
        assert!(value["events"].is_string());
        assert!(value["meta"]["next_page_url"].is_number());
    }
}
