//! Text encodings of bytes shared by every format ackreg reads and writes.
//!
//! Key ids and document hashes are lowercase hexadecimal; signatures,
//! payloads and raw public keys are standard base64 with padding. Both are
//! decoded strictly: a value has exactly one accepted spelling, so two files
//! that mean the same thing are byte-for-byte the same, and nothing can be
//! smuggled into the slack of a lenient decoder.

pub use tlog::encoding::{
    b64, b64_decoded_len, b64_strict, b64_strict_append, b64_strict_array, hex, hex32,
    EncodingError,
};

/// JSON that does not have the shape a format requires, with the path of
/// the field concerned (for example `signatures[0].sig`).
#[derive(Debug, thiserror::Error)]
#[error("{}{error}", field_prefix(path))]
pub struct JsonError {
    /// Where in the document the problem is (`.` for the top level).
    pub path: String,
    /// What serde_json found.
    pub error: serde_json::Error,
}

fn field_prefix(path: &str) -> String {
    if path.is_empty() || path == "." {
        String::new()
    } else {
        format!("field `{path}`: ")
    }
}

impl crate::Hint for JsonError {}

/// Parses `bytes` as the JSON of `T` strictly: UTF-8 without a byte order
/// mark, nothing but white space after the value, and the shape of `T`
/// (whose derive refuses unknown and duplicate fields). The error names the
/// field concerned.
pub fn from_json<'de, T: serde::Deserialize<'de>>(bytes: &'de [u8]) -> Result<T, JsonError> {
    // Parsed once without tracking the path (valid files, the common case,
    // at full speed); only a file that fails is parsed again to name the
    // field. The second parse runs the same deserializer, so it fails the
    // same way.
    let mut de = serde_json::Deserializer::from_slice(bytes);
    if let Ok(value) = T::deserialize(&mut de) {
        if de.end().is_ok() {
            return Ok(value);
        }
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| JsonError {
        path: e.path().to_string(),
        error: e.into_inner(),
    })?;
    de.end().map_err(|error| JsonError {
        path: String::new(),
        error,
    })?;
    Ok(value)
}
