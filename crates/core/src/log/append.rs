//! The one appender: every face that writes the log (the `ackreg log`
//! commands, the signing desk) adds its entries here.
//!
//! Its lifecycle is Tessera's (transparency-dev/tessera): an entry is
//! *added* (checked by the log's history rules and given its index at
//! once; a refused one changes nothing), the entries added are *integrated*
//! together by [`Appender::commit`] (one write and one round of fsyncs, one
//! signed checkpoint published: the commit point), and each entry added is
//! then answered with its index and its receipt (a C2SP tlog-proof, made by
//! [`super::receipt::assemble`]) against the checkpoint that committed it.
//!
//! An acknowledgement sent again, identical to one the log holds (the same
//! key, payload and signature: a retry after a lost answer), is refused by
//! the history's rules; an appender told to answer retries
//! ([`Retry::Answer`]) answers it instead with the earlier entry's index
//! and receipt, writing nothing, as Tessera answers a duplicate.
//!
//! An appender holds the log's lock from open to drop ([`Hold::Always`],
//! a command that commits once), or only while it adds and commits a batch
//! ([`Hold::Batch`], the signing desk, so that `ackreg log` commands write
//! the log between its batches). Holding it per batch, it takes the lock
//! at the batch's first add, first reads what other writers committed
//! since its last commit (their entries join its state and its tree, see
//! [`Writer`]'s catch-up), checks the batch's entries against that, and
//! releases the lock once the batch is committed. [`Appender::refresh`]
//! reads other writers' entries between batches, without the lock.
//!
//! The receipts' inclusion proofs come from the log's own tree hashes:
//! read from the files as each proof needs them ([`TreeSource::Files`], for
//! a one-shot command), or read once into memory and kept up to date with
//! the hashes each commit writes ([`TreeSource::Memory`], for a server
//! answering many). No tree is rebuilt from the entries.

use std::path::Path;

use ed25519_dalek::SigningKey;
use tlog::checkpoint::SignedCheckpoint;

use super::entry::{self, Entry};
use super::receipt;
use super::state::{Refusal, State};
use super::store::{CaughtUp, CheckError, Checked, LogDir, StoreError, TreeInMemory, Writer};
use crate::fsutil::Wait;

/// What the appender does with an acknowledgement identical to one the log
/// holds already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Refuse it, as the history's rules do (a duplicate).
    Refuse,
    /// Answer it with the earlier entry's index and receipt.
    Answer,
}

/// Where the receipts' inclusion proofs read the tree's hashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TreeSource {
    /// From the level files, only the hashes each proof needs.
    Files,
    /// All of them read into memory at open (64 bytes per entry), then
    /// extended by each commit.
    Memory,
}

/// How long the appender holds the log's lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    /// From open to drop: no one else writes the log meanwhile.
    Always,
    /// Only from a batch's first add (or a commit) to its commit, waiting
    /// for it as long as it takes; in between, other writers append.
    Batch,
}

/// An entry added: its index, until its commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Added {
    /// The entry's index.
    pub index: u64,
    /// Whether it is an acknowledgement sent again (see [`Retry`]): the
    /// index is the earlier entry's, nothing new is written.
    pub again: bool,
}

/// An entry committed, with its receipt.
#[derive(Debug, Clone)]
pub struct Accepted {
    /// The entry's index.
    pub index: u64,
    /// Its receipt (a C2SP tlog-proof) against the checkpoint that
    /// committed it.
    pub receipt: Vec<u8>,
    /// Whether it was in the log already (see [`Added::again`]).
    pub again: bool,
}

/// What one commit did.
#[derive(Debug)]
pub struct Committed {
    /// The checkpoint the entries are proved against: the one this commit
    /// signed, or the newest when the batch held only retries.
    pub checkpoint: SignedCheckpoint,
    /// Each entry added since the last commit, in the order added, with
    /// its receipt (an error only if the proof could not be made).
    pub accepted: Vec<Result<Accepted, StoreError>>,
}

/// An entry added and not yet committed.
struct Pending {
    added: Added,
    bytes: Vec<u8>,
}

enum Tree {
    Files,
    Memory(TreeInMemory),
}

/// The one appender of a log: holds its writer (and so its lock).
pub struct Appender {
    writer: Writer,
    tree: Tree,
    /// The newest checkpoint committed (none before a new log's first).
    head: Option<SignedCheckpoint>,
    batch: Vec<Pending>,
    retry: Retry,
    hold: Hold,
    /// How many entries of other writers it has read since it opened.
    caught_up: u64,
    /// Told when a batch waits for another writer's lock.
    on_wait: Option<OnWait>,
}

/// What an appender holding the lock per batch calls when another writer
/// holds it: with the lock file and its holder (e.g. `pid 1234`).
type OnWait = Box<dyn FnMut(&Path, &str) + Send>;

impl std::fmt::Debug for Appender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Appender")
            .field("writer", &self.writer)
            .field("batch", &self.batch.len())
            .field("retry", &self.retry)
            .field("hold", &self.hold)
            .finish_non_exhaustive()
    }
}

impl Appender {
    /// Opens the log in `dir` for appending (see [`Writer::open`]).
    pub fn open(
        dir: &Path,
        key: SigningKey,
        wait: Wait,
        on_wait: impl FnOnce(&Path, &str),
        source: TreeSource,
    ) -> Result<Appender, StoreError> {
        let writer = Writer::open(dir, key, wait, on_wait)?;
        let head = writer.log().checkpoint()?;
        let tree = match source {
            TreeSource::Files => Tree::Files,
            TreeSource::Memory => Tree::Memory(writer.log().tree_in_memory(writer.committed())?),
        };
        Ok(Appender {
            writer,
            tree,
            head: Some(head),
            batch: Vec::new(),
            retry: Retry::Refuse,
            hold: Hold::Always,
            caught_up: 0,
            on_wait: None,
        })
    }

    /// Creates a log in `dir` with its first entry added (see
    /// [`Writer::create`]); [`Appender::commit`] signs its first
    /// checkpoint. Proofs read the files.
    pub fn create(
        dir: &Path,
        key: SigningKey,
        first_entry: Vec<u8>,
        wait: Wait,
    ) -> Result<Appender, StoreError> {
        let bytes = first_entry.clone();
        let writer = Writer::create(dir, key, first_entry, wait)?;
        let added = Added {
            index: 0,
            again: false,
        };
        Ok(Appender {
            writer,
            tree: Tree::Files,
            head: None,
            batch: vec![Pending { added, bytes }],
            retry: Retry::Refuse,
            hold: Hold::Always,
            caught_up: 0,
            on_wait: None,
        })
    }

    /// Sets what to do with an acknowledgement sent again.
    pub fn retries(mut self, retry: Retry) -> Appender {
        self.retry = retry;
        self
    }

    /// Sets how long the lock is held. With [`Hold::Batch`] the lock is
    /// released at once, unless entries wait for their commit (a new
    /// log's first), and then at that commit.
    pub fn hold(mut self, hold: Hold) -> Appender {
        self.hold = hold;
        self.release();
        self
    }

    /// Sets what to call when a batch ([`Hold::Batch`]) must wait for the
    /// lock another writer holds.
    pub fn on_wait(mut self, f: impl FnMut(&Path, &str) + Send + 'static) -> Appender {
        self.on_wait = Some(Box::new(f));
        self
    }

    /// How many entries other writers committed that this appender has
    /// read since it opened (see [`Appender::refresh`]): when it changes,
    /// the state holds entries this appender did not add.
    pub fn caught_up(&self) -> u64 {
        self.caught_up
    }

    /// Whether the appender holds the log's lock now.
    pub fn holds_lock(&self) -> bool {
        self.writer.holds_lock()
    }

    /// With [`Hold::Batch`], releases the lock when no entry waits for its
    /// commit (a batch whose every entry was refused ends here); else does
    /// nothing.
    pub fn release(&mut self) {
        if self.hold == Hold::Batch && self.batch.is_empty() {
            self.writer.release();
        }
    }

    /// Between batches ([`Hold::Batch`], the lock not held): reads the
    /// entries other writers committed since this appender's last commit
    /// or refresh, if the log's checkpoint moved on, into the state, the
    /// tree and [`Appender::head`]; whether there were any. Cheap when
    /// there are none: one read of the checkpoint file. Holding the lock,
    /// there can be none. After an error, drop the appender and open the
    /// log again.
    pub fn refresh(&mut self) -> Result<bool, StoreError> {
        if self.writer.holds_lock() {
            return Ok(false);
        }
        let caught = match &self.tree {
            Tree::Files => {
                let log = self.writer.log().clone();
                self.writer.catch_up(&log.tree())?
            }
            Tree::Memory(tree) => self.writer.catch_up(tree)?,
        };
        self.absorb(caught)
    }

    /// Begins a batch: takes the lock if it is not held, catching up with
    /// other writers first (see [`Appender::refresh`]). Adding an entry
    /// begins the batch too; call it first when the entry is made from the
    /// state. After an error, drop the appender and open the log again.
    pub fn begin(&mut self) -> Result<(), StoreError> {
        if self.writer.holds_lock() {
            return Ok(());
        }
        let mut on_wait = self.on_wait.take();
        let note = |path: &Path, holder: &str| {
            if let Some(f) = on_wait.as_mut() {
                f(path, holder);
            }
        };
        let caught = match &self.tree {
            Tree::Files => {
                let log = self.writer.log().clone();
                self.writer.acquire(Wait::Yes, note, &log.tree())
            }
            Tree::Memory(tree) => self.writer.acquire(Wait::Yes, note, tree),
        };
        self.on_wait = on_wait;
        self.absorb(caught?).map(|_| ())
    }

    /// Makes what a catch-up read this appender's: the tree's new hashes
    /// and the newest checkpoint.
    fn absorb(&mut self, caught: Option<CaughtUp>) -> Result<bool, StoreError> {
        let Some(caught) = caught else {
            return Ok(false);
        };
        if let Tree::Memory(tree) = &mut self.tree {
            tree.extend(&caught.levels)?;
        }
        let before = self.head.as_ref().map_or(0, |h| h.checkpoint.size);
        self.caught_up += caught.head.checkpoint.size.saturating_sub(before);
        self.head = Some(caught.head);
        Ok(true)
    }

    /// The log's state, including the entries added and not committed.
    pub fn state(&self) -> &State {
        self.writer.state()
    }

    /// The folder.
    pub fn log(&self) -> &LogDir {
        self.writer.log()
    }

    /// The newest checkpoint committed (none before a new log's first
    /// commit).
    pub fn head(&self) -> Option<&SignedCheckpoint> {
        self.head.as_ref()
    }

    /// Checks `bytes` as the next entry (an acknowledgement's signature
    /// included, see [`Checked`]) and adds it.
    pub fn add_bytes(&mut self, bytes: Vec<u8>) -> Result<Added, StoreError> {
        self.begin()?;
        let index = self.writer.state().size();
        let checked = Checked::new(bytes).map_err(|e| match e {
            CheckError::Entry(error) => StoreError::Entry { index, error },
            CheckError::BadSignature => StoreError::BadSignature(index),
        })?;
        self.add(checked)
    }

    /// Adds an entry checked already if the log's history allows it where
    /// it stands (or, with [`Retry::Answer`], if it is an acknowledgement
    /// sent again); its index. A refused entry changes nothing.
    pub fn add(&mut self, checked: Checked) -> Result<Added, StoreError> {
        self.begin()?;
        if let Some(pending) = self.again(&checked) {
            let added = pending.added;
            self.batch.push(pending);
            return Ok(added);
        }
        let bytes = checked.bytes().to_vec();
        let index = self.writer.append_checked(checked)?;
        let added = Added {
            index,
            again: false,
        };
        self.batch.push(Pending { added, bytes });
        Ok(added)
    }

    /// The earlier entry an acknowledgement sent again repeats, when
    /// retries are answered.
    fn again(&self, checked: &Checked) -> Option<Pending> {
        let Entry::Ack(record) = checked.entry() else {
            return None;
        };
        if self.retry != Retry::Answer {
            return None;
        }
        let Err(Refusal::Duplicate { entry: index, .. }) = self.state().check_ack(&record.view())
        else {
            return None;
        };
        let bytes = self.entry_bytes(index)?;
        same_ack(&bytes, checked.entry()).then_some(Pending {
            added: Added { index, again: true },
            bytes,
        })
    }

    /// The bytes of entry `index`: added in this batch, or on disk.
    fn entry_bytes(&self, index: u64) -> Option<Vec<u8>> {
        let added = self.batch.iter().find(|p| p.added.index == index);
        match added {
            Some(p) if !p.added.again => Some(p.bytes.clone()),
            _ => self.log().entry(index).ok(),
        }
    }

    /// Commits the entries added: writes and syncs them and signs the
    /// checkpoint of the new size (the commit point); then proves each
    /// against it. A batch of retries only is proved against the newest
    /// checkpoint, with nothing signed; an empty batch signs the
    /// checkpoint of the log as it is. With [`Hold::Batch`] the lock is
    /// then released. After an error the appender must be dropped and the
    /// log opened again.
    pub fn commit(&mut self) -> Result<Committed, StoreError> {
        self.begin()?;
        let committed = self.prove()?;
        self.release();
        Ok(committed)
    }

    /// Integrates the batch (unless it holds only retries) and proves
    /// each entry against the checkpoint.
    fn prove(&mut self) -> Result<Committed, StoreError> {
        let batch = std::mem::take(&mut self.batch);
        let retries_only = !batch.is_empty() && batch.iter().all(|p| p.added.again);
        let head = match &self.head {
            Some(head) if retries_only => head.clone(),
            _ => self.integrate()?,
        };
        let note = head.to_bytes();
        let size = head.checkpoint.size;
        let accepted = batch
            .into_iter()
            .map(|Pending { added, bytes }| {
                let note = note.clone();
                let receipt = match &self.tree {
                    Tree::Files => {
                        receipt::assemble(&self.log().tree(), note, size, added.index, bytes)
                    }
                    Tree::Memory(tree) => receipt::assemble(tree, note, size, added.index, bytes),
                }?;
                Ok(Accepted {
                    index: added.index,
                    receipt,
                    again: added.again,
                })
            })
            .collect();
        Ok(Committed {
            checkpoint: head,
            accepted,
        })
    }

    /// Writes the entries added and signs the new checkpoint; keeps the
    /// tree in memory up to date.
    fn integrate(&mut self) -> Result<SignedCheckpoint, StoreError> {
        let (head, levels) = self.writer.commit_levels()?;
        if let Tree::Memory(tree) = &mut self.tree {
            tree.extend(&levels)?;
        }
        self.head = Some(head.clone());
        Ok(head)
    }

    /// Has a commit sync the caches only once `n` entries are unsynced
    /// ([`Writer::sync_caches_every`]): for a server that syncs them with
    /// [`Appender::sync_caches`] when it is idle, so that no commit waits
    /// for the state's snapshot.
    pub fn sync_caches_every(mut self, n: u64) -> Appender {
        self.writer.sync_caches_every(n);
        self
    }

    /// How many committed entries the caches do not hold for certain yet.
    pub fn unsynced(&self) -> u64 {
        self.writer.unsynced()
    }

    /// Syncs the writer's caches (see [`Writer::sync_caches`]), taking
    /// the lock for it if it is not held.
    pub fn sync_caches(&mut self) -> Result<(), StoreError> {
        self.begin()?;
        self.writer.sync_caches()?;
        self.release();
        Ok(())
    }
}

/// Whether the entry `bytes` is an acknowledgement with the same key,
/// payload and signature as `other`.
fn same_ack(bytes: &[u8], other: &Entry) -> bool {
    match (entry::parse(bytes), other) {
        (Ok(Entry::Ack(old)), Entry::Ack(new)) => {
            old.key == new.key
                && old.envelope.payload == new.envelope.payload
                && old.envelope.signature == new.envelope.signature
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::DocumentRef;
    use crate::log::entry::{parse_date, Kind, Version};
    use crate::log::receipt;
    use std::path::PathBuf;
    use tlog::merkle::SubtreeHashes;

    fn key(n: u8) -> SigningKey {
        SigningKey::from_bytes(&[n; 32])
    }

    fn issuer() -> SigningKey {
        key(9)
    }

    /// A fresh folder for one test.
    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ackreg-append-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    /// A log with one version (sha 1, effective 2017-12-01) and Jānis
    /// enrolled with key 1, committed.
    fn base(dir: &Path) {
        let d = |s| parse_date(s).unwrap();
        let first = entry::log_bytes(
            "example.invalid/log",
            "J.Gavars",
            &issuer().verifying_key(),
            "Pašvaldība",
            d("2017-12-01"),
        )
        .unwrap();
        let mut a = Appender::create(dir, issuer(), first, Wait::No).unwrap();
        let version = Version {
            document: None,
            label: "1".into(),
            title: "Noteikumi".into(),
            sha256: [1; 32],
            effective: d("2017-12-01"),
            material: true,
            deadline: Some(d("2017-12-15")),
            new_employee_days: 14,
        };
        a.add_bytes(entry::version_bytes(&version).unwrap())
            .unwrap();
        let enrol = entry::enrol_bytes(
            "jberzins",
            "Jānis Bērziņš",
            None,
            &key(1).verifying_key(),
            d("2017-12-01"),
        )
        .unwrap();
        a.add_bytes(enrol).unwrap();
        let committed = a.commit().unwrap();
        assert_eq!(committed.checkpoint.checkpoint.size, 3);
        assert_eq!(committed.accepted.len(), 3);
    }

    /// Jānis's acknowledgement of the document `sha`, checked.
    fn ack(sha: u8) -> Checked {
        let doc = DocumentRef {
            title: "Noteikumi".into(),
            sha256: [sha; 32],
        };
        let env =
            crate::ack::Acknowledgement::new(&doc, "Jānis Bērziņš", "jberzins", "2017-12-04", None)
                .unwrap()
                .sign(&key(1))
                .unwrap();
        let received = parse_date("2017-12-05").unwrap();
        let bytes = entry::ack_bytes(received, &key(1).verifying_key(), &env).unwrap();
        Checked::new(bytes).unwrap()
    }

    fn open(dir: &Path, source: TreeSource) -> Appender {
        Appender::open(dir, issuer(), Wait::No, |_, _| {}, source).unwrap()
    }

    /// The receipt verifies alone with the issuer's key, for the index
    /// given, against the checkpoint the log holds now.
    fn check_receipt(dir: &Path, accepted: &Accepted) {
        let verified = receipt::verify(&accepted.receipt, &issuer().verifying_key()).unwrap();
        assert_eq!(verified.index, accepted.index);
        assert_eq!(
            verified.checkpoint.to_bytes(),
            LogDir::new(dir).checkpoint().unwrap().to_bytes()
        );
    }

    #[test]
    fn an_accepted_entry_gets_its_index_and_a_receipt_against_its_checkpoint() {
        for source in [TreeSource::Files, TreeSource::Memory] {
            let dir = scratch(&format!("accepted-{source:?}"));
            base(&dir);
            let mut a = open(&dir, source);
            let added = a.add(ack(1)).unwrap();
            assert_eq!(
                added,
                Added {
                    index: 3,
                    again: false
                }
            );
            let committed = a.commit().unwrap();
            assert_eq!(committed.checkpoint.checkpoint.size, 4);
            let accepted = committed.accepted[0].as_ref().unwrap();
            check_receipt(&dir, accepted);
            // The one receipt function gives the same bytes from the files.
            assert_eq!(accepted.receipt, receipt::make(a.log(), 3).unwrap());
            let _ = std::fs::remove_dir_all(&dir);
        }
    }

    #[test]
    fn a_refused_entry_changes_nothing() {
        let dir = scratch("refused");
        base(&dir);
        let mut a = open(&dir, TreeSource::Memory);
        // Document 2 is not published.
        let refused = a.add(ack(2));
        assert!(
            matches!(refused, Err(StoreError::Refused { index: 3, .. })),
            "{refused:?}"
        );
        assert_eq!(a.state().size(), 3);
        let added = a.add(ack(1)).unwrap();
        assert_eq!(added.index, 3, "the refused entry took no index");
        let committed = a.commit().unwrap();
        assert_eq!(committed.checkpoint.checkpoint.size, 4);
        assert_eq!(committed.accepted.len(), 1);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_retry_is_refused_or_answered_with_the_earlier_entry() {
        let dir = scratch("retry");
        base(&dir);
        let mut a = open(&dir, TreeSource::Memory).retries(Retry::Answer);
        a.add(ack(1)).unwrap();
        // Sent again in the same batch: the entry staged.
        assert_eq!(
            a.add(ack(1)).unwrap(),
            Added {
                index: 3,
                again: true
            }
        );
        let committed = a.commit().unwrap();
        assert_eq!(committed.checkpoint.checkpoint.size, 4);
        for accepted in &committed.accepted {
            check_receipt(&dir, accepted.as_ref().unwrap());
        }
        // Sent again later: a batch of retries only signs nothing.
        let signed = LogDir::new(&dir).history().unwrap().len();
        assert_eq!(
            a.add(ack(1)).unwrap(),
            Added {
                index: 3,
                again: true
            }
        );
        let committed = a.commit().unwrap();
        assert_eq!(LogDir::new(&dir).history().unwrap().len(), signed);
        let accepted = committed.accepted[0].as_ref().unwrap();
        assert!(accepted.again);
        check_receipt(&dir, accepted);
        drop(a);
        // Without answering retries, the history's rule refuses it.
        let mut a = open(&dir, TreeSource::Files);
        let again = a.add(ack(1));
        assert!(
            matches!(
                again,
                Err(StoreError::Refused {
                    error: Refusal::Duplicate { entry: 3, .. },
                    ..
                })
            ),
            "{again:?}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn some_stored_hashes_and_the_spans_of_some_kinds_are_what_the_files_hold() {
        let dir = scratch("sparse");
        base(&dir);
        let mut a = open(&dir, TreeSource::Files);
        let from = parse_date("2017-12-02").unwrap();
        for n in 0..300u32 {
            let bytes = entry::enrol_bytes(
                &format!("e{n}"),
                "Anna Ozola",
                None,
                &SigningKey::from_bytes(&{
                    let mut seed = [7; 32];
                    seed[..4].copy_from_slice(&n.to_be_bytes());
                    seed
                })
                .verifying_key(),
                from,
            )
            .unwrap();
            a.add_bytes(bytes).unwrap();
        }
        let size = a.commit().unwrap().checkpoint.checkpoint.size;
        let log = a.log();
        let whole = log.tree_in_memory(size).unwrap();
        // Runs of neighbours, hashes a page apart or further, every level,
        // repeated and out of order.
        let wanted: Vec<(u32, u64)> = (0..9u32)
            .flat_map(|level| {
                let n = size >> level;
                [0, 1, 2, 130, 131, 260, n.saturating_sub(1), 1]
                    .into_iter()
                    .filter(move |&i| i < n)
                    .map(move |i| (level, i))
            })
            .rev()
            .collect();
        let some = log.subtrees(&wanted).unwrap();
        for &(level, index) in &wanted {
            assert_eq!(
                some.subtree(level, index).unwrap(),
                whole.subtree(level, index).unwrap(),
                "{level}/{index}"
            );
        }
        assert!(some.subtree(0, 3).is_err(), "only what was asked is held");
        assert!(log.subtrees(&[(0, size)]).is_err(), "past the tree's end");
        // The spans of the enrolments, read a few records at a time.
        let index = log.index(size).unwrap();
        let want: Vec<(u64, u64, u64)> = (0..size as usize)
            .filter(|&i| index[i].1 == Kind::Enrol.code())
            .map(|i| {
                (
                    i as u64,
                    if i == 0 { 0 } else { index[i - 1].0 },
                    index[i].0,
                )
            })
            .collect();
        for per_piece in [0, 1, 2, 7, 1 << 16] {
            let enrol = |code| code == Kind::Enrol.code();
            let got = log.index_spans_in_pieces(size, enrol, per_piece).unwrap();
            assert_eq!(
                got,
                (want.clone(), index[size as usize - 1].0),
                "{per_piece}"
            );
        }
        assert!(log.index_spans(size + 1, |_| true).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_tree_in_memory_follows_the_files_over_many_commits() {
        let dir = scratch("memory");
        base(&dir);
        let mut a = open(&dir, TreeSource::Memory);
        let from = parse_date("2017-12-02").unwrap();
        let mut n = 0u8;
        // Batches of 0 to 3 enrolments: the copy must stay in step with
        // the level files at every size, every level.
        for round in 0..24 {
            for _ in 0..round % 4 {
                n += 1;
                let bytes = entry::enrol_bytes(
                    &format!("e{n}"),
                    "Anna Ozola",
                    None,
                    &key(100 + n).verifying_key(),
                    from,
                )
                .unwrap();
                a.add_bytes(bytes).unwrap();
            }
            let committed = a.commit().unwrap();
            assert_eq!(committed.checkpoint.checkpoint.size, 3 + u64::from(n));
            for accepted in committed.accepted {
                let accepted = accepted.unwrap();
                assert_eq!(
                    accepted.receipt,
                    receipt::make(a.log(), accepted.index).unwrap()
                );
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    // ---- Holding the lock per batch -------------------------------------

    /// A desk's appender: the tree in memory, the lock held per batch.
    fn open_batch(dir: &Path) -> Appender {
        open(dir, TreeSource::Memory)
            .retries(Retry::Answer)
            .hold(Hold::Batch)
    }

    /// Another writer (a command) enrols `ids` and commits; the new size.
    fn other_writer_enrols(dir: &Path, ids: &[u8]) -> u64 {
        let mut b = Appender::open(dir, issuer(), Wait::No, |_, _| {}, TreeSource::Files).unwrap();
        for &n in ids {
            let bytes = entry::enrol_bytes(
                &format!("cli{n}"),
                "Ilze Kalniņa",
                None,
                &key(200 - n).verifying_key(),
                parse_date("2017-12-02").unwrap(),
            )
            .unwrap();
            b.add_bytes(bytes).unwrap();
        }
        b.commit().unwrap().checkpoint.checkpoint.size
    }

    /// The full audit of the folder passes.
    fn audit_passes(dir: &Path) {
        let report = crate::log::audit::audit(
            &LogDir::new(dir),
            &crate::verify::IssuerKey::Key(issuer().verifying_key()),
            &crate::log::audit::AuditOptions {
                since: None,
                check: crate::verify::SignatureCheck::Batch,
                tsa_anchors: None,
            },
            &crate::verify::NoProgress,
        )
        .unwrap();
        assert!(report.is_valid(), "{report:?}");
    }

    /// Jānis's acknowledgement of the document `sha`, made by key `n`.
    fn ack_by(n: u8, id: &str, sha: u8) -> Checked {
        let doc = DocumentRef {
            title: "Noteikumi".into(),
            sha256: [sha; 32],
        };
        let env = crate::ack::Acknowledgement::new(&doc, "Ilze Kalniņa", id, "2017-12-04", None)
            .unwrap()
            .sign(&key(n))
            .unwrap();
        let received = parse_date("2017-12-05").unwrap();
        let bytes = entry::ack_bytes(received, &key(n).verifying_key(), &env).unwrap();
        Checked::new(bytes).unwrap()
    }

    #[test]
    fn a_batch_appender_holds_the_lock_only_from_its_first_add_to_its_commit() {
        let dir = scratch("hold");
        base(&dir);
        let mut a = open_batch(&dir);
        assert!(!a.holds_lock());
        // Another writer may open the log now, without waiting.
        drop(Appender::open(&dir, issuer(), Wait::No, |_, _| {}, TreeSource::Files).unwrap());
        a.add(ack(1)).unwrap();
        assert!(a.holds_lock());
        let held = Appender::open(&dir, issuer(), Wait::No, |_, _| {}, TreeSource::Files);
        assert!(
            matches!(held, Err(StoreError::Lock(_))),
            "the lock is held during the batch: {held:?}"
        );
        a.commit().unwrap();
        assert!(!a.holds_lock());
        // A batch whose every entry is refused ends with release().
        assert!(a.add(ack(2)).is_err());
        assert!(a.holds_lock());
        a.release();
        assert!(!a.holds_lock());
        drop(Appender::open(&dir, issuer(), Wait::No, |_, _| {}, TreeSource::Files).unwrap());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_batch_appender_catches_up_with_another_writer_and_continues_the_tree() {
        let dir = scratch("catch-up");
        base(&dir);
        let mut a = open_batch(&dir);
        let mut others = 0u8;
        let mut size = 3;
        // Rounds of the other writer's entries (0 to 3) and this
        // appender's own (0 to 2): every size, every level of the tree.
        for round in 0..30u8 {
            let theirs: Vec<u8> = (0..round % 4).map(|k| others + k + 1).collect();
            others += theirs.len() as u8;
            if !theirs.is_empty() {
                size = other_writer_enrols(&dir, &theirs);
            }
            // The new employees are known once the batch begins.
            let mine: Vec<u8> = theirs
                .iter()
                .copied()
                .take(usize::from(round % 3))
                .collect();
            for &n in &mine {
                let added = a.add(ack_by(200 - n, &format!("cli{n}"), 1)).unwrap();
                assert_eq!(added.index, size, "appended where the log ends");
                size += 1;
            }
            if mine.is_empty() {
                continue;
            }
            let committed = a.commit().unwrap();
            assert_eq!(committed.checkpoint.checkpoint.size, size);
            for accepted in committed.accepted {
                let accepted = accepted.unwrap();
                check_receipt(&dir, &accepted);
                assert_eq!(
                    accepted.receipt,
                    receipt::make(a.log(), accepted.index).unwrap()
                );
            }
        }
        assert_eq!(a.state().employees().len(), 1 + usize::from(others));
        drop(a);
        audit_passes(&dir);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn refresh_reads_another_writers_entries_without_the_lock() {
        let dir = scratch("refresh");
        base(&dir);
        let mut a = open_batch(&dir);
        assert!(!a.refresh().unwrap(), "nothing new");
        let size = other_writer_enrols(&dir, &[1, 2]);
        // Held by someone else: a refresh does not wait for it.
        let _other =
            crate::fsutil::Lock::acquire(&dir.join("entries"), Wait::No, |_, _| {}).unwrap();
        assert!(a.refresh().unwrap());
        assert!(!a.holds_lock());
        assert_eq!(a.head().unwrap().checkpoint.size, size);
        assert_eq!(a.state().size(), size);
        assert!(a.state().employee("cli2").is_some());
        assert!(!a.refresh().unwrap(), "nothing new since");
        drop(_other);
        // The next batch continues from there.
        let added = a.add(ack_by(198, "cli2", 1)).unwrap();
        assert_eq!(added.index, size);
        let committed = a.commit().unwrap();
        check_receipt(&dir, committed.accepted[0].as_ref().unwrap());
        drop(a);
        audit_passes(&dir);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_entry_the_caught_up_state_refuses_is_refused() {
        let dir = scratch("refused-after");
        base(&dir);
        let mut a = open_batch(&dir);
        // Meanwhile Jānis is recorded as gone from the 3rd.
        let mut b = Appender::open(&dir, issuer(), Wait::No, |_, _| {}, TreeSource::Files).unwrap();
        b.add_bytes(entry::leave_bytes("jberzins", parse_date("2017-12-03").unwrap()).unwrap())
            .unwrap();
        b.commit().unwrap();
        drop(b);
        // His acknowledgement of the 4th, valid when queued, is not now.
        let refused = a.add(ack(1));
        assert!(
            matches!(refused, Err(StoreError::Refused { index: 4, .. })),
            "{refused:?}"
        );
        a.release();
        drop(a);
        audit_passes(&dir);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_append_another_writer_did_not_finish_is_cut_off_before_the_next_batch() {
        let dir = scratch("unfinished");
        base(&dir);
        let mut a = open_batch(&dir);
        a.add(ack(1)).unwrap();
        a.commit().unwrap();
        // A writer killed before its commit point left bytes past the
        // checkpoint in every data file.
        let log = LogDir::new(&dir);
        for path in [log.entries_path(), log.index_path(), log.level_path(0)] {
            let mut f = std::fs::OpenOptions::new()
                .append(true)
                .open(&path)
                .unwrap();
            std::io::Write::write_all(&mut f, &[7; 45]).unwrap();
        }
        let other = other_writer_enrols(&dir, &[]);
        assert_eq!(other, 4, "an empty commit re-signs the same size");
        for path in [log.entries_path(), log.index_path(), log.level_path(0)] {
            let mut f = std::fs::OpenOptions::new()
                .append(true)
                .open(&path)
                .unwrap();
            std::io::Write::write_all(&mut f, &[7; 45]).unwrap();
        }
        let added = a
            .add_bytes(
                entry::enrol_bytes(
                    "aozola",
                    "Anna Ozola",
                    None,
                    &key(3).verifying_key(),
                    parse_date("2017-12-02").unwrap(),
                )
                .unwrap(),
            )
            .unwrap();
        assert_eq!(added.index, 4);
        let committed = a.commit().unwrap();
        check_receipt(&dir, committed.accepted[0].as_ref().unwrap());
        drop(a);
        audit_passes(&dir);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_checkpoint_not_signed_by_the_issuer_is_not_caught_up_with() {
        let dir = scratch("foreign");
        base(&dir);
        let mut a = open_batch(&dir);
        other_writer_enrols(&dir, &[1]);
        // Someone replaces the checkpoint with one signed by another key.
        let log = LogDir::new(&dir);
        let head = log.checkpoint().unwrap();
        let forged = SignedCheckpoint::sign(head.checkpoint.clone(), &key(66)).unwrap();
        std::fs::write(log.checkpoint_path(), forged.to_bytes()).unwrap();
        assert!(matches!(a.refresh(), Err(StoreError::ForeignLog(_))));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
