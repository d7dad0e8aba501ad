//! Crash-safe writing of files.
//!
//! Everything ackreg writes is evidence or a secret, so no file may ever be
//! left half-written: bytes go to a temporary file in the destination's own
//! folder, are synced to disk, and the file is then renamed into place (an
//! atomic step on POSIX file systems). A crash at any moment leaves either
//! the old file or the new one, never a mixture.
//!
//! Files that several runs may change (the register, the keyring) are
//! guarded by a lock file beside them ([`Lock`]), and every file is read
//! through [`read_limited`], so a huge or endless file (a FIFO, /dev/zero)
//! is refused by its size instead of filling memory.

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// How [`write_atomic`] treats an existing destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overwrite {
    /// Replace an existing file (used for regenerable outputs such as PDFs).
    Replace,
    /// Refuse to replace an existing file (keys, acknowledgements).
    Refuse,
}

/// An error while writing a file.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The destination exists and overwriting was not allowed.
    #[error("{} already exists", .0.display())]
    Exists(PathBuf),
    /// Any I/O failure, with the path it concerned.
    #[error("cannot write {}: {error}", path.display())]
    Io {
        /// The file that could not be written.
        path: PathBuf,
        /// The underlying error.
        error: io::Error,
    },
}

impl crate::Hint for WriteError {
    fn hint(&self) -> Option<String> {
        match self {
            WriteError::Exists(_) => {
                Some("choose another path, or allow the file to be replaced".into())
            }
            WriteError::Io { .. } => {
                Some("check that the folder exists and that you may write to it".into())
            }
        }
    }
}

/// An error while reading a file with [`read_limited`].
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file is larger than the limit for its kind.
    #[error("is larger than {limit} bytes")]
    TooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The file could not be read.
    #[error("cannot read: {0}")]
    Io(io::Error),
}

impl crate::Hint for ReadError {
    fn hint(&self) -> Option<String> {
        match self {
            ReadError::TooLarge { .. } => Some(
                "this is not a file ackreg wrote; check the path (see docs/FORMAT.md, Limits)"
                    .into(),
            ),
            ReadError::Io(e) if e.kind() == io::ErrorKind::NotFound => {
                Some("check the path".into())
            }
            ReadError::Io(_) => None,
        }
    }
}

/// Reads at most `limit` bytes of `path`; a longer file is refused without
/// reading the rest.
pub fn read_limited(path: &Path, limit: usize) -> Result<Vec<u8>, ReadError> {
    let file = fs::File::open(path).map_err(ReadError::Io)?;
    let metadata = file.metadata().ok();
    if metadata.as_ref().is_some_and(|m| m.is_dir()) {
        return Err(ReadError::Io(io::Error::new(
            io::ErrorKind::InvalidInput,
            "is a folder, not a file",
        )));
    }
    // Sized from the file's length (when it is within the limit), so that
    // a register of 136 MB is read into 136 MB, not into a buffer grown by
    // doubling; one byte more lets the read see the end of the file.
    let expected = metadata
        .map(|m| m.len())
        .filter(|&len| len <= limit as u64)
        .map_or(0, |len| len as usize + 1);
    let mut bytes = Vec::with_capacity(expected);
    file.take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() > limit {
        return Err(ReadError::TooLarge { limit });
    }
    Ok(bytes)
}

/// Prefix of the temporary files [`write_atomic`] makes beside `path`:
/// `.ackreg-NAME-` (the file name cut to 100 bytes), then random letters and
/// `.tmp`.
fn temp_prefix(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut cut = name.len().min(100);
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    format!(".ackreg-{}-", &name[..cut])
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Removes the temporary files that runs of [`write_atomic`] for `path`
/// left behind when they were killed (`.ackreg-NAME-*.tmp`). Call it only
/// while holding the [`Lock`] of `path`, so that no live run's temporary
/// file is removed. Returns how many were removed.
pub fn remove_stale_temps(path: &Path) -> usize {
    let prefix = temp_prefix(path);
    let Ok(entries) = fs::read_dir(parent_dir(path)) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(&prefix)
            && name.ends_with(".tmp")
            && entry.file_type().is_ok_and(|t| t.is_file())
            && fs::remove_file(entry.path()).is_ok()
        {
            removed += 1;
        }
    }
    removed
}

/// Whether [`Lock::acquire`] waits for another run to finish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// Wait as long as it takes.
    Yes,
    /// Fail at once with [`LockError::Held`].
    No,
}

/// An error while taking a lock.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another run holds the lock and waiting was not allowed.
    #[error("{} is locked by another ackreg run ({holder})", path.display())]
    Held {
        /// The lock file.
        path: PathBuf,
        /// Who holds it, as the lock file says (e.g. `pid 1234`).
        holder: String,
    },
    /// The lock file could not be created or locked.
    #[error("cannot lock {}: {error}", path.display())]
    Io {
        /// The lock file.
        path: PathBuf,
        /// The underlying error.
        error: io::Error,
    },
}

impl crate::Hint for LockError {
    fn hint(&self) -> Option<String> {
        match self {
            LockError::Held { .. } => {
                Some("wait for the other run to finish, or run again and let it wait".into())
            }
            LockError::Io { .. } => {
                Some("check that the folder exists and that you may write to it".into())
            }
        }
    }
}

/// An exclusive advisory lock on a file, held until dropped.
///
/// The lock file is `PATH.lock` beside the file it guards; it holds the
/// process id of the holder, for the message another run shows. The lock
/// itself is the operating system's (`flock` on Unix), so it is released
/// when the process ends, even by SIGKILL; the lock file stays and is
/// reused.
#[derive(Debug)]
pub struct Lock {
    file: fs::File,
    path: PathBuf,
}

impl Lock {
    /// Path of the lock file guarding `target`.
    pub fn path_for(target: &Path) -> PathBuf {
        let mut name = target
            .file_name()
            .map(|n| n.to_os_string())
            .unwrap_or_else(|| "ackreg".into());
        name.push(".lock");
        parent_dir(target).join(name)
    }

    /// Takes the lock guarding `target`. When another run holds it,
    /// `on_wait` is called with the holder (e.g. `pid 1234`) and, with
    /// [`Wait::Yes`], the call blocks until the lock is free; with
    /// [`Wait::No`] it fails with [`LockError::Held`].
    pub fn acquire(
        target: &Path,
        wait: Wait,
        on_wait: impl FnOnce(&Path, &str),
    ) -> Result<Lock, LockError> {
        let path = Self::path_for(target);
        let io_err = |error| LockError::Io {
            path: path.clone(),
            error,
        };
        let file = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io_err)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = (&file).take(100).read_to_string(&mut holder);
                let holder = match holder.trim() {
                    "" => "holder unknown".to_string(),
                    h => crate::text::printable(h, 60),
                };
                on_wait(&path, &holder);
                if wait == Wait::No {
                    return Err(LockError::Held { path, holder });
                }
                file.lock().map_err(io_err)?;
            }
            Err(fs::TryLockError::Error(e)) => return Err(io_err(e)),
        }
        // Record who holds it. Failing to write this is not fatal.
        let _ = file.set_len(0);
        let _ = (&file).write_all(format!("pid {}\n", std::process::id()).as_bytes());
        Ok(Lock { file, path })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

/// Writes `bytes` to `path` atomically.
///
/// The data is written to a temporary file beside `path`, synced, given
/// `mode` (Unix permission bits; `None` keeps the default 0600 of temporary
/// files widened to 0644), and renamed into place. With
/// [`Overwrite::Refuse`], an existing `path` is an error and is left alone,
/// even when another process creates it in the meantime.
pub fn write_atomic(
    path: &Path,
    bytes: &[u8],
    overwrite: Overwrite,
    mode: Option<u32>,
) -> Result<(), WriteError> {
    let io_err = |error| WriteError::Io {
        path: path.to_path_buf(),
        error,
    };
    if overwrite == Overwrite::Refuse && path.symlink_metadata().is_ok() {
        return Err(WriteError::Exists(path.to_path_buf()));
    }
    let dir = parent_dir(path);
    let prefix = temp_prefix(path);
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(fs::Permissions::from_mode(mode.unwrap_or(0o644)));
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut tmp = builder.tempfile_in(&dir).map_err(io_err)?;
    tmp.write_all(bytes).map_err(io_err)?;
    tmp.as_file().sync_all().map_err(io_err)?;
    match overwrite {
        Overwrite::Replace => {
            tmp.persist(path).map_err(|e| io_err(e.error))?;
        }
        Overwrite::Refuse => {
            tmp.persist_noclobber(path).map_err(|e| {
                if e.error.kind() == io::ErrorKind::AlreadyExists {
                    WriteError::Exists(path.to_path_buf())
                } else {
                    io_err(e.error)
                }
            })?;
        }
    }
    // Make the rename itself durable.
    if let Ok(d) = fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuse_keeps_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.txt");
        write_atomic(&p, b"one", Overwrite::Refuse, None).unwrap();
        let err = write_atomic(&p, b"two", Overwrite::Refuse, None).unwrap_err();
        assert!(matches!(err, WriteError::Exists(_)));
        assert_eq!(fs::read(&p).unwrap(), b"one");
        write_atomic(&p, b"three", Overwrite::Replace, None).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"three");
        // No temporary files are left behind.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn mode_is_applied() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("secret.key");
        write_atomic(&p, b"k", Overwrite::Refuse, Some(0o600)).unwrap();
        let mode = fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn read_limited_refuses_large_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a");
        fs::write(&p, b"12345").unwrap();
        assert_eq!(read_limited(&p, 5).unwrap(), b"12345");
        assert!(matches!(
            read_limited(&p, 4),
            Err(ReadError::TooLarge { limit: 4 })
        ));
        assert!(matches!(read_limited(dir.path(), 4), Err(ReadError::Io(_))));
    }

    #[test]
    fn lock_excludes_and_stale_temps_go() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("register.json");
        let first = Lock::acquire(&target, Wait::No, |_, _| {}).unwrap();
        assert_eq!(first.path(), dir.path().join("register.json.lock"));
        let mut seen = String::new();
        let err = Lock::acquire(&target, Wait::No, |_, h| seen = h.to_string()).unwrap_err();
        assert!(matches!(err, LockError::Held { .. }));
        assert_eq!(seen, format!("pid {}", std::process::id()));
        drop(first);
        let _again = Lock::acquire(&target, Wait::No, |_, _| {}).unwrap();

        let stale = dir.path().join(".ackreg-register.json-abc123.tmp");
        let other = dir.path().join(".ackreg-other.json-abc123.tmp");
        fs::write(&stale, b"half").unwrap();
        fs::write(&other, b"half").unwrap();
        assert_eq!(remove_stale_temps(&target), 1);
        assert!(!stale.exists() && other.exists());
    }

    #[test]
    fn missing_folder_is_an_io_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("no/such/dir/a.pdf");
        let err = write_atomic(&p, b"x", Overwrite::Replace, None).unwrap_err();
        assert!(matches!(err, WriteError::Io { .. }));
        assert!(err.to_string().contains("no/such/dir/a.pdf"));
    }
}
