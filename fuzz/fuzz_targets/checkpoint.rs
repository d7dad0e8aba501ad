//! The C2SP signed-note parser (`tlog::note::SignedNote::parse`), the
//! checkpoint parser (`tlog::checkpoint::SignedCheckpoint::parse` and
//! `Checkpoint::from_text`), verifier keys, and signature verification with
//! a fixed key (RFC 8032 section 7.1 test 1, the key of the seed
//! checkpoints, so that mutations of a seed reach the signature check).
#![no_main]

use libfuzzer_sys::fuzz_target;

use tlog::checkpoint::{Checkpoint, SignedCheckpoint};
use tlog::note::{self, SignedNote};

fuzz_target!(|data: &[u8]| {
    let key = ed25519_dalek::SigningKey::from_bytes(&ackreg_core::encoding::hex32(
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
    )
    .unwrap())
    .verifying_key();
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(c) = Checkpoint::from_text(text) {
            // A checkpoint text has one spelling.
            assert_eq!(c.to_text(), text);
        }
        if let Ok((name, vkey)) = note::parse_vkey(text.trim_end()) {
            assert_eq!(note::vkey(&name, &vkey), text.trim_end());
        }
    }
    if let Ok(signed) = SignedNote::parse(data) {
        // Every signature line is kept, in order: the bytes come back.
        assert_eq!(signed.to_bytes(), data);
        for s in signed.signatures() {
            let _ = signed.verify(&s.name, &key);
        }
        if signed.verify("example.com/ackreg-test", &key).is_ok() {
            // The signature covers the text: another text with the same
            // signature lines does not verify.
            let mut other = b"x".to_vec();
            other.extend_from_slice(data);
            if let Ok(forged) = SignedNote::parse(&other) {
                assert!(forged.verify("example.com/ackreg-test", &key).is_err());
            }
        }
    }
    if let Ok(signed) = SignedCheckpoint::parse(data) {
        assert_eq!(signed.to_bytes(), data);
        assert_eq!(
            Checkpoint::from_text(signed.note.text()).as_ref(),
            Ok(&signed.checkpoint)
        );
        if signed.verify(&key).is_ok() {
            // The log's signature is over the checkpoint's text as written.
            let again = SignedCheckpoint::parse(&signed.to_bytes()).unwrap();
            assert_eq!(again, signed);
        }
    }
});
