//! pcapng writing on `pcap-file`: one Interface Description Block per capture point
//! (`if_name` = ENI id, `pcx-…` id or host name; `if_tsresol` = 9 so timestamps are
//! nanoseconds), Enhanced Packet Blocks with `epb_flags` direction bits and, for
//! `drops.pcapng`, an `opt_comment` naming the reason and the object.
//!
//! pcap-file 2.0 always writes EPB timestamps as a count of nanoseconds; that is only
//! right when the interface says `if_tsresol = 9`, which every IDB here does.

use crate::sim::FrameDirection;
use pcap_file::pcapng::blocks::enhanced_packet::{EnhancedPacketBlock, EnhancedPacketOption};
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};
use pcap_file::pcapng::blocks::section_header::{SectionHeaderBlock, SectionHeaderOption};
use pcap_file::pcapng::PcapNgWriter;
use pcap_file::{DataLink, Endianness, PcapError};
use std::borrow::Cow;
use std::io::{self, Write};
use std::time::Duration;

/// Virtual time 0 is shown as this Unix time (2023-11-14T22:13:20Z) in captures and
/// flow logs: a fixed base keeps outputs deterministic while giving Wireshark and
/// flow-log tools a plausible date instead of 1970.
pub const EPOCH_BASE_S: u64 = 1_700_000_000;

/// `if_tsresol` value meaning 10^-9 s.
const TSRESOL_NANOSECONDS: u8 = 9;
/// Larger than any frame we build (9001-byte MTU + Ethernet header): the default
/// `--snaplen` keeps every frame whole.
pub const DEFAULT_SNAPLEN: u32 = 65_535;
/// The section header block as written here (type, lengths, byte-order magic,
/// version, section length, the `shb_userappl` option and its end): at most this
/// many bytes. Counted in [`PcapngFile::bytes`] instead of measured.
const SHB_BOUND: u64 = 64;
/// pcapng option lengths are 16-bit; comments and names are cut well below that.
const MAX_OPTION_TEXT: usize = 1024;

/// `epb_flags` bits 0–1 (pcapng spec §4.3.1): 01 inbound, 10 outbound.
pub fn direction_flags(dir: FrameDirection) -> u32 {
    match dir {
        FrameDirection::Inbound => 0b01,
        FrameDirection::Outbound => 0b10,
    }
}

/// One interface of a capture file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureInterface {
    /// `if_name`: the ENI id, peering id or host name.
    pub name: String,
    /// `if_description`: what it is (`ENI of web-1 in subnet-…`).
    pub description: String,
}

/// A pcapng file being written. Little-endian regardless of the machine, so the same
/// run produces the same bytes everywhere.
pub struct PcapngFile<W: Write> {
    writer: PcapNgWriter<W>,
    interfaces: u32,
    /// Frames are cut to this many bytes (`--snaplen`).
    snaplen: u32,
    /// Bytes written so far (the section header counted as [`SHB_BOUND`]).
    bytes: u64,
}

impl<W: Write> PcapngFile<W> {
    /// Write the section header and one IDB per interface (interface ids are the
    /// positions in `interfaces`); frames are kept whole.
    pub fn new(inner: W, interfaces: &[CaptureInterface]) -> io::Result<Self> {
        Self::with_snaplen(inner, interfaces, DEFAULT_SNAPLEN)
    }

    /// [`PcapngFile::new`] keeping at most `snaplen` bytes of each frame (at least 1).
    pub fn with_snaplen(
        inner: W,
        interfaces: &[CaptureInterface],
        snaplen: u32,
    ) -> io::Result<Self> {
        let snaplen = snaplen.clamp(1, DEFAULT_SNAPLEN);
        let section = SectionHeaderBlock {
            endianness: Endianness::Little,
            options: vec![SectionHeaderOption::UserApplication(Cow::Owned(format!(
                "peeremu {}",
                env!("CARGO_PKG_VERSION")
            )))],
            ..Default::default()
        };
        let mut writer = PcapNgWriter::with_section_header(inner, section).map_err(to_io)?;
        let mut bytes = SHB_BOUND;
        for iface in interfaces {
            let idb = InterfaceDescriptionBlock {
                linktype: DataLink::ETHERNET,
                snaplen,
                options: vec![
                    InterfaceDescriptionOption::IfName(Cow::Owned(clip(&iface.name).into())),
                    InterfaceDescriptionOption::IfDescription(Cow::Owned(
                        clip(&iface.description).into(),
                    )),
                    InterfaceDescriptionOption::IfTsResol(TSRESOL_NANOSECONDS),
                ],
            };
            bytes += writer.write_pcapng_block(idb).map_err(to_io)? as u64;
        }
        Ok(PcapngFile {
            writer,
            interfaces: interfaces.len() as u32,
            snaplen,
            bytes,
        })
    }

    /// Bytes written so far (an upper bound: exact but for the section header).
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// At most how many bytes [`PcapngFile::write`] adds for a frame of `frame_len`
    /// bytes with a comment of `comment_len` bytes (0: none): the block's fixed
    /// fields (32), the captured bytes padded to 4, the direction flags option (8),
    /// the comment option (4 + text padded to 4) and the end of options (4).
    pub fn block_bound(&self, frame_len: usize, comment_len: usize) -> u64 {
        let pad4 = |n: usize| n.div_ceil(4) as u64 * 4;
        let captured = frame_len.min(self.snaplen as usize);
        let comment = if comment_len > 0 {
            4 + pad4(comment_len.min(MAX_OPTION_TEXT))
        } else {
            0
        };
        32 + pad4(captured) + 8 + comment + 4
    }

    /// Append one frame. `time_ns` is virtual time; [`EPOCH_BASE_S`] is added.
    pub fn write(
        &mut self,
        interface: u32,
        time_ns: u64,
        dir: Option<FrameDirection>,
        comment: Option<&str>,
        frame: &[u8],
    ) -> io::Result<()> {
        if interface >= self.interfaces {
            return Err(to_io(PcapError::InvalidInterfaceId(interface)));
        }
        // One small Vec per frame: pcap-file's block type owns its option list.
        let mut options = Vec::with_capacity(2);
        if let Some(c) = comment {
            options.push(EnhancedPacketOption::Comment(Cow::Borrowed(clip(c))));
        }
        if let Some(d) = dir {
            options.push(EnhancedPacketOption::Flags(direction_flags(d)));
        }
        // `original_len` is the frame's length on the wire, whatever was kept.
        let original_len = u32::try_from(frame.len()).unwrap_or(u32::MAX);
        let frame = &frame[..frame.len().min(self.snaplen as usize)];
        let epb = EnhancedPacketBlock {
            interface_id: interface,
            timestamp: Duration::from_secs(EPOCH_BASE_S) + Duration::from_nanos(time_ns),
            original_len,
            data: Cow::Borrowed(frame),
            options,
        };
        self.bytes += self.writer.write_pcapng_block(epb).map_err(to_io)? as u64;
        Ok(())
    }

    /// Flush buffered bytes (the file stays valid: only whole blocks are written).
    pub fn flush(&mut self) -> io::Result<()> {
        self.writer.get_mut().flush()
    }

    pub fn into_inner(self) -> W {
        self.writer.into_inner()
    }
}

/// Cut text to what a pcapng option can hold, on a char boundary.
fn clip(s: &str) -> &str {
    if s.len() <= MAX_OPTION_TEXT {
        return s;
    }
    let mut end = MAX_OPTION_TEXT;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

fn to_io(e: PcapError) -> io::Error {
    match e {
        PcapError::IoError(io) => io,
        other => io::Error::other(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pcap_file::pcapng::{Block, PcapNgReader};

    fn ifaces() -> Vec<CaptureInterface> {
        ["eni-a", "pcx-1"]
            .iter()
            .map(|n| CaptureInterface {
                name: n.to_string(),
                description: format!("{n} desc"),
            })
            .collect()
    }

    fn written() -> Vec<u8> {
        let mut f = PcapngFile::new(Vec::new(), &ifaces()).unwrap();
        f.write(0, 5, Some(FrameDirection::Outbound), None, &[1u8; 60])
            .unwrap();
        f.write(
            1,
            1_000_000_007,
            Some(FrameDirection::Inbound),
            Some("NACL_DENY acl-1 rule * inbound"),
            &[2u8; 61],
        )
        .unwrap();
        f.into_inner()
    }

    #[test]
    fn reads_back_interfaces_timestamps_flags_and_comments() {
        let bytes = written();
        let mut r = PcapNgReader::new(&bytes[..]).unwrap();
        let mut packets = Vec::new();
        while let Some(b) = r.next_block() {
            if let Block::EnhancedPacket(p) = b.unwrap() {
                packets.push(p.into_owned());
            }
        }
        let idbs = r.interfaces();
        assert_eq!(idbs.len(), 2);
        assert!(idbs[1]
            .options
            .contains(&InterfaceDescriptionOption::IfName("pcx-1".into())));
        assert!(idbs[0]
            .options
            .contains(&InterfaceDescriptionOption::IfTsResol(9)));
        assert_eq!(packets.len(), 2);
        assert_eq!(
            packets[0].timestamp.as_nanos(),
            EPOCH_BASE_S as u128 * 1_000_000_000 + 5
        );
        assert_eq!(
            packets[1].timestamp.as_nanos(),
            (EPOCH_BASE_S as u128 + 1) * 1_000_000_000 + 7
        );
        assert_eq!(packets[0].options, vec![EnhancedPacketOption::Flags(2)]);
        assert_eq!(
            packets[1].options,
            vec![
                EnhancedPacketOption::Comment("NACL_DENY acl-1 rule * inbound".into()),
                EnhancedPacketOption::Flags(1)
            ]
        );
        assert_eq!(packets[1].data.len(), 61);
        assert_eq!(packets[1].interface_id, 1);
    }

    #[test]
    fn same_input_same_bytes_and_little_endian() {
        let a = written();
        assert_eq!(a, written());
        // Section header block type, then the byte-order magic in little-endian.
        assert_eq!(&a[0..4], &[0x0a, 0x0d, 0x0d, 0x0a]);
        assert_eq!(&a[8..12], &[0x4d, 0x3c, 0x2b, 0x1a]);
    }

    /// `bytes()` counts what was written (the section header as its bound) and
    /// `block_bound` is never below what a frame adds; `--snaplen` cuts frames but
    /// keeps their length on the wire.
    #[test]
    fn byte_count_bounds_and_snaplen() {
        let mut f = PcapngFile::with_snaplen(Vec::new(), &ifaces(), 100).unwrap();
        let header = f.writer.get_ref().len() as u64;
        assert!(header <= f.bytes() && f.bytes() <= header + SHB_BOUND);
        let shb_extra = f.bytes() - header;
        for (len, comment) in [(60, ""), (61, "NACL_DENY x"), (1514, ""), (9015, "y")] {
            let bound = f.block_bound(len, comment.len());
            let before = f.writer.get_ref().len();
            let c = (!comment.is_empty()).then_some(comment);
            f.write(0, 1, Some(FrameDirection::Inbound), c, &vec![7u8; len])
                .unwrap();
            let added = (f.writer.get_ref().len() - before) as u64;
            assert!(added <= bound, "{len}: {added} > {bound}");
            assert!(bound <= added + 8, "{len}: bound {bound} far above {added}");
        }
        // Blocks after the section header are counted exactly.
        assert_eq!(f.bytes() - f.writer.get_ref().len() as u64, shb_extra);
        let bytes = f.into_inner();
        let mut r = PcapNgReader::new(&bytes[..]).unwrap();
        let mut lens = Vec::new();
        while let Some(b) = r.next_block() {
            if let Block::EnhancedPacket(p) = b.unwrap() {
                lens.push((p.data.len(), p.original_len));
            }
        }
        assert_eq!(lens, [(60, 60), (61, 61), (100, 1514), (100, 9015)]);
        assert_eq!(r.interfaces()[0].snaplen, 100);
    }

    #[test]
    fn unknown_interface_is_an_error_not_a_panic() {
        let mut f = PcapngFile::new(Vec::new(), &ifaces()).unwrap();
        assert!(f.write(2, 0, None, None, &[0u8; 60]).is_err());
    }

    #[test]
    fn long_comment_is_clipped_on_a_char_boundary() {
        let s = "é".repeat(MAX_OPTION_TEXT);
        let c = clip(&s);
        assert!(c.len() <= MAX_OPTION_TEXT && c.len() >= MAX_OPTION_TEXT - 1);
    }
}
