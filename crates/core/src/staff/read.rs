//! Reading the staff file: bytes to checked [`StaffRow`]s.
//!
//! Steps, each its own function:
//! 1. the size, before anything is parsed;
//! 2. the byte order mark (dropped) and UTF-8 (else the first bad line);
//! 3. the delimiter, `;` or `,`, from the header line;
//! 4. the header: every column named, required ones present;
//! 5. each row: every cell checked, every problem kept;
//! 6. identifiers unique in the file.

use std::collections::BTreeMap;

use time::{Date, Month};
use unicode_normalization::UnicodeNormalization as _;

use super::{Problems, StaffError, StaffRow, MAX_STAFF_FILE};
use crate::keyring::MAX_NAME_LEN;
use crate::text::{self, printable};

/// The UTF-8 byte order mark Excel writes before "CSV UTF-8".
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A column the file may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Field {
    Id,
    Name,
    Position,
    Units,
    Start,
    End,
}

/// The header names each column may have: those shown in messages
/// (English, then Latvian), and the same Latvian names typed without
/// diacritics. Compared lowercase.
const SPELLINGS: [(Field, &[&str], &[&str]); 6] = [
    (Field::Id, &["id", "identifikators"], &[]),
    (
        Field::Name,
        &["name", "vārds, uzvārds", "vārds uzvārds"],
        &["vards, uzvards", "vards uzvards"],
    ),
    (Field::Position, &["position", "amats"], &[]),
    (
        Field::Units,
        &["units", "struktūrvienības", "struktūrvienība"],
        &["strukturvienibas", "strukturvieniba"],
    ),
    (
        Field::Start,
        &["start", "sākuma datums", "sākums"],
        &["sakuma datums", "sakums"],
    ),
    (Field::End, &["end", "beigu datums", "beigas"], &[]),
];

/// Which columns must be in the header (`end` may be left out).
const REQUIRED: [Field; 5] = [
    Field::Id,
    Field::Name,
    Field::Position,
    Field::Units,
    Field::Start,
];

/// Reads a staff file (see `docs/FORMAT.md`, "Staff file (HR import)").
/// Every problem is named by its line and column, up to
/// [`super::MAX_PROBLEMS`]; the rows are returned only when there is none.
pub fn parse(bytes: &[u8]) -> Result<Vec<StaffRow>, StaffError> {
    // 1. The size.
    if bytes.len() > MAX_STAFF_FILE {
        return Err(StaffError::TooLarge {
            limit: MAX_STAFF_FILE,
        });
    }
    // 2. The byte order mark and the encoding.
    let text = utf8(bytes.strip_prefix(BOM).unwrap_or(bytes))?;
    if text.trim().is_empty() {
        return Err(StaffError::Empty);
    }
    // 3. The delimiter.
    let mut problems = Problems::default();
    let Some(delimiter) = delimiter(text) else {
        let line = 1 + text.lines().take_while(|l| l.trim().is_empty()).count() as u64;
        problems.add(
            line,
            None,
            "the header row has no \";\" or \",\" between the column names (is the file \
             saved as text with tabs?)",
        );
        problems.finish()?;
        return Err(StaffError::Empty);
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let mut lines = Lines::new(text);
    // 4. The header.
    let Some(header) = next_record(&mut records, &mut problems) else {
        problems.finish()?;
        return Err(StaffError::Empty);
    };
    let columns = Columns::from_header(&header, lines.of(&header), &mut problems);
    problems.finish()?;
    // 5. The rows; 6. unique identifiers.
    let mut rows = Vec::new();
    let mut seen: BTreeMap<String, u64> = BTreeMap::new();
    while let Some(record) = next_record(&mut records, &mut problems) {
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        let Some(row) = columns.row(&record, lines.of(&record), &mut problems) else {
            continue;
        };
        if let Some(first) = seen.get(&row.id) {
            problems.add(
                row.line,
                Some(columns.name(Field::Id)),
                format!("\"{}\" is also on line {first}", row.id),
            );
            continue;
        }
        seen.insert(row.id.clone(), row.line);
        rows.push(row);
    }
    problems.finish()?;
    if rows.is_empty() {
        return Err(StaffError::NoRows);
    }
    Ok(rows)
}

/// The text of the file, or the first line with a byte that is not UTF-8.
fn utf8(bytes: &[u8]) -> Result<&str, StaffError> {
    std::str::from_utf8(bytes).map_err(|e| {
        let good = &bytes[..e.valid_up_to()];
        let line = 1 + good.iter().filter(|&&b| b == b'\n').count() as u64;
        StaffError::NotUtf8 { line }
    })
}

/// `;` or `,`: whichever the header line holds more of outside quotes
/// (`;` when as many); `None` when it holds neither.
fn delimiter(text: &str) -> Option<u8> {
    let header = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default();
    let (mut semicolons, mut commas, mut quoted) = (0usize, 0usize, false);
    for c in header.chars() {
        match c {
            '"' => quoted = !quoted,
            ';' if !quoted => semicolons += 1,
            ',' if !quoted => commas += 1,
            _ => {}
        }
    }
    match (semicolons, commas) {
        (0, 0) => None,
        (s, c) if c > s => Some(b','),
        _ => Some(b';'),
    }
}

/// The next record, or `None` at the end. The text is UTF-8 already, so
/// the reader has no error to give; should it give one, it is a problem
/// at its line and reading stops.
fn next_record(
    records: &mut csv::StringRecordsIter<'_, &[u8]>,
    problems: &mut Problems,
) -> Option<csv::StringRecord> {
    match records.next()? {
        Ok(record) => Some(record),
        Err(e) => {
            let line = e.position().map_or(0, |p| p.line());
            problems.add(line, None, format!("cannot be read as CSV: {e}"));
            None
        }
    }
}

/// The lines records start on, counted in the text (the reader's own
/// count is off by one after a CR LF).
struct Lines<'t> {
    text: &'t [u8],
    /// A byte offset, and the line it is on.
    at: usize,
    line: u64,
}

impl<'t> Lines<'t> {
    fn new(text: &'t str) -> Lines<'t> {
        Lines {
            text: text.as_bytes(),
            at: 0,
            line: 1,
        }
    }

    /// The line `record` starts on. Records come in the order of the
    /// file, so counting goes on from the previous one. The reader's
    /// offset may point at line ends before the record (the LF of a CR LF,
    /// blank lines it skipped): they are passed over.
    fn of(&mut self, record: &csv::StringRecord) -> u64 {
        let mut start = record
            .position()
            .map_or(self.at, |p| usize::try_from(p.byte()).unwrap_or(usize::MAX))
            .clamp(self.at, self.text.len());
        while matches!(self.text.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        let skipped = &self.text[self.at..start];
        self.line += skipped.iter().filter(|&&b| b == b'\n').count() as u64;
        self.at = start;
        self.line
    }
}

/// A header cell made comparable: trimmed, NFC, lowercase, inner white
/// space as one space.
fn header_key(cell: &str) -> String {
    let lower = cell.trim().nfc().collect::<String>().to_lowercase();
    lower.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The field a header cell names.
fn field_named(cell: &str) -> Option<Field> {
    let key = header_key(cell);
    SPELLINGS
        .iter()
        .find(|(_, shown, also)| shown.contains(&key.as_str()) || also.contains(&key.as_str()))
        .map(|(field, _, _)| *field)
}

/// `"start", "sākuma datums" or "sākums"`: the names a field may have.
fn spellings_text(field: Field) -> String {
    let names: Vec<String> = SPELLINGS
        .iter()
        .filter(|(f, _, _)| *f == field)
        .flat_map(|(_, shown, _)| shown.iter())
        .map(|n| format!("\"{n}\""))
        .collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        Some((last, _)) => last.clone(),
        None => String::new(),
    }
}

/// What each column of the file holds.
struct Columns {
    /// Column index -> field; `None` for a column without a name.
    fields: Vec<Option<Field>>,
    /// Field -> (column index, the header's own spelling).
    at: BTreeMap<Field, (usize, String)>,
    /// The header's line.
    line: u64,
}

impl Columns {
    /// Reads the header: every named column known and named once, every
    /// required one present.
    fn from_header(header: &csv::StringRecord, line: u64, problems: &mut Problems) -> Columns {
        let mut columns = Columns {
            fields: Vec::new(),
            at: BTreeMap::new(),
            line,
        };
        for (index, cell) in header.iter().enumerate() {
            let field = columns.header_cell(index, cell, problems);
            columns.fields.push(field);
        }
        for field in REQUIRED {
            if !columns.at.contains_key(&field) {
                problems.add(
                    line,
                    None,
                    format!(
                        "the header has no column {} (it must name the columns id, name, \
                         position, units and start, and may name end)",
                        spellings_text(field)
                    ),
                );
            }
        }
        columns
    }

    /// The field of one header cell; a problem when it is unknown or
    /// repeated. An empty cell is a column without a name.
    fn header_cell(&mut self, index: usize, cell: &str, problems: &mut Problems) -> Option<Field> {
        let shown = cell.trim().nfc().collect::<String>();
        if shown.is_empty() {
            return None;
        }
        let Some(field) = field_named(cell) else {
            problems.add(
                self.line,
                Some(shown.as_str()),
                "is not a column of the staff file; the columns are id, name, position, units, \
                 start and end (or identifikators, vārds, uzvārds, amats, struktūrvienības, \
                 sākuma datums and beigu datums): remove or rename it",
            );
            return None;
        };
        if let Some((_, first)) = self.at.get(&field) {
            problems.add(
                self.line,
                Some(shown.as_str()),
                format!("names the same column as \"{}\"", printable(first, 60)),
            );
            return None;
        }
        self.at.insert(field, (index, shown));
        Some(field)
    }

    /// The header's spelling of a field's column.
    fn name(&self, field: Field) -> &str {
        self.at.get(&field).map_or("", |(_, name)| name.as_str())
    }

    /// The cell of `field` in `record` (empty when the row is short or the
    /// file has no such column).
    fn cell<'r>(&self, record: &'r csv::StringRecord, field: Field) -> &'r str {
        self.at
            .get(&field)
            .and_then(|(index, _)| record.get(*index))
            .unwrap_or("")
    }

    /// One row checked, or `None` with its problems added.
    fn row(
        &self,
        record: &csv::StringRecord,
        line: u64,
        problems: &mut Problems,
    ) -> Option<StaffRow> {
        let mut cells = Cells {
            columns: self,
            record,
            line,
            problems,
            bad: false,
        };
        cells.stray();
        let id = cells.check(Field::Id, identifier);
        let name = cells.check(Field::Name, |s| required(text_cell(s)));
        let position = cells.check(Field::Position, text_cell);
        let units = cells.check(Field::Units, units);
        let start = cells.check(Field::Start, |s| required(date(s)));
        let end = cells.check(Field::End, date);
        let row = StaffRow {
            line,
            id: id?,
            name: name?,
            position: position?,
            units: units?,
            start: start?,
            end: end?,
        };
        if let Some(end) = row.end.filter(|end| *end < row.start) {
            cells.add(
                Field::End,
                format!(
                    "{} is before the start date {}",
                    super::date_text(end),
                    super::date_text(row.start)
                ),
            );
        }
        (!cells.bad).then_some(row)
    }
}

/// The cells of one row being checked.
struct Cells<'a, 'p> {
    columns: &'a Columns,
    record: &'a csv::StringRecord,
    line: u64,
    problems: &'p mut Problems,
    bad: bool,
}

impl Cells<'_, '_> {
    /// A problem in the column of `field`.
    fn add(&mut self, field: Field, why: String) {
        self.bad = true;
        self.problems
            .add(self.line, Some(self.columns.name(field)), why);
    }

    /// The cell of `field` read by `read`, or `None` with its problem.
    fn check<T>(&mut self, field: Field, read: impl Fn(&str) -> Result<T, String>) -> Option<T> {
        match read(self.columns.cell(self.record, field)) {
            Ok(value) => Some(value),
            Err(why) => {
                self.add(field, why);
                None
            }
        }
    }

    /// Values in columns without a name, or beyond the header.
    fn stray(&mut self) {
        for (index, cell) in self.record.iter().enumerate() {
            let named = self.columns.fields.get(index).copied().flatten().is_some();
            if !named && !cell.trim().is_empty() {
                self.bad = true;
                self.problems.add(
                    self.line,
                    None,
                    format!(
                        "cell {} holds \"{}\" but its column has no name in the header",
                        index + 1,
                        printable(cell.trim(), 40)
                    ),
                );
            }
        }
    }
}

/// An identifier (of an employee or a unit): the rules of
/// [`text::check_id`], the value quoted in the message.
fn identifier(cell: &str) -> Result<String, String> {
    let value = cell.trim();
    if value.is_empty() {
        return Err("is empty".into());
    }
    text::check_id(value).map_err(|e| format!("\"{}\" {e}", printable(value, 40)))?;
    Ok(value.to_string())
}

/// A value that must be given: an empty cell is refused.
fn required<T>(read: Result<Option<T>, String>) -> Result<T, String> {
    read?.ok_or_else(|| "is empty".to_string())
}

/// A cell that a spreadsheet would read as a formula (after spaces) is
/// refused: it would be carried into the log and back out to Excel.
fn no_formula(cell: &str) -> Result<(), String> {
    let Some(c) = crate::csvout::formula_start(cell.trim_start_matches(' ')) else {
        return Ok(());
    };
    let shown = match c {
        '\t' => "a tab".to_string(),
        '\r' => "a carriage return".to_string(),
        c => format!("\"{c}\""),
    };
    Err(format!(
        "starts with {shown}, which a spreadsheet reads as a formula; formulas are refused"
    ))
}

/// A name or position: no formula, then the text rules (NFC, refused
/// characters, at most 200 characters); `None` when empty.
fn text_cell(cell: &str) -> Result<Option<String>, String> {
    no_formula(cell)?;
    if cell.trim().is_empty() {
        return Ok(None);
    }
    text::normalize(cell, MAX_NAME_LEN, false)
        .map(Some)
        .map_err(|e| e.to_string())
}

/// Unit identifiers separated by commas or white space: no formula, each
/// checked, sorted, duplicates dropped.
fn units(cell: &str) -> Result<Vec<String>, String> {
    no_formula(cell)?;
    let mut units = Vec::new();
    for unit in cell
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|u| !u.is_empty())
    {
        text::check_id(unit).map_err(|e| format!("unit \"{}\" {e}", printable(unit, 40)))?;
        units.push(unit.to_string());
    }
    units.sort();
    units.dedup();
    Ok(units)
}

/// A date written `YYYY-MM-DD` or `DD.MM.YYYY` (day and month may have one
/// digit, and a full stop may follow the year); `None` when empty.
fn date(cell: &str) -> Result<Option<Date>, String> {
    let value = cell.trim();
    if value.is_empty() {
        return Ok(None);
    }
    crate::ack::parse_date(value)
        .ok()
        .or_else(|| dotted_date(value))
        .map(Some)
        .ok_or_else(|| {
            format!(
                "\"{}\" is not a real date written YYYY-MM-DD or DD.MM.YYYY",
                printable(value, 40)
            )
        })
}

/// `DD.MM.YYYY` (or `D.M.YYYY`), years 0001 to 9999, with or without the
/// full stop Latvian usage puts after the year (`01.12.2026.`).
fn dotted_date(value: &str) -> Option<Date> {
    let value = value.strip_suffix('.').unwrap_or(value);
    let mut parts = value.split('.');
    let (day, month, year) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let number = |digits: &str, lengths: std::ops::RangeInclusive<usize>| {
        (lengths.contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()))
            .then(|| digits.parse::<u16>().ok())
            .flatten()
    };
    let (day, month, year) = (
        number(day, 1..=2)?,
        number(month, 1..=2)?,
        number(year, 4..=4)?,
    );
    if year == 0 {
        return None;
    }
    let month = Month::try_from(u8::try_from(month).ok()?).ok()?;
    Date::from_calendar_date(i32::from(year), month, u8::try_from(day).ok()?).ok()
}
