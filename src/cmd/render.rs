//! `ackreg render`: the rules and their annex as an A4 PDF.

use std::path::PathBuf;
use std::process::ExitCode;

use ackreg_core::fsutil::{write_atomic, Overwrite};
use ackreg_core::render::{RenderInput, Template};

use super::common::{out, CliError};

/// Render the rules and their annex (PIELIKUMS) as a reproducible A4 PDF.
///
/// Without --template, renders the built-in document: the client service
/// rules of the Aknīste county client service centre (KAC). The PDF's bytes
/// depend only on the template, so the printed SHA-256 identifies the
/// document that employees acknowledge.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to write the PDF (replaced atomically if it exists).
    #[arg(short, long, value_name = "PDF", default_value = "noteikumi.pdf")]
    output: PathBuf,

    /// A template folder holding rules.typ (the document's words) and
    /// optionally style.typ (else the built-in house style is used).
    #[arg(long, value_name = "DIR")]
    template: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<ExitCode, CliError> {
    let template =
        Template::from_dir_or_builtin(args.template.as_deref()).map_err(CliError::lib)?;
    let rendered = template
        .render(&RenderInput::default())
        .map_err(CliError::lib)?;
    write_atomic(&args.output, &rendered.pdf, Overwrite::Replace, None).map_err(CliError::lib)?;
    out(format!("wrote {}", args.output.display()));
    out(format!("title:  {}", rendered.title));
    out(format!("pages:  {}", rendered.pages));
    out(format!("sha256: {}", hex(&rendered.sha256)));
    Ok(ExitCode::SUCCESS)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
