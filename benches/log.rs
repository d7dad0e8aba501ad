//! `cargo bench --bench log`: the append-only log's speed, each figure
//! beside its baseline measured in the same run (issue 10, point 4; the
//! figures are kept in docs/PERFORMANCE.md).
//!
//! The log is generated here with fixed seeds: `E` employees (1,000), each
//! acknowledging each of `V` versions (99): 100,100 entries in all, about
//! 100 MB. Figures:
//! - full audit vs raw `verify_batch` of its signatures plus decompressing
//!   its public keys (limit 1.3);
//! - incremental audit of the last 1,000 entries vs the full audit (3 %);
//! - a receipt: its size and the time to verify it (2 KB, 1 ms);
//! - appending 1,000 acknowledgements and a checkpoint vs building the log
//!   from scratch (5 %).
//!
//! `cargo bench --bench log -- export DIR` writes the log to DIR (for
//! `/usr/bin/time -v ackreg verify DIR --issuer KEYID`, peak memory) and
//! prints the issuer's key id.

use std::path::Path;
use std::time::{Duration, Instant};

use ackreg_core::ack::Acknowledgement;
use ackreg_core::document::DocumentRef;
use ackreg_core::fsutil::Wait;
use ackreg_core::keys::KeyId;
use ackreg_core::log::audit::{audit, AuditOptions};
use ackreg_core::log::entry::{self, parse_date, Version};
use ackreg_core::log::{receipt, LogDir, Writer};
use ackreg_core::verify::{IssuerKey, NoProgress};
use ed25519_dalek::{Signature, SigningKey, VerifyingKey};
use rayon::prelude::*;

const EMPLOYEES: u64 = 1000;
const VERSIONS: u64 = 99;
const COMMIT_EVERY: usize = 1000;

fn seed(i: u64) -> [u8; 32] {
    let mut s = [0x6bu8; 32];
    s[..8].copy_from_slice(&i.to_le_bytes());
    s
}

fn issuer() -> SigningKey {
    SigningKey::from_bytes(&seed(u64::MAX))
}

fn version(v: u64) -> Version {
    let mut sha = [0u8; 32];
    sha[..8].copy_from_slice(&v.to_le_bytes());
    Version {
        document: None,
        label: format!("{}", v + 1),
        title: "Aknīstes novada pašvaldības klientu apkalpošanas centra noteikumi".into(),
        sha256: sha,
        effective: parse_date("2017-12-01").unwrap(),
        material: true,
        deadline: parse_date("2017-12-31"),
        new_employee_days: 14,
    }
}

fn name(i: u64) -> String {
    const GIVEN: [&str; 4] = ["Jānis", "Līga", "Pēteris", "Ilze"];
    const SUR: [&str; 4] = ["Bērziņš", "Ozoliņa", "Kalniņš", "Vītola"];
    format!(
        "{} {} {i}",
        GIVEN[(i % 4) as usize],
        SUR[(i / 4 % 4) as usize]
    )
}

/// Every entry of the log, in order, the acknowledgements signed on all cores.
fn entries(versions: std::ops::Range<u64>, with_head: bool) -> Vec<Vec<u8>> {
    let d = parse_date("2017-12-01").unwrap();
    let mut out = Vec::new();
    if with_head {
        out.push(
            entry::log_bytes(
                "bench.invalid/log",
                "Bench",
                &issuer().verifying_key(),
                "Bench",
                d,
            )
            .unwrap(),
        );
        for i in 0..EMPLOYEES {
            let k = SigningKey::from_bytes(&seed(i)).verifying_key();
            out.push(entry::enrol_bytes(&format!("e{i:05}"), &name(i), None, &k, d).unwrap());
        }
    }
    for v in versions {
        let ver = version(v);
        out.push(entry::version_bytes(&ver).unwrap());
        let doc = DocumentRef {
            title: ver.title.clone(),
            sha256: ver.sha256,
        };
        let acks: Vec<Vec<u8>> = (0..EMPLOYEES)
            .into_par_iter()
            .map(|i| {
                let key = SigningKey::from_bytes(&seed(i));
                let ack =
                    Acknowledgement::new(&doc, &name(i), &format!("e{i:05}"), "2017-12-04", None)
                        .unwrap();
                let env = ack.sign(&key).unwrap();
                entry::ack_bytes(
                    parse_date("2017-12-05").unwrap(),
                    &key.verifying_key(),
                    &env,
                )
                .unwrap()
            })
            .collect();
        out.extend(acks);
    }
    out
}

fn build(dir: &Path, all: &[Vec<u8>]) {
    let mut w = Writer::create(dir, issuer(), all[0].clone(), Wait::Yes).unwrap();
    for (i, e) in all[1..].iter().enumerate() {
        w.append(e.clone()).unwrap();
        if (i + 1) % COMMIT_EVERY == 0 {
            w.commit().unwrap();
        }
    }
    w.commit().unwrap();
}

fn time<R>(f: impl FnOnce() -> R) -> (Duration, R) {
    let t = Instant::now();
    let r = f();
    (t.elapsed(), r)
}

fn best<R>(runs: usize, mut f: impl FnMut() -> R) -> Duration {
    (0..runs).map(|_| time(&mut f).0).min().unwrap()
}

fn ratio(what: &str, a: Duration, b: Duration, limit: f64) {
    let r = a.as_secs_f64() / b.as_secs_f64();
    let verdict = if r <= limit { "within" } else { "OVER" };
    println!("RATIO {what}: {r:.3} ({verdict} the limit {limit})");
}

type Signed = ([u8; 32], Vec<u8>, Signature);

/// Every acknowledgement's key, signed message (PAE) and signature.
fn floor_inputs(dir: &Path) -> Vec<Signed> {
    let log = LogDir::new(dir);
    let size = log.checkpoint().unwrap().checkpoint.size;
    let mut raw = Vec::new();
    for i in 0..size {
        if let Ok(entry::Entry::Ack(a)) = entry::parse(&log.entry(i).unwrap()) {
            raw.push((
                a.key.to_bytes(),
                ackreg_core::dsse::pae(&a.envelope.payload_type, &a.envelope.payload),
                a.envelope.signature,
            ));
        }
    }
    raw
}

/// The floor: decompressing every signer's key and one batch verification
/// of every signature, on all cores, from ready-made messages.
fn floor(raw: &[Signed]) {
    raw.par_chunks(256).for_each(|c| {
        let keys: Vec<VerifyingKey> = c
            .iter()
            .map(|(k, _, _)| VerifyingKey::from_bytes(k).unwrap())
            .collect();
        let msgs: Vec<&[u8]> = c.iter().map(|(_, m, _)| m.as_slice()).collect();
        let sigs: Vec<Signature> = c.iter().map(|(_, _, s)| *s).collect();
        ed25519_dalek::verify_batch(&msgs, &sigs, &keys).unwrap();
    })
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let tmp = tempfile::tempdir().unwrap();
    let export = args
        .iter()
        .position(|a| a == "export")
        .map(|i| args[i + 1].clone());
    let dir = export
        .clone()
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| tmp.path().join("log"));
    let (made, all) = time(|| entries(0..VERSIONS, true));
    println!("generated {} entries in {made:?}", all.len());
    let (t_build, ()) = time(|| build(&dir, &all));
    println!("build from scratch: {t_build:?}");
    if export.is_some() {
        println!("issuer key id: {}", KeyId::of(&issuer().verifying_key()));
        return;
    }
    drop(all);
    let key = IssuerKey::Key(issuer().verifying_key());
    let log = LogDir::new(&dir);
    // The audit and its floor alternate, five rounds, and each keeps its
    // best: a load from elsewhere on the machine then weighs on both alike.
    let messages = floor_inputs(&dir);
    let (mut t_full, mut t_floor) = (Duration::MAX, Duration::MAX);
    for _ in 0..5 {
        t_full = t_full.min(best(1, || {
            let r = audit(&log, &key, &AuditOptions::default(), &NoProgress).unwrap();
            assert!(r.is_valid());
        }));
        t_floor = t_floor.min(best(1, || floor(&messages)));
    }
    println!("full audit {t_full:?}; floor (decompress + batch) {t_floor:?}");
    ratio(
        "full audit / (verify_batch + decompress)",
        t_full,
        t_floor,
        1.3,
    );

    let more = entries(VERSIONS..VERSIONS + 1, false);
    let old = std::fs::read(log.checkpoint_path()).unwrap();
    let (t_append, ()) = time(|| {
        let mut w = Writer::open(&dir, issuer(), Wait::Yes, |_, _| {}).unwrap();
        for e in &more {
            w.append(e.clone()).unwrap();
        }
        w.commit().unwrap();
    });
    println!("append {} entries + checkpoint: {t_append:?}", more.len());
    ratio(
        "append 1,001 + checkpoint / build from scratch",
        t_append,
        t_build,
        0.05,
    );

    let options = AuditOptions {
        since: Some(old),
        ..AuditOptions::default()
    };
    let t_inc = best(5, || {
        let r = audit(&log, &key, &options, &NoProgress).unwrap();
        assert!(r.is_valid());
    });
    let t_full = best(2, || {
        audit(&log, &key, &AuditOptions::default(), &NoProgress).unwrap()
    });
    println!("incremental audit {t_inc:?}; full {t_full:?}");
    ratio(
        "incremental audit of 1,001 new entries / full audit",
        t_inc,
        t_full,
        0.03,
    );

    let size = log.checkpoint().unwrap().checkpoint.size;
    let bytes = receipt::make(&log, size - 1).unwrap();
    let n = 1000;
    let t_receipt = best(3, || {
        for _ in 0..n {
            receipt::verify(&bytes, &issuer().verifying_key()).unwrap();
        }
    }) / n;
    println!(
        "receipt: {} bytes at {size} entries; verifies in {t_receipt:?}",
        bytes.len()
    );
    println!(
        "RATIO receipt size / 2048 bytes: {:.3}",
        bytes.len() as f64 / 2048.0
    );
    println!(
        "RATIO receipt verification / 1 ms: {:.3}",
        t_receipt.as_secs_f64() / 1e-3
    );
}
