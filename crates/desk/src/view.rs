//! What the pages show, computed from the log's state with the same
//! functions the CLI uses (`status`, `annex`, `receipt`): the desk adds no
//! rule of its own about who stands where.

use serde_json::{json, Value};
use time::Date;

use super::departure::Planned;
use super::request::RequestError;
use ackreg_core::encoding::hex;
use ackreg_core::keys::KeyId;
use ackreg_core::log::entry::{self, format_date, Entry};
use ackreg_core::log::state::State;
use ackreg_core::log::status::{self, Standing, VersionStatus};
use ackreg_core::log::LogDir;

fn pdf_path(sha256_hex: &str) -> String {
    format!("/doc/{sha256_hex}.pdf")
}

/// The newest version of the material version at index `v` of
/// [`State::versions`] (its last correction, or itself): the text an
/// employee reads and signs now.
fn newest(state: &State, v: usize) -> usize {
    let versions = state.versions();
    (v..versions.len())
        .rev()
        .find(|&c| versions[c].base == v)
        .unwrap_or(v)
}

/// The employee's page: who they are; `documents`, what they owe and
/// have acknowledged of each document in force or coming (the overdue
/// first, then by their own deadline, see [`status::owed_by`]), with what
/// changed since the version they signed before; and `versions`, every
/// version that concerns them, where they stand and what they would sign.
/// `None` if `keyid` is not their current key any more.
///
/// Only this employee's lines are computed (their own acknowledgements
/// and each version's audience), nothing of anyone else's, and no file is
/// read: what changed is fetched from [`changes_path`].
pub fn employee(state: &State, id: &str, keyid: &KeyId, today: Date) -> Option<Value> {
    let e = state.employee(id)?;
    if e.current().map(|k| k.keyid) != Some(*keyid) {
        return None;
    }
    let versions: Vec<Value> = status::lines_of(state, id, today)?
        .into_iter()
        .filter_map(|(document, v, line)| {
            let phase = status::phase(state, v, today)?;
            let material = &state.versions()[v].version;
            let p = &state.versions()[newest(state, v)].version;
            let open = matches!(line.standing, Standing::Outstanding | Standing::Overdue);
            Some(json!({
                "document": document, "label": p.label, "title": p.title,
                "sha256": hex(&p.sha256), "pdf": pdf_path(&hex(&p.sha256)),
                "effective": format_date(material.effective),
                "deadline": line.deadline, "standing": line.standing,
                "signed": line.signed, "entry": line.entry,
                "phase": phase, "can_sign": open && phase.signable(),
            }))
        })
        .collect();
    let documents: Vec<Value> = status::owed_by(state, id, today)?
        .iter()
        .map(|o| owed(state, o))
        .collect();
    // A departure the log holds dated ahead (a named administrator's):
    // the page notes it, as it notes one the desk keeps planned.
    let leaving = e
        .left
        .map(|(d, _)| d)
        .filter(|&d| d > today)
        .map(format_date);
    Some(json!({
        "id": e.id, "name": e.name, "position": e.position, "keyid": keyid.to_string(),
        "today": format_date(today), "versions": versions, "documents": documents,
        "leaving": leaving,
    }))
}

/// Where the page fetches what changed from one version to another.
pub fn changes_path(from: &[u8; 32], to: &[u8; 32]) -> String {
    format!("/api/changes/{}/{}", hex(from), hex(to))
}

/// One document of the employee's page.
fn owed(state: &State, o: &status::Owed) -> Value {
    let versions = state.versions();
    let material = &versions[o.version].version;
    let p = &versions[o.newest].version;
    let changes = o.signed_before.map(|b| {
        let before = &versions[b].version;
        json!({
            "from": before.label, "from_sha256": hex(&before.sha256),
            "to": p.label, "to_sha256": hex(&p.sha256),
            "url": changes_path(&before.sha256, &p.sha256),
        })
    });
    json!({
        "document": o.document, "document_title": o.title,
        "label": p.label, "title": p.title, "sha256": hex(&p.sha256),
        "pdf": pdf_path(&hex(&p.sha256)), "effective": format_date(material.effective),
        "deadline": o.line.deadline, "standing": o.line.standing,
        "standing_lv": o.line.standing.latvian(),
        "signed": o.line.signed, "entry": o.line.entry,
        "phase": o.phase, "can_sign": o.can_sign(), "changes": changes,
    })
}

/// The standings counted, and how many of those concerned have no key.
#[derive(Debug, Clone, Copy, Default)]
struct Tally([usize; 6]);

impl Tally {
    fn add(&mut self, l: &status::Line) {
        let k = match l.standing {
            Standing::Acknowledged => 0,
            Standing::Late => 1,
            Standing::Outstanding => 2,
            Standing::Overdue => 3,
            Standing::Left => 4,
        };
        self.0[k] += 1;
        if l.no_key {
            self.0[5] += 1;
        }
    }

    fn of<'a, 'b: 'a>(lines: impl Iterator<Item = &'a status::Line<'b>>) -> Tally {
        let mut t = Tally::default();
        lines.for_each(|l| t.add(l));
        t
    }

    fn json(&self) -> Value {
        let n = self.0;
        json!({
            "acknowledged": n[0], "late": n[1], "outstanding": n[2], "overdue": n[3],
            "left": n[4], "no_key": n[5],
        })
    }
}

/// The counts of `lines` per declared unit, by the employees' units on
/// `today`, and last those in no unit; one pass over the lines.
fn per_unit(state: &State, lines: &[status::Line], today: Date) -> Vec<Value> {
    let units = state.units();
    let index: std::collections::HashMap<&str, usize> = units
        .iter()
        .enumerate()
        .map(|(k, u)| (u.id.as_str(), k))
        .collect();
    let mut tallies = vec![(0usize, Tally::default()); units.len() + 1];
    for l in lines {
        let of = state.employee(l.id).map_or(&[][..], |e| e.units_on(today));
        if of.is_empty() {
            tallies[units.len()].0 += 1;
            tallies[units.len()].1.add(l);
        }
        for k in of.iter().filter_map(|u| index.get(u.as_str())) {
            tallies[*k].0 += 1;
            tallies[*k].1.add(l);
        }
    }
    let mut out: Vec<Value> = units
        .iter()
        .zip(&tallies)
        .filter(|(_, (n, _))| *n > 0)
        .map(|(u, (_, t))| json!({"unit": u.id, "name": u.name, "counts": t.json()}))
        .collect();
    let (outside, t) = tallies[units.len()];
    if outside > 0 && !units.is_empty() {
        out.push(json!({"unit": null, "name": null, "counts": t.json()}));
    }
    out
}

/// The status grouped by document: for each, the version that counts now
/// (in force, else the first coming one, else the newest: the one
/// [`status::status_of_current`] made the lines of), its counts per
/// standing, and beneath them the counts per unit (by the employees'
/// units on `today`; `unit` null for those in none).
fn by_document(state: &State, statuses: &[(VersionStatus, bool)], today: Date) -> Vec<Value> {
    let mut out = Vec::new();
    for document in state.document_ids() {
        let own: Vec<(usize, &VersionStatus, bool)> = statuses
            .iter()
            .enumerate()
            .filter(|(_, (s, _))| s.document.as_deref().unwrap_or(entry::RULES) == document)
            .map(|(i, (s, has))| (i, s, *has))
            .collect();
        // The version that counts now is the one whose lines were made.
        let current = own.iter().find(|(_, _, has)| *has);
        let title = state
            .document(document)
            .map(|d| d.title().to_string())
            .or_else(|| current.map(|(_, s, _)| s.title.clone()))
            .unwrap_or_default();
        let (version, counts, units) = match current {
            Some(&(index, s, _)) => (
                json!(index),
                Tally::of(s.lines.iter()).json(),
                per_unit(state, &s.lines, today),
            ),
            None => (Value::Null, Tally::default().json(), Vec::new()),
        };
        out.push(json!({
            "id": document, "title": title, "version": version,
            "versions": own.iter().map(|(i, _, _)| i).collect::<Vec<_>>(),
            "counts": counts, "units": units,
        }));
    }
    out
}

/// The administration's page, as the desk serves it: `summary` is every
/// version's status without its lines (`versions`, each with `counts`),
/// the status grouped by document and unit (`documents`, whose `version`
/// and `versions` are indexes into `versions`), every employee, with the
/// departures `planned` ahead; `lines[i]` is version `i`'s lines, which
/// the page asks for when it shows that version's table. On an
/// organisation's log the lines of every version are tens of megabytes:
/// the page asks only for those it shows.
#[derive(Debug, Clone)]
pub struct AdminPage {
    /// The page's JSON without the lines.
    pub summary: String,
    /// Each version's document (none for the implicit one) and SHA-256
    /// (hex), in the order of `versions`: what [`version_lines`] is asked.
    pub versions: Vec<(Option<String>, String)>,
    /// The log's size it reflects.
    pub size: u64,
    /// The writer's directory generation it was made at (set by the
    /// caller; see [`crate::writer::Directory::generation`]).
    pub generation: u64,
}

/// The administration's page (see [`AdminPage`]).
pub fn admin_page(state: &State, today: Date, size: u64, planned: &[Planned]) -> AdminPage {
    let statuses = status::status_of_current(state, today);
    let documents = by_document(state, &statuses, today);
    let numbers = annex_numbers(state);
    let mut keys = Vec::with_capacity(statuses.len());
    let versions: Vec<Value> = statuses
        .into_iter()
        .map(|(s, has)| {
            let pdf = pdf_path(&s.sha256);
            let annex = numbers.get(&s.sha256);
            // A version not counted here has its counts when its lines come.
            let counts = if has {
                Tally::of(s.lines.iter()).json()
            } else {
                Value::Null
            };
            keys.push((s.document.clone(), s.sha256.clone()));
            let mut s = s;
            s.lines = Vec::new();
            let mut v = serde_json::to_value(&s).unwrap_or(Value::Null);
            if let Some(o) = v.as_object_mut() {
                o.remove("lines");
            }
            v["counts"] = counts;
            v["pdf"] = Value::String(pdf);
            v["annex"] = json!(annex);
            v
        })
        .collect();
    let summary = json!({
        "body": state.issuer().map(|i| i.body.clone()),
        "origin": state.issuer().map(|i| i.origin.clone()),
        "today": format_date(today), "size": size,
        "versions": versions, "documents": documents, "employees": employees(state, today, planned),
        "units": state.units().iter().map(|u| json!({"id": u.id, "name": u.name})).collect::<Vec<_>>(),
    });
    AdminPage {
        summary: summary.to_string(),
        versions: keys,
        size,
        generation: 0,
    }
}

/// The lines of one version (of `document`, none for the implicit one, and
/// SHA-256 `sha256` in hex) on `today`, as JSON: the people's table of
/// that version on the administration's page.
pub fn version_lines(
    state: &State,
    today: Date,
    document: Option<&str>,
    sha256: &str,
) -> Option<String> {
    let filter = status::Filter {
        document: Some(document.unwrap_or(entry::RULES).to_string()),
        unit: None,
    };
    let statuses = status::status_of(state, today, &filter);
    let v = statuses.iter().find(|v| v.sha256 == sha256)?;
    serde_json::to_string(&v.lines).ok()
}

/// Every employee as the administration's page lists them.
fn employees(state: &State, today: Date, planned: &[Planned]) -> Vec<Value> {
    state
        .employees()
        .iter()
        .map(|e| {
            json!({
                "id": e.id, "name": e.name, "position": e.position,
                "enrolled": format_date(e.enrolled),
                "left": e.left.map(|(d, _)| format_date(d)),
                "leaving": planned.iter().find(|p| p.id == e.id).map(|p| format_date(p.date)),
                "keyid": e.current().map(|k| k.keyid.to_string()),
                "units": e.units_on(today),
            })
        })
        .collect()
}

/// The numbers [`annex`] knows the material versions by (their places
/// among the material versions in log order), by hex SHA-256.
fn annex_numbers(state: &State) -> std::collections::HashMap<String, usize> {
    state
        .versions()
        .iter()
        .filter(|p| p.version.material)
        .enumerate()
        .map(|(n, p)| (hex(&p.version.sha256), n))
        .collect()
}

fn unavailable(e: impl ToString) -> RequestError {
    RequestError::Unavailable(e.to_string())
}

/// The annex PDF of the `n`-th material version at the newest checkpoint,
/// with the time stamps kept for it, rendered by the built-in template:
/// the same bytes as `ackreg log annex` ([`ackreg_core::log::annex::make`]).
/// A kept token that is not a time stamp of the checkpoint is left out here
/// as there; the desk has no one to tell, `ackreg log annex` and the audit
/// name it.
pub fn annex(log: &LogDir, n: u64) -> Result<Vec<u8>, RequestError> {
    let (head, state) = log.committed().map_err(unavailable)?;
    let label = state
        .versions()
        .iter()
        .filter(|p| p.version.material)
        .nth(usize::try_from(n).unwrap_or(usize::MAX))
        .map(|p| p.version.label.clone())
        .ok_or(RequestError::NotFound)?;
    let template = ackreg_core::render::Template::builtin();
    let annex = ackreg_core::log::annex::make(log, &head, &state, &label, &template)
        .map_err(unavailable)?;
    Ok(annex.pdf)
}

/// The receipt of entry `index` against the newest checkpoint; with `own`,
/// only of an acknowledgement signed by that employee.
pub fn receipt(log: &LogDir, index: u64, own: Option<&str>) -> Result<Vec<u8>, RequestError> {
    let size = log.checkpoint().map_err(unavailable)?.checkpoint.size;
    if index >= size {
        return Err(RequestError::NotFound);
    }
    if let Some(id) = own {
        let bytes = log.entry(index).map_err(unavailable)?;
        let mine = matches!(entry::parse(&bytes), Ok(Entry::Ack(r)) if r.ack.employee.id == id);
        if !mine {
            return Err(RequestError::Forbidden);
        }
    }
    ackreg_core::log::receipt::make(log, index).map_err(unavailable)
}
