//! Simulators of both sides and the demo; they also drive the tests and benchmarks.
pub mod acd;
pub mod wfm;
