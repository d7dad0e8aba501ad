//! The keyring parser: strict JSON, key ids, duplicates, text rules.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(ring) = ackreg_core::keyring::Keyring::from_json(data) {
        let json = ring.to_json().unwrap();
        let again = ackreg_core::keyring::Keyring::from_json(&json).unwrap();
        assert_eq!(again, ring);
    }
});
