//! The BER that CMS allows in a token's outer structure (RFC 5652 section
//! 1.2: "the ContentInfo, SignedData ... may be BER"): indefinite lengths,
//! long length forms that are not minimal, and an eContent OCTET STRING cut
//! into constructed chunks, as `openssl cms -stream` writes them.
//!
//! This reader walks only those outer levels. Whatever is signed or hashed
//! (the certificates, the signed attributes, the TSTInfo) is handed on as
//! its exact bytes to the strict DER decoder, so it stays DER.
//!
//! Untrusted input: every length is checked against what is left, nesting
//! of indefinite lengths is bounded by [`MAX_DEPTH`], and nothing panics.

/// The deepest nesting of indefinite-length elements read.
pub(super) const MAX_DEPTH: usize = 16;

/// One BER element.
#[derive(Clone, Debug)]
pub(super) struct Ber<'a> {
    /// The identifier octet (tag class, constructed bit, tag number < 31).
    pub tag: u8,
    /// All its bytes, the end-of-contents octets of an indefinite length included.
    pub raw: &'a [u8],
    body: Body<'a>,
}

#[derive(Clone, Debug)]
enum Body<'a> {
    /// A definite length: the content octets.
    Definite(&'a [u8]),
    /// An indefinite length: the elements read up to the end-of-contents octets.
    Indefinite(Vec<Ber<'a>>),
}

/// Why BER could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum BerError {
    /// Not BER, or not of the shape expected.
    Malformed,
    /// Indefinite lengths nested deeper than [`MAX_DEPTH`].
    TooDeep,
    /// The input ends before an element does.
    Incomplete {
        /// The length the element needs from its start.
        expected: usize,
        /// What is there from its start.
        actual: usize,
    },
}

impl<'a> Ber<'a> {
    /// `bytes` as exactly one element, nothing after it.
    pub fn whole(bytes: &'a [u8]) -> Result<Ber<'a>, BerError> {
        let (element, rest) = read(bytes, 0)?;
        if rest.is_empty() {
            Ok(element)
        } else {
            Err(BerError::Malformed)
        }
    }

    /// Whether the constructed bit is set.
    pub fn constructed(&self) -> bool {
        self.tag & 0x20 != 0
    }

    /// Whether the element has a definite length: its raw bytes may be DER.
    pub fn definite(&self) -> bool {
        matches!(self.body, Body::Definite(_))
    }

    /// The elements inside a constructed element.
    pub fn children(&self) -> Result<Vec<Ber<'a>>, BerError> {
        if !self.constructed() {
            return Err(BerError::Malformed);
        }
        match &self.body {
            Body::Indefinite(items) => Ok(items.clone()),
            Body::Definite(content) => all(content, 0),
        }
    }

    /// The elements inside a constructed element whose tag must be `tag`.
    pub fn children_of(&self, tag: u8) -> Result<Vec<Ber<'a>>, BerError> {
        if self.tag != tag {
            return Err(BerError::Malformed);
        }
        self.children()
    }

    /// The content octets of a primitive element (definite by rule).
    pub fn primitive(&self) -> Result<&'a [u8], BerError> {
        match self.body {
            Body::Definite(content) if !self.constructed() => Ok(content),
            _ => Err(BerError::Malformed),
        }
    }

    /// The octets of an OCTET STRING tagged `tag` (0x04 primitive, 0x24
    /// constructed): primitive, or the concatenation of its chunks, each an
    /// OCTET STRING itself (X.690 section 8.7), at most `max` bytes.
    pub fn octets(&self, max: usize) -> Result<Vec<u8>, BerError> {
        let mut out = Vec::new();
        self.collect_octets(&mut out, max, 0)?;
        Ok(out)
    }

    fn collect_octets(&self, out: &mut Vec<u8>, max: usize, depth: usize) -> Result<(), BerError> {
        if depth > MAX_DEPTH {
            return Err(BerError::TooDeep);
        }
        match self.tag {
            0x04 => {
                let content = self.primitive()?;
                if out.len() + content.len() > max {
                    return Err(BerError::Malformed);
                }
                out.extend_from_slice(content);
                Ok(())
            }
            0x24 => {
                for chunk in self.children()? {
                    chunk.collect_octets(out, max, depth + 1)?;
                }
                Ok(())
            }
            _ => Err(BerError::Malformed),
        }
    }
}

/// Every element of `bytes`, one after another.
fn all(mut bytes: &[u8], depth: usize) -> Result<Vec<Ber<'_>>, BerError> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let (element, rest) = read(bytes, depth)?;
        out.push(element);
        bytes = rest;
    }
    Ok(out)
}

/// Reads one element from the start of `bytes`; returns it and what follows.
fn read(bytes: &[u8], depth: usize) -> Result<(Ber<'_>, &[u8]), BerError> {
    let (&tag, after_tag) = bytes.split_first().ok_or(BerError::Malformed)?;
    if tag & 0x1f == 0x1f || tag == 0 {
        // High tag numbers are not used in CMS; 0x00 is end-of-contents.
        return Err(BerError::Malformed);
    }
    let (&first, after_len) = after_tag.split_first().ok_or(BerError::Malformed)?;
    if first == 0x80 {
        if tag & 0x20 == 0 {
            return Err(BerError::Malformed); // primitive elements have definite lengths
        }
        return read_indefinite(bytes, tag, after_len, depth);
    }
    let (len, content_start) = definite_length(first, after_len)?;
    if content_start.len() < len {
        let header = bytes.len() - content_start.len();
        return Err(BerError::Incomplete {
            expected: header.saturating_add(len),
            actual: bytes.len(),
        });
    }
    let (content, rest) = content_start.split_at(len);
    let header = bytes.len() - content_start.len();
    let raw = bytes.get(..header + len).ok_or(BerError::Malformed)?;
    let element = Ber {
        tag,
        raw,
        body: Body::Definite(content),
    };
    Ok((element, rest))
}

/// A definite length: short form, or long form in at most four octets
/// (BER allows leading zero octets). Returns it and what follows.
fn definite_length(first: u8, rest: &[u8]) -> Result<(usize, &[u8]), BerError> {
    if first < 0x80 {
        return Ok((usize::from(first), rest));
    }
    let count = usize::from(first & 0x7f);
    if count > 4 || rest.len() < count {
        return Err(BerError::Malformed);
    }
    let (digits, rest) = rest.split_at(count);
    let len = digits
        .iter()
        .fold(0usize, |acc, &d| (acc << 8) | usize::from(d));
    Ok((len, rest))
}

/// The elements of an indefinite-length element up to its end-of-contents
/// octets; `whole` starts at its tag, `content` after its length octet.
fn read_indefinite<'a>(
    whole: &'a [u8],
    tag: u8,
    mut content: &'a [u8],
    depth: usize,
) -> Result<(Ber<'a>, &'a [u8]), BerError> {
    if depth >= MAX_DEPTH {
        return Err(BerError::TooDeep);
    }
    let mut items = Vec::new();
    loop {
        if let Some(rest) = content.strip_prefix(&[0u8, 0u8]) {
            let used = whole.len() - rest.len();
            let raw = whole.get(..used).ok_or(BerError::Malformed)?;
            let element = Ber {
                tag,
                raw,
                body: Body::Indefinite(items),
            };
            return Ok((element, rest));
        }
        if content.is_empty() {
            return Err(BerError::Incomplete {
                expected: whole.len() + 2,
                actual: whole.len(),
            });
        }
        let (item, rest) = read(content, depth + 1)?;
        items.push(item);
        content = rest;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definite_and_indefinite_read_alike() {
        let der = [0x30, 0x05, 0x02, 0x01, 0x07, 0x05, 0x00];
        let ber = [0x30, 0x80, 0x02, 0x01, 0x07, 0x05, 0x00, 0x00, 0x00];
        for bytes in [&der[..], &ber[..]] {
            let e = Ber::whole(bytes).unwrap();
            assert_eq!(e.raw, bytes);
            let items = e.children_of(0x30).unwrap();
            assert_eq!(items.len(), 2);
            assert_eq!(items[0].primitive().unwrap(), [0x07]);
            assert_eq!(items[1].raw, [0x05, 0x00]);
        }
        assert!(Ber::whole(&der).unwrap().definite());
        assert!(!Ber::whole(&ber).unwrap().definite());
    }

    #[test]
    fn a_chunked_octet_string_is_joined() {
        let bytes = [
            0x24, 0x80, 0x04, 0x02, b'a', b'b', 0x24, 0x03, 0x04, 0x01, b'c', 0x00, 0x00,
        ];
        let e = Ber::whole(&bytes).unwrap();
        assert_eq!(e.octets(10).unwrap(), b"abc");
        assert_eq!(e.octets(2), Err(BerError::Malformed));
    }

    #[test]
    fn a_non_minimal_long_length_is_accepted() {
        let e = Ber::whole(&[0x04, 0x82, 0x00, 0x01, 0x41]).unwrap();
        assert_eq!(e.primitive().unwrap(), b"A");
    }

    #[test]
    fn bad_input_is_refused_without_panic() {
        let cases: [&[u8]; 11] = [
            &[],
            &[0x30],
            &[0x30, 0x02, 0x05],
            &[0x30, 0x82, 0x01],
            &[0x30, 0x80, 0x05, 0x00],
            &[0x04, 0x80, 0x00, 0x00],
            &[0x1f, 0x01, 0x00],
            &[0x30, 0x85, 1, 0, 0, 0, 0],
            &[0x30, 0x80, 0x00],
            &[0x30, 0x00, 0x00],
            &[0x00, 0x00],
        ];
        for bytes in cases {
            assert!(Ber::whole(bytes).is_err(), "{bytes:02x?}");
        }
    }

    #[test]
    fn deep_nesting_is_refused() {
        let mut bytes = Vec::new();
        for _ in 0..100 {
            bytes.extend([0x30, 0x80]);
        }
        for _ in 0..100 {
            bytes.extend([0x00, 0x00]);
        }
        assert_eq!(Ber::whole(&bytes).unwrap_err(), BerError::TooDeep);
        let mut chunks = Vec::new();
        for _ in 0..40 {
            chunks.extend([0x24, 0x80]);
        }
        chunks.extend([0x04, 0x00]);
        for _ in 0..40 {
            chunks.extend([0x00, 0x00]);
        }
        assert!(Ber::whole(&chunks).is_err());
    }
}
