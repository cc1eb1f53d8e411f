//! `sim acd` and `sim wfm`: the command lines of the two simulators (SPEC §9). Each flag maps onto
//! the simulator's own CLI arguments ([`SimAcdCliArgs`], [`SimWfmCliArgs`]); the simulators do
//! the rest (listen, print where, serve until Ctrl-C).
//!
//! Flags are checked here, so a nonsense value is a usage error (exit 64) naming the flag, before
//! anything listens. Secrets on the command line are fine: these are test servers.

mod push;

use super::{EX_CONFIG, EX_OK, EX_SOFTWARE, EX_USAGE};
use crate::clock::{Clock, SystemClock};
use crate::secret::Secret;
use crate::sim::acd::{Faults, MalformedKind, Outage, OutageKind, SimAcdCliArgs};
use crate::sim::wfm::{BadAnswer, SimWfmCliArgs};
use std::net::SocketAddr;
use std::time::Duration;

/// The help heading of the fault flags.
const FAULTS: &str = "Faults";

/// `wfm-connector sim acd`: a TaskRouter-compatible server running a synthetic contact centre.
#[derive(clap::Args, Debug)]
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
    /// Basic-auth password the server accepts (default `sim-acd-secret`).
    #[arg(long)]
    pub password: Option<String>,
    /// Generate this much contact-centre history before serving (e.g. `10m`).
    #[arg(long, default_value = "0s", value_parser = parse_duration)]
    pub history: Duration,
    // Boxed: the faults would make this the one huge variant of the CLI's command enum.
    #[command(flatten)]
    pub faults: Box<SimAcdFaultArgs>,
    #[command(flatten)]
    pub push: Box<push::SimAcdPushArgs>,
}

/// What `sim acd` does wrong on purpose.
#[derive(clap::Args, Debug)]
pub struct SimAcdFaultArgs {
    /// Fraction (0–1) of requests answered 500 or 503.
    #[arg(help_heading = FAULTS, long, default_value_t = 0.0, value_parser = parse_fraction)]
    pub error_rate: f64,
    /// Fraction (0–1) of requests answered 429 Too Many Requests.
    #[arg(help_heading = FAULTS, long = "429-rate", default_value_t = 0.0, value_parser = parse_fraction)]
    pub rate_limit_rate: f64,
    /// `Retry-After` sent with 429 answers, in whole seconds (e.g. `2s`).
    #[arg(help_heading = FAULTS, long, default_value = "1s", value_parser = parse_whole_seconds)]
    pub retry_after: u64,
    /// Delay added to every answer (e.g. `200ms`).
    #[arg(help_heading = FAULTS, long, default_value = "0s", value_parser = parse_duration)]
    pub latency: Duration,
    /// Fraction (0–1) of successful answers whose body is malformed.
    #[arg(help_heading = FAULTS, long, default_value_t = 0.0, value_parser = parse_fraction)]
    pub malformed_rate: f64,
    /// How malformed bodies are broken.
    #[arg(help_heading = FAULTS, long, value_enum, default_value = "truncated")]
    pub malformed_kind: MalformedKindArg,
    /// Fraction (0–1) of generated events whose `event_data` is junk.
    #[arg(help_heading = FAULTS, long, default_value_t = 0.0, value_parser = parse_fraction)]
    pub junk_rate: f64,
    /// Fraction (0–1) of generated events that show up late at the Events endpoint...
    #[arg(help_heading = FAULTS, long, default_value_t = 0.0, value_parser = parse_fraction)]
    pub late_rate: f64,
    /// ...by this much (e.g. `5s`).
    #[arg(help_heading = FAULTS, long, default_value = "5s", value_parser = parse_duration)]
    pub late_by: Duration,
    /// Start with an outage that ends by itself after this long (e.g. `30s`).
    #[arg(help_heading = FAULTS, long, value_parser = parse_duration)]
    pub outage: Option<Duration>,
    /// During `--outage`, refuse connections instead of answering 503.
    #[arg(help_heading = FAULTS, long, requires = "outage")]
    pub outage_refuse: bool,
}

/// How `--malformed-rate` breaks a body.
#[derive(clap::ValueEnum, Debug, Clone, Copy)]
pub enum MalformedKindArg {
    /// JSON cut in the middle.
    Truncated,
    /// Valid JSON with wrong types (the list a string, `next_page_url` a number).
    WrongTypes,
}

/// `wfm-connector sim wfm`: a CXone WFM server that validates and records what it receives.
#[derive(clap::Args, Debug)]
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
    #[arg(long, default_value = "wfm-secret")]
    pub access_key_secret: String,
    /// Lifetime of the access tokens issued (e.g. `2m` to watch refreshes).
    #[arg(long, default_value = "1h", value_parser = parse_duration)]
    pub token_lifetime: Duration,
    /// Most agent states accepted in one non-snapshot batch.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_batch: u64,
    /// Log every agent state, not only one line per request.
    #[arg(long)]
    pub verbose: bool,
    // Boxed: the faults would make this the one huge variant of the CLI's command enum.
    #[command(flatten)]
    pub faults: Box<SimWfmFaultArgs>,
}

/// What `sim wfm` does wrong on purpose.
#[derive(clap::Args, Debug)]
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

impl SimAcdArgs {
    fn into_cli_args(self) -> SimAcdCliArgs {
        let f = *self.faults;
        let outage = f.outage.map(|d| Outage {
            kind: if f.outage_refuse {
                OutageKind::ConnectionRefused
            } else {
                OutageKind::ServiceUnavailable
            },
            // The simulator judges the window on the system clock, as it runs on it.
            until_ms: Some(SystemClock.now_ms().saturating_add(millis(d))),
        });
        SimAcdCliArgs {
            listen: self.listen,
            agents: self.agents,
            seed: self.seed,
            tasks_per_hour: self.tasks_per_hour,
            workspace_sid: self.workspace_sid,
            username: self.username,
            password: self.password,
            history: self.history,
            push: self.push.into_options(),
            faults: Faults {
                error_rate: f.error_rate,
                rate_limit_rate: f.rate_limit_rate,
                retry_after_secs: u32::try_from(f.retry_after).unwrap_or(u32::MAX),
                latency: f.latency,
                malformed_rate: f.malformed_rate,
                malformed_kind: match f.malformed_kind {
                    MalformedKindArg::Truncated => MalformedKind::Truncated,
                    MalformedKindArg::WrongTypes => MalformedKind::WrongTypes,
                },
                junk_event_rate: f.junk_rate,
                late_event_rate: f.late_rate,
                late_by: f.late_by,
                outage,
                ..Faults::default()
            },
        }
    }
}

impl SimWfmArgs {
    /// The simulator's arguments, or a usage message for flags that only make sense together.
    fn into_cli_args(self) -> Result<SimWfmCliArgs, String> {
        let f = *self.faults;
        if let Some(every) = f.outage_every
            && (f.outage_duration.is_zero() || f.outage_duration >= every)
        {
            return Err(format!(
                "--outage-duration {} must be shorter than --outage-every {}, and not zero",
                humantime::format_duration(f.outage_duration),
                humantime::format_duration(every)
            ));
        }
        Ok(SimWfmCliArgs {
            listen: self.listen,
            tenant_name: self.tenant_name,
            access_key_id: self.access_key_id,
            access_key_secret: Secret::new(self.access_key_secret),
            token_lifetime: self.token_lifetime,
            max_batch: usize::try_from(self.max_batch).unwrap_or(usize::MAX),
            verbose: self.verbose,
            fail_status: f.fail_status,
            fail_count: if f.fail_status.is_some() {
                f.fail_count
            } else {
                0
            },
            retry_after_sec: f.retry_after,
            error_rate: f.error_rate,
            latency: f.latency,
            partial_indexes: f.partial_indexes,
            partial_count: f.partial_count,
            reject_count: f.reject_count,
            bad_answer: f.bad_answer,
            bad_answer_count: if f.bad_answer.is_some() {
                f.bad_answer_count
            } else {
                0
            },
            outage_every: f.outage_every,
            outage_duration: f.outage_duration,
            outage_refuse_connections: f.outage_refuse,
        })
    }
}

/// Runs `sim acd` until Ctrl-C or SIGTERM.
pub async fn acd(args: SimAcdArgs) -> u8 {
    super::init_logging(crate::config::LogFormat::Text, "info");
    exit_code(crate::sim::acd::run_cli(args.into_cli_args()).await)
}

/// Runs `sim wfm` until Ctrl-C.
pub async fn wfm(args: SimWfmArgs) -> u8 {
    super::init_logging(crate::config::LogFormat::Text, "info");
    let cli_args = match args.into_cli_args() {
        Ok(a) => a,
        Err(message) => {
            eprintln!("error: {message}");
            return EX_USAGE;
        }
    };
    exit_code(crate::sim::wfm::run_cli(cli_args).await)
}

/// A failure to listen is the operator's to fix (`--listen`): a configuration error. Anything
/// else is ours.
fn exit_code(result: anyhow::Result<()>) -> u8 {
    match result {
        Ok(()) => EX_OK,
        Err(e) => {
            eprintln!("error: {e:#}");
            if e.chain().any(|c| c.is::<std::io::Error>()) {
                eprintln!("hint: is the port already in use? choose another with --listen");
                EX_CONFIG
            } else {
                EX_SOFTWARE
            }
        }
    }
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// A humantime duration: `500ms`, `2s`, `15m`, `2h15m`.
pub(crate) fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s)
        .map_err(|e| format!("{e}; give a duration such as 500ms, 2s, 15m or 2h15m"))
}

/// A humantime duration that is a whole number of seconds (HTTP `Retry-After`).
fn parse_whole_seconds(s: &str) -> Result<u64, String> {
    let d = parse_duration(s)?;
    if d.subsec_nanos() != 0 {
        return Err("Retry-After is whole seconds; give e.g. 1s or 30s".into());
    }
    Ok(d.as_secs())
}

/// A fraction between 0 and 1.
fn parse_fraction(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err("give a fraction between 0 and 1, e.g. 0.05".into()),
    }
}

/// A finite, non-negative rate.
pub(crate) fn parse_rate(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err("give a number of tasks per hour, 0 or more, e.g. 1200".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct AcdCli {
        #[command(flatten)]
        args: SimAcdArgs,
    }

    #[derive(Parser)]
    struct WfmCli {
        #[command(flatten)]
        args: SimWfmArgs,
    }

    #[test]
    fn acd_fault_flags_become_simulator_faults() {
        let cli = AcdCli::try_parse_from([
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
        let args = cli.args.into_cli_args();
        assert_eq!(args.faults.rate_limit_rate, 0.1);
        assert_eq!(args.faults.retry_after_secs, 3);
        assert_eq!(args.faults.latency, Duration::from_millis(250));
        assert_eq!(args.faults.late_event_rate, 0.2);
        assert_eq!(args.faults.late_by, Duration::from_secs(8));
        let outage = args.faults.outage.unwrap();
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
            assert!(AcdCli::try_parse_from(bad).is_err(), "{bad:?}");
        }
        assert!(WfmCli::try_parse_from(["x", "--fail-status", "200"]).is_err());
    }

    #[test]
    fn wfm_outage_must_be_shorter_than_its_period() {
        let cli =
            WfmCli::try_parse_from(["x", "--outage-every", "10s", "--outage-duration", "10s"])
                .unwrap();
        assert!(cli.args.into_cli_args().is_err());
        let cli =
            WfmCli::try_parse_from(["x", "--fail-status", "429", "--retry-after", "5s"]).unwrap();
        let args = cli.args.into_cli_args().unwrap();
        assert_eq!((args.fail_status, args.fail_count), (Some(429), 1));
        assert_eq!(args.retry_after_sec, Some(5));
    }
}
