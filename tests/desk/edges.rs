//! The desk as clerks and employees meet it (issue 17, section 3): a
//! version published ahead of its day, stalled request bodies, departures
//! dated ahead, the administrator locked out, the rate limit behind a NAT,
//! and the smaller points. Each test drives the real `ackreg serve`.

use std::time::Duration;

use ackreg_core::fsutil::Wait;
use ackreg_core::log::entry::{self, format_date, Version};
use serde_json::{json, Value};

use super::{checkpoint_size, common, runtime, Server};
use crate::desk_support::{self, Employee, Fixture, Http, Reply};

/// The desk's today (the child inherits this process's time zone).
fn today() -> time::Date {
    ackreg_core::clock::today()
}

pub(crate) fn day(offset: i64) -> String {
    format_date(today() + time::Duration::days(offset))
}

/// Publishes a version into the stopped desk's log (a made-up PDF kept in
/// `documents/`); its (title, SHA-256).
pub(crate) fn publish(
    fx: &Fixture,
    label: &str,
    effective: &str,
    material: bool,
) -> (String, [u8; 32]) {
    let pdf = format!("made-up version {label}").into_bytes();
    let sha = ackreg_core::document::sha256(&pdf);
    let docs = fx.log.join("documents");
    std::fs::write(
        docs.join(format!("{}.pdf", ackreg_core::encoding::hex(&sha))),
        &pdf,
    )
    .unwrap();
    let effective = entry::parse_date(effective).unwrap();
    let title = "Iekšējās kārtības noteikumi".to_string();
    let v = Version {
        document: None,
        label: label.into(),
        title: title.clone(),
        sha256: sha,
        effective,
        material,
        deadline: material.then(|| effective + time::Duration::days(30)),
        new_employee_days: 14,
    };
    let mut w =
        ackreg_core::log::Writer::open(&fx.log, fx.issuer.clone(), Wait::Yes, |_, _| {}).unwrap();
    w.append(entry::version_bytes(&v).unwrap()).unwrap();
    w.commit().unwrap();
    (title, sha)
}

/// Signs in with the employee's key as the page does; the session cookie.
async fn signin(http: &Http, e: &Employee) -> Reply {
    let r = http
        .post("/api/challenge", None, b"{}".to_vec())
        .await
        .unwrap();
    let challenge = r.json()["challenge"].as_str().unwrap().to_string();
    let body = json!({
        "keyid": ackreg_core::keys::KeyId::of(&e.key.verifying_key()).to_string(),
        "challenge": challenge,
        "signature": desk_support::proof(&e.key, ackreg_desk::SIGNIN_TYPE, &challenge),
        "pin": desk_support::PIN,
    });
    http.post("/api/signin", None, body.to_string().into_bytes())
        .await
        .unwrap()
}

async fn ack(http: &Http, e: &Employee, doc: &(String, [u8; 32]), date: &str) -> Reply {
    let body = desk_support::envelope(e, &doc.0, &doc.1, date);
    http.post("/api/ack", Some(&e.cookie), body).await.unwrap()
}

fn error_of(r: &Reply) -> (u16, Value) {
    (r.status, r.json()["error"].clone())
}

/// The versions of `/api/me` as (label, phase, can_sign).
async fn my_versions(http: &Http, e: &Employee) -> Vec<(String, String, bool)> {
    let me = http.get("/api/me", Some(&e.cookie)).await.unwrap();
    assert_eq!(me.status, 200, "{}", me.text());
    me.json()["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["label"].as_str().unwrap().to_string(),
                v["phase"].as_str().unwrap_or("").to_string(),
                v["can_sign"].as_bool().unwrap(),
            )
        })
        .collect()
}

fn v(label: &str, phase: &str, can_sign: bool) -> (String, String, bool) {
    (label.into(), phase.into(), can_sign)
}

/// Point 1: version 2 published effective in two weeks. Until then
/// version 1 is in force and signed; version 2 is shown to read, marked
/// coming, and refused as such. `ackreg log status` agrees.
#[test]
fn a_version_published_ahead_takes_over_on_its_day() {
    let fx = desk_support::fixture(1, false);
    let coming = publish(&fx, "2", &day(14), true);
    let server = Server::start(&fx, true);
    runtime().block_on(async {
        let http = Http::new(&server.base);
        let admin = desk_support::admin_signin(&http, &server.admin_token).await;
        let anna = desk_support::enrol(&http, &admin, "aozola", "Anna Ozola", 1).await;
        assert_eq!(
            my_versions(&http, &anna).await,
            [v("1", "in_force", true), v("2", "coming", false)]
        );
        let r = ack(&http, &anna, &coming, &day(0)).await;
        assert_eq!(error_of(&r), (422, json!("coming")), "{}", r.text());
        assert!(
            r.json()["message"]
                .as_str()
                .unwrap()
                .contains(&format!("takes effect on {}", day(14))),
            "{}",
            r.text()
        );
        let r = ack(&http, &anna, &fx.versions[0], &day(0)).await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(
            my_versions(&http, &anna).await,
            [v("1", "in_force", false), v("2", "coming", false)]
        );
    });
    drop(server);
    let o = common::ackreg(fx.tmp.path())
        .args(["log", "status", "--json"])
        .arg(&fx.log)
        .run()
        .must_succeed();
    let status: Value = serde_json::from_slice(o.stdout_bytes()).unwrap();
    let phases: Vec<&str> = status
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["phase"].as_str().unwrap())
        .collect();
    assert_eq!(phases, ["in_force", "coming"]);
}

/// Point 10: an acknowledgement of a superseded version, which the page
/// never offers, is refused rather than written and shown nowhere.
#[test]
fn a_superseded_version_is_not_signed() {
    let fx = desk_support::fixture(1, false);
    publish(&fx, "2", "2020-01-01", true);
    let server = Server::start(&fx, true);
    runtime().block_on(async {
        let http = Http::new(&server.base);
        let admin = desk_support::admin_signin(&http, &server.admin_token).await;
        let anna = desk_support::enrol(&http, &admin, "aozola", "Anna Ozola", 1).await;
        let before = checkpoint_size(&fx.log);
        let r = ack(&http, &anna, &fx.versions[0], &day(0)).await;
        assert_eq!(error_of(&r), (422, json!("superseded")), "{}", r.text());
        assert_eq!(checkpoint_size(&fx.log), before);
        assert_eq!(
            my_versions(&http, &anna).await,
            [v("2", "in_force", true)],
            "she joined after version 1 ended"
        );
    });
}

/// Point 3: a departure dated next week is planned, not written: the
/// employee still signs in, signs and may get a new link, the status page
/// says when they leave; on the day the entry is written with that date.
#[test]
fn a_departure_dated_ahead_is_written_on_its_day() {
    let fx = desk_support::fixture(1, false);
    let server = Server::start(&fx, true);
    let rt = runtime();
    let anna = rt.block_on(async {
        let http = Http::new(&server.base);
        let admin = desk_support::admin_signin(&http, &server.admin_token).await;
        let mut anna = desk_support::enrol(&http, &admin, "aozola", "Anna Ozola", 1).await;
        let before = checkpoint_size(&fx.log);
        let body = json!({"id": "aozola", "date": day(7)}).to_string();
        let r = http
            .post("/api/admin/leave", Some(&admin), body.into_bytes())
            .await
            .unwrap();
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json(), json!({"entry": null, "planned": day(7)}));
        assert_eq!(checkpoint_size(&fx.log), before, "nothing written yet");
        let r = signin(&http, &anna).await;
        assert_eq!(r.status, 200, "{}", r.text());
        anna.cookie = r.cookie.unwrap();
        let me = http.get("/api/me", Some(&anna.cookie)).await.unwrap();
        assert_eq!(me.json()["leaving"], json!(day(7)));
        let r = ack(&http, &anna, &fx.versions[0], &day(0)).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let link = json!({"id": "aozola", "name": "Anna Ozola"}).to_string();
        let r = http
            .post("/api/admin/enrolments", Some(&admin), link.into_bytes())
            .await
            .unwrap();
        assert_eq!(r.status, 200, "a new link: {}", r.text());
        let status = http.get("/api/admin/status", Some(&admin)).await.unwrap();
        let status = status.json();
        assert_eq!(status["employees"][0]["leaving"], json!(day(7)));
        assert_eq!(status["employees"][0]["left"], Value::Null);
        assert!(status["versions"][0]["lines"].is_null(), "lines apart");
        assert_eq!(status["versions"][0]["counts"]["acknowledged"], json!(1));
        let lines = http
            .get("/api/admin/status/lines/0", Some(&admin))
            .await
            .unwrap()
            .json();
        assert_eq!(lines[0]["standing"], json!("acknowledged"));
        anna
    });
    drop(server);
    // The day comes (the plan's date moved to today, as time would).
    let plan = fx.log.join("desk").join("departures.json");
    let text = std::fs::read_to_string(&plan).unwrap();
    assert!(text.contains(&day(7)), "{text}");
    std::fs::write(&plan, text.replace(&day(7), &day(0))).unwrap();
    let server = Server::start(&fx, true);
    rt.block_on(async {
        let http = Http::new(&server.base);
        let r = signin(&http, &anna).await;
        assert_eq!(error_of(&r), (403, json!("signin")), "{}", r.text());
    });
    drop(server);
    let (_, state) = ackreg_core::log::LogDir::new(&fx.log).committed().unwrap();
    let left = state.employee("aozola").unwrap().left.map(|(d, _)| d);
    assert_eq!(left, Some(today()));
    let text = std::fs::read_to_string(&plan).unwrap();
    assert!(!text.contains("aozola"), "{text}");
}

/// Opens a connection from `source` (another loopback address) and sends
/// the headers of a POST whose body never comes but for its first byte.
async fn stalled(port: u16, source: std::net::IpAddr) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt as _;
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind((source, 0).into()).unwrap();
    let mut s = socket.connect(([127, 0, 0, 1], port).into()).await.unwrap();
    let head = format!(
        "POST /api/admin/signin HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
         Origin: http://127.0.0.1:{port}\r\nContent-Type: application/json\r\n\
         Content-Length: 1000\r\n\r\n{{"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s
}

/// What a stalled connection gets before it closes: the status of the
/// answer, or 0 if it was closed without one, and the answer's text;
/// `None` if it is still open after `bound`.
async fn fate(mut s: tokio::net::TcpStream, bound: Duration) -> Option<(u16, String)> {
    use tokio::io::AsyncReadExt as _;
    let read_all = async {
        let mut all = Vec::new();
        let mut buf = [0u8; 1024];
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => all.extend_from_slice(&buf[..n]),
            }
        }
        all
    };
    let all = tokio::time::timeout(bound, read_all).await.ok()?;
    let text = String::from_utf8_lossy(&all).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    Some((status, text))
}

/// Point 2: connections that send headers and one byte of body. One
/// address holds at most its share (the others are closed at once), a
/// client from another address is answered meanwhile, and every stalled
/// one is answered 400 and closed once the body's time is up.
#[test]
fn stalled_bodies_are_cut_off_and_one_address_holds_its_share() {
    let fx = desk_support::fixture(1, false);
    let server = Server::start(&fx, true);
    let port: u16 = server.base.rsplit(':').next().unwrap().parse().unwrap();
    let share = ackreg_desk::listen::MAX_PER_ADDRESS;
    let extra = 40;
    runtime().block_on(async {
        let source: std::net::IpAddr = [127, 0, 0, 2].into();
        let mut conns = Vec::new();
        for _ in 0..share + extra {
            conns.push(stalled(port, source).await);
        }
        let http = Http::new(&server.base);
        let r = http.get("/api/about", None).await.unwrap();
        assert_eq!(r.status, 200, "another address is answered");
        let bound = ackreg_desk::listen::BODY_TIMEOUT + Duration::from_secs(10);
        let fates: Vec<_> = conns
            .into_iter()
            .map(|s| tokio::spawn(fate(s, bound)))
            .collect();
        let mut fates_seen = Vec::new();
        for f in fates {
            fates_seen.push(f.await.unwrap());
        }
        let still_open = fates_seen.iter().filter(|f| f.is_none()).count();
        assert_eq!(still_open, 0, "every stalled connection is closed in time");
        let statuses: Vec<u16> = fates_seen.iter().flatten().map(|f| f.0).collect();
        let cut_off = statuses.iter().filter(|s| **s == 400).count();
        let refused = statuses.iter().filter(|s| **s == 0).count();
        assert_eq!((cut_off, refused), (share, extra), "{statuses:?}");
        let answer = &fates_seen.iter().flatten().find(|f| f.0 == 400).unwrap().1;
        assert!(
            answer.contains(
                "Failed to buffer the request body: the request's body did not arrive within 10 s"
            ),
            "{answer}"
        );
        let r = http.get("/api/about", None).await.unwrap();
        assert_eq!(r.status, 200);
    });
}

/// Point 9: bad tokens from one address (an office's NAT) do not lock out
/// the real administrator link or an employee behind the same address.
#[test]
fn guesses_from_one_address_lock_out_no_one_with_a_working_token() {
    let fx = desk_support::fixture(1, false);
    let server = Server::start(&fx, true);
    runtime().block_on(async {
        let http = Http::new(&server.base);
        let guess = |n: usize| {
            json!({"token": format!("{n:A>43}")})
                .to_string()
                .into_bytes()
        };
        let guesses = ackreg_desk::secret::MAX_FAILURES as usize + 2;
        let mut last = 0;
        for n in 0..guesses {
            last = http
                .post("/api/admin/signin", None, guess(n))
                .await
                .unwrap()
                .status;
        }
        assert_eq!(last, 429, "guessing is answered too_many");
        let admin = desk_support::admin_signin(&http, &server.admin_token).await;
        let anna = desk_support::enrol(&http, &admin, "aozola", "Anna Ozola", 1).await;
        let r = http
            .post("/api/admin/signin", None, guess(0))
            .await
            .unwrap();
        assert_eq!(r.status, 429, "still guessing");
        let r = signin(&http, &anna).await;
        assert_eq!(r.status, 200, "{}", r.text());
    });
}

/// Point 8: a new administrator link from the desk's computer, while the
/// desk runs: printed whole, stored hashed, working once.
#[test]
fn a_new_administrator_link_from_the_command_line() {
    let fx = desk_support::fixture(1, false);
    let server = Server::start(&fx, true);
    runtime().block_on(async {
        let http = Http::new(&server.base);
        let admin = desk_support::admin_signin(&http, &server.admin_token).await;
        let r = http
            .post("/api/signout", Some(&admin), b"{}".to_vec())
            .await
            .unwrap();
        assert_eq!(r.status, 200);
        let again = json!({"token": server.admin_token})
            .to_string()
            .into_bytes();
        let r = http.post("/api/admin/signin", None, again).await.unwrap();
        assert_eq!(error_of(&r), (403, json!("link_used")));
        let o = common::ackreg(fx.tmp.path())
            .args(["serve", "--admin-link", "--log"])
            .arg(&fx.log)
            .run()
            .must_succeed();
        let line = o.stdout();
        let prefix = format!("{}/admin#", server.base);
        let token = line
            .split_whitespace()
            .find_map(|w| w.strip_prefix(&prefix))
            .unwrap_or_else(|| panic!("{line}"))
            .to_string();
        let file = fx.log.join("desk").join(ackreg_desk::admin::FILE_NAME);
        assert!(!std::fs::read_to_string(&file).unwrap().contains(&token));
        let body = json!({"token": token}).to_string().into_bytes();
        let r = http
            .post("/api/admin/signin", None, body.clone())
            .await
            .unwrap();
        assert_eq!(r.status, 200, "{}", r.text());
        let status = http
            .get("/api/admin/status", r.cookie.as_deref())
            .await
            .unwrap();
        assert_eq!(status.status, 200);
        let r = http.post("/api/admin/signin", None, body).await.unwrap();
        assert_eq!(error_of(&r), (403, json!("link")), "works once");
        assert!(!file.exists());
    });
}

/// Point 10: after a key is replaced, the old session fetches no document
/// and its acknowledgement is refused as the log says: replaced on D.
#[test]
fn a_replaced_key_session_ends_with_the_logs_reason() {
    let fx = desk_support::fixture(1, false);
    let server = Server::start(&fx, true);
    runtime().block_on(async {
        let http = Http::new(&server.base);
        let admin = desk_support::admin_signin(&http, &server.admin_token).await;
        let old = desk_support::enrol(&http, &admin, "aozola", "Anna Ozola", 1).await;
        let pdf = format!("/doc/{}.pdf", ackreg_core::encoding::hex(&fx.versions[0].1));
        let r = http.get(&pdf, Some(&old.cookie)).await.unwrap();
        assert_eq!(r.status, 200);
        let new = desk_support::enrol(&http, &admin, "aozola", "Anna Ozola", 2).await;
        let r = http.get(&pdf, Some(&old.cookie)).await.unwrap();
        assert_eq!(error_of(&r), (401, json!("no_session")));
        let r = http.get(&pdf, Some(&new.cookie)).await.unwrap();
        assert_eq!(r.status, 200);
        let r = ack(&http, &old, &fx.versions[0], &day(0)).await;
        assert_eq!(error_of(&r), (422, json!("refused")));
        let message = r.json()["message"].as_str().unwrap().to_string();
        assert!(
            message.contains(&format!("is no longer valid: replaced on {}", day(0))),
            "{message}"
        );
    });
}

/// Point 10: an acknowledgement sent again, byte for byte (its answer was
/// lost), is answered as accepted with its entry's receipt, once written.
#[test]
fn an_acknowledgement_sent_again_gets_its_receipt() {
    let fx = desk_support::fixture(1, false);
    let server = Server::start(&fx, true);
    runtime().block_on(async {
        let http = Http::new(&server.base);
        let admin = desk_support::admin_signin(&http, &server.admin_token).await;
        let anna = desk_support::enrol(&http, &admin, "aozola", "Anna Ozola", 1).await;
        let first = ack(&http, &anna, &fx.versions[0], &day(0)).await;
        assert_eq!(first.status, 200, "{}", first.text());
        let size = checkpoint_size(&fx.log);
        let again = ack(&http, &anna, &fx.versions[0], &day(0)).await;
        assert_eq!(again.status, 200, "{}", again.text());
        assert_eq!(again.json()["entry"], first.json()["entry"]);
        assert_eq!(first.json()["again"], json!(false));
        assert_eq!(again.json()["again"], json!(true));
        assert_eq!(checkpoint_size(&fx.log), size, "nothing written twice");
        let receipt = again.json()["receipt"]
            .as_str()
            .unwrap()
            .as_bytes()
            .to_vec();
        let index = again.json()["entry"].as_u64().unwrap();
        desk_support::check_receipts(&fx.log, &fx.issuer.verifying_key(), &[(index, receipt)]);
        // Another acknowledgement of the same version is still refused.
        let doc = ackreg_core::document::DocumentRef {
            title: fx.versions[0].0.clone(),
            sha256: fx.versions[0].1,
        };
        let a =
            ackreg_core::ack::Acknowledgement::new(&doc, &anna.name, &anna.id, &day(0), Some("x"))
                .unwrap();
        let noted = a.sign(&anna.key).unwrap().to_json().unwrap();
        let r = http
            .post("/api/ack", Some(&anna.cookie), noted)
            .await
            .unwrap();
        assert_eq!(error_of(&r), (422, json!("refused")), "{}", r.text());
    });
}

/// Point 10: each request line has the time and the client's address.
#[test]
fn request_lines_have_the_time_and_the_client() {
    let fx = desk_support::fixture(1, false);
    let server = Server::start(&fx, false);
    runtime().block_on(async {
        let http = Http::new(&server.base);
        let r = http.get("/api/about", None).await.unwrap();
        assert_eq!(r.status, 200);
    });
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let mut lines = String::new();
    while std::time::Instant::now() < deadline {
        lines = server.stderr();
        if lines.contains("/api/about") {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let line = lines
        .lines()
        .find(|l| l.contains("/api/about"))
        .unwrap_or_else(|| panic!("{lines}"))
        .to_string();
    let words: Vec<&str> = line.split(' ').collect();
    assert_eq!(words.len(), 7, "{line}");
    let when = words[0];
    assert!(
        when.len() == 25 && when.starts_with(&day(0)[..4]) && when.as_bytes()[10] == b'T',
        "{line}"
    );
    assert_eq!(
        &words[1..5],
        ["127.0.0.1", "GET", "/api/about", "200"],
        "{line}"
    );
    assert_eq!(words[6], "ms", "{line}");
}
