//! The log's entry parser (`ackreg_core::log::entry::parse`): strict JSON of
//! every kind, one canonical spelling, dates, keys, text rules, and for an
//! acknowledgement or an administrator's request the DSSE envelope and its
//! payload (a request's in its one spelling too).
#![no_main]

use libfuzzer_sys::fuzz_target;

use ackreg_core::dsse::{Envelope, EnvelopeSignature};
use ackreg_core::dsse::CheckedEnvelope;
use ackreg_core::encoding::{b64, hex};
use ackreg_core::log::entry::{self, Entry, Kind};
use ackreg_core::log::request::{RequestPayload, REQUEST_TYPE};

fuzz_target!(|data: &[u8]| {
    let peeked = entry::peek_kind(data);
    if let Some(kind) = peeked {
        assert_eq!(Kind::from_code(kind.code()), Some(kind));
    }
    let Ok(parsed) = entry::parse(data) else {
        return;
    };
    // An entry has one spelling: writing what was read gives the same bytes,
    // and the kind its first bytes announce.
    assert_eq!(peeked, Some(parsed.kind()));
    assert_eq!(written(&parsed), data);
});

/// The bytes ackreg writes for `e`.
fn written(e: &Entry) -> Vec<u8> {
    match e {
        Entry::Log {
            origin,
            issuer_name,
            issuer_key,
            body,
            created,
        } => entry::log_bytes(origin, issuer_name, issuer_key, body, *created),
        Entry::Version(v) => entry::version_bytes(v),
        Entry::Enrol {
            id,
            name,
            position,
            key,
            valid_from,
        } => entry::enrol_bytes(id, name, position.as_deref(), key, *valid_from),
        Entry::Key {
            id,
            key,
            valid_from,
        } => entry::key_bytes(id, key, *valid_from),
        Entry::Revoke { id, keyid, date } => entry::revoke_bytes(id, keyid, *date),
        Entry::Leave { id, date } => entry::leave_bytes(id, *date),
        Entry::Unit { id, name } => entry::unit_bytes(id, name),
        Entry::Document(d) => entry::document_bytes(d),
        Entry::Join {
            id,
            name,
            position,
            units,
            date,
        } => entry::join_bytes(id, name, position.as_deref(), units, *date),
        Entry::Move { id, units, date } => entry::move_bytes(id, units, *date),
        Entry::Update {
            id,
            name,
            position,
            date,
        } => entry::update_bytes(id, name, position.as_deref(), *date),
        Entry::Ack(record) => {
            entry::ack_bytes(record.received, &record.key, &envelope(&record.envelope))
        }
        Entry::Admin {
            id,
            name,
            key,
            date,
        } => entry::admin_bytes(id, name, key, *date),
        Entry::Dismiss { id, date } => entry::dismiss_bytes(id, *date),
        Entry::Request(r) => {
            // The payload read is the one written for what it names.
            let hashes: Vec<String> = r.entries.iter().map(|h| hex(h)).collect();
            let payload = RequestPayload {
                kind: REQUEST_TYPE.into(),
                log: r.log.clone(),
                admin: r.admin.clone(),
                date: entry::format_date(r.date),
                action: r.action.clone(),
                entries: hashes,
            };
            assert_eq!(serde_json::to_vec(&payload).unwrap(), r.envelope.payload);
            entry::request_entry_bytes(&r.admin, &envelope(&r.envelope))
        }
    }
    .expect("a parsed entry serialises")
}

/// An envelope as entries write it, from its decoded parts.
fn envelope(env: &CheckedEnvelope) -> Envelope {
    Envelope {
        payload_type: env.payload_type.clone(),
        payload: b64(&env.payload),
        signatures: vec![EnvelopeSignature {
            keyid: env.keyid.to_string(),
            sig: b64(&env.signature.to_bytes()),
        }],
    }
}
