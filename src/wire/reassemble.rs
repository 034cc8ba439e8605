//! IPv4 reassembly of one datagram's fragments (for hosts and tests).
//!
//! The payload is put together by etherparse's `defrag::IpDefragBuf` (overlaps,
//! alignment, conflicting ends). Its `IpDefragPool` is not used: it keys on flows
//! and hands back only the payload, while here the caller already has exactly one
//! datagram's fragments and wants the whole frame back, header included.

use etherparse::defrag::IpDefragBuf;

use super::parse::ipv4_of_frame;
use super::{FragmentKind, Malformed, ETHERNET_HEADER_LEN};

/// Reassemble the fragments of one IPv4 datagram, in any order, into one frame.
///
/// The result carries the Ethernet header and IP header (options included) of the
/// fragment at offset 0, with MF and offset cleared, the total length set and the
/// header checksum recomputed. A single unfragmented frame comes back unchanged
/// (without Ethernet padding). Errors when fragments are malformed, belong to
/// different datagrams (source, destination, identification, protocol), conflict,
/// or leave a gap.
pub fn reassemble_ipv4(fragments: &[Vec<u8>]) -> Result<Vec<u8>, Malformed> {
    let Some(first_frame) = fragments.first() else {
        return Err(Malformed("no fragments to reassemble"));
    };
    let (first_view, _) = ipv4_of_frame(first_frame)?;
    if fragments.len() == 1 && first_view.fragment() == FragmentKind::Whole {
        return Ok(first_frame[..ETHERNET_HEADER_LEN + first_view.total_len].to_vec());
    }
    let datagram_id = |h: &etherparse::Ipv4HeaderSlice<'_>| {
        (
            h.source(),
            h.destination(),
            h.identification(),
            h.protocol(),
        )
    };
    let id = datagram_id(&first_view.header);

    let mut buf = IpDefragBuf::new(first_view.header.protocol(), Vec::new(), Vec::new());
    let mut head: Option<(&[u8], etherparse::Ipv4Header)> = None;
    for frame in fragments {
        let (view, packet) = ipv4_of_frame(frame)?;
        if datagram_id(&view.header) != id {
            return Err(Malformed("fragments of different datagrams"));
        }
        buf.add(
            view.header.fragments_offset(),
            view.header.more_fragments(),
            &packet[view.header_len..],
        )
        .map_err(|_| Malformed("conflicting or misaligned IPv4 fragments"))?;
        if view.header.fragments_offset().value() == 0 && head.is_none() {
            head = Some((&frame[..ETHERNET_HEADER_LEN], view.header.to_header()));
        }
    }
    if !buf.is_complete() {
        return Err(Malformed("IPv4 fragments missing"));
    }
    let Some((ethernet, mut header)) = head else {
        return Err(Malformed("IPv4 fragments missing"));
    };
    let (data, _) = buf.take_bufs();
    header.more_fragments = false;
    header.fragment_offset = etherparse::IpFragOffset::ZERO;
    header
        .set_payload_len(data.len())
        .map_err(|_| Malformed("reassembled IPv4 datagram too long"))?;
    header.header_checksum = header.calc_header_checksum();
    let header_bytes = header.to_bytes();
    let mut out = Vec::with_capacity(ETHERNET_HEADER_LEN + header_bytes.len() + data.len());
    out.extend_from_slice(ethernet);
    out.extend_from_slice(&header_bytes);
    out.extend_from_slice(&data);
    Ok(out)
}

#[cfg(test)]
#[path = "tests/reassemble.rs"]
mod tests;
