//! Parsing input files into records with the query's schema, as Spark's JSON reader does
//! ([`crate::schema::read`]). A bad line becomes a [`BadRecord`], never nothing; a value that
//! does not fit its type is read as NULL with the rest of its record kept, as in Spark, and
//! becomes a [`NullValue`] that the engine reports, never a silent NULL.

use super::{InputFormat, SourceOptions};
use crate::json::{NodeRef, Tape, kind_of};
use crate::schema::{self, Mismatch, Schema};
use serde_json::Value;

/// The longest line accepted by default, in bytes (`max-line-bytes`); a longer one is a bad
/// record, not an allocation spike.
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

impl BadRecord {
    /// A bad record at `line` of `file`, keeping the line's own bytes as its text.
    pub fn new(file: &str, line: u32, reason: String, raw: &[u8]) -> Self {
        Self { file: file.into(), line, reason, text: shown(raw) }
    }
}

/// A value that did not fit its type and was read as NULL: not a bad line (Spark keeps the
/// record), but never unsaid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NullValue {
    /// The file's URI.
    pub file: String,
    /// The line number, from 1.
    pub line: u32,
    /// Which value, what it was and what it should have been.
    pub mismatch: Mismatch,
}

impl std::fmt::Display for NullValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.mismatch)
    }
}

/// The records and bad lines of one file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedFile {
    /// Good records, in file order.
    pub records: Vec<Record>,
    /// Bad lines, in file order.
    pub bad: Vec<BadRecord>,
    /// Values read as NULL, in file order.
    pub nulls: Vec<NullValue>,
}

/// What scanning a JSON Lines file left besides its records.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Scanned {
    /// Bad lines, in file order.
    pub(crate) bad: Vec<BadRecord>,
    /// Values read as NULL, in file order.
    pub(crate) nulls: Vec<NullValue>,
}

fn shown(bytes: &[u8]) -> String {
    String::from_utf8_lossy(&bytes[..bytes.len().min(1024)]).into_owned()
}

/// One line (or a whole file) read with the schema. `Err` is why it is a bad record: in
/// serde_json's words where serde_json rejects it too, so that reasons read as they always did.
/// A line longer than `max_line` bytes is a bad record; a whole file has no such limit.
fn read_text(bytes: &[u8], schema: &Schema, whole_file: bool, max_line: usize) -> Result<schema::Read, String> {
    if !whole_file && bytes.len() > max_line {
        return Err(format!("line is {} bytes, over the limit of {max_line}", bytes.len()));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8: {e}"))?;
    let read = schema::read(text, schema);
    // Text after the record is a bad line (Spark drops it without a word); so is an array on a
    // line of JSON Lines, which crashpoint has always refused.
    let root_array = !whole_file && text.trim_start().starts_with('[');
    match read {
        Ok(read) if read.ignored_tail.is_none() && !root_array => Ok(read),
        read => Err(match (serde_json::from_str::<Value>(text), read) {
            (Err(e), _) => format!("malformed JSON: {e}"),
            (Ok(value), _) if root_array => format!("not a JSON object but {}", kind_of(&value)),
            (Ok(_), Err(reason)) => reason,
            (Ok(value), Ok(_)) => format!("not a JSON object but {}", kind_of(&value)),
        }),
    }
}

/// The values a read turned to NULL, at this file and line.
fn nulls_of(uri: &str, line: u32, mismatches: Vec<Mismatch>) -> impl Iterator<Item = NullValue> {
    mismatches.into_iter().map(move |mismatch| NullValue { file: uri.into(), line, mismatch })
}

/// Parses a file's bytes as the source reads them: its format, its schema, its line limit.
/// Blank lines are skipped, as Spark does; every other line is either a record or a bad record.
pub fn parse_file(uri: &str, bytes: &[u8], source: &SourceOptions) -> ParsedFile {
    match source.format {
        InputFormat::JsonLines => parse_lines(uri, bytes, &source.schema, source.max_line_bytes()),
        InputFormat::WholeFile => parse_whole(uri, bytes, &source.schema),
    }
}

/// A UTF-8 byte-order mark at the start of a file is no content: Spark reads past it too.
pub(crate) fn without_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

fn parse_lines(uri: &str, bytes: &[u8], schema: &Schema, max_line: usize) -> ParsedFile {
    let bytes = without_bom(bytes);
    let mut parsed = ParsedFile::default();
    for (index, raw) in lines(bytes).enumerate() {
        let line = raw.strip_suffix(b"\r").unwrap_or(raw);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let number = index as u32 + 1;
        match read_text(line, schema, false, max_line) {
            Ok(read) => {
                parsed.records.extend(read.records.into_iter().map(|value| Record { line: number, value }));
                parsed.nulls.extend(nulls_of(uri, number, read.mismatches));
            }
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
    /// to `on_record` with its line number, its bytes and its record, parsed onto a reused [`Tape`]; the
    /// bad lines and the values read as NULL are returned. The same records, line numbers and
    /// reasons as [`parse_file`] with [`InputFormat::JsonLines`] gives. (The engine runs
    /// [`ParsedFile::scan_json_lines_from`] on each task's split of a file.)
    #[cfg(test)]
    pub(crate) fn scan_json_lines<'a>(
        uri: &str,
        bytes: &'a [u8],
        schema: &Schema,
        on_record: impl FnMut(u32, &'a [u8], NodeRef<'_, 'a>),
    ) -> Scanned {
        scan_json_lines(uri, without_bom(bytes), 0, schema, MAX_LINE_BYTES, on_record)
    }

    /// [`ParsedFile::scan_json_lines`] on a split of a file: whole lines, the first of them
    /// line `lines_before + 1` of the file, with no byte-order mark to strip (the caller strips
    /// it from the file before splitting); a line over `max_line` bytes is a bad record.
    pub(crate) fn scan_json_lines_from<'a>(
        uri: &str,
        bytes: &'a [u8],
        lines_before: u32,
        (schema, max_line): (&Schema, usize),
        on_record: impl FnMut(u32, &'a [u8], NodeRef<'_, 'a>),
    ) -> Scanned {
        scan_json_lines(uri, bytes, lines_before, schema, max_line, on_record)
    }
}

fn scan_json_lines<'a>(
    uri: &str,
    bytes: &'a [u8],
    lines_before: u32,
    schema: &Schema,
    max_line: usize,
    mut on_record: impl FnMut(u32, &'a [u8], NodeRef<'_, 'a>),
) -> Scanned {
    let record_type = schema.record_type();
    let mut tape = Tape::default();
    let mut scanned = Scanned::default();
    for (index, raw) in lines(bytes).enumerate() {
        let line = raw.strip_suffix(b"\r").unwrap_or(raw);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let number = lines_before + index as u32 + 1;
        // The common case: a strict JSON object whose values already have their types.
        let fits = line.len() <= max_line
            && tape.parse(line).is_ok()
            && tape.root().is_object()
            && tape.root().fits(&record_type);
        if fits {
            on_record(number, line, tape.root());
            continue;
        }
        match read_text(line, schema, false, max_line) {
            Ok(read) => {
                scanned.nulls.extend(nulls_of(uri, number, read.mismatches));
                for value in read.records {
                    tape.load(value);
                    on_record(number, line, tape.root());
                }
            }
            Err(reason) => scanned.bad.push(BadRecord { file: uri.into(), line: number, reason, text: shown(line) }),
        }
    }
    scanned
}

/// The whole file is one JSON text: an object, or an array of objects. Anything else, text
/// after it included, makes the whole file one bad record, as Spark makes it one NULL record.
fn parse_whole(uri: &str, bytes: &[u8], schema: &Schema) -> ParsedFile {
    let bytes = without_bom(bytes);
    let mut parsed = ParsedFile::default();
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return parsed;
    }
    match read_text(bytes, schema, true, usize::MAX) {
        Ok(read) => {
            parsed.records = read.records.into_iter().map(|value| Record { line: 1, value }).collect();
            parsed.nulls.extend(nulls_of(uri, 1, read.mismatches));
        }
        Err(reason) => parsed.bad.push(BadRecord { file: uri.into(), line: 1, reason, text: shown(bytes) }),
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
            let parsed = parse_file("file:///in/f.json", input, &SourceOptions::default());
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
    fn a_line_of_exactly_the_limit_is_read_and_one_byte_more_is_a_bad_record() {
        // Goal: `max-line-bytes` is the longest line read, on both paths a line may take: a
        // strict record of the schema's types (the tape) and one with a key the schema does not
        // read (the schema reader). Method: each line scanned with the limit at its length, then
        // one byte under it.
        let fast = r#"{"eventId": "e1", "data": {"devices": []}}"#;
        let slow = r#"{"eventId": "e2", "unread": 1, "data": {"devices": []}}"#;
        let schema = Schema::tutorial();
        for line in [fast, slow] {
            for (limit, read) in [(line.len(), true), (line.len() - 1, false)] {
                let mut records = 0;
                let scanned =
                    ParsedFile::scan_json_lines_from("f", line.as_bytes(), 0, (&schema, limit), |_, _, _| records += 1);
                assert_eq!((records, scanned.bad.is_empty()), (usize::from(read), read), "{line} with limit {limit}");
                if !read {
                    let over = format!("line is {} bytes, over the limit of {limit}", line.len());
                    assert_eq!(scanned.bad[0].reason, over);
                }
            }
        }
    }

    #[test]
    fn huge_line_is_a_bad_record() {
        let mut input = vec![b'"'; MAX_LINE_BYTES + 1];
        input.push(b'\n');
        let parsed = parse_file("file:///f", &input, &SourceOptions::default());
        assert!(parsed.bad[0].reason.contains("over the limit"));
        assert_eq!(parsed.bad[0].text.len(), 1024);
    }

    #[test]
    fn whole_file_cases() {
        // Spark (FINDINGS Q6): an array holding a scalar makes the whole file one NULL record.
        let source = SourceOptions { format: InputFormat::WholeFile, ..SourceOptions::default() };
        let whole = |text: &[u8]| parse_file("f", text, &source);
        let parsed = whole(b"[{\"a\":1}, 3, {\"b\":2}]");
        assert_eq!((parsed.records.len(), parsed.bad.len()), (0, 1));
        assert!(parsed.bad[0].reason.contains("holds the number 3"), "{}", parsed.bad[0].reason);
        let parsed = whole(b"[{\"eventId\": \"a\"},\n {\"eventId\": 7}]");
        assert_eq!(parsed.records.len(), 2);
        assert_eq!(parsed.records[1].value["eventId"], "7");
        assert_eq!(whole(b"{\"a\":\n 1}").records.len(), 1);
        assert_eq!(whole(b"{").bad.len(), 1);
    }

    #[test]
    fn misfits_are_nulls_with_the_record_kept_and_told() {
        // Goal: Spark's reading of wrong types (FINDINGS Q4): the value is NULL, the record kept,
        // and each NULL is reported with its file, line and path. Method: one file, both paths.
        let text = concat!(
            r#"{"eventId": "hot", "data": {"devices": [{"deviceId": "d", "temperature": "hot"}]}}"#,
            "\n",
            r#"{"eventId": "int30", "data": {"devices": [{"deviceId": "d", "temperature": 30}]}}"#,
            "\n",
            r#"{"eventId": "nan", "data": {"devices": [{"deviceId": "d", "temperature": NaN}]}}"#,
        );
        let parsed = parse_file("file:///f", text.as_bytes(), &SourceOptions::default());
        assert!(parsed.bad.is_empty(), "{:?}", parsed.bad);
        let temps: Vec<&Value> = parsed.records.iter().map(|r| &r.value["data"]["devices"][0]["temperature"]).collect();
        assert_eq!(temps, [&Value::Null, &serde_json::json!(30.0), &serde_json::json!("NaN")]);
        assert_eq!(parsed.nulls.len(), 1);
        let told = parsed.nulls[0].to_string();
        assert_eq!(told, "file:///f:1: data.devices[0].temperature: the string \"hot\" is not a DOUBLE");
    }

    #[test]
    fn the_tape_path_reads_what_the_value_path_reads() {
        // Goal: the hot path (a tape, and the schema reader only for records that do not fit)
        // gives the records, bad lines and NULLs of `parse_file`. Method: lines that fit, that
        // need converting, that are bad, through both.
        let lines = [
            r#"{"eventId":"e1","data":{"devices":[{"deviceId":"d1","temperature":21.5}]}}"#,
            r#"{"eventId":"e2","extra":1,"data":{"devices":[{"deviceId":"d1","temperature":2}]}}"#,
            r#"{"eventId":{"a": 1},"data":{"devices":"d"}}"#,
            r#"{"eventId":'q',"data":{"devices":[{"temperature":-Infinity},null]}}"#,
            r#"{"eventId":"e1"} tail"#,
            "[{\"eventId\":\"e1\"}]",
            "{\"eventId\":\"e\\u00e9\",\"data\":null}",
            "{}",
        ];
        let text = lines.join("\n");
        let schema = Schema::tutorial();
        let parsed =
            parse_file("u", text.as_bytes(), &SourceOptions { schema: schema.clone(), ..SourceOptions::default() });
        let mut records = Vec::new();
        let scanned = ParsedFile::scan_json_lines("u", text.as_bytes(), &schema, |line, _, node| {
            records.push(Record { line, value: crate::json::JsonView::to_value(node) });
        });
        assert_eq!(records, parsed.records);
        assert_eq!((scanned.bad, scanned.nulls), (parsed.bad.clone(), parsed.nulls));
        let bad: Vec<u32> = parsed.bad.iter().map(|b| b.line).collect();
        assert_eq!(bad, [5, 6]);
        assert_eq!(records[1].value["data"]["devices"][0]["temperature"], serde_json::json!(2.0));
        assert_eq!(records[2].value["eventId"], r#"{"a": 1}"#, "raw text, as Spark keeps it");
    }
}
