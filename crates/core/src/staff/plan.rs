//! Planning: the file (the whole current staff list) against what the log
//! says, as the entries that make the log say what the file says.
//!
//! The rules (`docs/FORMAT.md`, "Staff file (HR import)"):
//! 1. a row whose id the log does not know: join on its start date (and
//!    leave on its end date, if it has one);
//! 2. a row of someone whose departure the log records: nothing when the
//!    row has an end date; refused when it has none (re-hiring and
//!    withdrawing a departure are not supported);
//! 3. a row of someone employed: a move if the units differ, an update if
//!    the name or position differ, both dated the import date (or the join
//!    date if that is later) and left out when the row's end date is on or
//!    before that day; a leave on the row's end date, if any;
//! 4. someone employed in the log and not in the file: leave on the import
//!    date (or the join date if that is later);
//! 5. every unit a join or a row of someone employed names must be declared
//!    in the log.

use std::collections::{BTreeMap, BTreeSet};

use time::Date;

use super::{Change, Current, LeaveReason, Plan, Problems, StaffError, StaffRow};
use crate::text::printable;

/// The changes that make the log's staff (`current`) what `rows` (as
/// [`super::parse`] returns them) say, on `import_date`. A row naming an
/// undeclared unit, or someone who left and is listed without an end date,
/// is a problem naming its line; then there is no plan.
pub fn plan(
    rows: &[StaffRow],
    current: &[Current],
    known_units: &BTreeSet<String>,
    import_date: Date,
) -> Result<Plan, StaffError> {
    let by_id: BTreeMap<&str, &Current> = current.iter().map(|c| (c.id.as_str(), c)).collect();
    let mut problems = Problems::default();
    let mut changes = Vec::new();
    for row in rows {
        match by_id.get(row.id.as_str()) {
            None => join(row, known_units, &mut changes, &mut problems),
            Some(cur) if cur.left.is_some() => departed(row, cur, &mut problems),
            Some(cur) => employed(
                row,
                cur,
                known_units,
                import_date,
                &mut changes,
                &mut problems,
            ),
        }
    }
    let listed: BTreeSet<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    for cur in current {
        if cur.left.is_none() && !listed.contains(cur.id.as_str()) {
            changes.push(Change::Leave {
                id: cur.id.clone(),
                name: cur.name.clone(),
                date: import_date.max(cur.start),
                reason: LeaveReason::NotInFile,
                line: None,
            });
        }
    }
    problems.finish()?;
    changes.sort_by(|a, b| (a.id(), a.rank()).cmp(&(b.id(), b.rank())));
    Ok(Plan { changes })
}

/// Rule 5: a problem naming the units of `row` the log has not declared;
/// `false` if there are any.
fn units_declared(row: &StaffRow, known: &BTreeSet<String>, problems: &mut Problems) -> bool {
    let unknown: Vec<String> = row
        .units
        .iter()
        .filter(|u| !known.contains(*u))
        .map(|u| format!("\"{}\"", printable(u, 64)))
        .collect();
    if unknown.is_empty() {
        return true;
    }
    let (noun, verb) = if unknown.len() == 1 {
        ("unit", "is")
    } else {
        ("units", "are")
    };
    problems.add(
        row.line,
        Some("units"),
        format!(
            "{noun} {} {verb} not declared in the log; declare each unit in the log first",
            unknown.join(", ")
        ),
    );
    false
}

/// Rule 1: someone new joins on the row's start, and leaves on its end.
fn join(
    row: &StaffRow,
    known_units: &BTreeSet<String>,
    changes: &mut Vec<Change>,
    problems: &mut Problems,
) {
    if !units_declared(row, known_units, problems) {
        return;
    }
    changes.push(Change::Join {
        id: row.id.clone(),
        name: row.name.clone(),
        position: row.position.clone(),
        units: row.units.clone(),
        date: row.start,
        line: row.line,
    });
    if let Some(end) = row.end {
        changes.push(leave_on_end(row, &row.name, end));
    }
}

/// Rule 2: someone whose departure is recorded.
fn departed(row: &StaffRow, cur: &Current, problems: &mut Problems) {
    let (Some(left), None) = (cur.left, row.end) else {
        return;
    };
    problems.add(
        row.line,
        Some("id"),
        format!(
            "the log records that \"{}\" leaves on {}, and this row has no end date: a recorded \
             departure cannot be withdrawn, and someone who returns needs a new identifier \
             (or give this row the end date)",
            printable(&row.id, 64),
            super::date_text(left)
        ),
    );
}

/// Rule 3: someone employed, listed in the file.
fn employed(
    row: &StaffRow,
    cur: &Current,
    known_units: &BTreeSet<String>,
    import_date: Date,
    changes: &mut Vec<Change>,
    problems: &mut Problems,
) {
    if !units_declared(row, known_units, problems) {
        return;
    }
    if let Some(end) = row.end.filter(|end| *end < cur.start) {
        problems.add(
            row.line,
            Some("end"),
            format!(
                "{} is before the day the log says \"{}\" joined, {}",
                super::date_text(end),
                printable(&row.id, 64),
                super::date_text(cur.start)
            ),
        );
        return;
    }
    let date = import_date.max(cur.start);
    if row.end.is_none_or(|end| end > date) {
        changes.extend(moved(row, cur, date));
        changes.extend(updated(row, cur, date));
    }
    if let Some(end) = row.end {
        changes.push(leave_on_end(row, &cur.name, end));
    }
}

/// A move to the row's units, if they differ from the log's.
fn moved(row: &StaffRow, cur: &Current, date: Date) -> Option<Change> {
    let mut was_units = cur.units.clone();
    was_units.sort();
    was_units.dedup();
    (was_units != row.units).then(|| Change::Move {
        id: row.id.clone(),
        name: cur.name.clone(),
        units: row.units.clone(),
        was_units,
        date,
        line: row.line,
    })
}

/// An update to the row's name and position, if either differs.
fn updated(row: &StaffRow, cur: &Current, date: Date) -> Option<Change> {
    (row.name != cur.name || row.position != cur.position).then(|| Change::Update {
        id: row.id.clone(),
        name: row.name.clone(),
        position: row.position.clone(),
        was_name: cur.name.clone(),
        was_position: cur.position.clone(),
        date,
        line: row.line,
    })
}

/// A leave on the row's end date.
fn leave_on_end(row: &StaffRow, name: &str, end: Date) -> Change {
    Change::Leave {
        id: row.id.clone(),
        name: name.to_string(),
        date: end,
        reason: LeaveReason::EndDate,
        line: Some(row.line),
    }
}
