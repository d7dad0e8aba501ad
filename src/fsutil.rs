//! Crash-safe writing of files.
//!
//! Everything ackreg writes is evidence or a secret, so no file may ever be
//! left half-written: bytes go to a temporary file in the destination's own
//! folder, are synced to disk, and the file is then renamed into place (an
//! atomic step on POSIX file systems). A crash at any moment leaves either
//! the old file or the new one, never a mixture.

use std::fs;
use std::io::{self, Write};
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
    #[error("cannot write {}: {source}", path.display())]
    Io {
        /// The file that could not be written.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
}

impl crate::Hint for WriteError {
    fn hint(&self) -> Option<String> {
        match self {
            WriteError::Exists(_) => {
                Some("choose another path, or pass --force to replace the file".into())
            }
            WriteError::Io { .. } => {
                Some("check that the folder exists and that you may write to it".into())
            }
        }
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
    let io_err = |source| WriteError::Io {
        path: path.to_path_buf(),
        source,
    };
    if overwrite == Overwrite::Refuse && path.symlink_metadata().is_ok() {
        return Err(WriteError::Exists(path.to_path_buf()));
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".ackreg-").suffix(".tmp");
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
    fn missing_folder_is_an_io_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("no/such/dir/a.pdf");
        let err = write_atomic(&p, b"x", Overwrite::Replace, None).unwrap_err();
        assert!(matches!(err, WriteError::Io { .. }));
        assert!(err.to_string().contains("no/such/dir/a.pdf"));
    }
}
