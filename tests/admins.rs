//! Named administrators (log format 0.4) through the real binary: `log
//! admin`, `log request`, `log dismiss`, `log admins`, and what `log
//! status` and `verify` say of who asked.

use std::fs;
use std::path::Path;

use ackreg_core::keys;
use ackreg_core::log::entry::{self, parse_date, Version};
use ed25519_dalek::SigningKey;

use crate::common::ackreg;

/// Writes `NAME.key` (unencrypted PKCS#8) and `NAME.pub.pem` for seed `n`.
fn key_files(dir: &Path, name: &str, n: u8) -> SigningKey {
    let key = SigningKey::from_bytes(&[n; 32]);
    let secret = keys::encode_secret_key(&key, None).unwrap();
    fs::write(dir.join(format!("{name}.key")), secret.as_bytes()).unwrap();
    let public = keys::encode_public_key(&key.verifying_key()).unwrap();
    fs::write(dir.join(format!("{name}.pub.pem")), public).unwrap();
    key
}

fn run_ok(d: &Path, args: &[&str]) -> String {
    ackreg(d).args(args).run().must_succeed().stdout()
}

/// A log `L` with an employee and the administrator ivarna (key "admin").
fn administered(d: &Path) {
    key_files(d, "issuer", 1);
    key_files(d, "emp", 2);
    key_files(d, "admin", 3);
    key_files(d, "other", 4);
    run_ok(
        d,
        &[
            "log",
            "init",
            "L",
            "--issuer-key",
            "issuer.key",
            "--origin",
            "example.invalid/admins",
            "--issuer-name",
            "J",
            "--body",
            "B",
            "--date",
            "2018-01-01",
        ],
    );
    run_ok(
        d,
        &[
            "log",
            "enrol",
            "L",
            "--issuer-key",
            "issuer.key",
            "--id",
            "jberzins",
            "--name",
            "Jānis Bērziņš",
            "--public-key",
            "emp.pub.pem",
            "--from",
            "2018-01-01",
        ],
    );
    let out = run_ok(
        d,
        &[
            "log",
            "admin",
            "L",
            "--issuer-key",
            "issuer.key",
            "--id",
            "ivarna",
            "--name",
            "Ilze Vārna",
            "--public-key",
            "admin.pub.pem",
            "--date",
            "2018-01-02",
        ],
    );
    assert!(
        out.contains("administrator Ilze Vārna (ivarna) with key"),
        "{out}"
    );
}

fn version_entry() -> Vec<u8> {
    entry::version_bytes(&Version {
        document: None,
        label: "1".into(),
        title: "Noteikumi".into(),
        sha256: [7; 32],
        effective: parse_date("2018-01-10").unwrap(),
        material: true,
        deadline: Some(parse_date("2018-01-31").unwrap()),
        new_employee_days: 14,
    })
    .unwrap()
}

fn request(d: &Path, admin_key: &str, date: &str, file: &str) -> crate::common::Run {
    ackreg(d)
        .args([
            "log",
            "request",
            "L",
            "--issuer-key",
            "issuer.key",
            "--admin-key",
            admin_key,
            "--admin",
            "ivarna",
            "--action",
            "publicēt noteikumus 1",
            "--date",
            date,
            file,
        ])
        .run()
}

fn entry_count(d: &Path) -> usize {
    fs::read_to_string(d.join("L/entries"))
        .unwrap()
        .lines()
        .count()
}

#[test]
fn an_administrators_request_is_audited_and_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    administered(d);
    let mut planned = version_entry();
    planned.push(b'\n');
    fs::write(d.join("planned.jsonl"), &planned).unwrap();
    let out = request(d, "admin.key", "2018-01-09", "planned.jsonl")
        .must_succeed()
        .stdout();
    assert!(
        out.contains("appended request entry 3 by ivarna: publicēt noteikumus 1"),
        "{out}"
    );
    assert!(out.contains("appended entry 4"), "{out}");
    let o = ackreg(d)
        .args(["verify", "L", "--issuer", "issuer.pub.pem"])
        .run();
    assert_eq!(o.code(), Some(0), "{}", o.text());
    assert!(
        o.text().contains("1 administrator entry, 1 request"),
        "{}",
        o.text()
    );
    // Status: who asked for the version, in JSON and in text.
    let json = run_ok(d, &["log", "status", "L", "--date", "2018-01-20", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let asked = &v[0]["asked_by"];
    assert_eq!(asked["admin"], "ivarna");
    assert_eq!(asked["name"], "Ilze Vārna");
    assert_eq!(asked["entry"], 3);
    assert_eq!(asked["entries"], serde_json::json!([4]));
    let text = run_ok(d, &["log", "status", "L", "--date", "2018-01-20"]);
    assert!(
        text.contains("entry 3 2018-01-09 Ilze Vārna (ivarna): publicēt noteikumus 1 -> entry 4"),
        "{text}"
    );
    // The printed report names her beside the version.
    run_ok(
        d,
        &[
            "log",
            "report",
            "L",
            "--date",
            "2018-01-20",
            "-o",
            "parskats.pdf",
        ],
    );
    let text = crate::report::pdftotext_raw(&d.join("parskats.pdf"));
    assert!(
        text.contains("Publicēt pieprasīja") && text.contains("Ilze Vārna (ivarna), 09.01.2018."),
        "{text}"
    );
    // A key that is not hers, or after her dismissal: refused, nothing written.
    let before = entry_count(d);
    fs::write(
        d.join("leave.jsonl"),
        r#"{"kind":"leave","id":"jberzins","date":"2018-03-01"}"#,
    )
    .unwrap();
    let o = request(d, "other.key", "2018-01-20", "leave.jsonl").must_fail(2);
    assert!(
        o.text()
            .contains("which is not administrator ivarna's current key"),
        "{}",
        o.text()
    );
    run_ok(
        d,
        &[
            "log",
            "dismiss",
            "L",
            "--issuer-key",
            "issuer.key",
            "--id",
            "ivarna",
            "--date",
            "2018-02-01",
        ],
    );
    let o = request(d, "admin.key", "2018-02-01", "leave.jsonl").must_fail(2);
    assert!(
        o.text()
            .contains("administrator ivarna was dismissed on 2018-02-01"),
        "{}",
        o.text()
    );
    assert_eq!(entry_count(d), before + 1, "only the dismissal was written");
    // The list, and her earlier request still valid.
    let list = run_ok(d, &["log", "admins", "L"]);
    assert!(
        list.contains("ivarna") && list.contains("until 2018-02-01, key"),
        "{list}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&run_ok(d, &["log", "admins", "L", "--json"])).unwrap();
    assert_eq!(json["admins"][0]["until"], "2018-02-01");
    assert_eq!(json["admins"][0]["requests"], 1);
    assert_eq!(json["requests"][0]["entries"], serde_json::json!([4]));
    let o = ackreg(d)
        .args(["verify", "L", "--issuer", "issuer.pub.pem"])
        .run();
    assert_eq!(o.code(), Some(0), "{}", o.text());
    // Incrementally, from before the request and from after it.
    for old in ["L/checkpoints/3", "L/checkpoints/5"] {
        let o = ackreg(d)
            .args(["verify", "L", "--issuer", "issuer.pub.pem", "--since", old])
            .run();
        assert_eq!(o.code(), Some(0), "{old}: {}", o.text());
    }
}

#[test]
fn a_refused_entry_writes_neither_it_nor_its_request() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    administered(d);
    // Two entries asked for; the second is refused by the history rules,
    // so neither the request nor the first entry is written.
    fs::write(
        d.join("planned.jsonl"),
        "{\"kind\":\"unit\",\"id\":\"kac\",\"name\":\"KAC\"}\n{\"kind\":\"leave\",\"id\":\"nobody\",\"date\":\"2018-03-01\"}\n",
    )
    .unwrap();
    let before = entry_count(d);
    let o = request(d, "admin.key", "2018-01-20", "planned.jsonl").must_fail(2);
    assert!(
        o.text().contains("employee nobody is not enrolled"),
        "{}",
        o.text()
    );
    assert_eq!(entry_count(d), before);
    let o = ackreg(d)
        .args(["verify", "L", "--issuer", "issuer.pub.pem"])
        .run();
    assert_eq!(o.code(), Some(0), "{}", o.text());
}

/// The writer commits a request only with all its entries.
#[test]
fn a_request_is_not_committed_without_its_entries() {
    use ackreg_core::log::request::request_entry;
    use ackreg_core::log::{StoreError, Writer};
    let tmp = tempfile::tempdir().unwrap();
    let d = |s| parse_date(s).unwrap();
    let issuer = SigningKey::from_bytes(&[1; 32]);
    let admin = SigningKey::from_bytes(&[3; 32]);
    let origin = "example.invalid/w";
    let first = entry::log_bytes(origin, "J", &issuer.verifying_key(), "B", d("2018-01-01"));
    let dir = tmp.path().join("L");
    let mut w =
        Writer::create(&dir, issuer, first.unwrap(), ackreg_core::fsutil::Wait::Yes).unwrap();
    w.append(entry::admin_bytes("ivarna", "I", &admin.verifying_key(), d("2018-01-01")).unwrap())
        .unwrap();
    let asked = vec![
        entry::unit_bytes("kac", "KAC").unwrap(),
        entry::unit_bytes("bv", "BV").unwrap(),
    ];
    let r = request_entry(&admin, origin, "ivarna", d("2018-01-02"), "units", &asked).unwrap();
    w.append(r).unwrap();
    w.append(asked[0].clone()).unwrap();
    let err = w.commit().unwrap_err();
    assert!(matches!(err, StoreError::Refused { index: 2, .. }), "{err}");
    assert!(
        err.to_string()
            .contains("this request authorises 2 entries, but the log ends after 1 of them"),
        "{err}"
    );
    w.append(asked[1].clone()).unwrap();
    assert_eq!(w.commit().unwrap().checkpoint.size, 5);
}
