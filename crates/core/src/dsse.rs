//! DSSE v1 envelopes: the signed container of every acknowledgement.
//!
//! The Dead Simple Signing Envelope (<https://github.com/secure-systems-lab/dsse>)
//! signs the exact payload bytes together with their type through the
//! pre-authentication encoding [`pae`], so a signature can never be moved to
//! another kind of document, and nothing is ever re-serialised before
//! verification. ackreg's envelopes carry exactly one Ed25519 signature with
//! a key id; base64 is the standard alphabet with padding, decoded strictly.

use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::encoding::{b64, b64_strict};
use crate::keys::KeyId;

/// An error in an envelope or its signature.
#[derive(Debug, thiserror::Error)]
pub enum DsseError {
    /// The bytes are not the JSON of a DSSE envelope.
    #[error("not a DSSE envelope: {0}")]
    Json(crate::encoding::JsonError),
    /// The envelope could not be serialised.
    #[error("cannot serialise the envelope: {0}")]
    Serialize(serde_json::Error),
    /// The payload is not canonical standard base64.
    #[error("payload: {0}")]
    Payload(crate::encoding::EncodingError),
    /// ackreg envelopes carry exactly one signature.
    #[error("expected exactly one signature, found {0}")]
    SignatureCount(usize),
    /// The key id is not 64 lowercase hexadecimal digits.
    #[error("key id: {0}")]
    KeyId(crate::encoding::EncodingError),
    /// The signature is not canonical standard base64.
    #[error("signature: {0}")]
    SignatureEncoding(crate::encoding::EncodingError),
    /// An Ed25519 signature is 64 bytes.
    #[error("signature is {0} bytes long, an Ed25519 signature is 64")]
    SignatureLength(usize),
    /// The signature does not verify under the key.
    #[error("signature does not verify")]
    BadSignature,
}

impl crate::Hint for DsseError {
    fn hint(&self) -> Option<String> {
        match self {
            DsseError::Json(_) => Some(
                "an acknowledgement or register is the JSON file ackreg wrote, unchanged: \
                 exactly the fields payloadType, payload and signatures"
                    .into(),
            ),
            DsseError::Payload(_) | DsseError::SignatureEncoding(_) => Some(
                "base64 must be the standard alphabet with padding, on one line, as ackreg \
                 wrote it"
                    .into(),
            ),
            DsseError::SignatureCount(_) => {
                Some("an ackreg envelope carries exactly one signature".into())
            }
            _ => None,
        }
    }
}

/// One signature of an envelope, as it appears in JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvelopeSignature {
    /// Lowercase hexadecimal SHA-256 of the signer's raw public key.
    pub keyid: String,
    /// Standard base64 of the 64-byte Ed25519 signature.
    pub sig: String,
}

/// A DSSE v1 envelope as it appears in JSON (untrusted until parsed with
/// [`Envelope::check`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    /// Media type of the payload.
    #[serde(rename = "payloadType")]
    pub payload_type: String,
    /// Standard base64 of the payload bytes.
    pub payload: String,
    /// The signatures; ackreg writes and accepts exactly one.
    pub signatures: Vec<EnvelopeSignature>,
}

/// An envelope whose encodings have been checked: decoded payload bytes,
/// one key id, one signature. Its signature is not yet verified.
#[derive(Debug, Clone)]
pub struct CheckedEnvelope {
    /// Media type of the payload.
    pub payload_type: String,
    /// The payload bytes exactly as signed.
    pub payload: Vec<u8>,
    /// Id of the key that claims to have signed.
    pub keyid: KeyId,
    /// The signature.
    pub signature: Signature,
}

/// Pre-authentication encoding (DSSE v1):
/// `"DSSEv1" SP LEN(type) SP type SP LEN(payload) SP payload`, where LEN is
/// the byte length in ASCII decimal without leading zeros.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(32 + payload_type.len() + payload.len());
    pae_into(&mut out, payload_type, payload);
    out
}

/// Appends `PAE(payload_type, payload)` to `out` (see [`pae`]).
pub fn pae_into(out: &mut Vec<u8>, payload_type: &str, payload: &[u8]) {
    pae_header_into(out, payload_type, payload.len());
    out.extend_from_slice(payload);
}

/// The part of [`pae_into`] before the payload, for a payload of
/// `payload_len` bytes that the caller then appends (decoding it in place).
pub fn pae_header_into(out: &mut Vec<u8>, payload_type: &str, payload_len: usize) {
    out.extend_from_slice(b"DSSEv1 ");
    decimal_into(out, payload_type.len());
    out.push(b' ');
    out.extend_from_slice(payload_type.as_bytes());
    out.push(b' ');
    decimal_into(out, payload_len);
    out.push(b' ');
}

/// `n` in ASCII decimal without leading zeros (what `{}` writes, without
/// the formatting machinery: an audit writes a million of these).
fn decimal_into(out: &mut Vec<u8>, mut n: usize) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[at..]);
}

/// Signs `payload` of type `payload_type` and wraps it in an envelope.
pub fn sign(key: &SigningKey, payload_type: &str, payload: &[u8]) -> Envelope {
    let signature = key.sign(&pae(payload_type, payload));
    Envelope {
        payload_type: payload_type.to_string(),
        payload: b64(payload),
        signatures: vec![EnvelopeSignature {
            keyid: KeyId::of(&key.verifying_key()).to_string(),
            sig: b64(&signature.to_bytes()),
        }],
    }
}

impl Envelope {
    /// Parses envelope JSON (no unknown fields allowed).
    pub fn from_json(bytes: &[u8]) -> Result<Self, DsseError> {
        crate::encoding::from_json(bytes).map_err(DsseError::Json)
    }

    /// The envelope as pretty-printed JSON with a final newline.
    pub fn to_json(&self) -> Result<Vec<u8>, DsseError> {
        let mut out = serde_json::to_vec_pretty(self).map_err(DsseError::Serialize)?;
        out.push(b'\n');
        Ok(out)
    }

    /// Decodes and checks the encodings: canonical base64, exactly one
    /// signature, a well-formed key id, a 64-byte signature.
    pub fn check(&self) -> Result<CheckedEnvelope, DsseError> {
        match self.signatures.as_slice() {
            [sig] => check_parts(&self.payload_type, &self.payload, &sig.keyid, &sig.sig),
            more => {
                b64_strict(&self.payload).map_err(DsseError::Payload)?;
                Err(DsseError::SignatureCount(more.len()))
            }
        }
    }
}

/// [`Envelope::check`] of an envelope with one signature, given its
/// fields as they appear in JSON (payload and signature in base64).
pub fn check_parts(
    payload_type: &str,
    payload: &str,
    keyid: &str,
    sig: &str,
) -> Result<CheckedEnvelope, DsseError> {
    let payload = b64_strict(payload).map_err(DsseError::Payload)?;
    let keyid = KeyId::from_hex(keyid).map_err(DsseError::KeyId)?;
    let sig_bytes = b64_strict(sig).map_err(DsseError::SignatureEncoding)?;
    let sig_bytes: [u8; 64] = sig_bytes
        .as_slice()
        .try_into()
        .map_err(|_| DsseError::SignatureLength(sig_bytes.len()))?;
    Ok(CheckedEnvelope {
        payload_type: payload_type.to_string(),
        payload,
        keyid,
        signature: Signature::from_bytes(&sig_bytes),
    })
}

impl CheckedEnvelope {
    /// Verifies the signature over PAE(payload type, payload bytes) with
    /// `verify_strict`, which refuses small-order keys and non-canonical
    /// signatures so that no second valid signature can be made from one.
    pub fn verify(&self, key: &VerifyingKey) -> Result<(), DsseError> {
        verify_bytes(
            key,
            &pae(&self.payload_type, &self.payload),
            &self.signature,
        )
    }
}

/// Signs raw bytes with Ed25519 (the primitive used for PAE bytes).
pub fn sign_bytes(key: &SigningKey, message: &[u8]) -> Signature {
    key.sign(message)
}

/// Verifies an Ed25519 signature over raw bytes with `verify_strict`.
pub fn verify_bytes(
    key: &VerifyingKey,
    message: &[u8],
    signature: &Signature,
) -> Result<(), DsseError> {
    key.verify_strict(message, signature)
        .map_err(|_| DsseError::BadSignature)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::{hex, hex32};

    #[test]
    fn pae_matches_the_dsse_specification() {
        // The example from the DSSE v1 protocol description.
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
        assert_eq!(pae("", b""), b"DSSEv1 0  0 ".to_vec());
        // Lengths count bytes, not characters.
        assert_eq!(
            pae("ā", "ņ".as_bytes()),
            "DSSEv1 2 ā 2 ņ".as_bytes().to_vec()
        );
        // Lengths of every size are written as `{}` writes them.
        for n in [1, 9, 10, 99, 100, 65_536, 1_000_000, usize::MAX] {
            let mut out = Vec::new();
            pae_header_into(&mut out, "t", n);
            assert_eq!(out, format!("DSSEv1 1 t {n} ").into_bytes());
        }
    }

    /// RFC 8032 section 7.1 tests 1 to 3: secret key, public key, message,
    /// signature, all through ackreg's own sign and verify functions.
    #[test]
    fn rfc8032_vectors() {
        let vectors: [(&str, &str, &str, &str); 3] = [
            (
                "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
                "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
                "",
                "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155\
                 5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
            ),
            (
                "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
                "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
                "72",
                "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da\
                 085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
            ),
            (
                "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
                "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
                "af82",
                "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac\
                 18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
            ),
        ];
        for (secret, public, message, signature) in vectors {
            let key = SigningKey::from_bytes(&hex32(secret).unwrap());
            assert_eq!(hex(key.verifying_key().as_bytes()), public);
            let message: Vec<u8> = (0..message.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&message[i..i + 2], 16).unwrap())
                .collect();
            let sig = sign_bytes(&key, &message);
            assert_eq!(hex(&sig.to_bytes()), signature);
            let public = crate::keys::public_key_from_bytes(&hex32(public).unwrap()).unwrap();
            verify_bytes(&public, &message, &sig).unwrap();
            let mut tampered = message.clone();
            tampered.push(0);
            assert!(verify_bytes(&public, &tampered, &sig).is_err());
        }
    }

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[7u8; 32])
    }

    #[test]
    fn sign_then_check_and_verify() {
        let env = sign(&key(), "text/plain", b"hi");
        let parsed = Envelope::from_json(&env.to_json().unwrap()).unwrap();
        assert_eq!(parsed, env);
        let checked = parsed.check().unwrap();
        assert_eq!(checked.payload, b"hi");
        assert_eq!(checked.keyid, KeyId::of(&key().verifying_key()));
        checked.verify(&key().verifying_key()).unwrap();
        // The payload type is covered by the signature.
        let mut other = checked.clone();
        other.payload_type = "text/html".into();
        assert!(other.verify(&key().verifying_key()).is_err());
    }

    #[test]
    fn strict_parsing() {
        let env = sign(&key(), "text/plain", b"hi");
        let mut extra = serde_json::to_value(&env).unwrap();
        extra["extra"] = serde_json::json!(1);
        assert!(Envelope::from_json(extra.to_string().as_bytes()).is_err());

        let mut two = env.clone();
        two.signatures.push(two.signatures[0].clone());
        assert!(matches!(two.check(), Err(DsseError::SignatureCount(2))));

        let mut none = env.clone();
        none.signatures.clear();
        assert!(matches!(none.check(), Err(DsseError::SignatureCount(0))));

        let mut short = env.clone();
        short.signatures[0].sig = b64(&[0u8; 63]);
        assert!(matches!(short.check(), Err(DsseError::SignatureLength(63))));

        let mut unpadded = env.clone();
        unpadded.payload = "aGk".into();
        assert!(matches!(unpadded.check(), Err(DsseError::Payload(_))));

        let mut upper = env.clone();
        upper.signatures[0].keyid = upper.signatures[0].keyid.to_uppercase();
        assert!(matches!(upper.check(), Err(DsseError::KeyId(_))));
    }
}
