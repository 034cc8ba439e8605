//! What a run leaves behind (DESIGN.md §5): pcapng captures, `drops.pcapng`,
//! HdrHistogram `.hgrm` files, AWS flow log v2 lines, `summary.json`, a terminal table.

pub mod capture_limit;
pub mod conservation;
pub mod console;
pub mod data_cost;
pub mod flowlog;
pub mod frame_head;
pub mod goodput;
pub mod hgrm;
pub mod histogram;
pub mod hlog;
pub mod interfaces;
pub mod interrupt;
pub mod memory;
pub mod paths;
pub mod pcap;
pub mod points;
pub mod progress;
pub mod recorder;
mod report;
pub mod report_html;
pub mod run_folder;
pub mod summary;
mod summary_json;
pub mod table;
pub mod thread;
pub mod timeline;
pub mod whole_file;

pub use report::*;

pub use conservation::Conservation;
pub use histogram::LatencyHistogram;
pub use interrupt::Interrupt;
pub use recorder::{HgrmFiles, Recorder, RecorderConfig};
pub use summary::Summary;
pub use thread::RecorderThread;
