//! Simulators of both sides; they also drive the tests, the benchmarks and the demo (`cmd::demo`).
//!
//! `listener` is the port both simulators serve on, which closes for a connection-refused outage;
//! `cli` is what their command lines share (value parsers, defaults, the run error); `faults` the
//! fault vocabulary they share (how a server is down).
pub mod acd;
pub(crate) mod cli;
pub mod faults;
mod listener;
pub mod wfm;

pub use cli::SimRunError;
