//! The commands behind the CLI. Each returns a sysexits code; messages go to stderr written for
//! the person at the terminal: what went wrong, where, what to do.

pub mod check;
pub mod demo;
mod logging;
pub mod replay;
pub mod run;
pub mod sim;
pub mod status;

use crate::config::{Config, LocalConfig};
pub use logging::{init_logging, reload_logging};
use std::path::Path;

pub const EX_OK: u8 = 0;
pub const EX_USAGE: u8 = 64;
pub const EX_UNAVAILABLE: u8 = 69;
pub const EX_SOFTWARE: u8 = 70;
pub const EX_IOERR: u8 = 74;
pub const EX_CONFIG: u8 = 78;

/// Loads the config (secrets included) or prints why not. Warnings go to stderr.
pub fn load_config(path: &Path) -> Result<Config, u8> {
    match crate::config::load(path) {
        Ok(loaded) => {
            for w in &loaded.warnings {
                eprintln!("warning: {w}");
            }
            Ok(loaded.config)
        }
        Err(e) => {
            print_config_errors(&e);
            Err(EX_CONFIG)
        }
    }
}

/// Every problem of a configuration, one `error:` line each, and how many there are.
fn print_config_errors(e: &crate::config::ConfigError) {
    let problems = e.problems();
    for p in &problems {
        eprintln!("error: {p}");
    }
    if problems.len() > 1 {
        eprintln!("{} problems in the configuration", problems.len());
    }
}

/// Loads the config without its secrets, for commands that only work on the buffer (`status`,
/// `replay`), or prints why not. Warnings go to stderr.
pub fn load_local_config(path: &Path) -> Result<LocalConfig, u8> {
    match crate::config::load_local(path) {
        Ok(loaded) => {
            for w in &loaded.warnings {
                eprintln!("warning: {w}");
            }
            Ok(loaded.config)
        }
        Err(e) => {
            print_config_errors(&e);
            Err(EX_CONFIG)
        }
    }
}
