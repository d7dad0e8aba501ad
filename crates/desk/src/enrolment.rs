//! Enrolment links: the administration issues one for an employee, the
//! employee opens it once, and their browser's new key is enrolled.
//!
//! A link is `/enrol#TOKEN`. The desk keeps only the token's SHA-256, with
//! whom it enrols and until when, in `DIR/desk/enrolments.json` (mode 0600,
//! written atomically), so that links survive a restart and a copy of the
//! folder reveals no working link. A link works once and expires; a new
//! link for the same employee replaces the old one. A used link's hash is
//! kept for [`USED_TTL_SECONDS`], so that opening it again says it was
//! used rather than that it never existed.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::secret::{new_token, token_hash};
use super::DeskError;
use ackreg_core::encoding::{hex, hex32};
use ackreg_core::fsutil::{self, Overwrite};
use tlog::merkle::Hash;

/// How long a link works.
pub const LINK_TTL_SECONDS: i64 = 7 * 24 * 3600;
/// How long a used link is remembered as used.
pub const USED_TTL_SECONDS: i64 = 90 * 24 * 3600;
/// Most links kept at once (and most used links remembered).
pub const MAX_LINKS: usize = 10_000;
/// The file in the desk's folder.
pub const FILE_NAME: &str = "enrolments.json";

/// Whom a link enrols.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Link {
    /// Hex SHA-256 of the token.
    pub hash: String,
    /// Employee identifier.
    pub id: String,
    /// Full name (NFC).
    pub name: String,
    /// Position.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<String>,
    /// Unix time after which the link no longer works.
    pub expires: i64,
}

/// A link that was used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Used {
    /// Hex SHA-256 of the token.
    pub hash: String,
    /// Whom it enrolled.
    pub id: String,
    /// Unix time it was used.
    pub used: i64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Saved {
    links: Vec<Link>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    used: Vec<Used>,
}

/// The open enrolment links, and the used ones remembered.
#[derive(Debug)]
pub struct Enrolments {
    path: PathBuf,
    saved: Mutex<Saved>,
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

impl Enrolments {
    /// Reads the saved links in `dir` (none if the file is absent).
    pub fn load(dir: &Path) -> Result<Enrolments, DeskError> {
        let path = dir.join(FILE_NAME);
        let saved: Saved = super::load_saved(&path, 16 * 1024 * 1024)?;
        Ok(Enrolments {
            path,
            saved: Mutex::new(saved),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Saved> {
        self.saved
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn save(&self, saved: &Saved) -> Result<(), DeskError> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(|error| DeskError::Io {
                path: dir.to_path_buf(),
                error,
            })?;
        }
        let mut bytes = serde_json::to_vec_pretty(saved).unwrap_or_default();
        bytes.push(b'\n');
        fsutil::write_atomic(&self.path, &bytes, Overwrite::Replace, Some(0o600))?;
        Ok(())
    }

    /// Issues a link for employee `id` (replacing any earlier one for
    /// them); returns the token and when it expires (Unix time).
    pub fn issue(
        &self,
        id: &str,
        name: &str,
        position: Option<&str>,
    ) -> Result<(String, i64), DeskError> {
        let (token, hash) = new_token()?;
        let expires = now() + LINK_TTL_SECONDS;
        let mut saved = self.lock();
        let t = now();
        saved.links.retain(|l| l.id != id && l.expires > t);
        if saved.links.len() >= MAX_LINKS {
            saved.links.remove(0);
        }
        saved.links.push(Link {
            hash: hex(&hash),
            id: id.to_string(),
            name: name.to_string(),
            position: position.map(str::to_string),
            expires,
        });
        self.save(&saved)?;
        Ok((token, expires))
    }

    fn find(links: &[Link], hash: &Hash) -> Option<usize> {
        let t = now();
        links
            .iter()
            .position(|l| hex32(&l.hash).ok().as_ref() == Some(hash) && l.expires > t)
    }

    /// Whom a token enrols, if it is a working link (it stays usable).
    pub fn peek(&self, token: &str) -> Option<Link> {
        let hash = token_hash(token)?;
        let saved = self.lock();
        Self::find(&saved.links, &hash).map(|i| saved.links[i].clone())
    }

    /// Whom a used link enrolled, if `token` is one (used within
    /// [`USED_TTL_SECONDS`]).
    pub fn used(&self, token: &str) -> Option<String> {
        let hash = hex(&token_hash(token)?);
        let t = now();
        self.lock()
            .used
            .iter()
            .find(|u| u.hash == hash && u.used + USED_TTL_SECONDS > t)
            .map(|u| u.id.clone())
    }

    /// Uses a link: removes it and returns whom it enrols; `Ok(None)` if it
    /// is not a working link.
    pub fn take(&self, token: &str) -> Result<Option<Link>, DeskError> {
        let Some(hash) = token_hash(token) else {
            return Ok(None);
        };
        let mut saved = self.lock();
        let Some(i) = Self::find(&saved.links, &hash) else {
            return Ok(None);
        };
        let link = saved.links.remove(i);
        let t = now();
        saved.used.retain(|u| u.used + USED_TTL_SECONDS > t);
        if saved.used.len() >= MAX_LINKS {
            saved.used.remove(0);
        }
        saved.used.push(Used {
            hash: link.hash.clone(),
            id: link.id.clone(),
            used: t,
        });
        self.save(&saved)?;
        Ok(Some(link))
    }

    /// Puts back a link taken for an enrolment that did not happen.
    pub fn restore(&self, link: Link) -> Result<(), DeskError> {
        let mut saved = self.lock();
        if !saved.links.iter().any(|l| l.id == link.id) {
            saved.used.retain(|u| u.hash != link.hash);
            saved.links.push(link);
            self.save(&saved)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_work_once_are_stored_hashed_and_survive_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let e = Enrolments::load(dir.path()).unwrap();
        let (token, _) = e.issue("jberzins", "Jānis Bērziņš", None).unwrap();
        let file = std::fs::read_to_string(dir.path().join(FILE_NAME)).unwrap();
        assert!(!file.contains(&token), "the token itself is never stored");
        assert!(file.contains("Jānis Bērziņš"));
        let again = Enrolments::load(dir.path()).unwrap();
        assert_eq!(again.peek(&token).unwrap().id, "jberzins");
        assert_eq!(again.used(&token), None);
        let link = again.take(&token).unwrap().unwrap();
        assert!(again.take(&token).unwrap().is_none(), "single use");
        assert!(Enrolments::load(dir.path()).unwrap().peek(&token).is_none());
        assert_eq!(
            Enrolments::load(dir.path())
                .unwrap()
                .used(&token)
                .as_deref(),
            Some("jberzins"),
            "a used link is remembered as used"
        );
        again.restore(link).unwrap();
        assert!(again.peek(&token).is_some());
        assert_eq!(again.used(&token), None);
    }

    #[test]
    fn a_new_link_replaces_the_old_and_expired_links_fail() {
        let dir = tempfile::tempdir().unwrap();
        let e = Enrolments::load(dir.path()).unwrap();
        let (old, _) = e.issue("a", "A", None).unwrap();
        let (new, _) = e.issue("a", "A", None).unwrap();
        assert!(e.peek(&old).is_none());
        assert!(e.peek(&new).is_some());
        e.lock().links[0].expires = now() - 1;
        assert!(e.peek(&new).is_none());
        assert!(e.take(&new).unwrap().is_none());
        assert!(e.peek("not a token").is_none());
    }
}
