//! The fault vocabulary both simulators share: how a server is down. An outage of either kind is
//! played by the simulator's fault state (`acd::faults`, `wfm::faults`) for the answers and by
//! `sim::listener` for the port; the other faults are each side's own.

/// How a simulator is "down".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutageKind {
    /// Every request (in scope) is answered `503`.
    ServiceUnavailable,
    /// The listening socket is closed (connect fails) and open connections are reset. This kind
    /// ignores a fault's scope: a closed port is closed for every endpoint.
    ConnectionRefused,
}
