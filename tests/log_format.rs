//! The log's worked example in docs/FORMAT.md, checked byte for byte: a
//! log made with the RFC 8032 test keys and fixed dates gives exactly the
//! entries, checkpoint and receipt printed there. Also pins the SHA-256 of
//! the built-in rules PDF, so that rendering drift across machines or
//! toolchains fails CI.

use ackreg_core::ack::Acknowledgement;
use ackreg_core::document::DocumentRef;
use ackreg_core::encoding::hex;
use ackreg_core::fsutil::Wait;
use ackreg_core::log::entry::{self, parse_date, Declaration, Version};
use ackreg_core::log::{receipt, LogDir, Writer};
use ed25519_dalek::SigningKey;

/// RFC 8032 section 7.1, test 1 (the employee) and test 2 (the issuer).
/// Never use them for anything real.
fn rfc8032(test: u8) -> SigningKey {
    let seed = match test {
        1 => "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        _ => "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
    };
    SigningKey::from_bytes(&ackreg_core::encoding::hex32(seed).unwrap())
}

fn example_block(doc: &str, name: &str) -> String {
    let marker = format!("<!-- example: {name} -->\n");
    let start = doc
        .find(&marker)
        .unwrap_or_else(|| panic!("FORMAT.md has no example {name}"))
        + marker.len();
    let rest = &doc[start..];
    let body_start = rest.find('\n').unwrap() + 1;
    let body_end = rest[body_start..].find("\n```").unwrap() + body_start;
    rest[body_start..body_end].to_string()
}

/// The example log: created, one version, one employee, one acknowledgement.
fn example_log(dir: &std::path::Path) -> (String, String, String) {
    let d = |s| parse_date(s).unwrap();
    let issuer = rfc8032(2);
    let employee = rfc8032(1);
    let first = entry::log_bytes(
        "example.invalid/kac",
        "J.Gavars",
        &issuer.verifying_key(),
        "Aknīstes novada pašvaldība",
        d("2017-12-01"),
    )
    .unwrap();
    let mut w = Writer::create(dir, issuer, first, Wait::Yes).unwrap();
    let sha = ackreg_core::document::sha256(b"ackreg worked example document");
    let title = "Klientu apkalpošanas centra darbības noteikumi";
    let version = Version {
        document: None,
        label: "1".into(),
        title: title.into(),
        sha256: sha,
        effective: d("2017-12-01"),
        material: true,
        deadline: Some(d("2017-12-15")),
        new_employee_days: 14,
    };
    w.append(entry::version_bytes(&version).unwrap()).unwrap();
    w.append(
        entry::enrol_bytes(
            "jberzins",
            "Jānis Bērziņš",
            Some("Klientu apkalpošanas speciālists"),
            &employee.verifying_key(),
            d("2017-12-01"),
        )
        .unwrap(),
    )
    .unwrap();
    let doc = DocumentRef {
        title: title.into(),
        sha256: sha,
    };
    let ack = Acknowledgement::new(
        &doc,
        "Jānis Bērziņš",
        "jberzins",
        "2017-12-04",
        Some("Saņemts papīra eksemplārs."),
    )
    .unwrap();
    let env = ack.sign(&employee).unwrap();
    w.append(entry::ack_bytes(d("2017-12-05"), &employee.verifying_key(), &env).unwrap())
        .unwrap();
    let head = w.commit().unwrap();
    drop(w);
    let log = LogDir::new(dir);
    let entries = String::from_utf8(std::fs::read(log.entries_path()).unwrap()).unwrap();
    let receipt = String::from_utf8(receipt::make(&log, 3).unwrap()).unwrap();
    (
        entries,
        String::from_utf8(head.to_bytes()).unwrap(),
        receipt,
    )
}

#[test]
fn the_worked_example_is_what_the_code_computes() {
    let tmp = tempfile::tempdir().unwrap();
    let (entries, checkpoint, receipt) = example_log(&tmp.path().join("log"));
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/FORMAT.md")).unwrap();
    if std::env::var_os("ACKREG_PRINT_EXAMPLE").is_some() {
        println!("ENTRIES\n{entries}CHECKPOINT\n{checkpoint}RECEIPT\n{receipt}");
    }
    assert_eq!(example_block(&doc, "log-entries"), entries.trim_end());
    assert_eq!(example_block(&doc, "log-checkpoint"), checkpoint.trim_end());
    assert_eq!(example_block(&doc, "log-receipt"), receipt.trim_end());
    // The receipt verifies alone with the issuer's key.
    let v = receipt::verify(receipt.as_bytes(), &rfc8032(2).verifying_key()).unwrap();
    assert_eq!(v.index, 3);
}

/// The multi-document example of log format 0.3: two units, two
/// documents (one binding everyone, one the KAC), a version of each, an
/// employee who joins, is enrolled and acknowledges, and one who joins
/// without a key and moves. Returns the entries, the checkpoint, the
/// receipt of the acknowledgement (entry 9) and the verifier key.
fn example_multi(dir: &std::path::Path) -> (String, String, String, String) {
    let d = |s| parse_date(s).unwrap();
    let issuer = rfc8032(2);
    let employee = rfc8032(1);
    let origin = "example.invalid/novads";
    let first = entry::log_bytes(
        origin,
        "J.Gavars",
        &issuer.verifying_key(),
        "Aknīstes novada pašvaldība",
        d("2018-01-01"),
    )
    .unwrap();
    let vkey = tlog::note::vkey(origin, &issuer.verifying_key());
    let mut w = Writer::create(dir, issuer, first, Wait::Yes).unwrap();
    let units = |u: &[&str]| u.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let declare = |id: &str, title: &str, units: Vec<String>| Declaration {
        id: id.into(),
        title: title.into(),
        units,
        positions: vec![],
        date: d("2018-01-01"),
    };
    let work = declare("darba-kartiba", "Darba kārtības noteikumi", vec![]);
    let data = declare(
        "datu-aizsardziba",
        "Personas datu aizsardzības noteikumi",
        units(&["kac"]),
    );
    let version = |doc: &Declaration, what: &[u8]| Version {
        document: Some(doc.id.clone()),
        label: "1".into(),
        title: doc.title.clone(),
        sha256: ackreg_core::document::sha256(what),
        effective: d("2018-01-01"),
        material: true,
        deadline: Some(d("2018-01-31")),
        new_employee_days: 14,
    };
    let data_v1 = version(&data, b"ackreg worked example: data protection");
    let jb = (
        "jberzins",
        "Jānis Bērziņš",
        Some("Klientu apkalpošanas speciālists"),
    );
    let entries = [
        entry::unit_bytes("kac", "Klientu apkalpošanas centrs"),
        entry::unit_bytes("bv", "Būvvalde"),
        entry::document_bytes(&work),
        entry::document_bytes(&data),
        entry::version_bytes(&version(&work, b"ackreg worked example: work rules")),
        entry::version_bytes(&data_v1),
        entry::join_bytes(jb.0, jb.1, jb.2, &units(&["kac"]), d("2018-01-02")),
        entry::enrol_bytes(jb.0, jb.1, None, &employee.verifying_key(), d("2018-01-02")),
    ];
    for bytes in entries {
        w.append(bytes.unwrap()).unwrap();
    }
    let doc = DocumentRef {
        title: data_v1.title.clone(),
        sha256: data_v1.sha256,
    };
    let env = Acknowledgement::new(&doc, jb.1, jb.0, "2018-01-04", None)
        .unwrap()
        .sign(&employee)
        .unwrap();
    let rest = [
        entry::ack_bytes(d("2018-01-05"), &employee.verifying_key(), &env),
        entry::join_bytes(
            "aozola",
            "Anna Ozola",
            None,
            &units(&["bv"]),
            d("2018-01-08"),
        ),
        entry::move_bytes("aozola", &units(&["bv", "kac"]), d("2018-02-01")),
    ];
    for bytes in rest {
        w.append(bytes.unwrap()).unwrap();
    }
    let head = w.commit().unwrap();
    drop(w);
    let log = LogDir::new(dir);
    let entries = String::from_utf8(std::fs::read(log.entries_path()).unwrap()).unwrap();
    let receipt = String::from_utf8(receipt::make(&log, 9).unwrap()).unwrap();
    (
        entries,
        String::from_utf8(head.to_bytes()).unwrap(),
        receipt,
        vkey,
    )
}

/// The status of the multi-document example on 2018-02-20, as `ackreg log
/// status --date 2018-02-20` prints it.
fn example_multi_status(dir: &std::path::Path) -> String {
    let log = LogDir::new(dir);
    let (_, state) = log.committed().unwrap();
    let mut out = String::new();
    for s in ackreg_core::log::status::status(&state, parse_date("2018-02-20").unwrap()) {
        out.push_str(&format!(
            "{} {}: {} line(s)\n",
            s.document.unwrap_or_default(),
            s.label,
            s.lines.len()
        ));
        for l in &s.lines {
            out.push_str(&format!(
                "  {} {} deadline {}{}\n",
                l.id,
                l.standing.english(),
                l.deadline,
                if l.no_key { " no key yet" } else { "" }
            ));
        }
    }
    out
}

#[test]
fn the_multi_document_example_is_what_the_code_computes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("log");
    let (entries, checkpoint, receipt, vkey) = example_multi(&dir);
    let status = example_multi_status(&dir);
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/FORMAT.md")).unwrap();
    if std::env::var_os("ACKREG_PRINT_EXAMPLE").is_some() {
        println!("ENTRIES\n{entries}CHECKPOINT\n{checkpoint}RECEIPT\n{receipt}VKEY\n{vkey}\nSTATUS\n{status}");
    }
    assert_eq!(example_block(&doc, "log3-entries"), entries.trim_end());
    assert_eq!(
        example_block(&doc, "log3-checkpoint"),
        checkpoint.trim_end()
    );
    assert_eq!(example_block(&doc, "log3-receipt"), receipt.trim_end());
    assert_eq!(example_block(&doc, "log3-status"), status.trim_end());
    let v = receipt::verify(receipt.as_bytes(), &rfc8032(2).verifying_key()).unwrap();
    assert_eq!(v.index, 9);
    // The same files are the vectors the independent checkers of
    // crates/tlog/tests/interop read (they cannot depend on ackreg-core).
    let vectors = std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/crates/tlog/tests/vectors/note"
    ));
    let pinned = |name: &str| std::fs::read_to_string(vectors.join(name)).unwrap();
    assert_eq!(pinned("multidoc-checkpoint-12.note"), checkpoint);
    assert_eq!(pinned("multidoc-entry-9.tlog-proof"), receipt);
    // The same receipt as earlier releases wrote it, the entry verbatim in
    // its `extra` line, verifies to the same entry.
    let verbatim = pinned("multidoc-entry-9-verbatim.tlog-proof");
    let old = receipt::verify(verbatim.as_bytes(), &rfc8032(2).verifying_key()).unwrap();
    assert_eq!((old.index, old.entry.kind()), (9, v.entry.kind()));
    assert!(verbatim.len() > receipt.len() + 200, "{}", receipt.len());
    assert_eq!(pinned("multidoc.vkey").trim_end(), vkey);
    assert_eq!(pinned("multidoc.entries"), entries);
    // And the audit of the folder finds nothing wrong.
    let report = ackreg_core::log::audit::audit(
        &LogDir::new(&dir),
        &ackreg_core::verify::IssuerKey::Key(rfc8032(2).verifying_key()),
        &ackreg_core::log::audit::AuditOptions::default(),
        &ackreg_core::verify::NoProgress,
    )
    .unwrap();
    assert!(report.is_valid(), "{report:?}");
}

#[test]
fn the_built_in_rules_pdf_has_its_pinned_sha256() {
    let r = ackreg_core::render::Template::builtin()
        .render(&ackreg_core::render::RenderInput::default())
        .unwrap();
    let pinned = include_str!("fixtures/rules.sha256").trim();
    assert_eq!(
        hex(&r.sha256),
        pinned,
        "the built-in rules PDF changed: if on purpose, update tests/fixtures/rules.sha256"
    );
}

#[test]
fn the_typst_version_named_in_annexes_is_the_one_in_cargo_lock() {
    let lock = include_str!("../Cargo.lock");
    let at = lock.find("name = \"typst\"\nversion = \"").unwrap()
        + "name = \"typst\"\nversion = \"".len();
    let version = &lock[at..at + lock[at..].find('"').unwrap()];
    assert_eq!(version, ackreg_core::render::TYPST_VERSION);
}

/// RFC 8032 section 7.1, test 3: the administrator of the example of log
/// format 0.4. Never use it for anything real.
fn rfc8032_test3() -> SigningKey {
    let seed = "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7";
    SigningKey::from_bytes(&ackreg_core::encoding::hex32(seed).unwrap())
}

/// The example of log format 0.4: a unit, the first administrator (written
/// by the issuer alone), her signed request for an employee's first day
/// and key (the two entries after it), and her dismissal. Returns the
/// entries, the checkpoint, the receipt of the request (entry 3), the
/// request's payload and the verifier key.
fn example_admins(dir: &std::path::Path) -> (String, String, String, String, String) {
    let d = |s| parse_date(s).unwrap();
    let issuer = rfc8032(2);
    let employee = rfc8032(1);
    let admin = rfc8032_test3();
    let origin = "example.invalid/admini";
    let first = entry::log_bytes(
        origin,
        "J.Gavars",
        &issuer.verifying_key(),
        "Aknīstes novada pašvaldība",
        d("2018-01-01"),
    )
    .unwrap();
    let vkey = tlog::note::vkey(origin, &issuer.verifying_key());
    let mut w = Writer::create(dir, issuer, first, Wait::Yes).unwrap();
    w.append(entry::unit_bytes("kac", "Klientu apkalpošanas centrs").unwrap())
        .unwrap();
    w.append(
        entry::admin_bytes(
            "ivarna",
            "Ilze Vārna",
            &admin.verifying_key(),
            d("2018-01-02"),
        )
        .unwrap(),
    )
    .unwrap();
    let asked = vec![
        entry::join_bytes(
            "jberzins",
            "Jānis Bērziņš",
            Some("Klientu apkalpošanas speciālists"),
            &["kac".to_string()],
            d("2018-01-08"),
        )
        .unwrap(),
        entry::enrol_bytes(
            "jberzins",
            "Jānis Bērziņš",
            None,
            &employee.verifying_key(),
            d("2018-01-08"),
        )
        .unwrap(),
    ];
    let action = "Jānis Bērziņš sāk darbu KAC";
    let payload =
        ackreg_core::log::request::request_bytes(origin, "ivarna", d("2018-01-08"), action, &asked)
            .unwrap();
    let request = ackreg_core::log::request::request_entry(
        &admin,
        origin,
        "ivarna",
        d("2018-01-08"),
        action,
        &asked,
    )
    .unwrap();
    w.append(request).unwrap();
    for bytes in asked {
        w.append(bytes).unwrap();
    }
    w.append(entry::dismiss_bytes("ivarna", d("2018-02-01")).unwrap())
        .unwrap();
    let head = w.commit().unwrap();
    drop(w);
    let log = LogDir::new(dir);
    let entries = String::from_utf8(std::fs::read(log.entries_path()).unwrap()).unwrap();
    let receipt = String::from_utf8(receipt::make(&log, 3).unwrap()).unwrap();
    (
        entries,
        String::from_utf8(head.to_bytes()).unwrap(),
        receipt,
        String::from_utf8(payload).unwrap(),
        vkey,
    )
}

#[test]
fn the_administrators_example_is_what_the_code_computes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("log");
    let (entries, checkpoint, receipt, payload, vkey) = example_admins(&dir);
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/FORMAT.md")).unwrap();
    if std::env::var_os("ACKREG_PRINT_EXAMPLE").is_some() {
        println!("ENTRIES\n{entries}CHECKPOINT\n{checkpoint}RECEIPT\n{receipt}PAYLOAD\n{payload}\nVKEY\n{vkey}");
    }
    assert_eq!(example_block(&doc, "log4-entries"), entries.trim_end());
    assert_eq!(example_block(&doc, "log4-payload"), payload);
    assert_eq!(
        example_block(&doc, "log4-checkpoint"),
        checkpoint.trim_end()
    );
    assert_eq!(example_block(&doc, "log4-receipt"), receipt.trim_end());
    let v = receipt::verify(receipt.as_bytes(), &rfc8032(2).verifying_key()).unwrap();
    assert_eq!(v.index, 3);
    let vectors = std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/crates/tlog/tests/vectors/note"
    ));
    let pinned = |name: &str| std::fs::read_to_string(vectors.join(name)).unwrap();
    assert_eq!(pinned("admins-checkpoint-7.note"), checkpoint);
    assert_eq!(pinned("admins-entry-3.tlog-proof"), receipt);
    assert_eq!(pinned("admins.vkey").trim_end(), vkey);
    assert_eq!(pinned("admins.entries"), entries);
    let report = ackreg_core::log::audit::audit(
        &LogDir::new(&dir),
        &ackreg_core::verify::IssuerKey::Key(rfc8032(2).verifying_key()),
        &ackreg_core::log::audit::AuditOptions::default(),
        &ackreg_core::verify::NoProgress,
    )
    .unwrap();
    assert!(report.is_valid(), "{report:?}");
    let state = report.state.unwrap();
    let asked = ackreg_core::log::asked::asked_for(&state, 5).unwrap();
    assert_eq!((asked.entry, asked.admin.as_str()), (3, "ivarna"));
    assert_eq!(asked.entries, [4, 5]);
}
