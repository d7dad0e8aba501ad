//! `cargo bench --bench org`: the whole organisation in one log, at the
//! scale of issue 20 ("What must hold", point 5), each figure against its
//! limit and beside a baseline measured in the same run, in alternating
//! rounds (the figures are kept in docs/PERFORMANCE.md, "The organisation
//! at scale").
//!
//! The organisation is built here, in this process, through the library's
//! writer, with fixed seeds: 30 units; 40 documents (36 bind everyone, two
//! bind units, one of them widened in 2023, two bind positions), each with
//! 5 material versions a year apart, each with a deadline; 2,200 people
//! joined with units and positions (2,000 on the first day, 200 later),
//! 200 of them left over the years, 139 moved, 44 changed name
//! or position; all but 100 enrolled a key; each acknowledged the versions
//! that bind them, most on time, some late, a few never; checkpoints every
//! 1,000 entries. Figures:
//! - the status of every document and every unit (`status_of` with each
//!   filter) from the writer's state: at most 100 ms in all, beside one
//!   pass over every acknowledgement in the state;
//! - the desk's employee page (`ackreg_desk::view::employee`), server side,
//!   for an employee who owes several documents: at most 20 ms a request,
//!   beside looking up their own acknowledgement of each version;
//! - `ackreg log staff DIR --csv F` on a 2,000-row HR file with a few dozen
//!   changes, dry run and `--apply`, as whole processes: at most 1 s, beside
//!   the same process reading the log for `log status` of one document and
//!   one unit;
//! - the desk taking acknowledgements on a copy of this log: at least
//!   2,000 a second, p99 at most 100 ms.
//!
//! `cargo bench --bench org -- DIR` keeps the organisation in DIR (built
//! there if DIR/log is missing, reused otherwise); without DIR it is built
//! in a temporary folder. `-- export DIR` only builds it; `-- DIR desk`
//! gives only the desk's figure.

#[path = "../tests/desk_support/mod.rs"]
mod desk_support;

use std::ffi::OsString;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ackreg_core::ack::Acknowledgement;
use ackreg_core::document::DocumentRef;
use ackreg_core::fsutil::Wait;
use ackreg_core::log::entry::{self, format_date, parse_date, Declaration, Version};
use ackreg_core::log::state::State;
use ackreg_core::log::status::{self, Filter, Standing};
use ackreg_core::log::{LogDir, Writer};
use ed25519_dalek::SigningKey;
use rayon::prelude::*;
use time::Date;

const UNITS: u64 = 30;
const DOCUMENTS: u64 = 40;
const VERSIONS: u64 = 5;
/// People on the first day; `LATER` join after it.
const FIRST: u64 = 2000;
const LATER: u64 = 200;
/// Documents `0..EVERYONE` bind everyone.
const EVERYONE: u64 = 36;
/// The day every figure judges deadlines on, and the HR import's day.
const DAY: &str = "2026-12-01";
/// The last day anyone signed in the built log.
const LAST_SIGNED: &str = "2026-11-20";

const POSITIONS: [&str; 12] = [
    "vadītājs",
    "speciālists",
    "vecākais speciālists",
    "lietvedis",
    "grāmatvedis",
    "jurists",
    "sociālais darbinieks",
    "klientu konsultants",
    "IT speciālists",
    "būvinspektors",
    "referents",
    "apkopējs",
];

fn date(s: &str) -> Date {
    parse_date(s).unwrap()
}

fn plus(d: Date, days: u64) -> Date {
    d + time::Duration::days(days as i64)
}

/// A fixed pseudo-random number for `a` and `b` (splitmix64).
fn mix(a: u64, b: u64) -> u64 {
    let mut z = a
        .wrapping_mul(0x9e37_79b9_7f4a_7c15)
        .wrapping_add(b)
        .wrapping_add(0x6a09_e667_f3bc_c909);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn seed(i: u64) -> [u8; 32] {
    let mut s = [0x4fu8; 32];
    s[..8].copy_from_slice(&i.to_le_bytes());
    s
}

fn issuer() -> SigningKey {
    SigningKey::from_bytes(&seed(u64::MAX))
}

fn unit(u: u64) -> String {
    match u {
        0 => "kac".into(),
        u => format!("n{u:02}"),
    }
}

fn unit_name(u: u64) -> String {
    match u {
        0 => "Klientu apkalpošanas centrs".into(),
        u => format!("Struktūrvienība Nr. {u}"),
    }
}

fn document(d: u64) -> String {
    format!("noteikumi-{:02}", d + 1)
}

fn title(d: u64) -> String {
    format!(
        "Aknīstes novada pašvaldības iekšējie noteikumi Nr. {}",
        d + 1
    )
}

/// Document `d`'s declarations (the first on the log's first day).
fn declarations(d: u64) -> Vec<Declaration> {
    let units = |r: std::ops::RangeInclusive<u64>| r.map(unit).collect::<Vec<_>>();
    let positions = |p: &[usize]| p.iter().map(|&i| POSITIONS[i].to_string()).collect();
    let decl = |units: Vec<String>, positions: Vec<String>, day: &str| Declaration {
        id: document(d),
        title: title(d),
        units,
        positions,
        date: date(day),
    };
    match d {
        36 => vec![decl(units(0..=0), vec![], "2020-01-01")],
        37 => vec![
            decl(units(1..=10), vec![], "2020-01-01"),
            decl(units(1..=15), vec![], "2023-01-01"),
        ],
        38 => vec![decl(vec![], positions(&[0]), "2020-01-01")],
        39 => vec![decl(vec![], positions(&[6, 7, 10]), "2020-01-01")],
        _ => vec![decl(vec![], vec![], "2020-01-01")],
    }
}

/// Version `k` of document `d`.
fn version(d: u64, k: u64) -> Version {
    let mut sha = [0u8; 32];
    sha[..8].copy_from_slice(&(d * 100 + k).to_le_bytes());
    sha[31] = 0x20;
    let effective = plus(date("2020-03-01"), k * 365 + d * 2);
    Version {
        document: Some(document(d)),
        label: (k + 1).to_string(),
        title: title(d),
        sha256: sha,
        effective,
        material: true,
        deadline: Some(plus(effective, 30)),
        new_employee_days: 30,
    }
}

/// One person of the organisation, as the HR system knows them.
#[derive(Debug, Clone)]
struct Person {
    id: String,
    name: String,
    position: String,
    units: Vec<String>,
    start: Date,
    key_from: Option<Date>,
    left: Option<Date>,
    moved: Option<(Date, Vec<String>)>,
    updated: Option<(Date, String, String)>,
}

fn person(i: u64) -> Person {
    const GIVEN: [&str; 6] = ["Jānis", "Līga", "Pēteris", "Ilze", "Andris", "Dace"];
    const SUR: [&str; 6] = [
        "Bērziņš",
        "Ozoliņa",
        "Kalniņš",
        "Vītola",
        "Liepiņš",
        "Krūmiņa",
    ];
    let name = format!(
        "{} {} {i}",
        GIVEN[(i % 6) as usize],
        SUR[(i / 6 % 6) as usize]
    );
    let mut units = vec![unit(i % UNITS)];
    let second = unit((i / 7 + 1) % UNITS);
    if i.is_multiple_of(11) && second != units[0] {
        units.push(second);
        units.sort();
    }
    let position = POSITIONS[((i * 5 + i / 30) % 12) as usize].to_string();
    let later = i >= FIRST;
    let start = if later {
        plus(date("2021-02-01"), (i - FIRST) * 9)
    } else {
        date("2020-01-01")
    };
    let keyless = if later { i % 10 == 3 } else { i % 25 == 7 };
    let key_from = (!keyless).then(|| plus(start, mix(i, 1) % if later { 10 } else { 30 }));
    let leaves = !later && i % 10 == 3;
    let left = leaves.then(|| plus(date("2020-06-01"), mix(i, 2) % 2200));
    let settled = !later && !leaves;
    let moved = (settled && i % 13 == 5).then(|| {
        (
            plus(date("2022-01-10"), mix(i, 3) % 900),
            vec![unit((i + 7) % UNITS)],
        )
    });
    let updated = (settled && i % 41 == 9).then(|| {
        let position = if i % 82 == 9 {
            POSITIONS[0].to_string()
        } else {
            position.clone()
        };
        (
            plus(date("2023-05-01"), mix(i, 4) % 600),
            format!("{name}-Ozola"),
            position,
        )
    });
    Person {
        id: format!("p{i:05}"),
        name,
        position,
        units,
        start,
        key_from,
        left,
        moved,
        updated,
    }
}

fn people() -> Vec<Person> {
    (0..FIRST + LATER).map(person).collect()
}

/// An entry of the organisation's history before it is written: its day,
/// an order among entries of the same day, and what it is.
enum Event {
    Plain(Vec<u8>),
    /// Person, document, version, date signed, date received.
    Ack(usize, u64, u64, Date, Date),
}

/// Every entry but the first and the acknowledgements, dated.
fn plain_events(people: &[Person]) -> Vec<(Date, u8, Event)> {
    let first = date("2020-01-01");
    let mut out = Vec::new();
    let mut add =
        |day: Date, order: u8, bytes: Vec<u8>| out.push((day, order, Event::Plain(bytes)));
    for u in 0..UNITS {
        add(
            first,
            0,
            entry::unit_bytes(&unit(u), &unit_name(u)).unwrap(),
        );
    }
    for d in 0..DOCUMENTS {
        for decl in declarations(d) {
            add(decl.date, 1, entry::document_bytes(&decl).unwrap());
        }
        for k in 0..VERSIONS {
            let v = version(d, k);
            let published = v.effective - time::Duration::days(14);
            add(published, 4, entry::version_bytes(&v).unwrap());
        }
    }
    for (i, p) in people.iter().enumerate() {
        let seed = seed(i as u64);
        let j = entry::join_bytes(&p.id, &p.name, Some(&p.position), &p.units, p.start);
        add(p.start, 2, j.unwrap());
        if let Some(from) = p.key_from {
            let key = SigningKey::from_bytes(&seed).verifying_key();
            let e = entry::enrol_bytes(&p.id, &p.name, Some(&p.position), &key, from);
            add(from, 3, e.unwrap());
        }
        if let Some((day, units)) = &p.moved {
            add(*day, 5, entry::move_bytes(&p.id, units, *day).unwrap());
        }
        if let Some((day, name, position)) = &p.updated {
            let u = entry::update_bytes(&p.id, name, Some(position), *day);
            add(*day, 5, u.unwrap());
        }
        if let Some(day) = p.left {
            add(day, 7, entry::leave_bytes(&p.id, day).unwrap());
        }
    }
    out
}

/// The state of the history without acknowledgements: who works there,
/// where, and what binds them, day by day (the writer's own rules).
fn shadow(events: &[(Date, u8, Event)]) -> State {
    let mut state = State::new();
    let head = head_entry();
    state.apply(&entry::parse(&head).unwrap()).unwrap();
    for (_, _, e) in events {
        if let Event::Plain(bytes) = e {
            let parsed = entry::parse(bytes).unwrap();
            state
                .apply(&parsed)
                .unwrap_or_else(|r| panic!("{r}: {}", String::from_utf8_lossy(bytes)));
        }
    }
    state
}

fn head_entry() -> Vec<u8> {
    let k = issuer().verifying_key();
    entry::log_bytes(
        "aknistesnovads.lv/noteikumi",
        "J.Gavars",
        &k,
        "Aknīstes novada pašvaldība",
        date("2020-01-01"),
    )
    .unwrap()
}

/// Every acknowledgement the people make: each version that binds them
/// while they work there, signed a few days after it (or their key, or
/// their binding) took effect; a few late, a few never.
fn ack_events(people: &[Person], state: &State) -> Vec<(Date, u8, Event)> {
    let last = date(LAST_SIGNED);
    let mut out = Vec::new();
    for d in 0..DOCUMENTS {
        for k in 0..VERSIONS {
            let v = version(d, k);
            let end = (k + 1 < VERSIONS).then(|| version(d, k + 1).effective);
            for (i, p) in people.iter().enumerate() {
                let Some(from) = p.key_from else { continue };
                let r = mix(i as u64, d * VERSIONS + k + 100);
                if r % 100 < 2 {
                    continue;
                }
                let signed = plus(v.effective.max(from), r / 100 % 34);
                let received = plus(signed, u64::from((r / 10_000).is_multiple_of(3)));
                let e = state.employee(&p.id).unwrap();
                let in_time = end.is_none_or(|end| signed < end) && signed <= last;
                let there = e.employed_on(signed) && p.left.is_none_or(|l| received < l);
                if in_time && there && state.binds(&document(d), e, signed) {
                    out.push((received, 6, Event::Ack(i, d, k, signed, received)));
                }
            }
        }
    }
    out
}

fn ack_entry(people: &[Person], state: &State, a: &Event) -> Vec<u8> {
    let Event::Ack(i, d, k, signed, received) = a else {
        unreachable!()
    };
    let p = &people[*i];
    let v = version(*d, *k);
    let doc = DocumentRef {
        title: v.title.clone(),
        sha256: v.sha256,
    };
    let name = &state.employee(&p.id).unwrap().on(*signed).name;
    let key = SigningKey::from_bytes(&seed(*i as u64));
    let ack = Acknowledgement::new(&doc, name, &p.id, &format_date(*signed), None).unwrap();
    let env = ack.sign(&key).unwrap();
    entry::ack_bytes(*received, &key.verifying_key(), &env).unwrap()
}

/// Builds the organisation's log in `dir`; prints its shape and the time.
fn build(dir: &Path) -> Duration {
    let t0 = Instant::now();
    let people = people();
    let mut events = plain_events(&people);
    events.sort_by_key(|(d, o, _)| (*d, *o));
    let state = shadow(&events);
    let acks = ack_events(&people, &state);
    let n_acks = acks.len();
    events.extend(acks);
    events.sort_by_key(|(d, o, _)| (*d, *o));
    let t_plan = t0.elapsed();
    let bytes: Vec<Vec<u8>> = events
        .par_iter()
        .map(|(_, _, e)| match e {
            Event::Plain(b) => b.clone(),
            a => ack_entry(&people, &state, a),
        })
        .collect();
    drop(events);
    let t_signed = t0.elapsed();
    let mut w = Writer::create(dir, issuer(), head_entry(), Wait::Yes).unwrap();
    for (n, b) in bytes.into_iter().enumerate() {
        w.append(b).unwrap();
        if (n + 2).is_multiple_of(1000) {
            w.commit().unwrap();
        }
    }
    w.commit().unwrap();
    let size = w.state().size();
    drop(w);
    write_issuer_files(dir);
    let t = t0.elapsed();
    println!(
        "built the organisation: {size} entries, {n_acks} acknowledgements, {} people, \
         {UNITS} units, {DOCUMENTS} documents x {VERSIONS} versions, in {t:.2?} \
         (planning {t_plan:.2?}, signing {:.2?}, writing {:.2?}); entries file {:.1} MB",
        FIRST + LATER,
        t_signed - t_plan,
        t - t_signed,
        std::fs::metadata(LogDir::new(dir).entries_path())
            .map(|m| m.len())
            .unwrap_or(0) as f64
            / 1e6
    );
    t
}

fn log_of(root: &Path) -> PathBuf {
    root.join("log")
}

fn key_file(root: &Path) -> PathBuf {
    root.join("issuer.key")
}

/// The issuer's private key as `--issuer-key` reads it, beside the log.
fn write_issuer_files(log: &Path) {
    let root = log.parent().unwrap();
    let pem = ackreg_core::keys::encode_secret_key(&issuer(), None).unwrap();
    std::fs::write(key_file(root), pem.as_bytes()).unwrap();
}

/// The organisation in `root/log`, built if missing.
fn organisation(root: &Path) {
    if LogDir::new(&log_of(root)).exists() {
        println!("the organisation in {} (built before)", root.display());
        return;
    }
    std::fs::create_dir_all(root).unwrap();
    build(&log_of(root));
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let words: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| !a.starts_with("--"))
        .collect();
    match words.as_slice() {
        ["export", dir] => organisation(Path::new(dir)),
        [dir] => {
            organisation(Path::new(dir));
            figures(Path::new(dir));
        }
        [dir, "desk"] => {
            organisation(Path::new(dir));
            let w = Writer::open(&log_of(Path::new(dir)), issuer(), Wait::Yes, |_, _| {}).unwrap();
            let state = w.state().clone();
            drop(w);
            desk_figures(Path::new(dir), &state);
        }
        [dir, "admin"] => {
            organisation(Path::new(dir));
            let w = Writer::open(&log_of(Path::new(dir)), issuer(), Wait::Yes, |_, _| {}).unwrap();
            let state = w.state().clone();
            drop(w);
            admin_page_figures(&state, date(DAY));
        }
        _ => {
            let tmp = tempfile::tempdir().unwrap();
            organisation(tmp.path());
            figures(tmp.path());
        }
    }
}

fn time<R>(f: impl FnOnce() -> R) -> (Duration, R) {
    let t = Instant::now();
    let r = f();
    (t.elapsed(), r)
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

fn median_range(t: &[Duration]) -> (Duration, Duration, Duration) {
    let mut s = t.to_vec();
    s.sort();
    (s[s.len() / 2], s[0], s[s.len() - 1])
}

/// Prints the job's absolute times against `limit`, and the ratio of each
/// round to the baseline's, their median and range.
fn report(what: &str, base: &str, a: &[Duration], b: &[Duration], limit: Duration) {
    let (m, lo, hi) = median_range(a);
    let verdict = if m <= limit { "within" } else { "OVER" };
    println!(
        "FIGURE {what}: median {m:.2?}, range {lo:.2?} to {hi:.2?} ({verdict} the limit {limit:?})"
    );
    let (m, lo, hi) = median_range(b);
    println!("  baseline {base}: median {m:.2?}, range {lo:.2?} to {hi:.2?}");
    let mut r: Vec<f64> = a
        .iter()
        .zip(b)
        .map(|(a, b)| a.as_secs_f64() / b.as_secs_f64())
        .collect();
    r.sort_by(f64::total_cmp);
    println!(
        "  ratio to the baseline: median {:.1}, range {:.1} to {:.1}",
        r[r.len() / 2],
        r[0],
        r[r.len() - 1]
    );
}

/// Every figure, on the organisation in `root`.
fn figures(root: &Path) {
    let log = log_of(root);
    let (t, w) = time(|| Writer::open(&log, issuer(), Wait::Yes, |_, _| {}).unwrap());
    println!("opened the writer in {t:.2?}");
    let state = w.state().clone();
    drop(w);
    let day = date(DAY);
    status_figures(&state, day);
    page_figures(&state, day);
    staff_figures(root, &state, day);
    desk_figures(root, &state);
}

/// The status of every document and of every unit, as `log status
/// --document` and `--unit` compute each; the number of lines.
fn every_status(state: &State, day: Date) -> usize {
    let mut filters: Vec<Filter> = state
        .document_ids()
        .into_iter()
        .map(|d| Filter {
            document: Some(d.to_string()),
            unit: None,
        })
        .collect();
    filters.extend(state.units().iter().map(|u| Filter {
        document: None,
        unit: Some(u.id.clone()),
    }));
    filters
        .iter()
        .map(|f| {
            let s = status::status_of(state, day, f);
            s.iter().map(|v| v.lines.len()).sum::<usize>()
        })
        .sum()
}

/// The least work a status needs: one look at every acknowledgement in
/// the state (counted per version).
fn one_pass(state: &State) -> usize {
    let mut per_version = vec![0u32; state.versions().len()];
    for (_, a) in state.acks() {
        per_version[a.version()] += 1;
    }
    black_box(per_version).len()
}

/// The status of every document once, its lines then grouped by the
/// units each employee is in on the day (as a page grouping by document
/// and unit needs them); the number of (unit, line) pairs.
fn status_grouped(state: &State, day: Date) -> usize {
    let all = status::status(state, day);
    let mut by_unit: std::collections::HashMap<&str, Vec<&status::Line>> =
        std::collections::HashMap::new();
    for l in all.iter().flat_map(|v| v.lines.iter()) {
        let e = state.employee(l.id).unwrap();
        for u in e.units_on(day) {
            by_unit.entry(u.as_str()).or_default().push(l);
        }
    }
    by_unit.values().map(Vec::len).sum()
}

fn status_figures(state: &State, day: Date) {
    let (t, lines) = time(|| every_status(state, day));
    println!(
        "status of {} documents and {} units: {lines} lines, {t:.2?} (first run); {} acknowledgements in the state",
        state.document_ids().len(),
        state.units().len(),
        state.acks().count()
    );
    let rounds = alternate(
        11,
        &mut [
            &mut || time(|| black_box(every_status(state, day))).0,
            &mut || time(|| black_box(one_pass(state))).0,
        ],
    );
    report(
        "status of every document and every unit (status_of, 70 filters)",
        "one pass over every acknowledgement",
        &rounds[0],
        &rounds[1],
        Duration::from_millis(100),
    );
    let rounds = alternate(
        11,
        &mut [
            &mut || time(|| black_box(status_grouped(state, day))).0,
            &mut || time(|| black_box(one_pass(state))).0,
        ],
    );
    report(
        "status of every document once, grouped by unit",
        "one pass over every acknowledgement",
        &rounds[0],
        &rounds[1],
        Duration::from_millis(100),
    );
}

/// The employee with a key who owes the most versions on `day`, and how
/// many they owe.
fn owing(state: &State, day: Date) -> (String, usize) {
    let mut owed = std::collections::HashMap::<String, usize>::new();
    for s in status::status(state, day) {
        for l in s.lines {
            let open = matches!(l.standing, Standing::Outstanding | Standing::Overdue);
            if open && !l.no_key {
                *owed.entry(l.id.to_string()).or_default() += 1;
            }
        }
    }
    let best = owed
        .into_iter()
        .filter(|(id, _)| state.employee(id).is_some_and(|e| e.current().is_some()))
        .max_by_key(|(id, n)| (*n, std::cmp::Reverse(id.clone())));
    best.unwrap()
}

/// What the page needs at the least: for each material version, whether
/// its document binds the employee and their acknowledgement of it.
fn own_lookups(state: &State, id: &str, day: Date) -> usize {
    let e = state.employee(id).unwrap();
    let at = state.employees().iter().position(|x| x.id == id).unwrap();
    state
        .versions()
        .iter()
        .enumerate()
        .filter(|(_, p)| p.version.material)
        .filter(|(_, p)| state.binds(p.version.document_id(), e, day))
        .filter(|(v, _)| state.acknowledgement(at, *v).is_none())
        .count()
}

/// The desk's employee page, server side. The page is being rewritten
/// (every document owed, with what changed): re-point `page` at the new
/// function.
fn page_figures(state: &State, day: Date) {
    let (id, n) = owing(state, day);
    let keyid = state.employee(&id).unwrap().current().unwrap().keyid;
    let page = || ackreg_desk::view::employee(state, &id, &keyid, day).unwrap();
    let (t, value) = time(page);
    let bytes = serde_json::to_vec(&value).unwrap().len();
    println!(
        "employee page of {id}, who owes {n} versions: {bytes} bytes of JSON, {t:.2?} (first run)"
    );
    const CALLS: u32 = 5;
    let rounds = alternate(
        11,
        &mut [
            &mut || time(|| (0..CALLS).for_each(|_| drop(black_box(page())))).0 / CALLS,
            &mut || {
                time(|| {
                    (0..CALLS).for_each(|_| {
                        black_box(own_lookups(state, &id, day));
                    })
                })
                .0 / CALLS
            },
        ],
    );
    report(
        "employee page (view::employee), a request",
        "their own binding and acknowledgement of each version",
        &rounds[0],
        &rounds[1],
        Duration::from_millis(20),
    );
    let own = || page_of_one(state, &id, day);
    let rounds = alternate(
        11,
        &mut [
            &mut || time(|| (0..CALLS).for_each(|_| drop(black_box(own())))).0 / CALLS,
            &mut || {
                time(|| {
                    (0..CALLS).for_each(|_| {
                        black_box(own_lookups(state, &id, day));
                    })
                })
                .0 / CALLS
            },
        ],
    );
    report(
        "the page's rows from status::status_of_employee, a request",
        "their own binding and acknowledgement of each version",
        &rounds[0],
        &rounds[1],
        Duration::from_millis(20),
    );
}

/// The administration's page, server side: the status of every version
/// and the staff as `GET /api/admin/status` answers it (the view and its
/// JSON text), against the least the page needs: the status of every
/// version alone (`status::status`).
fn admin_page_figures(state: &State, day: Date) {
    let size = state.size();
    let page = || ackreg_desk::view::admin_page(state, day, size, &[]);
    let (t, made) = time(page);
    println!(
        "administration page: {} bytes of JSON, {t:.2?} (first run)",
        made.summary.len()
    );
    let (document, sha) = made.versions.last().unwrap().clone();
    let (t, lines) =
        time(|| ackreg_desk::view::version_lines(state, day, document.as_deref(), &sha).unwrap());
    println!(
        "the lines of one version (asked when its fold opens): {} bytes, {t:.2?}",
        lines.len()
    );
    let rounds = alternate(
        11,
        &mut [&mut || time(|| drop(black_box(page()))).0, &mut || {
            time(|| drop(black_box(status::status(state, day)))).0
        }],
    );
    report(
        "administration page's status made (view::admin_page), once a second at most",
        "the status of every version (status::status)",
        &rounds[0],
        &rounds[1],
        Duration::from_millis(200),
    );
}

/// The employee page's rows as `view::employee` makes them, from the
/// status of that one employee (`status::status_of_employee`) instead of
/// everyone's: what the page costs once it asks only for its own lines.
fn page_of_one(state: &State, id: &str, day: Date) -> serde_json::Value {
    let rows: Vec<serde_json::Value> = status::status_of_employee(state, day, id)
        .iter()
        .filter_map(|s| {
            let line = s.lines.first()?;
            let open = matches!(line.standing, Standing::Outstanding | Standing::Overdue);
            Some(serde_json::json!({
                "label": s.label, "title": s.title, "sha256": s.sha256,
                "effective": s.effective, "deadline": line.deadline,
                "standing": line.standing, "signed": line.signed, "entry": line.entry,
                "phase": s.phase, "can_sign": open && s.phase.signable(),
            }))
        })
        .collect();
    serde_json::json!({ "id": id, "today": format_date(day), "versions": rows })
}

/// The HR file for `day`: everyone in the log who works there, as the
/// log says, with a few dozen changes: 12 join, 12 are missing (they
/// left), 12 moved, 6 changed name, 6 changed position.
fn hr_file(state: &State, day: Date) -> (Vec<u8>, usize) {
    let mut out = String::from(
        "\u{feff}identifikators;vārds, uzvārds;amats;struktūrvienības;sākuma datums;beigu datums\r\n",
    );
    let lv = |d: Date| format!("{:02}.{:02}.{}", d.day(), u8::from(d.month()), d.year());
    let mut rows = 0;
    for (n, m) in state.staff_on(day).into_iter().enumerate() {
        let (mut name, mut position, mut units) =
            (m.name, m.position.unwrap_or_default(), m.units.join(" "));
        match n % 150 {
            0 if n < 1800 => continue,
            1 if n < 1800 => units = unit((n as u64 / 150 + 3) % UNITS),
            2 if n < 900 => name.push_str(" (Kalna)"),
            3 if n < 900 => position = POSITIONS[11].into(),
            _ => {}
        }
        out.push_str(&format!(
            "{};{name};{position};{units};{};\r\n",
            m.id,
            lv(m.start)
        ));
        rows += 1;
    }
    for j in 0..12 {
        out.push_str(&format!(
            "jauns{j:02};Jauns Darbinieks {j};{};{};{};\r\n",
            POSITIONS[1],
            unit(j % UNITS),
            lv(plus(day, j % 5))
        ));
        rows += 1;
    }
    (out.into_bytes(), rows)
}

fn ackreg(args: &[OsString]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ackreg"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Copies a log folder (the runs that write take a copy each).
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

fn staff_figures(root: &Path, state: &State, day: Date) {
    let log = log_of(root);
    let (csv, rows) = hr_file(state, day);
    let csv_path = root.join("staff.csv");
    std::fs::write(&csv_path, csv).unwrap();
    let os = |s: &str| OsString::from(s);
    let dry = [
        os("log"),
        os("staff"),
        log.clone().into_os_string(),
        os("--csv"),
        csv_path.clone().into_os_string(),
        os("--date"),
        os(DAY),
    ];
    let plan = ackreg(&dry);
    let changes = plan.lines().filter(|l| l.contains(": ")).count();
    println!(
        "HR file: {rows} rows; the plan: {} lines, the first: {:?}",
        changes,
        plan.lines().next()
    );
    let base = [
        os("log"),
        os("status"),
        log.clone().into_os_string(),
        os("--document"),
        os(&document(36)),
        os("--unit"),
        os("kac"),
        os("--date"),
        os(DAY),
    ];
    let run = |a: &[OsString]| time(|| drop(ackreg(a))).0;
    let rounds = alternate(7, &mut [&mut || run(&dry), &mut || run(&base)]);
    report(
        "ackreg log staff (dry run, whole process)",
        "ackreg log status --document --unit (whole process)",
        &rounds[0],
        &rounds[1],
        Duration::from_secs(1),
    );
    let copies = root.join("copies");
    let mut round = 0;
    let mut apply = || {
        round += 1;
        let copy = copies.join(format!("staff-{round}"));
        copy_dir(&log, &copy);
        let mut a = dry.to_vec();
        a[2] = copy.clone().into_os_string();
        a.extend([
            os("--apply"),
            os("--issuer-key"),
            key_file(root).into_os_string(),
        ]);
        let t = run(&a);
        std::fs::remove_dir_all(&copy).unwrap();
        t
    };
    let rounds = alternate(5, &mut [&mut apply, &mut || run(&base)]);
    report(
        "ackreg log staff --apply (whole process)",
        "ackreg log status --document --unit (whole process)",
        &rounds[0],
        &rounds[1],
        Duration::from_secs(1),
    );
}

/// The desk on a copy of the organisation's log: the people without a key
/// yet enrol at the desk, with 120 newcomers, and each signs the version
/// in force of every document that binds everyone.
fn desk_figures(root: &Path, state: &State) {
    let copy = root.join("copies").join("desk");
    if copy.exists() {
        std::fs::remove_dir_all(&copy).unwrap();
    }
    copy_dir(&log_of(root), &copy);
    let today = time::OffsetDateTime::now_utc().date();
    let mut people: Vec<(String, String)> = state
        .employees()
        .iter()
        .filter(|e| !e.has_key() && e.employed_on(today))
        .map(|e| (e.id.clone(), e.on(today).name.clone()))
        .collect();
    let keyless = people.len();
    people.extend(
        (0..200 - keyless).map(|i| (format!("jaunais{i:03}"), format!("Jaunais Darbinieks {i}"))),
    );
    let versions: Vec<(String, [u8; 32])> = (0..EVERYONE)
        .map(|d| {
            let v = version(d, VERSIONS - 1);
            (v.title, v.sha256)
        })
        .collect();
    println!(
        "desk on the organisation: {} people ({keyless} without a key before), each signing {} versions",
        people.len(),
        versions.len()
    );
    // The administrator publishes a new version of the first document,
    // taking effect in a month (the employees go on signing the one in
    // force), while they sign.
    let pdf = ackreg_core::render::Template::builtin()
        .render(&ackreg_core::render::RenderInput::default())
        .map(|r| r.pdf)
        .unwrap();
    let effective = format_date(today + time::Duration::days(30));
    let administration = desk_support::Administration {
        every: Duration::from_millis(25),
        publish: Some(desk_support::publisher(
            pdf,
            document(0),
            format!("{}", VERSIONS + 1),
            effective,
        )),
    };
    let (result, commits, admin) = desk_support::desk_load_administered(
        &copy,
        &issuer(),
        &people,
        10,
        &versions,
        Duration::from_secs(300),
        Some(administration),
    );
    let f = desk_support::report_load(
        &copy,
        &issuer().verifying_key(),
        result,
        commits,
        people.len() * versions.len(),
        false,
    );
    let ok = f.per_second >= 2000.0 && f.p99 <= Duration::from_millis(100);
    println!(
        "FIGURE desk on the organisation: {:.0} acknowledgements/s, p99 {:.1} ms ({} the limits 2,000/s, 100 ms)",
        f.per_second,
        f.p99.as_secs_f64() * 1000.0,
        if ok { "within" } else { "OVER" }
    );
    let mut pages = admin.pages;
    let n = pages.len();
    let (p50, p99) = (
        desk_support::percentile(&mut pages, 50.0),
        desk_support::percentile(&mut pages, 99.0),
    );
    println!(
        "FIGURE administration page while they sign: {n} requests, p50 {:.1} ms, p99 {:.1} ms ({} the limit 200 ms)",
        p50.as_secs_f64() * 1000.0,
        p99.as_secs_f64() * 1000.0,
        if p99 <= Duration::from_millis(200) { "within" } else { "OVER" }
    );
    if let Some(t) = admin.publish {
        println!(
            "FIGURE a publish while they sign: {:.0} ms ({} the limit 1 s)",
            t.as_secs_f64() * 1000.0,
            if t <= Duration::from_secs(1) {
                "within"
            } else {
                "OVER"
            }
        );
    }
    std::fs::remove_dir_all(&copy).unwrap();
}
