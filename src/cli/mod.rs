//! Subcommands. Exit codes are shared: 0 success, 1 the network did not do what was
//! asked or expected, 2 bad input (invalid topology, bad arguments).

pub mod bench;
pub mod check;
pub mod compare;
pub mod docs;
pub mod import;
pub mod reach;
pub mod run;
pub mod trace;

/// Success.
pub const EXIT_OK: u8 = 0;
/// The network did not deliver, or an expectation was not met.
pub const EXIT_FAILED: u8 = 1;
/// Invalid input.
pub const EXIT_INVALID: u8 = 2;
