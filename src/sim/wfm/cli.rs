//! `wfm-connector sim wfm`: its command line ([`SimWfmArgs`]: each flag declared once, with its
//! default), how the flags become [`SimWfmOptions`] (also the defaults of tests and benchmarks,
//! through `SimWfmOptions::default`) and the faults set at start, and the foreground run: one line
//! per request until Ctrl-C ([`run_cli`]). `cmd::sim` turns its result into an exit code.

use super::{BadAnswer, Fault, SimWfmHandle, SimWfmOptions, start};
use crate::clock::{SystemClock, rfc3339_ms};
use crate::secret::Secret;
use crate::sim::cli::{
    FAULTS, SimRunError, default_is_no_flags, parse_duration, parse_fraction, parse_secret,
    parse_whole_seconds,
};
use clap::builder::RangedU64ValueParser;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// `wfm-connector sim wfm`: a CXone WFM server that validates and records what it receives.
#[derive(clap::Args, Debug, Clone)]
pub struct SimWfmArgs {
    /// Address to listen on (give the connector `[wfm] service_url = "http://<this>"`).
    #[arg(long, default_value = "127.0.0.1:9480")]
    pub listen: SocketAddr,
    /// The only tenant name accepted.
    #[arg(long, default_value = "tenant")]
    pub tenant_name: String,
    /// The only access key id accepted.
    #[arg(long, default_value = "key-id")]
    pub access_key_id: String,
    /// The only access key secret accepted.
    #[arg(long, default_value = "wfm-secret", value_parser = parse_secret)]
    pub access_key_secret: Secret,
    /// Lifetime of the access tokens issued (e.g. `2m` to watch refreshes).
    #[arg(long, default_value = "1h", value_parser = parse_duration)]
    pub token_lifetime: Duration,
    /// Most agent states accepted in one non-snapshot batch (as the connector's `wfm.batch_size`).
    #[arg(long, default_value_t = 500, value_parser = RangedU64ValueParser::<usize>::new().range(1..))]
    pub max_batch: usize,
    /// Log every agent state, not only one line per request.
    #[arg(long)]
    pub verbose: bool,
    // Boxed: the faults would make this the one huge variant of the CLI's command enum.
    #[command(flatten)]
    pub faults: Box<SimWfmFaultArgs>,
}

/// What `sim wfm` does wrong on purpose, from the start (tests set [`Fault`]s on the handle).
#[derive(clap::Args, Debug, Clone)]
pub struct SimWfmFaultArgs {
    /// Answer the first `--fail-count` data calls with this HTTP status (401, 403, 429, 503…).
    #[arg(help_heading = FAULTS, long, value_parser = clap::value_parser!(u16).range(400..=599))]
    pub fail_status: Option<u16>,
    /// How many data calls `--fail-status` answers.
    #[arg(help_heading = FAULTS, long, default_value_t = 1, requires = "fail_status")]
    pub fail_count: usize,
    /// `Retry-After` sent with `--fail-status`, in whole seconds (e.g. `5s`).
    #[arg(help_heading = FAULTS, long, value_parser = parse_whole_seconds, requires = "fail_status")]
    pub retry_after: Option<u64>,
    /// Fraction (0–1) of data calls answered 503 at random.
    #[arg(help_heading = FAULTS, long, default_value_t = 0.0, value_parser = parse_fraction)]
    pub error_rate: f64,
    /// Delay before every answer (e.g. `200ms`).
    #[arg(help_heading = FAULTS, long, default_value = "0s", value_parser = parse_duration)]
    pub latency: Duration,
    /// Answer the first N data calls `PARTIAL`, rejecting the items at `--partial-indexes`.
    #[arg(help_heading = FAULTS, long, default_value_t = 0)]
    pub partial_count: usize,
    /// Item indexes rejected by `--partial-count` answers (e.g. `0,3`).
    #[arg(help_heading = FAULTS, long, value_delimiter = ',', default_value = "0")]
    pub partial_indexes: Vec<usize>,
    /// Answer the first N data calls `400 REJECTED`.
    #[arg(help_heading = FAULTS, long, default_value_t = 0)]
    pub reject_count: usize,
    /// Answer the first `--bad-answer-count` data calls with a 200 that is not a delivery (nothing
    /// is recorded; the connector must send again).
    #[arg(help_heading = FAULTS, long, value_enum)]
    pub bad_answer: Option<BadAnswer>,
    /// How many data calls `--bad-answer` answers.
    #[arg(help_heading = FAULTS, long, default_value_t = 1, requires = "bad_answer")]
    pub bad_answer_count: usize,
    /// Go down every so often (e.g. `5m`)...
    #[arg(help_heading = FAULTS, long, value_parser = parse_duration)]
    pub outage_every: Option<Duration>,
    /// ...for this long (shorter than `--outage-every`).
    #[arg(help_heading = FAULTS, long, default_value = "30s", value_parser = parse_duration)]
    pub outage_duration: Duration,
    /// During outages refuse connections instead of answering 503.
    #[arg(help_heading = FAULTS, long)]
    pub outage_refuse: bool,
}

default_is_no_flags!(SimWfmArgs, SimWfmFaultArgs);

impl SimWfmArgs {
    /// The simulator these flags describe, on the system clock. The settings no flag reaches
    /// (refresh token lifetime, keeping every state) are declared here.
    pub fn options(&self) -> SimWfmOptions {
        SimWfmOptions {
            tenant_name: self.tenant_name.clone(),
            access_key_id: self.access_key_id.clone(),
            access_key_secret: self.access_key_secret.clone(),
            token_lifetime: self.token_lifetime,
            refresh_token_lifetime: Duration::from_secs(8 * 3600),
            max_batch: self.max_batch,
            clock: Arc::new(SystemClock),
            listen: self.listen,
            verbose: self.verbose,
            keep_states: true,
        }
    }
}

impl SimWfmFaultArgs {
    /// The faults set at start-up (outage windows are played by the run loop), or a usage message
    /// for values that make no sense (also when built in code, past the flag parsers).
    fn faults(&self) -> Result<Vec<Fault>, SimRunError> {
        let mut faults = Vec::new();
        if let Some(status) = self.fail_status {
            if !(400..=599).contains(&status) {
                return Err(SimRunError::Usage(format!(
                    "--fail-status {status}: give an HTTP error status, 400 to 599"
                )));
            }
            let mut fault = Fault::status(status, self.fail_count);
            if let Some(secs) = self.retry_after {
                fault = fault.with_retry_after(secs);
            }
            faults.push(fault);
        }
        if !(0.0..=1.0).contains(&self.error_rate) {
            return Err(SimRunError::Usage(format!(
                "--error-rate {}: give a fraction between 0 and 1",
                self.error_rate
            )));
        }
        if self.error_rate > 0.0 {
            faults.push(Fault::random_status(503, self.error_rate));
        }
        if !self.latency.is_zero() {
            faults.push(Fault::latency(self.latency));
        }
        if self.partial_count > 0 {
            faults.push(Fault::partial(
                self.partial_count,
                self.partial_indexes.clone(),
            ));
        }
        if self.reject_count > 0 {
            faults.push(Fault::rejected(self.reject_count));
        }
        if let Some(kind) = self.bad_answer
            && self.bad_answer_count > 0
        {
            faults.push(Fault::bad_answer(kind, self.bad_answer_count));
        }
        if let Some(every) = self.outage_every
            && (self.outage_duration.is_zero() || self.outage_duration >= every)
        {
            return Err(SimRunError::Usage(format!(
                "--outage-duration {} must be shorter than --outage-every {}, and not zero",
                humantime::format_duration(self.outage_duration),
                humantime::format_duration(every)
            )));
        }
        Ok(faults)
    }
}

/// Runs the simulator until Ctrl-C, printing a line per request.
pub async fn run_cli(args: SimWfmArgs) -> Result<(), SimRunError> {
    let faults = args.faults.faults()?;
    let sim = start(args.options())
        .await
        .map_err(|error| SimRunError::Listen {
            sim: "sim wfm",
            addr: args.listen,
            error,
        })?;
    for fault in faults {
        sim.set_fault(fault).await;
    }
    println!(
        "sim wfm: listening on {} (tenant {:?}, access key id {:?}); Ctrl-C to stop",
        sim.base_url(),
        args.tenant_name,
        args.access_key_id
    );

    let mut changes = sim.changes();
    let mut printed = 0;
    let mut outages = OutageWindows::new(&args.faults);
    let mut ctrl_c = std::pin::pin!(tokio::signal::ctrl_c());
    loop {
        tokio::select! {
            signal = &mut ctrl_c => {
                signal.map_err(|error| SimRunError::Signal { sim: "sim wfm", signal: "Ctrl-C", error })?;
                break;
            }
            changed = changes.changed() => {
                if changed.is_err() {
                    break;
                }
                printed = print_new_requests(&sim, printed);
            }
            () = outages.next_switch() => outages.switch(&sim).await,
        }
    }
    println!("sim wfm: stopping");
    sim.shutdown().await;
    Ok(())
}

/// Prints the request log from `from` on; returns the new length.
fn print_new_requests(sim: &SimWfmHandle, from: usize) -> usize {
    // Copy the lines out first: printing while holding the record would hold up the server.
    let (lines, len) = sim.inspect(|recorded| {
        let lines: Vec<String> = recorded.requests[from.min(recorded.requests.len())..]
            .iter()
            .map(|r| format!("{} {}", rfc3339_ms(r.clock_ms), r.summary))
            .collect();
        (lines, recorded.requests.len())
    });
    for line in lines {
        println!("{line}");
    }
    len
}

/// The outage schedule of the CLI: up for `every - duration`, then down for `duration`.
struct OutageWindows {
    every: Option<Duration>,
    duration: Duration,
    refuse: bool,
    down: bool,
    next: Instant,
}

impl OutageWindows {
    fn new(args: &SimWfmFaultArgs) -> Self {
        let up = args
            .outage_every
            .map(|every| every.saturating_sub(args.outage_duration))
            .unwrap_or_default();
        OutageWindows {
            every: args.outage_every,
            duration: args.outage_duration,
            refuse: args.outage_refuse,
            down: false,
            next: Instant::now() + up,
        }
    }

    /// Resolves at the next switch; never when there is no schedule.
    async fn next_switch(&self) {
        match self.every {
            Some(_) => tokio::time::sleep_until(self.next).await,
            None => std::future::pending().await,
        }
    }

    async fn switch(&mut self, sim: &SimWfmHandle) {
        let Some(every) = self.every else {
            return;
        };
        self.down = !self.down;
        if self.down {
            let fault = if self.refuse {
                Fault::connection_refused()
            } else {
                Fault::outage()
            };
            sim.set_fault(fault).await;
            println!("sim wfm: outage begins ({:?})", self.duration);
            self.next += self.duration;
        } else {
            sim.end_outage().await;
            println!("sim wfm: outage ends");
            self.next += every.saturating_sub(self.duration);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::wfm::FaultAction;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: SimWfmArgs,
    }

    #[test]
    fn fault_knobs_become_faults() {
        let args = SimWfmFaultArgs {
            fail_status: Some(429),
            fail_count: 3,
            retry_after: Some(5),
            reject_count: 1,
            bad_answer: Some(BadAnswer::EmptyObject),
            bad_answer_count: 4,
            ..SimWfmFaultArgs::default()
        };
        let faults = args.faults().unwrap();
        assert_eq!(faults.len(), 3);
        assert_eq!(
            faults[0].action,
            FaultAction::Status {
                status: 429,
                count: 3,
                retry_after_sec: Some(5)
            }
        );
        assert_eq!(faults[1].action, FaultAction::Rejected { count: 1 });
        assert_eq!(
            faults[2].action,
            FaultAction::BadAnswer {
                kind: BadAnswer::EmptyObject,
                count: 4
            }
        );
    }

    #[test]
    fn nonsense_knobs_are_refused() {
        let bad_status = SimWfmFaultArgs {
            fail_status: Some(200),
            ..SimWfmFaultArgs::default()
        };
        assert!(bad_status.faults().is_err());
        let bad_rate = SimWfmFaultArgs {
            error_rate: 1.5,
            ..SimWfmFaultArgs::default()
        };
        assert!(bad_rate.faults().is_err());
        let endless_outage = SimWfmFaultArgs {
            outage_every: Some(Duration::from_secs(10)),
            outage_duration: Duration::from_secs(10),
            ..SimWfmFaultArgs::default()
        };
        assert!(endless_outage.faults().is_err());
        assert!(Cli::try_parse_from(["x", "--fail-status", "200"]).is_err());
    }

    #[test]
    fn wfm_outage_must_be_shorter_than_its_period() {
        let cli = Cli::try_parse_from(["x", "--outage-every", "10s", "--outage-duration", "10s"])
            .unwrap();
        assert!(cli.args.faults.faults().is_err());
        let cli =
            Cli::try_parse_from(["x", "--fail-status", "429", "--retry-after", "5s"]).unwrap();
        let args = *cli.args.faults;
        assert_eq!((args.fail_status, args.fail_count), (Some(429), 1));
        assert_eq!(args.retry_after, Some(5));
    }
}
