//! The log exported as an eDoc (ASiC-E) container for the municipality's
//! qualified e-seal, and read back for an audit.
//!
//! The container holds every version's rules PDF, the annex of the newest
//! material version at the newest checkpoint, and the log's own files
//! (entries, the newest checkpoint, every checkpoint kept), so that an
//! auditor can verify it all with ackreg from the container alone, and a
//! lawyer can see the qualified seal over the same bytes in DigiDoc4 or
//! eParaksts. Reading it back audits the log inside, then every file the
//! container holds against that log ([`audit`]), and checks that the files
//! the XAdES signatures name are there with the digests they record, without
//! judging the signatures' legal validity.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::edoc::seals::{self, FileProblem, SealCheck};
use crate::edoc::{self, Container, ContainerFile};
use crate::outcome::Outcome;
use crate::render::Template;
use tlog::checkpoint::SignedCheckpoint;

use super::audit::{AuditOptions, LogReport, LogStep};
use super::state::State;
use super::store::{LogDir, StoreError};

/// Name of the entries file in the container.
pub const ENTRIES: &str = "log/entries";
/// Name of the newest checkpoint in the container.
pub const CHECKPOINT: &str = "log/checkpoint";

/// Why the container cannot be made or read.
#[derive(Debug, thiserror::Error)]
pub enum ContainerError {
    /// The log folder.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The container format.
    #[error(transparent)]
    Edoc(#[from] edoc::EdocError),
    /// A version's PDF is missing from `documents/`.
    #[error("the PDF of version {0} is not in the log's documents/ folder")]
    MissingDocument(String),
    /// The annex could not be rendered.
    #[error("cannot render the annex: {0}")]
    Render(crate::render::RenderError),
    /// A required file is not in the container.
    #[error("the container holds no {0}: it was not exported by ackreg")]
    NotOurs(&'static str),
    /// A time stamp kept in the log or carried in the container.
    #[error(transparent)]
    Stamp(super::stamp::StampError),
    /// A temporary folder could not be made.
    #[error("cannot make a temporary folder: {0}")]
    Temp(std::io::Error),
}

impl crate::Hint for ContainerError {}

/// A version label as a file name: unreserved characters only.
fn file_label(label: &str) -> String {
    label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-._~".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// The name of version `label`'s rules PDF in the container.
pub fn version_file(label: &str) -> String {
    format!("noteikumi-{}.pdf", file_label(label))
}

/// The name of version `label`'s annex in the container.
pub fn annex_file(label: &str) -> String {
    format!("pielikums-{}.pdf", file_label(label))
}

/// The label of the newest material version: the one whose annex the
/// container holds.
fn newest_material(state: &State) -> Option<&str> {
    let newest = state.versions().iter().rev().find(|p| p.version.material);
    newest.map(|p| p.version.label.as_str())
}

fn file(name: String, mime: &str, bytes: Vec<u8>) -> ContainerFile {
    ContainerFile {
        name,
        mime: mime.to_string(),
        bytes,
    }
}

/// The files of the container, in a fixed order: same log, same bytes.
pub fn files(log: &LogDir, template: &Template) -> Result<Vec<ContainerFile>, ContainerError> {
    let (head, state) = log.committed()?;
    let size = head.checkpoint.size;
    let mut out = Vec::new();
    for p in state.versions() {
        let path = log
            .dir()
            .join("documents")
            .join(format!("{}.pdf", crate::encoding::hex(&p.version.sha256)));
        let pdf = std::fs::read(&path)
            .map_err(|_| ContainerError::MissingDocument(p.version.label.clone()))?;
        out.push(file(version_file(&p.version.label), "application/pdf", pdf));
    }
    let entries = log.entries_prefix(size)?;
    if let Some(label) = newest_material(&state) {
        // A token the annex leaves out still travels as its own file
        // (`kept_files`), where the audit's step 9 names it.
        let annex = super::annex::make(log, &head, &state, label, template).map_err(annex_error)?;
        out.push(file(annex_file(label), "application/pdf", annex.pdf));
    }
    out.push(file(ENTRIES.into(), "application/jsonl", entries));
    out.push(file(CHECKPOINT.into(), "text/plain", head.to_bytes()));
    out.extend(kept_files(log, size)?);
    Ok(out)
}

/// Why the annex could not be put in the container.
fn annex_error(e: super::annex::MakeError) -> ContainerError {
    use super::annex::MakeError;
    match e {
        MakeError::Entries(e) => ContainerError::Store(e),
        MakeError::Version(_) => ContainerError::NotOurs("material version"),
        MakeError::Stamps(e) => ContainerError::Stamp(e),
        MakeError::Render(e) => ContainerError::Render(e),
    }
}

/// The checkpoints and time stamp tokens kept for checkpoints up to `size`,
/// as `log/checkpoints/N` and `log/checkpoints/N.tsr`, ...
fn kept_files(log: &LogDir, size: u64) -> Result<Vec<ContainerFile>, ContainerError> {
    let mut out = Vec::new();
    for (n, path) in log.history()? {
        if n <= size {
            let bytes = std::fs::read(&path).map_err(|source| StoreError::Io {
                path: path.clone(),
                error: source,
            })?;
            out.push(file(format!("log/checkpoints/{n}"), "text/plain", bytes));
        }
    }
    out.extend(token_files(log, size).map_err(ContainerError::Stamp)?);
    Ok(out)
}

/// The time stamp tokens kept for checkpoints up to `size`, as
/// `log/checkpoints/N.tsr` (and `N.2.tsr`, ... for further TSAs).
fn token_files(log: &LogDir, size: u64) -> Result<Vec<ContainerFile>, super::stamp::StampError> {
    Ok(super::stamp::kept_tokens(log, size)?
        .into_iter()
        .map(|(name, der)| {
            file(
                format!("log/checkpoints/{name}"),
                "application/octet-stream",
                der,
            )
        })
        .collect())
}

/// The container's bytes.
pub fn export(log: &LogDir, template: &Template) -> Result<Vec<u8>, ContainerError> {
    Ok(edoc::write(&files(log, template)?)?)
}

/// A container read back: the log inside laid out in `dir` for an audit,
/// and the signatures it carries.
pub fn open(
    bytes: &[u8],
    dir: &std::path::Path,
) -> Result<(LogDir, edoc::Container), ContainerError> {
    let container = edoc::read(bytes)?;
    let find = |name: &'static str| {
        container
            .files
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.bytes.clone())
            .ok_or(ContainerError::NotOurs(name))
    };
    let log = super::store::import(dir, &find(ENTRIES)?, &find(CHECKPOINT)?)?;
    for f in &container.files {
        if let Some(name) = f.name.strip_prefix("log/checkpoints/") {
            super::stamp::lay_out_file(&log, name, &f.bytes).map_err(ContainerError::Stamp)?;
        }
    }
    Ok((log, container))
}

// ---------------------------------------------------------------------------
// Auditing a container

/// A file that one of the container's steps found wrong.
#[derive(Debug, Clone, Serialize)]
pub struct FileFinding {
    /// The step that found it.
    pub step: LogStep,
    /// The file's name in the container.
    pub file: String,
    /// What is wrong.
    pub problem: String,
}

/// What [`audit`] found.
#[derive(Debug, Serialize)]
pub struct ContainerReport {
    /// The audit of the log the container carries (steps 1 to 7 and 9),
    /// with the container's own steps 8, 10, 11 and 12 among its steps.
    #[serde(flatten)]
    pub log: LogReport,
    /// Every file a step of the container found wrong, in step order.
    pub file_problems: Vec<FileFinding>,
    /// The files in `META-INF/` that ackreg does not read (see
    /// [`edoc::Container::unread`]).
    pub unread: Vec<String>,
    /// The container's data files, in their order.
    pub files: Vec<String>,
    /// Every XAdES signature with its references checked (not serialised).
    #[serde(skip)]
    pub seals: Vec<SealCheck>,
}

impl ContainerReport {
    /// True when no step failed and no file was found wrong.
    pub fn is_valid(&self) -> bool {
        self.log.is_valid() && self.file_problems.is_empty()
    }

    /// Adds a step's result and the files it found wrong.
    fn push(&mut self, step: LogStep, (outcome, problems): (Outcome, Vec<FileProblem>)) {
        self.log.push(step, outcome);
        self.file_problems
            .extend(problems.into_iter().map(|p| FileFinding {
                step,
                file: p.file,
                problem: p.problem,
            }));
    }
}

/// Audits a container: the log it carries, laid out in `dir` (steps 1 to
/// 7 and 9, see [`super::audit`]), then every file it holds:
///
/// 8. **annex**: the annex PDF is the one `template` renders from the
///    carried log (skipped when another renderer made it);
/// 10. **documents**: every version's rules PDF is there with the SHA-256
///     the log records for it;
/// 11. **files**: every file is one the log accounts for (what `export`
///     makes of that log); the extra files are named;
/// 12. **seals**: every file a XAdES signature names is there with the
///     digest the signature records ([`edoc::seals`]).
///
/// An error is a container that cannot be audited at all; everything
/// found wrong is in the report.
pub fn audit(
    bytes: &[u8],
    dir: &std::path::Path,
    issuer: &crate::verify::IssuerKey,
    options: &AuditOptions,
    template: &Template,
) -> Result<ContainerReport, ContainerError> {
    let (log, container) = open(bytes, dir)?;
    let audited = super::audit::audit(&log, issuer, options, &crate::verify::NoProgress)?;
    let seals = seals::check(&container);
    let mut report = ContainerReport {
        log: audited,
        file_problems: Vec::new(),
        unread: container.unread.clone(),
        files: container.files.iter().map(|f| f.name.clone()).collect(),
        seals,
    };
    file_steps(&mut report, &container, &log, template)?;
    let seals = seals::step(&report.seals);
    report.push(LogStep::Seals, seals);
    report.log.steps.sort_by_key(|s| s.step.number());
    Ok(report)
}

/// Steps 8, 10 and 11, against the carried log; skipped when it could not
/// be audited.
fn file_steps(
    report: &mut ContainerReport,
    container: &Container,
    log: &LogDir,
    template: &Template,
) -> Result<(), ContainerError> {
    let valid = super::annex::log_valid(&report.log);
    let (state, head) = (report.log.state.take(), report.log.head.take());
    let carried = match (&state, &head) {
        // The entries the checkpoint covers; none when the file holds
        // fewer (the log's audit has said so).
        (Some(state), Some(head)) => log
            .entries_prefix(head.checkpoint.size)
            .ok()
            .map(|entries| Carried {
                log,
                state,
                head,
                entries,
                files: container
                    .files
                    .iter()
                    .map(|f| (f.name.as_str(), f))
                    .collect(),
            }),
        _ => None,
    };
    let result = match &carried {
        Some(carried) => carried_steps(report, container, carried, valid, template),
        None => {
            let why = "the log the container carries could not be audited";
            for step in [LogStep::Annex, LogStep::Documents, LogStep::Files] {
                report.push(step, (Outcome::Skipped(why.into()), Vec::new()));
            }
            Ok(())
        }
    };
    (report.log.state, report.log.head) = (state, head);
    result
}

/// Steps 8, 10 and 11 over the carried log.
fn carried_steps(
    report: &mut ContainerReport,
    container: &Container,
    carried: &Carried,
    log_valid: bool,
    template: &Template,
) -> Result<(), ContainerError> {
    let annex = step_annex(carried, log_valid, template);
    report.push(LogStep::Annex, annex);
    report.push(LogStep::Documents, step_documents(carried));
    report.push(LogStep::Files, step_files(container, carried)?);
    Ok(())
}

/// The log a container carries, once audited.
struct Carried<'a> {
    log: &'a LogDir,
    state: &'a State,
    head: &'a SignedCheckpoint,
    /// The entries up to the checkpoint.
    entries: Vec<u8>,
    /// The container's data files by name.
    files: HashMap<&'a str, &'a ContainerFile>,
}

impl<'a> Carried<'a> {
    /// The data file `name`, if the container holds it.
    fn find(&self, name: &str) -> Option<&'a ContainerFile> {
        self.files.get(name).copied()
    }
}

/// A step that failed on one file.
fn failed_on(file: &str, problem: String) -> (Outcome, Vec<FileProblem>) {
    let outcome = Outcome::Failed(format!("{file}: {problem}"));
    let problem = FileProblem {
        file: file.to_string(),
        problem,
    };
    (outcome, vec![problem])
}

/// A step over several files: passed with `passed` when none is wrong.
fn judged(problems: Vec<FileProblem>, of: usize, passed: String) -> (Outcome, Vec<FileProblem>) {
    if problems.is_empty() {
        return (Outcome::Passed(passed), problems);
    }
    let why = match (problems.len(), of) {
        (1, 1) => format!("the file fails: {}", seals::named(&problems)),
        (1, _) => format!("1 of {of} files fails: {}", seals::named(&problems)),
        (n, _) => format!("{n} of {of} files fail: {}", seals::named(&problems)),
    };
    (Outcome::Failed(why), problems)
}

/// Step 8: the annex PDF of the newest material version is exactly the one
/// `template` renders from the carried log (the check of an annex PDF,
/// [`super::annex::check_pages`], with the container's log).
fn step_annex(
    carried: &Carried,
    log_valid: bool,
    template: &Template,
) -> (Outcome, Vec<FileProblem>) {
    let Some(label) = newest_material(carried.state) else {
        let why = "the log has no material version, so the container has no annex";
        return (Outcome::Skipped(why.into()), Vec::new());
    };
    let name = annex_file(label);
    let shown = crate::text::printable(label, 80);
    let Some(file) = carried.find(&name) else {
        return failed_on(
            &name,
            format!("the annex of version {shown} is not in the container"),
        );
    };
    if !log_valid {
        let why = "the log the container carries is not valid";
        return (Outcome::Skipped(why.into()), Vec::new());
    }
    if let Some(why) = other_log(&file.bytes, carried) {
        return failed_on(&name, why);
    }
    let about = match super::annex::read_about(&file.bytes) {
        Ok(about) => about,
        Err(e) => return failed_on(&name, e.to_string()),
    };
    if about.version != label {
        let other = crate::text::printable(&about.version, 80);
        return failed_on(
            &name,
            format!("it is the annex of version {other}, not of version {shown}"),
        );
    }
    let tokens = match super::stamp::tokens_for(carried.log, carried.head) {
        Ok(tokens) => tokens,
        Err(e) => {
            let why = format!("cannot read the time stamps kept for the checkpoint: {e}");
            return failed_on(&name, why);
        }
    };
    let printed = super::annex::Printed {
        entries: &carried.entries,
        about: &about,
        tokens,
    };
    match super::annex::check_pages(carried.state, carried.head, &printed, template, &file.bytes) {
        Outcome::Failed(why) => failed_on(
            &name,
            format!("{why} (or it was rendered with another template than the one given)"),
        ),
        Outcome::Passed(what) => (Outcome::Passed(format!("{name}: {what}")), Vec::new()),
        Outcome::Skipped(why) => (Outcome::Skipped(format!("{name}: {why}")), Vec::new()),
    }
}

/// Why an annex PDF does not carry the container's log, if it does not:
/// its checkpoint and entries must be the container's (cheap, and checked
/// even when the pages cannot be compared).
fn other_log(pdf: &[u8], carried: &Carried) -> Option<String> {
    use super::annex::{CHECKPOINT_NAME, ENTRIES_NAME};
    let carries = |name, bytes: &[u8]| crate::pdf::attachment(pdf, name).is_ok_and(|a| a == bytes);
    if !carries(CHECKPOINT_NAME, &carried.head.to_bytes()) {
        return Some("it does not carry the container's log/checkpoint".into());
    }
    if !carries(ENTRIES_NAME, &carried.entries) {
        return Some("it does not carry the container's log/entries".into());
    }
    None
}

/// Step 10: every version's rules PDF is in the container with the SHA-256
/// the log records for it.
fn step_documents(carried: &Carried) -> (Outcome, Vec<FileProblem>) {
    let versions = carried.state.versions();
    let mut problems = Vec::new();
    for p in versions {
        let name = version_file(&p.version.label);
        let label = crate::text::printable(&p.version.label, 80);
        let problem = match carried.find(&name) {
            None => format!("the rules PDF of version {label} is not in the container"),
            Some(f) => {
                let sha256 = crate::document::sha256(&f.bytes);
                if sha256 == p.version.sha256 {
                    continue;
                }
                format!(
                    "its SHA-256 is {}, the log records {} for version {label}",
                    crate::encoding::hex(&sha256),
                    crate::encoding::hex(&p.version.sha256)
                )
            }
        };
        problems.push(FileProblem {
            file: name,
            problem,
        });
    }
    let passed = match versions.len() {
        0 => "the log publishes no version, so the container has no rules PDF".to_string(),
        1 => "the rules PDF of the one version has the SHA-256 the log records".to_string(),
        n => format!("the rules PDF of each of the {n} versions has the SHA-256 the log records"),
    };
    judged(problems, versions.len(), passed)
}

/// Step 11: every file in the container is one the log accounts for: the
/// files `export` makes of the carried log. Any other is named.
fn step_files(
    container: &Container,
    carried: &Carried,
) -> Result<(Outcome, Vec<FileProblem>), ContainerError> {
    let mut expected: HashSet<String> = carried
        .state
        .versions()
        .iter()
        .map(|p| version_file(&p.version.label))
        .collect();
    expected.extend(newest_material(carried.state).map(annex_file));
    expected.extend([ENTRIES.to_string(), CHECKPOINT.to_string()]);
    let kept = kept_files(carried.log, carried.head.checkpoint.size)?;
    expected.extend(kept.into_iter().map(|f| f.name));
    let mut problems: Vec<FileProblem> = container
        .files
        .iter()
        .filter(|f| !expected.contains(&f.name))
        .map(|f| FileProblem {
            file: f.name.clone(),
            problem: "the log does not account for it: ackreg exports no such file from this log"
                .into(),
        })
        .collect();
    problems.extend(log_files_exact(carried));
    let n = container.files.len();
    let passed = match n {
        1 => "the one file is one the log accounts for".to_string(),
        n => format!("each of the {n} files is one the log accounts for"),
    };
    Ok(judged(problems, n, passed))
}

/// `log/entries` must be exactly the entries the checkpoint covers, and
/// `log/checkpoint` exactly the signed checkpoint: nothing after them.
fn log_files_exact(carried: &Carried) -> Vec<FileProblem> {
    let size = carried.head.checkpoint.size;
    let head = carried.head.to_bytes();
    let wanted: [(&str, &[u8], String); 2] = [
        (
            ENTRIES,
            &carried.entries,
            format!("the {size} entries the checkpoint covers"),
        ),
        (CHECKPOINT, &head, "the signed checkpoint".to_string()),
    ];
    let mut out = Vec::new();
    for (name, bytes, what) in wanted {
        let Some(file) = carried.find(name).filter(|f| f.bytes != bytes) else {
            continue;
        };
        out.push(FileProblem {
            file: name.to_string(),
            problem: format!(
                "it holds {} bytes, not exactly {what} ({} bytes)",
                file.bytes.len(),
                bytes.len()
            ),
        });
    }
    out
}
