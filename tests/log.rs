//! The append-only log, driven through the real binary: the demo's log is
//! built once per test in a temporary folder, then audited, tampered with
//! in each way the issue lists, and audited again.

use crate::common;

use std::fs;
use std::path::{Path, PathBuf};

use crate::common::ackreg;

/// Runs the demo in a new temporary folder; returns it and the demo dir.
fn demo() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    ackreg(tmp.path())
        .args(["demo", "--out", "d"])
        .run()
        .must_succeed();
    let dir = tmp.path().join("d");
    (tmp, dir)
}

fn verify(dir: &Path, args: &[&str]) -> (i32, String) {
    let mut all = vec!["verify"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--issuer", "direktors.pub.pem"]);
    let o = ackreg(dir).args(&all).run();
    (o.code().unwrap_or(-1), o.text())
}

/// Starts a new log in `dir` with the demo's issuer (run in the demo's
/// folder `d`).
fn init_log(d: &Path, dir: &Path) {
    ackreg(d)
        .args([
            "log",
            "init",
            dir.to_str().unwrap(),
            "--issuer-key",
            "secret/direktors.key",
            "--origin",
            "aknistesnovads.lv/kac",
            "--issuer-name",
            "J.Gavars, izpilddirektors",
            "--body",
            "Aknīstes novada pašvaldība",
            "--date",
            "2017-12-01",
        ])
        .run()
        .must_succeed();
}

fn lines(path: &Path) -> Vec<String> {
    fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn write_lines(path: &Path, lines: &[String]) {
    let mut text = lines.join("\n");
    text.push('\n');
    fs::write(path, text).unwrap();
}

#[test]
fn the_demo_log_verifies_fully_incrementally_and_by_receipt() {
    let (_tmp, d) = demo();
    let (code, out) = verify(&d, &["log"]);
    assert_eq!(code, 0, "{out}");
    for step in [
        "1. [ok]   checkpoint",
        "3. [ok]   tree",
        "5. [ok]   history",
        "6. [ok]   acknowledgements",
        "7. [ok]   store",
    ] {
        assert!(out.contains(step), "{step} missing in {out}");
    }
    let (code, out) = verify(&d, &["log", "--since", "audit-2017.checkpoint"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("2. [ok]   since"), "{out}");
    assert!(out.contains("VALID: 8 entries audited of 18"), "{out}");
    let (code, out) = verify(&d, &["receipts/ivitola-2.tlog-proof"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Ilze Vītola (ivitola) acknowledged"), "{out}");
    let (code, out) = verify(&d, &["pielikums-2.pdf"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("8. [ok]   annex"), "{out}");
}

#[test]
fn any_edit_removal_insertion_reordering_or_truncation_is_caught() {
    let (_tmp, d) = demo();
    let entries = d.join("log/entries");
    let original = lines(&entries);
    let edited = {
        let mut l = original.clone();
        l[2] = l[2].replace("Bērziņš", "Bērziņa");
        l
    };
    let removed = {
        let mut l = original.clone();
        l.remove(5);
        l
    };
    let inserted = {
        let mut l = original.clone();
        let copy = l[4].clone();
        l.insert(4, copy);
        l
    };
    let reordered = {
        let mut l = original.clone();
        l.swap(6, 7);
        l
    };
    let truncated = original[..original.len() - 2].to_vec();
    for (name, version) in [
        ("edit", edited),
        ("removal", removed),
        ("insertion", inserted),
        ("reordering", reordered),
        ("truncation", truncated),
    ] {
        write_lines(&entries, &version);
        let (code, out) = verify(&d, &["log"]);
        assert_eq!(code, 1, "{name} not caught: {out}");
        assert!(out.contains("[FAIL] tree"), "{name}: {out}");
        write_lines(&entries, &original);
    }
    assert_eq!(verify(&d, &["log"]).0, 0);
}

#[test]
fn a_changed_stored_hash_or_index_record_fails_the_store_step_by_name() {
    let (_tmp, d) = demo();
    let log = d.join("log");
    // (file, byte changed, what the store step names); the demo's log has
    // 18 entries, index records of 9 bytes and tree levels 0 to 4.
    for (file, at, named) in [
        ("tree/2", 40, "the stored hash 1 of tree level 2 is wrong"),
        ("tree/4", 0, "the stored hash 0 of tree level 4 is wrong"),
        (
            "tree/1",
            8 * 32 + 3,
            "the stored hash 8 of tree level 1 is wrong",
        ),
        ("tree/0", 3 * 32, "the stored leaf hash of entry 3 is wrong"),
        (
            "index",
            4 * 9 + 7,
            "the stored index record of entry 4 is wrong",
        ),
    ] {
        let path = log.join(file);
        let original = fs::read(&path).unwrap();
        let mut changed = original.clone();
        changed[at] ^= 1;
        fs::write(&path, &changed).unwrap();
        let (code, out) = verify(&d, &["log"]);
        assert_eq!(code, 1, "{file} changed at {at}: {out}");
        assert!(out.contains("3. [ok]   tree"), "{file}: {out}");
        assert!(
            out.contains(&format!("7. [FAIL] store: {named}")),
            "{file}: {out}"
        );
        fs::write(&path, &original).unwrap();
    }
    // A stored hash the entries after an earlier checkpoint are under is
    // compared in an incremental audit too (the earlier one covers 10).
    let path = log.join("tree/1");
    let original = fs::read(&path).unwrap();
    let mut changed = original.clone();
    changed[6 * 32] ^= 1;
    fs::write(&path, &changed).unwrap();
    let (code, out) = verify(&d, &["log", "--since", "audit-2017.checkpoint"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("7. [FAIL] store: the stored hash 6 of tree level 1 is wrong"),
        "{out}"
    );
    fs::write(&path, &original).unwrap();
    assert_eq!(verify(&d, &["log"]).0, 0);
}

#[test]
fn an_incremental_audit_names_each_earlier_entry_its_old_checkpoint_does_not_prove() {
    let (_tmp, d) = demo();
    let log = d.join("log");
    let since = ["log", "--since", "audit-2017.checkpoint"];
    // The old checkpoint covers 10 entries; entries 0 to 5 are not `ack`,
    // so their state is read and proved against it. Entry 3 changed, its
    // length kept ("ņ" and "ń" are both two bytes): only it is named.
    let entries = log.join("entries");
    let original = fs::read_to_string(&entries).unwrap();
    let changed = original.replacen("Līga Ozoliņa", "Līga Ozolińa", 1);
    assert_ne!(changed, original);
    fs::write(&entries, &changed).unwrap();
    let not_proved = |out: &str| -> Vec<String> {
        out.lines()
            .filter(|l| l.contains("not proved by it, or not valid"))
            .map(|l| l.trim().split(':').next().unwrap_or_default().to_owned())
            .collect()
    };
    let (code, out) = verify(&d, &since);
    assert_eq!(code, 1, "{out}");
    assert_eq!(not_proved(&out), ["entry 3"], "{out}");
    fs::write(&entries, &original).unwrap();
    // The stored hash of entries 6 and 7 (level 1, index 3), which the
    // proofs of entries 4 and 5 take and no other does: those two are named.
    let level = log.join("tree/1");
    let original = fs::read(&level).unwrap();
    let mut changed = original.clone();
    changed[3 * 32 + 5] ^= 1;
    fs::write(&level, &changed).unwrap();
    let (code, out) = verify(&d, &since);
    assert_eq!(code, 1, "{out}");
    assert_eq!(not_proved(&out), ["entry 4", "entry 5"], "{out}");
    fs::write(&level, &original).unwrap();
    assert_eq!(verify(&d, &since).0, 0);
}

#[test]
fn a_kept_checkpoint_with_a_bad_signature_or_for_another_size_is_named_alone() {
    let (_tmp, d) = demo();
    let kept = d.join("log/checkpoints");
    let ten = fs::read_to_string(kept.join("10")).unwrap();
    // One character of the signature changed (in its middle, so that it is
    // still base64 of 68 bytes): the note still parses, its signature fails.
    let (text, line) = ten.split_once("\n\n").unwrap();
    let at = line.len() - 30;
    let c = if &line[at..at + 1] == "A" { "B" } else { "A" };
    let forged = format!("{text}\n\n{}{c}{}", &line[..at], &line[at + 1..]);
    fs::write(kept.join("10"), &forged).unwrap();
    // And checkpoint 18 kept again under the name of another size.
    fs::copy(kept.join("18"), kept.join("12")).unwrap();
    for args in [&["log"][..], &["log", "--since", "audit-2017.checkpoint"]] {
        let (code, out) = verify(&d, args);
        assert_eq!(code, 1, "{args:?}: {out}");
        for named in [
            "checkpoints/10: not a checkpoint the issuer signed for this size",
            "checkpoints/12: not a checkpoint the issuer signed for this size",
        ] {
            assert!(out.contains(named), "{args:?}: {named} missing in {out}");
        }
        assert!(!out.contains("checkpoints/18:"), "{args:?}: {out}");
    }
    fs::write(kept.join("10"), &ten).unwrap();
    fs::remove_file(kept.join("12")).unwrap();
    assert_eq!(verify(&d, &["log"]).0, 0);
}

#[test]
fn a_forged_or_replaced_checkpoint_is_caught() {
    let (_tmp, d) = demo();
    let head = d.join("log/checkpoint");
    let original = fs::read_to_string(&head).unwrap();
    // Forged: the size line changed, the signature kept.
    let forged = original.replacen("\n18\n", "\n17\n", 1);
    assert_ne!(forged, original, "the demo's log has 18 entries");
    fs::write(&head, &forged).unwrap();
    let (code, out) = verify(&d, &["log"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("[FAIL] checkpoint"), "{out}");
    // Replaced by an older genuine one: the kept larger checkpoint proves removal.
    fs::copy(d.join("audit-2017.checkpoint"), &head).unwrap();
    let (code, out) = verify(&d, &["log"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("PROOF OF TAMPERING"), "{out}");
}

#[test]
fn an_old_checkpoint_the_log_does_not_extend_is_proof_of_tampering() {
    let (_tmp, d) = demo();
    // A log re-created from scratch with the issuer's key (history rewritten):
    // the auditor's old checkpoint is not extended by it.
    let tmp = tempfile::tempdir().unwrap();
    let rebuilt = tmp.path().join("forked");
    init_log(&d, &rebuilt);
    // The forked log shares nothing with the old checkpoint beyond entry 0's
    // origin: the auditor's old checkpoint is not extended.
    let (code, out) = verify(
        &d,
        &[
            rebuilt.to_str().unwrap(),
            "--since",
            "audit-2017.checkpoint",
        ],
    );
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("PROOF OF TAMPERING") || out.contains("[FAIL] since"),
        "{out}"
    );
}

#[test]
fn a_receipt_for_an_entry_not_in_the_log_fails() {
    let (_tmp, d) = demo();
    let receipt = d.join("receipts/jberzins-2.tlog-proof");
    let text = fs::read_to_string(&receipt).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    // Another entry in the extra line: its leaf is not at that index.
    let other = fs::read_to_string(d.join("log/entries"))
        .unwrap()
        .lines()
        .nth(2)
        .unwrap()
        .to_string();
    use base64::Engine as _;
    lines[1] = format!(
        "extra {}",
        base64::engine::general_purpose::STANDARD.encode(other)
    );
    fs::write(&receipt, lines.join("\n") + "\n").unwrap();
    let (code, out) = verify(&d, &["receipts/jberzins-2.tlog-proof"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("not in the log"), "{out}");
}

#[test]
fn status_lists_acknowledged_late_overdue_and_who_left() {
    let (_tmp, d) = demo();
    let o = ackreg(&d)
        .args(["log", "status", "log", "--date", "2018-06-01", "--csv"])
        .run()
        .must_succeed();
    let csv = o.stdout();
    assert!(
        csv.starts_with(
            "\u{feff}document;version;title;employee_id;name;status;no_key;deadline;signed;received;entry\r\n"
        ),
        "{csv}"
    );
    let row = |version: &str, id: &str| {
        csv.lines()
            .find(|l| l.starts_with(&format!("rules;{version};")) && l.contains(&format!(";{id};")))
            .map(str::to_string)
    };
    let v1_late = row("1", "azagars").unwrap();
    assert!(
        v1_late.contains(";late;;2017-12-15;2017-12-20;"),
        "{v1_late}"
    );
    // Enrolled on 2018-02-01: her own deadline is 14 days later.
    let v1_new = row("1", "ivitola").unwrap();
    assert!(
        v1_new.contains(";acknowledged;;2018-02-15;2018-02-05;2018-02-06;"),
        "{v1_new}"
    );
    assert!(row("1", "gkalnina").unwrap().contains(";acknowledged;"));
    // Gunta Kalniņa left before version 2 took effect: not concerned by it.
    assert!(row("2", "gkalnina").is_none(), "{csv}");
    let v2_overdue = row("2", "azagars").unwrap();
    assert!(
        v2_overdue.contains(";overdue;;2018-05-15;;"),
        "{v2_overdue}"
    );
    // Before the deadline, the same person is outstanding, not overdue.
    let o = ackreg(&d)
        .args(["log", "status", "log", "--date", "2018-05-10", "--csv"])
        .run();
    assert!(o
        .stdout()
        .contains(";azagars;Ādolfs Žagars;outstanding;;2018-05-15;;"));
}

#[test]
fn the_log_exports_as_a_reproducible_edoc_that_verifies() {
    let (_tmp, d) = demo();
    ackreg(&d)
        .args(["export", "--log", "log", "--edoc", "kac.edoc"])
        .run()
        .must_succeed();
    ackreg(&d)
        .args(["export", "--log", "log", "--edoc", "again.edoc"])
        .run()
        .must_succeed();
    let bytes = fs::read(d.join("kac.edoc")).unwrap();
    assert_eq!(
        bytes,
        fs::read(d.join("again.edoc")).unwrap(),
        "same log, same bytes"
    );
    assert!(
        bytes.starts_with(b"PK\x03\x04\x0a\x00\x00\x00\x00\x00"),
        "mimetype first and stored"
    );
    let (code, out) = verify(&d, &["kac.edoc"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("VALID: 18 entries audited of 18"), "{out}");
    assert!(out.contains("does not judge the legal validity"), "{out}");
    // A truncated container is refused, exit 2.
    fs::write(d.join("cut.edoc"), &bytes[..bytes.len() / 2]).unwrap();
    let (code, out) = verify(&d, &["cut.edoc"]);
    assert_eq!(code, 2, "{out}");
}

/// The dates ackreg writes by itself are days where the computer is (its
/// time zone, `TZ`), not days in UTC: two enrolments made at one moment in
/// the zones furthest apart (UTC+14, UTC-12) are dated on different days,
/// each the day in its zone.
#[test]
fn todays_date_is_the_day_in_the_computers_time_zone() {
    let (_tmp, d) = demo();
    let log = d.join("fresh");
    init_log(&d, &log);
    let day_in = |zone: &str| {
        let tz = jiff::tz::TimeZone::get(zone).unwrap();
        jiff::Timestamp::now().to_zoned(tz).date().to_string()
    };
    let mut enrolled = Vec::new();
    for (zone, id) in [
        ("Pacific/Kiritimati", "azagars"),
        ("Etc/GMT+12", "gkalnina"),
    ] {
        let before = day_in(zone);
        let key = format!("keys/{id}.pub.pem");
        common::ackreg(&d)
            .env("TZ", zone)
            .args(["log", "enrol", log.to_str().unwrap(), "--issuer-key"])
            .args([
                "secret/direktors.key",
                "--name",
                "Vārds Uzvārds",
                "--id",
                id,
            ])
            .args(["--public-key", &key])
            .run()
            .must_succeed();
        let entry = lines(&log.join("entries")).pop().unwrap();
        let json: serde_json::Value = serde_json::from_str(&entry).unwrap();
        let from = json["valid_from"].as_str().unwrap().to_string();
        // The day may turn while ackreg runs.
        assert!(
            from == before || from == day_in(zone),
            "{zone}: {from}, not {before}"
        );
        enrolled.push(from);
    }
    assert!(enrolled[0] > enrolled[1], "{enrolled:?}");
}

/// The demo's organisation: one log, three documents, two units, staff
/// from two HR files (a joiner, a mover, a leaver) and someone overdue who
/// has no key yet. It verifies, and its status says so.
#[test]
fn the_demo_organisation_has_three_documents_and_someone_overdue_without_a_key() {
    let (_tmp, d) = demo();
    let (code, text) = verify(&d, &["organizacija/log"]);
    assert_eq!(code, 0, "{text}");
    let report = fs::read(d.join("organizacija/parskats.pdf")).unwrap();
    assert!(report.starts_with(b"%PDF-"));
    let o = ackreg(&d)
        .args([
            "log",
            "status",
            "organizacija/log",
            "--date",
            "2019-10-01",
            "--csv",
        ])
        .run()
        .must_succeed();
    let csv = o.stdout();
    let row = |document: &str, id: &str| {
        csv.lines()
            .find(|l| l.starts_with(&format!("{document};1;")) && l.contains(&format!(";{id};")))
            .map(str::to_string)
    };
    for document in ["darba-kartiba", "kac-klientu-apkalposana"] {
        let joiner = row(document, "ivitola").unwrap_or_default();
        // Joined on 2019-09-02 with 14 days; never enrolled a key.
        assert!(
            joiner.contains(";Ilze Vītola;overdue;yes;2019-09-16;"),
            "{document}: {joiner}\n{csv}"
        );
    }
    // The building board's procedure binds its unit only: the joiner in
    // the KAC does not owe it; the mover does, and signed it.
    assert!(row("buvvaldes-iesniegumi", "ivitola").is_none(), "{csv}");
    let mover = row("buvvaldes-iesniegumi", "lozolina").unwrap_or_default();
    assert!(
        mover.contains(";acknowledged;;2019-09-16;2019-09-10;"),
        "{mover}"
    );
    let o = ackreg(&d)
        .args([
            "log",
            "status",
            "organizacija/log",
            "--date",
            "2019-10-01",
            "--unit",
            "buvvalde",
            "--json",
        ])
        .run()
        .must_succeed();
    assert!(!o.stdout().contains("ivitola"), "{}", o.stdout());
    assert!(o.stdout().contains("lozolina"), "{}", o.stdout());
    // Re-importing the September file adds nothing.
    let o = ackreg(&d)
        .args([
            "log",
            "staff",
            "organizacija/log",
            "--csv",
            "organizacija/darbinieki-2019-09.csv",
            "--date",
            "2019-10-01",
        ])
        .run()
        .must_succeed();
    assert!(!o.stdout().contains("joins"), "{}", o.stdout());
    assert!(!o.stdout().contains("moves"), "{}", o.stdout());
}
