//! RFC 3161 time stamp requests over HTTP and HTTPS: the one network
//! client of ackreg.
//!
//! What it is for: posting a TimeStampReq to a time stamp authority and
//! bringing the reply back, with `ureq` (blocking) on rustls and the ring
//! provider, under one deadline, through the proxy the environment names,
//! with a TLS client certificate when the authority asks for one.
//!
//! What it must not know: what a token means or whether it is valid. The
//! core library parses and verifies the reply ([`ackreg_core::tsa`]); a
//! token is self-authenticating, so TLS here only keeps the request private
//! and lets the authority know its client. The core never links this
//! crate: it takes any [`Transport`], and this crate's [`Connection`] is one.
#![forbid(unsafe_code)]

mod http;

use std::time::Duration;

use ackreg_core::tsa::{Transport, TsaError, FETCH_TIMEOUT};
use der::Encode as _;
use x509_cert::Certificate;

/// How [`fetch_with`] reaches a TSA.
#[derive(Clone, Debug)]
pub struct Connection {
    /// The deadline of the whole exchange (at most an hour).
    pub timeout: Duration,
    /// The certificate and key to show a TSA that asks for one.
    pub client: Option<ClientIdentity>,
    /// The CA certificates (DER) that the TSA's TLS server certificate must
    /// chain to, instead of the Mozilla roots of `webpki-roots`.
    pub tls_ca: Vec<Vec<u8>>,
}

impl Default for Connection {
    fn default() -> Connection {
        Connection {
            timeout: FETCH_TIMEOUT,
            client: None,
            tls_ca: Vec::new(),
        }
    }
}

/// A TLS client certificate (with any chain after it) and its private key.
#[derive(Clone)]
pub struct ClientIdentity {
    certs: Vec<Vec<u8>>,
    key_pem: zeroize::Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for ClientIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientIdentity")
            .field("certs", &self.certs.len())
            .finish_non_exhaustive()
    }
}

impl ClientIdentity {
    /// The certificates of the PEM `cert` (the client's first) and the PEM
    /// private key `key` (PKCS#8, PKCS#1 or SEC1, unencrypted).
    pub fn from_pem(cert: &[u8], key: &[u8]) -> Result<ClientIdentity, TsaError> {
        let certs = Certificate::load_pem_chain(cert).map_err(|source| TsaError::Malformed {
            what: "TLS client certificate PEM file",
            source,
        })?;
        let certs = certs
            .iter()
            .map(|c| c.to_der())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|source| TsaError::Malformed {
                what: "TLS client certificate PEM file",
                source,
            })?;
        if certs.is_empty() {
            return Err(TsaError::Malformed {
                what: "TLS client certificate PEM file",
                source: der::ErrorKind::Failed.into(),
            });
        }
        ureq::tls::PrivateKey::from_pem(key).map_err(|_| TsaError::ClientKey)?;
        Ok(ClientIdentity {
            certs,
            key_pem: zeroize::Zeroizing::new(key.to_vec()),
        })
    }
}

impl Transport for Connection {
    fn post(&self, url: &str, request: &[u8]) -> Result<Vec<u8>, TsaError> {
        http::post(url, request, self)
    }
}

/// Posts the DER `request` to the TSA at the `http://` or `https://` `url`
/// and returns the reply body (a TimeStampResp for [`ackreg_core::tsa::parse_response`]),
/// within [`FETCH_TIMEOUT`], through the proxy the environment names.
pub fn fetch(url: &str, request: &[u8]) -> Result<Vec<u8>, TsaError> {
    fetch_with(url, request, &Connection::default())
}

/// [`fetch`] with another overall time limit (at most an hour).
pub fn fetch_within(url: &str, request: &[u8], timeout: Duration) -> Result<Vec<u8>, TsaError> {
    let conn = Connection {
        timeout,
        ..Connection::default()
    };
    fetch_with(url, request, &conn)
}

/// [`fetch`] as `conn` says: deadline, TLS client certificate, TLS roots.
pub fn fetch_with(url: &str, request: &[u8], conn: &Connection) -> Result<Vec<u8>, TsaError> {
    http::post(url, request, conn)
}
