//! `wfm-connector sim acd`: its command line ([`SimAcdArgs`]: each flag declared once, with its
//! default), how the flags become [`SimAcdOptions`] (also the defaults of tests and benchmarks,
//! through `SimAcdOptions::default`), and the foreground run until Ctrl-C or SIGTERM
//! ([`run_cli`]). `cmd::sim` turns its result into an exit code.

use super::{
    Faults, Outage, OutageKind, PushFaults, PushOptions, SimAcdOptions, SimMode, millis, sid,
};
use crate::clock::{Clock, SystemClock};
use crate::secret::Secret;
use crate::sim::cli::{
    FAULTS, SimRunError, default_is_no_flags, parse_duration, parse_rate, parse_secret,
};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// `wfm-connector sim acd`: a TaskRouter-compatible server running a synthetic contact centre.
#[derive(clap::Args, Debug, Clone)]
pub struct SimAcdArgs {
    /// Address to listen on (give the connector `[acd] base_url = "http://<this>"`).
    #[arg(long, default_value = "127.0.0.1:8086")]
    pub listen: SocketAddr,
    /// Number of agents (agent0001, agent0002…).
    #[arg(long, default_value_t = 50)]
    pub agents: u32,
    /// Seeds the centre and every sid: the same seed plays the same day.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Mean task arrival rate.
    #[arg(long, default_value_t = 600.0, value_parser = parse_rate)]
    pub tasks_per_hour: f64,
    /// Workspace sid (default: derived from the seed).
    #[arg(long)]
    pub workspace_sid: Option<String>,
    /// Basic-auth user the server accepts (default: an `SK…` sid derived from the seed).
    #[arg(long)]
    pub username: Option<String>,
    /// Basic-auth password the server accepts.
    #[arg(long, default_value = "sim-acd-secret", value_parser = parse_secret)]
    pub password: Secret,
    /// Generate this much contact-centre history before serving (e.g. `10m`).
    #[arg(long, default_value = "0s", value_parser = parse_duration)]
    pub history: Duration,
    // Boxed: the faults would make this the one huge variant of the CLI's command enum.
    #[command(flatten)]
    pub faults: Box<Faults>,
    /// Start with an outage that ends by itself after this long (e.g. `30s`).
    #[arg(help_heading = FAULTS, long, value_parser = parse_duration)]
    pub outage: Option<Duration>,
    /// During `--outage`, refuse connections instead of answering 503.
    #[arg(help_heading = FAULTS, long, requires = "outage")]
    pub outage_refuse: bool,
    #[command(flatten)]
    pub push: Box<SimAcdPushArgs>,
}

/// Pushing every event to the connector's webhook, as Twilio Event Streams does.
#[derive(clap::Args, Debug, Clone)]
pub struct SimAcdPushArgs {
    /// Also push every new event to this webhook, as Twilio Event Streams does (the connector's
    /// `[webhook] public_url`, e.g. `http://127.0.0.1:9465/twilio/events`).
    #[arg(long, requires = "webhook_token")]
    pub webhook_url: Option<String>,
    /// The Auth Token the pushes are signed with (the connector's `[webhook] auth_token`).
    #[arg(long, requires = "webhook_url", value_parser = parse_secret)]
    pub webhook_token: Option<Secret>,
    /// How long an undelivered push is retried before it is given up (Twilio: 4h).
    #[arg(long, default_value = "4h", value_parser = parse_duration)]
    pub push_retry_for: Duration,
    #[command(flatten)]
    pub faults: PushFaults,
}

default_is_no_flags!(SimAcdArgs, SimAcdPushArgs);

impl SimAcdArgs {
    /// The simulator these flags describe: a centre on the system clock. The settings no flag
    /// reaches (queues, tick, retention, request log) are declared here.
    pub fn into_options(self) -> SimAcdOptions {
        let seed = self.seed;
        let mut faults = *self.faults;
        faults.outage = self.outage.map(|d| Outage {
            kind: if self.outage_refuse {
                OutageKind::ConnectionRefused
            } else {
                OutageKind::ServiceUnavailable
            },
            // The simulator judges the window on the system clock, as it runs on it.
            until_ms: Some(SystemClock.now_ms().saturating_add(millis(d))),
        });
        SimAcdOptions {
            listen: self.listen,
            mode: SimMode::Centre,
            account_sid: sid::sid(sid::ACCOUNT, seed, 0),
            workspace_sid: self
                .workspace_sid
                .unwrap_or_else(|| sid::sid(sid::WORKSPACE, seed, 0)),
            username: self
                .username
                .unwrap_or_else(|| sid::sid(sid::API_KEY, seed, 0)),
            password: self.password.expose().to_owned(),
            agents: self.agents,
            queues: vec!["Support".into(), "Sales".into(), "Billing".into()],
            seed,
            tasks_per_hour: self.tasks_per_hour,
            history: self.history,
            tick: Duration::from_millis(200),
            retention: Duration::from_secs(30 * 24 * 3600),
            faults,
            clock: Arc::new(SystemClock),
            request_log_capacity: 100_000,
            push: self.push.into_options(),
        }
    }
}

impl SimAcdPushArgs {
    /// `None` unless `--webhook-url` (with its token) is given.
    pub fn into_options(self) -> Option<PushOptions> {
        let (url, token) = (self.webhook_url?, self.webhook_token?);
        Some(PushOptions {
            retry_for: self.push_retry_for,
            faults: self.faults,
            ..PushOptions::new(&url, token.expose())
        })
    }
}

/// Runs the centre until Ctrl-C or SIGTERM, after printing where it listens and how to log in.
pub async fn run_cli(args: SimAcdArgs) -> Result<(), SimRunError> {
    let listen = args.listen;
    let opts = args.into_options();
    let sim = super::start(opts.clone())
        .await
        .map_err(|error| SimRunError::Listen {
            sim: "sim acd",
            addr: listen,
            error,
        })?;
    println!(
        "sim acd: TaskRouter simulator listening on {}",
        sim.base_url()
    );
    println!("  [acd] base_url      = \"{}\"", sim.base_url());
    println!("  [acd] workspace_sid = \"{}\"", opts.workspace_sid);
    println!("  [acd] username      = \"{}\"", opts.username);
    println!("  [acd] password      = \"{}\"", opts.password);
    if let Some(push) = &opts.push {
        println!(
            "  pushing every new event to {} (as Twilio Event Streams, signed with the token given)",
            push.url
        );
    }
    println!(
        "  {} agents, {} tasks/hour, seed {}; Ctrl-C to stop",
        opts.agents, opts.tasks_per_hour, opts.seed
    );
    wait_for_stop().await?;
    sim.shutdown().await;
    Ok(())
}

/// Ctrl-C or SIGTERM (the crate runs on Unix only, as the demo and the daemon do).
async fn wait_for_stop() -> Result<(), SimRunError> {
    use tokio::signal::unix::{SignalKind, signal};
    let failed = |signal| {
        move |error| SimRunError::Signal {
            sim: "sim acd",
            signal,
            error,
        }
    };
    let mut term = signal(SignalKind::terminate()).map_err(failed("SIGTERM"))?;
    tokio::select! {
        result = tokio::signal::ctrl_c() => result.map_err(failed("Ctrl-C")),
        _ = term.recv() => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: SimAcdArgs,
    }

    #[test]
    fn acd_fault_flags_become_simulator_faults() {
        let cli = Cli::try_parse_from([
            "sim-acd",
            "--429-rate",
            "0.1",
            "--retry-after",
            "3s",
            "--latency",
            "250ms",
            "--late-rate",
            "0.2",
            "--late-by",
            "8s",
            "--outage",
            "30s",
            "--outage-refuse",
        ])
        .unwrap();
        let opts = cli.args.into_options();
        assert_eq!(opts.faults.rate_limit_rate, 0.1);
        assert_eq!(opts.faults.retry_after_secs, 3);
        assert_eq!(opts.faults.latency, Duration::from_millis(250));
        assert_eq!(opts.faults.late_event_rate, 0.2);
        assert_eq!(opts.faults.late_by, Duration::from_secs(8));
        let outage = opts.faults.outage.unwrap();
        assert_eq!(outage.kind, OutageKind::ConnectionRefused);
        assert!(outage.until_ms.unwrap() > SystemClock.now_ms());
    }

    #[test]
    fn nonsense_values_are_usage_errors() {
        for bad in [
            &["x", "--error-rate", "1.5"][..],
            &["x", "--retry-after", "1500ms"],
            &["x", "--tasks-per-hour", "-3"],
            &["x", "--latency", "soon"],
        ] {
            assert!(Cli::try_parse_from(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn push_flags_become_push_options() {
        let cli = Cli::try_parse_from([
            "x",
            "--webhook-url",
            "http://127.0.0.1:9465/twilio/events",
            "--webhook-token",
            "tok",
            "--push-duplicate-rate",
            "0.5",
            "--push-retry-for",
            "0s",
        ])
        .unwrap();
        let opts = cli.args.push.into_options().unwrap();
        assert_eq!(opts.url, "http://127.0.0.1:9465/twilio/events");
        assert_eq!(opts.auth_token.expose(), "tok");
        assert_eq!(opts.faults.duplicate_rate, 0.5);
        assert_eq!(opts.retry_for, Duration::ZERO);
        let off = Cli::try_parse_from(["x"]).unwrap();
        assert!(off.args.push.into_options().is_none());
        assert!(Cli::try_parse_from(["x", "--webhook-url", "http://h/x"]).is_err());
        assert!(Cli::try_parse_from(["x", "--push-drop-rate", "2"]).is_err());
    }
}
