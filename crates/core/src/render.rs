//! Rendering: a rules template and its data become deterministic PDF bytes.
//!
//! A document's identity is the SHA-256 of its PDF, so the same template and
//! inputs must give the same bytes on every machine. This module therefore
//! uses only the fonts compiled into the binary, takes the PDF's date from
//! the template (never the clock), fixes the `/Creator`, and hands every
//! piece of user data to Typst as `sys.inputs` values, so that nothing a user
//! types is ever evaluated as markup.
//!
//! A template is a folder with `rules.typ` (the document's words) and,
//! optionally, its own `style.typ`; without one, the house style shipped in
//! the binary is used. Templates can read files only inside their folder.

use std::borrow::Cow;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use sha2::{Digest, Sha256};
use typst::diag::{FileError, FileResult, Severity, SourceDiagnostic};
use typst::foundations::{Array, Bytes, Dict, Smart, Value};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::Font;
use typst::World;
use typst::WorldExt;
use typst_as_lib::cached_file_resolver::CachedFileResolver;
use typst_as_lib::file_resolver::FileResolver;
use typst_as_lib::TypstEngine;
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards};

/// The house style, shipped in the binary.
pub const STYLE_TYP: &str = include_str!("../../../templates/style.typ");
/// The default document: the Aknīste client service centre rules.
pub const RULES_TYP: &str = include_str!("../../../templates/rules.typ");

/// The main file of every template.
pub const MAIN_FILE: &str = "rules.typ";
/// The style file a template may override.
pub const STYLE_FILE: &str = "style.typ";

/// Largest file a template may read (sources, images).
const MAX_TEMPLATE_FILE: u64 = 16 * 1024 * 1024;

/// The Typst version that renders (kept equal to Cargo.lock's by a test).
pub const TYPST_VERSION: &str = "0.15.1";

/// Who renders: ackreg's and Typst's versions. Pages rendered by another
/// renderer cannot be compared byte for byte.
pub fn renderer() -> String {
    format!(
        "ackreg {}, Typst {TYPST_VERSION}",
        env!("CARGO_PKG_VERSION")
    )
}

/// The `/Creator` written into every PDF.
const CREATOR: &str = concat!("ackreg ", env!("CARGO_PKG_VERSION"));

/// An error while loading a template or rendering it.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The template folder or its main file is missing or unreadable.
    #[error("cannot read template {}: {error}", path.display())]
    TemplateIo {
        /// The file or folder concerned.
        path: PathBuf,
        /// The underlying error.
        error: std::io::Error,
    },
    /// Typst reported errors in the template.
    #[error("{}", format_diagnostics(.0))]
    Template(Vec<Diagnostic>),
    /// The PDF could not be produced from the laid-out document.
    #[error("cannot produce the PDF: {0}")]
    Pdf(String),
}

impl crate::Hint for RenderError {
    fn hint(&self) -> Option<String> {
        match self {
            RenderError::TemplateIo { .. } => Some(format!(
                "a template is a folder holding {MAIN_FILE} (and optionally {STYLE_FILE}); \
                 or render the built-in document instead"
            )),
            RenderError::Template(d) => d
                .iter()
                .flat_map(|d| d.hints.first())
                .next()
                .cloned()
                .or_else(|| Some("fix the template at the place named above".into())),
            RenderError::Pdf(_) => Some(
                "a PDF/A document needs a date: set `date:` in the template's rules-document call"
                    .into(),
            ),
        }
    }
}

/// One Typst error or warning, located in a template file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file, relative to the template folder (or `<built-in>/…`).
    pub file: Option<String>,
    /// 1-based line and column.
    pub line: Option<(usize, usize)>,
    /// Typst's message.
    pub message: String,
    /// Typst's hints.
    pub hints: Vec<String>,
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.file, self.line) {
            (Some(file), Some((l, c))) => write!(f, "{file}:{l}:{c}: ")?,
            (Some(file), None) => write!(f, "{file}: ")?,
            _ => {}
        }
        f.write_str(&self.message)
    }
}

fn format_diagnostics(d: &[Diagnostic]) -> String {
    let mut s = String::from("template error");
    for (i, d) in d.iter().enumerate() {
        s.push_str(if i == 0 { ": " } else { "; " });
        s.push_str(&d.to_string());
    }
    s
}

/// What to render.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Mode {
    /// The rules with an empty annex to sign on paper.
    #[default]
    Rules,
    /// The annex alone, filled from the register's rows.
    Annex,
}

/// One row of the annex table. All fields are printed literally.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnnexRow {
    /// Nr.p.k.
    pub nr: String,
    /// Datums.
    pub date: String,
    /// KAC darbinieka vārds, uzvārds.
    pub name: String,
    /// Paraksts (for a digital register: key id and signature, shortened).
    pub signature: String,
    /// Piezīmes.
    pub notes: String,
}

/// A file attached to the PDF (PDF/A-3 associated file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// File name inside the PDF.
    pub name: String,
    /// The bytes.
    pub data: Vec<u8>,
    /// A human description.
    pub description: String,
}

/// Data for one rendering. Everything here reaches Typst as `sys.inputs`.
#[derive(Debug, Clone, Default)]
pub struct RenderInput {
    /// Rules or filled annex.
    pub mode: Mode,
    /// Annex rows.
    pub rows: Vec<AnnexRow>,
    /// Label and value pairs printed under the annex table (the register's
    /// particulars: hashes, key ids, sealing time).
    pub footer: Vec<(String, String)>,
    /// A file to attach (the register of `register/v1`, as JSON).
    pub attachment: Option<Attachment>,
    /// More files to attach, each with its MIME type (the log's annex).
    pub more_attachments: Vec<(Attachment, String)>,
}

/// A rendered PDF and what identifies it.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The PDF bytes.
    pub pdf: Vec<u8>,
    /// The document title from the template's metadata.
    pub title: String,
    /// SHA-256 of `pdf`.
    pub sha256: [u8; 32],
    /// Number of pages.
    pub pages: usize,
    /// The clauses and chapter headings as rendered, from the marks the
    /// house style's `clause` and `chapter` place (none when the template's
    /// own style places none); `changes` makes them clauses.
    pub marks: Vec<ClauseMark>,
}

/// One mark of a clause or chapter heading in a rendered document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClauseMark {
    /// A chapter heading (else a numbered clause).
    pub chapter: bool,
    /// The number as the mark gives it (may be empty).
    pub number: String,
    /// The text as rendered.
    pub text: String,
}

/// Which PDF to write: always PDF/A-3a, except when measuring.
#[derive(Debug, Clone, Copy)]
enum PdfProfile {
    A3a,
    Plain { tagged: bool },
}

/// The fonts shipped in the binary, loaded once per process.
fn fonts() -> &'static [Font] {
    static FONTS: OnceLock<Vec<Font>> = OnceLock::new();
    FONTS.get_or_init(|| {
        typst_assets::fonts()
            .flat_map(|data| Font::iter(Bytes::new(data)))
            .filter(|f| {
                let family = f.info().family.as_str();
                family == "Libertinus Serif" || family == "DejaVu Sans Mono"
            })
            .collect()
    })
}

/// A loaded template, ready to render any number of times.
pub struct Template {
    engine: TypstEngine,
    origin: Origin,
}

#[derive(Debug, Clone)]
enum Origin {
    BuiltIn,
    Dir(PathBuf),
}

impl std::fmt::Debug for Template {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Template")
            .field("origin", &self.origin)
            .finish()
    }
}

impl Template {
    /// The default document built into the binary.
    pub fn builtin() -> Template {
        Self::builtin_source(RULES_TYP)
    }

    /// A document built into the binary whose main file is `main` (the
    /// handout of what changed, say); it may import the house style.
    pub fn builtin_source(main: &'static str) -> Template {
        Self::with_resolver(TemplateFiles { dir: None, main }, Origin::BuiltIn)
    }

    /// The template folder `dir` when one is named ([`Template::from_dir`]),
    /// else the built-in document ([`Template::builtin`]).
    pub fn from_dir_or_builtin(dir: Option<&Path>) -> Result<Template, RenderError> {
        match dir {
            Some(dir) => Self::from_dir(dir),
            None => Ok(Self::builtin()),
        }
    }

    /// A template folder holding `rules.typ` and optionally `style.typ`.
    pub fn from_dir(dir: &Path) -> Result<Template, RenderError> {
        let io = |path: &Path, error| RenderError::TemplateIo {
            path: path.to_path_buf(),
            error,
        };
        let root = fs::canonicalize(dir).map_err(|e| io(dir, e))?;
        if !root.is_dir() {
            return Err(io(
                dir,
                std::io::Error::new(std::io::ErrorKind::NotADirectory, "not a folder"),
            ));
        }
        let main = root.join(MAIN_FILE);
        fs::metadata(&main).map_err(|e| io(&dir.join(MAIN_FILE), e))?;
        Ok(Self::with_resolver(
            TemplateFiles {
                dir: Some(root.clone()),
                main: RULES_TYP,
            },
            Origin::Dir(dir.to_path_buf()),
        ))
    }

    fn with_resolver(files: TemplateFiles, origin: Origin) -> Template {
        let engine = TypstEngine::builder()
            .fonts(fonts().iter().cloned())
            .add_file_resolver(
                CachedFileResolver::new(files)
                    .with_in_memory_source_cache()
                    .with_in_memory_binary_cache(),
            )
            .comemo_evict_max_age(None)
            .build();
        Template { engine, origin }
    }

    /// Renders the template with `input` into PDF bytes.
    pub fn render(&self, input: &RenderInput) -> Result<Rendered, RenderError> {
        self.render_as(input, PdfProfile::A3a)
    }

    /// Renders as [`Template::render`] does, but as a plain PDF (no PDF/A),
    /// tagged or not. Only for measuring what tagging costs in size
    /// (`cargo bench`, docs/PERFORMANCE.md): ackreg never writes these.
    #[doc(hidden)]
    pub fn render_plain_for_measurement(
        &self,
        input: &RenderInput,
        tagged: bool,
    ) -> Result<Rendered, RenderError> {
        self.render_as(input, PdfProfile::Plain { tagged })
    }

    /// Renders the template with `inputs` as its `sys.inputs`, for a
    /// document of the library's own (the handout of what changed) whose
    /// inputs are not a [`RenderInput`].
    pub(crate) fn render_inputs(&self, inputs: Dict) -> Result<Rendered, RenderError> {
        self.render_dict(inputs, PdfProfile::A3a)
    }

    fn render_as(&self, input: &RenderInput, profile: PdfProfile) -> Result<Rendered, RenderError> {
        self.render_dict(to_inputs(input), profile)
    }

    fn render_dict(&self, inputs: Dict, profile: PdfProfile) -> Result<Rendered, RenderError> {
        let main = file_id(MAIN_FILE);
        let world = self
            .engine
            .world_builder(main)
            .with_inputs(inputs)
            .build()
            .map_err(|e| {
                RenderError::Template(vec![Diagnostic {
                    file: None,
                    line: None,
                    message: e.to_string(),
                    hints: vec![],
                }])
            })?;
        let warned = typst::compile::<PagedDocument>(&world);
        let result = match warned.output {
            Ok(doc) => self.export(&world, &doc, profile),
            Err(errors) => Err(RenderError::Template(
                errors
                    .iter()
                    .filter(|d| d.severity == Severity::Error)
                    .map(|d| self.diagnostic(&world, d))
                    .collect(),
            )),
        };
        comemo::evict(10);
        result
    }

    fn export(
        &self,
        world: &dyn World,
        doc: &PagedDocument,
        profile: PdfProfile,
    ) -> Result<Rendered, RenderError> {
        use typst::model::Document;
        let title = doc
            .info()
            .title
            .as_ref()
            .map(|t| t.to_string())
            .unwrap_or_default();
        let (wanted, tagged): (&[PdfStandard], bool) = match profile {
            PdfProfile::A3a => (&[PdfStandard::A_3a], true),
            PdfProfile::Plain { tagged } => (&[], tagged),
        };
        let standards =
            PdfStandards::new(wanted).map_err(|e| RenderError::Pdf(e.message().to_string()))?;
        let options = PdfOptions {
            ident: Smart::Custom(format!("ackreg:{title}")),
            creator: Smart::Custom(Some(CREATOR.to_string())),
            timestamp: None,
            page_ranges: None,
            standards,
            tagged,
            pretty: false,
        };
        let pdf = typst_pdf::pdf(doc, &options).map_err(|errors| {
            let msgs: Vec<String> = errors
                .iter()
                .map(|d| self.diagnostic(world, d).to_string())
                .collect();
            RenderError::Pdf(msgs.join("; "))
        })?;
        let sha256 = Sha256::digest(&pdf).into();
        Ok(Rendered {
            pdf,
            title,
            sha256,
            pages: doc.pages().len(),
            marks: clause_marks(doc),
        })
    }

    fn diagnostic(&self, world: &dyn World, d: &SourceDiagnostic) -> Diagnostic {
        let (file, line) = match d.span.id() {
            Some(id) => {
                let name = id.vpath().get_without_slash().to_string();
                let name = match &self.origin {
                    Origin::Dir(dir) if dir.join(&name).exists() => {
                        dir.join(&name).display().to_string()
                    }
                    _ => format!("<built-in>/{name}"),
                };
                let line = world.range(d.span).and_then(|r| {
                    world
                        .source(id)
                        .ok()?
                        .lines()
                        .byte_to_line_column(r.start)
                        .map(|(l, c)| (l + 1, c + 1))
                });
                (Some(name), line)
            }
            None => (None, None),
        };
        Diagnostic {
            file,
            line,
            message: d.message.to_string(),
            hints: d.hints.iter().map(|h| h.v.to_string()).collect(),
        }
    }
}

/// The label of the marks that `clause` and `chapter` place (style.typ).
pub const CLAUSE_MARK: &str = "ackreg-clause";

/// The clauses of a compiled document, in document order: each mark is a
/// `metadata` of a dictionary `(kind, number, body)`, the body content or a
/// string. Marks of another shape are passed over.
fn clause_marks(doc: &PagedDocument) -> Vec<ClauseMark> {
    use typst::foundations::{Label, Selector};
    use typst::introspection::{Introspector, MetadataElem};
    let Some(label) = Label::new(typst::utils::PicoStr::intern(CLAUSE_MARK)) else {
        return Vec::new();
    };
    let text = |v: &Value| match v {
        Value::Str(s) => Some(s.to_string()),
        Value::Content(c) => Some(c.plain_text().to_string()),
        _ => None,
    };
    doc.introspector()
        .query(&Selector::Label(label))
        .iter()
        .filter_map(|c| {
            let Value::Dict(d) = &c.to_packed::<MetadataElem>()?.value else {
                return None;
            };
            let chapter = matches!(d.get("kind").ok()?, Value::Str(k) if k.as_str() == "chapter");
            let number = d.get("number").ok().and_then(text).unwrap_or_default();
            Some(ClauseMark {
                chapter,
                number,
                text: text(d.get("body").ok()?)?,
            })
        })
        .collect()
}

/// Renders the built-in document with no data: the rules and an empty annex.
pub fn render_default() -> Result<Rendered, RenderError> {
    Template::builtin().render(&RenderInput::default())
}

fn file_id(name: &str) -> FileId {
    match VirtualPath::new(name) {
        Ok(vpath) => RootedPath::new(VirtualRoot::Project, vpath).intern(),
        // The names passed here are constants that are valid paths.
        Err(_) => unreachable!("invalid built-in virtual path {name}"),
    }
}

fn str_value(s: &str) -> Value {
    Value::Str(s.into())
}

/// Building `sys.inputs` for the documents built into the binary (the
/// handout of what changed, the status report): every value a string,
/// number or dictionary, printed as text by the Typst source, never
/// evaluated as markup.
pub(crate) mod inputs {
    use typst::foundations::{Dict, Value};

    /// A string.
    pub(crate) fn s(v: &str) -> Value {
        super::str_value(v)
    }

    /// A count.
    pub(crate) fn n(x: usize) -> Value {
        Value::Int(i64::try_from(x).unwrap_or(i64::MAX))
    }

    /// A dictionary of these pairs.
    pub(crate) fn dict<const N: usize>(pairs: [(&str, Value); N]) -> Value {
        let mut d = Dict::new();
        for (k, v) in pairs {
            d.insert(k.into(), v);
        }
        Value::Dict(d)
    }

    /// Inserts the PDF's date as `year`, `month`, `day` (2000-01-01 when
    /// there is none).
    pub(crate) fn insert_date(d: &mut Dict, date: Option<time::Date>) {
        let (year, month, day) = date.map_or((2000, 1, 1), |t| {
            (
                i64::from(t.year()),
                i64::from(u8::from(t.month())),
                i64::from(t.day()),
            )
        });
        d.insert("year".into(), Value::Int(year));
        d.insert("month".into(), Value::Int(month));
        d.insert("day".into(), Value::Int(day));
    }
}

fn to_inputs(input: &RenderInput) -> Dict {
    let mut d = Dict::new();
    let mode = match input.mode {
        Mode::Rules => "rules",
        Mode::Annex => "annex",
    };
    d.insert("mode".into(), str_value(mode));
    let rows: Array = input
        .rows
        .iter()
        .map(|r| {
            let mut row = Dict::new();
            row.insert("nr".into(), str_value(&r.nr));
            row.insert("date".into(), str_value(&r.date));
            row.insert("name".into(), str_value(&r.name));
            row.insert("signature".into(), str_value(&r.signature));
            row.insert("notes".into(), str_value(&r.notes));
            Value::Dict(row)
        })
        .collect();
    d.insert("rows".into(), Value::Array(rows));
    let footer: Array = input
        .footer
        .iter()
        .map(|(label, value)| {
            let mut pair = Dict::new();
            pair.insert("label".into(), str_value(label));
            pair.insert("value".into(), str_value(value));
            Value::Dict(pair)
        })
        .collect();
    d.insert("footer".into(), Value::Array(footer));
    if let Some(a) = &input.attachment {
        d.insert("attachment-name".into(), str_value(&a.name));
        d.insert(
            "attachment-data".into(),
            Value::Bytes(Bytes::new(a.data.clone())),
        );
        d.insert("attachment-description".into(), str_value(&a.description));
    }
    if !input.more_attachments.is_empty() {
        let more: Array = input
            .more_attachments
            .iter()
            .map(|(a, mime)| {
                let mut file = Dict::new();
                file.insert("name".into(), str_value(&a.name));
                file.insert("data".into(), Value::Bytes(Bytes::new(a.data.clone())));
                file.insert("description".into(), str_value(&a.description));
                file.insert("mime".into(), str_value(mime));
                Value::Dict(file)
            })
            .collect();
        d.insert("more-attachments".into(), Value::Array(more));
    }
    d
}

/// Resolves a template's files: from its folder (confined to it), falling
/// back to the built-in style and document.
struct TemplateFiles {
    dir: Option<PathBuf>,
    /// The built-in main file (the rules, unless another document).
    main: &'static str,
}

impl TemplateFiles {
    fn builtin(&self, name: &str) -> Option<&'static str> {
        match name {
            STYLE_FILE => Some(STYLE_TYP),
            MAIN_FILE => Some(self.main),
            _ => None,
        }
    }

    fn read(&self, id: FileId) -> FileResult<Cow<'static, [u8]>> {
        let name = id.vpath().get_without_slash();
        if matches!(id.root(), VirtualRoot::Package(_)) {
            return Err(FileError::Other(Some(
                "packages are not available: templates are self-contained".into(),
            )));
        }
        if let Some(root) = &self.dir {
            let wanted = root.join(name);
            match fs::canonicalize(&wanted) {
                Ok(real) => {
                    if !real.starts_with(root) {
                        return Err(FileError::AccessDenied);
                    }
                    let meta = fs::metadata(&real).map_err(|e| FileError::from_io(e, &real))?;
                    if meta.len() > MAX_TEMPLATE_FILE {
                        return Err(FileError::Other(Some("file too large".into())));
                    }
                    return fs::read(&real)
                        .map(Cow::Owned)
                        .map_err(|e| FileError::from_io(e, &real));
                }
                // Only the style may fall back to the built-in one; a
                // template's main file must be its own.
                Err(_) if name == STYLE_FILE => {}
                Err(e) => return Err(FileError::from_io(e, &wanted)),
            }
        }
        self.builtin(name)
            .map(|s| Cow::Borrowed(s.as_bytes()))
            .ok_or_else(|| FileError::NotFound(name.into()))
    }
}

impl FileResolver for TemplateFiles {
    fn resolve_binary(&self, id: FileId) -> FileResult<Cow<'_, Bytes>> {
        let bytes = self.read(id)?;
        Ok(Cow::Owned(match bytes {
            Cow::Borrowed(b) => Bytes::new(b),
            Cow::Owned(v) => Bytes::new(v),
        }))
    }

    fn resolve_source(&self, id: FileId) -> FileResult<Cow<'_, Source>> {
        let bytes = self.read(id)?;
        let text = std::str::from_utf8(&bytes).map_err(|_| FileError::InvalidUtf8)?;
        let text = text.trim_start_matches('\u{feff}');
        Ok(Cow::Owned(Source::new(id, text.to_owned())))
    }
}
