//! One log, many documents, on the desk (issue 20, point 7, and what must
//! hold, point 6): the employee's page lists every document they owe, the
//! overdue first, with their own deadlines, and for a document whose
//! earlier version they signed, what changed since; the administration's
//! page groups the status by document and unit and flags who has no key
//! yet. Screenshots in target/desk-screenshots/d*.png, axe on each view.

use ackreg_core::changes::Clause;
use ackreg_core::fsutil::Wait;
use ackreg_core::log::entry::{self, parse_date, Declaration, Version};
use ackreg_core::log::{LogDir, Writer};
use ackreg_core::render::{RenderInput, Template, RULES_TYP};
use ed25519_dalek::SigningKey;
use fantoccini::Client;
use serde_json::{json, Value};

use super::{
    axe, browser, chromedriver, run_js, runtime, screenshots, text_of, verify_cli, wait_css, Server,
};
use crate::desk_support::{self, Fixture, Http};

/// The clause the KAC's version 2 amends (as `ackreg demo` amends 10.2).
const CLAUSE_OLD: &str = "kur piemērojams, organizē Darbinieku aptaujas.";
const CLAUSE_NEW: &str =
    "reizi gadā organizē Darbinieku aptaujas un dara to rezultātus zināmus Darbiniekiem.";

const WORK_RULES: &str = "darba-kartiba";
const KAC_RULES: &str = "kac-noteikumi";

/// Anna's key from before the desk (she signed version 1 with it).
fn old_key() -> SigningKey {
    SigningKey::from_bytes(&[5; 32])
}

fn date(s: &str) -> time::Date {
    parse_date(s).unwrap()
}

/// Renders `typ` (a rules.typ) in its own folder under the fixture,
/// keeps the PDF and its clauses in the log folder as `log publish` does;
/// the rendered version's (title, SHA-256).
fn render(fx: &Fixture, name: &str, typ: &str) -> (String, [u8; 32]) {
    let dir = fx.tmp.path().join(name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("rules.typ"), typ).unwrap();
    let r = Template::from_dir(&dir)
        .unwrap()
        .render(&RenderInput::default())
        .unwrap();
    let log = LogDir::new(&fx.log);
    log.store_document(&r.pdf).unwrap();
    ackreg_core::changes::clauses::store(&log, &r.sha256, &Clause::of_rendered(&r)).unwrap();
    (r.title, r.sha256)
}

fn version(
    document: &str,
    label: &str,
    v: &(String, [u8; 32]),
    effective: &str,
    deadline: &str,
) -> Vec<u8> {
    entry::version_bytes(&Version {
        document: Some(document.into()),
        label: label.into(),
        title: v.0.clone(),
        sha256: v.1,
        effective: date(effective),
        material: true,
        deadline: Some(date(deadline)),
        new_employee_days: 14,
    })
    .unwrap()
}

/// A log of two documents: the work rules bind everyone (deadline long
/// past: overdue for anyone who has not signed), the KAC's rules bind the
/// KAC. Anna (KAC) signed version 1 of the KAC's rules in 2020 with a key
/// made before the desk; version 2 amends clause 10.2. Ilze (KAC) and
/// Jānis (building board) joined and have no key yet.
pub(super) fn two_documents() -> Fixture {
    let fx = desk_support::fixture(0, false);
    let work = render(
        &fx,
        "darba-kartiba-1",
        &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/diff-templates/1/rules.typ"),
        )
        .unwrap(),
    );
    let kac1 = render(&fx, "kac-1", RULES_TYP);
    let amended = RULES_TYP.replace(CLAUSE_OLD, CLAUSE_NEW);
    assert_ne!(amended, RULES_TYP);
    let kac2 = render(&fx, "kac-2", &amended);
    let mut w = Writer::open(&fx.log, fx.issuer.clone(), Wait::Yes, |_, _| {}).unwrap();
    let mut add = |bytes: Vec<u8>| {
        w.append(bytes).unwrap();
    };
    add(entry::unit_bytes("kac", "Klientu apkalpošanas centrs").unwrap());
    add(entry::unit_bytes("bv", "Būvvalde").unwrap());
    for (id, title, units) in [
        (WORK_RULES, "Darba kārtības noteikumi", vec![]),
        (
            KAC_RULES,
            "KAC iekšējās kārtības noteikumi",
            vec!["kac".to_string()],
        ),
    ] {
        add(entry::document_bytes(&Declaration {
            id: id.into(),
            title: title.into(),
            units,
            positions: vec![],
            date: date("2020-01-01"),
        })
        .unwrap());
    }
    add(version(WORK_RULES, "1", &work, "2020-01-01", "2020-03-01"));
    add(version(KAC_RULES, "1", &kac1, "2020-01-01", "2020-02-01"));
    let kac = ["kac".to_string()];
    add(entry::join_bytes("aozola", "Anna Ozola", None, &kac, date("2020-01-01")).unwrap());
    add(entry::join_bytes("ivitola", "Ilze Vītola", None, &kac, date("2020-01-01")).unwrap());
    add(entry::join_bytes(
        "jberzins",
        "Jānis Bērziņš",
        None,
        &["bv".to_string()],
        date("2020-01-01"),
    )
    .unwrap());
    add(entry::enrol_bytes(
        "aozola",
        "Anna Ozola",
        None,
        &old_key().verifying_key(),
        date("2020-01-01"),
    )
    .unwrap());
    let doc = ackreg_core::document::DocumentRef {
        title: kac1.0.clone(),
        sha256: kac1.1,
    };
    let env =
        ackreg_core::ack::Acknowledgement::new(&doc, "Anna Ozola", "aozola", "2020-01-20", None)
            .unwrap()
            .sign(&old_key())
            .unwrap();
    add(entry::ack_bytes(date("2020-01-20"), &old_key().verifying_key(), &env).unwrap());
    add(version(KAC_RULES, "2", &kac2, "2021-01-01", "2099-12-31"));
    w.commit().unwrap();
    drop(w);
    fx
}

async fn click(c: &Client, css: &str) {
    wait_css(c, css).await.click().await.unwrap();
}

/// Waits until the page's `css` elements number `n`.
async fn wait_count(c: &Client, css: &str, n: usize) {
    for _ in 0..300 {
        let count = c
            .execute(
                "return document.querySelectorAll(arguments[0]).length",
                vec![json!(css)],
            )
            .await
            .unwrap();
        if count == json!(n) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("never {n} of {css}:\n{}", text_of(c, "main").await);
}

/// The texts of the page's `css` elements.
async fn texts(c: &Client, css: &str) -> Vec<String> {
    let v = c
        .execute(
            "return [...document.querySelectorAll(arguments[0])].map((e) => e.textContent)",
            vec![json!(css)],
        )
        .await
        .unwrap();
    serde_json::from_value(v).unwrap()
}

/// The rows of the tables inside `css`, their cells' texts joined by `|`.
async fn rows(c: &Client, css: &str) -> Vec<String> {
    let v = c
        .execute(
            "return [...document.querySelectorAll(arguments[0] + ' tr')]
               .map((r) => [...r.cells].map((c) => c.textContent.trim()).join('|'))",
            vec![json!(css)],
        )
        .await
        .unwrap();
    serde_json::from_value(v).unwrap()
}

/// Anna, in the KAC, owes both documents: the work rules overdue, first;
/// version 2 of the KAC's rules, whose version 1 she signed, with what
/// changed since then (clause 10.2, the words marked). She signs both;
/// the page then shows both acknowledged, and the log verifies.
#[test]
fn an_employee_owes_two_documents_sees_what_changed_and_signs_both() {
    let fx = two_documents();
    let mut server = Server::start(&fx, true);
    let driver = chromedriver();
    runtime().block_on(async {
        let http = Http::new(&server.base);
        let admin = desk_support::admin_signin(&http, &server.admin_token).await;
        let r = http
            .post(
                "/api/admin/enrolments",
                Some(&admin),
                json!({"id": "aozola", "name": "Anna Ozola"}).to_string().into_bytes(),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json()["replace"], json!(true), "she had a key before the desk");
        let link = format!("{}{}", http.base, r.json()["link"].as_str().unwrap());
        let c = browser(&driver, &fx.tmp.path().join("profile-documents")).await;
        c.goto(&link).await.unwrap();
        super::pages::enrol_with_pin(&c, "1357").await;
        c.goto(&server.base).await.unwrap();
        wait_count(&c, ".card.open", 2).await;
        let headings = texts(&c, ".card.open h2").await;
        assert_eq!(
            headings,
            ["Darba kārtības noteikumi", "KAC iekšējās kārtības noteikumi"],
            "the overdue first"
        );
        let cards = texts(&c, ".card.open .facts").await;
        assert!(cards[0].contains("termiņš nokavēts") && cards[0].contains("01.03.2020."), "{}", cards[0]);
        assert!(cards[1].contains("vēl nav parakstīts") && cards[1].contains("31.12.2099."), "{}", cards[1]);
        assert!(text_of(&c, "#owe-count").await.contains('2'));
        let list = texts(&c, "#owe-list li").await;
        assert_eq!(
            list,
            [
                "Darba kārtības noteikumi termiņš nokavēts Termiņš: 01.03.2020.",
                "KAC iekšējās kārtības noteikumi vēl nav parakstīts Termiņš: 31.12.2099."
            ]
        );
        // Only the KAC's rules have an earlier version she signed.
        wait_count(&c, "details.changes", 1).await;
        let summary = text_of(&c, "details.changes summary").await;
        assert_eq!(summary, "Kas mainījies kopš jūs parakstījāt versiju 1");
        click(&c, "details.changes summary").await;
        wait_count(&c, ".change-list li", 1).await;
        let change = text_of(&c, ".change-list li").await;
        assert!(change.starts_with("Grozīts 10.2."), "{change}");
        let ins = texts(&c, ".change-list ins").await.join(" ");
        let del = texts(&c, ".change-list del").await.join(" ");
        assert!(ins.contains("reizi gadā") && ins.contains("rezultātus zināmus"), "{ins}");
        assert!(del.contains("kur piemērojams"), "{del}");
        assert!(!del.contains("Darbinieku aptaujas"), "the kept words are not marked: {del}");
        assert!(text_of(&c, ".changes-sum").await.contains("grozīti: 1"));
        c.execute("document.querySelector('details.changes').scrollIntoView()", vec![])
            .await
            .unwrap();
        screenshots(&c, "d1-what-changed").await;
        axe(&c, "what changed").await;
        // In English, the changes stay open and are not fetched again.
        super::pages::switch_language(&c).await;
        let summary = text_of(&c, "details.changes summary").await;
        assert_eq!(summary, "What changed since you signed version 1");
        let change = text_of(&c, ".change-list li").await;
        assert!(change.starts_with("Changed 10.2."), "{change}");
        c.execute("document.querySelector('details.changes').scrollIntoView()", vec![])
            .await
            .unwrap();
        screenshots(&c, "d1-what-changed-english").await;
        axe(&c, "what changed, in English").await;
        super::pages::switch_language(&c).await;
        wait_css(&c, "details.changes[open] .change-list").await;
        // The comparison is the same when asked again (kept by the desk).
        let again = run_js(
            &c,
            "const me = await (await fetch('/api/me')).json();
             const d = me.documents.find((d) => d.changes);
             const a = await (await fetch(d.changes.url)).text();
             const b = await (await fetch(d.changes.url)).text();
             return {same: a === b, to: d.changes.to, from: d.changes.from, n: me.documents.length};",
            vec![],
        )
        .await;
        assert_eq!(again, json!({"same": true, "to": "2", "from": "1", "n": 2}));
        c.execute("window.scrollTo(0, 0)", vec![]).await.unwrap();
        screenshots(&c, "d2-two-documents").await;
        axe(&c, "two documents owed").await;
        // She signs both, the first on the page first.
        for left in [1, 0] {
            super::tick(&c).await;
            click(&c, ".sign-form button[type=submit]").await;
            wait_count(&c, ".sign-form", left).await;
            wait_css(&c, "#signed").await;
        }
        wait_count(&c, "#view > .card.done", 2).await;
        let done = texts(&c, "#view > .card.done").await;
        assert!(done.iter().any(|d| d.contains("Darba kārtības noteikumi") && d.contains("parakstīts ar nokavējumu")), "{done:?}");
        assert!(
            done.iter().any(|d| d.contains("KAC iekšējās kārtības noteikumi") && d.contains("Versija 2") && d.contains("Lejupielādēt kvīti")),
            "{done:?}"
        );
        c.execute("window.scrollTo(0, document.body.scrollHeight)", vec![])
            .await
            .unwrap();
        screenshots(&c, "d3-both-signed").await;
        axe(&c, "both signed").await;
        let me = run_js(&c, "return await (await fetch('/api/me')).json();", vec![]).await;
        let standings: Vec<&Value> = me["documents"].as_array().unwrap().iter().map(|d| &d["standing"]).collect();
        assert_eq!(standings, [&json!("late"), &json!("acknowledged")], "{me}");
        c.close().await.unwrap();
    });
    server.kill();
    let (ok, out) = verify_cli(&[&fx.log], &fx.pub_file);
    assert!(ok, "ackreg verify of the log:\n{out}");
}

/// The administration's page: one fold per document with its counts and
/// who has no key yet; inside, the counts per unit and each version's
/// table with the no-key flag.
#[test]
fn the_administrators_page_groups_the_status_by_document_and_unit() {
    let fx = two_documents();
    let server = Server::start(&fx, true);
    let driver = chromedriver();
    runtime().block_on(async {
        let c = browser(&driver, &fx.tmp.path().join("profile-admin-documents")).await;
        c.goto(&format!("{}/admin#{}", server.base, server.admin_token))
            .await
            .unwrap();
        wait_css(&c, "#issue-form").await;
        wait_count(&c, "details.doc-group", 2).await;
        wait_count(&c, "details.doc-group[open]", 0).await;
        let summaries = texts(&c, "details.doc-group > summary").await;
        assert_eq!(
            summaries,
            [
                "Darba kārtības noteikumi: parakstīts 0, vēl nav 0, nokavēts 3 Vēl nav atslēgas: 2.",
                "KAC iekšējās kārtības noteikumi: parakstīts 0, vēl nav 2, nokavēts 0 Vēl nav atslēgas: 1.",
            ]
        );
        screenshots(&c, "d4-admin-documents").await;
        axe(&c, "documents folded").await;
        click(&c, "#doc-darba-kartiba > summary").await;
        wait_count(&c, "#doc-darba-kartiba .lines:not([data-loaded])", 0).await;
        let work = rows(&c, "#doc-darba-kartiba").await;
        assert!(text_of(&c, "#doc-darba-kartiba").await.contains("Pašreizējā versija: 1"));
        for row in [
            "Klientu apkalpošanas centrs (kac)|0|0|0|2|0|1",
            "Būvvalde (bv)|0|0|0|1|0|1",
            "Jānis Bērziņš (jberzins) vēl nav atslēgas|termiņš nokavēts|01.03.2020.|—|—",
            "Anna Ozola (aozola)|termiņš nokavēts|01.03.2020.|—|—",
        ] {
            assert!(work.iter().any(|r| r == row), "{row:?} in {work:#?}");
        }
        click(&c, "#doc-kac-noteikumi > summary").await;
        wait_count(&c, "#doc-kac-noteikumi .lines:not([data-loaded])", 0).await;
        let kac = rows(&c, "#doc-kac-noteikumi").await;
        assert!(text_of(&c, "#doc-kac-noteikumi").await.contains("Pašreizējā versija: 2"));
        assert!(kac.iter().any(|r| r == "Klientu apkalpošanas centrs (kac)|0|0|2|0|0|1"), "{kac:#?}");
        assert!(!kac.iter().any(|r| r.contains("Būvvalde")), "{kac:#?}");
        // Version 1 of the KAC's rules: Anna signed it on time.
        assert!(
            kac.iter().any(|r| r.starts_with("Anna Ozola (aozola)|parakstīts|01.02.2020.|20.01.2020.|")),
            "{kac:#?}"
        );
        c.execute("document.getElementById('doc-darba-kartiba').scrollIntoView()", vec![])
            .await
            .unwrap();
        screenshots(&c, "d5-admin-by-unit").await;
        axe(&c, "documents by unit").await;
        c.close().await.unwrap();
    });
}

/// What changed, over HTTP: for a session only, for two versions of one
/// document in the log's order, made once and the same answer each time.
#[test]
fn what_changed_is_for_versions_of_one_document_in_order() {
    let fx = two_documents();
    let server = Server::start(&fx, true);
    runtime().block_on(async {
        let http = Http::new(&server.base);
        let admin = desk_support::admin_signin(&http, &server.admin_token).await;
        let status = http
            .get("/api/admin/status", Some(&admin))
            .await
            .unwrap()
            .json();
        let sha = |document: &str, label: &str| {
            status["versions"]
                .as_array()
                .unwrap()
                .iter()
                .find(|v| v["document"] == json!(document) && v["label"] == json!(label))
                .map(|v| v["sha256"].as_str().unwrap().to_string())
                .unwrap()
        };
        let (k1, k2, w1) = (
            sha(KAC_RULES, "1"),
            sha(KAC_RULES, "2"),
            sha(WORK_RULES, "1"),
        );
        let path = |a: &str, b: &str| format!("/api/changes/{a}/{b}");
        let first = http.get(&path(&k1, &k2), Some(&admin)).await.unwrap();
        assert_eq!(first.status, 200, "{}", first.text());
        let c = first.json();
        assert_eq!(c["document"], json!(KAC_RULES));
        assert_eq!(c["summary"]["changed"], json!(1), "{c}");
        assert_eq!(c["changes"][0]["new"]["number"], json!("10.2."), "{c}");
        // Made once and kept: with the versions' files gone from the
        // folder, the answer is still there, the same.
        for sha in [&k1, &k2] {
            for ext in ["pdf", "clauses.json"] {
                std::fs::remove_file(fx.log.join("documents").join(format!("{sha}.{ext}")))
                    .unwrap();
            }
        }
        let second = http.get(&path(&k1, &k2), Some(&admin)).await.unwrap();
        assert_eq!(second.status, 200, "{}", second.text());
        assert_eq!(second.body, first.body);
        for (a, b) in [(&k2, &k1), (&k1, &k1), (&w1, &k2), (&k1, &"00".repeat(32))] {
            let r = http.get(&path(a, b), Some(&admin)).await.unwrap();
            assert_eq!(r.status, 404, "{a} {b}: {}", r.text());
        }
        let r = http.get(&path(&k1, "nothex"), Some(&admin)).await.unwrap();
        assert_eq!(r.status, 404);
        let r = http.get(&path(&k1, &k2), None).await.unwrap();
        assert_eq!(r.status, 401, "{}", r.text());
    });
}
