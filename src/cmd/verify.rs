//! `ackreg verify`: check an acknowledgement step by step and say which
//! step failed. Exit codes: 0 valid, 1 invalid, 2 unusable input.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ackreg_core::ack::{self, Step};
use ackreg_core::document::sha256;
use ackreg_core::evidence::{self, Kind};
use ackreg_core::fsutil::{read_limited, ReadError};
use ackreg_core::keyring::{self, Keyring};
use ackreg_core::register::MAX_ACK_FILE;
use ackreg_core::verify::MAX_REGISTER_FILE;

use super::common::{out, step_line, CliError};

/// Verify an acknowledgement, a sealed register, or an annex PDF.
///
/// An acknowledgement is checked against the document (--document) and the
/// keyring (--keyring). A register (register.json) or the annex PDF that
/// carries it is audited with the issuer's public key (--issuer), and
/// --document adds the check that the register is about that PDF.
///
/// Prints each numbered step with [ok] or [FAIL]. Exit code 0 when valid,
/// 1 when invalid (the failed step is named), 2 when an input cannot be
/// used (missing file, unreadable keyring, key or document).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The acknowledgement, register (JSON) or annex PDF to verify.
    #[arg(value_name = "FILE")]
    file: PathBuf,

    /// The PDF of the rules: required for an acknowledgement, optional for
    /// a register.
    #[arg(long, value_name = "PDF")]
    document: Option<PathBuf>,

    /// The keyring folder, for an acknowledgement [default: keys].
    #[arg(long, value_name = "DIR")]
    keyring: Option<PathBuf>,

    /// The issuer's public key, for a register: a PEM file or its 64-digit
    /// key id.
    #[arg(long, value_name = "PEM|KEYID")]
    issuer: Option<String>,

    /// The template the annex PDF was rendered with [default: built-in].
    #[arg(long, value_name = "DIR")]
    template: Option<PathBuf>,

    /// Print the register's verdicts as JSON.
    #[arg(long)]
    json: bool,

    /// For a log folder: the checkpoint of an earlier audit; only what was
    /// appended since is checked, after a consistency proof.
    #[arg(long, value_name = "CHECKPOINT")]
    since: Option<PathBuf>,

    /// For a log, a receipt, an annex PDF or an eDoc: a CA certificate
    /// (PEM, one or more) that time stamp authorities must chain to; may be
    /// repeated. Without it, time stamps are reported as present but not
    /// trusted.
    #[arg(long, value_name = "PEM")]
    tsa_ca: Vec<PathBuf>,

    /// With --tsa-ca: intermediate CA certificates (PEM, one or more) that
    /// a time stamp token does not carry, offered for its chain but not
    /// trusted; may be repeated.
    #[arg(long, value_name = "PEM", requires = "tsa_ca")]
    tsa_chain: Vec<PathBuf>,

    /// Check every signature of a register with `verify_strict` alone
    /// instead of batch verification (slower; exact; see docs/PERFORMANCE.md).
    #[arg(long)]
    no_batch: bool,
}

/// The auditor's arguments for a log, a receipt or a log's annex.
fn log_args(args: &Args) -> Result<super::common::logaudit::LogArgs<'_>, CliError> {
    Ok(super::common::logaudit::LogArgs {
        issuer: super::common::audit::issuer_key(args.issuer.as_deref())?,
        since: args.since.as_deref(),
        json: args.json,
        no_batch: args.no_batch,
        template: args.template.as_deref(),
        tsa_anchors: tsa_trust(&args.tsa_ca, &args.tsa_chain)?,
    })
}

/// The trust anchors of every `--tsa-ca` file and the intermediates of
/// every `--tsa-chain` file, or `None` if no `--tsa-ca` was given.
fn tsa_trust(
    anchors: &[PathBuf],
    chain: &[PathBuf],
) -> Result<Option<ackreg_core::tsa::TrustStore>, CliError> {
    if anchors.is_empty() {
        return Ok(None);
    }
    let mut found = Vec::new();
    for path in anchors {
        let pem = read_limited(path, 1 << 20).map_err(|e| CliError::file(path, e))?;
        found.extend(ackreg_core::tsa::Anchor::from_pem(&pem).map_err(|e| {
            CliError::file(path, e).with_hint(Some(
                "--tsa-ca takes the PEM certificate(s) of the CA the time stamp authority chains to"
                    .into(),
            ))
        })?);
    }
    let mut intermediates = Vec::new();
    for path in chain {
        let pem = read_limited(path, 1 << 20).map_err(|e| CliError::file(path, e))?;
        intermediates.extend(ackreg_core::tsa::Intermediate::from_pem(&pem).map_err(|e| {
            CliError::file(path, e).with_hint(Some(
                "--tsa-chain takes the PEM certificate(s) of intermediate CAs between the time \
                 stamp authority and a --tsa-ca anchor"
                    .into(),
            ))
        })?);
    }
    Ok(Some(
        ackreg_core::tsa::TrustStore::new(found).with_chain(intermediates),
    ))
}

pub fn run(args: Args) -> Result<ExitCode, CliError> {
    if args.file.is_dir() {
        let log_args = log_args(&args)?;
        return super::common::logaudit::log(&args.file, &log_args);
    }
    // The largest file verify reads is a register; an acknowledgement's own
    // limit is checked once the file is known not to be one.
    let bytes =
        read_limited(&args.file, MAX_REGISTER_FILE).map_err(|e| CliError::file(&args.file, e))?;
    let path = &args.file;
    match evidence::kind_of(&bytes) {
        Kind::Receipt => super::common::logaudit::receipt_file(path, &bytes, &log_args(&args)?),
        Kind::Edoc => super::common::logaudit::edoc(path, &bytes, &log_args(&args)?),
        Kind::LogAnnex => super::common::logaudit::annex(path, &bytes, &log_args(&args)?),
        kind @ (Kind::RegisterAnnex | Kind::Register) => super::common::audit::run(
            path,
            &bytes,
            kind == Kind::RegisterAnnex,
            &super::common::audit::AuditArgs {
                issuer: args.issuer.as_deref(),
                document: args.document.as_deref(),
                template: args.template.as_deref(),
                json: args.json,
                no_batch: args.no_batch,
            },
        ),
        Kind::Acknowledgement => verify_ack_cmd(
            path,
            &bytes,
            args.document.as_deref(),
            args.keyring.as_deref(),
        ),
    }
}

/// Verifies the acknowledgement `bytes` read from `path`, printing the steps.
pub fn verify_ack_cmd(
    path: &Path,
    bytes: &[u8],
    document: Option<&Path>,
    keyring_dir: Option<&Path>,
) -> Result<ExitCode, CliError> {
    let document = ack_document(path, bytes, document)?;
    let pdf = ackreg_core::document::read_pdf(document).map_err(|e| CliError::file(document, e))?;
    let dir = keyring_dir.unwrap_or(Path::new("keys"));
    let ring_path = keyring::keyring_path(dir);
    let ring = Keyring::load(dir).map_err(|e| CliError::file(&ring_path, e))?;

    let report = ack::verify_ack(bytes, &ring, Some(&sha256(&pdf)));
    print_ack_steps(path, &report);
    ack_verdict(path, &report)
}

/// The `--document` that verifying the acknowledgement at `path` needs,
/// once `bytes` are known to be no larger than an acknowledgement.
fn ack_document<'a>(
    path: &Path,
    bytes: &[u8],
    document: Option<&'a Path>,
) -> Result<&'a Path, CliError> {
    let Some(document) = document else {
        return Err(CliError::input(format!(
            "{}: --document is required to verify an acknowledgement",
            path.display()
        ))
        .with_hint(Some(
            "pass the PDF that was acknowledged with --document".into(),
        )));
    };
    if bytes.len() > MAX_ACK_FILE {
        return Err(CliError::file(
            path,
            ReadError::TooLarge {
                limit: MAX_ACK_FILE,
            },
        )
        .with_hint(Some(
            "an acknowledgement written by `ackreg sign` is a few kilobytes".into(),
        )));
    }
    Ok(document)
}

/// Prints every step of an acknowledgement's verification, those that did
/// not run included.
fn print_ack_steps(path: &Path, report: &ack::Report) {
    out(format!("verifying acknowledgement {}", path.display()));
    for s in &report.steps {
        out(step_line(s));
    }
    for step in Step::ALL.iter().skip(report.steps.len()) {
        out(format!(
            "  {}. [--]   {}: not checked",
            step.number(),
            step.name()
        ));
    }
}

/// Exit code 0 after the "valid" line, or the failed step as an error with
/// exit code 1.
fn ack_verdict(path: &Path, report: &ack::Report) -> Result<ExitCode, CliError> {
    if let (true, Some(ack)) = (report.is_valid(), &report.acknowledgement) {
        out(format!(
            "valid: {} ({}) acknowledged \"{}\" on {}",
            ack.employee.name, ack.employee.id, ack.document.title, ack.date
        ));
        return Ok(ExitCode::SUCCESS);
    }
    let (step, why) = report
        .failure()
        .unwrap_or((Step::Envelope, "verification did not complete"));
    out("INVALID");
    Err(CliError {
        message: format!(
            "{}: invalid acknowledgement: step {} ({}) failed: {why}",
            path.display(),
            step.number(),
            step.name()
        ),
        hint: None,
        code: 1,
    })
}
