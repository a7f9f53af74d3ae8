//! Reading one JSON text with a schema, as Spark 4.3's JSON reader (Jackson under Spark's
//! `JacksonParser`) does, measured in `spark/FINDINGS.md` Q4 and Q5:
//!
//! - Jackson's leniencies that Spark turns on: single-quoted strings, and the tokens `NaN`,
//!   `Infinity`, `+Infinity` and `-Infinity` as numbers.
//! - Each value is converted to its field's type: `30` for a DOUBLE is `30.0`; the strings
//!   `"NaN"` and `"Infinity"` are doubles; `1e400` is `Infinity`; a number, boolean, object or
//!   array where a STRING is expected is kept as its raw JSON text, whitespace included; any
//!   other misfit (`"hot"` or `"30"` for a DOUBLE, an object for an ARRAY) is read as NULL and
//!   the rest of the record kept: Spark's partial result, which the caller must not hide.
//! - Fields not in the schema are skipped; names match case-sensitively; on a duplicate key the
//!   last value wins.
//! - A root array gives one record per element; text after the first value is ignored, as
//!   Spark ignores it (the caller says so).
//!
//! It must never decide what a bad record costs: it says what it found.

use super::mismatch::{Mismatch, describe_token};
use super::{DataType, Schema};
use serde_json::{Map, Number, Value};

/// Jackson's default `maxNestingDepth` in Spark 4.3: a deeper record is malformed.
const MAX_DEPTH: usize = 1000;

/// What one JSON text gave.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Read {
    /// The records, converted to the schema (a root array gives one per element).
    pub records: Vec<Value>,
    /// Values that did not fit their type, read as NULL with the rest of the record kept.
    pub mismatches: Vec<Mismatch>,
    /// Text after the first JSON value, which Spark ignores without a word.
    pub ignored_tail: Option<String>,
}

/// Reads one JSON text (a line, or a whole file) with `schema`. `Err` is why the text is
/// malformed as a whole: Spark's all-NULL record, or its FAILFAST error.
pub fn read(text: &str, schema: &Schema) -> Result<Read, String> {
    let record = schema.record_type();
    let mut parser = Parser { bytes: text.as_bytes(), text, pos: 0, depth: 0, mismatches: Vec::new() };
    parser.skip_spaces();
    let records = match parser.peek() {
        Some(b'{') => vec![parser.value(Some(&record), &mut String::new())?],
        Some(b'[') => parser.root_array(&record)?,
        Some(_) => {
            let start = parser.pos;
            parser.value(None, &mut String::new())?;
            return Err(format!("not a JSON object but {}", describe_token(&text[start..parser.pos])));
        }
        None => return Err("no JSON value".into()),
    };
    parser.skip_spaces();
    let ignored_tail = (parser.pos < text.len()).then(|| text[parser.pos..].chars().take(100).collect());
    Ok(Read { records, mismatches: parser.mismatches, ignored_tail })
}

struct Parser<'a> {
    bytes: &'a [u8],
    text: &'a str,
    pos: usize,
    depth: usize,
    mismatches: Vec<Mismatch>,
}

/// One scalar token, before it meets its type.
enum Token<'a> {
    Str(String),
    Number { text: &'a str, integer: bool },
    NonFinite(f64),
    Bool(bool),
    Null,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_spaces(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn syntax(&self, what: &str) -> String {
        let near: String = self.text[self.pos.min(self.text.len())..].chars().take(20).collect();
        let near = if near.is_empty() { "the end of the line".to_string() } else { format!("'{near}'") };
        format!("malformed JSON: {what} at column {} (near {near})", self.pos + 1)
    }

    fn root_array(&mut self, record: &DataType) -> Result<Vec<Value>, String> {
        self.pos += 1;
        let mut records = Vec::new();
        self.skip_spaces();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(records);
        }
        loop {
            self.skip_spaces();
            if self.peek() != Some(b'{') {
                let start = self.pos;
                self.value(None, &mut String::new())?;
                let what = describe_token(&self.text[start..self.pos]);
                return Err(format!("an array of records holds {what}, not an object"));
            }
            let path = &mut format!("[{}]", records.len());
            records.push(self.value(Some(record), path)?);
            self.skip_spaces();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(records);
                }
                _ => return Err(self.syntax("expected ',' or ']'")),
            }
        }
    }

    /// One value, converted to `ty` (`None`: a field not in the schema, parsed and dropped).
    fn value(&mut self, ty: Option<&DataType>, path: &mut String) -> Result<Value, String> {
        self.skip_spaces();
        let start = self.pos;
        match self.peek() {
            Some(b'{') => match ty {
                Some(DataType::Struct(_)) | None => self.object(ty, path),
                Some(other) => self.misfit(start, other, path),
            },
            Some(b'[') => match ty {
                Some(DataType::Array(element)) => self.array(Some(element), path),
                None => self.array(None, path),
                Some(other) => self.misfit(start, other, path),
            },
            Some(_) => {
                let token = self.scalar()?;
                Ok(match ty {
                    None => Value::Null,
                    Some(ty) => self.convert(token, start, ty, path),
                })
            }
            None => Err(self.syntax("expected a value")),
        }
    }

    /// A value that does not fit `ty` where a STRING might take it raw: skips it and gives its
    /// raw text for a STRING, NULL and a mismatch for anything else.
    fn misfit(&mut self, start: usize, ty: &DataType, path: &mut String) -> Result<Value, String> {
        if self.peek() == Some(b'{') {
            self.object(None, path)?;
        } else {
            self.array(None, path)?;
        }
        let raw = &self.text[start..self.pos];
        if *ty == DataType::String {
            return Ok(Value::String(raw.to_string()));
        }
        self.mismatches.push(Mismatch::new(path, raw, ty));
        Ok(Value::Null)
    }

    fn object(&mut self, ty: Option<&DataType>, path: &mut String) -> Result<Value, String> {
        self.enter()?;
        self.pos += 1;
        let mut map = Map::new();
        self.skip_spaces();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(if ty.is_some() { Value::Object(map) } else { Value::Null });
        }
        loop {
            self.skip_spaces();
            let key = match self.peek() {
                Some(quote @ (b'"' | b'\'')) => self.string(quote)?,
                _ => return Err(self.syntax("expected a quoted field name")),
            };
            self.skip_spaces();
            if self.peek() != Some(b':') {
                return Err(self.syntax("expected ':'"));
            }
            self.pos += 1;
            let field = ty.and_then(|t| t.field(&key));
            let before = path.len();
            if field.is_some() {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(&key);
            }
            let value = self.value(field, path)?;
            path.truncate(before);
            if field.is_some() {
                map.insert(key, value);
            }
            self.skip_spaces();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    self.depth -= 1;
                    return Ok(if ty.is_some() { Value::Object(map) } else { Value::Null });
                }
                _ => return Err(self.syntax("expected ',' or '}'")),
            }
        }
    }

    fn array(&mut self, element: Option<&DataType>, path: &mut String) -> Result<Value, String> {
        self.enter()?;
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_spaces();
        if self.peek() == Some(b']') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(if element.is_some() { Value::Array(items) } else { Value::Null });
        }
        let mut index = 0usize;
        loop {
            // A skipped array (not in the schema) keeps no path and no items.
            let before = path.len();
            if element.is_some() {
                use std::fmt::Write;
                let _ = write!(path, "[{index}]");
            }
            let item = self.value(element, path)?;
            if element.is_some() {
                path.truncate(before);
                items.push(item);
            }
            index += 1;
            self.skip_spaces();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    self.depth -= 1;
                    return Ok(if element.is_some() { Value::Array(items) } else { Value::Null });
                }
                _ => return Err(self.syntax("expected ',' or ']'")),
            }
        }
    }

    fn enter(&mut self) -> Result<(), String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.syntax(&format!("nesting deeper than {MAX_DEPTH}")));
        }
        Ok(())
    }

    fn scalar(&mut self) -> Result<Token<'a>, String> {
        let rest = &self.bytes[self.pos..];
        for (word, token) in [
            (&b"true"[..], Token::Bool(true)),
            (b"false", Token::Bool(false)),
            (b"null", Token::Null),
            (b"NaN", Token::NonFinite(f64::NAN)),
            (b"Infinity", Token::NonFinite(f64::INFINITY)),
            (b"+Infinity", Token::NonFinite(f64::INFINITY)),
            (b"-Infinity", Token::NonFinite(f64::NEG_INFINITY)),
        ] {
            if rest.starts_with(word) && !rest.get(word.len()).is_some_and(|b| b.is_ascii_alphanumeric()) {
                self.pos += word.len();
                return Ok(token);
            }
        }
        match self.peek() {
            Some(quote @ (b'"' | b'\'')) => Ok(Token::Str(self.string(quote)?)),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.syntax("unexpected character")),
        }
    }

    /// A JSON number, strictly: no leading zeros, no bare `.`, no `+`.
    fn number(&mut self) -> Result<Token<'a>, String> {
        let start = self.pos;
        let digits = |p: &mut Self| {
            let from = p.pos;
            while p.peek().is_some_and(|b| b.is_ascii_digit()) {
                p.pos += 1;
            }
            p.pos - from
        };
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        let int_start = self.pos;
        let int_digits = digits(self);
        if int_digits == 0 || (int_digits > 1 && self.bytes[int_start] == b'0') {
            return Err(self.syntax("invalid number"));
        }
        let mut integer = true;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            integer = false;
            if digits(self) == 0 {
                return Err(self.syntax("invalid number"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            integer = false;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if digits(self) == 0 {
                return Err(self.syntax("invalid number"));
            }
        }
        Ok(Token::Number { text: &self.text[start..self.pos], integer })
    }

    /// A string quoted with `quote` (Jackson's `ALLOW_SINGLE_QUOTES`), its escapes decoded.
    fn string(&mut self, quote: u8) -> Result<String, String> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            let start = self.pos;
            while self.peek().is_some_and(|b| b != quote && b != b'\\' && b >= 0x20) {
                self.pos += 1;
            }
            out.push_str(&self.text[start..self.pos]);
            match self.peek() {
                Some(b) if b == quote => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    self.escape(quote, &mut out)?;
                }
                Some(_) => return Err(self.syntax("a control character in a string")),
                None => return Err(self.syntax("a string is not closed")),
            }
        }
    }

    fn escape(&mut self, quote: u8, out: &mut String) -> Result<(), String> {
        let c = match self.peek() {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'\'') if quote == b'\'' => '\'',
            Some(b'u') => {
                self.pos += 1;
                let unit = self.hex4()?;
                let c = match unit {
                    0xD800..=0xDBFF if self.bytes[self.pos..].starts_with(b"\\u") => {
                        self.pos += 2;
                        let low = self.hex4()?;
                        char::from_u32(0x10000 + ((unit - 0xD800) << 10) + low.wrapping_sub(0xDC00))
                    }
                    unit => char::from_u32(unit),
                };
                out.push(c.ok_or_else(|| self.syntax("an unpaired surrogate escape"))?);
                return Ok(());
            }
            _ => return Err(self.syntax("an invalid escape")),
        };
        self.pos += 1;
        out.push(c);
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let hex = self.text.get(self.pos..self.pos + 4).filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()));
        let unit = hex.and_then(|h| u32::from_str_radix(h, 16).ok()).ok_or_else(|| self.syntax("a bad \\u escape"))?;
        self.pos += 4;
        Ok(unit)
    }

    /// A scalar token converted to `ty`, as Spark's `JacksonParser` converts it.
    fn convert(&mut self, token: Token<'_>, start: usize, ty: &DataType, path: &str) -> Value {
        let converted = match (&token, ty) {
            (Token::Null, _) => Some(Value::Null),
            (Token::Str(s), DataType::String) => Some(Value::String(s.clone())),
            (_, DataType::String) => Some(Value::String(self.text[start..self.pos].to_string())),
            (Token::Number { text, .. }, DataType::Double) => text.parse::<f64>().ok().map(double),
            (Token::NonFinite(x), DataType::Double) => Some(double(*x)),
            (Token::Str(s), DataType::Double) => special_double(s).map(double),
            (Token::Number { text, integer: true }, DataType::Long) => text.parse::<i64>().ok().map(Value::from),
            (Token::Number { text, integer: true }, DataType::Int) => text.parse::<i32>().ok().map(Value::from),
            (Token::Bool(b), DataType::Boolean) => Some(Value::Bool(*b)),
            _ => None,
        };
        converted.unwrap_or_else(|| {
            self.mismatches.push(Mismatch::new(path, &self.text[start..self.pos], ty));
            Value::Null
        })
    }
}

/// The strings Spark reads as doubles.
fn special_double(s: &str) -> Option<f64> {
    match s {
        "NaN" | "+NaN" | "-NaN" => Some(f64::NAN),
        "Infinity" | "+Infinity" | "+INF" => Some(f64::INFINITY),
        "-Infinity" | "-INF" => Some(f64::NEG_INFINITY),
        _ => None,
    }
}

/// A DOUBLE as Spark's JSON writes it: a number, or `"NaN"`, `"Infinity"`, `"-Infinity"`.
fn double(x: f64) -> Value {
    match Number::from_f64(x) {
        Some(n) => Value::Number(n),
        None if x.is_nan() => Value::String("NaN".into()),
        None if x > 0.0 => Value::String("Infinity".into()),
        None => Value::String("-Infinity".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tutorial(line: &str) -> Read {
        read(line, &Schema::tutorial()).unwrap_or_else(|e| panic!("{line}: {e}"))
    }

    fn temperature(line: &str) -> (Value, usize) {
        let read = tutorial(line);
        (read.records[0]["data"]["devices"][0]["temperature"].clone(), read.mismatches.len())
    }

    #[test]
    fn doubles_as_spark_reads_them() {
        // FINDINGS Q4: the value after `"temperature": ` and what Spark made of it.
        let cases: &[(&str, Value, usize)] = &[
            ("21.5", json!(21.5), 0),
            ("30", json!(30.0), 0),
            ("\"hot\"", Value::Null, 1),
            ("\"30\"", Value::Null, 1),
            ("\"30.5\"", Value::Null, 1),
            ("true", Value::Null, 1),
            ("null", Value::Null, 0),
            ("1e400", json!("Infinity"), 0),
            ("NaN", json!("NaN"), 0),
            ("Infinity", json!("Infinity"), 0),
            ("-Infinity", json!("-Infinity"), 0),
            ("\"NaN\"", json!("NaN"), 0),
            ("\"Infinity\"", json!("Infinity"), 0),
            ("1e20", json!(1e20), 0),
            ("-0.0", json!(-0.0), 0),
            ("123456789012345678901234567890", json!(1.2345678901234568e29), 0),
            ("{\"a\": 1}", Value::Null, 1),
            ("[1]", Value::Null, 1),
        ];
        for (text, expected, mismatches) in cases {
            let line =
                format!(r#"{{"eventId": "e", "data": {{"devices": [{{"deviceId": "d", "temperature": {text}}}]}}}}"#);
            let (got, found) = temperature(&line);
            assert_eq!((&got, found), (expected, *mismatches), "{text}");
            if let Value::Number(n) = &got {
                assert!(n.is_f64(), "{text} is a double");
            }
        }
    }

    #[test]
    fn strings_keep_the_raw_text_of_anything_else() {
        let cases = [
            (r#""e1""#, "e1"),
            ("42", "42"),
            (r#"{"a": 1}"#, r#"{"a": 1}"#),
            (r#"["x"]"#, r#"["x"]"#),
            ("1e400", "1e400"),
            ("true", "true"),
            ("NaN", "NaN"),
            (r#""日本\u00e9\n\"q\"""#, "日本é\n\"q\""),
            ("'single'", "single"),
        ];
        for (text, expected) in cases {
            let read = tutorial(&format!(r#"{{"eventId": {text}}}"#));
            assert_eq!(read.records[0]["eventId"], json!(expected), "{text}");
            assert!(read.mismatches.is_empty());
        }
    }

    #[test]
    fn records_shapes_and_tails() {
        let two = tutorial(r#"[{"eventId": "a"}, {"eventId": "b"}]"#);
        assert_eq!(two.records, [json!({"eventId": "a"}), json!({"eventId": "b"})]);
        assert_eq!(tutorial("[]").records, Vec::<Value>::new());
        let tail = tutorial(r#"{"eventId": "a"} garbage"#);
        assert_eq!(tail.ignored_tail.as_deref(), Some("garbage"));
        let second = tutorial(r#"{"eventId": "a"} {"eventId": "b"}"#);
        assert_eq!((second.records.len(), second.ignored_tail.as_deref()), (1, Some(r#"{"eventId": "b"}"#)));
        let extra = tutorial(r#"{"eventId": "x", "more": 1, "data": {"devices": "d", "x": [1, {"y": 2}]}}"#);
        assert_eq!(extra.records[0], json!({"eventId": "x", "data": {"devices": null}}), "extra fields dropped");
        assert_eq!(
            extra.mismatches[0].to_string(),
            "data.devices: the string \"d\" is not an ARRAY<STRUCT<deviceId: STRING, temperature: DOUBLE>>"
        );
        let dup = tutorial(r#"{"eventId": "a", "eventId": "b", "EventId": "c"}"#);
        assert_eq!(dup.records[0], json!({"eventId": "b"}), "the last wins; names are case-sensitive");
    }

    #[test]
    fn malformed_texts() {
        let cases = [
            ("", "no JSON value"),
            ("42", "not a JSON object but the number 42"),
            ("\"s\"", "not a JSON object but the string \"s\""),
            (r#"{"eventId": "e9", "data": {"devices": ["#, "malformed JSON"),
            ("{eventId: 1}", "expected a quoted field name"),
            (r#"{"a": 1,}"#, "expected a quoted field name"),
            (r#"{"a": 01}"#, "invalid number"),
            ("{\"a\": \"x\ty\"}", "a control character"),
            (r#"[{"a": 1}, 42]"#, "holds the number 42, not an object"),
            ("/* c */ {}", "unexpected character"),
        ];
        for (text, expected) in cases {
            let err = read(text, &Schema::tutorial()).unwrap_err();
            assert!(err.contains(expected), "{text}: {err}");
        }
        let deep = "[".repeat(1100) + &"]".repeat(1100);
        assert!(read(&format!(r#"{{"eventId": {deep}}}"#), &Schema::tutorial()).unwrap_err().contains("nesting"));
        let fine = "[".repeat(900) + &"]".repeat(900);
        assert!(read(&format!(r#"{{"eventId": {fine}}}"#), &Schema::tutorial()).is_ok());
    }
}
