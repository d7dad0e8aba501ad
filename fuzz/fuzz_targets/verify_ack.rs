//! The acknowledgement verifier: arbitrary envelope bytes against the
//! worked example's keyring (RFC 8032 test 1 key, jberzins).
#![no_main]

use libfuzzer_sys::fuzz_target;

use ackreg_core::keyring::{Entry, Keyring};

fuzz_target!(|data: &[u8]| {
    let public = ackreg_core::keys::public_key_from_bytes(
        &ackreg_core::encoding::hex32("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
            .unwrap(),
    )
    .unwrap();
    let mut ring = Keyring::default();
    ring.add(Entry::new("jberzins", "Jānis Bērziņš", None, public).unwrap())
        .unwrap();
    let sha = ackreg_core::encoding::hex32(
        "845705ced98de1ed256cbe983c8e917ca4753b5f9e4f26ac82a25ec55418dd5d",
    )
    .unwrap();
    let report = ackreg_core::ack::verify_ack(data, &ring, Some(&sha));
    if report.is_valid() {
        // A valid acknowledgement has a payload that passes every check.
        assert!(report.acknowledgement.unwrap().check().is_ok());
    }
});
