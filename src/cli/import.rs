//! `peeremu import aws DIR -o topo.toml`: write a topology from the JSON that
//! `aws ec2 describe-*` prints (see `crate::import::aws`).

use super::{EXIT_INVALID, EXIT_OK};
use crate::import::aws;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    pub source: Source,
}

#[derive(clap::Subcommand, Debug)]
pub enum Source {
    /// From `aws ec2 describe-*` JSON: one folder, or Batfish's
    /// aws_configs/<account>/<region>/*.json. Files are recognised by their
    /// top-level key (Vpcs, Subnets, RouteTables, …), not by name.
    Aws(AwsArgs),
}

#[derive(clap::Args, Debug)]
pub struct AwsArgs {
    /// Folder of JSON files.
    pub dir: PathBuf,
    /// Topology file to write (nothing is written on error).
    #[arg(short, long, value_name = "FILE")]
    pub out: PathBuf,
    /// Region of VPCs that neither a region folder nor a subnet places.
    #[arg(long)]
    pub region: Option<String>,
    /// On-premises prefix behind a Direct Connect connection (or virtual
    /// interface): ID=CIDR, repeatable. AWS's API does not describe them; without
    /// it they are recovered from VGW-propagated routes, if any.
    #[arg(long = "onprem-cidr", value_name = "ID=CIDR", value_parser = parse_onprem)]
    pub onprem_cidr: Vec<(String, String)>,
}

/// `dxcon-…=192.168.0.0/16` → (id, CIDR); the CIDR is checked by the import.
fn parse_onprem(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((id, cidr)) if !id.trim().is_empty() && !cidr.trim().is_empty() => {
            Ok((id.trim().to_string(), cidr.trim().to_string()))
        }
        _ => Err(format!(
            "expected ID=CIDR (a dxcon-… or dxvif-… id and a prefix), got `{}`",
            s.escape_debug()
        )),
    }
}

pub fn main(args: Args) -> u8 {
    let Source::Aws(a) = args.source;
    let opts = aws::Options {
        region: a.region.clone(),
        onprem_cidrs: a.onprem_cidr.clone(),
    };
    let name = a.out.display().to_string();
    let shown = crate::escape::path(&a.out);
    match aws::import(&a.dir, &opts, &name) {
        Ok(done) => {
            // Whole or not at all: a full disk must not leave a truncated topology.
            if let Err(e) = crate::output::whole_file::write(&a.out, done.toml.as_bytes()) {
                crate::errln!("peeremu import: cannot write {shown}: {e}; nothing written");
                return EXIT_INVALID;
            }
            // A closed stdout (`| head`) is not an error of the import: the file is
            // written (exit 0); a full one is reported (exit 2).
            let written =
                crate::output::console::printf(format_args!("{}\nwrote {shown}\n", done.report()));
            crate::output::console::finish(EXIT_OK, written)
        }
        Err(e) => {
            crate::errln!("peeremu import: {e}");
            crate::errln!("nothing written");
            EXIT_INVALID
        }
    }
}
