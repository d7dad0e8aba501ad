//! `ackreg demo`: the whole job, on the built-in document, in one go.

mod log;
mod org;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ackreg_core::ack::Acknowledgement;
use ackreg_core::document::DocumentRef;
use ackreg_core::encoding::hex;
use ackreg_core::fsutil::{write_atomic, Overwrite};
use ackreg_core::keyring::{self, Entry, Keyring};
use ackreg_core::keys::{self, KeyId};
use ackreg_core::register::{self, Candidate};
use ackreg_core::render::{RenderInput, Template};
use ed25519_dalek::SigningKey;

use crate::cmd::common::{audit, out, CliError};

/// Marks a folder as made by the demo, so that a second run may replace it.
const MARKER: &str = ".ackreg-demo";

/// An employee of the demo, and when (and with what notes) they sign.
struct DemoEmployee {
    id: &'static str,
    name: &'static str,
    position: &'static str,
    signs: Option<(&'static str, Option<&'static str>)>,
}

/// The employees of the demo: three acknowledge, the fourth does not.
const EMPLOYEES: [DemoEmployee; 4] = [
    DemoEmployee {
        id: "jberzins",
        name: "Jānis Bērziņš",
        position: "klientu apkalpošanas speciālists",
        signs: Some(("2017-12-04", None)),
    },
    DemoEmployee {
        id: "lozolina",
        name: "Līga Ozoliņa",
        position: "klientu apkalpošanas speciāliste",
        signs: Some(("2017-12-05", None)),
    },
    DemoEmployee {
        id: "gkalnina",
        name: "Gunta Kalniņa",
        position: "KAC vadītāja",
        signs: Some((
            "2017-12-07",
            Some("Iepazinos pēc atgriešanās no atvaļinājuma"),
        )),
    },
    DemoEmployee {
        id: "azagars",
        name: "Ādolfs Žagars",
        position: "sekretārs",
        signs: None,
    },
];

/// Run the whole job on the built-in document: render the rules, make keys
/// for an issuer and four employees, sign three acknowledgements on
/// different dates (the fourth employee stays outstanding), seal the
/// register, print the filled annex, and verify it.
///
/// The demo's private keys are written unencrypted so that it runs without
/// questions; real keys from `ackreg keygen` are passphrase-protected.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The folder to work in (created; a previous demo folder is replaced).
    #[arg(long, value_name = "DIR", default_value = "ackreg-demo")]
    out: PathBuf,
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> CliError + '_ {
    move |e| CliError::input(format!("{}: {e}", path.display()))
}

fn write(path: &Path, bytes: &[u8], mode: Option<u32>) -> Result<(), CliError> {
    write_atomic(path, bytes, Overwrite::Replace, mode).map_err(CliError::lib)
}

fn prepare(dir: &Path) -> Result<(), CliError> {
    if dir.exists() {
        let empty = fs::read_dir(dir).map_err(io(dir))?.next().is_none();
        if !empty && !dir.join(MARKER).exists() {
            return Err(CliError::input(format!(
                "{}: the folder exists and was not made by the demo",
                dir.display()
            ))
            .with_hint(Some("choose another folder with --out".into())));
        }
        for sub in [
            "acks",
            "keys",
            "secret",
            "log",
            "receipts",
            "grozijumi-2018",
            "organizacija",
        ] {
            let p = dir.join(sub);
            if p.exists() {
                fs::remove_dir_all(&p).map_err(io(&p))?;
            }
        }
    }
    for sub in ["acks", "keys", "secret", "receipts", "grozijumi-2018"] {
        let p = dir.join(sub);
        fs::create_dir_all(&p).map_err(io(&p))?;
    }
    write(&dir.join(MARKER), b"made by `ackreg demo`\n", None)
}

fn new_key(path: &Path) -> Result<SigningKey, CliError> {
    let key = keys::generate().map_err(CliError::lib)?;
    let pem = keys::encode_secret_key(&key, None).map_err(CliError::lib)?;
    write(path, pem.as_bytes(), Some(0o600))?;
    Ok(key)
}

fn shown(p: &Path) -> String {
    p.display().to_string()
}

pub fn run(args: Args) -> Result<ExitCode, CliError> {
    let dir = &args.out;
    prepare(dir)?;
    let template = Template::builtin();
    let (doc_path, pdf) = render_rules(dir, &template)?;
    let (issuer, issuer_pub_path) = issuer_key(dir)?;
    let (ring, signing) = employee_keys(dir)?;
    let document = DocumentRef::from_pdf_bytes(&pdf, None).map_err(CliError::lib)?;
    let candidates = sign_acks(dir, &document, &signing)?;
    let (annex_path, annex_pdf) = seal(dir, &template, &document, &ring, &issuer, &candidates)?;
    let code = verify_annex(&annex_path, &annex_pdf, &issuer_pub_path, &doc_path)?;
    let staff: Vec<(&str, &str, &str, SigningKey)> = EMPLOYEES
        .iter()
        .zip(signing)
        .map(|(e, key)| (e.id, e.name, e.position, key))
        .collect();
    log::run(dir, &issuer, &staff)?;
    org::run(dir, &issuer)?;
    Ok(code)
}

/// Step 1: The administration renders the rules: the PDF's path and bytes.
fn render_rules(dir: &Path, template: &Template) -> Result<(PathBuf, Vec<u8>), CliError> {
    let doc_path = dir.join("noteikumi.pdf");
    let rendered = template
        .render(&RenderInput::default())
        .map_err(CliError::lib)?;
    write(&doc_path, &rendered.pdf, None)?;
    out(format!(
        "1. rendered the rules: {} ({} pages, SHA-256 {})",
        shown(&doc_path),
        rendered.pages,
        hex(&rendered.sha256)
    ));
    Ok((doc_path, rendered.pdf))
}

/// Step 2: The issuer's key (the executive director): the key and the path of
/// its public key.
fn issuer_key(dir: &Path) -> Result<(SigningKey, PathBuf), CliError> {
    let issuer_path = dir.join("secret").join("direktors.key");
    let issuer = new_key(&issuer_path)?;
    let issuer_pub = keys::encode_public_key(&issuer.verifying_key()).map_err(CliError::lib)?;
    let issuer_pub_path = dir.join("direktors.pub.pem");
    write(&issuer_pub_path, issuer_pub.as_bytes(), None)?;
    let issuer_keyid = KeyId::of(&issuer.verifying_key()).to_string();
    out(format!(
        "2. issuer key {} (public {}), key id {issuer_keyid}",
        shown(&issuer_path),
        shown(&issuer_pub_path)
    ));
    Ok((issuer, issuer_pub_path))
}

/// Step 2: The employees' keys and the keyring of their public keys.
fn employee_keys(dir: &Path) -> Result<(Keyring, Vec<SigningKey>), CliError> {
    let keys_dir = dir.join("keys");
    let mut ring = Keyring::default();
    let mut signing = Vec::new();
    for DemoEmployee {
        id, name, position, ..
    } in EMPLOYEES
    {
        let key_path = dir.join("secret").join(format!("{id}.key"));
        let key = new_key(&key_path)?;
        let entry =
            Entry::new(id, name, Some(position), key.verifying_key()).map_err(CliError::lib)?;
        keyring::write_public_key(&keys_dir, &entry, Overwrite::Replace).map_err(CliError::lib)?;
        ring.add(entry).map_err(CliError::lib)?;
        signing.push(key);
        out(format!(
            "   employee {name} ({id}), key {}",
            shown(&key_path)
        ));
    }
    ring.save(&keys_dir).map_err(CliError::lib)?;
    out(format!(
        "   keyring {}",
        shown(&keyring::keyring_path(&keys_dir))
    ));
    Ok((ring, signing))
}

/// Step 3: Employees sign that they have read exactly this PDF.
fn sign_acks(
    dir: &Path,
    document: &DocumentRef,
    signing: &[SigningKey],
) -> Result<Vec<Candidate>, CliError> {
    let mut candidates = Vec::new();
    for (e, key) in EMPLOYEES.iter().zip(signing) {
        let (id, name) = (e.id, e.name);
        let Some((date, notes)) = e.signs else {
            out(format!("3. {name} has not acknowledged yet"));
            continue;
        };
        let ack = Acknowledgement::new(document, name, id, date, notes).map_err(CliError::lib)?;
        let envelope = ack.sign(key).map_err(CliError::lib)?;
        let bytes = envelope.to_json().map_err(CliError::lib)?;
        let path = dir.join("acks").join(format!("{id}.json"));
        write(&path, &bytes, None)?;
        out(format!("3. {name} signed on {date}: {}", shown(&path)));
        candidates.push(Candidate {
            source: shown(&path),
            bytes,
        });
    }
    Ok(candidates)
}

/// Step 4: The administration seals the register and prints the annex: the
/// annex's path and bytes.
fn seal(
    dir: &Path,
    template: &Template,
    document: &DocumentRef,
    ring: &Keyring,
    issuer: &SigningKey,
    candidates: &[Candidate],
) -> Result<(PathBuf, Vec<u8>), CliError> {
    let assembly = register::assemble(document, ring, candidates);
    let sealed = register::seal(
        &assembly,
        issuer,
        Some("J.Gavars, izpilddirektors"),
        &crate::cmd::common::now_utc(),
    )
    .map_err(CliError::lib)?;
    let register_path = dir.join("register.json");
    write(&register_path, &sealed.bytes, None)?;
    let annex = template
        .render(&register::annex_input(
            &sealed.bytes,
            &sealed.body,
            register::annex_rows(&sealed.body),
        ))
        .map_err(CliError::lib)?;
    let annex_path = dir.join("pielikums.pdf");
    write(&annex_path, &annex.pdf, None)?;
    out(format!(
        "4. sealed the register: {} ({} accepted, {} outstanding); annex {}",
        shown(&register_path),
        assembly.accepted.len(),
        assembly.outstanding.len(),
        shown(&annex_path)
    ));
    Ok((annex_path, annex.pdf))
}

/// Step 5: An auditor verifies the annex PDF alone.
fn verify_annex(
    annex_path: &Path,
    annex_pdf: &[u8],
    issuer_pub_path: &Path,
    doc_path: &Path,
) -> Result<ExitCode, CliError> {
    out(format!(
        "5. ackreg verify {} --issuer {} --document {}",
        shown(annex_path),
        shown(issuer_pub_path),
        shown(doc_path)
    ));
    let issuer_arg = shown(issuer_pub_path);
    audit::run(
        annex_path,
        annex_pdf,
        true,
        &audit::AuditArgs {
            issuer: Some(&issuer_arg),
            document: Some(doc_path),
            template: None,
            json: false,
            no_batch: false,
        },
    )
}
