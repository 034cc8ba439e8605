//! TCP MSS clamping, as a router does for the SYNs it forwards over a link with a
//! smaller MTU (the transit gateway clamps to fit its 8500-byte MTU).
//!
//! Hand-written: smoltcp parses TCP options but does not rewrite one in place in
//! a frame we own, and this is a 2-byte edit with an incremental checksum update
//! (RFC 1624), not worth a re-serialisation.

use super::Malformed;

const ETH_LEN: usize = 14;
const TCP: u8 = 6;
const OPT_END: u8 = 0;
const OPT_NOP: u8 = 1;
const OPT_MSS: u8 = 2;

/// Lower the MSS option of a TCP segment in `frame` (Ethernet + IPv4/IPv6 + TCP,
/// no IPv6 extension headers, not a fragment) to `max` if it is larger, fixing
/// the TCP checksum. Returns the original MSS when it was changed.
pub fn clamp_mss(frame: &mut [u8], max: u16) -> Result<Option<u16>, Malformed> {
    let short = Malformed("frame too short for its TCP header");
    let ethertype =
        u16::from_be_bytes([*frame.get(12).ok_or(short)?, *frame.get(13).ok_or(short)?]);
    let tcp_at = match ethertype {
        0x0800 => {
            let ihl = usize::from(frame.get(ETH_LEN).ok_or(short)? & 0x0f) * 4;
            let proto = *frame.get(ETH_LEN + 9).ok_or(short)?;
            // Fragment offset or more-fragments: not a whole segment.
            let frag = u16::from_be_bytes([
                *frame.get(ETH_LEN + 6).ok_or(short)?,
                *frame.get(ETH_LEN + 7).ok_or(short)?,
            ]) & 0x3fff;
            if proto != TCP || frag != 0 || ihl < 20 {
                return Ok(None);
            }
            ETH_LEN + ihl
        }
        0x86dd => {
            if *frame.get(ETH_LEN + 6).ok_or(short)? != TCP {
                return Ok(None);
            }
            ETH_LEN + 40
        }
        _ => return Ok(None),
    };
    let doff = usize::from(frame.get(tcp_at + 12).ok_or(short)? >> 4) * 4;
    if doff < 20 || frame.len() < tcp_at + doff {
        return Err(short);
    }
    let mut i = tcp_at + 20;
    let end = tcp_at + doff;
    while i < end {
        match frame[i] {
            OPT_END => break,
            OPT_NOP => i += 1,
            kind => {
                let len = usize::from(*frame.get(i + 1).ok_or(short)?);
                if len < 2 || i + len > end {
                    return Err(Malformed("bad TCP option length"));
                }
                if kind == OPT_MSS && len == 4 {
                    let old = u16::from_be_bytes([frame[i + 2], frame[i + 3]]);
                    if old <= max {
                        return Ok(None);
                    }
                    frame[i + 2..i + 4].copy_from_slice(&max.to_be_bytes());
                    let at = tcp_at + 16;
                    let sum = u16::from_be_bytes([frame[at], frame[at + 1]]);
                    // RFC 1624 eq. 3: HC' = ~(~HC + ~m + m').
                    let mut acc = u32::from(!sum) + u32::from(!old) + u32::from(max);
                    while acc > 0xffff {
                        acc = (acc & 0xffff) + (acc >> 16);
                    }
                    frame[at..at + 2].copy_from_slice(&(!(acc as u16)).to_be_bytes());
                    return Ok(Some(old));
                }
                i += len;
            }
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::test_support::{frame, tcp};
    use crate::wire::verify_checksums;

    /// A TCP frame whose options are `opts` (a multiple of 4 bytes), checksums fixed.
    fn with_options(v6: bool, opts: &[u8]) -> Vec<u8> {
        let mut f = frame(v6, tcp(0x02), opts.len());
        let tcp_at = if v6 { 54 } else { 34 };
        f[tcp_at + 12] = (((20 + opts.len()) / 4) << 4) as u8;
        f[tcp_at + 20..tcp_at + 20 + opts.len()].copy_from_slice(opts);
        // Recompute the TCP checksum over the pseudo-header the slow way.
        f[tcp_at + 16..tcp_at + 18].copy_from_slice(&[0, 0]);
        let mut sum: u32 = 0;
        let mut add = |b: &[u8]| {
            for c in b.chunks(2) {
                sum += u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]));
            }
        };
        let seg_len = f.len() - tcp_at;
        if v6 {
            add(&f[22..54]);
            add(&(seg_len as u32).to_be_bytes());
            add(&[0, 6]);
        } else {
            add(&f[26..34]);
            add(&[0, 6]);
            add(&(seg_len as u16).to_be_bytes());
        }
        add(&f[tcp_at..]);
        while sum > 0xffff {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        let c = !(sum as u16);
        f[tcp_at + 16..tcp_at + 18].copy_from_slice(&c.to_be_bytes());
        f
    }

    #[test]
    fn clamps_a_larger_mss_and_keeps_the_checksum_valid() {
        for v6 in [false, true] {
            // NOP, NOP, MSS 8961, then window scale 7 + NOP.
            let mut f = with_options(v6, &[1, 1, 2, 4, 0x23, 0x01, 3, 3, 7, 1, 0, 0]);
            assert!(verify_checksums(&f).is_ok(), "fixture v6={v6}");
            assert_eq!(clamp_mss(&mut f, 8460), Ok(Some(8961)));
            assert!(verify_checksums(&f).is_ok(), "v6={v6}");
            // Already small enough: untouched.
            assert_eq!(clamp_mss(&mut f, 9000), Ok(None));
        }
    }

    #[test]
    fn leaves_segments_without_mss_alone_and_rejects_bad_options() {
        let mut f = with_options(false, &[1, 1, 1, 0]);
        let before = f.clone();
        assert_eq!(clamp_mss(&mut f, 1000), Ok(None));
        assert_eq!(f, before);
        let mut bad = with_options(false, &[2, 9, 0, 0]);
        assert!(clamp_mss(&mut bad, 1000).is_err());
        assert!(clamp_mss(&mut [0u8; 10], 1000).is_err());
    }
}
