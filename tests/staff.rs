//! Staff from the HR system (issue 20, point 4), driven through the real
//! binary: a file compared with the log prints who joins, moves, changes
//! and leaves; `--apply` writes exactly that and the audit passes; the same
//! file again adds nothing; a bad file is named by its line, exit 2, and
//! nothing is written.

use std::fs;
use std::path::{Path, PathBuf};

use crate::common::ackreg;

fn key() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/test-only-rfc8032-test1.key")
}

/// A log in `tmp/log` with the units kac and bv.
fn org_log() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let key = key();
    let key = key.to_str().unwrap();
    ackreg(d)
        .args(["log", "init", "log", "--issuer-key", key])
        .args([
            "--origin",
            "example.invalid/staff",
            "--issuer-name",
            "J.Gavars",
        ])
        .args([
            "--body",
            "Aknīstes novada pašvaldība",
            "--date",
            "2026-01-01",
        ])
        .run()
        .must_succeed();
    for (id, name) in [("kac", "Klientu apkalpošanas centrs"), ("bv", "Būvvalde")] {
        ackreg(d)
            .args([
                "log",
                "unit",
                "log",
                "--issuer-key",
                key,
                "--id",
                id,
                "--name",
                name,
            ])
            .run()
            .must_succeed();
    }
    tmp
}

fn staff(d: &Path, file: &str, date: &str, apply: bool) -> crate::common::Run {
    let key = key();
    let mut run = ackreg(d).args(["log", "staff", "log", "--csv", file, "--date", date]);
    if apply {
        run = run.args(["--apply", "--issuer-key", key.to_str().unwrap()]);
    }
    run.run()
}

const FIRST: &str = "\u{feff}id;vārds, uzvārds;amats;struktūrvienības;sākuma datums\r\n\
    aozola;Anna Ozola;Klientu apkalpošanas speciāliste;kac;01.12.2026\r\n\
    pkalnins;Pēteris Kalniņš;Būvinspektors;bv;2026-12-01\r\n\
    lvitola;Līga Vītola;;kac;2026-12-01\r\n";

/// Anna moves to the building board, Pēteris becomes the head of it, Līga
/// is gone from the file.
const SECOND: &str = "id;vārds, uzvārds;amats;struktūrvienības;sākuma datums\n\
    aozola;Anna Ozola;Klientu apkalpošanas speciāliste;bv;2026-12-01\n\
    pkalnins;Pēteris Kalniņš;Būvvaldes vadītājs;bv;2026-12-01\n";

#[test]
fn a_staff_file_is_compared_applied_once_and_audited() {
    let tmp = org_log();
    let d = tmp.path();
    fs::write(d.join("first.csv"), FIRST).unwrap();
    let dry = staff(d, "first.csv", "2026-12-01", false).must_succeed();
    assert!(
        dry.stdout().contains("joins: aozola Anna Ozola"),
        "{}",
        dry.stdout()
    );
    assert!(dry.stdout().contains("nothing written"));
    let entries = fs::read(d.join("log/entries")).unwrap();
    let applied = staff(d, "first.csv", "2026-12-01", true).must_succeed();
    assert!(
        applied.stdout().contains("appended 3 entries"),
        "{}",
        applied.stdout()
    );
    let again = staff(d, "first.csv", "2026-12-01", true).must_succeed();
    assert!(again.stdout().contains("no changes"), "{}", again.stdout());
    assert!(fs::read(d.join("log/entries")).unwrap().len() > entries.len());

    fs::write(d.join("second.csv"), SECOND).unwrap();
    let changes = staff(d, "second.csv", "2026-12-15", true).must_succeed();
    let text = changes.stdout();
    assert!(text.contains("moves: aozola"), "{text}");
    assert!(text.contains("updates: pkalnins"), "{text}");
    assert!(text.contains("leaves: lvitola"), "{text}");
    let status = ackreg(d)
        .args(["log", "status", "log", "--date", "2026-12-20", "--json"])
        .run()
        .must_succeed();
    assert!(!status.stdout().contains("lvitola"), "{}", status.stdout());
    let log_entries = fs::read_to_string(d.join("log/entries")).unwrap();
    for kind in ["join", "move", "update", "leave"] {
        assert!(
            log_entries.contains(&format!("{{\"kind\":\"{kind}\"")),
            "{kind}"
        );
    }
    let issuer =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/issuer-rfc8032-test1.pub.pem");
    ackreg(d)
        .args(["verify", "log", "--issuer"])
        .arg(issuer)
        .run()
        .must_succeed();
}

#[test]
fn a_bad_file_is_named_by_line_and_writes_nothing() {
    let tmp = org_log();
    let d = tmp.path();
    let before = fs::read(d.join("log/entries")).unwrap();
    for (name, text, says) in [
        (
            "dates.csv",
            "id;name;position;units;start\naozola;Anna Ozola;;kac;31.02.2026\n",
            "line 2",
        ),
        (
            "unit.csv",
            "id;name;position;units;start\naozola;Anna Ozola;;nav;2026-12-01\n",
            "line 2",
        ),
        (
            "twice.csv",
            "id;name;position;units;start\naozola;Anna;;kac;2026-12-01\naozola;Anna;;kac;2026-12-01\n",
            "line 3",
        ),
        ("columns.csv", "id;name;start\naozola;Anna;2026-12-01\n", "position"),
    ] {
        fs::write(d.join(name), text).unwrap();
        let run = staff(d, name, "2026-12-01", true).must_fail(2);
        assert!(run.stderr().contains(says), "{name}: {}", run.stderr());
        assert!(run.stderr().contains(name), "{name} names the file: {}", run.stderr());
    }
    fs::write(
        d.join("latin.csv"),
        b"id;name;position;units;start\naozola;Anna B\xe7rzi\xf2a;;kac;2026-12-01\n",
    )
    .unwrap();
    let run = staff(d, "latin.csv", "2026-12-01", true).must_fail(2);
    assert!(run.stderr().contains("UTF-8"), "{}", run.stderr());
    // A 50 MB file: refused by its size before it is read whole.
    let big = fs::File::create(d.join("big.csv")).unwrap();
    big.set_len(50 * 1024 * 1024).unwrap();
    drop(big);
    let run = staff(d, "big.csv", "2026-12-01", true).must_fail(2);
    assert!(run.stderr().contains("big.csv"), "{}", run.stderr());
    assert!(run.stderr().contains("larger than"), "{}", run.stderr());
    assert_eq!(
        fs::read(d.join("log/entries")).unwrap(),
        before,
        "nothing written"
    );
}
