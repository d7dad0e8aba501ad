//! Ed25519 keys on disk and their key ids.
//!
//! Private keys are PKCS#8 v1 PEM (RFC 5208 / RFC 8410), plain or encrypted
//! with PBES2 (scrypt and AES-256-CBC), because that is what OpenSSL 3.0
//! reads and writes: a key made by `openssl genpkey -algorithm ed25519`
//! works here unchanged, and a key made here works in OpenSSL. Public keys
//! are SubjectPublicKeyInfo PEM. A key id is the lowercase hexadecimal
//! SHA-256 of the raw 32-byte public key, so anyone can recompute it.
//!
//! Secrets only live in zeroizing types, and [`Passphrase`] never shows
//! itself in `Debug` output or error messages.

use std::fmt;

use ed25519_dalek::pkcs8::{KeypairBytes, PublicKeyBytes};
use ed25519_dalek::{SigningKey, VerifyingKey};
use pkcs8::der::asn1::ObjectIdentifier;
use pkcs8::der::{Decode, Document};
use pkcs8::{
    EncodePrivateKey, EncodePublicKey, EncryptedPrivateKeyInfoRef, LineEnding, PrivateKeyInfoRef,
    SecretDocument, SubjectPublicKeyInfoRef,
};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// Object identifier of Ed25519 (RFC 8410).
const ED25519_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

/// Largest key file read (an Ed25519 PEM key is under 300 bytes).
pub const MAX_PEM_FILE: usize = 64 * 1024;

/// PEM label of a plain PKCS#8 private key.
pub const PRIVATE_KEY_LABEL: &str = "PRIVATE KEY";
/// PEM label of an encrypted PKCS#8 private key.
pub const ENCRYPTED_PRIVATE_KEY_LABEL: &str = "ENCRYPTED PRIVATE KEY";
/// PEM label of a SubjectPublicKeyInfo public key.
pub const PUBLIC_KEY_LABEL: &str = "PUBLIC KEY";

/// An error while reading, writing or creating a key.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The file is not text, so it cannot be PEM.
    #[error("not a PEM file (not text)")]
    NotText,
    /// The text is not PEM, or the PEM armour is truncated or damaged.
    #[error("not a complete PEM file")]
    NotPem(#[source] pkcs8::der::Error),
    /// The PEM label names something other than what was expected.
    #[error("the PEM label is \"{found}\", expected \"{expected}\"")]
    Label {
        /// The label found in the file.
        found: String,
        /// The label(s) expected.
        expected: &'static str,
    },
    /// The PEM contents are not a well-formed key structure.
    #[error("damaged key structure")]
    Asn1(#[source] pkcs8::der::Error),
    /// The key is for another algorithm.
    #[error("this is {algorithm} key, not an Ed25519 key")]
    Algorithm {
        /// A readable name of the algorithm found, with its article.
        algorithm: String,
    },
    /// The private key is encrypted and no passphrase was given.
    #[error("the key is encrypted and needs a passphrase")]
    PassphraseNeeded,
    /// Decryption failed: almost always a wrong passphrase.
    #[error("wrong passphrase, or the encrypted key is damaged")]
    WrongPassphrase,
    /// The key is encrypted with a scheme ackreg cannot decrypt.
    #[error("cannot decrypt this key: {0}")]
    Decrypt(pkcs8::Error),
    /// The Ed25519 key material is malformed.
    #[error("malformed Ed25519 key: {0}")]
    Malformed(pkcs8::Error),
    /// The public key is not a usable Ed25519 point.
    #[error("the public key is not a valid Ed25519 public key")]
    BadPublicKey,
    /// The public key has small order: every signature would be forgeable.
    #[error("the public key is a weak (small-order) Ed25519 point")]
    WeakPublicKey,
    /// The operating system gave no random numbers.
    #[error("no random numbers from the operating system: {0}")]
    Random(getrandom::Error),
    /// A key could not be encoded or encrypted.
    #[error("cannot encode the key: {0}")]
    Encode(pkcs8::Error),
}

impl crate::Hint for KeyError {
    fn hint(&self) -> Option<String> {
        match self {
            KeyError::NotPem(_) | KeyError::NotText => Some(
                "the file must hold a whole PEM block (-----BEGIN ...----- to -----END ...-----)"
                    .into(),
            ),
            KeyError::Label { found, .. } if found.contains("OPENSSH") => Some(
                "convert the key to PKCS#8 with `ssh-keygen -p -m PKCS8 -f FILE`, or make a new \
                 Ed25519 key pair"
                    .into(),
            ),
            KeyError::Label { found, .. } if found == PUBLIC_KEY_LABEL => {
                Some("this is a public key; pass the private key file here".into())
            }
            KeyError::Label { .. } => Some(
                "make an Ed25519 key pair, e.g. with `openssl genpkey -algorithm ed25519`".into(),
            ),
            KeyError::Algorithm { .. } => Some(
                "ackreg only uses Ed25519; make an Ed25519 key pair, e.g. with \
                 `openssl genpkey -algorithm ed25519`"
                    .into(),
            ),
            KeyError::PassphraseNeeded => Some(
                "give the passphrase, or run the command on a terminal to be asked for it".into(),
            ),
            KeyError::WrongPassphrase => Some("check the passphrase".into()),
            KeyError::Decrypt(_) => Some(
                "re-encrypt the key with `openssl pkcs8 -topk8 -v2 aes-256-cbc` or scrypt".into(),
            ),
            _ => None,
        }
    }
}

/// A passphrase that protects a private key.
///
/// Its text is wiped from memory when dropped and never shown by `Debug`.
pub struct Passphrase(Zeroizing<String>);

impl Passphrase {
    /// Wraps a passphrase.
    pub fn new(text: Zeroizing<String>) -> Self {
        Passphrase(text)
    }

    /// True when the passphrase is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Passphrase(<redacted>)")
    }
}

impl PartialEq for Passphrase {
    fn eq(&self, other: &Self) -> bool {
        // Only used to compare the two entries of a new passphrase.
        self.0.as_bytes() == other.0.as_bytes()
    }
}

/// The id of a public key: SHA-256 of its raw 32 bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId([u8; 32]);

impl KeyId {
    /// The key id of `key`.
    pub fn of(key: &VerifyingKey) -> Self {
        KeyId(Sha256::digest(key.as_bytes()).into())
    }

    /// Parses the lowercase hexadecimal form (64 digits).
    pub fn from_hex(text: &str) -> Result<Self, crate::encoding::EncodingError> {
        crate::encoding::hex32(text).map(KeyId)
    }

    /// The key id whose 32 bytes are `bytes`.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        KeyId(bytes)
    }

    /// The 32 bytes of the hash.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::encoding::hex(&self.0))
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

/// Makes a new Ed25519 key from the operating system's random numbers.
pub fn generate() -> Result<SigningKey, KeyError> {
    let mut seed = Zeroizing::new([0u8; 32]);
    getrandom::fill(seed.as_mut()).map_err(KeyError::Random)?;
    Ok(SigningKey::from_bytes(&seed))
}

/// Encodes a private key as PKCS#8 v1 PEM, encrypted with PBES2 (scrypt,
/// AES-256-CBC) when a passphrase is given.
///
/// Version 1 (no embedded public key) is written on purpose: OpenSSL 3.0
/// cannot read the version 2 form.
pub fn encode_secret_key(
    key: &SigningKey,
    passphrase: Option<&Passphrase>,
) -> Result<Zeroizing<String>, KeyError> {
    let pair = KeypairBytes {
        secret_key: key.to_bytes(),
        public_key: None,
    };
    match passphrase {
        None => pair.to_pkcs8_pem(LineEnding::LF),
        Some(p) => pair.to_pkcs8_encrypted_pem(p.as_bytes(), LineEnding::LF),
    }
    .map_err(KeyError::Encode)
}

/// True when `pem` holds an encrypted private key, so that the caller knows
/// to ask for a passphrase before calling [`decode_secret_key`].
pub fn is_encrypted(pem: &[u8]) -> bool {
    matches!(
        pkcs8::der::pem::decode_label(pem),
        Ok(ENCRYPTED_PRIVATE_KEY_LABEL)
    )
}

/// Decodes a PKCS#8 PEM private key (v1 or v2, plain or PBES2-encrypted).
pub fn decode_secret_key(
    pem: &[u8],
    passphrase: Option<&Passphrase>,
) -> Result<SigningKey, KeyError> {
    let text = std::str::from_utf8(pem).map_err(|_| KeyError::NotText)?;
    // Name a wrong kind of PEM (OpenSSH, public key, ...) by its label before
    // its contents are parsed as DER.
    if let Ok(label) = pkcs8::der::pem::decode_label(pem) {
        if label != PRIVATE_KEY_LABEL && label != ENCRYPTED_PRIVATE_KEY_LABEL {
            return Err(label_error(label));
        }
    }
    let (label, doc) = SecretDocument::from_pem(text).map_err(KeyError::NotPem)?;
    let plain = match label {
        PRIVATE_KEY_LABEL => doc,
        ENCRYPTED_PRIVATE_KEY_LABEL => {
            let passphrase = passphrase.ok_or(KeyError::PassphraseNeeded)?;
            let info =
                EncryptedPrivateKeyInfoRef::from_der(doc.as_bytes()).map_err(KeyError::Asn1)?;
            match info.decrypt(passphrase.as_bytes()) {
                Ok(plain) => plain,
                Err(pkcs8::Error::EncryptedPrivateKey(pkcs8::pkcs5::Error::DecryptFailed)) => {
                    return Err(KeyError::WrongPassphrase)
                }
                // Decrypted to something that is not DER: a wrong
                // passphrase that happened to leave valid padding.
                Err(pkcs8::Error::Asn1(_)) => return Err(KeyError::WrongPassphrase),
                Err(e) => return Err(KeyError::Decrypt(e)),
            }
        }
        other => return Err(label_error(other)),
    };
    let encrypted = label == ENCRYPTED_PRIVATE_KEY_LABEL;
    let info = match PrivateKeyInfoRef::from_der(plain.as_bytes()) {
        Ok(info) => info,
        Err(_) if encrypted => return Err(KeyError::WrongPassphrase),
        Err(e) => return Err(KeyError::Asn1(e)),
    };
    check_algorithm(info.algorithm.oid)?;
    let pair = KeypairBytes::try_from(info).map_err(KeyError::Malformed)?;
    SigningKey::try_from(&pair).map_err(KeyError::Malformed)
}

/// Encodes a public key as SubjectPublicKeyInfo PEM.
pub fn encode_public_key(key: &VerifyingKey) -> Result<String, KeyError> {
    PublicKeyBytes(key.to_bytes())
        .to_public_key_pem(LineEnding::LF)
        .map_err(|e| KeyError::Encode(pkcs8::Error::PublicKey(e)))
}

/// Decodes a SubjectPublicKeyInfo PEM public key, refusing weak keys.
pub fn decode_public_key(pem: &[u8]) -> Result<VerifyingKey, KeyError> {
    let text = std::str::from_utf8(pem).map_err(|_| KeyError::NotText)?;
    let (label, doc) = Document::from_pem(text).map_err(KeyError::NotPem)?;
    if label != PUBLIC_KEY_LABEL {
        return Err(match label_error(label) {
            KeyError::Label { found, .. } => KeyError::Label {
                found,
                expected: PUBLIC_KEY_LABEL,
            },
            other => other,
        });
    }
    let spki = SubjectPublicKeyInfoRef::from_der(doc.as_bytes()).map_err(KeyError::Asn1)?;
    check_algorithm(spki.algorithm.oid)?;
    if spki.algorithm.parameters.is_some() {
        return Err(KeyError::BadPublicKey);
    }
    let raw: [u8; 32] = spki
        .subject_public_key
        .as_bytes()
        .and_then(|b| b.try_into().ok())
        .ok_or(KeyError::BadPublicKey)?;
    public_key_from_bytes(&raw)
}

/// How many keys each thread keeps decompressed (see
/// [`public_key_from_bytes`]); when full, it starts again.
const KEY_CACHE: usize = 4096;

thread_local! {
    /// Keys this thread decompressed, by their 32 bytes.
    static KEYS: std::cell::RefCell<std::collections::HashMap<[u8; 32], VerifyingKey>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

/// Makes a verifying key from its raw 32 bytes, refusing invalid and weak
/// (small-order) points.
///
/// Decompressing a point costs about a quarter of a signature check, and a
/// log names the same few hundred keys in every acknowledgement, so each
/// thread remembers the keys it accepted: the result is the same, without
/// the work.
pub fn public_key_from_bytes(raw: &[u8; 32]) -> Result<VerifyingKey, KeyError> {
    if let Some(key) = KEYS.with(|keys| keys.borrow().get(raw).copied()) {
        return Ok(key);
    }
    let key = VerifyingKey::from_bytes(raw).map_err(|_| KeyError::BadPublicKey)?;
    if key.is_weak() {
        return Err(KeyError::WeakPublicKey);
    }
    KEYS.with(|keys| {
        let mut keys = keys.borrow_mut();
        if keys.len() >= KEY_CACHE {
            keys.clear();
        }
        keys.insert(*raw, key);
    });
    Ok(key)
}

fn label_error(found: &str) -> KeyError {
    match found {
        "RSA PRIVATE KEY" | "RSA PUBLIC KEY" => KeyError::Algorithm {
            algorithm: "an RSA".into(),
        },
        "EC PRIVATE KEY" => KeyError::Algorithm {
            algorithm: "an elliptic-curve (ECDSA)".into(),
        },
        _ => KeyError::Label {
            found: found.chars().filter(|c| !c.is_control()).take(64).collect(),
            expected: "PRIVATE KEY\" or \"ENCRYPTED PRIVATE KEY",
        },
    }
}

fn check_algorithm(oid: ObjectIdentifier) -> Result<(), KeyError> {
    if oid == ED25519_OID {
        return Ok(());
    }
    let algorithm = match oid.to_string().as_str() {
        "1.2.840.113549.1.1.1" | "1.2.840.113549.1.1.10" => "an RSA".to_string(),
        "1.2.840.10045.2.1" => "an elliptic-curve (ECDSA)".to_string(),
        "1.3.101.110" => "an X25519".to_string(),
        "1.3.101.111" => "an X448".to_string(),
        "1.3.101.113" => "an Ed448".to_string(),
        "1.2.840.10040.4.1" => "a DSA".to_string(),
        other => format!("an unknown ({other})"),
    };
    Err(KeyError::Algorithm { algorithm })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::hex;

    #[test]
    fn remembered_keys_decode_as_before_and_bad_ones_are_still_refused() {
        let identity = {
            let mut b = [0u8; 32];
            b[0] = 1;
            b
        };
        let not_a_point = (2u8..)
            .map(|y| {
                let mut b = [0u8; 32];
                b[0] = y;
                b
            })
            .find(|b| VerifyingKey::from_bytes(b).is_err())
            .unwrap();
        // More distinct keys than a thread keeps, twice over, each asked
        // for twice: the remembered key is the decompressed one.
        for i in 0..(2 * KEY_CACHE as u64 + 10) {
            let mut seed = [9u8; 32];
            seed[..8].copy_from_slice(&i.to_le_bytes());
            let key = SigningKey::from_bytes(&seed).verifying_key();
            let raw = key.to_bytes();
            assert_eq!(public_key_from_bytes(&raw).unwrap(), key);
            assert_eq!(public_key_from_bytes(&raw).unwrap(), key);
            if i % 1000 == 0 {
                assert!(matches!(
                    public_key_from_bytes(&identity),
                    Err(KeyError::WeakPublicKey)
                ));
                assert!(matches!(
                    public_key_from_bytes(&not_a_point),
                    Err(KeyError::BadPublicKey)
                ));
            }
        }
    }

    /// RFC 8032, section 7.1, test 1.
    const RFC8032_1_SECRET: &str =
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
    const RFC8032_1_PUBLIC: &str =
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

    fn rfc_key() -> SigningKey {
        SigningKey::from_bytes(&crate::encoding::hex32(RFC8032_1_SECRET).unwrap())
    }

    #[test]
    fn key_id_is_sha256_of_raw_public_key() {
        let key = rfc_key();
        assert_eq!(hex(key.verifying_key().as_bytes()), RFC8032_1_PUBLIC);
        let id = KeyId::of(&key.verifying_key());
        let expected = hex(&Sha256::digest(
            crate::encoding::hex32(RFC8032_1_PUBLIC).unwrap(),
        ));
        assert_eq!(id.to_string(), expected);
        assert_eq!(KeyId::from_hex(&expected).unwrap(), id);
        assert!(KeyId::from_hex(&expected.to_uppercase()).is_err());
    }

    #[test]
    fn plain_key_is_pkcs8_v1_and_round_trips() {
        let key = rfc_key();
        let pem = encode_secret_key(&key, None).unwrap();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        // v1 Ed25519 PKCS#8 is always 48 bytes of DER, which is 64 base64
        // characters: one line.
        assert_eq!(pem.lines().count(), 3);
        assert!(!is_encrypted(pem.as_bytes()));
        let back = decode_secret_key(pem.as_bytes(), None).unwrap();
        assert_eq!(back.to_bytes(), key.to_bytes());
    }

    #[test]
    fn encrypted_key_round_trips_and_wrong_passphrase_fails() {
        let key = generate().unwrap();
        let pass = Passphrase::new(Zeroizing::new("correct horse".into()));
        let pem = encode_secret_key(&key, Some(&pass)).unwrap();
        assert!(pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----\n"));
        assert!(is_encrypted(pem.as_bytes()));
        let back = decode_secret_key(pem.as_bytes(), Some(&pass)).unwrap();
        assert_eq!(back.to_bytes(), key.to_bytes());
        let wrong = Passphrase::new(Zeroizing::new("battery staple".into()));
        assert!(matches!(
            decode_secret_key(pem.as_bytes(), Some(&wrong)),
            Err(KeyError::WrongPassphrase)
        ));
        assert!(matches!(
            decode_secret_key(pem.as_bytes(), None),
            Err(KeyError::PassphraseNeeded)
        ));
    }

    #[test]
    fn passphrase_debug_is_redacted() {
        let pass = Passphrase::new(Zeroizing::new("hunter2".into()));
        assert!(!format!("{pass:?}").contains("hunter2"));
        let key = rfc_key();
        assert!(!format!("{key:?}").contains(RFC8032_1_SECRET));
    }

    #[test]
    fn public_key_round_trips() {
        let key = rfc_key().verifying_key();
        let pem = encode_public_key(&key).unwrap();
        assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
        assert_eq!(decode_public_key(pem.as_bytes()).unwrap(), key);
    }

    #[test]
    fn truncated_and_mislabelled_pem_are_refused() {
        let pem = encode_secret_key(&rfc_key(), None).unwrap();
        let cut = &pem.as_bytes()[..pem.len() - 20];
        assert!(matches!(
            decode_secret_key(cut, None),
            Err(KeyError::NotPem(_))
        ));
        let public = encode_public_key(&rfc_key().verifying_key()).unwrap();
        assert!(matches!(
            decode_secret_key(public.as_bytes(), None),
            Err(KeyError::Label { .. })
        ));
        assert!(matches!(
            decode_public_key(pem.as_bytes()),
            Err(KeyError::Label { .. })
        ));
        assert!(matches!(
            decode_secret_key(b"\xff\xfe", None),
            Err(KeyError::NotText)
        ));
    }

    #[test]
    fn weak_public_key_is_refused() {
        // The identity point (y = 1) has small order.
        let mut raw = [0u8; 32];
        raw[0] = 1;
        assert!(matches!(
            public_key_from_bytes(&raw),
            Err(KeyError::WeakPublicKey)
        ));
    }
}
