//! `sim acd` and `sim wfm` (STUB until the simulators land).

#[derive(clap::Args, Debug)]
pub struct SimAcdArgs {}
#[derive(clap::Args, Debug)]
pub struct SimWfmArgs {}

pub async fn acd(_a: SimAcdArgs) -> u8 {
    super::EX_SOFTWARE
}
pub async fn wfm(_a: SimWfmArgs) -> u8 {
    super::EX_SOFTWARE
}
