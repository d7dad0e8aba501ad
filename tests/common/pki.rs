//! A test PKI made with the `openssl` command: a CA, time stamp authorities
//! issued by it (`openssl ts -reply`), tokens signed by unfit certificates
//! (`openssl cms -sign`), and a loopback HTTP time stamp authority. Shared
//! by tests/tsa.rs (the library) and tests/log_timestamp.rs (the CLI).
//!
//! These helpers need the `openssl` command; without it the tests fail.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use ackreg::tsa::Anchor;

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
            Key::P256 => self.openssl(&[
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-out",
                &out,
            ]),
        };
    }

    /// A self-signed CA certificate `name.pem` with a P-256 key.
    pub fn ca(&self, name: &str, subject: &str) {
        self.key(name, Key::P256);
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
            "-sha256",
            "-out",
            &pem,
        ]);
    }

    /// A TSA certificate `name.pem` issued by `issuer`, with the extensions
    /// of the `section` of ext.cnf.
    pub fn tsa(&self, name: &str, key: Key, issuer: &str, section: &str) {
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
            "7",
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
        self.write("query.tsq", query);
        let (pem, key) = (format!("{name}.pem"), format!("{name}.key"));
        self.openssl(&[
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
            "-chain",
            "ca.pem",
            "-out",
            "reply.tsr",
        ]);
        self.read("reply.tsr")
    }

    /// A token as `openssl cms -sign` makes it: `tst` signed by `name`,
    /// content type id-ct-TSTInfo, with signed attributes, ca.pem included.
    pub fn cms_token(&self, name: &str, tst: &[u8]) -> Vec<u8> {
        self.write("tst.der", tst);
        let (pem, key) = (format!("{name}.pem"), format!("{name}.key"));
        self.openssl(&[
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
        ]);
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
        self.write("stored.tst", token);
        let untrusted = format!("{tsa}.pem");
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
                "ca.pem",
            ])
            .args(["-untrusted", &untrusted])
            .current_dir(self.dir.path())
            .output()
            .expect("openssl is installed");
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains("Verification: OK")
    }

    pub fn anchors(&self, name: &str) -> Vec<Anchor> {
        Anchor::from_pem(&self.read(&format!("{name}.pem"))).expect("a PEM certificate")
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
            std::fs::write(dir.join("served.tsq"), &body).unwrap();
            openssl(
                &dir,
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
            let reply = std::fs::read(dir.join("served.tsr")).unwrap();
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

/// Reads one HTTP request: its head as text and its Content-Length body.
pub fn read_request(stream: &mut std::net::TcpStream) -> (String, Vec<u8>) {
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
