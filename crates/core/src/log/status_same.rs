//! The status computed with indexes built once (issue 20, point 5: the
//! status of a whole organisation in 100 ms) gives, line for line, what
//! the first way gave: that one is kept here as the reference and both
//! run on a varied log (documents for everyone, units and positions,
//! audiences re-declared, corrections, people who joined without a key,
//! moved, changed name or position, left before or after the day), on
//! several days, with every filter.

use ed25519_dalek::SigningKey;
use time::{Date, Duration};

use super::*;
use crate::document::DocumentRef;
use crate::log::entry::{self, parse, parse_date, Declaration, Version};

fn d(s: &str) -> Date {
    parse_date(s).unwrap()
}

fn plus(day: Date, n: u64) -> Date {
    day + Duration::days(n as i64)
}

/// A fixed pseudo-random number for `a` and `b`.
fn mix(a: u64, b: u64) -> u64 {
    let mut z = a
        .wrapping_mul(0x9e37_79b9_7f4a_7c15)
        .wrapping_add(b)
        .wrapping_add(0x6a09_e667_f3bc_c909);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

// ---- The reference: status as it was computed before the indexes -------

fn reference_of<'a>(state: &'a State, today: Date, filter: &Filter) -> Vec<VersionStatus<'a>> {
    let versions = state.versions();
    let documents = state.document_ids();
    let chosen = documents
        .into_iter()
        .filter(|d| filter.document.as_deref().is_none_or(|f| f == *d));
    let mut out = Vec::new();
    for document in chosen {
        let material: Vec<usize> = (0..versions.len())
            .filter(|&i| versions[i].version.material)
            .filter(|&i| versions[i].version.document_id() == document)
            .collect();
        for (k, &v) in material.iter().enumerate() {
            let end = material.get(k + 1).map(|&n| versions[n].version.effective);
            out.push(reference_version(state, v, end, today, filter));
        }
    }
    out
}

fn reference_version<'a>(
    state: &'a State,
    v: usize,
    end: Option<Date>,
    today: Date,
    filter: &Filter,
) -> VersionStatus<'a> {
    let p = &state.versions()[v];
    let lines = state
        .employees()
        .iter()
        .enumerate()
        .filter(|(_, e)| {
            let unit = filter.unit.as_ref();
            unit.is_none_or(|u| e.units_on(today).contains(u))
        })
        .filter_map(|(i, e)| {
            let since = reference_since(state, e, &p.version, end)?;
            Some(reference_line(state, i, e, v, since, today))
        })
        .collect();
    VersionStatus {
        document: p.version.document.clone(),
        label: p.version.label.clone(),
        title: p.version.title.clone(),
        sha256: crate::encoding::hex(&p.version.sha256),
        effective: format_date(p.version.effective),
        deadline: format_date(deadline(&p.version, None)),
        corrections: state
            .versions()
            .iter()
            .filter(|c| c.base == v && !c.version.material)
            .map(|c| c.version.label.clone())
            .collect(),
        superseded: end.map(format_date),
        phase: phase(state, v, today).unwrap_or(Phase::Superseded),
        lines,
        asked_by: super::super::asked::asked_for(state, p.entry),
    }
}

fn reference_since(state: &State, e: &Employee, v: &Version, end: Option<Date>) -> Option<Date> {
    if !concerned(e, v.effective, end) {
        return None;
    }
    let document = v.document_id();
    if state.binds_everyone(document) {
        return Some(e.enrolled);
    }
    let from = v.effective.max(e.enrolled);
    let until = match (end, e.left) {
        (Some(end), Some((left, _))) => Some(end.min(left)),
        (end, left) => end.or(left.map(|(d, _)| d)),
    };
    let changes = reference_days(state, e, document);
    let bound = |day: Date| state.binds(document, e, day);
    let first = std::iter::once(from)
        .chain(changes.iter().copied().filter(|&c| c > from))
        .take_while(|&c| until.is_none_or(|u| c < u))
        .find(|&c| bound(c))?;
    let at = changes.partition_point(|&c| c <= first);
    let mut start = at.checked_sub(1).map_or(first, |i| changes[i]);
    for &c in changes[..at.saturating_sub(1)].iter().rev() {
        if !bound(c) {
            break;
        }
        start = c;
    }
    Some(start.max(e.enrolled))
}

fn reference_days(state: &State, e: &Employee, document: &str) -> Vec<Date> {
    let declarations = state
        .document(document)
        .map(|d| d.declarations.as_slice())
        .unwrap_or_default();
    let mut days: Vec<Date> = std::iter::once(e.enrolled)
        .chain(e.periods.iter().map(|p| p.from))
        .chain(declarations.iter().map(|(d, _)| d.date))
        .filter(|&d| d >= e.enrolled)
        .collect();
    days.sort();
    days.dedup();
    days
}

fn reference_line<'a>(
    state: &State,
    i: usize,
    e: &'a Employee,
    v: usize,
    since: Date,
    today: Date,
) -> Line<'a> {
    let deadline = deadline(&state.versions()[v].version, Some(since));
    let acked = state.acknowledgement_by_scan(i, v);
    let standing = match acked {
        Some(a) if a.date <= deadline => Standing::Acknowledged,
        Some(_) => Standing::Late,
        None if e.left.is_some_and(|(d, _)| d <= today) => Standing::Left,
        None if today > deadline => Standing::Overdue,
        None => Standing::Outstanding,
    };
    Line {
        id: &e.id,
        name: &e.name,
        standing,
        deadline: Day(deadline),
        signed: acked.map(|a| Day(a.date)),
        received: acked.map(|a| Day(a.received)),
        entry: acked.map(|a| a.entry),
        no_key: !e.has_key(),
    }
}

// ---- A varied log ---------------------------------------------------------

const UNITS: u64 = 8;
const PEOPLE: u64 = 64;
const POSITIONS: [&str; 4] = ["vadītājs", "jurists", "referents", "lietvedis"];

fn unit(u: u64) -> String {
    format!("u{u}")
}

fn key(i: u64) -> SigningKey {
    let mut s = [0x33u8; 32];
    s[..8].copy_from_slice(&i.to_le_bytes());
    SigningKey::from_bytes(&s)
}

fn declaration(id: &str, units: &[u64], positions: &[usize], date: &str) -> Declaration {
    Declaration {
        id: id.into(),
        title: format!("Noteikumi {id}"),
        units: units.iter().map(|&u| unit(u)).collect(),
        positions: positions.iter().map(|&p| POSITIONS[p].into()).collect(),
        date: d(date),
    }
}

/// The documents' declarations: one for everyone, one unit, three units
/// narrowed then widened, a position, a unit and a position.
fn declarations() -> Vec<Declaration> {
    vec![
        declaration("visi", &[], &[], "2018-01-01"),
        declaration("kac", &[0], &[], "2018-01-01"),
        declaration("tris", &[1, 2, 3], &[], "2018-01-01"),
        declaration("tris", &[1], &[], "2019-01-01"),
        declaration("tris", &[1, 4], &[], "2019-06-01"),
        declaration("amats", &[], &[0], "2018-01-01"),
        declaration("jaukts", &[5], &[1], "2018-01-01"),
        declaration("jaukts", &[], &[], "2019-03-01"),
    ]
}

fn sha(document: u64, n: usize) -> [u8; 32] {
    let mut sha = [7u8; 32];
    sha[0] = document as u8;
    sha[1] = n as u8;
    sha
}

/// The documents' versions (and the implicit rules'): three material
/// ones each, a correction after the first and sometimes the second.
fn versions() -> Vec<Version> {
    let docs = [
        None,
        Some("visi"),
        Some("kac"),
        Some("tris"),
        Some("amats"),
        Some("jaukts"),
    ];
    let mut out = Vec::new();
    for (n, doc) in docs.iter().enumerate() {
        let n = n as u64;
        let start = plus(d("2018-02-01"), n * 9);
        let mut add = |label: &str, effective: Date, material: bool| {
            out.push(Version {
                document: doc.map(str::to_string),
                label: label.into(),
                title: format!("Noteikumi {}", doc.unwrap_or("rules")),
                sha256: sha(n, out.len()),
                effective,
                material,
                deadline: material.then(|| plus(effective, if n == 4 { 0 } else { 20 })),
                new_employee_days: 10 + n as u32,
            });
        };
        add("1", start, true);
        add("1.1", plus(start, 40), false);
        add("2", plus(start, 200), true);
        if n.is_multiple_of(2) {
            add("2.1", plus(start, 230), false);
        }
        add("3", plus(start, 460), true);
    }
    out
}

/// What happens to person `i`, dated: an order within the day and the
/// entry (or, for an acknowledgement, what to sign).
enum Event {
    Plain(Vec<u8>),
    Ack {
        person: u64,
        version: Version,
        date: Date,
        received: Date,
    },
}

fn person_events(i: u64, out: &mut Vec<(Date, u8, Event)>) {
    let id = format!("p{i}");
    let name = format!("Darbinieks {i}");
    let position = (i % 5 != 4).then(|| POSITIONS[(i % 4) as usize]);
    let start = plus(d("2018-01-01"), mix(i, 1) % 500);
    let mut units = vec![unit(i % UNITS)];
    if i.is_multiple_of(3) {
        units.push(unit(mix(i, 2) % UNITS));
    }
    let units = entry::one_spelling(&units);
    let keyed = i % 6 != 1;
    let joined = i % 9 != 2;
    let from = plus(start, mix(i, 3) % 30);
    let mut add =
        |day: Date, order: u8, bytes: Vec<u8>| out.push((day, order, Event::Plain(bytes)));
    match (joined, keyed) {
        (false, _) => add(
            start,
            1,
            entry::enrol_bytes(&id, &name, position, &key(i).verifying_key(), start).unwrap(),
        ),
        (true, keyed) => {
            add(
                start,
                1,
                entry::join_bytes(&id, &name, position, &units, start).unwrap(),
            );
            if keyed {
                let e = entry::enrol_bytes(&id, &name, position, &key(i).verifying_key(), from);
                add(from, 2, e.unwrap());
            }
        }
    }
    let mut day = plus(from, 30);
    if i % 4 == 1 {
        day = plus(day, mix(i, 4) % 200);
        let to = vec![unit(mix(i, 5) % UNITS)];
        add(day, 3, entry::move_bytes(&id, &to, day).unwrap());
    }
    if i % 7 == 3 {
        day = plus(day, mix(i, 6) % 200);
        let p = POSITIONS[(mix(i, 7) % 4) as usize];
        let u = entry::update_bytes(&id, &format!("{name}-Ozola"), Some(p), day);
        add(day, 3, u.unwrap());
    }
    if i % 5 == 2 {
        day = plus(day, 1 + mix(i, 8) % 500);
        add(day, 5, entry::leave_bytes(&id, day).unwrap());
    }
}

/// Every event, in the order of their days.
fn events() -> Vec<(Date, u8, Event)> {
    let mut out = Vec::new();
    let first = d("2018-01-01");
    for u in 0..UNITS {
        out.push((
            first,
            0,
            Event::Plain(entry::unit_bytes(&unit(u), "V").unwrap()),
        ));
    }
    for decl in declarations() {
        out.push((
            decl.date,
            0,
            Event::Plain(entry::document_bytes(&decl).unwrap()),
        ));
    }
    let versions = versions();
    for v in &versions {
        let published = v.effective - Duration::days(10);
        out.push((published, 1, Event::Plain(entry::version_bytes(v).unwrap())));
    }
    for i in 0..PEOPLE {
        person_events(i, &mut out);
        for (n, v) in versions.iter().enumerate() {
            let r = mix(i, 100 + n as u64);
            if r % 10 < 4 {
                continue;
            }
            let date = plus(v.effective, r / 10 % 60);
            let received = plus(date, r / 1000 % 2);
            out.push((
                received,
                4,
                Event::Ack {
                    person: i,
                    version: v.clone(),
                    date,
                    received,
                },
            ));
        }
    }
    out.sort_by_key(|(day, order, _)| (*day, *order));
    out
}

/// The varied log's state: every entry but the acknowledgements the log's
/// rules refuse (someone not bound, gone, or without a key that day).
fn varied() -> State {
    let mut s = State::new();
    let head = entry::log_bytes(
        "o.invalid/l",
        "J",
        &key(999).verifying_key(),
        "P",
        d("2018-01-01"),
    );
    s.append(&parse(&head.unwrap()).unwrap()).unwrap();
    for (_, _, e) in events() {
        match e {
            Event::Plain(bytes) => {
                let entry = parse(&bytes).unwrap();
                s.append(&entry)
                    .unwrap_or_else(|r| panic!("{r}: {}", String::from_utf8_lossy(&bytes)));
            }
            Event::Ack {
                person,
                version,
                date,
                received,
            } => {
                let id = format!("p{person}");
                let Some(e) = s.employee(&id) else { continue };
                let name = e.on(date).name.clone();
                let doc = DocumentRef {
                    title: version.title.clone(),
                    sha256: version.sha256,
                };
                let ack =
                    crate::ack::Acknowledgement::new(&doc, &name, &id, &format_date(date), None)
                        .unwrap()
                        .sign(&key(person))
                        .unwrap();
                let bytes = entry::ack_bytes(received, &key(person).verifying_key(), &ack).unwrap();
                let _ = s.append(&parse(&bytes).unwrap());
            }
        }
    }
    s
}

fn filters(state: &State) -> Vec<Filter> {
    let mut out = vec![Filter::default()];
    let documents: Vec<Option<String>> = state
        .document_ids()
        .into_iter()
        .map(|d| Some(d.to_string()))
        .chain([Some("none-such".to_string())])
        .collect();
    let units: Vec<Option<String>> = (0..UNITS)
        .map(|u| Some(unit(u)))
        .chain([Some("nav".into())])
        .collect();
    for document in &documents {
        out.push(Filter {
            document: document.clone(),
            unit: None,
        });
    }
    for u in &units {
        out.push(Filter {
            document: None,
            unit: u.clone(),
        });
    }
    for (n, document) in documents.iter().enumerate() {
        out.push(Filter {
            document: document.clone(),
            unit: units[n % units.len()].clone(),
        });
    }
    out
}

const DAYS: [&str; 6] = [
    "2017-12-31",
    "2018-03-01",
    "2018-09-15",
    "2019-02-01",
    "2019-07-01",
    "2021-01-01",
];

#[test]
fn the_varied_log_has_what_it_should() {
    let s = varied();
    let statuses = status(&s, d("2019-07-01"));
    let lines = || statuses.iter().flat_map(|v| v.lines.iter());
    for standing in [
        Standing::Acknowledged,
        Standing::Late,
        Standing::Outstanding,
        Standing::Overdue,
        Standing::Left,
    ] {
        assert!(lines().any(|l| l.standing == standing), "{standing:?}");
    }
    assert!(lines().any(|l| l.no_key));
    assert!(s.acks().count() > 200, "{}", s.acks().count());
    assert!(s
        .acks()
        .any(|(_, a)| !s.versions()[a.version()].version.material));
    assert_eq!(s.document_ids().len(), 6);
}

#[test]
fn the_status_is_the_same_as_before_the_indexes() {
    let s = varied();
    for day in DAYS {
        for f in filters(&s) {
            let new = serde_json::to_string(&status_of(&s, d(day), &f)).unwrap();
            let old = serde_json::to_string(&reference_of(&s, d(day), &f)).unwrap();
            assert_eq!(new, old, "{day} {f:?}");
        }
    }
}

#[test]
fn an_acknowledgement_is_found_as_before_also_after_a_snapshot() {
    let s = varied();
    let bytes = crate::log::snapshot::encode(&s, &[0; 32]).unwrap();
    let (back, _) = crate::log::snapshot::decode(&bytes).unwrap();
    for e in 0..s.employees().len() {
        for v in 0..s.versions().len() {
            let old = s.acknowledgement_by_scan(e, v).map(|a| a.entry);
            assert_eq!(s.acknowledgement(e, v).map(|a| a.entry), old, "{e} {v}");
            assert_eq!(back.acknowledgement(e, v).map(|a| a.entry), old, "{e} {v}");
        }
    }
}

#[test]
fn the_employees_status_is_their_lines_of_the_whole_status() {
    let s = varied();
    for day in DAYS {
        let all = status(&s, d(day));
        for e in s.employees() {
            let mine = status_of_employee(&s, d(day), &e.id);
            assert_eq!(mine.len(), all.len());
            for (m, a) in mine.iter().zip(&all) {
                let theirs: Vec<&Line> = a.lines.iter().filter(|l| l.id == e.id).collect();
                assert_eq!(
                    serde_json::to_string(&m.lines).unwrap(),
                    serde_json::to_string(&theirs).unwrap()
                );
                let (mut m, mut a) = (m.clone(), a.clone());
                (m.lines, a.lines) = (Vec::new(), Vec::new());
                assert_eq!(
                    serde_json::to_string(&m).unwrap(),
                    serde_json::to_string(&a).unwrap()
                );
            }
        }
        assert!(status_of_employee(&s, d(day), "none-such")
            .iter()
            .all(|v| v.lines.is_empty()));
    }
}

#[test]
fn a_day_is_written_as_format_date_writes_it() {
    let mut day = Date::MIN;
    let mut n = 0u64;
    while day < Date::MAX {
        assert_eq!(day_text(day), format_date(day));
        n += 1;
        // Every day from 1890 to 2110, a day in 97 elsewhere.
        let step = if (1890..2110).contains(&day.year()) {
            1
        } else {
            97
        };
        day = day.checked_add(Duration::days(step)).unwrap_or(Date::MAX);
    }
    assert_eq!(day_text(Date::MAX), format_date(Date::MAX));
    assert!(n > 80_000);
}

#[test]
fn the_current_versions_lines_are_those_of_the_whole_status() {
    let s = varied();
    for day in DAYS {
        let all = status(&s, d(day));
        let current = status_of_current(&s, d(day));
        assert_eq!(current.len(), all.len());
        let mut counted = std::collections::BTreeMap::new();
        for ((c, has), a) in current.iter().zip(&all) {
            let doc = a.document.clone().unwrap_or_default();
            if *has {
                assert!(
                    counted.insert(doc, a.label.clone()).is_none(),
                    "one a document"
                );
                assert!(
                    a.phase == Phase::InForce || a.phase == Phase::Coming || a.superseded.is_none()
                );
                assert_eq!(
                    serde_json::to_string(&c.lines).unwrap(),
                    serde_json::to_string(&a.lines).unwrap()
                );
            } else {
                assert!(c.lines.is_empty());
            }
            let (mut c, mut a) = (c.clone(), a.clone());
            (c.lines, a.lines) = (Vec::new(), Vec::new());
            assert_eq!(
                serde_json::to_string(&c).unwrap(),
                serde_json::to_string(&a).unwrap()
            );
        }
        let documents: std::collections::BTreeSet<String> = all
            .iter()
            .map(|a| a.document.clone().unwrap_or_default())
            .collect();
        assert_eq!(counted.len(), documents.len(), "every document counted");
    }
}
