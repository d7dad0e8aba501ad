//! RFC 3161 time stamps over the log's checkpoints, verified offline.
//!
//! A signed checkpoint proves what the log held, but not *when*: for legal
//! standing the administration asks a time stamp authority (TSA) for an
//! RFC 3161 time stamp whose message imprint is the SHA-256 of the
//! checkpoint's signed-note bytes, signatures included. The token the TSA
//! returns is a CMS `SignedData` (RFC 5652) over a `TSTInfo`; ackreg keeps it
//! verbatim ([`Token::to_der`]) so that an auditor, offline, can check it
//! with ackreg or with `openssl ts -verify`.
//!
//! Untrusted bytes become a [`Token`] first ([`parse_response`],
//! [`parse_token`]: size limit, DER, or the BER that CMS allows in the
//! outer structure (module `ber`), the token's shape); the cryptography runs
//! second, in numbered steps, each its own function with its own errors:
//!
//! 1. the `TSTInfo` message imprint is SHA-256 and equals the expected hash;
//! 2. the CMS signature: content-type and message-digest signed attributes,
//!    the signature over the signed attributes with the signer certificate
//!    found in the token, and the ESS signing-certificate attribute, which
//!    must be present (RFC 3161 section 2.4.1) and name that certificate;
//! 3. the signer certificate's extended key usage is critical and is time
//!    stamping alone (RFC 3161 section 2.3);
//! 4. the chain from the signer certificate through the token's
//!    certificates and the auditor's untrusted intermediates to a trust
//!    anchor, built and checked by `rustls-webpki` (module `chain`).
//!
//! [`verify_untrusted`] runs steps 1 to 3 and says so in [`Stamp::trust`];
//! [`verify`] and [`verify_with`] run all four. Revocation is not checked
//! (there is no network at verification time). [`fetch`] posts a request to
//! a TSA over HTTPS or HTTP (module `http`); the token is self-authenticating,
//! so TLS keeps the request private and lets the TSA know its client.

use std::time::Duration;

use der::asn1::{AnyRef, IntRef, ObjectIdentifier, OctetString, OctetStringRef};
use der::{Decode, Encode, Reader, Sequence, SliceReader, Tag, TagNumber, Tagged};
use sha2::Digest as _;
use time::OffsetDateTime;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{ExtendedKeyUsage, SubjectKeyIdentifier};
use x509_cert::ext::Extension;
use x509_cert::name::Name;
use x509_cert::spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::Certificate;

use crate::encoding::hex;

/// The largest token accepted, in bytes (a token with a few certificates is
/// 2 to 8 KiB).
pub const MAX_TOKEN_LEN: usize = 64 * 1024;
/// The largest time stamp response accepted: a token plus its status.
pub const MAX_RESPONSE_LEN: usize = MAX_TOKEN_LEN + 4096;
/// How long [`fetch`] waits for a TSA, in all.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(30);
mod algs;
mod ber;
mod chain;

use ber::{Ber, BerError};

/// Object identifiers used here.
mod oid {
    use der::asn1::ObjectIdentifier as Oid;
    pub const SIGNED_DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.2");
    pub const CT_TST_INFO: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.1.4");
    pub const ATTR_CONTENT_TYPE: Oid = Oid::new_unwrap("1.2.840.113549.1.9.3");
    pub const ATTR_MESSAGE_DIGEST: Oid = Oid::new_unwrap("1.2.840.113549.1.9.4");
    pub const ATTR_SIGNING_CERT: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.2.12");
    pub const ATTR_SIGNING_CERT_V2: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.2.47");
    pub const SHA256: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.1");
    pub const SHA384: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.2");
    pub const SHA512: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.3");
    pub const RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.1");
    pub const RSA_SHA256: Oid = Oid::new_unwrap("1.2.840.113549.1.1.11");
    pub const RSA_SHA384: Oid = Oid::new_unwrap("1.2.840.113549.1.1.12");
    pub const RSA_SHA512: Oid = Oid::new_unwrap("1.2.840.113549.1.1.13");
    pub const EC_PUBLIC_KEY: Oid = Oid::new_unwrap("1.2.840.10045.2.1");
    pub const ECDSA_SHA256: Oid = Oid::new_unwrap("1.2.840.10045.4.3.2");
    pub const ECDSA_SHA384: Oid = Oid::new_unwrap("1.2.840.10045.4.3.3");
    pub const ECDSA_SHA512: Oid = Oid::new_unwrap("1.2.840.10045.4.3.4");
    pub const P256: Oid = Oid::new_unwrap("1.2.840.10045.3.1.7");
    pub const P384: Oid = Oid::new_unwrap("1.3.132.0.34");
    pub const P521: Oid = Oid::new_unwrap("1.3.132.0.35");
    pub const RSASSA_PSS: Oid = Oid::new_unwrap("1.2.840.113549.1.1.10");
    pub const MGF1: Oid = Oid::new_unwrap("1.2.840.113549.1.1.8");
    pub const ED25519: Oid = Oid::new_unwrap("1.3.101.112");
    pub const KP_TIME_STAMPING: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.3.8");
}

/// An error in a time stamp request, response, token or its verification.
#[derive(Debug, thiserror::Error)]
pub enum TsaError {
    /// Input over the size limit, refused before parsing.
    #[error("the {what} is {len} bytes, more than the {max} allowed")]
    TooLarge {
        /// What was too large.
        what: &'static str,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Not strict DER, or not the ASN.1 structure expected.
    #[error("malformed {what}")]
    Malformed {
        /// Which structure.
        what: &'static str,
        /// The decoder's error.
        #[source]
        source: der::Error,
    },
    /// Well-formed DER, but not shaped as RFC 3161 requires of a token.
    #[error("not an RFC 3161 time stamp token: {0}")]
    NotATimeStampToken(&'static str),
    /// The TSA refused the request.
    #[error(
        "the time stamp authority refused the request: status {status}, failure {fail_info}{text}"
    )]
    Rejected {
        /// The PKIStatus name, e.g. `rejection`.
        status: String,
        /// The PKIFailureInfo bit names, or `none`.
        fail_info: String,
        /// The TSA's own words, prefixed with `: `, or empty.
        text: String,
    },
    /// A granted response without a token.
    #[error("the time stamp authority granted the request but sent no token")]
    NoToken,
    /// The token's nonce is not the one of the request.
    #[error("the token's nonce is not the one sent in the request")]
    NonceMismatch,
    /// Step 1: the imprint is not a SHA-256 hash.
    #[error("the time stamp is over a hash of algorithm {0}, not SHA-256")]
    ImprintAlgorithm(String),
    /// Step 1: the imprint is another hash.
    #[error("the time stamp is over {found}, not over {expected}")]
    ImprintMismatch {
        /// The hash expected, hexadecimal.
        expected: String,
        /// The hash in the token, hexadecimal.
        found: String,
    },
    /// Step 2: the signer's certificate is not in the token.
    #[error("the token does not contain its signer's certificate")]
    SignerCertificateMissing,
    /// Step 2 or 4: an algorithm this module does not verify.
    #[error("unsupported {what} algorithm {oid}")]
    UnsupportedAlgorithm {
        /// Digest, signature or public key.
        what: &'static str,
        /// The algorithm's object identifier.
        oid: String,
    },
    /// Step 2: the content-type signed attribute is missing, repeated or not id-ct-TSTInfo.
    #[error("the signed content-type attribute is missing or is not id-ct-TSTInfo")]
    ContentTypeAttribute,
    /// Step 2: the message-digest signed attribute is missing or another hash.
    #[error(
        "the signed message-digest attribute is missing or does not match the time stamp info"
    )]
    MessageDigestMismatch,
    /// Step 2 or 4: a certificate's public key cannot be used.
    #[error("the public key of {subject} cannot be used: {problem}")]
    BadPublicKey {
        /// The certificate's subject.
        subject: String,
        /// Why.
        problem: &'static str,
    },
    /// Step 2: the TSA's signature over the signed attributes fails.
    #[error("the time stamp authority's signature does not verify")]
    SignatureInvalid,
    /// Step 2: the ESS signing-certificate attribute names another certificate.
    #[error("the signing-certificate attribute names another certificate than the signer's")]
    SigningCertificateMismatch,
    /// Step 2: no ESS signing-certificate attribute (v1 or v2).
    #[error(
        "the token has no ESS signing-certificate attribute, which RFC 3161 section 2.4.1 requires"
    )]
    SigningCertificateAbsent,
    /// Step 3: no extended key usage.
    #[error("the signer certificate {subject} has no extended key usage")]
    EkuMissing {
        /// The certificate's subject.
        subject: String,
    },
    /// Step 3: the extended key usage is not critical.
    #[error("the extended key usage of {subject} is not marked critical")]
    EkuNotCritical {
        /// The certificate's subject.
        subject: String,
    },
    /// Step 3: the extended key usage is not time stamping alone.
    #[error("the extended key usage of {subject} is not time stamping alone")]
    EkuNotTimeStampingOnly {
        /// The certificate's subject.
        subject: String,
    },
    /// Step 4: [`verify`] without trust anchors.
    #[error("no trust anchors were given")]
    NoAnchors,
    /// Step 4: a certificate expired or not yet valid at the time stamp's time.
    #[error("the certificate {subject} is not valid at the time stamp's time {time}")]
    CertificateNotValid {
        /// The certificate's subject.
        subject: String,
        /// The time stamp's time.
        time: String,
    },
    /// Step 4: the chain leads to no trust anchor.
    #[error("the issuer {issuer} of {subject} is neither in the token nor a trust anchor")]
    IssuerNotFound {
        /// The certificate whose issuer is missing.
        subject: String,
        /// That issuer's name.
        issuer: String,
    },
    /// Step 4: a certificate's signature fails under its issuer's key.
    #[error("the signature on the certificate {subject} does not verify under its issuer's key")]
    CertificateSignatureInvalid {
        /// The certificate's subject.
        subject: String,
    },
    /// Step 4: an issuing certificate without basicConstraints cA=true.
    #[error("the issuing certificate {subject} is not a CA certificate")]
    NotACa {
        /// The certificate's subject.
        subject: String,
    },
    /// Step 4: more intermediate CAs than a path length constraint allows.
    #[error("the chain is longer than the path length constraint of a CA above {subject} allows")]
    PathLength {
        /// The signer certificate's subject.
        subject: String,
    },
    /// Step 4: a chain longer than path building follows.
    #[error("the certificate chain is longer than {0} certificates")]
    ChainTooLong(usize),
    /// Step 4: another reason the path builder gives.
    #[error("the certificate chain of {subject} is not valid: {problem}")]
    ChainInvalid {
        /// The signer certificate's subject.
        subject: String,
        /// What is wrong.
        problem: String,
    },
    /// The TSA's URL is not an `http://` or `https://` URL ackreg can use.
    #[error("not a usable http:// or https:// URL: {0}")]
    Url(String),
    /// The connection failed.
    #[error("cannot reach the time stamp authority {host}: {problem}")]
    Network {
        /// The TSA's host.
        host: String,
        /// What the system or the HTTP client said.
        problem: String,
    },
    /// The TLS handshake failed: the server's certificate, or ours.
    #[error("the TLS connection to the time stamp authority {host} failed: {problem}")]
    Tls {
        /// The TSA's host.
        host: String,
        /// What rustls said.
        problem: String,
    },
    /// A proxy variable that is not a proxy URL, or a proxy that refused.
    #[error("cannot use {variable}: {problem}")]
    Proxy {
        /// The environment variable, or "the proxy".
        variable: &'static str,
        /// What is wrong.
        problem: String,
    },
    /// The client certificate or key cannot be used.
    #[error("the TLS client key is not a PEM private key (PKCS#8, PKCS#1 or SEC1)")]
    ClientKey,
    /// No complete reply within the time allowed.
    #[error("no complete reply from the time stamp authority within {0:?}")]
    Timeout(Duration),
    /// An HTTP status other than 200.
    #[error("the time stamp authority answered HTTP status {0}")]
    HttpStatus(u16),
    /// A reply that is not `application/timestamp-reply`.
    #[error("the time stamp authority answered with content type {0:?}, not application/timestamp-reply")]
    ContentType(String),
}

impl crate::Hint for TsaError {
    fn hint(&self) -> Option<String> {
        use TsaError as E;
        let s = match self {
            E::TooLarge { .. } | E::Malformed { .. } | E::NotATimeStampToken(_) => {
                "a token is the DER bytes of the CMS SignedData a time stamp authority returned, \
                 kept unchanged"
            }
            E::Rejected { .. } => {
                "check the URL and the TSA's rules; try again later or another TSA"
            }
            E::NoToken | E::NonceMismatch => {
                "the reply does not answer this request; ask the time stamp authority again"
            }
            E::ImprintAlgorithm(_) | E::ImprintMismatch { .. } => {
                "this time stamp belongs to another checkpoint, or the checkpoint was changed"
            }
            E::SigningCertificateAbsent => {
                "the time stamp authority does not bind its certificate to the token as RFC 3161 \
                 requires (openssl ts -verify refuses it too); use a conforming TSA"
            }
            E::SignerCertificateMissing => {
                "ask for the time stamp with the certificate requested (certReq), as ackreg does"
            }
            E::UnsupportedAlgorithm { .. } | E::BadPublicKey { .. } => {
                "ackreg verifies RSA (PKCS#1 v1.5 or PSS, 2048 bits or more), ECDSA \
                 P-256/P-384/P-521 and Ed25519 with SHA-256/384/512; use a time stamp \
                 authority that signs with these"
            }
            E::ContentTypeAttribute
            | E::MessageDigestMismatch
            | E::SignatureInvalid
            | E::SigningCertificateMismatch
            | E::CertificateSignatureInvalid { .. } => {
                "the token was changed after the time stamp authority signed it; do not trust it"
            }
            E::EkuMissing { .. } | E::EkuNotCritical { .. } | E::EkuNotTimeStampingOnly { .. } => {
                "RFC 3161 allows only certificates reserved for time stamping (a critical \
                 extended key usage of time stamping alone); the signer is not a proper TSA"
            }
            E::NoAnchors => {
                "give the certificate of the CA that the time stamp authority chains to"
            }
            E::CertificateNotValid { .. } => {
                "the time stamp was made outside a certificate's validity: do not trust it"
            }
            E::IssuerNotFound { .. } => {
                "give the CA certificate the time stamp authority chains to as a trust anchor, \
                 and any intermediate CA certificate the token lacks"
            }
            E::NotACa { .. } | E::PathLength { .. } => {
                "a certificate in the chain may not issue certificates; the chain is not valid"
            }
            E::ChainTooLong(_) | E::ChainInvalid { .. } => {
                "the time stamp authority's certificates are not ones ackreg can validate"
            }
            E::Url(_)
            | E::Network { .. }
            | E::Timeout(_)
            | E::Tls { .. }
            | E::Proxy { .. }
            | E::ClientKey
            | E::HttpStatus(_)
            | E::ContentType(_) => self.transport_hint(),
        };
        Some(s.into())
    }
}

impl TsaError {
    /// The hint of an error in reaching the time stamp authority: the URL,
    /// the network, TLS, a proxy, the client key or the HTTP answer.
    fn transport_hint(&self) -> &'static str {
        use TsaError as E;
        match self {
            E::Url(_) => {
                "give the time stamp authority's URL as https://host[:port]/path or http://..."
            }
            E::Network { .. } => {
                "check the network, the URL and any proxy (HTTPS_PROXY, NO_PROXY), or try \
                 again later; an https:// TSA that drops the connection (broken pipe, reset) \
                 may want a client certificate and its key"
            }
            E::Timeout(_) => "try again later, or give the time stamp authority a longer deadline",
            E::Tls { .. } => {
                "check the TSA's TLS certificate (give the CA it chains to) and, if it asks for \
                 one, the client certificate and its key"
            }
            E::Proxy { .. } => {
                "set HTTPS_PROXY (or HTTP_PROXY for http://) to http://host:port, or list the \
                 TSA's host in NO_PROXY"
            }
            E::ClientKey => "give the PEM private key of the client certificate",
            _ => "check that the URL is the time stamp authority's RFC 3161 endpoint",
        }
    }
}

/// A time stamp token: the CMS `ContentInfo` a TSA signed, parsed and
/// checked for shape but not yet verified. [`Token::to_der`] gives the bytes
/// exactly as received.
#[derive(Clone, Debug)]
pub struct Token {
    der: Vec<u8>,
    tst: TstInfo,
    /// The DER of the TSTInfo: the signed content.
    tst_der: Vec<u8>,
    signer: SignerInfo,
    certs: Vec<Cert>,
}

/// What a verified token says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stamp {
    /// The TSTInfo genTime, in UTC.
    pub gen_time: OffsetDateTime,
    /// The signer certificate's subject common name (or organisation, or
    /// whole name), printable.
    pub tsa: String,
    /// The TSTInfo `tsa` field, if the TSA gave it, printable.
    pub tsa_name: Option<String>,
    /// The TSTInfo serial number, lowercase hexadecimal.
    pub serial: String,
    /// The TSA policy under which the token was issued, dotted decimal.
    pub policy: String,
    /// Whether the signer certificate chains to a trust anchor.
    pub trust: Trust,
}

/// How far a [`Stamp`] is trusted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trust {
    /// Steps 1 to 3 hold, but nobody vouches for the signer certificate: the
    /// token is well signed by *some* key with a time stamping certificate.
    Untrusted,
    /// All four steps hold; the chain ends at this trust anchor (its subject).
    Anchored(String),
}

/// A CA certificate trusted to vouch for time stamp authorities
/// (`--tsa-ca`); a TSA's own certificate may be one too (pinned).
#[derive(Clone, Debug)]
pub struct Anchor {
    cert: Certificate,
    der: Vec<u8>,
}

/// An intermediate CA certificate offered for path building but not
/// trusted (`--tsa-chain`): one a token does not carry.
#[derive(Clone, Debug)]
pub struct Intermediate {
    cert: Certificate,
    der: Vec<u8>,
}

/// What an auditor trusts for time stamps: the anchors, and an untrusted
/// pool of intermediate certificates for the chains.
#[derive(Clone, Debug, Default)]
pub struct TrustStore {
    anchors: Vec<Anchor>,
    chain: Vec<Intermediate>,
}

impl TrustStore {
    /// A store of `anchors`, with no intermediates.
    pub fn new(anchors: Vec<Anchor>) -> TrustStore {
        TrustStore {
            anchors,
            chain: Vec::new(),
        }
    }

    /// The store with `chain` added to its untrusted intermediates.
    pub fn with_chain(mut self, chain: Vec<Intermediate>) -> TrustStore {
        self.chain.extend(chain);
        self
    }

    /// The anchors.
    pub fn anchors(&self) -> &[Anchor] {
        &self.anchors
    }
}

/// How a time stamp request reaches its authority and the reply comes
/// back. The network is not this crate's business: a program passes in
/// the transport it trusts (an HTTPS client, a test's loopback).
pub trait Transport {
    /// Posts the DER `request` (a TimeStampReq) to the TSA at `url` and
    /// returns the reply body, a TimeStampResp for [`parse_response`].
    fn post(&self, url: &str, request: &[u8]) -> Result<Vec<u8>, TsaError>;
}

/// The DER of every certificate of a PEM file, parsed.
fn pem_certificates(
    pem: &[u8],
    what: &'static str,
) -> Result<Vec<(Certificate, Vec<u8>)>, TsaError> {
    let certs =
        Certificate::load_pem_chain(pem).map_err(|source| TsaError::Malformed { what, source })?;
    certs
        .into_iter()
        .map(|c| {
            let der = c
                .to_der()
                .map_err(|source| TsaError::Malformed { what, source })?;
            Ok((c, der))
        })
        .collect()
}

/// A certificate as carried in the token: its exact DER and parsed form.
#[derive(Clone, Debug)]
struct Cert {
    der: Vec<u8>,
    cert: Certificate,
}

/// The one SignerInfo of a token.
#[derive(Clone, Debug)]
struct SignerInfo {
    sid: SignerId,
    digest_alg: AlgorithmIdentifierOwned,
    /// The signed attributes as signed: DER with the SET OF tag.
    attrs_der: Vec<u8>,
    attrs: Vec<Attribute>,
    sig_alg: AlgorithmIdentifierOwned,
    signature: Vec<u8>,
}

/// How the SignerInfo names its certificate.
#[derive(Clone, Debug)]
enum SignerId {
    /// Issuer name and the DER of the serial number INTEGER.
    IssuerSerial(Name, Vec<u8>),
    /// Subject key identifier.
    KeyId(Vec<u8>),
}

/// One signed attribute: its type and the DER of each value.
#[derive(Clone, Debug)]
struct Attribute {
    oid: ObjectIdentifier,
    values: Vec<Vec<u8>>,
}

/// The fields of a TSTInfo that verification uses.
#[derive(Clone, Debug)]
struct TstInfo {
    policy: ObjectIdentifier,
    imprint_alg: AlgorithmIdentifierOwned,
    imprint: Vec<u8>,
    serial: Vec<u8>,
    gen_time: OffsetDateTime,
    /// The DER of the nonce INTEGER.
    nonce: Option<Vec<u8>>,
    tsa: Option<String>,
}

/// The DER of a TimeStampReq (RFC 3161 section 2.4.1) for a SHA-256
/// `imprint`, with `nonce` and certReq TRUE, so that the token carries the
/// TSA's certificate.
pub fn request(imprint: &[u8; 32], nonce: u64) -> Vec<u8> {
    // AlgorithmIdentifier { id-sha256, NULL }, as `openssl ts -query` sends it.
    const SHA256_ALG: [u8; 15] = [
        0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00,
    ];
    let mut imprint_seq = SHA256_ALG.to_vec();
    imprint_seq.extend(tlv(0x04, imprint));
    let mut body = tlv(0x02, &[1]); // version v1
    body.extend(tlv(0x30, &imprint_seq));
    body.extend(tlv(0x02, &der_uint(nonce)));
    body.extend(tlv(0x01, &[0xff])); // certReq TRUE
    tlv(0x30, &body)
}

/// A DER tag-length-value with a short or long definite length.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend(&bytes[skip..]);
    }
    out.extend(content);
    out
}

/// The content octets of a DER INTEGER holding `n`.
fn der_uint(n: u64) -> Vec<u8> {
    let bytes = n.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count().min(7);
    let mut out = Vec::with_capacity(9);
    if bytes[skip] & 0x80 != 0 {
        out.push(0);
    }
    out.extend(&bytes[skip..]);
    out
}

/// Reads a TimeStampResp (RFC 3161 section 2.4.2): the token if the status
/// is granted or grantedWithMods, else [`TsaError::Rejected`] naming the
/// PKIStatus and PKIFailureInfo.
pub fn parse_response(der: &[u8]) -> Result<Token, TsaError> {
    if der.len() > MAX_RESPONSE_LEN {
        return Err(TsaError::TooLarge {
            what: "time stamp response",
            len: der.len(),
            max: MAX_RESPONSE_LEN,
        });
    }
    let what = "time stamp response";
    let outer = Tlv::whole(der, what)?;
    let items = outer.children(Tag::Sequence, what)?;
    let (status, token) = match items.as_slice() {
        [status] => (status, None),
        [status, token] => (status, Some(token)),
        _ => return Err(malformed(what)),
    };
    check_status(status)?;
    match token {
        Some(token) => parse_token(token.raw),
        None => Err(TsaError::NoToken),
    }
}

/// Refuses a PKIStatusInfo whose status is not granted (0) or grantedWithMods (1).
fn check_status(info: &Tlv<'_>) -> Result<(), TsaError> {
    let what = "PKIStatusInfo";
    let items = info.children(Tag::Sequence, what)?;
    let Some((status, rest)) = items.split_first() else {
        return Err(malformed(what));
    };
    let code = status.decode::<u8>(what)?;
    if code <= 1 {
        return Ok(());
    }
    let mut text = String::new();
    let mut fail_info = "none".to_string();
    for item in rest {
        match item.tag {
            Tag::Sequence => text = free_text(item)?,
            Tag::BitString => fail_info = failure_names(item)?,
            _ => return Err(malformed(what)),
        }
    }
    const STATUS: [&str; 6] = [
        "granted",
        "grantedWithMods",
        "rejection",
        "waiting",
        "revocationWarning",
        "revocationNotification",
    ];
    let status = STATUS
        .get(usize::from(code))
        .map_or_else(|| code.to_string(), |s| s.to_string());
    Err(TsaError::Rejected {
        status,
        fail_info,
        text,
    })
}

/// The PKIFreeText of a status, as `: "text"`, printable and bounded.
fn free_text(item: &Tlv<'_>) -> Result<String, TsaError> {
    let strings = item.children(Tag::Sequence, "PKIFreeText")?;
    let mut out = Vec::new();
    for s in strings {
        let text = s.decode::<der::asn1::Utf8StringRef<'_>>("PKIFreeText")?;
        out.push(printable(text.as_str()));
    }
    Ok(if out.is_empty() {
        String::new()
    } else {
        format!(": \"{}\"", out.join("; "))
    })
}

/// The names of the bits set in a PKIFailureInfo.
fn failure_names(item: &Tlv<'_>) -> Result<String, TsaError> {
    let bits = item.decode::<der::asn1::BitStringRef<'_>>("PKIFailureInfo")?;
    let names: Vec<String> = bits
        .bits()
        .enumerate()
        .filter(|(_, set)| *set)
        .map(|(i, _)| match i {
            0 => "badAlg".into(),
            2 => "badRequest".into(),
            5 => "badDataFormat".into(),
            14 => "timeNotAvailable".into(),
            15 => "unacceptedPolicy".into(),
            16 => "unacceptedExtension".into(),
            17 => "addInfoNotAvailable".into(),
            25 => "systemFailure".into(),
            other => format!("bit {other}"),
        })
        .collect();
    Ok(if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    })
}

/// Reads a stored token: a CMS ContentInfo holding a SignedData over a
/// TSTInfo, with exactly one signer and signed attributes. The outer CMS
/// structure may be BER (RFC 5652 section 1.2); what is signed stays DER.
pub fn parse_token(der: &[u8]) -> Result<Token, TsaError> {
    if der.len() > MAX_TOKEN_LEN {
        return Err(TsaError::TooLarge {
            what: "time stamp token",
            len: der.len(),
            max: MAX_TOKEN_LEN,
        });
    }
    let what = "time stamp token";
    let info = Ber::whole(der).map_err(ber_error(what))?;
    let items = info.children_of(0x30).map_err(ber_error(what))?;
    let [content_type, content] = items.as_slice() else {
        return Err(if items.len() < 2 {
            incomplete(what, info.raw.len())
        } else {
            malformed(what)
        });
    };
    if ber_decode::<ObjectIdentifier>(content_type, what)? != oid::SIGNED_DATA {
        return Err(TsaError::NotATimeStampToken(
            "the content is not signed data",
        ));
    }
    let inner = content.children_of(0xa0).map_err(ber_error(what))?;
    let [signed_data] = inner.as_slice() else {
        return Err(malformed(what));
    };
    let signed = parse_signed_data(signed_data)?;
    let tst = parse_tst_info(&signed.tst_der)?;
    Ok(Token {
        der: der.to_vec(),
        tst,
        tst_der: signed.tst_der,
        signer: signed.signer,
        certs: signed.certs,
    })
}

impl Token {
    /// The token's DER, exactly as received: what to store.
    pub fn to_der(&self) -> Vec<u8> {
        self.der.clone()
    }

    /// The hash the TSTInfo says it stamps (unverified until [`verify`] or
    /// [`verify_untrusted`] compares it with the expected one).
    pub fn imprint(&self) -> &[u8] {
        &self.tst.imprint
    }

    /// The TSTInfo genTime (unverified until [`verify`] or [`verify_untrusted`]).
    pub fn gen_time(&self) -> OffsetDateTime {
        self.tst.gen_time
    }

    /// Checks that the token answers the request that carried `nonce`.
    pub fn check_nonce(&self, nonce: u64) -> Result<(), TsaError> {
        let ours = tlv(0x02, &der_uint(nonce));
        match &self.tst.nonce {
            Some(theirs) if *theirs == ours => Ok(()),
            _ => Err(TsaError::NonceMismatch),
        }
    }
}

impl Anchor {
    /// A trust anchor from a DER certificate.
    pub fn from_der(der: &[u8]) -> Result<Anchor, TsaError> {
        let cert = Certificate::from_der(der).map_err(|source| TsaError::Malformed {
            what: "trust anchor certificate",
            source,
        })?;
        Ok(Anchor {
            cert,
            der: der.to_vec(),
        })
    }

    /// Every certificate of a PEM file (one or more `CERTIFICATE` blocks).
    pub fn from_pem(pem: &[u8]) -> Result<Vec<Anchor>, TsaError> {
        let certs = pem_certificates(pem, "trust anchor PEM file")?;
        Ok(certs
            .into_iter()
            .map(|(cert, der)| Anchor { cert, der })
            .collect())
    }

    /// The certificate's DER.
    pub fn to_der(&self) -> Vec<u8> {
        self.der.clone()
    }

    /// The anchor's subject, printable.
    pub fn subject(&self) -> String {
        display_name(self.cert.tbs_certificate().subject())
    }
}

impl Intermediate {
    /// Every certificate of a PEM file (one or more `CERTIFICATE` blocks).
    pub fn from_pem(pem: &[u8]) -> Result<Vec<Intermediate>, TsaError> {
        let certs = pem_certificates(pem, "intermediate certificate PEM file")?;
        Ok(certs
            .into_iter()
            .map(|(cert, der)| Intermediate { cert, der })
            .collect())
    }
}

/// A BER error as a [`TsaError::Malformed`] of `what`.
fn ber_error(what: &'static str) -> impl Fn(BerError) -> TsaError {
    move |e| TsaError::Malformed {
        what,
        source: match e {
            BerError::Malformed => der::ErrorKind::Failed.into(),
            BerError::TooDeep => der::ErrorKind::Overlength.into(),
            BerError::Incomplete { expected, actual } => der::ErrorKind::Incomplete {
                expected_len: der::Length::try_from(expected).unwrap_or(der::Length::MAX),
                actual_len: der::Length::try_from(actual).unwrap_or(der::Length::MAX),
            }
            .into(),
        },
    }
}

/// Decodes a definite-length BER element as `T` with the strict DER decoder.
fn ber_decode<'a, T: Decode<'a, Error = der::Error>>(
    item: &Ber<'a>,
    what: &'static str,
) -> Result<T, TsaError> {
    if !item.definite() {
        return Err(malformed(what));
    }
    T::from_der(item.raw).map_err(|source| TsaError::Malformed { what, source })
}

/// The element of a definite-length BER element, as DER.
fn ber_tlv<'a>(item: &Ber<'a>, what: &'static str) -> Result<Tlv<'a>, TsaError> {
    if !item.definite() {
        return Err(malformed(what));
    }
    Tlv::whole(item.raw, what)
}

/// What [`parse_signed_data`] finds.
struct SignedParts {
    tst_der: Vec<u8>,
    signer: SignerInfo,
    certs: Vec<Cert>,
}

/// Reads a SignedData (RFC 5652 section 5.1) by position, keeping the exact
/// bytes of the certificates and signed attributes.
fn parse_signed_data(signed: &Ber<'_>) -> Result<SignedParts, TsaError> {
    let what = "signed data";
    let mut items = signed
        .children_of(0x30)
        .map_err(ber_error(what))?
        .into_iter();
    let mut next = || items.next().ok_or_else(|| incomplete(what, 0));
    ber_decode::<u8>(&next()?, what)?; // version: 3 for a TSTInfo, not checked further
    let digests = next()?;
    digests.children_of(0x31).map_err(ber_error(what))?; // the SignerInfo names its own
    let tst_der = parse_encapsulated(&next()?)?;
    let mut item = next()?;
    let certs = if item.tag == 0xa0 {
        let certs = parse_certs(&item)?;
        item = next()?;
        certs
    } else {
        Vec::new()
    };
    if item.tag == 0xa1 {
        item = next()?; // CRLs: revocation is not checked
    }
    let signers = item.children_of(0x31).map_err(ber_error("signer infos"))?;
    if items.next().is_some() {
        return Err(malformed(what));
    }
    let [signer] = signers.as_slice() else {
        return Err(TsaError::NotATimeStampToken(
            "a token has exactly one signer",
        ));
    };
    Ok(SignedParts {
        tst_der,
        signer: parse_signer_info(signer)?,
        certs,
    })
}

/// `EncapsulatedContentInfo ::= SEQUENCE { eContentType, eContent [0]
/// EXPLICIT OCTET STRING OPTIONAL }`: the TSTInfo bytes, joined if the
/// OCTET STRING is cut into chunks.
fn parse_encapsulated(encap: &Ber<'_>) -> Result<Vec<u8>, TsaError> {
    let what = "encapsulated content";
    let items = encap.children_of(0x30).map_err(ber_error(what))?;
    let (content_type, content) = match items.as_slice() {
        [t] => (t, None),
        [t, c] => (t, Some(c)),
        _ => return Err(malformed(what)),
    };
    if ber_decode::<ObjectIdentifier>(content_type, what)? != oid::CT_TST_INFO {
        return Err(TsaError::NotATimeStampToken(
            "the signed content is not a TSTInfo",
        ));
    }
    let Some(content) = content else {
        return Err(TsaError::NotATimeStampToken("the TSTInfo is not included"));
    };
    let inner = content.children_of(0xa0).map_err(ber_error(what))?;
    let [octets] = inner.as_slice() else {
        return Err(malformed(what));
    };
    octets.octets(MAX_TOKEN_LEN).map_err(ber_error(what))
}

/// The X.509 certificates of a `[0] CertificateSet` (other choices skipped).
fn parse_certs(set: &Ber<'_>) -> Result<Vec<Cert>, TsaError> {
    let what = "certificate in the token";
    let mut certs = Vec::new();
    for item in set.children_of(0xa0).map_err(ber_error(what))? {
        if item.tag != 0x30 {
            continue; // attribute certificates and other formats
        }
        certs.push(Cert::from_tlv(&ber_tlv(&item, what)?, what)?);
    }
    Ok(certs)
}

impl Cert {
    /// Parses one certificate, keeping its exact DER.
    fn from_tlv(item: &Tlv<'_>, what: &'static str) -> Result<Cert, TsaError> {
        let cert = Certificate::from_der(item.raw)
            .map_err(|source| TsaError::Malformed { what, source })?;
        Ok(Cert {
            der: item.raw.to_vec(),
            cert,
        })
    }

    fn subject(&self) -> String {
        display_name(self.cert.tbs_certificate().subject())
    }
}

/// Reads a SignerInfo (RFC 5652 section 5.3) by position. The signed
/// attributes must be DER: their bytes are what was signed.
fn parse_signer_info(info: &Ber<'_>) -> Result<SignerInfo, TsaError> {
    let what = "signer info";
    let mut items = info.children_of(0x30).map_err(ber_error(what))?.into_iter();
    let mut next = || items.next().ok_or_else(|| incomplete(what, 0));
    ber_decode::<u8>(&next()?, what)?; // version 1 or 3, as the sid says
    let sid = parse_signer_id(&ber_tlv(&next()?, what)?)?;
    let digest_alg: AlgorithmIdentifierOwned = ber_decode(&next()?, what)?;
    let attrs = next()?;
    if attrs.tag != 0xa0 {
        return Err(TsaError::NotATimeStampToken(
            "the signer info has no signed attributes",
        ));
    }
    let attrs_tlv = ber_tlv(&attrs, "signed attributes")?;
    let sig_alg: AlgorithmIdentifierOwned = ber_decode(&next()?, what)?;
    let signature = next()?.octets(64 * 1024).map_err(ber_error(what))?;
    match items.next() {
        Some(unsigned) if unsigned.tag == 0xa1 => {}
        Some(_) => return Err(malformed(what)),
        None => {}
    }
    if items.next().is_some() {
        return Err(malformed(what));
    }
    Ok(SignerInfo {
        sid,
        digest_alg,
        // What was signed is the SET OF with its universal tag (RFC 5652 section 5.4).
        attrs_der: tlv(0x31, attrs_tlv.value),
        attrs: parse_attributes(&attrs_tlv)?,
        sig_alg,
        signature,
    })
}

/// A constructed context-specific tag `[n]`.
fn context(n: u32) -> Tag {
    Tag::ContextSpecific {
        constructed: true,
        number: TagNumber(n),
    }
}

/// `SignerIdentifier ::= CHOICE { IssuerAndSerialNumber, [0] SubjectKeyIdentifier }`.
fn parse_signer_id(sid: &Tlv<'_>) -> Result<SignerId, TsaError> {
    let what = "signer identifier";
    if sid.tag
        == (Tag::ContextSpecific {
            constructed: false,
            number: TagNumber(0),
        })
    {
        return Ok(SignerId::KeyId(sid.value.to_vec()));
    }
    let parts = sid.children(Tag::Sequence, what)?;
    let [issuer, serial] = parts.as_slice() else {
        return Err(malformed(what));
    };
    let issuer: Name = issuer.decode(what)?;
    serial.decode::<IntRef<'_>>(what)?;
    Ok(SignerId::IssuerSerial(issuer, serial.raw.to_vec()))
}

/// The signed attributes: each `SEQUENCE { type, SET OF value }`.
fn parse_attributes(attrs: &Tlv<'_>) -> Result<Vec<Attribute>, TsaError> {
    let what = "signed attribute";
    let mut out = Vec::new();
    for attr in attrs.children(context(0), what)? {
        let parts = attr.children(Tag::Sequence, what)?;
        let [oid, values] = parts.as_slice() else {
            return Err(malformed(what));
        };
        let oid: ObjectIdentifier = oid.decode(what)?;
        let values = values.children(Tag::Set, what)?;
        out.push(Attribute {
            oid,
            values: values.iter().map(|v| v.raw.to_vec()).collect(),
        });
    }
    Ok(out)
}

/// `MessageImprint ::= SEQUENCE { hashAlgorithm, hashedMessage }`.
#[derive(Sequence)]
struct MessageImprint<'a> {
    hash_algorithm: AlgorithmIdentifierOwned,
    hashed_message: &'a OctetStringRef,
}

/// `Accuracy` (RFC 3161 section 2.4.2), read only to be skipped correctly.
#[derive(Sequence)]
struct Accuracy {
    seconds: Option<u64>,
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", optional = "true")]
    millis: Option<u16>,
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    micros: Option<u16>,
}

/// `TSTInfo` (RFC 3161 section 2.4.2).
#[derive(Sequence)]
struct TstInfoAsn1<'a> {
    version: u8,
    policy: ObjectIdentifier,
    message_imprint: MessageImprint<'a>,
    serial_number: IntRef<'a>,
    gen_time: AnyRef<'a>,
    accuracy: Option<Accuracy>,
    ordering: Option<bool>,
    nonce: Option<IntRef<'a>>,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    tsa: Option<GeneralName>,
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    extensions: Option<Vec<Extension>>,
}

/// Reads the TSTInfo into the fields verification uses.
fn parse_tst_info(der: &[u8]) -> Result<TstInfo, TsaError> {
    let what = "TSTInfo";
    let tst = TstInfoAsn1::from_der(der).map_err(|source| TsaError::Malformed { what, source })?;
    if tst.version != 1 {
        return Err(TsaError::NotATimeStampToken("the TSTInfo version is not 1"));
    }
    if tst.gen_time.tag() != Tag::GeneralizedTime {
        return Err(TsaError::NotATimeStampToken(
            "genTime is not a GeneralizedTime",
        ));
    }
    let gen_time = parse_gen_time(tst.gen_time.value()).ok_or(TsaError::NotATimeStampToken(
        "genTime is not YYYYMMDDhhmmss[.f]Z",
    ))?;
    let nonce = tst.nonce.map(|n| n.to_der()).transpose();
    let nonce = nonce.map_err(|source| TsaError::Malformed { what, source })?;
    Ok(TstInfo {
        policy: tst.policy,
        imprint_alg: tst.message_imprint.hash_algorithm,
        imprint: tst.message_imprint.hashed_message.as_bytes().to_vec(),
        serial: tst.serial_number.as_bytes().to_vec(),
        gen_time,
        nonce,
        tsa: tst.tsa.as_ref().map(display_general_name),
    })
}

/// A DER GeneralizedTime as RFC 3161 requires it: `YYYYMMDDhhmmss[.f]Z`, in
/// UTC, the fraction (at most nine digits here) without trailing zeros.
fn parse_gen_time(bytes: &[u8]) -> Option<OffsetDateTime> {
    let text = std::str::from_utf8(bytes).ok()?;
    let body = text.strip_suffix('Z')?;
    let (whole, fraction) = match body.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (body, None),
    };
    if whole.len() != 14 || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let field = |from: usize, to: usize| whole.get(from..to)?.parse::<u16>().ok();
    let nanos = match fraction {
        None => 0,
        Some(f) => {
            let ok = !f.is_empty() && f.len() <= 9 && !f.ends_with('0');
            if !ok || !f.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            f.parse::<u32>().ok()? * 10u32.pow(9 - f.len() as u32)
        }
    };
    let month = time::Month::try_from(u8::try_from(field(4, 6)?).ok()?).ok()?;
    let date = time::Date::from_calendar_date(
        i32::from(field(0, 4)?),
        month,
        u8::try_from(field(6, 8)?).ok()?,
    )
    .ok()?;
    let clock = time::Time::from_hms_nano(
        u8::try_from(field(8, 10)?).ok()?,
        u8::try_from(field(10, 12)?).ok()?,
        u8::try_from(field(12, 14)?).ok()?,
        nanos,
    )
    .ok()?;
    Some(time::PrimitiveDateTime::new(date, clock).assume_utc())
}

/// One DER element: its tag, its content octets, and all its bytes.
#[derive(Clone, Copy)]
struct Tlv<'a> {
    tag: Tag,
    value: &'a [u8],
    raw: &'a [u8],
}

impl<'a> Tlv<'a> {
    /// `bytes` as exactly one element, nothing after it.
    fn whole(bytes: &'a [u8], what: &'static str) -> Result<Tlv<'a>, TsaError> {
        match Tlv::all(bytes, what)?.as_slice() {
            [one] => Ok(*one),
            _ => Err(malformed(what)),
        }
    }

    /// The consecutive elements that make up `bytes`.
    fn all(bytes: &'a [u8], what: &'static str) -> Result<Vec<Tlv<'a>>, TsaError> {
        let err = |source| TsaError::Malformed { what, source };
        let mut reader = SliceReader::new(bytes).map_err(err)?;
        let mut out = Vec::new();
        while !reader.is_finished() {
            let start = usize::try_from(reader.position()).map_err(err)?;
            let any = AnyRef::decode(&mut reader).map_err(err)?;
            let end = usize::try_from(reader.position()).map_err(err)?;
            let raw = bytes.get(start..end).ok_or_else(|| malformed(what))?;
            out.push(Tlv {
                tag: any.tag(),
                value: any.value(),
                raw,
            });
        }
        Ok(out)
    }

    /// Refuses an element whose tag is not `tag`.
    fn expect(&self, tag: Tag, what: &'static str) -> Result<(), TsaError> {
        if self.tag == tag {
            Ok(())
        } else {
            Err(malformed(what))
        }
    }

    /// The elements inside a constructed element tagged `tag`.
    fn children(&self, tag: Tag, what: &'static str) -> Result<Vec<Tlv<'a>>, TsaError> {
        self.expect(tag, what)?;
        Tlv::all(self.value, what)
    }

    /// Decodes the element as `T`.
    fn decode<T: Decode<'a, Error = der::Error>>(&self, what: &'static str) -> Result<T, TsaError> {
        T::from_der(self.raw).map_err(|source| TsaError::Malformed { what, source })
    }
}

/// A [`TsaError::Malformed`] for a SEQUENCE of `len` bytes that ends
/// before its last required field, as the DER decoder words it.
fn incomplete(what: &'static str, len: usize) -> TsaError {
    let len = der::Length::try_from(len).unwrap_or(der::Length::ZERO);
    TsaError::Malformed {
        what,
        source: der::ErrorKind::Incomplete {
            expected_len: (len + der::Length::ONE).unwrap_or(len),
            actual_len: len,
        }
        .into(),
    }
}

/// A [`TsaError::Malformed`] for a structure that decodes but has the wrong shape.
fn malformed(what: &'static str) -> TsaError {
    TsaError::Malformed {
        what,
        source: der::ErrorKind::Failed.into(),
    }
}

/// Verifies steps 1 to 3: the token is a time stamp over `imprint`, signed
/// by the key of its signer certificate, which is reserved for time
/// stamping. The result says [`Trust::Untrusted`]: nothing ties that
/// certificate to anyone.
pub fn verify_untrusted(token: &Token, imprint: &[u8; 32]) -> Result<Stamp, TsaError> {
    let signer = check_signed(token, imprint)?;
    Ok(stamp(token, signer, Trust::Untrusted))
}

/// Verifies all four steps: [`verify_untrusted`]'s, and the chain from the
/// signer certificate through the token's certificates to one of `anchors`,
/// every certificate valid at the time stamp's time.
pub fn verify(token: &Token, imprint: &[u8; 32], anchors: &[Anchor]) -> Result<Stamp, TsaError> {
    verify_with(token, imprint, &TrustStore::new(anchors.to_vec()))
}

/// [`verify`] with a [`TrustStore`]: its anchors, and its untrusted
/// intermediates besides the token's certificates for the chain.
pub fn verify_with(
    token: &Token,
    imprint: &[u8; 32],
    store: &TrustStore,
) -> Result<Stamp, TsaError> {
    if store.anchors.is_empty() {
        return Err(TsaError::NoAnchors);
    }
    let signer = check_signed(token, imprint)?;
    // 4. The chain to a trust anchor.
    let anchor = chain::check_chain(signer, &token.certs, store, token.tst.gen_time)?;
    Ok(stamp(token, signer, Trust::Anchored(anchor)))
}

/// Steps 1 to 3; returns the signer certificate.
fn check_signed<'t>(token: &'t Token, imprint: &[u8; 32]) -> Result<&'t Cert, TsaError> {
    // 1. The TSTInfo is over our hash.
    check_imprint(&token.tst, imprint)?;
    // 2. The CMS signature, with the signer certificate from the token.
    let signer = check_signature(token)?;
    // 3. That certificate is for time stamping only.
    check_eku(&signer.cert)?;
    Ok(signer)
}

/// The [`Stamp`] of a token whose signer is `signer`.
fn stamp(token: &Token, signer: &Cert, trust: Trust) -> Stamp {
    let tst = &token.tst;
    Stamp {
        gen_time: tst.gen_time,
        tsa: short_name(signer.cert.tbs_certificate().subject()),
        tsa_name: tst.tsa.clone(),
        serial: hex(&tst.serial),
        policy: tst.policy.to_string(),
        trust,
    }
}

impl Stamp {
    /// The time as RFC 3339 in UTC, e.g. `2026-11-30T09:15:02Z`.
    pub fn time_rfc3339(&self) -> String {
        rfc3339(self.gen_time)
    }
}

/// `t` as RFC 3339 (always representable for a four-digit year in UTC).
fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.to_string())
}

/// Step 1: the message imprint is SHA-256 and equals `imprint`.
fn check_imprint(tst: &TstInfo, imprint: &[u8; 32]) -> Result<(), TsaError> {
    if HashAlg::from_alg(&tst.imprint_alg) != Some(HashAlg::Sha256) {
        return Err(TsaError::ImprintAlgorithm(tst.imprint_alg.oid.to_string()));
    }
    if tst.imprint != imprint {
        return Err(TsaError::ImprintMismatch {
            expected: hex(imprint),
            found: hex(&tst.imprint),
        });
    }
    Ok(())
}

/// Step 2: the signed attributes bind the TSTInfo, the signature over them
/// verifies with the signer certificate's key, and the ESS
/// signing-certificate attribute (if present) names that certificate.
fn check_signature(token: &Token) -> Result<&Cert, TsaError> {
    let signer = &token.signer;
    // 2a. The signer certificate, as the SignerIdentifier names it.
    let cert = find_signer(token)?;
    let hash =
        HashAlg::from_alg(&signer.digest_alg).ok_or_else(|| TsaError::UnsupportedAlgorithm {
            what: "digest",
            oid: signer.digest_alg.oid.to_string(),
        })?;
    // 2b. content-type = id-ct-TSTInfo.
    let content_type =
        single_attribute(signer, oid::ATTR_CONTENT_TYPE).ok_or(TsaError::ContentTypeAttribute)?;
    if ObjectIdentifier::from_der(content_type).ok() != Some(oid::CT_TST_INFO) {
        return Err(TsaError::ContentTypeAttribute);
    }
    // 2c. message-digest = hash of the TSTInfo.
    let digest = single_attribute(signer, oid::ATTR_MESSAGE_DIGEST)
        .ok_or(TsaError::MessageDigestMismatch)?;
    let digest =
        <&OctetStringRef>::from_der(digest).map_err(|_| TsaError::MessageDigestMismatch)?;
    if digest.as_bytes() != hash.digest(&token.tst_der) {
        return Err(TsaError::MessageDigestMismatch);
    }
    // 2d. The signature over the DER SET OF signed attributes.
    let alg = SigAlg::for_signer(&signer.sig_alg, hash)?;
    let spki = cert.cert.tbs_certificate().subject_public_key_info();
    verify_signature(spki, alg, &signer.attrs_der, &signer.signature).map_err(|e| match e {
        KeyFailure::Invalid => TsaError::SignatureInvalid,
        other => other.into_error(cert),
    })?;
    // 2e. ESSCertID / ESSCertIDv2.
    check_signing_certificate(signer, cert)?;
    Ok(cert)
}

/// The one value of the signed attribute `oid`; `None` if absent, repeated
/// or multi-valued.
fn single_attribute(signer: &SignerInfo, oid: ObjectIdentifier) -> Option<&[u8]> {
    optional_attribute(signer, oid).ok().flatten()
}

/// The one value of the signed attribute `oid`, `None` if absent; an error
/// if the attribute is repeated or has other than one value.
fn optional_attribute(signer: &SignerInfo, oid: ObjectIdentifier) -> Result<Option<&[u8]>, ()> {
    let mut found = signer.attrs.iter().filter(|a| a.oid == oid);
    match (found.next(), found.next()) {
        (None, _) => Ok(None),
        (Some(attr), None) => match attr.values.as_slice() {
            [value] => Ok(Some(value)),
            _ => Err(()),
        },
        (Some(_), Some(_)) => Err(()),
    }
}

/// The certificate among the token's that the SignerIdentifier names.
fn find_signer(token: &Token) -> Result<&Cert, TsaError> {
    let found = token.certs.iter().find(|c| {
        let tbs = c.cert.tbs_certificate();
        match &token.signer.sid {
            SignerId::IssuerSerial(issuer, serial) => {
                tbs.issuer() == issuer && tbs.serial_number().to_der().ok().as_ref() == Some(serial)
            }
            SignerId::KeyId(id) => matches!(
                tbs.get_extension::<SubjectKeyIdentifier>(),
                Ok(Some((_, ski))) if ski.0.as_bytes() == id.as_slice()
            ),
        }
    });
    found.ok_or(TsaError::SignerCertificateMissing)
}

/// `IssuerSerial ::= SEQUENCE { issuer GeneralNames, serialNumber }`.
#[derive(Sequence)]
struct IssuerSerial {
    issuer: Vec<GeneralName>,
    serial_number: der::asn1::Int,
}

/// `ESSCertID ::= SEQUENCE { certHash (SHA-1), issuerSerial OPTIONAL }` (RFC 2634).
#[derive(Sequence)]
struct EssCertId {
    cert_hash: OctetString,
    issuer_serial: Option<IssuerSerial>,
}

/// `ESSCertIDv2 ::= SEQUENCE { hashAlgorithm DEFAULT sha256, certHash, issuerSerial OPTIONAL }` (RFC 5035).
#[derive(Sequence)]
struct EssCertIdV2 {
    hash_algorithm: Option<AlgorithmIdentifierOwned>,
    cert_hash: OctetString,
    issuer_serial: Option<IssuerSerial>,
}

/// `SigningCertificate ::= SEQUENCE { certs SEQUENCE OF ESSCertID, policies OPTIONAL }`.
#[derive(Sequence)]
struct SigningCertificate {
    certs: Vec<EssCertId>,
    policies: Option<der::asn1::Any>,
}

/// `SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2, policies OPTIONAL }`.
#[derive(Sequence)]
struct SigningCertificateV2 {
    certs: Vec<EssCertIdV2>,
    policies: Option<der::asn1::Any>,
}

/// Step 2e: the ESS signing-certificate attribute, v1 or v2, is present
/// (RFC 3161 section 2.4.1: it MUST be; RFC 5816 allows v2) and its first
/// ESSCertID(v2) names the signer certificate: its hash, and its issuer and
/// serial number where given. Both are checked when both are present.
fn check_signing_certificate(signer: &SignerInfo, cert: &Cert) -> Result<(), TsaError> {
    let repeated = |()| TsaError::SigningCertificateMismatch;
    let v2 = optional_attribute(signer, oid::ATTR_SIGNING_CERT_V2).map_err(repeated)?;
    let v1 = optional_attribute(signer, oid::ATTR_SIGNING_CERT).map_err(repeated)?;
    if v1.is_none() && v2.is_none() {
        return Err(TsaError::SigningCertificateAbsent);
    }
    if let Some(value) = v2 {
        check_ess_v2(value, cert)?;
    }
    if let Some(value) = v1 {
        check_ess_v1(value, cert)?;
    }
    Ok(())
}

/// Step 2e for `SigningCertificateV2` (RFC 5035).
fn check_ess_v2(value: &[u8], cert: &Cert) -> Result<(), TsaError> {
    let attr =
        SigningCertificateV2::from_der(value).map_err(|_| TsaError::SigningCertificateMismatch)?;
    let id = attr
        .certs
        .first()
        .ok_or(TsaError::SigningCertificateMismatch)?;
    let hash = match &id.hash_algorithm {
        None => HashAlg::Sha256,
        Some(alg) => HashAlg::from_alg(alg).ok_or(TsaError::SigningCertificateMismatch)?,
    };
    let ours = hash.digest(&cert.der);
    check_cert_id(cert, &ours, &id.cert_hash, id.issuer_serial.as_ref())
}

/// Step 2e for `SigningCertificate` (RFC 2634): a SHA-1 hash.
fn check_ess_v1(value: &[u8], cert: &Cert) -> Result<(), TsaError> {
    let attr =
        SigningCertificate::from_der(value).map_err(|_| TsaError::SigningCertificateMismatch)?;
    let id = attr
        .certs
        .first()
        .ok_or(TsaError::SigningCertificateMismatch)?;
    let ours = sha1::Sha1::digest(&cert.der).to_vec();
    check_cert_id(cert, &ours, &id.cert_hash, id.issuer_serial.as_ref())
}

/// Compares one ESSCertID(v2) with the certificate whose hash is `ours`.
fn check_cert_id(
    cert: &Cert,
    ours: &[u8],
    theirs: &OctetString,
    issuer_serial: Option<&IssuerSerial>,
) -> Result<(), TsaError> {
    if ours != theirs.as_bytes() {
        return Err(TsaError::SigningCertificateMismatch);
    }
    if let Some(is) = issuer_serial {
        let tbs = cert.cert.tbs_certificate();
        let issuer_named = is
            .issuer
            .iter()
            .any(|g| matches!(g, GeneralName::DirectoryName(n) if n == tbs.issuer()));
        let serial_ok = is.serial_number.as_bytes() == tbs.serial_number().as_bytes();
        if !issuer_named || !serial_ok {
            return Err(TsaError::SigningCertificateMismatch);
        }
    }
    Ok(())
}

/// Step 3: the extended key usage is critical and is id-kp-timeStamping alone
/// (RFC 3161 section 2.3).
fn check_eku(cert: &Certificate) -> Result<(), TsaError> {
    let subject = || display_name(cert.tbs_certificate().subject());
    let eku = cert
        .tbs_certificate()
        .get_extension::<ExtendedKeyUsage>()
        .map_err(|source| TsaError::Malformed {
            what: "extended key usage",
            source,
        })?;
    let Some((critical, eku)) = eku else {
        return Err(TsaError::EkuMissing { subject: subject() });
    };
    if eku.0 != [oid::KP_TIME_STAMPING] {
        return Err(TsaError::EkuNotTimeStampingOnly { subject: subject() });
    }
    if !critical {
        return Err(TsaError::EkuNotCritical { subject: subject() });
    }
    Ok(())
}

/// The certificate's validity period contains `at`.
fn check_valid_at(cert: &Certificate, at: OffsetDateTime) -> Result<(), TsaError> {
    let validity = cert.tbs_certificate().validity();
    let nanos = |t: x509_cert::time::Time| {
        i128::try_from(t.to_unix_duration().as_nanos()).unwrap_or(i128::MAX)
    };
    let t = at.unix_timestamp_nanos();
    if nanos(validity.not_before) <= t && t <= nanos(validity.not_after) {
        Ok(())
    } else {
        Err(TsaError::CertificateNotValid {
            subject: display_name(cert.tbs_certificate().subject()),
            time: rfc3339(at),
        })
    }
}

/// The digests this module computes for signatures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum HashAlg {
    Sha256,
    Sha384,
    Sha512,
}

impl HashAlg {
    /// The SHA-2 digest an AlgorithmIdentifier names, with absent or NULL parameters.
    fn from_alg(alg: &AlgorithmIdentifierOwned) -> Option<HashAlg> {
        if alg.parameters.as_ref().is_some_and(|p| !p.is_null()) {
            return None;
        }
        HashAlg::from_oid(alg.oid)
    }

    fn from_oid(oid: ObjectIdentifier) -> Option<HashAlg> {
        match oid {
            oid::SHA256 => Some(HashAlg::Sha256),
            oid::SHA384 => Some(HashAlg::Sha384),
            oid::SHA512 => Some(HashAlg::Sha512),
            _ => None,
        }
    }

    fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            HashAlg::Sha256 => sha2::Sha256::digest(data).to_vec(),
            HashAlg::Sha384 => sha2::Sha384::digest(data).to_vec(),
            HashAlg::Sha512 => sha2::Sha512::digest(data).to_vec(),
        }
    }

    /// The DER DigestInfo prefix of PKCS#1 v1.5 signatures (RFC 8017 section 9.2).
    fn pkcs1_prefix(self) -> &'static [u8] {
        match self {
            HashAlg::Sha256 => &[
                0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x01, 0x05, 0x00, 0x04, 0x20,
            ],
            HashAlg::Sha384 => &[
                0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x02, 0x05, 0x00, 0x04, 0x30,
            ],
            HashAlg::Sha512 => &[
                0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x03, 0x05, 0x00, 0x04, 0x40,
            ],
        }
    }
}

/// The signature schemes this module verifies for the SignerInfo.
#[derive(Clone, Copy, Debug)]
enum SigAlg {
    RsaPkcs1(HashAlg),
    /// RSASSA-PSS with this hash for the message and MGF1, and this salt length.
    RsaPss(HashAlg, usize),
    Ecdsa(HashAlg),
    Ed25519,
}

/// `RSASSA-PSS-params` (RFC 8017 appendix A.2.3); absent fields take the
/// defaults (SHA-1, MGF1 with SHA-1, 20, 1), which are refused but SHA-1.
#[derive(Sequence)]
struct PssParams {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    hash: Option<AlgorithmIdentifierOwned>,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    mask_gen: Option<AlgorithmIdentifierOwned>,
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT", optional = "true")]
    salt_length: Option<u32>,
    #[asn1(context_specific = "3", tag_mode = "EXPLICIT", optional = "true")]
    trailer_field: Option<u8>,
}

impl SigAlg {
    /// A SignerInfo's signatureAlgorithm: CMS also names just the key type
    /// (rsaEncryption, id-ecPublicKey), the hash being the digestAlgorithm.
    fn for_signer(alg: &AlgorithmIdentifierOwned, digest: HashAlg) -> Result<SigAlg, TsaError> {
        let unsupported = || TsaError::UnsupportedAlgorithm {
            what: "signature",
            oid: alg.oid.to_string(),
        };
        match alg.oid {
            oid::RSA => Ok(SigAlg::RsaPkcs1(digest)),
            oid::EC_PUBLIC_KEY => Ok(SigAlg::Ecdsa(digest)),
            oid::RSA_SHA256 => Ok(SigAlg::RsaPkcs1(HashAlg::Sha256)),
            oid::RSA_SHA384 => Ok(SigAlg::RsaPkcs1(HashAlg::Sha384)),
            oid::RSA_SHA512 => Ok(SigAlg::RsaPkcs1(HashAlg::Sha512)),
            oid::ECDSA_SHA256 => Ok(SigAlg::Ecdsa(HashAlg::Sha256)),
            oid::ECDSA_SHA384 => Ok(SigAlg::Ecdsa(HashAlg::Sha384)),
            oid::ECDSA_SHA512 => Ok(SigAlg::Ecdsa(HashAlg::Sha512)),
            oid::ED25519 => Ok(SigAlg::Ed25519),
            oid::RSASSA_PSS => SigAlg::pss(alg).ok_or_else(unsupported),
            _ => Err(unsupported()),
        }
    }

    /// RSASSA-PSS with SHA-2, MGF1 over the same hash and trailer 1.
    fn pss(alg: &AlgorithmIdentifierOwned) -> Option<SigAlg> {
        let params = PssParams::from_der(&alg.parameters.as_ref()?.to_der().ok()?).ok()?;
        let hash = HashAlg::from_alg(params.hash.as_ref()?)?;
        let mgf = params.mask_gen.as_ref()?;
        let mgf_hash = mgf
            .parameters
            .as_ref()?
            .decode_as::<AlgorithmIdentifierOwned>()
            .ok()?;
        if mgf.oid != oid::MGF1 || HashAlg::from_alg(&mgf_hash) != Some(hash) {
            return None;
        }
        if params.trailer_field.unwrap_or(1) != 1 {
            return None;
        }
        let salt = usize::try_from(params.salt_length.unwrap_or(20)).ok()?;
        Some(SigAlg::RsaPss(hash, salt))
    }
}

/// Why a signature could not be verified.
enum KeyFailure {
    /// The key is of a type or curve this module does not verify.
    Unsupported(String),
    /// The key is not of the type the signature algorithm needs, or broken.
    Unusable(&'static str),
    /// The signature does not verify.
    Invalid,
}

impl KeyFailure {
    /// The error for a failure other than [`KeyFailure::Invalid`] with `cert`'s key.
    fn into_error(self, cert: &Cert) -> TsaError {
        match self {
            KeyFailure::Unsupported(oid) => TsaError::UnsupportedAlgorithm {
                what: "public key",
                oid,
            },
            KeyFailure::Unusable(problem) => TsaError::BadPublicKey {
                subject: cert.subject(),
                problem,
            },
            KeyFailure::Invalid => TsaError::SignatureInvalid,
        }
    }
}

/// Verifies `signature` over `message` with the key `spki` under `alg`.
fn verify_signature(
    spki: &SubjectPublicKeyInfoOwned,
    alg: SigAlg,
    message: &[u8],
    signature: &[u8],
) -> Result<(), KeyFailure> {
    let key = spki
        .subject_public_key
        .as_bytes()
        .ok_or(KeyFailure::Unusable("not a whole number of bytes"))?;
    let curve = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
    match (alg, spki.algorithm.oid, curve) {
        (SigAlg::RsaPkcs1(hash), oid::RSA, _) => {
            algs::verify_rsa_pkcs1(key, hash, message, signature)
        }
        (SigAlg::RsaPss(hash, salt), oid::RSA | oid::RSASSA_PSS, _) => {
            algs::verify_rsa_pss(key, hash, salt, message, signature)
        }
        (SigAlg::Ecdsa(hash), oid::EC_PUBLIC_KEY, Some(curve)) => {
            let curve = match curve {
                oid::P256 => algs::Curve::P256,
                oid::P384 => algs::Curve::P384,
                oid::P521 => algs::Curve::P521,
                other => return Err(KeyFailure::Unsupported(other.to_string())),
            };
            algs::verify_ecdsa(curve, hash, key, message, signature)
        }
        (SigAlg::Ecdsa(_), oid::EC_PUBLIC_KEY, None) => {
            Err(KeyFailure::Unsupported("(no named curve)".into()))
        }
        (SigAlg::Ed25519, oid::ED25519, _) => {
            let key =
                <[u8; 32]>::try_from(key).map_err(|_| KeyFailure::Unusable("not 32 bytes"))?;
            let key = ed25519_dalek::VerifyingKey::from_bytes(&key)
                .map_err(|_| KeyFailure::Unusable("not an Ed25519 point"))?;
            let sig =
                ed25519_dalek::Signature::from_slice(signature).map_err(|_| KeyFailure::Invalid)?;
            key.verify_strict(message, &sig)
                .map_err(|_| KeyFailure::Invalid)
        }
        (_, oid::RSA | oid::RSASSA_PSS | oid::EC_PUBLIC_KEY | oid::ED25519, _) => Err(
            KeyFailure::Unusable("its type does not match the signature algorithm"),
        ),
        (_, other, _) => Err(KeyFailure::Unsupported(other.to_string())),
    }
}

/// A name as people read it: its common name, else its organisation, else
/// the whole RFC 4514 string; printable.
fn short_name(name: &Name) -> String {
    let part = match name.common_name() {
        Ok(Some(cn)) => Some(cn.value().into_owned()),
        _ => match name.organization() {
            Ok(Some(o)) => Some(o.value().into_owned()),
            _ => None,
        },
    };
    match part {
        Some(p) => printable(&p),
        None => display_name(name),
    }
}

/// A whole name as an RFC 4514 string, printable.
fn display_name(name: &Name) -> String {
    printable(&name.to_string())
}

/// A GeneralName (the TSTInfo `tsa` field) as people read it.
fn display_general_name(name: &GeneralName) -> String {
    match name {
        GeneralName::DirectoryName(n) => display_name(n),
        GeneralName::DnsName(s)
        | GeneralName::Rfc822Name(s)
        | GeneralName::UniformResourceIdentifier(s) => printable(s.as_str()),
        _ => "(a name of another form)".into(),
    }
}

/// `text` with control characters escaped, at most 200 characters: names
/// come from untrusted tokens and end up on terminals.
pub fn printable(text: &str) -> String {
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i == 200 {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_is_a_sha256_time_stamp_req_with_nonce_and_cert_req() {
        let req = request(&[0xab; 32], 0x8000_0000_0000_0000);
        let items = Tlv::whole(&req, "req")
            .unwrap()
            .children(Tag::Sequence, "req")
            .unwrap();
        assert_eq!(items.len(), 4);
        assert_eq!(items[0].decode::<u8>("version").unwrap(), 1);
        let imprint: MessageImprint<'_> = items[1].decode("imprint").unwrap();
        assert_eq!(imprint.hash_algorithm.oid, oid::SHA256);
        assert!(imprint.hash_algorithm.parameters.unwrap().is_null());
        assert_eq!(imprint.hashed_message.as_bytes(), &[0xab; 32]);
        assert_eq!(items[2].raw, [0x02, 0x09, 0x00, 0x80, 0, 0, 0, 0, 0, 0, 0]);
        assert!(items[3].decode::<bool>("certReq").unwrap());
    }

    #[test]
    fn nonces_are_minimal_positive_der_integers() {
        for n in [
            0,
            1,
            0x7f,
            0x80,
            0xff,
            0x100,
            0x7fff_ffff,
            u64::MAX >> 1,
            u64::MAX,
        ] {
            assert_eq!(tlv(0x02, &der_uint(n)), n.to_der().unwrap(), "{n:#x}");
        }
    }

    #[test]
    fn long_lengths_are_definite_and_minimal() {
        assert_eq!(tlv(0x04, &[0; 127])[..2], [0x04, 0x7f]);
        assert_eq!(tlv(0x04, &[0; 128])[..3], [0x04, 0x81, 0x80]);
        assert_eq!(tlv(0x04, &[0; 300])[..4], [0x04, 0x82, 0x01, 0x2c]);
    }

    fn utc(y: i32, mo: u8, d: u8, h: u8, mi: u8, s: u8, nanos: u32) -> OffsetDateTime {
        let date =
            time::Date::from_calendar_date(y, time::Month::try_from(mo).unwrap(), d).unwrap();
        let clock = time::Time::from_hms_nano(h, mi, s, nanos).unwrap();
        time::PrimitiveDateTime::new(date, clock).assume_utc()
    }

    #[test]
    fn gen_time_is_read_with_its_fraction() {
        let t = parse_gen_time(b"20261130091502Z").unwrap();
        assert_eq!(t, utc(2026, 11, 30, 9, 15, 2, 0));
        assert_eq!(rfc3339(t), "2026-11-30T09:15:02Z");
        let t = parse_gen_time(b"20261130091502.125Z").unwrap();
        assert_eq!(t, utc(2026, 11, 30, 9, 15, 2, 125_000_000));
        assert_eq!(rfc3339(t), "2026-11-30T09:15:02.125Z");
        let t = parse_gen_time(b"20240229235959.000000001Z").unwrap();
        assert_eq!(t, utc(2024, 2, 29, 23, 59, 59, 1));
    }

    #[test]
    fn gen_time_that_is_not_der_or_not_utc_is_refused() {
        for bad in [
            "20261130091502",
            "20261130091502.120Z",
            "20261130091502.Z",
            "20261130091502.1234567891Z",
            "20261130091502+0100",
            "202611300915Z",
            "20261330091502Z",
            "20250229091502Z",
            "20261130241502Z",
            "20261130091560Z",
            "2026113009150aZ",
            "+2026113009150Z",
            "20261130091502.-1Z",
        ] {
            assert_eq!(parse_gen_time(bad.as_bytes()), None, "{bad}");
        }
    }

    /// A TimeStampResp with the status `code`, the text and the failInfo BIT STRING given.
    fn response(code: u8, text: Option<&str>, fail_info: Option<&[u8]>) -> Vec<u8> {
        let mut info = tlv(0x02, &[code]);
        if let Some(text) = text {
            info.extend(tlv(0x30, &tlv(0x0c, text.as_bytes())));
        }
        if let Some(bits) = fail_info {
            info.extend(tlv(0x03, bits));
        }
        tlv(0x30, &tlv(0x30, &info))
    }

    #[test]
    fn a_refusal_names_status_failure_and_text() {
        // badRequest (bit 2) and systemFailure (bit 25); six unused bits.
        let der = response(2, Some("busy"), Some(&[0x06, 0x20, 0x00, 0x00, 0x40]));
        match parse_response(&der) {
            Err(TsaError::Rejected {
                status,
                fail_info,
                text,
            }) => {
                assert_eq!(status, "rejection");
                assert_eq!(fail_info, "badRequest, systemFailure");
                assert_eq!(text, ": \"busy\"");
            }
            other => panic!("{other:?}"),
        }
        let err = parse_response(&response(3, None, None)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the time stamp authority refused the request: status waiting, failure none"
        );
        let err = parse_response(&response(9, None, Some(&[0x07, 0x80]))).unwrap_err();
        assert!(
            err.to_string().contains("status 9, failure badAlg"),
            "{err}"
        );
    }

    #[test]
    fn a_refusal_text_cannot_reach_the_terminal_raw() {
        let err = parse_response(&response(2, Some("red\u{1b}[31m\nline"), None)).unwrap_err();
        let message = err.to_string();
        assert!(!message.chars().any(char::is_control), "{message:?}");
        assert!(message.contains("red\\u{1b}[31m\\nline"), "{message}");
        assert_eq!(printable(&"x".repeat(500)).chars().count(), 201);
    }

    #[test]
    fn granted_without_a_token_is_an_error() {
        assert!(matches!(
            parse_response(&response(0, None, None)),
            Err(TsaError::NoToken)
        ));
        assert!(matches!(
            parse_response(&response(1, None, None)),
            Err(TsaError::NoToken)
        ));
    }

    #[test]
    fn responses_of_the_wrong_shape_are_malformed() {
        let cases: [&[u8]; 6] = [
            &[0x30, 0x00],
            &[0x30, 0x02, 0x30, 0x00],
            &[0x30, 0x03, 0x02, 0x01, 0x00],
            &[0x30, 0x80, 0x30, 0x03, 0x02, 0x01, 0x00, 0x00, 0x00],
            &[0x30, 0x81, 0x05, 0x30, 0x03, 0x02, 0x01, 0x00],
            &[0x31, 0x05, 0x30, 0x03, 0x02, 0x01, 0x00],
        ];
        for der in cases {
            let err = parse_response(der).unwrap_err();
            assert!(
                matches!(err, TsaError::Malformed { .. }),
                "{der:02x?}: {err}"
            );
        }
        let mut bad = response(2, None, None);
        assert_eq!(bad[4], 0x02);
        bad[4] = 0x04; // the status INTEGER made an OCTET STRING
        assert!(matches!(
            parse_response(&bad),
            Err(TsaError::Malformed { .. })
        ));
    }

    #[test]
    fn a_token_that_is_not_signed_data_is_named_so() {
        // ContentInfo { id-data, [0] OCTET STRING "x" }
        let data = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
        let mut body = data.to_der().unwrap();
        body.extend(tlv(0xa0, &tlv(0x04, b"x")));
        let err = parse_token(&tlv(0x30, &body)).unwrap_err();
        assert!(matches!(err, TsaError::NotATimeStampToken(_)), "{err}");
    }

    /// A signer whose only signed attribute is `attr` (with `values`).
    fn signer_with(attrs: Vec<Attribute>) -> SignerInfo {
        SignerInfo {
            sid: SignerId::KeyId(Vec::new()),
            digest_alg: AlgorithmIdentifierOwned {
                oid: oid::SHA256,
                parameters: None,
            },
            attrs_der: Vec::new(),
            attrs,
            sig_alg: AlgorithmIdentifierOwned {
                oid: oid::ECDSA_SHA256,
                parameters: None,
            },
            signature: Vec::new(),
        }
    }

    /// The seed CA certificate, as a token's certificate.
    fn seed_cert() -> Cert {
        let anchor =
            &Anchor::from_pem(include_bytes!("../../../fuzz/seeds/tsa/ca.pem")).unwrap()[0];
        Cert {
            der: anchor.der.clone(),
            cert: anchor.cert.clone(),
        }
    }

    /// A signing-certificate-v2 attribute naming the certificate of SHA-256 `hash`.
    fn ess_v2(hash: Vec<u8>, issuer_serial: Option<IssuerSerial>) -> Attribute {
        let value = SigningCertificateV2 {
            certs: vec![EssCertIdV2 {
                hash_algorithm: None,
                cert_hash: OctetString::new(hash).unwrap(),
                issuer_serial,
            }],
            policies: None,
        };
        Attribute {
            oid: oid::ATTR_SIGNING_CERT_V2,
            values: vec![value.to_der().unwrap()],
        }
    }

    #[test]
    fn the_ess_attribute_must_be_there_and_name_the_signer() {
        let cert = seed_cert();
        let ours = sha2::Sha256::digest(&cert.der).to_vec();
        let ok = signer_with(vec![ess_v2(ours.clone(), None)]);
        assert!(check_signing_certificate(&ok, &cert).is_ok());
        let tbs = cert.cert.tbs_certificate();
        let serial = der::asn1::Int::new(tbs.serial_number().as_bytes()).unwrap();
        let right = IssuerSerial {
            issuer: vec![GeneralName::DirectoryName(tbs.issuer().clone())],
            serial_number: serial,
        };
        let ok = signer_with(vec![ess_v2(ours.clone(), Some(right))]);
        assert!(check_signing_certificate(&ok, &cert).is_ok());

        let absent = signer_with(Vec::new());
        assert!(matches!(
            check_signing_certificate(&absent, &cert),
            Err(TsaError::SigningCertificateAbsent)
        ));
        let other = signer_with(vec![ess_v2(
            sha2::Sha256::digest(b"another").to_vec(),
            None,
        )]);
        assert!(matches!(
            check_signing_certificate(&other, &cert),
            Err(TsaError::SigningCertificateMismatch)
        ));
        let wrong = IssuerSerial {
            issuer: vec![GeneralName::DirectoryName(tbs.issuer().clone())],
            serial_number: der::asn1::Int::new(&[0x7f]).unwrap(),
        };
        let wrong_serial = signer_with(vec![ess_v2(ours.clone(), Some(wrong))]);
        assert!(matches!(
            check_signing_certificate(&wrong_serial, &cert),
            Err(TsaError::SigningCertificateMismatch)
        ));
        let twice = signer_with(vec![ess_v2(ours.clone(), None), ess_v2(ours, None)]);
        assert!(matches!(
            check_signing_certificate(&twice, &cert),
            Err(TsaError::SigningCertificateMismatch)
        ));
    }

    #[test]
    fn every_error_has_a_lowercase_message_and_a_hint() {
        use crate::Hint;
        let errors = [
            TsaError::TooLarge {
                what: "time stamp token",
                len: 2,
                max: 1,
            },
            malformed("TSTInfo"),
            TsaError::NotATimeStampToken("x"),
            TsaError::NoToken,
            TsaError::NonceMismatch,
            TsaError::ImprintAlgorithm("1.2".into()),
            TsaError::SignerCertificateMissing,
            TsaError::SignatureInvalid,
            TsaError::EkuNotCritical {
                subject: "CN=x".into(),
            },
            TsaError::NoAnchors,
            TsaError::ChainTooLong(8),
            TsaError::SigningCertificateAbsent,
            TsaError::Tls {
                host: "tsa.example".into(),
                problem: "x".into(),
            },
            TsaError::Timeout(FETCH_TIMEOUT),
            TsaError::HttpStatus(404),
        ];
        for e in errors {
            let message = e.to_string();
            assert!(
                message.starts_with(|c: char| !c.is_uppercase()),
                "{message}"
            );
            assert!(e.hint().is_some_and(|h| !h.is_empty()), "{message}");
        }
    }
}
