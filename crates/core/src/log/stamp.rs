//! Trusted time stamps (RFC 3161) over the log's checkpoints.
//!
//! A signed checkpoint proves what the log held, but the issuer's own clock
//! writes every date in it. A time stamp authority (TSA) says, under its own
//! signature, that a hash existed no later than a time. This module decides
//! what is stamped, where the token is kept, how it travels and how it is
//! audited:
//!
//! - the **imprint** is SHA-256 of the checkpoint's signed note exactly as
//!   the issuer wrote it, signatures included: the file `checkpoints/N`;
//! - the **token** (the DER `TimeStampToken`, not the whole response) is
//!   kept beside it as `checkpoints/N.tsr` (further TSAs' as `N.2.tsr`,
//!   `N.3.tsr`, ...), written atomically, never replaced;
//! - in a **receipt** the checkpoint carries the token as one more
//!   signed-note signature line under the key name [`KEY_NAME`] (signature
//!   type 0xff with an identifier, as C2SP signed-note reserves for types it
//!   does not assign); readers that do not know the key ignore the line, as
//!   the specification requires, and the imprint is over the note without it;
//! - the **audit** step ([`step`]) checks every token: imprint, CMS
//!   signature, time stamping certificate, chain to the auditor's anchors.

use std::path::{Path, PathBuf};

use ed25519_dalek::VerifyingKey;
use serde::Serialize;
use sha2::{Digest as _, Sha256};

use super::entry::Kind;
use super::store::{LogDir, StoreError, MAX_CHECKPOINT_FILE};
use crate::fsutil::{self, Overwrite};
use crate::outcome::Outcome;
use crate::tsa::{self, Stamp, Token, Trust, TrustStore, TsaError};
use tlog::checkpoint::SignedCheckpoint;
use tlog::note::{NoteError, NoteSignature};

/// The file name extension of a token kept beside its checkpoint.
pub const TOKEN_EXTENSION: &str = "tsr";
/// The most time stamps kept per checkpoint (several TSAs): `N.tsr`, then
/// `N.2.tsr` to `N.16.tsr`.
pub const MAX_TOKENS: u32 = 16;
/// The signed-note key name of a time stamp line in a receipt's checkpoint.
pub const KEY_NAME: &str = "rfc3161-timestamp";
/// The signature type of that line: 0xff, then an identifier (C2SP
/// signed-note reserves 0xff for types it does not assign).
pub const SIGNATURE_TYPE: &[u8] = b"\xffackreg/rfc3161-timestamp-token@v1";

/// Why a time stamp cannot be requested, imported or attached.
#[derive(Debug, thiserror::Error)]
pub enum StampError {
    /// The log folder.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No `checkpoints/N` to stamp.
    #[error("the log kept no checkpoint of {0} entries (checkpoints/{0})")]
    NoCheckpoint(u64),
    /// A file or folder could not be listed, read or written.
    #[error("{}: {error}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What happened (in the message, so not a source).
        error: std::io::Error,
    },
    /// A file could not be read.
    #[error("cannot read {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: fsutil::ReadError,
    },
    /// The reply or token is not a time stamp over this checkpoint.
    #[error("not a time stamp of checkpoint {size}")]
    Refused {
        /// The checkpoint's size.
        size: u64,
        /// Why.
        #[source]
        source: TsaError,
    },
    /// The TSA could not be asked.
    #[error("cannot get a time stamp from the time stamp authority")]
    Fetch(#[source] TsaError),
    /// Every place for a token of this checkpoint is taken.
    #[error("checkpoint {0} already has {MAX_TOKENS} time stamps")]
    Full(u64),
    /// The token could not be written.
    #[error(transparent)]
    Write(fsutil::WriteError),
    /// No random nonce.
    #[error("cannot make a random nonce: {0}")]
    Random(getrandom::Error),
    /// The request file given to check a reply against is not a request.
    #[error("not a time stamp request of ackreg: {0}")]
    Query(&'static str),
    /// The request file given is for another checkpoint.
    #[error("the time stamp request is not for checkpoint {0}: its imprint is another hash")]
    QueryOtherCheckpoint(u64),
    /// The token does not fit in the receipt's checkpoint.
    #[error("the time stamp does not fit in the receipt's checkpoint")]
    Note(#[source] NoteError),
}

impl crate::Hint for StampError {
    fn hint(&self) -> Option<String> {
        match self {
            StampError::Store(e) => crate::Hint::hint(e),
            StampError::NoCheckpoint(_) => {
                Some("stamp a checkpoint the log kept: list the folder checkpoints/".into())
            }
            StampError::Read { source, .. } => crate::Hint::hint(source),
            StampError::Refused { source, .. } | StampError::Fetch(source) => {
                crate::Hint::hint(source)
            }
            StampError::Full(_) => {
                Some("stamp a newer checkpoint instead; it covers everything before it".into())
            }
            StampError::Write(e) => crate::Hint::hint(e),
            _ => None,
        }
    }
}

/// What importing a token did.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The checkpoint's size.
    pub size: u64,
    /// Where the token is kept.
    pub path: PathBuf,
    /// What the token says (not yet tied to a trust anchor).
    pub stamp: Stamp,
    /// False when the same token was kept already.
    pub new: bool,
}

/// SHA-256 of a checkpoint's signed note: what a time stamp is over.
pub fn imprint(note: &[u8]) -> [u8; 32] {
    Sha256::digest(note).into()
}

/// The key id of the time stamp line: SHA-256(name || 0x0A || type)[:4].
pub fn key_id() -> u32 {
    let mut hash = Sha256::new();
    hash.update(KEY_NAME.as_bytes());
    hash.update(b"\n");
    hash.update(SIGNATURE_TYPE);
    let d = hash.finalize();
    u32::from_be_bytes([d[0], d[1], d[2], d[3]])
}

/// Whether a signature line is a time stamp line.
pub fn is_stamp_line(s: &NoteSignature) -> bool {
    s.name == KEY_NAME && s.key_id == key_id()
}

/// The file name of the `k`-th token (from 1) of the checkpoint of `size`
/// entries: `N.tsr`, `N.2.tsr`, ...
pub fn token_name(size: u64, k: u32) -> String {
    match k {
        1 => format!("{size}.{TOKEN_EXTENSION}"),
        _ => format!("{size}.{k}.{TOKEN_EXTENSION}"),
    }
}

/// Where the `k`-th token of the checkpoint of `size` entries is kept.
pub fn token_path(log: &LogDir, size: u64, k: u32) -> PathBuf {
    log.checkpoints_dir().join(token_name(size, k))
}

/// The size of the checkpoint to stamp: `size`, or the newest's.
pub fn checkpoint_size(log: &LogDir, size: Option<u64>) -> Result<u64, StampError> {
    match size {
        Some(n) => Ok(n),
        None => Ok(log.checkpoint()?.checkpoint.size),
    }
}

/// The bytes of `checkpoints/N`, exactly as kept.
pub fn checkpoint_bytes(log: &LogDir, size: u64) -> Result<Vec<u8>, StampError> {
    let path = log.checkpoint_of(size);
    if !path.is_file() {
        return Err(StampError::NoCheckpoint(size));
    }
    fsutil::read_limited(&path, MAX_CHECKPOINT_FILE).map_err(|source| StampError::Read {
        path: path.clone(),
        source,
    })
}

/// A random nonce for a request.
fn nonce() -> Result<u64, StampError> {
    getrandom::u64().map_err(StampError::Random)
}

/// The DER time stamp request (`.tsq`) for the checkpoint of `size`
/// entries, with a random nonce.
pub fn request(log: &LogDir, size: u64) -> Result<Vec<u8>, StampError> {
    let imprint = imprint(&checkpoint_bytes(log, size)?);
    Ok(tsa::request(&imprint, nonce()?))
}

/// A reply (`TimeStampResp`) or a bare token, as a token: a token starts
/// with its content type (an OBJECT IDENTIFIER), a reply with its status
/// (a SEQUENCE).
pub fn parse_reply(der: &[u8]) -> Result<Token, TsaError> {
    if first_inner_tag(der) == Some(0x06) {
        tsa::parse_token(der)
    } else {
        tsa::parse_response(der)
    }
}

/// The tag of the first element inside the outer SEQUENCE, if any.
fn first_inner_tag(der: &[u8]) -> Option<u8> {
    let (&tag, rest) = der.split_first()?;
    let (&len, rest) = rest.split_first()?;
    if tag != 0x30 {
        return None;
    }
    let skip = if len < 0x80 { 0 } else { (len & 0x7f) as usize };
    rest.get(skip).copied()
}

/// The message imprint and nonce of a DER `TimeStampReq` (RFC 3161
/// section 2.4.1) with a SHA-256 imprint and a nonce of at most 64 bits, as
/// [`request`] writes it.
pub fn parse_request(der: &[u8]) -> Result<([u8; 32], u64), StampError> {
    use der::{Any, Decode as _, Tag, Tagged as _};
    let bad = StampError::Query;
    if der.len() > 4096 {
        return Err(bad("larger than 4096 bytes"));
    }
    let fields: Vec<Any> = Vec::from_der(der).map_err(|_| bad("not a DER SEQUENCE"))?;
    let imprint = fields
        .get(1)
        .filter(|f| f.tag() == Tag::Sequence)
        .and_then(|f| Vec::<Any>::from_der(&der::Encode::to_der(f).ok()?).ok())
        .and_then(|mi| mi.get(1).and_then(|h| <[u8; 32]>::try_from(h.value()).ok()))
        .ok_or(bad("no SHA-256 message imprint"))?;
    let nonce = fields
        .iter()
        .skip(2)
        .find(|f| f.tag() == Tag::Integer)
        .ok_or(bad("no nonce"))?
        .value();
    let digits = nonce.strip_prefix(&[0]).unwrap_or(nonce);
    if nonce.is_empty() || digits.len() > 8 || nonce[0] & 0x80 != 0 {
        return Err(bad(
            "the nonce is not a positive integer of at most 64 bits",
        ));
    }
    let mut bytes = [0u8; 8];
    bytes[8 - digits.len()..].copy_from_slice(digits);
    Ok((imprint, u64::from_be_bytes(bytes)))
}

/// The nonce of `query` (a request file's bytes), checked to be a request
/// for the checkpoint of `size` entries.
pub fn query_nonce(log: &LogDir, size: u64, query: &[u8]) -> Result<u64, StampError> {
    let (hash, nonce) = parse_request(query)?;
    if hash != imprint(&checkpoint_bytes(log, size)?) {
        return Err(StampError::QueryOtherCheckpoint(size));
    }
    Ok(nonce)
}

/// Imports a reply or bare token `der` for the checkpoint of `size`
/// entries: it must be a well-formed token over that checkpoint, signed by
/// a time stamping certificate (and answer `nonce` when given). Nothing is
/// written unless it is; the same token kept already is not an error.
pub fn import(
    log: &LogDir,
    size: u64,
    der: &[u8],
    nonce: Option<u64>,
) -> Result<Imported, StampError> {
    let refused = |source| StampError::Refused { size, source };
    let token = parse_reply(der).map_err(refused)?;
    if let Some(n) = nonce {
        token.check_nonce(n).map_err(refused)?;
    }
    let imprint = imprint(&checkpoint_bytes(log, size)?);
    let stamp = tsa::verify_untrusted(&token, &imprint).map_err(refused)?;
    let (path, new) = keep(log, size, &token.to_der())?;
    Ok(Imported {
        size,
        path,
        stamp,
        new,
    })
}

/// Keeps the token of the checkpoint of `size` entries in the first free
/// place (`N.tsr`, `N.2.tsr`, ...) unless the same bytes are kept already;
/// no kept token is ever replaced. Where it is, and whether it is new.
fn keep(log: &LogDir, size: u64, der: &[u8]) -> Result<(PathBuf, bool), StampError> {
    for k in 1..=MAX_TOKENS {
        let path = token_path(log, size, k);
        if path.symlink_metadata().is_ok() {
            if fsutil::read_limited(&path, tsa::MAX_TOKEN_LEN).is_ok_and(|old| old == der) {
                return Ok((path, false));
            }
            continue;
        }
        match fsutil::write_atomic(&path, der, Overwrite::Refuse, None) {
            Ok(()) => return Ok((path, true)),
            Err(fsutil::WriteError::Exists(_)) => continue,
            Err(e) => return Err(StampError::Write(e)),
        }
    }
    Err(StampError::Full(size))
}

/// Asks the TSA at `url`, reached through `transport`, to stamp the
/// checkpoint of `size` entries, and keeps its token.
pub fn fetch(
    log: &LogDir,
    size: u64,
    url: &str,
    transport: &dyn tsa::Transport,
) -> Result<Imported, StampError> {
    let imprint = imprint(&checkpoint_bytes(log, size)?);
    let nonce = nonce()?;
    let reply = transport
        .post(url, &tsa::request(&imprint, nonce))
        .map_err(StampError::Fetch)?;
    import(log, size, &reply, Some(nonce))
}

/// An I/O error on `path`.
fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> StampError + '_ {
    move |error| StampError::Io {
        path: path.to_path_buf(),
        error,
    }
}

/// The checkpoint size and place a token's file name `N.tsr` or `N.K.tsr`
/// names (numbers in canonical decimal, 2 <= K <= [`MAX_TOKENS`]).
fn token_size(name: &str) -> Option<(u64, u32)> {
    let stem = name.strip_suffix(&format!(".{TOKEN_EXTENSION}"))?;
    let (n, k) = match stem.split_once('.') {
        Some((n, k)) => (
            n,
            k.parse::<u32>()
                .ok()
                .filter(|k| (2..=MAX_TOKENS).contains(k))?,
        ),
        None => (stem, 1),
    };
    let n = n.parse::<u64>().ok()?;
    (token_name(n, k) == name).then_some((n, k))
}

/// Every token kept in `checkpoints/`, by checkpoint size and place.
pub fn tokens(log: &LogDir) -> Result<Vec<(u64, u32, PathBuf)>, StampError> {
    let dir = log.checkpoints_dir();
    let listing = match std::fs::read_dir(&dir) {
        Ok(l) => l,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_err(&dir)(e)),
    };
    let mut out = Vec::new();
    for item in listing {
        let item = item.map_err(io_err(&dir))?;
        if let Some((n, k)) = item.file_name().to_str().and_then(token_size) {
            out.push((n, k, item.path()));
        }
    }
    out.sort();
    Ok(out)
}

/// The tokens kept for checkpoints of at most `size` entries, read, with
/// their file names.
pub fn kept_tokens(log: &LogDir, size: u64) -> Result<Vec<(String, Vec<u8>)>, StampError> {
    let mut out = Vec::new();
    for (n, k, path) in tokens(log)? {
        if n <= size {
            let der = fsutil::read_limited(&path, tsa::MAX_TOKEN_LEN)
                .map_err(|source| StampError::Read { path, source })?;
            out.push((token_name(n, k), der));
        }
    }
    Ok(out)
}

/// The tokens kept for `head` that are over `head`'s bytes (a checkpoint
/// signed again with other signatures is another note), in their order.
pub fn tokens_for(log: &LogDir, head: &SignedCheckpoint) -> Result<Vec<Vec<u8>>, StampError> {
    Ok(sorted_tokens(log, head)?.0)
}

/// A token kept for a checkpoint that cannot travel with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeftOut {
    /// Its file name in `checkpoints/`.
    pub file: String,
    /// Why: it is not a time stamp token, or it is over another signed
    /// note of that size.
    pub why: String,
}

/// [`tokens_for`], and the tokens kept under `head`'s size that are not
/// over `head`'s bytes, each with why.
pub fn sorted_tokens(
    log: &LogDir,
    head: &SignedCheckpoint,
) -> Result<(Vec<Vec<u8>>, Vec<LeftOut>), StampError> {
    let size = head.checkpoint.size;
    let want = imprint(&head.to_bytes());
    let (mut carried, mut left_out) = (Vec::new(), Vec::new());
    for (name, der) in kept_tokens(log, size)? {
        let of_head = token_size(&name).is_some_and(|(n, _)| n == size);
        if !of_head {
            continue;
        }
        let why = match tsa::parse_token(&der) {
            Ok(t) if t.imprint() == want.as_slice() => {
                carried.push(der);
                continue;
            }
            Ok(_) => "it is over another signed note of this size".to_string(),
            Err(e) => format!("it is not a time stamp token: {e}"),
        };
        left_out.push(LeftOut { file: name, why });
    }
    Ok((carried, left_out))
}

/// `head` with every token of `tokens` as one more signature line each.
pub fn attach_all(
    head: &SignedCheckpoint,
    tokens: &[Vec<u8>],
) -> Result<SignedCheckpoint, StampError> {
    let mut stamped = head.clone();
    for token in tokens {
        stamped = attach(&stamped, token)?;
    }
    Ok(stamped)
}

/// `head` with the time stamp `token` as one more signature line (for a
/// receipt).
pub fn attach(head: &SignedCheckpoint, token: &[u8]) -> Result<SignedCheckpoint, StampError> {
    let mut stamped = head.clone();
    stamped
        .note
        .push_signature(NoteSignature {
            name: KEY_NAME.to_string(),
            key_id: key_id(),
            signature: token.to_vec(),
        })
        .map_err(StampError::Note)?;
    Ok(stamped)
}

/// The receipt of entry `index` against the newest checkpoint, carrying
/// that checkpoint's time stamp when the log keeps one.
pub fn receipt(log: &LogDir, index: u64) -> Result<Vec<u8>, StampError> {
    let bytes = super::receipt::make(log, index)?;
    let mut proof = tlog::tlogproof::TlogProof::parse(&bytes)
        .map_err(|e| StoreError::Damaged(format!("the receipt made does not read back: {e}")))?;
    let head = SignedCheckpoint::parse(&proof.checkpoint)
        .map_err(|e| StoreError::Damaged(format!("the newest checkpoint: {e}")))?;
    let tokens = tokens_for(log, &head)?;
    if !tokens.is_empty() {
        proof.checkpoint = attach_all(&head, &tokens)?.to_bytes();
    }
    Ok(proof.to_bytes())
}

/// The receipt of entry `index` against the kept checkpoint of `size`
/// entries (so that it can carry that checkpoint's time stamp when the
/// newest checkpoint has none yet), or against the newest without `size`.
pub fn receipt_at(log: &LogDir, index: u64, size: Option<u64>) -> Result<Vec<u8>, StampError> {
    let Some(size) = size else {
        return receipt(log, index);
    };
    let newest = log.checkpoint()?.checkpoint.size;
    if index >= size || size > newest {
        return Err(StoreError::NoEntry {
            index,
            size: size.min(newest),
        }
        .into());
    }
    let bytes = checkpoint_bytes(log, size)?;
    let head = SignedCheckpoint::parse(&bytes)
        .map_err(|e| StoreError::Damaged(format!("checkpoints/{size}: {e}")))?;
    let entry = log.entry(index)?;
    let note = match tokens_for(log, &head)?.as_slice() {
        [] => bytes,
        tokens => attach_all(&head, tokens)?.to_bytes(),
    };
    Ok(super::receipt::assemble(
        &log.tree(),
        note,
        size,
        index,
        entry,
    )?)
}

/// What the audit found about one time stamp.
#[derive(Debug, Clone, Serialize)]
pub struct StampReport {
    /// The size of the checkpoint stamped.
    pub checkpoint: u64,
    /// Where the token was found (`checkpoints/N.tsr`, or `receipt`).
    pub file: String,
    /// The time stamp's time (RFC 3339, UTC): the checkpoint existed no
    /// later than this.
    pub time: Option<String>,
    /// The TSA (its certificate's subject name).
    pub tsa: Option<String>,
    /// The trust anchor the TSA chains to; `None`: not trusted.
    pub trusted_by: Option<String>,
    /// How many acknowledgements the checkpoint covers (entries before N)
    /// and so bears this upper bound.
    pub acknowledgements: Option<u64>,
    /// Why it failed, if it did.
    pub problem: Option<String>,
}

impl StampReport {
    fn new(checkpoint: u64, file: String) -> StampReport {
        StampReport {
            checkpoint,
            file,
            time: None,
            tsa: None,
            trusted_by: None,
            acknowledgements: None,
            problem: None,
        }
    }

    fn failed(mut self, why: impl Into<String>) -> StampReport {
        self.problem = Some(crate::text::printable(&why.into(), 400));
        self
    }

    fn stamped(mut self, stamp: &Stamp) -> StampReport {
        self.time = Some(stamp.time_rfc3339());
        self.tsa = Some(stamp.tsa.clone());
        if let Trust::Anchored(a) = &stamp.trust {
            self.trusted_by = Some(a.clone());
        }
        self
    }

    /// One sentence for people.
    pub fn sentence(&self) -> String {
        if let Some(p) = &self.problem {
            return format!("{}: {p}", self.file);
        }
        let (time, tsa) = (
            self.time.as_deref().unwrap_or("?"),
            self.tsa.as_deref().unwrap_or("?"),
        );
        let covers = match self.acknowledgements {
            Some(k) => format!(
                "; it covers {k} acknowledgement(s) (entries before {})",
                self.checkpoint
            ),
            None => String::new(),
        };
        match &self.trusted_by {
            Some(anchor) => format!(
                "checkpoint {} existed no later than {time}, per TSA {tsa} (trusted through {anchor}){covers}",
                self.checkpoint
            ),
            None => format!(
                "checkpoint {}: a time stamp by TSA {tsa} at {time} is present but not trusted (no TSA trust anchor given){covers}",
                self.checkpoint
            ),
        }
    }
}

/// A message and its causes, `: `-joined.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Verifies `der` over `imprint`: all four steps with `anchors`, steps 1
/// to 3 without.
fn verify_token(
    der: &[u8],
    imprint: &[u8; 32],
    anchors: Option<&TrustStore>,
) -> Result<Stamp, TsaError> {
    let token = tsa::parse_token(der)?;
    match anchors {
        Some(a) => tsa::verify_with(&token, imprint, a),
        None => tsa::verify_untrusted(&token, imprint),
    }
}

/// The number of acknowledgements among the first `n` entries, for each
/// `n` of `sizes` (ascending, at most the log's size), read from the index
/// in one pass; `None` where the index cannot be read.
fn acks_before(log: &LogDir, sizes: &[u64]) -> Vec<Option<u64>> {
    use std::io::Read as _;
    let Ok(file) = std::fs::File::open(log.index_path()) else {
        return vec![None; sizes.len()];
    };
    let mut index = std::io::BufReader::with_capacity(1 << 16, file);
    let (mut read, mut acks, mut out) = (0u64, 0u64, Vec::with_capacity(sizes.len()));
    let mut record = [0u8; super::store::INDEX_RECORD as usize];
    for &n in sizes {
        while read < n && index.read_exact(&mut record).is_ok() {
            read += 1;
            acks += u64::from(record[8] == Kind::Ack.code());
        }
        out.push((read == n).then_some(acks));
    }
    out
}

/// Checks the token of checkpoint `n` kept at `path`, in a log of `size`
/// entries signed by `key`.
fn check_kept(
    log: &LogDir,
    key: &VerifyingKey,
    size: u64,
    (n, k, path): (u64, u32, &Path),
    anchors: Option<&TrustStore>,
) -> StampReport {
    let report = StampReport::new(n, format!("checkpoints/{}", token_name(n, k)));
    if n > size {
        return report.failed(format!("the log has {size} entries, no checkpoint of {n}"));
    }
    let note = match checkpoint_bytes(log, n) {
        Ok(b) => b,
        Err(e) => return report.failed(chain(&e)),
    };
    let signed = SignedCheckpoint::parse(&note).ok();
    if !signed.is_some_and(|s| s.checkpoint.size == n && s.verify(key).is_ok()) {
        return report.failed(format!(
            "checkpoints/{n} is not a checkpoint the issuer signed"
        ));
    }
    let der = match fsutil::read_limited(path, tsa::MAX_TOKEN_LEN) {
        Ok(d) => d,
        Err(e) => return report.failed(chain(&e)),
    };
    match verify_token(&der, &imprint(&note), anchors) {
        Ok(stamp) => report.stamped(&stamp),
        Err(e) => report.failed(chain(&e)),
    }
}

/// Step 9, **timestamps**: every token kept in `checkpoints/` of a log of
/// `size` entries signed by `key` is over its checkpoint, signed by a time
/// stamping certificate, and (with `anchors`) chains to one of them.
pub fn step(
    log: &LogDir,
    key: &VerifyingKey,
    size: u64,
    anchors: Option<&TrustStore>,
) -> (Outcome, Vec<StampReport>) {
    let kept = match tokens(log) {
        Ok(k) => k,
        Err(e) => return (Outcome::Failed(chain(&e)), Vec::new()),
    };
    let mut reports: Vec<StampReport> = kept
        .iter()
        .map(|(n, k, path)| check_kept(log, key, size, (*n, *k, path), anchors))
        .collect();
    let sizes: Vec<u64> = kept
        .iter()
        .map(|(n, _, _)| *n)
        .filter(|&n| n <= size)
        .collect();
    let counts = acks_before(log, &sizes);
    for report in reports.iter_mut().filter(|r| r.problem.is_none()) {
        let at = sizes.iter().position(|&n| n == report.checkpoint);
        report.acknowledgements = at.and_then(|i| counts[i]);
    }
    (summary(&reports, anchors.is_some()), reports)
}

/// The step's outcome for `reports`.
pub fn summary(reports: &[StampReport], anchored: bool) -> Outcome {
    let failed: Vec<String> = reports
        .iter()
        .filter(|r| r.problem.is_some())
        .map(StampReport::sentence)
        .collect();
    if reports.is_empty() {
        Outcome::Skipped("no time stamps kept".into())
    } else if !failed.is_empty() {
        Outcome::Failed(failed.join("; "))
    } else if !anchored {
        Outcome::Skipped(format!(
            "{} time stamp(s) present but not trusted: no trust anchor for time stamp authorities was given",
            reports.len()
        ))
    } else {
        Outcome::Passed(
            reports
                .iter()
                .map(StampReport::sentence)
                .collect::<Vec<_>>()
                .join("; "),
        )
    }
}

/// The time stamps a receipt's checkpoint carries, each verified over the
/// note without its time stamp lines (the note the issuer signed).
pub fn receipt_stamps(head: &SignedCheckpoint, anchors: Option<&TrustStore>) -> Vec<StampReport> {
    let Some(issuers) = head.note.without(is_stamp_line) else {
        return Vec::new();
    };
    let imprint = imprint(&issuers.to_bytes());
    head.note
        .signatures()
        .iter()
        .filter(|s| is_stamp_line(s))
        .map(|s| {
            let report = StampReport::new(head.checkpoint.size, "receipt".into());
            match verify_token(&s.signature, &imprint, anchors) {
                Ok(stamp) => report.stamped(&stamp),
                Err(e) => report.failed(chain(&e)),
            }
        })
        .collect()
}

/// Lays out the tokens carried elsewhere (an annex) beside the checkpoint
/// `note` of `size` entries in an imported log, for the audit.
pub fn lay_out(log: &LogDir, size: u64, note: &[u8], tokens: &[Vec<u8>]) -> Result<(), StampError> {
    if !log.checkpoint_of(size).exists() {
        lay_out_file(log, &size.to_string(), note)?;
    }
    for (k, token) in (1..=MAX_TOKENS).zip(tokens) {
        lay_out_file(log, &token_name(size, k), token)?;
    }
    Ok(())
}

/// Writes `checkpoints/NAME` of an imported log: only a checkpoint `N` or a
/// token `N.tsr` (other names are ignored, so that no name leaves the folder).
pub fn lay_out_file(log: &LogDir, name: &str, bytes: &[u8]) -> Result<(), StampError> {
    let ours =
        name.parse::<u64>().is_ok_and(|n| n.to_string() == name) || token_size(name).is_some();
    if !ours {
        return Ok(());
    }
    let dir = log.checkpoints_dir();
    std::fs::create_dir_all(&dir).map_err(io_err(&dir))?;
    let path = dir.join(name);
    std::fs::write(&path, bytes).map_err(io_err(&path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::SigningKey;
    use tlog::checkpoint::Checkpoint;

    fn head() -> (SignedCheckpoint, SigningKey) {
        let key = SigningKey::from_bytes(&[9; 32]);
        let checkpoint = Checkpoint {
            origin: "example.invalid/stamp".into(),
            size: 5,
            root: [3; 32],
            extensions: vec![],
        };
        (SignedCheckpoint::sign(checkpoint, &key).unwrap(), key)
    }

    #[test]
    fn the_request_reads_back_with_its_imprint_and_nonce() {
        for nonce in [0, 1, 0x7f, 0x80, 0xffff_ffff_ffff_ffff] {
            let req = tsa::request(&[0xab; 32], nonce);
            assert_eq!(parse_request(&req).unwrap(), ([0xab; 32], nonce));
        }
        assert!(parse_request(b"").is_err());
        assert!(parse_request(&[0x30, 0x03, 0x02, 0x01, 0x01]).is_err());
        let mut long = tsa::request(&[0; 32], 5);
        long.truncate(long.len() - 1);
        assert!(parse_request(&long).is_err());
    }

    #[test]
    fn a_reply_and_a_bare_token_are_told_apart_by_their_first_field() {
        assert_eq!(first_inner_tag(&[0x30, 0x03, 0x06, 0x01, 0x00]), Some(0x06));
        assert_eq!(first_inner_tag(&[0x30, 0x82, 0x01, 0x00, 0x30]), Some(0x30));
        assert_eq!(first_inner_tag(&[0x31, 0x01, 0x06]), None);
        assert_eq!(first_inner_tag(&[0x30]), None);
        assert_eq!(first_inner_tag(&[]), None);
    }

    #[test]
    fn only_canonical_token_names_count() {
        assert_eq!(token_size("18.tsr"), Some((18, 1)));
        assert_eq!(token_size("0.tsr"), Some((0, 1)));
        assert_eq!(token_size("18.2.tsr"), Some((18, 2)));
        assert_eq!(token_size("18.16.tsr"), Some((18, 16)));
        for name in [
            "18.1.tsr",
            "18.17.tsr",
            "18.02.tsr",
            "18..tsr",
            "18.2.3.tsr",
        ] {
            assert_eq!(token_size(name), None, "{name}");
        }
        for name in [
            "018.tsr",
            "18",
            "18.tsr.tmp",
            "x.tsr",
            ".tsr",
            "+1.tsr",
            "18.TSR",
        ] {
            assert_eq!(token_size(name), None, "{name}");
        }
    }

    #[test]
    fn a_stamp_line_leaves_the_issuers_note_and_signature_as_they_were() {
        let (head, key) = head();
        let stamped = attach(&head, b"\x30\x00 any bytes").unwrap();
        let read = SignedCheckpoint::parse(&stamped.to_bytes()).unwrap();
        read.verify(&key.verifying_key()).unwrap();
        let line = &read.note.signatures()[1];
        assert!(is_stamp_line(line));
        assert_eq!(line.name, KEY_NAME);
        let issuers = read.note.without(is_stamp_line).unwrap();
        assert_eq!(issuers.to_bytes(), head.to_bytes());
        // The bytes are reported as a bad token, never trusted.
        let reports = receipt_stamps(&read, None);
        assert_eq!(reports.len(), 1);
        assert!(reports[0].problem.is_some() && reports[0].trusted_by.is_none());
        // No stamp line, no report.
        assert!(receipt_stamps(&head, None).is_empty());
    }

    #[test]
    fn the_key_id_is_the_one_documented() {
        let mut hash = Sha256::new();
        hash.update(b"rfc3161-timestamp\n\xffackreg/rfc3161-timestamp-token@v1");
        let d = hash.finalize();
        assert_eq!(key_id().to_be_bytes(), [d[0], d[1], d[2], d[3]]);
    }
}
