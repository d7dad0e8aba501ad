//! Named administrators at the desk (log format 0.4): their keys, made
//! and kept in the browser as employees' are, their sign-in, and the
//! entries they ask for, each under a request signed by their key
//! ([`super::plan`]).
//!
//! - **The first administrator, and after a lockout:** the one-time link
//!   made on the desk's computer (printed at start, or `ackreg serve
//!   --admin-link`) opens a session of the file system's authority; under
//!   it the browser makes a key and the desk writes the `admin` entry, as
//!   `ackreg log admin` would. An administrator already in the log gets
//!   their new key this way.
//! - **Another administrator:** an administrator invites them (a one-time
//!   link to `/admin/join`); they make their key and PIN there and wait; an
//!   administrator confirms, signing the request for the `admin` entry.
//!   Invitations and keys waiting are kept in memory: a desk restarted
//!   forgets them, and the invitation is made again.
//! - **Every other change** (a key revoked, a move, a departure, a
//!   dismissal) is a [`Proposal`] signed by the administrator who asks.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::routing::{get, post};
use axum::Router;
use ed25519_dalek::VerifyingKey;
use serde_json::json;
use time::Date;

use ackreg_core::keys::KeyId;
use ackreg_core::log::asked;
use ackreg_core::log::entry::{self, format_date};

use super::http::{
    check_pin, hashing, ok_json, unavailable, with_session, Answer, Ctx, Fail, Shared,
};
use super::pin::{self, Stored};
use super::plan::{self, After, Proposal};
use super::request::{self, RequestError};
use super::secret::{new_token, token_hash, Role};
use super::{today, Desk, ADMIN_ENROL_TYPE, SIGNIN_TYPE};

/// How long an invitation works.
pub const INVITE_TTL: Duration = Duration::from_secs(7 * 24 * 3600);
/// Most invitations and keys waiting at once.
pub const MAX_WAITING: usize = 64;
/// Requests listed on the administration's page, newest first.
pub const REQUESTS_SHOWN: usize = 50;

/// The PIN file's name for administrator `id`: apart from employees'
/// identifiers, which never hold a `/`.
pub fn pin_name(id: &str) -> String {
    format!("admin/{id}")
}

/// An invitation to become an administrator.
#[derive(Debug, Clone)]
struct Invitation {
    id: String,
    name: String,
    by: String,
    until: Instant,
}

/// Someone invited who made their key, waiting for a confirmation.
#[derive(Debug, Clone)]
struct Joined {
    name: String,
    key: VerifyingKey,
    by: String,
    pin: Stored,
}

/// Invitations and keys waiting.
#[derive(Debug, Default)]
pub struct Waiting {
    invitations: Mutex<HashMap<tlog::merkle::Hash, Invitation>>,
    joined: Mutex<HashMap<String, Joined>>,
}

fn locked<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Waiting {
    fn invite(&self, id: &str, name: &str, by: &str) -> Result<String, Fail> {
        let (token, hash) = new_token().map_err(unavailable)?;
        let mut map = locked(&self.invitations);
        let now = Instant::now();
        map.retain(|_, i| i.until > now && i.id != id);
        if map.len() >= MAX_WAITING {
            return Err(Fail(RequestError::Refused(
                "too many invitations wait: let some be used first".into(),
            )));
        }
        let until = now + INVITE_TTL;
        let invitation = Invitation {
            id: id.into(),
            name: name.into(),
            by: by.into(),
            until,
        };
        map.insert(hash, invitation);
        Ok(token)
    }

    fn peek(&self, token: &str) -> Option<Invitation> {
        let hash = token_hash(token)?;
        let map = locked(&self.invitations);
        map.get(&hash).filter(|i| i.until > Instant::now()).cloned()
    }

    fn take(&self, token: &str) -> Option<Invitation> {
        let hash = token_hash(token)?;
        let i = locked(&self.invitations).remove(&hash)?;
        (i.until > Instant::now()).then_some(i)
    }

    fn join(&self, id: String, joined: Joined) -> Result<(), Fail> {
        let mut map = locked(&self.joined);
        if map.len() >= MAX_WAITING && !map.contains_key(&id) {
            return Err(Fail(RequestError::Refused(
                "too many new administrators wait for a confirmation".into(),
            )));
        }
        map.insert(id, joined);
        Ok(())
    }

    fn joined(&self, id: &str) -> Option<Joined> {
        locked(&self.joined).get(id).cloned()
    }

    /// An invited administrator's `admin` entry is written: their PIN is
    /// kept, and they no longer wait.
    pub(crate) fn added(&self, desk: &Desk, id: &str) {
        let joined = locked(&self.joined).remove(id);
        if let Some(j) = joined {
            if let Err(e) = desk.pins.set(&pin_name(id), j.pin) {
                desk.observer
                    .note(&format!("cannot save the PIN of administrator {id}: {e}"));
            }
        }
    }
}

/// The administrators' routes.
pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/api/admin/enrol-key", post(enrol_key))
        .route("/api/admin/signin-key", post(signin_key))
        .route("/api/admin/admins", get(admins))
        .route("/api/admin/invite", post(invite))
        .route("/api/admin/join/info", post(join_info))
        .route("/api/admin/join", post(join))
        .route("/api/admin/admins/confirm", post(confirm))
        .route("/api/admin/admins/dismiss", post(dismiss))
        .route("/api/admin/ask/revoke", post(revoke))
        .route("/api/admin/ask/leave", post(leave))
        .route("/api/admin/ask/move", post(moved))
        .route("/api/admin/commit", post(commit))
}

/// Writes an `admin` entry under the one-time link's session: the first
/// administrator, or a new key for one locked out.
async fn enrol_key(State(desk): State<Shared>, ctx: Ctx, body: Bytes) -> Answer {
    ctx.link_admin()?;
    let req = request::admin_enrol(&body).map_err(|e| ctx.failed(&desk, e))?;
    let proof = desk.secrets.use_challenge(&req.challenge)
        && request::verify_proof(&req.key, ADMIN_ENROL_TYPE, &req.challenge, &req.signature);
    if !proof {
        return Err(ctx.failed(&desk, RequestError::EnrolProof));
    }
    let keyid = KeyId::of(&req.key);
    let (pin, id) = (req.pin, req.id.clone());
    let stored = hashing(&desk, move || pin::hash_new(&pin, &keyid))
        .await?
        .map_err(unavailable)?;
    let bytes = entry::admin_bytes(&req.id, &req.name, &req.key, today())
        .map_err(|e| Fail(RequestError::Refused(e.to_string())))?;
    let accepted = desk.writer.group(vec![bytes]).await?;
    desk.pins.set(&pin_name(&id), stored).map_err(unavailable)?;
    if let Some(c) = ctx.cookie() {
        desk.secrets.close_session(c);
    }
    let role = Role::Administrator {
        id: id.clone(),
        keyid,
    };
    let token = desk.secrets.open_session(role).map_err(unavailable)?;
    let entry = accepted.first().map(|a| a.index);
    with_session(
        &desk,
        &token,
        json!({"id": id, "name": req.name, "entry": entry}),
    )
}

/// A named administrator signs in with their key and PIN.
async fn signin_key(State(desk): State<Shared>, ctx: Ctx, body: Bytes) -> Answer {
    let req = request::signin(&body).map_err(|e| ctx.failed(&desk, e))?;
    let fresh = desk.secrets.use_challenge(&req.challenge);
    let holder = {
        let d = desk.writer.directory();
        d.admins
            .iter()
            .find(|(_, a)| a.keyid == req.keyid && a.serves(today()))
            .map(|(id, a)| (id.clone(), a.key))
    };
    let Some((id, key)) = holder.filter(|_| fresh) else {
        return Err(ctx.failed(&desk, RequestError::Signin));
    };
    if !request::verify_proof(&key, SIGNIN_TYPE, &req.challenge, &req.signature) {
        return Err(ctx.failed(&desk, RequestError::Signin));
    }
    check_pin(&desk, &ctx, &pin_name(&id), &req.keyid, req.pin, false).await?;
    if let Some(c) = ctx.cookie() {
        desk.secrets.close_session(c);
    }
    let role = Role::Administrator {
        id: id.clone(),
        keyid: req.keyid,
    };
    let token = desk.secrets.open_session(role).map_err(unavailable)?;
    with_session(&desk, &token, json!({"id": id}))
}

/// The administrators, who is signed in, the keys waiting for a
/// confirmation and the latest requests.
async fn admins(State(desk): State<Shared>, ctx: Ctx) -> Answer {
    ctx.admin()?;
    let me = ctx.administrator(&desk).ok().map(|(id, _, _)| id);
    let (rows, mut requests) = desk
        .writer
        .read(|state| (asked::admin_rows(state), asked::requests(state)))
        .await?;
    requests.reverse();
    requests.truncate(REQUESTS_SHOWN);
    let requests: Vec<_> = requests
        .iter()
        .map(|r| {
            let (first, last) = (r.entries.first(), r.entries.last());
            json!({"entry": r.entry, "admin": r.admin, "name": r.name, "date": r.date,
                   "action": r.action, "first": first, "last": last, "count": r.entries.len()})
        })
        .collect();
    let pending: Vec<_> = locked(&desk.waiting.joined)
        .iter()
        .map(|(id, j)| json!({"id": id, "name": j.name, "keyid": KeyId::of(&j.key).to_string(), "by": j.by}))
        .collect();
    let me = me.and_then(|id| {
        rows.iter()
            .find(|r| r.id == id)
            .map(|r| json!({"id": r.id, "name": r.name}))
    });
    ok_json(json!({"me": me, "admins": rows, "pending": pending, "requests": requests}))
}

/// An administrator invites another: a one-time link to `/admin/join`.
async fn invite(State(desk): State<Shared>, ctx: Ctx, body: Bytes) -> Answer {
    let (by, _, _) = ctx.administrator(&desk)?;
    let req = request::invite(&body)?;
    let serving = desk
        .writer
        .directory()
        .admins
        .get(&req.id)
        .is_some_and(|a| a.serves(today()));
    if serving {
        return Err(Fail(RequestError::Refused(format!(
            "{} is an administrator already",
            req.id
        ))));
    }
    let token = desk.waiting.invite(&req.id, &req.name, &by)?;
    let until = time::OffsetDateTime::now_utc() + INVITE_TTL;
    ok_json(json!({
        "link": format!("/admin/join#{token}"), "id": req.id, "name": req.name,
        "expires": format_date(until.date()),
    }))
}

/// What an invitation is for: the page shows it before the key is made.
async fn join_info(State(desk): State<Shared>, ctx: Ctx, body: Bytes) -> Answer {
    let req = request::token(&body).map_err(|e| ctx.failed(&desk, e))?;
    let Some(i) = desk.waiting.peek(&req.token) else {
        return Err(ctx.failed(&desk, RequestError::Link));
    };
    let by = desk
        .writer
        .directory()
        .admins
        .get(&i.by)
        .map_or(i.by.clone(), |a| a.name.clone());
    ok_json(json!({"id": i.id, "name": i.name, "by": by}))
}

/// The invited administrator's browser sends its new key and PIN; they
/// wait for an administrator's confirmation.
async fn join(State(desk): State<Shared>, ctx: Ctx, body: Bytes) -> Answer {
    let req = request::enrol(&body).map_err(|e| ctx.failed(&desk, e))?;
    if desk.waiting.peek(&req.token).is_none() {
        return Err(ctx.failed(&desk, RequestError::Link));
    }
    if !request::verify_proof(&req.key, ADMIN_ENROL_TYPE, &req.token, &req.signature) {
        return Err(ctx.failed(&desk, RequestError::EnrolProof));
    }
    let (pin, keyid) = (req.pin, KeyId::of(&req.key));
    let stored = hashing(&desk, move || pin::hash_new(&pin, &keyid))
        .await?
        .map_err(unavailable)?;
    let Some(i) = desk.waiting.take(&req.token) else {
        return Err(ctx.failed(&desk, RequestError::Link));
    };
    let joined = Joined {
        name: i.name.clone(),
        key: req.key,
        by: i.by,
        pin: stored,
    };
    desk.waiting.join(i.id.clone(), joined)?;
    ok_json(json!({"id": i.id, "name": i.name, "keyid": keyid.to_string()}))
}

/// `{"id", "date"?}`: identifier and date (today when absent).
fn id_date(body: &[u8]) -> Result<(String, Date), Fail> {
    let leave = request::leave(body)?;
    Ok((leave.id, leave.date.unwrap_or_else(today)))
}

/// A date in a request's words, the Latvian way: 07.12.2026.
fn lv(date: Date) -> String {
    ackreg_core::register::latvian_date(&format_date(date))
}

fn refused(e: impl ToString) -> Fail {
    Fail(RequestError::Refused(e.to_string()))
}

/// Confirms an invited administrator's key: the `admin` entry, signed.
async fn confirm(State(desk): State<Shared>, ctx: Ctx, body: Bytes) -> Answer {
    ctx.administrator(&desk)?;
    let (id, _) = id_date(&body)?;
    let joined = desk
        .waiting
        .joined(&id)
        .ok_or(Fail(RequestError::NotFound))?;
    let bytes = entry::admin_bytes(&id, &joined.name, &joined.key, today()).map_err(refused)?;
    let proposal = Proposal {
        action: format!("administratori: pievienot {id} ({})", joined.name),
        entries: vec![bytes],
    };
    plan::offer(&desk, &ctx, proposal, After::AdminAdded(id))
}

/// Ends an administrator's role from a date.
async fn dismiss(State(desk): State<Shared>, ctx: Ctx, body: Bytes) -> Answer {
    ctx.administrator(&desk)?;
    let (id, date) = id_date(&body)?;
    let bytes = entry::dismiss_bytes(&id, date).map_err(refused)?;
    let proposal = Proposal {
        action: format!("administratori: beigt {id} tiesības no {}", lv(date)),
        entries: vec![bytes],
    };
    plan::offer(&desk, &ctx, proposal, After::Nothing)
}

/// Records an employee's key as revoked (lost or stolen) from a date.
async fn revoke(State(desk): State<Shared>, ctx: Ctx, body: Bytes) -> Answer {
    ctx.administrator(&desk)?;
    let (id, date) = id_date(&body)?;
    let keyid = desk
        .writer
        .directory()
        .people
        .get(&id)
        .map(|p| p.current)
        .ok_or_else(|| refused(format!("{id} is not in the register")))?
        .ok_or_else(|| refused(format!("{id} has no key to revoke")))?;
    let bytes = entry::revoke_bytes(&id, &keyid, date).map_err(refused)?;
    let proposal = Proposal {
        action: format!(
            "atslēgas atsaukšana: {id}, atslēga {keyid}, no {}",
            lv(date)
        ),
        entries: vec![bytes],
    };
    plan::offer(&desk, &ctx, proposal, After::Revoked(id))
}

/// Records that an employee leaves on a date: today or earlier, written
/// now; ahead, kept with its signed request and written on the day (they
/// sign until then, see [`crate::departure`]).
async fn leave(State(desk): State<Shared>, ctx: Ctx, body: Bytes) -> Answer {
    ctx.administrator(&desk)?;
    let (id, date) = id_date(&body)?;
    let bytes = entry::leave_bytes(&id, date).map_err(refused)?;
    let proposal = Proposal {
        action: format!("aiziešana: {id}, pirmā diena bez darba {}", lv(date)),
        entries: vec![bytes],
    };
    // A departure dated ahead is written on its day (a `leave` entry ends
    // the key at once): it must be of someone working here now.
    let after = if date <= today() {
        After::Left(id)
    } else {
        let known = desk.writer.directory().people.get(&id).cloned();
        match known {
            None => return Err(refused(format!("{id} is not in the register"))),
            Some(p) if p.left => return Err(refused(format!("{id} has left"))),
            Some(_) => After::Depart(id, date),
        }
    };
    plan::offer(&desk, &ctx, proposal, after)
}

/// Records an employee's move to other units from a date.
async fn moved(State(desk): State<Shared>, ctx: Ctx, body: Bytes) -> Answer {
    ctx.administrator(&desk)?;
    let req = request::moved(&body)?;
    let date = req.date.unwrap_or_else(today);
    let bytes = entry::move_bytes(&req.id, &req.units, date).map_err(refused)?;
    let proposal = Proposal {
        action: format!(
            "pārcelšana: {} uz {} no {}",
            req.id,
            if req.units.is_empty() {
                "nevienu struktūrvienību".to_string()
            } else {
                req.units.join(", ")
            },
            lv(date)
        ),
        entries: vec![bytes],
    };
    plan::offer(&desk, &ctx, proposal, After::Nothing)
}

async fn commit(State(desk): State<Shared>, ctx: Ctx, body: Bytes) -> Answer {
    plan::commit(&desk, &ctx, &body).await
}
