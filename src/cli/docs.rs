//! `peeremu schema`, `peeremu completions SHELL`, `peeremu man`: what editors,
//! shells and `man` need, generated from the code (the topology's serde structs
//! through `schemars`, the command line through `clap_complete` / `clap_mangen`).

use super::{EXIT_INVALID, EXIT_OK};
use std::io::Write;

/// Print the topology format's JSON Schema (what `schema/topology.schema.json` holds).
pub fn schema() -> u8 {
    print_bytes(crate::topology::schema::topology_schema_json().as_bytes())
}

/// Print a completion script for `shell` for the command `cmd`.
pub fn completions(shell: clap_complete::Shell, cmd: &mut clap::Command) -> u8 {
    let mut out = Vec::new();
    let name = cmd.get_name().to_string();
    clap_complete::generate(shell, cmd, name, &mut out);
    print_bytes(&out)
}

/// Print the man page (roff) of `cmd`.
pub fn man(cmd: clap::Command) -> u8 {
    let mut out = Vec::new();
    if let Err(e) = clap_mangen::Man::new(cmd).render(&mut out) {
        crate::errln!("peeremu man: {e}");
        return EXIT_INVALID;
    }
    print_bytes(&out)
}

fn print_bytes(b: &[u8]) -> u8 {
    let mut stdout = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error worth a message; any other write
    // error is reported as every subcommand reports it (and `eprintln!`, which
    // panics when stderr is closed, is not used).
    crate::output::console::finish(EXIT_OK, stdout.write_all(b).and_then(|()| stdout.flush()))
}
