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
//! notes may hold line feeds. The rule is stated in Unicode properties,
//! looked up in `icu_properties` rather than in a table kept by hand, and
//! written down in `docs/FORMAT.md`.

use icu_properties::props::{
    BidiControl, DefaultIgnorableCodePoint, GeneralCategory, NoncharacterCodePoint,
};
use icu_properties::{CodePointMapData, CodePointSetData};
use unicode_normalization::UnicodeNormalization as _;

/// Longest employee identifier, in characters.
pub const MAX_ID_LEN: usize = 64;

/// Why a character is refused in a text field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forbidden {
    /// A control character (General_Category Cc).
    Control,
    /// A bidirectional override, embedding, isolate or mark (Bidi_Control).
    Bidi,
    /// The line or paragraph separator (General_Category Zl, Zp).
    Separator,
    /// An invisible or format character (zero width, soft hyphen, variation
    /// selector, tag, ...: Default_Ignorable_Code_Point or General_Category
    /// Cf), a private-use character (Co), a surrogate (Cs) or a
    /// noncharacter (Noncharacter_Code_Point).
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
///
/// The rule is written in Unicode properties (see `docs/FORMAT.md`, "Text
/// fields"), checked in this order:
/// - General_Category Cc: [`Forbidden::Control`];
/// - Bidi_Control: [`Forbidden::Bidi`];
/// - General_Category Zl, Zp: [`Forbidden::Separator`];
/// - Default_Ignorable_Code_Point, General_Category Cf, Co or Cs, or
///   Noncharacter_Code_Point: [`Forbidden::Invisible`].
pub fn forbidden(c: char, multiline: bool) -> Option<Forbidden> {
    if c == '\n' && multiline {
        return None;
    }
    // Fast path for ASCII (most of every name in a Latvian register): the
    // rule refuses only its controls there (a test checks this).
    if c.is_ascii() {
        return c.is_ascii_control().then_some(Forbidden::Control);
    }
    // And for the letters of Latvian and its neighbours (Latin-1 and
    // Latin Extended-A and B, U+00A0 to U+024F): only the soft hyphen is
    // refused there (a test checks this too).
    if ('\u{a0}'..='\u{24f}').contains(&c) {
        return (c == '\u{ad}').then_some(Forbidden::Invisible);
    }
    by_property(c)
}

/// The rule of [`forbidden`] for any character but the line feed in notes,
/// looked up in the Unicode properties.
fn by_property(c: char) -> Option<Forbidden> {
    let category = CodePointMapData::<GeneralCategory>::new().get(c);
    if category == GeneralCategory::Control {
        return Some(Forbidden::Control);
    }
    if CodePointSetData::new::<BidiControl>().contains(c) {
        return Some(Forbidden::Bidi);
    }
    match category {
        GeneralCategory::LineSeparator | GeneralCategory::ParagraphSeparator => {
            Some(Forbidden::Separator)
        }
        GeneralCategory::Format | GeneralCategory::PrivateUse | GeneralCategory::Surrogate => {
            Some(Forbidden::Invisible)
        }
        _ if CodePointSetData::new::<DefaultIgnorableCodePoint>().contains(c)
            || CodePointSetData::new::<NoncharacterCodePoint>().contains(c) =>
        {
            Some(Forbidden::Invisible)
        }
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

/// Texts that passed [`check`], by its limits (`max_chars`, `multiline`):
/// a few pairs of limits, each with its set. The sets hash with `foldhash`,
/// seeded at random per process (a hostile log cannot aim at collisions
/// it cannot compute), a fifth of the cost of the standard SipHash.
type Passed = Vec<(
    (usize, bool),
    std::collections::HashSet<Box<str>, foldhash::fast::RandomState>,
)>;

thread_local! {
    /// Texts that passed [`check`] on this thread.
    static PASSED: std::cell::RefCell<Passed> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Texts remembered per thread and limits, at most (then forgotten at once).
const PASSED_CACHE: usize = 4096;

/// [`check`], remembering on this thread the texts that passed: an audit
/// checks the same titles and names in every acknowledgement.
pub fn check_cached(text: &str, max_chars: usize, multiline: bool) -> Result<(), TextError> {
    let limits = (max_chars, multiline);
    let known = PASSED.with(|p| {
        p.borrow()
            .iter()
            .any(|(l, set)| *l == limits && set.contains(text))
    });
    if known {
        return Ok(());
    }
    check(text, max_chars, multiline)?;
    PASSED.with(|p| {
        let mut p = p.borrow_mut();
        let at = match p.iter().position(|(l, _)| *l == limits) {
            Some(at) => at,
            None => {
                p.push((limits, Default::default()));
                p.len() - 1
            }
        };
        let set = &mut p[at].1;
        if set.len() >= PASSED_CACHE {
            set.clear();
        }
        set.insert(text.into());
    });
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
    fn the_remembered_check_says_what_the_check_says() {
        for (text, max) in [
            ("Jānis Bērziņš", 200),
            ("Jānis Bērziņš", 5),
            ("e\u{301}", 200),
            ("a\u{202e}b", 200),
            (" ", 200),
        ] {
            for _ in 0..2 {
                assert_eq!(
                    check_cached(text, max, false),
                    check(text, max, false),
                    "{text}"
                );
            }
        }
    }

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

    /// The property rule, pinned on characters of every kind it refuses
    /// and on ordinary letters it must let through.
    #[test]
    fn refused_and_allowed_characters() {
        use Forbidden::*;
        let refused = [
            ('\u{0}', Control),
            ('\t', Control),
            ('\r', Control),
            ('\u{1b}', Control),
            ('\u{7f}', Control),
            ('\u{85}', Control),
            ('\u{9f}', Control),
            ('\u{61c}', Bidi),
            ('\u{200e}', Bidi),
            ('\u{202e}', Bidi),
            ('\u{2066}', Bidi),
            ('\u{2069}', Bidi),
            ('\u{2028}', Separator),
            ('\u{2029}', Separator),
            // Cf.
            ('\u{ad}', Invisible),
            ('\u{600}', Invisible),
            ('\u{180e}', Invisible),
            ('\u{200b}', Invisible),
            ('\u{200d}', Invisible),
            ('\u{2060}', Invisible),
            ('\u{feff}', Invisible),
            ('\u{fffb}', Invisible),
            ('\u{13430}', Invisible),
            ('\u{1d173}', Invisible),
            ('\u{e0001}', Invisible),
            ('\u{e0041}', Invisible),
            // Default ignorable, not Cf: combining grapheme joiner,
            // Hangul fillers, variation selectors, reserved ones.
            ('\u{34f}', Invisible),
            ('\u{115f}', Invisible),
            ('\u{3164}', Invisible),
            ('\u{ffa0}', Invisible),
            ('\u{180b}', Invisible),
            ('\u{fe0f}', Invisible),
            ('\u{e0100}', Invisible),
            ('\u{2065}', Invisible),
            ('\u{fff0}', Invisible),
            ('\u{e0fff}', Invisible),
            // Private use (Co).
            ('\u{e000}', Invisible),
            ('\u{f8ff}', Invisible),
            ('\u{f0000}', Invisible),
            ('\u{10fffd}', Invisible),
            // Noncharacters.
            ('\u{fdd0}', Invisible),
            ('\u{fdef}', Invisible),
            ('\u{fffe}', Invisible),
            ('\u{1ffff}', Invisible),
            ('\u{10ffff}', Invisible),
        ];
        for (c, kind) in refused {
            assert_eq!(forbidden(c, false), Some(kind), "{c:?}");
            assert_eq!(forbidden(c, true), Some(kind), "{c:?}");
        }
        assert_eq!(forbidden('\n', false), Some(Control));
        assert_eq!(forbidden('\n', true), None);

        let latvian = "āčēģīķļņšūž ĀČĒĢĪĶĻŅŠŪŽ";
        let others =
            "Az09 .,;:!?'\"()-–—«»„“%/@ äöüßéèçñøåœ łő ąę ěřů ЖжЯя Ωω אב عربي 中文 \u{a0}\u{2009}€";
        // Visible letters and marks near the refused ranges.
        let near = "\u{300}\u{301}\u{304}\u{30c}\u{327}\u{1100}\u{1161}\u{17b3}\u{17b6}\u{13441}\u{13447}\u{fdf0}\u{fffd}";
        for c in latvian.chars().chain(others.chars()).chain(near.chars()) {
            assert_eq!(forbidden(c, false), None, "{c:?} U+{:04X}", u32::from(c));
        }
        assert!(check(latvian, 100, false).is_ok());
        // The fast paths say what the properties say.
        for c in ('\0'..='\x7f').chain('\u{a0}'..='\u{24f}') {
            assert_eq!(forbidden(c, false), by_property(c), "{c:?}");
        }
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
