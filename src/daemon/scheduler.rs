//! The report scheduler: runs the report plan ([`crate::report::plan::run_due`]) once per
//! interval and whenever the poller says an interval boundary was polled past, then pokes the
//! report drain ([`super::report_pusher`]) when something was queued.
//!
//! `tokio-cron-scheduler` (UTC, 6-field cron) fires once per interval, `settle_delay` after it
//! closes; a plain timer backs it up, because no tick may be relied on.

use super::{Shared, SharedStore, blocking};
use crate::report::QueueReportSettings;
use crate::report::plan::{Schedule, run_due};
use crate::shutdown::Shutdown;
use std::time::Duration;
use tokio_cron_scheduler::{Job, JobScheduler};

/// The queue-report settings in force (a reload may change them).
pub fn settings(shared: &Shared) -> QueueReportSettings {
    let c = shared.current();
    QueueReportSettings::from_config(&c.reports, &c.queues)
}

/// Runs the scheduler until shutdown.
pub async fn run_scheduler(shared: Shared, store: SharedStore, mut shutdown: Shutdown) {
    let schedule = Schedule::from_config(&shared.config);
    let (tick_tx, mut tick_rx) = tokio::sync::mpsc::channel::<()>(4);
    let mut cron = start_cron(&schedule, tick_tx).await;
    let backstop = Duration::from_millis(schedule.interval_ms as u64);
    loop {
        let now = shared.clock.now_ms();
        let settings = settings(&shared);
        match blocking(&store, move |s| run_due(s, &settings, &schedule, now)).await {
            Ok(o) if o.reports_queued > 0 => {
                tracing::info!(
                    intervals = o.intervals_built,
                    queued = o.reports_queued,
                    "reports built"
                );
                shared.reports_ready.notify_one();
            }
            Ok(_) => {}
            Err(e) => {
                tracing::error!(error = %e, "building reports failed; will retry at the next run")
            }
        }
        tokio::select! {
            _ = tick_rx.recv() => {}
            _ = shared.reports_due.notified() => {}
            _ = tokio::time::sleep(backstop) => {}
            _ = shutdown.wait() => break,
        }
    }
    if let Some(c) = cron.as_mut() {
        let _ = c.shutdown().await;
    }
    tracing::info!("report scheduler stopped");
}

async fn start_cron(
    schedule: &Schedule,
    tick: tokio::sync::mpsc::Sender<()>,
) -> Option<JobScheduler> {
    let expr = schedule.cron();
    let sched = JobScheduler::new().await.ok()?;
    let job = Job::new_async(expr.as_str(), move |_id, _lock| {
        let tick = tick.clone();
        Box::pin(async move {
            // Full channel: a run is already due; dropping this tick loses nothing.
            let _ = tick.try_send(());
        })
    });
    match job {
        Ok(job) => {
            if sched.add(job).await.is_err() || sched.start().await.is_err() {
                tracing::warn!(cron = %expr, "cron scheduler did not start; the backstop timer runs reports");
                return None;
            }
            Some(sched)
        }
        Err(e) => {
            tracing::warn!(cron = %expr, error = %e, "bad cron expression; the backstop timer runs reports");
            None
        }
    }
}
