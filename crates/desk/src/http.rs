//! The desk's routes: the pages, the JSON API they call, the documents and
//! the downloads, with the rules every response and request follows.
//!
//! - Every response carries a strict Content-Security-Policy (scripts and
//!   styles from this server only, nothing inline) and `nosniff`.
//! - Every request names an allowed `Host` (on loopback: 127.0.0.1,
//!   localhost or [::1] with the port), so that a page elsewhere that
//!   rebinds its name to this machine cannot reach the desk.
//! - Every request that changes state is a POST of `application/json` whose
//!   `Origin` is this desk, with a size-limited body.
//! - Sessions are cookies (HttpOnly, SameSite=Strict, Secure under TLS); an
//!   employee's session holds the key they signed in with, the only key
//!   they can sign with.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

use super::listen::Peer;
use super::pin::{self, Checked, Pin};
use super::request::{self, RequestError, MAX_ACK_BODY, MAX_SMALL_BODY};
use super::secret::Role;
use super::status_cache::Use;
use super::{today, Desk, ENROL_TYPE, SIGNIN_TYPE};

/// The page (one for every role; the script shows the right part).
pub const INDEX_HTML: &str = include_str!("../../../web/index.html");
/// The page's script.
pub const APP_JS: &str = include_str!("../../../web/app.js");
/// The administrators' part of the page's script (after `APP_JS`).
pub const ADMINS_JS: &str = include_str!("../../../web/admins.js");
/// The staff import's part of the page's script.
pub const STAFF_JS: &str = include_str!("../../../web/staff.js");
/// The reports' part of the page's script.
pub const REPORTS_JS: &str = include_str!("../../../web/reports.js");
/// The administration page's publishing section.
pub const PUBLISH_JS: &str = include_str!("../../../web/publish.js");
/// The page's style.
pub const STYLE_CSS: &str = include_str!("../../../web/style.css");

/// The pages' Content-Security-Policy.
pub const CSP: &str =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
connect-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
frame-ancestors 'none'";

/// The desk as every handler holds it.
pub type Shared = Arc<Desk>;

/// A refused request as a response: its status and `{"error", "message"}`,
/// with `"field"` or `"attempts_left"` where the error has them. The page
/// shows its own words for the code; the message is English, for a
/// client or as a detail.
#[derive(Debug)]
pub struct Fail(pub RequestError);

impl From<RequestError> for Fail {
    fn from(e: RequestError) -> Self {
        Fail(e)
    }
}

impl IntoResponse for Fail {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::BAD_REQUEST);
        let mut body = json!({"error": self.0.code(), "message": self.0.to_string()});
        if let Some((key, value)) = self.0.details() {
            body[key] = value;
        }
        (
            status,
            [(header::CONTENT_TYPE, "application/json")],
            body.to_string(),
        )
            .into_response()
    }
}

/// A handler's answer.
pub type Answer = Result<Response, Fail>;

/// A JSON answer, 200.
pub(crate) fn ok_json(value: Value) -> Answer {
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        value.to_string(),
    )
        .into_response())
}

/// The desk's routes.
pub fn router(desk: Shared) -> Router {
    let small = DefaultBodyLimit::max(MAX_SMALL_BODY);
    let api = Router::new()
        .route("/api/about", get(about))
        .route("/api/admin/signin", post(admin_signin).layer(small))
        .route("/api/signout", post(signout).layer(small))
        .route("/api/admin/status", get(admin_status))
        .route("/api/admin/status/lines/{n}", get(admin_lines))
        .route("/api/admin/enrolments", post(issue).layer(small))
        .route("/api/admin/leave", post(leave).layer(small))
        .route("/api/admin/download/entries", get(download_entries))
        .route("/api/admin/download/checkpoint", get(download_checkpoint))
        .route("/api/admin/download/annex/{n}", get(download_annex))
        .route("/api/enrol/info", post(enrol_info).layer(small))
        .route("/api/enrol", post(enrol).layer(small))
        .route("/api/challenge", post(challenge).layer(small))
        .route("/api/signin", post(signin).layer(small))
        .route("/api/me", get(me))
        .route(
            "/api/ack",
            post(ack).layer(DefaultBodyLimit::max(MAX_ACK_BODY)),
        )
        .route("/api/receipt/{index}", get(receipt))
        .route("/api/changes/{from}/{to}", get(changes));
    Router::new()
        .route("/", get(page))
        .route("/admin", get(page))
        .route("/enrol", get(page))
        .route("/admin/join", get(page))
        .route(
            "/app.js",
            get(|| asset(APP_JS, "text/javascript; charset=utf-8")),
        )
        .route(
            "/admins.js",
            get(|| asset(ADMINS_JS, "text/javascript; charset=utf-8")),
        )
        .route(
            "/staff.js",
            get(|| asset(STAFF_JS, "text/javascript; charset=utf-8")),
        )
        .route(
            "/reports.js",
            get(|| asset(REPORTS_JS, "text/javascript; charset=utf-8")),
        )
        .route(
            "/style.css",
            get(|| asset(STYLE_CSS, "text/css; charset=utf-8")),
        )
        .route("/doc/{name}", get(document))
        .route(
            "/publish.js",
            get(|| asset(PUBLISH_JS, "text/javascript; charset=utf-8")),
        )
        .merge(api)
        .merge(super::module_routes())
        .fallback(|| async { Fail(RequestError::NotFound) })
        .layer(middleware::from_fn_with_state(desk.clone(), guard))
        .with_state(desk)
}

async fn page() -> Response {
    asset(INDEX_HTML, "text/html; charset=utf-8").await
}

/// What the page shows before its script runs, and what an unknown path
/// shows instead.
const LOADING: &str = r#"<p data-i18n="loading">Ielādē…</p>"#;
const NOT_FOUND: &str = r#"<h1 id="page-title" tabindex="-1" data-i18n="nf_h">Lapa nav atrasta</h1>
    <p data-i18n="nf_p">Šādas lapas šeit nav. Pārbaudiet adresi vai atveriet sākumlapu.</p>
    <p><a href="/" data-i18n="nf_home">Uz sākumlapu</a></p>"#;

/// The page for a path that is not there: the desk's page saying so, in
/// Latvian (the script shows it in the reader's language), status 404.
fn not_found_page() -> Response {
    let html = INDEX_HTML.replacen(LOADING, NOT_FOUND, 1).replacen(
        "<title>Iepazīšanās",
        "<title>Lapa nav atrasta – Iepazīšanās",
        1,
    );
    (
        StatusCode::NOT_FOUND,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        html,
    )
        .into_response()
}

async fn asset(text: &'static str, kind: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        text,
    )
        .into_response()
}

/// Whether `host` (the Host header) names this desk.
fn host_allowed(desk: &Desk, host: &str) -> bool {
    if !desk.listen.ip().is_loopback() {
        return !host.is_empty() && host.bytes().all(|b| b.is_ascii_graphic());
    }
    let port = desk.listen.port();
    ["127.0.0.1", "localhost", "[::1]"]
        .iter()
        .any(|name| host == format!("{name}:{port}"))
}

/// Whether a state-changing request comes from this desk's own pages.
fn origin_ok(desk: &Desk, headers: &HeaderMap, host: &str) -> bool {
    let scheme = if desk.tls { "https" } else { "http" };
    headers
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
        .is_some_and(|o| o == format!("{scheme}://{host}"))
}

/// Checks Host, Origin (POST) and Content-Type (POST), runs the request,
/// adds the security headers and reports the request (method, path and
/// status only: tokens are never in a path).
async fn guard(State(desk): State<Shared>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let (method, path) = (req.method().clone(), req.uri().path().to_string());
    let client = peer_ip(req.extensions());
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("")
        .to_string();
    let post = method == Method::POST;
    let refusal =
        if !host_allowed(&desk, &host) || (post && !origin_ok(&desk, req.headers(), &host)) {
            Some(RequestError::Origin)
        } else if post {
            let value = req.headers().get(header::CONTENT_TYPE);
            let value = value.map(|v| v.as_bytes());
            match request::upload_type(&path) {
                Some(kind) if request::upload_type_ok(value, kind) => None,
                Some(kind) => Some(RequestError::BodyType(kind)),
                // The staff file's routes check its type themselves.
                None if request::takes_staff_file(&path) => None,
                None => request::check_content_type(value).err(),
            }
        } else {
            None
        };
    let mut response = match refusal {
        Some(e) => Fail(e).into_response(),
        None => {
            desk.write_due_departures().await;
            next.run(req).await
        }
    };
    let page_path = !path.starts_with("/api/") && (method == Method::GET || method == Method::HEAD);
    if page_path && response.status() == StatusCode::NOT_FOUND {
        response = not_found_page();
    }
    secure_headers(&desk, &path, response.headers_mut());
    desk.observer.request(&super::Served {
        client,
        method: method.as_str(),
        path: &path,
        status: response.status().as_u16(),
        micros: started.elapsed().as_micros(),
    });
    response
}

/// The TCP peer's address of a request (loopback if the accept loop gave
/// none, as in a test that calls the router directly).
fn peer_ip(extensions: &axum::http::Extensions) -> IpAddr {
    extensions
        .get::<Peer>()
        .map_or(IpAddr::from([127, 0, 0, 1]), |p| p.0.ip())
}

fn secure_headers(desk: &Desk, path: &str, h: &mut HeaderMap) {
    let set = |h: &mut HeaderMap, name: header::HeaderName, value: &'static str| {
        if !h.contains_key(&name) {
            h.insert(name, HeaderValue::from_static(value));
        }
    };
    set(h, header::CONTENT_SECURITY_POLICY, CSP);
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(h, header::REFERRER_POLICY, "no-referrer");
    set(
        h,
        header::HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    if path.starts_with("/api/") {
        set(h, header::CACHE_CONTROL, "no-store");
    }
    if desk.tls {
        set(h, header::STRICT_TRANSPORT_SECURITY, "max-age=31536000");
    }
}

/// What every handler knows about its request.
pub struct Ctx {
    ip: IpAddr,
    cookie: Option<String>,
    role: Option<Role>,
}

impl FromRequestParts<Shared> for Ctx {
    type Rejection = Fail;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        desk: &Shared,
    ) -> Result<Self, Fail> {
        let ip = peer_ip(&parts.extensions);
        let cookie = session_cookie(&parts.headers, cookie_name(desk));
        let role = cookie.as_deref().and_then(|c| desk.secrets.session(c));
        Ok(Ctx { ip, cookie, role })
    }
}

fn cookie_name(desk: &Desk) -> &'static str {
    if desk.tls {
        "__Host-ackreg"
    } else {
        "ackreg"
    }
}

/// The session cookie's value in the `Cookie` headers.
fn session_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

fn set_cookie(desk: &Desk, value: &str, max_age: Option<u32>) -> HeaderValue {
    let secure = if desk.tls { "; Secure" } else { "" };
    let age = max_age
        .map(|a| format!("; Max-Age={a}"))
        .unwrap_or_default();
    let text = format!(
        "{}={value}; Path=/; HttpOnly; SameSite=Strict{secure}{age}",
        cookie_name(desk)
    );
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("ackreg=; Max-Age=0"))
}

/// A JSON answer that opens the session `token` (its cookie).
pub(crate) fn with_session(desk: &Desk, token: &str, body: Value) -> Answer {
    let mut r = ok_json(body)?;
    r.headers_mut()
        .insert(header::SET_COOKIE, set_cookie(desk, token, None));
    Ok(r)
}

pub(crate) fn unavailable(e: impl ToString) -> Fail {
    Fail(RequestError::Unavailable(e.to_string()))
}

impl Ctx {
    /// Any administration session: the one-time link's or a named
    /// administrator's.
    pub(crate) fn admin(&self) -> Result<(), Fail> {
        match self.role {
            Some(Role::Admin | Role::Administrator { .. }) => Ok(()),
            Some(_) => Err(Fail(RequestError::Forbidden)),
            None => Err(Fail(RequestError::NoSession)),
        }
    }

    /// The session of the one-time link (not a named administrator's).
    pub(crate) fn link_admin(&self) -> Result<(), Fail> {
        match self.role {
            Some(Role::Admin) => Ok(()),
            Some(_) => Err(Fail(RequestError::Forbidden)),
            None => Err(Fail(RequestError::NoSession)),
        }
    }

    /// A named administrator's session while their key is still their
    /// current one and they are not dismissed: their identifier and key.
    pub(crate) fn administrator(
        &self,
        desk: &Desk,
    ) -> Result<
        (
            String,
            ackreg_core::keys::KeyId,
            ed25519_dalek::VerifyingKey,
        ),
        Fail,
    > {
        match &self.role {
            Some(Role::Administrator { id, keyid }) => {
                let d = desk.writer.directory();
                let found = d
                    .admins
                    .get(id)
                    .filter(|a| a.keyid == *keyid && a.serves(today()))
                    .map(|a| a.key);
                found
                    .map(|key| (id.clone(), *keyid, key))
                    .ok_or(Fail(RequestError::NoSession))
            }
            Some(_) => Err(Fail(RequestError::Forbidden)),
            None => Err(Fail(RequestError::NoSession)),
        }
    }

    /// The session's cookie, if any.
    pub(crate) fn cookie(&self) -> Option<&str> {
        self.cookie.as_deref()
    }

    fn employee(&self) -> Result<(String, ackreg_core::keys::KeyId), Fail> {
        match &self.role {
            Some(Role::Employee { id, keyid }) => Ok((id.clone(), *keyid)),
            Some(Role::Admin | Role::Administrator { .. }) => Err(Fail(RequestError::Forbidden)),
            None => Err(Fail(RequestError::NoSession)),
        }
    }

    /// The session's role while it is still good: an employee's only
    /// while the key they signed in with is still their current key (a
    /// session of a replaced key, or of someone who left, ends).
    fn current(&self, desk: &Desk) -> Result<&Role, Fail> {
        match &self.role {
            None => Err(Fail(RequestError::NoSession)),
            Some(role @ Role::Employee { id, keyid }) => {
                let current = desk
                    .writer
                    .directory()
                    .keys
                    .get(keyid)
                    .is_some_and(|(who, _)| who == id);
                if current {
                    Ok(role)
                } else {
                    Err(Fail(RequestError::NoSession))
                }
            }
            Some(role) => Ok(role),
        }
    }

    /// Counts a failed attempt and returns its refusal: its own error, or
    /// `too_many` once this address failed too often. A working token is
    /// never refused for its address's failures (see [`super::secret`]).
    pub(crate) fn failed(&self, desk: &Desk, e: RequestError) -> Fail {
        desk.secrets.failed(self.ip);
        if desk.secrets.may_try(self.ip) {
            Fail(e)
        } else {
            Fail(RequestError::TooMany)
        }
    }
}

async fn about(State(desk): State<Shared>) -> Answer {
    let d = desk.writer.directory();
    ok_json(json!({"body": d.body, "origin": d.origin}))
}

async fn admin_signin(State(desk): State<Shared>, ctx: Ctx, body: Bytes) -> Answer {
    let req = request::token(&body).map_err(|e| ctx.failed(&desk, e))?;
    let valid = desk.secrets.use_admin_link(&req.token)
        || super::admin::take(desk.log.dir(), &req.token).map_err(unavailable)?;
    if !valid {
        let e = if desk.secrets.admin_link_was_used(&req.token) {
            RequestError::LinkUsed
        } else {
            RequestError::Link
        };
        return Err(ctx.failed(&desk, e));
    }
    let token = desk
        .secrets
        .open_session(Role::Admin)
        .map_err(unavailable)?;
    with_session(&desk, &token, json!({"role": "admin"}))
}

async fn signout(State(desk): State<Shared>, ctx: Ctx, body: Bytes) -> Answer {
    request::empty(&body)?;
    if let Some(c) = &ctx.cookie {
        desk.secrets.close_session(c);
    }
    let mut r = ok_json(json!({}))?;
    r.headers_mut()
        .insert(header::SET_COOKIE, set_cookie(&desk, "", Some(0)));
    Ok(r)
}

async fn challenge(State(desk): State<Shared>, body: Bytes) -> Answer {
    request::empty(&body)?;
    let c = desk.secrets.new_challenge().map_err(unavailable)?;
    ok_json(json!({"challenge": c}))
}

async fn signin(State(desk): State<Shared>, ctx: Ctx, body: Bytes) -> Answer {
    let req = request::signin(&body).map_err(|e| ctx.failed(&desk, e))?;
    let fresh = desk.secrets.use_challenge(&req.challenge);
    let holder = desk.writer.directory().keys.get(&req.keyid).cloned();
    let Some((id, key)) = holder.filter(|_| fresh) else {
        return Err(ctx.failed(&desk, RequestError::Signin));
    };
    if !request::verify_proof(&key, SIGNIN_TYPE, &req.challenge, &req.signature) {
        return Err(ctx.failed(&desk, RequestError::Signin));
    }
    check_pin(&desk, &ctx, &id, &req.keyid, req.pin, req.set_pin).await?;
    let role = Role::Employee {
        id: id.clone(),
        keyid: req.keyid,
    };
    let token = desk.secrets.open_session(role).map_err(unavailable)?;
    with_session(&desk, &token, json!({"id": id}))
}

/// Runs a PIN's slow hashing off the request threads, a few at a time.
pub(crate) async fn hashing<T: Send + 'static>(
    desk: &Desk,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Fail> {
    let _permit = desk.pins.permit().await;
    tokio::task::spawn_blocking(work).await.map_err(unavailable)
}

/// Checks the PIN of a sign-in whose key signature verified: counted
/// before it is checked, locked after too many wrong ones. A key without
/// a PIN (enrolled before PINs) gets `pin` as its PIN when `set` is asked.
pub(crate) async fn check_pin(
    desk: &Desk,
    ctx: &Ctx,
    id: &str,
    keyid: &ackreg_core::keys::KeyId,
    pin: Pin,
    set: bool,
) -> Result<(), Fail> {
    let stored = match desk.pins.begin(id, keyid).map_err(unavailable)? {
        Ok(stored) => stored,
        Err(Checked::Unset) if set => {
            let keyid = *keyid;
            let stored = hashing(desk, move || pin::hash_new(&pin, &keyid))
                .await?
                .map_err(unavailable)?;
            return desk.pins.set(id, stored).map_err(unavailable);
        }
        Err(Checked::Unset) => return Err(Fail(RequestError::PinUnset)),
        Err(_) => return Err(Fail(RequestError::PinLocked)),
    };
    let kept = stored.clone();
    let right = hashing(desk, move || pin::matches(&kept, &pin)).await?;
    match desk.pins.finish(id, &stored, right).map_err(unavailable)? {
        Checked::Right => Ok(()),
        Checked::Wrong(0) | Checked::Locked => Err(ctx.failed(desk, RequestError::PinLocked)),
        Checked::Wrong(left) => Err(ctx.failed(desk, RequestError::Pin(left))),
        Checked::Unset => Err(Fail(RequestError::PinUnset)),
    }
}

/// The refusal for an enrolment token that is not a working link.
fn bad_link(desk: &Desk, ctx: &Ctx, token: &str) -> Fail {
    let e = if desk.enrolments.used(token).is_some() {
        RequestError::LinkUsed
    } else {
        RequestError::Link
    };
    ctx.failed(desk, e)
}

async fn enrol_info(State(desk): State<Shared>, ctx: Ctx, body: Bytes) -> Answer {
    let req = request::token(&body).map_err(|e| ctx.failed(&desk, e))?;
    let Some(link) = desk.enrolments.peek(&req.token) else {
        return Err(bad_link(&desk, &ctx, &req.token));
    };
    let d = desk.writer.directory();
    ok_json(json!({
        "id": link.id, "name": link.name, "position": link.position,
        "replace": d.people.contains_key(&link.id), "body": d.body,
    }))
}

async fn enrol(State(desk): State<Shared>, ctx: Ctx, body: Bytes) -> Answer {
    let req = request::enrol(&body).map_err(|e| ctx.failed(&desk, e))?;
    if desk.enrolments.peek(&req.token).is_none() {
        return Err(bad_link(&desk, &ctx, &req.token));
    }
    if !request::verify_proof(&req.key, ENROL_TYPE, &req.token, &req.signature) {
        return Err(ctx.failed(&desk, RequestError::EnrolProof));
    }
    let (pin, keyid) = (req.pin, ackreg_core::keys::KeyId::of(&req.key));
    let stored = hashing(&desk, move || pin::hash_new(&pin, &keyid))
        .await?
        .map_err(unavailable)?;
    let Some(link) = desk.enrolments.take(&req.token).map_err(unavailable)? else {
        return Err(bad_link(&desk, &ctx, &req.token));
    };
    let (id, name) = (link.id.clone(), link.name.clone());
    match desk.writer.enrol(link.clone(), req.key, today()).await {
        Ok(accepted) => {
            if let Err(e) = desk.pins.set(&id, stored) {
                // The key is enrolled: the employee chooses a PIN again at
                // their next sign-in (`pin_unset`).
                desk.observer
                    .note(&format!("cannot save the PIN of {id}: {e}"));
            }
            let role = Role::Employee {
                id: id.clone(),
                keyid,
            };
            let token = desk.secrets.open_session(role).map_err(unavailable)?;
            let receipt = String::from_utf8_lossy(&accepted.receipt).into_owned();
            with_session(
                &desk,
                &token,
                json!({"id": id, "name": name, "entry": accepted.index, "receipt": receipt}),
            )
        }
        Err(e) => {
            desk.enrolments.restore(link).map_err(unavailable)?;
            Err(Fail(e))
        }
    }
}

async fn ack(State(desk): State<Shared>, ctx: Ctx, body: Bytes) -> Answer {
    let (id, keyid) = ctx.employee()?;
    let parsed = request::ack(&body)?;
    if parsed.keyid != keyid || parsed.ack.employee.id != id {
        return Err(Fail(RequestError::NotYou));
    }
    let today = today();
    if ackreg_core::log::received::check_signed_at_desk(parsed.date, today).is_err() {
        return Err(Fail(RequestError::Date(parsed.ack.date.clone())));
    }
    let sha = ackreg_core::encoding::hex32(&parsed.ack.document.sha256).ok();
    if let Some(sha) = sha {
        desk.writer.directory().check_in_force(&sha, parsed.date)?;
    }
    let accepted = desk.writer.ack(parsed, today).await?;
    let receipt = String::from_utf8_lossy(&accepted.receipt).into_owned();
    ok_json(json!({"entry": accepted.index, "receipt": receipt, "again": accepted.again}))
}

async fn me(State(desk): State<Shared>, ctx: Ctx) -> Answer {
    let (id, keyid) = ctx.employee()?;
    let body = desk.writer.directory().body.clone();
    let view = desk
        .writer
        .read(move |state| super::view::employee(state, &id, &keyid, today()))
        .await?;
    let mut view = view.ok_or(Fail(RequestError::NoSession))?;
    view["body"] = Value::String(body);
    let planned = view["id"]
        .as_str()
        .and_then(|id| desk.departures.of(id))
        .map(ackreg_core::log::entry::format_date);
    if let Some(date) = planned {
        view["leaving"] = json!(date);
    }
    ok_json(view)
}

async fn admin_status(State(desk): State<Shared>, ctx: Ctx) -> Answer {
    ctx.admin()?;
    let page = admin_page(&desk).await?;
    json_text(page.summary.clone())
}

/// The lines of version `n` of the page's status (`versions[n]`), which
/// the page asks for when it shows that version's table: computed for
/// that version's document alone.
async fn admin_lines(State(desk): State<Shared>, ctx: Ctx, Path(n): Path<String>) -> Answer {
    ctx.admin()?;
    let n = request::entry_index(&n).ok_or(Fail(RequestError::NotFound))?;
    let page = match desk.status.current() {
        Some(page) => page,
        None => admin_page(&desk).await?,
    };
    let key = usize::try_from(n).ok().and_then(|n| page.versions.get(n));
    let (document, sha) = key.cloned().ok_or(Fail(RequestError::NotFound))?;
    let lines = desk
        .writer
        .read(move |state| super::view::version_lines(state, today(), document.as_deref(), &sha))
        .await?;
    json_text(lines.ok_or(Fail(RequestError::NotFound))?)
}

fn json_text(text: String) -> Answer {
    Ok(([(header::CONTENT_TYPE, "application/json")], text).into_response())
}

/// The administration page's status: kept, or made on the writer's
/// thread (see [`super::status_cache`]).
async fn admin_page(desk: &Shared) -> Result<Arc<super::view::AdminPage>, Fail> {
    let size = desk.log.checkpoint().ok().map(|h| h.checkpoint.size);
    let generation = desk.writer.directory().generation;
    match desk.status.use_for(size, generation) {
        Use::Fresh(page) => Ok(page),
        Use::Refresh(page) => {
            let shared = desk.clone();
            tokio::spawn(async move {
                match make_admin_page(&shared).await {
                    Ok(page) => shared.status.keep(page),
                    Err(_) => shared.status.failed(),
                }
            });
            Ok(page)
        }
        Use::Make => {
            let page = make_admin_page(desk).await?;
            desk.status.keep(page.clone());
            Ok(page)
        }
    }
}

async fn make_admin_page(desk: &Desk) -> Result<Arc<super::view::AdminPage>, Fail> {
    let planned = desk.departures.all();
    // The size of the log the state reflects (the file's checkpoint may be
    // newer by a command's entries, read within a second).
    let (mut page, generation) = desk
        .writer
        .read_with_generation(move |state| {
            super::view::admin_page(state, today(), state.size(), &planned)
        })
        .await?;
    page.generation = generation;
    Ok(Arc::new(page))
}

async fn issue(State(desk): State<Shared>, ctx: Ctx, body: Bytes) -> Answer {
    ctx.admin()?;
    let req = request::issue(&body)?;
    let known = desk.writer.directory().people.get(&req.id).cloned();
    let name = match &known {
        Some(p) if p.left => return Err(Fail(RequestError::HasLeft(req.id.clone()))),
        Some(p) => p.name.clone(),
        None => req.name.clone(),
    };
    let (token, expires) = desk
        .enrolments
        .issue(&req.id, &name, req.position.as_deref())
        .map_err(unavailable)?;
    let moment = time::OffsetDateTime::from_unix_timestamp(expires)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        });
    let expires = ackreg_core::clock::day_of(expires).map(ackreg_core::log::entry::format_date);
    ok_json(json!({
        "link": format!("/enrol#{token}"), "id": req.id, "name": name,
        "replace": known.is_some(), "expires": expires.unwrap_or_default(),
        "expires_at": moment.unwrap_or_default(),
    }))
}

/// A departure asked under the one-time link's session (a named
/// administrator asks through `/api/admin/ask/leave`, signed).
async fn leave(State(desk): State<Shared>, ctx: Ctx, body: Bytes) -> Answer {
    ctx.link_admin()?;
    let req = request::leave(&body)?;
    let date = req.date.unwrap_or_else(today);
    if date > today() {
        return plan_departure(&desk, &req.id, date);
    }
    let accepted = desk.writer.leave(req.id.clone(), date).await?;
    desk.status.clear();
    desk.departures.cancel(&req.id).map_err(unavailable)?;
    desk.secrets.close_employee(&req.id);
    ok_json(json!({"entry": accepted.index, "planned": null}))
}

/// A departure dated after today: kept as planned and written on its day
/// (see [`super::departure`]); the employee works and signs until then.
fn plan_departure(desk: &Desk, id: &str, date: time::Date) -> Answer {
    let known = desk.writer.directory().people.get(id).cloned();
    match known {
        None => {
            let why = ackreg_core::log::state::Refusal::UnknownEmployee(id.to_string());
            return Err(Fail(RequestError::Refused(why.to_string())));
        }
        Some(p) if p.left => return Err(Fail(RequestError::Refused(format!("{id} has left")))),
        Some(_) => {}
    }
    desk.departures.plan(id, date).map_err(unavailable)?;
    desk.status.clear();
    ok_json(json!({"entry": null, "planned": ackreg_core::log::entry::format_date(date)}))
}

fn download(bytes: Vec<u8>, kind: &'static str, file: &str) -> Answer {
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{file}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    let mut r = ([(header::CONTENT_TYPE, kind)], bytes).into_response();
    r.headers_mut()
        .insert(header::CONTENT_DISPOSITION, disposition);
    Ok(r)
}

async fn download_entries(State(desk): State<Shared>, ctx: Ctx) -> Answer {
    ctx.admin()?;
    let log = desk.log.clone();
    let bytes = tokio::task::spawn_blocking(move || {
        let size = log.checkpoint()?.checkpoint.size;
        log.entries_prefix(size)
    })
    .await
    .map_err(unavailable)?
    .map_err(unavailable)?;
    download(bytes, "application/jsonl", "entries.jsonl")
}

async fn download_checkpoint(State(desk): State<Shared>, ctx: Ctx) -> Answer {
    ctx.admin()?;
    let head = desk.log.checkpoint().map_err(unavailable)?;
    download(head.to_bytes(), "text/plain; charset=utf-8", "checkpoint")
}

async fn download_annex(State(desk): State<Shared>, ctx: Ctx, Path(n): Path<String>) -> Answer {
    ctx.admin()?;
    let n = request::entry_index(&n).ok_or(Fail(RequestError::NotFound))?;
    let log = desk.log.clone();
    let pdf = tokio::task::spawn_blocking(move || super::view::annex(&log, n))
        .await
        .map_err(unavailable)??;
    download(pdf, "application/pdf", &format!("pielikums-{}.pdf", n + 1))
}

async fn document(State(desk): State<Shared>, ctx: Ctx, Path(name): Path<String>) -> Answer {
    ctx.current(&desk)?;
    let sha = request::doc_name(&name).ok_or(Fail(RequestError::NotFound))?;
    if !desk.writer.directory().documents.contains_key(&sha) {
        return Err(Fail(RequestError::NotFound));
    }
    let path = desk
        .log
        .dir()
        .join("documents")
        .join(format!("{}.pdf", ackreg_core::encoding::hex(&sha)));
    let bytes = tokio::task::spawn_blocking(move || {
        ackreg_core::fsutil::read_limited(&path, ackreg_core::document::MAX_DOCUMENT_FILE)
    })
    .await
    .map_err(unavailable)?
    .map_err(|_| Fail(RequestError::NotFound))?;
    let mut r = framable_pdf(bytes);
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=3600"),
    );
    Ok(r)
}

/// A PDF the desk's own page may show in a frame (and no other page).
pub(crate) fn framable_pdf(bytes: Vec<u8>) -> Response {
    let mut r = ([(header::CONTENT_TYPE, "application/pdf")], bytes).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("frame-ancestors 'self'"),
    );
    h.insert(
        header::X_FRAME_OPTIONS,
        HeaderValue::from_static("SAMEORIGIN"),
    );
    r
}

async fn receipt(State(desk): State<Shared>, ctx: Ctx, Path(index): Path<String>) -> Answer {
    let index = request::entry_index(&index).ok_or(Fail(RequestError::NotFound))?;
    let own = match ctx.current(&desk)? {
        Role::Admin | Role::Administrator { .. } => None,
        Role::Employee { id, .. } => Some(id.clone()),
    };
    let log = desk.log.clone();
    let bytes =
        tokio::task::spawn_blocking(move || super::view::receipt(&log, index, own.as_deref()))
            .await
            .map_err(unavailable)??;
    download(
        bytes,
        "text/plain; charset=utf-8",
        &format!("kvits-{index}.txt"),
    )
}

/// What changed from the version of SHA-256 `from` to that of `to` (two
/// versions of one document, the older first), as
/// [`ackreg_core::changes::Comparison`]'s JSON; for any open session, as
/// the documents themselves are.
async fn changes(
    State(desk): State<Shared>,
    ctx: Ctx,
    Path((from, to)): Path<(String, String)>,
) -> Answer {
    ctx.current(&desk)?;
    let sha =
        |text: &str| ackreg_core::encoding::hex32(text).map_err(|_| Fail(RequestError::NotFound));
    let (from, to) = (sha(&from)?, sha(&to)?);
    let pair = desk
        .writer
        .read(move |state| super::changes::pair(state, &from, &to))
        .await?
        .ok_or(Fail(RequestError::NotFound))?;
    let shared = desk.clone();
    let json = tokio::task::spawn_blocking(move || shared.changes.between(&shared.log, &pair))
        .await
        .map_err(unavailable)??;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "private, max-age=3600"),
        ],
        json.as_str().to_owned(),
    )
        .into_response())
}
