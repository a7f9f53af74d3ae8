//! What a line of input is, by the reference model: why a bad line is bad (its cause), and which
//! values of a good line are read as NULL (the column and the type it wanted), each with the
//! words a person must read in a message about it.
//!
//! This module only describes: the model decides what each line is, [`super::words`] reads the
//! engine's messages against it. A cause's words are a small table (every group must be there,
//! any word of a group will do, case aside): what a user recognises the cause by, never one
//! message's exact text.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// What a JSON value is, in the words a user names it by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum JsonKind {
    /// `{…}`.
    Object,
    /// `[…]`.
    Array,
    /// `"…"`.
    String,
    /// `3`, `-1.5e3`.
    Number,
    /// `true`, `false`.
    Boolean,
    /// `null`.
    Null,
}

impl JsonKind {
    /// The kind of a parsed value.
    pub fn of(value: &serde_json::Value) -> Self {
        match value {
            serde_json::Value::Object(_) => JsonKind::Object,
            serde_json::Value::Array(_) => JsonKind::Array,
            serde_json::Value::String(_) => JsonKind::String,
            serde_json::Value::Number(_) => JsonKind::Number,
            serde_json::Value::Bool(_) => JsonKind::Boolean,
            serde_json::Value::Null => JsonKind::Null,
        }
    }

    /// Any of these names the kind: its name, or for a boolean its literal.
    fn words(self) -> &'static [&'static str] {
        match self {
            JsonKind::Object => &["object"],
            JsonKind::Array => &["array"],
            JsonKind::String => &["string"],
            JsonKind::Number => &["number"],
            JsonKind::Boolean => &["boolean", "true", "false"],
            JsonKind::Null => &["null"],
        }
    }
}

impl fmt::Display for JsonKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            JsonKind::Object => "an object",
            JsonKind::Array => "an array",
            JsonKind::String => "a string",
            JsonKind::Number => "a number",
            JsonKind::Boolean => "a boolean",
            JsonKind::Null => "null",
        })
    }
}

/// Why a line (or a whole file) is no record, by the model's own reading of it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum LineCause {
    /// Longer than the source's line limit.
    TooLong {
        /// The line's length, without its newline.
        bytes: usize,
        /// The limit (`max-line-bytes`).
        limit: usize,
    },
    /// Its bytes are not UTF-8.
    NotUtf8,
    /// It is not JSON at all (torn, text after the value, ...).
    NotJson,
    /// It is JSON, but its root is not an object.
    RootNotObject(JsonKind),
    /// A whole file that is an array holding something other than an object.
    ElementNotObject(JsonKind),
    /// A record the query's plan cannot run on (an explode of a value that is not an array).
    PlanRefused,
}

impl LineCause {
    /// The words a message about a line with this cause must hold: every group, any word of a
    /// group (compared in lower case).
    pub fn words(&self) -> Vec<Vec<String>> {
        let group = |words: &[&str]| words.iter().map(|w| w.to_string()).collect::<Vec<_>>();
        match self {
            LineCause::TooLong { limit, .. } => {
                vec![vec![limit.to_string()], group(&["limit", "too long", "longer than"])]
            }
            LineCause::NotUtf8 => vec![group(&["utf-8", "utf8"])],
            LineCause::NotJson => vec![group(&["malformed", "not json", "invalid json", "not valid json"])],
            LineCause::RootNotObject(kind) => vec![group(&["object"]), group(kind.words())],
            LineCause::ElementNotObject(kind) => vec![group(&["array"]), group(&["object"]), group(kind.words())],
            LineCause::PlanRefused => vec![group(&["explode", "array"])],
        }
    }

    /// True if `message` holds this cause's words.
    pub fn named_in(&self, message: &str) -> bool {
        let message = message.to_lowercase();
        self.words().iter().all(|group| group.iter().any(|word| message.contains(word.as_str())))
    }
}

impl fmt::Display for LineCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LineCause::TooLong { bytes, limit } => write!(f, "the line is {bytes} bytes, over the limit of {limit}"),
            LineCause::NotUtf8 => write!(f, "the line is not UTF-8"),
            LineCause::NotJson => write!(f, "the line is not JSON"),
            LineCause::RootNotObject(kind) => write!(f, "the line's root is {kind}, not an object"),
            LineCause::ElementNotObject(kind) => write!(f, "the file's array holds {kind}, not an object"),
            LineCause::PlanRefused => write!(f, "the query's explode meets a value that is not an array"),
        }
    }
}

/// A value the model reads as NULL: where, and the type it should have had.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct NullAt {
    /// The column's path in the record, e.g. `data.devices[0].temperature`.
    pub path: String,
    /// The type the schema wants there, e.g. `DOUBLE`, `ARRAY<…>`.
    pub wanted: String,
}

impl NullAt {
    /// The wanted type's name, without its element or field types (`ARRAY` of `ARRAY<…>`): what a
    /// notice must name.
    pub fn wanted_name(&self) -> &str {
        self.wanted.split('<').next().unwrap_or(&self.wanted)
    }

    /// True if `message` names the column and the type it wanted.
    pub fn named_in(&self, message: &str) -> bool {
        message.contains(&self.path) && message.to_lowercase().contains(&self.wanted_name().to_lowercase())
    }
}

impl fmt::Display for NullAt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} is read as NULL: it is not {}", self.path, self.wanted)
    }
}

/// A line of an input file: its name and its number, from 1.
pub type LineAt = (String, u32);

/// The text a dead letter must keep of its line: all of it, or (for a line longer than the
/// engine keeps, 1 KiB) its start.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum KeptText {
    /// The whole line, as text (bytes that are not UTF-8 replaced).
    Whole(String),
    /// The start of a longer line, as text.
    Start(String),
}

impl KeptText {
    /// The longest line a dead letter keeps whole, in bytes.
    pub const WHOLE_BYTES_MAX: usize = 1024;
    /// How much of a longer line's start a dead letter must keep, in bytes.
    const START_BYTES: usize = 64;

    /// What a dead letter must keep of `line`.
    pub fn of(line: &[u8]) -> Self {
        if line.len() <= Self::WHOLE_BYTES_MAX {
            return KeptText::Whole(String::from_utf8_lossy(line).into_owned());
        }
        let mut start = String::from_utf8_lossy(&line[..Self::START_BYTES]).into_owned();
        // The cut may split a character: the dead letter's own cut is elsewhere.
        start.pop();
        KeptText::Start(start)
    }

    /// True if a dead letter's `text` keeps this.
    pub fn kept_by(&self, text: &str) -> bool {
        match self {
            KeptText::Whole(line) => text == line,
            KeptText::Start(start) => text.starts_with(start.as_str()),
        }
    }
}

/// How many versions of a file the model read, and how many had a bad line or a NULL value: a
/// batch that reads the file must say so when every version has one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Versions {
    /// Versions read (a file written again, or read under a changed query, is another).
    pub read: u32,
    /// Of them, with a bad line.
    pub with_bad: u32,
    /// Of them, with a value read as NULL.
    pub with_null: u32,
}

impl Versions {
    /// Every version has a bad line.
    pub fn always_bad(&self) -> bool {
        self.read > 0 && self.with_bad == self.read
    }

    /// Every version has a value read as NULL.
    pub fn always_null(&self) -> bool {
        self.read > 0 && self.with_null == self.read
    }
}

/// What the model says of every line of every input file the scenario writes: the causes of the
/// bad ones, the NULL values of the good ones (a line written twice with other content may have
/// more than one), and each file's URI as the engine names it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LineFacts {
    /// Why each bad line is bad.
    pub causes: BTreeMap<LineAt, BTreeSet<LineCause>>,
    /// The values each good line has read as NULL.
    pub nulls: BTreeMap<LineAt, BTreeSet<NullAt>>,
    /// How many values each good line reads as NULL, in the version last read (two values of
    /// one column, a whole file's records, count each): what a batch's notice counts.
    pub null_counts: BTreeMap<LineAt, usize>,
    /// What a dead letter must keep of each bad line's text.
    pub texts: BTreeMap<LineAt, BTreeSet<KeptText>>,
    /// Each file name's URI.
    pub uris: BTreeMap<String, String>,
    /// Each file name's versions.
    pub versions: BTreeMap<String, Versions>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_cause_is_named_by_its_words_and_not_by_another_causes() {
        // Goal: the table tells causes apart: a reason in the words of one cause does not name
        // another, and an empty reason names none. Method: one plain reason per cause, each
        // against every cause.
        let causes = [
            (LineCause::TooLong { bytes: 301, limit: 300 }, "line is 301 bytes, over the limit of 300"),
            (LineCause::NotUtf8, "not UTF-8: invalid utf-8 sequence of 1 bytes from index 0"),
            (LineCause::NotJson, "malformed JSON: EOF while parsing a string at line 1 column 15"),
            (LineCause::RootNotObject(JsonKind::Array), "not a JSON object but an array"),
            (LineCause::RootNotObject(JsonKind::Number), "not a JSON object but the number 3"),
            (LineCause::RootNotObject(JsonKind::Boolean), "not a JSON object but true"),
            (
                LineCause::ElementNotObject(JsonKind::String),
                "an array of records holds the string \"x\", not an object",
            ),
            (LineCause::PlanRefused, "data.devices is a string, not an array, so it cannot be exploded"),
        ];
        for (i, (cause, reason)) in causes.iter().enumerate() {
            assert!(cause.named_in(reason), "{cause:?} in {reason:?}");
            assert!(!cause.named_in(""), "{cause:?} in an empty reason");
            for (j, (other, _)) in causes.iter().enumerate() {
                // An element that is not an object is said with an array's words, and a plan's
                // refusal of a non-array too: those two pairs overlap by design.
                let overlap = matches!((cause, other), (LineCause::ElementNotObject(_), LineCause::RootNotObject(_)));
                let plan = matches!(other, LineCause::PlanRefused) && reason.contains("array");
                if i != j && !overlap && !plan {
                    assert!(!other.named_in(reason), "{reason:?} names {other:?} too");
                }
            }
        }
    }

    #[test]
    fn a_dead_letter_keeps_a_short_line_whole_and_the_start_of_a_long_one() {
        let short = KeptText::of(b"[1, \xff]");
        assert!(short.kept_by("[1, \u{fffd}]"));
        assert!(!short.kept_by("") && !short.kept_by("[1, "));
        let long = vec![b'x'; 2000];
        let start = KeptText::of(&long);
        assert!(start.kept_by(&"x".repeat(1024)));
        assert!(!start.kept_by("") && !start.kept_by("xx"));
    }

    #[test]
    fn a_null_is_named_by_its_column_and_its_wanted_type() {
        let null = NullAt { path: "data.devices".into(), wanted: "ARRAY<STRUCT<deviceId: STRING>>".into() };
        assert_eq!(null.wanted_name(), "ARRAY");
        assert!(null.named_in("f:2: data.devices: the string \"none\" is not an ARRAY<STRUCT<deviceId: STRING>>"));
        assert!(!null.named_in("f:2: the string \"none\" is not an ARRAY"), "no column");
        assert!(!null.named_in("f:2: data.devices: the string \"none\""), "no type");
        assert!(!null.named_in(""));
    }
}
