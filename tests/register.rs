//! The whole journey through the real binary (render, keys, sign, register,
//! verify), then every kind of tampering with the sealed register.

use std::fs;
use std::path::Path;

use crate::common::{ackreg, pdf_text, squash, Run};
use ackreg_core::dsse::Envelope;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::Value;

/// Identifier, name, and the date and notes of their acknowledgement.
type Employee = (
    &'static str,
    &'static str,
    Option<(&'static str, &'static str)>,
);

const EMPLOYEES: [Employee; 4] = [
    ("jberzins", "Jānis Bērziņš", Some(("2017-12-05", ""))),
    (
        "lozolina",
        "Līga Ozoliņa",
        Some(("2017-12-04", "Iepazinos attālināti")),
    ),
    ("gkalnina", "Gunta Kalniņa", Some(("2017-12-05", ""))),
    ("azagars", "Ādolfs Žagars", None),
];

/// Renders the rules, makes the issuer and four employees (unencrypted keys,
/// for speed), signs three acknowledgements and seals the register with its
/// annex. Returns the folder.
fn journey() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ackreg(d)
        .args(["render", "-o", "noteikumi.pdf"])
        .run()
        .must_succeed();
    ackreg(d)
        .args([
            "keygen",
            "--name",
            "Jānis Gavars",
            "--id",
            "direktors",
            "--keyring",
            "issuer",
            "--secret",
            "direktors.key",
            "--unencrypted",
        ])
        .run()
        .must_succeed();
    fs::create_dir(d.join("acks")).unwrap();
    for (id, name, signs) in EMPLOYEES {
        let secret = format!("{id}.key");
        ackreg(d)
            .args([
                "keygen",
                "--name",
                name,
                "--id",
                id,
                "--keyring",
                "keys",
                "--secret",
                &secret,
                "--unencrypted",
            ])
            .run()
            .must_succeed();
        if let Some((date, notes)) = signs {
            let out = format!("acks/{id}.json");
            let mut args = vec![
                "sign",
                "--key",
                &secret,
                "--document",
                "noteikumi.pdf",
                "--date",
                date,
                "--keyring",
                "keys",
                "-o",
                &out,
            ];
            if !notes.is_empty() {
                args.extend(["--notes", notes]);
            }
            ackreg(d).args(&args).run().must_succeed();
        }
    }
    let o = ackreg(d)
        .args([
            "register",
            "--document",
            "noteikumi.pdf",
            "--keyring",
            "keys",
            "--acks",
            "acks",
            "--issuer-key",
            "direktors.key",
            "--issuer-name",
            "J.Gavars",
            "-o",
            "register.json",
            "--pdf",
            "pielikums.pdf",
            "--sealed-at",
            "2017-12-20T09:30:00Z",
        ])
        .run()
        .must_succeed();
    assert!(
        o.stdout().contains("3 accepted, 0 refused, 1 outstanding"),
        "{}",
        o.stdout()
    );
    dir
}

fn verify(d: &Path, file: &str) -> Run {
    ackreg(d)
        .args([
            "verify",
            file,
            "--issuer",
            "issuer/direktors.pub.pem",
            "--document",
            "noteikumi.pdf",
        ])
        .run()
}

fn issuer_key(d: &Path) -> ed25519_dalek::SigningKey {
    ackreg_core::keys::decode_secret_key(&fs::read(d.join("direktors.key")).unwrap(), None).unwrap()
}

/// The register's envelope and its decoded payload.
fn open(d: &Path) -> (Envelope, Value) {
    let env = Envelope::from_json(&fs::read(d.join("register.json")).unwrap()).unwrap();
    let payload = STANDARD.decode(&env.payload).unwrap();
    (env, serde_json::from_slice(&payload).unwrap())
}

/// Writes `body` back as the payload, keeping the old seal.
fn write_unsealed(d: &Path, mut env: Envelope, body: &Value) {
    env.payload = STANDARD.encode(serde_json::to_vec(body).unwrap());
    fs::write(d.join("register.json"), env.to_json().unwrap()).unwrap();
}

/// Writes `body` back sealed anew with the issuer's own key: what a
/// dishonest administration could do. Employees' signatures still bind.
fn write_resealed(d: &Path, body: &Value) {
    let env = ackreg_core::dsse::sign(
        &issuer_key(d),
        ackreg_core::register::PAYLOAD_TYPE,
        &serde_json::to_vec(body).unwrap(),
    );
    fs::write(d.join("register.json"), env.to_json().unwrap()).unwrap();
}

/// Decodes, changes and re-encodes the payload of entry `i`'s envelope.
fn edit_ack(body: &mut Value, i: usize, f: impl FnOnce(&mut Value)) {
    let env = &mut body["entries"][i]["envelope"];
    let mut ack: Value =
        serde_json::from_slice(&STANDARD.decode(env["payload"].as_str().unwrap()).unwrap())
            .unwrap();
    f(&mut ack);
    env["payload"] = Value::String(STANDARD.encode(serde_json::to_vec(&ack).unwrap()));
}

fn assert_caught(o: &Run, step: &str) {
    assert_eq!(
        o.code(),
        Some(1),
        "tampering not caught\nstdout: {}\nstderr: {}",
        o.stdout(),
        o.stderr()
    );
    let out = o.stdout();
    assert!(out.contains("INVALID"), "{out}");
    assert!(
        out.contains(&format!("[FAIL] {step}")),
        "expected step {step} to fail:\n{out}"
    );
}

#[test]
fn whole_journey_verifies() {
    let dir = journey();
    let d = dir.path();

    let o = verify(d, "register.json");
    let o = o.must_succeed();
    let out = o.stdout();
    assert!(
        out.contains("VALID: 3 acknowledgements, 1 outstanding"),
        "{out}"
    );
    // Ordered by date, then name: Līga (4th), Gunta and Jānis (5th).
    let pos = |s: &str| {
        out.find(s)
            .unwrap_or_else(|| panic!("{s} missing in {out}"))
    };
    assert!(pos("Līga Ozoliņa") < pos("Gunta Kalniņa"));
    assert!(pos("Gunta Kalniņa") < pos("Jānis Bērziņš"));
    assert!(out.contains("outstanding: Ādolfs Žagars (azagars)"));

    // The annex PDF alone is enough: the register is attached, and its pages
    // are exactly the rendering of the sealed register.
    let o = verify(d, "pielikums.pdf");
    let o = o.must_succeed();
    assert!(o.stdout().contains("9. [ok]   annex"), "{}", o.stdout());

    // The exact mode checks every signature with verify_strict alone.
    let o = ackreg(d)
        .args([
            "verify",
            "register.json",
            "--issuer",
            "issuer/direktors.pub.pem",
            "--no-batch",
        ])
        .run()
        .must_succeed();
    assert!(
        o.stdout().contains("VALID: 3 acknowledgements"),
        "{}",
        o.stdout()
    );

    // By key id instead of a PEM file, without the document.
    let keyid = ackreg_core::keys::KeyId::of(&issuer_key(d).verifying_key()).to_string();
    ackreg(d)
        .args(["verify", "pielikums.pdf", "--issuer", &keyid])
        .run()
        .must_succeed();

    // The annex shows the rows, the notes and the register's particulars.
    let pdf = fs::read(d.join("pielikums.pdf")).unwrap();
    let text = squash(&pdf_text(&pdf));
    for s in [
        "PIELIKUMS",
        "1. 04.12.2017. Līga Ozoliņa",
        "Iepazinos attālināti",
        "Jānis Bērziņš",
        "Parakstīts elektroniski",
        "2017-12-20T09:30:00Z",
        "Ādolfs Žagars",
        &keyid,
    ] {
        assert!(text.contains(s), "annex lacks {s:?}: {text}");
    }
    let register = fs::read(d.join("register.json")).unwrap();
    assert_eq!(
        ackreg_core::pdf::attachment(&pdf, "register.json").unwrap(),
        register
    );
    let sha: String = ackreg_core::document::sha256(&register)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert!(text.contains(&sha), "annex names the register's SHA-256");

    // Same register, same annex bytes.
    ackreg(d)
        .args([
            "register",
            "--document",
            "noteikumi.pdf",
            "--keyring",
            "keys",
            "--acks",
            "acks",
            "--issuer-key",
            "direktors.key",
            "--issuer-name",
            "J.Gavars",
            "-o",
            "register2.json",
            "--pdf",
            "pielikums2.pdf",
            "--sealed-at",
            "2017-12-20T09:30:00Z",
        ])
        .run()
        .must_succeed();
    assert_eq!(fs::read(d.join("register2.json")).unwrap(), register);
    assert_eq!(fs::read(d.join("pielikums2.pdf")).unwrap(), pdf);

    // Machines get JSON.
    let o = ackreg(d)
        .args([
            "verify",
            "register.json",
            "--issuer",
            "issuer/direktors.pub.pem",
            "--json",
        ])
        .run()
        .must_succeed();
    let v: Value = serde_json::from_str(&o.stdout()).unwrap();
    assert_eq!(v["valid"], true);
    assert_eq!(v["entries"].as_array().unwrap().len(), 3);
    assert_eq!(v["outstanding"][0]["id"], "azagars");
}

#[test]
fn register_reports_what_it_refuses() {
    let dir = journey();
    let d = dir.path();
    // Wrong document: an acknowledgement of another PDF.
    fs::write(
        d.join("other.pdf"),
        fs::read(d.join("pielikums.pdf")).unwrap(),
    )
    .unwrap();
    ackreg(d)
        .args([
            "sign",
            "--key",
            "azagars.key",
            "--document",
            "other.pdf",
            "--date",
            "2017-12-06",
            "--keyring",
            "keys",
            "-o",
            "acks/wrongdoc.json",
        ])
        .run()
        .must_succeed();
    // Unknown key: the issuer is not in the employees' keyring.
    ackreg(d)
        .args([
            "sign",
            "--key",
            "direktors.key",
            "--document",
            "noteikumi.pdf",
            "--date",
            "2017-12-06",
            "--name",
            "Jānis Gavars",
            "--id",
            "direktors",
            "-o",
            "acks/unknown.json",
        ])
        .run()
        .must_succeed();
    // Duplicate: Jānis signs again.
    ackreg(d)
        .args([
            "sign",
            "--key",
            "jberzins.key",
            "--document",
            "noteikumi.pdf",
            "--date",
            "2017-12-09",
            "--keyring",
            "keys",
            "-o",
            "acks/zz-again.json",
        ])
        .run()
        .must_succeed();
    // Bad signature: a copy of Līga's with one signature byte changed.
    let mut env = Envelope::from_json(&fs::read(d.join("acks/lozolina.json")).unwrap()).unwrap();
    let mut sig = STANDARD.decode(&env.signatures[0].sig).unwrap();
    sig[0] ^= 1;
    env.signatures[0].sig = STANDARD.encode(sig);
    fs::write(d.join("acks/badsig.json"), env.to_json().unwrap()).unwrap();

    let o = ackreg(d)
        .args([
            "register",
            "--document",
            "noteikumi.pdf",
            "--keyring",
            "keys",
            "--acks",
            "acks",
            "--issuer-key",
            "direktors.key",
            "-o",
            "register.json",
        ])
        .run()
        .must_succeed();
    let out = o.stdout();
    assert!(
        out.contains("3 accepted, 4 refused, 1 outstanding"),
        "{out}"
    );
    for (file, why) in [
        ("wrongdoc.json", "document"),
        ("unknown.json", "not in the keyring"),
        ("zz-again.json", "duplicate"),
        ("badsig.json", "signature"),
    ] {
        let line = out
            .lines()
            .find(|l| l.contains("refused") && l.contains(file))
            .unwrap_or_else(|| panic!("{file} not refused: {out}"));
        assert!(line.contains(why), "{line}");
    }
    verify(d, "register.json").must_succeed();
}

#[test]
fn every_edit_without_a_new_seal_is_caught() {
    let dir = journey();
    let d = dir.path();
    let original = fs::read(d.join("register.json")).unwrap();
    type Edit = fn(&mut Value);
    let edits: [(&str, Edit); 12] = [
        ("name", |b| {
            edit_ack(b, 0, |a| a["employee"]["name"] = "Līga Ozola".into())
        }),
        ("date", |b| {
            edit_ack(b, 0, |a| a["date"] = "2017-12-01".into())
        }),
        ("note", |b| {
            edit_ack(b, 0, |a| a["notes"] = "Nav lasījusi".into())
        }),
        ("hash", |b| b["document"]["sha256"] = "00".repeat(32).into()),
        ("signature", |b| {
            let s = b["entries"][0]["envelope"]["signatures"][0]["sig"]
                .as_str()
                .unwrap();
            let mut raw = STANDARD.decode(s).unwrap();
            raw[5] ^= 0x80;
            b["entries"][0]["envelope"]["signatures"][0]["sig"] = STANDARD.encode(raw).into();
        }),
        ("key", |b| {
            let keyring = b["keyring"]["entries"].as_array_mut().unwrap();
            let other = keyring[1]["public_key"].clone();
            keyring[0]["public_key"] = other;
        }),
        ("sealing time", |b| {
            b["sealed_at"] = "2017-12-21T09:30:00Z".into()
        }),
        ("removed", |b| {
            b["entries"].as_array_mut().unwrap().remove(1);
        }),
        ("added", |b| {
            let e = b["entries"][0].clone();
            b["entries"].as_array_mut().unwrap().push(e);
        }),
        ("duplicated", |b| {
            let e = b["entries"][2].clone();
            b["entries"].as_array_mut().unwrap().push(e);
        }),
        ("reordered", |b| {
            b["entries"].as_array_mut().unwrap().swap(0, 2)
        }),
        ("outstanding dropped", |b| {
            b["outstanding"] = Value::Array(vec![])
        }),
    ];
    for (what, edit) in edits {
        fs::write(d.join("register.json"), &original).unwrap();
        let (env, mut body) = open(d);
        edit(&mut body);
        write_unsealed(d, env, &body);
        let o = verify(d, "register.json");
        assert_eq!(o.code(), Some(1), "{what}: {}", o.stdout());
        assert_caught(&o, "seal");
    }
}

#[test]
fn edits_sealed_anew_are_still_caught_by_the_employees_signatures_and_structure() {
    let dir = journey();
    let d = dir.path();
    let original = fs::read(d.join("register.json")).unwrap();
    type Edit = fn(&mut Value);
    let cases: [(&str, Edit, &str); 11] = [
        (
            "issuer name with a bidi override",
            |b| b["issuer"]["name"] = "J.Gav\u{202e}ars".into(),
            "payload",
        ),
        (
            "outstanding name with a zero-width space",
            |b| b["outstanding"][0]["name"] = "Ādolfs\u{200b} Žagars".into(),
            "payload",
        ),
        (
            "name",
            |b| edit_ack(b, 0, |a| a["employee"]["name"] = "Līga Ozola".into()),
            "acknowledgements",
        ),
        (
            "date",
            |b| edit_ack(b, 1, |a| a["date"] = "2017-12-01".into()),
            "acknowledgements",
        ),
        (
            "note",
            |b| edit_ack(b, 0, |a| a["notes"] = "Nav lasījusi".into()),
            "acknowledgements",
        ),
        (
            "hash",
            |b| b["document"]["sha256"] = "00".repeat(32).into(),
            "acknowledgements",
        ),
        (
            "key",
            |b| {
                let keyring = b["keyring"]["entries"].as_array_mut().unwrap();
                let other = keyring[1]["public_key"].clone();
                keyring[0]["public_key"] = other;
            },
            "keyring",
        ),
        (
            "removed",
            |b| {
                b["entries"].as_array_mut().unwrap().remove(1);
            },
            "numbering",
        ),
        (
            "duplicated",
            |b| {
                let mut e = b["entries"][2].clone();
                e["nr"] = 4.into();
                b["entries"].as_array_mut().unwrap().push(e);
            },
            "numbering",
        ),
        (
            "reordered",
            |b| {
                let entries = b["entries"].as_array_mut().unwrap();
                entries.swap(0, 2);
                entries[0]["nr"] = 1.into();
                entries[2]["nr"] = 3.into();
            },
            "numbering",
        ),
        (
            "outstanding dropped",
            |b| b["outstanding"] = Value::Array(vec![]),
            "outstanding",
        ),
    ];
    for (what, edit, step) in cases {
        fs::write(d.join("register.json"), &original).unwrap();
        let (_, mut body) = open(d);
        edit(&mut body);
        write_resealed(d, &body);
        let o = verify(d, "register.json");
        assert!(o.code() == Some(1), "{what} not caught: {}", o.stdout());
        assert_caught(&o, step);
    }
    // An entry added with a key that is not in the sealed keyring.
    fs::write(d.join("register.json"), &original).unwrap();
    let (_, mut body) = open(d);
    let stranger = ackreg_core::keys::generate().unwrap();
    let (_, first) = open(d);
    let ack_env: Envelope =
        serde_json::from_value(first["entries"][0]["envelope"].clone()).unwrap();
    let payload = STANDARD.decode(&ack_env.payload).unwrap();
    let forged = ackreg_core::dsse::sign(&stranger, &ack_env.payload_type, &payload);
    body["entries"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({
            "nr": 4,
            "envelope": serde_json::to_value(&forged).unwrap(),
        }));
    write_resealed(d, &body);
    assert_caught(&verify(d, "register.json"), "acknowledgements");
}

#[test]
fn wrong_issuer_or_document_fails_and_bad_input_exits_2() {
    let dir = journey();
    let d = dir.path();
    // Another issuer key.
    let o = ackreg(d)
        .args([
            "verify",
            "register.json",
            "--issuer",
            "keys/jberzins.pub.pem",
        ])
        .run();
    assert_caught(&o, "seal");
    // Another document.
    let o = ackreg(d)
        .args([
            "verify",
            "register.json",
            "--issuer",
            "issuer/direktors.pub.pem",
            "--document",
            "pielikums.pdf",
        ])
        .run();
    assert_caught(&o, "document");
    // No issuer, a missing file, an unreadable issuer key: unusable input.
    for args in [
        vec!["verify", "register.json"],
        vec![
            "verify",
            "missing.json",
            "--issuer",
            "issuer/direktors.pub.pem",
        ],
        vec!["verify", "register.json", "--issuer", "noteikumi.pdf"],
    ] {
        let o = ackreg(d).args(&args).run().must_fail(2);
        assert!(o.stderr().starts_with("error: "), "{}", o.stderr());
    }
    // A PDF without a register attached.
    let o = ackreg(d)
        .args([
            "verify",
            "noteikumi.pdf",
            "--issuer",
            "issuer/direktors.pub.pem",
        ])
        .run()
        .must_fail(2);
    assert!(
        o.stderr().contains("no attached file named register.json"),
        "{}",
        o.stderr()
    );
}

#[test]
fn annex_rendered_with_another_template_is_told_apart() {
    let dir = journey();
    let d = dir.path();
    let t = d.join("tpl");
    fs::create_dir(&t).unwrap();
    let style = include_str!("../templates/style.typ").replace("size: 10pt", "size: 10.5pt");
    fs::write(t.join("style.typ"), style).unwrap();
    fs::write(t.join("rules.typ"), include_str!("../templates/rules.typ")).unwrap();
    let o = ackreg(d)
        .args([
            "verify",
            "pielikums.pdf",
            "--issuer",
            "issuer/direktors.pub.pem",
            "--template",
            "tpl",
        ])
        .run();
    assert_caught(&o, "annex");
}

#[test]
fn demo_runs_the_whole_job() {
    let dir = tempfile::tempdir().unwrap();
    let o = ackreg(dir.path())
        .args(["demo", "--out", "demo"])
        .run()
        .must_succeed();
    let out = o.stdout();
    assert!(
        out.contains("VALID: 3 acknowledgements, 1 outstanding"),
        "{out}"
    );
    for f in [
        "noteikumi.pdf",
        "pielikums.pdf",
        "register.json",
        "keys/keyring.json",
    ] {
        assert!(dir.path().join("demo").join(f).exists(), "{f}");
    }
    // It can run again in its own folder, but never over someone else's.
    ackreg(dir.path())
        .args(["demo", "--out", "demo"])
        .run()
        .must_succeed();
    fs::create_dir(dir.path().join("mine")).unwrap();
    fs::write(dir.path().join("mine/x"), "x").unwrap();
    ackreg(dir.path())
        .args(["demo", "--out", "mine"])
        .run()
        .must_fail(2);
}

#[test]
fn names_and_notes_from_the_register_print_literally_on_the_annex() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let name = "Jānis #read(\"/etc/passwd\") ]*x*[";
    let notes = "$x$ <b> @ref // #let";
    ackreg(d)
        .args(["render", "-o", "noteikumi.pdf"])
        .run()
        .must_succeed();
    for (id, n) in [("direktors", "Jānis Gavars"), ("hostile", name)] {
        let ring = if id == "direktors" { "issuer" } else { "keys" };
        let secret = format!("{id}.key");
        ackreg(d)
            .args([
                "keygen",
                "--name",
                n,
                "--id",
                id,
                "--keyring",
                ring,
                "--secret",
                &secret,
                "--unencrypted",
            ])
            .run()
            .must_succeed();
    }
    fs::create_dir(d.join("acks")).unwrap();
    ackreg(d)
        .args([
            "sign",
            "--key",
            "hostile.key",
            "--document",
            "noteikumi.pdf",
            "--date",
            "2017-12-04",
            "--keyring",
            "keys",
            "--notes",
            notes,
            "-o",
            "acks/hostile.json",
        ])
        .run()
        .must_succeed();
    ackreg(d)
        .args([
            "register",
            "--document",
            "noteikumi.pdf",
            "--keyring",
            "keys",
            "--acks",
            "acks",
            "--issuer-key",
            "direktors.key",
            "-o",
            "register.json",
            "--pdf",
            "pielikums.pdf",
        ])
        .run()
        .must_succeed();
    // The narrow name column wraps lines, so compare without white space.
    let text: String = pdf_text(&fs::read(d.join("pielikums.pdf")).unwrap())
        .split_whitespace()
        .collect();
    let bare = |s: &str| s.split_whitespace().collect::<String>();
    assert!(text.contains(&bare(name)), "{text}");
    assert!(text.contains(&bare(notes)), "{text}");
    assert!(!text.contains("root:x:0:0"));
    verify(d, "pielikums.pdf").must_succeed();
}
