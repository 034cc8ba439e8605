//! HdrHistogram interval logs (`latency.hlog`, `rtt.hlog`, `response.hlog`): every
//! flow's histogram in one file, one tagged line each, in the format Java's
//! `HistogramLogWriter` writes and HdrHistogram's tools (`HistogramLogProcessor`,
//! HistogramLogAnalyzer, the `hdrhistogram` crate's `IntervalLogIterator`) read. One
//! `.hgrm` file per flow stopped scaling at 100k flows (100k files, tens of
//! seconds of system calls); one log holds them all.
//!
//! Each line covers the whole run: start 0 and length the run's virtual time, in
//! seconds after `BaseTime` = `StartTime` = virtual time 0 shown as Unix time
//! 1700000000 (as in the captures). Values are nanoseconds; the interval max
//! column is in milliseconds (`MaxValueDivisor` 1e6, as `.hgrm` files). Histograms
//! are V2 compressed (Java's `encodeIntoCompressedByteBuffer`), the encoding
//! Java's log reader expects. The tag is the flow's file-safe name, the stem of
//! its `.hgrm` file (tags cannot hold `,` or spaces).

use super::histogram::LatencyHistogram;
use super::interrupt::Interrupt;
use super::pcap::EPOCH_BASE_S;
use hdrhistogram::serialization::interval_log::{IntervalLogWriterBuilder, Tag};
use hdrhistogram::serialization::V2DeflateSerializer;
use std::io::{self, Write};
use std::time::{Duration, SystemTime};

/// The log's first comment line (says what the file holds).
pub const HEADER: &str = "peeremu per-flow histograms: one line per flow, tagged with its file-safe name; values in ns, interval max in ms";

/// Write `histograms` (tag, histogram) as an interval log to `out`, each covering
/// `0 .. run_ns` of virtual time. Stops early, with whole lines, once `interrupt`
/// is set.
pub fn write_interval_log<W: Write>(
    out: &mut W,
    histograms: &[(&str, &LatencyHistogram)],
    run_ns: u64,
    interrupt: Option<&Interrupt>,
) -> io::Result<()> {
    let base = SystemTime::UNIX_EPOCH + Duration::from_secs(EPOCH_BASE_S);
    let mut serializer = V2DeflateSerializer::new();
    let mut log = IntervalLogWriterBuilder::new()
        .add_comment(HEADER)
        .with_start_time(base)
        .with_base_time(base)
        .with_max_value_divisor(1_000_000.0)
        .begin_log_with(out, &mut serializer)?;
    let length = Duration::from_nanos(run_ns);
    for (tag, h) in histograms {
        if interrupt.is_some_and(Interrupt::is_set) {
            break;
        }
        let tag = Tag::new(tag)
            .ok_or_else(|| io::Error::other(format!("histogram tag {tag:?} is not file-safe")))?;
        log.write_histogram(&h.to_hdr(), Duration::ZERO, length, Some(tag))
            .map_err(|e| io::Error::other(e.to_string()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine as _;
    use hdrhistogram::serialization::interval_log::{IntervalLogIterator, LogEntry};
    use hdrhistogram::serialization::Deserializer;
    use hdrhistogram::Histogram;

    #[test]
    fn every_histogram_reads_back_with_its_tag() {
        let mut a = LatencyHistogram::new();
        for v in [100_000u64, 120_000, 40_000_000] {
            a.record(v);
        }
        let empty = LatencyHistogram::new();
        let mut buf = Vec::new();
        write_interval_log(
            &mut buf,
            &[("web-db", &a), ("idle", &empty)],
            2_500_000_000,
            None,
        )
        .unwrap();
        let text = String::from_utf8(buf.clone()).unwrap();
        assert!(text.starts_with(&format!("#{HEADER}\n#[StartTime: 1700000000.000")));
        // Start 0, length 2.5 s, max in ms (40 ms's highest equivalent value).
        assert!(text.contains("\nTag=web-db,0.000,2.500,40.010,"), "{text}");
        let mut seen = Vec::new();
        for entry in IntervalLogIterator::new(&buf) {
            if let LogEntry::Interval(i) = entry.unwrap() {
                let bytes = STANDARD.decode(i.encoded_histogram()).unwrap();
                let h: Histogram<u64> = Deserializer::new().deserialize(&mut &bytes[..]).unwrap();
                seen.push((i.tag().unwrap().as_str().to_string(), h.len(), h.max()));
            }
        }
        assert_eq!(
            seen,
            [
                ("web-db".to_string(), 3, a.max()),
                ("idle".to_string(), 0, 0)
            ]
        );
        // A tag the format cannot hold is an error, not a broken line.
        assert!(write_interval_log(&mut Vec::new(), &[("a b", &a)], 1, None).is_err());
        // Interrupted: the header only.
        let stop = Interrupt::new();
        stop.trigger();
        let mut cut = Vec::new();
        write_interval_log(&mut cut, &[("web-db", &a)], 1, Some(&stop)).unwrap();
        assert!(!String::from_utf8(cut).unwrap().contains("Tag="));
    }
}
