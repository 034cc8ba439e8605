//! `--max-capture` and `--snaplen`: captures are bounded, like tcpdump's `-C` and
//! `-s`. One flow at line rate writes gigabytes of pcapng in seconds of wall time;
//! by default the capture files of a run (`capture.pcapng`, `points/*.pcapng`,
//! `drops.pcapng` together) stop growing at 1 GiB. From the first frame that would
//! not fit, nothing more is captured in any file (so the files all end at the same
//! moment of virtual time), every file stays valid, and what is left out is counted:
//! `summary.json` says `capture_truncated` and `frames_not_captured`. Flow logs,
//! histograms and the summary keep counting every frame.

/// Default `--max-capture`: 1 GiB across all capture files.
pub const DEFAULT_MAX_CAPTURE: u64 = 1 << 30;

/// How much a run captures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaptureLimits {
    /// Total bytes of all capture files.
    pub max_bytes: u64,
    /// Bytes kept of each frame (its length on the wire is recorded too).
    pub snaplen: u32,
}

impl Default for CaptureLimits {
    fn default() -> Self {
        CaptureLimits {
            max_bytes: DEFAULT_MAX_CAPTURE,
            snaplen: super::pcap::DEFAULT_SNAPLEN,
        }
    }
}

/// The bytes left for captures, and what was not captured once they ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaptureBudget {
    limit: u64,
    used: u64,
    /// Virtual time of the first frame that did not fit.
    full_at_ns: Option<u64>,
    not_captured: u64,
}

impl CaptureBudget {
    pub fn new(limit: u64) -> CaptureBudget {
        CaptureBudget {
            limit,
            used: 0,
            full_at_ns: None,
            not_captured: 0,
        }
    }

    /// Whether a write of at most `bound` bytes at `time_ns` still fits. Once one
    /// does not, none does: the observation is counted as not captured.
    pub fn admit(&mut self, time_ns: u64, bound: u64) -> bool {
        if self.full_at_ns.is_none() && self.used.saturating_add(bound) <= self.limit {
            return true;
        }
        self.full_at_ns.get_or_insert(time_ns);
        self.not_captured += 1;
        false
    }

    /// Count `bytes` actually written.
    pub fn spend(&mut self, bytes: u64) {
        self.used = self.used.saturating_add(bytes);
    }

    pub fn used(&self) -> u64 {
        self.used
    }

    /// When captures stopped, if they did.
    pub fn full_at_ns(&self) -> Option<u64> {
        self.full_at_ns
    }

    /// Frames (and dropped frames) seen after captures stopped.
    pub fn not_captured(&self) -> u64 {
        self.not_captured
    }
}

/// Parse a size: bytes, or a number with a binary suffix `K`, `M`, `G`, `T`
/// (powers of 1024; `KiB`, `KB` and lower case mean the same): `1G`, `512MiB`,
/// `1.5g`, `65536`.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let digits_end = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(digits_end);
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => return Err(format!("{s:?}: expected bytes, or a size like 100M or 1G")),
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{s:?}: expected bytes, or a size like 100M or 1G"))?;
    let bytes = value * (1u64 << shift) as f64;
    // Below 2^63 a f64 converts to u64 without saturating.
    if !bytes.is_finite() || bytes >= 9.2e18 {
        return Err(format!("{s:?}: too large"));
    }
    Ok(bytes as u64)
}

/// `1.0 GiB`, `512.0 MiB`, `100 bytes`.
pub fn size_text(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let mut value = bytes as f64;
    let mut unit = "bytes";
    for u in UNITS {
        if value < 1024.0 {
            break;
        }
        value /= 1024.0;
        unit = u;
    }
    format!("{value:.1} {unit}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_units() {
        assert_eq!(parse_size("65536"), Ok(65536));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_size("512m"), Ok(512 << 20));
        assert_eq!(parse_size("100K"), Ok(102_400));
        assert_eq!(parse_size("1.5k"), Ok(1536));
        assert_eq!(parse_size(" 2 MB "), Ok(2 << 20));
        for bad in ["", "G", "1X", "-1", "1e3", "99999999T", "1..2K"] {
            assert!(parse_size(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn size_text_is_readable() {
        assert_eq!(size_text(100), "100 bytes");
        assert_eq!(size_text(1 << 30), "1.0 GiB");
        assert_eq!(size_text(1536), "1.5 KiB");
    }

    #[test]
    fn budget_stops_for_good_at_the_first_frame_that_does_not_fit() {
        let mut b = CaptureBudget::new(1000);
        assert!(b.admit(1, 600));
        b.spend(590);
        assert!(!b.admit(2, 600));
        // A smaller frame would fit, but captures have ended at t = 2.
        assert!(!b.admit(3, 10));
        assert_eq!(
            (b.used(), b.full_at_ns(), b.not_captured()),
            (590, Some(2), 2)
        );
    }
}
