//! Interoperability of eDoc (ASiC-E) containers: what `ackreg_core::edoc::write`
//! makes is read by implementations that share no code with ackreg, and a
//! XAdES seal made by one of them is listed by `ackreg_core::edoc::read`.
//!
//! - `tests/interop/edoc_check.py`: Python's `zipfile` and `xml.etree` check
//!   the ZIP layout and the manifest (standard library only).
//! - `tests/interop/edoc_sign.py`: the PyPI package `pyasice` opens the
//!   container, checks it its own way, and seals it with a XAdES signature
//!   made with a throw-away test key (Python `cryptography`).
//! - `tests/interop/edoc_tamper.py`: Python's `zipfile` changes, removes,
//!   adds or renames a file of an exported (or sealed) container, and
//!   `ackreg verify` must name that file with exit 1 (issue 17, point 1).
//!
//! python3 and pyasice are required: when they are missing these tests fail,
//! they do not skip (CI installs them, see `.ci/run`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use crate::common::ackreg;

use ackreg_core::edoc::{self, ContainerFile, SignatureInfo};
use sha2::{Digest, Sha256};

const SIGNER: &str = "Aknīstes novada pašvaldība TEST";

fn repo_file(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// The Python interpreter, resolved once (`python3` may be a slow shim).
fn python() -> &'static Path {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| {
        let out = Command::new("python3")
            .args(["-c", "import sys; print(sys.executable)"])
            .output()
            .unwrap_or_else(|e| panic!("python3 is required for this test: {e}"));
        assert!(out.status.success(), "python3 is required for this test");
        PathBuf::from(String::from_utf8(out.stdout).unwrap().trim_end())
    })
}

/// Fails the test, with what to install, unless pyasice and its
/// dependencies are installed. (pyasice is not imported here: on OpenSSL
/// 3.0.10 and later it needs the workaround in `edoc_sign.py`.)
fn require_pyasice() {
    let check = "import importlib.util, sys; \
                 missing = [m for m in ('pyasice', 'lxml', 'oscrypto', 'cryptography') \
                 if importlib.util.find_spec(m) is None]; \
                 print(', '.join(missing)); sys.exit(1 if missing else 0)";
    let out = Command::new(python())
        .args(["-c", check])
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "the Python package `pyasice` is required for this test: \
         `python3 -m pip install pyasice==1.2.0` (missing: {})",
        String::from_utf8_lossy(&out.stdout).trim()
    );
}

fn run_script(script: &str, args: &[&Path], text: &[&str]) -> Output {
    Command::new(python())
        .arg(repo_file(script))
        .args(args)
        .args(text)
        .output()
        .expect("python3 runs")
}

fn output_text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn file(name: &str, mime: &str, bytes: &[u8]) -> ContainerFile {
    ContainerFile {
        name: name.into(),
        mime: mime.into(),
        bytes: bytes.to_vec(),
    }
}

/// Files like those of an export: the rules, log entries in folders, an
/// empty file, binary data, a file large enough to span deflate blocks.
fn export() -> Vec<ContainerFile> {
    let large: Vec<u8> = (0..200_000u32)
        .flat_map(|i| (i * 7919).to_le_bytes())
        .collect();
    vec![
        file(
            "rules.pdf",
            "application/pdf",
            b"%PDF-1.7\n% not a real PDF\n",
        ),
        file(
            "log/checkpoint",
            "text/plain",
            b"example.com/ackreg\n1\nAAAA\n",
        ),
        file(
            "log/tile/entries/000",
            "application/octet-stream",
            &[0, 1, 2, 255],
        ),
        file("log/empty.json", "application/json", b""),
        file("register~2026-11.json", "application/json", &large),
    ]
}

/// The expected data files for `edoc_check.py`, as JSON.
fn expected_json(files: &[ContainerFile], mime_of_first: Option<&str>) -> String {
    let list: Vec<serde_json::Value> = files
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let mime = match (i, mime_of_first) {
                (0, Some(mime)) => mime,
                _ => &f.mime,
            };
            serde_json::json!({
                "name": f.name,
                "mime": mime,
                "sha256": ackreg_core::encoding::hex(&Sha256::digest(&f.bytes)),
            })
        })
        .collect();
    serde_json::to_string(&list).unwrap()
}

fn edoc_check(container: &Path, expected: &Path) -> Output {
    run_script("tests/interop/edoc_check.py", &[container, expected], &[])
}

/// Seals `source` into `target` with pyasice; returns its JSON report.
fn edoc_sign(source: &Path, target: &Path, time: &str) -> serde_json::Value {
    static CHECKED: OnceLock<()> = OnceLock::new();
    CHECKED.get_or_init(require_pyasice);
    let out = run_script(
        "tests/interop/edoc_sign.py",
        &[source, target],
        &[SIGNER, time],
    );
    assert!(
        out.status.success(),
        "edoc_sign.py failed:\n{}",
        output_text(&out)
    );
    serde_json::from_slice(&out.stdout).expect("edoc_sign.py prints JSON")
}

#[test]
fn python_zipfile_and_etree_read_the_container_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let files = export();
    let container = dir.path().join("export.edoc");
    std::fs::write(&container, edoc::write(&files).unwrap()).unwrap();
    let expected = dir.path().join("expected.json");
    std::fs::write(&expected, expected_json(&files, None)).unwrap();
    let out = edoc_check(&container, &expected);
    assert!(out.status.success(), "{}", output_text(&out));
    assert!(output_text(&out).contains("edoc_check: ok, 5 data files"));
}

#[test]
fn the_python_check_can_fail() {
    // The checker compares media types with the manifest: a wrong
    // expectation must fail it, or the test above proves nothing.
    let dir = tempfile::tempdir().unwrap();
    let files = export();
    let container = dir.path().join("export.edoc");
    std::fs::write(&container, edoc::write(&files).unwrap()).unwrap();
    let expected = dir.path().join("expected.json");
    std::fs::write(&expected, expected_json(&files, Some("text/plain"))).unwrap();
    let out = edoc_check(&container, &expected);
    assert_eq!(out.status.code(), Some(1), "{}", output_text(&out));
    assert!(output_text(&out).contains("edoc_check: manifest lists"));
}

#[test]
fn a_pyasice_seal_is_listed_with_signer_time_and_files() {
    let dir = tempfile::tempdir().unwrap();
    let files = export();
    let unsigned = dir.path().join("export.edoc");
    let sealed = dir.path().join("sealed.edoc");
    std::fs::write(&unsigned, edoc::write(&files).unwrap()).unwrap();
    let report = edoc_sign(&unsigned, &sealed, "2026-11-27T10:15:00Z");
    assert_eq!(
        report["signatures"],
        serde_json::json!(["META-INF/signatures1.xml"])
    );

    let container = edoc::read(&std::fs::read(&sealed).unwrap()).unwrap();
    assert_eq!(container.files, files, "the data files are unchanged");
    let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    let [SignatureInfo {
        file,
        signer,
        signing_time,
        ..
    }] = &container.signatures[..]
    else {
        panic!("one signature: {:?}", container.signatures);
    };
    assert_eq!(file, "META-INF/signatures1.xml");
    assert_eq!(signer.as_deref(), Some(SIGNER));
    assert_eq!(signing_time.as_deref(), Some("2026-11-27T10:15:00Z"));
    assert_eq!(container.signatures[0].covers(), names);
    // Every reference records the SHA-256 of its file as it is.
    let seals = edoc::seals::check(&container);
    assert_eq!(seals[0].covers(), names);
    assert!(seals[0].fails().is_empty());
}

#[test]
fn two_seals_are_both_listed_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let files = &export()[..2];
    let unsigned = dir.path().join("export.edoc");
    let once = dir.path().join("once.edoc");
    let twice = dir.path().join("twice.edoc");
    std::fs::write(&unsigned, edoc::write(files).unwrap()).unwrap();
    edoc_sign(&unsigned, &once, "2026-11-27T10:15:00Z");
    let report = edoc_sign(&once, &twice, "2026-11-28T08:00:00Z");
    assert_eq!(
        report["signatures"],
        serde_json::json!(["META-INF/signatures1.xml", "META-INF/signatures2.xml"])
    );
    let container = edoc::read(&std::fs::read(&twice).unwrap()).unwrap();
    let listed: Vec<(&str, Option<&str>)> = container
        .signatures
        .iter()
        .map(|s| (s.file.as_str(), s.signing_time.as_deref()))
        .collect();
    assert_eq!(
        listed,
        [
            ("META-INF/signatures1.xml", Some("2026-11-27T10:15:00Z")),
            ("META-INF/signatures2.xml", Some("2026-11-28T08:00:00Z")),
        ]
    );
    assert!(container
        .signatures
        .iter()
        .all(|s| s.covers() == ["rules.pdf", "log/checkpoint"]));
}

#[test]
fn a_sealed_container_cut_short_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let unsigned = dir.path().join("export.edoc");
    let sealed = dir.path().join("sealed.edoc");
    std::fs::write(&unsigned, edoc::write(&export()[..1]).unwrap()).unwrap();
    edoc_sign(&unsigned, &sealed, "2026-11-27T10:15:00Z");
    let bytes = std::fs::read(&sealed).unwrap();
    let error = edoc::read(&bytes[..bytes.len() - 10]).unwrap_err();
    assert_eq!(
        error.to_string(),
        "not an eDoc container: no ZIP end record (not a ZIP file, or cut short)"
    );
}

#[test]
fn the_cli_refuses_a_cut_container_with_exit_2_and_a_failed_export_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = edoc::write(&export()).unwrap();
    let cut = dir.path().join("cut.edoc");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let out = ackreg(dir.path())
        .arg("verify")
        .arg(&cut)
        .args(["--issuer", &"ab".repeat(32)])
        .run()
        .must_fail(2);
    let stderr = out.stderr();
    assert!(
        stderr.contains("cut.edoc: not an eDoc container: no ZIP end record"),
        "{stderr}"
    );
    // An export from a folder that is not a log fails and leaves no file.
    let target = dir.path().join("out.edoc");
    ackreg(dir.path())
        .args(["export", "--log"])
        .arg(dir.path().join("no-log"))
        .arg("--edoc")
        .arg(&target)
        .run()
        .must_fail(2);
    assert!(!target.exists());
}

// ---------------------------------------------------------------------------
// Issue 17, point 1: `ackreg verify FILE.edoc` checks every file it vouches
// for. The demo's log is exported and sealed with pyasice once; each case
// changes a copy with Python's `zipfile` (tests/interop/edoc_tamper.py) and
// runs the real binary on it.

/// The demo's folder, its export and the export sealed with pyasice.
struct Demo {
    dir: PathBuf,
    unsigned: PathBuf,
    sealed: PathBuf,
    /// The container's data files, in order.
    names: Vec<String>,
}

/// The demo, exported and sealed once for every test of this file, under
/// Cargo's temporary folder for integration tests.
fn demo() -> &'static Demo {
    static DEMO: OnceLock<Demo> = OnceLock::new();
    DEMO.get_or_init(|| {
        let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("edoc-demo");
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        let run = |args: &[&str], dir: &Path| {
            ackreg(dir).args(args).run().must_succeed();
        };
        run(&["demo", "--out", "d"], &root);
        let dir = root.join("d");
        run(&["export", "--log", "log", "--edoc", "kac.edoc"], &dir);
        let unsigned = dir.join("kac.edoc");
        let sealed = dir.join("sealed.edoc");
        edoc_sign(&unsigned, &sealed, "2026-12-01T09:00:00Z");
        let container = edoc::read(&std::fs::read(&unsigned).unwrap()).unwrap();
        let names = container.files.into_iter().map(|f| f.name).collect();
        Demo {
            dir,
            unsigned,
            sealed,
            names,
        }
    })
}

/// `ackreg verify FILE --issuer` the demo's issuer key; exit code and output.
fn verify_edoc(file: &Path, more: &[&str]) -> (i32, String) {
    let mut args = vec!["verify", file.to_str().unwrap()];
    args.extend_from_slice(&["--issuer", "direktors.pub.pem"]);
    args.extend_from_slice(more);
    let out = ackreg(&demo().dir).args(&args).run();
    (out.code().unwrap_or(-1), out.text())
}

/// `source` changed by edoc_tamper.py (`action` on `name`), in `dir`.
fn tampered(dir: &Path, source: &Path, action: &str, name: &[&str]) -> PathBuf {
    let target = dir.join(format!("{action}-{}.edoc", name[0].replace('/', "_")));
    let out = run_script(
        "tests/interop/edoc_tamper.py",
        &[source, &target],
        &[&[action][..], name].concat(),
    );
    assert!(
        out.status.success(),
        "edoc_tamper.py: {}",
        output_text(&out)
    );
    target
}

fn is_pdf(name: &str) -> bool {
    name.ends_with(".pdf")
}

#[test]
fn the_demo_export_and_its_seal_verify_file_by_file() {
    let demo = demo();
    assert!(demo.names.iter().any(|n| n == "noteikumi-1.pdf"));
    let (code, out) = verify_edoc(&demo.unsigned, &[]);
    assert_eq!(code, 0, "{out}");
    for step in [
        "8. [ok]   annex: pielikums-",
        "10. [ok]   documents",
        "11. [ok]   files",
        "12. [skip] seals",
        "VALID: 18 entries audited of 18",
    ] {
        assert!(out.contains(step), "{step} missing in {out}");
    }
    let (code, out) = verify_edoc(&demo.sealed, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("12. [ok]   seals: 1 signature: every one of their"),
        "{out}"
    );
    let all = demo.names.join(", ");
    assert!(
        out.contains(&format!(
            "signed by {SIGNER} at 2026-12-01T09:00:00Z, covering {all}\n"
        )),
        "{out}"
    );
}

#[test]
fn a_changed_file_fails_with_exit_1_naming_it() {
    // The reproduction: a few bytes appended to noteikumi-1.pdf.
    let demo = demo();
    let tmp = tempfile::tempdir().unwrap();
    for name in demo
        .names
        .iter()
        .filter(|n| is_pdf(n) || *n == "log/entries")
    {
        let changed = tampered(tmp.path(), &demo.unsigned, "append", &[name]);
        let (code, out) = verify_edoc(&changed, &[]);
        assert_eq!(code, 1, "{name}: {out}");
        assert!(out.contains(&format!("\n  file {name}: ")), "{name}: {out}");
        assert!(out.contains("\nINVALID"), "{name}: {out}");
    }
    // The log's own files are caught by the log's audit.
    for name in ["log/checkpoint", "log/checkpoints/10"] {
        let changed = tampered(tmp.path(), &demo.unsigned, "append", &[name]);
        let (code, out) = verify_edoc(&changed, &[]);
        assert_eq!(code, 1, "{name}: {out}");
    }
}

#[test]
fn a_seal_vouches_only_for_the_files_as_they_were_sealed() {
    let demo = demo();
    let tmp = tempfile::tempdir().unwrap();
    for name in &demo.names {
        let changed = tampered(tmp.path(), &demo.sealed, "append", &[name]);
        let (code, out) = verify_edoc(&changed, &[]);
        assert_eq!(code, 1, "{name}: {out}");
        let named = format!(
            "\n  file {name}: META-INF/signatures1.xml (signature 1): its SHA-256 is not the \
             digest the signature records: the file was changed after it was sealed (seals)\n"
        );
        assert!(out.contains(&named), "{name}: {out}");
        assert!(
            out.contains(&format!("; NOT covering {name} (step 12)")),
            "{out}"
        );
        assert!(out.contains("12. [FAIL] seals: 1 of "), "{out}");
    }
}

#[test]
fn a_removed_file_is_named() {
    let demo = demo();
    let tmp = tempfile::tempdir().unwrap();
    for name in demo.names.iter().filter(|n| is_pdf(n)) {
        let removed = tampered(tmp.path(), &demo.unsigned, "remove", &[name]);
        let (code, out) = verify_edoc(&removed, &[]);
        assert_eq!(code, 1, "{name}: {out}");
        assert!(
            out.contains(&format!("\n  file {name}: the ")),
            "{name}: {out}"
        );
        assert!(out.contains("is not in the container"), "{name}: {out}");
    }
    // A seal over files that are not there: every file it names is looked for.
    for name in &demo.names {
        let removed = tampered(tmp.path(), &demo.sealed, "remove", &[name]);
        let (code, out) = verify_edoc(&removed, &[]);
        if name == "log/entries" || name == "log/checkpoint" {
            assert_eq!(code, 2, "{name}: {out}");
            assert!(out.contains(&format!("holds no {name}")), "{out}");
            continue;
        }
        assert_eq!(code, 1, "{name}: {out}");
        let named = format!(
            "\n  file {name}: META-INF/signatures1.xml (signature 1): the signature names it, \
             but the container holds no such file (seals)\n"
        );
        assert!(out.contains(&named), "{name}: {out}");
    }
}

#[test]
fn an_added_or_renamed_file_is_named() {
    let demo = demo();
    let tmp = tempfile::tempdir().unwrap();
    let unaccounted = "the log does not account for it";
    for name in [
        "extra.pdf",
        "log/checkpoints/99",
        "log/checkpoints/notes.txt",
    ] {
        for source in [&demo.unsigned, &demo.sealed] {
            let added = tampered(tmp.path(), source, "add", &[name]);
            let (code, out) = verify_edoc(&added, &[]);
            assert_eq!(code, 1, "{name}: {out}");
            assert!(
                out.contains(&format!("\n  file {name}: {unaccounted}")),
                "{out}"
            );
            assert!(out.contains("11. [FAIL] files: 1 of "), "{out}");
        }
    }
    let renamed = tampered(
        tmp.path(),
        &demo.unsigned,
        "rename",
        &["noteikumi-1.pdf", "noteikumi-9.pdf"],
    );
    let (code, out) = verify_edoc(&renamed, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("\n  file noteikumi-1.pdf: the rules PDF of version 1 is not in the container (documents)\n"), "{out}");
    assert!(
        out.contains(&format!("\n  file noteikumi-9.pdf: {unaccounted}")),
        "{out}"
    );
}

#[test]
fn another_meta_inf_file_is_listed_not_refused() {
    let demo = demo();
    let tmp = tempfile::tempdir().unwrap();
    for source in [&demo.unsigned, &demo.sealed] {
        let added = tampered(tmp.path(), source, "meta", &["ASiCArchiveManifest.xml"]);
        let (code, out) = verify_edoc(&added, &[]);
        assert_eq!(code, 0, "{out}");
        assert!(
            out.contains("\n  note: META-INF/ASiCArchiveManifest.xml is not read by ackreg"),
            "{out}"
        );
    }
}

#[test]
fn the_json_report_names_the_failing_file() {
    let demo = demo();
    let tmp = tempfile::tempdir().unwrap();
    let changed = tampered(tmp.path(), &demo.sealed, "append", &["noteikumi-1.pdf"]);
    let (code, out) = verify_edoc(&changed, &["--json"]);
    assert_eq!(code, 1, "{out}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let files: Vec<(&str, &str)> = report["file_problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["file"].as_str().unwrap(), p["step"].as_str().unwrap()))
        .collect();
    assert_eq!(
        files,
        [
            ("noteikumi-1.pdf", "documents"),
            ("noteikumi-1.pdf", "seals")
        ]
    );
}

/// `tests/fixtures/log.edoc` was exported from `tests/fixtures/log` by
/// ackreg before these checks existed (tests/fixtures/make-edoc.sh): what
/// it wrote keeps verifying.
#[test]
fn a_container_written_before_these_checks_still_verifies() {
    let dir = repo_file("tests/fixtures");
    let out = ackreg(&dir)
        .args([
            "verify",
            "log.edoc",
            "--issuer",
            "issuer-rfc8032-test1.pub.pem",
        ])
        .run()
        .must_succeed();
    let text = out.text();
    for step in [
        "10. [ok]   documents",
        "11. [ok]   files",
        "12. [skip] seals",
    ] {
        assert!(text.contains(step), "{step} missing in {text}");
    }
}
