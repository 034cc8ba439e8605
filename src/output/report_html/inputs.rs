//! What the report reads back from the run folder once the run is over: the drops
//! (`drops.pcapng`, each frame's comment is "REASON object") and the flow log
//! (`flowlogs.log`). Read back rather than collected during the run so the report
//! costs the simulation nothing, and so its packet numbers are exactly Wireshark's.

use crate::output::pcap::EPOCH_BASE_S;
use crate::wire::{parse_frame, FlowKey};
use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketOption;
use pcap_file::pcapng::{Block, PcapNgReader};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::Path;

/// One dropped frame of `drops.pcapng`.
#[derive(Debug, Clone, PartialEq)]
pub struct DropRecord {
    /// Wireshark's frame number (1-based).
    pub number: u64,
    pub time_ns: u64,
    pub reason: String,
    /// The object and rule ("acl-1 rule * inbound").
    pub object: String,
    pub key: Option<FlowKey>,
}

/// Every drop of the file, in order. Missing file: `Ok(None)`.
pub fn read_drops(path: &Path) -> io::Result<Option<Vec<DropRecord>>> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut reader = PcapNgReader::new(BufReader::new(file)).map_err(io::Error::other)?;
    let mut out = Vec::new();
    let mut number = 0u64;
    while let Some(block) = reader.next_block() {
        let block = block.map_err(io::Error::other)?;
        let Block::EnhancedPacket(p) = block else {
            continue;
        };
        number += 1;
        let comment = p.options.iter().find_map(|o| match o {
            EnhancedPacketOption::Comment(c) => Some(c.to_string()),
            _ => None,
        });
        let comment = comment.unwrap_or_default();
        let (reason, object) = comment.split_once(' ').unwrap_or((comment.as_str(), ""));
        out.push(DropRecord {
            number,
            time_ns: (p.timestamp.as_nanos() as u64).saturating_sub(EPOCH_BASE_S * 1_000_000_000),
            reason: reason.to_string(),
            object: object.to_string(),
            key: parse_frame(&p.data).ok(),
        });
    }
    Ok(Some(out))
}

pub use crate::output::flowlog::FlowLogCounts;

/// Per ENI id, from a flow log v2 file (`version account-id interface-id srcaddr
/// dstaddr srcport dstport protocol packets bytes start end action log-status`).
/// Missing file: `Ok(None)`. (A run hands the report the counts its flow log
/// kept while writing: [`crate::output::flowlog::FlowLog::counts_by_eni`].)
pub fn read_flow_log(path: &Path) -> io::Result<Option<BTreeMap<String, FlowLogCounts>>> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    count_flow_log(BufReader::new(file)).map(Some)
}

/// [`read_flow_log`] of text already open.
pub fn count_flow_log(text: impl BufRead) -> io::Result<BTreeMap<String, FlowLogCounts>> {
    let mut out: BTreeMap<String, FlowLogCounts> = BTreeMap::new();
    for line in text.lines() {
        let line = line?;
        let f: Vec<&str> = line.split_ascii_whitespace().collect();
        if f.len() < 14 {
            continue;
        }
        let Ok(packets) = f[8].parse::<u64>() else {
            continue;
        };
        let c = out.entry(f[2].to_string()).or_default();
        match f[12] {
            "ACCEPT" => {
                c.accept_records += 1;
                c.accept_packets += packets;
            }
            "REJECT" => {
                c.reject_records += 1;
                c.reject_packets += packets;
            }
            _ => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flow_log_lines_are_counted_per_eni_and_action() {
        let dir = std::env::temp_dir().join(format!("peeremu-report-fl-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("flowlogs.log");
        std::fs::write(
            &p,
            "2 123456789012 eni-a 10.0.1.10 10.1.1.10 49152 5432 6 10 400 1 2 ACCEPT OK\n\
             2 123456789012 eni-a 10.0.1.10 10.1.1.10 49153 5432 6 3 120 1 2 REJECT OK\n\
             2 123456789012 eni-b 10.1.1.10 10.0.1.10 5432 49152 6 7 280 1 2 ACCEPT OK\n\
             garbage\n",
        )
        .unwrap();
        let m = read_flow_log(&p).unwrap().unwrap();
        assert_eq!(
            m["eni-a"],
            FlowLogCounts {
                accept_records: 1,
                accept_packets: 10,
                reject_records: 1,
                reject_packets: 3
            }
        );
        assert_eq!(m["eni-b"].accept_packets, 7);
        assert_eq!(read_flow_log(&dir.join("none")).unwrap(), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
