//! The CLI's output pinned by snapshot tests (issue 10, point 6), as rage
//! pins its own: each `tests/cmd/NAME.toml` is one run of the real binary
//! (its arguments, working folder and exit code) and `NAME.stdout` /
//! `NAME.stderr` are its exact output. The runs read the committed fixtures
//! in `tests/fixtures` (a small log signed by the RFC 8032 test 1 key, made
//! by `tests/fixtures/make-log.sh`), each in a copy of that folder.
//!
//! After an intended change of the output (a new step, a reworded help
//! text), refresh the snapshots and review the diff:
//!
//! ```text
//! TRYCMD=overwrite cargo test --test cli
//! git diff tests/cmd
//! ```

#[test]
fn cli_snapshots() {
    trycmd::TestCases::new()
        .register_bin("ackreg", std::path::Path::new(env!("CARGO_BIN_EXE_ackreg")))
        .env("NO_COLOR", "1")
        .case("tests/cmd/*.toml");
}
