//! Who has acknowledged each version, who is outstanding, who is overdue
//! and who was late, on a given day.
//!
//! Each document has its own versions. A material version must be
//! acknowledged by every employee whom its document binds on some day
//! while they work there and it is in force: from its effective date until
//! the next material version of the same document takes effect. An
//! employee's deadline is the version's, or, for someone whose binding
//! began later (they joined, moved into a unit it binds, or its audience
//! widened), the day it began plus the version's days for new employees,
//! whichever is later. An acknowledgement of a correction counts for the
//! material version it corrects. People who left without acknowledging are
//! listed as having left, not as outstanding; someone with no key yet is
//! listed as anyone else, flagged `no_key`.
//!
//! A version takes over on its effective date, not when it is published:
//! until then the version before it stays in force and is the one to sign,
//! and the new one is *coming* (see [`Phase`]). The log's rules refuse an
//! acknowledgement dated before the version takes effect, so a coming
//! version can be read but not acknowledged ahead.

use serde::Serialize;
use time::{Date, Duration};

use super::entry::{format_date, Version};
use super::state::{audience_includes, Acked, Document, Employee, Published, State};

/// Where one employee stands for one version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Standing {
    /// Acknowledged by the deadline.
    Acknowledged,
    /// Acknowledged after the deadline.
    Late,
    /// Not yet, deadline not passed.
    Outstanding,
    /// Not yet, deadline passed.
    Overdue,
    /// Left without acknowledging.
    Left,
}

impl Standing {
    /// The Latvian word for the annex and the desk.
    pub fn latvian(self) -> &'static str {
        match self {
            Standing::Acknowledged => "iepazinies",
            Standing::Late => "iepazinies ar nokavējumu",
            Standing::Outstanding => "vēl nav iepazinies",
            Standing::Overdue => "termiņš nokavēts",
            Standing::Left => "aizgājis",
        }
    }

    /// The English word.
    pub fn english(self) -> &'static str {
        match self {
            Standing::Acknowledged => "acknowledged",
            Standing::Late => "late",
            Standing::Outstanding => "outstanding",
            Standing::Overdue => "overdue",
            Standing::Left => "left",
        }
    }
}

/// Where a material version stands on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Published, but its effective date is after the day: it can be read,
    /// not yet acknowledged (the log refuses an acknowledgement dated
    /// before the version takes effect).
    Coming,
    /// In force: it took effect and no later material version has.
    InForce,
    /// A later material version took effect on or before the day.
    Superseded,
}

impl Phase {
    /// Whether an acknowledgement dated that day may name the version (or
    /// one of its corrections): only the version in force is signed.
    pub fn signable(self) -> bool {
        self == Phase::InForce
    }
}

/// The phase on `day` of the version at index `v` of [`State::versions`]
/// (a correction has its material version's phase); `None` if there is
/// no such version.
pub fn phase(state: &State, v: usize, day: Date) -> Option<Phase> {
    phase_in(state.versions(), v, day)
}

/// [`phase`] over a list of versions as [`State::versions`] gives it.
pub fn phase_in(versions: &[Published], v: usize, day: Date) -> Option<Phase> {
    let base = versions.get(v)?.base;
    let own = &versions.get(base)?.version;
    if own.effective > day {
        return Some(Phase::Coming);
    }
    let taken_over = versions[base + 1..].iter().any(|p| {
        p.version.material && p.version.effective <= day && p.version.document == own.document
    });
    Some(if taken_over {
        Phase::Superseded
    } else {
        Phase::InForce
    })
}

/// The material version that takes over from the version at index `v`
/// (the next material one of the same document), if one is published.
pub fn successor(versions: &[Published], v: usize) -> Option<&Published> {
    let base = versions.get(v)?.base;
    let document = &versions[base].version.document;
    versions[base + 1..]
        .iter()
        .find(|p| p.version.material && p.version.document == *document)
}

/// The index in [`State::versions`] of the material version in force on
/// `day`, if any has taken effect: of the first document that has one
/// (see [`in_force_of`] for one document's).
pub fn in_force(state: &State, day: Date) -> Option<usize> {
    (0..state.versions().len())
        .filter(|&v| state.versions()[v].version.material)
        .find(|&v| phase(state, v, day) == Some(Phase::InForce))
}

/// The index in [`State::versions`] of the material version of `document`
/// ([`super::entry::RULES`] for the implicit one) in force on `day`.
pub fn in_force_of(state: &State, document: &str, day: Date) -> Option<usize> {
    (0..state.versions().len())
        .filter(|&v| {
            let version = &state.versions()[v].version;
            version.material && version.document_id() == document
        })
        .find(|&v| phase(state, v, day) == Some(Phase::InForce))
}

/// A day in a status line: a [`Date`] that is written, in JSON and by
/// `Display`, as `YYYY-MM-DD` (the log's spelling), without allocating
/// until it is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(pub Date);

impl Day {
    /// The date.
    pub fn date(self) -> Date {
        self.0
    }
}

impl std::fmt::Display for Day {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&day_text(self.0))
    }
}

impl Serialize for Day {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&day_text(self.0))
    }
}

/// One employee's line for one version: borrowed from the log's state,
/// so that a status of hundreds of thousands of lines allocates nothing
/// per line.
#[derive(Debug, Clone, Serialize)]
pub struct Line<'a> {
    /// Identifier.
    pub id: &'a str,
    /// Name.
    pub name: &'a str,
    /// Where they stand.
    pub standing: Standing,
    /// Their deadline.
    pub deadline: Day,
    /// Date signed, if acknowledged.
    pub signed: Option<Day>,
    /// Date received, if acknowledged.
    pub received: Option<Day>,
    /// The acknowledgement's entry, if acknowledged.
    pub entry: Option<u64>,
    /// No key was ever enrolled for them ("no key yet"); left out of the
    /// JSON when false.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub no_key: bool,
}

/// One material version's status.
#[derive(Debug, Clone, Serialize)]
pub struct VersionStatus<'a> {
    /// The document it is a version of; left out for
    /// [`super::entry::RULES`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document: Option<String>,
    /// Label.
    pub label: String,
    /// Title.
    pub title: String,
    /// SHA-256 of the PDF, hex.
    pub sha256: String,
    /// Effective date.
    pub effective: String,
    /// The version's deadline.
    pub deadline: String,
    /// Labels of the corrections that belong to it.
    pub corrections: Vec<String>,
    /// The date the next material version takes effect, if any.
    pub superseded: Option<String>,
    /// Where the version stands on the day of the status.
    pub phase: Phase,
    /// One line per employee concerned.
    pub lines: Vec<Line<'a>>,
    /// The administrator who asked for the version's entry (log format
    /// 0.4); left out when the issuer wrote it alone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asked_by: Option<super::asked::AskedBy>,
}

impl VersionStatus<'_> {
    /// How many stand so.
    pub fn count(&self, standing: Standing) -> usize {
        self.lines.iter().filter(|l| l.standing == standing).count()
    }
}

/// Which part of the status to compute.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only this document's versions ([`super::entry::RULES`] for the
    /// implicit one).
    pub document: Option<String>,
    /// Only the employees in this unit on the status day.
    pub unit: Option<String>,
}

/// The status of every material version on `today`, document by document
/// ([`State::document_ids`] order), each document's in log order.
pub fn status(state: &State, today: Date) -> Vec<VersionStatus<'_>> {
    status_of(state, today, &Filter::default())
}

/// [`status`], only for the document and unit of `filter`.
pub fn status_of<'a>(state: &'a State, today: Date, filter: &Filter) -> Vec<VersionStatus<'a>> {
    let unit = filter.unit.as_ref();
    let people: Vec<usize> = state
        .employees()
        .iter()
        .enumerate()
        .filter(|(_, e)| unit.is_none_or(|u| e.units_on(today).contains(u)))
        .map(|(i, _)| i)
        .collect();
    status_among(state, today, filter.document.as_deref(), &people)
}

/// [`status`] with only the line of the employee `id` on each version
/// (none where the version does not concern them): what one employee's
/// page needs, without the lines of everyone else.
pub fn status_of_employee<'a>(state: &'a State, today: Date, id: &str) -> Vec<VersionStatus<'a>> {
    let people: Vec<usize> = state
        .employees()
        .iter()
        .position(|e| e.id == id)
        .into_iter()
        .collect();
    status_among(state, today, None, &people)
}

/// Every material version's status on `today`, as [`status`] gives it,
/// but with the people's lines only for each document's version that
/// counts now (in force, else the first coming one, else the newest);
/// the others' lines are left empty, marked `false`. What the desk's
/// administration page shows at once (its other versions' lines come when
/// asked): on an organisation's log a fifth of the work of [`status`].
pub fn status_of_current(state: &State, today: Date) -> Vec<(VersionStatus<'_>, bool)> {
    let versions = state.versions();
    let mut chosen = Vec::new();
    let mut current = std::collections::HashSet::new();
    for document in state.document_ids() {
        let material: Vec<usize> = (0..versions.len())
            .filter(|&i| versions[i].version.material)
            .filter(|&i| versions[i].version.document_id() == document)
            .collect();
        let phases: Vec<Option<Phase>> = material.iter().map(|&v| phase(state, v, today)).collect();
        let now = phases
            .iter()
            .position(|p| *p == Some(Phase::InForce))
            .or_else(|| phases.iter().position(|p| *p == Some(Phase::Coming)))
            .or(material.len().checked_sub(1));
        if let Some(k) = now {
            current.insert(material[k]);
        }
        for (k, &v) in material.iter().enumerate() {
            let end = material.get(k + 1).map(|&n| versions[n].version.effective);
            chosen.push((v, end));
        }
    }
    let counted: Vec<(usize, Option<Date>)> = chosen
        .iter()
        .copied()
        .filter(|(v, _)| current.contains(v))
        .collect();
    let people: Vec<usize> = (0..state.employees().len()).collect();
    let mut lines: std::collections::HashMap<usize, Vec<Line<'_>>> = counted
        .iter()
        .map(|&(v, _)| v)
        .zip(lines_among(state, today, &counted, &people))
        .collect();
    chosen
        .iter()
        .map(|&(v, end)| {
            let l = lines.remove(&v);
            let has = l.is_some();
            (
                version_status(state, v, end, today, l.unwrap_or_default()),
                has,
            )
        })
        .collect()
}

/// The status of the versions of `document` (every document if none)
/// with a line for each of `people` (indices in [`State::employees`], in
/// order) whom the version concerns.
fn status_among<'a>(
    state: &'a State,
    today: Date,
    document: Option<&str>,
    people: &[usize],
) -> Vec<VersionStatus<'a>> {
    let versions = state.versions();
    let documents = state.document_ids();
    let chosen = documents
        .into_iter()
        .filter(|d| document.is_none_or(|f| f == *d));
    let mut chosen_versions = Vec::new();
    for document in chosen {
        let material: Vec<usize> = (0..versions.len())
            .filter(|&i| versions[i].version.material)
            .filter(|&i| versions[i].version.document_id() == document)
            .collect();
        for (k, &v) in material.iter().enumerate() {
            let end = material.get(k + 1).map(|&n| versions[n].version.effective);
            chosen_versions.push((v, end));
        }
    }
    let lines = lines_among(state, today, &chosen_versions, people);
    chosen_versions
        .iter()
        .zip(lines)
        .map(|(&(v, end), lines)| version_status(state, v, end, today, lines))
        .collect()
}

/// The lines of each of `chosen` (material version, the day the next one
/// takes effect), each with a line for each of `people` it concerns, in
/// their order. Employee by employee, so that the acknowledgements of one
/// are looked up together (they are near each other in memory), not one
/// version's of everyone in turn.
fn lines_among<'a>(
    state: &'a State,
    today: Date,
    chosen: &[(usize, Option<Date>)],
    people: &[usize],
) -> Vec<Vec<Line<'a>>> {
    let versions = state.versions();
    let audiences: Vec<Audience> = chosen
        .iter()
        .map(|&(v, _)| Audience::of(state, versions[v].version.document_id()))
        .collect();
    let mut lines: Vec<Vec<Line<'a>>> = chosen.iter().map(|_| Vec::new()).collect();
    let employees = state.employees();
    for &i in people {
        let e = &employees[i];
        for (k, &(v, end)) in chosen.iter().enumerate() {
            if let Some(since) = bound_since(&audiences[k], e, &versions[v].version, end) {
                lines[k].push(line(state, i, e, v, since, today));
            }
        }
    }
    lines
}

/// The material versions of each document, in log order, document by
/// document ([`State::document_ids`] order): one pass over the versions.
fn material_by_document(state: &State) -> Vec<(&str, Vec<usize>)> {
    let mut out: Vec<(&str, Vec<usize>)> = state
        .document_ids()
        .into_iter()
        .map(|d| (d, Vec::new()))
        .collect();
    for (i, p) in state.versions().iter().enumerate() {
        if !p.version.material {
            continue;
        }
        let id = p.version.document_id();
        if let Some((_, list)) = out.iter_mut().find(|(d, _)| *d == id) {
            list.push(i);
        }
    }
    out
}

/// One employee's line of every material version that concerns them, as
/// [`status`] gives it, without computing anyone else's: (document, index
/// of the material version in [`State::versions`], line), document by
/// document, each document's in log order. `None` for an unknown id.
pub fn lines_of<'a>(
    state: &'a State,
    id: &str,
    today: Date,
) -> Option<Vec<(&'a str, usize, Line<'a>)>> {
    let i = state.index_of(id)?;
    let versions = state.versions();
    let mut chosen = Vec::new();
    let mut documents = Vec::new();
    for (document, material) in material_by_document(state) {
        for (k, &v) in material.iter().enumerate() {
            let end = material.get(k + 1).map(|&n| versions[n].version.effective);
            chosen.push((v, end));
            documents.push(document);
        }
    }
    let lines = lines_among(state, today, &chosen, &[i]);
    Some(
        documents
            .into_iter()
            .zip(chosen)
            .zip(lines)
            .filter_map(|((document, (v, _)), mut line)| line.pop().map(|l| (document, v, l)))
            .collect(),
    )
}

/// One document as one employee meets it on a day: the version to read
/// and sign now (in force or coming), where they stand, and the version
/// of the same document they acknowledged last before it, if any.
#[derive(Debug, Clone)]
pub struct Owed<'a> {
    /// The document's id ([`super::entry::RULES`] for the implicit one).
    pub document: String,
    /// The document's title: its declaration's newest, or for
    /// [`super::entry::RULES`] the version's own.
    pub title: String,
    /// Index in [`State::versions`] of the material version.
    pub version: usize,
    /// Index in [`State::versions`] of the text to sign: the version's
    /// newest correction, or the version itself.
    pub newest: usize,
    /// Where the version stands on the day.
    pub phase: Phase,
    /// Their line: standing, their own deadline, the acknowledgement.
    pub line: Line<'a>,
    /// Index in [`State::versions`] of the version (material or
    /// correction) of the same document they acknowledged last before
    /// this material version, when they have not acknowledged this one:
    /// the text to compare the new one with ("what changed since you
    /// last signed").
    pub signed_before: Option<usize>,
}

impl Owed<'_> {
    /// Whether they must still act: not acknowledged, not left.
    pub fn open(&self) -> bool {
        matches!(
            self.line.standing,
            Standing::Outstanding | Standing::Overdue
        )
    }

    /// Whether they may sign it on the day.
    pub fn can_sign(&self) -> bool {
        self.open() && self.phase.signable()
    }
}

/// Every document that binds employee `id` on `today` or will, one entry
/// per version in force or coming that concerns them: the overdue first,
/// then by their own deadline, then in the log's order of documents.
/// Superseded versions are left out (they can no longer be signed; see
/// [`lines_of`] for every line). `None` for an unknown id.
///
/// Costs the employee's own lines only: each version's audience and their
/// own acknowledgements, never the whole staff's.
pub fn owed_by<'a>(state: &'a State, id: &str, today: Date) -> Option<Vec<Owed<'a>>> {
    let e = state.index_of(id)?;
    let versions = state.versions();
    let mut out: Vec<Owed> = lines_of(state, id, today)?
        .into_iter()
        .filter_map(|(document, v, line)| {
            let phase = phase(state, v, today)?;
            if phase == Phase::Superseded {
                return None;
            }
            let newest = (v..versions.len())
                .rev()
                .find(|&c| versions[c].base == v)
                .unwrap_or(v);
            let signed_before = match line.entry {
                Some(_) => None,
                None => last_signed_before(state, e, document, v),
            };
            Some(Owed {
                document: document.to_string(),
                title: state.document(document).map_or_else(
                    || versions[v].version.title.clone(),
                    |d| d.title().to_string(),
                ),
                version: v,
                newest,
                phase,
                line,
                signed_before,
            })
        })
        .collect();
    out.sort_by(|a, b| {
        let overdue = |o: &Owed| o.line.standing != Standing::Overdue;
        (overdue(a), &a.line.deadline).cmp(&(overdue(b), &b.line.deadline))
    });
    Some(out)
}

/// The version of `document` published before the material version `v`
/// that employee `e` acknowledged last (the highest in log order).
fn last_signed_before(state: &State, e: usize, document: &str, v: usize) -> Option<usize> {
    let versions = state.versions();
    state
        .acknowledgements_by(e)
        .map(Acked::version)
        .filter(|&w| w < v && versions[w].version.document_id() == document)
        .max()
}

/// The deadline rule: the last day to acknowledge the material version
/// `version` on time. For the version itself (`enrolled` none), its
/// deadline (its effective date if it names none); for an employee
/// enrolled on `enrolled`, that or `new_employee_days` after their
/// enrolment, whichever is later.
pub fn deadline(version: &Version, enrolled: Option<Date>) -> Date {
    let own = version.deadline.unwrap_or(version.effective);
    let Some(enrolled) = enrolled else {
        return own;
    };
    let days = Duration::days(i64::from(version.new_employee_days));
    own.max(enrolled.checked_add(days).unwrap_or(Date::MAX))
}

fn version_status<'a>(
    state: &State,
    v: usize,
    end: Option<Date>,
    today: Date,
    lines: Vec<Line<'a>>,
) -> VersionStatus<'a> {
    let p = &state.versions()[v];
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
        asked_by: super::asked::asked_for(state, p.entry),
    }
}

/// A document's audience, looked up once for a version's lines: the
/// rules of [`State::binds`] and [`State::binds_everyone`].
struct Audience<'a> {
    /// The declared document (none for [`super::entry::RULES`]).
    document: Option<&'a Document>,
    /// Whether it binds everyone on every day.
    everyone: bool,
}

impl<'a> Audience<'a> {
    fn of(state: &'a State, document: &str) -> Audience<'a> {
        Audience {
            document: state.document(document),
            everyone: state.binds_everyone(document),
        }
    }

    /// [`State::binds`]: the declaration holding on `day` includes `e`'s
    /// units or position that day.
    fn binds(&self, e: &Employee, day: Date) -> bool {
        self.document
            .is_none_or(|d| audience_includes(d.on(day), e.on(day)))
    }
}

/// Whether `e` works there at some time while the version is in force.
fn concerned(e: &Employee, effective: Date, end: Option<Date>) -> bool {
    let joined_in_time = end.is_none_or(|end| e.enrolled < end);
    let still_there = e.left.is_none_or(|(left, _)| left > effective);
    joined_in_time && still_there
}

/// If the version (in force until `end`) concerns `e`, the day their
/// binding by its document began: they work there at some time while it
/// is in force and the document binds them on some such day. For a
/// document that binds everyone that is their first day.
fn bound_since(audience: &Audience, e: &Employee, v: &Version, end: Option<Date>) -> Option<Date> {
    if !concerned(e, v.effective, end) {
        return None;
    }
    if audience.everyone {
        return Some(e.enrolled);
    }
    let from = v.effective.max(e.enrolled);
    let until = match (end, e.left) {
        (Some(end), Some((left, _))) => Some(end.min(left)),
        (end, left) => end.or(left.map(|(d, _)| d)),
    };
    let changes = change_days(audience, e);
    let bound = |day: Date| audience.binds(e, day);
    let first = std::iter::once(from)
        .chain(changes.iter().copied().filter(|&c| c > from))
        .take_while(|&c| until.is_none_or(|u| c < u))
        .find(|&c| bound(c))?;
    // Back to the start of the run of days on which they were bound.
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

/// The days on which whether the document binds `e` can change: their
/// first day, their moves and updates, the document's declarations
/// (sorted).
fn change_days(audience: &Audience, e: &Employee) -> Vec<Date> {
    let declarations = audience
        .document
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

/// [`format_date`] without the formatting machinery (a status writes
/// three dates a line, for hundreds of thousands of lines): the same text
/// for every date.
fn day_text(d: Date) -> String {
    let year = d.year();
    if !(0..=9999).contains(&year) {
        return format_date(d);
    }
    let year = year as u32;
    let (month, day) = (u32::from(u8::from(d.month())), u32::from(d.day()));
    let digits = [
        year / 1000,
        year / 100 % 10,
        year / 10 % 10,
        year % 10,
        month / 10,
        month % 10,
        day / 10,
        day % 10,
    ];
    let mut s = String::with_capacity(10);
    for (i, n) in digits.into_iter().enumerate() {
        if i == 4 || i == 6 {
            s.push('-');
        }
        s.push(char::from(b'0' + n as u8));
    }
    s
}

fn line<'a>(
    state: &State,
    i: usize,
    e: &'a Employee,
    v: usize,
    since: Date,
    today: Date,
) -> Line<'a> {
    let deadline = deadline(&state.versions()[v].version, Some(since));
    let acked = state.acknowledged(i, v);
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

/// The statuses as a table for Excel ([`crate::csvout`]: UTF-8 with a
/// byte order mark, `;` between cells, formulas neutralised): one row per
/// employee and version, with the document, and whether they have no key
/// yet.
pub fn to_csv(statuses: &[VersionStatus]) -> std::io::Result<Vec<u8>> {
    const HEADER: [&str; 11] = [
        "document",
        "version",
        "title",
        "employee_id",
        "name",
        "status",
        "no_key",
        "deadline",
        "signed",
        "received",
        "entry",
    ];
    let rows = statuses.iter().flat_map(|s| {
        s.lines.iter().map(move |l| {
            [
                s.document
                    .clone()
                    .unwrap_or_else(|| super::entry::RULES.into()),
                s.label.clone(),
                s.title.clone(),
                l.id.to_string(),
                l.name.to_string(),
                l.standing.english().to_string(),
                if l.no_key {
                    "yes".into()
                } else {
                    String::new()
                },
                l.deadline.to_string(),
                l.signed.map(|d| d.to_string()).unwrap_or_default(),
                l.received.map(|d| d.to_string()).unwrap_or_default(),
                l.entry.map(|e| e.to_string()).unwrap_or_default(),
            ]
        })
    });
    crate::csvout::to_vec(&HEADER, rows)
}

#[cfg(test)]
#[path = "status_same.rs"]
mod same;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::entry::{self, parse, parse_date, Version};
    use ed25519_dalek::SigningKey;

    fn d(s: &str) -> Date {
        parse_date(s).unwrap()
    }

    #[test]
    fn the_deadline_is_the_versions_or_a_late_joiners_own() {
        let mut v = Version {
            document: None,
            label: "1".into(),
            title: "Noteikumi".into(),
            sha256: [1; 32],
            effective: d("2017-12-01"),
            material: true,
            deadline: Some(d("2017-12-15")),
            new_employee_days: 10,
        };
        assert_eq!(deadline(&v, None), d("2017-12-15"));
        assert_eq!(deadline(&v, Some(d("2017-11-01"))), d("2017-12-15"));
        assert_eq!(deadline(&v, Some(d("2017-12-10"))), d("2017-12-20"));
        v.deadline = None;
        assert_eq!(deadline(&v, None), d("2017-12-01"));
    }

    #[test]
    fn standings_follow_deadlines_enrolment_and_departure() {
        let key = |n: u8| SigningKey::from_bytes(&[n; 32]);
        let mut s = State::new();
        let mut add = |bytes: Vec<u8>| s.append(&parse(&bytes).unwrap()).unwrap();
        add(entry::log_bytes(
            "example.invalid/log",
            "J",
            &key(9).verifying_key(),
            "P",
            d("2017-12-01"),
        )
        .unwrap());
        let v = Version {
            document: None,
            label: "1".into(),
            title: "Noteikumi".into(),
            sha256: [1; 32],
            effective: d("2017-12-01"),
            material: true,
            deadline: Some(d("2017-12-15")),
            new_employee_days: 10,
        };
        add(entry::version_bytes(&v).unwrap());
        add(entry::enrol_bytes("a", "A", None, &key(1).verifying_key(), d("2017-12-01")).unwrap());
        add(entry::enrol_bytes("b", "B", None, &key(2).verifying_key(), d("2018-01-10")).unwrap());
        add(entry::enrol_bytes("c", "C", None, &key(3).verifying_key(), d("2017-12-01")).unwrap());
        add(entry::leave_bytes("c", d("2017-12-10")).unwrap());
        let standing = |today: &str, id: &str| {
            status(&s, d(today))[0]
                .lines
                .iter()
                .find(|l| l.id == id)
                .map(|l| (l.standing, l.deadline.to_string()))
        };
        assert_eq!(
            standing("2017-12-05", "a"),
            Some((Standing::Outstanding, "2017-12-15".into()))
        );
        assert_eq!(
            standing("2017-12-16", "a"),
            Some((Standing::Overdue, "2017-12-15".into()))
        );
        // Enrolled later: ten days from the enrolment.
        assert_eq!(
            standing("2018-01-15", "b"),
            Some((Standing::Outstanding, "2018-01-20".into()))
        );
        assert_eq!(
            standing("2017-12-20", "c"),
            Some((Standing::Left, "2017-12-15".into()))
        );
        assert_eq!(
            standing("2017-12-05", "c"),
            Some((Standing::Outstanding, "2017-12-15".into()))
        );
    }

    /// Issue 17, section 3, point 1: a version takes over on its
    /// effective date, not when it is published.
    #[test]
    fn a_version_takes_over_on_its_effective_date() {
        let key = SigningKey::from_bytes(&[9; 32]);
        let mut s = State::new();
        let mut add = |bytes: Vec<u8>| s.append(&parse(&bytes).unwrap()).unwrap();
        add(entry::log_bytes(
            "o.invalid/l",
            "J",
            &key.verifying_key(),
            "P",
            d("2017-12-01"),
        )
        .unwrap());
        let v = |label: &str, sha: u8, effective: &str, material: bool| Version {
            document: None,
            label: label.into(),
            title: "Noteikumi".into(),
            sha256: [sha; 32],
            effective: d(effective),
            material,
            deadline: material.then(|| d(effective)),
            new_employee_days: 10,
        };
        add(entry::version_bytes(&v("1", 1, "2017-12-01", true)).unwrap());
        add(entry::version_bytes(&v("1.1", 2, "2018-01-01", false)).unwrap());
        add(entry::version_bytes(&v("2", 3, "2018-03-01", true)).unwrap());
        let at = |v: usize, day: &str| phase(&s, v, d(day)).unwrap();
        assert_eq!(at(0, "2017-11-30"), Phase::Coming);
        assert_eq!(at(0, "2018-02-28"), Phase::InForce);
        assert_eq!(
            at(1, "2018-02-28"),
            Phase::InForce,
            "a correction: its version's"
        );
        assert_eq!(at(2, "2018-02-28"), Phase::Coming);
        assert_eq!(at(0, "2018-03-01"), Phase::Superseded);
        assert_eq!(at(2, "2018-03-01"), Phase::InForce);
        assert_eq!(in_force(&s, d("2018-02-28")), Some(0));
        assert_eq!(in_force(&s, d("2018-03-01")), Some(2));
        assert_eq!(in_force(&s, d("2017-11-30")), None);
        assert_eq!(phase(&s, 9, d("2018-03-01")), None);
        let statuses = status(&s, d("2018-02-28"));
        let phases: Vec<Phase> = statuses.iter().map(|v| v.phase).collect();
        assert_eq!(phases, [Phase::InForce, Phase::Coming]);
    }

    /// Issue 20: per document, per unit, people without keys, and
    /// deadlines from the day a binding began.
    #[test]
    fn a_documents_audience_owes_it_from_the_day_binding_began() {
        let key = |n: u8| SigningKey::from_bytes(&[n; 32]);
        let units = |u: &[&str]| u.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let mut s = State::new();
        let mut add = |bytes: Vec<u8>| s.append(&parse(&bytes).unwrap()).unwrap();
        add(entry::log_bytes(
            "o.invalid/l",
            "J",
            &key(9).verifying_key(),
            "P",
            d("2018-01-01"),
        )
        .unwrap());
        add(entry::unit_bytes("kac", "KAC").unwrap());
        add(entry::unit_bytes("bv", "Būvvalde").unwrap());
        add(entry::document_bytes(&entry::Declaration {
            id: "kac".into(),
            title: "KAC noteikumi".into(),
            units: units(&["kac"]),
            positions: vec![],
            date: d("2018-01-01"),
        })
        .unwrap());
        add(entry::version_bytes(&Version {
            document: Some("kac".into()),
            label: "1".into(),
            title: "KAC noteikumi".into(),
            sha256: [1; 32],
            effective: d("2018-02-01"),
            material: true,
            deadline: Some(d("2018-02-15")),
            new_employee_days: 10,
        })
        .unwrap());
        // In the KAC from before; joins the KAC later; moves in later; never in it.
        add(entry::join_bytes("a", "A", None, &units(&["kac"]), d("2018-01-01")).unwrap());
        add(entry::join_bytes("b", "B", None, &units(&["kac"]), d("2018-03-01")).unwrap());
        add(entry::join_bytes("c", "C", None, &units(&["bv"]), d("2018-01-01")).unwrap());
        add(entry::move_bytes("c", &units(&["kac"]), d("2018-03-10")).unwrap());
        add(entry::join_bytes("e", "E", None, &units(&["bv"]), d("2018-01-01")).unwrap());
        add(entry::enrol_bytes("a", "A", None, &key(1).verifying_key(), d("2018-01-01")).unwrap());
        let today = d("2018-03-12");
        let all = status(&s, today);
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].document.as_deref(), Some("kac"));
        let rows: Vec<(&str, String, bool)> = all[0]
            .lines
            .iter()
            .map(|l| (l.id, l.deadline.to_string(), l.no_key))
            .collect();
        assert_eq!(
            rows,
            [
                ("a", "2018-02-15".to_string(), false),
                ("b", "2018-03-11".to_string(), true),
                ("c", "2018-03-20".to_string(), true)
            ]
        );
        let in_bv = Filter {
            document: None,
            unit: Some("bv".into()),
        };
        assert!(status_of(&s, today, &in_bv)[0].lines.is_empty());
        let other = Filter {
            document: Some("rules".into()),
            unit: None,
        };
        assert!(status_of(&s, today, &other).is_empty());
        let json = serde_json::to_string(&all[0].lines[0]).unwrap();
        assert!(!json.contains("no_key"), "{json}");
        assert!(serde_json::to_string(&all[0])
            .unwrap()
            .starts_with(r#"{"document":"kac","#));
    }

    #[test]
    fn the_csv_has_the_document_and_who_has_no_key_and_no_formula() {
        let line = Line {
            id: "aozola",
            name: "=Anna; \"Ozola\"",
            standing: Standing::Overdue,
            deadline: Day(d("2018-01-22")),
            signed: None,
            received: None,
            entry: None,
            no_key: true,
        };
        let status = VersionStatus {
            document: Some("datu-aizsardziba".into()),
            label: "1".into(),
            title: "Personas datu aizsardzības noteikumi".into(),
            sha256: String::new(),
            effective: "2018-01-01".into(),
            deadline: "2018-01-31".into(),
            corrections: Vec::new(),
            superseded: None,
            phase: Phase::InForce,
            lines: vec![line],
            asked_by: None,
        };
        let csv = String::from_utf8(to_csv(&[status]).unwrap()).unwrap();
        let mut rows = csv.trim_start_matches('\u{feff}').lines();
        assert!(rows
            .next()
            .unwrap()
            .starts_with("document;version;title;employee_id"));
        assert_eq!(
            rows.next().unwrap(),
            "datu-aizsardziba;1;Personas datu aizsardzības noteikumi;aozola;\"'=Anna; \"\"Ozola\"\"\";overdue;yes;2018-01-22;;;"
        );
    }

    /// Issue 20, point 7: one employee's documents, the overdue first,
    /// each with their own deadline, and for a document whose earlier
    /// version they acknowledged, that version to compare with.
    #[test]
    fn owed_by_lists_ones_own_documents_overdue_first() {
        let key = |n: u8| SigningKey::from_bytes(&[n; 32]);
        let units = |u: &[&str]| u.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let mut s = State::new();
        let mut add = |bytes: Vec<u8>| s.append(&parse(&bytes).unwrap()).unwrap();
        add(entry::log_bytes(
            "o.invalid/l",
            "J",
            &key(9).verifying_key(),
            "P",
            d("2018-01-01"),
        )
        .unwrap());
        add(entry::unit_bytes("kac", "KAC").unwrap());
        add(entry::unit_bytes("bv", "Būvvalde").unwrap());
        for (id, title, u) in [
            ("kac", "KAC noteikumi", &["kac"][..]),
            ("visi", "Ētikas kodekss", &[]),
        ] {
            add(entry::document_bytes(&entry::Declaration {
                id: id.into(),
                title: title.into(),
                units: units(u),
                positions: vec![],
                date: d("2018-01-01"),
            })
            .unwrap());
        }
        let version = |doc: &str, label: &str, sha: u8, effective: &str, deadline: Option<&str>| {
            entry::version_bytes(&Version {
                document: Some(doc.into()),
                label: label.into(),
                title: "Noteikumi".into(),
                sha256: [sha; 32],
                effective: d(effective),
                material: deadline.is_some(),
                deadline: deadline.map(d),
                new_employee_days: 10,
            })
            .unwrap()
        };
        add(version("visi", "1", 1, "2018-01-01", Some("2018-01-20")));
        add(version("kac", "1", 2, "2018-02-01", Some("2018-02-15")));
        add(entry::join_bytes("a", "A", None, &units(&["kac"]), d("2018-01-01")).unwrap());
        add(entry::join_bytes("b", "B", None, &units(&["bv"]), d("2018-01-01")).unwrap());
        add(entry::enrol_bytes("a", "A", None, &key(1).verifying_key(), d("2018-01-01")).unwrap());
        let doc = crate::document::DocumentRef {
            title: "Noteikumi".into(),
            sha256: [2; 32],
        };
        let env = crate::ack::Acknowledgement::new(&doc, "A", "a", "2018-02-05", None)
            .unwrap()
            .sign(&key(1))
            .unwrap();
        add(entry::ack_bytes(d("2018-02-05"), &key(1).verifying_key(), &env).unwrap());
        add(version("kac", "2", 3, "2018-03-01", Some("2018-04-01")));
        add(version("kac", "2.1", 4, "2018-03-05", None));
        add(version("visi", "2", 5, "2018-06-01", Some("2018-06-30")));
        let today = d("2018-03-10");
        let owed = owed_by(&s, "a", today).unwrap();
        let rows: Vec<(&str, &str, Standing, String)> = owed
            .iter()
            .map(|o| {
                let label = s.versions()[o.version].version.label.as_str();
                (
                    o.document.as_str(),
                    label,
                    o.line.standing,
                    o.line.deadline.to_string(),
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                ("visi", "1", Standing::Overdue, "2018-01-20".to_string()),
                ("kac", "2", Standing::Outstanding, "2018-04-01".to_string()),
                ("visi", "2", Standing::Outstanding, "2018-06-30".to_string()),
            ]
        );
        assert_eq!(owed[0].title, "Ētikas kodekss");
        assert!(owed[0].can_sign() && owed[1].can_sign());
        assert_eq!(owed[2].phase, Phase::Coming);
        assert!(!owed[2].can_sign());
        // Version 2 of the KAC's rules: its correction is what is signed,
        // and version 1, which A acknowledged, is what it is compared with.
        assert_eq!(s.versions()[owed[1].newest].version.label, "2.1");
        let before = owed[1]
            .signed_before
            .map(|v| s.versions()[v].version.label.as_str());
        assert_eq!(before, Some("1"));
        assert_eq!(owed[0].signed_before, None);
        // B is not in the KAC: only the document that binds everyone.
        let b: Vec<String> = owed_by(&s, "b", today)
            .unwrap()
            .iter()
            .map(|o| o.document.clone())
            .collect();
        assert_eq!(b, ["visi", "visi"]);
        assert!(owed_by(&s, "nobody", today).is_none());
        // The same lines as the whole status gives.
        for (document, v, line) in lines_of(&s, "a", today).unwrap() {
            let all = status(&s, today);
            let st = all
                .iter()
                .find(|x| x.sha256 == crate::encoding::hex(&s.versions()[v].version.sha256))
                .unwrap();
            assert_eq!(st.document.as_deref(), Some(document));
            let same = st.lines.iter().find(|l| l.id == "a").unwrap();
            assert_eq!(
                (same.standing, &same.deadline, same.entry),
                (line.standing, &line.deadline, line.entry)
            );
        }
    }
}
