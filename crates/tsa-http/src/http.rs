//! RFC 3161 over HTTP (section 3.4) and HTTPS, with `ureq` (blocking) and
//! rustls on the ring provider: one POST of `application/timestamp-query`,
//! one `application/timestamp-reply` read back, the whole exchange under
//! one deadline and the body under [`MAX_RESPONSE_LEN`].
//!
//! - The TSA's TLS server certificate is checked against Mozilla's roots as
//!   the `webpki-roots` crate ships them (the same on every machine, no
//!   system store needed), or only against the CAs given
//!   ([`Connection::tls_ca`], `--tsa-tls-ca`).
//! - A TSA that asks for a client certificate gets [`Connection::client`]
//!   (`--tsa-client-cert`, `--tsa-client-key`).
//! - A proxy comes from the environment as curl reads it: `https_proxy` /
//!   `HTTPS_PROXY` for https://, `http_proxy` / `HTTP_PROXY` for http://,
//!   else `all_proxy` / `ALL_PROXY`; `no_proxy` / `NO_PROXY` lists hosts
//!   reached directly ([`proxy_for`]).

use std::sync::Arc;
use std::time::Duration;

use ackreg_core::tsa::{printable, TsaError, MAX_RESPONSE_LEN};

use crate::Connection;

/// The longest deadline allowed.
const MAX_TIMEOUT: Duration = Duration::from_secs(3600);

/// Posts `request` to `url` and returns the reply body, within `conn`'s deadline.
pub(super) fn post(url: &str, request: &[u8], conn: &Connection) -> Result<Vec<u8>, TsaError> {
    let target = Target::parse(url)?;
    let timeout = conn.timeout.min(MAX_TIMEOUT);
    let proxy = proxy_for(&target, &|name| std::env::var(name).ok())?;
    let agent = agent(conn, timeout, proxy)?;
    let response = agent
        .post(url)
        .header("Content-Type", "application/timestamp-query")
        .header("Accept", "application/timestamp-reply")
        .send(request)
        .map_err(|e| network_error(e, &target, timeout))?;
    check_reply(response, &target, timeout)
}

/// The status and content type are a time stamp reply's; its body, bounded.
fn check_reply(
    mut response: ureq::http::Response<ureq::Body>,
    target: &Target,
    timeout: Duration,
) -> Result<Vec<u8>, TsaError> {
    let status = response.status().as_u16();
    if status != 200 {
        return Err(TsaError::HttpStatus(status));
    }
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = content_type.split(';').next().unwrap_or("").trim();
    if !mime.eq_ignore_ascii_case("application/timestamp-reply") {
        return Err(TsaError::ContentType(printable(content_type)));
    }
    let limit = u64::try_from(MAX_RESPONSE_LEN).unwrap_or(u64::MAX);
    response
        .body_mut()
        .with_config()
        .limit(limit)
        .read_to_vec()
        .map_err(|e| network_error(e, target, timeout))
}

/// A ureq agent for one exchange.
fn agent(
    conn: &Connection,
    timeout: Duration,
    proxy: Option<ureq::Proxy>,
) -> Result<ureq::Agent, TsaError> {
    use ureq::tls::{Certificate, ClientCert, PrivateKey, RootCerts, TlsConfig, TlsProvider};
    let mut tls = TlsConfig::builder()
        .provider(TlsProvider::Rustls)
        .unversioned_rustls_crypto_provider(Arc::new(rustls::crypto::ring::default_provider()));
    if !conn.tls_ca.is_empty() {
        let roots: Vec<Certificate<'static>> = conn
            .tls_ca
            .iter()
            .map(|der| Certificate::from_der(der).to_owned())
            .collect();
        tls = tls.root_certs(RootCerts::new_with_certs(&roots));
    } else {
        tls = tls.root_certs(RootCerts::WebPki);
    }
    if let Some(client) = &conn.client {
        let certs: Vec<Certificate<'static>> = client
            .certs
            .iter()
            .map(|der| Certificate::from_der(der).to_owned())
            .collect();
        let key = PrivateKey::from_pem(&client.key_pem).map_err(|_| TsaError::ClientKey)?;
        tls = tls.client_cert(Some(ClientCert::new_with_certs(&certs, key)));
    }
    let config = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .max_redirects(0)
        .user_agent("ackreg")
        .proxy(proxy)
        .tls_config(tls.build())
        .build();
    Ok(config.into())
}

/// The scheme and host of a TSA URL, checked before ureq sees it.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Target {
    https: bool,
    /// The host, lower case, without brackets around an IPv6 address.
    host: String,
}

impl Target {
    /// An `http://` or `https://` URL of printable ASCII without user
    /// information; the host is what the proxy rules look at.
    pub(super) fn parse(url: &str) -> Result<Target, TsaError> {
        let bad = |why: &str| TsaError::Url(format!("{}: {why}", printable(url)));
        if url.len() > 2048 || !url.bytes().all(|b| (0x21..0x7f).contains(&b)) {
            return Err(bad("it must be printable ASCII without spaces"));
        }
        let lower = url.to_ascii_lowercase();
        let (https, rest) = if let Some(rest) = lower.strip_prefix("https://") {
            (true, rest)
        } else if let Some(rest) = lower.strip_prefix("http://") {
            (false, rest)
        } else {
            return Err(bad("it must start with http:// or https://"));
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        if authority.contains('@') {
            return Err(bad("user names and passwords in URLs are not supported"));
        }
        let host = split_host(authority).ok_or_else(|| bad("the host or port is not valid"))?;
        Ok(Target { https, host })
    }

    fn describe(&self) -> String {
        self.host.clone()
    }
}

/// The host of `host`, `host:port`, `[v6]` or `[v6]:port`, the port checked.
fn split_host(authority: &str) -> Option<String> {
    let (host, port) = match authority.strip_prefix('[') {
        Some(bracketed) => {
            let (host, after) = bracketed.split_once(']')?;
            match after {
                "" => (host, None),
                _ => (host, Some(after.strip_prefix(':')?)),
            }
        }
        None => match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        },
    };
    if host.is_empty() {
        return None;
    }
    if let Some(p) = port {
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) || p.parse::<u16>().is_err() {
            return None;
        }
    }
    Some(host.to_string())
}

/// The proxy for `target` from the environment (`env` reads a variable):
/// none if `no_proxy`/`NO_PROXY` names the host (curl's rules: `*`, a host,
/// or a domain and its subdomains, a leading `.` or `*.` allowed).
pub(super) fn proxy_for(
    target: &Target,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<ureq::Proxy>, TsaError> {
    let read = |names: &[&'static str]| {
        names.iter().find_map(|&n| {
            env(n)
                .filter(|v| !v.trim().is_empty())
                .map(|v| (n, v.trim().to_string()))
        })
    };
    if let Some((_, list)) = read(&["no_proxy", "NO_PROXY"]) {
        if no_proxy_matches(&list, &target.host) {
            return Ok(None);
        }
    }
    let names: &[&'static str] = if target.https {
        &["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"]
    } else {
        &["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"]
    };
    let Some((name, value)) = read(names) else {
        return Ok(None);
    };
    let uri = if value.contains("://") {
        value
    } else {
        format!("http://{value}")
    };
    ureq::Proxy::new(&uri)
        .map(Some)
        .map_err(|_| TsaError::Proxy {
            variable: name,
            problem: format!("{} is not a proxy URL", printable(&uri)),
        })
}

/// Whether the comma-separated `no_proxy` list names `host`.
fn no_proxy_matches(list: &str, host: &str) -> bool {
    list.split(',')
        .map(|e| e.trim().to_ascii_lowercase())
        .filter(|e| !e.is_empty())
        .any(|entry| {
            if entry == "*" {
                return true;
            }
            let entry = entry.trim_start_matches("*.").trim_start_matches('.');
            let entry = entry.trim_start_matches('[').trim_end_matches(']');
            host == entry || host.ends_with(&format!(".{entry}"))
        })
}

/// A ureq error as a [`TsaError`].
fn network_error(error: ureq::Error, target: &Target, timeout: Duration) -> TsaError {
    use ureq::Error as E;
    let host = target.describe();
    match error {
        E::Timeout(_) => TsaError::Timeout(timeout),
        E::BodyExceedsLimit(_) => TsaError::TooLarge {
            what: "time stamp response",
            len: MAX_RESPONSE_LEN + 1,
            max: MAX_RESPONSE_LEN,
        },
        E::StatusCode(code) => TsaError::HttpStatus(code),
        E::Rustls(e) => TsaError::Tls {
            host,
            problem: printable(&e.to_string()),
        },
        E::Tls(e) => TsaError::Tls {
            host,
            problem: printable(e),
        },
        E::Pem(_) => TsaError::ClientKey,
        E::ConnectProxyFailed(why) => TsaError::Proxy {
            variable: "the proxy",
            problem: printable(&why),
        },
        E::InvalidProxyUrl => TsaError::Proxy {
            variable: "the proxy",
            problem: "not a proxy URL".into(),
        },
        E::Io(e) if e.kind() == std::io::ErrorKind::TimedOut => TsaError::Timeout(timeout),
        E::Io(e) if is_tls(&e) => TsaError::Tls {
            host,
            problem: printable(&e.to_string()),
        },
        E::Io(e) => TsaError::Network {
            host,
            problem: printable(&e.to_string()),
        },
        E::HostNotFound => TsaError::Network {
            host,
            problem: "the host name is not found".into(),
        },
        E::ConnectionFailed => TsaError::Network {
            host,
            problem: "the connection failed".into(),
        },
        other => TsaError::Network {
            host,
            problem: printable(&other.to_string()),
        },
    }
}

/// Whether an I/O error is rustls's (a handshake or alert, as the TLS
/// stream reports it).
fn is_tls(e: &std::io::Error) -> bool {
    e.get_ref()
        .is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpListener;

    #[test]
    fn urls_give_their_scheme_and_host() {
        let cases = [
            ("http://tsa.example", false, "tsa.example"),
            ("http://TSA.example:8080/a/b?c=d", false, "tsa.example"),
            ("HTTPS://tsa.example?x", true, "tsa.example"),
            ("https://[::1]:9/x#frag", true, "::1"),
            ("http://127.0.0.1/", false, "127.0.0.1"),
        ];
        for (url, https, host) in cases {
            let expected = Target {
                https,
                host: host.into(),
            };
            assert_eq!(Target::parse(url).unwrap(), expected, "{url}");
        }
    }

    #[test]
    fn unusable_urls_are_refused() {
        for url in [
            "ftp://tsa.example/",
            "tsa.example",
            "http://",
            "http://:80/",
            "http://tsa.example:/",
            "http://tsa.example:99999/",
            "http://tsa.example:8x/",
            "http://user:pw@tsa.example/",
            "https://user@tsa.example/",
            "http://tsa.example/a b",
            "http://tsa.example/\r\nX-Injected: 1",
            "http://[::1/",
            "http://[::1]x/",
        ] {
            assert!(
                matches!(Target::parse(url), Err(TsaError::Url(_))),
                "{url:?}"
            );
        }
    }

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        }
    }

    fn proxy_host(url: &str, pairs: &'static [(&'static str, &'static str)]) -> Option<String> {
        let target = Target::parse(url).unwrap();
        proxy_for(&target, &env(pairs))
            .unwrap()
            .map(|p| format!("{}:{}", p.host(), p.port()))
    }

    #[test]
    fn the_proxy_follows_the_scheme_and_no_proxy() {
        let both = &[
            ("HTTPS_PROXY", "http://secure.proxy:3128"),
            ("http_proxy", "plain.proxy:8080"),
        ];
        assert_eq!(
            proxy_host("https://tsa.example/", both).as_deref(),
            Some("secure.proxy:3128")
        );
        assert_eq!(
            proxy_host("http://tsa.example/", both).as_deref(),
            Some("plain.proxy:8080")
        );
        let all = &[("ALL_PROXY", "http://all.proxy:1")];
        assert_eq!(
            proxy_host("https://tsa.example/", all).as_deref(),
            Some("all.proxy:1")
        );
        assert_eq!(proxy_host("https://tsa.example/", &[]), None);
        let except = &[
            ("HTTPS_PROXY", "http://p:1"),
            ("NO_PROXY", " other.example , .example.lv,127.0.0.1"),
        ];
        assert_eq!(proxy_host("https://tsa.example.lv/", except), None);
        assert_eq!(proxy_host("https://example.lv/", except), None);
        assert_eq!(proxy_host("https://127.0.0.1:9/", except), None);
        assert!(proxy_host("https://notexample.lv/", except).is_some());
        assert_eq!(
            proxy_host(
                "https://a.b/",
                &[("HTTPS_PROXY", "http://p:1"), ("no_proxy", "*")]
            ),
            None
        );
    }

    #[test]
    fn a_bad_proxy_variable_is_named() {
        let target = Target::parse("https://tsa.example/").unwrap();
        let err = proxy_for(&target, &env(&[("HTTPS_PROXY", "ftp://x:1")])).unwrap_err();
        assert!(
            matches!(
                err,
                TsaError::Proxy {
                    variable: "HTTPS_PROXY",
                    ..
                }
            ),
            "{err}"
        );
    }

    /// Answers one connection on 127.0.0.1 with `reply` after reading the
    /// request; with `None`, reads until the client gives up and says nothing.
    fn server(reply: Option<Vec<u8>>) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/tsa", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            let Ok((mut stream, _)) = listener.accept() else {
                return;
            };
            stream
                .set_read_timeout(Some(Duration::from_secs(10)))
                .unwrap();
            let mut seen = Vec::new();
            let mut buf = [0u8; 1024];
            // The request is small: read until its body (a 3-byte "req") arrived.
            while !seen.ends_with(b"\r\n\r\nreq") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => return,
                    Ok(n) => seen.extend_from_slice(&buf[..n]),
                }
            }
            match reply {
                Some(reply) => {
                    let _ = stream.write_all(&reply);
                }
                None => while matches!(stream.read(&mut buf), Ok(n) if n > 0) {},
            }
        });
        url
    }

    fn conn(timeout: Duration) -> Connection {
        Connection {
            timeout,
            ..Connection::default()
        }
    }

    fn get(reply: &str) -> Result<Vec<u8>, TsaError> {
        let url = server(Some(reply.as_bytes().to_vec()));
        post(&url, b"req", &conn(Duration::from_secs(10)))
    }

    const OK: &str = "HTTP/1.1 200 OK\r\nContent-Type: application/timestamp-reply\r\n";

    #[test]
    fn bodies_are_read_as_their_head_frames_them() {
        assert_eq!(
            get(&format!("{OK}Content-Length: 3\r\n\r\nabc")).unwrap(),
            b"abc"
        );
        assert_eq!(get(&format!("{OK}\r\nto the end")).unwrap(), b"to the end");
        let chunked =
            format!("{OK}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n");
        assert_eq!(get(&chunked).unwrap(), b"abcde");
        let params = "HTTP/1.1 200 OK\r\ncontent-type: Application/Timestamp-Reply; x=1\r\nContent-Length: 1\r\n\r\nz";
        assert_eq!(get(params).unwrap(), b"z");
    }

    #[test]
    fn replies_that_are_not_time_stamp_replies_are_refused() {
        let err = get("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n").unwrap_err();
        assert!(matches!(err, TsaError::HttpStatus(404)), "{err}");
        let err =
            get("HTTP/1.1 302 Found\r\nLocation: /x\r\nContent-Length: 0\r\n\r\n").unwrap_err();
        assert!(matches!(err, TsaError::HttpStatus(302)), "{err}");
        let err = get("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html>").unwrap_err();
        assert!(
            matches!(&err, TsaError::ContentType(t) if t == "text/html"),
            "{err}"
        );
        let err = get("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx").unwrap_err();
        assert!(matches!(err, TsaError::ContentType(_)), "{err}");
        for bad in [
            "SSH-2.0-OpenSSH\r\n\r\n".to_string(),
            "HTTP/1.1 200 OK".to_string(),
            format!("{OK}Content-Length: 9\r\n\r\nshort"),
        ] {
            let err = get(&bad).unwrap_err();
            assert!(matches!(err, TsaError::Network { .. }), "{bad:?}: {err}");
        }
    }

    #[test]
    fn oversized_replies_are_refused() {
        let huge = "a".repeat(MAX_RESPONSE_LEN + 10);
        let err = get(&format!("{OK}Content-Length: {}\r\n\r\n{huge}", huge.len())).unwrap_err();
        assert!(matches!(err, TsaError::TooLarge { .. }), "{err}");
        let err = get(&format!("{OK}\r\n{huge}")).unwrap_err();
        assert!(matches!(err, TsaError::TooLarge { .. }), "{err}");
    }

    #[test]
    fn a_silent_server_times_out() {
        let url = server(None);
        let err = post(&url, b"req", &conn(Duration::from_millis(300))).unwrap_err();
        assert!(matches!(err, TsaError::Timeout(_)), "{err}");
    }

    #[test]
    fn a_closed_port_is_a_network_error() {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let url = format!("http://127.0.0.1:{port}/");
        let err = post(&url, b"req", &conn(Duration::from_secs(5))).unwrap_err();
        assert!(matches!(err, TsaError::Network { .. }), "{err}");
    }
}
