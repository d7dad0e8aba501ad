//! ackreg's core: render official rules as a reproducible PDF, collect
//! signed acknowledgements that employees have read them, and keep them in
//! a register that an auditor can verify offline.
//!
//! What it is for: every rule of the system. Whether a key, an envelope, an
//! entry, a log, a receipt, a time stamp, an annex or a container is valid
//! is decided here, once, and the command line and the desk only parse
//! their input and present what this crate decides.
//!
//! What it must not know: terminals, command-line options, HTTP, sockets or
//! TLS. It never prints or prompts; its errors say what to do in words
//! ([`Hint`]), never which option to pass. It does not link tokio, axum,
//! hyper or rustls: a time stamp authority is reached through a
//! [`tsa::Transport`] that the program passes in.
//!
//! The transparency-log primitives (RFC 9162 trees, C2SP notes,
//! checkpoints, proofs) are the `tlog` crate's; this one gives them their
//! meaning. One noun per module:
//!
//! - [`render`]: Typst templates to deterministic PDF bytes.
//! - [`fsutil`]: crash-safe file writing (temporary file, sync, rename).
//! - [`keys`]: Ed25519 keys on disk (PKCS#8 / SPKI PEM) and key ids.
//! - [`keyring`]: the employees and their public keys.
//! - [`document`]: a PDF identified by its SHA-256 and title.
//! - [`pdf`]: what a PDF says about itself (PDF/A, attachments).
//! - [`dsse`]: DSSE v1 envelopes and their pre-authentication encoding.
//! - [`outcome`]: the one vocabulary of verification steps and results.
//! - [`ack`]: the acknowledgement payload and its verification steps.
//! - [`register`], [`verify`]: the sealed register (format 1) and its audit.
//! - [`evidence`]: what an auditor hands over: the kind of file, the
//!   issuer's key.
//! - [`log`]: the register as an append-only log: entries, state, store,
//!   audit, receipts, annex, status, time stamps, containers.
//! - [`changes`]: what changed between two versions: their clauses, kept
//!   at publishing or read from the PDF, compared word by word.
//! - [`tsa`]: RFC 3161 time stamps over checkpoints, verified offline.
//! - [`edoc`]: eDoc (ASiC-E) containers to seal in DigiDoc4 or eParaksts.
//! - [`clock`]: what day it is, in the computer's time zone.
//! - [`staff`], [`csvout`]: the HR system's staff list read and planned; tables written as CSV for Excel.
//! - [`encoding`], [`text`]: strict hex/base64/JSON and rules for text fields.
#![forbid(unsafe_code)]

pub mod fsutil;
pub mod render;

pub mod ack;
pub mod changes;
pub mod clock;
pub mod csvout;
pub mod document;
pub mod dsse;
pub mod edoc;
pub mod encoding;
pub mod evidence;
mod exact;
pub mod keyring;
pub mod keys;
pub mod outcome;
pub mod pdf;
pub mod publish;
pub mod register;
pub mod staff;
pub mod text;
pub mod verify;

pub mod log;
pub mod tsa;

pub use tlog::Hint;
