//! C2SP transparency log proofs (<https://c2sp.org/tlog-proof>), the
//! receipt that an entry is in the log.
//!
//! A proof is a self-contained text file: the header
//! `c2sp.org/tlog-proof@v1`, optional opaque extra data (for a log of files, the
//! entry's bytes), the entry's index, its Merkle inclusion proof, a blank
//! line, and the log's signed checkpoint verbatim. Anyone holding the log's
//! verifier key can check it offline with any C2SP implementation.
//!
//! This module only reads and writes the format. Checking the inclusion
//! proof against the checkpoint's root is the Merkle module's job, and
//! checking the checkpoint's signature is [`SignedCheckpoint::verify`]'s.

use crate::checkpoint::{parse_decimal, CheckpointError, DecimalError, SignedCheckpoint};
use crate::encoding::{b64, b64_strict};

/// The first line of every proof.
pub const HEADER: &str = "c2sp.org/tlog-proof@v1";

/// The largest proof read, in bytes: room for extra data of several
/// hundred kilobytes beside the checkpoint (at most
/// [`crate::note::MAX_NOTE_SIZE`]) and the proof hashes.
pub const MAX_PROOF_SIZE: usize = 1024 * 1024;

/// The most inclusion proof hashes: a tree of at most 2^64 - 1 leaves is at
/// most 64 levels deep.
pub const MAX_PROOF_HASHES: usize = 64;

/// A tlog proof that cannot be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TlogProofError {
    /// Over [`MAX_PROOF_SIZE`].
    #[error("the proof is larger than {MAX_PROOF_SIZE} bytes")]
    TooLarge,
    /// The first line is not [`HEADER`].
    #[error("the first line is not `{HEADER}`")]
    Header,
    /// The file ends before the blank line that precedes the checkpoint.
    #[error("the proof ends before the blank line and the checkpoint")]
    Truncated,
    /// Extra data that is not canonical standard base64.
    #[error("the extra data is not canonical standard base64")]
    ExtraBase64,
    /// The line after the header (and extra data) is not `index N`.
    #[error("no `index N` line after the header")]
    IndexLine,
    /// An index that is not a decimal `u64` without leading zeros.
    #[error("invalid index: {0}")]
    Index(DecimalError),
    /// A proof line that is not canonical standard base64.
    #[error("proof hash {line} is not canonical standard base64")]
    HashBase64 {
        /// The hash's number, from 1.
        line: usize,
    },
    /// A proof hash of another length than SHA-256's.
    #[error("proof hash {line} has {len} bytes, not 32")]
    HashLength {
        /// The hash's number, from 1.
        line: usize,
        /// The decoded length.
        len: usize,
    },
    /// More than [`MAX_PROOF_HASHES`] proof hashes.
    #[error("more than {MAX_PROOF_HASHES} proof hashes")]
    TooManyHashes,
    /// The checkpoint after the blank line.
    #[error("the proof's checkpoint: {0}")]
    Checkpoint(CheckpointError),
}

impl crate::Hint for TlogProofError {
    fn hint(&self) -> Option<String> {
        match self {
            TlogProofError::Checkpoint(e) => crate::Hint::hint(e),
            _ => Some(
                "a tlog proof is the file the log gave for the entry, unchanged: \
                 `c2sp.org/tlog-proof@v1`, `index N`, the proof hashes, a blank line and \
                 the checkpoint"
                    .into(),
            ),
        }
    }
}

/// A proof that an entry is in the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlogProof {
    /// Opaque extra data (not authenticated by the proof itself).
    pub extra: Option<Vec<u8>>,
    /// The entry's index in the log, from 0.
    pub index: u64,
    /// The inclusion proof, from the leaf's sibling up to the root's child.
    pub proof: Vec<[u8; 32]>,
    /// The log's signed checkpoint, byte for byte.
    pub checkpoint: Vec<u8>,
}

impl TlogProof {
    /// Reads a proof strictly: the header; an optional `extra BASE64` line;
    /// `index N` in decimal without leading zeros; up to
    /// [`MAX_PROOF_HASHES`] lines of canonical base64 of 32 bytes; a blank
    /// line; then a well-formed signed checkpoint, kept verbatim.
    ///
    /// Neither the inclusion proof nor any signature is verified here.
    pub fn parse(bytes: &[u8]) -> Result<Self, TlogProofError> {
        if bytes.len() > MAX_PROOF_SIZE {
            return Err(TlogProofError::TooLarge);
        }
        let mut lines = Lines { rest: bytes };
        if lines.next()? != HEADER.as_bytes() {
            return Err(TlogProofError::Header);
        }
        let mut line = lines.next()?;
        let mut extra = None;
        if let Some(encoded) = line.strip_prefix(b"extra ") {
            let encoded = std::str::from_utf8(encoded).map_err(|_| TlogProofError::ExtraBase64)?;
            extra = Some(b64_strict(encoded).map_err(|_| TlogProofError::ExtraBase64)?);
            line = lines.next()?;
        }
        let index = line
            .strip_prefix(b"index ")
            .ok_or(TlogProofError::IndexLine)?;
        let index = std::str::from_utf8(index).map_err(|_| TlogProofError::IndexLine)?;
        let index = parse_decimal(index).map_err(TlogProofError::Index)?;
        let proof = parse_hashes(&mut lines)?;
        SignedCheckpoint::parse(lines.rest).map_err(TlogProofError::Checkpoint)?;
        Ok(TlogProof {
            extra,
            index,
            proof,
            checkpoint: lines.rest.to_vec(),
        })
    }

    /// The proof's bytes, in the order [`TlogProof::parse`] reads them.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = format!("{HEADER}\n");
        if let Some(extra) = &self.extra {
            out.push_str(&format!("extra {}\n", b64(extra)));
        }
        out.push_str(&format!("index {}\n", self.index));
        for hash in &self.proof {
            out.push_str(&b64(hash));
            out.push('\n');
        }
        out.push('\n');
        let mut out = out.into_bytes();
        out.extend_from_slice(&self.checkpoint);
        out
    }

    /// Reads the embedded checkpoint (no signature is verified).
    pub fn signed_checkpoint(&self) -> Result<SignedCheckpoint, CheckpointError> {
        SignedCheckpoint::parse(&self.checkpoint)
    }
}

/// The proof hash lines, up to and including the blank line.
fn parse_hashes(lines: &mut Lines<'_>) -> Result<Vec<[u8; 32]>, TlogProofError> {
    let mut proof = Vec::new();
    loop {
        let line = lines.next()?;
        if line.is_empty() {
            return Ok(proof);
        }
        if proof.len() == MAX_PROOF_HASHES {
            return Err(TlogProofError::TooManyHashes);
        }
        let number = proof.len() + 1;
        let encoded =
            std::str::from_utf8(line).map_err(|_| TlogProofError::HashBase64 { line: number })?;
        let raw = b64_strict(encoded).map_err(|_| TlogProofError::HashBase64 { line: number })?;
        let hash =
            <[u8; 32]>::try_from(raw.as_slice()).map_err(|_| TlogProofError::HashLength {
                line: number,
                len: raw.len(),
            })?;
        proof.push(hash);
    }
}

/// Newline-terminated lines, read from the front of a byte string.
struct Lines<'a> {
    /// What is not read yet.
    rest: &'a [u8],
}

impl<'a> Lines<'a> {
    /// The next line without its newline; a line without a newline means
    /// the proof stops short.
    fn next(&mut self) -> Result<&'a [u8], TlogProofError> {
        let end = self
            .rest
            .iter()
            .position(|&b| b == b'\n')
            .ok_or(TlogProofError::Truncated)?;
        let line = &self.rest[..end];
        self.rest = &self.rest[end + 1..];
        Ok(line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::note::NoteError;

    /// tlog-proof.md's example, as published: its signatures are elided.
    const SPEC_PROOF: &str = "c2sp.org/tlog-proof@v1
extra YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6kYXJ3aW4tYXJ
index 73894
gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=
B95lDa8R83lS8n0eG+o0buTxRKQTYFi//1U8anccXmA=
EKNzoDWG8LGC0Yp9o+sv3qllpMP9uHQ9B20KNL+Q1zs=
RoopEkOdqkYqMB4MJXrbt/hMjOxsVn0IrWjpz1ZMMes=
AHCioX9nLjsrse6YhjRRmk1WUEirVOLLRoOQ6vfO5vk=

example.com/fancylog
109482
sFodV/vSp5O8n9a8QpW6PRY97tfOSW5bsc2Xl/EQi08=

\u{2014} example.com/fancylog hI2DJw[...]1roloI=
\u{2014} witness1.example mJirIklj[...]qY9v2B/5bg==
\u{2014} witness2.example TnKKVHLX[...]xwYwrSjgow==
\u{2014} witness3.example S4X82uH5[...]3oEcROGLFQ==
";
    const PINNED: &[u8] = include_bytes!("../tests/vectors/note/entry-2.tlog-proof");
    const COSIGNED: &[u8] = include_bytes!("../tests/vectors/note/checkpoint-5-cosigned.note");

    /// The spec's example with each elided signature made well-formed.
    fn spec_proof_filled() -> String {
        let mut text = SPEC_PROOF.to_string();
        for elided in [
            "hI2DJw[...]1roloI=",
            "mJirIklj[...]qY9v2B/5bg==",
            "TnKKVHLX[...]xwYwrSjgow==",
            "S4X82uH5[...]3oEcROGLFQ==",
        ] {
            text = text.replace(elided, &b64(&[0x5a; 4 + 64]));
        }
        text
    }

    fn with_checkpoint(head: &str) -> Vec<u8> {
        let mut bytes = head.as_bytes().to_vec();
        bytes.extend_from_slice(COSIGNED);
        bytes
    }

    #[test]
    fn spec_example_shape_parses() {
        // As published, the "[...]" of the signatures is not base64.
        assert_eq!(
            TlogProof::parse(SPEC_PROOF.as_bytes()),
            Err(TlogProofError::Checkpoint(CheckpointError::Note(
                NoteError::SignatureBase64 { line: 1 }
            )))
        );
        let filled = spec_proof_filled();
        let proof = TlogProof::parse(filled.as_bytes()).unwrap();
        assert!(proof
            .extra
            .as_ref()
            .unwrap()
            .starts_with(b"age-v1.2.1-darwin-arm64.tar.gz"));
        assert_eq!(proof.index, 73894);
        assert_eq!(proof.proof.len(), 5);
        assert_eq!(
            b64(&proof.proof[4]),
            "AHCioX9nLjsrse6YhjRRmk1WUEirVOLLRoOQ6vfO5vk="
        );
        let checkpoint = proof.signed_checkpoint().unwrap();
        assert_eq!(checkpoint.checkpoint.origin, "example.com/fancylog");
        assert_eq!(checkpoint.checkpoint.size, 109482);
        assert_eq!(checkpoint.note.signatures().len(), 4);
        assert_eq!(proof.to_bytes(), filled.as_bytes());
    }

    #[test]
    fn pinned_proof_round_trips() {
        let proof = TlogProof::parse(PINNED).unwrap();
        assert_eq!(proof.extra.as_deref(), Some(&b"entry 2"[..]));
        assert_eq!(proof.index, 2);
        assert_eq!(proof.proof.len(), 3);
        assert_eq!(proof.checkpoint, COSIGNED);
        assert_eq!(proof.to_bytes(), PINNED);
        let key = crate::note::parse_vkey(
            include_str!("../tests/vectors/note/ackreg-test.vkey").trim_end(),
        )
        .unwrap()
        .1;
        proof.signed_checkpoint().unwrap().verify(&key).unwrap();
    }

    #[test]
    fn optional_parts_round_trip() {
        for head in [
            "c2sp.org/tlog-proof@v1\nindex 0\n\n",
            "c2sp.org/tlog-proof@v1\nextra \nindex 0\n\n",
            "c2sp.org/tlog-proof@v1\nextra AA==\nindex 18446744073709551615\n\n",
        ] {
            let bytes = with_checkpoint(head);
            let proof = TlogProof::parse(&bytes).unwrap();
            assert!(proof.proof.is_empty());
            assert_eq!(proof.to_bytes(), bytes);
        }
        let hashes = format!("{}\n", b64(&[1; 32])).repeat(MAX_PROOF_HASHES);
        let bytes = with_checkpoint(&format!("{HEADER}\nindex 7\n{hashes}\n"));
        assert_eq!(
            TlogProof::parse(&bytes).unwrap().proof.len(),
            MAX_PROOF_HASHES
        );
    }

    #[test]
    fn malformed_lines_are_refused_by_name() {
        use TlogProofError as E;
        let h = b64(&[1; 32]);
        let many = format!("{h}\n").repeat(MAX_PROOF_HASHES + 1);
        // What follows the header line, and the error it gives.
        let cases = [
            ("\n".to_string(), E::IndexLine),
            ("extra\nindex 0\n\n".into(), E::IndexLine),
            ("Index 0\n\n".into(), E::IndexLine),
            ("index 0\nextra AA==\n\n".into(), E::HashBase64 { line: 1 }),
            ("index  0\n\n".into(), E::Index(DecimalError::NotDigits)),
            ("index 01\n\n".into(), E::Index(DecimalError::LeadingZero)),
            ("index -1\n\n".into(), E::Index(DecimalError::NotDigits)),
            (
                "index 18446744073709551616\n\n".into(),
                E::Index(DecimalError::TooLarge),
            ),
            ("extra AAA\nindex 0\n\n".into(), E::ExtraBase64),
            ("extra AB==\nindex 0\n\n".into(), E::ExtraBase64),
            ("extra  AA==\nindex 0\n\n".into(), E::ExtraBase64),
            (format!("index 0\n{h}\n!!\n\n"), E::HashBase64 { line: 2 }),
            (format!("index 0\n{h} \n\n"), E::HashBase64 { line: 1 }),
            (
                format!("index 0\n{}\n\n", b64(&[1; 31])),
                E::HashLength { line: 1, len: 31 },
            ),
            (format!("index 0\n{many}\n"), E::TooManyHashes),
        ];
        for (rest, want) in cases {
            let head = format!("{HEADER}\n{rest}");
            assert_eq!(
                TlogProof::parse(&with_checkpoint(&head)),
                Err(want),
                "{head:?}"
            );
        }
    }

    #[test]
    fn bad_headers_short_and_long_proofs_are_refused() {
        use TlogProofError as E;
        let headers = [
            "c2sp.org/tlog-proof@v2\nindex 0\n\n",
            "c2sp.org/tlog-proof@v1 \nindex 0\n\n",
            "c2sp.org/tlog-proof@v1\r\nindex 0\r\n\r\n",
            "index 0\n\n",
        ];
        for head in headers {
            assert_eq!(
                TlogProof::parse(&with_checkpoint(head)),
                Err(E::Header),
                "{head:?}"
            );
        }
        let h = b64(&[1; 32]);
        let truncated = [
            String::new(),
            HEADER.into(),
            format!("{HEADER}\nindex 0"),
            format!("{HEADER}\nindex 0\n{h}\n"),
        ];
        for bytes in truncated {
            assert_eq!(
                TlogProof::parse(bytes.as_bytes()),
                Err(E::Truncated),
                "{bytes:?}"
            );
        }
        assert_eq!(
            TlogProof::parse(format!("{HEADER}\nindex 0\n\n").as_bytes()),
            Err(E::Checkpoint(CheckpointError::Note(NoteError::NoBlankLine)))
        );
        let extra = b64(&vec![0; MAX_PROOF_SIZE]);
        let big = with_checkpoint(&format!("{HEADER}\nextra {extra}\nindex 0\n\n"));
        assert_eq!(TlogProof::parse(&big), Err(E::TooLarge));
    }

    #[test]
    fn damaged_proofs_never_panic_and_round_trip_when_read() {
        let check = |b: &[u8]| {
            if let Ok(p) = TlogProof::parse(b) {
                assert_eq!(p.to_bytes(), b);
            }
        };
        for i in 0..PINNED.len() {
            check(&PINNED[..i]);
            for v in [b'\n', b' ', b'0', b'=', 0x00, 0xff, PINNED[i] ^ 1] {
                let mut b = PINNED.to_vec();
                b[i] = v;
                check(&b);
            }
        }
    }
}
