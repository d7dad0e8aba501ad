//! `cargo bench`: ackreg's speed, each figure beside its baseline measured
//! in the same run (issue 5; the figures are kept in docs/PERFORMANCE.md).
//!
//! A small harness of its own rather than criterion: the slow cases (a
//! 10,000-row annex, a 100,000-entry register) allow only a few samples, and
//! what matters is the ratio to a baseline taken on the same machine at the
//! same moment. Each case prints its median, its fastest run, and its ratio.
//!
//! Registers are generated here with fixed seeds (never committed):
//! employee `i` has the key `SigningKey::from_bytes(seed(i))`.
//!
//! `cargo bench --bench ackreg -- export-typst DIR` writes the 10,000-row
//! annex as a Typst project for `typst compile` (scripts/typst-compare.sh)
//! and times ackreg on the same rows.

use std::time::{Duration, Instant};

use ackreg_core::ack::Acknowledgement;
use ackreg_core::document::DocumentRef;
use ackreg_core::dsse::{self, Envelope};
use ackreg_core::keyring::{Entry, Keyring};
use ackreg_core::keys::{self, Passphrase};
use ackreg_core::register::{self, Candidate, Sealed};
use ackreg_core::render::{RenderInput, Template};
use ackreg_core::verify::{self, IssuerKey, NoProgress, SignatureCheck};
use ed25519_dalek::{Signature, SigningKey, VerifyingKey};
use rayon::prelude::*;

/// The seed of employee `i`'s key (and `u64::MAX` for the issuer).
fn seed(i: u64) -> [u8; 32] {
    let mut s = [0x5au8; 32];
    s[..8].copy_from_slice(&i.to_le_bytes());
    s
}

fn document() -> DocumentRef {
    DocumentRef {
        title: "Aknīstes novada pašvaldības klientu apkalpošanas centra noteikumi".into(),
        sha256: [0xab; 32],
    }
}

const SURNAMES: [&str; 8] = [
    "Bērziņš",
    "Kalniņš",
    "Ozoliņš",
    "Liepiņš",
    "Krūmiņš",
    "Zariņš",
    "Vītols",
    "Siliņš",
];
const GIVEN: [&str; 6] = ["Jānis", "Andris", "Pēteris", "Mārtiņš", "Edgars", "Uldis"];

/// A sealed register of `n` employees, every one acknowledging.
fn make_register(n: u64) -> Sealed {
    let doc = document();
    let keys: Vec<SigningKey> = (0..n)
        .into_par_iter()
        .map(|i| SigningKey::from_bytes(&seed(i)))
        .collect();
    let mut ring = Keyring::default();
    let mut people = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        let id = format!("e{i:06}");
        let name = format!(
            "{} {} {i}",
            GIVEN[i % GIVEN.len()],
            SURNAMES[(i / GIVEN.len()) % SURNAMES.len()]
        );
        ring.add(Entry::new(&id, &name, None, k.verifying_key()).expect("entry"))
            .expect("add");
        people.push((id, name));
    }
    let candidates: Vec<Candidate> = keys
        .par_iter()
        .zip(people.par_iter())
        .enumerate()
        .map(|(i, (k, (id, name)))| {
            let date = format!("2017-12-{:02}", 4 + i % 20);
            let ack = Acknowledgement::new(&doc, name, id, &date, None).expect("ack");
            Candidate {
                source: format!("{id}.ack.json"),
                bytes: ack.sign(k).expect("sign").to_json().expect("json"),
            }
        })
        .collect();
    let assembly = register::assemble(&doc, &ring, &candidates);
    assert!(
        assembly.refused.is_empty(),
        "{:?}",
        assembly.refused.first()
    );
    let issuer = SigningKey::from_bytes(&seed(u64::MAX));
    register::seal(
        &assembly,
        &issuer,
        Some("Valdis Pētersons"),
        "2017-12-31T09:30:00Z",
    )
    .expect("seal")
}

fn issuer() -> IssuerKey {
    IssuerKey::Key(SigningKey::from_bytes(&seed(u64::MAX)).verifying_key())
}

/// The raw material of a register's signatures: PAE messages, signatures,
/// keys, exactly what step 5 verifies.
struct Raw {
    messages: Vec<Vec<u8>>,
    sigs: Vec<Signature>,
    keys: Vec<VerifyingKey>,
}

fn raw(sealed: &Sealed) -> Raw {
    let ring = Keyring::from_json(sealed.body.keyring.get().as_bytes()).expect("keyring");
    let mut r = Raw {
        messages: vec![],
        sigs: vec![],
        keys: vec![],
    };
    for e in &sealed.body.entries {
        let c = Envelope::from_json(e.envelope.get().as_bytes())
            .and_then(|e| e.check())
            .expect("envelope");
        r.keys
            .push(ring.by_keyid(&c.keyid).expect("key").public_key);
        r.messages.push(dsse::pae(&c.payload_type, &c.payload));
        r.sigs.push(c.signature);
    }
    r
}

/// ed25519-dalek's verify_batch over chunks of `chunk` signatures, on all cores.
fn raw_batch(r: &Raw, chunk: usize) {
    let refs: Vec<&[u8]> = r.messages.iter().map(Vec::as_slice).collect();
    let ok = refs
        .par_chunks(chunk)
        .zip(r.sigs.par_chunks(chunk))
        .zip(r.keys.par_chunks(chunk))
        .all(|((m, s), k)| ed25519_dalek::verify_batch(m, s, k).is_ok());
    assert!(ok);
}

/// verify_strict of every signature, on all cores.
fn raw_strict(r: &Raw) {
    let ok = (0..r.sigs.len())
        .into_par_iter()
        .all(|i| r.keys[i].verify_strict(&r.messages[i], &r.sigs[i]).is_ok());
    assert!(ok);
}

#[derive(Clone, Copy)]
struct Timing {
    median: Duration,
    min: Duration,
}

impl Timing {
    fn secs(self) -> f64 {
        self.median.as_secs_f64()
    }
}

/// Runs `f` once to warm up, then `runs` times; prints and returns the timing.
fn measure<R>(name: &str, runs: usize, mut f: impl FnMut() -> R) -> Timing {
    std::hint::black_box(f());
    let mut times: Vec<Duration> = (0..runs.max(1))
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(f());
            t.elapsed()
        })
        .collect();
    times.sort();
    let t = Timing {
        median: times[times.len() / 2],
        min: times[0],
    };
    println!(
        "{name:<58} median {:>12}  min {:>12}  ({} runs)",
        fmt(t.median),
        fmt(t.min),
        times.len()
    );
    t
}

/// Times `f` per call over `n` calls (for the micro cases), median of 5.
fn per_call<R>(name: &str, n: usize, mut f: impl FnMut(usize) -> R) -> Timing {
    let t = measure(&format!("{name} (x{n})"), 5, || {
        for i in 0..n {
            std::hint::black_box(f(i));
        }
    });
    let each = Timing {
        median: t.median / n as u32,
        min: t.min / n as u32,
    };
    println!("{:<58} median {:>12}  per call", "", fmt(each.median));
    each
}

fn fmt(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 1.0 {
        format!("{s:.3} s")
    } else if s >= 1e-3 {
        format!("{:.3} ms", s * 1e3)
    } else {
        format!("{:.2} µs", s * 1e6)
    }
}

fn ratio(what: &str, a: Timing, b: Timing, limit: Option<f64>) {
    let r = a.secs() / b.secs();
    let verdict = match limit {
        Some(l) if r <= l => format!("  (limit {l}×: within)"),
        Some(l) => format!("  (limit {l}×: OVER)"),
        None => String::new(),
    };
    println!("RATIO {what:<60} {r:>7.3}×{verdict}");
}

fn annex(sealed: &Sealed) -> RenderInput {
    register::annex_input(
        &sealed.bytes,
        &sealed.body,
        register::annex_rows(&sealed.body),
    )
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "export-typst") {
        let dir = args.get(i + 1).expect("export-typst DIR");
        export_typst(std::path::Path::new(dir));
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "export-register") {
        // A register file for measuring `ackreg verify` as a process (peak
        // memory with /usr/bin/time -v); prints the issuer's key id.
        let file = args.get(i + 1).expect("export-register FILE");
        let rows: u64 = std::env::var("ROWS")
            .ok()
            .and_then(|r| r.parse().ok())
            .unwrap_or(100_000);
        let sealed = make_register(rows);
        std::fs::write(file, &sealed.bytes).expect("write register");
        println!("{}", sealed.body.issuer.keyid);
        return;
    }
    if args.iter().any(|a| a == "profile-verify") {
        // verify_register alone, in a loop, for a profiler.
        let sealed = make_register(20_000);
        let t = Instant::now();
        for _ in 0..10 {
            assert!(verify::verify_register(&sealed.bytes, &issuer(), None).is_valid());
        }
        println!("10 verifications in {}", fmt(t.elapsed()));
        return;
    }
    // `cargo bench -- NAME` runs the groups whose name contains NAME.
    let filter: Option<&String> = args.iter().skip(1).find(|a| !a.starts_with('-'));
    let on = |group: &str| filter.is_none_or(|f| group.contains(f.as_str()));
    println!(
        "ackreg bench: {} cores (rayon), chunk {} entries",
        rayon::current_num_threads(),
        verify::CHUNK
    );
    if on("sign") {
        bench_sign();
    }
    if on("verify") {
        bench_verify();
    }
    if on("render") {
        bench_render();
    }
}

fn bench_sign() {
    println!("\n== signing ==");
    let key = SigningKey::from_bytes(&seed(1));
    let doc = document();
    let sign = per_call("sign one acknowledgement (no KDF)", 2000, |_| {
        Acknowledgement::new(&doc, "Jānis Bērziņš", "jberzins", "2017-12-04", None)
            .expect("ack")
            .sign(&key)
            .expect("sign")
            .to_json()
            .expect("json")
    });
    let pass = Passphrase::new("correct horse battery staple".to_string().into());
    let pem = keys::encode_secret_key(&key, Some(&pass)).expect("encrypt");
    let kdf = measure(
        "passphrase key derivation (decrypt the secret key)",
        5,
        || keys::decode_secret_key(pem.as_bytes(), Some(&pass)).expect("decrypt"),
    );
    ratio("KDF / signing one acknowledgement", kdf, sign, None);
}

fn bench_verify() {
    println!("\n== verification ==");
    let key = SigningKey::from_bytes(&seed(1));
    let msg = dsse::pae(ackreg_core::ack::PAYLOAD_TYPE, &[b'x'; 400]);
    let sig = dsse::sign_bytes(&key, &msg);
    let vk = key.verifying_key();
    let single = per_call("verify_strict, one signature, one core", 2000, |_| {
        vk.verify_strict(&msg, &sig).expect("valid")
    });
    let r_point = curve25519_dalek::edwards::CompressedEdwardsY(*sig.r_bytes())
        .decompress()
        .expect("R");
    let torsion = per_call(
        "R torsion-freeness check ([l]R = 0), one core",
        2000,
        |_| r_point.is_torsion_free(),
    );
    ratio(
        "torsion check / verify_strict single",
        torsion,
        single,
        None,
    );

    for (n, runs) in [(1_000u64, 10usize), (100_000, 3)] {
        println!("\n-- register of {n} acknowledgements --");
        let t = Instant::now();
        let sealed = make_register(n);
        println!(
            "generated in {} ({} bytes, {:.0} bytes per entry)",
            fmt(t.elapsed()),
            sealed.bytes.len(),
            sealed.bytes.len() as f64 / n as f64
        );
        let r = raw(&sealed);
        let per_sig = |t: Timing| Timing {
            median: t.median / n as u32,
            min: t.min / n as u32,
        };
        // The baseline batches as ackreg does (verify::chunk_size); other
        // batch sizes are shown beside it.
        let size = verify::chunk_size(n as usize);
        let batch = measure(
            &format!("raw verify_batch, chunks of {size}, all cores"),
            runs,
            || raw_batch(&r, size),
        );
        if n >= 100_000 {
            for chunk in [256, 4096, n as usize / rayon::current_num_threads()] {
                measure(
                    &format!("raw verify_batch, chunks of {chunk}, all cores"),
                    runs,
                    || raw_batch(&r, chunk),
                );
            }
        }
        // What any verifier of these bytes must do besides the baseline's
        // arithmetic: turn each stored public key into a curve point (a
        // square root in the field: the baseline is handed the points), and
        // hash the sealed payload for the seal.
        let key_bytes: Vec<[u8; 32]> = r.keys.iter().map(|k| k.to_bytes()).collect();
        let keys = measure(
            "  floor: decompress every public key, all cores",
            runs,
            || {
                key_bytes
                    .par_iter()
                    .map(|b| VerifyingKey::from_bytes(b).expect("key"))
                    .collect::<Vec<_>>()
            },
        );
        // The payload is the register file's base64 payload decoded: about
        // three quarters of the file (which bytes are hashed does not
        // change the time).
        let payload_len = sealed.bytes.len() / 4 * 3;
        let seal_hash = measure(
            "  floor: SHA-512 of the sealed payload (the seal)",
            runs,
            || {
                use sha2::Digest as _;
                sha2::Sha512::digest(&sealed.bytes[..payload_len])
            },
        );
        let strict = measure("raw verify_strict each, all cores", runs, || raw_strict(&r));
        let ring = measure(
            "  part, alone: load the sealed keyring (step 4)",
            runs,
            || Keyring::from_json(sealed.body.keyring.get().as_bytes()).expect("keyring"),
        );
        let outer = measure(
            "  part, alone and on one core: steps 1-3 (envelope, body, seal)",
            runs,
            || {
                let c = Envelope::from_json(&sealed.bytes)
                    .and_then(|e| e.check())
                    .expect("envelope");
                let body: register::RegisterBody =
                    serde_json::from_slice(&c.payload).expect("body");
                dsse::verify_bytes(
                    &SigningKey::from_bytes(&seed(u64::MAX)).verifying_key(),
                    &dsse::pae(&c.payload_type, &c.payload),
                    &c.signature,
                )
                .expect("seal");
                body
            },
        );
        let sha = measure("  part, alone: SHA-256 of the register file", runs, || {
            ackreg_core::document::sha256(&sealed.bytes)
        });
        let parts = ring.secs() + outer.secs() + sha.secs();
        println!("  parts above: {:.3} s", parts);
        let issuer = issuer();
        let reg = measure("ackreg verify_register (batch)", runs, || {
            let rep = verify::verify_register(&sealed.bytes, &issuer, None);
            assert!(rep.is_valid());
        });
        let reg_strict = measure("ackreg verify_register (strict mode)", runs, || {
            let rep = verify::verify_register_with(
                &sealed.bytes,
                &issuer,
                None,
                SignatureCheck::Strict,
                &NoProgress,
            );
            assert!(rep.is_valid());
        });
        println!(
            "per signature: raw batch {}, raw strict {}, register {}",
            fmt(per_sig(batch).median),
            fmt(per_sig(strict).median),
            fmt(per_sig(reg).median)
        );
        ratio(
            &format!("verify register {n} / raw verify_batch all cores"),
            reg,
            batch,
            Some(1.4),
        );
        let floor = Timing {
            median: batch.median + keys.median + seal_hash.median,
            min: batch.min + keys.min + seal_hash.min,
        };
        ratio(
            &format!("  floor {n} (batch + keys + seal hash) / raw verify_batch"),
            floor,
            batch,
            None,
        );
        ratio(
            &format!("verify register {n} / floor (batch + keys + seal hash)"),
            reg,
            floor,
            None,
        );
        ratio(
            &format!("verify register {n} (strict) / raw verify_strict all cores"),
            reg_strict,
            strict,
            None,
        );
        ratio(
            &format!("raw verify_batch per sig ({n}) / verify_strict single"),
            per_sig(batch),
            single,
            None,
        );
        ratio(
            &format!("raw verify_batch ({n}, all cores) / verify_strict ({n}, all cores)"),
            batch,
            strict,
            None,
        );
    }
}

fn bench_render() {
    println!("\n== rendering ==");
    let t = Instant::now();
    let template = Template::builtin();
    let cold = template.render(&RenderInput::default()).expect("render");
    println!(
        "{:<58} {:>12}  (first render in the process: fonts, caches)",
        "render default rules PDF, cold",
        fmt(t.elapsed())
    );
    let rules = measure("render default rules PDF (caches emptied)", 5, || {
        comemo::evict(0);
        template.render(&RenderInput::default()).expect("render")
    });
    measure(
        "render default rules PDF, memoised (same input again)",
        5,
        || template.render(&RenderInput::default()).expect("render"),
    );
    println!(
        "   rules PDF: {} bytes, {} pages",
        cold.pdf.len(),
        cold.pages
    );
    // Typst memoises layout in a process-wide cache (comemo) keyed by its
    // inputs, so rendering the same input again, even with a fresh
    // template, is mostly answered from it. Every measured rendering
    // empties that cache first, so each one does the whole work, as the
    // single rendering of an `ackreg register --pdf` process does.
    let r1k = make_register(1_000);
    let r10k = make_register(10_000);
    let in1k = annex(&r1k);
    let in10k = annex(&r10k);
    let a1k = measure("render annex 1,000 rows", 5, || {
        comemo::evict(0);
        template.render(&in1k).expect("render")
    });
    let a10k = measure("render annex 10,000 rows", 3, || {
        comemo::evict(0);
        template.render(&in10k).expect("render")
    });
    ratio("render annex 10,000 / 1,000 rows", a10k, a1k, Some(12.0));
    ratio("render annex 1,000 rows / default rules", a1k, rules, None);

    println!("\n-- PDF size (annex, 1,000 and 10,000 rows) --");
    for (n, input, sealed) in [(1_000, &in1k, &r1k), (10_000, &in10k, &r10k)] {
        let t = Template::builtin();
        let a3a = t.render(input).expect("render").pdf.len();
        let tagged = t
            .render_plain_for_measurement(input, true)
            .expect("render")
            .pdf
            .len();
        let untagged = t
            .render_plain_for_measurement(input, false)
            .expect("render")
            .pdf
            .len();
        let mut bare = input.clone();
        bare.attachment = None;
        let bare_tagged = t
            .render_plain_for_measurement(&bare, true)
            .expect("render")
            .pdf
            .len();
        let bare_untagged = t
            .render_plain_for_measurement(&bare, false)
            .expect("render")
            .pdf
            .len();
        println!(
            "{n} rows: PDF/A-3a {a3a} B; plain tagged {tagged} B; plain untagged {untagged} B; \
             attached register {} B",
            sealed.bytes.len()
        );
        println!(
            "{n} rows without the attachment: tagged {bare_tagged} B, untagged {bare_untagged} B, \
             tagging adds {:.2}×",
            bare_tagged as f64 / bare_untagged as f64
        );
        let pdf = t.render(input).expect("render").pdf;
        size_by_kind(&pdf);
    }
}

/// Prints how many objects of each kind a PDF holds and their stream bytes
/// (as stored, i.e. compressed).
fn size_by_kind(pdf: &[u8]) {
    let doc = match lopdf::Document::load_mem(pdf) {
        Ok(d) => d,
        Err(e) => {
            println!("   (lopdf cannot read it: {e})");
            return;
        }
    };
    let mut kinds: std::collections::BTreeMap<String, (usize, usize)> = Default::default();
    for obj in doc.objects.values() {
        let (dict, stream_len) = match obj {
            lopdf::Object::Dictionary(d) => (Some(d), 0),
            lopdf::Object::Stream(s) => (Some(&s.dict), s.content.len()),
            _ => (None, 0),
        };
        let kind = dict
            .and_then(|d| {
                d.get(b"Type")
                    .or_else(|_| d.get(b"Subtype"))
                    .ok()
                    .and_then(|t| t.as_name().ok())
                    .map(|n| String::from_utf8_lossy(n).into_owned())
            })
            .unwrap_or_else(|| {
                if stream_len > 0 {
                    "(stream)".into()
                } else {
                    "(other)".into()
                }
            });
        let e = kinds.entry(kind).or_default();
        e.0 += 1;
        e.1 += stream_len;
    }
    for (k, (count, bytes)) in kinds {
        if count > 20 || bytes > 10_000 {
            println!("   {k:<20} {count:>8} objects {bytes:>10} stream bytes");
        }
    }
}

/// Writes the 10,000-row annex as a Typst project whose data is inline, for
/// `typst compile` (scripts/typst-compare.sh), and times ackreg's own
/// rendering of the same rows: cold (a new process's first rendering,
/// fonts included) and warm.
fn export_typst(dir: &std::path::Path) {
    let rows: u64 = std::env::var("ROWS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(10_000);
    let sealed = make_register(rows);
    let input = annex(&sealed);
    std::fs::create_dir_all(dir).expect("mkdir");
    let q = |s: &str| {
        let mut o = String::from("\"");
        for c in s.chars() {
            match c {
                '"' => o.push_str("\\\""),
                '\\' => o.push_str("\\\\"),
                '\n' => o.push_str("\\n"),
                c => o.push(c),
            }
        }
        o.push('"');
        o
    };
    let mut data = String::from("#let inputs = (\n  mode: \"annex\",\n  rows: (\n");
    for r in &input.rows {
        data.push_str(&format!(
            "    (nr: {}, date: {}, name: {}, signature: {}, notes: {}),\n",
            q(&r.nr),
            q(&r.date),
            q(&r.name),
            q(&r.signature),
            q(&r.notes)
        ));
    }
    data.push_str("  ),\n  footer: (\n");
    for (l, v) in &input.footer {
        data.push_str(&format!("    (label: {}, value: {}),\n", q(l), q(v)));
    }
    data.push_str("  ),\n");
    if let Some(a) = &input.attachment {
        std::fs::write(dir.join(&a.name), &a.data).expect("write attachment");
        data.push_str(&format!(
            "  attachment-name: {},\n  attachment-data: read({}, encoding: none),\n  attachment-description: {},\n",
            q(&a.name),
            q(&a.name),
            q(&a.description)
        ));
    }
    data.push_str(")\n");
    std::fs::write(dir.join("data.typ"), data).expect("write data");
    let style = ackreg_core::render::STYLE_TYP.replacen(
        "#let inputs = sys.inputs",
        "#import \"data.typ\": inputs",
        1,
    );
    assert!(style.contains("data.typ"), "style.typ reads sys.inputs");
    std::fs::write(dir.join("style.typ"), style).expect("write style");
    std::fs::write(dir.join("rules.typ"), ackreg_core::render::RULES_TYP).expect("write rules");

    let t = Instant::now();
    let template = Template::builtin();
    let first = template.render(&input).expect("render");
    let cold = t.elapsed();
    std::fs::write(dir.join("ackreg.pdf"), &first.pdf).expect("write pdf");
    // Again in the same process, fonts loaded, Typst's memoisation cache
    // emptied (otherwise the same input is answered from it).
    comemo::evict(0);
    let t = Instant::now();
    template.render(&input).expect("render");
    let warm = t.elapsed();
    println!("ACKREG_COLD_SECONDS {:.3}", cold.as_secs_f64());
    println!("ACKREG_WARM_SECONDS {:.3}", warm.as_secs_f64());
    println!("ACKREG_PDF_BYTES {}", first.pdf.len());
    println!("ACKREG_PAGES {}", first.pages);
}
