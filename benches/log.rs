//! `cargo bench --bench log`: the append-only log's speed, each figure
//! beside its baseline measured in the same run (issue 10, point 4; the
//! figures are kept in docs/PERFORMANCE.md).
//!
//! The log is generated here with fixed seeds: `E` employees (1,000), each
//! acknowledging each of `V` versions (99): 100,100 entries in all, about
//! 100 MB. Figures:
//! - full audit vs the strict floor (each distinct key decompressed once,
//!   every signature batch-verified on all cores from ready PAE messages,
//!   in the fastest batch size, printed), and vs the first floor (keys
//!   decompressed for each signature, batches of 256); limit 1.3 (issue 19);
//! - `ackreg verify DIR` as a whole process vs the audit in this process
//!   (limit 1.15), and its peak memory (`/usr/bin/time -v`);
//! - incremental audit of the last 1,000 entries vs the full audit (3 %);
//! - a receipt: its size and the time to verify it (2 KB, 1 ms);
//! - appending 1,000 acknowledgements and a checkpoint vs building the log
//!   from scratch (5 %).
//!
//! `cargo bench --bench log -- export DIR` writes the log to DIR (for
//! `/usr/bin/time -v ackreg verify DIR --issuer KEYID`, peak memory) and
//! prints the issuer's key id. `cargo bench --bench log -- scale [DIR]`
//! gives the same figures for a log of 1,002,501 entries (2,000 employees,
//! 40 documents, 500 versions; about 1 GB, built in a temporary folder
//! under DIR, default the current one) with the limits of issue 19, and
//! `-- export-scale DIR` writes that log to DIR. `-- audit DIR` runs only
//! the full audit's rounds beside its floors, on a log either export wrote,
//! `-- incremental DIR CHECKPOINT` only the incremental audit since that
//! kept checkpoint, and `-- process DIR` only the whole process beside the
//! audit in process, and its peak memory.

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

/// The log a run builds: `employees` each acknowledging each of `versions`
/// versions (of `documents` documents, in turn), committed every
/// `commit_every` entries, and the limits its figures are held to.
struct Shape {
    employees: u64,
    versions: u64,
    documents: u64,
    commit_every: u64,
    memory_limit_mb: u64,
    append_limit: f64,
    incremental_limit: f64,
}

impl Shape {
    /// 100,100 entries (issue 10).
    const BENCH: Shape = Shape {
        employees: 1000,
        versions: 99,
        documents: 1,
        commit_every: 1000,
        memory_limit_mb: 128,
        append_limit: 0.05,
        incremental_limit: 0.03,
    };
    /// 1,002,501 entries: 2,000 employees, 40 documents of 12 or 13
    /// versions each (issue 19, point 3).
    const SCALE: Shape = Shape {
        employees: 2000,
        versions: 500,
        documents: 40,
        commit_every: 1000,
        memory_limit_mb: 256,
        append_limit: 0.02,
        incremental_limit: 0.01,
    };
}

fn seed(i: u64) -> [u8; 32] {
    let mut s = [0x6bu8; 32];
    s[..8].copy_from_slice(&i.to_le_bytes());
    s
}

fn issuer() -> SigningKey {
    SigningKey::from_bytes(&seed(u64::MAX))
}

/// Version `v`: of document `v % documents`, the only document's title
/// being the one the bench always had.
fn version(shape: &Shape, v: u64) -> Version {
    let mut sha = [0u8; 32];
    sha[..8].copy_from_slice(&v.to_le_bytes());
    let title = match shape.documents {
        1 => "Aknīstes novada pašvaldības klientu apkalpošanas centra noteikumi".to_string(),
        n => format!(
            "Aknīstes novada pašvaldības iekšējie noteikumi Nr. {}",
            v % n + 1
        ),
    };
    Version {
        document: None,
        label: format!("{}", v + 1),
        title,
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

fn start() -> time::Date {
    parse_date("2017-12-01").unwrap()
}

/// The log entry and every enrolment.
fn head(shape: &Shape) -> Vec<Vec<u8>> {
    let k = issuer().verifying_key();
    let mut out =
        vec![entry::log_bytes("bench.invalid/log", "Bench", &k, "Bench", start()).unwrap()];
    for i in 0..shape.employees {
        let k = SigningKey::from_bytes(&seed(i)).verifying_key();
        out.push(entry::enrol_bytes(&format!("e{i:05}"), &name(i), None, &k, start()).unwrap());
    }
    out
}

/// Version `v`'s entry and the acknowledgements of its first `n`
/// employees, signed on all cores.
fn acks_of(shape: &Shape, v: u64, n: u64) -> Vec<Vec<u8>> {
    let ver = version(shape, v);
    let doc = DocumentRef {
        title: ver.title.clone(),
        sha256: ver.sha256,
    };
    let mut out = vec![entry::version_bytes(&ver).unwrap()];
    let acks: Vec<Vec<u8>> = (0..n)
        .into_par_iter()
        .map(|i| {
            let key = SigningKey::from_bytes(&seed(i));
            let ack = Acknowledgement::new(&doc, &name(i), &format!("e{i:05}"), "2017-12-04", None)
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
    out
}

/// Builds the log in `dir`, a version at a time, committing every
/// `commit_every` entries; returns the number of entries.
fn build(dir: &Path, shape: &Shape) -> u64 {
    let mut head = head(shape).into_iter();
    let mut w = Writer::create(dir, issuer(), head.next().unwrap(), Wait::Yes).unwrap();
    let mut appended = 0u64;
    let mut add = |w: &mut Writer, e: Vec<u8>| {
        w.append(e).unwrap();
        appended += 1;
        if appended.is_multiple_of(shape.commit_every) {
            w.commit().unwrap();
        }
    };
    for e in head {
        add(&mut w, e);
    }
    for v in 0..shape.versions {
        for e in acks_of(shape, v, shape.employees) {
            add(&mut w, e);
        }
    }
    w.commit().unwrap();
    appended + 1
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

/// The CPU time this process has had, all its threads, user and system:
/// `/proc/self/stat` in ticks of 1/100 s (Linux's USER_HZ). Time the host
/// took away from the virtual machine (steal) is not charged to it, so the
/// work of two jobs compares even when their wall times do not.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    // Fields after the command's closing parenthesis: state is the 3rd
    // field of the line, utime the 14th and stime the 15th.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<u64> = rest
        .split(' ')
        .skip(11)
        .take(2)
        .map(|x| x.parse().unwrap())
        .collect();
    Duration::from_millis((f[0] + f[1]) * 10)
}

/// Runs `job` (which returns its wall time) and pushes the CPU time it
/// took onto `cpu`.
fn with_cpu(cpu: &mut Vec<Duration>, job: impl FnOnce() -> Duration) -> Duration {
    let before = cpu_time();
    let wall = job();
    cpu.push(cpu_time() - before);
    wall
}

/// Runs each job once per round, `rounds` rounds, alternating, so that a
/// load from elsewhere weighs on all alike; returns each job's times.
fn alternate(rounds: usize, jobs: &mut [&mut dyn FnMut() -> Duration]) -> Vec<Vec<Duration>> {
    let mut times = vec![Vec::new(); jobs.len()];
    for _ in 0..rounds {
        for (job, t) in jobs.iter_mut().zip(&mut times) {
            t.push(job());
        }
    }
    times
}

/// Prints the ratio of each round, then their median and range.
fn report_rounds(what: &str, base: &str, a: &[Duration], b: &[Duration], limit: f64) {
    let mut r: Vec<f64> = a
        .iter()
        .zip(b)
        .map(|(a, b)| a.as_secs_f64() / b.as_secs_f64())
        .collect();
    let each: Vec<String> = a
        .iter()
        .zip(b)
        .zip(&r)
        .map(|((a, b), r)| format!("{r:.3} ({a:.2?} / {b:.2?})"))
        .collect();
    println!("{what} / {base}, each round: {}", each.join(", "));
    r.sort_by(f64::total_cmp);
    let median = r[r.len() / 2];
    let verdict = if median <= limit { "within" } else { "OVER" };
    println!(
        "RATIO {what} / {base}: median {median:.3}, range {:.3} to {:.3} ({verdict} the limit {limit})",
        r[0],
        r[r.len() - 1]
    );
}

type Signed = ([u8; 32], Vec<u8>, Signature);

/// Every acknowledgement's key, signed message (PAE) and signature.
fn floor_inputs(log: &LogDir) -> Vec<Signed> {
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

/// The bench's first floor: decompressing every signer's key again for
/// each signature and one batch verification per 256 signatures, on all
/// cores, from ready-made messages.
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

/// The strict floor's inputs: each distinct key once (compressed, as any
/// auditor finds it), and per signature the index of its key beside its
/// message (the PAE bytes, already built) and the signature.
struct Strict<'a> {
    keys: Vec<[u8; 32]>,
    signer: Vec<usize>,
    signed: &'a [Signed],
}

fn strict_inputs(signed: &[Signed]) -> Strict<'_> {
    let mut index = std::collections::HashMap::new();
    let mut keys = Vec::new();
    let signer = signed
        .iter()
        .map(|(k, _, _)| {
            *index.entry(*k).or_insert_with(|| {
                keys.push(*k);
                keys.len() - 1
            })
        })
        .collect();
    Strict {
        keys,
        signer,
        signed,
    }
}

/// The strict floor: the least work any auditor of these signatures has
/// to do. Each distinct key is decompressed once, then every signature is
/// batch-verified on all cores, `batch` at a time.
fn strict_floor(s: &Strict, batch: usize) {
    let keys: Vec<VerifyingKey> = s
        .keys
        .par_iter()
        .map(|k| VerifyingKey::from_bytes(k).unwrap())
        .collect();
    let n = s.signed.len();
    (0..n.div_ceil(batch)).into_par_iter().for_each(|b| {
        let r = b * batch..(b * batch + batch).min(n);
        let k: Vec<VerifyingKey> = s.signer[r.clone()].iter().map(|&i| keys[i]).collect();
        let m: Vec<&[u8]> = s.signed[r.clone()].iter().map(|x| x.1.as_slice()).collect();
        let g: Vec<Signature> = s.signed[r].iter().map(|x| x.2).collect();
        ed25519_dalek::verify_batch(&m, &g, &k).unwrap();
    })
}

/// The batch sizes the strict floor tries; it keeps the fastest.
fn strict_batches(n: usize) -> Vec<usize> {
    let per_core = n.div_ceil(rayon::current_num_threads());
    let mut sizes = vec![256, 1024, 2048, 4096, 8192, per_core];
    sizes.retain(|&b| b <= per_core);
    sizes.sort_unstable();
    sizes.dedup();
    sizes
}

/// Times the strict floor at every batch size, best of `runs` passes that
/// each try every size in turn (so that a slow period of the machine does
/// not weigh on one size alone), prints them, and returns the fastest and
/// its size.
fn time_strict_floor(s: &Strict, runs: usize) -> (Duration, usize) {
    let sizes = strict_batches(s.signed.len());
    let mut best = vec![Duration::MAX; sizes.len()];
    for _ in 0..runs {
        for (b, t) in sizes.iter().zip(&mut best) {
            *t = (*t).min(time(|| strict_floor(s, *b)).0);
        }
    }
    let mut fastest = (Duration::MAX, 0);
    for (b, t) in sizes.into_iter().zip(best) {
        println!("strict floor, batches of {b}: {t:?} (best of {runs})");
        fastest = fastest.min((t, b));
    }
    fastest
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let after = |word: &str| {
        let i = args.iter().position(|a| a == word)?;
        Some(args.get(i + 1).cloned())
    };
    if let Some(dir) = after("export") {
        let dir = dir.expect("usage: cargo bench --bench log -- export DIR");
        make_log(Path::new(&dir), &Shape::BENCH);
        println!("issuer key id: {}", KeyId::of(&issuer().verifying_key()));
    } else if let Some(dir) = after("export-scale") {
        let dir = dir.expect("usage: cargo bench --bench log -- export-scale DIR");
        make_log(Path::new(&dir), &Shape::SCALE);
        println!("issuer key id: {}", KeyId::of(&issuer().verifying_key()));
    } else if let Some(dir) = after("audit") {
        // The full audit's rounds alone, on a log `export` or `export-scale`
        // wrote before: for trying a change without building the log again.
        let dir = dir.expect("usage: cargo bench --bench log -- audit DIR");
        let key = IssuerKey::Key(issuer().verifying_key());
        full_audit_figures(&LogDir::new(Path::new(&dir)), &key);
    } else if let Some(dir) = after("incremental") {
        // The incremental audit alone, since a checkpoint kept in the log
        // `export` or `export-scale` wrote: for trying a change quickly.
        let usage = "usage: cargo bench --bench log -- incremental DIR CHECKPOINT";
        let dir = dir.expect(usage);
        let old = std::fs::read(args.last().expect(usage)).expect(usage);
        let key = IssuerKey::Key(issuer().verifying_key());
        let log = LogDir::new(Path::new(&dir));
        let options = AuditOptions {
            since: Some(old),
            ..AuditOptions::default()
        };
        let times: Vec<Duration> = (0..9)
            .map(|_| {
                time(|| assert!(audit(&log, &key, &options, &NoProgress).unwrap().is_valid())).0
            })
            .collect();
        println!("incremental audit, nine runs: {times:.1?}");
    } else if let Some(dir) = after("process") {
        // The whole process beside the audit in process, and its peak
        // memory, on a log `export` or `export-scale` wrote.
        let dir = dir.expect("usage: cargo bench --bench log -- process DIR");
        let log = LogDir::new(Path::new(&dir));
        let size = log.checkpoint().unwrap().checkpoint.size;
        let shape = if size > 500_000 {
            &Shape::SCALE
        } else {
            &Shape::BENCH
        };
        process_figures(&log, &IssuerKey::Key(issuer().verifying_key()), shape);
    } else if let Some(dir) = after("scale") {
        let tmp = tempfile::tempdir_in(dir.as_deref().unwrap_or(".")).unwrap();
        figures(&tmp.path().join("log"), &Shape::SCALE);
    } else {
        let tmp = tempfile::tempdir().unwrap();
        figures(&tmp.path().join("log"), &Shape::BENCH);
    }
}

/// Builds the log of `shape` in `dir` and returns the time it took.
fn make_log(dir: &Path, shape: &Shape) -> Duration {
    let (t, n) = time(|| build(dir, shape));
    let bytes = std::fs::metadata(LogDir::new(dir).entries_path())
        .unwrap()
        .len();
    println!(
        "built {n} entries ({} employees, {} versions) in {t:.2?}: entries file {:.1} MB, folder {:.1} MB",
        shape.employees,
        shape.versions,
        bytes as f64 / 1e6,
        folder_size(dir) as f64 / 1e6
    );
    t
}

fn folder_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let m = e.metadata().unwrap();
            if m.is_dir() {
                folder_size(&e.path())
            } else {
                m.len()
            }
        })
        .sum()
}

/// Every figure of the bench, on a log of `shape`.
fn figures(dir: &Path, shape: &Shape) {
    let t_build = make_log(dir, shape);
    let key = IssuerKey::Key(issuer().verifying_key());
    let log = LogDir::new(dir);
    let t_full = full_audit_figures(&log, &key);
    process_figures(&log, &key, shape);
    let old = std::fs::read(log.checkpoint_path()).unwrap();
    append_figures(dir, shape, t_build);
    incremental_figures(&log, &key, old, t_full, shape);
    receipt_figures(&log);
}

/// The full audit beside its floors, five alternating rounds; returns the
/// audit's fastest time.
fn full_audit_figures(log: &LogDir, key: &IssuerKey) -> Duration {
    let messages = floor_inputs(log);
    let strict = strict_inputs(&messages);
    let (_, batch) = time_strict_floor(&strict, 3);
    let full = || {
        let r = audit(log, key, &AuditOptions::default(), &NoProgress).unwrap();
        assert!(r.is_valid());
    };
    let (mut cpu_full, mut cpu_strict) = (Vec::new(), Vec::new());
    let rounds = alternate(
        5,
        &mut [
            &mut || with_cpu(&mut cpu_full, || time(full).0),
            &mut || with_cpu(&mut cpu_strict, || time(|| strict_floor(&strict, batch)).0),
            &mut || time(|| floor(&messages)).0,
        ],
    );
    println!(
        "strict floor: {} distinct keys decompressed once, batches of {batch}",
        strict.keys.len()
    );
    report_rounds("full audit", "strict floor", &rounds[0], &rounds[1], 1.3);
    report_rounds(
        "(CPU time) full audit",
        "strict floor",
        &cpu_full,
        &cpu_strict,
        1.3,
    );
    report_rounds(
        "full audit",
        "(verify_batch + decompress each, batches of 256)",
        &rounds[0],
        &rounds[2],
        1.3,
    );
    rounds[0].iter().copied().min().unwrap()
}

/// `ackreg verify DIR --issuer KEYID` as a user runs it, a whole process,
/// against the audit in this process, five alternating rounds; and its
/// peak memory (by `/usr/bin/time -v`, when there is one).
fn process_figures(log: &LogDir, key: &IssuerKey, shape: &Shape) {
    let keyid = KeyId::of(&issuer().verifying_key()).to_string();
    let dir = log.entries_path().parent().unwrap().to_path_buf();
    let run = || {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_ackreg"))
            .arg("verify")
            .arg(&dir)
            .args(["--issuer", &keyid])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    };
    let audit_only = || {
        let r = audit(log, key, &AuditOptions::default(), &NoProgress).unwrap();
        assert!(r.is_valid());
    };
    let rounds = alternate(5, &mut [&mut || time(run).0, &mut || time(audit_only).0]);
    report_rounds(
        "ackreg verify (whole process)",
        "audit in process",
        &rounds[0],
        &rounds[1],
        1.15,
    );
    let peak = peak_memory(&dir, &keyid);
    if let Some(kb) = peak {
        let limit = shape.memory_limit_mb;
        let verdict = if kb / 1024 <= limit { "within" } else { "OVER" };
        println!(
            "RATIO peak memory of ackreg verify / {limit} MB: {:.3} ({} MB, {verdict} the limit)",
            kb as f64 / 1024.0 / limit as f64,
            kb / 1024
        );
    }
}

/// The maximum resident set size of `ackreg verify`, in kB.
fn peak_memory(dir: &Path, keyid: &str) -> Option<u64> {
    let out = std::process::Command::new("/usr/bin/time")
        .arg("-v")
        .arg(env!("CARGO_BIN_EXE_ackreg"))
        .arg("verify")
        .arg(dir)
        .args(["--issuer", keyid])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stderr);
    text.lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("Maximum resident set size (kbytes): ")
        })
        .and_then(|v| v.trim().parse().ok())
}

fn append_figures(dir: &Path, shape: &Shape, t_build: Duration) {
    let more = acks_of(shape, shape.versions, 1_000);
    let (t_append, ()) = time(|| {
        let mut w = Writer::open(dir, issuer(), Wait::Yes, |_, _| {}).unwrap();
        for e in &more {
            w.append(e.clone()).unwrap();
        }
        w.commit().unwrap();
    });
    println!("append {} entries + checkpoint: {t_append:?}", more.len());
    ratio(
        &format!("append {} + checkpoint / build from scratch", more.len()),
        t_append,
        t_build,
        shape.append_limit,
    );
}

fn incremental_figures(
    log: &LogDir,
    key: &IssuerKey,
    old: Vec<u8>,
    t_full: Duration,
    shape: &Shape,
) {
    let options = AuditOptions {
        since: Some(old),
        ..AuditOptions::default()
    };
    let t_inc = best(5, || {
        let r = audit(log, key, &options, &NoProgress).unwrap();
        assert!(r.is_valid());
    });
    println!("incremental audit {t_inc:?}; full {t_full:?}");
    ratio(
        "incremental audit of the last 1,001 entries / full audit",
        t_inc,
        t_full,
        shape.incremental_limit,
    );
}

fn receipt_figures(log: &LogDir) {
    let size = log.checkpoint().unwrap().checkpoint.size;
    let bytes = receipt::make(log, size - 1).unwrap();
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
