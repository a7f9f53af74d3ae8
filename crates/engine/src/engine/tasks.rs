//! A batch's tasks, as Spark 4.3's file scan makes its partitions (`spark/FINDINGS.md` Q23):
//! each JSON Lines file is cut into splits of `maxSplitBytes`, `min(maxPartitionBytes,
//! max(openCostInBytes, total / minPartitionNum))` where the total counts every file's length
//! plus the open cost; a whole-file (multiLine) file is one split. The splits, sorted by length
//! (longest first, ties in the batch's file order), are packed into tasks next-fit: a task takes
//! the next split unless it would pass `maxSplitBytes`, every split adding the open cost. A
//! split reads the lines that start in it, Hadoop's rule: a line starting at byte p belongs to
//! the split that holds byte p - 1 (the line at 0 to the first). Each task is read and run
//! through the plan on the executor's threads ([`crate::exec`]); its rows become part file K of
//! the file sink.
//!
//! Task boundaries come from the input and the query's options alone, never from the number of
//! threads, and results keep task order: the rows, the bad records and the part files of a
//! batch are the same with one thread or many.

use crate::exec::map_ordered;
use crate::json::{JsonView, RowWriter};
use crate::plan::{CompiledPlan, Row, RowOut};
use crate::sink::{EncodedPart, PartFormat};
use crate::source::{
    BadRecord, InputFormat, NullValue, ParsedFile, SourceOptions, find_newline, parse_file, without_bom,
};
use serde_json::Value;
use std::ops::Range;

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

/// Whole lines of one file a task reads: the lines that start in one split.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Piece {
    file: usize,
    /// The lines' bytes in the file (its byte-order mark included, at 0).
    range: Range<usize>,
    /// Lines of the file before the piece's first.
    lines_before: u32,
}

/// One task: its pieces, read in order.
#[derive(Debug, Default)]
struct Task {
    pieces: Vec<Piece>,
}

/// Spark's knobs of the layout: (`maxPartitionBytes`, `openCostInBytes`, `minPartitionNum`).
type Knobs = (u64, u64, u64);

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

/// Spark's `maxSplitBytes` for a batch of files of `lengths`: `min(maxPartitionBytes,
/// max(openCostInBytes, total / minPartitionNum))`, the total counting each file's length
/// plus the open cost.
fn max_split_bytes(lengths: impl Iterator<Item = u64>, (max_partition, open_cost, min_partitions): Knobs) -> u64 {
    let total = lengths.fold(0u64, |sum, len| sum.saturating_add(len.saturating_add(open_cost)));
    max_partition.min(open_cost.max(total / min_partitions.max(1))).max(1)
}

/// Where the lines of the split that begins at `at` begin: 0 for the first split, else after
/// the first newline at or after `at` (the line under the cut went to the split before).
fn line_start(bytes: &[u8], at: usize) -> usize {
    if at == 0 || at >= bytes.len() {
        return at.min(bytes.len());
    }
    find_newline(&bytes[at..]).map_or(bytes.len(), |i| at + i + 1)
}

/// A JSON Lines file's pieces, one per split of `split_bytes`: the whole lines that start in
/// each, with the lines before it (counted only when the file has more than one split).
fn split_lines(file: usize, bytes: &[u8], split_bytes: u64) -> Vec<(u64, Piece)> {
    let step = usize::try_from(split_bytes).unwrap_or(usize::MAX);
    let mut out: Vec<(u64, Piece)> = Vec::new();
    let mut lines_before = 0u32;
    for start in (0..bytes.len()).step_by(step) {
        let end = start.saturating_add(step).min(bytes.len());
        let range = line_start(bytes, start)..line_start(bytes, end);
        if let Some((_, last)) = out.last() {
            lines_before += bytes[last.range.clone()].iter().filter(|b| **b == b'\n').count() as u32;
        }
        out.push(((end - start) as u64, Piece { file, range, lines_before }));
    }
    out
}

/// A batch's tasks: its files cut into splits, packed next-fit, longest split first.
fn tasks_of(files: &[InputFile], format: InputFormat, knobs: Knobs) -> Vec<Task> {
    let max_split = max_split_bytes(files.iter().map(|f| f.bytes.len() as u64), knobs);
    let mut splits: Vec<(u64, Piece)> = Vec::new();
    for (index, file) in files.iter().enumerate() {
        match format {
            InputFormat::JsonLines => splits.extend(split_lines(index, &file.bytes, max_split)),
            // Not splittable: one split, even an empty file (a splittable one has none).
            InputFormat::WholeFile => {
                let piece = Piece { file: index, range: 0..file.bytes.len(), lines_before: 0 };
                splits.push((file.bytes.len() as u64, piece));
            }
        }
    }
    // A stable sort: equal lengths keep the batch's file order.
    splits.sort_by_key(|split| std::cmp::Reverse(split.0));
    let mut tasks: Vec<Task> = Vec::new();
    let mut size = 0u64;
    for (len, piece) in splits {
        if tasks.is_empty() || size.saturating_add(len) > max_split {
            tasks.push(Task::default());
            size = 0;
        }
        size = size.saturating_add(len).saturating_add(knobs.1);
        tasks.last_mut().expect("a task was pushed").pieces.push(piece);
    }
    tasks
}

/// What a piece reads of its file: JSON Lines without the byte-order mark; a whole-file record
/// as it is (its parser strips the mark).
fn body<'a>(piece: &Piece, file: &'a InputFile, format: InputFormat) -> &'a [u8] {
    let bytes = &file.bytes[piece.range.clone()];
    match format {
        InputFormat::JsonLines if piece.range.start == 0 => without_bom(bytes),
        InputFormat::JsonLines | InputFormat::WholeFile => bytes,
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
    let tasks = tasks_of(files, source.format, source.task_knobs());
    let (mut bad, mut nulls) = (Vec::new(), Vec::new());
    let batch = if let Some(format) = format {
        let outputs = map_ordered(threads, &tasks, |task| {
            // About what the input holds: most plans write each record's values once.
            let capacity = task.pieces.iter().map(|p| p.range.len()).sum::<usize>() * 2;
            let encoding = Encoding::new(format, plan.schema(), capacity);
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

/// Runs one task: its pieces, in order, into one output.
fn run_task<O: RowOut>(
    task: &Task,
    files: &[InputFile],
    source: &SourceOptions,
    plan: &CompiledPlan,
    time: &Value,
    mut rows: O,
) -> TaskOutput<O> {
    let (mut bad, mut nulls) = (Vec::new(), Vec::new());
    for piece in &task.pieces {
        run_piece(piece, &files[piece.file], (source, plan, time), &mut rows, (&mut bad, &mut nulls));
    }
    TaskOutput { rows, bad, nulls }
}

/// Reads one piece's records through the plan into `rows`; its bad records (the lines that do
/// not parse, then the records the plan rejects) and NULL values go after the task's earlier.
fn run_piece<O: RowOut>(
    piece: &Piece,
    file: &InputFile,
    (source, plan, time): (&SourceOptions, &CompiledPlan, &Value),
    rows: &mut O,
    (bad, nulls): (&mut Vec<BadRecord>, &mut Vec<NullValue>),
) {
    let (format, schema) = (source.format, &source.schema);
    let bytes = body(piece, file, format);
    // A record the plan refuses keeps its line's own text, as a line the reader refuses does:
    // in a whole file, the line is the file.
    let rejected = |line: u32, reason: String, raw: &[u8]| BadRecord::new(&file.uri, line, reason, raw);
    if format == InputFormat::JsonLines {
        // The hot path: records stay on a parse tape; only selected values are copied.
        let mut plan_bad = Vec::new();
        let reading = (schema, source.max_line_bytes());
        let scanned =
            ParsedFile::scan_json_lines_from(&file.uri, bytes, piece.lines_before, reading, |line, raw, record| {
                if let Err(reason) = plan.apply_node(record, time, rows) {
                    plan_bad.push(rejected(line, reason, raw));
                }
            });
        bad.extend(scanned.bad);
        bad.extend(plan_bad);
        nulls.extend(scanned.nulls);
    } else {
        let parsed = parse_file(&file.uri, bytes, source);
        bad.extend(parsed.bad);
        nulls.extend(parsed.nulls);
        for record in &parsed.records {
            if let Err(reason) = plan.apply_into(&record.value, time, rows) {
                bad.push(rejected(record.line, reason, bytes));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `count` lines of exactly `size` bytes each, newline included, eventIds `{tag}0`, ...
    fn lines(tag: &str, count: usize, size: usize) -> Vec<u8> {
        (0..count)
            .flat_map(|i| {
                let head = format!("{{\"eventId\":\"{tag}{i}\"");
                format!("{head}{}}}\n", " ".repeat(size - head.len() - 2)).into_bytes()
            })
            .collect()
    }

    #[test]
    fn a_split_reads_the_lines_that_start_in_it() {
        // Goal: Hadoop's line rule as Spark 4.3 applies it (FINDINGS Q23 B, C): a line starting
        // exactly at a cut belongs to the split before; a split in which no line starts reads
        // nothing; the lines before each piece are counted. Method: hand-made bodies and sizes.
        type Want = (Range<usize>, u32);
        let sixteen = lines("", 10, 16);
        let twenty = lines("", 10, 20);
        let cases: &[(&[u8], u64, &[Want])] = &[
            (b"", 4, &[]),
            (b"ab\n", 4, &[(0..3, 0)]),
            (b"ab\ncd\nef\n", 3, &[(0..6, 0), (6..9, 2), (9..9, 3)]),
            (b"abcdefgh\nij", 2, &[(0..9, 0), (9..9, 1), (9..9, 1), (9..9, 1), (9..11, 1), (11..11, 1)]),
            (&sixteen, 64, &[(0..80, 0), (80..144, 5), (144..160, 9)]),
            (&twenty, 64, &[(0..80, 0), (80..140, 4), (140..200, 7), (200..200, 10)]),
        ];
        for (bytes, size, want) in cases {
            let got: Vec<Want> =
                split_lines(0, bytes, *size).into_iter().map(|(_, p)| (p.range, p.lines_before)).collect();
            assert_eq!(got, want.to_vec(), "{:?} by {size}", String::from_utf8_lossy(bytes));
        }
    }

    #[test]
    fn tasks_are_packed_as_spark_packs_its_partitions() {
        // Goal: Spark 4.3's layout as measured (FINDINGS Q23): maxSplitBytes from the total and
        // the parallelism, splits longest first (ties in file order), next-fit with the open
        // cost; whole files never cut. Method: each measured case's files (by length) against
        // its tasks, as (file, first byte of the piece) lists.
        let file = |len: usize| {
            let mut bytes = lines("", len / 20, 20);
            if !len.is_multiple_of(20) {
                bytes.extend(format!("{}\n", "x".repeat(len % 20 - 1)).bytes());
            }
            InputFile { uri: String::new(), bytes }
        };
        type Layout<'a> = &'a [&'a [(usize, usize)]];
        let mb = 1024 * 1024;
        let cases: &[(&[usize], InputFormat, Knobs, Layout<'_>)] = &[
            // A: three small files, Spark's defaults: [a b] [c].
            (&[48, 48, 48], InputFormat::JsonLines, (128 * mb, 4 * mb, 2), &[&[(0, 0), (1, 0)], &[(2, 0)]]),
            // D: a 34, b 50, c 34, d 70 with max 100, open 10: [d] [b a] [c].
            (&[34, 50, 34, 70], InputFormat::JsonLines, (100, 10, 2), &[&[(3, 0)], &[(1, 0), (0, 0)], &[(2, 0)]]),
            // E: four equal files, max 50, open 5: ties keep file order.
            (&[20, 20, 20, 20], InputFormat::JsonLines, (50, 5, 2), &[&[(0, 0), (1, 0)], &[(2, 0), (3, 0)]]),
            // K's second batch: c 200 cut in 64s, d 34: [c0] [c64] [c128] [d c192].
            (
                &[200, 34],
                InputFormat::JsonLines,
                (64, 16, 2),
                &[&[(0, 0)], &[(0, 80)], &[(0, 140)], &[(1, 0), (0, 200)]],
            ),
            // I: whole files are not cut: [big] [s t].
            (&[137, 15, 15], InputFormat::WholeFile, (64, 16, 2), &[&[(0, 0)], &[(1, 0), (2, 0)]]),
            // M: a task filled to exactly maxSplitBytes still takes the split: [r] [p q].
            (&[60, 30, 90], InputFormat::JsonLines, (100, 10, 2), &[&[(2, 0)], &[(0, 0), (1, 0)]]),
            // minPartitionNum 1: the whole total may go in one task.
            (&[40, 40], InputFormat::JsonLines, (1000, 10, 1), &[&[(0, 0), (1, 0)]]),
        ];
        for (lengths, format, knobs, want) in cases {
            let files: Vec<InputFile> = lengths.iter().map(|len| file(*len)).collect();
            let got: Vec<Vec<(usize, usize)>> = tasks_of(&files, *format, *knobs)
                .iter()
                .map(|t| t.pieces.iter().map(|p| (p.file, p.range.start)).collect())
                .collect();
            assert_eq!(got, want.iter().map(|t| t.to_vec()).collect::<Vec<_>>(), "{lengths:?} {knobs:?}");
        }
        assert_eq!(max_split_bytes([1000].into_iter(), (128 * mb, 64, 2)), 532, "J: (1000 + 64) / 2");
        assert_eq!(max_split_bytes([0].into_iter(), (128 * mb, 1, 7)), 1, "never 0");
    }

    #[test]
    fn split_lines_are_numbered_as_in_the_whole_file() {
        // Goal: a bad line in a later split is named by its line in the whole file, on the hot
        // path and with a byte-order mark. Method: the same text read whole and in splits.
        let text = "\u{feff}{\"a\":1}\nbad\n\n{\"a\":2}\nworse\n";
        let schema = crate::schema::Schema::tutorial();
        let whole = ParsedFile::scan_json_lines("f", without_bom(text.as_bytes()), &schema, |_, _, _| {}).bad;
        let source = SourceOptions { max_partition_bytes: Some(5), open_cost_in_bytes: Some(1), ..Default::default() };
        let files = [InputFile { uri: "f".into(), bytes: text.as_bytes().to_vec() }];
        assert!(tasks_of(&files, InputFormat::JsonLines, source.task_knobs()).len() > 2, "split");
        let plan = crate::plan::Plan::tutorial_without_time().compile().unwrap();
        for threads in [1, 3] {
            let (_, bad, _) = run_tasks(&files, &source, &plan, &Value::Null, (threads, None));
            assert_eq!(bad, whole);
        }
        assert_eq!(whole.iter().map(|b| b.line).collect::<Vec<_>>(), [2, 5]);
    }

    #[test]
    fn the_layout_and_the_parts_do_not_depend_on_the_threads() {
        // Goal: any thread count gives the same tasks, rows and encoded bytes. Method: a batch
        // cut into several packed tasks, run on 1, 2 and 5 threads, rows and encoded.
        let plan = crate::plan::Plan::tutorial_without_time().compile().unwrap();
        let event = |i: usize| {
            format!("{{\"eventId\":\"e{i}\",\"data\":{{\"devices\":[{{\"deviceId\":\"d\",\"temperature\":{i}}}]}}}}\n")
        };
        let files: Vec<InputFile> = (0..4)
            .map(|f| InputFile {
                uri: format!("f{f}"),
                bytes: (0..f * 3 + 1).map(event).collect::<String>().into_bytes(),
            })
            .collect();
        let source =
            SourceOptions { max_partition_bytes: Some(150), open_cost_in_bytes: Some(20), ..Default::default() };
        let run = |threads: usize, format: Option<PartFormat>| match run_tasks(
            &files,
            &source,
            &plan,
            &Value::Null,
            (threads, format),
        )
        .0
        {
            BatchOutput::Rows(rows) => format!("{:?} {:?}", rows.rows, rows.parts),
            BatchOutput::Encoded(parts) => format!("{parts:?}"),
        };
        for format in [None, Some(PartFormat::JsonLines)] {
            let one = run(1, format);
            assert!(one.matches("..").count() > 3 || one.matches("rows:").count() > 3, "several tasks: {one}");
            for threads in [2, 5] {
                assert_eq!(run(threads, format), one, "{threads} threads, {format:?}");
            }
        }
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
