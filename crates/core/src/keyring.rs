//! The keyring: who is who, and which public key speaks for them.
//!
//! A keyring is a folder holding `keyring.json`, the authoritative list of
//! employees (identifier, name, optional position, raw public key, key id),
//! and one `ID.pub.pem` per employee for people and OpenSSL. Loading checks
//! every key id against its public key and refuses duplicate identifiers or
//! keys, so one key can never speak for two people.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use ed25519_dalek::VerifyingKey;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::encoding::{b64, b64_strict};
use crate::fsutil::{write_atomic, Overwrite, WriteError};
use crate::keys::{KeyError, KeyId};
use crate::text::{self, TextError};

/// Name of the keyring file inside the keyring folder.
pub const KEYRING_FILE: &str = "keyring.json";
/// The keyring format version this code reads and writes.
pub const KEYRING_VERSION: u32 = 1;
/// Longest name or position, in characters.
pub const MAX_NAME_LEN: usize = 200;
/// Largest `keyring.json` read (a keyring of 10,000 employees is ~3 MB).
pub const MAX_KEYRING_FILE: usize = 16 * 1024 * 1024;

/// An error in a keyring.
#[derive(Debug, thiserror::Error)]
pub enum KeyringError {
    /// The keyring file does not exist.
    #[error("no keyring here ({KEYRING_FILE} is missing)")]
    Missing,
    /// The keyring file could not be read.
    #[error("cannot read the keyring")]
    Io(#[source] std::io::Error),
    /// The keyring file is not valid keyring JSON.
    #[error("not a valid keyring: {0}")]
    Json(crate::encoding::JsonError),
    /// The keyring could not be serialised.
    #[error("cannot serialise the keyring: {0}")]
    Serialize(serde_json::Error),
    /// The keyring file is larger than any keyring ackreg reads.
    #[error("the keyring is larger than {MAX_KEYRING_FILE} bytes")]
    TooLarge,
    /// Another ackreg run is changing the keyring.
    #[error(transparent)]
    Lock(#[from] crate::fsutil::LockError),
    /// The keyring has a version this code does not know.
    #[error("keyring version {0} is not supported (expected {KEYRING_VERSION})")]
    Version(u32),
    /// An identifier breaks the identifier rules.
    #[error("identifier \"{id}\" {error}")]
    Id {
        /// The identifier, made printable.
        id: String,
        /// What is wrong with it.
        error: TextError,
    },
    /// A name or position breaks the text rules.
    #[error("{field} of \"{id}\" {error}")]
    Text {
        /// Which field.
        field: &'static str,
        /// The identifier of the entry.
        id: String,
        /// What is wrong with it.
        error: TextError,
    },
    /// The public key of an entry is unusable.
    #[error("public key of \"{id}\": {error}")]
    Key {
        /// The identifier of the entry.
        id: String,
        /// What is wrong with the key.
        error: KeyError,
    },
    /// The stored public key is not canonical base64 of 32 bytes.
    #[error("public key of \"{id}\" is not standard base64 of 32 bytes")]
    KeyEncoding {
        /// The identifier of the entry.
        id: String,
    },
    /// The stored key id does not match the public key.
    #[error("key id of \"{id}\" does not match its public key")]
    KeyIdMismatch {
        /// The identifier of the entry.
        id: String,
    },
    /// Two entries share an identifier.
    #[error("identifier \"{0}\" is already in the keyring")]
    DuplicateId(String),
    /// Two entries share a public key.
    #[error("this public key already belongs to \"{existing}\" (key id {keyid})")]
    DuplicateKey {
        /// The identifier that already has the key.
        existing: String,
        /// The key id.
        keyid: KeyId,
    },
    /// Writing a keyring file failed.
    #[error(transparent)]
    Write(#[from] WriteError),
}

impl crate::Hint for KeyringError {
    fn hint(&self) -> Option<String> {
        match self {
            KeyringError::Missing => Some(
                "name the keyring folder, or create a keyring by making an employee's key pair \
                 or adding their public key"
                    .into(),
            ),
            KeyringError::DuplicateId(_) => Some("choose another identifier".into()),
            KeyringError::DuplicateKey { .. } => {
                Some("each employee needs their own key pair".into())
            }
            KeyringError::Id { .. } => {
                Some("use a short identifier such as jberzins (a-z, 0-9, '.', '_', '-')".into())
            }
            KeyringError::Write(e) => crate::Hint::hint(e),
            KeyringError::Lock(e) => crate::Hint::hint(e),
            KeyringError::Text { error, .. } => crate::Hint::hint(error),
            KeyringError::Json(_) | KeyringError::Version(_) => Some(
                "keyring.json is written by ackreg as employees are added; restore it from a \
                 backup rather than editing it by hand"
                    .into(),
            ),
            KeyringError::KeyIdMismatch { .. } | KeyringError::KeyEncoding { .. } => {
                Some("the keyring has been edited or damaged; restore it from a backup".into())
            }
            KeyringError::TooLarge => Some("this is not a keyring written by ackreg".into()),
            _ => None,
        }
    }
}

/// One employee in the keyring.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Identifier, `[a-z0-9._-]{1,64}`.
    pub id: String,
    /// Full name in Unicode NFC.
    pub name: String,
    /// Position, if given, in Unicode NFC.
    pub position: Option<String>,
    /// The employee's Ed25519 public key.
    pub public_key: VerifyingKey,
    /// Its key id, computed once.
    keyid: KeyId,
}

impl Entry {
    /// Makes an entry from values typed by a person: names are normalised
    /// to NFC and every field is checked.
    pub fn new(
        id: &str,
        name: &str,
        position: Option<&str>,
        public_key: VerifyingKey,
    ) -> Result<Self, KeyringError> {
        text::check_id(id).map_err(|error| KeyringError::Id {
            id: text::printable(id, 80),
            error,
        })?;
        let text_err = |field| {
            move |error| KeyringError::Text {
                field,
                id: id.to_string(),
                error,
            }
        };
        let name = text::normalize(name, MAX_NAME_LEN, false).map_err(text_err("name"))?;
        let position = position
            .map(|p| text::normalize(p, MAX_NAME_LEN, false))
            .transpose()
            .map_err(text_err("position"))?;
        Self::with_key(id.to_string(), name, position, public_key)
    }

    /// Makes an entry from stored values, which must already follow the
    /// text rules (NFC, trimmed): nothing is normalised, nothing copied.
    fn stored(
        id: String,
        name: String,
        position: Option<String>,
        public_key: VerifyingKey,
    ) -> Result<Self, KeyringError> {
        text::check_id(&id).map_err(|error| KeyringError::Id {
            id: text::printable(&id, 80),
            error,
        })?;
        let text_err = |field, error| KeyringError::Text {
            field,
            id: id.clone(),
            error,
        };
        text::check(&name, MAX_NAME_LEN, false).map_err(|e| text_err("name", e))?;
        if let Some(p) = &position {
            text::check(p, MAX_NAME_LEN, false).map_err(|e| text_err("position", e))?;
        }
        Self::with_key(id, name, position, public_key)
    }

    fn with_key(
        id: String,
        name: String,
        position: Option<String>,
        public_key: VerifyingKey,
    ) -> Result<Self, KeyringError> {
        if public_key.is_weak() {
            return Err(KeyringError::Key {
                id,
                error: KeyError::WeakPublicKey,
            });
        }
        Ok(Entry {
            keyid: KeyId::of(&public_key),
            id,
            name,
            position,
            public_key,
        })
    }

    /// The key id of this entry's public key.
    pub fn keyid(&self) -> KeyId {
        self.keyid
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyringFile {
    version: u32,
    entries: Vec<EntryFile>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryFile {
    id: String,
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    position: Option<String>,
    public_key: String,
    keyid: String,
}

/// The employees and their keys, sorted by identifier.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Keyring {
    entries: Vec<Entry>,
    /// Key id to the entry's position in `entries`, so that looking up a
    /// signer neither hashes every key nor searches the identifiers of a
    /// keyring of 100,000 employees (see docs/PERFORMANCE.md).
    keyids: HashMap<KeyId, usize>,
}

/// Path of the keyring file in folder `dir`.
pub fn keyring_path(dir: &Path) -> PathBuf {
    dir.join(KEYRING_FILE)
}

/// Path of the public key file of employee `id` in folder `dir`.
pub fn public_key_path(dir: &Path, id: &str) -> PathBuf {
    dir.join(format!("{id}.pub.pem"))
}

impl Keyring {
    /// Parses `keyring.json`, checking every entry, every key id and that no
    /// identifier or key appears twice.
    pub fn from_json(bytes: &[u8]) -> Result<Self, KeyringError> {
        let file: KeyringFile = crate::encoding::from_json(bytes).map_err(KeyringError::Json)?;
        if file.version != KEYRING_VERSION {
            return Err(KeyringError::Version(file.version));
        }
        // Each entry is checked on its own (on all cores: decoding a key is
        // the expensive part of a register's keyring of 100,000 employees),
        // then added in file order, so the first error in the file is the
        // one reported.
        let checked: Vec<Result<Entry, KeyringError>> = file
            .entries
            .into_par_iter()
            .map(|e| {
                let id = text::printable(&e.id, 80);
                let raw: [u8; 32] = b64_strict(&e.public_key)
                    .ok()
                    .and_then(|v| v.try_into().ok())
                    .ok_or_else(|| KeyringError::KeyEncoding { id: id.clone() })?;
                let key = crate::keys::public_key_from_bytes(&raw).map_err(|error| {
                    KeyringError::Key {
                        id: id.clone(),
                        error,
                    }
                })?;
                let entry = Entry::stored(e.id, e.name, e.position, key)?;
                if entry.keyid().to_string() != e.keyid {
                    return Err(KeyringError::KeyIdMismatch { id });
                }
                Ok(entry)
            })
            .collect();
        let mut ring = Keyring::default();
        ring.entries.reserve(checked.len());
        ring.keyids.reserve(checked.len());
        for entry in checked {
            ring.add(entry?)?;
        }
        Ok(ring)
    }

    /// The keyring as pretty JSON with a final newline, entries sorted by
    /// identifier.
    pub fn to_json(&self) -> Result<Vec<u8>, KeyringError> {
        let file = KeyringFile {
            version: KEYRING_VERSION,
            entries: self
                .entries
                .iter()
                .map(|e| EntryFile {
                    id: e.id.clone(),
                    name: e.name.clone(),
                    position: e.position.clone(),
                    public_key: b64(e.public_key.as_bytes()),
                    keyid: e.keyid().to_string(),
                })
                .collect(),
        };
        let mut out = serde_json::to_vec_pretty(&file).map_err(KeyringError::Serialize)?;
        out.push(b'\n');
        Ok(out)
    }

    /// Loads `DIR/keyring.json`.
    pub fn load(dir: &Path) -> Result<Self, KeyringError> {
        match crate::fsutil::read_limited(&keyring_path(dir), MAX_KEYRING_FILE) {
            Ok(bytes) => Self::from_json(&bytes),
            Err(crate::fsutil::ReadError::TooLarge { .. }) => Err(KeyringError::TooLarge),
            Err(crate::fsutil::ReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
                Err(KeyringError::Missing)
            }
            Err(crate::fsutil::ReadError::Io(e)) => Err(KeyringError::Io(e)),
        }
    }

    /// Loads `DIR/keyring.json`, or an empty keyring when it does not exist.
    pub fn load_or_empty(dir: &Path) -> Result<Self, KeyringError> {
        match Self::load(dir) {
            Err(KeyringError::Missing) => Ok(Keyring::default()),
            other => other,
        }
    }

    /// Writes `DIR/keyring.json` atomically (replacing the old one).
    pub fn save(&self, dir: &Path) -> Result<(), KeyringError> {
        write_atomic(
            &keyring_path(dir),
            &self.to_json()?,
            Overwrite::Replace,
            None,
        )?;
        Ok(())
    }

    /// Checks that `entry` could be added: its identifier and key are new.
    pub fn check_new(&self, entry: &Entry) -> Result<(), KeyringError> {
        self.position_for(entry).map(|_| ())
    }

    /// Where `entry` goes in the sorted entries, if its identifier and key
    /// are new.
    fn position_for(&self, entry: &Entry) -> Result<usize, KeyringError> {
        let at = match self
            .entries
            .binary_search_by(|e| e.id.as_str().cmp(&entry.id))
        {
            Ok(_) => return Err(KeyringError::DuplicateId(entry.id.clone())),
            Err(at) => at,
        };
        if let Some(existing) = self.by_keyid(&entry.keyid) {
            return Err(KeyringError::DuplicateKey {
                existing: existing.id.clone(),
                keyid: entry.keyid,
            });
        }
        Ok(at)
    }

    /// Adds `entry`, refusing a duplicate identifier or key. Entries added
    /// in identifier order (a keyring file as ackreg writes it) go at the
    /// end; any other entry moves the positions after it.
    pub fn add(&mut self, entry: Entry) -> Result<(), KeyringError> {
        let at = self.position_for(&entry)?;
        if at < self.entries.len() {
            for position in self.keyids.values_mut() {
                if *position >= at {
                    *position += 1;
                }
            }
        }
        self.keyids.insert(entry.keyid(), at);
        self.entries.insert(at, entry);
        Ok(())
    }

    /// All entries, sorted by identifier.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The entry with identifier `id`.
    pub fn by_id(&self, id: &str) -> Option<&Entry> {
        self.entries
            .binary_search_by(|e| e.id.as_str().cmp(id))
            .ok()
            .map(|i| &self.entries[i])
    }

    /// The entry whose public key has key id `keyid`.
    pub fn by_keyid(&self, keyid: &KeyId) -> Option<&Entry> {
        self.keyids.get(keyid).map(|&at| &self.entries[at])
    }
}

/// Writes `DIR/ID.pub.pem` for `entry`. An identical existing file is left
/// alone; a different one is replaced only with [`Overwrite::Replace`].
pub fn write_public_key(
    dir: &Path,
    entry: &Entry,
    overwrite: Overwrite,
) -> Result<(), KeyringError> {
    let path = public_key_path(dir, &entry.id);
    let pem =
        crate::keys::encode_public_key(&entry.public_key).map_err(|error| KeyringError::Key {
            id: entry.id.clone(),
            error,
        })?;
    if std::fs::read(&path).is_ok_and(|old| old == pem.as_bytes()) {
        return Ok(());
    }
    write_atomic(&path, pem.as_bytes(), overwrite, None)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::SigningKey;

    fn key(n: u8) -> VerifyingKey {
        SigningKey::from_bytes(&[n; 32]).verifying_key()
    }

    #[test]
    fn round_trip_sorted() {
        let mut ring = Keyring::default();
        ring.add(Entry::new("zz", "Zane", None, key(1)).unwrap())
            .unwrap();
        ring.add(Entry::new("jberzins", "Ja\u{304}nis Bērziņš", Some("Jurists"), key(2)).unwrap())
            .unwrap();
        assert_eq!(ring.entries()[0].id, "jberzins");
        assert_eq!(ring.entries()[0].name, "Jānis Bērziņš");
        let json = ring.to_json().unwrap();
        assert_eq!(Keyring::from_json(&json).unwrap(), ring);
        assert!(ring.by_keyid(&KeyId::of(&key(2))).is_some());
    }

    #[test]
    fn key_ids_find_their_entries_whatever_the_order_of_adding() {
        let mut ring = Keyring::default();
        let ids = ["m", "c", "x", "a", "n", "b"];
        for (n, id) in ids.iter().enumerate() {
            ring.add(Entry::new(id, "Name", None, key(n as u8 + 1)).unwrap())
                .unwrap();
            for (k, id) in ids[..=n].iter().enumerate() {
                let found = ring.by_keyid(&KeyId::of(&key(k as u8 + 1))).unwrap();
                assert_eq!(found.id, *id);
            }
        }
        // Loaded from its file (sorted), the same lookups hold.
        let loaded = Keyring::from_json(&ring.to_json().unwrap()).unwrap();
        for (k, id) in ids.iter().enumerate() {
            assert_eq!(
                loaded.by_keyid(&KeyId::of(&key(k as u8 + 1))).unwrap().id,
                *id
            );
        }
        assert_eq!(loaded, ring);
    }

    #[test]
    fn duplicates_are_refused() {
        let mut ring = Keyring::default();
        ring.add(Entry::new("a", "A", None, key(1)).unwrap())
            .unwrap();
        assert!(matches!(
            ring.add(Entry::new("a", "B", None, key(2)).unwrap()),
            Err(KeyringError::DuplicateId(_))
        ));
        assert!(matches!(
            ring.add(Entry::new("b", "B", None, key(1)).unwrap()),
            Err(KeyringError::DuplicateKey { .. })
        ));
    }

    #[test]
    fn load_checks_key_ids_and_duplicates() {
        let mut ring = Keyring::default();
        ring.add(Entry::new("a", "A", None, key(1)).unwrap())
            .unwrap();
        let json = String::from_utf8(ring.to_json().unwrap()).unwrap();
        let wrong = json.replace(&KeyId::of(&key(1)).to_string(), &"0".repeat(64));
        assert!(matches!(
            Keyring::from_json(wrong.as_bytes()),
            Err(KeyringError::KeyIdMismatch { .. })
        ));
        let mut value: serde_json::Value = serde_json::from_str(&json).unwrap();
        let first = value["entries"][0].clone();
        value["entries"].as_array_mut().unwrap().push(first);
        assert!(matches!(
            Keyring::from_json(value.to_string().as_bytes()),
            Err(KeyringError::DuplicateId(_))
        ));
        assert!(matches!(
            Keyring::from_json(b"{\"version\":2,\"entries\":[]}"),
            Err(KeyringError::Version(2))
        ));
        assert!(Entry::new("A", "A", None, key(3)).is_err());
    }
}
