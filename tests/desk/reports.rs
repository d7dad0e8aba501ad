//! Issue 21, points 4 and 6: the staff file from the page and the reports.
//! Over HTTP: hostile uploads (formula cells, not UTF-8, 200 MB, missing
//! columns, wrong type, another origin) get a 4xx naming the problem and
//! write nothing; an employee's session gets 403 on every new
//! administrator's route; each download is what the CLI makes, with a
//! Latvian file name. In Chromium: the import journey and the reports
//! journey, with screenshots and axe.

use super::*;

use std::collections::BTreeMap;

use ackreg_core::fsutil::Wait;
use ackreg_core::log::entry;
use desk_support::Dress;

/// The fixture with units `kac` and `bvv` declared and two people joined
/// (one with a name a spreadsheet would take for a formula, as the log
/// allows it).
fn fixture_with_units() -> Fixture {
    let fx = desk_support::fixture(1, true);
    let mut w =
        ackreg_core::log::Writer::open(&fx.log, fx.issuer.clone(), Wait::Yes, |_, _| {}).unwrap();
    let day = entry::parse_date("2020-01-01").unwrap();
    for bytes in [
        entry::unit_bytes("kac", "Klientu apkalpošanas centrs").unwrap(),
        entry::unit_bytes("bvv", "Būvvalde").unwrap(),
        entry::join_bytes(
            "okrumins",
            "Oskars Krūmiņš",
            Some("referents"),
            &["kac".into()],
            day,
        )
        .unwrap(),
        entry::join_bytes(
            "formula",
            "=HYPERLINK(\"http://x\")",
            None,
            &["bvv".into()],
            day,
        )
        .unwrap(),
    ] {
        w.append(bytes).unwrap();
    }
    w.commit().unwrap();
    drop(w);
    fx
}

/// Every file of the log folder but the desk's own, with its bytes.
fn files_of(log: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for item in std::fs::read_dir(dir).unwrap() {
            let path = item.unwrap().path();
            let rel = path.strip_prefix(root).unwrap().to_path_buf();
            if rel.starts_with("desk") {
                continue;
            }
            if path.is_dir() {
                walk(&path, root, out);
            } else {
                out.insert(rel, std::fs::read(&path).unwrap_or_default());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(log, log, &mut out);
    out
}

fn csv_dress<'a>(http: &'a Http, cookie: &'a str) -> Dress<'a> {
    Dress {
        cookie: Some(cookie),
        content_type: Some("text/csv"),
        origin: Some(&http.base),
        host: None,
    }
}

const GOOD: &str = "id;vārds, uzvārds;amats;struktūrvienības;sākuma datums\n\
    okrumins;Oskars Krūmiņš;referents;kac;2020-01-01\n\
    formula;Formula;;bvv;2020-01-01\n\
    jberzins;Jānis Bērziņš;;kac;01.12.2026\n";

/// POSTs `len` bytes of CSV on a raw connection, reading the answer while
/// it writes; the status line and what followed it.
async fn huge_upload(http: &Http, path: &str, cookie: &str, len: usize) -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let host = http.base.trim_start_matches("http://").to_string();
    let stream = tokio::net::TcpStream::connect(&host).await.unwrap();
    let (mut rd, mut wr) = stream.into_split();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nOrigin: {}\r\nContent-Type: text/csv\r\nCookie: {cookie}\r\nContent-Length: {len}\r\n\r\n",
        http.base
    );
    let writer = tokio::spawn(async move {
        let _ = wr.write_all(head.as_bytes()).await;
        let chunk = vec![b'a'; 1 << 20];
        let mut sent = 0;
        while sent < len {
            if wr.write_all(&chunk).await.is_err() {
                return sent;
            }
            sent += chunk.len();
        }
        sent
    });
    let mut answer = vec![0u8; 4096];
    let n = rd.read(&mut answer).await.unwrap_or(0);
    writer.abort();
    String::from_utf8_lossy(&answer[..n]).into_owned()
}

/// Hostile files: each refused with a 4xx naming the problem.
async fn hostile_uploads(http: &Http, admin: &str) {
    let formula = "id;vārds, uzvārds;amats;struktūrvienības;sākuma datums\n\
        okrumins;Oskars Krūmiņš;referents;kac;2020-01-01\n\
        lvitola;=HYPERLINK(\"http://x\");;kac;2020-01-01\n\
        pk;Pēteris;+1;kac;2020-01-01\n\
        zz;Zane;;@kac;2020-01-01\n";
    let r = http
        .send(
            "POST",
            ackreg_desk::staff::PREVIEW,
            &csv_dress(http, admin),
            formula.into(),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 422, "{}", r.text());
    let problems = r.json()["problems"].clone();
    let named: Vec<(u64, String)> = problems
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["line"].as_u64().unwrap(),
                p["column"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        named,
        vec![
            (3, "vārds, uzvārds".to_string()),
            (4, "amats".to_string()),
            (5, "struktūrvienības".to_string())
        ]
    );
    assert!(problems[0]["why"].as_str().unwrap().contains("formula"));

    let latin1 = b"id;name;position;units;start\nb;B\xe7rzi\xf1\xb9;;;2020-01-01\n".to_vec();
    let r = http
        .send(
            "POST",
            ackreg_desk::staff::PREVIEW,
            &csv_dress(http, admin),
            latin1,
        )
        .await
        .unwrap();
    assert_eq!(r.status, 422, "{}", r.text());
    assert_eq!(r.json()["kind"], "not_utf8");
    assert_eq!(r.json()["line"], 2);

    let missing = "id;name;start\na;Anna;2020-01-01\n";
    let r = http
        .send(
            "POST",
            ackreg_desk::staff::PREVIEW,
            &csv_dress(http, admin),
            missing.into(),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 422, "{}", r.text());
    let text = r.text();
    assert!(
        text.contains("line 1") || r.json()["problems"][0]["line"] == 1,
        "{text}"
    );
    assert!(
        text.contains("\\\"position\\\"") && text.contains("\\\"units\\\""),
        "{text}"
    );

    for path in [ackreg_desk::staff::PREVIEW, ackreg_desk::staff::CONFIRM] {
        let answer = huge_upload(http, path, admin, 200 << 20).await;
        assert!(answer.starts_with("HTTP/1.1 413"), "{path}: {answer}");
        assert!(answer.contains("too_large"), "{path}: {answer}");
    }

    for kind in [Some("application/json"), Some("text/plain"), None] {
        let d = Dress {
            content_type: kind,
            ..csv_dress(http, admin)
        };
        let r = http
            .send("POST", ackreg_desk::staff::PREVIEW, &d, GOOD.into())
            .await
            .unwrap();
        assert_eq!(r.status, 415, "{kind:?}: {}", r.text());
    }
    let elsewhere = Dress {
        origin: Some("http://evil.example"),
        ..csv_dress(http, admin)
    };
    for path in [ackreg_desk::staff::PREVIEW, ackreg_desk::staff::CONFIRM] {
        let r = http
            .send("POST", path, &elsewhere, GOOD.into())
            .await
            .unwrap();
        assert_eq!(r.status, 403, "{}", r.text());
        assert_eq!(r.json()["error"], "origin");
    }
    let r = http
        .send(
            "POST",
            ackreg_desk::staff::CONFIRM,
            &csv_dress(http, admin),
            GOOD.into(),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 400, "no plan named: {}", r.text());
}

/// The preview of a good file, the same twice; a confirmation of another
/// preview is 409 with the new one.
async fn preview_and_confirm(http: &Http, admin: &str) -> Value {
    let r = http
        .send(
            "POST",
            ackreg_desk::staff::PREVIEW,
            &csv_dress(http, admin),
            GOOD.into(),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    let p = r.json();
    assert_eq!(
        p["action"],
        "darbinieku imports: 1 pievienojas, 1 maina vārdu vai amatu, 1 aiziet"
    );
    assert_eq!(
        p["counts"],
        json!({"join": 1, "move": 0, "update": 1, "leave": 1})
    );
    assert_eq!(p["changes"][0]["kind"], "leave");
    assert_eq!(p["changes"][0]["id"], "aozola");
    assert_eq!(p["changes"][2]["kind"], "join");
    assert_eq!(p["changes"][2]["id"], "jberzins");
    assert_eq!(p["changes"][2]["date"], "2026-12-01");
    let again = http
        .send(
            "POST",
            ackreg_desk::staff::PREVIEW,
            &csv_dress(http, admin),
            GOOD.into(),
        )
        .await
        .unwrap();
    assert_eq!(again.json(), p, "the same file, the same preview");
    let stale = format!("{}?plan={}", ackreg_desk::staff::CONFIRM, "0".repeat(64));
    let r = http
        .send("POST", &stale, &csv_dress(http, admin), GOOD.into())
        .await
        .unwrap();
    assert_eq!(r.status, 409, "{}", r.text());
    assert_eq!(r.json()["preview"], p);
    p
}

/// An employee's session on every new administrator's route: 403; none:
/// 401.
async fn employees_are_refused(http: &Http, employee: &str) {
    for path in [
        "/api/admin/reports/status.csv",
        "/api/admin/reports/report.pdf",
        "/api/admin/reports/annex/0",
        "/api/admin/reports/log.tar.gz",
    ] {
        assert_eq!(
            http.get(path, Some(employee)).await.unwrap().status,
            403,
            "{path}"
        );
        assert_eq!(http.get(path, None).await.unwrap().status, 401, "{path}");
    }
    for path in [ackreg_desk::staff::PREVIEW, ackreg_desk::staff::CONFIRM] {
        let r = http
            .send("POST", path, &csv_dress(http, employee), GOOD.into())
            .await
            .unwrap();
        assert_eq!(r.status, 403, "{path}: {}", r.text());
        let mut none = csv_dress(http, employee);
        none.cookie = None;
        let r = http.send("POST", path, &none, GOOD.into()).await.unwrap();
        assert_eq!(r.status, 401, "{path}: {}", r.text());
    }
}

/// The `filename*` of a Content-Disposition, decoded.
fn file_name(disposition: &str) -> String {
    let encoded = disposition
        .split("filename*=UTF-8''")
        .nth(1)
        .expect("filename*");
    let mut bytes = Vec::new();
    let raw = encoded.as_bytes();
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'%' {
            bytes.push(u8::from_str_radix(&encoded[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            bytes.push(raw[i]);
            i += 1;
        }
    }
    String::from_utf8(bytes).unwrap()
}

/// A GET with its headers.
async fn fetch(base: &str, path: &str, cookie: &str) -> (u16, String, String, Vec<u8>) {
    use http_body_util::{BodyExt, Empty};
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build(hyper_util::client::legacy::connect::HttpConnector::new());
    let req = hyper::Request::get(format!("{base}{path}"))
        .header("cookie", cookie)
        .body(Empty::<hyper::body::Bytes>::new())
        .unwrap();
    let resp = client.request(req).await.unwrap();
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let (kind, disposition) = (header("content-type"), header("content-disposition"));
    let status = resp.status().as_u16();
    let body = resp
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, kind, disposition, body)
}

/// No cell of a `;` table starts a formula (a quoted cell included).
fn no_formula_cells(csv: &str) {
    for line in csv.lines() {
        for cell in line.split(';') {
            let cell = cell.trim_start_matches('"');
            assert!(
                !cell.starts_with(['=', '+', '-', '@']),
                "a formula cell {cell:?} in {line:?}"
            );
        }
    }
}

/// The status CSV is the CLI's, byte for byte; it names its file in
/// Latvian and carries no formula.
async fn status_downloads(http: &Http, fx: &Fixture, admin: &str, formula: bool) {
    let today = desk_support::today();
    for (query, args, stem) in [
        ("", vec![], "statuss-visi"),
        (
            "?document=rules",
            vec!["--document", "rules"],
            "statuss-rules",
        ),
        ("?unit=kac", vec!["--unit", "kac"], "statuss-kac"),
        (
            "?document=rules&unit=bvv",
            vec!["--document", "rules", "--unit", "bvv"],
            "statuss-rules-bvv",
        ),
    ] {
        let path = format!("/api/admin/reports/status.csv{query}");
        let (status, kind, disposition, body) = fetch(&http.base, &path, admin).await;
        assert_eq!(status, 200, "{path}: {}", String::from_utf8_lossy(&body));
        assert_eq!(kind, "text/csv; charset=utf-8");
        assert_eq!(file_name(&disposition), format!("{stem}-{today}.csv"));
        let cli = common::ackreg(fx.tmp.path())
            .args(["log", "status"])
            .arg(&fx.log)
            .args(["--csv", "--date", &today])
            .args(&args)
            .run();
        assert!(cli.success(), "{}", cli.text());
        assert_eq!(body, cli.stdout_bytes(), "{path}: the CLI's bytes");
        let text = String::from_utf8(body).unwrap();
        assert!(text.starts_with('\u{feff}'));
        no_formula_cells(&text);
        if query.is_empty() && formula {
            assert!(text.contains("'=HYPERLINK"), "{text}");
            assert!(text.contains("Oskars Krūmiņš"), "{text}");
        }
    }
    for bad in ["?document=nav", "?unit=nav", "?x=1", "?unit=K%C4%81"] {
        let r = http
            .get(&format!("/api/admin/reports/status.csv{bad}"), Some(admin))
            .await
            .unwrap();
        assert_eq!(r.status, 400, "{bad}: {}", r.text());
    }
}

fn pdf_text(dir: &Path, name: &str, pdf: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, pdf).unwrap();
    let out = Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .unwrap();
    assert!(out.status.success());
    // Words as read, lines joined: a long title wraps.
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The printed report and the annex: PDFs with the document's title.
async fn pdf_downloads(http: &Http, fx: &Fixture, admin: &str) {
    let today = desk_support::today();
    let title = &fx.versions[0].0;
    let (status, kind, disposition, pdf) =
        fetch(&http.base, "/api/admin/reports/report.pdf?unit=kac", admin).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&pdf));
    assert_eq!(kind, "application/pdf");
    assert_eq!(file_name(&disposition), format!("pārskats-kac-{today}.pdf"));
    assert!(
        disposition.contains("filename=\"parskats-kac-"),
        "{disposition}"
    );
    let text = pdf_text(fx.tmp.path(), "report.pdf", &pdf);
    assert!(text.contains(title.as_str()), "{text}");
    assert!(text.contains("Oskars Krūmiņš"), "{text}");
    let (status, kind, disposition, pdf) =
        fetch(&http.base, "/api/admin/reports/annex/0", admin).await;
    assert_eq!(status, 200);
    assert_eq!(kind, "application/pdf");
    assert_eq!(file_name(&disposition), "pielikums-rules-1.pdf");
    let text = pdf_text(fx.tmp.path(), "annex.pdf", &pdf);
    assert!(text.contains(title.as_str()), "{text}");
    let old = http
        .get("/api/admin/download/annex/0", Some(admin))
        .await
        .unwrap();
    assert_eq!(old.status, 200, "the older annex route still answers");
    assert_eq!(
        http.get("/api/admin/reports/annex/7", Some(admin))
            .await
            .unwrap()
            .status,
        404
    );
}

/// The log's files unpack into a folder that `ackreg verify` passes, with
/// nothing of the desk's own.
async fn log_download(http: &Http, fx: &Fixture, admin: &str) -> PathBuf {
    let (status, kind, disposition, bytes) =
        fetch(&http.base, "/api/admin/reports/log.tar.gz", admin).await;
    assert_eq!(status, 200);
    assert_eq!(kind, "application/gzip");
    let size = checkpoint_size(&fx.log);
    assert_eq!(
        file_name(&disposition),
        format!("žurnāls-aknistesnovads.lv-kac-{size}.tar.gz")
    );
    unpack_and_verify(fx, &bytes, "http")
}

fn unpack_and_verify(fx: &Fixture, bytes: &[u8], name: &str) -> PathBuf {
    let dir = fx.tmp.path().join(format!("unpacked-{name}"));
    std::fs::create_dir_all(&dir).unwrap();
    let archive = dir.join("log.tar.gz");
    std::fs::write(&archive, bytes).unwrap();
    let out = Command::new("tar")
        .arg("xzf")
        .arg(&archive)
        .arg("-C")
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log = dir.join("log");
    assert!(!log.join("desk").exists() && !log.join("state").exists());
    assert_eq!(
        std::fs::read(log.join("checkpoint")).unwrap(),
        std::fs::read(fx.log.join("checkpoint")).unwrap()
    );
    let (ok, out) = verify_cli(&[&log], &fx.pub_file);
    assert!(ok, "ackreg verify of the unpacked log files:\n{out}");
    log
}

#[test]
fn staff_import_and_reports_over_http_refuse_hostile_input_and_write_nothing() {
    let fx = fixture_with_units();
    let server = Server::start(&fx, true);
    let http = Http::new(&server.base);
    let rt = runtime();
    rt.block_on(async {
        let admin = desk_support::admin_signin(&http, &server.admin_token).await;
        let anna = desk_support::enrol(&http, &admin, "aozola", "Anna Ozola", 1).await;
        let before = files_of(&fx.log);
        hostile_uploads(&http, &admin).await;
        employees_are_refused(&http, &anna.cookie).await;
        let p = preview_and_confirm(&http, &admin).await;
        let confirm = format!(
            "{}?plan={}",
            ackreg_desk::staff::CONFIRM,
            p["plan"].as_str().unwrap()
        );
        let r = http
            .send("POST", &confirm, &csv_dress(&http, &admin), GOOD.into())
            .await
            .unwrap();
        assert_eq!(
            r.status,
            403,
            "only a named administrator signs: {}",
            r.text()
        );
        status_downloads(&http, &fx, &admin, true).await;
        assert_eq!(files_of(&fx.log), before, "nothing written");
        let clerk = desk_support::first_admin(&http, &admin, "lvitola", "Līga Vītola", 9).await;
        the_log_changes_between_preview_and_confirm(&http, &fx, &clerk, &p).await;
        import_is_signed_and_written_once(&http, &fx, &clerk).await;
        pdf_downloads(&http, &fx, &clerk.cookie).await;
        log_download(&http, &fx, &clerk.cookie).await;
        let after = files_of(&fx.log);
        status_downloads(&http, &fx, &clerk.cookie, false).await;
        assert_eq!(files_of(&fx.log), after, "downloads write nothing");
    });
}

/// Someone changes the staff from the command line after the preview: the
/// confirmation of the old preview is 409 with the new one.
async fn the_log_changes_between_preview_and_confirm(
    http: &Http,
    fx: &Fixture,
    clerk: &desk_support::Admin,
    old: &Value,
) {
    let other = fx.tmp.path().join("other.csv");
    let without_jberzins: String = GOOD.lines().take(3).map(|l| format!("{l}\n")).collect();
    std::fs::write(&other, without_jberzins).unwrap();
    let cli = common::ackreg(fx.tmp.path())
        .args(["log", "staff"])
        .arg(&fx.log)
        .arg("--csv")
        .arg(&other)
        .arg("--apply")
        .arg("--issuer-key")
        .arg(&fx.key_file)
        .run();
    assert!(cli.success(), "{}", cli.text());
    let confirm = format!(
        "{}?plan={}",
        ackreg_desk::staff::CONFIRM,
        old["plan"].as_str().unwrap()
    );
    let started = Instant::now();
    let r = loop {
        let r = http
            .send(
                "POST",
                &confirm,
                &csv_dress(http, &clerk.cookie),
                GOOD.into(),
            )
            .await
            .unwrap();
        if r.status != 200 || started.elapsed() > Duration::from_secs(10) {
            break r;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(r.status, 409, "{}", r.text());
    let now = &r.json()["preview"];
    assert_eq!(now["action"], "darbinieku imports: 1 pievienojas");
    assert_ne!(now["plan"], old["plan"]);
}

/// A named administrator confirms, signs and commits: the entries are
/// written after their signed request, the log verifies, and the same file
/// again asks for nothing.
async fn import_is_signed_and_written_once(http: &Http, fx: &Fixture, clerk: &desk_support::Admin) {
    let r = http
        .send(
            "POST",
            ackreg_desk::staff::PREVIEW,
            &csv_dress(http, &clerk.cookie),
            GOOD.into(),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    let plan = r.json()["plan"].as_str().unwrap().to_string();
    let confirm = format!("{}?plan={plan}", ackreg_desk::staff::CONFIRM);
    let r = http
        .send(
            "POST",
            &confirm,
            &csv_dress(http, &clerk.cookie),
            GOOD.into(),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    let offer = r.json();
    assert_eq!(offer["action"], "darbinieku imports: 1 pievienojas");
    assert_eq!(offer["entries"], 1);
    let commit = json!({
        "plan": offer["plan"], "signatures": desk_support::sign_offer(&clerk.key, &offer),
    });
    let r = http
        .post(
            "/api/admin/commit",
            Some(&clerk.cookie),
            commit.to_string().into_bytes(),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    let again = http
        .send(
            "POST",
            ackreg_desk::staff::PREVIEW,
            &csv_dress(http, &clerk.cookie),
            GOOD.into(),
        )
        .await
        .unwrap();
    assert_eq!(again.status, 200, "{}", again.text());
    assert_eq!(
        again.json()["changes"],
        json!([]),
        "the same file twice adds nothing"
    );
    let entries = std::fs::read_to_string(fx.log.join("entries")).unwrap();
    let last: Vec<&str> = entries.lines().rev().take(2).collect();
    assert!(
        last[1].contains("\"kind\":\"request\"") && last[1].contains("lvitola"),
        "{}",
        last[1]
    );
    assert!(
        last[0].contains("\"kind\":\"join\"") && last[0].contains("jberzins"),
        "{}",
        last[0]
    );
    let (ok, out) = verify_cli(&[&fx.log], &fx.pub_file);
    assert!(ok, "{out}");
}

// ---- In Chromium ------------------------------------------------------------

const BAD: &str = "id;vārds, uzvārds;amats;struktūrvienības;sākuma datums\n\
    okrumins;Oskars Krūmiņš;referents;kac;2020-01-01\n\
    lvitola;=HYPERLINK(\"http://x\");;kac;2020-01-01\n\
    pk;Pēteris;;kac;31.02.2026\n";

/// Fetches `href` in the page (with the page's session): status, type,
/// Content-Disposition and the bytes.
async fn fetch_in_page(c: &Client, href: &str) -> (u64, String, String, Vec<u8>) {
    let got = run_js(
        c,
        "const r = await fetch(args[0], {credentials: 'same-origin'});
         const b = new Uint8Array(await r.arrayBuffer());
         let s = ''; for (const x of b) s += String.fromCharCode(x);
         return {status: r.status, type: r.headers.get('content-type'),
                 disposition: r.headers.get('content-disposition'), b64: btoa(s)};",
        vec![json!(href)],
    )
    .await;
    let bytes = ackreg_core::encoding::b64_strict(got["b64"].as_str().unwrap_or("")).unwrap();
    (
        got["status"].as_u64().unwrap_or(0),
        got["type"].as_str().unwrap_or("").to_string(),
        got["disposition"].as_str().unwrap_or("").to_string(),
        bytes,
    )
}

/// Screenshots at a phone's and a desktop's size, each scrolled to the
/// element `id` (the page is long).
async fn shots(c: &Client, name: &str, id: &str) {
    for (size, w, h) in [("phone", 390, 844), ("desktop", 1280, 900)] {
        c.set_window_size(w, h).await.unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        c.execute(
            "document.getElementById(arguments[0]).scrollIntoView()",
            vec![json!(id)],
        )
        .await
        .unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        let png = c.screenshot().await.unwrap();
        std::fs::write(shots_dir().join(format!("{name}-{size}.png")), png).unwrap();
    }
}

async fn upload_file(c: &Client, path: &Path) {
    c.find(Locator::Css("#staff-file"))
        .await
        .unwrap()
        .send_keys(&path.display().to_string())
        .await
        .unwrap();
    c.execute("document.getElementById('staff-message').replaceChildren(); document.getElementById('staff-preview').replaceChildren()", vec![])
        .await
        .unwrap();
    c.find(Locator::Css("#staff-form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// Import staff: a bad file's rows are named beside the form; a good
/// file's changes are shown as a table; confirming with the link's session
/// is refused beside the table (only a named administrator signs).
async fn import_staff_journey(c: &Client, fx: &Fixture) {
    let bad = fx.tmp.path().join("darbinieki-kludains.csv");
    std::fs::write(&bad, BAD).unwrap();
    upload_file(c, &bad).await;
    let problems = text_of(c, "#staff-message #staff-problems").await;
    assert!(
        problems.contains("3. rinda, kolonna „vārds, uzvārds”"),
        "{problems}"
    );
    assert!(
        problems.contains("4. rinda, kolonna „sākuma datums”"),
        "{problems}"
    );
    assert!(text_of(c, "#staff-message")
        .await
        .contains("nekas nav mainīts"));
    shots(c, "21-staff-bad-rows", "staff").await;
    axe(c, "staff import, bad rows").await;

    let good = fx.tmp.path().join("darbinieki.csv");
    std::fs::write(&good, GOOD).unwrap();
    upload_file(c, &good).await;
    wait_css(c, "#staff-preview table").await;
    let rows = c
        .find_all(Locator::Css("#staff-preview tbody tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    let table = text_of(c, "#staff-preview table").await;
    assert!(
        table.contains("Pievienojas") && table.contains("Jānis Bērziņš (jberzins)"),
        "{table}"
    );
    assert!(table.contains("01.12.2026."), "{table}");
    assert!(table.contains("Maina vārdu vai amatu"), "{table}");
    assert!(text_of(c, "#staff-message").await.is_empty());
    shots(c, "22-staff-changes", "staff-preview").await;
    axe(c, "staff import, changes").await;
    c.find(Locator::Css("#staff-confirm"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let refused = text_of(c, "#staff-done .message").await;
    assert!(
        refused.contains("paraksta administrators ar savu atslēgu"),
        "{refused}"
    );
    shots(c, "23-staff-confirm-link-session", "staff-preview").await;
}

/// Reports: a CSV, report and annex link per document (and for all),
/// following the unit chosen; each fetched and checked.
async fn reports_journey(c: &Client, fx: &Fixture) {
    wait_css(c, "#reports").await;
    let links = |css: &'static str| async move {
        let mut hrefs = Vec::new();
        for a in c.find_all(Locator::Css(css)).await.unwrap() {
            hrefs.push(a.attr("href").await.unwrap().unwrap());
        }
        hrefs
    };
    assert_eq!(
        links("a.rp-csv").await,
        vec![
            "/api/admin/reports/status.csv".to_string(),
            "/api/admin/reports/status.csv?document=rules".to_string()
        ]
    );
    assert_eq!(
        links("a.rp-annex").await,
        vec!["/api/admin/reports/annex/0".to_string()]
    );
    let select = c.find(Locator::Css("#reports-unit")).await.unwrap();
    select.select_by_value("kac").await.unwrap();
    let pdfs = links("a.rp-pdf").await;
    assert_eq!(
        pdfs,
        vec![
            "/api/admin/reports/report.pdf?unit=kac".to_string(),
            "/api/admin/reports/report.pdf?document=rules&unit=kac".to_string()
        ]
    );
    shots(c, "24-reports", "reports").await;
    axe(c, "reports").await;

    let csv = links("a.rp-csv").await;
    let (status, kind, disposition, bytes) = fetch_in_page(c, &csv[1]).await;
    assert_eq!(status, 200);
    assert_eq!(kind, "text/csv; charset=utf-8");
    assert!(
        disposition.contains("filename*=UTF-8''statuss-rules-kac-"),
        "{disposition}"
    );
    let text = String::from_utf8(bytes).unwrap();
    assert!(
        text.starts_with('\u{feff}') && text.contains("Oskars Krūmiņš"),
        "{text}"
    );
    no_formula_cells(&text);

    let (status, kind, disposition, pdf) = fetch_in_page(c, &pdfs[1]).await;
    assert_eq!((status, kind.as_str()), (200, "application/pdf"));
    assert!(
        disposition.contains("p%C4%81rskats-rules-kac-"),
        "{disposition}"
    );
    let title = &fx.versions[0].0;
    assert!(pdf_text(fx.tmp.path(), "browser-report.pdf", &pdf).contains(title.as_str()));
    let (status, _, _, pdf) = fetch_in_page(c, "/api/admin/reports/annex/0").await;
    assert_eq!(status, 200);
    assert!(pdf_text(fx.tmp.path(), "browser-annex.pdf", &pdf).contains(title.as_str()));

    let log = wait_css(c, "#rp-log")
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    let (status, kind, disposition, bytes) = fetch_in_page(c, &log).await;
    assert_eq!((status, kind.as_str()), (200, "application/gzip"));
    assert!(disposition.contains("%C5%BEurn%C4%81ls-"), "{disposition}");
    unpack_and_verify(fx, &bytes, "browser");
}

#[test]
fn a_browser_imports_staff_and_downloads_the_reports() {
    let fx = fixture_with_units();
    let server = Server::start(&fx, true);
    let driver = chromedriver();
    let rt = runtime();
    let before = files_of(&fx.log);
    rt.block_on(async {
        let c = browser(&driver, &fx.tmp.path().join("profile-reports")).await;
        c.goto(&format!("{}/admin#{}", server.base, server.admin_token))
            .await
            .unwrap();
        wait_css(&c, "#staff-form").await;
        import_staff_journey(&c, &fx).await;
        reports_journey(&c, &fx).await;
        assert_eq!(
            files_of(&fx.log),
            before,
            "nothing written without a signature"
        );
        // Under the link's session she makes her administrator's key; the
        // import she confirms is signed with it in the browser.
        super::admin_pages::first_admin_in_browser(&c, &server.base, None, "ivarna", "Ilze Varna")
            .await;
        let good = fx.tmp.path().join("darbinieki.csv");
        upload_file(&c, &good).await;
        wait_css(&c, "#staff-preview table").await;
        c.find(Locator::Css("#staff-confirm"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        super::pages::wait_text(&c, "#staff-message", "Izmaiņas ierakstītas reģistrā").await;
        super::pages::wait_text(&c, "main", "Jānis Bērziņš").await;
        shots(&c, "24-staff-signed", "staff").await;
        axe(&c, "staff import, signed").await;
        c.close().await.unwrap();
    });
    let (ok, out) = verify_cli(&[&fx.log], &fx.pub_file);
    assert!(ok, "{out}");
    let state = ackreg_core::log::LogDir::new(&fx.log)
        .committed()
        .unwrap()
        .1;
    let joined = state.employee("jberzins").expect("Jānis joined");
    let asked = state.request_for(joined.entry).expect("asked for");
    assert_eq!(state.admins()[asked.admin as usize].id, "ivarna");
    assert!(
        asked.action.starts_with("darbinieku imports"),
        "{}",
        asked.action
    );
}
