//! Rules for the text people read: names, identifiers, titles, notes.
//!
//! Every such field is stored in Unicode NFC so that the same name typed on
//! two systems compares equal byte for byte, and control characters are
//! refused so that a signed file cannot smuggle terminal escapes into what a
//! verifier prints.

use unicode_normalization::UnicodeNormalization as _;

/// Longest employee identifier, in characters.
pub const MAX_ID_LEN: usize = 64;

/// An error in a text field.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TextError {
    /// The field is empty (or only white space).
    #[error("is empty")]
    Empty,
    /// The field is longer than allowed.
    #[error("is longer than {0} characters")]
    TooLong(usize),
    /// The field contains a control character.
    #[error("contains a control character")]
    Control,
    /// The field is not in Unicode NFC or has surrounding white space.
    #[error("is not in Unicode NFC without surrounding white space")]
    NotNormalized,
    /// An identifier uses characters outside `[a-z0-9._-]`.
    #[error("may only use a-z, 0-9, '.', '_' and '-' (1 to {MAX_ID_LEN} characters)")]
    Identifier,
}

impl crate::Hint for TextError {}

/// Normalises a field typed by a person: NFC, surrounding white space
/// removed, then checked with [`check`].
pub fn normalize(text: &str, max_chars: usize, multiline: bool) -> Result<String, TextError> {
    let text: String = text.trim().nfc().collect();
    check(&text, max_chars, multiline)?;
    Ok(text)
}

/// Checks a stored field: non-empty, at most `max_chars` characters, no
/// control characters (except line feeds when `multiline`), already NFC and
/// trimmed.
pub fn check(text: &str, max_chars: usize, multiline: bool) -> Result<(), TextError> {
    if text.trim().is_empty() {
        return Err(TextError::Empty);
    }
    if text.chars().count() > max_chars {
        return Err(TextError::TooLong(max_chars));
    }
    if text
        .chars()
        .any(|c| c.is_control() && !(multiline && c == '\n'))
    {
        return Err(TextError::Control);
    }
    if text.trim() != text || !unicode_normalization::is_nfc(text) {
        return Err(TextError::NotNormalized);
    }
    Ok(())
}

/// Checks an employee identifier: 1 to 64 characters of `[a-z0-9._-]`.
pub fn check_id(id: &str) -> Result<(), TextError> {
    let ok = !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id
            .bytes()
            .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(TextError::Identifier)
    }
}

/// Untrusted text made safe to print on one line: control characters are
/// escaped and the result is cut after `max_chars` characters.
pub fn printable(text: &str, max_chars: usize) -> String {
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i == max_chars {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_nfc() {
        // "ā" written as "a" + combining macron becomes one code point.
        let decomposed = "Ja\u{304}nis";
        let name = normalize(decomposed, 100, false).unwrap();
        assert_eq!(name, "Jānis");
        assert_eq!(check(decomposed, 100, false), Err(TextError::NotNormalized));
        assert_eq!(normalize("  x ", 100, false).unwrap(), "x");
    }

    #[test]
    fn control_characters_are_refused() {
        assert_eq!(check("a\u{1b}[31m", 100, false), Err(TextError::Control));
        assert_eq!(check("a\nb", 100, false), Err(TextError::Control));
        assert!(check("a\nb", 100, true).is_ok());
        assert_eq!(check("", 100, false), Err(TextError::Empty));
        assert_eq!(check("abc", 2, false), Err(TextError::TooLong(2)));
        assert_eq!(printable("a\u{1b}b", 10), "a\\u{1b}b");
    }

    #[test]
    fn identifiers() {
        assert!(check_id("jberzins").is_ok());
        assert!(check_id("j.berzins_2-a").is_ok());
        assert!(check_id(&"a".repeat(64)).is_ok());
        assert!(check_id(&"a".repeat(65)).is_err());
        assert!(check_id("").is_err());
        assert!(check_id("JBerzins").is_err());
        assert!(check_id("bērziņš").is_err());
        assert!(check_id("a/b").is_err());
    }
}
