//! A template uploaded as a ZIP file: read by the eDoc reader's strict ZIP
//! rules ([`crate::edoc::read_plain`]), extracted to a fresh temporary
//! folder, then loaded and rendered exactly as `--template DIR` is
//! ([`crate::render::Template::from_dir`]: a template that reads outside
//! its folder fails to render).
//!
//! Refused before anything is written: a ZIP over [`MAX_TEMPLATE_ZIP`],
//! more than [`MAX_TEMPLATE_ENTRIES`] entries, an entry over
//! [`MAX_TEMPLATE_ENTRY`] or all of them over [`MAX_TEMPLATE_TOTAL`] once
//! inflated, an entry that expands more than [`MAX_TEMPLATE_RATIO`] times
//! (a ZIP bomb; what is inflated is counted, never the header's claim),
//! an absolute name or one with `..`, a symbolic link or any other entry
//! that is not a regular file or a folder.

use std::path::{Path, PathBuf};

use crate::edoc::{self, EdocError, Limits, ZipKind};
use crate::render::{RenderError, RenderInput, Rendered, Template, MAIN_FILE};

/// Largest template ZIP file.
pub const MAX_TEMPLATE_ZIP: usize = 16 << 20;
/// Most entries (files and folders) in a template ZIP.
pub const MAX_TEMPLATE_ENTRIES: usize = 256;
/// Largest file in a template once inflated (what a template may read).
pub const MAX_TEMPLATE_ENTRY: u64 = 16 << 20;
/// Largest total of a template's files once inflated.
pub const MAX_TEMPLATE_TOTAL: u64 = 64 << 20;
/// The most an entry over 1 MiB may expand.
pub const MAX_TEMPLATE_RATIO: u64 = 100;

/// Why a template ZIP or folder is refused.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// The ZIP is refused by its structure, a name, a size or its ratio.
    #[error("the template ZIP is refused: {0}")]
    Zip(#[source] EdocError),
    /// A symbolic link.
    #[error("the template ZIP holds a symbolic link: {0}")]
    Link(String),
    /// A device, pipe or other entry that is no file or folder.
    #[error("the template ZIP holds an entry that is not a regular file: {0}")]
    NotAFile(String),
    /// No `rules.typ` at its top (or in its one top folder).
    #[error("the template has no {MAIN_FILE} at its top")]
    NoMain,
    /// The temporary folder could not be written.
    #[error("cannot extract the template: {0}")]
    Io(#[source] std::io::Error),
    /// It does not render (reading outside its folder among the reasons).
    #[error(transparent)]
    Render(RenderError),
}

impl crate::Hint for TemplateError {
    fn hint(&self) -> Option<String> {
        match self {
            TemplateError::Render(e) => e.hint(),
            TemplateError::Io(_) => None,
            _ => Some(format!(
                "zip the template's folder ({MAIN_FILE}, optionally style.typ and images) with \
                 its files only, no links"
            )),
        }
    }
}

/// The ZIP limits of a template.
pub fn limits() -> Limits {
    Limits {
        container: MAX_TEMPLATE_ZIP as u64,
        entry: MAX_TEMPLATE_ENTRY,
        total: MAX_TEMPLATE_TOTAL,
        entries: MAX_TEMPLATE_ENTRIES,
        ratio: MAX_TEMPLATE_RATIO,
        xml: MAX_TEMPLATE_ENTRY,
    }
}

/// A template extracted to its own temporary folder (removed on drop).
#[derive(Debug)]
pub struct Extracted {
    dir: tempfile::TempDir,
    root: PathBuf,
}

impl Extracted {
    /// The template's folder (holding `rules.typ`).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The temporary folder it was extracted to.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

/// Checks every entry of the template ZIP `zip`, then writes its files to
/// a fresh temporary folder.
pub fn extract(zip: &[u8]) -> Result<Extracted, TemplateError> {
    let entries = edoc::read_plain(zip, &limits()).map_err(TemplateError::Zip)?;
    for e in &entries {
        let name = crate::text::printable(&e.name, 200);
        match e.kind {
            ZipKind::File | ZipKind::Folder => {}
            ZipKind::Link => return Err(TemplateError::Link(name)),
            ZipKind::Other => return Err(TemplateError::NotAFile(name)),
        }
    }
    let root = main_folder(&entries).ok_or(TemplateError::NoMain)?;
    let dir = tempfile::Builder::new()
        .prefix("ackreg-template-")
        .tempdir()
        .map_err(TemplateError::Io)?;
    for e in entries.iter().filter(|e| e.kind == ZipKind::File) {
        write_new(dir.path(), &e.name, &e.bytes).map_err(TemplateError::Io)?;
    }
    let root = dir.path().join(root);
    Ok(Extracted { dir, root })
}

/// Where `rules.typ` is: at the top, or in the one folder that holds every
/// file (a zipped folder).
fn main_folder(entries: &[edoc::ZipEntry]) -> Option<String> {
    let files: Vec<&str> = entries
        .iter()
        .filter(|e| e.kind == ZipKind::File)
        .map(|e| e.name.as_str())
        .collect();
    if files.contains(&MAIN_FILE) {
        return Some(String::new());
    }
    let (top, _) = files.first()?.split_once('/')?;
    let prefix = format!("{top}/");
    let one = files.iter().all(|f| f.starts_with(&prefix));
    (one && files.contains(&format!("{prefix}{MAIN_FILE}").as_str())).then(|| top.to_string())
}

/// Writes one file under `dir`, its folders made; never over a file.
fn write_new(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)?;
    std::io::Write::write_all(&mut f, bytes)
}

/// Renders the template folder `dir` as `log publish --template DIR` does.
pub fn render_dir(dir: &Path) -> Result<Rendered, TemplateError> {
    let template = Template::from_dir(dir).map_err(TemplateError::Render)?;
    template
        .render(&RenderInput::default())
        .map_err(TemplateError::Render)
}

/// Extracts and renders the template ZIP `zip`; the folder is removed.
pub fn render_zip(zip: &[u8]) -> Result<Rendered, TemplateError> {
    let extracted = extract(zip)?;
    render_dir(extracted.root())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use flate2::{Compression, Crc};

    /// One entry to zip: name, content, Unix mode (0: none recorded),
    /// compressed, and a size to claim instead of the real one.
    pub(crate) struct Item<'a> {
        pub name: &'a str,
        pub data: Vec<u8>,
        pub mode: u32,
        pub deflate: bool,
        pub claim: Option<u32>,
    }

    pub(crate) fn file(name: &str, data: &[u8]) -> Item<'static> {
        Item {
            name: Box::leak(name.to_string().into_boxed_str()),
            data: data.to_vec(),
            mode: 0o100644,
            deflate: true,
            claim: None,
        }
    }

    /// A plain ZIP of `items`, made by "Unix".
    pub(crate) fn zip(items: &[Item]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut central = Vec::new();
        for it in items {
            let data = if it.deflate {
                let mut e = flate2::write::DeflateEncoder::new(Vec::new(), Compression::best());
                std::io::Write::write_all(&mut e, &it.data).unwrap();
                e.finish().unwrap()
            } else {
                it.data.clone()
            };
            let mut crc = Crc::new();
            crc.update(&it.data);
            let size = it.claim.unwrap_or(it.data.len() as u32);
            let method: u16 = if it.deflate { 8 } else { 0 };
            let offset = out.len() as u32;
            let name = it.name.as_bytes();
            let mut common = Vec::new();
            common.extend_from_slice(&0u16.to_le_bytes()); // flags
            common.extend_from_slice(&method.to_le_bytes());
            common.extend_from_slice(&[0, 0, 0x21, 0]); // time, date
            common.extend_from_slice(&crc.sum().to_le_bytes());
            common.extend_from_slice(&(data.len() as u32).to_le_bytes());
            common.extend_from_slice(&size.to_le_bytes());
            common.extend_from_slice(&(name.len() as u16).to_le_bytes());
            common.extend_from_slice(&0u16.to_le_bytes()); // extra
            out.extend_from_slice(&0x04034b50u32.to_le_bytes());
            out.extend_from_slice(&20u16.to_le_bytes());
            out.extend_from_slice(&common);
            out.extend_from_slice(name);
            out.extend_from_slice(&data);
            central.extend_from_slice(&0x02014b50u32.to_le_bytes());
            central.extend_from_slice(&((3u16 << 8) | 20).to_le_bytes());
            central.extend_from_slice(&20u16.to_le_bytes());
            central.extend_from_slice(&common);
            central.extend_from_slice(&[0, 0, 0, 0, 0, 0]); // comment, disk, internal
            central.extend_from_slice(&(it.mode << 16).to_le_bytes());
            central.extend_from_slice(&offset.to_le_bytes());
            central.extend_from_slice(name);
        }
        let at = out.len() as u32;
        out.extend_from_slice(&central);
        out.extend_from_slice(&0x06054b50u32.to_le_bytes());
        out.extend_from_slice(&[0, 0, 0, 0]);
        out.extend_from_slice(&(items.len() as u16).to_le_bytes());
        out.extend_from_slice(&(items.len() as u16).to_le_bytes());
        out.extend_from_slice(&(central.len() as u32).to_le_bytes());
        out.extend_from_slice(&at.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out
    }

    pub(crate) const RULES: &[u8] =
        br#"#set document(title: "Tests noteikumi", date: datetime(year: 2026, month: 1, day: 2))
1. Pirmais punkts.
"#;
    #[test]
    fn a_zipped_template_renders_at_the_top_or_in_one_folder() {
        let top = render_zip(&zip(&[file("rules.typ", RULES)])).unwrap();
        let folder = render_zip(&zip(&[
            Item {
                name: "mana/",
                data: vec![],
                mode: 0o040755,
                deflate: false,
                claim: None,
            },
            file("mana/rules.typ", RULES),
        ]))
        .unwrap();
        assert_eq!(top.sha256, folder.sha256);
        assert!(top.pages >= 1);
    }

    fn refused(items: &[Item]) -> TemplateError {
        render_zip(&zip(items)).unwrap_err()
    }

    #[test]
    fn names_leading_out_are_refused() {
        for name in [
            "../rules.typ",
            "a/../../x.typ",
            "/etc/rules.typ",
            "C:/x.typ",
        ] {
            let e = refused(&[file("rules.typ", RULES), file(name, b"x")]);
            assert!(
                matches!(e, TemplateError::Zip(EdocError::UnsafeName { .. })),
                "{name}: {e}"
            );
        }
    }

    #[test]
    fn links_and_devices_are_refused() {
        let link = Item {
            name: "style.typ",
            data: b"/etc/passwd".to_vec(),
            mode: 0o120777,
            deflate: false,
            claim: None,
        };
        let e = refused(&[file("rules.typ", RULES), link]);
        assert!(
            matches!(e, TemplateError::Link(ref n) if n == "style.typ"),
            "{e}"
        );
        let fifo = Item {
            name: "pipe",
            data: vec![],
            mode: 0o010644,
            deflate: false,
            claim: None,
        };
        assert!(matches!(
            refused(&[file("rules.typ", RULES), fifo]),
            TemplateError::NotAFile(_)
        ));
    }

    #[test]
    fn bombs_and_lies_are_refused() {
        // 8 MiB of zeros deflate to a few KB: over the ratio.
        let bomb = file("bomb.bin", &vec![0u8; 8 << 20]);
        let e = refused(&[file("rules.typ", RULES), bomb]);
        assert!(
            matches!(e, TemplateError::Zip(EdocError::Bomb { .. })),
            "{e}"
        );
        // Over the entry's limit, refused before it is inflated.
        let mut big = file("big.bin", b"");
        big.data = vec![0u8; 1024];
        big.claim = Some((MAX_TEMPLATE_ENTRY + 1) as u32);
        let e = refused(&[file("rules.typ", RULES), big]);
        assert!(
            matches!(e, TemplateError::Zip(EdocError::TooLarge { .. })),
            "{e}"
        );
        // A header that claims less than the data inflates to: what is
        // inflated is counted, and it stops at the claim.
        let mut liar = file("liar.bin", &vec![7u8; 100_000]);
        liar.claim = Some(10);
        let e = refused(&[file("rules.typ", RULES), liar]);
        assert!(
            matches!(e, TemplateError::Zip(EdocError::Damaged(_))),
            "{e}"
        );
    }

    #[test]
    fn too_many_entries_no_main_and_not_a_zip_are_refused() {
        let names: Vec<String> = (0..=MAX_TEMPLATE_ENTRIES)
            .map(|i| format!("f{i}"))
            .collect();
        let mut items: Vec<Item> = names.iter().map(|n| file(n, b"x")).collect();
        items.push(file("rules.typ", RULES));
        assert!(matches!(
            refused(&items),
            TemplateError::Zip(EdocError::TooManyEntries(_))
        ));
        assert!(matches!(
            refused(&[file("main.typ", RULES)]),
            TemplateError::NoMain
        ));
        assert!(matches!(
            render_zip(b"not a zip").unwrap_err(),
            TemplateError::Zip(EdocError::NotZip(_))
        ));
        let mut huge = zip(&[file("rules.typ", RULES)]);
        huge.resize(MAX_TEMPLATE_ZIP + 1, 0);
        assert!(matches!(
            render_zip(&huge).unwrap_err(),
            TemplateError::Zip(EdocError::TooLarge { .. })
        ));
    }

    #[test]
    fn a_template_reading_outside_its_folder_does_not_render() {
        for reader in [
            "#read(\"../../../etc/passwd\")",
            "#read(\"/../secret.txt\")",
        ] {
            let e = refused(&[file("rules.typ", reader.as_bytes())]);
            assert!(matches!(e, TemplateError::Render(_)), "{reader}: {e}");
        }
    }
}
