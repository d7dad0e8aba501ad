//! C2SP signed notes (<https://c2sp.org/signed-note>) with Ed25519.
//!
//! The log's checkpoints are signed notes, so that any C2SP tool (a witness,
//! a monitor, another verifier) can check them without knowing the log's software. This
//! module reads and writes the note format exactly as the specification
//! describes it, and signs and verifies Ed25519 signatures (signature type
//! `0x01`).
//!
//! A note is a text ending in a newline, a blank line, then one or more
//! signature lines `— NAME BASE64(KEY_ID || SIGNATURE)`. Reading keeps every
//! signature line, in order, so that writing gives back the same bytes;
//! verifying looks only at the lines whose name and key id are those of the
//! key asked about, and ignores the others (cosignatures, other logs' keys),
//! as the specification requires.

use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest as _, Sha256};

use crate::encoding::{b64, b64_strict};

/// The signature type byte of Ed25519 note signatures.
pub const ED25519_TYPE: u8 = 0x01;

/// The largest note read or written, in bytes. The specification asks
/// verifiers to accept at least 16 signatures of up to nearly 5 kB each
/// (post-quantum); 128 KiB leaves room for those and a long text.
pub const MAX_NOTE_SIZE: usize = 128 * 1024;

/// The most signature lines a note may have (the same limit as Go's
/// `golang.org/x/mod/sumdb/note`; the specification asks for at least 16).
pub const MAX_SIGNATURES: usize = 100;

/// What starts every signature line: an em dash (U+2014) and a space.
const SIGNATURE_PREFIX: &str = "\u{2014} ";

/// A signed note that cannot be read, made or verified.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NoteError {
    /// Over [`MAX_NOTE_SIZE`].
    #[error("the note is larger than {MAX_NOTE_SIZE} bytes")]
    TooLarge,
    /// Not UTF-8.
    #[error("the note is not valid UTF-8")]
    NotUtf8,
    /// An ASCII control character other than newline (a tab, a carriage
    /// return, an escape, ...).
    #[error("the note contains the control character {byte:#04x} at byte {offset}")]
    ControlCharacter {
        /// The character.
        byte: u8,
        /// Where it is, counted from 0.
        offset: usize,
    },
    /// No blank line separates the text from the signatures.
    #[error("no blank line separates the text from the signatures")]
    NoBlankLine,
    /// Nothing after the blank line.
    #[error("the note has no signature lines")]
    NoSignatures,
    /// The last signature line has no newline.
    #[error("the last signature line does not end with a newline")]
    UnterminatedSignature,
    /// More than [`MAX_SIGNATURES`] signature lines.
    #[error("the note has more than {MAX_SIGNATURES} signatures")]
    TooManySignatures,
    /// A signature line that does not start with an em dash and a space.
    #[error("signature line {line} does not start with an em dash (U+2014) and a space")]
    SignaturePrefix {
        /// The line's number among the signature lines, from 1.
        line: usize,
    },
    /// A signature line without the space between name and signature.
    #[error("signature line {line} is not `\u{2014} NAME SIGNATURE`")]
    SignatureShape {
        /// The line's number among the signature lines, from 1.
        line: usize,
    },
    /// A signature that is not canonical standard base64 with padding.
    #[error("signature line {line}: the signature is not canonical standard base64")]
    SignatureBase64 {
        /// The line's number among the signature lines, from 1.
        line: usize,
    },
    /// A signature shorter than its 4-byte key id.
    #[error("signature line {line}: {len} bytes, too short to hold a key id")]
    SignatureTooShort {
        /// The line's number among the signature lines, from 1.
        line: usize,
        /// The decoded length.
        len: usize,
    },
    /// A key name that is empty, or has a space, a `+` or a control
    /// character.
    #[error("the key name {name:?} is empty or contains a space, a '+' or a control character")]
    KeyName {
        /// The name.
        name: String,
    },
    /// A text to sign that is empty or does not end with a newline.
    #[error("the text to sign does not end with a newline")]
    TextEnd,
    /// A verifier key that is not `NAME+KEYID+KEY`.
    #[error("the verifier key is not NAME+KEYID+BASE64KEY")]
    VkeyShape,
    /// A verifier key whose key id is not 8 lowercase hexadecimal digits.
    #[error("the verifier key's key id is not 8 lowercase hexadecimal digits")]
    VkeyId,
    /// A verifier key whose key material is not canonical base64.
    #[error("the verifier key's key material is not canonical standard base64")]
    VkeyBase64,
    /// A verifier key of another signature type than Ed25519.
    #[error("the verifier key has signature type {found:#04x}, not Ed25519 (0x01)")]
    VkeyType {
        /// The type byte found.
        found: u8,
    },
    /// A verifier key whose public key is not a usable Ed25519 key.
    #[error("the verifier key's public key is not a valid Ed25519 public key")]
    VkeyKey,
    /// A verifier key whose key id is not the one its name and key give.
    #[error(
        "the verifier key's key id {found:08x} is not {expected:08x}, the id of its name and key"
    )]
    VkeyIdMismatch {
        /// The key id written in the verifier key.
        found: u32,
        /// The key id computed from the name and the public key.
        expected: u32,
    },
    /// No signature line with the name and key id of the key asked about.
    #[error("not signed by {name}")]
    NotSigned {
        /// The key name asked about.
        name: String,
    },
    /// A signature line with the name and key id of the key asked about,
    /// whose signature does not verify.
    #[error("the signature by {name} does not verify")]
    BadSignature {
        /// The key name.
        name: String,
    },
}

impl crate::Hint for NoteError {
    fn hint(&self) -> Option<String> {
        match self {
            NoteError::NotSigned { .. } => Some(
                "check that this is the right file and that the verifier key is the one of \
                 its signer; signatures by other keys are ignored"
                    .into(),
            ),
            NoteError::BadSignature { .. } => Some(
                "the text was changed after it was signed, or the signature is damaged; do \
                 not trust the text"
                    .into(),
            ),
            NoteError::VkeyShape
            | NoteError::VkeyId
            | NoteError::VkeyBase64
            | NoteError::VkeyType { .. }
            | NoteError::VkeyKey
            | NoteError::VkeyIdMismatch { .. } => Some(
                "a verifier key is one line NAME+KEYID+KEY, copied whole from its publisher".into(),
            ),
            NoteError::KeyName { .. } | NoteError::TextEnd => None,
            _ => Some(
                "a signed note is a text ending in a newline, a blank line, and lines \
                 `\u{2014} NAME SIGNATURE`; pass the file unchanged"
                    .into(),
            ),
        }
    }
}

/// One signature line of a note, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    /// The key name.
    pub name: String,
    /// The key id: the first four bytes of the decoded signature, big-endian.
    pub key_id: u32,
    /// The rest of the decoded signature (64 bytes for Ed25519).
    pub signature: Vec<u8>,
}

impl NoteSignature {
    /// The signature line, without its newline.
    fn to_line(&self) -> String {
        let mut raw = Vec::with_capacity(4 + self.signature.len());
        raw.extend_from_slice(&self.key_id.to_be_bytes());
        raw.extend_from_slice(&self.signature);
        format!("{SIGNATURE_PREFIX}{} {}", self.name, b64(&raw))
    }

    /// Reads signature line number `line` (from 1), without its newline.
    fn parse_line(text: &str, line: usize) -> Result<Self, NoteError> {
        let rest = text
            .strip_prefix(SIGNATURE_PREFIX)
            .ok_or(NoteError::SignaturePrefix { line })?;
        let (name, encoded) = rest
            .split_once(' ')
            .ok_or(NoteError::SignatureShape { line })?;
        check_key_name(name)?;
        let raw = b64_strict(encoded).map_err(|_| NoteError::SignatureBase64 { line })?;
        let Some((id, signature)) = raw.split_first_chunk::<4>() else {
            return Err(NoteError::SignatureTooShort {
                line,
                len: raw.len(),
            });
        };
        Ok(NoteSignature {
            name: name.to_owned(),
            key_id: u32::from_be_bytes(*id),
            signature: signature.to_vec(),
        })
    }
}

/// A signed note: its text and its signature lines, as read or made.
///
/// Only [`SignedNote::parse`] and [`SignedNote::sign`] make one, so every
/// value is a well-formed note, and [`SignedNote::to_bytes`] gives back
/// exactly the bytes that were read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedNote {
    /// The text, with its final newline.
    text: String,
    /// The signature lines, in order, duplicates and unknown keys kept.
    signatures: Vec<NoteSignature>,
}

impl SignedNote {
    /// Reads a signed note strictly: at most [`MAX_NOTE_SIZE`] bytes of
    /// UTF-8 without control characters other than newline; the text
    /// separated from the signatures by the last blank line; one to
    /// [`MAX_SIGNATURES`] signature lines with a valid key name and a
    /// canonical base64 signature of at least four bytes.
    ///
    /// No signature is verified here: see [`SignedNote::verify`].
    pub fn parse(bytes: &[u8]) -> Result<Self, NoteError> {
        if bytes.len() > MAX_NOTE_SIZE {
            return Err(NoteError::TooLarge);
        }
        let all = std::str::from_utf8(bytes).map_err(|_| NoteError::NotUtf8)?;
        check_controls(all)?;
        let split = all.rfind("\n\n").ok_or(NoteError::NoBlankLine)?;
        let (text, block) = (&all[..=split], &all[split + 2..]);
        if block.is_empty() {
            return Err(NoteError::NoSignatures);
        }
        let lines = block
            .strip_suffix('\n')
            .ok_or(NoteError::UnterminatedSignature)?;
        let mut signatures = Vec::new();
        for (i, line) in lines.split('\n').enumerate() {
            if i == MAX_SIGNATURES {
                return Err(NoteError::TooManySignatures);
            }
            signatures.push(NoteSignature::parse_line(line, i + 1)?);
        }
        Ok(SignedNote {
            text: text.to_owned(),
            signatures,
        })
    }

    /// Signs `text` with the Ed25519 key `key` under the key name `name`.
    ///
    /// The text must end with a newline and have no control character other
    /// than newline; the name must be non-empty without spaces, `+` or
    /// control characters.
    pub fn sign(text: &str, name: &str, key: &SigningKey) -> Result<Self, NoteError> {
        if !text.ends_with('\n') {
            return Err(NoteError::TextEnd);
        }
        check_controls(text)?;
        let mut note = SignedNote {
            text: text.to_owned(),
            signatures: Vec::new(),
        };
        note.add_signature(name, key)?;
        Ok(note)
    }

    /// Adds the signature of `key` under `name`, after the others. A
    /// signature already there with the same name and key id is replaced
    /// (as Go's `note.Sign` does), so a note holds one per key.
    ///
    /// The note is left unchanged if the result would be over
    /// [`MAX_NOTE_SIZE`] or [`MAX_SIGNATURES`].
    pub fn add_signature(&mut self, name: &str, key: &SigningKey) -> Result<(), NoteError> {
        check_key_name(name)?;
        let key_id = key_id(name, &key.verifying_key());
        let mut signatures: Vec<NoteSignature> = self
            .signatures
            .iter()
            .filter(|s| !(s.name == name && s.key_id == key_id))
            .cloned()
            .collect();
        signatures.push(NoteSignature {
            name: name.to_owned(),
            key_id,
            signature: key.sign(self.text.as_bytes()).to_bytes().to_vec(),
        });
        if signatures.len() > MAX_SIGNATURES {
            return Err(NoteError::TooManySignatures);
        }
        let old = std::mem::replace(&mut self.signatures, signatures);
        if self.to_bytes().len() > MAX_NOTE_SIZE {
            self.signatures = old;
            return Err(NoteError::TooLarge);
        }
        Ok(())
    }

    /// Adds a signature line made by other means (a signature type other
    /// than Ed25519, such as a time stamp), after the others. The note is
    /// left unchanged if the key name is invalid or the result would be
    /// over [`MAX_NOTE_SIZE`] or [`MAX_SIGNATURES`].
    pub fn push_signature(&mut self, signature: NoteSignature) -> Result<(), NoteError> {
        check_key_name(&signature.name)?;
        if self.signatures.len() >= MAX_SIGNATURES {
            return Err(NoteError::TooManySignatures);
        }
        self.signatures.push(signature);
        if self.to_bytes().len() > MAX_NOTE_SIZE {
            self.signatures.pop();
            return Err(NoteError::TooLarge);
        }
        Ok(())
    }

    /// The note without the signature lines for which `drop` holds, or
    /// `None` if no signature line would be left.
    pub fn without(&self, drop: impl Fn(&NoteSignature) -> bool) -> Option<SignedNote> {
        let signatures: Vec<NoteSignature> = self
            .signatures
            .iter()
            .filter(|s| !drop(s))
            .cloned()
            .collect();
        (!signatures.is_empty()).then(|| SignedNote {
            text: self.text.clone(),
            signatures,
        })
    }

    /// Checks the note's signature by the Ed25519 key `key` named `name`.
    ///
    /// 1. The signature lines with this name and this key's id are the
    ///    key's; all other lines are ignored, as the specification requires.
    /// 2. There must be at least one, else [`NoteError::NotSigned`].
    /// 3. Every one of them must verify (`verify_strict`) over the text,
    ///    else [`NoteError::BadSignature`].
    pub fn verify(&self, name: &str, key: &VerifyingKey) -> Result<(), NoteError> {
        let bad = || NoteError::BadSignature {
            name: name.to_owned(),
        };
        // Step 3.
        for signature in self.signatures_by(name, key)? {
            key.verify_strict(self.text.as_bytes(), &signature)
                .map_err(|_| bad())?;
        }
        Ok(())
    }

    /// Steps 1 and 2 of [`SignedNote::verify`]: the signatures by the key
    /// `key` named `name` that step 3 verifies over [`SignedNote::text`],
    /// for a caller that verifies the signatures of many notes at once. A
    /// signature that is not 64 bytes is [`NoteError::BadSignature`].
    pub fn signatures_by(
        &self,
        name: &str,
        key: &VerifyingKey,
    ) -> Result<Vec<Signature>, NoteError> {
        let id = key_id(name, key);
        // Step 1.
        let mine: Vec<&NoteSignature> = self
            .signatures
            .iter()
            .filter(|s| s.name == name && s.key_id == id)
            .collect();
        // Step 2.
        if mine.is_empty() {
            return Err(NoteError::NotSigned {
                name: name.to_owned(),
            });
        }
        mine.iter()
            .map(|s| {
                Signature::from_slice(&s.signature).map_err(|_| NoteError::BadSignature {
                    name: name.to_owned(),
                })
            })
            .collect()
    }

    /// The text, with its final newline. Trust it only after
    /// [`SignedNote::verify`].
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The signature lines, in order, including those of unknown keys.
    pub fn signatures(&self) -> &[NoteSignature] {
        &self.signatures
    }

    /// The note's bytes: the text, a blank line, the signature lines.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = String::with_capacity(self.text.len() + 100 * self.signatures.len());
        out.push_str(&self.text);
        out.push('\n');
        for s in &self.signatures {
            out.push_str(&s.to_line());
            out.push('\n');
        }
        out.into_bytes()
    }
}

/// The key id of an Ed25519 key: the first four bytes, big-endian, of
/// SHA-256(name || 0x0A || 0x01 || public key).
pub fn key_id(name: &str, key: &VerifyingKey) -> u32 {
    let mut hash = Sha256::new();
    hash.update(name.as_bytes());
    hash.update([b'\n', ED25519_TYPE]);
    hash.update(key.as_bytes());
    let digest = hash.finalize();
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

/// The verifier key (vkey) of an Ed25519 key named `name`:
/// `NAME+KEYID+BASE64(0x01 || public key)`, the key id in 8 lowercase
/// hexadecimal digits.
pub fn vkey(name: &str, key: &VerifyingKey) -> String {
    let mut material = Vec::with_capacity(33);
    material.push(ED25519_TYPE);
    material.extend_from_slice(key.as_bytes());
    format!("{name}+{:08x}+{}", key_id(name, key), b64(&material))
}

/// Reads an Ed25519 verifier key `NAME+KEYID+BASE64(0x01 || public key)`,
/// giving its name and key. The key id must be the one of the name and key,
/// and the key must not be a weak (small-order) point, under which
/// signatures can be forged.
pub fn parse_vkey(text: &str) -> Result<(String, VerifyingKey), NoteError> {
    let (name, rest) = text.split_once('+').ok_or(NoteError::VkeyShape)?;
    let (id_hex, material) = rest.split_once('+').ok_or(NoteError::VkeyShape)?;
    check_key_name(name)?;
    let found = parse_key_id(id_hex)?;
    let material = b64_strict(material).map_err(|_| NoteError::VkeyBase64)?;
    let (&kind, public) = material.split_first().ok_or(NoteError::VkeyKey)?;
    if kind != ED25519_TYPE {
        return Err(NoteError::VkeyType { found: kind });
    }
    let public: &[u8; 32] = public.try_into().map_err(|_| NoteError::VkeyKey)?;
    let key = VerifyingKey::from_bytes(public).map_err(|_| NoteError::VkeyKey)?;
    if key.is_weak() {
        return Err(NoteError::VkeyKey);
    }
    let expected = key_id(name, &key);
    if found != expected {
        return Err(NoteError::VkeyIdMismatch { found, expected });
    }
    Ok((name.to_owned(), key))
}

/// Eight lowercase hexadecimal digits, as a big-endian `u32`.
fn parse_key_id(text: &str) -> Result<u32, NoteError> {
    let lower_hex = |c: u8| c.is_ascii_digit() || (b'a'..=b'f').contains(&c);
    if text.len() != 8 || !text.bytes().all(lower_hex) {
        return Err(NoteError::VkeyId);
    }
    u32::from_str_radix(text, 16).map_err(|_| NoteError::VkeyId)
}

/// A key name: non-empty, no Unicode white space, no `+`, no control
/// character (the note as a whole refuses those).
fn check_key_name(name: &str) -> Result<(), NoteError> {
    let bad = |c: char| c.is_whitespace() || c == '+' || c < ' ';
    if name.is_empty() || name.chars().any(bad) {
        return Err(NoteError::KeyName {
            name: name.to_owned(),
        });
    }
    Ok(())
}

/// Refuses the ASCII control characters other than newline.
fn check_controls(text: &str) -> Result<(), NoteError> {
    match text.bytes().position(|b| b < 0x20 && b != b'\n') {
        Some(offset) => Err(NoteError::ControlCharacter {
            byte: text.as_bytes()[offset],
            offset,
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::hex32;

    /// The verifier key of signed-note.md's example.
    const SPEC_VKEY: &str = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
    /// signed-note.md's example note, verified by [`SPEC_VKEY`].
    const SPEC_NOTE: &str = "This is an example message.\n\n\u{2014} example.com/foo \
        Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";
    /// signed-note.md's opening example: a text with blank lines, signed by
    /// a key that is not published.
    const SPEC_POEM: &str = "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\n\
        ed è subito sera.\n\n\u{2014} quasimodo.example/salvatore \
        NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n";

    /// golang.org/x/mod/sumdb/note's test vectors (note_test.go).
    const PETER_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    const PETER_SKEY_MATERIAL: &str = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    const ENOCH_VKEY: &str = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
    const GO_TEXT: &str = "If you think cryptography is the answer to your problem,\n\
        then you don't know what your problem is.\n";
    const PETER_SIG: &str = "\u{2014} PeterNeumann \
        x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
    const ENOCH_SIG: &str = "\u{2014} EnochRoot \
        rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

    /// RFC 8032, section 7.1, test 1: the seed and its public key.
    const RFC8032_SEED: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
    const RFC8032_PUBLIC: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    const ORIGIN: &str = "example.com/ackreg-test";

    fn test_key() -> SigningKey {
        SigningKey::from_bytes(&hex32(RFC8032_SEED).unwrap())
    }

    fn other_key() -> SigningKey {
        SigningKey::from_bytes(&[7u8; 32])
    }

    fn peter_key() -> SigningKey {
        let material = b64_strict(PETER_SKEY_MATERIAL).unwrap();
        assert_eq!(material[0], ED25519_TYPE);
        SigningKey::from_bytes(&material[1..].try_into().unwrap())
    }

    fn parse_str(note: &str) -> Result<SignedNote, NoteError> {
        SignedNote::parse(note.as_bytes())
    }

    #[test]
    fn spec_example_verifies() {
        let (name, key) = parse_vkey(SPEC_VKEY).unwrap();
        assert_eq!(name, "example.com/foo");
        assert_eq!(key_id(&name, &key), 0x530d903a);
        assert_eq!(vkey(&name, &key), SPEC_VKEY);
        let note = parse_str(SPEC_NOTE).unwrap();
        assert_eq!(note.text(), "This is an example message.\n");
        assert_eq!(note.signatures().len(), 1);
        assert_eq!(note.signatures()[0].key_id, 0x530d903a);
        assert_eq!(note.signatures()[0].signature.len(), 64);
        note.verify(&name, &key).unwrap();
        assert_eq!(note.to_bytes(), SPEC_NOTE.as_bytes());
    }

    #[test]
    fn spec_poem_parses_and_its_unknown_key_is_ignored() {
        let note = parse_str(SPEC_POEM).unwrap();
        // The last blank line separates: the text keeps its own blank line.
        assert_eq!(
            note.text(),
            "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\n\
             ed è subito sera.\n"
        );
        assert_eq!(note.signatures()[0].name, "quasimodo.example/salvatore");
        assert_eq!(note.to_bytes(), SPEC_POEM.as_bytes());
        let (name, key) = parse_vkey(SPEC_VKEY).unwrap();
        assert_eq!(
            note.verify(&name, &key),
            Err(NoteError::NotSigned { name: name.clone() })
        );
        // Same name as the signature, another key: its id differs, ignored.
        let stranger = test_key().verifying_key();
        assert_eq!(
            note.verify("quasimodo.example/salvatore", &stranger),
            Err(NoteError::NotSigned {
                name: "quasimodo.example/salvatore".into()
            })
        );
    }

    #[test]
    fn go_sumdb_vectors_sign_and_verify() {
        let (peter, peter_vk) = parse_vkey(PETER_VKEY).unwrap();
        let (enoch, enoch_vk) = parse_vkey(ENOCH_VKEY).unwrap();
        assert_eq!(key_id(&peter, &peter_vk), 0xc74f20a3);
        assert_eq!(peter_key().verifying_key(), peter_vk);
        // Go's TestSign: the same bytes, signature included.
        let signed = SignedNote::sign(GO_TEXT, "PeterNeumann", &peter_key()).unwrap();
        let want = format!("{GO_TEXT}\n{PETER_SIG}");
        assert_eq!(String::from_utf8(signed.to_bytes()).unwrap(), want);
        // Go's TestOpen: two signatures, each verifies, each ignored by the other.
        let both = parse_str(&format!("{GO_TEXT}\n{PETER_SIG}{ENOCH_SIG}")).unwrap();
        both.verify(&peter, &peter_vk).unwrap();
        both.verify(&enoch, &enoch_vk).unwrap();
        let only_enoch = parse_str(&format!("{GO_TEXT}\n{ENOCH_SIG}")).unwrap();
        assert_eq!(
            only_enoch.verify(&peter, &peter_vk),
            Err(NoteError::NotSigned {
                name: peter.clone()
            })
        );
        // Go's "invalid signature": four characters inserted in the base64.
        let broken = format!("{}ABCD{}", &PETER_SIG[..60], &PETER_SIG[60..]);
        let broken = parse_str(&format!("{GO_TEXT}\n{broken}")).unwrap();
        assert_eq!(
            broken.verify(&peter, &peter_vk),
            Err(NoteError::BadSignature {
                name: peter.clone()
            })
        );
    }

    #[test]
    fn go_sumdb_malformed_notes_are_refused() {
        let t = GO_TEXT;
        let cases: Vec<(String, NoteError)> = vec![
            (t.to_string(), NoteError::NoBlankLine),
            (format!("{t}\n"), NoteError::NoSignatures),
            (
                format!("{t}\n{}", &PETER_SIG[..PETER_SIG.len() - 1]),
                NoteError::UnterminatedSignature,
            ),
            (
                format!("\x01{t}\n{PETER_SIG}"),
                NoteError::ControlCharacter { byte: 1, offset: 0 },
            ),
            (
                format!("{t}\n\u{2014} Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"),
                NoteError::SignatureBase64 { line: 1 },
            ),
            (
                format!("{t}\n{PETER_SIG}Unexpected line.\n"),
                NoteError::SignaturePrefix { line: 2 },
            ),
            (
                format!("{t}\n{}", PETER_SIG.repeat(MAX_SIGNATURES + 1)),
                NoteError::TooManySignatures,
            ),
        ];
        for (note, want) in cases {
            assert_eq!(parse_str(&note), Err(want), "{note:?}");
        }
        let mut bytes = format!("{t}\n{PETER_SIG}").into_bytes();
        bytes.insert(0, 0xff);
        assert_eq!(SignedNote::parse(&bytes), Err(NoteError::NotUtf8));
        // The limit itself is accepted, and duplicates are kept.
        let many = parse_str(&format!("{t}\n{}", PETER_SIG.repeat(MAX_SIGNATURES))).unwrap();
        assert_eq!(many.signatures().len(), MAX_SIGNATURES);
        let (peter, peter_vk) = parse_vkey(PETER_VKEY).unwrap();
        many.verify(&peter, &peter_vk).unwrap();
    }

    #[test]
    fn pinned_test_key_and_round_trip() {
        let key = test_key();
        let public = key.verifying_key();
        assert_eq!(public.to_bytes(), hex32(RFC8032_PUBLIC).unwrap());
        assert_eq!(key_id(ORIGIN, &public), 0x9cacd8f7);
        let vk = vkey(ORIGIN, &public);
        assert_eq!(
            format!("{vk}\n"),
            include_str!("../tests/vectors/note/ackreg-test.vkey")
        );
        assert_eq!(parse_vkey(&vk).unwrap(), (ORIGIN.to_string(), public));
        let note = SignedNote::sign("hello\n\nworld\n", ORIGIN, &key).unwrap();
        let bytes = note.to_bytes();
        assert!(bytes
            .starts_with("hello\n\nworld\n\n\u{2014} example.com/ackreg-test nKzY9".as_bytes()));
        let back = SignedNote::parse(&bytes).unwrap();
        assert_eq!(back, note);
        assert_eq!(back.to_bytes(), bytes);
        back.verify(ORIGIN, &public).unwrap();
    }

    /// A well-formed signature (of no particular text).
    const SIG: &str = "nKzY9ynS3dl0KLtCpNKawh0KuccmEa1CoO1qj1zu2e56+YzMdN0ZLPwBsQkw7sWtJJTr2jhV2kgidkHh0zjz9DhCCQs=";

    #[test]
    fn malformed_signature_lines_are_refused_by_name() {
        use NoteError as E;
        let base64 = |line| E::SignatureBase64 { line };
        let cases: Vec<(String, NoteError)> = vec![
            (format!("- a {SIG}"), E::SignaturePrefix { line: 1 }),
            (format!("\u{2013} a {SIG}"), E::SignaturePrefix { line: 1 }),
            (format!("\u{2014}a {SIG}"), E::SignaturePrefix { line: 1 }),
            (format!("\u{2014} a{SIG}"), E::SignatureShape { line: 1 }),
            (format!("\u{2014}  {SIG}"), E::KeyName { name: "".into() }),
            (
                format!("\u{2014} a+b {SIG}"),
                E::KeyName { name: "a+b".into() },
            ),
            (
                format!("\u{2014} a\u{a0}b {SIG}"),
                E::KeyName {
                    name: "a\u{a0}b".into(),
                },
            ),
            (format!("\u{2014} a {SIG} "), base64(1)),
            ("\u{2014} a !!!!".into(), base64(1)),
            // Unpadded, non-zero trailing bits, URL-safe alphabet.
            ("\u{2014} a AAAAAA".into(), base64(1)),
            ("\u{2014} a AAAAAB==".into(), base64(1)),
            ("\u{2014} a ____AA==".into(), base64(1)),
            (format!("\u{2014} a {SIG}\n\u{2014} b AAAAAA"), base64(2)),
            (
                "\u{2014} a ".into(),
                E::SignatureTooShort { line: 1, len: 0 },
            ),
            (
                "\u{2014} a AAAA".into(),
                E::SignatureTooShort { line: 1, len: 3 },
            ),
        ];
        for (line, want) in cases {
            let note = format!("text\n\n{line}\n");
            assert_eq!(parse_str(&note), Err(want), "{note:?}");
        }
    }

    #[test]
    fn malformed_notes_are_refused_by_name() {
        use NoteError as E;
        let control = |byte, offset| E::ControlCharacter { byte, offset };
        let cases: Vec<(String, NoteError)> = vec![
            (format!("text\n\u{2014} a {SIG}\n"), E::NoBlankLine),
            ("".into(), E::NoBlankLine),
            ("\n\n".into(), E::NoSignatures),
            (format!("te\txt\n\n\u{2014} a {SIG}\n"), control(9, 2)),
            (
                format!("text\r\n\r\n\u{2014} a {SIG}\r\n"),
                control(0x0d, 4),
            ),
            (
                format!("text\n\n\u{2014} a {SIG}\n\u{2014} b\x1b[31m {SIG}\n"),
                control(0x1b, 110),
            ),
        ];
        for (note, want) in cases {
            assert_eq!(parse_str(&note), Err(want), "{note:?}");
        }
        let big = format!("{}\n\n\u{2014} a {SIG}\n", "x".repeat(MAX_NOTE_SIZE));
        assert_eq!(parse_str(&big), Err(NoteError::TooLarge));
    }

    #[test]
    fn what_the_spec_allows_is_accepted() {
        // A four-byte signature (4 + n bytes, n = 0) from an unknown key.
        let note = parse_str("text\n\n\u{2014} a AAAAAA==\n").unwrap();
        assert_eq!(note.signatures()[0].signature, Vec::<u8>::new());
        // DEL and non-ASCII are not ASCII control characters; "—" in a name.
        let note = parse_str("t\u{7f}\u{85}é\n\n\u{2014} \u{2014}x/y\u{7f} AAAAAA==\n").unwrap();
        assert_eq!(note.signatures()[0].name, "\u{2014}x/y\u{7f}");
        // The last blank line separates: a signature-like line in the text.
        let sig = SignedNote::sign("x\n", "a", &test_key())
            .unwrap()
            .to_bytes();
        let sig = std::str::from_utf8(&sig[3..]).unwrap();
        let note = parse_str(&format!("text\n\n{sig}\n{sig}")).unwrap();
        assert_eq!(note.text(), format!("text\n\n{sig}"));
        assert_eq!(note.signatures().len(), 1);
        // A text that is only a newline, and one ending in a blank line.
        for text in ["\n", "a\n\n", "a\n\n\n"] {
            let note = SignedNote::sign(text, "a", &test_key()).unwrap();
            let back = SignedNote::parse(&note.to_bytes()).unwrap();
            assert_eq!(back.text(), text);
            back.verify("a", &test_key().verifying_key()).unwrap();
        }
    }

    #[test]
    fn verification_failures_are_named() {
        let key = test_key();
        let public = key.verifying_key();
        let note = SignedNote::sign("text\n", ORIGIN, &key).unwrap();
        let not_signed = |name: &str| Err(NoteError::NotSigned { name: name.into() });
        let bad = Err(NoteError::BadSignature {
            name: ORIGIN.into(),
        });
        // Wrong key: another key id, so no signature is the key's.
        assert_eq!(
            note.verify(ORIGIN, &other_key().verifying_key()),
            not_signed(ORIGIN)
        );
        // Wrong name: another name and another key id.
        assert_eq!(
            note.verify("example.com/other", &public),
            not_signed("example.com/other")
        );
        // Tampered text.
        let bytes = note.to_bytes();
        let tampered = String::from_utf8(bytes.clone())
            .unwrap()
            .replacen("text", "test", 1);
        assert_eq!(parse_str(&tampered).unwrap().verify(ORIGIN, &public), bad);
        // Tampered signature, and a signature of the wrong length.
        let mut forged = note.clone();
        forged.signatures[0].signature[10] ^= 1;
        assert_eq!(
            SignedNote::parse(&forged.to_bytes())
                .unwrap()
                .verify(ORIGIN, &public),
            bad
        );
        forged.signatures[0].signature.truncate(63);
        assert_eq!(
            SignedNote::parse(&forged.to_bytes())
                .unwrap()
                .verify(ORIGIN, &public),
            bad
        );
        // A good signature beside a bad one with the same name and id fails.
        let mut both = note.clone();
        let mut wrong = note.signatures[0].clone();
        wrong.signature[0] ^= 1;
        both.signatures.push(wrong);
        assert_eq!(
            SignedNote::parse(&both.to_bytes())
                .unwrap()
                .verify(ORIGIN, &public),
            bad
        );
    }

    #[test]
    fn signing_refuses_what_parsing_would() {
        let key = test_key();
        assert_eq!(
            SignedNote::sign("no newline", "a", &key),
            Err(NoteError::TextEnd)
        );
        assert_eq!(SignedNote::sign("", "a", &key), Err(NoteError::TextEnd));
        assert_eq!(
            SignedNote::sign("a\rb\n", "a", &key),
            Err(NoteError::ControlCharacter {
                byte: 0x0d,
                offset: 1
            })
        );
        for name in ["", "a b", "a+b", "a\tb", "a\u{2003}b", "a\nb"] {
            assert_eq!(
                SignedNote::sign("x\n", name, &key),
                Err(NoteError::KeyName { name: name.into() })
            );
        }
        let huge = "x".repeat(MAX_NOTE_SIZE) + "\n";
        assert_eq!(SignedNote::sign(&huge, "a", &key), Err(NoteError::TooLarge));
    }

    #[test]
    fn add_signature_appends_and_replaces() {
        let (a, b) = (test_key(), other_key());
        let mut note = SignedNote::sign("text\n", "log", &a).unwrap();
        note.add_signature("witness", &b).unwrap();
        assert_eq!(note.signatures().len(), 2);
        let back = SignedNote::parse(&note.to_bytes()).unwrap();
        back.verify("log", &a.verifying_key()).unwrap();
        back.verify("witness", &b.verifying_key()).unwrap();
        // Signing again with the same name and key replaces, at the end.
        note.add_signature("log", &a).unwrap();
        let names: Vec<&str> = note.signatures().iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["witness", "log"]);
        assert_eq!(
            note.add_signature("bad name", &a),
            Err(NoteError::KeyName {
                name: "bad name".into()
            })
        );
        assert_eq!(note.signatures().len(), 2);
    }

    #[test]
    fn vkey_manglings_are_refused() {
        // Go's TestNewVerifier: every proper substring and every one-byte
        // change of a good vkey is refused.
        let good = PETER_VKEY.as_bytes();
        for i in 0..=good.len() {
            for j in i + 1..=good.len() {
                if (i, j) != (0, good.len()) {
                    let part = std::str::from_utf8(&good[i..j]).unwrap();
                    assert!(parse_vkey(part).is_err(), "{part}");
                }
            }
        }
        for i in 0..good.len() {
            let mut b = good.to_vec();
            b[i] += 1;
            assert!(parse_vkey(std::str::from_utf8(&b).unwrap()).is_err());
        }
    }

    #[test]
    fn vkey_errors_are_named() {
        let key = test_key().verifying_key();
        let with = |kind: u8, public: &[u8], name: &str| {
            let mut material = vec![kind];
            material.extend_from_slice(public);
            let id = {
                let mut h = Sha256::new();
                h.update(name.as_bytes());
                h.update([b'\n', kind]);
                h.update(public);
                h.finalize()
            };
            format!(
                "{name}+{}+{}",
                crate::encoding::hex(&id[..4]),
                b64(&material)
            )
        };
        let cases = [
            ("nokey".to_string(), NoteError::VkeyShape),
            ("a+9cacd8f7".to_string(), NoteError::VkeyShape),
            (
                vkey("a", &key).replace("a+", "a b+"),
                NoteError::KeyName { name: "a b".into() },
            ),
            (
                vkey(ORIGIN, &key)
                    .to_uppercase()
                    .replace("EXAMPLE.COM/ACKREG-TEST", ORIGIN),
                NoteError::VkeyId,
            ),
            (
                format!("{ORIGIN}+9cacd8f+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea"),
                NoteError::VkeyId,
            ),
            (
                format!("{ORIGIN}+9cacd8f7+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1E"),
                NoteError::VkeyBase64,
            ),
            (format!("{ORIGIN}+9cacd8f7+"), NoteError::VkeyKey),
            (
                with(0x04, key.as_bytes(), "w"),
                NoteError::VkeyType { found: 4 },
            ),
            (with(0x01, &key.as_bytes()[..31], "w"), NoteError::VkeyKey),
            // The identity point: small order, every signature forgeable.
            (
                with(0x01, &hex32(&format!("01{}", "0".repeat(62))).unwrap(), "w"),
                NoteError::VkeyKey,
            ),
            (
                format!("{ORIGIN}+9cacd8f8+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea"),
                NoteError::VkeyIdMismatch {
                    found: 0x9cacd8f8,
                    expected: 0x9cacd8f7,
                },
            ),
        ];
        for (text, want) in cases {
            assert_eq!(parse_vkey(&text).map(|_| ()), Err(want), "{text}");
        }
        let witness = include_str!("../tests/vectors/note/witness-test.vkey");
        assert_eq!(
            parse_vkey(witness.trim_end()).map(|_| ()),
            Err(NoteError::VkeyType { found: 4 })
        );
    }

    #[test]
    fn damaged_notes_never_panic_and_round_trip_when_read() {
        let note = SignedNote::sign("origin\n5\nroot\n", ORIGIN, &test_key()).unwrap();
        let mut bytes = note.to_bytes();
        // And an unknown key's signature line.
        let poem_signature = SPEC_POEM.rsplit_once("\n\n").unwrap().1;
        bytes.extend_from_slice(poem_signature.as_bytes());
        let check = |b: &[u8]| {
            if let Ok(n) = SignedNote::parse(b) {
                assert_eq!(n.to_bytes(), b);
            }
        };
        check(&bytes);
        assert!(SignedNote::parse(&bytes).is_ok());
        for i in 0..bytes.len() {
            check(&bytes[..i]);
            for v in [b'\n', b' ', b'+', b'A', 0x00, 0x80, 0xff, bytes[i] ^ 1] {
                let mut b = bytes.clone();
                b[i] = v;
                check(&b);
            }
        }
    }
}
