//! Publishing a version from the desk's page: the PDF (uploaded, or
//! rendered from a template), what changed against the document's previous
//! version, and the entries to append, the same bytes `ackreg log publish`
//! writes for the same inputs.
//!
//! - [`pdf`]: an uploaded PDF, checked (size, readable, pages, title,
//!   PDF/A claim);
//! - [`template`]: a template uploaded as a ZIP, extracted safely and
//!   rendered as `--template DIR` is.
//!
//! The desk keeps the PDF in memory until the administrator publishes; the
//! PDF (and, for a rendered one, its clauses file) is then stored in the
//! log folder's `documents/` by [`store`], before the entries are
//! committed, as `log publish` does. Should the commit not follow, the file
//! stays unnamed by any entry: it is harmless, since the audit reads a
//! document only when a version names its SHA-256 (and the export carries
//! only those), and a later publish of the same PDF writes the same file.

pub mod pdf;
pub mod template;

use time::Date;

use crate::changes::{self, clauses, Clause, Comparison, Source, VersionText};
use crate::encoding::hex;
use crate::log::entry::{self, Declaration, Entry, EntryError, Version, RULES};
use crate::log::state::{Published, Refusal, State};
use crate::log::LogDir;
use crate::render::Rendered;

pub use pdf::{check_pdf, CheckedPdf, PdfA, PdfError};
pub use template::TemplateError;

/// A PDF ready to be published: uploaded, or rendered from a template.
#[derive(Debug, Clone)]
pub struct Staged {
    /// The PDF's bytes.
    pub pdf: Vec<u8>,
    /// Their SHA-256.
    pub sha256: [u8; 32],
    /// The title it declares (Info dictionary, or the template's).
    pub title: Option<String>,
    /// How many pages.
    pub pages: usize,
    /// The PDF/A it claims.
    pub pdfa: Option<PdfA>,
    /// A rendered PDF's clauses, as the template marks them (none for an
    /// uploaded PDF: its text is read instead).
    pub clauses: Vec<Clause>,
}

impl Staged {
    /// An uploaded PDF that passed [`check_pdf`].
    pub fn uploaded(c: CheckedPdf) -> Staged {
        Staged {
            pdf: c.pdf,
            sha256: c.sha256,
            title: c.title,
            pages: c.pages,
            pdfa: c.pdfa,
            clauses: Vec::new(),
        }
    }

    /// A PDF the renderer made (always PDF/A-3a; the claim is read back
    /// from the PDF all the same).
    pub fn rendered(r: Rendered) -> Staged {
        let pdfa = lopdf::Document::load_mem(&r.pdf)
            .ok()
            .and_then(|d| pdf::pdfa_claim(&d));
        let title = Some(r.title.clone()).filter(|t| !t.trim().is_empty());
        Staged {
            clauses: Clause::of_rendered(&r),
            pdf: r.pdf,
            sha256: r.sha256,
            title,
            pages: r.pages,
            pdfa,
        }
    }
}

/// What the administrator sets on the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    /// The document (`None` or [`RULES`]: the rules, which bind everyone).
    pub document: Option<String>,
    /// The version's title when the PDF has none, or instead of its own
    /// (as `log publish --title`).
    pub title: Option<String>,
    /// The label, e.g. 2 or 2026/1.
    pub label: String,
    /// The day it takes effect.
    pub effective: Date,
    /// A material change (else a correction).
    pub material: bool,
    /// The last day to acknowledge (material changes only, and needed then).
    pub deadline: Option<Date>,
    /// Days a new employee has to acknowledge.
    pub new_employee_days: u32,
    /// Who the document binds, for a declared document: declared with
    /// the version when the document is new or its audience changes.
    pub audience: Option<Audience>,
}

/// Who a document binds: units and positions (none of either: everyone).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Audience {
    /// Units' identifiers.
    pub units: Vec<String>,
    /// Positions.
    pub positions: Vec<String>,
}

/// Why a publication is refused.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// A field's value is wrong.
    #[error("{field} {why}")]
    Field {
        /// The form's field.
        field: &'static str,
        /// What is wrong.
        why: String,
    },
    /// Neither the PDF nor the form gives a title.
    #[error("the PDF has no title in its Info dictionary: give the title")]
    NoTitle,
    /// A material version without a deadline.
    #[error("a material version needs a deadline")]
    NoDeadline,
    /// A correction with a deadline.
    #[error("a correction has no deadline")]
    CorrectionDeadline,
    /// The rules bind everyone: no audience.
    #[error("the rules bind everyone: choose a declared document to name units or positions")]
    RulesAudience,
    /// The log refuses an entry.
    #[error("the log refuses it: {0}")]
    Refused(#[from] Refusal),
    /// An entry cannot be made.
    #[error(transparent)]
    Entry(#[from] EntryError),
    /// What changed cannot be told.
    #[error("what changed cannot be told: {0}")]
    Changes(String),
}

impl PublishError {
    /// The form's field at fault, if one is.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            PublishError::Field { field, .. } => Some(field),
            PublishError::NoTitle => Some("title"),
            PublishError::NoDeadline | PublishError::CorrectionDeadline => Some("deadline"),
            PublishError::RulesAudience => Some("units"),
            _ => None,
        }
    }
}

impl crate::Hint for PublishError {}

fn field(field: &'static str, why: impl ToString) -> PublishError {
    PublishError::Field {
        field,
        why: why.to_string(),
    }
}

/// The entries to publish `staged` as `form` says, checked against the
/// log's `state` (every one accepted in order), with what is asked, in
/// words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publication {
    /// What is asked, e.g. "publicēšana: darba-kartiba, versija 2".
    pub action: String,
    /// The entries' exact bytes, in order: a document's declaration when
    /// needed, then the version.
    pub entries: Vec<Vec<u8>>,
    /// The version.
    pub version: Version,
}

/// Makes the entries that publish `staged` as `form` says: the version
/// entry `log publish` writes for the same PDF and arguments, preceded by
/// the document's declaration (as `log document` writes it, dated the
/// effective day) when the document is new or its audience changes. Every
/// entry is checked against a copy of `state`.
pub fn entries(state: &State, staged: &Staged, form: &Form) -> Result<Publication, PublishError> {
    let version = version(staged, form)?;
    let mut out = Vec::new();
    if let Some(d) = declaration(state, &version, form)? {
        out.push(entry::document_bytes(&d)?);
    }
    out.push(entry::version_bytes(&version)?);
    check_in(state, &out)?;
    Ok(Publication {
        action: format!(
            "publicēšana: {}, versija {}",
            version.document_id(),
            version.label
        ),
        entries: out,
        version,
    })
}

/// The version entry's fields, checked as `log publish` checks its
/// arguments.
fn version(staged: &Staged, form: &Form) -> Result<Version, PublishError> {
    let document = match form.document.as_deref().map(str::trim) {
        None | Some("") | Some(RULES) => None,
        Some(id) => {
            crate::text::check_id(id).map_err(|e| field("document", e))?;
            Some(id.to_string())
        }
    };
    let label = crate::text::normalize(&form.label, entry::MAX_LABEL_LEN, false)
        .map_err(|e| field("label", e))?;
    let given = form.title.as_deref().filter(|t| !t.trim().is_empty());
    let title = match given {
        Some(t) => crate::text::normalize(t, crate::ack::MAX_TITLE_LEN, false)
            .map_err(|e| field("title", e))?,
        None => staged.title.clone().ok_or(PublishError::NoTitle)?,
    };
    if form.new_employee_days > entry::MAX_NEW_EMPLOYEE_DAYS {
        return Err(field(
            "new_employee_days",
            format!("is more than {}", entry::MAX_NEW_EMPLOYEE_DAYS),
        ));
    }
    match (form.material, form.deadline) {
        (true, None) => return Err(PublishError::NoDeadline),
        (false, Some(_)) => return Err(PublishError::CorrectionDeadline),
        _ => {}
    }
    Ok(Version {
        document,
        label,
        title,
        sha256: staged.sha256,
        effective: form.effective,
        material: form.material,
        deadline: form.deadline,
        new_employee_days: form.new_employee_days,
    })
}

/// The declaration to write before the version, if one is needed.
fn declaration(
    state: &State,
    version: &Version,
    form: &Form,
) -> Result<Option<Declaration>, PublishError> {
    let Some(id) = version.document.as_deref() else {
        let named = form
            .audience
            .as_ref()
            .is_some_and(|a| !a.units.is_empty() || !a.positions.is_empty());
        return if named {
            Err(PublishError::RulesAudience)
        } else {
            Ok(None)
        };
    };
    let audience = audience(form.audience.clone().unwrap_or_default())?;
    let current = state.document(id);
    let same = current.is_some_and(|d| {
        let now = &d.declarations.last().map(|(d, _)| d);
        now.is_some_and(|n| n.units == audience.units && n.positions == audience.positions)
    });
    if same || (current.is_some() && form.audience.is_none()) {
        return Ok(None);
    }
    let title = current.map_or(version.title.clone(), |d| d.title().to_string());
    Ok(Some(Declaration {
        id: id.to_string(),
        title,
        units: audience.units,
        positions: audience.positions,
        date: version.effective,
    }))
}

/// An audience's lists checked and in their one spelling.
fn audience(a: Audience) -> Result<Audience, PublishError> {
    let mut units = Vec::new();
    for u in a.units.iter().map(|u| u.trim()).filter(|u| !u.is_empty()) {
        crate::text::check_id(u).map_err(|e| field("units", e))?;
        units.push(u.to_string());
    }
    let mut positions = Vec::new();
    for p in a.positions.iter().filter(|p| !p.trim().is_empty()) {
        let p = crate::text::normalize(p, crate::keyring::MAX_NAME_LEN, false)
            .map_err(|e| field("positions", e))?;
        positions.push(p);
    }
    Ok(Audience {
        units: entry::one_spelling(&units),
        positions: entry::one_spelling(&positions),
    })
}

/// Appends `entries` to a copy of `state`: the log's own rules decide.
fn check_in(state: &State, entries: &[Vec<u8>]) -> Result<(), PublishError> {
    let mut copy = state.clone();
    for bytes in entries {
        let parsed: Entry = entry::parse(bytes)?;
        copy.append_bytes(&parsed, bytes)?;
    }
    Ok(())
}

/// The newest version of `document` (`None` or empty: the rules) in
/// `state`, if it has one: what a new version is compared with.
pub fn previous_version(state: &State, document: Option<&str>) -> Option<Published> {
    let document = document.filter(|d| !d.is_empty()).unwrap_or(RULES);
    state
        .versions()
        .iter()
        .rev()
        .find(|p| p.version.document_id() == document)
        .cloned()
}

/// What changed from the newest version of `document` in `state` to the
/// staged PDF (to be published as `label`): `None` when the document has
/// no version yet. See [`changes_from`].
pub fn changes_since(
    log: &LogDir,
    state: &State,
    document: Option<&str>,
    staged: &Staged,
    label: &str,
) -> Result<Option<Comparison>, PublishError> {
    match previous_version(state, document) {
        None => Ok(None),
        Some(previous) => changes_from(log, &previous, staged, label).map(Some),
    }
}

/// What changed from the published version `previous` (read from the log
/// folder, as `log diff` reads it) to the staged PDF: its clauses are the
/// template's, else its text's. Reads files: the caller keeps it off any
/// thread that must not wait.
pub fn changes_from(
    log: &LogDir,
    previous: &Published,
    staged: &Staged,
    label: &str,
) -> Result<Comparison, PublishError> {
    let from =
        changes::read_version(log, previous).map_err(|e| PublishError::Changes(e.to_string()))?;
    let (source, found) = if staged.clauses.is_empty() {
        let found = changes::pdftext::clauses_from_pdf(&staged.pdf)
            .map_err(|e| PublishError::Changes(e.to_string()))?;
        (Source::PdfText, found)
    } else {
        (Source::Template, staged.clauses.clone())
    };
    let to = VersionText {
        label: label.to_string(),
        title: staged.title.clone().unwrap_or_default(),
        effective: String::new(),
        sha256: hex(&staged.sha256),
        source,
        clauses: found,
    };
    let document = previous.version.document_id().to_string();
    Ok(changes::compare_versions(&document, from, to))
}

/// Keeps the staged PDF in the log folder's `documents/` (and a rendered
/// one's clauses beside it), as `log publish` does before it appends.
pub fn store(log: &LogDir, staged: &Staged) -> Result<(), String> {
    log.store_document(&staged.pdf).map_err(|e| e.to_string())?;
    if !staged.clauses.is_empty() {
        clauses::store(log, &staged.sha256, &staged.clauses).map_err(|e| e.to_string())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::entry::parse_date;

    fn date(s: &str) -> Date {
        parse_date(s).unwrap()
    }

    /// A state with the log entry, unit `kac` and document `dk` (binding
    /// `kac`) with version 1, and rules version 1.
    fn state() -> State {
        let key = ed25519_dalek::SigningKey::from_bytes(&[9; 32]);
        let d = date("2026-01-01");
        let mut s = State::new();
        let mut add = |b: Vec<u8>| {
            let e = entry::parse(&b).unwrap();
            s.append_bytes(&e, &b).unwrap();
        };
        add(entry::log_bytes("example.lv/x", "A", &key.verifying_key(), "Iestāde", d).unwrap());
        add(entry::unit_bytes("kac", "Centrs").unwrap());
        add(entry::document_bytes(&Declaration {
            id: "dk".into(),
            title: "Darba kārtība".into(),
            units: vec!["kac".into()],
            positions: vec![],
            date: d,
        })
        .unwrap());
        for (doc, sha) in [(Some("dk".to_string()), [1; 32]), (None, [2; 32])] {
            add(entry::version_bytes(&Version {
                document: doc,
                label: "1".into(),
                title: "Darba kārtība".into(),
                sha256: sha,
                effective: d,
                material: true,
                deadline: Some(date("2026-02-01")),
                new_employee_days: 14,
            })
            .unwrap());
        }
        s
    }

    fn staged(title: Option<&str>) -> Staged {
        Staged::uploaded(check_pdf(pdf::tests::pdf(1, title, None)).unwrap())
    }

    fn form(document: Option<&str>) -> Form {
        Form {
            document: document.map(str::to_string),
            title: None,
            label: "2".into(),
            effective: date("2026-03-01"),
            material: true,
            deadline: Some(date("2026-04-01")),
            new_employee_days: 14,
            audience: None,
        }
    }

    #[test]
    fn a_version_of_the_rules_is_the_entry_log_publish_writes() {
        let s = staged(Some("Noteikumi"));
        let p = entries(&state(), &s, &form(None)).unwrap();
        let cli = entry::version_bytes(&Version {
            document: None,
            label: "2".into(),
            title: "Noteikumi".into(),
            sha256: s.sha256,
            effective: date("2026-03-01"),
            material: true,
            deadline: Some(date("2026-04-01")),
            new_employee_days: 14,
        })
        .unwrap();
        assert_eq!(p.entries, vec![cli]);
        assert_eq!(p.action, "publicēšana: rules, versija 2");
    }

    #[test]
    fn a_new_document_is_declared_first_and_the_state_accepts_both() {
        let mut f = form(Some("jauns"));
        f.audience = Some(Audience {
            units: vec!["kac".into(), "kac".into()],
            positions: vec![" Vadītājs ".into()],
        });
        let p = entries(&state(), &staged(Some("Jauns")), &f).unwrap();
        assert_eq!(p.entries.len(), 2);
        assert!(
            matches!(entry::parse(&p.entries[0]).unwrap(), Entry::Document(d)
            if d.units == ["kac"] && d.positions == ["Vadītājs"] && d.title == "Jauns")
        );
        // The same audience again declares nothing; another one does.
        let mut f = form(Some("dk"));
        f.audience = Some(Audience {
            units: vec!["kac".into()],
            positions: vec![],
        });
        assert_eq!(
            entries(&state(), &staged(Some("x")), &f)
                .unwrap()
                .entries
                .len(),
            1
        );
        f.audience = Some(Audience::default());
        assert_eq!(
            entries(&state(), &staged(Some("x")), &f)
                .unwrap()
                .entries
                .len(),
            2
        );
    }

    #[test]
    fn the_form_is_checked() {
        let st = state();
        let s = staged(None);
        assert!(matches!(
            entries(&st, &s, &form(None)),
            Err(PublishError::NoTitle)
        ));
        let mut f = form(None);
        f.title = Some("Dots".into());
        assert!(entries(&st, &s, &f).is_ok());
        f.deadline = None;
        assert!(matches!(
            entries(&st, &s, &f),
            Err(PublishError::NoDeadline)
        ));
        f.material = false;
        assert!(entries(&st, &s, &f).is_ok(), "a correction");
        f.deadline = Some(date("2026-04-01"));
        assert!(matches!(
            entries(&st, &s, &f),
            Err(PublishError::CorrectionDeadline)
        ));
        let mut f = form(Some("Nav Id"));
        f.title = Some("x".into());
        assert_eq!(entries(&st, &s, &f).unwrap_err().field(), Some("document"));
        let mut f = form(None);
        f.title = Some("x".into());
        f.label = "1".into();
        assert!(
            matches!(entries(&st, &s, &f), Err(PublishError::Refused(_))),
            "label taken"
        );
        f.label = "3".into();
        f.effective = date("2025-01-01");
        assert!(
            matches!(entries(&st, &s, &f), Err(PublishError::Refused(_))),
            "date order"
        );
        let mut f = form(None);
        f.title = Some("x".into());
        f.audience = Some(Audience {
            units: vec!["kac".into()],
            positions: vec![],
        });
        assert!(matches!(
            entries(&st, &s, &f),
            Err(PublishError::RulesAudience)
        ));
        let mut f = form(Some("jauns"));
        f.title = Some("x".into());
        f.audience = Some(Audience {
            units: vec!["nav".into()],
            positions: vec![],
        });
        assert!(
            matches!(entries(&st, &s, &f), Err(PublishError::Refused(_))),
            "unknown unit"
        );
    }

    #[test]
    fn changes_against_the_previous_version() {
        let dir = tempfile::tempdir().unwrap();
        let log = LogDir::new(dir.path());
        let r = crate::render::render_default().unwrap();
        let old = Staged::rendered(r);
        store(&log, &old).unwrap();
        let mut s = state();
        let b = entry::version_bytes(&Version {
            document: None,
            label: "5".into(),
            title: "R".into(),
            sha256: old.sha256,
            effective: date("2026-02-01"),
            material: true,
            deadline: Some(date("2026-03-01")),
            new_employee_days: 14,
        })
        .unwrap();
        s.append_bytes(&entry::parse(&b).unwrap(), &b).unwrap();
        let amended = crate::render::RULES_TYP.replacen(
            "#clause(",
            "#clause(\"0.\")[Jauns punkts.]\n#clause(",
            1,
        );
        let zipped =
            template::tests::zip(&[template::tests::file("rules.typ", amended.as_bytes())]);
        let new = Staged::rendered(template::render_zip(&zipped).unwrap());
        assert_eq!(new.pdfa.as_ref().unwrap().to_string(), "PDF/A-3a");
        let c = changes_since(&log, &s, None, &new, "6").unwrap().unwrap();
        assert_eq!(c.from.label, "5");
        assert_eq!(c.summary.added, 1, "{:?}", c.summary);
        assert!(changes_since(&log, &s, Some("jauns"), &new, "1")
            .unwrap()
            .is_none());
    }
}
