//! `ackreg register`: collect acknowledgements, seal the register, and
//! print it as the filled annex.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ackreg_core::document::DocumentRef;
use ackreg_core::encoding::hex;
use ackreg_core::fsutil::{write_atomic, Overwrite};
use ackreg_core::keyring::{self, Keyring};
use ackreg_core::keys::KeyId;
use ackreg_core::register::{self, Candidate};
use ackreg_core::render::Template;

use super::common::{out, passphrase, CliError};

/// Collect the signed acknowledgements into a register sealed by the issuer.
///
/// Every acknowledgement (*.json) in --acks is checked as `ackreg verify`
/// does; refused ones are listed with their reason. Accepted ones are
/// numbered by date, then name. Employees in the keyring who have not
/// acknowledged are listed as outstanding. The register is sealed with the
/// issuer's key and, with --pdf, printed as the filled annex (PIELIKUMS),
/// which carries the sealed register as an attached file.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The PDF of the rules that was acknowledged.
    #[arg(long, value_name = "PDF")]
    document: PathBuf,

    /// The keyring folder.
    #[arg(long, value_name = "DIR", default_value = "keys")]
    keyring: PathBuf,

    /// The folder of acknowledgements (*.json).
    #[arg(long, value_name = "DIR", default_value = "acks")]
    acks: PathBuf,

    /// The issuer's private key (PKCS#8 PEM); the passphrase comes from
    /// ACKREG_PASSPHRASE or the terminal.
    #[arg(long, value_name = "KEY")]
    issuer_key: PathBuf,

    /// The issuer's name as printed, e.g. "J.Gavars, izpilddirektors".
    #[arg(long, value_name = "NAME")]
    issuer_name: Option<String>,

    /// Where to write the sealed register (replaced atomically).
    #[arg(short, long, value_name = "JSON", default_value = "register.json")]
    output: PathBuf,

    /// Also write the filled annex as a PDF/A-3 carrying the register.
    #[arg(long, value_name = "PDF")]
    pdf: Option<PathBuf>,

    /// The template folder the rules were rendered with [default: built-in].
    #[arg(long, value_name = "DIR")]
    template: Option<PathBuf>,

    /// The sealing time, YYYY-MM-DDTHH:MM:SSZ [default: now].
    #[arg(long, value_name = "TIME")]
    sealed_at: Option<String>,

    /// Fail at once when another run is writing the same register, instead
    /// of waiting for it (the lock is the file JSON.lock beside it).
    #[arg(long)]
    no_wait: bool,
}

pub fn run(args: Args) -> Result<ExitCode, CliError> {
    let document = DocumentRef::from_pdf_file(&args.document, None)
        .map_err(|e| CliError::file(&args.document, e))?;
    let ring = Keyring::load(&args.keyring)
        .map_err(|e| CliError::file(&keyring::keyring_path(&args.keyring), e))?;
    let candidates = read_candidates(&args.acks)?;
    let template =
        Template::from_dir_or_builtin(args.template.as_deref()).map_err(CliError::lib)?;
    let issuer_key = passphrase::read_secret_key(&args.issuer_key)?;
    let sealed_at = args
        .sealed_at
        .clone()
        .unwrap_or_else(super::common::now_utc);

    // One run at a time per register: the lock beside it is held until the
    // register (and its annex) are written. Temporary files of runs that
    // were killed can only be stale once we hold it.
    let _lock = super::common::lock(&args.output, args.no_wait)?;
    ackreg_core::fsutil::remove_stale_temps(&args.output);
    if let Some(pdf) = &args.pdf {
        ackreg_core::fsutil::remove_stale_temps(pdf);
    }

    let assembly = register::assemble(&document, &ring, &candidates);
    let sealed = register::seal(
        &assembly,
        &issuer_key,
        args.issuer_name.as_deref(),
        &sealed_at,
    )
    .map_err(CliError::lib)?;
    write_atomic(&args.output, &sealed.bytes, Overwrite::Replace, None).map_err(CliError::lib)?;

    print_assembly(&assembly);
    out(format!(
        "sealed at {sealed_at} by key {}",
        KeyId::of(&issuer_key.verifying_key())
    ));
    out(format!(
        "wrote {} (SHA-256 {})",
        args.output.display(),
        hex(&ackreg_core::document::sha256(&sealed.bytes))
    ));

    if let Some(pdf_path) = &args.pdf {
        write_annex(pdf_path, template, &sealed)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints what went into the register and what did not.
fn print_assembly(assembly: &register::Assembly) {
    let document = &assembly.document;
    out(format!(
        "register for \"{}\" (SHA-256 {})",
        document.title,
        hex(&document.sha256)
    ));
    for r in &assembly.refused {
        out(format!("  refused  {}: {}", r.source, r.reason));
    }
    for (i, a) in assembly.accepted.iter().enumerate() {
        out(format!(
            "  {:>3}.  {}  {} ({})  from {}",
            i + 1,
            a.ack.date,
            a.ack.employee.name,
            a.signer.id,
            a.source
        ));
    }
    for o in &assembly.outstanding {
        out(format!("  outstanding  {} ({})", o.name, o.id));
    }
    out(format!(
        "{} accepted, {} refused, {} outstanding",
        assembly.accepted.len(),
        assembly.refused.len(),
        assembly.outstanding.len()
    ));
}

/// Renders the filled annex of a sealed register and writes it to
/// `pdf_path`.
fn write_annex(
    pdf_path: &Path,
    template: Template,
    sealed: &register::Sealed,
) -> Result<(), CliError> {
    let input = register::annex_input(
        &sealed.bytes,
        &sealed.body,
        register::annex_rows(&sealed.body),
    );
    let rendered = template.render(&input).map_err(CliError::lib)?;
    write_atomic(pdf_path, &rendered.pdf, Overwrite::Replace, None).map_err(CliError::lib)?;
    out(format!(
        "wrote {} (SHA-256 {})",
        pdf_path.display(),
        hex(&rendered.sha256)
    ));
    Ok(())
}

/// Reads every `*.json` file in `dir`, in file-name order.
fn read_candidates(dir: &Path) -> Result<Vec<Candidate>, CliError> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        CliError::input(format!("{}: cannot read the folder: {e}", dir.display())).with_hint(Some(
            "pass the folder of signed acknowledgements with --acks".into(),
        ))
    })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json") && p.is_file())
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            // Read at most one byte more than an acknowledgement may have:
            // `assemble` refuses larger files by their size.
            let mut bytes = Vec::new();
            std::fs::File::open(&p)
                .and_then(|f| {
                    f.take(register::MAX_ACK_FILE as u64 + 1)
                        .read_to_end(&mut bytes)
                })
                .map_err(|e| CliError::input(format!("{}: cannot read: {e}", p.display())))?;
            Ok(Candidate {
                source: p.display().to_string(),
                bytes,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn now_is_a_valid_sealing_time() {
        let now = crate::cmd::common::now_utc();
        assert!(
            ackreg_core::register::check_sealed_at(&now).is_ok(),
            "{now}"
        );
        assert!(now.as_str() > "2020-01-01T00:00:00Z");
    }
}
