//! ackreg driven as its users drive it: the real binary on real files, one
//! test binary (so that Typst, the desk's web stack and the tests link
//! once).
//!
//! - [`cli`]: the command line's output pinned by trycmd snapshots, and
//!   README's two commands kept true;
//! - [`render`], [`register`], [`acknowledge`]: the rules PDF, the sealed
//!   register and acknowledgements;
//! - [`diff`]: what changed between two versions (`log diff`);
//! - [`report`]: the printed status report (`log report`) and the annex per
//!   document;
//! - [`log`], [`log_format`], [`log_reliability`], [`log_timestamp`]: the
//!   append-only log, its files, crashes and time stamps;
//! - [`xmod`]: the log's checkpoints, receipts and consistency against Go's
//!   `golang.org/x/mod` (sumdb/note, sumdb/tlog);
//! - [`tsa`]: RFC 3161 time stamps against `openssl ts`;
//! - [`edoc`]: eDoc containers against pyasice;
//! - [`desk`]: the signing desk in headless Chromium;
//! - [`admins`]: named administrators and their signed requests;
//! - [`hardening`]: hostile input to every command;
//! - [`house`]: the crates and modules keep their shape (no import circles).
//!
//! [`common`] runs the binary, always the same way:
//! `common::ackreg(dir).args([..]).env(..).stdin(..).run().must_succeed()`
//! (or `.must_fail(code)`), which on failure shows the command line, its
//! exit code and its output; [`desk_support`] drives the desk over HTTP.

mod common;
mod desk_support;

mod acknowledge;
mod admins;
mod cli;
mod desk;
mod diff;
mod edoc;
mod hardening;
mod house;
mod log;
mod log_format;
mod log_reliability;
mod log_timestamp;
mod register;
mod render;
mod report;
mod staff;
mod tsa;
mod xmod;
