//! The acknowledgement payload parser and its field checks.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(ack) = ackreg_core::ack::Acknowledgement::from_payload(data) {
        // An accepted payload re-serialises to a payload that is accepted
        // and means the same.
        let bytes = ack.to_payload().unwrap();
        let again = ackreg_core::ack::Acknowledgement::from_payload(&bytes).unwrap();
        assert_eq!(again, ack);
    }
});
