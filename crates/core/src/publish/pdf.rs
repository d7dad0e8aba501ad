//! An uploaded PDF, checked before anything else looks at it: within
//! [`MAX_UPLOAD_PDF`], a PDF lopdf reads with at least one page, its title
//! from the Info dictionary if it has one, and whether it claims PDF/A.
//!
//! PDF/A is reported as a fact, never required: most regulations are
//! written in a word processor, whose PDF export may or may not be PDF/A.
//! The claim is the document's own XMP metadata (`pdfaid:part` and
//! `pdfaid:conformance`), not a validation.

use crate::document::{self, DocumentError};

/// Largest PDF accepted for publishing: 64 MiB, the most `log diff` reads
/// of a version's PDF ([`crate::changes::pdftext::MAX_PDF`]), so that what
/// changed can always be told.
pub const MAX_UPLOAD_PDF: usize = crate::changes::pdftext::MAX_PDF;

/// Why an uploaded PDF is refused.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// Over [`MAX_UPLOAD_PDF`].
    #[error("the PDF is larger than {MAX_UPLOAD_PDF} bytes")]
    TooLarge,
    /// Not a PDF lopdf can read.
    #[error("not a readable PDF: {0}")]
    NotPdf(String),
    /// A PDF without pages.
    #[error("the PDF has no pages")]
    NoPages,
}

impl crate::Hint for PdfError {
    fn hint(&self) -> Option<String> {
        Some(match self {
            PdfError::TooLarge => "make the PDF smaller (fewer or smaller images)".into(),
            PdfError::NotPdf(_) | PdfError::NoPages => {
                "upload the PDF of the version, as the word processor exports it".into()
            }
        })
    }
}

/// The PDF/A part and conformance a PDF's XMP metadata claims, e.g. 3, "A".
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PdfA {
    /// `pdfaid:part` (1 to 4).
    pub part: String,
    /// `pdfaid:conformance` (A, B, U, …; empty when not given, as PDF/A-4).
    pub conformance: String,
}

impl std::fmt::Display for PdfA {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PDF/A-{}{}", self.part, self.conformance.to_lowercase())
    }
}

/// A PDF that passed [`check_pdf`].
#[derive(Debug, Clone)]
pub struct CheckedPdf {
    /// Its bytes.
    pub pdf: Vec<u8>,
    /// Their SHA-256.
    pub sha256: [u8; 32],
    /// The title of its Info dictionary, if any.
    pub title: Option<String>,
    /// How many pages.
    pub pages: usize,
    /// The PDF/A it claims, if any.
    pub pdfa: Option<PdfA>,
}

/// Checks an uploaded PDF (see the module's documentation).
pub fn check_pdf(pdf: Vec<u8>) -> Result<CheckedPdf, PdfError> {
    if pdf.len() > MAX_UPLOAD_PDF {
        return Err(PdfError::TooLarge);
    }
    // lopdf reads hostile input without panicking as far as its authors
    // know; should it panic, the panic stays here.
    let loaded = std::panic::catch_unwind(|| lopdf::Document::load_mem(&pdf))
        .map_err(|_| PdfError::NotPdf("lopdf could not read it".into()))?
        .map_err(|e| PdfError::NotPdf(e.to_string()))?;
    let pages = loaded.get_pages().len();
    if pages == 0 {
        return Err(PdfError::NoPages);
    }
    let title = match document::pdf_title(&loaded) {
        Ok(t) => Some(t),
        Err(DocumentError::NoTitle | DocumentError::BadTitle) => None,
        Err(e) => return Err(PdfError::NotPdf(e.to_string())),
    };
    let pdfa = pdfa_claim(&loaded);
    Ok(CheckedPdf {
        sha256: document::sha256(&pdf),
        pdf,
        title,
        pages,
        pdfa,
    })
}

/// The PDF/A claim in the catalog's XMP metadata stream, if any.
pub fn pdfa_claim(doc: &lopdf::Document) -> Option<PdfA> {
    let catalog = doc.catalog().ok()?;
    let (_, metadata) = doc.dereference(catalog.get(b"Metadata").ok()?).ok()?;
    let stream = metadata.as_stream().ok()?;
    let bytes = stream
        .decompressed_content()
        .unwrap_or_else(|_| stream.content.clone());
    let xmp = String::from_utf8_lossy(&bytes);
    let part = xmp_value(&xmp, "pdfaid:part")?;
    let conformance = xmp_value(&xmp, "pdfaid:conformance").unwrap_or_default();
    let fine = |s: &str, n: usize| s.len() <= n && s.chars().all(|c| c.is_ascii_alphanumeric());
    (fine(&part, 2) && !part.is_empty() && fine(&conformance, 2)).then_some(PdfA {
        part,
        conformance: conformance.to_uppercase(),
    })
}

/// The value of an XMP property written as an attribute (`name="3"`) or
/// as an element (`<name>3</name>`).
fn xmp_value(xmp: &str, name: &str) -> Option<String> {
    for (i, _) in xmp.match_indices(name) {
        let rest = &xmp[i + name.len()..];
        let rest = rest.trim_start();
        let value = if let Some(r) = rest.strip_prefix('=') {
            let r = r.trim_start();
            let quote = r.chars().next().filter(|c| *c == '"' || *c == '\'')?;
            r[1..].split(quote).next()
        } else if let Some(r) = rest.strip_prefix('>') {
            r.split('<').next()
        } else {
            None
        };
        if let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) {
            return Some(v.to_string());
        }
    }
    None
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use lopdf::{dictionary, Object, Stream};

    /// A PDF of `pages` pages with the given title and XMP metadata.
    pub(crate) fn pdf(pages: usize, title: Option<&str>, xmp: Option<&str>) -> Vec<u8> {
        let mut doc = lopdf::Document::with_version("1.7");
        let pages_id = doc.new_object_id();
        let kids: Vec<Object> = (0..pages)
            .map(|_| {
                doc.add_object(dictionary! {
                    "Type" => "Page",
                    "Parent" => pages_id,
                    "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
                })
                .into()
            })
            .collect();
        doc.objects.insert(
            pages_id,
            Object::Dictionary(dictionary! {
                "Type" => "Pages", "Kids" => kids, "Count" => pages as i64,
            }),
        );
        let mut catalog = dictionary! { "Type" => "Catalog", "Pages" => pages_id };
        if let Some(x) = xmp {
            let id = doc.add_object(Stream::new(
                dictionary! {"Type" => "Metadata", "Subtype" => "XML"},
                x.as_bytes().to_vec(),
            ));
            catalog.set("Metadata", id);
        }
        let catalog_id = doc.add_object(catalog);
        doc.trailer.set("Root", catalog_id);
        if let Some(t) = title {
            let info_id = doc.add_object(dictionary! { "Title" => lopdf::text_string(t) });
            doc.trailer.set("Info", info_id);
        }
        let mut out = Vec::new();
        doc.save_to(&mut out).unwrap();
        out
    }

    #[test]
    fn a_pdf_with_title_and_pdfa_claim() {
        let xmp =
            r#"<x:xmpmeta><rdf:Description pdfaid:part="2" pdfaid:conformance="b"/></x:xmpmeta>"#;
        let c = check_pdf(pdf(2, Some("Darba kārtība"), Some(xmp))).unwrap();
        assert_eq!(c.title.as_deref(), Some("Darba kārtība"));
        assert_eq!(c.pages, 2);
        let a = c.pdfa.unwrap();
        assert_eq!((a.part.as_str(), a.conformance.as_str()), ("2", "B"));
        assert_eq!(a.to_string(), "PDF/A-2b");
        let xmp = "<pdfaid:part>3</pdfaid:part><pdfaid:conformance>A</pdfaid:conformance>";
        assert_eq!(
            check_pdf(pdf(1, None, Some(xmp)))
                .unwrap()
                .pdfa
                .unwrap()
                .to_string(),
            "PDF/A-3a"
        );
    }

    #[test]
    fn a_plain_pdf_is_accepted_as_not_pdfa_without_title() {
        let c = check_pdf(pdf(1, None, None)).unwrap();
        assert_eq!(c.title, None);
        assert_eq!(c.pdfa, None);
        assert_eq!(c.sha256, document::sha256(&c.pdf));
    }

    #[test]
    fn the_renderers_pdf_claims_pdfa_3a() {
        let r = crate::render::render_default().unwrap();
        let c = check_pdf(r.pdf).unwrap();
        assert_eq!(c.pdfa.unwrap().to_string(), "PDF/A-3a");
        assert_eq!(c.title.as_deref(), Some(r.title.as_str()));
    }

    #[test]
    fn refused_not_a_pdf_no_pages_too_large() {
        for bad in [&b"hello"[..], b"%PDF-1.7\n", b"PK\x03\x04 a zip"] {
            assert!(matches!(check_pdf(bad.to_vec()), Err(PdfError::NotPdf(_))));
        }
        assert!(matches!(
            check_pdf(pdf(0, Some("x"), None)),
            Err(PdfError::NoPages)
        ));
        let mut big = pdf(1, None, None);
        big.resize(MAX_UPLOAD_PDF + 1, b' ');
        assert!(matches!(check_pdf(big), Err(PdfError::TooLarge)));
    }
}
