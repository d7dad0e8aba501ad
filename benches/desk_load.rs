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

use std::time::Duration;

/// Enrolments at a time before the load (not timed): 200 at once lost
/// connections in the client on a loaded machine (hyper `SendRequest`).
const ENROLLING: usize = 20;

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
    let people: Vec<(String, String)> = (0..employees)
        .map(|i| (format!("e{i:05}"), format!("Darbinieks Nr. {i}")))
        .collect();
    let (result, commits) = desk_support::desk_load(
        &fx.log,
        &fx.issuer,
        &people,
        ENROLLING,
        &fx.versions,
        Duration::from_secs(300),
    );
    let issuer = fx.issuer.verifying_key();
    desk_support::report_load(
        &fx.log,
        &issuer,
        result,
        commits,
        employees * versions,
        true,
    );
}
