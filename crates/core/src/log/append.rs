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
use super::store::{CheckError, Checked, LogDir, StoreError, TreeInMemory, Writer};
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
}

impl std::fmt::Debug for Appender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Appender")
            .field("writer", &self.writer)
            .field("batch", &self.batch.len())
            .field("retry", &self.retry)
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
        })
    }

    /// Sets what to do with an acknowledgement sent again.
    pub fn retries(mut self, retry: Retry) -> Appender {
        self.retry = retry;
        self
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
        let Err(Refusal::Duplicate { entry: index, .. }) = self.state().check_ack(record) else {
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
    /// checkpoint of the log as it is. After an error the appender must
    /// be dropped and the log opened again.
    pub fn commit(&mut self) -> Result<Committed, StoreError> {
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

    /// Syncs the writer's caches (see [`Writer::sync_caches`]).
    pub fn sync_caches(&mut self) -> Result<(), StoreError> {
        self.writer.sync_caches()
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
    use crate::log::entry::{parse_date, Version};
    use crate::log::receipt;
    use std::path::PathBuf;

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
}
