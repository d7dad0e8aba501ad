//! The register as an append-only transparency log.
//!
//! Every version of the rules, every employee, every key change and every
//! acknowledgement is one entry, a leaf of an RFC 9162 Merkle tree. The
//! issuer appends and signs C2SP checkpoints (tree heads); an employee
//! keeps a receipt (a C2SP tlog-proof) proving their acknowledgement is in
//! the log for good; an auditor proves with a consistency proof that the
//! log only grew since the checkpoint of the last audit and checks only
//! what is new. `docs/FORMAT.md` ("The log") specifies every file.
//!
//! - [`entry`]: the entries and their one spelling;
//! - [`state`]: the rules that decide whether an entry may stand where it is;
//! - [`store`]: the folder on disk, its one writer, crash-safe commits;
//! - [`append`]: the one appender: entries added, committed in batches,
//!   each answered with its index and receipt;
//! - [`audit`]: the numbered verification steps;
//! - [`receipt`]: receipts, made and verified alone;
//! - [`received`]: the received-date rules, against the clock;
//! - [`status`]: who acknowledged, who is outstanding, overdue or late;
//! - [`report`]: the printed status report for the director's signature.

pub mod annex;
pub mod append;
pub mod asked;
pub mod audit;
pub mod bundle;
pub mod container;
pub mod entry;
mod fields;
mod inplace;
pub mod receipt;
pub mod received;
pub mod report;
pub mod request;
pub mod snapshot;
pub mod stamp;
pub mod state;
pub mod status;
pub mod store;

#[doc(hidden)]
pub use inplace::agrees_with_parse;
pub use store::{CheckError, Checked, LogDir, StoreError, Writer};

use time::Date;

/// Why an acknowledgement file cannot become an entry.
#[derive(Debug, thiserror::Error)]
pub enum AckFileError {
    /// Not a DSSE envelope of ours.
    #[error("not an acknowledgement envelope: {0}")]
    Envelope(crate::dsse::DsseError),
    /// The key id is not enrolled.
    #[error("key {0} is not enrolled for anyone in the log")]
    UnknownKey(String),
    /// The entry cannot be written.
    #[error(transparent)]
    Entry(#[from] entry::EntryError),
}

impl crate::Hint for AckFileError {}

/// The entry for an acknowledgement file (a DSSE envelope as `ackreg sign`
/// or the signing desk writes it) received on `received`: the signer's key
/// is the one the log enrolled under the envelope's key id. Whether the
/// log accepts it is decided by [`Writer::append`].
pub fn ack_entry(
    state: &state::State,
    envelope: &[u8],
    received: Date,
) -> Result<Vec<u8>, AckFileError> {
    ack_entry_with(envelope, received, |keyid| {
        state.by_keyid(keyid).map(|(_, span)| span.key)
    })
}

/// As [`ack_entry`], with the key enrolled under a key id looked up by
/// `key_of` (a server's directory of current keys, say).
pub fn ack_entry_with(
    envelope: &[u8],
    received: Date,
    key_of: impl FnOnce(&crate::keys::KeyId) -> Option<ed25519_dalek::VerifyingKey>,
) -> Result<Vec<u8>, AckFileError> {
    let env = crate::dsse::Envelope::from_json(envelope).map_err(AckFileError::Envelope)?;
    let checked = env.check().map_err(AckFileError::Envelope)?;
    let key = key_of(&checked.keyid)
        .ok_or_else(|| AckFileError::UnknownKey(checked.keyid.to_string()))?;
    Ok(entry::ack_bytes(received, &key, &env)?)
}
