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
