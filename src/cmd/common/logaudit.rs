//! The log half of `ackreg verify`: a log folder (optionally since an old
//! checkpoint), a receipt, or the annex PDF printed from a log. The library
//! decides; this module prints the numbered steps and sets the exit code.

use std::path::Path;
use std::process::ExitCode;

use ackreg_core::edoc::seals::SealCheck;
use ackreg_core::fsutil::read_limited;
use ackreg_core::log::audit::{self, AuditOptions, LogReport};
use ackreg_core::log::container::{self, ContainerReport};
use ackreg_core::log::entry::{format_date, Entry};
use ackreg_core::log::receipt::{self, ReceiptStep};
use ackreg_core::log::{stamp, LogDir};
use ackreg_core::outcome::{failed_count, held, Outcome, StepResult};
use ackreg_core::render::Template;
use ackreg_core::verify::{IssuerKey, NoProgress, SignatureCheck};

use super::{out, step_line, CliError};

/// What the auditor gives.
pub struct LogArgs<'a> {
    /// The issuer's key.
    pub issuer: IssuerKey,
    /// `--since`: an old checkpoint file.
    pub since: Option<&'a Path>,
    /// `--json`.
    pub json: bool,
    /// `--no-batch`.
    pub no_batch: bool,
    /// `--template`.
    pub template: Option<&'a Path>,
    /// `--tsa-ca` and `--tsa-chain`: trust anchors and untrusted
    /// intermediates for time stamp authorities.
    pub tsa_anchors: Option<ackreg_core::tsa::TrustStore>,
}

fn check(no_batch: bool) -> SignatureCheck {
    if no_batch {
        SignatureCheck::Strict
    } else {
        SignatureCheck::Batch
    }
}

/// `ackreg verify DIR`: audits a log folder.
pub fn log(dir: &Path, args: &LogArgs) -> Result<ExitCode, CliError> {
    let since = match args.since {
        Some(p) => Some(read_limited(p, 64 * 1024).map_err(|e| CliError::file(p, e))?),
        None => None,
    };
    let options = AuditOptions {
        since,
        check: check(args.no_batch),
        tsa_anchors: args.tsa_anchors.clone(),
    };
    let report = audit::audit(&LogDir::new(dir), &args.issuer, &options, &NoProgress)
        .map_err(|e| CliError::file(dir, e))?;
    print_report(&format!("log {}", dir.display()), &report, args.json)
}

/// The template of `--template`, or the built-in one.
fn template(args: &LogArgs) -> Result<Template, CliError> {
    Template::from_dir_or_builtin(args.template).map_err(CliError::lib)
}

/// `ackreg verify ANNEX.pdf` for an annex printed from a log.
pub fn annex(path: &Path, pdf: &[u8], args: &LogArgs) -> Result<ExitCode, CliError> {
    let template = template(args)?;
    let options = AuditOptions {
        since: None,
        check: check(args.no_batch),
        tsa_anchors: args.tsa_anchors.clone(),
    };
    let report = ackreg_core::log::annex::verify_pdf_with(pdf, &args.issuer, &template, &options)
        .map_err(|e| CliError::file(path, e))?;
    print_report(&format!("annex PDF {}", path.display()), &report, args.json)
}

fn print_report(what: &str, report: &LogReport, json: bool) -> Result<ExitCode, CliError> {
    let valid = report.is_valid();
    if json {
        out(serde_json::to_string_pretty(report).map_err(|e| CliError::input(e.to_string()))?);
    } else {
        print_steps(what, report);
    }
    Ok(if valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn print_steps(what: &str, report: &LogReport) {
    print_log_steps(what, report);
    print_verdict(report);
}

/// The steps and what they found, up to the verdict.
fn print_log_steps(what: &str, report: &LogReport) {
    out(format!("verifying {what}"));
    for s in &report.steps {
        out(step_line(s));
    }
    if report.stamps.len() > 1 {
        for stamp in &report.stamps {
            out(format!("     time stamp: {}", stamp.sentence()));
        }
    }
    for p in &report.problems {
        out(format!(
            "  entry {}: {} ({})",
            p.index,
            p.problem,
            p.step.name()
        ));
    }
    for f in &report.forks {
        out(format!(
            "\nPROOF OF TAMPERING: {}\n--- first checkpoint ---\n{}--- second checkpoint ---\n{}",
            f.why, f.first, f.second
        ));
    }
    if report.unfinished_bytes > 0 {
        out(format!("  note: {} bytes after the last committed entry (an append that did not finish; ignored)", report.unfinished_bytes));
    }
}

/// The verdict line, and the checkpoint to keep when valid.
fn print_verdict(report: &LogReport) {
    out("");
    if report.is_valid() {
        out(format!(
            "VALID: {} entries audited of {} (origin {})",
            report.size - report.from,
            report.size,
            report.origin.as_deref().unwrap_or("?")
        ));
        if let Some(c) = &report.checkpoint {
            out(format!(
                "keep this checkpoint for the next audit (--since):\n{c}"
            ));
        }
    } else {
        out(format!(
            "INVALID: {} step(s) failed, {} entries with problems",
            failed_count(&report.steps),
            report.problems.len()
        ));
    }
}

/// `ackreg verify RECEIPT`: a receipt alone, with the issuer's key.
pub fn receipt_file(path: &Path, bytes: &[u8], args: &LogArgs) -> Result<ExitCode, CliError> {
    let IssuerKey::Key(key) = &args.issuer else {
        return Err(CliError::input(
            "a receipt needs the issuer's public key itself (a PEM file), not only its key id",
        )
        .with_hint(Some("give --issuer ISSUER.pub.pem".into())));
    };
    out(format!("verifying receipt {}", path.display()));
    match receipt::verify(bytes, key) {
        Ok(v) => {
            print_receipt_checks(&v);
            let stamps = stamp::receipt_stamps(&v.checkpoint, args.tsa_anchors.as_ref());
            let valid = print_receipt_stamps(&stamps, args.tsa_anchors.is_some());
            out("");
            out(if valid { "VALID" } else { "INVALID" });
            Ok(if valid {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Err(e) => {
            out(format!("  [FAIL] {e}"));
            if let Some(h) = ackreg_core::Hint::hint(&e) {
                out(format!("  hint: {h}"));
            }
            out("");
            out("INVALID");
            Ok(ExitCode::from(1))
        }
    }
}

/// Steps 1 to 4 of a receipt, which [`receipt::verify`] passed.
fn print_receipt_checks(v: &receipt::Verified) {
    let passed = |step, detail: String| StepResult::new(step, Outcome::Passed(detail));
    let cp = &v.checkpoint.checkpoint;
    for s in [
        passed(
            ReceiptStep::Receipt,
            format!("a C2SP tlog-proof carrying entry {}", v.index),
        ),
        passed(
            ReceiptStep::Checkpoint,
            format!("signed by {} ({} entries)", cp.origin, cp.size),
        ),
        passed(
            ReceiptStep::Inclusion,
            "the entry is in the log the checkpoint signs (RFC 9162 proof)".into(),
        ),
        passed(ReceiptStep::Entry, describe(&v.entry)),
    ] {
        out(step_line(&s));
    }
}

/// Step 5 of a receipt: the time stamps its checkpoint carries, presented
/// as the audit's step 9 is; false when one failed.
fn print_receipt_stamps(stamps: &[stamp::StampReport], anchored: bool) -> bool {
    let step = StepResult::new(ReceiptStep::Timestamps, stamp::summary(stamps, anchored));
    out(step_line(&step));
    let valid = held([&step]);
    if stamps.len() > 1 {
        for s in stamps {
            out(format!("     time stamp: {}", s.sentence()));
        }
    }
    valid
}

fn describe(entry: &Entry) -> String {
    match entry {
        Entry::Ack(a) => format!(
            "{} ({}) acknowledged \"{}\" on {}, received {}; the signature verifies",
            a.ack.employee.name,
            a.ack.employee.id,
            a.ack.document.title,
            a.ack.date,
            format_date(a.received)
        ),
        other => format!("a {} entry", other.kind().name()),
    }
}

/// `ackreg verify FILE.edoc`: audits the log inside the container and every
/// file it holds, and lists the XAdES signatures it carries, with the files
/// whose digests they record, without judging the signatures themselves.
pub fn edoc(path: &Path, bytes: &[u8], args: &LogArgs) -> Result<ExitCode, CliError> {
    let template = template(args)?;
    let tmp = tempfile::tempdir()
        .map_err(|e| CliError::input(format!("cannot make a temporary folder: {e}")))?;
    let options = AuditOptions {
        since: None,
        check: check(args.no_batch),
        tsa_anchors: args.tsa_anchors.clone(),
    };
    let report = container::audit(bytes, tmp.path(), &args.issuer, &options, &template)
        .map_err(|e| CliError::file(path, e))?;
    if args.json {
        out(serde_json::to_string_pretty(&report).map_err(|e| CliError::input(e.to_string()))?);
    } else {
        print_container(path, &report);
    }
    Ok(if report.is_valid() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn print_container(path: &Path, report: &ContainerReport) {
    print_log_steps(&format!("eDoc container {}", path.display()), &report.log);
    for f in &report.file_problems {
        out(format!(
            "  file {}: {} ({})",
            f.file,
            f.problem,
            f.step.name()
        ));
    }
    for name in &report.unread {
        out(format!(
            "  note: {name} is not read by ackreg (nor checked): a file in META-INF/ that is neither the manifest nor XAdES signatures"
        ));
    }
    if report.is_valid() {
        print_verdict(&report.log);
    } else {
        out("");
        out(format!(
            "INVALID: {} step(s) failed, {} entries with problems, {} problem(s) with files",
            failed_count(&report.log.steps),
            report.log.problems.len(),
            report.file_problems.len()
        ));
    }
    out("");
    out(format!(
        "{} file(s) in the container; {} signature(s):",
        report.files.len(),
        report.seals.len()
    ));
    for s in &report.seals {
        print_seal(s);
    }
    out("ackreg does not judge the legal validity of these signatures: check them in DigiDoc4 or eParaksts.");
}

/// One signature: who, when, the files whose digests it records, and
/// those it names that do not match.
fn print_seal(seal: &SealCheck) {
    let covers = seal.covers();
    let mut line = format!(
        "  {}: signed by {} at {}, covering {}",
        seal.file,
        seal.signer.as_deref().unwrap_or("(no certificate)"),
        seal.signing_time.as_deref().unwrap_or("(no signing time)"),
        if covers.is_empty() {
            "no file of the container".to_string()
        } else {
            covers.join(", ")
        }
    );
    let fails = seal.fails();
    if !fails.is_empty() {
        line.push_str(&format!("; NOT covering {} (step 12)", fails.join(", ")));
    }
    out(line);
}
