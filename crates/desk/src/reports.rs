//! The administration's downloads: per document and unit, the status as
//! CSV (`ackreg log status --csv`), the printed report (`ackreg log
//! report`), the filled annex of a version (`ackreg log annex`), and the
//! log's files to audit offline ([`ackreg_core::log::bundle`]).
//!
//! Every download is made by the library from the log as of its newest
//! checkpoint, read from the folder ([`LogDir::committed`]) on a blocking
//! thread: a report of a large organisation takes time, and neither the
//! request threads nor the writer wait for it. Each answer names its file
//! in Latvian (`Content-Disposition` with `filename*=UTF-8''`, and an ASCII
//! `filename` for old clients).

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::http::{unavailable, Answer, Ctx, Fail, Shared};
use super::request::RequestError;
use super::today;
use ackreg_core::log::entry::format_date;
use ackreg_core::log::state::State as LogState;
use ackreg_core::log::status;
use ackreg_core::log::LogDir;

/// The routes (administrator only).
pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/api/admin/reports/status.csv", get(status_csv))
        .route("/api/admin/reports/report.pdf", get(report_pdf))
        .route("/api/admin/reports/annex/{n}", get(annex))
        .route("/api/admin/reports/log.tar.gz", get(log_files))
}

/// What a download is about: a document, a unit, or both; none is the
/// whole register.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// A document's identifier (`rules` for the implicit one).
    pub document: Option<String>,
    /// A unit's identifier.
    pub unit: Option<String>,
}

/// Reads `document=ID&unit=ID` (each optional, empty is none). Anything
/// else, or a value that is not an identifier, is refused naming it.
pub fn filter(query: Option<&str>) -> Result<Filter, RequestError> {
    let mut f = Filter::default();
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let slot = match key {
            "document" => &mut f.document,
            "unit" => &mut f.unit,
            _ => {
                return Err(RequestError::Field {
                    field: "query",
                    why: "may name only document and unit".into(),
                })
            }
        };
        if value.is_empty() {
            continue;
        }
        if ackreg_core::text::check_id(value).is_err() {
            let field = if key == "document" {
                "document"
            } else {
                "unit"
            };
            return Err(RequestError::Field {
                field,
                why: "is not an identifier".into(),
            });
        }
        *slot = Some(value.to_string());
    }
    Ok(f)
}

/// The filter's document and unit are in the log (as `ackreg log status`
/// checks them).
fn check_filter(state: &LogState, f: &Filter) -> Result<(), RequestError> {
    if let Some(d) = f.document.as_deref() {
        if !state.document_ids().contains(&d) {
            return Err(RequestError::Field {
                field: "document",
                why: format!("{d} is not in the log"),
            });
        }
    }
    if let Some(u) = f.unit.as_deref() {
        if state.unit(u).is_none() {
            return Err(RequestError::Field {
                field: "unit",
                why: format!("{u} is not declared in the log"),
            });
        }
    }
    Ok(())
}

/// `statuss`, `-DOCUMENT`, `-UNIT`, `-DATE`: the words of a file name.
fn stem(what: &str, f: &Filter, date: time::Date) -> String {
    let mut name = what.to_string();
    for part in [&f.document, &f.unit].into_iter().flatten() {
        name.push('-');
        name.push_str(part);
    }
    if f.document.is_none() && f.unit.is_none() {
        name.push_str("-visi");
    }
    name.push('-');
    name.push_str(&format_date(date));
    name
}

/// `value` cut to what a file name may hold: letters (Latvian ones too),
/// digits, `.`, `-`, `_`; anything else becomes `-`.
pub fn file_word(value: &str) -> String {
    value
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// `name` in ASCII for the plain `filename`: Latvian letters without
/// their marks, anything else outside printable ASCII (and `"`, `\`) as
/// `-`.
pub fn ascii_name(name: &str) -> String {
    const LATVIAN: [(char, char); 11] = [
        ('ā', 'a'),
        ('č', 'c'),
        ('ē', 'e'),
        ('ģ', 'g'),
        ('ī', 'i'),
        ('ķ', 'k'),
        ('ļ', 'l'),
        ('ņ', 'n'),
        ('š', 's'),
        ('ū', 'u'),
        ('ž', 'z'),
    ];
    name.chars()
        .map(|c| {
            let lower = c.to_lowercase().next().unwrap_or(c);
            let plain = LATVIAN.iter().find(|(l, _)| *l == lower).map(|(_, a)| *a);
            match plain {
                Some(a) if c.is_uppercase() => a.to_ascii_uppercase(),
                Some(a) => a,
                None if c.is_ascii_graphic() && c != '"' && c != '\\' => c,
                None => '-',
            }
        })
        .collect()
}

/// `attachment; filename="ASCII"; filename*=UTF-8''PERCENT-ENCODED`
/// (RFC 6266, RFC 8187).
pub fn disposition(name: &str) -> String {
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!(
        "attachment; filename=\"{}\"; filename*=UTF-8''{encoded}",
        ascii_name(name)
    )
}

/// A download: its bytes, type and Latvian file name.
fn download(bytes: Vec<u8>, kind: &'static str, name: &str) -> Answer {
    let mut r = ([(header::CONTENT_TYPE, kind)], bytes).into_response();
    let value = HeaderValue::from_str(&disposition(name))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    r.headers_mut().insert(header::CONTENT_DISPOSITION, value);
    Ok(r)
}

/// Runs `work` on the log as of its newest checkpoint, on a blocking
/// thread.
async fn with_log<T: Send + 'static>(
    desk: &Shared,
    work: impl FnOnce(&LogDir, &tlog::checkpoint::SignedCheckpoint, &LogState) -> Result<T, RequestError>
        + Send
        + 'static,
) -> Result<T, Fail> {
    let log = desk.log.clone();
    let done = tokio::task::spawn_blocking(move || {
        let (head, state) = log.committed().map_err(unavailable)?;
        work(&log, &head, &state).map_err(Fail)
    })
    .await
    .map_err(unavailable)?;
    done
}

/// The status CSV of the filter, the same bytes as `ackreg log status
/// --csv` for the same filter and day.
pub fn status_bytes(
    state: &LogState,
    f: &Filter,
    day: time::Date,
) -> Result<Vec<u8>, RequestError> {
    check_filter(state, f)?;
    let filter = status::Filter {
        document: f.document.clone(),
        unit: f.unit.clone(),
    };
    let statuses = status::status_of(state, day, &filter);
    status::to_csv(&statuses).map_err(|e| RequestError::Unavailable(e.to_string()))
}

async fn status_csv(State(desk): State<Shared>, ctx: Ctx, uri: Uri) -> Response {
    let answer = async {
        ctx.admin()?;
        let f = filter(uri.query())?;
        let day = today();
        let name = format!("{}.csv", stem("statuss", &f, day));
        let bytes = with_log(&desk, move |_, _, state| status_bytes(state, &f, day)).await?;
        download(bytes, "text/csv; charset=utf-8", &name)
    };
    answer.await.unwrap_or_else(IntoResponse::into_response)
}

async fn report_pdf(State(desk): State<Shared>, ctx: Ctx, uri: Uri) -> Response {
    use ackreg_core::log::report::{self, ReportError};
    let answer = async {
        ctx.admin()?;
        let f = filter(uri.query())?;
        let day = today();
        let name = format!("{}.pdf", stem("pārskats", &f, day));
        let pdf = with_log(&desk, move |_, head, state| {
            check_filter(state, &f)?;
            let request = report::Request {
                document: f.document.clone(),
                unit: f.unit.clone(),
                date: day,
            };
            match report::make(state, &head.checkpoint, &request) {
                Ok(made) => Ok(made.pdf),
                Err(ReportError::Render(e)) => Err(RequestError::Unavailable(e.to_string())),
                Err(e) => Err(RequestError::Refused(e.to_string())),
            }
        })
        .await?;
        download(pdf, "application/pdf", &name)
    };
    answer.await.unwrap_or_else(IntoResponse::into_response)
}

/// The `n`-th material version (from 0, in log order): its document and
/// label.
fn material(state: &LogState, n: u64) -> Option<(String, String)> {
    state
        .versions()
        .iter()
        .filter(|p| p.version.material)
        .nth(usize::try_from(n).ok()?)
        .map(|p| (p.version.document_id().to_string(), p.version.label.clone()))
}

async fn annex(State(desk): State<Shared>, ctx: Ctx, Path(n): Path<String>) -> Response {
    let answer = async {
        ctx.admin()?;
        let n = super::request::entry_index(&n).ok_or(Fail(RequestError::NotFound))?;
        let (name, pdf) = with_log(&desk, move |log, head, state| {
            let (document, label) = material(state, n).ok_or(RequestError::NotFound)?;
            let template = ackreg_core::render::Template::builtin();
            let annex = ackreg_core::log::annex::make(log, head, state, &label, &template)
                .map_err(|e| RequestError::Unavailable(e.to_string()))?;
            let name = format!(
                "pielikums-{}-{}.pdf",
                file_word(&document),
                file_word(&label)
            );
            Ok((name, annex.pdf))
        })
        .await?;
        download(pdf, "application/pdf", &name)
    };
    answer.await.unwrap_or_else(IntoResponse::into_response)
}

async fn log_files(State(desk): State<Shared>, ctx: Ctx) -> Response {
    use ackreg_core::log::bundle;
    let answer = async {
        ctx.admin()?;
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let (name, bytes) = with_log(&desk, move |log, head, state| {
            let unavailable = |e: bundle::BundleError| RequestError::Unavailable(e.to_string());
            let files = bundle::files(log, head, state).map_err(unavailable)?;
            let bytes =
                bundle::tar_gz(&files, u64::try_from(now).unwrap_or(0)).map_err(unavailable)?;
            let name = format!(
                "žurnāls-{}-{}.tar.gz",
                file_word(&head.checkpoint.origin),
                head.checkpoint.size
            );
            Ok((name, bytes))
        })
        .await?;
        download(bytes, "application/gzip", &name)
    };
    answer.await.unwrap_or_else(IntoResponse::into_response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters() {
        assert_eq!(filter(None).unwrap(), Filter::default());
        assert_eq!(
            filter(Some("document=darba-kartiba&unit=kac")).unwrap(),
            Filter {
                document: Some("darba-kartiba".into()),
                unit: Some("kac".into())
            }
        );
        assert_eq!(filter(Some("document=&unit=")).unwrap(), Filter::default());
        for bad in ["x=1", "document=%2e%2e", "unit=K", "document=a b"] {
            assert!(filter(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn file_names_in_latvian_and_ascii() {
        assert_eq!(
            disposition("pārskats-kac-2026-12-07.pdf"),
            "attachment; filename=\"parskats-kac-2026-12-07.pdf\"; \
             filename*=UTF-8''p%C4%81rskats-kac-2026-12-07.pdf"
        );
        assert_eq!(ascii_name("Žurnāls \"x\".tar"), "Zurnals--x-.tar");
        assert_eq!(file_word("aknistesnovads.lv/kac"), "aknistesnovads.lv-kac");
    }
}
