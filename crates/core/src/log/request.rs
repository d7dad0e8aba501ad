//! Administrators' requests (log format 0.4): who asked for an entry.
//!
//! A `request` entry carries a DSSE envelope signed by an administrator's
//! own key. Its payload names the log, the administrator, the date, what
//! was asked (the action, in words) and the SHA-256 of each entry it
//! authorises, which are the entries right after it, in order. The entry
//! is checked here on its own (encodings, the payload's one spelling);
//! whether the administrator may ask, the signature and the hashes of the
//! entries that follow are [`crate::log::state`]'s business.

use ed25519_dalek::SigningKey;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::Date;

use super::entry::{
    check_origin, date_field, field_error, format_date, is_canonical, request_entry_bytes,
    EntryError, Kind, RequestJson,
};
use crate::dsse::{self, CheckedEnvelope};
use crate::encoding::{hex, hex32};
use crate::text::{self, printable};

/// The envelope's `payloadType`.
pub const PAYLOAD_TYPE: &str = "application/vnd.ackreg.request+json";
/// The payload's `type`: format and version (an identifier, never fetched).
pub const REQUEST_TYPE: &str = "https://ackreg.invalid/request/v1";
/// Most entries one request authorises: with the longest origin, identifier
/// and action the request entry stays under [`super::entry::MAX_ENTRY`].
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

fn err(field: &'static str, why: impl ToString) -> EntryError {
    field_error(Kind::Request, field, why)
}

/// The fields a request names, checked.
fn check_fields(origin: &str, admin: &str, action: &str, count: usize) -> Result<(), EntryError> {
    check_origin(origin).map_err(|why| err("log", why))?;
    text::check_id(admin).map_err(|e| err("admin", e))?;
    text::check(action, MAX_ACTION_LEN, false).map_err(|e| err("action", e))?;
    if count == 0 || count > MAX_REQUEST_ENTRIES {
        return Err(err(
            "entries",
            format!(
                "holds {count} hashes: a request authorises 1 to {MAX_REQUEST_ENTRIES} entries"
            ),
        ));
    }
    Ok(())
}

/// The payload bytes of a request by administrator `admin` of the log
/// `origin` on `date` for `entries` (each entry's exact bytes, in the
/// order they are to follow the request): what the administrator signs.
pub fn request_bytes(
    origin: &str,
    admin: &str,
    date: Date,
    action: &str,
    entries: &[Vec<u8>],
) -> Result<Vec<u8>, EntryError> {
    check_fields(origin, admin, action, entries.len())?;
    let payload = RequestPayload {
        kind: REQUEST_TYPE.into(),
        log: origin.into(),
        admin: admin.into(),
        date: format_date(date),
        action: action.into(),
        entries: entries.iter().map(|e| hex(&entry_hash(e))).collect(),
    };
    serde_json::to_vec(&payload).map_err(EntryError::Serialize)
}

/// The request entry for `entries`, signed with the administrator's `key`
/// (see [`request_bytes`]). The entries follow it in the log, in order.
pub fn request_entry(
    key: &SigningKey,
    origin: &str,
    admin: &str,
    date: Date,
    action: &str,
    entries: &[Vec<u8>],
) -> Result<Vec<u8>, EntryError> {
    let payload = request_bytes(origin, admin, date, action, entries)?;
    let envelope = dsse::sign(key, PAYLOAD_TYPE, &payload);
    request_entry_bytes(admin, &envelope)
}

/// Checks a request entry's JSON: its envelope's encodings, its payload
/// type, and a payload in its one spelling naming the same administrator.
pub(super) fn check_entry(j: &RequestJson) -> Result<RequestRecord, EntryError> {
    text::check_id(&j.admin).map_err(|e| err("admin", e))?;
    let envelope = j
        .envelope
        .check()
        .map_err(|e| err("envelope", format!("is not usable: {e}")))?;
    if envelope.payload_type != PAYLOAD_TYPE {
        return Err(err(
            "envelope.payloadType",
            format!(
                "is \"{}\", not {PAYLOAD_TYPE}",
                printable(&envelope.payload_type, 80)
            ),
        ));
    }
    let payload = parse_payload(&envelope.payload)?;
    if payload.admin != j.admin {
        return Err(err(
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
        .map(|h| hex32(h).map_err(|e| err("payload.entries", e)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(RequestRecord {
        admin: j.admin.clone(),
        date: date_field(Kind::Request, "payload.date", &payload.date)?,
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
        .map_err(|e| err("payload", format!("is not request JSON: {e}")))?;
    if !is_canonical(&payload, bytes)? {
        return Err(err(
            "payload",
            "is not in its one spelling (compact JSON, fields in the documented order)",
        ));
    }
    if payload.kind != REQUEST_TYPE {
        return Err(err(
            "payload.type",
            format!(
                "is \"{}\", not {REQUEST_TYPE}",
                printable(&payload.kind, 80)
            ),
        ));
    }
    check_fields(
        &payload.log,
        &payload.admin,
        &payload.action,
        payload.entries.len(),
    )?;
    Ok(payload)
}

// ---- Reports: administrators and who asked -------------------------------

/// One key of an administrator, as reports list it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AdminKeyRow {
    /// The key id.
    pub keyid: String,
    /// Its first day.
    pub from: String,
    /// The first day of the next key, if replaced.
    pub until: Option<String>,
    /// The `admin` entry.
    pub entry: u64,
}

/// An administrator, as `ackreg log admins` lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AdminRow {
    /// Identifier.
    pub id: String,
    /// Name (the latest `admin` entry's).
    pub name: String,
    /// The current key's id.
    pub keyid: String,
    /// The first day of their first key.
    pub from: String,
    /// The first day they are no longer an administrator, if dismissed.
    pub until: Option<String>,
    /// Their keys, oldest first.
    pub keys: Vec<AdminKeyRow>,
    /// The number of their requests in the log.
    pub requests: usize,
}

/// Who asked for entries: one accepted request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AskedBy {
    /// The request's entry.
    pub entry: u64,
    /// The administrator's identifier.
    pub admin: String,
    /// Their name when they signed (that of the key's `admin` entry).
    pub name: String,
    /// The request's date.
    pub date: String,
    /// What was asked, in words.
    pub action: String,
    /// The entries it authorised.
    pub entries: Vec<u64>,
}

/// Every administrator of `state`, in the order they came into the log.
pub fn admin_rows(state: &super::state::State) -> Vec<AdminRow> {
    state
        .admins()
        .iter()
        .enumerate()
        .map(|(a, admin)| AdminRow {
            id: admin.id.clone(),
            name: admin.name().to_string(),
            keyid: admin
                .current()
                .map(|k| k.keyid.to_string())
                .unwrap_or_default(),
            from: admin.from().map(format_date).unwrap_or_default(),
            until: admin.until().map(format_date),
            keys: admin
                .keys
                .iter()
                .map(|k| AdminKeyRow {
                    keyid: k.keyid.to_string(),
                    from: format_date(k.from),
                    until: k.replaced.map(|(d, _)| format_date(d)),
                    entry: k.entry,
                })
                .collect(),
            requests: state
                .requests()
                .iter()
                .filter(|r| r.admin as usize == a)
                .count(),
        })
        .collect()
}

/// A request as reports show it.
pub fn asked_by(state: &super::state::State, r: &super::state::Request) -> AskedBy {
    let admin = state.admins().get(r.admin as usize);
    let name = admin.and_then(|a| a.keys.get(r.key as usize).map(|k| k.name.as_str()));
    AskedBy {
        entry: r.entry,
        admin: admin.map(|a| a.id.clone()).unwrap_or_default(),
        name: name.unwrap_or_default().to_string(),
        date: format_date(r.date),
        action: r.action.clone(),
        entries: r.entries().collect(),
    }
}

/// Who asked for entry `index`, if an administrator did.
pub fn asked_for(state: &super::state::State, index: u64) -> Option<AskedBy> {
    state.request_for(index).map(|r| asked_by(state, r))
}

/// Every request, in log order.
pub fn requests(state: &super::state::State) -> Vec<AskedBy> {
    state
        .requests()
        .iter()
        .map(|r| asked_by(state, r))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::entry::{self, parse, parse_date, Entry, MAX_ENTRY};

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[5; 32])
    }

    fn d() -> Date {
        parse_date("2018-01-02").unwrap()
    }

    #[test]
    fn a_request_round_trips_and_names_its_entries() {
        let planned = vec![entry::leave_bytes("jberzins", d()).unwrap()];
        let bytes = request_entry(
            &key(),
            "example.invalid/x",
            "ivarna",
            d(),
            "leave",
            &planned,
        )
        .unwrap();
        let Entry::Request(r) = parse(&bytes).unwrap() else {
            panic!("not a request")
        };
        assert_eq!(r.entries, vec![entry_hash(&planned[0])]);
        assert_eq!(r.admin, "ivarna");
        r.envelope.verify(&key().verifying_key()).unwrap();
        let payload = String::from_utf8(r.envelope.payload.clone()).unwrap();
        assert!(payload.starts_with(
            r#"{"type":"https://ackreg.invalid/request/v1","log":"example.invalid/x","admin":"ivarna","date":"2018-01-02","action":"leave","entries":[""#
        ));
    }

    #[test]
    fn the_largest_request_fits_in_an_entry() {
        let planned: Vec<Vec<u8>> = (0..MAX_REQUEST_ENTRIES)
            .map(|i| format!("{i}").into_bytes())
            .collect();
        let origin = "o".repeat(entry::MAX_ORIGIN_LEN);
        let action = "𝕏".repeat(MAX_ACTION_LEN);
        let admin = "a".repeat(64);
        let bytes = request_entry(&key(), &origin, &admin, d(), &action, &planned).unwrap();
        assert!(bytes.len() <= MAX_ENTRY, "{}", bytes.len());
        assert!(parse(&bytes).is_ok());
        let more: Vec<Vec<u8>> = vec![b"x".to_vec(); MAX_REQUEST_ENTRIES + 1];
        assert!(request_bytes("o", "a", d(), "x", &more).is_err());
        assert!(request_bytes("o", "a", d(), "x", &[]).is_err());
    }

    #[test]
    fn other_spellings_and_types_are_refused() {
        let sign = |payload: &str, payload_type: &str| {
            let env = dsse::sign(&key(), payload_type, payload.as_bytes());
            request_entry_bytes("ivarna", &env).unwrap()
        };
        let h = hex(&entry_hash(b"x"));
        let good = format!(
            r#"{{"type":"{REQUEST_TYPE}","log":"o","admin":"ivarna","date":"2018-01-02","action":"a","entries":["{h}"]}}"#
        );
        assert!(parse(&sign(&good, PAYLOAD_TYPE)).is_ok());
        let cases = [
            (good.replace(",\"log\"", ", \"log\""), "one spelling"),
            (
                good.replace("\"ivarna\"", "\"other\""),
                "signed request names other",
            ),
            (good.replace("request/v1", "request/v2"), "payload.type"),
            (good.replace(&h, &h.to_uppercase()), "payload.entries"),
            (good.replace(&format!("\"{h}\""), ""), "1 to 800"),
            (good.replace("2018-01-02", "2018-02-30"), "payload.date"),
            (good.replace("}", ",\"x\":1}"), "unknown field"),
        ];
        for (payload, why) in cases {
            let e = parse(&sign(&payload, PAYLOAD_TYPE))
                .unwrap_err()
                .to_string();
            assert!(e.contains(why), "{e} should say {why}");
        }
        let e = parse(&sign(&good, crate::ack::PAYLOAD_TYPE))
            .unwrap_err()
            .to_string();
        assert!(e.contains("envelope.payloadType"), "{e}");
    }
}
