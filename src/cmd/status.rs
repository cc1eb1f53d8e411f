//! `status [--json]`: what the buffer holds, read straight from the file (works while the daemon
//! runs: WAL lets readers in). The config is loaded without the secrets, which an operator's shell
//! may not have (systemd credentials).

use super::{EX_IOERR, EX_OK, load_local_config};
use crate::clock::rfc3339_ms;
use crate::store::Store;
use std::path::Path;

pub fn status(path: &Path, json: bool) -> u8 {
    let config = match load_local_config(path) {
        Ok(c) => c,
        Err(code) => return code,
    };
    if !config.buffer.path.exists() {
        eprintln!(
            "error: [buffer] path: {} does not exist (the connector has not run yet?)",
            config.buffer.path.display()
        );
        return EX_IOERR;
    }
    let s = match Store::open(&config.buffer.path).and_then(|s| s.status(50)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return EX_IOERR;
        }
    };
    if json {
        match serde_json::to_string_pretty(&s) {
            Ok(text) => println!("{text}"),
            Err(e) => {
                eprintln!("error: {e}");
                return EX_IOERR;
            }
        }
        return EX_OK;
    }
    let t = |ms: Option<i64>| ms.map(rfc3339_ms).unwrap_or_else(|| "never".into());
    println!("buffer           {}", config.buffer.path.display());
    println!("schema version   {}", s.schema_version);
    println!("ACD cursor       {}", t(s.cursor_ms));
    println!("last ACD poll    {}", t(s.last_poll_ms));
    println!("last WFM push    {}", t(s.last_push_ms));
    println!("last Twilio push {}", t(s.last_push_accepted_ms));
    println!("events in log    {}", s.events);
    println!("agents           {}", s.workers);
    println!(
        "pending states   {} (oldest queued {})",
        s.pending_states,
        t(s.oldest_pending_state_ms)
    );
    println!(
        "pending reports  {} (oldest queued {})",
        s.pending_reports,
        t(s.oldest_pending_report_ms)
    );
    for (kind, start, rev) in &s.last_reports {
        println!(
            "last report      {kind} {} revision {rev}",
            rfc3339_ms(*start)
        );
    }
    println!("dead letters     {}", s.dead_letter_count);
    for d in &s.dead_letters {
        println!(
            "  {} {} {} — {}",
            rfc3339_ms(d.created_ms),
            d.kind,
            d.item_id,
            d.error
        );
    }
    EX_OK
}
