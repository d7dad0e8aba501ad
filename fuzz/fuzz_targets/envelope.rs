//! The DSSE envelope parser: JSON, strict base64, one signature.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(env) = ackreg_core::dsse::Envelope::from_json(data) {
        if let Ok(checked) = env.check() {
            // What parses must serialise and parse back to the same thing.
            let again = ackreg_core::dsse::Envelope::from_json(&env.to_json().unwrap()).unwrap();
            assert_eq!(again, env);
            assert_eq!(ackreg_core::encoding::b64(&checked.payload), env.payload);
        }
    }
});
