//! Departures recorded ahead of their day.
//!
//! In the log a `leave` entry ends the employee's key for every entry
//! after it, whatever its date (*Rules of the history*): written today for
//! next month, it would stop the employee from signing at once, although
//! they still work and still owe their acknowledgements. So when the
//! administration gives a departure date after today, the desk keeps it as
//! planned in `DIR/desk/departures.json` and writes the `leave` entry, with
//! that date, on the day itself (or at the first request after it, if the
//! desk was stopped then). Until then the employee signs in and signs as
//! before, and the status shows them as working there, which they are.
//!
//! The file is the desk's, not the log's: it is not audited, and a planned
//! departure is not part of the register until its entry is written. A
//! departure a named administrator asked for keeps their signed request
//! (the `request` entry, signed when they asked) and is written with it.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use time::Date;

use super::DeskError;
use ackreg_core::fsutil::{self, Overwrite};
use ackreg_core::log::entry::{format_date, parse_date};

/// The file in the desk's folder.
pub const FILE_NAME: &str = "departures.json";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedDeparture {
    id: String,
    date: String,
    /// The `request` entry signed by the administrator who asked, if one
    /// did (written right before the `leave` entry it names).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    request: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Saved {
    departures: Vec<SavedDeparture>,
}

/// One planned departure: who, and the first day they no longer work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    /// Employee identifier.
    pub id: String,
    /// The departure date.
    pub date: Date,
    /// The signed `request` entry that asked for it, if any.
    pub request: Option<String>,
}

/// The departures planned, kept in the desk's folder.
#[derive(Debug)]
pub struct Departures {
    path: PathBuf,
    planned: Mutex<Vec<Planned>>,
}

fn io(path: &Path, error: impl ToString) -> DeskError {
    DeskError::Io {
        path: path.to_path_buf(),
        error: std::io::Error::other(error.to_string()),
    }
}

impl Departures {
    /// Reads the planned departures in `dir` (none if the file is absent).
    pub fn load(dir: &Path) -> Result<Departures, DeskError> {
        let path = dir.join(FILE_NAME);
        let saved: Saved = super::load_saved(&path, 16 * 1024 * 1024)?;
        let planned = saved
            .departures
            .into_iter()
            .map(|d| match parse_date(&d.date) {
                Some(date) => Ok(Planned {
                    id: d.id,
                    date,
                    request: d.request,
                }),
                None => Err(io(
                    &path,
                    format!("the departure date of {} is not a real date", d.id),
                )),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Departures {
            path,
            planned: Mutex::new(planned),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Planned>> {
        self.planned
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn save(&self, planned: &[Planned]) -> Result<(), DeskError> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(|error| DeskError::Io {
                path: dir.to_path_buf(),
                error,
            })?;
        }
        let saved = Saved {
            departures: planned
                .iter()
                .map(|p| SavedDeparture {
                    id: p.id.clone(),
                    date: format_date(p.date),
                    request: p.request.clone(),
                })
                .collect(),
        };
        let mut bytes = serde_json::to_vec_pretty(&saved).unwrap_or_default();
        bytes.push(b'\n');
        fsutil::write_atomic(&self.path, &bytes, Overwrite::Replace, Some(0o600))?;
        Ok(())
    }

    /// Plans the departure of `id` on `date`, replacing an earlier plan.
    pub fn plan(&self, id: &str, date: Date) -> Result<(), DeskError> {
        self.plan_with(id, date, None)
    }

    /// Plans the departure of `id` on `date` that an administrator asked
    /// for: `request` is the signed `request` entry naming its `leave`
    /// entry, written with it on the day.
    pub fn plan_with(
        &self,
        id: &str,
        date: Date,
        request: Option<String>,
    ) -> Result<(), DeskError> {
        let mut planned = self.lock();
        planned.retain(|p| p.id != id);
        planned.push(Planned {
            id: id.to_string(),
            date,
            request,
        });
        self.save(&planned)
    }

    /// Forgets the plan for `id` (their departure was written).
    pub fn cancel(&self, id: &str) -> Result<(), DeskError> {
        let mut planned = self.lock();
        let before = planned.len();
        planned.retain(|p| p.id != id);
        if planned.len() == before {
            return Ok(());
        }
        self.save(&planned)
    }

    /// The planned departure date of `id`, if any.
    pub fn of(&self, id: &str) -> Option<Date> {
        self.lock().iter().find(|p| p.id == id).map(|p| p.date)
    }

    /// Every planned departure.
    pub fn all(&self) -> Vec<Planned> {
        self.lock().clone()
    }

    /// Whether a departure is due on `today` (dated today or before).
    pub fn any_due(&self, today: Date) -> bool {
        self.lock().iter().any(|p| p.date <= today)
    }

    /// Takes the departures due on `today` (dated today or before) out of
    /// the plan in memory, for their entries to be written; the file keeps
    /// them until [`Departures::cancel`]. Put one back with
    /// [`Departures::restore`] if its entry could not be written.
    pub fn take_due(&self, today: Date) -> Vec<Planned> {
        let mut planned = self.lock();
        let (due, later): (Vec<Planned>, Vec<Planned>) =
            planned.drain(..).partition(|p| p.date <= today);
        *planned = later;
        due
    }

    /// Puts back a departure taken by [`Departures::take_due`] whose
    /// entry was not written (unless a new plan replaced it meanwhile).
    pub fn restore(&self, departure: Planned) {
        let mut planned = self.lock();
        if !planned.iter().any(|p| p.id == departure.id) {
            planned.push(departure);
        }
    }

    /// Removes `id` from the file once its entry is written (it is out of
    /// the memory already).
    pub fn written(&self, id: &str) -> Result<(), DeskError> {
        let planned = self.lock();
        self.save(
            &planned
                .iter()
                .filter(|p| p.id != id)
                .cloned()
                .collect::<Vec<_>>(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        parse_date(s).unwrap()
    }

    #[test]
    fn plans_survive_a_restart_and_fall_due_on_their_day() {
        let dir = tempfile::tempdir().unwrap();
        let p = Departures::load(dir.path()).unwrap();
        p.plan("a", d("2030-01-10")).unwrap();
        p.plan("b", d("2030-02-01")).unwrap();
        p.plan("a", d("2030-01-15")).unwrap();
        let again = Departures::load(dir.path()).unwrap();
        assert_eq!(again.of("a"), Some(d("2030-01-15")));
        assert!(again.take_due(d("2030-01-14")).is_empty());
        let due = again.take_due(d("2030-01-15"));
        assert_eq!(due.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(), ["a"]);
        assert_eq!(again.of("a"), None);
        assert_eq!(
            Departures::load(dir.path()).unwrap().of("a"),
            Some(d("2030-01-15"))
        );
        again.written("a").unwrap();
        assert_eq!(Departures::load(dir.path()).unwrap().of("a"), None);
        again.restore(due[0].clone());
        assert_eq!(again.of("a"), Some(d("2030-01-15")));
        again.cancel("b").unwrap();
        assert_eq!(again.all().len(), 1);
        // A signed request is kept with its plan; files without one load.
        again
            .plan_with("c", d("2030-03-01"), Some("{\"kind\":\"request\"}".into()))
            .unwrap();
        let loaded = Departures::load(dir.path()).unwrap();
        let c = loaded.all().into_iter().find(|p| p.id == "c").unwrap();
        assert_eq!(c.request.as_deref(), Some("{\"kind\":\"request\"}"));
        let a = loaded.all().into_iter().find(|p| p.id == "a").unwrap();
        assert_eq!(a.request, None);
        let text = std::fs::read_to_string(dir.path().join(FILE_NAME)).unwrap();
        assert_eq!(text.matches("\"request\":").count(), 1, "{text}");
    }
}
