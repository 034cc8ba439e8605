//! `peeremu check`.

use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Topology file(s) to validate.
    #[arg(required = true)]
    pub topologies: Vec<PathBuf>,
}

pub fn main(_args: Args) -> u8 {
    super::not_available("check")
}
