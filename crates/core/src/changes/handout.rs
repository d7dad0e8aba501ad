//! The handout of what changed: a Latvian A4 PDF/A to hand out with the
//! new version, rendered from a [`Comparison`] by the built-in Typst source
//! `handout.typ`, deterministically (the new version's effective date is
//! the PDF's date; the same comparison gives the same bytes).

use typst::foundations::{Array, Dict, Value};

use super::{Change, Comparison, Kind, Op, VersionText};
use crate::register::latvian_date;
use crate::render::inputs::{dict, insert_date, n, s};
use crate::render::{RenderError, Rendered, Template};

/// The handout's Typst source, built into the binary.
pub const HANDOUT_TYP: &str = include_str!("handout.typ");

/// Renders the handout of `c`.
pub fn render(c: &Comparison) -> Result<Rendered, RenderError> {
    Template::builtin_source(HANDOUT_TYP).render_inputs(inputs(c))
}

/// Everything the handout prints, as `sys.inputs`.
fn inputs(c: &Comparison) -> Dict {
    let mut d = Dict::new();
    d.insert("title".into(), s(&c.to.title));
    d.insert("from".into(), version(&c.from));
    d.insert("to".into(), version(&c.to));
    insert_date(&mut d, crate::log::entry::parse_date(&c.to.effective));
    d.insert(
        "summary".into(),
        dict([
            ("added", n(c.summary.added)),
            ("removed", n(c.summary.removed)),
            ("changed", n(c.summary.changed)),
            ("renumbered", n(c.summary.renumbered)),
            ("unchanged", n(c.summary.unchanged)),
        ]),
    );
    let changes: Array = c.changes.iter().map(change).collect();
    d.insert("changes".into(), Value::Array(changes));
    d
}

fn version(v: &VersionText) -> Value {
    dict([
        ("label", s(&v.label)),
        ("effective", s(&latvian_date(&v.effective))),
        ("sha256", s(&v.sha256)),
    ])
}

fn change(c: &Change) -> Value {
    let what = serde_json::to_value(c.what)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let kind = match c.kind {
        Kind::Chapter => "chapter",
        Kind::Clause => "clause",
    };
    let number = |x: &Option<super::Clause>| s(x.as_ref().map_or("", |c| c.number.as_str()));
    let text = |x: &Option<super::Clause>| s(x.as_ref().map_or("", |c| c.text.as_str()));
    let words: Array = c
        .words
        .iter()
        .map(|w| {
            let op = match w.op {
                Op::Same => "same",
                Op::Deleted => "deleted",
                Op::Inserted => "inserted",
            };
            dict([("op", s(op)), ("text", s(&w.text))])
        })
        .collect();
    dict([
        ("what", s(&what)),
        ("kind", s(kind)),
        ("old-number", number(&c.old)),
        ("new-number", number(&c.new)),
        ("old-text", text(&c.old)),
        ("new-text", text(&c.new)),
        ("words", Value::Array(words)),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::changes::{compare, Clause, Source};

    fn version(label: &str, effective: &str, clauses: Vec<Clause>) -> VersionText {
        VersionText {
            label: label.into(),
            title: "Klientu apkalpošanas noteikumi".into(),
            effective: effective.into(),
            sha256: "ab".repeat(32),
            source: Source::Template,
            clauses,
        }
    }

    #[test]
    fn handout_is_deterministic_and_latvian() {
        let old = vec![
            Clause::new(Kind::Chapter, "", "I. Vispārīgie jautājumi"),
            Clause::new(
                Kind::Clause,
                "1.",
                "Noteikumi ir saistoši visiem darbiniekiem.",
            ),
            Clause::new(Kind::Clause, "2.", "Darbinieks ir pieklājīgs."),
        ];
        let new = vec![
            Clause::new(Kind::Chapter, "", "I. Vispārīgie jautājumi"),
            Clause::new(
                Kind::Clause,
                "1.",
                "Noteikumi ir saistoši visiem KAC darbiniekiem.",
            ),
            Clause::new(Kind::Clause, "2.", "Darbinieks lieto valsts valodu."),
        ];
        let (changes, summary) = compare(&old, &new);
        let c = Comparison {
            document: "rules".into(),
            from: version("1", "2017-12-01", old),
            to: version("2", "2018-06-01", new),
            summary,
            changes,
        };
        let a = render(&c).unwrap();
        let b = render(&c).unwrap();
        assert_eq!(a.pdf, b.pdf);
        assert_eq!(
            a.title,
            "Izmaiņas noteikumos – Klientu apkalpošanas noteikumi"
        );
        assert!(a.marks.is_empty());
    }
}
