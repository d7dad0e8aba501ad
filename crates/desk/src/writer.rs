//! The one task that writes the log.
//!
//! Requests hand it jobs over a channel. It takes every job waiting, checks
//! and stages each entry (a refused one is answered at once and changes
//! nothing), then commits them all together: one write and one fsync per
//! file, one signed checkpoint. Only then does it answer each accepted
//! request, with a receipt proved against that checkpoint, so that an
//! answer "accepted" always means "on disk under a signed checkpoint".
//!
//! The receipts' inclusion proofs come from a copy of the tree kept in
//! memory, checked against the root of every checkpoint signed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;

use ed25519_dalek::{SigningKey, VerifyingKey};
use time::Date;
use tokio::sync::{mpsc, oneshot};

use super::enrolment::Link;
use super::request::{self, RequestError};
use super::{DeskError, Observer};
use ackreg_core::fsutil::Wait;
use ackreg_core::keys::KeyId;
use ackreg_core::log::entry;
use ackreg_core::log::entry::Entry;
use ackreg_core::log::state::{Published, Refusal, State};
use ackreg_core::log::status::{self, Phase};
use ackreg_core::log::{Checked, LogDir, Writer};
use tlog::checkpoint::SignedCheckpoint;
use tlog::merkle::{self, MemoryTree};
use tlog::tlogproof::TlogProof;

/// Most jobs committed together.
pub const MAX_BATCH: usize = 2048;

/// An entry the log accepted and committed.
#[derive(Debug, Clone)]
pub struct Accepted {
    /// Its index.
    pub index: u64,
    /// Its receipt (a C2SP tlog-proof) against the checkpoint that
    /// committed it.
    pub receipt: Vec<u8>,
    /// Whether it was in the log already: an identical acknowledgement
    /// sent again (the receipt is then against the newest checkpoint).
    pub again: bool,
}

type Reply = oneshot::Sender<Result<Accepted, RequestError>>;
type Read = Box<dyn FnOnce(&State) + Send>;

enum Job {
    Ack {
        entry: Box<Checked>,
        reply: Reply,
    },
    Enrol {
        who: Box<(Link, VerifyingKey)>,
        date: Date,
        reply: Reply,
    },
    Leave {
        id: String,
        date: Date,
        reply: Reply,
    },
    Read(Read),
    Stop,
}

/// An employee as the pages need them, from the log.
#[derive(Debug, Clone)]
pub struct Person {
    /// Identifier.
    pub id: String,
    /// Name.
    pub name: String,
    /// The key that may sign now.
    pub current: Option<KeyId>,
    /// Whether they left.
    pub left: bool,
}

/// What requests look up without waiting for the writer: who holds which
/// key, which documents are published, who keeps the log.
#[derive(Debug, Clone, Default)]
pub struct Directory {
    /// Employees by identifier.
    pub people: HashMap<String, Person>,
    /// Employee identifiers and keys by their current key's id.
    pub keys: HashMap<KeyId, (String, VerifyingKey)>,
    /// Every key ever enrolled, current or not, by its id: an
    /// acknowledgement by a replaced key reaches the log's own refusal
    /// ("replaced on D") rather than "not enrolled for anyone".
    pub all_keys: HashMap<KeyId, VerifyingKey>,
    /// Published documents (SHA-256) and their index in `versions`.
    pub documents: HashMap<[u8; 32], usize>,
    /// Every published version, in log order (the desk writes none, so
    /// they stay as they were when the desk started).
    pub versions: Vec<Published>,
    /// The body that keeps the log.
    pub body: String,
    /// The log's origin.
    pub origin: String,
}

impl Directory {
    fn of(state: &State) -> Directory {
        let mut d = Directory::default();
        for e in state.employees() {
            let current = e.current().map(|k| k.keyid);
            if let Some(k) = e.current() {
                d.keys.insert(k.keyid, (e.id.clone(), k.key));
            }
            for k in &e.keys {
                d.all_keys.insert(k.keyid, k.key);
            }
            let person = Person {
                id: e.id.clone(),
                name: e.name.clone(),
                current,
                left: e.left.is_some(),
            };
            d.people.insert(e.id.clone(), person);
        }
        for (i, v) in state.versions().iter().enumerate() {
            d.documents.insert(v.version.sha256, i);
        }
        d.versions = state.versions().to_vec();
        if let Some(i) = state.issuer() {
            d.body = i.body.clone();
            d.origin = i.origin.clone();
        }
        d
    }
}

impl Directory {
    /// Whether an acknowledgement dated `date` may name the document
    /// `sha`: only a version in force that day (or one of its
    /// corrections) is signed at the desk, as the page offers it. A coming
    /// version is refused (the log would refuse it too: its date is before
    /// the version takes effect), and so is a superseded one, which the
    /// log's rules would accept but no page shows. An unknown document is
    /// left to the log's refusal.
    pub fn check_in_force(&self, sha: &[u8; 32], date: Date) -> Result<(), RequestError> {
        let Some(&v) = self.documents.get(sha) else {
            return Ok(());
        };
        let label = self.versions[v].version.label.clone();
        match status::phase_in(&self.versions, v, date) {
            Some(Phase::Coming) => {
                let base = self.versions[v].base;
                let effective = entry::format_date(self.versions[base].version.effective);
                Err(RequestError::Coming { label, effective })
            }
            Some(Phase::Superseded) => {
                let next = status::successor(&self.versions, v);
                Err(RequestError::Superseded {
                    label,
                    by: next.map(|p| p.version.label.clone()).unwrap_or_default(),
                    date: next
                        .map(|p| entry::format_date(p.version.effective))
                        .unwrap_or_default(),
                })
            }
            Some(Phase::InForce) | None => Ok(()),
        }
    }
}

/// The requests' side of the writer task.
pub struct Handle {
    jobs: mpsc::UnboundedSender<Job>,
    thread: Mutex<Option<JoinHandle<()>>>,
    directory: Arc<RwLock<Directory>>,
}

impl std::fmt::Debug for Handle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("writer::Handle { .. }")
    }
}

struct Task {
    dir: PathBuf,
    key: SigningKey,
    writer: Option<Writer>,
    tree: MemoryTree,
    /// The newest checkpoint signed (or found at start).
    head: Option<SignedCheckpoint>,
    directory: Arc<RwLock<Directory>>,
    observer: Arc<dyn Observer>,
}

fn unavailable(e: impl ToString) -> RequestError {
    RequestError::Unavailable(e.to_string())
}

impl Handle {
    /// Opens the log in `dir` (failing at once if another process writes
    /// it) and starts the writer task.
    pub fn start(
        dir: &Path,
        key: SigningKey,
        observer: Arc<dyn Observer>,
    ) -> Result<Handle, DeskError> {
        let mut task = Task {
            dir: dir.to_path_buf(),
            key,
            writer: None,
            tree: MemoryTree::new(),
            head: None,
            directory: Arc::new(RwLock::new(Directory::default())),
            observer,
        };
        task.open()?;
        let directory = task.directory.clone();
        let (jobs, rx) = mpsc::unbounded_channel();
        let thread = std::thread::Builder::new()
            .name("ackreg-desk-writer".into())
            .spawn(move || task.run(rx))
            .map_err(|error| DeskError::Io {
                path: dir.to_path_buf(),
                error,
            })?;
        Ok(Handle {
            jobs,
            thread: Mutex::new(Some(thread)),
            directory,
        })
    }

    /// The directory as of the newest commit.
    pub fn directory(&self) -> std::sync::RwLockReadGuard<'_, Directory> {
        self.directory
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    async fn submit(&self, make: impl FnOnce(Reply) -> Job) -> Result<Accepted, RequestError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(make(reply))
            .map_err(|_| unavailable("the writer stopped"))?;
        answer
            .await
            .map_err(|_| unavailable("the writer stopped"))?
    }

    /// Appends an acknowledgement received on `received`. Its entry is
    /// made and checked (signature included) here, on the request's own
    /// thread, so that the writer is left only the log's history rules.
    pub async fn ack(&self, ack: request::Ack, received: Date) -> Result<Accepted, RequestError> {
        let bytes = ackreg_core::log::ack_entry_with(&ack.envelope, received, |keyid| {
            self.directory().all_keys.get(keyid).copied()
        })
        .map_err(refused)?;
        let entry = Box::new(Checked::new(bytes).map_err(refused)?);
        self.submit(|reply| Job::Ack { entry, reply }).await
    }

    /// Enrols `key` for the employee of `link` from `date` (replacing
    /// their key if they are enrolled).
    pub async fn enrol(
        &self,
        link: Link,
        key: VerifyingKey,
        date: Date,
    ) -> Result<Accepted, RequestError> {
        let who = Box::new((link, key));
        self.submit(|reply| Job::Enrol { who, date, reply }).await
    }

    /// Records that employee `id` left on `date`.
    pub async fn leave(&self, id: String, date: Date) -> Result<Accepted, RequestError> {
        self.submit(|reply| Job::Leave { id, date, reply }).await
    }

    /// Runs `f` on the log's state as of the newest commit.
    pub async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&State) -> T + Send + 'static,
    ) -> Result<T, RequestError> {
        let (tx, rx) = oneshot::channel();
        let job = Job::Read(Box::new(move |state| {
            let _ = tx.send(f(state));
        }));
        self.jobs
            .send(job)
            .map_err(|_| unavailable("the writer stopped"))?;
        rx.await.map_err(|_| unavailable("the writer stopped"))
    }

    /// Stops the task after the jobs already sent, and waits for it (call
    /// outside async code).
    pub fn stop(&self) {
        let _ = self.jobs.send(Job::Stop);
        let thread = self
            .thread
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(t) = thread {
            let _ = t.join();
        }
    }
}

/// A staged entry waiting for its commit.
struct Staged {
    index: u64,
    bytes: Vec<u8>,
    reply: Reply,
    /// An acknowledgement sent again, identical to the one at `index`
    /// (written earlier, or staged in this batch): answered with that
    /// entry's receipt, nothing new written.
    again: bool,
}

impl Task {
    /// Opens the log, rebuilds the tree in memory from the entries and
    /// checks it against the checkpoint.
    fn open(&mut self) -> Result<(), DeskError> {
        self.writer = None;
        let writer = Writer::open(&self.dir, self.key.clone(), Wait::No, |_, _| {})?;
        let log = LogDir::new(&self.dir);
        let head = log.checkpoint()?;
        let entries = log.entries_prefix(writer.committed())?;
        let mut tree = MemoryTree::new();
        for line in entries
            .split(|&b| b == b'\n')
            .take(writer.committed() as usize)
        {
            tree.push(merkle::leaf_hash(line));
        }
        let root =
            merkle::root(&tree, tree.size()).map_err(|_| DeskError::TreeMismatch(tree.size()))?;
        if tree.size() != head.checkpoint.size || root != head.checkpoint.root {
            return Err(DeskError::TreeMismatch(head.checkpoint.size));
        }
        self.tree = tree;
        self.head = Some(head);
        self.publish_directory(writer.state());
        self.writer = Some(writer);
        Ok(())
    }

    fn publish_directory(&self, state: &State) {
        let d = Directory::of(state);
        *self
            .directory
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = d;
    }

    fn run(mut self, mut rx: mpsc::UnboundedReceiver<Job>) {
        while let Some(first) = rx.blocking_recv() {
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            if self.run_batch(batch) {
                break;
            }
        }
    }

    /// Stages, commits and answers one batch; true when asked to stop.
    fn run_batch(&mut self, batch: Vec<Job>) -> bool {
        let (mut staged, mut reads, mut stop, mut people) = (Vec::new(), Vec::new(), false, false);
        for job in batch {
            match job {
                Job::Read(f) => reads.push(f),
                Job::Stop => stop = true,
                job => {
                    people |= !matches!(job, Job::Ack { .. });
                    if let Some(s) = self.stage(job, &staged) {
                        staged.push(s);
                    }
                }
            }
        }
        if !staged.is_empty() {
            self.commit(staged, people);
        }
        if let Some(w) = &self.writer {
            for f in reads {
                f(w.state());
            }
        }
        stop
    }

    /// Makes and appends one job's entry; `None` when it was answered
    /// (refused) already.
    fn stage(&mut self, job: Job, batch: &[Staged]) -> Option<Staged> {
        let job = match self.again(job, batch) {
            Ok(done) => return Some(done),
            Err(job) => job,
        };
        let Some(writer) = self.writer.as_mut() else {
            if let Some(r) = reply_of(job) {
                let _ = r.send(Err(unavailable("the log could not be reopened")));
            }
            return None;
        };
        let (made, reply) = match job {
            Job::Ack { entry, reply } => (Ok(*entry), reply),
            Job::Enrol { who, date, reply } => (
                enrol_entry(writer.state(), &who.0, &who.1, date)
                    .and_then(|bytes| Checked::new(bytes).map_err(refused)),
                reply,
            ),
            Job::Leave { id, date, reply } => (
                entry::leave_bytes(&id, date)
                    .map_err(refused)
                    .and_then(|bytes| Checked::new(bytes).map_err(refused)),
                reply,
            ),
            Job::Read(_) | Job::Stop => return None,
        };
        let appended = made.and_then(|checked| {
            let bytes = checked.bytes().to_vec();
            let index = writer.append_checked(checked).map_err(refused)?;
            Ok((index, bytes))
        });
        match appended {
            Ok((index, bytes)) => Some(Staged {
                index,
                bytes,
                reply,
                again: false,
            }),
            Err(e) => {
                let _ = reply.send(Err(e));
                None
            }
        }
    }

    /// An acknowledgement identical to one the log holds already (the
    /// same key, payload and signature: a retry after an answer that was
    /// lost, say in a crash just after the commit) is answered with that
    /// entry's receipt, idempotently: `Ok` with it staged as `again`.
    /// Any other job comes back as `Err`.
    fn again(&self, job: Job, batch: &[Staged]) -> Result<Staged, Job> {
        let Job::Ack { entry, reply } = job else {
            return Err(job);
        };
        let earlier = match (&self.writer, entry.entry()) {
            (Some(w), Entry::Ack(record)) => match w.state().check_ack(record) {
                Err(Refusal::Duplicate { entry: earlier, .. }) => Some(earlier),
                _ => None,
            },
            _ => None,
        };
        let found = earlier.and_then(|index| {
            let bytes = self.entry_bytes(index, batch)?;
            same_ack(&bytes, entry.entry()).then_some((index, bytes))
        });
        match found {
            Some((index, bytes)) => Ok(Staged {
                index,
                bytes,
                reply,
                again: true,
            }),
            None => Err(Job::Ack { entry, reply }),
        }
    }

    /// The bytes of entry `index`: staged in this batch, or on disk.
    fn entry_bytes(&self, index: u64, batch: &[Staged]) -> Option<Vec<u8>> {
        if let Some(s) = batch.iter().find(|s| s.index == index && !s.again) {
            return Some(s.bytes.clone());
        }
        LogDir::new(&self.dir).entry(index).ok()
    }

    /// Commits the staged entries and answers each with its receipt; on a
    /// failure answers them all with it and reopens the log. A batch of
    /// acknowledgements sent again only is answered against the newest
    /// checkpoint, with no commit.
    fn commit(&mut self, staged: Vec<Staged>, people: bool) {
        if staged.iter().all(|s| s.again) {
            if let Some(head) = self.head.clone() {
                for s in staged {
                    let receipt = self.receipt(&head, s.index, s.bytes, true);
                    let _ = s.reply.send(receipt);
                }
            }
            return;
        }
        let Some(writer) = self.writer.as_mut() else {
            return;
        };
        let committed = writer.commit().map_err(DeskError::from).and_then(|head| {
            for s in staged.iter().filter(|s| !s.again) {
                debug_assert_eq!(s.index, self.tree.size());
                self.tree.push(merkle::leaf_hash(&s.bytes));
            }
            match merkle::root(&self.tree, head.checkpoint.size) {
                Ok(root)
                    if root == head.checkpoint.root && self.tree.size() == head.checkpoint.size =>
                {
                    Ok(head)
                }
                _ => Err(DeskError::TreeMismatch(head.checkpoint.size)),
            }
        });
        let head = match committed {
            Ok(head) => head,
            Err(e) => return self.fail(staged, e),
        };
        self.head = Some(head.clone());
        if people {
            if let Some(w) = &self.writer {
                self.publish_directory(w.state());
            }
        }
        for s in staged {
            let receipt = self.receipt(&head, s.index, s.bytes, s.again);
            let _ = s.reply.send(receipt);
        }
    }

    fn receipt(
        &self,
        head: &SignedCheckpoint,
        index: u64,
        bytes: Vec<u8>,
        again: bool,
    ) -> Result<Accepted, RequestError> {
        let proof = merkle::inclusion_proof(&self.tree, index, head.checkpoint.size)
            .map_err(unavailable)?;
        let receipt = TlogProof {
            extra: Some(bytes),
            index,
            proof,
            checkpoint: head.to_bytes(),
        }
        .to_bytes();
        Ok(Accepted {
            index,
            receipt,
            again,
        })
    }

    fn fail(&mut self, staged: Vec<Staged>, error: DeskError) {
        self.observer
            .note(&format!("commit failed: {error}; reopening the log"));
        for s in staged {
            let _ = s.reply.send(Err(unavailable(&error)));
        }
        if let Err(e) = self.open() {
            self.observer.note(&format!("cannot reopen the log: {e}"));
        }
    }
}

/// Whether the entry `bytes` is an acknowledgement with the same key,
/// payload and signature as `entry`.
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

fn reply_of(job: Job) -> Option<Reply> {
    match job {
        Job::Ack { reply, .. } | Job::Enrol { reply, .. } | Job::Leave { reply, .. } => Some(reply),
        Job::Read(_) | Job::Stop => None,
    }
}

fn refused(e: impl ToString) -> RequestError {
    RequestError::Refused(e.to_string())
}

/// The entry that enrols `key` for the link's employee: an enrolment, or a
/// key replacement when they are enrolled already.
fn enrol_entry(
    state: &State,
    link: &Link,
    key: &VerifyingKey,
    date: Date,
) -> Result<Vec<u8>, RequestError> {
    match state.employee(&link.id) {
        Some(e) if e.left.is_some() => Err(refused(format!("{} has left", link.id))),
        Some(_) => entry::key_bytes(&link.id, key, date).map_err(refused),
        None => entry::enrol_bytes(&link.id, &link.name, link.position.as_deref(), key, date)
            .map_err(refused),
    }
}
