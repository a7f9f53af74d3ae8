//! Input bytes: encodings, line ends, torn, huge and deep lines, wrong types, non-numbers. The
//! two good files of the base are batches 0 and 1; the file under test, `bad.json`, is batch 2.
//! A bad line is never dropped: it goes to `dead-letters/2.jsonl` with its file and line, the
//! run says where the first one is, and the good lines of the same file are kept. A value of the
//! wrong type is no bad line: it is read as NULL with its record kept, as Spark reads it, and
//! the run says which value it was.

use super::case::{Case, Fix, Row, line};

/// The message for a file whose first bad line is `n`.
macro_rules! says_bad_line {
    ($n:literal) => {
        &[concat!("bad.json:", $n, ":"), "written to {cp}/dead-letters/2.jsonl", "fix them at the source"]
    };
}

/// The message for a value of line 1 read as NULL.
macro_rules! says_null {
    ($what:literal) => {
        &[concat!("bad.json:1: ", $what), "read as NULL"]
    };
}

/// A row whose `bad.json` holds `$bytes` (an expression of type `Vec<u8>`).
macro_rules! content {
    ($kind:literal, $bytes:expr, good: [$($good:literal),*], dead: [$($dead:literal),*], says: $says:expr, $outcome:literal) => {
        Row {
            family: "input bytes",
            kind: $kind,
            arrange: |c: &Case| {
                c.base();
                let bytes: Vec<u8> = $bytes;
                c.drop("bad.json", &bytes, 2);
            },
            act: |c: &Case| c.stream(&[]),
            code: 0,
            says: $says,
            fix: Fix::Nothing,
            good: &["e1/d1", "e1/d2", "e2/d3" $(, $good)*],
            dead: &[$($dead),*],
            outcome: $outcome,
        }
    };
}

fn lines(lines: &[&str]) -> Vec<u8> {
    lines.iter().flat_map(|l| format!("{l}\n").into_bytes()).collect()
}

fn deep(levels: usize) -> Vec<u8> {
    let nested = format!("{}{}", "[".repeat(levels), "]".repeat(levels));
    let text = format!(r#"{{"eventId": "deep", "x": {nested}, "data": {{"devices": [{{"deviceId": "x"}}]}}}}"#);
    lines(&[&line("ok"), &text])
}

fn utf16(text: &str) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    bytes
}

pub fn rows() -> Vec<Row> {
    vec![
        content!("UTF-8 byte-order mark", [&b"\xEF\xBB\xBF"[..], &lines(&[&line("b1"), &line("b2")])].concat(),
            good: ["b1/x", "b2/x"], dead: [], says: &[], "read past the mark, as Spark"),
        content!("CRLF line ends", format!("{}\r\n{}\r\n", line("c1"), line("c2")).into_bytes(),
            good: ["c1/x", "c2/x"], dead: [], says: &[], "both records, as Spark"),
        content!("blank and whitespace-only lines", format!("\n  \n{}\n\t\n", line("w1")).into_bytes(),
            good: ["w1/x"], dead: [], says: &[], "no record and no bad line for a blank line, as Spark"),
        content!("no newline after the last line", format!("{}\n{}", line("n1"), line("n2")).into_bytes(),
            good: ["n1/x", "n2/x"], dead: [], says: &[], "the last line is a record"),
        content!("empty file", Vec::new(), good: [], dead: [], says: &[], "no rows, no error; the file counts as taken"),
        content!("a file of newlines", b"\n\n\n".to_vec(), good: [], dead: [], says: &[], "no rows, no error"),
        content!("a non-UTF-8 byte in a string", [lines(&[&line("u1")]), b"{\"eventId\": \"x\xffy\"}\n".to_vec()].concat(),
            good: ["u1/x"], dead: ["bad.json:2"], says: says_bad_line!(2), "dead letter (Spark: a NULL row)"),
        content!("a Latin-1 file", b"{\"eventId\": \"caf\xe9\", \"data\": {\"devices\": []}}\n".to_vec(),
            good: [], dead: ["bad.json:1"], says: says_bad_line!(1), "dead letter (Spark keeps the record with eventId NULL)"),
        content!("a UTF-16 file", utf16(&format!("{}\n", line("u16"))),
            good: [], dead: ["bad.json:1", "bad.json:2"], says: says_bad_line!(1), "dead letters, line by line"),
        content!("a torn last line", lines(&[&line("t1"), r#"{"eventId": "t2", "data": {"dev"#]),
            good: ["t1/x"], dead: ["bad.json:2"], says: says_bad_line!(2), "dead letter with its line"),
        content!("garbage after an object", lines(&[&format!("{} garbage", line("g1"))]),
            good: [], dead: ["bad.json:1"], says: says_bad_line!(1), "dead letter (Spark keeps the record and drops the garbage silently)"),
        content!("two objects on one line", lines(&[&format!("{} {}", line("o1"), line("o2"))]),
            good: [], dead: ["bad.json:1"], says: says_bad_line!(1), "dead letter (Spark keeps the first and drops the second silently)"),
        content!("a trailing comma", lines(&[r#"{"eventId": "tc", "data": {"devices": []},}"#]),
            good: [], dead: ["bad.json:1"], says: says_bad_line!(1), "dead letter"),
        content!("a comment", lines(&[&format!("/* note */ {}", line("cm"))]),
            good: [], dead: ["bad.json:1"], says: says_bad_line!(1), "dead letter"),
        content!("unquoted field names", lines(&[r#"{eventId: "uq", data: {devices: []}}"#]),
            good: [], dead: ["bad.json:1"], says: says_bad_line!(1), "dead letter"),
        content!("single quotes", lines(&[r#"{'eventId': 'sq', 'data': {'devices': [{'deviceId': 'x'}]}}"#]),
            good: ["sq/x"], dead: [], says: &[], "read, as Spark reads single quotes"),
        content!("an array of objects on one line", lines(&[&format!("[{}, {}]", line("a1"), line("a2"))]),
            good: [], dead: ["bad.json:1"], says: says_bad_line!(1), "dead letter (Spark reads two records)"),
        content!("lines that are numbers, strings, null, true", lines(&["42", "\"s\"", "null", "true"]),
            good: [], dead: ["bad.json:1", "bad.json:2", "bad.json:3", "bad.json:4"], says: says_bad_line!(1), "a dead letter each"),
        content!("an empty object", lines(&["{}", &line("after")]),
            good: ["after/x"], dead: [], says: &[], "no row (nothing to explode), not bad, as Spark"),
        content!("nesting 200 levels deep", deep(200),
            good: ["ok/x", "deep/x"], dead: [], says: &[], "read, as Spark reads up to 1000 levels"),
        content!("nesting 1100 levels deep", deep(1100),
            good: ["ok/x"], dead: ["bad.json:2"], says: says_bad_line!(2), "dead letter: past 1000 levels, Spark's limit (Spark: a NULL row)"),
        content!("a line over 16 MiB", [lines(&[&line("small")]), format!("{{\"eventId\": \"{}\"}}\n", "x".repeat(16 * 1024 * 1024 + 1)).into_bytes()].concat(),
            good: ["small/x"], dead: ["bad.json:2"], says: says_bad_line!(2), "dead letter: over the line limit"),
        content!("a 2 MiB line", lines(&[&format!(r#"{{"eventId": "big", "pad": "{}", "data": {{"devices": [{{"deviceId": "x"}}]}}}}"#, "p".repeat(2 << 20))]),
            good: ["big/x"], dead: [], says: &[], "read"),
        content!("a temperature that is a string", lines(&[r#"{"eventId": "hot", "data": {"devices": [{"deviceId": "x", "temperature": "hot"}]}}"#]),
            good: ["hot/x"], dead: [], says: says_null!("data.devices[0].temperature: the string \"hot\" is not a DOUBLE"), "temp NULL, the record kept, as Spark; the run says so"),
        content!("an eventId that is a number", lines(&[r#"{"eventId": 42, "data": {"devices": [{"deviceId": "x", "temperature": 1.0}]}}"#]),
            good: ["42/x"], dead: [], says: &[], "the record is kept"),
        content!("devices that is not an array", lines(&[r#"{"eventId": "na", "data": {"devices": {"deviceId": "x"}}}"#, &line("fine")]),
            good: ["fine/x"], dead: [], says: says_null!("data.devices: an object is not an ARRAY"), "devices NULL, so no row, as Spark; the run says so (Spark: silently)"),
        content!("NaN and Infinity literals", lines(&[r#"{"eventId": "nan", "data": {"devices": [{"deviceId": "x", "temperature": NaN}]}}"#, r#"{"eventId": "inf", "data": {"devices": [{"deviceId": "x", "temperature": -Infinity}]}}"#]),
            good: ["nan/x", "inf/x"], dead: [], says: &[], "doubles, as Spark reads them (written \"NaN\", \"-Infinity\")"),
        content!("a number out of range (1e400)", lines(&[r#"{"eventId": "e400", "data": {"devices": [{"deviceId": "x", "temperature": 1e400}]}}"#]),
            good: ["e400/x"], dead: [], says: &[], "Infinity, as Spark reads it"),
        content!("a duplicate key", lines(&[r#"{"eventId": "first", "eventId": "dup", "data": {"devices": [{"deviceId": "x"}]}}"#]),
            good: ["dup/x"], dead: [], says: &[], "the last value wins, as Spark"),
        content!("missing fields", lines(&[r#"{"data": {"devices": [{"deviceId": "x"}]}}"#]),
            good: ["null/x"], dead: [], says: &[], "null in the missing column, as Spark"),
        Row {
            family: "input bytes",
            kind: "a bad line in failfast mode",
            arrange: |c| {
                c.base();
                c.drop("bad.json", &lines(&[&line("ff1"), "not json"]), 2);
            },
            act: |c| c.stream(&["--mode", "failfast"]),
            code: 2,
            says: &["{in}/bad.json:2: malformed JSON", "use permissive"],
            fix: Fix::Hand("fix the line in place and restart: the batch re-runs with the file", |c| {
                c.drop("bad.json", &lines(&[&line("ff1"), &line("ff2")]), 2);
            }),
            good: &["e1/d1", "e1/d2", "e2/d3", "ff1/x", "ff2/x"],
            dead: &[],
            outcome: "stops at file:line, commits nothing; the fixed file re-runs",
        },
        Row {
            family: "input bytes",
            kind: "a JSON-lines file read as whole-file JSON",
            arrange: |c| {
                c.base();
                c.drop("bad.json", &lines(&[&line("w1"), &line("w2")]), 2);
            },
            act: |c| c.stream(&["--input-format", "whole-file"]),
            code: 0,
            says: &["bad.json:1:", "fix them at the source"],
            fix: Fix::Nothing,
            good: &["e1/d1", "e1/d2", "e2/d3"],
            dead: &["bad.json:1"],
            outcome: "dead letter (Spark keeps the first record and drops the rest silently)",
        },
    ]
}
