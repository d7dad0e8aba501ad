//! The entries of the log: one JSON object per leaf of the Merkle tree.
//!
//! An entry's bytes are exactly what the tree commits to, so they have one
//! spelling only: compact JSON with the fields in the order documented in
//! `docs/FORMAT.md` ("The log"), `kind` first, no white space, no line feed.
//! A reader parses strictly (no unknown, missing or duplicate fields) and
//! then re-serialises the entry and compares the bytes, so that two entries
//! that mean the same thing are the same leaf.
//!
//! Parsing here checks each entry on its own (encodings, dates, text
//! rules); whether an entry is allowed where it stands in the log is the
//! business of [`crate::log::state`].

use ed25519_dalek::VerifyingKey;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::Date;

use crate::ack::{self, Acknowledgement};
use crate::dsse::{CheckedEnvelope, Envelope};
use crate::encoding::{b64, b64_strict, hex, hex32};
use crate::keys::KeyId;
use crate::text::{self, printable, TextError};

/// Largest entry accepted, in bytes (an acknowledgement envelope is at most
/// 64 KiB; the entry wraps it).
pub const MAX_ENTRY: usize = 80 * 1024;
/// Longest version label, in characters.
pub const MAX_LABEL_LEN: usize = 40;
/// Longest origin, in bytes.
pub const MAX_ORIGIN_LEN: usize = 200;
/// Most days a new employee may be given to acknowledge a version.
pub const MAX_NEW_EMPLOYEE_DAYS: u32 = 3660;
/// The implicit document of a version entry without `document`: every
/// version of a log written before log format 0.3 is of it. It binds
/// everyone, and no `document` entry may declare it.
pub const RULES: &str = "rules";

/// The kinds of entry, with the code stored in the log's index file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// The first entry: the log's origin and issuer.
    Log,
    /// A version of the rules was published.
    Version,
    /// An employee was enrolled with a key.
    Enrol,
    /// An employee's key was replaced.
    Key,
    /// An employee's key was revoked (lost or compromised).
    Revoke,
    /// An employee left.
    Leave,
    /// An acknowledgement was received.
    Ack,
    /// A unit of the organisation was declared.
    Unit,
    /// A document (its title and audience) was declared.
    Document,
    /// An employee started work (before any key).
    Join,
    /// An employee's units changed.
    Move,
    /// An employee's name or position changed.
    Update,
    /// A person became an administrator (or an administrator's key was
    /// replaced).
    Admin,
    /// An administrator's role ended.
    Dismiss,
    /// An administrator asked for the entries that follow.
    Request,
}

impl Kind {
    /// Every kind, in code order.
    pub const ALL: [Kind; 15] = [
        Kind::Log,
        Kind::Version,
        Kind::Enrol,
        Kind::Key,
        Kind::Revoke,
        Kind::Leave,
        Kind::Ack,
        Kind::Unit,
        Kind::Document,
        Kind::Join,
        Kind::Move,
        Kind::Update,
        Kind::Admin,
        Kind::Dismiss,
        Kind::Request,
    ];

    /// The `kind` field's value.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Log => "log",
            Kind::Version => "version",
            Kind::Enrol => "enrol",
            Kind::Key => "key",
            Kind::Revoke => "revoke",
            Kind::Leave => "leave",
            Kind::Ack => "ack",
            Kind::Unit => "unit",
            Kind::Document => "document",
            Kind::Join => "join",
            Kind::Move => "move",
            Kind::Update => "update",
            Kind::Admin => "admin",
            Kind::Dismiss => "dismiss",
            Kind::Request => "request",
        }
    }

    /// The one-byte code of the kind in the index file.
    pub fn code(self) -> u8 {
        match self {
            Kind::Log => 1,
            Kind::Version => 2,
            Kind::Enrol => 3,
            Kind::Key => 4,
            Kind::Revoke => 5,
            Kind::Leave => 6,
            Kind::Ack => 7,
            Kind::Unit => 8,
            Kind::Document => 9,
            Kind::Join => 10,
            Kind::Move => 11,
            Kind::Update => 12,
            Kind::Admin => 13,
            Kind::Dismiss => 14,
            Kind::Request => 15,
        }
    }

    /// The kind of a code, if it is one.
    pub fn from_code(code: u8) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.code() == code)
    }

    fn from_name(name: &[u8]) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name().as_bytes() == name)
    }
}

/// Why an entry's bytes are not a valid entry.
#[derive(Debug, thiserror::Error)]
pub enum EntryError {
    /// Larger than [`MAX_ENTRY`].
    #[error("entry is {0} bytes, more than the {MAX_ENTRY} allowed")]
    TooLarge(usize),
    /// Not `{"kind":"...",` at the start, or an unknown kind.
    #[error("entry does not start with a known {{\"kind\":...}}")]
    Kind,
    /// The JSON does not have the kind's shape.
    #[error("{kind} entry: {error}")]
    Json {
        /// The entry's kind.
        kind: &'static str,
        /// What is wrong, naming the field.
        error: crate::encoding::JsonError,
    },
    /// Valid JSON, but not the one spelling ackreg writes.
    #[error("{0} entry is not in canonical form (compact JSON, fields in the documented order)")]
    NotCanonical(&'static str),
    /// A field's value is wrong.
    #[error("{kind} entry: field `{field}` {why}")]
    Field {
        /// The entry's kind.
        kind: &'static str,
        /// The field.
        field: &'static str,
        /// What is wrong with it.
        why: String,
    },
    /// The acknowledgement envelope is malformed.
    #[error("ack entry: envelope: {0}")]
    Envelope(crate::dsse::DsseError),
    /// The acknowledgement payload is malformed.
    #[error("ack entry: payload: {0}")]
    Payload(crate::ack::AckError),
    /// The entry cannot be serialised.
    #[error("cannot serialise the entry: {0}")]
    Serialize(serde_json::Error),
}

impl crate::Hint for EntryError {}

fn field_err(kind: Kind, field: &'static str, why: impl ToString) -> EntryError {
    EntryError::Field {
        kind: kind.name(),
        field,
        why: why.to_string(),
    }
}

/// `YYYY-MM-DD`, a real Gregorian date of years 0001 to 9999 (see
/// [`crate::ack::parse_date`]).
pub fn parse_date(s: &str) -> Option<Date> {
    crate::ack::parse_date(s).ok()
}

/// A date as entries write it.
pub fn format_date(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

fn date(kind: Kind, field: &'static str, s: &str) -> Result<Date, EntryError> {
    parse_date(s).ok_or_else(|| {
        field_err(
            kind,
            field,
            format!(
                "\"{}\" is not a real date written YYYY-MM-DD",
                printable(s, 40)
            ),
        )
    })
}

fn public_key(kind: Kind, field: &'static str, s: &str) -> Result<VerifyingKey, EntryError> {
    let raw = b64_strict(s).map_err(|e| field_err(kind, field, e))?;
    let raw: [u8; 32] = raw
        .as_slice()
        .try_into()
        .map_err(|_| field_err(kind, field, format!("is {} bytes, not 32", raw.len())))?;
    crate::keys::public_key_from_bytes(&raw)
        .map_err(|e| field_err(kind, field, format!("is not usable: {e}")))
}

thread_local! {
    /// Signers' keys this thread read, by their base64 text, with their key
    /// ids: an audit meets the same few thousand keys in every
    /// acknowledgement, and decoding and hashing each again costs a fiftieth
    /// of the audit.
    /// (Hashed with `foldhash`, seeded at random per process, as
    /// `crate::text` remembers texts.)
    static SIGNERS: std::cell::RefCell<Signers> = std::cell::RefCell::new(Signers::default());
}

/// Signers' keys by their base64 text, with their key ids.
type Signers =
    std::collections::HashMap<[u8; 44], (VerifyingKey, KeyId), foldhash::fast::RandomState>;

/// Keys remembered per thread, at most (then forgotten all at once).
const SIGNER_CACHE: usize = 4096;

/// An acknowledgement entry's `public_key` and its key id: [`public_key`]
/// and [`KeyId::of`], remembered per thread for the keys that were valid.
pub(super) fn signer_key(s: &str) -> Result<(VerifyingKey, KeyId), EntryError> {
    let text: Option<[u8; 44]> = s.as_bytes().try_into().ok();
    if let Some(known) = text.and_then(|t| SIGNERS.with(|c| c.borrow().get(&t).copied())) {
        return Ok(known);
    }
    let key = public_key(Kind::Ack, "public_key", s)?;
    let id = KeyId::of(&key);
    if let Some(t) = text {
        SIGNERS.with(|c| {
            let mut c = c.borrow_mut();
            if c.len() >= SIGNER_CACHE {
                c.clear();
            }
            c.insert(t, (key, id));
        });
    }
    Ok((key, id))
}

fn text_field(kind: Kind, field: &'static str, s: &str, max: usize) -> Result<(), EntryError> {
    text::check(s, max, false).map_err(|e: TextError| field_err(kind, field, e))
}

fn id_field(kind: Kind, s: &str) -> Result<(), EntryError> {
    text::check_id(s).map_err(|e| field_err(kind, "id", e))
}

// ---- The JSON shapes, field order = serialisation order -----------------

/// The issuer as the first entry names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuerJson {
    /// Printed name, e.g. "J.Gavars".
    pub name: String,
    /// Base64 of the raw 32-byte Ed25519 public key.
    pub public_key: String,
}

/// `{"kind":"log",...}`: always entry 0.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogJson {
    kind: String,
    /// The checkpoints' origin line and the issuer's note key name.
    pub origin: String,
    /// Who signs the checkpoints.
    pub issuer: IssuerJson,
    /// The body that keeps the log, e.g. "Aknīstes novada pašvaldība".
    pub body: String,
    /// Date the log was created.
    pub created: String,
}

/// `{"kind":"version",...}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionJson {
    kind: String,
    /// The document it is a version of; absent for [`RULES`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<String>,
    /// Short label, e.g. "1" or "2017/1".
    pub label: String,
    /// The document's title.
    pub title: String,
    /// Hex SHA-256 of the PDF.
    pub sha256: String,
    /// Date it takes effect.
    pub effective: String,
    /// Whether employees must acknowledge it (a material change) or not
    /// (a correction of the version before it).
    pub material: bool,
    /// For a material version: last day to acknowledge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<String>,
    /// Days a newly enrolled employee has to acknowledge.
    pub new_employee_days: u32,
}

/// `{"kind":"enrol",...}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrolJson {
    kind: String,
    /// Employee identifier.
    pub id: String,
    /// Full name, NFC.
    pub name: String,
    /// Position, NFC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<String>,
    /// Base64 raw Ed25519 public key.
    pub public_key: String,
    /// First day the key may sign.
    pub valid_from: String,
}

/// `{"kind":"key",...}`: the employee's key is replaced from a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyJson {
    kind: String,
    /// Employee identifier.
    pub id: String,
    /// Base64 raw Ed25519 public key of the new key.
    pub public_key: String,
    /// First day the new key may sign (the old key's last day is the day before).
    pub valid_from: String,
}

/// `{"kind":"revoke",...}`: the employee's key may no longer sign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevokeJson {
    kind: String,
    /// Employee identifier.
    pub id: String,
    /// Key id of the revoked key.
    pub keyid: String,
    /// First day the key is no longer valid.
    pub date: String,
}

/// `{"kind":"leave",...}`: the employee left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeaveJson {
    kind: String,
    /// Employee identifier.
    pub id: String,
    /// First day the employee no longer works there.
    pub date: String,
}

/// `{"kind":"unit",...}`: a unit of the organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitJson {
    kind: String,
    /// Identifier (the rules of employee identifiers), e.g. "kac".
    pub id: String,
    /// Its name, NFC.
    pub name: String,
}

/// `{"kind":"document",...}`: a document's title and audience from a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentJson {
    kind: String,
    /// Identifier (the rules of employee identifiers), not [`RULES`].
    pub id: String,
    /// Title, NFC.
    pub title: String,
    /// Units it binds, sorted, without duplicates.
    pub units: Vec<String>,
    /// Positions it binds, sorted, without duplicates.
    pub positions: Vec<String>,
    /// First day this declaration holds.
    pub date: String,
}

/// `{"kind":"join",...}`: an employee's first working day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JoinJson {
    kind: String,
    /// Employee identifier.
    pub id: String,
    /// Full name, NFC.
    pub name: String,
    /// Position, NFC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<String>,
    /// Units, sorted, without duplicates.
    pub units: Vec<String>,
    /// First working day.
    pub date: String,
}

/// `{"kind":"move",...}`: an employee's units from a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoveJson {
    kind: String,
    /// Employee identifier.
    pub id: String,
    /// The whole new set of units, sorted, without duplicates.
    pub units: Vec<String>,
    /// First day in them.
    pub date: String,
}

/// `{"kind":"update",...}`: an employee's name and position from a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateJson {
    kind: String,
    /// Employee identifier.
    pub id: String,
    /// Full name from that day, NFC.
    pub name: String,
    /// Position from that day (none when absent), NFC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<String>,
    /// First day of the new name and position.
    pub date: String,
}

/// `{"kind":"admin",...}`: a person is an administrator with a key from a
/// date (for an administrator already there: their key is replaced).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminJson {
    kind: String,
    /// Administrator identifier (the rules of employee identifiers, its own
    /// namespace).
    pub id: String,
    /// Full name, NFC.
    pub name: String,
    /// Base64 raw Ed25519 public key.
    pub public_key: String,
    /// First day the key may sign requests.
    pub date: String,
}

/// `{"kind":"dismiss",...}`: an administrator's role ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DismissJson {
    kind: String,
    /// Administrator identifier.
    pub id: String,
    /// First day they are no longer an administrator.
    pub date: String,
}

/// `{"kind":"request",...}`: an administrator's signed request for the
/// entries that follow it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestJson {
    kind: String,
    /// Administrator identifier.
    pub admin: String,
    /// The administrator's DSSE envelope, field for field.
    pub envelope: Envelope,
}

/// `{"kind":"ack",...}`: an acknowledgement as received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AckJson {
    kind: String,
    /// Date the administration received it.
    pub received: String,
    /// Base64 raw public key of the signer (so that a receipt verifies alone).
    pub public_key: String,
    /// The employee's DSSE envelope, field for field.
    pub envelope: Envelope,
}

// ---- Checked entries ----------------------------------------------------

/// A version of the rules.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Version {
    /// The document it is a version of; `None` for [`RULES`] (the field
    /// is left out of the entry).
    pub document: Option<String>,
    /// Label.
    pub label: String,
    /// Title.
    pub title: String,
    /// SHA-256 of the PDF.
    pub sha256: [u8; 32],
    /// Effective date.
    #[serde(with = "super::fields::date")]
    pub effective: Date,
    /// Needs a new acknowledgement.
    pub material: bool,
    /// Deadline (material versions only).
    #[serde(with = "super::fields::opt_date")]
    pub deadline: Option<Date>,
    /// Days a new employee has.
    pub new_employee_days: u32,
}

impl Version {
    /// The id of its document: [`RULES`] when the entry names none.
    pub fn document_id(&self) -> &str {
        self.document.as_deref().unwrap_or(RULES)
    }
}

/// A document's declaration: its title and audience from a date.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Declaration {
    /// Document identifier.
    pub id: String,
    /// Title.
    pub title: String,
    /// Units it binds (sorted, no duplicates).
    pub units: Vec<String>,
    /// Positions it binds (sorted, no duplicates).
    pub positions: Vec<String>,
    /// First day it holds.
    #[serde(with = "super::fields::date")]
    pub date: Date,
}

impl Declaration {
    /// Whether it binds everyone (no units and no positions named).
    pub fn binds_everyone(&self) -> bool {
        self.units.is_empty() && self.positions.is_empty()
    }
}

/// An acknowledgement entry, decoded (its signature not yet verified).
#[derive(Debug, Clone)]
pub struct AckRecord {
    /// Date received.
    pub received: Date,
    /// The key the entry says signed.
    pub key: VerifyingKey,
    /// The envelope, decoded.
    pub envelope: CheckedEnvelope,
    /// The payload, parsed.
    pub ack: Acknowledgement,
    /// The payload's date.
    pub date: Date,
    /// The payload's document hash.
    pub document: [u8; 32],
}

impl AckRecord {
    /// The key id of [`AckRecord::key`]: the envelope's, which [`parse`]
    /// checked is the key's (so it is not hashed again).
    pub fn keyid(&self) -> KeyId {
        self.envelope.keyid
    }

    /// What the history rules read of it.
    pub fn view(&self) -> AckView<'_> {
        AckView {
            received: self.received,
            date: self.date,
            keyid: self.keyid(),
            document: self.document,
            payload: ack::AckRef::of(&self.ack),
        }
    }
}

/// What the history rules read of an acknowledgement entry, borrowed: from
/// an [`AckRecord`] ([`AckRecord::view`]), or from an entry the audit read
/// in place (`super::inplace`), whose texts stay where they were decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AckView<'a> {
    /// Date received.
    pub received: Date,
    /// The payload's date.
    pub date: Date,
    /// The key id of the key that signed.
    pub keyid: KeyId,
    /// The payload's document hash.
    pub document: [u8; 32],
    /// The payload's texts.
    pub payload: ack::AckRef<'a>,
}

/// An entry, checked on its own.
#[derive(Debug, Clone)]
pub enum Entry {
    /// The log's start.
    Log {
        /// Origin.
        origin: String,
        /// Issuer's printed name.
        issuer_name: String,
        /// Issuer's key.
        issuer_key: VerifyingKey,
        /// The body keeping the log.
        body: String,
        /// Creation date.
        created: Date,
    },
    /// A version.
    Version(Version),
    /// An enrolment.
    Enrol {
        /// Employee identifier.
        id: String,
        /// Name.
        name: String,
        /// Position.
        position: Option<String>,
        /// Key.
        key: VerifyingKey,
        /// Valid from.
        valid_from: Date,
    },
    /// A key replacement.
    Key {
        /// Employee identifier.
        id: String,
        /// The new key.
        key: VerifyingKey,
        /// Valid from.
        valid_from: Date,
    },
    /// A revocation.
    Revoke {
        /// Employee identifier.
        id: String,
        /// The revoked key.
        keyid: KeyId,
        /// From.
        date: Date,
    },
    /// A departure.
    Leave {
        /// Employee identifier.
        id: String,
        /// From.
        date: Date,
    },
    /// An acknowledgement.
    Ack(Box<AckRecord>),
    /// A unit.
    Unit {
        /// Identifier.
        id: String,
        /// Name.
        name: String,
    },
    /// A document's declaration.
    Document(Declaration),
    /// An employee's first day.
    Join {
        /// Employee identifier.
        id: String,
        /// Name.
        name: String,
        /// Position.
        position: Option<String>,
        /// Units.
        units: Vec<String>,
        /// First working day.
        date: Date,
    },
    /// A change of units.
    Move {
        /// Employee identifier.
        id: String,
        /// The new units.
        units: Vec<String>,
        /// From.
        date: Date,
    },
    /// A change of name or position.
    Update {
        /// Employee identifier.
        id: String,
        /// Name from then.
        name: String,
        /// Position from then.
        position: Option<String>,
        /// From.
        date: Date,
    },
    /// An administrator, or an administrator's new key.
    Admin {
        /// Administrator identifier.
        id: String,
        /// Name.
        name: String,
        /// Key.
        key: VerifyingKey,
        /// First day of the key.
        date: Date,
    },
    /// The end of an administrator's role.
    Dismiss {
        /// Administrator identifier.
        id: String,
        /// From.
        date: Date,
    },
    /// An administrator's request (its signature not yet verified).
    Request(Box<RequestRecord>),
}

impl Entry {
    /// The entry's kind.
    pub fn kind(&self) -> Kind {
        match self {
            Entry::Log { .. } => Kind::Log,
            Entry::Version(_) => Kind::Version,
            Entry::Enrol { .. } => Kind::Enrol,
            Entry::Key { .. } => Kind::Key,
            Entry::Revoke { .. } => Kind::Revoke,
            Entry::Leave { .. } => Kind::Leave,
            Entry::Ack(_) => Kind::Ack,
            Entry::Unit { .. } => Kind::Unit,
            Entry::Document(_) => Kind::Document,
            Entry::Join { .. } => Kind::Join,
            Entry::Move { .. } => Kind::Move,
            Entry::Update { .. } => Kind::Update,
            Entry::Admin { .. } => Kind::Admin,
            Entry::Dismiss { .. } => Kind::Dismiss,
            Entry::Request(_) => Kind::Request,
        }
    }
}

/// The kind an entry's bytes announce, from their first bytes only.
pub fn peek_kind(bytes: &[u8]) -> Option<Kind> {
    let rest = bytes.strip_prefix(b"{\"kind\":\"")?;
    let end = rest.iter().position(|&b| b == b'"')?;
    Kind::from_name(&rest[..end])
}

/// Parses and checks one entry's bytes (without its line feed).
pub fn parse(bytes: &[u8]) -> Result<Entry, EntryError> {
    if bytes.len() > MAX_ENTRY {
        return Err(EntryError::TooLarge(bytes.len()));
    }
    let kind = peek_kind(bytes).ok_or(EntryError::Kind)?;
    match kind {
        Kind::Log => check_log(&shape(kind, bytes)?),
        Kind::Version => check_version(&shape(kind, bytes)?).map(Entry::Version),
        Kind::Enrol => check_enrol(&shape(kind, bytes)?),
        Kind::Key => check_key(&shape(kind, bytes)?),
        Kind::Revoke => check_revoke(&shape(kind, bytes)?),
        Kind::Leave => check_leave(&shape(kind, bytes)?),
        Kind::Ack => {
            let record = match AckFields::exact(bytes) {
                Some(fields) => check_ack(fields, false),
                None => check_ack(AckFields::of(&shape::<AckJson>(kind, bytes)?), false),
            };
            record.map(|a| Entry::Ack(Box::new(a)))
        }
        Kind::Unit => check_unit(&shape(kind, bytes)?),
        Kind::Document => check_document(&shape(kind, bytes)?).map(Entry::Document),
        Kind::Join => check_join(&shape(kind, bytes)?),
        Kind::Move => check_move(&shape(kind, bytes)?),
        Kind::Update => check_update(&shape(kind, bytes)?),
        Kind::Admin => check_admin(&shape(kind, bytes)?),
        Kind::Dismiss => check_dismiss(&shape(kind, bytes)?),
        Kind::Request => {
            check_request(&shape::<RequestJson>(kind, bytes)?).map(|r| Entry::Request(Box::new(r)))
        }
    }
}

/// [`parse`] with serde alone, never the fast path of the one common
/// spelling: what tests and the fuzz target compare [`parse`] with.
#[doc(hidden)]
pub fn parse_by_serde(bytes: &[u8]) -> Result<Entry, EntryError> {
    match peek_kind(bytes) {
        Some(Kind::Ack) if bytes.len() <= MAX_ENTRY => {
            check_ack(AckFields::of(&shape::<AckJson>(Kind::Ack, bytes)?), true)
                .map(|a| Entry::Ack(Box::new(a)))
        }
        _ => parse(bytes),
    }
}

/// The strings of an acknowledgement entry, as they appear in its JSON.
pub(super) struct AckFields<'a> {
    pub(super) received: &'a str,
    pub(super) public_key: &'a str,
    pub(super) payload_type: &'a str,
    pub(super) payload: &'a str,
    pub(super) keyid: &'a str,
    pub(super) sig: &'a str,
    /// The envelope as serde read it (`None` on the fast path, where it
    /// has exactly one signature, `keyid` and `sig`).
    pub(super) envelope: Option<&'a Envelope>,
}

impl<'a> AckFields<'a> {
    /// The fields of an entry in exactly its one spelling with one
    /// signature and no escaped string, read without serde: the same
    /// strings `shape` would give, and canonical by construction (see
    /// `crate::exact`). Anything else is `None`, for `shape` to judge.
    pub(super) fn exact(bytes: &'a [u8]) -> Option<AckFields<'a>> {
        let mut c = crate::exact::Exact::new(bytes)?;
        c.lit(r#"{"kind":"ack","received":""#)?;
        let received = c.plain()?;
        c.lit(r#","public_key":""#)?;
        let public_key = c.plain()?;
        c.lit(r#","envelope":{"payloadType":""#)?;
        let payload_type = c.plain()?;
        c.lit(r#","payload":""#)?;
        let payload = c.plain()?;
        c.lit(r#","signatures":[{"keyid":""#)?;
        let keyid = c.plain()?;
        c.lit(r#","sig":""#)?;
        let sig = c.plain()?;
        c.lit("}]}}")?;
        c.end()?;
        Some(AckFields {
            received,
            public_key,
            payload_type,
            payload,
            keyid,
            sig,
            envelope: None,
        })
    }

    /// The fields of an entry parsed by serde.
    fn of(j: &'a AckJson) -> AckFields<'a> {
        AckFields {
            received: &j.received,
            public_key: &j.public_key,
            payload_type: &j.envelope.payload_type,
            payload: &j.envelope.payload,
            keyid: "",
            sig: "",
            envelope: Some(&j.envelope),
        }
    }

    /// The envelope, its encodings checked.
    fn envelope(&self) -> Result<CheckedEnvelope, EntryError> {
        match self.envelope {
            Some(e) => e.check(),
            None => crate::dsse::check_parts(self.payload_type, self.payload, self.keyid, self.sig),
        }
        .map_err(EntryError::Envelope)
    }
}

/// Parses the JSON shape of `kind` strictly and checks the bytes are its
/// canonical serialisation.
fn shape<T>(kind: Kind, bytes: &[u8]) -> Result<T, EntryError>
where
    T: Serialize + for<'de> Deserialize<'de> + HasKind,
{
    let value: T = crate::encoding::from_json(bytes).map_err(|source| EntryError::Json {
        kind: kind.name(),
        error: source,
    })?;
    if value.kind() != kind.name() {
        return Err(EntryError::Kind);
    }
    if !serialises_to(&value, bytes)? {
        return Err(EntryError::NotCanonical(kind.name()));
    }
    Ok(value)
}

/// Whether `value` serialises to exactly `bytes`, compared piece by piece
/// as it is written (nothing is copied).
fn serialises_to<T: Serialize>(value: &T, bytes: &[u8]) -> Result<bool, EntryError> {
    struct Compare<'a> {
        rest: &'a [u8],
        same: bool,
    }
    impl std::io::Write for Compare<'_> {
        fn write(&mut self, piece: &[u8]) -> std::io::Result<usize> {
            match self.rest.strip_prefix(piece) {
                Some(rest) if self.same => self.rest = rest,
                _ => self.same = false,
            }
            Ok(piece.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut compare = Compare {
        rest: bytes,
        same: true,
    };
    serde_json::to_writer(&mut compare, value).map_err(EntryError::Serialize)?;
    Ok(compare.same && compare.rest.is_empty())
}

/// The `kind` field of a JSON shape.
trait HasKind {
    fn kind(&self) -> &str;
}

macro_rules! has_kind {
    ($($t:ty),*) => { $(impl HasKind for $t { fn kind(&self) -> &str { &self.kind } })* };
}
has_kind!(
    LogJson,
    VersionJson,
    EnrolJson,
    KeyJson,
    RevokeJson,
    LeaveJson,
    AckJson,
    UnitJson,
    DocumentJson,
    JoinJson,
    MoveJson,
    UpdateJson,
    AdminJson,
    DismissJson,
    RequestJson
);

fn check_log(j: &LogJson) -> Result<Entry, EntryError> {
    let k = Kind::Log;
    check_origin(&j.origin).map_err(|why| field_err(k, "origin", why))?;
    text_field(
        k,
        "issuer.name",
        &j.issuer.name,
        crate::keyring::MAX_NAME_LEN,
    )?;
    text_field(k, "body", &j.body, crate::keyring::MAX_NAME_LEN)?;
    Ok(Entry::Log {
        origin: j.origin.clone(),
        issuer_name: j.issuer.name.clone(),
        issuer_key: public_key(k, "issuer.public_key", &j.issuer.public_key)?,
        body: j.body.clone(),
        created: date(k, "created", &j.created)?,
    })
}

/// An origin: printable ASCII without spaces or '+', as C2SP asks of key
/// names, at most [`MAX_ORIGIN_LEN`] bytes.
pub fn check_origin(origin: &str) -> Result<(), String> {
    if origin.is_empty() || origin.len() > MAX_ORIGIN_LEN {
        return Err(format!("must be 1 to {MAX_ORIGIN_LEN} characters"));
    }
    if let Some(c) = origin.chars().find(|c| !c.is_ascii_graphic() || *c == '+') {
        return Err(format!(
            "contains {}: use letters, digits and . / - _ only, e.g. aknistesnovads.lv/kac",
            text::describe(c)
        ));
    }
    Ok(())
}

fn check_version(j: &VersionJson) -> Result<Version, EntryError> {
    let k = Kind::Version;
    if let Some(document) = &j.document {
        text::check_id(document).map_err(|e| field_err(k, "document", e))?;
        if document == RULES {
            return Err(field_err(
                k,
                "document",
                format!("is \"{RULES}\", which is written by leaving the field out"),
            ));
        }
    }
    text::check(&j.label, MAX_LABEL_LEN, false).map_err(|e| field_err(k, "label", e))?;
    text_field(k, "title", &j.title, ack::MAX_TITLE_LEN)?;
    let sha256 = hex32(&j.sha256).map_err(|e| field_err(k, "sha256", e))?;
    let effective = date(k, "effective", &j.effective)?;
    let deadline = j
        .deadline
        .as_deref()
        .map(|d| date(k, "deadline", d))
        .transpose()?;
    match (j.material, deadline) {
        (true, None) => {
            return Err(field_err(
                k,
                "deadline",
                "is missing: a material version needs one",
            ))
        }
        (false, Some(_)) => {
            return Err(field_err(
                k,
                "deadline",
                "is given, but a correction needs no acknowledgement",
            ))
        }
        (true, Some(d)) if d < effective => {
            return Err(field_err(k, "deadline", "is before the effective date"))
        }
        _ => {}
    }
    if j.new_employee_days > MAX_NEW_EMPLOYEE_DAYS {
        return Err(field_err(
            k,
            "new_employee_days",
            format!("is more than {MAX_NEW_EMPLOYEE_DAYS}"),
        ));
    }
    Ok(Version {
        document: j.document.clone(),
        label: j.label.clone(),
        title: j.title.clone(),
        sha256,
        effective,
        material: j.material,
        deadline,
        new_employee_days: j.new_employee_days,
    })
}

fn check_enrol(j: &EnrolJson) -> Result<Entry, EntryError> {
    let k = Kind::Enrol;
    id_field(k, &j.id)?;
    text_field(k, "name", &j.name, crate::keyring::MAX_NAME_LEN)?;
    if let Some(p) = &j.position {
        text_field(k, "position", p, crate::keyring::MAX_NAME_LEN)?;
    }
    Ok(Entry::Enrol {
        id: j.id.clone(),
        name: j.name.clone(),
        position: j.position.clone(),
        key: public_key(k, "public_key", &j.public_key)?,
        valid_from: date(k, "valid_from", &j.valid_from)?,
    })
}

fn check_key(j: &KeyJson) -> Result<Entry, EntryError> {
    let k = Kind::Key;
    id_field(k, &j.id)?;
    Ok(Entry::Key {
        id: j.id.clone(),
        key: public_key(k, "public_key", &j.public_key)?,
        valid_from: date(k, "valid_from", &j.valid_from)?,
    })
}

fn check_revoke(j: &RevokeJson) -> Result<Entry, EntryError> {
    let k = Kind::Revoke;
    id_field(k, &j.id)?;
    Ok(Entry::Revoke {
        id: j.id.clone(),
        keyid: KeyId::from_hex(&j.keyid).map_err(|e| field_err(k, "keyid", e))?,
        date: date(k, "date", &j.date)?,
    })
}

fn check_leave(j: &LeaveJson) -> Result<Entry, EntryError> {
    let k = Kind::Leave;
    id_field(k, &j.id)?;
    Ok(Entry::Leave {
        id: j.id.clone(),
        date: date(k, "date", &j.date)?,
    })
}

fn check_ack(j: AckFields, by_serde: bool) -> Result<AckRecord, EntryError> {
    let k = Kind::Ack;
    let received = date(k, "received", j.received)?;
    let (key, keyid) = signer_key(j.public_key)?;
    let envelope = j.envelope()?;
    if envelope.keyid != keyid {
        return Err(field_err(
            k,
            "public_key",
            "is not the key the envelope's keyid names",
        ));
    }
    if envelope.payload_type != ack::PAYLOAD_TYPE {
        return Err(EntryError::Payload(ack::AckError::PayloadType(printable(
            &envelope.payload_type,
            80,
        ))));
    }
    let parsed = match by_serde {
        false => Acknowledgement::from_payload(&envelope.payload),
        true => Acknowledgement::from_payload_by_serde(&envelope.payload),
    }
    .map_err(EntryError::Payload)?;
    let date = parse_date(&parsed.date)
        .ok_or_else(|| EntryError::Payload(ack::AckError::Date(printable(&parsed.date, 40))))?;
    let document =
        hex32(&parsed.document.sha256).map_err(|e| EntryError::Payload(ack::AckError::Hash(e)))?;
    Ok(AckRecord {
        received,
        key,
        envelope,
        ack: parsed,
        date,
        document,
    })
}

fn check_unit(j: &UnitJson) -> Result<Entry, EntryError> {
    let k = Kind::Unit;
    id_field(k, &j.id)?;
    text_field(k, "name", &j.name, crate::keyring::MAX_NAME_LEN)?;
    Ok(Entry::Unit {
        id: j.id.clone(),
        name: j.name.clone(),
    })
}

/// A list of identifiers (units), sorted and without duplicates.
fn id_list(kind: Kind, field: &'static str, ids: &[String]) -> Result<(), EntryError> {
    for id in ids {
        text::check_id(id).map_err(|e| field_err(kind, field, e))?;
    }
    sorted_once(kind, field, ids)
}

/// A list of texts (positions), sorted and without duplicates.
fn text_list(kind: Kind, field: &'static str, texts: &[String]) -> Result<(), EntryError> {
    for t in texts {
        text_field(kind, field, t, crate::keyring::MAX_NAME_LEN)?;
    }
    sorted_once(kind, field, texts)
}

/// One spelling of a set: sorted (by bytes), each member once.
fn sorted_once(kind: Kind, field: &'static str, list: &[String]) -> Result<(), EntryError> {
    if list.windows(2).all(|w| w[0] < w[1]) {
        Ok(())
    } else {
        Err(field_err(kind, field, "must be sorted, each member once"))
    }
}

fn check_document(j: &DocumentJson) -> Result<Declaration, EntryError> {
    let k = Kind::Document;
    id_field(k, &j.id)?;
    if j.id == RULES {
        return Err(field_err(
            k,
            "id",
            format!("\"{RULES}\" is reserved for the versions that name no document"),
        ));
    }
    text_field(k, "title", &j.title, ack::MAX_TITLE_LEN)?;
    id_list(k, "units", &j.units)?;
    text_list(k, "positions", &j.positions)?;
    Ok(Declaration {
        id: j.id.clone(),
        title: j.title.clone(),
        units: j.units.clone(),
        positions: j.positions.clone(),
        date: date(k, "date", &j.date)?,
    })
}

fn person_fields(k: Kind, id: &str, name: &str, position: Option<&str>) -> Result<(), EntryError> {
    id_field(k, id)?;
    text_field(k, "name", name, crate::keyring::MAX_NAME_LEN)?;
    if let Some(p) = position {
        text_field(k, "position", p, crate::keyring::MAX_NAME_LEN)?;
    }
    Ok(())
}

fn check_join(j: &JoinJson) -> Result<Entry, EntryError> {
    let k = Kind::Join;
    person_fields(k, &j.id, &j.name, j.position.as_deref())?;
    id_list(k, "units", &j.units)?;
    Ok(Entry::Join {
        id: j.id.clone(),
        name: j.name.clone(),
        position: j.position.clone(),
        units: j.units.clone(),
        date: date(k, "date", &j.date)?,
    })
}

fn check_move(j: &MoveJson) -> Result<Entry, EntryError> {
    let k = Kind::Move;
    id_field(k, &j.id)?;
    id_list(k, "units", &j.units)?;
    Ok(Entry::Move {
        id: j.id.clone(),
        units: j.units.clone(),
        date: date(k, "date", &j.date)?,
    })
}

fn check_update(j: &UpdateJson) -> Result<Entry, EntryError> {
    let k = Kind::Update;
    person_fields(k, &j.id, &j.name, j.position.as_deref())?;
    Ok(Entry::Update {
        id: j.id.clone(),
        name: j.name.clone(),
        position: j.position.clone(),
        date: date(k, "date", &j.date)?,
    })
}

fn check_admin(j: &AdminJson) -> Result<Entry, EntryError> {
    let k = Kind::Admin;
    person_fields(k, &j.id, &j.name, None)?;
    Ok(Entry::Admin {
        id: j.id.clone(),
        name: j.name.clone(),
        key: public_key(k, "public_key", &j.public_key)?,
        date: date(k, "date", &j.date)?,
    })
}

fn check_dismiss(j: &DismissJson) -> Result<Entry, EntryError> {
    let k = Kind::Dismiss;
    id_field(k, &j.id)?;
    Ok(Entry::Dismiss {
        id: j.id.clone(),
        date: date(k, "date", &j.date)?,
    })
}

// ---- Administrators' requests (log format 0.4) ------------------------

/// The envelope's `payloadType`.
pub const REQUEST_PAYLOAD_TYPE: &str = "application/vnd.ackreg.request+json";
/// The payload's `type`: format and version (an identifier, never fetched).
pub const REQUEST_TYPE: &str = "https://ackreg.invalid/request/v1";
/// Most entries one request authorises: with the longest origin, identifier
/// and action the request entry stays under [`MAX_ENTRY`].
pub const MAX_REQUEST_ENTRIES: usize = 800;
/// Longest action, in characters.
pub const MAX_ACTION_LEN: usize = 200;

/// The payload of a request. Field order here is the order in the
/// serialised JSON, its one spelling.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestPayload {
    /// Always [`REQUEST_TYPE`].
    #[serde(rename = "type")]
    pub kind: String,
    /// The log's origin.
    pub log: String,
    /// The administrator's identifier.
    pub admin: String,
    /// The date of the request, `YYYY-MM-DD`.
    pub date: String,
    /// What was asked, in words, e.g. "publish darba-kartiba 2".
    pub action: String,
    /// Lowercase hex SHA-256 of each authorised entry's exact bytes, in order.
    pub entries: Vec<String>,
}

/// A request entry, checked on its own (its signature not yet verified).
#[derive(Debug, Clone)]
pub struct RequestRecord {
    /// The administrator's identifier (the entry's and the payload's).
    pub admin: String,
    /// The envelope, decoded.
    pub envelope: CheckedEnvelope,
    /// The payload's `log`.
    pub log: String,
    /// The payload's date.
    pub date: Date,
    /// The payload's action.
    pub action: String,
    /// The SHA-256 of each authorised entry, in order.
    pub entries: Vec<[u8; 32]>,
}

/// The SHA-256 of an entry's exact bytes, as a request names it.
pub fn entry_hash(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

fn request_err(field: &'static str, why: impl ToString) -> EntryError {
    field_err(Kind::Request, field, why)
}

/// The fields a request names, checked.
pub(super) fn check_request_fields(
    origin: &str,
    admin: &str,
    action: &str,
    count: usize,
) -> Result<(), EntryError> {
    check_origin(origin).map_err(|why| request_err("log", why))?;
    text::check_id(admin).map_err(|e| request_err("admin", e))?;
    text::check(action, MAX_ACTION_LEN, false).map_err(|e| request_err("action", e))?;
    if count == 0 || count > MAX_REQUEST_ENTRIES {
        return Err(request_err(
            "entries",
            format!(
                "holds {count} hashes: a request authorises 1 to {MAX_REQUEST_ENTRIES} entries"
            ),
        ));
    }
    Ok(())
}

/// Checks a request entry's JSON: its envelope's encodings, its payload
/// type, and a payload in its one spelling naming the same administrator.
fn check_request(j: &RequestJson) -> Result<RequestRecord, EntryError> {
    text::check_id(&j.admin).map_err(|e| request_err("admin", e))?;
    let envelope = j
        .envelope
        .check()
        .map_err(|e| request_err("envelope", format!("is not usable: {e}")))?;
    if envelope.payload_type != REQUEST_PAYLOAD_TYPE {
        return Err(request_err(
            "envelope.payloadType",
            format!(
                "is \"{}\", not {REQUEST_PAYLOAD_TYPE}",
                printable(&envelope.payload_type, 80)
            ),
        ));
    }
    let payload = parse_payload(&envelope.payload)?;
    if payload.admin != j.admin {
        return Err(request_err(
            "admin",
            format!(
                "is {}, but the signed request names {}",
                j.admin,
                printable(&payload.admin, 64)
            ),
        ));
    }
    let entries = payload
        .entries
        .iter()
        .map(|h| hex32(h).map_err(|e| request_err("payload.entries", e)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(RequestRecord {
        admin: j.admin.clone(),
        date: date(Kind::Request, "payload.date", &payload.date)?,
        log: payload.log,
        action: payload.action,
        entries,
        envelope,
    })
}

/// The payload, strictly: JSON of exactly the fields, in its one spelling,
/// of our type, every field valid.
fn parse_payload(bytes: &[u8]) -> Result<RequestPayload, EntryError> {
    let payload: RequestPayload = crate::encoding::from_json(bytes)
        .map_err(|e| request_err("payload", format!("is not request JSON: {e}")))?;
    if !serialises_to(&payload, bytes)? {
        return Err(request_err(
            "payload",
            "is not in its one spelling (compact JSON, fields in the documented order)",
        ));
    }
    if payload.kind != REQUEST_TYPE {
        return Err(request_err(
            "payload.type",
            format!(
                "is \"{}\", not {REQUEST_TYPE}",
                printable(&payload.kind, 80)
            ),
        ));
    }
    check_request_fields(
        &payload.log,
        &payload.admin,
        &payload.action,
        payload.entries.len(),
    )?;
    Ok(payload)
}

// ---- Writing ------------------------------------------------------------

/// A set as entries write it: sorted, each member once.
pub fn one_spelling(list: &[String]) -> Vec<String> {
    let mut out = list.to_vec();
    out.sort();
    out.dedup();
    out
}

fn to_bytes<T: Serialize>(value: &T) -> Result<Vec<u8>, EntryError> {
    serde_json::to_vec(value).map_err(EntryError::Serialize)
}

/// The bytes of the first entry.
pub fn log_bytes(
    origin: &str,
    issuer_name: &str,
    issuer_key: &VerifyingKey,
    body: &str,
    created: Date,
) -> Result<Vec<u8>, EntryError> {
    to_bytes(&LogJson {
        kind: Kind::Log.name().into(),
        origin: origin.into(),
        issuer: IssuerJson {
            name: issuer_name.into(),
            public_key: b64(issuer_key.as_bytes()),
        },
        body: body.into(),
        created: format_date(created),
    })
}

/// The bytes of a version entry.
pub fn version_bytes(v: &Version) -> Result<Vec<u8>, EntryError> {
    to_bytes(&VersionJson {
        kind: Kind::Version.name().into(),
        document: v.document.clone(),
        label: v.label.clone(),
        title: v.title.clone(),
        sha256: hex(&v.sha256),
        effective: format_date(v.effective),
        material: v.material,
        deadline: v.deadline.map(format_date),
        new_employee_days: v.new_employee_days,
    })
}

/// The bytes of an enrolment.
pub fn enrol_bytes(
    id: &str,
    name: &str,
    position: Option<&str>,
    key: &VerifyingKey,
    valid_from: Date,
) -> Result<Vec<u8>, EntryError> {
    to_bytes(&EnrolJson {
        kind: Kind::Enrol.name().into(),
        id: id.into(),
        name: name.into(),
        position: position.map(str::to_string),
        public_key: b64(key.as_bytes()),
        valid_from: format_date(valid_from),
    })
}

/// The bytes of a key replacement.
pub fn key_bytes(id: &str, key: &VerifyingKey, valid_from: Date) -> Result<Vec<u8>, EntryError> {
    to_bytes(&KeyJson {
        kind: Kind::Key.name().into(),
        id: id.into(),
        public_key: b64(key.as_bytes()),
        valid_from: format_date(valid_from),
    })
}

/// The bytes of a revocation.
pub fn revoke_bytes(id: &str, keyid: &KeyId, date: Date) -> Result<Vec<u8>, EntryError> {
    to_bytes(&RevokeJson {
        kind: Kind::Revoke.name().into(),
        id: id.into(),
        keyid: keyid.to_string(),
        date: format_date(date),
    })
}

/// The bytes of a departure.
pub fn leave_bytes(id: &str, date: Date) -> Result<Vec<u8>, EntryError> {
    to_bytes(&LeaveJson {
        kind: Kind::Leave.name().into(),
        id: id.into(),
        date: format_date(date),
    })
}

/// The bytes of a unit's declaration.
pub fn unit_bytes(id: &str, name: &str) -> Result<Vec<u8>, EntryError> {
    to_bytes(&UnitJson {
        kind: Kind::Unit.name().into(),
        id: id.into(),
        name: name.into(),
    })
}

/// The bytes of a document's declaration (its lists in their one spelling).
pub fn document_bytes(d: &Declaration) -> Result<Vec<u8>, EntryError> {
    to_bytes(&DocumentJson {
        kind: Kind::Document.name().into(),
        id: d.id.clone(),
        title: d.title.clone(),
        units: one_spelling(&d.units),
        positions: one_spelling(&d.positions),
        date: format_date(d.date),
    })
}

/// The bytes of an employee's first day (units in their one spelling).
pub fn join_bytes(
    id: &str,
    name: &str,
    position: Option<&str>,
    units: &[String],
    date: Date,
) -> Result<Vec<u8>, EntryError> {
    to_bytes(&JoinJson {
        kind: Kind::Join.name().into(),
        id: id.into(),
        name: name.into(),
        position: position.map(str::to_string),
        units: one_spelling(units),
        date: format_date(date),
    })
}

/// The bytes of a move to `units` (the whole new set).
pub fn move_bytes(id: &str, units: &[String], date: Date) -> Result<Vec<u8>, EntryError> {
    to_bytes(&MoveJson {
        kind: Kind::Move.name().into(),
        id: id.into(),
        units: one_spelling(units),
        date: format_date(date),
    })
}

/// The bytes of a change of name and position.
pub fn update_bytes(
    id: &str,
    name: &str,
    position: Option<&str>,
    date: Date,
) -> Result<Vec<u8>, EntryError> {
    to_bytes(&UpdateJson {
        kind: Kind::Update.name().into(),
        id: id.into(),
        name: name.into(),
        position: position.map(str::to_string),
        date: format_date(date),
    })
}

/// The bytes of an acknowledgement entry: the envelope field for field.
pub fn ack_bytes(
    received: Date,
    key: &VerifyingKey,
    envelope: &Envelope,
) -> Result<Vec<u8>, EntryError> {
    to_bytes(&AckJson {
        kind: Kind::Ack.name().into(),
        received: format_date(received),
        public_key: b64(key.as_bytes()),
        envelope: envelope.clone(),
    })
}

/// The bytes of an administrator's entry (their first key, or a new one).
pub fn admin_bytes(
    id: &str,
    name: &str,
    key: &VerifyingKey,
    date: Date,
) -> Result<Vec<u8>, EntryError> {
    to_bytes(&AdminJson {
        kind: Kind::Admin.name().into(),
        id: id.into(),
        name: name.into(),
        public_key: b64(key.as_bytes()),
        date: format_date(date),
    })
}

/// The bytes of the end of an administrator's role.
pub fn dismiss_bytes(id: &str, date: Date) -> Result<Vec<u8>, EntryError> {
    to_bytes(&DismissJson {
        kind: Kind::Dismiss.name().into(),
        id: id.into(),
        date: format_date(date),
    })
}

/// The bytes of a request entry: the administrator's envelope field for field.
pub fn request_entry_bytes(admin: &str, envelope: &Envelope) -> Result<Vec<u8>, EntryError> {
    to_bytes(&RequestJson {
        kind: Kind::Request.name().into(),
        admin: admin.into(),
        envelope: envelope.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> VerifyingKey {
        ed25519_dalek::SigningKey::from_bytes(&[7; 32]).verifying_key()
    }

    /// What a parse says, comparable: the entry's debug form or the error.
    fn verdict(r: Result<Entry, EntryError>) -> String {
        match r {
            Ok(e) => format!("ok {e:?}"),
            Err(e) => format!("err {e}"),
        }
    }

    fn ack_entry(title: &str, name: &str, notes: Option<&str>) -> Vec<u8> {
        let k = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
        let doc = crate::document::DocumentRef {
            title: title.into(),
            sha256: [3; 32],
        };
        let env = Acknowledgement::new(&doc, name, "jberzins", "2017-12-04", notes)
            .unwrap()
            .sign(&k)
            .unwrap();
        ack_bytes(parse_date("2017-12-05").unwrap(), &k.verifying_key(), &env).unwrap()
    }

    /// Every entry the fast path reads gives what serde alone gives, and
    /// so does every one-byte change and cut of it (the fuzz target
    /// `ack_exact` goes on from here).
    #[test]
    fn the_fast_path_agrees_with_serde_on_every_nearby_entry() {
        let entries = [
            ack_entry("Noteikumi", "Jānis Bērziņš", None),
            ack_entry("Noteikumi \"KAC\"", "Jānis Bērziņš", Some("Lasīju.\nLabi.")),
            ack_entry("Noteikumi", "Līga Ozoliņa", Some("Piezīme")),
        ];
        let mut fast = 0;
        for bytes in &entries {
            fast += usize::from(AckFields::exact(bytes).is_some());
            assert_eq!(verdict(parse(bytes)), verdict(parse_by_serde(bytes)));
            for i in 0..bytes.len() {
                for b in [b'"', b'\\', b'A', b'/', 0, 0x7f, 0xc4, b'}', b' '] {
                    let mut m = bytes.clone();
                    m[i] = b;
                    assert_eq!(verdict(parse(&m)), verdict(parse_by_serde(&m)), "{i} {b}");
                }
                let mut cut = bytes.clone();
                cut.remove(i);
                assert_eq!(
                    verdict(parse(&cut)),
                    verdict(parse_by_serde(&cut)),
                    "cut {i}"
                );
            }
        }
        // All three entries are in the common spelling (the payload is
        // base64 in the entry; the second's escaped quote is the payload
        // path's business, tested below).
        assert_eq!(fast, entries.len());
    }

    /// The same for the payloads inside the envelopes.
    #[test]
    fn the_payload_fast_path_agrees_with_serde() {
        let quoted = crate::document::DocumentRef {
            title: "Noteikumi \"KAC\"".into(),
            sha256: [3; 32],
        };
        let p = Acknowledgement::new(&quoted, "Jānis", "jberzins", "2017-12-04", None)
            .unwrap()
            .to_payload()
            .unwrap();
        assert!(
            Acknowledgement::from_exact(&p).is_none(),
            "an escaped quote"
        );
        assert!(Acknowledgement::from_payload(&p).is_ok());
        let doc = crate::document::DocumentRef {
            title: "Noteikumi".into(),
            sha256: [3; 32],
        };
        for notes in [None, Some("Piezīme")] {
            let p = Acknowledgement::new(&doc, "Jānis Bērziņš", "jberzins", "2017-12-04", notes)
                .unwrap()
                .to_payload()
                .unwrap();
            let same = |m: &[u8]| {
                let a = Acknowledgement::from_payload(m).map_err(|e| e.to_string());
                let b = Acknowledgement::from_payload_by_serde(m).map_err(|e| e.to_string());
                assert_eq!(a, b, "{}", String::from_utf8_lossy(m));
            };
            same(&p);
            assert!(
                Acknowledgement::from_exact(&p).is_some(),
                "the common spelling"
            );
            for i in 0..p.len() {
                for b in [b'"', b'\\', b'x', 0, 0xc4, b'}', b' ', b'n'] {
                    let mut m = p.clone();
                    m[i] = b;
                    same(&m);
                }
                let mut cut = p.clone();
                cut.remove(i);
                same(&cut);
            }
        }
    }

    #[test]
    fn dates_are_real_and_written_one_way() {
        assert_eq!(format_date(parse_date("2017-12-04").unwrap()), "2017-12-04");
        assert!(parse_date("2016-02-29").is_some());
        for bad in [
            "2017-02-29",
            "2017-13-01",
            "0000-01-01",
            "2017-1-04",
            "+017-12-04",
            "2017-12-4 ",
            "２０17-12-04",
        ] {
            assert!(parse_date(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn entries_round_trip_and_refuse_other_spellings() {
        let d = parse_date("2017-12-01").unwrap();
        let bytes = enrol_bytes("jberzins", "Jānis Bērziņš", None, &key(), d).unwrap();
        assert!(matches!(parse(&bytes).unwrap(), Entry::Enrol { .. }));
        assert_eq!(peek_kind(&bytes), Some(Kind::Enrol));
        let spaced = String::from_utf8(bytes.clone())
            .unwrap()
            .replace(",\"name\"", ", \"name\"");
        assert!(matches!(
            parse(spaced.as_bytes()),
            Err(EntryError::NotCanonical("enrol"))
        ));
        let dup = String::from_utf8(bytes)
            .unwrap()
            .replace("}", ",\"id\":\"x\"}");
        assert!(matches!(
            parse(dup.as_bytes()),
            Err(EntryError::Json { .. })
        ));
        assert!(matches!(
            parse(b"{\"kind\":\"nope\"}"),
            Err(EntryError::Kind)
        ));
        assert!(matches!(
            parse(b" {\"kind\":\"leave\"}"),
            Err(EntryError::Kind)
        ));
    }

    #[test]
    fn versions_need_a_deadline_exactly_when_material() {
        let d = parse_date("2017-12-01").unwrap();
        let v = Version {
            document: None,
            label: "1".into(),
            title: "T".into(),
            sha256: [1; 32],
            effective: d,
            material: false,
            deadline: Some(d),
            new_employee_days: 10,
        };
        let err = parse(&version_bytes(&v).unwrap()).unwrap_err();
        assert!(err.to_string().contains("deadline"), "{err}");
        let v = Version {
            material: true,
            ..v
        };
        assert!(parse(&version_bytes(&v).unwrap()).is_ok());
    }

    #[test]
    fn the_new_kinds_round_trip_with_their_codes() {
        let d = parse_date("2018-01-01").unwrap();
        let units = vec!["kac".to_string(), "bv".to_string(), "kac".to_string()];
        let declaration = Declaration {
            id: "datu-aizsardziba".into(),
            title: "Datu aizsardzības noteikumi".into(),
            units: units.clone(),
            positions: vec!["Jurists".into()],
            date: d,
        };
        let all = [
            (
                unit_bytes("kac", "Klientu apkalpošanas centrs").unwrap(),
                Kind::Unit,
                8,
            ),
            (document_bytes(&declaration).unwrap(), Kind::Document, 9),
            (
                join_bytes("aozola", "Anna Ozola", None, &units, d).unwrap(),
                Kind::Join,
                10,
            ),
            (move_bytes("aozola", &units, d).unwrap(), Kind::Move, 11),
            (
                update_bytes("aozola", "Anna Kalniņa", Some("Vadītāja"), d).unwrap(),
                Kind::Update,
                12,
            ),
        ];
        for (bytes, kind, code) in all {
            let parsed = parse(&bytes).unwrap();
            assert_eq!(parsed.kind(), kind);
            assert_eq!(kind.code(), code);
            assert_eq!(Kind::from_code(code), Some(kind));
        }
        assert_eq!(
            String::from_utf8(move_bytes("aozola", &units, d).unwrap()).unwrap(),
            r#"{"kind":"move","id":"aozola","units":["bv","kac"],"date":"2018-01-01"}"#
        );
    }

    #[test]
    fn sets_have_one_spelling_and_rules_is_implicit() {
        let refused = [
            r#"{"kind":"move","id":"a","units":["kac","bv"],"date":"2018-01-01"}"#,
            r#"{"kind":"move","id":"a","units":["bv","bv"],"date":"2018-01-01"}"#,
            r#"{"kind":"move","id":"a","units":["B V"],"date":"2018-01-01"}"#,
            r#"{"kind":"document","id":"rules","title":"T","units":[],"positions":[],"date":"2018-01-01"}"#,
            r#"{"kind":"document","id":"x","title":"T","units":[],"positions":["b","a"],"date":"2018-01-01"}"#,
            r#"{"kind":"version","document":"rules","label":"1","title":"T","sha256":"0101010101010101010101010101010101010101010101010101010101010101","effective":"2018-01-01","material":false,"new_employee_days":1}"#,
            r#"{"kind":"join","id":"a","name":"A","units":[],"position":"P","date":"2018-01-01"}"#,
        ];
        for bad in refused {
            assert!(parse(bad.as_bytes()).is_err(), "{bad}");
        }
        let v = Version {
            document: Some("it".into()),
            label: "1".into(),
            title: "T".into(),
            sha256: [1; 32],
            effective: parse_date("2018-01-01").unwrap(),
            material: false,
            deadline: None,
            new_employee_days: 1,
        };
        let bytes = version_bytes(&v).unwrap();
        assert!(bytes.starts_with(br#"{"kind":"version","document":"it","label":"1""#));
        assert!(matches!(parse(&bytes).unwrap(), Entry::Version(p) if p == v));
    }

    #[test]
    fn origins_follow_the_key_name_rules() {
        assert!(check_origin("aknistesnovads.lv/kac").is_ok());
        for bad in ["", "a b", "a+b", "ā", "a\nb"] {
            assert!(check_origin(bad).is_err(), "{bad:?}");
        }
    }
}
