//! `demo`: both simulators and the connector on loopback (STUB until the simulators land).

#[derive(clap::Args, Debug)]
pub struct DemoArgs {
    /// Number of simulated agents.
    #[arg(long, default_value_t = 20)]
    pub agents: u32,
}

pub async fn demo(_args: DemoArgs) -> u8 {
    eprintln!("demo: not available yet");
    super::EX_SOFTWARE
}
