//! Who has acknowledged each version, who is outstanding, who is overdue
//! and who was late, on a given day.
//!
//! A material version must be acknowledged by every employee who works
//! there while it is in force: from its effective date until the next
//! material version takes effect. An employee's deadline is the version's,
//! or, for someone enrolled later, their enrolment date plus the version's
//! days for new employees, whichever is later. An acknowledgement of a
//! correction counts for the material version it corrects. People who left
//! without acknowledging are listed as having left, not as outstanding.
//!
//! A version takes over on its effective date, not when it is published:
//! until then the version before it stays in force and is the one to sign,
//! and the new one is *coming* (see [`Phase`]). The log's rules refuse an
//! acknowledgement dated before the version takes effect, so a coming
//! version can be read but not acknowledged ahead.

use serde::Serialize;
use time::{Date, Duration};

use super::entry::{format_date, Version};
use super::state::{Employee, Published, State};

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
    let taken_over = versions[base + 1..]
        .iter()
        .any(|p| p.version.material && p.version.effective <= day);
    Some(if taken_over {
        Phase::Superseded
    } else {
        Phase::InForce
    })
}

/// The material version that takes over from the version at index `v`
/// (the next material one), if one is published.
pub fn successor(versions: &[Published], v: usize) -> Option<&Published> {
    let base = versions.get(v)?.base;
    versions[base + 1..].iter().find(|p| p.version.material)
}

/// The index in [`State::versions`] of the material version in force on
/// `day`, if any has taken effect.
pub fn in_force(state: &State, day: Date) -> Option<usize> {
    (0..state.versions().len())
        .filter(|&v| state.versions()[v].version.material)
        .find(|&v| phase(state, v, day) == Some(Phase::InForce))
}

/// One employee's line for one version.
#[derive(Debug, Clone, Serialize)]
pub struct Line {
    /// Identifier.
    pub id: String,
    /// Name.
    pub name: String,
    /// Where they stand.
    pub standing: Standing,
    /// Their deadline.
    pub deadline: String,
    /// Date signed, if acknowledged.
    pub signed: Option<String>,
    /// Date received, if acknowledged.
    pub received: Option<String>,
    /// The acknowledgement's entry, if acknowledged.
    pub entry: Option<u64>,
}

/// One material version's status.
#[derive(Debug, Clone, Serialize)]
pub struct VersionStatus {
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
    pub lines: Vec<Line>,
}

impl VersionStatus {
    /// How many stand so.
    pub fn count(&self, standing: Standing) -> usize {
        self.lines.iter().filter(|l| l.standing == standing).count()
    }
}

/// The status of every material version on `today`.
pub fn status(state: &State, today: Date) -> Vec<VersionStatus> {
    let versions = state.versions();
    let material: Vec<usize> = (0..versions.len())
        .filter(|&i| versions[i].version.material)
        .collect();
    material
        .iter()
        .enumerate()
        .map(|(k, &v)| {
            let end = material.get(k + 1).map(|&n| versions[n].version.effective);
            version_status(state, v, end, today)
        })
        .collect()
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

fn version_status(state: &State, v: usize, end: Option<Date>, today: Date) -> VersionStatus {
    let p = &state.versions()[v];
    let lines = state
        .employees()
        .iter()
        .enumerate()
        .filter(|(_, e)| concerned(e, p.version.effective, end))
        .map(|(i, e)| line(state, i, e, v, today))
        .collect();
    VersionStatus {
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
    }
}

/// Whether `e` works there at some time while the version is in force.
fn concerned(e: &Employee, effective: Date, end: Option<Date>) -> bool {
    let joined_in_time = end.is_none_or(|end| e.enrolled < end);
    let still_there = e.left.is_none_or(|(left, _)| left > effective);
    joined_in_time && still_there
}

fn line(state: &State, i: usize, e: &Employee, v: usize, today: Date) -> Line {
    let deadline = deadline(&state.versions()[v].version, Some(e.enrolled));
    let acked = state.acknowledgement(i, v);
    let standing = match acked {
        Some(a) if a.date <= deadline => Standing::Acknowledged,
        Some(_) => Standing::Late,
        None if e.left.is_some_and(|(d, _)| d <= today) => Standing::Left,
        None if today > deadline => Standing::Overdue,
        None => Standing::Outstanding,
    };
    Line {
        id: e.id.clone(),
        name: e.name.clone(),
        standing,
        deadline: format_date(deadline),
        signed: acked.map(|a| format_date(a.date)),
        received: acked.map(|a| format_date(a.received)),
        entry: acked.map(|a| a.entry),
    }
}

/// The status as CSV for spreadsheets: one row per version and employee,
/// RFC 4180 quoting, UTF-8 with a header row.
pub fn to_csv(statuses: &[VersionStatus]) -> String {
    let mut out =
        String::from("version,title,employee_id,name,status,deadline,signed,received,entry\r\n");
    for s in statuses {
        for l in &s.lines {
            let cells = [
                s.label.clone(),
                s.title.clone(),
                l.id.clone(),
                l.name.clone(),
                l.standing.english().to_string(),
                l.deadline.clone(),
                l.signed.clone().unwrap_or_default(),
                l.received.clone().unwrap_or_default(),
                l.entry.map(|e| e.to_string()).unwrap_or_default(),
            ];
            let row: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
            out.push_str(&row.join(","));
            out.push_str("\r\n");
        }
    }
    out
}

/// One CSV cell: quoted when needed; a leading `=`, `+`, `-` or `@` is
/// prefixed with `'` so that a spreadsheet never runs it as a formula.
fn csv_cell(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_string()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

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
                .map(|l| (l.standing, l.deadline.clone()))
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

    #[test]
    fn csv_cells_are_quoted_and_never_formulas() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=SUM(A1)"), "'=SUM(A1)");
    }
}
