//! The memory a run holds beyond its topology (issue #18: at most 4 KB of peak
//! memory per flow beyond the topology), measured for `scripts/scaling.sh` when
//! the environment variable `PEEREMU_MEMORY_REPORT` is set.
//!
//! A process's peak RSS (`/usr/bin/time -v`) cannot tell the two apart: reading
//! a large topology peaks higher than the run that follows (the spanned TOML
//! document is freed after compiling), so the run fits in memory the load freed.
//! Here, once the topology is loaded, glibc returns its free pages to the kernel
//! (`malloc_trim`) and the kernel's peak-RSS mark is reset (`clear_refs` 5); the
//! resident size then is the loaded topology's, and the peak at the end is that
//! plus the run's own (hosts, sockets, per-flow statistics, output buffers).
//! Linux only; elsewhere, or if `/proc` is unreadable, nothing is reported.
//! Off by default: resetting the peak would change what `time -v` reports.

/// Environment variable that turns the measurement on.
pub const MEMORY_REPORT_VAR: &str = "PEEREMU_MEMORY_REPORT";

/// The resident size once the topology was loaded.
#[derive(Debug, Clone, Copy)]
pub struct MemoryProbe {
    after_load_kb: u64,
}

impl MemoryProbe {
    /// Start measuring (right after loading the topology), if asked for.
    pub fn after_load() -> Option<MemoryProbe> {
        std::env::var_os(MEMORY_REPORT_VAR)?;
        trim_heap();
        std::fs::write("/proc/self/clear_refs", "5").ok()?;
        Some(MemoryProbe {
            after_load_kb: status_kb("VmRSS:")?,
        })
    }

    /// `memory: topology T KB resident after load, peak P KB after it: run R KB`
    /// (R = P − T), or `None` if `/proc` could not be read.
    pub fn report(&self) -> Option<String> {
        let peak = status_kb("VmHWM:")?.max(self.after_load_kb);
        Some(format!(
            "memory: topology {} KB resident after load, peak {peak} KB after it: run {} KB",
            self.after_load_kb,
            peak - self.after_load_kb
        ))
    }
}

/// Give the kernel back the pages the simulation freed, before the outputs are
/// written (glibc only; elsewhere nothing). The hosts' sockets, buffers and
/// generators are freed when the event loop ends, in small pieces glibc keeps;
/// the output threads then allocate in their own arenas, so without this the
/// process held both (issue #18: peak memory per flow).
pub fn release_freed_memory() {
    trim_heap();
}

/// Hand the allocator's free memory back to the kernel (glibc only).
fn trim_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free heap pages; it takes no pointers.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// A `kB` field of `/proc/self/status` (`VmRSS:`, `VmHWM:`).
fn status_kb(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    parse_status_kb(&status, field)
}

fn parse_status_kb(status: &str, field: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with(field))?;
    line[field.len()..]
        .trim()
        .strip_suffix("kB")?
        .trim()
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_kb_fields_of_proc_status() {
        let status = "Name:\tpeeremu\nVmHWM:\t  482120 kB\nVmRSS:\t   12345 kB\n";
        assert_eq!(parse_status_kb(status, "VmHWM:"), Some(482_120));
        assert_eq!(parse_status_kb(status, "VmRSS:"), Some(12_345));
        assert_eq!(parse_status_kb(status, "VmSwap:"), None);
        assert_eq!(parse_status_kb("VmRSS:\tlots\n", "VmRSS:"), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_run_figure_is_the_peak_above_the_start() {
        let probe = MemoryProbe { after_load_kb: 1 };
        let text = probe.report().unwrap();
        assert!(text.starts_with("memory: topology 1 KB resident after load, peak "));
        let run: u64 = text
            .rsplit("run ")
            .next()
            .unwrap()
            .trim_end_matches(" KB")
            .parse()
            .unwrap();
        assert!(run > 0, "{text}");
    }
}
