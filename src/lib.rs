//! `wfm-connector`: links a Twilio TaskRouter / Flex contact centre (the ACD) to NICE CXone WFM.
//!
//! The data flows top to bottom through these modules:
//!
//! - [`acd`] reads TaskRouter: the Events feed (one cursor), the Workers and Activities lists.
//!   [`webhook`] takes the same events pushed by Twilio Event Streams (optional; polling stays).
//! - [`store`] keeps everything in one SQLite file: the raw event log, the cursor, what is derived
//!   from the log, the outboxes, dead letters. A page of events and all it derives commit together
//!   (`store::ingest`; each worker's and open task's derived state stays in memory between pages,
//!   `store::workers` and `store::tasks` write what changed).
//! - [`derive`] turns events into agent states (`derive::agent`), segments and real-time records
//!   (`derive::segments`), tasks and reservations (`derive::task`): pure functions.
//! - [`report`] turns the derived log and an interval into report bodies (pure functions), and
//!   plans which intervals are due with which revision (`report::plan`, also used by `replay`).
//! - [`wfm`] delivers to CXone WFM: the wire types (the only code that knows the wire shape),
//!   token, one request, response handling.
//! - [`daemon`] wires the poller, the one delivery loop (`daemon::drain`) over both outboxes,
//!   the report scheduler, heartbeat, housekeeping and shutdown; [`admin`] serves
//!   `/healthz`, `/readyz`, `/metrics`.
//! - [`sim`] holds the TaskRouter and WFM simulators, which drive the tests and the demo
//!   ([`cmd`] holds the command lines: `run`, `demo`, `replay`, `sim`, …).
//!
//! Cross-cutting: [`config`] (TOML schema), [`secret`] (redacting wrapper), [`retry`] (the one
//! retry policy), [`clock`] (time as a parameter), [`model`] (the shared vocabulary), [`ids`]
//! (deterministic ids).

pub mod acd;
pub mod admin;
pub mod clock;
pub mod cmd;
pub mod config;
pub mod daemon;
pub mod derive;
pub mod ids;
pub mod metrics;
pub mod model;
pub mod report;
pub mod retry;
pub mod secret;
pub mod shutdown;
pub mod sim;
pub mod store;
pub mod systemd;
pub mod transport;
pub mod webhook;
pub mod wfm;
