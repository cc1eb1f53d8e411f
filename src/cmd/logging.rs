//! The log subscriber: `RUST_LOG` wins over `[log] level`; no timestamps when stderr is the
//! journal (it stamps lines itself), no colours unless stderr is a terminal. Level and format can be changed while running
//! ([`reload_logging`], on SIGHUP): both sit behind `tracing_subscriber::reload` layers.

use crate::config::LogFormat;
use std::sync::OnceLock;
use tracing_subscriber::layer::{Layer, Layered, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Registry, reload};

type Filtered = Layered<reload::Layer<EnvFilter, Registry>, Registry>;
type Output = Box<dyn Layer<Filtered> + Send + Sync>;

/// What a reload can change, kept from the installation.
struct Handles {
    filter: reload::Handle<EnvFilter, Registry>,
    output: reload::Handle<Output, Filtered>,
    /// `RUST_LOG` was set: it keeps deciding the level.
    level_from_env: bool,
    journal: bool,
}

static HANDLES: OnceLock<Handles> = OnceLock::new();

/// Installs the log subscriber. Already installed (tests, the demo): the first one stays.
pub fn init_logging(format: LogFormat, level: &str) {
    let from_env = EnvFilter::try_from_default_env();
    let level_from_env = from_env.is_ok();
    let filter = from_env
        .or_else(|_| EnvFilter::try_new(level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let journal = std::env::var_os("JOURNAL_STREAM").is_some();
    let (filter_layer, filter) = reload::Layer::new(filter);
    let (output_layer, output) = reload::Layer::new(output(format, journal));
    let installed = tracing_subscriber::registry()
        .with(filter_layer)
        .with(output_layer)
        .try_init();
    if installed.is_ok() {
        let _ = HANDLES.set(Handles {
            filter,
            output,
            level_from_env,
            journal,
        });
    }
}

/// Applies a new `[log]` level and format to the running subscriber. Says why not when it cannot
/// (not installed by [`init_logging`]); a level is left as `RUST_LOG` set it, which is said too.
pub fn reload_logging(format: LogFormat, level: &str) -> Result<Option<&'static str>, String> {
    let Some(h) = HANDLES.get() else {
        return Err("the log subscriber was not installed by the connector".into());
    };
    h.output
        .reload(output(format, h.journal))
        .map_err(|e| e.to_string())?;
    if h.level_from_env {
        return Ok(Some("RUST_LOG is set and keeps deciding the log level"));
    }
    let filter = EnvFilter::try_new(level).map_err(|e| e.to_string())?;
    h.filter.reload(filter).map_err(|e| e.to_string())?;
    Ok(None)
}

fn output(format: LogFormat, journal: bool) -> Output {
    use std::io::IsTerminal;
    // Colours only for a person at a terminal: not in the journal or a log file.
    let base = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false);
    match (format, journal) {
        (LogFormat::Json, true) => Box::new(base.json().without_time()),
        (LogFormat::Json, false) => Box::new(base.json()),
        (LogFormat::Text, true) => Box::new(base.without_time()),
        (LogFormat::Text, false) => Box::new(base),
    }
}
