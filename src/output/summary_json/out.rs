//! [`Out`]: the buffer `summary.json` is written into, with the JSON scalars
//! `serde_json` writes (integers, strings, floats) written straight into it.
//!
//! At 100,000 flows the writer made about 60 `Vec` pushes and 30 integers a
//! flow: each push reloaded the vector and checked its capacity (and grew it
//! by doubling up to the flush size), each integer went through `itoa`'s own
//! buffer and a `memcpy` call, and each string was scanned byte by byte for
//! escapes. Here the buffer is allocated once at its full size and written at
//! a position (a constant key is a few moves), integers are written in place
//! and strings are scanned eight bytes at a time (issue #18). Each fast path
//! sits beside its definition and the tests compare the two.

use serde_json::ser::{CompactFormatter, Formatter};
use std::io::{self, Write};

/// Bytes gathered before they go to the writer (it is buffered too, but one
/// large write a chunk beats thousands of small ones).
pub const CHUNK: usize = 256 * 1024;
/// Room past [`CHUNK`] so that a flow begun below it ends in the buffer
/// (a typical flow is 1.3 KB; a larger one grows the buffer once).
const SLACK: usize = 64 * 1024;

/// An output buffer written at `at`; `buf` is all initialized (zeros), so
/// writes are plain slice copies.
pub struct Out {
    buf: Vec<u8>,
    at: usize,
    /// The last number written at each [`Out::uint_memo`] place.
    memos: [Memo; MEMOS],
    /// The last string written at each [`Out::string_memo`] place.
    strings: [StringMemo; STRING_MEMOS],
}

/// Places whose string is often the previous flow's very `str` (a shared
/// host name, a `&'static` protocol, outcome or expectation).
pub const STRING_MEMOS: usize = 5;

/// Longest string (quotes included) [`Out::string_memo`] keeps.
const STRING_MEMO: usize = 32;

/// A string's address and length, and its text as written (`len` 0: none).
#[derive(Clone, Copy)]
struct StringMemo {
    ptr: usize,
    str_len: usize,
    len: usize,
    text: [u8; STRING_MEMO],
}

impl Default for StringMemo {
    fn default() -> Self {
        StringMemo {
            ptr: 0,
            str_len: 0,
            len: 0,
            text: [0; STRING_MEMO],
        }
    }
}

/// Places in a flow whose number is often the previous flow's (bytes
/// delivered, bucket width, a latency): [`Out::uint_memo`]'s slots.
pub const MEMOS: usize = 5;

/// A number and its text (`len` 0: none yet).
#[derive(Clone, Copy, Default)]
struct Memo {
    value: u64,
    len: usize,
    text: [u8; AGAIN],
}

impl Out {
    pub fn new() -> Self {
        Out {
            buf: vec![0; CHUNK + SLACK],
            at: 0,
            memos: [Memo::default(); MEMOS],
            strings: [StringMemo::default(); STRING_MEMOS],
        }
    }

    /// The bytes written so far.
    pub fn bytes(&self) -> &[u8] {
        &self.buf[..self.at]
    }

    /// Write what is gathered to `w` once there is a chunk of it.
    pub fn flush_if_full<W: Write>(&mut self, w: &mut W) -> io::Result<()> {
        if self.at >= CHUNK {
            self.flush(w)?;
        }
        Ok(())
    }

    /// Write everything gathered to `w`.
    pub fn flush<W: Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(&self.buf[..self.at])?;
        self.at = 0;
        Ok(())
    }

    /// `n` bytes at the write position, the buffer grown if they do not fit.
    #[inline(always)]
    fn room(&mut self, n: usize) -> &mut [u8] {
        let end = self.at + n;
        if end > self.buf.len() {
            self.grow(end);
        }
        &mut self.buf[self.at..end]
    }

    #[cold]
    #[inline(never)]
    fn grow(&mut self, end: usize) {
        self.buf.resize(end.max(self.buf.len() * 2), 0);
    }

    /// Append `s` (with a constant `s`, a few moves once inlined).
    #[inline(always)]
    pub fn put(&mut self, s: &[u8]) {
        self.room(s.len()).copy_from_slice(s);
        self.at += s.len();
    }

    /// Append `n` spaces.
    pub fn spaces(&mut self, n: usize) {
        self.room(n).fill(b' ');
        self.at += n;
    }

    pub fn boolean(&mut self, v: bool) {
        self.put(if v { b"true" } else { b"false" });
    }

    /// `n` in decimal, as `serde_json` (itoa) writes it, its digits written in
    /// place from the last: [`itoa`] writes them to its own buffer, which
    /// then needed a copy (see `uint_reference` in the tests). One digit
    /// (most counts) is written where it is called.
    #[inline(always)]
    pub fn uint(&mut self, n: u64) {
        if n < 10 {
            self.put(&[b'0' + n as u8]);
        } else {
            self.uint_wide(n);
        }
    }

    /// [`Out::uint`], the text copied when `n` is the last number written
    /// at place `slot` (100,000 flows of one size deliver the same bytes
    /// and most see the same latency: a fixed-size copy instead of the
    /// digits' divisions).
    #[inline(always)]
    pub fn uint_memo(&mut self, slot: usize, n: u64) {
        let memo = self.memos[slot];
        if n == memo.value && memo.len != 0 {
            let len = memo.len;
            self.room(AGAIN).copy_from_slice(&memo.text);
            self.at += len;
        } else {
            self.uint_remembered(slot, n);
        }
    }

    #[inline(never)]
    fn uint_remembered(&mut self, slot: usize, n: u64) {
        let start = self.at;
        self.uint(n);
        let memo = &mut self.memos[slot];
        memo.value = n;
        memo.len = self.at - start;
        memo.text[..memo.len].copy_from_slice(&self.buf[start..self.at]);
    }

    /// [`Out::uint`] for `n >= 10`.
    #[inline(never)]
    fn uint_wide(&mut self, n: u64) {
        let len = decimal_len(n);
        let d = self.room(len);
        let mut n = n;
        let mut end = len;
        while n >= 100 {
            let pair = (n % 100) as usize * 2;
            n /= 100;
            d[end - 2..end].copy_from_slice(&PAIRS[pair..pair + 2]);
            end -= 2;
        }
        if n >= 10 {
            let pair = n as usize * 2;
            d[end - 2..end].copy_from_slice(&PAIRS[pair..pair + 2]);
        } else {
            d[end - 1] = b'0' + n as u8;
        }
        self.at += len;
    }

    /// A JSON string as `serde_json` writes it: quotes, backslashes and
    /// control characters escaped; everything else (all other UTF-8) as it is.
    /// Checked and copied in the same pass, eight bytes at a time (the last
    /// word overlapping the one before; a string under eight bytes byte by
    /// byte), with no `memcpy` call for these short names.
    pub fn string(&mut self, s: &str) {
        let src = s.as_bytes();
        let n = src.len();
        let d = self.room(n + 2);
        d[0] = b'"';
        if n >= 8 {
            let mut i = 0;
            loop {
                let at = i.min(n - 8);
                let mut w = [0u8; 8];
                w.copy_from_slice(&src[at..at + 8]);
                if word_needs_escape(u64::from_le_bytes(w)) {
                    return self.string_escaped(s);
                }
                d[1 + at..9 + at].copy_from_slice(&w);
                if at + 8 == n {
                    break;
                }
                i += 8;
            }
        } else {
            for (to, &c) in d[1..=n].iter_mut().zip(src) {
                if c < 0x20 || c == b'"' || c == b'\\' {
                    return self.string_escaped(s);
                }
                *to = c;
            }
        }
        d[n + 1] = b'"';
        self.at += n + 2;
    }

    /// Append again the bytes at `span` (written earlier, before any flush):
    /// a number written once more, as [`Out::uint`] would write it (a
    /// one-datagram flow's p50, p90, p99 and max are one value).
    #[inline]
    pub fn again(&mut self, span: std::ops::Range<usize>) {
        let n = span.len();
        if n <= AGAIN {
            // A fixed-size move (inlined, no memmove call), the bytes past
            // `n` overwritten by what comes next.
            self.room(AGAIN);
            self.buf
                .copy_within(span.start..span.start + AGAIN, self.at);
        } else {
            self.room(n);
            self.buf.copy_within(span, self.at);
        }
        self.at += n;
    }

    /// Where the next byte goes (for [`Out::again`]).
    pub fn position(&self) -> usize {
        self.at
    }

    /// [`Out::string`], the text copied when `s` is the very `str` (same
    /// address and length: the same bytes, as `&str`s are immutable while
    /// the summary is written) last written at place `slot`: no escape
    /// check, a fixed-size copy.
    #[inline(always)]
    pub fn string_memo(&mut self, slot: usize, s: &str) {
        let memo = &self.strings[slot];
        if memo.len != 0 && memo.ptr == s.as_ptr() as usize && memo.str_len == s.len() {
            let (len, text) = (memo.len, memo.text);
            self.room(STRING_MEMO).copy_from_slice(&text);
            self.at += len;
        } else {
            self.string_remembered(slot, s);
        }
    }

    #[inline(never)]
    fn string_remembered(&mut self, slot: usize, s: &str) {
        let start = self.at;
        self.string(s);
        let len = self.at - start;
        let memo = &mut self.strings[slot];
        if len <= STRING_MEMO {
            memo.ptr = s.as_ptr() as usize;
            memo.str_len = s.len();
            memo.len = len;
            memo.text[..len].copy_from_slice(&self.buf[start..self.at]);
        } else {
            memo.len = 0;
        }
    }

    /// `"0,0,…,0"`: `run` zeros of a compact list, as [`Out::uint`] and
    /// commas would write them, copied at most 64 at a time (a goodput
    /// series' leading empty buckets).
    pub fn zeros(&mut self, run: usize) {
        let mut left = run;
        while left > 0 {
            let k = left.min(ZEROS.len() / 2);
            self.put(&ZEROS[..2 * k - 1]);
            left -= k;
            if left > 0 {
                self.put(b",");
            }
        }
    }

    /// Rare (names are checked): the escapes left to `serde_json` itself.
    #[cold]
    #[inline(never)]
    fn string_escaped(&mut self, s: &str) {
        let mut v = Vec::with_capacity(s.len() + 8);
        // Writing to a Vec cannot fail.
        let _ = serde_json::to_writer(&mut v, s);
        self.put(&v);
    }

    /// As `serde_json` writes an `f64`: shortest round-trip text, `null` if
    /// not finite.
    pub fn float(&mut self, x: f64) {
        if x.to_bits() == 0 {
            // +0.0, most data costs: what the formatter writes for it.
            self.put(b"0.0");
        } else if x.is_finite() {
            let mut text = [0u8; 32];
            let mut w = &mut text[..];
            // 32 bytes hold any f64 the formatter writes (at most 24).
            let _ = CompactFormatter.write_f64(&mut w, x);
            let n = 32 - w.len();
            self.put(&text[..n]);
        } else {
            self.put(b"null");
        }
    }
}

/// "00", "01", … "99": two digits at a time, as itoa does.
const PAIRS: &[u8; 200] = b"\
0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// Bytes [`Out::again`] moves at once: any `u64`'s digits.
const AGAIN: usize = 20;

/// Digits in `n`: ⌊log10 2 × bits⌋ (1233 / 4096) is the count or one more,
/// one comparison tells which (`u64::ilog10` took 26 instructions).
#[inline(always)]
fn decimal_len(n: u64) -> usize {
    const POW10: [u64; 20] = {
        let mut p = [1u64; 20];
        let mut i = 1;
        while i < 20 {
            p[i] = p[i - 1] * 10;
            i += 1;
        }
        p
    };
    let t = (((64 - (n | 1).leading_zeros()) * 1233) >> 12) as usize;
    t + 1 - usize::from(n < POW10[t])
}

/// Sixty-four zeros of a compact list with their commas.
const ZEROS: &[u8; 128] = b"\
0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,\
0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,";

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Whether any byte of `x` is below 0x20, `"` or `\`: the usual "has a byte
/// less than n" and "has a zero byte" word tests (exact as a yes/no; bytes
/// with the top bit set, UTF-8 beyond ASCII, never count).
#[inline(always)]
fn word_needs_escape(x: u64) -> bool {
    let control = x.wrapping_sub(ONES * 0x20) & !x;
    let q = x ^ (ONES * u64::from(b'"'));
    let quote = q.wrapping_sub(ONES) & !q;
    let b = x ^ (ONES * u64::from(b'\\'));
    let backslash = b.wrapping_sub(ONES) & !b;
    (control | quote | backslash) & HIGHS != 0
}

/// Whether `s` has a byte JSON escapes, eight bytes at a time (the last few
/// padded with a harmless letter): the word test [`Out::string`] makes as it
/// copies, checked here against `needs_escape_reference`, the definition.
#[cfg(test)]
fn needs_escape(s: &[u8]) -> bool {
    let mut words = s.chunks_exact(8);
    for w in &mut words {
        let mut b = [0u8; 8];
        b.copy_from_slice(w);
        if word_needs_escape(u64::from_le_bytes(b)) {
            return true;
        }
    }
    let rest = words.remainder();
    let mut b = [b'a'; 8];
    b[..rest.len()].copy_from_slice(rest);
    word_needs_escape(u64::from_le_bytes(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn needs_escape_reference(s: &[u8]) -> bool {
        s.iter().any(|&c| c < 0x20 || c == b'"' || c == b'\\')
    }

    fn uint_reference(n: u64) -> Vec<u8> {
        itoa::Buffer::new().format(n).as_bytes().to_vec()
    }

    fn written(f: impl FnOnce(&mut Out)) -> Vec<u8> {
        let mut o = Out::new();
        f(&mut o);
        o.bytes().to_vec()
    }

    /// Every byte value at every position of strings of length 0 to 20, and
    /// a few UTF-8 ones: the word test says what the byte loop says.
    #[test]
    fn escape_test_matches_the_byte_loop() {
        for len in 0..=20usize {
            for at in 0..len.max(1) {
                for c in 0..=255u8 {
                    let mut s = vec![b'x'; len];
                    if len > 0 {
                        s[at] = c;
                    }
                    assert_eq!(
                        needs_escape(&s),
                        needs_escape_reference(&s),
                        "{s:?} (byte {c:#x} at {at})"
                    );
                }
            }
        }
        for s in [
            "héllo wörld, ünïcode",
            "日本語のフロー名",
            "a\u{7f}b",
            "\u{80}\u{ff}",
        ] {
            assert_eq!(
                needs_escape(s.as_bytes()),
                needs_escape_reference(s.as_bytes())
            );
        }
    }

    /// Strings of 0 to 40 bytes with each byte needing an escape (or
    /// not) at each position: what serde_json writes.
    #[test]
    fn strings_are_serde_jsons() {
        for s in [
            "",
            "flow-1",
            "i-spoke-1-1",
            "tab\there",
            "\"q\"",
            "back\\",
            "é\u{1}",
            "12345678",
        ] {
            assert_eq!(
                written(|o| o.string(s)),
                serde_json::to_vec(s).unwrap(),
                "{s:?}"
            );
        }
        for len in 0..=40usize {
            for at in 0..len.max(1) {
                for c in ["x", "\"", "\\", "\u{1f}", "\u{0}", "\n", "\u{7f}", "é", " "] {
                    let mut s: String = "abcdefghijklmnopqrstuvwxyz0123456789-_.:"[..len].into();
                    if len > 0 {
                        s.replace_range(at..at + 1, c);
                    }
                    let mut o = Out::new();
                    o.put(b"[");
                    o.string(&s);
                    o.put(b"]");
                    let want = [b"[".as_slice(), &serde_json::to_vec(&s).unwrap(), b"]"].concat();
                    assert_eq!(o.bytes(), want, "{s:?}");
                }
            }
        }
    }

    /// Runs of zeros as the list a loop of `uint` and commas writes.
    #[test]
    fn zero_runs_are_the_list() {
        for run in 1..=200 {
            let mut o = Out::new();
            o.zeros(run);
            let want = vec!["0"; run].join(",");
            assert_eq!(String::from_utf8_lossy(o.bytes()), want, "{run}");
        }
    }

    #[test]
    fn integers_are_itoas() {
        let mut values: Vec<u64> = (0..=10_100).collect();
        let mut p = 1u64;
        for _ in 0..20 {
            values.extend([p - 1, p, p + 1, p.wrapping_mul(7) / 3]);
            p = p.saturating_mul(10);
        }
        values.extend([
            u64::MAX,
            u64::MAX - 1,
            10_000_000_000_000_000_000,
            9_999_999_999_999_999_999,
        ]);
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..100_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            values.push(x >> (x % 64));
        }
        for n in values {
            assert_eq!(written(|o| o.uint(n)), uint_reference(n), "{n}");
        }
    }

    /// Remembered numbers are written as `uint` writes them, whatever the
    /// order of hits and misses across places.
    #[test]
    fn memos_write_what_uint_writes() {
        let values = [
            200u64,
            200,
            7,
            200,
            u64::MAX,
            u64::MAX,
            0,
            0,
            10_000,
            99,
            200,
        ];
        let (mut fast, mut plain) = (Out::new(), Out::new());
        for (i, &n) in values.iter().enumerate() {
            for slot in [i % MEMOS, 0] {
                fast.uint_memo(slot, n);
                fast.put(b",");
                plain.uint(n);
                plain.put(b",");
            }
        }
        assert_eq!(fast.bytes(), plain.bytes());
    }

    /// Remembered strings are written as `string` writes them: the same
    /// `str` again, an equal one elsewhere, others of the same length, a
    /// long one, escapes.
    #[test]
    fn string_memos_write_what_string_writes() {
        let long = "x".repeat(40);
        let a = String::from("i-hub-0");
        let a2 = a.clone();
        let texts: [&str; 14] = [
            &a, &a, &a2, "i-hub-1", "udp", "udp", "tcp", &long, &long, "q\"", "q\"", &a, "", "",
        ];
        let (mut fast, mut plain) = (Out::new(), Out::new());
        for (i, s) in texts.iter().enumerate() {
            for slot in [i % STRING_MEMOS, 0] {
                fast.string_memo(slot, s);
                fast.put(b",");
                plain.string(s);
                plain.put(b",");
            }
        }
        assert_eq!(
            String::from_utf8_lossy(fast.bytes()),
            String::from_utf8_lossy(plain.bytes())
        );
    }

    /// A number written again from its first text, next to others.
    #[test]
    fn again_writes_the_same_number() {
        for n in [0, 7, 10, 100_415, u64::MAX, 12_345_678_901_234_567_890] {
            let mut o = Out::new();
            o.put(b"a");
            let start = o.position();
            o.uint(n);
            let span = start..o.position();
            o.put(b",");
            o.again(span.clone());
            o.put(b";");
            o.again(span);
            assert_eq!(String::from_utf8_lossy(o.bytes()), format!("a{n},{n};{n}"));
        }
        for n in 0..=20u32 {
            let v = 10u64.saturating_pow(n);
            assert_eq!(decimal_len(v), uint_reference(v).len(), "{v}");
        }
    }

    #[test]
    fn floats_are_serde_jsons() {
        for x in [
            0.0,
            -0.0,
            1.0,
            0.1,
            1234.5678e9,
            5e-324,
            f64::MAX,
            -2.5,
            1e21,
            1e-7,
        ] {
            assert_eq!(
                written(|o| o.float(x)),
                serde_json::to_vec(&x).unwrap(),
                "{x}"
            );
        }
        for x in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(written(|o| o.float(x)), b"null");
        }
    }

    /// Past the buffer's end it grows; a flush empties it.
    #[test]
    fn grows_and_flushes() {
        let mut o = Out::new();
        let big = vec![b'z'; CHUNK + SLACK + 10];
        o.put(b"[");
        o.put(&big);
        o.uint(12345);
        assert_eq!(o.bytes().len(), big.len() + 6);
        let mut sink = Vec::new();
        o.flush_if_full(&mut sink).unwrap();
        assert_eq!(sink.len(), big.len() + 6);
        assert!(o.bytes().is_empty());
        o.spaces(3);
        o.boolean(false);
        assert_eq!(o.bytes(), b"   false");
    }
}
