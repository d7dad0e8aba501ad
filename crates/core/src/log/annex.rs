//! The filled annex (PIELIKUMS) of one version at one checkpoint, printed
//! from the log, and its check.
//!
//! The annex is a PDF/A-3 that carries the part of the log it was printed
//! from: the signed checkpoint, the entries up to it, and `annex.json`
//! naming the version and the renderer (ackreg's and Typst's versions). An
//! auditor audits those like any log, then renders the annex again and
//! compares the bytes: the printed rows are exactly what the log says. A
//! renderer of another version cannot make the same bytes; the check then
//! says so and why, and the rest of the audit still stands.

use serde::{Deserialize, Serialize};

use super::entry::{format_date, RULES};
use super::state::State;
use crate::encoding::{b64, hex};
use crate::register::{latvian_date, shorten};
use crate::render::{renderer, AnnexRow, Attachment, Mode, RenderInput};
use tlog::checkpoint::SignedCheckpoint;

/// Attachment: the signed checkpoint.
pub const CHECKPOINT_NAME: &str = "checkpoint";
/// Attachment: the entries up to it.
pub const ENTRIES_NAME: &str = "entries";
/// Attachment: which version, which renderer.
pub const ABOUT_NAME: &str = "annex.json";
/// Attachment (when the log keeps one): the RFC 3161 time stamp token of
/// the checkpoint; further ones are `checkpoint.2.tsr`, `checkpoint.3.tsr`, ...
pub const TOKEN_NAME: &str = "checkpoint.tsr";

/// The attachment name of the `k`-th time stamp token (from 1).
pub fn token_name(k: u32) -> String {
    match k {
        1 => TOKEN_NAME.to_string(),
        _ => format!("checkpoint.{k}.tsr"),
    }
}

/// What `annex.json` says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct About {
    /// The version's document, when the label alone would name another
    /// version (the first published with that label): absent in every
    /// annex of a log of one document, and in every annex made before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<String>,
    /// The version's label.
    pub version: String,
    /// Who rendered it.
    pub renderer: String,
}

/// Why an annex cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum AnnexError {
    /// No such version.
    #[error("the log has no version {0}")]
    NoVersion(String),
    /// A correction has no annex of its own.
    #[error("version {0} is a correction: print the annex of the version it corrects")]
    Correction(String),
    /// No such document.
    #[error("the log has no document {0}")]
    NoDocument(String),
    /// The document has no version of that label.
    #[error("document {document} has no version {label}")]
    NoVersionOf {
        /// The document.
        document: String,
        /// The label.
        label: String,
    },
    /// Without a document named, the label is of several documents' versions.
    #[error("version {label} is a version of several documents: {}", .documents.join(", "))]
    Ambiguous {
        /// The label.
        label: String,
        /// The documents that have a version of that label.
        documents: Vec<String>,
    },
}

impl crate::Hint for AnnexError {
    fn hint(&self) -> Option<String> {
        match self {
            AnnexError::Ambiguous { .. } => Some("name the document".into()),
            AnnexError::NoDocument(_) => Some(format!(
                "name a document the log declares, or {RULES} for the versions that name none"
            )),
            _ => None,
        }
    }
}

/// The version whose annex is asked for: `label` of `document` when one is
/// named; else of the implicit document [`RULES`] if it has that label,
/// else of the one document that has it (several: refused, naming them).
pub fn choose(state: &State, document: Option<&str>, label: &str) -> Result<usize, AnnexError> {
    if let Some(d) = document {
        if !state.document_ids().contains(&d) {
            return Err(AnnexError::NoDocument(d.to_string()));
        }
        return state
            .version_of(d, label)
            .map(|(v, _)| v)
            .ok_or_else(|| AnnexError::NoVersionOf {
                document: d.to_string(),
                label: label.to_string(),
            });
    }
    if let Some((v, _)) = state.version_of(RULES, label) {
        return Ok(v);
    }
    let having: Vec<(usize, &str)> = state
        .versions()
        .iter()
        .enumerate()
        .filter(|(_, p)| p.version.label == label)
        .map(|(v, p)| (v, p.version.document_id()))
        .collect();
    match having.as_slice() {
        [] => Err(AnnexError::NoVersion(label.to_string())),
        [(v, _)] => Ok(*v),
        many => Err(AnnexError::Ambiguous {
            label: label.to_string(),
            documents: many.iter().map(|(_, d)| d.to_string()).collect(),
        }),
    }
}

/// The version an annex's `annex.json` names: of its document if it names
/// one, else the first published with its label (as every annex made
/// before documents were named).
fn chosen(state: &State, about: &About) -> Result<usize, AnnexError> {
    let found = match &about.document {
        Some(d) => state.version_of(d, &about.version),
        None => state.version_by_label(&about.version),
    };
    found
        .map(|(v, _)| v)
        .ok_or_else(|| AnnexError::NoVersion(about.version.clone()))
}

/// What `annex.json` says of version `v`: its document only when its label
/// alone names another version.
fn about_of(state: &State, v: usize) -> About {
    let version = &state.versions()[v].version;
    let first = state.version_by_label(&version.label).map(|(i, _)| i);
    About {
        document: (first != Some(v)).then(|| version.document_id().to_string()),
        version: version.label.clone(),
        renderer: renderer(),
    }
}

/// The annex rows of version `label`: one per acknowledgement of it or of
/// its corrections, in log order.
pub fn rows(state: &State, base: usize) -> Vec<AnnexRow> {
    let mut acked: Vec<_> = state
        .acks()
        .filter(|(_, a)| state.versions()[a.version()].base == base)
        .collect();
    acked.sort_by_key(|(_, a)| a.entry);
    acked
        .iter()
        .enumerate()
        .map(|(i, (e, a))| AnnexRow {
            nr: format!("{}.", i + 1),
            date: latvian_date(&format_date(a.date)),
            name: e.name.clone(),
            signature: format!(
                "Parakstīts elektroniski (Ed25519)\natslēga {}\nieraksts Nr. {}",
                shorten(&state.keyid_of(a).to_string(), 8, 8),
                a.entry
            ),
            notes: a.notes.clone().unwrap_or_default(),
        })
        .collect()
}

/// The particulars printed under the annex table.
fn footer(
    state: &State,
    head: &SignedCheckpoint,
    published: &super::state::Published,
    label: &str,
    about: &About,
) -> Vec<(String, String)> {
    let issuer = state.issuer();
    vec![
        (
            "Noteikumu versija".to_string(),
            format!(
                "{label}, spēkā no {}",
                latvian_date(&format_date(published.version.effective))
            ),
        ),
        (
            "Noteikumu PDF SHA-256".to_string(),
            hex(&published.version.sha256),
        ),
        ("Žurnāls".to_string(), head.checkpoint.origin.clone()),
        (
            "Kontrolpunkts".to_string(),
            format!(
                "{} ieraksti, sakne {}",
                head.checkpoint.size,
                b64(&head.checkpoint.root)
            ),
        ),
        (
            "Izdevējs".to_string(),
            issuer.map(|i| i.name.clone()).unwrap_or_default(),
        ),
        (
            "Izdevēja atslēga".to_string(),
            issuer
                .map(|i| crate::keys::KeyId::of(&i.key).to_string())
                .unwrap_or_default(),
        ),
        ("Atveidots ar".to_string(), about.renderer.clone()),
        (
            "Pārbaude".to_string(),
            "ackreg verify pielikums.pdf --issuer IZDEVĒJA-ATSLĒGA".to_string(),
        ),
    ]
}

/// What to render for version `v` at `head`, whose log is `entries`
/// (the entries file up to the checkpoint's size) and `state`.
fn input(
    state: &State,
    head: &SignedCheckpoint,
    entries: &[u8],
    v: usize,
) -> Result<RenderInput, AnnexError> {
    let published = state
        .versions()
        .get(v)
        .ok_or_else(|| AnnexError::NoVersion(format!("#{v}")))?;
    let label = published.version.label.as_str();
    if !published.version.material {
        return Err(AnnexError::Correction(label.to_string()));
    }
    let about = about_of(state, v);
    let footer = footer(state, head, published, label, &about);
    let file = |name: &str, data: Vec<u8>, description: &str, mime: &str| {
        (
            Attachment {
                name: name.to_string(),
                data,
                description: description.to_string(),
            },
            mime.to_string(),
        )
    };
    let about_json = serde_json::to_vec(&about).unwrap_or_default();
    Ok(RenderInput {
        mode: Mode::Annex,
        rows: rows(state, v),
        footer,
        attachment: None,
        more_attachments: vec![
            file(
                CHECKPOINT_NAME,
                head.to_bytes(),
                "Parakstīts kontrolpunkts (C2SP tlog-checkpoint)",
                "text/plain",
            ),
            file(
                ENTRIES_NAME,
                entries.to_vec(),
                "Žurnāla ieraksti līdz kontrolpunktam (JSON, pa vienam rindā)",
                "application/jsonl",
            ),
            file(
                ABOUT_NAME,
                about_json,
                "Pielikuma versija un atveidotājs",
                "application/json",
            ),
        ],
    })
}

/// Adds the checkpoint's time stamp tokens, if any, to what is rendered
/// (after the other attachments).
fn add_tokens(input: &mut RenderInput, tokens: &[Vec<u8>]) {
    for (k, data) in (1..=super::stamp::MAX_TOKENS).zip(tokens) {
        let attachment = Attachment {
            name: token_name(k),
            data: data.clone(),
            description: "Kontrolpunkta laika zīmogs (RFC 3161 TimeStampToken, DER)".to_string(),
        };
        input
            .more_attachments
            .push((attachment, "application/octet-stream".to_string()));
    }
}

/// Why the annex of a log could not be made.
#[derive(Debug, thiserror::Error)]
pub enum MakeError {
    /// The entries up to the checkpoint could not be read.
    #[error(transparent)]
    Entries(super::store::StoreError),
    /// No annex of that version (none, or a correction).
    #[error(transparent)]
    Version(#[from] AnnexError),
    /// The time stamps kept for the checkpoint could not be read: the annex
    /// is not made without them.
    #[error(transparent)]
    Stamps(super::stamp::StampError),
    /// The template could not render it.
    #[error(transparent)]
    Render(crate::render::RenderError),
}

impl crate::Hint for MakeError {
    fn hint(&self) -> Option<String> {
        match self {
            MakeError::Entries(e) => crate::Hint::hint(e),
            MakeError::Version(e) => crate::Hint::hint(e),
            MakeError::Stamps(e) => crate::Hint::hint(e),
            MakeError::Render(e) => crate::Hint::hint(e),
        }
    }
}

/// An annex as made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Made {
    /// The PDF.
    pub pdf: Vec<u8>,
    /// How many acknowledgements it lists.
    pub rows: usize,
    /// The tokens kept for the checkpoint that the annex does not carry,
    /// because they are not time stamps of it (the audit's step 9 names
    /// them too).
    pub left_out: Vec<super::stamp::LeftOut>,
}

/// The one path that makes the annex PDF of version `label` of the log in
/// `log` at the checkpoint `head` (whose state is `state`), with every time
/// stamp token the log keeps for that checkpoint: `ackreg log annex`, the
/// desk's download, the eDoc export and the demo all make it here, so the
/// same log gives the same bytes everywhere. A time stamp file that cannot
/// be read is an error; a token that is not a time stamp of `head` is not
/// carried and is named in [`Made::left_out`], never silently dropped.
pub fn make(
    log: &super::store::LogDir,
    head: &SignedCheckpoint,
    state: &State,
    label: &str,
    template: &crate::render::Template,
) -> Result<Made, MakeError> {
    let (v, _) = state
        .version_by_label(label)
        .ok_or_else(|| AnnexError::NoVersion(label.to_string()))?;
    make_version(log, head, state, v, template)
}

/// [`make`] of the version `label` of `document`, or, with no document
/// named, the version [`choose`] finds: `ackreg log annex --document`.
pub fn make_of(
    log: &super::store::LogDir,
    head: &SignedCheckpoint,
    state: &State,
    document: Option<&str>,
    label: &str,
    template: &crate::render::Template,
) -> Result<Made, MakeError> {
    let v = choose(state, document, label)?;
    make_version(log, head, state, v, template)
}

/// [`make`] of the version at index `v` of [`State::versions`] (as
/// [`choose`] finds it).
pub fn make_version(
    log: &super::store::LogDir,
    head: &SignedCheckpoint,
    state: &State,
    v: usize,
    template: &crate::render::Template,
) -> Result<Made, MakeError> {
    let entries = log
        .entries_prefix(head.checkpoint.size)
        .map_err(MakeError::Entries)?;
    let input = input(state, head, &entries, v)?;
    let (tokens, left_out) = super::stamp::sorted_tokens(log, head).map_err(MakeError::Stamps)?;
    let made = render_with(input, &tokens, template)?;
    Ok(Made { left_out, ..made })
}

/// Renders `input` with the time stamp `tokens` attached after the other
/// attachments: the annex as [`make`] makes it and step 8 renders it again.
fn render_with(
    mut input: RenderInput,
    tokens: &[Vec<u8>],
    template: &crate::render::Template,
) -> Result<Made, MakeError> {
    add_tokens(&mut input, tokens);
    let rendered = template.render(&input).map_err(MakeError::Render)?;
    Ok(Made {
        pdf: rendered.pdf,
        rows: input.rows.len(),
        left_out: Vec::new(),
    })
}

/// The time stamp tokens an annex PDF carries, in order (up to the first
/// missing name).
fn carried_tokens(pdf: &[u8]) -> Vec<Vec<u8>> {
    (1..=super::stamp::MAX_TOKENS)
        .map_while(|k| crate::pdf::attachment(pdf, &token_name(k)).ok())
        .collect()
}

/// Why an annex PDF cannot be audited at all.
#[derive(Debug, thiserror::Error)]
pub enum AnnexPdfError {
    /// A required attachment is missing or unreadable.
    #[error("the annex does not carry its log: {0}")]
    Attachment(crate::pdf::PdfError),
    /// `annex.json` is malformed.
    #[error("the annex's {ABOUT_NAME} is malformed: {0}")]
    About(crate::encoding::JsonError),
    /// The carried log could not be laid out for the audit.
    #[error(transparent)]
    Store(#[from] super::store::StoreError),
    /// A carried time stamp could not be laid out for the audit.
    #[error(transparent)]
    Stamp(super::stamp::StampError),
    /// A temporary folder could not be made.
    #[error("cannot make a temporary folder: {0}")]
    Temp(std::io::Error),
}

impl crate::Hint for AnnexPdfError {}

/// Audits an annex PDF: the log it carries (steps 1 to 7, see
/// [`super::audit`]), then step 8: the PDF is exactly what `template`
/// renders from that log, when it was rendered by this renderer.
pub fn verify_pdf(
    pdf: &[u8],
    issuer: &crate::verify::IssuerKey,
    template: &crate::render::Template,
    check: crate::verify::SignatureCheck,
) -> Result<super::audit::LogReport, AnnexPdfError> {
    let options = super::audit::AuditOptions {
        check,
        ..Default::default()
    };
    verify_pdf_with(pdf, issuer, template, &options)
}

/// [`verify_pdf`] with the auditor's options (time stamp trust anchors);
/// the carried time stamp, if any, is audited as step 9.
pub fn verify_pdf_with(
    pdf: &[u8],
    issuer: &crate::verify::IssuerKey,
    template: &crate::render::Template,
    options: &super::audit::AuditOptions,
) -> Result<super::audit::LogReport, AnnexPdfError> {
    use super::audit::LogStep;
    use crate::outcome::Outcome;
    let take = |name| crate::pdf::attachment(pdf, name).map_err(AnnexPdfError::Attachment);
    let (checkpoint, entries) = (take(CHECKPOINT_NAME)?, take(ENTRIES_NAME)?);
    let about = read_about(pdf)?;
    let tokens = carried_tokens(pdf);
    let tmp = tempfile::tempdir().map_err(AnnexPdfError::Temp)?;
    let log = super::store::import(tmp.path(), &entries, &checkpoint)?;
    if !tokens.is_empty() {
        let size = SignedCheckpoint::parse(&checkpoint).map_or(0, |c| c.checkpoint.size);
        super::stamp::lay_out(&log, size, &checkpoint, &tokens).map_err(AnnexPdfError::Stamp)?;
    }
    let mut report = super::audit::audit(&log, issuer, options, &crate::verify::NoProgress)?;
    let outcome = match (&report.state, &report.head) {
        _ if !log_valid(&report) => {
            Outcome::Skipped("the log the annex carries is not valid".into())
        }
        (Some(state), Some(head)) => {
            let printed = Printed {
                entries: &entries,
                about: &about,
                tokens,
            };
            check_pages(state, head, &printed, template, pdf)
        }
        _ => Outcome::Skipped("nothing to compare".into()),
    };
    report.push(LogStep::Annex, outcome);
    report.steps.sort_by_key(|s| s.step.number());
    Ok(report)
}

/// The `annex.json` an annex PDF carries.
pub fn read_about(pdf: &[u8]) -> Result<About, AnnexPdfError> {
    let json = crate::pdf::attachment(pdf, ABOUT_NAME).map_err(AnnexPdfError::Attachment)?;
    crate::encoding::from_json(&json).map_err(AnnexPdfError::About)
}

/// Whether the log the annex carries is valid enough to compare its pages:
/// the audit's one rule ([`super::audit::LogReport::is_valid`]) with step 9
/// (timestamps) excused. This is a deliberate choice: the pages say what
/// the log says, which a failed time stamp does not change, and the failed
/// time stamp is reported (and makes the whole audit invalid) on its own.
pub fn log_valid(report: &super::audit::LogReport) -> bool {
    report.is_valid_excusing(super::audit::LogStep::Timestamps)
}

/// What an annex PDF carries besides its checkpoint.
pub struct Printed<'a> {
    /// The entries up to the checkpoint.
    pub entries: &'a [u8],
    /// Which version, which renderer.
    pub about: &'a About,
    /// The checkpoint's time stamp tokens, in order.
    pub tokens: Vec<Vec<u8>>,
}

/// Step 8's comparison: `pdf` must be exactly the annex of
/// `printed.about.version` that `template` renders from the log at `head`
/// (`state`, `printed.entries`, `printed.tokens`). Skipped when another
/// renderer made it: only the same renderer makes the same bytes.
pub fn check_pages(
    state: &State,
    head: &SignedCheckpoint,
    printed: &Printed,
    template: &crate::render::Template,
    pdf: &[u8],
) -> crate::outcome::Outcome {
    let about = printed.about;
    if about.renderer != renderer() {
        return crate::outcome::Outcome::Skipped(format!(
            "pages not compared: the annex was rendered by {}, this is {}; only the same renderer makes the same bytes (the log itself is verified above)",
            crate::text::printable(&about.renderer, 80),
            renderer()
        ));
    }
    compare(state, head, printed, template, pdf)
}

fn compare(
    state: &State,
    head: &SignedCheckpoint,
    printed: &Printed,
    template: &crate::render::Template,
    pdf: &[u8],
) -> crate::outcome::Outcome {
    use crate::outcome::Outcome;
    let about = printed.about;
    let rendered = chosen(state, about)
        .and_then(|v| input(state, head, printed.entries, v))
        .map_err(MakeError::from)
        .and_then(|i| render_with(i, &printed.tokens, template));
    match rendered {
        Ok(r) if r.pdf == pdf => Outcome::Passed(format!(
            "the pages are exactly the annex of version {} rendered from the log ({})",
            about.version, about.renderer
        )),
        Ok(_) => Outcome::Failed("the PDF differs from the annex rendered from the log it carries: the printed pages were changed".into()),
        Err(e) => Outcome::Failed(format!("cannot render the annex again: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::entry::{self, parse, parse_date, Declaration, Version};
    use ed25519_dalek::SigningKey;

    /// A log with versions (document, label, hash byte) in this order.
    fn state(versions: &[(Option<&str>, &str, u8)]) -> State {
        let d = |s: &str| parse_date(s).unwrap();
        let mut s = State::new();
        let mut add = |bytes: Vec<u8>| s.append(&parse(&bytes).unwrap()).unwrap();
        let key = SigningKey::from_bytes(&[9; 32]).verifying_key();
        add(entry::log_bytes("o.invalid/l", "J", &key, "P", d("2018-01-01")).unwrap());
        for id in ["kac", "dp"] {
            add(entry::document_bytes(&Declaration {
                id: id.into(),
                title: id.into(),
                units: vec![],
                positions: vec![],
                date: d("2018-01-01"),
            })
            .unwrap());
        }
        for (document, label, sha) in versions {
            add(entry::version_bytes(&Version {
                document: document.map(str::to_string),
                label: label.to_string(),
                title: "T".into(),
                sha256: [*sha; 32],
                effective: d("2018-02-01"),
                material: true,
                deadline: Some(d("2018-02-15")),
                new_employee_days: 10,
            })
            .unwrap());
        }
        s
    }

    #[test]
    fn the_version_is_of_the_named_document_else_of_rules_else_of_the_one_with_the_label() {
        let s = state(&[(Some("kac"), "1", 1), (None, "1", 2), (Some("dp"), "2", 3)]);
        assert_eq!(choose(&s, None, "1").unwrap(), 1, "rules first");
        assert_eq!(choose(&s, Some("kac"), "1").unwrap(), 0);
        assert_eq!(choose(&s, None, "2").unwrap(), 2, "the one document");
        assert_eq!(
            choose(&s, Some("kac"), "2").unwrap_err().to_string(),
            "document kac has no version 2"
        );
        assert_eq!(
            choose(&s, Some("nav"), "1").unwrap_err().to_string(),
            "the log has no document nav"
        );
        assert_eq!(
            choose(&s, None, "9").unwrap_err().to_string(),
            "the log has no version 9"
        );
        let ambiguous = state(&[(Some("kac"), "1", 1), (Some("dp"), "1", 2)]);
        assert_eq!(
            choose(&ambiguous, None, "1").unwrap_err().to_string(),
            "version 1 is a version of several documents: kac, dp"
        );
    }

    #[test]
    fn annex_json_names_the_document_only_when_the_label_alone_names_another() {
        let s = state(&[(Some("kac"), "1", 1), (None, "1", 2), (Some("dp"), "2", 3)]);
        let json = |v| String::from_utf8(serde_json::to_vec(&about_of(&s, v)).unwrap()).unwrap();
        let renderer = renderer();
        // The first with its label, as every annex made before: no document.
        assert_eq!(
            json(0),
            format!(r#"{{"version":"1","renderer":"{renderer}"}}"#)
        );
        assert_eq!(
            json(1),
            format!(r#"{{"document":"rules","version":"1","renderer":"{renderer}"}}"#)
        );
        assert_eq!(
            json(2),
            format!(r#"{{"version":"2","renderer":"{renderer}"}}"#)
        );
        for v in 0..3 {
            assert_eq!(chosen(&s, &about_of(&s, v)).unwrap(), v);
        }
        let old: About = serde_json::from_str(r#"{"version":"1","renderer":"r"}"#).unwrap();
        assert_eq!(old.document, None);
    }
}
