//! Shared helpers for the integration tests: run the real binary in a
//! temporary folder, and read PDFs back in Rust.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

/// The `ackreg` binary under test.
pub fn ackreg() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ackreg"))
}

/// Runs `ackreg` with `args` in `dir`, with no passphrase in the environment.
pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    ackreg()
        .args(args)
        .current_dir(dir)
        .env_remove("ACKREG_PASSPHRASE")
        .output()
        .expect("ackreg runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The text of every page of a PDF, pages joined by newlines.
pub fn pdf_text(pdf: &[u8]) -> String {
    let doc = lopdf::Document::load_mem(pdf).expect("a PDF that lopdf reads");
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    doc.extract_text(&pages).expect("text extraction")
}

/// Collapses every run of white space into one space.
pub fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
