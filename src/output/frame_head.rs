//! The flow log's view of the commonest frame without captures: IPv4 with a
//! 20-byte header carrying UDP or ICMP, of which the flow log reads only the
//! first [`HEAD_LEN`] bytes (Ethernet, IP and the 8-byte transport header).
//!
//! The simulation's thread keeps just those bytes and the frame's length (see
//! [`plain_ipv4_head`] and `thread`), and the recorder thread reads the flow
//! log's fields from them with [`flow_fields`] instead of padding the frame back
//! to its length and calling the general [`parse_frame`](crate::wire::parse_frame)
//! on it (issue #18: that parse was a third of the recorder thread's work).
//! `flow_fields` answers only when `parse_frame` would accept the frame, with the
//! same fields; for anything else (a fragment, a bad checksum, lengths that do not
//! fit) it gives `None` and the caller asks `parse_frame`, errors included.
//! Tested against `parse_frame` below, on real frames and on corruptions of them.

use crate::wire::ipv4_header20_sum;

/// Ethernet (14), a 20-byte IPv4 header, and a UDP or ICMP header (8).
pub const HEAD_LEN: usize = 42;

const ETH: usize = 14;
const PROTO_ICMP: u8 = 1;
const PROTO_UDP: u8 = 17;

/// What the flow log reads of an IPv4 packet: its 5-tuple (ports 0 for ICMP, as
/// [`FlowKey`](crate::wire::FlowKey) has them) and its total length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flow4 {
    pub src: u32,
    pub dst: u32,
    pub src_port: u16,
    pub dst_port: u16,
    pub protocol: u8,
    pub ip_len: u16,
}

/// `frame`'s first [`HEAD_LEN`] bytes when it is an IPv4 frame with a 20-byte
/// header (version 4, IHL 5) carrying UDP or ICMP: then those bytes are all the
/// flow log reads of it (the same bytes `thread::flow_log_snap` keeps). Only the
/// fixed fields that say so are looked at, nothing is checked.
#[inline]
pub fn plain_ipv4_head(frame: &[u8]) -> Option<&[u8; HEAD_LEN]> {
    let head = frame.first_chunk::<HEAD_LEN>()?;
    let p = head[ETH + 9];
    (head[12..15] == [0x08, 0x00, 0x45] && (p == PROTO_UDP || p == PROTO_ICMP)).then_some(head)
}

/// The flow log's fields of a frame of `len` bytes whose first bytes are `head`
/// (as [`plain_ipv4_head`] picks them), when `parse_frame` accepts such a frame:
/// a whole packet (not a fragment) with a valid header checksum, its total length
/// at least its headers and within the frame, and for UDP a length field between
/// 8 and the IP payload's length. `None` otherwise (the caller then parses the
/// frame itself). Only `head` is read: every byte these checks need is in it.
#[inline]
pub fn flow_fields(head: &[u8; HEAD_LEN], len: u32) -> Option<Flow4> {
    let (h, transport) = head[ETH..].split_first_chunk::<20>()?;
    let total = u16::from_be_bytes([h[2], h[3]]);
    // Not a fragment (DF may be set); the IP and transport headers within the
    // total length, and that within the frame.
    if h[6] & 0x3f != 0
        || h[7] != 0
        || total < 28
        || u32::from(total) > len.saturating_sub(ETH as u32)
    {
        return None;
    }
    let (src_port, dst_port) = match h[9] {
        PROTO_UDP => {
            let udp_len = u16::from_be_bytes([transport[4], transport[5]]);
            if udp_len < 8 || udp_len > total - 20 {
                return None;
            }
            (
                u16::from_be_bytes([transport[0], transport[1]]),
                u16::from_be_bytes([transport[2], transport[3]]),
            )
        }
        PROTO_ICMP => (0, 0),
        _ => return None,
    };
    if ipv4_header20_sum(h) != 0xffff {
        return None;
    }
    Some(Flow4 {
        src: u32::from_be_bytes([h[12], h[13], h[14], h[15]]),
        dst: u32::from_be_bytes([h[16], h[17], h[18], h[19]]),
        src_port,
        dst_port,
        protocol: h[9],
        ip_len: total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;
    use crate::sim::{CapturePoint, DropEvent, FrameDirection, Observer};
    use crate::wire::{build_packet, parse_frame, PacketSpec, Transport};
    use std::net::IpAddr;

    struct Collect(Vec<Vec<u8>>);

    impl Observer for Collect {
        fn frame(&mut self, _: u64, _: CapturePoint, _: FrameDirection, frame: &[u8]) {
            self.0.push(frame.to_vec());
        }
        fn dropped(&mut self, e: DropEvent<'_>) {
            self.0.push(e.frame.to_vec());
        }
    }

    /// Frames of real runs (UDP, ping, TCP, fragments through a small MTU), and
    /// hand-built IPv4 UDP and ICMP packets, fragmented too.
    fn frames() -> Vec<Vec<u8>> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("topologies");
        let mut all = Collect(Vec::new());
        for name in ["inter-region-mtu", "shared-services", "nacl-ephemeral"] {
            let net = crate::topology::load_file(&dir.join(format!("{name}.toml")))
                .unwrap_or_else(|e| panic!("{e}"));
            crate::sim::run_network(&net, &crate::sim::SimConfig::default(), &mut all)
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let mut frames = all.0;
        for transport in [
            Transport::Udp {
                src_port: 3,
                dst_port: 53,
            },
            Transport::Echo {
                id: 5,
                seq: 6,
                reply: true,
            },
        ] {
            for payload_len in [0, 1, 3000] {
                let f = build_packet(&PacketSpec {
                    src_mac: [2; 6],
                    dst_mac: [4; 6],
                    src: "10.0.0.1".parse().unwrap(),
                    dst: "192.168.200.9".parse().unwrap(),
                    transport,
                    payload_len,
                    dont_fragment: payload_len == 1,
                    identification: 7,
                    ttl: 64,
                })
                .unwrap();
                let _ = crate::wire::fragment_ipv4(&f, 1280, &mut frames);
                frames.push(f);
            }
        }
        frames
    }

    /// Whenever `flow_fields` answers, `parse_frame` of the whole frame accepts it
    /// with the same fields; and it answers for every well-formed plain frame. On
    /// real frames, then on each corrupted in one of its first 42 bytes or cut
    /// short, or given Ethernet padding.
    #[test]
    fn flow_fields_agree_with_parse_frame() {
        let frames = frames();
        let mut rng = SplitMix64::new(11);
        let mut tried = frames.clone();
        for f in &frames {
            for _ in 0..30 {
                let mut c = f.clone();
                let i = (rng.next_u64() as usize) % HEAD_LEN.min(c.len());
                c[i] = rng.next_u64() as u8;
                tried.push(c);
            }
            let mut padded = f.clone();
            padded.extend_from_slice(&[0; 9]);
            tried.push(padded);
            for cut in [1, 2, 9] {
                tried.push(f[..f.len().saturating_sub(cut)].to_vec());
            }
        }
        let (mut answered, mut plain_valid) = (0, 0);
        for f in &tried {
            let Some(head) = plain_ipv4_head(f) else {
                continue;
            };
            let parsed = parse_frame(f);
            let fast = flow_fields(head, f.len() as u32);
            if let Ok(k) = parsed {
                if k.fragment == crate::wire::FragmentKind::Whole {
                    plain_valid += 1;
                }
            }
            let Some(fast) = fast else {
                continue;
            };
            answered += 1;
            let k = parsed.unwrap_or_else(|e| panic!("fast path accepted what parse refuses: {e}"));
            let ip = |a: u32| IpAddr::V4(a.into());
            assert_eq!(
                (ip(fast.src), ip(fast.dst), fast.src_port, fast.dst_port),
                (k.src, k.dst, k.src_port, k.dst_port),
                "{f:?}"
            );
            assert_eq!((fast.protocol, fast.ip_len), (k.protocol, k.ip_len));
        }
        // Every plain, whole, well-formed frame is answered without `parse_frame`.
        assert_eq!(answered, plain_valid);
        assert!(answered > 1000, "{answered}");
        // Both protocols are among them.
        let answered_protocols: std::collections::BTreeSet<u8> = frames
            .iter()
            .filter_map(|f| flow_fields(plain_ipv4_head(f)?, f.len() as u32))
            .map(|k| k.protocol)
            .collect();
        assert_eq!(answered_protocols, [PROTO_ICMP, PROTO_UDP].into());
    }
}
