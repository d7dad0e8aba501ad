//! `kill -9` of the desk while it writes an administrator's change (issue
//! 21, "What must hold" 5): a staff import of 400 people and a publish,
//! each committed with its signed request, the desk killed at once or a
//! few milliseconds after the commit is sent. Each time the log, read
//! again, holds the whole change or none of it (never a request waiting
//! for its entries), the full audit passes, and the desk started again on
//! it goes on.

use std::time::Duration;

use ackreg_core::fsutil::Wait;
use ackreg_core::log::entry;
use ackreg_core::log::state::State;
use serde_json::json;

use super::{checkpoint_size, runtime, Server};
use crate::desk_support::{self, Admin, Dress, Fixture, Http};

/// People each import adds.
const PER_IMPORT: usize = 400;

/// The rules' fixture with a unit, `kac`.
fn fixture() -> Fixture {
    let fx = desk_support::fixture(1, true);
    let mut w =
        ackreg_core::log::Writer::open(&fx.log, fx.issuer.clone(), Wait::Yes, |_, _| {}).unwrap();
    w.append(entry::unit_bytes("kac", "Klientu apkalpošanas centrs").unwrap())
        .unwrap();
    w.commit().unwrap();
    fx
}

/// The whole staff after import `k`: the people of imports 0 to `k`.
fn staff_file(k: usize) -> Vec<u8> {
    let mut text = String::from("id;vārds, uzvārds;amats;struktūrvienības;sākuma datums\n");
    for round in 0..=k {
        for i in 0..PER_IMPORT {
            text.push_str(&format!(
                "p{round}x{i};Darbinieks {round}-{i};referents;kac;2020-01-01\n"
            ));
        }
    }
    text.into_bytes()
}

fn committed(fx: &Fixture) -> State {
    ackreg_core::log::LogDir::new(&fx.log)
        .committed()
        .unwrap()
        .1
}

/// How many of import `k`'s people the log holds.
fn joined(state: &State, k: usize) -> usize {
    (0..PER_IMPORT)
        .filter(|i| state.employee(&format!("p{k}x{i}")).is_some())
        .count()
}

/// The administrator signed in: made by the link at the first start,
/// with their key afterwards.
async fn sign_in(http: &Http, server: &Server, first: bool) -> Admin {
    if first {
        let link = desk_support::admin_signin(http, &server.admin_token).await;
        return desk_support::first_admin(http, &link, "ivarna", "Ilze Varna", 41).await;
    }
    desk_support::admin_key_signin(http, "ivarna", &desk_support::admin_key(41)).await
}

/// The offer of import `k` (previewed, then confirmed).
async fn import_offer(http: &Http, admin: &Admin, k: usize) -> serde_json::Value {
    let dress = Dress {
        cookie: Some(&admin.cookie),
        content_type: Some("text/csv"),
        origin: Some(&http.base),
        host: None,
    };
    let r = http
        .send("POST", ackreg_desk::staff::PREVIEW, &dress, staff_file(k))
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    let plan = r.json()["plan"].as_str().unwrap().to_string();
    let confirm = format!("{}?plan={plan}", ackreg_desk::staff::CONFIRM);
    let r = http
        .send("POST", &confirm, &dress, staff_file(k))
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

/// The offer of publishing version `label` of the rules (a small PDF of
/// its own).
async fn publish_offer(http: &Http, admin: &Admin, label: &str) -> serde_json::Value {
    let pdf = crate::common::tiny_pdf(&format!("Noteikumi, versija {label}"));
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
    assert_eq!(r.status, 200, "{}", r.text());
    let body = json!({
        "staged": r.json()["id"], "document": "rules", "label": label,
        "effective": "2099-01-01", "material": false, "new_employee_days": 14,
    });
    let r = http
        .post(
            "/api/admin/publish",
            Some(&admin.cookie),
            body.to_string().into_bytes(),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

/// Sends the signed commit of `offer` and kills the desk `delay` later.
async fn commit_and_kill(
    http: &Http,
    server: &mut Server,
    admin: &Admin,
    offer: &serde_json::Value,
    delay: Duration,
) {
    let commit = json!({
        "plan": offer["plan"], "signatures": desk_support::sign_offer(&admin.key, offer),
    });
    let sending = http.post(
        "/api/admin/commit",
        Some(&admin.cookie),
        commit.to_string().into_bytes(),
    );
    tokio::select! {
        _ = sending => {}
        _ = tokio::time::sleep(delay) => {}
    }
    server.kill();
}

/// After a kill: nothing waits for its entries, the audit passes.
fn whole(fx: &Fixture) -> State {
    let state = committed(fx);
    assert!(state.waiting().is_none(), "a request waits for its entries");
    assert!(desk_support::audit_passes(
        &fx.log,
        &fx.issuer.verifying_key()
    ));
    state
}

#[test]
fn kill_9_during_a_staff_import_or_a_publish_leaves_all_of_it_or_none() {
    let fx = fixture();
    // An import's commit takes tens of milliseconds here (more on a loaded
    // machine): the kills fall before it, across it, and (the last, which
    // waits for the answer) after it.
    let delays = [
        0u64, 2, 4, 6, 8, 11, 14, 18, 22, 27, 33, 40, 60, 100, 200, 10_000,
    ];
    let mut seen = Vec::new();
    for (k, ms) in delays.iter().enumerate() {
        let mut server = Server::start(&fx, true);
        runtime().block_on(async {
            let http = Http::new(&server.base);
            let admin = sign_in(&http, &server, k == 0).await;
            let offer = import_offer(&http, &admin, k).await;
            commit_and_kill(
                &http,
                &mut server,
                &admin,
                &offer,
                Duration::from_millis(*ms),
            )
            .await;
        });
        let state = whole(&fx);
        let n = joined(&state, k);
        assert!(
            n == 0 || n == PER_IMPORT,
            "import {k}: {n} of {PER_IMPORT} people"
        );
        seen.push((format!("import after {ms} ms"), n == PER_IMPORT));
    }
    let imports: Vec<bool> = seen.iter().map(|(_, whole)| *whole).collect();
    assert!(
        imports.contains(&false) && imports.contains(&true),
        "{seen:?}"
    );
    for (k, ms) in [0u64, 5, 10_000].iter().enumerate() {
        let mut server = Server::start(&fx, true);
        let label = format!("k{}", k + 1);
        runtime().block_on(async {
            let http = Http::new(&server.base);
            let admin = sign_in(&http, &server, false).await;
            let offer = publish_offer(&http, &admin, &label).await;
            commit_and_kill(
                &http,
                &mut server,
                &admin,
                &offer,
                Duration::from_millis(*ms),
            )
            .await;
        });
        let state = whole(&fx);
        seen.push((
            format!("publish after {ms} ms"),
            state.version_of("rules", &label).is_some(),
        ));
    }
    // The desk goes on: started again, it writes the next import whole.
    let size = checkpoint_size(&fx.log);
    let mut server = Server::start(&fx, true);
    runtime().block_on(async {
        let http = Http::new(&server.base);
        let admin = sign_in(&http, &server, false).await;
        let k = delays.len();
        let offer = import_offer(&http, &admin, k).await;
        let t = std::time::Instant::now();
        let r = http
            .post(
                "/api/admin/commit",
                Some(&admin.cookie),
                json!({"plan": offer["plan"], "signatures": desk_support::sign_offer(&admin.key, &offer)})
                    .to_string()
                    .into_bytes(),
            )
            .await
            .unwrap();
        assert_eq!(r.status, 200, "{}", r.text());
        println!("an import's commit took {:?}", t.elapsed());
    });
    server.kill();
    let state = whole(&fx);
    assert_eq!(joined(&state, delays.len()), PER_IMPORT);
    assert!(checkpoint_size(&fx.log) > size);
    println!("kill -9 rounds (written whole?): {seen:?}");
}
