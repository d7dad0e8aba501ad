//! The document an employee acknowledges: a PDF identified by the SHA-256
//! of its exact bytes, with the title it declares in its Info dictionary.
//!
//! The hash binds an acknowledgement to one exact file; the title is only
//! for people, so that a reader of the acknowledgement sees what it is about.

use std::path::Path;

use sha2::{Digest, Sha256};

/// Largest rules PDF read (the built-in rules are about 100 KB).
pub const MAX_DOCUMENT_FILE: usize = 256 * 1024 * 1024;

/// An error while reading a document.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    /// The file could not be read.
    #[error("cannot read the document")]
    Io(#[source] std::io::Error),
    /// The file is larger than any rules PDF ackreg reads.
    #[error("the document is larger than {MAX_DOCUMENT_FILE} bytes")]
    TooLarge,
    /// The bytes are not a PDF that can be parsed.
    #[error("not a readable PDF")]
    NotPdf(#[source] lopdf::Error),
    /// The PDF has no /Title in its Info dictionary.
    #[error("the PDF has no title in its Info dictionary")]
    NoTitle,
    /// The /Title is not a decodable text string.
    #[error("the PDF title is not a valid text string")]
    BadTitle,
}

impl crate::Hint for DocumentError {
    fn hint(&self) -> Option<String> {
        match self {
            DocumentError::NotPdf(_) => Some("pass the PDF of the rules".into()),
            DocumentError::NoTitle | DocumentError::BadTitle => {
                Some("give the title by hand".into())
            }
            DocumentError::Io(_) => Some("check the path of the PDF".into()),
            DocumentError::TooLarge => Some("pass the PDF of the rules".into()),
        }
    }
}

/// A reference to a PDF: its title and the SHA-256 of its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentRef {
    /// The title, from the PDF's Info dictionary (or given by hand).
    pub title: String,
    /// SHA-256 of the file's exact bytes.
    pub sha256: [u8; 32],
}

/// SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

impl DocumentRef {
    /// Reads a PDF file. See [`DocumentRef::from_pdf_bytes`].
    pub fn from_pdf_file(path: &Path, title: Option<&str>) -> Result<Self, DocumentError> {
        let bytes = read_pdf(path)?;
        Self::from_pdf_bytes(&bytes, title)
    }

    /// Hashes the PDF bytes and takes the title from the Info dictionary
    /// (UTF-16BE with a byte order mark, UTF-8 with one, or PDFDocEncoding),
    /// unless `title` is given. The bytes must parse as a PDF either way.
    pub fn from_pdf_bytes(bytes: &[u8], title: Option<&str>) -> Result<Self, DocumentError> {
        let doc = lopdf::Document::load_mem(bytes).map_err(DocumentError::NotPdf)?;
        let title = match title {
            Some(t) => t.to_string(),
            None => pdf_title(&doc)?,
        };
        Ok(DocumentRef {
            title,
            sha256: sha256(bytes),
        })
    }
}

/// Reads a PDF's bytes, refusing files over [`MAX_DOCUMENT_FILE`].
pub fn read_pdf(path: &Path) -> Result<Vec<u8>, DocumentError> {
    crate::fsutil::read_limited(path, MAX_DOCUMENT_FILE).map_err(|e| match e {
        crate::fsutil::ReadError::TooLarge { .. } => DocumentError::TooLarge,
        crate::fsutil::ReadError::Io(e) => DocumentError::Io(e),
    })
}

/// The title of a loaded PDF's Info dictionary, trimmed.
pub(crate) fn pdf_title(doc: &lopdf::Document) -> Result<String, DocumentError> {
    let info = doc
        .trailer
        .get(b"Info")
        .map_err(|_| DocumentError::NoTitle)?;
    let (_, info) = doc.dereference(info).map_err(|_| DocumentError::NoTitle)?;
    let info = info.as_dict().map_err(|_| DocumentError::NoTitle)?;
    let title = info.get(b"Title").map_err(|_| DocumentError::NoTitle)?;
    let (_, title) = doc.dereference(title).map_err(|_| DocumentError::NoTitle)?;
    let text = lopdf::decode_text_string(title).map_err(|_| DocumentError::BadTitle)?;
    let text = text.trim().to_string();
    if text.is_empty() {
        return Err(DocumentError::NoTitle);
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lopdf::{dictionary, Object};

    /// A one-page PDF with the given Info /Title.
    pub(crate) fn tiny_pdf(title: Option<&str>) -> Vec<u8> {
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
        let catalog_id = doc.add_object(dictionary! {
            "Type" => "Catalog",
            "Pages" => pages_id,
        });
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
    fn title_and_hash() {
        let pdf = tiny_pdf(Some("Darba kārtības noteikumi"));
        let doc = DocumentRef::from_pdf_bytes(&pdf, None).unwrap();
        assert_eq!(doc.title, "Darba kārtības noteikumi");
        assert_eq!(doc.sha256, sha256(&pdf));
        let ascii = DocumentRef::from_pdf_bytes(&tiny_pdf(Some("Rules")), None).unwrap();
        assert_eq!(ascii.title, "Rules");
    }

    #[test]
    fn missing_title_and_not_pdf() {
        let pdf = tiny_pdf(None);
        assert!(matches!(
            DocumentRef::from_pdf_bytes(&pdf, None),
            Err(DocumentError::NoTitle)
        ));
        assert_eq!(
            DocumentRef::from_pdf_bytes(&pdf, Some("Given"))
                .unwrap()
                .title,
            "Given"
        );
        assert!(matches!(
            DocumentRef::from_pdf_bytes(b"hello", Some("x")),
            Err(DocumentError::NotPdf(_))
        ));
    }
}
