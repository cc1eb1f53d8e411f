//! Simulators of both sides and the demo; they also drive the tests and benchmarks.
//!
//! `listener` is the port both simulators serve on, which closes for a connection-refused outage.
pub mod acd;
mod listener;
pub mod wfm;
