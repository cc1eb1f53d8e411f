//! `replay --from --to --reports` and `replay --dead-letters`: re-queue what WFM should get again.
//! Works on the buffer file, also while the daemon runs: its report pusher picks the new
//! revisions up within a second. Nothing here talks to a peer, so the config is loaded without
//! the secrets (the daemon, which has them, does the sending).

use super::{EX_IOERR, EX_OK, EX_USAGE, load_local_config};
use crate::clock::{parse_rfc3339_ms, rfc3339_ms};
use crate::report::QueueReportSettings;
use crate::report::plan::{first_whole_interval, replay_range};
use crate::store::Store;
use std::path::Path;

pub async fn replay(
    path: &Path,
    from: Option<String>,
    to: Option<String>,
    reports: bool,
    dead_letters: bool,
) -> u8 {
    let config = match load_local_config(path) {
        Ok(c) => c,
        Err(code) => return code,
    };
    if !reports && !dead_letters {
        eprintln!("error: replay needs --reports (with --from and --to) and/or --dead-letters");
        return EX_USAGE;
    }
    let range = if reports {
        match parse_range(from.as_deref(), to.as_deref()) {
            Ok(r) => Some(r),
            Err(msg) => {
                eprintln!("error: {msg}");
                return EX_USAGE;
            }
        }
    } else {
        None
    };
    let mut store = match Store::open(&config.buffer.path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return EX_IOERR;
        }
    };
    let now = chrono::Utc::now().timestamp_millis();
    if dead_letters {
        match store.requeue_dead_letters(now) {
            Ok(n) => println!("re-queued {n} dead letters"),
            Err(e) => {
                eprintln!("error: {e}");
                return EX_IOERR;
            }
        }
    }
    if let Some((from, to)) = range {
        let interval_ms = config.reports.interval.as_millis() as i64;
        let observed = match store.observed_from() {
            Ok(o) => o,
            Err(e) => {
                eprintln!("error: {e}");
                return EX_IOERR;
            }
        };
        let Some(observed) = observed else {
            eprintln!(
                "error: replay --reports refused: this buffer has not polled TaskRouter yet, so it \
                 holds no observed history to report"
            );
            return EX_USAGE;
        };
        let first = first_whole_interval(observed, interval_ms);
        if to <= first {
            eprintln!(
                "error: replay --reports refused: {} .. {} lies before observed history, which \
                 begins at {} (the first whole interval is {}); the buffer saw nothing of it, and \
                 sending it would overwrite what WFM holds for that time with empty reports",
                rfc3339_ms(from),
                rfc3339_ms(to),
                rfc3339_ms(observed),
                rfc3339_ms(first)
            );
            return EX_USAGE;
        }
        let from = if from < first {
            eprintln!(
                "note: observed history begins at {}: replaying from {} (the first whole interval)",
                rfc3339_ms(observed),
                rfc3339_ms(first)
            );
            first
        } else {
            from
        };
        let settings = QueueReportSettings::from_config(&config.reports, &config.queues);
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} intervals {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        let result = replay_range(
            &mut store,
            &settings,
            interval_ms,
            from,
            to,
            now,
            |done, total| {
                bar.set_length(total as u64);
                bar.set_position(done as u64);
            },
        );
        bar.finish_and_clear();
        match result {
            Ok(n) => println!(
                "queued {n} reports for {} .. {} with new revisions",
                rfc3339_ms(from),
                rfc3339_ms(to)
            ),
            Err(e) => {
                eprintln!("error: {e}");
                return EX_IOERR;
            }
        }
    }
    EX_OK
}

fn parse_range(from: Option<&str>, to: Option<&str>) -> Result<(i64, i64), String> {
    let (Some(from), Some(to)) = (from, to) else {
        return Err(
            "replay --reports needs --from and --to (RFC 3339, e.g. 2026-11-20T08:00:00Z)".into(),
        );
    };
    let f =
        parse_rfc3339_ms(from).ok_or_else(|| format!("--from {from:?} is not an RFC 3339 time"))?;
    let t = parse_rfc3339_ms(to).ok_or_else(|| format!("--to {to:?} is not an RFC 3339 time"))?;
    if f >= t {
        return Err(format!("--from {from} must be before --to {to}"));
    }
    Ok((f, t))
}
