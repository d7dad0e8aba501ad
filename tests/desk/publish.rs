//! Publishing from the administration page (issue 21, point 3, and the
//! hostile input of "what must hold" 2): an uploaded PDF or a template
//! (known to the desk, or uploaded as a ZIP) is staged in memory, shown,
//! compared with the previous version, and published as the entries
//! `ackreg log publish` writes. Every hostile upload is refused with a 4xx
//! naming the problem and writes nothing; an employee's session gets 403
//! and a request from another origin is refused.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde_json::{json, Value};

use super::{checkpoint_size, common, runtime, Server};
use crate::desk_support::{self, Dress, Fixture, Http, Reply};

/// `ackreg serve` with `--templates DIR`.
fn start_with_templates(fx: &Fixture, templates: &Path) -> Server {
    let stderr = fx.tmp.path().join("serve-publish.err");
    let mut child = common::ackreg(fx.tmp.path())
        .args(["serve", "--quiet", "--listen", "127.0.0.1:0", "--log"])
        .arg(&fx.log)
        .arg("--issuer-key")
        .arg(&fx.key_file)
        .arg("--templates")
        .arg(templates)
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
    std::thread::spawn(move || for _ in lines {});
    Server {
        child,
        base,
        admin_token,
        stderr,
    }
}

/// A folder of templates: `good` (the built-in rules with one clause
/// added) and `reader` (reads a file outside its folder).
fn templates(fx: &Fixture) -> PathBuf {
    let dir = fx.tmp.path().join("templates");
    std::fs::create_dir_all(dir.join("good")).unwrap();
    std::fs::create_dir_all(dir.join("reader")).unwrap();
    std::fs::write(dir.join("good/rules.typ"), amended_rules()).unwrap();
    std::fs::write(fx.tmp.path().join("secret.txt"), "TOP SECRET").unwrap();
    std::fs::write(dir.join("reader/rules.typ"), "#read(\"../../secret.txt\")").unwrap();
    dir
}

fn amended_rules() -> String {
    ackreg_core::render::RULES_TYP.replacen(
        "#clause(\"2.\")",
        "#clause(\"1.1.\")[Darbinieks ievēro šos noteikumus arī attālināti.]\n#clause(\"2.\")",
        1,
    )
}

/// Every file under `dir` (the desk's own folder included) with its size.
fn files(dir: &Path) -> BTreeMap<PathBuf, u64> {
    let mut out = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let path = e.path();
            if path.is_dir() {
                todo.push(path);
            } else {
                out.insert(path.clone(), e.metadata().unwrap().len());
            }
        }
    }
    out
}

/// A stored (uncompressed) ZIP of (name, bytes, Unix mode).
fn stored_zip(items: &[(&str, &[u8], u32)]) -> Vec<u8> {
    let crc = |data: &[u8]| {
        let mut c = 0xFFFF_FFFFu32;
        for &b in data {
            c ^= u32::from(b);
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    (c >> 1) ^ 0xEDB8_8320
                } else {
                    c >> 1
                };
            }
        }
        !c
    };
    let (mut out, mut central) = (Vec::new(), Vec::new());
    for (name, data, mode) in items {
        let offset = out.len() as u32;
        let mut common = Vec::new();
        common.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0x21, 0]); // flags, stored, time, date
        common.extend_from_slice(&crc(data).to_le_bytes());
        common.extend_from_slice(&(data.len() as u32).to_le_bytes());
        common.extend_from_slice(&(data.len() as u32).to_le_bytes());
        common.extend_from_slice(&(name.len() as u16).to_le_bytes());
        common.extend_from_slice(&[0, 0]);
        out.extend_from_slice(&[0x50, 0x4b, 3, 4, 20, 0]);
        out.extend_from_slice(&common);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        central.extend_from_slice(&[0x50, 0x4b, 1, 2, 20, 3, 20, 0]);
        central.extend_from_slice(&common);
        central.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
        central.extend_from_slice(&(mode << 16).to_le_bytes());
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let at = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&[0x50, 0x4b, 5, 6, 0, 0, 0, 0]);
    out.extend_from_slice(&(items.len() as u16).to_le_bytes());
    out.extend_from_slice(&(items.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&at.to_le_bytes());
    out.extend_from_slice(&[0, 0]);
    out
}

/// A ZIP bomb: 8 MiB of zeros, deflated (by the eDoc writer).
fn zip_bomb() -> Vec<u8> {
    let limits = ackreg_core::edoc::Limits {
        ratio: u64::MAX,
        ..ackreg_core::edoc::Limits::default()
    };
    let file = ackreg_core::edoc::ContainerFile {
        name: "rules.typ".into(),
        mime: "text/plain".into(),
        bytes: vec![b' '; 8 << 20],
    };
    ackreg_core::edoc::write_with(&[file], &limits).unwrap()
}

async fn upload(http: &Http, path: &str, cookie: &str, kind: &str, body: Vec<u8>) -> Reply {
    let dress = Dress {
        cookie: Some(cookie),
        content_type: Some(kind),
        origin: Some(&http.base),
        host: None,
    };
    http.send("POST", path, &dress, body).await.unwrap()
}

fn error_of(r: &Reply) -> (u16, String) {
    (
        r.status,
        r.json()["error"].as_str().unwrap_or("").to_string(),
    )
}

/// Sends the headers of a 200 MB upload and a little of its body on a raw
/// connection; the status line of the answer.
fn huge_upload(base: &str, cookie: &str) -> String {
    let host = base.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(host).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let head = format!(
        "POST /api/admin/publish/pdf HTTP/1.1\r\nHost: {host}\r\nOrigin: {base}\r\nCookie: {cookie}\r\n\
         Content-Type: application/pdf\r\nContent-Length: {}\r\n\r\n",
        200 * 1024 * 1024
    );
    s.write_all(head.as_bytes()).unwrap();
    let _ = s.write_all(&vec![b'%'; 64 * 1024]);
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = s.read(&mut buf) {
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&buf[..n]);
        if answer.windows(4).any(|w| w == b"\r\n\r\n") && answer.ends_with(b"}") {
            break;
        }
    }
    String::from_utf8_lossy(&answer).into_owned()
}

/// A hostile upload: what it is, its path, its type, its body, and the
/// status and code it must get.
type Case<'a> = (&'a str, &'a str, &'a str, Vec<u8>, (u16, &'a str));

/// Sends a ZIP upload of 17 MiB chunked, without a length; the answer.
fn chunked_upload(base: &str, cookie: &str) -> String {
    let host = base.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(host).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let head = format!(
        "POST /api/admin/publish/zip HTTP/1.1\r\nHost: {host}\r\nOrigin: {base}\r\nCookie: {cookie}\r\n\
         Content-Type: application/zip\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    s.write_all(head.as_bytes()).unwrap();
    let chunk = vec![b'P'; 1 << 20];
    for _ in 0..17 {
        let sent = s
            .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
            .and_then(|_| s.write_all(&chunk))
            .and_then(|_| s.write_all(b"\r\n"));
        if sent.is_err() {
            break;
        }
    }
    let _ = s.write_all(b"0\r\n\r\n");
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = s.read(&mut buf) {
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&buf[..n]);
        if answer.windows(4).any(|w| w == b"\r\n\r\n") && answer.ends_with(b"}") {
            break;
        }
    }
    String::from_utf8_lossy(&answer).into_owned()
}

#[test]
fn hostile_uploads_are_refused_by_name_and_write_nothing() {
    let fx = desk_support::fixture(1, true);
    let dir = templates(&fx);
    let server = start_with_templates(&fx, &dir);
    runtime().block_on(async {
        let http = Http::new(&server.base);
        let admin = desk_support::admin_signin(&http, &server.admin_token).await;
        let before = (files(&fx.log), checkpoint_size(&fx.log));
        let pdf = "/api/admin/publish/pdf";
        let zip = "/api/admin/publish/zip";
        let rules = amended_rules();
        let cases: Vec<Case> = vec![
            ("not a PDF", pdf, "application/pdf", b"%PDF-1.7 hello".to_vec(), (422, "not_pdf")),
            ("a ZIP as a PDF", pdf, "application/pdf", stored_zip(&[("rules.typ", b"x", 0o100644)]), (422, "not_pdf")),
            ("empty", pdf, "application/pdf", Vec::new(), (400, "empty")),
            ("a PDF sent as JSON", pdf, "application/json", desk_support_pdf(), (415, "content_type")),
            ("a ZIP bomb", zip, "application/zip", zip_bomb(), (422, "zip_bomb")),
            ("../ path", zip, "application/zip", stored_zip(&[("rules.typ", rules.as_bytes(), 0o100644), ("../evil.typ", b"x", 0o100644)]), (422, "zip_path")),
            ("absolute path", zip, "application/zip", stored_zip(&[("rules.typ", rules.as_bytes(), 0o100644), ("/tmp/evil.typ", b"x", 0o100644)]), (422, "zip_path")),
            ("a symbolic link", zip, "application/zip", stored_zip(&[("rules.typ", rules.as_bytes(), 0o100644), ("style.typ", b"/etc/passwd", 0o120777)]), (422, "zip_link")),
            ("too many files", zip, "application/zip", {
                let names: Vec<String> = (0..300).map(|i| format!("f{i}.txt")).collect();
                let items: Vec<(&str, &[u8], u32)> = names.iter().map(|n| (n.as_str(), &b"x"[..], 0o100644)).collect();
                stored_zip(&items)
            }, (422, "zip_entries")),
            ("a template reading outside its folder", zip, "application/zip", stored_zip(&[("rules.typ", b"#read(\"../../../etc/passwd\")", 0o100644)]), (422, "template")),
            ("no rules.typ", zip, "application/zip", stored_zip(&[("main.typ", b"x", 0o100644)]), (422, "no_main")),
            ("not a ZIP", zip, "application/zip", b"PK not really".to_vec(), (422, "bad_zip")),
        ];
        for (what, path, kind, body, want) in cases {
            let r = upload(&http, path, &admin, kind, body).await;
            let (status, code) = error_of(&r);
            assert_eq!((status, code.as_str()), want, "{what}: {}", r.text());
            assert!(r.json()["message"].as_str().is_some_and(|m| !m.is_empty()), "{what}: names the problem");
        }
        // A known template that reads outside its folder; an unknown one.
        let r = http
            .post("/api/admin/publish/render", Some(&admin), br#"{"template":"reader"}"#.to_vec())
            .await
            .unwrap();
        assert_eq!(error_of(&r), (422, "template".into()), "{}", r.text());
        assert!(!r.text().contains("TOP SECRET"));
        let r = http
            .post("/api/admin/publish/render", Some(&admin), br#"{"template":"../reader"}"#.to_vec())
            .await
            .unwrap();
        assert_eq!(error_of(&r), (400, "field".into()), "{}", r.text());
        // 200 MB: refused by its length, before it is read.
        let answer = huge_upload(&server.base, &admin);
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
        assert!(answer.contains("too_large"), "{answer}");
        // Over the limit without a length: cut off as it runs past.
        let answer = chunked_upload(&server.base, &admin);
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
        assert!(answer.contains("too_large"), "{answer}");
        // Publishing what was never staged.
        let form = json!({"staged": "nothing", "document": "rules", "label": "9", "effective": "2030-01-01",
            "material": false, "new_employee_days": 14});
        let r = http.post("/api/admin/publish", Some(&admin), form.to_string().into_bytes()).await.unwrap();
        assert_eq!(error_of(&r), (404, "not_found".into()));
        assert_eq!((files(&fx.log), checkpoint_size(&fx.log)), before, "nothing written");
    });
}

/// A small one-page PDF with a title.
fn desk_support_pdf() -> Vec<u8> {
    common::tiny_pdf("Datu aizsardzības noteikumi")
}

#[test]
fn publishing_routes_are_for_administrators_of_this_desk_only() {
    let fx = desk_support::fixture(1, true);
    let dir = templates(&fx);
    let server = start_with_templates(&fx, &dir);
    runtime().block_on(async {
        let http = Http::new(&server.base);
        let admin = desk_support::admin_signin(&http, &server.admin_token).await;
        let anna = desk_support::enrol(&http, &admin, "aberzina", "Anna Bērziņa", 1).await;
        let before = (files(&fx.log), checkpoint_size(&fx.log));
        let staged = upload(
            &http,
            "/api/admin/publish/pdf",
            &admin,
            "application/pdf",
            desk_support_pdf(),
        )
        .await;
        assert_eq!(staged.status, 200, "{}", staged.text());
        let id = staged.json()["id"].as_str().unwrap().to_string();
        let form =
            json!({"staged": id, "document": "rules", "label": "2", "effective": "2030-01-01",
            "material": true, "deadline": "2030-02-01", "new_employee_days": 14})
            .to_string();
        let posts: Vec<(&str, &str, Vec<u8>)> = vec![
            (
                "/api/admin/publish/pdf",
                "application/pdf",
                desk_support_pdf(),
            ),
            (
                "/api/admin/publish/zip",
                "application/zip",
                stored_zip(&[("rules.typ", b"x", 0o100644)]),
            ),
            (
                "/api/admin/publish/render",
                "application/json",
                br#"{"template":"good"}"#.to_vec(),
            ),
            (
                "/api/admin/publish",
                "application/json",
                form.clone().into_bytes(),
            ),
        ];
        let gets = [
            "/api/admin/publish/templates".to_string(),
            "/api/admin/publish/documents".to_string(),
            format!("/api/admin/publish/staged/{id}"),
            format!("/api/admin/publish/changes/{id}/rules"),
        ];
        for (path, kind, body) in &posts {
            // An employee's session.
            let r = upload(&http, path, &anna.cookie, kind, body.clone()).await;
            assert_eq!(
                error_of(&r),
                (403, "forbidden".into()),
                "{path}: {}",
                r.text()
            );
            // No session.
            let r = http
                .send(
                    "POST",
                    path,
                    &Dress {
                        content_type: Some(kind),
                        origin: Some(&http.base),
                        ..Dress::default()
                    },
                    body.clone(),
                )
                .await
                .unwrap();
            assert_eq!(error_of(&r), (401, "no_session".into()), "{path}");
            // The administrator's session, from another origin or none.
            for origin in [Some("http://evil.example"), None] {
                let dress = Dress {
                    cookie: Some(&admin),
                    content_type: Some(kind),
                    origin,
                    host: None,
                };
                let r = http.send("POST", path, &dress, body.clone()).await.unwrap();
                assert_eq!(
                    error_of(&r),
                    (403, "origin".into()),
                    "{path} from {origin:?}"
                );
            }
        }
        for path in &gets {
            let r = http.get(path, Some(&anna.cookie)).await.unwrap();
            assert_eq!(error_of(&r), (403, "forbidden".into()), "{path}");
            let r = http.get(path, None).await.unwrap();
            assert_eq!(error_of(&r), (401, "no_session".into()), "{path}");
            let r = http.get(path, Some(&admin)).await.unwrap();
            if path.contains("/changes/") {
                // A PDF without numbered clauses: what changed cannot be told.
                assert_eq!(
                    error_of(&r),
                    (422, "changes".into()),
                    "{path}: {}",
                    r.text()
                );
            } else {
                assert_eq!(r.status, 200, "{path}: {}", r.text());
            }
        }
        assert_eq!(
            (files(&fx.log), checkpoint_size(&fx.log)),
            before,
            "nothing written"
        );
    });
}

/// The entry `ackreg log publish --pdf` writes for the same PDF and
/// arguments, in a copy of the log.
fn cli_publish(fx: &Fixture, pdf: &[u8], args: &[&str]) -> Vec<u8> {
    let copy = fx.tmp.path().join("copy");
    let status = std::process::Command::new("cp")
        .arg("-r")
        .arg(&fx.log)
        .arg(&copy)
        .status()
        .unwrap();
    assert!(status.success());
    let _ = std::fs::remove_dir_all(copy.join("desk"));
    let file = fx.tmp.path().join("upload.pdf");
    std::fs::write(&file, pdf).unwrap();
    common::ackreg(fx.tmp.path())
        .args(["log", "publish"])
        .arg(&copy)
        .arg("--issuer-key")
        .arg(&fx.key_file)
        .arg("--pdf")
        .arg(&file)
        .args(args)
        .run()
        .must_succeed();
    let log = ackreg_core::log::LogDir::new(&copy);
    let size = log.checkpoint().unwrap().checkpoint.size;
    log.entry(size - 1).unwrap()
}

#[test]
fn an_uploaded_pdf_is_previewed_compared_and_made_the_entry_log_publish_writes() {
    let fx = desk_support::fixture(1, true);
    let dir = templates(&fx);
    let server = start_with_templates(&fx, &dir);
    runtime().block_on(async {
        let http = Http::new(&server.base);
        let admin = desk_support::admin_signin(&http, &server.admin_token).await;
        // A template the desk knows, rendered: PDF/A, compared by clauses.
        let r = http
            .post("/api/admin/publish/render", Some(&admin), br#"{"template":"good"}"#.to_vec())
            .await
            .unwrap();
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json()["pdfa"], json!("PDF/A-3a"));
        let id = r.json()["id"].as_str().unwrap().to_string();
        let c = http.get(&format!("/api/admin/publish/changes/{id}/rules"), Some(&admin)).await.unwrap();
        assert_eq!(c.status, 200, "{}", c.text());
        assert_eq!(c.json()["summary"]["added"], json!(1), "{}", c.text());
        assert_eq!(c.json()["from"]["label"], json!("1"));
        let templates = http.get("/api/admin/publish/templates", Some(&admin)).await.unwrap();
        assert_eq!(templates.json()["templates"], json!(["good", "reader"]));
        // An uploaded PDF: no PDF/A, its title, the same bytes back.
        let pdf = desk_support_pdf();
        let r = upload(&http, "/api/admin/publish/pdf", &admin, "application/pdf", pdf.clone()).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let staged = r.json();
        assert_eq!(staged["pdfa"], Value::Null);
        assert_eq!(staged["title"], json!("Datu aizsardzības noteikumi"));
        assert_eq!(staged["pages"], json!(1));
        let id = staged["id"].as_str().unwrap().to_string();
        let back = http.get(&format!("/api/admin/publish/staged/{id}"), Some(&admin)).await.unwrap();
        assert_eq!(back.body, pdf);
        let c = http.get(&format!("/api/admin/publish/changes/{id}/jauns"), Some(&admin)).await.unwrap();
        assert_eq!(c.json(), json!({"none": true}));
        // Bad fields are named.
        let mut form = json!({"staged": id, "document": "rules", "label": "2", "effective": "2030-01-01",
            "material": true, "new_employee_days": 14});
        let r = http.post("/api/admin/publish", Some(&admin), form.to_string().into_bytes()).await.unwrap();
        assert_eq!((r.status, r.json()["field"].clone()), (400, json!("deadline")), "{}", r.text());
        form["deadline"] = json!("2030-02-01");
        form["label"] = json!("1");
        let r = http.post("/api/admin/publish", Some(&admin), form.to_string().into_bytes()).await.unwrap();
        assert_eq!(error_of(&r), (422, "refused".into()), "label 1 is taken: {}", r.text());
        assert!(!fx.log.join("documents").join(format!("{}.pdf", staged["sha256"].as_str().unwrap())).exists());
        // The one-time link's session may stage, but only a named
        // administrator publishes, by a request signed with their key.
        form["label"] = json!("2");
        let r = http.post("/api/admin/publish", Some(&admin), form.to_string().into_bytes()).await.unwrap();
        assert_eq!(r.status, 403, "{}", r.text());
        let kept = fx.log.join("documents").join(format!("{}.pdf", staged["sha256"].as_str().unwrap()));
        assert!(!kept.exists());
        let cli = cli_publish(&fx, &pdf, &["--label", "2", "--effective", "2030-01-01", "--deadline", "2030-02-01"]);
        let anna = desk_support::first_admin(&http, &admin, "agavare", "Anna Gavare", 21).await;
        let r = desk_support::ask(&http, &anna, "/api/admin/publish", form.clone()).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let written = r.json()["entries"].as_array().unwrap().clone();
        assert_eq!(written.len(), 1);
        let log = ackreg_core::log::LogDir::new(&fx.log);
        let entry = log.entry(written[0].as_u64().unwrap()).unwrap();
        assert_eq!(entry, cli, "the entry `log publish` writes");
        assert_eq!(std::fs::read(kept).unwrap(), pdf, "the PDF is kept in documents/");
        let (ok, out) = super::verify_cli(&[&fx.log], &fx.pub_file);
        assert!(ok, "{out}");
        // The request names the administrator who asked.
        let state = log.committed().unwrap().1;
        let asked = state.request_for(written[0].as_u64().unwrap()).expect("a request");
        assert_eq!(state.admins()[asked.admin as usize].id, "agavare");
        assert_eq!(asked.action, "publicēšana: rules, versija 2");
    });
}

// ---- In Chromium ------------------------------------------------------------

/// Waits until the element's text contains `part`; its text.
async fn wait_text(c: &fantoccini::Client, css: &str, part: &str) -> String {
    for _ in 0..300 {
        let text = c
            .execute(
                "const e = document.querySelector(arguments[0]); return e ? e.textContent : null;",
                vec![json!(css)],
            )
            .await
            .unwrap();
        if let Some(t) = text.as_str().filter(|t| t.contains(part)) {
            return t.to_string();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "{css} never said {part:?}:\n{}",
        super::text_of(c, "main").await
    );
}

/// Screenshots with `css` scrolled to the top of the window.
async fn shot_at(c: &fantoccini::Client, css: &str, name: &str) {
    for (size, w, h) in [("phone", 390, 844), ("desktop", 1280, 900)] {
        c.set_window_size(w, h).await.unwrap();
        c.execute(
            "document.querySelector(arguments[0]).scrollIntoView({block: 'start'});",
            vec![json!(css)],
        )
        .await
        .unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        let png = c.screenshot().await.unwrap();
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/desk-screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}-{size}.png")), png).unwrap();
    }
}

/// Waits until the element holds a message other than `not`; its text.
async fn wait_answer(c: &fantoccini::Client, css: &str, not: &str) -> String {
    for _ in 0..300 {
        let text = c
            .execute(
                "const e = document.querySelector(arguments[0]); return e ? e.textContent : '';",
                vec![json!(css)],
            )
            .await
            .unwrap();
        let text = text.as_str().unwrap_or("").to_string();
        if !text.is_empty() && (not.is_empty() || !text.contains(not)) {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{css} never answered:\n{}", super::text_of(c, "main").await);
}

async fn type_into(c: &fantoccini::Client, css: &str, text: &str) {
    let input = super::wait_css(c, css).await;
    input.clear().await.unwrap();
    input.send_keys(text).await.unwrap();
}

/// A named administrator uploads a PDF (the rules with a clause added,
/// made elsewhere), sees it, that it is PDF/A and what changed, is told
/// beside the form what is missing, fills the form the Latvian way and
/// publishes: the entry is in the log, the request names them, and
/// `ackreg verify` passes. Screenshots: target/desk-screenshots/publish-*.
#[test]
fn an_administrator_publishes_an_uploaded_pdf_from_the_page() {
    let fx = desk_support::fixture(1, true);
    let dir = templates(&fx);
    let server = start_with_templates(&fx, &dir);
    let driver = super::chromedriver();
    let rendered = ackreg_core::publish::template::render_dir(&dir.join("good")).unwrap();
    let pdf_file = fx.tmp.path().join("noteikumi-2.pdf");
    std::fs::write(&pdf_file, &rendered.pdf).unwrap();
    runtime().block_on(async {
        let c = super::browser(&driver, &fx.tmp.path().join("profile-publish")).await;
        // Anna makes her administrator's key in this browser: it signs.
        super::admin_pages::first_admin_in_browser(
            &c,
            &server.base,
            Some(&server.admin_token),
            "agavare",
            "Anna Gavare",
        )
        .await;
        super::wait_css(&c, "#publish-source-form").await;
        super::screenshots(&c, "publish-1-form").await;
        super::axe(&c, "the publishing section").await;
        // Nothing chosen: said beside the form.
        super::wait_css(&c, "#publish-upload")
            .await
            .click()
            .await
            .unwrap();
        wait_text(&c, "#publish-source-message", "Izvēlieties failu").await;
        // The PDF: its preview, the PDF/A fact, what changed.
        let input = super::wait_css(&c, "#publish-pdf").await;
        input.send_keys(pdf_file.to_str().unwrap()).await.unwrap();
        super::wait_css(&c, "#publish-upload")
            .await
            .click()
            .await
            .unwrap();
        wait_text(&c, "#publish-pdfa", "PDF/A: jā (PDF/A-3a)").await;
        super::wait_css(&c, "#publish-frame").await;
        wait_text(&c, "#publish-changes", "Pievienoti: 1").await;
        wait_text(&c, "#publish-changes", "attālināti").await;
        shot_at(&c, "#publish-preview-h", "publish-2-preview").await;
        shot_at(&c, "#publish-changes", "publish-2-changes").await;
        super::axe(&c, "the preview").await;
        // No label: the page's words beside the form.
        type_into(&c, "#publish-effective", "01.01.2030.").await;
        type_into(&c, "#publish-deadline", "01.02.2030.").await;
        super::wait_css(&c, "#publish-button")
            .await
            .click()
            .await
            .unwrap();
        wait_text(&c, "#publish-message", "Ierakstiet versijas apzīmējumu").await;
        shot_at(&c, "#publish-message", "publish-3-error").await;
        type_into(&c, "#publish-label", "2").await;
        super::wait_css(&c, "#publish-button")
            .await
            .click()
            .await
            .unwrap();
        let said = wait_answer(&c, "#publish-message", "Ierakstiet versijas apzīmējumu").await;
        assert!(said.contains("Publicēts"), "signed in the browser: {said}");
        wait_text(&c, "main", "01.01.2030.").await;
        super::screenshots(&c, "publish-4-published").await;
        super::axe(&c, "the page after publishing").await;
        c.close().await.unwrap();
    });
    let (ok, out) = super::verify_cli(&[&fx.log], &fx.pub_file);
    assert!(ok, "{out}");
    let state = ackreg_core::log::LogDir::new(&fx.log)
        .committed()
        .unwrap()
        .1;
    let (_, v) = state
        .version_of("rules", "2")
        .expect("version 2 is in the log");
    assert_eq!(v.version.sha256, rendered.sha256);
    let asked = state.request_for(v.entry).expect("a request");
    assert_eq!(state.admins()[asked.admin as usize].id, "agavare");
}

/// A named administrator renders a template the desk knows and publishes
/// it as the first version of a new document that binds one position:
/// the document is declared and its version published by one signed
/// request; `ackreg verify` passes. Screenshots: publish-template-*.
#[test]
fn an_administrator_publishes_a_template_as_a_new_document_from_the_page() {
    let fx = desk_support::fixture(1, true);
    let dir = templates(&fx);
    let server = start_with_templates(&fx, &dir);
    let driver = super::chromedriver();
    runtime().block_on(async {
        let c = super::browser(&driver, &fx.tmp.path().join("profile-template")).await;
        super::admin_pages::first_admin_in_browser(&c, &server.base, Some(&server.admin_token), "agavare", "Anna Gavare").await;
        super::wait_css(&c, "#publish-source-form").await;
        c.execute(
            "const r = document.querySelector('input[name=publish-source][value=known]'); r.click();",
            vec![],
        )
        .await
        .unwrap();
        super::wait_css(&c, "#publish-template").await;
        super::wait_css(&c, "#publish-upload").await.click().await.unwrap();
        wait_text(&c, "#publish-pdfa", "PDF/A-3a").await;
        // A new document: nothing to compare with.
        c.execute(
            "const s = document.getElementById('publish-document'); s.value = '*new'; s.dispatchEvent(new Event('change', {bubbles: true}));",
            vec![],
        )
        .await
        .unwrap();
        type_into(&c, "#publish-new-id", "attalinatais-darbs").await;
        type_into(&c, "#publish-title", "Attālinātā darba kārtība").await;
        type_into(&c, "#publish-label", "1").await;
        type_into(&c, "#publish-effective", "01.03.2030.").await;
        type_into(&c, "#publish-deadline", "31.03.2030.").await;
        type_into(&c, "#publish-positions", "Klientu konsultants").await;
        super::wait_css(&c, "#publish-new-id").await.send_keys("\t").await.unwrap();
        wait_text(&c, "#publish-changes", "nav versiju").await;
        shot_at(&c, "#publish-form", "publish-template-form").await;
        super::axe(&c, "the template's form").await;
        super::wait_css(&c, "#publish-button").await.click().await.unwrap();
        let said = wait_answer(&c, "#publish-message", "").await;
        assert!(said.contains("Publicēts"), "signed in the browser: {said}");
        wait_text(&c, "main", "Attālinātā darba kārtība").await;
        super::screenshots(&c, "publish-template-published").await;
        c.close().await.unwrap();
    });
    let (ok, out) = super::verify_cli(&[&fx.log], &fx.pub_file);
    assert!(ok, "{out}");
    let log = ackreg_core::log::LogDir::new(&fx.log);
    let state = log.committed().unwrap().1;
    let doc = state.document("attalinatais-darbs").expect("declared");
    assert_eq!(doc.declarations[0].0.positions, ["Klientu konsultants"]);
    let (_, v) = state
        .version_of("attalinatais-darbs", "1")
        .expect("published");
    assert!(state.request_for(v.entry).is_some());
    let sha = ackreg_core::encoding::hex(&v.version.sha256);
    assert!(fx
        .log
        .join("documents")
        .join(format!("{sha}.clauses.json"))
        .exists());
}
