//! Clauses from a PDF's text, for a PDF made elsewhere (or a version
//! published before ackreg kept clauses).
//!
//! The text of each page is read with `lopdf` (bounded: file size, pages,
//! decompressed content per page, text in all); a line that starts with a
//! clause number (`1.`, `5.1.`, `5.1.1.`) or a chapter's Roman numeral
//! (`II. `) starts a clause, and the lines after it, up to the next, are
//! its text. Lines before the first clause (the letterhead, the title) and
//! pages after the last page holding a clause (an annex) are left out, and
//! so are lines holding only a page number. This is a reading of printed
//! text, not of the source: a number at the start of a wrapped line can be
//! taken for a clause. Any bytes may come in: a PDF that cannot be read is
//! an error, never a crash.

use super::clauses::{self, split_roman, Clause, ClausesError, Kind};

/// Largest PDF read.
pub const MAX_PDF: usize = 64 * 1024 * 1024;
/// Most pages read.
pub const MAX_PAGES: usize = 2_000;
/// Most decompressed content of one page.
const MAX_PAGE_CONTENT: usize = 32 * 1024 * 1024;
/// Most text of all pages.
const MAX_TEXT: usize = 16 * 1024 * 1024;

/// Why a PDF's clauses cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum PdfTextError {
    /// Larger than [`MAX_PDF`].
    #[error("the PDF is larger than {MAX_PDF} bytes")]
    TooLarge,
    /// Not a PDF that can be parsed.
    #[error("not a readable PDF: {0}")]
    NotPdf(String),
    /// More pages than [`MAX_PAGES`].
    #[error("the PDF has more than {MAX_PAGES} pages")]
    TooManyPages,
    /// More text than ackreg reads.
    #[error("the PDF holds more than {MAX_TEXT} bytes of text")]
    TooMuchText,
    /// The PDF reader failed on these bytes.
    #[error("the PDF's text cannot be read (the PDF reader failed on it)")]
    Unreadable,
    /// No line starts with a clause number.
    #[error("no numbered clauses found in the PDF's text")]
    NoClauses,
    /// The clauses found break a limit.
    #[error(transparent)]
    Clauses(#[from] ClausesError),
}

impl crate::Hint for PdfTextError {
    fn hint(&self) -> Option<String> {
        match self {
            PdfTextError::NoClauses => Some(
                "the PDF must hold text (not scanned images) with clauses numbered 1., 2., 2.1. \
                 at the start of a line"
                    .into(),
            ),
            PdfTextError::NotPdf(_) | PdfTextError::Unreadable => {
                Some("pass the PDF of the version itself".into())
            }
            _ => None,
        }
    }
}

/// The clauses in the text of the PDF `bytes`.
pub fn clauses_from_pdf(bytes: &[u8]) -> Result<Vec<Clause>, PdfTextError> {
    if bytes.len() > MAX_PDF {
        return Err(PdfTextError::TooLarge);
    }
    // lopdf reads hostile input without panicking as far as its authors
    // know; should it panic, the panic stays here.
    let pages =
        std::panic::catch_unwind(|| page_texts(bytes)).map_err(|_| PdfTextError::Unreadable)??;
    let found = split(&pages);
    if found.is_empty() {
        return Err(PdfTextError::NoClauses);
    }
    clauses::check(&found)?;
    Ok(found)
}

/// The text of each page, in page order.
fn page_texts(bytes: &[u8]) -> Result<Vec<String>, PdfTextError> {
    let doc = lopdf::Document::load_mem(bytes).map_err(|e| PdfTextError::NotPdf(e.to_string()))?;
    let pages = doc.get_pages();
    if pages.len() > MAX_PAGES {
        return Err(PdfTextError::TooManyPages);
    }
    let mut total = 0;
    let mut out = Vec::with_capacity(pages.len());
    for &number in pages.keys() {
        let mut text = String::new();
        // A chunk that cannot be decoded (an unknown font encoding) is
        // left out; the rest of the page still counts.
        for chunk in doc
            .extract_text_chunks_with_limit(&[number], MAX_PAGE_CONTENT)
            .into_iter()
            .flatten()
        {
            text.push_str(&chunk);
            text.push('\n');
        }
        total += text.len();
        if total > MAX_TEXT {
            return Err(PdfTextError::TooMuchText);
        }
        out.push(text);
    }
    Ok(out)
}

/// Splits pages of text into clauses (see the module's documentation).
pub fn split(pages: &[String]) -> Vec<Clause> {
    let last = pages
        .iter()
        .rposition(|p| p.lines().any(|l| start(l.trim()).is_some()));
    let Some(last) = last else {
        return Vec::new();
    };
    let mut found: Vec<(Kind, String, String)> = Vec::new();
    for line in pages[..=last].iter().flat_map(|p| p.lines()) {
        let line = line.trim();
        if line.is_empty() || line.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        match start(line) {
            Some((kind, number, rest)) => found.push((kind, number.into(), rest.into())),
            None => {
                if let Some((_, _, text)) = found.last_mut() {
                    text.push(' ');
                    text.push_str(line);
                }
            }
        }
    }
    found
        .iter()
        .map(|(kind, number, text)| Clause::new(*kind, number, text))
        .collect()
}

/// A line that starts a clause: its kind, number and the rest of the line.
fn start(line: &str) -> Option<(Kind, &str, &str)> {
    if let Some((roman, rest)) = split_roman(line) {
        if !rest.is_empty() {
            return Some((Kind::Chapter, roman, rest));
        }
    }
    let end = line.find(char::is_whitespace).unwrap_or(line.len());
    let (number, rest) = line.split_at(end);
    is_clause_number(number).then(|| (Kind::Clause, number, rest.trim()))
}

/// `1.`, `5.1.`, `5.1.1.`: up to six parts of one to three digits, each
/// followed by a dot.
fn is_clause_number(s: &str) -> bool {
    let Some(body) = s.strip_suffix('.') else {
        return false;
    };
    let parts: Vec<&str> = body.split('.').collect();
    parts.len() <= 6
        && parts
            .iter()
            .all(|p| (1..=3).contains(&p.len()) && p.chars().all(|c| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        for ok in ["1.", "5.1.", "5.1.1.", "10.2."] {
            assert!(is_clause_number(ok), "{ok}");
        }
        for bad in ["1", "2017.gada", "1..", ".1.", "1234.", "a.", "1.2", ""] {
            assert!(!is_clause_number(bad), "{bad}");
        }
    }

    #[test]
    fn split_lines_pages_and_annex() {
        let pages = vec![
            "LATVIJAS REPUBLIKA\nNOTEIKUMI\nI. Vispārīgie jautājumi\n1. Noteikumi nosaka\nkārtību.\n5.1.\npieklājība:\n".to_string(),
            "2\n5.1.1. attiecībās ar klientu\nDarbinieks ir korekts;\nII. Beigas\n2. Stājas spēkā 2017.gada\n1.decembrī.\n".to_string(),
            "PIELIKUMS\nNr.p.k.\nDatums\n".to_string(),
            "Paraksts\n".to_string(),
        ];
        let got = split(&pages);
        let want = vec![
            Clause::new(Kind::Chapter, "I.", "Vispārīgie jautājumi"),
            Clause::new(Kind::Clause, "1.", "Noteikumi nosaka kārtību."),
            Clause::new(Kind::Clause, "5.1.", "pieklājība:"),
            Clause::new(
                Kind::Clause,
                "5.1.1.",
                "attiecībās ar klientu Darbinieks ir korekts;",
            ),
            Clause::new(Kind::Chapter, "II.", "Beigas"),
            Clause::new(Kind::Clause, "2.", "Stājas spēkā 2017.gada 1.decembrī."),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(matches!(
            clauses_from_pdf(b""),
            Err(PdfTextError::NotPdf(_))
        ));
        assert!(matches!(
            clauses_from_pdf(b"%PDF-1.7\n garbage"),
            Err(PdfTextError::NotPdf(_))
        ));
        let pdf = crate::render::render_default().unwrap().pdf;
        for cut in [10, 100, 1000, pdf.len() / 2, pdf.len() - 10] {
            let _ = clauses_from_pdf(&pdf[..cut]);
        }
        let mut flipped = pdf.clone();
        for i in (0..flipped.len()).step_by(997) {
            flipped[i] ^= 0x5a;
        }
        let _ = clauses_from_pdf(&flipped);
    }
}
