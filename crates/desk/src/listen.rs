//! The accept loop: HTTP/1.1 over plain TCP on loopback, or over TLS
//! (rustls) when the desk serves a network.
//!
//! Each connection gets its peer address (for the rate limit and the
//! request lines), a limit on how long its headers may take and on how
//! long each request's body may take, and a place among a bounded number
//! of connections, of which one address holds a bounded share: a client
//! that sends headers and then trickles (or withholds) its body is cut
//! off after [`BODY_TIMEOUT`], and one address cannot take every place.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Bytes;
use hyper::body::{Frame, Incoming, SizeHint};

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
/// Most connections served at once from one address (an IPv4 address, or
/// an IPv6 /64 network, which one client usually holds whole). An office
/// behind one NAT address shares it: a browser keeps about six
/// connections to a site, so this serves some forty people signing at the
/// very same moment, and more in practice, as idle connections close
/// after [`HEADER_TIMEOUT`]. A connection over the limit is closed at once.
pub const MAX_PER_ADDRESS: usize = 256;
/// How long a client may take to send a request's headers or finish TLS
/// (and how long an idle kept-alive connection stays open).
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a client may take to send a request's body, counted from the
/// end of its headers (the largest body, 64 KiB, needs 6.4 KB/s). Past it
/// the body fails, the request is answered 400 and the connection closes.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);

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
    let addresses = Arc::new(Addresses::default());
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
        let Some(place) = addresses.take(peer.ip()) else {
            // Over its address's share: closed at once (dropping it).
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
            drop(place);
            drop(slot);
        });
    }
}

/// How many connections each address holds.
#[derive(Debug, Default)]
struct Addresses {
    held: std::sync::Mutex<HashMap<IpAddr, usize>>,
}

/// One connection's place in its address's share; given back on drop.
struct Place {
    addresses: Arc<Addresses>,
    key: IpAddr,
}

/// The address under which a peer's connections are counted: an IPv4
/// address (also when mapped into IPv6), or an IPv6 address's /64.
fn address_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut s = v6.segments();
                s[4..].fill(0);
                IpAddr::V6(std::net::Ipv6Addr::from(s))
            }
        },
    }
}

impl Addresses {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, usize>> {
        self.held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A place for one more connection from `ip`, if its share is not full.
    fn take(self: &Arc<Self>, ip: IpAddr) -> Option<Place> {
        let key = address_key(ip);
        let mut held = self.lock();
        let n = held.entry(key).or_insert(0);
        if *n >= MAX_PER_ADDRESS {
            return None;
        }
        *n += 1;
        Some(Place {
            addresses: self.clone(),
            key,
        })
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        let mut held = self.addresses.lock();
        if let Some(n) = held.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                held.remove(&self.key);
            }
        }
    }
}

/// A request's body that fails once [`BODY_TIMEOUT`] has passed since its
/// request's headers arrived.
struct Deadline {
    body: Incoming,
    timer: Pin<Box<tokio::time::Sleep>>,
}

/// The error of a body that took too long.
#[derive(Debug, thiserror::Error)]
#[error("the request's body did not arrive within {} s", BODY_TIMEOUT.as_secs())]
pub struct BodyTimeout;

impl Deadline {
    fn new(body: Incoming) -> Deadline {
        Deadline {
            body,
            timer: Box::pin(tokio::time::sleep(BODY_TIMEOUT)),
        }
    }
}

impl hyper::body::Body for Deadline {
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        if let Poll::Ready(frame) = Pin::new(&mut this.body).poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        if this.timer.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Some(Err(BodyTimeout.into())));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

async fn connection<S>(stream: S, peer: SocketAddr, app: Router)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let app = app.map_request(move |req: axum::http::Request<Incoming>| {
        let mut req = req.map(|body| axum::body::Body::new(Deadline::new(body)));
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
