//! The accept loop: HTTP/1.1 over plain TCP on loopback, or over TLS
//! (rustls) when the desk serves a network.
//!
//! Each connection gets its peer address (for the rate limit), a limit on
//! how long its headers may take, and a place among a bounded number of
//! connections.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt as _;

use super::DeskError;

/// Most connections served at once.
pub const MAX_CONNECTIONS: usize = 4096;
/// How long a client may take to send a request's headers or finish TLS.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// The peer's address, as handlers see it.
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub SocketAddr);

/// A TLS certificate chain and its private key, PEM files.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// The certificate chain.
    pub cert: PathBuf,
    /// The private key.
    pub key: PathBuf,
}

impl TlsFiles {
    /// A rustls acceptor for these files (TLS 1.2 and 1.3, HTTP/1.1).
    pub fn acceptor(&self) -> Result<TlsAcceptor, DeskError> {
        use rustls_pki_types::pem::PemObject as _;
        use rustls_pki_types::{CertificateDer, PrivateKeyDer};
        let tls = |what: &PathBuf, e: &dyn std::fmt::Display| {
            DeskError::Tls(format!("{}: {e}", what.display()))
        };
        let certs = CertificateDer::pem_file_iter(&self.cert)
            .and_then(|i| i.collect::<Result<Vec<_>, _>>())
            .map_err(|e| tls(&self.cert, &e))?;
        if certs.is_empty() {
            return Err(tls(&self.cert, &"no certificate in the file"));
        }
        let key = PrivateKeyDer::from_pem_file(&self.key).map_err(|e| tls(&self.key, &e))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| tls(&self.cert, &e))?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|e| tls(&self.key, &e))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(TlsAcceptor::from(Arc::new(config)))
    }
}

/// Serves `app` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    tls: Option<TlsAcceptor>,
    shutdown: impl Future<Output = ()>,
) {
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    tokio::pin!(shutdown);
    loop {
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let accepted = tokio::select! {
            a = listener.accept() => a,
            () = &mut shutdown => return,
        };
        let Ok((tcp, peer)) = accepted else {
            // Out of file descriptors, or a connection reset before it
            // was accepted: wait a moment rather than spin.
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let (app, tls) = (app.clone(), tls.clone());
        tokio::spawn(async move {
            match tls {
                None => connection(tcp, peer, app).await,
                Some(acceptor) => {
                    if let Ok(Ok(stream)) =
                        tokio::time::timeout(HEADER_TIMEOUT, acceptor.accept(tcp)).await
                    {
                        connection(stream, peer, app).await;
                    }
                }
            }
            drop(slot);
        });
    }
}

async fn connection<S>(stream: S, peer: SocketAddr, app: Router)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let app = app.map_request(move |mut req: axum::http::Request<hyper::body::Incoming>| {
        req.extensions_mut().insert(Peer(peer));
        req
    });
    let service = TowerToHyperService::new(app);
    let _ = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .serve_connection(TokioIo::new(stream), service)
        .await;
}
