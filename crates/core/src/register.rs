//! The register: the administration's sealed list of acknowledgements.
//!
//! A register names one document (title and SHA-256), the keyring entries it
//! relies on, every accepted acknowledgement envelope exactly as the employee
//! signed it, numbered in a stable order (date, then name), the employees
//! who have not acknowledged yet, and the time of sealing. The issuer (the
//! executive director who approved the rules) seals it with a DSSE envelope
//! over the register's exact bytes, so every field a person reads is covered
//! either by the seal or by an employee's own signature.
//!
//! Assembling is separate from sealing so that the binary can report what it
//! refused before anything is signed.

use std::collections::HashMap;

use ed25519_dalek::SigningKey;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::UtcDateTime;

use crate::ack::{self, AckDocument, Acknowledgement};
use crate::document::DocumentRef;
use crate::dsse::{self, Envelope};
use crate::encoding::{b64, hex};
use crate::keyring::{Entry, Keyring};
use crate::keys::KeyId;
use crate::render::{AnnexRow, Attachment, Mode, RenderInput};
use crate::text;

/// DSSE payload type of a register.
pub const PAYLOAD_TYPE: &str = "application/vnd.ackreg.register+json";
/// Value of the register's `type` field: the format and its version.
pub const REGISTER_TYPE: &str = "https://ackreg.invalid/register/v1";
/// Name of the register when attached to the annex PDF.
pub const ATTACHMENT_NAME: &str = "register.json";
/// Largest acknowledgement file read when assembling.
pub const MAX_ACK_FILE: usize = 64 * 1024;

/// An error while assembling or sealing a register.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    /// The sealing time is not `YYYY-MM-DDTHH:MM:SSZ`.
    #[error("sealing time \"{0}\" is not a UTC time written YYYY-MM-DDTHH:MM:SSZ")]
    SealedAt(String),
    /// The issuer's name breaks the text rules.
    #[error("issuer name {0}")]
    IssuerName(text::TextError),
    /// The document's title breaks the text rules.
    #[error("document title {0}")]
    Title(text::TextError),
    /// The register could not be serialised.
    #[error("cannot serialise the register: {0}")]
    Json(serde_json::Error),
}

impl crate::Hint for RegisterError {
    fn hint(&self) -> Option<String> {
        match self {
            RegisterError::SealedAt(_) => Some("for example 2017-12-20T09:30:00Z".into()),
            _ => None,
        }
    }
}

/// The issuer as recorded in the register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Issuer {
    /// The issuer's name, as printed (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Key id of the sealing key.
    pub keyid: String,
    /// Standard base64 of the raw 32-byte sealing public key.
    pub public_key: String,
}

/// One accepted acknowledgement and its number (Nr.p.k.).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterEntry {
    /// Nr.p.k., from 1, without gaps.
    pub nr: u64,
    /// The employee's DSSE envelope, byte for byte as read.
    pub envelope: Box<RawValue>,
}

/// An employee in the keyring who has not acknowledged the document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outstanding {
    /// Identifier in the keyring.
    pub id: String,
    /// Name in the keyring.
    pub name: String,
}

/// The register: the sealed payload.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterBody {
    /// Always [`REGISTER_TYPE`].
    #[serde(rename = "type")]
    pub kind: String,
    /// The acknowledged document.
    pub document: AckDocument,
    /// Who sealed the register.
    pub issuer: Issuer,
    /// When it was sealed, `YYYY-MM-DDTHH:MM:SSZ`.
    pub sealed_at: String,
    /// The keyring entries the register relies on (the `keyring.json` format).
    pub keyring: Box<RawValue>,
    /// Accepted acknowledgements, in order.
    pub entries: Vec<RegisterEntry>,
    /// Employees who have not acknowledged, sorted by identifier.
    pub outstanding: Vec<Outstanding>,
}

/// An acknowledgement file offered to the register.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// Where it came from (a file name), for reports.
    pub source: String,
    /// The file's bytes.
    pub bytes: Vec<u8>,
}

/// A candidate the register did not take, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// Where it came from.
    pub source: String,
    /// Why it was refused.
    pub reason: String,
}

/// An accepted acknowledgement, before numbering.
#[derive(Debug, Clone)]
pub struct Accepted {
    /// Where it came from.
    pub source: String,
    /// The envelope's bytes (JSON, surrounding white space removed).
    pub envelope: String,
    /// The verified payload.
    pub ack: Acknowledgement,
    /// The signer's keyring entry.
    pub signer: Entry,
}

/// The outcome of [`assemble`]: what goes into the register and what not.
#[derive(Debug, Clone)]
pub struct Assembly {
    /// The document.
    pub document: DocumentRef,
    /// The keyring the register relies on.
    pub keyring: Keyring,
    /// Accepted acknowledgements, in register order (date, then name).
    pub accepted: Vec<Accepted>,
    /// Refused candidates, in the order offered.
    pub refused: Vec<Refusal>,
    /// Employees without an accepted acknowledgement.
    pub outstanding: Vec<Outstanding>,
}

/// Checks every candidate as `ackreg verify` does and builds the register's
/// contents: accepted acknowledgements in a stable order (date, then name,
/// then identifier), every refusal with its reason (unknown key, bad
/// signature, wrong document, duplicate), and the outstanding employees.
pub fn assemble(document: &DocumentRef, keyring: &Keyring, candidates: &[Candidate]) -> Assembly {
    let mut accepted: Vec<Accepted> = Vec::new();
    let mut refused = Vec::new();
    let mut by_employee: HashMap<String, usize> = HashMap::new();
    for c in candidates {
        let refuse = |reason: String| Refusal {
            source: c.source.clone(),
            reason,
        };
        if c.bytes.len() > MAX_ACK_FILE {
            refused.push(refuse(format!("file is larger than {MAX_ACK_FILE} bytes")));
            continue;
        }
        let report = ack::verify_ack(&c.bytes, keyring, Some(&document.sha256));
        if let Some((step, why)) = report.failure() {
            refused.push(refuse(format!(
                "step {} ({}): {why}",
                step.number(),
                step.name()
            )));
            continue;
        }
        let (Some(ack), Some(signer)) = (report.acknowledgement, report.signer) else {
            refused.push(refuse("incomplete verification".into()));
            continue;
        };
        let envelope = match std::str::from_utf8(&c.bytes) {
            Ok(s) => s.trim().to_string(),
            Err(_) => {
                refused.push(refuse("not UTF-8".into()));
                continue;
            }
        };
        if let Some(&i) = by_employee.get(&signer.id) {
            refused.push(refuse(format!(
                "duplicate: {} already acknowledged in {}",
                signer.id, accepted[i].source
            )));
            continue;
        }
        by_employee.insert(signer.id.clone(), accepted.len());
        accepted.push(Accepted {
            source: c.source.clone(),
            envelope,
            ack,
            signer,
        });
    }
    accepted.sort_by(|a, b| order_key(&a.ack).cmp(&order_key(&b.ack)));
    let outstanding = keyring
        .entries()
        .iter()
        .filter(|e| !by_employee.contains_key(&e.id))
        .map(|e| Outstanding {
            id: e.id.clone(),
            name: e.name.clone(),
        })
        .collect();
    Assembly {
        document: document.clone(),
        keyring: keyring.clone(),
        accepted,
        refused,
        outstanding,
    }
}

/// The register order: date, then name, then identifier.
pub fn order_key(ack: &Acknowledgement) -> (&str, &str, &str) {
    (&ack.date, &ack.employee.name, &ack.employee.id)
}

/// How sealing times are written: `YYYY-MM-DDTHH:MM:SSZ`, in UTC.
const SEALED_AT_FORMAT: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");

/// Parses a sealing time: `YYYY-MM-DDTHH:MM:SSZ`, a real date (as
/// [`ack::parse_date`] takes it) and a time of day from 00:00:00 to
/// 23:59:59, in UTC.
pub fn parse_sealed_at(s: &str) -> Result<UtcDateTime, RegisterError> {
    let err = || RegisterError::SealedAt(text::printable(s, 40));
    // `[year]` would also read a sign: the time starts with its first digit.
    if !s.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(err());
    }
    match UtcDateTime::parse(s, SEALED_AT_FORMAT) {
        Ok(t) if t.year() >= 1 => Ok(t),
        _ => Err(err()),
    }
}

/// Checks a sealing time: `YYYY-MM-DDTHH:MM:SSZ`, a real date and time
/// ([`parse_sealed_at`] without its result).
pub fn check_sealed_at(s: &str) -> Result<(), RegisterError> {
    parse_sealed_at(s).map(drop)
}

/// A time written as a sealing time, `YYYY-MM-DDTHH:MM:SSZ` (the fraction
/// of a second dropped). Years must be 1 to 9999 to read back.
pub fn format_sealed_at(t: UtcDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// A sealed register: the envelope file's bytes and what they contain.
#[derive(Debug)]
pub struct Sealed {
    /// The register file (DSSE envelope JSON), as written to disk and
    /// attached to the annex PDF.
    pub bytes: Vec<u8>,
    /// The sealed payload.
    pub body: RegisterBody,
}

/// Seals an assembly with the issuer's key.
pub fn seal(
    assembly: &Assembly,
    issuer_key: &SigningKey,
    issuer_name: Option<&str>,
    sealed_at: &str,
) -> Result<Sealed, RegisterError> {
    check_sealed_at(sealed_at)?;
    let issuer_name = issuer_name
        .map(|n| text::normalize(n, crate::keyring::MAX_NAME_LEN, false))
        .transpose()
        .map_err(RegisterError::IssuerName)?;
    let vk = issuer_key.verifying_key();
    let keyring_json = String::from_utf8(
        assembly
            .keyring
            .to_json()
            .map_err(|e| RegisterError::Json(serde::ser::Error::custom(e)))?,
    )
    .map_err(|e| RegisterError::Json(serde::ser::Error::custom(e)))?;
    let raw = |s: String| RawValue::from_string(s).map_err(RegisterError::Json);
    // Compact the keyring so the payload has no stray white space.
    let keyring_value: serde_json::Value =
        serde_json::from_str(&keyring_json).map_err(RegisterError::Json)?;
    let body = RegisterBody {
        kind: REGISTER_TYPE.to_string(),
        document: AckDocument {
            title: text::normalize(&assembly.document.title, crate::ack::MAX_TITLE_LEN, false)
                .map_err(RegisterError::Title)?,
            sha256: hex(&assembly.document.sha256),
        },
        issuer: Issuer {
            name: issuer_name,
            keyid: KeyId::of(&vk).to_string(),
            public_key: b64(vk.as_bytes()),
        },
        sealed_at: sealed_at.to_string(),
        keyring: raw(serde_json::to_string(&keyring_value).map_err(RegisterError::Json)?)?,
        entries: assembly
            .accepted
            .iter()
            .enumerate()
            .map(|(i, a)| {
                // The envelope exactly as the employee's file holds it.
                Ok(RegisterEntry {
                    nr: i as u64 + 1,
                    envelope: raw(a.envelope.clone())?,
                })
            })
            .collect::<Result<_, RegisterError>>()?,
        outstanding: assembly.outstanding.clone(),
    };
    let payload = serde_json::to_vec(&body).map_err(RegisterError::Json)?;
    let envelope: Envelope = dsse::sign(issuer_key, PAYLOAD_TYPE, &payload);
    let mut bytes = serde_json::to_vec_pretty(&envelope).map_err(RegisterError::Json)?;
    bytes.push(b'\n');
    Ok(Sealed { bytes, body })
}

/// The annex rows of a register, decoded from its envelopes (which the
/// caller has verified or just made).
pub fn annex_rows(body: &RegisterBody) -> Vec<AnnexRow> {
    body.entries
        .iter()
        .map(|e| {
            let decoded = Envelope::from_json(e.envelope.get().as_bytes())
                .ok()
                .and_then(|env| {
                    let sig = env.signatures.first()?.clone();
                    let checked = env.check().ok()?;
                    let ack = Acknowledgement::from_payload(&checked.payload).ok()?;
                    Some((ack, sig))
                });
            match decoded {
                Some((ack, sig)) => annex_row(e.nr, &ack, &sig.keyid, &sig.sig),
                None => AnnexRow {
                    nr: format!("{}.", e.nr),
                    signature: "nederīgs ieraksts".into(),
                    ..AnnexRow::default()
                },
            }
        })
        .collect()
}

/// One annex row for an acknowledgement, as printed.
pub fn annex_row(nr: u64, ack: &Acknowledgement, keyid: &str, sig_b64: &str) -> AnnexRow {
    AnnexRow {
        nr: format!("{nr}."),
        date: latvian_date(&ack.date),
        name: ack.employee.name.clone(),
        signature: format!(
            "Parakstīts elektroniski (Ed25519)\natslēga {}\nparaksts {}",
            shorten(keyid, 8, 8),
            shorten(sig_b64, 12, 0)
        ),
        notes: ack.notes.clone().unwrap_or_default(),
    }
}

/// What the filled annex prints for a sealed register: a row per entry and
/// a footer naming the register's hash, the issuer's key and the sealing
/// time; the register file is attached.
pub fn annex_input(register_bytes: &[u8], body: &RegisterBody, rows: Vec<AnnexRow>) -> RenderInput {
    let mut footer = vec![
        (
            "Reģistrs".to_string(),
            format!("{ATTACHMENT_NAME}, pievienots šim PDF"),
        ),
        (
            "Reģistra SHA-256".to_string(),
            hex(&crate::document::sha256(register_bytes)),
        ),
        (
            "Noteikumu PDF SHA-256".to_string(),
            body.document.sha256.clone(),
        ),
        (
            "Aizzīmogoja".to_string(),
            body.issuer.name.clone().unwrap_or_else(|| "—".to_string()),
        ),
        ("Izdevēja atslēga".to_string(), body.issuer.keyid.clone()),
        ("Aizzīmogots (UTC)".to_string(), body.sealed_at.clone()),
    ];
    if !body.outstanding.is_empty() {
        let names: Vec<&str> = body.outstanding.iter().map(|o| o.name.as_str()).collect();
        footer.push(("Vēl nav iepazinušies".to_string(), names.join(", ")));
    }
    footer.push((
        "Pārbaude".to_string(),
        format!("ackreg verify pielikums.pdf --issuer {}", body.issuer.keyid),
    ));
    RenderInput {
        mode: Mode::Annex,
        rows,
        footer,
        attachment: Some(Attachment {
            name: ATTACHMENT_NAME.to_string(),
            data: register_bytes.to_vec(),
            description: "Aizzīmogots iepazīšanās reģistrs (ackreg, DSSE)".to_string(),
        }),
        more_attachments: Vec::new(),
    }
}

/// `2017-12-04` as Latvian documents write it: `04.12.2017.` Text that is
/// not a date ([`ack::parse_date`]) is returned as it is.
pub fn latvian_date(iso: &str) -> String {
    match ack::parse_date(iso) {
        Ok(d) => format!("{:02}.{:02}.{:04}.", d.day(), u8::from(d.month()), d.year()),
        Err(_) => iso.to_string(),
    }
}

/// `abcdef…uvwxyz`: the first `head` and last `tail` characters.
pub fn shorten(s: &str, head: usize, tail: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= head + tail + 1 {
        return s.to_string();
    }
    let mut out: String = chars[..head].iter().collect();
    out.push('…');
    out.extend(&chars[chars.len() - tail..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealing_time_must_be_real() {
        assert!(check_sealed_at("2017-12-20T09:30:00Z").is_ok());
        for bad in [
            "2017-12-20 09:30:00Z",
            "2017-02-30T09:30:00Z",
            "2017-12-20T24:00:00Z",
            "2017-12-20T09:60:00Z",
            "2017-12-20T09:30:00+02:00",
            "2017-12-20T09:3a:00Z",
            "",
        ] {
            assert!(check_sealed_at(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sealing_times_read_back() {
        for s in [
            "2017-12-20T09:30:00Z",
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z",
            "2024-02-29T12:00:59Z",
        ] {
            assert_eq!(format_sealed_at(parse_sealed_at(s).unwrap()), s);
        }
        for bad in [
            "0000-01-01T00:00:00Z",
            "+017-12-20T09:30:00Z",
            "2017-12-20T09:30:60Z",
            "2017-12-20t09:30:00Z",
            "2017-12-20T09:30:00z",
            "2017-12-20T9:30:00Z ",
            "2017-12-20T09:30:00.5Z",
            "2017-12-20T09:30Z",
        ] {
            assert!(parse_sealed_at(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn latvian_dates_and_shortening() {
        assert_eq!(latvian_date("2017-12-04"), "04.12.2017.");
        assert_eq!(latvian_date("0001-01-01"), "01.01.0001.");
        assert_eq!(latvian_date("2017-02-30"), "2017-02-30");
        assert_eq!(shorten("0123456789abcdef", 4, 4), "0123…cdef");
        assert_eq!(shorten("short", 4, 4), "short");
    }
}
