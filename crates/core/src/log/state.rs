//! What the log says at a point: the issuer, the versions of the rules, the
//! employees with the history of their keys, and who acknowledged what.
//!
//! The same rules decide whether the administration may append an entry
//! and whether an auditor accepts it, so both replay the log through
//! [`State::apply`]. An entry is judged only by what comes before it in the
//! log's order (the order of appending), never by what comes after.

use std::collections::HashMap;

use ed25519_dalek::VerifyingKey;
use serde::{Deserialize, Serialize};
use time::Date;

use super::fields as snap;

use super::entry::{format_date, AckRecord, Entry, Kind, Version};
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

/// An employee, as the log knows them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Employee {
    /// Identifier.
    pub id: String,
    /// Name.
    pub name: String,
    /// Position.
    pub position: Option<String>,
    /// Enrolment date (first key's first day).
    #[serde(with = "snap::date")]
    pub enrolled: Date,
    /// The enrolment entry.
    pub entry: u64,
    /// Keys, oldest first.
    pub keys: Vec<KeySpan>,
    /// Departure date and entry.
    #[serde(with = "snap::left")]
    pub left: Option<(Date, u64)>,
}

impl Employee {
    /// The key that may sign now, if any.
    pub fn current(&self) -> Option<&KeySpan> {
        self.keys.last().filter(|k| k.end.is_none())
    }
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

/// An accepted acknowledgement.
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
    pub version: usize,
    /// Notes.
    pub notes: Option<String>,
    /// Key id that signed.
    #[serde(with = "snap::keyid")]
    pub keyid: KeyId,
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

/// What the log says after its first [`State::size`] entries.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct State {
    issuer: Option<Issuer>,
    employees: Vec<Employee>,
    #[serde(skip)]
    by_id: HashMap<String, usize>,
    #[serde(skip)]
    keys: HashMap<KeyId, (usize, usize)>,
    versions: Vec<Published>,
    #[serde(skip)]
    by_sha: HashMap<[u8; 32], usize>,
    acks: HashMap<(usize, usize), Acked>,
    size: u64,
}

fn later(what: &'static str, date: Date, other: String, other_date: Date) -> Result<(), Refusal> {
    if date < other_date {
        return Err(Refusal::DateOrder {
            what,
            date: format_date(date),
            other: format!("{other} {}", format_date(other_date)),
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
        for (v, published) in self.versions.iter().enumerate() {
            self.by_sha.insert(published.version.sha256, v);
        }
    }

    /// Number of entries applied (accepted or refused).
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Moves on to entry `index` without applying the entries before it
    /// (an entry that failed, or ones an incremental audit does not read).
    pub fn skip_to(&mut self, index: u64) {
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

    /// The version with a label.
    pub fn version_by_label(&self, label: &str) -> Option<(usize, &Published)> {
        self.versions
            .iter()
            .enumerate()
            .find(|(_, v)| v.version.label == label)
    }

    /// The acknowledgement by employee `e` (index in [`State::employees`])
    /// of version `v` or of any correction belonging to the same material
    /// version, the earliest in the log.
    pub fn acknowledgement(&self, e: usize, v: usize) -> Option<&Acked> {
        let base = self.versions[v].base;
        self.versions
            .iter()
            .enumerate()
            .filter(|(_, p)| p.base == base)
            .filter_map(|(i, _)| self.acks.get(&(e, i)))
            .min_by_key(|a| a.entry)
    }

    /// Every accepted acknowledgement.
    pub fn acks(&self) -> impl Iterator<Item = (&Employee, &Acked)> {
        self.acks.iter().map(|(&(e, _), a)| (&self.employees[e], a))
    }

    /// Applies the entry at index [`State::size`]: on success the state
    /// includes it; on refusal the state is unchanged but for the count.
    /// An acknowledgement's signature must have been verified by the caller.
    pub fn apply(&mut self, entry: &Entry) -> Result<(), Refusal> {
        let index = self.size;
        self.size += 1;
        if (index == 0) != (entry.kind() == Kind::Log) {
            return Err(Refusal::LogEntryPlace);
        }
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
            Entry::Ack(record) => self.accept(index, record),
        }
    }

    /// Applies the entry at index [`State::size`] only if it is accepted:
    /// on refusal nothing changes (what a writer needs; an auditor uses
    /// [`State::apply`], which counts a refused entry as read).
    pub fn append(&mut self, entry: &Entry) -> Result<(), Refusal> {
        let result = self.apply(entry);
        if result.is_err() {
            self.size -= 1;
        }
        result
    }

    fn publish(&mut self, index: u64, v: &Version) -> Result<(), Refusal> {
        if self.by_sha.contains_key(&v.sha256)
            || self.versions.iter().any(|p| p.version.label == v.label)
        {
            return Err(Refusal::VersionExists(printable(&v.label, 60)));
        }
        if let Some(last) = self.versions.last() {
            later(
                "effective date",
                v.effective,
                format!("version {}'s", last.version.label),
                last.version.effective,
            )?;
        }
        let base = if v.material {
            self.versions.len()
        } else {
            self.versions.last().ok_or(Refusal::CorrectionFirst)?.base
        };
        self.by_sha.insert(v.sha256, self.versions.len());
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
        if self.by_id.contains_key(id) {
            return Err(Refusal::AlreadyEnrolled(id.to_string()));
        }
        let keyid = self.fresh_key(key)?;
        let e = self.employees.len();
        self.by_id.insert(id.to_string(), e);
        self.keys.insert(keyid, (e, 0));
        self.employees.push(Employee {
            id: id.to_string(),
            name: name.to_string(),
            position: position.map(str::to_string),
            enrolled: valid_from,
            entry: index,
            keys: vec![KeySpan {
                key: *key,
                keyid,
                from: valid_from,
                entry: index,
                end: None,
            }],
            left: None,
        });
        Ok(())
    }

    fn replace_key(
        &mut self,
        index: u64,
        id: &str,
        key: &VerifyingKey,
        valid_from: Date,
    ) -> Result<(), Refusal> {
        let e = self.employee_index(id)?;
        let keyid = self.fresh_key(key)?;
        if let Some(last) = self.employees[e].keys.last() {
            let since = last.end.map(|(d, _, _)| d).unwrap_or(last.from);
            later("valid_from", valid_from, "the previous key's".into(), since)?;
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
            "the key's first day".into(),
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
            "the enrolment".into(),
            employee.enrolled,
        )?;
        employee.left = Some((date, index));
        if let Some(span) = employee.keys.last_mut().filter(|k| k.end.is_none()) {
            span.end = Some((date, EndKind::Left, index));
        }
        Ok(())
    }

    /// The checks of an acknowledgement against the log so far; the
    /// employee and version indices on success.
    pub fn check_ack(&self, record: &AckRecord) -> Result<(usize, usize), Refusal> {
        let keyid = record.keyid();
        let &(e, k) = self
            .keys
            .get(&keyid)
            .ok_or_else(|| Refusal::UnknownKey(keyid.to_string()))?;
        let employee = &self.employees[e];
        let span = &employee.keys[k];
        if let Some((date, why, _)) = span.end {
            return Err(Refusal::KeyEnded {
                keyid: keyid.to_string(),
                id: employee.id.clone(),
                why: why.phrase(),
                date: format_date(date),
            });
        }
        let signed = &record.ack.employee;
        if signed.id != employee.id || signed.name != employee.name {
            return Err(Refusal::OtherEmployee {
                signed: format!("{} ({})", printable(&signed.name, 80), signed.id),
                enrolled: format!("{} ({})", employee.name, employee.id),
            });
        }
        let (v, published) = self
            .version_by_sha(&record.document)
            .ok_or_else(|| Refusal::UnknownDocument(record.ack.document.sha256.clone()))?;
        if record.ack.document.title != published.version.title {
            return Err(Refusal::OtherTitle(published.version.label.clone()));
        }
        self.check_ack_dates(record, span, published)?;
        if let Some(earlier) = self.acks.get(&(e, v)) {
            return Err(Refusal::Duplicate {
                id: employee.id.clone(),
                label: published.version.label.clone(),
                entry: earlier.entry,
            });
        }
        Ok((e, v))
    }

    fn check_ack_dates(
        &self,
        record: &AckRecord,
        span: &KeySpan,
        published: &Published,
    ) -> Result<(), Refusal> {
        later(
            "acknowledgement date",
            record.date,
            "the key's first day".into(),
            span.from,
        )?;
        later(
            "acknowledgement date",
            record.date,
            format!("version {} taking effect", published.version.label),
            published.version.effective,
        )?;
        later(
            "date received",
            record.received,
            "the acknowledgement's own date".into(),
            record.date,
        )
    }

    fn accept(&mut self, index: u64, record: &AckRecord) -> Result<(), Refusal> {
        let (e, v) = self.check_ack(record)?;
        self.acks.insert(
            (e, v),
            Acked {
                entry: index,
                date: record.date,
                received: record.received,
                version: v,
                notes: record.ack.notes.clone(),
                keyid: record.keyid(),
            },
        );
        Ok(())
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
    }
}
