//! The signing desk's request parsers: every body and path parser, on the
//! same bytes. None may panic; what they accept must hold up.
#![no_main]

use ackreg_desk::request;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = request::check_content_type(Some(data));
    let _ = request::token(data);
    let _ = request::empty(data);
    if let Ok(issue) = request::issue(data) {
        // Accepted texts are the log's: an id, normalised names.
        assert!(ackreg_core::text::check_id(&issue.id).is_ok());
        assert!(ackreg_core::text::check(&issue.name, ackreg_core::keyring::MAX_NAME_LEN, false).is_ok());
    }
    let _ = request::leave(data);
    let _ = request::enrol(data);
    let _ = request::signin(data);
    if let Ok(ack) = request::ack(data) {
        // An accepted acknowledgement's payload is exactly what ackreg writes.
        let env = ackreg_core::dsse::Envelope::from_json(&ack.envelope).unwrap();
        let checked = env.check().unwrap();
        assert_eq!(ack.ack.to_payload().unwrap(), checked.payload);
        assert_eq!(checked.keyid, ack.keyid);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Some(sha) = request::doc_name(text) {
            assert_eq!(format!("{}.pdf", ackreg_core::encoding::hex(&sha)), text);
        }
        if let Some(n) = request::entry_index(text) {
            assert_eq!(n.to_string(), text);
        }
    }
});
