//! The transparency-log crate against implementations that share no code
//! with it: one test binary.
//!
//! - [`merkle`]: trees and proofs against `ct-merkle` and `tlog_tiles`;
//! - [`note`]: signed notes, checkpoints and tlog-proofs against a checker
//!   written from the C2SP texts and the PyPI package `tlog-scales`;
//! - [`xmod`]: checkpoints, inclusion and consistency proofs and tlog-proofs
//!   against Go's `golang.org/x/mod/sumdb/note` and `sumdb/tlog` (Debian's
//!   `golang-golang-x-mod-dev`).

mod merkle;
mod note;
mod xmod;
