//! What changed between two versions of a document.
//!
//! A version's text is read as clauses ([`clauses`]): from the clauses
//! file that `log publish` keeps beside a PDF ackreg rendered
//! (`documents/H.clauses.json`), else from the PDF's own text
//! ([`pdftext`]). [`compare`] tells clauses added, removed, changed and
//! renumbered, with the words that changed; [`handout`] prints that as a
//! PDF to hand out with the new version.
//!
//! The list of changes is a reading aid, not evidence: what an employee
//! acknowledges is the PDF, named by its SHA-256 in the log. The clauses
//! file is not signed; the comparison names each version's SHA-256 and
//! checks that the PDF kept for it is that PDF.

pub mod clauses;
pub mod compare;
pub mod handout;
pub mod pdftext;

use std::path::PathBuf;

use serde::Serialize;

pub use clauses::{Clause, Kind, Source};
pub use compare::{compare, Change, Op, Segment, Summary, What};

use crate::encoding::hex;
use crate::log::entry::format_date;
use crate::log::state::{Published, State};
use crate::log::LogDir;

/// The document of every version that names none: the log's rules.
pub const IMPLICIT_DOCUMENT: &str = crate::log::entry::RULES;

/// Why two versions cannot be compared.
#[derive(Debug, thiserror::Error)]
pub enum ChangesError {
    /// The log has no such document.
    #[error("the log has no document {0}")]
    NoDocument(String),
    /// The document has no version of that label.
    #[error("document {document} has no version {label}")]
    NoVersion {
        /// The document's id.
        document: String,
        /// The label asked for.
        label: String,
    },
    /// Both labels name the same version.
    #[error("version {0} is compared with itself")]
    SameVersion(String),
    /// The PDF of a version is not in the log folder.
    #[error("the PDF of version {label} is not in the log folder: {}", path.display())]
    NoPdf {
        /// The version's label.
        label: String,
        /// Where it should be.
        path: PathBuf,
    },
    /// The file kept for a version is not its PDF.
    #[error("{} is not the PDF of version {label}: its SHA-256 differs", path.display())]
    WrongPdf {
        /// The version's label.
        label: String,
        /// The file.
        path: PathBuf,
    },
    /// The PDF cannot be read.
    #[error("cannot read {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: crate::fsutil::ReadError,
    },
    /// The clauses file is damaged.
    #[error("{}: {why}", path.display())]
    Clauses {
        /// The file.
        path: PathBuf,
        /// Why.
        why: clauses::ClausesError,
    },
    /// The PDF's text gives no clauses.
    #[error("{}: {why}", path.display())]
    PdfText {
        /// The file.
        path: PathBuf,
        /// Why.
        why: pdftext::PdfTextError,
    },
}

impl crate::Hint for ChangesError {
    fn hint(&self) -> Option<String> {
        match self {
            ChangesError::NoDocument(_) => Some(format!(
                "name a document the log declares, or {IMPLICIT_DOCUMENT} for the versions that name none"
            )),
            ChangesError::NoVersion { .. } => {
                Some("the labels are those of the log's versions (see the log's status)".into())
            }
            ChangesError::SameVersion(_) => Some("name two different versions".into()),
            ChangesError::NoPdf { .. } | ChangesError::WrongPdf { .. } => {
                Some("put the version's PDF back as documents/SHA256.pdf in the log folder".into())
            }
            ChangesError::Read { .. } => None,
            ChangesError::Clauses { why, .. } => why.hint(),
            ChangesError::PdfText { why, .. } => why.hint(),
        }
    }
}

/// One version, as compared: what identifies it, and its clauses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionText {
    /// The version's label.
    pub label: String,
    /// The title it was published with.
    pub title: String,
    /// The date it takes effect, YYYY-MM-DD.
    pub effective: String,
    /// Hex SHA-256 of its PDF.
    pub sha256: String,
    /// Where the clauses come from.
    pub source: Source,
    /// Its clauses, in order.
    #[serde(skip)]
    pub clauses: Vec<Clause>,
}

/// What changed from one version to another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Comparison {
    /// The document's id.
    pub document: String,
    /// The older version.
    pub from: VersionText,
    /// The newer version.
    pub to: VersionText,
    /// How many of each.
    pub summary: Summary,
    /// The changes, in the newer version's order.
    pub changes: Vec<Change>,
}

/// The version `label` of `document` (a declared document, or the implicit
/// one, [`IMPLICIT_DOCUMENT`]); this is the one place that looks a version
/// up by document and label.
pub fn find_version<'a>(
    state: &'a State,
    document: &str,
    label: &str,
) -> Result<&'a Published, ChangesError> {
    if document != IMPLICIT_DOCUMENT && state.document(document).is_none() {
        return Err(ChangesError::NoDocument(document.to_string()));
    }
    state
        .version_of(document, label)
        .map(|(_, v)| v)
        .ok_or_else(|| ChangesError::NoVersion {
            document: document.to_string(),
            label: label.to_string(),
        })
}

/// What changed in `document` from version `from` to version `to`, read
/// from the log folder alone.
pub fn between(
    log: &LogDir,
    state: &State,
    document: &str,
    from: &str,
    to: &str,
) -> Result<Comparison, ChangesError> {
    let old = find_version(state, document, from)?;
    let new = find_version(state, document, to)?;
    if old.entry == new.entry {
        return Err(ChangesError::SameVersion(from.to_string()));
    }
    Ok(compare_versions(
        document,
        read_version(log, old)?,
        read_version(log, new)?,
    ))
}

/// The comparison of two versions already read.
pub fn compare_versions(document: &str, from: VersionText, to: VersionText) -> Comparison {
    let (changes, summary) = compare(&from.clauses, &to.clauses);
    Comparison {
        document: document.to_string(),
        from,
        to,
        summary,
        changes,
    }
}

/// A published version's clauses: from its clauses file when the log
/// keeps one, else from the text of its PDF, which must then be in the
/// folder and be the version's (its SHA-256 is checked).
pub fn read_version(log: &LogDir, v: &Published) -> Result<VersionText, ChangesError> {
    let sha = &v.version.sha256;
    let clauses_path = clauses::path(log, sha);
    let (source, found) = if clauses_path.exists() {
        (Source::Template, read_clauses_file(&clauses_path)?)
    } else {
        (Source::PdfText, read_pdf_text(log, v)?)
    };
    Ok(VersionText {
        label: v.version.label.clone(),
        title: v.version.title.clone(),
        effective: format_date(v.version.effective),
        sha256: hex(sha),
        source,
        clauses: found,
    })
}

fn read_clauses_file(path: &std::path::Path) -> Result<Vec<Clause>, ChangesError> {
    let bytes = crate::fsutil::read_limited(path, clauses::MAX_FILE).map_err(|source| {
        ChangesError::Read {
            path: path.to_path_buf(),
            source,
        }
    })?;
    clauses::from_bytes(&bytes).map_err(|why| ChangesError::Clauses {
        path: path.to_path_buf(),
        why,
    })
}

fn read_pdf_text(log: &LogDir, v: &Published) -> Result<Vec<Clause>, ChangesError> {
    let label = &v.version.label;
    let path = log
        .dir()
        .join("documents")
        .join(format!("{}.pdf", hex(&v.version.sha256)));
    let pdf = read_pdf(label, &path)?;
    if crate::document::sha256(&pdf) != v.version.sha256 {
        return Err(ChangesError::WrongPdf {
            label: label.clone(),
            path,
        });
    }
    pdftext::clauses_from_pdf(&pdf).map_err(|why| ChangesError::PdfText { path, why })
}

fn read_pdf(label: &str, path: &std::path::Path) -> Result<Vec<u8>, ChangesError> {
    use crate::fsutil::ReadError;
    match crate::fsutil::read_limited(path, pdftext::MAX_PDF) {
        Ok(bytes) => Ok(bytes),
        Err(ReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            Err(ChangesError::NoPdf {
                label: label.to_string(),
                path: path.to_path_buf(),
            })
        }
        Err(source) => Err(ChangesError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The built-in rules: the clause marks leave the PDF's bytes as they
    /// were (the SHA-256 that `tests/cmd/log-publish.stdout` pins), give
    /// every chapter and clause, and the PDF's text read back gives the
    /// very same clauses.
    #[test]
    fn builtin_rules_marks_and_pdf_text_agree() {
        let r = crate::render::render_default().unwrap();
        let clauses = Clause::of_rendered(&r);
        assert_eq!(
            hex(&r.sha256),
            "e47b17b431be700fd51617a20d3426146fdba55c9e21f14445a334c33d0cec9b"
        );
        assert_eq!(clauses.len(), 45);
        assert_eq!(
            clauses[0],
            Clause::new(Kind::Chapter, "I.", "Vispārīgie jautājumi")
        );
        assert_eq!(clauses[8].number, "5.1.1.");
        assert_eq!(pdftext::clauses_from_pdf(&r.pdf).unwrap(), clauses);
    }
}
