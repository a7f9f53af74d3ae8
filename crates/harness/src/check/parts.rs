//! The file sink's part files as the user finds them in the output directory: for every batch
//! the sink log lists, its part files together, named as Spark names them
//! (`part-0000K-<uuid>-c000.json`, K its task, from 0, rising), stamped with the batch's time,
//! each holding its rows one a line, every line ended by a newline (the last too);
//! and after a run with no crash, exactly the model's parts (Spark 4.3's tasks, as the model
//! states them: `part-00000` always, empty or not, and every other task that made rows, each
//! with its task's rows in the task's order), and no part file outside the log. The engine's
//! output directory is read file by file.
//!
//! Spark gives each part file a uuid of its own where the engine gives a batch one; whether a
//! batch's files share it is left open.
//!
//! A check only reads: it never repairs the output, and never takes a name or a split from the
//! engine's code.

use crashpoint_engine::plan::Row;

/// The part files the model states for one batch the file sink wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchParts {
    /// The run that wrote it, from 1.
    pub run: u32,
    /// The batch id.
    pub batch: u64,
    /// Its `batchTimestampMs`: every part file's modification time in the sink log.
    pub timestamp_ms: i64,
    /// Each part file's task K (its `part-0000K`) and rows, in order: task 0's, and one per
    /// other task that made rows.
    pub parts: Vec<(u32, Vec<Row>)>,
}

use super::is_spark_uuid;
use crashpoint_engine::checkpoint::SinkFileStatus;
use crashpoint_engine::storage::Storage;
use crashpoint_engine::uri::path_of;
use std::collections::BTreeMap;
use std::path::Path;

/// Reads a part file's bytes into rows, or says why it cannot.
pub type ReadRows<'a> = dyn Fn(&[u8]) -> Result<Vec<Row>, String> + 'a;

/// A part file's rows: one JSON object a line, each row the `schema`'s columns in order (an
/// absent column is NULL, as Spark's JSON writer leaves NULL fields out).
pub fn json_lines_rows(bytes: &[u8], schema: &[String]) -> Result<Vec<Row>, String> {
    let mut rows = Vec::new();
    for (index, line) in bytes.split(|b| *b == b'\n').enumerate().filter(|(_, l)| !l.is_empty()) {
        let mut object: serde_json::Map<String, serde_json::Value> =
            serde_json::from_slice(line).map_err(|e| format!("line {} is not a JSON object: {e}", index + 1))?;
        rows.push(schema.iter().map(|c| object.remove(c).unwrap_or_default()).collect());
    }
    Ok(rows)
}

/// One batch's write as the sink log lists it: its part files, in log order.
#[derive(Debug)]
struct Written<'a> {
    /// (K of `part-0000K`, the entry).
    files: Vec<(u32, &'a SinkFileStatus)>,
}

/// A part file's name split as Spark writes it: `part-<5 digits>-<uuid>-c000.json` gives K.
fn part_index(name: &str) -> Option<u32> {
    let rest = name.strip_prefix("part-")?.strip_suffix("-c000.json")?;
    let (index, uuid) = rest.split_once('-')?;
    let digits = index.len() == 5 && index.bytes().all(|b| b.is_ascii_digit());
    index.parse().ok().filter(|_| digits && is_spark_uuid(uuid))
}

fn name_of(entry: &SinkFileStatus) -> &str {
    entry.path.rsplit('/').next().unwrap_or(&entry.path)
}

/// The sink log's entries cut into batch writes, in log order: a batch's part files are listed
/// together, numbered from 0, so a `part-00000` starts the next batch (whether the batch's
/// files share a uuid, as the engine's, or each has its own, as Spark's, is left open). Names
/// that are not Spark's are findings.
fn writes<'a>(entries: &'a [SinkFileStatus], findings: &mut Vec<String>) -> Vec<Written<'a>> {
    let mut out: Vec<Written<'a>> = Vec::new();
    for entry in entries.iter().filter(|e| e.action == "add") {
        let Some(k) = part_index(name_of(entry)) else {
            findings.push(format!(
                "the file sink's log lists {}, not a name Spark gives a part file (part-0000K-<uuid>-c000.json)",
                name_of(entry)
            ));
            continue;
        };
        match out.last_mut() {
            Some(write) if k != 0 => write.files.push((k, entry)),
            _ => out.push(Written { files: vec![(k, entry)] }),
        }
    }
    out
}

/// What every write must be, crash or not: part files numbered from 0, rising (a task that
/// made no row leaves a gap), and one modification time, the batch's.
fn judge_write(write: &Written<'_>, findings: &mut Vec<String>) {
    let numbers: Vec<u32> = write.files.iter().map(|(k, _)| *k).collect();
    let first = write.files.first().map_or("", |(_, e)| name_of(e));
    if numbers.first() != Some(&0) || numbers.windows(2).any(|pair| pair[0] >= pair[1]) {
        findings.push(format!(
            "the file sink's log lists the part files of the batch from {first} numbered {numbers:?}: a batch's \
             part files are part-00000 then its other tasks' that made rows, rising, in task order"
        ));
    }
    let times: std::collections::BTreeSet<i64> = write.files.iter().map(|(_, e)| e.modification_time).collect();
    if times.len() > 1 {
        findings.push(format!(
            "the part files of the batch from {first} have modification times {times:?} in the sink log: a \
             batch's files are stamped with its one batch time"
        ));
    }
}

/// Holds the file sink's output in `dir` to the part-file contract: every write in its log
/// well formed (see [`judge_write`]); with `expected` (a crash-free run, by the model), each
/// batch's part files hold exactly the model's parts, in order, stamped with the batch's time,
/// and the directory holds no part file the log leaves out. `read_rows` reads a part file's rows
/// (the data columns a verdict compares). Returns the findings, in words.
pub fn judge_part_files(
    storage: &dyn Storage,
    dir: &Path,
    expected: Option<&[BatchParts]>,
    read_rows: &ReadRows<'_>,
) -> Vec<String> {
    let Ok(entries) = super::spark_log::all_entries::<SinkFileStatus>(storage, &dir.join("_spark_metadata")) else {
        return Vec::new();
    };
    let mut findings = Vec::new();
    let mut contents: BTreeMap<&str, Vec<Row>> = BTreeMap::new();
    for entry in entries.iter().filter(|e| e.action == "add") {
        let Ok(bytes) = storage.read(&path_of(&entry.path)) else { continue };
        if let Some(why) = unterminated(&bytes) {
            findings.push(format!("part file {}: {why}", name_of(entry)));
        }
        match read_rows(&bytes) {
            Ok(rows) => drop(contents.insert(name_of(entry), rows)),
            Err(e) => findings.push(format!("part file {}: {e}", name_of(entry))),
        }
    }
    let written = writes(&entries, &mut findings);
    written.iter().for_each(|write| judge_write(write, &mut findings));
    if let Some(expected) = expected {
        findings.extend(judge_against_model(&written, &contents, expected));
        findings.extend(unlisted(storage, dir, &entries));
    }
    findings
}

/// Why a part file's bytes are not rows each on a line ended by `\n`, as Spark 4.3's JSON writer
/// writes them (the last row too; a task with no row leaves 0 bytes: `spark/FINDINGS.md` Q26e).
fn unterminated(bytes: &[u8]) -> Option<String> {
    if bytes.is_empty() {
        return None;
    }
    if !bytes.ends_with(b"\n") {
        return Some("its last row does not end with a newline, as every row of Spark's JSON part files does".into());
    }
    let blank = bytes.split(|b| *b == b'\n').rev().skip(1).position(|line| line.is_empty());
    blank.map(|_| "it holds a blank line: Spark's JSON part files hold one row a line, each ended by a newline".into())
}

/// Each write against the model's batch at the same place (batches by id, the first write of
/// an id standing, as the sink skips an id it holds; a batch with no part file has no place).
fn judge_against_model(
    written: &[Written<'_>],
    contents: &BTreeMap<&str, Vec<Row>>,
    expected: &[BatchParts],
) -> Vec<String> {
    let mut batches: BTreeMap<u64, &BatchParts> = BTreeMap::new();
    for batch in expected {
        batches.entry(batch.batch).or_insert(batch);
    }
    let mut findings = Vec::new();
    if written.len() != batches.len() {
        findings.push(format!(
            "the file sink's log lists {} batch write(s), where the reference model writes {} (batches {:?})",
            written.len(),
            batches.len(),
            batches.keys().collect::<Vec<_>>()
        ));
        return findings;
    }
    for (write, batch) in written.iter().zip(batches.values()) {
        let id = batch.batch;
        let (got, want): (Vec<u32>, Vec<u32>) =
            (write.files.iter().map(|(k, _)| *k).collect(), batch.parts.iter().map(|(k, _)| *k).collect());
        if got != want {
            findings.push(format!(
                "batch {id} is written in part files {got:?}, where the reference model makes {want:?} (Spark 4.3's \
                 tasks: the input cut at maxSplitBytes and packed; part 0 always, every other task that made rows)"
            ));
            continue;
        }
        for ((k, entry), (_, want)) in write.files.iter().zip(&batch.parts) {
            let name = name_of(entry);
            if contents.get(name).is_some_and(|got| got != want) {
                findings.push(format!(
                    "batch {id}'s part file {name} (task {k}) does not hold the rows the reference model puts there, \
                     in that order: {} row(s), those of the lines that start in the task's splits, in split order",
                    want.len()
                ));
            }
            if entry.modification_time != batch.timestamp_ms {
                findings.push(format!(
                    "the file sink's log lists batch {id}'s {name} with modificationTime {}, where the batch's time \
                     is {}",
                    entry.modification_time, batch.timestamp_ms
                ));
            }
        }
    }
    findings
}

/// Part files in the output directory that no log entry lists: after a crash-free run there
/// are none (only a crash inside a sink write leaves some, for `doctor` to delete).
fn unlisted(storage: &dyn Storage, dir: &Path, entries: &[SinkFileStatus]) -> Vec<String> {
    let Ok(listing) = storage.list(dir) else { return Vec::new() };
    let listed: std::collections::BTreeSet<&str> = entries.iter().map(name_of).collect();
    listing
        .iter()
        .filter(|e| e.name.starts_with("part-") && !listed.contains(e.name.as_str()))
        .map(|e| format!("{} is in the output directory but in no sink log entry, after a run with no crash", e.name))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crashpoint_engine::checkpoint::{LogFile, MetadataLog, WriteCtx};
    use crashpoint_engine::faults::FaultPlan;
    use crashpoint_engine::storage::SimStorage;
    use serde_json::json;

    const UUID: &str = "2faf83d1-ace3-4062-afbc-4dc5e4266fe5";

    /// A part file: its name, its rows (one column `v`), its modification time.
    type File = (String, Vec<i64>, i64);

    fn part(k: u32) -> String {
        format!("part-{k:05}-{UUID}-c000.json")
    }

    /// `/out` with the part files `files` (name, rows of one column `v`, time), listed in the sink
    /// log as the batches `batches` (names per batch); a file in no batch is in no entry.
    fn output(files: &[File], batches: &[Vec<&str>]) -> SimStorage {
        let storage = SimStorage::new(0);
        let dir = Path::new("/out");
        storage.create_dir_all(dir).unwrap();
        let mut entries = BTreeMap::new();
        for (name, values, time) in files {
            let bytes: String = values.iter().map(|v| format!("{{\"v\":{v}}}\n")).collect();
            storage.write(&dir.join(name), bytes.as_bytes()).unwrap();
            let entry = SinkFileStatus {
                path: format!("file:///out/{name}"),
                size: bytes.len() as u64,
                is_dir: false,
                modification_time: *time,
                block_replication: 1,
                block_size: 33_554_432,
                action: "add".into(),
            };
            entries.insert(name.as_str(), serde_json::to_string(&entry).unwrap());
        }
        let log = MetadataLog::new(dir.join("_spark_metadata"), "sink log");
        let mut faults = FaultPlan::none();
        let mut ctx = WriteCtx { storage: &storage, faults: &mut faults };
        for (id, names) in batches.iter().enumerate() {
            let lines: Vec<String> = names.iter().map(|n| entries[n].clone()).collect();
            log.write(&mut ctx, LogFile { id: id as u64, compact: false }, &lines).unwrap();
        }
        storage
    }

    fn judged(storage: &SimStorage, expected: Option<&[BatchParts]>) -> Vec<String> {
        let schema = ["v".to_string()];
        judge_part_files(storage, Path::new("/out"), expected, &|bytes| json_lines_rows(bytes, &schema))
    }

    /// The model's batch: part K for each K, rows (one column `v`) in order.
    fn model(batch: u64, timestamp_ms: i64, parts: &[(u32, &[i64])]) -> BatchParts {
        let rows = |values: &[i64]| values.iter().map(|v| vec![json!(v)]).collect();
        BatchParts { run: 1, batch, timestamp_ms, parts: parts.iter().map(|(k, p)| (*k, rows(p))).collect() }
    }

    #[test]
    fn part_files_as_the_model_states_them_pass() {
        // Batch 1's tasks made no row: an empty part-00000. Batch 2's task 1 made none: a gap.
        let other = |k: u32, uuid: &str| part(k).replace("2faf", uuid);
        let files = [
            (part(0), vec![1, 2], 5),
            (part(1), vec![3], 5),
            (other(0, "3faf"), vec![], 6),
            (other(0, "4faf"), vec![4], 7),
            (other(2, "4faf"), vec![5], 7),
        ];
        let names: Vec<&str> = files.iter().map(|f| f.0.as_str()).collect();
        let storage = output(&files, &[names[..2].to_vec(), vec![names[2]], names[3..].to_vec()]);
        let expected =
            [model(0, 5, &[(0, &[1, 2]), (1, &[3])]), model(1, 6, &[(0, &[])]), model(2, 7, &[(0, &[4]), (2, &[5])])];
        assert_eq!(judged(&storage, Some(&expected)), Vec::<String>::new());
        assert_eq!(judged(&storage, None), Vec::<String>::new());
    }

    #[test]
    fn a_part_file_out_of_place_is_named() {
        // Goal: the class of what a user finds wrong in the output directory, each caught and
        // named: a gap in the numbering, two stamps in one batch, another split, rows in another
        // order, a stray part file after a run with no crash, a name that is not Spark's.
        // Method: hand-made outputs, one fault each, against the model's parts.
        let expected = [model(0, 5, &[(0, &[1, 2]), (1, &[3])])];
        let cases: [(Vec<File>, &str); 7] = [
            (
                vec![(part(0), vec![1, 2], 5), (part(2), vec![3], 5)],
                "written in part files [0, 2], where the reference model makes [0, 1]",
            ),
            (vec![(part(1), vec![1, 2], 5), (part(2), vec![3], 5)], "numbered [1, 2]"),
            (vec![(part(0), vec![1, 2], 5), (part(1), vec![3], 5), (part(1), vec![], 5)], "numbered [0, 1, 1]"),
            (vec![(part(0), vec![1, 2], 5), (part(1), vec![3], 7)], "modification times {5, 7}"),
            (vec![(part(0), vec![1, 2, 3], 5)], "written in part files [0], where the reference model makes [0, 1]"),
            (vec![(part(0), vec![2, 1], 5), (part(1), vec![3], 5)], "does not hold the rows"),
            (vec![(part(0), vec![1, 2], 5), ("part-1.json".into(), vec![3], 5)], "not a name Spark gives"),
        ];
        for (files, says) in cases {
            let names: Vec<&str> = files.iter().map(|(n, _, _)| n.as_str()).collect();
            let found = judged(&output(&files, &[names]), Some(&expected));
            assert!(found.iter().any(|f| f.contains(says)), "{says}: {found:?}");
        }
        let files = [(part(0), vec![1, 2], 5), (part(1), vec![3], 5), (part(1).replace("2faf", "3faf"), vec![3], 5)];
        let storage = output(&files, &[vec![files[0].0.as_str(), files[1].0.as_str()]]);
        let found = judged(&storage, Some(&expected));
        assert!(found.len() == 1 && found[0].contains("in no sink log entry"), "{found:?}");
        assert!(judged(&storage, None).is_empty(), "after a crash, an unlisted part file is allowed");
    }

    #[test]
    fn a_row_without_its_newline_or_a_blank_line_is_named() {
        // Goal: a part file holds its rows one a line, each ended by a newline, the last too
        // (Spark 4.3's JSON writer, FINDINGS Q26e), whatever the rows, crash or not. Method: a
        // well-formed output, then part-00001 rewritten three ways with the same rows.
        let files = [(part(0), vec![1, 2], 5), (part(1), vec![3, 4], 5)];
        let storage = output(&files, &[vec![files[0].0.as_str(), files[1].0.as_str()]]);
        assert!(judged(&storage, None).is_empty());
        let cases: [(&[u8], &str); 3] = [
            (b"{\"v\":3}\n{\"v\":4}", "its last row does not end with a newline"),
            (b"{\"v\":3}\n\n{\"v\":4}\n", "a blank line"),
            (b"\n{\"v\":3}\n{\"v\":4}\n", "a blank line"),
        ];
        for (bytes, says) in cases {
            storage.write(&Path::new("/out").join(part(1)), bytes).unwrap();
            let found = judged(&storage, None);
            assert!(found.len() == 1 && found[0].contains(&part(1)) && found[0].contains(says), "{says}: {found:?}");
        }
    }

    #[test]
    fn json_lines_rows_reads_columns_in_schema_order() {
        let schema = ["b".to_string(), "a".to_string()];
        let rows = json_lines_rows(b"{\"a\":1,\"b\":2}\n{\"a\":3}\n", &schema).unwrap();
        assert_eq!(rows, [vec![json!(2), json!(1)], vec![json!(null), json!(3)]]);
        assert!(json_lines_rows(b"{\"a\":1}\nnot json\n", &schema).unwrap_err().starts_with("line 2"));
    }
}
