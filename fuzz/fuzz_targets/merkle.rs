//! RFC 9162 Merkle proofs (`tlog::merkle`): inclusion and consistency
//! proofs verified with arbitrary indexes, sizes, roots and proof hashes,
//! and proofs computed from a small tree for sizes it may not hold.
//!
//! Input: 20 header bytes, then the proof, 32 bytes per hash. Header:
//! byte 0 the number of leaves (0 to 64) of the honest tree; bytes 1-8
//! and 9-16 two u64 (little-endian): an index and a size, or an old and a
//! new size; byte 17 flags (bit 0: reduce the two numbers into the tree,
//! bit 1: check against the honest roots, bit 2: consistency instead of
//! inclusion); byte 18 salts the leaves; byte 19 picks a byte to flip.
#![no_main]

use libfuzzer_sys::fuzz_target;

use tlog::merkle::{self, CompactRange, Hash, MemoryTree};

fuzz_target!(|data: &[u8]| {
    let Some((head, rest)) = data.split_first_chunk::<20>() else {
        return;
    };
    let n = u64::from(head[0] % 65);
    let mut a = u64::from_le_bytes(head[1..9].try_into().unwrap());
    let mut b = u64::from_le_bytes(head[9..17].try_into().unwrap());
    let (reduce, honest_roots, consistency) =
        (head[17] & 1 != 0, head[17] & 2 != 0, head[17] & 4 != 0);
    if reduce {
        a %= n + 1;
        b %= n + 1;
    }
    let proof: Vec<Hash> = rest
        .chunks_exact(32)
        .map(|c| merkle::hash_from_slice(c).unwrap())
        .collect();

    // The honest tree, and the compact range that must agree with it.
    let mut tree = MemoryTree::new();
    let mut range = CompactRange::new();
    for i in 0..n {
        let leaf = merkle::leaf_hash(&[i as u8, head[18]]);
        tree.push(leaf);
        range.push(leaf).unwrap();
    }
    assert_eq!(tree.size(), n);
    assert_eq!(range.root(), merkle::root(&tree, n).unwrap());
    // Sizes the tree does not hold are refused, not a panic.
    let root_a = merkle::root(&tree, a);
    let root_b = merkle::root(&tree, b);
    assert_eq!(root_a.is_ok(), a <= n);
    assert_eq!(root_b.is_ok(), b <= n);
    let _ = CompactRange::new().push_subtree(head[19].into(), [0; 32]);

    if consistency {
        let honest = merkle::consistency_proof(&tree, a, b);
        let (old_root, new_root) = match (&root_a, &root_b) {
            (Ok(x), Ok(y)) if honest_roots => (*x, *y),
            _ => (proof.first().copied().unwrap_or([0; 32]), [head[18]; 32]),
        };
        if let (Ok(honest), Ok(ra), Ok(rb)) = (&honest, &root_a, &root_b) {
            if a > 0 {
                merkle::verify_consistency(a, b, ra, rb, honest)
                    .expect("an honest consistency proof verifies");
                if let Some(bad) = flipped(honest, head[19]) {
                    assert!(merkle::verify_consistency(a, b, ra, rb, &bad).is_err());
                }
            }
        }
        if merkle::verify_consistency(a, b, &old_root, &new_root, &proof).is_ok() && honest_roots {
            // Against the true roots only the true proof passes (anything
            // else would be a SHA-256 collision).
            assert_eq!(Some(&proof), honest.as_ref().ok());
        }
    } else {
        let honest = merkle::inclusion_proof(&tree, a, b);
        // A proof needs an index inside the tree; one in a tree the store
        // holds is always made. (Leaf 0 of a tree of size 1 has the empty
        // proof, made without reading the store, so the converse fails.)
        assert!(honest.is_err() || a < b);
        if a < b && b <= n {
            assert!(honest.is_ok());
        }
        let leaf = merkle::leaf_hash(&[a as u8, head[18]]);
        let root = match &root_b {
            Ok(r) if honest_roots => *r,
            _ => [head[18]; 32],
        };
        if let (Ok(honest), Ok(true_root)) = (&honest, &root_b) {
            merkle::verify_inclusion(&leaf, a, b, honest, true_root)
                .expect("an honest inclusion proof verifies");
            if let Some(bad) = flipped(honest, head[19]) {
                assert!(merkle::verify_inclusion(&leaf, a, b, &bad, true_root).is_err());
            }
        }
        if merkle::verify_inclusion(&leaf, a, b, &proof, &root).is_ok() && honest_roots {
            assert_eq!(Some(&proof), honest.as_ref().ok());
        }
    }
});

/// `proof` with one bit flipped, at a place picked by `at`.
fn flipped(proof: &[Hash], at: u8) -> Option<Vec<Hash>> {
    if proof.is_empty() {
        return None;
    }
    let mut bad = proof.to_vec();
    let i = usize::from(at) % (bad.len() * 32);
    bad[i / 32][i % 32] ^= 1 << (at % 8);
    Some(bad)
}
