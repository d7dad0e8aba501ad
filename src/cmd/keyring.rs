//! `ackreg keyring`: add someone else's public key, list the employees.

use std::path::PathBuf;
use std::process::ExitCode;

use ackreg_core::fsutil::{Overwrite, WriteError};
use ackreg_core::keyring::{self, Keyring, KeyringError};
use ackreg_core::keys;

use super::common::{out, CliError};

/// Manage the keyring: the employees and their public keys.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: KeyringCommand,
}

#[derive(Debug, clap::Subcommand)]
enum KeyringCommand {
    Add(AddArgs),
    List(ListArgs),
}

/// Add an employee whose public key was made elsewhere (SPKI PEM, e.g.
/// from `openssl pkey -pubout`).
#[derive(Debug, clap::Args)]
struct AddArgs {
    #[command(flatten)]
    employee: super::common::EmployeeArgs,

    /// The employee's Ed25519 public key, SubjectPublicKeyInfo PEM.
    #[arg(long, value_name = "FILE.pem")]
    public_key: PathBuf,

    /// The keyring folder (created if missing).
    #[arg(long, value_name = "DIR", default_value = "keys")]
    keyring: PathBuf,

    /// Fail at once when another run is changing the keyring, instead of
    /// waiting for it.
    #[arg(long)]
    no_wait: bool,
}

/// The error of writing the employee's public key file. `keyring add` has
/// no `--force`: a file left under the identifier is the person's to judge.
fn key_file_error(e: KeyringError) -> CliError {
    let exists = matches!(e, KeyringError::Write(WriteError::Exists(_)));
    let err = CliError::lib(e);
    if exists {
        return err.with_hint(Some(
            "another public key is kept under this identifier: choose another --id, or remove \
             that file if it is stale"
                .into(),
        ));
    }
    err
}

/// List the employees in the keyring.
#[derive(Debug, clap::Args)]
struct ListArgs {
    /// The keyring folder.
    #[arg(long, value_name = "DIR", default_value = "keys")]
    keyring: PathBuf,
}

pub fn run(args: Args) -> Result<ExitCode, CliError> {
    match args.command {
        KeyringCommand::Add(a) => add(a),
        KeyringCommand::List(a) => list(a),
    }
}

fn add(args: AddArgs) -> Result<ExitCode, CliError> {
    let ring_path = keyring::keyring_path(&args.keyring);
    let pem = ackreg_core::fsutil::read_limited(&args.public_key, keys::MAX_PEM_FILE)
        .map_err(|e| CliError::file(&args.public_key, e))?;
    let key = keys::decode_public_key(&pem).map_err(|e| CliError::file(&args.public_key, e))?;
    let entry = args.employee.entry(key)?;
    // Read, change and write the keyring under its lock, so that two runs
    // at once cannot lose each other's entries.
    let (_lock, mut ring) = super::common::open_for_change(&args.keyring, &entry, args.no_wait)?;
    keyring::write_public_key(&args.keyring, &entry, Overwrite::Refuse).map_err(key_file_error)?;
    let keyid = entry.keyid();
    ring.add(entry).map_err(|e| CliError::file(&ring_path, e))?;
    ring.save(&args.keyring).map_err(CliError::lib)?;
    out(format!(
        "added {} to {}",
        args.employee.id(),
        ring_path.display()
    ));
    out(format!("key id: {keyid}"));
    Ok(ExitCode::SUCCESS)
}

fn list(args: ListArgs) -> Result<ExitCode, CliError> {
    let ring_path = keyring::keyring_path(&args.keyring);
    let ring = Keyring::load(&args.keyring).map_err(|e| CliError::file(&ring_path, e))?;
    for e in ring.entries() {
        let position = e
            .position
            .as_deref()
            .map(|p| format!(", {p}"))
            .unwrap_or_default();
        out(format!("{}  {}  {}{position}", e.keyid(), e.id, e.name));
    }
    Ok(ExitCode::SUCCESS)
}
