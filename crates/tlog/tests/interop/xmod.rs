//! The crate's checkpoints, proofs and tlog-proofs against Go's
//! `golang.org/x/mod/sumdb/note` and `sumdb/tlog` (the Go checksum
//! database's code; Debian's package `golang-golang-x-mod-dev`), through
//! `tests/interop/go/xmodcheck.go`: signatures are `note.Open`'s,
//! inclusion `tlog.CheckRecord`'s, consistency `tlog.CheckTree`'s, leaf
//! hashes `tlog.RecordHash`'s.
//!
//! Go and x/mod are required: without them these tests fail with what to
//! install (`scripts/test` installs them). The checker is built once per
//! test process, offline, in GOPATH mode against Debian's
//! `/usr/share/gocode`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use ed25519_dalek::SigningKey;
use tlog::checkpoint::{Checkpoint, SignedCheckpoint};
use tlog::encoding::b64;
use tlog::merkle::{self, MemoryTree};
use tlog::note::{vkey, SignedNote};
use tlog::tlogproof::TlogProof;

const ORIGIN: &str = "example.com/ackreg-xmod";

/// Where Debian's golang-golang-x-mod-dev puts x/mod (GOPATH layout).
const GOPATH: &str = "/usr/share/gocode";

const INSTALL: &str = "Go and Go's x/mod are required for this test: \
     `apt-get install golang-go golang-golang-x-mod-dev` (or `bash scripts/test`)";

fn repo_file(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// The checker, built once per test process (fails the test, with what to
/// install, when Go or x/mod is missing).
fn xmodcheck_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(build_xmodcheck)
}

/// `go build` offline: GOPATH mode on Debian's tree, no proxy, no toolchain
/// download, the build cache under the target directory. Built under a
/// name of its own, then renamed into place, so that test processes never
/// run a half-written binary.
fn build_xmodcheck() -> PathBuf {
    let version = Command::new("go").arg("version").output();
    assert!(
        version.as_ref().is_ok_and(|o| o.status.success()),
        "{INSTALL}: `go version` does not run ({version:?})"
    );
    let note = Path::new(GOPATH).join("src/golang.org/x/mod/sumdb/note");
    assert!(note.is_dir(), "{INSTALL}: {} is missing", note.display());
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let binary = dir.join("xmodcheck");
    let partial = dir.join(format!("xmodcheck.{}", std::process::id()));
    let out = Command::new("go")
        .args(["build", "-o"])
        .arg(&partial)
        .arg(repo_file("tests/interop/go/xmodcheck.go"))
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
    std::fs::rename(&partial, &binary).expect("the built checker is moved into place");
    binary
}

/// Runs the checker; its exit code and everything it said.
fn xmodcheck(args: &[&str]) -> (i32, String) {
    let out = Command::new(xmodcheck_binary())
        .args(args)
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
    assert_eq!(result.0, 0, "refused: {}", result.1);
    let ok = result.1.lines().filter(|l| l.starts_with("OK ")).count();
    assert_eq!(ok, files, "{}", result.1);
}

/// Exit code 1 is a refusal; anything else (a crash, a usage error) must
/// not pass for one.
fn assert_refuses(result: (i32, String), reason: &str) {
    assert_eq!(result.0, 1, "not refused: {}", result.1);
    assert!(result.1.contains("REFUSED "), "{}", result.1);
    assert!(result.1.contains(reason), "wrong reason: {}", result.1);
}

/// RFC 8032, section 7.1, test 1.
fn test_key() -> SigningKey {
    SigningKey::from_bytes(
        &tlog::encoding::hex32("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
            .unwrap(),
    )
}

/// A log of `n` entries, its tree and its checkpoint, all made by this
/// crate, and a folder for the files the checker reads.
struct Log {
    dir: tempfile::TempDir,
    entries: Vec<Vec<u8>>,
    tree: MemoryTree,
}

impl Log {
    fn new(n: usize) -> Log {
        let entries: Vec<Vec<u8>> = (0..n)
            .map(|i| format!("{{\"entry\":{i}}}").into_bytes())
            .collect();
        let mut tree = MemoryTree::new();
        for entry in &entries {
            tree.push(merkle::leaf_hash(entry));
        }
        Log {
            dir: tempfile::tempdir().unwrap(),
            entries,
            tree,
        }
    }

    fn vkey(&self) -> String {
        vkey(ORIGIN, &test_key().verifying_key())
    }

    /// The signed checkpoint of the first `size` entries.
    fn checkpoint(&self, size: u64) -> SignedCheckpoint {
        let checkpoint = Checkpoint {
            origin: ORIGIN.into(),
            size,
            root: merkle::root(&self.tree, size).unwrap(),
            extensions: vec![],
        };
        SignedCheckpoint::sign(checkpoint, &test_key()).unwrap()
    }

    fn inclusion(&self, index: u64, size: u64) -> Vec<[u8; 32]> {
        merkle::inclusion_proof(&self.tree, index, size).unwrap()
    }

    fn consistency(&self, old: u64, new: u64) -> Vec<[u8; 32]> {
        merkle::consistency_proof(&self.tree, old, new).unwrap()
    }

    /// The tlog-proof of entry `index` against the checkpoint of all
    /// entries, the entry verbatim as its extra data.
    fn tlog_proof(&self, index: usize) -> TlogProof {
        let size = self.entries.len() as u64;
        TlogProof {
            extra: Some(self.entries[index].clone()),
            index: index as u64,
            proof: self.inclusion(index as u64, size),
            checkpoint: self.checkpoint(size).to_bytes(),
        }
    }

    fn write(&self, name: &str, bytes: &[u8]) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path.to_str().unwrap().to_owned()
    }

    fn write_hashes(&self, name: &str, hashes: &[[u8; 32]]) -> String {
        let text: String = hashes.iter().map(|h| format!("{}\n", b64(h))).collect();
        self.write(name, text.as_bytes())
    }
}

const SIZES: [usize; 7] = [1, 2, 3, 5, 7, 8, 13];

#[test]
fn go_derives_the_same_verifier_key() {
    for seed in [[7u8; 32], test_key().to_bytes()] {
        let key = SigningKey::from_bytes(&seed).verifying_key();
        let (code, out) = xmodcheck(&["vkey", ORIGIN, &b64(key.as_bytes())]);
        assert_eq!(code, 0, "{out}");
        assert_eq!(out.trim_end(), vkey(ORIGIN, &key));
    }
}

#[test]
fn go_accepts_our_checkpoints() {
    let log = Log::new(13);
    let vkey = log.vkey();
    let files: Vec<String> = (1..=13)
        .map(|size| log.write(&format!("{size}.note"), &log.checkpoint(size).to_bytes()))
        .collect();
    let mut args = vec!["checkpoint", vkey.as_str()];
    args.extend(files.iter().map(String::as_str));
    assert_accepts(xmodcheck(&args), files.len());
    // The committed vectors: a witness's cosignature (a key Go is not
    // given) is ignored, as C2SP requires.
    let vectors = repo_file("tests/vectors/note");
    for (vkey_file, notes) in [
        (
            "ackreg-test.vkey",
            &["checkpoint-5.note", "checkpoint-5-cosigned.note"][..],
        ),
        ("multidoc.vkey", &["multidoc-checkpoint-12.note"][..]),
        ("admins.vkey", &["admins-checkpoint-7.note"][..]),
    ] {
        let vkey = std::fs::read_to_string(vectors.join(vkey_file)).unwrap();
        let paths: Vec<String> = notes
            .iter()
            .map(|n| vectors.join(n).to_str().unwrap().to_owned())
            .collect();
        let mut args = vec!["checkpoint", vkey.trim_end()];
        args.extend(paths.iter().map(String::as_str));
        assert_accepts(xmodcheck(&args), notes.len());
    }
}

#[test]
fn go_accepts_our_inclusion_proofs() {
    for n in SIZES {
        let log = Log::new(n);
        let vkey = log.vkey();
        let checkpoint = log.write("checkpoint", &log.checkpoint(n as u64).to_bytes());
        for index in 0..n {
            let entry = log.write("entry", &log.entries[index]);
            let hashes = log.write_hashes("hashes", &log.inclusion(index as u64, n as u64));
            let index = index.to_string();
            let args = ["inclusion", &vkey, &checkpoint, &index, &entry, &hashes];
            assert_accepts(xmodcheck(&args), 1);
        }
    }
}

#[test]
fn go_accepts_our_consistency_proofs() {
    let n = 13;
    let log = Log::new(n);
    let vkey = log.vkey();
    for new in 1..=n as u64 {
        let newer = log.write("new.note", &log.checkpoint(new).to_bytes());
        for old in 1..=new {
            let older = log.write("old.note", &log.checkpoint(old).to_bytes());
            let hashes = log.write_hashes("hashes", &log.consistency(old, new));
            let args = ["consistency", &vkey, &older, &newer, &hashes];
            assert_accepts(xmodcheck(&args), 1);
        }
    }
}

#[test]
fn go_accepts_our_tlog_proofs() {
    for n in SIZES {
        let log = Log::new(n);
        let vkey = log.vkey();
        let files: Vec<String> = (0..n)
            .map(|i| log.write(&format!("{i}.tlog-proof"), &log.tlog_proof(i).to_bytes()))
            .collect();
        let mut args = vec!["proof", vkey.as_str()];
        args.extend(files.iter().map(String::as_str));
        assert_accepts(xmodcheck(&args), n);
        // The entries begin with `{`: ackreg's layout reads them verbatim.
        args.insert(1, "-ackreg-extra");
        assert_accepts(xmodcheck(&args), n);
    }
    // The committed vectors: ackreg's receipts, the entry zlib-compressed
    // and verbatim, and a plain tlog-proof.
    let vectors = repo_file("tests/vectors/note");
    let file = |name: &str| vectors.join(name).to_str().unwrap().to_owned();
    let key = |name: &str| {
        let v = std::fs::read_to_string(vectors.join(name)).unwrap();
        v.trim_end().to_owned()
    };
    let multidoc = key("multidoc.vkey");
    let compressed = file("multidoc-entry-9.tlog-proof");
    let verbatim = file("multidoc-entry-9-verbatim.tlog-proof");
    let args = ["proof", "-ackreg-extra", &multidoc, &compressed, &verbatim];
    assert_accepts(xmodcheck(&args), 2);
    // Read as the entry itself, the compressed extra data is not the leaf.
    assert_refuses(
        xmodcheck(&["proof", &multidoc, &compressed]),
        "tlog.CheckRecord",
    );
    let admins = key("admins.vkey");
    let receipt = file("admins-entry-3.tlog-proof");
    assert_accepts(xmodcheck(&["proof", "-ackreg-extra", &admins, &receipt]), 1);
    let plain = file("entry-2.tlog-proof");
    let args = ["proof", &key("ackreg-test.vkey"), &plain];
    assert_accepts(xmodcheck(&args), 1);
}

/// One changed character of a checkpoint's signature line.
fn tamper_signature(note: &[u8]) -> Vec<u8> {
    let mut text = String::from_utf8(note.to_vec()).unwrap();
    // Inside the last line's base64, past the key ID.
    let at = text.rfind(' ').unwrap() + 1 + 12;
    let changed = if &text[at..=at] == "A" { "B" } else { "A" };
    text.replace_range(at..=at, changed);
    text.into_bytes()
}

#[test]
fn go_refuses_tampered_checkpoints() {
    let log = Log::new(7);
    let vkey = log.vkey();
    let good = log.checkpoint(7).to_bytes();
    let bad_signature = log.write("bad-signature", &tamper_signature(&good));
    assert_refuses(
        xmodcheck(&["checkpoint", &vkey, &bad_signature]),
        "invalid signature",
    );
    let text = String::from_utf8(good.clone()).unwrap();
    let bigger = log.write("bigger", text.replacen("\n7\n", "\n8\n", 1).as_bytes());
    assert_refuses(
        xmodcheck(&["checkpoint", &vkey, &bigger]),
        "invalid signature",
    );
    let checkpoint = log.write("checkpoint", &good);
    let other = vkey_of(&SigningKey::from_bytes(&[7; 32]));
    assert_refuses(
        xmodcheck(&["checkpoint", &other, &checkpoint]),
        "no verifiable signatures",
    );
    // Signed by the right key under a name that is not the origin.
    let renamed = SignedNote::sign(
        log.checkpoint(7).note.text(),
        "example.com/other",
        &test_key(),
    );
    let renamed = log.write("renamed", &renamed.unwrap().to_bytes());
    let renamed_vkey = tlog::note::vkey("example.com/other", &test_key().verifying_key());
    assert_refuses(
        xmodcheck(&["checkpoint", &renamed_vkey, &renamed]),
        "is not the key name",
    );
}

fn vkey_of(key: &SigningKey) -> String {
    vkey(ORIGIN, &key.verifying_key())
}

#[test]
fn go_refuses_wrong_inclusion_and_consistency_proofs() {
    let log = Log::new(7);
    let vkey = log.vkey();
    let checkpoint = log.write("checkpoint", &log.checkpoint(7).to_bytes());
    let entry = log.write("entry", &log.entries[5]);
    let hashes = log.write_hashes("hashes", &log.inclusion(5, 7));
    assert_accepts(
        xmodcheck(&["inclusion", &vkey, &checkpoint, "5", &entry, &hashes]),
        1,
    );
    // A wrong index, a wrong entry, a changed proof hash.
    assert_refuses(
        xmodcheck(&["inclusion", &vkey, &checkpoint, "4", &entry, &hashes]),
        "tlog.CheckRecord",
    );
    let other_entry = log.write("other-entry", &log.entries[4]);
    assert_refuses(
        xmodcheck(&["inclusion", &vkey, &checkpoint, "5", &other_entry, &hashes]),
        "tlog.CheckRecord",
    );
    let mut proof = log.inclusion(5, 7);
    proof[1][0] ^= 1;
    let changed = log.write_hashes("changed", &proof);
    assert_refuses(
        xmodcheck(&["inclusion", &vkey, &checkpoint, "5", &entry, &changed]),
        "tlog.CheckRecord",
    );
    // A root changed by one byte, signed by the log's key: the signature
    // verifies, the proof does not lead to it.
    let mut wrong_root = log.checkpoint(7).checkpoint;
    wrong_root.root[0] ^= 1;
    let wrong_root = SignedCheckpoint::sign(wrong_root, &test_key()).unwrap();
    let wrong_root = log.write("wrong-root", &wrong_root.to_bytes());
    assert_refuses(
        xmodcheck(&["inclusion", &vkey, &wrong_root, "5", &entry, &hashes]),
        "tlog.CheckRecord",
    );
    // Consistency: the right proof between 3 and 7 entries, then a changed
    // hash, a wrong older root and swapped checkpoints.
    let older = log.write("old", &log.checkpoint(3).to_bytes());
    let consistency = log.write_hashes("consistency", &log.consistency(3, 7));
    assert_accepts(
        xmodcheck(&["consistency", &vkey, &older, &checkpoint, &consistency]),
        1,
    );
    let mut proof = log.consistency(3, 7);
    proof[0][31] ^= 1;
    let changed = log.write_hashes("changed-consistency", &proof);
    assert_refuses(
        xmodcheck(&["consistency", &vkey, &older, &checkpoint, &changed]),
        "tlog.CheckTree",
    );
    assert_refuses(
        xmodcheck(&["consistency", &vkey, &older, &wrong_root, &consistency]),
        "tlog.CheckTree",
    );
    let four = log.write("four", &log.checkpoint(4).to_bytes());
    assert_refuses(
        xmodcheck(&["consistency", &vkey, &four, &checkpoint, &consistency]),
        "tlog.CheckTree",
    );
}

#[test]
fn go_refuses_tampered_tlog_proofs() {
    let log = Log::new(7);
    let vkey = log.vkey();
    let good = log.write("good", &log.tlog_proof(5).to_bytes());
    assert_accepts(xmodcheck(&["proof", &vkey, &good]), 1);
    let mut proof = log.tlog_proof(5);
    proof.index = 4;
    let wrong_index = log.write("wrong-index", &proof.to_bytes());
    assert_refuses(
        xmodcheck(&["proof", &vkey, &wrong_index]),
        "tlog.CheckRecord",
    );
    let mut proof = log.tlog_proof(5);
    proof.extra = Some(log.entries[4].clone());
    let wrong_entry = log.write("wrong-entry", &proof.to_bytes());
    assert_refuses(
        xmodcheck(&["proof", &vkey, &wrong_entry]),
        "tlog.CheckRecord",
    );
    let mut proof = log.tlog_proof(5);
    proof.checkpoint = tamper_signature(&proof.checkpoint);
    let bad_signature = log.write("bad-signature", &proof.to_bytes());
    assert_refuses(
        xmodcheck(&["proof", &vkey, &bad_signature]),
        "invalid signature",
    );
    // ackreg's layout refuses extra data that is neither `{` nor `x`.
    let mut proof = log.tlog_proof(5);
    proof.extra = Some(b"entry".to_vec());
    let unknown = log.write("unknown-layout", &proof.to_bytes());
    assert_refuses(
        xmodcheck(&["proof", "-ackreg-extra", &vkey, &unknown]),
        "neither",
    );
}
