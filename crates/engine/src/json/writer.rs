//! Printing rows as JSON objects, byte for byte as [`super::row_to_json`] does, faster.

use serde_json::Value;

/// Writes rows as JSON objects, byte for byte as [`super::row_to_json`] does (null fields left
/// out, as Spark writes them), with the column names escaped once instead of once a row.
#[derive(Debug, Clone)]
pub struct RowWriter {
    /// `"a":`, `"b":`, ...: what comes before each value, after the `{` or `,`.
    prefixes: Vec<Vec<u8>>,
}

impl RowWriter {
    /// A writer for rows of this schema.
    pub fn new(schema: &[String]) -> Self {
        let prefixes = schema
            .iter()
            .map(|name| {
                let mut prefix = Vec::new();
                serde_json::to_writer(&mut prefix, name).expect("writing to a Vec cannot fail");
                prefix.push(b':');
                prefix
            })
            .collect();
        Self { prefixes }
    }

    /// Appends one row given as its values borrowed from a record (`None`: missing, so null),
    /// then `times` copies of `time`, (without a newline) exactly as [`RowWriter::write`] writes
    /// the row of their owned values.
    pub(crate) fn write_views<J: super::JsonView>(
        &self,
        selected: impl Iterator<Item = Option<J>>,
        time: &Value,
        times: usize,
        out: &mut Vec<u8>,
    ) {
        let mut separator = b'{';
        let mut prefixes = self.prefixes.iter();
        // `selected` first: zip stops at its end without taking a prefix that belongs to a time.
        for (value, prefix) in selected.zip(prefixes.by_ref()) {
            let Some(value) = value else { continue };
            let mark = out.len();
            out.push(separator);
            out.extend_from_slice(prefix);
            if value.write_json(out) {
                separator = b',';
            } else {
                out.truncate(mark);
            }
        }
        for prefix in prefixes.take(times).filter(|_| !time.is_null()) {
            out.push(separator);
            separator = b',';
            out.extend_from_slice(prefix);
            write_value(time, out);
        }
        if separator == b'{' {
            out.push(b'{');
        }
        out.push(b'}');
    }

    /// Appends one row (without a newline), as [`super::row_to_json`] would.
    pub fn write(&self, row: &[Value], out: &mut Vec<u8>) {
        let mut separator = b'{';
        for (prefix, value) in self.prefixes.iter().zip(row).filter(|(_, value)| !value.is_null()) {
            out.push(separator);
            separator = b',';
            out.extend_from_slice(prefix);
            write_value(value, out);
        }
        if separator == b'{' {
            out.push(b'{');
        }
        out.push(b'}');
    }
}

/// Appends a value as `serde_json` prints it compactly, a double as Java writes it.
pub(super) fn write_value(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) if n.is_f64() => super::write_java_double(n.as_f64().unwrap_or_default(), out),
        Value::String(s) => write_str(s, out),
        other => serde_json::to_writer(&mut *out, other).expect("writing to a Vec cannot fail"),
    }
}

/// Appends a string as `serde_json` prints it.
pub(super) fn write_str(s: &str, out: &mut Vec<u8>) {
    if needs_escape(s.as_bytes()) {
        return serde_json::to_writer(&mut *out, s).expect("writing to a Vec cannot fail");
    }
    out.reserve(s.len() + 2);
    out.push(b'"');
    out.extend_from_slice(s.as_bytes());
    out.push(b'"');
}

/// True if serde_json would escape a byte of this string: a control character, `"` or `\\`.
/// Eight bytes at a time: each test below flags a word exactly when one of its bytes matches.
fn needs_escape(bytes: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let has_zero = |word: u64| word.wrapping_sub(ONES) & !word & HIGHS != 0;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().expect("chunks of 8"));
        let control = word.wrapping_sub(ONES * 0x20) & !word & HIGHS != 0;
        if control || has_zero(word ^ (ONES * u64::from(b'"'))) || has_zero(word ^ (ONES * u64::from(b'\\'))) {
            return true;
        }
    }
    chunks.remainder().iter().any(|&b| b < 0x20 || b == b'"' || b == b'\\')
}

#[cfg(test)]
mod tests {
    use super::super::row_to_json;
    use super::*;
    use serde_json::json;

    #[test]
    fn needs_escape_finds_every_byte_serde_json_escapes() {
        let naive = |bytes: &[u8]| bytes.iter().any(|&b| b < 0x20 || b == b'"' || b == b'\\');
        for byte in 0..=255u8 {
            for at in 0..17 {
                for filler in [b'a', 0x7f, 0xff, 0x21, 0x5d] {
                    let mut text = vec![filler; 17];
                    text[at] = byte;
                    assert_eq!(needs_escape(&text), naive(&text), "{byte:#x} at {at} among {filler:#x}");
                }
            }
        }
    }

    #[test]
    fn row_writer_writes_what_row_to_json_writes() {
        let all_ascii: String = (0u8..128).map(char::from).collect();
        let schema: Vec<String> = ["a", "b\"q", "c", "d", "e", "f"].map(String::from).to_vec();
        let rows = [
            vec![json!("e1"), json!(all_ascii), json!(21.5), json!(-0.0), json!(null), json!(true)],
            vec![json!("é\u{2028}"), json!(3), json!(-7), json!({"z": [1, "x"], "a": false}), json!(1e300)],
            vec![json!(null), json!("only b")],
            vec![json!(null), json!(null), json!(null)],
            vec![],
        ];
        let mut spark = Vec::new();
        row_to_json(&schema, &rows[2], &mut spark);
        assert_eq!(String::from_utf8(spark).unwrap(), r#"{"b\"q":"only b"}"#, "nulls left out, as Spark writes");
        let writer = RowWriter::new(&schema);
        for row in &rows {
            for schema in [&schema[..], &schema[..2], &[]] {
                let (mut expected, mut got) = (Vec::new(), Vec::new());
                row_to_json(schema, row, &mut expected);
                RowWriter::new(schema).write(row, &mut got);
                assert_eq!(String::from_utf8(got).unwrap(), String::from_utf8(expected).unwrap());
            }
            let (mut expected, mut got) = (Vec::new(), Vec::new());
            row_to_json(&schema, row, &mut expected);
            writer.write(row, &mut got);
            assert_eq!(got, expected);
        }
    }
}
