//! Logs the real binary writes, against Go's `golang.org/x/mod/sumdb/note`
//! and `sumdb/tlog` (the Go checksum database's code; Debian's package
//! `golang-golang-x-mod-dev`), through the checker
//! `crates/tlog/tests/interop/go/xmodcheck.go`: the log's checkpoints
//! verify with `note.Open` under the log's verifier key, `ackreg log
//! receipt`'s tlog-proofs (entries zlib-compressed) with `tlog.CheckRecord`,
//! and two checkpoints the log signed are consistent by `tlog.CheckTree`
//! (the proof made here with the `tlog` crate from the log's entries: ackreg
//! has no command that prints one). Tampered files are refused.
//!
//! Go and x/mod are required: without them these tests fail with what to
//! install (`scripts/test` installs them).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use ackreg_core::keys;
use ed25519_dalek::SigningKey;
use tlog::encoding::b64;
use tlog::merkle::{self, MemoryTree};
use tlog::tlogproof::TlogProof;

use crate::common::ackreg;

/// Where Debian's golang-golang-x-mod-dev puts x/mod (GOPATH layout).
const GOPATH: &str = "/usr/share/gocode";

const INSTALL: &str = "Go and Go's x/mod are required for this test: \
     `apt-get install golang-go golang-golang-x-mod-dev` (or `bash scripts/test`)";

/// The demo organisation's log: units, three documents, joins, a move, a
/// departure, acknowledgements (format 0.3).
const LOG: &str = "organizacija/log";
const ORIGIN: &str = "aknistesnovads.lv/dokumenti";

/// The checker, built once per test process (fails the test, with what to
/// install, when Go or x/mod is missing).
fn xmodcheck_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(build_xmodcheck)
}

/// `go build` offline: GOPATH mode on Debian's tree, no proxy, no toolchain
/// download, the build cache under the target directory; built under a
/// name of its own, then renamed into place.
fn build_xmodcheck() -> PathBuf {
    let version = Command::new("go").arg("version").output();
    assert!(
        version.as_ref().is_ok_and(|o| o.status.success()),
        "{INSTALL}: `go version` does not run ({version:?})"
    );
    let note = Path::new(GOPATH).join("src/golang.org/x/mod/sumdb/note");
    assert!(note.is_dir(), "{INSTALL}: {} is missing", note.display());
    let source =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/tlog/tests/interop/go/xmodcheck.go");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let binary = dir.join("xmodcheck");
    let partial = dir.join(format!("xmodcheck.{}", std::process::id()));
    let out = Command::new("go")
        .args(["build", "-o"])
        .arg(&partial)
        .arg(source)
        .env("GO111MODULE", "off")
        .env("GOPATH", GOPATH)
        .env("GOCACHE", dir.join("go-build"))
        .env("GOPROXY", "off")
        .env("GOTOOLCHAIN", "local")
        .env("GOFLAGS", "")
        .env("GOENV", "off")
        .env("CGO_ENABLED", "0")
        .output()
        .expect("go runs");
    assert!(
        out.status.success(),
        "go build of xmodcheck.go failed ({INSTALL}):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    fs::rename(&partial, &binary).expect("the built checker is moved into place");
    binary
}

/// Runs the checker; its exit code and everything it said.
pub(crate) fn xmodcheck<S: AsRef<str>>(args: &[S]) -> (i32, String) {
    let out = Command::new(xmodcheck_binary())
        .args(args.iter().map(AsRef::as_ref))
        .output()
        .expect("xmodcheck runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

/// Exit code 0 and one `OK` line for each of the `files` checked.
fn assert_accepts(result: (i32, String), files: usize) {
    assert_eq!(result.0, 0, "Go refuses: {}", result.1);
    let ok = result.1.lines().filter(|l| l.starts_with("OK ")).count();
    assert_eq!(ok, files, "{}", result.1);
}

/// Exit code 1 is a refusal; anything else must not pass for one.
fn assert_refuses(result: (i32, String), reason: &str) {
    assert_eq!(result.0, 1, "Go does not refuse: {}", result.1);
    assert!(result.1.contains(reason), "wrong reason: {}", result.1);
}

fn run_ok(d: &Path, args: &[&str]) -> String {
    ackreg(d).args(args).run().must_succeed().stdout()
}

/// The demo, then an administrator and her signed request (format 0.4)
/// in the organisation's log; returns the temporary folder and the demo's.
fn demo_with_administrator() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    run_ok(tmp.path(), &["demo", "--out", "d"]);
    let d = tmp.path().join("d");
    let admin = SigningKey::from_bytes(&[3; 32]);
    let secret = keys::encode_secret_key(&admin, None).unwrap();
    fs::write(d.join("admin.key"), secret.as_bytes()).unwrap();
    let public = keys::encode_public_key(&admin.verifying_key()).unwrap();
    fs::write(d.join("admin.pub.pem"), public).unwrap();
    let issuer = ["--issuer-key", "secret/direktors.key"];
    let mut args = vec!["log", "admin", LOG];
    args.extend(issuer);
    args.extend(["--id", "ivarna", "--name", "Ilze Vārna"]);
    args.extend(["--public-key", "admin.pub.pem", "--date", "2019-10-01"]);
    run_ok(&d, &args);
    fs::write(
        d.join("unit.entries"),
        "{\"kind\":\"unit\",\"id\":\"finanses\",\"name\":\"Finanšu nodaļa\"}\n",
    )
    .unwrap();
    let mut args = vec!["log", "request", LOG];
    args.extend(issuer);
    args.extend(["--admin-key", "admin.key", "--admin", "ivarna"]);
    args.extend([
        "--action",
        "izveidot finanšu nodaļu",
        "--date",
        "2019-10-02",
    ]);
    args.push("unit.entries");
    run_ok(&d, &args);
    (tmp, d)
}

/// The log's entries, without their line feeds.
fn entries(log: &Path) -> Vec<Vec<u8>> {
    fs::read(log.join("entries"))
        .unwrap()
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}

fn kind(entry: &[u8]) -> String {
    let value: serde_json::Value = serde_json::from_slice(entry).unwrap();
    value["kind"].as_str().unwrap().to_owned()
}

/// The issuer's verifier key as ackreg makes it, and the same as Go's
/// `note.NewEd25519VerifierKey` makes it from the public key.
fn issuer_vkey(d: &Path, origin: &str) -> String {
    let key = keys::decode_public_key(&fs::read(d.join("direktors.pub.pem")).unwrap()).unwrap();
    let vkey = tlog::note::vkey(origin, &key);
    let (code, out) = xmodcheck(&["vkey", origin, &b64(key.as_bytes())]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out.trim_end(), vkey);
    vkey
}

/// The sizes of the checkpoints the log keeps, smallest first.
fn kept_checkpoints(log: &Path) -> Vec<u64> {
    let mut sizes: Vec<u64> = fs::read_dir(log.join("checkpoints"))
        .unwrap()
        .filter_map(|e| e.unwrap().file_name().to_str()?.parse().ok())
        .collect();
    sizes.sort_unstable();
    sizes
}

/// `ackreg log receipt` of entry `index`, against the newest checkpoint or
/// the kept one of `against` entries.
fn receipt(d: &Path, index: usize, against: Option<u64>) -> PathBuf {
    let name = match against {
        Some(size) => format!("r-{index}-at-{size}.tlog-proof"),
        None => format!("r-{index}.tlog-proof"),
    };
    let (index, output) = (index.to_string(), d.join(&name));
    let mut args = vec!["log", "receipt", LOG, "--index", &index, "-o", &name];
    let size = against.map(|s| s.to_string());
    if let Some(size) = &size {
        args.extend(["--checkpoint", size]);
    }
    run_ok(d, &args);
    output
}

/// The entry in a receipt's extra data is zlib-compressed (0x78).
fn extra_is_zlib(receipt: &Path) -> bool {
    let proof = TlogProof::parse(&fs::read(receipt).unwrap()).unwrap();
    proof.extra.is_some_and(|e| e.first() == Some(&b'x'))
}

#[test]
fn go_accepts_the_checkpoints_and_receipts_of_a_multi_document_log_with_administrators() {
    let (_tmp, d) = demo_with_administrator();
    let log = d.join(LOG);
    let entries = entries(&log);
    let kinds: Vec<String> = entries.iter().map(|e| kind(e)).collect();
    for wanted in [
        "log", "unit", "document", "version", "join", "enrol", "ack", "leave", "move", "admin",
        "request",
    ] {
        assert!(kinds.iter().any(|k| k == wanted), "no {wanted}: {kinds:?}");
    }
    let vkey = issuer_vkey(&d, ORIGIN);
    // The newest checkpoint and every kept one.
    let sizes = kept_checkpoints(&log);
    assert!(sizes.len() >= 3, "{sizes:?}");
    let mut args = vec![
        "checkpoint".to_owned(),
        vkey.clone(),
        log.join("checkpoint").to_str().unwrap().to_owned(),
    ];
    for size in &sizes {
        args.push(
            log.join(format!("checkpoints/{size}"))
                .to_str()
                .unwrap()
                .to_owned(),
        );
    }
    assert_accepts(xmodcheck(&args), sizes.len() + 1);
    // A receipt of one entry of each kind (the first of it), of the last
    // entry, and one against an older kept checkpoint.
    let mut indexes: Vec<usize> = Vec::new();
    for (i, k) in kinds.iter().enumerate() {
        if !kinds[..i].contains(k) {
            indexes.push(i);
        }
    }
    indexes.push(entries.len() - 1);
    let mut receipts: Vec<PathBuf> = indexes.iter().map(|&i| receipt(&d, i, None)).collect();
    let older = sizes[0];
    receipts.push(receipt(&d, older as usize - 1, Some(older)));
    assert!(receipts.iter().all(|r| extra_is_zlib(r)));
    let mut args = vec!["proof".to_owned(), "-ackreg-extra".to_owned(), vkey.clone()];
    args.extend(receipts.iter().map(|r| r.to_str().unwrap().to_owned()));
    let (code, out) = xmodcheck(&args);
    assert_accepts((code, out.clone()), receipts.len());
    let newest = format!("in {} entries", entries.len());
    assert_eq!(out.matches(&newest).count(), indexes.len(), "{out}");
    // The demo's receipts of its one-document log, under that log's name.
    let kac = issuer_vkey(&d, "aknistesnovads.lv/kac");
    let demo_receipts: Vec<PathBuf> = fs::read_dir(d.join("receipts"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(!demo_receipts.is_empty());
    let mut args = vec!["proof".to_owned(), "-ackreg-extra".to_owned(), kac];
    args.extend(demo_receipts.iter().map(|r| r.to_str().unwrap().to_owned()));
    assert_accepts(xmodcheck(&args), demo_receipts.len());
}

/// The log's tree, rebuilt from its entries with the `tlog` crate.
fn tree(entries: &[Vec<u8>]) -> MemoryTree {
    let mut tree = MemoryTree::new();
    for entry in entries {
        tree.push(merkle::leaf_hash(entry));
    }
    tree
}

fn write_hashes(path: &str, hashes: &[[u8; 32]]) {
    let text: String = hashes.iter().map(|h| format!("{}\n", b64(h))).collect();
    fs::write(path, text).unwrap();
}

fn path(p: &Path) -> String {
    p.to_str().unwrap().to_owned()
}

#[test]
fn go_finds_the_logs_kept_checkpoints_consistent() {
    let (_tmp, d) = demo_with_administrator();
    let log = d.join(LOG);
    let vkey = issuer_vkey(&d, ORIGIN);
    let tree = tree(&entries(&log));
    let sizes = kept_checkpoints(&log);
    let checkpoint = |size: u64| path(&log.join(format!("checkpoints/{size}")));
    let hashes = path(&d.join("consistency"));
    for (i, &old) in sizes.iter().enumerate() {
        for &new in &sizes[i..] {
            write_hashes(
                &hashes,
                &merkle::consistency_proof(&tree, old, new).unwrap(),
            );
            let args = [
                "consistency",
                &vkey,
                &checkpoint(old),
                &checkpoint(new),
                &hashes,
            ];
            assert_accepts(xmodcheck(&args), 1);
        }
    }
    // The proof between the first two kept checkpoints does not fit the
    // first and the newest, nor the two the other way round.
    let (first, second, last) = (sizes[0], sizes[1], *sizes.last().unwrap());
    write_hashes(
        &hashes,
        &merkle::consistency_proof(&tree, first, second).unwrap(),
    );
    for (old, new) in [(first, last), (second, first)] {
        let args = [
            "consistency",
            &vkey,
            &checkpoint(old),
            &checkpoint(new),
            &hashes,
        ];
        assert_refuses(xmodcheck(&args), "tlog.CheckTree");
    }
}

/// `text` with the character at `at` changed to another base64 character.
fn change_char(text: &str, at: usize) -> String {
    let mut text = text.to_owned();
    let changed = if &text[at..=at] == "A" { "B" } else { "A" };
    text.replace_range(at..=at, changed);
    text
}

#[test]
fn go_refuses_tampered_checkpoints_and_receipts() {
    let (_tmp, d) = demo_with_administrator();
    let log = d.join(LOG);
    let vkey = issuer_vkey(&d, ORIGIN);
    let good = fs::read_to_string(log.join("checkpoint")).unwrap();
    // One changed byte in the signature (past the 4-byte key ID).
    let at = good.rfind(' ').unwrap() + 1 + 12;
    let bad = d.join("bad-signature");
    fs::write(&bad, change_char(&good, at)).unwrap();
    let args = ["checkpoint", &vkey, &path(&bad)];
    assert_refuses(xmodcheck(&args), "invalid signature");
    // The receipt of the request entry, untouched, then with another
    // index, a changed root and a changed signature in its checkpoint.
    let index = entries(&log)
        .iter()
        .position(|e| kind(e) == "request")
        .unwrap();
    let good = TlogProof::parse(&fs::read(receipt(&d, index, None)).unwrap()).unwrap();
    let check = |name: &str, proof: &TlogProof| {
        let file = d.join(name);
        fs::write(&file, proof.to_bytes()).unwrap();
        xmodcheck(&["proof", "-ackreg-extra", &vkey, &path(&file)])
    };
    assert_accepts(check("good", &good), 1);
    let mut wrong_index = good.clone();
    wrong_index.index -= 1;
    assert_refuses(check("wrong-index", &wrong_index), "tlog.CheckRecord");
    let text = String::from_utf8(good.checkpoint.clone()).unwrap();
    let root_line = text.match_indices('\n').nth(1).unwrap().0 + 1;
    let mut wrong_root = good.clone();
    wrong_root.checkpoint = change_char(&text, root_line + 5).into_bytes();
    assert_refuses(check("wrong-root", &wrong_root), "invalid signature");
    let mut bad_signature = good.clone();
    let at = text.rfind(' ').unwrap() + 1 + 12;
    bad_signature.checkpoint = change_char(&text, at).into_bytes();
    assert_refuses(check("bad-signature", &bad_signature), "invalid signature");
}
