//! The acknowledgement: an employee's signed statement that they have read
//! one exact document, and its verification in numbered steps.
//!
//! The payload is compact UTF-8 JSON inside a DSSE envelope (see
//! `docs/FORMAT.md`). Signing serialises a fixed struct once; verification
//! works on the payload bytes exactly as signed and parses them only after
//! the signature has verified.

use ed25519_dalek::SigningKey;
use serde::{Deserialize, Serialize};
use time::Date;

use crate::document::DocumentRef;
use crate::dsse::{self, Envelope};
use crate::encoding::{hex, hex32};
use crate::keyring::{Entry, Keyring, MAX_NAME_LEN};
use crate::text::{self, printable, TextError};

/// DSSE payload type of an acknowledgement.
pub const PAYLOAD_TYPE: &str = "application/vnd.ackreg.acknowledgement+json";
/// Value of the payload's `type` field: names the format and its version.
/// It is an identifier, never fetched (`.invalid` is a reserved domain).
pub const ACK_TYPE: &str = "https://ackreg.invalid/acknowledgement/v1";
/// The sentence the employee agrees to (version 1).
pub const STATEMENT: &str = "Esmu iepazinies(-usies) ar noteikumiem un apņemos tos ievērot.";
/// Longest document title, in characters.
pub const MAX_TITLE_LEN: usize = 500;
/// Longest notes, in characters.
pub const MAX_NOTES_LEN: usize = 2000;

/// An error in an acknowledgement's contents.
#[derive(Debug, thiserror::Error)]
pub enum AckError {
    /// The date is not a real calendar date written YYYY-MM-DD.
    #[error("date \"{0}\" is not a real calendar date written YYYY-MM-DD")]
    Date(String),
    /// A text field breaks the text rules.
    #[error("{field} {error}")]
    Text {
        /// Which field.
        field: &'static str,
        /// What is wrong with it.
        error: TextError,
    },
    /// The DSSE payload type is not ours.
    #[error("payload type is \"{0}\", expected \"{PAYLOAD_TYPE}\"")]
    PayloadType(String),
    /// The payload bytes are not UTF-8.
    #[error("payload is not UTF-8 text")]
    NotUtf8,
    /// The payload is not the JSON of an acknowledgement.
    #[error("payload is not acknowledgement JSON: {0}")]
    Json(crate::encoding::JsonError),
    /// The payload could not be serialised.
    #[error("cannot serialise the payload: {0}")]
    Serialize(serde_json::Error),
    /// The payload's `type` field is not ours.
    #[error("payload type field is \"{0}\", expected \"{ACK_TYPE}\"")]
    Type(String),
    /// The statement is not the version 1 statement.
    #[error("the statement is not the one of {ACK_TYPE}")]
    Statement,
    /// The document hash is not 64 lowercase hexadecimal digits.
    #[error("document sha256: {0}")]
    Hash(crate::encoding::EncodingError),
    /// The envelope could not be made.
    #[error(transparent)]
    Dsse(#[from] dsse::DsseError),
}

impl crate::Hint for AckError {
    fn hint(&self) -> Option<String> {
        match self {
            AckError::Date(_) => Some("write the date as YYYY-MM-DD, e.g. 2017-12-04".into()),
            AckError::Text { error, .. } => crate::Hint::hint(error),
            AckError::Dsse(e) => crate::Hint::hint(e),
            _ => None,
        }
    }
}

/// The document part of the payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AckDocument {
    /// Title of the document.
    pub title: String,
    /// Lowercase hexadecimal SHA-256 of the PDF's bytes.
    pub sha256: String,
}

/// The employee part of the payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AckEmployee {
    /// Full name, Unicode NFC.
    pub name: String,
    /// Identifier, `[a-z0-9._-]{1,64}`.
    pub id: String,
}

/// The payload of an acknowledgement. Field order here is the order in the
/// serialised JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Acknowledgement {
    /// Always [`ACK_TYPE`].
    #[serde(rename = "type")]
    pub kind: String,
    /// What was acknowledged.
    pub document: AckDocument,
    /// Who acknowledged it.
    pub employee: AckEmployee,
    /// Date of acknowledgement, YYYY-MM-DD.
    pub date: String,
    /// Always [`STATEMENT`].
    pub statement: String,
    /// Optional notes (the annex's "Piezīmes").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

/// Parses a real Gregorian date written `YYYY-MM-DD` (years 0001 to 9999),
/// as acknowledgements and log entries carry it; anything else is
/// [`AckError::Date`]. The digits are read here; whether they make a date
/// (month lengths, leap years) is the `time` crate's decision.
pub fn parse_date(date: &str) -> Result<Date, AckError> {
    let err = || AckError::Date(printable(date, 40));
    let b = date.as_bytes();
    let shape_ok = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        });
    if !shape_ok {
        return Err(err());
    }
    let number = |digits: &[u8]| {
        digits
            .iter()
            .fold(0u16, |n, d| n * 10 + u16::from(d - b'0'))
    };
    let (year, month, day) = (number(&b[..4]), number(&b[5..7]), number(&b[8..]));
    if year == 0 {
        return Err(err());
    }
    let month = time::Month::try_from(month as u8).map_err(|_| err())?;
    Date::from_calendar_date(i32::from(year), month, day as u8).map_err(|_| err())
}

/// Checks that `date` is a real Gregorian date written `YYYY-MM-DD`
/// (years 0001 to 9999): [`parse_date`] without its result.
pub fn check_date(date: &str) -> Result<(), AckError> {
    parse_date(date).map(drop)
}

impl Acknowledgement {
    /// Makes an acknowledgement from values given by a person: names,
    /// title and notes are normalised to NFC and every field is checked.
    pub fn new(
        document: &DocumentRef,
        name: &str,
        id: &str,
        date: &str,
        notes: Option<&str>,
    ) -> Result<Self, AckError> {
        let field = |field| move |error| AckError::Text { field, error };
        let ack = Acknowledgement {
            kind: ACK_TYPE.into(),
            document: AckDocument {
                title: text::normalize(&document.title, MAX_TITLE_LEN, false)
                    .map_err(field("document title"))?,
                sha256: hex(&document.sha256),
            },
            employee: AckEmployee {
                name: text::normalize(name, MAX_NAME_LEN, false).map_err(field("employee name"))?,
                id: id.to_string(),
            },
            date: date.to_string(),
            statement: STATEMENT.into(),
            notes: notes
                .map(|n| text::normalize(&n.replace("\r\n", "\n"), MAX_NOTES_LEN, true))
                .transpose()
                .map_err(field("notes"))?,
        };
        ack.check()?;
        Ok(ack)
    }

    /// Checks every field of a parsed payload (the rules are
    /// [`AckRef::check`]'s).
    pub fn check(&self) -> Result<(), AckError> {
        AckRef::of(self).check()
    }

    /// The payload bytes: compact JSON in field order. Verifiers must not
    /// depend on this form; they verify the bytes they are given.
    pub fn to_payload(&self) -> Result<Vec<u8>, AckError> {
        serde_json::to_vec(self).map_err(AckError::Serialize)
    }

    /// Parses and checks payload bytes (after the signature has verified).
    pub fn from_payload(payload: &[u8]) -> Result<Self, AckError> {
        // The spelling ackreg writes is read without serde (the same
        // values, see `crate::exact`); anything else goes to serde, which
        // alone refuses.
        match Self::from_exact(payload) {
            Some(ack) => ack.check().map(|()| ack),
            None => Self::from_payload_by_serde(payload),
        }
    }

    /// [`Acknowledgement::from_payload`] with serde alone, never the fast
    /// path of the one common spelling: what tests and the fuzz target
    /// compare it with.
    #[doc(hidden)]
    pub fn from_payload_by_serde(payload: &[u8]) -> Result<Self, AckError> {
        // JSON that parses is UTF-8 (serde_json checks every string), so
        // the bytes are checked apart only to name why they did not parse.
        let ack: Acknowledgement = crate::encoding::from_json(payload).map_err(|e| {
            match std::str::from_utf8(payload) {
                Ok(_) => AckError::Json(e),
                Err(_) => AckError::NotUtf8,
            }
        })?;
        ack.check()?;
        Ok(ack)
    }

    /// The payload's fields when it is written in exactly the spelling
    /// [`Acknowledgement::to_payload`] writes, with no escaped string.
    pub(crate) fn from_exact(payload: &[u8]) -> Option<Self> {
        AckRef::exact(payload).map(|a| a.to_owned())
    }

    /// Signs this acknowledgement into a DSSE envelope.
    pub fn sign(&self, key: &SigningKey) -> Result<Envelope, AckError> {
        Ok(dsse::sign(key, PAYLOAD_TYPE, &self.to_payload()?))
    }
}

/// An acknowledgement's fields borrowed from where they were read: what
/// [`Acknowledgement`] owns, without a copy. An audit reads a million
/// payloads, and the history rules only compare their texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AckRef<'a> {
    /// The payload's `type`.
    pub kind: &'a str,
    /// The document's title.
    pub title: &'a str,
    /// The document's SHA-256, as the payload spells it.
    pub sha256: &'a str,
    /// The employee's name.
    pub name: &'a str,
    /// The employee's identifier.
    pub id: &'a str,
    /// The date, as the payload spells it.
    pub date: &'a str,
    /// The statement.
    pub statement: &'a str,
    /// The notes, if any.
    pub notes: Option<&'a str>,
}

impl<'a> AckRef<'a> {
    /// The fields of an owned acknowledgement.
    pub fn of(ack: &'a Acknowledgement) -> AckRef<'a> {
        AckRef {
            kind: &ack.kind,
            title: &ack.document.title,
            sha256: &ack.document.sha256,
            name: &ack.employee.name,
            id: &ack.employee.id,
            date: &ack.date,
            statement: &ack.statement,
            notes: ack.notes.as_deref(),
        }
    }

    /// The payload's fields when it is written in exactly the spelling
    /// [`Acknowledgement::to_payload`] writes, with no escaped string (see
    /// `crate::exact`); anything else is `None`, for serde to judge.
    pub(crate) fn exact(payload: &'a [u8]) -> Option<AckRef<'a>> {
        let mut c = crate::exact::Exact::new(payload)?;
        c.lit(r#"{"type":""#)?;
        let kind = c.plain()?;
        c.lit(r#","document":{"title":""#)?;
        let title = c.plain()?;
        c.lit(r#","sha256":""#)?;
        let sha256 = c.plain()?;
        c.lit(r#"},"employee":{"name":""#)?;
        let name = c.plain()?;
        c.lit(r#","id":""#)?;
        let id = c.plain()?;
        c.lit(r#"},"date":""#)?;
        let date = c.plain()?;
        c.lit(r#","statement":""#)?;
        let statement = c.plain()?;
        let notes = match c.lit(r#","notes":""#) {
            Some(()) => Some(c.plain()?),
            None => None,
        };
        c.lit("}")?;
        c.end()?;
        Some(AckRef {
            kind,
            title,
            sha256,
            name,
            id,
            date,
            statement,
            notes,
        })
    }

    /// Checks every field: the type and statement of version 1, the
    /// document hash, the text rules for title, name and notes, the
    /// identifier and the date.
    pub fn check(&self) -> Result<(), AckError> {
        self.checked().map(drop)
    }

    /// [`AckRef::check`], giving the document's hash and the date it
    /// decoded on the way (an audit needs both of every acknowledgement).
    pub(crate) fn checked(&self) -> Result<([u8; 32], Date), AckError> {
        let field = |field| move |error| AckError::Text { field, error };
        if self.kind != ACK_TYPE {
            return Err(AckError::Type(printable(self.kind, 80)));
        }
        if self.statement != STATEMENT {
            return Err(AckError::Statement);
        }
        let document = hex32(self.sha256).map_err(AckError::Hash)?;
        text::check_cached(self.title, MAX_TITLE_LEN, false).map_err(field("document title"))?;
        text::check_cached(self.name, MAX_NAME_LEN, false).map_err(field("employee name"))?;
        text::check_id(self.id).map_err(field("employee id"))?;
        let date = parse_date(self.date)?;
        if let Some(notes) = self.notes {
            text::check(notes, MAX_NOTES_LEN, true).map_err(field("notes"))?;
        }
        Ok((document, date))
    }

    /// An owned copy.
    pub fn to_owned(&self) -> Acknowledgement {
        Acknowledgement {
            kind: self.kind.into(),
            document: AckDocument {
                title: self.title.into(),
                sha256: self.sha256.into(),
            },
            employee: AckEmployee {
                name: self.name.into(),
                id: self.id.into(),
            },
            date: self.date.into(),
            statement: self.statement.into(),
            notes: self.notes.map(str::to_string),
        }
    }
}

/// A step of [`verify_ack`], in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// 1. The file is a DSSE envelope with one well-formed signature.
    Envelope,
    /// 2. The key id is in the keyring.
    Key,
    /// 3. The signature verifies with `verify_strict` over the PAE bytes.
    Signature,
    /// 4. The payload type is ours and the payload is a valid acknowledgement.
    Payload,
    /// 5. The document hash equals the SHA-256 of the given PDF.
    Document,
    /// 6. The employee in the payload is the keyring's owner of the key.
    Employee,
}

impl Step {
    /// All steps in order.
    pub const ALL: [Step; 6] = [
        Step::Envelope,
        Step::Key,
        Step::Signature,
        Step::Payload,
        Step::Document,
        Step::Employee,
    ];

    /// The step's number, from 1.
    pub fn number(self) -> u8 {
        match self {
            Step::Envelope => 1,
            Step::Key => 2,
            Step::Signature => 3,
            Step::Payload => 4,
            Step::Document => 5,
            Step::Employee => 6,
        }
    }

    /// A one-word name of the step.
    pub fn name(self) -> &'static str {
        match self {
            Step::Envelope => "envelope",
            Step::Key => "key",
            Step::Signature => "signature",
            Step::Payload => "payload",
            Step::Document => "document",
            Step::Employee => "employee",
        }
    }
}

pub use crate::outcome::Outcome;
use crate::outcome::{StepId, StepResult};

impl StepId for Step {
    fn number(self) -> u8 {
        Step::number(self)
    }

    fn name(self) -> &'static str {
        Step::name(self)
    }
}

/// The result of one step.
pub type StepReport = StepResult<Step>;

/// What [`verify_ack`] checked. Steps stop at the first failure.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// The steps that ran, in order.
    pub steps: Vec<StepReport>,
    /// The verified payload (set once step 4 passes).
    pub acknowledgement: Option<Acknowledgement>,
    /// The keyring entry of the signer (set once step 2 passes).
    pub signer: Option<Entry>,
}

impl Report {
    /// True when every step ran and none failed.
    pub fn is_valid(&self) -> bool {
        self.steps.len() == Step::ALL.len() && crate::outcome::held(&self.steps)
    }

    /// The failed step and its reason, if any.
    pub fn failure(&self) -> Option<(Step, &str)> {
        let failed = self.steps.iter().find(|s| s.failed())?;
        Some((failed.step, failed.detail.as_str()))
    }

    fn pass(&mut self, step: Step, what: impl Into<String>) {
        self.push(step, Outcome::Passed(printable(&what.into(), 300)));
    }

    fn fail(mut self, step: Step, why: impl ToString) -> Report {
        self.push(step, Outcome::Failed(printable(&why.to_string(), 300)));
        self
    }

    fn push(&mut self, step: Step, outcome: Outcome) {
        self.steps.push(StepResult::new(step, outcome));
    }
}

/// Verifies an acknowledgement envelope against a keyring and, when given,
/// the SHA-256 of the document it should acknowledge (`None` skips step 5,
/// for callers that check the document themselves).
pub fn verify_ack(
    envelope: &[u8],
    keyring: &Keyring,
    document_sha256: Option<&[u8; 32]>,
) -> Report {
    match open(envelope, keyring) {
        Ok(opened) => opened.verify(document_sha256),
        Err(report) => *report,
    }
}

/// An acknowledgement whose steps 1 and 2 have passed: its envelope is well
/// formed and its key id names a keyring entry. The signature (step 3) is
/// not verified yet.
///
/// [`verify_ack`] is [`open`] then [`Opened::verify`]. A register auditor
/// that verifies many signatures at once (`crate::verify`) opens every
/// entry, checks the signatures together, and finishes each with
/// [`Opened::finish_verified`] (or [`Opened::verify`] to check one exactly).
#[derive(Debug)]
pub struct Opened<'k> {
    checked: dsse::CheckedEnvelope,
    entry: &'k Entry,
}

/// Steps 1 and 2 of [`verify_ack`]; on failure, the report naming the step.
pub fn open<'k>(envelope: &[u8], keyring: &'k Keyring) -> Result<Opened<'k>, Box<Report>> {
    // Step 1: the bytes are a DSSE envelope: JSON with exactly the DSSE
    // fields, canonical base64, one signature of 64 bytes, a hex key id.
    let checked = match Envelope::from_json(envelope).and_then(|e| e.check()) {
        Ok(c) => c,
        Err(e) => return Err(Box::new(Report::default().fail(Step::Envelope, e))),
    };
    // Step 2: the key id names a key in the keyring. Only that key is tried.
    let Some(entry) = keyring.by_keyid(&checked.keyid) else {
        let mut report = Report::default();
        report.pass_envelope();
        return Err(Box::new(report.fail(
            Step::Key,
            format!("key id {} is not in the keyring", checked.keyid),
        )));
    };
    // The report of steps 1 and 2 is written only when it is asked for
    // (`Opened::verify`, `Opened::finish_verified`): a register auditor
    // keeps no report for an entry that is valid.
    Ok(Opened { checked, entry })
}

impl Report {
    fn pass_envelope(&mut self) {
        self.pass(
            Step::Envelope,
            "DSSE v1 envelope with one Ed25519 signature",
        );
    }
}

impl<'k> Opened<'k> {
    /// The report of steps 1 and 2, which have passed.
    fn opened_report(&self) -> Report {
        let mut report = Report::default();
        report.pass_envelope();
        report.pass(
            Step::Key,
            format!("key id {} belongs to {}", self.checked.keyid, self.entry.id),
        );
        report.signer = Some(self.entry.clone());
        report
    }

    /// The checked envelope: payload type, payload bytes, key id, signature.
    pub fn envelope(&self) -> &dsse::CheckedEnvelope {
        &self.checked
    }

    /// The keyring entry whose key must have made the signature.
    pub fn signer(&self) -> &'k Entry {
        self.entry
    }

    /// Steps 3 to 6: `verify_strict` over the PAE, then the payload.
    pub fn verify(self, document_sha256: Option<&[u8; 32]>) -> Report {
        // Step 3: Ed25519 verify_strict over PAE(payloadType, payload bytes
        // as decoded, never re-serialised).
        if let Err(e) = self.checked.verify(&self.entry.public_key) {
            return self.opened_report().fail(Step::Signature, e);
        }
        self.finish_verified(document_sha256)
    }

    /// Steps 4 to 6 as [`Opened::finish_verified`] checks them, for a
    /// signature already verified, without writing a report: the valid
    /// acknowledgement, or the report of the step that fails (the same
    /// report as `finish_verified`'s).
    pub fn accept_verified(
        self,
        document_sha256: &[u8; 32],
    ) -> Result<Acknowledgement, Box<Report>> {
        if self.checked.payload_type == PAYLOAD_TYPE {
            if let Ok(ack) = Acknowledgement::from_payload(&self.checked.payload) {
                if ack.employee.name == self.entry.name
                    && ack.employee.id == self.entry.id
                    && crate::encoding::hex32(&ack.document.sha256).ok().as_ref()
                        == Some(document_sha256)
                {
                    return Ok(ack);
                }
            }
        }
        Err(Box::new(self.finish_verified(Some(document_sha256))))
    }

    /// Steps 4 to 6, for a signature the caller has already verified over
    /// the PAE of [`Opened::envelope`] with [`Opened::signer`]'s key (with
    /// the guarantees that `crate::verify` documents for batches).
    pub fn finish_verified(self, document_sha256: Option<&[u8; 32]>) -> Report {
        let mut report = self.opened_report();
        let Opened { checked, entry } = self;
        report.pass(
            Step::Signature,
            "Ed25519 signature over the DSSE PAE verifies (strict)",
        );

        // Step 4: the payload type is ours, and only now is the signed
        // payload parsed: UTF-8 JSON of exactly our fields, type and
        // statement ours, every field valid.
        if checked.payload_type != PAYLOAD_TYPE {
            return report.fail(
                Step::Payload,
                AckError::PayloadType(printable(&checked.payload_type, 80)),
            );
        }
        let ack = match Acknowledgement::from_payload(&checked.payload) {
            Ok(a) => a,
            Err(e) => return report.fail(Step::Payload, e),
        };
        report.pass(
            Step::Payload,
            format!("{PAYLOAD_TYPE}, {ACK_TYPE}, dated {}", ack.date),
        );

        // Step 5: the acknowledged hash is the hash of the given PDF.
        match document_sha256 {
            None => report.push(Step::Document, Outcome::Skipped("no document given".into())),
            Some(expected) if hex(expected) == ack.document.sha256 => report.pass(
                Step::Document,
                format!(
                    "\"{}\", SHA-256 {} matches the given PDF",
                    ack.document.title, ack.document.sha256
                ),
            ),
            Some(expected) => {
                report.acknowledgement = Some(ack.clone());
                return report.fail(
                    Step::Document,
                    format!(
                        "the acknowledgement is for SHA-256 {}, the given PDF has {}",
                        ack.document.sha256,
                        hex(expected)
                    ),
                );
            }
        }

        // Step 6: the name and identifier signed are the keyring's for this key.
        if ack.employee.name != entry.name || ack.employee.id != entry.id {
            let why = format!(
                "the payload names \"{}\" ({}), the keyring has \"{}\" ({}) for this key",
                ack.employee.name, ack.employee.id, entry.name, entry.id
            );
            report.acknowledgement = Some(ack);
            return report.fail(Step::Employee, why);
        }
        report.pass(
            Step::Employee,
            format!("{} ({}) matches the keyring", entry.name, entry.id),
        );
        report.acknowledgement = Some(ack);
        report
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        for ok in [
            "2017-12-04",
            "2000-02-29",
            "2024-02-29",
            "0001-01-01",
            "9999-12-31",
        ] {
            assert!(check_date(ok).is_ok(), "{ok}");
        }
        for bad in [
            "2017-02-29",
            "1900-02-29",
            "2017-04-31",
            "2017-13-01",
            "2017-00-10",
            "2017-01-00",
            "0000-01-01",
            "2017-1-04",
            "17-12-04",
            "2017/12/04",
            "2017-12-04 ",
            "２017-12-04",
            "+017-12-04",
            "",
        ] {
            assert!(check_date(bad).is_err(), "{bad}");
        }
    }

    fn doc() -> DocumentRef {
        DocumentRef {
            title: "Noteikumi".into(),
            sha256: [0xab; 32],
        }
    }

    fn setup() -> (SigningKey, Keyring) {
        let key = SigningKey::from_bytes(&[9u8; 32]);
        let mut ring = Keyring::default();
        ring.add(Entry::new("jberzins", "Jānis Bērziņš", None, key.verifying_key()).unwrap())
            .unwrap();
        (key, ring)
    }

    #[test]
    fn sign_and_verify_all_steps() {
        let (key, ring) = setup();
        let ack = Acknowledgement::new(
            &doc(),
            "Ja\u{304}nis Bērziņš",
            "jberzins",
            "2017-12-04",
            None,
        )
        .unwrap();
        assert_eq!(ack.employee.name, "Jānis Bērziņš");
        let env = ack.sign(&key).unwrap().to_json().unwrap();
        let report = verify_ack(&env, &ring, Some(&[0xab; 32]));
        assert!(report.is_valid(), "{report:?}");
        assert_eq!(report.acknowledgement, Some(ack));

        let wrong_doc = verify_ack(&env, &ring, Some(&[0xcd; 32]));
        assert_eq!(wrong_doc.failure().map(|f| f.0), Some(Step::Document));

        let skipped = verify_ack(&env, &ring, None);
        assert!(skipped.is_valid());
        assert!(skipped.steps[4].status == crate::outcome::Status::Skipped);
    }

    #[test]
    fn each_step_can_fail() {
        let (key, ring) = setup();
        assert_eq!(
            verify_ack(b"{", &ring, None).failure().map(|f| f.0),
            Some(Step::Envelope)
        );
        let other = SigningKey::from_bytes(&[1u8; 32]);
        let ack =
            Acknowledgement::new(&doc(), "Jānis Bērziņš", "jberzins", "2017-12-04", None).unwrap();
        let env = ack.sign(&other).unwrap().to_json().unwrap();
        assert_eq!(
            verify_ack(&env, &ring, None).failure().map(|f| f.0),
            Some(Step::Key)
        );
        // Signed with the right key, then the payload changed.
        let mut env = ack.sign(&key).unwrap();
        let mut tampered = ack.clone();
        tampered.date = "2017-12-05".into();
        env.payload = crate::encoding::b64(&tampered.to_payload().unwrap());
        assert_eq!(
            verify_ack(&env.to_json().unwrap(), &ring, None)
                .failure()
                .map(|f| f.0),
            Some(Step::Signature)
        );
        // A correctly signed payload of another type.
        let env = dsse::sign(&key, "text/plain", b"hello");
        assert_eq!(
            verify_ack(&env.to_json().unwrap(), &ring, None)
                .failure()
                .map(|f| f.0),
            Some(Step::Payload)
        );
        let env = dsse::sign(&key, PAYLOAD_TYPE, b"not json");
        assert_eq!(
            verify_ack(&env.to_json().unwrap(), &ring, None)
                .failure()
                .map(|f| f.0),
            Some(Step::Payload)
        );
        // Signed by the key of jberzins but naming someone else.
        let impostor =
            Acknowledgement::new(&doc(), "Anna Liepa", "jberzins", "2017-12-04", None).unwrap();
        let env = impostor.sign(&key).unwrap().to_json().unwrap();
        assert_eq!(
            verify_ack(&env, &ring, None).failure().map(|f| f.0),
            Some(Step::Employee)
        );
    }
}
