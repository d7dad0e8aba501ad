//! Receipts: the proof an employee keeps that their acknowledgement is in
//! the log for good.
//!
//! A receipt is a C2SP tlog-proof (`c2sp.org/tlog-proof@v1`) whose `extra`
//! line carries the entry's exact bytes, so it verifies alone and offline
//! with only the issuer's public key: the checkpoint's signature, the
//! inclusion proof of the entry's leaf hash, and, for an acknowledgement,
//! the employee's own signature with the key the entry names.

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
        extra: Some(entry),
        index,
        proof: merkle::inclusion_proof(tree, index, size).map_err(StoreError::Merkle)?,
        checkpoint: note,
    };
    Ok(proof.to_bytes())
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
    let entry_bytes = proof.extra.as_deref().ok_or(ReceiptError::NoEntry)?;
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
