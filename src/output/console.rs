//! Terminal output that never panics. `println!` panics when stdout is a closed pipe
//! (`peeremu trace … | head -1`: Rust ignores SIGPIPE, so the write fails with
//! `EPIPE`) or a full device (`> /dev/full`); every subcommand writes through here
//! instead and turns the failure into an exit status with [`finish`]:
//!
//! - broken pipe: stop writing and exit 0 without a word, as ripgrep does (the
//!   reader has all it wanted; 141, "killed by SIGPIPE", would make
//!   `set -o pipefail` scripts fail on `| head`);
//! - any other write error on stdout: one line on stderr and exit 2.
//!
//! Diagnostics go to stderr through [`eprint`], which never fails either; a stderr
//! that cannot be written (other than a closed pipe) also ends in exit 2 (see
//! [`exit_status`]), since there is nowhere to say so.

use std::fmt;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

/// Exit status of a command whose output could not be written (as for bad input).
const EXIT_WRITE_FAILED: u8 = 2;

/// Set when writing to stderr failed with anything but a broken pipe.
static STDERR_FAILED: AtomicBool = AtomicBool::new(false);

/// Write `text` to stdout (locked, so lines of concurrent writers do not mix) and
/// flush it: a failure shows here, not later in a destructor that cannot report it.
pub fn print(text: &str) -> io::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// [`print`] of formatted text: `console::printf(format_args!("{x}\n"))`.
pub fn printf(args: fmt::Arguments<'_>) -> io::Result<()> {
    let mut out = io::stdout().lock();
    out.write_fmt(args)?;
    out.flush()
}

/// Write to stderr, best effort: a failure is remembered for [`exit_status`], never
/// a panic.
pub fn eprint(args: fmt::Arguments<'_>) {
    let mut err = io::stderr().lock();
    if let Err(e) = err.write_fmt(args).and_then(|()| err.flush()) {
        if e.kind() != io::ErrorKind::BrokenPipe {
            STDERR_FAILED.store(true, Ordering::Relaxed);
        }
    }
}

/// `eprintln!` that never panics: [`eprint`] with a newline.
#[macro_export]
macro_rules! errln {
    ($($t:tt)*) => {
        $crate::output::console::eprint(format_args!("{}\n", format_args!($($t)*)))
    };
}

/// The status of a command that would exit with `code` after writing its output
/// with result `written`: `code` if it was written, 0 on a broken pipe, 2 (with a
/// message on stderr) on any other error.
pub fn finish(code: u8, written: io::Result<()>) -> u8 {
    match written {
        Ok(()) => code,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => 0,
        Err(e) => {
            eprint(format_args!(
                "peeremu: cannot write to standard output: {e}\n"
            ));
            EXIT_WRITE_FAILED
        }
    }
}

/// The process's exit status for a command that returned `code`: 2 instead of 0
/// when stderr could not be written (a message was lost).
pub fn exit_status(code: u8) -> u8 {
    if code == 0 && STDERR_FAILED.load(Ordering::Relaxed) {
        EXIT_WRITE_FAILED
    } else {
        code
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_errors_become_exit_statuses() {
        assert_eq!(finish(1, Ok(())), 1);
        assert_eq!(finish(1, Err(io::ErrorKind::BrokenPipe.into())), 0);
        let full = io::Error::from_raw_os_error(28); // ENOSPC, as /dev/full gives
        assert_eq!(finish(0, Err(full)), EXIT_WRITE_FAILED);
    }
}
