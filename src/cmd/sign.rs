//! `ackreg sign`: an employee acknowledges a document.

use std::path::PathBuf;
use std::process::ExitCode;

use ackreg_core::ack::{self, Acknowledgement};
use ackreg_core::document::DocumentRef;
use ackreg_core::encoding::hex;
use ackreg_core::fsutil::{write_atomic, Overwrite};
use ackreg_core::keyring::{self, Keyring};
use ackreg_core::keys::KeyId;

use super::common::{out, passphrase, CliError};

/// Sign an acknowledgement that the employee has read a document.
///
/// Writes a DSSE envelope holding the document's title and SHA-256, the
/// employee's name and identifier, the date, optional notes and the Latvian
/// statement agreed to. The signer's name and identifier come from the
/// keyring entry of the key (--keyring, default "keys"), or from --name and
/// --id when no keyring is used.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The employee's private key (PKCS#8 PEM, plain or encrypted).
    #[arg(long, value_name = "FILE")]
    key: PathBuf,

    /// The PDF being acknowledged.
    #[arg(long, value_name = "PDF")]
    document: PathBuf,

    /// Date of acknowledgement.
    #[arg(long, value_name = "YYYY-MM-DD")]
    date: String,

    /// The employee's name (instead of looking it up in the keyring).
    #[arg(long, requires = "id", conflicts_with = "keyring")]
    name: Option<String>,

    /// The employee's identifier (instead of the keyring).
    #[arg(long, requires = "name", conflicts_with = "keyring")]
    id: Option<String>,

    /// Keyring folder in which to look up the key's owner [default: keys].
    #[arg(long, value_name = "DIR")]
    keyring: Option<PathBuf>,

    /// The document title, when the PDF has none in its Info dictionary.
    #[arg(long)]
    title: Option<String>,

    /// Notes (the annex's "Piezīmes").
    #[arg(long)]
    notes: Option<String>,

    /// Where to write the acknowledgement.
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,

    /// Replace an existing output file.
    #[arg(long)]
    force: bool,
}

pub fn run(args: Args) -> Result<ExitCode, CliError> {
    ack::check_date(&args.date).map_err(CliError::lib)?;
    let document = DocumentRef::from_pdf_file(&args.document, args.title.as_deref())
        .map_err(|e| CliError::file(&args.document, e))?;
    let ring = match (&args.name, &args.keyring) {
        (Some(_), _) => None,
        (None, dir) => {
            let dir = dir.clone().unwrap_or_else(|| PathBuf::from("keys"));
            let ring = Keyring::load(&dir)
                .map_err(|e| CliError::file(&keyring::keyring_path(&dir), e))
                .map_err(|e| {
                    e.with_hint(Some(
                        "pass --keyring DIR, or --name and --id to sign without a keyring".into(),
                    ))
                })?;
            Some((dir, ring))
        }
    };
    let key = passphrase::read_secret_key(&args.key)?;
    let (name, id) = match (&ring, &args.name, &args.id) {
        (Some((dir, ring)), _, _) => {
            let keyid = KeyId::of(&key.verifying_key());
            let entry = ring.by_keyid(&keyid).ok_or_else(|| {
                CliError::input(format!(
                    "{}: the key (key id {keyid}) is not in the keyring {}",
                    args.key.display(),
                    keyring::keyring_path(dir).display()
                ))
                .with_hint(Some(
                    "add it with `ackreg keyring add`, or pass --name and --id".into(),
                ))
            })?;
            (entry.name.clone(), entry.id.clone())
        }
        (None, Some(name), Some(id)) => (name.clone(), id.clone()),
        _ => return Err(CliError::input("give --name and --id, or --keyring")),
    };
    let ack = Acknowledgement::new(&document, &name, &id, &args.date, args.notes.as_deref())
        .map_err(CliError::lib)?;
    let envelope = ack.sign(&key).map_err(CliError::lib)?;
    let json = envelope.to_json().map_err(CliError::lib)?;
    let overwrite = if args.force {
        Overwrite::Replace
    } else {
        Overwrite::Refuse
    };
    write_atomic(&args.output, &json, overwrite, None).map_err(CliError::lib)?;
    out(format!("wrote {}", args.output.display()));
    out(format!(
        "{} ({}) acknowledges \"{}\" on {}",
        ack.employee.name, ack.employee.id, ack.document.title, ack.date
    ));
    out(format!("document sha256: {}", hex(&document.sha256)));
    out(format!("key id: {}", KeyId::of(&key.verifying_key())));
    Ok(ExitCode::SUCCESS)
}
