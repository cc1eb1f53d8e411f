//! `wfm-connector sim wfm`: runs the simulator in the foreground, prints one line per request, and
//! stops on Ctrl-C. `main.rs` builds [`SimWfmCliArgs`] from its command line.

use super::{BadAnswer, Fault, SimWfmHandle, SimWfmOptions, start};
use crate::clock::rfc3339_ms;
use crate::secret::Secret;
use anyhow::{Context, bail};
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;
use tokio::time::Instant;

/// The command line of `sim wfm`: where to listen, the credentials to accept, the faults to play.
#[derive(Debug, Clone)]
pub struct SimWfmCliArgs {
    pub listen: SocketAddr,
    pub tenant_name: String,
    pub access_key_id: String,
    pub access_key_secret: Secret,
    pub token_lifetime: Duration,
    /// Most agent states per non-snapshot batch.
    pub max_batch: usize,
    /// Also log every agent state.
    pub verbose: bool,
    /// Answer the first `fail_count` data calls with this status (401, 403, 404, 408, 429, 5xx).
    pub fail_status: Option<u16>,
    pub fail_count: usize,
    /// `Retry-After` seconds sent with `fail_status`.
    pub retry_after_sec: Option<u64>,
    /// Fraction (0.0–1.0) of data calls answered `503` at random, for the whole run.
    pub error_rate: f64,
    /// Delay before every answer.
    pub latency: Duration,
    /// Answer the first `partial_count` data calls `PARTIAL`, rejecting these item indexes.
    pub partial_indexes: Vec<usize>,
    pub partial_count: usize,
    /// Answer the first `reject_count` data calls `400 REJECTED`.
    pub reject_count: usize,
    /// Answer the first `bad_answer_count` data calls with a `200` that is not a delivery.
    pub bad_answer: Option<BadAnswer>,
    pub bad_answer_count: usize,
    /// Go down every `outage_every` for `outage_duration`.
    pub outage_every: Option<Duration>,
    pub outage_duration: Duration,
    /// During outages close the port (connection refused) instead of answering `503`.
    pub outage_refuse_connections: bool,
}

impl Default for SimWfmCliArgs {
    fn default() -> Self {
        let defaults = SimWfmOptions::default();
        SimWfmCliArgs {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 9480)),
            tenant_name: defaults.tenant_name,
            access_key_id: defaults.access_key_id,
            access_key_secret: defaults.access_key_secret,
            token_lifetime: defaults.token_lifetime,
            max_batch: defaults.max_batch,
            verbose: false,
            fail_status: None,
            fail_count: 0,
            retry_after_sec: None,
            error_rate: 0.0,
            latency: Duration::ZERO,
            partial_indexes: Vec::new(),
            partial_count: 0,
            reject_count: 0,
            bad_answer: None,
            bad_answer_count: 0,
            outage_every: None,
            outage_duration: Duration::from_secs(30),
            outage_refuse_connections: false,
        }
    }
}

impl SimWfmCliArgs {
    /// The faults set at start-up (outage windows are played by the run loop).
    fn faults(&self) -> anyhow::Result<Vec<Fault>> {
        let mut faults = Vec::new();
        if let Some(status) = self.fail_status {
            if !(400..=599).contains(&status) {
                bail!("--fail-status {status}: give an HTTP error status, 400 to 599");
            }
            let mut fault = Fault::status(status, self.fail_count);
            if let Some(secs) = self.retry_after_sec {
                fault = fault.with_retry_after(secs);
            }
            faults.push(fault);
        }
        if !(0.0..=1.0).contains(&self.error_rate) {
            bail!(
                "--error-rate {}: give a fraction between 0 and 1",
                self.error_rate
            );
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
            bail!("outage duration must be shorter than the time between outages, and not zero");
        }
        Ok(faults)
    }
}

/// Runs the simulator until Ctrl-C, printing a line per request.
pub async fn run_cli(args: SimWfmCliArgs) -> anyhow::Result<()> {
    let faults = args.faults()?;
    let sim = start(SimWfmOptions {
        tenant_name: args.tenant_name.clone(),
        access_key_id: args.access_key_id.clone(),
        access_key_secret: args.access_key_secret.clone(),
        token_lifetime: args.token_lifetime,
        max_batch: args.max_batch,
        listen: args.listen,
        verbose: args.verbose,
        ..SimWfmOptions::default()
    })
    .await
    .with_context(|| format!("sim wfm: cannot listen on {}", args.listen))?;
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
    let mut outages = OutageWindows::new(&args);
    let mut ctrl_c = std::pin::pin!(tokio::signal::ctrl_c());
    loop {
        tokio::select! {
            signal = &mut ctrl_c => {
                signal.context("sim wfm: cannot listen for Ctrl-C")?;
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
    fn new(args: &SimWfmCliArgs) -> Self {
        let up = args
            .outage_every
            .map(|every| every.saturating_sub(args.outage_duration))
            .unwrap_or_default();
        OutageWindows {
            every: args.outage_every,
            duration: args.outage_duration,
            refuse: args.outage_refuse_connections,
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

    #[test]
    fn fault_knobs_become_faults() {
        let args = SimWfmCliArgs {
            fail_status: Some(429),
            fail_count: 3,
            retry_after_sec: Some(5),
            reject_count: 1,
            bad_answer: Some(BadAnswer::EmptyObject),
            bad_answer_count: 4,
            ..SimWfmCliArgs::default()
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
        let bad_status = SimWfmCliArgs {
            fail_status: Some(200),
            ..SimWfmCliArgs::default()
        };
        assert!(bad_status.faults().is_err());
        let bad_rate = SimWfmCliArgs {
            error_rate: 1.5,
            ..SimWfmCliArgs::default()
        };
        assert!(bad_rate.faults().is_err());
        let endless_outage = SimWfmCliArgs {
            outage_every: Some(Duration::from_secs(10)),
            outage_duration: Duration::from_secs(10),
            ..SimWfmCliArgs::default()
        };
        assert!(endless_outage.faults().is_err());
    }
}
