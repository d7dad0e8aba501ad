//! The printed status report (Pārskats par iepazīšanos ar iekšējiem
//! normatīvajiem aktiem) a compliance officer hands to the director for
//! signature: for each document, its material version in force on the
//! report's day, who acknowledged it (on time or late), who has not yet,
//! whose deadline has passed, and who has no key yet; then the checkpoint
//! the report reflects and the director's signature block.
//!
//! The rows are [`super::status::status_of`]'s; this module chooses the
//! versions (the one in force per document), looks up each person's
//! position and units on the day, and renders a Latvian A4 PDF/A with the
//! built-in Typst source `report.typ`, deterministically: the report's day
//! is the PDF's date, so the same log and the same request give the same
//! bytes. Every word from the log reaches Typst through `sys.inputs` as a
//! string and is printed as text, never evaluated as markup.

use time::Date;
use typst::foundations::{Array, Dict, Value};

use super::entry::{format_date, RULES};
use super::state::State;
use super::status::{self, Filter, Phase, Standing, VersionStatus};
use crate::encoding::b64;
use crate::register::latvian_date;
use crate::render::inputs::{dict, insert_date, n, s};
use crate::render::{renderer, RenderError, Template};
use tlog::checkpoint::Checkpoint;

/// The report's Typst source, built into the binary.
pub const REPORT_TYP: &str = include_str!("report.typ");

/// The sections of a document's page, in print order.
pub const SECTIONS: [Standing; 5] = [
    Standing::Acknowledged,
    Standing::Late,
    Standing::Outstanding,
    Standing::Overdue,
    Standing::Left,
];

/// What to report on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Only this document ([`RULES`] for the versions that name none).
    pub document: Option<String>,
    /// Only the employees in this unit on the day.
    pub unit: Option<String>,
    /// The day deadlines are judged on, and the report's date.
    pub date: Date,
}

/// Why a report cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// `--document` names no document of the log.
    #[error("document {0} is not in the log")]
    NoDocument(String),
    /// `--unit` names no declared unit.
    #[error("unit {0} is not declared in the log")]
    NoUnit(String),
    /// The document has no material version in force on the day.
    #[error("document {document} has no version in force on {date}")]
    NotInForce {
        /// The document.
        document: String,
        /// The day.
        date: String,
    },
    /// No document has a version in force on the day.
    #[error("no document of the log has a version in force on {0}")]
    NothingInForce(String),
    /// The log has no issuer (it is empty).
    #[error("the log has no issuer entry")]
    NoIssuer,
    /// Typst could not render it.
    #[error(transparent)]
    Render(#[from] RenderError),
}

impl crate::Hint for ReportError {
    fn hint(&self) -> Option<String> {
        match self {
            ReportError::NoDocument(_) => Some(format!(
                "name a document the log declares, or {RULES} for the versions that name none"
            )),
            ReportError::NoUnit(_) => Some("name a unit the log declares".into()),
            ReportError::NotInForce { .. } | ReportError::NothingInForce(_) => Some(
                "a version is reported from its effective date: report a later day, or publish one"
                    .into(),
            ),
            ReportError::NoIssuer => None,
            ReportError::Render(e) => crate::Hint::hint(e),
        }
    }
}

/// One person's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Identifier.
    pub id: String,
    /// Name on the day.
    pub name: String,
    /// Position on the day (empty if none).
    pub position: String,
    /// Units on the day, by name.
    pub units: Vec<String>,
    /// Where they stand.
    pub standing: Standing,
    /// Their deadline, `YYYY-MM-DD`.
    pub deadline: String,
    /// The day they signed, if they did.
    pub signed: Option<String>,
    /// No key was ever enrolled for them.
    pub no_key: bool,
}

/// One document's part of the report: its version in force and its rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentPart {
    /// The document's id.
    pub id: String,
    /// Its title on the day.
    pub title: String,
    /// The version's label.
    pub label: String,
    /// The version's effective date.
    pub effective: String,
    /// The version's deadline.
    pub deadline: String,
    /// SHA-256 of the version's PDF, hex.
    pub sha256: String,
    /// The administrator who asked for the version (log format 0.4):
    /// "Name (id), DD.MM.YYYY.", or none.
    pub published_by: Option<String>,
    /// One row per person concerned, in log order.
    pub rows: Vec<Row>,
}

impl DocumentPart {
    /// How many stand so.
    pub fn count(&self, standing: Standing) -> usize {
        self.rows.iter().filter(|r| r.standing == standing).count()
    }

    /// How many have no key yet.
    pub fn no_key(&self) -> usize {
        self.rows.iter().filter(|r| r.no_key).count()
    }
}

/// The checkpoint a report reflects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reflects {
    /// The log's origin.
    pub origin: String,
    /// The tree size.
    pub size: u64,
    /// The root hash, base64 as in the checkpoint.
    pub root: String,
    /// The issuer's key id.
    pub issuer_key: String,
}

/// What the report says, before it is printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The body that keeps the log.
    pub body: String,
    /// The issuer's printed name.
    pub issuer: String,
    /// The report's day, `YYYY-MM-DD`.
    pub date: String,
    /// The unit it is limited to: (id, name).
    pub unit: Option<(String, String)>,
    /// One part per document.
    pub documents: Vec<DocumentPart>,
    /// The checkpoint.
    pub reflects: Reflects,
}

/// A report as made.
#[derive(Debug, Clone)]
pub struct Made {
    /// The PDF.
    pub pdf: Vec<u8>,
    /// Pages.
    pub pages: usize,
    /// What it says.
    pub report: Report,
}

/// Computes the report of `request` from the log's `state` at its
/// checkpoint `head` (the newest signed one: `state` is the log up to it).
pub fn compute(state: &State, head: &Checkpoint, request: &Request) -> Result<Report, ReportError> {
    check_request(state, request)?;
    let issuer = state.issuer().ok_or(ReportError::NoIssuer)?;
    let filter = Filter {
        document: request.document.clone(),
        unit: request.unit.clone(),
    };
    let documents: Vec<DocumentPart> = status::status_of(state, request.date, &filter)
        .into_iter()
        .filter(|v| v.phase == Phase::InForce)
        .map(|v| part(state, v, request.date))
        .collect();
    if documents.is_empty() {
        let date = format_date(request.date);
        return Err(match &request.document {
            Some(d) => ReportError::NotInForce {
                document: d.clone(),
                date,
            },
            None => ReportError::NothingInForce(date),
        });
    }
    let unit = request.unit.as_deref().and_then(|u| state.unit(u));
    Ok(Report {
        body: issuer.body.clone(),
        issuer: issuer.name.clone(),
        date: format_date(request.date),
        unit: unit.map(|u| (u.id.clone(), u.name.clone())),
        documents,
        reflects: Reflects {
            origin: head.origin.clone(),
            size: head.size,
            root: b64(&head.root),
            issuer_key: crate::keys::KeyId::of(&issuer.key).to_string(),
        },
    })
}

/// The document and unit asked for must be the log's.
fn check_request(state: &State, request: &Request) -> Result<(), ReportError> {
    if let Some(d) = request.document.as_deref() {
        if !state.document_ids().contains(&d) {
            return Err(ReportError::NoDocument(d.to_string()));
        }
    }
    if let Some(u) = request.unit.as_deref() {
        if state.unit(u).is_none() {
            return Err(ReportError::NoUnit(u.to_string()));
        }
    }
    Ok(())
}

/// A document's part from its version's status on `day`.
fn part(state: &State, v: VersionStatus, day: Date) -> DocumentPart {
    let id = v.document.clone().unwrap_or_else(|| RULES.to_string());
    let title = state
        .document(&id)
        .map_or_else(|| v.title.clone(), |d| d.on(day).title.clone());
    let rows = v.lines.iter().map(|l| row(state, l, day)).collect();
    let published_by = v
        .asked_by
        .as_ref()
        .map(|a| format!("{} ({}), {}", a.name, a.admin, latvian_date(&a.date)));
    DocumentPart {
        id,
        title,
        label: v.label,
        effective: v.effective,
        deadline: v.deadline,
        sha256: v.sha256,
        published_by,
        rows,
    }
}

/// A status line with the person's name, position and units on `day`.
fn row(state: &State, l: &status::Line, day: Date) -> Row {
    let member = state.employee(l.id).map(|e| e.member_on(day));
    let unit_name = |u: &String| state.unit(u).map_or_else(|| u.clone(), |u| u.name.clone());
    Row {
        id: l.id.to_string(),
        name: member
            .as_ref()
            .map_or_else(|| l.name.to_string(), |m| m.name.clone()),
        position: member
            .as_ref()
            .and_then(|m| m.position.clone())
            .unwrap_or_default(),
        units: member
            .as_ref()
            .map(|m| m.units.iter().map(unit_name).collect())
            .unwrap_or_default(),
        standing: l.standing,
        deadline: l.deadline.to_string(),
        signed: l.signed.map(|d| d.to_string()),
        no_key: l.no_key,
    }
}

/// Renders `report` as the Latvian PDF/A.
pub fn render(report: &Report) -> Result<crate::render::Rendered, RenderError> {
    Template::builtin_source(REPORT_TYP).render_inputs(inputs(report))
}

/// Computes and renders the report of `request`.
pub fn make(state: &State, head: &Checkpoint, request: &Request) -> Result<Made, ReportError> {
    let report = compute(state, head, request)?;
    let rendered = render(&report)?;
    Ok(Made {
        pdf: rendered.pdf,
        pages: rendered.pages,
        report,
    })
}

/// The Latvian heading of a section.
pub fn section_heading(standing: Standing) -> &'static str {
    match standing {
        Standing::Acknowledged => "Iepazinušies noteiktajā termiņā",
        Standing::Late => "Iepazinušies pēc termiņa",
        Standing::Outstanding => "Vēl nav iepazinušies (termiņš nav beidzies)",
        Standing::Overdue => "Termiņš nokavēts (nav iepazinušies)",
        Standing::Left => "Darba attiecības beigušās (nav iepazinušies)",
    }
}

/// Everything the report prints, as `sys.inputs`.
fn inputs(r: &Report) -> Dict {
    let mut d = Dict::new();
    d.insert("body".into(), s(&r.body));
    d.insert("date".into(), s(&latvian_date(&r.date)));
    insert_date(&mut d, super::entry::parse_date(&r.date));
    let unit = r
        .unit
        .as_ref()
        .map_or_else(String::new, |(id, name)| format!("{name} ({id})"));
    d.insert("unit".into(), s(&unit));
    let documents: Array = r.documents.iter().map(document).collect();
    d.insert("documents".into(), Value::Array(documents));
    let particulars: Array = particulars(r)
        .into_iter()
        .map(|(label, value)| dict([("label", s(label)), ("value", s(&value))]))
        .collect();
    d.insert("particulars".into(), Value::Array(particulars));
    d
}

/// The checkpoint's particulars, printed at the end.
fn particulars(r: &Report) -> Vec<(&'static str, String)> {
    let c = &r.reflects;
    vec![
        ("Žurnāls", c.origin.clone()),
        ("Kontrolpunkts", format!("{} ieraksti", c.size)),
        ("Saknes jaucējvērtība", c.root.clone()),
        ("Izdevējs", r.issuer.clone()),
        ("Izdevēja atslēga", c.issuer_key.clone()),
        ("Sagatavots ar", renderer()),
    ]
}

fn document(p: &DocumentPart) -> Value {
    let sections: Array = SECTIONS
        .iter()
        .map(|&standing| {
            let rows: Array = p
                .rows
                .iter()
                .filter(|r| r.standing == standing)
                .map(row_value)
                .collect();
            dict([
                ("standing", s(standing.english())),
                ("heading", s(section_heading(standing))),
                ("rows", Value::Array(rows)),
            ])
        })
        .collect();
    let counts = dict([
        ("acknowledged", n(p.count(Standing::Acknowledged))),
        ("late", n(p.count(Standing::Late))),
        ("outstanding", n(p.count(Standing::Outstanding))),
        ("overdue", n(p.count(Standing::Overdue))),
        ("left", n(p.count(Standing::Left))),
        ("no-key", n(p.no_key())),
        ("total", n(p.rows.len())),
    ]);
    dict([
        ("id", s(&p.id)),
        ("title", s(&p.title)),
        ("label", s(&p.label)),
        ("effective", s(&latvian_date(&p.effective))),
        ("deadline", s(&latvian_date(&p.deadline))),
        ("sha256", s(&p.sha256)),
        ("published-by", s(p.published_by.as_deref().unwrap_or(""))),
        ("counts", counts),
        ("sections", Value::Array(sections)),
    ])
}

fn row_value(r: &Row) -> Value {
    dict([
        ("id", s(&r.id)),
        ("name", s(&r.name)),
        ("position", s(&r.position)),
        ("units", s(&r.units.join(", "))),
        ("deadline", s(&latvian_date(&r.deadline))),
        (
            "signed",
            s(&r.signed.as_deref().map(latvian_date).unwrap_or_default()),
        ),
        ("no-key", Value::Bool(r.no_key)),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::entry::{self, parse, parse_date, Version};
    use ed25519_dalek::SigningKey;

    fn d(s: &str) -> Date {
        parse_date(s).unwrap()
    }

    fn units(u: &[&str]) -> Vec<String> {
        u.iter().map(|s| s.to_string()).collect()
    }

    /// A log of the implicit rules and one KAC document: `a` signed,
    /// `b` joined the KAC later with no key, `c` is in the building board.
    fn state() -> State {
        let key = |n: u8| SigningKey::from_bytes(&[n; 32]);
        let mut s = State::new();
        let mut add = |bytes: Vec<u8>| s.append(&parse(&bytes).unwrap()).unwrap();
        add(entry::log_bytes(
            "o.invalid/l",
            "J. Gavars",
            &key(9).verifying_key(),
            "Aknīstes novada pašvaldība",
            d("2018-01-01"),
        )
        .unwrap());
        add(entry::unit_bytes("kac", "Klientu apkalpošanas centrs").unwrap());
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
        let name = "Anna #panic() ] *Ozola*";
        add(entry::join_bytes(
            "a",
            name,
            Some("vecākā referente"),
            &units(&["kac"]),
            d("2018-01-01"),
        )
        .unwrap());
        add(
            entry::join_bytes("b", "Būvis Šķēle", None, &units(&["kac"]), d("2018-03-01")).unwrap(),
        );
        add(entry::join_bytes("c", "Cēsis", None, &units(&["bv"]), d("2018-01-01")).unwrap());
        add(entry::enrol_bytes(
            "a",
            name,
            Some("vecākā referente"),
            &key(1).verifying_key(),
            d("2018-01-01"),
        )
        .unwrap());
        s
    }

    fn head() -> Checkpoint {
        Checkpoint {
            origin: "o.invalid/l".into(),
            size: 10,
            root: [7; 32],
            extensions: vec![],
        }
    }

    fn request(document: Option<&str>, unit: Option<&str>, date: &str) -> Request {
        Request {
            document: document.map(str::to_string),
            unit: unit.map(str::to_string),
            date: d(date),
        }
    }

    #[test]
    fn the_report_lists_the_version_in_force_with_positions_units_and_no_key() {
        let r = compute(&state(), &head(), &request(None, None, "2018-03-20")).unwrap();
        assert_eq!(r.body, "Aknīstes novada pašvaldība");
        assert_eq!(r.documents.len(), 1);
        let kac = &r.documents[0];
        assert_eq!((kac.id.as_str(), kac.label.as_str()), ("kac", "1"));
        let rows: Vec<(&str, Standing, bool, &str)> = kac
            .rows
            .iter()
            .map(|r| (r.id.as_str(), r.standing, r.no_key, r.deadline.as_str()))
            .collect();
        assert_eq!(
            rows,
            [
                ("a", Standing::Overdue, false, "2018-02-15"),
                ("b", Standing::Overdue, true, "2018-03-11"),
            ]
        );
        assert_eq!(kac.rows[0].position, "vecākā referente");
        assert_eq!(kac.rows[0].units, ["Klientu apkalpošanas centrs"]);
        assert_eq!(r.reflects.size, 10);
        assert_eq!(r.reflects.root, b64(&[7; 32]));
    }

    #[test]
    fn unknown_documents_units_and_nothing_in_force_are_refused() {
        let s = state();
        let err = |req| compute(&s, &head(), &req).unwrap_err().to_string();
        assert_eq!(
            err(request(Some("nav"), None, "2018-03-20")),
            "document nav is not in the log"
        );
        assert_eq!(
            err(request(None, Some("nav"), "2018-03-20")),
            "unit nav is not declared in the log"
        );
        assert_eq!(
            err(request(None, None, "2018-01-20")),
            "no document of the log has a version in force on 2018-01-20"
        );
        assert_eq!(
            err(request(Some("kac"), None, "2018-01-20")),
            "document kac has no version in force on 2018-01-20"
        );
        let bv = compute(&s, &head(), &request(None, Some("bv"), "2018-03-20")).unwrap();
        assert!(bv.documents[0].rows.is_empty());
        assert_eq!(bv.unit, Some(("bv".into(), "Būvvalde".into())));
    }

    #[test]
    fn the_report_is_deterministic_and_prints_markup_as_text() {
        let s = state();
        let req = request(None, None, "2018-03-20");
        let a = make(&s, &head(), &req).unwrap();
        let b = make(&s, &head(), &req).unwrap();
        assert_eq!(a.pdf, b.pdf);
        assert!(a.pdf.starts_with(b"%PDF-"));
        assert_eq!(a.pages, 1);
    }
}
