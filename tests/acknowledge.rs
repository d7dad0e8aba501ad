//! Issue 3: keys, keyring, signed acknowledgements and their verification,
//! driven through the real binary in temporary folders; interoperability
//! with OpenSSL in both directions; the worked example of docs/FORMAT.md
//! checked byte for byte; and every bad input of point 7.

use crate::common::{self, ackreg, tiny_pdf, Run};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use ackreg_core::ack::{self, Acknowledgement, PAYLOAD_TYPE};
use ackreg_core::document::{sha256, DocumentRef};
use ackreg_core::dsse::{self, Envelope};
use ackreg_core::encoding::{b64, b64_strict, hex, hex32};
use ackreg_core::keyring::{Entry, Keyring};
use ackreg_core::keys::{self, KeyId};
use ed25519_dalek::SigningKey;

const TITLE: &str = "Klientu apkalpošanas centra darbības noteikumi";
const NAME: &str = "Jānis Bērziņš";

// ---------------------------------------------------------------- helpers

/// The process failed with `code` and one `error:` line that contains
/// `needle` (usually the file's name), optionally followed by `hint:` lines.
#[track_caller]
fn assert_fails(o: &Run, code: i32, needle: &str) -> String {
    let err = o.stderr();
    assert_eq!(
        o.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{err}",
        o.stdout()
    );
    assert!(!err.contains("panicked"), "{err}");
    let lines: Vec<&str> = err.lines().collect();
    assert!(
        lines.first().is_some_and(|l| l.starts_with("error: ")),
        "{err}"
    );
    assert!(lines[1..].iter().all(|l| l.starts_with("hint: ")), "{err}");
    assert!(lines[0].contains(needle), "{needle:?} not in {err}");
    lines[0].to_string()
}

/// A temporary folder with `noteikumi.pdf`, and (unencrypted, fast)
/// `jberzins.key` entered in `keys/`.
fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("noteikumi.pdf"), tiny_pdf(TITLE)).unwrap();
    ackreg(dir.path())
        .args([
            "keygen",
            "--name",
            NAME,
            "--id",
            "jberzins",
            "--keyring",
            "keys",
            "--unencrypted",
        ])
        .run()
        .must_succeed();
    dir
}

fn sign(dir: &Path, key: &str, out: &str) -> Run {
    ackreg(dir)
        .args([
            "sign",
            "--key",
            key,
            "--document",
            "noteikumi.pdf",
            "--date",
            "2017-12-04",
            "-o",
            out,
        ])
        .run()
}

fn verify(dir: &Path, ack: &str) -> Run {
    ackreg(dir)
        .args([
            "verify",
            ack,
            "--document",
            "noteikumi.pdf",
            "--keyring",
            "keys",
        ])
        .run()
}

fn openssl(dir: &Path, args: &[&str]) -> Output {
    let o = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("openssl is installed (CI installs it)");
    assert!(
        o.status.success(),
        "openssl {args:?} failed:\n{}",
        common::stderr(&o)
    );
    o
}

fn read_key(path: &Path) -> SigningKey {
    keys::decode_secret_key(&std::fs::read(path).unwrap(), None).unwrap()
}

fn write_envelope(path: &Path, env: &Envelope) {
    std::fs::write(path, env.to_json().unwrap()).unwrap();
}

/// Our own PAE, written out here independently of `ackreg_core::dsse::pae`.
fn pae_by_hand(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {payload_type} {} ",
        payload_type.len(),
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

// ------------------------------------------------------------ happy path

#[test]
fn keygen_sign_verify() {
    let dir = setup();
    let d = dir.path();

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(d.join("jberzins.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let pem = std::fs::read_to_string(d.join("jberzins.key")).unwrap();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
    assert!(d.join("keys/jberzins.pub.pem").exists());

    let list = ackreg(d)
        .args(["keyring", "list", "--keyring", "keys"])
        .run()
        .must_succeed();
    let key = read_key(&d.join("jberzins.key"));
    let keyid = KeyId::of(&key.verifying_key()).to_string();
    assert_eq!(list.stdout(), format!("{keyid}  jberzins  {NAME}\n"));

    sign(d, "jberzins.key", "ack.json").must_succeed();
    let o = verify(d, "ack.json").must_succeed();
    let text = o.stdout();
    for n in 1..=6 {
        assert!(text.contains(&format!("  {n}. [ok]")), "{text}");
    }
    assert!(text.contains(&format!(
        "valid: {NAME} (jberzins) acknowledged \"{TITLE}\" on 2017-12-04"
    )));

    // The payload holds what the issue asks for.
    let env = Envelope::from_json(&std::fs::read(d.join("ack.json")).unwrap()).unwrap();
    assert_eq!(env.payload_type, PAYLOAD_TYPE);
    let payload = b64_strict(&env.payload).unwrap();
    let ack = Acknowledgement::from_payload(&payload).unwrap();
    assert_eq!(ack.employee.name, NAME);
    assert_eq!(ack.document.title, TITLE);
    let pdf = std::fs::read(d.join("noteikumi.pdf")).unwrap();
    assert_eq!(ack.document.sha256, hex(&sha256(&pdf)));
    assert_eq!(ack.statement, ack::STATEMENT);

    // The acknowledgement is never overwritten without --force.
    let again = sign(d, "jberzins.key", "ack.json");
    assert_fails(&again, 2, "ack.json");
}

#[test]
fn keys_and_keyring_entries_are_never_replaced_or_duplicated() {
    let dir = setup();
    let d = dir.path();
    let before = std::fs::read(d.join("jberzins.key")).unwrap();

    // Same secret path: refused, key untouched.
    let o = ackreg(d)
        .args([
            "keygen",
            "--name",
            "Anna",
            "--id",
            "anna",
            "--secret",
            "jberzins.key",
            "--unencrypted",
        ])
        .run();
    assert_fails(&o, 2, "jberzins.key");
    assert_eq!(std::fs::read(d.join("jberzins.key")).unwrap(), before);

    // Same identifier: refused before any key is written.
    let o = ackreg(d)
        .args([
            "keygen",
            "--name",
            "Other",
            "--id",
            "jberzins",
            "--secret",
            "x.key",
            "--unencrypted",
        ])
        .run();
    assert_fails(&o, 2, "keyring.json");
    assert!(!d.join("x.key").exists());

    // The same public key for someone else: refused.
    let o = ackreg(d)
        .args([
            "keyring",
            "add",
            "--name",
            "Anna",
            "--id",
            "anna",
            "--public-key",
            "keys/jberzins.pub.pem",
        ])
        .run();
    let line = assert_fails(&o, 2, "keyring.json");
    assert!(line.contains("already belongs to \"jberzins\""), "{line}");

    // --force replaces the secret key file.
    ackreg(d)
        .args([
            "keygen",
            "--name",
            "Anna",
            "--id",
            "anna",
            "--secret",
            "jberzins.key",
            "--unencrypted",
            "--force",
        ])
        .run()
        .must_succeed();
    assert_ne!(std::fs::read(d.join("jberzins.key")).unwrap(), before);
}

#[test]
fn encrypted_key_and_passphrase() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("noteikumi.pdf"), tiny_pdf(TITLE)).unwrap();

    // Without a terminal and without the variable: a clear error.
    let o = ackreg(d)
        .args(["keygen", "--name", NAME, "--id", "jberzins"])
        .run();
    let line = assert_fails(&o, 2, "not a terminal");
    assert!(o.stderr().contains("ACKREG_PASSPHRASE"), "{line}");
    assert!(!d.join("jberzins.key").exists());
    // A passphrase piped in is not read: a pipe is not a terminal.
    let o = ackreg(d)
        .args(["keygen", "--name", NAME, "--id", "jberzins"])
        .stdin("pareiza parole\npareiza parole\n")
        .run();
    assert_fails(&o, 2, "not a terminal");
    assert!(!d.join("jberzins.key").exists());

    ackreg(d)
        .args(["keygen", "--name", NAME, "--id", "jberzins"])
        .passphrase("pareiza parole")
        .run()
        .must_succeed();
    let pem = std::fs::read_to_string(d.join("jberzins.key")).unwrap();
    assert!(pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----\n"));
    assert!(!pem.contains("pareiza"));

    // OpenSSL reads the encrypted key (PBES2, scrypt, AES-256-CBC) and finds
    // the same public key.
    let o = openssl(
        d,
        &[
            "pkey",
            "-in",
            "jberzins.key",
            "-passin",
            "pass:pareiza parole",
            "-pubout",
        ],
    );
    assert_eq!(
        common::stdout(&o),
        std::fs::read_to_string(d.join("keys/jberzins.pub.pem")).unwrap()
    );

    let args = [
        "sign",
        "--key",
        "jberzins.key",
        "--document",
        "noteikumi.pdf",
        "--date",
        "2017-12-04",
        "-o",
        "ack.json",
    ];
    // A wrong passphrase: one line naming the key file, exit 2.
    let o = ackreg(d).args(args).passphrase("nepareiza").run();
    let line = assert_fails(&o, 2, "jberzins.key");
    assert!(line.contains("wrong passphrase"), "{line}");
    assert!(!line.contains("nepareiza"), "{line}");
    // No passphrase at all.
    let o = ackreg(d).args(args).run();
    assert_fails(&o, 2, "jberzins.key");

    ackreg(d)
        .args(args)
        .passphrase("pareiza parole")
        .run()
        .must_succeed();
    verify(d, "ack.json").must_succeed();
}

// ------------------------------------------------------------- tampering

#[test]
fn tampering_is_caught_with_exit_1() {
    let dir = setup();
    let d = dir.path();
    sign(d, "jberzins.key", "ack.json").must_succeed();
    let env = Envelope::from_json(&std::fs::read(d.join("ack.json")).unwrap()).unwrap();

    // A changed payload (another date): the signature fails (step 3).
    let payload = String::from_utf8(b64_strict(&env.payload).unwrap()).unwrap();
    let mut changed = env.clone();
    changed.payload = b64(payload.replace("2017-12-04", "2017-12-05").as_bytes());
    write_envelope(&d.join("changed.json"), &changed);
    let line = assert_fails(&verify(d, "changed.json"), 1, "changed.json");
    assert!(line.contains("step 3 (signature)"), "{line}");

    // A changed payload type: also covered by the signature.
    let mut retyped = env.clone();
    retyped.payload_type = "application/json".into();
    write_envelope(&d.join("retyped.json"), &retyped);
    let line = assert_fails(&verify(d, "retyped.json"), 1, "retyped.json");
    assert!(line.contains("step 3"), "{line}");

    // Another document: step 5.
    std::fs::write(d.join("other.pdf"), tiny_pdf("Citi noteikumi")).unwrap();
    let o = ackreg(d)
        .args([
            "verify",
            "ack.json",
            "--document",
            "other.pdf",
            "--keyring",
            "keys",
        ])
        .run();
    let line = assert_fails(&o, 1, "ack.json");
    assert!(line.contains("step 5 (document)"), "{line}");
    assert!(o.stdout().contains("5. [FAIL]"));
    assert!(o.stdout().contains("6. [--]"));

    // The keyring now says the key belongs to someone else: step 6.
    let ring = std::fs::read_to_string(d.join("keys/keyring.json")).unwrap();
    std::fs::write(
        d.join("keys/keyring.json"),
        ring.replace(NAME, "Anna Liepa"),
    )
    .unwrap();
    let line = assert_fails(&verify(d, "ack.json"), 1, "ack.json");
    assert!(line.contains("step 6 (employee)"), "{line}");
}

// ------------------------------------------------------ interoperability

#[test]
fn openssl_verifies_an_ackreg_signature() {
    let dir = setup();
    let d = dir.path();
    sign(d, "jberzins.key", "ack.json").must_succeed();
    // OpenSSL reads the PKCS#8 v1 private key ackreg wrote.
    openssl(d, &["pkey", "-in", "jberzins.key", "-noout"]);

    let env = Envelope::from_json(&std::fs::read(d.join("ack.json")).unwrap()).unwrap();
    let payload = b64_strict(&env.payload).unwrap();
    std::fs::write(d.join("pae.bin"), pae_by_hand(&env.payload_type, &payload)).unwrap();
    std::fs::write(
        d.join("sig.bin"),
        b64_strict(&env.signatures[0].sig).unwrap(),
    )
    .unwrap();
    let o = openssl(
        d,
        &[
            "pkeyutl",
            "-verify",
            "-pubin",
            "-inkey",
            "keys/jberzins.pub.pem",
            "-rawin",
            "-in",
            "pae.bin",
            "-sigfile",
            "sig.bin",
        ],
    );
    assert!(common::stdout(&o).contains("Signature Verified Successfully"));

    // And refuses it over other bytes.
    std::fs::write(d.join("pae.bin"), pae_by_hand("text/plain", &payload)).unwrap();
    let o = Command::new("openssl")
        .args([
            "pkeyutl",
            "-verify",
            "-pubin",
            "-inkey",
            "keys/jberzins.pub.pem",
            "-rawin",
            "-in",
            "pae.bin",
            "-sigfile",
            "sig.bin",
        ])
        .current_dir(d)
        .output()
        .unwrap();
    assert!(!o.status.success());
}

#[test]
fn ackreg_accepts_openssl_keys_and_signatures() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("noteikumi.pdf"), tiny_pdf(TITLE)).unwrap();
    openssl(d, &["genpkey", "-algorithm", "ed25519", "-out", "anna.key"]);
    openssl(
        d,
        &["pkey", "-in", "anna.key", "-pubout", "-out", "anna.pub.pem"],
    );
    openssl(
        d,
        &[
            "pkcs8",
            "-topk8",
            "-v2",
            "aes-256-cbc",
            "-in",
            "anna.key",
            "-out",
            "anna.enc.key",
            "-passout",
            "pass:slepens",
        ],
    );
    ackreg(d)
        .args([
            "keyring",
            "add",
            "--name",
            "Anna Liepa",
            "--id",
            "aliepa",
            "--position",
            "Vadītāja",
            "--public-key",
            "anna.pub.pem",
            "--keyring",
            "keys",
        ])
        .run()
        .must_succeed();
    assert_eq!(
        std::fs::read(d.join("keys/aliepa.pub.pem")).unwrap(),
        std::fs::read(d.join("anna.pub.pem")).unwrap()
    );

    // The plain OpenSSL key.
    sign(d, "anna.key", "plain.json").must_succeed();
    verify(d, "plain.json").must_succeed();

    // The OpenSSL-encrypted key (PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC).
    ackreg(d)
        .args([
            "sign",
            "--key",
            "anna.enc.key",
            "--document",
            "noteikumi.pdf",
            "--date",
            "2017-12-04",
            "-o",
            "enc.json",
        ])
        .passphrase("slepens")
        .run()
        .must_succeed();
    verify(d, "enc.json").must_succeed();

    // A signature made by OpenSSL itself over the PAE bytes.
    let doc = DocumentRef::from_pdf_file(&d.join("noteikumi.pdf"), None).unwrap();
    let payload = Acknowledgement::new(&doc, "Anna Liepa", "aliepa", "2017-12-05", Some("Piezīme"))
        .unwrap()
        .to_payload()
        .unwrap();
    std::fs::write(d.join("pae.bin"), pae_by_hand(PAYLOAD_TYPE, &payload)).unwrap();
    openssl(
        d,
        &[
            "pkeyutl", "-sign", "-inkey", "anna.key", "-rawin", "-in", "pae.bin", "-out", "sig.bin",
        ],
    );
    let public = keys::decode_public_key(&std::fs::read(d.join("anna.pub.pem")).unwrap()).unwrap();
    let env = Envelope {
        payload_type: PAYLOAD_TYPE.into(),
        payload: b64(&payload),
        signatures: vec![dsse::EnvelopeSignature {
            keyid: KeyId::of(&public).to_string(),
            sig: b64(&std::fs::read(d.join("sig.bin")).unwrap()),
        }],
    };
    write_envelope(&d.join("openssl.json"), &env);
    let o = verify(d, "openssl.json").must_succeed();
    assert!(o.stdout().contains("Anna Liepa (aliepa) acknowledged"));
}

#[test]
fn committed_test_key_fixture_signs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("noteikumi.pdf"), tiny_pdf(TITLE)).unwrap();
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/test-only-rfc8032-test1.key");
    let fixture = fixture.to_str().unwrap();
    ackreg(d)
        .args([
            "sign",
            "--key",
            fixture,
            "--name",
            NAME,
            "--id",
            "jberzins",
            "--document",
            "noteikumi.pdf",
            "--date",
            "2017-12-04",
            "-o",
            "ack.json",
        ])
        .run()
        .must_succeed();
    // Not in any keyring: step 2 fails.
    let key = read_key(Path::new(fixture));
    let mut ring = Keyring::default();
    ring.add(
        Entry::new(
            "other",
            "Other",
            None,
            SigningKey::from_bytes(&[3; 32]).verifying_key(),
        )
        .unwrap(),
    )
    .unwrap();
    std::fs::create_dir(d.join("keys")).unwrap();
    ring.save(&d.join("keys")).unwrap();
    let line = assert_fails(&verify(d, "ack.json"), 1, "ack.json");
    assert!(line.contains("step 2 (key)"), "{line}");
    assert!(
        line.contains(&KeyId::of(&key.verifying_key()).to_string()),
        "{line}"
    );
}

// ------------------------------------------------- docs/FORMAT.md example

/// The fenced block following `<!-- example: NAME -->` in FORMAT.md.
fn example_block(doc: &str, name: &str) -> String {
    let marker = format!("<!-- example: {name} -->\n");
    let start = doc
        .find(&marker)
        .unwrap_or_else(|| panic!("FORMAT.md has no example {name}"))
        + marker.len();
    let rest = &doc[start..];
    assert!(
        rest.starts_with("```"),
        "example {name} is not a code block"
    );
    let body_start = rest.find('\n').unwrap() + 1;
    let body_end = rest[body_start..].find("\n```").unwrap() + body_start;
    rest[body_start..body_end].to_string()
}

#[test]
fn format_md_worked_example_is_what_the_code_computes() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/FORMAT.md");
    let doc = std::fs::read_to_string(path).unwrap();
    let block = |name| example_block(&doc, name);

    let key = SigningKey::from_bytes(&hex32(&block("secret-key-hex")).unwrap());
    let public = key.verifying_key();
    // RFC 8032 test 1.
    assert_eq!(
        block("public-key-hex"),
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
    );
    assert_eq!(hex(public.as_bytes()), block("public-key-hex"));
    let keyid = KeyId::of(&public);
    assert_eq!(keyid.to_string(), block("key-id"));
    assert_eq!(hex(&sha256(public.as_bytes())), block("key-id"));

    let secret_pem = keys::encode_secret_key(&key, None).unwrap();
    assert_eq!(secret_pem.trim_end(), block("private-key-pem"));
    let fixture = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/test-only-rfc8032-test1.key"),
    )
    .unwrap();
    assert_eq!(fixture, *secret_pem);
    assert_eq!(
        keys::encode_public_key(&public).unwrap().trim_end(),
        block("public-key-pem")
    );

    let mut ring = Keyring::default();
    ring.add(
        Entry::new(
            "jberzins",
            NAME,
            Some("Klientu apkalpošanas speciālists"),
            public,
        )
        .unwrap(),
    )
    .unwrap();
    let ring_json = String::from_utf8(ring.to_json().unwrap()).unwrap();
    assert_eq!(ring_json.trim_end(), block("keyring"));

    let doc_hash = sha256(b"ackreg worked example document");
    assert_eq!(hex(&doc_hash), block("document-sha256"));
    let document = DocumentRef {
        title: TITLE.into(),
        sha256: doc_hash,
    };
    let ack = Acknowledgement::new(
        &document,
        NAME,
        "jberzins",
        "2017-12-04",
        Some("Saņemts papīra eksemplārs."),
    )
    .unwrap();
    let payload = ack.to_payload().unwrap();
    assert_eq!(
        String::from_utf8(payload.clone()).unwrap(),
        block("payload")
    );
    assert!(doc.contains(&format!(
        "{} bytes:\n\n<!-- example: payload -->",
        payload.len()
    )));

    let pae = dsse::pae(PAYLOAD_TYPE, &payload);
    assert_eq!(pae, pae_by_hand(PAYLOAD_TYPE, &payload));
    assert_eq!(String::from_utf8(pae.clone()).unwrap(), block("pae"));
    assert!(doc.contains(&format!("{} bytes:\n\n<!-- example: pae -->", pae.len())));
    assert_eq!(hex(&sha256(&pae)), block("pae-sha256"));

    let sig = dsse::sign_bytes(&key, &pae);
    assert_eq!(hex(&sig.to_bytes()), block("signature-hex"));
    assert_eq!(b64(&sig.to_bytes()), block("signature-base64"));

    let env = ack.sign(&key).unwrap();
    let env_json = env.to_json().unwrap();
    assert_eq!(
        String::from_utf8(env_json.clone()).unwrap().trim_end(),
        block("envelope")
    );

    // The documented envelope verifies, all six steps.
    let report = ack::verify_ack(block("envelope").as_bytes(), &ring, Some(&doc_hash));
    assert!(report.is_valid(), "{report:?}");
}

// ------------------------------------------------------ bad input (pt. 7)

#[test]
fn truncated_pem_is_refused() {
    let dir = setup();
    let d = dir.path();
    let pem = std::fs::read_to_string(d.join("jberzins.key")).unwrap();
    std::fs::write(d.join("truncated.key"), &pem[..pem.len() / 2]).unwrap();
    let line = assert_fails(&sign(d, "truncated.key", "ack.json"), 2, "truncated.key");
    assert!(line.contains("PEM"), "{line}");

    let public = std::fs::read_to_string(d.join("keys/jberzins.pub.pem")).unwrap();
    std::fs::write(d.join("cut.pub.pem"), &public[..40]).unwrap();
    let o = ackreg(d)
        .args([
            "keyring",
            "add",
            "--name",
            "X",
            "--id",
            "x",
            "--public-key",
            "cut.pub.pem",
        ])
        .run();
    assert_fails(&o, 2, "cut.pub.pem");
}

#[test]
fn rsa_keys_are_refused() {
    let dir = setup();
    let d = dir.path();
    openssl(
        d,
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:1024",
            "-out",
            "rsa.key",
        ],
    );
    openssl(
        d,
        &["pkey", "-in", "rsa.key", "-pubout", "-out", "rsa.pub.pem"],
    );
    let line = assert_fails(&sign(d, "rsa.key", "ack.json"), 2, "rsa.key");
    assert!(line.contains("RSA"), "{line}");
    let o = ackreg(d)
        .args([
            "keyring",
            "add",
            "--name",
            "X",
            "--id",
            "x",
            "--public-key",
            "rsa.pub.pem",
        ])
        .run();
    let line = assert_fails(&o, 2, "rsa.pub.pem");
    assert!(line.contains("RSA"), "{line}");
}

#[test]
fn payload_that_is_not_json_is_invalid() {
    let dir = setup();
    let d = dir.path();
    let key = read_key(&d.join("jberzins.key"));
    write_envelope(
        &d.join("notjson.json"),
        &dsse::sign(&key, PAYLOAD_TYPE, b"not json"),
    );
    let line = assert_fails(&verify(d, "notjson.json"), 1, "notjson.json");
    assert!(line.contains("step 4 (payload)"), "{line}");
    assert!(line.contains("not acknowledgement JSON"), "{line}");

    // A file that is not an envelope at all fails step 1.
    std::fs::write(d.join("garbage.json"), b"\x00\x01garbage").unwrap();
    let line = assert_fails(&verify(d, "garbage.json"), 1, "garbage.json");
    assert!(line.contains("step 1 (envelope)"), "{line}");
}

#[test]
fn signature_of_the_wrong_length_is_invalid() {
    let dir = setup();
    let d = dir.path();
    sign(d, "jberzins.key", "ack.json").must_succeed();
    let mut env = Envelope::from_json(&std::fs::read(d.join("ack.json")).unwrap()).unwrap();
    let mut sig = b64_strict(&env.signatures[0].sig).unwrap();
    sig.pop();
    env.signatures[0].sig = b64(&sig);
    write_envelope(&d.join("short.json"), &env);
    let line = assert_fails(&verify(d, "short.json"), 1, "short.json");
    assert!(line.contains("step 1 (envelope)"), "{line}");
    assert!(line.contains("63 bytes"), "{line}");
}

#[test]
fn unknown_key_id_is_invalid() {
    let dir = setup();
    let d = dir.path();
    sign(d, "jberzins.key", "ack.json").must_succeed();
    let mut env = Envelope::from_json(&std::fs::read(d.join("ack.json")).unwrap()).unwrap();
    env.signatures[0].keyid = "ab".repeat(32);
    write_envelope(&d.join("unknown.json"), &env);
    let line = assert_fails(&verify(d, "unknown.json"), 1, "unknown.json");
    assert!(line.contains("step 2 (key)"), "{line}");
    assert!(line.contains("not in the keyring"), "{line}");
}

#[test]
fn non_utf8_names_are_refused() {
    let dir = setup();
    let d = dir.path();
    let key = read_key(&d.join("jberzins.key"));

    // In a signed payload: step 4, exit 1.
    let doc = DocumentRef::from_pdf_file(&d.join("noteikumi.pdf"), None).unwrap();
    let good = Acknowledgement::new(&doc, NAME, "jberzins", "2017-12-04", None)
        .unwrap()
        .to_payload()
        .unwrap();
    let mut bad = Vec::new();
    let at = good
        .windows(NAME.len())
        .position(|w| w == NAME.as_bytes())
        .unwrap();
    bad.extend_from_slice(&good[..at]);
    bad.extend_from_slice(b"J\xe2nis B\xe7rzi\xf2\xf0"); // Latin-4 bytes
    bad.extend_from_slice(&good[at + NAME.len()..]);
    write_envelope(
        &d.join("latin4.json"),
        &dsse::sign(&key, PAYLOAD_TYPE, &bad),
    );
    let line = assert_fails(&verify(d, "latin4.json"), 1, "latin4.json");
    assert!(line.contains("step 4 (payload)"), "{line}");
    assert!(line.contains("not UTF-8"), "{line}");

    // In the keyring file: unusable input, exit 2, naming keyring.json.
    sign(d, "jberzins.key", "ack.json").must_succeed();
    let ring = std::fs::read(d.join("keys/keyring.json")).unwrap();
    let at = ring
        .windows(NAME.len())
        .position(|w| w == NAME.as_bytes())
        .unwrap();
    let mut bad_ring = ring[..at].to_vec();
    bad_ring.extend_from_slice(b"J\xe2nis");
    bad_ring.extend_from_slice(&ring[at + NAME.len()..]);
    std::fs::write(d.join("keys/keyring.json"), bad_ring).unwrap();
    assert_fails(&verify(d, "ack.json"), 2, "keyring.json");

    // On the command line: a usage error, exit 2.
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let o = ackreg(d)
            .arg("keygen")
            .arg("--name")
            .arg(std::ffi::OsStr::from_bytes(b"J\xe2nis"))
            .args(["--id", "j", "--unencrypted", "--keyring", "k2"])
            .run()
            .must_fail(2);
        assert!(o.stderr().contains("UTF-8"), "{}", o.stderr());
        assert!(!d.join("j.key").exists());
    }
}

#[test]
fn other_unusable_input_gives_exit_2() {
    let dir = setup();
    let d = dir.path();
    // A date that is not a real date.
    let o = ackreg(d)
        .args([
            "sign",
            "--key",
            "jberzins.key",
            "--document",
            "noteikumi.pdf",
            "--date",
            "2017-02-29",
            "-o",
            "ack.json",
        ])
        .run();
    let line = assert_fails(&o, 2, "2017-02-29");
    assert!(line.contains("not a real calendar date"), "{line}");
    // A document that is not a PDF, and one that does not exist.
    std::fs::write(d.join("fake.pdf"), b"hello").unwrap();
    for doc in ["fake.pdf", "missing.pdf"] {
        let o = ackreg(d)
            .args([
                "sign",
                "--key",
                "jberzins.key",
                "--document",
                doc,
                "--date",
                "2017-12-04",
                "-o",
                "ack.json",
            ])
            .run();
        assert_fails(&o, 2, doc);
    }
    assert!(!d.join("ack.json").exists());
    // An acknowledgement that does not exist; a keyring that does not exist.
    assert_fails(&verify(d, "missing.json"), 2, "missing.json");
    sign(d, "jberzins.key", "ack.json").must_succeed();
    let o = ackreg(d)
        .args([
            "verify",
            "ack.json",
            "--document",
            "noteikumi.pdf",
            "--keyring",
            "nokeys",
        ])
        .run();
    assert_fails(&o, 2, "nokeys/keyring.json");
}
