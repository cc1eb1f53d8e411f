//! `wfm-connector` command line: parses arguments, loads the config, hands over to a command.
//! Exit codes follow sysexits: 0 ok, 64 usage, 69 a peer unreachable (`check-config --connect`),
//! 74 I/O error (buffer), 78 configuration error.

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use wfm_connector::cmd;

#[derive(Parser, Debug)]
#[command(
    name = "wfm-connector",
    version,
    about = "Twilio TaskRouter → NICE CXone WFM connector"
)]
struct Cli {
    /// Configuration file.
    #[arg(long, global = true, default_value = "/etc/wfm-connector/config.toml")]
    config: PathBuf,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the connector (the default).
    Run,
    /// Validate the configuration and print it with secrets redacted.
    CheckConfig {
        /// Also reach TaskRouter (Activities list) and WFM (a token).
        #[arg(long)]
        connect: bool,
    },
    /// What the buffer holds: cursor, pending items, dead letters, last pushes.
    Status {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Re-queue reports of a time range, and/or dead letters.
    Replay {
        /// Start (RFC 3339, e.g. 2026-11-20T08:00:00Z).
        #[arg(long)]
        from: Option<String>,
        /// End (RFC 3339), exclusive.
        #[arg(long)]
        to: Option<String>,
        /// Rebuild and re-queue the reports of [from, to) with a new revision.
        #[arg(long)]
        reports: bool,
        /// Re-queue every dead letter.
        #[arg(long)]
        dead_letters: bool,
    },
    /// Both simulators and the connector on loopback, printing what flows (Ctrl-C to stop).
    Demo(cmd::demo::DemoArgs),
    /// Simulators of both sides.
    #[command(subcommand)]
    Sim(SimCommand),
}

#[derive(Subcommand, Debug)]
enum SimCommand {
    /// A TaskRouter-compatible server with a synthetic contact centre.
    Acd(wfm_connector::sim::acd::SimAcdArgs),
    /// A CXone WFM server that validates and records what it receives.
    Wfm(wfm_connector::sim::wfm::SimWfmArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 64 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .worker_threads(2)
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("wfm-connector: cannot start the runtime: {e}");
            return ExitCode::from(71);
        }
    };
    let code = runtime.block_on(async move {
        match cli.command.unwrap_or(Command::Run) {
            Command::Run => cmd::run::run(&cli.config).await,
            Command::CheckConfig { connect } => {
                cmd::check::check_config(&cli.config, connect).await
            }
            Command::Status { json } => cmd::status::status(&cli.config, json),
            Command::Replay {
                from,
                to,
                reports,
                dead_letters,
            } => cmd::replay::replay(&cli.config, from, to, reports, dead_letters).await,
            Command::Demo(args) => cmd::demo::demo(args).await,
            Command::Sim(SimCommand::Acd(args)) => cmd::sim::acd(args).await,
            Command::Sim(SimCommand::Wfm(args)) => cmd::sim::wfm(args).await,
        }
    });
    ExitCode::from(code)
}
