//! The log exported as an eDoc (ASiC-E) container for the municipality's
//! qualified e-seal, and read back for an audit.
//!
//! The container holds every version's rules PDF, the annex of the newest
//! material version at the newest checkpoint, and the log's own files
//! (entries, the newest checkpoint, every checkpoint kept), so that an
//! auditor can verify it all with ackreg from the container alone, and a
//! lawyer can see the qualified seal over the same bytes in DigiDoc4 or
//! eParaksts. Reading it back audits the log inside and lists the XAdES
//! signatures the container carries, without judging their legal validity.

use crate::edoc::{self, ContainerFile};
use crate::render::Template;

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
        out.push(file(
            format!("noteikumi-{}.pdf", file_label(&p.version.label)),
            "application/pdf",
            pdf,
        ));
    }
    let entries = log.entries_prefix(size)?;
    if let Some(last) = state.versions().iter().rev().find(|p| p.version.material) {
        let mut input = super::annex::input(&state, &head, &entries, &last.version.label)
            .map_err(|_| ContainerError::NotOurs("material version"))?;
        let tokens = super::stamp::tokens_for(log, &head).unwrap_or_default();
        super::annex::add_tokens(&mut input, &tokens);
        let pdf = template.render(&input).map_err(ContainerError::Render)?.pdf;
        out.push(file(
            format!("pielikums-{}.pdf", file_label(&last.version.label)),
            "application/pdf",
            pdf,
        ));
    }
    out.push(file(ENTRIES.into(), "application/jsonl", entries));
    out.push(file(CHECKPOINT.into(), "text/plain", head.to_bytes()));
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
