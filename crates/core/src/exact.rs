//! Reading JSON that is written in exactly the one spelling ackreg writes,
//! without a general parser: a fast path for the log's acknowledgement
//! entries and their payloads, which an audit reads by the million.
//!
//! What it is for: given bytes and a fixed template (literal pieces with a
//! string between each), it returns the strings when the bytes are the
//! template with strings that need no escape in JSON (no `"`, `\` or
//! control character) and are UTF-8. Those strings are then exactly what
//! `serde_json` would read, and the bytes are exactly what it would write.
//!
//! What it must not decide: whether anything is valid. It only answers
//! "this is the common spelling, here are its strings" or "not the common
//! spelling" (`None`); every other input goes to the strict `serde` path,
//! which alone accepts or refuses and names the error. Tests and a fuzz
//! target check that both paths agree on every input.

/// A cursor over bytes that must follow a template.
pub(crate) struct Exact<'a> {
    rest: &'a [u8],
}

impl<'a> Exact<'a> {
    /// Starts at the first byte.
    pub(crate) fn new(bytes: &'a [u8]) -> Exact<'a> {
        Exact { rest: bytes }
    }

    /// Takes the literal `piece`, if the bytes go on with it.
    pub(crate) fn lit(&mut self, piece: &[u8]) -> Option<()> {
        self.rest = self.rest.strip_prefix(piece)?;
        Some(())
    }

    /// Takes a JSON string's contents and its closing quote, when they need
    /// no escape: then the contents are the string's value.
    pub(crate) fn plain(&mut self) -> Option<&'a str> {
        let end = memchr::memchr(b'"', self.rest)?;
        let (s, rest) = (&self.rest[..end], &self.rest[end + 1..]);
        // Two passes the compiler vectorises, rather than one that stops
        // at the first bad byte: the common string has none.
        let controls = s.iter().fold(0u8, |seen, &b| seen | u8::from(b < 0x20));
        if controls != 0 || memchr::memchr(b'\\', s).is_some() {
            return None;
        }
        self.rest = rest;
        std::str::from_utf8(s).ok()
    }

    /// Takes a JSON string's raw contents up to the next `"` and that
    /// quote, unchecked: only for a value the caller then decodes by rules
    /// that admit none of the bytes an escape needs (base64, hexadecimal
    /// digits, a date, a constant), which makes the raw bytes the value.
    pub(crate) fn raw(&mut self) -> Option<&'a [u8]> {
        let end = memchr::memchr(b'"', self.rest)?;
        let (s, rest) = (&self.rest[..end], &self.rest[end + 1..]);
        self.rest = rest;
        Some(s)
    }

    /// Whether every byte was taken.
    pub(crate) fn end(&self) -> Option<()> {
        self.rest.is_empty().then_some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_strings_stop_at_their_quote() {
        let mut c = Exact::new(r#"{"a":"Bērziņš","b":"x"}"#.as_bytes());
        assert_eq!(c.lit(br#"{"a":""#), Some(()));
        assert_eq!(c.plain(), Some("Bērziņš"));
        assert_eq!(c.lit(br#","b":""#), Some(()));
        assert_eq!(c.plain(), Some("x"));
        assert_eq!(c.lit(b"}"), Some(()));
        assert_eq!(c.end(), Some(()));
    }

    #[test]
    fn escapes_controls_and_bad_utf8_are_not_plain() {
        for bytes in [
            &br#"a\"b""#[..],
            br#"a\u0041""#,
            b"a\tb\"",
            b"a\x7f\xff\"",
            b"no closing quote",
        ] {
            assert_eq!(Exact::new(bytes).plain(), None, "{bytes:?}");
        }
        // DEL is written raw by serde_json, so it is plain.
        assert_eq!(Exact::new(b"a\x7f\"").plain(), Some("a\x7f"));
    }
}
