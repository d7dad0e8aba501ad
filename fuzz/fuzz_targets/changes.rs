//! What `log diff` reads: the clauses file parser
//! (`changes::clauses::from_bytes`), a PDF's clauses
//! (`changes::pdftext::clauses_from_pdf`, any bytes, no panic) and the
//! comparison of what they give.
#![no_main]

use libfuzzer_sys::fuzz_target;

use ackreg_core::changes::{clauses, compare, pdftext};

fuzz_target!(|data: &[u8]| {
    if let Ok(found) = clauses::from_bytes(data) {
        // What was read can be written again, and read back the same.
        let again = clauses::to_bytes(&found).unwrap();
        assert_eq!(clauses::from_bytes(&again).unwrap(), found);
        let (changes, summary) = compare(&found, &found);
        assert!(changes.is_empty());
        assert_eq!(summary.unchanged, found.len());
    }
    if let Ok(found) = pdftext::clauses_from_pdf(data) {
        let (_, summary) = compare(&[], &found);
        assert_eq!(summary.added, found.len());
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let pages: Vec<String> = text.split('\x0c').map(str::to_string).collect();
        let _ = pdftext::split(&pages);
    }
});
