//! The desk's secrets: the administrator's one-time link, session cookies
//! and sign-in challenges, each a random 256-bit token of which the desk
//! keeps only the SHA-256, and the count of failed attempts per address.
//!
//! A token travels in a cookie or a request body, never in a URL the
//! server sees (links carry it after `#`), so it cannot reach a log line.
//!
//! What the limit on failures is for: not to keep the tokens secret. A
//! token has 256 random bits and a key is Ed25519: no rate of guessing
//! finds one, limited or not. Limiting *every* request of an address after
//! a few failures, as the desk once did, bought no safety and let anyone
//! behind an office's NAT (one address for all its employees) lock the
//! administrator and every colleague out with ten bad tokens. So a working
//! token, link or signature is always accepted, whatever its address did
//! before, and a success is never counted. Failures are counted per
//! address, and past [`MAX_FAILURES`] in [`FAILURE_WINDOW`] a failed
//! attempt is answered `too_many` instead of its own error: the operator
//! sees someone guessing in the request lines, the guesser learns nothing
//! more, and the count stays high enough that the honest mistakes of a
//! whole office behind one address (an expired link, a browser whose key
//! was replaced) never reach it.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::DeskError;
use ackreg_core::keys::KeyId;
use tlog::merkle::Hash;

/// How long a session lasts.
pub const SESSION_TTL: Duration = Duration::from_secs(12 * 3600);
/// How long a sign-in challenge may be answered.
pub const CHALLENGE_TTL: Duration = Duration::from_secs(120);
/// Most open sessions and challenges kept (oldest dropped first).
pub const MAX_OPEN: usize = 100_000;
/// Failed attempts per address within [`FAILURE_WINDOW`] answered with
/// their own error; later ones get `too_many` (a working token still
/// works: see the module's comment).
pub const MAX_FAILURES: u32 = 60;
/// The window in which failures are counted.
pub const FAILURE_WINDOW: Duration = Duration::from_secs(60);
/// Length of a token as text (base64url of 32 bytes).
pub const TOKEN_LEN: usize = 43;

/// A new random token and its hash.
pub fn new_token() -> Result<(String, Hash), DeskError> {
    let mut raw = [0u8; 32];
    getrandom::fill(&mut raw).map_err(DeskError::Random)?;
    let text = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
    let hash = Sha256::digest(text.as_bytes()).into();
    Ok((text, hash))
}

/// The hash under which a token is kept, if `text` has a token's shape.
pub fn token_hash(text: &str) -> Option<Hash> {
    let shape = text.len() == TOKEN_LEN
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    shape.then(|| Sha256::digest(text.as_bytes()).into())
}

/// Who a session belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// The administration, signed in with a one-time link made on the
    /// desk's computer (the file system's authority): it sees the
    /// administration's page, issues enrolment links and enrols a named
    /// administrator's key; entries it asks for name no administrator.
    Admin,
    /// A named administrator, signed in with their own key: every entry
    /// they ask for carries their signed request.
    Administrator {
        /// The administrator's identifier.
        id: String,
        /// The key that signed in (the one that signs their requests).
        keyid: KeyId,
    },
    /// An employee, signed in with this key.
    Employee {
        /// Identifier.
        id: String,
        /// The key that signed in (the only one it may sign with).
        keyid: KeyId,
    },
}

struct Expiring<T> {
    value: T,
    until: Instant,
}

/// Hashed tokens with an expiry, bounded in number.
struct Table<T> {
    map: HashMap<Hash, Expiring<T>>,
}

impl<T> Table<T> {
    fn new() -> Self {
        Table {
            map: HashMap::new(),
        }
    }

    fn insert(&mut self, hash: Hash, value: T, ttl: Duration) {
        let now = Instant::now();
        if self.map.len() >= MAX_OPEN {
            self.map.retain(|_, e| e.until > now);
        }
        if self.map.len() >= MAX_OPEN {
            let oldest = self
                .map
                .iter()
                .min_by_key(|(_, e)| e.until)
                .map(|(h, _)| *h);
            if let Some(h) = oldest {
                self.map.remove(&h);
            }
        }
        self.map.insert(
            hash,
            Expiring {
                value,
                until: now + ttl,
            },
        );
    }

    fn get(&self, hash: &Hash) -> Option<&T> {
        self.map
            .get(hash)
            .filter(|e| e.until > Instant::now())
            .map(|e| &e.value)
    }

    fn take(&mut self, hash: &Hash) -> Option<T> {
        let e = self.map.remove(hash)?;
        (e.until > Instant::now()).then_some(e.value)
    }
}

/// Sessions, challenges and the administrator's link.
pub struct Secrets {
    sessions: Mutex<Table<Role>>,
    challenges: Mutex<Table<()>>,
    admin_link: Mutex<Option<Hash>>,
    used_admin_links: Mutex<Vec<Hash>>,
    failures: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secrets { .. }")
    }
}

impl Default for Secrets {
    fn default() -> Self {
        Self::new()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Secrets {
    /// No sessions yet.
    pub fn new() -> Secrets {
        Secrets {
            sessions: Mutex::new(Table::new()),
            challenges: Mutex::new(Table::new()),
            admin_link: Mutex::new(None),
            used_admin_links: Mutex::new(Vec::new()),
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// Makes the administrator's one-time link token (replacing any
    /// earlier one that was not used).
    pub fn new_admin_link(&self) -> Result<String, DeskError> {
        let (text, hash) = new_token()?;
        *lock(&self.admin_link) = Some(hash);
        Ok(text)
    }

    /// Uses the administrator's link: true once, for the right token.
    pub fn use_admin_link(&self, token: &str) -> bool {
        let Some(hash) = token_hash(token) else {
            return false;
        };
        let mut link = lock(&self.admin_link);
        if *link == Some(hash) {
            *link = None;
            lock(&self.used_admin_links).push(hash);
            return true;
        }
        false
    }

    /// Whether `token` is an administrator's link of this run that was
    /// used already (someone signed in with it).
    pub fn admin_link_was_used(&self, token: &str) -> bool {
        token_hash(token).is_some_and(|h| lock(&self.used_admin_links).contains(&h))
    }

    /// Opens a session; returns the cookie's secret.
    pub fn open_session(&self, role: Role) -> Result<String, DeskError> {
        let (text, hash) = new_token()?;
        lock(&self.sessions).insert(hash, role, SESSION_TTL);
        Ok(text)
    }

    /// The role of a session cookie's secret, if it is open.
    pub fn session(&self, token: &str) -> Option<Role> {
        let hash = token_hash(token)?;
        lock(&self.sessions).get(&hash).cloned()
    }

    /// Closes a session.
    pub fn close_session(&self, token: &str) {
        if let Some(hash) = token_hash(token) {
            lock(&self.sessions).take(&hash);
        }
    }

    /// Closes every session of employee `id` (they left).
    pub fn close_employee(&self, id: &str) {
        lock(&self.sessions)
            .map
            .retain(|_, e| !matches!(&e.value, Role::Employee { id: i, .. } if i == id));
    }

    /// A new sign-in challenge (a token to be signed).
    pub fn new_challenge(&self) -> Result<String, DeskError> {
        let (text, hash) = new_token()?;
        lock(&self.challenges).insert(hash, (), CHALLENGE_TTL);
        Ok(text)
    }

    /// Uses a challenge: true once, before it expires.
    pub fn use_challenge(&self, token: &str) -> bool {
        token_hash(token).is_some_and(|h| lock(&self.challenges).take(&h).is_some())
    }

    /// Whether `ip` may try again (fewer than [`MAX_FAILURES`] failures in
    /// the current window).
    pub fn may_try(&self, ip: IpAddr) -> bool {
        self.may_try_at(ip, Instant::now())
    }

    /// Counts a failed sign-in or enrolment attempt from `ip`.
    pub fn failed(&self, ip: IpAddr) {
        self.failed_at(ip, Instant::now());
    }

    fn may_try_at(&self, ip: IpAddr, now: Instant) -> bool {
        match lock(&self.failures).get(&ip) {
            Some(&(start, n)) => now.duration_since(start) >= FAILURE_WINDOW || n < MAX_FAILURES,
            None => true,
        }
    }

    fn failed_at(&self, ip: IpAddr, now: Instant) {
        let mut failures = lock(&self.failures);
        if failures.len() >= MAX_OPEN {
            failures.retain(|_, (start, _)| now.duration_since(*start) < FAILURE_WINDOW);
        }
        let entry = failures.entry(ip).or_insert((now, 0));
        if now.duration_since(entry.0) >= FAILURE_WINDOW {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_kept_hashed_and_shaped() {
        let (text, hash) = new_token().unwrap();
        assert_eq!(text.len(), TOKEN_LEN);
        assert_eq!(token_hash(&text), Some(hash));
        assert_ne!(new_token().unwrap().0, text);
        for bad in [
            "",
            "short",
            &format!("{text}x"),
            &text.replace(&text[..1], "/"),
        ] {
            assert_eq!(token_hash(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_admin_link_works_once() {
        let s = Secrets::new();
        let token = s.new_admin_link().unwrap();
        assert!(!s.use_admin_link("x"));
        assert!(!s.use_admin_link(&new_token().unwrap().0));
        assert!(!s.admin_link_was_used(&token));
        assert!(s.use_admin_link(&token));
        assert!(!s.use_admin_link(&token));
        assert!(s.admin_link_was_used(&token));
    }

    #[test]
    fn sessions_and_challenges() {
        let s = Secrets::new();
        let cookie = s.open_session(Role::Admin).unwrap();
        assert_eq!(s.session(&cookie), Some(Role::Admin));
        let key = ed25519_dalek::SigningKey::from_bytes(&[1; 32]).verifying_key();
        let emp = s
            .open_session(Role::Employee {
                id: "a".into(),
                keyid: KeyId::of(&key),
            })
            .unwrap();
        s.close_employee("a");
        assert_eq!(s.session(&emp), None);
        s.close_session(&cookie);
        assert_eq!(s.session(&cookie), None);
        let c = s.new_challenge().unwrap();
        assert!(s.use_challenge(&c));
        assert!(!s.use_challenge(&c));
    }

    #[test]
    fn failures_are_limited_per_address_and_window() {
        let s = Secrets::new();
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        let t0 = Instant::now();
        for _ in 0..MAX_FAILURES {
            assert!(s.may_try_at(ip, t0));
            s.failed_at(ip, t0);
        }
        assert!(!s.may_try_at(ip, t0));
        assert!(s.may_try_at(other, t0));
        assert!(s.may_try_at(ip, t0 + FAILURE_WINDOW));
        s.failed_at(ip, t0 + FAILURE_WINDOW);
        assert!(s.may_try_at(ip, t0 + FAILURE_WINDOW));
    }
}
