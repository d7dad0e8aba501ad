//! The one place where a hint names an option or a command of ackreg.
//!
//! The library says what to do in words ("pass the PDF of the rules",
//! "give the time stamp authority a longer deadline"): it does not know
//! which program or option fed it the input. The command line does, so
//! every library error it shows goes through [`CliHint`]:
//!
//! - most errors print the library's own hint unchanged (the one-line
//!   `impl CliHint for ... {}` list at the end of this file);
//! - the few whose advice is "give it with an option" say the same naming
//!   the option or command that feeds that input (`--document`, `--force`,
//!   `ackreg keygen`, `ACKREG_PASSPHRASE`, ...), per error variant, below;
//! - an error that wraps another (a keyring's write error, a log's lock)
//!   takes the hint of the one it wraps, as the library does.
//!
//! [`CliError::lib`](super::CliError::lib) and
//! [`CliError::file`](super::CliError::file) take any `CliHint`, so a new
//! library error type cannot reach a person without being listed here. A
//! hint that depends on the call site rather than the error (which flag of
//! `verify` a certificate came from) is given there with
//! [`CliError::with_hint`](super::CliError::with_hint).

use ackreg_core::document::DocumentError;
use ackreg_core::fsutil::{LockError, WriteError};
use ackreg_core::keyring::KeyringError;
use ackreg_core::keys::{KeyError, PUBLIC_KEY_LABEL};
use ackreg_core::log::stamp::StampError;
use ackreg_core::log::state::Refusal;
use ackreg_core::log::StoreError;
use ackreg_core::pdf::PdfError;
use ackreg_core::render::{RenderError, MAIN_FILE, STYLE_FILE};
use ackreg_core::tsa::TsaError;
use ackreg_core::Hint;

/// The hint line the command line prints for a library error.
pub trait CliHint: std::error::Error + Hint {
    /// The library's hint, or the same advice naming the option or command
    /// of ackreg that gives what is missing.
    fn cli_hint(&self) -> Option<String> {
        self.hint()
    }
}

/// `Some(text)` of a hint naming an option.
fn named(text: &str) -> Option<String> {
    Some(text.into())
}

impl CliHint for DocumentError {
    fn cli_hint(&self) -> Option<String> {
        match self {
            DocumentError::NotPdf(_) | DocumentError::TooLarge => {
                named("pass the PDF of the rules with --document")
            }
            DocumentError::NoTitle | DocumentError::BadTitle => {
                named("give the title with --title")
            }
            _ => self.hint(),
        }
    }
}

impl CliHint for WriteError {
    fn cli_hint(&self) -> Option<String> {
        match self {
            WriteError::Exists(_) => {
                named("choose another path, or pass --force to replace the file")
            }
            _ => self.hint(),
        }
    }
}

impl CliHint for LockError {
    fn cli_hint(&self) -> Option<String> {
        match self {
            LockError::Held { .. } => named(
                "wait for the other run to finish, or run again without --no-wait to wait for it",
            ),
            _ => self.hint(),
        }
    }
}

impl CliHint for KeyringError {
    fn cli_hint(&self) -> Option<String> {
        match self {
            KeyringError::Missing => named(
                "pass the keyring folder with --keyring, or create one with `ackreg keygen` or \
                 `ackreg keyring add`",
            ),
            KeyringError::Json(_) | KeyringError::Version(_) => named(
                "keyring.json is written by `ackreg keygen` and `ackreg keyring add`; restore it \
                 from a backup rather than editing it by hand",
            ),
            KeyringError::Write(e) => e.cli_hint(),
            KeyringError::Lock(e) => e.cli_hint(),
            _ => self.hint(),
        }
    }
}

impl CliHint for KeyError {
    fn cli_hint(&self) -> Option<String> {
        match self {
            KeyError::Label { found, .. } if found.contains("OPENSSH") => named(
                "convert the key to PKCS#8 with `ssh-keygen -p -m PKCS8 -f FILE`, or make one \
                 with `ackreg keygen`",
            ),
            KeyError::Label { found, .. } if found == PUBLIC_KEY_LABEL => self.hint(),
            KeyError::Label { .. } => {
                named("make a key with `ackreg keygen` or `openssl genpkey -algorithm ed25519`")
            }
            KeyError::Algorithm { .. } => named(
                "ackreg only uses Ed25519; make a key with `ackreg keygen` or \
                 `openssl genpkey -algorithm ed25519`",
            ),
            KeyError::PassphraseNeeded => {
                named("set ACKREG_PASSPHRASE or run the command on a terminal to be asked for it")
            }
            KeyError::WrongPassphrase => {
                named("check the passphrase (ACKREG_PASSPHRASE, if it is set)")
            }
            _ => self.hint(),
        }
    }
}

impl CliHint for StoreError {
    fn cli_hint(&self) -> Option<String> {
        match self {
            StoreError::NotALog(_) => {
                named("create one with `ackreg log init`, or name the log's folder")
            }
            StoreError::Damaged(_) => {
                named("audit it with `ackreg verify` and restore the folder from a backup")
            }
            StoreError::Lock(e) => e.cli_hint(),
            StoreError::Write(e) => e.cli_hint(),
            StoreError::Refused { error, .. } => refusal_hint(error).or_else(|| self.hint()),
            _ => self.hint(),
        }
    }
}

/// What to do about a refusal of log format 0.3's rules, naming the command
/// that does it (the older refusals say it in their message).
fn refusal_hint(refusal: &Refusal) -> Option<String> {
    match refusal {
        Refusal::UnknownUnit(_) => named("declare the unit first with `ackreg log unit`"),
        Refusal::UnitExists(_) => named("a unit is declared once: choose another --id"),
        Refusal::UndeclaredDocument(_) => {
            named("declare the document first with `ackreg log document`")
        }
        Refusal::AlreadyKnown(_) => named(
            "an employee joins once: record a change with `ackreg log move` or `ackreg log update`",
        ),
        Refusal::NotAsJoined { .. } => named(
            "give --name and --position as the log has them, or record the change first with \
             `ackreg log update`",
        ),
        Refusal::NoKeyYet(_) => named("enrol their first key with `ackreg log enrol`"),
        _ => None,
    }
}

impl CliHint for StampError {
    fn cli_hint(&self) -> Option<String> {
        match self {
            StampError::Store(e) => e.cli_hint(),
            StampError::Refused { source, .. } | StampError::Fetch(source) => source.cli_hint(),
            StampError::Write(e) => e.cli_hint(),
            _ => self.hint(),
        }
    }
}

impl CliHint for PdfError {
    fn cli_hint(&self) -> Option<String> {
        match self {
            PdfError::NoAttachment(_) => named(
                "verify the annex PDF written by `ackreg register --pdf`, or the register JSON \
                 itself",
            ),
            _ => self.hint(),
        }
    }
}

impl CliHint for RenderError {
    fn cli_hint(&self) -> Option<String> {
        match self {
            RenderError::TemplateIo { .. } => Some(format!(
                "a template is a folder holding {MAIN_FILE} (and optionally {STYLE_FILE}); \
                 omit --template to render the built-in document"
            )),
            _ => self.hint(),
        }
    }
}

impl CliHint for TsaError {
    fn cli_hint(&self) -> Option<String> {
        match self {
            TsaError::IssuerNotFound { .. } => named(
                "give the CA certificate the time stamp authority chains to as a trust anchor \
                 (--tsa-ca), and any intermediate CA certificate the token lacks with --tsa-chain",
            ),
            TsaError::Network { .. } => named(
                "check the network, the URL and any proxy (HTTPS_PROXY, NO_PROXY), or try \
                 again later; an https:// TSA that drops the connection (broken pipe, reset) \
                 may want a client certificate (--tsa-client-cert, --tsa-client-key)",
            ),
            TsaError::Timeout(_) => {
                named("try again later, or give a longer --tsa-timeout SECONDS")
            }
            TsaError::Tls { .. } => named(
                "check the TSA's TLS certificate (give its CA with --tsa-tls-ca PEM) and, if it \
                 asks for one, the client certificate (--tsa-client-cert, --tsa-client-key)",
            ),
            TsaError::ClientKey => named(
                "give --tsa-client-key the PEM private key of the --tsa-client-cert certificate",
            ),
            _ => self.hint(),
        }
    }
}

impl CliHint for ackreg_core::log::annex::MakeError {
    fn cli_hint(&self) -> Option<String> {
        use ackreg_core::log::annex::MakeError;
        match self {
            MakeError::Entries(e) => e.cli_hint(),
            MakeError::Stamps(e) => e.cli_hint(),
            MakeError::Render(e) => e.cli_hint(),
            _ => self.hint(),
        }
    }
}

impl CliHint for ackreg_core::evidence::IssuerKeyError {
    fn cli_hint(&self) -> Option<String> {
        match self {
            ackreg_core::evidence::IssuerKeyError::Key { source, .. } => source.cli_hint(),
            _ => self.hint(),
        }
    }
}

impl CliHint for ackreg_desk::DeskError {
    fn cli_hint(&self) -> Option<String> {
        match self {
            ackreg_desk::DeskError::Store(e) => e.cli_hint(),
            _ => self.hint(),
        }
    }
}

impl CliHint for ackreg_core::changes::ChangesError {
    fn cli_hint(&self) -> Option<String> {
        use ackreg_core::changes::{ChangesError, IMPLICIT_DOCUMENT};
        match self {
            ChangesError::NoDocument(_) => named(&format!(
                "--document takes a document the log declares (`ackreg log status` lists them), or {IMPLICIT_DOCUMENT}"
            )),
            ChangesError::NoVersion { .. } => {
                named("--from and --to take the labels that `ackreg log status` lists")
            }
            ChangesError::SameVersion(_) => named("give --from and --to two different labels"),
            _ => self.hint(),
        }
    }
}

impl CliHint for ackreg_core::log::report::ReportError {
    fn cli_hint(&self) -> Option<String> {
        use ackreg_core::log::report::ReportError;
        match self {
            ReportError::NoDocument(_) => named(
                "--document takes a document the log declares (`ackreg log status` lists them), or rules",
            ),
            ReportError::NoUnit(_) => {
                named("--unit takes a unit the log declares; declare one with `ackreg log unit`")
            }
            ReportError::NotInForce { .. } | ReportError::NothingInForce(_) => named(
                "a version is reported from its effective date: give a later --date, or publish one",
            ),
            ReportError::Render(e) => e.cli_hint(),
            ReportError::NoIssuer => self.hint(),
        }
    }
}

impl CliHint for ackreg_core::log::annex::AnnexError {
    fn cli_hint(&self) -> Option<String> {
        use ackreg_core::log::annex::AnnexError;
        match self {
            AnnexError::Ambiguous { .. } => named("name the document with --document ID"),
            AnnexError::NoDocument(_) => named(
                "--document takes a document the log declares (`ackreg log status` lists them), or rules",
            ),
            _ => self.hint(),
        }
    }
}

/// The library errors whose hints name nothing of the command line: shown
/// with the library's own words.
macro_rules! in_the_library_words {
    ($($error:ty),* $(,)?) => {
        $(impl CliHint for $error {})*
    };
}

in_the_library_words!(
    ackreg_core::ack::AckError,
    ackreg_core::changes::clauses::ClausesError,
    ackreg_core::changes::pdftext::PdfTextError,
    ackreg_core::dsse::DsseError,
    ackreg_core::edoc::EdocError,
    ackreg_core::encoding::JsonError,
    ackreg_core::fsutil::ReadError,
    ackreg_core::log::annex::AnnexPdfError,
    ackreg_core::log::container::ContainerError,
    ackreg_core::log::entry::EntryError,
    ackreg_core::log::receipt::ReceiptError,
    ackreg_core::log::AckFileError,
    ackreg_core::log::CheckError,
    ackreg_core::register::RegisterError,
    ackreg_core::staff::StaffError,
    ackreg_core::text::TextError,
    ackreg_desk::request::RequestError,
    tlog::checkpoint::CheckpointError,
    tlog::checkpoint::DecimalError,
    tlog::encoding::EncodingError,
    tlog::merkle::MerkleError,
    tlog::note::NoteError,
    tlog::tlogproof::TlogProofError,
);
