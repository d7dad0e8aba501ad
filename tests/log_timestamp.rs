//! Time stamps over the log's checkpoints, driven through the real binary
//! with `openssl ts` as the time stamp authority (a test CA and TSA made in
//! each test): the offline `.tsq`/`.tsr` route, `--tsa URL` against a
//! loopback HTTP TSA, `openssl ts -verify` on the token ackreg kept, the
//! audit's step 9 with and without `--tsa-ca`, each refusal named, and the
//! token travelling in a receipt (still accepted by tlog-scales, Go's x/mod
//! and the spec-written checker), in the annex PDF and in the eDoc
//! container.
//!
//! These tests need the `openssl` command, Python with `tlog-scales`
//! and `cryptography`, and Go with x/mod (CI installs them); without them
//! they fail.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::ackreg;
use crate::common::pki::{connect_proxy, hex, serve, serve_tls, Key, Pki};
use sha2::{Digest, Sha256};

const ORIGIN: &str = "aknistesnovads.lv/kac";

/// The demo's log and a test PKI with the TSA `tsa` issued by `ca`.
struct Setup {
    _tmp: tempfile::TempDir,
    d: PathBuf,
    pki: Pki,
}

impl Setup {
    fn new() -> Setup {
        let tmp = tempfile::tempdir().unwrap();
        ackreg(tmp.path())
            .args(["demo", "--out", "d"])
            .run()
            .must_succeed();
        let pki = Pki::new();
        pki.tsa("tsa", Key::P256, "ca", "tsa");
        let d = tmp.path().join("d");
        Setup { _tmp: tmp, d, pki }
    }

    /// Runs ackreg in the demo folder with no proxy variable but those of
    /// `env`: exit code, stdout and stderr.
    fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
        let mut cmd = ackreg(&self.d).args(args);
        for var in ["https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY"] {
            cmd = cmd.env_remove(var);
        }
        for var in ["all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"] {
            cmd = cmd.env_remove(var);
        }
        for (key, value) in env {
            cmd = cmd.env(key, value);
        }
        let o = cmd.run();
        (o.code().unwrap_or(-1), o.text())
    }

    /// `log timestamp log --tsa URL` with the TLS options of [`Pki::tls`]
    /// (the client certificate if `client`), and `env`.
    fn stamp_https(&self, url: &str, client: bool, env: &[(&str, &str)]) -> (i32, String) {
        let path = |name: &str| self.pki.path(name).display().to_string();
        let (ca, cert, key) = (
            path("tls-ca.pem"),
            path("tls-client.pem"),
            path("tls-client.key"),
        );
        let mut args = vec!["log", "timestamp", "log", "--tsa", url, "--tsa-tls-ca", &ca];
        if client {
            args.extend(["--tsa-client-cert", &cert, "--tsa-client-key", &key]);
        }
        self.run_env(&args, env)
    }

    /// Runs ackreg in the demo folder: exit code, stdout and stderr.
    fn run(&self, args: &[&str]) -> (i32, String) {
        let o = ackreg(&self.d).args(args).run();
        (o.code().unwrap_or(-1), o.text())
    }

    fn ca(&self) -> String {
        self.pki.path("ca.pem").display().to_string()
    }

    /// `verify ARGS --issuer direktors.pub.pem`.
    fn verify(&self, args: &[&str]) -> (i32, String) {
        let mut all = vec!["verify"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--issuer", "direktors.pub.pem"]);
        self.run(&all)
    }

    /// `ackreg log receipt log --index INDEX [MORE] -o FILE`.
    fn receipt(&self, index: &str, more: &[&str], file: &str) -> (i32, String) {
        let mut args = vec!["log", "receipt", "log", "--index", index];
        args.extend_from_slice(more);
        args.extend_from_slice(&["-o", file]);
        self.run(&args)
    }

    fn checkpoints(&self) -> PathBuf {
        self.d.join("log/checkpoints")
    }

    /// The reply of `openssl ts -reply` (TSA `tsa`) to ackreg's request for
    /// checkpoint `n`.
    fn reply_for(&self, n: u64) -> Vec<u8> {
        let n = n.to_string();
        let (code, out) = self.run(&[
            "log",
            "timestamp",
            "log",
            "--checkpoint",
            &n,
            "--request",
            "q.tsq",
        ]);
        assert_eq!(code, 0, "{out}");
        let query = fs::read(self.d.join("q.tsq")).unwrap();
        self.pki.reply("tsa", "tsa_sha256", &query)
    }

    /// Stamps checkpoint `n` offline (the reply checked against the
    /// request's nonce); returns the kept token.
    fn stamp(&self, n: u64) -> Vec<u8> {
        fs::write(self.d.join("r.tsr"), self.reply_for(n)).unwrap();
        let (code, out) = self.run(&[
            "log",
            "timestamp",
            "log",
            "--checkpoint",
            &n.to_string(),
            "--reply",
            "r.tsr",
            "--query",
            "q.tsq",
        ]);
        assert_eq!(code, 0, "{out}");
        fs::read(self.checkpoints().join(format!("{n}.tsr"))).unwrap()
    }

    fn import(&self, n: u64, file: &str) -> (i32, String) {
        let n = n.to_string();
        self.run(&[
            "log",
            "timestamp",
            "log",
            "--checkpoint",
            &n,
            "--reply",
            file,
        ])
    }

    /// SHA-256 of `checkpoints/N`: the imprint.
    fn imprint(&self, n: u64) -> [u8; 32] {
        Sha256::digest(fs::read(self.checkpoints().join(n.to_string())).unwrap()).into()
    }

    /// The demo issuer's verifier key.
    fn vkey(&self) -> String {
        let pem = fs::read(self.d.join("direktors.pub.pem")).unwrap();
        let key = ackreg_core::keys::decode_public_key(&pem).unwrap();
        tlog::note::vkey(ORIGIN, &key)
    }
}

fn python(args: &[&str]) -> (i32, String) {
    let o = Command::new("python3")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("python3 is required for this test: {e}"));
    (
        o.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
    )
}

fn repo_file(relative: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(relative)
        .display()
        .to_string()
}

#[test]
fn offline_request_openssl_reply_import_and_audit() {
    let s = Setup::new();
    let token = s.stamp(18);
    // openssl accepts the kept token over SHA-256 of checkpoints/18.
    let imprint = s.imprint(18);
    assert!(s.pki.openssl_verifies(&token, &imprint, "tsa"));
    assert_eq!(hex(&imprint).len(), 64);

    let (code, out) = s.verify(&["log"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("9. [skip] timestamps"), "{out}");
    assert!(out.contains("present but not trusted"), "{out}");

    let ca = s.ca();
    let (code, out) = s.verify(&["log", "--tsa-ca", &ca]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("9. [ok]   timestamps: checkpoint 18 existed no later than 20"),
        "{out}"
    );
    assert!(out.contains("per TSA ackreg test TSA tsa"), "{out}");
    assert!(out.contains("it covers 8 acknowledgement(s)"), "{out}");

    let (code, out) = s.verify(&["log", "--tsa-ca", &ca, "--json"]);
    assert_eq!(code, 0, "{out}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    let stamp = &json["stamps"][0];
    assert_eq!(stamp["checkpoint"], 18);
    assert_eq!(stamp["acknowledgements"], 8);
    assert_eq!(stamp["trusted_by"], "CN=ackreg test CA");
    assert!(stamp["time"].as_str().unwrap().ends_with('Z'));

    // Importing the same reply again changes nothing.
    let (code, out) = s.import(18, "r.tsr");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("already kept"), "{out}");
}

#[test]
fn online_tsa_url_on_loopback() {
    let s = Setup::new();
    let (url, server) = serve(s.pki.dir.path().to_path_buf(), 1);
    let (code, out) = s.run(&["log", "timestamp", "log", "--tsa", &url]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("checkpoints/18.tsr"), "{out}");
    assert_eq!(server.join().unwrap().len(), 1);
    let token = fs::read(s.checkpoints().join("18.tsr")).unwrap();
    assert!(s.pki.openssl_verifies(&token, &s.imprint(18), "tsa"));
    let (code, out) = s.verify(&["log", "--tsa-ca", &s.ca()]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("existed no later than"), "{out}");

    let (code, out) = s.run(&["log", "timestamp", "log", "--tsa", "ftp://tsa.example/"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("not a usable http:// or https:// URL: ftp://tsa.example/"),
        "{out}"
    );
}

#[test]
fn https_tsa_asking_for_a_client_certificate_through_a_connect_proxy() {
    let s = Setup::new();
    s.pki.tls();
    let dir = s.pki.dir.path().to_path_buf();
    let (url, server) = serve_tls(dir, 2, Some("tls-ca.pem"));
    let (proxy, tunnels) = connect_proxy(2);
    let env = [("HTTPS_PROXY", proxy.as_str())];

    // Without the client certificate the TSA refuses the TLS handshake.
    let (code, out) = s.stamp_https(&url, false, &env);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("time stamp authority 127.0.0.1"), "{out}");
    assert!(
        out.contains("--tsa-client-cert"),
        "the hint names it: {out}"
    );
    assert_no_token(&s, 18);

    let (code, out) = s.stamp_https(&url, true, &env);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("kept the time stamp of checkpoint 18"),
        "{out}"
    );
    let served = server.join().unwrap();
    assert!(served[0].is_err(), "{served:?}");
    assert!(served[1]
        .as_ref()
        .unwrap()
        .starts_with("POST /tsa HTTP/1.1"));
    // Both went through the proxy, to the TSA's port.
    let port = url
        .trim_start_matches("https://127.0.0.1:")
        .trim_end_matches("/tsa");
    let lines = tunnels.join().unwrap();
    assert_eq!(lines.len(), 2, "{lines:?}");
    for line in lines {
        assert_eq!(line, format!("CONNECT 127.0.0.1:{port} HTTP/1.1"));
    }

    let token = fs::read(s.checkpoints().join("18.tsr")).unwrap();
    assert!(s.pki.openssl_verifies(&token, &s.imprint(18), "tsa"));
    let (code, out) = s.verify(&["log", "--tsa-ca", &s.ca()]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("existed no later than"), "{out}");
}

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn no_proxy_bypasses_the_proxy_and_without_it_the_proxy_is_used() {
    let s = Setup::new();
    s.pki.tls();
    let dir = s.pki.dir.path().to_path_buf();
    let (url, server) = serve_tls(dir, 1, Some("tls-ca.pem"));
    let dead = format!("http://127.0.0.1:{}", closed_port());

    // The proxy named is used: nothing listens there.
    let (code, out) = s.stamp_https(&url, true, &[("HTTPS_PROXY", &dead)]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("cannot"), "{out}");
    assert!(
        out.contains("hint: check the network, the URL and any proxy"),
        "{out}"
    );
    assert_no_token(&s, 18);

    let env = [
        ("HTTPS_PROXY", dead.as_str()),
        ("NO_PROXY", "localhost,127.0.0.1"),
    ];
    let (code, out) = s.stamp_https(&url, true, &env);
    assert_eq!(code, 0, "{out}");
    assert_eq!(server.join().unwrap().len(), 1);
}

#[test]
fn https_needs_the_tsas_tls_ca_or_a_public_one() {
    let s = Setup::new();
    s.pki.tls();
    let dir = s.pki.dir.path().to_path_buf();
    let (url, server) = serve_tls(dir, 1, None);
    // Without --tsa-tls-ca, the built-in Mozilla roots do not know the test CA.
    let (code, out) = s.run_env(&["log", "timestamp", "log", "--tsa", &url], &[]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("the TLS connection to the time stamp authority 127.0.0.1 failed"),
        "{out}"
    );
    assert!(
        out.contains("hint: check the TSA's TLS certificate (give its CA with --tsa-tls-ca PEM)"),
        "{out}"
    );
    assert_eq!(server.join().unwrap().len(), 1);
    assert_no_token(&s, 18);
    // A client key that is not a key, and options without --tsa.
    let cert = s.pki.path("tls-client.pem").display().to_string();
    let (code, out) = s.run(&[
        "log",
        "timestamp",
        "log",
        "--tsa",
        &url,
        "--tsa-client-cert",
        &cert,
        "--tsa-client-key",
        &cert,
    ]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("the TLS client key is not a PEM private key"),
        "{out}"
    );
    let (code, out) = s.run(&[
        "log",
        "timestamp",
        "log",
        "--request",
        "q.tsq",
        "--tsa-tls-ca",
        &cert,
    ]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("--tsa-tls-ca and --tsa-timeout go with --tsa URL"),
        "{out}"
    );
}

#[test]
fn a_silent_tsa_is_given_up_at_the_deadline() {
    let s = Setup::new();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/tsa", listener.local_addr().unwrap());
    // Accepts, reads, never answers; gone when the test ends.
    std::thread::spawn(move || {
        use std::io::Read;
        if let Ok((mut stream, _)) = listener.accept() {
            let mut buf = [0u8; 4096];
            while matches!(stream.read(&mut buf), Ok(n) if n > 0) {}
        }
    });
    let (code, out) = s.run(&[
        "log",
        "timestamp",
        "log",
        "--tsa",
        &url,
        "--tsa-timeout",
        "1",
    ]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("no complete reply from the time stamp authority within 1s"),
        "{out}"
    );
    assert_no_token(&s, 18);
}

#[test]
fn a_ber_token_is_kept_as_received_and_audited() {
    let s = Setup::new();
    let tst = s.pki.tst_info(&bare_token(&s.reply_for(18)));
    let ber = s.pki.cms_token_with("tsa", &tst, &["-cades", "-stream"]);
    assert_eq!(ber[..2], [0x30, 0x80]);
    fs::write(s.d.join("ber.tsr"), &ber).unwrap();
    let (code, out) = s.import(18, "ber.tsr");
    assert_eq!(code, 0, "{out}");
    let kept = fs::read(s.checkpoints().join("18.tsr")).unwrap();
    assert_eq!(kept, ber, "kept byte for byte");
    assert!(s.pki.openssl_verifies(&kept, &s.imprint(18), "tsa"));
    let (code, out) = s.verify(&["log", "--tsa-ca", &s.ca()]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("9. [ok]   timestamps"), "{out}");
    let (code, out) = s.receipt("3", &[], "r.tlog-proof");
    assert_eq!(code, 0, "{out}");
    let (code, out) = s.verify(&["r.tlog-proof", "--tsa-ca", &s.ca()]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("VALID"), "{out}");
}

#[test]
fn a_token_without_the_ess_attribute_is_not_kept() {
    let s = Setup::new();
    let tst = s.pki.tst_info(&bare_token(&s.reply_for(18)));
    let token = s.pki.cms_token_with("tsa", &tst, &[]);
    assert!(!s.pki.openssl_verifies(&token, &s.imprint(18), "tsa"));
    fs::write(s.d.join("noess.tsr"), &token).unwrap();
    let (code, out) = s.import(18, "noess.tsr");
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("the token has no ESS signing-certificate attribute"),
        "{out}"
    );
    assert_no_token(&s, 18);
    // Kept by hand all the same, the audit refuses it.
    fs::write(s.checkpoints().join("18.tsr"), &token).unwrap();
    let (code, out) = s.verify(&["log", "--tsa-ca", &s.ca()]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("no ESS signing-certificate attribute"),
        "{out}"
    );
}

#[test]
fn tsa_chain_gives_the_intermediate_the_token_lacks() {
    let s = Setup::new();
    s.pki
        .intermediate("ica", "ackreg test ICA", Key::P521, "ca", Key::P256);
    s.pki
        .tsa_signed("itsa", Key::P256, "ica", "tsa", &["-sha512"]);
    let (code, out) = s.run(&["log", "timestamp", "log", "--request", "q.tsq"]);
    assert_eq!(code, 0, "{out}");
    let query = fs::read(s.d.join("q.tsq")).unwrap();
    let reply = s.pki.reply_chain("itsa", "tsa_sha256", &query, None);
    fs::write(s.d.join("i.tsr"), reply).unwrap();
    let (code, out) = s.run(&[
        "log",
        "timestamp",
        "log",
        "--reply",
        "i.tsr",
        "--query",
        "q.tsq",
    ]);
    assert_eq!(code, 0, "{out}");

    let (ca, ica) = (s.ca(), s.pki.path("ica.pem").display().to_string());
    let (code, out) = s.verify(&["log", "--tsa-ca", &ca]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("the issuer CN=ackreg test ICA of"), "{out}");
    let (code, out) = s.verify(&["log", "--tsa-ca", &ca, "--tsa-chain", &ica]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("(trusted through CN=ackreg test CA)"), "{out}");
    // --tsa-chain alone is not trust.
    let (code, out) = s.verify(&["log", "--tsa-chain", &ica]);
    assert_eq!(code, 2, "{out}");
}

/// No file under checkpoints/ but N and N.tsr written by these tests.
fn assert_no_token(s: &Setup, n: u64) {
    assert!(!s.checkpoints().join(format!("{n}.tsr")).exists());
    let names: Vec<String> = fs::read_dir(s.checkpoints())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.contains("tmp")), "{names:?}");
}

#[test]
fn imports_that_do_not_fit_are_refused_with_exit_2_and_nothing_written() {
    let s = Setup::new();
    // A reply over checkpoint 10 imported as 18.
    fs::write(s.d.join("r10.tsr"), s.reply_for(10)).unwrap();
    let (code, out) = s.import(18, "r10.tsr");
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("r10.tsr: not a time stamp of checkpoint 18: the time stamp is over"),
        "{out}"
    );
    assert_no_token(&s, 18);
    // Malformed DER, and an oversized file.
    fs::write(s.d.join("bad.tsr"), b"\x30\x82\x01\x00garbage").unwrap();
    let (code, out) = s.import(18, "bad.tsr");
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("bad.tsr: not a time stamp of checkpoint 18: malformed"),
        "{out}"
    );
    let big = vec![0x30; ackreg_core::tsa::MAX_RESPONSE_LEN + 1];
    fs::write(s.d.join("big.tsr"), big).unwrap();
    let (code, out) = s.import(18, "big.tsr");
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("big.tsr: is larger than"), "{out}");
    // A reply to another request than the one given (its nonce differs).
    let (code, out) = s.run(&["log", "timestamp", "log", "--request", "q2.tsq"]);
    assert_eq!(code, 0, "{out}");
    fs::write(s.d.join("r18.tsr"), s.reply_for(18)).unwrap();
    let (code, out) = s.run(&[
        "log",
        "timestamp",
        "log",
        "--reply",
        "r18.tsr",
        "--query",
        "q2.tsq",
    ]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("r18.tsr: not a time stamp of checkpoint 18: the token's nonce is not the one sent in the request"), "{out}");
    let (code, out) = s.run(&[
        "log",
        "timestamp",
        "log",
        "--checkpoint",
        "10",
        "--reply",
        "r18.tsr",
        "--query",
        "q.tsq",
    ]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("q.tsq: the time stamp request is not for checkpoint 10"),
        "{out}"
    );
    assert_no_token(&s, 18);
    // A checkpoint the log did not keep.
    let (code, out) = s.import(7, "r10.tsr");
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("no checkpoint of 7 entries"), "{out}");
    assert_no_token(&s, 18);
    // A token by a certificate without the time stamping EKU.
    s.pki.tsa("noeku", Key::P256, "ca", "tsa_no_eku");
    let tst = s.pki.tst_info(&bare_token(&s.reply_for(18)));
    fs::write(s.d.join("noeku.tsr"), s.pki.cms_token("noeku", &tst)).unwrap();
    let (code, out) = s.import(18, "noeku.tsr");
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("has no extended key usage"), "{out}");
    assert_no_token(&s, 18);
    // A second, different token for a stamped checkpoint is kept beside
    // the first, which stays as it was.
    s.stamp(18);
    let before = fs::read(s.checkpoints().join("18.tsr")).unwrap();
    fs::write(s.d.join("again.tsr"), s.reply_for(18)).unwrap();
    let (code, out) = s.import(18, "again.tsr");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("checkpoints/18.2.tsr"), "{out}");
    assert_eq!(fs::read(s.checkpoints().join("18.tsr")).unwrap(), before);
}

/// The token inside an `openssl ts -reply` response.
fn bare_token(reply: &[u8]) -> Vec<u8> {
    ackreg_core::tsa::parse_response(reply).unwrap().to_der()
}

#[test]
fn the_audit_refuses_and_names_each_bad_token() {
    let s = Setup::new();
    let good = s.stamp(18);
    let ca = s.ca();
    let kept = s.checkpoints().join("18.tsr");
    let audit_fails = |token: &[u8], anchors: &str, why: &str| {
        fs::write(&kept, token).unwrap();
        let (code, out) = s.verify(&["log", "--tsa-ca", anchors]);
        assert_eq!(code, 1, "{why}: {out}");
        assert!(
            out.contains("9. [FAIL] timestamps: checkpoints/18.tsr: "),
            "{out}"
        );
        assert!(out.contains(why), "{why}: {out}");
        assert!(out.contains("INVALID"), "{out}");
    };
    // A tampered token: its signature is the last field.
    let mut tampered = good.clone();
    *tampered.last_mut().unwrap() ^= 1;
    audit_fails(
        &tampered,
        &ca,
        "the time stamp authority's signature does not verify",
    );
    // A token over another checkpoint.
    let other = bare_token(&s.reply_for(10));
    audit_fails(&other, &ca, "the time stamp is over");
    // A TSA outside the trust anchor given.
    let elsewhere = Pki::new();
    elsewhere.ca("other", "another test CA");
    let other_ca = elsewhere.path("other.pem").display().to_string();
    audit_fails(&good, &other_ca, "neither in the token nor a trust anchor");
    // An impostor CA of the same name.
    let impostor = elsewhere.path("ca.pem").display().to_string();
    audit_fails(&good, &impostor, "does not verify under its issuer's key");
    // A certificate without the time stamping EKU.
    s.pki.tsa("noeku", Key::P256, "ca", "tsa_no_eku");
    let tst = s.pki.tst_info(&good);
    audit_fails(
        &s.pki.cms_token("noeku", &tst),
        &ca,
        "has no extended key usage",
    );
    // Malformed: named too, and without anchors still a failure.
    fs::write(&kept, b"\x30\x03\x02\x01\x01").unwrap();
    let (code, out) = s.verify(&["log"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("9. [FAIL] timestamps: checkpoints/18.tsr: malformed"),
        "{out}"
    );
    // Back to the good token: valid again.
    fs::write(&kept, &good).unwrap();
    assert_eq!(s.verify(&["log", "--tsa-ca", &ca]).0, 0);
}

#[test]
fn a_receipt_carries_the_token_and_stays_a_valid_tlog_proof() {
    let s = Setup::new();
    let token = s.stamp(18);
    let (code, out) = s.receipt("17", &[], "r.tlog-proof");
    assert_eq!(code, 0, "{out}");
    let receipt = fs::read_to_string(s.d.join("r.tlog-proof")).unwrap();
    assert!(
        receipt.contains("\n\u{2014} rfc3161-timestamp "),
        "{receipt}"
    );

    let (code, out) = s.verify(&["r.tlog-proof", "--tsa-ca", &s.ca()]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("5. [ok]   timestamps: checkpoint 18 existed no later than"),
        "{out}"
    );
    let (code, out) = s.verify(&["r.tlog-proof"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("present but not trusted"), "{out}");

    // Against an older, stamped checkpoint while the newest has no stamp.
    fs::remove_file(s.checkpoints().join("18.tsr")).unwrap();
    s.stamp(10);
    let (code, out) = s.receipt("9", &["--checkpoint", "10"], "r10.tlog-proof");
    assert_eq!(code, 0, "{out}");
    let (code, out) = s.verify(&["r10.tlog-proof", "--tsa-ca", &s.ca()]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("2. [ok]   checkpoint: signed by aknistesnovads.lv/kac (10 entries)"),
        "{out}"
    );
    assert!(
        out.contains("5. [ok]   timestamps: checkpoint 10 existed no later than"),
        "{out}"
    );
    let (code, out) = s.receipt("12", &["--checkpoint", "10"], "bad.tlog-proof");
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("there is no entry 12"), "{out}");

    // Readers that do not know the time stamp line ignore it.
    let path = s.d.join("r.tlog-proof").display().to_string();
    let vkey = s.vkey();
    let (code, out) = python(&[
        &repo_file("crates/tlog/tests/interop/c2sp_check.py"),
        "proof",
        "--entry-in-extra",
        "--zlib-extra",
        &vkey,
        &path,
    ]);
    assert_eq!(
        code, 0,
        "the spec checker refuses the stamped receipt: {out}"
    );
    let checkpoint = receipt.split_once("\n\n").unwrap().1;
    let cp_path = s.d.join("stamped.checkpoint");
    fs::write(&cp_path, checkpoint).unwrap();
    let (code, out) = python(&[
        &repo_file("crates/tlog/tests/interop/tlog_scales_check.py"),
        &vkey,
        &cp_path.display().to_string(),
    ]);
    assert_eq!(code, 0, "tlog-scales refuses the stamped checkpoint: {out}");
    let (code, out) = crate::xmod::xmodcheck(&["proof", "-ackreg-extra", &vkey, &path]);
    assert_eq!(code, 0, "Go's x/mod refuses the stamped receipt: {out}");

    // A changed token in the receipt fails step 5, naming why.
    let b64 = ackreg_core::encoding::b64;
    let mut bad = token.clone();
    *bad.last_mut().unwrap() ^= 1;
    let line = |t: &[u8]| {
        let mut raw = receipt_key_id(&receipt).to_vec();
        raw.extend_from_slice(t);
        b64(&raw)
    };
    let tampered = receipt.replace(&line(&token), &line(&bad));
    assert_ne!(tampered, receipt);
    fs::write(s.d.join("bad.tlog-proof"), tampered).unwrap();
    let (code, out) = s.verify(&["bad.tlog-proof", "--tsa-ca", &s.ca()]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(
            "5. [FAIL] timestamps: receipt: the time stamp authority's signature does not verify"
        ),
        "{out}"
    );
}

/// The key id bytes of the receipt's time stamp line.
fn receipt_key_id(receipt: &str) -> [u8; 4] {
    let line = receipt
        .lines()
        .find(|l| l.starts_with("\u{2014} rfc3161-timestamp "))
        .unwrap();
    let b64 = line.rsplit(' ').next().unwrap();
    let raw = ackreg_core::encoding::b64_strict(b64).unwrap();
    [raw[0], raw[1], raw[2], raw[3]]
}

#[test]
fn the_annex_pdf_and_the_edoc_carry_the_token() {
    let s = Setup::new();
    let token = s.stamp(18);
    let (code, out) = s.run(&["log", "annex", "log", "--version", "2", "-o", "p.pdf"]);
    assert_eq!(code, 0, "{out}");
    let pdf = fs::read(s.d.join("p.pdf")).unwrap();
    assert_eq!(
        ackreg_core::pdf::attachment(&pdf, "checkpoint.tsr").unwrap(),
        token
    );
    let (code, out) = s.verify(&["p.pdf", "--tsa-ca", &s.ca()]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("8. [ok]   annex"), "{out}");
    assert!(
        out.contains("9. [ok]   timestamps: checkpoint 18 existed no later than"),
        "{out}"
    );

    // A TSA outside the anchor given fails step 9; the pages still compare.
    let elsewhere = Pki::new();
    elsewhere.ca("other", "another test CA");
    let other = elsewhere.path("other.pem").display().to_string();
    let (code, out) = s.verify(&["p.pdf", "--tsa-ca", &other]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("8. [ok]   annex"), "{out}");
    assert!(
        out.contains("9. [FAIL] timestamps: checkpoints/18.tsr: the issuer"),
        "{out}"
    );

    let (code, out) = s.run(&["export", "--log", "log", "--edoc", "x.edoc"]);
    assert_eq!(code, 0, "{out}");
    let container = ackreg_core::edoc::read(&fs::read(s.d.join("x.edoc")).unwrap()).unwrap();
    let carried = container
        .files
        .iter()
        .find(|f| f.name == "log/checkpoints/18.tsr")
        .expect("the container carries the token");
    assert_eq!(carried.bytes, token);
    let (code, out) = s.verify(&["x.edoc", "--tsa-ca", &s.ca()]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("9. [ok]   timestamps: checkpoint 18 existed no later than"),
        "{out}"
    );
    let (code, out) = s.verify(&["x.edoc"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("present but not trusted"), "{out}");
}

#[test]
fn several_tsas_stamp_one_checkpoint_and_each_is_audited_and_carried() {
    let s = Setup::new();
    let first = s.stamp(18);
    // A second TSA, under a CA of its own.
    s.pki.ca("ca2", "second test CA");
    s.pki.tsa("tsa2", Key::Rsa, "ca2", "tsa");
    let (code, out) = s.run(&["log", "timestamp", "log", "--request", "q2.tsq"]);
    assert_eq!(code, 0, "{out}");
    let query = fs::read(s.d.join("q2.tsq")).unwrap();
    s.pki.write("ca.pem.bak", &s.pki.read("ca.pem"));
    // `reply` chains to ca.pem: give it the second CA for this reply.
    s.pki.write("ca.pem", &s.pki.read("ca2.pem"));
    let reply = s.pki.reply("tsa2", "tsa_sha256", &query);
    s.pki.write("ca.pem", &s.pki.read("ca.pem.bak"));
    fs::write(s.d.join("r2.tsr"), reply).unwrap();
    let (code, out) = s.run(&[
        "log",
        "timestamp",
        "log",
        "--reply",
        "r2.tsr",
        "--query",
        "q2.tsq",
    ]);
    assert_eq!(code, 0, "{out}");
    let second = fs::read(s.checkpoints().join("18.2.tsr")).unwrap();
    assert_eq!(fs::read(s.checkpoints().join("18.tsr")).unwrap(), first);

    // Both anchors: both stamps trusted, each named.
    let ca2 = s.pki.path("ca2.pem").display().to_string();
    let (code, out) = s.verify(&["log", "--tsa-ca", &s.ca(), "--tsa-ca", &ca2]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("per TSA ackreg test TSA tsa (trusted through CN=ackreg test CA)"),
        "{out}"
    );
    assert!(
        out.contains("per TSA ackreg test TSA tsa2 (trusted through CN=second test CA)"),
        "{out}"
    );
    // One anchor only: the other TSA fails the step, named by its file.
    let (code, out) = s.verify(&["log", "--tsa-ca", &s.ca()]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("9. [FAIL] timestamps: checkpoints/18.2.tsr: the issuer"),
        "{out}"
    );

    // The receipt carries both lines; the annex and the eDoc both tokens.
    let (code, out) = s.receipt("17", &[], "r.tlog-proof");
    assert_eq!(code, 0, "{out}");
    let receipt = fs::read_to_string(s.d.join("r.tlog-proof")).unwrap();
    assert_eq!(
        receipt.matches("\n\u{2014} rfc3161-timestamp ").count(),
        2,
        "{receipt}"
    );
    let (code, out) = s.verify(&["r.tlog-proof", "--tsa-ca", &s.ca(), "--tsa-ca", &ca2]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("time stamp: checkpoint 18 existed no later than"),
        "{out}"
    );
    let (code, out) = s.run(&["log", "annex", "log", "--version", "2", "-o", "p.pdf"]);
    assert_eq!(code, 0, "{out}");
    let pdf = fs::read(s.d.join("p.pdf")).unwrap();
    assert_eq!(
        ackreg_core::pdf::attachment(&pdf, "checkpoint.tsr").unwrap(),
        first
    );
    assert_eq!(
        ackreg_core::pdf::attachment(&pdf, "checkpoint.2.tsr").unwrap(),
        second
    );
    let (code, out) = s.verify(&["p.pdf", "--tsa-ca", &s.ca(), "--tsa-ca", &ca2]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("8. [ok]   annex"), "{out}");
    let (code, out) = s.run(&["export", "--log", "log", "--edoc", "x.edoc"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("log/checkpoints/18.2.tsr"), "{out}");
    let (code, out) = s.verify(&["x.edoc", "--tsa-ca", &s.ca(), "--tsa-ca", &ca2]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("tsa2 (trusted through CN=second test CA)"),
        "{out}"
    );
}

/// Issue 18: one annex path. The desk's download and `ackreg log annex`
/// give the same bytes for a log with a time stamp kept, and both carry it.
#[test]
fn the_desk_hands_out_the_same_annex_as_the_cli_with_its_time_stamp() {
    let s = Setup::new();
    let token = s.stamp(18);
    let (code, out) = s.run(&["log", "annex", "log", "--version", "2", "-o", "p.pdf"]);
    assert_eq!(code, 0, "{out}");
    let cli = fs::read(s.d.join("p.pdf")).unwrap();

    let log = ackreg_core::log::LogDir::new(&s.d.join("log"));
    let (_, state) = log.committed().unwrap();
    let n = state
        .versions()
        .iter()
        .filter(|p| p.version.material)
        .position(|p| p.version.label == "2")
        .expect("version 2 is material");
    let desk = ackreg_desk::view::annex(&log, n as u64).unwrap();
    assert_eq!(
        ackreg_core::pdf::attachment(&desk, "checkpoint.tsr").unwrap(),
        token,
        "the desk's annex carries the kept time stamp"
    );
    assert!(
        desk == cli,
        "the desk's annex differs from `ackreg log annex`"
    );
}

/// Issue 18: a token kept for the checkpoint that is not a time stamp of
/// it is not carried in the annex, and `ackreg log annex` says so.
#[test]
fn a_kept_token_the_annex_cannot_carry_is_named() {
    let s = Setup::new();
    let token = s.stamp(18);
    fs::write(s.checkpoints().join("18.2.tsr"), b"not a token").unwrap();
    let (code, out) = s.run(&["log", "annex", "log", "--version", "2", "-o", "p.pdf"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("18.2.tsr: not carried in the annex: it is not a time stamp token"),
        "{out}"
    );
    let pdf = fs::read(s.d.join("p.pdf")).unwrap();
    assert_eq!(
        ackreg_core::pdf::attachment(&pdf, "checkpoint.tsr").unwrap(),
        token
    );
    assert!(ackreg_core::pdf::attachment(&pdf, "checkpoint.2.tsr").is_err());
}
