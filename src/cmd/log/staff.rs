//! `ackreg log staff`: the staff list from the HR system compared with the
//! log, and with `--apply` written to it. The library reads the file and
//! plans the entries (`ackreg_core::staff`); this only presents the plan and
//! appends it.

use std::path::PathBuf;
use std::process::ExitCode;

use ackreg_core::fsutil::{read_limited, Wait};
use ackreg_core::log::append::{Appender, TreeSource};
use ackreg_core::log::LogDir;
use ackreg_core::staff::{self, Plan};

use crate::cmd::common::{out, passphrase, CliError};

#[derive(Debug, clap::Args)]
pub(super) struct StaffArgs {
    /// The log's folder.
    #[arg(value_name = "DIR")]
    log: PathBuf,
    /// The staff file from the HR system: CSV with a header row, ';' or ','
    /// separated, UTF-8 (README, "Staff from the HR system").
    #[arg(long, value_name = "FILE")]
    csv: PathBuf,
    /// Write the changes to the log (needs --issuer-key); without it, only
    /// print them.
    #[arg(long, requires = "issuer_key")]
    apply: bool,
    /// The issuer's private key (PKCS#8 PEM), for --apply.
    #[arg(long, value_name = "KEY")]
    issuer_key: Option<PathBuf>,
    /// The day of the import: moves, name changes and departures of people
    /// missing from the file are dated so, YYYY-MM-DD [default: today].
    #[arg(long)]
    date: Option<String>,
    /// Print the changes as JSON.
    #[arg(long)]
    json: bool,
}

pub(super) fn run(a: StaffArgs) -> Result<ExitCode, CliError> {
    let bytes =
        read_limited(&a.csv, staff::MAX_STAFF_FILE).map_err(|e| CliError::file(&a.csv, e))?;
    let rows = staff::parse(&bytes).map_err(|e| CliError::file(&a.csv, e))?;
    let day = super::date_arg("date", a.date.as_deref())?;
    match (a.apply, a.issuer_key.as_ref()) {
        (true, Some(key)) => apply(&a, key, &rows, day),
        _ => {
            let log = LogDir::new(&a.log);
            let (_, state) = log.committed().map_err(|e| CliError::file(&a.log, e))?;
            let plan = plan_for(&a, &state, &rows, day)?;
            show(&a, &plan)?;
            if !plan.is_empty() {
                out("nothing written: give --apply and --issuer-key to write these entries");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn plan_for(
    a: &StaffArgs,
    state: &ackreg_core::log::state::State,
    rows: &[staff::StaffRow],
    day: time::Date,
) -> Result<Plan, CliError> {
    let current = staff::current_of(state, day);
    staff::plan(rows, &current, &staff::units_of(state), day).map_err(|e| CliError::file(&a.csv, e))
}

fn show(a: &StaffArgs, plan: &Plan) -> Result<(), CliError> {
    if a.json {
        out(serde_json::to_string_pretty(plan).map_err(|e| CliError::input(e.to_string()))?);
    } else {
        out(plan.to_string().trim_end());
    }
    Ok(())
}

/// Plans against the log as the lock holder sees it, adds every entry, and
/// commits them together: one refused entry and nothing is written.
fn apply(
    a: &StaffArgs,
    key: &std::path::Path,
    rows: &[staff::StaffRow],
    day: time::Date,
) -> Result<ExitCode, CliError> {
    let key = passphrase::read_secret_key(key)?;
    // The desk holds the lock only while it commits: this waits for that.
    let on_wait = |path: &std::path::Path, holder: &str| {
        eprintln!(
            "waiting: {} is held by another ackreg run ({holder})",
            path.display()
        );
    };
    let mut appender = Appender::open(&a.log, key, Wait::Yes, on_wait, TreeSource::Files)
        .map_err(|e| CliError::file(&a.log, e))?;
    let plan = plan_for(a, appender.state(), rows, day)?;
    show(a, &plan)?;
    if plan.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    for change in &plan.changes {
        let bytes = staff::entry_of(change).map_err(CliError::lib)?;
        appender
            .add_bytes(bytes)
            .map_err(|e| CliError::file(&a.log, e))?;
    }
    let committed = appender.commit().map_err(|e| CliError::file(&a.log, e))?;
    out(format!(
        "appended {} entries; checkpoint: {} entries",
        plan.changes.len(),
        committed.checkpoint.checkpoint.size
    ));
    Ok(ExitCode::SUCCESS)
}
