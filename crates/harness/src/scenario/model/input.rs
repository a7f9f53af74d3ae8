//! The input directory as the scenario's steps leave it, and what a batch reads from a file:
//! rows, and bad lines by file name and line number.
//!
//! Parsing here is the model's own (serde_json, line by line): it must never call the engine's
//! source parser, which is what it checks. Records go through the plan's evaluator on JSON
//! values, not through the engine's parse tape.

use super::super::world::{CLOCK_START_MS, ROOT};
use crashpoint_engine::plan::{CompiledPlan, Row};
use crashpoint_engine::source::{InputFormat, MAX_LINE_BYTES};
use crashpoint_engine::uri::uri_of;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// One input file: its bytes and modification time.
#[derive(Debug, Clone)]
pub(super) struct InputFile {
    pub(super) bytes: Vec<u8>,
    pub(super) mtime_ms: i64,
}

/// The input directory, and the clock that stamps arrivals as the world's does.
#[derive(Debug, Clone)]
pub(super) struct Input {
    pub(super) files: BTreeMap<String, InputFile>,
    clock_ms: i64,
}

impl Default for Input {
    fn default() -> Self {
        Self { files: BTreeMap::new(), clock_ms: CLOCK_START_MS }
    }
}

impl Input {
    /// A file written (new, modified or re-dropped): the clock advances a second, and the file
    /// is stamped with the new time plus `shift_ms`.
    pub(super) fn write(&mut self, name: &str, bytes: Vec<u8>, shift_ms: i64) {
        self.clock_ms += 1000;
        self.files.insert(name.to_string(), InputFile { bytes, mtime_ms: self.clock_ms + shift_ms });
    }

    /// The URI the engine records for a file name, as on the simulated disk.
    pub(super) fn uri(name: &str) -> String {
        uri_of(&Path::new(ROOT).join("input").join(name))
    }

    /// The files a listing offers: not hidden, not starting with `_`, as Spark lists.
    pub(super) fn listed(&self) -> impl Iterator<Item = (&String, &InputFile)> {
        self.files.iter().filter(|(name, _)| !name.starts_with(['.', '_']))
    }
}

/// What one batch read: rows, and bad lines as (file name, line).
#[derive(Debug, Clone, Default)]
pub(super) struct Read {
    pub(super) rows: Vec<Row>,
    pub(super) bad: Vec<(String, u32)>,
}

/// Reads one file's bytes into `read`, with `time` as the processing time.
pub(super) fn read_file(
    name: &str,
    bytes: &[u8],
    format: InputFormat,
    plan: &CompiledPlan,
    time: &Value,
    read: &mut Read,
) {
    let apply = |line: u32, value: Option<Value>, read: &mut Read| {
        let good = value.is_some_and(|value| plan.apply(&value, time, &mut read.rows).is_ok());
        if !good {
            read.bad.push((name.to_string(), line));
        }
    };
    match format {
        InputFormat::JsonLines => {
            for (index, raw) in bytes.split(|b| *b == b'\n').enumerate() {
                let line = raw.strip_suffix(b"\r").unwrap_or(raw);
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                let value = (line.len() <= MAX_LINE_BYTES).then(|| object(line)).flatten();
                apply(index as u32 + 1, value, read);
            }
        }
        InputFormat::WholeFile => {
            if bytes.iter().all(u8::is_ascii_whitespace) {
                return;
            }
            match serde_json::from_slice::<Value>(bytes) {
                Ok(Value::Array(items)) => {
                    for item in items {
                        apply(1, item.is_object().then_some(item), read);
                    }
                }
                Ok(value) => apply(1, value.is_object().then_some(value), read),
                Err(_) => apply(1, None, read),
            }
        }
    }
}

/// A line that is one JSON object, or `None`.
fn object(line: &[u8]) -> Option<Value> {
    serde_json::from_slice::<Value>(line).ok().filter(Value::is_object)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crashpoint_engine::plan::Plan;

    #[test]
    fn lines_rows_and_bad_lines() {
        // Goal: the model reads lines as the file source is specified to: blank lines skipped,
        // CRLF accepted, a non-object, malformed JSON, non-UTF-8 or a record the plan rejects is
        // a bad line with its number. Method: one file with each, through the tutorial plan.
        let plan = Plan::tutorial_without_time().compile().unwrap();
        let text = b"{\"eventId\":\"e1\",\"data\":{\"devices\":[{\"deviceId\":\"d1\",\"temperature\":1}]}}\r\n\n[1]\n{bad\n\xff\n{\"data\":{\"devices\":\"x\"}}\n{\"eventId\":\"e2\"}";
        let mut read = Read::default();
        read_file("a.json", text, InputFormat::JsonLines, &plan, &Value::Null, &mut read);
        assert_eq!(read.rows.len(), 1);
        let lines: Vec<u32> = read.bad.iter().map(|(_, line)| *line).collect();
        assert_eq!(lines, [3, 4, 5, 6]);
        let mut whole = Read::default();
        read_file("w.json", b"[{\"eventId\":\"e\"}, 3]", InputFormat::WholeFile, &plan, &Value::Null, &mut whole);
        assert_eq!((whole.rows.len(), whole.bad.len()), (0, 1), "no devices: no rows; the 3 is bad");
    }
}
