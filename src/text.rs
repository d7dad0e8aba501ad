//! Rules for the text people read: names, identifiers, titles, notes.
//!
//! Every such field is stored in Unicode NFC so that the same name typed on
//! two systems compares equal byte for byte. Characters that change how
//! text is shown without being seen are refused: control characters (a
//! signed file must not smuggle terminal escapes into what a verifier
//! prints), bidirectional controls (which can make a name display as
//! another), and invisible or format characters (zero-width spaces and
//! joiners, soft hyphens, variation selectors, tags, ...), so that a
//! register never displays a name different from the one signed. Only
//! notes may hold line feeds. The rule is written down in `docs/FORMAT.md`.

use unicode_normalization::UnicodeNormalization as _;

/// Longest employee identifier, in characters.
pub const MAX_ID_LEN: usize = 64;

/// Why a character is refused in a text field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forbidden {
    /// A control character (Unicode general category Cc).
    Control,
    /// A bidirectional override, embedding, isolate or mark.
    Bidi,
    /// The line or paragraph separator (U+2028, U+2029).
    Separator,
    /// An invisible or format character (zero width, soft hyphen, variation
    /// selector, tag, ...), a private-use character or a noncharacter.
    Invisible,
}

impl std::fmt::Display for Forbidden {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Forbidden::Control => "a control character",
            Forbidden::Bidi => "a bidirectional control",
            Forbidden::Separator => "a line or paragraph separator",
            Forbidden::Invisible => "an invisible or format character",
        })
    }
}

/// An error in a text field.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TextError {
    /// The field is empty (or only white space).
    #[error("is empty")]
    Empty,
    /// The field is longer than allowed.
    #[error("is longer than {0} characters")]
    TooLong(usize),
    /// The field contains a character that is never allowed in it.
    #[error("contains {} ({kind}) at character {position}", describe(*.character))]
    Forbidden {
        /// The offending character.
        character: char,
        /// What kind of character it is.
        kind: Forbidden,
        /// Its position in the field, counting characters from 1.
        position: usize,
    },
    /// The field is not in Unicode NFC or has surrounding white space.
    #[error("is not in Unicode NFC without surrounding white space")]
    NotNormalized,
    /// An identifier uses characters outside `[a-z0-9._-]`.
    #[error("may only use a-z, 0-9, '.', '_' and '-' (1 to {MAX_ID_LEN} characters)")]
    Identifier,
}

impl crate::Hint for TextError {
    fn hint(&self) -> Option<String> {
        match self {
            TextError::Forbidden {
                kind: Forbidden::Control,
                ..
            } => Some(
                "names and identifiers are one line of plain text; only notes may hold line breaks"
                    .into(),
            ),
            TextError::Forbidden { .. } => Some(
                "retype the text by hand: it holds a character that is not shown but changes \
                 how the text is displayed (often pasted from a web page or a chat)"
                    .into(),
            ),
            TextError::TooLong(_) => Some("shorten the text".into()),
            _ => None,
        }
    }
}

/// The kind of `c` when it is refused in a text field (`multiline` allows
/// the line feed), or `None` when it is allowed.
pub fn forbidden(c: char, multiline: bool) -> Option<Forbidden> {
    let u = u32::from(c);
    if c == '\n' && multiline {
        return None;
    }
    if c.is_control() {
        return Some(Forbidden::Control);
    }
    // Fast path for Latin text (every name in a Latvian register): below
    // U+0300 the only refused character that is not a control is the soft
    // hyphen.
    if u < 0x0300 {
        return (u == 0x00AD).then_some(Forbidden::Invisible);
    }
    match u {
        0x061C | 0x200E | 0x200F | 0x202A..=0x202E | 0x2066..=0x2069 => Some(Forbidden::Bidi),
        0x2028 | 0x2029 => Some(Forbidden::Separator),
        // Default-ignorable and format characters (general category Cf and
        // the invisible fillers), variation selectors, tags.
        0x00AD
        | 0x034F
        | 0x0600..=0x0605
        | 0x06DD
        | 0x070F
        | 0x0890..=0x0891
        | 0x08E2
        | 0x115F..=0x1160
        | 0x17B4..=0x17B5
        | 0x180B..=0x180F
        | 0x200B..=0x200D
        | 0x2060..=0x2065
        | 0x206A..=0x206F
        | 0x3164
        | 0xFE00..=0xFE0F
        | 0xFEFF
        | 0xFFA0
        | 0xFFF0..=0xFFFB
        | 0x110BD
        | 0x110CD
        | 0x13430..=0x1345F
        | 0x1BCA0..=0x1BCA3
        | 0x1D173..=0x1D17A
        | 0xE0000..=0xE0FFF => Some(Forbidden::Invisible),
        // Private use: shown differently on every system.
        0xE000..=0xF8FF | 0xF0000..=0x10FFFF => Some(Forbidden::Invisible),
        // Noncharacters.
        0xFDD0..=0xFDEF => Some(Forbidden::Invisible),
        _ if u & 0xFFFE == 0xFFFE => Some(Forbidden::Invisible),
        _ => None,
    }
}

/// `U+202E RIGHT-TO-LEFT OVERRIDE`: the code point of `c`, with its name
/// when it is one of the characters commonly met in attacks.
pub fn describe(c: char) -> String {
    let name = match u32::from(c) {
        0x00 => "NULL",
        0x09 => "CHARACTER TABULATION",
        0x0A => "LINE FEED",
        0x0D => "CARRIAGE RETURN",
        0x1B => "ESCAPE",
        0x7F => "DELETE",
        0x85 => "NEXT LINE",
        0xAD => "SOFT HYPHEN",
        0x034F => "COMBINING GRAPHEME JOINER",
        0x061C => "ARABIC LETTER MARK",
        0x180E => "MONGOLIAN VOWEL SEPARATOR",
        0x200B => "ZERO WIDTH SPACE",
        0x200C => "ZERO WIDTH NON-JOINER",
        0x200D => "ZERO WIDTH JOINER",
        0x200E => "LEFT-TO-RIGHT MARK",
        0x200F => "RIGHT-TO-LEFT MARK",
        0x2028 => "LINE SEPARATOR",
        0x2029 => "PARAGRAPH SEPARATOR",
        0x202A => "LEFT-TO-RIGHT EMBEDDING",
        0x202B => "RIGHT-TO-LEFT EMBEDDING",
        0x202C => "POP DIRECTIONAL FORMATTING",
        0x202D => "LEFT-TO-RIGHT OVERRIDE",
        0x202E => "RIGHT-TO-LEFT OVERRIDE",
        0x2060 => "WORD JOINER",
        0x2061 => "FUNCTION APPLICATION",
        0x2062 => "INVISIBLE TIMES",
        0x2063 => "INVISIBLE SEPARATOR",
        0x2064 => "INVISIBLE PLUS",
        0x2066 => "LEFT-TO-RIGHT ISOLATE",
        0x2067 => "RIGHT-TO-LEFT ISOLATE",
        0x2068 => "FIRST STRONG ISOLATE",
        0x2069 => "POP DIRECTIONAL ISOLATE",
        0x3164 => "HANGUL FILLER",
        0xFE00..=0xFE0F => "VARIATION SELECTOR",
        0xFEFF => "ZERO WIDTH NO-BREAK SPACE",
        0xE0001 => "LANGUAGE TAG",
        0xE0020..=0xE007F => "TAG CHARACTER",
        _ => "",
    };
    if name.is_empty() {
        format!("U+{:04X}", u32::from(c))
    } else {
        format!("U+{:04X} {name}", u32::from(c))
    }
}

/// The first refused character of `text`, as an error.
fn first_forbidden(text: &str, multiline: bool) -> Result<(), TextError> {
    for (i, c) in text.chars().enumerate() {
        if let Some(kind) = forbidden(c, multiline) {
            return Err(TextError::Forbidden {
                character: c,
                kind,
                position: i + 1,
            });
        }
    }
    Ok(())
}

/// Normalises a field typed by a person: NFC, surrounding white space
/// removed, then checked with [`check`].
pub fn normalize(text: &str, max_chars: usize, multiline: bool) -> Result<String, TextError> {
    let text: String = text.trim().nfc().collect();
    check(&text, max_chars, multiline)?;
    Ok(text)
}

/// Checks a stored field: non-empty, at most `max_chars` characters, no
/// refused character (see [`forbidden`]; line feeds only when `multiline`),
/// already NFC and trimmed.
pub fn check(text: &str, max_chars: usize, multiline: bool) -> Result<(), TextError> {
    if text.trim().is_empty() {
        return Err(TextError::Empty);
    }
    if text.len() > max_chars && text.chars().count() > max_chars {
        return Err(TextError::TooLong(max_chars));
    }
    first_forbidden(text, multiline)?;
    // ASCII text is always in NFC.
    if text.trim() != text || !(text.is_ascii() || unicode_normalization::is_nfc(text)) {
        return Err(TextError::NotNormalized);
    }
    Ok(())
}

/// Checks an employee identifier: 1 to 64 characters of `[a-z0-9._-]`.
/// A control, bidirectional or invisible character is named.
pub fn check_id(id: &str) -> Result<(), TextError> {
    let ok = !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id
            .bytes()
            .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        first_forbidden(id, false)?;
        Err(TextError::Identifier)
    }
}

/// Untrusted text made safe to print on one line: control, bidirectional
/// and invisible characters are escaped (`\u{202e}`) and the result is cut
/// after `max_chars` characters.
pub fn printable(text: &str, max_chars: usize) -> String {
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i == max_chars {
            out.push('…');
            break;
        }
        if forbidden(c, false).is_some() {
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

    fn kind(r: Result<(), TextError>) -> Option<Forbidden> {
        match r {
            Err(TextError::Forbidden { kind, .. }) => Some(kind),
            _ => None,
        }
    }

    #[test]
    fn control_characters_are_refused() {
        assert_eq!(
            kind(check("a\u{1b}[31m", 100, false)),
            Some(Forbidden::Control)
        );
        assert_eq!(kind(check("a\nb", 100, false)), Some(Forbidden::Control));
        assert!(check("a\nb", 100, true).is_ok());
        assert_eq!(kind(check("a\r\nb", 100, true)), Some(Forbidden::Control));
        assert_eq!(kind(check("a\tb", 100, true)), Some(Forbidden::Control));
        assert_eq!(check("", 100, false), Err(TextError::Empty));
        assert_eq!(check("abc", 2, false), Err(TextError::TooLong(2)));
        assert_eq!(printable("a\u{1b}b", 10), "a\\u{1b}b");
    }

    #[test]
    fn bidi_and_invisible_characters_are_refused_and_named() {
        let err = check("Jānis\u{202e}šņiz", 100, false).unwrap_err();
        assert_eq!(
            err.to_string(),
            "contains U+202E RIGHT-TO-LEFT OVERRIDE (a bidirectional control) at character 6"
        );
        for c in [
            '\u{61c}', '\u{200e}', '\u{200f}', '\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}',
            '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}',
        ] {
            let s = format!("a{c}b");
            assert_eq!(kind(check(&s, 100, true)), Some(Forbidden::Bidi), "{c:?}");
        }
        for c in [
            '\u{ad}',
            '\u{34f}',
            '\u{180e}',
            '\u{200b}',
            '\u{200c}',
            '\u{200d}',
            '\u{2060}',
            '\u{2064}',
            '\u{feff}',
            '\u{fe0f}',
            '\u{e0041}',
            '\u{e0100}',
            '\u{e000}',
            '\u{fdd0}',
            '\u{fffe}',
            '\u{3164}',
        ] {
            let s = format!("a{c}b");
            assert_eq!(
                kind(check(&s, 100, true)),
                Some(Forbidden::Invisible),
                "{c:?}"
            );
        }
        for c in ['\u{2028}', '\u{2029}'] {
            let s = format!("a{c}b");
            assert_eq!(kind(check(&s, 100, true)), Some(Forbidden::Separator));
        }
        // Normalising does not let them through either.
        assert!(normalize(" \u{200b}Anna ", 100, false).is_err());
        // Ordinary Latvian text, punctuation and line breaks in notes are fine.
        assert!(check("Ādolfs Žagars-Ķēniņš, dr. (O'Brien)", 100, false).is_ok());
        assert!(check(
            "Saņemts papīra eksemplārs.\n«Labi» — 2017/12; 50 %!",
            100,
            true
        )
        .is_ok());
        assert!(check("Ελένη Παπαδοπούλου", 100, false).is_ok());
        assert!(check("שרה כהן", 100, false).is_ok());
        // Printing escapes them.
        assert_eq!(printable("a\u{202e}b", 10), "a\\u{202e}b");
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
        assert_eq!(
            kind(check_id("jberzins\u{200b}")),
            Some(Forbidden::Invisible)
        );
    }
}
