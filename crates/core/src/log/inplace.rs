//! Acknowledgement entries read in place, for the audit.
//!
//! An audit reads every acknowledgement of the log, a million in a large
//! one. [`entry::parse`] gives each an [`AckRecord`](entry::AckRecord)
//! with a dozen strings and buffers of its own, and building, moving and
//! freeing them costs about as much as reading them. Here an entry in the
//! one spelling ackreg writes is read without any: its payload is decoded
//! straight after its DSSE PAE header in a buffer the batch owns, so the
//! message its signature is over is ready to verify, and its texts are
//! kept in one string the batch owns, borrowed when the history rules read
//! them ([`AckInPlace::view`]).
//!
//! What it must not decide: whether an entry is wrong. It passes an entry
//! only when every check of [`entry::parse`] passes, in the same order of
//! rules; anything else is `None`, and [`entry::parse`] then reads the
//! entry and names what is wrong. Tests and the fuzz target `ack_exact`
//! check that an entry read here is the entry [`entry::parse`] reads.

use std::ops::Range;

use crate::ack::{ACK_TYPE, STATEMENT};

use ed25519_dalek::{Signature, VerifyingKey};
use time::Date;

use super::entry::{self, AckFields, AckView};
use crate::ack::{self, AckRef};
use crate::encoding::{b64_decoded_len, b64_strict_append, b64_strict_array};
use crate::keys::KeyId;

/// An acknowledgement entry read in place: what the audit needs of it,
/// with its PAE message and payload in the buffer it was read into.
#[derive(Debug, Clone)]
pub(crate) struct AckInPlace {
    /// Date received.
    pub(crate) received: Date,
    /// The payload's date.
    pub(crate) date: Date,
    /// The signing key's id (the envelope's, checked to be the key's).
    pub(crate) keyid: KeyId,
    /// The payload's document hash.
    pub(crate) document: [u8; 32],
    /// Where the PAE message is in the buffer of messages.
    pub(crate) message: Range<usize>,
    /// Where the payload's texts are in the buffer of texts.
    texts: Texts,
}

/// The key an acknowledgement entry says signed it, and the signature:
/// what its batch verifies, kept apart from what the history rules read.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Signer {
    /// The key.
    pub(crate) key: VerifyingKey,
    /// The signature.
    pub(crate) signature: Signature,
}

/// Where an acknowledgement's texts are in a batch's buffer of texts (its
/// type and statement are the constants of version 1, checked).
#[derive(Debug, Clone)]
struct Texts {
    title: Range<usize>,
    sha256: Range<usize>,
    name: Range<usize>,
    id: Range<usize>,
    date: Range<usize>,
    notes: Option<Range<usize>>,
}

impl Texts {
    /// Copies the texts of `fields` to the end of `texts`.
    fn keep(fields: &AckRef, texts: &mut String) -> Texts {
        let mut put = |s: &str| {
            let start = texts.len();
            texts.push_str(s);
            start..texts.len()
        };
        Texts {
            title: put(fields.title),
            sha256: put(fields.sha256),
            name: put(fields.name),
            id: put(fields.id),
            date: put(fields.date),
            notes: fields.notes.map(put),
        }
    }

    /// The texts again, from the buffer they were kept in.
    fn get<'b>(&self, texts: &'b str) -> Option<AckRef<'b>> {
        Some(AckRef {
            kind: ACK_TYPE,
            title: texts.get(self.title.clone())?,
            sha256: texts.get(self.sha256.clone())?,
            name: texts.get(self.name.clone())?,
            id: texts.get(self.id.clone())?,
            date: texts.get(self.date.clone())?,
            statement: STATEMENT,
            notes: match &self.notes {
                Some(r) => Some(texts.get(r.clone())?),
                None => None,
            },
        })
    }
}

impl AckInPlace {
    /// The PAE message the signature is over, in the buffer it was read
    /// into.
    #[cfg(test)]
    pub(crate) fn message<'b>(&self, buf: &'b [u8]) -> Option<&'b [u8]> {
        buf.get(self.message.clone())
    }

    /// What the history rules read of the entry, borrowed from the buffer
    /// of texts it was read into (`None` for any other buffer).
    pub(crate) fn view<'b>(&self, texts: &'b str) -> Option<AckView<'b>> {
        Some(AckView {
            received: self.received,
            date: self.date,
            keyid: self.keyid,
            document: self.document,
            payload: self.texts.get(texts)?,
        })
    }
}

/// A batch's buffers: the messages its signatures are over, and the texts
/// of the acknowledgements read in place.
#[derive(Debug, Default)]
pub(crate) struct Buffers {
    /// PAE messages, one after another.
    pub(crate) messages: Vec<u8>,
    /// Texts, one after another.
    pub(crate) texts: String,
}

impl Buffers {
    /// Empties both, keeping their memory.
    pub(crate) fn clear(&mut self) {
        self.messages.clear();
        self.texts.clear();
    }

    /// The memory they hold, in bytes.
    pub(crate) fn capacity(&self) -> usize {
        self.messages.capacity() + self.texts.capacity()
    }
}

/// Reads `line` in place when it is an acknowledgement entry in the one
/// spelling ackreg writes that passes every check of [`entry::parse`]: its
/// PAE message and texts are appended to `buf`. Anything else is `None`,
/// and `buf` is as it was.
pub(crate) fn read(line: &[u8], buf: &mut Buffers) -> Option<(AckInPlace, Signer)> {
    if line.len() > entry::MAX_ENTRY {
        return None;
    }
    let (messages, texts) = (buf.messages.len(), buf.texts.len());
    let read = read_into(line, buf);
    if read.is_none() {
        buf.messages.truncate(messages);
        buf.texts.truncate(texts);
    }
    read
}

/// [`read`], which may leave bytes in `buf` when it answers `None`.
fn read_into(line: &[u8], buf: &mut Buffers) -> Option<(AckInPlace, Signer)> {
    let f = AckFields::exact(line)?;
    let received = entry::parse_date(f.received)?;
    let (key, keyid) = entry::signer_key(f.public_key).ok()?;
    if KeyId::from_hex(f.keyid).ok()? != keyid || f.payload_type != ack::PAYLOAD_TYPE {
        return None;
    }
    let signature = Signature::from_bytes(&b64_strict_array::<64>(f.sig).ok()?);
    let (message, payload) = decode_message(&f, &mut buf.messages)?;
    let fields = AckRef::exact(&buf.messages[payload..])?;
    let (document, date) = fields.checked().ok()?;
    let read = AckInPlace {
        received,
        date,
        keyid,
        document,
        message,
        texts: Texts::keep(&fields, &mut buf.texts),
    };
    Some((read, Signer { key, signature }))
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

/// Whether `line` read in place (`Ok(true)`) is the entry [`entry::parse`]
/// reads: the same texts, dates, key, key id, signature and document, and
/// the PAE message of its envelope; `Ok(false)` when it is left to
/// [`entry::parse`], and why not when they differ. For tests and the fuzz
/// target `ack_exact`.
pub fn agrees_with_parse(line: &[u8]) -> Result<bool, String> {
    let mut buf = Buffers::default();
    let Some((read, signer)) = read(line, &mut buf) else {
        return Ok(false);
    };
    let Ok(entry::Entry::Ack(record)) = entry::parse(line) else {
        return Err("read in place, but parse does not read an acknowledgement".into());
    };
    let pae = crate::dsse::pae(&record.envelope.payload_type, &record.envelope.payload);
    let same = [
        (
            "texts and dates",
            read.view(&buf.texts) == Some(record.view()),
        ),
        ("key", signer.key == record.key),
        ("signature", signer.signature == record.envelope.signature),
        ("message", buf.messages.get(read.message) == Some(&pae[..])),
    ];
    match same.iter().find(|(_, same)| !same) {
        Some((what, _)) => Err(format!("the {what} differ")),
        None => Ok(true),
    }
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

    fn before() -> Buffers {
        Buffers {
            messages: b"before".to_vec(),
            texts: "before".into(),
        }
    }

    /// Asserts that `line` read in place is what [`entry::parse`] reads.
    fn same_as_parse(line: &[u8]) {
        let mut buf = before();
        let (read, signer) = read(line, &mut buf).expect("read in place");
        let Ok(entry::Entry::Ack(record)) = entry::parse(line) else {
            panic!("parse reads an acknowledgement");
        };
        assert_eq!(read.view(&buf.texts), Some(record.view()));
        assert_eq!(signer.key, record.key);
        assert_eq!(signer.signature, record.envelope.signature);
        let pae = crate::dsse::pae(&record.envelope.payload_type, &record.envelope.payload);
        assert_eq!(read.message(&buf.messages), Some(&pae[..]));
        assert_eq!(&buf.messages[..6], b"before");
        assert_eq!(&buf.texts[..6], "before");
    }

    #[test]
    fn an_entry_read_in_place_is_the_entry_parse_reads() {
        same_as_parse(&signed(None));
        same_as_parse(&signed(Some("Izlasīju, viss skaidrs.")));
    }

    /// Every one-byte change and cut of an entry, and of the payload inside
    /// it, is read in place as `parse` reads it, or left to `parse` (the
    /// fuzz target `ack_exact` goes on from here).
    #[test]
    fn every_nearby_entry_read_in_place_is_the_entry_parse_reads() {
        let bytes = [
            b'"', b'\\', b'A', b'a', b'/', b'=', b'0', 0, 0x7f, 0xc4, b'}', b' ',
        ];
        let mut in_place = 0;
        for line in [signed(None), signed(Some("Izlasīju"))] {
            let text = String::from_utf8(line.clone()).unwrap();
            let start = text.find("\"payload\":\"").unwrap() + 11;
            let end = start + text[start..].find('"').unwrap();
            let payload = crate::encoding::b64_strict(&text[start..end]).unwrap();
            let with_payload =
                |p: &[u8]| format!("{}{}{}", &text[..start], b64(p), &text[end..]).into_bytes();
            let mut nearby = vec![line.clone()];
            for i in 0..line.len() {
                for &b in &bytes {
                    let mut m = line.clone();
                    m[i] = b;
                    nearby.push(m);
                }
                let mut cut = line.clone();
                cut.remove(i);
                nearby.push(cut);
            }
            for i in 0..payload.len() {
                for &b in &bytes {
                    let mut m = payload.clone();
                    m[i] = b;
                    nearby.push(with_payload(&m));
                }
                let mut cut = payload.clone();
                cut.remove(i);
                nearby.push(with_payload(&cut));
            }
            for m in &nearby {
                match agrees_with_parse(m) {
                    Ok(read) => in_place += usize::from(read),
                    Err(why) => panic!("{why}: {}", String::from_utf8_lossy(m)),
                }
            }
        }
        // The entries themselves, and the changes that keep them valid
        // (a letter of a name, a digit of the hash), were read in place.
        assert!(in_place > 2, "{in_place}");
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
            let mut buf = before();
            assert!(read(case.as_bytes(), &mut buf).is_none(), "{case}");
            assert_eq!(buf.messages, b"before", "the buffer is as it was");
            assert_eq!(buf.texts, "before", "the buffer is as it was");
            let parsed = entry::parse(case.as_bytes());
            if let Ok(entry::Entry::Ack(record)) = parsed {
                // Spelt otherwise but valid: parse reads the same entry.
                assert_eq!(record.view().payload.name, "Līga Ozoliņa", "{case}");
            }
        }
    }
}
