//! The staff file and the plan: every form Excel writes, every refusal,
//! and that importing the same file twice adds nothing.

use std::collections::BTreeSet;

use proptest::prelude::*;
use time::Date;

use super::*;
use crate::Hint as _;

fn d(s: &str) -> Date {
    crate::ack::parse_date(s).unwrap()
}

fn rows(text: &str) -> Vec<StaffRow> {
    parse(text.as_bytes()).unwrap_or_else(|e| panic!("{e}"))
}

/// The problems `bytes` is refused with, as printed.
fn problems(bytes: &[u8]) -> Vec<String> {
    match parse(bytes) {
        Err(StaffError::Problems { problems, .. }) => {
            problems.iter().map(ToString::to_string).collect()
        }
        other => panic!("expected problems, got {other:?}"),
    }
}

fn units(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|u| u.to_string()).collect()
}

fn v(list: &[&str]) -> Vec<String> {
    list.iter().map(|u| u.to_string()).collect()
}

const LATVIAN: &str =
    "\u{feff}identifikators;vārds, uzvārds;amats;struktūrvienības;sākuma datums;beigu datums\r\n\
    jberzins;Jānis Bērziņš;referents;kac;01.12.2026;\r\n\
    okrumins;Oskars Krūmiņš;;bvv soc;1.9.2020;31.12.2026.\r\n";

#[test]
fn excel_in_a_latvian_locale_bom_semicolons_crlf() {
    let rows = rows(LATVIAN);
    assert_eq!(
        rows,
        vec![
            StaffRow {
                line: 2,
                id: "jberzins".into(),
                name: "Jānis Bērziņš".into(),
                position: Some("referents".into()),
                units: v(&["kac"]),
                start: d("2026-12-01"),
                end: None,
            },
            StaffRow {
                line: 3,
                id: "okrumins".into(),
                name: "Oskars Krūmiņš".into(),
                position: None,
                units: v(&["bvv", "soc"]),
                start: d("2020-09-01"),
                end: Some(d("2026-12-31")),
            },
        ]
    );
}

#[test]
fn commas_without_bom_quoted_fields_and_no_end_column() {
    let text = "id,name,position,units,start\n\
        apetersone,\"Pētersone, Anna\",\"vadītāja, \"\"KAC\"\"\",\"soc, kac\",2019-03-15\n";
    let rows = rows(text);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].name, "Pētersone, Anna");
    assert_eq!(rows[0].position.as_deref(), Some("vadītāja, \"KAC\""));
    assert_eq!(rows[0].units, v(&["kac", "soc"]));
    assert_eq!(rows[0].end, None);
}

#[test]
fn quoted_semicolons_in_a_semicolon_file() {
    let text = "id;name;position;units;start\nx;\"Bērziņš; Jānis\";\"a;b\";kac;2026-01-01\n";
    let rows = rows(text);
    assert_eq!(rows[0].name, "Bērziņš; Jānis");
    assert_eq!(rows[0].position.as_deref(), Some("a;b"));
}

#[test]
fn header_names_any_case_spacing_order_and_normal_form() {
    // Latvian names typed without diacritics, in capitals, with spaces,
    // in another order, and one header cell in decomposed form (NFD).
    let text = " Sakuma  Datums ;AMATS;ID;Vards Uzvards;strukturvienibas;Beigas\n\
        2026-01-01;;a;Anna;;\n";
    assert_eq!(rows(text)[0].start, d("2026-01-01"));
    let nfd = "id;name;position;Struktu\u{304}rvieni\u{304}bas;start\na;Anna;;kac;2026-01-01\n";
    assert_eq!(rows(nfd)[0].units, v(&["kac"]));
}

#[test]
fn units_split_at_commas_and_spaces_sorted_once() {
    let text = "id;name;position;units;start\na;Anna;;\"soc, kac  soc,bvv\";2026-01-01\nb;Berta;;;2026-01-01\n";
    let rows = rows(text);
    assert_eq!(rows[0].units, v(&["bvv", "kac", "soc"]));
    assert!(rows[1].units.is_empty());
}

#[test]
fn dates_iso_or_latvian() {
    let text = "id;name;position;units;start;end\n\
        a;A;;;2026-02-01;\n\
        b;B;;;1.2.2026;01.02.2026.\n\
        c;C;;;29.02.2024;29.02.2024\n";
    let rows = rows(text);
    assert_eq!(rows[0].start, d("2026-02-01"));
    assert_eq!(rows[1].start, d("2026-02-01"));
    assert_eq!(rows[1].end, Some(d("2026-02-01")));
    assert_eq!(rows[2].end, Some(d("2024-02-29")));
}

#[test]
fn names_become_nfc_and_are_trimmed() {
    let text = "id;name;position;units;start\n  jberzins ; Ja\u{304}nis Be\u{304}rzin\u{327}s\u{30c} ;  ;kac;2026-01-01\n";
    let rows = rows(text);
    assert_eq!(rows[0].id, "jberzins");
    assert_eq!(rows[0].name, "Jānis Bērziņš");
    assert_eq!(rows[0].position, None);
}

#[test]
fn empty_rows_are_skipped_and_lines_are_the_files() {
    // Excel writes `;;;;` for rows left empty; a blank line is skipped too,
    // and the line numbers stay those of the file.
    let text = "id;name;position;units;start\r\n;;;;\r\n\r\nb;B;;;2026-01-01\r\n;;;;\r\n";
    let rows = rows(text);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].line, 4);
    // A cell holding a line break spans two lines of the file (and is
    // refused); the rows after it keep the file's line numbers.
    let text = "id;name;position;units;start\r\na;A;\"x\r\ny\";;2026-01-01\r\nb;B;;;bad\r\n";
    assert_eq!(
        problems(text.as_bytes()),
        vec![
            "line 2, column \"position\": contains U+000D CARRIAGE RETURN (a control \
             character) at character 2",
            "line 4, column \"start\": \"bad\" is not a real date written YYYY-MM-DD or \
             DD.MM.YYYY",
        ]
    );
}

#[test]
fn a_file_that_is_not_utf8_names_its_first_bad_line() {
    // "Bērziņš" in Windows-1257 (Baltic), as Excel's plain "CSV" saves it.
    let mut bytes = b"id;name;position;units;start\na;Anna;;;2026-01-01\nb;B".to_vec();
    bytes.extend_from_slice(&[0xe7, b'r', b'z', b'i', 0xf2, 0xf0]);
    bytes.extend_from_slice(b";;;2026-01-01\n");
    let err = parse(&bytes).unwrap_err();
    assert_eq!(err, StaffError::NotUtf8 { line: 3 });
    assert_eq!(err.to_string(), "line 3 is not UTF-8 text");
    assert!(err.hint().unwrap().contains("CSV UTF-8"));
    // UTF-16 ("Unicode text"), BOM first.
    let utf16: Vec<u8> = "\u{feff}id;name"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    assert_eq!(parse(&utf16), Err(StaffError::NotUtf8 { line: 1 }));
}

#[test]
fn missing_columns_are_named_with_their_spellings() {
    let got = problems(b"id;name\na;Anna\n");
    assert_eq!(
        got,
        vec![
            "line 1: the header has no column \"position\" or \"amats\" (it must name the \
             columns id, name, position, units and start, and may name end)",
            "line 1: the header has no column \"units\", \"struktūrvienības\" or \
             \"struktūrvienība\" (it must name the columns id, name, position, units and \
             start, and may name end)",
            "line 1: the header has no column \"start\", \"sākuma datums\" or \"sākums\" (it \
             must name the columns id, name, position, units and start, and may name end)",
        ]
    );
}

#[test]
fn a_header_without_separators_is_named() {
    assert_eq!(
        problems(b"\nid\tname\tposition\tunits\tstart\na\tA\t\t\t2026-01-01\n"),
        vec![
            "line 2: the header row has no \";\" or \",\" between the column names (is the \
             file saved as text with tabs?)"
        ]
    );
}

#[test]
fn unknown_and_repeated_columns_are_refused() {
    let got = problems(
        "id;name;position;units;start;personas kods;identifikators\na;A;;;2026-01-01;;\n"
            .as_bytes(),
    );
    assert_eq!(got.len(), 2, "{got:#?}");
    assert!(got[0].starts_with(
        "line 1, column \"personas kods\": is not a column of the staff file; the columns are"
    ));
    assert_eq!(
        got[1],
        "line 1, column \"identifikators\": names the same column as \"id\""
    );
}

#[test]
fn duplicate_ids_name_both_lines() {
    let text =
        "id;name;position;units;start\na;A;;;2026-01-01\nb;B;;;2026-01-01\na;A2;;;2026-01-01\n";
    assert_eq!(
        problems(text.as_bytes()),
        vec!["line 4, column \"id\": \"a\" is also on line 2"]
    );
}

#[test]
fn every_bad_cell_of_every_row_is_named() {
    let text = "identifikators;vārds, uzvārds;amats;struktūrvienības;sākuma datums;beigu datums\n\
        JBerzins;Jānis;;KAC;31.02.2026;\n\
        ok;;;;;\n\
        late;Late;;;2026-05-01;2026-04-30\n\
        iso;Iso;;;2026-2-1;01/02/2026\n\
        zero;Zero;;;00.01.2026;01.01.0000\n\
        zw;An\u{200b}na;pos\u{202e};;2026-01-01;\n";
    assert_eq!(
        problems(text.as_bytes()),
        vec![
            "line 2, column \"identifikators\": \"JBerzins\" may only use a-z, 0-9, '.', '_' \
             and '-' (1 to 64 characters)",
            "line 2, column \"struktūrvienības\": unit \"KAC\" may only use a-z, 0-9, '.', '_' \
             and '-' (1 to 64 characters)",
            "line 2, column \"sākuma datums\": \"31.02.2026\" is not a real date written \
             YYYY-MM-DD or DD.MM.YYYY",
            "line 3, column \"vārds, uzvārds\": is empty",
            "line 3, column \"sākuma datums\": is empty",
            "line 4, column \"beigu datums\": 2026-04-30 is before the start date 2026-05-01",
            "line 5, column \"sākuma datums\": \"2026-2-1\" is not a real date written \
             YYYY-MM-DD or DD.MM.YYYY",
            "line 5, column \"beigu datums\": \"01/02/2026\" is not a real date written \
             YYYY-MM-DD or DD.MM.YYYY",
            "line 6, column \"sākuma datums\": \"00.01.2026\" is not a real date written \
             YYYY-MM-DD or DD.MM.YYYY",
            "line 6, column \"beigu datums\": \"01.01.0000\" is not a real date written \
             YYYY-MM-DD or DD.MM.YYYY",
            "line 7, column \"vārds, uzvārds\": contains U+200B ZERO WIDTH SPACE (an \
             invisible or format character) at character 3",
            "line 7, column \"amats\": contains U+202E RIGHT-TO-LEFT OVERRIDE (a \
             bidirectional control) at character 4",
        ]
    );
}

#[test]
fn formulas_in_names_and_positions_are_refused() {
    let text = "id;name;position;units;start\n\
        a;\"=HYPERLINK(\"\"http://x\"\";\"\"Anna\"\")\";;;2026-01-01\n\
        b;B;+1;;2026-01-01\n\
        c;-C;;;2026-01-01\n\
        d;D;@SUM(A1);;2026-01-01\n\
        e;\"\tE\";;;2026-01-01\n\
        f;\"\rF\";;;2026-01-01\n\
        g;  =G;;;2026-01-01\n\
        h;H=h;a-b;;2026-01-01\n";
    let got = problems(text.as_bytes());
    let formula = |line: u64, column: &str, what: &str| {
        format!(
            "line {line}, column \"{column}\": starts with {what}, which a spreadsheet reads \
             as a formula; formulas are refused"
        )
    };
    assert_eq!(
        got,
        vec![
            formula(2, "name", "\"=\""),
            formula(3, "position", "\"+\""),
            formula(4, "name", "\"-\""),
            formula(5, "position", "\"@\""),
            formula(6, "name", "a tab"),
            formula(7, "name", "a carriage return"),
            formula(8, "name", "\"=\""),
        ]
    );
}

#[test]
fn stray_cells_are_refused() {
    let text = "id;name;position;units;start;\na;A;;;2026-01-01;;\nb;B;;;2026-01-01;x\nc;C;;;2026-01-01;;y\n";
    assert_eq!(
        problems(text.as_bytes()),
        vec![
            "line 3: cell 6 holds \"x\" but its column has no name in the header",
            "line 4: cell 7 holds \"y\" but its column has no name in the header",
        ]
    );
}

#[test]
fn empty_files_and_header_only_files_are_refused() {
    for empty in ["", "\u{feff}", "  \r\n\r\n", "\u{feff}\n"] {
        assert_eq!(parse(empty.as_bytes()), Err(StaffError::Empty), "{empty:?}");
    }
    for header_only in [
        "id;name;position;units;start",
        "\u{feff}id;name;position;units;start\r\n",
        "id;name;position;units;start\n;;;;\n\n",
    ] {
        let err = parse(header_only.as_bytes()).unwrap_err();
        assert_eq!(err, StaffError::NoRows, "{header_only:?}");
        assert!(err.hint().unwrap().contains("anyone not in it leaves"));
    }
}

#[test]
fn large_files_are_refused_before_parsing() {
    // 50 MB of bytes that are not even UTF-8: refused by size alone.
    let big = vec![0xffu8; 50 * 1024 * 1024];
    assert_eq!(
        parse(&big),
        Err(StaffError::TooLarge {
            limit: MAX_STAFF_FILE
        })
    );
    assert!(matches!(
        parse(&vec![b' '; MAX_STAFF_FILE + 1]),
        Err(StaffError::TooLarge { .. })
    ));
    assert_eq!(parse(&vec![b' '; MAX_STAFF_FILE]), Err(StaffError::Empty));
}

#[test]
fn at_most_twenty_problems_are_listed_and_the_rest_counted() {
    let mut text = String::from("id;name;position;units;start\n");
    for i in 0..30 {
        text.push_str(&format!("p{i};P;;;bad\n"));
    }
    let err = parse(text.as_bytes()).unwrap_err();
    let StaffError::Problems { problems, more } = &err else {
        panic!("{err:?}")
    };
    assert_eq!((problems.len(), *more), (MAX_PROBLEMS, 10));
    let shown = err.to_string();
    assert!(shown.starts_with("30 problems in the staff file:\n  line 2, column \"start\""));
    assert!(shown.ends_with("\n  and 10 more"));
}

// The plan.

fn current(id: &str, name: &str, units: &[&str], start: &str, left: Option<&str>) -> Current {
    Current {
        id: id.into(),
        name: name.into(),
        position: None,
        units: v(units),
        start: d(start),
        left: left.map(d),
    }
}

const HEADER: &str = "id;name;position;units;start;end\n";

fn file(lines: &[&str]) -> Vec<StaffRow> {
    rows(&format!("{HEADER}{}\n", lines.join("\n")))
}

#[test]
fn new_people_join_on_their_start_and_leave_on_their_end() {
    let rows = file(&[
        "jberzins;Jānis Bērziņš;referents;kac;01.12.2026;",
        "okrumins;Oskars Krūmiņš;;bvv;2020-09-01;2026-12-31",
    ]);
    let plan = plan(&rows, &[], &units(&["kac", "bvv"]), d("2026-12-06")).unwrap();
    assert_eq!(
        plan.to_string(),
        "joins: jberzins Jānis Bērziņš, referents (kac) from 2026-12-01\n\
         joins: okrumins Oskars Krūmiņš (bvv) from 2020-09-01\n\
         leaves: okrumins Oskars Krūmiņš on 2026-12-31 (end date on line 3)\n"
    );
}

#[test]
fn moves_updates_and_leaves_of_people_in_the_log() {
    let log = vec![
        Current {
            position: Some("referente".into()),
            ..current("lkalnina", "Līga Ozola", &["soc"], "2022-05-02", None)
        },
        current("apetersone", "Anna Pētersone", &["kac"], "2019-03-15", None),
        current("gone", "Gints Ozols", &["kac"], "2018-01-01", None),
        current(
            "left",
            "Laura Lapa",
            &["kac"],
            "2018-01-01",
            Some("2025-01-31"),
        ),
        current("future", "Fricis Nākotne", &["kac"], "2027-01-10", None),
    ];
    let rows = file(&[
        "apetersone;Anna Pētersone;;bvv kac;2019-03-15;",
        "lkalnina;Līga Kalniņa;vecākā referente;soc;2022-05-02;",
        "left;Laura Lapa;;kac;2018-01-01;31.01.2025",
        "future;Fricis Nākotne;;bvv;2027-01-10;",
    ]);
    let plan = plan(&rows, &log, &units(&["kac", "bvv", "soc"]), d("2026-12-06")).unwrap();
    assert_eq!(
        plan.to_string(),
        "moves: apetersone Anna Pētersone (kac -> bvv, kac) on 2026-12-06\n\
         moves: future Fricis Nākotne (kac -> bvv) on 2027-01-10\n\
         leaves: gone Gints Ozols on 2026-12-06 (not in the file)\n\
         updates: lkalnina Līga Ozola: name \"Līga Ozola\" -> \"Līga Kalniņa\", position \
         \"referente\" -> \"vecākā referente\" on 2026-12-06\n"
    );
    assert_eq!(
        plan.changes.iter().map(Change::id).collect::<Vec<_>>(),
        ["apetersone", "future", "gone", "lkalnina"]
    );
}

#[test]
fn a_departure_on_or_before_the_import_date_is_the_only_change() {
    let log = vec![current("a", "Anna", &["kac"], "2020-01-01", None)];
    let earlier = file(&["a;Anna Cita;;bvv;2020-01-01;2026-11-30"]);
    let plan1 = plan(&earlier, &log, &units(&["kac", "bvv"]), d("2026-12-06")).unwrap();
    assert_eq!(
        plan1.to_string(),
        "leaves: a Anna on 2026-11-30 (end date on line 2)\n"
    );
    // A later end: the move and the update first, then the leave.
    let later = file(&["a;Anna Cita;;bvv;2020-01-01;2026-12-31"]);
    let plan2 = plan(&later, &log, &units(&["kac", "bvv"]), d("2026-12-06")).unwrap();
    let kinds: Vec<(&str, Date)> = plan2
        .changes
        .iter()
        .map(|c| match c {
            Change::Join { .. } => ("join", c.date()),
            Change::Move { .. } => ("move", c.date()),
            Change::Update { .. } => ("update", c.date()),
            Change::Leave { .. } => ("leave", c.date()),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("move", d("2026-12-06")),
            ("update", d("2026-12-06")),
            ("leave", d("2026-12-31"))
        ]
    );
}

#[test]
fn unknown_units_are_named_with_their_line() {
    let log = vec![current("a", "Anna", &["kac"], "2020-01-01", None)];
    let rows = file(&[
        "a;Anna;;kac xx;2020-01-01;",
        "b;Berta;;yy zz kac;2026-01-01;",
    ]);
    let err = plan(&rows, &log, &units(&["kac"]), d("2026-12-06")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "2 problems in the staff file:\n  \
         line 2, column \"units\": unit \"xx\" is not declared in the log; declare each unit \
         in the log first\n  \
         line 3, column \"units\": units \"yy\", \"zz\" are not declared in the log; declare \
         each unit in the log first"
    );
}

#[test]
fn someone_who_left_is_not_hired_again() {
    let log = vec![current(
        "a",
        "Anna",
        &["kac"],
        "2020-01-01",
        Some("2025-01-31"),
    )];
    let err = plan(
        &file(&["a;Anna;;kac;2026-01-01;"]),
        &log,
        &units(&["kac"]),
        d("2026-12-06"),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "1 problem in the staff file:\n  line 2, column \"id\": the log records that \"a\" \
         leaves on 2025-01-31, and this row has no end date: a recorded departure cannot be \
         withdrawn, and someone who returns needs a new identifier (or give this row the end \
         date)"
    );
    // With an end date, whatever it is, nothing: the log's departure stands.
    let rows = file(&["a;Anna;;unknown;2026-01-01;2026-02-01"]);
    assert!(plan(&rows, &log, &units(&[]), d("2026-12-06"))
        .unwrap()
        .is_empty());
}

#[test]
fn an_end_before_the_join_in_the_log_is_refused() {
    let log = vec![current("a", "Anna", &["kac"], "2024-01-01", None)];
    let rows = file(&["a;Anna;;kac;2020-01-01;2023-12-31"]);
    let err = plan(&rows, &log, &units(&["kac"]), d("2026-12-06")).unwrap_err();
    assert!(err.to_string().contains(
        "line 2, column \"end\": 2023-12-31 is before the day the log says \"a\" joined, \
         2024-01-01"
    ));
}

#[test]
fn importing_the_same_file_again_adds_nothing() {
    let log = vec![
        current("apetersone", "Anna", &["kac"], "2019-03-15", None),
        current("gone", "Gints", &["kac"], "2018-01-01", None),
    ];
    let rows = file(&[
        "apetersone;Anna Pētersone;vadītāja;bvv;2019-03-15;",
        "jberzins;Jānis Bērziņš;;kac;2026-12-01;",
        "okrumins;Oskars;;bvv;2020-09-01;2026-12-31",
    ]);
    let known = units(&["kac", "bvv"]);
    let first = plan(&rows, &log, &known, d("2026-12-06")).unwrap();
    assert_eq!(first.changes.len(), 6);
    let after = first.after(&log);
    for day in ["2026-12-06", "2026-12-07", "2027-06-01"] {
        let again = plan(&rows, &after, &known, d(day)).unwrap();
        assert!(again.is_empty(), "{day}: {again}");
        assert_eq!(
            again.to_string(),
            "no changes: the log already says what the file says\n"
        );
    }
}

#[test]
fn the_plan_as_json() {
    let log = vec![
        current("a", "Anna", &["kac"], "2020-01-01", None),
        current("z", "Zane", &[], "2020-01-01", None),
    ];
    let rows = file(&[
        "a;Anna;x;bvv;2020-01-01;",
        "b;Berta;;;2026-12-01;2026-12-31",
    ]);
    let plan = plan(&rows, &log, &units(&["kac", "bvv"]), d("2026-12-06")).unwrap();
    let json = serde_json::to_value(&plan).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"changes": [
            {"kind": "move", "id": "a", "name": "Anna", "units": ["bvv"], "was_units": ["kac"],
             "date": "2026-12-06", "line": 2},
            {"kind": "update", "id": "a", "name": "Anna", "position": "x", "was_name": "Anna",
             "was_position": null, "date": "2026-12-06", "line": 2},
            {"kind": "join", "id": "b", "name": "Berta", "position": null, "units": [],
             "date": "2026-12-01", "line": 3},
            {"kind": "leave", "id": "b", "name": "Berta", "date": "2026-12-31",
             "reason": "end_date", "line": 3},
            {"kind": "leave", "id": "z", "name": "Zane", "date": "2026-12-06",
             "reason": "not_in_file", "line": null},
        ]})
    );
    assert_eq!(
        plan.changes[1].to_string(),
        "updates: a Anna: position none -> \"x\" on 2026-12-06"
    );
}

/// README's example is docs/examples/staff.csv, and it reads.
#[test]
fn the_example_file_of_readme_reads() {
    let bytes = include_bytes!("../../../../docs/examples/staff.csv");
    let rows = parse(bytes).unwrap();
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0].name, "Jānis Bērziņš");
    assert_eq!(rows[1].units, v(&["bvv", "kac"]));
    let plan = plan(&rows, &[], &units(&["kac", "bvv", "soc"]), d("2026-12-06")).unwrap();
    assert_eq!(plan.changes.len(), 5);
    let readme = include_str!("../../../../README.md");
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap())
        .unwrap()
        .replace("\r\n", "\n");
    assert!(
        readme.contains(&format!("```csv\n{text}```\n")),
        "README shows docs/examples/staff.csv"
    );
}

// Any file of well-formed rows, written by a spreadsheet in either
// dialect, reads back as written, and importing it twice adds nothing.

fn name_strategy() -> impl Strategy<Value = String> {
    "[A-ZĀČĒĢĪĶĻŅŠŪŽ][a-zāčēģīķļņšūž]{1,8}( [A-ZĀČĒĢĪĶĻŅŠŪŽ][a-zāčēģīķļņšūž;,\"]{1,8})?"
}

prop_compose! {
    fn row_strategy()(
        id in "[a-z][a-z0-9._-]{0,10}",
        name in name_strategy(),
        position in proptest::option::of(name_strategy()),
        units in proptest::collection::btree_set("(kac|soc|bvv|it)", 0..3),
        start in 0i32..20_000,
        length in proptest::option::of(0i32..5_000),
        dotted in any::<bool>(),
    ) -> (StaffRow, bool) {
        let epoch = d("2000-01-01");
        let start = epoch + time::Duration::days(i64::from(start));
        let end = length.map(|l| start + time::Duration::days(i64::from(l)));
        (StaffRow { line: 0, id, name, position, units: units.into_iter().collect(), start, end }, dotted)
    }
}

fn written(rows: &[(StaffRow, bool)], delimiter: u8, bom: bool, crlf: bool) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .terminator(if crlf {
            csv::Terminator::CRLF
        } else {
            csv::Terminator::Any(b'\n')
        })
        .from_writer(Vec::new());
    writer
        .write_record([
            "Identifikators",
            "Vārds, uzvārds",
            "Amats",
            "Struktūrvienības",
            "Sākuma datums",
            "Beigu datums",
        ])
        .unwrap();
    let day = |date: Date, dotted: bool| {
        if dotted {
            format!(
                "{:02}.{:02}.{}",
                date.day(),
                u8::from(date.month()),
                date.year()
            )
        } else {
            date_text(date)
        }
    };
    for (row, dotted) in rows {
        writer
            .write_record([
                row.id.clone(),
                row.name.clone(),
                row.position.clone().unwrap_or_default(),
                row.units.join(if delimiter == b',' { "," } else { " " }),
                day(row.start, *dotted),
                row.end.map(|e| day(e, *dotted)).unwrap_or_default(),
            ])
            .unwrap();
    }
    let mut bytes = if bom {
        b"\xEF\xBB\xBF".to_vec()
    } else {
        Vec::new()
    };
    bytes.extend(writer.into_inner().unwrap());
    bytes
}

proptest! {
    #[test]
    fn any_staff_list_reads_back_and_imports_once(
        list in proptest::collection::btree_map("[a-z]{1,6}", row_strategy(), 1..20),
        comma in any::<bool>(),
        bom in any::<bool>(),
        crlf in any::<bool>(),
    ) {
        let rows: Vec<(StaffRow, bool)> = list
            .into_iter()
            .map(|(id, (row, dotted))| (StaffRow { id, ..row }, dotted))
            .collect();
        let bytes = written(&rows, if comma { b',' } else { b';' }, bom, crlf);
        let read = parse(&bytes).unwrap();
        let expect: Vec<StaffRow> = rows
            .iter()
            .enumerate()
            .map(|(i, (row, _))| StaffRow { line: i as u64 + 2, ..row.clone() })
            .collect();
        prop_assert_eq!(&read, &expect);
        let known = units(&["kac", "soc", "bvv", "it"]);
        let today = d("2026-12-06");
        let first = plan(&read, &[], &known, today).unwrap();
        let after = first.after(&[]);
        prop_assert!(plan(&read, &after, &known, today).unwrap().is_empty());
    }
}

/// The size of a municipality (issue 20, point 5: `log staff` on 2,000
/// rows): 2,000 rows against a log of 2,000 people, a tenth of them
/// moved, renamed or gone, read and planned, then planned again to nothing.
#[test]
fn two_thousand_employees() {
    let mut text = String::from(
        "\u{feff}identifikators;vārds, uzvārds;amats;struktūrvienības;sākuma datums;beigu datums\r\n",
    );
    let mut log = Vec::new();
    for i in 0..2000 {
        let unit = format!("u{}", i % 30);
        let moved = if i % 10 == 1 {
            "u99".to_string()
        } else {
            unit.clone()
        };
        let name = format!("Darbinieks Nr. {i} Bērziņš");
        if i % 10 != 3 {
            text.push_str(&format!(
                "e{i:04};{name};speciālists;{moved};01.02.2020;\r\n"
            ));
        }
        log.push(Current {
            id: format!("e{i:04}"),
            name: if i % 10 == 2 {
                format!("Cits {i}")
            } else {
                name
            },
            position: Some("speciālists".into()),
            units: vec![unit],
            start: d("2020-02-01"),
            left: None,
        });
    }
    let rows = parse(text.as_bytes()).unwrap();
    assert_eq!(rows.len(), 1800);
    let mut known: BTreeSet<String> = (0..30).map(|u| format!("u{u}")).collect();
    known.insert("u99".into());
    let first = plan(&rows, &log, &known, d("2026-12-06")).unwrap();
    let count = |kind: &str| {
        first
            .changes
            .iter()
            .filter(|c| serde_json::to_value(c).unwrap()["kind"] == kind)
            .count()
    };
    assert_eq!(
        (
            count("join"),
            count("move"),
            count("update"),
            count("leave")
        ),
        (0, 200, 200, 200)
    );
    let after = first.after(&log);
    assert!(plan(&rows, &after, &known, d("2026-12-07"))
        .unwrap()
        .is_empty());
}

#[test]
fn formulas_in_units_are_refused() {
    let text = "id;name;position;units;start\n\
        a;Anna;;=HYPERLINK(\"http://x\");2026-01-01\n\
        b;Berta;;\" -kac\";2026-01-01\n\
        c;Cilda;;@kac;2026-01-01\n\
        d;Dace;;kac, -soc;2026-01-01\n";
    let got = problems(text.as_bytes());
    let formula = |line: u64, what: &str| {
        format!(
            "line {line}, column \"units\": starts with {what}, which a spreadsheet reads \
             as a formula; formulas are refused"
        )
    };
    assert_eq!(
        got,
        vec![
            formula(2, "\"=\""),
            formula(3, "\"-\""),
            formula(4, "\"@\"")
        ]
    );
}

/// A log's state: the `log` entry and the units `kac`, `bvv`.
fn state_with_units() -> crate::log::state::State {
    use crate::log::entry;
    let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]).verifying_key();
    let mut state = crate::log::state::State::new();
    let first = entry::log_bytes("x.lv/kac", "J", &key, "Pašvaldība", d("2020-01-01")).unwrap();
    let units = [
        entry::unit_bytes("kac", "Klientu apkalpošanas centrs").unwrap(),
        entry::unit_bytes("bvv", "Būvvalde").unwrap(),
    ];
    for bytes in std::iter::once(first).chain(units) {
        append(&mut state, &bytes).unwrap();
    }
    state
}

fn append(state: &mut crate::log::state::State, bytes: &[u8]) -> Result<(), String> {
    let entry = crate::log::entry::parse(bytes).map_err(|e| e.to_string())?;
    state.append_bytes(&entry, bytes).map_err(|e| e.to_string())
}

#[test]
fn the_plans_entries_are_accepted_by_the_log_and_the_same_file_then_plans_nothing() {
    let mut state = state_with_units();
    let text = "id;name;position;units;start;end\n\
        apetersone;Anna Pētersone;vadītāja;bvv;2019-03-15;\n\
        jberzins;Jānis Bērziņš;;kac;2026-12-01;\n\
        okrumins;Oskars Krūmiņš;;bvv kac;2020-09-01;2026-12-31\n";
    let rows = rows(text);
    let day = d("2026-12-06");
    let known = units_of(&state);
    let first = plan(&rows, &current_of(&state, day), &known, day).unwrap();
    assert_eq!(counts(&first), [3, 0, 0, 1]);
    assert_eq!(
        action(&first),
        "darbinieku imports: 3 pievienojas, 1 aiziet"
    );
    let entries = entries_of(&first).unwrap();
    assert_eq!(entries.len(), first.changes.len());
    for bytes in &entries {
        append(&mut state, bytes).unwrap_or_else(|e| panic!("{e}"));
    }
    let again = plan(&rows, &current_of(&state, day), &known, day).unwrap();
    assert!(again.is_empty(), "{again}");
    assert_eq!(action(&again), "darbinieku imports: bez izmaiņām");
    assert_ne!(fingerprint(&first), fingerprint(&again));
    let moved = "id;name;position;units;start\n\
        apetersone;Anna Ozola;vadītāja;kac;2019-03-15\n\
        jberzins;Jānis Bērziņš;;kac;2026-12-01\n";
    let later = d("2026-12-10");
    let second = plan(
        &self::rows(moved),
        &current_of(&state, later),
        &known,
        later,
    )
    .unwrap();
    assert_eq!(
        action(&second),
        "darbinieku imports: 1 maina struktūrvienību, 1 maina vārdu vai amatu"
    );
    for bytes in entries_of(&second).unwrap() {
        append(&mut state, &bytes).unwrap_or_else(|e| panic!("{e}"));
    }
}
