//! Auditing a sealed register, offline, in numbered steps.
//!
//! The auditor brings the issuer's public key (or its key id) and,
//! optionally, the PDF of the rules. Everything else comes from the register
//! itself, and nothing in it is trusted before it is checked: the seal
//! covers the register's exact bytes, every acknowledgement is verified
//! with the key that the sealed keyring gives for it, numbering, order and
//! uniqueness are checked, and the outstanding list must account for every
//! employee. Any edit, removal, duplication or reordering fails a step, and
//! the report says which.
//!
//! Step 5 is where the time goes for a large register (100,000 entries):
//! entries are checked in chunks on all cores, and each chunk's signatures
//! are verified together with Ed25519 batch verification, falling back to
//! `verify_strict` one by one when a batch fails, so the report still names
//! every bad entry. What a batch accepts that `verify_strict` alone would
//! not is described at [`SignatureCheck::Batch`] and in docs/PERFORMANCE.md.

use std::collections::{HashMap, HashSet};

use ed25519_dalek::{Signature, VerifyingKey};
use rayon::prelude::*;
use serde::Serialize;

use crate::ack;
use crate::dsse;
use crate::dsse::Envelope;
use crate::encoding::{b64_strict, hex};
use crate::keyring::Keyring;
use crate::keys::KeyId;
use crate::outcome::{Outcome, StepId};
use crate::register::{self, RegisterBody, RegisterEntry, PAYLOAD_TYPE, REGISTER_TYPE};
use crate::text::printable;

/// Largest register file read (a register of 100,000 entries is ~100 MB).
pub const MAX_REGISTER_FILE: usize = 512 * 1024 * 1024;

/// The issuer's key as the auditor knows it.
#[derive(Debug, Clone)]
pub enum IssuerKey {
    /// The public key itself (from a PEM file).
    Key(VerifyingKey),
    /// Only its key id; the register must carry the matching public key.
    KeyId(KeyId),
}

/// How step 5 checks the employees' signatures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SignatureCheck {
    /// Batch verification of each chunk of entries, on all cores.
    ///
    /// Before batching, every signature's `R` must be a canonical encoding
    /// that is not one of the eight small-order points, and every key has
    /// been refused at keyring loading if it is of small order; `s` must be
    /// canonical (the batch refuses it otherwise). A batch that fails is
    /// re-checked entry by entry with `verify_strict`, so the verdicts name
    /// exactly the bad entries.
    ///
    /// The one difference from `verify_strict`: the batch equation is
    /// cofactorless with random-looking 128-bit weights, so a signature
    /// whose `R` (or key) has a small torsion component — which only the
    /// holder of the secret key can make, and which forges nothing — may be
    /// accepted here although `verify_strict` refuses it. Use
    /// [`SignatureCheck::Strict`] for an exact audit.
    #[default]
    Batch,
    /// `verify_strict` for every entry (on all cores): exact, slower.
    Strict,
}

/// Told how far a long verification has come. The library never prints;
/// the binary implements this to draw a progress bar.
pub trait Progress: Sync {
    /// Step 5 starts with `total` acknowledgements to check.
    fn start(&self, _total: u64) {}
    /// `done` more acknowledgements have been checked (called from any thread).
    fn advance(&self, _done: u64) {}
    /// Step 5 is over.
    fn finish(&self) {}
}

/// A [`Progress`] that shows nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {}

/// Most entries checked together: one batch verification, one unit of work
/// for a core, one progress step. Larger batches are cheaper per signature
/// (one multiscalar multiplication for the whole batch): 1,024 costs about
/// 80 % of 256 per signature, and a failed batch re-checks at most 1,024
/// entries one by one (docs/PERFORMANCE.md).
pub const CHUNK: usize = 1024;

/// Fewest entries checked together, so that a small register still goes
/// into batches.
pub const MIN_CHUNK: usize = 64;

/// The chunk size for a register of `entries` entries: [`CHUNK`], or less
/// so that every core gets at least four chunks.
pub fn chunk_size(entries: usize) -> usize {
    let cores = rayon::current_num_threads().max(1);
    (entries / (4 * cores)).clamp(MIN_CHUNK, CHUNK)
}

/// A step of [`verify_register`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RegisterStep {
    /// 1. The file is a DSSE envelope with one well-formed signature.
    Envelope,
    /// 2. The payload is a register: our type, exactly our fields.
    Payload,
    /// 3. The seal verifies with the issuer's key given by the auditor.
    Seal,
    /// 4. The sealed keyring is well-formed: key ids match keys, no duplicates.
    Keyring,
    /// 5. Every acknowledgement verifies against the sealed keyring and is
    ///    for the register's document.
    Acknowledgements,
    /// 6. Numbering is complete, in order (date, name), nothing duplicated.
    Numbering,
    /// 7. Every employee in the keyring is either acknowledged or outstanding.
    Outstanding,
    /// 8. The given PDF is the document the register is about.
    Document,
    /// 9. (Annex PDF only) the printed annex is exactly the rendering of
    ///    the sealed register it carries.
    Annex,
}

impl RegisterStep {
    /// The step's number, from 1.
    pub fn number(self) -> u8 {
        self as u8 + 1
    }

    /// A one-word name.
    pub fn name(self) -> &'static str {
        match self {
            RegisterStep::Envelope => "envelope",
            RegisterStep::Payload => "payload",
            RegisterStep::Seal => "seal",
            RegisterStep::Keyring => "keyring",
            RegisterStep::Acknowledgements => "acknowledgements",
            RegisterStep::Numbering => "numbering",
            RegisterStep::Outstanding => "outstanding",
            RegisterStep::Document => "document",
            RegisterStep::Annex => "annex",
        }
    }
}

impl StepId for RegisterStep {
    fn number(self) -> u8 {
        RegisterStep::number(self)
    }

    fn name(self) -> &'static str {
        RegisterStep::name(self)
    }
}

/// One step's result.
pub type StepResult = crate::outcome::StepResult<RegisterStep>;

/// 9. For an annex PDF (`annex_pdf`): its pages are exactly the rendering
///    by `template` of the sealed register it carries (`register_bytes`,
///    audited in `report`), so what a person reads is what is sealed.
///    Skipped when the register itself does not verify.
pub fn check_annex(
    report: &RegisterReport,
    register_bytes: &[u8],
    annex_pdf: &[u8],
    template: &crate::render::Template,
) -> Outcome {
    let Some(body) = report.body.as_ref().filter(|_| report.is_valid()) else {
        return Outcome::Skipped("the register itself does not verify".into());
    };
    let input = register::annex_input(register_bytes, body, register::annex_rows(body));
    match template.render(&input) {
        Ok(r) if r.pdf == annex_pdf => Outcome::Passed(
            "the printed annex is exactly the rendering of the sealed register".into(),
        ),
        Ok(_) => Outcome::Failed(
            "the printed annex differs from the rendering of the sealed register \
             (edited, or rendered with another template: verify it with that template)"
                .into(),
        ),
        Err(e) => Outcome::Failed(format!("cannot re-render the annex: {e}")),
    }
}

/// The verdict on one entry of the register.
#[derive(Debug, Clone, Serialize)]
pub struct EntryVerdict {
    /// Position in the register, from 1.
    pub position: usize,
    /// The number the entry carries.
    pub nr: u64,
    /// Date of acknowledgement (empty if it could not be read).
    pub date: String,
    /// Employee's name.
    pub name: String,
    /// Employee's identifier.
    pub id: String,
    /// Signing key id.
    pub keyid: String,
    /// Everything wrong with the entry; empty when valid.
    pub problems: Vec<String>,
}

impl EntryVerdict {
    /// True when nothing is wrong with the entry.
    pub fn is_valid(&self) -> bool {
        self.problems.is_empty()
    }

    /// The register's order (`register::order_key`: date, name,
    /// identifier), for an entry whose payload was read.
    fn order_key(&self) -> (&str, &str, &str) {
        (&self.date, &self.name, &self.id)
    }
}

/// What [`verify_register`] found.
#[derive(Debug, Serialize)]
pub struct RegisterReport {
    /// The steps in order.
    pub steps: Vec<StepResult>,
    /// One verdict per entry.
    pub entries: Vec<EntryVerdict>,
    /// Employees who have not acknowledged (from the register).
    pub outstanding: Vec<register::Outstanding>,
    /// Document title and hash, issuer key id and sealing time, once read.
    pub document_title: Option<String>,
    /// SHA-256 of the document, hex.
    pub document_sha256: Option<String>,
    /// Key id of the sealing key.
    pub issuer_keyid: Option<String>,
    /// Sealing time.
    pub sealed_at: Option<String>,
    /// SHA-256 of the register file, hex.
    pub register_sha256: String,
    /// The parsed register (not serialised into reports).
    #[serde(skip)]
    pub body: Option<RegisterBody>,
}

impl RegisterReport {
    /// True when no step failed and every entry is valid.
    pub fn is_valid(&self) -> bool {
        crate::outcome::held(&self.steps)
            && self.entries.iter().all(EntryVerdict::is_valid)
            && self
                .steps
                .iter()
                .any(|s| s.step == RegisterStep::Outstanding)
    }

    /// Adds a step result.
    pub fn push(&mut self, step: RegisterStep, outcome: Outcome) {
        self.steps.push(StepResult::printable(step, outcome, 400));
    }

    /// An empty report on the register file whose SHA-256 is
    /// `register_sha256`.
    fn new(register_sha256: String) -> Self {
        RegisterReport {
            steps: Vec::new(),
            entries: Vec::new(),
            outstanding: Vec::new(),
            document_title: None,
            document_sha256: None,
            issuer_keyid: None,
            sealed_at: None,
            register_sha256,
            body: None,
        }
    }

    /// Adds the result of a step that stops the audit when it fails;
    /// what later steps need when it passed.
    fn record<T>(&mut self, step: RegisterStep, found: Found<T>) -> Option<T> {
        match found {
            Ok((value, detail)) => {
                self.push(step, Outcome::Passed(detail));
                Some(value)
            }
            Err(why) => {
                self.push(step, Outcome::Failed(why));
                None
            }
        }
    }

    /// Step 9, for an annex PDF (`annex_pdf`) that carries the register
    /// `register_bytes` this report is about: see [`check_annex`].
    pub fn add_annex_check(
        &mut self,
        register_bytes: &[u8],
        annex_pdf: &[u8],
        template: &crate::render::Template,
    ) {
        let outcome = check_annex(self, register_bytes, annex_pdf, template);
        self.push(RegisterStep::Annex, outcome);
    }

    /// The register's particulars, once step 2 has read them.
    fn describe(&mut self, body: &RegisterBody) {
        self.document_title = Some(body.document.title.clone());
        self.document_sha256 = Some(body.document.sha256.clone());
        self.issuer_keyid = Some(body.issuer.keyid.clone());
        self.sealed_at = Some(body.sealed_at.clone());
        self.outstanding = body.outstanding.clone();
    }
}

/// Verifies a sealed register file.
///
/// `document_sha256`, when given, is the SHA-256 of the PDF the auditor
/// holds; step 8 is skipped without it. Signatures are batch-verified
/// ([`SignatureCheck::Batch`]); see [`verify_register_with`].
pub fn verify_register(
    bytes: &[u8],
    issuer: &IssuerKey,
    document_sha256: Option<&[u8; 32]>,
) -> RegisterReport {
    verify_register_with(
        bytes,
        issuer,
        document_sha256,
        SignatureCheck::default(),
        &NoProgress,
    )
}

/// [`verify_register`] with the choice of signature check and a progress
/// listener for step 5.
///
/// The steps, one function each:
/// 1) `read_envelope`: a DSSE envelope, strictly parsed, one signature;
/// 2) `read_payload`: our payload type, a register body of exactly our
///    fields, texts and sealing time valid, the issuer key its key id's;
/// 3) `check_seal`: the seal verifies with the auditor's issuer key;
/// 4) `read_keyring`: the sealed keyring, as strictly as `keyring.json`;
/// 5) `check_acknowledgements`: every entry against the sealed keyring
///    and the register's document;
/// 6) `check_numbering`: numbers 1..n, order, no duplicates;
/// 7) `check_outstanding`: every employee acknowledged or outstanding;
/// 8) `check_document`: the auditor's PDF is the register's document.
///
/// Steps 1 to 4 stop the audit when they fail, and so does step 5 when the
/// register's document hash is unreadable; otherwise every step runs and
/// every entry gets its verdict.
pub fn verify_register_with(
    bytes: &[u8],
    issuer: &IssuerKey,
    document_sha256: Option<&[u8; 32]>,
    check: SignatureCheck,
    progress: &dyn Progress,
) -> RegisterReport {
    // The file's hash is needed only for the report: compute it on another
    // core while step 1 parses.
    let (register_sha256, envelope) = rayon::join(
        || hex(&crate::document::sha256(bytes)),
        || read_envelope(bytes),
    );
    let mut report = RegisterReport::new(register_sha256);
    let audit = Audit {
        issuer,
        document_sha256,
        check,
        progress,
    };
    report.body = audit.run(&mut report, envelope);
    report
}

/// What the auditor brings to [`verify_register_with`].
struct Audit<'a> {
    issuer: &'a IssuerKey,
    document_sha256: Option<&'a [u8; 32]>,
    check: SignatureCheck,
    progress: &'a dyn Progress,
}

/// What a step that can stop the audit found: what later steps need and
/// the step's detail when it passed, or why it failed.
type Found<T> = Result<(T, String), String>;

impl Audit<'_> {
    /// Steps 1 to 8, written into `report`; the register's body when no
    /// step stopped the audit.
    fn run(
        &self,
        report: &mut RegisterReport,
        envelope: Result<RegisterEnvelope, dsse::DsseError>,
    ) -> Option<RegisterBody> {
        // 1. A DSSE envelope, strictly parsed, with one signature.
        let envelope = report.record(
            RegisterStep::Envelope,
            envelope
                .map(|e| (e, "DSSE v1 envelope with one Ed25519 signature".into()))
                .map_err(|e| e.to_string()),
        )?;
        // 2. The payload is a register.
        let payload = report.record(RegisterStep::Payload, read_payload(&envelope, self.issuer))?;
        let Payload {
            body,
            register_key,
            early_seal,
        } = payload;
        report.describe(&body);
        // 3. The seal, with the auditor's key (the envelope's bytes are
        //    dropped once it is checked).
        report.record(
            RegisterStep::Seal,
            check_seal(envelope, &body, register_key, early_seal, self.issuer),
        )?;
        // 4. The sealed keyring.
        let keyring = report.record(RegisterStep::Keyring, read_keyring(&body))?;
        // 5. Every acknowledgement.
        let mut entries = match check_acknowledgements(&body, &keyring, self.check, self.progress) {
            Ok((entries, outcome)) => {
                report.push(RegisterStep::Acknowledgements, outcome);
                entries
            }
            Err(why) => {
                report.push(RegisterStep::Acknowledgements, Outcome::Failed(why));
                return None;
            }
        };
        // 6. Numbering, order, duplicates.
        let numbering = check_numbering(&body.entries, &entries);
        report.push(RegisterStep::Numbering, numbering.outcome);
        // 7. Every employee accounted for.
        report.push(
            RegisterStep::Outstanding,
            check_outstanding(&body.outstanding, &keyring, &numbering.acknowledged),
        );
        for (i, problems) in numbering.problems {
            entries[i].verdict.problems.extend(problems);
        }
        report.entries = entries.into_iter().map(|e| e.verdict).collect();
        // 8. The auditor's PDF.
        report.push(
            RegisterStep::Document,
            check_document(&body, self.document_sha256),
        );
        Some(body)
    }
}

/// Step 1: the register file is a DSSE envelope, strictly parsed, with
/// one signature.
fn read_envelope(bytes: &[u8]) -> Result<RegisterEnvelope, dsse::DsseError> {
    crate::encoding::from_json(bytes)
        .map_err(dsse::DsseError::Json)
        .and_then(open_register_envelope)
}

/// What step 2 read.
struct Payload {
    /// The register.
    body: RegisterBody,
    /// The issuer key the register names (its key id checked).
    register_key: VerifyingKey,
    /// The seal, checked while the body was parsed, and the key it was
    /// checked with.
    early_seal: Option<(VerifyingKey, Result<(), dsse::DsseError>)>,
}

/// Step 2: the payload is a register: our payload type and `type`,
/// exactly our fields, a valid sealing time and issuer key, every text a
/// person reads following the text rules.
fn read_payload(envelope: &RegisterEnvelope, issuer: &IssuerKey) -> Found<Payload> {
    if envelope.payload_type != PAYLOAD_TYPE {
        return Err(format!(
            "payload type is \"{}\", expected \"{PAYLOAD_TYPE}\"",
            printable(&envelope.payload_type, 80)
        ));
    }
    // The seal (one SHA-512 over the whole payload) is checked on one core
    // while the other parses the payload. Its key is the auditor's own
    // key, or, when the auditor gave only a key id, the issuer key read
    // ahead from the head of the payload if it has that key id. Either way
    // the result is used in step 3 only if that key is the register's
    // issuer key; otherwise the seal is checked there.
    let (body, early_seal) = rayon::join(
        || crate::encoding::from_json::<RegisterBody>(envelope.payload()),
        || {
            let key = match issuer {
                IssuerKey::Key(k) => Some(*k),
                IssuerKey::KeyId(id) => {
                    issuer_key_ahead(envelope.payload()).filter(|k| KeyId::of(k) == *id)
                }
            };
            key.map(|k| {
                (
                    k,
                    dsse::verify_bytes(&k, &envelope.pae, &envelope.signature),
                )
            })
        },
    );
    let body = body.map_err(|e| format!("not register JSON: {e}"))?;
    check_body(&body)?;
    let register_key = register_issuer_key(&body)?;
    let detail = format!(
        "{REGISTER_TYPE}, {} entries, sealed {}",
        body.entries.len(),
        body.sealed_at
    );
    Ok((
        Payload {
            body,
            register_key,
            early_seal,
        },
        detail,
    ))
}

/// The register body's type, sealing time and texts (step 2).
fn check_body(body: &RegisterBody) -> Result<(), String> {
    if body.kind != REGISTER_TYPE {
        return Err(format!(
            "type is \"{}\", expected \"{REGISTER_TYPE}\"",
            printable(&body.kind, 80)
        ));
    }
    register::check_sealed_at(&body.sealed_at).map_err(|e| e.to_string())?;
    // Every text a person reads follows the text rules (docs/FORMAT.md,
    // "Text fields"): no control, bidirectional or invisible characters.
    let texts = [
        (
            "document.title",
            Some(&body.document.title),
            crate::ack::MAX_TITLE_LEN,
        ),
        (
            "issuer.name",
            body.issuer.name.as_ref(),
            crate::keyring::MAX_NAME_LEN,
        ),
    ];
    for (field, text, max) in texts {
        if let Some(t) = text {
            crate::text::check(t, max, false).map_err(|e| format!("{field} {e}"))?;
        }
    }
    for (i, o) in body.outstanding.iter().enumerate() {
        crate::text::check(&o.name, crate::keyring::MAX_NAME_LEN, false)
            .and_then(|()| crate::text::check_id(&o.id))
            .map_err(|e| format!("outstanding[{i}] {e}"))?;
    }
    Ok(())
}

/// The issuer key the register names, which its key id must name too
/// (step 2).
fn register_issuer_key(body: &RegisterBody) -> Result<VerifyingKey, String> {
    let register_key = b64_strict(&body.issuer.public_key)
        .ok()
        .and_then(|v| <[u8; 32]>::try_from(v).ok())
        .and_then(|raw| crate::keys::public_key_from_bytes(&raw).ok())
        .ok_or("issuer public_key is not a base64 Ed25519 public key")?;
    if KeyId::of(&register_key).to_string() != body.issuer.keyid {
        return Err("issuer keyid is not the SHA-256 of the issuer public_key".into());
    }
    Ok(register_key)
}

/// Step 3: the seal. The key is the auditor's, never the register's word
/// alone: a PEM key must be the register's issuer key; a key id must be
/// the hash of the register's issuer key. The envelope is consumed: the
/// payload is not needed any more (the body holds what follows).
fn check_seal(
    envelope: RegisterEnvelope,
    body: &RegisterBody,
    register_key: VerifyingKey,
    early_seal: Option<(VerifyingKey, Result<(), dsse::DsseError>)>,
    issuer: &IssuerKey,
) -> Found<()> {
    let auditor_keyid = match issuer {
        IssuerKey::Key(k) => KeyId::of(k),
        IssuerKey::KeyId(id) => *id,
    };
    if KeyId::of(&register_key) != auditor_keyid {
        return Err(format!(
            "the register names issuer key {}, the auditor expects {auditor_keyid}",
            body.issuer.keyid
        ));
    }
    if envelope.keyid != auditor_keyid {
        return Err(format!(
            "the seal is by key {}, the auditor expects {auditor_keyid}",
            envelope.keyid
        ));
    }
    let seal = match early_seal {
        Some((key, seal)) if key == register_key => seal,
        _ => dsse::verify_bytes(&register_key, &envelope.pae, &envelope.signature),
    };
    // (Loading the keyring while the seal is hashed would save a fifth of
    // a second at 100,000 entries but keep this 100 MB alive beside it,
    // above the memory budget of docs/PERFORMANCE.md.)
    drop(envelope);
    seal.map_err(|e| format!("seal: {e}"))?;
    let by = body
        .issuer
        .name
        .as_ref()
        .map(|n| format!("{n}, "))
        .unwrap_or_default();
    Ok((
        (),
        format!("sealed by {by}key {auditor_keyid} (Ed25519, strict)"),
    ))
}

/// Step 4: the sealed keyring, as strictly as `keyring.json` itself.
fn read_keyring(body: &RegisterBody) -> Found<Keyring> {
    let keyring = Keyring::from_json(body.keyring.get().as_bytes()).map_err(|e| e.to_string())?;
    let detail = format!("{} employees, key ids match keys", keyring.entries().len());
    Ok((keyring, detail))
}

/// What step 5 found for one entry, and what step 6 needs of it.
struct CheckedEntry {
    /// The entry's verdict so far.
    verdict: EntryVerdict,
    /// The entry's signed payload was read, so the verdict's date, name
    /// and identifier are the signed ones (they follow the text rules, so
    /// printing them safely changed nothing) and order it in step 6.
    read: bool,
    /// SHA-256 of the envelope's text, computed on the chunk's core so
    /// that step 6 finds duplicated envelopes without hashing 100 MB on
    /// one core.
    envelope_sha256: [u8; 32],
}

/// Step 5: every acknowledgement, with the key the sealed keyring gives
/// for its key id, for this register's document: every entry and the
/// step's outcome, or why the step could not run.
fn check_acknowledgements(
    body: &RegisterBody,
    keyring: &Keyring,
    check: SignatureCheck,
    progress: &dyn Progress,
) -> Result<(Vec<CheckedEntry>, Outcome), String> {
    let doc_sha = crate::encoding::hex32(&body.document.sha256)
        .map_err(|e| format!("document sha256: {e}"))?;
    // Each chunk on its own core: steps 1-2 of every entry, one batch
    // verification of the chunk's signatures (or verify_strict one by one
    // when it fails, or in strict mode), then steps 4-6.
    progress.start(body.entries.len() as u64);
    let size = chunk_size(body.entries.len());
    let chunks: Vec<Vec<CheckedEntry>> = body
        .entries
        .par_chunks(size)
        .enumerate()
        .map(|(c, chunk)| {
            let checked = check_chunk(c * size, chunk, keyring, &doc_sha, check);
            progress.advance(chunk.len() as u64);
            checked
        })
        .collect();
    progress.finish();
    let mut entries = Vec::with_capacity(body.entries.len());
    for chunk in chunks {
        entries.extend(chunk);
    }
    let bad = entries.iter().filter(|e| !e.verdict.is_valid()).count();
    let outcome = if bad == 0 {
        Outcome::Passed(format!(
            "{} acknowledgements verify (Ed25519, {}) for document {}",
            body.entries.len(),
            match check {
                SignatureCheck::Batch => "strict, batched",
                SignatureCheck::Strict => "strict",
            },
            body.document.sha256
        ))
    } else {
        Outcome::Failed(format!(
            "{bad} of {} acknowledgements fail",
            body.entries.len()
        ))
    };
    Ok((entries, outcome))
}

/// What step 6 found.
struct Numbering<'e> {
    /// The step's outcome.
    outcome: Outcome,
    /// The problems of each entry that has some, by index.
    problems: Vec<(usize, Vec<String>)>,
    /// Every acknowledged employee's identifier, with the number of the
    /// entry that first acknowledged.
    acknowledged: HashMap<&'e str, u64>,
}

/// Step 6: numbering 1..n in order, order by (date, name, id), no
/// employee or envelope twice.
fn check_numbering<'e>(register: &[RegisterEntry], entries: &'e [CheckedEntry]) -> Numbering<'e> {
    let mut count = 0;
    let mut problems_by_entry = Vec::new();
    let mut acknowledged: HashMap<&str, u64> = HashMap::with_capacity(register.len());
    let mut seen_env: HashMap<[u8; 32], u64> = HashMap::with_capacity(register.len());
    for (i, (entry, checked)) in register.iter().zip(entries).enumerate() {
        let mut problems = Vec::new();
        if entry.nr != i as u64 + 1 {
            problems.push(format!("numbered {}, expected {}", entry.nr, i + 1));
        }
        if let Some(&first) = seen_env.get(&checked.envelope_sha256) {
            problems.push(format!("duplicate of entry {first}"));
        }
        seen_env.insert(checked.envelope_sha256, entry.nr);
        if checked.read {
            let a = &checked.verdict;
            if let Some(&first) = acknowledged.get(a.id.as_str()) {
                problems.push(format!(
                    "employee {} already acknowledged in entry {first}",
                    a.id
                ));
            }
            acknowledged.insert(a.id.as_str(), entry.nr);
            let previous = i.checked_sub(1).map(|p| &entries[p]);
            if previous.is_some_and(|p| p.read && p.verdict.order_key() > a.order_key()) {
                problems.push("out of order: entries go by date, then name".into());
            }
        }
        if !problems.is_empty() {
            count += problems.len();
            problems_by_entry.push((i, problems));
        }
    }
    let outcome = if count == 0 {
        Outcome::Passed(format!(
            "numbered 1 to {} without gaps, by date then name, no duplicates",
            register.len()
        ))
    } else {
        Outcome::Failed(format!(
            "{count} problems with numbering, order or duplicates"
        ))
    };
    Numbering {
        outcome,
        problems: problems_by_entry,
        acknowledged,
    }
}

/// Step 7: every keyring employee is accounted for exactly once, either
/// in `acknowledged` or in the register's outstanding list.
fn check_outstanding(
    outstanding: &[register::Outstanding],
    keyring: &Keyring,
    acknowledged: &HashMap<&str, u64>,
) -> Outcome {
    let mut problems = Vec::new();
    let mut outstanding_ids = HashSet::new();
    for o in outstanding {
        match keyring.by_id(&o.id) {
            None => problems.push(format!(
                "outstanding {} is not in the keyring",
                printable(&o.id, 80)
            )),
            Some(e) if e.name != o.name => problems.push(format!(
                "outstanding {} is named \"{}\", the keyring says \"{}\"",
                printable(&o.id, 80),
                printable(&o.name, 200),
                e.name
            )),
            Some(_) => {}
        }
        if acknowledged.contains_key(o.id.as_str()) {
            problems.push(format!(
                "{} is both acknowledged and outstanding",
                printable(&o.id, 80)
            ));
        }
        if !outstanding_ids.insert(o.id.as_str()) {
            problems.push(format!("{} is outstanding twice", printable(&o.id, 80)));
        }
    }
    for e in keyring.entries() {
        if !acknowledged.contains_key(e.id.as_str()) && !outstanding_ids.contains(e.id.as_str()) {
            problems.push(format!("{} is neither acknowledged nor outstanding", e.id));
        }
    }
    if problems.is_empty() {
        Outcome::Passed(format!(
            "{} acknowledged, {} outstanding, every employee accounted for",
            acknowledged.len(),
            outstanding.len()
        ))
    } else {
        Outcome::Failed(problems.join("; "))
    }
}

/// Step 8: the auditor's PDF, when given, is the register's document.
fn check_document(body: &RegisterBody, document_sha256: Option<&[u8; 32]>) -> Outcome {
    match document_sha256 {
        None => Outcome::Skipped("no document given".into()),
        Some(h) if hex(h) == body.document.sha256 => Outcome::Passed(format!(
            "the given PDF has SHA-256 {}",
            body.document.sha256
        )),
        Some(h) => Outcome::Failed(format!(
            "the register is about SHA-256 {}, the given PDF has {}",
            body.document.sha256,
            hex(h)
        )),
    }
}

/// The register's own envelope, checked as [`Envelope::check`] does, with
/// the payload decoded straight into its PAE buffer: a register of 100,000
/// entries is ~140 MB, and neither a second copy for the PAE nor a full
/// re-encoding to prove the base64 canonical is made (memory stays within
/// 3x the file, see docs/PERFORMANCE.md).
struct RegisterEnvelope {
    payload_type: String,
    /// PAE(payload type, payload): the bytes the seal signs.
    pae: Vec<u8>,
    /// Where the payload starts in `pae`.
    payload_at: usize,
    keyid: KeyId,
    signature: Signature,
}

impl RegisterEnvelope {
    fn payload(&self) -> &[u8] {
        &self.pae[self.payload_at..]
    }
}

/// The issuer's public key as the register's payload names it, read ahead
/// of the payload's full parse: only the top-level fields up to `issuer`
/// are read (ackreg writes `issuer` before the keyring and the entries).
/// Nothing is checked here; `None` when it cannot be read.
fn issuer_key_ahead(payload: &[u8]) -> Option<VerifyingKey> {
    use serde::de::{Deserializer as _, Error as _, IgnoredAny, MapAccess, Visitor};

    #[derive(serde::Deserialize)]
    struct IssuerKeyOnly {
        public_key: String,
    }
    struct Head<'a>(&'a mut Option<String>);
    impl<'de> Visitor<'de> for Head<'_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a register")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                if key == "issuer" {
                    *self.0 = Some(map.next_value::<IssuerKeyOnly>()?.public_key);
                    // Stop here: the rest is for the full parse.
                    return Err(A::Error::custom("read ahead"));
                }
                map.next_value::<IgnoredAny>()?;
            }
            Ok(())
        }
    }
    let mut found = None;
    let _ = serde_json::Deserializer::from_slice(payload).deserialize_map(Head(&mut found));
    let raw: [u8; 32] = b64_strict(&found?).ok()?.try_into().ok()?;
    VerifyingKey::from_bytes(&raw).ok()
}

/// Base64 characters of the register's payload decoded as one piece of
/// work (a multiple of 4).
const PIECE: usize = 1 << 20;

/// A DSSE envelope as [`Envelope`] reads it, but with its payload text
/// borrowed from the file rather than copied (the register's payload is
/// most of the file).
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct BorrowedEnvelope<'a> {
    #[serde(rename = "payloadType")]
    payload_type: String,
    #[serde(borrow)]
    payload: std::borrow::Cow<'a, str>,
    signatures: Vec<dsse::EnvelopeSignature>,
}

fn open_register_envelope(env: BorrowedEnvelope) -> Result<RegisterEnvelope, dsse::DsseError> {
    use base64::Engine as _;
    let bad = || dsse::DsseError::Payload(crate::encoding::EncodingError::Base64);
    let text = env.payload.as_bytes();
    if text.len() & 3 != 0 {
        return Err(bad());
    }
    let padding = text.iter().rev().take(2).filter(|&&c| c == b'=').count();
    let len = (text.len() / 4 * 3).saturating_sub(padding);
    let prefix = format!(
        "DSSEv1 {} {} {len} ",
        env.payload_type.len(),
        env.payload_type
    );
    // Decoded in place into a buffer of exactly the PAE's length, in pieces
    // on all cores; each piece is also checked to be spelled canonically,
    // as encoding::b64_strict demands (re-encoding the decoded bytes gives
    // the text back), without a full re-encoding.
    let payload_at = prefix.len();
    let mut pae = vec![0u8; payload_at + len];
    pae[..payload_at].copy_from_slice(prefix.as_bytes());
    let pieces = text.len().div_ceil(PIECE);
    if len.div_ceil(PIECE / 4 * 3) != pieces {
        return Err(bad());
    }
    text.par_chunks(PIECE)
        .zip(pae[payload_at..].par_chunks_mut(PIECE / 4 * 3))
        .enumerate()
        .try_for_each(|(k, (spelled, raw))| {
            // Padding only at the very end.
            if k + 1 < pieces && spelled.contains(&b'=') {
                return Err(());
            }
            let decoded = base64::engine::general_purpose::STANDARD
                .decode_slice(spelled, raw)
                .map_err(|_| ())?;
            if decoded != raw.len() {
                return Err(());
            }
            let mut piece = [0u8; 4096];
            for (raw, spelled) in raw.chunks(3072).zip(spelled.chunks(4096)) {
                let n = base64::engine::general_purpose::STANDARD
                    .encode_slice(raw, &mut piece)
                    .map_err(|_| ())?;
                if piece[..n] != *spelled {
                    return Err(());
                }
            }
            Ok(())
        })
        .map_err(|()| bad())?;
    // The signature part, checked by the one implementation of it.
    let rest = Envelope {
        payload_type: String::new(),
        payload: String::new(),
        signatures: env.signatures,
    }
    .check()?;
    Ok(RegisterEnvelope {
        payload_type: env.payload_type,
        pae,
        payload_at,
        keyid: rest.keyid,
        signature: rest.signature,
    })
}

/// Steps 1 to 6 of the acknowledgement verification for the entries of one
/// chunk, `first` being the index of the chunk's first entry.
fn check_chunk(
    first: usize,
    chunk: &[RegisterEntry],
    keyring: &Keyring,
    doc_sha: &[u8; 32],
    check: SignatureCheck,
) -> Vec<CheckedEntry> {
    let mut results: Vec<Option<Checked>> = Vec::with_capacity(chunk.len());
    let mut batch: Vec<(usize, ack::Opened)> = Vec::with_capacity(chunk.len());
    for (i, entry) in chunk.iter().enumerate() {
        results.push(None);
        match ack::open(entry.envelope.get().as_bytes(), keyring) {
            Err(r) => results[i] = Some(Checked::Report(r)),
            Ok(o) if check == SignatureCheck::Batch && batchable(&o.envelope().signature) => {
                batch.push((i, o))
            }
            // Strict mode, or an R that verify_strict must judge itself.
            Ok(o) => results[i] = Some(Checked::Report(Box::new(o.verify(Some(doc_sha))))),
        }
    }
    if !batch.is_empty() {
        let messages: Vec<Vec<u8>> = batch
            .iter()
            .map(|(_, o)| dsse::pae(&o.envelope().payload_type, &o.envelope().payload))
            .collect();
        let refs: Vec<&[u8]> = messages.iter().map(Vec::as_slice).collect();
        let sigs: Vec<Signature> = batch.iter().map(|(_, o)| o.envelope().signature).collect();
        let keys: Vec<VerifyingKey> = batch.iter().map(|(_, o)| o.signer().public_key).collect();
        let all_good = ed25519_dalek::verify_batch(&refs, &sigs, &keys).is_ok();
        drop(refs);
        drop(messages);
        for (i, o) in batch {
            results[i] = Some(if all_good {
                let signer = o.signer();
                match o.accept_verified(doc_sha) {
                    Ok(ack) => Checked::Valid(signer, ack),
                    Err(report) => Checked::Report(report),
                }
            } else {
                // Name the bad entries: each one exactly, with verify_strict.
                Checked::Report(Box::new(o.verify(Some(doc_sha))))
            });
        }
    }
    chunk
        .iter()
        .zip(results)
        .enumerate()
        .map(|(i, (entry, r))| match r {
            Some(Checked::Valid(signer, ack)) => CheckedEntry::valid(first + i, entry, signer, ack),
            Some(Checked::Report(r)) => CheckedEntry::from_report(first + i, entry, *r),
            None => CheckedEntry::from_report(first + i, entry, ack::Report::default()),
        })
        .collect()
}

/// What step 5 found for one entry: a valid acknowledgement and its signer,
/// or the report of the acknowledgement step that failed.
enum Checked<'k> {
    Valid(&'k crate::keyring::Entry, ack::Acknowledgement),
    Report(Box<ack::Report>),
}

impl CheckedEntry {
    /// Entry `index` (from 0), valid.
    fn valid(
        index: usize,
        entry: &RegisterEntry,
        signer: &crate::keyring::Entry,
        ack: ack::Acknowledgement,
    ) -> Self {
        CheckedEntry {
            verdict: EntryVerdict {
                position: index + 1,
                nr: entry.nr,
                date: ack.date,
                name: printable(&ack.employee.name, 200),
                id: printable(&ack.employee.id, 80),
                keyid: signer.keyid().to_string(),
                problems: Vec::new(),
            },
            read: true,
            envelope_sha256: envelope_sha256(entry),
        }
    }

    /// Entry `index` (from 0), from its acknowledgement report.
    fn from_report(index: usize, entry: &RegisterEntry, r: ack::Report) -> Self {
        let mut v = EntryVerdict {
            position: index + 1,
            nr: entry.nr,
            date: String::new(),
            name: String::new(),
            id: String::new(),
            keyid: r
                .signer
                .as_ref()
                .map(|s| s.keyid().to_string())
                .unwrap_or_default(),
            problems: Vec::new(),
        };
        if let Some(a) = &r.acknowledgement {
            v.date = a.date.clone();
            v.name = printable(&a.employee.name, 200);
            v.id = printable(&a.employee.id, 80);
        }
        if let Some((step, why)) = r.failure() {
            v.problems.push(format!(
                "acknowledgement step {} ({}): {why}",
                step.number(),
                step.name()
            ));
        }
        CheckedEntry {
            verdict: v,
            read: r.acknowledgement.is_some(),
            envelope_sha256: envelope_sha256(entry),
        }
    }
}

/// SHA-256 of an entry's envelope text, as the register holds it.
fn envelope_sha256(entry: &RegisterEntry) -> [u8; 32] {
    crate::document::sha256(entry.envelope.get().as_bytes())
}

/// The y coordinates (sign bit cleared, little-endian) of the eight
/// small-order points of edwards25519: 1 (identity), -1 (order 2), 0 (order
/// 4) and the two of order 8.
const SMALL_ORDER_Y: [[u8; 32]; 5] = [
    [
        0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0,
    ],
    [
        0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0x7f,
    ],
    [0; 32],
    [
        0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98,
        0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53,
        0xfc, 0x05,
    ],
    [
        0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67,
        0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac,
        0x03, 0x7a,
    ],
];

/// Whether each signature verifies over its message with its key (three
/// columns of one length): all in one batch equation when `check` allows
/// it and every signature passes [`batchable`]'s pre-checks, and else, or
/// when the batch fails, each on its own with `verify_strict`, so that
/// exactly the bad ones are named.
pub(crate) fn verify_columns(
    messages: &[&[u8]],
    signatures: &[Signature],
    keys: &[VerifyingKey],
    check: SignatureCheck,
) -> Vec<bool> {
    let all = check == SignatureCheck::Batch
        && !signatures.is_empty()
        && signatures.iter().all(batchable)
        && ed25519_dalek::verify_batch(messages, signatures, keys).is_ok();
    messages
        .iter()
        .zip(signatures)
        .zip(keys)
        .map(|((m, s), k)| all || dsse::verify_bytes(k, m, s).is_ok())
        .collect()
}

/// True when a signature's `R` may go into a batch: its y coordinate is
/// canonical (below p = 2^255 - 19), so the batch's decompression means
/// what verify_strict's comparison of encodings means, and it is none of
/// the small-order points, which verify_strict refuses. Any other
/// signature is checked alone with verify_strict.
pub(crate) fn batchable(signature: &Signature) -> bool {
    let mut y = signature.r_bytes().to_owned();
    y[31] &= 0x7f;
    let non_canonical = y[31] == 0x7f && y[1..31].iter().all(|&b| b == 0xff) && y[0] >= 0xed;
    !non_canonical && !SMALL_ORDER_Y.contains(&y)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sealed register of `n` employees, all acknowledging, and its
    /// issuer's key.
    fn register_of(n: usize) -> (register::Sealed, ed25519_dalek::SigningKey) {
        use crate::ack::Acknowledgement;
        use crate::document::DocumentRef;
        use crate::keyring::Entry;
        let doc = DocumentRef {
            title: "Noteikumi".into(),
            sha256: [7; 32],
        };
        let mut ring = Keyring::default();
        let mut candidates = Vec::new();
        for i in 0..n {
            let mut seed = [1u8; 32];
            seed[..8].copy_from_slice(&(i as u64).to_le_bytes());
            let key = ed25519_dalek::SigningKey::from_bytes(&seed);
            let (id, name) = (format!("e{i:04}"), format!("Jānis Bērziņš {i}"));
            ring.add(Entry::new(&id, &name, None, key.verifying_key()).unwrap())
                .unwrap();
            let ack = Acknowledgement::new(&doc, &name, &id, "2017-12-04", None).unwrap();
            candidates.push(register::Candidate {
                source: format!("{id}.ack.json"),
                bytes: ack.sign(&key).unwrap().to_json().unwrap(),
            });
        }
        let assembly = register::assemble(&doc, &ring, &candidates);
        assert!(assembly.refused.is_empty());
        let issuer = ed25519_dalek::SigningKey::from_bytes(&[2; 32]);
        let sealed = register::seal(&assembly, &issuer, None, "2017-12-31T09:30:00Z").unwrap();
        (sealed, issuer)
    }

    #[test]
    fn small_registers_still_use_every_core() {
        let cores = rayon::current_num_threads();
        assert_eq!(chunk_size(10), MIN_CHUNK);
        assert_eq!(chunk_size(100_000), CHUNK);
        let n = 4 * cores * 200;
        assert_eq!(chunk_size(n), 200);
        assert!(n.div_ceil(chunk_size(n)) >= 4 * cores);
    }

    #[test]
    fn a_failed_batch_names_exactly_the_bad_entry_in_both_modes() {
        // 300 entries in several chunks; entry 150 carries a signature by
        // another key that still parses, sealed anew by the issuer.
        let (sealed, issuer) = register_of(300);
        let mut body: serde_json::Value = serde_json::from_slice(&{
            let env = Envelope::from_json(&sealed.bytes).unwrap().check().unwrap();
            env.payload
        })
        .unwrap();
        let bad = 149;
        let mut env: Envelope =
            serde_json::from_str(body["entries"][bad]["envelope"].to_string().as_str()).unwrap();
        let mut sig = b64_strict(&env.signatures[0].sig).unwrap();
        sig[40] ^= 1;
        env.signatures[0].sig = crate::encoding::b64(&sig);
        body["entries"][bad]["envelope"] = serde_json::to_value(&env).unwrap();
        let payload = serde_json::to_vec(&body).unwrap();
        let bytes = dsse::sign(&issuer, PAYLOAD_TYPE, &payload)
            .to_json()
            .unwrap();

        let issuer = IssuerKey::KeyId(KeyId::of(&issuer.verifying_key()));
        for check in [SignatureCheck::Batch, SignatureCheck::Strict] {
            let report = verify_register_with(&bytes, &issuer, None, check, &NoProgress);
            assert!(!report.is_valid());
            let flagged: Vec<usize> = report
                .entries
                .iter()
                .filter(|v| !v.is_valid())
                .map(|v| v.position)
                .collect();
            assert_eq!(flagged, vec![bad + 1], "{check:?}");
            let why = &report.entries[bad].problems[0];
            assert!(why.contains("step 3 (signature)"), "{why}");
            let step5 = &report.steps[4];
            assert_eq!(
                (step5.step, step5.status),
                (
                    RegisterStep::Acknowledgements,
                    crate::outcome::Status::Failed
                )
            );
            assert!(step5.detail.starts_with("1 of 300"), "{}", step5.detail);
        }
        // The untouched register verifies in both modes.
        for check in [SignatureCheck::Batch, SignatureCheck::Strict] {
            let report = verify_register_with(&sealed.bytes, &issuer, None, check, &NoProgress);
            assert!(report.is_valid(), "{check:?}");
            assert_eq!(report.entries.len(), 300);
        }
    }

    #[test]
    fn the_register_payload_is_decoded_in_pieces_strictly() {
        use crate::encoding::b64;
        let open = |payload: String| {
            open_register_envelope(BorrowedEnvelope {
                payload_type: "t".into(),
                payload: payload.into(),
                signatures: vec![dsse::EnvelopeSignature {
                    keyid: "ab".repeat(32),
                    sig: b64(&[0u8; 64]),
                }],
            })
        };
        let full = PIECE / 4 * 3;
        for n in [0, 1, 2, 3, full - 1, full, full + 1, full + 2, 2 * full + 2] {
            let data: Vec<u8> = (0..n).map(|i| (i * 7 + i / 251) as u8).collect();
            let env = open(b64(&data)).unwrap();
            assert_eq!(env.payload(), &data[..], "{n}");
            assert_eq!(
                &env.pae[..env.payload_at],
                format!("DSSEv1 1 t {n} ").as_bytes()
            );
        }
        let text = b64(&vec![0xffu8; 2 * full + 1]);
        assert!(text.ends_with("/w=="));
        let edit = |at: std::ops::Range<usize>, with: &str| {
            let mut t = text.clone();
            t.replace_range(at, with);
            t
        };
        let end = text.len();
        for bad in [
            edit(100..104, "QQ=="),          // padding inside the first piece
            edit(PIECE - 4..PIECE, "QQ=="),  // at the end of a piece that is not the last
            edit(PIECE + 8..PIECE + 9, "-"), // outside the alphabet, second piece
            edit(end - 4..end, "/x=="),      // non-canonical trailing bits
            edit(end - 4..end, "/w="),       // length not a multiple of 4
            format!("{text}QQ=="),           // padding before the end
        ] {
            assert!(open(bad).is_err());
        }
    }

    #[test]
    fn the_issuer_key_is_read_ahead_from_the_head_of_the_payload() {
        let issuer = ed25519_dalek::SigningKey::from_bytes(&[9u8; 32]).verifying_key();
        let body = format!(
            r#"{{"type":"t","document":{{"title":"x","n":[1,2]}},"issuer":{{"name":"A","public_key":"{}","keyid":"k"}},"entries":[1"#,
            crate::encoding::b64(issuer.as_bytes())
        );
        // Read as far as the issuer, even though the rest is cut off.
        assert_eq!(issuer_key_ahead(body.as_bytes()), Some(issuer));
        for bad in [
            &br#"{"type":"t","entries":[]}"#[..],
            b"not json",
            b"[1,2]",
            br#"{"issuer":{"public_key":"AAAA"}}"#,
            br#"{"issuer":{"name":"no key"}}"#,
        ] {
            assert_eq!(issuer_key_ahead(bad), None);
        }
    }

    #[test]
    fn small_order_encodings_are_not_batched() {
        // Every encoding with one of the listed y coordinates, either sign,
        // is a point verify_strict refuses (small order) or no point at all.
        for y in SMALL_ORDER_Y {
            for sign in [0u8, 0x80] {
                let mut r = y;
                r[31] |= sign;
                if let Ok(k) = VerifyingKey::from_bytes(&r) {
                    assert!(k.is_weak(), "{}", hex(&r));
                }
                let mut sig = [0u8; 64];
                sig[..32].copy_from_slice(&r);
                assert!(!batchable(&Signature::from_bytes(&sig)));
            }
        }
        // Non-canonical y (p and above) is not batched; p - 2 is.
        let mut p = [0xffu8; 32];
        p[0] = 0xed;
        p[31] = 0x7f;
        for low in [0xed, 0xee, 0xff] {
            let mut sig = [0u8; 64];
            sig[..32].copy_from_slice(&p);
            sig[0] = low;
            assert!(!batchable(&Signature::from_bytes(&sig)));
        }
        let mut sig = [0u8; 64];
        sig[..32].copy_from_slice(&p);
        sig[0] = 0xeb;
        assert!(batchable(&Signature::from_bytes(&sig)));
        // An honest signature's R is batched.
        let key = ed25519_dalek::SigningKey::from_bytes(&[3u8; 32]);
        assert!(batchable(&dsse::sign_bytes(&key, b"x")));
    }
}
