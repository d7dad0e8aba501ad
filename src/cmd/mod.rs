//! Subcommands of the `ackreg` binary, one module each, and the error type
//! the binary shows to people.

use std::fmt::Display;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use ackreg::Hint;

mod audit;
mod demo;
mod demolog;
mod export;
mod keygen;
mod keyring;
mod log;
mod logverify;
mod passphrase;
mod register;
mod render;
mod serve;
mod sign;
mod verify;

/// Render official rules as a reproducible PDF and keep a verifiable register
/// of signed acknowledgements.
///
/// The administration renders the rules and seals the register, employees
/// sign that they have read them, auditors verify everything offline.
///
/// Exit codes: 0 success or valid, 1 verification failed, 2 usage or input error.
#[derive(Debug, Parser)]
#[command(name = "ackreg", version, about, long_about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Demo(demo::Args),
    Render(render::Args),
    Keygen(keygen::Args),
    Keyring(keyring::Args),
    Sign(sign::Args),
    Register(register::Args),
    Verify(verify::Args),
    Log(log::Args),
    Export(export::Args),
    Serve(serve::Args),
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<ExitCode, CliError> {
    match cli.command {
        Command::Demo(args) => demo::run(args),
        Command::Render(args) => render::run(args),
        Command::Keygen(args) => keygen::run(args),
        Command::Keyring(args) => keyring::run(args),
        Command::Sign(args) => sign::run(args),
        Command::Register(args) => register::run(args),
        Command::Verify(args) => verify::run(args),
        Command::Log(args) => log::run(args),
        Command::Export(args) => export::run(args),
        Command::Serve(args) => serve::run(args),
    }
}

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
    pub fn file<E: std::error::Error + Hint>(path: &Path, err: E) -> Self {
        let mut e = Self::lib(err);
        e.message = format!("{}: {}", path.display(), e.message);
        e
    }

    /// Wraps a library error whose message already names what it concerns,
    /// followed by its causes (`message: cause: cause of the cause`).
    pub fn lib<E: std::error::Error + Hint>(err: E) -> Self {
        let mut message = err.to_string();
        let mut source = err.source();
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        CliError::input(message).with_hint(err.hint())
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
    ) -> Result<ackreg::keyring::Entry, CliError> {
        ackreg::keyring::Entry::new(&self.id, &self.name, self.position.as_deref(), key)
            .map_err(CliError::lib)
    }
}

/// Takes the lock guarding `target` (`TARGET.lock`), saying on standard
/// error who holds it when this run has to wait; with `no_wait` a held lock
/// is an error instead.
pub fn lock(target: &Path, no_wait: bool) -> Result<ackreg::fsutil::Lock, CliError> {
    use ackreg::fsutil::{Lock, Wait};
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
pub fn step_line(number: impl Display, name: &str, status: &str, detail: &str) -> String {
    let mark = match status {
        "passed" => "[ok]  ",
        "failed" => "[FAIL]",
        _ => "[skip]",
    };
    format!("  {number}. {mark} {name}: {detail}")
}

/// Writes lines to standard output; a closed pipe is not an error.
pub fn out(text: impl Display) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{text}");
}
