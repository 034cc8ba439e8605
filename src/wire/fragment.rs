//! IPv4 fragmentation by a router (RFC 791 §2.3 and §3.2, RFC 1812 §4.2.2.7).
//!
//! Hand-written around etherparse's `Ipv4Header`: etherparse reassembles but has no
//! fragmenter. Headers are still written by etherparse (`to_bytes`, checksum).

use etherparse::{IpFragOffset, Ipv4Header};

use super::parse::ipv4_of_frame;
use super::{Malformed, ETHERNET_HEADER_LEN};

/// RFC 791: every internet module must forward a 68-byte datagram unfragmented,
/// so no link MTU is smaller (a 60-byte header plus 8 bytes of data).
pub const MIN_IPV4_MTU: u16 = 68;

/// Split an IPv4 frame into frames whose IP packets are at most `mtu` bytes
/// (RFC 791: 8-byte aligned offsets, MF on all but the last, identification
/// copied, options copied only when their copy flag is set, checksums fixed).
/// Appends the fragments to `out`. A frame already within `mtu` is appended as is.
///
/// The DF bit is **not** looked at: deciding between fragmenting and answering with
/// [`super::icmpv4_frag_needed`] is the caller's job; DF is copied into the fragments.
/// An already fragmented packet is split further (offsets stay relative to the original
/// datagram, MF stays set when it was). Identification 0 (smoltcp's DF packets) is
/// copied like any other. TTL is unchanged (the VPC router does not decrement it).
/// The Ethernet header is copied into every fragment; fragments carry no Ethernet
/// padding (a frame that fits is appended byte for byte, padding and all).
/// Errors on a malformed frame, malformed IPv4 options, or `mtu` below 68 (only
/// checked when fragmenting is needed); on `Err` nothing is appended to `out`.
pub fn fragment_ipv4(frame: &[u8], mtu: u16, out: &mut Vec<Vec<u8>>) -> Result<(), Malformed> {
    let appended_before = out.len();
    let result = fragment_into(frame, mtu, out);
    if result.is_err() {
        out.truncate(appended_before);
    }
    result
}

fn fragment_into(frame: &[u8], mtu: u16, out: &mut Vec<Vec<u8>>) -> Result<(), Malformed> {
    let (view, packet) = ipv4_of_frame(frame)?;
    if view.total_len <= usize::from(mtu) {
        out.push(frame.to_vec());
        return Ok(());
    }
    if mtu < MIN_IPV4_MTU {
        return Err(Malformed("MTU below the IPv4 minimum of 68"));
    }
    let mut first_header = view.header.to_header();
    let mut later_header = first_header.clone();
    let mut copied = [0u8; 40];
    let copied_len = copied_options(view.header.options(), &mut copied)?;
    later_header.options = etherparse::Ipv4Options::try_from(&copied[..copied_len])
        .map_err(|_| Malformed("bad IPv4 options length"))?;

    let ethernet = &frame[..ETHERNET_HEADER_LEN];
    let payload = &packet[view.header_len..];
    let base_offset = usize::from(view.header.fragments_offset().byte_offset());
    let original_more = view.header.more_fragments();
    let mtu = usize::from(mtu);

    let mut pos = 0;
    while pos < payload.len() {
        let header = if pos == 0 {
            &mut first_header
        } else {
            &mut later_header
        };
        let room = mtu - header.header_len(); // >= 8: mtu >= 68, header <= 60
        let remaining = payload.len() - pos;
        let (len, last) = if remaining <= room {
            (remaining, true)
        } else {
            (room & !7, false)
        };
        let offset_units = u16::try_from((base_offset + pos) / 8)
            .map_err(|_| Malformed("IPv4 fragment offset overflow"))?;
        header.fragment_offset = IpFragOffset::try_new(offset_units)
            .map_err(|_| Malformed("IPv4 fragment offset overflow"))?;
        header.more_fragments = !last || original_more;
        header
            .set_payload_len(len)
            .map_err(|_| Malformed("IPv4 fragment too long"))?;
        header.header_checksum = header.calc_header_checksum();
        out.push(assemble(ethernet, header, &payload[pos..pos + len]));
        pos += len;
    }
    Ok(())
}

fn assemble(ethernet: &[u8], header: &Ipv4Header, data: &[u8]) -> Vec<u8> {
    let header_bytes = header.to_bytes();
    let mut frame = Vec::with_capacity(ethernet.len() + header_bytes.len() + data.len());
    frame.extend_from_slice(ethernet);
    frame.extend_from_slice(&header_bytes);
    frame.extend_from_slice(data);
    frame
}

/// The options a non-first fragment carries (RFC 791 §3.1: those whose type has the
/// copy flag 0x80 set), padded with End-of-Options to a multiple of 4 bytes. Returns
/// the length written to `out`. Validates every option's length.
pub(crate) fn copied_options(options: &[u8], out: &mut [u8; 40]) -> Result<usize, Malformed> {
    const END: u8 = 0;
    const NOP: u8 = 1;
    const COPY_FLAG: u8 = 0x80;
    let mut written = 0;
    let mut i = 0;
    while i < options.len() {
        let kind = options[i];
        match kind {
            END => break,
            NOP => i += 1,
            _ => {
                let len = usize::from(
                    *options
                        .get(i + 1)
                        .ok_or(Malformed("truncated IPv4 option"))?,
                );
                if len < 2 || i + len > options.len() {
                    return Err(Malformed("bad IPv4 option length"));
                }
                if kind & COPY_FLAG != 0 {
                    out[written..written + len].copy_from_slice(&options[i..i + len]);
                    written += len;
                }
                i += len;
            }
        }
    }
    let padded = written.div_ceil(4) * 4;
    out[written..padded].fill(END);
    Ok(padded)
}

#[cfg(test)]
#[path = "tests/fragment.rs"]
mod tests;
