//! Hex and base64 as C2SP notes, checkpoints and proofs spell them.
//!
//! Hashes are lowercase hexadecimal; signatures, keys and hashes inside
//! notes are standard base64 with padding. Both are decoded strictly: a
//! value has exactly one accepted spelling, so two files that mean the
//! same thing are byte-for-byte the same, and nothing can be smuggled into
//! the slack of a lenient decoder.

use base64::Engine as _;

/// An error while decoding hexadecimal or base64 text.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EncodingError {
    /// Not lowercase hexadecimal of the expected length.
    #[error("expected {expected} lowercase hexadecimal digits")]
    Hex {
        /// Number of digits expected.
        expected: usize,
    },
    /// Not canonical standard base64 with padding.
    #[error("not canonical standard base64 with padding")]
    Base64,
}

impl crate::Hint for EncodingError {}

/// Lowercase hexadecimal of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    s
}

/// Decodes exactly 64 lowercase hexadecimal digits into 32 bytes.
///
/// Uppercase digits are refused: key ids and hashes have one spelling.
pub fn hex32(text: &str) -> Result<[u8; 32], EncodingError> {
    let digits = text.as_bytes();
    if digits.len() != 64 {
        return Err(EncodingError::Hex { expected: 64 });
    }
    let mut out = [0u8; 32];
    // A digit's value, or 0x10 and above for anything else: one lookup
    // per digit, and one test per pair.
    let mut bad = 0;
    for (o, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        let (hi, lo) = (NIBBLE[pair[0] as usize], NIBBLE[pair[1] as usize]);
        bad |= hi | lo;
        *o = (hi << 4) | (lo & 0x0f);
    }
    if bad > 0x0f {
        return Err(EncodingError::Hex { expected: 64 });
    }
    Ok(out)
}

/// The value of each lowercase hexadecimal digit; 0xff for other bytes.
const NIBBLE: [u8; 256] = {
    let mut table = [0xffu8; 256];
    let mut i = 0;
    while i < 16 {
        table[b"0123456789abcdef"[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// Standard base64 with padding.
pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Standard base64 that decodes only the canonical spelling: padding
/// required, zero trailing bits. Set out here rather than taken from the
/// crate's defaults, so that the rule cannot change with them. It is the
/// rule [`DECODER`] is held to: the tests below compare the two on every
/// last quantum and on mutated long texts.
#[cfg(test)]
const STRICT: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_encode_padding(true)
        .with_decode_allow_trailing_bits(false)
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::RequireCanonical),
);

/// The decoder of every base64 text: `base64-simd`'s standard alphabet
/// with padding, which accepts only the canonical spelling (padding
/// present, no whitespace, no URL-safe alphabet, zero trailing bits) and
/// decodes with the processor's vector instructions where it has them (an
/// audit decodes a million payloads).
const DECODER: base64_simd::Base64 = base64_simd::STANDARD;

/// Decodes standard base64, accepting only the canonical spelling: padding
/// present, no whitespace, no URL-safe alphabet, zero trailing bits.
pub fn b64_strict(text: &str) -> Result<Vec<u8>, EncodingError> {
    DECODER
        .decode_to_vec(text)
        .map_err(|_| EncodingError::Base64)
}

/// [`b64_strict`], appending the bytes to `out` (a buffer used again, not
/// a new one each time). On an error `out` is as it was.
pub fn b64_strict_append(text: &str, out: &mut Vec<u8>) -> Result<(), EncodingError> {
    let len = out.len();
    DECODER.decode_append(text, out).map_err(|_| {
        out.truncate(len);
        EncodingError::Base64
    })
}

/// [`b64_strict`] of exactly `N` bytes: any other length is an error.
pub fn b64_strict_array<const N: usize>(text: &str) -> Result<[u8; N], EncodingError> {
    use base64_simd::AsOut as _;
    let mut out = [0u8; N];
    // The decoder asks for room enough first, so the length is checked
    // before it decodes.
    if DECODER.decoded_length(text.as_bytes()).ok() != Some(N) {
        return Err(EncodingError::Base64);
    }
    match DECODER.decode(text.as_bytes(), out.as_mut_slice().as_out()) {
        Ok(_) => Ok(out),
        Err(_) => Err(EncodingError::Base64),
    }
}

/// The number of bytes the canonical padded base64 `text` decodes to,
/// if its length is one that canonical base64 has (a multiple of 4);
/// whether it decodes at all is [`b64_strict`]'s to say.
pub fn b64_decoded_len(text: &str) -> Option<usize> {
    let b = text.as_bytes();
    if !b.len().is_multiple_of(4) {
        return None;
    }
    let padding = b.iter().rev().take(2).take_while(|&&c| c == b'=').count();
    Some(b.len() / 4 * 3 - padding)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding_into_a_buffer_or_an_array_agrees_with_b64_strict() {
        let texts = [
            "", "AA==", "AAA=", "AAAA", "AB==", "A===", "AAAAAA==", "_w==", "/w==", "AA",
            "AA==AA==", " AAA", "AAE=", "QUJD", "QUI=",
        ];
        for text in texts {
            let whole = b64_strict(text);
            let mut out = b"kept".to_vec();
            let appended = b64_strict_append(text, &mut out);
            assert_eq!(whole.is_ok(), appended.is_ok(), "{text:?}");
            match &whole {
                Ok(bytes) => {
                    assert_eq!(&out[4..], &bytes[..], "{text:?}");
                    assert_eq!(b64_decoded_len(text), Some(bytes.len()), "{text:?}");
                    assert_eq!(
                        b64_strict_array::<1>(text).ok().map(|a| a.to_vec()),
                        (bytes.len() == 1).then(|| bytes.clone())
                    );
                    assert_eq!(
                        b64_strict_array::<3>(text).ok().map(|a| a.to_vec()),
                        (bytes.len() == 3).then(|| bytes.clone())
                    );
                }
                Err(_) => assert_eq!(out, b"kept", "{text:?}: the buffer is as it was"),
            }
        }
        let sig = [7u8; 64];
        assert_eq!(b64_strict_array::<64>(&b64(&sig)), Ok(sig));
        assert!(b64_strict_array::<64>(&b64(&[7u8; 63])).is_err());
        assert!(b64_strict_array::<64>(&b64(&[7u8; 65])).is_err());
    }

    #[test]
    fn hex_round_trip() {
        let bytes: Vec<u8> = (0u8..32).map(|i| i.wrapping_mul(37)).collect();
        let text = hex(&bytes);
        assert_eq!(text.len(), 64);
        assert_eq!(hex32(&text).unwrap().to_vec(), bytes);
    }

    #[test]
    fn hex_is_strict() {
        let ok = "00".repeat(32);
        assert!(hex32(&ok).is_ok());
        assert!(hex32(&"AB".repeat(32)).is_err());
        assert!(hex32(&"0".repeat(63)).is_err());
        assert!(hex32(&"0".repeat(66)).is_err());
        assert!(hex32(&format!("{}g0", "0".repeat(62))).is_err());
        // Every byte but the 16 digits is refused, in either place of a pair.
        for b in 0..=255u8 {
            let ok = b.is_ascii_digit() || (b'a'..=b'f').contains(&b);
            for text in [[b, b'0'], [b'0', b]] {
                let mut digits = b"00".repeat(32);
                digits[30..32].copy_from_slice(&text);
                let text = String::from_utf8_lossy(&digits).into_owned();
                assert_eq!(hex32(&text).is_ok(), ok, "{b:#04x}");
            }
        }
    }

    #[test]
    fn base64_is_strict() {
        assert_eq!(b64_strict("aGk=").unwrap(), b"hi");
        assert_eq!(b64_strict("").unwrap(), b"");
        // Missing padding.
        assert!(b64_strict("aGk").is_err());
        // Non-zero trailing bits (same bytes as "aGk=").
        assert!(b64_strict("aGl=").is_err());
        // Whitespace and line breaks.
        assert!(b64_strict("aG k=").is_err());
        assert!(b64_strict("aGk=\n").is_err());
        // URL-safe alphabet.
        assert!(b64_strict("-_8=").is_err());
        assert_eq!(b64_strict("+/8=").unwrap(), [0xfb, 0xff]);
    }

    /// Every text the decoder accepts is the one encoding of its bytes:
    /// all last quanta (three symbols or padding after a first one), and
    /// the same behind a full quantum.
    #[test]
    fn base64_accepts_one_spelling_per_value() {
        let symbols: Vec<char> =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ "
                .chars()
                .collect();
        let mut accepted = 0;
        for prefix in ["", "QUJD"] {
            for &a in &symbols[..2] {
                for &b in &symbols {
                    for &c in &symbols {
                        for &d in &symbols {
                            let text = format!("{prefix}{a}{b}{c}{d}");
                            assert_eq!(b64_strict(&text).ok(), STRICT.decode(&text).ok());
                            if let Ok(bytes) = b64_strict(&text) {
                                assert_eq!(b64(&bytes), text);
                                accepted += 1;
                            }
                        }
                    }
                }
            }
        }
        // 2 first symbols x (64^3 full quanta + 64 x 16 two-byte
        // endings + 4 one-byte endings), twice.
        assert_eq!(accepted, 2 * 2 * (64 * 64 * 64 + 64 * 16 + 4));
    }

    proptest::proptest! {
        /// The decoder agrees with the rule set out in `STRICT` on long
        /// texts (the vector code's blocks and what is left after them)
        /// with one byte changed to anything, or cut anywhere.
        #[test]
        fn the_decoder_keeps_the_strict_rule_on_long_texts(
            bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..1200),
            at in proptest::num::usize::ANY,
            to in proptest::sample::select(b"AQgw+/=-_ \n\r\t.\0\x80\xc3\xff".to_vec()),
            cut in proptest::num::usize::ANY,
        ) {
            let text = b64(&bytes);
            proptest::prop_assert_eq!(b64_strict(&text).ok(), Some(bytes.clone()));
            let mut changed = text.clone().into_bytes();
            if !changed.is_empty() {
                let at = at % changed.len();
                changed[at] = to;
            }
            let mut cut_short = text.clone().into_bytes();
            cut_short.truncate(cut % (text.len() + 1));
            for t in [changed, cut_short] {
                let Ok(t) = String::from_utf8(t) else { continue };
                let mut out = b"kept".to_vec();
                let appended = b64_strict_append(&t, &mut out).map(|()| out[4..].to_vec());
                proptest::prop_assert_eq!(b64_strict(&t).ok(), STRICT.decode(&t).ok(), "{:?}", t);
                proptest::prop_assert_eq!(appended.ok(), STRICT.decode(&t).ok(), "{:?}", t);
            }
        }
    }
}
