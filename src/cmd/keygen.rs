//! `ackreg keygen`: an employee's Ed25519 key pair, entered in the keyring.

use std::path::PathBuf;
use std::process::ExitCode;

use ackreg_core::fsutil::{write_atomic, Overwrite};
use ackreg_core::keyring::{self, Keyring};
use ackreg_core::keys;

use super::common::{out, passphrase, CliError};

/// Make an Ed25519 key pair for an employee and add them to the keyring.
///
/// The private key is written as PKCS#8 PEM with mode 0600, encrypted with
/// a passphrase (PBES2: scrypt and AES-256-CBC) unless --unencrypted. The
/// passphrase comes from ACKREG_PASSPHRASE or is asked twice. The public
/// key goes to DIR/ID.pub.pem and the employee to DIR/keyring.json.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    employee: super::common::EmployeeArgs,

    /// The keyring folder (created if missing).
    #[arg(long, value_name = "DIR", default_value = "keys")]
    keyring: PathBuf,

    /// Where to write the private key [default: ./ID.key].
    #[arg(long, value_name = "PATH")]
    secret: Option<PathBuf>,

    /// Write the private key without a passphrase (for tests only).
    #[arg(long)]
    unencrypted: bool,

    /// Replace an existing private key file and public key file.
    #[arg(long)]
    force: bool,

    /// Fail at once when another run is changing the keyring, instead of
    /// waiting for it.
    #[arg(long)]
    no_wait: bool,
}

pub fn run(args: Args) -> Result<ExitCode, CliError> {
    let ring_path = keyring::keyring_path(&args.keyring);
    let ring = Keyring::load_or_empty(&args.keyring).map_err(|e| CliError::file(&ring_path, e))?;
    let key = keys::generate().map_err(CliError::lib)?;
    let entry = args.employee.entry(key.verifying_key())?;
    ring.check_new(&entry)
        .map_err(|e| CliError::file(&ring_path, e))?;

    let secret_path = args
        .secret
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("{}.key", entry.id)));
    let overwrite = if args.force {
        Overwrite::Replace
    } else {
        Overwrite::Refuse
    };
    if overwrite == Overwrite::Refuse && secret_path.symlink_metadata().is_ok() {
        // Checked before asking for a passphrase; write_atomic checks again.
        return Err(CliError::lib(ackreg_core::fsutil::WriteError::Exists(
            secret_path,
        )));
    }
    let passphrase = if args.unencrypted {
        None
    } else {
        Some(passphrase::for_new_key()?)
    };
    let pem = keys::encode_secret_key(&key, passphrase.as_ref()).map_err(CliError::lib)?;

    // Read the keyring again under its lock: another run may have changed
    // it while the passphrase was typed.
    let (_lock, mut ring) = super::common::open_for_change(&args.keyring, &entry, args.no_wait)?;
    write_atomic(&secret_path, pem.as_bytes(), overwrite, Some(0o600)).map_err(CliError::lib)?;
    keyring::write_public_key(&args.keyring, &entry, overwrite).map_err(CliError::lib)?;
    let keyid = entry.keyid();
    ring.add(entry).map_err(|e| CliError::file(&ring_path, e))?;
    ring.save(&args.keyring).map_err(CliError::lib)?;

    let kind = if passphrase.is_some() {
        "encrypted"
    } else {
        "NOT encrypted"
    };
    out(format!(
        "wrote {} (private key, {kind}, mode 0600)",
        secret_path.display()
    ));
    out(format!(
        "wrote {}",
        keyring::public_key_path(&args.keyring, args.employee.id()).display()
    ));
    out(format!(
        "added {} to {}",
        args.employee.id(),
        ring_path.display()
    ));
    out(format!("key id: {keyid}"));
    Ok(ExitCode::SUCCESS)
}
