//! Employees' PINs: what only the employee knows, beyond the key their
//! browser profile holds, so that a shared computer's browser with several
//! people's keys does not let one sign as another.
//!
//! A PIN is 4 to 8 digits, set at enrolment (or, for an employee enrolled
//! before PINs existed, at their next sign-in) and checked at every
//! sign-in after the key's challenge signature. The desk keeps, per
//! employee, the key it belongs to, a random salt and the scrypt hash, and
//! the number of wrong PINs in a row, in `DIR/desk/pins.json` (mode 0600,
//! written atomically), never in the log. After [`MAX_PIN_FAILURES`] wrong
//! PINs in a row, from whatever address, the PIN is locked: only a new
//! enrolment link (a new key and a new PIN) opens the desk again.
//!
//! A PIN is short: its hash alone would not resist a search of every PIN.
//! What protects it is that a guess needs the employee's key (the sign-in
//! signature is checked first), that each guess is counted before it is
//! checked, and that the file is the desk's own, mode 0600.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::DeskError;
use ackreg_core::encoding::hex;
use ackreg_core::fsutil::{self, Overwrite};
use ackreg_core::keys::KeyId;

/// Fewest digits of a PIN.
pub const MIN_DIGITS: usize = 4;
/// Most digits of a PIN.
pub const MAX_DIGITS: usize = 8;
/// Wrong PINs in a row after which the PIN is locked.
pub const MAX_PIN_FAILURES: u32 = 5;
/// The file in the desk's folder.
pub const FILE_NAME: &str = "pins.json";
/// scrypt's cost: N = 2^15, r = 8, p = 1 (32 MiB, tens of milliseconds).
pub const LOG_N: u8 = 15;

/// A PIN as typed: 4 to 8 ASCII digits, cleared from memory when dropped.
pub struct Pin(Zeroizing<String>);

impl std::fmt::Debug for Pin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pin(..)")
    }
}

impl Pin {
    /// Checks the PIN's form; the reason when it is not 4 to 8 digits.
    pub fn parse(text: &str) -> Result<Pin, &'static str> {
        let digits = text.bytes().all(|b| b.is_ascii_digit());
        if digits && (MIN_DIGITS..=MAX_DIGITS).contains(&text.len()) {
            Ok(Pin(Zeroizing::new(text.to_string())))
        } else {
            Err("must be 4 to 8 digits")
        }
    }
}

/// A PIN as the desk keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stored {
    /// The key id (hex) of the key the PIN was set with.
    pub keyid: String,
    /// scrypt's log2(N); r = 8, p = 1.
    pub log_n: u8,
    /// 32 random bytes, hex.
    pub salt: String,
    /// scrypt(PIN, salt), 32 bytes, hex.
    pub hash: String,
    /// Wrong PINs in a row.
    pub failures: u32,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Saved {
    pins: BTreeMap<String, Stored>,
}

/// What a sign-in's PIN turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checked {
    /// The right PIN (or a first PIN, now set).
    Right,
    /// A wrong PIN; this many attempts are left.
    Wrong(u32),
    /// Too many wrong PINs: a new enrolment link is needed.
    Locked,
    /// The employee's key has no PIN yet.
    Unset,
}

fn scrypt_hash(pin: &Pin, salt: &[u8], log_n: u8) -> Option<[u8; 32]> {
    let params = scrypt::Params::new(log_n, 8, 1).ok()?;
    let mut out = [0u8; 32];
    scrypt::scrypt(pin.0.as_bytes(), salt, &params, &mut out).ok()?;
    Some(out)
}

/// Hashes `pin` with a new random salt, for `keyid`: the slow part, to be
/// run off the request threads.
pub fn hash_new(pin: &Pin, keyid: &KeyId) -> Result<Stored, DeskError> {
    let mut salt = [0u8; 32];
    getrandom::fill(&mut salt).map_err(DeskError::Random)?;
    let hash = scrypt_hash(pin, &salt, LOG_N).unwrap_or_default();
    Ok(Stored {
        keyid: keyid.to_string(),
        log_n: LOG_N,
        salt: hex(&salt),
        hash: hex(&hash),
        failures: 0,
    })
}

/// Whether `pin` is the one `stored` was made from (compared in constant
/// time).
pub fn matches(stored: &Stored, pin: &Pin) -> bool {
    let Ok(salt) = ackreg_core::encoding::hex32(&stored.salt) else {
        return false;
    };
    let Some(hash) = scrypt_hash(pin, &salt, stored.log_n) else {
        return false;
    };
    let hex_hash = hex(&hash);
    hex_hash.len() == stored.hash.len()
        && hex_hash
            .bytes()
            .zip(stored.hash.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// The PINs of every employee.
#[derive(Debug)]
pub struct Pins {
    path: PathBuf,
    pins: Mutex<BTreeMap<String, Stored>>,
    hashing: tokio::sync::Semaphore,
}

/// How many PINs are hashed at once (each takes 32 MiB).
pub const HASHING_AT_ONCE: usize = 4;

impl Pins {
    /// Reads the saved PINs in `dir` (none if the file is absent).
    pub fn load(dir: &Path) -> Result<Pins, DeskError> {
        let path = dir.join(FILE_NAME);
        let saved: Saved = super::load_saved(&path, 64 * 1024 * 1024)?;
        Ok(Pins {
            path,
            pins: Mutex::new(saved.pins),
            hashing: tokio::sync::Semaphore::new(HASHING_AT_ONCE),
        })
    }

    /// A place among the [`HASHING_AT_ONCE`] hashings; `None` only if the
    /// desk is closing.
    pub async fn permit(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        self.hashing.acquire().await.ok()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Stored>> {
        self.pins
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn save(&self, pins: &BTreeMap<String, Stored>) -> Result<(), DeskError> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(|error| DeskError::Io {
                path: dir.to_path_buf(),
                error,
            })?;
        }
        let saved = Saved { pins: pins.clone() };
        let mut bytes = serde_json::to_vec_pretty(&saved).unwrap_or_default();
        bytes.push(b'\n');
        fsutil::write_atomic(&self.path, &bytes, Overwrite::Replace, Some(0o600))?;
        Ok(())
    }

    /// Keeps `stored` (from [`hash_new`]) as employee `id`'s PIN, replacing
    /// any earlier one and its count of wrong PINs.
    pub fn set(&self, id: &str, stored: Stored) -> Result<(), DeskError> {
        let mut pins = self.lock();
        pins.insert(id.to_string(), stored);
        self.save(&pins)
    }

    /// Counts an attempt at `id`'s PIN for key `keyid` before it is
    /// checked (so that attempts at once cannot pass the limit): the PIN
    /// as kept, or why there is none to check.
    pub fn begin(&self, id: &str, keyid: &KeyId) -> Result<Result<Stored, Checked>, DeskError> {
        let mut pins = self.lock();
        let Some(stored) = pins.get_mut(id).filter(|s| s.keyid == keyid.to_string()) else {
            return Ok(Err(Checked::Unset));
        };
        if stored.failures >= MAX_PIN_FAILURES {
            return Ok(Err(Checked::Locked));
        }
        stored.failures += 1;
        let counted = stored.clone();
        self.save(&pins)?;
        Ok(Ok(counted))
    }

    /// Ends an attempt begun with [`Pins::begin`]: a right PIN clears the
    /// count; a wrong one stays counted.
    pub fn finish(&self, id: &str, begun: &Stored, right: bool) -> Result<Checked, DeskError> {
        if !right {
            return Ok(Checked::Wrong(
                MAX_PIN_FAILURES.saturating_sub(begun.failures),
            ));
        }
        let mut pins = self.lock();
        if let Some(s) = pins.get_mut(id).filter(|s| s.hash == begun.hash) {
            s.failures = 0;
            self.save(&pins)?;
        }
        Ok(Checked::Right)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keyid(n: u8) -> KeyId {
        KeyId::of(&ed25519_dalek::SigningKey::from_bytes(&[n; 32]).verifying_key())
    }

    #[test]
    fn pins_have_4_to_8_digits() {
        for good in ["1234", "00000000", "98765"] {
            assert!(Pin::parse(good).is_ok(), "{good}");
        }
        for bad in ["", "123", "123456789", "12a4", "１２３４", "12 34", "-123"] {
            assert!(Pin::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(format!("{:?}", Pin::parse("1234").unwrap()), "Pin(..)");
    }

    #[test]
    fn wrong_pins_are_counted_across_restarts_and_lock() {
        let dir = tempfile::tempdir().unwrap();
        let pins = Pins::load(dir.path()).unwrap();
        let (k, other) = (keyid(1), keyid(2));
        assert_eq!(pins.begin("a", &k).unwrap(), Err(Checked::Unset));
        let pin = Pin::parse("2468").unwrap();
        pins.set("a", hash_new(&pin, &k).unwrap()).unwrap();
        let file = std::fs::read_to_string(dir.path().join(FILE_NAME)).unwrap();
        assert!(!file.contains("2468"), "only the hash is kept");
        assert_eq!(pins.begin("a", &other).unwrap(), Err(Checked::Unset));
        let begun = pins.begin("a", &k).unwrap().unwrap();
        assert!(matches(&begun, &pin));
        assert!(!matches(&begun, &Pin::parse("2469").unwrap()));
        assert_eq!(pins.finish("a", &begun, true).unwrap(), Checked::Right);
        for left in (0..MAX_PIN_FAILURES).rev() {
            let again = Pins::load(dir.path()).unwrap();
            let begun = again.begin("a", &k).unwrap().unwrap();
            assert_eq!(
                again.finish("a", &begun, false).unwrap(),
                Checked::Wrong(left)
            );
        }
        let again = Pins::load(dir.path()).unwrap();
        assert_eq!(again.begin("a", &k).unwrap(), Err(Checked::Locked));
        again.set("a", hash_new(&pin, &other).unwrap()).unwrap();
        assert!(
            again.begin("a", &other).unwrap().is_ok(),
            "a new key, a new PIN"
        );
    }
}
