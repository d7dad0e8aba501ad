//! Receipts: the C2SP tlog-proof parser (`tlog::tlogproof::TlogProof`)
//! and the receipt verifier (`ackreg_core::log::receipt::verify`) on arbitrary
//! bytes, with a fixed issuer key (RFC 8032 section 7.1 test 1, which signs
//! the seed receipts, so that mutations of a seed reach every step).
#![no_main]

use libfuzzer_sys::fuzz_target;

use ackreg_core::log::receipt;
use tlog::merkle;
use tlog::tlogproof::TlogProof;

fuzz_target!(|data: &[u8]| {
    let issuer = ed25519_dalek::SigningKey::from_bytes(&ackreg_core::encoding::hex32(
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
    )
    .unwrap())
    .verifying_key();
    let parsed = TlogProof::parse(data);
    if let Ok(proof) = &parsed {
        // One spelling: the bytes come back, and the checkpoint parses.
        assert_eq!(proof.to_bytes(), data);
        assert!(proof.signed_checkpoint().is_ok());
        assert!(proof.proof.len() <= tlog::tlogproof::MAX_PROOF_HASHES);
    }
    let verified = receipt::verify(data, &issuer);
    if let Ok(v) = verified {
        // What verifies is a well-formed proof whose leaf is included.
        let proof = parsed.expect("a verified receipt parses");
        assert_eq!(proof.index, v.index);
        let extra = proof.extra.expect("a verified receipt carries its entry");
        let entry = receipt::entry_of_extra(&extra).expect("its entry reads again");
        let c = &v.checkpoint.checkpoint;
        merkle::verify_inclusion(
            &merkle::leaf_hash(&entry),
            v.index,
            c.size,
            &proof.proof,
            &c.root,
        )
        .expect("the inclusion proof verifies again");
        assert!(v.checkpoint.verify(&issuer).is_ok());
        assert_eq!(v.entry.kind(), ackreg_core::log::entry::parse(&entry).unwrap().kind());
    }
});
