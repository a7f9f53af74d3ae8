//! A value that did not fit its type: what Spark reads as NULL, keeping the rest of the record,
//! told in words so that the caller can report it. It must never decide what a misfit costs.

use super::DataType;
use std::fmt;

/// A value that did not fit its type: read as NULL, the rest of the record kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// Where, e.g. `data.devices[0].temperature`.
    pub path: String,
    /// What was there, in words, e.g. `the string "hot"`.
    pub found: String,
    /// The type it should have had.
    pub expected: String,
}

impl Mismatch {
    pub(super) fn new(path: &str, raw: &str, expected: &DataType) -> Mismatch {
        Mismatch { path: path.to_string(), found: describe_token(raw), expected: expected.to_string() }
    }
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let article = if self.expected.starts_with(['A', 'I']) { "an" } else { "a" };
        write!(f, "{}: {} is not {article} {}", self.path, self.found, self.expected)
    }
}

/// A JSON token's raw text, in words: `the string "hot"`, `the number 30.5`, `an object`.
pub(super) fn describe_token(raw: &str) -> String {
    let shown = |s: &str| -> String {
        let cut: String = s.chars().take(40).collect();
        if cut.len() < s.len() { format!("{cut}…") } else { cut }
    };
    match raw.as_bytes().first() {
        Some(b'{') => "an object".into(),
        Some(b'[') => "an array".into(),
        Some(b'"' | b'\'') => format!("the string {}", shown(raw)),
        Some(b'-' | b'0'..=b'9') if raw != "-Infinity" => format!("the number {}", shown(raw)),
        _ => shown(raw),
    }
}
