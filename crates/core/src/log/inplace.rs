//! Acknowledgement entries read in place, for the audit.
//!
//! An audit reads every acknowledgement of the log, a million in a large
//! one. [`entry::parse`] gives each an [`AckRecord`](entry::AckRecord)
//! with a dozen strings and buffers of its own, and building, moving and
//! freeing them costs about as much as reading them. Here an entry in the
//! one spelling ackreg writes is read without any: its payload is decoded
//! straight after its DSSE PAE header in a buffer the batch owns, so the
//! message its signature is over is ready to verify, and its texts stay
//! there, borrowed when the history rules read them ([`AckInPlace::view`]).
//!
//! What it must not decide: whether an entry is wrong. It passes an entry
//! only when every check of [`entry::parse`] passes, in the same order of
//! rules; anything else is `None`, and [`entry::parse`] then reads the
//! entry and names what is wrong. Tests and the fuzz target `ack_exact`
//! check that an entry read here is the entry [`entry::parse`] reads.

use std::ops::Range;

use ed25519_dalek::{Signature, VerifyingKey};
use time::Date;

use super::entry::{self, AckFields, AckView};
use crate::ack::{self, AckRef};
use crate::encoding::{b64_decoded_len, b64_strict_append, b64_strict_array, hex32};
use crate::keys::KeyId;

/// An acknowledgement entry read in place: what the audit needs of it,
/// with its PAE message and payload in the buffer it was read into.
#[derive(Debug, Clone)]
pub(crate) struct AckInPlace {
    /// Date received.
    pub(crate) received: Date,
    /// The payload's date.
    pub(crate) date: Date,
    /// The key the entry says signed.
    pub(crate) key: VerifyingKey,
    /// Its key id (the envelope's, checked to be the key's).
    pub(crate) keyid: KeyId,
    /// The signature.
    pub(crate) signature: Signature,
    /// The payload's document hash.
    pub(crate) document: [u8; 32],
    /// Where the PAE message is in the buffer.
    pub(crate) message: Range<usize>,
    /// Where in the buffer the payload starts (it ends with the message).
    payload: usize,
}

impl AckInPlace {
    /// The PAE message the signature is over, in the buffer it was read
    /// into.
    #[cfg(test)]
    pub(crate) fn message<'b>(&self, buf: &'b [u8]) -> Option<&'b [u8]> {
        buf.get(self.message.clone())
    }

    /// What the history rules read of the entry, borrowed from the buffer
    /// it was read into (`None` for any other buffer).
    pub(crate) fn view<'b>(&self, buf: &'b [u8]) -> Option<AckView<'b>> {
        let payload = buf.get(self.payload..self.message.end)?;
        Some(AckView {
            received: self.received,
            date: self.date,
            keyid: self.keyid,
            document: self.document,
            payload: AckRef::exact(payload)?,
        })
    }
}

/// Reads `line` in place when it is an acknowledgement entry in the one
/// spelling ackreg writes that passes every check of [`entry::parse`]: its
/// PAE message is appended to `buf`. Anything else is `None`, and `buf` is
/// as it was.
pub(crate) fn read(line: &[u8], buf: &mut Vec<u8>) -> Option<AckInPlace> {
    if line.len() > entry::MAX_ENTRY {
        return None;
    }
    let start = buf.len();
    let read = read_into(line, buf);
    if read.is_none() {
        buf.truncate(start);
    }
    read
}

/// [`read`], which may leave bytes in `buf` when it answers `None`.
fn read_into(line: &[u8], buf: &mut Vec<u8>) -> Option<AckInPlace> {
    let f = AckFields::exact(line)?;
    let received = entry::parse_date(f.received)?;
    let (key, keyid) = entry::signer_key(f.public_key).ok()?;
    if KeyId::from_hex(f.keyid).ok()? != keyid || f.payload_type != ack::PAYLOAD_TYPE {
        return None;
    }
    let signature = Signature::from_bytes(&b64_strict_array::<64>(f.sig).ok()?);
    let (message, payload) = decode_message(&f, buf)?;
    let fields = AckRef::exact(&buf[payload..])?;
    fields.check().ok()?;
    let date = entry::parse_date(fields.date)?;
    let document = hex32(fields.sha256).ok()?;
    Some(AckInPlace {
        received,
        date,
        key,
        keyid,
        signature,
        document,
        message,
        payload,
    })
}

/// Appends the PAE message of the entry's envelope to `buf`, decoding the
/// payload in place; returns where the message and its payload start.
fn decode_message(f: &AckFields, buf: &mut Vec<u8>) -> Option<(Range<usize>, usize)> {
    let start = buf.len();
    let len = b64_decoded_len(f.payload)?;
    crate::dsse::pae_header_into(buf, f.payload_type, len);
    let payload = buf.len();
    b64_strict_append(f.payload, buf).ok()?;
    (buf.len() - payload == len).then_some((start..buf.len(), payload))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ack::Acknowledgement;
    use crate::document::DocumentRef;
    use crate::encoding::b64;
    use ed25519_dalek::SigningKey;

    fn signed(notes: Option<&str>) -> Vec<u8> {
        let key = SigningKey::from_bytes(&[7u8; 32]);
        let doc = DocumentRef {
            title: "Aknīstes novada pašvaldības klientu apkalpošanas centra noteikumi".into(),
            sha256: [0xab; 32],
        };
        let ack =
            Acknowledgement::new(&doc, "Līga Ozoliņa", "e00997", "2017-12-04", notes).unwrap();
        let envelope = ack.sign(&key).unwrap();
        let date = entry::parse_date("2017-12-05").unwrap();
        entry::ack_bytes(date, &key.verifying_key(), &envelope).unwrap()
    }

    /// Asserts that `line` read in place is what [`entry::parse`] reads.
    fn same_as_parse(line: &[u8]) {
        let mut buf = b"before".to_vec();
        let read = read(line, &mut buf).expect("read in place");
        let Ok(entry::Entry::Ack(record)) = entry::parse(line) else {
            panic!("parse reads an acknowledgement");
        };
        assert_eq!(read.view(&buf), Some(record.view()));
        assert_eq!(read.key, record.key);
        assert_eq!(read.signature, record.envelope.signature);
        let pae = crate::dsse::pae(&record.envelope.payload_type, &record.envelope.payload);
        assert_eq!(read.message(&buf), Some(&pae[..]));
        assert_eq!(&buf[..6], b"before");
    }

    #[test]
    fn an_entry_read_in_place_is_the_entry_parse_reads() {
        same_as_parse(&signed(None));
        same_as_parse(&signed(Some("Izlasīju, viss skaidrs.")));
    }

    #[test]
    fn anything_parse_would_refuse_or_spell_otherwise_is_left_to_it() {
        let good = String::from_utf8(signed(None)).unwrap();
        let payload_b64 = {
            let start = good.find("\"payload\":\"").unwrap() + 11;
            let end = start + good[start..].find('"').unwrap();
            good[start..end].to_string()
        };
        let payload = crate::encoding::b64_strict(&payload_b64).unwrap();
        let with_payload = |p: &[u8]| good.replace(&payload_b64, &b64(p));
        let payload_text = String::from_utf8(payload.clone()).unwrap();
        let cases = [
            // Notes on two lines: a JSON escape, so not the plain spelling.
            String::from_utf8(signed(Some("Izlasīju.\nViss skaidrs."))).unwrap(),
            good.replace("2017-12-05", "2017-02-30"),
            good.replace("\"ack\"", "\"ack \""),
            good.replace("application/vnd.ackreg", "application/vnd.other"),
            good.replace(&payload_b64, &payload_b64[..payload_b64.len() - 4]),
            with_payload(payload_text.replace("e00997", "E00997").as_bytes()),
            with_payload(payload_text.replace("Līga", "L\\u012bga").as_bytes()),
            with_payload(payload_text.replace("2017-12-04", "2017-13-04").as_bytes()),
            with_payload(payload_text.replace("Esmu", "Es").as_bytes()),
            with_payload(payload_text.replace("abab", "ABAB").as_bytes()),
            with_payload(&payload[..payload.len() - 1]),
            good.replace("{\"keyid\":\"", "{\"keyid\":\"0"),
            good.replace("\"}]}}", "\"}]}} "),
            format!("{good}{}", " ".repeat(entry::MAX_ENTRY)),
        ];
        for case in cases {
            let mut buf = b"before".to_vec();
            assert!(read(case.as_bytes(), &mut buf).is_none(), "{case}");
            assert_eq!(buf, b"before", "the buffer is as it was");
            let parsed = entry::parse(case.as_bytes());
            if let Ok(entry::Entry::Ack(record)) = parsed {
                // Spelt otherwise but valid: parse reads the same entry.
                assert_eq!(record.view().payload.name, "Līga Ozoliņa", "{case}");
            }
        }
    }
}
