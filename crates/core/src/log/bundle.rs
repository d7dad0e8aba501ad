//! The log's published files as one archive to download and audit
//! offline: `ackreg verify DIR` on the unpacked folder passes exactly when
//! it passes on the log itself.
//!
//! Why it exists: the administration hands the register to an auditor or
//! keeps a copy elsewhere. The archive is a gzip-compressed tar of a folder
//! `log/` holding, at one checkpoint:
//! - `checkpoint`: that checkpoint;
//! - `entries`: the entries it covers, nothing past it (an append under
//!   way is left out);
//! - `index` and `tree/K`: made here from those entries, as
//!   [`super::store::import`] makes them, so that they agree with them
//!   whatever the folder's caches hold at the moment;
//! - `checkpoints/N` (and `N.tsr`, `N.K.tsr`): every checkpoint kept of at
//!   most that size and its time stamps;
//! - `documents/H.pdf` (and `H.clauses.json`): the files of the versions
//!   the entries publish.
//!
//! Nothing else: not the writer's snapshot, not the locks, never the
//! desk's own files (`desk/`: links, PINs). Only regular files with the
//! names above are read, so a link or a stray file is never carried out.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use tlog::checkpoint::SignedCheckpoint;
use tlog::merkle;

use super::entry::{self, Kind};
use super::state::State;
use super::store::{LogDir, StoreError};
use crate::encoding::hex;

/// The folder the archive unpacks into.
pub const FOLDER: &str = "log";

/// The largest checkpoint or time stamp file carried.
const MAX_SMALL_FILE: usize = 1 << 20;

/// Why the archive cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// The log cannot be read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A file of the folder cannot be read.
    #[error("{}: {error}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        error: crate::fsutil::ReadError,
    },
    /// A folder cannot be listed.
    #[error("{}: {error}", path.display())]
    List {
        /// The folder.
        path: PathBuf,
        /// Why.
        error: io::Error,
    },
    /// The archive cannot be written.
    #[error("cannot write the archive: {0}")]
    Write(io::Error),
}

impl crate::Hint for BundleError {}

/// One file of the archive: its path inside [`FOLDER`], and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    /// E.g. `entries`, `tree/0`, `documents/H.pdf`.
    pub name: String,
    /// Its content.
    pub bytes: Vec<u8>,
}

/// The published files of `log` at the checkpoint `head`, whose state is
/// `state` (as [`LogDir::committed`] gives them), in a fixed order.
pub fn files(
    log: &LogDir,
    head: &SignedCheckpoint,
    state: &State,
) -> Result<Vec<File>, BundleError> {
    let size = head.checkpoint.size;
    let entries = log.entries_prefix(size)?;
    let mut out = vec![File {
        name: "checkpoint".into(),
        bytes: head.to_bytes(),
    }];
    out.extend(caches(&entries));
    out.push(File {
        name: "entries".into(),
        bytes: entries,
    });
    out.extend(kept_checkpoints(log, size)?);
    out.extend(documents(log, state)?);
    Ok(out)
}

/// `index` and `tree/K` for `entries`.
fn caches(entries: &[u8]) -> Vec<File> {
    let mut index = Vec::new();
    let mut tree = merkle::MemoryTree::new();
    let mut end = 0u64;
    for line in entries.split_inclusive(|&b| b == b'\n') {
        let Some(bytes) = line.strip_suffix(b"\n") else {
            break;
        };
        end += line.len() as u64;
        index.extend_from_slice(&end.to_be_bytes());
        index.push(entry::peek_kind(bytes).map_or(0, Kind::code));
        tree.push(merkle::leaf_hash(bytes));
    }
    let mut out = vec![File {
        name: "index".into(),
        bytes: index,
    }];
    for (level, hashes) in tree.levels().iter().enumerate() {
        out.push(File {
            name: format!("tree/{level}"),
            bytes: hashes.iter().flatten().copied().collect(),
        });
    }
    out
}

/// Whether `name` is a kept checkpoint's (`N`) or time stamp's (`N.tsr`,
/// `N.K.tsr`) of at most `size` entries.
fn kept_name(name: &str, size: u64) -> bool {
    let mut parts = name.split('.');
    let number = |p: &str| !p.is_empty() && p.len() <= 20 && p.bytes().all(|b| b.is_ascii_digit());
    let n = parts
        .next()
        .filter(|p| number(p))
        .and_then(|p| p.parse::<u64>().ok());
    let rest: Vec<&str> = parts.collect();
    let shape = match rest.as_slice() {
        [] | ["tsr"] => true,
        [k, "tsr"] => number(k),
        _ => false,
    };
    shape && n.is_some_and(|n| n <= size)
}

/// The regular files of `dir` whose names `keep` accepts, sorted by name
/// (none when the folder is missing).
fn listed(dir: &Path, keep: impl Fn(&str) -> bool) -> Result<Vec<(String, PathBuf)>, BundleError> {
    let list = match fs::read_dir(dir) {
        Ok(list) => list,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => {
            return Err(BundleError::List {
                path: dir.to_path_buf(),
                error,
            })
        }
    };
    let mut found = Vec::new();
    for item in list {
        let item = item.map_err(|error| BundleError::List {
            path: dir.to_path_buf(),
            error,
        })?;
        let regular = item.file_type().is_ok_and(|t| t.is_file());
        if let Some(name) = item.file_name().to_str().filter(|n| regular && keep(n)) {
            found.push((name.to_string(), item.path()));
        }
    }
    found.sort();
    Ok(found)
}

fn read(path: &Path, limit: usize) -> Result<Vec<u8>, BundleError> {
    crate::fsutil::read_limited(path, limit).map_err(|error| BundleError::Read {
        path: path.to_path_buf(),
        error,
    })
}

/// `checkpoints/N` and their time stamps, of at most `size` entries.
fn kept_checkpoints(log: &LogDir, size: u64) -> Result<Vec<File>, BundleError> {
    listed(&log.checkpoints_dir(), |n| kept_name(n, size))?
        .into_iter()
        .map(|(name, path)| {
            Ok(File {
                name: format!("checkpoints/{name}"),
                bytes: read(&path, MAX_SMALL_FILE)?,
            })
        })
        .collect()
}

/// `documents/H.pdf` and `H.clauses.json` of every version published.
fn documents(log: &LogDir, state: &State) -> Result<Vec<File>, BundleError> {
    let published: std::collections::BTreeSet<String> = state
        .versions()
        .iter()
        .map(|p| hex(&p.version.sha256))
        .collect();
    let ours = |name: &str| {
        let sha = name
            .strip_suffix(".pdf")
            .or_else(|| name.strip_suffix(".clauses.json"));
        sha.is_some_and(|sha| published.contains(sha))
    };
    listed(&log.dir().join("documents"), ours)?
        .into_iter()
        .map(|(name, path)| {
            Ok(File {
                name: format!("documents/{name}"),
                bytes: read(&path, crate::document::MAX_DOCUMENT_FILE)?,
            })
        })
        .collect()
}

/// `files` as a gzip-compressed POSIX tar (ustar) of the folder
/// [`FOLDER`], every file dated `mtime` (seconds since 1970).
pub fn tar_gz(files: &[File], mtime: u64) -> Result<Vec<u8>, BundleError> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut folders = std::collections::BTreeSet::new();
    for file in files {
        let folder = match file.name.rsplit_once('/') {
            Some((folder, _)) => format!("{FOLDER}/{folder}/"),
            None => format!("{FOLDER}/"),
        };
        if folders.insert(folder.clone()) {
            if folder != format!("{FOLDER}/") && folders.insert(format!("{FOLDER}/")) {
                write_entry(&mut gz, &format!("{FOLDER}/"), b"", mtime, true)?;
            }
            write_entry(&mut gz, &folder, b"", mtime, true)?;
        }
        write_entry(
            &mut gz,
            &format!("{FOLDER}/{}", file.name),
            &file.bytes,
            mtime,
            false,
        )?;
    }
    gz.write_all(&[0; 1024]).map_err(BundleError::Write)?;
    gz.finish().map_err(BundleError::Write)
}

/// One ustar header and the data padded to 512 bytes.
fn write_entry(
    out: &mut impl Write,
    name: &str,
    data: &[u8],
    mtime: u64,
    folder: bool,
) -> Result<(), BundleError> {
    let header = ustar_header(name, data.len() as u64, mtime, folder)?;
    out.write_all(&header).map_err(BundleError::Write)?;
    out.write_all(data).map_err(BundleError::Write)?;
    let pad = (512 - data.len() % 512) % 512;
    out.write_all(&vec![0; pad]).map_err(BundleError::Write)
}

fn octal(field: &mut [u8], value: u64) {
    let digits = field.len() - 1;
    let text = format!("{value:0digits$o}");
    field[..digits].copy_from_slice(&text.as_bytes()[text.len() - digits..]);
    field[digits] = 0;
}

fn ustar_header(name: &str, size: u64, mtime: u64, folder: bool) -> Result<[u8; 512], BundleError> {
    let too_long = || BundleError::Write(io::Error::other(format!("name too long: {name}")));
    if name.len() > 100 || size >= 1 << 33 {
        return Err(too_long());
    }
    let mut h = [0u8; 512];
    h[..name.len()].copy_from_slice(name.as_bytes());
    octal(&mut h[100..108], if folder { 0o755 } else { 0o644 });
    octal(&mut h[108..116], 0);
    octal(&mut h[116..124], 0);
    octal(&mut h[124..136], size);
    octal(&mut h[136..148], mtime.min(0o77_777_777_777));
    h[148..156].copy_from_slice(b"        ");
    h[156] = if folder { b'5' } else { b'0' };
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    let sum: u64 = h.iter().map(|&b| u64::from(b)).sum();
    let text = format!("{sum:06o}\0 ");
    h[148..156].copy_from_slice(text.as_bytes());
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_names() {
        for ok in ["0", "12", "12.tsr", "12.2.tsr", "3"] {
            assert!(kept_name(ok, 12), "{ok}");
        }
        for bad in [
            "13", "13.tsr", "x", "12.tmp", "12.x.tsr", "", ".tsr", "12..tsr", "-1",
        ] {
            assert!(!kept_name(bad, 12), "{bad}");
        }
    }

    #[test]
    fn system_tar_reads_the_archive() {
        let files = vec![
            File {
                name: "entries".into(),
                bytes: b"{\"a\":1}\n".to_vec(),
            },
            File {
                name: "tree/0".into(),
                bytes: vec![7; 600],
            },
        ];
        let bytes = tar_gz(&files, 1_700_000_000).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.tar.gz");
        fs::write(&path, bytes).unwrap();
        let out = std::process::Command::new("tar")
            .arg("xzf")
            .arg(&path)
            .arg("-C")
            .arg(dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            fs::read(dir.path().join("log/entries")).unwrap(),
            b"{\"a\":1}\n"
        );
        assert_eq!(
            fs::read(dir.path().join("log/tree/0")).unwrap(),
            vec![7; 600]
        );
    }
}
