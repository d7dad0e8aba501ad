//! Receipts: the proof an employee keeps that their acknowledgement is in
//! the log for good.
//!
//! A receipt is a C2SP tlog-proof (`c2sp.org/tlog-proof@v1`) whose `extra`
//! line carries the entry's exact bytes, so it verifies alone and offline
//! with only the issuer's public key: the checkpoint's signature, the
//! inclusion proof of the entry's leaf hash, and, for an acknowledgement,
//! the employee's own signature with the key the entry names.
//!
//! The entry travels zlib-compressed (RFC 1950), which keeps a receipt of
//! a log of a million entries under 2 KB; receipts written before carry it
//! verbatim, and both read the same ([`entry_of_extra`]).

use ed25519_dalek::VerifyingKey;

use super::entry::{self, Entry};
use super::store::{LogDir, StoreError};
use tlog::checkpoint::SignedCheckpoint;
use tlog::merkle::{self, SubtreeHashes};
use tlog::tlogproof::TlogProof;

/// The first line of a receipt.
pub const MAGIC: &[u8] = b"c2sp.org/tlog-proof@v1\n";
/// Largest receipt read.
pub const MAX_RECEIPT_FILE: usize = 256 * 1024;

/// Why a receipt does not verify.
#[derive(Debug, thiserror::Error)]
pub enum ReceiptError {
    /// Not a tlog-proof.
    #[error("not a receipt: {0}")]
    Format(tlog::tlogproof::TlogProofError),
    /// No `extra` line with the entry.
    #[error("the receipt carries no entry (no `extra` line)")]
    NoEntry,
    /// The `extra` data is neither an entry nor a zlib stream of one.
    #[error("the receipt's entry: {0}")]
    Extra(&'static str),
    /// The checkpoint inside does not parse.
    #[error("the receipt's checkpoint: {0}")]
    Checkpoint(tlog::checkpoint::CheckpointError),
    /// The checkpoint is not the issuer's.
    #[error("the receipt's checkpoint is not signed by the issuer: {0}")]
    NotIssuers(tlog::checkpoint::CheckpointError),
    /// The inclusion proof fails.
    #[error("the entry is not in the log the checkpoint signs: {0}")]
    NotIncluded(merkle::MerkleError),
    /// The entry is malformed.
    #[error("the receipt's entry: {0}")]
    Entry(entry::EntryError),
    /// The acknowledgement's signature fails.
    #[error("the acknowledgement's signature does not verify with the key the entry names")]
    Signature,
}

impl crate::Hint for ReceiptError {
    fn hint(&self) -> Option<String> {
        match self {
            ReceiptError::NotIssuers(_) => Some("check that the issuer key is the log's".into()),
            ReceiptError::NotIncluded(_) => {
                Some("this receipt does not prove inclusion: keep it as evidence and ask the administration".into())
            }
            _ => None,
        }
    }
}

/// A receipt whose every check passed.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The entry's index.
    pub index: u64,
    /// The entry.
    pub entry: Entry,
    /// The checkpoint it is proved against.
    pub checkpoint: SignedCheckpoint,
}

/// Makes the receipt of entry `index` against the log's newest checkpoint.
pub fn make(log: &LogDir, index: u64) -> Result<Vec<u8>, StoreError> {
    let head = log.checkpoint()?;
    let size = head.checkpoint.size;
    if index >= size {
        return Err(StoreError::NoEntry { index, size });
    }
    let entry = log.entry(index)?;
    assemble(&log.tree(), head.to_bytes(), size, index, entry)
}

/// The one place a receipt is put together: entry `index`, whose bytes
/// are `entry`, proved against the signed checkpoint `note` of a tree of
/// `size` entries, the inclusion proof taken from `tree` (the log's files,
/// or their hashes in memory for a writer that answers many at once).
pub fn assemble<T: SubtreeHashes + ?Sized>(
    tree: &T,
    note: Vec<u8>,
    size: u64,
    index: u64,
    entry: Vec<u8>,
) -> Result<Vec<u8>, StoreError> {
    if index >= size {
        return Err(StoreError::NoEntry { index, size });
    }
    let proof = TlogProof {
        extra: Some(compress(&entry)?),
        index,
        proof: merkle::inclusion_proof(tree, index, size).map_err(StoreError::Merkle)?,
        checkpoint: note,
    };
    Ok(proof.to_bytes())
}

/// The first byte of an entry carried verbatim (every entry is a JSON
/// object).
const VERBATIM: u8 = b'{';
/// The first byte of a zlib stream with a 32 KiB window and deflate, as
/// [`compress`] writes it (RFC 1950, CMF).
const ZLIB: u8 = 0x78;

/// The `extra` data of a receipt for `entry`: its zlib stream.
fn compress(entry: &[u8]) -> Result<Vec<u8>, StoreError> {
    use std::io::Write;
    let mut encoder = flate2::write::ZlibEncoder::new(
        Vec::with_capacity(entry.len()),
        flate2::Compression::best(),
    );
    encoder
        .write_all(entry)
        .and_then(|()| encoder.finish())
        .map_err(|e| StoreError::Io {
            path: "receipt".into(),
            error: e,
        })
}

/// The entry a receipt's `extra` data carries: the bytes themselves when
/// they begin with `{` (receipts written before entries were compressed),
/// or the one zlib stream they hold, inflated to at most
/// [`entry::MAX_ENTRY`] bytes, with nothing after it.
pub fn entry_of_extra(extra: &[u8]) -> Result<Vec<u8>, ReceiptError> {
    match extra.first() {
        Some(&VERBATIM) => Ok(extra.to_vec()),
        Some(&ZLIB) => inflate(extra),
        _ => Err(ReceiptError::Extra(
            "neither an entry nor a zlib stream of one",
        )),
    }
}

/// Inflates one whole zlib stream, refusing more than [`entry::MAX_ENTRY`]
/// bytes of output, a broken stream or checksum, and bytes after its end.
fn inflate(stream: &[u8]) -> Result<Vec<u8>, ReceiptError> {
    use flate2::{Decompress, FlushDecompress, Status};
    let mut inflater = Decompress::new(true);
    // One byte of room beyond the limit tells "too large" from "exactly".
    let mut out = Vec::with_capacity(entry::MAX_ENTRY + 1);
    let status = inflater
        .decompress_vec(stream, &mut out, FlushDecompress::Finish)
        .map_err(|_| ReceiptError::Extra("the zlib stream is broken"))?;
    if out.len() > entry::MAX_ENTRY {
        return Err(ReceiptError::Extra("the entry inflates beyond 80 KiB"));
    }
    if status != Status::StreamEnd {
        return Err(ReceiptError::Extra("the zlib stream ends early"));
    }
    if inflater.total_in() != stream.len() as u64 {
        return Err(ReceiptError::Extra("bytes follow the zlib stream"));
    }
    Ok(out)
}

/// Whether `bytes` look like a receipt (its first line).
pub fn is_receipt(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
}

/// Verifies a receipt alone with the issuer's key:
/// 1. it is a tlog-proof carrying the entry;
/// 2. its checkpoint is signed by the issuer (key name = origin);
/// 3. the entry's leaf hash is included at its index (RFC 9162);
/// 4. the entry is well formed, and an acknowledgement's signature
///    verifies with the key the entry names.
pub fn verify(bytes: &[u8], issuer: &VerifyingKey) -> Result<Verified, ReceiptError> {
    // Step 1.
    let proof = TlogProof::parse(bytes).map_err(ReceiptError::Format)?;
    let extra = proof.extra.as_deref().ok_or(ReceiptError::NoEntry)?;
    let entry_bytes = &entry_of_extra(extra)?;
    // Step 2.
    let checkpoint =
        SignedCheckpoint::parse(&proof.checkpoint).map_err(ReceiptError::Checkpoint)?;
    checkpoint
        .verify(issuer)
        .map_err(ReceiptError::NotIssuers)?;
    // Step 3.
    merkle::verify_inclusion(
        &merkle::leaf_hash(entry_bytes),
        proof.index,
        checkpoint.checkpoint.size,
        &proof.proof,
        &checkpoint.checkpoint.root,
    )
    .map_err(ReceiptError::NotIncluded)?;
    // Step 4.
    let entry = entry::parse(entry_bytes).map_err(ReceiptError::Entry)?;
    if let Entry::Ack(record) = &entry {
        record
            .envelope
            .verify(&record.key)
            .map_err(|_| ReceiptError::Signature)?;
    }
    Ok(Verified {
        index: proof.index,
        entry,
        checkpoint,
    })
}

/// A step of a receipt's verification, numbered as reports print them:
/// [`verify`] checks steps 1 to 4 (any failure is its error), and
/// [`super::stamp::receipt_stamps`] step 5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReceiptStep {
    /// 1. The file is a C2SP tlog-proof carrying an entry.
    Receipt,
    /// 2. The checkpoint is signed by the issuer.
    Checkpoint,
    /// 3. The inclusion proof holds.
    Inclusion,
    /// 4. The entry is well formed, and an acknowledgement's signature verifies.
    Entry,
    /// 5. The time stamps the checkpoint carries.
    Timestamps,
}

impl crate::outcome::StepId for ReceiptStep {
    fn number(self) -> u8 {
        self as u8 + 1
    }

    fn name(self) -> &'static str {
        match self {
            ReceiptStep::Receipt => "receipt",
            ReceiptStep::Checkpoint => "checkpoint",
            ReceiptStep::Inclusion => "inclusion",
            ReceiptStep::Entry => "entry",
            ReceiptStep::Timestamps => "timestamps",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENTRY: &[u8] = br#"{"kind":"leave","id":"gkalnina","date":"2018-04-30"}"#;

    fn zlib(bytes: &[u8]) -> Vec<u8> {
        compress(bytes).unwrap()
    }

    #[test]
    fn an_entry_travels_compressed_and_comes_back_exactly() {
        let extra = zlib(ENTRY);
        assert_eq!(extra[0], ZLIB);
        assert_eq!(entry_of_extra(&extra).unwrap(), ENTRY);
    }

    #[test]
    fn an_entry_carried_verbatim_as_earlier_receipts_do_still_reads() {
        assert_eq!(entry_of_extra(ENTRY).unwrap(), ENTRY);
    }

    #[test]
    fn extra_data_that_is_neither_is_refused() {
        for bad in [&b""[..], b"ackreg entry", b"\x00\x01"] {
            assert!(
                matches!(entry_of_extra(bad), Err(ReceiptError::Extra(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_stream_that_inflates_beyond_an_entry_is_refused() {
        // A small stream of a megabyte of zeros: a zlib bomb in miniature.
        let bomb = zlib(&vec![0u8; 1 << 20]);
        assert!(bomb.len() < 2048);
        let error = entry_of_extra(&bomb).unwrap_err();
        assert!(error.to_string().contains("beyond"), "{error}");
        // Exactly the largest entry is fine.
        let largest = vec![b'{'; entry::MAX_ENTRY];
        assert_eq!(entry_of_extra(&zlib(&largest)).unwrap(), largest);
    }

    #[test]
    fn a_broken_cut_or_padded_stream_is_refused() {
        let extra = zlib(ENTRY);
        let mut flipped = extra.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1; // the Adler-32 checksum
        let cut = &extra[..extra.len() - 3];
        let mut padded = extra.clone();
        padded.push(0);
        for (bad, why) in [
            (flipped, "broken"),
            (cut.to_vec(), "ends early"),
            (padded, "follow"),
        ] {
            let error = entry_of_extra(&bad).unwrap_err();
            assert!(error.to_string().contains(why), "{why}: {error}");
        }
    }
}
