//! Shared helpers for the integration tests: run the real binary in a
//! temporary folder, and read PDFs back in Rust.
#![allow(dead_code)]

pub mod pki;

use std::path::Path;

use lopdf::{dictionary, Object};
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

/// A one-page PDF with an Info /Title.
pub fn tiny_pdf(title: &str) -> Vec<u8> {
    let mut doc = lopdf::Document::with_version("1.7");
    let pages_id = doc.new_object_id();
    let page_id = doc.add_object(dictionary! {
        "Type" => "Page",
        "Parent" => pages_id,
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => vec![page_id.into()],
            "Count" => 1,
        }),
    );
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog_id);
    let info_id = doc.add_object(dictionary! { "Title" => lopdf::text_string(title) });
    doc.trailer.set("Info", info_id);
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}
