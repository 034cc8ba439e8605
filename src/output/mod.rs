//! What a run leaves behind (DESIGN.md §5): pcapng captures, `drops.pcapng`,
//! HdrHistogram `.hgrm` files, AWS flow log v2 lines, `summary.json`, a terminal table.

pub mod flowlog;
pub mod hgrm;
pub mod paths;
pub mod pcap;
mod report;
pub mod summary;
pub mod table;

pub use report::*;
