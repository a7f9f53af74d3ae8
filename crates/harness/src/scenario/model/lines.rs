//! The model's own reading of every line of every input file the scenario writes: why a bad
//! line is bad, by a small classifier of its own (too long, not UTF-8, not JSON, a root that is
//! not an object, a whole file's array holding a non-object, a record the plan cannot run on),
//! and which values of a good line are read as NULL (the column and the type it wanted, as the
//! schema reader the model shares with the engine reads them).
//!
//! The classifier decides what a line IS from its bytes; it must never call the engine's source
//! parser, nor take the engine's words for a reason: [`crate::check`] holds the engine's words
//! to these causes. Which lines are bad at all stays [`super::input`]'s statement; this one
//! only says why, so that the two can never disagree on the lines themselves (a test holds them
//! to the same lines).

use crate::check::{JsonKind, KeptText, LineCause, LineFacts, NullAt};
use crashpoint_engine::plan::CompiledPlan;
use crashpoint_engine::schema::{self, Schema};
use crashpoint_engine::source::{InputFormat, SourceOptions};
use serde_json::Value;

/// What one line (or whole file) is: a record, with the values it reads as NULL, or a bad line
/// with its cause.
type Reading = Result<Vec<NullAt>, LineCause>;

/// Adds what each line of the file `name` (its bytes as the source reads them now) is to
/// `facts`, under the query's source options and plan.
pub(super) fn note_file(
    name: &str,
    uri: String,
    bytes: &[u8],
    source: &SourceOptions,
    plan: &CompiledPlan,
    facts: &mut LineFacts,
) {
    facts.uris.insert(name.to_string(), uri);
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let limit = super::input::line_bytes_max(source);
    let (mut bad, mut null) = (false, false);
    let mut note = |line: u32, text: &[u8], reading: Reading| {
        let at = (name.to_string(), line);
        match reading {
            Err(cause) => {
                bad = true;
                facts.null_counts.remove(&at);
                facts.texts.entry(at.clone()).or_default().insert(KeptText::of(text));
                facts.causes.entry(at).or_default().insert(cause);
            }
            Ok(nulls) if !nulls.is_empty() => {
                null = true;
                facts.null_counts.insert(at.clone(), nulls.len());
                facts.nulls.entry(at).or_default().extend(nulls);
            }
            Ok(_) => {
                facts.null_counts.remove(&at);
            }
        }
    };
    match source.format {
        InputFormat::JsonLines => {
            for (index, raw) in bytes.split(|b| *b == b'\n').enumerate() {
                let line = raw.strip_suffix(b"\r").unwrap_or(raw);
                if !line.iter().all(u8::is_ascii_whitespace) {
                    note(index as u32 + 1, line, classify(line, &source.schema, plan, Some(limit)));
                }
            }
        }
        InputFormat::WholeFile => {
            if !bytes.iter().all(u8::is_ascii_whitespace) {
                note(1, bytes, classify(bytes, &source.schema, plan, None));
            }
        }
    }
    let versions = facts.versions.entry(name.to_string()).or_default();
    versions.read += 1;
    versions.with_bad += u32::from(bad);
    versions.with_null += u32::from(null);
}

/// One line of JSON Lines (`limit`: the longest it may be) or a whole file (`None`).
fn classify(bytes: &[u8], schema: &Schema, plan: &CompiledPlan, limit: Option<usize>) -> Reading {
    if let Some(limit) = limit.filter(|limit| bytes.len() > *limit) {
        return Err(LineCause::TooLong { bytes: bytes.len(), limit });
    }
    let text = std::str::from_utf8(bytes).map_err(|_| LineCause::NotUtf8)?;
    let whole_file = limit.is_none();
    let read = schema::read(text, schema).ok().filter(|r| r.ignored_tail.is_none());
    match read {
        Some(read) if whole_file || text.trim_start().starts_with('{') => {
            let mut rows = Vec::new();
            if read.records.iter().any(|record| plan.apply(record, &Value::Null, &mut rows).is_err()) {
                return Err(LineCause::PlanRefused);
            }
            Ok(read.mismatches.into_iter().map(|m| NullAt { path: m.path, wanted: m.expected }).collect())
        }
        _ => Err(cause_of_bad(text, whole_file)),
    }
}

/// Why a text that is no record is bad, by strict JSON: not JSON, a root that is not an object,
/// or (for a whole file) an array holding something else.
fn cause_of_bad(text: &str, whole_file: bool) -> LineCause {
    match serde_json::from_str::<Value>(text) {
        Err(_) => LineCause::NotJson,
        Ok(Value::Array(items)) if whole_file => items
            .iter()
            .map(JsonKind::of)
            .find(|kind| *kind != JsonKind::Object)
            // Every element an object, yet no records: deeper than the reader goes.
            .map_or(LineCause::NotJson, LineCause::ElementNotObject),
        Ok(value) => match JsonKind::of(&value) {
            // An object that is no record: deeper than the reader goes.
            JsonKind::Object => LineCause::NotJson,
            kind => LineCause::RootNotObject(kind),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crashpoint_engine::plan::Plan;

    fn facts_of(text: &[u8], source: &SourceOptions) -> LineFacts {
        let plan = Plan::tutorial_without_time().compile().unwrap();
        let mut facts = LineFacts::default();
        note_file("f.json", "file:///in/f.json".into(), text, source, &plan, &mut facts);
        facts
    }

    #[test]
    fn each_bad_line_has_its_cause_and_each_null_its_column() {
        // Goal: the classifier tells each cause by the line's bytes, and names each NULL's
        // column and wanted type; the bad lines are exactly input.rs's. Method: one file with a
        // line of each kind, read by both.
        let long = format!(r#"{{"eventId": "e5",{} "data": {{"devices": []}}}}"#, " ".repeat(80));
        let lines: &[&[u8]] = &[
            br#"{"eventId": "e1", "data": {"devices": [{"deviceId": "d1", "temperature": 1}]}}"#,
            b"[1, 2]",
            b"{\"eventId\": \"torn",
            b"\xff{}",
            b"3",
            b"\"text\"",
            b"true",
            b"null",
            br#"{"eventId": "e2"} tail"#,
            br#"{"eventId": "e3", "data": {"devices": "none"}}"#,
            br#"{"eventId": "e4", "data": {"devices": [{"deviceId": "d", "temperature": "hot"}]}}"#,
            &[b' '; 40],
            long.as_bytes(),
        ];
        let text = lines.join(&b'\n');
        let source = SourceOptions { max_line_bytes: Some(100), ..SourceOptions::default() };
        let facts = facts_of(&text, &source);
        let cause = |line: u32| facts.causes[&("f.json".to_string(), line)].iter().cloned().collect::<Vec<_>>();
        assert_eq!(cause(2), [LineCause::RootNotObject(JsonKind::Array)]);
        assert_eq!(cause(3), [LineCause::NotJson]);
        assert_eq!(cause(4), [LineCause::NotUtf8]);
        assert_eq!(cause(5), [LineCause::RootNotObject(JsonKind::Number)]);
        assert_eq!(cause(6), [LineCause::RootNotObject(JsonKind::String)]);
        assert_eq!(cause(7), [LineCause::RootNotObject(JsonKind::Boolean)]);
        assert_eq!(cause(8), [LineCause::RootNotObject(JsonKind::Null)]);
        assert_eq!(cause(9), [LineCause::NotJson], "text after the record");
        assert_eq!(cause(13), [LineCause::TooLong { bytes: long.len(), limit: 100 }]);
        assert!(lines.iter().take(11).all(|line| line.len() <= 100));
        let null = &facts.nulls[&("f.json".to_string(), 10)];
        let null: Vec<&NullAt> = null.iter().collect();
        assert_eq!(null[0].path, "data.devices");
        assert!(null[0].wanted.starts_with("ARRAY<"), "{null:?}");
        let plan = Plan::tutorial_without_time().compile().unwrap();
        let mut read = super::super::input::Read::default();
        super::super::input::read_file("f.json", &text, &source, &plan, &Value::Null, &mut read);
        let bad: Vec<u32> = read.bad.iter().map(|(_, line)| *line).collect();
        let caused: Vec<u32> = facts.causes.keys().map(|(_, line)| *line).collect();
        assert_eq!(bad, caused, "the same bad lines as the model's reading");
        assert_eq!(facts.uris["f.json"], "file:///in/f.json");
        assert_eq!(facts.versions["f.json"], crate::check::Versions { read: 1, with_bad: 1, with_null: 1 });
        let kept: Vec<&KeptText> = facts.texts[&("f.json".to_string(), 4)].iter().collect();
        assert_eq!(kept, [&KeptText::Whole("\u{fffd}{}".into())]);
    }

    #[test]
    fn a_whole_file_has_its_cause_on_line_1() {
        let whole = SourceOptions { format: InputFormat::WholeFile, ..SourceOptions::default() };
        let cause = |text: &[u8]| facts_of(text, &whole).causes.into_values().flatten().collect::<Vec<_>>();
        assert_eq!(cause(br#"[{"eventId": "a"}, 3]"#), [LineCause::ElementNotObject(JsonKind::Number)]);
        assert_eq!(cause(b"7"), [LineCause::RootNotObject(JsonKind::Number)]);
        assert_eq!(cause(b"{"), [LineCause::NotJson]);
        assert_eq!(cause(br#"[{"eventId": "a"}]"#), []);
    }
}
