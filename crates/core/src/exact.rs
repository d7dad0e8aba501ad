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
    rest: &'a str,
}

impl<'a> Exact<'a> {
    /// Starts at the first byte, when no byte of `bytes` could be in a
    /// string that needs an escape: they are UTF-8 with no `\` and no
    /// control character. Every byte of a template is in a literal (which
    /// has none of them) or in a string, so this one pass over the whole
    /// decides what a check of each string would: bytes that fail it are
    /// not the common spelling (`None`).
    pub(crate) fn new(bytes: &'a [u8]) -> Option<Exact<'a>> {
        // One pass the compiler vectorises, rather than one that stops at
        // the first bad byte: the common text has none.
        let escaped = bytes
            .iter()
            .fold(0u8, |seen, &b| seen | u8::from(b < 0x20 || b == b'\\'));
        if escaped != 0 {
            return None;
        }
        Some(Exact {
            rest: std::str::from_utf8(bytes).ok()?,
        })
    }

    /// Takes the literal `piece`, if the bytes go on with it.
    pub(crate) fn lit(&mut self, piece: &str) -> Option<()> {
        self.rest = self.rest.strip_prefix(piece)?;
        Some(())
    }

    /// Takes a JSON string's contents and its closing quote: its value,
    /// since [`Exact::new`] found no byte that needs an escape.
    pub(crate) fn plain(&mut self) -> Option<&'a str> {
        let end = memchr::memchr(b'"', self.rest.as_bytes())?;
        // `"` is ASCII: both ends are character boundaries.
        let s = self.rest.get(..end)?;
        self.rest = self.rest.get(end + 1..)?;
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
        let mut c = Exact::new(r#"{"a":"Bērziņš","b":"x"}"#.as_bytes()).unwrap();
        assert_eq!(c.lit(r#"{"a":""#), Some(()));
        assert_eq!(c.plain(), Some("Bērziņš"));
        assert_eq!(c.lit(r#","b":""#), Some(()));
        assert_eq!(c.plain(), Some("x"));
        assert_eq!(c.lit("}"), Some(()));
        assert_eq!(c.end(), Some(()));
    }

    #[test]
    fn escapes_controls_and_bad_utf8_anywhere_are_not_the_common_spelling() {
        for bytes in [
            &br#"{"a":"a\"b"}"#[..],
            br#"{"a":"a\u0041"}"#,
            br#"{"a":"x"}\"#,
            b"{\"a\":\"a\tb\"}",
            b"{\"a\":\"x\"}\n",
            b"{\"a\":\"a\x7f\xff\"}",
            b"{\"a\":\"\xc4\"}",
        ] {
            assert!(Exact::new(bytes).is_none(), "{bytes:?}");
        }
        // DEL is written raw by serde_json, so it is plain.
        let mut c = Exact::new(b"a\x7f\"").unwrap();
        assert_eq!(c.plain(), Some("a\x7f"));
        // A string with no closing quote is not one.
        assert_eq!(Exact::new(b"no closing quote").unwrap().plain(), None);
    }

    #[test]
    fn a_literal_that_does_not_follow_takes_nothing() {
        let mut c = Exact::new(br#"{"a":"x"}"#).unwrap();
        assert_eq!(c.lit(r#"{"b":""#), None);
        assert_eq!(c.lit(r#"{"a":""#), Some(()));
        assert_eq!(c.plain(), Some("x"));
        assert_eq!(c.end(), None);
        assert_eq!(c.lit("}"), Some(()));
        assert_eq!(c.end(), Some(()));
    }
}
