//! `peeremu bench`.

use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Topology file.
    pub topology: Option<PathBuf>,
}

pub fn main(_args: Args) -> u8 {
    super::not_available("bench")
}
