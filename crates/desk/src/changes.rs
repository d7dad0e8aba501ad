//! "What changed since you last signed": the comparison of two versions of
//! a document ([`ackreg_core::changes`], as `ackreg log diff` makes it),
//! for the employee's page.
//!
//! Reading a version's clauses means reading a file, and for a PDF that
//! ackreg did not render, its text: that is done once per version, kept
//! by the PDF's SHA-256, and each comparison once per pair of versions,
//! kept as the JSON the page receives. Both are bounded by the versions
//! the log holds (a pair is compared only when both are versions of the
//! same document, the older first), so the caches need no eviction.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use ackreg_core::changes::{self, VersionText};
use ackreg_core::log::state::{Published, State};
use ackreg_core::log::LogDir;

use super::request::RequestError;

type Sha = [u8; 32];

/// The two versions to compare, as the log names them.
#[derive(Debug, Clone)]
pub struct Pair {
    /// The document's id.
    pub document: String,
    /// The older version (the one signed before).
    pub from: Published,
    /// The newer version (the one to sign).
    pub to: Published,
}

/// The versions of the hex SHA-256 `from` and `to`, if both are in the
/// log, of the same document, `from` published first.
pub fn pair(state: &State, from: &Sha, to: &Sha) -> Option<Pair> {
    let (_, old) = state.version_by_sha(from)?;
    let (_, new) = state.version_by_sha(to)?;
    let document = old.version.document_id();
    let same = document == new.version.document_id();
    (same && old.entry < new.entry).then(|| Pair {
        document: document.to_string(),
        from: old.clone(),
        to: new.clone(),
    })
}

/// The versions read and the comparisons made so far.
#[derive(Debug, Default)]
pub struct Cache {
    texts: Mutex<HashMap<Sha, Arc<VersionText>>>,
    compared: Mutex<HashMap<(Sha, Sha), Arc<String>>>,
}

impl Cache {
    /// The comparison of `pair` as JSON (see
    /// [`ackreg_core::changes::Comparison`]), made on the first call and
    /// kept. Reads files: call it off the async threads.
    pub fn between(&self, log: &LogDir, pair: &Pair) -> Result<Arc<String>, RequestError> {
        let key = (pair.from.version.sha256, pair.to.version.sha256);
        if let Some(done) = lock(&self.compared).get(&key) {
            return Ok(done.clone());
        }
        let from = self.text(log, &pair.from)?;
        let to = self.text(log, &pair.to)?;
        let comparison = changes::compare_versions(&pair.document, (*from).clone(), (*to).clone());
        let json = serde_json::to_string(&comparison)
            .map_err(|e| RequestError::Unavailable(e.to_string()))?;
        let json = Arc::new(json);
        lock(&self.compared).insert(key, json.clone());
        Ok(json)
    }

    /// A version's clauses, read once.
    fn text(&self, log: &LogDir, v: &Published) -> Result<Arc<VersionText>, RequestError> {
        let sha = v.version.sha256;
        if let Some(text) = lock(&self.texts).get(&sha) {
            return Ok(text.clone());
        }
        let text =
            changes::read_version(log, v).map_err(|e| RequestError::Unavailable(e.to_string()))?;
        let text = Arc::new(text);
        lock(&self.texts).insert(sha, text.clone());
        Ok(text)
    }

    /// How many versions have been read (for tests).
    pub fn versions_read(&self) -> usize {
        lock(&self.texts).len()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
