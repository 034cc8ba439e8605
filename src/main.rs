//! The `peeremu` command line. Only argument parsing lives here; every subcommand
//! is library code in `peeremu::cli`.

use clap::{CommandFactory, Parser, Subcommand};
use peeremu::cli;
use std::process::ExitCode;

/// Packet-level emulator of AWS VPC networking: real frames through virtual VPC
/// routers in virtual time.
#[derive(Parser)]
#[command(name = "peeremu", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate a topology file against AWS's rules.
    Check(cli::check::Args),
    /// Run a topology's traffic and write captures, histograms, flow logs, a summary.
    Run(cli::run::Args),
    /// Send one packet (and its reply) from A to B and print every hop.
    Trace(cli::trace::Args),
    /// Benchmark longest-prefix-match routing lookups.
    Bench(cli::bench::Args),
    /// Print the topology format's JSON Schema (for editors: Taplo, Even Better TOML).
    Schema,
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff: `peeremu man | man -l -`).
    Man,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Check(args) => cli::check::main(args),
        Command::Run(args) => cli::run::main(args),
        Command::Trace(args) => cli::trace::main(args),
        Command::Bench(args) => cli::bench::main(args),
        Command::Schema => cli::docs::schema(),
        Command::Completions { shell } => cli::docs::completions(shell, &mut Cli::command()),
        Command::Man => cli::docs::man(Cli::command()),
    };
    ExitCode::from(code)
}
