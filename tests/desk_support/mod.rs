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

/// A named administrator with their key, signed in.
#[derive(Clone)]
pub struct Admin {
    pub id: String,
    pub key: SigningKey,
    pub cookie: String,
}

/// A named administrator's key made from `seed`.
pub fn admin_key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

/// Under the one-time link's session `link`, enrols administrator `id`
/// with the key of `seed`, as the page does; signed in as them.
pub async fn first_admin(http: &Http, link: &str, id: &str, name: &str, seed: u8) -> Admin {
    let key = admin_key(seed);
    let c = http
        .post("/api/challenge", None, b"{}".to_vec())
        .await
        .unwrap();
    let challenge = c.json()["challenge"].as_str().unwrap().to_string();
    let body = serde_json::json!({
        "id": id, "name": name,
        "public_key": ackreg_core::encoding::b64(key.verifying_key().as_bytes()),
        "challenge": challenge,
        "signature": proof(&key, ackreg_desk::ADMIN_ENROL_TYPE, &challenge),
        "pin": PIN,
    });
    let r = http
        .post(
            "/api/admin/enrol-key",
            Some(link),
            body.to_string().into_bytes(),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    Admin {
        id: id.into(),
        key,
        cookie: r.cookie.expect("a session cookie"),
    }
}

/// Signs in as a named administrator with their key and PIN.
pub async fn admin_key_signin(http: &Http, id: &str, key: &SigningKey) -> Admin {
    let c = http
        .post("/api/challenge", None, b"{}".to_vec())
        .await
        .unwrap();
    let challenge = c.json()["challenge"].as_str().unwrap().to_string();
    let body = serde_json::json!({
        "keyid": ackreg_core::keys::KeyId::of(&key.verifying_key()).to_string(),
        "challenge": challenge,
        "signature": proof(key, ackreg_desk::SIGNIN_TYPE, &challenge),
        "pin": PIN,
    });
    let r = http
        .post("/api/admin/signin-key", None, body.to_string().into_bytes())
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    Admin {
        id: id.into(),
        key: key.clone(),
        cookie: r.cookie.expect("a session cookie"),
    }
}

/// The signatures a page makes over an offer's requests.
pub fn sign_offer(key: &SigningKey, offer: &serde_json::Value) -> Vec<String> {
    offer["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let payload =
                ackreg_core::encoding::b64_strict(r["payload"].as_str().unwrap()).unwrap();
            let t = r["payloadType"].as_str().unwrap();
            let sig = ackreg_core::dsse::sign_bytes(key, &ackreg_core::dsse::pae(t, &payload));
            ackreg_core::encoding::b64(&sig.to_bytes())
        })
        .collect()
}

/// Asks for a change as a named administrator: posts `body` to `path`,
/// signs the offer and commits it. The commit's reply.
pub async fn ask(http: &Http, admin: &Admin, path: &str, body: serde_json::Value) -> Reply {
    let r = http
        .post(path, Some(&admin.cookie), body.to_string().into_bytes())
        .await
        .unwrap();
    if r.status != 200 {
        return r;
    }
    let offer = r.json();
    let commit = serde_json::json!({
        "plan": offer["plan"], "signatures": sign_offer(&admin.key, &offer),
    });
    http.post(
        "/api/admin/commit",
        Some(&admin.cookie),
        commit.to_string().into_bytes(),
    )
    .await
    .unwrap()
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
    let people: Vec<(String, String)> = (0..n)
        .map(|i| (format!("e{i:05}"), format!("Darbinieks Nr. {i}")))
        .collect();
    enrol_people(http, admin, &people, concurrency).await
}

/// Enrols each of `people` (id, name), the `i`-th with the key of seed
/// `i`, `concurrency` at a time.
pub async fn enrol_people(
    http: Arc<Http>,
    admin: &str,
    people: &[(String, String)],
    concurrency: usize,
) -> Vec<Employee> {
    let mut out = Vec::new();
    let numbered: Vec<(usize, &(String, String))> = people.iter().enumerate().collect();
    for chunk in numbered.chunks(concurrency) {
        let tasks: Vec<_> = chunk
            .iter()
            .map(|&(i, (id, name))| {
                let (http, admin) = (http.clone(), admin.to_string());
                let (id, name) = (id.clone(), name.clone());
                tokio::spawn(async move { enrol(&http, &admin, &id, &name, i as u64).await })
            })
            .collect();
        for t in tasks {
            out.push(t.await.unwrap());
        }
    }
    out
}

/// A load run on a desk in this process over the log folder `log`:
/// `people` (id, name) are enrolled at the desk, `enrolling` at a time,
/// then each signs every one of `versions` in turn, all at the same time,
/// until `limit` has passed. Returns what the run saw and how many checkpoints
/// the desk signed meanwhile.
pub fn desk_load(
    log: &Path,
    issuer: &SigningKey,
    people: &[(String, String)],
    enrolling: usize,
    versions: &[(String, [u8; 32])],
    limit: Duration,
) -> (LoadResult, usize) {
    let (result, commits, _) =
        desk_load_administered(log, issuer, people, enrolling, versions, limit, None);
    (result, commits)
}

/// What an administrator does while the employees sign: asks for the
/// administration page's status every `every`, and once, `publish` (a
/// named administrator's change, signed) after the first second.
pub struct Administration {
    pub every: Duration,
    pub publish: Option<Publisher>,
}

/// A publish made by the administrator during the load; its duration.
pub type PublishFuture = std::pin::Pin<Box<dyn std::future::Future<Output = Duration> + Send>>;
/// What makes a publish.
pub type Publisher = Box<dyn Fn(Arc<Http>, Admin) -> PublishFuture + Send>;

/// A publish from the page, as the administrator makes it: the PDF
/// uploaded, then the version asked for and signed; from the upload's
/// start to the commit's answer.
pub fn publisher(pdf: Vec<u8>, document: String, label: String, effective: String) -> Publisher {
    Box::new(move |http, admin| {
        let (pdf, document, label, effective) = (
            pdf.clone(),
            document.clone(),
            label.clone(),
            effective.clone(),
        );
        Box::pin(async move {
            let t = Instant::now();
            let dress = Dress {
                cookie: Some(&admin.cookie),
                content_type: Some("application/pdf"),
                origin: Some(&http.base),
                host: None,
            };
            let r = http
                .send("POST", "/api/admin/publish/pdf", &dress, pdf)
                .await
                .unwrap();
            assert_eq!(r.status, 200, "the upload: {}", r.text());
            let body = serde_json::json!({
                "staged": r.json()["id"], "document": document, "label": label,
                "effective": effective, "material": true, "deadline": "2099-12-31",
                "new_employee_days": 14,
            });
            let r = ask(&http, &admin, "/api/admin/publish", body).await;
            assert_eq!(r.status, 200, "the publish: {}", r.text());
            t.elapsed()
        })
    })
}

/// What the administrator saw: each page's round trip, the publish's.
#[derive(Debug, Default)]
pub struct AdminFigures {
    pub pages: Vec<Duration>,
    pub publish: Option<Duration>,
}

/// The administrator's side of a load: the page every `every` until
/// `done`, and the publish.
async fn administer(
    http: Arc<Http>,
    admin: Admin,
    work: Administration,
    done: Arc<std::sync::atomic::AtomicBool>,
) -> AdminFigures {
    let mut figures = AdminFigures::default();
    let started = Instant::now();
    let mut publish = work.publish;
    while !done.load(Ordering::Acquire) {
        let t = Instant::now();
        let r = http.get("/api/admin/status", Some(&admin.cookie)).await;
        assert!(matches!(&r, Ok(r) if r.status == 200), "the page: {r:?}");
        figures.pages.push(t.elapsed());
        if started.elapsed() > Duration::from_secs(1) {
            if let Some(p) = publish.take() {
                figures.publish = Some(p(http.clone(), admin.clone()).await);
            }
        }
        tokio::time::sleep(work.every).await;
    }
    figures
}

/// [`desk_load`], with an administrator at work beside the employees
/// (`administration`): a named administrator (key of seed 77) enrolled
/// by the one-time link before the load.
pub fn desk_load_administered(
    log: &Path,
    issuer: &SigningKey,
    people: &[(String, String)],
    enrolling: usize,
    versions: &[(String, [u8; 32])],
    limit: Duration,
    administration: Option<Administration>,
) -> (LoadResult, usize, AdminFigures) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let started = ackreg_desk::Desk::start(ackreg_desk::Config {
            log: log.to_path_buf(),
            issuer: issuer.clone(),
            tls: false,
            listen: addr,
            observer: Arc::new(ackreg_desk::Quiet),
        })
        .unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let app = ackreg_desk::http::router(started.desk.clone());
        let server = tokio::spawn(ackreg_desk::serve(listener, app, None, async {
            let _ = stopped.await;
        }));
        let http = Arc::new(Http::new(&format!("http://{addr}")));
        let admin = admin_signin(&http, &started.admin_token).await;
        let employees = enrol_people(http.clone(), &admin, people, enrolling).await;
        let named = match administration {
            Some(_) => Some(first_admin(&http, &admin, "ivarna", "Ilze Varna", 77).await),
            None => None,
        };
        // A fresh client: no connection the desk closed while idle is
        // reused. The first one is dropped first, and its connections with
        // it: the desk serves at most `MAX_PER_ADDRESS` from one address,
        // and closes any over that at once.
        drop(http);
        tokio::time::sleep(Duration::from_millis(200)).await;
        let http = Arc::new(Http::new(&format!("http://{addr}")));
        let before = checkpoints(log);
        let deadline = Instant::now() + limit;
        let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let admin_side = match (administration, named) {
            (Some(work), Some(named)) => {
                // The administrator's own client, as their browser is.
                let own = Arc::new(Http::new(&format!("http://{addr}")));
                Some(tokio::spawn(administer(own, named, work, done.clone())))
            }
            _ => None,
        };
        let result = load(
            http,
            &employees,
            versions,
            deadline,
            Arc::new(AtomicUsize::new(0)),
        )
        .await;
        done.store(true, Ordering::Release);
        let figures = match admin_side {
            Some(task) => task.await.unwrap(),
            None => AdminFigures::default(),
        };
        let commits = checkpoints(log) - before;
        let _ = stop.send(());
        let _ = server.await;
        let desk = started.desk.clone();
        tokio::task::spawn_blocking(move || desk.stop())
            .await
            .unwrap();
        (result, commits, figures)
    })
}

/// How many checkpoints the log has signed (one per commit).
pub fn checkpoints(log: &Path) -> usize {
    LogDir::new(log).history().unwrap().len()
}

/// What [`report_load`] prints, as numbers.
#[derive(Debug, Clone, Copy)]
pub struct LoadFigures {
    /// Accepted acknowledgements a second.
    pub per_second: f64,
    /// Round trips, median and 99th percentile.
    pub p50: Duration,
    pub p99: Duration,
}

/// Prints a load run's throughput and round trips, then checks that
/// every acknowledgement was accepted (`wanted`), every receipt verifies
/// against the log, none was lost or duplicated, and, with `audit`, that
/// the full audit passes.
pub fn report_load(
    log: &Path,
    issuer: &ed25519_dalek::VerifyingKey,
    mut result: LoadResult,
    commits: usize,
    wanted: usize,
    audit: bool,
) -> LoadFigures {
    let accepted = result.accepted.len();
    let secs = result.elapsed.as_secs_f64();
    let p50 = percentile(&mut result.latencies, 50.0);
    let p99 = percentile(&mut result.latencies, 99.0);
    let max = result.latencies.last().copied().unwrap_or_default();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "desk load: {accepted} of {wanted} acknowledgements accepted, {} failed",
        result.failed
    );
    println!(
        "  {secs:.2} s, {:.0} acknowledgements/s",
        accepted as f64 / secs
    );
    println!(
        "  round trip p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        ms(p50),
        ms(p99),
        ms(max)
    );
    println!(
        "  {commits} commits (checkpoints), {:.1} acknowledgements per commit",
        accepted as f64 / commits.max(1) as f64
    );
    let t0 = Instant::now();
    let before = acks_before(log, &result.accepted);
    let in_log = check_receipts(log, issuer, &result.accepted) - before;
    println!(
        "  every receipt verifies against the log ({:.2} s)",
        t0.elapsed().as_secs_f64()
    );
    assert_eq!(accepted, wanted, "every acknowledgement accepted");
    assert_eq!(in_log, accepted as u64, "none lost, none duplicated");
    if audit {
        let t0 = Instant::now();
        assert!(audit_passes(log, issuer), "the full audit passes");
        println!(
            "  the full audit of the log passes ({:.2} s)",
            t0.elapsed().as_secs_f64()
        );
    }
    LoadFigures {
        per_second: accepted as f64 / secs,
        p50,
        p99,
    }
}

/// How many acknowledgement entries the log held before the first of
/// `accepted` (zero for a log that had none).
fn acks_before(log: &Path, accepted: &[(u64, Vec<u8>)]) -> u64 {
    let first = accepted.iter().map(|(i, _)| *i).min().unwrap_or(0);
    LogDir::new(log)
        .index(first)
        .unwrap()
        .iter()
        .filter(|(_, kind)| *kind == entry::Kind::Ack.code())
        .count() as u64
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
            // Each client its own connection, as each browser holds its
            // own: a shared pool may open more connections than there are
            // clients, and the desk closes those over `MAX_PER_ADDRESS`
            // from one address at once.
            let (http, versions, date, count) = (
                Http::new(&http.base),
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
                        other => {
                            if mine.failed == 0 {
                                let why = match other {
                                    Ok(r) => format!("{} {}", r.status, r.text()),
                                    Err(e) => e,
                                };
                                eprintln!("{} refused: {why}", e.id);
                            }
                            mine.failed += 1;
                        }
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
        // The entry travels zlib-compressed (or verbatim, in older receipts).
        let carried = ackreg_core::log::receipt::entry_of_extra(&proof.extra.unwrap()).unwrap();
        assert_eq!(dir.entry(*index).unwrap(), carried, "entry {index} differs");
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
