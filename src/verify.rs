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

use crate::ack::{self, Outcome};
use crate::dsse;
use crate::dsse::Envelope;
use crate::encoding::{b64_strict, hex};
use crate::keyring::Keyring;
use crate::keys::KeyId;
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

/// Entries checked together: one batch verification, one unit of work for a
/// core, one progress step.
pub const CHUNK: usize = 256;

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

/// One step's result.
#[derive(Debug, Clone, Serialize)]
pub struct StepResult {
    /// Which step.
    pub step: RegisterStep,
    /// `passed`, `failed` or `skipped`.
    pub status: &'static str,
    /// What was checked, or why it failed or was skipped.
    pub detail: String,
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
        self.steps.iter().all(|s| s.status != "failed")
            && self.entries.iter().all(EntryVerdict::is_valid)
            && self
                .steps
                .iter()
                .any(|s| s.step == RegisterStep::Outstanding)
    }

    /// Adds a step result.
    pub fn push(&mut self, step: RegisterStep, outcome: Outcome) {
        let (status, detail) = match outcome {
            Outcome::Passed(d) => ("passed", d),
            Outcome::Failed(d) => ("failed", d),
            Outcome::Skipped(d) => ("skipped", d),
        };
        self.steps.push(StepResult {
            step,
            status,
            detail: printable(&detail, 400),
        });
    }

    fn fail(mut self, step: RegisterStep, why: impl ToString) -> Self {
        self.push(step, Outcome::Failed(why.to_string()));
        self
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
        || Envelope::from_json(bytes).and_then(open_register_envelope),
    );
    let mut report = RegisterReport {
        steps: Vec::new(),
        entries: Vec::new(),
        outstanding: Vec::new(),
        document_title: None,
        document_sha256: None,
        issuer_keyid: None,
        sealed_at: None,
        register_sha256,
        body: None,
    };

    // Step 1: a DSSE envelope, strictly parsed, with one signature.
    let checked = match envelope {
        Ok(c) => c,
        Err(e) => return report.fail(RegisterStep::Envelope, e),
    };
    report.push(
        RegisterStep::Envelope,
        Outcome::Passed("DSSE v1 envelope with one Ed25519 signature".into()),
    );

    // Step 2: the payload is a register: our payload type and `type`,
    // exactly our fields, a valid sealing time and issuer key.
    if checked.payload_type != PAYLOAD_TYPE {
        return report.fail(
            RegisterStep::Payload,
            format!(
                "payload type is \"{}\", expected \"{PAYLOAD_TYPE}\"",
                printable(&checked.payload_type, 80)
            ),
        );
    }
    // With the auditor's own key, the seal (hashing the whole payload) is
    // checked on one core while the other parses; its result is taken in
    // step 3, once the register's issuer key is known to be the same key.
    let (body, early_seal) = rayon::join(
        || crate::encoding::from_json::<RegisterBody>(checked.payload()),
        || match issuer {
            IssuerKey::Key(k) => Some(dsse::verify_bytes(k, &checked.pae, &checked.signature)),
            IssuerKey::KeyId(_) => None,
        },
    );
    let body: RegisterBody = match body {
        Ok(b) => b,
        Err(e) => return report.fail(RegisterStep::Payload, format!("not register JSON: {e}")),
    };
    if body.kind != REGISTER_TYPE {
        return report.fail(
            RegisterStep::Payload,
            format!(
                "type is \"{}\", expected \"{REGISTER_TYPE}\"",
                printable(&body.kind, 80)
            ),
        );
    }
    if let Err(e) = register::check_sealed_at(&body.sealed_at) {
        return report.fail(RegisterStep::Payload, e);
    }
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
            if let Err(e) = crate::text::check(t, max, false) {
                return report.fail(RegisterStep::Payload, format!("{field} {e}"));
            }
        }
    }
    for (i, o) in body.outstanding.iter().enumerate() {
        if let Err(e) = crate::text::check(&o.name, crate::keyring::MAX_NAME_LEN, false)
            .and_then(|()| crate::text::check_id(&o.id))
        {
            return report.fail(RegisterStep::Payload, format!("outstanding[{i}] {e}"));
        }
    }
    let register_key = match b64_strict(&body.issuer.public_key)
        .ok()
        .and_then(|v| <[u8; 32]>::try_from(v).ok())
        .and_then(|raw| crate::keys::public_key_from_bytes(&raw).ok())
    {
        Some(k) => k,
        None => {
            return report.fail(
                RegisterStep::Payload,
                "issuer public_key is not a base64 Ed25519 public key",
            )
        }
    };
    if KeyId::of(&register_key).to_string() != body.issuer.keyid {
        return report.fail(
            RegisterStep::Payload,
            "issuer keyid is not the SHA-256 of the issuer public_key",
        );
    }
    report.document_title = Some(body.document.title.clone());
    report.document_sha256 = Some(body.document.sha256.clone());
    report.issuer_keyid = Some(body.issuer.keyid.clone());
    report.sealed_at = Some(body.sealed_at.clone());
    report.outstanding = body.outstanding.clone();
    report.push(
        RegisterStep::Payload,
        Outcome::Passed(format!(
            "{REGISTER_TYPE}, {} entries, sealed {}",
            body.entries.len(),
            body.sealed_at
        )),
    );

    // Step 3: the seal. The key is the auditor's, never the register's
    // word alone: a PEM key must be the register's issuer key; a key id
    // must be the hash of the register's issuer key.
    let auditor_keyid = match issuer {
        IssuerKey::Key(k) => KeyId::of(k),
        IssuerKey::KeyId(id) => *id,
    };
    if KeyId::of(&register_key) != auditor_keyid {
        return report.fail(
            RegisterStep::Seal,
            format!(
                "the register names issuer key {}, the auditor expects {auditor_keyid}",
                body.issuer.keyid
            ),
        );
    }
    if checked.keyid != auditor_keyid {
        return report.fail(
            RegisterStep::Seal,
            format!(
                "the seal is by key {}, the auditor expects {auditor_keyid}",
                checked.keyid
            ),
        );
    }
    let seal = early_seal
        .unwrap_or_else(|| dsse::verify_bytes(&register_key, &checked.pae, &checked.signature));
    // The payload is not needed any more: the body holds what follows.
    drop(checked.pae);
    if let Err(e) = seal {
        return report.fail(RegisterStep::Seal, format!("seal: {e}"));
    }
    report.push(
        RegisterStep::Seal,
        Outcome::Passed(format!(
            "sealed by {}key {auditor_keyid} (Ed25519, strict)",
            body.issuer
                .name
                .as_ref()
                .map(|n| format!("{n}, "))
                .unwrap_or_default()
        )),
    );

    // Step 4: the sealed keyring, as strictly as keyring.json itself.
    let keyring = match Keyring::from_json(body.keyring.get().as_bytes()) {
        Ok(k) => k,
        Err(e) => return report.fail(RegisterStep::Keyring, e),
    };
    report.push(
        RegisterStep::Keyring,
        Outcome::Passed(format!(
            "{} employees, key ids match keys",
            keyring.entries().len()
        )),
    );

    // Step 5: every acknowledgement, with the key the sealed keyring gives
    // for its key id, for this register's document.
    let doc_sha = match crate::encoding::hex32(&body.document.sha256) {
        Ok(h) => h,
        Err(e) => {
            return report.fail(
                RegisterStep::Acknowledgements,
                format!("document sha256: {e}"),
            )
        }
    };
    // Each chunk on its own core: steps 1-2 of every entry, one batch
    // verification of the chunk's signatures (or verify_strict one by one
    // when it fails, or in strict mode), then steps 4-6.
    progress.start(body.entries.len() as u64);
    let checked_chunks: Vec<Vec<(EntryVerdict, Option<OrderKey>)>> = body
        .entries
        .par_chunks(CHUNK)
        .enumerate()
        .map(|(c, chunk)| {
            let out = check_chunk(c * CHUNK, chunk, &keyring, &doc_sha, check);
            progress.advance(chunk.len() as u64);
            out
        })
        .collect();
    progress.finish();
    let mut acks = Vec::with_capacity(body.entries.len());
    report.entries.reserve(body.entries.len());
    for (verdict, ack) in checked_chunks.into_iter().flatten() {
        report.entries.push(verdict);
        acks.push(ack);
    }
    let bad = report.entries.iter().filter(|v| !v.is_valid()).count();
    report.push(
        RegisterStep::Acknowledgements,
        if bad == 0 {
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
        },
    );

    // Step 6: numbering 1..n in order, order by (date, name, id), no
    // employee or envelope twice.
    let mut numbering_problems = 0;
    let mut seen_ids: HashMap<String, u64> = HashMap::new();
    let mut seen_env: HashMap<&str, u64> = HashMap::new();
    for i in 0..body.entries.len() {
        let entry = &body.entries[i];
        let mut problems = Vec::new();
        if entry.nr != i as u64 + 1 {
            problems.push(format!("numbered {}, expected {}", entry.nr, i + 1));
        }
        if let Some(&first) = seen_env.get(entry.envelope.get()) {
            problems.push(format!("duplicate of entry {first}"));
        }
        seen_env.insert(entry.envelope.get(), entry.nr);
        if let Some(a) = &acks[i] {
            if let Some(&first) = seen_ids.get(&a.id) {
                problems.push(format!(
                    "employee {} already acknowledged in entry {first}",
                    printable(&a.id, 80)
                ));
            }
            seen_ids.insert(a.id.clone(), entry.nr);
            if i > 0 {
                if let Some(prev) = &acks[i - 1] {
                    if prev.key() > a.key() {
                        problems.push("out of order: entries go by date, then name".into());
                    }
                }
            }
        }
        numbering_problems += problems.len();
        report.entries[i].problems.extend(problems);
    }
    report.push(
        RegisterStep::Numbering,
        if numbering_problems == 0 {
            Outcome::Passed(format!(
                "numbered 1 to {} without gaps, by date then name, no duplicates",
                body.entries.len()
            ))
        } else {
            Outcome::Failed(format!(
                "{numbering_problems} problems with numbering, order or duplicates"
            ))
        },
    );

    // Step 7: every keyring employee is accounted for exactly once.
    let mut problems = Vec::new();
    let mut outstanding_ids = HashSet::new();
    for o in &body.outstanding {
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
        if seen_ids.contains_key(&o.id) {
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
        if !seen_ids.contains_key(&e.id) && !outstanding_ids.contains(e.id.as_str()) {
            problems.push(format!("{} is neither acknowledged nor outstanding", e.id));
        }
    }
    report.push(
        RegisterStep::Outstanding,
        if problems.is_empty() {
            Outcome::Passed(format!(
                "{} acknowledged, {} outstanding, every employee accounted for",
                seen_ids.len(),
                body.outstanding.len()
            ))
        } else {
            Outcome::Failed(problems.join("; "))
        },
    );

    // Step 8: the auditor's PDF is the register's document.
    report.push(
        RegisterStep::Document,
        match document_sha256 {
            None => Outcome::Skipped("no --document given".into()),
            Some(h) if hex(h) == body.document.sha256 => Outcome::Passed(format!(
                "the given PDF has SHA-256 {}",
                body.document.sha256
            )),
            Some(h) => Outcome::Failed(format!(
                "the register is about SHA-256 {}, the given PDF has {}",
                body.document.sha256,
                hex(h)
            )),
        },
    );
    report.body = Some(body);
    report
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

fn open_register_envelope(env: Envelope) -> Result<RegisterEnvelope, dsse::DsseError> {
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
    let mut pae = Vec::with_capacity(prefix.len() + len);
    pae.extend_from_slice(prefix.as_bytes());
    base64::engine::general_purpose::STANDARD
        .decode_vec(text, &mut pae)
        .map_err(|_| bad())?;
    let payload_at = prefix.len();
    // Canonical spelling, as encoding::b64_strict demands: re-encoding the
    // decoded bytes gives the text back, compared piece by piece.
    let mut piece = [0u8; 4096];
    for (raw, spelled) in pae[payload_at..].chunks(3072).zip(text.chunks(4096)) {
        let n = base64::engine::general_purpose::STANDARD
            .encode_slice(raw, &mut piece)
            .map_err(|_| bad())?;
        if piece[..n] != *spelled {
            return Err(bad());
        }
    }
    if pae.len() - payload_at != len {
        return Err(bad());
    }
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
) -> Vec<(EntryVerdict, Option<OrderKey>)> {
    let mut reports: Vec<Option<ack::Report>> = Vec::with_capacity(chunk.len());
    let mut batch: Vec<(usize, ack::Opened)> = Vec::with_capacity(chunk.len());
    for (i, entry) in chunk.iter().enumerate() {
        reports.push(None);
        match ack::open(entry.envelope.get().as_bytes(), keyring) {
            Err(r) => reports[i] = Some(*r),
            Ok(o) if check == SignatureCheck::Batch && batchable(&o.envelope().signature) => {
                batch.push((i, o))
            }
            // Strict mode, or an R that verify_strict must judge itself.
            Ok(o) => reports[i] = Some(o.verify(Some(doc_sha))),
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
            reports[i] = Some(if all_good {
                o.finish_verified(Some(doc_sha))
            } else {
                // Name the bad entries: each one exactly, with verify_strict.
                o.verify(Some(doc_sha))
            });
        }
    }
    chunk
        .iter()
        .zip(reports)
        .enumerate()
        .map(|(i, (entry, r))| verdict(first + i, entry, r.unwrap_or_default()))
        .collect()
}

/// The verdict on entry `index` (from 0) from its acknowledgement report.
fn verdict(
    index: usize,
    entry: &RegisterEntry,
    r: ack::Report,
) -> (EntryVerdict, Option<OrderKey>) {
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
    // Only what step 6 needs is kept of the payload (memory at 100,000).
    let key = r.acknowledgement.map(|a| OrderKey {
        date: a.date,
        name: a.employee.name,
        id: a.employee.id,
    });
    (v, key)
}

/// What step 6 needs of a verified acknowledgement: the register order
/// (`register::order_key`: date, name, identifier).
struct OrderKey {
    date: String,
    name: String,
    id: String,
}

impl OrderKey {
    fn key(&self) -> (&str, &str, &str) {
        (&self.date, &self.name, &self.id)
    }
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

/// True when a signature's `R` may go into a batch: its y coordinate is
/// canonical (below p = 2^255 - 19), so the batch's decompression means
/// what verify_strict's comparison of encodings means, and it is none of
/// the small-order points, which verify_strict refuses. Any other
/// signature is checked alone with verify_strict.
fn batchable(signature: &Signature) -> bool {
    let mut y = signature.r_bytes().to_owned();
    y[31] &= 0x7f;
    let non_canonical = y[31] == 0x7f && y[1..31].iter().all(|&b| b == 0xff) && y[0] >= 0xed;
    !non_canonical && !SMALL_ORDER_Y.contains(&y)
}

#[cfg(test)]
mod tests {
    use super::*;

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
