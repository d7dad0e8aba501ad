//! The log on disk: a folder that holds the entries, an index, the tree's
//! interior hashes and the signed checkpoints.
//!
//! ```text
//! DIR/entries          every entry, each followed by a line feed
//! DIR/index            9 bytes per entry: end offset in `entries` (u64 BE,
//!                      after its line feed) and the kind's code
//! DIR/tree/K           the hashes of the complete subtrees of level K
//!                      (level 0: leaf hashes), 32 bytes each, in order
//! DIR/checkpoint       the newest signed checkpoint: what is committed
//! DIR/checkpoints/N    every checkpoint signed, by tree size
//! DIR/synced           how many entries the index and the tree hold on
//!                      disk for certain (decimal, line feed)
//! DIR/state            the writer's snapshot of the state at `synced`
//!                      entries (see [`super::snapshot`])
//! DIR/entries.lock     held by the one writer
//! ```
//!
//! The checkpoint is the commit point. A writer appends to `entries` and
//! syncs it, writes the index and the tree, and only then replaces
//! `checkpoint` atomically; anything in the data files past the
//! checkpoint's size is an append that did not finish and the next writer
//! cuts it off. Readers take no lock: they read the checkpoint first and
//! never look past its size. The index and the tree are caches of what
//! `entries` says, so that one entry or one proof is read without parsing
//! the entries before it; the full audit checks them against the entries.
//!
//! Because they are caches, a commit does not sync them: only `entries`
//! and the checkpoint, four syncs in all, whatever the tree's height. The
//! writer syncs the caches every [`CACHE_SYNC_EVERY`] entries (a server
//! may defer that to its idle moments, up to a bound of its choosing:
//! [`Writer::sync_caches_every`]) and when it closes, and then records
//! their size in `synced`. After a crash of the
//! machine, the next writer trusts the caches only up to `synced`, rebuilds
//! the rest from `entries`, and checks the rebuilt tree against the
//! checkpoint's root before it appends anything.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use ed25519_dalek::SigningKey;

use crate::fsutil::{self, Lock, Overwrite, Wait};
use tlog::checkpoint::{Checkpoint, SignedCheckpoint};
use tlog::merkle::{self, Hash, SubtreeHashes};

use super::entry::{self, Entry, Kind};
use super::snapshot;
use super::state::{Refusal, State};

/// Bytes per index record.
pub const INDEX_RECORD: u64 = 9;
/// Largest checkpoint file read.
pub const MAX_CHECKPOINT_FILE: usize = 64 * 1024;
/// How many committed entries a writer lets the index and the tree hold
/// unsynced: what a crash of the machine can make the next writer rebuild.
pub const CACHE_SYNC_EVERY: u64 = 4096;

/// An error of the log folder.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// An I/O error on a file of the log.
    #[error("{}: {error}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What happened.
        error: io::Error,
    },
    /// The folder is not a log.
    #[error("{} is not an ackreg log (no checkpoint file)", .0.display())]
    NotALog(PathBuf),
    /// The folder already holds a log.
    #[error("{} already holds a log", .0.display())]
    Exists(PathBuf),
    /// The checkpoint file does not parse.
    #[error("{}: {error}", path.display())]
    Checkpoint {
        /// The file.
        path: PathBuf,
        /// Why.
        error: tlog::checkpoint::CheckpointError,
    },
    /// The checkpoint is not signed by the key given.
    #[error("the checkpoint is not signed by this issuer key ({0})")]
    ForeignLog(String),
    /// The data files hold less than the checkpoint covers.
    #[error("the log is damaged: {0}")]
    Damaged(String),
    /// An entry refused.
    #[error("entry {index}: {error}")]
    Entry {
        /// Its index.
        index: u64,
        /// Why.
        error: entry::EntryError,
    },
    /// An entry the log's history does not allow.
    #[error("entry {index}: {error}")]
    Refused {
        /// Its index.
        index: u64,
        /// Why.
        error: Refusal,
    },
    /// A signature that does not verify.
    #[error("entry {0}: the acknowledgement's signature does not verify")]
    BadSignature(u64),
    /// The lock could not be taken.
    #[error(transparent)]
    Lock(#[from] fsutil::LockError),
    /// A file could not be written.
    #[error(transparent)]
    Write(#[from] fsutil::WriteError),
    /// A proof could not be made.
    #[error("cannot make the proof: {0}")]
    Merkle(merkle::MerkleError),
    /// A writer that released the log's lock between commits was asked
    /// to write without taking it again (a misuse inside ackreg).
    #[error("the writer does not hold the log's lock")]
    Unlocked,
    /// An index beyond the tree.
    #[error("there is no entry {index}: the log has {size}")]
    NoEntry {
        /// Asked for.
        index: u64,
        /// The size.
        size: u64,
    },
}

impl crate::Hint for StoreError {
    fn hint(&self) -> Option<String> {
        match self {
            StoreError::NotALog(_) => Some("create the log first, or name the log's folder".into()),
            StoreError::Damaged(_) => {
                Some("audit the log and restore the folder from a backup".into())
            }
            StoreError::ForeignLog(_) => Some("use the issuer key of this log".into()),
            StoreError::Lock(e) => crate::Hint::hint(e),
            StoreError::Write(e) => crate::Hint::hint(e),
            _ => None,
        }
    }
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        error: source,
    }
}

/// A log folder, for reading.
#[derive(Debug, Clone)]
pub struct LogDir {
    dir: PathBuf,
}

impl LogDir {
    /// The folder `dir` (nothing is read yet).
    pub fn new(dir: &Path) -> LogDir {
        LogDir {
            dir: dir.to_path_buf(),
        }
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Path of the entries file.
    pub fn entries_path(&self) -> PathBuf {
        self.dir.join("entries")
    }

    /// Path of the index file.
    pub fn index_path(&self) -> PathBuf {
        self.dir.join("index")
    }

    /// Path of the newest checkpoint.
    pub fn checkpoint_path(&self) -> PathBuf {
        self.dir.join("checkpoint")
    }

    /// Folder of every checkpoint signed.
    pub fn checkpoints_dir(&self) -> PathBuf {
        self.dir.join("checkpoints")
    }

    /// Path of the checkpoint of `size` entries.
    pub fn checkpoint_of(&self, size: u64) -> PathBuf {
        self.checkpoints_dir().join(size.to_string())
    }

    /// Path of the tree level `level`.
    pub fn level_path(&self, level: u32) -> PathBuf {
        self.dir.join("tree").join(level.to_string())
    }

    /// The file that records how many entries the caches hold for certain.
    pub fn synced_path(&self) -> PathBuf {
        self.dir.join("synced")
    }

    /// The writer's snapshot of the state (see [`super::snapshot`]).
    pub fn state_path(&self) -> PathBuf {
        self.dir.join("state")
    }

    /// Whether the folder holds a log.
    pub fn exists(&self) -> bool {
        self.checkpoint_path().is_file()
    }

    /// Reads and parses the newest checkpoint (its signature is not
    /// verified here).
    pub fn checkpoint(&self) -> Result<SignedCheckpoint, StoreError> {
        let path = self.checkpoint_path();
        if !path.exists() {
            return Err(StoreError::NotALog(self.dir.clone()));
        }
        read_checkpoint(&path)
    }

    /// Every checkpoint kept in `checkpoints/`, by size, as raw bytes and
    /// the file they came from.
    pub fn history(&self) -> Result<Vec<(u64, PathBuf)>, StoreError> {
        let dir = self.checkpoints_dir();
        let mut out = Vec::new();
        let listing = match fs::read_dir(&dir) {
            Ok(l) => l,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(io_err(&dir)(e)),
        };
        for item in listing {
            let item = item.map_err(io_err(&dir))?;
            let name = item.file_name();
            let Some(size) = name.to_str().and_then(|n| n.parse::<u64>().ok()) else {
                continue;
            };
            if name.to_str() == Some(&size.to_string()) {
                out.push((size, item.path()));
            }
        }
        out.sort();
        Ok(out)
    }

    /// The end offsets and kinds of the first `size` entries, from the index.
    pub fn index(&self, size: u64) -> Result<Vec<(u64, u8)>, StoreError> {
        let path = self.index_path();
        let mut file = File::open(&path).map_err(io_err(&path))?;
        let want = size
            .checked_mul(INDEX_RECORD)
            .ok_or_else(|| StoreError::Damaged("the tree size is absurd".into()))?;
        let have = file.metadata().map_err(io_err(&path))?.len();
        if have < want {
            return Err(StoreError::Damaged(format!(
                "the index holds {} entries, the checkpoint {size}",
                have / INDEX_RECORD
            )));
        }
        let mut bytes = vec![0; want as usize];
        file.read_exact(&mut bytes).map_err(io_err(&path))?;
        Ok(bytes
            .chunks_exact(INDEX_RECORD as usize)
            .map(index_record)
            .collect())
    }

    /// The bytes of entry `index` (without its line feed), located through
    /// the index: one seek, one read.
    pub fn entry(&self, index: u64) -> Result<Vec<u8>, StoreError> {
        let (start, end) = self.entry_span(index)?;
        let path = self.entries_path();
        let mut file = File::open(&path).map_err(io_err(&path))?;
        file.seek(SeekFrom::Start(start)).map_err(io_err(&path))?;
        let len = end
            .checked_sub(start + 1)
            .filter(|&l| l as usize <= entry::MAX_ENTRY)
            .ok_or_else(|| StoreError::Damaged(format!("index record {index} is wrong")))?;
        let mut bytes = vec![0; len as usize + 1];
        file.read_exact(&mut bytes).map_err(io_err(&path))?;
        if bytes.pop() != Some(b'\n') || bytes.contains(&b'\n') {
            return Err(StoreError::Damaged(format!(
                "entry {index} does not end where the index says"
            )));
        }
        Ok(bytes)
    }

    fn entry_span(&self, index: u64) -> Result<(u64, u64), StoreError> {
        let path = self.index_path();
        let mut file = File::open(&path).map_err(io_err(&path))?;
        let read_end = |file: &mut File, i: u64| -> Result<u64, StoreError> {
            let mut rec = [0; INDEX_RECORD as usize];
            file.seek(SeekFrom::Start(i * INDEX_RECORD))
                .map_err(io_err(&path))?;
            file.read_exact(&mut rec)
                .map_err(|_| StoreError::Damaged(format!("the index has no record {i}")))?;
            let mut end = [0; 8];
            end.copy_from_slice(&rec[..8]);
            Ok(u64::from_be_bytes(end))
        };
        let start = if index == 0 {
            0
        } else {
            read_end(&mut file, index - 1)?
        };
        Ok((start, read_end(&mut file, index)?))
    }

    /// The stored interior hashes.
    pub fn tree(&self) -> TreeFiles<'_> {
        TreeFiles {
            log: self,
            pending: Vec::new(),
        }
    }

    /// An inclusion proof of entry `index` in the tree of `size` entries.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, StoreError> {
        if index >= size {
            return Err(StoreError::NoEntry { index, size });
        }
        merkle::inclusion_proof(&self.tree(), index, size).map_err(StoreError::Merkle)
    }

    /// A consistency proof from the tree of `old` entries to that of `new`.
    pub fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>, StoreError> {
        merkle::consistency_proof(&self.tree(), old, new).map_err(StoreError::Merkle)
    }
}

/// Reads and parses a checkpoint file (size-limited).
pub fn read_checkpoint(path: &Path) -> Result<SignedCheckpoint, StoreError> {
    let bytes = fsutil::read_limited(path, MAX_CHECKPOINT_FILE)
        .map_err(|e| StoreError::Damaged(format!("{}: {e}", path.display())))?;
    SignedCheckpoint::parse(&bytes).map_err(|source| StoreError::Checkpoint {
        path: path.to_path_buf(),
        error: source,
    })
}

/// The tree's level files as a [`SubtreeHashes`] source, with hashes a
/// writer has computed but not yet written.
pub struct TreeFiles<'a> {
    log: &'a LogDir,
    /// Per level, the first index not on disk and the hashes after it.
    pending: Vec<(u64, Vec<Hash>)>,
}

impl TreeFiles<'_> {
    fn read_stored(&self, level: u32, index: u64) -> Result<Hash, merkle::MerkleError> {
        let path = self.log.level_path(level);
        let fail = |why: String| merkle::MerkleError::store(format!("{}: {why}", path.display()));
        let mut file = File::open(&path).map_err(|e| fail(e.to_string()))?;
        file.seek(SeekFrom::Start(index * 32))
            .map_err(|e| fail(e.to_string()))?;
        let mut hash = [0; 32];
        file.read_exact(&mut hash)
            .map_err(|_| fail(format!("has no hash {index}")))?;
        Ok(hash)
    }
}

impl SubtreeHashes for TreeFiles<'_> {
    fn subtree(&self, level: u32, index: u64) -> Result<Hash, merkle::MerkleError> {
        if let Some((first, hashes)) = self.pending.get(level as usize) {
            if index >= *first {
                if let Some(h) = hashes.get((index - first) as usize) {
                    return Ok(*h);
                }
            }
        }
        self.read_stored(level, index)
    }
}

/// An entry whose bytes parse in their one spelling and, for an
/// acknowledgement, whose signature verifies with the key the entry names:
/// everything [`Writer::append`] checks but the log's history rules. Making
/// one needs neither the lock nor the state, so that a server can check
/// many at once and leave the writer only the rules.
#[derive(Debug, Clone)]
pub struct Checked {
    bytes: Vec<u8>,
    entry: Entry,
    leaf: Hash,
}

/// Why bytes are not a [`Checked`] entry.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The bytes are not an entry.
    #[error(transparent)]
    Entry(entry::EntryError),
    /// The acknowledgement's signature does not verify.
    #[error("the acknowledgement's signature does not verify")]
    BadSignature,
}

impl crate::Hint for CheckError {}

impl Checked {
    /// Parses `bytes` as an entry and verifies an acknowledgement's
    /// signature.
    pub fn new(bytes: Vec<u8>) -> Result<Checked, CheckError> {
        let entry = entry::parse(&bytes).map_err(CheckError::Entry)?;
        if let Entry::Ack(record) = &entry {
            record
                .envelope
                .verify(&record.key)
                .map_err(|_| CheckError::BadSignature)?;
        }
        let leaf = merkle::leaf_hash(&bytes);
        Ok(Checked { bytes, entry, leaf })
    }

    /// The entry's bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The entry, parsed.
    pub fn entry(&self) -> &Entry {
        &self.entry
    }
}

/// The one writer of a log: holds the lock, knows the state, stages
/// entries and commits them with one signed checkpoint.
pub struct Writer {
    log: LogDir,
    /// The log's lock: held from open to drop, unless the writer releases
    /// it between commits (see [`super::append::Hold`]).
    lock: Option<Lock>,
    key: SigningKey,
    origin: String,
    state: State,
    committed: u64,
    /// The root of the committed tree.
    root: Hash,
    /// Where the committed entries end in `entries`.
    entries_end: u64,
    /// How many entries the index and the tree hold on disk for certain.
    synced: u64,
    /// A commit syncs the caches (and writes the state's snapshot) once
    /// this many entries are unsynced: [`CACHE_SYNC_EVERY`], or more for a
    /// writer that syncs them itself at idle moments
    /// ([`Writer::sync_caches_every`]).
    sync_every: u64,
    staged: Vec<(Vec<u8>, Kind)>,
    leaves: Vec<Hash>,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer")
            .field("log", &self.log)
            .field("committed", &self.committed)
            .field("locked", &self.lock.is_some())
            .field("staged", &self.staged.len())
            .finish_non_exhaustive()
    }
}

fn lock(dir: &Path, wait: Wait, on_wait: impl FnOnce(&Path, &str)) -> Result<Lock, StoreError> {
    Ok(Lock::acquire(&dir.join("entries"), wait, on_wait)?)
}

impl Writer {
    /// Creates a log in `dir` (an empty or new folder) with its first
    /// entry, and signs its first checkpoint.
    pub fn create(
        dir: &Path,
        key: SigningKey,
        first_entry: Vec<u8>,
        wait: Wait,
    ) -> Result<Writer, StoreError> {
        fs::create_dir_all(dir.join("tree")).map_err(io_err(dir))?;
        fs::create_dir_all(dir.join("checkpoints")).map_err(io_err(dir))?;
        let log = LogDir::new(dir);
        let lock = lock(dir, wait, |_, _| {})?;
        if log.exists() {
            return Err(StoreError::Exists(dir.to_path_buf()));
        }
        let origin = match entry::parse(&first_entry) {
            Ok(Entry::Log { origin, .. }) => origin,
            Ok(_) => {
                return Err(StoreError::Refused {
                    index: 0,
                    error: Refusal::LogEntryPlace,
                })
            }
            Err(source) => {
                return Err(StoreError::Entry {
                    index: 0,
                    error: source,
                })
            }
        };
        for path in [log.entries_path(), log.index_path()] {
            File::create(&path).map_err(io_err(&path))?;
        }
        let mut writer = Writer {
            log,
            lock: Some(lock),
            key,
            origin,
            state: State::new(),
            committed: 0,
            root: merkle::empty_root(),
            entries_end: 0,
            synced: 0,
            sync_every: CACHE_SYNC_EVERY,
            staged: Vec::new(),
            leaves: Vec::new(),
        };
        writer.append(first_entry)?;
        Ok(writer)
    }

    /// Opens the log in `dir` for appending: takes the lock, checks the
    /// checkpoint is this issuer's, cuts off an unfinished append, rebuilds
    /// what the index and the tree may have lost in a crash, and replays
    /// the entries into the state.
    pub fn open(
        dir: &Path,
        key: SigningKey,
        wait: Wait,
        on_wait: impl FnOnce(&Path, &str),
    ) -> Result<Writer, StoreError> {
        let log = LogDir::new(dir);
        if !log.exists() {
            return Err(StoreError::NotALog(dir.to_path_buf()));
        }
        let lock = lock(dir, wait, on_wait)?;
        let head = log.checkpoint()?;
        head.verify(&key.verifying_key())
            .map_err(|e| StoreError::ForeignLog(e.to_string()))?;
        let size = head.checkpoint.size;
        let synced = read_synced(&log).min(size);
        recover(&log, synced, size)?;
        check_root(&log, &head)?;
        let index = log.index(size)?;
        let snapshot = load_snapshot(&log, synced);
        let from = snapshot.size();
        let state = replay(&log, &index, snapshot)?;
        let mut writer = Writer {
            origin: head.checkpoint.origin.clone(),
            log,
            lock: Some(lock),
            key,
            state,
            committed: size,
            root: head.checkpoint.root,
            entries_end: index.last().map_or(0, |r| r.0),
            synced,
            sync_every: CACHE_SYNC_EVERY,
            staged: Vec::new(),
            leaves: Vec::new(),
        };
        if synced < size || from < size {
            writer.save_caches()?;
        }
        writer.keep_in_history(&head)?;
        Ok(writer)
    }

    /// The log's state including the staged entries.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The folder.
    pub fn log(&self) -> &LogDir {
        &self.log
    }

    /// The number of entries committed.
    pub fn committed(&self) -> u64 {
        self.committed
    }

    /// Checks `bytes` as the next entry (its acknowledgement signature
    /// included) and stages it; its index on success. Nothing is written
    /// until [`Writer::commit`]; a refused entry leaves the state as it was.
    pub fn append(&mut self, bytes: Vec<u8>) -> Result<u64, StoreError> {
        let index = self.state.size();
        let checked = Checked::new(bytes).map_err(|e| match e {
            CheckError::Entry(error) => StoreError::Entry { index, error },
            CheckError::BadSignature => StoreError::BadSignature(index),
        })?;
        self.append_checked(checked)
    }

    /// Stages an entry checked already (see [`Checked`]) if the log's
    /// history allows it where it stands; its index on success. A refused
    /// entry leaves the state as it was.
    pub fn append_checked(&mut self, checked: Checked) -> Result<u64, StoreError> {
        self.check_locked()?;
        let index = self.state.size();
        self.state
            .append_bytes(&checked.entry, &checked.bytes)
            .map_err(|error| StoreError::Refused { index, error })?;
        self.leaves.push(checked.leaf);
        self.staged.push((checked.bytes, checked.entry.kind()));
        Ok(index)
    }

    /// Writes the staged entries, syncs them, signs the checkpoint of the
    /// new size and makes it the log's: the commit point. Returns it.
    pub fn commit(&mut self) -> Result<SignedCheckpoint, StoreError> {
        self.commit_levels().map(|(signed, _)| signed)
    }

    /// As [`Writer::commit`], also returning the complete-subtree hashes
    /// the commit added, per level (first new index, hashes), for a copy
    /// of the tree kept in memory ([`TreeInMemory::extend`]).
    pub(crate) fn commit_levels(&mut self) -> Result<(SignedCheckpoint, Levels), StoreError> {
        self.check_locked()?;
        // An administrator's request and its entries are committed together.
        if let Some((request, came, count)) = self.state.waiting() {
            let error = Refusal::CutShort { came, count };
            return Err(StoreError::Refused {
                index: request,
                error,
            });
        }
        let size = self.committed + self.staged.len() as u64;
        let (pending, end) = self.write_staged()?;
        let tree = TreeFiles {
            log: &self.log,
            pending,
        };
        let root = merkle::root(&tree, size).map_err(StoreError::Merkle)?;
        let pending = tree.pending;
        let checkpoint = Checkpoint {
            origin: self.origin.clone(),
            size,
            root,
            extensions: Vec::new(),
        };
        let signed = SignedCheckpoint::sign(checkpoint, &self.key).map_err(|source| {
            StoreError::Checkpoint {
                path: self.log.checkpoint_path(),
                error: source,
            }
        })?;
        fsutil::write_atomic(
            &self.log.checkpoint_path(),
            &signed.to_bytes(),
            Overwrite::Replace,
            None,
        )?;
        self.committed = size;
        self.root = root;
        self.entries_end = end;
        self.staged.clear();
        self.leaves.clear();
        self.keep_in_history(&signed)?;
        if self.unsynced() >= self.sync_every {
            self.sync_caches()?;
        }
        Ok((signed, pending))
    }

    /// Has a commit sync the caches only once `n` entries are unsynced
    /// (at least [`CACHE_SYNC_EVERY`]), for a writer that calls
    /// [`Writer::sync_caches`] itself when it is idle: a server, whose
    /// commits should not wait for the state's snapshot.
    pub fn sync_caches_every(&mut self, n: u64) {
        self.sync_every = n.max(CACHE_SYNC_EVERY);
    }

    /// How many committed entries the caches do not hold for certain yet.
    pub fn unsynced(&self) -> u64 {
        self.committed - self.synced
    }

    /// Syncs the index and the tree files and records in `synced` that
    /// they hold every committed entry. A writer does it every
    /// [`CACHE_SYNC_EVERY`] entries and when it is dropped; call it to
    /// see an error that dropping would swallow.
    pub fn sync_caches(&mut self) -> Result<(), StoreError> {
        self.check_locked()?;
        if self.synced == self.committed && self.log.synced_path().exists() {
            return Ok(());
        }
        self.save_caches()
    }

    /// Syncs the caches, writes the snapshot of the state when nothing is
    /// staged, and records the size in `synced`.
    fn save_caches(&mut self) -> Result<(), StoreError> {
        sync_file(&self.log.index_path())?;
        let mut level = 0;
        while self.log.level_path(level).exists() {
            sync_file(&self.log.level_path(level))?;
            level += 1;
        }
        sync_dir(&self.log.dir().join("tree"))?;
        if self.staged.is_empty() {
            self.save_snapshot()?;
        }
        let text = format!("{}\n", self.committed);
        fsutil::write_atomic(
            &self.log.synced_path(),
            text.as_bytes(),
            Overwrite::Replace,
            None,
        )?;
        self.synced = self.committed;
        Ok(())
    }

    /// Writes `DIR/state`, the snapshot of the committed state.
    fn save_snapshot(&self) -> Result<(), StoreError> {
        let root = merkle::root(&self.log.tree(), self.committed).map_err(StoreError::Merkle)?;
        let bytes = snapshot::encode(&self.state, &root)
            .map_err(|e| StoreError::Damaged(format!("cannot write the state's snapshot: {e}")))?;
        fsutil::write_atomic(&self.log.state_path(), &bytes, Overwrite::Replace, None)?;
        Ok(())
    }

    /// Writes `checkpoints/N` for the checkpoint of size N unless it is there.
    fn keep_in_history(&self, head: &SignedCheckpoint) -> Result<(), StoreError> {
        let path = self.log.checkpoint_of(head.checkpoint.size);
        if !path.exists() {
            fs::create_dir_all(self.log.checkpoints_dir()).map_err(io_err(&path))?;
            fsutil::write_atomic(&path, &head.to_bytes(), Overwrite::Refuse, None)?;
        }
        Ok(())
    }

    /// Appends the staged entries, index records and tree hashes to their
    /// files and syncs them; the new hashes per level (first index,
    /// hashes), and where the entries now end.
    fn write_staged(&self) -> Result<(Levels, u64), StoreError> {
        let start = self.committed;
        let mut data = Vec::new();
        let mut records = Vec::with_capacity(self.staged.len() * INDEX_RECORD as usize);
        let mut end = self.entries_end;
        for (bytes, kind) in &self.staged {
            data.extend_from_slice(bytes);
            data.push(b'\n');
            end += bytes.len() as u64 + 1;
            records.extend_from_slice(&end.to_be_bytes());
            records.push(kind.code());
        }
        append(&self.log.entries_path(), &data, true)?;
        append(&self.log.index_path(), &records, false)?;
        let pending = new_nodes(&self.log.tree(), start, &self.leaves)?;
        append_levels(&self.log, &pending)?;
        Ok((pending, end))
    }

    fn check_locked(&self) -> Result<(), StoreError> {
        match self.lock {
            Some(_) => Ok(()),
            None => Err(StoreError::Unlocked),
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        // A writer that released the lock syncs only if it can take it at
        // once and no one appended since: the caches are then its own.
        if self.lock.is_none() {
            match lock(self.log.dir(), Wait::No, |_, _| {}) {
                Ok(lock) if self.is_newest() => self.lock = Some(lock),
                _ => return,
            }
        }
        // A failure here costs only time: the next writer rebuilds what
        // the caches lack.
        let _ = self.sync_caches();
    }
}

/// The complete-subtree hashes that adding `leaves` to a tree of `size`
/// entries creates, per level: (first new index, hashes).
fn new_nodes<S: SubtreeHashes + ?Sized>(
    stored: &S,
    size: u64,
    leaves: &[Hash],
) -> Result<Vec<(u64, Vec<Hash>)>, StoreError> {
    let mut levels: Vec<(u64, Vec<Hash>)> = vec![(size, leaves.to_vec())];
    loop {
        let level = (levels.len() - 1) as u32;
        let (first, hashes) = &levels[level as usize];
        // Parents complete before: first / 2; after: count / 2.
        let (parent_first, parent_end) = (first / 2, (first + hashes.len() as u64) / 2);
        if parent_end <= parent_first {
            break;
        }
        let child = |i: u64| -> Result<Hash, StoreError> {
            match i.checked_sub(*first) {
                Some(k) => Ok(hashes[k as usize]),
                None => stored.subtree(level, i).map_err(StoreError::Merkle),
            }
        };
        let parents = (parent_first..parent_end)
            .map(|p| Ok(merkle::node_hash(&child(2 * p)?, &child(2 * p + 1)?)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        levels.push((parent_first, parents));
    }
    Ok(levels)
}

/// Appends `bytes` to `path`, synced to disk when `sync` is set.
fn append(path: &Path, bytes: &[u8], sync: bool) -> Result<(), StoreError> {
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(io_err(path))?;
    file.write_all(bytes).map_err(io_err(path))?;
    if sync {
        file.sync_data().map_err(io_err(path))?;
    }
    Ok(())
}

/// Appends new complete-subtree hashes to the tree's level files (unsynced:
/// they are a cache).
fn append_levels(log: &LogDir, levels: &[(u64, Vec<Hash>)]) -> Result<(), StoreError> {
    for (level, (_, hashes)) in levels.iter().enumerate() {
        let bytes: Vec<u8> = hashes.iter().flatten().copied().collect();
        append(&log.level_path(level as u32), &bytes, false)?;
    }
    Ok(())
}

fn sync_file(path: &Path) -> Result<(), StoreError> {
    File::open(path)
        .and_then(|f| f.sync_data())
        .map_err(io_err(path))
}

/// The size recorded in `synced`; 0 (trust nothing) if it is missing or
/// unreadable, since the caches can always be rebuilt.
fn read_synced(log: &LogDir) -> u64 {
    fs::read(log.synced_path())
        .ok()
        .and_then(|b| b.strip_suffix(b"\n").map(<[u8]>::to_vec))
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|t| tlog::checkpoint::parse_decimal(&t).ok())
        .unwrap_or(0)
}

fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err(dir))?;
    Ok(())
}

/// Brings the data files to what the checkpoint of `size` entries covers:
/// rebuilds the index records and tree hashes of the entries after the
/// `synced` ones from `entries`, writes them over what the caches hold
/// there, and cuts off an append that did not finish. The caches are never
/// cut below the checkpoint, so a reader never finds them short, even if
/// this writer is killed halfway: it rewrites bytes a crash may have lost
/// with the bytes they must be.
fn recover(log: &LogDir, synced: u64, size: u64) -> Result<(), StoreError> {
    let start = log.index(synced)?.last().map_or(0, |r| r.0);
    let tail = read_from(&log.entries_path(), start)?;
    let (records, leaves, end) = rebuild_tail(&tail, start, synced, size)?;
    cut(&log.entries_path(), end, "entries")?;
    rewrite(
        &log.index_path(),
        synced * INDEX_RECORD,
        &records,
        size * INDEX_RECORD,
    )?;
    let levels = new_nodes(&log.tree(), synced, &leaves)?;
    rewrite_levels(log, &levels, size)
}

/// Writes the rebuilt hashes of each tree level and cuts every level file
/// to the hashes of a tree of `size` leaves.
fn rewrite_levels(log: &LogDir, levels: &[(u64, Vec<Hash>)], size: u64) -> Result<(), StoreError> {
    let mut level = 0;
    loop {
        let path = log.level_path(level);
        let want = (size >> level) * 32;
        match levels.get(level as usize) {
            Some((first, hashes)) => {
                let bytes: Vec<u8> = hashes.iter().flatten().copied().collect();
                rewrite(&path, first * 32, &bytes, want)?;
            }
            None if path.exists() => cut(&path, want, "tree")?,
            None if want > 0 => {
                return Err(StoreError::Damaged(format!(
                    "tree level {level} is missing"
                )))
            }
            None => return Ok(()),
        }
        level += 1;
    }
}

/// Writes `bytes` at `offset` of `path` (which must hold at least
/// `offset` bytes) and makes `len` its length.
fn rewrite(path: &Path, offset: u64, bytes: &[u8], len: u64) -> Result<(), StoreError> {
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(io_err(path))?;
    let have = file.metadata().map_err(io_err(path))?.len();
    if have < offset {
        return Err(StoreError::Damaged(format!(
            "{} holds {have} bytes, fewer than the {offset} recorded as synced",
            path.display()
        )));
    }
    file.seek(SeekFrom::Start(offset)).map_err(io_err(path))?;
    file.write_all(bytes).map_err(io_err(path))?;
    file.set_len(len).map_err(io_err(path))
}

fn read_from(path: &Path, start: u64) -> Result<Vec<u8>, StoreError> {
    let mut file = File::open(path).map_err(io_err(path))?;
    file.seek(SeekFrom::Start(start)).map_err(io_err(path))?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).map_err(io_err(path))?;
    Ok(bytes)
}

/// The index records and leaf hashes of entries `from..size`, whose lines
/// begin `tail` (which starts at offset `start` of `entries`), and the end
/// offset of entry `size - 1`.
fn rebuild_tail(
    tail: &[u8],
    start: u64,
    from: u64,
    size: u64,
) -> Result<(Vec<u8>, Vec<Hash>, u64), StoreError> {
    let mut records = Vec::new();
    let mut leaves = Vec::new();
    let mut end = start;
    let mut lines = tail.split_inclusive(|&b| b == b'\n');
    for index in from..size {
        let line = lines
            .next()
            .filter(|l| l.last() == Some(&b'\n'))
            .ok_or_else(|| {
                StoreError::Damaged(format!(
                    "entries holds {index} entries, the checkpoint covers {size}"
                ))
            })?;
        let bytes = &line[..line.len() - 1];
        let kind = entry::parse(bytes)
            .map_err(|source| StoreError::Entry {
                index,
                error: source,
            })?
            .kind();
        end += line.len() as u64;
        records.extend_from_slice(&end.to_be_bytes());
        records.push(kind.code());
        leaves.push(merkle::leaf_hash(bytes));
    }
    Ok((records, leaves, end))
}

/// Checks that the stored tree gives the checkpoint's root.
fn check_root(log: &LogDir, head: &SignedCheckpoint) -> Result<(), StoreError> {
    let root = merkle::root(&log.tree(), head.checkpoint.size).map_err(StoreError::Merkle)?;
    if root != head.checkpoint.root {
        return Err(StoreError::Damaged(
            "the entries and the tree do not give the checkpoint's root hash".into(),
        ));
    }
    Ok(())
}

fn cut(path: &Path, len: u64, what: &str) -> Result<(), StoreError> {
    let file = OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(io_err(path))?;
    let have = file.metadata().map_err(io_err(path))?.len();
    if have < len {
        return Err(StoreError::Damaged(format!(
            "{what} holds {have} bytes, the checkpoint covers {len}"
        )));
    }
    if have > len {
        file.set_len(len).map_err(io_err(path))?;
        file.sync_all().map_err(io_err(path))?;
    }
    Ok(())
}

/// Replays the committed entries after the first `state.size()` into
/// `state` (the writer trusts its own folder: signatures were verified when
/// the entries were appended; the auditor's replay in `crate::log::audit`
/// trusts nothing).
fn replay(log: &LogDir, index: &[(u64, u8)], mut state: State) -> Result<State, StoreError> {
    let from = state.size() as usize;
    let start = from.checked_sub(1).map_or(0, |i| index[i].0);
    let end = index.last().map_or(0, |r| r.0);
    let bytes = read_span(&log.entries_path(), start, end)?;
    let mut at = 0usize;
    for (i, &(end, _)) in index.iter().enumerate().skip(from) {
        let i = i as u64;
        let stop = (end.saturating_sub(start) as usize).saturating_sub(1);
        let line = bytes
            .get(at..stop)
            .ok_or_else(|| StoreError::Damaged(format!("index record {i} is wrong")))?;
        let parsed = entry::parse(line).map_err(|source| StoreError::Entry {
            index: i,
            error: source,
        })?;
        state
            .apply_bytes(&parsed, line)
            .map_err(|source| StoreError::Refused {
                index: i,
                error: source,
            })?;
        at = stop + 1;
    }
    Ok(state)
}

/// Bytes `start..end` of `path`.
fn read_span(path: &Path, start: u64, end: u64) -> Result<Vec<u8>, StoreError> {
    let len = end
        .checked_sub(start)
        .ok_or_else(|| StoreError::Damaged("the index goes backwards".into()))?;
    let mut bytes = vec![0; len as usize];
    let mut file = File::open(path).map_err(io_err(path))?;
    file.seek(SeekFrom::Start(start)).map_err(io_err(path))?;
    file.read_exact(&mut bytes).map_err(io_err(path))?;
    Ok(bytes)
}

/// The state of the snapshot in `DIR/state`, if it is intact, covers no
/// more than the `limit` entries the caches hold for certain, and its root
/// is the tree's for that many entries; else the empty state.
fn load_snapshot(log: &LogDir, limit: u64) -> State {
    let usable = |(state, root): (State, Hash)| {
        let size = state.size();
        (size <= limit && merkle::root(&log.tree(), size).ok() == Some(root)).then_some(state)
    };
    fs::read(log.state_path())
        .ok()
        .and_then(|bytes| snapshot::decode(&bytes))
        .and_then(usable)
        .unwrap_or_default()
}

impl LogDir {
    /// The entries file's first `size` entries, exactly as stored (with
    /// their line feeds), located through the index.
    pub fn entries_prefix(&self, size: u64) -> Result<Vec<u8>, StoreError> {
        let end = self.index(size)?.last().map_or(0, |r| r.0);
        let path = self.entries_path();
        let mut bytes = vec![0; end as usize];
        File::open(&path)
            .and_then(|mut f| f.read_exact(&mut bytes))
            .map_err(io_err(&path))?;
        Ok(bytes)
    }
}

/// Lays out a log folder in `dir` from an entries file and a checkpoint
/// (as an annex PDF carries them), computing the index and the tree. It
/// checks nothing: audit the result.
pub fn import(dir: &Path, entries: &[u8], checkpoint: &[u8]) -> Result<LogDir, StoreError> {
    let log = LogDir::new(dir);
    fs::create_dir_all(dir.join("tree")).map_err(io_err(dir))?;
    let mut records = Vec::new();
    let mut tree = merkle::MemoryTree::new();
    let mut end = 0u64;
    for line in entries.split_inclusive(|&b| b == b'\n') {
        if line.last() != Some(&b'\n') {
            break;
        }
        end += line.len() as u64;
        let bytes = &line[..line.len() - 1];
        records.extend_from_slice(&end.to_be_bytes());
        records.push(entry::peek_kind(bytes).map_or(0, Kind::code));
        tree.push(merkle::leaf_hash(bytes));
    }
    let write = |path: PathBuf, bytes: &[u8]| fs::write(&path, bytes).map_err(io_err(&path));
    write(log.entries_path(), entries)?;
    write(log.index_path(), &records)?;
    for (level, hashes) in tree.levels().iter().enumerate() {
        let bytes: Vec<u8> = hashes.iter().flatten().copied().collect();
        write(log.level_path(level as u32), &bytes)?;
    }
    write(log.checkpoint_path(), checkpoint)?;
    Ok(log)
}

impl LogDir {
    /// The newest checkpoint and the state its entries make, read through
    /// the index and the writer's snapshot (trusting the folder, as the
    /// writer does; an auditor uses `crate::log::audit`).
    pub fn committed(&self) -> Result<(SignedCheckpoint, State), StoreError> {
        let head = self.checkpoint()?;
        let size = head.checkpoint.size;
        let index = self.index(size)?;
        let snapshot = load_snapshot(self, read_synced(self).min(size));
        Ok((head, replay(self, &index, snapshot)?))
    }
}

/// New complete-subtree hashes per level: (first new index, hashes).
pub(crate) type Levels = Vec<(u64, Vec<Hash>)>;

/// What a writer read of the entries that other writers committed while it
/// did not hold the lock (see [`Writer::catch_up`]).
#[derive(Debug)]
pub(crate) struct CaughtUp {
    /// The newest checkpoint: it covers them.
    pub(crate) head: SignedCheckpoint,
    /// The complete-subtree hashes they add, per level, as
    /// [`Writer::commit_levels`] gives a commit's.
    pub(crate) levels: Levels,
}

/// Stored hashes with new ones over them (first new index per level).
struct Over<'a, S: ?Sized> {
    stored: &'a S,
    new: &'a [(u64, Vec<Hash>)],
}

impl<S: SubtreeHashes + ?Sized> SubtreeHashes for Over<'_, S> {
    fn subtree(&self, level: u32, index: u64) -> Result<Hash, merkle::MerkleError> {
        if let Some((first, hashes)) = self.new.get(level as usize) {
            let new = index
                .checked_sub(*first)
                .and_then(|k| hashes.get(k as usize));
            if let Some(h) = new {
                return Ok(*h);
            }
        }
        self.stored.subtree(level, index)
    }
}

/// A writer that releases the lock between commits (the signing desk):
/// other writers append meanwhile, and it reads what they committed before
/// it appends again.
impl Writer {
    /// Whether the writer holds the log's lock.
    pub fn holds_lock(&self) -> bool {
        self.lock.is_some()
    }

    /// Releases the log's lock until [`Writer::acquire`]; whether it did.
    /// It keeps the lock while entries are staged: their commit comes
    /// first.
    pub(crate) fn release(&mut self) -> bool {
        if self.staged.is_empty() {
            self.lock = None;
        }
        self.lock.is_none()
    }

    /// Takes the log's lock again. Then it catches up with what other
    /// writers committed meanwhile ([`Writer::catch_up`], with `stored`
    /// the tree's hashes as this writer had them), keeps their newest
    /// checkpoint in `checkpoints/` (one of them may have been killed
    /// before it did), and cuts off an append that one of them did not
    /// finish, so that its own appends start where the log ends.
    pub(crate) fn acquire<S: SubtreeHashes + ?Sized>(
        &mut self,
        wait: Wait,
        on_wait: impl FnOnce(&Path, &str),
        stored: &S,
    ) -> Result<Option<CaughtUp>, StoreError> {
        if self.lock.is_some() {
            return Ok(None);
        }
        let lock = lock(self.log.dir(), wait, on_wait)?;
        let caught = self.catch_up(stored)?;
        if let Some(c) = &caught {
            self.keep_in_history(&c.head)?;
        }
        self.settle()?;
        self.lock = Some(lock);
        Ok(caught)
    }

    /// Reads the entries that other writers committed after this writer's
    /// newest commit, if the log's checkpoint has moved on, and makes them
    /// this writer's: its state, its size, its root. It needs no lock:
    /// committed entries never change, and a reader never looks past the
    /// checkpoint.
    ///
    /// What it trusts: the newest checkpoint, once it verifies with the
    /// issuer's key (this writer's own) and names the same origin. Only a
    /// writer holding that key signs one, and every writer checks each
    /// entry it commits, an acknowledgement's signature included; so the
    /// signatures are not verified again (as [`Writer::open`] does not
    /// verify those of the entries it replays). What it checks: that the
    /// entries read, with the tree as this writer knows it, give the
    /// checkpoint's root, so that they are the very entries it signs; and
    /// that each follows the history's rules, as [`State::append`] says.
    ///
    /// `stored` gives the hashes of the tree of the entries this writer had
    /// (the level files, or a copy in memory). After an error the state
    /// may hold some of the new entries: drop the writer and open the log
    /// again.
    pub(crate) fn catch_up<S: SubtreeHashes + ?Sized>(
        &mut self,
        stored: &S,
    ) -> Result<Option<CaughtUp>, StoreError> {
        let head = self.log.checkpoint()?;
        let (size, root) = (head.checkpoint.size, head.checkpoint.root);
        if size == self.committed && root == self.root {
            return Ok(None);
        }
        self.check_moved_on(&head)?;
        let (entries, end) = read_committed(&self.log, self.committed, self.entries_end, size)?;
        let leaves: Vec<Hash> = entries.iter().map(|b| merkle::leaf_hash(b)).collect();
        let levels = new_nodes(stored, self.committed, &leaves)?;
        let over = Over {
            stored,
            new: &levels,
        };
        if merkle::root(&over, size).map_err(StoreError::Merkle)? != root {
            return Err(StoreError::Damaged(format!(
                "entries {} to {} do not give the checkpoint's root hash",
                self.committed,
                size - 1
            )));
        }
        self.apply_committed(&entries)?;
        self.committed = size;
        self.root = root;
        self.entries_end = end;
        Ok(Some(CaughtUp { head, levels }))
    }

    /// Checks that the newest checkpoint `head`, which is not this
    /// writer's newest, is a later one of the same log: the issuer's
    /// signature, the origin, a larger size, and no one else's lock.
    fn check_moved_on(&self, head: &SignedCheckpoint) -> Result<(), StoreError> {
        if self.lock.is_some() || !self.staged.is_empty() {
            return Err(StoreError::Damaged(
                "the checkpoint changed while this writer held the lock".into(),
            ));
        }
        head.verify(&self.key.verifying_key())
            .map_err(|e| StoreError::ForeignLog(e.to_string()))?;
        if head.checkpoint.origin != self.origin {
            return Err(StoreError::ForeignLog(format!(
                "its origin is {}, not {}",
                head.checkpoint.origin, self.origin
            )));
        }
        if head.checkpoint.size <= self.committed {
            return Err(StoreError::Damaged(format!(
                "the checkpoint covers {} entries, this writer committed {} with another root",
                head.checkpoint.size, self.committed
            )));
        }
        Ok(())
    }

    /// Applies entries read from the files after the committed ones.
    fn apply_committed(&mut self, entries: &[Vec<u8>]) -> Result<(), StoreError> {
        for bytes in entries {
            let index = self.state.size();
            let parsed = entry::parse(bytes).map_err(|error| StoreError::Entry { index, error })?;
            self.state
                .append(&parsed)
                .map_err(|error| StoreError::Refused { index, error })?;
        }
        Ok(())
    }

    /// Cuts off what an append that did not finish left past the committed
    /// entries in `entries`, `index` and `tree/` (a writer killed before
    /// its commit point).
    fn settle(&self) -> Result<(), StoreError> {
        trim(&self.log.entries_path(), self.entries_end, "entries")?;
        trim(
            &self.log.index_path(),
            self.committed * INDEX_RECORD,
            "the index",
        )?;
        for level in 0..64 {
            let path = self.log.level_path(level);
            let want = (self.committed >> level) * 32;
            match fs::metadata(&path) {
                Ok(meta) if meta.len() == want => {}
                Ok(_) => cut(&path, want, "tree")?,
                Err(_) if want > 0 => {
                    return Err(StoreError::Damaged(format!(
                        "tree level {level} is missing"
                    )))
                }
                Err(_) => break,
            }
        }
        Ok(())
    }

    /// Whether the log's newest checkpoint is this writer's newest commit.
    fn is_newest(&self) -> bool {
        self.log
            .checkpoint()
            .is_ok_and(|h| h.checkpoint.size == self.committed && h.checkpoint.root == self.root)
    }
}

/// Makes `len` the length of `path` if it is longer (see [`cut`]).
fn trim(path: &Path, len: u64, what: &str) -> Result<(), StoreError> {
    let have = fs::metadata(path).map_err(io_err(path))?.len();
    if have == len {
        return Ok(());
    }
    cut(path, len, what)
}

/// The bytes of the committed entries `from..to`, the first starting at
/// offset `start` of `entries`, located through the index (each ends with
/// its line feed, which is not returned), and where the last ends.
fn read_committed(
    log: &LogDir,
    from: u64,
    start: u64,
    to: u64,
) -> Result<(Vec<Vec<u8>>, u64), StoreError> {
    let ends = read_index_ends(log, from, to)?;
    let end = ends.last().copied().unwrap_or(start);
    let bytes = read_span(&log.entries_path(), start, end)?;
    let mut out = Vec::with_capacity(ends.len());
    let mut at = start;
    for (i, &stop) in ends.iter().enumerate() {
        let line = stop
            .checked_sub(1)
            .filter(|&s| s >= at)
            .and_then(|s| bytes.get((at - start) as usize..=(s - start) as usize))
            .and_then(|l| l.strip_suffix(b"\n"))
            .filter(|l| !l.contains(&b'\n'))
            .ok_or_else(|| {
                StoreError::Damaged(format!("index record {} is wrong", from + i as u64))
            })?;
        out.push(line.to_vec());
        at = stop;
    }
    Ok((out, end))
}

/// The end offsets the index records `from..to` give.
fn read_index_ends(log: &LogDir, from: u64, to: u64) -> Result<Vec<u64>, StoreError> {
    let path = log.index_path();
    let len = to
        .checked_sub(from)
        .and_then(|n| n.checked_mul(INDEX_RECORD))
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| StoreError::Damaged("the tree size is absurd".into()))?;
    let mut bytes = vec![0; len];
    let mut file = File::open(&path).map_err(io_err(&path))?;
    file.seek(SeekFrom::Start(from * INDEX_RECORD))
        .map_err(io_err(&path))?;
    file.read_exact(&mut bytes)
        .map_err(|_| StoreError::Damaged(format!("the index holds fewer than {to} entries")))?;
    Ok(bytes
        .chunks_exact(INDEX_RECORD as usize)
        .map(|r| index_record(r).0)
        .collect())
}

/// Every stored interior hash of a tree of `size` entries, read into
/// memory at once (64 bytes per entry): for making many proofs quickly.
pub struct TreeInMemory {
    levels: Vec<Vec<u8>>,
}

impl TreeInMemory {
    /// Adds the hashes a commit wrote to the level files (see
    /// [`Writer::commit_levels`]), so that the copy stays what the files
    /// hold without reading them again.
    pub(crate) fn extend(&mut self, new: &[(u64, Vec<Hash>)]) -> Result<(), StoreError> {
        for (level, (first, hashes)) in new.iter().enumerate() {
            if self.levels.len() == level {
                self.levels.push(Vec::new());
            }
            let bytes = &mut self.levels[level];
            if bytes.len() as u64 != first * 32 {
                return Err(StoreError::Damaged(format!(
                    "tree level {level}: the copy in memory holds {} hashes, the commit adds from {first}",
                    bytes.len() / 32
                )));
            }
            bytes.extend(hashes.iter().flatten());
        }
        Ok(())
    }
}

impl LogDir {
    /// Reads the tree's level files for a tree of `size` entries.
    pub fn tree_in_memory(&self, size: u64) -> Result<TreeInMemory, StoreError> {
        let mut levels = Vec::new();
        let mut level = 0;
        while size >> level > 0 {
            let path = self.level_path(level);
            let want = ((size >> level) * 32) as usize;
            let mut bytes = vec![0; want];
            File::open(&path)
                .and_then(|mut f| f.read_exact(&mut bytes))
                .map_err(|_| {
                    StoreError::Damaged(format!(
                        "tree level {level} holds fewer than {} hashes",
                        size >> level
                    ))
                })?;
            levels.push(bytes);
            level += 1;
        }
        Ok(TreeInMemory { levels })
    }

    /// The stored hashes of the complete subtrees `wanted` (level, index),
    /// read level by level in index order, subtrees less than a page apart
    /// in one read: for proofs that need a few thousand of a large tree's
    /// hashes, without reading the rest.
    pub fn subtrees(&self, wanted: &[(u32, u64)]) -> Result<StoredSubtrees, StoreError> {
        use std::os::unix::fs::FileExt;
        let mut sorted = wanted.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        let mut hashes = Vec::with_capacity(sorted.len());
        for level_run in sorted.chunk_by(|a, b| a.0 == b.0) {
            let level = level_run[0].0;
            let path = self.level_path(level);
            let file = File::open(&path).map_err(io_err(&path))?;
            for run in level_run.chunk_by(|a, b| b.1 - a.1 <= SUBTREES_PER_READ) {
                let (first, last) = (run[0].1, run[run.len() - 1].1);
                let short = || {
                    StoreError::Damaged(format!(
                        "tree level {level} holds fewer than {} hashes",
                        last.saturating_add(1)
                    ))
                };
                let len = (last - first + 1)
                    .checked_mul(32)
                    .and_then(|l| usize::try_from(l).ok())
                    .ok_or_else(short)?;
                let mut bytes = vec![0; len];
                let at = first.checked_mul(32).ok_or_else(short)?;
                file.read_exact_at(&mut bytes, at).map_err(|_| short())?;
                for &(_, index) in run {
                    let at = ((index - first) * 32) as usize;
                    let mut hash = [0; 32];
                    hash.copy_from_slice(&bytes[at..at + 32]);
                    hashes.push(((level, index), hash));
                }
            }
        }
        Ok(StoredSubtrees { hashes })
    }

    /// The `(index, start, end)` spans (end after the line feed) of the
    /// entries among the first `size` whose kind `keep` accepts, and where
    /// the entry after them starts: the index read through once, in
    /// pieces, without holding all of it.
    pub fn index_spans(
        &self,
        size: u64,
        keep: impl Fn(u8) -> bool,
    ) -> Result<(Vec<EntrySpan>, u64), StoreError> {
        self.index_spans_in_pieces(size, keep, 1 << 16)
    }

    /// [`LogDir::index_spans`], reading `per_piece` index records at a time.
    pub(crate) fn index_spans_in_pieces(
        &self,
        size: u64,
        keep: impl Fn(u8) -> bool,
        per_piece: usize,
    ) -> Result<(Vec<EntrySpan>, u64), StoreError> {
        let path = self.index_path();
        let file = File::open(&path).map_err(io_err(&path))?;
        let have = file.metadata().map_err(io_err(&path))?.len() / INDEX_RECORD;
        if have < size {
            return Err(StoreError::Damaged(format!(
                "the index holds {have} entries, the checkpoint {size}"
            )));
        }
        let per_piece = per_piece.max(1);
        let mut reader = file.take(size * INDEX_RECORD);
        let mut buf = vec![0; per_piece * INDEX_RECORD as usize];
        let (mut spans, mut start, mut index) = (Vec::new(), 0, 0);
        while index < size {
            let records = (size - index).min(per_piece as u64) as usize;
            let piece = &mut buf[..records * INDEX_RECORD as usize];
            reader.read_exact(piece).map_err(io_err(&path))?;
            for record in piece.chunks_exact(INDEX_RECORD as usize) {
                let (end, kind) = index_record(record);
                if keep(kind) {
                    spans.push((index, start, end));
                }
                start = end;
                index += 1;
            }
        }
        Ok((spans, start))
    }

    /// Reads the entries at the given `(index, start, end)` spans (end after
    /// the line feed) through one open file, in the order given.
    pub fn entries_at(&self, spans: &[EntrySpan]) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
        use std::os::unix::fs::FileExt;
        let path = self.entries_path();
        let file = File::open(&path).map_err(io_err(&path))?;
        spans
            .iter()
            .map(|&(index, start, end)| {
                let len = end
                    .checked_sub(start + 1)
                    .filter(|&l| l as usize <= entry::MAX_ENTRY)
                    .ok_or_else(|| StoreError::Damaged(format!("index record {index} is wrong")))?;
                let mut bytes = vec![0; len as usize];
                file.read_exact_at(&mut bytes, start)
                    .map_err(io_err(&path))?;
                Ok((index, bytes))
            })
            .collect()
    }
}

/// One index record ([`INDEX_RECORD`] bytes): where the entry's line
/// ends (after its line feed) and its kind's code.
fn index_record(record: &[u8]) -> (u64, u8) {
    let mut end = [0; 8];
    end.copy_from_slice(&record[..8]);
    (u64::from_be_bytes(end), record[8])
}

/// Where an entry is in the entries file: its index, the offset of its
/// first byte and the offset after its line feed.
pub type EntrySpan = (u64, u64, u64);

/// Subtrees less than this many apart in a level are read at once (a
/// page of hashes).
const SUBTREES_PER_READ: u64 = 128;

/// Some stored interior hashes, read by [`LogDir::subtrees`].
pub struct StoredSubtrees {
    /// Sorted by (level, index), each once.
    hashes: Vec<((u32, u64), Hash)>,
}

impl SubtreeHashes for StoredSubtrees {
    fn subtree(&self, level: u32, index: u64) -> Result<Hash, merkle::MerkleError> {
        self.hashes
            .binary_search_by_key(&(level, index), |&(at, _)| at)
            .map(|i| self.hashes[i].1)
            .map_err(|_| merkle::MerkleError::MissingSubtree { level, index })
    }
}

impl SubtreeHashes for TreeInMemory {
    fn subtree(&self, level: u32, index: u64) -> Result<Hash, merkle::MerkleError> {
        let at = usize::try_from(index).ok().and_then(|i| i.checked_mul(32));
        self.levels
            .get(level as usize)
            .zip(at)
            .and_then(|(bytes, at)| bytes.get(at..at + 32))
            .map(|h| {
                let mut hash = [0; 32];
                hash.copy_from_slice(h);
                hash
            })
            .ok_or(merkle::MerkleError::MissingSubtree { level, index })
    }
}

impl LogDir {
    /// Keeps a version's PDF in `documents/SHA256.pdf`, so that the log
    /// folder holds every document it names (for exports and audits).
    pub fn store_document(&self, pdf: &[u8]) -> Result<PathBuf, StoreError> {
        let docs = self.dir.join("documents");
        fs::create_dir_all(&docs).map_err(io_err(&docs))?;
        let path = docs.join(format!(
            "{}.pdf",
            crate::encoding::hex(&crate::document::sha256(pdf))
        ));
        fsutil::write_atomic(&path, pdf, Overwrite::Replace, None)?;
        Ok(path)
    }
}
