//! `demo`: the whole chain on loopback in one process, so a newcomer sees it work with one
//! command (SPEC §9): `sim acd` runs a synthetic contact centre, the real connector polls it into a
//! temporary buffer and delivers to `sim wfm`, with 1-minute reports so something arrives soon.
//!
//! The centre opens [`HISTORY`] before the demo starts and the connector's cursor is set to that
//! moment, so the connector starts behind and catches up, as after an outage: the first reports
//! cover minutes of work, and every agent's work in hand is known from the start.
//!
//! What it prints comes from the WFM side: every ~500 ms it reads what `sim wfm` accepted since
//! the last look ([`Feed`], `demo/feed.rs`) — agent states (RTA), snapshots, reports, heartbeats —
//! and once a minute (sooner when a dead letter appears) one summary line from the buffer
//! (`demo/summary.rs`). The connector logs at `warn` only.

mod feed;
mod summary;

use super::{EX_IOERR, EX_OK, EX_SOFTWARE, init_logging};
use crate::clock::{Clock, SystemClock};
use crate::config::{Config, LogFormat};
use crate::daemon::{self, Shared};
use crate::model::Millis;
use crate::secret::Secret;
use crate::shutdown::{Shutdown, ShutdownTrigger};
use crate::sim::acd::{SimAcdHandle, SimAcdOptions};
use crate::sim::cli::{parse_duration, parse_rate};
use crate::sim::wfm::{SimWfmHandle, SimWfmOptions};
use feed::{Feed, clock_now};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use summary::{SUMMARY_CHECK, SummaryPacer, Totals};

/// The centre opened this long before the demo starts; the connector catches up on it.
const HISTORY: Duration = Duration::from_secs(5 * 60);
const POLL_INTERVAL: Duration = Duration::from_secs(1);
const REPORT_INTERVAL: Duration = Duration::from_secs(60);
const SETTLE_DELAY: Duration = Duration::from_secs(5);
/// As long as the history: older intervals would only be empty reports from before the centre.
const RESEND_WINDOW: Duration = Duration::from_secs(5 * 60);
const RETENTION: Duration = Duration::from_secs(24 * 3600);
/// States that started up to this long before the connector did are listed, not folded into the
/// catch-up line.
const LIVE_SLACK: Duration = Duration::from_secs(5);
/// How often the WFM record is read for new lines.
const WATCH_EVERY: Duration = Duration::from_millis(500);
/// How long the connector may take to stop (SPEC §8 asks for 10 s).
const STOP_GRACE: Duration = Duration::from_secs(10);

/// `wfm-connector demo`.
#[derive(clap::Args, Debug)]
pub struct DemoArgs {
    /// Number of simulated agents.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..))]
    pub agents: u32,
    /// Seeds the simulated contact centre: the same seed plays the same day.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Mean task arrival rate. The default keeps 20 agents busy with few abandons; more agents are
    /// needed for a higher rate to show more than abandoned contacts.
    #[arg(long, default_value_t = 300.0, value_parser = parse_rate)]
    pub tasks_per_hour: f64,
    /// Stop after this long (e.g. `90s`); default: run until Ctrl-C.
    #[arg(long, value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// Print only the summary lines.
    #[arg(long)]
    pub quiet: bool,
}

pub async fn demo(args: DemoArgs) -> u8 {
    init_logging(LogFormat::Text, "warn");
    // Declared first, so it is dropped (and the directory removed) after everything that uses it.
    let buffer = match TempBuffer::create() {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: demo: cannot create a temporary buffer directory: {e}");
            return EX_IOERR;
        }
    };
    let chain = match Chain::start(&args, &buffer.db).await {
        Ok(c) => c,
        Err(code) => return code,
    };
    chain.print_banner(&args, &buffer.db);
    chain.run(&args, &buffer.db).await
}

/// Everything the demo runs: both simulators and the connector (not started yet).
struct Chain {
    acd: SimAcdHandle,
    wfm: SimWfmHandle,
    shared: Shared,
    trigger: ShutdownTrigger,
    shutdown: Shutdown,
    admin_url: Option<String>,
    queues: String,
}

impl Chain {
    /// Starts the simulators and the admin endpoint, and prepares the connector's config and
    /// buffer. An error is printed; the exit code is returned.
    async fn start(args: &DemoArgs, db: &Path) -> Result<Chain, u8> {
        let opened_ms = SystemClock.now_ms() - millis(HISTORY);
        // The push path (SPEC §12): sim acd pushes as Twilio Event Streams, RTA in a blink.
        let webhook = demo_webhook();
        let acd_opts = SimAcdOptions {
            agents: args.agents,
            seed: args.seed,
            tasks_per_hour: args.tasks_per_hour,
            history: HISTORY,
            push: webhook
                .as_ref()
                .map(|w| crate::sim::acd::PushOptions::new(&w.public_url, w.auth_token.expose())),
            ..SimAcdOptions::default()
        };
        let queues = acd_opts.queues.join(", ");
        let acd = crate::sim::acd::start(acd_opts)
            .await
            .map_err(|e| software(format!("demo: cannot start the ACD simulator: {e}")))?;
        let wfm_opts = SimWfmOptions::default();
        let wfm = crate::sim::wfm::start(wfm_opts.clone())
            .await
            .map_err(|e| software(format!("demo: cannot start the WFM simulator: {e}")))?;

        let mut config = Config::for_loopback(&acd.base_url(), &wfm.base_url(), db);
        config.acd.workspace_sid = acd.workspace_sid();
        config.acd.username = acd.username();
        config.acd.password = Secret::new(acd.password());
        config.acd.poll_interval = POLL_INTERVAL;
        config.wfm.tenant_name = wfm_opts.tenant_name;
        config.wfm.access_key_id = wfm_opts.access_key_id;
        config.wfm.access_key_secret = wfm_opts.access_key_secret;
        config.reports.interval = REPORT_INTERVAL;
        config.reports.settle_delay = SETTLE_DELAY;
        config.reports.resend_window = RESEND_WINDOW;
        config.buffer.retention = RETENTION;
        config.webhook = webhook;
        // The admin endpoint is a bonus here: without a port the demo runs without it.
        let admin = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.ok();
        config.admin.listen = admin.as_ref().and_then(|l| l.local_addr().ok());

        if let Err(e) = start_cursor_at(db, opened_ms).await {
            eprintln!(
                "error: demo: cannot prepare the buffer {}: {e}",
                db.display()
            );
            return Err(EX_IOERR);
        }
        let (trigger, shutdown) = crate::shutdown::channel();
        let shared = Shared::new(config, Arc::new(SystemClock));
        let admin_url = shared.config.admin.listen.map(|a| format!("http://{a}"));
        if let Some(listener) = admin {
            tokio::spawn(crate::admin::serve(
                listener,
                shared.clone(),
                trigger.subscribe(),
            ));
        }
        Ok(Chain {
            acd,
            wfm,
            shared,
            trigger,
            shutdown,
            admin_url,
            queues,
        })
    }

    /// What runs where, and how to read what follows.
    fn print_banner(&self, args: &DemoArgs, db: &Path) {
        println!(
            "wfm-connector demo: a simulated Twilio contact centre feeds a simulated CXone WFM"
        );
        println!("through the real connector, all on this machine.\n");
        println!("  ACD  (sim acd)  {}", self.acd.base_url());
        println!(
            "                  {} agents, ~{} tasks/hour on queues {}, seed {}",
            args.agents, args.tasks_per_hour, self.queues, args.seed
        );
        println!("  WFM  (sim wfm)  {}", self.wfm.base_url());
        println!(
            "  connector       polls every 1 s; 1-minute reports, built 5 s after each minute;"
        );
        println!("                  it starts 5 minutes behind the centre and catches up");
        println!("  buffer          {} (removed on exit)", db.display());
        if let Some(url) = &self.admin_url {
            println!("  admin           {url}/metrics  {url}/readyz");
        }
        println!("\nEach line is something WFM accepted, stamped when it arrived (times UTC):");
        println!("  RTA        an agent's new state (real-time adherence), and when it began");
        println!("  SNAPSHOT   every agent's state at once (at start-up, then every 15 minutes)");
        println!("  REPORT     the agent activity and queue reports of one interval; a changed");
        println!("             interval is sent again with the next revision (rev)");
        println!("  HEARTBEAT  the connector's health, every minute");
        println!("  SUMMARY    once a minute: what the buffer holds and what WFM has accepted");
        match args.duration {
            Some(d) => println!(
                "\nStops after {}, or on Ctrl-C.\n",
                humantime::format_duration(d)
            ),
            None => println!("\nCtrl-C to stop.\n"),
        }
    }

    /// Runs the connector and prints the feed until the duration is over, Ctrl-C or SIGTERM;
    /// then stops everything and prints the totals.
    async fn run(self, args: &DemoArgs, db: &Path) -> u8 {
        let Chain {
            acd,
            wfm,
            shared,
            trigger,
            shutdown,
            ..
        } = self;
        let started = Instant::now();
        let mut daemon_task = tokio::spawn(daemon::run(shared, shutdown));
        // A state that started a moment before is still news; older ones are the catch-up.
        let mut feed = Feed::new(SystemClock.now_ms() - millis(LIVE_SLACK));
        let mut watch = tokio::time::interval(WATCH_EVERY);
        let first_check = tokio::time::Instant::now() + SUMMARY_CHECK;
        let mut summary = tokio::time::interval_at(first_check, SUMMARY_CHECK);
        let mut pacer = SummaryPacer::new(Instant::now());
        let deadline = async {
            match args.duration {
                Some(d) => tokio::time::sleep(d).await,
                None => std::future::pending().await,
            }
        };
        // Made once: a signal that arrives while a line is printed is not lost.
        let stop = stop_signal();
        tokio::pin!(deadline, stop);
        let mut code = EX_OK;
        let why = loop {
            tokio::select! {
                _ = watch.tick() => print_lines(wfm.inspect(|r| feed.collect(r, args.quiet))),
                _ = summary.tick() => {
                    let totals = Totals::read(&wfm, db).await;
                    if pacer.due(Instant::now(), totals.alarm()) {
                        println!("{} SUMMARY   {totals}", clock_now());
                    }
                }
                () = &mut deadline => break "the duration is over",
                () = &mut stop => break "stopped",
                joined = &mut daemon_task => {
                    match joined {
                        Ok(Ok(())) => eprintln!("error: demo: the connector stopped by itself"),
                        Ok(Err(e)) => eprintln!("error: demo: the connector failed: {e}"),
                        Err(e) => eprintln!("error: demo: the connector crashed: {e}"),
                    }
                    code = EX_IOERR;
                    break "the connector stopped";
                }
            }
        };
        trigger.trigger();
        if !daemon_task.is_finished()
            && tokio::time::timeout(STOP_GRACE, &mut daemon_task)
                .await
                .is_err()
        {
            eprintln!("warning: demo: the connector took too long to stop");
            daemon_task.abort();
        }
        print_lines(wfm.inspect(|r| feed.collect(r, args.quiet)));
        let totals = Totals::read(&wfm, db).await;
        let ran = Duration::from_secs(started.elapsed().as_secs());
        println!(
            "\nDemo over after {} ({why}). In total: {totals}.",
            humantime::format_duration(ran)
        );
        acd.shutdown().await;
        wfm.shutdown().await;
        code
    }
}

/// `[webhook]` on a free loopback port (none free: the demo polls only).
fn demo_webhook() -> Option<crate::config::WebhookConfig> {
    let listen = std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .ok()?;
    Some(crate::config::WebhookConfig {
        listen,
        public_url: format!("http://{listen}/twilio/events"),
        path: "/twilio/events".into(),
        auth_token: Secret::new("demo-auth-token"),
        auth_token_file: None,
    })
}

/// Sets the connector's ACD cursor to `at_ms` in a fresh buffer: its first poll then reads the
/// events since then, as a connector that was away since that moment would.
async fn start_cursor_at(db: &Path, at_ms: Millis) -> Result<(), String> {
    let db = db.to_path_buf();
    tokio::task::spawn_blocking(move || {
        crate::store::Store::open(&db)
            .and_then(|s| s.set_cursor(at_ms))
            .map_err(|e| e.to_string())
    })
    .await
    .unwrap_or_else(|e| Err(e.to_string()))
}

fn millis(d: Duration) -> Millis {
    Millis::try_from(d.as_millis()).unwrap_or(Millis::MAX)
}

fn software(message: String) -> u8 {
    eprintln!("error: {message}");
    EX_SOFTWARE
}

fn print_lines(lines: Vec<String>) {
    for line in lines {
        println!("{line}");
    }
}

/// Ctrl-C or SIGTERM. If neither can be listened for, only `--duration` stops the demo.
async fn stop_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let Ok(mut term) = signal(SignalKind::terminate()) else {
        return std::future::pending().await;
    };
    tokio::select! {
        result = tokio::signal::ctrl_c() => if result.is_err() { std::future::pending::<()>().await },
        _ = term.recv() => {}
    }
}

/// A fresh directory under the system temp dir holding the demo's buffer; removed on drop.
struct TempBuffer {
    dir: PathBuf,
    db: PathBuf,
}

impl TempBuffer {
    fn create() -> std::io::Result<TempBuffer> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = std::env::temp_dir().join(format!(
            "wfm-connector-demo-{}-{nanos:09}",
            std::process::id()
        ));
        // `create_dir`, not `create_dir_all`: never reuse somebody else's directory.
        std::fs::create_dir(&dir)?;
        let db = dir.join("buffer.db");
        Ok(TempBuffer { dir, db })
    }
}

impl Drop for TempBuffer {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_dir_all(&self.dir) {
            eprintln!("warning: demo: cannot remove {}: {e}", self.dir.display());
        }
    }
}
