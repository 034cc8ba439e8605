//! The `peeremu` command line. Only argument parsing lives here; every subcommand
//! is library code in `peeremu::cli`.

use clap::{CommandFactory, Parser, Subcommand};
use peeremu::cli;
use peeremu::output::console;
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
    /// Run the same flows over two designs (e.g. peering vs transit gateway) and compare them flow by flow.
    Compare(cli::compare::Args),
    /// Send one packet (and its reply) from A to B and print every hop.
    Trace(cli::trace::Args),
    /// Benchmark longest-prefix-match routing lookups.
    Bench(cli::bench::Args),
    /// Write a topology from a real network's configuration (`import aws DIR -o topo.toml`).
    Import(cli::import::Args),
    /// Which instances can reach which on one protocol/port: a matrix with the drop reason of each failing pair.
    Reach(cli::reach::Args),
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
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // `--help`, `--version` (exit 0) and bad arguments (exit 2), printed without
        // panicking on a closed or full stdout.
        Err(e) => {
            let code = u8::try_from(e.exit_code()).unwrap_or(cli::EXIT_INVALID);
            if e.use_stderr() {
                // An error: its status stands whether or not stderr takes the text.
                let _ = e.print();
                return ExitCode::from(code);
            }
            return ExitCode::from(console::exit_status(console::finish(code, e.print())));
        }
    };
    let code = match cli.command {
        Command::Check(args) => cli::check::main(args),
        Command::Run(args) => cli::run::main(args),
        Command::Trace(args) => cli::trace::main(args),
        Command::Compare(args) => cli::compare::main(args),
        Command::Bench(args) => cli::bench::main(args),
        Command::Import(args) => cli::import::main(args),
        Command::Reach(args) => cli::reach::main(args),
        Command::Schema => cli::docs::schema(),
        Command::Completions { shell } => cli::docs::completions(shell, &mut Cli::command()),
        Command::Man => cli::docs::man(Cli::command()),
    };
    ExitCode::from(console::exit_status(code))
}
