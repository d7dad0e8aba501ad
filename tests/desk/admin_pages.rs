//! The administration's journeys with named administrators, in Chromium
//! (issue 21, "What must hold" 1): the first administrator by the
//! one-time link, a second one invited and confirmed, a lost key revoked
//! and replaced, a move between units and a departure. Each is looked at
//! (screenshots) and checked by axe-core; afterwards `ackreg verify`
//! passes and each entry names the administrator who asked.

use fantoccini::Client;
use serde_json::{json, Value};

use super::pages::{click, enrol_with_pin, type_into, wait_text};
use super::{axe, browser, chromedriver, common, runtime, screenshots, wait_css, Server};

/// Chooses `value` in the select `css`.
async fn choose(c: &Client, css: &str, value: &str) {
    wait_css(c, css).await;
    c.execute(
        "document.querySelector(arguments[0]).value = arguments[1]",
        vec![json!(css), json!(value)],
    )
    .await
    .unwrap();
}

/// The value of the input `css`.
async fn value_of(c: &Client, css: &str) -> String {
    wait_css(c, css).await;
    let v = c
        .execute(
            "return document.querySelector(arguments[0]).value",
            vec![json!(css)],
        )
        .await
        .unwrap();
    v.as_str().unwrap_or_default().to_string()
}

async fn look(c: &Client, css: &str, name: &str) {
    c.execute(
        "document.querySelector(arguments[0]).scrollIntoView({block: 'center'})",
        vec![json!(css)],
    )
    .await
    .unwrap();
    screenshots(c, name).await;
    axe(c, name).await;
}

/// In the browser `c`, the first administrator makes their key under the
/// one-time link `token` (none: the link's session this browser holds
/// already); signed in as them, on the administration page.
pub(super) async fn first_admin_in_browser(
    c: &Client,
    base: &str,
    token: Option<&str>,
    id: &str,
    name: &str,
) {
    let hash = token.map(|t| format!("#{t}")).unwrap_or_default();
    c.goto(&format!("{base}/admin{hash}")).await.unwrap();
    wait_css(c, "#first-admin-form").await;
    type_into(c, "#first-admin-id", id).await;
    type_into(c, "#first-admin-name", name).await;
    type_into(c, "#first-admin-pin", "2468").await;
    type_into(c, "#first-admin-pin-again", "2468").await;
    click(c, "#first-admin-form button[type=submit]").await;
    wait_text(c, "#admin-me", &format!("{name} ({id})")).await;
}

/// Who asked for entry `index`, from `ackreg log admins --json`.
fn asked_by(admins: &Value, index: u64) -> Option<String> {
    admins["requests"].as_array()?.iter().find_map(|r| {
        let has = r["entries"]
            .as_array()?
            .iter()
            .any(|e| e.as_u64() == Some(index));
        has.then(|| r["admin"].as_str().unwrap_or_default().to_string())
    })
}

/// The entry number in a success message "(ieraksts Nr. N)".
fn entry_in(text: &str) -> u64 {
    let after = text
        .split("Nr. ")
        .nth(1)
        .unwrap_or_else(|| panic!("{text}"));
    after
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap_or_else(|_| panic!("{text}"))
}

#[test]
fn administrators_enrol_invite_revoke_replace_move_and_record_a_departure() {
    let fx = super::documents::two_documents();
    let mut server = Server::start(&fx, true);
    let driver = chromedriver();
    let entries = runtime().block_on(async {
        // The first administrator, by the one-time link.
        let ilze = browser(&driver, &fx.tmp.path().join("profile-ilze")).await;
        ilze.goto(&format!("{}/admin#{}", server.base, server.admin_token))
            .await
            .unwrap();
        wait_css(&ilze, "#first-admin-form").await;
        look(&ilze, "#first-admin-form", "a1-first-admin-form").await;
        type_into(&ilze, "#first-admin-id", "ivarna").await;
        type_into(&ilze, "#first-admin-name", "Ilze Varna").await;
        type_into(&ilze, "#first-admin-pin", "2468").await;
        type_into(&ilze, "#first-admin-pin-again", "2468").await;
        click(&ilze, "#first-admin-form button[type=submit]").await;
        let me = wait_text(&ilze, "#admin-me", "Ilze Varna (ivarna)").await;
        assert!(me.contains("Administrators"), "{me}");
        wait_text(&ilze, "#admin-made", "ieraksts Nr.").await;
        look(&ilze, "#admin-me", "a2-first-admin").await;
        // She invites Pēteris.
        type_into(&ilze, "#invite-id", "pkalns").await;
        type_into(&ilze, "#invite-name", "Pēteris Kalns").await;
        click(&ilze, "#invite-form button[type=submit]").await;
        wait_text(&ilze, "#invited-text", "Pēteris Kalns").await;
        let invitation = value_of(&ilze, "#invited-link").await;
        assert!(invitation.contains("/admin/join#"), "{invitation}");
        look(&ilze, "#invite-section", "a3-invited").await;
        // Pēteris makes his key on his own computer.
        let peteris = browser(&driver, &fx.tmp.path().join("profile-peteris")).await;
        peteris.goto(&invitation).await.unwrap();
        wait_text(&peteris, ".lead", "uzaicināja Ilze Varna").await;
        look(&peteris, "#join-form", "a4-join").await;
        type_into(&peteris, "#join-pin", "1357").await;
        type_into(&peteris, "#join-pin-again", "1357").await;
        click(&peteris, "#join-form button[type=submit]").await;
        wait_css(&peteris, "#joined").await;
        // Ilze confirms him: her key signs the request.
        ilze.goto(&format!("{}/admin", server.base)).await.unwrap();
        wait_css(&ilze, "#confirm-pkalns").await;
        look(&ilze, "#pending-section", "a5-pending").await;
        click(&ilze, "#confirm-pkalns").await;
        let confirmed = wait_text(&ilze, "#confirmed", "Pēteris Kalns").await;
        let added = entry_in(&confirmed);
        // Pēteris signs in with his key and PIN.
        peteris
            .goto(&format!("{}/admin", server.base))
            .await
            .unwrap();
        wait_css(&peteris, "#admin-pin-form").await;
        look(&peteris, "#admin-pin-form", "a6-admin-signin").await;
        type_into(&peteris, "#admin-pin", "1357").await;
        click(&peteris, "#admin-pin-form button[type=submit]").await;
        wait_text(&peteris, "#admin-me", "Pēteris Kalns (pkalns)").await;
        // Anna lost her key: he revokes it and issues a new link at once.
        choose(&peteris, "#revoke-id", "aozola").await;
        click(&peteris, "#revoke-form button[type=submit]").await;
        let revoked = wait_text(&peteris, "#revoke-message", "Atslēga atsaukta").await;
        let revoked = entry_in(&revoked);
        let link = value_of(&peteris, "#revoke-message #issued-link").await;
        look(&peteris, "#revoke-section", "a7-revoked-and-new-link").await;
        // Anna enrols her new key with it.
        let anna = browser(&driver, &fx.tmp.path().join("profile-anna")).await;
        anna.goto(&link).await.unwrap();
        enrol_with_pin(&anna, "8642").await;
        // Jānis moves from the building board to the KAC.
        peteris
            .goto(&format!("{}/admin", server.base))
            .await
            .unwrap();
        choose(&peteris, "#move-id", "jberzins").await;
        click(&peteris, "#move-unit-kac").await;
        type_into(&peteris, "#move-date", "01.02.2026.").await;
        click(&peteris, "#move-form button[type=submit]").await;
        let moved = wait_text(&peteris, "#move-message", "Pārcelšana reģistrēta").await;
        let moved = entry_in(&moved);
        look(&peteris, "#move-section", "a8-moved").await;
        // Ilze records Ilze Vītola's departure.
        ilze.goto(&format!("{}/admin", server.base)).await.unwrap();
        choose(&ilze, "#leave-form select", "ivitola").await;
        click(&ilze, "#leave-form button[type=submit]").await;
        let left = wait_text(&ilze, "#leave-message", "Nr.").await;
        let left = entry_in(&left);
        look(&ilze, "#leave-section", "a9-left").await;
        look(&ilze, "#requests-h", "a10-who-asked").await;
        for c in [ilze, peteris, anna] {
            c.close().await.unwrap();
        }
        [
            (added, "ivarna"),
            (revoked, "pkalns"),
            (moved, "pkalns"),
            (left, "ivarna"),
        ]
    });
    server.kill();
    let (ok, text) = super::verify_cli(&[&fx.log], &fx.pub_file);
    assert!(ok, "{text}");
    let out = common::ackreg(fx.tmp.path())
        .args(["log", "admins", "--json"])
        .arg(&fx.log)
        .run();
    assert!(out.success(), "{}", out.text());
    let admins: Value = serde_json::from_str(&out.stdout()).unwrap();
    for (entry, who) in entries {
        assert_eq!(
            asked_by(&admins, entry).as_deref(),
            Some(who),
            "entry {entry}: {admins}"
        );
    }
    let status = common::ackreg(fx.tmp.path())
        .args(["log", "status", "--json"])
        .arg(&fx.log)
        .run();
    assert!(status.success(), "{}", status.text());
}
