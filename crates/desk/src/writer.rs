//! The queue in front of the log's one appender
//! ([`ackreg_core::log::append`]).
//!
//! Requests hand it jobs over a channel. Its task takes every job waiting,
//! adds each entry to the appender (a refused one is answered at once and
//! changes nothing), then has the appender commit them all together: one
//! write and one fsync per file, one signed checkpoint. Only then does it
//! answer each accepted request, with the receipt the appender made
//! against that checkpoint, so that an answer "accepted" always means "on
//! disk under a signed checkpoint". The log's lifecycle, its rules and its
//! receipts are the appender's; this module only queues and answers.
//!
//! The appender holds the log's lock only from a batch's first entry to
//! its commit ([`Hold::Batch`]), so that `ackreg log` commands write the
//! log while the desk serves it. Taking the lock, the appender first reads
//! what they committed, and checks the batch against that. Between
//! batches, at the start of each and at least every [`WATCH_EVERY`] when
//! none comes, the task asks the appender to read their entries without
//! the lock ([`Appender::refresh`]): one read of the checkpoint file when
//! nothing changed. The pages thus show a version published, an employee
//! enrolled or gone, a key revoked from the command line within a second.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ed25519_dalek::{SigningKey, VerifyingKey};
use time::Date;
use tokio::sync::oneshot;

use super::enrolment::Link;
use super::request::{self, RequestError};
use super::{DeskError, Observer};
use ackreg_core::fsutil::Wait;
use ackreg_core::keys::KeyId;
use ackreg_core::log::append::{Appender, Hold, Retry, TreeSource};
use ackreg_core::log::entry;
use ackreg_core::log::state::{Published, State};
use ackreg_core::log::status::{self, Phase};
use ackreg_core::log::store::CACHE_SYNC_EVERY;
use ackreg_core::log::Checked;

pub use ackreg_core::log::append::Accepted;

/// Most committed entries the caches may lag behind before a commit
/// syncs them itself; below it the writer syncs them when idle.
pub const CACHE_SYNC_AT_MOST: u64 = 16 * CACHE_SYNC_EVERY;

/// Most jobs committed together.
pub const MAX_BATCH: usize = 2048;

/// How long the task, with nothing to do, waits before it looks again
/// for entries other writers committed.
pub const WATCH_EVERY: Duration = Duration::from_secs(1);

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
    /// Entries written all together or not at all, in one commit of
    /// their own: an administrator's request and the entries it names.
    Group {
        entries: Vec<Vec<u8>>,
        replies: Vec<Reply>,
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

/// A named administrator as the desk needs them, from the log.
#[derive(Debug, Clone)]
pub struct AdminPerson {
    /// Name.
    pub name: String,
    /// Their current key's id.
    pub keyid: KeyId,
    /// Their current key.
    pub key: VerifyingKey,
    /// The first day of their current key.
    pub from: Date,
    /// Their first day without the role, if dismissed.
    pub until: Option<Date>,
}

impl AdminPerson {
    /// Whether they are an administrator on `day`.
    pub fn serves(&self, day: Date) -> bool {
        self.from <= day && self.until.is_none_or(|u| day < u)
    }
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
    /// Every published version, in log order (the desk writes none: they
    /// come from `ackreg log publish`, read as the log's other entries).
    pub versions: Vec<Published>,
    /// The body that keeps the log.
    pub body: String,
    /// The log's origin.
    pub origin: String,
    /// Named administrators by identifier.
    pub admins: HashMap<String, AdminPerson>,
    /// Counts the directories made: a new one means the people, the
    /// versions or the administrators may have changed (acknowledgements
    /// alone make none).
    pub generation: u64,
}

impl Directory {
    fn of(state: &State) -> Directory {
        let today = ackreg_core::clock::today();
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
                // A departure dated in the future ends nothing yet.
                left: e.left.is_some_and(|(d, _)| d <= today),
            };
            d.people.insert(e.id.clone(), person);
        }
        for (i, v) in state.versions().iter().enumerate() {
            d.documents.insert(v.version.sha256, i);
        }
        d.versions = state.versions().to_vec();
        for a in state.admins() {
            if let Some(k) = a.keys.last() {
                let person = AdminPerson {
                    name: a.name().to_string(),
                    keyid: k.keyid,
                    key: k.key,
                    from: k.from,
                    until: a.until(),
                };
                d.admins.insert(a.id.clone(), person);
            }
        }
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
    jobs: Sender<Job>,
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
    /// The log's appender; none after a failed commit whose reopening
    /// failed too.
    appender: Option<Appender>,
    directory: Arc<RwLock<Directory>>,
    /// How many entries of other writers the directory includes (see
    /// [`Appender::caught_up`]).
    seen: u64,
    observer: Arc<dyn Observer>,
}

fn unavailable(e: impl ToString) -> RequestError {
    RequestError::Unavailable(e.to_string())
}

impl Handle {
    /// Opens the log in `dir` (waiting while another process writes it)
    /// and starts the writer task.
    pub fn start(
        dir: &Path,
        key: SigningKey,
        observer: Arc<dyn Observer>,
    ) -> Result<Handle, DeskError> {
        let mut task = Task {
            dir: dir.to_path_buf(),
            key,
            appender: None,
            directory: Arc::new(RwLock::new(Directory::default())),
            seen: 0,
            observer,
        };
        task.open()?;
        let directory = task.directory.clone();
        let (jobs, rx) = mpsc::channel();
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

    /// Appends `entries` (each entry's exact bytes, in order) all in one
    /// commit, or none of them: if the log refuses one, nothing is
    /// written and the answer is that refusal. The entries' receipts, in
    /// order.
    pub async fn group(&self, entries: Vec<Vec<u8>>) -> Result<Vec<Accepted>, RequestError> {
        let (replies, answers): (Vec<_>, Vec<_>) =
            (0..entries.len()).map(|_| oneshot::channel()).unzip();
        self.jobs
            .send(Job::Group { entries, replies })
            .map_err(|_| unavailable("the writer stopped"))?;
        let mut accepted = Vec::with_capacity(answers.len());
        for answer in answers {
            accepted.push(
                answer
                    .await
                    .map_err(|_| unavailable("the writer stopped"))??,
            );
        }
        Ok(accepted)
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

    /// [`Handle::read`], with the generation of the directory of that
    /// state (both are the writer's: read on its thread, they agree).
    pub async fn read_with_generation<T: Send + 'static>(
        &self,
        f: impl FnOnce(&State) -> T + Send + 'static,
    ) -> Result<(T, u64), RequestError> {
        let directory = self.directory.clone();
        self.read(move |state| {
            let generation = directory
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .generation;
            (f(state), generation)
        })
        .await
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

impl Task {
    /// Opens the log's appender, its tree's hashes read into memory once,
    /// answering acknowledgements sent again with their receipt, holding
    /// the lock per batch. If another process writes the log, it waits.
    fn open(&mut self) -> Result<(), DeskError> {
        self.appender = None;
        let appender = Appender::open(
            &self.dir,
            self.key.clone(),
            Wait::Yes,
            waiting(self.observer.clone()),
            TreeSource::Memory,
        )?
        .retries(Retry::Answer)
        .hold(Hold::Batch)
        .sync_caches_every(CACHE_SYNC_AT_MOST)
        .on_wait(waiting(self.observer.clone()));
        publish(&self.directory, appender.state());
        self.seen = appender.caught_up();
        self.appender = Some(appender);
        Ok(())
    }

    fn run(mut self, rx: Receiver<Job>) {
        let mut watched = Instant::now();
        loop {
            let first = match rx.recv_timeout(WATCH_EVERY.saturating_sub(watched.elapsed())) {
                Ok(job) => job,
                Err(RecvTimeoutError::Timeout) => {
                    self.refresh();
                    self.sync_when_idle();
                    watched = Instant::now();
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => break,
            };
            self.refresh();
            watched = Instant::now();
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

    /// Adds, commits and answers one batch; true when asked to stop.
    fn run_batch(&mut self, batch: Vec<Job>) -> bool {
        let (mut added, mut reads, mut stop, mut people) = (Vec::new(), Vec::new(), false, false);
        for job in batch {
            match job {
                Job::Read(f) => reads.push(f),
                Job::Stop => stop = true,
                Job::Group { entries, replies } => {
                    // A group is committed on its own: what was added
                    // before it first, so that a refusal inside the group
                    // undoes only the group.
                    if !added.is_empty() {
                        self.commit(std::mem::take(&mut added), people);
                    }
                    self.group(entries, replies);
                }
                job => {
                    people |= !matches!(job, Job::Ack { .. });
                    if let Some(reply) = self.add(job) {
                        added.push(reply);
                    }
                }
            }
        }
        if !added.is_empty() {
            self.commit(added, people);
        }
        if let Some(a) = self.appender.as_mut() {
            // A batch whose every entry was refused took the lock too.
            a.release();
        }
        if let Some(a) = &self.appender {
            for f in reads {
                f(a.state());
            }
        }
        stop
    }

    /// Makes one job's entry and adds it; its reply, to answer after the
    /// commit, or `None` when it was answered (refused) already.
    fn add(&mut self, job: Job) -> Option<Reply> {
        let Some(appender) = self.appender.as_mut() else {
            if let Some(r) = reply_of(job) {
                let _ = r.send(Err(unavailable("the log could not be reopened")));
            }
            return None;
        };
        // The batch begins: the lock taken, other writers' entries read,
        // so that an entry is made from the state as it is now.
        if let Err(e) = appender.begin() {
            if let Some(r) = reply_of(job) {
                let _ = r.send(Err(unavailable(&e)));
            }
            self.observer
                .note(&format!("cannot begin a batch: {e}; reopening the log"));
            if let Err(e) = self.open() {
                self.observer.note(&format!("cannot reopen the log: {e}"));
            }
            return None;
        }
        let (made, reply) = match job {
            Job::Ack { entry, reply } => (Ok(*entry), reply),
            Job::Enrol { who, date, reply } => (
                enrol_entry(appender.state(), &who.0, &who.1, date)
                    .and_then(|bytes| Checked::new(bytes).map_err(refused)),
                reply,
            ),
            Job::Leave { id, date, reply } => (
                entry::leave_bytes(&id, date)
                    .map_err(refused)
                    .and_then(|bytes| Checked::new(bytes).map_err(refused)),
                reply,
            ),
            Job::Group { .. } | Job::Read(_) | Job::Stop => return None,
        };
        match made.and_then(|checked| appender.add(checked).map_err(refused)) {
            Ok(_) => Some(reply),
            Err(e) => {
                let _ = reply.send(Err(e));
                None
            }
        }
    }

    /// Adds a group's entries and commits them together; if the log
    /// refuses one, answers every reply with that refusal and drops what
    /// was added by reopening the log (nothing of the group was written).
    fn group(&mut self, entries: Vec<Vec<u8>>, replies: Vec<Reply>) {
        let Some(appender) = self.appender.as_mut() else {
            for r in replies {
                let _ = r.send(Err(unavailable("the log could not be reopened")));
            }
            return;
        };
        let mut refusal = appender.begin().err().map(unavailable);
        let mut added = 0;
        for bytes in entries {
            if refusal.is_some() {
                break;
            }
            match Checked::new(bytes).map_err(refused) {
                Ok(checked) => match appender.add(checked) {
                    Ok(_) => added += 1,
                    Err(e) => refusal = Some(refused(e)),
                },
                Err(e) => refusal = Some(e),
            }
        }
        let Some(refusal) = refusal else {
            return self.commit(replies, true);
        };
        for r in replies {
            let again = match &refusal {
                RequestError::Unavailable(why) => RequestError::Unavailable(why.clone()),
                RequestError::Refused(why) => RequestError::Refused(why.clone()),
                other => RequestError::Refused(other.to_string()),
            };
            let _ = r.send(Err(again));
        }
        if added > 0 {
            // The appender holds entries that must not be written: read
            // the log again from its files.
            if let Err(e) = self.open() {
                self.observer.note(&format!("cannot reopen the log: {e}"));
            }
        } else if let Some(a) = self.appender.as_mut() {
            a.release();
        }
    }

    /// Commits the entries added and answers each with its receipt; on a
    /// failure answers them all with it and reopens the log.
    fn commit(&mut self, replies: Vec<Reply>, people: bool) {
        let Some(appender) = self.appender.as_mut() else {
            return;
        };
        let committed = match appender.commit() {
            Ok(committed) => committed,
            Err(e) => return self.fail(replies, DeskError::from(e)),
        };
        // Taking the lock, the appender may have read other writers'
        // entries.
        if people || appender.caught_up() != self.seen {
            publish(&self.directory, appender.state());
            self.seen = appender.caught_up();
        }
        for (reply, accepted) in replies.into_iter().zip(committed.accepted) {
            let _ = reply.send(accepted.map_err(unavailable));
        }
    }

    /// Reads what other writers committed since (without the lock) and,
    /// if there was anything, shows it to the requests; on a failure
    /// reopens the log.
    /// Syncs the log's caches and writes the state's snapshot while no
    /// request waits, once [`CACHE_SYNC_EVERY`] entries are unsynced, so
    /// that commits under load never wait for it (they do only past
    /// [`CACHE_SYNC_AT_MOST`]).
    fn sync_when_idle(&mut self) {
        let Some(appender) = self.appender.as_mut() else {
            return;
        };
        if appender.unsynced() < CACHE_SYNC_EVERY {
            return;
        }
        if let Err(e) = appender.sync_caches() {
            self.observer
                .note(&format!("cannot sync the log's caches now: {e}"));
        }
    }

    fn refresh(&mut self) {
        let Some(appender) = self.appender.as_mut() else {
            return;
        };
        match appender.refresh() {
            Ok(false) => {}
            Ok(true) => {
                publish(&self.directory, appender.state());
                self.seen = appender.caught_up();
            }
            Err(e) => {
                self.observer.note(&format!(
                    "cannot read what another writer appended: {e}; reopening the log"
                ));
                if let Err(e) = self.open() {
                    self.observer.note(&format!("cannot reopen the log: {e}"));
                }
            }
        }
    }

    fn fail(&mut self, replies: Vec<Reply>, error: DeskError) {
        self.observer
            .note(&format!("commit failed: {error}; reopening the log"));
        for reply in replies {
            let _ = reply.send(Err(unavailable(&error)));
        }
        if let Err(e) = self.open() {
            self.observer.note(&format!("cannot reopen the log: {e}"));
        }
    }
}

/// Tells the operator that the desk waits for the log's lock, which an
/// `ackreg log` command holds: `desk: waiting: DIR/entries.lock is held by
/// another ackreg run (pid N)`.
fn waiting(observer: Arc<dyn Observer>) -> impl FnMut(&Path, &str) + Send + 'static {
    move |path, holder| {
        observer.note(&format!(
            "waiting: {} is held by another ackreg run ({holder})",
            path.display()
        ));
    }
}

/// Makes the directory the one of `state`.
fn publish(directory: &RwLock<Directory>, state: &State) {
    let mut d = Directory::of(state);
    let mut kept = directory
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    d.generation = kept.generation + 1;
    *kept = d;
}

fn reply_of(job: Job) -> Option<Reply> {
    match job {
        Job::Ack { reply, .. } | Job::Enrol { reply, .. } | Job::Leave { reply, .. } => Some(reply),
        Job::Group { .. } | Job::Read(_) | Job::Stop => None,
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
        Some(e) if e.left.is_some_and(|(d, _)| d <= date) => {
            Err(refused(format!("{} has left", link.id)))
        }
        // Someone who joined before they had a key gets their first one,
        // under the name and position the log has for them.
        Some(e) if e.keys.is_empty() => {
            let first = date.max(e.enrolled);
            let now = e.on(first);
            entry::enrol_bytes(&link.id, &now.name, now.position.as_deref(), key, first)
                .map_err(refused)
        }
        Some(_) => entry::key_bytes(&link.id, key, date).map_err(refused),
        None => entry::enrol_bytes(&link.id, &link.name, link.position.as_deref(), key, date)
            .map_err(refused),
    }
}
