//! The register verifier on arbitrary bytes, with a fixed issuer key id
//! (the seed corpus is sealed by the RFC 8032 test 1 key), and the register
//! payload parser on its own.
#![no_main]

use libfuzzer_sys::fuzz_target;

use ackreg_core::keys::KeyId;
use ackreg_core::verify::{verify_register, IssuerKey};

fuzz_target!(|data: &[u8]| {
    let _ = serde_json::from_slice::<ackreg_core::register::RegisterBody>(data);
    let issuer = KeyId::from_hex("21fe31dfa154a261626bf854046fd2271b7bed4b6abe45aa58877ef47f9721b9")
        .unwrap();
    let report = verify_register(data, &IssuerKey::KeyId(issuer), None);
    let _ = report.is_valid();
});
