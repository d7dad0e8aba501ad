//! Administrators' requests (log format 0.4): who asked for an entry.
//!
//! A `request` entry carries a DSSE envelope signed by an administrator's
//! own key. Its payload names the log, the administrator, the date, what
//! was asked (the action, in words) and the SHA-256 of each entry it
//! authorises, which are the entries right after it, in order. This module
//! makes requests; [`super::entry::parse`] checks a request entry on its
//! own (encodings, the payload's one spelling), and whether the
//! administrator may ask, the signature and the hashes of the entries that
//! follow are [`crate::log::state`]'s business. [`super::asked`] reports
//! who asked.

use ed25519_dalek::SigningKey;
use time::Date;

use super::entry::{check_request_fields, format_date, request_entry_bytes, EntryError};
pub use super::entry::{
    entry_hash, RequestPayload, RequestRecord, MAX_ACTION_LEN, MAX_REQUEST_ENTRIES,
    REQUEST_PAYLOAD_TYPE as PAYLOAD_TYPE, REQUEST_TYPE,
};
use crate::dsse;
use crate::encoding::hex;

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
    check_request_fields(origin, admin, action, entries.len())?;
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
