//! Spark's DDL for a schema: `name TYPE, …` with `ARRAY<T>` and `STRUCT<name: T, …>`, type
//! names in any case, field names bare or in backquotes.

use super::{DataType, Field, Schema};

struct Parser<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn skip_spaces(&mut self) {
        while self.text[self.pos..].starts_with(char::is_whitespace) {
            self.pos += self.text[self.pos..].chars().next().map_or(1, char::len_utf8);
        }
    }

    fn error(&self, what: &str) -> String {
        let at: String = self.text[self.pos..].chars().take(20).collect();
        let at = if at.is_empty() { "the end".to_string() } else { format!("'{at}'") };
        format!(
            "schema '{}': {what} at {at}; write e.g. 'eventId STRING, data STRUCT<devices: ARRAY<STRUCT<deviceId: STRING, temperature: DOUBLE>>>'",
            self.text
        )
    }

    fn eat(&mut self, symbol: char) -> bool {
        self.skip_spaces();
        if self.text[self.pos..].starts_with(symbol) {
            self.pos += symbol.len_utf8();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, symbol: char) -> Result<(), String> {
        if self.eat(symbol) { Ok(()) } else { Err(self.error(&format!("expected '{symbol}'"))) }
    }

    /// A field name: letters, digits and `_`, or anything but a backquote in backquotes.
    fn name(&mut self) -> Result<String, String> {
        self.skip_spaces();
        let rest = &self.text[self.pos..];
        if let Some(quoted) = rest.strip_prefix('`') {
            let end = quoted.find('`').ok_or_else(|| self.error("a backquoted name is not closed"))?;
            self.pos += end + 2;
            return Ok(quoted[..end].to_string());
        }
        let len = rest.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(rest.len());
        if len == 0 {
            return Err(self.error("expected a field name"));
        }
        self.pos += len;
        Ok(rest[..len].to_string())
    }

    fn data_type(&mut self) -> Result<DataType, String> {
        let word = self.name().map_err(|_| self.error("expected a type"))?.to_ascii_uppercase();
        Ok(match word.as_str() {
            "STRING" => DataType::String,
            "DOUBLE" => DataType::Double,
            "BIGINT" | "LONG" => DataType::Long,
            "INT" | "INTEGER" => DataType::Int,
            "BOOLEAN" => DataType::Boolean,
            "TIMESTAMP" => DataType::Timestamp,
            "ARRAY" => {
                self.expect('<')?;
                let element = self.data_type()?;
                self.expect('>')?;
                DataType::Array(Box::new(element))
            }
            "STRUCT" => {
                self.expect('<')?;
                let fields = if self.eat('>') { Vec::new() } else { self.fields('>', true)? };
                DataType::Struct(fields)
            }
            other => {
                return Err(self.error(&format!(
                    "'{other}' is not a type crashpoint reads (STRING, DOUBLE, BIGINT, INT, BOOLEAN, TIMESTAMP, \
                     ARRAY<…>, STRUCT<…>)"
                )));
            }
        })
    }

    /// Fields up to `close` (consumed), or to the end when `close` is `None`-like `'\0'`.
    fn fields(&mut self, close: char, colon: bool) -> Result<Vec<Field>, String> {
        let mut fields: Vec<Field> = Vec::new();
        loop {
            let name = self.name()?;
            if colon {
                self.eat(':');
            }
            let data_type = self.data_type()?;
            if fields.iter().any(|f| f.name == name) {
                return Err(self.error(&format!("the field '{name}' is named twice")));
            }
            fields.push(Field { name, data_type });
            if self.eat(',') {
                continue;
            }
            if close == '\0' {
                self.skip_spaces();
                return if self.pos == self.text.len() { Ok(fields) } else { Err(self.error("expected ','")) };
            }
            self.expect(close)?;
            return Ok(fields);
        }
    }
}

/// Parses `name TYPE, …`.
pub(super) fn parse_schema(text: &str) -> Result<Schema, String> {
    let mut parser = Parser { text, pos: 0 };
    parser.skip_spaces();
    if parser.pos == text.len() {
        return Err(parser.error("no field"));
    }
    Ok(Schema { fields: parser.fields('\0', false)? })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_cases() {
        let cases = [
            (super::super::TUTORIAL_DDL, super::super::TUTORIAL_DDL),
            ("a int, b bigint,c  long", "a INT, b BIGINT, c BIGINT"),
            ("s struct<x string, `y z`: boolean>", "s STRUCT<x: STRING, `y z`: BOOLEAN>"),
            ("a ARRAY<ARRAY<DOUBLE>>", "a ARRAY<ARRAY<DOUBLE>>"),
            ("e STRUCT<>", "e STRUCT<>"),
        ];
        for (text, shown) in cases {
            let schema: Schema = text.parse().unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(schema.to_string(), shown);
            assert_eq!(shown.parse::<Schema>().unwrap(), schema, "{shown} parses back");
        }
    }

    #[test]
    fn schema_fail_cases() {
        let cases = [
            ("", "no field"),
            ("a", "expected a type"),
            (",", "expected a field name"),
            ("a FLOATY", "'FLOATY' is not a type"),
            ("a ARRAY<INT", "expected '>'"),
            ("a INT b INT", "expected ','"),
            ("a INT, a STRING", "named twice"),
            ("`a INT", "not closed"),
        ];
        for (text, expected) in cases {
            let err = text.parse::<Schema>().unwrap_err();
            assert!(err.contains(expected), "{text}: {err}");
        }
    }
}
