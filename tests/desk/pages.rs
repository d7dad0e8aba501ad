//! The desk's pages as clerks and employees meet them (issue 17, section
//! 3, points 4 to 7), in headless Chromium: a shared computer's browser
//! needs each person's PIN and signing out stays signed out; every
//! refusal is in the page's language, beside the form used; dates are
//! written the Latvian way; unknown paths get a page; links pasted into
//! the same tab, reopened or reused say what they are. Each state is
//! screenshotted (target/desk-screenshots/p*.png) and checked with axe.

use fantoccini::Client;
use serde_json::{json, Value};

use super::{axe, browser, chromedriver, run_js, runtime, screenshots, text_of, wait_css, Server};
use crate::desk_support::{self, Http};

/// Types `pin` twice into the enrolment page and enrols; waits until done.
pub(crate) async fn enrol_with_pin(c: &Client, pin: &str) {
    wait_css(c, "#enrol-form").await;
    for css in ["#enrol-pin", "#enrol-pin-again"] {
        type_into(c, css, pin).await;
    }
    click(c, "#enrol-form button[type=submit]").await;
    wait_css(c, "#enrolled").await;
}

pub(crate) async fn type_into(c: &Client, css: &str, text: &str) {
    let input = wait_css(c, css).await;
    input.clear().await.unwrap();
    input.send_keys(text).await.unwrap();
}

pub(crate) async fn click(c: &Client, css: &str) {
    wait_css(c, css).await.click().await.unwrap();
}

/// Clicks `css` until `done` (a script returning true) holds: a click
/// that lands while the PDF viewer in the page's frame finishes loading
/// (after each redraw) can be taken by the viewer, on a loaded machine.
/// Clicks at most three times, waiting two seconds after each.
pub(crate) async fn click_until(c: &Client, css: &str, done: &str) {
    for _ in 0..3 {
        click(c, css).await;
        for _ in 0..20 {
            if c.execute(done, vec![]).await.unwrap() == json!(true) {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
    panic!("clicking {css} never made {done} hold");
}

/// Switches the page's language (the button at the top) and waits until
/// it has switched.
pub(crate) async fn switch_language(c: &Client) {
    let now = c
        .execute("return document.documentElement.lang", vec![])
        .await
        .unwrap();
    let other = if now == json!("en") { "lv" } else { "en" };
    let done = format!("return document.documentElement.lang === '{other}'");
    click_until(c, "#lang", &done).await;
}

/// Waits until the element's text contains `part`; its text.
pub(crate) async fn wait_text(c: &Client, css: &str, part: &str) -> String {
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
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{css} never said {part:?}:\n{}", text_of(c, "main").await);
}

/// The status of `/api/me` in the page (401 when signed out).
async fn me_status(c: &Client) -> Value {
    run_js(
        c,
        "const r = await fetch('/api/me'); return r.status;",
        vec![],
    )
    .await
}

/// Issues an enrolment link over HTTP; the full link.
async fn issue(http: &Http, admin: &str, id: &str, name: &str) -> String {
    let r = http
        .post(
            "/api/admin/enrolments",
            Some(admin),
            json!({"id": id, "name": name}).to_string().into_bytes(),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    format!("{}{}", http.base, r.json()["link"].as_str().unwrap())
}

/// Issues a link from the administrator's page `c` and enrols a key
/// made from `seed` with it over HTTP, as a browser would.
async fn enrol_from_page(
    c: &Client,
    http: &Http,
    id: &str,
    name: &str,
    seed: u8,
) -> desk_support::Employee {
    let link = run_js(
        c,
        "const r = await fetch('/api/admin/enrolments', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify({id: args[0], name: args[1]})});
         return (await r.json()).link;",
        vec![json!(id), json!(name)],
    )
    .await;
    let token = link
        .as_str()
        .unwrap()
        .trim_start_matches("/enrol#")
        .to_string();
    let key = ed25519_dalek::SigningKey::from_bytes(&[seed; 32]);
    let body = json!({
        "token": token,
        "public_key": ackreg_core::encoding::b64(key.verifying_key().as_bytes()),
        "signature": desk_support::proof(&key, ackreg_desk::ENROL_TYPE, &token),
        "pin": desk_support::PIN,
    });
    let r = http
        .post("/api/enrol", None, body.to_string().into_bytes())
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    desk_support::Employee {
        id: id.into(),
        name: name.into(),
        key,
        cookie: r.cookie.unwrap(),
    }
}

/// Today as the page writes it in Latvian: 06.12.2026.
fn latvian(iso: &str) -> String {
    let p: Vec<&str> = iso.split('-').collect();
    format!("{}.{}.{}.", p[2], p[1], p[0])
}

// ---- Point 4: shared computers ------------------------------------------

/// Anna and Līga enrol in one browser profile. "Iziet" signs out and the
/// page stays signed out, even reloaded; Anna's name with Līga's PIN is
/// refused, and five wrong PINs lock Anna's PIN for good; Līga signs in
/// with hers.
#[test]
fn a_shared_browser_needs_each_persons_pin_and_sign_out_stays_out() {
    let fx = desk_support::fixture(1, true);
    let server = Server::start(&fx, true);
    let driver = chromedriver();
    runtime().block_on(async {
        let http = Http::new(&server.base);
        let admin = desk_support::admin_signin(&http, &server.admin_token).await;
        let anna = issue(&http, &admin, "aozola", "Anna Ozola").await;
        let liga = issue(&http, &admin, "lberzina", "Līga Bērziņa").await;
        let c = browser(&driver, &fx.tmp.path().join("profile-shared")).await;
        c.goto(&anna).await.unwrap();
        wait_css(&c, "#enrol-form").await;
        // A PIN typed twice differently is caught beside the form.
        type_into(&c, "#enrol-pin", "1357").await;
        type_into(&c, "#enrol-pin-again", "1358").await;
        click(&c, "#enrol-form button[type=submit]").await;
        wait_text(
            &c,
            "#enrol-form #enrol-message",
            "Abi ievadītie PIN nesakrīt",
        )
        .await;
        screenshots(&c, "p4-enrol-pin-mismatch").await;
        axe(&c, "enrolment with a PIN").await;
        enrol_with_pin(&c, "1357").await;
        c.goto(&liga).await.unwrap();
        enrol_with_pin(&c, "9753").await;
        c.goto(&server.base).await.unwrap();
        wait_text(&c, ".who", "Līga Bērziņa").await;
        // "Iziet": signed out on the server, and the page stays so.
        click(&c, "#signout").await;
        wait_text(&c, "#flash", "Jūs izgājāt").await;
        assert_eq!(text_of(&c, "h1").await, "Kas jūs esat?");
        assert_eq!(me_status(&c).await, json!(401));
        screenshots(&c, "p4-signed-out").await;
        axe(&c, "signed out").await;
        c.refresh().await.unwrap();
        wait_text(&c, "h1", "Kas jūs esat?").await;
        assert_eq!(me_status(&c).await, json!(401), "no automatic sign-in");
        // Līga clicks Anna's name: without Anna's PIN she gets nowhere.
        click(&c, "button[data-id=aozola]").await;
        wait_text(&c, "#pin-who", "Anna Ozola").await;
        screenshots(&c, "p4-pin").await;
        axe(&c, "PIN").await;
        for left in (1..=4).rev() {
            type_into(&c, "#pin", "9753").await;
            click(&c, "#pin-form button[type=submit]").await;
            let said = wait_text(
                &c,
                "#pin-form #pin-message",
                &format!("Atlikušie mēģinājumi: {left}."),
            )
            .await;
            assert!(said.contains("Nepareizs PIN"), "{said}");
            assert_eq!(me_status(&c).await, json!(401));
            if left == 4 {
                screenshots(&c, "p4-wrong-pin").await;
                axe(&c, "wrong PIN").await;
            }
        }
        type_into(&c, "#pin", "9753").await;
        click(&c, "#pin-form button[type=submit]").await;
        wait_text(&c, "#pin-message", "PIN ir bloķēts").await;
        // Locked: even Anna's own PIN no longer opens the desk.
        type_into(&c, "#pin", "1357").await;
        click(&c, "#pin-form button[type=submit]").await;
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        wait_text(&c, "#pin-message", "PIN ir bloķēts").await;
        assert_eq!(me_status(&c).await, json!(401));
        screenshots(&c, "p4-pin-locked").await;
        axe(&c, "PIN locked").await;
        // Līga picks herself and signs in with her PIN.
        click(&c, "#not-me").await;
        click(&c, "button[data-id=lberzina]").await;
        wait_text(&c, "#pin-who", "Līga Bērziņa").await;
        type_into(&c, "#pin", "9753").await;
        click(&c, "#pin-form button[type=submit]").await;
        wait_text(&c, ".who", "Līga Bērziņa (lberzina)").await;
        c.close().await.unwrap();
    });
    let pins = std::fs::read_to_string(fx.log.join("desk/pins.json")).unwrap();
    assert!(!pins.contains("1357") && !pins.contains("9753"), "{pins}");
    let entries = std::fs::read_to_string(fx.log.join("entries.jsonl")).unwrap_or_default();
    assert!(!entries.contains("pin"), "no PIN reaches the log");
}

/// An employee enrolled before PINs existed (over the API without one is
/// no longer possible, so the log is given their key directly) is asked
/// to choose a PIN at their next sign-in; from then on it is checked. In
/// the page too: Marta's key, put into the browser as the old page kept
/// it, gets the page that asks her to choose a PIN.
#[test]
fn an_employee_enrolled_before_pins_chooses_one_at_sign_in() {
    let fx = desk_support::fixture(1, false);
    let key = ed25519_dalek::SigningKey::from_bytes(&[5; 32]);
    let marta = ed25519_dalek::SigningKey::from_bytes(&[6; 32]);
    {
        let mut w = ackreg_core::log::Writer::open(
            &fx.log,
            fx.issuer.clone(),
            ackreg_core::fsutil::Wait::Yes,
            |_, _| {},
        )
        .unwrap();
        let date = ackreg_core::log::entry::parse_date("2020-01-02").unwrap();
        let bytes = ackreg_core::log::entry::enrol_bytes(
            "pvecais",
            "Pēteris Vecais",
            None,
            &key.verifying_key(),
            date,
        )
        .unwrap();
        w.append(bytes).unwrap();
        let bytes = ackreg_core::log::entry::enrol_bytes(
            "mvecaka",
            "Marta Vecākā",
            None,
            &marta.verifying_key(),
            date,
        )
        .unwrap();
        w.append(bytes).unwrap();
        w.commit().unwrap();
    }
    let server = Server::start(&fx, true);
    let driver = chromedriver();
    runtime().block_on(async {
        let http = Http::new(&server.base);
        let signin = |pin: &'static str, set: bool| {
            let (http, key) = (&http, key.clone());
            async move {
                let r = http.post("/api/challenge", None, b"{}".to_vec()).await.unwrap();
                let challenge = r.json()["challenge"].as_str().unwrap().to_string();
                let mut body = json!({
                    "keyid": ackreg_core::keys::KeyId::of(&key.verifying_key()).to_string(),
                    "challenge": challenge,
                    "signature": desk_support::proof(&key, ackreg_desk::SIGNIN_TYPE, &challenge),
                    "pin": pin,
                });
                if set {
                    body["set_pin"] = json!(true);
                }
                http.post("/api/signin", None, body.to_string().into_bytes())
                    .await
                    .unwrap()
            }
        };
        let r = signin("1111", false).await;
        assert_eq!((r.status, r.json()["error"].clone()), (403, json!("pin_unset")));
        let r = signin("4321", true).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let r = signin("1111", true).await;
        assert_eq!(
            (r.status, r.json()["error"].clone(), r.json()["attempts_left"].clone()),
            (403, json!("pin"), json!(4)),
            "set_pin does not change a PIN that is set"
        );
        let r = signin("4321", false).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let r = signin("12", false).await;
        assert_eq!(
            (r.status, r.json()["error"].clone(), r.json()["field"].clone()),
            (400, json!("field"), json!("pin"))
        );
        let c = browser(&driver, &fx.tmp.path().join("profile-marta")).await;
        c.goto(&server.base).await.unwrap();
        wait_css(&c, "#page-title").await;
        let mut pkcs8 = vec![
            0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22,
            0x04, 0x20,
        ];
        pkcs8.extend_from_slice(marta.as_bytes());
        let keyid = ackreg_core::keys::KeyId::of(&marta.verifying_key()).to_string();
        let saved = run_js(
            &c,
            "const raw = Uint8Array.from(atob(args[0]), (ch) => ch.charCodeAt(0));
             const privateKey = await crypto.subtle.importKey('pkcs8', raw, {name: 'Ed25519'}, false, ['sign']);
             await saveKey({id: 'mvecaka', name: 'Marta Vecākā', keyid: args[1], privateKey, created: new Date().toISOString()});
             return 'saved';",
            vec![json!(ackreg_core::encoding::b64(&pkcs8)), json!(keyid)],
        )
        .await;
        assert_eq!(saved, json!("saved"));
        c.refresh().await.unwrap();
        wait_text(&c, "#pin-who", "Marta Vecākā").await;
        type_into(&c, "#pin", "2580").await;
        click(&c, "#pin-form button[type=submit]").await;
        wait_text(&c, "h1", "Izveidojiet savu PIN").await;
        assert_eq!(me_status(&c).await, json!(401), "no session before a PIN");
        screenshots(&c, "p4-choose-pin").await;
        axe(&c, "choose a PIN").await;
        type_into(&c, "#pin", "2580").await;
        type_into(&c, "#pin-again", "2580").await;
        click(&c, "#pin-form button[type=submit]").await;
        wait_text(&c, ".who", "Marta Vecākā (mvecaka)").await;
        click(&c, "#signout").await;
        wait_text(&c, "#flash", "Jūs izgājāt").await;
        type_into(&c, "#pin", "1111").await;
        click(&c, "#pin-form button[type=submit]").await;
        wait_text(&c, "#pin-message", "Nepareizs PIN").await;
        type_into(&c, "#pin", "2580").await;
        click(&c, "#pin-form button[type=submit]").await;
        wait_text(&c, ".who", "Marta Vecākā (mvecaka)").await;
        c.close().await.unwrap();
    });
}

// ---- Points 5 and 6: Latvian throughout, errors where the eye is -------

/// How far (px) the top of `message` is from the bottom of `form`'s
/// submit button, and whether it is inside `section`.
async fn placement(c: &Client, section: &str, message: &str) -> (f64, bool) {
    let r = c
        .execute(
            "const s = document.querySelector(arguments[0]);
             const m = document.querySelector(arguments[1]);
             const b = s.querySelector('button[type=submit]');
             const mr = m.getBoundingClientRect(), br = b.getBoundingClientRect();
             return [Math.abs(mr.top - br.top), s.contains(m)];",
            vec![json!(section), json!(message)],
        )
        .await
        .unwrap();
    (r[0].as_f64().unwrap(), r[1].as_bool().unwrap())
}

/// The administrator's refusals: in Latvian (English when the page is),
/// never the server's English as the message, shown inside the form's
/// own section next to its button; the link's expiry to the minute;
/// dates as 06.12.2026.; status words that fit Līga as well as Jānis.
#[test]
fn refusals_are_in_the_pages_language_beside_the_form_used() {
    let fx = desk_support::fixture(1, true);
    let server = Server::start(&fx, true);
    let driver = chromedriver();
    runtime().block_on(async {
        let http = Http::new(&server.base);
        // The administrator signs in in the browser; Līga enrols and
        // signs, Kārlis enrols and leaves.
        let c = browser(&driver, &fx.tmp.path().join("profile-admin")).await;
        c.goto(&format!("{}/admin#{}", server.base, server.admin_token))
            .await
            .unwrap();
        wait_css(&c, "#issue-form").await;
        let liga = enrol_from_page(&c, &http, "lberzina", "Līga Bērziņa", 3).await;
        let (title, sha) = &fx.versions[0];
        let ack = desk_support::envelope(&liga, title, sha, &desk_support::today());
        let r = http.post("/api/ack", Some(&liga.cookie), ack).await.unwrap();
        assert_eq!(r.status, 200, "{}", r.text());
        enrol_from_page(&c, &http, "kliepa", "Kārlis Liepa", 4).await;
        let left = run_js(
            &c,
            "const r = await fetch('/api/admin/leave', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify({id: 'kliepa'})});
             return r.status;",
            vec![],
        )
        .await;
        assert_eq!(left, json!(200));
        c.goto(&format!("{}/admin", server.base)).await.unwrap();
        wait_css(&c, "#issue-form").await;
        let page = text_of(&c, "main").await;
        let today = latvian(&desk_support::today());
        assert!(page.contains(&format!("Šodien: {today}")), "{page}");
        assert!(page.contains("01.01.2020."), "effective date: {page}");
        assert!(page.contains("31.12.2099."), "deadline: {page}");
        assert!(!page.contains("2099-12-31"), "{page}");
        assert!(!page.contains("iepazinies"), "no masculine status: {page}");
        assert!(page.contains("parakstīts"), "{page}");
        assert!(page.contains("vairs nestrādā"), "{page}");
        // A bad identifier, on a phone: the page's words, beside the
        // form, on the screen.
        c.set_window_size(390, 844).await.unwrap();
        type_into(&c, "#issue-id", "J B").await;
        type_into(&c, "#issue-name", "Jānis Bērziņš").await;
        click(&c, "#issue-form button[type=submit]").await;
        let said = wait_text(&c, "#issue-message", "Identifikatorā drīkst būt").await;
        assert!(!said.contains("field"), "{said}");
        let seen = c
            .execute(
                "const r = document.querySelector('#issue-message .message').getBoundingClientRect();
                 return r.top >= 0 && r.bottom <= window.innerHeight;",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(seen, json!(true), "the message is on the phone's screen");
        let (distance, inside) = placement(&c, "#issue-section", "#issue-message .message").await;
        assert!(inside && distance < 200.0, "{distance} px, inside: {inside}");
        let invalid = c
            .execute(
                "return document.getElementById('issue-id').getAttribute('aria-invalid')",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(invalid, json!("true"));
        screenshots(&c, "p6-issue-refused").await;
        axe(&c, "issue refused").await;
        // A link for someone who left: "refused: kliepa has left" before.
        type_into(&c, "#issue-id", "kliepa").await;
        click(&c, "#issue-form button[type=submit]").await;
        let said = wait_text(&c, "#issue-message", "reģistrēta aiziešana").await;
        assert!(!said.contains("has left"), "{said}");
        // The log refuses a departure: the page's words, the server's
        // English only as a detail marked as English.
        c.execute(
            "const s = document.getElementById('leave-id'); s.append(new Option('x', 'nav-tada')); s.value = 'nav-tada';",
            vec![],
        )
        .await
        .unwrap();
        click(&c, "#leave-form button[type=submit]").await;
        let said = wait_text(&c, "#leave-message", "Reģistrs šo ierakstu nepieņēma").await;
        assert!(said.starts_with("Reģistrs"), "{said}");
        let detail_lang = c
            .execute(
                "return document.querySelector('#leave-message .detail').lang",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(detail_lang, json!("en"));
        let (distance, inside) = placement(&c, "#leave-section", "#leave-message .message").await;
        assert!(inside && distance < 200.0, "{distance} px, inside: {inside}");
        screenshots(&c, "p6-leave-refused").await;
        axe(&c, "leave refused").await;
        // A date the Latvian way that is no real day: the server's
        // refusal of the field, in the page's words, the field marked.
        c.execute("document.getElementById('leave-id').value = 'lberzina';", vec![])
            .await
            .unwrap();
        type_into(&c, "#leave-date", "31.02.2026.").await;
        click(&c, "#leave-form button[type=submit]").await;
        wait_text(&c, "#leave-message", "Datums nav derīgs").await;
        let invalid = c
            .execute(
                "return document.getElementById('leave-date').getAttribute('aria-invalid')",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(invalid, json!("true"));
        type_into(&c, "#leave-date", "").await;
        // A good link: its expiry to the minute, in Latvian.
        type_into(&c, "#issue-id", "jberzins").await;
        click(&c, "#issue-form button[type=submit]").await;
        let said = wait_text(&c, "#issued-text", "plkst.").await;
        let when = regex_like_moment(&said);
        assert!(when, "{said}");
        screenshots(&c, "p5-issued-moment").await;
        axe(&c, "issued").await;
        // The same refusal in English when the page is in English.
        switch_language(&c).await;
        wait_text(&c, "h1", "Register administration").await;
        type_into(&c, "#issue-id", "J B").await;
        type_into(&c, "#issue-name", "Jānis Bērziņš").await;
        click(&c, "#issue-form button[type=submit]").await;
        wait_text(&c, "#issue-message", "An identifier may use only").await;
        let page = text_of(&c, "main").await;
        assert!(page.contains(&desk_support::today()), "ISO dates in English: {page}");
        screenshots(&c, "p5-issue-refused-english").await;
        axe(&c, "issue refused in English").await;
        switch_language(&c).await;
        c.close().await.unwrap();
    });
}

/// Whether `text` holds `DD.MM.YYYY. plkst. HH:MM`.
fn regex_like_moment(text: &str) -> bool {
    let b = text.as_bytes();
    let shape = b"00.00.0000. plkst. 00:00";
    (0..b.len().saturating_sub(shape.len() - 1)).any(|i| {
        shape.iter().enumerate().all(|(j, &s)| {
            let c = b[i + j];
            if s == b'0' {
                c.is_ascii_digit()
            } else {
                c == s
            }
        })
    })
}

// ---- Points 5 and 7: unknown paths and links ------------------------------

/// An unknown path gets the desk's page saying so in Latvian, status 404
/// (API paths stay JSON); a good enrolment link pasted into the tab that
/// showed a bad one is read; the link reopened after enrolling points to
/// the desk; a reused administrator link says it was used.
#[test]
fn unknown_paths_and_links_say_what_they_are() {
    let fx = desk_support::fixture(1, true);
    let server = Server::start(&fx, true);
    let driver = chromedriver();
    runtime().block_on(async {
        let http = Http::new(&server.base);
        let r = http.get("/nav/tadas/lapas", None).await.unwrap();
        assert_eq!(r.status, 404);
        assert!(r.text().contains("Lapa nav atrasta"), "{}", r.text());
        assert!(r.text().starts_with("<!doctype html>"));
        assert!(r.text().contains("<title>Lapa nav atrasta"), "{}", r.text());
        let r = http.get("/api/nav-tads", None).await.unwrap();
        assert_eq!(
            (r.status, r.json()["error"].clone()),
            (404, json!("not_found"))
        );
        let c = browser(&driver, &fx.tmp.path().join("profile-links")).await;
        c.goto(&format!("{}/nav/tadas/lapas", server.base))
            .await
            .unwrap();
        wait_text(&c, "h1", "Lapa nav atrasta").await;
        assert_eq!(
            c.execute("return document.documentElement.lang", vec![])
                .await
                .unwrap(),
            json!("lv")
        );
        let title = c.execute("return document.title", vec![]).await.unwrap();
        assert_eq!(
            title,
            json!("Lapa nav atrasta – Iepazīšanās ar noteikumiem")
        );
        screenshots(&c, "p5-not-found").await;
        axe(&c, "not found").await;
        // Every message of the page exists in both of its languages.
        let unpaired = c
            .execute(
                "return Object.keys(T.lv).filter((k) => !(k in T.en))
                   .concat(Object.keys(T.en).filter((k) => !(k in T.lv)));",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(unpaired, json!([]));
        // The administrator's link, used by someone else first.
        let someone = desk_support::admin_signin(&http, &server.admin_token).await;
        c.goto(&format!("{}/admin#{}", server.base, server.admin_token))
            .await
            .unwrap();
        let said = wait_text(&c, "#admin-message", "jau ir izmantota").await;
        assert!(said.contains("kāds cits"), "{said}");
        assert!(
            said.contains("ackreg serve --log MAPE --admin-link"),
            "a new link from the command line: {said}"
        );
        screenshots(&c, "p7-admin-link-used").await;
        axe(&c, "admin link used").await;
        // A bad enrolment link, then a good one pasted into the same tab.
        let good = issue(&http, &someone, "aozola", "Anna Ozola").await;
        c.goto(&format!("{}/enrol#{}", server.base, "A".repeat(43)))
            .await
            .unwrap();
        wait_text(&c, "#view-message", "Saite nav derīga").await;
        c.execute(
            "window.sameDocument = true; location.href = arguments[0];",
            vec![json!(good)],
        )
        .await
        .unwrap();
        wait_text(&c, ".lead", "Anna Ozola").await;
        let same = c
            .execute("return window.sameDocument === true", vec![])
            .await
            .unwrap();
        assert_eq!(
            same,
            json!(true),
            "the page read the new link without a reload"
        );
        screenshots(&c, "p7-pasted-link").await;
        axe(&c, "pasted link").await;
        enrol_with_pin(&c, "5555").await;
        // The same link opened again: go to the desk, no new link needed.
        c.goto(&good).await.unwrap();
        let said = wait_text(&c, "h1", "jau ir izmantota").await;
        assert!(said.contains("reģistrācijas saite"), "{said}");
        let page = text_of(&c, "main").await;
        assert!(
            page.contains("Šajā pārlūkā ir parakstīšanas atslēga"),
            "{page}"
        );
        assert!(
            !page.contains("Lūdziet administrācijai jaunu saiti"),
            "{page}"
        );
        screenshots(&c, "p7-link-reopened").await;
        axe(&c, "link reopened").await;
        click(&c, "#go-sign").await;
        wait_text(&c, ".who", "Anna Ozola").await;
        c.close().await.unwrap();
    });
}

// ---- The server's newer answers, as the pages present them ---------------

/// Clicks the checkbox of the (only) sign form and waits until it is
/// ticked, then presses its button.
async fn tick_and_sign(c: &Client) {
    super::tick(c).await;
    click(c, ".sign-form button[type=submit]").await;
}

/// A version published ahead of its day is shown beside the one in force:
/// to read ("stājas spēkā DD.MM.GGGG."), with no sign button; the one in
/// force is signed. The answer to that acknowledgement was "lost" (it was
/// sent from the page's context first): signing again sends the same
/// envelope, byte for byte (Ed25519 signs deterministically), and the
/// desk's `again` answer is shown as signed, with the receipt, saying it
/// was recorded already. A departure planned for the employee is shown
/// to them discreetly.
#[test]
fn a_coming_version_is_read_only_and_a_resent_acknowledgement_is_signed() {
    let fx = desk_support::fixture(1, true);
    let coming_day = super::edges::day(14);
    super::edges::publish(&fx, "2", &coming_day, true);
    let server = Server::start(&fx, true);
    let driver = chromedriver();
    runtime().block_on(async {
        let http = Http::new(&server.base);
        let admin = desk_support::admin_signin(&http, &server.admin_token).await;
        let link = issue(&http, &admin, "aozola", "Anna Ozola").await;
        let leaving = super::edges::day(30);
        let c = browser(&driver, &fx.tmp.path().join("profile-coming")).await;
        c.goto(&link).await.unwrap();
        enrol_with_pin(&c, "2468").await;
        let body = json!({"id": "aozola", "date": leaving}).to_string();
        let r = http
            .post("/api/admin/leave", Some(&admin), body.into_bytes())
            .await
            .unwrap();
        assert_eq!(r.json()["planned"], json!(leaving), "{}", r.text());
        c.goto(&server.base).await.unwrap();
        wait_css(&c, ".sign-form").await;
        let coming = text_of(&c, ".card.coming").await;
        assert!(
            coming.contains(&format!("stājas spēkā {}", latvian(&coming_day))),
            "{coming}"
        );
        assert!(coming.contains("Versija 2"), "{coming}");
        let buttons = c
            .execute(
                "return document.querySelectorAll('.card.coming button, .card.coming input, .card.coming form').length",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(buttons, json!(0), "nothing to sign in a coming version");
        let pdf = wait_css(&c, ".card.coming a.coming-pdf").await;
        assert!(pdf.attr("href").await.unwrap().unwrap().starts_with("/doc/"));
        let forms = c
            .execute("return document.querySelectorAll('.sign-form').length", vec![])
            .await
            .unwrap();
        assert_eq!(forms, json!(1), "only the version in force is signed");
        let open = text_of(&c, ".card.open").await;
        assert!(open.contains("Versija 1"), "{open}");
        let note = text_of(&c, "#leaving").await;
        assert!(note.contains(&latvian(&leaving)), "{note}");
        c.execute(
            "document.querySelector('.card.coming').scrollIntoView({block: 'end'})",
            vec![],
        )
        .await
        .unwrap();
        screenshots(&c, "p8-coming").await;
        axe(&c, "a coming version").await;
        // The acknowledgement reaches the log, but its answer is lost.
        let first = run_js(&c, super::SIGN_JS, vec![json!(null)]).await;
        let sent = run_js(&c, super::POST_JS, vec![first["envelope"].clone()]).await;
        assert_eq!(sent["status"], json!(200), "{sent}");
        assert_eq!(sent["body"]["again"], json!(false), "{sent}");
        let entry = sent["body"]["entry"].as_u64().unwrap();
        // The statement's whole box is the tick's target, and a tick
        // stays through a switch of language (the form is drawn again).
        let checked = || async {
            c.execute(
                "return document.querySelector('.sign-form input[type=checkbox]').checked",
                vec![],
            )
            .await
            .unwrap()
        };
        const TICKED: &str =
            "return document.querySelector('.sign-form input[type=checkbox]').checked === true";
        const UNTICKED: &str =
            "return document.querySelector('.sign-form input[type=checkbox]').checked === false";
        click_until(&c, ".sign-form label.statement span", TICKED).await;
        assert_eq!(checked().await, json!(true), "a click on the words ticks");
        click_until(&c, "#lang", "return document.querySelector('h1').textContent.includes('My rules')").await;
        assert_eq!(checked().await, json!(true), "kept in English");
        click_until(&c, "#lang", "return document.querySelector('h1').textContent.includes('Mani noteikumi')").await;
        assert_eq!(checked().await, json!(true), "kept in Latvian");
        click_until(&c, ".sign-form label.statement span", UNTICKED).await;
        assert_eq!(checked().await, json!(false), "a second click on the words unticks");
        // The employee signs again: the same envelope, answered `again`.
        tick_and_sign(&c).await;
        let said = wait_text(&c, "#signed", "jau iepriekš bija reģistrēts").await;
        assert!(said.contains(&format!("ieraksts Nr. {entry}")), "{said}");
        let receipt = c
            .execute(
                "return document.getElementById('receipt-text').textContent",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(
            receipt.as_str().unwrap(),
            sent["body"]["receipt"].as_str().unwrap(),
            "the receipt of the entry"
        );
        wait_css(&c, "#save-receipt").await;
        let still = text_of(&c, ".card.coming").await;
        assert!(still.contains("stājas spēkā"), "{still}");
        c.execute("document.getElementById('signed').scrollIntoView()", vec![])
            .await
            .unwrap();
        screenshots(&c, "p8-signed-again").await;
        axe(&c, "signed again").await;
        switch_language(&c).await;
        let said = wait_text(&c, "#signed", "already recorded").await;
        assert!(said.contains(&format!("entry {entry}")), "{said}");
        let coming = text_of(&c, ".card.coming").await;
        assert!(coming.contains(&format!("takes effect on {coming_day}")), "{coming}");
        c.execute("document.getElementById('signed').scrollIntoView()", vec![])
            .await
            .unwrap();
        screenshots(&c, "p8-signed-again-english").await;
        axe(&c, "signed again, in English").await;
        switch_language(&c).await;
        c.close().await.unwrap();
    });
}

/// A departure dated after today, recorded on the administrator's page:
/// the page says it is planned and until when the employee signs, the
/// staff table shows it, and each version's phase is shown.
#[test]
fn a_planned_departure_is_shown_on_the_administrators_page() {
    let fx = desk_support::fixture(1, true);
    let coming_day = super::edges::day(14);
    super::edges::publish(&fx, "2", &coming_day, true);
    let server = Server::start(&fx, true);
    let driver = chromedriver();
    runtime().block_on(async {
        let http = Http::new(&server.base);
        let c = browser(&driver, &fx.tmp.path().join("profile-admin-plan")).await;
        c.goto(&format!("{}/admin#{}", server.base, server.admin_token))
            .await
            .unwrap();
        wait_css(&c, "#issue-form").await;
        enrol_from_page(&c, &http, "aozola", "Anna Ozola", 7).await;
        c.goto(&format!("{}/admin", server.base)).await.unwrap();
        wait_css(&c, "#leave-form").await;
        let leaving = super::edges::day(7);
        type_into(&c, "#leave-date", &latvian(&leaving)).await;
        click(&c, "#leave-form button[type=submit]").await;
        let said = wait_text(&c, "#leave-message", "Aiziešana ieplānota").await;
        assert!(said.contains(&latvian(&leaving)), "{said}");
        assert!(said.contains("var parakstīt"), "{said}");
        let (distance, inside) = placement(&c, "#leave-section", "#leave-message .message").await;
        assert!(
            inside && distance < 200.0,
            "{distance} px, inside: {inside}"
        );
        let page = text_of(&c, "main").await;
        assert!(page.contains("Plānotā aiziešana"), "{page}");
        assert!(
            page.contains(&format!("Stāvoklis: stājas spēkā {}", latvian(&coming_day))),
            "{page}"
        );
        assert!(page.contains("Stāvoklis: spēkā"), "{page}");
        let row = c
            .execute(
                "const rows = [...document.querySelectorAll('table tr')].map((r) => r.textContent);
                 return rows.find((r) => r.startsWith('aozola')) || null;",
                vec![],
            )
            .await
            .unwrap();
        assert!(
            row.as_str().unwrap_or("").contains(&latvian(&leaving)),
            "{row}"
        );
        let size = text_of(&c, "main").await;
        assert!(
            !size.contains("Aiziešana reģistrēta"),
            "nothing written: {size}"
        );
        screenshots(&c, "p9-departure-planned").await;
        axe(&c, "a planned departure").await;
        switch_language(&c).await;
        let said = wait_text(&c, "#leave-message", "Departure planned").await;
        assert!(said.contains(&leaving), "{said}");
        c.execute(
            "document.getElementById('leave-message').scrollIntoView({block: 'center'})",
            vec![],
        )
        .await
        .unwrap();
        screenshots(&c, "p9-departure-planned-english").await;
        axe(&c, "a planned departure, in English").await;
        switch_language(&c).await;
        c.close().await.unwrap();
    });
}
