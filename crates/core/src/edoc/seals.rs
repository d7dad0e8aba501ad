//! What a XAdES seal in a container vouches for: every file one of its
//! `ds:Reference`s names must be in the container with the digest the
//! reference records.
//!
//! This is not the validation of a signature. The signature value, the
//! certificate and the signed properties are left to DigiDoc4 or eParaksts.
//! It answers a narrower question, without which a seal listed as
//! "covering" a file says nothing about that file's bytes: do the files in
//! this container have the digests the seal was made over? A data file's
//! digest is over its bytes as they are (ASiC-E data file references carry
//! no transforms), so no XML canonicalisation is needed.

use std::collections::HashMap;

use sha2::{Digest as _, Sha224, Sha256, Sha384, Sha512};

use super::{shown, Container, ContainerFile, Reference, SignatureInfo};
use crate::outcome::Outcome;

/// A digest algorithm of XML Signature that ackreg computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DigestAlgorithm {
    /// `http://www.w3.org/2001/04/xmldsig-more#sha224`
    Sha224,
    /// `http://www.w3.org/2001/04/xmlenc#sha256`
    Sha256,
    /// `http://www.w3.org/2001/04/xmldsig-more#sha384`
    Sha384,
    /// `http://www.w3.org/2001/04/xmlenc#sha512`
    Sha512,
}

impl DigestAlgorithm {
    /// The algorithm a `ds:DigestMethod` URI names, if ackreg computes it
    /// (SHA-1 and the rest are not).
    pub fn from_uri(uri: &str) -> Option<DigestAlgorithm> {
        match uri {
            "http://www.w3.org/2001/04/xmldsig-more#sha224" => Some(DigestAlgorithm::Sha224),
            "http://www.w3.org/2001/04/xmlenc#sha256" => Some(DigestAlgorithm::Sha256),
            "http://www.w3.org/2001/04/xmldsig-more#sha384" => Some(DigestAlgorithm::Sha384),
            "http://www.w3.org/2001/04/xmlenc#sha512" => Some(DigestAlgorithm::Sha512),
            _ => None,
        }
    }

    /// Its usual name (`SHA-256`).
    pub fn name(self) -> &'static str {
        match self {
            DigestAlgorithm::Sha224 => "SHA-224",
            DigestAlgorithm::Sha256 => "SHA-256",
            DigestAlgorithm::Sha384 => "SHA-384",
            DigestAlgorithm::Sha512 => "SHA-512",
        }
    }

    /// The digest of `bytes`.
    pub fn digest(self, bytes: &[u8]) -> Vec<u8> {
        match self {
            DigestAlgorithm::Sha224 => Sha224::digest(bytes).to_vec(),
            DigestAlgorithm::Sha256 => Sha256::digest(bytes).to_vec(),
            DigestAlgorithm::Sha384 => Sha384::digest(bytes).to_vec(),
            DigestAlgorithm::Sha512 => Sha512::digest(bytes).to_vec(),
        }
    }
}

/// What one reference was found to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReferenceCheck {
    /// The file is in the container with the digest the reference records.
    Matches(DigestAlgorithm),
    /// The file is in the container with another digest.
    Differs(DigestAlgorithm),
    /// The container holds no data file of that name.
    Missing,
    /// No `ds:DigestMethod`, or one ackreg does not compute (its URI).
    UnknownMethod(Option<String>),
    /// No `ds:DigestValue`, or one that is not base64.
    NoDigest,
    /// The reference has `ds:Transforms`, which ackreg does not apply.
    Transforms,
}

impl ReferenceCheck {
    /// Whether the reference vouches for the file as it is.
    pub fn holds(&self) -> bool {
        matches!(self, ReferenceCheck::Matches(_))
    }

    /// What is wrong, in words, or `None` when it holds.
    fn problem(&self) -> Option<String> {
        Some(match self {
            ReferenceCheck::Matches(_) => return None,
            ReferenceCheck::Differs(a) => format!(
                "its {} is not the digest the signature records: the file was changed after it was sealed",
                a.name()
            ),
            ReferenceCheck::Missing => {
                "the signature names it, but the container holds no such file".into()
            }
            ReferenceCheck::UnknownMethod(Some(uri)) => format!(
                "the signature's digest method {} is not one ackreg computes (SHA-224, SHA-256, SHA-384, SHA-512)",
                shown(uri)
            ),
            ReferenceCheck::UnknownMethod(None) => {
                "the signature's reference to it has no ds:DigestMethod".into()
            }
            ReferenceCheck::NoDigest => {
                "the signature's reference to it has no base64 ds:DigestValue".into()
            }
            ReferenceCheck::Transforms => {
                "the signature's reference to it has ds:Transforms, which a data file's reference does not have".into()
            }
        })
    }
}

/// One reference and what it was found to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedReference {
    /// The file it names.
    pub file: String,
    /// What it was found to be.
    pub check: ReferenceCheck,
}

/// One signature with its references checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealCheck {
    /// The signature file (`META-INF/signatures1.xml`).
    pub file: String,
    /// The signature's place in its file, from 1.
    pub number: usize,
    /// Who it says signed (see [`SignatureInfo::signer`]).
    pub signer: Option<String>,
    /// When it says it was signed.
    pub signing_time: Option<String>,
    /// Its references to files, in their order.
    pub references: Vec<CheckedReference>,
}

impl SealCheck {
    /// The files it vouches for: those whose digest matches.
    pub fn covers(&self) -> Vec<&str> {
        self.references
            .iter()
            .filter(|r| r.check.holds())
            .map(|r| r.file.as_str())
            .collect()
    }

    /// The files it names but does not vouch for.
    pub fn fails(&self) -> Vec<&str> {
        self.references
            .iter()
            .filter(|r| !r.check.holds())
            .map(|r| r.file.as_str())
            .collect()
    }
}

/// A file that a check found wrong, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FileProblem {
    /// The file's name in the container.
    pub file: String,
    /// What is wrong.
    pub problem: String,
}

/// The files of `problems`, each once, in their order, between commas.
pub fn named(problems: &[FileProblem]) -> String {
    let mut seen = std::collections::HashSet::new();
    let names: Vec<&str> = problems
        .iter()
        .map(|p| p.file.as_str())
        .filter(|name| seen.insert(*name))
        .collect();
    names.join(", ")
}

/// Checks one reference against the container's data files.
pub fn check_reference(files: &[ContainerFile], reference: &Reference) -> ReferenceCheck {
    Digests::new(files).check(reference)
}

/// The container's data files by name, each digest computed once however
/// many references name the file (a hostile signature may name one large
/// file a million times).
struct Digests<'c> {
    files: HashMap<&'c str, &'c ContainerFile>,
    computed: HashMap<(&'c str, DigestAlgorithm), Vec<u8>>,
}

impl<'c> Digests<'c> {
    fn new(files: &'c [ContainerFile]) -> Self {
        Digests {
            files: files.iter().map(|f| (f.name.as_str(), f)).collect(),
            computed: HashMap::new(),
        }
    }

    fn check(&mut self, reference: &Reference) -> ReferenceCheck {
        let Some(file) = self.files.get(reference.file.as_str()).copied() else {
            return ReferenceCheck::Missing;
        };
        if reference.transforms {
            return ReferenceCheck::Transforms;
        }
        let method = reference.method.as_deref();
        let Some(algorithm) = method.and_then(DigestAlgorithm::from_uri) else {
            return ReferenceCheck::UnknownMethod(method.map(str::to_string));
        };
        let Some(recorded) = &reference.digest else {
            return ReferenceCheck::NoDigest;
        };
        let digest = self
            .computed
            .entry((file.name.as_str(), algorithm))
            .or_insert_with(|| algorithm.digest(&file.bytes));
        if recorded == digest {
            ReferenceCheck::Matches(algorithm)
        } else {
            ReferenceCheck::Differs(algorithm)
        }
    }
}

/// Every signature of the container with its references checked, in order.
pub fn check(container: &Container) -> Vec<SealCheck> {
    let mut digests = Digests::new(&container.files);
    let mut numbers: HashMap<&str, usize> = HashMap::new();
    let mut out = Vec::with_capacity(container.signatures.len());
    for signature in &container.signatures {
        let number = numbers.entry(signature.file.as_str()).or_insert(0);
        *number += 1;
        out.push(check_signature(&mut digests, signature, *number));
    }
    out
}

fn check_signature(digests: &mut Digests, signature: &SignatureInfo, number: usize) -> SealCheck {
    SealCheck {
        file: signature.file.clone(),
        number,
        signer: signature.signer.clone(),
        signing_time: signature.signing_time.clone(),
        references: signature
            .references
            .iter()
            .map(|r| CheckedReference {
                file: r.file.clone(),
                check: digests.check(r),
            })
            .collect(),
    }
}

/// The step over all seals: passed when every reference of every signature
/// holds, skipped when there is no signature; every failing reference is
/// named with its file.
pub fn step(seals: &[SealCheck]) -> (Outcome, Vec<FileProblem>) {
    if seals.is_empty() {
        let why = "the container carries no XAdES signature (not sealed yet)";
        return (Outcome::Skipped(why.into()), Vec::new());
    }
    let mut problems = Vec::new();
    let mut count = 0;
    for seal in seals {
        for reference in &seal.references {
            count += 1;
            if let Some(problem) = reference.check.problem() {
                problems.push(FileProblem {
                    file: reference.file.clone(),
                    problem: format!("{} (signature {}): {problem}", seal.file, seal.number),
                });
            }
        }
    }
    let outcome = if problems.is_empty() {
        let references = if count == 1 {
            "its one file reference names".to_string()
        } else {
            format!("every one of their {count} file references names")
        };
        Outcome::Passed(format!(
            "{}: {references} a file in the container with the digest it records (the signatures themselves are not validated)",
            plural(seals.len(), "1 signature", "signatures"),
        ))
    } else {
        Outcome::Failed(format!(
            "{} of {count} file references {}: {}",
            problems.len(),
            if problems.len() == 1 {
                "does not hold"
            } else {
                "do not hold"
            },
            named(&problems)
        ))
    };
    (outcome, problems)
}

/// "1 signature" for one, else `n` and the plural noun.
fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        one.to_string()
    } else {
        format!("{n} {many}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";

    fn file(name: &str, bytes: &[u8]) -> ContainerFile {
        ContainerFile {
            name: name.into(),
            mime: "application/pdf".into(),
            bytes: bytes.to_vec(),
        }
    }

    fn reference(name: &str, method: Option<&str>, digest: Option<Vec<u8>>) -> Reference {
        Reference {
            file: name.into(),
            method: method.map(str::to_string),
            digest,
            transforms: false,
        }
    }

    #[test]
    fn each_reference_is_judged_by_the_files_bytes() {
        let files = [file("a.pdf", b"a")];
        let good = Sha256::digest(b"a").to_vec();
        let check = |r: &Reference| check_reference(&files, r);
        let sha = DigestAlgorithm::Sha256;
        assert_eq!(
            check(&reference("a.pdf", Some(SHA256), Some(good.clone()))),
            ReferenceCheck::Matches(sha)
        );
        let other = Sha256::digest(b"b").to_vec();
        assert_eq!(
            check(&reference("a.pdf", Some(SHA256), Some(other))),
            ReferenceCheck::Differs(sha)
        );
        assert_eq!(
            check(&reference("b.pdf", Some(SHA256), Some(good.clone()))),
            ReferenceCheck::Missing
        );
        let sha1 = "http://www.w3.org/2000/09/xmldsig#sha1";
        assert_eq!(
            check(&reference("a.pdf", Some(sha1), Some(good.clone()))),
            ReferenceCheck::UnknownMethod(Some(sha1.into()))
        );
        assert_eq!(
            check(&reference("a.pdf", None, Some(good.clone()))),
            ReferenceCheck::UnknownMethod(None)
        );
        assert_eq!(
            check(&reference("a.pdf", Some(SHA256), None)),
            ReferenceCheck::NoDigest
        );
        let mut transformed = reference("a.pdf", Some(SHA256), Some(good));
        transformed.transforms = true;
        assert_eq!(check(&transformed), ReferenceCheck::Transforms);
    }

    #[test]
    fn every_algorithm_has_its_length() {
        let uris = [
            ("http://www.w3.org/2001/04/xmldsig-more#sha224", 28),
            (SHA256, 32),
            ("http://www.w3.org/2001/04/xmldsig-more#sha384", 48),
            ("http://www.w3.org/2001/04/xmlenc#sha512", 64),
        ];
        for (uri, len) in uris {
            let algorithm = DigestAlgorithm::from_uri(uri).unwrap();
            assert_eq!(algorithm.digest(b"x").len(), len, "{}", algorithm.name());
        }
    }

    #[test]
    fn the_step_names_every_failing_file_and_skips_without_seals() {
        let container = Container {
            files: vec![file("a.pdf", b"a"), file("b.pdf", b"b")],
            signatures: vec![SignatureInfo {
                file: "META-INF/signatures0.xml".into(),
                signer: None,
                signing_time: None,
                references: vec![
                    reference("a.pdf", Some(SHA256), Some(Sha256::digest(b"a").to_vec())),
                    reference("b.pdf", Some(SHA256), Some(Sha256::digest(b"x").to_vec())),
                    reference("gone.pdf", Some(SHA256), Some(vec![0; 32])),
                ],
            }],
            unread: Vec::new(),
        };
        let seals = check(&container);
        assert_eq!(seals[0].covers(), ["a.pdf"]);
        assert_eq!(seals[0].fails(), ["b.pdf", "gone.pdf"]);
        let (outcome, problems) = step(&seals);
        assert_eq!(
            outcome,
            Outcome::Failed("2 of 3 file references do not hold: b.pdf, gone.pdf".into())
        );
        assert_eq!(problems[0].file, "b.pdf");
        assert!(problems[0]
            .problem
            .starts_with("META-INF/signatures0.xml (signature 1): its SHA-256 is not the digest"));
        assert_eq!(problems[1].file, "gone.pdf");
        let (outcome, problems) = step(&[]);
        assert!(matches!(outcome, Outcome::Skipped(_)) && problems.is_empty());
    }
}
