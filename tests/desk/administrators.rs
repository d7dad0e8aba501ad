//! Named administrators at the desk (issue 21, point 2), over HTTP against
//! the real `ackreg serve`: the first one by the one-time link, a second
//! one invited and confirmed, every change they ask for written under
//! their signed request (the audit checks it and `log admins --json`
//! names them), and the refusals: no signature, another's signature, a
//! plan used twice, another origin, an employee's or the link's session on
//! a named administrator's route. Nothing refused is written.

use serde_json::{json, Value};

use super::{checkpoint_size, common, runtime, Server};
use crate::desk_support::{self, Http};

/// `ackreg log admins --json` of the log.
fn admins_json(fx: &desk_support::Fixture) -> Value {
    let out = common::ackreg(fx.tmp.path())
        .args(["log", "admins", "--json"])
        .arg(&fx.log)
        .run();
    assert!(out.success(), "{}", out.text());
    serde_json::from_str(&out.stdout()).unwrap()
}

/// A new one-time link from `ackreg serve --admin-link`, signed in: the
/// link's session.
async fn another_link(fx: &desk_support::Fixture, http: &Http, base: &str) -> String {
    let o = common::ackreg(fx.tmp.path())
        .args(["serve", "--admin-link", "--log"])
        .arg(&fx.log)
        .run()
        .must_succeed();
    let line = o.stdout();
    let prefix = format!("{base}/admin#");
    let token = line
        .split_whitespace()
        .find_map(|w| w.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("{line}"))
        .to_string();
    desk_support::admin_signin(http, &token).await
}

/// The request that authorised entry `index`, from `log admins --json`.
fn asked_for(admins: &Value, index: u64) -> Option<Value> {
    admins["requests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| {
            r["entries"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e.as_u64() == Some(index))
        })
        .cloned()
}

#[test]
fn administrators_are_enrolled_invited_confirmed_and_every_change_names_who_asked() {
    let fx = desk_support::fixture(1, false);
    let mut server = Server::start(&fx, true);
    let issuer = fx.issuer.verifying_key();
    runtime().block_on(async {
        let http = Http::new(&server.base);
        let link = desk_support::admin_signin(&http, &server.admin_token).await;
        let employee = desk_support::enrol(&http, &link, "jberzins", "Jānis Bērziņš", 1).await;
        let anna = desk_support::enrol(&http, &link, "aozola", "Anna Ozola", 2).await;
        // The first administrator, under the link: their `admin` entry.
        let ilze = desk_support::first_admin(&http, &link, "ivarna", "Ilze Varna", 11).await;
        let r = http
            .get("/api/admin/admins", Some(&ilze.cookie))
            .await
            .unwrap();
        assert_eq!(r.json()["me"]["id"], json!("ivarna"), "{}", r.text());
        // Ilze invites Pēteris; he makes his key; Ilze confirms, signed.
        let r = http
            .post(
                "/api/admin/invite",
                Some(&ilze.cookie),
                json!({"id": "pkalns", "name": "Pēteris Kalns"})
                    .to_string()
                    .into_bytes(),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 200, "{}", r.text());
        let token = r.json()["link"]
            .as_str()
            .unwrap()
            .trim_start_matches("/admin/join#")
            .to_string();
        let info = http
            .post(
                "/api/admin/join/info",
                None,
                json!({"token": token}).to_string().into_bytes(),
            )
            .await
            .unwrap();
        assert_eq!(info.json()["by"], json!("Ilze Varna"), "{}", info.text());
        let pk = desk_support::admin_key(12);
        let join = json!({
            "token": token,
            "public_key": ackreg_core::encoding::b64(pk.verifying_key().as_bytes()),
            "signature": desk_support::proof(&pk, ackreg_desk::ADMIN_ENROL_TYPE, &token),
            "pin": desk_support::PIN,
        });
        let r = http
            .post("/api/admin/join", None, join.to_string().into_bytes())
            .await
            .unwrap();
        assert_eq!(r.status, 200, "{}", r.text());
        let r = http
            .get("/api/admin/admins", Some(&ilze.cookie))
            .await
            .unwrap();
        assert_eq!(
            r.json()["pending"][0]["id"],
            json!("pkalns"),
            "{}",
            r.text()
        );
        let r = desk_support::ask(
            &http,
            &ilze,
            "/api/admin/admins/confirm",
            json!({"id": "pkalns"}),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.text());
        let added = r.json()["entries"][0].as_u64().unwrap();
        // Pēteris signs in with his key and revokes Jānis's lost key.
        let peteris = desk_support::admin_key_signin(&http, "pkalns", &pk).await;
        let r = desk_support::ask(
            &http,
            &peteris,
            "/api/admin/ask/revoke",
            json!({"id": "jberzins"}),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.text());
        let revoked = r.json()["entries"][0].as_u64().unwrap();
        // Jānis's session ended with his key.
        let me = http.get("/api/me", Some(&employee.cookie)).await.unwrap();
        assert_eq!(me.status, 401, "{}", me.text());
        // Ilze records a move and a departure ahead; then dismisses Pēteris.
        let r = desk_support::ask(
            &http,
            &ilze,
            "/api/admin/ask/leave",
            json!({"id": "aozola", "date": "2099-06-30"}),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json()["planned"], json!("2099-06-30"), "{}", r.text());
        assert_eq!(r.json()["entries"], json!([]), "kept for its day");
        // Anna works and signs until then, and her page notes the day.
        let me = http.get("/api/me", Some(&anna.cookie)).await.unwrap();
        assert_eq!(me.status, 200, "{}", me.text());
        assert_eq!(me.json()["leaving"], json!("2099-06-30"), "{}", me.text());
        let planned = std::fs::read_to_string(fx.log.join("desk/departures.json")).unwrap();
        assert!(planned.contains("\"request\""), "{planned}");
        // Jānis (his key revoked) leaves today: written now.
        let r = desk_support::ask(
            &http,
            &ilze,
            "/api/admin/ask/leave",
            json!({"id": "jberzins"}),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.text());
        let left = r.json()["entries"][0].as_u64().unwrap();
        let r = desk_support::ask(
            &http,
            &ilze,
            "/api/admin/admins/dismiss",
            json!({"id": "pkalns"}),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.text());
        // Dismissed, he can no longer ask; his session is over.
        let r = desk_support::ask(
            &http,
            &peteris,
            "/api/admin/ask/leave",
            json!({"id": "jberzins"}),
        )
        .await;
        assert_eq!(r.status, 401, "{}", r.text());
        server.kill();
        assert!(desk_support::audit_passes(&fx.log, &issuer));
        let admins = admins_json(&fx);
        let by = |i: u64| asked_for(&admins, i).map(|r| r["admin"].as_str().unwrap().to_string());
        assert_eq!(by(added).as_deref(), Some("ivarna"), "{admins}");
        assert_eq!(by(revoked).as_deref(), Some("pkalns"), "{admins}");
        assert_eq!(by(left).as_deref(), Some("ivarna"), "{admins}");
        let rows = admins["admins"].as_array().unwrap();
        assert_eq!(rows.len(), 2, "{admins}");
        assert!(rows[1]["until"].is_string(), "dismissed: {admins}");
    });
    // The day of a departure planned ahead comes (the plan rewritten for
    // today, with Ilze's request signed for that day's entry, as she would
    // have signed it): the desk writes her request and the entry.
    let today = ackreg_core::clock::today();
    let leave = ackreg_core::log::entry::leave_bytes("aozola", today).unwrap();
    let request = ackreg_core::log::request::request_entry(
        &desk_support::admin_key(11),
        desk_support::ORIGIN,
        "ivarna",
        today,
        "aiziešana: aozola",
        &[leave],
    )
    .unwrap();
    let plan = json!({"departures": [{
        "id": "aozola", "date": desk_support::today(),
        "request": String::from_utf8(request).unwrap(),
    }]});
    std::fs::write(fx.log.join("desk/departures.json"), plan.to_string()).unwrap();
    let size = checkpoint_size(&fx.log);
    let mut server = Server::start(&fx, true);
    runtime().block_on(async {
        let r = Http::new(&server.base)
            .get("/api/about", None)
            .await
            .unwrap();
        assert_eq!(r.status, 200);
    });
    server.kill();
    assert_eq!(
        checkpoint_size(&fx.log),
        size + 2,
        "the request and its entry"
    );
    let admins = admins_json(&fx);
    assert_eq!(
        asked_for(&admins, size + 1).map(|r| r["admin"].clone()),
        Some(json!("ivarna")),
        "{admins}"
    );
    assert!(desk_support::audit_passes(&fx.log, &issuer));
    let (ok, text) = super::verify_cli(&[&fx.log], &fx.pub_file);
    assert!(ok, "{text}");
}

#[test]
fn a_request_without_the_administrators_signature_writes_nothing() {
    let fx = desk_support::fixture(1, false);
    let mut server = Server::start(&fx, true);
    runtime().block_on(async {
        let http = Http::new(&server.base);
        let link = desk_support::admin_signin(&http, &server.admin_token).await;
        let employee = desk_support::enrol(&http, &link, "jberzins", "Jānis Bērziņš", 1).await;
        let ilze = desk_support::first_admin(&http, &link, "ivarna", "Ilze Varna", 11).await;
        let before = checkpoint_size(&fx.log);
        let offer = |path: &'static str| {
            let (http, cookie) = (&http, ilze.cookie.clone());
            async move {
                let r = http
                    .post(
                        path,
                        Some(&cookie),
                        json!({"id": "jberzins"}).to_string().into_bytes(),
                    )
                    .await
                    .unwrap();
                assert_eq!(r.status, 200, "{}", r.text());
                r.json()
            }
        };
        let commit = |plan: &Value, signatures: Vec<String>, cookie: &str| {
            let body = json!({"plan": plan, "signatures": signatures});
            (body.to_string().into_bytes(), cookie.to_string())
        };
        // Signed by another key (an employee's), and a signature of the
        // wrong bytes.
        let o = offer("/api/admin/ask/leave").await;
        let (b, c) = commit(
            &o["plan"],
            desk_support::sign_offer(&employee.key, &o),
            &ilze.cookie,
        );
        let r = http.post("/api/admin/commit", Some(&c), b).await.unwrap();
        assert_eq!(
            (r.status, r.json()["error"].clone()),
            (403, json!("request_signature")),
            "{}",
            r.text()
        );
        // The plan is gone with the attempt.
        let (b, c) = commit(
            &o["plan"],
            desk_support::sign_offer(&ilze.key, &o),
            &ilze.cookie,
        );
        let r = http.post("/api/admin/commit", Some(&c), b).await.unwrap();
        assert_eq!(
            (r.status, r.json()["error"].clone()),
            (409, json!("plan")),
            "{}",
            r.text()
        );
        // No signatures; a signature that is not one.
        let o = offer("/api/admin/ask/revoke").await;
        let (b, c) = commit(&o["plan"], vec![], &ilze.cookie);
        let r = http.post("/api/admin/commit", Some(&c), b).await.unwrap();
        assert_eq!(r.status, 400, "{}", r.text());
        let (b, c) = commit(&o["plan"], vec!["AAAA".into()], &ilze.cookie);
        let r = http.post("/api/admin/commit", Some(&c), b).await.unwrap();
        assert_eq!(r.status, 400, "{}", r.text());
        // Another origin, rightly signed.
        let o = offer("/api/admin/ask/revoke").await;
        let body =
            json!({"plan": o["plan"], "signatures": desk_support::sign_offer(&ilze.key, &o)});
        let dress = desk_support::Dress {
            cookie: Some(&ilze.cookie),
            content_type: Some("application/json"),
            origin: Some("http://evil.example"),
            host: None,
        };
        let r = http
            .send(
                "POST",
                "/api/admin/commit",
                &dress,
                body.to_string().into_bytes(),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 403, "{}", r.text());
        // An employee's session, and the link's, on a named administrator's
        // routes; the old unsigned departure refused to a named one. (The
        // first link's session became Ilze's: a new link.)
        let r = http.get("/api/admin/status", Some(&link)).await.unwrap();
        assert_eq!(r.status, 401, "the link's session ended: {}", r.text());
        let link = another_link(&fx, &http, &server.base).await;
        for cookie in [&employee.cookie, &link] {
            for path in [
                "/api/admin/ask/leave",
                "/api/admin/ask/revoke",
                "/api/admin/invite",
            ] {
                let r = http
                    .post(
                        path,
                        Some(cookie),
                        json!({"id": "jberzins", "name": "X"})
                            .to_string()
                            .into_bytes(),
                    )
                    .await
                    .unwrap();
                assert_eq!(r.status, 403, "{path}: {}", r.text());
            }
        }
        let r = http
            .post(
                "/api/admin/leave",
                Some(&ilze.cookie),
                json!({"id": "jberzins"}).to_string().into_bytes(),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 403, "{}", r.text());
        let r = http
            .post(
                "/api/admin/commit",
                Some(&employee.cookie),
                body.to_string().into_bytes(),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 403, "{}", r.text());
        // A change the log refuses (a move of someone not there) is
        // refused at the commit and writes nothing either.
        let r = desk_support::ask(
            &http,
            &ilze,
            "/api/admin/ask/move",
            json!({"id": "nav-tads", "units": []}),
        )
        .await;
        assert_eq!(r.status, 422, "{}", r.text());
        assert_eq!(checkpoint_size(&fx.log), before, "nothing written");
        // And the desk still writes what is rightly asked.
        let r = desk_support::ask(
            &http,
            &ilze,
            "/api/admin/ask/revoke",
            json!({"id": "jberzins"}),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(checkpoint_size(&fx.log), before + 2);
    });
    server.kill();
    assert!(desk_support::audit_passes(
        &fx.log,
        &fx.issuer.verifying_key()
    ));
}
