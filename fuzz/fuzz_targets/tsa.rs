//! The RFC 3161 parsers (time stamp responses, tokens, trust anchors) and
//! every verification step on what parses. The seeds in `seeds/tsa/` are
//! `openssl ts -reply` answers over an imprint of 32 bytes 0xab, made by
//! TSAs under the seed CA `seeds/tsa/ca.pem`, which is the trust anchor
//! here: mutations that keep the signatures valid reach the chain step.
#![no_main]

use libfuzzer_sys::fuzz_target;

use ackreg_core::tsa::{self, Anchor};

fuzz_target!(|data: &[u8]| {
    let _ = Anchor::from_pem(data);
    let _ = Anchor::from_der(data);
    let token = match tsa::parse_response(data) {
        Ok(token) => token,
        Err(_) => match tsa::parse_token(data) {
            Ok(token) => {
                // A stored token is kept verbatim.
                assert_eq!(token.to_der(), data);
                token
            }
            Err(_) => return,
        },
    };
    // What parses reads back from the bytes ackreg would store.
    let again = tsa::parse_token(&token.to_der()).unwrap();
    assert_eq!(again.imprint(), token.imprint());
    let _ = token.check_nonce(0);
    let anchors = Anchor::from_pem(include_bytes!("../seeds/tsa/ca.pem")).unwrap();
    for imprint in [
        [0xab; 32],
        <[u8; 32]>::try_from(token.imprint()).unwrap_or([0; 32]),
    ] {
        let untrusted = tsa::verify_untrusted(&token, &imprint);
        let trusted = tsa::verify(&token, &imprint, &anchors);
        if let Ok(stamp) = trusted {
            // What verifies with anchors verifies without, with the same findings.
            let untrusted = untrusted.unwrap();
            assert_eq!(
                (untrusted.gen_time, &untrusted.serial),
                (stamp.gen_time, &stamp.serial)
            );
            let _ = stamp.time_rfc3339();
        }
    }
});
