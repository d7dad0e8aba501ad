//! The log part of `ackreg demo`: the register kept for years as an
//! append-only log. Two versions of the rules (the second an amendment
//! that needs a new acknowledgement), an employee who joins later, one who
//! leaves, one whose key is replaced, receipts, the status, the annex of
//! the second version, and a full and an incremental audit.

use std::path::Path;

use ackreg_core::ack::Acknowledgement;
use ackreg_core::document::DocumentRef;
use ackreg_core::fsutil::Wait;
use ackreg_core::keys;
use ackreg_core::log::entry::{self, parse_date, Version};
use ackreg_core::log::{self as alog, status, LogDir, Writer};
use ackreg_core::render::{RenderInput, Template, RULES_TYP};
use ackreg_core::verify::IssuerKey;
use ed25519_dalek::SigningKey;
use time::Date;

use crate::cmd::common::{out, write_file, CliError};

/// The clause the amendment changes, and how.
const CLAUSE_OLD: &str = "kur piemērojams, organizē Darbinieku aptaujas.";
const CLAUSE_NEW: &str =
    "reizi gadā organizē Darbinieku aptaujas un dara to rezultātus zināmus Darbiniekiem.";

fn date(s: &str) -> Date {
    parse_date(s).unwrap_or(Date::MIN)
}

fn lib<E: crate::cmd::common::CliHint>(e: E) -> CliError {
    CliError::lib(e)
}

fn sign(
    key: &SigningKey,
    doc: &DocumentRef,
    name: &str,
    id: &str,
    day: &str,
) -> Result<Vec<u8>, CliError> {
    let ack = Acknowledgement::new(doc, name, id, day, None).map_err(lib)?;
    ack.sign(key).map_err(lib)?.to_json().map_err(lib)
}

fn add_ack(w: &mut Writer, envelope: &[u8], received: &str) -> Result<u64, CliError> {
    let bytes = alog::ack_entry(w.state(), envelope, date(received)).map_err(lib)?;
    w.append(bytes).map_err(lib)
}

fn version(
    rendered: &ackreg_core::render::Rendered,
    label: &str,
    effective: &str,
    deadline: &str,
) -> Version {
    Version {
        document: None,
        label: label.into(),
        title: rendered.title.clone(),
        sha256: rendered.sha256,
        effective: date(effective),
        material: true,
        deadline: Some(date(deadline)),
        new_employee_days: 14,
    }
}

/// Runs the log demo in `dir/log`, with the demo's issuer and the first
/// four employees' keys (in the order of the demo's employees).
pub fn run(
    dir: &Path,
    issuer: &SigningKey,
    staff: &[(&str, &str, &str, SigningKey)],
) -> Result<(), CliError> {
    let log_dir = dir.join("log");
    let write = |path: &Path, bytes: &[u8]| write_file(path, bytes);
    out("");
    out(format!(
        "6. the register as an append-only log: {}",
        log_dir.display()
    ));
    let first = entry::log_bytes(
        "aknistesnovads.lv/kac",
        "J.Gavars, izpilddirektors",
        &issuer.verifying_key(),
        "Aknīstes novada pašvaldība",
        date("2017-12-01"),
    )
    .map_err(lib)?;
    let mut w = Writer::create(&log_dir, issuer.clone(), first, Wait::Yes).map_err(lib)?;
    let v1 = Template::builtin()
        .render(&RenderInput::default())
        .map_err(lib)?;
    w.log().store_document(&v1.pdf).map_err(lib)?;
    w.append(entry::version_bytes(&version(&v1, "1", "2017-12-01", "2017-12-15")).map_err(lib)?)
        .map_err(lib)?;
    for (id, name, position, key) in staff {
        w.append(
            entry::enrol_bytes(
                id,
                name,
                Some(*position),
                &key.verifying_key(),
                date("2017-12-01"),
            )
            .map_err(lib)?,
        )
        .map_err(lib)?;
    }
    let doc1 = DocumentRef::from_pdf_bytes(&v1.pdf, None).map_err(lib)?;
    for ((id, name, _, key), day) in
        staff
            .iter()
            .zip(["2017-12-04", "2017-12-05", "2017-12-07", "2017-12-20"])
    {
        add_ack(&mut w, &sign(key, &doc1, name, id, day)?, day)?;
    }
    let first_audit = w.commit().map_err(lib)?;
    let old = dir.join("audit-2017.checkpoint");
    write(&old, &first_audit.to_bytes())?;
    out(format!("   version 1 published; 4 employees enrolled; 4 acknowledgements (Ādolfs Žagars late); checkpoint kept for the next audit: {}", old.display()));

    let receipts = second_year(dir, &mut w, staff, &doc1)?;
    let head = w.commit().map_err(lib)?;
    drop(w);
    out(format!("   2018: Ilze Vītola joined, Līga Ozoliņa's key replaced, Gunta Kalniņa left, version 2 amends clause 10.2 ({})", dir.join("noteikumi-2.pdf").display()));
    out(format!("   checkpoint: {} entries", head.checkpoint.size));

    outputs(dir, &log_dir, &head, &receipts)?;
    audits(dir, &log_dir, &old, issuer)
}

/// 2018: a new employee, a lost key, a departure, an amendment and its
/// acknowledgements; the receipts' entries.
fn second_year(
    dir: &Path,
    w: &mut Writer,
    staff: &[(&str, &str, &str, SigningKey)],
    doc1: &DocumentRef,
) -> Result<Vec<(&'static str, u64)>, CliError> {
    let write = |path: &Path, bytes: &[u8]| write_file(path, bytes);
    let ilze = keys::generate().map_err(lib)?;
    w.append(
        entry::enrol_bytes(
            "ivitola",
            "Ilze Vītola",
            Some("klientu apkalpošanas speciāliste"),
            &ilze.verifying_key(),
            date("2018-02-01"),
        )
        .map_err(lib)?,
    )
    .map_err(lib)?;
    add_ack(
        w,
        &sign(&ilze, doc1, "Ilze Vītola", "ivitola", "2018-02-05")?,
        "2018-02-06",
    )?;
    let liga_new = keys::generate().map_err(lib)?;
    w.append(
        entry::key_bytes("lozolina", &liga_new.verifying_key(), date("2018-03-01")).map_err(lib)?,
    )
    .map_err(lib)?;
    w.append(entry::leave_bytes("gkalnina", date("2018-04-30")).map_err(lib)?)
        .map_err(lib)?;
    let amended = RULES_TYP.replace(CLAUSE_OLD, CLAUSE_NEW);
    let template_dir = dir.join("grozijumi-2018");
    write(&template_dir.join("rules.typ"), amended.as_bytes())?;
    let v2 = Template::from_dir(&template_dir)
        .map_err(lib)?
        .render(&RenderInput::default())
        .map_err(lib)?;
    write(&dir.join("noteikumi-2.pdf"), &v2.pdf)?;
    w.log().store_document(&v2.pdf).map_err(lib)?;
    w.append(entry::version_bytes(&version(&v2, "2", "2018-05-01", "2018-05-15")).map_err(lib)?)
        .map_err(lib)?;
    let doc2 = DocumentRef::from_pdf_bytes(&v2.pdf, None).map_err(lib)?;
    let (_, _, _, janis) = &staff[0];
    let mut receipts = Vec::new();
    for (id, name, key, day) in [
        ("jberzins", "Jānis Bērziņš", janis, "2018-05-03"),
        ("lozolina", "Līga Ozoliņa", &liga_new, "2018-05-04"),
        ("ivitola", "Ilze Vītola", &ilze, "2018-05-10"),
    ] {
        receipts.push((id, add_ack(w, &sign(key, &doc2, name, id, day)?, day)?));
    }
    Ok(receipts)
}

/// The receipts, the status, and the annex of version 2.
fn outputs(
    dir: &Path,
    log_dir: &Path,
    head: &tlog::checkpoint::SignedCheckpoint,
    receipts: &[(&str, u64)],
) -> Result<(), CliError> {
    let write = |path: &Path, bytes: &[u8]| write_file(path, bytes);
    let log = LogDir::new(log_dir);
    for (id, index) in receipts {
        let path = dir.join("receipts").join(format!("{id}-2.tlog-proof"));
        write(&path, &alog::receipt::make(&log, *index).map_err(lib)?)?;
        out(format!(
            "   receipt for {id}: {} ({} bytes)",
            path.display(),
            std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0)
        ));
    }
    report_status(&log)?;
    let (_, state) = log.committed().map_err(lib)?;
    let annex = alog::annex::make(&log, head, &state, "2", &Template::builtin()).map_err(lib)?;
    let annex_path = dir.join("pielikums-2.pdf");
    write(&annex_path, &annex.pdf)?;
    out(format!("   annex of version 2: {}", annex_path.display()));
    Ok(())
}

fn report_status(log: &LogDir) -> Result<(), CliError> {
    let (_, state) = log.committed().map_err(lib)?;
    for s in status::status(&state, date("2018-06-01")) {
        let who = |st: status::Standing| -> String {
            let names: Vec<&str> = s
                .lines
                .iter()
                .filter(|l| l.standing == st)
                .map(|l| l.name)
                .collect();
            if names.is_empty() {
                "—".into()
            } else {
                names.join(", ")
            }
        };
        out(format!(
            "   status of version {} on 2018-06-01: acknowledged {}; late {}; overdue {}; left {}",
            s.label,
            who(status::Standing::Acknowledged),
            who(status::Standing::Late),
            who(status::Standing::Overdue),
            who(status::Standing::Left)
        ));
    }
    Ok(())
}

fn audits(dir: &Path, log_dir: &Path, old: &Path, issuer: &SigningKey) -> Result<(), CliError> {
    let pub_path = dir.join("direktors.pub.pem");
    let issuer_key = IssuerKey::Key(issuer.verifying_key());
    let args = crate::cmd::common::logaudit::LogArgs {
        issuer: issuer_key.clone(),
        since: None,
        json: false,
        no_batch: false,
        template: None,
        tsa_anchors: None,
    };
    out("");
    out(format!(
        "7. ackreg verify {} --issuer {}",
        log_dir.display(),
        pub_path.display()
    ));
    crate::cmd::common::logaudit::log(log_dir, &args)?;
    out("");
    out(format!(
        "8. ackreg verify {} --issuer {} --since {}",
        log_dir.display(),
        pub_path.display(),
        old.display()
    ));
    let since = crate::cmd::common::logaudit::LogArgs {
        since: Some(old),
        ..args
    };
    crate::cmd::common::logaudit::log(log_dir, &since)?;
    let receipt = dir.join("receipts").join("ivitola-2.tlog-proof");
    out("");
    out(format!(
        "9. ackreg verify {} --issuer {}",
        receipt.display(),
        pub_path.display()
    ));
    let bytes = std::fs::read(&receipt)
        .map_err(|e| CliError::input(format!("{}: {e}", receipt.display())))?;
    crate::cmd::common::logaudit::receipt_file(&receipt, &bytes, &since)?;
    Ok(())
}
