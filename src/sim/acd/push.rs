//! `sim acd` as Twilio Event Streams with a webhook sink: every event it generates or is given,
//! once visible, is POSTed to a configured URL as Twilio does it (a JSON array of CloudEvents,
//! `cloud`), signed with the auth token (`bodySHA256` in the URL, `X-Twilio-Signature`), so the
//! connector's push path can be driven and measured.
//!
//! Like Twilio: delivery is at least once — a request answered with anything but 2xx, or not
//! within 5 s, is sent again with exponential backoff until [`PushOptions::retry_for`] has passed
//! (Twilio: four hours), then given up; several requests may be in flight at once
//! ([`PushOptions::concurrency`]). Events generated before pushing was switched on are not
//! pushed (a subscription starts when it is made). Faults ([`PushFaults`]) drop events, send
//! batches twice, or deliver them out of order.

mod cloud;

use super::render::EventWriter;
use super::state::SimAcdShared;
use crate::model::Millis;
use crate::secret::Secret;
use crate::sim::cli::{FAULTS, default_is_no_flags, parse_fraction};
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

pub(crate) use cloud::cloud_event;

/// Where and how to push.
#[derive(Debug, Clone)]
pub struct PushOptions {
    /// The sink URL (`[webhook] public_url` of the connector).
    pub url: String,
    /// The account's Auth Token that signs every request.
    pub auth_token: Secret,
    pub faults: PushFaults,
    /// Most events per request.
    pub max_batch: usize,
    /// How often new events are looked for.
    pub tick: Duration,
    /// How long an undelivered batch is retried before it is given up (0: tried once).
    pub retry_for: Duration,
    /// Requests in flight at once.
    pub concurrency: usize,
}

impl PushOptions {
    /// Pushing to `url` signed with `auth_token`: batches of up to 100 events, looked for every
    /// 10 ms, one request at a time, retried as long as `--push-retry-for` says by default (as
    /// Twilio: four hours).
    pub fn new(url: &str, auth_token: &str) -> PushOptions {
        PushOptions {
            url: url.to_string(),
            auth_token: Secret::new(auth_token),
            faults: PushFaults::default(),
            max_batch: 100,
            tick: Duration::from_millis(10),
            retry_for: super::cli::SimAcdPushArgs::default().push_retry_for,
            concurrency: 1,
        }
    }
}

/// What the push does wrong on purpose (each a fraction, 0–1); also the push fault flags of
/// `sim acd`.
#[derive(clap::Args, Debug, Clone, PartialEq)]
pub struct PushFaults {
    /// Fraction (0–1) of events never pushed (Twilio lost them, or gave up).
    #[arg(help_heading = FAULTS, long = "push-drop-rate", value_name = "PUSH_DROP_RATE", default_value_t = 0.0, value_parser = parse_fraction)]
    pub drop_rate: f64,
    /// Fraction (0–1) of pushes delivered twice, the second time after the first delivery.
    #[arg(help_heading = FAULTS, long = "push-duplicate-rate", value_name = "PUSH_DUPLICATE_RATE", default_value_t = 0.0, value_parser = parse_fraction)]
    pub duplicate_rate: f64,
    /// Fraction (0–1) of pushes held back and delivered after the next one, their events in
    /// reverse order.
    #[arg(help_heading = FAULTS, long = "push-reorder-rate", value_name = "PUSH_REORDER_RATE", default_value_t = 0.0, value_parser = parse_fraction)]
    pub reorder_rate: f64,
}

default_is_no_flags!(PushFaults);

/// One delivery attempt, as the request log shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushDelivery {
    /// Clock time the attempt was answered (or failed).
    pub at_ms: Millis,
    /// The `EV…` sids of the events it carried, in the order sent.
    pub sids: Vec<String>,
    /// The HTTP status, if an answer came.
    pub status: Option<u16>,
    /// 1 for the first attempt of a batch.
    pub attempt: u32,
    /// A deliberate second delivery ([`PushFaults::duplicate_rate`]).
    pub duplicate: bool,
}

/// Totals since start.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PushCounters {
    pub events_delivered: u64,
    pub events_dropped: u64,
    pub events_given_up: u64,
    pub failed_attempts: u64,
}

/// The pusher's settings and records, behind the simulator's `push` lock.
#[derive(Default)]
pub(crate) struct PushState {
    pub options: Option<PushOptions>,
    pub log: VecDeque<PushDelivery>,
    pub counters: PushCounters,
    rng: Option<fastrand::Rng>,
    /// Events of the log waiting to become visible.
    pending: Vec<super::log::LogKey>,
}

const LOG_CAPACITY: usize = 100_000;
/// A batch held back for reordering is sent after this long if no other batch comes.
const HOLD_MAX: Duration = Duration::from_millis(300);
/// Twilio's timeout for a webhook sink's answer.
const ANSWER_WITHIN: Duration = Duration::from_secs(5);

impl PushState {
    pub fn new(options: Option<PushOptions>) -> PushState {
        PushState {
            options,
            ..PushState::default()
        }
    }

    pub fn clear_pending(&mut self) {
        self.pending.clear();
    }

    fn dice(&mut self, seed: u64, rate: f64) -> bool {
        rate > 0.0
            && self
                .rng
                .get_or_insert_with(|| fastrand::Rng::with_seed(seed))
                .f64()
                < rate
    }

    fn record(&mut self, delivery: PushDelivery) {
        if self.log.len() >= LOG_CAPACITY {
            self.log.pop_front();
        }
        self.log.push_back(delivery);
    }
}

/// A batch: the sids and their CloudEvents.
struct Batch {
    sids: Vec<String>,
    events: Vec<serde_json::Value>,
}

/// The pusher: idle while pushing is off, else every tick it sends the events that became
/// visible. Runs for the simulator's lifetime.
pub(crate) async fn run(shared: Arc<SimAcdShared>, seed: u64) {
    let http = reqwest::Client::builder()
        .timeout(ANSWER_WITHIN)
        .build()
        .unwrap_or_default();
    let mut held: Option<(Batch, Instant)> = None;
    let mut in_flight: Option<(Arc<Semaphore>, usize)> = None;
    // Owned here: when the simulator stops the pusher, its deliveries stop with it.
    let mut senders = JoinSet::new();
    loop {
        while senders.try_join_next().is_some() {}
        let tick = shared.push().options.as_ref().map(|o| o.tick);
        let Some(tick) = tick else {
            held = None;
            shared.push_wake.notified().await;
            continue;
        };
        tokio::time::sleep(tick).await;
        // The options in force when the events were taken: a change made before an event was
        // added applies to it.
        let (opts, batches) = collect(&shared, seed);
        let Some(opts) = opts else {
            continue;
        };
        let permits = match &in_flight {
            Some((s, n)) if *n == opts.concurrency.max(1) => s.clone(),
            _ => {
                let n = opts.concurrency.max(1);
                let s = Arc::new(Semaphore::new(n));
                in_flight = Some((s.clone(), n));
                s
            }
        };
        let mut due = Vec::new();
        for batch in batches {
            let hold = shared.push().dice(seed, opts.faults.reorder_rate);
            match held.take() {
                Some((older, _)) => {
                    due.push(batch);
                    due.push(older);
                }
                None if hold => held = Some((reversed(batch), Instant::now())),
                None => due.push(batch),
            }
        }
        if let Some((_, since)) = &held
            && since.elapsed() >= HOLD_MAX
            && let Some((batch, _)) = held.take()
        {
            due.push(batch);
        }
        for batch in due {
            let Ok(permit) = permits.clone().acquire_owned().await else {
                continue;
            };
            let duplicate = shared.push().dice(seed, opts.faults.duplicate_rate);
            let (shared, http, opts) = (shared.clone(), http.clone(), opts.clone());
            senders.spawn(async move {
                deliver(&shared, &http, &opts, &batch, duplicate).await;
                drop(permit);
            });
        }
    }
}

fn reversed(mut batch: Batch) -> Batch {
    batch.sids.reverse();
    batch.events.reverse();
    batch
}

/// The options in force and the events visible now that were not pushed yet, as batches (drops
/// applied).
fn collect(shared: &SimAcdShared, seed: u64) -> (Option<PushOptions>, Vec<Batch>) {
    shared.catch_up();
    let now = shared.clock.now_ms();
    let tapped = shared.write().log.take_tapped();
    let mut push = shared.push();
    let Some(opts) = push.options.clone() else {
        return (None, Vec::new());
    };
    push.pending.extend(tapped);
    if push.pending.is_empty() {
        return (Some(opts), Vec::new());
    }
    let state = shared.read();
    let writer = EventWriter::new(&state.world, &shared.base_url);
    let mut waiting = Vec::new();
    let mut ready = Vec::new();
    for key in std::mem::take(&mut push.pending) {
        let Some(event) = state.log.get(key) else {
            continue;
        };
        if event.visible_ms > now || event.event_ms > now {
            waiting.push(key);
            continue;
        }
        if push.dice(seed, opts.faults.drop_rate) {
            push.counters.events_dropped += 1;
            continue;
        }
        let feed = writer.value(event);
        let id = super::sid::sid(super::sid::NOTIFICATION, seed, key.seq);
        let sid = feed.get("sid").and_then(|s| s.as_str()).unwrap_or_default();
        if let Some(ce) = cloud_event(&feed, &id) {
            ready.push((sid.to_string(), ce));
        }
    }
    push.pending = waiting;
    let mut batches = Vec::new();
    for chunk in ready.chunks(opts.max_batch.max(1)) {
        let (sids, events) = chunk.iter().cloned().unzip();
        batches.push(Batch { sids, events });
    }
    (Some(opts), batches)
}

/// Sends one batch until it is accepted or `retry_for` has passed; then once more if
/// `duplicate`.
async fn deliver(
    shared: &SimAcdShared,
    http: &reqwest::Client,
    opts: &PushOptions,
    batch: &Batch,
    duplicate: bool,
) {
    let body = serde_json::to_vec(&batch.events).unwrap_or_default();
    let (url, signature) = crate::webhook::auth::sign(opts.auth_token.expose(), &opts.url, &body);
    let started = Instant::now();
    let mut delay = Duration::from_millis(100);
    let mut attempt = 1;
    loop {
        let status = send(http, &url, &signature, &body).await;
        let ok = status.is_some_and(|s| (200..300).contains(&s));
        record(shared, batch, status, attempt, false);
        if ok {
            shared.push().counters.events_delivered += batch.sids.len() as u64;
            if duplicate {
                let again = send(http, &url, &signature, &body).await;
                record(shared, batch, again, attempt + 1, true);
            }
            return;
        }
        shared.push().counters.failed_attempts += 1;
        if started.elapsed() + delay > opts.retry_for {
            shared.push().counters.events_given_up += batch.sids.len() as u64;
            return;
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(2));
        attempt += 1;
    }
}

async fn send(http: &reqwest::Client, url: &str, signature: &str, body: &[u8]) -> Option<u16> {
    let sent = http
        .post(url)
        .header(crate::webhook::auth::SIGNATURE_HEADER, signature)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body.to_vec())
        .send()
        .await
        .ok()?;
    let status = sent.status().as_u16();
    let _ = sent.bytes().await;
    Some(status)
}

fn record(
    shared: &SimAcdShared,
    batch: &Batch,
    status: Option<u16>,
    attempt: u32,
    duplicate: bool,
) {
    let at_ms = shared.clock.now_ms();
    shared.push().record(PushDelivery {
        at_ms,
        sids: batch.sids.clone(),
        status,
        attempt,
        duplicate,
    });
}
