//! What the command modules share: the error shown to people, printing,
//! the lock of a file, the employee's arguments, passphrases, writing a
//! file, and the printed reports of the audits (`verify` prints them, and
//! so does `demo`).
//!
//! Hints: the library's say what to do in words; the hint lines that name
//! an option, a command or `ACKREG_PASSPHRASE` are all in [`hints`]
//! ([`CliHint`], per library error variant), or, where only the call site
//! knows which option fed the input, given there with
//! [`CliError::with_hint`].

use std::fmt::Display;
use std::io::Write;
use std::path::Path;

use ackreg_core::keyring::{self, Entry, Keyring};
use ackreg_core::outcome::{Status, StepId, StepResult};
pub use hints::CliHint;

pub mod audit;
pub mod hints;
pub mod logaudit;
pub mod passphrase;

/// An error as shown to a person: one `error:` line, optional `hint:` line,
/// and the exit code.
#[derive(Debug)]
pub struct CliError {
    pub message: String,
    pub hint: Option<String>,
    pub code: u8,
}

impl CliError {
    /// Unusable input or a failed operation: exit code 2.
    pub fn input(message: impl Display) -> Self {
        CliError {
            message: message.to_string(),
            hint: None,
            code: 2,
        }
    }

    /// Adds a hint line.
    pub fn with_hint(mut self, hint: Option<String>) -> Self {
        if hint.is_some() {
            self.hint = hint;
        }
        self
    }

    /// Wraps a library error, naming the file it concerns.
    pub fn file<E: CliHint>(path: &Path, err: E) -> Self {
        let mut e = Self::lib(err);
        e.message = format!("{}: {}", path.display(), e.message);
        e
    }

    /// Wraps a library error whose message already names what it concerns,
    /// followed by its causes (`message: cause: cause of the cause`), and
    /// its hint as the command line words it ([`CliHint`]).
    pub fn lib<E: CliHint>(err: E) -> Self {
        let mut message = err.to_string();
        let mut source = err.source();
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        CliError::input(message).with_hint(err.cli_hint())
    }

    /// Prints the error to standard error.
    pub fn print(&self) {
        let mut stderr = std::io::stderr().lock();
        let _ = writeln!(stderr, "error: {}", self.message);
        if let Some(hint) = &self.hint {
            let _ = writeln!(stderr, "hint: {hint}");
        }
    }
}

/// Who an employee is, as `keygen` and `keyring add` take it.
#[derive(Debug, clap::Args)]
pub struct EmployeeArgs {
    /// The employee's full name, e.g. "Jānis Bērziņš".
    #[arg(long)]
    name: String,

    /// The employee's identifier: a-z, 0-9, '.', '_', '-' (1 to 64).
    #[arg(long)]
    id: String,

    /// The employee's position.
    #[arg(long)]
    position: Option<String>,
}

impl EmployeeArgs {
    /// The identifier as typed.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The keyring entry of this employee with `key` (names normalised).
    pub fn entry(
        &self,
        key: ed25519_dalek::VerifyingKey,
    ) -> Result<ackreg_core::keyring::Entry, CliError> {
        ackreg_core::keyring::Entry::new(&self.id, &self.name, self.position.as_deref(), key)
            .map_err(CliError::lib)
    }
}

/// Takes the lock guarding `target` (`TARGET.lock`), saying on standard
/// error who holds it when this run has to wait; with `no_wait` a held lock
/// is an error instead.
pub fn lock(target: &Path, no_wait: bool) -> Result<ackreg_core::fsutil::Lock, CliError> {
    use ackreg_core::fsutil::{Lock, Wait};
    let wait = if no_wait { Wait::No } else { Wait::Yes };
    Lock::acquire(target, wait, |path, holder| {
        if !no_wait {
            let mut stderr = std::io::stderr().lock();
            let _ = writeln!(
                stderr,
                "waiting: {} is held by another ackreg run ({holder})",
                path.display()
            );
        }
    })
    .map_err(CliError::lib)
}

/// One numbered step of a verification report as printed: `  3. [ok]   name: detail`.
/// The one place a step's result becomes a line.
pub fn step_line<S: StepId>(s: &StepResult<S>) -> String {
    let mark = match s.status {
        Status::Passed => "[ok]  ",
        Status::Failed => "[FAIL]",
        Status::Skipped => "[skip]",
    };
    format!(
        "  {}. {mark} {}: {}",
        s.step.number(),
        s.step.name(),
        s.detail
    )
}

/// Writes lines to standard output; a closed pipe is not an error.
pub fn out(text: impl Display) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{text}");
}

/// The current UTC time as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn now_utc() -> String {
    ackreg_core::register::format_sealed_at(time::UtcDateTime::now())
}

/// Opens the keyring in `dir` for adding `entry`: creates the folder, takes
/// the keyring's lock (held until the returned guard is dropped), removes
/// temporary files of killed runs, reads the keyring as it is now, and
/// checks that `entry`'s identifier and key are new.
pub fn open_for_change(
    dir: &Path,
    entry: &Entry,
    no_wait: bool,
) -> Result<(ackreg_core::fsutil::Lock, Keyring), CliError> {
    let ring_path = keyring::keyring_path(dir);
    std::fs::create_dir_all(dir).map_err(|e| {
        CliError::input(format!("{}: cannot create the folder: {e}", dir.display()))
    })?;
    let lock = lock(&ring_path, no_wait)?;
    ackreg_core::fsutil::remove_stale_temps(&ring_path);
    let ring = Keyring::load_or_empty(dir).map_err(|e| CliError::file(&ring_path, e))?;
    ring.check_new(entry)
        .map_err(|e| CliError::file(&ring_path, e))?;
    Ok((lock, ring))
}

/// Writes a file of the demo (creating its folder), replacing it.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    ackreg_core::fsutil::write_atomic(path, bytes, ackreg_core::fsutil::Overwrite::Replace, None)
        .map_err(CliError::lib)
}
