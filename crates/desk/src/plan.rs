//! What a named administrator asks the desk to write, and their signature
//! over it (log format 0.4's `request` entries).
//!
//! An administration route makes the entries with the library and hands
//! them here as a [`Proposal`]. [`offer`] answers the administrator's page
//! with the request payload(s) to sign: one per
//! [`MAX_REQUEST_ENTRIES`] entries, naming the log, the administrator,
//! today, the action in words and each entry's SHA-256. The page signs each
//! with the administrator's key in the browser (WebCrypto, DSSE's PAE) and
//! posts the signatures to `/api/admin/commit`; [`commit`] checks them with
//! the administrator's key in the log and appends every request and its
//! entries in one commit ([`crate::writer::Handle::group`]): all of it or
//! nothing. The log's audit checks the same signatures again.
//!
//! A plan is kept in memory for [`PLAN_TTL`], used once, and only by the
//! administrator (and key) it was made for.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ackreg_core::dsse::{Envelope, EnvelopeSignature};
use ackreg_core::encoding::b64;
use ackreg_core::keys::KeyId;
use ackreg_core::log::entry::request_entry_bytes;
use ackreg_core::log::request::{request_bytes, MAX_REQUEST_ENTRIES, PAYLOAD_TYPE};
use serde_json::json;

use super::http::{ok_json, unavailable, Answer, Ctx, Fail};
use super::request::{self, RequestError};
use super::secret::{new_token, token_hash};
use super::{today, Desk};
use tlog::merkle::Hash;

/// How long a plan waits for its signatures.
pub const PLAN_TTL: Duration = Duration::from_secs(15 * 60);
/// Most plans waiting at once (the oldest goes first).
pub const MAX_PLANS: usize = 256;

/// What an administrator asks the desk to write: the entries' exact bytes,
/// in order, made by the library, and what is asked, in words (e.g.
/// "publish darba-kartiba 2").
#[derive(Debug, Clone)]
pub struct Proposal {
    /// What is asked, in words (in the request's `action`).
    pub action: String,
    /// The entries, in the order they are to be written.
    pub entries: Vec<Vec<u8>>,
}

/// What the desk does once a plan's entries are written (beside the log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum After {
    /// Nothing more.
    Nothing,
    /// An invited administrator was added: their PIN is kept, their
    /// waiting enrolment ends.
    AdminAdded(String),
    /// An employee left (today or earlier): their sessions end.
    Left(String),
    /// An employee's key was revoked: their sessions end.
    Revoked(String),
    /// A departure dated after today: the signed request and its `leave`
    /// entry are kept as planned (see [`crate::departure`]) and written on
    /// the day, not now.
    Depart(String, time::Date),
}

/// A plan waiting for its signatures.
#[derive(Debug)]
struct Plan {
    admin: String,
    keyid: KeyId,
    /// Each request's payload and the entries it authorises.
    parts: Vec<(Vec<u8>, Vec<Vec<u8>>)>,
    after: After,
    until: Instant,
}

/// The plans waiting, by their token's hash.
#[derive(Debug, Default)]
pub struct Plans {
    map: Mutex<HashMap<Hash, Plan>>,
}

impl Plans {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Hash, Plan>> {
        self.map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn keep(&self, plan: Plan) -> Result<String, Fail> {
        let (token, hash) = new_token().map_err(unavailable)?;
        let mut map = self.lock();
        let now = Instant::now();
        map.retain(|_, p| p.until > now);
        if map.len() >= MAX_PLANS {
            let oldest = map.iter().min_by_key(|(_, p)| p.until).map(|(h, _)| *h);
            if let Some(h) = oldest {
                map.remove(&h);
            }
        }
        map.insert(hash, plan);
        Ok(token)
    }

    /// The plan of `token`, once, if it has not expired.
    fn take(&self, token: &str) -> Option<Plan> {
        let hash = token_hash(token)?;
        let plan = self.lock().remove(&hash)?;
        (plan.until > Instant::now()).then_some(plan)
    }
}

/// Answers a named administrator's session with the request(s) to sign for
/// `proposal`: `{"plan", "action", "entries", "requests": [{"payloadType",
/// "payload"}]}` (payloads in base64). `after` is done once it is written.
pub fn offer(desk: &Desk, ctx: &Ctx, proposal: Proposal, after: After) -> Answer {
    let (admin, keyid, _) = ctx.administrator(desk)?;
    if proposal.entries.is_empty() {
        return Err(Fail(RequestError::Refused(
            "there is nothing to write".into(),
        )));
    }
    let origin = desk.writer.directory().origin.clone();
    let mut parts = Vec::new();
    for chunk in proposal.entries.chunks(MAX_REQUEST_ENTRIES) {
        let payload = request_bytes(&origin, &admin, today(), &proposal.action, chunk)
            .map_err(|e| Fail(RequestError::Refused(e.to_string())))?;
        parts.push((payload, chunk.to_vec()));
    }
    let requests: Vec<_> = parts
        .iter()
        .map(|(p, _)| json!({"payloadType": PAYLOAD_TYPE, "payload": b64(p)}))
        .collect();
    let count = proposal.entries.len();
    let token = desk.plans.keep(Plan {
        admin,
        keyid,
        parts,
        after,
        until: Instant::now() + PLAN_TTL,
    })?;
    ok_json(json!({
        "plan": token, "action": proposal.action, "entries": count, "requests": requests,
    }))
}

/// Keeps a departure dated ahead with its signed request, to be written on
/// its day: `{"entries": [], "requests": [], "planned": DATE}`.
fn plan_departure(
    desk: &Desk,
    id: String,
    date: time::Date,
    plan: Plan,
    signatures: &[ed25519_dalek::Signature],
) -> Answer {
    let mut entries = entries_of(plan, signatures)?;
    entries.truncate(1);
    let request = entries
        .pop()
        .and_then(|r| String::from_utf8(r).ok())
        .ok_or_else(|| Fail(RequestError::Refused("no request to keep".into())))?;
    desk.departures
        .plan_with(&id, date, Some(request))
        .map_err(unavailable)?;
    desk.status.clear();
    let date = ackreg_core::log::entry::format_date(date);
    ok_json(json!({"entries": [], "requests": [], "planned": date}))
}

/// What the desk does beside the log once a plan is written.
fn after_commit(desk: &Desk, after: After) {
    match after {
        After::Nothing => {}
        After::AdminAdded(id) => desk.waiting.added(desk, &id),
        After::Left(id) | After::Revoked(id) => desk.secrets.close_employee(&id),
        After::Depart(..) => {}
    }
}

/// The envelope of one request: its payload, signed by `keyid`.
fn envelope(payload: &[u8], keyid: &KeyId, signature: &ed25519_dalek::Signature) -> Envelope {
    Envelope {
        payload_type: PAYLOAD_TYPE.to_string(),
        payload: b64(payload),
        signatures: vec![EnvelopeSignature {
            keyid: keyid.to_string(),
            sig: b64(&signature.to_bytes()),
        }],
    }
}

/// Each request's signature verifies with the administrator's key.
fn check_signatures(
    plan: &Plan,
    key: &ed25519_dalek::VerifyingKey,
    signatures: &[ed25519_dalek::Signature],
) -> Result<(), Fail> {
    if signatures.len() != plan.parts.len() {
        return Err(Fail(RequestError::RequestSignature));
    }
    for ((payload, _), sig) in plan.parts.iter().zip(signatures) {
        let message = ackreg_core::dsse::pae(PAYLOAD_TYPE, payload);
        if ackreg_core::dsse::verify_bytes(key, &message, sig).is_err() {
            return Err(Fail(RequestError::RequestSignature));
        }
    }
    Ok(())
}

/// Every request entry followed by the entries it names, in order.
fn entries_of(plan: Plan, signatures: &[ed25519_dalek::Signature]) -> Result<Vec<Vec<u8>>, Fail> {
    let mut all = Vec::new();
    for ((payload, entries), sig) in plan.parts.into_iter().zip(signatures) {
        let env = envelope(&payload, &plan.keyid, sig);
        let request = request_entry_bytes(&plan.admin, &env)
            .map_err(|e| Fail(RequestError::Refused(e.to_string())))?;
        all.push(request);
        all.extend(entries);
    }
    Ok(all)
}

/// `POST /api/admin/commit`: the signatures over a plan's requests; writes
/// them and their entries in one commit. `{"entries": [the entries asked
/// for], "requests": [each request's entry], "size"}`.
pub async fn commit(desk: &Desk, ctx: &Ctx, body: &[u8]) -> Answer {
    let (admin, keyid, key) = ctx.administrator(desk)?;
    let req = request::commit(body)?;
    let plan = desk.plans.take(&req.plan).ok_or(Fail(RequestError::Plan))?;
    if plan.admin != admin || plan.keyid != keyid {
        return Err(Fail(RequestError::Plan));
    }
    check_signatures(&plan, &key, &req.signatures)?;
    if let After::Depart(id, date) = &plan.after {
        return plan_departure(desk, id.clone(), *date, plan, &req.signatures);
    }
    let after = plan.after.clone();
    let sizes: Vec<usize> = plan.parts.iter().map(|(_, e)| e.len() + 1).collect();
    let accepted = desk
        .writer
        .group(entries_of(plan, &req.signatures)?)
        .await?;
    let (mut requests, mut entries) = (Vec::new(), Vec::new());
    let mut written = accepted.iter().map(|a| a.index);
    for n in sizes {
        requests.extend(written.next());
        entries.extend(written.by_ref().take(n - 1));
    }
    let size = accepted.last().map_or(0, |a| a.index + 1);
    after_commit(desk, after);
    desk.status.clear();
    ok_json(json!({"entries": entries, "requests": requests, "size": size}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_is_taken_once_and_not_after_it_expires() {
        let plans = Plans::default();
        let plan = |until| Plan {
            admin: "a".into(),
            keyid: KeyId::of(&ed25519_dalek::SigningKey::from_bytes(&[1; 32]).verifying_key()),
            parts: vec![],
            after: After::Nothing,
            until,
        };
        let token = plans.keep(plan(Instant::now() + PLAN_TTL)).unwrap();
        assert!(plans.take(&token).is_some());
        assert!(plans.take(&token).is_none(), "once");
        let old = plans.keep(plan(Instant::now())).unwrap();
        assert!(plans.take(&old).is_none(), "expired");
        assert!(plans.take("not a token").is_none());
    }
}
