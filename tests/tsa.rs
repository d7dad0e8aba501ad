//! RFC 3161 time stamps against OpenSSL, a TSA and a verifier nobody here
//! wrote: ackreg's requests are answered by `openssl ts -reply`, the tokens
//! ackreg keeps are accepted by `openssl ts -verify`, and tokens signed by
//! unfit certificates (made with `openssl cms -sign`, since `openssl ts`
//! refuses such signers) are refused with the error naming the failed step.
//!
//! These tests need the `openssl` command; without it they fail.

use crate::common::pki::{hex, serve, serve_tls, Key, Pki};
use ackreg_core::tsa::{self, Intermediate, Trust, TrustStore, TsaError};
use ackreg_tsa_http::{ClientIdentity, Connection};
use sha2::{Digest, Sha256};

/// The imprint of a signed checkpoint (C2SP signed note) as the log would stamp it.
fn checkpoint_imprint(tree_size: u64) -> [u8; 32] {
    let note = format!(
        "example.org/ackreg\n{tree_size}\nq2Wz3wU9c3ZfX6o5iV0f0o9u8CwqQ0K0n3m0xq9oB1c=\n\n\
         \u{2014} example.org/ackreg Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
    );
    Sha256::digest(note.as_bytes()).into()
}

/// A fresh PKI with the TSA `name` (good extensions) and a stamped reply.
fn stamped(key: Key, section: &str) -> (Pki, [u8; 32], Vec<u8>) {
    let pki = Pki::new();
    pki.tsa("tsa", key, "ca", "tsa");
    let imprint = checkpoint_imprint(42);
    let reply = pki.reply(
        "tsa",
        section,
        &tsa::request(&imprint, 0x8000_0000_0000_0001),
    );
    (pki, imprint, reply)
}

/// The genTime as `openssl ts -reply -text` prints it, e.g. `Dec  1 10:00:00 2026 GMT`
/// (with `.123` after the seconds when the TSA gives a fraction).
fn openssl_time(stamp: &tsa::Stamp) -> String {
    let t = stamp.gen_time;
    let fraction = match t.millisecond() {
        0 => String::new(),
        ms => format!(".{}", format!("{ms:03}").trim_end_matches('0')),
    };
    format!(
        "{} {:>2} {:02}:{:02}:{:02}{fraction} {} GMT",
        &format!("{:?}", t.month())[..3],
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.year()
    )
}

/// The whole path for one TSA key type and ts.cnf section.
fn round_trip(key: Key, section: &str) {
    let (pki, imprint, reply) = stamped(key, section);
    let token = tsa::parse_response(&reply).expect("openssl's reply parses");
    token
        .check_nonce(0x8000_0000_0000_0001)
        .expect("the nonce is ours");
    assert!(matches!(token.check_nonce(1), Err(TsaError::NonceMismatch)));

    let stamp = tsa::verify(&token, &imprint, &pki.anchors("ca")).expect("the token verifies");
    assert_eq!(stamp.trust, Trust::Anchored("CN=ackreg test CA".into()));
    assert_eq!(stamp.tsa, "ackreg test TSA tsa");
    assert_eq!(stamp.policy, "1.2.3.4.1");
    assert_eq!(stamp.serial, "02"); // openssl increments the serial file's 01 first

    // The time and serial are what openssl says it put in the reply.
    pki.write("reply.tsr", &reply);
    let text = pki.openssl(&["ts", "-reply", "-in", "reply.tsr", "-text"]);
    assert!(
        text.contains(&format!("Time stamp: {}", openssl_time(&stamp))),
        "{text}\n{stamp:?}"
    );
    assert!(text.contains("Serial number: 0x02"), "{text}");
    let rfc3339 = stamp.time_rfc3339();
    assert!(rfc3339.ends_with('Z') && rfc3339.len() >= 20, "{rfc3339}");

    // Without anchors: the same findings, flagged as untrusted.
    let untrusted = tsa::verify_untrusted(&token, &imprint).expect("steps 1-3 hold");
    assert_eq!(untrusted.trust, Trust::Untrusted);
    assert_eq!(untrusted.gen_time, stamp.gen_time);
    assert!(matches!(
        tsa::verify(&token, &imprint, &[]),
        Err(TsaError::NoAnchors)
    ));

    // What ackreg stores, openssl verifies; and ackreg reads it back.
    let stored = token.to_der();
    assert!(
        pki.openssl_verifies(&stored, &imprint, "tsa"),
        "openssl ts -verify refuses the stored token"
    );
    let again = tsa::parse_token(&stored).expect("the stored token parses");
    assert_eq!(
        tsa::verify(&again, &imprint, &pki.anchors("ca")).unwrap(),
        stamp
    );
}

#[test]
fn rsa_tsa_reply_verifies_and_the_stored_token_passes_openssl_ts_verify() {
    round_trip(Key::Rsa, "tsa_sha256");
}

#[test]
fn ec_tsa_reply_with_sha1_ess_cert_id_and_sha384_digest_verifies() {
    round_trip(Key::P256, "tsa_sha1");
}

#[test]
fn openssl_reads_the_request_as_sha256_with_nonce_and_cert_request() {
    let pki = Pki::new();
    let imprint = checkpoint_imprint(7);
    pki.write("q.tsq", &tsa::request(&imprint, 0x0123_4567_89ab_cdef));
    let text = pki.openssl(&["ts", "-query", "-in", "q.tsq", "-text"]);
    assert!(text.contains("Hash Algorithm: sha256"), "{text}");
    assert!(text.contains("Nonce: 0x0123456789ABCDEF"), "{text}");
    assert!(text.contains("Certificate required: yes"), "{text}");
    let hex_imprint: String = imprint
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ");
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains(&hex_imprint[..23]), "{text}");
}

#[test]
fn a_flipped_byte_in_the_signature_is_refused() {
    for key in [Key::Rsa, Key::P256] {
        let (pki, imprint, reply) = stamped(key, "tsa_sha256");
        let mut der = tsa::parse_response(&reply).unwrap().to_der();
        // The SignerInfo's signature is the last field of the token.
        let last = der.len() - 1;
        der[last] ^= 0x01;
        let token = tsa::parse_token(&der).expect("still well-formed");
        assert!(matches!(
            tsa::verify(&token, &imprint, &pki.anchors("ca")),
            Err(TsaError::SignatureInvalid)
        ));
        assert!(!pki.openssl_verifies(&der, &imprint, "tsa"));
    }
}

#[test]
fn a_flipped_byte_in_the_tst_info_is_refused() {
    let (pki, imprint, reply) = stamped(Key::Rsa, "tsa_sha256");
    let mut der = tsa::parse_response(&reply).unwrap().to_der();
    // The policy 1.2.3.4.1 (06 04 2a 03 04 01) occurs only in the TSTInfo.
    let policy = [0x06, 0x04, 0x2a, 0x03, 0x04, 0x01];
    let at = der
        .windows(6)
        .position(|w| w == policy)
        .expect("the policy is in the token");
    der[at + 5] = 0x05;
    let token = tsa::parse_token(&der).expect("still well-formed");
    assert!(matches!(
        tsa::verify(&token, &imprint, &pki.anchors("ca")),
        Err(TsaError::MessageDigestMismatch)
    ));
    assert!(matches!(
        tsa::verify_untrusted(&token, &imprint),
        Err(TsaError::MessageDigestMismatch)
    ));
    assert!(!pki.openssl_verifies(&der, &imprint, "tsa"));
}

#[test]
fn a_token_over_another_checkpoint_is_refused() {
    let (pki, _, reply) = stamped(Key::P256, "tsa_sha256");
    let token = tsa::parse_response(&reply).unwrap();
    let other = checkpoint_imprint(43);
    let err = tsa::verify(&token, &other, &pki.anchors("ca")).unwrap_err();
    assert!(matches!(err, TsaError::ImprintMismatch { .. }), "{err}");
    assert!(!pki.openssl_verifies(&token.to_der(), &other, "tsa"));
}

#[test]
fn a_tsa_of_another_ca_is_refused_but_reads_as_untrusted() {
    let (pki, imprint, reply) = stamped(Key::Rsa, "tsa_sha256");
    pki.ca("other", "another CA");
    let token = tsa::parse_response(&reply).unwrap();
    let err = tsa::verify(&token, &imprint, &pki.anchors("other")).unwrap_err();
    assert!(
        matches!(&err, TsaError::IssuerNotFound { issuer, .. } if issuer == "CN=ackreg test CA"),
        "{err}"
    );
    assert_eq!(
        tsa::verify_untrusted(&token, &imprint).unwrap().trust,
        Trust::Untrusted
    );
}

#[test]
fn an_impostor_ca_of_the_same_name_is_refused() {
    let (pki, imprint, reply) = stamped(Key::P256, "tsa_sha256");
    pki.ca("impostor", "ackreg test CA");
    let token = tsa::parse_response(&reply).unwrap();
    let err = tsa::verify(&token, &imprint, &pki.anchors("impostor")).unwrap_err();
    assert!(
        matches!(err, TsaError::CertificateSignatureInvalid { .. }),
        "{err}"
    );
}

/// A token that `openssl cms -sign` makes with a certificate of the `section`
/// of ext.cnf, over the TSTInfo of a proper `openssl ts -reply`.
fn cms_signed(section: &str, key: Key) -> (Pki, [u8; 32], tsa::Token) {
    let pki = Pki::new();
    pki.tsa("tsa", Key::Rsa, "ca", "tsa");
    // Issued before the time stamp, so that it is valid at its time.
    pki.tsa("signer", key, "ca", section);
    let imprint = checkpoint_imprint(42);
    let reply = pki.reply("tsa", "tsa_sha256", &tsa::request(&imprint, 5));
    let tst = pki.tst_info(&tsa::parse_response(&reply).unwrap().to_der());
    let token = tsa::parse_token(&pki.cms_token("signer", &tst)).expect("a well-formed token");
    (pki, imprint, token)
}

#[test]
fn a_cms_signed_token_with_a_proper_tsa_certificate_verifies() {
    // The control for the three refusals below: only the certificate differs.
    for key in [Key::Rsa, Key::P256] {
        let (pki, imprint, token) = cms_signed("tsa", key);
        let stamp = tsa::verify(&token, &imprint, &pki.anchors("ca")).expect("verifies");
        assert_eq!(stamp.tsa, "ackreg test TSA signer");
    }
}

#[test]
fn a_tsa_certificate_without_extended_key_usage_is_refused() {
    let (pki, imprint, token) = cms_signed("tsa_no_eku", Key::P256);
    let err = tsa::verify(&token, &imprint, &pki.anchors("ca")).unwrap_err();
    assert!(matches!(err, TsaError::EkuMissing { .. }), "{err}");
    assert!(matches!(
        tsa::verify_untrusted(&token, &imprint),
        Err(TsaError::EkuMissing { .. })
    ));
}

#[test]
fn a_tsa_certificate_with_a_non_critical_extended_key_usage_is_refused() {
    let (pki, imprint, token) = cms_signed("tsa_noncritical", Key::Rsa);
    let err = tsa::verify(&token, &imprint, &pki.anchors("ca")).unwrap_err();
    assert!(matches!(err, TsaError::EkuNotCritical { .. }), "{err}");
}

#[test]
fn a_tsa_certificate_for_more_than_time_stamping_is_refused() {
    let (pki, imprint, token) = cms_signed("tsa_extra_eku", Key::P256);
    let err = tsa::verify(&token, &imprint, &pki.anchors("ca")).unwrap_err();
    assert!(
        matches!(err, TsaError::EkuNotTimeStampingOnly { .. }),
        "{err}"
    );
}

#[test]
fn malformed_der_is_refused() {
    let (_pki, _, reply) = stamped(Key::P256, "tsa_sha256");
    let token = tsa::parse_response(&reply).unwrap().to_der();
    let mut trailing = token.clone();
    trailing.push(0);
    let cases: [(&str, &[u8]); 5] = [
        ("empty", b""),
        ("text", b"not a token"),
        ("truncated", &token[..token.len() - 1]),
        ("trailing byte", &trailing),
        ("a response, not a token", &reply),
    ];
    for (name, bytes) in cases {
        let err = tsa::parse_token(bytes).unwrap_err();
        assert!(matches!(err, TsaError::Malformed { .. }), "{name}: {err}");
    }
    let err = tsa::parse_response(&reply[..reply.len() - 1]).unwrap_err();
    assert!(matches!(err, TsaError::Malformed { .. }), "{err}");
    let err = tsa::parse_response(&token).unwrap_err();
    assert!(
        matches!(err, TsaError::Malformed { .. }),
        "a token is not a response: {err}"
    );
}

#[test]
fn oversized_input_is_refused_before_parsing() {
    let big = vec![0x30; tsa::MAX_TOKEN_LEN + 1];
    assert!(
        matches!(tsa::parse_token(&big), Err(TsaError::TooLarge { len, .. }) if len == tsa::MAX_TOKEN_LEN + 1)
    );
    let bigger = vec![0x30; tsa::MAX_RESPONSE_LEN + 1];
    assert!(matches!(
        tsa::parse_response(&bigger),
        Err(TsaError::TooLarge { .. })
    ));
}

#[test]
fn a_refusal_names_the_status_and_failure() {
    let pki = Pki::new();
    pki.tsa("tsa", Key::P256, "ca", "tsa");
    // An unacceptable policy, asked with openssl's own client.
    let digest = hex(&checkpoint_imprint(1));
    pki.openssl(&[
        "ts",
        "-query",
        "-digest",
        &digest,
        "-sha256",
        "-tspolicy",
        "1.2.3.9",
        "-out",
        "bad.tsq",
    ]);
    let reply = pki.reply("tsa", "tsa_sha256", &pki.read("bad.tsq"));
    match tsa::parse_response(&reply) {
        Err(TsaError::Rejected {
            status, fail_info, ..
        }) => {
            assert_eq!(status, "rejection");
            assert_eq!(fail_info, "unacceptedPolicy");
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
    // A digest the TSA does not take.
    pki.openssl(&[
        "ts",
        "-query",
        "-digest",
        &digest[..40],
        "-sha1",
        "-out",
        "sha1.tsq",
    ]);
    let reply = pki.reply("tsa", "tsa_sha256", &pki.read("sha1.tsq"));
    let err = tsa::parse_response(&reply).unwrap_err();
    assert!(
        matches!(&err, TsaError::Rejected { fail_info, .. } if fail_info == "badAlg"),
        "{err}"
    );
    assert!(
        err.to_string().contains("status rejection, failure badAlg"),
        "{err}"
    );
}

#[test]
fn fetch_gets_a_verifiable_reply_from_a_loopback_tsa() {
    let pki = Pki::new();
    pki.tsa("tsa", Key::Rsa, "ca", "tsa");
    let (url, server) = serve(pki.dir.path().to_path_buf(), 1);
    let imprint = checkpoint_imprint(99);
    let reply = ackreg_tsa_http::fetch(&url, &tsa::request(&imprint, 77))
        .expect("the loopback TSA answers");
    let token = tsa::parse_response(&reply).unwrap();
    token.check_nonce(77).unwrap();
    let stamp = tsa::verify(&token, &imprint, &pki.anchors("ca")).unwrap();
    assert_eq!(stamp.tsa, "ackreg test TSA tsa");
    let heads = server.join().unwrap();
    assert_eq!(heads.len(), 1);
    assert!(
        heads[0].starts_with("POST /tsa HTTP/1.1\r\n"),
        "{}",
        heads[0]
    );
    // Header names are case-insensitive (RFC 9110 section 5.1).
    assert!(
        heads[0]
            .to_ascii_lowercase()
            .contains("content-type: application/timestamp-query\r\n"),
        "{}",
        heads[0]
    );
}

#[test]
fn a_tsa_certificate_not_valid_at_the_time_stamps_time_is_refused() {
    let pki = Pki::new();
    let imprint = checkpoint_imprint(3);
    for (name, start, end) in [
        ("expired", "20200101000000Z", "20200201000000Z"),
        ("future", "20990101000000Z", "20990201000000Z"),
    ] {
        pki.tsa_valid(name, start, end);
        let reply = pki.reply(name, "tsa_sha256", &tsa::request(&imprint, 1));
        let token = tsa::parse_response(&reply).expect("openssl signs with it all the same");
        let err = tsa::verify(&token, &imprint, &pki.anchors("ca")).unwrap_err();
        assert!(
            matches!(&err, TsaError::CertificateNotValid { subject, .. } if subject.contains(name)),
            "{err}"
        );
        // Without a chain to check, the validity is not looked at.
        assert_eq!(
            tsa::verify_untrusted(&token, &imprint).unwrap().trust,
            Trust::Untrusted
        );
    }
}

#[test]
fn no_single_byte_change_panics_or_changes_what_verifies() {
    let (pki, imprint, reply) = stamped(Key::P256, "tsa_sha256");
    let anchors = pki.anchors("ca");
    let token = tsa::parse_response(&reply).unwrap();
    let good = tsa::verify(&token, &imprint, &anchors).unwrap();
    let der = token.to_der();
    let mut accepted = 0;
    for i in 0..der.len() {
        let mut changed = der.clone();
        changed[i] ^= 0x5a;
        let Ok(changed) = tsa::parse_token(&changed) else {
            continue;
        };
        if let Ok(stamp) = tsa::verify(&changed, &imprint, &anchors) {
            // Only bytes that nothing signs or uses can change: the version
            // numbers of SignedData and SignerInfo, the SignedData's list of
            // digest algorithms, and the token's copy of the CA certificate
            // (the anchor is used instead).
            assert_eq!(stamp, good, "byte {i}");
            accepted += 1;
        }
    }
    assert!(
        accepted < der.len() / 2,
        "{accepted} of {} changes accepted",
        der.len()
    );
    for len in 0..reply.len() {
        assert!(tsa::parse_response(&reply[..len]).is_err());
    }
}

/// A TSTInfo made by `openssl ts -reply` (TSA `tsa`) over `imprint`, for
/// `openssl cms -sign` to sign in other ways.
fn tst_of(pki: &Pki, imprint: &[u8; 32]) -> Vec<u8> {
    let reply = pki.reply("tsa", "tsa_sha256", &tsa::request(imprint, 5));
    pki.tst_info(&tsa::parse_response(&reply).unwrap().to_der())
}

#[test]
fn a_token_without_the_ess_signing_certificate_attribute_is_refused() {
    let pki = Pki::new();
    pki.tsa("tsa", Key::Rsa, "ca", "tsa");
    let imprint = checkpoint_imprint(42);
    let tst = tst_of(&pki, &imprint);
    // The control: the same TSTInfo signed with the attribute passes both.
    let with = pki.cms_token("tsa", &tst);
    assert!(pki.openssl_verifies(&with, &imprint, "tsa"));
    let token = tsa::parse_token(&with).unwrap();
    tsa::verify(&token, &imprint, &pki.anchors("ca")).expect("with ESS it verifies");

    // RFC 3161 section 2.4.1: the attribute MUST be there; openssl agrees.
    let without = pki.cms_token_with("tsa", &tst, &[]);
    assert!(!pki.openssl_verifies(&without, &imprint, "tsa"));
    let token = tsa::parse_token(&without).expect("well-formed");
    let err = tsa::verify(&token, &imprint, &pki.anchors("ca")).unwrap_err();
    assert!(matches!(err, TsaError::SigningCertificateAbsent), "{err}");
    assert!(err.to_string().contains("RFC 3161 section 2.4.1"), "{err}");
    assert!(matches!(
        tsa::verify_untrusted(&token, &imprint),
        Err(TsaError::SigningCertificateAbsent)
    ));
}

#[test]
fn a_ber_token_with_indefinite_lengths_is_accepted_as_openssl_accepts_it() {
    let pki = Pki::new();
    pki.tsa("tsa", Key::Rsa, "ca", "tsa");
    let imprint = checkpoint_imprint(42);
    let tst = tst_of(&pki, &imprint);
    // `openssl cms -stream` writes the outer structure with indefinite
    // lengths and the TSTInfo as a chunked OCTET STRING.
    let ber = pki.cms_token_with("tsa", &tst, &["-cades", "-stream"]);
    assert_eq!(ber[..2], [0x30, 0x80], "indefinite length");
    assert!(pki.openssl_verifies(&ber, &imprint, "tsa"));

    let token = tsa::parse_token(&ber).expect("BER is read");
    assert_eq!(token.to_der(), ber, "kept as received");
    let stamp = tsa::verify(&token, &imprint, &pki.anchors("ca")).expect("verifies");
    assert_eq!(stamp.tsa, "ackreg test TSA tsa");
    let der = tsa::parse_token(&pki.cms_token("tsa", &tst)).unwrap();
    let same = tsa::verify(&der, &imprint, &pki.anchors("ca")).unwrap();
    assert_eq!(same.gen_time, stamp.gen_time);

    // Changed or cut, it is refused, without panic.
    let policy = [0x06, 0x04, 0x2a, 0x03, 0x04, 0x01];
    let at = ber.windows(6).position(|w| w == policy).unwrap();
    let mut changed = ber.clone();
    changed[at + 5] = 0x05;
    let token = tsa::parse_token(&changed).expect("still well-formed");
    assert!(matches!(
        tsa::verify(&token, &imprint, &pki.anchors("ca")),
        Err(TsaError::MessageDigestMismatch)
    ));
    assert!(!pki.openssl_verifies(&changed, &imprint, "tsa"));
    for len in 0..ber.len() {
        assert!(tsa::parse_token(&ber[..len]).is_err(), "cut at {len}");
    }
    for i in 0..ber.len() {
        let mut flipped = ber.clone();
        flipped[i] ^= 0xff;
        if let Ok(token) = tsa::parse_token(&flipped) {
            let _ = tsa::verify(&token, &imprint, &pki.anchors("ca"));
        }
    }
}

#[test]
fn an_rsa_pss_tsa_verifies_and_openssl_agrees() {
    let pki = Pki::new();
    pki.ca_with("ca", "ackreg test RSA CA", Key::Rsa);
    // The CA signs the TSA certificate with RSA-PSS.
    let pss = [
        "-sha256",
        "-sigopt",
        "rsa_padding_mode:pss",
        "-sigopt",
        "rsa_pss_saltlen:digest",
    ];
    pki.tsa_signed("tsa", Key::Rsa, "ca", "tsa", &pss);
    let imprint = checkpoint_imprint(42);
    let anchors = pki.anchors("ca");

    // openssl ts -reply signs with PKCS#1 v1.5 (OpenSSL 3.0's ts cannot
    // sign or verify a PSS token); the chain is PSS.
    let reply = pki.reply("tsa", "tsa_sha256", &tsa::request(&imprint, 5));
    let token = tsa::parse_response(&reply).unwrap();
    let stamp = tsa::verify(&token, &imprint, &anchors).expect("a PSS-signed TSA certificate");
    assert_eq!(stamp.trust, Trust::Anchored("CN=ackreg test RSA CA".into()));
    assert!(pki.openssl_verifies(&token.to_der(), &imprint, "tsa"));

    // The token itself signed with RSA-PSS (salt 32), checked against
    // openssl cms -verify (time stamping purpose).
    let tst = pki.tst_info(&token.to_der());
    let signed = pki.cms_token_with(
        "tsa",
        &tst,
        &[
            "-cades",
            "-keyopt",
            "rsa_padding_mode:pss",
            "-keyopt",
            "rsa_pss_saltlen:32",
        ],
    );
    let rsassa_pss = [
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a,
    ];
    assert!(
        signed.windows(11).any(|w| w == rsassa_pss),
        "a PSS signature"
    );
    assert!(pki.openssl_cms_verifies(&signed, "ca.pem"));
    let pss_token = tsa::parse_token(&signed).unwrap();
    let stamp = tsa::verify(&pss_token, &imprint, &anchors).expect("the PSS token verifies");
    assert_eq!(stamp.tsa, "ackreg test TSA tsa");

    let mut flipped = signed.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 0x01;
    assert!(!pki.openssl_cms_verifies(&flipped, "ca.pem"));
    let token = tsa::parse_token(&flipped).unwrap();
    assert!(matches!(
        tsa::verify(&token, &imprint, &anchors),
        Err(TsaError::SignatureInvalid)
    ));
}

#[test]
fn a_p521_tsa_under_a_p521_ca_verifies_both_ways() {
    let pki = Pki::new();
    pki.ca_with("ca", "ackreg test P-521 CA", Key::P521);
    pki.tsa_signed("tsa", Key::P521, "ca", "tsa", &["-sha512"]);
    let imprint = checkpoint_imprint(42);
    let reply = pki.reply("tsa", "tsa_sha512", &tsa::request(&imprint, 5));
    let token = tsa::parse_response(&reply).unwrap();
    let stamp = tsa::verify(&token, &imprint, &pki.anchors("ca")).expect("P-521 verifies");
    assert_eq!(
        stamp.trust,
        Trust::Anchored("CN=ackreg test P-521 CA".into())
    );
    let stored = token.to_der();
    assert!(pki.openssl_verifies(&stored, &imprint, "tsa"));

    // The same key signing a SHA-256 digest.
    let reply = pki.reply("tsa", "tsa_sha256", &tsa::request(&imprint, 6));
    let token = tsa::parse_response(&reply).unwrap();
    tsa::verify(&token, &imprint, &pki.anchors("ca")).expect("P-521 over SHA-256 verifies");
    assert!(pki.openssl_verifies(&token.to_der(), &imprint, "tsa"));

    let mut flipped = stored.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 0x01;
    assert!(!pki.openssl_verifies(&flipped, &imprint, "tsa"));
    let token = tsa::parse_token(&flipped).unwrap();
    assert!(matches!(
        tsa::verify(&token, &imprint, &pki.anchors("ca")),
        Err(TsaError::SignatureInvalid)
    ));
}

#[test]
fn an_intermediate_the_token_lacks_is_given_as_an_untrusted_chain() {
    let pki = Pki::new();
    // ca (P-256) -> ica (P-521, as LV eID ICA 2025) -> tsa (P-256, signed
    // with ecdsa-with-SHA512); the token carries the TSA's certificate only.
    pki.intermediate("ica", "ackreg test ICA", Key::P521, "ca", Key::P256);
    pki.tsa_signed("tsa", Key::P256, "ica", "tsa", &["-sha512"]);
    let imprint = checkpoint_imprint(42);
    let reply = pki.reply_chain("tsa", "tsa_sha256", &tsa::request(&imprint, 5), None);
    let token = tsa::parse_response(&reply).unwrap();

    let err = tsa::verify(&token, &imprint, &pki.anchors("ca")).unwrap_err();
    assert!(
        matches!(&err, TsaError::IssuerNotFound { issuer, .. } if issuer == "CN=ackreg test ICA"),
        "{err}"
    );
    // In words: the command line names its option (--tsa-chain).
    assert!(ackreg_core::Hint::hint(&err)
        .unwrap()
        .contains("any intermediate CA certificate the token lacks"));
    assert!(!pki.openssl_verifies_with(&token.to_der(), &imprint, "ca.pem", "tsa.pem"));

    let chain = Intermediate::from_pem(&pki.read("ica.pem")).unwrap();
    let store = TrustStore::new(pki.anchors("ca")).with_chain(chain);
    let stamp = tsa::verify_with(&token, &imprint, &store).expect("through the intermediate");
    assert_eq!(stamp.trust, Trust::Anchored("CN=ackreg test CA".into()));
    let both = [pki.read("tsa.pem"), pki.read("ica.pem")].concat();
    pki.write("tsa-ica.pem", &both);
    assert!(pki.openssl_verifies_with(&token.to_der(), &imprint, "ca.pem", "tsa-ica.pem"));

    // An untrusted certificate is no anchor: the intermediate alone in the
    // pool, with another CA as the anchor, does not verify.
    pki.ca("other", "another CA");
    let chain = Intermediate::from_pem(&pki.read("ica.pem")).unwrap();
    let store = TrustStore::new(pki.anchors("other")).with_chain(chain);
    assert!(tsa::verify_with(&token, &imprint, &store).is_err());
}

/// A PEM file's first certificate, DER.
fn der_of(pki: &Pki, name: &str) -> Vec<u8> {
    tsa::Anchor::from_pem(&pki.read(name)).unwrap()[0].to_der()
}

#[test]
fn fetch_over_https_from_a_tsa_that_asks_for_a_client_certificate() {
    let pki = Pki::new();
    pki.tsa("tsa", Key::Rsa, "ca", "tsa");
    pki.tls();
    let (url, server) = serve_tls(pki.dir.path().to_path_buf(), 3, Some("tls-ca.pem"));
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    let client =
        ClientIdentity::from_pem(&pki.read("tls-client.pem"), &pki.read("tls-client.key")).unwrap();
    let tls_ca = vec![der_of(&pki, "tls-ca.pem")];
    let imprint = checkpoint_imprint(99);

    let conn = Connection {
        client: Some(client.clone()),
        tls_ca: tls_ca.clone(),
        ..Connection::default()
    };
    let reply =
        ackreg_tsa_http::fetch_with(&url, &tsa::request(&imprint, 77), &conn).expect("answered");
    let token = tsa::parse_response(&reply).unwrap();
    token.check_nonce(77).unwrap();
    tsa::verify(&token, &imprint, &pki.anchors("ca")).unwrap();

    // Without the client certificate the TSA refuses the handshake.
    let anonymous = Connection {
        tls_ca: tls_ca.clone(),
        ..Connection::default()
    };
    let err =
        ackreg_tsa_http::fetch_with(&url, &tsa::request(&imprint, 78), &anonymous).unwrap_err();
    assert!(
        matches!(err, TsaError::Tls { .. } | TsaError::Network { .. }),
        "{err}"
    );
    // Without the TSA's TLS CA, the Mozilla roots do not know its server.
    let unknown = Connection {
        client: Some(client),
        ..Connection::default()
    };
    let err = ackreg_tsa_http::fetch_with(&url, &tsa::request(&imprint, 79), &unknown).unwrap_err();
    assert!(
        matches!(&err, TsaError::Tls { problem, .. } if problem.contains("UnknownIssuer")),
        "{err}"
    );

    let served = server.join().unwrap();
    assert_eq!(served.len(), 3, "{served:?}");
    assert!(served[0]
        .as_ref()
        .unwrap()
        .starts_with("POST /tsa HTTP/1.1\r\n"));
    assert!(served[1].is_err() && served[2].is_err(), "{served:?}");
}

#[test]
fn a_client_key_that_is_not_a_key_is_refused() {
    let pki = Pki::new();
    pki.tls();
    let err = ClientIdentity::from_pem(&pki.read("tls-client.pem"), &pki.read("tls-client.pem"))
        .unwrap_err();
    assert!(matches!(err, TsaError::ClientKey), "{err}");
    let err = ClientIdentity::from_pem(b"nothing", &pki.read("tls-client.key")).unwrap_err();
    assert!(matches!(err, TsaError::Malformed { .. }), "{err}");
}

#[test]
fn tokens_kept_before_this_version_still_verify() {
    // The fuzzing seeds: `openssl ts -reply` answers (EC and RSA TSAs) and
    // a bare token, over 32 bytes 0xab, kept since the first version.
    let anchors = tsa::Anchor::from_pem(include_bytes!("../fuzz/seeds/tsa/ca.pem")).unwrap();
    let replies: [&[u8]; 2] = [
        include_bytes!("../fuzz/seeds/tsa/reply-ec.tsr"),
        include_bytes!("../fuzz/seeds/tsa/reply-rsa.tsr"),
    ];
    let mut tokens: Vec<tsa::Token> = replies
        .iter()
        .map(|r| tsa::parse_response(r).expect("a kept reply"))
        .collect();
    let bare = include_bytes!("../fuzz/seeds/tsa/token-ec.der");
    tokens.push(tsa::parse_token(bare).expect("a kept token"));
    for token in tokens {
        let stamp = tsa::verify(&token, &[0xab; 32], &anchors).expect("still verifies");
        assert!(matches!(stamp.trust, Trust::Anchored(_)));
        assert_eq!(
            tsa::parse_token(&token.to_der()).unwrap().to_der(),
            token.to_der()
        );
    }
}
