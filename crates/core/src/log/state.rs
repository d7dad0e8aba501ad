//! What the log says at a point: the issuer, the units and documents, the
//! versions of each document, the employees with the history of their
//! units, names and keys, and who acknowledged what.
//!
//! The same rules decide whether the administration may append an entry
//! and whether an auditor accepts it, so both replay the log through
//! [`State::apply`]. An entry is judged only by what comes before it in the
//! log's order (the order of appending), never by what comes after.

use std::collections::HashMap;

/// The state's maps, rebuilt on load: hashed with `foldhash`, seeded at
/// random per process (their keys are SHA-256 values and identifiers; an
/// audit looks up two for every acknowledgement).
type Map<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

use ed25519_dalek::VerifyingKey;
use serde::{Deserialize, Serialize};
use time::Date;

use super::fields as snap;

use super::entry::{format_date, AckView, Declaration, Entry, Kind, Version, RULES};
use crate::keys::KeyId;
use crate::text::printable;

/// Why an entry may not stand where it is in the log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Entry 0 must be the log entry, and only entry 0.
    #[error("the first entry must be the log entry, and only the first")]
    LogEntryPlace,
    /// An identifier used twice.
    #[error("employee {0} is already enrolled")]
    AlreadyEnrolled(String),
    /// An unknown employee.
    #[error("employee {0} is not enrolled")]
    UnknownEmployee(String),
    /// The employee left.
    #[error("employee {id} left on {date}")]
    Left {
        /// Who.
        id: String,
        /// When.
        date: String,
    },
    /// A key that was already enrolled for someone.
    #[error("key {keyid} is already enrolled (for {id})")]
    KeyReused {
        /// The key.
        keyid: String,
        /// Whose it was.
        id: String,
    },
    /// A date earlier than one it must follow.
    #[error("{what} {date} is before {other}")]
    DateOrder {
        /// What the date is.
        what: &'static str,
        /// The date.
        date: String,
        /// What it must not precede, with its date.
        other: String,
    },
    /// The revoked key is not the employee's current key.
    #[error("key {keyid} is not the current key of {id}")]
    NotCurrentKey {
        /// The key.
        keyid: String,
        /// The employee.
        id: String,
    },
    /// A version label or document used twice.
    #[error("version {0} is already published")]
    VersionExists(String),
    /// A correction before any material version.
    #[error("the first version must be material (a correction corrects an earlier version)")]
    CorrectionFirst,
    /// The signer's key is not enrolled.
    #[error("key {0} is not enrolled for anyone")]
    UnknownKey(String),
    /// The signer's key is no longer valid.
    #[error("key {keyid} of {id} is no longer valid: {why} on {date}")]
    KeyEnded {
        /// The key.
        keyid: String,
        /// Whose.
        id: String,
        /// Replaced, revoked, or the employee left.
        why: &'static str,
        /// From when.
        date: String,
    },
    /// Name or identifier in the payload differ from the enrolment.
    #[error("the acknowledgement names {signed}, but the key is enrolled for {enrolled}")]
    OtherEmployee {
        /// What the payload says.
        signed: String,
        /// What the log says.
        enrolled: String,
    },
    /// The document is not a published version.
    #[error("document {0} is not a published version")]
    UnknownDocument(String),
    /// The title differs from the version's.
    #[error("the acknowledgement's title differs from version {0}'s")]
    OtherTitle(String),
    /// Acknowledged twice.
    #[error("{id} already acknowledged version {label} (entry {entry})")]
    Duplicate {
        /// Who.
        id: String,
        /// Which version.
        label: String,
        /// The earlier entry.
        entry: u64,
    },
    /// A unit declared a second time.
    #[error("unit {0} is already declared")]
    UnitExists(String),
    /// A unit that no entry declared.
    #[error("unit {0} is not declared")]
    UnknownUnit(String),
    /// A join of an identifier the log already has.
    #[error("employee {0} is already in the log")]
    AlreadyKnown(String),
    /// A version of a document that no entry declared.
    #[error("document {0} is not declared")]
    UndeclaredDocument(String),
    /// The acknowledged version's document does not bind the signer.
    #[error("document {document} does not bind {id} on {date}")]
    NotBound {
        /// The document.
        document: String,
        /// The signer.
        id: String,
        /// The acknowledgement's date.
        date: String,
    },
    /// The first key's enrolment of a joined employee names them otherwise.
    #[error("the enrolment gives {id} the {field} {given}, the log has {logged}")]
    NotAsJoined {
        /// The employee.
        id: String,
        /// `name` or `position`.
        field: &'static str,
        /// What the enrolment says.
        given: String,
        /// What the log says.
        logged: String,
    },
    /// A key replacement for someone who has no key to replace.
    #[error("employee {0} has no key yet: enrol their first key")]
    NoKeyYet(String),
    /// An administrator identifier no `admin` entry brought in.
    #[error("administrator {0} is not in the log")]
    UnknownAdmin(String),
    /// An administrator whose role ended.
    #[error("administrator {id} was dismissed on {date}")]
    Dismissed {
        /// Who.
        id: String,
        /// From when.
        date: String,
    },
    /// A request naming another log.
    #[error("the request names the log {named}, this log is {origin}")]
    OtherLog {
        /// What the request names.
        named: String,
        /// This log's origin.
        origin: String,
    },
    /// A request signed by a key that is not the administrator's current one.
    #[error("the request is signed by key {keyid}, which is not administrator {id}'s current key")]
    RequestKey {
        /// The key id the envelope names.
        keyid: String,
        /// The administrator.
        id: String,
    },
    /// A request whose signature does not verify.
    #[error("the request's signature does not verify with administrator {0}'s key")]
    RequestSignature(String),
    /// An entry a request authorised that is not the one it names.
    #[error("this is not the entry request {request} authorised as its entry {nth} of {count}: its SHA-256 differs")]
    NotAsRequested {
        /// The request's entry.
        request: u64,
        /// Which of its entries (from 1).
        nth: usize,
        /// How many it authorises.
        count: usize,
    },
    /// A kind of entry no request may authorise.
    #[error("request {request} authorises its entry {nth} of {count} here, but no request may authorise {kind} entries{why}")]
    NotRequestable {
        /// The request's entry.
        request: u64,
        /// Which of its entries (from 1).
        nth: usize,
        /// How many it authorises.
        count: usize,
        /// The kind found.
        kind: &'static str,
        /// Why, for the kinds that need saying.
        why: &'static str,
    },
    /// A request whose entries have not all come (at a commit, or at the
    /// log's end).
    #[error("this request authorises {count} entr{}, but the log ends after {came} of them", if *count == 1 { "y" } else { "ies" })]
    CutShort {
        /// How many came.
        came: usize,
        /// How many it authorises.
        count: usize,
    },
    /// An entry under a request given without its bytes (a caller's slip).
    #[error("this entry follows request {0}, and can be checked only with its bytes")]
    Unhashed(u64),
}

/// Why a key's period ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EndKind {
    /// A new key replaced it.
    Replaced,
    /// It was revoked.
    Revoked,
    /// The employee left.
    Left,
}

impl EndKind {
    /// As a phrase.
    pub fn phrase(self) -> &'static str {
        match self {
            EndKind::Replaced => "replaced",
            EndKind::Revoked => "revoked",
            EndKind::Left => "the employee left",
        }
    }
}

/// One key of an employee and the period it may sign in.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeySpan {
    /// The key.
    #[serde(with = "snap::key")]
    pub key: VerifyingKey,
    /// Its id.
    #[serde(with = "snap::keyid")]
    pub keyid: KeyId,
    /// First valid day.
    #[serde(with = "snap::date")]
    pub from: Date,
    /// The entry that enrolled it.
    pub entry: u64,
    /// When and why it ended, and the entry that ended it.
    #[serde(with = "snap::end")]
    pub end: Option<(Date, EndKind, u64)>,
}

/// An employee's name, position and units from a day on (a join, an
/// enrolment without a join, a move or an update starts one).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Period {
    /// First day.
    #[serde(with = "snap::date")]
    pub from: Date,
    /// Name.
    pub name: String,
    /// Position.
    pub position: Option<String>,
    /// Units (sorted).
    pub units: Vec<String>,
    /// The entry that started it.
    pub entry: u64,
}

/// An employee, as the log knows them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Employee {
    /// Identifier.
    pub id: String,
    /// Name, as the log's latest entry about them gives it.
    pub name: String,
    /// Position, as the log's latest entry about them gives it.
    pub position: Option<String>,
    /// First working day: the join's date, or for someone enrolled without
    /// a join (every employee of a log before format 0.3) the first key's
    /// first day.
    #[serde(with = "snap::date")]
    pub enrolled: Date,
    /// The entry that brought them into the log (join or enrolment).
    pub entry: u64,
    /// Keys, oldest first (none for someone who joined and has no key yet).
    pub keys: Vec<KeySpan>,
    /// Departure date and entry.
    #[serde(with = "snap::left")]
    pub left: Option<(Date, u64)>,
    /// Name, position and units over time, oldest first, dated in order.
    pub periods: Vec<Period>,
}

impl Employee {
    /// The key that may sign now, if any.
    pub fn current(&self) -> Option<&KeySpan> {
        self.keys.last().filter(|k| k.end.is_none())
    }

    /// Who they are on `day` (or on their first day, if that is later),
    /// as [`State::staff_on`] lists them.
    pub fn member_on(&self, day: Date) -> StaffMember {
        let p = self.on(day.max(self.enrolled));
        StaffMember {
            id: self.id.clone(),
            name: p.name.clone(),
            position: p.position.clone(),
            units: p.units.clone(),
            start: self.enrolled,
            left: self.left.map(|(d, _)| d),
            has_key: self.has_key(),
        }
    }

    /// Whether any key was ever enrolled for them.
    pub fn has_key(&self) -> bool {
        !self.keys.is_empty()
    }

    /// Their name, position and units on `day` (before their first day:
    /// those of their first day).
    pub fn on(&self, day: Date) -> &Period {
        let later = self.periods.partition_point(|p| p.from <= day);
        &self.periods[later.saturating_sub(1)]
    }

    /// Their units on `day`.
    pub fn units_on(&self, day: Date) -> &[String] {
        &self.on(day).units
    }

    /// Whether they work there on `day`: on or after their first day and
    /// before their departure.
    pub fn employed_on(&self, day: Date) -> bool {
        self.enrolled <= day && self.left.is_none_or(|(left, _)| day < left)
    }

    /// The first day of their latest period (join, move, update).
    fn last_change(&self) -> Date {
        self.periods.last().map_or(self.enrolled, |p| p.from)
    }
}

/// A unit of the organisation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Unit {
    /// Identifier.
    pub id: String,
    /// Name.
    pub name: String,
    /// Its entry.
    pub entry: u64,
}

/// A declared document and its declarations (title and audience from a
/// date), oldest first. The implicit document [`RULES`] has none.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Document {
    /// Identifier.
    pub id: String,
    /// Declarations with their entries, dated in order.
    pub declarations: Vec<(Declaration, u64)>,
}

impl Document {
    /// The declaration that holds on `day` (before the first one's date:
    /// the first one).
    pub fn on(&self, day: Date) -> &Declaration {
        let later = self.declarations.partition_point(|(d, _)| d.date <= day);
        &self.declarations[later.saturating_sub(1)].0
    }

    /// The title as the newest declaration gives it.
    pub fn title(&self) -> &str {
        self.declarations
            .last()
            .map_or("", |(d, _)| d.title.as_str())
    }
}

/// Whether the declaration `d` binds someone with `period`'s units and
/// position: it binds everyone, or names one of the units, or the position.
pub fn audience_includes(d: &Declaration, period: &Period) -> bool {
    d.binds_everyone()
        || period
            .units
            .iter()
            .any(|u| d.units.binary_search(u).is_ok())
        || period
            .position
            .as_ref()
            .is_some_and(|p| d.positions.binary_search(p).is_ok())
}

/// One person of the current staff, as [`State::staff_on`] gives them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StaffMember {
    /// Identifier.
    pub id: String,
    /// Name on the day.
    pub name: String,
    /// Position on the day.
    pub position: Option<String>,
    /// Units on the day (sorted).
    pub units: Vec<String>,
    /// First working day.
    #[serde(serialize_with = "serialize_date")]
    pub start: Date,
    /// Departure date, if one is recorded (after the day).
    #[serde(serialize_with = "serialize_opt_date")]
    pub left: Option<Date>,
    /// Whether a key was ever enrolled for them.
    pub has_key: bool,
}

fn serialize_date<S: serde::Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_date(*d))
}

fn serialize_opt_date<S: serde::Serializer>(d: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
    d.map(format_date).serialize(s)
}

/// A published version and the material version it belongs to.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Published {
    /// The version.
    pub version: Version,
    /// Its entry.
    pub entry: u64,
    /// Index in [`State::versions`] of the material version whose
    /// acknowledgement covers it (itself when material).
    pub base: usize,
}

/// An accepted acknowledgement. A log keeps one per acknowledgement, a
/// million and more, so it is small: indexes instead of copies.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Acked {
    /// Its entry.
    pub entry: u64,
    /// The date signed.
    #[serde(with = "snap::date")]
    pub date: Date,
    /// The date received.
    #[serde(with = "snap::date")]
    pub received: Date,
    /// The version (index in [`State::versions`]) it names.
    pub version: u32,
    /// The employee (index in [`State::employees`]) who signed.
    pub employee: u32,
    /// The key that signed (index in that employee's keys; see
    /// [`State::keyid_of`]).
    pub key: u32,
    /// Notes.
    pub notes: Option<String>,
}

/// An acknowledgement as filed under its employee: its version and place
/// in [`State::acks`], and what a status line shows of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen {
    /// The version (index in [`State::versions`]) it names.
    pub version: u32,
    /// Its index in the log-order list of acknowledgements.
    pub index: u32,
    /// Its entry.
    pub entry: u64,
    /// The date signed.
    pub date: Date,
    /// The date received.
    pub received: Date,
}

impl Acked {
    /// The version's index in [`State::versions`].
    pub fn version(&self) -> usize {
        self.version as usize
    }
}

/// The log's issuer, from entry 0.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Issuer {
    /// Origin (checkpoint origin and note key name).
    pub origin: String,
    /// Printed name.
    pub name: String,
    /// Key.
    #[serde(with = "snap::key")]
    pub key: VerifyingKey,
    /// The body keeping the log.
    pub body: String,
    /// Creation date.
    #[serde(with = "snap::date")]
    pub created: Date,
}

/// One key of an administrator, with the name the entry gave.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AdminKey {
    /// The key.
    #[serde(with = "snap::key")]
    pub key: VerifyingKey,
    /// Its id.
    #[serde(with = "snap::keyid")]
    pub keyid: KeyId,
    /// The administrator's name from this entry on.
    pub name: String,
    /// First day the key signs.
    #[serde(with = "snap::date")]
    pub from: Date,
    /// The `admin` entry.
    pub entry: u64,
    /// The first day of the next key, and its entry, once replaced.
    #[serde(with = "snap::left")]
    pub replaced: Option<(Date, u64)>,
}

/// An administrator, as the log knows them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Admin {
    /// Identifier (its own namespace, apart from employees').
    pub id: String,
    /// Keys, oldest first (never empty).
    pub keys: Vec<AdminKey>,
    /// The end of the role (its first day without it) and its entry.
    #[serde(with = "snap::left")]
    pub dismissed: Option<(Date, u64)>,
}

impl Admin {
    /// Their name, as the latest `admin` entry gives it.
    pub fn name(&self) -> &str {
        self.keys.last().map_or("", |k| k.name.as_str())
    }

    /// The first day of their first key.
    pub fn from(&self) -> Option<Date> {
        self.keys.first().map(|k| k.from)
    }

    /// The key that signs requests now.
    pub fn current(&self) -> Option<&AdminKey> {
        self.keys.last()
    }

    /// The first day they are no longer an administrator, if dismissed.
    pub fn until(&self) -> Option<Date> {
        self.dismissed.map(|(d, _)| d)
    }
}

/// An accepted request: who asked for which entries.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Request {
    /// The request's entry; the entries it authorises follow it.
    pub entry: u64,
    /// The administrator (index in [`State::admins`]).
    pub admin: u32,
    /// The key that signed (index in the administrator's keys).
    pub key: u32,
    /// The request's date.
    #[serde(with = "snap::date")]
    pub date: Date,
    /// What was asked, in words.
    pub action: String,
    /// How many entries it authorises.
    pub count: u32,
}

impl Request {
    /// The indexes of the entries it authorises.
    pub fn entries(&self) -> std::ops::RangeInclusive<u64> {
        self.entry + 1..=self.entry + u64::from(self.count)
    }
}

/// The entries an accepted request still expects.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Pending {
    request: u64,
    hashes: Vec<[u8; 32]>,
    next: usize,
}

/// What the log says after its first [`State::size`] entries.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct State {
    issuer: Option<Issuer>,
    employees: Vec<Employee>,
    #[serde(skip)]
    by_id: Map<String, usize>,
    #[serde(skip)]
    keys: Map<KeyId, (usize, usize)>,
    versions: Vec<Published>,
    #[serde(skip)]
    by_sha: Map<[u8; 32], usize>,
    /// Every accepted acknowledgement, in log order.
    acks: Vec<Acked>,
    /// Per employee, their acknowledgements sorted by version: what a
    /// status line needs kept beside the version, so that a status reads
    /// one employee's list in order and never the log-order list.
    #[serde(skip)]
    acked_by: Vec<Vec<Seen>>,
    /// Per version, in [`State::versions`] order: for a material version
    /// the indices of every version whose acknowledgement covers it (itself
    /// and its corrections, in publication order); for a correction none.
    #[serde(skip)]
    family: Vec<Vec<u32>>,
    size: u64,
    units: Vec<Unit>,
    documents: Vec<Document>,
    admins: Vec<Admin>,
    #[serde(skip)]
    admin_keys: Map<KeyId, usize>,
    requests: Vec<Request>,
    pending: Option<Pending>,
}

/// Whether a key's end stops `record`: a replacement or revocation stops
/// every acknowledgement appended after it, backdated or not; a departure
/// stops those signed or received on or after its date (before a departure
/// dated in the future, the employee still signs).
fn ends_before(end: &(Date, EndKind, u64), record: &AckView) -> bool {
    match end {
        (left, EndKind::Left, _) => record.date >= *left || record.received >= *left,
        _ => true,
    }
}

/// A version as refusals name it: its label, and its document unless it is
/// [`RULES`].
fn version_name(v: &Version) -> String {
    match &v.document {
        None => printable(&v.label, 60),
        Some(doc) => format!("{} of {doc}", printable(&v.label, 60)),
    }
}

/// `date` is not before `other_date`; `other` names the latter, and is
/// only written out when the dates are in the wrong order.
fn later(
    what: &'static str,
    date: Date,
    other: impl FnOnce() -> String,
    other_date: Date,
) -> Result<(), Refusal> {
    if date < other_date {
        return Err(Refusal::DateOrder {
            what,
            date: format_date(date),
            other: format!("{} {}", other(), format_date(other_date)),
        });
    }
    Ok(())
}

impl State {
    /// An empty log.
    pub fn new() -> State {
        State::default()
    }

    /// Makes the lookup tables again from the employees and versions (a
    /// state read back from a snapshot has none).
    pub(super) fn reindex(&mut self) {
        self.by_id.clear();
        self.keys.clear();
        self.by_sha.clear();
        for (e, employee) in self.employees.iter().enumerate() {
            self.by_id.insert(employee.id.clone(), e);
            for (k, span) in employee.keys.iter().enumerate() {
                self.keys.insert(span.keyid, (e, k));
            }
        }
        self.family.clear();
        for (v, published) in self.versions.iter().enumerate() {
            self.by_sha.insert(published.version.sha256, v);
            self.family.push(Vec::new());
            self.family[published.base].push(v as u32);
        }
        self.admin_keys.clear();
        for (a, admin) in self.admins.iter().enumerate() {
            for k in &admin.keys {
                self.admin_keys.insert(k.keyid, a);
            }
        }
        self.acked_by.clear();
        for i in 0..self.acks.len() {
            self.index_ack(i);
        }
    }

    /// Files acknowledgement `i` of [`State::acks`] under its employee.
    fn index_ack(&mut self, i: usize) {
        let a = &self.acks[i];
        let (e, v) = (a.employee as usize, a.version);
        let seen = Seen {
            version: v,
            index: i as u32,
            entry: a.entry,
            date: a.date,
            received: a.received,
        };
        if self.acked_by.len() <= e {
            self.acked_by.resize_with(e + 1, Vec::new);
        }
        let list = &mut self.acked_by[e];
        match list.last() {
            Some(last) if last.version >= v => {
                let at = list.partition_point(|w| w.version < v);
                list.insert(at, seen);
            }
            // The usual case: a version newer than any this employee
            // acknowledged before.
            _ => list.push(seen),
        }
    }

    /// Where employee `e`'s acknowledgement of exactly version `v` is
    /// filed.
    fn seen_of(&self, e: usize, v: usize) -> Option<&Seen> {
        let list = self.acked_by.get(e)?;
        let v = v as u32;
        // The list is sorted by version, and an acknowledgement usually names
        // a version newer than any before it: one look at the end answers
        // without a search through a list of hundreds.
        match list.last() {
            None => None,
            Some(last) if last.version < v => None,
            Some(last) if last.version == v => Some(last),
            Some(_) => {
                let at = list.binary_search_by_key(&v, |w| w.version).ok()?;
                Some(&list[at])
            }
        }
    }

    /// The acknowledgement by employee `e` of exactly version `v`.
    fn ack_of(&self, e: usize, v: usize) -> Option<&Acked> {
        self.seen_of(e, v).map(|w| &self.acks[w.index as usize])
    }

    /// [`State::acknowledgement`] as a status line needs it (its entry and
    /// dates), read from employee `e`'s own list alone.
    pub fn acknowledged(&self, e: usize, v: usize) -> Option<Seen> {
        let base = self.versions.get(v)?.base;
        self.family
            .get(base)?
            .iter()
            .filter_map(|&i| self.seen_of(e, i as usize))
            .min_by_key(|w| w.entry)
            .copied()
    }

    /// The key id that signed `a`.
    pub fn keyid_of(&self, a: &Acked) -> KeyId {
        self.employees[a.employee as usize].keys[a.key as usize].keyid
    }

    /// Number of entries applied (accepted or refused).
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Moves on to entry `index` without applying the entries before it
    /// (an entry that failed, or ones an incremental audit does not read).
    pub fn skip_to(&mut self, index: u64) {
        for _ in self.size..index {
            self.advance_pending();
        }
        self.size = self.size.max(index);
    }

    /// The issuer, once entry 0 is applied.
    pub fn issuer(&self) -> Option<&Issuer> {
        self.issuer.as_ref()
    }

    /// Every employee ever enrolled, in enrolment order.
    pub fn employees(&self) -> &[Employee] {
        &self.employees
    }

    /// An employee by identifier.
    pub fn employee(&self, id: &str) -> Option<&Employee> {
        self.by_id.get(id).map(|&i| &self.employees[i])
    }

    /// The employee and key period of a key id.
    pub fn by_keyid(&self, keyid: &KeyId) -> Option<(&Employee, &KeySpan)> {
        let &(e, k) = self.keys.get(keyid)?;
        Some((&self.employees[e], &self.employees[e].keys[k]))
    }

    /// Every version, in publication order.
    pub fn versions(&self) -> &[Published] {
        &self.versions
    }

    /// The version of a document hash.
    pub fn version_by_sha(&self, sha: &[u8; 32]) -> Option<(usize, &Published)> {
        self.by_sha.get(sha).map(|&i| (i, &self.versions[i]))
    }

    /// The version with a label, of any document (the first published;
    /// see [`State::version_of`] for one document's).
    pub fn version_by_label(&self, label: &str) -> Option<(usize, &Published)> {
        self.versions
            .iter()
            .enumerate()
            .find(|(_, v)| v.version.label == label)
    }

    /// The version of `document` ([`RULES`] for the implicit one) with a
    /// label.
    pub fn version_of(&self, document: &str, label: &str) -> Option<(usize, &Published)> {
        self.versions
            .iter()
            .enumerate()
            .find(|(_, v)| v.version.document_id() == document && v.version.label == label)
    }

    /// Every declared unit, in declaration order.
    pub fn units(&self) -> &[Unit] {
        &self.units
    }

    /// A declared unit.
    pub fn unit(&self, id: &str) -> Option<&Unit> {
        self.units.iter().find(|u| u.id == id)
    }

    /// Every declared document, in declaration order (without [`RULES`]).
    pub fn documents(&self) -> &[Document] {
        &self.documents
    }

    /// A declared document.
    pub fn document(&self, id: &str) -> Option<&Document> {
        self.documents.iter().find(|d| d.id == id)
    }

    /// The ids of the documents that have versions or declarations:
    /// [`RULES`] first if it has versions, then the declared ones.
    pub fn document_ids(&self) -> Vec<&str> {
        let rules = self.versions.iter().any(|p| p.version.document.is_none());
        rules
            .then_some(RULES)
            .into_iter()
            .chain(self.documents.iter().map(|d| d.id.as_str()))
            .collect()
    }

    /// The audience rule: whether `document` ([`RULES`] binds everyone)
    /// binds `employee` on `day` by its declaration holding that day and
    /// their units and position that day. Employment is not judged here.
    pub fn binds(&self, document: &str, employee: &Employee, day: Date) -> bool {
        match self.document(document) {
            None => true,
            Some(doc) => audience_includes(doc.on(day), employee.on(day)),
        }
    }

    /// Whether `document` binds everyone on every day (then who it binds
    /// is a matter of employment only).
    pub fn binds_everyone(&self, document: &str) -> bool {
        self.document(document)
            .is_none_or(|d| d.declarations.iter().all(|(d, _)| d.binds_everyone()))
    }

    /// The current staff on `day`, for comparing with an HR list: everyone
    /// in the log who has not left by `day` (a departure dated after `day`
    /// is given as `left`; someone whose first day is after `day` is
    /// included, with `start` after `day`), in the order they came into
    /// the log, with their name, position and units on `day` (or on their
    /// first day, if that is later).
    pub fn staff_on(&self, day: Date) -> Vec<StaffMember> {
        self.employees
            .iter()
            .filter(|e| e.left.is_none_or(|(left, _)| day < left))
            .map(|e| e.member_on(day))
            .collect()
    }

    /// The acknowledgement by employee `e` (index in [`State::employees`])
    /// of version `v` or of any correction belonging to the same material
    /// version, the earliest in the log.
    ///
    /// It looks only at that employee's acknowledgements of the material
    /// version and of versions published after it (their list is sorted
    /// by version), not at every version of the log.
    pub fn acknowledgement(&self, e: usize, v: usize) -> Option<&Acked> {
        let base = self.versions.get(v)?.base;
        self.family
            .get(base)?
            .iter()
            .filter_map(|&i| self.ack_of(e, i as usize))
            .min_by_key(|a| a.entry)
    }

    /// [`State::acknowledgement`] as it was before the versions' families
    /// were indexed: a look at every version. Kept for the tests that show
    /// both give the same.
    #[cfg(test)]
    pub(crate) fn acknowledgement_by_scan(&self, e: usize, v: usize) -> Option<&Acked> {
        let base = self.versions[v].base;
        self.versions
            .iter()
            .enumerate()
            .filter(|(_, p)| p.base == base)
            .filter_map(|(i, _)| self.ack_of(e, i))
            .min_by_key(|a| a.entry)
    }

    /// Every acknowledgement by employee `e` (index in
    /// [`State::employees`]), by version index.
    pub fn acknowledgements_by(&self, e: usize) -> impl Iterator<Item = &Acked> {
        self.acked_by
            .get(e)
            .into_iter()
            .flatten()
            .map(|w| &self.acks[w.index as usize])
    }

    /// The index in [`State::employees`] of an employee (left or not).
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// Every accepted acknowledgement, in log order.
    pub fn acks(&self) -> impl Iterator<Item = (&Employee, &Acked)> {
        self.acks
            .iter()
            .map(|a| (&self.employees[a.employee as usize], a))
    }

    /// Applies the entry at index [`State::size`]: on success the state
    /// includes it; on refusal the state is unchanged but for the count.
    /// An acknowledgement's signature must have been verified by the caller.
    ///
    /// An entry that follows an administrator's request must be given with
    /// its SHA-256 ([`State::apply_with`], [`State::apply_bytes`]).
    pub fn apply(&mut self, entry: &Entry) -> Result<(), Refusal> {
        self.apply_with(entry, None)
    }

    /// [`State::apply`] of an entry whose exact bytes are `bytes` (hashed
    /// only when a request authorised the entry at this place).
    pub fn apply_bytes(&mut self, entry: &Entry, bytes: &[u8]) -> Result<(), Refusal> {
        let hash = self
            .waiting()
            .is_some()
            .then(|| super::entry::entry_hash(bytes));
        self.apply_with(entry, hash.as_ref())
    }

    /// The first rules of every entry, by its kind: the `log` entry first
    /// and only there, and no entry in a place a request covers unless it
    /// is the entry asked for (`sha256`). The entry takes its index either
    /// way, which is returned.
    fn enter(&mut self, kind: Kind, sha256: Option<&[u8; 32]>) -> Result<u64, Refusal> {
        let index = self.size;
        self.size += 1;
        if (index == 0) != (kind == Kind::Log) {
            self.advance_pending();
            return Err(Refusal::LogEntryPlace);
        }
        let covered = self.check_requested(kind, sha256);
        self.advance_pending();
        covered.map(|()| index)
    }

    /// [`State::apply`] of an acknowledgement entry, given what the rules
    /// read of it (the audit reads acknowledgements in place).
    pub fn apply_ack(&mut self, ack: &AckView) -> Result<(), Refusal> {
        let index = self.enter(Kind::Ack, None)?;
        self.accept(index, ack)
    }

    /// [`State::apply`] of an entry whose bytes have the SHA-256 `sha256`
    /// (needed only when a request authorised the entry at this place).
    pub fn apply_with(&mut self, entry: &Entry, sha256: Option<&[u8; 32]>) -> Result<(), Refusal> {
        let index = self.enter(entry.kind(), sha256)?;
        match entry {
            Entry::Log {
                origin,
                issuer_name,
                issuer_key,
                body,
                created,
            } => {
                self.issuer = Some(Issuer {
                    origin: origin.clone(),
                    name: issuer_name.clone(),
                    key: *issuer_key,
                    body: body.clone(),
                    created: *created,
                });
                Ok(())
            }
            Entry::Version(v) => self.publish(index, v),
            Entry::Enrol {
                id,
                name,
                position,
                key,
                valid_from,
            } => self.enrol(index, id, name, position.as_deref(), key, *valid_from),
            Entry::Key {
                id,
                key,
                valid_from,
            } => self.replace_key(index, id, key, *valid_from),
            Entry::Revoke { id, keyid, date } => self.revoke(index, id, keyid, *date),
            Entry::Leave { id, date } => self.leave(index, id, *date),
            Entry::Ack(record) => self.accept(index, &record.view()),
            Entry::Unit { id, name } => self.declare_unit(index, id, name),
            Entry::Document(d) => self.declare_document(index, d),
            Entry::Join {
                id,
                name,
                position,
                units,
                date,
            } => self.join(index, id, name, position.as_deref(), units, *date),
            Entry::Move { id, units, date } => self.move_to(index, id, units, *date),
            Entry::Update {
                id,
                name,
                position,
                date,
            } => self.update(index, id, name, position.as_deref(), *date),
            Entry::Admin {
                id,
                name,
                key,
                date,
            } => self.admin(index, id, name, key, *date),
            Entry::Dismiss { id, date } => self.dismiss(index, id, *date),
            Entry::Request(record) => self.request(index, record),
        }
    }

    /// Applies the entry at index [`State::size`] only if it is accepted:
    /// on refusal nothing changes (what a writer needs; an auditor uses
    /// [`State::apply`], which counts a refused entry as read).
    pub fn append(&mut self, entry: &Entry) -> Result<(), Refusal> {
        self.append_with(entry, None)
    }

    /// [`State::append`] of an entry whose exact bytes are `bytes` (see
    /// [`State::apply_bytes`]).
    pub fn append_bytes(&mut self, entry: &Entry, bytes: &[u8]) -> Result<(), Refusal> {
        let hash = self
            .waiting()
            .is_some()
            .then(|| super::entry::entry_hash(bytes));
        self.append_with(entry, hash.as_ref())
    }

    /// [`State::append`] of an entry whose bytes have the SHA-256 `sha256`
    /// (see [`State::apply_with`]).
    pub fn append_with(&mut self, entry: &Entry, sha256: Option<&[u8; 32]>) -> Result<(), Refusal> {
        let pending = self.pending.as_ref().map(|p| (p.request, p.next));
        let result = self.apply_with(entry, sha256);
        if result.is_err() {
            self.size -= 1;
            self.restore_pending(pending);
        }
        result
    }

    /// Puts back how many of the waiting request's entries had come before
    /// a refused append (a refused entry starts no request).
    fn restore_pending(&mut self, before: Option<(u64, usize)>) {
        match (&mut self.pending, before) {
            (Some(p), Some((request, next))) if p.request == request => p.next = next,
            (p, _) => *p = None,
        }
    }

    /// Versions are per document: labels unique in it, effective dates in
    /// order in it, a correction belongs to its last version; a PDF hash is
    /// unique in the whole log.
    fn publish(&mut self, index: u64, v: &Version) -> Result<(), Refusal> {
        let doc = v.document_id();
        if v.document.is_some() && self.document(doc).is_none() {
            return Err(Refusal::UndeclaredDocument(doc.to_string()));
        }
        let mut same = self
            .versions
            .iter()
            .filter(|p| p.version.document_id() == doc);
        if self.by_sha.contains_key(&v.sha256) || same.any(|p| p.version.label == v.label) {
            return Err(Refusal::VersionExists(version_name(v)));
        }
        let last = self
            .versions
            .iter()
            .rev()
            .find(|p| p.version.document_id() == doc);
        if let Some(last) = last {
            later(
                "effective date",
                v.effective,
                || format!("version {}'s", version_name(&last.version)),
                last.version.effective,
            )?;
        }
        let base = if v.material {
            self.versions.len()
        } else {
            last.ok_or(Refusal::CorrectionFirst)?.base
        };
        self.by_sha.insert(v.sha256, self.versions.len());
        self.family.push(Vec::new());
        self.family[base].push(self.versions.len() as u32);
        self.versions.push(Published {
            version: v.clone(),
            entry: index,
            base,
        });
        Ok(())
    }

    fn employee_index(&self, id: &str) -> Result<usize, Refusal> {
        let &e = self
            .by_id
            .get(id)
            .ok_or_else(|| Refusal::UnknownEmployee(id.to_string()))?;
        if let Some((date, _)) = self.employees[e].left {
            return Err(Refusal::Left {
                id: id.to_string(),
                date: format_date(date),
            });
        }
        Ok(e)
    }

    fn fresh_key(&self, key: &VerifyingKey) -> Result<KeyId, Refusal> {
        let keyid = KeyId::of(key);
        if let Some((who, _)) = self.by_keyid(&keyid) {
            return Err(Refusal::KeyReused {
                keyid: keyid.to_string(),
                id: who.id.clone(),
            });
        }
        if let Some(&a) = self.admin_keys.get(&keyid) {
            return Err(Refusal::KeyReused {
                keyid: keyid.to_string(),
                id: format!("administrator {}", self.admins[a].id),
            });
        }
        Ok(keyid)
    }

    fn enrol(
        &mut self,
        index: u64,
        id: &str,
        name: &str,
        position: Option<&str>,
        key: &VerifyingKey,
        valid_from: Date,
    ) -> Result<(), Refusal> {
        if let Some(&e) = self.by_id.get(id) {
            if self.employees[e].has_key() {
                return Err(Refusal::AlreadyEnrolled(id.to_string()));
            }
            return self.first_key(index, id, name, position, key, valid_from);
        }
        let keyid = self.fresh_key(key)?;
        self.add_employee(index, id, name, position, &[], valid_from);
        let e = self.employees.len() - 1;
        self.keys.insert(keyid, (e, 0));
        self.employees[e].keys.push(KeySpan {
            key: *key,
            keyid,
            from: valid_from,
            entry: index,
            end: None,
        });
        Ok(())
    }

    /// A new employee from `date`, without a key.
    fn add_employee(
        &mut self,
        index: u64,
        id: &str,
        name: &str,
        position: Option<&str>,
        units: &[String],
        date: Date,
    ) {
        self.by_id.insert(id.to_string(), self.employees.len());
        self.employees.push(Employee {
            id: id.to_string(),
            name: name.to_string(),
            position: position.map(str::to_string),
            enrolled: date,
            entry: index,
            keys: Vec::new(),
            left: None,
            periods: vec![Period {
                from: date,
                name: name.to_string(),
                position: position.map(str::to_string),
                units: units.to_vec(),
                entry: index,
            }],
        });
    }

    /// The enrolment of a joined employee's first key: it names them as the
    /// log does, and the key is valid from their first day at the earliest.
    fn first_key(
        &mut self,
        index: u64,
        id: &str,
        name: &str,
        position: Option<&str>,
        key: &VerifyingKey,
        valid_from: Date,
    ) -> Result<(), Refusal> {
        let e = self.employee_index(id)?;
        let employee = &self.employees[e];
        let differs = |field, given: &str, logged: &str| Refusal::NotAsJoined {
            id: id.to_string(),
            field,
            given: printable(given, 80),
            logged: logged.to_string(),
        };
        if name != employee.name {
            return Err(differs("name", name, &employee.name));
        }
        if let Some(p) = position.filter(|&p| Some(p) != employee.position.as_deref()) {
            return Err(differs(
                "position",
                p,
                employee.position.as_deref().unwrap_or("none"),
            ));
        }
        later(
            "valid_from",
            valid_from,
            || "the first working day".into(),
            employee.enrolled,
        )?;
        let keyid = self.fresh_key(key)?;
        self.keys.insert(keyid, (e, 0));
        self.employees[e].keys.push(KeySpan {
            key: *key,
            keyid,
            from: valid_from,
            entry: index,
            end: None,
        });
        Ok(())
    }

    fn declare_unit(&mut self, index: u64, id: &str, name: &str) -> Result<(), Refusal> {
        if self.unit(id).is_some() {
            return Err(Refusal::UnitExists(id.to_string()));
        }
        self.units.push(Unit {
            id: id.to_string(),
            name: name.to_string(),
            entry: index,
        });
        Ok(())
    }

    /// Every unit named is declared.
    fn known_units(&self, units: &[String]) -> Result<(), Refusal> {
        match units.iter().find(|u| self.unit(u).is_none()) {
            Some(u) => Err(Refusal::UnknownUnit(u.clone())),
            None => Ok(()),
        }
    }

    /// A document's first declaration, or a new one from a date not before
    /// the previous one's.
    fn declare_document(&mut self, index: u64, d: &Declaration) -> Result<(), Refusal> {
        self.known_units(&d.units)?;
        match self.documents.iter_mut().find(|doc| doc.id == d.id) {
            Some(doc) => {
                if let Some((previous, _)) = doc.declarations.last() {
                    later(
                        "declaration date",
                        d.date,
                        || format!("document {}'s previous declaration", d.id),
                        previous.date,
                    )?;
                }
                doc.declarations.push((d.clone(), index));
            }
            None => self.documents.push(Document {
                id: d.id.clone(),
                declarations: vec![(d.clone(), index)],
            }),
        }
        Ok(())
    }

    fn join(
        &mut self,
        index: u64,
        id: &str,
        name: &str,
        position: Option<&str>,
        units: &[String],
        date: Date,
    ) -> Result<(), Refusal> {
        if self.by_id.contains_key(id) {
            return Err(Refusal::AlreadyKnown(id.to_string()));
        }
        self.known_units(units)?;
        self.add_employee(index, id, name, position, units, date);
        Ok(())
    }

    /// A new period of employee `id` from `date`, made from their latest
    /// one by `change`: they are there, and `date` is not before their
    /// latest change.
    fn new_period(
        &mut self,
        index: u64,
        id: &str,
        date: Date,
        change: impl FnOnce(&mut Period),
    ) -> Result<(), Refusal> {
        let e = self.employee_index(id)?;
        let employee = &mut self.employees[e];
        later(
            "date",
            date,
            || format!("{id}'s latest change"),
            employee.last_change(),
        )?;
        let mut period = employee.on(date).clone();
        period.from = date;
        period.entry = index;
        change(&mut period);
        employee.name = period.name.clone();
        employee.position = period.position.clone();
        employee.periods.push(period);
        Ok(())
    }

    fn move_to(
        &mut self,
        index: u64,
        id: &str,
        units: &[String],
        date: Date,
    ) -> Result<(), Refusal> {
        self.known_units(units)?;
        self.new_period(index, id, date, |p| p.units = units.to_vec())
    }

    fn update(
        &mut self,
        index: u64,
        id: &str,
        name: &str,
        position: Option<&str>,
        date: Date,
    ) -> Result<(), Refusal> {
        self.new_period(index, id, date, |p| {
            p.name = name.to_string();
            p.position = position.map(str::to_string);
        })
    }

    fn replace_key(
        &mut self,
        index: u64,
        id: &str,
        key: &VerifyingKey,
        valid_from: Date,
    ) -> Result<(), Refusal> {
        let e = self.employee_index(id)?;
        if !self.employees[e].has_key() {
            return Err(Refusal::NoKeyYet(id.to_string()));
        }
        let keyid = self.fresh_key(key)?;
        if let Some(last) = self.employees[e].keys.last() {
            let since = last.end.map(|(d, _, _)| d).unwrap_or(last.from);
            later(
                "valid_from",
                valid_from,
                || "the previous key's".into(),
                since,
            )?;
        }
        let employee = &mut self.employees[e];
        if let Some(current) = employee.keys.last_mut().filter(|k| k.end.is_none()) {
            current.end = Some((valid_from, EndKind::Replaced, index));
        }
        employee.keys.push(KeySpan {
            key: *key,
            keyid,
            from: valid_from,
            entry: index,
            end: None,
        });
        self.keys.insert(keyid, (e, employee.keys.len() - 1));
        Ok(())
    }

    fn revoke(&mut self, index: u64, id: &str, keyid: &KeyId, date: Date) -> Result<(), Refusal> {
        let e = self.employee_index(id)?;
        let not_current = || Refusal::NotCurrentKey {
            keyid: keyid.to_string(),
            id: id.to_string(),
        };
        let current = self.employees[e].current().ok_or_else(not_current)?;
        if current.keyid != *keyid {
            return Err(not_current());
        }
        later(
            "revocation date",
            date,
            || "the key's first day".into(),
            current.from,
        )?;
        if let Some(span) = self.employees[e].keys.last_mut() {
            span.end = Some((date, EndKind::Revoked, index));
        }
        Ok(())
    }

    fn leave(&mut self, index: u64, id: &str, date: Date) -> Result<(), Refusal> {
        let e = self.employee_index(id)?;
        let employee = &mut self.employees[e];
        later(
            "departure date",
            date,
            || "the enrolment".into(),
            employee.enrolled,
        )?;
        later(
            "departure date",
            date,
            || format!("{id}'s latest change"),
            employee.last_change(),
        )?;
        employee.left = Some((date, index));
        if let Some(span) = employee.keys.last_mut().filter(|k| k.end.is_none()) {
            span.end = Some((date, EndKind::Left, index));
        }
        Ok(())
    }

    /// The checks of an acknowledgement against the log so far; the
    /// employee and version indices on success.
    pub fn check_ack(&self, record: &AckView) -> Result<(usize, usize), Refusal> {
        self.check_ack_key(record).map(|(e, _, v)| (e, v))
    }

    /// [`State::check_ack`], with the index of the signing key among the
    /// employee's keys between the two.
    fn check_ack_key(&self, record: &AckView) -> Result<(usize, usize, usize), Refusal> {
        let keyid = record.keyid;
        let &(e, k) = self
            .keys
            .get(&keyid)
            .ok_or_else(|| Refusal::UnknownKey(keyid.to_string()))?;
        let employee = &self.employees[e];
        let span = &employee.keys[k];
        if let Some((date, why, _)) = span.end.filter(|end| ends_before(end, record)) {
            return Err(Refusal::KeyEnded {
                keyid: keyid.to_string(),
                id: employee.id.clone(),
                why: why.phrase(),
                date: format_date(date),
            });
        }
        let signed = &record.payload;
        let name = &employee.on(record.date).name;
        if signed.id != employee.id || signed.name != *name {
            return Err(Refusal::OtherEmployee {
                signed: format!("{} ({})", printable(signed.name, 80), signed.id),
                enrolled: format!("{} ({})", name, employee.id),
            });
        }
        let (v, published) = self
            .version_by_sha(&record.document)
            .ok_or_else(|| Refusal::UnknownDocument(record.payload.sha256.to_string()))?;
        if record.payload.title != published.version.title {
            return Err(Refusal::OtherTitle(published.version.label.clone()));
        }
        self.check_ack_dates(record, span, published)?;
        self.check_bound(record, employee, &published.version)?;
        if let Some(earlier) = self.ack_of(e, v) {
            return Err(Refusal::Duplicate {
                id: employee.id.clone(),
                label: published.version.label.clone(),
                entry: earlier.entry,
            });
        }
        Ok((e, k, v))
    }

    fn check_ack_dates(
        &self,
        record: &AckView,
        span: &KeySpan,
        published: &Published,
    ) -> Result<(), Refusal> {
        later(
            "acknowledgement date",
            record.date,
            || "the key's first day".into(),
            span.from,
        )?;
        later(
            "acknowledgement date",
            record.date,
            || format!("version {} taking effect", published.version.label),
            published.version.effective,
        )?;
        later(
            "date received",
            record.received,
            || "the acknowledgement's own date".into(),
            record.date,
        )
    }

    /// The version's document binds the signer on the acknowledgement's date.
    fn check_bound(
        &self,
        record: &AckView,
        employee: &Employee,
        version: &Version,
    ) -> Result<(), Refusal> {
        let document = version.document_id();
        if self.binds(document, employee, record.date) {
            return Ok(());
        }
        Err(Refusal::NotBound {
            document: document.to_string(),
            id: employee.id.clone(),
            date: format_date(record.date),
        })
    }

    fn accept(&mut self, index: u64, record: &AckView) -> Result<(), Refusal> {
        let (e, key, v) = self.check_ack_key(record)?;
        self.acks.push(Acked {
            entry: index,
            date: record.date,
            received: record.received,
            version: v as u32,
            employee: e as u32,
            key: key as u32,
            notes: record.payload.notes.map(str::to_string),
        });
        self.index_ack(self.acks.len() - 1);
        Ok(())
    }
}

/// Administrators and their requests (log format 0.4).
impl State {
    /// Every administrator, in the order they came into the log.
    pub fn admins(&self) -> &[Admin] {
        &self.admins
    }

    /// An administrator by identifier.
    pub fn admin_by_id(&self, id: &str) -> Option<&Admin> {
        self.admins.iter().find(|a| a.id == id)
    }

    /// Every accepted request, in log order.
    pub fn requests(&self) -> &[Request] {
        &self.requests
    }

    /// The accepted request that authorised entry `index`, if any.
    pub fn request_for(&self, index: u64) -> Option<&Request> {
        let after = self.requests.partition_point(|r| r.entry < index);
        self.requests[..after]
            .last()
            .filter(|r| r.entries().contains(&index))
    }

    /// The request still waiting for entries: its entry, how many of its
    /// entries came, how many it authorises. A log whose newest entry
    /// leaves a request waiting is cut short (see the audit's history step).
    pub fn waiting(&self) -> Option<(u64, usize, usize)> {
        self.pending
            .as_ref()
            .filter(|p| p.next < p.hashes.len())
            .map(|p| (p.request, p.next, p.hashes.len()))
    }

    /// Counts one more entry against the waiting request.
    fn advance_pending(&mut self) {
        if let Some(p) = self.pending.as_mut().filter(|p| p.next < p.hashes.len()) {
            p.next += 1;
        }
    }

    /// When a request waits for entries: `entry` is a kind a request may
    /// authorise, and its bytes are the next ones the request names.
    fn check_requested(&self, kind: Kind, sha256: Option<&[u8; 32]>) -> Result<(), Refusal> {
        let Some(p) = self.pending.as_ref().filter(|p| p.next < p.hashes.len()) else {
            return Ok(());
        };
        let (request, nth, count) = (p.request, p.next + 1, p.hashes.len());
        let why = match kind {
            Kind::Log | Kind::Ack => " (they are no administrator's to ask for)",
            Kind::Request => " (requests do not nest)",
            _ => "",
        };
        if !why.is_empty() {
            return Err(Refusal::NotRequestable {
                request,
                nth,
                count,
                kind: kind.name(),
                why,
            });
        }
        match sha256 {
            None => Err(Refusal::Unhashed(request)),
            Some(h) if *h != p.hashes[p.next] => Err(Refusal::NotAsRequested {
                request,
                nth,
                count,
            }),
            Some(_) => Ok(()),
        }
    }

    fn admin_index(&self, id: &str) -> Result<usize, Refusal> {
        self.admins
            .iter()
            .position(|a| a.id == id)
            .ok_or_else(|| Refusal::UnknownAdmin(id.to_string()))
    }

    /// A key no administrator and no employee ever had.
    fn fresh_admin_key(&self, key: &VerifyingKey) -> Result<KeyId, Refusal> {
        let keyid = self.fresh_key(key)?;
        if let Some(&a) = self.admin_keys.get(&keyid) {
            return Err(Refusal::KeyReused {
                keyid: keyid.to_string(),
                id: format!("administrator {}", self.admins[a].id),
            });
        }
        Ok(keyid)
    }

    /// The dismissal of administrator `a`, as a refusal, if any.
    fn not_dismissed(&self, a: usize) -> Result<(), Refusal> {
        match self.admins[a].until() {
            Some(date) => Err(Refusal::Dismissed {
                id: self.admins[a].id.clone(),
                date: format_date(date),
            }),
            None => Ok(()),
        }
    }

    /// A new administrator, or a new key of one who is not dismissed, from
    /// a date not before their previous key's.
    fn admin(
        &mut self,
        index: u64,
        id: &str,
        name: &str,
        key: &VerifyingKey,
        date: Date,
    ) -> Result<(), Refusal> {
        let existing = self.admins.iter().position(|a| a.id == id);
        if let Some(a) = existing {
            self.not_dismissed(a)?;
            if let Some(last) = self.admins[a].current() {
                later(
                    "date",
                    date,
                    || format!("administrator {id}'s key's first day"),
                    last.from,
                )?;
            }
        }
        let keyid = self.fresh_admin_key(key)?;
        let span = AdminKey {
            key: *key,
            keyid,
            name: name.to_string(),
            from: date,
            entry: index,
            replaced: None,
        };
        let a = match existing {
            Some(a) => {
                if let Some(last) = self.admins[a].keys.last_mut() {
                    last.replaced = Some((date, index));
                }
                self.admins[a].keys.push(span);
                a
            }
            None => {
                self.admins.push(Admin {
                    id: id.to_string(),
                    keys: vec![span],
                    dismissed: None,
                });
                self.admins.len() - 1
            }
        };
        self.admin_keys.insert(keyid, a);
        Ok(())
    }

    /// The end of an administrator's role, dated not before their key's
    /// first day.
    fn dismiss(&mut self, index: u64, id: &str, date: Date) -> Result<(), Refusal> {
        let a = self.admin_index(id)?;
        self.not_dismissed(a)?;
        if let Some(last) = self.admins[a].current() {
            later(
                "dismissal date",
                date,
                || format!("administrator {id}'s key's first day"),
                last.from,
            )?;
        }
        self.admins[a].dismissed = Some((date, index));
        Ok(())
    }

    /// A request: of this log, by an administrator on its date, signed by
    /// their current key. The entries it names must follow.
    fn request(&mut self, index: u64, r: &super::entry::RequestRecord) -> Result<(), Refusal> {
        self.request_of_this_log(r)?;
        let a = self.admin_index(&r.admin)?;
        let (k, span) = self.request_key(a, r)?;
        r.envelope
            .verify(&span.key)
            .map_err(|_| Refusal::RequestSignature(r.admin.clone()))?;
        self.requests.push(Request {
            entry: index,
            admin: a as u32,
            key: k as u32,
            date: r.date,
            action: r.action.clone(),
            count: r.entries.len() as u32,
        });
        self.pending = Some(Pending {
            request: index,
            hashes: r.entries.clone(),
            next: 0,
        });
        Ok(())
    }

    /// The request names this log's origin.
    fn request_of_this_log(&self, r: &super::entry::RequestRecord) -> Result<(), Refusal> {
        let origin = self.issuer.as_ref().map_or("", |i| i.origin.as_str());
        if r.log != origin {
            return Err(Refusal::OtherLog {
                named: printable(&r.log, 200),
                origin: origin.to_string(),
            });
        }
        Ok(())
    }

    /// The administrator's current key, if it signed the request and the
    /// request's date is in their role: on or after the key's first day,
    /// before a dismissal.
    fn request_key(
        &self,
        a: usize,
        r: &super::entry::RequestRecord,
    ) -> Result<(usize, &AdminKey), Refusal> {
        let admin = &self.admins[a];
        if let Some(until) = admin.until().filter(|&until| r.date >= until) {
            return Err(Refusal::Dismissed {
                id: admin.id.clone(),
                date: format_date(until),
            });
        }
        let k = admin.keys.len().saturating_sub(1);
        let span = admin
            .keys
            .get(k)
            .ok_or_else(|| Refusal::UnknownAdmin(admin.id.clone()))?;
        if span.keyid != r.envelope.keyid {
            return Err(Refusal::RequestKey {
                keyid: r.envelope.keyid.to_string(),
                id: admin.id.clone(),
            });
        }
        later(
            "request date",
            r.date,
            || format!("administrator {}'s key's first day", admin.id),
            span.from,
        )?;
        Ok((k, span))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::DocumentRef;
    use crate::log::entry::{self, parse, parse_date};
    use ed25519_dalek::SigningKey;

    fn d(s: &str) -> Date {
        parse_date(s).unwrap()
    }

    fn key(n: u8) -> SigningKey {
        SigningKey::from_bytes(&[n; 32])
    }

    fn version(label: &str, sha: u8, effective: &str, material: bool) -> Entry {
        let v = Version {
            document: None,
            label: label.into(),
            title: "Noteikumi".into(),
            sha256: [sha; 32],
            effective: d(effective),
            material,
            deadline: material.then(|| d(effective)),
            new_employee_days: 14,
        };
        parse(&entry::version_bytes(&v).unwrap()).unwrap()
    }

    fn ack(k: &SigningKey, sha: u8, name: &str, id: &str, date: &str, received: &str) -> Entry {
        let doc = DocumentRef {
            title: "Noteikumi".into(),
            sha256: [sha; 32],
        };
        let env = crate::ack::Acknowledgement::new(&doc, name, id, date, None)
            .unwrap()
            .sign(k)
            .unwrap();
        parse(&entry::ack_bytes(d(received), &k.verifying_key(), &env).unwrap()).unwrap()
    }

    /// A log with one version (effective 2017-12-01) and Jānis enrolled with key 1.
    fn base() -> State {
        let mut s = State::new();
        let first = entry::log_bytes(
            "example.invalid/log",
            "J.Gavars",
            &key(9).verifying_key(),
            "Pašvaldība",
            d("2017-12-01"),
        )
        .unwrap();
        s.append(&parse(&first).unwrap()).unwrap();
        s.append(&version("1", 1, "2017-12-01", true)).unwrap();
        let enrol = entry::enrol_bytes(
            "jberzins",
            "Jānis Bērziņš",
            None,
            &key(1).verifying_key(),
            d("2017-12-01"),
        )
        .unwrap();
        s.append(&parse(&enrol).unwrap()).unwrap();
        s
    }

    #[test]
    fn a_valid_acknowledgement_is_accepted_once() {
        let mut s = base();
        s.append(&ack(
            &key(1),
            1,
            "Jānis Bērziņš",
            "jberzins",
            "2017-12-04",
            "2017-12-05",
        ))
        .unwrap();
        let again = s.append(&ack(
            &key(1),
            1,
            "Jānis Bērziņš",
            "jberzins",
            "2017-12-06",
            "2017-12-06",
        ));
        assert!(matches!(again, Err(Refusal::Duplicate { .. })), "{again:?}");
        assert_eq!(s.size(), 4, "a refused entry changes nothing");
    }

    #[test]
    fn acknowledgements_in_any_version_order_are_found_once() {
        // Three versions acknowledged newest first, then oldest, then the
        // middle one: the lookup that starts at the newest must still find
        // every earlier one when a duplicate comes.
        let mut s = base();
        s.append(&version("2", 2, "2017-12-02", true)).unwrap();
        s.append(&version("3", 3, "2017-12-03", true)).unwrap();
        let jb = |sha: u8, date: &str| ack(&key(1), sha, "Jānis Bērziņš", "jberzins", date, date);
        for sha in [3, 1, 2] {
            s.append(&jb(sha, "2017-12-04")).unwrap();
        }
        for (v, sha) in [(0, 1), (1, 2), (2, 3)] {
            let filed = s.acknowledgement(0, v).map(|a| a.entry);
            let again = s.append(&jb(sha, "2017-12-06"));
            match again {
                Err(Refusal::Duplicate { entry, .. }) => assert_eq!(Some(entry), filed),
                other => panic!("version {sha} acknowledged twice: {other:?}"),
            }
        }
        let versions: Vec<usize> = s.acknowledgements_by(0).map(|a| a.version()).collect();
        assert_eq!(versions, [0, 1, 2], "filed by version");
    }

    #[test]
    fn each_rule_refuses_and_names_why() {
        let mut s = base();
        // An acknowledgement by jberzins: signing key, version, name, dates.
        let jb = |k: u8, v: u8, name: &str, signed: &str, received: &str| {
            ack(&key(k), v, name, "jberzins", signed, received)
        };
        let enrol = |id: &str, k: u8| {
            let bytes = entry::enrol_bytes(id, "X", None, &key(k).verifying_key(), d("2017-12-01"));
            parse(&bytes.unwrap()).unwrap()
        };
        let leave =
            |id: &str, date: &str| parse(&entry::leave_bytes(id, d(date)).unwrap()).unwrap();
        let name = "Jānis Bērziņš";
        let cases: Vec<(Entry, &str)> = vec![
            (
                jb(2, 1, name, "2017-12-04", "2017-12-05"),
                "is not enrolled",
            ),
            (
                jb(1, 1, "Jānis Bērziņa", "2017-12-04", "2017-12-05"),
                "names",
            ),
            (
                jb(1, 7, name, "2017-12-04", "2017-12-05"),
                "not a published version",
            ),
            (jb(1, 1, name, "2017-11-30", "2017-12-05"), "before"),
            (jb(1, 1, name, "2017-12-06", "2017-12-05"), "date received"),
            (version("1", 2, "2017-12-02", true), "already published"),
            (version("2", 1, "2017-12-02", true), "already published"),
            (version("2", 2, "2017-11-01", true), "before"),
            (enrol("jberzins", 3), "already enrolled"),
            (enrol("other", 1), "already enrolled (for jberzins)"),
            (leave("nobody", "2018-01-01"), "not enrolled"),
            (leave("jberzins", "2017-11-01"), "before"),
        ];
        for (entry, why) in cases {
            let err = s.append(&entry).unwrap_err().to_string();
            assert!(err.contains(why), "{err:?} should say {why:?}");
        }
        assert_eq!(s.size(), 3);
    }

    #[test]
    fn a_replaced_revoked_or_departed_key_signs_no_new_acknowledgement() {
        for (end, why) in [
            ("key", "replaced"),
            ("revoke", "revoked"),
            ("leave", "left"),
        ] {
            let mut s = base();
            let bytes = match end {
                "key" => entry::key_bytes("jberzins", &key(5).verifying_key(), d("2018-01-01")),
                "revoke" => entry::revoke_bytes(
                    "jberzins",
                    &KeyId::of(&key(1).verifying_key()),
                    d("2018-01-01"),
                ),
                _ => entry::leave_bytes("jberzins", d("2018-01-01")),
            };
            s.append(&parse(&bytes.unwrap()).unwrap()).unwrap();
            // Backdated or not, an acknowledgement appended after the end is refused.
            let err = s
                .append(&ack(
                    &key(1),
                    1,
                    "Jānis Bērziņš",
                    "jberzins",
                    "2017-12-04",
                    "2018-01-02",
                ))
                .unwrap_err();
            assert!(err.to_string().contains(why), "{end}: {err}");
        }
        // The new key signs, from its first day only.
        let mut s = base();
        s.append(
            &parse(
                &entry::key_bytes("jberzins", &key(5).verifying_key(), d("2018-01-01")).unwrap(),
            )
            .unwrap(),
        )
        .unwrap();
        let early = s.append(&ack(
            &key(5),
            1,
            "Jānis Bērziņš",
            "jberzins",
            "2017-12-31",
            "2018-01-02",
        ));
        assert!(matches!(early, Err(Refusal::DateOrder { .. })), "{early:?}");
        s.append(&ack(
            &key(5),
            1,
            "Jānis Bērziņš",
            "jberzins",
            "2018-01-01",
            "2018-01-02",
        ))
        .unwrap();
    }

    fn add(s: &mut State, bytes: Vec<u8>) -> Result<(), Refusal> {
        s.append(&parse(&bytes).unwrap())
    }

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|u| u.to_string()).collect()
    }

    fn declaration(id: &str, units: &[&str], positions: &[&str], date: &str) -> Declaration {
        Declaration {
            id: id.into(),
            title: "KAC noteikumi".into(),
            units: ids(units),
            positions: ids(positions),
            date: d(date),
        }
    }

    fn doc_version(document: &str, label: &str, sha: u8, effective: &str) -> Vec<u8> {
        entry::version_bytes(&Version {
            document: Some(document.into()),
            label: label.into(),
            title: "Noteikumi".into(),
            sha256: [sha; 32],
            effective: d(effective),
            material: true,
            deadline: Some(d(effective)),
            new_employee_days: 14,
        })
        .unwrap()
    }

    /// [`base`] with units kac and bv, and document `kac` binding unit kac
    /// and position Jurists from 2017-12-01, its version 1 (sha 2).
    fn organised() -> State {
        let mut s = base();
        add(&mut s, entry::unit_bytes("kac", "KAC").unwrap()).unwrap();
        add(&mut s, entry::unit_bytes("bv", "Būvvalde").unwrap()).unwrap();
        let kac = declaration("kac", &["kac"], &["Jurists"], "2017-12-01");
        add(&mut s, entry::document_bytes(&kac).unwrap()).unwrap();
        add(&mut s, doc_version("kac", "1", 2, "2017-12-01")).unwrap();
        s
    }

    fn join(id: &str, units: &[&str], date: &str) -> Vec<u8> {
        entry::join_bytes(id, "Anna Ozola", None, &ids(units), d(date)).unwrap()
    }

    #[test]
    fn each_new_rule_refuses_and_names_why() {
        let mut s = organised();
        add(&mut s, join("aozola", &["kac"], "2018-01-01")).unwrap();
        let size = s.size();
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (
                entry::unit_bytes("kac", "Other").unwrap(),
                "unit kac is already declared",
            ),
            (
                entry::document_bytes(&declaration("x", &["nope"], &[], "2018-01-01")).unwrap(),
                "unit nope is not declared",
            ),
            (
                entry::document_bytes(&declaration("kac", &["bv"], &[], "2017-11-30")).unwrap(),
                "declaration date 2017-11-30 is before document kac's previous declaration",
            ),
            (
                doc_version("nodoc", "1", 3, "2018-01-01"),
                "document nodoc is not declared",
            ),
            (
                doc_version("kac", "1", 3, "2018-01-01"),
                "version 1 of kac is already published",
            ),
            (
                doc_version("kac", "2", 2, "2018-01-01"),
                "already published",
            ),
            (
                doc_version("kac", "2", 3, "2017-11-01"),
                "is before version 1 of kac's",
            ),
            (
                join("aozola", &[], "2018-01-01"),
                "employee aozola is already in the log",
            ),
            (
                join("jberzins", &[], "2018-01-01"),
                "employee jberzins is already in the log",
            ),
            (
                join("new", &["nope"], "2018-01-01"),
                "unit nope is not declared",
            ),
            (
                entry::move_bytes("nobody", &[], d("2018-02-01")).unwrap(),
                "employee nobody is not enrolled",
            ),
            (
                entry::move_bytes("aozola", &ids(&["nope"]), d("2018-02-01")).unwrap(),
                "unit nope is not declared",
            ),
            (
                entry::move_bytes("aozola", &[], d("2017-12-31")).unwrap(),
                "date 2017-12-31 is before aozola's latest change 2018-01-01",
            ),
            (
                entry::update_bytes("nobody", "N", None, d("2018-02-01")).unwrap(),
                "employee nobody is not enrolled",
            ),
            (
                entry::update_bytes("aozola", "N", None, d("2017-12-31")).unwrap(),
                "before aozola's latest change",
            ),
            (
                entry::leave_bytes("aozola", d("2017-12-31")).unwrap(),
                "departure date 2017-12-31 is before",
            ),
            (
                entry::key_bytes("aozola", &key(4).verifying_key(), d("2018-02-01")).unwrap(),
                "employee aozola has no key yet",
            ),
            (
                entry::enrol_bytes(
                    "aozola",
                    "Anna Ozoliņa",
                    None,
                    &key(4).verifying_key(),
                    d("2018-02-01"),
                )
                .unwrap(),
                "the enrolment gives aozola the name Anna Ozoliņa, the log has Anna Ozola",
            ),
            (
                entry::enrol_bytes(
                    "aozola",
                    "Anna Ozola",
                    Some("Boss"),
                    &key(4).verifying_key(),
                    d("2018-02-01"),
                )
                .unwrap(),
                "the position Boss, the log has none",
            ),
            (
                entry::enrol_bytes(
                    "aozola",
                    "Anna Ozola",
                    None,
                    &key(4).verifying_key(),
                    d("2017-12-31"),
                )
                .unwrap(),
                "valid_from 2017-12-31 is before the first working day 2018-01-01",
            ),
            (
                entry::enrol_bytes(
                    "aozola",
                    "Anna Ozola",
                    None,
                    &key(1).verifying_key(),
                    d("2018-01-01"),
                )
                .unwrap(),
                "already enrolled (for jberzins)",
            ),
        ];
        for (bytes, why) in cases {
            let err = add(&mut s, bytes).unwrap_err().to_string();
            assert!(err.contains(why), "{err:?} should say {why:?}");
        }
        assert_eq!(s.size(), size, "refusals change nothing");
        // A departed employee is moved, updated or left no more.
        add(
            &mut s,
            entry::leave_bytes("aozola", d("2018-03-01")).unwrap(),
        )
        .unwrap();
        for bytes in [
            entry::move_bytes("aozola", &[], d("2018-04-01")).unwrap(),
            entry::update_bytes("aozola", "A", None, d("2018-04-01")).unwrap(),
            entry::leave_bytes("aozola", d("2018-04-01")).unwrap(),
        ] {
            let err = add(&mut s, bytes).unwrap_err().to_string();
            assert!(err.contains("aozola left on 2018-03-01"), "{err}");
        }
    }

    #[test]
    fn a_joined_employee_gets_a_first_key_then_signs_what_binds_them() {
        let mut s = organised();
        add(&mut s, join("aozola", &["bv"], "2018-01-01")).unwrap();
        let e = s.employee("aozola").unwrap();
        assert!(!e.has_key() && e.current().is_none());
        add(
            &mut s,
            entry::enrol_bytes(
                "aozola",
                "Anna Ozola",
                None,
                &key(4).verifying_key(),
                d("2018-01-02"),
            )
            .unwrap(),
        )
        .unwrap();
        let a = |sha: u8, date: &str| ack(&key(4), sha, "Anna Ozola", "aozola", date, date);
        // The rules bind everyone; the KAC's document does not bind the building board.
        let err = s.append(&a(2, "2018-01-03")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "document kac does not bind aozola on 2018-01-03"
        );
        s.append(&a(1, "2018-01-03")).unwrap();
        // Moved to the KAC from 2018-02-01: bound from then, not before.
        add(
            &mut s,
            entry::move_bytes("aozola", &ids(&["kac"]), d("2018-02-01")).unwrap(),
        )
        .unwrap();
        assert!(matches!(
            s.append(&a(2, "2018-01-31")),
            Err(Refusal::NotBound { .. })
        ));
        s.append(&a(2, "2018-02-01")).unwrap();
        // By position: Jānis is a Jurists in no unit.
        let jb = ack(
            &key(1),
            2,
            "Jānis Bērziņš",
            "jberzins",
            "2018-01-05",
            "2018-01-05",
        );
        let err = s.append(&jb).unwrap_err();
        assert!(matches!(err, Refusal::NotBound { .. }), "{err}");
        add(
            &mut s,
            entry::update_bytes(
                "jberzins",
                "Jānis Bērziņš",
                Some("Jurists"),
                d("2018-01-01"),
            )
            .unwrap(),
        )
        .unwrap();
        s.append(&jb).unwrap();
    }

    #[test]
    fn a_name_change_counts_from_its_date() {
        let mut s = base();
        add(
            &mut s,
            entry::update_bytes("jberzins", "Jānis Kalniņš", None, d("2018-01-01")).unwrap(),
        )
        .unwrap();
        assert_eq!(s.employee("jberzins").unwrap().name, "Jānis Kalniņš");
        let old = |date: &str| ack(&key(1), 1, "Jānis Bērziņš", "jberzins", date, date);
        assert!(s.append(&old("2018-01-01")).is_err());
        s.append(&old("2017-12-31")).unwrap();
    }

    #[test]
    fn before_a_future_departure_the_employee_still_signs() {
        let mut s = base();
        add(
            &mut s,
            entry::leave_bytes("jberzins", d("2018-01-01")).unwrap(),
        )
        .unwrap();
        let jb = |date: &str, received: &str| {
            ack(&key(1), 1, "Jānis Bērziņš", "jberzins", date, received)
        };
        assert!(s.append(&jb("2018-01-01", "2018-01-01")).is_err());
        s.append(&jb("2017-12-20", "2017-12-20")).unwrap();
    }

    #[test]
    fn staff_on_a_day_is_who_has_not_left_as_they_are_that_day() {
        let mut s = organised();
        add(&mut s, join("aozola", &["bv"], "2018-01-01")).unwrap();
        add(
            &mut s,
            entry::move_bytes("aozola", &ids(&["bv", "kac"]), d("2018-03-01")).unwrap(),
        )
        .unwrap();
        add(
            &mut s,
            entry::leave_bytes("jberzins", d("2018-02-01")).unwrap(),
        )
        .unwrap();
        let staff = s.staff_on(d("2018-01-15"));
        assert_eq!(staff.len(), 2);
        assert_eq!(staff[0].id, "jberzins");
        assert_eq!(staff[0].left, Some(d("2018-02-01")));
        assert!(staff[0].has_key);
        assert_eq!(staff[1].units, ids(&["bv"]));
        assert!(!staff[1].has_key);
        let staff = s.staff_on(d("2018-03-01"));
        assert_eq!(staff.len(), 1);
        assert_eq!(staff[0].units, ids(&["bv", "kac"]));
        assert_eq!(staff[0].start, d("2018-01-01"));
    }

    #[test]
    fn versions_are_per_document() {
        let mut s = organised();
        // Label 1 and an earlier effective date are fine in another document.
        add(
            &mut s,
            entry::document_bytes(&declaration("it", &[], &[], "2017-01-01")).unwrap(),
        )
        .unwrap();
        add(&mut s, doc_version("it", "1", 5, "2017-06-01")).unwrap();
        assert_eq!(s.version_of("it", "1").unwrap().0, 2);
        assert_eq!(s.version_of("rules", "1").unwrap().0, 0);
        assert_eq!(s.document_ids(), ["rules", "kac", "it"]);
    }

    #[test]
    fn a_correction_needs_a_material_version_and_counts_for_it() {
        let mut s = State::new();
        let first = entry::log_bytes(
            "example.invalid/log",
            "J",
            &key(9).verifying_key(),
            "P",
            d("2017-12-01"),
        )
        .unwrap();
        s.append(&parse(&first).unwrap()).unwrap();
        assert_eq!(
            s.append(&version("0.1", 3, "2017-12-01", false)),
            Err(Refusal::CorrectionFirst)
        );
        s.append(&version("1", 1, "2017-12-01", true)).unwrap();
        s.append(&version("1.1", 2, "2017-12-02", false)).unwrap();
        let enrol = entry::enrol_bytes(
            "jberzins",
            "Jānis Bērziņš",
            None,
            &key(1).verifying_key(),
            d("2017-12-01"),
        )
        .unwrap();
        s.append(&parse(&enrol).unwrap()).unwrap();
        s.append(&ack(
            &key(1),
            2,
            "Jānis Bērziņš",
            "jberzins",
            "2017-12-03",
            "2017-12-03",
        ))
        .unwrap();
        let acked = s
            .acknowledgement(0, 0)
            .expect("the correction's acknowledgement counts");
        assert_eq!(acked.version, 1);
        assert_eq!(s.keyid_of(acked), KeyId::of(&key(1).verifying_key()));
        // The index of acknowledgements is rebuilt from them (as after a
        // snapshot is read), and finds the same.
        let mut again = s.clone();
        again.acked_by.clear();
        again.reindex();
        assert_eq!(
            again.acknowledgement(0, 0).map(|a| a.entry),
            Some(acked.entry)
        );
        assert!(again.acknowledgement(0, 1).is_some());
        assert_eq!(again.acks().count(), 1);
    }

    // ---- Administrators and requests (log format 0.4) --------------------

    fn add_bytes(s: &mut State, bytes: &[u8]) -> Result<(), Refusal> {
        s.append_bytes(&parse(bytes).unwrap(), bytes)
    }

    /// [`base`] with administrator ivarna (key 20) from 2017-12-01.
    fn administered() -> State {
        let mut s = base();
        let admin = entry::admin_bytes(
            "ivarna",
            "Ilze Vārna",
            &key(20).verifying_key(),
            d("2017-12-01"),
        );
        add_bytes(&mut s, &admin.unwrap()).unwrap();
        s
    }

    fn request(k: u8, admin: &str, origin: &str, date: &str, entries: &[Vec<u8>]) -> Vec<u8> {
        crate::log::request::request_entry(&key(k), origin, admin, d(date), "test", entries)
            .unwrap()
    }

    const ORIGIN: &str = "example.invalid/log";

    #[test]
    fn a_request_authorises_exactly_the_entries_that_follow() {
        let mut s = administered();
        let leave = entry::leave_bytes("jberzins", d("2018-01-01")).unwrap();
        let unit = entry::unit_bytes("kac", "KAC").unwrap();
        let r = request(
            20,
            "ivarna",
            ORIGIN,
            "2018-01-02",
            &[leave.clone(), unit.clone()],
        );
        add_bytes(&mut s, &r).unwrap();
        assert_eq!(s.waiting(), Some((4, 0, 2)));
        // Another entry in the place of the first is refused, and changes nothing.
        let other = entry::unit_bytes("bv", "BV").unwrap();
        let err = add_bytes(&mut s, &other).unwrap_err();
        assert_eq!(
            err.to_string(),
            "this is not the entry request 4 authorised as its entry 1 of 2: its SHA-256 differs"
        );
        assert_eq!(s.waiting(), Some((4, 0, 2)));
        add_bytes(&mut s, &leave).unwrap();
        // A refused last entry leaves it waiting for its last entry still.
        assert!(add_bytes(&mut s, &other).is_err());
        assert_eq!(s.waiting(), Some((4, 1, 2)));
        add_bytes(&mut s, &unit).unwrap();
        assert_eq!(s.waiting(), None);
        assert_eq!(s.request_for(5).map(|r| r.entry), Some(4));
        assert_eq!(s.request_for(6).map(|r| r.action.as_str()), Some("test"));
        assert!(s.request_for(4).is_none() && s.request_for(3).is_none());
        // After them, the issuer's own entries need no request.
        add_bytes(&mut s, &other).unwrap();
        assert!(s.request_for(7).is_none());
    }

    #[test]
    fn each_request_rule_refuses_and_names_why() {
        let mut s = administered();
        let dismiss = entry::dismiss_bytes("old", d("2018-01-01")).unwrap();
        let admin = entry::admin_bytes("old", "Old", &key(21).verifying_key(), d("2017-12-01"));
        add_bytes(&mut s, &admin.unwrap()).unwrap();
        add_bytes(&mut s, &dismiss).unwrap();
        let leave = || vec![entry::leave_bytes("jberzins", d("2018-01-01")).unwrap()];
        let mut forged = parse(&request(20, "ivarna", ORIGIN, "2018-01-02", &leave())).unwrap();
        if let Entry::Request(r) = &mut forged {
            r.envelope.payload.push(b' ');
        }
        assert_eq!(
            s.append_bytes(&forged, b"").unwrap_err().to_string(),
            "the request's signature does not verify with administrator ivarna's key"
        );
        let cases = [
            (request(20, "nobody", ORIGIN, "2018-01-02", &leave()), "administrator nobody is not in the log"),
            (request(21, "old", ORIGIN, "2018-01-02", &leave()), "administrator old was dismissed on 2018-01-01"),
            (request(20, "ivarna", ORIGIN, "2017-11-30", &leave()), "request date 2017-11-30 is before administrator ivarna's key's first day 2017-12-01"),
            (request(21, "ivarna", ORIGIN, "2018-01-02", &leave()), "which is not administrator ivarna's current key"),
            (request(20, "ivarna", "example.invalid/other", "2018-01-02", &leave()), "the request names the log example.invalid/other, this log is example.invalid/log"),
        ];
        for (bytes, why) in cases {
            let err = add_bytes(&mut s, &bytes).unwrap_err().to_string();
            assert!(err.contains(why), "{err:?} should say {why:?}");
        }
        // A request dated before a dismissal dated ahead is the administrator's still.
        let mut s = administered();
        add_bytes(
            &mut s,
            &entry::dismiss_bytes("ivarna", d("2018-02-01")).unwrap(),
        )
        .unwrap();
        add_bytes(
            &mut s,
            &request(20, "ivarna", ORIGIN, "2018-01-31", &leave()),
        )
        .unwrap();
        add_bytes(&mut s, &leave()[0]).unwrap();
        let err = add_bytes(
            &mut s,
            &request(20, "ivarna", ORIGIN, "2018-02-01", &[b"x".to_vec()]),
        );
        assert!(matches!(err, Err(Refusal::Dismissed { .. })), "{err:?}");
    }

    #[test]
    fn no_request_authorises_an_acknowledgement_or_a_request() {
        let jb = ack(
            &key(1),
            1,
            "Jānis Bērziņš",
            "jberzins",
            "2017-12-04",
            "2017-12-05",
        );
        let nested = request(20, "ivarna", ORIGIN, "2018-01-02", &[b"x".to_vec()]);
        for (refused, why) in [
            (
                None,
                "no request may authorise ack entries (they are no administrator's to ask for)",
            ),
            (
                Some(nested),
                "no request may authorise request entries (requests do not nest)",
            ),
        ] {
            let mut s = administered();
            let r = request(20, "ivarna", ORIGIN, "2018-01-02", &[b"{}".to_vec()]);
            add_bytes(&mut s, &r).unwrap();
            let err = match refused {
                None => s.append_with(&jb, None),
                Some(bytes) => add_bytes(&mut s, &bytes),
            };
            assert_eq!(
                err.unwrap_err().to_string(),
                format!("request 4 authorises its entry 1 of 1 here, but {why}")
            );
        }
    }

    #[test]
    fn administrators_have_their_own_keys_and_end() {
        let mut s = administered();
        let reuse = entry::admin_bytes("x", "X", &key(1).verifying_key(), d("2018-01-01"));
        let err = add_bytes(&mut s, &reuse.unwrap()).unwrap_err().to_string();
        assert!(err.contains("already enrolled (for jberzins)"), "{err}");
        let enrol = entry::enrol_bytes("new", "N", None, &key(20).verifying_key(), d("2018-01-01"));
        let err = add_bytes(&mut s, &enrol.unwrap()).unwrap_err().to_string();
        assert!(
            err.contains("already enrolled (for administrator ivarna)"),
            "{err}"
        );
        // A second admin entry replaces the key from its date, not before the first's.
        let early = entry::admin_bytes(
            "ivarna",
            "Ilze Vārna",
            &key(22).verifying_key(),
            d("2017-11-01"),
        );
        assert!(matches!(
            add_bytes(&mut s, &early.unwrap()),
            Err(Refusal::DateOrder { .. })
        ));
        let new = entry::admin_bytes(
            "ivarna",
            "Ilze Kalna",
            &key(22).verifying_key(),
            d("2018-01-01"),
        );
        add_bytes(&mut s, &new.unwrap()).unwrap();
        let a = s.admin_by_id("ivarna").unwrap();
        assert_eq!((a.name(), a.keys.len()), ("Ilze Kalna", 2));
        assert_eq!(a.keys[0].replaced.map(|(d, _)| d), Some(d("2018-01-01")));
        let err = add_bytes(
            &mut s,
            &request(20, "ivarna", ORIGIN, "2018-01-02", &[b"x".to_vec()]),
        );
        assert!(matches!(err, Err(Refusal::RequestKey { .. })), "{err:?}");
        // Dismissed: not before the key's first day, once, and for good.
        let dismiss = |date: &str| entry::dismiss_bytes("ivarna", d(date)).unwrap();
        assert!(matches!(
            add_bytes(&mut s, &dismiss("2017-12-31")),
            Err(Refusal::DateOrder { .. })
        ));
        add_bytes(&mut s, &dismiss("2018-03-01")).unwrap();
        for bytes in [
            dismiss("2018-04-01"),
            entry::admin_bytes("ivarna", "I", &key(23).verifying_key(), d("2018-04-01")).unwrap(),
        ] {
            let err = add_bytes(&mut s, &bytes).unwrap_err().to_string();
            assert_eq!(err, "administrator ivarna was dismissed on 2018-03-01");
        }
        let err = add_bytes(
            &mut s,
            &entry::dismiss_bytes("nobody", d("2018-04-01")).unwrap(),
        );
        assert_eq!(err.unwrap_err(), Refusal::UnknownAdmin("nobody".into()));
        assert_eq!(s.admins()[0].until(), Some(d("2018-03-01")));
    }
}
