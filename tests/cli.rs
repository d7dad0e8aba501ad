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

/// README starts with two commands for a fresh machine (issue 17, point 4):
/// the demo, and one that installs what the tests need and runs them. CI
/// runs that same second command, so a README that names another, or a
/// script that leaves out a tool the interoperability tests use, fails here.
#[test]
fn readme_test_command_is_the_one_ci_runs_and_installs_every_tool() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let read = |p: &str| std::fs::read_to_string(root.join(p)).expect(p);
    let readme = read("README.md");
    let block = readme
        .split("```sh\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("README.md opens with a sh code block");
    let commands: Vec<&str> = block
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(
        commands,
        ["cargo run --release -- demo", "bash scripts/test"],
        "README's first two commands"
    );
    let ci: Vec<String> = read(".ci/run")
        .lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.starts_with('#'))
        .collect();
    assert!(
        ci.iter().any(|l| l == "bash scripts/test"),
        ".ci/run runs README's test command"
    );
    let script = read("scripts/test");
    for tool in [
        "chromium",
        "chromium-driver",
        "pyasice",
        "tlog-scales",
        "cryptography",
        "install-axe.sh",
        "openssl",
    ] {
        assert!(script.contains(tool), "scripts/test installs {tool}");
    }
    assert!(
        script.lines().any(|l| l
            .trim_start()
            .starts_with("cargo test --workspace --locked")),
        "scripts/test ends by running the tests"
    );
}
