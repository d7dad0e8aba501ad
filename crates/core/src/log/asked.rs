//! Who did what: the administrators of a log and the requests they made
//! (log format 0.4), as `ackreg log admins` and `log status` report them.

use serde::Serialize;

use super::entry::format_date;
use super::state::{Request, State};

/// One key of an administrator, as reports list it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AdminKeyRow {
    /// The key id.
    pub keyid: String,
    /// Its first day.
    pub from: String,
    /// The first day of the next key, if replaced.
    pub until: Option<String>,
    /// The `admin` entry.
    pub entry: u64,
}

/// An administrator, as `ackreg log admins` lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AdminRow {
    /// Identifier.
    pub id: String,
    /// Name (the latest `admin` entry's).
    pub name: String,
    /// The current key's id.
    pub keyid: String,
    /// The first day of their first key.
    pub from: String,
    /// The first day they are no longer an administrator, if dismissed.
    pub until: Option<String>,
    /// Their keys, oldest first.
    pub keys: Vec<AdminKeyRow>,
    /// The number of their requests in the log.
    pub requests: usize,
}

/// Who asked for entries: one accepted request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AskedBy {
    /// The request's entry.
    pub entry: u64,
    /// The administrator's identifier.
    pub admin: String,
    /// Their name when they signed (that of the key's `admin` entry).
    pub name: String,
    /// The request's date.
    pub date: String,
    /// What was asked, in words.
    pub action: String,
    /// The entries it authorised.
    pub entries: Vec<u64>,
}

/// Every administrator of `state`, in the order they came into the log.
pub fn admin_rows(state: &State) -> Vec<AdminRow> {
    state
        .admins()
        .iter()
        .enumerate()
        .map(|(a, admin)| AdminRow {
            id: admin.id.clone(),
            name: admin.name().to_string(),
            keyid: admin
                .current()
                .map(|k| k.keyid.to_string())
                .unwrap_or_default(),
            from: admin.from().map(format_date).unwrap_or_default(),
            until: admin.until().map(format_date),
            keys: admin
                .keys
                .iter()
                .map(|k| AdminKeyRow {
                    keyid: k.keyid.to_string(),
                    from: format_date(k.from),
                    until: k.replaced.map(|(d, _)| format_date(d)),
                    entry: k.entry,
                })
                .collect(),
            requests: state
                .requests()
                .iter()
                .filter(|r| r.admin as usize == a)
                .count(),
        })
        .collect()
}

/// A request as reports show it.
pub fn asked_by(state: &State, r: &Request) -> AskedBy {
    let admin = state.admins().get(r.admin as usize);
    let name = admin.and_then(|a| a.keys.get(r.key as usize).map(|k| k.name.as_str()));
    AskedBy {
        entry: r.entry,
        admin: admin.map(|a| a.id.clone()).unwrap_or_default(),
        name: name.unwrap_or_default().to_string(),
        date: format_date(r.date),
        action: r.action.clone(),
        entries: r.entries().collect(),
    }
}

/// Who asked for entry `index`, if an administrator did.
pub fn asked_for(state: &State, index: u64) -> Option<AskedBy> {
    state.request_for(index).map(|r| asked_by(state, r))
}

/// Every request, in log order.
pub fn requests(state: &State) -> Vec<AskedBy> {
    state
        .requests()
        .iter()
        .map(|r| asked_by(state, r))
        .collect()
}
