//! Issue 6: hostile text, strict parsing, crash-safe and concurrent writes,
//! property tests, and the corpus of bad inputs with their documented
//! errors (tests/bad/CASES.tsv, explained in docs/ERRORS.md).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use ackreg_core::ack::{self, Acknowledgement};
use ackreg_core::document::DocumentRef;
use ackreg_core::dsse::Envelope;
use ackreg_core::encoding::{b64, b64_strict};
use ackreg_core::keyring::{Entry, Keyring};
use ed25519_dalek::SigningKey;
use proptest::prelude::*;

use crate::common::{ackreg, tiny_pdf, Ackreg, Run, Running};

const TEST_KEY: &str = "tests/fixtures/test-only-rfc8032-test1.key";
/// Key id of the RFC 8032 test 1 key, which seals tests/bad/good-register.json.
const TEST_KEYID: &str = "21fe31dfa154a261626bf854046fd2271b7bed4b6abe45aa58877ef47f9721b9";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn no_panic(o: &Run) {
    let all = o.text();
    assert!(!all.contains("panicked"), "ackreg panicked:\n{all}");
    assert!(
        matches!(o.code(), Some(0..=2)),
        "exit {:?}: {all}",
        o.code()
    );
}

// ---------------------------------------------------------------------
// Point 5: every bad input gets its documented exit code and message.

#[test]
fn bad_inputs_give_documented_errors() {
    let bad = repo().join("tests/bad");
    let cases = fs::read_to_string(bad.join("CASES.tsv")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::create_dir(d.join("keys")).unwrap();
    fs::copy(bad.join("keyring.json"), d.join("keys/keyring.json")).unwrap();
    fs::copy(bad.join("document.txt"), d.join("document.txt")).unwrap();
    fs::write(d.join("rules.pdf"), tiny_pdf("Noteikumi")).unwrap();
    fs::copy(bad.join("issuer-test1.pub.pem"), d.join("issuer.pub.pem")).unwrap();
    let mut count = 0;
    let mut failures = Vec::new();
    for (n, line) in cases.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        let [file, command, code, fragment] = cols[..] else {
            panic!("CASES.tsv line {}: four tab-separated columns", n + 1);
        };
        let case = d.join(format!("case{n}"));
        fs::create_dir(&case).unwrap();
        let copied = case.join(file);
        fs::copy(bad.join(file), &copied).unwrap();
        let ringdir = case.join("ring");
        fs::create_dir(&ringdir).unwrap();
        fs::copy(bad.join(file), ringdir.join("keyring.json")).unwrap();
        let logs = LogCase::prepare(&case, &bad.join(file), command);
        let args: Vec<String> = command
            .split(' ')
            .map(|a| {
                a.replace("{FILE}", &copied.display().to_string())
                    .replace("{DOC}", "document.txt")
                    .replace("{PDF}", "rules.pdf")
                    .replace("{KEYS}", "keys")
                    .replace("{RINGDIR}", &ringdir.display().to_string())
                    .replace("{NEWDIR}", &case.join("newring").display().to_string())
                    .replace("{OUT}", &case.join("out.json").display().to_string())
                    .replace("{ISSUER}", TEST_KEYID)
                    .replace("{LOG}", &logs.log.display().to_string())
                    .replace("{ENTRYLOG}", &logs.entry_log.display().to_string())
                    .replace(
                        "{CHECKPOINTLOG}",
                        &logs.checkpoint_log.display().to_string(),
                    )
            })
            .collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = ackreg(d).args(&args).run();
        no_panic(&o);
        let all = o.text();
        let expected: i32 = code.parse().unwrap();
        if o.code() != Some(expected) || !all.contains(fragment) {
            failures.push(format!(
                "{file}: expected exit {expected} and {fragment:?}, got exit {:?}:\n{all}",
                o.code()
            ));
        }
        if expected == 2 {
            // Unusable input: an error line naming the file or what is wrong.
            assert!(o.stderr().starts_with("error: "), "{file}: {}", o.stderr());
        }
        count += 1;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(count >= 30, "only {count} cases");
}

/// The log folders of a bad case (issue 10, point 5), each made only when
/// the case's command names it:
/// - `{LOG}`: a copy of the fixture log `tests/fixtures/log`;
/// - `{ENTRYLOG}`: the fixture log's entries with the case's file appended
///   as one more entry, under a checkpoint that the issuer key signs, so
///   that the entry itself is the only thing wrong;
/// - `{CHECKPOINTLOG}`: the fixture log with the case's file as its
///   `checkpoint`.
struct LogCase {
    log: PathBuf,
    entry_log: PathBuf,
    checkpoint_log: PathBuf,
}

impl LogCase {
    fn prepare(case: &Path, file: &Path, command: &str) -> LogCase {
        let fixture = repo().join("tests/fixtures/log");
        let logs = LogCase {
            log: case.join("log"),
            entry_log: case.join("entry-log"),
            checkpoint_log: case.join("checkpoint-log"),
        };
        if command.contains("{LOG}") {
            copy_dir(&fixture, &logs.log);
        }
        if command.contains("{CHECKPOINTLOG}") {
            copy_dir(&fixture, &logs.checkpoint_log);
            fs::copy(file, logs.checkpoint_log.join("checkpoint")).unwrap();
        }
        if command.contains("{ENTRYLOG}") {
            let mut entries = fs::read(fixture.join("entries")).unwrap();
            entries.extend(fs::read(file).unwrap());
            entries.push(b'\n');
            let mut tree = tlog::merkle::MemoryTree::new();
            for line in entries.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
                tree.push(tlog::merkle::leaf_hash(line));
            }
            let checkpoint = tlog::checkpoint::Checkpoint {
                origin: "example.invalid/fixture".into(),
                size: tree.size(),
                root: tlog::merkle::root(&tree, tree.size()).unwrap(),
                extensions: vec![],
            };
            let key = ackreg_core::keys::decode_secret_key(
                &fs::read(repo().join(TEST_KEY)).unwrap(),
                None,
            )
            .unwrap();
            let signed = tlog::checkpoint::SignedCheckpoint::sign(checkpoint, &key).unwrap();
            ackreg_core::log::store::import(&logs.entry_log, &entries, &signed.to_bytes()).unwrap();
        }
        logs
    }
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

// ---------------------------------------------------------------------
// Point 1: hostile names are refused on the way in, naming the character.

#[test]
fn hostile_names_are_refused_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("rules.pdf"), tiny_pdf("Noteikumi")).unwrap();
    let key = repo().join(TEST_KEY);
    let key = key.to_str().unwrap();
    for (name, named) in [
        ("Jānis \u{202e}šņizrēB", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("Jānis\u{2066} Bērziņš", "U+2066 LEFT-TO-RIGHT ISOLATE"),
        ("Jā\u{200b}nis", "U+200B ZERO WIDTH SPACE"),
        ("Jānis\u{feff}", "U+FEFF ZERO WIDTH NO-BREAK SPACE"),
        ("Jānis\tBērziņš", "U+0009 CHARACTER TABULATION"),
    ] {
        let keygen = ackreg(d)
            .args([
                "keygen",
                "--name",
                name,
                "--id",
                "anna",
                "--keyring",
                "keys",
                "--secret",
                "anna.key",
                "--unencrypted",
            ])
            .run();
        let sign = ackreg(d)
            .args([
                "sign",
                "--key",
                key,
                "--document",
                "rules.pdf",
                "--date",
                "2017-12-04",
                "--name",
                name,
                "--id",
                "anna",
                "-o",
                "a.json",
            ])
            .run();
        fs::write(d.join("x.pub.pem"), PUBLIC_PEM).unwrap();
        let add = ackreg(d)
            .args([
                "keyring",
                "add",
                "--name",
                name,
                "--id",
                "anna",
                "--public-key",
                "x.pub.pem",
                "--keyring",
                "keys",
            ])
            .run();
        for o in [keygen, sign, add] {
            assert_eq!(o.code(), Some(2), "{name:?}: {}", o.stderr());
            assert!(o.stderr().contains(named), "{name:?}: {}", o.stderr());
            assert!(o.stderr().contains("hint: "), "{}", o.stderr());
        }
        assert!(!d.join("anna.key").exists() && !d.join("a.json").exists());
    }
    // Notes: line breaks and punctuation are fine, bidi controls are not.
    ackreg(d)
        .args([
            "sign",
            "--key",
            key,
            "--document",
            "rules.pdf",
            "--date",
            "2017-12-04",
            "--name",
            "Anna",
            "--id",
            "anna",
            "--notes",
            "Saņemts.\nLabi: «jā» — 100 %!",
            "-o",
            "ok.json",
        ])
        .run()
        .must_succeed();
    let bad = ackreg(d)
        .args([
            "sign",
            "--key",
            key,
            "--document",
            "rules.pdf",
            "--date",
            "2017-12-04",
            "--name",
            "Anna",
            "--id",
            "anna",
            "--notes",
            "Labi\u{202b}",
            "-o",
            "bad.json",
        ])
        .run()
        .must_fail(2);
    assert!(bad
        .stderr()
        .contains("notes contains U+202B RIGHT-TO-LEFT EMBEDDING"));
}

const PUBLIC_PEM: &str = "-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=
-----END PUBLIC KEY-----
";

// ---------------------------------------------------------------------
// Point 2: duplicate keys are refused at every level of every format.

#[test]
fn duplicate_keys_are_refused_everywhere() {
    let key = SigningKey::from_bytes(&[9; 32]);
    let doc = DocumentRef {
        title: "Noteikumi".into(),
        sha256: [1; 32],
    };
    let ack = Acknowledgement::new(&doc, "Anna", "anna", "2017-12-04", None).unwrap();
    let payload = String::from_utf8(ack.to_payload().unwrap()).unwrap();
    let env = ack.sign(&key).unwrap();
    let env_json = String::from_utf8(env.to_json().unwrap()).unwrap();
    assert!(Envelope::from_json(env_json.as_bytes()).is_ok());

    // Envelope: top level and inside the signature.
    for dup in [
        env_json.replacen("\"payload\":", "\"payload\": \"e30=\", \"payload\":", 1),
        env_json.replacen(
            "\"payloadType\":",
            "\"payloadType\": \"x\", \"payloadType\":",
            1,
        ),
        env_json.replacen("\"signatures\":", "\"signatures\": [], \"signatures\":", 1),
        env_json.replacen("\"sig\":", "\"sig\": \"AA==\", \"sig\":", 1),
    ] {
        let err = Envelope::from_json(dup.as_bytes()).unwrap_err();
        assert!(err.to_string().contains("duplicate field"), "{err}");
    }
    // Payload: top level and nested.
    for dup in [
        payload.replacen("\"date\":", "\"date\":\"2017-12-05\",\"date\":", 1),
        payload.replacen("\"title\":", "\"title\":\"X\",\"title\":", 1),
        payload.replacen("\"id\":", "\"name\":\"X\",\"id\":", 1),
        payload.replacen("\"type\":", "\"type\":\"x\",\"type\":", 1),
    ] {
        let err = Acknowledgement::from_payload(dup.as_bytes()).unwrap_err();
        assert!(err.to_string().contains("duplicate field"), "{err}");
    }
    // Keyring: top level and inside an entry.
    let mut ring = Keyring::default();
    ring.add(Entry::new("anna", "Anna", Some("Jurists"), key.verifying_key()).unwrap())
        .unwrap();
    let ring_json = String::from_utf8(ring.to_json().unwrap()).unwrap();
    for dup in [
        ring_json.replacen("\"version\":", "\"version\": 1, \"version\":", 1),
        ring_json.replacen("\"keyid\":", "\"keyid\": \"x\", \"keyid\":", 1),
        ring_json.replacen("\"position\":", "\"position\": \"x\", \"position\":", 1),
    ] {
        let err = Keyring::from_json(dup.as_bytes()).unwrap_err();
        assert!(err.to_string().contains("duplicate field"), "{err}");
    }
    // Register payload: top level, an entry, the issuer; the nested
    // envelope and keyring are re-read by the strict parsers above.
    let body = format!(
        "{{\"type\":\"t\",\"document\":{{\"title\":\"T\",\"sha256\":\"s\"}},\
         \"issuer\":{{\"keyid\":\"k\",\"public_key\":\"p\"}},\"sealed_at\":\"s\",\
         \"keyring\":{ring_json},\"entries\":[{{\"nr\":1,\"envelope\":{env_json}}}],\
         \"outstanding\":[{{\"id\":\"a\",\"name\":\"A\"}}]}}"
    );
    let parse = |s: &str| serde_json::from_str::<ackreg_core::register::RegisterBody>(s);
    assert!(parse(&body).is_ok());
    for dup in [
        body.replacen("\"sealed_at\":", "\"sealed_at\":\"x\",\"sealed_at\":", 1),
        body.replacen("\"nr\":1", "\"nr\":1,\"nr\":2", 1),
        body.replacen("\"keyid\":\"k\"", "\"keyid\":\"k\",\"keyid\":\"k\"", 1),
        body.replacen("\"id\":\"a\"", "\"id\":\"a\",\"id\":\"b\"", 1),
        body.replacen("\"envelope\":", "\"envelope\":{},\"envelope\":", 1),
    ] {
        let err = parse(&dup).unwrap_err();
        assert!(err.to_string().contains("duplicate field"), "{err}");
    }
}

// ---------------------------------------------------------------------
// Point 3: concurrent runs, locks, and SIGKILL while writing a register.

fn spawn_sign(d: &Path, out: &str, force: bool) -> Running {
    let mut c = ackreg(d).args([
        "sign",
        "--key",
        repo().join(TEST_KEY).to_str().unwrap(),
        "--document",
        "rules.pdf",
        "--date",
        "2017-12-04",
        "--name",
        "Jānis Bērziņš",
        "--id",
        "jberzins",
        "-o",
        out,
    ]);
    if force {
        c = c.arg("--force");
    }
    c.spawn()
}

#[test]
fn twenty_sign_runs_at_once_all_land() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("rules.pdf"), tiny_pdf("Noteikumi")).unwrap();
    fs::create_dir(d.join("acks")).unwrap();
    let children: Vec<_> = (0..20)
        .map(|i| spawn_sign(d, &format!("acks/{i}.json"), false))
        .collect();
    for c in children {
        let o = c.wait();
        assert!(o.success(), "{}", o.stderr());
    }
    let first = fs::read(d.join("acks/0.json")).unwrap();
    for i in 0..20 {
        assert_eq!(fs::read(d.join(format!("acks/{i}.json"))).unwrap(), first);
    }
    assert_eq!(
        fs::read_dir(d.join("acks")).unwrap().count(),
        20,
        "no temp files"
    );

    // Twenty runs onto the same file without --force: exactly one lands.
    let children: Vec<_> = (0..20)
        .map(|_| spawn_sign(d, "acks/same.json", false))
        .collect();
    let outputs: Vec<Run> = children.into_iter().map(|c| c.wait()).collect();
    let ok = outputs.iter().filter(|o| o.success()).count();
    assert_eq!(ok, 1);
    for o in outputs.iter().filter(|o| !o.success()) {
        no_panic(o);
        assert_eq!(o.code(), Some(2));
        assert!(o.stderr().contains("already exists"), "{}", o.stderr());
    }
    assert_eq!(fs::read(d.join("acks/same.json")).unwrap(), first);
}

#[test]
fn keyring_changes_are_serialised_by_a_lock() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let keys: Vec<SigningKey> = (1..=8u8)
        .map(|i| SigningKey::from_bytes(&[i; 32]))
        .collect();
    for (i, k) in keys.iter().enumerate() {
        let pem = ackreg_core::keys::encode_public_key(&k.verifying_key()).unwrap();
        fs::write(d.join(format!("k{i}.pub.pem")), pem).unwrap();
    }
    let add = |i: usize, extra: &[&str]| {
        ackreg(d)
            .args(["keyring", "add", "--name", &format!("Darbinieks {i}")])
            .args(["--id", &format!("e{i}")])
            .args([
                "--public-key",
                &format!("k{i}.pub.pem"),
                "--keyring",
                "keys",
            ])
            .args(extra)
    };
    // Eight runs at once: none loses another's entry.
    let children: Vec<_> = (0..8).map(|i| add(i, &[]).spawn()).collect();
    for c in children {
        let o = c.wait();
        assert!(o.success(), "{}", o.stderr());
    }
    let ring = Keyring::load(&d.join("keys")).unwrap();
    assert_eq!(ring.entries().len(), 8);

    // While the lock is held, --no-wait fails clearly and the default waits.
    fs::remove_dir_all(d.join("keys")).unwrap();
    fs::create_dir(d.join("keys")).unwrap();
    let target = d.join("keys/keyring.json");
    let held =
        ackreg_core::fsutil::Lock::acquire(&target, ackreg_core::fsutil::Wait::No, |_, _| {})
            .unwrap();
    let o = add(0, &["--no-wait"]).run();
    assert_eq!(o.code(), Some(2));
    let holder = format!(
        "is locked by another ackreg run (pid {})",
        std::process::id()
    );
    assert!(o.stderr().contains(&holder), "{}", o.stderr());
    assert!(o.stderr().contains("hint: "));
    let waiting = add(1, &[]).spawn();
    std::thread::sleep(Duration::from_millis(300));
    assert!(!target.exists(), "the second run must wait for the lock");
    drop(held);
    let o = waiting.wait();
    assert!(o.success(), "{}", o.stderr());
    assert!(o.stderr().contains("waiting: "), "{}", o.stderr());
    assert_eq!(Keyring::load(&d.join("keys")).unwrap().entries().len(), 1);
}

/// A small reproducible PRNG (xorshift64*), so that the kill times of the
/// SIGKILL test are the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

fn register_cmd(d: &Path, sealed_at: &str) -> Ackreg {
    ackreg(d)
        .args(["register", "--document", "rules.pdf", "--keyring", "keys"])
        .args(["--acks", "acks", "--issuer-key"])
        .arg(repo().join(TEST_KEY))
        .args(["--sealed-at", sealed_at, "-o", "register.json"])
}

#[test]
fn sigkill_while_writing_a_register_leaves_the_old_or_the_new_one() {
    const EMPLOYEES: usize = 300;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let pdf = tiny_pdf("Noteikumi");
    fs::write(d.join("rules.pdf"), &pdf).unwrap();
    let doc = DocumentRef::from_pdf_bytes(&pdf, None).unwrap();
    fs::create_dir(d.join("acks")).unwrap();
    let mut ring = Keyring::default();
    for i in 0..EMPLOYEES {
        let mut seed = [0u8; 32];
        seed[..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
        let key = SigningKey::from_bytes(&seed);
        let id = format!("e{i:03}");
        let entry = Entry::new(&id, &format!("Darbinieks {i}"), None, key.verifying_key()).unwrap();
        let ack = Acknowledgement::new(&doc, &entry.name, &id, "2017-12-04", None).unwrap();
        fs::write(
            d.join(format!("acks/{id}.json")),
            ack.sign(&key).unwrap().to_json().unwrap(),
        )
        .unwrap();
        ring.add(entry).unwrap();
    }
    fs::create_dir(d.join("keys")).unwrap();
    ring.save(&d.join("keys")).unwrap();

    // The two complete registers, and how long one run takes.
    let times = ["2017-12-20T09:30:00Z", "2017-12-21T09:30:00Z"];
    let start = Instant::now();
    register_cmd(d, times[1]).run().must_succeed();
    let run_time = start.elapsed();
    let new = fs::read(d.join("register.json")).unwrap();
    register_cmd(d, times[0]).run().must_succeed();
    let old = fs::read(d.join("register.json")).unwrap();
    let issuer = ackreg_core::verify::IssuerKey::KeyId(
        ackreg_core::keys::KeyId::from_hex(TEST_KEYID).unwrap(),
    );
    for r in [&old, &new] {
        let report = ackreg_core::verify::verify_register(r, &issuer, Some(&doc.sha256));
        assert!(report.is_valid());
    }

    let mut rng = Rng(0x6163_6b72_6567_0006);
    let max_delay = run_time.as_micros().max(1000) as u64;
    let mut outcomes = [0usize; 2];
    for round in 0..25 {
        let mut child = register_cmd(d, times[round % 2])
            .command()
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(rng.next() % max_delay));
        let _ = child.kill(); // SIGKILL on Unix
        let _ = child.wait();
        let now = fs::read(d.join("register.json")).unwrap();
        assert!(
            now == old || now == new,
            "round {round}: register.json is neither the old nor the new register"
        );
        outcomes[usize::from(now == new)] += 1;
    }
    // A complete run afterwards works, and removes the temporary files that
    // killed runs left.
    register_cmd(d, times[1]).run().must_succeed();
    assert_eq!(fs::read(d.join("register.json")).unwrap(), new);
    let temps: Vec<String> = fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(temps.is_empty(), "stale temporary files: {temps:?}");
    eprintln!("sigkill: run {run_time:?}, old/new after kills: {outcomes:?}");
}

// ---------------------------------------------------------------------
// Point 4: properties of signing and verifying.

fn text_strategy(max: usize, multiline: bool) -> impl Strategy<Value = String> {
    let mut chars: Vec<char> = "aābcčdeēfgģhiījkķlļmnņoprsštuūvzžAĀBCČĒĢĪĶĻŅŠŪŽ .,'-()«»—ΩЖשح"
        .chars()
        .collect();
    // Combining macron: normalised to NFC on the way in.
    chars.push('\u{304}');
    if multiline {
        chars.extend(['\n', '!', '?', '%', ':', ';', '"', '/']);
    }
    proptest::collection::vec(proptest::sample::select(chars), 1..max).prop_filter_map(
        "some visible text",
        |v| {
            let s: String = v.into_iter().collect();
            let t = s.trim();
            (!t.is_empty() && !t.starts_with('\u{304}')).then(|| t.to_string())
        },
    )
}

fn date_strategy() -> impl Strategy<Value = String> {
    (1u32..=9999, 1u32..=12, 1u32..=28).prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}"))
}

fn signed(
    name: &str,
    date: &str,
    notes: Option<&str>,
) -> (Vec<u8>, Keyring, [u8; 32], Acknowledgement) {
    let key = SigningKey::from_bytes(&[42; 32]);
    let doc = DocumentRef {
        title: "Klientu apkalpošanas centra darbības noteikumi".into(),
        sha256: [7; 32],
    };
    let mut ring = Keyring::default();
    let entry = Entry::new("anna", name, None, key.verifying_key()).unwrap();
    let ack = Acknowledgement::new(&doc, name, "anna", date, notes).unwrap();
    assert_eq!(ack.employee.name, entry.name);
    ring.add(entry).unwrap();
    let json = ack.sign(&key).unwrap().to_json().unwrap();
    (json, ring, doc.sha256, ack)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn sign_then_verify_holds(
        name in text_strategy(60, false),
        date in date_strategy(),
        notes in proptest::option::of(text_strategy(120, true)),
    ) {
        let (json, ring, sha, ack) = signed(&name, &date, notes.as_deref());
        let report = ack::verify_ack(&json, &ring, Some(&sha));
        prop_assert!(report.is_valid(), "{:?}", report.failure());
        prop_assert_eq!(report.acknowledgement, Some(ack));
    }

    #[test]
    fn any_single_byte_change_is_caught(
        name in text_strategy(40, false),
        date in date_strategy(),
        at in any::<prop::sample::Index>(),
        flip in 1u8..=255,
        in_signature in any::<bool>(),
    ) {
        let (json, ring, sha, _) = signed(&name, &date, None);
        let mut env = Envelope::from_json(&json).unwrap();
        if in_signature {
            let mut sig = b64_strict(&env.signatures[0].sig).unwrap();
            let i = at.index(sig.len());
            sig[i] ^= flip;
            env.signatures[0].sig = b64(&sig);
        } else {
            let mut payload = b64_strict(&env.payload).unwrap();
            let i = at.index(payload.len());
            payload[i] ^= flip;
            env.payload = b64(&payload);
        }
        let report = ack::verify_ack(&env.to_json().unwrap(), &ring, Some(&sha));
        prop_assert!(!report.is_valid());
    }

    #[test]
    fn any_single_byte_change_to_the_file_is_caught_or_harmless(
        at in any::<prop::sample::Index>(),
        flip in 1u8..=255,
    ) {
        // A change to the envelope file itself either breaks it or leaves
        // exactly the same signed content (e.g. white space outside strings).
        let (json, ring, sha, ack) = signed("Jānis Bērziņš", "2017-12-04", Some("Labi"));
        let mut bad = json.clone();
        let i = at.index(bad.len());
        bad[i] ^= flip;
        let report = ack::verify_ack(&bad, &ring, Some(&sha));
        if report.is_valid() {
            prop_assert_eq!(report.acknowledgement, Some(ack));
        }
    }
}
