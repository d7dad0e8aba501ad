//! Shared helpers for the integration tests: run the real binary with one
//! builder ([`ackreg`] → [`Ackreg`] → [`Run`]), and read PDFs back in Rust.
//!
//! ```ignore
//! let o = ackreg(dir).args(["verify", "log"]).env("TZ", "UTC").run().must_succeed();
//! assert!(o.stdout().contains("[ok]"));
//! ackreg(dir).args(["sign", "--key", "k"]).run().must_fail(2);
//! ```
#![allow(dead_code)]

pub mod pki;

use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

use lopdf::{dictionary, Object};

/// One run of the `ackreg` binary under test, being built: in `dir`, with
/// no passphrase in the environment and nothing on standard input unless
/// the test gives them.
pub fn ackreg(dir: &Path) -> Ackreg {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ackreg"));
    cmd.current_dir(dir).env_remove("ACKREG_PASSPHRASE");
    Ackreg {
        cmd,
        shown: vec![OsString::from("ackreg")],
        set: Vec::new(),
        dir: dir.display().to_string(),
        stdin: None,
    }
}

/// A command line of `ackreg` being built (see [`ackreg`]).
pub struct Ackreg {
    cmd: Command,
    shown: Vec<OsString>,
    /// `KEY=VALUE` of each variable the test sets, shown before the line.
    set: Vec<OsString>,
    dir: String,
    stdin: Option<Vec<u8>>,
}

impl Ackreg {
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.shown.push(arg.as_ref().to_owned());
        self.cmd.arg(arg);
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        for arg in args {
            self = self.arg(arg);
        }
        self
    }

    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        let mut shown = key.as_ref().to_owned();
        shown.push("=");
        shown.push(value.as_ref());
        self.set.push(shown);
        self.cmd.env(key, value);
        self
    }

    pub fn env_remove(mut self, key: impl AsRef<OsStr>) -> Self {
        self.cmd.env_remove(key);
        self
    }

    /// Gives `ACKREG_PASSPHRASE`.
    pub fn passphrase(self, passphrase: &str) -> Self {
        self.env("ACKREG_PASSPHRASE", passphrase)
    }

    /// What the run reads on standard input.
    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(bytes.into());
        self
    }

    /// The command line as a reader would type it (with the variables it
    /// sets), and its folder.
    pub fn line(&self) -> String {
        let words: Vec<String> = self
            .set
            .iter()
            .chain(&self.shown)
            .map(|w| {
                let w = w.to_string_lossy();
                if !w.is_empty()
                    && w.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_./=:@,+".contains(c))
                {
                    w.into_owned()
                } else {
                    format!("'{}'", w.replace('\'', r"'\''"))
                }
            })
            .collect();
        format!("{} (in {})", words.join(" "), self.dir)
    }

    /// Runs it to the end and keeps its exit code and output.
    pub fn run(self) -> Run {
        let line = self.line();
        let Ackreg { mut cmd, stdin, .. } = self;
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let output = match stdin {
            None => cmd.stdin(Stdio::null()).output(),
            Some(bytes) => {
                let mut child = cmd
                    .stdin(Stdio::piped())
                    .spawn()
                    .unwrap_or_else(|e| panic!("{line}: {e}"));
                let mut pipe = child.stdin.take().expect("a stdin pipe");
                let writer = std::thread::spawn(move || {
                    // The binary may stop reading early; that is its answer.
                    let _ = pipe.write_all(&bytes);
                });
                let out = child.wait_with_output();
                let _ = writer.join();
                out
            }
        }
        .unwrap_or_else(|e| panic!("{line}: {e}"));
        Run { line, output }
    }

    /// Starts it with its output piped, for runs at once; [`Running::wait`]
    /// gives the [`Run`].
    pub fn spawn(self) -> Running {
        let line = self.line();
        let child = self
            .command()
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{line}: {e}"));
        Running { line, child }
    }

    /// The configured [`Command`] (folder, arguments, environment, standard
    /// input as given or none), for a test that starts it itself: a server,
    /// runs at once, a run killed halfway.
    pub fn command(self) -> Command {
        let Ackreg { mut cmd, stdin, .. } = self;
        assert!(stdin.is_none(), "give a spawned command its input yourself");
        cmd.stdin(Stdio::null());
        cmd
    }
}

/// A started run of `ackreg` (see [`Ackreg::spawn`]).
pub struct Running {
    line: String,
    child: Child,
}

impl Running {
    /// Waits for the end of the run.
    pub fn wait(self) -> Run {
        let Running { line, child } = self;
        let output = child
            .wait_with_output()
            .unwrap_or_else(|e| panic!("{line}: {e}"));
        Run { line, output }
    }
}

/// A finished run of `ackreg`: its command line, exit code and output.
pub struct Run {
    line: String,
    output: Output,
}

impl Run {
    /// The exit code, `None` if a signal ended the run.
    pub fn code(&self) -> Option<i32> {
        self.output.status.code()
    }

    pub fn success(&self) -> bool {
        self.output.status.success()
    }

    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    /// Standard output, then standard error.
    pub fn text(&self) -> String {
        format!("{}{}", self.stdout(), self.stderr())
    }

    pub fn stdout_bytes(&self) -> &[u8] {
        &self.output.stdout
    }

    /// The command line and everything it said, for a failure message.
    pub fn report(&self) -> String {
        format!(
            "{}\nexit code: {}\n--- stdout\n{}--- stderr\n{}",
            self.line,
            self.code()
                .map_or_else(|| "none (ended by a signal)".to_string(), |c| c.to_string()),
            self.stdout(),
            self.stderr()
        )
    }

    /// Panics, showing the run, unless it exited with 0.
    #[track_caller]
    pub fn must_succeed(self) -> Self {
        if !self.success() {
            panic!("expected success:\n{}", self.report());
        }
        self
    }

    /// Panics, showing the run, unless it exited with `code`.
    #[track_caller]
    pub fn must_fail(self, code: i32) -> Self {
        assert_ne!(code, 0, "must_fail(0): use must_succeed");
        if self.code() != Some(code) {
            panic!("expected exit code {code}:\n{}", self.report());
        }
        self
    }
}

/// Standard output of another tool's run (openssl, python3), as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Standard error of another tool's run, as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
/// The text of every page of a PDF, pages joined by newlines.
pub fn pdf_text(pdf: &[u8]) -> String {
    let doc = lopdf::Document::load_mem(pdf).expect("a PDF that lopdf reads");
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    doc.extract_text(&pages).expect("text extraction")
}

/// Collapses every run of white space into one space.
pub fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A one-page PDF with an Info /Title.
pub fn tiny_pdf(title: &str) -> Vec<u8> {
    let mut doc = lopdf::Document::with_version("1.7");
    let pages_id = doc.new_object_id();
    let page_id = doc.add_object(dictionary! {
        "Type" => "Page",
        "Parent" => pages_id,
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => vec![page_id.into()],
            "Count" => 1,
        }),
    );
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog_id);
    let info_id = doc.add_object(dictionary! { "Title" => lopdf::text_string(title) });
    doc.trailer.set("Info", info_id);
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}
