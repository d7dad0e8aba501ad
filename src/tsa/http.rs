//! The smallest HTTP/1.1 client that RFC 3161 over HTTP (section 3.4) needs:
//! one POST of `application/timestamp-query`, one `application/timestamp-reply`
//! read back, every step under one deadline and the body under
//! [`MAX_RESPONSE_LEN`]. Plain `http://` only: the token is signed, so TLS
//! would add no integrity, and a TLS stack is a large dependency.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use super::{printable, TsaError, MAX_RESPONSE_LEN};

/// The largest HTTP reply head (status line and headers) read.
const MAX_HTTP_HEAD: usize = 16 * 1024;

/// Posts `request` to `url` and returns the reply body, within `timeout`.
pub(super) fn post(url: &str, request: &[u8], timeout: Duration) -> Result<Vec<u8>, TsaError> {
    let url = HttpUrl::parse(url)?;
    let timeout = timeout.min(Duration::from_secs(3600));
    let deadline = Instant::now() + timeout;
    let mut conn = Conn::open(&url, deadline, timeout)?;
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: ackreg\r\nContent-Type: application/timestamp-query\r\n\
         Accept: application/timestamp-reply\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        url.path,
        url.host_header,
        request.len()
    );
    conn.send(&[head.as_bytes(), request].concat())?;
    let reply = conn.read_head()?;
    if reply.status != 200 {
        return Err(TsaError::HttpStatus(reply.status));
    }
    let content_type = reply.header("content-type").unwrap_or("");
    let mime = content_type.split(';').next().unwrap_or("").trim();
    if !mime.eq_ignore_ascii_case("application/timestamp-reply") {
        return Err(TsaError::ContentType(printable(content_type)));
    }
    conn.read_body(&reply)
}

/// The parts of an `http://` URL that a request needs.
#[derive(Debug, PartialEq, Eq)]
struct HttpUrl {
    host: String,
    port: u16,
    /// `host[:port]` as in the URL, for the Host header.
    host_header: String,
    path: String,
}

impl HttpUrl {
    fn parse(url: &str) -> Result<HttpUrl, TsaError> {
        let bad = |why: &str| TsaError::Url(format!("{}: {why}", printable(url)));
        if url.len() > 2048 || !url.bytes().all(|b| (0x21..0x7f).contains(&b)) {
            return Err(bad("it must be printable ASCII without spaces"));
        }
        let lower = url.to_ascii_lowercase();
        if lower.starts_with("https://") {
            return Err(TsaError::HttpsUnsupported);
        }
        if !lower.starts_with("http://") {
            return Err(bad("it must start with http://"));
        }
        let rest = &url["http://".len()..];
        let rest = rest.split('#').next().unwrap_or("");
        let split = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(split);
        if authority.contains('@') {
            return Err(bad("user names and passwords in URLs are not supported"));
        }
        let (host, port) =
            split_host_port(authority).ok_or_else(|| bad("the host or port is not valid"))?;
        let path = match path {
            "" => "/".to_string(),
            p if p.starts_with('?') => format!("/{p}"),
            p => p.to_string(),
        };
        Ok(HttpUrl {
            host,
            port,
            host_header: authority.to_string(),
            path,
        })
    }
}

/// `host`, `host:port`, `[v6]` or `[v6]:port`.
fn split_host_port(authority: &str) -> Option<(String, u16)> {
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
    let port = match port {
        Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => p.parse().ok()?,
        Some(_) => return None,
        None => 80,
    };
    Some((host.to_string(), port))
}

/// An HTTP reply's status and headers (names lowercased).
struct ReplyHead {
    status: u16,
    headers: Vec<(String, String)>,
}

impl ReplyHead {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A connection with a deadline and the bytes read but not yet consumed.
struct Conn {
    stream: TcpStream,
    host: String,
    deadline: Instant,
    timeout: Duration,
    buf: Vec<u8>,
    eof: bool,
}

impl Conn {
    /// Connects to the first address of `url`'s host that answers.
    fn open(url: &HttpUrl, deadline: Instant, timeout: Duration) -> Result<Conn, TsaError> {
        let network = |source| TsaError::Network {
            what: "connect to",
            host: url.host.clone(),
            source,
        };
        let addrs: Vec<SocketAddr> = (url.host.as_str(), url.port)
            .to_socket_addrs()
            .map_err(network)?
            .collect();
        let mut last = std::io::Error::new(ErrorKind::NotFound, "the host has no address");
        for addr in addrs {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(TsaError::Timeout(timeout));
            }
            match TcpStream::connect_timeout(&addr, left) {
                Ok(stream) => {
                    let host = url.host.clone();
                    return Ok(Conn {
                        stream,
                        host,
                        deadline,
                        timeout,
                        buf: Vec::new(),
                        eof: false,
                    });
                }
                Err(e) => last = e,
            }
        }
        Err(network(last))
    }

    fn time_left(&self) -> Result<Duration, TsaError> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            Err(TsaError::Timeout(self.timeout))
        } else {
            Ok(left)
        }
    }

    fn io_error(&self, what: &'static str, source: std::io::Error) -> TsaError {
        match source.kind() {
            ErrorKind::WouldBlock | ErrorKind::TimedOut => TsaError::Timeout(self.timeout),
            _ => TsaError::Network {
                what,
                host: self.host.clone(),
                source,
            },
        }
    }

    fn send(&mut self, bytes: &[u8]) -> Result<(), TsaError> {
        let left = self.time_left()?;
        self.stream
            .set_write_timeout(Some(left))
            .map_err(|e| self.io_error("send to", e))?;
        self.stream
            .write_all(bytes)
            .map_err(|e| self.io_error("send to", e))
    }

    /// Reads more bytes into the buffer, refusing to hold more than `cap`.
    fn fill(&mut self, cap: usize) -> Result<(), TsaError> {
        if self.buf.len() > cap {
            return Err(TsaError::TooLarge {
                what: "HTTP reply",
                len: self.buf.len(),
                max: cap,
            });
        }
        let left = self.time_left()?;
        self.stream
            .set_read_timeout(Some(left))
            .map_err(|e| self.io_error("read from", e))?;
        let mut chunk = [0u8; 8192];
        let n = loop {
            match self.stream.read(&mut chunk) {
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                other => break other.map_err(|e| self.io_error("read from", e))?,
            }
        };
        self.eof = n == 0;
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(())
    }

    /// Takes one CRLF-terminated line (without the CRLF) of at most `cap` bytes.
    fn line(&mut self, cap: usize) -> Result<String, TsaError> {
        let too_long = |len| TsaError::TooLarge {
            what: "HTTP reply line",
            len,
            max: cap,
        };
        loop {
            if let Some(i) = self.buf.windows(2).position(|w| w == b"\r\n") {
                if i > cap {
                    return Err(too_long(i));
                }
                let line: Vec<u8> = self.buf.drain(..i + 2).take(i).collect();
                return String::from_utf8(line)
                    .map_err(|_| TsaError::HttpReply("a line is not UTF-8"));
            }
            if self.buf.len() > cap {
                return Err(too_long(self.buf.len()));
            }
            if self.eof {
                return Err(TsaError::HttpReply(
                    "the reply ends in the middle of a line",
                ));
            }
            self.fill(cap)?;
        }
    }

    /// Takes one line of the reply head, whose lines share [`MAX_HTTP_HEAD`] bytes.
    fn head_line(&mut self, budget: &mut usize) -> Result<String, TsaError> {
        let line = self.line(*budget)?;
        *budget = budget.saturating_sub(line.len() + 2);
        Ok(line)
    }

    /// Reads the status line and headers, skipping interim 1xx replies.
    fn read_head(&mut self) -> Result<ReplyHead, TsaError> {
        let mut budget = MAX_HTTP_HEAD;
        loop {
            let status_line = self.head_line(&mut budget)?;
            let mut parts = status_line.splitn(3, ' ');
            let (version, code) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            if !version.starts_with("HTTP/1.") || code.len() != 3 {
                return Err(TsaError::HttpReply("not an HTTP/1.x status line"));
            }
            let status: u16 = code
                .parse()
                .map_err(|_| TsaError::HttpReply("the status is not a number"))?;
            let mut headers = Vec::new();
            loop {
                let line = self.head_line(&mut budget)?;
                if line.is_empty() {
                    break;
                }
                let (name, value) = line
                    .split_once(':')
                    .ok_or(TsaError::HttpReply("a header line without a colon"))?;
                headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
            }
            if !(100..200).contains(&status) {
                return Ok(ReplyHead { status, headers });
            }
        }
    }

    /// Reads the body as the head frames it: chunked, Content-Length, or up to
    /// the end of the connection; at most [`MAX_RESPONSE_LEN`] bytes.
    fn read_body(&mut self, head: &ReplyHead) -> Result<Vec<u8>, TsaError> {
        if let Some(te) = head.header("transfer-encoding") {
            if !te.eq_ignore_ascii_case("chunked") {
                return Err(TsaError::HttpReply(
                    "a transfer encoding other than chunked",
                ));
            }
            return self.read_chunked();
        }
        match head.header("content-length") {
            Some(len) => {
                let len: usize = len
                    .parse()
                    .map_err(|_| TsaError::HttpReply("Content-Length is not a number"))?;
                if len > MAX_RESPONSE_LEN {
                    return Err(TsaError::TooLarge {
                        what: "time stamp response",
                        len,
                        max: MAX_RESPONSE_LEN,
                    });
                }
                self.take(len)
            }
            None => {
                while !self.eof {
                    self.fill(MAX_RESPONSE_LEN)?;
                }
                if self.buf.len() > MAX_RESPONSE_LEN {
                    return Err(TsaError::TooLarge {
                        what: "time stamp response",
                        len: self.buf.len(),
                        max: MAX_RESPONSE_LEN,
                    });
                }
                Ok(std::mem::take(&mut self.buf))
            }
        }
    }

    /// Takes exactly `len` bytes.
    fn take(&mut self, len: usize) -> Result<Vec<u8>, TsaError> {
        while self.buf.len() < len {
            if self.eof {
                return Err(TsaError::HttpReply("the reply is shorter than it says"));
            }
            self.fill(len)?;
        }
        Ok(self.buf.drain(..len).collect())
    }

    /// Decodes a chunked body (RFC 9112 section 7.1), trailers skipped.
    fn read_chunked(&mut self) -> Result<Vec<u8>, TsaError> {
        let mut body = Vec::new();
        loop {
            let line = self.line(MAX_HTTP_HEAD)?;
            let size = line.split(';').next().unwrap_or("").trim();
            let size = usize::from_str_radix(size, 16)
                .map_err(|_| TsaError::HttpReply("a chunk size is not hexadecimal"))?;
            if size == 0 {
                while !self.line(MAX_HTTP_HEAD)?.is_empty() {}
                return Ok(body);
            }
            if body.len().saturating_add(size) > MAX_RESPONSE_LEN {
                return Err(TsaError::TooLarge {
                    what: "time stamp response",
                    len: body.len().saturating_add(size),
                    max: MAX_RESPONSE_LEN,
                });
            }
            body.extend(self.take(size)?);
            if !self.line(MAX_HTTP_HEAD)?.is_empty() {
                return Err(TsaError::HttpReply("a chunk is longer than its size"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn urls_are_split_into_host_port_and_path() {
        let cases = [
            ("http://tsa.example", "tsa.example", 80, "tsa.example", "/"),
            (
                "http://tsa.example:8080/a/b?c=d",
                "tsa.example",
                8080,
                "tsa.example:8080",
                "/a/b?c=d",
            ),
            (
                "HTTP://tsa.example?x",
                "tsa.example",
                80,
                "tsa.example",
                "/?x",
            ),
            ("http://[::1]:9/x#frag", "::1", 9, "[::1]:9", "/x"),
            ("http://127.0.0.1/", "127.0.0.1", 80, "127.0.0.1", "/"),
        ];
        for (url, host, port, host_header, path) in cases {
            let parsed = HttpUrl::parse(url).unwrap();
            let expected = HttpUrl {
                host: host.into(),
                port,
                host_header: host_header.into(),
                path: path.into(),
            };
            assert_eq!(parsed, expected, "{url}");
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
            "http://tsa.example/a b",
            "http://tsa.example/\r\nX-Injected: 1",
            "http://[::1/",
            "http://[::1]x/",
        ] {
            assert!(
                matches!(HttpUrl::parse(url), Err(TsaError::Url(_))),
                "{url:?}"
            );
        }
        assert!(matches!(
            HttpUrl::parse("HTTPS://tsa.example/"),
            Err(TsaError::HttpsUnsupported)
        ));
    }

    /// Answers one connection on 127.0.0.1 with `reply` after reading the
    /// request; with `None`, reads until the client gives up and says nothing.
    fn server(reply: Option<Vec<u8>>) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/tsa", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
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

    fn get(reply: &str) -> Result<Vec<u8>, TsaError> {
        let url = server(Some(reply.as_bytes().to_vec()));
        post(&url, b"req", Duration::from_secs(10))
    }

    const OK: &str = "HTTP/1.1 200 OK\r\nContent-Type: application/timestamp-reply\r\n";

    #[test]
    fn bodies_are_read_as_their_head_frames_them() {
        assert_eq!(
            get(&format!("{OK}Content-Length: 3\r\n\r\nabc")).unwrap(),
            b"abc"
        );
        assert_eq!(
            get(&format!("{OK}Content-Length: 3\r\n\r\nabcdef")).unwrap(),
            b"abc"
        );
        assert_eq!(get(&format!("{OK}\r\nto the end")).unwrap(), b"to the end");
        let chunked = format!(
            "{OK}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\nT: 1\r\n\r\n"
        );
        assert_eq!(get(&chunked).unwrap(), b"abcde");
        let interim = format!("HTTP/1.1 100 Continue\r\n\r\n{OK}Content-Length: 2\r\n\r\nok");
        assert_eq!(get(&interim).unwrap(), b"ok");
        let params = "HTTP/1.0 200 OK\r\ncontent-type: Application/Timestamp-Reply; x=1\r\n\r\nz";
        assert_eq!(get(params).unwrap(), b"z");
    }

    #[test]
    fn replies_that_are_not_time_stamp_replies_are_refused() {
        let err = get("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n").unwrap_err();
        assert!(matches!(err, TsaError::HttpStatus(404)), "{err}");
        let err = get("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html>").unwrap_err();
        assert!(
            matches!(&err, TsaError::ContentType(t) if t == "text/html"),
            "{err}"
        );
        let err = get("HTTP/1.1 200 OK\r\n\r\nx").unwrap_err();
        assert!(matches!(err, TsaError::ContentType(_)), "{err}");
        for bad in [
            "SSH-2.0-OpenSSH\r\n\r\n".to_string(),
            "HTTP/1.1 2000 OK\r\n\r\n".to_string(),
            "HTTP/1.1 200 OK\r\nno colon\r\n\r\n".to_string(),
            "HTTP/1.1 200 OK".to_string(),
            format!("{OK}Content-Length: 9\r\n\r\nshort"),
            format!("{OK}Content-Length: -1\r\n\r\n"),
            format!("{OK}Transfer-Encoding: gzip\r\n\r\n"),
            format!("{OK}Transfer-Encoding: chunked\r\n\r\nzz\r\n"),
            format!("{OK}Transfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n"),
        ] {
            let err = get(&bad).unwrap_err();
            assert!(matches!(err, TsaError::HttpReply(_)), "{bad:?}: {err}");
        }
    }

    #[test]
    fn oversized_replies_are_refused() {
        let err = get(&format!(
            "{OK}Content-Length: {}\r\n\r\n",
            MAX_RESPONSE_LEN + 1
        ))
        .unwrap_err();
        assert!(matches!(err, TsaError::TooLarge { .. }), "{err}");
        let huge = "a".repeat(MAX_RESPONSE_LEN + 10);
        let err = get(&format!("{OK}\r\n{huge}")).unwrap_err();
        assert!(matches!(err, TsaError::TooLarge { .. }), "{err}");
        let chunk = format!("{:x}\r\n{huge}\r\n0\r\n\r\n", huge.len());
        let err = get(&format!("{OK}Transfer-Encoding: chunked\r\n\r\n{chunk}")).unwrap_err();
        assert!(matches!(err, TsaError::TooLarge { .. }), "{err}");
        let long_header = format!("{OK}X: {}\r\n\r\n", "h".repeat(MAX_HTTP_HEAD + 10));
        let err = get(&long_header).unwrap_err();
        assert!(matches!(err, TsaError::TooLarge { .. }), "{err}");
    }

    #[test]
    fn a_silent_server_times_out() {
        let url = server(None);
        let err = post(&url, b"req", Duration::from_millis(300)).unwrap_err();
        assert!(matches!(err, TsaError::Timeout(_)), "{err}");
    }

    #[test]
    fn a_closed_port_is_a_network_error() {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let err = post(
            &format!("http://127.0.0.1:{port}/"),
            b"req",
            Duration::from_secs(5),
        )
        .unwrap_err();
        assert!(matches!(err, TsaError::Network { .. }), "{err}");
    }
}
