//! The staff list from the HR system: a CSV file read into checked rows,
//! and the changes that bring the log's staff in line with it.
//!
//! Why it exists: a register must know everyone who works here from their
//! first day, not only those who enrolled a key. The HR system knows them;
//! its export (a spreadsheet saved as CSV, often by Excel in a Latvian
//! locale) is the whole current staff list. [`parse`] reads it strictly
//! (UTF-8, a header row naming the columns, one spelling of every value)
//! and names every bad cell by line and column, so that a clerk fixes them
//! in one go; [`plan`] compares it with what the log says ([`Current`]) and
//! lists who joins, moves, changes name or position, and leaves. The
//! module decides; it writes nothing: the log's writer turns a [`Plan`]
//! into entries.
//!
//! The rules are written down in `docs/FORMAT.md`, "Staff file (HR
//! import)".

use std::fmt;

use serde::Serialize;
use time::Date;

mod plan;
mod read;

pub use plan::plan;
pub use read::parse;

/// Largest staff file read, in bytes: a list of thousands of employees is
/// well under a megabyte.
pub const MAX_STAFF_FILE: usize = 10 * 1024 * 1024;

/// At most this many problems are listed; the rest are counted.
pub const MAX_PROBLEMS: usize = 20;

/// One employee as the staff file gives them, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffRow {
    /// The line of the file the row starts on, counting from 1 (the header
    /// is usually line 1): the row number a spreadsheet shows.
    pub line: u64,
    /// The employee's identifier (rules of `text::check_id`).
    pub id: String,
    /// Name and surname, in NFC.
    pub name: String,
    /// Position, in NFC; `None` when the cell is empty.
    pub position: Option<String>,
    /// Unit identifiers, sorted and without duplicates.
    pub units: Vec<String>,
    /// First working day.
    pub start: Date,
    /// Last day of employment, when known: obligations end on it.
    pub end: Option<Date>,
}

/// What the log says of one employee, as [`plan`] compares it with the
/// file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Current {
    /// The employee's identifier.
    pub id: String,
    /// Their current name.
    pub name: String,
    /// Their current position.
    pub position: Option<String>,
    /// Their current units (any order).
    pub units: Vec<String>,
    /// The day they joined.
    pub start: Date,
    /// The date of their departure, when one is recorded (past or future).
    pub left: Option<Date>,
}

/// Why a departure is planned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LeaveReason {
    /// The row gives an end date.
    EndDate,
    /// The employee is in the log, employed, and not in the file.
    NotInFile,
}

/// One entry the log needs so that it says what the file says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// Someone not in the log: a `join` entry.
    Join {
        /// Identifier.
        id: String,
        /// Name.
        name: String,
        /// Position.
        position: Option<String>,
        /// Units, sorted, without duplicates.
        units: Vec<String>,
        /// First working day (the row's start).
        #[serde(serialize_with = "serialize_date")]
        date: Date,
        /// The row's line.
        line: u64,
    },
    /// New units: a `move` entry with the whole new set.
    Move {
        /// Identifier.
        id: String,
        /// Name (as the log says it; for people to read).
        name: String,
        /// The new units, sorted, without duplicates.
        units: Vec<String>,
        /// The units the log says today, sorted.
        was_units: Vec<String>,
        /// From when (the import date, or the join date if later).
        #[serde(serialize_with = "serialize_date")]
        date: Date,
        /// The row's line.
        line: u64,
    },
    /// A new name or position: an `update` entry carrying both, as they
    /// are from `date` (`position: None` is "no position").
    Update {
        /// Identifier.
        id: String,
        /// The name from `date`.
        name: String,
        /// The position from `date`.
        position: Option<String>,
        /// The name the log says today.
        was_name: String,
        /// The position the log says today.
        was_position: Option<String>,
        /// From when (the import date, or the join date if later).
        #[serde(serialize_with = "serialize_date")]
        date: Date,
        /// The row's line.
        line: u64,
    },
    /// A departure: a `leave` entry.
    Leave {
        /// Identifier.
        id: String,
        /// Name (for people to read).
        name: String,
        /// The day obligations end.
        #[serde(serialize_with = "serialize_date")]
        date: Date,
        /// Why.
        reason: LeaveReason,
        /// The row's line, when the row gives the end date.
        line: Option<u64>,
    },
}

impl Change {
    /// The employee's identifier.
    pub fn id(&self) -> &str {
        match self {
            Change::Join { id, .. }
            | Change::Move { id, .. }
            | Change::Update { id, .. }
            | Change::Leave { id, .. } => id,
        }
    }

    /// The date the entry carries.
    pub fn date(&self) -> Date {
        match self {
            Change::Join { date, .. }
            | Change::Move { date, .. }
            | Change::Update { date, .. }
            | Change::Leave { date, .. } => *date,
        }
    }

    /// The order of an employee's changes: join, move, update, leave.
    fn rank(&self) -> u8 {
        match self {
            Change::Join { .. } => 0,
            Change::Move { .. } => 1,
            Change::Update { .. } => 2,
            Change::Leave { .. } => 3,
        }
    }
}

/// The changes, by employee identifier and then join, move, update,
/// leave (so an employee's entries are in date order).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// The changes.
    pub changes: Vec<Change>,
}

impl Plan {
    /// Whether the log already says what the file says.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// The staff as the log will say it once these changes are written:
    /// `current` with the changes applied, sorted by identifier.
    pub fn after(&self, current: &[Current]) -> Vec<Current> {
        let mut staff: std::collections::BTreeMap<String, Current> =
            current.iter().map(|c| (c.id.clone(), c.clone())).collect();
        for change in &self.changes {
            apply(&mut staff, change);
        }
        staff.into_values().collect()
    }
}

/// `change` applied to `staff`.
fn apply(staff: &mut std::collections::BTreeMap<String, Current>, change: &Change) {
    match change {
        Change::Join {
            id,
            name,
            position,
            units,
            date,
            ..
        } => {
            let joined = Current {
                id: id.clone(),
                name: name.clone(),
                position: position.clone(),
                units: units.clone(),
                start: *date,
                left: None,
            };
            staff.insert(id.clone(), joined);
        }
        Change::Move { id, units, .. } => {
            if let Some(c) = staff.get_mut(id) {
                c.units = units.clone();
            }
        }
        Change::Update {
            id, name, position, ..
        } => {
            if let Some(c) = staff.get_mut(id) {
                c.name = name.clone();
                c.position = position.clone();
            }
        }
        Change::Leave { id, date, .. } => {
            if let Some(c) = staff.get_mut(id) {
                c.left = Some(*date);
            }
        }
    }
}

/// A date as entries and the file write it: `YYYY-MM-DD`.
pub(crate) fn date_text(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

fn serialize_date<S: serde::Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&date_text(*d))
}

/// `kac, soc`, or `no unit`.
fn units_text(units: &[String]) -> String {
    if units.is_empty() {
        "no unit".into()
    } else {
        units.join(", ")
    }
}

/// `"referente"`, or `none`.
fn position_text(position: &Option<String>) -> String {
    match position {
        Some(p) => format!("\"{}\"", crate::text::printable(p, 200)),
        None => "none".into(),
    }
}

impl fmt::Display for Change {
    /// One line for people, e.g. `joins: jberzins Jānis Bērziņš (kac)
    /// from 2026-12-01`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let who = |id: &str, name: &str| format!("{id} {}", crate::text::printable(name, 200));
        match self {
            Change::Join {
                id,
                name,
                position,
                units,
                date,
                ..
            } => {
                write!(f, "joins: {}", who(id, name))?;
                if let Some(p) = position {
                    write!(f, ", {}", crate::text::printable(p, 200))?;
                }
                write!(f, " ({}) from {}", units_text(units), date_text(*date))
            }
            Change::Move {
                id,
                name,
                units,
                was_units,
                date,
                ..
            } => write!(
                f,
                "moves: {} ({} -> {}) on {}",
                who(id, name),
                units_text(was_units),
                units_text(units),
                date_text(*date)
            ),
            Change::Update {
                id,
                name,
                position,
                was_name,
                was_position,
                date,
                ..
            } => {
                let mut what = Vec::new();
                if name != was_name {
                    what.push(format!(
                        "name \"{}\" -> \"{}\"",
                        crate::text::printable(was_name, 200),
                        crate::text::printable(name, 200)
                    ));
                }
                if position != was_position {
                    what.push(format!(
                        "position {} -> {}",
                        position_text(was_position),
                        position_text(position)
                    ));
                }
                write!(
                    f,
                    "updates: {}: {} on {}",
                    who(id, was_name),
                    what.join(", "),
                    date_text(*date)
                )
            }
            Change::Leave {
                id,
                name,
                date,
                reason,
                line,
            } => {
                write!(f, "leaves: {} on {}", who(id, name), date_text(*date))?;
                match (reason, line) {
                    (LeaveReason::EndDate, Some(line)) => write!(f, " (end date on line {line})"),
                    (LeaveReason::EndDate, None) => write!(f, " (end date)"),
                    (LeaveReason::NotInFile, _) => write!(f, " (not in the file)"),
                }
            }
        }
    }
}

impl fmt::Display for Plan {
    /// One line per change, or `no changes: the log already says what the
    /// file says`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.changes.is_empty() {
            return writeln!(f, "no changes: the log already says what the file says");
        }
        for change in &self.changes {
            writeln!(f, "{change}")?;
        }
        Ok(())
    }
}

/// One problem in the staff file: where, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The line of the file, counting from 1.
    pub line: u64,
    /// The column as the header names it, when one cell is at fault.
    pub column: Option<String>,
    /// What is wrong, e.g. `"31.02.2026" is not a real date ...`.
    pub why: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.column {
            Some(c) => write!(
                f,
                "line {}, column \"{}\": {}",
                self.line,
                crate::text::printable(c, 60),
                self.why
            ),
            None => write!(f, "line {}: {}", self.line, self.why),
        }
    }
}

/// Problems gathered while reading or planning: at most
/// [`MAX_PROBLEMS`] kept, the rest counted.
#[derive(Debug, Default)]
pub(crate) struct Problems {
    list: Vec<Problem>,
    more: usize,
}

impl Problems {
    /// Adds a problem at `line`, in `column` if one cell is at fault.
    pub(crate) fn add(&mut self, line: u64, column: Option<&str>, why: impl Into<String>) {
        if self.list.len() < MAX_PROBLEMS {
            self.list.push(Problem {
                line,
                column: column.map(str::to_string),
                why: why.into(),
            });
        } else {
            self.more += 1;
        }
    }

    /// `Err` listing the problems when there is any.
    pub(crate) fn finish(&mut self) -> Result<(), StaffError> {
        if self.list.is_empty() {
            Ok(())
        } else {
            Err(StaffError::Problems {
                problems: std::mem::take(&mut self.list),
                more: std::mem::take(&mut self.more),
            })
        }
    }
}

/// Why a staff file is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum StaffError {
    /// Over [`MAX_STAFF_FILE`] bytes; refused before parsing.
    #[error("the staff file is larger than {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: usize,
    },
    /// Not UTF-8 (a spreadsheet saved as "CSV" in a legacy code page, or
    /// as UTF-16 "Unicode text").
    #[error("line {line} is not UTF-8 text")]
    NotUtf8 {
        /// The first line holding a byte that is not UTF-8.
        line: u64,
    },
    /// Nothing in the file (or only white space).
    #[error("the staff file is empty")]
    Empty,
    /// A header row and no employee.
    #[error("the staff file has a header row but no employees")]
    NoRows,
    /// Bad cells, columns or rows, each named by its line.
    #[error("{}", problems_text(problems, *more))]
    Problems {
        /// The problems, in the order of the file (at most
        /// [`MAX_PROBLEMS`]).
        problems: Vec<Problem>,
        /// How many more there are.
        more: usize,
    },
}

fn problems_text(problems: &[Problem], more: usize) -> String {
    let total = problems.len() + more;
    let mut text = format!(
        "{total} problem{} in the staff file:",
        if total == 1 { "" } else { "s" }
    );
    for p in problems {
        text.push_str(&format!("\n  {p}"));
    }
    if more > 0 {
        text.push_str(&format!("\n  and {more} more"));
    }
    text
}

impl crate::Hint for StaffError {
    fn hint(&self) -> Option<String> {
        Some(
            match self {
                StaffError::TooLarge { .. } => {
                    "a staff list of thousands of employees is far smaller; check that this \
                     is the export of the staff list"
                }
                StaffError::NotUtf8 { .. } => {
                    "open the file in the spreadsheet and save it as \"CSV UTF-8 (Comma \
                     delimited)\"; other encodings lose or change Latvian letters"
                }
                StaffError::Empty | StaffError::NoRows => {
                    "export the whole current staff list, with a header row naming the columns \
                     (the file lists everyone employed: anyone not in it leaves)"
                }
                StaffError::Problems { .. } => {
                    "correct these cells in the spreadsheet, save it as CSV UTF-8 and import the \
                     whole file again"
                }
            }
            .into(),
        )
    }
}

#[cfg(test)]
mod tests;

/// Everyone the log has ever known, as [`plan`] compares them with the
/// file: name, position and units on `day` (or on their first day, if that
/// is later), and the day they left, if they did.
pub fn current_of(state: &crate::log::state::State, day: Date) -> Vec<Current> {
    state
        .employees()
        .iter()
        .map(|e| {
            let m = e.member_on(day);
            Current {
                id: m.id,
                name: m.name,
                position: m.position,
                units: m.units,
                start: m.start,
                left: m.left,
            }
        })
        .collect()
}

/// The units the log declares, as [`plan`] takes them.
pub fn units_of(state: &crate::log::state::State) -> std::collections::BTreeSet<String> {
    state.units().iter().map(|u| u.id.clone()).collect()
}

/// The log entry a change asks for.
pub fn entry_of(change: &Change) -> Result<Vec<u8>, crate::log::entry::EntryError> {
    use crate::log::entry;
    match change {
        Change::Join {
            id,
            name,
            position,
            units,
            date,
            ..
        } => entry::join_bytes(id, name, position.as_deref(), units, *date),
        Change::Move {
            id, units, date, ..
        } => entry::move_bytes(id, units, *date),
        Change::Update {
            id,
            name,
            position,
            date,
            ..
        } => entry::update_bytes(id, name, position.as_deref(), *date),
        Change::Leave { id, date, .. } => entry::leave_bytes(id, *date),
    }
}

/// The log entries the plan asks for, in its order (see [`entry_of`]):
/// what an administrator's request names and the writer appends.
pub fn entries_of(plan: &Plan) -> Result<Vec<Vec<u8>>, crate::log::entry::EntryError> {
    plan.changes.iter().map(entry_of).collect()
}

/// How many of each change the plan holds: joins, moves, updates, leaves.
pub fn counts(plan: &Plan) -> [usize; 4] {
    let mut n = [0; 4];
    for change in &plan.changes {
        n[usize::from(change.rank())] += 1;
    }
    n
}

/// What the plan asks, in Latvian words, for the request an administrator
/// signs: e.g. `darbinieku imports: 3 pievienojas, 1 aiziet` (only the
/// kinds it holds), or `darbinieku imports: bez izmaiņām`.
pub fn action(plan: &Plan) -> String {
    const WORDS: [&str; 4] = [
        "pievienojas",
        "maina struktūrvienību",
        "maina vārdu vai amatu",
        "aiziet",
    ];
    let parts: Vec<String> = counts(plan)
        .iter()
        .zip(WORDS)
        .filter(|(n, _)| **n > 0)
        .map(|(n, word)| format!("{n} {word}"))
        .collect();
    if parts.is_empty() {
        "darbinieku imports: bez izmaiņām".into()
    } else {
        format!("darbinieku imports: {}", parts.join(", "))
    }
}

/// A fingerprint of the plan (SHA-256 of its JSON, hex): a preview shown
/// and a confirmation that names it are about the same changes, or the
/// log changed in between.
pub fn fingerprint(plan: &Plan) -> String {
    use sha2::Digest as _;
    let json = serde_json::to_vec(plan).unwrap_or_default();
    crate::encoding::hex(&sha2::Sha256::digest(&json))
}
