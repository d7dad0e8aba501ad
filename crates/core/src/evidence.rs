//! What an auditor hands over, read into typed values before anything is
//! verified: which kind of file is to be verified ([`kind_of`], from its
//! bytes alone), and the issuer's key ([`issuer_key`], a key id or a PEM
//! public key file). The command line dispatches on these; it does not
//! sniff bytes or tell a key id from a file name itself.

use std::path::{Path, PathBuf};

use crate::encoding::EncodingError;
use crate::keys::{self, KeyError, KeyId};
use crate::verify::IssuerKey;

/// The kind of a file handed over for verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A receipt: a C2SP tlog-proof of one log entry.
    Receipt,
    /// A ZIP file: an eDoc (ASiC-E) container exported from a log.
    Edoc,
    /// A PDF carrying a log's checkpoint: the annex of a log.
    LogAnnex,
    /// Any other PDF: taken as the annex of a sealed register.
    RegisterAnnex,
    /// A DSSE envelope of the sealed register's payload type.
    Register,
    /// Anything else: taken as an acknowledgement (a DSSE envelope).
    Acknowledgement,
}

/// The kind of the file `bytes`, decided in this order: a receipt's first
/// line, a ZIP file's signature, a PDF carrying a log's checkpoint, any
/// other PDF, a register's payload type; anything else is checked as an
/// acknowledgement.
pub fn kind_of(bytes: &[u8]) -> Kind {
    let is_pdf = bytes.starts_with(b"%PDF-");
    if crate::log::receipt::is_receipt(bytes) {
        Kind::Receipt
    } else if bytes.starts_with(b"PK\x03\x04") {
        Kind::Edoc
    } else if is_pdf && crate::pdf::attachment(bytes, crate::log::annex::CHECKPOINT_NAME).is_ok() {
        Kind::LogAnnex
    } else if is_pdf {
        Kind::RegisterAnnex
    } else if is_register(bytes) {
        Kind::Register
    } else {
        Kind::Acknowledgement
    }
}

/// Whether `bytes` are a JSON envelope whose payload type is the sealed
/// register's.
fn is_register(bytes: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    struct Peek {
        #[serde(rename = "payloadType")]
        payload_type: Option<String>,
    }
    serde_json::from_slice::<Peek>(bytes)
        .ok()
        .and_then(|p| p.payload_type)
        .is_some_and(|t| t == crate::register::PAYLOAD_TYPE)
}

/// An issuer key given by the auditor that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum IssuerKeyError {
    /// 64 hexadecimal digits that are not a key id (not all lowercase).
    #[error("{given}")]
    KeyId {
        /// What was given.
        given: String,
        /// Why it is not a key id.
        #[source]
        source: EncodingError,
    },
    /// The public key file could not be read.
    #[error("{}: cannot read the issuer key: {error}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why (in the message, so not a source).
        error: std::io::Error,
    },
    /// The file is not an Ed25519 public key.
    #[error("{}", path.display())]
    Key {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        #[source]
        source: KeyError,
    },
}

impl crate::Hint for IssuerKeyError {
    fn hint(&self) -> Option<String> {
        match self {
            IssuerKeyError::Key { source, .. } => crate::Hint::hint(source),
            _ => None,
        }
    }
}

/// The issuer's key as the auditor gives it: 64 hexadecimal digits are its
/// key id (the register must then carry the key itself); anything else is
/// the path of its PEM public key file.
pub fn issuer_key(given: &str) -> Result<IssuerKey, IssuerKeyError> {
    if given.len() == 64 && given.bytes().all(|b| b.is_ascii_hexdigit()) {
        return KeyId::from_hex(given)
            .map(IssuerKey::KeyId)
            .map_err(|source| IssuerKeyError::KeyId {
                given: given.to_string(),
                source,
            });
    }
    let path = Path::new(given);
    let pem = std::fs::read(path).map_err(|error| IssuerKeyError::Read {
        path: path.to_path_buf(),
        error,
    })?;
    keys::decode_public_key(&pem)
        .map(IssuerKey::Key)
        .map_err(|source| IssuerKeyError::Key {
            path: path.to_path_buf(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_by_their_first_bytes() {
        assert_eq!(kind_of(b"PK\x03\x04rest"), Kind::Edoc);
        assert_eq!(kind_of(b"%PDF-1.7 not really"), Kind::RegisterAnnex);
        assert_eq!(
            kind_of(br#"{"payloadType":"application/vnd.ackreg.register+json"}"#),
            Kind::Register
        );
        assert_eq!(
            kind_of(br#"{"payloadType":"application/vnd.ackreg.ack+json"}"#),
            Kind::Acknowledgement
        );
        assert_eq!(kind_of(b""), Kind::Acknowledgement);
    }

    #[test]
    fn a_receipt_by_its_first_line() {
        let mut bytes = crate::log::receipt::MAGIC.to_vec();
        bytes.extend_from_slice(b"rest");
        assert_eq!(kind_of(&bytes), Kind::Receipt);
    }

    #[test]
    fn sixty_four_hex_digits_are_a_key_id() {
        let id = "21fe31dfa154a261626bf854046fd2271b7bed4b6abe45aa58877ef47f9721b9";
        assert!(matches!(issuer_key(id), Ok(IssuerKey::KeyId(k)) if k.to_string() == id));
        let upper = id.to_uppercase();
        assert!(matches!(
            issuer_key(&upper),
            Err(IssuerKeyError::KeyId { given, .. }) if given == upper
        ));
        assert!(matches!(
            issuer_key("no/such/issuer.pub.pem"),
            Err(IssuerKeyError::Read { .. })
        ));
    }
}
