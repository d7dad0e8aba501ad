//! A new administrator link for a running desk, made on the desk's own
//! computer: `ackreg serve --log DIR --admin-link`.
//!
//! The link printed at start works once; an administrator who signed out
//! (or whose session ended) would otherwise need a restart. The file
//! system is the authority: whoever may write the log's folder may already
//! do anything to the register, so a link is made by writing its token's
//! SHA-256 and expiry to `DIR/desk/admin-link.json` (mode 0600, written
//! atomically), which the desk reads when an administrator link it did not
//! make itself is presented. Like an enrolment link, the token itself is
//! never stored, the link works once (the desk removes the file when it is
//! used) and expires; a new one replaces the previous one.
//!
//! The desk also writes its address to `DIR/desk/address` at start, so
//! that the command can print the whole link.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::secret::{new_token, token_hash};
use super::{desk_dir, DeskError};
use ackreg_core::encoding::{hex, hex32};
use ackreg_core::fsutil::{self, Overwrite};

/// The file holding the link's hash.
pub const FILE_NAME: &str = "admin-link.json";
/// The file holding the running desk's address.
pub const ADDRESS_FILE: &str = "address";
/// How long a link made this way works.
pub const ADMIN_LINK_TTL_SECONDS: i64 = 3600;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Saved {
    /// Hex SHA-256 of the token.
    hash: String,
    /// Unix time after which the link no longer works.
    expires: i64,
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn link_path(log: &Path) -> PathBuf {
    desk_dir(log).join(FILE_NAME)
}

fn io(path: &Path, error: std::io::Error) -> DeskError {
    DeskError::Io {
        path: path.to_path_buf(),
        error,
    }
}

/// A new administrator link for the desk of the log in `log`: its token
/// (what follows `/admin#`) and when it expires (Unix time). Replaces an
/// earlier link made this way.
pub fn issue(log: &Path) -> Result<(String, i64), DeskError> {
    ackreg_core::log::LogDir::new(log).checkpoint()?;
    let dir = desk_dir(log);
    std::fs::create_dir_all(&dir).map_err(|e| io(&dir, e))?;
    let (token, hash) = new_token()?;
    let expires = now() + ADMIN_LINK_TTL_SECONDS;
    let saved = Saved {
        hash: hex(&hash),
        expires,
    };
    let mut bytes = serde_json::to_vec_pretty(&saved).unwrap_or_default();
    bytes.push(b'\n');
    fsutil::write_atomic(&link_path(log), &bytes, Overwrite::Replace, Some(0o600))?;
    Ok((token, expires))
}

/// Uses a link made by [`issue`]: true once, for its token, before it
/// expires. The file is removed when the link is used or found expired.
pub fn take(log: &Path, token: &str) -> Result<bool, DeskError> {
    let path = link_path(log);
    let Some(hash) = token_hash(token) else {
        return Ok(false);
    };
    let bytes = match fsutil::read_limited(&path, 4096) {
        Ok(b) => b,
        Err(_) if !path.exists() => return Ok(false),
        Err(e) => return Err(io(&path, std::io::Error::other(e.to_string()))),
    };
    let saved: Saved =
        ackreg_core::encoding::from_json(&bytes).map_err(|error| DeskError::Saved {
            path: path.clone(),
            error,
        })?;
    let expired = saved.expires <= now();
    let matches = hex32(&saved.hash).ok() == Some(hash);
    if expired || matches {
        std::fs::remove_file(&path).map_err(|e| io(&path, e))?;
    }
    Ok(matches && !expired)
}

/// Notes the address a desk serves `log` at (`BASE`, as in `BASE/admin`).
pub fn record_address(log: &Path, base: &str) -> Result<(), DeskError> {
    let dir = desk_dir(log);
    std::fs::create_dir_all(&dir).map_err(|e| io(&dir, e))?;
    let text = format!("{base}\n");
    fsutil::write_atomic(
        &dir.join(ADDRESS_FILE),
        text.as_bytes(),
        Overwrite::Replace,
        Some(0o644),
    )?;
    Ok(())
}

/// The address the desk of `log` last noted, if any.
pub fn address(log: &Path) -> Option<String> {
    let bytes = fsutil::read_limited(&desk_dir(log).join(ADDRESS_FILE), 4096).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let line = text.trim();
    let fine = !line.is_empty() && line.bytes().all(|b| b.is_ascii_graphic());
    fine.then(|| line.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_works_once_and_is_stored_hashed() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path();
        assert!(issue(log).is_err(), "not a log");
        std::fs::create_dir_all(desk_dir(log)).unwrap();
        let old = new_token().unwrap().0;
        // Without a log's checkpoint no link is made; write one by hand.
        let (token, hash) = new_token().unwrap();
        let saved = format!("{{\"hash\":\"{}\",\"expires\":{}}}", hex(&hash), now() + 60);
        std::fs::write(link_path(log), saved).unwrap();
        assert!(!std::fs::read_to_string(link_path(log))
            .unwrap()
            .contains(&token));
        assert!(!take(log, &old).unwrap());
        assert!(!take(log, "short").unwrap());
        assert!(take(log, &token).unwrap());
        assert!(!take(log, &token).unwrap(), "single use");
        let expired = format!("{{\"hash\":\"{}\",\"expires\":{}}}", hex(&hash), now() - 1);
        std::fs::write(link_path(log), expired).unwrap();
        assert!(!take(log, &token).unwrap(), "expired");
        assert!(!link_path(log).exists());
        record_address(log, "http://127.0.0.1:8080").unwrap();
        assert_eq!(address(log).as_deref(), Some("http://127.0.0.1:8080"));
    }
}
