//! `ackreg export`: the log as an eDoc (ASiC-E) container, to seal with the
//! municipality's qualified e-seal in DigiDoc4 or eParaksts.

use std::path::PathBuf;
use std::process::ExitCode;

use ackreg_core::fsutil::{write_atomic, Overwrite};
use ackreg_core::log::{container, LogDir};
use ackreg_core::render::Template;

use super::common::{out, CliError};

/// Export the log as an unsigned eDoc (ASiC-E) container: every version's
/// rules PDF, the annex of the newest version, and the log's files with its
/// checkpoints. The same log gives the same bytes.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The log's folder.
    #[arg(long, value_name = "DIR")]
    log: PathBuf,

    /// Where to write the container (.edoc).
    #[arg(long, value_name = "FILE")]
    edoc: PathBuf,

    /// The template the annex is rendered with [default: built-in].
    #[arg(long, value_name = "DIR")]
    template: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<ExitCode, CliError> {
    let template =
        Template::from_dir_or_builtin(args.template.as_deref()).map_err(CliError::lib)?;
    let log = LogDir::new(&args.log);
    let files = container::files(&log, &template).map_err(|e| CliError::file(&args.log, e))?;
    let bytes = ackreg_core::edoc::write(&files).map_err(|e| CliError::file(&args.edoc, e))?;
    write_atomic(&args.edoc, &bytes, Overwrite::Replace, None).map_err(CliError::lib)?;
    out(format!(
        "wrote {} ({} files, {} bytes):",
        args.edoc.display(),
        files.len(),
        bytes.len()
    ));
    for f in &files {
        out(format!("  {}", f.name));
    }
    out("seal it with the municipality's qualified e-seal in DigiDoc4 or eParaksts");
    Ok(ExitCode::SUCCESS)
}
