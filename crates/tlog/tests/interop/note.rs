//! Interoperability of the log's formats: checkpoints and tlog proofs that
//! ackreg writes are accepted by implementations that share no code with
//! it, and tampered ones are refused.
//!
//! - `tests/interop/c2sp_check.py`: a checker written from the C2SP
//!   specifications with the Python package `cryptography`.
//! - `tests/interop/tlog_scales_check.py`: the published PyPI package
//!   `tlog-scales`, which verifies Ed25519 checkpoints with standard key ids.
//!
//! Both Python packages are required: a missing one fails these tests
//! (CI installs them, see `.ci/run`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use ed25519_dalek::SigningKey;
use sha2::{Digest, Sha256};
use tlog::checkpoint::{Checkpoint, SignedCheckpoint};
use tlog::note::{vkey, SignedNote};
use tlog::tlogproof::TlogProof;

const ORIGIN: &str = "example.com/ackreg-test";

/// RFC 8032, section 7.1, test 1.
fn test_key() -> SigningKey {
    SigningKey::from_bytes(
        &tlog::encoding::hex32("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
            .unwrap(),
    )
}

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

/// Fails the test, with what to install, unless Python can import `module`.
fn require_python(module: &str, package: &str) {
    let out = Command::new(python())
        .args(["-c", &format!("import {module}")])
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "the Python package `{package}` is required for this test: \
         `python3 -m pip install {package}`\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs a checker script; its exit code and its output.
fn run(script: &str, args: &[&str]) -> (i32, String) {
    let out = Command::new(python())
        .arg(repo_file(script))
        .args(args)
        .output()
        .expect("python3 runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

fn c2sp_check(args: &[&str]) -> (i32, String) {
    static CHECKED: OnceLock<()> = OnceLock::new();
    CHECKED.get_or_init(|| require_python("cryptography", "cryptography"));
    run("tests/interop/c2sp_check.py", args)
}

fn tlog_scales(args: &[&str]) -> (i32, String) {
    static CHECKED: OnceLock<()> = OnceLock::new();
    CHECKED.get_or_init(|| require_python("tlog_scales", "tlog-scales"));
    run("tests/interop/tlog_scales_check.py", args)
}

/// Exit code 0 and one `OK` line for each of the `files` checked.
fn assert_accepts(result: (i32, String), files: usize) {
    assert_eq!(result.0, 0, "refused: {}", result.1);
    let ok = result.1.lines().filter(|l| l.starts_with("OK ")).count();
    assert_eq!(ok, files, "{}", result.1);
}

/// Exit code 1 is a refusal; anything else (a crash, a missing package)
/// must not pass for one.
fn assert_refuses(result: (i32, String), reason: &str) {
    assert_eq!(result.0, 1, "not refused: {}", result.1);
    assert!(result.1.contains(reason), "wrong reason: {}", result.1);
}

/// RFC 6962 Merkle trees, written out here so that the test does not rely
/// on the crate's own Merkle code.
mod rfc6962 {
    use super::*;

    pub fn leaf(entry: &[u8]) -> [u8; 32] {
        Sha256::new()
            .chain_update([0])
            .chain_update(entry)
            .finalize()
            .into()
    }

    fn node(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
        Sha256::new()
            .chain_update([1])
            .chain_update(left)
            .chain_update(right)
            .finalize()
            .into()
    }

    /// The largest power of two smaller than `n` (n >= 2).
    fn split(n: usize) -> usize {
        let mut k = 1;
        while k * 2 < n {
            k *= 2;
        }
        k
    }

    /// MTH(D[n]), section 2.1.
    pub fn root(leaves: &[[u8; 32]]) -> [u8; 32] {
        match leaves.len() {
            0 => Sha256::digest([]).into(),
            1 => leaves[0],
            n => {
                let k = split(n);
                node(&root(&leaves[..k]), &root(&leaves[k..]))
            }
        }
    }

    /// PATH(m, D[n]), section 2.1.1.
    pub fn path(m: usize, leaves: &[[u8; 32]]) -> Vec<[u8; 32]> {
        let n = leaves.len();
        if n <= 1 {
            return Vec::new();
        }
        let k = split(n);
        if m < k {
            let mut p = path(m, &leaves[..k]);
            p.push(root(&leaves[k..]));
            p
        } else {
            let mut p = path(m - k, &leaves[k..]);
            p.push(root(&leaves[..k]));
            p
        }
    }
}

/// A log of `n` entries signed by the test key, and a proof per entry.
struct Log {
    dir: tempfile::TempDir,
    vkey: String,
    checkpoint: SignedCheckpoint,
    entries: Vec<Vec<u8>>,
}

impl Log {
    fn new(n: usize) -> Log {
        let key = test_key();
        let entries: Vec<Vec<u8>> = (0..n)
            .map(|i| format!("ackreg entry {i}").into_bytes())
            .collect();
        let leaves: Vec<[u8; 32]> = entries.iter().map(|e| rfc6962::leaf(e)).collect();
        let checkpoint = Checkpoint {
            origin: ORIGIN.into(),
            size: n as u64,
            root: rfc6962::root(&leaves),
            extensions: vec![],
        };
        Log {
            dir: tempfile::tempdir().unwrap(),
            vkey: vkey(ORIGIN, &key.verifying_key()),
            checkpoint: SignedCheckpoint::sign(checkpoint, &key).unwrap(),
            entries,
        }
    }

    fn proof(&self, index: usize) -> TlogProof {
        let leaves: Vec<[u8; 32]> = self.entries.iter().map(|e| rfc6962::leaf(e)).collect();
        TlogProof {
            extra: Some(self.entries[index].clone()),
            index: index as u64,
            proof: rfc6962::path(index, &leaves),
            checkpoint: self.checkpoint.to_bytes(),
        }
    }

    fn write(&self, name: &str, bytes: &[u8]) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path.to_str().unwrap().to_owned()
    }
}

#[test]
fn spec_checker_accepts_the_published_vectors() {
    // The checker itself is right about signed-note.md's example and Go's
    // sumdb note (two signatures, one by a key it is not given).
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("spec.note");
    std::fs::write(
        &spec,
        "This is an example message.\n\n\u{2014} example.com/foo \
         Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n",
    )
    .unwrap();
    let spec_vkey = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
    assert_accepts(c2sp_check(&["note", spec_vkey, spec.to_str().unwrap()]), 1);
    let go = dir.path().join("go.note");
    std::fs::write(
        &go,
        "If you think cryptography is the answer to your problem,\n\
         then you don't know what your problem is.\n\n\
         \u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n\
         \u{2014} EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n",
    )
    .unwrap();
    let peter = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    assert_accepts(c2sp_check(&["note", peter, go.to_str().unwrap()]), 1);
    assert_refuses(
        c2sp_check(&["note", spec_vkey, go.to_str().unwrap()]),
        "not signed by example.com/foo",
    );
}

#[test]
fn spec_checker_accepts_our_checkpoints_and_proofs() {
    // Trees of several shapes (every log has the same key and origin), and
    // a proof for each entry.
    let logs: Vec<Log> = [1, 2, 3, 7, 8].into_iter().map(Log::new).collect();
    let mut checkpoints = Vec::new();
    let mut proofs = Vec::new();
    for log in &logs {
        checkpoints.push(log.write("checkpoint", &log.checkpoint.to_bytes()));
        for index in 0..log.entries.len() {
            proofs.push(log.write(&format!("{index}.tlog-proof"), &log.proof(index).to_bytes()));
        }
    }
    let vkey = logs[0].vkey.as_str();
    let mut args = vec!["checkpoint", vkey];
    args.extend(checkpoints.iter().map(String::as_str));
    assert_accepts(c2sp_check(&args), checkpoints.len());
    let mut args = vec!["proof", "--entry-in-extra", vkey];
    args.extend(proofs.iter().map(String::as_str));
    assert_accepts(c2sp_check(&args), proofs.len());
    // The committed vectors, a witness cosignature included.
    let vectors = repo_file("tests/vectors/note");
    let pinned_vkey = std::fs::read_to_string(vectors.join("ackreg-test.vkey")).unwrap();
    let file = |name: &str| vectors.join(name).to_str().unwrap().to_owned();
    let (plain, cosigned) = (
        file("checkpoint-5.note"),
        file("checkpoint-5-cosigned.note"),
    );
    let args = ["checkpoint", pinned_vkey.trim_end(), &plain, &cosigned];
    assert_accepts(c2sp_check(&args), 2);
    let proof = file("entry-2.tlog-proof");
    let args = ["proof", "--entry-in-extra", pinned_vkey.trim_end(), &proof];
    assert_accepts(c2sp_check(&args), 1);
}

#[test]
fn spec_checker_refuses_tampered_checkpoints_and_proofs() {
    let log = Log::new(7);
    let good = String::from_utf8(log.checkpoint.to_bytes()).unwrap();
    // A changed tree size.
    let bigger = log.write("bigger", good.replacen("\n7\n", "\n8\n", 1).as_bytes());
    assert_refuses(
        c2sp_check(&["checkpoint", &log.vkey, &bigger]),
        "does not verify",
    );
    // Another key under the same name.
    let other = SigningKey::from_bytes(&[7; 32]);
    let other_vkey = vkey(ORIGIN, &other.verifying_key());
    let checkpoint = log.write("checkpoint", good.as_bytes());
    assert_refuses(
        c2sp_check(&["checkpoint", &other_vkey, &checkpoint]),
        "not signed by",
    );
    // Signed by the right key under a name that is not the origin.
    let renamed = SignedNote::sign(log.checkpoint.note.text(), "example.com/other", &test_key());
    let renamed = log.write("renamed", &renamed.unwrap().to_bytes());
    let renamed_vkey = vkey("example.com/other", &test_key().verifying_key());
    assert_refuses(
        c2sp_check(&["checkpoint", &renamed_vkey, &renamed]),
        "is not the key name",
    );
    // A proof for another entry, and a proof with a changed hash.
    let mut proof = log.proof(5);
    proof.extra = Some(b"ackreg entry 4".to_vec());
    let wrong_entry = log.write("wrong-entry", &proof.to_bytes());
    assert_refuses(
        c2sp_check(&["proof", "--entry-in-extra", &log.vkey, &wrong_entry]),
        "inclusion",
    );
    let mut proof = log.proof(5);
    proof.proof[1][0] ^= 1;
    let wrong_hash = log.write("wrong-hash", &proof.to_bytes());
    assert_refuses(
        c2sp_check(&["proof", "--entry-in-extra", &log.vkey, &wrong_hash]),
        "inclusion",
    );
    // A proof whose checkpoint was changed.
    let mut proof = log.proof(5);
    proof.checkpoint = good.replacen("\n7\n", "\n8\n", 1).into_bytes();
    let wrong_checkpoint = log.write("wrong-checkpoint", &proof.to_bytes());
    assert_refuses(
        c2sp_check(&["proof", &log.vkey, &wrong_checkpoint]),
        "does not verify",
    );
}

#[test]
fn tlog_scales_verifies_our_checkpoints() {
    let log = Log::new(7);
    let good = String::from_utf8(log.checkpoint.to_bytes()).unwrap();
    let checkpoint = log.write("checkpoint", good.as_bytes());
    assert_accepts(tlog_scales(&[&log.vkey, &checkpoint]), 1);
    let bigger = log.write("bigger", good.replacen("\n7\n", "\n8\n", 1).as_bytes());
    assert_refuses(tlog_scales(&[&log.vkey, &bigger]), "InvalidSignature");
    let other = vkey(ORIGIN, &SigningKey::from_bytes(&[7; 32]).verifying_key());
    assert_refuses(tlog_scales(&[&other, &checkpoint]), "no signature matched");
    // The committed cosigned vector: the log's signature, and the
    // witness's type 0x04 cosignature, which ackreg keeps but ignores.
    let vectors = repo_file("tests/vectors/note");
    let cosigned = vectors.join("checkpoint-5-cosigned.note");
    for vkey_file in ["ackreg-test.vkey", "witness-test.vkey"] {
        let v = std::fs::read_to_string(vectors.join(vkey_file)).unwrap();
        assert_accepts(tlog_scales(&[v.trim_end(), cosigned.to_str().unwrap()]), 1);
    }
}

/// Issue 20: a log of format 0.3 (two units, two documents, their
/// versions, joins, a move, an acknowledgement), as ackreg's worked example
/// in docs/FORMAT.md makes it (`tests/log_format.rs` in the root package
/// checks these files are what ackreg writes). The checkers accept its
/// checkpoint and the acknowledgement's receipt, and the root rebuilt here
/// from its entries is the checkpoint's.
#[test]
fn the_checkers_accept_a_multi_document_ackreg_log() {
    let vectors = repo_file("tests/vectors/note");
    let file = |name: &str| vectors.join(name).to_str().unwrap().to_owned();
    let vkey = std::fs::read_to_string(vectors.join("multidoc.vkey")).unwrap();
    let vkey = vkey.trim_end();
    let checkpoint = file("multidoc-checkpoint-12.note");
    assert_accepts(c2sp_check(&["checkpoint", vkey, &checkpoint]), 1);
    assert_accepts(tlog_scales(&[vkey, &checkpoint]), 1);
    // The receipt as ackreg writes it now, its entry zlib-compressed, and
    // as earlier releases wrote it, the entry verbatim.
    let receipt = file("multidoc-entry-9.tlog-proof");
    assert_accepts(
        c2sp_check(&["proof", "--entry-in-extra", "--zlib-extra", vkey, &receipt]),
        1,
    );
    assert_refuses(
        c2sp_check(&["proof", "--entry-in-extra", vkey, &receipt]),
        "inclusion",
    );
    let verbatim = file("multidoc-entry-9-verbatim.tlog-proof");
    assert_accepts(
        c2sp_check(&["proof", "--entry-in-extra", vkey, &verbatim]),
        1,
    );
    let entries = std::fs::read(vectors.join("multidoc.entries")).unwrap();
    let leaves: Vec<[u8; 32]> = entries
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(rfc6962::leaf)
        .collect();
    assert_eq!(leaves.len(), 12);
    let text = std::fs::read_to_string(&checkpoint).unwrap();
    let root_line = text.lines().nth(2).unwrap();
    let root = tlog::encoding::b64_strict(root_line).unwrap();
    assert_eq!(root, rfc6962::root(&leaves));
}

/// The example of log format 0.4 in docs/FORMAT.md (an administrator, her
/// signed request and the entries it asks for): the checkers accept its
/// checkpoint and the request's receipt, and the root rebuilt here from
/// its entries is the checkpoint's.
#[test]
fn the_checkers_accept_an_ackreg_log_with_administrators() {
    let vectors = repo_file("tests/vectors/note");
    let file = |name: &str| vectors.join(name).to_str().unwrap().to_owned();
    let vkey = std::fs::read_to_string(vectors.join("admins.vkey")).unwrap();
    let vkey = vkey.trim_end();
    let checkpoint = file("admins-checkpoint-7.note");
    assert_accepts(c2sp_check(&["checkpoint", vkey, &checkpoint]), 1);
    assert_accepts(tlog_scales(&[vkey, &checkpoint]), 1);
    let receipt = file("admins-entry-3.tlog-proof");
    assert_accepts(
        c2sp_check(&["proof", "--entry-in-extra", "--zlib-extra", vkey, &receipt]),
        1,
    );
    let entries = std::fs::read(vectors.join("admins.entries")).unwrap();
    let leaves: Vec<[u8; 32]> = entries
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(rfc6962::leaf)
        .collect();
    assert_eq!(leaves.len(), 7);
    let text = std::fs::read_to_string(&checkpoint).unwrap();
    let root_line = text.lines().nth(2).unwrap();
    let root = tlog::encoding::b64_strict(root_line).unwrap();
    assert_eq!(root, rfc6962::root(&leaves));
}
