//! Reading PDFs back: the files attached to a PDF.
//!
//! The filled annex carries the sealed register as a PDF/A-3 attachment, so
//! the PDF alone is enough for an audit. This module finds attachments by
//! name in the document's `EmbeddedFiles` name tree.

/// Largest attachment extracted.
const MAX_ATTACHMENT: usize = 512 * 1024 * 1024;
/// Deepest name tree followed.
const MAX_DEPTH: usize = 16;

/// An error while reading a PDF's attachments.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// The bytes are not a readable PDF.
    #[error("not a readable PDF")]
    NotPdf(#[source] lopdf::Error),
    /// No attachment of that name.
    #[error("the PDF has no attached file named {0}")]
    NoAttachment(String),
    /// The attachment could not be decoded.
    #[error("the attached file {0} is damaged")]
    Damaged(String),
}

impl crate::Hint for PdfError {
    fn hint(&self) -> Option<String> {
        match self {
            PdfError::NoAttachment(_) => Some(
                "verify the annex PDF written with the sealed register, or the register JSON itself"
                    .into(),
            ),
            _ => None,
        }
    }
}

/// The bytes of the file named `name` attached to the PDF `bytes`.
pub fn attachment(bytes: &[u8], name: &str) -> Result<Vec<u8>, PdfError> {
    let doc = lopdf::Document::load_mem(bytes).map_err(PdfError::NotPdf)?;
    let missing = || PdfError::NoAttachment(name.to_string());
    let catalog = doc.catalog().map_err(|_| missing())?;
    let names = catalog
        .get_deref(b"Names", &doc)
        .and_then(|n| n.as_dict())
        .map_err(|_| missing())?;
    let tree = names
        .get_deref(b"EmbeddedFiles", &doc)
        .and_then(|n| n.as_dict())
        .map_err(|_| missing())?;
    let spec = find_in_tree(&doc, tree, name.as_bytes(), 0).ok_or_else(missing)?;
    let damaged = || PdfError::Damaged(name.to_string());
    let stream = spec
        .get_deref(b"EF", &doc)
        .and_then(|ef| ef.as_dict())
        .and_then(|ef| ef.get_deref(b"F", &doc))
        .and_then(|f| f.as_stream())
        .map_err(|_| damaged())?;
    let data = if stream.dict.has(b"Filter") {
        stream
            .get_plain_content_with_limit(MAX_ATTACHMENT)
            .map_err(|_| damaged())?
    } else {
        stream.content.clone()
    };
    Ok(data)
}

fn find_in_tree<'a>(
    doc: &'a lopdf::Document,
    node: &'a lopdf::Dictionary,
    name: &[u8],
    depth: usize,
) -> Option<&'a lopdf::Dictionary> {
    if depth > MAX_DEPTH {
        return None;
    }
    if let Ok(names) = node.get_deref(b"Names", doc).and_then(|n| n.as_array()) {
        for pair in names.chunks(2) {
            let [key, value] = pair else { continue };
            let key = doc.dereference(key).ok()?.1;
            if key.as_str().ok()? == name {
                return doc.dereference(value).ok()?.1.as_dict().ok();
            }
        }
    }
    if let Ok(kids) = node.get_deref(b"Kids", doc).and_then(|k| k.as_array()) {
        for kid in kids {
            let kid = doc.dereference(kid).ok()?.1.as_dict().ok()?;
            if let Some(found) = find_in_tree(doc, kid, name, depth + 1) {
                return Some(found);
            }
        }
    }
    None
}
