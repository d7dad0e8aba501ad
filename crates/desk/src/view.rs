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

/// The newest version (a correction, or the material version itself) of
/// the material version `s`: the text an employee reads and signs now.
fn newest<'a>(state: &'a State, s: &VersionStatus) -> Option<&'a entry::Version> {
    let label = s.corrections.last().unwrap_or(&s.label);
    state.version_by_label(label).map(|(_, p)| &p.version)
}

/// The employee's page: who they are and, for each version that concerns
/// them, where they stand and what they would sign. `None` if `keyid` is
/// not their current key any more.
pub fn employee(state: &State, id: &str, keyid: &KeyId, today: Date) -> Option<Value> {
    let e = state.employee(id)?;
    if e.current().map(|k| k.keyid) != Some(*keyid) {
        return None;
    }
    let versions: Vec<Value> = status::status(state, today)
        .iter()
        .filter_map(|s| {
            let line = s.lines.iter().find(|l| l.id == id)?;
            let v = newest(state, s)?;
            let open = matches!(line.standing, Standing::Outstanding | Standing::Overdue);
            Some(json!({
                "label": v.label, "title": v.title, "sha256": hex(&v.sha256),
                "pdf": pdf_path(&hex(&v.sha256)), "effective": s.effective,
                "deadline": line.deadline, "standing": line.standing,
                "signed": line.signed, "entry": line.entry,
                "phase": s.phase, "can_sign": open && s.phase.signable(),
            }))
        })
        .collect();
    Some(json!({
        "id": e.id, "name": e.name, "position": e.position, "keyid": keyid.to_string(),
        "today": format_date(today), "versions": versions,
    }))
}

/// The administration's page: every version's status, every employee,
/// with the departures `planned` ahead.
pub fn admin(state: &State, today: Date, size: u64, planned: &[Planned]) -> Value {
    let versions: Vec<Value> = status::status(state, today)
        .into_iter()
        .map(|s| {
            let pdf = pdf_path(&s.sha256);
            let mut v = serde_json::to_value(&s).unwrap_or(Value::Null);
            v["pdf"] = Value::String(pdf);
            v
        })
        .collect();
    let employees: Vec<Value> = state
        .employees()
        .iter()
        .map(|e| {
            json!({
                "id": e.id, "name": e.name, "position": e.position,
                "enrolled": format_date(e.enrolled),
                "left": e.left.map(|(d, _)| format_date(d)),
                "leaving": planned.iter().find(|p| p.id == e.id).map(|p| format_date(p.date)),
                "keyid": e.current().map(|k| k.keyid.to_string()),
            })
        })
        .collect();
    let issuer = state.issuer();
    json!({
        "body": issuer.map(|i| i.body.clone()), "origin": issuer.map(|i| i.origin.clone()),
        "today": format_date(today), "size": size,
        "versions": versions, "employees": employees,
    })
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
