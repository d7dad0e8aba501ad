//! No restarts (issue 21, point 1): `ackreg log` commands write the log
//! while the desk serves it. The desk holds the log's lock only while it
//! commits, reads what the commands wrote before its next batch, and shows
//! it within a second. Each test drives the real `ackreg serve` and the real
//! `ackreg log` commands on real files.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ackreg_core::fsutil::Wait;
use ackreg_core::log::entry::{self, Entry};
use ackreg_core::log::LogDir;
use ed25519_dalek::SigningKey;
use serde_json::Value;

use super::edges::day;
use super::{common, runtime, verify_cli, Server};
use crate::desk_support::{self, Employee, Fixture, Http, LoadResult};

/// Runs `ackreg log ARGS... LOG --issuer-key KEY` and asserts that it
/// succeeds; its standard error (where a wait for the lock is told).
fn log_cmd(fx: &Fixture, args: &[&str]) -> String {
    let o = common::ackreg(fx.tmp.path())
        .arg("log")
        .args(args)
        .arg(&fx.log)
        .arg("--issuer-key")
        .arg(&fx.key_file)
        .run();
    assert!(o.success(), "ackreg log {args:?}: {}", o.text());
    o.stderr()
}

/// Writes the public key of seed `n` as a PEM file; its path.
fn public_key(fx: &Fixture, n: u8) -> PathBuf {
    let key = SigningKey::from_bytes(&[n; 32]);
    let path = fx.tmp.path().join(format!("k{n}.pub.pem"));
    let pem = ackreg_core::keys::encode_public_key(&key.verifying_key()).unwrap();
    std::fs::write(&path, pem).unwrap();
    path
}

/// `ackreg log enrol` of `id` with the key of seed `n`.
fn cli_enrol(fx: &Fixture, id: &str, name: &str, n: u8) {
    let key = public_key(fx, n);
    log_cmd(
        fx,
        &[
            "enrol",
            "--id",
            id,
            "--name",
            name,
            "--public-key",
            key.to_str().unwrap(),
        ],
    );
}

/// `ackreg log publish` of the built-in rules as version `label`, in force
/// from `effective`.
fn cli_publish(fx: &Fixture, label: &str, effective: &str) {
    log_cmd(
        fx,
        &[
            "publish",
            "--label",
            label,
            "--effective",
            effective,
            "--deadline",
            &day(60),
        ],
    );
}

/// What the commands of the load test write, one after another.
fn commands(fx: &Fixture) {
    cli_enrol(fx, "ikalnina", "Ilze Kalniņa", 201);
    cli_enrol(fx, "pliepa", "Pēteris Liepa", 202);
    cli_publish(fx, "2027/1", &day(30));
    log_cmd(fx, &["revoke", "--id", "ikalnina"]);
    log_cmd(fx, &["leave", "--id", "pliepa"]);
}

/// Polls `probe` every 100 ms until it holds, for at most 10 s (an upper
/// bound that says nothing about how fast the desk is).
async fn eventually(what: &str, mut probe: impl AsyncFnMut() -> bool) {
    let until = Instant::now() + Duration::from_secs(10);
    while !probe().await {
        assert!(Instant::now() < until, "{what}: not within 10 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The labels of the versions `/api/me` shows the employee.
async fn my_labels(http: &Http, e: &Employee) -> Vec<String> {
    let me = http.get("/api/me", Some(&e.cookie)).await.unwrap();
    assert_eq!(me.status, 200, "{}", me.text());
    me.json()["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["label"].as_str().unwrap().to_string())
        .collect()
}

/// The administration page's status.
async fn admin_status(http: &Http, admin: &str) -> Value {
    let r = http.get("/api/admin/status", Some(admin)).await.unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

fn employee<'a>(status: &'a Value, id: &str) -> Option<&'a Value> {
    status["employees"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == id)
}

/// While 200 clients sign, `ackreg log` enrols two employees, publishes a
/// version, revokes a key and records a departure. Every command succeeds;
/// every acknowledgement is accepted, each answer's entry is in the log
/// once and no acknowledgement is in it unanswered; the commands' entries
/// are all there, between the desk's; and the audit passes.
#[test]
fn commands_write_the_log_while_200_clients_sign() {
    let fx = Arc::new(desk_support::fixture(60, false));
    let server = Server::start(&fx, true);
    let issuer = fx.issuer.verifying_key();
    let (result, signed) = runtime().block_on(async {
        let http = Arc::new(Http::new(&server.base));
        let admin = desk_support::admin_signin(&http, &server.admin_token).await;
        // Eight at a time: each enrolment hashes a PIN (scrypt, 32 MiB),
        // at most four at once, and a request waits at most 30 s.
        let t0 = Instant::now();
        let employees = desk_support::enrol_many(http.clone(), &admin, 200, 8).await;
        eprintln!("200 employees enrolled at the desk in {:?}", t0.elapsed());
        let t0 = Instant::now();
        let count = Arc::new(AtomicUsize::new(0));
        let deadline = Instant::now() + Duration::from_secs(600);
        let mut cli = None;
        let mut all = LoadResult::default();
        let mut signed = 0;
        // The clients sign the versions a few at a time, all 200 at once;
        // the commands start during the first round, and the rounds go on
        // until one has run wholly after the commands ended.
        for round in fx.versions.chunks(3) {
            let after = cli
                .as_ref()
                .is_some_and(|c: &tokio::task::JoinHandle<()>| c.is_finished());
            let load = tokio::spawn({
                let (http, employees, round, count) = (
                    http.clone(),
                    employees.clone(),
                    round.to_vec(),
                    count.clone(),
                );
                async move { desk_support::load(http, &employees, &round, deadline, count).await }
            });
            if cli.is_none() {
                while count.load(Ordering::SeqCst) < 100 {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                let fx = fx.clone();
                cli = Some(tokio::task::spawn_blocking(move || commands(&fx)));
            }
            let r = load.await.unwrap();
            all.accepted.extend(r.accepted);
            all.failed += r.failed;
            signed += round.len();
            if after {
                break;
            }
        }
        let cli = cli.unwrap();
        assert!(
            cli.is_finished(),
            "the commands did not end while the clients signed {signed} versions"
        );
        cli.await.unwrap();
        eprintln!(
            "{} acknowledgements of {signed} versions in {:?}, the commands among them",
            all.accepted.len(),
            t0.elapsed()
        );
        (all, signed)
    });
    drop(server);
    assert_eq!(result.failed, 0, "every acknowledgement is accepted");
    assert_eq!(result.accepted.len(), 200 * signed);
    let in_log = desk_support::check_receipts(&fx.log, &issuer, &result.accepted);
    assert_eq!(
        in_log,
        result.accepted.len() as u64,
        "none lost, none doubled"
    );
    the_commands_entries_are_there(&fx.log);
    let (ok, out) = verify_cli(&[&fx.log], &fx.pub_file);
    assert!(ok, "{out}");
    assert!(desk_support::audit_passes(&fx.log, &issuer));
}

/// The five entries of [`commands`] are in the log, in order, and the
/// desk appended acknowledgements before and after them.
fn the_commands_entries_are_there(log: &Path) {
    let dir = LogDir::new(log);
    let (head, state) = dir.committed().unwrap();
    let ilze = state.employee("ikalnina").expect("Ilze enrolled");
    assert!(ilze.current().is_none(), "Ilze's key revoked");
    let peteris = state.employee("pliepa").expect("Pēteris enrolled");
    assert!(peteris.left.is_some(), "Pēteris left");
    let kinds = dir.index(head.checkpoint.size).unwrap();
    let ack = entry::Kind::Ack.code();
    let mut theirs = Vec::new();
    for (i, &(_, kind)) in kinds.iter().enumerate() {
        if kind == ack {
            continue;
        }
        let what = match entry::parse(&dir.entry(i as u64).unwrap()).unwrap() {
            Entry::Enrol { id, .. } if id == "ikalnina" || id == "pliepa" => format!("enrol {id}"),
            Entry::Version(v) if v.label == "2027/1" => "publish".to_string(),
            Entry::Revoke { id, .. } => format!("revoke {id}"),
            Entry::Leave { id, .. } => format!("leave {id}"),
            _ => continue,
        };
        theirs.push((i, what));
    }
    let what: Vec<&str> = theirs.iter().map(|(_, w)| w.as_str()).collect();
    assert_eq!(
        what,
        [
            "enrol ikalnina",
            "enrol pliepa",
            "publish",
            "revoke ikalnina",
            "leave pliepa"
        ]
    );
    let acks = |range: std::ops::Range<usize>| kinds[range].iter().filter(|r| r.1 == ack).count();
    let (first, last) = (theirs[0].0, theirs[4].0);
    assert!(acks(0..first) > 0, "the clients signed before the commands");
    assert!(
        acks(last..kinds.len()) > 0,
        "the clients signed after the commands"
    );
}

/// After a command publishes a version, enrols someone or revokes a key,
/// the desk shows it, without a restart and with no one signing.
#[test]
fn the_desk_shows_what_a_command_wrote_without_a_restart() {
    let fx = desk_support::fixture(1, false);
    let server = Server::start(&fx, true);
    runtime().block_on(async {
        let http = Http::new(&server.base);
        let admin = desk_support::admin_signin(&http, &server.admin_token).await;
        let anna = desk_support::enrol(&http, &admin, "aozola", "Anna Ozola", 1).await;
        assert_eq!(my_labels(&http, &anna).await, ["1"]);
        let before = admin_status(&http, &admin).await["size"].as_u64().unwrap();

        cli_publish(&fx, "2", &day(14));
        eventually("the new version on the employee's page", async || {
            my_labels(&http, &anna).await.contains(&"2".to_string())
        })
        .await;

        cli_enrol(&fx, "ikalnina", "Ilze Kalniņa", 201);
        eventually(
            "the enrolled employee on the administration page",
            async || {
                let status = admin_status(&http, &admin).await;
                employee(&status, "ikalnina").is_some()
            },
        )
        .await;
        let status = admin_status(&http, &admin).await;
        assert_eq!(status["size"].as_u64().unwrap(), before + 2);
        assert!(status["versions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["label"] == "2"));

        // A key revoked from the command line ends its session.
        log_cmd(&fx, &["revoke", "--id", "aozola"]);
        eventually("the revoked key's session ended", async || {
            let me = http.get("/api/me", Some(&anna.cookie)).await.unwrap();
            me.status == 401
        })
        .await;
    });
    // One desk per log: a second one is refused at once.
    let o = common::ackreg(fx.tmp.path())
        .args(["serve", "--log"])
        .arg(&fx.log)
        .arg("--issuer-key")
        .arg(&fx.key_file)
        .args(["--listen", "127.0.0.1:0"])
        .run();
    assert_eq!(o.code(), Some(2), "{}", o.text());
    assert!(o
        .stderr()
        .contains("serve.lock is locked by another ackreg run"));
    assert!(o.stderr().contains("another desk serves this log"));
    drop(server);
    let (ok, out) = verify_cli(&[&fx.log], &fx.pub_file);
    assert!(ok, "{out}");
}

/// An acknowledgement that waits for the lock while another writer
/// records its signer's departure is checked against the log as that
/// writer left it: refused (422 `refused`), and not written. A command
/// started meanwhile says that it waits, and succeeds.
#[test]
fn a_queued_acknowledgement_the_caught_up_log_refuses_is_answered_4xx() {
    let fx = desk_support::fixture(1, false);
    let server = Server::start(&fx, true);
    runtime().block_on(async {
        let http = Arc::new(Http::new(&server.base));
        let admin = desk_support::admin_signin(&http, &server.admin_token).await;
        let anna = desk_support::enrol(&http, &admin, "aozola", "Anna Ozola", 1).await;
        // Another writer holds the lock and records that Anna left today.
        let mut other =
            ackreg_core::log::Writer::open(&fx.log, fx.issuer.clone(), Wait::Yes, |_, _| {})
                .unwrap();
        let today = ackreg_core::clock::today();
        other
            .append(entry::leave_bytes("aozola", today).unwrap())
            .unwrap();
        // Meanwhile she signs: the desk's batch waits for the lock.
        let (title, sha) = fx.versions[0].clone();
        let body = desk_support::envelope(&anna, &title, &sha, &desk_support::today());
        let ack = tokio::spawn({
            let (http, cookie) = (http.clone(), anna.cookie.clone());
            async move { http.post("/api/ack", Some(&cookie), body).await.unwrap() }
        });
        let until = Instant::now() + Duration::from_secs(30);
        while !server.stderr().contains("desk: waiting: ") {
            assert!(Instant::now() < until, "the desk never waited for the lock");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(server
            .stderr()
            .contains("entries.lock is held by another ackreg run (pid "));
        // A command waits too, and says so.
        let key = public_key(&fx, 201);
        let cli_err = fx.tmp.path().join("enrol.err");
        let mut cli = common::ackreg(fx.tmp.path())
            .args(["log", "enrol", "--id", "ikalnina", "--name", "Ilze Kalniņa"])
            .arg("--public-key")
            .arg(&key)
            .arg("--issuer-key")
            .arg(&fx.key_file)
            .arg(&fx.log)
            .command()
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(&cli_err).unwrap())
            .spawn()
            .unwrap();
        let waiting = format!(
            "waiting: {} is held by another ackreg run (pid {})",
            fx.log.join("entries.lock").display(),
            std::process::id()
        );
        let said = || std::fs::read_to_string(&cli_err).unwrap_or_default();
        while !said().contains(&waiting) {
            assert!(
                Instant::now() < until,
                "the command never waited: {}",
                said()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        other.commit().unwrap();
        drop(other);
        let r = ack.await.unwrap();
        assert_eq!(r.status, 422, "{}", r.text());
        assert_eq!(r.json()["error"], "refused", "{}", r.text());
        let status = tokio::task::spawn_blocking(move || cli.wait().unwrap())
            .await
            .unwrap();
        assert!(status.success(), "{}", said());
    });
    assert!(LogDir::new(&fx.log)
        .committed()
        .unwrap()
        .1
        .employee("ikalnina")
        .is_some());
    drop(server);
    let dir = LogDir::new(&fx.log);
    let (head, _) = dir.committed().unwrap();
    let acks = dir
        .index(head.checkpoint.size)
        .unwrap()
        .iter()
        .filter(|r| r.1 == entry::Kind::Ack.code())
        .count();
    assert_eq!(
        acks, 0,
        "nothing was written for the refused acknowledgement"
    );
    let (ok, out) = verify_cli(&[&fx.log], &fx.pub_file);
    assert!(ok, "{out}");
}
