//! `ackreg log`: the administration's commands on the append-only log.
//! Each command parses its arguments, calls the library, prints the result.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ackreg_core::encoding::{b64, hex};
use ackreg_core::fsutil::{read_limited, write_atomic, Overwrite, Wait};
use ackreg_core::keys::{self, KeyId};
use ackreg_core::log::append::{Appender, TreeSource};
use ackreg_core::log::entry::{self, parse_date, Version};
use ackreg_core::log::state::State;
use ackreg_core::log::{self as alog, status, LogDir};
use ackreg_core::render::{RenderInput, Template};
use ed25519_dalek::SigningKey;
use time::Date;

use super::common::{out, passphrase, CliError};

/// Keep the register as an append-only log: versions of the rules,
/// employees and their keys, acknowledgements, signed checkpoints.
///
/// Every command that changes the log needs the issuer's key and ends by
/// signing a new checkpoint (the commit point).
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

mod admins;
mod staff;

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Create a log in a new folder.
    Init(InitArgs),
    /// Declare a unit of the organisation (e.g. the client service centre).
    Unit(UnitArgs),
    /// Declare a document, with who it binds; again for a new title or
    /// audience from a date.
    Document(DocumentArgs),
    /// Render a version of the rules and publish it.
    Publish(PublishArgs),
    /// Record an employee's first working day, with their units and
    /// position (before they have a key).
    Join(JoinArgs),
    /// Enrol an employee with their public key (a joined employee's first
    /// key, or a new employee with their key).
    Enrol(EnrolArgs),
    /// Record an employee's new set of units from a date.
    Move(MoveArgs),
    /// Record an employee's new name or position from a date.
    Update(UpdateArgs),
    /// Compare the staff file from the HR system with the log: who joins,
    /// leaves, moves or changes name or position; --apply writes it.
    Staff(staff::StaffArgs),
    /// Replace an employee's key from a date.
    ReplaceKey(ReplaceArgs),
    /// Revoke an employee's key (lost or stolen) from a date.
    Revoke(PersonDateArgs),
    /// Record that an employee left.
    Leave(PersonDateArgs),
    /// Make a person an administrator with their own key from a date (for
    /// an administrator already there: replace their key).
    Admin(admins::AdminArgs),
    /// End an administrator's role from a date; their earlier requests
    /// stay valid.
    Dismiss(admins::DismissArgs),
    /// List the administrators and, with --json, every request.
    Admins(admins::AdminsArgs),
    /// Append an administrator's signed request and the entries it asks
    /// for (files of entries, one a line), committed together.
    Request(admins::RequestArgs),
    /// Append acknowledgements (DSSE files from `ackreg sign` or the desk).
    Add(AddArgs),
    /// Sign a checkpoint of the log as it is and print it.
    Checkpoint(WriteArgs),
    /// Write an employee's receipt for an entry.
    Receipt(ReceiptArgs),
    /// Print the filled annex of a version at the newest checkpoint.
    Annex(AnnexArgs),
    /// Who acknowledged each version, who is outstanding, overdue or late.
    Status(StatusArgs),
    /// Print the status as a PDF report for the director's signature.
    ///
    /// Latvian, A4, PDF/A: per document, its version in force on the day,
    /// who acknowledged, is late, outstanding or overdue, and who has no
    /// key yet; then the checkpoint it reflects and the signature block.
    Report(ReportArgs),
    /// What changed between two versions: clauses added, removed, changed
    /// and renumbered, with the words that changed.
    ///
    /// The clauses are those kept when the version was published from a
    /// template, else read from the text of its PDF in the log folder.
    Diff(DiffArgs),
    /// Get an RFC 3161 time stamp over a checkpoint from a time stamp
    /// authority, online (--tsa) or offline (--request, then --reply).
    ///
    /// The imprint is the SHA-256 of the checkpoint's signed note as kept in
    /// checkpoints/N; the token is kept as checkpoints/N.tsr (a further
    /// TSA's as N.2.tsr, N.3.tsr, ...); a kept token is never replaced.
    Timestamp(TimestampArgs),
}

/// The log folder and the issuer key, for commands that append.
#[derive(Debug, clap::Args)]
struct WriteArgs {
    /// The log's folder.
    #[arg(value_name = "DIR")]
    log: PathBuf,

    /// The issuer's private key (PKCS#8 PEM); the passphrase comes from
    /// ACKREG_PASSPHRASE or the terminal.
    #[arg(long, value_name = "KEY")]
    issuer_key: PathBuf,

    /// Fail at once if another run is writing the log, instead of waiting.
    #[arg(long)]
    no_wait: bool,
}

#[derive(Debug, clap::Args)]
struct InitArgs {
    #[command(flatten)]
    write: WriteArgs,
    /// The log's origin: its name in checkpoints, e.g. aknistesnovads.lv/kac.
    #[arg(long)]
    origin: String,
    /// The issuer's name as printed, e.g. "J.Gavars".
    #[arg(long)]
    issuer_name: String,
    /// The body that keeps the log, e.g. "Aknīstes novada pašvaldība".
    #[arg(long)]
    body: String,
    /// The creation date, YYYY-MM-DD [default: today].
    #[arg(long)]
    date: Option<String>,
}

#[derive(Debug, clap::Args)]
struct PublishArgs {
    #[command(flatten)]
    write: WriteArgs,
    /// The version's label, e.g. 1 or 2018/1.
    #[arg(long)]
    label: String,
    /// The template folder [default: built-in].
    #[arg(long, value_name = "DIR")]
    template: Option<PathBuf>,
    /// Publish this PDF, made elsewhere, instead of rendering a template.
    #[arg(long, value_name = "FILE", conflicts_with = "template")]
    pdf: Option<PathBuf>,
    /// With --pdf: the title, when the PDF has none in its Info dictionary.
    #[arg(long, requires = "pdf")]
    title: Option<String>,
    /// The date it takes effect, YYYY-MM-DD.
    #[arg(long)]
    effective: String,
    /// Last day to acknowledge (a material change).
    #[arg(long, conflicts_with = "correction")]
    deadline: Option<String>,
    /// A correction that needs no new acknowledgement.
    #[arg(long)]
    correction: bool,
    /// Days a newly enrolled employee has to acknowledge.
    #[arg(long, default_value_t = 14)]
    new_employee_days: u32,
    /// Also write the rendered PDF here.
    #[arg(short, long, value_name = "PDF")]
    output: Option<PathBuf>,
    /// The document it is a version of (declared with `log document`)
    /// [default: the rules, which bind everyone].
    #[arg(long, value_name = "ID")]
    document: Option<String>,
}

#[derive(Debug, clap::Args)]
struct UnitArgs {
    #[command(flatten)]
    write: WriteArgs,
    /// The unit's identifier: a-z, 0-9, '.', '_', '-' (1 to 64), e.g. kac.
    #[arg(long)]
    id: String,
    /// The unit's name, e.g. "Klientu apkalpošanas centrs".
    #[arg(long)]
    name: String,
}

#[derive(Debug, clap::Args)]
struct DocumentArgs {
    #[command(flatten)]
    write: WriteArgs,
    /// The document's identifier: a-z, 0-9, '.', '_', '-' (1 to 64), e.g.
    /// datu-aizsardziba.
    #[arg(long)]
    id: String,
    /// The document's title.
    #[arg(long)]
    title: String,
    /// A unit it binds (may be repeated); with no --unit and no --position
    /// it binds everyone.
    #[arg(long = "unit", value_name = "UNIT")]
    units: Vec<String>,
    /// A position it binds (may be repeated).
    #[arg(long = "position", value_name = "POSITION")]
    positions: Vec<String>,
    /// From when this title and audience hold, YYYY-MM-DD [default: today].
    #[arg(long)]
    date: Option<String>,
}

#[derive(Debug, clap::Args)]
struct JoinArgs {
    #[command(flatten)]
    write: WriteArgs,
    /// The employee's identifier: a-z, 0-9, '.', '_', '-' (1 to 64).
    #[arg(long)]
    id: String,
    /// The employee's full name, e.g. "Jānis Bērziņš".
    #[arg(long)]
    name: String,
    /// The employee's position.
    #[arg(long)]
    position: Option<String>,
    /// A unit they work in (may be repeated).
    #[arg(long = "unit", value_name = "UNIT")]
    units: Vec<String>,
    /// Their first working day, YYYY-MM-DD [default: today].
    #[arg(long)]
    date: Option<String>,
}

#[derive(Debug, clap::Args)]
struct MoveArgs {
    #[command(flatten)]
    write: WriteArgs,
    /// The employee's identifier.
    #[arg(long)]
    id: String,
    /// A unit they work in from the date (may be repeated): the whole new
    /// set; none for no unit.
    #[arg(long = "unit", value_name = "UNIT")]
    units: Vec<String>,
    /// From when, YYYY-MM-DD [default: today].
    #[arg(long)]
    date: Option<String>,
}

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("change").required(true).multiple(true).args(["name", "position"])))]
struct UpdateArgs {
    #[command(flatten)]
    write: WriteArgs,
    /// The employee's identifier.
    #[arg(long)]
    id: String,
    /// The new full name [default: unchanged].
    #[arg(long)]
    name: Option<String>,
    /// The new position [default: unchanged].
    #[arg(long)]
    position: Option<String>,
    /// From when, YYYY-MM-DD [default: today].
    #[arg(long)]
    date: Option<String>,
}

#[derive(Debug, clap::Args)]
struct EnrolArgs {
    #[command(flatten)]
    write: WriteArgs,
    #[command(flatten)]
    employee: super::common::EmployeeArgs,
    /// The employee's public key (SPKI PEM).
    #[arg(long, value_name = "PEM")]
    public_key: PathBuf,
    /// First day the key may sign [default: today].
    #[arg(long)]
    from: Option<String>,
}

#[derive(Debug, clap::Args)]
struct ReplaceArgs {
    #[command(flatten)]
    write: WriteArgs,
    /// The employee's identifier.
    #[arg(long)]
    id: String,
    /// The new public key (SPKI PEM).
    #[arg(long, value_name = "PEM")]
    public_key: PathBuf,
    /// First day the new key may sign [default: today].
    #[arg(long)]
    from: Option<String>,
}

#[derive(Debug, clap::Args)]
struct PersonDateArgs {
    #[command(flatten)]
    write: WriteArgs,
    /// The employee's identifier.
    #[arg(long)]
    id: String,
    /// From when, YYYY-MM-DD [default: today].
    #[arg(long)]
    date: Option<String>,
}

#[derive(Debug, clap::Args)]
struct AddArgs {
    #[command(flatten)]
    write: WriteArgs,
    /// Acknowledgement files (DSSE JSON).
    #[arg(value_name = "ACK", required = true)]
    acks: Vec<PathBuf>,
    /// The date they were received, YYYY-MM-DD [default: today].
    #[arg(long)]
    received: Option<String>,
}

#[derive(Debug, clap::Args)]
struct ReceiptArgs {
    /// The log's folder.
    #[arg(value_name = "DIR")]
    log: PathBuf,
    /// The entry's index.
    #[arg(long, conflicts_with = "ack")]
    index: Option<u64>,
    /// The acknowledgement file whose entry it is.
    #[arg(long, value_name = "ACK")]
    ack: Option<PathBuf>,
    /// Where to write the receipt.
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
    /// Prove it against the kept checkpoint of N entries (e.g. one with a
    /// time stamp) instead of the newest.
    #[arg(long, value_name = "N")]
    checkpoint: Option<u64>,
}

#[derive(Debug, clap::Args)]
struct AnnexArgs {
    /// The log's folder.
    #[arg(value_name = "DIR")]
    log: PathBuf,
    /// The version's label.
    #[arg(long)]
    version: String,
    /// The version's document [default: rules if it has the label, else
    /// the one document that has it].
    #[arg(long, value_name = "ID")]
    document: Option<String>,
    /// The template folder [default: built-in].
    #[arg(long, value_name = "DIR")]
    template: Option<PathBuf>,
    /// Where to write the PDF.
    #[arg(short, long, value_name = "PDF", default_value = "pielikums.pdf")]
    output: PathBuf,
}

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("how").required(true).args(["tsa", "request", "reply"])))]
struct TimestampArgs {
    /// The log's folder.
    #[arg(value_name = "DIR")]
    log: PathBuf,
    /// The checkpoint to stamp, by its size [default: the newest].
    #[arg(long, value_name = "N")]
    checkpoint: Option<u64>,
    /// Ask this time stamp authority over HTTPS or HTTP and keep its token;
    /// a proxy is taken from HTTPS_PROXY/HTTP_PROXY/ALL_PROXY, except for
    /// the hosts in NO_PROXY.
    #[arg(long, value_name = "URL")]
    tsa: Option<String>,
    /// With --tsa: the TLS client certificate (PEM, the client's first,
    /// then any chain) for a TSA that asks for one.
    #[arg(long, value_name = "PEM", requires = "tsa_client_key")]
    tsa_client_cert: Option<PathBuf>,
    /// With --tsa-client-cert: its private key (PEM: PKCS#8, PKCS#1 or SEC1,
    /// unencrypted).
    #[arg(long, value_name = "PEM", requires = "tsa_client_cert")]
    tsa_client_key: Option<PathBuf>,
    /// With --tsa: the CA certificate(s) (PEM) the TSA's TLS server
    /// certificate must chain to, instead of the built-in Mozilla roots;
    /// may be repeated.
    #[arg(long, value_name = "PEM")]
    tsa_tls_ca: Vec<PathBuf>,
    /// With --tsa: the deadline of the whole exchange, in seconds (1 to
    /// 3600) [default: 30].
    #[arg(long, value_name = "SECONDS",
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    tsa_timeout: Option<u64>,
    /// Write the DER time stamp request here, to send by other means.
    #[arg(long, value_name = "FILE.tsq", conflicts_with = "reply")]
    request: Option<PathBuf>,
    /// Import a reply (or bare token) obtained by other means and keep it.
    #[arg(long, value_name = "FILE.tsr", conflicts_with = "tsa")]
    reply: Option<PathBuf>,
    /// With --reply: the request it answers (written by --request); the
    /// reply must carry its nonce.
    #[arg(long, value_name = "FILE.tsq", requires = "reply")]
    query: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
struct DiffArgs {
    /// The log's folder.
    #[arg(value_name = "DIR")]
    log: PathBuf,
    /// The document [default: the log's one document, rules].
    #[arg(long, value_name = "ID", default_value = ackreg_core::changes::IMPLICIT_DOCUMENT)]
    document: String,
    /// The older version's label.
    #[arg(long, value_name = "LABEL")]
    from: String,
    /// The newer version's label.
    #[arg(long, value_name = "LABEL")]
    to: String,
    /// Also write the changes as a PDF to hand out (Latvian, A4, PDF/A).
    #[arg(long, value_name = "OUT")]
    pdf: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
struct StatusArgs {
    /// The log's folder.
    #[arg(value_name = "DIR")]
    log: PathBuf,
    /// The day to judge deadlines on, YYYY-MM-DD [default: today].
    #[arg(long)]
    date: Option<String>,
    /// Only this document's versions (`rules` for the versions that name
    /// no document).
    #[arg(long, value_name = "ID")]
    document: Option<String>,
    /// Only the employees in this unit on the day.
    #[arg(long, value_name = "UNIT")]
    unit: Option<String>,
    /// Print JSON.
    #[arg(long, conflicts_with = "csv")]
    json: bool,
    /// Print CSV (for spreadsheets).
    #[arg(long)]
    csv: bool,
}

#[derive(Debug, clap::Args)]
struct ReportArgs {
    /// The log's folder.
    #[arg(value_name = "DIR")]
    log: PathBuf,
    /// Where to write the PDF.
    #[arg(short, long, value_name = "PDF")]
    output: PathBuf,
    /// Only this document (`rules` for the versions that name no document).
    #[arg(long, value_name = "ID")]
    document: Option<String>,
    /// Only the employees in this unit on the day.
    #[arg(long, value_name = "UNIT")]
    unit: Option<String>,
    /// The day of the report, YYYY-MM-DD [default: today].
    #[arg(long)]
    date: Option<String>,
}

pub fn run(args: Args) -> Result<ExitCode, CliError> {
    match args.command {
        Command::Init(a) => init(a),
        Command::Unit(a) => unit(a),
        Command::Document(a) => document(a),
        Command::Publish(a) => publish(a),
        Command::Join(a) => join(a),
        Command::Enrol(a) => enrol(a),
        Command::Move(a) => move_cmd(a),
        Command::Update(a) => update(a),
        Command::Staff(a) => staff::run(a),
        Command::ReplaceKey(a) => replace_key(a),
        Command::Revoke(a) => revoke(a),
        Command::Leave(a) => leave(a),
        Command::Admin(a) => admins::admin(a),
        Command::Dismiss(a) => admins::dismiss(a),
        Command::Admins(a) => admins::list(a),
        Command::Request(a) => admins::request(a),
        Command::Add(a) => add(a),
        Command::Checkpoint(a) => checkpoint(a),
        Command::Receipt(a) => receipt(a),
        Command::Annex(a) => annex(a),
        Command::Status(a) => status_cmd(a),
        Command::Report(a) => report(a),
        Command::Diff(a) => diff(a),
        Command::Timestamp(a) => timestamp(a),
    }
}

/// A date argument, or today.
fn date_arg(flag: &str, value: Option<&str>) -> Result<Date, CliError> {
    match value {
        None => Ok(ackreg_core::clock::today()),
        Some(v) => parse_date(v).ok_or_else(|| {
            CliError::input(format!("--{flag} {v}: not a real date written YYYY-MM-DD"))
                .with_hint(Some("e.g. 2017-12-04".into()))
        }),
    }
}

/// The log's appender, its proofs read from the files (a command commits
/// once and exits).
fn open(w: &WriteArgs) -> Result<Appender, CliError> {
    let key = passphrase::read_secret_key(&w.issuer_key)?;
    let wait = if w.no_wait { Wait::No } else { Wait::Yes };
    let on_wait = |path: &Path, holder: &str| {
        eprintln!(
            "waiting: {} is held by another ackreg run ({holder})",
            path.display()
        );
    };
    Appender::open(&w.log, key, wait, on_wait, TreeSource::Files)
        .map_err(|e| CliError::file(&w.log, e))
}

/// Appends one entry and commits it, printing what was appended.
fn append_one(
    w: &WriteArgs,
    make: impl FnOnce(&State) -> Result<Vec<u8>, CliError>,
) -> Result<ExitCode, CliError> {
    let mut appender = open(w)?;
    let bytes = make(appender.state())?;
    let added = appender
        .add_bytes(bytes)
        .map_err(|e| CliError::file(&w.log, e))?;
    let committed = appender.commit().map_err(|e| CliError::file(&w.log, e))?;
    out(format!("appended entry {}", added.index));
    print_head(&committed.checkpoint);
    Ok(ExitCode::SUCCESS)
}

fn print_head(head: &tlog::checkpoint::SignedCheckpoint) {
    out(format!(
        "checkpoint: {} entries, root {}",
        head.checkpoint.size,
        b64(&head.checkpoint.root)
    ));
}

fn lib<E: super::common::CliHint>(e: E) -> CliError {
    CliError::lib(e)
}

fn init(a: InitArgs) -> Result<ExitCode, CliError> {
    let key: SigningKey = passphrase::read_secret_key(&a.write.issuer_key)?;
    let created = date_arg("date", a.date.as_deref())?;
    let name =
        ackreg_core::text::normalize(&a.issuer_name, ackreg_core::keyring::MAX_NAME_LEN, false)
            .map_err(|e| CliError::input(format!("--issuer-name {e}")))?;
    let body = ackreg_core::text::normalize(&a.body, ackreg_core::keyring::MAX_NAME_LEN, false)
        .map_err(|e| CliError::input(format!("--body {e}")))?;
    entry::check_origin(&a.origin).map_err(|e| CliError::input(format!("--origin {e}")))?;
    let first =
        entry::log_bytes(&a.origin, &name, &key.verifying_key(), &body, created).map_err(lib)?;
    let vkey = tlog::note::vkey(&a.origin, &key.verifying_key());
    let mut appender = Appender::create(&a.write.log, key, first, Wait::Yes)
        .map_err(|e| CliError::file(&a.write.log, e))?;
    let head = appender
        .commit()
        .map_err(|e| CliError::file(&a.write.log, e))?
        .checkpoint;
    out(format!(
        "created the log {} in {}",
        a.origin,
        a.write.log.display()
    ));
    out(format!("issuer verifier key: {vkey}"));
    print_head(&head);
    Ok(ExitCode::SUCCESS)
}

/// What `log publish` publishes: the PDF, its title, and its clauses when
/// a template rendered it.
struct ToPublish {
    pdf: Vec<u8>,
    title: String,
    sha256: [u8; 32],
    clauses: Vec<ackreg_core::changes::Clause>,
}

/// The rendered template, or with `--pdf` the PDF made elsewhere.
fn to_publish(a: &PublishArgs) -> Result<ToPublish, CliError> {
    let Some(path) = &a.pdf else {
        let template = Template::from_dir_or_builtin(a.template.as_deref()).map_err(lib)?;
        let rendered = template.render(&RenderInput::default()).map_err(lib)?;
        return Ok(ToPublish {
            clauses: ackreg_core::changes::Clause::of_rendered(&rendered),
            pdf: rendered.pdf,
            title: rendered.title,
            sha256: rendered.sha256,
        });
    };
    let pdf = read_limited(path, ackreg_core::changes::pdftext::MAX_PDF)
        .map_err(|e| CliError::file(path, e))?;
    let doc = ackreg_core::document::DocumentRef::from_pdf_bytes(&pdf, a.title.as_deref())
        .map_err(|e| {
            let hint = matches!(e, ackreg_core::document::DocumentError::NotPdf(_))
                .then(|| "--pdf takes the PDF of the version".to_string());
            CliError::file(path, e).with_hint(hint)
        })?;
    if let Err(e) = ackreg_core::changes::pdftext::clauses_from_pdf(&pdf) {
        eprintln!(
            "warning: {}: {e}: `ackreg log diff` cannot compare this version",
            path.display()
        );
    }
    Ok(ToPublish {
        pdf,
        title: doc.title,
        sha256: doc.sha256,
        clauses: Vec::new(),
    })
}

fn publish(a: PublishArgs) -> Result<ExitCode, CliError> {
    let rendered = to_publish(&a)?;
    let document = a
        .document
        .as_deref()
        .map(|d| id_arg("document", d))
        .transpose()?;
    let version = Version {
        document: document.filter(|d| d != entry::RULES),
        label: ackreg_core::text::normalize(&a.label, entry::MAX_LABEL_LEN, false)
            .map_err(|e| CliError::input(format!("--label {e}")))?,
        title: rendered.title.clone(),
        sha256: rendered.sha256,
        effective: date_arg("effective", Some(a.effective.as_str()))?,
        material: !a.correction,
        deadline: a
            .deadline
            .as_deref()
            .map(|d| date_arg("deadline", Some(d)))
            .transpose()?,
        new_employee_days: a.new_employee_days,
    };
    if version.material && version.deadline.is_none() {
        return Err(
            CliError::input("a material version needs --deadline").with_hint(Some(
                "give --deadline YYYY-MM-DD, or --correction for a correction".into(),
            )),
        );
    }
    let log = LogDir::new(&a.write.log);
    log.store_document(&rendered.pdf)
        .map_err(|e| CliError::file(&a.write.log, e))?;
    if !rendered.clauses.is_empty() {
        ackreg_core::changes::clauses::store(&log, &rendered.sha256, &rendered.clauses)
            .map_err(|e| CliError::file(&a.write.log, e))?;
    }
    if let Some(o) = &a.output {
        write_atomic(o, &rendered.pdf, Overwrite::Replace, None).map_err(lib)?;
        out(format!("wrote {}", o.display()));
    }
    out(format!(
        "version {}: {} (sha256 {})",
        version.label,
        version.title,
        hex(&version.sha256)
    ));
    append_one(&a.write, |_| entry::version_bytes(&version).map_err(lib))
}

/// An identifier argument (of an employee, a unit or a document).
fn id_arg(flag: &str, value: &str) -> Result<String, CliError> {
    ackreg_core::text::check_id(value).map_err(|e| {
        CliError::input(format!("--{flag} {e}"))
            .with_hint(Some("use a-z, 0-9, '.', '_', '-', e.g. kac".into()))
    })?;
    Ok(value.to_string())
}

/// A name, title or position argument, normalised (NFC, trimmed).
fn text_arg(flag: &str, value: &str) -> Result<String, CliError> {
    ackreg_core::text::normalize(value, ackreg_core::keyring::MAX_NAME_LEN, false)
        .map_err(|e| CliError::input(format!("--{flag} {e}")))
}

/// Unit arguments, each an identifier.
fn units_arg(units: &[String]) -> Result<Vec<String>, CliError> {
    units.iter().map(|u| id_arg("unit", u)).collect()
}

fn unit(a: UnitArgs) -> Result<ExitCode, CliError> {
    let id = id_arg("id", &a.id)?;
    let name = text_arg("name", &a.name)?;
    out(format!("unit {id}: {name}"));
    append_one(&a.write, |_| entry::unit_bytes(&id, &name).map_err(lib))
}

fn document(a: DocumentArgs) -> Result<ExitCode, CliError> {
    let id = id_arg("id", &a.id)?;
    let title = ackreg_core::text::normalize(&a.title, ackreg_core::ack::MAX_TITLE_LEN, false)
        .map_err(|e| CliError::input(format!("--title {e}")))?;
    let positions = a
        .positions
        .iter()
        .map(|p| text_arg("position", p))
        .collect::<Result<Vec<_>, _>>()?;
    let declaration = entry::Declaration {
        id,
        title,
        units: units_arg(&a.units)?,
        positions,
        date: date_arg("date", a.date.as_deref())?,
    };
    out(format!(
        "document {}: {} (binds {})",
        declaration.id,
        declaration.title,
        audience(&declaration)
    ));
    append_one(&a.write, |_| {
        entry::document_bytes(&declaration).map_err(lib)
    })
}

/// Who a declaration binds, in words.
fn audience(d: &entry::Declaration) -> String {
    if d.binds_everyone() {
        return "everyone".into();
    }
    let units = entry::one_spelling(&d.units);
    let positions = entry::one_spelling(&d.positions);
    let mut parts = Vec::new();
    if !units.is_empty() {
        parts.push(format!("units {}", units.join(", ")));
    }
    if !positions.is_empty() {
        parts.push(format!("positions {}", positions.join(", ")));
    }
    parts.join("; ")
}

fn join(a: JoinArgs) -> Result<ExitCode, CliError> {
    let id = id_arg("id", &a.id)?;
    let name = text_arg("name", &a.name)?;
    let position = a
        .position
        .as_deref()
        .map(|p| text_arg("position", p))
        .transpose()?;
    let units = units_arg(&a.units)?;
    let date = date_arg("date", a.date.as_deref())?;
    out(format!(
        "{name} ({id}) joins on {}",
        entry::format_date(date)
    ));
    append_one(&a.write, |_| {
        entry::join_bytes(&id, &name, position.as_deref(), &units, date).map_err(lib)
    })
}

fn move_cmd(a: MoveArgs) -> Result<ExitCode, CliError> {
    let units = units_arg(&a.units)?;
    let date = date_arg("date", a.date.as_deref())?;
    let to = if units.is_empty() {
        "no unit".to_string()
    } else {
        entry::one_spelling(&units).join(", ")
    };
    out(format!(
        "{} in {to} from {}",
        a.id,
        entry::format_date(date)
    ));
    append_one(&a.write, |_| {
        entry::move_bytes(&a.id, &units, date).map_err(lib)
    })
}

fn update(a: UpdateArgs) -> Result<ExitCode, CliError> {
    let name = a.name.as_deref().map(|n| text_arg("name", n)).transpose()?;
    let position = a
        .position
        .as_deref()
        .map(|p| text_arg("position", p))
        .transpose()?;
    let date = date_arg("date", a.date.as_deref())?;
    append_one(&a.write, |state| {
        let current = state
            .employee(&a.id)
            .map(|e| e.on(date))
            .ok_or_else(|| CliError::input(format!("employee {} is not in the log", a.id)))?;
        let name = name.unwrap_or_else(|| current.name.clone());
        let position = position.or_else(|| current.position.clone());
        out(format!(
            "{name} ({}), {} from {}",
            a.id,
            position.as_deref().unwrap_or("no position"),
            entry::format_date(date)
        ));
        entry::update_bytes(&a.id, &name, position.as_deref(), date).map_err(lib)
    })
}

fn public_key_file(path: &Path) -> Result<ed25519_dalek::VerifyingKey, CliError> {
    let pem = read_limited(path, keys::MAX_PEM_FILE).map_err(|e| CliError::file(path, e))?;
    keys::decode_public_key(&pem).map_err(|e| CliError::file(path, e))
}

fn enrol(a: EnrolArgs) -> Result<ExitCode, CliError> {
    let key = public_key_file(&a.public_key)?;
    let person = a.employee.entry(key)?;
    let from = date_arg("from", a.from.as_deref())?;
    out(format!(
        "enrolling {} ({}) with key {}",
        person.name,
        person.id,
        KeyId::of(&key)
    ));
    append_one(&a.write, |_| {
        entry::enrol_bytes(
            &person.id,
            &person.name,
            person.position.as_deref(),
            &key,
            from,
        )
        .map_err(lib)
    })
}

fn replace_key(a: ReplaceArgs) -> Result<ExitCode, CliError> {
    let key = public_key_file(&a.public_key)?;
    let from = date_arg("from", a.from.as_deref())?;
    append_one(&a.write, |_| {
        entry::key_bytes(&a.id, &key, from).map_err(lib)
    })
}

fn revoke(a: PersonDateArgs) -> Result<ExitCode, CliError> {
    let date = date_arg("date", a.date.as_deref())?;
    append_one(&a.write, |state| {
        let keyid = state
            .employee(&a.id)
            .and_then(|e| e.current())
            .map(|k| k.keyid)
            .ok_or_else(|| CliError::input(format!("{} has no valid key to revoke", a.id)))?;
        entry::revoke_bytes(&a.id, &keyid, date).map_err(lib)
    })
}

fn leave(a: PersonDateArgs) -> Result<ExitCode, CliError> {
    let date = date_arg("date", a.date.as_deref())?;
    append_one(&a.write, |_| entry::leave_bytes(&a.id, date).map_err(lib))
}

fn add(a: AddArgs) -> Result<ExitCode, CliError> {
    let received = date_arg("received", a.received.as_deref())?;
    alog::received::check_handed_in(received, ackreg_core::clock::today())
        .map_err(|e| CliError::input(format!("--received {e}")))?;
    let mut appender = open(&a.write)?;
    let mut refused = 0;
    for path in &a.acks {
        let bytes = read_limited(path, ackreg_core::register::MAX_ACK_FILE)
            .map_err(|e| CliError::file(path, e))?;
        let added = alog::ack_entry(appender.state(), &bytes, received)
            .map_err(|e| e.to_string())
            .and_then(|entry| appender.add_bytes(entry).map_err(|e| e.to_string()));
        match added {
            Ok(added) => out(format!(
                "accepted {} as entry {}",
                path.display(),
                added.index
            )),
            Err(why) => {
                refused += 1;
                out(format!("refused  {}: {why}", path.display()));
            }
        }
    }
    let committed = appender
        .commit()
        .map_err(|e| CliError::file(&a.write.log, e))?;
    print_head(&committed.checkpoint);
    if refused > 0 {
        out(format!("{refused} refused"));
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

fn checkpoint(a: WriteArgs) -> Result<ExitCode, CliError> {
    let mut appender = open(&a)?;
    let committed = appender.commit().map_err(|e| CliError::file(&a.log, e))?;
    print!(
        "{}",
        String::from_utf8_lossy(&committed.checkpoint.to_bytes())
    );
    Ok(ExitCode::SUCCESS)
}

fn receipt(a: ReceiptArgs) -> Result<ExitCode, CliError> {
    let log = LogDir::new(&a.log);
    let index = match (a.index, &a.ack) {
        (Some(i), _) => i,
        (None, Some(path)) => find_ack(&log, path)?,
        (None, None) => return Err(CliError::input("give --index N or --ack FILE")),
    };
    let bytes = alog::stamp::receipt_at(&log, index, a.checkpoint)
        .map_err(|e| CliError::file(&a.log, e))?;
    write_atomic(&a.output, &bytes, Overwrite::Replace, None).map_err(lib)?;
    out(format!(
        "wrote the receipt of entry {index} to {}",
        a.output.display()
    ));
    Ok(ExitCode::SUCCESS)
}

/// The index of the entry holding the acknowledgement in `path`.
fn find_ack(log: &LogDir, path: &Path) -> Result<u64, CliError> {
    let bytes = read_limited(path, ackreg_core::register::MAX_ACK_FILE)
        .map_err(|e| CliError::file(path, e))?;
    let env =
        ackreg_core::dsse::Envelope::from_json(&bytes).map_err(|e| CliError::file(path, e))?;
    let size = log.checkpoint().map_err(lib)?.checkpoint.size;
    for i in (0..size).rev() {
        let entry = log.entry(i).map_err(lib)?;
        if let Ok(entry::Entry::Ack(_)) = entry::parse(&entry) {
            let json: Option<entry::AckJson> = serde_json::from_slice(&entry).ok();
            if json.is_some_and(|j| j.envelope == env) {
                return Ok(i);
            }
        }
    }
    Err(CliError::input(format!(
        "{}: this acknowledgement is not in the log",
        path.display()
    )))
}

fn annex(a: AnnexArgs) -> Result<ExitCode, CliError> {
    let template = Template::from_dir_or_builtin(a.template.as_deref()).map_err(lib)?;
    let log = LogDir::new(&a.log);
    let (head, state) = committed_state(&log)?;
    let v = alog::annex::choose(&state, a.document.as_deref(), &a.version).map_err(lib)?;
    let annex = alog::annex::make_version(&log, &head, &state, v, &template).map_err(|e| {
        match e {
            // The kept time stamps are named by the log folder.
            alog::annex::MakeError::Stamps(e) => CliError::file(&a.log, e),
            other => lib(other),
        }
    })?;
    write_atomic(&a.output, &annex.pdf, Overwrite::Replace, None).map_err(lib)?;
    for left in &annex.left_out {
        eprintln!(
            "warning: {}: not carried in the annex: {}",
            log.checkpoints_dir().join(&left.file).display(),
            left.why
        );
    }
    let of_document = match state.versions().get(v).map(|p| p.version.document_id()) {
        None | Some(entry::RULES) => String::new(),
        Some(d) => format!(" of document {d}"),
    };
    out(format!(
        "wrote the annex of version {}{of_document} at {} entries to {} ({} rows)",
        a.version,
        head.checkpoint.size,
        a.output.display(),
        annex.rows
    ));
    Ok(ExitCode::SUCCESS)
}

fn committed_state(
    log: &LogDir,
) -> Result<(tlog::checkpoint::SignedCheckpoint, alog::state::State), CliError> {
    log.committed().map_err(|e| CliError::file(log.dir(), e))
}

fn status_cmd(a: StatusArgs) -> Result<ExitCode, CliError> {
    let log = LogDir::new(&a.log);
    let (_, state) = committed_state(&log)?;
    let today = date_arg("date", a.date.as_deref())?;
    let filter = status::Filter {
        document: a.document.clone(),
        unit: a.unit.clone(),
    };
    if let Some(d) = filter.document.as_deref() {
        if !state.document_ids().contains(&d) {
            return Err(CliError::input(format!("document {d} is not in the log"))
                .with_hint(Some("declare it with `ackreg log document`".into())));
        }
    }
    if let Some(u) = filter.unit.as_deref() {
        if state.unit(u).is_none() {
            return Err(
                CliError::input(format!("unit {u} is not declared in the log"))
                    .with_hint(Some("declare it with `ackreg log unit`".into())),
            );
        }
    }
    let statuses = status::status_of(&state, today, &filter);
    if a.json {
        out(serde_json::to_string_pretty(&statuses).map_err(|e| CliError::input(e.to_string()))?);
    } else if a.csv {
        let csv = status::to_csv(&statuses).map_err(|e| CliError::input(e.to_string()))?;
        std::io::Write::write_all(&mut std::io::stdout(), &csv)
            .map_err(|e| CliError::input(format!("cannot write the table: {e}")))?;
    } else {
        print_status(&statuses);
        admins::print_asked_by(&alog::asked::requests(&state), 20);
    }
    Ok(ExitCode::SUCCESS)
}

fn report(a: ReportArgs) -> Result<ExitCode, CliError> {
    use alog::report::{self, ReportError};
    let log = LogDir::new(&a.log);
    let (head, state) = committed_state(&log)?;
    let request = report::Request {
        document: a.document,
        unit: a.unit,
        date: date_arg("date", a.date.as_deref())?,
    };
    let made = report::make(&state, &head.checkpoint, &request).map_err(|e| match e {
        ReportError::Render(e) => lib(e),
        other => CliError::file(&a.log, other),
    })?;
    write_atomic(&a.output, &made.pdf, Overwrite::Replace, None).map_err(lib)?;
    out(format!(
        "wrote the report of {} document(s) at {} entries to {} ({} page(s))",
        made.report.documents.len(),
        head.checkpoint.size,
        a.output.display(),
        made.pages
    ));
    Ok(ExitCode::SUCCESS)
}

fn print_status(statuses: &[status::VersionStatus]) {
    use status::Standing::*;
    for s in statuses {
        let document = s
            .document
            .as_deref()
            .map(|d| format!("document {d}, "))
            .unwrap_or_default();
        out(format!(
            "{document}version {}: {} (effective {}, deadline {})",
            s.label, s.title, s.effective, s.deadline
        ));
        out(format!(
            "  {} acknowledged, {} late, {} outstanding, {} overdue, {} left",
            s.count(Acknowledged),
            s.count(Late),
            s.count(Outstanding),
            s.count(Overdue),
            s.count(Left)
        ));
        for l in &s.lines {
            let when = l.signed.map(|d| format!(" signed {d}")).unwrap_or_default();
            let no_key = if l.no_key { " (no key yet)" } else { "" };
            out(format!(
                "  {:<12} {:<28} {}{when} (deadline {}){no_key}",
                l.standing.english(),
                l.name,
                l.id,
                l.deadline
            ));
        }
    }
}

fn timestamp(a: TimestampArgs) -> Result<ExitCode, CliError> {
    let online_only = a.tsa_client_cert.is_some() || !a.tsa_tls_ca.is_empty();
    if a.tsa.is_none() && (online_only || a.tsa_timeout.is_some()) {
        return Err(CliError::input(
            "--tsa-client-cert, --tsa-client-key, --tsa-tls-ca and --tsa-timeout go with --tsa URL",
        )
        .with_hint(Some(
            "the offline route (--request, --reply) does not reach the TSA itself".into(),
        )));
    }
    let log = LogDir::new(&a.log);
    let fail = |e| CliError::file(&a.log, e);
    let size = alog::stamp::checkpoint_size(&log, a.checkpoint).map_err(fail)?;
    if let Some(path) = &a.request {
        let der = alog::stamp::request(&log, size).map_err(fail)?;
        write_atomic(path, &der, Overwrite::Replace, None).map_err(lib)?;
        out(format!(
            "wrote the time stamp request for checkpoint {size} to {}",
            path.display()
        ));
        out(format!(
            "send it to the time stamp authority, then: ackreg log timestamp {} --checkpoint {size} --reply FILE.tsr --query {}",
            a.log.display(),
            path.display()
        ));
        return Ok(ExitCode::SUCCESS);
    }
    let imported = match (&a.tsa, &a.reply) {
        (Some(url), _) => {
            let conn = connection(&a)?;
            alog::stamp::fetch(&log, size, url, &conn).map_err(fail)?
        }
        (None, Some(path)) => import_reply(&log, size, path, a.query.as_deref())?,
        (None, None) => {
            return Err(CliError::input(
                "give --tsa URL, --request FILE or --reply FILE",
            ))
        }
    };
    let verb = if imported.new { "kept" } else { "already kept" };
    out(format!(
        "{verb} the time stamp of checkpoint {} in {}: {} by TSA {} (not yet checked against a trust anchor: audit with `ackreg verify DIR --tsa-ca PEM`)",
        imported.size,
        imported.path.display(),
        imported.stamp.time_rfc3339(),
        imported.stamp.tsa
    ));
    Ok(ExitCode::SUCCESS)
}

/// How `--tsa` reaches the TSA: `--tsa-timeout`, `--tsa-client-cert` and
/// `--tsa-client-key`, `--tsa-tls-ca`.
fn connection(a: &TimestampArgs) -> Result<ackreg_tsa_http::Connection, CliError> {
    let mut conn = ackreg_tsa_http::Connection {
        timeout: a.tsa_timeout.map_or(
            ackreg_core::tsa::FETCH_TIMEOUT,
            std::time::Duration::from_secs,
        ),
        ..Default::default()
    };
    if let (Some(cert), Some(key)) = (&a.tsa_client_cert, &a.tsa_client_key) {
        let cert_pem = read_limited(cert, 1 << 20).map_err(|e| CliError::file(cert, e))?;
        let key_pem = zeroize::Zeroizing::new(
            read_limited(key, 1 << 20).map_err(|e| CliError::file(key, e))?,
        );
        conn.client = Some(
            ackreg_tsa_http::ClientIdentity::from_pem(&cert_pem, &key_pem).map_err(|e| {
                let path = match e {
                    ackreg_core::tsa::TsaError::ClientKey => key,
                    _ => cert,
                };
                CliError::file(path, e)
            })?,
        );
    }
    for path in &a.tsa_tls_ca {
        let pem = read_limited(path, 1 << 20).map_err(|e| CliError::file(path, e))?;
        let certs = ackreg_core::tsa::Anchor::from_pem(&pem).map_err(|e| {
            CliError::file(path, e).with_hint(Some(
                "--tsa-tls-ca takes the PEM certificate(s) of the CA of the TSA's TLS server"
                    .into(),
            ))
        })?;
        conn.tls_ca.extend(certs.iter().map(|c| c.to_der()));
    }
    Ok(conn)
}

/// `--reply FILE [--query FILE.tsq]`: imports a reply obtained elsewhere,
/// checking its nonce against the request when it is given.
fn import_reply(
    log: &LogDir,
    size: u64,
    path: &Path,
    query: Option<&Path>,
) -> Result<alog::stamp::Imported, CliError> {
    let der = read_limited(path, ackreg_core::tsa::MAX_RESPONSE_LEN)
        .map_err(|e| CliError::file(path, e))?;
    let nonce = match query {
        Some(q) => {
            let bytes = read_limited(q, 4096).map_err(|e| CliError::file(q, e))?;
            Some(alog::stamp::query_nonce(log, size, &bytes).map_err(|e| CliError::file(q, e))?)
        }
        None => None,
    };
    alog::stamp::import(log, size, &der, nonce).map_err(|e| CliError::file(path, e))
}

fn diff(a: DiffArgs) -> Result<ExitCode, CliError> {
    use ackreg_core::changes::{self, ChangesError};
    let log = LogDir::new(&a.log);
    let (_, state) = committed_state(&log)?;
    let comparison =
        changes::between(&log, &state, &a.document, &a.from, &a.to).map_err(|e| match e {
            ChangesError::NoDocument(_)
            | ChangesError::NoVersion { .. }
            | ChangesError::SameVersion(_) => CliError::file(&a.log, e),
            other => lib(other),
        })?;
    if let Some(path) = &a.pdf {
        let handout = changes::handout::render(&comparison).map_err(lib)?;
        write_atomic(path, &handout.pdf, Overwrite::Replace, None).map_err(lib)?;
        let note = format!("wrote the changes to {}", path.display());
        match a.json {
            true => eprintln!("{note}"),
            false => out(note),
        }
    }
    if a.json {
        out(serde_json::to_string_pretty(&comparison)
            .map_err(|e| CliError::input(e.to_string()))?);
    } else {
        print_changes(&comparison);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_changes(c: &ackreg_core::changes::Comparison) {
    use ackreg_core::changes::{Source, What};
    let version = |dir: &str, v: &ackreg_core::changes::VersionText| {
        let source = match v.source {
            Source::Template => "clauses as rendered",
            Source::PdfText => "clauses read from the PDF's text",
        };
        format!(
            "{dir} version {} (effective {}, sha256 {}), {source}",
            v.label, v.effective, v.sha256
        )
    };
    out(format!("document {}: {}", c.document, c.to.title));
    out(version("from", &c.from));
    out(version("to  ", &c.to));
    let s = &c.summary;
    out(format!(
        "{} changed, {} added, {} removed, {} renumbered, {} unchanged",
        s.changed, s.added, s.removed, s.renumbered, s.unchanged
    ));
    for change in &c.changes {
        let number = |x: &Option<ackreg_core::changes::Clause>| {
            x.as_ref().map_or(String::new(), |c| c.number.clone())
        };
        let kind = match change.kind {
            ackreg_core::changes::Kind::Chapter => "chapter",
            ackreg_core::changes::Kind::Clause => "clause",
        };
        let (old, new) = (number(&change.old), number(&change.new));
        let text = |x: &Option<ackreg_core::changes::Clause>| {
            x.as_ref().map_or(String::new(), |c| c.text.clone())
        };
        out("");
        match change.what {
            What::Added => {
                out(format!("added {kind} {new}"));
                out(format!("  + {}", text(&change.new)));
            }
            What::Removed => {
                out(format!("removed {kind} {old}"));
                out(format!("  - {}", text(&change.old)));
            }
            What::Renumbered => {
                out(format!("renumbered {kind} {old} -> {new}"));
                out(format!("    {}", text(&change.new)));
            }
            What::Changed => {
                let head = if old == new {
                    format!("changed {kind} {new}")
                } else {
                    format!("changed {kind} {old} -> {new}")
                };
                out(head);
                out(format!("  ~ {}", word_line(&change.words)));
            }
        }
    }
}

/// The words of a changed clause, `[-deleted-]` and `{+inserted+}` as
/// `git diff --word-diff` writes them.
fn word_line(words: &[ackreg_core::changes::Segment]) -> String {
    use ackreg_core::changes::Op;
    words
        .iter()
        .map(|w| match w.op {
            Op::Same => w.text.clone(),
            Op::Deleted => format!("[-{}-]", w.text),
            Op::Inserted => format!("{{+{}+}}", w.text),
        })
        .collect::<Vec<_>>()
        .join(" ")
}
