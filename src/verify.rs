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

use std::collections::{HashMap, HashSet};

use ed25519_dalek::VerifyingKey;
use serde::Serialize;

use crate::ack::{self, Outcome};
use crate::dsse::Envelope;
use crate::encoding::{b64_strict, hex};
use crate::keyring::Keyring;
use crate::keys::KeyId;
use crate::register::{self, RegisterBody, PAYLOAD_TYPE, REGISTER_TYPE};
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
/// holds; step 8 is skipped without it.
pub fn verify_register(
    bytes: &[u8],
    issuer: &IssuerKey,
    document_sha256: Option<&[u8; 32]>,
) -> RegisterReport {
    let mut report = RegisterReport {
        steps: Vec::new(),
        entries: Vec::new(),
        outstanding: Vec::new(),
        document_title: None,
        document_sha256: None,
        issuer_keyid: None,
        sealed_at: None,
        register_sha256: hex(&crate::document::sha256(bytes)),
        body: None,
    };

    // Step 1: a DSSE envelope, strictly parsed, with one signature.
    let checked = match Envelope::from_json(bytes).and_then(|e| e.check()) {
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
    let body: RegisterBody = match serde_json::from_slice(&checked.payload) {
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
    if let Err(e) = checked.verify(&register_key) {
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
    let mut acks = Vec::with_capacity(body.entries.len());
    for (i, entry) in body.entries.iter().enumerate() {
        let r = ack::verify_ack(entry.envelope.get().as_bytes(), &keyring, Some(&doc_sha));
        let mut v = EntryVerdict {
            position: i + 1,
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
        acks.push(r.acknowledgement);
        report.entries.push(v);
    }
    let bad = report.entries.iter().filter(|v| !v.is_valid()).count();
    report.push(
        RegisterStep::Acknowledgements,
        if bad == 0 {
            Outcome::Passed(format!(
                "{} acknowledgements verify (Ed25519, strict) for document {}",
                body.entries.len(),
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
            if let Some(&first) = seen_ids.get(&a.employee.id) {
                problems.push(format!(
                    "employee {} already acknowledged in entry {first}",
                    printable(&a.employee.id, 80)
                ));
            }
            seen_ids.insert(a.employee.id.clone(), entry.nr);
            if i > 0 {
                if let Some(prev) = &acks[i - 1] {
                    if register::order_key(prev) > register::order_key(a) {
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
