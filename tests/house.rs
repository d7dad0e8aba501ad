//! The shape of the house, kept so (issue 18, points 1 and 2): read from
//! the sources and from `cargo tree`, nothing run.
//!
//! - Inside each crate, no two files import each other, directly or round a
//!   circle. A file's own ancestors (`lib.rs`, `mod.rs`, the file that
//!   declares it) do not count: a child using its parent's error type is
//!   not a circle.
//! - A command module of the CLI (`src/cmd/NAME.rs` or `src/cmd/NAME/`)
//!   never imports another; what two share lives in `src/cmd/common`.
//! - The core does not link the web stack or TLS, and the transparency-log
//!   crate depends on nothing else of the workspace.
//! - The libraries' strings name no option, command or environment
//!   variable of the command line (point 5); the CLI's hints do.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The `.rs` files under `dir`, at any depth.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// The module path of a file under a crate's `src`: `[]` for the crate
/// root, `["log", "store"]` for `log/store.rs`, `["log"]` for `log/mod.rs`.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap();
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap();
    let stem = last.trim_end_matches(".rs");
    if !matches!(stem, "mod" | "lib" | "main") {
        parts.push(stem.to_string());
    }
    parts
}

/// The file's code without comments (doc links are not imports) and
/// without its unit tests (`#[cfg(test)]` to the end), whose
/// `use super::*` means the file itself.
fn code_of(file: &Path) -> String {
    let text = std::fs::read_to_string(file).unwrap();
    let code = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => &text[..],
    };
    code.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every module path the code names, through `crate::` or `super::`, with
/// `use` groups (`use super::{a, b::c}`) spread out.
fn paths_named(code: &str, module: &[String]) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let bytes = code.as_bytes();
    for start in ["crate::", "super::"] {
        let mut from = 0;
        while let Some(at) = code[from..].find(start) {
            let at = from + at;
            from = at + start.len();
            if at > 0 && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_') {
                continue;
            }
            let base: Vec<String> = if start == "crate::" {
                Vec::new()
            } else {
                // `super` of `a/b.rs` (module a::b) is `a`; of `a/mod.rs`
                // (module a) it is the crate root or a's parent.
                module[..module.len().saturating_sub(1)].to_vec()
            };
            let mut rest = &code[from..];
            let mut supers = base;
            while let Some(r) = rest.strip_prefix("super::") {
                supers.pop();
                rest = r;
            }
            for tail in expand(rest) {
                let mut path = supers.clone();
                path.extend(tail);
                found.push(path);
            }
        }
    }
    found
}

/// The module paths of the text after `crate::`: `a::b::C` gives
/// `[a, b, C]`; `{a, b::c}` gives `[a]` and `[b, c]`.
fn expand(rest: &str) -> Vec<Vec<String>> {
    if let Some(group) = rest.strip_prefix('{') {
        let end = group.find('}').unwrap_or(group.len());
        return group[..end]
            .split(',')
            .map(|item| segments(item.trim()))
            .filter(|s| !s.is_empty())
            .collect();
    }
    vec![segments(rest)]
}

fn segments(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for seg in text.split("::") {
        let ident: String = seg
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if ident.is_empty() || ident == "self" {
            break;
        }
        let whole = ident.len() == seg.len();
        out.push(ident);
        if !whole {
            break;
        }
    }
    out
}

/// The import graph of one crate: file -> files it names, without the
/// file's ancestors.
fn graph(src: &Path) -> BTreeMap<PathBuf, BTreeSet<PathBuf>> {
    let files = rust_files(src);
    let by_module: BTreeMap<Vec<String>, PathBuf> = files
        .iter()
        .map(|f| (module_of(src, f), f.clone()))
        .collect();
    let mut edges = BTreeMap::new();
    for file in &files {
        let module = module_of(src, file);
        let mut to = BTreeSet::new();
        for path in paths_named(&code_of(file), &module) {
            // The longest prefix of the path that is a file of the crate.
            let target = (1..=path.len())
                .rev()
                .find_map(|n| by_module.get(&path[..n]).map(|f| (n, f)));
            let Some((n, target)) = target else { continue };
            let ancestor = module.len() >= n && module[..n] == path[..n];
            if target != file && !ancestor {
                to.insert(target.clone());
            }
        }
        edges.insert(file.clone(), to);
    }
    edges
}

/// The circles of a graph (strongly connected parts of two or more).
fn circles(edges: &BTreeMap<PathBuf, BTreeSet<PathBuf>>) -> Vec<Vec<PathBuf>> {
    let reach = |from: &PathBuf| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.clone()];
        while let Some(f) = todo.pop() {
            for t in edges.get(&f).into_iter().flatten() {
                if seen.insert(t.clone()) {
                    todo.push(t.clone());
                }
            }
        }
        seen
    };
    let reaches: BTreeMap<&PathBuf, BTreeSet<PathBuf>> =
        edges.keys().map(|f| (f, reach(f))).collect();
    let mut out: Vec<Vec<PathBuf>> = Vec::new();
    for (f, r) in &reaches {
        if !r.contains(*f) || out.iter().any(|c| c.contains(f)) {
            continue;
        }
        let circle: Vec<PathBuf> = r
            .iter()
            .filter(|g| reaches.get(g).is_some_and(|rg| rg.contains(*f)))
            .cloned()
            .collect();
        out.push(circle);
    }
    out
}

/// Every crate's `src`: the CLI's and the members'.
fn crate_sources() -> Vec<PathBuf> {
    let mut out = vec![root().join("src")];
    for entry in std::fs::read_dir(root().join("crates")).unwrap() {
        out.push(entry.unwrap().path().join("src"));
    }
    out.sort();
    out
}

#[test]
fn no_file_imports_round_a_circle() {
    let mut found = Vec::new();
    for src in crate_sources() {
        for circle in circles(&graph(&src)) {
            let names: Vec<String> = circle
                .iter()
                .map(|f| f.strip_prefix(root()).unwrap().display().to_string())
                .collect();
            found.push(names.join(" <-> "));
        }
    }
    assert!(found.is_empty(), "import circles:\n{}", found.join("\n"));
}

/// The reader sees the circle check at work on a circle made for it.
#[test]
fn the_circle_check_finds_a_circle() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    std::fs::write(src.join("lib.rs"), "mod a;\nmod b;\n").unwrap();
    std::fs::write(src.join("a.rs"), "use crate::b::B;\npub struct A;\n").unwrap();
    std::fs::write(src.join("b.rs"), "use super::{a::A};\npub struct B;\n").unwrap();
    let found = circles(&graph(src));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].len(), 2);
    std::fs::write(src.join("b.rs"), "pub struct B;\n").unwrap();
    assert!(circles(&graph(src)).is_empty());
}

/// The command a file of `src/cmd` belongs to; `None` for the dispatcher
/// and the shared `common`.
fn command_of(file: &Path) -> Option<String> {
    let rel = file.strip_prefix(root().join("src/cmd")).ok()?;
    let first = rel.iter().next()?.to_string_lossy().into_owned();
    let name = first.trim_end_matches(".rs").to_string();
    (name != "mod" && name != "common").then_some(name)
}

#[test]
fn no_command_module_imports_another() {
    let mut found = Vec::new();
    for (file, targets) in graph(&root().join("src")) {
        let Some(own) = command_of(&file) else {
            continue;
        };
        for target in targets {
            if let Some(other) = command_of(&target) {
                if other != own {
                    found.push(format!("{} -> {}", file.display(), target.display()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "commands importing commands:\n{}",
        found.join("\n")
    );
}

/// The names of the packages `package` links (normal dependencies, at any
/// depth), as `cargo tree` lists them.
fn linked(package: &str) -> BTreeSet<String> {
    let out = Command::new(env!("CARGO"))
        .args([
            "tree",
            "--locked",
            "--offline",
            "-e",
            "normal",
            "--prefix",
            "none",
        ])
        .args(["--format", "{p}", "-p", package])
        .current_dir(root())
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "cargo tree -p {package}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

#[test]
fn the_core_links_no_web_stack_and_no_tls() {
    let core = linked("ackreg-core");
    assert!(core.contains("typst"), "cargo tree gave: {core:?}");
    for web in [
        "tokio",
        "axum",
        "hyper",
        "hyper-util",
        "rustls",
        "tokio-rustls",
        "ureq",
    ] {
        assert!(!core.contains(web), "ackreg-core links {web}");
    }
    let desk = linked("ackreg-desk");
    assert!(desk.contains("axum") && desk.contains("ackreg-core"));
}

#[test]
fn the_tlog_crate_stands_alone() {
    let tlog = linked("c2sp-tlog");
    assert!(tlog.contains("ed25519-dalek"), "cargo tree gave: {tlog:?}");
    let ours: Vec<&String> = tlog
        .iter()
        .filter(|p| p.starts_with("ackreg") && *p != "c2sp-tlog")
        .collect();
    assert!(ours.is_empty(), "c2sp-tlog links {ours:?}");
    for file in rust_files(&root().join("crates/tlog/src")) {
        let code = code_of(&file);
        assert!(
            !code.to_lowercase().contains("ackreg"),
            "{} names ackreg outside its tests",
            file.display()
        );
    }
}

/// The string literals of Rust `code` (comments skipped), as written
/// between their quotes: plain, byte and raw strings; char literals and
/// lifetimes are stepped over.
fn string_literals(code: &str) -> Vec<String> {
    let chars: Vec<char> = code.chars().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match (chars[i], chars.get(i + 1).copied()) {
            ('/', Some('/')) => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            ('/', Some('*')) => {
                i += 2;
                while i + 1 < chars.len() && !(chars[i] == '*' && chars[i + 1] == '/') {
                    i += 1;
                }
                i += 2;
            }
            ('\'', _) => {
                // A char literal ('x', '\n', '\'', '"'), or a lifetime ('a).
                i += match (chars.get(i + 1), chars.get(i + 2)) {
                    (Some('\\'), _) => chars[i + 3..].iter().position(|&c| c == '\'').unwrap() + 4,
                    (Some(_), Some('\'')) => 3,
                    _ => 1,
                };
            }
            ('r', Some('"' | '#')) if raw_string_at(&chars, i) => {
                let hashes = chars[i + 1..].iter().take_while(|&&c| c == '#').count();
                let start = i + 2 + hashes;
                let close: String = std::iter::once('"')
                    .chain("#".repeat(hashes).chars())
                    .collect();
                let rest: String = chars[start..].iter().collect();
                let len = rest.find(&close).unwrap();
                found.push(rest[..len].to_string());
                i = start + rest[..len].chars().count() + close.len();
            }
            ('"', _) => {
                let mut text = String::new();
                i += 1;
                while chars[i] != '"' {
                    if chars[i] == '\\' {
                        text.push(chars[i]);
                        i += 1;
                    }
                    text.push(chars[i]);
                    i += 1;
                }
                found.push(text);
                i += 1;
            }
            _ => i += 1,
        }
    }
    found
}

/// Whether the `r` at `at` opens a raw string (`r"`, `r#"`, `br"`), not
/// a raw identifier (`r#type`) or the end of a name (`for"`).
fn raw_string_at(chars: &[char], at: usize) -> bool {
    let word_before = |i: usize| i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
    let prefix_ok = !word_before(at) || (chars[at - 1] == 'b' && !word_before(at - 1));
    let hashes = chars[at + 1..].iter().take_while(|&&c| c == '#').count();
    prefix_ok && chars.get(at + 1 + hashes) == Some(&'"')
}

/// What in `literal` names the command line: an option (`--name`), a
/// command (`` `ackreg verify` ``) or an environment variable of ours
/// (`ACKREG_PASSPHRASE`).
fn names_the_command_line(literal: &str) -> bool {
    let bytes = literal.as_bytes();
    let option = bytes.windows(3).enumerate().any(|(at, w)| {
        w[0] == b'-'
            && w[1] == b'-'
            && w[2].is_ascii_lowercase()
            && (at == 0 || bytes[at - 1] != b'-')
    });
    option || literal.contains("`ackreg ") || literal.contains("ACKREG_")
}

/// The text that file formats carry and that names a command on purpose:
/// the annex PDF's instruction to the auditor (part of its bytes).
const FORMAT_TEXT: [(&str, &str); 2] = [
    (
        "crates/core/src/log/annex.rs",
        "ackreg verify pielikums.pdf --issuer ",
    ),
    (
        "crates/core/src/register.rs",
        "ackreg verify pielikums.pdf --issuer ",
    ),
];

/// Issue 18, point 5: the libraries say what to do in words; only the
/// command line (`src/cmd`, its hints in `src/cmd/common/hints.rs`) names
/// its options, commands and environment variables. Unit tests are not
/// searched; the annex's instruction, a file format, is allowed.
#[test]
fn library_strings_name_no_option_of_the_command_line() {
    let mut found = Vec::new();
    for src in crate_sources()
        .into_iter()
        .filter(|s| s.starts_with(root().join("crates")))
    {
        for file in rust_files(&src) {
            let rel = file.strip_prefix(root()).unwrap().display().to_string();
            for literal in string_literals(&code_of(&file)) {
                let allowed = FORMAT_TEXT
                    .iter()
                    .any(|(f, text)| rel == *f && literal.starts_with(text));
                if names_the_command_line(&literal) && !allowed {
                    found.push(format!("{rel}: {literal:?}"));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "library strings naming the command line (say it in words; the CLI names \
         options in src/cmd/common/hints.rs):\n{}",
        found.join("\n")
    );
}

/// The reader sees the check at work on strings made for it.
#[test]
fn the_option_check_finds_an_option() {
    let code = r##"
        // "--in-a-comment" is not a string.
        let a = '"'; let b: &'static str = "pass --document";
        let c = r#"run `ackreg keygen`"#; let d = "set ACKREG_PASSPHRASE";
        let e = "-----BEGIN PUBLIC KEY-----"; let f = "in words \" quoted";
        let g = '\''; let h = br"raw \ --x";
    "##;
    let literals = string_literals(code);
    assert_eq!(
        literals,
        [
            "pass --document",
            "run `ackreg keygen`",
            "set ACKREG_PASSPHRASE",
            "-----BEGIN PUBLIC KEY-----",
            "in words \\\" quoted",
            "raw \\ --x",
        ]
    );
    let named: Vec<bool> = literals.iter().map(|l| names_the_command_line(l)).collect();
    assert_eq!(named, [true, true, true, false, false, true]);
}
