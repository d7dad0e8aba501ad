//! The signature algorithms a time stamp is verified with.
//!
//! Certificate chains are checked by `rustls-webpki` with the ring
//! provider (ECDSA P-256/P-384 with SHA-256/384, Ed25519, RSA PKCS#1 v1.5
//! and RSA-PSS of 2048 to 8192 bits). Ring has no P-521, and no ECDSA with
//! SHA-512, which CAs on the EU trusted lists use (LV eID ICA 2025 signs
//! with P-521): [`chain_algorithms`] adds those, verified by the RustCrypto
//! `p256`, `p384` and `p521` crates behind webpki's public
//! `SignatureVerificationAlgorithm` trait.
//!
//! The token's own signature (the SignerInfo's, over the signed attributes)
//! is verified here too: [`verify_ecdsa`], [`verify_rsa_pkcs1`] and
//! [`verify_rsa_pss`].

use rustls_pki_types::SignatureVerificationAlgorithm;
use rustls_pki_types::{alg_id, AlgorithmIdentifier, InvalidSignature};

use super::{HashAlg, KeyFailure};

/// The NIST curves verified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Curve {
    P256,
    P384,
    P521,
}

/// ECDSA that ring lacks, for webpki.
#[derive(Debug)]
struct Ecdsa {
    curve: Curve,
    hash: HashAlg,
    key: AlgorithmIdentifier,
    signature: AlgorithmIdentifier,
}

impl SignatureVerificationAlgorithm for Ecdsa {
    fn verify_signature(
        &self,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), InvalidSignature> {
        verify_ecdsa(self.curve, self.hash, public_key, message, signature)
            .map_err(|_| InvalidSignature)
    }

    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        self.key
    }

    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        self.signature
    }
}

static P256_SHA512: Ecdsa = Ecdsa {
    curve: Curve::P256,
    hash: HashAlg::Sha512,
    key: alg_id::ECDSA_P256,
    signature: alg_id::ECDSA_SHA512,
};
static P384_SHA512: Ecdsa = Ecdsa {
    curve: Curve::P384,
    hash: HashAlg::Sha512,
    key: alg_id::ECDSA_P384,
    signature: alg_id::ECDSA_SHA512,
};
static P521_SHA256: Ecdsa = Ecdsa {
    curve: Curve::P521,
    hash: HashAlg::Sha256,
    key: alg_id::ECDSA_P521,
    signature: alg_id::ECDSA_SHA256,
};
static P521_SHA384: Ecdsa = Ecdsa {
    curve: Curve::P521,
    hash: HashAlg::Sha384,
    key: alg_id::ECDSA_P521,
    signature: alg_id::ECDSA_SHA384,
};
static P521_SHA512: Ecdsa = Ecdsa {
    curve: Curve::P521,
    hash: HashAlg::Sha512,
    key: alg_id::ECDSA_P521,
    signature: alg_id::ECDSA_SHA512,
};

/// Every algorithm a certificate of a TSA's chain may be signed with:
/// webpki's ring set and the ECDSA ring lacks.
pub(super) fn chain_algorithms() -> Vec<&'static dyn SignatureVerificationAlgorithm> {
    let extra: [&'static dyn SignatureVerificationAlgorithm; 5] = [
        &P256_SHA512,
        &P384_SHA512,
        &P521_SHA256,
        &P521_SHA384,
        &P521_SHA512,
    ];
    webpki::ALL_VERIFICATION_ALGS
        .iter()
        .copied()
        .chain(extra)
        .collect()
}

/// ECDSA over `message` hashed with `hash`, with the SEC1 point `key` on
/// `curve` and the DER signature `signature`.
pub(super) fn verify_ecdsa(
    curve: Curve,
    hash: HashAlg,
    key: &[u8],
    message: &[u8],
    signature: &[u8],
) -> Result<(), KeyFailure> {
    use ecdsa_verify::PrehashVerifier;
    let digest = hash.digest(message);
    match curve {
        Curve::P256 => {
            let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(key)
                .map_err(|_| KeyFailure::Unusable("not a P-256 point"))?;
            let sig =
                p256::ecdsa::Signature::from_der(signature).map_err(|_| KeyFailure::Invalid)?;
            key.verify_prehash(&digest, &sig)
        }
        Curve::P384 => {
            let key = p384::ecdsa::VerifyingKey::from_sec1_bytes(key)
                .map_err(|_| KeyFailure::Unusable("not a P-384 point"))?;
            let sig =
                p384::ecdsa::Signature::from_der(signature).map_err(|_| KeyFailure::Invalid)?;
            key.verify_prehash(&digest, &sig)
        }
        Curve::P521 => {
            let key = p521::ecdsa::VerifyingKey::from_sec1_bytes(key)
                .map_err(|_| KeyFailure::Unusable("not a P-521 point"))?;
            let sig =
                p521::ecdsa::Signature::from_der(signature).map_err(|_| KeyFailure::Invalid)?;
            key.verify_prehash(&widened(&digest), &sig)
        }
    }
    .map_err(|_| KeyFailure::Invalid)
}

/// A digest shorter than SHA-512 left-padded with zeros to 64 bytes: the
/// same integer (SEC 1 section 4.1.4 takes a hash shorter than the order
/// whole), in a length the `ecdsa` crate accepts for P-521 (at least half
/// the field).
fn widened(digest: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; 64usize.saturating_sub(digest.len())];
    out.extend_from_slice(digest);
    out
}

/// The trait the three curves' verifying keys share.
mod ecdsa_verify {
    pub(super) use p256::ecdsa::signature::hazmat::PrehashVerifier;
}

/// The RSA public key in a SubjectPublicKey (PKCS#1 `RSAPublicKey`, under
/// rsaEncryption or id-RSASSA-PSS), at least 2048 bits.
fn rsa_key(key: &[u8]) -> Result<rsa::PublicKey, KeyFailure> {
    use rsa::traits::PublicKeyParts;
    let key = <rsa::PublicKey as rsa::pkcs1::DecodeRsaPublicKey>::from_pkcs1_der(key)
        .map_err(|_| KeyFailure::Unusable("not an RSA public key of at most 4096 bits"))?;
    if key.size() < 256 {
        return Err(KeyFailure::Unusable("an RSA key shorter than 2048 bits"));
    }
    Ok(key)
}

/// RSA PKCS#1 v1.5 with a key of at least 2048 bits.
pub(super) fn verify_rsa_pkcs1(
    key: &[u8],
    hash: HashAlg,
    message: &[u8],
    signature: &[u8],
) -> Result<(), KeyFailure> {
    let key = rsa_key(key)?;
    let scheme = rsa::Pkcs1v15Sign {
        hash_len: Some(hash.digest(&[]).len()),
        prefix: hash.pkcs1_prefix().into(),
    };
    key.verify(scheme, &hash.digest(message), signature)
        .map_err(|_| KeyFailure::Invalid)
}

/// RSASSA-PSS (RFC 8017 section 8.1) with `hash` for the message and MGF1,
/// the salt `salt` bytes long, and a key of at least 2048 bits.
pub(super) fn verify_rsa_pss(
    key: &[u8],
    hash: HashAlg,
    salt: usize,
    message: &[u8],
    signature: &[u8],
) -> Result<(), KeyFailure> {
    use rsa::sha2::{Sha256, Sha384, Sha512};
    let key = rsa_key(key)?;
    let hashed = hash.digest(message);
    match hash {
        HashAlg::Sha256 => key.verify(rsa::Pss::<Sha256>::new_with_salt(salt), &hashed, signature),
        HashAlg::Sha384 => key.verify(rsa::Pss::<Sha384>::new_with_salt(salt), &hashed, signature),
        HashAlg::Sha512 => key.verify(rsa::Pss::<Sha512>::new_with_salt(salt), &hashed, signature),
    }
    .map_err(|_| KeyFailure::Invalid)
}
