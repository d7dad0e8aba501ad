//! Transparency-log primitives, as the standards spell them: RFC 9162 Merkle
//! trees with inclusion and consistency proofs, C2SP signed notes with
//! Ed25519, C2SP checkpoints and C2SP tlog-proofs.
//!
//! What it is for: any log that commits to its entries with a Merkle tree
//! and publishes signed tree heads, so that a witness, a monitor or an
//! auditor can check them with any other C2SP implementation (Go's
//! `sumdb/note` and `tlog`, tlog-scales). Every format is read and written
//! byte for byte as published, tested against published vectors.
//!
//! What it must not know: what the entries mean, who signs them, files,
//! folders, networks or any application. It depends on hashing, Ed25519 and
//! base64 only, and on nothing else in this workspace.
//!
//! - [`merkle`]: RFC 9162 trees, roots, inclusion and consistency proofs;
//! - [`note`]: C2SP signed notes and verifier keys;
//! - [`checkpoint`]: C2SP checkpoints, the signed tree heads;
//! - [`tlogproof`]: C2SP tlog-proofs, an entry's self-contained receipt;
//! - [`encoding`]: the one spelling of hex and base64 they use.
#![forbid(unsafe_code)]

pub mod checkpoint;
pub mod encoding;
pub mod merkle;
pub mod note;
pub mod tlogproof;

/// An error that can tell a person what to do about it.
///
/// Every error here implements it, and so do the errors of the crates
/// built on this one, so that a program can print an `error:` line followed
/// by a `hint:` line. Hints say what to do in words, never which option of
/// which program to use.
pub trait Hint {
    /// A short recommendation, or `None` when the message says it all.
    fn hint(&self) -> Option<String> {
        None
    }
}
