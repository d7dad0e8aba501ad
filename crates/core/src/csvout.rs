//! Tables written as CSV that Excel opens with Latvian letters intact.
//!
//! Why it exists: a compliance officer opens a status report by double
//! click, in Excel, in a Latvian locale. Excel then reads a CSV file as
//! UTF-8 only when it starts with the byte order mark, splits columns at
//! `;` (the list separator where the decimal mark is a comma), and reads a
//! cell starting with `=`, `+`, `-` or `@` as a formula, which could run
//! (CSV injection). So every table ackreg exports is written here, one way:
//! - the UTF-8 byte order mark, then UTF-8;
//! - `;` between cells, CR LF after each row;
//! - a cell quoted (`"`, doubled inside) when it holds `;`, `"`, CR or LF,
//!   by the `csv` crate;
//! - a cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return
//!   is written after an apostrophe `'`, so that it is text, never a
//!   formula (a negative number is then text too; reports hold none).

use std::borrow::Cow;
use std::io::{self, Write};

/// The UTF-8 byte order mark every table starts with.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The first character of `cell` when a spreadsheet would read the cell as
/// the start of a formula: `=`, `+`, `-`, `@`, a tab or a carriage return.
pub fn formula_start(cell: &str) -> Option<char> {
    let first = cell.chars().next()?;
    matches!(first, '=' | '+' | '-' | '@' | '\t' | '\r').then_some(first)
}

/// `cell` as it is written: after an apostrophe when it would start a
/// formula, as it is otherwise.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    if formula_start(cell).is_some() {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// Writes `header` and `rows` to `out` as a table for Excel (see the
/// module's documentation). Every row must have as many cells as the
/// header; a row that has not is an error of kind `InvalidData`, and what
/// was written before it stays written.
pub fn write<W, R, C>(mut out: W, header: &[&str], rows: R) -> io::Result<()>
where
    W: Write,
    R: IntoIterator,
    R::Item: IntoIterator<Item = C>,
    C: AsRef<str>,
{
    out.write_all(BOM)?;
    let mut writer = csv::WriterBuilder::new()
        .delimiter(b';')
        .terminator(csv::Terminator::CRLF)
        .quote_style(csv::QuoteStyle::Necessary)
        .from_writer(out);
    writer
        .write_record(header.iter().map(|cell| neutralise(cell).into_owned()))
        .map_err(io_error)?;
    for row in rows {
        let cells: Vec<String> = row
            .into_iter()
            .map(|cell| neutralise(cell.as_ref()).into_owned())
            .collect();
        writer.write_record(&cells).map_err(io_error)?;
    }
    writer.flush()
}

/// The writer's error as an I/O error: the writer's own, or `InvalidData`
/// for a row of another length.
fn io_error(err: csv::Error) -> io::Error {
    match err.into_kind() {
        csv::ErrorKind::Io(err) => err,
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => io::Error::new(
            io::ErrorKind::InvalidData,
            format!("a row has {len} cells, and the header {expected_len}"),
        ),
        other => io::Error::new(io::ErrorKind::InvalidData, format!("{other:?}")),
    }
}

/// The table as bytes (see [`write`]).
pub fn to_vec<R, C>(header: &[&str], rows: R) -> io::Result<Vec<u8>>
where
    R: IntoIterator,
    R::Item: IntoIterator<Item = C>,
    C: AsRef<str>,
{
    let mut bytes = Vec::new();
    write(&mut bytes, header, rows)?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> (Vec<&'static str>, Vec<Vec<&'static str>>) {
        let header = vec!["id", "vārds, uzvārds", "statuss"];
        let rows = vec![
            vec!["jberzins", "Jānis Bērziņš", "parakstīts"],
            vec!["lkalnina", "Līga Kalniņa; \"Ķēniņa\"", "kavēts"],
            vec!["a.ozols", "Ādolfs\nŽagars", ""],
            vec!["x", "=HYPERLINK(\"http://x\")", "+1"],
            vec!["y", "-2", "@SUM(A1)"],
            vec!["z", "\tcmd", "\rx"],
            vec!["w", " =not at the start", "a=b"],
        ];
        (header, rows)
    }

    /// What a reader must get back: the text, after the apostrophe for
    /// cells that would start a formula.
    fn expected(header: &[&str], rows: &[Vec<&str>]) -> Vec<Vec<String>> {
        std::iter::once(header.to_vec())
            .chain(rows.iter().cloned())
            .map(|r| r.iter().map(|c| neutralise(c).into_owned()).collect())
            .collect()
    }

    #[test]
    fn bytes_are_what_excel_reads() {
        let bytes = to_vec(&["id", "name"], [["a", "Bērziņš; J."], ["b", "=1+2"]]).unwrap();
        assert_eq!(
            bytes,
            "\u{feff}id;name\r\na;\"Bērziņš; J.\"\r\nb;'=1+2\r\n".as_bytes()
        );
    }

    #[test]
    fn formulas_are_neutralised_and_nothing_else() {
        for cell in ["=1", "+1", "-1", "@x", "\tx", "\rx"] {
            assert_eq!(neutralise(cell), format!("'{cell}"));
        }
        for cell in ["", "Jānis", " =1", "a=b", "'=1", "1-2", "2026-12-01"] {
            assert_eq!(neutralise(cell), cell);
        }
    }

    #[test]
    fn the_csv_crate_reads_back_the_text() {
        let (header, rows) = table();
        let bytes = to_vec(&header, &rows).unwrap();
        assert!(bytes.starts_with(BOM));
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(b';')
            .has_headers(false)
            .from_reader(&bytes[BOM.len()..]);
        let read: Vec<Vec<String>> = reader
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .collect();
        assert_eq!(read, expected(&header, &rows));
    }

    #[test]
    fn pythons_csv_module_reads_back_the_text() {
        let (header, rows) = table();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(&path, to_vec(&header, &rows).unwrap()).unwrap();
        let script = "import csv, json, sys\n\
             with open(sys.argv[1], encoding='utf-8-sig', newline='') as f:\n\
             \x20   print(json.dumps(list(csv.reader(f, delimiter=';'))))\n";
        let out = std::process::Command::new("python3")
            .args(["-c", script])
            .arg(&path)
            .output()
            .expect("python3 runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let read: Vec<Vec<String>> = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(read, expected(&header, &rows));
    }

    #[test]
    fn a_row_of_another_length_is_refused() {
        let err = to_vec(&["a", "b"], [vec!["1"]]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    }
}
