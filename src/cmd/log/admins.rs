//! `ackreg log admin`, `dismiss`, `admins` and `request`: named
//! administrators (log format 0.4). The library decides (the entries and
//! their rules, `ackreg_core::log::request`); this parses and presents.

use std::path::PathBuf;
use std::process::ExitCode;

use ackreg_core::fsutil::read_limited;
use ackreg_core::keys::KeyId;
use ackreg_core::log::asked::{self, AdminRow, AskedBy};
use ackreg_core::log::entry::{self, format_date, MAX_ENTRY};
use ackreg_core::log::request::{self, MAX_ACTION_LEN};
use ackreg_core::log::LogDir;

use super::{date_arg, id_arg, lib, open, print_head, text_arg, WriteArgs};
use crate::cmd::common::{out, passphrase, CliError};

#[derive(Debug, clap::Args)]
pub(super) struct AdminArgs {
    #[command(flatten)]
    write: WriteArgs,
    /// The administrator's identifier: a-z, 0-9, '.', '_', '-' (1 to 64);
    /// their own, apart from employees' identifiers.
    #[arg(long)]
    id: String,
    /// The administrator's full name.
    #[arg(long)]
    name: String,
    /// The administrator's public key (SPKI PEM); for an administrator
    /// already there, their new key.
    #[arg(long, value_name = "PEM")]
    public_key: PathBuf,
    /// First day the key signs requests, YYYY-MM-DD [default: today].
    #[arg(long)]
    date: Option<String>,
}

#[derive(Debug, clap::Args)]
pub(super) struct DismissArgs {
    #[command(flatten)]
    write: WriteArgs,
    /// The administrator's identifier.
    #[arg(long)]
    id: String,
    /// The first day they are no longer an administrator, YYYY-MM-DD
    /// [default: today].
    #[arg(long)]
    date: Option<String>,
}

#[derive(Debug, clap::Args)]
pub(super) struct AdminsArgs {
    /// The log's folder.
    #[arg(value_name = "DIR")]
    log: PathBuf,
    /// Print JSON: the administrators and every request.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
pub(super) struct RequestArgs {
    #[command(flatten)]
    write: WriteArgs,
    /// The administrator's private key (PKCS#8 PEM), which signs the request.
    #[arg(long, value_name = "KEY")]
    admin_key: PathBuf,
    /// The administrator's identifier.
    #[arg(long)]
    admin: String,
    /// What is asked, in words, e.g. "publish darba-kartiba 2".
    #[arg(long)]
    action: String,
    /// The request's date, YYYY-MM-DD [default: today].
    #[arg(long)]
    date: Option<String>,
    /// Files of the entries asked for, one entry a line, in order.
    #[arg(value_name = "ENTRIES", required = true)]
    entries: Vec<PathBuf>,
}

/// `ackreg log admin`.
pub(super) fn admin(a: AdminArgs) -> Result<ExitCode, CliError> {
    let id = id_arg("id", &a.id)?;
    let name = text_arg("name", &a.name)?;
    let key = super::public_key_file(&a.public_key)?;
    let date = date_arg("date", a.date.as_deref())?;
    out(format!(
        "administrator {name} ({id}) with key {} from {}",
        KeyId::of(&key),
        format_date(date)
    ));
    super::append_one(&a.write, |_| {
        entry::admin_bytes(&id, &name, &key, date).map_err(lib)
    })
}

/// `ackreg log dismiss`.
pub(super) fn dismiss(a: DismissArgs) -> Result<ExitCode, CliError> {
    let id = id_arg("id", &a.id)?;
    let date = date_arg("date", a.date.as_deref())?;
    out(format!(
        "administrator {id} is dismissed from {}",
        format_date(date)
    ));
    super::append_one(&a.write, |_| entry::dismiss_bytes(&id, date).map_err(lib))
}

/// `ackreg log admins`.
pub(super) fn list(a: AdminsArgs) -> Result<ExitCode, CliError> {
    let log = LogDir::new(&a.log);
    let (_, state) = log.committed().map_err(|e| CliError::file(&a.log, e))?;
    let admins = asked::admin_rows(&state);
    let requests = asked::requests(&state);
    if a.json {
        let listing = Listing {
            admins: &admins,
            requests: &requests,
        };
        out(serde_json::to_string_pretty(&listing).map_err(|e| CliError::input(e.to_string()))?);
        return Ok(ExitCode::SUCCESS);
    }
    if admins.is_empty() {
        out("no administrators in the log");
    }
    for row in &admins {
        print_admin(row);
    }
    Ok(ExitCode::SUCCESS)
}

/// `log admins --json`: the administrators, then every request.
#[derive(serde::Serialize)]
struct Listing<'a> {
    admins: &'a [AdminRow],
    requests: &'a [AskedBy],
}

fn print_admin(row: &AdminRow) {
    let until = row
        .until
        .as_deref()
        .map(|d| format!(" until {d}"))
        .unwrap_or_default();
    out(format!(
        "{:<16} {:<28} from {}{until}, key {}, {} request(s)",
        row.id, row.name, row.from, row.keyid, row.requests
    ));
}

/// The "asked by" lines of `log status`: the newest `last` requests.
pub(super) fn print_asked_by(requests: &[AskedBy], last: usize) {
    if requests.is_empty() {
        return;
    }
    let from = requests.len().saturating_sub(last);
    out(format!(
        "asked by administrators ({} request(s){}):",
        requests.len(),
        if from > 0 {
            format!(", the last {last}")
        } else {
            String::new()
        }
    ));
    for r in &requests[from..] {
        out(format!(
            "  entry {} {} {} ({}): {} -> {}",
            r.entry,
            r.date,
            r.name,
            r.admin,
            r.action,
            entries_text(&r.entries)
        ));
    }
}

/// "entry 5" or "entries 5-9".
fn entries_text(entries: &[u64]) -> String {
    match entries {
        [one] => format!("entry {one}"),
        [first, .., last] => format!("entries {first}-{last}"),
        [] => "no entry".into(),
    }
}

/// The entries of the files, one a line, in order.
fn entry_files(paths: &[PathBuf]) -> Result<Vec<Vec<u8>>, CliError> {
    let mut entries = Vec::new();
    for path in paths {
        let limit = (MAX_ENTRY + 1) * request::MAX_REQUEST_ENTRIES;
        let bytes = read_limited(path, limit).map_err(|e| CliError::file(path, e))?;
        for line in bytes.split(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if !line.is_empty() {
                entries.push(line.to_vec());
            }
        }
    }
    Ok(entries)
}

/// `ackreg log request`: the administrator's signed request, then the
/// entries it asks for, committed together.
pub(super) fn request(a: RequestArgs) -> Result<ExitCode, CliError> {
    let admin = id_arg("admin", &a.admin)?;
    let action = ackreg_core::text::normalize(&a.action, MAX_ACTION_LEN, false)
        .map_err(|e| CliError::input(format!("--action {e}")))?;
    let date = date_arg("date", a.date.as_deref())?;
    let entries = entry_files(&a.entries)?;
    let admin_key = passphrase::read_secret_key(&a.admin_key)?;
    let mut appender = open(&a.write)?;
    let origin = appender
        .state()
        .issuer()
        .map(|i| i.origin.clone())
        .unwrap_or_default();
    let made = request::request_entry(&admin_key, &origin, &admin, date, &action, &entries)
        .map_err(|e| CliError::input(e.to_string()))?;
    let fail = |e| CliError::file(&a.write.log, e);
    let added = appender.add_bytes(made).map_err(fail)?;
    out(format!(
        "appended request entry {} by {admin}: {action}",
        added.index
    ));
    for bytes in entries {
        let added = appender.add_bytes(bytes).map_err(fail)?;
        out(format!("appended entry {}", added.index));
    }
    let committed = appender.commit().map_err(fail)?;
    print_head(&committed.checkpoint);
    Ok(ExitCode::SUCCESS)
}
