//! Shared by `tests/desk.rs` and `benches/desk_load.rs`: a log made for the
//! desk, a small HTTP client, simulated employees who sign with
//! ed25519-dalek, a bounded load runner, and the checks that every
//! accepted receipt is in the log.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ackreg_core::ack::Acknowledgement;
use ackreg_core::document::DocumentRef;
use ackreg_core::fsutil::Wait;
use ackreg_core::log::entry::{self, parse_date, Version};
use ackreg_core::log::{LogDir, Writer};
use ed25519_dalek::SigningKey;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;

/// The log's origin in every test.
pub const ORIGIN: &str = "aknistesnovads.lv/kac";

/// A log folder with its issuer key files.
pub struct Fixture {
    pub tmp: tempfile::TempDir,
    pub log: PathBuf,
    pub key_file: PathBuf,
    pub pub_file: PathBuf,
    pub issuer: SigningKey,
    /// (title, SHA-256) of every version, in order.
    pub versions: Vec<(String, [u8; 32])>,
}

/// Today (UTC), as the desk dates entries.
pub fn today() -> String {
    entry::format_date(time::OffsetDateTime::now_utc().date())
}

/// A log with one material version (effective 2020-01-01, deadline
/// 2099-12-31) and `count - 1` corrections of it, all in force, so that
/// an employee may sign each (the desk signs only versions in force: two
/// material versions effective the same day would leave only the second
/// in force). With `rules`, the first is the built-in rules PDF, stored in
/// `documents/` for the pages to show; the others are made-up bytes.
pub fn fixture(count: usize, rules: bool) -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("log");
    let issuer = SigningKey::from_bytes(&[42; 32]);
    let key_file = tmp.path().join("issuer.key");
    let pub_file = tmp.path().join("issuer.pub.pem");
    let pem = ackreg_core::keys::encode_secret_key(&issuer, None).unwrap();
    std::fs::write(&key_file, pem.as_bytes()).unwrap();
    let public = ackreg_core::keys::encode_public_key(&issuer.verifying_key()).unwrap();
    std::fs::write(&pub_file, public).unwrap();
    let created = parse_date("2020-01-01").unwrap();
    let first = entry::log_bytes(
        ORIGIN,
        "J.Gavars",
        &issuer.verifying_key(),
        "Aknīstes novada pašvaldība",
        created,
    )
    .unwrap();
    let mut writer = Writer::create(&log, issuer.clone(), first, Wait::Yes).unwrap();
    let docs = log.join("documents");
    std::fs::create_dir_all(&docs).unwrap();
    let mut versions = Vec::new();
    for i in 0..count {
        let (title, pdf) = if rules && i == 0 {
            let r = ackreg_core::render::Template::builtin()
                .render(&ackreg_core::render::RenderInput::default())
                .unwrap();
            (r.title, r.pdf)
        } else {
            (
                "Iekšējās kārtības noteikumi".to_string(),
                format!("made-up version {i}").into_bytes(),
            )
        };
        let sha = ackreg_core::document::sha256(&pdf);
        std::fs::write(
            docs.join(format!("{}.pdf", ackreg_core::encoding::hex(&sha))),
            &pdf,
        )
        .unwrap();
        let v = Version {
            document: None,
            label: (i + 1).to_string(),
            title: title.clone(),
            sha256: sha,
            effective: created,
            material: i == 0,
            deadline: if i == 0 {
                parse_date("2099-12-31")
            } else {
                None
            },
            new_employee_days: 14,
        };
        writer.append(entry::version_bytes(&v).unwrap()).unwrap();
        versions.push((title, sha));
    }
    writer.commit().unwrap();
    drop(writer);
    Fixture {
        tmp,
        log,
        key_file,
        pub_file,
        issuer,
        versions,
    }
}

/// An HTTP/1.1 client for one desk, with keep-alive connections.
pub struct Http {
    client: Client<HttpConnector, Full<Bytes>>,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
}

/// A response.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
    /// `NAME=VALUE` of a Set-Cookie header, if any.
    pub cookie: Option<String>,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// How a request is dressed.
#[derive(Debug, Clone, Default)]
pub struct Dress<'a> {
    pub cookie: Option<&'a str>,
    pub content_type: Option<&'a str>,
    pub origin: Option<&'a str>,
    pub host: Option<&'a str>,
}

impl Http {
    pub fn new(base: &str) -> Http {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(1024)
            .build(connector);
        Http {
            client,
            base: base.trim_end_matches('/').to_string(),
        }
    }

    /// Sends one request; `Err` when no answer came (connection refused or
    /// reset, or 30 s passed).
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        dress: &Dress<'_>,
        body: Vec<u8>,
    ) -> Result<Reply, String> {
        let mut req = hyper::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        if let Some(c) = dress.cookie {
            req = req.header("cookie", c);
        }
        if let Some(t) = dress.content_type {
            req = req.header("content-type", t);
        }
        if let Some(o) = dress.origin {
            req = req.header("origin", o);
        }
        if let Some(h) = dress.host {
            req = req.header("host", h);
        }
        let req = req
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| e.to_string())?;
        let answer = tokio::time::timeout(Duration::from_secs(30), async {
            let resp = self.client.request(req).await.map_err(|e| e.to_string())?;
            let status = resp.status().as_u16();
            let cookie = resp
                .headers()
                .get("set-cookie")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(';').next())
                .map(str::to_string);
            let body = resp
                .into_body()
                .collect()
                .await
                .map_err(|e| e.to_string())?
                .to_bytes()
                .to_vec();
            Ok(Reply {
                status,
                body,
                cookie,
            })
        });
        answer.await.map_err(|_| "timed out".to_string())?
    }

    /// A POST as the desk's own page makes it.
    pub async fn post(
        &self,
        path: &str,
        cookie: Option<&str>,
        body: Vec<u8>,
    ) -> Result<Reply, String> {
        let dress = Dress {
            cookie,
            content_type: Some("application/json"),
            origin: Some(&self.base),
            host: None,
        };
        self.send("POST", path, &dress, body).await
    }

    pub async fn get(&self, path: &str, cookie: Option<&str>) -> Result<Reply, String> {
        self.send(
            "GET",
            path,
            &Dress {
                cookie,
                ..Dress::default()
            },
            Vec::new(),
        )
        .await
    }
}

/// Signs in with the administrator's one-time token; the session cookie.
pub async fn admin_signin(http: &Http, token: &str) -> String {
    let r = http
        .post(
            "/api/admin/signin",
            None,
            serde_json::json!({"token": token}).to_string().into_bytes(),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    r.cookie.expect("a session cookie")
}

/// The PIN every simulated employee chooses at enrolment.
pub const PIN: &str = "2468";

/// A simulated employee: their key and session.
#[derive(Clone)]
pub struct Employee {
    pub id: String,
    pub name: String,
    pub key: SigningKey,
    pub cookie: String,
}

/// The signature a browser makes over PAE(`payload_type`, `message`).
pub fn proof(key: &SigningKey, payload_type: &str, message: &str) -> String {
    let sig = ackreg_core::dsse::sign_bytes(
        key,
        &ackreg_core::dsse::pae(payload_type, message.as_bytes()),
    );
    ackreg_core::encoding::b64(&sig.to_bytes())
}

/// Issues an enrolment link for `id` and enrols a new key with it, as the
/// page does.
pub async fn enrol(http: &Http, admin: &str, id: &str, name: &str, seed: u64) -> Employee {
    let issue = serde_json::json!({"id": id, "name": name});
    let r = http
        .post(
            "/api/admin/enrolments",
            Some(admin),
            issue.to_string().into_bytes(),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    let link = r.json()["link"].as_str().unwrap().to_string();
    let token = link.strip_prefix("/enrol#").unwrap().to_string();
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    bytes[31] = 7;
    let key = SigningKey::from_bytes(&bytes);
    let body = serde_json::json!({
        "token": token,
        "public_key": ackreg_core::encoding::b64(key.verifying_key().as_bytes()),
        "signature": proof(&key, ackreg_desk::ENROL_TYPE, &token),
        "pin": PIN,
    });
    let r = http
        .post("/api/enrol", None, body.to_string().into_bytes())
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    Employee {
        id: id.into(),
        name: name.into(),
        key,
        cookie: r.cookie.expect("a session cookie"),
    }
}

/// Enrols `n` employees, `concurrency` at a time.
pub async fn enrol_many(
    http: Arc<Http>,
    admin: &str,
    n: usize,
    concurrency: usize,
) -> Vec<Employee> {
    let mut out = Vec::new();
    for chunk in (0..n).collect::<Vec<_>>().chunks(concurrency) {
        let tasks: Vec<_> = chunk
            .iter()
            .map(|&i| {
                let (http, admin) = (http.clone(), admin.to_string());
                tokio::spawn(async move {
                    enrol(
                        &http,
                        &admin,
                        &format!("e{i:05}"),
                        &format!("Darbinieks Nr. {i}"),
                        i as u64,
                    )
                    .await
                })
            })
            .collect();
        for t in tasks {
            out.push(t.await.unwrap());
        }
    }
    out
}

/// The envelope an employee signs for a document on `date`.
pub fn envelope(e: &Employee, title: &str, sha: &[u8; 32], date: &str) -> Vec<u8> {
    let doc = DocumentRef {
        title: title.into(),
        sha256: *sha,
    };
    let ack = Acknowledgement::new(&doc, &e.name, &e.id, date, None).unwrap();
    ack.sign(&e.key).unwrap().to_json().unwrap()
}

/// What a load run saw.
#[derive(Debug, Default)]
pub struct LoadResult {
    /// (index, receipt) of every acknowledgement answered as accepted.
    pub accepted: Vec<(u64, Vec<u8>)>,
    /// The round trip of each accepted request.
    pub latencies: Vec<Duration>,
    /// Requests refused (4xx/5xx) or not answered.
    pub failed: usize,
    pub elapsed: Duration,
}

/// Every employee signs every version in turn, all employees at once,
/// stopping at `deadline`. `accepted_count` counts acceptances as they come.
pub async fn load(
    http: Arc<Http>,
    employees: &[Employee],
    versions: &[(String, [u8; 32])],
    deadline: Instant,
    accepted_count: Arc<AtomicUsize>,
) -> LoadResult {
    let started = Instant::now();
    let date = today();
    let versions = Arc::new(versions.to_vec());
    let tasks: Vec<_> = employees
        .iter()
        .cloned()
        .map(|e| {
            let (http, versions, date, count) = (
                http.clone(),
                versions.clone(),
                date.clone(),
                accepted_count.clone(),
            );
            tokio::spawn(async move {
                let mut mine = LoadResult::default();
                for (title, sha) in versions.iter() {
                    if Instant::now() > deadline {
                        break;
                    }
                    let body = envelope(&e, title, sha, &date);
                    let t0 = Instant::now();
                    match http.post("/api/ack", Some(&e.cookie), body).await {
                        Ok(r) if r.status == 200 => {
                            mine.latencies.push(t0.elapsed());
                            let j = r.json();
                            let receipt = j["receipt"]
                                .as_str()
                                .unwrap_or_default()
                                .as_bytes()
                                .to_vec();
                            mine.accepted
                                .push((j["entry"].as_u64().unwrap_or(u64::MAX), receipt));
                            count.fetch_add(1, Ordering::SeqCst);
                        }
                        _ => mine.failed += 1,
                    }
                }
                mine
            })
        })
        .collect();
    let mut all = LoadResult::default();
    for t in tasks {
        let mine = t.await.unwrap();
        all.accepted.extend(mine.accepted);
        all.latencies.extend(mine.latencies);
        all.failed += mine.failed;
    }
    all.elapsed = started.elapsed();
    all
}

/// The `p`-th percentile of `latencies` (0..=100).
pub fn percentile(latencies: &mut [Duration], p: f64) -> Duration {
    if latencies.is_empty() {
        return Duration::ZERO;
    }
    latencies.sort();
    let i = ((p / 100.0) * (latencies.len() - 1) as f64).round() as usize;
    latencies[i]
}

/// Checks every accepted receipt against the log folder: it verifies alone
/// with the issuer's key; its entry is the log's entry at its index, byte
/// for byte; the log's tree at the receipt's size has the receipt's root
/// (the log did not fork); no index was answered twice. Returns the number
/// of acknowledgement entries in the log.
pub fn check_receipts(
    log: &Path,
    issuer: &ed25519_dalek::VerifyingKey,
    accepted: &[(u64, Vec<u8>)],
) -> u64 {
    let dir = LogDir::new(log);
    let head = dir.checkpoint().unwrap();
    let mut seen = std::collections::HashSet::new();
    for (index, receipt) in accepted {
        let verified = ackreg_core::log::receipt::verify(receipt, issuer)
            .unwrap_or_else(|e| panic!("receipt {index}: {e}"));
        assert_eq!(verified.index, *index);
        assert!(seen.insert(*index), "entry {index} answered twice");
        let proof = tlog::tlogproof::TlogProof::parse(receipt).unwrap();
        assert_eq!(
            dir.entry(*index).unwrap(),
            ackreg_core::log::receipt::entry_of_extra(&proof.extra.unwrap()).unwrap(),
            "entry {index} differs"
        );
        let size = verified.checkpoint.checkpoint.size;
        assert!(size <= head.checkpoint.size);
        let root = tlog::merkle::root(&dir.tree(), size).unwrap();
        assert_eq!(
            root, verified.checkpoint.checkpoint.root,
            "the log forked after entry {index}"
        );
    }
    let acks = dir
        .index(head.checkpoint.size)
        .unwrap()
        .iter()
        .filter(|(_, kind)| *kind == entry::Kind::Ack.code())
        .count();
    acks as u64
}

/// Audits the log folder with the library's full audit.
pub fn audit_passes(log: &Path, issuer: &ed25519_dalek::VerifyingKey) -> bool {
    let options = ackreg_core::log::audit::AuditOptions {
        since: None,
        check: ackreg_core::verify::SignatureCheck::Batch,
        tsa_anchors: None,
    };
    let report = ackreg_core::log::audit::audit(
        &LogDir::new(log),
        &ackreg_core::verify::IssuerKey::Key(*issuer),
        &options,
        &ackreg_core::verify::NoProgress,
    )
    .unwrap();
    report.is_valid()
}
