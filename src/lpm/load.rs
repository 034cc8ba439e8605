//! Reading prefix files: one CIDR a line, plain text or gzip (detected by its magic
//! bytes, not by the name). Blank lines and `#` comments are skipped; a bare address
//! is a host route; host bits are cleared (`10.1.2.3/8` is `10.0.0.0/8`); anything
//! after the first whitespace-separated field is ignored, so `CIDR next-hop` dumps
//! load as-is.

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use std::fmt;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// The prefixes of a file, split by family, in file order (duplicates kept).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrefixList {
    pub v4: Vec<Ipv4Net>,
    pub v6: Vec<Ipv6Net>,
}

/// Why a prefix file could not be read.
#[derive(Debug)]
pub enum LoadError {
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    Parse {
        path: PathBuf,
        line: usize,
        text: String,
    },
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            LoadError::Parse { path, line, text } => write!(
                f,
                "{}:{line}: `{text}` is not an IPv4/IPv6 prefix (expected e.g. 192.0.2.0/24 or 2001:db8::/32)",
                path.display()
            ),
        }
    }
}

impl std::error::Error for LoadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LoadError::Io { source, .. } => Some(source),
            LoadError::Parse { .. } => None,
        }
    }
}

/// Load a prefix file, plain or gzip-compressed.
pub fn load_file(path: &Path) -> Result<PrefixList, LoadError> {
    let io = |source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = BufReader::new(File::open(path).map_err(io)?);
    let gzip = file.fill_buf().map_err(io)?.starts_with(&[0x1f, 0x8b]);
    let reader: Box<dyn Read> = if gzip {
        Box::new(flate2::read::MultiGzDecoder::new(file))
    } else {
        Box::new(file)
    };
    parse(BufReader::new(reader), path)
}

/// Parse prefix lines; `origin` names the source in errors.
pub fn parse(reader: impl BufRead, origin: &Path) -> Result<PrefixList, LoadError> {
    let mut list = PrefixList::default();
    for (i, line) in reader.lines().enumerate() {
        let line = line.map_err(|source| LoadError::Io {
            path: origin.to_path_buf(),
            source,
        })?;
        let Some(field) = line
            .split('#')
            .next()
            .and_then(|l| l.split_whitespace().next())
        else {
            continue;
        };
        match parse_prefix(field) {
            Some(IpNet::V4(n)) => list.v4.push(n.trunc()),
            Some(IpNet::V6(n)) => list.v6.push(n.trunc()),
            None => {
                return Err(LoadError::Parse {
                    path: origin.to_path_buf(),
                    line: i + 1,
                    text: field.chars().take(80).collect(),
                })
            }
        }
    }
    Ok(list)
}

fn parse_prefix(field: &str) -> Option<IpNet> {
    if let Ok(net) = field.parse::<IpNet>() {
        return Some(net);
    }
    field.parse::<IpAddr>().ok().map(IpNet::from)
}

/// Where the real full BGP table is, when present: `$PEEREMU_BGP_TABLE`, else
/// `<crate_root>/../shared/data/bgp-full-table.txt.gz`. Used by tests and benches
/// only; nothing in the crate needs the file.
pub fn find_bgp_table(crate_root: &Path) -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("PEEREMU_BGP_TABLE") {
        let p = PathBuf::from(p);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(format!("PEEREMU_BGP_TABLE={} is not a file", p.display()))
        };
    }
    let p = crate_root.join("../shared/data/bgp-full-table.txt.gz");
    if p.is_file() {
        Ok(p)
    } else {
        Err(format!(
            "{} not found and PEEREMU_BGP_TABLE not set",
            p.display()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_families_comments_hosts_and_host_bits() {
        let text = "# header\n10.1.2.3/8\n\n2001:db8::1/32 via x\n192.0.2.7\n::/0 # default\n";
        let list = parse(text.as_bytes(), Path::new("t")).unwrap();
        assert_eq!(
            list.v4,
            vec![
                "10.0.0.0/8".parse().unwrap(),
                "192.0.2.7/32".parse().unwrap()
            ]
        );
        assert_eq!(
            list.v6,
            vec!["2001:db8::/32".parse().unwrap(), "::/0".parse().unwrap()]
        );
    }

    #[test]
    fn bad_line_names_file_and_line() {
        let err = parse("1.0.0.0/24\n1.2.3.0/33\n".as_bytes(), Path::new("fib.txt"))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("fib.txt:2: `1.2.3.0/33`"), "{err}");
    }

    #[test]
    fn reads_gzip_and_plain_files() {
        use std::io::Write;
        let dir = std::env::temp_dir().join(format!("peeremu-lpm-load-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let plain = dir.join("fib.txt");
        std::fs::write(&plain, "198.51.100.0/24\n").unwrap();
        let gz = dir.join("fib.bin");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(b"198.51.100.0/24\n2001:db8::/48\n").unwrap();
        std::fs::write(&gz, enc.finish().unwrap()).unwrap();
        assert_eq!(load_file(&plain).unwrap().v4.len(), 1);
        let list = load_file(&gz).unwrap();
        assert_eq!((list.v4.len(), list.v6.len()), (1, 1));
        let missing = load_file(&dir.join("missing")).unwrap_err().to_string();
        assert!(missing.contains("missing"), "{missing}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
