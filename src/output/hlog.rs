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

use super::histogram::{LatencyHistogram, HISTOGRAM_MAX_NS, SIGFIG};
use super::interrupt::Interrupt;
use super::pcap::EPOCH_BASE_S;
use base64::Engine as _;
use flate2::{Compress, Compression, FlushCompress, Status};
use hdrhistogram::serialization::interval_log::IntervalLogWriterBuilder;
use hdrhistogram::serialization::V2DeflateSerializer;
use std::io::{self, Write};
use std::time::{Duration, SystemTime};

/// The log's first comment line (says what the file holds).
pub const HEADER: &str = "peeremu per-flow histograms: one line per flow, tagged with its file-safe name; values in ns, interval max in ms";
/// `MaxValueDivisor`: the interval max column in milliseconds.
const MAX_VALUE_DIVISOR: f64 = 1_000_000.0;
/// HdrHistogram's V2 encoding cookies (uncompressed payload, compressed wrapper).
const V2_COOKIE: u32 = 0x1c84_9303 | 0x10;
const V2_COMPRESSED_COOKIE: u32 = 0x1c84_9304 | 0x10;
/// Bytes of the uncompressed payload's header.
const V2_HEADER_LEN: usize = 40;
/// Payloads of at least this many bytes are deflated; shorter ones are stored
/// (see [`zlib_stored`]). A payload this long holds over 2,000 recorded slots, so
/// the compressor's reset costs under ~150 instructions per slot, and the log of
/// a run of many short flows costs no reset at all.
const DEFLATE_FROM: usize = 4096;

/// Write `histograms` (tag, histogram) as an interval log to `out`, each covering
/// `0 .. run_ns` of virtual time. Stops early, with whole lines, once `interrupt`
/// is set.
///
/// The header comes from the crate's `IntervalLogWriterBuilder`; the lines are
/// written here, in the same format as its `IntervalLogWriter`, because that
/// writer needs a dense `hdrhistogram::Histogram` and serializes it with a fresh
/// zlib state and a 9-bytes-per-slot buffer: three zeroed allocations of
/// 100-300 KB per flow, 8 s for 100k flows. [`V2Encoder`] encodes the sparse
/// histogram into the same bytes (tests read them back with the crate) with
/// buffers and zlib state reused from flow to flow.
pub fn write_interval_log<W: Write>(
    out: &mut W,
    histograms: &[(&str, &LatencyHistogram)],
    run_ns: u64,
    interrupt: Option<&Interrupt>,
) -> io::Result<()> {
    let base = SystemTime::UNIX_EPOCH + Duration::from_secs(EPOCH_BASE_S);
    let mut serializer = V2DeflateSerializer::new();
    IntervalLogWriterBuilder::new()
        .add_comment(HEADER)
        .with_start_time(base)
        .with_base_time(base)
        .with_max_value_divisor(MAX_VALUE_DIVISOR)
        .begin_log_with(out, &mut serializer)?;
    let length = format!("{:.3}", run_ns as f64 / 1e9);
    let mut encoder = V2Encoder::new();
    let mut tails = TailCache::new();
    let mut line = Vec::new();
    for (tag, h) in histograms {
        if interrupt.is_some_and(Interrupt::is_set) {
            break;
        }
        if !tag_is_valid(tag) {
            return Err(io::Error::other(format!(
                "histogram tag {tag:?} is not file-safe"
            )));
        }
        line.clear();
        line.extend_from_slice(b"Tag=");
        line.extend_from_slice(tag.as_bytes());
        encoder.payload(h);
        match tails.get(&encoder.payload) {
            Some(tail) => line.extend_from_slice(tail),
            None => {
                let at = line.len();
                line_tail(&mut line, &length, h, &mut encoder)?;
                tails.put(&encoder.payload, &line[at..]);
            }
        }
        out.write_all(&line)?;
    }
    Ok(())
}

/// What follows a line's tag: `,0.000,<length>,<interval max>,<base64 of the
/// compressed V2 encoding>` and the newline. [`V2Encoder::payload`] must hold
/// `h`'s payload.
fn line_tail(
    line: &mut Vec<u8>,
    length: &str,
    h: &LatencyHistogram,
    encoder: &mut V2Encoder,
) -> io::Result<()> {
    line.extend_from_slice(b",0.000,");
    line.extend_from_slice(length.as_bytes());
    line.push(b',');
    interval_max(line, h.max());
    line.push(b',');
    encoder.encode_base64(line)?;
    line.push(b'\n');
    Ok(())
}

/// `Tag::new(tag).is_some()` without decoding characters: the four bytes it
/// refuses are ASCII, and in UTF-8 an ASCII byte is never part of another
/// character (every line checks its tag; `Tag::new` was 100 instructions a line).
fn tag_is_valid(tag: &str) -> bool {
    !tag.bytes()
        .any(|b| matches!(b, b',' | b'\r' | b'\n' | b' '))
}

/// Slots of [`TailCache`] (a power of two).
const TAIL_SLOTS: usize = 1024;
/// Longer payloads are not cached: their encoding costs more than finding
/// them again, and no slot holds more than a few kilobytes.
const TAIL_CACHE_PAYLOAD_MAX: usize = 512;

/// Recently written line tails (see [`line_tail`]) by their histogram's
/// uncompressed payload, direct-mapped by its hash. A tail is a function of
/// the payload alone (the interval length is the same for every line of a
/// log), so a hit writes the same bytes as encoding again. Flows of one
/// kind often record the same few values: at 100,000 one-datagram flows 491
/// distinct histograms, and encoding each line (interval max, zlib stream,
/// Adler-32, base64) was 1,700 instructions of the line's 2,300.
struct TailCache {
    /// (payload, tail); an empty payload is a free slot (every payload has a
    /// header).
    slots: Vec<(Vec<u8>, Vec<u8>)>,
}

impl TailCache {
    fn new() -> Self {
        TailCache {
            slots: vec![(Vec::new(), Vec::new()); TAIL_SLOTS],
        }
    }

    /// The slot of `payload`: a multiplicative hash of its 8-byte words, the
    /// top bits (`FxHasher` of a slice copies each word through a buffer with a
    /// `memcpy` call: 90 instructions a line).
    fn slot(payload: &[u8]) -> usize {
        const K: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut words = payload.chunks_exact(8);
        let mut hash = payload.len() as u64;
        for word in &mut words {
            let mut w = [0u8; 8];
            w.copy_from_slice(word);
            hash = (hash.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
        }
        for &b in words.remainder() {
            hash = (hash.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
        (hash >> (64 - TAIL_SLOTS.trailing_zeros())) as usize
    }

    fn get(&self, payload: &[u8]) -> Option<&[u8]> {
        let (key, tail) = &self.slots[Self::slot(payload)];
        (key.as_slice() == payload).then_some(tail.as_slice())
    }

    /// Keep `tail` for `payload` (in place of the slot's previous one).
    fn put(&mut self, payload: &[u8], tail: &[u8]) {
        if payload.len() > TAIL_CACHE_PAYLOAD_MAX {
            return;
        }
        let (key, kept) = &mut self.slots[Self::slot(payload)];
        key.clear();
        key.extend_from_slice(payload);
        kept.clear();
        kept.extend_from_slice(tail);
    }
}

/// HdrHistogram's compressed V2 encoding (Java's
/// `encodeIntoCompressedByteBuffer`) of a [`LatencyHistogram`], with buffers and
/// the zlib state kept between histograms.
struct V2Encoder {
    payload: Vec<u8>,
    compressed: Vec<u8>,
    zlib: Compress,
}

impl V2Encoder {
    fn new() -> Self {
        // The payload's header, the same for every histogram but its length.
        let mut p = Vec::new();
        p.extend_from_slice(&V2_COOKIE.to_be_bytes());
        p.extend_from_slice(&0u32.to_be_bytes()); // payload length, see `payload`
        p.extend_from_slice(&0u32.to_be_bytes()); // normalizing index offset
        p.extend_from_slice(&u32::from(SIGFIG).to_be_bytes());
        p.extend_from_slice(&1u64.to_be_bytes()); // lowest discernible value
        p.extend_from_slice(&HISTOGRAM_MAX_NS.to_be_bytes()); // highest trackable
        p.extend_from_slice(&1.0f64.to_be_bytes()); // integer to double ratio
        debug_assert_eq!(p.len(), V2_HEADER_LEN);
        V2Encoder {
            payload: p,
            compressed: Vec::new(),
            zlib: Compress::new(Compression::default(), true),
        }
    }

    /// Put `h`'s uncompressed V2 encoding in `self.payload`: header, then the
    /// counts up to the largest value's slot as zig-zag LEB128 varints, a run of
    /// n > 1 empty slots written as -n (an empty histogram: one empty slot).
    fn payload(&mut self, h: &LatencyHistogram) {
        let p = &mut self.payload;
        p.truncate(V2_HEADER_LEN);
        let mut next = 0u32;
        for (index, count) in h.slots() {
            match index - next {
                0 => {}
                1 => varint(p, 0),
                gap => varint(p, zig_zag(-i64::from(gap))),
            }
            varint(p, zig_zag(i64::try_from(count).unwrap_or(i64::MAX)));
            next = index + 1;
        }
        if h.is_empty() {
            varint(p, 0);
        }
        let len = (p.len() - V2_HEADER_LEN) as u32;
        p[4..8].copy_from_slice(&len.to_be_bytes());
    }

    /// Append the compressed V2 encoding of the histogram whose payload
    /// [`V2Encoder::payload`] made, in base64, to `out`.
    fn encode_base64(&mut self, out: &mut Vec<u8>) -> io::Result<()> {
        let p = &self.payload;
        // Compressed: cookie, length, zlib stream of the above.
        let c = &mut self.compressed;
        c.clear();
        c.extend_from_slice(&V2_COMPRESSED_COOKIE.to_be_bytes());
        c.extend_from_slice(&0u32.to_be_bytes());
        if p.len() < DEFLATE_FROM {
            zlib_stored(p, c);
        } else {
            self.zlib.reset();
            let mut consumed = 0;
            loop {
                c.reserve(p.len() / 2 + 64);
                let before = self.zlib.total_in();
                let status = self
                    .zlib
                    .compress_vec(&p[consumed..], c, FlushCompress::Finish)
                    .map_err(io::Error::other)?;
                consumed += (self.zlib.total_in() - before) as usize;
                if status == Status::StreamEnd {
                    break;
                }
            }
        }
        let zlen = (c.len() - 8) as u32;
        c[4..8].copy_from_slice(&zlen.to_be_bytes());
        // Into the line itself: `encode_string`'s chunked encoder was 800
        // instructions for a 60-byte stream.
        let at = out.len();
        out.resize(at + base64::encoded_len(c.len(), true).unwrap_or(0), 0);
        base64::engine::general_purpose::STANDARD
            .encode_slice(&c[..], &mut out[at..])
            .map_err(io::Error::other)?;
        Ok(())
    }
}

/// `{:.3}` of `max_ns / MAX_VALUE_DIVISOR` (milliseconds), in integers when the
/// rounding is clear: `{:.3}` of an `f64` costs about 2,000 instructions, and
/// every line of the log has one. A remainder of exactly half a microsecond
/// rounds by the `f64`'s own binary value, so it goes to `{:.3}` itself.
fn interval_max(line: &mut Vec<u8>, max_ns: u64) {
    let (ms, rest) = (max_ns / 1_000_000, max_ns % 1_000_000);
    let (us, ns) = (rest / 1000, rest % 1000);
    if ns == 500 || max_ns >= 1 << 52 {
        // Writing to a Vec cannot fail.
        let _ = write!(line, "{:.3}", max_ns as f64 / MAX_VALUE_DIVISOR);
        return;
    }
    let thousandths = ms * 1000 + us + u64::from(ns > 500);
    let mut num = itoa::Buffer::new();
    line.extend_from_slice(num.format(thousandths / 1000).as_bytes());
    line.push(b'.');
    let frac = thousandths % 1000;
    if frac < 100 {
        line.push(b'0');
    }
    if frac < 10 {
        line.push(b'0');
    }
    line.extend_from_slice(num.format(frac).as_bytes());
}

fn zig_zag(n: i64) -> u64 {
    ((n << 1) ^ (n >> 63)) as u64
}

/// `data` as a zlib stream (RFC 1950) of stored deflate blocks (RFC 1951 §3.2.4,
/// `BTYPE` 00): header, blocks of up to 65,535 bytes each with `LEN` and `NLEN`,
/// Adler-32 of `data`. Any inflater reads it (Java's `Inflater` in HdrHistogram's
/// log reader, the `hdrhistogram` crate's flate2). Written here because no
/// compressor offers it without first clearing its ~160 KB of match tables
/// (miniz_oxide's `reset`, zlib's `deflateReset`): ~300,000 instructions per
/// histogram, most of a 100k-flow run's output time, to save a few bytes on the
/// short payloads this is used for.
fn zlib_stored(data: &[u8], out: &mut Vec<u8>) {
    // CMF 0x78: deflate, 32 KiB window; FLG 0x01: no dictionary, "fastest"
    // level, and (0x7801 % 31 == 0) the header check.
    out.extend_from_slice(&[0x78, 0x01]);
    let mut blocks = data.chunks(usize::from(u16::MAX)).peekable();
    if blocks.peek().is_none() {
        out.extend_from_slice(&[0x01, 0x00, 0x00, 0xff, 0xff]);
    }
    while let Some(block) = blocks.next() {
        let last = blocks.peek().is_none();
        let len = block.len() as u16;
        out.push(u8::from(last)); // BFINAL, BTYPE 00
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    out.extend_from_slice(&adler2::adler32_slice(data).to_be_bytes());
}

/// HdrHistogram's LEB128-64b9B varint: LEB128 for the first 8 groups of 7 bits,
/// the 9th byte whole (so 64 bits fit in 9 bytes).
#[inline]
fn varint(out: &mut Vec<u8>, mut v: u64) {
    for _ in 0..8 {
        if v < 0x80 {
            out.push(v as u8);
            return;
        }
        out.push(0x80 | (v & 0x7f) as u8);
        v >>= 7;
    }
    out.push(v as u8);
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::STANDARD;
    use hdrhistogram::serialization::interval_log::{IntervalLogIterator, LogEntry, Tag};
    use hdrhistogram::serialization::Deserializer;
    use hdrhistogram::Histogram;

    /// `h`'s compressed V2 encoding in base64.
    fn encode(encoder: &mut V2Encoder, h: &LatencyHistogram) -> Vec<u8> {
        let mut out = Vec::new();
        encoder.payload(h);
        encoder.encode_base64(&mut out).unwrap();
        out
    }

    /// Lines whose tails come from the cache are the lines encoding each
    /// histogram afresh writes: many flows sharing few histograms, and more
    /// distinct ones than the cache has slots (so they evict each other),
    /// among them long ones (not cached) and empty ones.
    #[test]
    fn cached_line_tails_are_the_tails_encoding_writes() {
        let mut random = crate::rng::SplitMix64::new(18);
        let distinct: Vec<LatencyHistogram> = (0..TAIL_SLOTS * 2)
            .map(|i| {
                let mut h = LatencyHistogram::new();
                let n = match i % 50 {
                    0 => 0,
                    1 => 300,
                    _ => 1 + i % 4,
                };
                for _ in 0..n {
                    h.record(1 + random.next_u64() % (1 << (10 + random.next_u64() % 20)));
                }
                h
            })
            .collect();
        let names: Vec<String> = (0..10_000).map(|i| format!("f-{i}")).collect();
        let histograms: Vec<(&str, &LatencyHistogram)> = names
            .iter()
            .map(|name| {
                // Mostly a few common ones, sometimes any.
                let r = random.next_u64() as usize;
                let i = if r % 4 == 0 {
                    r / 4 % distinct.len()
                } else {
                    r / 4 % 8
                };
                (name.as_str(), &distinct[i])
            })
            .collect();
        let run_ns = 2_500_000_000;
        let mut cached = Vec::new();
        write_interval_log(&mut cached, &histograms, run_ns, None).unwrap();
        let mut afresh = Vec::new();
        let mut encoder = V2Encoder::new();
        for (tag, h) in &histograms {
            afresh.extend_from_slice(format!("Tag={tag}").as_bytes());
            encoder.payload(h);
            line_tail(&mut afresh, "2.500", h, &mut encoder).unwrap();
        }
        let cached = String::from_utf8(cached).unwrap();
        let lines = cached
            .split_inclusive('\n')
            .skip_while(|l| l.starts_with('#'));
        assert_eq!(
            lines.collect::<String>(),
            String::from_utf8(afresh).unwrap()
        );
        // Some payloads are too long for the cache.
        let long = distinct.iter().filter(|h| {
            encoder.payload(h);
            encoder.payload.len() > TAIL_CACHE_PAYLOAD_MAX
        });
        assert!(long.count() > 10);
    }

    /// The byte test refuses exactly the tags `Tag::new` refuses.
    #[test]
    fn tags_are_checked_as_tag_new_checks_them() {
        for tag in [
            "",
            "a",
            "web-db",
            "a b",
            "a,b",
            "a\rb",
            "a\n",
            ",",
            "é,",
            "web→db",
            "x\u{2028}y",
            "\t",
        ] {
            assert_eq!(tag_is_valid(tag), Tag::new(tag).is_some(), "{tag:?}");
        }
    }

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
        // The same histograms as the crate's own writer would encode them.
        let mut random = crate::rng::SplitMix64::new(3);
        for case in 0..200 {
            let mut h = LatencyHistogram::new();
            for _ in 0..(case * 7) {
                let v = 1 + random.next_u64() % (1 << (random.next_u64() % 40));
                h.record(v);
            }
            let line = encode(&mut V2Encoder::new(), &h);
            let bytes = STANDARD.decode(&line).unwrap();
            let back: Histogram<u64> = Deserializer::new().deserialize(&mut &bytes[..]).unwrap();
            let hdr = h.to_hdr();
            assert_eq!(
                (back.len(), back.max(), back.min()),
                (hdr.len(), hdr.max(), hdr.min())
            );
            assert!(hdr.iter_recorded().eq(back.iter_recorded()), "case {case}");
        }
        // Both encodings were exercised: stored (short) and deflated (long).
        let mut sizes = (usize::MAX, 0);
        for case in [1u64, 20_000] {
            let mut h = LatencyHistogram::new();
            for v in 1..=case {
                h.record(v * 1_000);
            }
            let mut encoder = V2Encoder::new();
            let line = encode(&mut encoder, &h);
            sizes = (
                sizes.0.min(encoder.payload.len()),
                sizes.1.max(encoder.payload.len()),
            );
            let bytes = STANDARD.decode(&line).unwrap();
            let back: Histogram<u64> = Deserializer::new().deserialize(&mut &bytes[..]).unwrap();
            assert!(h.to_hdr().iter_recorded().eq(back.iter_recorded()));
        }
        assert!(
            sizes.0 < DEFLATE_FROM && sizes.1 >= DEFLATE_FROM,
            "{sizes:?}"
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

    /// The integer path writes what `{:.3}` of the `f64` writes.
    #[test]
    fn interval_max_is_f64_rounded_to_three_places() {
        let mut values = vec![0, 1, 499, 500, 501, 999_499, 999_500, 999_501, 1_000_000];
        values.extend([123_456_789, 2_500_000_000, 3_600_000_000_000, (1 << 52) + 7]);
        let mut x = 12_345u64;
        for _ in 0..20_000 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            values.push((x >> 20) % 4_000_000_000_000);
            values.push((x >> 40) % 10_000_000);
        }
        for v in values {
            let mut line = Vec::new();
            interval_max(&mut line, v);
            assert_eq!(
                String::from_utf8(line).unwrap(),
                format!("{:.3}", v as f64 / MAX_VALUE_DIVISOR),
                "{v}"
            );
        }
    }

    #[test]
    fn stored_zlib_streams_inflate() {
        use std::io::Read;
        for n in [0usize, 1, 44, 65_535, 65_536, 140_000] {
            let data: Vec<u8> = (0..n).map(|i| (i * 7 % 251) as u8).collect();
            let mut z = Vec::new();
            zlib_stored(&data, &mut z);
            assert_eq!(u16::from_be_bytes([z[0], z[1]]) % 31, 0, "header check");
            let mut back = Vec::new();
            flate2::read::ZlibDecoder::new(&z[..])
                .read_to_end(&mut back)
                .unwrap();
            assert_eq!(back, data, "{n} bytes");
            // Overhead: header, 5 bytes a block, checksum.
            assert_eq!(z.len(), n + 2 + 5 * n.div_ceil(65_535).max(1) + 4);
        }
    }
}
