//! The fast path of the one common spelling (`ackreg_core::exact`): for
//! every input, an acknowledgement entry and a payload are read exactly as
//! serde alone reads them (the same entry, or the same error), and an entry
//! the audit reads in place is the entry `parse` reads.
#![no_main]

use libfuzzer_sys::fuzz_target;

use ackreg_core::ack::Acknowledgement;
use ackreg_core::log::entry;

fuzz_target!(|data: &[u8]| {
    let verdict = |r: Result<entry::Entry, entry::EntryError>| match r {
        Ok(e) => format!("ok {e:?}"),
        Err(e) => format!("err {e}"),
    };
    assert_eq!(verdict(entry::parse(data)), verdict(entry::parse_by_serde(data)));
    let a = Acknowledgement::from_payload(data).map_err(|e| e.to_string());
    let b = Acknowledgement::from_payload_by_serde(data).map_err(|e| e.to_string());
    assert_eq!(a, b);
    if let Err(why) = ackreg_core::log::agrees_with_parse(data) {
        panic!("read in place: {why}");
    }
});
