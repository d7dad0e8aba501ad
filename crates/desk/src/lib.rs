//! The signing desk: a small web application over the log, so that
//! employees acknowledge the rules in a browser and the administration runs
//! the register from a page.
//!
//! What it is for: the web face of the register. The server decides
//! everything the pages show and accept; `ackreg serve` only reads its
//! arguments and the issuer key, and prints. What an entry, a receipt or a
//! valid acknowledgement is, is the core's decision (`ackreg_core`), never
//! this crate's.
//!
//! What it must not know: terminals or command-line options. Its messages
//! say what to do in words. The browser makes and keeps
//! each employee's Ed25519 key (WebCrypto, not extractable) and signs the
//! same DSSE acknowledgement that `ackreg sign` makes; the desk checks it
//! exactly as the log does and answers only once a signed checkpoint that
//! covers it is on disk.
//!
//! - [`secret`]: random tokens kept only as hashes, sessions, sign-in
//!   challenges and the count of failed attempts;
//! - [`admin`]: a new administrator link made on the desk's computer;
//! - [`enrolment`]: single-use, expiring enrolment links;
//! - [`pin`]: employees' PINs, hashed, with their own attempt limit;
//! - [`departure`]: departures recorded ahead, written on their day;
//! - [`administrators`]: named administrators: their keys, invitations,
//!   sign-in, and the entries they ask for;
//! - [`plan`]: an administrator's request, signed in the browser, and the
//!   commit of it with its entries, all or nothing;
//! - [`request`]: the strict parsers of every request body;
//! - [`writer`]: the queue in front of the log's one appender, grouping
//!   what arrives together into one commit (one checkpoint, one round of
//!   fsyncs);
//! - [`http`]: routes, security headers, the origin check, the pages;
//! - [`view`]: what the pages show, from the log's state;
//! - [`staff`]: the HR staff file uploaded, its changes previewed and
//!   offered for the administrator's signature;
//! - [`reports`]: the status CSV, the printed report, the annex and the
//!   log's files to download;
//! - [`changes`]: what changed between two versions, read once and kept;
//! - [`publish`]: publishing a version from the page (upload, template,
//!   preview, the entries);
//! - [`listen`]: the accept loop, plain on loopback or TLS (rustls).

#![forbid(unsafe_code)]

pub mod admin;
pub mod administrators;
pub mod changes;
pub mod departure;
pub mod enrolment;
pub mod http;
pub mod listen;
pub mod pin;
pub mod plan;
pub mod publish;
pub mod reports;
pub mod request;
pub mod secret;
pub mod staff;
pub mod status_cache;
pub mod view;
pub mod writer;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ackreg_core::fsutil::Wait;
use ed25519_dalek::SigningKey;
use time::Date;

pub use listen::{serve, TlsFiles};

/// DSSE payload type of the message an employee's browser signs to sign
/// in: the server's one-time challenge. It can never be taken for an
/// acknowledgement, whose payload type differs.
pub const SIGNIN_TYPE: &str = "application/vnd.ackreg.desk-signin";
/// DSSE payload type of the message that proves, at enrolment, that the
/// browser holds the private key of the public key it sends: the
/// enrolment token.
pub const ENROL_TYPE: &str = "application/vnd.ackreg.desk-enrol";
/// DSSE payload type of the message that proves, when a named
/// administrator's key is enrolled, that the browser holds its private
/// key: the desk's challenge (under the one-time link) or the invitation's
/// token.
pub const ADMIN_ENROL_TYPE: &str = "application/vnd.ackreg.desk-admin-enrol";

/// Why the desk cannot start or go on.
#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    /// The log cannot be opened for writing.
    #[error(transparent)]
    Store(#[from] ackreg_core::log::StoreError),
    /// Another desk serves this log.
    #[error(transparent)]
    Serving(ackreg_core::fsutil::LockError),
    /// A file of the desk could not be read or written.
    #[error("{}: {error}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What happened.
        error: std::io::Error,
    },
    /// The desk's saved enrolment links do not parse.
    #[error("{}: {error}", path.display())]
    Saved {
        /// The file.
        path: PathBuf,
        /// Why.
        error: ackreg_core::encoding::JsonError,
    },
    /// A file could not be written.
    #[error(transparent)]
    Write(#[from] ackreg_core::fsutil::WriteError),
    /// The TLS certificate or key is unusable.
    #[error("TLS: {0}")]
    Tls(String),
    /// No randomness from the operating system.
    #[error("no randomness from the operating system: {0}")]
    Random(getrandom::Error),
    /// The listening address is refused.
    #[error("{0} is not a loopback address: serving a network needs TLS")]
    NeedsTls(SocketAddr),
}

impl ackreg_core::Hint for DeskError {
    fn hint(&self) -> Option<String> {
        match self {
            DeskError::Store(e) => ackreg_core::Hint::hint(e),
            DeskError::Serving(ackreg_core::fsutil::LockError::Held { .. }) => {
                Some("another desk serves this log: stop it first".into())
            }
            DeskError::Serving(e) => ackreg_core::Hint::hint(e),
            DeskError::NeedsTls(_) => Some(
                "browsers allow WebCrypto only on a secure page: give a certificate and its key, \
                 or listen on 127.0.0.1"
                    .into(),
            ),
            DeskError::Tls(_) => {
                Some("give a PEM certificate chain and its PEM private key".into())
            }
            _ => None,
        }
    }
}

/// One request answered, as the desk reports it.
#[derive(Debug, Clone, Copy)]
pub struct Served<'a> {
    /// The client's address (the TCP peer).
    pub client: std::net::IpAddr,
    /// The method.
    pub method: &'a str,
    /// The path, never the query (no token is ever in a path).
    pub path: &'a str,
    /// The status answered.
    pub status: u16,
    /// How long it took, in microseconds.
    pub micros: u128,
}

/// What the binary reports while the desk runs (the library never prints).
pub trait Observer: Send + Sync {
    /// One request answered.
    fn request(&self, _served: &Served<'_>) {}
    /// Something the operator should know (the writer failed, a reopen).
    fn note(&self, _text: &str) {}
}

/// An observer that reports nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Quiet;

impl Observer for Quiet {}

/// How the desk is set up.
pub struct Config {
    /// The log's folder.
    pub log: PathBuf,
    /// The issuer's key (signs every checkpoint).
    pub issuer: SigningKey,
    /// Whether the pages are served over TLS (cookies get `Secure`).
    pub tls: bool,
    /// The address it listens on (for the allowed `Host` names).
    pub listen: SocketAddr,
    /// Who hears about requests.
    pub observer: Arc<dyn Observer>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("log", &self.log)
            .field("tls", &self.tls)
            .field("listen", &self.listen)
            .finish_non_exhaustive()
    }
}

/// A running desk's shared state.
pub struct Desk {
    log: ackreg_core::log::LogDir,
    /// `DIR/desk/serve.lock`, held while the desk runs: one desk per log,
    /// since its own files (links, PINs, planned departures) are kept in
    /// memory and saved whole.
    _serving: ackreg_core::fsutil::Lock,
    tls: bool,
    listen: SocketAddr,
    writer: writer::Handle,
    secrets: secret::Secrets,
    enrolments: enrolment::Enrolments,
    pins: pin::Pins,
    departures: departure::Departures,
    /// Held while planned departures are written, so that no request is
    /// answered as if a due departure had not happened.
    departing: tokio::sync::Mutex<()>,
    changes: changes::Cache,
    /// The PDFs staged for publishing and the known templates.
    publishing: publish::Staging,
    /// Named administrators' requests waiting for their signatures.
    plans: plan::Plans,
    /// The administration page's status, kept between requests.
    status: status_cache::StatusCache,
    /// Administrators invited, and those who made their key and wait.
    waiting: administrators::Waiting,
    observer: Arc<dyn Observer>,
}

impl std::fmt::Debug for Desk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Desk")
            .field("log", &self.log)
            .field("tls", &self.tls)
            .finish_non_exhaustive()
    }
}

/// A desk and the token of its one-time administrator sign-in link.
#[derive(Debug)]
pub struct Started {
    /// The desk.
    pub desk: Arc<Desk>,
    /// The secret of the administrator's sign-in link (`/admin#TOKEN`).
    pub admin_token: String,
}

impl Desk {
    /// Refuses to serve plain HTTP beyond loopback ([`check_listen`]),
    /// refuses a log another desk serves ([`serving_lock`]), then opens the
    /// log for writing (it takes the log's lock only while it commits; see
    /// [`writer`]), starts the writer task and makes the administrator's
    /// one-time sign-in token.
    pub fn start(config: Config) -> Result<Started, DeskError> {
        check_listen(config.listen, config.tls)?;
        let serving = serving_lock(&config.log)?;
        let writer = writer::Handle::start(&config.log, config.issuer, config.observer.clone())?;
        let enrolments = enrolment::Enrolments::load(&desk_dir(&config.log))?;
        let pins = pin::Pins::load(&desk_dir(&config.log))?;
        let departures = departure::Departures::load(&desk_dir(&config.log))?;
        let secrets = secret::Secrets::new();
        let admin_token = secrets.new_admin_link()?;
        let desk = Desk {
            log: ackreg_core::log::LogDir::new(&config.log),
            _serving: serving,
            tls: config.tls,
            listen: config.listen,
            writer,
            secrets,
            enrolments,
            pins,
            departures,
            departing: tokio::sync::Mutex::new(()),
            changes: changes::Cache::default(),
            publishing: publish::Staging::default(),
            plans: plan::Plans::default(),
            status: status_cache::StatusCache::default(),
            waiting: administrators::Waiting::default(),
            observer: config.observer,
        };
        Ok(Started {
            desk: Arc::new(desk),
            admin_token,
        })
    }

    /// Sets the folder of the templates the desk renders: each subfolder
    /// holding `rules.typ` is one (`ackreg serve --templates DIR`).
    pub fn set_templates(&self, dir: PathBuf) {
        self.publishing.set_templates(dir);
    }

    /// The log's folder.
    pub fn log(&self) -> &ackreg_core::log::LogDir {
        &self.log
    }

    /// Writes the `leave` entries of the planned departures whose day has
    /// come (see [`departure`]) and ends those employees' sessions. A
    /// departure the log refuses is dropped and reported; one that could
    /// not be written now stays planned.
    pub async fn write_due_departures(&self) {
        // Quick when nothing is due; when another task is writing them,
        // wait for it to finish.
        let _turn = match self.departing.try_lock() {
            Ok(turn) if self.departures.any_due(today()) => turn,
            Ok(_) => return,
            Err(_) => self.departing.lock().await,
        };
        for planned in self.departures.take_due(today()) {
            let id = planned.id.clone();
            let written = match &planned.request {
                // Asked by a named administrator: their signed request,
                // then the departure it names, in one commit.
                Some(request) => match ackreg_core::log::entry::leave_bytes(&id, planned.date) {
                    Ok(leave) => self
                        .writer
                        .group(vec![request.clone().into_bytes(), leave])
                        .await
                        .map(|_| ()),
                    Err(e) => Err(request::RequestError::Refused(e.to_string())),
                },
                None => self
                    .writer
                    .leave(id.clone(), planned.date)
                    .await
                    .map(|_| ()),
            };
            match written {
                Ok(()) => {}
                Err(request::RequestError::Refused(why)) => self.observer.note(&format!(
                    "the departure of {id} planned for {} is refused: {why}",
                    ackreg_core::log::entry::format_date(planned.date)
                )),
                Err(e) => {
                    self.observer
                        .note(&format!("the departure of {id} cannot be written now: {e}"));
                    self.departures.restore(planned);
                    continue;
                }
            }
            if let Err(e) = self.departures.written(&id) {
                self.observer.note(&format!("{e}"));
            }
            self.secrets.close_employee(&id);
        }
    }

    /// Asks the writer task to finish its batch and stop; returns once it has.
    pub fn stop(&self) {
        self.writer.stop();
    }
}

/// The TLS rule: the desk serves plain HTTP only on a loopback address.
/// Beyond it browsers allow WebCrypto keys only on a secure page, and
/// sessions and PINs would cross the network in clear.
/// [`Desk::start`] applies it; a caller may ask it earlier, before it
/// asks for the issuer's passphrase, say.
pub fn check_listen(listen: SocketAddr, tls: bool) -> Result<(), DeskError> {
    if tls || listen.ip().is_loopback() {
        Ok(())
    } else {
        Err(DeskError::NeedsTls(listen))
    }
}

/// Takes `DIR/desk/serve.lock` without waiting, for as long as the desk
/// runs. A folder that holds no log is refused as such first.
fn serving_lock(log: &Path) -> Result<ackreg_core::fsutil::Lock, DeskError> {
    if !ackreg_core::log::LogDir::new(log).exists() {
        return Err(ackreg_core::log::StoreError::NotALog(log.to_path_buf()).into());
    }
    let dir = desk_dir(log);
    std::fs::create_dir_all(&dir).map_err(|error| DeskError::Io {
        path: dir.clone(),
        error,
    })?;
    ackreg_core::fsutil::Lock::acquire(&dir.join("serve"), Wait::No, |_, _| {})
        .map_err(DeskError::Serving)
}

/// Writes the planned departures when their day comes, checking every
/// minute, for as long as the desk runs (requests also check first).
pub async fn keep_time(desk: Arc<Desk>) {
    loop {
        desk.write_due_departures().await;
        tokio::time::sleep(std::time::Duration::from_secs(60)).await;
    }
}

/// The desk's own folder inside the log's: the saved enrolment links, the
/// employees' PINs and planned departures.
pub fn desk_dir(log: &Path) -> PathBuf {
    log.join("desk")
}

/// Reads one of the desk's saved JSON files, at most `limit` bytes: its
/// default when the file is absent, an error naming it when it cannot be
/// read or is not the JSON the desk writes.
fn load_saved<T: serde::de::DeserializeOwned + Default>(
    path: &Path,
    limit: usize,
) -> Result<T, DeskError> {
    match ackreg_core::fsutil::read_limited(path, limit) {
        Ok(bytes) => ackreg_core::encoding::from_json(&bytes).map_err(|error| DeskError::Saved {
            path: path.to_path_buf(),
            error,
        }),
        Err(_) if !path.exists() => Ok(T::default()),
        Err(e) => Err(DeskError::Io {
            path: path.to_path_buf(),
            error: std::io::Error::other(e.to_string()),
        }),
    }
}

/// The routes of the modules that [`http::router`] merges under its guard
/// (composed here, so that `http` names none of them and none of them
/// imports round a circle).
fn module_routes() -> axum::Router<Arc<Desk>> {
    administrators::routes()
        .layer(axum::extract::DefaultBodyLimit::max(
            request::MAX_COMMIT_BODY,
        ))
        .merge(publish::routes())
        .merge(staff::routes())
        .merge(reports::routes())
}

/// Today's date in the computer's time zone (see [`ackreg_core::clock`]): the
/// date the desk writes as received.
pub fn today() -> Date {
    ackreg_core::clock::today()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(listen: &str, tls: bool) -> Config {
        Config {
            log: PathBuf::from("/nonexistent/ackreg-desk-test"),
            issuer: SigningKey::from_bytes(&[7; 32]),
            tls,
            listen: listen.parse().unwrap(),
            observer: Arc::new(Quiet),
        }
    }

    #[test]
    fn plain_http_is_refused_beyond_loopback_by_start_itself() {
        for listen in ["0.0.0.0:8080", "192.0.2.1:443", "[::]:0"] {
            let refused = Desk::start(config(listen, false));
            assert!(
                matches!(refused, Err(DeskError::NeedsTls(a)) if a.to_string() == listen),
                "{listen}: {refused:?}"
            );
        }
        // With TLS, or on loopback, the rule passes (and the missing log
        // is what stops the start).
        for (listen, tls) in [
            ("0.0.0.0:8080", true),
            ("127.0.0.1:0", false),
            ("[::1]:0", false),
        ] {
            assert!(
                check_listen(listen.parse().unwrap(), tls).is_ok(),
                "{listen}"
            );
            assert!(
                matches!(Desk::start(config(listen, tls)), Err(DeskError::Store(_))),
                "{listen}"
            );
        }
    }
}
