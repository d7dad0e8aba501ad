//! The organisation part of `ackreg demo`: one log for three documents and
//! two units. The staff come from two HR files (the second with a joiner,
//! a mover and a leaver), one employee joins and never enrols a key, and the
//! status, per document and per unit, shows who is overdue and who has no
//! key yet. Everything goes through the library, as `ackreg log ...` does.

use std::path::{Path, PathBuf};

use ackreg_core::ack::Acknowledgement;
use ackreg_core::document::DocumentRef;
use ackreg_core::fsutil::Wait;
use ackreg_core::keys;
use ackreg_core::log::entry::{self, parse_date, Declaration, Version};
use ackreg_core::log::state::State;
use ackreg_core::log::status::{self, Filter, Standing, VersionStatus};
use ackreg_core::log::{self as alog, LogDir, Writer};
use ackreg_core::render::{RenderInput, Template};
use ackreg_core::staff;
use ed25519_dalek::SigningKey;
use time::Date;

use crate::cmd::common::{out, write_file, CliError};

/// The two example regulations besides the built-in rules.
const WORK_RULES: &str = include_str!("../../../templates/examples/darba-kartiba/rules.typ");
const BOARD_RULES: &str = include_str!("../../../templates/examples/buvvalde/rules.typ");

/// The staff file of February 2019, as Excel saves "CSV UTF-8" in a
/// Latvian locale: a byte order mark, `;` between cells, dates as
/// DD.MM.YYYY.
const STAFF_2019_02: &str =
    "\u{feff}Identifikators;Vārds, uzvārds;Amats;Struktūrvienības;Sākuma datums;Beigu datums\r\n\
jberzins;Jānis Bērziņš;klientu apkalpošanas speciālists;kac;01.02.2019;\r\n\
lozolina;Līga Ozoliņa;klientu apkalpošanas speciāliste;kac;01.02.2019;\r\n\
azagars;Ādolfs Žagars;būvinspektors;buvvalde;01.02.2019;\r\n\
gkalnina;Gunta Kalniņa;arhitekte;buvvalde;01.02.2019;\r\n";

/// The staff file of September 2019: Ilze Vītola joins the KAC, Līga
/// Ozoliņa moves to the building board, Gunta Kalniņa leaves on 30 August.
const STAFF_2019_09: &str =
    "\u{feff}Identifikators;Vārds, uzvārds;Amats;Struktūrvienības;Sākuma datums;Beigu datums\r\n\
jberzins;Jānis Bērziņš;klientu apkalpošanas speciālists;kac;01.02.2019;\r\n\
lozolina;Līga Ozoliņa;klientu apkalpošanas speciāliste;buvvalde;01.02.2019;\r\n\
azagars;Ādolfs Žagars;būvinspektors;buvvalde;01.02.2019;\r\n\
gkalnina;Gunta Kalniņa;arhitekte;buvvalde;01.02.2019;30.08.2019\r\n\
ivitola;Ilze Vītola;klientu apkalpošanas speciāliste;kac;02.09.2019;\r\n";

/// The day of the status the demo prints.
const STATUS_DAY: &str = "2019-10-01";

fn date(s: &str) -> Date {
    parse_date(s).unwrap_or(Date::MIN)
}

fn lib<E: crate::cmd::common::CliHint>(e: E) -> CliError {
    CliError::lib(e)
}

/// One document of the demo: its id, audience (units) and template text
/// (`None` for the built-in rules).
struct Doc {
    id: &'static str,
    units: &'static [&'static str],
    source: Option<&'static str>,
}

const DOCS: [Doc; 3] = [
    Doc {
        id: "darba-kartiba",
        units: &[],
        source: Some(WORK_RULES),
    },
    Doc {
        id: "kac-klientu-apkalposana",
        units: &["kac"],
        source: None,
    },
    Doc {
        id: "buvvaldes-iesniegumi",
        units: &["buvvalde"],
        source: Some(BOARD_RULES),
    },
];

/// A published document: its id and the reference employees sign.
struct Published {
    id: &'static str,
    doc: DocumentRef,
}

/// Runs the organisation demo in `dir/organizacija`.
pub fn run(dir: &Path, issuer: &SigningKey) -> Result<(), CliError> {
    let org = dir.join("organizacija");
    out("");
    out(format!(
        "10. one log for the whole organisation: three documents, two units: {}",
        org.display()
    ));
    let mut w = create(&org, issuer)?;
    let published = declare_and_publish(&org, &mut w)?;
    import(
        &org,
        &mut w,
        "darbinieki-2019-02.csv",
        STAFF_2019_02,
        "2019-02-01",
    )?;
    let keys = enrol(&mut w)?;
    first_signatures(&mut w, &published, &keys)?;
    w.commit().map_err(lib)?;
    import(
        &org,
        &mut w,
        "darbinieki-2019-09.csv",
        STAFF_2019_09,
        "2019-09-02",
    )?;
    let liga = keys.iter().find(|(id, ..)| *id == "lozolina");
    if let (Some((id, name, key)), Some(board)) = (liga, published.get(2)) {
        add_ack(&mut w, key, &board.doc, name, id, "2019-09-10")?;
        out("   Līga Ozoliņa, moved to the building board, acknowledged its procedure on 2019-09-10");
    }
    let head = w.commit().map_err(lib)?;
    drop(w);
    out(format!("   checkpoint: {} entries", head.checkpoint.size));
    report(&org)
}

fn create(org: &Path, issuer: &SigningKey) -> Result<Writer, CliError> {
    let first = entry::log_bytes(
        "aknistesnovads.lv/dokumenti",
        "J.Gavars, izpilddirektors",
        &issuer.verifying_key(),
        "Aknīstes novada pašvaldība",
        date("2019-01-15"),
    )
    .map_err(lib)?;
    Writer::create(&org.join("log"), issuer.clone(), first, Wait::Yes).map_err(lib)
}

/// The units, the three documents and version 1 of each.
fn declare_and_publish(org: &Path, w: &mut Writer) -> Result<Vec<Published>, CliError> {
    for (id, name) in [
        ("kac", "Klientu apkalpošanas centrs"),
        ("buvvalde", "Būvvalde"),
    ] {
        w.append(entry::unit_bytes(id, name).map_err(lib)?)
            .map_err(lib)?;
    }
    out("   units: kac (Klientu apkalpošanas centrs), buvvalde (Būvvalde)");
    let mut published = Vec::new();
    for doc in &DOCS {
        let rendered = render(org, doc)?;
        let declaration = Declaration {
            id: doc.id.into(),
            title: rendered.title.clone(),
            units: doc.units.iter().map(|u| u.to_string()).collect(),
            positions: Vec::new(),
            date: date("2019-01-15"),
        };
        w.append(entry::document_bytes(&declaration).map_err(lib)?)
            .map_err(lib)?;
        w.log().store_document(&rendered.pdf).map_err(lib)?;
        let version = Version {
            document: Some(doc.id.into()),
            label: "1".into(),
            title: rendered.title.clone(),
            sha256: rendered.sha256,
            effective: date("2019-02-01"),
            material: true,
            deadline: Some(date("2019-02-15")),
            new_employee_days: 14,
        };
        w.append(entry::version_bytes(&version).map_err(lib)?)
            .map_err(lib)?;
        let pdf = org.join(format!("{}-1.pdf", doc.id));
        write_file(&pdf, &rendered.pdf)?;
        let audience = if doc.units.is_empty() {
            "everyone".to_string()
        } else {
            format!("unit {}", doc.units.join(", "))
        };
        out(format!(
            "   document {} binds {audience}; version 1 in force from 2019-02-01, deadline 2019-02-15: {}",
            doc.id,
            pdf.display()
        ));
        published.push(Published {
            id: doc.id,
            doc: DocumentRef::from_pdf_bytes(&rendered.pdf, None).map_err(lib)?,
        });
    }
    Ok(published)
}

/// Renders a document: the built-in rules, or an example written into
/// `org/veidnes/ID/rules.typ` first so that it can be read and changed.
fn render(org: &Path, doc: &Doc) -> Result<ackreg_core::render::Rendered, CliError> {
    let template = match doc.source {
        None => Template::builtin(),
        Some(source) => {
            let folder: PathBuf = org.join("veidnes").join(doc.id);
            std::fs::create_dir_all(&folder)
                .map_err(|e| CliError::input(format!("{}: {e}", folder.display())))?;
            write_file(&folder.join("rules.typ"), source.as_bytes())?;
            Template::from_dir(&folder).map_err(lib)?
        }
    };
    template.render(&RenderInput::default()).map_err(lib)
}

/// Writes the HR file `name`, plans it against the log on `day` and
/// appends the planned entries, as `ackreg log staff --apply` does.
fn import(org: &Path, w: &mut Writer, name: &str, csv: &str, day: &str) -> Result<(), CliError> {
    let path = org.join(name);
    write_file(&path, csv.as_bytes())?;
    let rows = staff::parse(csv.as_bytes()).map_err(|e| CliError::file(&path, e))?;
    let current = staff::current_of(w.state(), date(day));
    let plan = staff::plan(&rows, &current, &staff::units_of(w.state()), date(day))
        .map_err(|e| CliError::file(&path, e))?;
    out(format!(
        "   ackreg log staff --csv {} --date {day} --apply:",
        path.display()
    ));
    for line in plan.to_string().lines() {
        out(format!("     {line}"));
    }
    for change in &plan.changes {
        w.append(staff::entry_of(change).map_err(lib)?)
            .map_err(lib)?;
    }
    Ok(())
}

/// Keys for the first four employees (enrolled on their first day);
/// Ilze Vītola, who joins later, never enrols one.
fn enrol(w: &mut Writer) -> Result<Vec<(&'static str, &'static str, SigningKey)>, CliError> {
    let mut enrolled = Vec::new();
    for (id, name, position) in [
        (
            "jberzins",
            "Jānis Bērziņš",
            "klientu apkalpošanas speciālists",
        ),
        (
            "lozolina",
            "Līga Ozoliņa",
            "klientu apkalpošanas speciāliste",
        ),
        ("azagars", "Ādolfs Žagars", "būvinspektors"),
        ("gkalnina", "Gunta Kalniņa", "arhitekte"),
    ] {
        let key = keys::generate().map_err(lib)?;
        let bytes = entry::enrol_bytes(
            id,
            name,
            Some(position),
            &key.verifying_key(),
            date("2019-02-01"),
        )
        .map_err(lib)?;
        w.append(bytes).map_err(lib)?;
        enrolled.push((id, name, key));
    }
    out("   4 of them enrol a key on 2019-02-01: one key serves every document");
    Ok(enrolled)
}

/// February 2019: everyone acknowledges the work rules and their unit's
/// document, Ādolfs Žagars his unit's procedure late.
fn first_signatures(
    w: &mut Writer,
    published: &[Published],
    keys: &[(&'static str, &'static str, SigningKey)],
) -> Result<(), CliError> {
    let signs: [(&str, &str, &str); 8] = [
        ("jberzins", "darba-kartiba", "2019-02-04"),
        ("jberzins", "kac-klientu-apkalposana", "2019-02-04"),
        ("lozolina", "darba-kartiba", "2019-02-05"),
        ("lozolina", "kac-klientu-apkalposana", "2019-02-05"),
        ("azagars", "darba-kartiba", "2019-02-06"),
        ("azagars", "buvvaldes-iesniegumi", "2019-02-20"),
        ("gkalnina", "darba-kartiba", "2019-02-07"),
        ("gkalnina", "buvvaldes-iesniegumi", "2019-02-07"),
    ];
    for (who, what, day) in signs {
        let signer = keys.iter().find(|(id, ..)| *id == who);
        let doc = published.iter().find(|p| p.id == what);
        if let (Some((id, name, key)), Some(p)) = (signer, doc) {
            add_ack(w, key, &p.doc, name, id, day)?;
        }
    }
    out("   8 acknowledgements in February 2019 (Ādolfs Žagars late for the building board's procedure)");
    Ok(())
}

fn add_ack(
    w: &mut Writer,
    key: &SigningKey,
    doc: &DocumentRef,
    name: &str,
    id: &str,
    day: &str,
) -> Result<u64, CliError> {
    let ack = Acknowledgement::new(doc, name, id, day, None).map_err(lib)?;
    let envelope = ack.sign(key).map_err(lib)?.to_json().map_err(lib)?;
    let bytes = alog::ack_entry(w.state(), &envelope, date(day)).map_err(lib)?;
    w.append(bytes).map_err(lib)
}

/// The status on [`STATUS_DAY`]: per document, per unit, and as a CSV.
fn report(org: &Path) -> Result<(), CliError> {
    let log_dir = org.join("log");
    let log = LogDir::new(&log_dir);
    let (head, state) = log.committed().map_err(lib)?;
    let day = date(STATUS_DAY);
    out(format!(
        "   ackreg log status {} --date {STATUS_DAY}:",
        org.join("log").display()
    ));
    let all = status::status(&state, day);
    for s in &all {
        out(format!("     {}", summary(s)));
    }
    for unit in ["kac", "buvvalde"] {
        out(format!("   ... --unit {unit}:"));
        let filter = Filter {
            document: None,
            unit: Some(unit.into()),
        };
        for s in status::status_of(&state, day, &filter) {
            if s.lines.is_empty() {
                continue;
            }
            out(format!("     {}", summary(&s)));
        }
    }
    let csv = org.join("statuss.csv");
    write_file(
        &csv,
        &status::to_csv(&all).map_err(|e| CliError::input(format!("{}: {e}", csv.display())))?,
    )?;
    out(format!(
        "   the same as a table for Excel (--csv): {}",
        csv.display()
    ));
    overdue_without_key(&state, &all);
    printed_report(org, &state, &head.checkpoint)
}

/// The printed report for the director's signature (`ackreg log report`).
fn printed_report(
    org: &Path,
    state: &State,
    head: &tlog::checkpoint::Checkpoint,
) -> Result<(), CliError> {
    let request = alog::report::Request {
        document: None,
        unit: None,
        date: date(STATUS_DAY),
    };
    let made = alog::report::make(state, head, &request).map_err(lib)?;
    let path = org.join("parskats.pdf");
    write_file(&path, &made.pdf)?;
    out(format!(
        "   the printed report, for the director's signature (ackreg log report): {} ({} pages)",
        path.display(),
        made.pages
    ));
    Ok(())
}

/// One version's status on one line: who stands where.
fn summary(s: &VersionStatus) -> String {
    let names = |standing: Standing| -> String {
        let names: Vec<String> = s
            .lines
            .iter()
            .filter(|l| l.standing == standing)
            .map(|l| {
                if l.no_key {
                    format!("{} (no key yet)", l.name)
                } else {
                    l.name.to_string()
                }
            })
            .collect();
        if names.is_empty() {
            "—".into()
        } else {
            names.join(", ")
        }
    };
    format!(
        "{} version {}: acknowledged {}; late {}; outstanding {}; overdue {}; left {}",
        s.document.as_deref().unwrap_or(entry::RULES),
        s.label,
        names(Standing::Acknowledged),
        names(Standing::Late),
        names(Standing::Outstanding),
        names(Standing::Overdue),
        names(Standing::Left),
    )
}

/// Says who is overdue without ever having had a key: the register knows
/// them from their first working day.
fn overdue_without_key(state: &State, all: &[VersionStatus]) {
    let mut who: Vec<&str> = all
        .iter()
        .flat_map(|s| s.lines.iter())
        .filter(|l| l.no_key && l.standing == Standing::Overdue)
        .map(|l| l.name)
        .collect();
    who.sort_unstable();
    who.dedup();
    if !who.is_empty() {
        out(format!(
            "   overdue with no key yet: {} (in the register since the staff import, {} employees in all)",
            who.join(", "),
            state.employees().len()
        ));
    }
}
