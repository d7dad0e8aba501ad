//! The printed status report (issue 20, point 5) and the annex per
//! document, driven through the real binary on a log of two documents and
//! two units built with the command line: the right people in the right
//! sections, who has no key yet, the checkpoint it reflects, the unit
//! filter, Latvian letters exact, the same bytes twice, markup in a name
//! printed as text; the refusals exit 2 and write nothing.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{ackreg, squash, tiny_pdf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn key() -> String {
    fixtures()
        .join("test-only-rfc8032-test1.key")
        .to_string_lossy()
        .into_owned()
}

/// `ackreg log CMD log --issuer-key KEY ARGS...` in `d`, which must succeed.
fn log(d: &Path, cmd: &str, args: &[&str]) {
    ackreg(d)
        .args(["log", cmd, "log", "--issuer-key", &key()])
        .args(args)
        .run()
        .must_succeed();
}

/// The name with Typst markup that must print as it is.
const MARKUP: &str = "Zane #panic() ] *Bērziņa* $x$";

/// A log in `tmp/log`: units kac and bv; `datu-aizsardziba` binds everyone,
/// `kac-klientu-apkalposana` the KAC, both with a version 1 from
/// 2018-02-01. Jānis (KAC, with a key) signed the first on time and the
/// second late; Anna and Zane (KAC) and Pēteris (building board) have no
/// key; Līga joined the KAC on 2018-03-05 and is still in her time.
fn org_log() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    ackreg(d)
        .args(["log", "init", "log", "--issuer-key", &key()])
        .args([
            "--origin",
            "example.invalid/report",
            "--issuer-name",
            "J.Gavars",
        ])
        .args([
            "--body",
            "Aknīstes novada pašvaldība",
            "--date",
            "2018-01-01",
        ])
        .run()
        .must_succeed();
    log(
        d,
        "unit",
        &["--id", "kac", "--name", "Klientu apkalpošanas centrs"],
    );
    log(d, "unit", &["--id", "bv", "--name", "Būvvalde"]);
    log(
        d,
        "document",
        &[
            "--id",
            "datu-aizsardziba",
            "--title",
            "Personas datu aizsardzības noteikumi",
            "--date",
            "2018-01-01",
        ],
    );
    log(
        d,
        "document",
        &[
            "--id",
            "kac-klientu-apkalposana",
            "--title",
            "Klientu apkalpošanas noteikumi",
            "--unit",
            "kac",
            "--date",
            "2018-01-01",
        ],
    );
    let join = |id: &str, name: &str, position: &str, unit: &str, date: &str| {
        log(
            d,
            "join",
            &[
                "--id",
                id,
                "--name",
                name,
                "--position",
                position,
                "--unit",
                unit,
                "--date",
                date,
            ],
        )
    };
    join(
        "jberzins",
        "Jānis Bērziņš",
        "Vecākais referents",
        "kac",
        "2018-01-01",
    );
    join(
        "aozola",
        "Anna Ozola",
        "Klientu apkalpošanas speciāliste",
        "kac",
        "2018-01-01",
    );
    join("zberzina", MARKUP, "Speciāliste", "kac", "2018-01-01");
    join(
        "pkalnins",
        "Pēteris Kalniņš",
        "Būvinspektors",
        "bv",
        "2018-01-01",
    );
    let pem = fixtures().join("employees/jberzins-rfc8032-test2.pub.pem");
    log(
        d,
        "enrol",
        &[
            "--id",
            "jberzins",
            "--name",
            "Jānis Bērziņš",
            "--position",
            "Vecākais referents",
            "--public-key",
            pem.to_str().unwrap(),
            "--from",
            "2018-01-01",
        ],
    );
    for (document, title, deadline) in [
        (
            "datu-aizsardziba",
            "Personas datu aizsardzības noteikumi",
            "2018-02-15",
        ),
        (
            "kac-klientu-apkalposana",
            "Klientu apkalpošanas noteikumi",
            "2018-02-28",
        ),
    ] {
        let pdf = format!("{document}.pdf");
        fs::write(d.join(&pdf), tiny_pdf(title)).unwrap();
        log(
            d,
            "publish",
            &[
                "--document",
                document,
                "--label",
                "1",
                "--pdf",
                &pdf,
                "--effective",
                "2018-02-01",
                "--deadline",
                deadline,
            ],
        );
    }
    join("lvitola", "Līga Vītola", "Juriste", "kac", "2018-03-05");
    let signer = fixtures().join("test-only-rfc8032-test2.key");
    for (document, date) in [
        ("datu-aizsardziba", "2018-02-10"),
        ("kac-klientu-apkalposana", "2018-03-05"),
    ] {
        let (pdf, ack) = (format!("{document}.pdf"), format!("{document}.ack.json"));
        ackreg(d)
            .args([
                "sign",
                "--key",
                signer.to_str().unwrap(),
                "--document",
                &pdf,
            ])
            .args([
                "--date",
                date,
                "--name",
                "Jānis Bērziņš",
                "--id",
                "jberzins",
            ])
            .args(["-o", &ack])
            .run()
            .must_succeed();
        log(d, "add", &["--received", date, &ack]);
    }
    tmp
}

/// `pdftotext -layout` of a PDF.
fn pdftotext(pdf: &Path) -> String {
    pdftotext_as(pdf, "-layout")
}

/// `pdftotext -raw` of a PDF (for other test modules).
pub(crate) fn pdftotext_raw(pdf: &Path) -> String {
    pdftotext_as(pdf, "-raw")
}

/// `pdftotext` of a PDF with the layout option `how` (`-layout`, `-raw`).
fn pdftotext_as(pdf: &Path, how: &str) -> String {
    let out = Command::new("pdftotext")
        .args([how, "-enc", "UTF-8"])
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn report(d: &Path, out: &str, extra: &[&str]) -> crate::common::Run {
    ackreg(d)
        .args(["log", "report", "log", "-o", out, "--date", "2018-03-10"])
        .args(extra)
        .run()
}

/// The text of each document's part of the report, by its title line.
fn parts(text: &str) -> Vec<String> {
    text.split("PĀRSKATS PAR IEPAZĪŠANOS AR IEKŠĒJIEM NORMATĪVAJIEM AKTIEM")
        .skip(1)
        .map(str::to_string)
        .collect()
}

/// The section of a part that starts with `heading`, up to the next one.
fn section<'a>(part: &'a str, heading: &str) -> &'a str {
    let start = part
        .find(heading)
        .unwrap_or_else(|| panic!("{heading:?} not in {part}"));
    let rest = &part[start + heading.len()..];
    let end = [
        "Iepazinušies pēc termiņa",
        "Vēl nav iepazinušies (termiņš",
        "Termiņš nokavēts (nav",
        "Darba attiecības beigušās",
        "Elektroniskā reģistra kontrolpunkts",
    ]
    .iter()
    .filter_map(|h| rest.find(h))
    .min()
    .unwrap_or(rest.len());
    &rest[..end]
}

#[test]
fn the_report_lists_each_document_with_its_people_by_standing() {
    let tmp = org_log();
    let d = tmp.path();
    let o = report(d, "r.pdf", &[]).must_succeed();
    assert!(
        o.stdout()
            .starts_with("wrote the report of 2 document(s) at "),
        "{}",
        o.stdout()
    );
    let text = pdftotext(&d.join("r.pdf"));
    let flat = squash(&text);
    for words in [
        "Aknīstes novada pašvaldība",
        "stāvoklis uz 10.03.2018.",
        "Personas datu aizsardzības noteikumi (datu-aizsardziba)",
        "Klientu apkalpošanas noteikumi (kac-klientu-apkalposana)",
        "1. redakcija, spēkā no 01.02.2018.",
        "Pārskatu apstiprinu",
        "(paraksts)",
        "(vārds, uzvārds)",
        "(datums)",
        "Žurnāls example.invalid/report",
    ] {
        assert!(flat.contains(words), "{words:?} not in {flat}");
    }
    // The checkpoint it reflects: the log's newest.
    let checkpoint = fs::read_to_string(d.join("log/checkpoint")).unwrap();
    let mut lines = checkpoint.lines();
    let (_, size, root) = (lines.next(), lines.next().unwrap(), lines.next().unwrap());
    assert!(
        flat.contains(&format!("Kontrolpunkts {size} ieraksti")),
        "{flat}"
    );
    assert!(
        flat.contains(&format!("Saknes jaucējvērtība {root}")),
        "{flat}"
    );

    let parts = parts(&text);
    assert_eq!(parts.len(), 2, "{text}");
    let (datu, kac) = (&parts[0], &parts[1]);
    assert!(
        datu.contains("Personas datu aizsardzības noteikumi"),
        "{datu}"
    );
    let on_time = section(datu, "Iepazinušies noteiktajā termiņā");
    assert!(on_time.contains("Jānis Bērziņš"), "{on_time}");
    assert!(on_time.contains("10.02.2018."), "{on_time}");
    assert!(on_time.contains("Vecākais referents"), "{on_time}");
    let overdue = section(datu, "Termiņš nokavēts (nav iepazinušies)");
    for name in ["Anna Ozola", "Pēteris Kalniņš", "Būvinspektors", "Būvvalde"] {
        assert!(overdue.contains(name), "{name} not overdue in {overdue}");
    }
    assert_eq!(overdue.matches("vēl nav atslēgas").count(), 3, "{overdue}");
    let outstanding = section(datu, "Vēl nav iepazinušies (termiņš nav beidzies)");
    assert!(outstanding.contains("Līga Vītola"), "{outstanding}");
    // Joined on 5 March: the new-employee days (14 by default) from then.
    assert!(outstanding.contains("19.03.2018."), "{outstanding}");

    // The KAC's document: Pēteris (building board) is not bound; Jānis late.
    assert!(!kac.contains("Pēteris"), "{kac}");
    let late = section(kac, "Iepazinušies pēc termiņa");
    assert!(
        late.contains("Jānis Bērziņš") && late.contains("05.03.2018."),
        "{late}"
    );
    assert!(!section(kac, "Iepazinušies noteiktajā termiņā").contains("Jānis"));
    let overdue = section(kac, "Termiņš nokavēts (nav iepazinušies)");
    assert!(overdue.contains("Anna Ozola"), "{overdue}");
    assert_eq!(overdue.matches("vēl nav atslēgas").count(), 2, "{overdue}");
}

#[test]
fn the_report_is_the_same_bytes_twice_and_prints_markup_as_text() {
    let tmp = org_log();
    let d = tmp.path();
    report(d, "a.pdf", &[]).must_succeed();
    report(d, "b.pdf", &[]).must_succeed();
    let a = fs::read(d.join("a.pdf")).unwrap();
    assert_eq!(a, fs::read(d.join("b.pdf")).unwrap(), "deterministic");
    // In the order the page draws it, a cell's wrapped lines follow each other.
    let flat = squash(&pdftotext_as(&d.join("a.pdf"), "-raw"));
    assert!(
        flat.contains(MARKUP),
        "{MARKUP:?} not printed as it is: {flat}"
    );
    assert!(flat.contains("zberzina"), "{flat}");
}

#[test]
fn the_report_of_one_unit_and_one_document() {
    let tmp = org_log();
    let d = tmp.path();
    report(d, "bv.pdf", &["--unit", "bv"]).must_succeed();
    let text = pdftotext(&d.join("bv.pdf"));
    let flat = squash(&text);
    assert!(flat.contains("Struktūrvienība Būvvalde (bv)"), "{flat}");
    assert!(flat.contains("Pēteris Kalniņš"), "{flat}");
    for other in ["Anna Ozola", "Jānis Bērziņš", "Līga Vītola"] {
        assert!(!flat.contains(other), "{other} is not in the bv: {flat}");
    }

    report(
        d,
        "kac.pdf",
        &["--document", "kac-klientu-apkalposana", "--unit", "kac"],
    )
    .must_succeed();
    let text = pdftotext(&d.join("kac.pdf"));
    assert_eq!(parts(&text).len(), 1, "{text}");
    let flat = squash(&text);
    assert!(flat.contains("Klientu apkalpošanas noteikumi"), "{flat}");
    assert!(
        !flat.contains("Personas datu aizsardzības noteikumi"),
        "{flat}"
    );
    assert!(flat.contains("Anna Ozola"), "{flat}");
}

#[test]
fn an_unknown_document_or_unit_is_named_and_nothing_is_written() {
    let tmp = org_log();
    let d = tmp.path();
    let o = report(d, "x.pdf", &["--document", "nav-tada"]).must_fail(2);
    assert!(
        o.stderr()
            .contains("error: log: document nav-tada is not in the log"),
        "{}",
        o.stderr()
    );
    assert!(o.stderr().contains("hint: --document"), "{}", o.stderr());
    let o = report(d, "x.pdf", &["--unit", "nav"]).must_fail(2);
    assert!(
        o.stderr().contains("unit nav is not declared in the log"),
        "{}",
        o.stderr()
    );
    let o = ackreg(d)
        .args([
            "log",
            "report",
            "log",
            "-o",
            "x.pdf",
            "--date",
            "2018-01-15",
        ])
        .run()
        .must_fail(2);
    assert!(
        o.stderr()
            .contains("no document of the log has a version in force on 2018-01-15"),
        "{}",
        o.stderr()
    );
    assert!(!d.join("x.pdf").exists());
}

#[test]
fn the_annex_is_of_the_named_document_and_an_ambiguous_label_is_refused() {
    let tmp = org_log();
    let d = tmp.path();
    let o = ackreg(d)
        .args(["log", "annex", "log", "--version", "1", "-o", "x.pdf"])
        .run()
        .must_fail(2);
    assert!(
        o.stderr().contains(
            "version 1 is a version of several documents: datu-aizsardziba, kac-klientu-apkalposana"
        ),
        "{}",
        o.stderr()
    );
    assert!(o.stderr().contains("--document"), "{}", o.stderr());
    assert!(!d.join("x.pdf").exists());
    let o = ackreg(d)
        .args(["log", "annex", "log", "--version", "1"])
        .args(["--document", "kac-klientu-apkalposana", "-o", "kac.pdf"])
        .run()
        .must_succeed();
    assert!(
        o.stdout()
            .contains("of document kac-klientu-apkalposana at "),
        "{}",
        o.stdout()
    );
    assert!(o.stdout().ends_with("(1 rows)\n"), "{}", o.stdout());
    let o = ackreg(d)
        .args(["log", "annex", "log", "--version", "2"])
        .args(["--document", "kac-klientu-apkalposana", "-o", "x.pdf"])
        .run()
        .must_fail(2);
    assert!(
        o.stderr()
            .contains("document kac-klientu-apkalposana has no version 2"),
        "{}",
        o.stderr()
    );
    // The annex names its document, and the audit renders it again.
    let issuer = fixtures().join("issuer-rfc8032-test1.pub.pem");
    let o = ackreg(d)
        .args(["verify", "kac.pdf", "--issuer", issuer.to_str().unwrap()])
        .run()
        .must_succeed();
    assert!(o.stdout().contains("8. [ok]   annex"), "{}", o.stdout());
}
