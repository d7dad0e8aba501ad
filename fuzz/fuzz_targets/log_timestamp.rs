//! The log's time stamp paths: a reply or bare token as `ackreg log
//! timestamp --reply` reads it (`log::stamp::parse_reply`), and a receipt
//! checkpoint carrying arbitrary bytes as its time stamp line
//! (`log::stamp::attach`, `log::stamp::receipt_stamps`). Seeds: the `tsa`
//! seeds (`openssl ts -reply` answers and a bare token).
#![no_main]

use libfuzzer_sys::fuzz_target;

use tlog::checkpoint::{Checkpoint, SignedCheckpoint};
use ackreg_core::log::stamp;
use ackreg_core::tsa;
use ed25519_dalek::SigningKey;

fuzz_target!(|data: &[u8]| {
    // What `--reply` accepts is a token that reads back from what is kept.
    if let Ok(token) = stamp::parse_reply(data) {
        let again = tsa::parse_token(&token.to_der()).unwrap();
        assert_eq!(again.imprint(), token.imprint());
    }
    // Any bytes as the time stamp line of a receipt's checkpoint: the note
    // still parses and verifies as the issuer's, and the line is found,
    // checked and reported, never trusted unless it verifies.
    let key = SigningKey::from_bytes(&[7; 32]);
    let checkpoint = Checkpoint {
        origin: "example.invalid/fuzz".into(),
        size: 3,
        root: [1; 32],
        extensions: vec![],
    };
    let head = SignedCheckpoint::sign(checkpoint, &key).unwrap();
    if let Ok(stamped) = stamp::attach(&head, data) {
        let read = SignedCheckpoint::parse(&stamped.to_bytes()).unwrap();
        read.verify(&key.verifying_key()).unwrap();
        let reports = stamp::receipt_stamps(&read, None);
        assert_eq!(reports.len(), 1);
        assert!(reports[0].trusted_by.is_none());
        let _ = reports[0].sentence();
    }
});
