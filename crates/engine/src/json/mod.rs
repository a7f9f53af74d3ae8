//! Small helpers for JSON values shared by the source, the plan and the sinks, and the hot
//! path's two halves: a `Tape` that parses a record without allocating (its strings borrowed
//! from the line), which the plan reads through `JsonView` as it reads a `Value`, and a
//! [`RowWriter`] that prints rows as [`row_to_json`] does, faster. Both are held to the bytes
//! serde_json would give by the tests in `tape.rs` and `writer.rs`.

mod double;
mod tape;
mod view;
mod writer;

pub use double::java_double;
pub(crate) use double::write_java_double;
pub(crate) use tape::Tape;
pub(crate) use view::{JsonView, NodeRef};
pub use writer::RowWriter;

use serde_json::Value;

/// The JSON type of a value, in words.
pub fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A row as a JSON object in column order, as Spark's JSON writer prints it: a null field is
/// left out (Spark's default, `ignoreNullFields`), so an all-null row is `{}`; a double is
/// written as Java writes it ([`java_double`]: `30.0`, `1.0E20`).
pub fn row_to_json(schema: &[String], row: &[Value], out: &mut Vec<u8>) {
    out.push(b'{');
    let mut first = true;
    for (name, value) in schema.iter().zip(row).filter(|(_, value)| !value.is_null()) {
        if !first {
            out.push(b',');
        }
        first = false;
        serde_json::to_writer(&mut *out, name).expect("writing to a Vec cannot fail");
        out.push(b':');
        match value {
            Value::Number(n) if n.is_f64() => {
                out.extend_from_slice(java_double(n.as_f64().unwrap_or_default()).as_bytes())
            }
            _ => serde_json::to_writer(&mut *out, value).expect("writing to a Vec cannot fail"),
        }
    }
    out.push(b'}');
}

/// A value as Spark 4's `show()` prints it: strings bare, null as `NULL`, doubles as Java
/// writes them.
pub fn show_value(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) if n.is_f64() => java_double(n.as_f64().unwrap_or_default()),
        Value::Null => "NULL".to_string(),
        other => other.to_string(),
    }
}
