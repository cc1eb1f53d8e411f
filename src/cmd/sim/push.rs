//! The `sim acd` flags of the Event Streams push (`--webhook-url`, `--webhook-token` and the push
//! faults), and their mapping onto [`PushOptions`].

use super::{FAULTS, parse_duration, parse_fraction};
use crate::sim::acd::{PushFaults, PushOptions};
use std::time::Duration;

/// Pushing every event to the connector's webhook, as Twilio Event Streams does.
#[derive(clap::Args, Debug)]
pub struct SimAcdPushArgs {
    /// Also push every new event to this webhook, as Twilio Event Streams does (the connector's
    /// `[webhook] public_url`, e.g. `http://127.0.0.1:9465/twilio/events`).
    #[arg(long, requires = "webhook_token")]
    pub webhook_url: Option<String>,
    /// The Auth Token the pushes are signed with (the connector's `[webhook] auth_token`).
    #[arg(long, requires = "webhook_url")]
    pub webhook_token: Option<String>,
    /// How long an undelivered push is retried before it is given up (Twilio: 4h).
    #[arg(long, default_value = "4h", value_parser = parse_duration)]
    pub push_retry_for: Duration,
    /// Fraction (0–1) of events never pushed.
    #[arg(help_heading = FAULTS, long, default_value_t = 0.0, value_parser = parse_fraction)]
    pub push_drop_rate: f64,
    /// Fraction (0–1) of pushes delivered twice.
    #[arg(help_heading = FAULTS, long, default_value_t = 0.0, value_parser = parse_fraction)]
    pub push_duplicate_rate: f64,
    /// Fraction (0–1) of pushes held back and delivered after the next one.
    #[arg(help_heading = FAULTS, long, default_value_t = 0.0, value_parser = parse_fraction)]
    pub push_reorder_rate: f64,
}

impl SimAcdPushArgs {
    /// `None` unless `--webhook-url` (with its token) is given.
    pub fn into_options(self) -> Option<PushOptions> {
        let (url, token) = (self.webhook_url?, self.webhook_token?);
        let mut opts = PushOptions::new(&url, &token);
        opts.retry_for = self.push_retry_for;
        opts.faults = PushFaults {
            drop_rate: self.push_drop_rate,
            duplicate_rate: self.push_duplicate_rate,
            reorder_rate: self.push_reorder_rate,
        };
        Some(opts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        push: SimAcdPushArgs,
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
        let opts = cli.push.into_options().unwrap();
        assert_eq!(opts.url, "http://127.0.0.1:9465/twilio/events");
        assert_eq!(opts.auth_token.expose(), "tok");
        assert_eq!(opts.faults.duplicate_rate, 0.5);
        assert_eq!(opts.retry_for, Duration::ZERO);
        let off = Cli::try_parse_from(["x"]).unwrap();
        assert!(off.push.into_options().is_none());
        assert!(Cli::try_parse_from(["x", "--webhook-url", "http://h/x"]).is_err());
        assert!(Cli::try_parse_from(["x", "--push-drop-rate", "2"]).is_err());
    }
}
