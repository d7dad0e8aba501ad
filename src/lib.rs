//! ackreg: render official rules as a reproducible PDF, collect signed
//! acknowledgements that employees have read them, and seal those into a
//! register that an auditor can verify offline.
//!
//! The library never prints or prompts; the `ackreg` binary is a thin layer
//! over these modules, one noun per module:
//!
//! - [`render`]: Typst templates to deterministic PDF bytes.
//! - [`fsutil`]: crash-safe file writing (temporary file, sync, rename).
//! - [`keys`]: Ed25519 keys on disk (PKCS#8 / SPKI PEM) and key ids.
//! - [`keyring`]: the employees and their public keys.
//! - [`document`]: a PDF identified by its SHA-256 and title.
//! - [`dsse`]: DSSE v1 envelopes and their pre-authentication encoding.
//! - [`edoc`]: eDoc (ASiC-E) containers to seal in DigiDoc4 or eParaksts, and their signatures listed.
//! - [`ack`]: the acknowledgement payload and its verification steps.
//! - [`clock`]: what day it is, in the computer's time zone.
//! - [`encoding`], [`text`]: strict hex/base64 and rules for text fields.
//! - [`merkle`]: RFC 9162 Merkle trees, inclusion and consistency proofs.
//! - [`note`], [`checkpoint`], [`tlogproof`]: C2SP signed notes, checkpoints and proofs.
//! - [`log`]: the register as an append-only log: entries, state, store, audit, receipts.
//! - [`desk`]: the signing desk, a web application over the log (`ackreg serve`).
//! - [`tsa`]: RFC 3161 time stamps over checkpoints: request, fetch, verify offline.
#![forbid(unsafe_code)]

pub mod fsutil;
pub mod render;

pub mod ack;
pub mod clock;
pub mod document;
pub mod dsse;
pub mod edoc;
pub mod encoding;
pub mod keyring;
pub mod keys;
pub mod pdf;
pub mod register;
pub mod text;
pub mod verify;

pub mod checkpoint;
pub mod log;
pub mod merkle;
pub mod note;
pub mod tlogproof;

pub mod desk;
pub mod tsa;

/// An error that can tell a person what to do about it.
///
/// Every library error enum implements this so that the binary can print an
/// `error:` line followed by a `hint:` line.
pub trait Hint {
    /// A short recommendation, or `None` when the message says it all.
    fn hint(&self) -> Option<String> {
        None
    }
}
