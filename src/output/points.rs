//! `points/<id>.pcapng`: one capture file per capture point, besides the combined
//! `capture.pcapng`. In the combined file Wireshark sees a frame once per point it
//! crossed, so its TCP analysis calls the copies retransmissions and IP reassembly
//! pools fragments from several points; a per-point file shows one clean view.
//! Files are opened when a point first sees a frame, at most [`MAX_POINT_FILES`].

use super::paths::{OutputDir, UniqueNames};
use super::pcap::{CaptureInterface, PcapngFile};
use crate::sim::FrameDirection;
use std::fs::File;
use std::io::{self, BufWriter};

pub const POINTS_DIR: &str = "points";
/// Per-point files kept open at most (file descriptors are finite); points beyond
/// this are only in `capture.pcapng`.
pub const MAX_POINT_FILES: usize = 256;

enum PointFile {
    /// The point has seen no frame yet.
    NotYet,
    Open(PcapngFile<BufWriter<File>>),
    /// Over [`MAX_POINT_FILES`]: this point is only in `capture.pcapng`.
    Skipped,
}

/// The per-point files, indexed like the combined file's interfaces.
pub struct PointCaptures {
    interfaces: Vec<CaptureInterface>,
    /// File stems under `points/`, sanitized and unique.
    stems: Vec<String>,
    files: Vec<PointFile>,
    open: usize,
    skipped: u64,
    /// `--snaplen` of every file.
    snaplen: u32,
    /// Bytes written into all files (see [`PcapngFile::bytes`]).
    bytes: u64,
}

/// At most how many bytes opening a point file writes: the section header and one
/// interface block whose name and description are each cut to 1 KiB by the writer.
const OPEN_BOUND: u64 = 4096;

impl PointCaptures {
    pub fn new(interfaces: Vec<CaptureInterface>, snaplen: u32) -> io::Result<PointCaptures> {
        let mut names = UniqueNames::default();
        let stems = interfaces
            .iter()
            .enumerate()
            .map(|(i, iface)| {
                names
                    .claim(&iface.name)
                    .or_else(|_| names.claim(&format!("point-{i}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let files = interfaces.iter().map(|_| PointFile::NotYet).collect();
        Ok(PointCaptures {
            interfaces,
            stems,
            files,
            open: 0,
            skipped: 0,
            snaplen,
            bytes: 0,
        })
    }

    /// Bytes written into all files so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// At most how many bytes [`PointCaptures::write`] adds for a frame whose
    /// block takes at most `block` bytes (more if it opens the point's file).
    pub fn write_bound(&self, iface: u32, block: u64) -> u64 {
        match self.files.get(iface as usize) {
            Some(PointFile::NotYet) if self.open < MAX_POINT_FILES => block + OPEN_BOUND,
            Some(PointFile::NotYet | PointFile::Open(_)) => block,
            _ => 0,
        }
    }

    /// Append a frame to interface `iface`'s file, opening it on its first frame.
    pub fn write(
        &mut self,
        dir: &OutputDir,
        iface: u32,
        time_ns: u64,
        direction: FrameDirection,
        frame: &[u8],
    ) -> io::Result<()> {
        let i = iface as usize;
        let Some(slot) = self.files.get_mut(i) else {
            return Ok(());
        };
        if let PointFile::NotYet = slot {
            if self.open >= MAX_POINT_FILES {
                *slot = PointFile::Skipped;
                self.skipped += 1;
            } else {
                let path = dir.file(Some(POINTS_DIR), &self.stems[i], ".pcapng")?;
                let file = BufWriter::new(super::paths::create_file(&path)?);
                let f = PcapngFile::with_snaplen(
                    file,
                    std::slice::from_ref(&self.interfaces[i]),
                    self.snaplen,
                )?;
                self.bytes += f.bytes();
                *slot = PointFile::Open(f);
                self.open += 1;
            }
        }
        match slot {
            PointFile::Open(f) => {
                let before = f.bytes();
                let r = f.write(0, time_ns, Some(direction), None, frame);
                self.bytes += f.bytes() - before;
                r
            }
            _ => Ok(()),
        }
    }

    pub fn flush(&mut self) -> io::Result<()> {
        for f in &mut self.files {
            if let PointFile::Open(f) = f {
                f.flush()?;
            }
        }
        Ok(())
    }

    /// Points that saw frames but got no file.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_open_lazily_and_stop_at_the_limit() {
        let root = std::env::temp_dir().join(format!("peeremu-points-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let dir = OutputDir::create(&root).unwrap();
        let n = MAX_POINT_FILES + 2;
        let ifaces = (0..n)
            .map(|i| CaptureInterface {
                name: format!("eni-{i}"),
                description: String::new(),
            })
            .chain([CaptureInterface {
                name: "..".into(),
                description: String::new(),
            }])
            .collect();
        let mut points = PointCaptures::new(ifaces, super::super::pcap::DEFAULT_SNAPLEN).unwrap();
        assert_eq!(points.stems[n], "point-".to_string() + &n.to_string());
        points
            .write(&dir, 3, 0, FrameDirection::Inbound, &[0u8; 60])
            .unwrap();
        assert!(root.join("points/eni-3.pcapng").is_file());
        assert!(!root.join("points/eni-0.pcapng").exists());
        for i in 0..=n as u32 {
            points
                .write(&dir, i, 1, FrameDirection::Outbound, &[0u8; 60])
                .unwrap();
            points
                .write(&dir, i, 2, FrameDirection::Outbound, &[0u8; 60])
                .unwrap();
        }
        // Out-of-range interface ids are ignored, not a panic.
        points
            .write(&dir, 10_000, 3, FrameDirection::Outbound, &[0u8; 60])
            .unwrap();
        points.flush().unwrap();
        let on_disk: u64 = std::fs::read_dir(root.join("points"))
            .unwrap()
            .map(|e| e.unwrap().metadata().unwrap().len())
            .sum();
        assert!(
            on_disk <= points.bytes() && points.bytes() <= on_disk + 64 * MAX_POINT_FILES as u64
        );
        assert_eq!(points.skipped(), 3);
        assert_eq!(
            std::fs::read_dir(root.join("points")).unwrap().count(),
            MAX_POINT_FILES
        );
        std::fs::remove_dir_all(&root).unwrap();
    }
}
