//! Publishing a version from the administration page: upload a PDF, or
//! upload a template as a ZIP, or render a template the desk knows
//! (`ackreg serve --templates DIR`: each subfolder holding `rules.typ` is
//! one, named by its folder); see the result and what changed against the
//! document's previous version; then publish with the form's fields.
//!
//! Every check is the library's ([`ackreg_core::publish`]); this module
//! parses requests and presents. Uploads are raw bodies
//! (`application/pdf`, `application/zip`) with their own size limits,
//! refused by their `Content-Length` before they are read and cut off when
//! a body runs past it. What is uploaded or rendered is kept in memory
//! only ("staged", under a random id, at most [`MAX_STAGED`] at a time,
//! each for [`STAGED_FOR`]): nothing reaches the log folder until the
//! administrator publishes, and a refused upload writes nothing anywhere.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};

use ackreg_core::encoding::hex;
use ackreg_core::publish::{self, template, Audience, Form, Publication, Staged};

use super::http::{Ctx, Shared};
use super::request::{MAX_SMALL_BODY, PDF_PATH, ZIP_PATH};

/// Largest PDF upload (the library's limit).
pub const MAX_PDF_BODY: usize = publish::pdf::MAX_UPLOAD_PDF;
/// Largest template ZIP upload (the library's limit).
pub const MAX_ZIP_BODY: usize = template::MAX_TEMPLATE_ZIP;
/// Most staged PDFs kept at once (the oldest goes first).
pub const MAX_STAGED: usize = 8;
/// Most bytes of staged PDFs kept at once (the oldest go first).
pub const MAX_STAGED_BYTES: usize = 256 << 20;
/// How long a staged PDF is kept.
pub const STAGED_FOR: Duration = Duration::from_secs(3600);

/// The staged PDFs and the folder of known templates.
#[derive(Debug, Default)]
pub struct Staging {
    staged: Mutex<HashMap<String, (Instant, Arc<Staged>)>>,
    templates: OnceLock<PathBuf>,
}

impl Staging {
    /// Sets the folder of the templates the desk knows (once).
    pub fn set_templates(&self, dir: PathBuf) {
        let _ = self.templates.set(dir);
    }

    /// The known templates' names, sorted: the subfolders holding
    /// `rules.typ` whose names are identifiers.
    pub fn template_names(&self) -> Vec<String> {
        let Some(dir) = self.templates.get() else {
            return Vec::new();
        };
        let Ok(listing) = std::fs::read_dir(dir) else {
            return Vec::new();
        };
        let mut names: Vec<String> = listing
            .flatten()
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| ackreg_core::text::check_id(n).is_ok())
            .filter(|n| dir.join(n).join(ackreg_core::render::MAIN_FILE).is_file())
            .collect();
        names.sort();
        names
    }

    /// The folder of the known template `name`.
    fn template(&self, name: &str) -> Option<PathBuf> {
        let known = self.template_names().iter().any(|n| n == name);
        known.then(|| self.templates.get().map(|d| d.join(name)))?
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, Arc<Staged>)>> {
        self.staged.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Keeps `staged` under a new random id, dropping the expired ones and,
    /// past [`MAX_STAGED`] or [`MAX_STAGED_BYTES`], the oldest.
    fn put(&self, staged: Staged) -> Result<String, Refuse> {
        let (id, _) = super::secret::new_token().map_err(|e| Refuse::unavailable(e.to_string()))?;
        let mut all = self.lock();
        all.retain(|_, (at, _)| at.elapsed() < STAGED_FOR);
        let bytes = |all: &HashMap<String, (Instant, Arc<Staged>)>| {
            all.values().map(|(_, s)| s.pdf.len()).sum::<usize>()
        };
        while !all.is_empty()
            && (all.len() >= MAX_STAGED || bytes(&all) + staged.pdf.len() > MAX_STAGED_BYTES)
        {
            let oldest = all
                .iter()
                .min_by_key(|(_, (at, _))| *at)
                .map(|(k, _)| k.clone());
            match oldest {
                Some(k) => all.remove(&k),
                None => break,
            };
        }
        all.insert(id.clone(), (Instant::now(), Arc::new(staged)));
        Ok(id)
    }

    /// The staged PDF `id`, if it is still kept.
    pub fn get(&self, id: &str) -> Option<Arc<Staged>> {
        let all = self.lock();
        let (at, staged) = all.get(id)?;
        (at.elapsed() < STAGED_FOR).then(|| staged.clone())
    }
}

/// A refusal: its status and `{"error", "message"}` (with `"field"`), as
/// every desk refusal is shaped.
#[derive(Debug)]
pub struct Refuse {
    status: StatusCode,
    code: &'static str,
    message: String,
    field: Option<&'static str>,
}

impl Refuse {
    fn new(status: StatusCode, code: &'static str, message: impl ToString) -> Refuse {
        Refuse {
            status,
            code,
            message: message.to_string(),
            field: None,
        }
    }

    fn unavailable(message: String) -> Refuse {
        Refuse::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
    }

    fn too_large(limit: usize) -> Refuse {
        Refuse::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("the body is larger than {limit} bytes"),
        )
    }

    fn field(field: &'static str, why: impl ToString) -> Refuse {
        Refuse {
            field: Some(field),
            ..Refuse::new(
                StatusCode::BAD_REQUEST,
                "field",
                format!("field `{field}` {}", why.to_string()),
            )
        }
    }
}

impl From<super::http::Fail> for Refuse {
    fn from(f: super::http::Fail) -> Refuse {
        let e = f.0;
        let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
        Refuse::new(status, e.code(), e.to_string())
    }
}

impl From<publish::PublishError> for Refuse {
    fn from(e: publish::PublishError) -> Refuse {
        use publish::PublishError as P;
        let (status, code) = match &e {
            P::Refused(_) => (StatusCode::UNPROCESSABLE_ENTITY, "refused"),
            P::Changes(_) => (StatusCode::UNPROCESSABLE_ENTITY, "changes"),
            P::Entry(_) => (StatusCode::UNPROCESSABLE_ENTITY, "publish"),
            _ => (StatusCode::BAD_REQUEST, "field"),
        };
        Refuse {
            field: e.field(),
            ..Refuse::new(status, code, e)
        }
    }
}

impl IntoResponse for Refuse {
    fn into_response(self) -> Response {
        let mut body = json!({"error": self.code, "message": self.message});
        if let Some(f) = self.field {
            body["field"] = f.into();
        }
        (
            self.status,
            [(header::CONTENT_TYPE, "application/json")],
            body.to_string(),
        )
            .into_response()
    }
}

type Answer = Result<Response, Refuse>;

fn ok_json(value: Value) -> Answer {
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        value.to_string(),
    )
        .into_response())
}

/// The publishing routes, all for an administrator's session.
pub fn routes() -> Router<Shared> {
    let small = DefaultBodyLimit::max(MAX_SMALL_BODY);
    Router::new()
        .route(PDF_PATH, post(upload_pdf))
        .route(ZIP_PATH, post(upload_zip))
        .route("/api/admin/publish/templates", get(templates))
        .route("/api/admin/publish/documents", get(documents))
        .route("/api/admin/publish/render", post(render).layer(small))
        .route("/api/admin/publish/staged/{id}", get(staged_pdf))
        .route("/api/admin/publish/changes/{id}/{document}", get(changes))
        .route("/api/admin/publish", post(publish_version).layer(small))
}

/// Only an administrator's session.
fn admin(ctx: &Ctx) -> Result<(), Refuse> {
    ctx.admin().map_err(Refuse::from)
}

/// Reads a raw upload of at most `limit` bytes: refused by its
/// `Content-Length` before a byte is read, and as soon as it runs past.
async fn read_upload(headers: &HeaderMap, body: Body, limit: usize) -> Result<Vec<u8>, Refuse> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(Refuse::too_large(limit));
    }
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|e| {
        if over_limit(&e) {
            Refuse::too_large(limit)
        } else {
            let why = format!("the upload did not arrive whole: {e}");
            Refuse::new(StatusCode::BAD_REQUEST, "body", why)
        }
    })?;
    if bytes.is_empty() {
        return Err(Refuse::new(
            StatusCode::BAD_REQUEST,
            "empty",
            "the upload is empty",
        ));
    }
    Ok(bytes.to_vec())
}

/// Whether reading a body failed by running past its limit (rather than
/// by the connection or the body's time limit).
fn over_limit(e: &axum::Error) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cause {
        if c.to_string().contains("length limit exceeded") {
            return true;
        }
        cause = c.source();
    }
    false
}

/// Runs library work off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Refuse> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Refuse::unavailable(e.to_string()))
}

/// What the page shows of a staged PDF.
fn staged_json(id: &str, s: &Staged) -> Value {
    json!({
        "id": id,
        "sha256": hex(&s.sha256),
        "title": s.title,
        "pages": s.pages,
        "bytes": s.pdf.len(),
        "pdfa": s.pdfa.as_ref().map(|a| a.to_string()),
        "clauses": !s.clauses.is_empty(),
    })
}

fn stage(desk: &Shared, staged: Staged) -> Answer {
    let view = staged_json("", &staged);
    let id = desk.publishing.put(staged)?;
    let mut view = view;
    view["id"] = id.into();
    ok_json(view)
}

async fn upload_pdf(
    State(desk): State<Shared>,
    ctx: Ctx,
    headers: HeaderMap,
    body: Body,
) -> Answer {
    admin(&ctx)?;
    let bytes = read_upload(&headers, body, MAX_PDF_BODY).await?;
    let checked = blocking(move || publish::check_pdf(bytes))
        .await?
        .map_err(|e| {
            let code = match e {
                publish::PdfError::TooLarge => return Refuse::too_large(MAX_PDF_BODY),
                _ => "not_pdf",
            };
            Refuse::new(StatusCode::UNPROCESSABLE_ENTITY, code, e)
        })?;
    stage(&desk, Staged::uploaded(checked))
}

fn template_refusal(e: template::TemplateError) -> Refuse {
    use template::TemplateError as T;
    let code = match &e {
        T::Zip(ackreg_core::edoc::EdocError::TooLarge { .. }) => "too_large",
        T::Zip(ackreg_core::edoc::EdocError::Bomb { .. }) => "zip_bomb",
        T::Zip(ackreg_core::edoc::EdocError::UnsafeName { .. }) => "zip_path",
        T::Zip(ackreg_core::edoc::EdocError::TooManyEntries(_)) => "zip_entries",
        T::Zip(_) => "bad_zip",
        T::Link(_) | T::NotAFile(_) => "zip_link",
        T::NoMain => "no_main",
        T::Render(_) => "template",
        T::Io(_) => return Refuse::unavailable(e.to_string()),
    };
    Refuse::new(StatusCode::UNPROCESSABLE_ENTITY, code, e)
}

async fn upload_zip(
    State(desk): State<Shared>,
    ctx: Ctx,
    headers: HeaderMap,
    body: Body,
) -> Answer {
    admin(&ctx)?;
    let bytes = read_upload(&headers, body, MAX_ZIP_BODY).await?;
    let rendered = blocking(move || template::render_zip(&bytes))
        .await?
        .map_err(template_refusal)?;
    stage(&desk, Staged::rendered(rendered))
}

async fn templates(State(desk): State<Shared>, ctx: Ctx) -> Answer {
    admin(&ctx)?;
    ok_json(json!({"templates": desk.publishing.template_names()}))
}

/// What the form chooses from: the declared documents (with their
/// audience and newest version's label), the units, the known templates.
async fn documents(State(desk): State<Shared>, ctx: Ctx) -> Answer {
    admin(&ctx)?;
    let templates = desk.publishing.template_names();
    let view = desk
        .writer
        .read(|state| {
            let last = |id: &str| {
                state
                    .versions()
                    .iter()
                    .rev()
                    .find(|p| p.version.document_id() == id)
                    .map(|p| p.version.label.clone())
            };
            let documents: Vec<Value> = state
                .documents()
                .iter()
                .map(|d| {
                    let now = d.declarations.last().map(|(d, _)| d);
                    json!({
                        "id": d.id, "title": d.title(), "last": last(&d.id),
                        "units": now.map(|n| n.units.clone()).unwrap_or_default(),
                        "positions": now.map(|n| n.positions.clone()).unwrap_or_default(),
                    })
                })
                .collect();
            let units: Vec<Value> = state
                .units()
                .iter()
                .map(|u| json!({"id": u.id, "name": u.name}))
                .collect();
            json!({
                "rules": {"last": last(ackreg_core::log::entry::RULES)},
                "documents": documents, "units": units,
            })
        })
        .await
        .map_err(|e| Refuse::from(super::http::Fail(e)))?;
    let mut view = view;
    view["templates"] = json!(templates);
    ok_json(view)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RenderRequest {
    template: String,
}

async fn render(State(desk): State<Shared>, ctx: Ctx, body: axum::body::Bytes) -> Answer {
    admin(&ctx)?;
    let req: RenderRequest = ackreg_core::encoding::from_json(&body).map_err(|e| {
        Refuse::new(
            StatusCode::BAD_REQUEST,
            "malformed",
            format!("malformed request: {e}"),
        )
    })?;
    let dir = desk
        .publishing
        .template(&req.template)
        .ok_or_else(|| Refuse::field("template", "is not a template this desk knows"))?;
    let rendered = blocking(move || template::render_dir(&dir))
        .await?
        .map_err(template_refusal)?;
    stage(&desk, Staged::rendered(rendered))
}

fn staged_or_404(desk: &Shared, id: &str) -> Result<Arc<Staged>, Refuse> {
    desk.publishing.get(id).ok_or_else(|| {
        Refuse::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "no such staged PDF: upload it again",
        )
    })
}

/// The staged PDF, to be shown in the page's frame.
async fn staged_pdf(State(desk): State<Shared>, ctx: Ctx, Path(id): Path<String>) -> Answer {
    admin(&ctx)?;
    let staged = staged_or_404(&desk, &id)?;
    let mut r = super::http::framable_pdf(staged.pdf.clone());
    r.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("inline"),
    );
    Ok(r)
}

/// What changed from the newest version of `document` (`rules` for the
/// rules) to the staged PDF: the comparison's JSON, or `{"none": true}`
/// when the document has no version yet.
async fn changes(
    State(desk): State<Shared>,
    ctx: Ctx,
    Path((id, document)): Path<(String, String)>,
) -> Answer {
    admin(&ctx)?;
    let staged = staged_or_404(&desk, &id)?;
    let previous = desk
        .writer
        .read(move |state| publish::previous_version(state, Some(&document)))
        .await
        .map_err(|e| Refuse::from(super::http::Fail(e)))?;
    let Some(previous) = previous else {
        return ok_json(json!({"none": true}));
    };
    let log = desk.log().clone();
    let comparison =
        blocking(move || publish::changes_from(&log, &previous, &staged, "")).await??;
    ok_json(serde_json::to_value(&comparison).map_err(|e| Refuse::unavailable(e.to_string()))?)
}

/// The publish form as the page sends it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PublishRequest {
    staged: String,
    document: String,
    #[serde(default)]
    title: Option<String>,
    label: String,
    effective: String,
    material: bool,
    #[serde(default)]
    deadline: Option<String>,
    new_employee_days: u32,
    #[serde(default)]
    units: Option<Vec<String>>,
    #[serde(default)]
    positions: Option<Vec<String>>,
}

fn date_field(field: &'static str, text: &str) -> Result<time::Date, Refuse> {
    ackreg_core::log::entry::parse_date(text)
        .ok_or_else(|| Refuse::field(field, "is not a date YYYY-MM-DD"))
}

fn form_of(req: PublishRequest) -> Result<Form, Refuse> {
    let deadline = match req.deadline.as_deref().filter(|d| !d.is_empty()) {
        Some(d) => Some(date_field("deadline", d)?),
        None => None,
    };
    let audience = (req.units.is_some() || req.positions.is_some()).then(|| Audience {
        units: req.units.unwrap_or_default(),
        positions: req.positions.unwrap_or_default(),
    });
    Ok(Form {
        document: Some(req.document),
        title: req.title,
        label: req.label,
        effective: date_field("effective", &req.effective)?,
        material: req.material,
        deadline,
        new_employee_days: req.new_employee_days,
        audience,
    })
}

/// The publish step: the form checked by the library against the log's
/// state, the entries made and offered to the named administrator to sign
/// ([`super::plan::offer`]); once offered, the PDF (and a rendered one's
/// clauses) is kept in `documents/`, so that it is there when the signed
/// request is committed. A plan never signed leaves that file named by no
/// entry, which the audit and the export ignore (see
/// [`ackreg_core::publish`]).
async fn publish_version(State(desk): State<Shared>, ctx: Ctx, body: axum::body::Bytes) -> Answer {
    admin(&ctx)?;
    let req: PublishRequest = ackreg_core::encoding::from_json(&body).map_err(|e| {
        Refuse::new(
            StatusCode::BAD_REQUEST,
            "malformed",
            format!("malformed request: {e}"),
        )
    })?;
    let staged = staged_or_404(&desk, &req.staged)?;
    let form = form_of(req)?;
    let for_state = staged.clone();
    let publication = desk
        .writer
        .read(move |state| publish::entries(state, &for_state, &form))
        .await
        .map_err(|e| Refuse::from(super::http::Fail(e)))??;
    let offered = offer_publication(&desk, &ctx, publication)?;
    let log = desk.log().clone();
    blocking(move || publish::store(&log, &staged))
        .await?
        .map_err(Refuse::unavailable)?;
    Ok(offered)
}

/// Hands the publication's entries to the named administrator to sign:
/// the answer of [`super::plan::offer`].
fn offer_publication(desk: &Shared, ctx: &Ctx, publication: Publication) -> Answer {
    let proposal = super::plan::Proposal {
        action: publication.action,
        entries: publication.entries,
    };
    super::plan::offer(desk, ctx, proposal, super::plan::After::Nothing).map_err(Refuse::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny(n: usize) -> Staged {
        Staged {
            pdf: vec![0; n],
            sha256: [0; 32],
            title: None,
            pages: 1,
            pdfa: None,
            clauses: Vec::new(),
        }
    }

    #[test]
    fn staging_keeps_the_newest_within_its_count_and_bytes() {
        let s = Staging::default();
        let ids: Vec<String> = (0..MAX_STAGED + 2)
            .map(|_| s.put(tiny(10)).unwrap())
            .collect();
        assert!(s.get(&ids[0]).is_none() && s.get(&ids[1]).is_none());
        assert!(ids[2..].iter().all(|id| s.get(id).is_some()));
        let big = s.put(tiny(MAX_STAGED_BYTES - 5)).unwrap();
        assert!(s.get(&big).is_some());
        assert!(
            ids.iter().all(|id| s.get(id).is_none()),
            "made room by bytes"
        );
        assert!(s.get("unknown").is_none());
    }

    #[test]
    fn known_templates_are_the_subfolders_with_rules_typ_and_an_identifier_name() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["good", "Bad Name", "empty"] {
            std::fs::create_dir(dir.path().join(name)).unwrap();
        }
        std::fs::write(dir.path().join("good/rules.typ"), "x").unwrap();
        std::fs::write(dir.path().join("Bad Name/rules.typ"), "x").unwrap();
        std::fs::write(dir.path().join("rules.typ"), "x").unwrap();
        let s = Staging::default();
        assert!(s.template_names().is_empty(), "none without --templates");
        s.set_templates(dir.path().to_path_buf());
        assert_eq!(s.template_names(), ["good"]);
        assert_eq!(s.template("good"), Some(dir.path().join("good")));
        for other in ["../good", "empty", "Bad Name", ".", ""] {
            assert_eq!(s.template(other), None, "{other}");
        }
    }

    #[test]
    fn uploads_have_their_own_body_types() {
        use super::super::request::{upload_type, upload_type_ok};
        assert_eq!(upload_type(PDF_PATH), Some("application/pdf"));
        assert_eq!(upload_type(ZIP_PATH), Some("application/zip"));
        assert_eq!(upload_type("/api/admin/publish"), None);
        assert!(upload_type_ok(Some(b"Application/PDF"), "application/pdf"));
        for bad in [&b"application/pdf; x=y"[..], b"application/json", b"\xff"] {
            assert!(!upload_type_ok(Some(bad), "application/pdf"));
        }
        assert!(!upload_type_ok(None, "application/pdf"));
    }
}
