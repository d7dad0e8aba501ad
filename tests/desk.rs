//! The signing desk (`ackreg serve`), driven through the real binary:
//! end to end in headless Chromium over WebDriver (issue 11, point 1) with
//! axe-core on every page (point 5), bad input (point 4), and `kill -9`
//! during load (point 3).
//!
//! Needs Debian's `chromium` and `chromium-driver`, and axe-core from npm
//! (`tests/web/install-axe.sh`); the browser test fails without them.

use crate::{common, desk_support};

mod admin_pages;
mod administrators;
mod crash;
mod documents;
mod edges;
mod live;
mod pages;
mod publish;
mod reports;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use desk_support::{Fixture, Http};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

// ---- The server, as a child process -------------------------------------

struct Server {
    child: Child,
    base: String,
    admin_token: String,
    stderr: PathBuf,
}

impl Server {
    /// Starts `ackreg serve` on a free loopback port and reads the address
    /// and the administrator's link from its output.
    fn start(fx: &Fixture, quiet: bool) -> Server {
        let stderr = fx
            .tmp
            .path()
            .join(format!("serve-{}.err", Instant::now().elapsed().as_nanos()));
        let mut run = common::ackreg(fx.tmp.path())
            .args(["serve", "--log"])
            .arg(&fx.log)
            .arg("--issuer-key")
            .arg(&fx.key_file)
            .args(["--listen", "127.0.0.1:0"]);
        if quiet {
            run = run.arg("--quiet");
        }
        let mut child = run
            .command()
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines.next().expect("an address line").unwrap();
        let second = lines.next().expect("an admin link line").unwrap();
        let base = first
            .rsplit(" at ")
            .next()
            .unwrap()
            .trim_end_matches('/')
            .to_string();
        let admin_token = second.rsplit("/admin#").next().unwrap().to_string();
        assert!(base.starts_with("http://127.0.0.1:"), "{first}");
        std::thread::spawn(move || for _ in lines {});
        Server {
            child,
            base,
            admin_token,
            stderr,
        }
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

fn verify_cli(args: &[&Path], issuer: &Path) -> (bool, String) {
    let o = common::ackreg(issuer.parent().expect("a folder"))
        .arg("verify")
        .args(args)
        .arg("--issuer")
        .arg(issuer)
        .run();
    (o.success(), o.text())
}

fn checkpoint_size(log: &Path) -> u64 {
    ackreg_core::log::LogDir::new(log)
        .checkpoint()
        .unwrap()
        .checkpoint
        .size
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

// ---- The browser ----------------------------------------------------------

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts chromedriver; fails (never skips) when Chromium is not installed.
fn chromedriver() -> Driver {
    for tool in [CHROMIUM, CHROMEDRIVER] {
        assert!(
            Path::new(tool).exists(),
            "{tool} is missing: install Debian's chromium and chromium-driver (apt-get install -y chromium chromium-driver)"
        );
    }
    let port = free_port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "chromedriver did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    }
}

/// A headless Chromium with its own fresh profile.
async fn browser(driver: &Driver, profile: &Path) -> Client {
    let args = vec![
        "--headless".to_string(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--disable-quic".into(),
        "--no-first-run".into(),
        "--disable-background-networking".into(),
        "--disable-component-update".into(),
        "--disable-sync".into(),
        "--lang=lv".into(),
        "--window-size=1280,900".into(),
        format!("--user-data-dir={}", profile.display()),
    ];
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), json!("chrome"));
    caps.insert(
        "goog:chromeOptions".into(),
        json!({"binary": CHROMIUM, "args": args}),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a Chromium session")
}

async fn wait_css(c: &Client, css: &str) -> fantoccini::elements::Element {
    match c
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css(css))
        .await
    {
        Ok(e) => e,
        Err(e) => panic!("no {css}: {e}\n{}", c.source().await.unwrap_or_default()),
    }
}

async fn text_of(c: &Client, css: &str) -> String {
    wait_css(c, css).await.text().await.unwrap()
}

fn shots_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/desk-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Screenshots of the page at a phone's and a desktop's size.
async fn screenshots(c: &Client, name: &str) {
    for (size, w, h) in [("phone", 390, 844), ("desktop", 1280, 900)] {
        c.set_window_size(w, h).await.unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        let png = c.screenshot().await.unwrap();
        std::fs::write(shots_dir().join(format!("{name}-{size}.png")), png).unwrap();
    }
}

/// axe-core's `axe.min.js`, installed for the tests by
/// `tests/web/install-axe.sh` (or named by `AXE_CORE_JS`).
fn axe_source() -> String {
    let path = std::env::var_os("AXE_CORE_JS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("target/axe/node_modules/axe-core/axe.min.js")
        });
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}: install axe-core with tests/web/install-axe.sh",
            path.display()
        )
    })
}

/// Runs axe-core on the page and fails on any serious or critical violation.
async fn axe(c: &Client, page: &str) {
    c.execute(&axe_source(), vec![]).await.unwrap();
    let script = "const done = arguments[arguments.length - 1];
        axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations.map(v =>
          ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' '))}))));";
    let violations = c.execute_async(script, vec![]).await.unwrap();
    // Every violation, whatever its impact (issue 21: axe finds none).
    let found: Vec<&Value> = violations.as_array().unwrap().iter().collect();
    assert!(found.is_empty(), "axe on {page}: {found:#?}");
}

/// Runs an async script in the page with the app's functions in scope.
async fn run_js(c: &Client, body: &str, args: Vec<Value>) -> Value {
    let script = format!(
        "const done = arguments[arguments.length - 1]; const args = arguments;
         (async () => {{ {body} }})().then(done, e => done({{error: String(e)}}));"
    );
    c.execute_async(&script, args).await.unwrap()
}

// ---- Point 1: end to end in a real browser ----------------------------------

#[test]
fn a_browser_enrols_signs_and_gets_a_receipt_that_verifies() {
    let fx = desk_support::fixture(1, true);
    let mut server = Server::start(&fx, false);
    let driver = chromedriver();
    let rt = runtime();
    let receipt = rt.block_on(async {
        let admin = browser(&driver, &fx.tmp.path().join("profile-admin")).await;
        let links = admin_issues_links(&admin, &server).await;
        let anna = browser(&driver, &fx.tmp.path().join("profile-anna")).await;
        let receipt = employee_enrols_and_signs(&anna, &links[0]).await;
        let other = browser(&driver, &fx.tmp.path().join("profile-other")).await;
        second_profile_cannot_sign_as_the_first(&anna, &other, &links[1]).await;
        admin_sees_the_status(&admin, &server).await;
        for c in [admin, anna, other] {
            c.close().await.unwrap();
        }
        receipt
    });
    let receipt_file = fx.tmp.path().join("kvits.txt");
    std::fs::write(&receipt_file, &receipt).unwrap();
    let (ok, out) = verify_cli(&[&receipt_file], &fx.pub_file);
    assert!(ok, "the receipt the page offered verifies alone:\n{out}");
    let log = server.stderr();
    server.kill();
    let (ok, out) = verify_cli(&[&fx.log], &fx.pub_file);
    assert!(ok, "ackreg verify of the log:\n{out}");
    assert!(
        !log.contains(&server.admin_token),
        "the admin token is never in a log line"
    );
    assert!(
        log.contains("POST /api/ack 200"),
        "requests are logged:\n{log}"
    );
}

/// The administrator signs in with the one-time link, checks the page, and
/// issues two enrolment links; returns them.
async fn admin_issues_links(c: &Client, server: &Server) -> Vec<String> {
    c.goto(&format!("{}/admin#{}", server.base, server.admin_token))
        .await
        .unwrap();
    wait_css(c, "#issue-form").await;
    assert_eq!(text_of(c, "h1").await, "Reģistra pārvaldība");
    assert_eq!(
        c.current_url().await.unwrap().fragment(),
        None,
        "the token leaves the address bar"
    );
    assert_eq!(
        c.execute("return document.documentElement.lang", vec![])
            .await
            .unwrap(),
        json!("lv")
    );
    screenshots(c, "1-admin").await;
    axe(c, "admin").await;
    let mut links = Vec::new();
    for (id, name, position) in [
        ("aozola", "Anna Ozola", "Klientu apkalpošanas speciāliste"),
        ("jberzins", "Jānis Bērziņš", ""),
    ] {
        c.find(Locator::Css("#issue-id"))
            .await
            .unwrap()
            .send_keys(id)
            .await
            .unwrap();
        c.find(Locator::Css("#issue-name"))
            .await
            .unwrap()
            .send_keys(name)
            .await
            .unwrap();
        c.find(Locator::Css("#issue-position"))
            .await
            .unwrap()
            .send_keys(position)
            .await
            .unwrap();
        c.execute(
            "document.getElementById('issued').replaceChildren()",
            vec![],
        )
        .await
        .unwrap();
        c.find(Locator::Css("#issue-form button[type=submit]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let input = wait_css(c, "#issued-link").await;
        let link = input.prop("value").await.unwrap().unwrap();
        assert!(
            link.starts_with(&format!("{}/enrol#", server.base)),
            "{link}"
        );
        links.push(link);
        for css in ["#issue-id", "#issue-name", "#issue-position"] {
            c.find(Locator::Css(css))
                .await
                .unwrap()
                .clear()
                .await
                .unwrap();
        }
    }
    screenshots(c, "2-admin-link").await;
    assert_ne!(links[0], links[1]);
    links
}

/// Presses Tab until the focused element matches `css`, then `key`.
async fn tab_to_and_press(c: &Client, css: &str, key: &str) {
    for _ in 0..80 {
        let focused = c
            .execute(
                "return document.activeElement.matches(arguments[0])",
                vec![json!(css)],
            )
            .await
            .unwrap();
        if focused == json!(true) {
            c.active_element()
                .await
                .unwrap()
                .send_keys(key)
                .await
                .unwrap();
            return;
        }
        c.active_element()
            .await
            .unwrap()
            .send_keys("\u{E004}")
            .await
            .unwrap();
    }
    panic!("Tab never reached {css}");
}

/// Anna opens her link, enrols, reads and signs by keyboard alone; returns
/// the receipt the page offers.
async fn employee_enrols_and_signs(c: &Client, link: &str) -> String {
    c.goto(link).await.unwrap();
    wait_css(c, "#page-title").await;
    assert!(text_of(c, ".lead").await.contains("Anna Ozola"));
    screenshots(c, "3-enrol").await;
    axe(c, "enrol").await;
    pages::enrol_with_pin(c, "1357").await;
    c.find(Locator::Css("#go-desk"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_css(c, ".sign-form").await;
    assert!(text_of(c, ".who").await.contains("Anna Ozola (aozola)"));
    let frame = wait_css(c, "iframe.doc-frame").await;
    assert!(frame
        .attr("src")
        .await
        .unwrap()
        .unwrap()
        .starts_with("/doc/"));
    // The PDF viewer inside the frame takes the focus when it has loaded:
    // wait until it has (on a loaded machine that is seconds), so that the
    // keyboard walk below starts after it.
    for _ in 0..100 {
        let loaded = c
            .execute(
                "const f = document.querySelector('iframe.doc-frame'); \
                 return !!(f && f.contentDocument && f.contentDocument.readyState === 'complete')",
                vec![],
            )
            .await
            .unwrap();
        if loaded == json!(true) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(800)).await;
    screenshots(c, "4-desk").await;
    axe(c, "desk").await;
    c.execute("document.querySelector('.who').focus(); document.querySelector('.who').setAttribute('tabindex','-1'); document.querySelector('.who').focus()", vec![]).await.unwrap();
    tab_to_and_press(c, ".sign-form input[type=checkbox]", " ").await;
    tab_to_and_press(c, ".sign-form button[type=submit]", "\u{E007}").await;
    wait_css(c, "#signed").await;
    assert!(text_of(c, "#signed").await.contains("ieraksts Nr."));
    screenshots(c, "5-signed").await;
    axe(c, "signed").await;
    let receipt = c
        .execute(
            "return document.getElementById('receipt-text').textContent",
            vec![],
        )
        .await
        .unwrap();
    receipt.as_str().unwrap().to_string()
}

/// A second browser profile enrols as Jānis and tries to sign as Anna in
/// every way the page's script could: it is refused each time, and a
/// tampered envelope of its own too; then it signs as itself.
async fn second_profile_cannot_sign_as_the_first(anna: &Client, other: &Client, link: &str) {
    other.goto(link).await.unwrap();
    pages::enrol_with_pin(other, "8642").await;
    other
        .goto(&link[..link.find("/enrol").unwrap()])
        .await
        .unwrap();
    wait_css(other, ".sign-form").await;
    assert!(text_of(other, ".who").await.contains("Jānis Bērziņš"));
    // An envelope Anna's browser signs (not sent), replayed by the other profile.
    let annas = run_js(anna, SIGN_JS, vec![json!(null)]).await;
    let replay = run_js(other, POST_JS, vec![annas["envelope"].clone()]).await;
    assert_eq!(replay["status"], json!(403), "{replay}");
    assert_eq!(replay["body"]["error"], json!("not_you"));
    // A payload naming Anna, signed with the other profile's own key.
    let forged = run_js(
        other,
        SIGN_JS,
        vec![json!({"name": "Anna Ozola", "id": "aozola"})],
    )
    .await;
    let sent = run_js(other, POST_JS, vec![forged["envelope"].clone()]).await;
    assert_eq!(sent["status"], json!(403), "{sent}");
    // Its own acknowledgement with one byte of the signature changed.
    let own = run_js(other, SIGN_JS, vec![json!(null)]).await;
    let mut tampered: Value = serde_json::from_str(own["envelope"].as_str().unwrap()).unwrap();
    let sig = tampered["signatures"][0]["sig"]
        .as_str()
        .unwrap()
        .to_string();
    let flipped = if sig.starts_with('A') {
        sig.replacen('A', "B", 1)
    } else {
        format!("A{}", &sig[1..])
    };
    tampered["signatures"][0]["sig"] = json!(flipped);
    let sent = run_js(other, POST_JS, vec![json!(tampered.to_string())]).await;
    assert_eq!(sent["status"], json!(422), "{sent}");
    // Anna's receipt is not the other profile's to read.
    let entry = annas["entry"].as_u64().unwrap_or(0);
    let peek = run_js(
        other,
        &format!("const r = await fetch('/api/receipt/{entry}'); return {{status: r.status}};"),
        vec![],
    )
    .await;
    assert!(
        peek["status"] == json!(403) || peek["status"] == json!(404),
        "{peek}"
    );
    // And then it signs as itself, through the page, with the mouse.
    tick(other).await;
    other
        .find(Locator::Css(".sign-form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_css(other, "#signed").await;
}

/// Ticks the sign form's statement with the mouse and waits until the
/// page has it ticked, so that the form is never sent before; if the tick
/// does not take, says what was at the point clicked instead of leaving
/// the page to answer "tick first".
async fn tick(c: &Client) {
    let css = ".sign-form input[type=checkbox]";
    wait_css(c, css).await.click().await.unwrap();
    for _ in 0..50 {
        let ticked = c
            .execute(
                "return document.querySelector(arguments[0]).checked",
                vec![json!(css)],
            )
            .await
            .unwrap();
        if ticked == json!(true) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let seen = c
        .execute(
            "const b = document.querySelector(arguments[0]).getBoundingClientRect();
             const at = document.elementFromPoint(b.left + b.width / 2, b.top + b.height / 2);
             return {scrollY: window.scrollY, top: b.top, height: window.innerHeight,
                     at: at && at.outerHTML.slice(0, 120), active: document.activeElement.outerHTML.slice(0, 120)};",
            vec![json!(css)],
        )
        .await
        .unwrap();
    panic!("the tick did not take: {seen}");
}

/// Builds and signs an acknowledgement in the page with the browser's own
/// key, as the page would, for the first version; `args[0]` may name
/// another employee. Returns `{envelope, entry}` without sending it.
const SIGN_JS: &str = "
    const me = await (await fetch('/api/me')).json();
    const who = args[0] || {name: me.name, id: me.id};
    const v = me.versions[0];
    const rec = await getKey(me.id);
    const p = {type: ACK_TYPE, document: {title: v.title, sha256: v.sha256},
               employee: {name: who.name, id: who.id}, date: me.today, statement: STATEMENT};
    const bytes = utf8(JSON.stringify(p));
    const sig = await signPae(rec.privateKey, PAYLOAD_TYPE, bytes);
    const env = {payloadType: PAYLOAD_TYPE, payload: b64(bytes), signatures: [{keyid: rec.keyid, sig: b64(sig)}]};
    return {envelope: JSON.stringify(env), entry: v.entry};";

/// POSTs `args[0]` (an envelope's JSON) to /api/ack from the page.
const POST_JS: &str = "
    const r = await fetch('/api/ack', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: args[0]});
    return {status: r.status, body: await r.json()};";

/// The administrator reloads the page: Anna and Jānis acknowledged; the
/// page is shown in English too; the downloads are there.
async fn admin_sees_the_status(c: &Client, server: &Server) {
    c.goto(&format!("{}/admin", server.base)).await.unwrap();
    wait_css(c, "#issue-form").await;
    pages::wait_text(c, "main", "Anna Ozola (aozola)").await;
    let page = text_of(c, "main").await;
    assert!(page.contains("parakstīts: 2"), "{page}");
    screenshots(c, "6-admin-status").await;
    axe(c, "admin status").await;
    let entries = run_js(c, "const r = await fetch('/api/admin/download/entries'); return {status: r.status, text: await r.text()};", vec![]).await;
    assert_eq!(entries["status"], json!(200));
    let annex = run_js(
        c,
        "const r = await fetch('/api/admin/download/annex/0'); const b = new Uint8Array(await r.arrayBuffer());
         return {status: r.status, head: String.fromCharCode(...b.slice(0, 5)), type: r.headers.get('content-type')};",
        vec![],
    )
    .await;
    assert_eq!(annex["status"], json!(200), "{annex}");
    assert_eq!(annex["head"], json!("%PDF-"));
    let head = run_js(
        c,
        "const r = await fetch('/api/admin/download/checkpoint'); return await r.text();",
        vec![],
    )
    .await;
    assert!(
        head.as_str()
            .unwrap()
            .starts_with("aknistesnovads.lv/kac\n6\n"),
        "{head}"
    );
    assert_eq!(
        entries["text"].as_str().unwrap().lines().count(),
        6,
        "log, version, 2 enrolments, 2 acks"
    );
    c.find(Locator::Css("#lang"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(text_of(c, "h1").await, "Register administration");
    assert_eq!(
        c.execute("return document.documentElement.lang", vec![])
            .await
            .unwrap(),
        json!("en")
    );
    screenshots(c, "7-admin-english").await;
    axe(c, "admin in English").await;
}

// ---- Point 4: bad input ------------------------------------------------

/// Each bad request gets a 4xx and leaves the log as it was.
#[test]
fn bad_requests_are_refused_and_write_nothing() {
    let fx = desk_support::fixture(2, false);
    let server = Server::start(&fx, true);
    let rt = runtime();
    rt.block_on(async {
        let http = Http::new(&server.base);
        let admin = desk_support::admin_signin(&http, &server.admin_token).await;
        let anna = desk_support::enrol(&http, &admin, "aozola", "Anna Ozola", 1).await;
        let janis = desk_support::enrol(&http, &admin, "jberzins", "Jānis Bērziņš", 2).await;
        let before = checkpoint_size(&fx.log);
        bad_bodies(&http, &fx, &anna).await;
        bad_signatures(&http, &fx, &anna, &janis).await;
        bad_paths(&http, &anna).await;
        assert_eq!(checkpoint_size(&fx.log), before, "nothing was written");
        bad_links(&http, &admin).await;
        let enrolled_once = before + 1;
        assert_eq!(
            checkpoint_size(&fx.log),
            enrolled_once,
            "only the one good enrolment"
        );
        let (title, sha) = &fx.versions[0];
        let good = desk_support::envelope(&anna, title, sha, &desk_support::today());
        let r = http
            .post("/api/ack", Some(&anna.cookie), good)
            .await
            .unwrap();
        assert_eq!(r.status, 200, "{}", r.text());
        rate_limit(&http).await;
        leaver_can_no_longer_sign(&http, &fx, &admin, &janis).await;
    });
    drop(server);
    let (ok, out) = verify_cli(&[&fx.log], &fx.pub_file);
    assert!(ok, "{out}");
}

async fn expect(
    http: &Http,
    method: &str,
    path: &str,
    dress: desk_support::Dress<'_>,
    body: Vec<u8>,
    status: u16,
) {
    let r = http.send(method, path, &dress, body).await.unwrap();
    assert_eq!(r.status, status, "{method} {path}: {}", r.text());
}

/// POSTs `len` spaces as JSON on a raw connection, reading the answer
/// while it writes (the desk answers an oversized body before reading it);
/// the status.
async fn raw_post(http: &Http, path: &str, headers: &str, len: usize) -> u16 {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let host = http.base.trim_start_matches("http://").to_string();
    let stream = tokio::net::TcpStream::connect(&host).await.unwrap();
    let (mut rd, mut wr) = stream.into_split();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nOrigin: {}\r\nContent-Type: application/json\r\n{headers}Content-Length: {len}\r\n\r\n",
        http.base
    );
    let writer = tokio::spawn(async move {
        let _ = wr.write_all(head.as_bytes()).await;
        let _ = wr.write_all(&vec![b' '; len]).await;
    });
    let mut answer = vec![0u8; 64];
    let n = rd.read(&mut answer).await.unwrap_or(0);
    writer.abort();
    let text = String::from_utf8_lossy(&answer[..n]).into_owned();
    text.split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

async fn bad_bodies(http: &Http, fx: &Fixture, anna: &desk_support::Employee) {
    use desk_support::Dress;
    let (title, sha) = &fx.versions[0];
    let good = desk_support::envelope(anna, title, sha, &desk_support::today());
    let json = Some("application/json");
    let me = Some(anna.cookie.as_str());
    let origin = Some(http.base.as_str());
    let ok = Dress {
        cookie: me,
        content_type: json,
        origin,
        host: None,
    };
    expect(
        http,
        "POST",
        "/api/ack",
        ok.clone(),
        b"{\"payloadType\":".to_vec(),
        400,
    )
    .await;
    expect(
        http,
        "POST",
        "/api/ack",
        ok.clone(),
        b"[1,2,3]".to_vec(),
        400,
    )
    .await;
    let mut dup = String::from_utf8(good.clone()).unwrap();
    dup = dup.replacen('{', "{\"payloadType\":\"x\",", 1);
    expect(http, "POST", "/api/ack", ok.clone(), dup.into_bytes(), 400).await;
    let cookie = format!("Cookie: {}\r\n", anna.cookie);
    assert_eq!(raw_post(http, "/api/ack", &cookie, 200 * 1024).await, 413);
    assert_eq!(
        raw_post(http, "/api/admin/enrolments", "", 10 * 1024).await,
        413
    );
    for kind in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        let d = Dress {
            content_type: Some(kind),
            ..ok.clone()
        };
        expect(http, "POST", "/api/ack", d, good.clone(), 415).await;
    }
    expect(
        http,
        "POST",
        "/api/ack",
        Dress {
            content_type: None,
            ..ok.clone()
        },
        good.clone(),
        415,
    )
    .await;
    expect(
        http,
        "POST",
        "/api/ack",
        Dress {
            origin: None,
            ..ok.clone()
        },
        good.clone(),
        403,
    )
    .await;
    expect(
        http,
        "POST",
        "/api/ack",
        Dress {
            origin: Some("http://evil.example"),
            ..ok.clone()
        },
        good.clone(),
        403,
    )
    .await;
    let rebound = Dress {
        host: Some("evil.example:80"),
        origin: Some("http://evil.example:80"),
        ..ok.clone()
    };
    expect(http, "POST", "/api/ack", rebound, good.clone(), 403).await;
    expect(
        http,
        "POST",
        "/api/ack",
        Dress {
            cookie: None,
            ..ok.clone()
        },
        good.clone(),
        401,
    )
    .await;
    expect(
        http,
        "POST",
        "/api/ack",
        Dress {
            cookie: Some("ackreg=forged"),
            ..ok
        },
        good,
        401,
    )
    .await;
}

async fn bad_signatures(
    http: &Http,
    fx: &Fixture,
    anna: &desk_support::Employee,
    janis: &desk_support::Employee,
) {
    let today = desk_support::today();
    let (title, sha) = &fx.versions[0];
    let post = |who: &desk_support::Employee, body: Vec<u8>| {
        let cookie = who.cookie.clone();
        async move { http.post("/api/ack", Some(&cookie), body).await.unwrap() }
    };
    // Another document: not a published version.
    let r = post(anna, desk_support::envelope(anna, title, &[9; 32], &today)).await;
    assert_eq!(
        (r.status, r.json()["error"].clone()),
        (422, json!("refused")),
        "{}",
        r.text()
    );
    // Another title for the same document.
    let r = post(
        anna,
        desk_support::envelope(anna, "Citi noteikumi", sha, &today),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.text());
    // Another employee: Jānis's envelope sent in Anna's session, and a
    // payload naming Jānis signed with Anna's key.
    let r = post(anna, desk_support::envelope(janis, title, sha, &today)).await;
    assert_eq!(
        (r.status, r.json()["error"].clone()),
        (403, json!("not_you"))
    );
    let impostor = desk_support::Employee {
        id: janis.id.clone(),
        name: janis.name.clone(),
        ..anna.clone()
    };
    let r = post(anna, desk_support::envelope(&impostor, title, sha, &today)).await;
    assert_eq!(r.status, 403);
    // Anna's own name spelled differently.
    let renamed = desk_support::Employee {
        name: "Anna Ozoliņa".into(),
        ..anna.clone()
    };
    let r = post(anna, desk_support::envelope(&renamed, title, sha, &today)).await;
    assert_eq!(r.status, 422, "{}", r.text());
    // Dated another day.
    let r = post(anna, desk_support::envelope(anna, title, sha, "2021-06-01")).await;
    assert_eq!((r.status, r.json()["error"].clone()), (422, json!("date")));
    // A valid signature over a payload changed after signing.
    let mut env: Value =
        serde_json::from_slice(&desk_support::envelope(anna, title, sha, &today)).unwrap();
    let (_, other_sha) = &fx.versions[1];
    let payload = ackreg_core::encoding::b64_strict(env["payload"].as_str().unwrap()).unwrap();
    let changed = String::from_utf8(payload).unwrap().replace(
        &ackreg_core::encoding::hex(sha),
        &ackreg_core::encoding::hex(other_sha),
    );
    env["payload"] = json!(ackreg_core::encoding::b64(changed.as_bytes()));
    let r = post(anna, env.to_string().into_bytes()).await;
    assert_eq!(r.status, 422, "{}", r.text());
    // The administrator cannot sign.
    let r = http
        .post(
            "/api/ack",
            None,
            desk_support::envelope(anna, title, sha, &today),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 401);
}

async fn bad_links(http: &Http, admin: &str) {
    let forged = json!({"token": "A".repeat(43)}).to_string().into_bytes();
    let r = http
        .post("/api/enrol/info", None, forged.clone())
        .await
        .unwrap();
    assert_eq!(r.status, 403);
    let r = http.post("/api/admin/signin", None, forged).await.unwrap();
    assert_eq!(r.status, 403);
    let r = http
        .post(
            "/api/admin/signin",
            None,
            json!({"token": "../../x"}).to_string().into_bytes(),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 403);
    // A used enrolment link does not work again.
    let issue = json!({"id": "kliepa", "name": "Kārlis Liepa"})
        .to_string()
        .into_bytes();
    let link = http
        .post("/api/admin/enrolments", Some(admin), issue)
        .await
        .unwrap()
        .json()["link"]
        .as_str()
        .unwrap()
        .to_string();
    let token = link.trim_start_matches("/enrol#").to_string();
    let key = ed25519_dalek::SigningKey::from_bytes(&[77; 32]);
    let body = json!({
        "token": token,
        "public_key": ackreg_core::encoding::b64(key.verifying_key().as_bytes()),
        "signature": desk_support::proof(&key, ackreg_desk::ENROL_TYPE, &token),
        "pin": desk_support::PIN,
    })
    .to_string()
    .into_bytes();
    let r = http.post("/api/enrol", None, body.clone()).await.unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    let r = http.post("/api/enrol", None, body).await.unwrap();
    assert_eq!(
        (r.status, r.json()["error"].clone()),
        (403, json!("link_used")),
        "a replayed link says it was used"
    );
    // A fresh link with a key the browser does not hold (no proof).
    let issue = json!({"id": "zkalna", "name": "Zane Kalna"})
        .to_string()
        .into_bytes();
    let link = http
        .post("/api/admin/enrolments", Some(admin), issue)
        .await
        .unwrap()
        .json()["link"]
        .as_str()
        .unwrap()
        .to_string();
    let token = link.trim_start_matches("/enrol#");
    let body = json!({"token": token, "public_key": ackreg_core::encoding::b64(key.verifying_key().as_bytes()), "signature": ackreg_core::encoding::b64(&[0; 64]), "pin": desk_support::PIN});
    let r = http
        .post("/api/enrol", None, body.to_string().into_bytes())
        .await
        .unwrap();
    assert_eq!(r.status, 403);
    assert_eq!(r.json()["error"], json!("enrol_proof"), "a forged proof");
}

async fn bad_paths(http: &Http, anna: &desk_support::Employee) {
    let me = Some(anna.cookie.as_str());
    for path in [
        "/doc/..%2F..%2Fissuer.key",
        "/doc/../issuer.key",
        "/doc/%2e%2e%2fentries",
        "/doc/..%2Fentries",
        "/doc/entries",
        "/app.js/../../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/api/receipt/..%2F..%2Fcheckpoint",
        "/api/receipt/01",
        "/api/receipt/999999",
        "/api/admin/download/annex/..%2F..%2Fissuer.key",
        "/desk/enrolments.json",
        "/documents/",
    ] {
        let r = http.get(path, me).await.unwrap();
        assert!((400..500).contains(&r.status), "{path}: {}", r.status);
        assert!(
            !r.text().contains("PRIVATE KEY") && !r.text().contains("\"kind\""),
            "{path}"
        );
    }
}

async fn rate_limit(http: &Http) {
    let forged = json!({"token": "B".repeat(43)}).to_string().into_bytes();
    let mut statuses = Vec::new();
    for _ in 0..(ackreg_desk::secret::MAX_FAILURES + 2) {
        statuses.push(
            http.post("/api/admin/signin", None, forged.clone())
                .await
                .unwrap()
                .status,
        );
    }
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
}

// ---- Point 3: kill -9 during load ------------------------------------

/// Every acknowledgement the server answered as accepted is in the log
/// after `kill -9` in the middle of a load and a restart.
#[test]
fn kill_9_during_load_loses_no_accepted_acknowledgement() {
    let fx = desk_support::fixture(30, false);
    let mut server = Server::start(&fx, true);
    let rt = runtime();
    let issuer = fx.issuer.verifying_key();
    let (result, employees) = rt.block_on(async {
        let http = Arc::new(Http::new(&server.base));
        let admin = desk_support::admin_signin(&http, &server.admin_token).await;
        let employees = desk_support::enrol_many(http.clone(), &admin, 40, 40).await;
        let count = Arc::new(AtomicUsize::new(0));
        let deadline = Instant::now() + Duration::from_secs(120);
        let load = tokio::spawn({
            let (http, employees, versions, count) = (
                http.clone(),
                employees.clone(),
                fx.versions.clone(),
                count.clone(),
            );
            async move { desk_support::load(http, &employees, &versions, deadline, count).await }
        });
        while count.load(Ordering::SeqCst) < 300 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        server.kill();
        (load.await.unwrap(), employees)
    });
    assert!(
        result.accepted.len() >= 300,
        "{} accepted",
        result.accepted.len()
    );
    assert!(result.failed > 0, "the kill came during the load");
    // The log as the killed server left it.
    let (ok, out) = verify_cli(&[&fx.log], &fx.pub_file);
    assert!(ok, "{out}");
    let acks = desk_support::check_receipts(&fx.log, &issuer, &result.accepted);
    assert!(acks >= result.accepted.len() as u64);
    // Restarted, the desk goes on from there.
    let server = Server::start(&fx, true);
    rt.block_on(async {
        let http = Http::new(&server.base);
        let anna = &employees[0];
        let r = http
            .post("/api/challenge", None, b"{}".to_vec())
            .await
            .unwrap();
        let challenge = r.json()["challenge"].as_str().unwrap().to_string();
        let body = json!({
            "keyid": ackreg_core::keys::KeyId::of(&anna.key.verifying_key()).to_string(),
            "challenge": challenge,
            "signature": desk_support::proof(&anna.key, ackreg_desk::SIGNIN_TYPE, &challenge),
            "pin": desk_support::PIN,
        });
        let r = http
            .post("/api/signin", None, body.to_string().into_bytes())
            .await
            .unwrap();
        assert_eq!(r.status, 200, "{}", r.text());
        let me = http.get("/api/me", r.cookie.as_deref()).await.unwrap();
        assert_eq!(me.json()["id"], json!(anna.id));
    });
    drop(server);
    let acks_after = desk_support::check_receipts(&fx.log, &issuer, &result.accepted);
    assert_eq!(acks_after, acks);
    assert!(desk_support::audit_passes(&fx.log, &issuer));
}

// ---- TLS ----------------------------------------------------------------

/// With a certificate the desk serves HTTPS (rustls): the page loads, the
/// session cookie is `__Host-` and Secure, and HSTS is sent.
#[test]
fn over_tls_cookies_are_secure() {
    let fx = desk_support::fixture(1, false);
    let (cert, key) = (
        fx.tmp.path().join("desk.crt"),
        fx.tmp.path().join("desk.key"),
    );
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "2",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .args([
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-addext",
            "basicConstraints=critical,CA:FALSE",
        ])
        .output()
        .expect("openssl runs");
    assert!(made.status.success(), "{}", common::stderr(&made));
    let mut child = common::ackreg(fx.tmp.path())
        .args(["serve", "--log"])
        .arg(&fx.log)
        .arg("--issuer-key")
        .arg(&fx.key_file)
        .args(["--listen", "127.0.0.1:0", "--quiet", "--tls-cert"])
        .arg(&cert)
        .arg("--tls-key")
        .arg(&key)
        .command()
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let token = lines
        .next()
        .unwrap()
        .unwrap()
        .rsplit("/admin#")
        .next()
        .unwrap()
        .to_string();
    let base = first
        .rsplit(" at ")
        .next()
        .unwrap()
        .trim_end_matches('/')
        .to_string();
    assert!(base.starts_with("https://127.0.0.1:"), "{first}");
    let port: u16 = base.rsplit(':').next().unwrap().parse().unwrap();
    let page = runtime().block_on(https(&cert, port, "GET /admin HTTP/1.1\r\n", ""));
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(
        page.to_ascii_lowercase()
            .contains("strict-transport-security: max-age="),
        "{page}"
    );
    assert!(page.contains("<html lang=\"lv\">"));
    let body = json!({"token": token}).to_string();
    let head = format!(
        "POST /api/admin/signin HTTP/1.1\r\nOrigin: https://127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    let signed = runtime().block_on(https(&cert, port, &head, &body));
    assert!(signed.starts_with("HTTP/1.1 200"), "{signed}");
    let cookie = signed
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("set-cookie:"))
        .unwrap();
    for part in [
        "__Host-ackreg=",
        "Path=/",
        "HttpOnly",
        "SameSite=Strict",
        "Secure",
    ] {
        assert!(cookie.contains(part), "{cookie}");
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// One HTTPS request to 127.0.0.1:`port`, trusting only `cert`; the answer.
async fn https(cert: &Path, port: u16, head: &str, body: &str) -> String {
    use rustls_pki_types::pem::PemObject as _;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls_pki_types::CertificateDer::pem_file_iter(cert).unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let name = rustls_pki_types::ServerName::try_from("127.0.0.1").unwrap();
    let mut tls = connector
        .connect(name, tcp)
        .await
        .expect("a TLS handshake with the desk's certificate");
    let request = format!("{head}Host: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n{body}");
    tls.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let _ = tls.read_to_end(&mut answer).await;
    String::from_utf8_lossy(&answer).into_owned()
}

/// The administration records that Jānis left: his session ends and he
/// can no longer sign; a second departure is refused.
async fn leaver_can_no_longer_sign(
    http: &Http,
    fx: &Fixture,
    admin: &str,
    janis: &desk_support::Employee,
) {
    let body = json!({"id": janis.id}).to_string().into_bytes();
    let r = http
        .post("/api/admin/leave", Some(admin), body.clone())
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    let (title, sha) = &fx.versions[1];
    let late = desk_support::envelope(janis, title, sha, &desk_support::today());
    let r = http
        .post("/api/ack", Some(&janis.cookie), late)
        .await
        .unwrap();
    assert_eq!(r.status, 401, "{}", r.text());
    let r = http
        .post("/api/admin/leave", Some(admin), body)
        .await
        .unwrap();
    assert_eq!(r.status, 422, "{}", r.text());
    let r = http
        .post(
            "/api/admin/leave",
            Some(&janis.cookie),
            json!({"id": "aozola"}).to_string().into_bytes(),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 401);
}
