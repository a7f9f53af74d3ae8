//! Parsing input files into records. A bad line becomes a [`BadRecord`], never nothing.

use super::InputFormat;
use crate::json::{NodeRef, Tape, kind_of};
use serde_json::Value;

/// The longest line accepted, in bytes; a longer one is a bad record, not an allocation spike.
pub const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

/// One input record and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The line number, from 1 (for whole-file JSON, 1).
    pub line: u32,
    /// The parsed JSON object.
    pub value: Value,
}

/// A line that could not become a record.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BadRecord {
    /// The file's URI.
    pub file: String,
    /// The line number, from 1.
    pub line: u32,
    /// Why.
    pub reason: String,
    /// The line itself (lossy UTF-8, cut at 1 KiB).
    pub text: String,
}

/// The records and bad lines of one file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedFile {
    /// Good records, in file order.
    pub records: Vec<Record>,
    /// Bad lines, in file order.
    pub bad: Vec<BadRecord>,
}

fn shown(bytes: &[u8]) -> String {
    String::from_utf8_lossy(&bytes[..bytes.len().min(1024)]).into_owned()
}

fn parse_value(bytes: &[u8]) -> Result<Value, String> {
    if bytes.len() > MAX_LINE_BYTES {
        return Err(format!("line is {} bytes, over the limit of {MAX_LINE_BYTES}", bytes.len()));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8: {e}"))?;
    match serde_json::from_str::<Value>(text) {
        Ok(value @ Value::Object(_)) => Ok(value),
        Ok(other) => Err(format!("not a JSON object but {}", kind_of(&other))),
        Err(e) => Err(format!("malformed JSON: {e}")),
    }
}

/// Parses a file's bytes. Blank lines are skipped, as Spark does; every other line is either a
/// record or a bad record.
pub fn parse_file(uri: &str, bytes: &[u8], format: InputFormat) -> ParsedFile {
    match format {
        InputFormat::JsonLines => parse_lines(uri, bytes),
        InputFormat::WholeFile => parse_whole(uri, bytes),
    }
}

/// A UTF-8 byte-order mark at the start of a file is no content: Spark reads past it too.
pub(crate) fn without_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

fn parse_lines(uri: &str, bytes: &[u8]) -> ParsedFile {
    let bytes = without_bom(bytes);
    let mut parsed = ParsedFile::default();
    for (index, raw) in lines(bytes).enumerate() {
        let line = raw.strip_suffix(b"\r").unwrap_or(raw);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let number = index as u32 + 1;
        match parse_value(line) {
            Ok(value) => parsed.records.push(Record { line: number, value }),
            Err(reason) => parsed.bad.push(BadRecord { file: uri.into(), line: number, reason, text: shown(line) }),
        }
    }
    parsed
}

/// The lines of a file, split at `\n`, as `bytes.split(|b| *b == b'\n')` gives them, but
/// searching eight bytes at a time.
fn lines(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = Some(bytes);
    std::iter::from_fn(move || {
        let text = rest?;
        match find_newline(text) {
            Some(end) => {
                rest = Some(&text[end + 1..]);
                Some(&text[..end])
            }
            None => {
                rest = None;
                Some(text)
            }
        }
    })
}

pub(crate) fn find_newline(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let mut chunks = bytes.chunks_exact(8);
    let mut offset = 0;
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().expect("chunks of 8")) ^ (ONES * u64::from(b'\n'));
        // A zero byte of `word` is a newline; the lowest flagged byte is always a true one.
        let zeros = word.wrapping_sub(ONES) & !word & HIGHS;
        if zeros != 0 {
            return Some(offset + zeros.trailing_zeros() as usize / 8);
        }
        offset += 8;
    }
    chunks.remainder().iter().position(|b| *b == b'\n').map(|i| offset + i)
}

impl ParsedFile {
    /// JSON Lines without `serde_json::Value`s, for the engine's hot path: each good line goes
    /// to `on_record` with its line number and its record, parsed onto a reused [`Tape`]; the
    /// bad lines are returned. The same records, line numbers and reasons as [`parse_file`]
    /// with [`InputFormat::JsonLines`] gives. (The engine runs [`ParsedFile::scan_json_lines_from`]
    /// on each task's split of a file.)
    #[cfg(test)]
    pub(crate) fn scan_json_lines<'a>(
        uri: &str,
        bytes: &'a [u8],
        on_record: impl FnMut(u32, NodeRef<'_, 'a>),
    ) -> Vec<BadRecord> {
        scan_json_lines(uri, without_bom(bytes), 0, on_record)
    }

    /// [`ParsedFile::scan_json_lines`] on a split of a file: whole lines, the first of them
    /// line `lines_before + 1` of the file, with no byte-order mark to strip (the caller strips
    /// it from the file before splitting).
    pub(crate) fn scan_json_lines_from<'a>(
        uri: &str,
        bytes: &'a [u8],
        lines_before: u32,
        on_record: impl FnMut(u32, NodeRef<'_, 'a>),
    ) -> Vec<BadRecord> {
        scan_json_lines(uri, bytes, lines_before, on_record)
    }
}

fn scan_json_lines<'a>(
    uri: &str,
    bytes: &'a [u8],
    lines_before: u32,
    mut on_record: impl FnMut(u32, NodeRef<'_, 'a>),
) -> Vec<BadRecord> {
    let mut tape = Tape::default();
    let mut bad = Vec::new();
    for (index, raw) in lines(bytes).enumerate() {
        let line = raw.strip_suffix(b"\r").unwrap_or(raw);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let number = lines_before + index as u32 + 1;
        let parsed = line.len() <= MAX_LINE_BYTES && tape.parse(line).is_ok() && tape.root().is_object();
        if !parsed {
            // Not JSON, or not an object: `parse_value` says why, in the same words as ever.
            match parse_value(line) {
                Err(reason) => {
                    bad.push(BadRecord { file: uri.into(), line: number, reason, text: shown(line) });
                    continue;
                }
                // Unreachable while both parse with serde_json; if it ever happens, keep the record.
                Ok(value) => tape.load(value),
            }
        }
        on_record(number, tape.root());
    }
    bad
}

fn parse_whole(uri: &str, bytes: &[u8]) -> ParsedFile {
    let bytes = without_bom(bytes);
    let mut parsed = ParsedFile::default();
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return parsed;
    }
    let bad = |reason: String| BadRecord { file: uri.into(), line: 1, reason, text: shown(bytes) };
    let value = match std::str::from_utf8(bytes) {
        Err(e) => Err(format!("not UTF-8: {e}")),
        Ok(text) => serde_json::from_str::<Value>(text).map_err(|e| format!("malformed JSON: {e}")),
    };
    match value {
        Ok(Value::Array(items)) => {
            for item in items {
                match item {
                    Value::Object(_) => parsed.records.push(Record { line: 1, value: item }),
                    other => parsed.bad.push(bad(format!("array element is {}, not an object", kind_of(&other)))),
                }
            }
        }
        Ok(value @ Value::Object(_)) => parsed.records.push(Record { line: 1, value }),
        Ok(other) => parsed.bad.push(bad(format!("not a JSON object but {}", kind_of(&other)))),
        Err(reason) => parsed.bad.push(bad(reason)),
    }
    parsed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lines_cases() {
        // (input, good line numbers, bad (line, reason fragment))
        type Case<'a> = (&'a [u8], &'a [u32], &'a [(u32, &'a str)]);
        let cases: &[Case] = &[
            (b"{\"a\":1}\n{\"a\":2}", &[1, 2], &[]),
            (b"{\"a\":1}\n\n{\"a\":2}\n", &[1, 3], &[]),
            (b"{\"a\":1}\r\n{oops}\n", &[1], &[(2, "malformed JSON")]),
            (b"[1,2]\n", &[], &[(1, "not a JSON object but an array")]),
            (b"\xff{}\n", &[], &[(1, "not UTF-8")]),
            (b"", &[], &[]),
            (b"{\"a\":", &[], &[(1, "malformed JSON")]),
        ];
        for (input, good, bad) in cases {
            let parsed = parse_file("file:///in/f.json", input, InputFormat::JsonLines);
            let lines: Vec<u32> = parsed.records.iter().map(|r| r.line).collect();
            assert_eq!(&lines, good, "{input:?}");
            assert_eq!(parsed.bad.len(), bad.len(), "{input:?}: {:?}", parsed.bad);
            for (got, (line, reason)) in parsed.bad.iter().zip(bad.iter()) {
                assert_eq!(got.line, *line);
                assert!(got.reason.contains(reason), "{} should contain {reason}", got.reason);
                assert_eq!(got.file, "file:///in/f.json");
            }
        }
    }

    #[test]
    fn huge_line_is_a_bad_record() {
        let mut input = vec![b'"'; MAX_LINE_BYTES + 1];
        input.push(b'\n');
        let parsed = parse_file("file:///f", &input, InputFormat::JsonLines);
        assert!(parsed.bad[0].reason.contains("over the limit"));
        assert_eq!(parsed.bad[0].text.len(), 1024);
    }

    #[test]
    fn whole_file_cases() {
        let parsed = parse_file("f", b"[{\"a\":1}, 3, {\"b\":2}]", InputFormat::WholeFile);
        assert_eq!(parsed.records.len(), 2);
        assert!(parsed.bad[0].reason.contains("a number"));
        let parsed = parse_file("f", b"{\"a\":\n 1}", InputFormat::WholeFile);
        assert_eq!(parsed.records.len(), 1);
        assert_eq!(parse_file("f", b"{", InputFormat::WholeFile).bad.len(), 1);
    }
}
