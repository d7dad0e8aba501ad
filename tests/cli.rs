//! The CLI's output pinned by snapshot tests (issue 10, point 6), as rage
//! pins its own: each `tests/cmd/NAME.toml` is one run of the real binary
//! (its arguments, environment, working folder and exit code) and
//! `NAME.stdout` / `NAME.stderr` are its exact output, with `[..]` where it
//! cannot be the same twice (fresh keys, the time, a random token). The runs
//! read the committed fixtures in `tests/fixtures`, each in its own copy of
//! that folder: a small log signed by the RFC 8032 test 1 key
//! (`make-log.sh`), and a keyring, an acknowledgement, a tiny PDF, a log
//! waiting for its acknowledgement and a log of format 0.3 with units, a
//! document and employees without keys (`org-log`; `make-cmd.sh`).
//!
//! Every subcommand has its main success (`NAME.toml`) and its main refusal
//! (`NAME-WHY.toml`, exit 1 or 2): demo, render, keygen, keyring add and
//! list, sign, register, verify, each `log` subcommand, export and serve
//! (`--admin-link`, and no plain HTTP beyond loopback).
//!
//! After an intended change of the output (a new step, a reworded help
//! text), refresh the snapshots and review the diff (a new case needs
//! empty `NAME.stdout` and `NAME.stderr` files first; put `[..]` back where
//! the output changes from run to run):
//!
//! ```text
//! TRYCMD=overwrite cargo test --test ackreg cli::
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
        "golang-go",
        "golang-golang-x-mod-dev",
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

/// The one way the tests run the binary says, when a run does not end as
/// expected, what was run and everything it said.
#[test]
fn a_run_that_ends_otherwise_shows_its_command_line_exit_code_and_output() {
    let dir = tempfile::tempdir().unwrap();
    let run = || {
        crate::common::ackreg(dir.path())
            .args(["verify", "no such file", "--issuer", "k.pem"])
            .run()
    };
    let message = |f: Box<dyn FnOnce() + std::panic::UnwindSafe>| {
        let payload = std::panic::catch_unwind(f).expect_err("a panic");
        payload
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_default()
    };
    let shown = run().must_fail(2).report();
    let expected = format!(
        "ackreg verify 'no such file' --issuer k.pem (in {})",
        dir.path().display()
    );
    assert!(shown.starts_with(&expected), "{shown}");
    for said in ["exit code: 2\n", "--- stdout\n", "--- stderr\nerror: "] {
        assert!(shown.contains(said), "{said:?} not in {shown}");
    }
    let failed = run();
    let m = message(Box::new(move || {
        failed.must_succeed();
    }));
    assert!(
        m.starts_with("expected success:\n") && m.contains(&shown),
        "{m}"
    );
    let failed = run();
    let m = message(Box::new(move || {
        failed.must_fail(1);
    }));
    assert!(
        m.starts_with("expected exit code 1:\n") && m.contains(&shown),
        "{m}"
    );
}
