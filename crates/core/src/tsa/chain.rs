//! Step 4: the chain from the signer certificate to a trust anchor.
//!
//! `rustls-webpki` builds and checks the path (RFC 5280 as browsers apply
//! it): each signature, each certificate valid at the time stamp's time,
//! basic constraints and path lengths, name constraints, no unknown
//! critical extension, and time stamping allowed by every extended key
//! usage on the way. The intermediates it may use are the token's own
//! certificates and the auditor's untrusted pool (`--tsa-chain`).
//!
//! What webpki does not do, this module adds, each its own step:
//!
//! - 4a. a signer certificate given itself as an anchor is trusted as such
//!   (pinned), if valid at the time stamp's time;
//! - 4c. the anchor reached is valid at the time stamp's time (webpki
//!   takes anchors as bare names and keys).
//!
//! webpki's errors do not say which certificate failed; [`explain`] finds it
//! by following issuer names, for the message only.

use std::time::Duration;

use rustls_pki_types::{CertificateDer, UnixTime};
use time::OffsetDateTime;
use x509_cert::Certificate;

use super::{algs, check_valid_at, display_name, Anchor, Cert, TrustStore, TsaError};

/// id-kp-timeStamping (1.3.6.1.5.5.7.3.8), the OID's content octets.
const TIME_STAMPING: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x08];
/// The longest issuer-name walk [`explain`] follows.
const MAX_WALK: usize = 8;

/// Step 4: the chain from `signer` through `token_certs` and the store's
/// pool to one of its anchors, valid at `at`. Returns the anchor's subject.
pub(super) fn check_chain(
    signer: &Cert,
    token_certs: &[Cert],
    store: &TrustStore,
    at: OffsetDateTime,
) -> Result<String, TsaError> {
    // 4a. A pinned signer certificate.
    if let Some(anchor) = store.anchors.iter().find(|a| a.der == signer.der) {
        check_valid_at(&signer.cert, at)?;
        return Ok(anchor.subject());
    }
    // 4b. The path, by webpki.
    let anchor = build_path(signer, token_certs, store, at)?;
    // 4c. The anchor reached is valid at the time stamp's time.
    check_valid_at(&anchor.cert, at)?;
    Ok(anchor.subject())
}

/// Step 4b: webpki's path from `signer` to an anchor of `store`; the anchor.
fn build_path<'s>(
    signer: &Cert,
    token_certs: &[Cert],
    store: &'s TrustStore,
    at: OffsetDateTime,
) -> Result<&'s Anchor, TsaError> {
    let time = unix_time(at).ok_or_else(|| TsaError::CertificateNotValid {
        subject: signer.subject(),
        time: super::rfc3339(at),
    })?;
    let signer_der = CertificateDer::from(signer.der.as_slice());
    let end_entity =
        webpki::EndEntityCert::try_from(&signer_der).map_err(|e| TsaError::ChainInvalid {
            subject: signer.subject(),
            problem: format!("webpki cannot read the certificate: {e}"),
        })?;
    let anchor_ders: Vec<CertificateDer<'_>> = store
        .anchors
        .iter()
        .map(|a| CertificateDer::from(a.der.as_slice()))
        .collect();
    let mut anchors = Vec::with_capacity(anchor_ders.len());
    for (der, anchor) in anchor_ders.iter().zip(&store.anchors) {
        let ta = webpki::anchor_from_trusted_cert(der).map_err(|e| TsaError::ChainInvalid {
            subject: anchor.subject(),
            problem: format!("the trust anchor cannot be read: {e}"),
        })?;
        anchors.push(ta);
    }
    let intermediates: Vec<CertificateDer<'_>> = token_certs
        .iter()
        .filter(|c| c.der != signer.der)
        .map(|c| c.der.as_slice())
        .chain(store.chain.iter().map(|c| c.der.as_slice()))
        .map(CertificateDer::from)
        .collect();
    let algorithms = algs::chain_algorithms();
    let path = end_entity
        .verify_for_usage(
            &algorithms,
            &anchors,
            &intermediates,
            time,
            webpki::KeyUsage::required_if_present(TIME_STAMPING),
            None,
            None,
        )
        .map_err(|e| explain(&e, signer, token_certs, store, at))?;
    let reached = path.anchor();
    anchors
        .iter()
        .position(|a| {
            a.subject.as_ref() == reached.subject.as_ref()
                && a.subject_public_key_info.as_ref() == reached.subject_public_key_info.as_ref()
        })
        .and_then(|i| store.anchors.get(i))
        .ok_or_else(|| TsaError::ChainInvalid {
            subject: signer.subject(),
            problem: "the anchor webpki reached is not one given".into(),
        })
}

/// `at` as webpki's time, whole seconds; `None` before 1970.
fn unix_time(at: OffsetDateTime) -> Option<UnixTime> {
    let secs = u64::try_from(at.unix_timestamp()).ok()?;
    Some(UnixTime::since_unix_epoch(Duration::from_secs(secs)))
}

/// The certificates from `signer` up by issuer name through the pool (the
/// token's and the store's), at most [`MAX_WALK`], and the issuer name the
/// walk stopped at if neither the pool nor an anchor has it.
fn walk<'c>(
    signer: &'c Cert,
    pool: &[&'c Certificate],
    store: &TrustStore,
) -> (Vec<&'c Certificate>, Option<String>) {
    let mut path = vec![&signer.cert];
    while let Some(&current) = path.last() {
        let issuer = current.tbs_certificate().issuer();
        if store
            .anchors
            .iter()
            .any(|a| a.cert.tbs_certificate().subject() == issuer)
            || path.len() >= MAX_WALK
        {
            return (path, None);
        }
        let next = pool.iter().find(|c| {
            c.tbs_certificate().subject() == issuer && !path.iter().any(|p| std::ptr::eq(*p, **c))
        });
        match next {
            Some(c) => path.push(c),
            None => return (path, Some(display_name(issuer))),
        }
    }
    (path, None)
}

/// webpki's refusal as a [`TsaError`] naming the certificate at fault.
fn explain(
    error: &webpki::Error,
    signer: &Cert,
    token_certs: &[Cert],
    store: &TrustStore,
    at: OffsetDateTime,
) -> TsaError {
    use webpki::Error as W;
    let pool: Vec<&Certificate> = token_certs
        .iter()
        .map(|c| &c.cert)
        .chain(store.chain.iter().map(|c| &c.cert))
        .collect();
    let (path, missing) = walk(signer, &pool, store);
    let subject_of = |c: &Certificate| display_name(c.tbs_certificate().subject());
    match error {
        W::UnknownIssuer => {
            let last = path
                .last()
                .map_or_else(|| signer.subject(), |c| subject_of(c));
            TsaError::IssuerNotFound {
                subject: last,
                issuer: missing.unwrap_or_else(|| "(no matching CA)".into()),
            }
        }
        W::CertExpired { .. } | W::CertNotValidYet { .. } | W::InvalidCertValidity => {
            let bad = path.iter().find(|c| check_valid_at(c, at).is_err());
            match bad {
                Some(c) => check_valid_at(c, at)
                    .err()
                    .unwrap_or_else(|| chain_invalid(signer, error)),
                None => TsaError::CertificateNotValid {
                    subject: format!("{} or a CA certificate above it", signer.subject()),
                    time: super::rfc3339(at),
                },
            }
        }
        W::InvalidSignatureForPublicKey => TsaError::CertificateSignatureInvalid {
            subject: match path.len() {
                1 => signer.subject(),
                _ => format!("{} or a CA certificate above it", signer.subject()),
            },
        },
        W::EndEntityUsedAsCa => TsaError::NotACa {
            subject: path
                .get(1)
                .map_or_else(|| signer.subject(), |c| subject_of(c)),
        },
        W::PathLenConstraintViolated => TsaError::PathLength {
            subject: signer.subject(),
        },
        W::MaximumPathDepthExceeded => TsaError::ChainTooLong(MAX_WALK),
        _ => chain_invalid(signer, error),
    }
}

/// A refusal webpki names only by its own words.
fn chain_invalid(signer: &Cert, error: &webpki::Error) -> TsaError {
    TsaError::ChainInvalid {
        subject: signer.subject(),
        problem: webpki_words(error),
    }
}

/// webpki's error in words people read.
fn webpki_words(error: &webpki::Error) -> String {
    use webpki::Error as W;
    match error {
        W::UnsupportedCriticalExtension => "a certificate has an unknown critical extension".into(),
        W::CaUsedAsEndEntity => "the signer certificate is a CA certificate".into(),
        W::RequiredEkuNotFoundContext(_) => {
            "a CA certificate's extended key usage excludes time stamping".into()
        }
        W::UnsupportedSignatureAlgorithmContext(_)
        | W::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => {
            "a certificate is signed with an algorithm ackreg does not verify".into()
        }
        W::NameConstraintViolation => "a CA's name constraints exclude a name".into(),
        other => super::printable(&format!("{other:?}")),
    }
}
