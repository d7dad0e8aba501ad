//! Auditing a log folder offline, in numbered steps.
//!
//! The auditor brings the issuer's public key (or its key id) from a
//! trusted source, and may bring the checkpoint of an earlier audit. Steps:
//!
//! 1. **checkpoint**: the newest checkpoint is a C2SP signed note whose
//!    signature by the issuer (key name = origin) verifies.
//! 2. **since** (with an old checkpoint): the old checkpoint is the issuer's
//!    too, and a consistency proof shows the log is an append-only
//!    extension of it; two checkpoints of one size with different roots, or
//!    an old one the log does not extend, are proof of tampering.
//! 3. **tree**: the entries rebuild the checkpoint's root (RFC 9162), and
//!    every checkpoint kept in the folder is a head of the same tree.
//! 4. **entries**: every entry is well formed, in its one canonical spelling.
//! 5. **history**: the first entry names this origin and issuer; every
//!    version, enrolment, key replacement, revocation and departure is
//!    allowed where it stands ([`State::apply`]); every administrator's
//!    request is theirs, of this log, and followed by exactly the entries
//!    it names (their SHA-256), none missing at the log's end.
//! 6. **acknowledgements**: every acknowledgement's signature verifies with
//!    the key it names, and that key was the employee's valid key where the
//!    entry stands and on its date; the document is a published version in
//!    effect on that date; it was not received before it was signed; no
//!    employee acknowledged the same version twice.
//! 7. **store**: the index and the stored interior hashes agree with the
//!    entries, so that proofs made from them are right.
//! 8. (an annex PDF only, see [`super::annex`]) the printed pages.
//! 9. **timestamps**: every RFC 3161 time stamp kept beside a checkpoint is
//!    over that checkpoint's signed note, signed by a time stamping
//!    certificate and, with the auditor's trust anchors, chains to one;
//!    each then bounds when the acknowledgements before it existed.
//! 10. to 12. (an eDoc container only, see [`super::container`]) the
//!     rules PDFs, the files the log accounts for, and the XAdES references.
//!
//! With an old checkpoint, steps 3 to 7 look only at the entries after it:
//! the state before it (versions, employees, keys) is read from the entries
//! the index marks as such, each proved by an inclusion proof against the
//! old root. The entries are streamed: memory grows with the number of
//! employees, not with the size of the log.

use std::fs::File;
use std::io::{BufReader, Read};
use std::ops::Range;
use std::sync::Arc;

use ed25519_dalek::{Signature, VerifyingKey};
use rayon::prelude::*;
use serde::Serialize;

use super::entry::{self, Entry, Kind};
use super::inplace::{self, AckInPlace, Buffers, Signer};
use super::state::State;
use super::store::{read_checkpoint, LogDir, StoreError, INDEX_RECORD};
use crate::keys::KeyId;
use crate::outcome::{Outcome, StepId};
use crate::text::printable;
use crate::verify::{IssuerKey, Progress, SignatureCheck};
use tlog::checkpoint::SignedCheckpoint;
use tlog::merkle::{self, CompactRange, Hash};

/// Bytes of the entries file read and checked at a time.
const CHUNK_BYTES: usize = 8 << 20;
/// Signatures verified in one batch, at most: batches of 2,048 cost a
/// sixth less per signature than batches of 256, and 8,192 a twentieth
/// less again than 4,096 at a million entries (docs/PERFORMANCE.md, the
/// strict floor's sweep). A chunk's lines are cut into batches of equal
/// size ([`even`]), about 4,800 for a chunk of 8 MB, so that none is a
/// short remainder; with two in flight per core instead of three before,
/// as many entries are in flight as with three of about 3,200.
const BATCH: usize = 8192;
/// Signatures verified in one batch, at least (unless fewer are left).
const MIN_BATCH: usize = 32;
/// Most problems listed per step before the rest are only counted.
const MAX_LISTED: usize = 1000;

/// A step of the audit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogStep {
    /// 1. The newest checkpoint's signature.
    Checkpoint,
    /// 2. Consistency with the auditor's old checkpoint.
    Since,
    /// 3. The entries rebuild the checkpoints' roots.
    Tree,
    /// 4. Every entry is well formed.
    Entries,
    /// 5. The history of versions, employees and keys.
    History,
    /// 6. Every acknowledgement.
    Acknowledgements,
    /// 7. The index and interior hashes.
    Store,
    /// 8. (Annex PDF only) the printed pages.
    Annex,
    /// 9. The time stamps kept beside the checkpoints.
    Timestamps,
    /// 10. (eDoc container only) every version's rules PDF.
    Documents,
    /// 11. (eDoc container only) every file is one the log accounts for.
    Files,
    /// 12. (eDoc container only) every XAdES reference's digest.
    Seals,
}

impl LogStep {
    /// The step's number.
    pub fn number(self) -> u8 {
        self as u8 + 1
    }

    /// One word.
    pub fn name(self) -> &'static str {
        match self {
            LogStep::Checkpoint => "checkpoint",
            LogStep::Since => "since",
            LogStep::Tree => "tree",
            LogStep::Entries => "entries",
            LogStep::History => "history",
            LogStep::Acknowledgements => "acknowledgements",
            LogStep::Store => "store",
            LogStep::Annex => "annex",
            LogStep::Timestamps => "timestamps",
            LogStep::Documents => "documents",
            LogStep::Files => "files",
            LogStep::Seals => "seals",
        }
    }
}

impl StepId for LogStep {
    fn number(self) -> u8 {
        LogStep::number(self)
    }

    fn name(self) -> &'static str {
        LogStep::name(self)
    }
}

/// One step's result.
pub type StepResult = crate::outcome::StepResult<LogStep>;

/// Something wrong with one entry.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    /// The entry's index (from 0).
    pub index: u64,
    /// The step that found it.
    pub step: LogStep,
    /// What is wrong.
    pub problem: String,
}

/// Two signed checkpoints that cannot both be heads of one append-only log.
#[derive(Debug, Clone, Serialize)]
pub struct Fork {
    /// The first, as signed (note text and signatures).
    pub first: String,
    /// The second.
    pub second: String,
    /// Why they conflict.
    pub why: String,
}

/// What the audit found.
#[derive(Debug, Serialize)]
pub struct LogReport {
    /// The steps, in order.
    pub steps: Vec<StepResult>,
    /// Problems with entries.
    pub problems: Vec<Problem>,
    /// Conflicting checkpoints, printed for the record.
    pub forks: Vec<Fork>,
    /// The newest checkpoint, as signed.
    pub checkpoint: Option<String>,
    /// Its origin.
    pub origin: Option<String>,
    /// Its size.
    pub size: u64,
    /// The first entry audited (0, or the old checkpoint's size).
    pub from: u64,
    /// Bytes after the last committed entry (an append that did not finish).
    pub unfinished_bytes: u64,
    /// The log's state at the checkpoint (not serialised).
    #[serde(skip)]
    pub state: Option<State>,
    /// The verified checkpoint (not serialised).
    #[serde(skip)]
    pub head: Option<SignedCheckpoint>,
    /// The time stamps found, each with what it proves or why it failed.
    pub stamps: Vec<super::stamp::StampReport>,
}

impl LogReport {
    fn new() -> LogReport {
        LogReport {
            steps: Vec::new(),
            problems: Vec::new(),
            forks: Vec::new(),
            checkpoint: None,
            origin: None,
            size: 0,
            from: 0,
            unfinished_bytes: 0,
            state: None,
            head: None,
            stamps: Vec::new(),
        }
    }

    /// True when a step ran, none failed ([`crate::outcome::held`]), no
    /// entry has a problem and no checkpoints conflict.
    pub fn is_valid(&self) -> bool {
        self.found_nothing_wrong() && crate::outcome::held(&self.steps)
    }

    /// [`LogReport::is_valid`] with step `excused` allowed to fail
    /// ([`crate::outcome::held_excusing`]).
    pub fn is_valid_excusing(&self, excused: LogStep) -> bool {
        self.found_nothing_wrong() && crate::outcome::held_excusing(&self.steps, excused)
    }

    /// What the audit checks besides its steps: a step ran, no entry has a
    /// problem, no checkpoints conflict.
    fn found_nothing_wrong(&self) -> bool {
        !self.steps.is_empty() && self.problems.is_empty() && self.forks.is_empty()
    }

    /// Adds a step result.
    pub fn push(&mut self, step: LogStep, outcome: Outcome) {
        self.steps.push(StepResult::printable(step, outcome, 600));
    }

    fn problems_of(&self, step: LogStep) -> usize {
        self.problems.iter().filter(|p| p.step == step).count()
    }
}

/// What the auditor brings besides the issuer's key.
#[derive(Debug, Default)]
pub struct AuditOptions {
    /// The checkpoint of an earlier audit (its bytes), for an incremental audit.
    pub since: Option<Vec<u8>>,
    /// How signatures are checked.
    pub check: SignatureCheck,
    /// The trust anchors (and untrusted intermediates) for time stamp
    /// authorities; without them a time stamp is reported as present but
    /// not trusted.
    pub tsa_anchors: Option<crate::tsa::TrustStore>,
}

/// Audits the log in `log`. I/O errors that make an audit impossible are
/// `Err`; everything the audit finds wrong is in the report.
pub fn audit(
    log: &LogDir,
    issuer: &IssuerKey,
    options: &AuditOptions,
    progress: &dyn Progress,
) -> Result<LogReport, StoreError> {
    let mut report = LogReport::new();
    // Step 1.
    let Some((head, key)) = step_checkpoint(log, issuer, &mut report)? else {
        return Ok(report);
    };
    let size = head.checkpoint.size;
    // Step 2.
    let old = match &options.since {
        Some(bytes) => match step_since(log, &head, &key, bytes, &mut report) {
            Some(old) => Some(old),
            None => return Ok(report),
        },
        None => {
            report.push(
                LogStep::Since,
                Outcome::Skipped("no earlier checkpoint given: a full audit".into()),
            );
            None
        }
    };
    // Steps 3 to 7.
    let mut scan = Scan::start(log, &head, &key, old.as_ref(), options.check, &mut report)?;
    progress.start(size - scan.next);
    scan.run(log, size, progress, &mut report)?;
    progress.finish();
    scan.finish(&head, &mut report)?;
    // Step 9.
    step_timestamps(log, &key, size, options.tsa_anchors.as_ref(), &mut report);
    Ok(report)
}

/// Step 9: the time stamps kept beside the checkpoints (see
/// [`super::stamp::step`]).
fn step_timestamps(
    log: &LogDir,
    key: &VerifyingKey,
    size: u64,
    anchors: Option<&crate::tsa::TrustStore>,
    report: &mut LogReport,
) {
    let (outcome, stamps) = super::stamp::step(log, key, size, anchors);
    report.push(LogStep::Timestamps, outcome);
    report.stamps = stamps;
}

/// Step 1: the newest checkpoint and the issuer's key.
fn step_checkpoint(
    log: &LogDir,
    issuer: &IssuerKey,
    report: &mut LogReport,
) -> Result<Option<(SignedCheckpoint, VerifyingKey)>, StoreError> {
    let head = match log.checkpoint() {
        Ok(h) => h,
        Err(e @ StoreError::Checkpoint { .. }) => {
            report.push(LogStep::Checkpoint, Outcome::Failed(e.to_string()));
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    report.checkpoint = Some(String::from_utf8_lossy(&head.to_bytes()).into_owned());
    report.origin = Some(head.checkpoint.origin.clone());
    report.size = head.checkpoint.size;
    let key = match issuer_key(log, issuer) {
        Ok(k) => k,
        Err(why) => {
            report.push(LogStep::Checkpoint, Outcome::Failed(why));
            return Ok(None);
        }
    };
    if let Err(e) = head.verify(&key) {
        report.push(
            LogStep::Checkpoint,
            Outcome::Failed(format!(
                "not signed by the issuer's key {}: {e}",
                KeyId::of(&key)
            )),
        );
        return Ok(None);
    }
    report.push(
        LogStep::Checkpoint,
        Outcome::Passed(format!(
            "{} entries, signed by {} with key {}",
            head.checkpoint.size,
            head.checkpoint.origin,
            KeyId::of(&key)
        )),
    );
    report.head = Some(head.clone());
    Ok(Some((head, key)))
}

/// The issuer's key: the auditor's, or the first entry's when the auditor
/// gave its key id (and then it must match).
fn issuer_key(log: &LogDir, issuer: &IssuerKey) -> Result<VerifyingKey, String> {
    match issuer {
        IssuerKey::Key(k) => Ok(*k),
        IssuerKey::KeyId(id) => {
            let first = log
                .entry(0)
                .map_err(|e| format!("cannot read the first entry: {e}"))?;
            match entry::parse(&first) {
                Ok(Entry::Log { issuer_key, .. }) if KeyId::of(&issuer_key) == *id => {
                    Ok(issuer_key)
                }
                Ok(Entry::Log { issuer_key, .. }) => Err(format!(
                    "the log's issuer key is {}, not the key id given ({id})",
                    KeyId::of(&issuer_key)
                )),
                _ => Err("the first entry is not a valid log entry".into()),
            }
        }
    }
}

/// Step 2: the old checkpoint, verified and proved consistent.
fn step_since(
    log: &LogDir,
    head: &SignedCheckpoint,
    key: &VerifyingKey,
    bytes: &[u8],
    report: &mut LogReport,
) -> Option<SignedCheckpoint> {
    let fail = |report: &mut LogReport, why: String| {
        report.push(LogStep::Since, Outcome::Failed(why));
        None
    };
    let old = match SignedCheckpoint::parse(bytes) {
        Ok(o) => o,
        Err(e) => return fail(report, format!("the old checkpoint does not parse: {e}")),
    };
    if old.checkpoint.origin != head.checkpoint.origin {
        return fail(
            report,
            format!(
                "the old checkpoint is of another log ({})",
                old.checkpoint.origin
            ),
        );
    }
    if let Err(e) = old.verify(key) {
        return fail(
            report,
            format!("the old checkpoint is not signed by the issuer: {e}"),
        );
    }
    if let Some(why) = inconsistency(log, &old, head) {
        report.forks.push(fork(&old, head, why.clone()));
        return fail(report, format!("proof of tampering: {why}"));
    }
    report.from = old.checkpoint.size;
    report.push(
        LogStep::Since,
        Outcome::Passed(format!(
            "the log extends the old checkpoint of {} (consistency proof verified); {} added since",
            counted(old.checkpoint.size, "entry", "entries"),
            counted(
                head.checkpoint.size - old.checkpoint.size,
                "entry",
                "entries"
            )
        )),
    );
    Some(old)
}

/// Why two signed checkpoints of one log cannot both be honest, if they
/// cannot: a consistency proof from the smaller to the larger, made from
/// the stored tree, must verify.
fn inconsistency(log: &LogDir, a: &SignedCheckpoint, b: &SignedCheckpoint) -> Option<String> {
    let (small, large) = if a.checkpoint.size <= b.checkpoint.size {
        (a, b)
    } else {
        (b, a)
    };
    let (m, n) = (small.checkpoint.size, large.checkpoint.size);
    let held = log.checkpoint().map_or(0, |c| c.checkpoint.size);
    if n > held {
        return Some(format!(
            "the issuer signed a checkpoint of {n} entries, the log holds only {held}: entries were removed"
        ));
    }
    if m == n {
        return (small.checkpoint.root != large.checkpoint.root)
            .then(|| format!("two checkpoints of {m} entries with different roots"));
    }
    if m == 0 {
        return None;
    }
    let proof = match log.consistency_proof(m, n) {
        Ok(p) => p,
        Err(e) => return Some(format!("no consistency proof from {m} to {n} entries: {e}")),
    };
    merkle::verify_consistency(m, n, &small.checkpoint.root, &large.checkpoint.root, &proof)
        .err()
        .map(|e| format!("the log of {n} entries does not extend the checkpoint of {m}: {e}"))
}

fn fork(a: &SignedCheckpoint, b: &SignedCheckpoint, why: String) -> Fork {
    Fork {
        first: String::from_utf8_lossy(&a.to_bytes()).into_owned(),
        second: String::from_utf8_lossy(&b.to_bytes()).into_owned(),
        why,
    }
}

/// One entry read from the entries file and checked on its own.
struct Read1 {
    leaf: Hash,
    len: u64,
    parsed: Parsed,
    signature_ok: bool,
}

/// An entry as it was read on the pool.
enum Parsed {
    /// An acknowledgement in the one spelling ackreg writes, read in place
    /// (`super::inplace`): its message and texts are in the batch's buffer.
    InPlace(AckInPlace),
    /// Any other entry, or one spelt otherwise (few in a log: boxed, so
    /// that the batch's common entries stay small).
    Whole(Box<Whole>),
}

/// An entry parsed whole.
struct Whole {
    /// The entry, or why it is not one.
    parsed: Result<Entry, entry::EntryError>,
    /// The SHA-256 of its bytes, for an administrator's request that names
    /// it (not computed for acknowledgements read in place, which no
    /// request may authorise).
    sha256: [u8; 32],
}

impl Parsed {
    fn kind(&self) -> Option<Kind> {
        match self {
            Parsed::InPlace(_) => Some(Kind::Ack),
            Parsed::Whole(whole) => whole.parsed.as_ref().map(Entry::kind).ok(),
        }
    }
}

/// A batch of entries read on the pool: the entries, the buffer that holds
/// the messages their signatures are over (with the payloads of the
/// entries read in place), and the signatures to verify.
#[derive(Default)]
struct Batch {
    read: Vec<Read1>,
    buf: Buffers,
    signed: Signatures,
}

impl Batch {
    /// Empties it, keeping its memory.
    fn clear(&mut self) {
        self.read.clear();
        self.buf.clear();
        self.signed.clear();
    }

    /// The memory it holds, in bytes.
    fn capacity(&self) -> usize {
        self.read.capacity() * std::mem::size_of::<Read1>()
            + self.buf.capacity()
            + self.signed.capacity()
    }
}

/// Batches already applied, for batches to come: fresh pages cost the
/// kernel time, and a million entries pass through a few batches' memory.
#[derive(Clone, Default)]
struct Spare(Arc<std::sync::Mutex<Vec<Batch>>>);

impl Spare {
    /// A batch, empty.
    fn take(&self) -> Batch {
        let mut batch = self
            .0
            .lock()
            .ok()
            .and_then(|mut s| s.pop())
            .unwrap_or_default();
        batch.clear();
        batch
    }

    /// Keeps `batch` for another, unless it grew unusually large.
    fn give(&self, batch: Batch) {
        if batch.capacity() <= 32 << 20 {
            if let Ok(mut spare) = self.0.lock() {
                spare.push(batch);
            }
        }
    }
}

/// The streaming part of the audit: steps 3 to 7 over the entries from
/// `next` to the checkpoint's size.
struct Scan {
    state: State,
    range: CompactRange,
    next: u64,
    offset: u64,
    check: SignatureCheck,
    /// Sizes of kept checkpoints to compare roots at, and those checkpoints.
    kept: Vec<(u64, SignedCheckpoint)>,
    roots: Vec<(u64, Hash)>,
    store: StoreCheck,
    counts: [u64; Kind::ALL.len()],
    spare: Spare,
}

impl Scan {
    /// Sets up the scan: the state and the tree before the first entry to
    /// read, and the checkpoints kept in the folder.
    fn start(
        log: &LogDir,
        head: &SignedCheckpoint,
        key: &VerifyingKey,
        old: Option<&SignedCheckpoint>,
        check: SignatureCheck,
        report: &mut LogReport,
    ) -> Result<Scan, StoreError> {
        let from = old.map_or(0, |o| o.checkpoint.size);
        let (state, range, offset) = match old {
            None => (State::new(), CompactRange::new(), 0),
            Some(o) => prior_state(log, o, report)?,
        };
        let kept = kept_checkpoints(log, head, key, from, check, report)?;
        Ok(Scan {
            state,
            range,
            next: from,
            offset,
            check,
            kept,
            roots: Vec::new(),
            store: StoreCheck::open(log, from),
            counts: [0; Kind::ALL.len()],
            spare: Spare::default(),
        })
    }

    /// Reads and checks the entries up to `size`, as an ordered pipeline:
    /// the entries are cut into batches that are hashed, parsed and
    /// verified on all cores, at most [`ahead`] batches ahead, while this
    /// thread reads the file and applies each batch in log order as soon as
    /// it is ready. No core waits at a chunk's end for another's last batch.
    fn run(
        &mut self,
        log: &LogDir,
        size: u64,
        progress: &dyn Progress,
        report: &mut LogReport,
    ) -> Result<(), StoreError> {
        let path = log.entries_path();
        let io = |error| StoreError::Io {
            path: path.clone(),
            error,
        };
        let mut file = File::open(&path).map_err(io)?;
        std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(self.offset)).map_err(io)?;
        let cores = rayon::current_num_threads();
        let batch = batch_size((size - self.next) as usize, cores);
        let mut feed = Feed::start(file, size - self.next).map_err(io)?;
        let mut inflight = std::collections::VecDeque::new();
        loop {
            while inflight.len() < ahead(cores) {
                let Some((lines, range)) = feed.next_batch(batch).map_err(io)? else {
                    break;
                };
                inflight.push_back(spawn_batch(lines, range, self.check, self.spare.clone()));
            }
            let Some(ready) = inflight.pop_front() else {
                break;
            };
            let batch = receive(ready).unwrap_or_default();
            self.apply_all(&batch, progress, report);
            self.spare.give(batch);
        }
        report.unfinished_bytes = feed.unfinished();
        Ok(())
    }

    /// Applies a batch's entries in log order.
    fn apply_all(&mut self, batch: &Batch, progress: &dyn Progress, report: &mut LogReport) {
        let count = batch.read.len() as u64;
        for r in &batch.read {
            self.apply(r, &batch.buf.texts, report);
        }
        if count > 0 {
            progress.advance(count);
        }
    }

    /// Applies one entry in log order: tree, store, history, acknowledgements.
    /// `texts` are its batch's.
    fn apply(&mut self, r: &Read1, texts: &str, report: &mut LogReport) {
        let index = self.next;
        self.next += 1;
        self.offset += r.len + 1;
        // Cannot fail: leaves are pushed one by one from a size < 2^64.
        let (store, size) = (&mut self.store, self.next);
        let _ = self.range.push_telling(r.leaf, |level, node| {
            store.node(level, (size >> level) - 1, node);
        });
        // `kept` is in size order (the folder's history is sorted).
        if self
            .kept
            .binary_search_by_key(&self.next, |(n, _)| *n)
            .is_ok()
        {
            self.roots.push((self.next, self.range.root()));
        }
        self.store
            .entry(index, &r.leaf, self.offset, r.parsed.kind());
        if let Some((step, problem)) = self.judge(index, r, texts) {
            if report.problems.len() < MAX_LISTED * 3 {
                report.problems.push(Problem {
                    index,
                    step,
                    problem: printable(&problem, 400),
                });
            }
        }
    }

    /// Applies the entry at `index` to the history, counting it; what is
    /// wrong with it, if anything.
    fn judge(&mut self, index: u64, r: &Read1, texts: &str) -> Option<(LogStep, String)> {
        let applied = match &r.parsed {
            Parsed::Whole(w) => match &w.parsed {
                Err(e) => return self.refused(index, LogStep::Entries, e.to_string()),
                Ok(Entry::Ack(_)) if !r.signature_ok => return self.bad_signature(index),
                Ok(parsed) => self.state.apply_with(parsed, Some(&w.sha256)),
            },
            Parsed::InPlace(_) if !r.signature_ok => return self.bad_signature(index),
            Parsed::InPlace(ack) => match ack.view(texts) {
                Some(view) => self.state.apply_ack(&view),
                // Cannot happen: the batch's buffer is the one it was read
                // into, and the same bytes read the same way again.
                None => {
                    let why = "the entry could not be read again".into();
                    return self.refused(index, LogStep::Entries, why);
                }
            },
        };
        let kind = r.parsed.kind().unwrap_or(Kind::Log);
        match applied {
            Ok(()) => {
                self.counts[kind.code() as usize - 1] += 1;
                None
            }
            Err(e) if kind == Kind::Ack => Some((LogStep::Acknowledgements, e.to_string())),
            Err(e) => Some((LogStep::History, e.to_string())),
        }
    }

    /// Entry `index` is not applied to the history, for `why`.
    fn refused(&mut self, index: u64, step: LogStep, why: String) -> Option<(LogStep, String)> {
        self.state.skip_to(index + 1);
        Some((step, why))
    }

    /// Acknowledgement `index`'s signature does not verify.
    fn bad_signature(&mut self, index: u64) -> Option<(LogStep, String)> {
        let why = "the signature does not verify with the key the entry names";
        self.refused(index, LogStep::Acknowledgements, why.into())
    }

    /// Steps 3 to 7's results, once every entry is read.
    fn finish(self, head: &SignedCheckpoint, report: &mut LogReport) -> Result<(), StoreError> {
        let size = head.checkpoint.size;
        self.step_tree(head, report);
        step_count(
            report,
            LogStep::Entries,
            format!(
                "{} well formed",
                counted(size - report.from, "entry", "entries")
            ),
        );
        self.cut_short(report);
        self.step_history(report);
        step_count(
            report,
            LogStep::Acknowledgements,
            format!(
                "{} verified",
                counted(
                    self.counts[Kind::Ack.code() as usize - 1],
                    "acknowledgement",
                    "acknowledgements"
                )
            ),
        );
        let store = self.store.finish(self.next, size);
        report.push(
            LogStep::Store,
            match store {
                Ok(()) => Outcome::Passed(
                    "the index and the interior hashes agree with the entries".into(),
                ),
                Err(why) => Outcome::Failed(why),
            },
        );
        report.state = Some(self.state);
        Ok(())
    }

    fn step_tree(&self, head: &SignedCheckpoint, report: &mut LogReport) {
        let size = head.checkpoint.size;
        if self.next < size {
            report.push(
                LogStep::Tree,
                Outcome::Failed(format!(
                    "the log holds {} entries, the checkpoint covers {size}: entries were removed",
                    self.next
                )),
            );
            return;
        }
        if self.range.root() != head.checkpoint.root {
            report.push(LogStep::Tree, Outcome::Failed(
                "the entries do not rebuild the checkpoint's root: an entry was changed, inserted, removed or moved".into(),
            ));
            return;
        }
        for (n, kept) in &self.kept {
            let root = self.roots.iter().find(|(m, _)| m == n).map(|(_, r)| *r);
            if root != Some(kept.checkpoint.root) && *n != 0 {
                report.forks.push(fork(
                    kept,
                    head,
                    format!("checkpoints/{n} is not a head of the log the newest checkpoint signs"),
                ));
            }
        }
        if !report.forks.is_empty() || report.problems_of(LogStep::Tree) > 0 {
            report.push(
                LogStep::Tree,
                Outcome::Failed(
                    "proof of tampering: two signed checkpoints that are not heads of one log"
                        .into(),
                ),
            );
            return;
        }
        report.push(
            LogStep::Tree,
            Outcome::Passed(format!(
                "the entries rebuild the checkpoint's root; {}",
                kept_agree(self.kept.len() as u64)
            )),
        );
    }

    /// An administrator's request whose entries the log does not hold
    /// all: a request and its entries are committed together, so the log
    /// was cut short (step 5).
    fn cut_short(&self, report: &mut LogReport) {
        if let Some((request, came, count)) = self.state.waiting() {
            report.problems.push(Problem {
                index: request,
                step: LogStep::History,
                problem: super::state::Refusal::CutShort { came, count }.to_string(),
            });
        }
    }

    fn step_history(&self, report: &mut LogReport) {
        let c = |k: Kind| self.counts[k.code() as usize - 1];
        let issuer_ok = match self.state.issuer() {
            Some(i) if Some(&i.origin) == report.origin.as_ref() => true,
            Some(i) => {
                report.push(
                    LogStep::History,
                    Outcome::Failed(format!(
                        "the first entry names origin {}, the checkpoint {}",
                        i.origin,
                        report.origin.clone().unwrap_or_default()
                    )),
                );
                return;
            }
            None => report.from > 0,
        };
        if !issuer_ok {
            report.push(
                LogStep::History,
                Outcome::Failed("the log has no first (log) entry".into()),
            );
            return;
        }
        let mut detail = format!(
            "{}, {}, {}, {}, {}",
            counted(c(Kind::Version), "version", "versions"),
            counted(c(Kind::Enrol), "enrolment", "enrolments"),
            counted(c(Kind::Key), "key replacement", "key replacements"),
            counted(c(Kind::Revoke), "revocation", "revocations"),
            counted(c(Kind::Leave), "departure", "departures")
        );
        // Log format 0.3's kinds, named only when the log has them (so a
        // log of an earlier format reads as it always did).
        for (kind, one, many) in [
            (Kind::Unit, "unit", "units"),
            (
                Kind::Document,
                "document declaration",
                "document declarations",
            ),
            (Kind::Join, "join", "joins"),
            (Kind::Move, "move", "moves"),
            (Kind::Update, "update", "updates"),
            (Kind::Admin, "administrator entry", "administrator entries"),
            (Kind::Dismiss, "dismissal", "dismissals"),
            (Kind::Request, "request", "requests"),
        ] {
            if c(kind) > 0 {
                detail.push_str(&format!(", {}", counted(c(kind), one, many)));
            }
        }
        step_count(report, LogStep::History, detail);
    }
}

/// How many kept checkpoints agree with the head, as English says it.
fn kept_agree(n: u64) -> String {
    match n {
        0 => "no other checkpoint is kept".into(),
        1 => "1 kept checkpoint agrees".into(),
        _ => format!("{n} kept checkpoints agree"),
    }
}

/// `n` and the noun, singular for one: "1 entry", "2 entries".
fn counted(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Pushes `step` as passed with `detail`, or failed with its problem count.
fn step_count(report: &mut LogReport, step: LogStep, detail: String) {
    let n = report.problems_of(step);
    let outcome = if n == 0 {
        Outcome::Passed(detail)
    } else {
        Outcome::Failed(format!(
            "{} (listed below)",
            counted(n as u64, "entry fails", "entries fail")
        ))
    };
    report.push(step, outcome);
}

/// The checkpoints kept in the folder after `from` entries, in size order,
/// each one read, for its size and signed by the issuer; what is wrong
/// with any read, the one kept at `from` entries too, goes in the report.
fn kept_checkpoints(
    log: &LogDir,
    head: &SignedCheckpoint,
    key: &VerifyingKey,
    from: u64,
    check: SignatureCheck,
    report: &mut LogReport,
) -> Result<Vec<(u64, SignedCheckpoint)>, StoreError> {
    // Read on all cores (a log keeps one per commit), their signatures
    // verified together, then judged in size order. An incremental audit
    // reads those from the old checkpoint's size on: the audit that ended
    // at the old checkpoint judged the ones before it.
    let read: Vec<(u64, Result<SignedCheckpoint, String>)> = log
        .history()?
        .into_par_iter()
        .filter(|&(n, _)| n >= from)
        .map(|(n, path)| (n, read_checkpoint(&path).map_err(|e| e.to_string())))
        .collect();
    let signed = issuer_signed(&read, key, check);
    let mut kept = Vec::new();
    for ((n, read), signed) in read.into_iter().zip(signed) {
        let signed = match read {
            Ok(s) if signed => s,
            Ok(_) => {
                let why = "not a checkpoint the issuer signed for this size";
                kept_problem(report, n, why);
                continue;
            }
            Err(why) => {
                kept_problem(report, n, &why);
                continue;
            }
        };
        if n > head.checkpoint.size {
            report.forks.push(fork(&signed, head, format!("the issuer signed {n} entries, the newest checkpoint only {}: entries were removed", head.checkpoint.size)));
            continue;
        }
        if n > from {
            kept.push((n, signed));
        }
    }
    Ok(kept)
}

fn kept_problem(report: &mut LogReport, n: u64, why: &str) {
    report.problems.push(Problem {
        index: n,
        step: LogStep::Tree,
        problem: format!("checkpoints/{n}: {why}"),
    });
}

/// Whether each checkpoint read is for the size it is kept under and every
/// signature of the issuer's key on it verifies: the signatures of all of
/// them verified on all cores, in batches ([`crate::verify::verify_columns`]).
fn issuer_signed(
    read: &[(u64, Result<SignedCheckpoint, String>)],
    key: &VerifyingKey,
    check: SignatureCheck,
) -> Vec<bool> {
    // The checkpoint each signature is on, its text and the signature.
    let mut owner = Vec::new();
    let mut texts: Vec<&[u8]> = Vec::new();
    let mut signatures = Vec::new();
    let mut signed = vec![false; read.len()];
    for (i, (n, r)) in read.iter().enumerate() {
        let Ok(s) = r else { continue };
        let Ok(sigs) = s.signatures_by(key) else {
            continue;
        };
        signed[i] = s.checkpoint.size == *n;
        for sig in sigs {
            owner.push(i);
            texts.push(s.note.text().as_bytes());
            signatures.push(sig);
        }
    }
    let keys = vec![*key; signatures.len()];
    let per = signatures
        .len()
        .div_ceil(rayon::current_num_threads().max(1))
        .max(1);
    let verified: Vec<bool> = texts
        .par_chunks(per)
        .zip(signatures.par_chunks(per))
        .zip(keys.par_chunks(per))
        .flat_map_iter(|((m, s), k)| crate::verify::verify_columns(m, s, k, check))
        .collect();
    for (i, ok) in owner.into_iter().zip(verified) {
        signed[i] &= ok;
    }
    signed
}

/// An entry parsed, with the SHA-256 of its bytes (for a request that names it).
type Hashed = (Entry, [u8; 32]);

/// The state, tree and file offset before the old checkpoint's first new
/// entry, for an incremental audit. The state entries are found through
/// the index and proved together against the old root
/// ([`proved_before`]).
fn prior_state(
    log: &LogDir,
    old: &SignedCheckpoint,
    report: &mut LogReport,
) -> Result<(State, CompactRange, u64), StoreError> {
    let m = old.checkpoint.size;
    let (spans, offset) = log.index_spans(m, |code| Kind::from_code(code) != Some(Kind::Ack))?;
    // Hashed and parsed on all cores.
    let read: Vec<(u64, Hash, Option<Hashed>)> = log
        .entries_at(&spans)?
        .into_par_iter()
        .map(|(i, bytes)| {
            let parsed = entry::parse(&bytes).ok();
            let hashed = parsed.map(|p| (p, super::entry::entry_hash(&bytes)));
            (i, merkle::leaf_hash(&bytes), hashed)
        })
        .collect();
    let leaves: Vec<(u64, Hash)> = read.iter().map(|&(i, leaf, _)| (i, leaf)).collect();
    let (range, proved) = proved_before(log, old, &leaves, report)?;
    let mut state = State::new();
    for ((i, _, parsed), proved) in read.into_iter().zip(proved) {
        state.skip_to(i);
        let parsed = parsed.filter(|_| proved);
        if !matches!(
            parsed.map(|(p, h)| state.apply_with(&p, Some(&h))),
            Some(Ok(()))
        ) {
            report.problems.push(Problem {
                index: i,
                step: LogStep::History,
                problem: "an entry before the old checkpoint is not proved by it, or not valid"
                    .into(),
            });
        }
    }
    state.skip_to(m);
    Ok((state, range, offset))
}

/// The tree of the old checkpoint's size, from the stored hashes, and
/// whether each of `leaves` (index, leaf hash) is in the old checkpoint's
/// tree. All are proved at once, reading only the stored hashes beside
/// them ([`merkle::root_with_leaves`]); only when that fails is each
/// proved on its own, to name the ones that are not.
fn proved_before(
    log: &LogDir,
    old: &SignedCheckpoint,
    leaves: &[(u64, Hash)],
    report: &mut LogReport,
) -> Result<(CompactRange, Vec<bool>), StoreError> {
    let m = old.checkpoint.size;
    let indices: Vec<u64> = leaves.iter().map(|&(i, _)| i).collect();
    let mut wanted = merkle::subtrees_beside(&indices, m).map_err(StoreError::Merkle)?;
    // With no leaves given, the subtrees read are those of the compact range.
    wanted.extend(merkle::subtrees_beside(&[], m).map_err(StoreError::Merkle)?);
    let stored = log.subtrees(&wanted)?;
    let range = CompactRange::from_store(&stored, m).map_err(StoreError::Merkle)?;
    if range.root() != old.checkpoint.root {
        report.problems.push(Problem {
            index: m,
            step: LogStep::Store,
            problem: "the stored interior hashes do not rebuild the old checkpoint's root".into(),
        });
    }
    let together = merkle::root_with_leaves(&stored, leaves, m);
    if together.is_ok_and(|root| root == old.checkpoint.root) {
        return Ok((range, vec![true; leaves.len()]));
    }
    let tree = log.tree_in_memory(m)?;
    let proved = leaves
        .par_iter()
        .map(|&(i, leaf)| {
            merkle::inclusion_proof(&tree, i, m)
                .and_then(|proof| {
                    merkle::verify_inclusion(&leaf, i, m, &proof, &old.checkpoint.root)
                })
                .is_ok()
        })
        .collect();
    Ok((range, proved))
}

/// Lines read from the entries file: one buffer and where each line is in
/// it (without its line feed), so that no line is copied again.
struct Lines {
    buf: Vec<u8>,
    spans: Vec<(usize, usize)>,
    /// Where the bytes after the last whole line taken start in `buf`.
    tail: usize,
    /// The file ended.
    eof: bool,
}

impl Lines {
    fn len(&self) -> usize {
        self.spans.len()
    }

    fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The bytes after the last whole line taken: an unfinished line, or
    /// lines beyond the checkpoint.
    fn tail(&self) -> &[u8] {
        &self.buf[self.tail..]
    }
}

/// Reads into `buf` (a spare buffer, reused) the `tail` of the chunk before
/// and `chunk` bytes more ([`CHUNK_BYTES`]), and takes up to `max` whole
/// lines.
fn next_lines(
    reader: &mut impl Read,
    tail: &[u8],
    mut buf: Vec<u8>,
    max: u64,
    chunk: usize,
) -> std::io::Result<Lines> {
    buf.clear();
    buf.reserve(tail.len() + chunk);
    buf.extend_from_slice(tail);
    let n = if max == 0 {
        0
    } else {
        reader.take(chunk as u64).read_to_end(&mut buf)?
    };
    let mut spans = Vec::new();
    let mut start = 0;
    for end in memchr::memchr_iter(b'\n', &buf) {
        if spans.len() as u64 == max {
            break;
        }
        spans.push((start, end));
        start = end + 1;
    }
    Ok(Lines {
        buf,
        spans,
        tail: start,
        eof: n == 0,
    })
}

fn remaining(reader: &mut impl Read) -> u64 {
    std::io::copy(reader, &mut std::io::sink()).unwrap_or(0)
}

/// Batches in flight at most: enough that no core waits for work (one
/// being verified and one waiting, for each core), few enough that memory
/// stays bounded.
fn ahead(cores: usize) -> usize {
    cores.max(1) * 2
}

/// The entries file, read a chunk at a time and handed out in batches of
/// whole lines.
struct Feed {
    file: File,
    lines: Arc<Lines>,
    /// Lines of `lines` already handed out.
    taken: usize,
    /// Lines per batch in this chunk (see [`even`]).
    per: usize,
    /// Lines still to read, up to the checkpoint.
    left: u64,
    /// Chunks handed out before, whose buffers are used again once every
    /// batch of them is done (fresh pages cost the kernel time).
    retired: std::collections::VecDeque<Arc<Lines>>,
    /// The file ended, or every line up to the checkpoint is read.
    exhausted: bool,
}

impl Feed {
    fn start(mut file: File, max: u64) -> std::io::Result<Feed> {
        let lines = next_lines(&mut file, &[], Vec::new(), max, CHUNK_BYTES)?;
        let left = max - lines.len() as u64;
        Ok(Feed {
            exhausted: left == 0 || (lines.eof && lines.is_empty()),
            file,
            per: 0,
            lines: Arc::new(lines),
            taken: 0,
            left,
            retired: std::collections::VecDeque::new(),
        })
    }

    /// The next batch of up to `batch` lines, reading the next chunk when
    /// this one is handed out; `None` at the end.
    fn next_batch(&mut self, batch: usize) -> std::io::Result<Option<(Arc<Lines>, Range<usize>)>> {
        while self.taken == self.lines.len() {
            if self.exhausted {
                return Ok(None);
            }
            let spare = self.spare();
            let next = next_lines(
                &mut self.file,
                self.lines.tail(),
                spare,
                self.left,
                CHUNK_BYTES,
            )?;
            self.left -= next.len() as u64;
            self.exhausted = self.left == 0 || (next.eof && next.is_empty());
            let done = std::mem::replace(&mut self.lines, Arc::new(next));
            self.retired.push_back(done);
            if self.retired.len() > 3 {
                self.retired.pop_front();
            }
            self.taken = 0;
            self.per = 0;
        }
        if self.per == 0 {
            // The last chunk in smaller batches, two for each core, so
            // that no core waits long for another's last batch.
            let parts = match self.exhausted {
                true => 2 * rayon::current_num_threads().max(1),
                false => 1,
            };
            self.per = even(self.lines.len(), batch, parts);
        }
        let range = self.taken..(self.taken + self.per).min(self.lines.len());
        self.taken = range.end;
        Ok(Some((Arc::clone(&self.lines), range)))
    }

    /// The buffer of the oldest retired chunk if no batch holds it any
    /// more, else a new one.
    fn spare(&mut self) -> Vec<u8> {
        match self.retired.front() {
            Some(old) if Arc::strong_count(old) == 1 => self
                .retired
                .pop_front()
                .and_then(|old| Arc::try_unwrap(old).ok())
                .map(|old| old.buf)
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    /// Bytes after the last line taken: an unfinished append.
    fn unfinished(&mut self) -> u64 {
        self.lines.tail().len() as u64 + remaining(&mut self.file)
    }
}

/// Lines per batch when `lines` are cut into batches of at most `batch`
/// lines, at least `parts` of them (if there are lines enough), all of one
/// size (the last a little shorter at most).
fn even(lines: usize, batch: usize, parts: usize) -> usize {
    let batch = batch.max(1);
    lines
        .div_ceil(lines.div_ceil(batch).max(parts).max(1))
        .max(1)
}

/// Hashes, parses and verifies a batch of lines on the thread pool; the
/// result arrives on the receiver.
fn spawn_batch(
    lines: Arc<Lines>,
    range: Range<usize>,
    check: SignatureCheck,
    spare: Spare,
) -> std::sync::mpsc::Receiver<Batch> {
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    rayon::spawn_fifo(move || {
        // The receiver is only gone if the audit itself is.
        let _ = tx.send(read_batch(&lines, &lines.spans[range], check, spare.take()));
    });
    rx
}

/// Waits for work sent from the pool (`None` if it never comes). On a
/// thread of the pool itself, it helps with the pool's work meanwhile
/// instead of blocking a core.
fn receive<T>(ready: std::sync::mpsc::Receiver<T>) -> Option<T> {
    loop {
        match ready.try_recv() {
            Ok(read) => return Some(read),
            Err(std::sync::mpsc::TryRecvError::Disconnected) => return None,
            Err(std::sync::mpsc::TryRecvError::Empty) => {
                if rayon::yield_now().is_none() {
                    return ready.recv().ok();
                }
            }
        }
    }
}

/// Hashes, parses and verifies the signatures of one batch of lines, into
/// `batch` (empty).
fn read_batch(
    lines: &Lines,
    spans: &[(usize, usize)],
    check: SignatureCheck,
    mut batch: Batch,
) -> Batch {
    for &(a, b) in spans {
        let l = &lines.buf[a..b];
        let entry = batch.read.len();
        let parsed = match inplace::read(l, &mut batch.buf) {
            Some((ack, signer)) => {
                batch.signed.push(entry, signer, ack.message.clone());
                Parsed::InPlace(ack)
            }
            None => Parsed::Whole(Box::new(whole(l, &mut batch))),
        };
        batch.read.push(Read1 {
            leaf: merkle::leaf_hash(l),
            len: l.len() as u64,
            parsed,
            signature_ok: false,
        });
    }
    verify_signatures(&mut batch, check);
    batch
}

/// An entry not read in place, parsed whole as the next of `batch`. The
/// PAE message of an acknowledgement is added to the batch's buffer (and
/// its own copy of the payload freed), and its signature to those the
/// batch verifies.
fn whole(line: &[u8], batch: &mut Batch) -> Whole {
    let mut parsed = entry::parse(line);
    if let Ok(Entry::Ack(a)) = &mut parsed {
        let messages = &mut batch.buf.messages;
        let start = messages.len();
        let e = &mut a.envelope;
        crate::dsse::pae_into(messages, &e.payload_type, &e.payload);
        e.payload = Vec::new();
        let signer = Signer {
            key: a.key,
            signature: e.signature,
        };
        batch
            .signed
            .push(batch.read.len(), signer, start..messages.len());
    }
    Whole {
        parsed,
        sha256: entry::entry_hash(line),
    }
}

/// Entries per batch: [`BATCH`], or fewer when there are too few entries
/// to give each core three batches (an incremental audit), so that no
/// core is left waiting for another's last batch.
fn batch_size(entries: usize, cores: usize) -> usize {
    entries.div_ceil(cores.max(1) * 3).clamp(MIN_BATCH, BATCH)
}

/// The acknowledgements' signatures in a batch, in the columns batch
/// verification takes: each one's entry in the batch, key, signature, and
/// where its message is in the batch's buffer of messages.
#[derive(Default)]
struct Signatures {
    entry: Vec<usize>,
    keys: Vec<VerifyingKey>,
    signatures: Vec<Signature>,
    messages: Vec<Range<usize>>,
}

impl Signatures {
    fn push(&mut self, entry: usize, signer: Signer, message: Range<usize>) {
        self.entry.push(entry);
        self.keys.push(signer.key);
        self.signatures.push(signer.signature);
        self.messages.push(message);
    }

    /// Empties it, keeping its memory.
    fn clear(&mut self) {
        self.entry.clear();
        self.keys.clear();
        self.signatures.clear();
        self.messages.clear();
    }

    /// The memory it holds, in bytes.
    fn capacity(&self) -> usize {
        use std::mem::size_of;
        self.entry.capacity() * size_of::<usize>()
            + self.keys.capacity() * size_of::<VerifyingKey>()
            + self.signatures.capacity() * size_of::<Signature>()
            + self.messages.capacity() * size_of::<Range<usize>>()
    }
}

/// Sets `signature_ok` on every acknowledgement of the batch: all in one
/// batch equation first (when allowed), then `verify_strict` one by one if
/// that fails.
fn verify_signatures(batch: &mut Batch, check: SignatureCheck) {
    let s = &batch.signed;
    // Cannot be `None`: each range was taken from this buffer as it grew.
    let messages: Option<Vec<&[u8]>> = s
        .messages
        .iter()
        .map(|m| batch.buf.messages.get(m.clone()))
        .collect();
    let verified = messages.map_or_else(Vec::new, |m| {
        crate::verify::verify_columns(&m, &s.signatures, &s.keys, check)
    });
    for (i, &entry) in s.entry.iter().enumerate() {
        batch.read[entry].signature_ok = verified.get(i).copied().unwrap_or(false);
    }
}

/// Step 7: compares the stored index and tree with what the entries say
/// while they stream past: each index record and leaf hash, and each
/// interior hash with the one the audit's own compact range computes.
struct StoreCheck {
    log: LogDir,
    index: Option<BufReader<File>>,
    /// Level `l`'s file, read on from the node the first entry is under.
    levels: Vec<Option<BufReader<File>>>,
    from: u64,
    problems: Vec<String>,
}

impl StoreCheck {
    fn open(log: &LogDir, from: u64) -> StoreCheck {
        StoreCheck {
            log: log.clone(),
            index: read_at(log.index_path(), from * INDEX_RECORD),
            levels: Vec::new(),
            from,
            problems: Vec::new(),
        }
    }

    fn entry(&mut self, index: u64, leaf: &Hash, end: u64, kind: Option<Kind>) {
        let mut record = [0u8; INDEX_RECORD as usize];
        let index_ok = self
            .index
            .as_mut()
            .is_some_and(|r| r.read_exact(&mut record).is_ok())
            && record[..8] == end.to_be_bytes()
            && kind.is_none_or(|k| record[8] == k.code());
        if !index_ok {
            self.problem(|| format!("the stored index record of entry {index} is wrong"));
        }
        if !self.stored_is(0, leaf) {
            self.problem(|| format!("the stored leaf hash of entry {index} is wrong"));
        }
    }

    /// Compares the stored hash of node `index` of `level`, the next of
    /// that level, with `node`, the audit's own.
    fn node(&mut self, level: u32, index: u64, node: &Hash) {
        if !self.stored_is(level, node) {
            self.problem(|| format!("the stored hash {index} of tree level {level} is wrong"));
        }
    }

    /// Whether the next stored hash of `level` is `hash`.
    fn stored_is(&mut self, level: u32, hash: &Hash) -> bool {
        let l = level as usize;
        while self.levels.len() <= l {
            let at = self.levels.len() as u32;
            let first = self.from >> at;
            self.levels
                .push(read_at(self.log.level_path(at), first * 32));
        }
        let mut stored = [0u8; 32];
        self.levels[l]
            .as_mut()
            .is_some_and(|r| r.read_exact(&mut stored).is_ok())
            && stored == *hash
    }

    fn problem(&mut self, why: impl FnOnce() -> String) {
        if self.problems.len() < 10 {
            self.problems.push(why());
        }
    }

    /// What is wrong with the store, if anything. When entries are missing
    /// (the tree step fails), the stored parents the entries did not reach
    /// are checked against their stored children instead.
    fn finish(mut self, streamed: u64, size: u64) -> Result<(), String> {
        if self.problems.is_empty() && streamed < size {
            if let Err(why) = upper_levels(&self.log, streamed, size) {
                self.problems.push(why);
            }
        }
        match self.problems.len() {
            0 => Ok(()),
            _ => Err(self.problems.join("; ")),
        }
    }
}

/// A file read from byte `pos` on, if it opens.
fn read_at(path: std::path::PathBuf, pos: u64) -> Option<BufReader<File>> {
    let mut f = File::open(path).ok()?;
    std::io::Seek::seek(&mut f, std::io::SeekFrom::Start(pos)).ok()?;
    Some(BufReader::new(f))
}

/// Every stored parent of the tree of `size` leaves from leaf `from` on is
/// the hash of its children, level by level up to the first wrong one.
fn upper_levels(log: &LogDir, from: u64, size: u64) -> Result<(), String> {
    let mut level = 0u32;
    while size >> (level + 1) > 0 {
        check_level(log, level, from >> (level + 1), size >> (level + 1))?;
        level += 1;
    }
    Ok(())
}

/// Checks parents `first..end` of level `level + 1` against their children.
fn check_level(log: &LogDir, level: u32, first: u64, end: u64) -> Result<(), String> {
    let open = |l: u32, pos: u64| -> Result<BufReader<File>, String> {
        let mut f = File::open(log.level_path(l)).map_err(|e| format!("tree level {l}: {e}"))?;
        std::io::Seek::seek(&mut f, std::io::SeekFrom::Start(pos * 32))
            .map_err(|e| e.to_string())?;
        Ok(BufReader::new(f))
    };
    let mut children = open(level, first * 2)?;
    let mut parents = open(level + 1, first)?;
    let (mut l, mut r, mut p) = ([0u8; 32], [0u8; 32], [0u8; 32]);
    for i in first..end {
        let read = children
            .read_exact(&mut l)
            .and_then(|()| children.read_exact(&mut r))
            .and_then(|()| parents.read_exact(&mut p));
        if read.is_err() || merkle::node_hash(&l, &r) != p {
            return Err(format!(
                "the stored hash {i} of tree level {} is wrong",
                level + 1
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_of_kept_checkpoints_and_failures_read_as_english() {
        assert_eq!(kept_agree(0), "no other checkpoint is kept");
        assert_eq!(kept_agree(1), "1 kept checkpoint agrees");
        assert_eq!(kept_agree(2), "2 kept checkpoints agree");
        assert_eq!(counted(1, "entry fails", "entries fail"), "1 entry fails");
        assert_eq!(counted(3, "entry fails", "entries fail"), "3 entries fail");
    }

    /// Reads `text` the way [`Scan::run`] does, in chunks of `chunk`
    /// bytes, up to `max` lines: the lines, and the bytes left after them.
    fn read_in_chunks(text: &[u8], chunk: usize, max: u64) -> (Vec<Vec<u8>>, u64) {
        let mut reader = std::io::Cursor::new(text);
        let mut got: Vec<Vec<u8>> = Vec::new();
        let mut lines = next_lines(&mut reader, &[], Vec::new(), max, chunk).unwrap();
        loop {
            got.extend(lines.spans.iter().map(|&(a, b)| lines.buf[a..b].to_vec()));
            let left = max - got.len() as u64;
            if left == 0 || (lines.eof && lines.is_empty()) {
                return (got, lines.tail().len() as u64 + remaining(&mut reader));
            }
            let spare = Vec::with_capacity(3);
            lines = next_lines(&mut reader, lines.tail(), spare, left, chunk).unwrap();
        }
    }

    #[test]
    fn batches_are_full_unless_the_cores_would_wait() {
        // A full audit's chunk of about 6,800 entries: 6 batches of 1,134.
        assert_eq!(batch_size(6_800, 2), 1134);
        assert_eq!(batch_size(60_000, 2), BATCH);
        // An incremental audit of 1,001 entries on 2 cores: 6 batches.
        assert_eq!(batch_size(1001, 2), 167);
        assert_eq!(batch_size(10, 2), MIN_BATCH);
        assert_eq!(batch_size(0, 0), MIN_BATCH);
    }

    #[test]
    fn a_chunk_is_cut_into_batches_of_one_size() {
        // A chunk of 9,640 lines: three batches of 3,214 (the last 3,212),
        // not two of 4,096 and one of 1,448; or two of 4,820.
        assert_eq!(even(9_640, 4096, 1), 3214);
        assert_eq!(even(9_640, BATCH, 1), 4820);
        assert_eq!(even(4096, 4096, 1), 4096);
        assert_eq!(even(4097, 4096, 1), 2049);
        assert_eq!(even(10, 32, 1), 10);
        assert_eq!(even(0, 32, 1), 1);
        assert_eq!(even(5, 0, 1), 1);
        // The last chunk of a log on two cores: four batches, not one.
        assert_eq!(even(4_000, 4096, 4), 1000);
        assert_eq!(even(3, 4096, 4), 1);
        // An incremental audit's one chunk keeps its batches.
        assert_eq!(even(1001, 167, 4), 167);
        for (lines, batch) in [(9_640, 4096), (1001, 167), (100_100, 4096), (7, 2)] {
            let per = even(lines, batch, 1);
            assert!(per <= batch.max(1));
            assert_eq!(lines.div_ceil(per), lines.div_ceil(batch.max(1)));
        }
    }

    #[test]
    fn lines_cross_chunk_ends_whole_and_stop_at_the_checkpoint() {
        let lines: Vec<Vec<u8>> = (0..40u8)
            .map(|i| vec![b'a' + i % 26; (i as usize * 7) % 23])
            .collect();
        let mut text = lines.join(&b'\n');
        text.push(b'\n');
        for chunk in [1, 2, 5, 16, 64, 4096] {
            let (all, left) = read_in_chunks(&text, chunk, 40);
            assert_eq!(
                (all.as_slice(), left),
                (lines.as_slice(), 0),
                "chunk {chunk}"
            );
            // A checkpoint of 25 entries: the rest is counted, not read.
            let (some, left) = read_in_chunks(&text, chunk, 25);
            assert_eq!(some.as_slice(), &lines[..25], "chunk {chunk}");
            let after: usize = lines[25..].iter().map(|l| l.len() + 1).sum();
            assert_eq!(left, after as u64, "chunk {chunk}");
        }
        // An unfinished last line is left over, not taken.
        text.extend_from_slice(b"half");
        let (all, left) = read_in_chunks(&text, 3, 41);
        assert_eq!((all.len(), left), (40, 4));
    }
}
