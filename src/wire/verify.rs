//! Checksum verification: what Wireshark would flag. Not on the router's hot path
//! (routers don't check transport checksums); used by tests and output checks.

use etherparse::checksum::Sum16BitWords;
use etherparse::ip_number;

use super::checksum::sums_to_valid;
use super::parse::{checked_ipv6, ethertype, ipv4_of_frame, walk_ipv6_extensions};
use super::parse::{ETHERTYPE_IPV4, ETHERTYPE_IPV6, IPV6_HEADER_LEN};
use super::{FragmentKind, Malformed, ETHERNET_HEADER_LEN};

/// Check the IPv4 header checksum and, for unfragmented TCP, UDP, ICMP and ICMPv6
/// packets, the transport checksum (with its pseudo-header). Fragments' transport
/// checksums cover the reassembled datagram and are not checked. An IPv4 UDP checksum
/// of 0 means "none" and passes; over IPv6 it is an error (RFC 8200 §8.1).
pub fn verify_checksums(frame: &[u8]) -> Result<(), Malformed> {
    const BAD: Malformed = Malformed("bad transport checksum");
    match ethertype(frame)? {
        ETHERTYPE_IPV4 => {
            // ipv4_of_frame already rejects a bad header checksum.
            let (view, packet) = ipv4_of_frame(frame)?;
            if view.fragment() != FragmentKind::Whole {
                return Ok(());
            }
            let segment = &packet[view.header_len..];
            let protocol = view.header.protocol();
            let sum = match protocol {
                ip_number::ICMP => Sum16BitWords::new(),
                ip_number::TCP | ip_number::UDP => {
                    if protocol == ip_number::UDP && segment.len() >= 8 && segment[6..8] == [0, 0] {
                        return Ok(());
                    }
                    let len = u16::try_from(segment.len()).map_err(|_| BAD)?;
                    Sum16BitWords::new()
                        .add_4bytes(view.header.source())
                        .add_4bytes(view.header.destination())
                        .add_2bytes([0, protocol.0])
                        .add_2bytes(len.to_be_bytes())
                }
                _ => return Ok(()),
            };
            if segment.is_empty() || !sums_to_valid(sum.add_slice(segment)) {
                return Err(BAD);
            }
            Ok(())
        }
        ETHERTYPE_IPV6 => {
            let ip = &frame[ETHERNET_HEADER_LEN..];
            let (header, len) = checked_ipv6(ip)?;
            let (protocol, fragment, segment) =
                walk_ipv6_extensions(header.next_header().0, &ip[IPV6_HEADER_LEN..len])?;
            let checked = [ip_number::TCP.0, ip_number::UDP.0, ip_number::IPV6_ICMP.0];
            if fragment != FragmentKind::Whole || !checked.contains(&protocol) {
                return Ok(());
            }
            let len = u32::try_from(segment.len()).map_err(|_| BAD)?;
            let sum = Sum16BitWords::new()
                .add_16bytes(header.source())
                .add_16bytes(header.destination())
                .add_4bytes(len.to_be_bytes())
                .add_4bytes([0, 0, 0, protocol]);
            if segment.is_empty() || !sums_to_valid(sum.add_slice(segment)) {
                return Err(BAD);
            }
            Ok(())
        }
        _ => Err(Malformed("ethertype is neither IPv4 nor IPv6")),
    }
}

#[cfg(test)]
#[path = "tests/verify.rs"]
mod tests;
