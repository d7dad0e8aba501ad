//! C2SP checkpoints (<https://c2sp.org/tlog-checkpoint>): the signed head
//! of the log.
//!
//! A checkpoint names the log (its origin), the number of entries and the
//! Merkle root over them, and is signed as a C2SP signed note by the log's
//! key, whose key name is the origin. Because it is the standard format,
//! witnesses and other verifiers can check and cosign it; their signature
//! lines are kept when this crate reads and writes a checkpoint, and ignored
//! when it verifies the log's own signature.

use ed25519_dalek::{Signature, SigningKey, VerifyingKey};

use crate::encoding::{b64, b64_strict};
use crate::note::{NoteError, SignedNote};

/// A checkpoint text that cannot be read, or a signed checkpoint that does
/// not verify.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CheckpointError {
    /// The text does not end with a newline.
    #[error("the checkpoint text does not end with a newline")]
    TextEnd,
    /// Fewer than the three lines origin, size and root hash.
    #[error("the checkpoint has fewer than three lines (origin, tree size, root hash)")]
    TooFewLines,
    /// An empty origin line.
    #[error("the checkpoint's origin is empty")]
    EmptyOrigin,
    /// A field holding a newline or another ASCII control character (only
    /// possible in a [`Checkpoint`] built in code).
    #[error("the checkpoint's {field} contains a control character")]
    ControlCharacter {
        /// `origin` or `extension line N`.
        field: String,
    },
    /// A tree size that is not a decimal `u64` without leading zeros.
    #[error("invalid tree size: {0}")]
    Size(DecimalError),
    /// A root hash that is not canonical standard base64.
    #[error("the root hash is not canonical standard base64")]
    RootBase64,
    /// A root hash of another length than SHA-256's.
    #[error("the root hash has {len} bytes, not 32")]
    RootLength {
        /// The decoded length.
        len: usize,
    },
    /// An empty extension line.
    #[error("extension line {line} is empty")]
    EmptyExtension {
        /// The extension line's number, from 1.
        line: usize,
    },
    /// The signed note around the checkpoint.
    #[error(transparent)]
    Note(#[from] NoteError),
    /// A [`SignedCheckpoint`] whose `checkpoint` is not its note's text.
    #[error("the checkpoint's fields differ from its signed text")]
    Mismatch,
}

impl crate::Hint for CheckpointError {
    fn hint(&self) -> Option<String> {
        match self {
            CheckpointError::Note(e) => crate::Hint::hint(e),
            CheckpointError::Mismatch => {
                Some("make the signed checkpoint again with SignedCheckpoint::sign".into())
            }
            _ => Some(
                "a checkpoint's text is three lines: the origin, the tree size in decimal, \
                 and the root hash in base64; pass the file unchanged"
                    .into(),
            ),
        }
    }
}

/// A decimal number that is not a canonical `u64` (tree sizes and indexes).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DecimalError {
    /// Empty, or something other than the digits 0 to 9 (a sign, a space).
    #[error("not a decimal number")]
    NotDigits,
    /// A leading zero (only `0` itself may start with one).
    #[error("a leading zero")]
    LeadingZero,
    /// Larger than 2^64 - 1.
    #[error("larger than 2^64 - 1")]
    TooLarge,
}

impl crate::Hint for DecimalError {}

/// Reads an ASCII decimal `u64` without sign or leading zeros.
pub fn parse_decimal(text: &str) -> Result<u64, DecimalError> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(DecimalError::NotDigits);
    }
    if text.len() > 1 && text.starts_with('0') {
        return Err(DecimalError::LeadingZero);
    }
    text.parse().map_err(|_| DecimalError::TooLarge)
}

/// The text of a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's identity, for example `example.com/log`; also the key name
    /// of the log's signature.
    pub origin: String,
    /// The number of entries in the tree.
    pub size: u64,
    /// The RFC 6962 Merkle tree hash of those entries.
    pub root: [u8; 32],
    /// Extension lines, opaque, each non-empty (their use is not
    /// recommended: monitors cannot audit them).
    pub extensions: Vec<String>,
}

impl Checkpoint {
    /// The checkpoint's note text: origin, size, base64 root hash, then the
    /// extension lines, each line ending with a newline.
    pub fn to_text(&self) -> String {
        let mut text = format!("{}\n{}\n{}\n", self.origin, self.size, b64(&self.root));
        for line in &self.extensions {
            text.push_str(line);
            text.push('\n');
        }
        text
    }

    /// Reads a checkpoint's note text strictly: a non-empty origin; the
    /// size in decimal without leading zeros; the root hash as canonical
    /// base64 of 32 bytes; non-empty extension lines; a final newline; no
    /// control character other than newline.
    pub fn from_text(text: &str) -> Result<Self, CheckpointError> {
        let body = text.strip_suffix('\n').ok_or(CheckpointError::TextEnd)?;
        let mut lines = body.split('\n');
        let (Some(origin), Some(size), Some(root)) = (lines.next(), lines.next(), lines.next())
        else {
            return Err(CheckpointError::TooFewLines);
        };
        let checkpoint = Checkpoint {
            origin: origin.to_owned(),
            size: parse_decimal(size).map_err(CheckpointError::Size)?,
            root: parse_root(root)?,
            extensions: lines.map(str::to_owned).collect(),
        };
        checkpoint.check()?;
        Ok(checkpoint)
    }

    /// Checks the fields that [`Checkpoint::to_text`] writes as they are:
    /// origin and extension lines non-empty, without newline or other
    /// control characters, so that the text reads back as `self`.
    pub fn check(&self) -> Result<(), CheckpointError> {
        let has_control = |s: &str| s.bytes().any(|b| b < 0x20);
        if self.origin.is_empty() {
            return Err(CheckpointError::EmptyOrigin);
        }
        if has_control(&self.origin) {
            return Err(CheckpointError::ControlCharacter {
                field: "origin".into(),
            });
        }
        for (i, line) in self.extensions.iter().enumerate() {
            if line.is_empty() {
                return Err(CheckpointError::EmptyExtension { line: i + 1 });
            }
            if has_control(line) {
                return Err(CheckpointError::ControlCharacter {
                    field: format!("extension line {}", i + 1),
                });
            }
        }
        Ok(())
    }
}

/// Canonical standard base64 of exactly 32 bytes.
fn parse_root(text: &str) -> Result<[u8; 32], CheckpointError> {
    let raw = b64_strict(text).map_err(|_| CheckpointError::RootBase64)?;
    <[u8; 32]>::try_from(raw.as_slice()).map_err(|_| CheckpointError::RootLength { len: raw.len() })
}

/// A checkpoint with its signed note: the log's signature and any others
/// (witness cosignatures, other keys), kept in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCheckpoint {
    /// The checkpoint, as read from the note's text.
    pub checkpoint: Checkpoint,
    /// The signed note whose text is the checkpoint's.
    pub note: SignedNote,
}

impl SignedCheckpoint {
    /// Signs `checkpoint` with the log's key, under the key name that is
    /// its origin. The origin must be a valid key name (non-empty, no
    /// spaces, no `+`).
    pub fn sign(checkpoint: Checkpoint, key: &SigningKey) -> Result<Self, CheckpointError> {
        checkpoint.check()?;
        let note = SignedNote::sign(&checkpoint.to_text(), &checkpoint.origin, key)?;
        Ok(SignedCheckpoint { checkpoint, note })
    }

    /// Reads a signed checkpoint strictly (see [`SignedNote::parse`] and
    /// [`Checkpoint::from_text`]). No signature is verified here.
    pub fn parse(bytes: &[u8]) -> Result<Self, CheckpointError> {
        let note = SignedNote::parse(bytes)?;
        let checkpoint = Checkpoint::from_text(note.text())?;
        Ok(SignedCheckpoint { checkpoint, note })
    }

    /// The signed checkpoint's bytes, every signature line included.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.note.to_bytes()
    }

    /// Verifies the log's signature.
    ///
    /// 1. `checkpoint` must be what the note's text says (it can differ
    ///    only if the public field was changed after reading or signing).
    /// 2. The note must carry a signature by `key` under the key name that
    ///    is the origin, and every such signature must verify; signatures
    ///    by other keys are ignored.
    pub fn verify(&self, key: &VerifyingKey) -> Result<(), CheckpointError> {
        // Step 1.
        self.check_text()?;
        // Step 2.
        self.note.verify(&self.checkpoint.origin, key)?;
        Ok(())
    }

    /// [`SignedCheckpoint::verify`] but for verifying the signatures: step
    /// 1, and the signatures by `key` that step 2 verifies over the note's
    /// text ([`SignedNote::signatures_by`]), for a caller that verifies
    /// many checkpoints' signatures at once (an audit of a log that keeps
    /// one per commit).
    pub fn signatures_by(&self, key: &VerifyingKey) -> Result<Vec<Signature>, CheckpointError> {
        self.check_text()?;
        Ok(self.note.signatures_by(&self.checkpoint.origin, key)?)
    }

    fn check_text(&self) -> Result<(), CheckpointError> {
        if Checkpoint::from_text(self.note.text()).ok().as_ref() != Some(&self.checkpoint) {
            return Err(CheckpointError::Mismatch);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::hex32;

    /// tlog-checkpoint.md's example, signed by a key that is not published.
    const SPEC_CHECKPOINT: &str = "example.com/behind-the-sofa\n20852163\n\
        CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n\u{2014} example.com/behind-the-sofa \
        Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n";
    const ORIGIN: &str = "example.com/ackreg-test";
    /// A root written in text: the RFC 6962 root of "entry 0" .. "entry 4".
    const ROOT5: &str = "fKo0Xb2JKmZFTWxlEuo8PqPw0+whvj/C4jdXBf049nI=";
    const PINNED: &[u8] = include_bytes!("../tests/vectors/note/checkpoint-5.note");
    const COSIGNED: &[u8] = include_bytes!("../tests/vectors/note/checkpoint-5-cosigned.note");

    /// RFC 8032, section 7.1, test 1.
    fn test_key() -> SigningKey {
        let seed = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
        SigningKey::from_bytes(&hex32(seed).unwrap())
    }

    fn checkpoint5() -> Checkpoint {
        Checkpoint {
            origin: ORIGIN.into(),
            size: 5,
            root: b64_strict(ROOT5).unwrap().try_into().unwrap(),
            extensions: vec![],
        }
    }

    fn text(origin: &str, size: &str, root: &str) -> String {
        format!("{origin}\n{size}\n{root}\n")
    }

    #[test]
    fn spec_example_parses_and_its_unknown_key_is_ignored() {
        let signed = SignedCheckpoint::parse(SPEC_CHECKPOINT.as_bytes()).unwrap();
        let c = &signed.checkpoint;
        assert_eq!(c.origin, "example.com/behind-the-sofa");
        assert_eq!(c.size, 20852163);
        assert_eq!(b64(&c.root), "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=");
        assert!(c.extensions.is_empty());
        assert_eq!(signed.to_bytes(), SPEC_CHECKPOINT.as_bytes());
        assert_eq!(
            signed.verify(&test_key().verifying_key()),
            Err(CheckpointError::Note(NoteError::NotSigned {
                name: "example.com/behind-the-sofa".into()
            }))
        );
    }

    #[test]
    fn pinned_signed_checkpoint() {
        let key = test_key();
        let signed = SignedCheckpoint::sign(checkpoint5(), &key).unwrap();
        assert_eq!(signed.to_bytes(), PINNED);
        let read = SignedCheckpoint::parse(PINNED).unwrap();
        assert_eq!(read, signed);
        read.verify(&key.verifying_key()).unwrap();
        let empty = Checkpoint {
            origin: ORIGIN.into(),
            size: 0,
            root: hex32("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
                .unwrap(),
            extensions: vec![],
        };
        assert_eq!(
            empty.to_text(),
            "example.com/ackreg-test\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"
        );
    }

    #[test]
    fn cosignatures_are_kept_and_ignored() {
        let read = SignedCheckpoint::parse(COSIGNED).unwrap();
        assert_eq!(read.checkpoint, checkpoint5());
        let names: Vec<&str> = read
            .note
            .signatures()
            .iter()
            .map(|s| s.name.as_str())
            .collect();
        assert_eq!(names, [ORIGIN, "witness.example/ackreg-test-witness"]);
        assert_eq!(read.to_bytes(), COSIGNED);
        read.verify(&test_key().verifying_key()).unwrap();
        // The log's own signature is the same with and without the witness.
        assert_eq!(
            read.note.signatures()[0],
            SignedCheckpoint::parse(PINNED).unwrap().note.signatures()[0]
        );
    }

    #[test]
    fn text_round_trips_with_extensions() {
        let mut c = checkpoint5();
        c.extensions = vec!["ext one".into(), "— two +".into()];
        let t = c.to_text();
        assert!(t.ends_with("nI=\next one\n— two +\n"));
        assert_eq!(Checkpoint::from_text(&t).unwrap(), c);
        let signed = SignedCheckpoint::sign(c.clone(), &test_key()).unwrap();
        let back = SignedCheckpoint::parse(&signed.to_bytes()).unwrap();
        assert_eq!(back.checkpoint, c);
        back.verify(&test_key().verifying_key()).unwrap();
        // Extremes of the size, and an origin that is not a key name.
        for size in ["0", "1", "18446744073709551615"] {
            let c = Checkpoint::from_text(&text("a b+c", size, ROOT5)).unwrap();
            assert_eq!(c.size.to_string(), size);
        }
    }

    #[test]
    fn malformed_texts_are_refused_by_name() {
        use CheckpointError as E;
        let cases = [
            (
                text(ORIGIN, "05", ROOT5),
                E::Size(DecimalError::LeadingZero),
            ),
            (
                text(ORIGIN, "00", ROOT5),
                E::Size(DecimalError::LeadingZero),
            ),
            (text(ORIGIN, "+5", ROOT5), E::Size(DecimalError::NotDigits)),
            (text(ORIGIN, "-1", ROOT5), E::Size(DecimalError::NotDigits)),
            (text(ORIGIN, " 5", ROOT5), E::Size(DecimalError::NotDigits)),
            (text(ORIGIN, "5 ", ROOT5), E::Size(DecimalError::NotDigits)),
            (text(ORIGIN, "", ROOT5), E::Size(DecimalError::NotDigits)),
            (
                text(ORIGIN, "5\u{661}", ROOT5),
                E::Size(DecimalError::NotDigits),
            ),
            (text(ORIGIN, "0x5", ROOT5), E::Size(DecimalError::NotDigits)),
            (
                text(ORIGIN, "18446744073709551616", ROOT5),
                E::Size(DecimalError::TooLarge),
            ),
            // Non-zero trailing bits, no padding, URL-safe alphabet.
            (
                text(ORIGIN, "5", "fKo0Xb2JKmZFTWxlEuo8PqPw0+whvj/C4jdXBf049nJ="),
                E::RootBase64,
            ),
            (
                text(ORIGIN, "5", "fKo0Xb2JKmZFTWxlEuo8PqPw0+whvj/C4jdXBf049nI"),
                E::RootBase64,
            ),
            (
                text(ORIGIN, "5", "fKo0Xb2JKmZFTWxlEuo8PqPw0-whvj_C4jdXBf049nI="),
                E::RootBase64,
            ),
            (text(ORIGIN, "5", &format!(" {ROOT5}")), E::RootBase64),
            (text(ORIGIN, "5", &b64(&[0; 31])), E::RootLength { len: 31 }),
            (text(ORIGIN, "5", &b64(&[0; 33])), E::RootLength { len: 33 }),
            (text("", "5", ROOT5), E::EmptyOrigin),
            (text(ORIGIN, "5", ROOT5).trim_end().to_string(), E::TextEnd),
            (format!("{ORIGIN}\n5\n"), E::TooFewLines),
            (String::new(), E::TextEnd),
            (
                format!("{}ext\n\n", text(ORIGIN, "5", ROOT5)),
                E::EmptyExtension { line: 2 },
            ),
            (
                format!("{}\n", text(ORIGIN, "5", ROOT5)),
                E::EmptyExtension { line: 1 },
            ),
            (
                text("a\rb", "5", ROOT5),
                E::ControlCharacter {
                    field: "origin".into(),
                },
            ),
        ];
        for (t, want) in cases {
            assert_eq!(Checkpoint::from_text(&t), Err(want), "{t:?}");
        }
    }

    #[test]
    fn malformed_signed_checkpoints_are_refused() {
        let good = String::from_utf8(PINNED.to_vec()).unwrap();
        // The last blank line ends the text: a blank line before it is an
        // empty line of the checkpoint.
        let blank_inside = good.replacen("nI=\n", "nI=\n\next\n", 1);
        assert_eq!(
            SignedCheckpoint::parse(blank_inside.as_bytes()),
            Err(CheckpointError::EmptyExtension { line: 1 })
        );
        let blank_size = good.replacen("\n5\n", "\n\n5\n", 1);
        assert_eq!(
            SignedCheckpoint::parse(blank_size.as_bytes()),
            Err(CheckpointError::Size(DecimalError::NotDigits))
        );
        let padded = good.replacen("\n5\n", "\n05\n", 1);
        assert_eq!(
            SignedCheckpoint::parse(padded.as_bytes()),
            Err(CheckpointError::Size(DecimalError::LeadingZero))
        );
        let crlf = good.replace('\n', "\r\n");
        assert!(matches!(
            SignedCheckpoint::parse(crlf.as_bytes()),
            Err(CheckpointError::Note(NoteError::ControlCharacter {
                byte: 0x0d,
                ..
            }))
        ));
        let dash = good.replace('\u{2014}', "-");
        assert_eq!(
            SignedCheckpoint::parse(dash.as_bytes()),
            Err(CheckpointError::Note(NoteError::SignaturePrefix {
                line: 1
            }))
        );
    }

    #[test]
    fn verification_failures_are_named() {
        let key = test_key();
        let other = SigningKey::from_bytes(&[7; 32]);
        let signed = SignedCheckpoint::parse(PINNED).unwrap();
        let not_signed = Err(CheckpointError::Note(NoteError::NotSigned {
            name: ORIGIN.into(),
        }));
        let bad = Err(CheckpointError::Note(NoteError::BadSignature {
            name: ORIGIN.into(),
        }));
        // Wrong key.
        assert_eq!(signed.verify(&other.verifying_key()), not_signed);
        // Right key, signed under another name than the origin.
        let note = SignedNote::sign(&checkpoint5().to_text(), "example.com/other", &key).unwrap();
        let renamed = SignedCheckpoint::parse(&note.to_bytes()).unwrap();
        assert_eq!(renamed.verify(&key.verifying_key()), not_signed);
        // Tampered size and root.
        let good = String::from_utf8(PINNED.to_vec()).unwrap();
        let bigger = good.replacen("\n5\n", "\n6\n", 1);
        assert_eq!(
            SignedCheckpoint::parse(bigger.as_bytes())
                .unwrap()
                .verify(&key.verifying_key()),
            bad
        );
        let root = good.replacen("fKo0", "fKo1", 1);
        assert_eq!(
            SignedCheckpoint::parse(root.as_bytes())
                .unwrap()
                .verify(&key.verifying_key()),
            bad
        );
        // A field changed after reading no longer matches the signed text.
        let mut changed = signed.clone();
        changed.checkpoint.size = 6;
        assert_eq!(
            changed.verify(&key.verifying_key()),
            Err(CheckpointError::Mismatch)
        );
        assert_eq!(changed.to_bytes(), PINNED);
    }

    #[test]
    fn signing_refuses_bad_fields() {
        let key = test_key();
        let with = |f: &dyn Fn(&mut Checkpoint)| {
            let mut c = checkpoint5();
            f(&mut c);
            SignedCheckpoint::sign(c, &key)
        };
        assert_eq!(
            with(&|c| c.origin.clear()),
            Err(CheckpointError::EmptyOrigin)
        );
        assert_eq!(
            with(&|c| c.origin = "a b".into()),
            Err(CheckpointError::Note(NoteError::KeyName {
                name: "a b".into()
            }))
        );
        assert_eq!(
            with(&|c| c.origin = "a\nb".into()),
            Err(CheckpointError::ControlCharacter {
                field: "origin".into()
            })
        );
        assert_eq!(
            with(&|c| c.extensions = vec!["x".into(), "y\nz".into()]),
            Err(CheckpointError::ControlCharacter {
                field: "extension line 2".into()
            })
        );
        assert_eq!(
            with(&|c| c.extensions = vec![String::new()]),
            Err(CheckpointError::EmptyExtension { line: 1 })
        );
    }

    #[test]
    fn damaged_checkpoints_never_panic_and_round_trip_when_read() {
        for bytes in [PINNED, COSIGNED] {
            let check = |b: &[u8]| {
                if let Ok(c) = SignedCheckpoint::parse(b) {
                    assert_eq!(c.to_bytes(), b);
                    assert_eq!(
                        Checkpoint::from_text(&c.checkpoint.to_text()).unwrap(),
                        c.checkpoint
                    );
                }
            };
            for i in 0..bytes.len() {
                check(&bytes[..i]);
                for v in [b'\n', b'0', b'=', 0x00, 0xff, bytes[i] ^ 1] {
                    let mut b = bytes.to_vec();
                    b[i] = v;
                    check(&b);
                }
            }
        }
    }
}
