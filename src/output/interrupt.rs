//! Ctrl-C: the first press sets a flag the simulation loop polls, so the run stops
//! at an event boundary and every output is finished and closed properly; a second
//! press exits at once (outputs may then be cut short).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Exit status of a process stopped by a second Ctrl-C (128 + SIGINT).
pub const EXIT_SIGINT: i32 = 130;

/// A shared stop flag. Clones share the flag.
#[derive(Debug, Clone, Default)]
pub struct Interrupt(Arc<AtomicBool>);

impl Interrupt {
    pub fn new() -> Interrupt {
        Interrupt::default()
    }

    /// Route Ctrl-C (SIGINT) to this flag. Can be
    /// installed once per process.
    pub fn install_ctrlc(&self) -> Result<(), ctrlc::Error> {
        let flag = Arc::clone(&self.0);
        ctrlc::set_handler(move || {
            if flag.swap(true, Ordering::SeqCst) {
                eprintln!("\npeeremu: interrupted twice, exiting without finishing outputs");
                std::process::exit(EXIT_SIGINT);
            }
            eprintln!("\npeeremu: interrupted, finishing outputs (Ctrl-C again to quit now)");
        })
    }

    /// The flag the simulation polls (`flag().load(Ordering::Relaxed)`).
    pub fn flag(&self) -> &AtomicBool {
        &self.0
    }

    /// Ask the run to stop (what Ctrl-C does; tests use it).
    pub fn trigger(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_set(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

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
