//! Where passphrases come from: the ACKREG_PASSPHRASE environment variable
//! for automation, else a prompt on the terminal. The library never asks;
//! this module does, and hands it a [`Passphrase`].

use std::io::IsTerminal as _;
use std::path::Path;

use ackreg_core::keys::{self, Passphrase};
use ed25519_dalek::SigningKey;
use zeroize::Zeroizing;

use super::CliError;

/// Environment variable that supplies the passphrase without a prompt.
pub const ENV_VAR: &str = "ACKREG_PASSPHRASE";

fn from_env() -> Result<Option<Passphrase>, CliError> {
    match std::env::var_os(ENV_VAR) {
        Some(v) if !v.is_empty() => match v.into_string() {
            Ok(s) => Ok(Some(Passphrase::new(Zeroizing::new(s)))),
            Err(_) => Err(CliError::input(format!("{ENV_VAR} is not valid UTF-8"))),
        },
        _ => Ok(None),
    }
}

fn no_terminal() -> CliError {
    CliError::input("no passphrase: standard input is not a terminal").with_hint(Some(format!(
        "set {ENV_VAR}, or pass --unencrypted to keygen for a plain key (tests only)"
    )))
}

fn prompt(text: &str) -> Result<Passphrase, CliError> {
    let answer = rpassword::prompt_password(text)
        .map_err(|e| CliError::input(format!("cannot read the passphrase: {e}")))?;
    Ok(Passphrase::new(Zeroizing::new(answer)))
}

/// A passphrase for a new key: from the environment, or asked twice.
pub fn for_new_key() -> Result<Passphrase, CliError> {
    if let Some(p) = from_env()? {
        return Ok(p);
    }
    if !std::io::stdin().is_terminal() {
        return Err(no_terminal());
    }
    let first = prompt("Passphrase for the new key: ")?;
    if first.is_empty() {
        return Err(CliError::input("the passphrase is empty")
            .with_hint(Some("choose a passphrase, or pass --unencrypted".into())));
    }
    let second = prompt("Same passphrase again: ")?;
    if first != second {
        return Err(CliError::input("the two passphrases differ"));
    }
    Ok(first)
}

/// Reads a private key file, asking for its passphrase (environment, or one
/// prompt) only when the key is encrypted.
pub fn read_secret_key(path: &Path) -> Result<SigningKey, CliError> {
    let pem = Zeroizing::new(
        ackreg_core::fsutil::read_limited(path, keys::MAX_PEM_FILE)
            .map_err(|e| CliError::file(path, e))?,
    );
    let passphrase = if keys::is_encrypted(&pem) {
        match from_env()? {
            Some(p) => Some(p),
            None if std::io::stdin().is_terminal() => {
                Some(prompt(&format!("Passphrase for {}: ", path.display()))?)
            }
            None => {
                return Err(CliError::file(path, keys::KeyError::PassphraseNeeded));
            }
        }
    } else {
        None
    };
    keys::decode_secret_key(&pem, passphrase.as_ref()).map_err(|e| CliError::file(path, e))
}
