//! The writer's snapshot of the log's state (`DIR/state`), so that opening
//! a log of 100,000 entries to append to it does not parse them all again.
//!
//! Like the index and the tree, it is a cache of what `entries` says, kept
//! only for the writer; no auditor reads it. The file is
//!
//! ```text
//! "ackreg-state/4\n" || SHA-256(body) || body
//! body = bincode(size, root hash of the first `size` entries, state)
//! ```
//!
//! and the writer uses it only when the hash matches, its size is at most
//! what the caches hold for certain, and the tree gives the same root for
//! that many entries; otherwise it replays the entries as before.

use sha2::{Digest, Sha256};

use super::state::State;
use tlog::merkle::Hash;

/// The first bytes of the file; a new layout gets a new number (2: units,
/// documents and employees' periods, log format 0.3; 4: administrators and
/// their requests, log format 0.4). A snapshot of
/// another layout is not read: the writer replays the entries and writes
/// the new one.
const MAGIC: &[u8] = b"ackreg-state/4\n";
/// The largest snapshot read: far above what a state of a million entries
/// takes, so that a damaged length cannot ask for all the memory.
const MAX_SNAPSHOT: u64 = 1 << 30;

fn options() -> impl bincode::Options {
    use bincode::Options;
    bincode::DefaultOptions::new().with_limit(MAX_SNAPSHOT)
}

/// The file's bytes for `state`, the state of the first `state.size()`
/// entries, whose tree has root `root`.
pub fn encode(state: &State, root: &Hash) -> Result<Vec<u8>, bincode::Error> {
    use bincode::Options;
    let body = options().serialize(&(state.size(), root, state))?;
    let mut out = Vec::with_capacity(MAGIC.len() + 32 + body.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&Sha256::digest(&body));
    out.extend_from_slice(&body);
    Ok(out)
}

/// The state and root a snapshot holds; `None` when the bytes are not an
/// intact snapshot of this layout.
pub fn decode(bytes: &[u8]) -> Option<(State, Hash)> {
    use bincode::Options;
    let rest = bytes.strip_prefix(MAGIC)?;
    if rest.len() < 32 || Sha256::digest(&rest[32..])[..] != rest[..32] {
        return None;
    }
    let (size, root, mut state): (u64, Hash, State) = options().deserialize(&rest[32..]).ok()?;
    if state.size() != size {
        return None;
    }
    state.reindex();
    Some((state, root))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::entry::{self, parse, parse_date};
    use ed25519_dalek::SigningKey;

    /// Log format 0.3's state (units, documents, periods, an employee
    /// without a key) survives the snapshot; a snapshot of layout 1 is not
    /// read (the writer replays the entries instead).
    #[test]
    fn the_new_state_round_trips_and_an_old_layout_is_ignored() {
        let d = |s| parse_date(s).unwrap();
        let mut s = State::new();
        let key = SigningKey::from_bytes(&[9; 32]).verifying_key();
        let units = vec!["kac".to_string()];
        for bytes in [
            entry::log_bytes("o.invalid/l", "J", &key, "P", d("2018-01-01")),
            entry::unit_bytes("kac", "KAC"),
            entry::join_bytes("aozola", "Anna Ozola", None, &units, d("2018-01-08")),
            entry::move_bytes("aozola", &[], d("2018-02-01")),
        ] {
            s.append(&parse(&bytes.unwrap()).unwrap()).unwrap();
        }
        let root = [7; 32];
        let bytes = encode(&s, &root).unwrap();
        let (back, r) = decode(&bytes).unwrap();
        assert_eq!(r, root);
        assert_eq!(back.units().len(), 1);
        let e = back.employee("aozola").unwrap();
        assert!(!e.has_key());
        assert_eq!(e.units_on(d("2018-01-31")), units.as_slice());
        assert!(e.units_on(d("2018-02-01")).is_empty());
        let mut old = bytes.clone();
        old[..MAGIC.len()].copy_from_slice(b"ackreg-state/1\n");
        assert!(decode(&old).is_none());
    }

    /// Log format 0.4's administrators, requests and a request waiting for
    /// its entries survive the snapshot, and administrators' keys are
    /// indexed again.
    #[test]
    fn administrators_and_a_waiting_request_round_trip() {
        let d = |s| parse_date(s).unwrap();
        let mut s = State::new();
        let issuer = SigningKey::from_bytes(&[9; 32]).verifying_key();
        let admin = SigningKey::from_bytes(&[8; 32]);
        let asked = vec![entry::unit_bytes("kac", "KAC").unwrap()];
        let request = crate::log::request::request_entry(
            &admin,
            "o.invalid/l",
            "ivarna",
            d("2018-01-02"),
            "a",
            &asked,
        );
        for bytes in [
            entry::log_bytes("o.invalid/l", "J", &issuer, "P", d("2018-01-01")).unwrap(),
            entry::admin_bytes("ivarna", "I", &admin.verifying_key(), d("2018-01-01")).unwrap(),
            request.unwrap(),
        ] {
            s.append_bytes(&parse(&bytes).unwrap(), &bytes).unwrap();
        }
        let (mut back, _) = decode(&encode(&s, &[7; 32]).unwrap()).unwrap();
        assert_eq!(back.waiting(), Some((2, 0, 1)));
        assert_eq!(back.admins()[0].id, "ivarna");
        back.append_bytes(&parse(&asked[0]).unwrap(), &asked[0])
            .unwrap();
        let again = entry::admin_bytes("x", "X", &admin.verifying_key(), d("2018-01-01")).unwrap();
        let err = back
            .append_bytes(&parse(&again).unwrap(), &again)
            .unwrap_err();
        assert!(
            err.to_string().contains("for administrator ivarna"),
            "{err}"
        );
        assert_eq!(back.request_for(3).map(|r| r.entry), Some(2));
    }
}
