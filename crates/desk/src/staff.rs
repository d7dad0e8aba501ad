//! The HR staff file from the page: uploaded, compared with the log as
//! `ackreg log staff` compares it ([`ackreg_core::staff`]), shown as a
//! table of changes, and on confirmation offered to the administrator to
//! sign as the entries that make the log say what the file says.
//!
//! Both routes take the file itself as the body (`text/csv` or
//! `application/octet-stream`, at most [`MAX_STAFF_FILE`] bytes: a larger
//! one is refused before it is read). A file the library refuses is
//! answered 422 with every problem by line and column, and nothing is
//! written. The confirmation names the preview it confirms (its
//! fingerprint): if the log changed since, so that the file now asks for
//! other changes, it is answered 409 with the new preview, and nothing is
//! offered. Otherwise the entries are offered to the administrator to sign
//! ([`super::plan::offer`]); they are written by `/api/admin/commit`, all
//! in one commit, and the log's rules check each again then.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};

use super::http::{ok_json, unavailable, Answer, Ctx, Fail, Shared};
use super::plan::{After, Proposal};
use super::request::RequestError;
use super::today;
use ackreg_core::log::entry::format_date;
use ackreg_core::staff::{self, Plan, StaffError, MAX_STAFF_FILE};

pub use super::request::{STAFF_CONFIRM as CONFIRM, STAFF_PREVIEW as PREVIEW};

/// The routes (administrator only).
pub fn routes() -> Router<Shared> {
    let limit = DefaultBodyLimit::max(MAX_STAFF_FILE);
    Router::new()
        .route(PREVIEW, post(preview).layer(limit))
        .route(CONFIRM, post(confirm).layer(limit))
}

/// `text/csv` or `application/octet-stream` (a `charset=utf-8` may
/// follow); else 415.
pub fn check_type(headers: &HeaderMap) -> Result<(), RequestError> {
    let value = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .ok_or(RequestError::ContentType)?;
    let mut parts = value.split(';').map(|p| p.trim().to_ascii_lowercase());
    let kind = parts.next().unwrap_or_default();
    let ok = matches!(kind.as_str(), "text/csv" | "application/octet-stream")
        && parts.all(|p| p == "charset=utf-8" || p == "charset=\"utf-8\"");
    if ok {
        Ok(())
    } else {
        Err(RequestError::ContentType)
    }
}

/// The body, or 413 for one over the limit.
fn body(body: Result<Bytes, BytesRejection>) -> Result<Bytes, RequestError> {
    body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            RequestError::TooLarge(MAX_STAFF_FILE)
        } else {
            RequestError::Field {
                field: "body",
                why: e.body_text(),
            }
        }
    })
}

/// A refused file: 413 for its size, 422 otherwise, `{"error":
/// "staff_file", "message", "problems": [{"line", "column", "why"}],
/// "more", "line"?}` (`line` the first line that is not UTF-8).
pub fn refused(e: &StaffError) -> Response {
    let status = match e {
        StaffError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let (kind, problems, more, line) = match e {
        StaffError::TooLarge { .. } => ("too_large", &[][..], 0, None),
        StaffError::NotUtf8 { line } => ("not_utf8", &[][..], 0, Some(*line)),
        StaffError::Empty => ("empty", &[][..], 0, None),
        StaffError::NoRows => ("no_rows", &[][..], 0, None),
        StaffError::Problems { problems, more } => ("problems", problems.as_slice(), *more, None),
    };
    let hint = ackreg_core::Hint::hint(e);
    let body = json!({
        "error": "staff_file", "kind": kind, "message": e.to_string(), "hint": hint,
        "problems": problems, "more": more, "line": line,
    });
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// The plan of `bytes` against the log as of its newest commit, on
/// `day`: the rows read and compared off the request threads.
async fn plan_of(
    desk: &Shared,
    bytes: Bytes,
    day: time::Date,
) -> Result<Result<Plan, StaffError>, Fail> {
    let rows = tokio::task::spawn_blocking(move || staff::parse(&bytes))
        .await
        .map_err(unavailable)?;
    let rows = match rows {
        Ok(rows) => rows,
        Err(e) => return Ok(Err(e)),
    };
    let (current, units) = desk
        .writer
        .read(move |state| (staff::current_of(state, day), staff::units_of(state)))
        .await?;
    tokio::task::spawn_blocking(move || staff::plan(&rows, &current, &units, day))
        .await
        .map_err(unavailable)
}

/// What the page shows of a plan: `{"plan" (its fingerprint), "date",
/// "action", "counts": {"join", "move", "update", "leave"}, "changes"}`,
/// each change as `ackreg log staff --json` gives it.
pub fn preview_json(plan: &Plan, day: time::Date) -> Value {
    let [join, moved, update, leave] = staff::counts(plan);
    json!({
        "plan": staff::fingerprint(plan), "date": format_date(day),
        "action": staff::action(plan),
        "counts": {"join": join, "move": moved, "update": update, "leave": leave},
        "changes": plan.changes,
    })
}

async fn preview(
    State(desk): State<Shared>,
    ctx: Ctx,
    headers: HeaderMap,
    upload: Result<Bytes, BytesRejection>,
) -> Answer {
    ctx.admin()?;
    check_type(&headers)?;
    let bytes = body(upload)?;
    let day = today();
    match plan_of(&desk, bytes, day).await? {
        Ok(plan) => ok_json(preview_json(&plan, day)),
        Err(e) => Ok(refused(&e)),
    }
}

/// `plan=FINGERPRINT` of the confirmation's query.
fn confirmed_plan(uri: &Uri) -> Result<String, RequestError> {
    let bad = || RequestError::Field {
        field: "plan",
        why: "must be the fingerprint of the preview confirmed".into(),
    };
    let value = uri
        .query()
        .and_then(|q| q.strip_prefix("plan="))
        .ok_or_else(bad)?;
    let hex = value.len() == 64
        && value
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if hex {
        Ok(value.to_string())
    } else {
        Err(bad())
    }
}

/// The proposal that applies `plan`: its entries, as
/// [`staff::entry_of`] makes them, and its words (e.g. `darbinieku
/// imports: 3 pievienojas, 1 aiziet`).
pub fn proposal_of(plan: &Plan) -> Result<Proposal, RequestError> {
    let entries = staff::entries_of(plan).map_err(|e| RequestError::Refused(e.to_string()))?;
    Ok(Proposal {
        action: staff::action(plan),
        entries,
    })
}

async fn confirm(
    State(desk): State<Shared>,
    ctx: Ctx,
    headers: HeaderMap,
    uri: Uri,
    upload: Result<Bytes, BytesRejection>,
) -> Answer {
    ctx.admin()?;
    check_type(&headers)?;
    let bytes = body(upload)?;
    let wanted = confirmed_plan(&uri)?;
    let day = today();
    let plan = match plan_of(&desk, bytes, day).await? {
        Ok(plan) => plan,
        Err(e) => return Ok(refused(&e)),
    };
    if staff::fingerprint(&plan) != wanted {
        let body = json!({
            "error": "changed",
            "message": "the log changed since the preview: these are the changes the file asks for now",
            "preview": preview_json(&plan, day),
        });
        return Ok((
            StatusCode::CONFLICT,
            [(header::CONTENT_TYPE, "application/json")],
            body.to_string(),
        )
            .into_response());
    }
    if plan.is_empty() {
        return Err(Fail(RequestError::Refused(
            "no changes: the log already says what the file says".into(),
        )));
    }
    super::plan::offer(&desk, &ctx, proposal_of(&plan)?, After::Nothing)
}
