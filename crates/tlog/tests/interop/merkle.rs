//! Interoperability of ackreg's Merkle trees with two implementations that
//! share no code with it, both from crates.io:
//!
//! - `ct-merkle`: RFC 6962 trees in memory, with their own proof
//!   generation and verification (array-based tree indices).
//! - `tlog_tiles`: a port of Go's `golang.org/x/mod/sumdb/tlog` (stored
//!   hashes in the Crosby–Wallach order, `prove_record`/`check_record`,
//!   `prove_tree`/`check_tree`), with C2SP tlog-checkpoint bodies.
//!
//! For trees of every size from 1 to 64 and a few larger random sizes
//! (fixed seed), the three roots must agree, each inclusion and consistency
//! proof made by ackreg must verify with both crates and theirs with
//! ackreg, and a tampered proof (a bit flipped, another entry, another
//! root) must be refused by the implementation that did not make it.
//!
//! Checkpoints: ackreg's signed checkpoint reads with tlog_tiles' parser
//! and a checkpoint written by tlog_tiles reads with ackreg's. tlog_tiles
//! 0.2 has no signed-note code, so signatures are not exchanged here;
//! `tests/interop/note.rs` checks them with independent verifiers.

use std::io::Cursor;

use ct_merkle::mem_backed_tree::MemoryBackedTree;
use ct_merkle::{ConsistencyProof, InclusionProof, RootHash};
use ed25519_dalek::SigningKey;
use sha2_v011::Sha256;
use tlog::checkpoint::{Checkpoint, SignedCheckpoint};
use tlog::merkle::{
    consistency_proof, inclusion_proof, leaf_hash, root, verify_consistency, verify_inclusion,
    Hash, MemoryTree,
};
use tlog_tiles::HashReader;

/// The sizes checked beyond 64: drawn once from a fixed seed.
const RANDOM_SIZES: usize = 4;
const SEED: u64 = 0x61636b72_65672d6d;

/// SplitMix64: a small deterministic generator, so that a failure names
/// sizes and indices that a rerun reproduces.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `lo..=hi`.
    fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

fn entry(i: u64) -> Vec<u8> {
    format!("interop entry {i}").into_bytes()
}

/// A tlog_tiles hash store, filled the way a sumdb-style log fills it
/// (`stored_hashes` for each new record), independent of ackreg's store.
struct TlogStore(Vec<tlog_tiles::Hash>);

impl HashReader for TlogStore {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<tlog_tiles::Hash>, tlog_tiles::Error> {
        indexes
            .iter()
            .map(|&i| self.0.get(i as usize).copied())
            .collect::<Option<_>>()
            .ok_or(tlog_tiles::Error::IndexesNotInTree)
    }
}

/// The same entries in the three implementations. `ct` holds the first
/// `ct.len()` entries (its proofs are always about its whole tree); the
/// other two hold all of them and answer for any prefix.
struct Trees {
    ours: MemoryTree,
    tlog: TlogStore,
    ct: MemoryBackedTree<Sha256, Vec<u8>>,
}

impl Trees {
    fn new(max: u64) -> Self {
        let mut trees = Trees {
            ours: MemoryTree::new(),
            tlog: TlogStore(Vec::new()),
            ct: MemoryBackedTree::new(),
        };
        for i in 0..max {
            let data = entry(i);
            trees.ours.push(leaf_hash(&data));
            let new = tlog_tiles::stored_hashes(i, &data, &trees.tlog).unwrap();
            trees.tlog.0.extend(new);
        }
        trees
    }

    /// Grows the ct-merkle tree to `size` entries.
    fn grow_ct(&mut self, size: u64) {
        while self.ct.len() < size {
            self.ct.push(entry(self.ct.len()));
        }
        assert_eq!(self.ct.len(), size);
    }

    fn our_root(&self, size: u64) -> Hash {
        root(&self.ours, size).unwrap()
    }

    fn tlog_root(&self, size: u64) -> tlog_tiles::Hash {
        tlog_tiles::tree_hash(size, &self.tlog).unwrap()
    }
}

fn ct_root(hash: &Hash, size: u64) -> RootHash<Sha256> {
    RootHash::new((*hash).into(), size)
}

fn from_ct_bytes(bytes: &[u8]) -> Vec<Hash> {
    bytes
        .chunks(32)
        .map(|c| Hash::try_from(c).unwrap())
        .collect()
}

fn to_tlog(proof: &[Hash]) -> Vec<tlog_tiles::Hash> {
    proof.iter().map(|h| tlog_tiles::Hash(*h)).collect()
}

fn from_tlog(proof: &[tlog_tiles::Hash]) -> Vec<Hash> {
    proof.iter().map(|h| h.0).collect()
}

/// `proof` with one bit flipped in the hash that `pick` chooses, or
/// `None` for an empty proof.
fn flipped(proof: &[Hash], pick: u64) -> Option<Vec<Hash>> {
    let mut proof = proof.to_vec();
    let len = proof.len() as u64;
    let hash = proof.get_mut(pick.checked_rem(len)? as usize)?;
    hash[(pick % 32) as usize] ^= 1 << (pick % 8);
    Some(proof)
}

/// The roots of the first `size` entries agree.
fn check_roots(trees: &Trees, size: u64) {
    let ours = trees.our_root(size);
    assert_eq!(
        trees.tlog_root(size).0,
        ours,
        "tlog_tiles root, size {size}"
    );
    if trees.ct.len() == size {
        let theirs = trees.ct.root();
        assert_eq!(
            theirs.as_bytes().as_slice(),
            ours,
            "ct-merkle root, size {size}"
        );
    }
}

/// ackreg's inclusion proof verifies with both crates; tampered, with
/// neither.
fn our_inclusion_proof_verifies(trees: &Trees, index: u64, size: u64, pick: u64) {
    let what = format!("ackreg's proof of {index} in {size}");
    let proof = inclusion_proof(&trees.ours, index, size).unwrap();
    let data = entry(index);
    let other = entry(index + size);
    let ours = trees.our_root(size);
    let (ct_tree, tlog_tree) = (ct_root(&ours, size), tlog_tiles::Hash(ours));
    let ct_check = |data: &Vec<u8>, proof: &[Hash]| {
        let proof = InclusionProof::<Sha256>::try_from_bytes(proof.concat()).unwrap();
        ct_tree.verify_inclusion(data, index, &proof)
    };
    let tlog_check = |data: &[u8], proof: &[Hash]| {
        let leaf = tlog_tiles::record_hash(data);
        tlog_tiles::check_record(&to_tlog(proof), size, tlog_tree, index, leaf)
    };
    assert!(ct_check(&data, &proof).is_ok(), "ct-merkle refused {what}");
    assert!(
        tlog_check(&data, &proof).is_ok(),
        "tlog_tiles refused {what}"
    );
    assert!(
        ct_check(&other, &proof).is_err(),
        "ct-merkle: other entry, {what}"
    );
    assert!(
        tlog_check(&other, &proof).is_err(),
        "tlog_tiles: other entry, {what}"
    );
    if let Some(bad) = flipped(&proof, pick) {
        assert!(
            ct_check(&data, &bad).is_err(),
            "ct-merkle: flipped bit, {what}"
        );
        assert!(
            tlog_check(&data, &bad).is_err(),
            "tlog_tiles: flipped bit, {what}"
        );
    }
}

/// An inclusion proof made by another implementation is the one ackreg
/// makes, verifies with ackreg, and is refused once tampered.
fn their_inclusion_proof_verifies(trees: &Trees, name: &str, proof: &[Hash], at: (u64, u64)) {
    let (index, size) = at;
    let what = format!("{name}'s proof of {index} in {size}");
    let ours = inclusion_proof(&trees.ours, index, size).unwrap();
    assert_eq!(proof, ours.as_slice(), "{what} differs from ackreg's");
    let tree_root = trees.our_root(size);
    let check =
        |leaf: &Hash, proof: &[Hash], root: &Hash| verify_inclusion(leaf, index, size, proof, root);
    let leaf = leaf_hash(&entry(index));
    let other = leaf_hash(&entry(index + size));
    assert!(
        check(&leaf, proof, &tree_root).is_ok(),
        "ackreg refused {what}"
    );
    assert!(
        check(&other, proof, &tree_root).is_err(),
        "ackreg: other entry, {what}"
    );
    assert!(
        check(&leaf, proof, &[0xab; 32]).is_err(),
        "ackreg: other root, {what}"
    );
    if let Some(bad) = flipped(proof, index ^ size) {
        assert!(
            check(&leaf, &bad, &tree_root).is_err(),
            "ackreg: flipped bit, {what}"
        );
    }
}

/// Inclusion of `index` in the tree of `size` entries, both ways.
fn check_inclusion(trees: &Trees, index: u64, size: u64) {
    our_inclusion_proof_verifies(trees, index, size, index ^ size);
    let tlog = tlog_tiles::prove_record(size, index, &trees.tlog).unwrap();
    their_inclusion_proof_verifies(trees, "tlog_tiles", &from_tlog(&tlog), (index, size));
    if trees.ct.len() == size {
        let ct = trees.ct.prove_inclusion(index as usize);
        let ct = from_ct_bytes(ct.as_bytes());
        their_inclusion_proof_verifies(trees, "ct-merkle", &ct, (index, size));
    }
}

/// ackreg's consistency proof verifies with both crates; tampered, with
/// neither.
fn our_consistency_proof_verifies(trees: &Trees, old: u64, size: u64) {
    let what = format!("ackreg's proof of {old} to {size}");
    let proof = consistency_proof(&trees.ours, old, size).unwrap();
    let (old_root, new_root) = (trees.our_root(old), trees.our_root(size));
    let ct_check = |old_root: &Hash, proof: &[Hash]| {
        let proof = ConsistencyProof::<Sha256>::try_from_bytes(proof.concat()).unwrap();
        ct_root(&new_root, size).verify_consistency(&ct_root(old_root, old), &proof)
    };
    let tlog_check = |old_root: &Hash, proof: &[Hash]| {
        let (old_root, new_root) = (tlog_tiles::Hash(*old_root), tlog_tiles::Hash(new_root));
        tlog_tiles::check_tree(&to_tlog(proof), size, new_root, old, old_root)
    };
    assert!(
        ct_check(&old_root, &proof).is_ok(),
        "ct-merkle refused {what}"
    );
    assert!(
        tlog_check(&old_root, &proof).is_ok(),
        "tlog_tiles refused {what}"
    );
    let mut other = old_root;
    other[0] ^= 0x80;
    assert!(
        ct_check(&other, &proof).is_err(),
        "ct-merkle: other old root, {what}"
    );
    assert!(
        tlog_check(&other, &proof).is_err(),
        "tlog_tiles: other old root, {what}"
    );
    if let Some(bad) = flipped(&proof, old ^ size) {
        assert!(
            ct_check(&old_root, &bad).is_err(),
            "ct-merkle: flipped bit, {what}"
        );
        assert!(
            tlog_check(&old_root, &bad).is_err(),
            "tlog_tiles: flipped bit, {what}"
        );
    }
}

/// A consistency proof made by another implementation is the one ackreg
/// makes, verifies with ackreg, and is refused once tampered.
fn their_consistency_proof_verifies(trees: &Trees, name: &str, proof: &[Hash], at: (u64, u64)) {
    let (old, size) = at;
    let what = format!("{name}'s proof of {old} to {size}");
    let ours = consistency_proof(&trees.ours, old, size).unwrap();
    assert_eq!(proof, ours.as_slice(), "{what} differs from ackreg's");
    let (old_root, new_root) = (trees.our_root(old), trees.our_root(size));
    let check = |old_root: &Hash, new_root: &Hash, proof: &[Hash]| {
        verify_consistency(old, size, old_root, new_root, proof)
    };
    assert!(
        check(&old_root, &new_root, proof).is_ok(),
        "ackreg refused {what}"
    );
    let other = [0xab; 32];
    assert!(
        check(&other, &new_root, proof).is_err(),
        "ackreg: other old root, {what}"
    );
    assert!(
        check(&old_root, &other, proof).is_err(),
        "ackreg: other new root, {what}"
    );
    if let Some(bad) = flipped(proof, old ^ size) {
        assert!(
            check(&old_root, &new_root, &bad).is_err(),
            "ackreg: flipped bit, {what}"
        );
    }
}

/// Consistency of the tree of `old` entries with that of `size`, both ways.
fn check_consistency(trees: &Trees, old: u64, size: u64) {
    our_consistency_proof_verifies(trees, old, size);
    let tlog = tlog_tiles::prove_tree(size, old, &trees.tlog).unwrap();
    their_consistency_proof_verifies(trees, "tlog_tiles", &from_tlog(&tlog), (old, size));
    if trees.ct.len() == size {
        let ct = trees.ct.prove_consistency((size - old) as usize);
        let ct = from_ct_bytes(ct.as_bytes());
        their_consistency_proof_verifies(trees, "ct-merkle", &ct, (old, size));
    }
}

/// The larger sizes: random, drawn from a fixed seed, in increasing order.
fn random_sizes(rng: &mut SplitMix) -> Vec<u64> {
    let mut sizes: Vec<u64> = (0..RANDOM_SIZES).map(|_| rng.between(65, 5000)).collect();
    sizes.sort_unstable();
    sizes
}

/// Some positions in `1..=size` (or `0..size`): the ends, the middle, the
/// powers of two and a few random ones.
fn sample(rng: &mut SplitMix, lo: u64, hi: u64) -> Vec<u64> {
    let mut picks = vec![lo, hi, (lo + hi) / 2];
    picks.extend(
        (0..u64::BITS)
            .map(|k| 1u64 << k)
            .filter(|p| (lo..=hi).contains(p)),
    );
    picks.extend((0..16).map(|_| rng.between(lo, hi)));
    picks.sort_unstable();
    picks.dedup();
    picks
}

#[test]
fn every_proof_of_small_trees_verifies_both_ways() {
    let mut trees = Trees::new(64);
    for size in 1..=64 {
        trees.grow_ct(size);
        check_roots(&trees, size);
        for index in 0..size {
            check_inclusion(&trees, index, size);
        }
        for old in 1..=size {
            check_consistency(&trees, old, size);
        }
    }
}

#[test]
fn proofs_of_larger_random_trees_verify_both_ways() {
    let mut rng = SplitMix(SEED);
    let sizes = random_sizes(&mut rng);
    let mut trees = Trees::new(*sizes.last().unwrap());
    for size in sizes {
        trees.grow_ct(size);
        check_roots(&trees, size);
        for index in sample(&mut rng, 0, size - 1) {
            check_inclusion(&trees, index, size);
        }
        for old in sample(&mut rng, 1, size) {
            check_consistency(&trees, old, size);
        }
    }
}

const ORIGIN: &str = "example.com/ackreg-interop";

/// RFC 8032, section 7.1, test 1.
fn test_key() -> SigningKey {
    SigningKey::from_bytes(
        &tlog::encoding::hex32("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
            .unwrap(),
    )
}

/// tlog_tiles reads the checkpoint in ackreg's signed note (its text, and
/// the whole note, where the text ends at the blank line), and proves and
/// checks an entry against the root it read; a checkpoint whose root was
/// changed gets its proofs refused, and a malformed one is refused.
#[test]
fn tlog_tiles_reads_ackreg_checkpoints() {
    let trees = Trees::new(300);
    let checkpoint = Checkpoint {
        origin: ORIGIN.into(),
        size: 300,
        root: trees.our_root(300),
        extensions: vec!["ackreg interop extension".into()],
    };
    let signed = SignedCheckpoint::sign(checkpoint.clone(), &test_key()).unwrap();
    let bytes = signed.to_bytes();
    let text = signed.note.text().to_owned();
    let whole = tlog_tiles::Checkpoint::from_reader(&mut Cursor::new(&bytes), false).unwrap();
    let body = tlog_tiles::Checkpoint::from_bytes(text.as_bytes()).unwrap();
    assert_eq!(whole, body);
    assert_eq!(body.origin(), ORIGIN);
    assert_eq!(body.size(), 300);
    assert_eq!(body.hash().0, checkpoint.root);
    assert_eq!(body.extension(), "ackreg interop extension\n");
    assert_eq!(body.to_bytes(), text.as_bytes());

    let proof = tlog_tiles::prove_record(300, 123, &trees.tlog).unwrap();
    let leaf = tlog_tiles::record_hash(&entry(123));
    assert!(tlog_tiles::check_record(&proof, body.size(), *body.hash(), 123, leaf).is_ok());

    let mut tampered = checkpoint.clone();
    tampered.root[7] ^= 4;
    let tampered = SignedCheckpoint::sign(tampered, &test_key()).unwrap();
    let read = tlog_tiles::Checkpoint::from_bytes(tampered.note.text().as_bytes()).unwrap();
    assert!(tlog_tiles::check_record(&proof, read.size(), *read.hash(), 123, leaf).is_err());

    for bad in [
        text.replacen("\n300\n", "\n0300\n", 1),
        text.replacen("\n300\n", "\n\n", 1),
        text.replacen(&tlog::encoding::b64(&checkpoint.root), "AAAA", 1),
    ] {
        assert_ne!(bad, text);
        assert!(
            tlog_tiles::Checkpoint::from_bytes(bad.as_bytes()).is_err(),
            "{bad:?}"
        );
    }
}

/// ackreg reads a checkpoint that tlog_tiles wrote, as the same fields and
/// the same bytes, signs and verifies it, and refuses a proof against it
/// once its root is changed.
#[test]
fn ackreg_reads_tlog_tiles_checkpoints() {
    let trees = Trees::new(300);
    let hash = trees.tlog_root(257);
    for extension in ["", "one extension\n", "two\nextensions\n"] {
        let theirs = tlog_tiles::Checkpoint::new(ORIGIN, 257, hash, extension).unwrap();
        let bytes = theirs.to_bytes();
        let text = std::str::from_utf8(&bytes).unwrap();
        let ours = Checkpoint::from_text(text).unwrap();
        assert_eq!(ours.origin, ORIGIN);
        assert_eq!(ours.size, 257);
        assert_eq!(ours.root, hash.0);
        assert_eq!(ours.extensions.concat(), extension.replace('\n', ""));
        assert_eq!(ours.to_text(), text);

        let signed = SignedCheckpoint::sign(ours.clone(), &test_key()).unwrap();
        let reread = SignedCheckpoint::parse(&signed.to_bytes()).unwrap();
        assert!(reread.verify(&test_key().verifying_key()).is_ok());

        let leaf = leaf_hash(&entry(200));
        let proof = inclusion_proof(&trees.ours, 200, 257).unwrap();
        assert!(verify_inclusion(&leaf, 200, 257, &proof, &ours.root).is_ok());
        let mut changed = bytes.clone();
        let at = bytes.iter().position(|&b| b == b'\n').unwrap() + 5;
        changed[at] = if changed[at] == b'A' { b'B' } else { b'A' };
        let changed = Checkpoint::from_text(std::str::from_utf8(&changed).unwrap()).unwrap();
        assert_ne!(changed.root, ours.root);
        assert!(verify_inclusion(&leaf, 200, 257, &proof, &changed.root).is_err());
    }
}
