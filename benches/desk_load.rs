//! Load on the signing desk (issue 11, point 2): 200 simulated employees
//! at once, each a Rust client signing with ed25519-dalek over HTTP on
//! loopback, submit 20,000 acknowledgements to a desk running in this
//! process. Then: none lost, none duplicated, every receipt verifies
//! against the log, and the full audit passes. Prints the throughput and
//! the p50/p99 round trip.
//!
//! Bounded in count (20,000) and time (the run stops submitting after 300
//! seconds). Run with `cargo bench --bench desk_load`; `DESK_LOAD_EMPLOYEES`
//! and `DESK_LOAD_VERSIONS` change the 200 x 100.

#[path = "../tests/desk_support/mod.rs"]
mod desk_support;

use std::sync::atomic::AtomicUsize;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ackreg_desk::{Config, Desk};

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let employees = env_or("DESK_LOAD_EMPLOYEES", 200);
    let versions = env_or("DESK_LOAD_VERSIONS", 100);
    let fx = desk_support::fixture(versions, false);
    let issuer = fx.issuer.verifying_key();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let (result, commits) = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let started = Desk::start(Config {
            log: fx.log.clone(),
            issuer: fx.issuer.clone(),
            tls: false,
            listen: addr,
            observer: Arc::new(ackreg_desk::Quiet),
        })
        .unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let app = ackreg_desk::http::router(started.desk.clone());
        let server = tokio::spawn(ackreg_desk::serve(listener, app, None, async {
            let _ = stopped.await;
        }));
        let http = Arc::new(desk_support::Http::new(&format!("http://{addr}")));
        let admin = desk_support::admin_signin(&http, &started.admin_token).await;
        let people = desk_support::enrol_many(http.clone(), &admin, employees, employees).await;
        let before = checkpoints(&fx.log);
        let deadline = Instant::now() + Duration::from_secs(300);
        let result = desk_support::load(
            http,
            &people,
            &fx.versions,
            deadline,
            Arc::new(AtomicUsize::new(0)),
        )
        .await;
        let commits = checkpoints(&fx.log) - before;
        let _ = stop.send(());
        let _ = server.await;
        let desk = started.desk.clone();
        tokio::task::spawn_blocking(move || desk.stop())
            .await
            .unwrap();
        (result, commits)
    });
    report(&fx, &issuer, result, commits, employees * versions);
}

/// How many checkpoints the log has signed (one per commit).
fn checkpoints(log: &std::path::Path) -> usize {
    ackreg_core::log::LogDir::new(log).history().unwrap().len()
}

fn report(
    fx: &desk_support::Fixture,
    issuer: &ed25519_dalek::VerifyingKey,
    mut result: desk_support::LoadResult,
    commits: usize,
    wanted: usize,
) {
    let accepted = result.accepted.len();
    let secs = result.elapsed.as_secs_f64();
    let p50 = desk_support::percentile(&mut result.latencies, 50.0);
    let p99 = desk_support::percentile(&mut result.latencies, 99.0);
    let max = result.latencies.last().copied().unwrap_or_default();
    println!(
        "desk load: {accepted} of {wanted} acknowledgements accepted, {} failed",
        result.failed
    );
    println!(
        "  {secs:.2} s, {:.0} acknowledgements/s",
        accepted as f64 / secs
    );
    println!(
        "  round trip p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        ms(p50),
        ms(p99),
        ms(max)
    );
    println!(
        "  {commits} commits (checkpoints), {:.1} acknowledgements per commit",
        accepted as f64 / commits.max(1) as f64
    );
    let t0 = Instant::now();
    let in_log = desk_support::check_receipts(&fx.log, issuer, &result.accepted);
    println!(
        "  every receipt verifies against the log ({:.2} s)",
        t0.elapsed().as_secs_f64()
    );
    assert_eq!(accepted, wanted, "every acknowledgement accepted");
    assert_eq!(in_log, accepted as u64, "none lost, none duplicated");
    let t0 = Instant::now();
    assert!(
        desk_support::audit_passes(&fx.log, issuer),
        "the full audit passes"
    );
    println!(
        "  the full audit of the log passes ({:.2} s)",
        t0.elapsed().as_secs_f64()
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
