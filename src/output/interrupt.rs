//! Ctrl-C (SIGINT), SIGTERM and SIGHUP, handled alike: the first sets a flag that
//! every long phase of a run polls (the simulation's setup and event loop, the
//! writing of histogram files), so the run stops within a moment, finishes and
//! closes every output of what was done, says `"interrupted": true` in
//! `summary.json` and exits with [`EXIT_SIGINT`]. A second signal exits at once;
//! the run folder is then left as it was before the run (see `run_folder`).
//!
//! Until [`Interrupt::protect_outputs`] is called (while the topology is read and
//! nothing has been written), a signal ends the process at once with that status:
//! reading a large topology cannot be polled, and there is nothing to save.
//!
//! The handler is installed even when the shell started the process with SIGINT
//! ignored (`peeremu run … &` in a script): a run that ignored SIGINT for 25 s and
//! then exited 0 saying `"interrupted": false` was one of the findings. A
//! SIGHUP ignored on entry (`nohup`) stays ignored.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Exit status of an interrupted run, whichever signal stopped it (128 + SIGINT,
/// the shell's convention for Ctrl-C; the `ctrlc` crate does not say which signal
/// came, and one status is simpler to script against).
pub const EXIT_SIGINT: i32 = 130;

/// A shared stop flag. Clones share the flag.
#[derive(Debug, Clone, Default)]
pub struct Interrupt {
    stop: Arc<AtomicBool>,
    /// A signal sets `stop` (else it exits at once).
    protect: Arc<AtomicBool>,
}

impl Interrupt {
    pub fn new() -> Interrupt {
        Interrupt::default()
    }

    /// Route SIGINT, SIGTERM and SIGHUP to this flag (the `ctrlc` crate's
    /// `termination` feature). Can be installed once per process.
    pub fn install_ctrlc(&self) -> Result<(), ctrlc::Error> {
        let flag = Arc::clone(&self.stop);
        let protect = Arc::clone(&self.protect);
        let second = AtomicBool::new(false);
        let hup_ignored = sighup_ignored();
        ctrlc::set_handler(move || {
            if !protect.load(Ordering::SeqCst) {
                crate::errln!("\npeeremu: interrupted");
                std::process::exit(EXIT_SIGINT);
            }
            // `second`, not `flag`: the recorder also sets `flag` to stop a run
            // whose outputs cannot be written.
            if second.swap(true, Ordering::SeqCst) {
                crate::errln!("\npeeremu: interrupted twice, exiting without finishing outputs");
                std::process::exit(EXIT_SIGINT);
            }
            flag.store(true, Ordering::SeqCst);
            crate::errln!(
                "\npeeremu: interrupted, finishing outputs (interrupt again to quit now)"
            );
        })?;
        if hup_ignored {
            ignore_sighup();
        }
        Ok(())
    }

    /// From now on a signal asks the run to stop and finish its outputs, instead of
    /// ending the process at once.
    pub fn protect_outputs(&self) {
        self.protect.store(true, Ordering::SeqCst);
    }

    /// The flag the simulation polls (`flag().load(Ordering::Relaxed)`).
    pub fn flag(&self) -> &AtomicBool {
        &self.stop
    }

    /// Ask the run to stop (what Ctrl-C does; tests use it).
    pub fn trigger(&self) {
        self.stop.store(true, Ordering::SeqCst);
    }

    pub fn is_set(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}

/// Whether SIGHUP is ignored (by `nohup`).
#[cfg(target_os = "linux")]
fn sighup_ignored() -> bool {
    // SAFETY: queries the current action only (a null new action), into a zeroed
    // struct owned here.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        libc::sigaction(libc::SIGHUP, std::ptr::null(), &mut old) == 0
            && old.sa_sigaction == libc::SIG_IGN
    }
}

#[cfg(not(target_os = "linux"))]
fn sighup_ignored() -> bool {
    false
}

/// Ignore SIGHUP again after `ctrlc` took it over.
#[cfg(target_os = "linux")]
fn ignore_sighup() {
    // SAFETY: sets a signal's disposition to SIG_IGN; no handler code runs.
    unsafe {
        libc::signal(libc::SIGHUP, libc::SIG_IGN);
    }
}

#[cfg(not(target_os = "linux"))]
fn ignore_sighup() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_the_flag() {
        let a = Interrupt::new();
        let b = a.clone();
        assert!(!b.is_set());
        a.trigger();
        assert!(b.is_set());
        assert!(b.flag().load(Ordering::Relaxed));
    }
}
