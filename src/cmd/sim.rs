//! `sim acd` and `sim wfm`: the two simulators on their own (SPEC §9). Their flags are declared by
//! the simulators ([`SimAcdArgs`], [`SimWfmArgs`]), which also listen, print where, and serve until
//! Ctrl-C; this file sets up logging and turns the outcome into an exit code.
//!
//! Flags are checked while parsing, so a nonsense value is a usage error (exit 64) naming the flag,
//! before anything listens. Secrets on the command line are fine: these are test servers.

use super::{EX_CONFIG, EX_OK, EX_USAGE};
use crate::sim::SimRunError;
use crate::sim::acd::SimAcdArgs;
use crate::sim::wfm::SimWfmArgs;

/// Runs `sim acd` until Ctrl-C or SIGTERM.
pub async fn acd(args: SimAcdArgs) -> u8 {
    super::init_logging(crate::config::LogFormat::Text, "info");
    exit_code(crate::sim::acd::run_cli(args).await)
}

/// Runs `sim wfm` until Ctrl-C.
pub async fn wfm(args: SimWfmArgs) -> u8 {
    super::init_logging(crate::config::LogFormat::Text, "info");
    exit_code(crate::sim::wfm::run_cli(args).await)
}

/// Flags that make no sense together are a usage error. A failure to listen is the operator's to
/// fix (`--listen`): a configuration error, as is a host that cannot deliver signals.
fn exit_code(result: Result<(), SimRunError>) -> u8 {
    match result {
        Ok(()) => EX_OK,
        Err(e @ SimRunError::Usage(_)) => {
            eprintln!("error: {e}");
            EX_USAGE
        }
        Err(e @ (SimRunError::Listen { .. } | SimRunError::Signal { .. })) => {
            eprintln!("error: {e}");
            eprintln!("hint: is the port already in use? choose another with --listen");
            EX_CONFIG
        }
    }
}
