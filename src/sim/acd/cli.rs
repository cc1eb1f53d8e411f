//! `wfm-connector sim acd`: the centre on a fixed address until Ctrl-C (or SIGTERM).

use super::{Faults, PushOptions, SimAcdOptions, SimMode, start};
use anyhow::Context as _;
use std::net::SocketAddr;
use std::time::Duration;

/// What the `sim acd` subcommand passes in (main.rs builds it from its flags).
#[derive(Debug, Clone)]
pub struct SimAcdCliArgs {
    pub listen: SocketAddr,
    pub agents: u32,
    pub seed: u64,
    pub tasks_per_hour: f64,
    /// Default: derived from the seed.
    pub workspace_sid: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    /// Generate this much history before serving.
    pub history: Duration,
    pub faults: Faults,
    /// Push every new event to a webhook as Twilio Event Streams.
    pub push: Option<PushOptions>,
}

impl Default for SimAcdCliArgs {
    fn default() -> Self {
        let defaults = SimAcdOptions::default();
        SimAcdCliArgs {
            listen: SocketAddr::from(([127, 0, 0, 1], 8086)),
            agents: defaults.agents,
            seed: defaults.seed,
            tasks_per_hour: defaults.tasks_per_hour,
            workspace_sid: None,
            username: None,
            password: None,
            history: Duration::ZERO,
            faults: Faults::default(),
            push: None,
        }
    }
}

/// Runs the centre until Ctrl-C or SIGTERM, after printing where it listens and how to log in.
pub async fn run_cli(args: SimAcdCliArgs) -> anyhow::Result<()> {
    let defaults = SimAcdOptions::default();
    let opts = SimAcdOptions {
        listen: args.listen,
        mode: SimMode::Centre,
        workspace_sid: args.workspace_sid.unwrap_or(defaults.workspace_sid.clone()),
        username: args.username.unwrap_or(defaults.username.clone()),
        password: args.password.unwrap_or(defaults.password.clone()),
        agents: args.agents,
        seed: args.seed,
        tasks_per_hour: args.tasks_per_hour,
        history: args.history,
        faults: args.faults,
        push: args.push.clone(),
        ..defaults
    };
    let sim = start(opts.clone())
        .await
        .with_context(|| format!("sim acd: cannot listen on {}", args.listen))?;
    println!(
        "sim acd: TaskRouter simulator listening on {}",
        sim.base_url()
    );
    println!("  [acd] base_url      = \"{}\"", sim.base_url());
    println!("  [acd] workspace_sid = \"{}\"", opts.workspace_sid);
    println!("  [acd] username      = \"{}\"", opts.username);
    println!("  [acd] password      = \"{}\"", opts.password);
    if let Some(push) = &args.push {
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

async fn wait_for_stop() -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .context("sim acd: cannot listen for SIGTERM")?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result.context("sim acd: cannot listen for Ctrl-C")?,
            _ = term.recv() => {}
        }
        Ok(())
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c()
            .await
            .context("sim acd: cannot listen for Ctrl-C")
    }
}
