//! eDoc (ASiC-E) containers: how ackreg's files reach legal standing in Latvia.
//!
//! The administration exports the acknowledgement log and its PDFs into an
//! eDoc container, an ASiC-E container of ETSI EN 319 162-1, and seals it with
//! the municipality's qualified e-seal in DigiDoc4 or eParaksts. This module
//! writes that container unsigned, and reads a container back, sealed or not:
//! its files and, for every XAdES signature in it, who signed, when, and which
//! files the signature names.
//!
//! ackreg does not validate these signatures. It neither checks the
//! cryptography nor the certificates, their revocation or their
//! qualification: whether a seal has legal standing is decided by DigiDoc4 or
//! eParaksts, and what [`read`] lists is only what the container says. What
//! it does check, in [`seals`], is that every file a signature names is in
//! the container with the digest the signature records for it.
//!
//! The writer is reproducible: the same files give the same bytes (entries in
//! the given order, the ZIP time 1980-01-01 00:00, fixed permissions, no extra
//! fields, the same compression for a given build). It writes the ZIP itself,
//! so that every byte is chosen here. The reader is strict: it refuses
//! anything but a plain ZIP laid out entry after entry, checks every size
//! against [`Limits`] before inflating, and names what it refuses.

use std::collections::{HashMap, HashSet};
use std::io::Write as _;

use base64::Engine as _;
use flate2::{Compression, Crc, Decompress, FlushDecompress, Status};
use roxmltree::{Document, Node, ParsingOptions};
use x509_cert::der::Decode as _;

pub mod seals;

/// The media type of an ASiC-E container, and the exact content of its
/// `mimetype` entry.
pub const MIMETYPE: &str = "application/vnd.etsi.asic-e+zip";

const MIMETYPE_ENTRY: &str = "mimetype";
const META_INF: &str = "META-INF/";
const MANIFEST_ENTRY: &str = "META-INF/manifest.xml";
const MANIFEST_NS: &str = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0";
const ASIC_NS: &str = "http://uri.etsi.org/02918/v1.2.1#";
const DS_NS: &str = "http://www.w3.org/2000/09/xmldsig#";
const XADES_NS: &str = "http://uri.etsi.org/01903/v1.3.2#";

/// The longest file name [`write`] accepts, in bytes.
pub const MAX_NAME: usize = 255;
/// The longest entry name [`read`] accepts, in bytes.
const MAX_ENTRY_NAME: usize = 1024;
/// The longest signer name or reference [`read`] accepts, in characters.
const MAX_TEXT: usize = 1024;
/// The most XML nodes in one manifest or signature file.
const MAX_XML_NODES: u32 = 1_000_000;
/// Entries up to this size may have any compression ratio.
const RATIO_FLOOR: u64 = 1 << 20;

/// One file in a container: a data file that the signatures cover.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerFile {
    /// The name inside the container, `/` between folder names.
    pub name: String,
    /// Its media type, as listed in the manifest (`application/pdf`).
    pub mime: String,
    /// Its content.
    pub bytes: Vec<u8>,
}

/// What [`read`] found in a container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Container {
    /// The data files, in the order of the ZIP.
    pub files: Vec<ContainerFile>,
    /// Every `ds:Signature` of every signature file, in the order of the ZIP.
    pub signatures: Vec<SignatureInfo>,
    /// The other files in `META-INF/` (neither the manifest nor XAdES
    /// signatures), which ackreg does not read: DigiDoc4, for one, may add
    /// `META-INF/ASiCArchiveManifest.xml`.
    pub unread: Vec<String>,
}

/// What a XAdES signature says about itself. Nothing here is verified:
/// these are the signature's claims, as untrusted as the file that holds them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureInfo {
    /// The signature file in the container (`META-INF/signatures0.xml`).
    pub file: String,
    /// The subject common name of the certificate in `ds:KeyInfo` (its
    /// whole subject when it has no common name), or `None` when the
    /// signature carries no certificate.
    pub signer: Option<String>,
    /// `xades:SigningTime` as written (`2026-11-27T10:00:00Z`), if present.
    pub signing_time: Option<String>,
    /// The signature's `ds:Reference`s to files, in their order; the
    /// reference to the signed properties is left out.
    pub references: Vec<Reference>,
}

impl SignatureInfo {
    /// The files the signature's references name (not checked: see
    /// [`seals::check`]).
    pub fn covers(&self) -> Vec<&str> {
        self.references.iter().map(|r| r.file.as_str()).collect()
    }
}

/// What one `ds:Reference` to a file says, as untrusted as the signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// The file it names: its `URI`, percent-decoded.
    pub file: String,
    /// The `Algorithm` of its `ds:DigestMethod`, if it has one.
    pub method: Option<String>,
    /// Its `ds:DigestValue`, base64-decoded, if it has one that decodes.
    pub digest: Option<Vec<u8>>,
    /// Whether it has `ds:Transforms` (for a data file, ackreg applies none).
    pub transforms: bool,
}

/// Size limits of [`read`] (and of [`write`], so that ackreg reads back
/// every container it writes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// The whole container, in bytes.
    pub container: u64,
    /// One entry once inflated, in bytes.
    pub entry: u64,
    /// All entries once inflated, in bytes.
    pub total: u64,
    /// The number of entries (`mimetype` and `META-INF/` included).
    pub entries: usize,
    /// The most an entry over 1 MiB may expand when inflated (a
    /// decompression bomb expands up to a thousand times).
    pub ratio: u64,
    /// The manifest or one signature file, in bytes.
    pub xml: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            container: 512 << 20,
            entry: 256 << 20,
            total: 1 << 30,
            entries: 65_535,
            ratio: 100,
            xml: 16 << 20,
        }
    }
}

/// An error in writing or reading an eDoc container.
#[derive(Debug, thiserror::Error)]
pub enum EdocError {
    /// A container needs at least one data file.
    #[error("an eDoc container needs at least one data file")]
    NoFiles,
    /// A file name that [`write`] refuses.
    #[error("file name \"{name}\" {reason}")]
    BadName {
        /// The name, made printable.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `mimetype` and `META-INF/` belong to the container itself.
    #[error("file name \"{0}\" is reserved for the container's own entries (mimetype, META-INF/)")]
    ReservedName(String),
    /// The same file name twice.
    #[error("file name \"{0}\" is given twice")]
    DuplicateName(String),
    /// Two names that cannot both be extracted.
    #[error("file names \"{first}\" and \"{second}\" clash: {reason}")]
    NameClash {
        /// The first name.
        first: String,
        /// The second name.
        second: String,
        /// Why they clash.
        reason: &'static str,
    },
    /// A media type that is not `type/subtype`.
    #[error("media type \"{mime}\" of \"{name}\" is not of the form type/subtype")]
    BadMediaType {
        /// The file.
        name: String,
        /// The media type, made printable.
        mime: String,
    },
    /// Something is over its limit in [`Limits`].
    #[error("{what} is larger than {limit} bytes")]
    TooLarge {
        /// What is too large.
        what: String,
        /// The limit.
        limit: u64,
    },
    /// More entries than [`Limits::entries`].
    #[error("the container has more than {0} entries")]
    TooManyEntries(usize),
    /// Compressing a file failed.
    #[error("cannot compress \"{name}\"")]
    Compress {
        /// The file.
        name: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The bytes are not a ZIP file, or it is cut short at the end.
    #[error("not an eDoc container: {0}")]
    NotZip(&'static str),
    /// The ZIP structure is damaged or cut short.
    #[error("damaged container: {0}")]
    Damaged(String),
    /// A ZIP feature that eDoc containers do not use.
    #[error("unsupported ZIP feature: {0}")]
    Unsupported(String),
    /// An entry that would expand more than [`Limits::ratio`] times.
    #[error("entry \"{name}\" would expand more than {ratio} times (a decompression bomb?)")]
    Bomb {
        /// The entry.
        name: String,
        /// The limit.
        ratio: u64,
    },
    /// An entry name that could write outside the folder it is extracted to.
    #[error("entry name \"{name}\" {reason}")]
    UnsafeName {
        /// The name, made printable.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The same entry name twice.
    #[error("entry \"{0}\" appears twice")]
    DuplicateEntry(String),
    /// The first entry is not a stored `mimetype`.
    #[error("not an eDoc container: {0}")]
    Mimetype(String),
    /// The `mimetype` entry holds another media type.
    #[error(
        "not an eDoc container: the mimetype is \"{0}\", not \"application/vnd.etsi.asic-e+zip\""
    )]
    WrongMimetype(String),
    /// There is no `META-INF/manifest.xml`.
    #[error("not an eDoc container: it has no META-INF/manifest.xml")]
    ManifestMissing,
    /// The manifest is not the manifest of an ASiC-E container.
    #[error("the manifest {0}")]
    Manifest(String),
    /// The manifest and the data files differ.
    #[error("the manifest does not list exactly the data files: {0}")]
    ManifestMismatch(String),
    /// An XML file that is not UTF-8.
    #[error("{0} is not UTF-8 text")]
    NotUtf8(String),
    /// An XML file with a document type declaration.
    #[error("{0} has a DTD, which is not allowed")]
    Dtd(String),
    /// An XML file that does not parse.
    #[error("{file} is not well-formed XML")]
    Xml {
        /// The entry.
        file: String,
        /// Why.
        #[source]
        source: roxmltree::Error,
    },
    /// A signature file that is not what XAdES signatures look like.
    #[error("{file}: {detail}")]
    Signature {
        /// The entry.
        file: String,
        /// What is wrong.
        detail: String,
    },
    /// A signer's certificate that does not parse.
    #[error("{file}: signature {index}: the signer's certificate cannot be read")]
    Certificate {
        /// The entry.
        file: String,
        /// The signature's position in the file, from 1.
        index: usize,
        /// Why.
        #[source]
        source: x509_cert::der::Error,
    },
}

impl crate::Hint for EdocError {
    fn hint(&self) -> Option<String> {
        use EdocError as E;
        let hint = match self {
            E::NoFiles => "give the files to put into the container",
            E::BadName { .. } | E::NameClash { .. } | E::DuplicateName(_) => {
                "rename the file: letters A-Z a-z, digits, - . _ ~ and / between folder names, \
                 every name different even when upper and lower case are not told apart"
            }
            E::ReservedName(_) => {
                "name the file differently: mimetype and META-INF/ belong to the container"
            }
            E::BadMediaType { .. } => {
                "give a media type such as application/pdf or application/json"
            }
            E::TooLarge { .. } | E::TooManyEntries(_) | E::Bomb { .. } => {
                "this is larger than any container ackreg makes: check that it is the right file"
            }
            E::Compress { .. } => return None,
            E::ManifestMismatch(_) => {
                "files were added to or removed from the container after it was made: \
                 use the container as it was sealed"
            }
            E::Unsupported(_) => {
                "ackreg reads plain ZIP containers (stored or deflated, unencrypted, under 4 GiB) \
                 as DigiDoc4 and eParaksts write them"
            }
            E::NotUtf8(_)
            | E::Dtd(_)
            | E::Xml { .. }
            | E::Signature { .. }
            | E::Certificate { .. } => {
                "the signature file is damaged or not a XAdES signature: open the container in \
                 DigiDoc4 to see what it holds"
            }
            _ => {
                "pass the eDoc container (.edoc, .asice) that ackreg exported, as it was or after \
                 DigiDoc4 or eParaksts sealed it"
            }
        };
        Some(hint.into())
    }
}

/// Untrusted text, made safe to print inside an error message.
fn shown(text: &str) -> String {
    crate::text::printable(text, 200)
}

// ---------------------------------------------------------------------------
// Writing

/// Writes an unsigned ASiC-E container holding `files`, in their order,
/// within the default [`Limits`]. See [`write_with`].
pub fn write(files: &[ContainerFile]) -> Result<Vec<u8>, EdocError> {
    write_with(files, &Limits::default())
}

/// Writes an unsigned ASiC-E container (ETSI EN 319 162-1): first the entry
/// `mimetype`, stored, holding [`MIMETYPE`]; then the data files, deflated,
/// in the order given; then `META-INF/manifest.xml` listing them with their
/// media types. The same files give the same bytes.
///
/// File names may hold only the unreserved characters of RFC 3986
/// (`A-Z a-z 0-9 - . _ ~`) and `/` between folder names, so that they need no
/// escaping in the manifest nor in a signature's references. A file that
/// deflate would shrink more than [`Limits::ratio`] times is stored instead,
/// so that [`read`] never takes it for a decompression bomb.
pub fn write_with(files: &[ContainerFile], limits: &Limits) -> Result<Vec<u8>, EdocError> {
    check_files(files, limits)?;
    let mut zip = ZipWriter::new(limits);
    zip.add(MIMETYPE_ENTRY, MIMETYPE.as_bytes(), false)?;
    for file in files {
        zip.add(&file.name, &file.bytes, true)?;
    }
    zip.add(MANIFEST_ENTRY, manifest_xml(files).as_bytes(), true)?;
    Ok(zip.finish())
}

/// Checks every name and media type, sizes and counts, and that no two names
/// clash when extracted.
fn check_files(files: &[ContainerFile], limits: &Limits) -> Result<(), EdocError> {
    if files.is_empty() {
        return Err(EdocError::NoFiles);
    }
    // Without ZIP64, a ZIP holds at most 65,535 entries.
    let most = limits.entries.min(usize::from(u16::MAX));
    if files.len() + 2 > most {
        return Err(EdocError::TooManyEntries(most));
    }
    let mut folded: HashMap<String, &str> = HashMap::new();
    let mut total = 0u64;
    for file in files {
        check_name(&file.name)?;
        check_media_type(file)?;
        let size = file.bytes.len() as u64;
        if size > limits.entry {
            let what = format!("\"{}\"", file.name);
            return Err(EdocError::TooLarge {
                what,
                limit: limits.entry,
            });
        }
        total += size;
        if let Some(first) = folded.insert(file.name.to_ascii_lowercase(), &file.name) {
            if first == file.name {
                return Err(EdocError::DuplicateName(file.name.clone()));
            }
            let (first, second) = (first.to_string(), file.name.clone());
            let reason = "they differ only in upper and lower case";
            return Err(EdocError::NameClash {
                first,
                second,
                reason,
            });
        }
    }
    if total > limits.total {
        let what = "all files together".to_string();
        return Err(EdocError::TooLarge {
            what,
            limit: limits.total,
        });
    }
    check_folders(files, &folded)
}

/// Refuses a file whose name is also a folder in another file's name.
fn check_folders(files: &[ContainerFile], folded: &HashMap<String, &str>) -> Result<(), EdocError> {
    for file in files {
        for (end, _) in file.name.match_indices('/') {
            if let Some(first) = folded.get(&file.name[..end].to_ascii_lowercase()) {
                return Err(EdocError::NameClash {
                    first: first.to_string(),
                    second: file.name.clone(),
                    reason: "the first is a folder in the second",
                });
            }
        }
    }
    Ok(())
}

/// The rule for data file names written by ackreg (see [`write_with`]).
fn check_name(name: &str) -> Result<(), EdocError> {
    let bad = |reason: String| EdocError::BadName {
        name: shown(name),
        reason,
    };
    if name.is_empty() {
        return Err(bad("is empty".into()));
    }
    if name.len() > MAX_NAME {
        return Err(bad(format!("is longer than {MAX_NAME} bytes")));
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || "-._~/".contains(c);
    if let Some(c) = name.chars().find(|c| !allowed(*c)) {
        return Err(bad(format!(
            "contains {}: only A-Z a-z 0-9 - . _ ~ and / between folder names are allowed",
            crate::text::describe(c)
        )));
    }
    if name.split('/').any(str::is_empty) {
        return Err(bad(
            "has an empty folder name (a leading, trailing or double /)".into(),
        ));
    }
    if name.split('/').any(|part| part == "." || part == "..") {
        return Err(bad("has a . or .. folder name".into()));
    }
    let lower = name.to_ascii_lowercase();
    if lower == MIMETYPE_ENTRY || lower.starts_with("meta-inf/") {
        return Err(EdocError::ReservedName(name.into()));
    }
    Ok(())
}

/// A media type must be `type/subtype`, each a restricted name of RFC 6838
/// (no parameters).
fn check_media_type(file: &ContainerFile) -> Result<(), EdocError> {
    let restricted = |part: &str| {
        let mut chars = part.chars();
        (1..=127).contains(&part.len())
            && chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
            && chars.all(|c| c.is_ascii_alphanumeric() || "!#$&-^_.+".contains(c))
    };
    match file.mime.split_once('/') {
        Some((kind, sub)) if restricted(kind) && restricted(sub) => Ok(()),
        _ => Err(EdocError::BadMediaType {
            name: file.name.clone(),
            mime: shown(&file.mime),
        }),
    }
}

/// The manifest in the form libdigidocpp writes it: the OpenDocument 1.2
/// manifest with the container's `/` entry first, then one entry per file.
fn manifest_xml(files: &[ContainerFile]) -> String {
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\" ?>\n");
    xml.push_str(&format!(
        "<manifest:manifest xmlns:manifest=\"{MANIFEST_NS}\" manifest:version=\"1.2\">\n"
    ));
    let entries =
        std::iter::once(("/", MIMETYPE)).chain(files.iter().map(|f| (&*f.name, &*f.mime)));
    for (path, mime) in entries {
        xml.push_str(&format!(
            " <manifest:file-entry manifest:full-path=\"{}\" manifest:media-type=\"{}\"/>\n",
            xml_escape(path),
            xml_escape(mime)
        ));
    }
    xml.push_str("</manifest:manifest>\n");
    xml
}

/// Escapes text for an XML attribute in double quotes.
fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

const LOCAL_SIG: u32 = 0x0403_4b50;
const CENTRAL_SIG: u32 = 0x0201_4b50;
const END_SIG: u32 = 0x0605_4b50;
const DESCRIPTOR_SIG: u32 = 0x0807_4b50;
/// Made by: Unix (3), ZIP specification 2.0.
const MADE_BY: u16 = (3 << 8) | 20;
/// 1980-01-01, the earliest date of a ZIP entry; the time is 00:00:00.
const DOS_DATE: u16 = (1 << 5) | 1;
/// A regular file, `rw-r--r--`.
const UNIX_MODE: u32 = 0o100_644 << 16;
const STORED: u16 = 0;
const DEFLATED: u16 = 8;

/// A ZIP archive built in memory, entry by entry; no extra fields, no
/// comments, no data descriptors.
struct ZipWriter {
    out: Vec<u8>,
    central: Vec<u8>,
    count: u16,
    limit: u64,
    ratio: u64,
}

impl ZipWriter {
    fn new(limits: &Limits) -> Self {
        ZipWriter {
            out: Vec::new(),
            central: Vec::new(),
            count: 0,
            // Never past what the ZIP fields (without ZIP64) can say.
            limit: limits.container.min(u64::from(u32::MAX)),
            ratio: limits.ratio,
        }
    }

    /// Adds one entry, deflated when `compress` (unless that would look like
    /// a decompression bomb), otherwise stored.
    fn add(&mut self, name: &str, data: &[u8], compress: bool) -> Result<(), EdocError> {
        let deflated = if compress {
            Some(deflate(name, data)?)
        } else {
            None
        };
        let deflated =
            deflated.filter(|d| !looks_like_bomb(d.len() as u64, data.len() as u64, self.ratio));
        let (method, stored) = match &deflated {
            Some(d) => (DEFLATED, d.as_slice()),
            None => (STORED, data),
        };
        // The container once this entry and its central record are in, if
        // this is the last entry: never past the limit.
        let offset = self.out.len() as u64;
        let end = offset + 30 + name.len() as u64 + stored.len() as u64;
        let size = end + self.central.len() as u64 + 46 + name.len() as u64 + 22;
        if size > self.limit || data.len() as u64 > self.limit || self.count == u16::MAX {
            let what = "the container".to_string();
            return Err(EdocError::TooLarge {
                what,
                limit: self.limit,
            });
        }
        let header = Header {
            needed: if method == STORED { 10 } else { 20 },
            method,
            crc: crc32(data),
            compressed: stored.len() as u32,
            size: data.len() as u32,
            name,
        };
        header.write_local(&mut self.out);
        self.out.extend_from_slice(stored);
        header.write_central(&mut self.central, offset as u32);
        self.count += 1;
        Ok(())
    }

    /// Appends the central directory and its end record.
    fn finish(mut self) -> Vec<u8> {
        let offset = self.out.len() as u32;
        self.out.extend_from_slice(&self.central);
        let out = &mut self.out;
        put32(out, END_SIG);
        put16(out, 0); // this disk
        put16(out, 0); // the disk where the central directory starts
        put16(out, self.count);
        put16(out, self.count);
        put32(out, self.central.len() as u32);
        put32(out, offset);
        put16(out, 0); // no comment
        self.out
    }
}

/// The fields that a local header and its central directory entry share.
struct Header<'a> {
    needed: u16,
    method: u16,
    crc: u32,
    compressed: u32,
    size: u32,
    name: &'a str,
}

impl Header<'_> {
    /// From "version needed" to the name's length: the same in both headers.
    fn write_common(&self, out: &mut Vec<u8>) {
        put16(out, self.needed);
        put16(out, 0); // flags: names are ASCII, sizes known
        put16(out, self.method);
        put16(out, 0); // 00:00:00
        put16(out, DOS_DATE);
        put32(out, self.crc);
        put32(out, self.compressed);
        put32(out, self.size);
        put16(out, self.name.len() as u16);
        put16(out, 0); // no extra field
    }

    fn write_local(&self, out: &mut Vec<u8>) {
        put32(out, LOCAL_SIG);
        self.write_common(out);
        out.extend_from_slice(self.name.as_bytes());
    }

    fn write_central(&self, out: &mut Vec<u8>, offset: u32) {
        put32(out, CENTRAL_SIG);
        put16(out, MADE_BY);
        self.write_common(out);
        put16(out, 0); // no comment
        put16(out, 0); // disk
        put16(out, 0); // internal attributes
        put32(out, UNIX_MODE);
        put32(out, offset);
        out.extend_from_slice(self.name.as_bytes());
    }
}

fn put16(out: &mut Vec<u8>, value: u16) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = Crc::new();
    crc.update(data);
    crc.sum()
}

/// Raw deflate at the default level.
fn deflate(name: &str, data: &[u8]) -> Result<Vec<u8>, EdocError> {
    let compress = |source| EdocError::Compress {
        name: name.into(),
        source,
    };
    let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(data).map_err(compress)?;
    encoder.finish().map_err(compress)
}

/// Whether an entry of `size` bytes, `compressed` once deflated, expands
/// more than `ratio` times (entries up to 1 MiB never count).
fn looks_like_bomb(compressed: u64, size: u64, ratio: u64) -> bool {
    size > RATIO_FLOOR && size > compressed.saturating_mul(ratio)
}

// ---------------------------------------------------------------------------
// Reading the ZIP structure

/// A little-endian cursor over the container's bytes.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let slice = self.bytes.get(self.pos..end)?;
        self.pos = end;
        Some(slice)
    }

    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_le_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
}

/// The end of central directory record.
struct End {
    entries: usize,
    central_size: usize,
    central_offset: usize,
    pos: usize,
}

/// One entry as its central directory record describes it.
struct Central<'a> {
    raw_name: &'a [u8],
    name: String,
    flags: u16,
    method: u16,
    crc: u32,
    compressed: usize,
    size: usize,
    offset: usize,
    has_extra: bool,
    kind: ZipKind,
}

/// An entry whose local header agrees with its central record.
struct Entry<'a> {
    name: String,
    method: u16,
    flags: u16,
    crc: u32,
    size: usize,
    data: &'a [u8],
    offset: usize,
    end: usize,
    has_extra: bool,
    kind: ZipKind,
}

/// Finds the end record: the last one whose comment reaches exactly to the
/// end of the bytes.
fn find_end(bytes: &[u8]) -> Result<End, EdocError> {
    const NO_END: &str = "no ZIP end record (not a ZIP file, or cut short)";
    let Some(last) = bytes.len().checked_sub(22) else {
        return Err(EdocError::NotZip(NO_END));
    };
    let first = last.saturating_sub(0xFFFF);
    for pos in (first..=last).rev() {
        let mut c = Cursor { bytes, pos };
        if c.u32() != Some(END_SIG) {
            continue;
        }
        c.pos = pos + 20;
        if c.u16().map(usize::from) == Some(bytes.len() - pos - 22) {
            return parse_end(bytes, pos);
        }
    }
    Err(EdocError::NotZip(NO_END))
}

fn parse_end(bytes: &[u8], pos: usize) -> Result<End, EdocError> {
    let mut c = Cursor {
        bytes,
        pos: pos + 4,
    };
    let fields = (|| Some([c.u16()?, c.u16()?, c.u16()?, c.u16()?]))();
    let [disk, central_disk, here, total] = fields.unwrap_or_default();
    let (size, offset) = (c.u32().unwrap_or(0), c.u32().unwrap_or(0));
    if total == 0xFFFF || size == u32::MAX || offset == u32::MAX {
        return Err(EdocError::Unsupported("ZIP64".into()));
    }
    if disk != 0 || central_disk != 0 || here != total {
        return Err(EdocError::Unsupported(
            "a ZIP split across several files".into(),
        ));
    }
    let (central_size, central_offset) = (size as usize, offset as usize);
    if central_offset.checked_add(central_size) != Some(pos) {
        return Err(EdocError::Damaged(
            "the central directory does not end where the end record starts (cut short, or \
             bytes added)"
                .into(),
        ));
    }
    Ok(End {
        entries: usize::from(total),
        central_size,
        central_offset,
        pos,
    })
}

/// Reads every central directory record and checks it against its local
/// header, the limits, and the layout of the whole file.
fn zip_entries<'a>(bytes: &'a [u8], limits: &Limits) -> Result<Vec<Entry<'a>>, EdocError> {
    let end = find_end(bytes)?;
    if end.entries > limits.entries {
        return Err(EdocError::TooManyEntries(limits.entries));
    }
    let directory = &bytes[..end.pos];
    let mut c = Cursor {
        bytes: directory,
        pos: end.central_offset,
    };
    let mut entries = Vec::with_capacity(end.entries);
    let mut total = 0u64;
    for index in 0..end.entries {
        let central = central_record(&mut c, index)?;
        check_sizes(&central, limits)?;
        total += central.size as u64;
        if total > limits.total {
            let what = "the container's entries together".to_string();
            return Err(EdocError::TooLarge {
                what,
                limit: limits.total,
            });
        }
        entries.push(local_entry(bytes, central)?);
    }
    if c.pos != end.pos || end.central_size == 0 {
        return Err(EdocError::Damaged(
            "the central directory's size is wrong".into(),
        ));
    }
    check_layout(&entries, end.central_offset)?;
    Ok(entries)
}

/// Parses one central directory record.
fn central_record<'a>(c: &mut Cursor<'a>, index: usize) -> Result<Central<'a>, EdocError> {
    let damaged =
        || EdocError::Damaged(format!("central directory record {} is damaged", index + 1));
    if c.u32() != Some(CENTRAL_SIG) {
        return Err(damaged());
    }
    let mut fields = [0u16; 6];
    for field in &mut fields {
        *field = c.u16().ok_or_else(damaged)?;
    }
    let [made_by, _needed, flags, method, _time, _date] = fields;
    let crc = c.u32().ok_or_else(damaged)?;
    let (compressed, size) = (c.u32().ok_or_else(damaged)?, c.u32().ok_or_else(damaged)?);
    let mut lengths = [0u16; 5];
    for field in &mut lengths {
        *field = c.u16().ok_or_else(damaged)?;
    }
    let [name_len, extra_len, comment_len, disk, _internal] = lengths;
    let (external, offset) = (c.u32().ok_or_else(damaged)?, c.u32().ok_or_else(damaged)?);
    let raw_name = c.take(name_len.into()).ok_or_else(damaged)?;
    c.take(usize::from(extra_len) + usize::from(comment_len))
        .ok_or_else(damaged)?;
    let name = String::from_utf8(raw_name.to_vec()).map_err(|_| EdocError::UnsafeName {
        name: shown(&String::from_utf8_lossy(raw_name)),
        reason: "is not UTF-8",
    })?;
    if [compressed, size, offset].contains(&u32::MAX) || disk != 0 {
        return Err(EdocError::Unsupported(format!(
            "ZIP64 (entry \"{}\")",
            shown(&name)
        )));
    }
    Ok(Central {
        raw_name,
        name,
        flags,
        method,
        crc,
        compressed: compressed as usize,
        size: size as usize,
        offset: offset as usize,
        has_extra: extra_len != 0,
        kind: zip_kind(made_by, external, raw_name),
    })
}

/// What an entry is, from its name and, when a Unix system made it, the
/// file type in its external attributes.
fn zip_kind(made_by: u16, external: u32, raw_name: &[u8]) -> ZipKind {
    const UNIX: u16 = 3;
    let folder = raw_name.ends_with(b"/");
    let mode = external >> 16;
    let kind = if made_by >> 8 == UNIX && mode != 0 {
        match mode & 0o170000 {
            0o100000 => ZipKind::File,
            0o040000 => ZipKind::Folder,
            0o120000 => ZipKind::Link,
            _ => ZipKind::Other,
        }
    } else if folder {
        ZipKind::Folder
    } else {
        ZipKind::File
    };
    match (kind, folder) {
        (ZipKind::File, true) | (ZipKind::Folder, false) => ZipKind::Other,
        (kind, _) => kind,
    }
}

/// Refuses encryption, unknown methods, and sizes over the limits, before
/// anything is inflated.
fn check_sizes(central: &Central, limits: &Limits) -> Result<(), EdocError> {
    let name = shown(&central.name);
    if central.flags & 0x2041 != 0 {
        return Err(EdocError::Unsupported(format!(
            "encryption (entry \"{name}\")"
        )));
    }
    if central.method != STORED && central.method != DEFLATED {
        let method = central.method;
        return Err(EdocError::Unsupported(format!(
            "compression method {method} (entry \"{name}\")"
        )));
    }
    if central.method == STORED && central.compressed != central.size {
        return Err(EdocError::Damaged(format!(
            "entry \"{name}\" is stored with two sizes"
        )));
    }
    let (compressed, size) = (central.compressed as u64, central.size as u64);
    if size > limits.entry {
        return Err(EdocError::TooLarge {
            what: format!("entry \"{name}\""),
            limit: limits.entry,
        });
    }
    if looks_like_bomb(compressed, size, limits.ratio) {
        return Err(EdocError::Bomb {
            name,
            ratio: limits.ratio,
        });
    }
    Ok(())
}

/// Reads the local header of an entry, checks that it agrees with the
/// central record, and finds the entry's data (and data descriptor).
fn local_entry<'a>(bytes: &'a [u8], central: Central) -> Result<Entry<'a>, EdocError> {
    let name = shown(&central.name);
    let damaged = |what: &str| EdocError::Damaged(format!("entry \"{name}\": {what}"));
    let mut c = Cursor {
        bytes,
        pos: central.offset,
    };
    if c.u32() != Some(LOCAL_SIG) {
        return Err(damaged("no local header where the central directory says"));
    }
    let mut fields = [0u16; 5];
    for field in &mut fields {
        *field = c.u16().ok_or_else(|| damaged("cut short"))?;
    }
    let [_needed, flags, method, _time, _date] = fields;
    let crc = c.u32().ok_or_else(|| damaged("cut short"))?;
    let compressed = c.u32().ok_or_else(|| damaged("cut short"))?;
    let size = c.u32().ok_or_else(|| damaged("cut short"))?;
    let name_len = c.u16().ok_or_else(|| damaged("cut short"))?;
    let extra_len = c.u16().ok_or_else(|| damaged("cut short"))?;
    let raw_name = c
        .take(name_len.into())
        .ok_or_else(|| damaged("cut short"))?;
    c.take(extra_len.into())
        .ok_or_else(|| damaged("cut short"))?;
    if raw_name != central.raw_name || flags != central.flags || method != central.method {
        return Err(damaged(
            "the local header and the central directory disagree",
        ));
    }
    let known = (crc, compressed as usize, size as usize);
    if flags & 8 == 0 && known != (central.crc, central.compressed, central.size) {
        return Err(damaged(
            "the local header and the central directory disagree",
        ));
    }
    let data = c
        .take(central.compressed)
        .ok_or_else(|| damaged("cut short"))?;
    if flags & 8 != 0 && !skip_descriptor(&mut c, &central) {
        return Err(damaged("its data descriptor is missing or disagrees"));
    }
    Ok(Entry {
        name: central.name,
        method,
        flags,
        crc: central.crc,
        size: central.size,
        data,
        offset: central.offset,
        end: c.pos,
        has_extra: central.has_extra || extra_len != 0,
        kind: central.kind,
    })
}

/// Moves past a data descriptor (with or without its signature) that
/// repeats the central record's CRC and sizes.
fn skip_descriptor(c: &mut Cursor, central: &Central) -> bool {
    let expected = (central.crc, central.compressed as u32, central.size as u32);
    for signed in [true, false] {
        let mut probe = Cursor {
            bytes: c.bytes,
            pos: c.pos,
        };
        if signed && probe.u32() != Some(DESCRIPTOR_SIG) {
            continue;
        }
        if (|| Some((probe.u32()?, probe.u32()?, probe.u32()?)))() == Some(expected) {
            c.pos = probe.pos;
            return true;
        }
    }
    false
}

/// The entries must follow each other from the first byte to the central
/// directory, with nothing between them and no overlap.
fn check_layout(entries: &[Entry], central_offset: usize) -> Result<(), EdocError> {
    let mut order: Vec<&Entry> = entries.iter().collect();
    order.sort_by_key(|e| e.offset);
    let mut expected = 0;
    for entry in order {
        if entry.offset != expected {
            let name = shown(&entry.name);
            return Err(EdocError::Damaged(format!(
                "entry \"{name}\" overlaps another or follows unaccounted bytes"
            )));
        }
        expected = entry.end;
    }
    if expected != central_offset {
        return Err(EdocError::Damaged(
            "unaccounted bytes before the central directory".into(),
        ));
    }
    Ok(())
}

/// The entry's content: inflated if need be, its size and CRC checked.
fn contents(entry: &Entry) -> Result<Vec<u8>, EdocError> {
    let name = shown(&entry.name);
    let bytes = match entry.method {
        STORED => entry.data.to_vec(),
        _ => inflate(entry.data, entry.size).ok_or_else(|| {
            EdocError::Damaged(format!("entry \"{name}\": its compressed data is damaged"))
        })?,
    };
    if crc32(&bytes) != entry.crc {
        return Err(EdocError::Damaged(format!(
            "entry \"{name}\": its CRC does not match"
        )));
    }
    Ok(bytes)
}

/// Inflates raw deflate data that must end exactly at the end of `data` and
/// give exactly `size` bytes; never allocates more than `size + 1` bytes.
fn inflate(data: &[u8], size: usize) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(size.checked_add(1)?);
    let mut inflater = Decompress::new(false);
    loop {
        let before = (inflater.total_in(), inflater.total_out());
        let input = data.get(usize::try_from(before.0).ok()?..)?;
        let status = inflater
            .decompress_vec(input, &mut out, FlushDecompress::Finish)
            .ok()?;
        if status == Status::StreamEnd {
            break;
        }
        if out.len() > size || (inflater.total_in(), inflater.total_out()) == before {
            return None;
        }
    }
    let consumed_all = usize::try_from(inflater.total_in()).ok()? == data.len();
    (consumed_all && out.len() == size).then_some(out)
}

// ---------------------------------------------------------------------------
// Reading a plain ZIP

/// What a ZIP entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZipKind {
    /// A regular file.
    File,
    /// A folder (its name ends with `/`).
    Folder,
    /// A symbolic link (Unix file type in the external attributes).
    Link,
    /// Anything else: a device, a pipe, or a type that contradicts the name.
    Other,
}

/// One entry of a plain ZIP, as [`read_plain`] gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZipEntry {
    /// The name, `/` between folder names, checked as [`read_with`]'s step 4
    /// checks names (never absolute, never `..`).
    pub name: String,
    /// What it is.
    pub kind: ZipKind,
    /// The content of a regular file, inflated and checked; empty for any
    /// other kind (never inflated).
    pub bytes: Vec<u8>,
}

/// Reads any plain ZIP (not only an eDoc container) by the same rules as
/// [`read_with`]'s steps 1, 2, 4 (names, duplicates) and 5, within
/// `limits`: every entry with its kind; only regular files are inflated,
/// each to exactly its declared size and CRC (no more than that size is
/// ever produced, whatever the header claims).
pub fn read_plain(bytes: &[u8], limits: &Limits) -> Result<Vec<ZipEntry>, EdocError> {
    if bytes.len() as u64 > limits.container {
        return Err(EdocError::TooLarge {
            what: "the ZIP file".to_string(),
            limit: limits.container,
        });
    }
    let entries = zip_entries(bytes, limits)?;
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(entries.len());
    for entry in &entries {
        check_entry_name(&entry.name)?;
        if !seen.insert(entry.name.as_str()) {
            return Err(EdocError::DuplicateEntry(shown(&entry.name)));
        }
        let content = match entry.kind {
            ZipKind::File => contents(entry)?,
            _ => Vec::new(),
        };
        out.push(ZipEntry {
            name: entry.name.clone(),
            kind: entry.kind,
            bytes: content,
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// Reading the container

/// Reads an eDoc container within the default [`Limits`]. See [`read_with`].
pub fn read(bytes: &[u8]) -> Result<Container, EdocError> {
    read_with(bytes, &Limits::default())
}

/// Reads an ASiC-E container strictly, in these steps:
///
/// 1. the whole container and its central directory are within `limits`;
/// 2. the ZIP is plain and whole: every entry's local header agrees with its
///    central record, entries follow each other without gaps;
/// 3. the first entry is `mimetype`, stored, without extra field, holding
///    exactly [`MIMETYPE`];
/// 4. no entry name could escape the folder it is extracted to, none appears
///    twice; in `META-INF/`, `manifest.xml` and the XAdES `*signatures*.xml`
///    files are read, any other file is listed in [`Container::unread`];
/// 5. every entry inflates to its declared size and CRC;
/// 6. `META-INF/manifest.xml` lists exactly the data files, with the `/`
///    entry of the container's media type;
/// 7. every `ds:Signature` of every signature file is listed with its
///    signer, signing time and references — not validated.
pub fn read_with(bytes: &[u8], limits: &Limits) -> Result<Container, EdocError> {
    // 1.
    if bytes.len() as u64 > limits.container {
        let what = "the container".to_string();
        return Err(EdocError::TooLarge {
            what,
            limit: limits.container,
        });
    }
    // 2.
    let entries = zip_entries(bytes, limits)?;
    // 3.
    check_mimetype(&entries)?;
    // 4.
    let parts = classify(&entries[1..], limits)?;
    // 5. and 6.
    let manifest = parts.manifest.ok_or(EdocError::ManifestMissing)?;
    let listed = parse_manifest(&contents(manifest)?)?;
    let files = data_files(&parts.data, listed)?;
    // 7.
    let mut signatures = Vec::new();
    for entry in parts.signatures {
        signatures.extend(parse_signatures(&entry.name, &contents(entry)?)?);
    }
    Ok(Container {
        files,
        signatures,
        unread: parts.unread,
    })
}

/// Step 3: the first entry, in the central directory and in the file, is
/// `mimetype`, stored, without extra field, holding exactly [`MIMETYPE`].
fn check_mimetype(entries: &[Entry]) -> Result<(), EdocError> {
    let refuse = |what: String| Err(EdocError::Mimetype(what));
    let Some(first) = entries.first() else {
        return refuse("the ZIP is empty".into());
    };
    if first.name != MIMETYPE_ENTRY || first.offset != 0 {
        return refuse(format!(
            "the first entry is \"{}\", not \"mimetype\"",
            shown(&first.name)
        ));
    }
    if first.method != STORED {
        return refuse("the mimetype entry is compressed".into());
    }
    if first.has_extra {
        return refuse("the mimetype entry has an extra field".into());
    }
    if first.flags & 8 != 0 {
        return refuse("the mimetype entry has a data descriptor".into());
    }
    let content = contents(first)?;
    if content != MIMETYPE.as_bytes() {
        return Err(EdocError::WrongMimetype(shown(&String::from_utf8_lossy(
            &content,
        ))));
    }
    Ok(())
}

/// The entries after `mimetype`, sorted by role.
struct Parts<'e, 'a> {
    data: Vec<&'e Entry<'a>>,
    manifest: Option<&'e Entry<'a>>,
    signatures: Vec<&'e Entry<'a>>,
    unread: Vec<String>,
}

/// Step 4: checks every name and sorts the entries into data files, the
/// manifest, signature files and other `META-INF/` files (not read); folder
/// entries are skipped.
fn classify<'e, 'a>(entries: &'e [Entry<'a>], limits: &Limits) -> Result<Parts<'e, 'a>, EdocError> {
    let mut parts = Parts {
        data: Vec::new(),
        manifest: None,
        signatures: Vec::new(),
        unread: Vec::new(),
    };
    let mut seen = HashSet::from([MIMETYPE_ENTRY]);
    for entry in entries {
        let name = entry.name.as_str();
        check_entry_name(name)?;
        if !seen.insert(name) {
            return Err(EdocError::DuplicateEntry(shown(name)));
        }
        if name.ends_with('/') {
            if entry.size != 0 {
                return Err(EdocError::Damaged(format!(
                    "folder entry \"{}\" has content",
                    shown(name)
                )));
            }
            continue;
        }
        let Some(meta) = name.strip_prefix(META_INF) else {
            parts.data.push(entry);
            continue;
        };
        if entry.size as u64 > limits.xml {
            return Err(EdocError::TooLarge {
                what: format!("entry \"{}\"", shown(name)),
                limit: limits.xml,
            });
        }
        if name == MANIFEST_ENTRY {
            parts.manifest = Some(entry);
        } else if !meta.contains('/') && meta.contains("signatures") && meta.ends_with(".xml") {
            parts.signatures.push(entry);
        } else {
            parts.unread.push(name.to_string());
        }
    }
    Ok(parts)
}

/// An entry name must not lead outside the folder it is extracted to, nor
/// hold characters that change how it is shown.
fn check_entry_name(name: &str) -> Result<(), EdocError> {
    let unsafe_name = |reason| {
        Err(EdocError::UnsafeName {
            name: shown(name),
            reason,
        })
    };
    if name.is_empty() || name.len() > MAX_ENTRY_NAME {
        return unsafe_name("is empty or too long");
    }
    if name.contains('\\') {
        return unsafe_name("contains a backslash");
    }
    if name.starts_with('/') {
        return unsafe_name("is absolute");
    }
    if name
        .chars()
        .any(|c| crate::text::forbidden(c, false).is_some())
    {
        return unsafe_name("contains a control, bidirectional or invisible character");
    }
    let folder = name.strip_suffix('/').unwrap_or(name);
    if folder
        .split('/')
        .any(|part| part.is_empty() || part == "." || part == "..")
    {
        return unsafe_name("has an empty, . or .. folder name");
    }
    let first = folder.split('/').next().unwrap_or_default();
    if first.len() >= 2 && first.as_bytes()[1] == b':' {
        return unsafe_name("starts with a drive letter");
    }
    Ok(())
}

/// Parses an XML entry: UTF-8, no DTD, a bounded number of nodes.
fn parse_xml<'t>(file: &str, bytes: &'t [u8]) -> Result<Document<'t>, EdocError> {
    let text = std::str::from_utf8(bytes).map_err(|_| EdocError::NotUtf8(file.into()))?;
    // roxmltree refuses a DTD with declarations; refuse an empty one too.
    if text.contains("<!DOCTYPE") {
        return Err(EdocError::Dtd(file.into()));
    }
    let options = ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_XML_NODES,
        ..Default::default()
    };
    Document::parse_with_options(text, options).map_err(|source| EdocError::Xml {
        file: file.into(),
        source,
    })
}

/// Whether `node` is the element `name` in namespace `ns`.
fn is(node: Node, ns: &str, name: &str) -> bool {
    node.is_element() && node.tag_name().name() == name && node.tag_name().namespace() == Some(ns)
}

/// The child elements of `node` named `name` in namespace `ns`.
fn children<'a, 'i: 'a>(
    node: Node<'a, 'i>,
    ns: &'static str,
    name: &'static str,
) -> impl Iterator<Item = Node<'a, 'i>> {
    node.children().filter(move |child| is(*child, ns, name))
}

/// Step 6: the manifest's data file entries (path, media type), in order,
/// after checking its form and its `/` entry.
fn parse_manifest(bytes: &[u8]) -> Result<Vec<(String, String)>, EdocError> {
    let refuse = |what: String| EdocError::Manifest(what);
    let doc = parse_xml(MANIFEST_ENTRY, bytes)?;
    let root = doc.root_element();
    if !is(root, MANIFEST_NS, "manifest") {
        return Err(refuse(
            "is not an OpenDocument manifest (manifest:manifest)".into(),
        ));
    }
    if root
        .attribute((MANIFEST_NS, "version"))
        .is_some_and(|v| v != "1.2")
    {
        return Err(refuse("has a version other than 1.2".into()));
    }
    let mut listed = Vec::new();
    let mut seen = HashSet::new();
    let mut root_entry = false;
    for node in root.children().filter(|n| n.is_element()) {
        let (path, mime) = manifest_entry(node)?;
        if path == "/" {
            if root_entry || mime != MIMETYPE {
                return Err(refuse(format!("must list \"/\" once, as {MIMETYPE}")));
            }
            root_entry = true;
        } else if !path.ends_with('/') {
            if !seen.insert(path) {
                return Err(refuse(format!("lists \"{}\" twice", shown(path))));
            }
            listed.push((path.to_string(), mime.to_string()));
        }
    }
    if !root_entry {
        return Err(refuse(format!("does not list \"/\" as {MIMETYPE}")));
    }
    Ok(listed)
}

/// One `manifest:file-entry`: its full path and media type.
fn manifest_entry<'a>(node: Node<'a, '_>) -> Result<(&'a str, &'a str), EdocError> {
    let refuse = |what: String| EdocError::Manifest(what);
    if !is(node, MANIFEST_NS, "file-entry") {
        let tag = shown(node.tag_name().name());
        return Err(refuse(format!(
            "has an element <{tag}> where manifest:file-entry belongs"
        )));
    }
    if node.children().any(|n| n.is_element()) {
        return Err(refuse(
            "describes an encrypted file, which eDoc containers do not hold".into(),
        ));
    }
    let path = node.attribute((MANIFEST_NS, "full-path"));
    let mime = node.attribute((MANIFEST_NS, "media-type"));
    match (path, mime) {
        (Some(path), Some(mime)) if !path.is_empty() => Ok((path, mime)),
        _ => Err(refuse(
            "has a file-entry without full-path or media-type".into(),
        )),
    }
}

/// Step 5 and the end of step 6: the data files, inflated, each with its
/// media type from the manifest, which must list exactly them.
fn data_files(
    data: &[&Entry],
    listed: Vec<(String, String)>,
) -> Result<Vec<ContainerFile>, EdocError> {
    let mut mimes: HashMap<String, String> = listed.into_iter().collect();
    let unlisted: Vec<String> = data
        .iter()
        .filter(|e| !mimes.contains_key(&e.name))
        .map(|e| format!("\"{}\"", shown(&e.name)))
        .collect();
    let present: HashSet<&str> = data.iter().map(|e| e.name.as_str()).collect();
    let mut missing: Vec<String> = mimes
        .keys()
        .filter(|name| !present.contains(name.as_str()))
        .map(|n| format!("\"{}\"", shown(n)))
        .collect();
    missing.sort();
    if !unlisted.is_empty() || !missing.is_empty() {
        let mut what = Vec::new();
        if !missing.is_empty() {
            what.push(format!(
                "listed but not in the container: {}",
                missing.join(", ")
            ));
        }
        if !unlisted.is_empty() {
            what.push(format!(
                "in the container but not listed: {}",
                unlisted.join(", ")
            ));
        }
        return Err(EdocError::ManifestMismatch(what.join("; ")));
    }
    let mut files = Vec::with_capacity(data.len());
    for entry in data {
        let mime = mimes.remove(&entry.name).unwrap_or_default();
        files.push(ContainerFile {
            name: entry.name.clone(),
            mime,
            bytes: contents(entry)?,
        });
    }
    Ok(files)
}

// ---------------------------------------------------------------------------
// XAdES signatures (listed, never validated)

/// Step 7: every `ds:Signature` of one signature file.
fn parse_signatures(file: &str, bytes: &[u8]) -> Result<Vec<SignatureInfo>, EdocError> {
    let refuse = |detail: String| EdocError::Signature {
        file: file.into(),
        detail,
    };
    let doc = parse_xml(file, bytes)?;
    let root = doc.root_element();
    let nodes: Vec<Node> = if is(root, DS_NS, "Signature") {
        vec![root]
    } else if is(root, ASIC_NS, "XAdESSignatures") {
        if let Some(other) = root
            .children()
            .find(|n| n.is_element() && !is(*n, DS_NS, "Signature"))
        {
            let tag = shown(other.tag_name().name());
            return Err(refuse(format!("<{tag}> where only ds:Signature belongs")));
        }
        children(root, DS_NS, "Signature").collect()
    } else {
        return Err(refuse(
            "is not XAdES signatures (asic:XAdESSignatures)".into(),
        ));
    };
    if nodes.is_empty() {
        return Err(refuse("holds no signature".into()));
    }
    let mut infos = Vec::with_capacity(nodes.len());
    for (i, node) in nodes.into_iter().enumerate() {
        let index = i + 1;
        let refuse = |detail: &str| EdocError::Signature {
            file: file.into(),
            detail: format!("signature {index}: {detail}"),
        };
        let mut signed_info = children(node, DS_NS, "SignedInfo");
        let (Some(signed_info), None) = (signed_info.next(), signed_info.next()) else {
            return Err(refuse("does not have exactly one ds:SignedInfo"));
        };
        infos.push(SignatureInfo {
            file: file.into(),
            signer: signer(file, index, node)?,
            signing_time: signing_time(node).map_err(refuse)?,
            references: references(signed_info).map_err(|d| refuse(&d))?,
        });
    }
    Ok(infos)
}

/// The `ds:Reference`s to files, their names percent-decoded; references
/// within the signature (to its signed properties) are left out.
fn references(signed_info: Node) -> Result<Vec<Reference>, String> {
    let mut covers = Vec::new();
    for reference in children(signed_info, DS_NS, "Reference") {
        let Some(uri) = reference.attribute("URI") else {
            return Err("a ds:Reference has no URI".into());
        };
        let signed_properties = reference
            .attribute("Type")
            .is_some_and(|t| t.ends_with("#SignedProperties"));
        if signed_properties || uri.starts_with('#') {
            continue;
        }
        let decoded = percent_encoding::percent_decode_str(uri)
            .decode_utf8()
            .map_err(|_| format!("reference \"{}\" is not UTF-8 once decoded", shown(uri)))?;
        check_text(&decoded).map_err(|what| format!("reference \"{}\" {what}", shown(&decoded)))?;
        covers.push(Reference {
            file: decoded.into_owned(),
            method: digest_method(reference),
            digest: digest_value(reference),
            transforms: children(reference, DS_NS, "Transforms").next().is_some(),
        });
    }
    Ok(covers)
}

/// The `Algorithm` of a reference's first `ds:DigestMethod`.
fn digest_method(reference: Node) -> Option<String> {
    children(reference, DS_NS, "DigestMethod")
        .next()
        .and_then(|n| n.attribute("Algorithm"))
        .map(str::to_string)
}

/// A reference's first `ds:DigestValue`, if it is base64 (white space
/// between the characters allowed, as in XML Signature).
fn digest_value(reference: Node) -> Option<Vec<u8>> {
    let node = children(reference, DS_NS, "DigestValue").next()?;
    let text: String = node
        .text()
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}

/// The subject of the first certificate in `ds:KeyInfo/ds:X509Data`: its
/// common name, or the whole subject when it has none.
fn signer(file: &str, index: usize, signature: Node) -> Result<Option<String>, EdocError> {
    let refuse = |detail: String| EdocError::Signature {
        file: file.into(),
        detail: format!("signature {index}: {detail}"),
    };
    let certificate = children(signature, DS_NS, "KeyInfo")
        .flat_map(|n| children(n, DS_NS, "X509Data"))
        .flat_map(|n| children(n, DS_NS, "X509Certificate"))
        .next();
    let Some(certificate) = certificate else {
        return Ok(None);
    };
    let text: String = certificate
        .text()
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|_| refuse("the ds:X509Certificate is not base64".into()))?;
    let certificate_error = |source| EdocError::Certificate {
        file: file.into(),
        index,
        source,
    };
    let certificate = x509_cert::Certificate::from_der(&der).map_err(certificate_error)?;
    let subject = certificate.tbs_certificate().subject();
    let name = match subject.common_name().map_err(certificate_error)? {
        Some(cn) => cn.value().into_owned(),
        None => subject.to_string(),
    };
    check_text(&name)
        .map_err(|what| refuse(format!("the signer's name \"{}\" {what}", shown(&name))))?;
    Ok(Some(name))
}

/// `xades:SigningTime` in the signed signature properties, if present: at
/// most one, made of the characters of an `xsd:dateTime`.
fn signing_time(signature: Node) -> Result<Option<String>, &'static str> {
    let mut times = children(signature, DS_NS, "Object")
        .flat_map(|n| children(n, XADES_NS, "QualifyingProperties"))
        .flat_map(|n| children(n, XADES_NS, "SignedProperties"))
        .flat_map(|n| children(n, XADES_NS, "SignedSignatureProperties"))
        .flat_map(|n| children(n, XADES_NS, "SigningTime"));
    let Some(time) = times.next() else {
        return Ok(None);
    };
    if times.next().is_some() {
        return Err("has more than one xades:SigningTime");
    }
    let text = time.text().unwrap_or_default().trim();
    let date_time = |c: char| c.is_ascii_digit() || "-:.+TZ".contains(c);
    if text.is_empty() || text.len() > 64 || !text.chars().all(date_time) {
        return Err("its xades:SigningTime is not a date and time");
    }
    Ok(Some(text.to_string()))
}

/// A signer's name or a reference must be shown as it is: not empty, not
/// too long, no control, bidirectional or invisible character.
fn check_text(text: &str) -> Result<(), &'static str> {
    if text.trim().is_empty() {
        return Err("is empty");
    }
    if text.chars().count() > MAX_TEXT {
        return Err("is too long");
    }
    if text
        .chars()
        .any(|c| crate::text::forbidden(c, false).is_some())
    {
        return Err("contains a control, bidirectional or invisible character");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A self-signed P-256 test certificate (`openssl req -x509 -utf8`),
    /// subject `C=LV, O=Aknīstes novada pašvaldība, CN=Aknīstes novada
    /// pašvaldība TEST`.
    const CERT_CN: &str = "
        MIICGjCCAb+gAwIBAgIUa/CZVqLdUoaausAPkVPnQwfvRG0wCgYIKoZIzj0EAwIwYjELMAkGA1UE
        BhMCTFYxJjAkBgNVBAoMHUFrbsSrc3RlcyBub3ZhZGEgcGHFoXZhbGTEq2JhMSswKQYDVQQDDCJB
        a27Eq3N0ZXMgbm92YWRhIHBhxaF2YWxkxKtiYSBURVNUMB4XDTI2MTEyNjIyMzM0NFoXDTM2MTEy
        MzIyMzM0NFowYjELMAkGA1UEBhMCTFYxJjAkBgNVBAoMHUFrbsSrc3RlcyBub3ZhZGEgcGHFoXZh
        bGTEq2JhMSswKQYDVQQDDCJBa27Eq3N0ZXMgbm92YWRhIHBhxaF2YWxkxKtiYSBURVNUMFkwEwYH
        KoZIzj0CAQYIKoZIzj0DAQcDQgAEJRTm81eBWnie2MHcCQ9oUMGaqPtd3gR7FkT+xJmlUtTDUpUC
        6M6YJWd16jWY7uQvAWX9yn+iLtrx0uJbf3sIAKNTMFEwHQYDVR0OBBYEFJ9zGNH7u7XkYcXrKldX
        YQHrlhz8MB8GA1UdIwQYMBaAFJ9zGNH7u7XkYcXrKldXYQHrlhz8MA8GA1UdEwEB/wQFMAMBAf8w
        CgYIKoZIzj0EAwIDSQAwRgIhAOvx99dGAHsZOnv89LOr4x6c6beyC8Cy3gom8L69S6dIAiEA/OCZ
        6JKW1nD4ZOEaBZgbUDZlInPk6me444QwF8issVo=";

    /// A self-signed P-256 test certificate without common name, subject
    /// `C=LV, O=No Common Name`.
    const CERT_NO_CN: &str = "
        MIIBoTCCAUegAwIBAgIUfdcVPjoTCM9aHVb5tZ6s3yofBIUwCgYIKoZIzj0EAwIwJjELMAkGA1UE
        BhMCTFYxFzAVBgNVBAoMDk5vIENvbW1vbiBOYW1lMB4XDTI2MTEyNjIyMzM0NFoXDTM2MTEyMzIy
        MzM0NFowJjELMAkGA1UEBhMCTFYxFzAVBgNVBAoMDk5vIENvbW1vbiBOYW1lMFkwEwYHKoZIzj0C
        AQYIKoZIzj0DAQcDQgAEzWm07UTRQSE6ZxHmkZnA5P5JHgG/r7kIOhZyKHFcu15LjaQJsRZDipUG
        fl3R227rGR/F6aHbp4MuXiahKzFKPaNTMFEwHQYDVR0OBBYEFB88Zkcgpdo/uCNttnmyGSDaELZP
        MB8GA1UdIwQYMBaAFB88Zkcgpdo/uCNttnmyGSDaELZPMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZI
        zj0EAwIDSAAwRQIgD3vdz34zJmiNw13G26ha2SYJiRKHEPNyvmzMbfbWYuICIQDgK3Lc+D0m8KmV
        FtNEoUEupJkV+4U4RVbkO7rzMWWZZw==";

    fn file(name: &str, mime: &str, bytes: &[u8]) -> ContainerFile {
        ContainerFile {
            name: name.into(),
            mime: mime.into(),
            bytes: bytes.to_vec(),
        }
    }

    fn sample() -> Vec<ContainerFile> {
        vec![
            file("rules.pdf", "application/pdf", b"%PDF-1.7 not really a PDF"),
            file("log/000001.json", "application/json", b"{\"entry\":1}\n"),
            file(
                "log/tiles/0/x000",
                "application/octet-stream",
                &[0, 1, 2, 3, 255],
            ),
            file("empty.txt", "text/plain", b""),
        ]
    }

    /// An entry for [`zip_of`]: name, content, whether to compress it.
    type ZipEntry<'a> = (&'a str, &'a [u8], bool);

    /// A ZIP of arbitrary entries, for the refusals that [`write`] never
    /// produces.
    fn zip_of(entries: &[ZipEntry]) -> Vec<u8> {
        let limits = Limits {
            ratio: u64::MAX,
            ..Limits::default()
        };
        let mut zip = ZipWriter::new(&limits);
        for (name, data, compress) in entries {
            zip.add(name, data, *compress).unwrap();
        }
        zip.finish()
    }

    fn manifest_for(names: &[&str]) -> String {
        let files: Vec<ContainerFile> = names.iter().map(|n| file(n, "text/plain", b"")).collect();
        manifest_xml(&files)
    }

    /// A container of `a.txt` and, when given, `signatures0.xml`.
    fn signed(signatures: &str) -> Vec<u8> {
        let manifest = manifest_for(&["a.txt"]);
        zip_of(&[
            ("mimetype", MIMETYPE.as_bytes(), false),
            ("a.txt", b"a", true),
            ("META-INF/manifest.xml", manifest.as_bytes(), true),
            ("META-INF/signatures0.xml", signatures.as_bytes(), true),
        ])
    }

    fn xades(signatures: &[String]) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<asic:XAdESSignatures \
             xmlns:asic=\"{ASIC_NS}\" xmlns:ds=\"{DS_NS}\" xmlns:xades=\"{XADES_NS}\">{}\
             </asic:XAdESSignatures>",
            signatures.concat()
        )
    }

    fn signature(uris: &[&str], certificate: Option<&str>, time: Option<&str>) -> String {
        let references: String = uris
            .iter()
            .map(|uri| format!("<ds:Reference URI=\"{uri}\"><ds:DigestValue>AA==</ds:DigestValue></ds:Reference>"))
            .collect();
        let key_info = certificate
            .map(|c| format!("<ds:KeyInfo><ds:X509Data><ds:X509Certificate>{c}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"))
            .unwrap_or_default();
        let time = time
            .map(|t| format!("<xades:SigningTime>{t}</xades:SigningTime>"))
            .unwrap_or_default();
        format!(
            "<ds:Signature Id=\"S0\"><ds:SignedInfo>{references}<ds:Reference Id=\"r-sp\" \
             Type=\"http://uri.etsi.org/01903#SignedProperties\" URI=\"#S0-SignedProperties\"/>\
             </ds:SignedInfo><ds:SignatureValue>AA==</ds:SignatureValue>{key_info}<ds:Object>\
             <xades:QualifyingProperties Target=\"#S0\"><xades:SignedProperties \
             Id=\"S0-SignedProperties\"><xades:SignedSignatureProperties>{time}\
             </xades:SignedSignatureProperties></xades:SignedProperties>\
             </xades:QualifyingProperties></ds:Object></ds:Signature>"
        )
    }

    fn err(bytes: &[u8]) -> String {
        read(bytes).unwrap_err().to_string()
    }

    fn write_err(files: &[ContainerFile]) -> String {
        write(files).unwrap_err().to_string()
    }

    #[test]
    fn same_files_give_the_same_bytes() {
        let first = write(&sample()).unwrap();
        assert_eq!(first, write(&sample()).unwrap());
        let mut other = sample();
        other[0].bytes.push(b'!');
        assert_ne!(first, write(&other).unwrap());
    }

    #[test]
    fn mimetype_comes_first_stored_without_extra_field() {
        let bytes = write(&sample()).unwrap();
        // The magic that ETSI EN 319 162-1 (A.1) describes: "PK", then the
        // name "mimetype" at offset 30 and its stored content at 38.
        assert_eq!(&bytes[..4], b"PK\x03\x04");
        assert_eq!(u16::from_le_bytes([bytes[8], bytes[9]]), STORED);
        assert_eq!(
            u16::from_le_bytes([bytes[28], bytes[29]]),
            0,
            "extra field length"
        );
        assert_eq!(&bytes[30..38], b"mimetype");
        assert_eq!(&bytes[38..38 + MIMETYPE.len()], MIMETYPE.as_bytes());
    }

    #[test]
    fn entries_have_fixed_times_permissions_and_order() {
        let bytes = write(&sample()).unwrap();
        let entries = zip_entries(&bytes, &Limits::default()).unwrap();
        let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "mimetype",
                "rules.pdf",
                "log/000001.json",
                "log/tiles/0/x000",
                "empty.txt",
                MANIFEST_ENTRY
            ]
        );
        let methods: Vec<u16> = entries.iter().map(|e| e.method).collect();
        assert_eq!(
            methods,
            [STORED, DEFLATED, DEFLATED, DEFLATED, DEFLATED, DEFLATED]
        );
        // Every local header: time 00:00, date 1980-01-01, no flags.
        for entry in &entries {
            let at = |i: usize| {
                u16::from_le_bytes([bytes[entry.offset + i], bytes[entry.offset + i + 1]])
            };
            assert_eq!((at(6), at(10), at(12)), (0, 0, DOS_DATE), "{}", entry.name);
        }
        let end = find_end(&bytes).unwrap();
        let mode = &bytes[end.central_offset + 38..end.central_offset + 42];
        assert_eq!(
            u32::from_le_bytes(mode.try_into().unwrap()),
            0o100_644 << 16
        );
    }

    #[test]
    fn round_trip() {
        let bytes = write(&sample()).unwrap();
        let container = read(&bytes).unwrap();
        assert_eq!(container.files, sample());
        assert!(container.signatures.is_empty());
    }

    #[test]
    fn manifest_is_the_opendocument_form_libdigidocpp_writes() {
        let xml = manifest_xml(&sample()[..1]);
        assert_eq!(
            xml,
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\" ?>\n\
             <manifest:manifest xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\" \
             manifest:version=\"1.2\">\n \
             <manifest:file-entry manifest:full-path=\"/\" manifest:media-type=\"application/vnd.etsi.asic-e+zip\"/>\n \
             <manifest:file-entry manifest:full-path=\"rules.pdf\" manifest:media-type=\"application/pdf\"/>\n\
             </manifest:manifest>\n"
        );
        assert_eq!(xml_escape("a&b<\">"), "a&amp;b&lt;&quot;&gt;");
    }

    #[test]
    fn compressible_files_over_the_ratio_are_stored() {
        let zeros = vec![0u8; 3 << 20];
        let bytes = write(&[file("zeros.bin", "application/octet-stream", &zeros)]).unwrap();
        let entries = zip_entries(&bytes, &Limits::default()).unwrap();
        assert_eq!(entries[1].method, STORED);
        assert_eq!(read(&bytes).unwrap().files[0].bytes, zeros);
        // Under 1 MiB any ratio is deflated.
        let bytes = write(&[file(
            "zeros.bin",
            "application/octet-stream",
            &zeros[..1 << 20],
        )])
        .unwrap();
        assert_eq!(
            zip_entries(&bytes, &Limits::default()).unwrap()[1].method,
            DEFLATED
        );
    }

    #[test]
    fn names_of_unreserved_characters_are_accepted() {
        let name = "Az09-._~/sub.dir/x";
        let bytes = write(&[file(name, "text/plain", b"x")]).unwrap();
        assert_eq!(read(&bytes).unwrap().files[0].name, name);
    }

    #[test]
    fn other_names_are_refused_naming_the_file() {
        for (name, expected) in [
            (
                "Līgums.pdf",
                "file name \"Līgums.pdf\" contains U+012B: only A-Z a-z 0-9",
            ),
            ("a b.pdf", "file name \"a b.pdf\" contains U+0020"),
            ("a\\b.pdf", "file name \"a\\b.pdf\" contains U+005C"),
            ("a%20b", "contains U+0025"),
            ("x\u{202e}fdp.exe", "contains U+202E RIGHT-TO-LEFT OVERRIDE"),
            ("", "file name \"\" is empty"),
            (
                "/abs.pdf",
                "file name \"/abs.pdf\" has an empty folder name",
            ),
            ("dir/", "has an empty folder name"),
            ("a//b", "has an empty folder name"),
            (
                "../up.pdf",
                "file name \"../up.pdf\" has a . or .. folder name",
            ),
            ("./here.pdf", "has a . or .. folder name"),
            ("a/../b", "has a . or .. folder name"),
            ("mimetype", "file name \"mimetype\" is reserved"),
            ("MimeType", "is reserved"),
            (
                "META-INF/manifest.xml",
                "file name \"META-INF/manifest.xml\" is reserved",
            ),
            ("meta-inf/signatures0.xml", "is reserved"),
        ] {
            let message = write_err(&[file(name, "text/plain", b"x")]);
            assert!(message.contains(expected), "{name:?}: {message}");
        }
        let long = "a".repeat(MAX_NAME + 1);
        assert!(write_err(&[file(&long, "text/plain", b"")]).contains("is longer than 255 bytes"));
        assert!(write(&[file(&"a".repeat(MAX_NAME), "text/plain", b"")]).is_ok());
    }

    #[test]
    fn duplicates_and_clashes_are_refused() {
        let same = [
            file("a.txt", "text/plain", b"1"),
            file("a.txt", "text/plain", b"2"),
        ];
        assert_eq!(write_err(&same), "file name \"a.txt\" is given twice");
        let case = [
            file("A.txt", "text/plain", b"1"),
            file("a.txt", "text/plain", b"2"),
        ];
        assert_eq!(
            write_err(&case),
            "file names \"A.txt\" and \"a.txt\" clash: they differ only in upper and lower case"
        );
        let folder = [
            file("log/x", "text/plain", b""),
            file("Log", "text/plain", b""),
        ];
        assert_eq!(
            write_err(&folder),
            "file names \"Log\" and \"log/x\" clash: the first is a folder in the second"
        );
    }

    #[test]
    fn media_types_and_empty_lists_are_checked() {
        for mime in [
            "",
            "pdf",
            "application/",
            "/pdf",
            "application/pdf; charset=x",
            "text/pl\"ain",
            "a/b/c",
        ] {
            let message = write_err(&[file("a.pdf", mime, b"")]);
            assert!(message.starts_with("media type"), "{mime:?}: {message}");
        }
        assert!(write(&[file("a", "application/vnd.etsi.asic-e+zip", b"")]).is_ok());
        assert_eq!(
            write_err(&[]),
            "an eDoc container needs at least one data file"
        );
    }

    #[test]
    fn writing_respects_the_limits() {
        let limits = Limits {
            entry: 3,
            ..Limits::default()
        };
        let error = write_with(&[file("a", "text/plain", b"four")], &limits).unwrap_err();
        assert_eq!(error.to_string(), "\"a\" is larger than 3 bytes");
        let limits = Limits {
            entries: 3,
            ..Limits::default()
        };
        let two = [file("a", "text/plain", b""), file("b", "text/plain", b"")];
        assert!(matches!(
            write_with(&two, &limits),
            Err(EdocError::TooManyEntries(3))
        ));
        let limits = Limits {
            container: 300,
            ..Limits::default()
        };
        let error = write_with(&[file("a", "text/plain", &[7; 400])], &limits).unwrap_err();
        assert_eq!(error.to_string(), "the container is larger than 300 bytes");
    }

    #[test]
    fn the_container_limit_is_exact() {
        let size = write(&sample()).unwrap().len() as u64;
        let at = |container| {
            write_with(
                &sample(),
                &Limits {
                    container,
                    ..Limits::default()
                },
            )
        };
        assert_eq!(at(size).unwrap().len() as u64, size);
        assert!(matches!(at(size - 1), Err(EdocError::TooLarge { .. })));
        let many = Limits {
            entries: 1 << 20,
            ..Limits::default()
        };
        let files: Vec<ContainerFile> = (0..65_534)
            .map(|i| file(&format!("f{i}"), "text/plain", b""))
            .collect();
        assert!(matches!(
            write_with(&files, &many),
            Err(EdocError::TooManyEntries(65_535))
        ));
    }

    #[test]
    fn truncated_and_extended_containers_are_refused() {
        let bytes = write(&sample()).unwrap();
        for cut in [
            0,
            1,
            21,
            22,
            bytes.len() / 2,
            bytes.len() - 23,
            bytes.len() - 1,
        ] {
            assert!(read(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        assert_eq!(
            err(&bytes[..bytes.len() - 1]),
            "not an eDoc container: no ZIP end record (not a ZIP file, or cut short)"
        );
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(err(&longer).starts_with("not an eDoc container: no ZIP end record"));
        let mut prefixed = b"junk".to_vec();
        prefixed.extend_from_slice(&bytes);
        assert!(err(&prefixed).starts_with("damaged container: the central directory does not end"));
        assert!(err(b"%PDF-1.7").starts_with("not an eDoc container"));
    }

    #[test]
    fn damaged_content_is_refused() {
        let bytes = write(&[file("a.txt", "text/plain", b"hello hello hello")]).unwrap();
        let entries = zip_entries(&bytes, &Limits::default()).unwrap();
        let data_at = entries[1].offset + 30 + "a.txt".len();
        let mut flipped = bytes.clone();
        flipped[data_at] ^= 0xFF;
        let message = err(&flipped);
        assert!(
            message.starts_with("damaged container: entry \"a.txt\""),
            "{message}"
        );
        let mut crc = bytes.clone();
        crc[entries[1].offset + 14] ^= 1;
        assert!(err(&crc).contains("the local header and the central directory disagree"));
    }

    #[test]
    fn limits_are_checked_before_inflating() {
        let bytes = write(&sample()).unwrap();
        let check = |limits: Limits, expected: &str| {
            let message = read_with(&bytes, &limits).unwrap_err().to_string();
            assert_eq!(message, expected);
        };
        check(
            Limits {
                container: 100,
                ..Limits::default()
            },
            "the container is larger than 100 bytes",
        );
        check(
            Limits {
                entry: 31,
                ..Limits::default()
            },
            "entry \"META-INF/manifest.xml\" is larger than 31 bytes",
        );
        check(
            Limits {
                entries: 5,
                ..Limits::default()
            },
            "the container has more than 5 entries",
        );
        check(
            Limits {
                total: 60,
                ..Limits::default()
            },
            "the container's entries together is larger than 60 bytes",
        );
        check(
            Limits {
                xml: 100,
                ..Limits::default()
            },
            "entry \"META-INF/manifest.xml\" is larger than 100 bytes",
        );
    }

    #[test]
    fn decompression_bombs_are_refused() {
        let zeros = vec![0u8; 4 << 20];
        let manifest = manifest_for(&["zeros"]);
        let bomb = zip_of(&[
            ("mimetype", MIMETYPE.as_bytes(), false),
            ("zeros", &zeros, true),
            ("META-INF/manifest.xml", manifest.as_bytes(), true),
        ]);
        assert_eq!(
            err(&bomb),
            "entry \"zeros\" would expand more than 100 times (a decompression bomb?)"
        );
        let lenient = Limits {
            ratio: 10_000,
            ..Limits::default()
        };
        assert_eq!(read_with(&bomb, &lenient).unwrap().files[0].bytes, zeros);
    }

    #[test]
    fn mimetype_must_be_first_stored_exact() {
        let manifest = manifest_for(&["a.txt"]);
        let m = manifest.as_bytes();
        let cases: [(Vec<ZipEntry>, &str); 5] = [
            (
                vec![("a.txt", b"a", true), ("mimetype", MIMETYPE.as_bytes(), false), (MANIFEST_ENTRY, m, true)],
                "not an eDoc container: the first entry is \"a.txt\", not \"mimetype\"",
            ),
            (
                vec![("mimetype", MIMETYPE.as_bytes(), true), ("a.txt", b"a", true), (MANIFEST_ENTRY, m, true)],
                "not an eDoc container: the mimetype entry is compressed",
            ),
            (
                vec![("mimetype", b"application/vnd.etsi.asic-e+zip\n", false), ("a.txt", b"a", true), (MANIFEST_ENTRY, m, true)],
                "not an eDoc container: the mimetype is \"application/vnd.etsi.asic-e+zip\\n\", not \"application/vnd.etsi.asic-e+zip\"",
            ),
            (
                vec![("mimetype", b"application/vnd.etsi.asic-s+zip", false), ("a.txt", b"a", true), (MANIFEST_ENTRY, m, true)],
                "not an eDoc container: the mimetype is \"application/vnd.etsi.asic-s+zip\", not \"application/vnd.etsi.asic-e+zip\"",
            ),
            (
                vec![("mimetype", MIMETYPE.as_bytes(), false), ("a.txt", b"a", true)],
                "not an eDoc container: it has no META-INF/manifest.xml",
            ),
        ];
        for (entries, expected) in cases {
            assert_eq!(err(&zip_of(&entries)), expected);
        }
    }

    #[test]
    fn mimetype_with_an_extra_field_is_refused() {
        // Give the stored mimetype a 4-byte extra field in both headers.
        let bytes = write(&[file("a.txt", "text/plain", b"a")]).unwrap();
        let end = find_end(&bytes).unwrap();
        let mut patched = Vec::new();
        patched.extend_from_slice(&bytes[..28]);
        patched.extend_from_slice(&4u16.to_le_bytes());
        patched.extend_from_slice(&bytes[30..38]);
        patched.extend_from_slice(&[0xCA, 0xFE, 0, 0]);
        patched.extend_from_slice(&bytes[38..end.central_offset]);
        let mut central = bytes[end.central_offset..end.pos].to_vec();
        central[30..32].copy_from_slice(&4u16.to_le_bytes());
        central.splice(46 + 8..46 + 8, [0xCA, 0xFE, 0, 0]);
        // The later entries moved by 4 bytes in both places.
        let mut c = 0;
        for _ in 0..end.entries {
            if c > 0 {
                let at = c + 42;
                let offset = u32::from_le_bytes(central[at..at + 4].try_into().unwrap()) + 4;
                central[at..at + 4].copy_from_slice(&offset.to_le_bytes());
            }
            let lengths =
                |i: usize| usize::from(u16::from_le_bytes([central[c + i], central[c + i + 1]]));
            c += 46 + lengths(28) + lengths(30) + lengths(32);
        }
        let central_offset = patched.len() as u32;
        patched.extend_from_slice(&central);
        let mut record = bytes[end.pos..].to_vec();
        record[12..16].copy_from_slice(&(central.len() as u32).to_le_bytes());
        record[16..20].copy_from_slice(&central_offset.to_le_bytes());
        patched.extend_from_slice(&record);
        assert_eq!(
            err(&patched),
            "not an eDoc container: the mimetype entry has an extra field"
        );
    }

    #[test]
    fn unsafe_names_are_refused() {
        for (name, expected) in [
            (
                "../evil.txt",
                "entry name \"../evil.txt\" has an empty, . or .. folder name",
            ),
            ("a/../../evil.txt", "has an empty, . or .. folder name"),
            ("/etc/passwd", "entry name \"/etc/passwd\" is absolute"),
            (
                "..\\evil.txt",
                "entry name \"..\\evil.txt\" contains a backslash",
            ),
            ("C:/evil.txt", "starts with a drive letter"),
            ("a//b.txt", "has an empty, . or .. folder name"),
            (
                "a\u{1b}[31m.txt",
                "contains a control, bidirectional or invisible character",
            ),
        ] {
            let manifest = manifest_for(&[name]);
            let bytes = zip_of(&[
                ("mimetype", MIMETYPE.as_bytes(), false),
                (name, b"x", true),
                (MANIFEST_ENTRY, manifest.as_bytes(), true),
            ]);
            let message = err(&bytes);
            assert!(message.contains(expected), "{name:?}: {message}");
        }
    }

    #[test]
    fn duplicate_and_unexpected_entries_are_refused() {
        let manifest = manifest_for(&["a.txt"]);
        let m = manifest.as_bytes();
        let mime = MIMETYPE.as_bytes();
        let twice = zip_of(&[
            ("mimetype", mime, false),
            ("a.txt", b"1", true),
            ("a.txt", b"2", true),
            (MANIFEST_ENTRY, m, true),
        ]);
        assert_eq!(err(&twice), "entry \"a.txt\" appears twice");
        let two_mimetypes = zip_of(&[
            ("mimetype", mime, false),
            ("mimetype", mime, false),
            (MANIFEST_ENTRY, m, true),
        ]);
        assert_eq!(err(&two_mimetypes), "entry \"mimetype\" appears twice");
        let other = zip_of(&[
            ("mimetype", mime, false),
            ("a.txt", b"1", true),
            (MANIFEST_ENTRY, m, true),
            ("META-INF/signature.p7s", b"", true),
        ]);
        // Another file in META-INF/ is listed, not read and not refused.
        assert_eq!(read(&other).unwrap().unread, ["META-INF/signature.p7s"]);
        // Folder entries are fine.
        let folders = zip_of(&[
            ("mimetype", mime, false),
            ("META-INF/", b"", false),
            ("a.txt", b"1", true),
            (MANIFEST_ENTRY, m, true),
        ]);
        assert_eq!(read(&folders).unwrap().files.len(), 1);
    }

    #[test]
    fn manifest_must_list_exactly_the_data_files() {
        let manifest = manifest_for(&["a.txt", "b.txt"]);
        let bytes = zip_of(&[
            ("mimetype", MIMETYPE.as_bytes(), false),
            ("a.txt", b"1", true),
            ("c.txt", b"3", true),
            (MANIFEST_ENTRY, manifest.as_bytes(), true),
        ]);
        assert_eq!(
            err(&bytes),
            "the manifest does not list exactly the data files: listed but not in the container: \
             \"b.txt\"; in the container but not listed: \"c.txt\""
        );
    }

    /// A container of `a.txt` with `manifest`.
    fn with_manifest(manifest: &str) -> Vec<u8> {
        zip_of(&[
            ("mimetype", MIMETYPE.as_bytes(), false),
            ("a.txt", b"1", true),
            (MANIFEST_ENTRY, manifest.as_bytes(), true),
        ])
    }

    fn manifest_entry_xml(path: &str, mime: &str) -> String {
        format!("<m:file-entry m:full-path=\"{path}\" m:media-type=\"{mime}\"/>")
    }

    fn manifest_root(attributes: &str, body: &str) -> String {
        format!("<m:manifest xmlns:m=\"{MANIFEST_NS}\"{attributes}>{body}</m:manifest>")
    }

    #[test]
    fn manifest_entries_are_checked() {
        let root = manifest_entry_xml("/", MIMETYPE);
        let a = manifest_entry_xml("a.txt", "text/plain");
        let once = "the manifest must list \"/\" once, as application/vnd.etsi.asic-e+zip";
        let cases = [
            (
                manifest_root("", &a),
                "the manifest does not list \"/\" as application/vnd.etsi.asic-e+zip",
            ),
            (
                manifest_root("", &(manifest_entry_xml("/", "application/zip") + &a)),
                once,
            ),
            (manifest_root("", &format!("{root}{root}{a}")), once),
            (
                manifest_root("", &format!("{root}{a}{a}")),
                "the manifest lists \"a.txt\" twice",
            ),
            (
                manifest_root(" m:version=\"1.3\"", &format!("{root}{a}")),
                "the manifest has a version other than 1.2",
            ),
            (
                manifest_root("", &format!("{root}<m:file-entry m:full-path=\"a.txt\"/>")),
                "the manifest has a file-entry without full-path or media-type",
            ),
            (
                manifest_root("", &format!("{root}<x/>{a}")),
                "the manifest has an element <x> where manifest:file-entry belongs",
            ),
            (
                manifest_root("", &a.replace("/>", "><m:encryption-data/></m:file-entry>")),
                "the manifest describes an encrypted file, which eDoc containers do not hold",
            ),
        ];
        for (manifest, expected) in cases {
            assert_eq!(err(&with_manifest(&manifest)), expected, "{manifest}");
        }
        // The manifest as pyasice writes it (no version) is read.
        let pyasice = manifest_root("", &format!("{root}{a}"));
        let files = read(&with_manifest(&pyasice)).unwrap().files;
        assert_eq!(files, [file("a.txt", "text/plain", b"1")]);
    }

    #[test]
    fn manifests_that_are_not_plain_xml_are_refused() {
        let body = manifest_entry_xml("/", MIMETYPE) + &manifest_entry_xml("a.txt", "text/plain");
        let good = manifest_root("", &body);
        let dtd = "META-INF/manifest.xml has a DTD, which is not allowed";
        let cases = [
            (
                format!("<manifest xmlns:m=\"{MANIFEST_NS}\">{body}</manifest>"),
                "the manifest is not an OpenDocument manifest (manifest:manifest)",
            ),
            (format!("<!DOCTYPE m:manifest>{good}"), dtd),
            (
                format!("<!DOCTYPE x [<!ENTITY a \"aa\"><!ENTITY b \"&a;&a;\">]>{good}"),
                dtd,
            ),
            (
                good.replace("</m:manifest>", ""),
                "META-INF/manifest.xml is not well-formed XML",
            ),
            (
                "not XML".to_string(),
                "META-INF/manifest.xml is not well-formed XML",
            ),
        ];
        for (manifest, expected) in cases {
            assert_eq!(err(&with_manifest(&manifest)), expected, "{manifest}");
        }
    }

    #[test]
    fn non_utf8_xml_is_refused() {
        let bytes = zip_of(&[
            ("mimetype", MIMETYPE.as_bytes(), false),
            ("a.txt", b"1", true),
            (MANIFEST_ENTRY, b"<\xFF/>", true),
        ]);
        assert_eq!(err(&bytes), "META-INF/manifest.xml is not UTF-8 text");
    }

    #[test]
    fn encryption_and_zip64_are_refused() {
        let bytes = write(&[file("a.txt", "text/plain", b"a")]).unwrap();
        let entries = zip_entries(&bytes, &Limits::default()).unwrap();
        let end = find_end(&bytes).unwrap();
        let mut encrypted = bytes.clone();
        encrypted[entries[1].offset + 6] |= 1;
        let second_record = end.central_offset + 46 + "mimetype".len();
        encrypted[second_record + 8] |= 1;
        assert_eq!(
            err(&encrypted),
            "unsupported ZIP feature: encryption (entry \"a.txt\")"
        );
        let mut zip64 = bytes.clone();
        let at = end.pos + 16;
        zip64[at..at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(err(&zip64), "unsupported ZIP feature: ZIP64");
        let mut method = bytes.clone();
        method[entries[1].offset + 8] = 12; // bzip2
        method[second_record + 10] = 12;
        assert_eq!(
            err(&method),
            "unsupported ZIP feature: compression method 12 (entry \"a.txt\")"
        );
    }

    #[test]
    fn signatures_are_listed() {
        let xml = xades(&[
            signature(
                &["a.txt", "L%C4%ABgums%201.pdf"],
                Some(CERT_CN),
                Some("2026-11-27T10:00:00Z"),
            ),
            signature(&["a.txt"], Some(CERT_NO_CN), None),
            signature(&["a.txt"], None, Some(" 2026-11-28T09:30:00+02:00 ")),
        ]);
        let container = read(&signed(&xml)).unwrap();
        let file = "META-INF/signatures0.xml";
        let listed: Vec<_> = container
            .signatures
            .iter()
            .map(|s| {
                let covers = s.covers();
                (
                    s.file.as_str(),
                    s.signer.as_deref(),
                    s.signing_time.as_deref(),
                    covers,
                )
            })
            .collect();
        assert_eq!(
            listed,
            [
                (
                    file,
                    Some("Aknīstes novada pašvaldība TEST"),
                    Some("2026-11-27T10:00:00Z"),
                    vec!["a.txt", "Līgums 1.pdf"]
                ),
                (file, Some("O=No Common Name,C=LV"), None, vec!["a.txt"]),
                (file, None, Some("2026-11-28T09:30:00+02:00"), vec!["a.txt"]),
            ]
        );
    }

    #[test]
    fn a_references_digest_is_read_as_it_is_written() {
        let sha256 = "http://www.w3.org/2001/04/xmlenc#sha256";
        let reference = format!(
            "<ds:Reference URI=\"a.txt\"><ds:DigestMethod Algorithm=\"{sha256}\"/>\
             <ds:DigestValue>\n AAEC\n /w==</ds:DigestValue></ds:Reference>"
        );
        let with = |r: &str| {
            let xml = xades(&[signature(&[], None, None)
                .replace("<ds:SignedInfo>", &format!("<ds:SignedInfo>{r}"))]);
            read(&signed(&xml)).unwrap().signatures[0].references[0].clone()
        };
        assert_eq!(
            with(&reference),
            Reference {
                file: "a.txt".into(),
                method: Some(sha256.into()),
                digest: Some(vec![0, 1, 2, 255]),
                transforms: false,
            }
        );
        let transformed = reference.replace("<ds:DigestMethod", "<ds:Transforms/><ds:DigestMethod");
        assert!(with(&transformed).transforms);
        let bare = with("<ds:Reference URI=\"a.txt\"><ds:DigestValue>not base64</ds:DigestValue></ds:Reference>");
        assert_eq!((bare.method, bare.digest), (None, None));
    }

    #[test]
    fn a_bare_ds_signature_root_is_listed() {
        let xml = signature(&["a.txt"], None, None).replace(
            "<ds:Signature ",
            &format!("<ds:Signature xmlns:ds=\"{DS_NS}\" xmlns:xades=\"{XADES_NS}\" "),
        );
        let container = read(&signed(&xml)).unwrap();
        assert_eq!(container.signatures[0].covers(), ["a.txt"]);
    }

    #[test]
    fn malformed_signatures_are_refused() {
        let one = |s: String| xades(&[s]);
        let cases = [
            (one(signature(&["a.txt"], Some("not base64!"), None)), "META-INF/signatures0.xml: signature 1: the ds:X509Certificate is not base64"),
            (one(signature(&["a.txt"], Some("AAAA"), None)), "META-INF/signatures0.xml: signature 1: the signer's certificate cannot be read"),
            (one(signature(&["a.txt"], None, Some("yesterday"))), "META-INF/signatures0.xml: signature 1: its xades:SigningTime is not a date and time"),
            (one(signature(&["a.txt"], None, Some("2026-01-01"))).replace("</xades:SignedSignatureProperties>", "<xades:SigningTime>2026-01-02</xades:SigningTime></xades:SignedSignatureProperties>"), "META-INF/signatures0.xml: signature 1: has more than one xades:SigningTime"),
            (one(signature(&["a%FF.txt"], None, None)), "META-INF/signatures0.xml: signature 1: reference \"a%FF.txt\" is not UTF-8 once decoded"),
            (one(signature(&["a%E2%80%AE.txt"], None, None)), "META-INF/signatures0.xml: signature 1: reference \"a\\u{202e}.txt\" contains a control, bidirectional or invisible character"),
            (one(signature(&[], None, None).replace("<ds:SignedInfo>", "<ds:SignedInfo><ds:Reference/>")), "META-INF/signatures0.xml: signature 1: a ds:Reference has no URI"),
            (one(signature(&[], None, None).replace("<ds:SignedInfo>", "<ds:SignedInfo></ds:SignedInfo><ds:SignedInfo>")), "META-INF/signatures0.xml: signature 1: does not have exactly one ds:SignedInfo"),
            (xades(&[]), "META-INF/signatures0.xml: holds no signature"),
            (xades(&["<ds:Manifest/>".into()]), "META-INF/signatures0.xml: <Manifest> where only ds:Signature belongs"),
            ("<signatures/>".into(), "META-INF/signatures0.xml: is not XAdES signatures (asic:XAdESSignatures)"),
            (format!("<!DOCTYPE x>{}", xades(&[])), "META-INF/signatures0.xml has a DTD, which is not allowed"),
            ("<a>".into(), "META-INF/signatures0.xml is not well-formed XML"),
        ];
        for (xml, expected) in cases {
            assert_eq!(err(&signed(&xml)), expected, "{xml}");
        }
    }

    #[test]
    fn signature_files_are_found_by_name() {
        let xml = xades(&[signature(&["a.txt"], None, None)]);
        let manifest = manifest_for(&["a.txt"]);
        let names = [
            "META-INF/signatures.xml",
            "META-INF/signatures1.xml",
            "META-INF/mysignatures-7.xml",
        ];
        for name in names {
            let bytes = zip_of(&[
                ("mimetype", MIMETYPE.as_bytes(), false),
                ("a.txt", b"a", true),
                (MANIFEST_ENTRY, manifest.as_bytes(), true),
                (name, xml.as_bytes(), true),
            ]);
            assert_eq!(read(&bytes).unwrap().signatures[0].file, name);
        }
        for name in [
            "META-INF/sub/signatures0.xml",
            "META-INF/signatures0.txt",
            "META-INF/signature0.xml",
        ] {
            let bytes = zip_of(&[
                ("mimetype", MIMETYPE.as_bytes(), false),
                ("a.txt", b"a", true),
                (MANIFEST_ENTRY, manifest.as_bytes(), true),
                (name, xml.as_bytes(), true),
            ]);
            let container = read(&bytes).unwrap();
            assert_eq!(container.unread, [name]);
            assert!(container.signatures.is_empty(), "{name}");
        }
    }

    #[test]
    fn data_descriptors_are_read() {
        // Set bit 3 on "a.txt" and add a signed descriptor, as Java's
        // ZipOutputStream writes it.
        let bytes = write(&[file("a.txt", "text/plain", b"hello")]).unwrap();
        let entries = zip_entries(&bytes, &Limits::default()).unwrap();
        let end = find_end(&bytes).unwrap();
        let (a, manifest) = (&entries[1], &entries[2]);
        let mut out = bytes[..a.end].to_vec();
        out[a.offset + 6] |= 8;
        out[a.offset + 14..a.offset + 26].fill(0);
        for v in [DESCRIPTOR_SIG, a.crc, a.data.len() as u32, a.size as u32] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&bytes[manifest.offset..end.central_offset]);
        let mut central = bytes[end.central_offset..end.pos].to_vec();
        let second = 46 + "mimetype".len();
        central[second + 8] |= 8;
        let third = second + 46 + "a.txt".len() + 42;
        let moved = u32::from_le_bytes(central[third..third + 4].try_into().unwrap()) + 16;
        central[third..third + 4].copy_from_slice(&moved.to_le_bytes());
        let central_offset = out.len() as u32;
        out.extend_from_slice(&central);
        let mut record = bytes[end.pos..].to_vec();
        record[16..20].copy_from_slice(&central_offset.to_le_bytes());
        out.extend_from_slice(&record);
        assert_eq!(read(&out).unwrap().files[0].bytes, b"hello");
        // A descriptor that disagrees is refused.
        let at = out.len() - record.len() - central.len() - manifest.end + manifest.offset - 4;
        out[at] ^= 1;
        assert!(err(&out).contains("its data descriptor is missing or disagrees"));
    }

    #[test]
    fn no_input_panics() {
        // Every one-byte change and every truncation of a small signed container.
        let bytes = signed(&xades(&[signature(
            &["a.txt"],
            Some(CERT_CN),
            Some("2026-11-27T10:00:00Z"),
        )]));
        assert!(read(&bytes).is_ok());
        for i in 0..bytes.len() {
            for flip in [0x01, 0x80, 0xFF] {
                let mut changed = bytes.clone();
                changed[i] ^= flip;
                if let Ok(container) = read(&changed) {
                    let _ = seals::step(&seals::check(&container));
                }
            }
            let _ = read(&bytes[..i]);
        }
    }

    #[test]
    fn every_error_has_a_hint() {
        use crate::Hint as _;
        let errors = [
            write(&[]).unwrap_err(),
            read(b"").unwrap_err(),
            read(&signed("<a>")).unwrap_err(),
            write(&[file("a b", "text/plain", b"")]).unwrap_err(),
        ];
        for error in errors {
            let hint = error.hint().unwrap();
            assert!(
                !hint.is_empty() && hint.chars().next().unwrap().is_lowercase(),
                "{hint}"
            );
        }
    }
}
