//! A test PKI made with the `openssl` command: a CA, time stamp authorities
//! issued by it (`openssl ts -reply`), tokens signed by unfit certificates
//! (`openssl cms -sign`), a loopback HTTP time stamp authority, the same
//! behind TLS asking for a client certificate (rustls), and a loopback
//! CONNECT proxy. Shared by tests/tsa.rs (the library) and
//! tests/log_timestamp.rs (the CLI).
//!
//! These helpers need the `openssl` command; without it the tests fail.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ackreg_core::tsa::Anchor;

/// Configuration for `openssl req` and `openssl x509 -extfile`.
pub const EXTENSIONS: &str = "\
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[tsa]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
extendedKeyUsage = critical, timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[tsa_noncritical]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
extendedKeyUsage = timeStamping
[tsa_no_eku]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
[tsa_extra_eku]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
extendedKeyUsage = critical, timeStamping, codeSigning
[tls_server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1
[tls_client]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
";

/// Configuration for `openssl ts -reply`; the signer is given on the command line.
pub const TS_CONFIG: &str = "\
[tsa]
default_tsa = tsa_sha256
[tsa_sha256]
serial = ./tsaserial
crypto_device = builtin
signer_digest = sha256
default_policy = 1.2.3.4.1
other_policies = 1.2.3.4.5
digests = sha256, sha384, sha512
accuracy = secs:1, millisecs:500, microsecs:100
clock_precision_digits = 0
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
[tsa_sha512]
serial = ./tsaserial
crypto_device = builtin
signer_digest = sha512
default_policy = 1.2.3.4.1
digests = sha256
accuracy = secs:1
ess_cert_id_chain = no
ess_cert_id_alg = sha256
[tsa_sha1]
serial = ./tsaserial
crypto_device = builtin
signer_digest = sha384
default_policy = 1.2.3.4.1
digests = sha256
accuracy = secs:1
clock_precision_digits = 3
ordering = no
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha1
";

/// Configuration for `openssl ca`, which (unlike `openssl x509` 3.0) sets
/// validity periods in the past.
pub const CA_CONFIG: &str = "\
[ca]
default_ca = test_ca
[test_ca]
database = ./index.txt
new_certs_dir = ./issued
serial = ./ca.serial
default_md = sha256
policy = any
unique_subject = no
[any]
commonName = supplied
organizationName = optional
";

pub const ID_CT_TST_INFO: &str = "1.2.840.113549.1.9.16.1.4";

/// A key type for a TSA or CA.
#[derive(Clone, Copy)]
pub enum Key {
    Rsa,
    P256,
    P521,
}

impl Key {
    /// The digest openssl signs certificates with for this key.
    fn digest(self) -> &'static str {
        match self {
            Key::Rsa | Key::P256 => "-sha256",
            Key::P521 => "-sha512",
        }
    }
}

/// A temporary folder with a test CA, in which TSAs are issued.
pub struct Pki {
    pub dir: tempfile::TempDir,
}

impl Pki {
    /// A folder with the configurations and the CA `ca` ("ackreg test CA").
    pub fn new() -> Pki {
        let pki = Pki {
            dir: tempfile::tempdir().expect("temporary folder"),
        };
        std::fs::write(pki.path("ext.cnf"), EXTENSIONS).unwrap();
        std::fs::write(pki.path("ts.cnf"), TS_CONFIG).unwrap();
        std::fs::write(pki.path("tsaserial"), "01\n").unwrap();
        pki.ca("ca", "ackreg test CA");
        pki
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path(name)).unwrap()
    }

    pub fn write(&self, name: &str, bytes: &[u8]) {
        std::fs::write(self.path(name), bytes).unwrap()
    }

    pub fn openssl(&self, args: &[&str]) -> String {
        openssl(self.dir.path(), args)
    }

    pub fn key(&self, name: &str, key: Key) {
        let out = format!("{name}.key");
        match key {
            Key::Rsa => self.openssl(&[
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
                "-out",
                &out,
            ]),
            Key::P256 | Key::P521 => {
                let curve = match key {
                    Key::P521 => "ec_paramgen_curve:P-521",
                    _ => "ec_paramgen_curve:P-256",
                };
                self.openssl(&[
                    "genpkey",
                    "-algorithm",
                    "EC",
                    "-pkeyopt",
                    curve,
                    "-out",
                    &out,
                ])
            }
        };
    }

    /// A self-signed CA certificate `name.pem` with a P-256 key.
    pub fn ca(&self, name: &str, subject: &str) {
        self.ca_with(name, subject, Key::P256);
    }

    /// A self-signed CA certificate `name.pem` with a `key` key.
    pub fn ca_with(&self, name: &str, subject: &str, key: Key) {
        self.key(name, key);
        let digest = key.digest();
        let subj = format!("/CN={subject}");
        let (key, pem) = (format!("{name}.key"), format!("{name}.pem"));
        self.openssl(&[
            "req",
            "-x509",
            "-new",
            "-key",
            &key,
            "-subj",
            &subj,
            "-days",
            "30",
            "-config",
            "ext.cnf",
            "-extensions",
            "ca",
            digest,
            "-out",
            &pem,
        ]);
    }

    /// An intermediate CA certificate `name.pem` with a `key` key, issued
    /// by `issuer` (whose key decides the digest, as `issuer_key` says).
    pub fn intermediate(&self, name: &str, subject: &str, key: Key, issuer: &str, issuer_key: Key) {
        self.key(name, key);
        let subj = format!("/CN={subject}");
        let (csr, pem) = (format!("{name}.csr"), format!("{name}.pem"));
        let key_file = format!("{name}.key");
        self.openssl(&[
            "req", "-new", "-key", &key_file, "-subj", &subj, "-config", "ext.cnf", "-out", &csr,
        ]);
        let (ca, ca_key) = (format!("{issuer}.pem"), format!("{issuer}.key"));
        self.openssl(&[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            &ca,
            "-CAkey",
            &ca_key,
            "-set_serial",
            "11",
            "-days",
            "30",
            issuer_key.digest(),
            "-extfile",
            "ext.cnf",
            "-extensions",
            "ca",
            "-out",
            &pem,
        ]);
    }

    /// A TSA certificate `name.pem` issued by `issuer`, with the extensions
    /// of the `section` of ext.cnf.
    pub fn tsa(&self, name: &str, key: Key, issuer: &str, section: &str) {
        self.tsa_signed(name, key, issuer, section, &["-sha256"]);
    }

    /// [`Pki::tsa`] with the signing options of `openssl x509` given
    /// (a digest, `-sigopt` for RSA-PSS).
    pub fn tsa_signed(&self, name: &str, key: Key, issuer: &str, section: &str, sign: &[&str]) {
        self.key(name, key);
        let subj = format!("/CN=ackreg test TSA {name}/O=ackreg tests");
        let (key, csr, pem) = (
            format!("{name}.key"),
            format!("{name}.csr"),
            format!("{name}.pem"),
        );
        self.openssl(&[
            "req", "-new", "-key", &key, "-subj", &subj, "-config", "ext.cnf", "-out", &csr,
        ]);
        let (ca, ca_key) = (format!("{issuer}.pem"), format!("{issuer}.key"));
        self.openssl(
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                &ca,
                "-CAkey",
                &ca_key,
                "-set_serial",
                "7",
                "-days",
                "30",
            ]
            .into_iter()
            .chain(sign.iter().copied())
            .chain(["-extfile", "ext.cnf", "-extensions", section, "-out", &pem])
            .collect::<Vec<_>>(),
        );
    }

    /// A TSA certificate `name.pem` issued by ca with good extensions, valid
    /// only from `start` to `end` (`YYYYMMDDhhmmssZ`).
    pub fn tsa_valid(&self, name: &str, start: &str, end: &str) {
        self.key(name, Key::P256);
        let subj = format!("/CN=ackreg test TSA {name}/O=ackreg tests");
        let (key, csr, pem) = (
            format!("{name}.key"),
            format!("{name}.csr"),
            format!("{name}.pem"),
        );
        self.openssl(&[
            "req", "-new", "-key", &key, "-subj", &subj, "-config", "ext.cnf", "-out", &csr,
        ]);
        self.write("ca.cnf", CA_CONFIG.as_bytes());
        self.write("index.txt", b"");
        self.write("ca.serial", b"1000\n");
        std::fs::create_dir_all(self.path("issued")).unwrap();
        self.openssl(&[
            "ca",
            "-config",
            "ca.cnf",
            "-batch",
            "-notext",
            "-in",
            &csr,
            "-cert",
            "ca.pem",
            "-keyfile",
            "ca.key",
            "-startdate",
            start,
            "-enddate",
            end,
            "-extfile",
            "ext.cnf",
            "-extensions",
            "tsa",
            "-out",
            &pem,
        ]);
    }

    /// `openssl ts -reply` to `query` by the TSA `name` (chain: ca.pem)
    /// under the ts.cnf `section`.
    pub fn reply(&self, name: &str, section: &str, query: &[u8]) -> Vec<u8> {
        self.reply_chain(name, section, query, Some("ca.pem"))
    }

    /// [`Pki::reply`] with `chain` (a PEM file) as the certificates the
    /// token carries besides the signer's, or none.
    pub fn reply_chain(
        &self,
        name: &str,
        section: &str,
        query: &[u8],
        chain: Option<&str>,
    ) -> Vec<u8> {
        self.write("query.tsq", query);
        let (pem, key) = (format!("{name}.pem"), format!("{name}.key"));
        self.openssl(
            &[
                "ts",
                "-reply",
                "-config",
                "ts.cnf",
                "-section",
                section,
                "-queryfile",
                "query.tsq",
                "-signer",
                &pem,
                "-inkey",
                &key,
            ]
            .into_iter()
            .chain(chain.map(|c| ["-chain", c]).into_iter().flatten())
            .chain(["-out", "reply.tsr"])
            .collect::<Vec<_>>(),
        );
        self.read("reply.tsr")
    }

    /// A token as `openssl cms -sign` makes it: `tst` signed by `name`,
    /// content type id-ct-TSTInfo, with signed attributes and the ESS
    /// signing-certificate-v2 attribute (`-cades`), ca.pem included.
    pub fn cms_token(&self, name: &str, tst: &[u8]) -> Vec<u8> {
        self.cms_token_with(name, tst, &["-cades"])
    }

    /// [`Pki::cms_token`] with other `openssl cms -sign` options: no
    /// `-cades` (no ESS attribute), `-stream` (BER), `-keyopt` (RSA-PSS).
    pub fn cms_token_with(&self, name: &str, tst: &[u8], options: &[&str]) -> Vec<u8> {
        self.write("tst.der", tst);
        let (pem, key) = (format!("{name}.pem"), format!("{name}.key"));
        self.openssl(
            &[
                "cms",
                "-sign",
                "-binary",
                "-nodetach",
                "-in",
                "tst.der",
                "-outform",
                "DER",
                "-signer",
                &pem,
                "-inkey",
                &key,
                "-md",
                "sha256",
                "-econtent_type",
                ID_CT_TST_INFO,
                "-nosmimecap",
                "-certfile",
                "ca.pem",
                "-out",
                "cms.der",
            ]
            .into_iter()
            .chain(options.iter().copied())
            .collect::<Vec<_>>(),
        );
        self.read("cms.der")
    }

    /// The TSTInfo inside a token, as `openssl cms -verify` extracts it.
    pub fn tst_info(&self, token: &[u8]) -> Vec<u8> {
        self.write("token-for-tst.der", token);
        self.openssl(&[
            "cms",
            "-verify",
            "-noverify",
            "-binary",
            "-inform",
            "DER",
            "-in",
            "token-for-tst.der",
            "-out",
            "tst-out.der",
        ]);
        self.read("tst-out.der")
    }

    /// Whether `openssl ts -verify` accepts `token` over `imprint` with ca.pem as
    /// the trust anchor and `tsa`.pem as the signer certificate.
    pub fn openssl_verifies(&self, token: &[u8], imprint: &[u8; 32], tsa: &str) -> bool {
        self.openssl_verifies_with(token, imprint, "ca.pem", &format!("{tsa}.pem"))
    }

    /// Whether `openssl ts -verify` accepts `token` over `imprint` with the
    /// anchors of `ca_file` and the untrusted certificates of `untrusted`.
    pub fn openssl_verifies_with(
        &self,
        token: &[u8],
        imprint: &[u8; 32],
        ca_file: &str,
        untrusted: &str,
    ) -> bool {
        self.write("stored.tst", token);
        let out = Command::new("openssl")
            .args([
                "ts",
                "-verify",
                "-digest",
                &hex(imprint),
                "-token_in",
                "-in",
                "stored.tst",
                "-CAfile",
                ca_file,
            ])
            .args(["-untrusted", untrusted])
            .current_dir(self.dir.path())
            .output()
            .expect("openssl is installed");
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains("Verification: OK")
    }

    /// Whether `openssl cms -verify` accepts `token` as signed by a
    /// time stamping certificate chaining to `ca_file` (for what
    /// `openssl ts -verify` of OpenSSL 3.0 cannot check: RSA-PSS signers).
    pub fn openssl_cms_verifies(&self, token: &[u8], ca_file: &str) -> bool {
        self.write("cms-in.der", token);
        let out = Command::new("openssl")
            .args([
                "cms",
                "-verify",
                "-binary",
                "-inform",
                "DER",
                "-in",
                "cms-in.der",
                "-CAfile",
                ca_file,
                "-purpose",
                "timestampsign",
                "-out",
                "cms-out.der",
            ])
            .current_dir(self.dir.path())
            .output()
            .expect("openssl is installed");
        out.status.success()
    }

    pub fn anchors(&self, name: &str) -> Vec<Anchor> {
        Anchor::from_pem(&self.read(&format!("{name}.pem"))).expect("a PEM certificate")
    }

    /// The TLS side: a CA `tls-ca`, the server certificate `tls-server` for
    /// 127.0.0.1 and the client certificate `tls-client`, both issued by it.
    pub fn tls(&self) {
        self.ca("tls-ca", "ackreg test TLS CA");
        for (name, section) in [("tls-server", "tls_server"), ("tls-client", "tls_client")] {
            self.key(name, Key::P256);
            let subj = format!("/CN=ackreg test {name}");
            let (key, csr, pem) = (
                format!("{name}.key"),
                format!("{name}.csr"),
                format!("{name}.pem"),
            );
            self.openssl(&[
                "req", "-new", "-key", &key, "-subj", &subj, "-config", "ext.cnf", "-out", &csr,
            ]);
            self.openssl(&[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "tls-ca.pem",
                "-CAkey",
                "tls-ca.key",
                "-set_serial",
                "9",
                "-days",
                "30",
                "-sha256",
                "-extfile",
                "ext.cnf",
                "-extensions",
                section,
                "-out",
                &pem,
            ]);
        }
    }
}

/// Runs `openssl` in `dir` and returns its standard output; fails the test
/// if openssl is missing or fails.
pub fn openssl(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("these tests need the openssl command (CI installs it): {e}"));
    assert!(
        out.status.success(),
        "openssl {} failed:\n{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Serves time stamp requests on 127.0.0.1 by running `openssl ts -reply`
/// in `dir`; answers `count` connections, or gives up after 60 seconds.
/// Returns the URL and a handle yielding each request's head.
pub fn serve(dir: PathBuf, count: usize) -> (String, std::thread::JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}/tsa", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut heads = Vec::new();
        while heads.len() < count && Instant::now() < deadline {
            let mut stream = match listener.accept() {
                Ok((stream, _)) => stream,
                Err(_) => {
                    std::thread::sleep(Duration::from_millis(20));
                    continue;
                }
            };
            stream.set_nonblocking(false).unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(10)))
                .unwrap();
            let (head, body) = read_request(&mut stream);
            let reply = ts_reply(&dir, &body);
            let response_head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/timestamp-reply\r\nContent-Length: {}\r\n\r\n",
                reply.len()
            );
            stream.write_all(response_head.as_bytes()).unwrap();
            stream.write_all(&reply).unwrap();
            heads.push(head);
        }
        heads
    });
    (url, handle)
}

/// `openssl ts -reply` in `dir` by the TSA `tsa` (chain ca.pem) to the request `body`.
pub fn ts_reply(dir: &Path, body: &[u8]) -> Vec<u8> {
    std::fs::write(dir.join("served.tsq"), body).unwrap();
    openssl(
        dir,
        &[
            "ts",
            "-reply",
            "-config",
            "ts.cnf",
            "-section",
            "tsa_sha256",
            "-queryfile",
            "served.tsq",
            "-signer",
            "tsa.pem",
            "-inkey",
            "tsa.key",
            "-chain",
            "ca.pem",
            "-out",
            "served.tsr",
        ],
    );
    std::fs::read(dir.join("served.tsr")).unwrap()
}

/// Reads one HTTP request: its head as text and its Content-Length body.
pub fn read_request(stream: &mut impl Read) -> (String, Vec<u8>) {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        assert_eq!(
            stream.read(&mut byte).unwrap(),
            1,
            "the request ended early"
        );
        buf.push(byte[0]);
        assert!(buf.len() < 16384);
    }
    let head = String::from_utf8(buf).unwrap();
    let len: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse().unwrap())
        })
        .expect("a Content-Length");
    let mut body = vec![0u8; len];
    stream.read_exact(&mut body).unwrap();
    (head, body)
}

/// Reads one HTTP request, or `None` if the stream fails first (a TLS
/// handshake the server refused).
fn try_read_request(stream: &mut impl Read) -> Option<(String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).ok()? != 1 || buf.len() > 16384 {
            return None;
        }
        buf.push(byte[0]);
    }
    let head = String::from_utf8(buf).ok()?;
    let len: usize = head.lines().find_map(|l| {
        l.to_ascii_lowercase()
            .strip_prefix("content-length:")
            .and_then(|v| v.trim().parse().ok())
    })?;
    let mut body = vec![0u8; len];
    stream.read_exact(&mut body).ok()?;
    Some((head, body))
}

/// The rustls server configuration of the HTTPS TSA: the certificate
/// tls-server.pem, and (with `client_ca`) a client certificate issued by
/// that CA required.
fn tls_config(dir: &Path, client_ca: Option<&str>) -> Arc<rustls::ServerConfig> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cert = CertificateDer::from_pem_file(dir.join("tls-server.pem")).unwrap();
    let key = PrivateKeyDer::from_pem_file(dir.join("tls-server.key")).unwrap();
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap();
    let builder = match client_ca {
        Some(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            roots
                .add(CertificateDer::from_pem_file(dir.join(ca)).unwrap())
                .unwrap();
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            )
            .build()
            .unwrap();
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    Arc::new(builder.with_single_cert(vec![cert], key).unwrap())
}

/// What the HTTPS TSA saw of one connection: the request head, or why
/// there was none.
pub type Served = Result<String, String>;

/// Serves time stamp requests over TLS on 127.0.0.1 (`openssl ts -reply`
/// in `dir`, as [`serve`]), asking each client for a certificate issued by
/// `client_ca` when given ([`Pki::tls`] makes them). Handles `count`
/// connections, or gives up after 60 seconds. Returns the URL and a handle
/// yielding what each connection brought.
pub fn serve_tls(
    dir: PathBuf,
    count: usize,
    client_ca: Option<&str>,
) -> (String, std::thread::JoinHandle<Vec<Served>>) {
    let config = tls_config(&dir, client_ca);
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    listener.set_nonblocking(true).unwrap();
    let url = format!("https://{}/tsa", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut served = Vec::new();
        while served.len() < count && Instant::now() < deadline {
            let tcp = match listener.accept() {
                Ok((tcp, _)) => tcp,
                Err(_) => {
                    std::thread::sleep(Duration::from_millis(20));
                    continue;
                }
            };
            tcp.set_nonblocking(false).unwrap();
            tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            let conn = rustls::ServerConnection::new(config.clone()).unwrap();
            let mut tls = rustls::StreamOwned::new(conn, tcp);
            let Some((head, body)) = try_read_request(&mut tls) else {
                served.push(Err("no request: the TLS handshake failed".into()));
                continue;
            };
            let reply = ts_reply(&dir, &body);
            let response_head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/timestamp-reply\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                reply.len()
            );
            let _ = tls.write_all(response_head.as_bytes());
            let _ = tls.write_all(&reply);
            tls.conn.send_close_notify();
            let _ = tls.flush();
            served.push(Ok(head));
        }
        served
    });
    (url, handle)
}

/// A CONNECT proxy on 127.0.0.1 that tunnels `count` connections to ports
/// of 127.0.0.1 only, or gives up after 60 seconds. Returns its URL and a
/// handle yielding each CONNECT request line.
pub fn connect_proxy(count: usize) -> (String, std::thread::JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut lines = Vec::new();
        while lines.len() < count && Instant::now() < deadline {
            let mut client = match listener.accept() {
                Ok((client, _)) => client,
                Err(_) => {
                    std::thread::sleep(Duration::from_millis(20));
                    continue;
                }
            };
            client.set_nonblocking(false).unwrap();
            client
                .set_read_timeout(Some(Duration::from_secs(20)))
                .unwrap();
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && head.len() < 8192 {
                if client.read(&mut byte).unwrap_or(0) != 1 {
                    break;
                }
                head.push(byte[0]);
            }
            let head = String::from_utf8_lossy(&head).into_owned();
            let line = head.lines().next().unwrap_or("").to_string();
            lines.push(line.clone());
            let target = line
                .strip_prefix("CONNECT 127.0.0.1:")
                .and_then(|rest| rest.split(' ').next())
                .and_then(|port| port.parse::<u16>().ok());
            let Some(port) = target else {
                let _ = client.write_all(b"HTTP/1.1 403 Forbidden\r\n\r\n");
                continue;
            };
            let Ok(upstream) = TcpStream::connect(("127.0.0.1", port)) else {
                let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n");
                continue;
            };
            upstream
                .set_read_timeout(Some(Duration::from_secs(20)))
                .unwrap();
            client
                .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                .unwrap();
            pipe(client, upstream);
        }
        lines
    });
    (url, handle)
}

/// Copies both ways between `a` and `b` until either side closes.
fn pipe(a: TcpStream, b: TcpStream) {
    let (mut a_read, mut b_write) = (a.try_clone().unwrap(), b.try_clone().unwrap());
    let forward = std::thread::spawn(move || {
        let _ = std::io::copy(&mut a_read, &mut b_write);
        let _ = b_write.shutdown(std::net::Shutdown::Write);
    });
    let (mut b_read, mut a_write) = (b, a);
    let _ = std::io::copy(&mut b_read, &mut a_write);
    let _ = a_write.shutdown(std::net::Shutdown::Write);
    let _ = forward.join();
}
