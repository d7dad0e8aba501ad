//! The register half of `ackreg verify`: audit a sealed register, given as
//! its JSON file or as the annex PDF that carries it, and print a table of
//! verdicts (or JSON for machines).

use std::borrow::Cow;
use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;
use std::sync::OnceLock;

use ackreg_core::evidence::{self, IssuerKeyError};
use ackreg_core::outcome::failed_count;
use ackreg_core::register;
use ackreg_core::render::Template;
use ackreg_core::verify::{self, EntryVerdict, IssuerKey, RegisterReport, SignatureCheck};
use serde::Serialize;

use super::{out, step_line, CliError};

/// What the auditor gives besides the register.
pub struct AuditArgs<'a> {
    /// `--issuer`: a PEM public key file or a 64-digit key id.
    pub issuer: Option<&'a str>,
    /// `--document`: the rules PDF.
    pub document: Option<&'a Path>,
    /// `--template`: the template the annex was rendered with.
    pub template: Option<&'a Path>,
    /// `--json`.
    pub json: bool,
    /// `--no-batch`: check every signature with `verify_strict` alone.
    pub no_batch: bool,
}

/// Registers at least this long show a progress bar on a terminal.
const PROGRESS_FROM: u64 = 20_000;

/// A progress bar on standard error for step 5 of a long verification,
/// drawn only when a person is watching: never with --json, never when
/// standard output or standard error is not a terminal.
struct Bar {
    enabled: bool,
    bar: OnceLock<indicatif::ProgressBar>,
}

impl Bar {
    fn new(json: bool) -> Self {
        Bar {
            enabled: !json && std::io::stdout().is_terminal() && std::io::stderr().is_terminal(),
            bar: OnceLock::new(),
        }
    }
}

impl verify::Progress for Bar {
    fn start(&self, total: u64) {
        if !self.enabled || total < PROGRESS_FROM {
            return;
        }
        let bar = indicatif::ProgressBar::new(total);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "verifying {bar:40} {pos}/{len} acknowledgements ({per_sec}, {eta} left)",
        ) {
            bar.set_style(style);
        }
        let _ = self.bar.set(bar);
    }

    fn advance(&self, done: u64) {
        if let Some(bar) = self.bar.get() {
            bar.inc(done);
        }
    }

    fn finish(&self) {
        if let Some(bar) = self.bar.get() {
            bar.finish_and_clear();
        }
    }
}

/// The auditor's issuer key, `--issuer`: a key id (64 hex digits) or a PEM
/// file, as [`evidence::issuer_key`] reads it.
pub fn issuer_key(arg: Option<&str>) -> Result<IssuerKey, CliError> {
    let Some(arg) = arg else {
        return Err(
            CliError::input("--issuer is required to verify a register").with_hint(Some(
                "give the issuer's public key as a PEM file or its 64-digit key id".into(),
            )),
        );
    };
    evidence::issuer_key(arg).map_err(|e| {
        let key_id = matches!(e, IssuerKeyError::KeyId { .. });
        let mut err = CliError::lib(e);
        if key_id {
            err.message = format!("--issuer {}", err.message);
        }
        err
    })
}

/// Verifies a register file (`pdf == false`) or an annex PDF, batching the
/// employees' signatures.
pub fn run(path: &Path, bytes: &[u8], pdf: bool, args: &AuditArgs) -> Result<ExitCode, CliError> {
    let check = if args.no_batch {
        SignatureCheck::Strict
    } else {
        SignatureCheck::Batch
    };
    run_with(path, bytes, pdf, args, check)
}

/// [`run`] with the choice of signature check (`SignatureCheck::Strict` for
/// an exact audit with `verify_strict` alone, e.g. behind `--no-batch`).
pub fn run_with(
    path: &Path,
    bytes: &[u8],
    pdf: bool,
    args: &AuditArgs,
    check: SignatureCheck,
) -> Result<ExitCode, CliError> {
    let issuer = issuer_key(args.issuer)?;
    let document = match args.document {
        Some(d) => Some(ackreg_core::document::sha256(&std::fs::read(d).map_err(
            |e| CliError::input(format!("{}: cannot read the document: {e}", d.display())),
        )?)),
        None => None,
    };
    let template = Template::from_dir_or_builtin(args.template).map_err(CliError::lib)?;
    // A register file is verified in place (no copy: it may be 100 MB).
    let register_bytes: Cow<[u8]> = if pdf {
        Cow::Owned(
            ackreg_core::pdf::attachment(bytes, register::ATTACHMENT_NAME)
                .map_err(|e| CliError::file(path, e))?,
        )
    } else {
        Cow::Borrowed(bytes)
    };

    let mut report = verify::verify_register_with(
        &register_bytes,
        &issuer,
        document.as_ref(),
        check,
        &Bar::new(args.json),
    );
    if pdf {
        report.add_annex_check(&register_bytes, bytes, &template);
    }

    let valid = report.is_valid();
    if args.json {
        print_json(path, &report, valid)?;
    } else {
        print_table(path, pdf, &report, valid);
    }
    Ok(if valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Prints the report as JSON (`--json`).
fn print_json(path: &Path, report: &RegisterReport, valid: bool) -> Result<(), CliError> {
    #[derive(Serialize)]
    struct Json<'a> {
        file: String,
        valid: bool,
        #[serde(flatten)]
        report: &'a RegisterReport,
    }
    let text = serde_json::to_string_pretty(&Json {
        file: path.display().to_string(),
        valid,
        report,
    })
    .map_err(|e| CliError::input(format!("cannot print JSON: {e}")))?;
    out(text);
    Ok(())
}

fn pad(s: &str, width: usize) -> String {
    let n = s.chars().count();
    if n >= width {
        s.to_string()
    } else {
        format!("{s}{}", " ".repeat(width - n))
    }
}

/// Prints the report for a person: the steps, a table of the entries,
/// the outstanding employees and the verdict.
fn print_table(path: &Path, pdf: bool, report: &RegisterReport, valid: bool) {
    out(format!(
        "verifying {} {} (register SHA-256 {})",
        if pdf { "annex PDF" } else { "register" },
        path.display(),
        report.register_sha256
    ));
    if let (Some(t), Some(h)) = (&report.document_title, &report.document_sha256) {
        out(format!("document: \"{t}\" (SHA-256 {h})"));
    }
    for s in &report.steps {
        out(step_line(s));
    }
    if !report.entries.is_empty() {
        print_entries(&report.entries);
    }
    for o in &report.outstanding {
        out(format!("  outstanding: {} ({})", o.name, o.id));
    }
    out("");
    print_verdict(report, valid);
}

/// The table of entries, one line each with its verdict.
fn print_entries(entries: &[EntryVerdict]) {
    let name_w = entries
        .iter()
        .map(|e| e.name.chars().count())
        .max()
        .unwrap_or(0)
        .max(4);
    out("");
    out(format!(
        "  {:>5}  {:<10}  {}  {:<12}  {:<17}  verdict",
        "Nr.",
        "date",
        pad("name", name_w),
        "id",
        "key id"
    ));
    for e in entries {
        let verdict = if e.is_valid() {
            "valid".to_string()
        } else {
            format!("INVALID: {}", e.problems.join("; "))
        };
        out(format!(
            "  {:>5}  {:<10}  {}  {}  {:<17}  {verdict}",
            format!("{}.", e.nr),
            e.date,
            pad(&e.name, name_w),
            pad(&e.id, 12),
            register::shorten(&e.keyid, 8, 8),
        ));
    }
}

/// The last line: VALID with the register's particulars, or INVALID with
/// what failed.
fn print_verdict(report: &RegisterReport, valid: bool) {
    let bad_entries = report.entries.iter().filter(|e| !e.is_valid()).count();
    let failed_steps = failed_count(&report.steps);
    if valid {
        out(format!(
            "VALID: {} acknowledgements, {} outstanding, sealed {} by {}",
            report.entries.len(),
            report.outstanding.len(),
            report.sealed_at.as_deref().unwrap_or("?"),
            report.issuer_keyid.as_deref().unwrap_or("?"),
        ));
    } else {
        out(format!(
            "INVALID: {failed_steps} step(s) failed, {bad_entries} entr{} invalid",
            if bad_entries == 1 { "y" } else { "ies" }
        ));
    }
}
