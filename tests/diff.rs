//! What changed between two versions (issue 20, point 6), driven through
//! the real binary: versions published from two template folders that
//! differ in a few clauses, compared as text, JSON and a PDF handout; a
//! PDF made elsewhere, published with `--pdf` and compared from its text;
//! and the refusals, each exit 2 naming what was wrong.

use std::fs;
use std::path::{Path, PathBuf};

use sha2::Digest;

use crate::common::{ackreg, pdf_text, squash};

fn key() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/test-only-rfc8032-test1.key")
}

/// The fixture template of version `n` (1 or 2): they differ in a few
/// clauses.
fn fixture_template(n: u32) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/diff-templates/{n}"))
}

/// A log in `tmp/log` with versions 1 and 2 of the fixture templates.
fn two_versions() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let key = key();
    let key = key.to_str().unwrap();
    ackreg(d)
        .args(["log", "init", "log", "--issuer-key", key])
        .args([
            "--origin",
            "example.invalid/diff",
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
    for (n, effective) in [(1, "2018-01-01"), (2, "2018-06-01")] {
        let (label, folder) = (n.to_string(), fixture_template(n));
        let label = label.as_str();
        ackreg(d)
            .args([
                "log",
                "publish",
                "log",
                "--issuer-key",
                key,
                "--label",
                label,
            ])
            .args(["--template", folder.to_str().unwrap()])
            .args(["--effective", effective, "--deadline", "2018-12-31"])
            .run()
            .must_succeed();
    }
    tmp
}

fn publish_pdf(d: &Path, label: &str, pdf: &str) -> crate::common::Run {
    ackreg(d)
        .args([
            "log",
            "publish",
            "log",
            "--issuer-key",
            key().to_str().unwrap(),
        ])
        .args(["--label", label, "--pdf", pdf])
        .args(["--effective", "2019-01-01", "--deadline", "2019-12-31"])
        .run()
}

#[test]
fn diff_of_two_rendered_versions_as_text_json_and_pdf() {
    let tmp = two_versions();
    let d = tmp.path();
    // Publishing kept each version's clauses beside its PDF.
    let kept: Vec<String> = fs::read_dir(d.join("log/documents"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".clauses.json"))
        .collect();
    assert_eq!(kept.len(), 2, "{kept:?}");

    let o = ackreg(d)
        .args(["log", "diff", "log", "--from", "1", "--to", "2"])
        .run()
        .must_succeed();
    let text = o.stdout();
    assert!(
        text.starts_with("document rules: Darba kārtības noteikumi\n"),
        "{text}"
    );
    assert!(
        text.contains("1 changed, 1 added, 1 removed, 1 renumbered, 3 unchanged"),
        "{text}"
    );
    assert!(text.contains("\nchanged clause 2.\n  ~ Darbinieks ierodas darbā noteiktajā [-laikā.-] {+laikā un reģistrē ierašanos.+}\n"), "{text}");
    assert!(
        text.contains("\nadded clause 2.1.\n  + Ierašanos reģistrē elektroniski vai žurnālā.\n"),
        "{text}"
    );
    assert!(
        text.contains("\nremoved clause 3.\n  - Darbinieks darba vietā ievēro klusumu.\n"),
        "{text}"
    );
    assert!(text.contains("\nrenumbered clause 4. -> 3.\n"), "{text}");
    assert!(text.contains("clauses as rendered"), "{text}");

    let json = ackreg(d)
        .args([
            "log",
            "diff",
            "log",
            "--document",
            "rules",
            "--from",
            "1",
            "--to",
            "2",
            "--json",
        ])
        .run()
        .must_succeed();
    let v: serde_json::Value = serde_json::from_str(&json.stdout()).unwrap();
    assert_eq!(v["summary"]["changed"], 1);
    assert_eq!(v["changes"][0]["what"], "changed");
    assert_eq!(v["changes"][0]["words"][1]["op"], "deleted");
    assert_eq!(v["from"]["source"], "template");

    // The handout: the same bytes twice, Latvian, naming both versions.
    let mut pdfs = Vec::new();
    for out in ["a.pdf", "b.pdf"] {
        ackreg(d)
            .args([
                "log", "diff", "log", "--from", "1", "--to", "2", "--pdf", out,
            ])
            .run()
            .must_succeed();
        pdfs.push(fs::read(d.join(out)).unwrap());
    }
    assert_eq!(pdfs[0], pdfs[1], "the handout is deterministic");
    let printed = squash(&pdf_text(&pdfs[0]));
    for words in [
        "IZMAIŅAS NOTEIKUMOS",
        "Darba kārtības noteikumi",
        "Iepriekšējā redakcija",
        "Jaunā redakcija",
        "spēkā no 01.06.2018.",
        "Grozīts 2. punkts",
        "Papildināts ar 2.1. punktu",
        "Svītrots 3. punkts",
        "pārnumurēts par 3. punktu",
    ] {
        assert!(
            printed.contains(words),
            "{words:?} not in the handout: {printed}"
        );
    }
}

#[test]
fn a_pdf_made_elsewhere_is_published_and_compared_from_its_text() {
    let tmp = two_versions();
    let d = tmp.path();
    // Version 3: rendered by `ackreg render`, but published as a PDF made
    // elsewhere, so no clauses are kept: its text is read.
    let v2 = fs::read_to_string(fixture_template(2).join("rules.typ")).unwrap();
    let folder = d.join("t3");
    fs::create_dir(&folder).unwrap();
    fs::write(
        folder.join("rules.typ"),
        v2.replace("elektroniski vai žurnālā", "elektroniski"),
    )
    .unwrap();
    ackreg(d)
        .args([
            "render",
            "--template",
            folder.to_str().unwrap(),
            "-o",
            "v3.pdf",
        ])
        .run()
        .must_succeed();
    publish_pdf(d, "3", "v3.pdf").must_succeed();
    let documents: Vec<String> = fs::read_dir(d.join("log/documents"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(documents.iter().filter(|n| n.ends_with(".pdf")).count(), 3);
    assert_eq!(documents.iter().filter(|n| n.ends_with(".json")).count(), 2);

    let o = ackreg(d)
        .args(["log", "diff", "log", "--from", "2", "--to", "3"])
        .run()
        .must_succeed();
    let text = o.stdout();
    assert!(text.contains("clauses read from the PDF's text"), "{text}");
    assert!(
        text.contains("1 changed, 0 added, 0 removed, 0 renumbered, 5 unchanged"),
        "{text}"
    );
    assert!(
        text.contains("\nchanged clause 2.1.\n  ~ Ierašanos reģistrē [-elektroniski vai žurnālā.-] {+elektroniski.+}\n"),
        "{text}"
    );

    // A plain PDF from another tool: ASCII text in a standard font.
    fs::write(
        d.join("a.pdf"),
        plain_pdf(&["RULES", "1. First rule of", "the house.", "2. Second rule."]),
    )
    .unwrap();
    fs::write(
        d.join("b.pdf"),
        plain_pdf(&[
            "RULES",
            "1. First rule of",
            "the office.",
            "2. Second rule.",
        ]),
    )
    .unwrap();
    publish_pdf(d, "4", "a.pdf").must_succeed();
    publish_pdf(d, "5", "b.pdf").must_succeed();
    let o = ackreg(d)
        .args(["log", "diff", "log", "--from", "4", "--to", "5"])
        .run()
        .must_succeed();
    assert!(
        o.stdout()
            .contains("\nchanged clause 1.\n  ~ First rule of the [-house.-] {+office.+}\n"),
        "{}",
        o.stdout()
    );
}

#[test]
fn refusals_name_the_input() {
    let tmp = two_versions();
    let d = tmp.path();
    let o = ackreg(d)
        .args(["log", "diff", "log", "--from", "1", "--to", "9"])
        .run()
        .must_fail(2);
    assert!(
        o.stderr()
            .contains("error: log: document rules has no version 9"),
        "{}",
        o.stderr()
    );

    let o = ackreg(d)
        .args(["log", "diff", "log", "--from", "2", "--to", "2"])
        .run()
        .must_fail(2);
    assert!(
        o.stderr()
            .contains("error: log: version 2 is compared with itself"),
        "{}",
        o.stderr()
    );
    assert!(o
        .stderr()
        .contains("hint: give --from and --to two different labels"));

    let o = ackreg(d)
        .args([
            "log",
            "diff",
            "log",
            "--document",
            "ethics",
            "--from",
            "1",
            "--to",
            "2",
        ])
        .run()
        .must_fail(2);
    assert!(
        o.stderr()
            .contains("error: log: the log has no document ethics"),
        "{}",
        o.stderr()
    );

    // A corrupt PDF is refused at publishing, naming the file.
    fs::write(d.join("bad.pdf"), b"%PDF-1.7\nnot really\n").unwrap();
    let o = publish_pdf(d, "3", "bad.pdf").must_fail(2);
    assert!(
        o.stderr().contains("error: bad.pdf: not a readable PDF"),
        "{}",
        o.stderr()
    );

    // A kept PDF damaged later: the diff names it.
    fs::write(d.join("ok.pdf"), plain_pdf(&["1. One."])).unwrap();
    publish_pdf(d, "3", "ok.pdf").must_succeed();
    let sha: String = sha2::Sha256::digest(plain_pdf(&["1. One."]))
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let kept = d.join("log/documents").join(format!("{sha}.pdf"));
    fs::write(&kept, b"%PDF-1.7\ntruncated").unwrap();
    let o = ackreg(d)
        .args(["log", "diff", "log", "--from", "2", "--to", "3"])
        .run()
        .must_fail(2);
    assert!(
        o.stderr()
            .contains(&format!("{}.pdf is not the PDF of version 3", sha)),
        "{}",
        o.stderr()
    );

    // A PDF with no numbered clauses cannot be compared.
    fs::write(d.join("none.pdf"), plain_pdf(&["Just words."])).unwrap();
    let o = publish_pdf(d, "4", "none.pdf").must_succeed();
    assert!(
        o.stderr()
            .contains("warning: none.pdf: no numbered clauses found"),
        "{}",
        o.stderr()
    );
    let o = ackreg(d)
        .args(["log", "diff", "log", "--from", "2", "--to", "4"])
        .run()
        .must_fail(2);
    assert!(
        o.stderr()
            .contains("no numbered clauses found in the PDF's text"),
        "{}",
        o.stderr()
    );
}

/// A one-page PDF with each of `lines` on its own line in Helvetica.
fn plain_pdf(lines: &[&str]) -> Vec<u8> {
    use lopdf::content::{Content, Operation};
    use lopdf::{dictionary, Object, Stream};
    let mut doc = lopdf::Document::with_version("1.7");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font",
        "Subtype" => "Type1",
        "BaseFont" => "Helvetica",
        "Encoding" => "WinAnsiEncoding",
    });
    let mut ops = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let y = 780 - 20 * i as i64;
        ops.push(Operation::new("BT", vec![]));
        ops.push(Operation::new("Tf", vec!["F1".into(), 12.into()]));
        ops.push(Operation::new("Td", vec![72.into(), y.into()]));
        ops.push(Operation::new("Tj", vec![Object::string_literal(*line)]));
        ops.push(Operation::new("ET", vec![]));
    }
    let content = Content { operations: ops };
    let content_id = doc.add_object(Stream::new(dictionary! {}, content.encode().unwrap()));
    let page_id = doc.add_object(dictionary! {
        "Type" => "Page",
        "Parent" => pages_id,
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        "Contents" => content_id,
        "Resources" => dictionary! { "Font" => dictionary! { "F1" => font_id } },
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => vec![page_id.into()],
            "Count" => 1,
        }),
    );
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog_id);
    let info_id = doc.add_object(dictionary! { "Title" => lopdf::text_string("Rules") });
    doc.trailer.set("Info", info_id);
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}
