//! Every request body the desk accepts, parsed strictly into checked
//! types before anything else looks at it, and every reason a request is
//! refused, with its HTTP status.
//!
//! Bodies are JSON (`application/json`, no other type), with no unknown,
//! missing or duplicate field; the acknowledgement body is the DSSE
//! envelope itself, exactly as `ackreg sign` writes it.

use ed25519_dalek::{Signature, VerifyingKey};
use serde::Deserialize;
use time::Date;

use ackreg_core::ack::{self, Acknowledgement};
use ackreg_core::dsse::{self, Envelope};
use ackreg_core::encoding::{b64_strict, from_json, hex32, JsonError};
use ackreg_core::keys::KeyId;
use ackreg_core::log::entry::parse_date;
use ackreg_core::text;

use super::pin::Pin;

/// Largest acknowledgement body (an envelope file's limit).
pub const MAX_ACK_BODY: usize = ackreg_core::register::MAX_ACK_FILE;
/// Largest body of any other request.
pub const MAX_SMALL_BODY: usize = 4 * 1024;

/// Why a request is refused.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// Not `application/json`.
    #[error("the body must be application/json")]
    ContentType,
    /// An upload not of its route's type.
    #[error("the body must be {0}")]
    BodyType(&'static str),
    /// The body is larger than allowed.
    #[error("the body is larger than {0} bytes")]
    TooLarge(usize),
    /// The JSON does not have the request's shape.
    #[error("malformed request: {0}")]
    Malformed(JsonError),
    /// A field's value is wrong.
    #[error("field `{field}` {why}")]
    Field {
        /// The field.
        field: &'static str,
        /// What is wrong.
        why: String,
    },
    /// The request's origin is not this desk's.
    #[error("the request does not come from this desk's pages (Origin header)")]
    Origin,
    /// No session, or it ended.
    #[error("sign in first")]
    NoSession,
    /// The session may not do this.
    #[error("this session may not do that")]
    Forbidden,
    /// The enrolment or sign-in link is unknown, used or expired.
    #[error("this link is not valid: it was used already, has expired, or never existed")]
    Link,
    /// The enrolment or administrator's link was used already.
    #[error("this link was used already")]
    LinkUsed,
    /// The PIN is wrong.
    #[error("wrong PIN: {0} attempts left")]
    Pin(u32),
    /// Too many wrong PINs in a row.
    #[error("the PIN is locked after too many wrong attempts: a new enrolment link is needed")]
    PinLocked,
    /// The employee's key has no PIN yet.
    #[error("this key has no PIN yet: set one with `set_pin`")]
    PinUnset,
    /// An enrolment link for someone who left.
    #[error("{0} has left")]
    HasLeft(String),
    /// The sign-in signature or challenge fails.
    #[error("sign-in failed: the key is not enrolled or the signature does not verify")]
    Signin,
    /// The enrolment's proof of possession does not verify.
    #[error("enrolment failed: the request is not signed by the key it enrols")]
    EnrolProof,
    /// Too many failed attempts from this address.
    #[error("too many failed attempts: wait a minute and try again")]
    TooMany,
    /// The acknowledgement is signed by another key than the session's.
    #[error("you can sign only as yourself: the envelope's key is not the one you signed in with")]
    NotYou,
    /// The payload is not in the one form ackreg writes.
    #[error("the payload is not in the form ackreg writes (compact JSON, fields in order)")]
    PayloadForm,
    /// The acknowledgement's date is not today.
    #[error("the acknowledgement is dated {0}, not today")]
    Date(String),
    /// The acknowledged version does not take effect until a later day.
    #[error(
        "version {label} takes effect on {effective}: it can be read now and signed from that day"
    )]
    Coming {
        /// The version.
        label: String,
        /// Its effective date.
        effective: String,
    },
    /// The acknowledged version is no longer in force.
    #[error("version {label} is no longer in force: version {by} took effect on {date}")]
    Superseded {
        /// The version.
        label: String,
        /// The version in force.
        by: String,
        /// When that took effect.
        date: String,
    },
    /// The log refuses the entry.
    #[error("refused: {0}")]
    Refused(String),
    /// An administrator's request is not signed by their key.
    #[error("the request is not signed by your administrator's key")]
    RequestSignature,
    /// The plan to sign is unknown, used or expired.
    #[error("this request is no longer waiting for a signature: ask again")]
    Plan,
    /// Nothing there.
    #[error("not found")]
    NotFound,
    /// The log cannot be written now.
    #[error("the register cannot be written now: {0}")]
    Unavailable(String),
}

impl ackreg_core::Hint for RequestError {}

impl RequestError {
    /// The HTTP status.
    pub fn status(&self) -> u16 {
        match self {
            RequestError::ContentType | RequestError::BodyType(_) => 415,
            RequestError::TooLarge(_) => 413,
            RequestError::Malformed(_) | RequestError::Field { .. } => 400,
            RequestError::NoSession => 401,
            RequestError::Origin
            | RequestError::Forbidden
            | RequestError::Link
            | RequestError::LinkUsed
            | RequestError::Pin(_)
            | RequestError::PinLocked
            | RequestError::PinUnset
            | RequestError::Signin
            | RequestError::EnrolProof
            | RequestError::NotYou
            | RequestError::RequestSignature => 403,
            RequestError::Plan => 409,
            RequestError::NotFound => 404,
            RequestError::PayloadForm
            | RequestError::Date(_)
            | RequestError::Coming { .. }
            | RequestError::Superseded { .. }
            | RequestError::Refused(_)
            | RequestError::HasLeft(_) => 422,
            RequestError::TooMany => 429,
            RequestError::Unavailable(_) => 503,
        }
    }

    /// A short code the page translates.
    pub fn code(&self) -> &'static str {
        match self {
            RequestError::ContentType | RequestError::BodyType(_) => "content_type",
            RequestError::TooLarge(_) => "too_large",
            RequestError::Malformed(_) => "malformed",
            RequestError::Field { .. } => "field",
            RequestError::Origin => "origin",
            RequestError::NoSession => "no_session",
            RequestError::Forbidden => "forbidden",
            RequestError::Link => "link",
            RequestError::LinkUsed => "link_used",
            RequestError::Pin(_) => "pin",
            RequestError::PinLocked => "pin_locked",
            RequestError::PinUnset => "pin_unset",
            RequestError::HasLeft(_) => "left",
            RequestError::Signin => "signin",
            RequestError::EnrolProof => "enrol_proof",
            RequestError::TooMany => "too_many",
            RequestError::NotYou => "not_you",
            RequestError::PayloadForm => "payload_form",
            RequestError::Date(_) => "date",
            RequestError::Coming { .. } => "coming",
            RequestError::Superseded { .. } => "superseded",
            RequestError::Refused(_) => "refused",
            RequestError::RequestSignature => "request_signature",
            RequestError::Plan => "plan",
            RequestError::NotFound => "not_found",
            RequestError::Unavailable(_) => "unavailable",
        }
    }

    /// What the page needs beside the code to say it in its own words:
    /// the field at fault, the PIN attempts left.
    pub fn details(&self) -> Option<(&'static str, serde_json::Value)> {
        match self {
            RequestError::Field { field, .. } => Some(("field", (*field).into())),
            RequestError::Pin(left) => Some(("attempts_left", (*left).into())),
            _ => None,
        }
    }
}

fn field(field: &'static str, why: impl ToString) -> RequestError {
    RequestError::Field {
        field,
        why: why.to_string(),
    }
}

/// The staff file's preview path ([`crate::staff`]).
pub const STAFF_PREVIEW: &str = "/api/admin/staff/preview";
/// The staff file's confirmation path.
pub const STAFF_CONFIRM: &str = "/api/admin/staff/confirm";

/// Whether the POST to `path` carries a staff file rather than JSON (the
/// route checks its type itself: `crate::staff::check_type`).
pub fn takes_staff_file(path: &str) -> bool {
    path == STAFF_PREVIEW || path == STAFF_CONFIRM
}

/// The path of the PDF upload (publishing, [`crate::publish`]).
pub const PDF_PATH: &str = "/api/admin/publish/pdf";
/// The path of the template ZIP upload.
pub const ZIP_PATH: &str = "/api/admin/publish/zip";

/// The body type a POST to `path` must have, when it is not JSON: the
/// uploads' raw bodies.
pub fn upload_type(path: &str) -> Option<&'static str> {
    match path {
        PDF_PATH => Some("application/pdf"),
        ZIP_PATH => Some("application/zip"),
        _ => None,
    }
}

/// Whether the `Content-Type` value is `wanted` (no parameters).
pub fn upload_type_ok(value: Option<&[u8]>, wanted: &str) -> bool {
    value
        .and_then(|v| std::str::from_utf8(v).ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case(wanted))
}

/// Checks the `Content-Type` header: `application/json`, optionally with
/// `charset=utf-8`.
pub fn check_content_type(value: Option<&[u8]>) -> Result<(), RequestError> {
    let value = value
        .and_then(|v| std::str::from_utf8(v).ok())
        .ok_or(RequestError::ContentType)?;
    let mut parts = value.split(';').map(|p| p.trim().to_ascii_lowercase());
    let ok = parts.next().as_deref() == Some("application/json")
        && parts.all(|p| p == "charset=utf-8" || p == "charset=\"utf-8\"");
    if ok {
        Ok(())
    } else {
        Err(RequestError::ContentType)
    }
}

fn json<'a, T: Deserialize<'a>>(body: &'a [u8], max: usize) -> Result<T, RequestError> {
    if body.len() > max {
        return Err(RequestError::TooLarge(max));
    }
    from_json(body).map_err(RequestError::Malformed)
}

/// A body holding one token: an administrator's or enrolment link's.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// The token, as it follows `#` in the link.
    pub token: String,
}

/// Parses `{"token": ...}`.
pub fn token(body: &[u8]) -> Result<TokenRequest, RequestError> {
    json(body, MAX_SMALL_BODY)
}

/// An empty object, for requests that carry nothing (`{}`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Empty {}

/// Parses `{}`.
pub fn empty(body: &[u8]) -> Result<Empty, RequestError> {
    json(body, MAX_SMALL_BODY)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct IssueJson {
    id: String,
    name: String,
    #[serde(default)]
    position: Option<String>,
}

/// The administration issues an enrolment link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// Identifier.
    pub id: String,
    /// Name, normalised.
    pub name: String,
    /// Position, normalised; none when empty.
    pub position: Option<String>,
}

/// Parses `{"id", "name", "position"?}`, normalising the texts.
pub fn issue(body: &[u8]) -> Result<Issue, RequestError> {
    let j: IssueJson = json(body, MAX_SMALL_BODY)?;
    let id = j.id.trim().to_string();
    text::check_id(&id).map_err(|e| field("id", e))?;
    let name = text::normalize(&j.name, ackreg_core::keyring::MAX_NAME_LEN, false)
        .map_err(|e| field("name", e))?;
    let position = match j.position.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(p) => Some(
            text::normalize(p, ackreg_core::keyring::MAX_NAME_LEN, false)
                .map_err(|e| field("position", e))?,
        ),
    };
    Ok(Issue { id, name, position })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LeaveJson {
    id: String,
    #[serde(default)]
    date: Option<String>,
}

/// The administration records that an employee left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leave {
    /// Identifier.
    pub id: String,
    /// From when; today when absent.
    pub date: Option<Date>,
}

/// Parses `{"id", "date"?}`.
pub fn leave(body: &[u8]) -> Result<Leave, RequestError> {
    let j: LeaveJson = json(body, MAX_SMALL_BODY)?;
    text::check_id(&j.id).map_err(|e| field("id", e))?;
    let date = match j.date.as_deref() {
        None | Some("") => None,
        Some(d) => Some(
            parse_date(d).ok_or_else(|| field("date", "is not a real date written YYYY-MM-DD"))?,
        ),
    };
    Ok(Leave { id: j.id, date })
}

fn raw_key(text: &str) -> Result<VerifyingKey, RequestError> {
    let raw = b64_strict(text).map_err(|e| field("public_key", e))?;
    let raw: [u8; 32] = raw
        .as_slice()
        .try_into()
        .map_err(|_| field("public_key", "is not 32 bytes"))?;
    ackreg_core::keys::public_key_from_bytes(&raw).map_err(|e| field("public_key", e))
}

fn signature(text: &str) -> Result<Signature, RequestError> {
    let raw = b64_strict(text).map_err(|e| field("signature", e))?;
    let raw: [u8; 64] = raw
        .as_slice()
        .try_into()
        .map_err(|_| field("signature", "is not 64 bytes"))?;
    Ok(Signature::from_bytes(&raw))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EnrolJson {
    token: String,
    public_key: String,
    signature: String,
    pin: String,
}

/// An employee's browser enrols its new key.
#[derive(Debug)]
pub struct Enrol {
    /// The enrolment link's token.
    pub token: String,
    /// The browser's public key.
    pub key: VerifyingKey,
    /// The key's signature over PAE([`super::ENROL_TYPE`], token).
    pub signature: Signature,
    /// The PIN the employee chose.
    pub pin: Pin,
}

fn pin(text: &str) -> Result<Pin, RequestError> {
    Pin::parse(text).map_err(|e| field("pin", e))
}

/// Parses `{"token", "public_key" (base64 raw), "signature" (base64),
/// "pin"}`.
pub fn enrol(body: &[u8]) -> Result<Enrol, RequestError> {
    let j: EnrolJson = json(body, MAX_SMALL_BODY)?;
    Ok(Enrol {
        key: raw_key(&j.public_key)?,
        signature: signature(&j.signature)?,
        pin: pin(&j.pin)?,
        token: j.token,
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SigninJson {
    keyid: String,
    challenge: String,
    signature: String,
    pin: String,
    #[serde(default)]
    set_pin: bool,
}

/// An employee's browser signs in with its key.
#[derive(Debug)]
pub struct Signin {
    /// The key's id.
    pub keyid: KeyId,
    /// The challenge the desk gave.
    pub challenge: String,
    /// The signature over PAE([`super::SIGNIN_TYPE`], challenge).
    pub signature: Signature,
    /// The employee's PIN.
    pub pin: Pin,
    /// Whether `pin` is to become the PIN of a key that has none yet.
    pub set_pin: bool,
}

/// Parses `{"keyid", "challenge", "signature", "pin", "set_pin"?}`.
pub fn signin(body: &[u8]) -> Result<Signin, RequestError> {
    let j: SigninJson = json(body, MAX_SMALL_BODY)?;
    Ok(Signin {
        keyid: KeyId::from_hex(&j.keyid).map_err(|e| field("keyid", e))?,
        signature: signature(&j.signature)?,
        pin: pin(&j.pin)?,
        set_pin: j.set_pin,
        challenge: j.challenge,
    })
}

/// Largest body of an administrator's commit (up to [`MAX_SIGNATURES`]).
pub const MAX_COMMIT_BODY: usize = 16 * 1024;
/// Most requests one commit signs (each authorises at most
/// [`ackreg_core::log::request::MAX_REQUEST_ENTRIES`] entries).
pub const MAX_SIGNATURES: usize = 64;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AdminEnrolJson {
    id: String,
    name: String,
    public_key: String,
    challenge: String,
    signature: String,
    pin: String,
}

/// A named administrator's browser enrols its new key, under the
/// one-time link's session (the first administrator, or after a lockout).
#[derive(Debug)]
pub struct AdminEnrol {
    /// The administrator's identifier.
    pub id: String,
    /// Their name, normalised.
    pub name: String,
    /// The browser's public key.
    pub key: VerifyingKey,
    /// The challenge the desk gave.
    pub challenge: String,
    /// The key's signature over PAE([`super::ADMIN_ENROL_TYPE`], challenge).
    pub signature: Signature,
    /// The PIN they chose.
    pub pin: Pin,
}

fn id_field(name: &'static str, text: &str) -> Result<String, RequestError> {
    let id = text.trim().to_string();
    text::check_id(&id).map_err(|e| field(name, e))?;
    Ok(id)
}

fn name_field(text: &str) -> Result<String, RequestError> {
    text::normalize(text, ackreg_core::keyring::MAX_NAME_LEN, false).map_err(|e| field("name", e))
}

/// Parses `{"id", "name", "public_key", "challenge", "signature", "pin"}`.
pub fn admin_enrol(body: &[u8]) -> Result<AdminEnrol, RequestError> {
    let j: AdminEnrolJson = json(body, MAX_SMALL_BODY)?;
    Ok(AdminEnrol {
        id: id_field("id", &j.id)?,
        name: name_field(&j.name)?,
        key: raw_key(&j.public_key)?,
        signature: signature(&j.signature)?,
        pin: pin(&j.pin)?,
        challenge: j.challenge,
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InviteJson {
    id: String,
    name: String,
}

/// An administrator invites another: identifier and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invite {
    /// The new administrator's identifier.
    pub id: String,
    /// Their name, normalised.
    pub name: String,
}

/// Parses `{"id", "name"}`.
pub fn invite(body: &[u8]) -> Result<Invite, RequestError> {
    let j: InviteJson = json(body, MAX_SMALL_BODY)?;
    Ok(Invite {
        id: id_field("id", &j.id)?,
        name: name_field(&j.name)?,
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CommitJson {
    plan: String,
    signatures: Vec<String>,
}

/// An administrator's signatures over the requests of a plan.
#[derive(Debug)]
pub struct Commit {
    /// The plan's token.
    pub plan: String,
    /// One signature per request, in order.
    pub signatures: Vec<Signature>,
}

/// Parses `{"plan", "signatures": [base64, ...]}`.
pub fn commit(body: &[u8]) -> Result<Commit, RequestError> {
    let j: CommitJson = json(body, MAX_COMMIT_BODY)?;
    if j.signatures.is_empty() || j.signatures.len() > MAX_SIGNATURES {
        return Err(field(
            "signatures",
            format!("must hold 1 to {MAX_SIGNATURES} signatures"),
        ));
    }
    let signatures = j
        .signatures
        .iter()
        .map(|s| {
            signature(s)
                .map_err(|_| field("signatures", "holds one that is not 64 bytes of base64"))
        })
        .collect::<Result<_, _>>()?;
    Ok(Commit {
        plan: j.plan,
        signatures,
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MoveJson {
    id: String,
    units: Vec<String>,
    #[serde(default)]
    date: Option<String>,
}

/// An employee moves to other units on a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Move {
    /// Identifier.
    pub id: String,
    /// The units from the date on (none: in no unit).
    pub units: Vec<String>,
    /// From when; today when absent.
    pub date: Option<Date>,
}

fn optional_date(text: Option<&str>) -> Result<Option<Date>, RequestError> {
    match text {
        None | Some("") => Ok(None),
        Some(d) => parse_date(d)
            .map(Some)
            .ok_or_else(|| field("date", "is not a real date written YYYY-MM-DD")),
    }
}

/// Parses `{"id", "units": [...], "date"?}`.
pub fn moved(body: &[u8]) -> Result<Move, RequestError> {
    let j: MoveJson = json(body, MAX_SMALL_BODY)?;
    let units = j
        .units
        .iter()
        .map(|u| id_field("units", u))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Move {
        id: id_field("id", &j.id)?,
        units,
        date: optional_date(j.date.as_deref())?,
    })
}

/// Verifies a browser's signature over PAE(`payload_type`, `message`).
pub fn verify_proof(
    key: &VerifyingKey,
    payload_type: &str,
    message: &str,
    sig: &Signature,
) -> bool {
    dsse::verify_bytes(key, &dsse::pae(payload_type, message.as_bytes()), sig).is_ok()
}

/// An acknowledgement as the desk receives it, its form checked (its
/// signature is verified when the log appends it).
#[derive(Debug, Clone)]
pub struct Ack {
    /// The body: the envelope, byte for byte.
    pub envelope: Vec<u8>,
    /// The key id that claims to have signed.
    pub keyid: KeyId,
    /// The payload.
    pub ack: Acknowledgement,
    /// Its date.
    pub date: Date,
}

/// Parses an acknowledgement envelope: a DSSE envelope with one signature,
/// our payload type, a valid payload in exactly the form
/// [`Acknowledgement::to_payload`] writes.
pub fn ack(body: &[u8]) -> Result<Ack, RequestError> {
    if body.len() > MAX_ACK_BODY {
        return Err(RequestError::TooLarge(MAX_ACK_BODY));
    }
    let envelope: Envelope = from_json(body).map_err(RequestError::Malformed)?;
    let checked = envelope.check().map_err(|e| field("envelope", e))?;
    if checked.payload_type != ack::PAYLOAD_TYPE {
        return Err(field(
            "payloadType",
            format!("must be {}", ack::PAYLOAD_TYPE),
        ));
    }
    let parsed =
        Acknowledgement::from_payload(&checked.payload).map_err(|e| field("payload", e))?;
    if parsed.to_payload().ok().as_deref() != Some(checked.payload.as_slice()) {
        return Err(RequestError::PayloadForm);
    }
    let date =
        parse_date(&parsed.date).ok_or_else(|| field("payload", "date is not a real date"))?;
    Ok(Ack {
        envelope: body.to_vec(),
        keyid: checked.keyid,
        ack: parsed,
        date,
    })
}

/// The document hash of a `/doc/NAME` path: 64 lowercase hex digits and
/// `.pdf`, nothing else.
pub fn doc_name(name: &str) -> Option<[u8; 32]> {
    hex32(name.strip_suffix(".pdf")?).ok()
}

/// An entry index in a path: decimal, no sign, no leading zero.
pub fn entry_index(text: &str) -> Option<u64> {
    tlog::checkpoint::parse_decimal(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ackreg_core::document::DocumentRef;

    fn envelope(name: &str) -> Vec<u8> {
        let doc = DocumentRef {
            title: "Noteikumi".into(),
            sha256: [1; 32],
        };
        let key = ed25519_dalek::SigningKey::from_bytes(&[3; 32]);
        let a = Acknowledgement::new(&doc, name, "jb", "2026-01-02", None).unwrap();
        a.sign(&key).unwrap().to_json().unwrap()
    }

    #[test]
    fn content_types() {
        assert!(check_content_type(Some(b"application/json")).is_ok());
        assert!(check_content_type(Some(b"Application/JSON; charset=UTF-8")).is_ok());
        for bad in [
            &b"text/plain"[..],
            b"application/json; x=y",
            b"multipart/form-data",
            b"application/jsonx",
            b"\xff",
        ] {
            assert!(check_content_type(Some(bad)).is_err());
        }
        assert!(check_content_type(None).is_err());
    }

    #[test]
    fn bodies_are_strict() {
        assert!(token(br#"{"token":"a"}"#).is_ok());
        for bad in [
            &br#"{"token":"a","x":1}"#[..],
            br#"{"token":"a","token":"b"}"#,
            b"{",
            b"",
            br#"{"token":1}"#,
        ] {
            assert!(
                matches!(token(bad), Err(RequestError::Malformed(_))),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        assert!(matches!(
            token(&vec![b' '; MAX_SMALL_BODY + 1]),
            Err(RequestError::TooLarge(_))
        ));
        let i = issue(r#"{"id":"jb","name":"  Jānis Bērziņš ","position":""}"#.as_bytes()).unwrap();
        assert_eq!((i.name.as_str(), i.position), ("Jānis Bērziņš", None));
        assert!(issue(br#"{"id":"J B","name":"x"}"#).is_err());
        assert!(issue("{\"id\":\"jb\",\"name\":\"a\u{202e}b\"}".as_bytes()).is_err());
        assert!(leave(br#"{"id":"jb","date":"2026-02-30"}"#).is_err());
        assert_eq!(leave(br#"{"id":"jb"}"#).unwrap().date, None);
        assert!(enrol(br#"{"token":"t","public_key":"AAAA","signature":"AAAA"}"#).is_err());
        assert!(signin(br#"{"keyid":"00","challenge":"c","signature":"AAAA"}"#).is_err());
        let sig = ackreg_core::encoding::b64(&[0; 64]);
        let keyid = "ab".repeat(32);
        let signin_with = |pin: &str| {
            signin(
                format!(
                    r#"{{"keyid":"{keyid}","challenge":"c","signature":"{sig}","pin":"{pin}"}}"#
                )
                .as_bytes(),
            )
        };
        assert!(signin_with("1234").is_ok());
        let e = signin_with("12a4").unwrap_err();
        assert_eq!(
            (e.code(), e.details()),
            ("field", Some(("field", "pin".into())))
        );
        let no_pin = format!(r#"{{"keyid":"{keyid}","challenge":"c","signature":"{sig}"}}"#);
        assert!(matches!(
            signin(no_pin.as_bytes()),
            Err(RequestError::Malformed(_))
        ));
    }

    #[test]
    fn acknowledgements_must_be_ours_in_our_form() {
        let good = envelope("Jānis Bērziņš");
        let parsed = ack(&good).unwrap();
        assert_eq!(parsed.ack.employee.id, "jb");
        // The same payload spelled with a space is refused.
        let env = Envelope::from_json(&good).unwrap();
        let payload = String::from_utf8(b64_strict(&env.payload).unwrap()).unwrap();
        let spaced = payload.replacen(",\"employee\"", ", \"employee\"", 1);
        let mut other = env.clone();
        other.payload = ackreg_core::encoding::b64(spaced.as_bytes());
        assert!(matches!(
            ack(&other.to_json().unwrap()),
            Err(RequestError::PayloadForm)
        ));
        let mut typed = env;
        typed.payload_type = "text/plain".into();
        assert!(ack(&typed.to_json().unwrap()).is_err());
        assert!(ack(b"[]").is_err());
    }

    #[test]
    fn paths_are_exact() {
        let hex = "ab".repeat(32);
        assert!(doc_name(&format!("{hex}.pdf")).is_some());
        for bad in [
            hex.clone(),
            format!("{}.pdf", hex.to_uppercase()),
            "../entries".into(),
            format!("{hex}.pdf/.."),
        ] {
            assert!(doc_name(&bad).is_none(), "{bad}");
        }
        assert_eq!(entry_index("12"), Some(12));
        assert_eq!(entry_index("012"), None);
        assert_eq!(entry_index("-1"), None);
    }
}
