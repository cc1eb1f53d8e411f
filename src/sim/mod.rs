//! Simulators of both sides and the demo; they also drive the tests and benchmarks.
//!
//! `listener` is the port both simulators serve on, which closes for a connection-refused outage;
//! `cli` is what their command lines share (value parsers, defaults, the run error).
pub mod acd;
pub(crate) mod cli;
mod listener;
pub mod wfm;

pub use cli::SimRunError;
