//! `replay --from --to [--reports] [--dead-letters]`: re-queue what WFM should get again.

use super::{EX_IOERR, EX_OK, EX_USAGE, load_config};
use crate::store::Store;
use std::path::Path;

pub async fn replay(
    path: &Path,
    from: Option<String>,
    to: Option<String>,
    reports: bool,
    dead_letters: bool,
) -> u8 {
    let config = match load_config(path) {
        Ok(c) => c,
        Err(code) => return code,
    };
    if !reports && !dead_letters {
        eprintln!("error: replay needs --reports (with --from and --to) and/or --dead-letters");
        return EX_USAGE;
    }
    let mut store = match Store::open(&config.buffer.path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return EX_IOERR;
        }
    };
    if dead_letters {
        match store.requeue_dead_letters(chrono::Utc::now().timestamp_millis()) {
            Ok(n) => println!("re-queued {n} dead letters"),
            Err(e) => {
                eprintln!("error: {e}");
                return EX_IOERR;
            }
        }
    }
    if reports {
        let _ = (from, to);
        eprintln!("error: report replay is not available yet");
        return EX_USAGE;
    }
    EX_OK
}
