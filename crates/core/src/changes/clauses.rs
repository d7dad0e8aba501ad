//! A version's text as clauses, and the clauses file kept beside its PDF.
//!
//! For a version ackreg rendered, the clauses are read from the compiled
//! Typst document (the marks `clause` and `chapter` of the house style
//! place), so they are exactly the words printed. `log publish` keeps them
//! as `documents/H.clauses.json` (H = the PDF's SHA-256), so that what
//! changed between two versions can be told years later from the log
//! folder alone, without the template.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::fsutil::{self, Overwrite};
use crate::log::LogDir;

/// The `format` of a clauses file.
pub const FORMAT: &str = "ackreg-clauses/1";
/// Most clauses in one version.
pub const MAX_CLAUSES: usize = 10_000;
/// Longest clause text, in bytes.
pub const MAX_TEXT: usize = 64 * 1024;
/// Longest clause number, in bytes.
pub const MAX_NUMBER: usize = 32;
/// Largest clauses file read.
pub const MAX_FILE: usize = 16 * 1024 * 1024;

/// A clause or a chapter heading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A chapter heading, e.g. "I. Vispārīgie jautājumi".
    Chapter,
    /// A numbered clause, e.g. "5.1.".
    Clause,
}

/// One clause (or chapter heading) of a version, as printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Clause {
    /// Clause or chapter.
    pub kind: Kind,
    /// Its number as printed: "5.1." for a clause, "I." for a chapter
    /// (empty when the heading has none).
    pub number: String,
    /// Its text, spaces collapsed.
    pub text: String,
}

impl Clause {
    /// The clauses of a rendered document, from its marks.
    pub fn of_rendered(rendered: &crate::render::Rendered) -> Vec<Clause> {
        rendered
            .marks
            .iter()
            .map(|m| {
                let kind = if m.chapter {
                    Kind::Chapter
                } else {
                    Kind::Clause
                };
                Clause::new(kind, &m.number, &m.text)
            })
            .collect()
    }

    /// A clause from its number and text, spaces collapsed; a chapter's
    /// leading Roman numeral ("II.") becomes its number.
    pub fn new(kind: Kind, number: &str, text: &str) -> Clause {
        let text = collapse(text);
        let number = collapse(number);
        if kind == Kind::Chapter && number.is_empty() {
            if let Some((roman, rest)) = split_roman(&text) {
                return Clause {
                    kind,
                    number: roman.to_string(),
                    text: rest.to_string(),
                };
            }
        }
        Clause { kind, number, text }
    }

    /// The number without its final dot, for matching ("5.1." = "5.1").
    pub fn key(&self) -> (Kind, &str) {
        (self.kind, self.number.trim_end_matches('.'))
    }
}

/// Where a version's clauses were read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// From the template, as rendered (kept in the clauses file).
    Template,
    /// From the text of the PDF (a PDF made elsewhere, or a version
    /// published before clauses were kept).
    PdfText,
}

/// The clauses file: `{"format":"ackreg-clauses/1","clauses":[...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClausesFile {
    /// Always [`FORMAT`].
    pub format: String,
    /// The clauses in document order.
    pub clauses: Vec<Clause>,
}

/// Why a clauses file cannot be read or kept.
#[derive(Debug, thiserror::Error)]
pub enum ClausesError {
    /// Not a clauses file of this format.
    #[error("not a clauses file ({FORMAT}): {0}")]
    Json(String),
    /// A clause breaks a limit or holds a control character.
    #[error("clause {index}: {why}")]
    Bad {
        /// Its place, from 1.
        index: usize,
        /// What is wrong.
        why: &'static str,
    },
    /// More clauses than [`MAX_CLAUSES`].
    #[error("more than {MAX_CLAUSES} clauses")]
    TooMany,
    /// The file cannot be written.
    #[error(transparent)]
    Write(#[from] fsutil::WriteError),
    /// The documents folder cannot be made.
    #[error("cannot make the folder {}", .0.display())]
    Folder(PathBuf, #[source] std::io::Error),
}

impl crate::Hint for ClausesError {
    fn hint(&self) -> Option<String> {
        match self {
            ClausesError::Json(_) | ClausesError::Bad { .. } | ClausesError::TooMany => Some(
                "the file is not one ackreg wrote: remove it to compare the PDFs' text instead"
                    .into(),
            ),
            _ => None,
        }
    }
}

/// Checks every clause against the limits.
pub fn check(clauses: &[Clause]) -> Result<(), ClausesError> {
    if clauses.len() > MAX_CLAUSES {
        return Err(ClausesError::TooMany);
    }
    for (i, c) in clauses.iter().enumerate() {
        let bad = |why| ClausesError::Bad { index: i + 1, why };
        if c.number.len() > MAX_NUMBER {
            return Err(bad("the number is too long"));
        }
        if c.text.len() > MAX_TEXT {
            return Err(bad("the text is too long"));
        }
        if c.number.chars().chain(c.text.chars()).any(char::is_control) {
            return Err(bad("a control character"));
        }
    }
    Ok(())
}

/// The canonical bytes of a clauses file: compact JSON, fields in the
/// order above, a final line feed.
pub fn to_bytes(clauses: &[Clause]) -> Result<Vec<u8>, ClausesError> {
    check(clauses)?;
    let file = ClausesFile {
        format: FORMAT.into(),
        clauses: clauses.to_vec(),
    };
    let mut bytes = serde_json::to_vec(&file).map_err(|e| ClausesError::Json(e.to_string()))?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// Reads a clauses file's bytes.
pub fn from_bytes(bytes: &[u8]) -> Result<Vec<Clause>, ClausesError> {
    let file: ClausesFile =
        serde_json::from_slice(bytes).map_err(|e| ClausesError::Json(e.to_string()))?;
    if file.format != FORMAT {
        return Err(ClausesError::Json(format!("format {:?}", file.format)));
    }
    check(&file.clauses)?;
    Ok(file.clauses)
}

/// The path of the clauses file of the PDF with SHA-256 `sha256`.
pub fn path(log: &LogDir, sha256: &[u8; 32]) -> PathBuf {
    log.dir()
        .join("documents")
        .join(format!("{}.clauses.json", crate::encoding::hex(sha256)))
}

/// Keeps `clauses` as the clauses file of the PDF with SHA-256 `sha256`,
/// written atomically as the PDF is.
pub fn store(log: &LogDir, sha256: &[u8; 32], clauses: &[Clause]) -> Result<PathBuf, ClausesError> {
    let bytes = to_bytes(clauses)?;
    let path = path(log, sha256);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| ClausesError::Folder(dir.to_path_buf(), e))?;
    }
    fsutil::write_atomic(&path, &bytes, Overwrite::Replace, None)?;
    Ok(path)
}

/// `s` with every run of white space made one space, trimmed.
pub fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// "II. Title" -> ("II.", "Title"), for a Roman numeral of at most 8 letters.
pub(crate) fn split_roman(s: &str) -> Option<(&str, &str)> {
    let (head, rest) = s.split_once(' ').unwrap_or((s, ""));
    let numeral = head.strip_suffix('.')?;
    let roman =
        !numeral.is_empty() && numeral.len() <= 8 && numeral.chars().all(|c| "IVXLC".contains(c));
    roman.then_some((head, rest.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chapter_numbers_and_spaces() {
        let c = Clause::new(Kind::Chapter, "", " II.  Klientu\n apkalpošanas ");
        assert_eq!(
            (c.number.as_str(), c.text.as_str()),
            ("II.", "Klientu apkalpošanas")
        );
        let c = Clause::new(Kind::Chapter, "", "Ievads");
        assert_eq!((c.number.as_str(), c.text.as_str()), ("", "Ievads"));
        let c = Clause::new(Kind::Clause, "5.1.", "pieklājība:");
        assert_eq!(c.key(), (Kind::Clause, "5.1"));
    }

    #[test]
    fn file_round_trip_and_refusals() {
        let clauses = vec![
            Clause::new(Kind::Chapter, "", "I. Vispārīgie jautājumi"),
            Clause::new(Kind::Clause, "1.", "Noteikumi nosaka “kārtību”."),
        ];
        let bytes = to_bytes(&clauses).unwrap();
        assert_eq!(
            String::from_utf8(bytes.clone()).unwrap(),
            "{\"format\":\"ackreg-clauses/1\",\"clauses\":[\
             {\"kind\":\"chapter\",\"number\":\"I.\",\"text\":\"Vispārīgie jautājumi\"},\
             {\"kind\":\"clause\",\"number\":\"1.\",\"text\":\"Noteikumi nosaka “kārtību”.\"}]}\n"
        );
        assert_eq!(from_bytes(&bytes).unwrap(), clauses);
        assert!(from_bytes(b"{}").is_err());
        assert!(from_bytes(b"\xff").is_err());
        let other = br#"{"format":"x","clauses":[]}"#;
        assert!(from_bytes(other).is_err());
        let control = br#"{"format":"ackreg-clauses/1","clauses":[{"kind":"clause","number":"1.","text":"a\u001bb"}]}"#;
        assert!(matches!(
            from_bytes(control),
            Err(ClausesError::Bad { index: 1, .. })
        ));
        let extra = br#"{"format":"ackreg-clauses/1","clauses":[],"x":1}"#;
        assert!(from_bytes(extra).is_err());
    }
}
