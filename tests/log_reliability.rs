//! The log under stress, through the real binary: twenty `ackreg log add`
//! runs at once lose nothing, and `kill -9` at any moment of an append
//! leaves a log whose audit passes (the old checkpoint holds or the new one
//! does).

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::Duration;

use ackreg_core::ack::Acknowledgement;
use ackreg_core::document::DocumentRef;
use ackreg_core::fsutil::Wait;
use ackreg_core::log::audit::{audit, AuditOptions};
use ackreg_core::log::entry::{self, parse_date, Version};
use ackreg_core::log::{LogDir, Writer};
use ackreg_core::verify::{IssuerKey, NoProgress};
use ed25519_dalek::SigningKey;

fn key(i: u64) -> SigningKey {
    let mut seed = [0x33u8; 32];
    seed[..8].copy_from_slice(&i.to_le_bytes());
    SigningKey::from_bytes(&seed)
}

fn doc() -> DocumentRef {
    DocumentRef {
        title: "Noteikumi".into(),
        sha256: [7; 32],
    }
}

/// A log with one version and `n` employees, its issuer key file, and one
/// acknowledgement file per employee.
fn setup(dir: &Path, n: u64) -> (PathBuf, Vec<PathBuf>) {
    let d = |s| parse_date(s).unwrap();
    let issuer = key(u64::MAX);
    let key_path = dir.join("issuer.key");
    let pem = ackreg_core::keys::encode_secret_key(&issuer, None).unwrap();
    std::fs::write(&key_path, pem.as_bytes()).unwrap();
    let log = dir.join("log");
    let first = entry::log_bytes(
        "example.invalid/stress",
        "J",
        &issuer.verifying_key(),
        "P",
        d("2017-12-01"),
    )
    .unwrap();
    let mut w = Writer::create(&log, issuer, first, Wait::Yes).unwrap();
    let version = Version {
        document: None,
        label: "1".into(),
        title: "Noteikumi".into(),
        sha256: [7; 32],
        effective: d("2017-12-01"),
        material: true,
        deadline: Some(d("2017-12-31")),
        new_employee_days: 14,
    };
    w.append(entry::version_bytes(&version).unwrap()).unwrap();
    let mut acks = Vec::new();
    for i in 0..n {
        let (id, name) = (format!("e{i:03}"), format!("Darbinieks {i}"));
        w.append(
            entry::enrol_bytes(&id, &name, None, &key(i).verifying_key(), d("2017-12-01")).unwrap(),
        )
        .unwrap();
        let env = Acknowledgement::new(&doc(), &name, &id, "2017-12-04", None)
            .unwrap()
            .sign(&key(i))
            .unwrap();
        let path = dir.join(format!("ack{i:03}.json"));
        std::fs::write(&path, env.to_json().unwrap()).unwrap();
        acks.push(path);
    }
    w.commit().unwrap();
    (key_path, acks)
}

/// `ackreg log add log --issuer-key KEY ACKS... --received 2017-12-05` in `dir`.
fn add_command(dir: &Path, key: &Path, acks: &[PathBuf]) -> common::Ackreg {
    common::ackreg(dir)
        .args(["log", "add", "log", "--issuer-key"])
        .arg(key)
        .args(acks)
        .args(["--received", "2017-12-05"])
}

/// [`add_command`] started, its output discarded.
fn add(dir: &Path, key: &Path, acks: &[PathBuf]) -> Child {
    add_command(dir, key, acks)
        .command()
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn audited(dir: &Path) -> (bool, usize) {
    let log = LogDir::new(&dir.join("log"));
    let issuer = IssuerKey::Key(key(u64::MAX).verifying_key());
    let report = audit(&log, &issuer, &AuditOptions::default(), &NoProgress).unwrap();
    let acks = report.state.as_ref().map_or(0, |s| s.acks().count());
    (report.is_valid(), acks)
}

#[test]
fn twenty_concurrent_appenders_lose_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let (key_path, acks) = setup(tmp.path(), 20);
    let children: Vec<Child> = acks
        .iter()
        .map(|a| add(tmp.path(), &key_path, std::slice::from_ref(a)))
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success(), "an appender failed");
    }
    assert_eq!(audited(tmp.path()), (true, 20));
}

#[test]
fn kill_9_during_appends_leaves_a_log_that_verifies() {
    let tmp = tempfile::tempdir().unwrap();
    let (key_path, acks) = setup(tmp.path(), 60);
    let mut before = 0;
    for (round, batch) in acks.chunks(4).enumerate() {
        let mut child = add(tmp.path(), &key_path, batch);
        // Kill at a different moment each round, from at once to after the end.
        std::thread::sleep(Duration::from_millis((round as u64 * 7) % 60));
        let _ = child.kill();
        let _ = child.wait();
        let (valid, count) = audited(tmp.path());
        assert!(
            valid,
            "round {round}: the log fails its audit after kill -9"
        );
        assert!(
            count == before || count == before + batch.len(),
            "round {round}: {before} then {count}: a batch half-committed"
        );
        before = count;
    }
    // The writer after the kills cuts off what did not finish and goes on.
    let missing: Vec<PathBuf> = acks.iter().skip(before).cloned().collect();
    let _ = add(tmp.path(), &key_path, &acks).wait();
    let (valid, count) = audited(tmp.path());
    assert!(valid);
    assert_eq!(
        count,
        60,
        "{} were missing before the last run",
        missing.len()
    );
}

/// Truncates `path` to `len` bytes, then appends `junk` zero bytes: what a
/// crash of the machine can leave of an unsynced append.
fn lose_tail(path: &Path, len: u64, junk: usize) {
    let f = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    f.set_len(len).unwrap();
    drop(f);
    let mut bytes = std::fs::read(path).unwrap();
    bytes.extend(std::iter::repeat_n(0u8, junk));
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn a_machine_crash_that_loses_the_unsynced_caches_is_repaired_by_the_next_writer() {
    let tmp = tempfile::tempdir().unwrap();
    let (key_path, acks) = setup(tmp.path(), 12);
    let log = tmp.path().join("log");
    let synced = |dir: &Path| std::fs::read_to_string(dir.join("synced")).unwrap();
    // The writer that made the log synced its caches when it closed.
    assert_eq!(synced(&log), "14\n");
    add_command(tmp.path(), &key_path, &acks[..6])
        .run()
        .must_succeed();
    assert_eq!(synced(&log), "20\n");
    // A crash of the machine before the caches were synced: `synced` still
    // says 14, and the index and the tree lost their tail or hold zeros.
    std::fs::write(log.join("synced"), "14\n").unwrap();
    lose_tail(&log.join("index"), 16 * 9, 9 * 3);
    lose_tail(&log.join("tree/0"), 15 * 32, 64);
    lose_tail(&log.join("tree/1"), 7 * 32, 0);
    let tree4 = log.join("tree/4");
    if tree4.exists() {
        std::fs::remove_file(&tree4).unwrap();
    }
    // The next writer rebuilds what the caches lack, checks the root and
    // goes on; the audit then passes with every acknowledgement.
    add_command(tmp.path(), &key_path, &acks[6..])
        .run()
        .must_succeed();
    assert_eq!(synced(&log), "26\n");
    assert_eq!(audited(tmp.path()), (true, 12));
}

#[test]
fn a_cache_damaged_below_synced_is_refused_before_anything_is_appended() {
    let tmp = tempfile::tempdir().unwrap();
    let (key_path, acks) = setup(tmp.path(), 4);
    let log = tmp.path().join("log");
    // A hash the caches claim to hold for certain is wrong: the first
    // subtree of four entries, which the root is made of.
    let mut hashes = std::fs::read(log.join("tree/2")).unwrap();
    hashes[5] ^= 1;
    std::fs::write(log.join("tree/2"), &hashes).unwrap();
    let entries = std::fs::read(log.join("entries")).unwrap();
    let out = common::ackreg(tmp.path())
        .args(["log", "add", "log", "--issuer-key"])
        .arg(&key_path)
        .args(&acks)
        .args(["--received", "2017-12-05"])
        .run()
        .must_fail(2);
    let err = out.stderr();
    assert!(
        err.contains("the entries and the tree do not give the checkpoint's root hash"),
        "{err}"
    );
    assert_eq!(std::fs::read(log.join("entries")).unwrap(), entries);
}

/// What a state says, in a form that does not depend on hash map order.
fn described(state: &ackreg_core::log::state::State) -> String {
    let mut acks: Vec<String> = state
        .acks()
        .map(|(e, a)| format!("{} {a:?}", e.id))
        .collect();
    acks.sort();
    format!(
        "{} {:?} {:?} {:?} {acks:?}",
        state.size(),
        state.issuer(),
        state.employees(),
        state.versions()
    )
}

fn audited_state(dir: &Path) -> String {
    let log = LogDir::new(&dir.join("log"));
    let issuer = IssuerKey::Key(key(u64::MAX).verifying_key());
    let report = audit(&log, &issuer, &AuditOptions::default(), &NoProgress).unwrap();
    described(report.state.as_ref().unwrap())
}

#[test]
fn the_writers_snapshot_gives_the_state_the_audit_rebuilds_and_a_bad_one_is_ignored() {
    let tmp = tempfile::tempdir().unwrap();
    let (key_path, acks) = setup(tmp.path(), 10);
    let log = tmp.path().join("log");
    add_command(tmp.path(), &key_path, &acks[..4])
        .run()
        .must_succeed();
    // The writer left a snapshot at the size it synced; read through it, the
    // state is the one the auditor rebuilds from the entries alone.
    assert!(log.join("state").exists());
    let (_, state) = LogDir::new(&log).committed().unwrap();
    assert_eq!(described(&state), audited_state(tmp.path()));
    // A damaged snapshot, or one of another log, is not used: the writer
    // replays the entries and goes on.
    let mut snap = std::fs::read(log.join("state")).unwrap();
    let last = snap.len() - 1;
    snap[last] ^= 1;
    std::fs::write(log.join("state"), &snap).unwrap();
    add_command(tmp.path(), &key_path, &acks[4..7])
        .run()
        .must_succeed();
    let other = tempfile::tempdir().unwrap();
    setup(other.path(), 3);
    std::fs::copy(other.path().join("log/state"), log.join("state")).unwrap();
    let (_, state) = LogDir::new(&log).committed().unwrap();
    assert_eq!(described(&state), audited_state(tmp.path()));
    add_command(tmp.path(), &key_path, &acks[7..])
        .run()
        .must_succeed();
    let (_, state) = LogDir::new(&log).committed().unwrap();
    assert_eq!(described(&state), audited_state(tmp.path()));
    assert_eq!(audited(tmp.path()), (true, 10));
    // Appending the same acknowledgement again is still refused: the
    // snapshot carries the acknowledgements, not only the people.
    let out = add_command(tmp.path(), &key_path, std::slice::from_ref(&acks[0])).run();
    assert!(!out.success(), "{}", out.report());
    assert_eq!(audited(tmp.path()), (true, 10));
}
