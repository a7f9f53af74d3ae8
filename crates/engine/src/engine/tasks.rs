//! A batch's tasks, as Spark's partitions: one per input file, or one per split of a file
//! larger than [`SPLIT_BYTES`], cut at line boundaries. Each task is read and run through the
//! plan on the executor's threads ([`crate::exec`]); its rows become one part file of the file
//! sink.
//!
//! Task boundaries come from the input alone, never from the number of threads, and results
//! keep task order: the rows, the bad records and the part files of a batch are the same with
//! one thread or many.

use crate::exec::map_ordered;
use crate::json::{JsonView, RowWriter};
use crate::plan::{CompiledPlan, Row, RowOut};
use crate::sink::{EncodedPart, PartFormat};
use crate::source::{
    BadRecord, InputFormat, NullValue, ParsedFile, SourceOptions, find_newline, parse_file, without_bom,
};
use serde_json::Value;
use std::ops::Range;

/// A JSON Lines file larger than this is cut into tasks of about this size, each ending at a
/// line's end (Hadoop's rule: a line belongs to the split it starts in).
pub const SPLIT_BYTES: usize = 8 * 1024 * 1024;

/// The rows of a batch and each task's share of them, in task order.
#[derive(Debug, Default)]
pub(crate) struct BatchRows {
    pub(crate) rows: Vec<Row>,
    /// One range of `rows` per task.
    pub(crate) parts: Vec<Range<usize>>,
}

/// What a batch's tasks made: its rows gathered, or each task's rows encoded by the sink's
/// encoder on the task's thread.
#[derive(Debug)]
pub(crate) enum BatchOutput {
    Rows(BatchRows),
    /// One part per task, in task order.
    Encoded(Vec<EncodedPart>),
}

impl BatchOutput {
    /// How many rows the batch has.
    pub(crate) fn rows(&self) -> usize {
        match self {
            BatchOutput::Rows(rows) => rows.rows.len(),
            BatchOutput::Encoded(parts) => parts.iter().map(|p| p.rows).sum(),
        }
    }
}

/// A task's rows, encoded in the sink's format as the plan makes them: straight from the parsed
/// record when the plan allows ([`RowOut::push_views`]), else each row is written and handed back
/// to be filled again, so that a row's values are freed on the thread that made them.
struct Encoding {
    writer: RowWriter,
    part: EncodedPart,
    spare: Row,
}

impl Encoding {
    fn new(format: PartFormat, schema: &[String], capacity: usize) -> Self {
        match format {
            PartFormat::JsonLines => Encoding {
                writer: RowWriter::new(schema),
                part: EncodedPart { bytes: Vec::with_capacity(capacity), rows: 0 },
                spare: Row::new(),
            },
        }
    }
}

impl RowOut for Encoding {
    const TAKES_VIEWS: bool = true;

    fn push_row(&mut self, mut row: Row) {
        self.writer.write(&row, &mut self.part.bytes);
        self.part.bytes.push(b'\n');
        self.part.rows += 1;
        row.clear();
        self.spare = row;
    }

    fn empty_row(&mut self, width: usize) -> Row {
        let mut row = std::mem::take(&mut self.spare);
        row.reserve(width);
        row
    }

    fn push_views<J: JsonView>(&mut self, selected: impl Iterator<Item = Option<J>>, time: &Value, times: usize) {
        self.writer.write_views(selected, time, times, &mut self.part.bytes);
        self.part.bytes.push(b'\n');
        self.part.rows += 1;
    }
}

/// A file of the batch, read.
pub(super) struct InputFile {
    /// Its URI, as the source log records it.
    pub(super) uri: String,
    pub(super) bytes: Vec<u8>,
}

/// One task: whole lines of one file.
struct Task {
    file: usize,
    range: Range<usize>,
    /// Lines of the file before the task's first.
    lines_before: u32,
}

/// What one task gives besides its rows: its bad records (the lines that do not parse, then the
/// records the plan rejects), and the values it read as NULL.
struct TaskOutput<O> {
    rows: O,
    bad: Vec<BadRecord>,
    nulls: Vec<NullValue>,
}

impl<O> TaskOutput<O> {
    /// The task's rows; its bad records and NULL values go after the earlier tasks'.
    fn split(mut self, bad: &mut Vec<BadRecord>, nulls: &mut Vec<NullValue>) -> O {
        bad.append(&mut self.bad);
        nulls.append(&mut self.nulls);
        self.rows
    }
}

/// Splits `bytes` (a file without its byte-order mark) into ranges of whole lines of about
/// `split_bytes`, each with the number of lines before it.
fn splits(bytes: &[u8], split_bytes: usize) -> Vec<(Range<usize>, u32)> {
    let mut out = Vec::new();
    let (mut start, mut lines_before) = (0, 0u32);
    while start < bytes.len() || out.is_empty() {
        let want = start.saturating_add(split_bytes).min(bytes.len());
        let end = match want {
            w if w == bytes.len() => w,
            // The line under the cut belongs to this task: end after its newline.
            w => find_newline(&bytes[w - 1..]).map_or(bytes.len(), |at| w + at),
        };
        out.push((start..end, lines_before));
        if end < bytes.len() {
            // Only a split that has a next one counts its lines: most files are one split, and
            // a pass over them for nothing cost a tenth of the engine's time.
            lines_before += bytes[start..end].iter().filter(|b| **b == b'\n').count() as u32;
        }
        start = end;
    }
    out
}

fn tasks_of(files: &[InputFile], format: InputFormat) -> Vec<Task> {
    let mut tasks = Vec::new();
    for (index, file) in files.iter().enumerate() {
        let bytes = body(file, format);
        let cuts = match format {
            InputFormat::JsonLines => splits(bytes, SPLIT_BYTES),
            InputFormat::WholeFile => vec![(0..bytes.len(), 0)],
        };
        tasks.extend(cuts.into_iter().map(|(range, lines_before)| Task { file: index, range, lines_before }));
    }
    tasks
}

/// What a task reads of a file: JSON Lines without the byte-order mark; a whole-file record
/// as it is (its parser strips the mark).
fn body(file: &InputFile, format: InputFormat) -> &[u8] {
    match format {
        InputFormat::JsonLines => without_bom(&file.bytes),
        InputFormat::WholeFile => &file.bytes,
    }
}

/// Runs the plan over the batch's files, read with the source's schema, on up to `threads`
/// threads. Its rows in task order (encoded task by task in `format`, if given), every bad
/// record and every value read as NULL, task by task.
pub(super) fn run_tasks(
    files: &[InputFile],
    source: &SourceOptions,
    plan: &CompiledPlan,
    time: &Value,
    (threads, format): (usize, Option<PartFormat>),
) -> (BatchOutput, Vec<BadRecord>, Vec<NullValue>) {
    let tasks = tasks_of(files, source.format);
    let (mut bad, mut nulls) = (Vec::new(), Vec::new());
    let batch = if let Some(format) = format {
        let outputs = map_ordered(threads, &tasks, |task| {
            // About what the input holds: most plans write each record's values once.
            let encoding = Encoding::new(format, plan.schema(), task.range.len() * 2);
            let output = run_task(task, files, source, plan, time, encoding);
            TaskOutput { rows: output.rows.part, bad: output.bad, nulls: output.nulls }
        });
        BatchOutput::Encoded(outputs.into_iter().map(|output| output.split(&mut bad, &mut nulls)).collect())
    } else {
        let outputs = map_ordered(threads, &tasks, |task| run_task(task, files, source, plan, time, Vec::new()));
        let mut rows = Vec::with_capacity(outputs.iter().map(|o| o.rows.len()).sum());
        let mut parts = Vec::with_capacity(outputs.len());
        for output in outputs {
            let mut task_rows = output.split(&mut bad, &mut nulls);
            let start = rows.len();
            rows.append(&mut task_rows);
            parts.push(start..rows.len());
        }
        BatchOutput::Rows(BatchRows { rows, parts })
    };
    (batch, bad, nulls)
}

fn run_task<O: RowOut>(
    task: &Task,
    files: &[InputFile],
    source: &SourceOptions,
    plan: &CompiledPlan,
    time: &Value,
    mut rows: O,
) -> TaskOutput<O> {
    let (format, schema) = (source.format, &source.schema);
    let file = &files[task.file];
    let bytes = &body(file, format)[task.range.clone()];
    // A record the plan refuses keeps its line's own text, as a line the reader refuses does:
    // in a whole file, the line is the file.
    let rejected = |line: u32, reason: String, raw: &[u8]| BadRecord::new(&file.uri, line, reason, raw);
    let mut bad = Vec::new();
    let nulls;
    if format == InputFormat::JsonLines {
        // The hot path: records stay on a parse tape; only selected values are copied.
        let mut plan_bad = Vec::new();
        let reading = (schema, source.max_line_bytes());
        let scanned =
            ParsedFile::scan_json_lines_from(&file.uri, bytes, task.lines_before, reading, |line, raw, record| {
                if let Err(reason) = plan.apply_node(record, time, &mut rows) {
                    plan_bad.push(rejected(line, reason, raw));
                }
            });
        bad = scanned.bad;
        bad.extend(plan_bad);
        nulls = scanned.nulls;
    } else {
        let parsed = parse_file(&file.uri, bytes, source);
        bad.extend(parsed.bad);
        nulls = parsed.nulls;
        for record in &parsed.records {
            if let Err(reason) = plan.apply_into(&record.value, time, &mut rows) {
                bad.push(rejected(record.line, reason, bytes));
            }
        }
    }
    TaskOutput { rows, bad, nulls }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_end_at_line_ends_and_count_the_lines_before() {
        // (bytes, split size, expected ranges with lines before)
        type Split = (Range<usize>, u32);
        let cases: &[(&[u8], usize, &[Split])] = &[
            (b"", 4, &[(0..0, 0)]),
            (b"ab\n", 4, &[(0..3, 0)]),
            (b"ab\ncd\nef\n", 4, &[(0..6, 0), (6..9, 2)]),
            (b"ab\ncd\nef\n", 3, &[(0..3, 0), (3..6, 1), (6..9, 2)]),
            (b"abcdefgh\nij", 2, &[(0..9, 0), (9..11, 1)]),
            (b"abcdefgh", 2, &[(0..8, 0)]),
            (b"a\n\n\nb", 1, &[(0..2, 0), (2..3, 1), (3..4, 2), (4..5, 3)]),
        ];
        for (bytes, size, expected) in cases {
            assert_eq!(splits(bytes, *size), expected.to_vec(), "{:?} by {size}", String::from_utf8_lossy(bytes));
        }
    }

    #[test]
    fn split_lines_are_numbered_as_in_the_whole_file() {
        let text = "{\"a\":1}\nbad\n\n{\"a\":2}\nworse\n";
        let schema = crate::schema::Schema::tutorial();
        let whole = ParsedFile::scan_json_lines("f", text.as_bytes(), &schema, |_, _, _| {}).bad;
        let mut split = Vec::new();
        let reading = (&schema, crate::source::MAX_LINE_BYTES);
        for (range, before) in splits(text.as_bytes(), 5) {
            split.extend(
                ParsedFile::scan_json_lines_from("f", &text.as_bytes()[range], before, reading, |_, _, _| {}).bad,
            );
        }
        assert_eq!(split, whole);
        assert_eq!(whole.iter().map(|b| b.line).collect::<Vec<_>>(), [2, 5]);
    }

    #[test]
    fn a_record_the_plan_refuses_keeps_its_lines_own_text() {
        // Goal: a dead letter holds the line as the user wrote it, not the record re-serialised.
        // Method: a plan that explodes a string (the engine refuses it before any batch; the
        // task still must not lose the text), on both formats and both read paths.
        let plan: crate::plan::Plan =
            serde_json::from_str(r#"[{"op":"explode","column":"eventId","as":"e"},{"op":"select","columns":["e"]}]"#)
                .unwrap();
        let plan = plan.compile().unwrap();
        let lines = "{ \"eventId\" : \"a\" }\n{\"eventId\":\"b\",\"data\":{\"devices\":\"x\"}}\n";
        let whole = "[ {\"eventId\": \"a\"} ]";
        for (format, text, expected) in [
            (InputFormat::JsonLines, lines, vec![lines.lines().next().unwrap(), lines.lines().nth(1).unwrap()]),
            (InputFormat::WholeFile, whole, vec![whole]),
        ] {
            let source = SourceOptions { format, ..SourceOptions::default() };
            let files = [InputFile { uri: "file:///in/f.json".into(), bytes: text.as_bytes().to_vec() }];
            let (_, bad, _) = run_tasks(&files, &source, &plan, &Value::Null, (1, None));
            let texts: Vec<&str> = bad.iter().map(|b| b.text.as_str()).collect();
            assert_eq!(texts, expected, "{format:?}");
            assert!(bad.iter().all(|b| b.reason.contains("cannot be exploded")), "{bad:?}");
        }
    }
}
