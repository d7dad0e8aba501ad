//! `ackreg serve`: the signing desk, a web application over the log for
//! employees to sign in a browser and for the administration to run the
//! register. This module reads the arguments and the issuer key, prints the
//! address and the administrator's one-time link, and logs requests; the
//! desk itself is `ackreg_desk`.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use ackreg_desk::{Config, Desk, DeskError, Observer, TlsFiles};

use super::common::{out, passphrase, CliError};

/// Serve the signing desk: employees acknowledge the rules in a browser,
/// the administration sees who signed, issues enrolment links, records
/// leavers and downloads the log and the annex.
///
/// By default it listens on 127.0.0.1 only. To serve an office network,
/// give --listen with --tls-cert and --tls-key: browsers allow WebCrypto
/// keys only on a secure page. `ackreg log` commands write the log while
/// the desk runs; the desk shows their entries within a second.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The log's folder.
    #[arg(long, value_name = "DIR")]
    log: PathBuf,

    /// The issuer's private key (PKCS#8 PEM); the passphrase comes from
    /// ACKREG_PASSPHRASE or the terminal.
    #[arg(long, value_name = "KEY", required_unless_present = "admin_link")]
    issuer_key: Option<PathBuf>,

    /// Serve nothing: make a new administrator sign-in link (works once,
    /// for an hour) for the desk serving --log, running or started later,
    /// print it and exit. Run it on the desk's computer, as someone who
    /// may write the log's folder.
    #[arg(long, conflicts_with_all = ["issuer_key", "listen", "tls_cert", "tls_key", "quiet", "templates"])]
    admin_link: bool,

    /// Address and port to listen on (port 0: any free port).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,

    /// TLS certificate chain (PEM), to serve over HTTPS.
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    tls_cert: Option<PathBuf>,

    /// The TLS certificate's private key (PEM).
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    tls_key: Option<PathBuf>,

    /// Print no line per request (errors are still printed).
    #[arg(long)]
    quiet: bool,

    /// A folder of templates the administration page may render to
    /// publish: each subfolder holding rules.typ is one, named by its
    /// folder.
    #[arg(long, value_name = "DIR")]
    templates: Option<PathBuf>,
}

/// Prints one line per request to standard error: the time (in the
/// computer's time zone, with its offset), the client's address, method,
/// path, status, duration. Paths never carry a token (links keep theirs
/// after `#`).
struct Lines {
    quiet: bool,
}

impl Observer for Lines {
    fn request(&self, s: &ackreg_desk::Served<'_>) {
        if !self.quiet {
            let now = jiff::Zoned::now().strftime("%Y-%m-%dT%H:%M:%S%:z");
            let mut e = std::io::stderr().lock();
            let _ = writeln!(
                e,
                "{now} {} {} {} {} {:.1} ms",
                s.client,
                s.method,
                s.path,
                s.status,
                s.micros as f64 / 1000.0
            );
        }
    }

    fn note(&self, text: &str) {
        let mut e = std::io::stderr().lock();
        let _ = writeln!(e, "desk: {text}");
    }
}

/// `--admin-link`: a new administrator link for the desk of `log`.
fn admin_link(log: &Path) -> Result<ExitCode, CliError> {
    let (token, expires) = ackreg_desk::admin::issue(log).map_err(|e| CliError::file(log, e))?;
    let until = ackreg_core::clock::day_of(expires)
        .map(ackreg_core::log::entry::format_date)
        .unwrap_or_default();
    let time = jiff::Timestamp::from_second(expires)
        .map(|t| {
            t.to_zoned(jiff::tz::TimeZone::system())
                .strftime("%H:%M")
                .to_string()
        })
        .unwrap_or_default();
    let base = ackreg_desk::admin::address(log).unwrap_or_else(|| "BASE".into());
    out(format!(
        "administrator sign-in (works once, until {until} {time}): {base}/admin#{token}"
    ));
    if ackreg_desk::admin::address(log).is_none() {
        out("(BASE: the address the desk prints at start)");
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run(args: Args) -> Result<ExitCode, CliError> {
    if args.admin_link {
        return admin_link(&args.log);
    }
    let Some(issuer_key) = args.issuer_key.as_ref() else {
        return Err(CliError::input("--issuer-key KEY is needed to serve"));
    };
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(TlsFiles {
            cert: cert.clone(),
            key: key.clone(),
        }),
        _ => None,
    };
    // The desk's TLS rule, asked before the passphrase (`Desk::start`
    // applies it again).
    ackreg_desk::check_listen(args.listen, tls.is_some()).map_err(CliError::lib)?;
    let acceptor = tls
        .as_ref()
        .map(TlsFiles::acceptor)
        .transpose()
        .map_err(CliError::lib)?;
    if let Some(dir) = args.templates.as_ref().filter(|d| !d.is_dir()) {
        return Err(CliError::input(format!(
            "--templates {}: not a folder",
            dir.display()
        )));
    }
    let key = passphrase::read_secret_key(issuer_key)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::input(format!("cannot start the server: {e}")))?;
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind(args.listen))
        .map_err(|e| CliError::input(format!("cannot listen on {}: {e}", args.listen)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| CliError::input(format!("cannot listen on {}: {e}", args.listen)))?;
    let started = Desk::start(Config {
        log: args.log.clone(),
        issuer: key,
        tls: acceptor.is_some(),
        listen: addr,
        observer: Arc::new(Lines { quiet: args.quiet }),
    })
    .map_err(|e| match e {
        DeskError::NeedsTls(_) => CliError::lib(e),
        e => CliError::file(&args.log, e),
    })?;
    if let Some(dir) = &args.templates {
        started.desk.set_templates(dir.clone());
    }
    announce(&args.log, addr, acceptor.is_some(), &started.admin_token);
    let app = ackreg_desk::http::router(started.desk.clone());
    let clock = runtime.spawn(ackreg_desk::keep_time(started.desk.clone()));
    runtime.block_on(ackreg_desk::serve(listener, app, acceptor, async {
        let _ = tokio::signal::ctrl_c().await;
    }));
    clock.abort();
    started.desk.stop();
    out("stopped");
    Ok(ExitCode::SUCCESS)
}

/// Prints where the desk serves, the administrator's one-time link and
/// the time zone of its dates; notes the address for `--admin-link`.
fn announce(log: &std::path::Path, addr: SocketAddr, tls: bool, admin_token: &str) {
    let base = base_url(addr, tls);
    if let Err(e) = ackreg_desk::admin::record_address(log, &base) {
        eprintln!("desk: {e}");
    }
    out(format!("signing desk for {} at {base}/", log.display()));
    out(format!(
        "administrator sign-in (works once): {base}/admin#{admin_token}"
    ));
    out(format!(
        "dates are days in the time zone {} (today {}; set TZ to change it)",
        ackreg_core::clock::zone_name(),
        ackreg_core::log::entry::format_date(ackreg_core::clock::today())
    ));
    if addr.ip().is_unspecified() {
        out("(use this computer's name from the certificate instead of the address above)");
    }
}

fn base_url(addr: SocketAddr, tls: bool) -> String {
    let scheme = if tls { "https" } else { "http" };
    format!("{scheme}://{addr}")
}
